"""Bad input never corrupts: garbage at the client API is refused with words, and changes nothing.

Three kinds of garbage, as a broken kiosk, a damaged USB stick or someone
poking at the socket would bring them:

* **API arguments**: for every public ``BoothService`` method that takes
  arguments, each argument in turn is replaced by generated garbage (wrong
  types, huge strings, control characters, None, negative and huge numbers,
  lists and dicts where text is expected, any Unicode, NIK-shaped strings,
  dates) while the others stay valid, in a booth standing at the step where
  that argument matters (a voter in the booth for ``cast``, at the photo for
  ``store_photo``, ...).  The call must raise a ``BoothError`` with an
  Indonesian and an English message, and ``status()``, ``election_info()``,
  the custody trail and the log must be as before.  The only events a
  refusal may log are the refusal itself: a wrong PIN logs
  ``companion.login_failed`` (and ``companion.locked`` at the 15th), because
  the lockout must count it across restarts.  Read-only calls
  (``search_voters`` with odd text, ``candidate_photo(True)``, ``sign_out``
  with an unknown token) may answer, but still change nothing.
* **Election packages**: the signed demo package with one file changed
  (bytes flipped, truncated, a JSON value replaced, a file added, deleted or
  renamed), as a folder or a zip: always ``PackageRefused``, state unchanged.
  A DPT changed and then *re-signed* with the committee key is refused with
  line-numbered problems, or accepted exactly when it is a valid DPT.
* **Committee reset files**: anything but a fresh file signed by this
  election's committee for one of its companions is refused, and the
  locked companion stays locked.

The tests at the end pin, one example each, the bugs this fuzzing once found
(lone surrogates in text, list or dict tokens, non-text self-test values and
package paths, keys that are not bytes, huge paths); their inputs are in the
general fuzzing too, so nothing is left out of it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from booth.committee_reset import make_reset
from booth.dpt import DptError, parse_dpt
from booth.election_package import (
    SIGNATURE_DOMAIN,
    CommitteeKeyPair,
    PackageError,
    make_manifest,
    read_package_files,
    sign_package,
    write_package_zip,
)
from booth.errors import BadInput, BoothError, LockedOut, PackageRefused
from booth.ledger.vault import JPEG_START, MAX_PHOTO_BYTES
from service_day import (
    JPEG,
    KETUA,
    PINS,
    SELF_TEST,
    TEKNISI,
    Booth,
    cloned_booth,
    closes_at,
    demo_package,
    fast_tmp,
    provision,
    vote,
)

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
PACKAGE_FUZZ = settings(FUZZ, max_examples=50)

_, KEYS, PKG = demo_package()
VOTER_REFS = {v.ref for v in PKG.voters}
COMPANION_IDS = {c.id for c in PKG.companions}
NEW_VOTER = {
    "nik": "1810054508900003",
    "name": "SRI LESTARI",
    "sex": "P",
    "birth_date": "1990-08-05",
    "address": "Dusun Sukamaju I",
    "rt": "001",
    "rw": "002",
    "reason": "pindahan, punya KTP",
}


# ---------------------------------------------------------------- garbage
# any text, lone surrogates included (test_free_text_with_a_lone_surrogate_is_refused: the canonical
# JSON encoder once crashed on them)
TEXT = st.text(max_size=40)
HUGE = st.sampled_from(["x" * 100_000, "9" * 16_000, "\n" * 5_000, "é" * 70_000, "DPT-0001" * 9_000])
CONTROL = st.builds(
    lambda a, c, b: a + c + b,
    TEXT,
    st.text(st.characters(max_codepoint=31, exclude_characters="\n"), min_size=1, max_size=3),
    TEXT,
)
NIKS = st.from_regex(r"\A[0-9]{16}\Z") | st.from_regex(r"\A[0-9 .\-]{8,24}\Z")
DATE_TEXT = st.dates().map(dt.date.isoformat) | st.sampled_from(["2025-02-30", "16-11-2025", "0000-00-00"])
SOME_NOT_TEXT = (
    st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([-1, 0, 1, 2**63, -(2**63)])
    | st.floats()
    | st.dates()
    | st.datetimes()
    | st.binary(max_size=40)
)
NOT_TEXT_SCALARS = st.none() | SOME_NOT_TEXT
SCALARS = NOT_TEXT_SCALARS | TEXT | HUGE | CONTROL | NIKS | DATE_TEXT
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=5,
)
GARBAGE = SCALARS | st.lists(SCALARS, max_size=3) | st.dictionaries(TEXT, SCALARS, max_size=3)
CONTAINERS = st.lists(SCALARS, max_size=3) | st.dictionaries(TEXT, SCALARS, max_size=3)
NOT_TEXT = NOT_TEXT_SCALARS | CONTAINERS
# lists and dicts too (test_a_token_that_is_a_list_or_a_dict_is_refused: they once raised TypeError)
TOKENS = (SCALARS | CONTAINERS | st.sampled_from(["", " ", "None", "null"])).filter(lambda v: not _is_valid_token(v))
_VALID_TOKENS: set[str] = set()


def _is_valid_token(value) -> bool:
    return isinstance(value, str) and value in _VALID_TOKENS


def not_in(valid) -> Callable[[Any], bool]:
    """A filter: a value that is not one of the ``valid`` texts (the number 1 is garbage, "1" is not)."""
    valid = set(valid)
    return lambda v: not (isinstance(v, str) and v in valid)


def bad_text(limit: int, *, required: bool = False) -> st.SearchStrategy:
    """Values the free-text rule (``_check_text``) must refuse: not text, too long, control characters;
    if ``required``, also None and blanks."""
    not_text = NOT_TEXT if required else SOME_NOT_TEXT | CONTAINERS  # None means "no text" there
    too_long = st.integers(limit + 1, limit + 3_000).map(lambda n: "x" * n) | HUGE.filter(lambda s: len(s) > limit)
    options = not_text | too_long | CONTROL
    if required:
        options = options | st.sampled_from(["", " ", "\n", "   \n  "])
    return options


def ids(*valid) -> st.SearchStrategy:
    """Garbage for an identifier-like argument: anything but the valid values."""
    return GARBAGE.filter(not_in(valid))


# ---------------------------------------------------------------- booths at the right step
@dataclass
class Place:
    """A booth standing at one step of the day, with live tokens (the clock stands still while fuzzing)."""

    booth: Booth
    ketua: str | None = None
    teknisi: str | None = None
    release: str | None = None
    extra: dict = field(default_factory=dict)  # a station's desk and booth: the other side's keys and messages

    @property
    def svc(self):
        return self.booth.svc


_PLACES: dict[str, Place] = {}
_ROOT: list[Path] = []


def _root() -> Path:
    if not _ROOT:
        _ROOT.append(fast_tmp("booth-bad-input-"))
    return _ROOT[0]


def place(name: str) -> Place:
    """The booth for ``name``, built on first use:

    * ``configured`` — package loaded, nobody has a PIN yet, no custody step;
    * ``handed_over`` — PINs made, custody up to the handover (``installed`` comes next);
    * ``idle`` — polls open, DPT-0001 has voted, nobody in the booth;
    * ``voting`` / ``printing`` / ``photo`` — as idle, and DPT-0002 is in the booth at that step;
    * ``counted`` — polls closed and counted, results printed.
    """
    if name in _PLACES:
        return _PLACES[name]
    folder = _root() / name
    if name in ("desk", "booth"):
        return _station_places()[name]
    if name == "configured":
        p = Place(provision(folder, pins=False))
    elif name == "handed_over":
        booth = provision(folder)
        svc = booth.svc
        svc.record_custody("received", companion_id=TEKNISI, place="Kantor Kecamatan")
        svc.record_custody("distributed", companion_id=TEKNISI, place="Jalan")
        p = Place(booth, booth.sign_in(KETUA), booth.sign_in(TEKNISI))
        svc.record_custody("handed_over", token=p.ketua, place="Balai Pekon")
    else:
        booth = cloned_booth(folder)
        svc = booth.svc
        vote(svc, "DPT-0001", "1")
        p = Place(booth)
        if name in ("voting", "printing", "checking", "disputed", "photo"):
            token = booth.sign_in(KETUA)
            svc.check_in(token, "DPT-0002")
            p.release = svc.release_ballot(token, "DPT-0002")["release"]
            booth.clock.advance(60)
            if name != "voting":
                svc.cast(p.release, "2")
            if name in ("checking", "disputed", "photo"):
                svc.slip_printed(p.release)
            if name == "disputed":
                svc.slip_disputed(p.release)
            if name == "photo":
                svc.slip_confirmed(p.release)
        elif name == "counted":
            booth.clock.set(closes_at() + dt.timedelta(minutes=1))
            token = booth.sign_in(KETUA)
            svc.close_polls(token)
            svc.count(token)
            svc.results_printed(token)
        elif name != "idle":
            raise KeyError(name)
        p.ketua, p.teknisi = booth.sign_in(KETUA), booth.sign_in(TEKNISI)
    _VALID_TOKENS.update(t for t in (p.ketua, p.teknisi) if t)
    _PLACES[name] = p
    return p


def _station_places() -> dict[str, Place]:
    """A polling station's ``desk`` (DPT-0001 voted at booth 1, DPT-0003 voted at booth 2 and waits
    for the photo, DPT-0002 checked in) and its ``booth`` 1 (idle), with a spare booth's key."""
    from station_day import cloned_station, make_device

    st = cloned_station(_root() / "station", booths=2)
    st.vote("DPT-0001", booth=1, choice="1")
    photo_due = st.release("DPT-0003", booth=2)
    booth2 = st.booths[2].svc
    booth2.accept_release(photo_due["token"])
    booth2.cast(photo_due["release"], "2")
    booth2.slip_printed(photo_due["release"])
    booth2.slip_confirmed(photo_due["release"])
    st.desk.svc.release_returned(booth2.release_outcome(photo_due["release"]))
    st.desk.svc.check_in(st.token(), "DPT-0002")
    spare = make_device(_root() / "spare", "booth", st.clock)
    desk = Place(st.desk, release=photo_due["release"], extra={"spare": spare.svc.ledger.key.verifier_key()})
    booth = Place(st.booths[1], extra={"desk": st.desk.svc.ledger.key.verifier_key()})
    for place_, device in ((desk, st.desk), (booth, st.booths[1])):
        place_.ketua, place_.teknisi = device.sign_in(KETUA), device.sign_in(TEKNISI)
        _VALID_TOKENS.update((place_.ketua, place_.teknisi))
    st.booths[2].close()
    spare.close()
    _PLACES.update(desk=desk, booth=booth)
    return {"desk": desk, "booth": booth}


