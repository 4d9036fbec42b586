"""The polling station on the kiosk's glass: the desk releases a checked-in voter to a free booth,
the booth waits for the desk and opens the ballot on the release, refusals are shown with reasons."""

from __future__ import annotations

import datetime as dt

import pytest

from booth.errors import BoothError
from booth.ui.station_screens import show_refused_release
from service_day import closes_at
from station_ui import paired_desk_and_booths
from test_ui_support import T, check_in_and_release, fast_root, sign_in, texts_of


@pytest.fixture
def station(tmp_path, demo_pkg):
    desk, booths = paired_desk_and_booths(fast_root(tmp_path), demo_pkg)
    yield desk, booths
    for d in (desk, *booths):
        d.devices.close()
        d.svc.close()


def _to_booth_choice(desk, i: int = 0):
    v = desk.pkg.voters[i]
    sign_in(desk)
    check_in_and_release(desk, v.nik, v.name)
    assert desk.drv.screen == "release_booth", texts_of(desk)
    return v


def test_the_desk_releases_a_checked_in_voter_to_the_free_booth_preselected(station):
    desk, booths = station
    desk.app.booth_board.set(1, "busy", "2026-12-07T01:00:00Z")
    desk.app.booth_board.set(3, "offline", "2026-12-07T01:05:00Z")
    v = _to_booth_choice(desk)
    words = texts_of(desk)
    assert "Bilik 1" in words and "Bilik 3" in words and "terputus sejak" in words and "terisi sejak" in words
    assert "Izinkan ke bilik 2" in words  # the free one, preselected
    assert desk.svc.counts()["voted"] == 0 and not booths[1].svc.day.accepted  # nothing released yet
    desk.drv.tap(T("Release to booth {number}").format(number=2))
    assert desk.drv.screen == "go_to_booth"
    assert "Silakan ke bilik 2" in texts_of(desk) and "Please go to booth 2" in texts_of(desk)
    assert [n for n, _t in desk.carried] == [2]
    assert booths[1].svc.voter_screen()["screen"] == "ballot"  # the release opened booth 2's ballot
    booths[1].drv.step()
    assert booths[1].drv.screen == "ballot"
    assert any(r.voter == v.ref and r.booth == 2 for r in desk.svc.day.issued.values())


def test_no_free_booth_no_release_and_the_button_says_why(station):
    desk, _booths = station
    for n in (1, 2, 3):
        desk.app.booth_board.set(n, "offline", "2026-12-07T01:00:00Z")
    _to_booth_choice(desk)
    assert "Tidak ada bilik kosong" in texts_of(desk)
    desk.drv.tap(T("No booth is free"))
    assert desk.drv.screen == "release_booth" and not desk.carried and not desk.svc.day.issued


def test_a_release_timed_out_is_cancelled_with_a_reason_and_the_voter_goes_to_another_booth(station):
    desk, booths = station
    v = _to_booth_choice(desk)
    desk.drv.tap(T("Release to booth {number}").format(number=1))
    rid = next(iter(desk.svc.day.issued))
    desk.app.booth_board.set(1, "offline", "2026-12-07T01:00:00Z")  # booth 1 dropped off the network
    desk.clock.advance(desk.svc.settings.release_timeout + 5)
    sign_in(desk)
    desk.drv.tap(T("Voter check-in"))
    desk.drv.type(v.nik)
    desk.drv.tap(T("Search"))
    desk.drv.tap(v.name, exact=True)
    desk.drv.tap(T("This is the person — release the ballot"))
    assert desk.drv.screen == "release_booth", texts_of(desk)
    assert "waktu habis: batalkan" in texts_of(desk)
    desk.drv.tap(T("Booth {number}").format(number=1))
    desk.drv.tap(T("The booth is offline"))
    assert desk.svc.day.issued[rid].state == "cancelled"
    assert "Izinkan ke bilik 2" in texts_of(desk)
    desk.drv.tap(T("Release to booth {number}").format(number=2))
    assert [n for n, _t in desk.carried] == [1, 2]
    assert booths[1].svc.voter_screen()["screen"] == "ballot"


def test_a_booth_waits_for_the_desk_and_shows_a_refused_release_with_its_reason(station):
    _desk, booths = station
    b = booths[0]
    b.drv.step()
    assert b.drv.screen == "waiting" and "Menunggu izin dari meja" in texts_of(b)
    with pytest.raises(BoothError) as refused:
        b.svc.accept_release(b"not a release")
    show_refused_release(b.app, refused.value)
    b.drv.step()
    assert "Izin memilih tidak terbaca. Silakan kembali ke meja." in texts_of(b)
    assert b.svc.voter_screen()["screen"] == "waiting"  # nothing opened


def test_pairing_shows_the_same_code_on_both_screens_and_pairs(tmp_path, demo_pkg):
    from booth.ui.station_screens import PairingScreen
    from test_ui_support import make_day

    root = fast_root(tmp_path)
    desk = make_day(root / "desk", demo_pkg, stage="installed", size=(800, 480), role="desk")
    booth = make_day(root / "booth", demo_pkg, stage="installed", size=(800, 480), role="booth")
    try:
        dk, bk = desk.svc.ledger.key.verifier_key(), booth.svc.ledger.key.verifier_key()
        sign_in(desk)
        sign_in(booth)
        desk.app.push(PairingScreen(desk.app, bk, 2))
        booth.app.push(PairingScreen(booth.app, dk, 2))
        desk.drv.step()
        booth.drv.step()
        code = desk.svc.pairing_code(bk)["code"]
        assert code in texts_of(desk) and code in texts_of(booth)
        assert desk.drv.screen == "pairing" and "Pasangkan bilik 2" in texts_of(desk)
        desk.drv.tap(T("The codes are the same — pair"))
        booth.drv.tap(T("The codes are the same — pair"))
        assert 2 in desk.svc.day.booths and booth.svc.day.desk is not None
    finally:
        for d in (desk, booth):
            d.devices.close()
            d.svc.close()


