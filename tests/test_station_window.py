"""The station window: a tester plays the desk's companion and a voter with the mouse, on the tiles of
every device's kiosk, and the messages go between the devices as the relay carries them."""

from __future__ import annotations

import pytest

from booth_sim.day.station_window import StationWindow
from test_ui_support import T


@pytest.fixture
def win(tmp_path):
    w = StationWindow.open(tmp_path / "out", booths=2, voters=40, ticking=False)
    w.step()
    yield w
    w.close()


def words(win, device: str) -> str:
    return " | ".join(str(t) for t in win.apps[device].frame.texts())


def screen(win, device: str) -> str:
    return win.apps[device].frame.screen


def sign_in_at_desk(win) -> None:
    win.click_control("meja:companion")
    win.step()
    assert screen(win, "meja") == "sign_in", words(win, "meja")
    companion = win.day.package.companions[0]
    win.tap("meja", companion.name)
    win.type("meja", win.day.desk.pins[companion.id])
    win.tap("meja", T("Sign in"))
    assert screen(win, "meja") == "companion_home", words(win, "meja")


def check_in(win, voter) -> None:
    win.tap("meja", T("Voter check-in"))
    win.type("meja", voter.nik)
    win.tap("meja", T("Search"))
    win.tap("meja", voter.name, exact=True)
    win.tap("meja", T("This is the person — release the ballot"))
    assert screen(win, "meja") == "release_booth", words(win, "meja")


def vote_on_tile(win, device: str, number: int) -> None:
    assert screen(win, device) == "ballot", words(win, device)
    win.tap(device, next(c.name for c in win.day.package.candidates if c.number == number))
    assert screen(win, device) == "confirm", words(win, device)
    win.clock.advance(1)
    win.tap(device, T("Yes, choose"))
    for _ in range(3):
        win.step()
    assert screen(win, device) == "slip_check", words(win, device)
    win.tap(device, T("The slip is correct"))


def test_a_voter_checked_in_at_the_desk_votes_at_booth_1_and_the_desk_sees_it_free_again(win, tmp_path):
    v = win.day.package.voters[0]
    assert screen(win, "bilik-1") != "ballot"
    sign_in_at_desk(win)
    check_in(win, v)
    win.tap("meja", T("Booth {number}").format(number=1))
    win.tap("meja", T("Release to booth {number}").format(number=1))
    assert screen(win, "meja") == "go_to_booth"
    win.step()  # the relay carries the token; booth 1's kiosk asks its core
    assert win.board.booths()[1].status == "busy"
    win.save_screenshot(tmp_path / "shots" / "1-booth-1-ballot.png")
    vote_on_tile(win, "bilik-1", 2)
    for _ in range(3):
        win.step()
    win.click_control("bilik-1:select")  # the tester looks at booth 1's printer tape
    assert win.selected == "bilik-1" and len(win.tapes["bilik-1"]) == 1  # the slip
    win.save_screenshot(tmp_path / "shots" / "2-voted.png")
    booth1 = win.day.booth(1).svc
    assert booth1.counts()["ballots_cast"] == 1
    assert win.board.booths()[1].status == "free"  # the outcome came back over the link
    assert win.day.desk.svc.status()["booths"]["1"]["state"] == "free"
    assert [item["kind"] for item in win.relays["meja"].done] == ["outcome"]
    assert win.day.booth(2).svc.counts()["ballots_cast"] == 0
    # back at the desk: the photo as the voter leaves, then the mains cut there (the UPS carries on)
    win.tap("meja", T("Next voter"))
    win.clock.advance(win.apps["meja"].settings.status_interval + 0.5)
    win.step()
    win.tap("meja", T("Photo as the voter leaves"))
    win.tap("meja", T("Voter from booth {number}").format(number=1))
    assert v.ref in win.day.desk.svc.day.voted
    win.click_control("meja:power")
    win.tap("meja", T("Back"))
    win.clock.advance(win.apps["meja"].settings.status_interval + 0.5)
    win.step()
    win.step()
    assert win.apps["meja"].power_state == "battery"
    assert "baterai" in words(win, "meja").lower(), words(win, "meja")
    win.save_screenshot(tmp_path / "shots" / "3-desk-on-battery.png")
    win.click_control("meja:power")
    win.step()
    assert win.apps["meja"].power_state == "mains"