BOOTH_NUMBERS = GARBAGE.filter(lambda v: not (isinstance(v, int) and 1 <= v <= 6))


@pytest.fixture(scope="module", autouse=True)
def _clean_up():
    yield
    for p in _PLACES.values():
        p.booth.close()
    _PLACES.clear()
    if _ROOT:
        shutil.rmtree(_ROOT.pop(), ignore_errors=True)


# ---------------------------------------------------------------- the check
def snapshot(svc) -> dict:
    """What a person (or the kiosk) can see of the booth, except the log size (checked separately)."""
    status = svc.status()
    status.pop("log_size")
    return {
        "status": status,
        "election": svc.election_info() if svc.package else None,
        "custody": svc.custody_trail(),
        "committee_key": svc.ledger.get_state("committee_key"),
        "ballots": sorted(svc.ledger.tally().items()),
    }


def assert_refused_and_unchanged(svc, call, *, logged=frozenset(), may_answer=False, what="", screen_sized=True):
    """Run ``call``: it must raise a BoothError with words (or, if ``may_answer``, answer) and
    change nothing but the events in ``logged``.  Returns the error (or None)."""
    before, size = snapshot(svc), svc.ledger.size
    error = None
    try:
        call()
    except BoothError as exc:
        error = exc
        assert isinstance(exc.message_id, str) and exc.message_id.strip(), f"{what}: no Indonesian words"
        assert isinstance(exc.message_en, str) and exc.message_en.strip(), f"{what}: no English words"
        assert exc.message_id != exc.message_en, f"{what}: the Indonesian message is the English one"
        if screen_sized:
            assert len(exc.message_id) <= 1000 and len(exc.message_en) <= 1000, f"{what}: a message no screen can show"
        json.dumps(exc.to_json())  # the socket API must be able to send it
    else:
        assert may_answer, f"{what}: garbage was accepted"
    added = [e.type for e in svc.ledger.entries(size)]
    assert set(added) <= set(logged), f"{what}: refused but logged {added}"
    assert snapshot(svc) == before, f"{what}: the refusal changed the booth"
    return error


@dataclass(frozen=True)
class Case:
    """One argument of one method, fuzzed at one step of the day."""

    name: str
    where: str
    call: Callable[[Place, Any], Any]
    garbage: st.SearchStrategy
    logged: frozenset = frozenset()
    may_answer: bool = False


def _dptb(**change):
    def call(p, g):
        kwargs = {**NEW_VOTER, **change}
        kwargs = {k: (g if v is _G else v) for k, v in kwargs.items()}
        return p.svc.add_dptb(p.ketua, **kwargs)

    return call


