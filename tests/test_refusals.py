"""Refusals: one reason -> words table, and every precondition through the one guard.

The kiosk, the command line and docs/election-day.md show the words of
``booth.refusals.REFUSALS``; the core raises only reasons of that table.  A
packed device refuses with the same words whatever is asked of it — the four
acts that once checked the seal themselves (loading a package, making a PIN,
the committee's lockout reset, a custody step before handover) included.
"""

from __future__ import annotations

import ast
import datetime as dt
import string
from pathlib import Path

import pytest

from booth.committee_reset import make_reset
from booth.errors import BoothError, NotAllowed
from booth.refusals import REFUSALS, markdown_table, refuse
from booth.service.device import PRECONDITIONS
from booth.station import release
from booth.station.roles import NOT_FOR_ROLE
from service_day import JPEG, KETUA, PINS, closes_at, demo_package, ready_to_vote, vote

ROOT = Path(__file__).resolve().parent.parent
SERVICE = sorted((ROOT / "booth" / "service").glob("*.py"))
ERROR_NAMES = {cls.__name__ for cls in [BoothError, *BoothError.__subclasses__()]}


def _refuse_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in SERVICE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "refuse":
                calls.append((path.name, node))
    return calls


def test_the_documented_refusals_are_the_table():
    doc = (ROOT / "docs" / "election-day.md").read_text()
    section = doc.split("<!-- refusals:", 1)[1].split("-->", 1)[1].split("<!-- /refusals -->", 1)[0]
    assert section.strip() == markdown_table(), "regenerate the table from booth.refusals.markdown_table()"


def test_the_core_writes_no_refusal_words_of_its_own():
    for path in SERVICE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ERROR_NAMES, f"{path.name}:{node.lineno} words outside booth.refusals"


def test_every_reason_raised_is_in_the_table_with_its_words_filled_and_every_reason_is_used():
    used = {reason for _, reason in PRECONDITIONS.values()} | {"wrong_polls_state"}
    # the role guard's table, and the station messages' own refusals (booth.station)
    used |= {reason for acts in NOT_FOR_ROLE.values() for reason in acts.values()}
    used |= set(release.UNREADABLE.values()) | set(release.FORGED.values())
    for name, call in _refuse_calls():
        if not (call.args and isinstance(call.args[0], ast.Constant)):
            continue  # the guard's refuse(reason) of a PRECONDITIONS entry
        reason = call.args[0].value
        assert reason in REFUSALS, f"{name}:{call.lineno} refuses with unknown reason {reason!r}"
        used.add(reason)
        wanted = {
            field
            for text in (REFUSALS[reason].id_text, REFUSALS[reason].en_text)
            for _, field, _, _ in string.Formatter().parse(text)
            if field
        }
        given = next((kw.value for kw in call.keywords if kw.arg == "words"), None)
        given_keys = {k.value for k in given.keys} if isinstance(given, ast.Dict) else set()
        assert wanted <= given_keys, f"{name}:{call.lineno} leaves {sorted(wanted - given_keys)} of {reason!r} unfilled"
    assert set(REFUSALS) - used == set(), "reasons nothing raises"


def test_a_refusal_carries_its_words_and_its_details():
    err = refuse("nik_listed", words={"voter": "DPT-0007"}, voter="DPT-0007")
    assert isinstance(err, NotAllowed)
    assert (err.message_id, err.message_en) == (
        "NIK ini sudah terdaftar (DPT-0007)",
        "This NIK is already listed (DPT-0007)",
    )
    assert err.to_json()["details"] == {"voter": "DPT-0007"}
    with pytest.raises(KeyError):
        refuse("no_such_reason")


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """A whole day, through to the device packed and sealed."""
    booth = ready_to_vote(tmp_path_factory.mktemp("refusals") / "state")
    svc = booth.svc
    vote(svc, "DPT-0001", "2")
    booth.clock.set(closes_at() + dt.timedelta(minutes=1))
    token = booth.sign_in(KETUA)
    svc.close_polls(token)
    svc.count(token)
    svc.results_printed(token)
    svc.export(token, str(tmp_path_factory.mktemp("usb") / "hasil.zip"))
    svc.pack(token)
    yield booth
    booth.close()


def test_a_packed_device_refuses_every_act_with_the_same_words(packed):
    svc = packed.svc
    sealed = REFUSALS["sealed"]
    _, keys, pkg = demo_package()
    size = svc.ledger.size
    acts = {
        "load_election": lambda: svc.load_election(str(packed.package_dir)),
        "set_first_pin": lambda: svc.set_first_pin(KETUA, PINS[KETUA]),
        "committee_reset": lambda: svc.committee_reset(make_reset(keys.sign_private, pkg.election_id, KETUA)),
        "record_custody": lambda: svc.record_custody("received", companion_id=KETUA),
        "power_changed": lambda: svc.power_changed("battery"),
    }
    for act, call in acts.items():
        with pytest.raises(NotAllowed) as refused:
            call()
        assert (refused.value.message_id, refused.value.message_en) == (sealed.id_text, sealed.en_text), act
    assert svc.ledger.size == size, "a refusal logs nothing"
    assert svc.status()["sealed"] and svc.verify_ledger()["valid"]


def test_a_photo_step_out_of_order_is_refused_with_the_table_words(service_booth):
    booth = service_booth("open")
    svc = booth.svc
    token = booth.sign_in(KETUA)
    svc.check_in(token, "DPT-0002")
    release = svc.release_ballot(token, "DPT-0002")["release"]
    with pytest.raises(NotAllowed) as refused:
        svc.store_photo(release, JPEG)  # the voter has not voted yet
    words = REFUSALS["out_of_order"]
    assert (refused.value.message_id, refused.value.message_en) == (words.id_text, words.en_text)
    assert refused.value.details == {"stage": "voting"}
    booth.close()
