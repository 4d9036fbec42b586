"""A whole election day through the client API, as the companions and voters live it.

Custody from the warehouse to the village, PINs at handover, self-test,
the zero report, opening, 300 voters (some added to the DPTb on the day,
some refused because they already voted, one who walks away, one whose slip
jams the printer, three crashes at different moments of a voter's session),
an early close with a reason, the count, the results report, the export and
packing.  At the end the tally equals the choices the voters made and
``booth verify`` accepts both the device and the exported bundle.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from pathlib import Path

import pytest

from booth.demo_election import make_demo_package
from booth.election_package import load_package
from booth.errors import AlreadyVoted, BadInput, NotAllowed, UnknownVoter
from booth.ledger.clock import FakeClock
from booth.ledger.verify import open_source, verify
from booth.service import BoothService, Settings

JPEG = b"\xff\xd8\xff\xe0" + bytes(200)
SETTINGS = Settings(pin_scrypt_n=2**10)


def utc(local: dt.datetime) -> dt.datetime:
    return local.astimezone(dt.UTC)


class Day:
    """The people in the room: the companions with their PINs, and the device."""

    def __init__(self, tmp: Path):
        self.pkg_dir, self.keys = make_demo_package(tmp / "package", voters=300)
        self.pkg = load_package(self.pkg_dir)
        self.state = tmp / "state"
        self.clock = FakeClock(utc(self.pkg.election.opens_at) - dt.timedelta(days=2))
        self.svc = BoothService.provision(self.state, clock=self.clock, settings=SETTINGS)
        self.pins = {c.id: f"73{i}9{i}5{i}" for i, c in enumerate(self.pkg.companions)}
        self.ketua = next(c.id for c in self.pkg.companions if c.role == "ketua")
        self.teknisi = next(c.id for c in self.pkg.companions if c.role == "teknisi")

    def token(self, who=None):
        who = who or self.ketua
        return self.svc.sign_in(who, self.pins[who])

    def crash_and_restart(self):
        """Power is cut: the process dies without closing anything; the booth boots again."""
        self.svc.ledger.connection.close()
        self.svc = BoothService.open(self.state, clock=self.clock, settings=SETTINGS)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    d = Day(tmp_path_factory.mktemp("day"))
    svc = d.svc
    info = svc.load_election(str(d.pkg_dir))
    assert info["short_id"] == d.pkg.short_id
    svc.record_custody("received", companion_id=d.teknisi, place="Gudang Kecamatan Pagelaran", note="segel utuh")
    d.clock.advance(3600)
    svc.record_custody("distributed", companion_id=d.teknisi, place="Mobil kecamatan", note="")
    d.clock.advance(3600)
    for companion, pin in d.pins.items():
        svc.set_first_pin(companion, pin)
    tok = d.token()
    svc.record_custody("handed_over", token=tok, place="Balai Pekon Sukamaju", note="diterima ketua KPPS")
    svc.record_custody(
        "installed", token=tok, place="TPS 01", note="", self_test={"printer": "ok", "camera": "ok", "buttons": "ok"}
    )
    d.clock.set(utc(d.pkg.election.opens_at) - dt.timedelta(minutes=20))
    tok = d.token()
    zero = svc.zero_report(tok)
    assert zero["counts"]["ballots_stored"] == 0
    svc.zero_report_printed(tok)
    d.clock.set(utc(d.pkg.election.opens_at))
    svc.open_polls(d.token())
    d.choices = Counter()
    d.story = Counter()
    run_the_voting(d)
    return d


def vote(d: Day, voter_ref: str, choice: str, *, crash_at: str | None = None, jam: bool = False):
    svc = d.svc
    d.clock.advance(45)
    tok = d.token()
    svc.check_in(tok, voter_ref)
    release = svc.release_ballot(tok, voter_ref)["release"]
    if crash_at == "before_cast":
        d.crash_and_restart()
        assert d.svc.voter_screen() == {"screen": "waiting"}  # the release was cancelled
        d.story["crash_before_cast"] += 1
        return vote(d, voter_ref, choice)  # the voter is released again and votes once
    d.clock.advance(20)
    slip = svc.cast(release, choice)
    assert slip["selection"] == choice and len(slip["ballot_id"]) == 32
    d.choices[choice] += 1
    if crash_at == "before_slip":
        d.crash_and_restart()
        svc = d.svc
        assert svc.voter_screen()["screen"] == "print_failed"
        again = svc.reprint_slip(d.token(d.teknisi))
        assert again["ballot_id"] == slip["ballot_id"]  # the same ballot, never a second one
        d.story["crash_before_slip"] += 1
    elif jam:
        svc.slip_failed(release, "PaperJam")
        assert svc.voter_screen() == {"screen": "print_failed", "release": release}
        with pytest.raises(NotAllowed):
            svc.cast(release, choice)  # no second cast for the same release
        again = svc.reprint_slip(d.token(d.teknisi))
        assert again["ballot_id"] == slip["ballot_id"]
        d.story["jam"] += 1
    svc.slip_printed(release)
    svc.slip_confirmed(release)  # "Struk sesuai"
    if crash_at == "before_photo":
        d.crash_and_restart()
        svc = d.svc
        assert svc.voter_screen()["screen"] == "photo"
        d.story["crash_before_photo"] += 1
    svc.store_photo(release, JPEG)
    assert svc.voter_screen() == {"screen": "waiting"}


def run_the_voting(d: Day):
    rng = random.Random(2025)
    voters = list(d.pkg.voters)
    rng.shuffle(voters)
    special = {20: "before_cast", 120: "before_slip", 220: "before_photo"}
    for i, voter in enumerate(voters[:292]):
        vote(d, voter.ref, rng.choice(["1", "2", "3"]), crash_at=special.get(i), jam=(i == 77))
        if i == 150:  # a voter who already voted comes back: refused, their photo is shown
            tok = d.token()
            with pytest.raises(AlreadyVoted) as refused:
                d.svc.check_in(tok, voters[3].ref)
            assert refused.value.details["has_photo"]
            assert d.svc.view_photo(tok, voters[3].ref) == JPEG
            d.story["refused"] += 1
        if i == 160:  # a voter walks away after the release: the companion cancels it
            tok = d.token()
            walker = voters[299]
            d.svc.check_in(tok, walker.ref)
            release = d.svc.release_ballot(tok, walker.ref)["release"]
            d.svc.cancel_release(tok, release, "pemilih pergi / voter left")
            d.story["walked_away"] += 1
    # voters not on the DPT, added to the DPTb on the day
    for _n, (nik, name, sex, born) in enumerate(
        [
            ("1810054407950003", "SITI AMINAH", "P", "1995-07-04"),
            ("1810051203880002", "BUDI SANTOSO", "L", "1988-03-12"),
            ("1810056510010004", "RINA MARLINA", "P", "2001-10-25"),
            ("1810050101700009", "SUPARMAN", "L", "1970-01-01"),
            ("1810054112990001", "DEWI LESTARI", "P", "1999-12-01"),
        ]
    ):
        tok = d.token()
        row = d.svc.add_dptb(
            tok,
            nik=nik,
            name=name,
            sex=sex,
            birth_date=born,
            address="Dusun II",
            rt="002",
            rw="001",
            reason="pindah domisili / moved here",
        )
        assert row["list"] == "DPTB" or row["ref"].startswith("DPTB-")
        vote(d, row["ref"], rng.choice(["1", "2", "3"]))
        d.story["dptb"] += 1


def test_every_ballot_was_counted_as_cast(day):
    c = day.svc.counts()
    assert c["ballots_cast"] == c["ballots_stored"] == c["voted"] == sum(day.choices.values()) == 297
    assert c["dptb"] == 5 and c["refused"] == 1 and c["cancelled"] >= 2  # walk-away + crash before cast
    assert c["reprints"] == 2 and c["slip_failures"] == 2
    assert day.story == Counter(
        crash_before_cast=1, crash_before_slip=1, crash_before_photo=1, jam=1, refused=1, walked_away=1, dptb=5
    )


def second_visit(d: Day) -> dict:
    """While the polls are open, a voter who already voted comes back, and someone not on the DPT."""
    if not hasattr(d, "visits"):
        tok = d.token()
        voted = next(iter(v for v in d.pkg.voters if d.svc._voter_row(v)["status"] == "voted"))
        with pytest.raises(AlreadyVoted) as again:
            d.svc.check_in(tok, voted.ref)
        with pytest.raises(UnknownVoter) as stranger:
            d.svc.check_in(tok, "DPT-9999")
        d.visits = {"again": again.value, "stranger": stranger.value}
    return d.visits


def test_a_voter_can_never_vote_twice(day):
    visits = second_visit(day)
    assert isinstance(visits["again"], AlreadyVoted)
    assert isinstance(visits["stranger"], UnknownVoter)


# The evening's acts, each done once on the module's day whichever test asks first, so that every
# test below also passes alone (``pytest -k``), in any order, or on its own pytest-xdist worker.
def close_early(d: Day) -> dict:
    """Half an hour before closing time the ketua closes the polls: first without a reason, then with one."""
    second_visit(d)  # while the polls are still open
    if not hasattr(d, "closing"):
        svc = d.svc
        d.clock.set(utc(d.pkg.election.closes_at) - dt.timedelta(minutes=30))
        tok = d.token()
        with pytest.raises(NotAllowed) as no_reason:
            svc.close_polls(tok)
        svc.close_polls(tok, reason="Semua pemilih DPT sudah hadir / everyone has voted")
        with pytest.raises(NotAllowed) as after:
            svc.release_ballot(tok, d.pkg.voters[0].ref)
        event = [e for e in svc.ledger.entries() if e.type == "polls.closed"][-1]
        d.closing = {"no_reason": no_reason.value, "event": event, "release_after": after.value}
    return d.closing


def count(d: Day) -> dict:
    """After closing, the count."""
    close_early(d)
    if not hasattr(d, "results"):
        d.results = d.svc.count(d.token())
    return d.results


def print_export_and_pack(d: Day) -> dict:
    """After the count: the results report (twice), the bundle for the district, the device packed."""
    count(d)
    if not hasattr(d, "finish"):
        svc, tok, out = d.svc, d.token(), d.state.parent / "usb"
        out.mkdir()
        with pytest.raises(NotAllowed) as export_first:
            svc.export(tok, str(out / "early.zip"))  # results report first
        svc.results_printed(tok)
        svc.results_printed(tok)  # "print another copy"
        bundle = svc.export(tok, str(out / "hasil-tps01.zip"))
        svc.pack(tok)
        with pytest.raises(NotAllowed) as pause_after:
            svc.pause(d.token(), "x")
        d.finish = {
            "export_first": export_first.value,
            "bundle": bundle,
            "pause_after": pause_after.value,
            "polls": svc.status()["polls"],
            "early_zip": (out / "early.zip").exists(),
        }
        svc.close()
    return d.finish


def test_closing_early_needs_a_reason_and_is_logged(day):
    closing = close_early(day)
    assert "alasan" in closing["no_reason"].message_id
    assert closing["event"].payload["early"] is True and "Semua pemilih" in closing["event"].payload["reason"]
    assert isinstance(closing["release_after"], NotAllowed)


def test_the_count_equals_the_choices_and_everything_reconciles(day):
    results = count(day)
    assert results["tally"] == {k: day.choices[k] for k in ("1", "2", "3")}
    assert results["reconciliation"]["balanced"], results["reconciliation"]
    assert "booth results v1" in results["statement"]


def test_results_are_printed_exported_and_the_device_is_packed(day):
    finish = print_export_and_pack(day)
    assert isinstance(finish["export_first"], NotAllowed) and not finish["early_zip"]
    assert isinstance(finish["pause_after"], NotAllowed)
    assert finish["polls"] == "packed"
    report = verify(open_source(Path(finish["bundle"])))
    assert report.ok, report.problems
    assert report.summary["tally"] == {k: v for k, v in day.choices.items()}
    state = verify(open_source(day.state))
    assert state.ok and state.summary["sealed"], state.problems


def test_the_custody_trail_tells_the_whole_journey(day):
    from booth.ledger.ledger import Ledger

    print_export_and_pack(day)
    with Ledger.open(day.state) as ledger:
        stages = [e.type.split(".")[1] for e in ledger.entries() if e.type.startswith("custody.")]
    assert stages == [
        "received",
        "distributed",
        "handed_over",
        "installed",
        "activated",
        "voting_opened",
        "counting",
        "packed",
    ]


def test_bad_input_on_the_day_changes_nothing(tmp_path):
    d = Day(tmp_path)
    d.svc.load_election(str(d.pkg_dir))
    size = d.svc.ledger.size
    for bad in [
        lambda: d.svc.record_custody("teleported", companion_id=d.teknisi),
        lambda: d.svc.record_custody("received", companion_id="NOBODY"),
        lambda: d.svc.set_first_pin(d.ketua, "1111111"),
        lambda: d.svc.set_first_pin(d.ketua, "12ab56"),
        lambda: d.svc.record_custody("received", companion_id=d.teknisi, place="x" * 1000),
    ]:
        with pytest.raises(BadInput):
            bad()
    assert d.svc.ledger.size == size