_G = object()  # "the garbage goes here"
WRONG_PIN_EVENTS = frozenset({"companion.login_failed", "companion.locked"})
NOT_A_GOOD_PIN = GARBAGE.filter(
    lambda v: not (isinstance(v, str) and v.isascii() and v.isdigit() and 6 <= len(v) <= 12 and len(set(v)) > 1)
) | st.sampled_from(["111111", "000000", "123456", "987654", "12345", "1234567890"])
NOT_A_JPEG = (
    GARBAGE.filter(lambda v: not (isinstance(v, (bytes, bytearray)) and v[:3] == JPEG_START))
    | st.binary(min_size=1, max_size=64).filter(lambda b: b[:3] != JPEG_START)
    | st.just(JPEG_START + b"\0" * MAX_PHOTO_BYTES)
)
STAGES = ("received", "distributed", "handed_over", "installed")
SELECTIONS = ("1", "2", "3")

CASES = [
    # a polling station's desk and booth (booth.service.station): garbage messages and arguments
    Case("pairing_code peer_verifier_key", "desk", lambda p, g: p.svc.pairing_code(g), GARBAGE),
    Case("pair_booth token", "desk", lambda p, g: p.svc.pair_booth(g, 3, p.extra["spare"], "000 000"), TOKENS),
    Case("pair_booth number", "desk", lambda p, g: p.svc.pair_booth(p.ketua, g, p.extra["spare"], "1"), BOOTH_NUMBERS),
    Case("pair_booth booth_verifier_key", "desk", lambda p, g: p.svc.pair_booth(p.ketua, 3, g, "1"), GARBAGE),
    Case("pair_booth code", "desk", lambda p, g: p.svc.pair_booth(p.ketua, 3, p.extra["spare"], g), GARBAGE),
    Case("issue_release token", "desk", lambda p, g: p.svc.issue_release(g, "DPT-0002", 1), TOKENS),
    Case("issue_release voter_ref", "desk", lambda p, g: p.svc.issue_release(p.ketua, g, 1), ids("DPT-0002")),
    Case("issue_release booth", "desk", lambda p, g: p.svc.issue_release(p.ketua, "DPT-0002", g), BOOTH_NUMBERS),
    Case("release_returned outcome", "desk", lambda p, g: p.svc.release_returned(g), GARBAGE),
    Case("closing_received statement", "desk", lambda p, g: p.svc.closing_received(g), GARBAGE),
    Case("export_station token", "desk", lambda p, g: p.svc.export_station(g, str(_root())), TOKENS),
    Case(
        "export_station folder",
        "desk",
        lambda p, g: p.svc.export_station(p.ketua, g),
        GARBAGE | st.sampled_from(["", ".", "/", "/dev/null", "/nonexistent", "/media/usb/" + "x" * 5000]),
    ),
    Case(
        "cancel_station_release token",
        "desk",
        lambda p, g: p.svc.cancel_station_release(g, p.release, "mati"),
        TOKENS,
    ),
    Case(
        "cancel_station_release release_id",
        "desk",
        lambda p, g: p.svc.cancel_station_release(p.ketua, g, "mati"),
        GARBAGE,
    ),
    Case(
        "cancel_station_release reason",
        "desk",
        lambda p, g: p.svc.cancel_station_release(p.ketua, p.release, g),
        bad_text(200, required=True),
    ),
    Case("station_photo release_id", "desk", lambda p, g: p.svc.station_photo(g, JPEG), ids()),
    Case("station_photo jpeg", "desk", lambda p, g: p.svc.station_photo(p.release, g), NOT_A_JPEG),
    Case("station_skip_photo token", "desk", lambda p, g: p.svc.station_skip_photo(g, p.release, "menolak"), TOKENS),
    Case("station_skip_photo release_id", "desk", lambda p, g: p.svc.station_skip_photo(p.ketua, g, "menolak"), ids()),
    Case(
        "station_skip_photo reason",
        "desk",
        lambda p, g: p.svc.station_skip_photo(p.ketua, p.release, g),
        bad_text(200, required=True),
    ),
    Case("station_results token", "desk", lambda p, g: p.svc.station_results(g, {}), TOKENS),
    Case("station_results closings", "desk", lambda p, g: p.svc.station_results(p.ketua, g), GARBAGE),
    Case("pair_desk token", "booth", lambda p, g: p.svc.pair_desk(g, p.extra["desk"], 1, "1"), TOKENS),
    Case("pair_desk desk_verifier_key", "booth", lambda p, g: p.svc.pair_desk(p.ketua, g, 1, "1"), GARBAGE),
    Case("pair_desk number", "booth", lambda p, g: p.svc.pair_desk(p.ketua, p.extra["desk"], g, "1"), GARBAGE),
    Case("pair_desk code", "booth", lambda p, g: p.svc.pair_desk(p.ketua, p.extra["desk"], 1, g), GARBAGE),
    Case("accept_release token", "booth", lambda p, g: p.svc.accept_release(g), GARBAGE),
    Case("release_outcome release_id", "booth", lambda p, g: p.svc.release_outcome(g), GARBAGE),
    Case("release_revoked notice", "booth", lambda p, g: p.svc.release_revoked(g), GARBAGE),
    Case("checkpoint_offer since", "booth", lambda p, g: p.svc.checkpoint_offer(g), GARBAGE, may_answer=True),
    Case("station_outbox after (desk)", "desk", lambda p, g: p.svc.station_outbox(g), GARBAGE, may_answer=True),
    Case("station_outbox after (booth)", "booth", lambda p, g: p.svc.station_outbox(g), GARBAGE, may_answer=True),
    Case("watch_peer label", "booth", lambda p, g: p.svc.watch_peer(g, b"offer"), GARBAGE),
    Case("watch_peer offer", "booth", lambda p, g: p.svc.watch_peer("meja", g), GARBAGE),
    Case("roster_accept roster", "booth", lambda p, g: p.svc.roster_accept(g), GARBAGE),
    # companions and the committee
    Case("sign_in companion_id", "idle", lambda p, g: p.svc.sign_in(g, PINS[KETUA]), ids(*COMPANION_IDS)),
    Case("sign_in pin", "idle", lambda p, g: p.svc.sign_in("PT-03", g), ids(PINS["PT-03"]), WRONG_PIN_EVENTS),
    Case("sign_out token", "idle", lambda p, g: p.svc.sign_out(g), TOKENS, may_answer=True),
    Case("whoami token", "idle", lambda p, g: p.svc.whoami(g), TOKENS),
    Case(
        "set_first_pin companion_id", "configured", lambda p, g: p.svc.set_first_pin(g, "258001"), ids(*COMPANION_IDS)
    ),
    Case("set_first_pin pin", "configured", lambda p, g: p.svc.set_first_pin(KETUA, g), NOT_A_GOOD_PIN),
    Case("committee_reset text", "idle", lambda p, g: p.svc.committee_reset(g), GARBAGE),
    Case("power_changed state", "idle", lambda p, g: p.svc.power_changed(g), ids("mains", "battery", "low_battery")),
    # not bytes too (test_pinning_a_committee_key_that_is_not_bytes_is_refused)
    Case(
        "pin_committee_key raw",
        "configured",
        lambda p, g: p.svc.pin_committee_key(g),
        st.binary(max_size=80).filter(lambda b: len(b) != 32) | GARBAGE.filter(lambda v: not isinstance(v, bytes)),
    ),
    # custody and the hardware self-test
    Case(
        "record_custody stage",
        "handed_over",
        lambda p, g: p.svc.record_custody(g, token=p.ketua, place="Balai", self_test=dict(SELF_TEST)),
        ids(*STAGES),
    ),
    Case(
        "record_custody token",
        "handed_over",
        lambda p, g: p.svc.record_custody("installed", token=g, place="Balai", self_test=dict(SELF_TEST)),
        TOKENS.filter(lambda v: v is not None),
    ),
    Case(
        "record_custody companion_id",
        "configured",
        lambda p, g: p.svc.record_custody("received", companion_id=g),
        ids(*COMPANION_IDS),
    ),
    Case(
        "record_custody place",
        "handed_over",
        lambda p, g: p.svc.record_custody("installed", token=p.ketua, place=g, self_test=dict(SELF_TEST)),
        bad_text(120),
    ),
    Case(
        "record_custody note",
        "handed_over",
        lambda p, g: p.svc.record_custody("installed", token=p.ketua, note=g, self_test=dict(SELF_TEST)),
        bad_text(500),
    ),
    # non-empty tables of non-text results too (test_a_self_test_that_is_not_json_is_refused)
    Case(
        "record_custody self_test",
        "handed_over",
        lambda p, g: p.svc.record_custody("installed", token=p.ketua, self_test=g),
        GARBAGE.filter(lambda v: not isinstance(v, dict))
        | st.just({})
        | st.dictionaries(TEXT, NOT_TEXT, min_size=1, max_size=3),
    ),
    Case("record_self_test token", "idle", lambda p, g: p.svc.record_self_test(g, dict(SELF_TEST)), TOKENS),
    Case(
        "record_self_test results",
        "idle",
        lambda p, g: p.svc.record_self_test(p.teknisi, g),
        GARBAGE.filter(lambda v: not isinstance(v, dict)) | st.dictionaries(TEXT, NOT_TEXT, min_size=1, max_size=3),
    ),
    # the polls
    Case("zero_report token", "handed_over", lambda p, g: p.svc.zero_report(g), TOKENS),
    Case("zero_report_printed token", "handed_over", lambda p, g: p.svc.zero_report_printed(g), TOKENS),
    Case("open_polls token", "handed_over", lambda p, g: p.svc.open_polls(g), TOKENS),
    Case("pause token", "photo", lambda p, g: p.svc.pause(g, "istirahat"), TOKENS),
    Case("pause reason", "photo", lambda p, g: p.svc.pause(p.ketua, g), bad_text(200)),
    Case("resume token", "idle", lambda p, g: p.svc.resume(g), TOKENS),
    Case("close_polls token", "idle", lambda p, g: p.svc.close_polls(g, "listrik padam"), TOKENS),
    Case(
        "close_polls reason (early)", "idle", lambda p, g: p.svc.close_polls(p.ketua, g), bad_text(300, required=True)
    ),
    Case("count token", "idle", lambda p, g: p.svc.count(g), TOKENS),
    Case("results_printed token", "counted", lambda p, g: p.svc.results_printed(g), TOKENS),
    Case("export token", "counted", lambda p, g: p.svc.export(g, str(_root() / "never.zip")), TOKENS),
    Case("pack token", "counted", lambda p, g: p.svc.pack(g), TOKENS),
    Case("verify_ledger token", "idle", lambda p, g: p.svc.verify_ledger(g), TOKENS),
    # voters
    Case("search_voters token", "idle", lambda p, g: p.svc.search_voters(g, "budi"), TOKENS),
    Case("search_voters query", "idle", lambda p, g: p.svc.search_voters(p.teknisi, g), GARBAGE, may_answer=True),
    Case("check_in token", "idle", lambda p, g: p.svc.check_in(g, "DPT-0003"), TOKENS),
    Case("check_in voter_ref", "idle", lambda p, g: p.svc.check_in(p.teknisi, g), ids(*VOTER_REFS)),
    Case("view_photo token", "idle", lambda p, g: p.svc.view_photo(g, "DPT-0001"), TOKENS),
    Case("view_photo voter_ref", "idle", lambda p, g: p.svc.view_photo(p.ketua, g), ids(*VOTER_REFS)),
    Case("candidate_photo number", "idle", lambda p, g: p.svc.candidate_photo(g), GARBAGE, may_answer=True),
    Case("add_dptb token", "idle", lambda p, g: p.svc.add_dptb(g, **NEW_VOTER), TOKENS),
    Case("add_dptb nik", "idle", _dptb(nik=_G), ids(NEW_VOTER["nik"])),
    Case("add_dptb name", "idle", _dptb(name=_G), bad_text(100, required=True)),
    Case("add_dptb sex", "idle", _dptb(sex=_G), ids("P", "L")),
    Case("add_dptb birth_date", "idle", _dptb(birth_date=_G), ids(NEW_VOTER["birth_date"])),
    Case("add_dptb address", "idle", _dptb(address=_G), bad_text(200)),
    Case("add_dptb rt", "idle", _dptb(rt=_G), bad_text(200)),
    Case("add_dptb rw", "idle", _dptb(rw=_G), bad_text(200)),
    Case("add_dptb reason", "idle", _dptb(reason=_G), bad_text(200, required=True)),
    # the voter's session
    Case("release_ballot token", "idle", lambda p, g: p.svc.release_ballot(g, "DPT-0003"), TOKENS),
    Case("release_ballot voter_ref", "idle", lambda p, g: p.svc.release_ballot(p.teknisi, g), ids(*VOTER_REFS)),
    Case("cast release_id", "voting", lambda p, g: p.svc.cast(g, "1"), ids("R0002")),
    Case("cast selection", "voting", lambda p, g: p.svc.cast(p.release, g), ids(*SELECTIONS)),
    Case("cancel_release token", "voting", lambda p, g: p.svc.cancel_release(g, p.release, "pulang"), TOKENS),
    Case("cancel_release release_id", "voting", lambda p, g: p.svc.cancel_release(p.ketua, g, "pulang"), ids("R0002")),
    Case(
        "cancel_release reason",
        "voting",
        lambda p, g: p.svc.cancel_release(p.ketua, p.release, g),
        bad_text(200, required=True),
    ),
    Case("expire_release release_id", "voting", lambda p, g: p.svc.expire_release(g), GARBAGE),
    Case("slip_printed release_id", "printing", lambda p, g: p.svc.slip_printed(g), ids("R0002")),
    Case("slip_failed release_id", "printing", lambda p, g: p.svc.slip_failed(g, "kertas habis"), ids("R0002")),
    Case("slip_failed error", "printing", lambda p, g: p.svc.slip_failed(p.release, g), bad_text(200)),
    Case("reprint_slip token", "printing", lambda p, g: p.svc.reprint_slip(g), TOKENS),
    Case("slip_confirmed release_id", "checking", lambda p, g: p.svc.slip_confirmed(g), ids("R0002")),
    Case("slip_disputed release_id", "checking", lambda p, g: p.svc.slip_disputed(g), ids("R0002")),
    Case("spoil_ballot token", "disputed", lambda p, g: p.svc.spoil_ballot(g, p.release), TOKENS),
    Case("spoil_ballot release_id", "disputed", lambda p, g: p.svc.spoil_ballot(p.teknisi, g), ids("R0002")),
    Case("escalate_dispute token", "disputed", lambda p, g: p.svc.escalate_dispute(g, p.release, "x"), TOKENS),
    Case(
        "escalate_dispute release_id",
        "disputed",
        lambda p, g: p.svc.escalate_dispute(p.teknisi, g, "tetap menyanggah"),
        ids("R0002"),
    ),
    Case(
        "escalate_dispute note",
        "disputed",
        lambda p, g: p.svc.escalate_dispute(p.teknisi, p.release, g),
        bad_text(200, required=True),
    ),
    Case("store_photo release_id", "photo", lambda p, g: p.svc.store_photo(g, JPEG), ids("R0002")),
    Case("store_photo jpeg", "photo", lambda p, g: p.svc.store_photo(p.release, g), NOT_A_JPEG),
    Case("photo_failed release_id", "photo", lambda p, g: p.svc.photo_failed(g, "kamera"), ids("R0002")),
    Case("photo_failed error", "photo", lambda p, g: p.svc.photo_failed(p.release, g), bad_text(200)),
    Case("skip_photo token", "photo", lambda p, g: p.svc.skip_photo(g, p.release, "menolak"), TOKENS),
    Case("skip_photo release_id", "photo", lambda p, g: p.svc.skip_photo(p.ketua, g, "menolak"), ids("R0002")),
    Case(
        "skip_photo reason", "photo", lambda p, g: p.svc.skip_photo(p.ketua, p.release, g), bad_text(200, required=True)
    ),
    # the package: paths that are not text (test_a_package_path_that_is_not_text_is_refused) and
    # huge paths (test_a_refusal_is_a_message_a_screen_can_show) too
    Case(
        "load_election package_path",
        "configured",
        lambda p, g: p.svc.load_election(g),
        TEXT
        | CONTROL
        | NIKS
        | NOT_TEXT
        | HUGE
        | st.sampled_from(["", ".", "/", "/dev/null", "/nonexistent/pkg.zip", "/media/usb/" + "x" * 300]),
    ),
]