def test_a_booth_off_the_network_holds_the_release_and_the_desk_cancels_after_the_timeout(win, tmp_path):
    v = win.day.package.voters[1]
    sign_in_at_desk(win)
    check_in(win, v)
    win.tap("meja", T("Booth {number}").format(number=2))
    win.click_control("bilik-2:link")  # the cable is pulled just as the companion releases
    win.tap("meja", T("Release to booth {number}").format(number=2))
    win.step()
    assert screen(win, "bilik-2") != "ballot" and win.board.booths()[2].status == "offline"
    held = [m["kind"] for m in win.wire.air]
    assert held == ["release"]
    win.click_control("clock")  # past the release's timeout (the idle companion is signed out meanwhile)
    win.step()
    sign_in_at_desk(win)
    check_in(win, v)
    assert "batalkan" in words(win, "meja")
    win.tap("meja", T("Booth {number}").format(number=2))
    win.tap("meja", T("The booth is offline"))
    rid = next(iter(win.day.desk.svc.day.issued))
    assert win.day.desk.svc.day.issued[rid].state == "cancelled"
    win.save_screenshot(tmp_path / "shots" / "3-cancelled.png")
    win.tap("meja", T("Release to booth {number}").format(number=1))
    win.step()
    assert screen(win, "bilik-1") == "ballot"
    win.click_control("bilik-2:link")  # back on the network: the stale release and its cancel arrive
    win.step()
    assert not win.wire.air
    booth2 = win.day.booth(2).svc
    assert rid in booth2.day.revoked and screen(win, "bilik-2") != "ballot"
    assert booth2.counts()["ballots_cast"] == 0


def test_booth_demo_with_booths_opens_the_station_window_with_a_display_and_not_headless(monkeypatch, tmp_path):
    import io

    from booth.cli import main
    from booth_sim.day import station_window

    opened: list[tuple] = []
    monkeypatch.setattr(station_window, "run", lambda out, **kw: opened.append((out, kw)) or 0)
    monkeypatch.setenv("DISPLAY", ":0")
    assert main(["demo", "--booths", "2", "--voters", "40", "--out", str(tmp_path / "w")]) == 0
    assert opened == [(tmp_path / "w", {"booths": 2, "voters": 40, "seed": 2025})]
    monkeypatch.delenv("DISPLAY")
    from booth.demo import run_station_day

    stream = io.StringIO()
    assert run_station_day(tmp_path / "h", booths=7, stream=stream, headless=False) == 2  # headless, refused there
    assert len(opened) == 1 and "--booths must be from 2 to 6" in stream.getvalue()


def test_a_booth_switched_off_comes_back_from_its_state_on_disk_and_serves_the_next_voter(win, tmp_path):
    old = win.day.booth(2).svc
    win.click_control("bilik-2:device")  # the power is gone, the UPS too: booth 2 is dark
    win.step()
    assert win.board.booths()[2].status == "offline" and screen(win, "meja") == "waiting"
    win.save_screenshot(tmp_path / "shots" / "4-booth-2-off.png")
    sign_in_at_desk(win)
    check_in(win, win.day.package.voters[2])
    assert "Izinkan ke bilik 1" in words(win, "meja")  # the dark booth is not offered
    win.tap("meja", T("Release to booth {number}").format(number=1))
    win.step()
    vote_on_tile(win, "bilik-1", 1)
    win.click_control("bilik-2:device")  # on again: its ledger reopened from its state folder
    win.step()
    assert win.day.booth(2).svc is not old and win.board.booths()[2].status == "free"
    win.tap("meja", T("Next voter"))
    check_in(win, win.day.package.voters[3])
    win.tap("meja", T("Booth {number}").format(number=2))
    win.tap("meja", T("Release to booth {number}").format(number=2))
    win.step()
    vote_on_tile(win, "bilik-2", 3)
    for _ in range(3):
        win.step()
    assert [win.day.booth(n).svc.counts()["ballots_cast"] for n in (1, 2)] == [1, 1]
    assert [item["kind"] for item in win.relays["meja"].done] == ["outcome", "outcome"]
    assert win.board.booths()[2].status == "free"


def test_a_booth_switched_off_mid_ballot_sends_the_release_back_cancelled_and_the_voter_votes_after(win):
    v = win.day.package.voters[4]
    sign_in_at_desk(win)
    check_in(win, v)
    win.tap("meja", T("Release to booth {number}").format(number=1))
    win.step()
    assert screen(win, "bilik-1") == "ballot"
    win.click_control("bilik-1:device")  # off with the ballot open, before the voter touched it
    win.step()
    win.click_control("bilik-1:device")  # on again: the reopened booth ends the interrupted release
    win.step()
    win.step()
    assert screen(win, "bilik-1") == "waiting"
    assert [(x["kind"], x["result"]["outcome"]) for x in win.relays["meja"].done] == [("outcome", "cancelled")]
    assert win.board.booths()[1].status == "free" and v.ref not in win.day.desk.svc.day.voted
    win.tap("meja", T("Next voter"))
    check_in(win, v)  # the companion releases the same voter again
    win.tap("meja", T("Release to booth {number}").format(number=1))
    win.step()
    vote_on_tile(win, "bilik-1", 2)
    for _ in range(3):
        win.step()
    assert win.day.booth(1).svc.counts()["ballots_cast"] == 1
    assert [x["result"]["outcome"] for x in win.relays["meja"].done] == ["cancelled", "cast"]