def test_the_voter_back_from_the_booth_has_the_photo_taken_at_the_desk(station):
    desk, booths = station
    v = _to_booth_choice(desk)
    desk.drv.tap(T("Booth {number}").format(number=2))  # the companion chooses booth 2 instead of 1
    desk.drv.tap(T("Release to booth {number}").format(number=2))
    b = booths[1]
    rid = next(iter(desk.svc.day.issued))
    b.svc.cast(rid, "1")
    b.svc.slip_printed(rid)
    b.svc.slip_confirmed(rid)
    desk.svc.release_returned(b.svc.release_outcome(rid))  # what the relay carries back
    desk.drv.tap(T("Next voter"))
    assert desk.drv.screen == "companion_home"
    desk.drv.advance(desk.app.settings.status_interval + 0.5)  # the home's next look at the core
    desk.drv.tap(T("Photo as the voter leaves"))
    assert desk.drv.screen == "station_photo" and "Pemilih dari bilik 2" in texts_of(desk)
    desk.drv.tap(T("Voter from booth {number}").format(number=2))
    assert desk.svc.day.issued[rid].photo_done and v.ref in desk.svc.day.voted
    assert "Belum ada pemilih yang kembali dari bilik." in texts_of(desk)


def _close_and_count(day) -> None:
    token = day.token()
    day.svc.close_polls(token, None)
    day.svc.count(token)


def test_the_desk_prints_the_station_report_once_every_booths_closing_has_come(station):
    desk, booths = station
    rid = None
    _to_booth_choice(desk)
    desk.drv.tap(T("Release to booth {number}").format(number=1))
    rid = next(iter(desk.svc.day.issued))
    b = booths[0]
    b.svc.cast(rid, "1")
    b.svc.slip_printed(rid)
    b.svc.slip_confirmed(rid)
    desk.svc.release_returned(b.svc.release_outcome(rid))
    desk.svc.station_skip_photo(desk.token(), rid, "kamera rusak")
    for day in (*booths, desk):
        day.clock.set(closes_at() + dt.timedelta(minutes=1))
    for day in booths[:2]:  # booths 1 and 2 count; their closings come over the link
        _close_and_count(day)
        (item,) = [i for i in day.svc.station_outbox(0) if i["kind"] == "closing"]
        desk.svc.closing_received(item["payload"])
    desk.svc.close_polls(desk.token(), None)
    desk.drv.tap(T("Next voter"))
    desk.drv.advance(desk.app.settings.status_interval + 0.5)
    desk.drv.tap(T("Station results"))
    assert desk.drv.screen == "station_closing"
    shown = texts_of(desk)
    assert "Bilik 1: hasil diterima" in shown and "Bilik 3: menunggu hasilnya" in shown
    desk.drv.tap(T("Print the station results report"))  # booth 3's closing has not come: refused
    desk.drv.advance(1)
    assert "Hasil bilik 3 belum diserahkan ke meja" in texts_of(desk)
    assert not [p for p in desk.station.printouts if p.kind == "station_report"]
    desk.drv.tap(T("Back"))
    assert desk.drv.screen == "station_closing"
    _close_and_count(booths[2])
    (item,) = [i for i in booths[2].svc.station_outbox(0) if i["kind"] == "closing"]
    desk.svc.closing_received(item["payload"])
    desk.drv.advance(3)
    assert "Bilik 3: hasil diterima" in texts_of(desk)
    desk.drv.tap(T("Print the station results report"))
    desk.drv.advance(1)
    (report,) = [p for p in desk.station.printouts if p.kind == "station_report"]
    assert report.image.height > 400
    assert desk.svc.results()["copies_printed"] == 1


def test_after_the_report_the_desk_writes_the_station_bundle_onto_the_stick_with_every_booths_bundle(station):
    from pathlib import Path

    desk, booths = station
    for day in (*booths, desk):
        day.clock.set(closes_at() + dt.timedelta(minutes=1))
    for day in booths:
        _close_and_count(day)
        (item,) = [i for i in day.svc.station_outbox(0) if i["kind"] == "closing"]
        desk.svc.closing_received(item["payload"])
    desk.svc.close_polls(desk.token(), None)
    sign_in(desk)
    desk.drv.advance(desk.app.settings.status_interval + 0.5)
    desk.drv.tap(T("Station results"))
    assert T("Export the station bundle") not in texts_of(desk)  # not before the report is on paper
    desk.drv.tap(T("Print the station results report"))
    desk.drv.advance(1)
    stick = Path(desk.app.settings.export_dirs[0])
    for n, day in enumerate(booths[:2], start=1):  # booth 3's companion has not come with the stick yet
        token = day.token()
        day.svc.results_printed(token)
        day.svc.export(token, str(stick / f"hasil-bilik-{n}.zip"))
    desk.drv.tap(T("Export the station bundle"))
    assert desk.drv.screen == "station_export"
    desk.drv.tap(stick.name)
    desk.drv.advance(1)
    assert "Bundel hasil bilik 3 tidak ada di flashdisk" in texts_of(desk)
    assert not list(stick.glob("TPS*.zip"))
    desk.drv.tap(T("Back"))
    token = booths[2].token()
    booths[2].svc.results_printed(token)
    booths[2].svc.export(token, str(stick / "hasil-bilik-3.zip"))
    desk.drv.tap(stick.name)
    desk.drv.advance(1)
    (written,) = stick.glob("TPS*.zip")
    assert f"sebagai {written.name}. Flashdisk aman dicabut" in texts_of(desk)