def test_every_method_that_takes_arguments_is_fuzzed():
    """A new API method must get its fuzz cases here (or be added to the no-argument list)."""
    import inspect

    from booth.service import BoothService

    no_arguments = {
        "status",
        "peers_seen",
        "station_peers",
        "counts",
        "election_info",
        "custody_trail",
        "voter_screen",
        "results",
        "close",
        "device_fingerprint",
        "latest_checkpoint",
        "provision",
        "open",
    }
    methods = {n for n, f in inspect.getmembers(BoothService, callable) if not n.startswith("_")}
    fuzzed = {c.name.split()[0] for c in CASES}
    assert methods - no_arguments - fuzzed == set()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@FUZZ
@given(data=st.data())
def test_garbage_arguments_are_refused_and_change_nothing(case, data):
    p = place(case.where)
    garbage = data.draw(case.garbage, label=case.name)
    assert_refused_and_unchanged(
        p.svc,
        lambda: case.call(p, garbage),
        logged=case.logged,
        may_answer=case.may_answer,
        what=f"{case.name}={garbage!r:.80}",
    )


def test_the_methods_without_arguments_answer_at_every_step():
    """status, counts and friends never fail, whatever step the booth is at."""
    for name in ("configured", "handed_over", "idle", "voting", "printing", "photo", "counted"):
        svc = place(name).svc
        json.dumps([svc.status(), svc.counts(), svc.election_info(), svc.custody_trail(), svc.voter_screen()])
        if name == "counted":
            assert svc.results()["reconciliation"]["balanced"]


