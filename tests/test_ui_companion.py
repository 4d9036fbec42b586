"""The companion's side of the kiosk: a whole day through the screens, and its hard moments.

The day (``test_ui_support.full_day``) starts on a new device and ends with
it packed: package, custody, PINs, self-test, zero report, voters (by name,
by NIK, a paper-out reprint, a double voter refused with their photo, a DPTb
voter on the buttons with a broken camera, a cancelled ballot), a break,
early closing, count, results, export, verify, pack — asserting on the way
what the screen shows and what the core recorded.
"""

from __future__ import annotations

import pygame
import pytest

from booth.errors import BoothError
from booth.ui.driver import audit
from test_ui_support import (
    Nav,
    T,
    full_day,
    pin_of,
    sign_in,
)

SIZES = [(720, 1280), (800, 480), (1024, 600), (1280, 800)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_companions_day_from_empty_device_to_packed_through_the_screens(booth_day, size):
    day = booth_day(stage="new", size=size, shots=f"day-{size[0]}x{size[1]}")
    day.drv.audit = True  # every frame: text fits, words from the catalogs, 12 mm targets, no overlaps
    full_day(day)
    counts = day.svc.counts()
    assert counts["ballots_cast"] == counts["voted"] == counts["slips_printed"] == 3
    assert counts["dptb"] == 1 and counts["refused"] == 1 and counts["cancelled"] == 1
    assert day.drv.problems == {}, day.drv.problems
    assert len(day.drv.seen) >= 30  # the day visits every kind of screen


def test_wrong_pins_show_the_wait_then_the_lock(booth_day):
    day = booth_day(stage="open", size=(800, 480), shots="pin-lockout")
    d = day.drv
    d.press(Nav.COMPANION)
    d.tap("RIZKY PRATAMA")
    for _ in range(5):
        d.type("111111")
        d.tap("Masuk")
    assert d.screen == "pin"
    assert d.shows("PIN salah")
    d.type("111111")
    d.tap("Masuk")
    assert d.shows("Terlalu banyak PIN salah. Tunggu 15 detik, lalu coba lagi.")
    assert not d.target("Masuk").enabled
    d.shot()
    d.advance(5)
    assert d.shows("Terlalu banyak PIN salah. Tunggu 10 detik, lalu coba lagi.")
    d.advance(11)
    assert not d.shows("Tunggu")  # the wait is over: the keypad is open again
    d.type(pin_of("PT-02"))
    d.tap("Masuk")
    assert d.screen == "companion_home"  # the right PIN still works after a wait
    d.tap(T("Sign out"))
    # Many more misses (through the core, with the waits): the PIN locks for good.
    from booth.errors import BoothError

    for _ in range(40):
        try:
            day.svc.sign_in("PT-02", "111111")
        except BoothError as exc:
            if exc.details.get("locked"):
                break
            day.clock.advance(exc.details.get("wait_seconds", 0) + 1)
    d.press(Nav.COMPANION)
    assert d.shows("Terkunci")
    d.tap("RIZKY PRATAMA")
    assert day.app.screen.locked and d.shows("PIN terkunci. Hubungi panitia.")
    d.shot()
    d.type(pin_of("PT-02"))  # even the right PIN: locked until the committee resets it
    assert day.app.screen.pin == "" and day.app.token is None
    d.tap("Kembali")
    assert d.screen == "sign_in"


def test_the_right_pin_signs_in_and_leaving_signs_out(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    sign_in(day, "PT-03")
    assert day.app.whoami["id"] == "PT-03" and d.shows("DEWI ANGGRAINI")
    assert not d.shows(T("Exit the kiosk"))  # only a ketua may exit the kiosk
    d.tap(T("Sign out"))
    assert day.app.mode == "voter" and day.app.token is None
    assert d.screen == "waiting"


def test_window_close_and_keys_do_nothing_and_only_a_ketua_exits_the_kiosk(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.app.feed(pygame.event.Event(pygame.QUIT))
    day.app.feed(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="\x1b", scancode=41))
    day.app.feed(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F4, mod=pygame.KMOD_ALT, unicode="", scancode=61))
    d.step()
    assert day.app.running and d.screen == "waiting" and day.app.mode == "voter"
    sign_in(day, "PT-01")
    d.tap(T("Exit the kiosk"))
    assert d.screen == "question"
    d.tap(T("Exit the kiosk"))
    assert not day.app.running and day.app.token is None


def test_idle_companion_screens_go_back_to_the_voter_and_sign_out(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    sign_in(day)
    token = day.app.token
    d.advance(day.app.settings.companion_idle_s + 1)
    assert day.app.mode == "voter" and d.screen == "waiting"
    with pytest.raises(BoothError):
        day.svc.whoami(token)


def test_a_voter_not_found_by_name_is_found_by_nik_and_the_search_forgives(booth_day):
    day = booth_day(stage="open", size=(1024, 600), shots="search")
    d = day.drv
    v = day.pkg.voters[7]
    sign_in(day)
    d.tap(T("Voter check-in"))
    d.type("XQXQXQ")
    d.tap(T("Search"))
    assert d.shows("Nama tidak terdaftar dalam DPT")
    d.shot()
    d.tap(T("Search again"))
    assert day.app.screen.value == "XQXQXQ"  # kept, to correct a typo
    for _ in range(6):
        d.tap(T("Delete"))
    d.type(v.nik)
    d.tap(T("Search"))
    assert d.shows(v.name)
    d.tap(v.name, exact=True)
    masked = v.nik[:4] + "********" + v.nik[-4:]
    assert d.screen == "voter" and d.shows(masked) and not d.shows(v.nik)  # in sight of the queue
    d.shot()
    d.tap(T("This is the person — release the ballot"))
    assert day.app.mode == "voter" and d.screen == "ballot"
    assert day.svc.counts()["checked_in"] == 1 and day.svc.counts()["releases"] == 1


def test_a_bad_dptb_entry_gets_the_cores_words_and_changes_nothing(booth_day):
    day = booth_day(stage="open", size=(800, 480), shots="dptb-bad")
    d = day.drv
    sign_in(day)
    d.tap(T("Voter check-in"))
    d.type("ZAINAL")
    d.tap(T("Search"))
    d.tap(T("Add to the DPTb"))
    d.tap(T("NIK"))
    d.type("1810051205900999")
    d.tap(T("Done"))
    d.tap(T("Name"))
    d.type("ZAINAL")
    d.tap(T("Done"))
    d.tap(T("Sex"))
    d.tap(T("Female"))  # the NIK says male (day 12, not 52)
    d.tap(T("Date of birth"))
    d.type("1990-05-12")
    d.tap(T("Done"))
    d.tap(T("Reason"))
    d.tap(T("Moved here (surat pindah)"))
    d.tap(T("Save to the DPTb"))
    assert d.screen == "error" and d.shows("NIK tidak cocok")
    assert d.shows(T("Check what was typed and try again."))
    d.shot()
    assert day.svc.counts()["dptb"] == 0
    d.tap(T("Back"))
    assert d.screen == "dptb_form"


def test_releasing_while_a_voter_is_in_the_booth_is_refused_with_the_reason(booth_day):
    day = booth_day(stage="open", size=(1280, 800), shots="busy-booth")
    d = day.drv
    day.release(0)
    d.step()
    sign_in(day)
    v = day.pkg.voters[3]
    d.tap(T("Voter check-in"))
    d.type(v.nik)
    d.tap(T("Search"))
    d.tap(v.name, exact=True)
    d.tap(T("This is the person — release the ballot"))
    assert d.screen == "error" and d.shows("Masih ada pemilih di bilik suara")
    d.shot()
    assert day.svc.counts()["releases"] == 1


def test_closing_before_time_asks_for_a_reason_and_on_time_does_not(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    sign_in(day)
    d.tap(T("Close the polls"))
    assert d.screen == "close" and d.shows("Belum waktunya tutup (13:00).")
    assert [w.label for w in d.targets()][-1] == T("Give the reason to close early")  # no way to close yet
    d.tap(T("Cancel"))
    assert day.svc.status()["polls"] == "open"
    day.clock.advance(7 * 3600)  # after 13:00
    sign_in(day)
    d.tap(T("Close the polls"))
    assert d.shows("Sudah waktunya tutup (13:00).")
    d.tap(T("Close the polls"))
    assert day.svc.status()["polls"] == "closed"


def test_export_is_offered_only_after_a_printed_copy(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.svc.close_polls(day.token(), "uji")
    sign_in(day)
    d.tap(T("Count the votes"))
    d.tap(T("Count the votes"), exact=True)
    assert not d.target(T("Export the results")).enabled
    day.devices.printer.paper_out_after(5)
    d.tap(T("Print the results"))
    d.step()
    assert d.screen == "error" and d.shows("Kertas printer habis")
    d.shot() if d.shots_dir else None
    day.devices.printer.load_paper()
    d.tap(T("Continue"))
    d.step()
    assert d.screen == "results" and d.target(T("Export the results")).enabled
    assert d.target(T("Print another copy"))


def test_companion_screens_use_the_companions_language_and_the_voter_keeps_the_default(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    sign_in(day)
    d.tap("English")
    assert d.shows("Voter check-in") and d.shows("Devices")  # (a portrait band has no title)
    d.tap("Sign out")
    assert d.shows("Menunggu petugas")
    d.press(Nav.COMPANION)
    assert d.shows("Companion sign-in")
    assert not audit(day.app)


def test_the_kiosk_command_runs_a_window_until_it_is_closed(tmp_path, monkeypatch, demo_pkg):
    import argparse

    from booth.ui import kiosk_cli
    from booth.ui.app import KioskApp

    opened = []
    real_open = KioskApp.open_display

    def open_and_close(size, *, windowed=False):
        surface = real_open(size, windowed=windowed)
        opened.append((surface.get_size(), windowed, pygame.mouse.get_visible()))
        pygame.event.post(pygame.event.Event(pygame.QUIT))  # a developer closes the window
        return surface

    monkeypatch.setattr(KioskApp, "open_display", staticmethod(open_and_close))
    parser = argparse.ArgumentParser()
    kiosk_cli.register(parser.add_subparsers())
    (tmp_path / "state").mkdir()  # an empty directory: the kiosk provisions a device there (and says so)
    args = parser.parse_args(
        [
            "kiosk",
            "--state",
            str(tmp_path / "state"),
            "--size",
            "800x480",
            "--windowed",
            "--packages",
            str(demo_pkg[0].parent),
        ]
    )
    assert args.func(args) == 0
    assert opened == [((800, 480), True, True)]
    assert (tmp_path / "state" / "ledger.db").exists()
    with pytest.raises(SystemExit):
        parser.parse_args(["kiosk", "--state", "x", "--size", "big"])


def test_the_kiosk_never_opens_the_ledger_or_the_core():
    """Least privilege: the UI process talks to the core through the client API only."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import booth.ui.app, booth.ui.voter_screens, booth.ui.companion_home, booth.ui.companion_setup\n"
        "import booth.ui.checkin_screens, booth.ui.closing_screens, booth.ui.signin, booth.ui.driver\n"
        "print(sorted(m for m in sys.modules if m.startswith('booth.') and not m.startswith('booth.ui')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "SDL_VIDEODRIVER": "dummy"},
    ).stdout
    loaded = eval(out.strip().splitlines()[-1])
    assert not [m for m in loaded if m.startswith(("booth.ledger", "booth.service", "booth.day", "booth.polls"))]


@pytest.mark.parametrize("size", [(800, 480), (720, 1280)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_home_buttons_keep_their_places_when_voting_pauses_and_the_printer_cover_opens(booth_day, size):
    """A tired companion finds every action where it always is: pausing turns "Jeda" into
    "Lanjutkan" in the same place, and a printer in trouble changes the status box (its first
    line, in red), never the buttons."""
    from booth.ui.companion_home import HomeAction
    from booth.ui.widgets import Panel

    day = booth_day(stage="open", size=size)
    d = day.drv
    sign_in(day)

    def places():
        return [tuple(w.rect) for w in day.app.screen.widgets if isinstance(w, HomeAction)]

    before = places()
    assert len(before) >= 7 and d.shows(T("Devices"))
    d.tap(T("Pause voting"))
    d.tap(T("Break"))
    d.step()
    assert day.svc.status()["polls"] == "paused" and d.screen == "companion_home"
    assert places() == before and d.target(T("Resume voting"))
    day.devices.printer.open_cover()
    d.advance(day.app.settings.status_interval + 1)
    d.step()
    assert places() == before
    status = next(w for w in day.app.screen.widgets if isinstance(w, Panel))
    inside = [t for t in day.app.frame.items if status.rect.contains(t.rect) and t.text]
    top = min(t.rect.top for t in inside)
    assert T("Printer cover open") in [t.text for t in inside if t.rect.top == top], d.texts()
    day.devices.printer.close_cover()
    d.tap(T("Resume voting"))
    d.step()
    assert day.svc.status()["polls"] == "open" and places() == before
