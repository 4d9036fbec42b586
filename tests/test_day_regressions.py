"""Things that went wrong once in the simulator, as scenarios that must keep working."""

from __future__ import annotations

import datetime as dt

import pytest

from booth.demo_election import make_demo_package
from booth.election_package import load_package
from booth.errors import NotSignedIn
from booth.hardware.devices import open_devices
from booth.kiosk.station import Station
from booth.ledger.clock import FakeClock
from booth.service import BoothService, Settings

SETTINGS = Settings(pin_scrypt_n=2**10)
PINS = {"PT-01": "731953", "PT-02": "846219", "PT-03": "592748"}


@pytest.fixture
def opened(tmp_path):
    """A booth at a village, polls open, with simulated devices."""
    pkg_dir, _ = make_demo_package(tmp_path / "pkg", voters=30)
    pkg = load_package(pkg_dir)
    opens = pkg.election.opens_at.astimezone(dt.UTC)
    clock = FakeClock(opens - dt.timedelta(hours=2))
    svc = BoothService.provision(tmp_path / "state", clock=clock, settings=SETTINGS)
    svc.load_election(str(pkg_dir))
    for c, pin in PINS.items():
        svc.set_first_pin(c, pin)
    station = Station(svc, open_devices(None))
    return svc, station, pkg, clock, tmp_path


def test_a_device_switched_off_between_warehouse_and_village_still_takes_the_first_pins(tmp_path):
    pkg_dir, _ = make_demo_package(tmp_path / "pkg", voters=20)
    svc = BoothService.provision(tmp_path / "state", clock=FakeClock(), settings=SETTINGS)
    svc.load_election(str(pkg_dir))
    svc.record_custody("received", companion_id="PT-02", place="Gudang")
    svc.close()  # carried to the village, switched off
    svc = BoothService.open(tmp_path / "state", clock=FakeClock(), settings=SETTINGS)
    for c, pin in PINS.items():
        svc.set_first_pin(c, pin)
    assert svc.sign_in("PT-03", PINS["PT-03"])
    svc.close()


def _to_open(svc, station, pkg, clock):
    """Custody up to installation, the zero report, and the polls open at opening time."""
    svc.record_custody("received", companion_id="PT-02")
    svc.record_custody("distributed", companion_id="PT-02")
    tok = svc.sign_in("PT-01", PINS["PT-01"])
    svc.record_custody("handed_over", token=tok)
    svc.record_custody("installed", token=tok, self_test={"printer": "ok"})
    station.print_zero_report(tok)
    clock.set(pkg.election.opens_at.astimezone(dt.UTC))
    svc.open_polls(svc.sign_in("PT-01", PINS["PT-01"]))


def _to_counted(svc, station, pkg, clock):
    _to_open(svc, station, pkg, clock)
    for v in pkg.voters[:3]:
        clock.advance(60)
        tok = svc.sign_in("PT-01", PINS["PT-01"])
        svc.check_in(tok, v.ref)
        release = svc.release_ballot(tok, v.ref)["release"]
        assert station.cast(release, "1").ok
        station.answer_slip(release, True)  # "Struk sesuai"
        assert station.take_photo(release).ok
    clock.set(pkg.election.closes_at.astimezone(dt.UTC))
    tok = svc.sign_in("PT-01", PINS["PT-01"])
    svc.close_polls(tok)
    svc.count(tok)
    return tok


def test_the_results_report_checks_that_every_ballot_was_counted(opened):
    svc, station, pkg, clock, _ = opened
    _to_counted(svc, station, pkg, clock)
    checks = svc.results()["reconciliation"]["checks"]
    assert checks["counted_equals_cast"] is True and all(checks.values())


def test_a_companion_whose_session_expired_prints_nothing(opened):
    svc, station, pkg, clock, _ = opened
    tok = _to_counted(svc, station, pkg, clock)
    before = len(station.printouts)
    clock.advance(SETTINGS.companion_idle_timeout + 1)
    with pytest.raises(NotSignedIn):
        station.print_results(tok)
    assert len(station.printouts) == before and svc.results()["copies_printed"] == 0


def test_packing_prints_the_custody_slip_for_the_box(opened, tmp_path):
    svc, station, pkg, clock, _ = opened
    tok = _to_counted(svc, station, pkg, clock)
    assert station.print_results(tok).ok
    svc.export(tok, str(tmp_path / "hasil.zip"))
    outcome = station.pack(tok)
    assert outcome.ok and station.printouts[-1].kind == "custody_slip"
    assert svc.status()["sealed"]


def test_a_power_cut_pauses_the_booth_once_no_voter_is_choosing(opened):
    svc, station, pkg, clock, _ = opened
    _to_open(svc, station, pkg, clock)
    station.watch_power()
    voter = pkg.voters[0].ref
    tok = svc.sign_in("PT-01", PINS["PT-01"])
    svc.check_in(tok, voter)
    release = svc.release_ballot(tok, voter)["release"]
    station.devices.power.cut()  # mains lost while the voter is choosing: they may finish
    assert svc.status()["polls"] == "open"
    clock.advance(30)
    assert station.cast(release, "2").ok
    station.answer_slip(release, True)  # "Struk sesuai"
    assert station.take_photo(release).ok
    station.devices.power.low_battery()  # now nobody is choosing: pause safely
    assert svc.status()["polls"] == "paused"
    assert [e.payload["state"] for e in svc.ledger.entries() if e.type == "device.power"] == ["battery", "low_battery"]


def test_a_session_left_behind_ends_when_the_next_companion_signs_in(opened):
    """A kiosk restarted mid-morning leaves its companion's session behind, photo key unlocked.

    It must not live all day: the next sign-in after the idle timeout ends it, logged "idle",
    and its token no longer works, while a session still in use stays."""
    svc, _station, _pkg, clock, _ = opened
    forgotten = svc.sign_in("PT-02", PINS["PT-02"])
    clock.advance(SETTINGS.companion_idle_timeout / 2)
    in_use = svc.sign_in("PT-03", PINS["PT-03"])
    clock.advance(SETTINGS.companion_idle_timeout / 2 + 1)
    svc.whoami(in_use)  # PT-03 is still at the screen
    svc.sign_in("PT-01", PINS["PT-01"])
    assert len(svc._sessions) == 2  # PT-03's and PT-01's; PT-02's was ended
    logouts = [e.payload for e in svc.ledger.entries() if e.type == "companion.logout"]
    assert logouts == [{"companion": "PT-02", "reason": "idle"}]
    with pytest.raises(NotSignedIn):
        svc.whoami(forgotten)
    assert svc.whoami(in_use)["id"] == "PT-03"