def test_a_wrong_pin_is_logged_as_a_refusal_and_nothing_else():
    """The one refusal that must log: the miss counts towards the lockout, across restarts."""
    p = place("idle")
    before = p.svc.ledger.size
    with pytest.raises(BoothError) as refused:
        p.svc.sign_in(TEKNISI, ["2", "5", "8", "0", "0", "2"])
    assert refused.value.code in ("wrong_pin", "locked_out")
    added = list(p.svc.ledger.entries(before))
    assert all(e.type in WRONG_PIN_EVENTS and e.payload["companion"] == TEKNISI for e in added)
    assert p.svc.sign_in(TEKNISI, PINS[TEKNISI])  # one miss does not lock anyone out


# ---------------------------------------------------------------- election packages
def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def _state_view(p: Place) -> tuple:
    names = sorted(x.name for x in p.booth.state_dir.iterdir() if not x.name.endswith(("-wal", "-shm")))
    return snapshot(p.svc), p.svc.ledger.size, names, _tree_digest(p.booth.state_dir / "election")


_COPIES = [0]


def _fresh_copy(tag: str) -> Path:
    """A private copy of the signed demo package folder."""
    _COPIES[0] += 1
    target = _root() / "packages" / f"{tag}-{_COPIES[0]}"
    shutil.copytree(demo_package()[0], target)
    return target


PACKAGE_FILES = [
    "election.json",
    "committee.json",
    "dpt.csv",
    "README.txt",
    "manifest.json",
    "manifest.sig",
    "photos/1.jpg",
    "photos/2.jpg",
    "photos/3.jpg",
]


def _json_paths(value, path=()):
    """Every leaf of a JSON value, as a path of keys and indices."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_paths(v, path + (i,))
    else:
        yield path


def _replace(value, path, new):
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


@st.composite
def package_damage(draw):
    """(description, function that damages a package folder in place)."""
    kind = draw(st.sampled_from(["flip", "truncate", "json_value", "add_file", "delete", "rename_photo", "empty"]))
    name = draw(st.sampled_from(PACKAGE_FILES))
    if kind == "flip":
        where, bit = draw(st.floats(0, 1, exclude_max=True)), draw(st.integers(0, 7))

        def damage(folder):
            data = bytearray((folder / name).read_bytes())
            i = int(where * len(data))
            data[i] ^= 1 << bit
            (folder / name).write_bytes(bytes(data))

        return f"flip bit {bit} at {where:.3f} of {name}", damage
    if kind == "truncate":
        keep = draw(st.floats(0, 1, exclude_max=True))

        def damage(folder):
            data = (folder / name).read_bytes()
            # at least one byte that matters: cutting only a trailing newline (manifest.sig
            # kept to 0.99) leaves the same signature, which is rightly accepted
            (folder / name).write_bytes(data[: min(int(keep * len(data)), len(data.rstrip()) - 1)])

        return f"truncate {name} to {keep:.3f}", damage
    if kind == "json_value":
        name = draw(st.sampled_from(["election.json", "committee.json", "manifest.json"]))
        pick, new = draw(st.integers(0, 10_000)), draw(JSON_VALUES)

        def damage(folder):
            obj = json.loads((folder / name).read_text(encoding="utf-8"))
            paths = list(_json_paths(obj))
            path = paths[pick % len(paths)]
            (folder / name).write_text(json.dumps(_replace(obj, path, new)), encoding="utf-8")

        return f"replace a value in {name} with {new!r:.60}", damage
    if kind == "add_file":
        extra = draw(
            st.sampled_from(
                ["notes.txt", "photos/4.jpg", "dpt-lama.csv", "election.json.bak", "photos/1.JPG.txt", "sub/x.csv"]
            )
        )

        def damage(folder):
            (folder / extra).parent.mkdir(parents=True, exist_ok=True)
            (folder / extra).write_bytes(
                (folder / "photos" / "1.jpg").read_bytes() if extra.endswith("jpg") else b"tambahan\n"
            )

        return f"add {extra}", damage
    if kind == "delete":
        return f"delete {name}", lambda folder: (folder / name).unlink()
    if kind == "rename_photo":
        photo = draw(st.sampled_from(["photos/1.jpg", "photos/2.jpg", "photos/3.jpg"]))
        new_name = draw(st.sampled_from(["photos/1.jpeg", "photos/9.jpg", "photos/1 .jpg", "1.jpg"]))

        def damage(folder):
            target = folder / new_name
            if target.exists():
                target.unlink()
            (folder / photo).rename(target)

        return f"rename {photo} to {new_name}", damage
    return f"empty {name}", lambda folder: (folder / name).write_bytes(b"")


@PACKAGE_FUZZ
@given(damage=package_damage())
def test_a_damaged_package_folder_is_refused_and_changes_nothing(damage):
    what, apply = damage
    p = place("configured")
    folder = _fresh_copy("damaged")
    apply(folder)
    before = _state_view(p)
    error = assert_refused_and_unchanged(p.svc, lambda: p.svc.load_election(str(folder)), what=what)
    assert isinstance(error, PackageRefused), what
    assert error.details.get("problems"), f"{what}: no problem listed"
    assert _state_view(p) == before, f"{what}: the state directory changed"
    shutil.rmtree(folder)


@PACKAGE_FUZZ
@given(
    where=st.floats(0, 1, exclude_max=True),
    value=st.integers(1, 255),
    cut=st.sampled_from([None, None, 0.3, 0.9, 0.999]),
)
def test_a_damaged_package_zip_is_refused_or_is_the_same_election(where, value, cut):
    """A byte of the zip changed: refused, or (a byte the zip format ignores, e.g. a file time)
    loaded as exactly the signed election, never as a different one."""
    p = place("configured")
    folder = _root() / "zips"
    folder.mkdir(exist_ok=True)
    good = folder / "good.zip"
    if not good.exists():
        write_package_zip(demo_package()[0], good)
    data = bytearray(good.read_bytes())
    data[int(where * len(data))] ^= value
    if cut is not None:
        data = data[: int(cut * len(data))]
    bad = folder / "bad.zip"
    bad.write_bytes(bytes(data))
    before = _state_view(p)
    try:
        info = p.svc.load_election(str(bad))
    except PackageRefused as exc:
        assert exc.message_id and exc.message_en and exc.details.get("problems")
        assert _state_view(p) == before
        event("zip refused")
    else:
        event("zip still loads (an ignored byte)")
        assert info["election_id"] == PKG.election_id, "a damaged zip loaded as another election"


def test_the_undamaged_package_still_loads():
    """Control for the tests above: the same folder and zip, undamaged, load."""
    p = Place(provision(_root() / "control", pins=False))
    try:
        assert p.svc.load_election(str(_fresh_copy("control")))["election_id"] == PKG.election_id
        zipped = write_package_zip(demo_package()[0], _root() / "control.zip")
        assert p.svc.load_election(str(zipped))["election_id"] == PKG.election_id
    finally:
        p.booth.close()


# ---------------------------------------------------------------- the DPT, re-signed
def resign(folder: Path, keys: CommitteeKeyPair) -> None:
    """Sign a package folder as the committee's laptop would, but without checking its content
    (``sign_package`` refuses to sign a bad DPT; a careless or hostile signer might not)."""
    files, problems = read_package_files(folder)
    assert not problems
    for name in ("manifest.json", "manifest.sig"):
        files.pop(name, None)
    manifest = make_manifest(files)
    signature = keys.sign_private.sign(SIGNATURE_DOMAIN + manifest)
    (folder / "manifest.json").write_bytes(manifest)
    (folder / "manifest.sig").write_bytes(base64.b64encode(signature) + b"\n")


DPT_TEXT = (demo_package()[0] / "dpt.csv").read_bytes()
DPT_LINES = DPT_TEXT.decode("utf-8").splitlines(keepends=True)
CELL = (
    TEXT
    | NIKS
    | DATE_TEXT
    | st.sampled_from(
        ["", "L", "P", "X", "31-02-1970", "1810050101700001", '"', ",", "\n", "001;002", "\ufeff", "\x00"]
    )
)


@st.composite
def dpt_change(draw):
    """(description, new dpt.csv bytes)."""
    kind = draw(
        st.sampled_from(
            [
                "cell",
                "cell",
                "flip",
                "truncate",
                "duplicate_row",
                "drop_rows",
                "header",
                "encoding",
                "line_endings",
                "extra_column",
            ]
        )
    )
    lines = list(DPT_LINES)
    if kind == "cell":
        row = draw(st.integers(1, len(lines) - 1))
        cells = lines[row].rstrip("\n").split(",")
        column = draw(st.integers(0, len(cells) - 1))
        cells[column] = draw(CELL)
        lines[row] = ",".join(cells) + "\n"
        return f"line {row + 1} column {column} -> {cells[column]!r:.40}", "".join(lines).encode("utf-8", "replace")
    if kind == "flip":
        data = bytearray(DPT_TEXT)
        i = draw(st.integers(0, len(data) - 1))
        data[i] ^= draw(st.integers(1, 255))
        return f"byte {i} changed", bytes(data)
    if kind == "truncate":
        n = draw(st.integers(0, len(DPT_TEXT) - 1))
        return f"truncated to {n} bytes", DPT_TEXT[:n]
    if kind == "duplicate_row":
        row = draw(st.integers(1, len(lines) - 1))
        at = draw(st.integers(1, len(lines)))
        lines.insert(at, lines[row])
        return f"line {row + 1} repeated at {at + 1}", "".join(lines).encode()
    if kind == "drop_rows":
        keep = draw(st.lists(st.integers(1, len(lines) - 1), max_size=20, unique=True))
        return f"only rows {sorted(keep)[:5]}...", "".join([lines[0]] + [lines[i] for i in sorted(keep)]).encode()
    if kind == "header":
        header = lines[0].rstrip("\n").split(",")
        header[draw(st.integers(0, len(header) - 1))] = draw(CELL)
        lines[0] = ",".join(header) + "\n"
        return f"header {lines[0]!r:.60}", "".join(lines).encode("utf-8", "replace")
    if kind == "encoding":
        bom = draw(st.booleans())
        text = "".join(lines).replace("SITI", "SITÍ")
        encoded = text.encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])))
        return f"re-encoded (bom={bom})", (b"\xef\xbb\xbf" if bom else b"") + encoded
    if kind == "line_endings":
        return "CRLF line endings", "".join(lines).replace("\n", "\r\n").encode()
    column = draw(CELL)
    return f"extra column {column!r:.20}", "".join(line.rstrip("\n") + "," + column + "\n" for line in lines).encode(
        "utf-8", "replace"
    )


@PACKAGE_FUZZ
@given(change=dpt_change())
def test_a_resigned_dpt_is_refused_with_line_numbers_or_accepted_only_if_valid(change):
    what, dpt = change
    p = place("configured")
    folder = _fresh_copy("dpt")
    (folder / "dpt.csv").write_bytes(dpt)
    try:
        expected = parse_dpt(dpt, reference_date=PKG.election.date)
    except DptError as exc:
        expected, dpt_problems = None, exc.problems
    try:
        sign_package(folder, KEYS)  # the committee's own tool signs only a valid package
    except PackageError:
        assert expected is None, f"{what}: sign_package refused a valid DPT"
        resign(folder, KEYS)  # ... so sign it the careless way
    else:
        assert expected is not None, f"{what}: sign_package signed an invalid DPT"
    before = _state_view(p)
    event("a valid DPT" if expected is not None else "an invalid DPT")
    if expected is None:
        # screen-sized too: a DPT problem once quoted a whole runaway field
        # (test_a_refusal_is_a_message_a_screen_can_show)
        error = assert_refused_and_unchanged(p.svc, lambda: p.svc.load_election(str(folder)), what=what)
        assert isinstance(error, PackageRefused), what
        problems = error.details["problems"]
        assert problems and all(re.match(r"dpt\.csv:\d+: \S", text) for text in problems), (what, problems[:3])
        shown_lines = {int(text.split(":")[1]) for text in problems}
        assert shown_lines <= {q.line for q in dpt_problems}, what
        assert f"dpt.csv:{dpt_problems[0].line}" in error.message_id, (what, error.message_id)
        assert _state_view(p) == before
    else:
        info = p.svc.load_election(str(folder))
        assert info["election_id"] != PKG.election_id or dpt == DPT_TEXT
        assert p.svc.counts()["dpt"] == len(expected)
        assert [v.ref for v in p.svc.package.voters] == [v.ref for v in expected]
        # back to the demo election for the next example
        p.svc.load_election(str(demo_package()[0]))
    shutil.rmtree(folder)


def test_a_shortened_but_valid_dpt_is_accepted():
    """Control: a re-signed DPT with only some of the voters loads, with exactly those voters."""
    p = Place(provision(_root() / "short-dpt", pins=False))
    try:
        folder = _fresh_copy("short")
        (folder / "dpt.csv").write_bytes("".join(DPT_LINES[:11]).encode())
        resign(folder, KEYS)
        p.svc.load_election(str(folder))
        assert p.svc.counts()["dpt"] == 10
    finally:
        p.booth.close()


# ---------------------------------------------------------------- committee reset files
@pytest.fixture(scope="module")
def locked_booth():
    """A booth whose teknisi PT-03 is locked after 15 wrong PINs (each after the wait has passed)."""
    p = Place(cloned_booth(_root() / "locked"))
    for _ in range(15):
        p.booth.clock.advance(10_000)
        with pytest.raises(BoothError):
            p.svc.sign_in("PT-03", "000000")
    assert any(c["id"] == "PT-03" and c["locked"] for c in p.svc.election_info()["companions"])
    yield p
    p.booth.close()


def _other_keys() -> CommitteeKeyPair:
    return CommitteeKeyPair.generate()


@st.composite
def bad_reset(draw):
    good = make_reset(KEYS.sign_private, PKG.election_id, "PT-03")
    kind = draw(
        st.sampled_from(
            [
                "garbage",
                "body",
                "signature",
                "truncate",
                "other_key",
                "other_election",
                "unknown_companion",
                "no_signature",
                "bytes",
            ]
        )
    )
    if kind == "garbage":
        return kind, draw(GARBAGE)
    if kind == "body":
        body_end = good.index("\n\n")
        i = draw(st.integers(0, body_end - 1))
        c = draw(st.characters(exclude_categories=["Cs"]).filter(lambda ch: ch != good[i]))
        return f"body[{i}]={c!r}", good[:i] + c + good[i + 1 :]
    if kind == "signature":
        start = good.index("\n\n") + len("\n\n— booth-committee ")
        i = draw(st.integers(start, len(good) - 4))  # not the last base64 characters (padding bits)
        c = draw(
            st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").filter(
                lambda ch: ch != good[i]
            )
        )
        return f"signature[{i}]={c}", good[:i] + c + good[i + 1 :]
    if kind == "truncate":
        n = draw(st.integers(0, len(good) - 2))
        return f"truncated to {n}", good[:n]
    if kind == "other_key":
        return kind, make_reset(_other_keys().sign_private, PKG.election_id, "PT-03")
    if kind == "other_election":
        return kind, make_reset(KEYS.sign_private, hashlib.sha256(b"lain").hexdigest(), "PT-03")
    if kind == "unknown_companion":
        return kind, make_reset(KEYS.sign_private, PKG.election_id, draw(st.sampled_from(["PT-99", "pt-03", "X"])))
    if kind == "no_signature":
        return kind, good[: good.index("\n\n") + 1]
    return kind, good.encode()


@FUZZ
@given(reset=bad_reset())
def test_a_bad_committee_reset_file_is_refused_and_the_lock_stays(locked_booth, reset):
    what, text = reset
    p = locked_booth
    assert_refused_and_unchanged(p.svc, lambda: p.svc.committee_reset(text), what=what)
    with pytest.raises(LockedOut):
        p.svc.sign_in("PT-03", PINS["PT-03"])


def test_the_right_reset_file_unlocks_once():
    """Control for the test above, on its own booth: the good file unlocks, a second use is refused."""
    booth = cloned_booth(fast_tmp("booth-reset-") / "s")
    try:
        svc = booth.svc
        for _ in range(15):
            booth.clock.advance(10_000)
            with pytest.raises(BoothError):
                svc.sign_in("PT-03", "000000")
        good = make_reset(KEYS.sign_private, PKG.election_id, "PT-03")
        assert svc.committee_reset(good) == {"companion": "PT-03"}
        assert svc.sign_in("PT-03", PINS["PT-03"])
        with pytest.raises(BadInput):
            svc.committee_reset(good)
    finally:
        booth.close()


# ---------------------------------------------------------------- known bugs (the lead fixes these)
BUG = {"strict": True}


@pytest.mark.parametrize(
    "method, token",
    [
        ("whoami", ["x"]),
        ("whoami", {"token": "x"}),
        ("check_in", ["x"]),
        ("sign_out", ["x"]),
        ("sign_out", []),
        ("sign_out", {}),
    ],
)
def test_a_token_that_is_a_list_or_a_dict_is_refused(method, token):
    """A JSON socket message can carry a list or an object where the token goes."""
    p = place("idle")
    call = {
        "whoami": lambda: p.svc.whoami(token),
        "check_in": lambda: p.svc.check_in(token, "DPT-0003"),
        "sign_out": lambda: p.svc.sign_out(token),
    }[method]
    assert_refused_and_unchanged(p.svc, call, may_answer=method == "sign_out", what=f"{method}({token!r})")


@pytest.mark.parametrize("limit", ["banyak", None, float("inf"), float("nan"), [3]])
def test_a_search_limit_that_is_not_a_number_is_refused(limit):
    p = place("idle")
    assert_refused_and_unchanged(
        p.svc, lambda: p.svc.search_voters(p.teknisi, "budi", limit), may_answer=True, what=f"limit={limit!r}"
    )


@pytest.mark.parametrize(
    "method",
    [
        "pause",
        "cancel_release",
        "slip_failed",
        "photo_failed",
        "skip_photo",
        "add_dptb",
        "record_custody",
        "record_self_test",
        "close_polls",
    ],
)
def test_free_text_with_a_lone_surrogate_is_refused(method):
    text = "listrik \ud800 padam"
    p = {
        "pause": "idle",
        "cancel_release": "voting",
        "slip_failed": "printing",
        "photo_failed": "photo",
        "skip_photo": "photo",
        "add_dptb": "idle",
        "record_custody": "handed_over",
        "record_self_test": "idle",
        "close_polls": "idle",
    }[method]
    p = place(p)
    svc = p.svc
    calls = {
        "pause": lambda: svc.pause(p.ketua, text),
        "cancel_release": lambda: svc.cancel_release(p.ketua, p.release, text),
        "slip_failed": lambda: svc.slip_failed(p.release, text),
        "photo_failed": lambda: svc.photo_failed(p.release, text),
        "skip_photo": lambda: svc.skip_photo(p.ketua, p.release, text),
        "add_dptb": lambda: svc.add_dptb(p.ketua, **{**NEW_VOTER, "name": text}),
        "record_custody": lambda: svc.record_custody("installed", token=p.ketua, note=text, self_test=dict(SELF_TEST)),
        "record_self_test": lambda: svc.record_self_test(p.ketua, {"printer": text}),
        "close_polls": lambda: svc.close_polls(p.ketua, text),
    }
    assert_refused_and_unchanged(svc, calls[method], what=method)


@pytest.mark.parametrize("self_test", [{"printer": 1.5}, {"printer": b"ok"}, {1: "ok"}, {"camera": 2**60}])
def test_a_self_test_that_is_not_json_is_refused(self_test):
    p = place("handed_over")
    assert_refused_and_unchanged(
        p.svc, lambda: p.svc.record_custody("installed", token=p.ketua, self_test=self_test), what="custody"
    )
    if not all(isinstance(v, str) for v in self_test.values()):
        return
    assert_refused_and_unchanged(p.svc, lambda: p.svc.record_self_test(p.ketua, self_test), what="self_test")


@pytest.mark.parametrize("raw", [5, None, [1] * 32, "k" * 32])
def test_pinning_a_committee_key_that_is_not_bytes_is_refused(raw):
    p = place("configured")
    assert_refused_and_unchanged(p.svc, lambda: p.svc.pin_committee_key(raw), what=f"{raw!r:.20}")


@pytest.mark.parametrize(
    "args", [(5,), (None,), ({"path": "x"},), (b"/tmp",), ("PACKAGE", "not a key"), ("PACKAGE", 42)]
)
def test_a_package_path_that_is_not_text_is_refused(args):
    p = place("configured")
    args = [str(demo_package()[0]) if a == "PACKAGE" else a for a in args]
    kwargs = {"trusted_committee_key": args.pop()} if len(args) == 2 else {}
    assert_refused_and_unchanged(p.svc, lambda: p.svc.load_election(*args, **kwargs), what=repr(args))


@pytest.mark.parametrize("out_path", ["/nonexistent-dir/results.zip", 17, None, ""])
def test_an_export_that_cannot_be_written_is_refused_and_not_logged(out_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "" is the current folder: keep stray files out of the repository
    booth = cloned_booth(fast_tmp("booth-export-") / "s")
    try:
        svc = booth.svc
        booth.clock.set(closes_at() + dt.timedelta(minutes=1))
        token = booth.sign_in(KETUA)
        svc.close_polls(token)
        svc.count(token)
        svc.results_printed(token)
        assert_refused_and_unchanged(svc, lambda: svc.export(token, out_path), what=repr(out_path))
        with pytest.raises(BoothError):
            svc.pack(token)  # nothing was exported, so the device must not seal
    finally:
        booth.close()


@pytest.mark.parametrize("nik", [1810054508900003, None, ["1810054508900003"]])
def test_a_nik_that_is_not_text_is_refused_as_a_nik_problem(nik):
    p = place("idle")
    error = assert_refused_and_unchanged(
        p.svc, lambda: p.svc.add_dptb(p.ketua, **{**NEW_VOTER, "nik": nik}), what=repr(nik)
    )
    assert "NIK" in error.message_id, error.message_id


@pytest.mark.parametrize("bad", ["huge path", "stray quote in dpt.csv"])
def test_a_refusal_is_a_message_a_screen_can_show(bad):
    p = place("configured")
    if bad == "huge path":
        path = "/media/usb/" + "paket" * 20_000
    else:
        folder = _fresh_copy("quote")
        lines = list(DPT_LINES)
        lines[1] = '"' + lines[1].split(",", 1)[1]  # the DPT number of line 2 becomes a lone quote
        (folder / "dpt.csv").write_bytes("".join(lines).encode())
        resign(folder, KEYS)
        path = str(folder)
    with pytest.raises(PackageRefused) as refused:
        p.svc.load_election(path)
    assert len(refused.value.message_id) <= 1000, len(refused.value.message_id)
    assert len(refused.value.message_en) <= 1000, len(refused.value.message_en)
