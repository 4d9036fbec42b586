"""Shared scenario builders for the kiosk tests (no tests here).

A day on one simulated booth, as ``/tmp/stationday.py`` runs it: the demo
election package, a FakeClock that moves the core and the kiosk together,
fast PIN hashing, every device simulated, and the kiosk driven headless
frame by frame (:class:`booth.ui.driver.KioskDriver`).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from booth.hardware.controls import Nav  # noqa: E402
from booth.hardware.devices import open_devices  # noqa: E402
from booth.kiosk.station import Station  # noqa: E402
from booth.ledger.clock import FakeClock  # noqa: E402
from booth.service import BoothService, Settings  # noqa: E402
from booth.ui.app import KioskApp, KioskSettings  # noqa: E402
from booth.ui.driver import KioskDriver  # noqa: E402
from booth.ui.i18n import _  # noqa: E402

SHOTS = Path(os.environ.get("BOOTH_UI_SHOTS", "/tmp/booth-ui-shots"))
STAGES = ("new", "loaded", "handed_over", "installed", "zero", "open")


def pin_of(companion_id: str) -> str:
    return "2580" + companion_id[-2:]


@dataclass
class Day:
    svc: BoothService
    station: Station
    devices: object
    clock: FakeClock
    pkg: object
    pkg_dir: Path
    app: KioskApp
    drv: KioskDriver
    root: Path

    def token(self, companion: str = "PT-01") -> str:
        """Sign in directly through the API (setting the scene, not what is under test)."""
        return self.svc.sign_in(companion, pin_of(companion))

    def release(self, i: int) -> str:
        """A companion checks in voter ``i`` and releases the ballot (through the API)."""
        tok = self.token()
        v = self.pkg.voters[i]
        self.svc.check_in(tok, v.ref)
        return self.svc.release_ballot(tok, v.ref)["release"]

    def open_at(self, minutes: float) -> None:
        """Move the clock to ``minutes`` after opening time (wall and monotonic time together)."""
        target = self.pkg.election.opens_at.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)
        delta = (target - self.clock.now()).total_seconds()
        if delta >= 0:
            self.clock.advance(delta)
        else:
            self.clock.set(target)


def fast_root(tmp_path: Path) -> Path:
    """A folder on tmpfs when there is one: the ledger's fsyncs make a disk slow for UI tests."""
    shm = Path("/dev/shm")
    if shm.is_dir():
        import tempfile

        return Path(tempfile.mkdtemp(dir=shm, prefix="booth-ui-"))
    return tmp_path


def make_day(
    root: Path,
    demo_pkg,
    *,
    stage: str = "open",
    size=(720, 1280),
    shots: str | None = None,
    settings: KioskSettings | None = None,
    voice=None,
    finger: bool = False,
    language: str = "id",
    rng=None,
    device_key=None,
    role: str = "single",
) -> Day:
    """A booth brought to ``stage`` (one of STAGES) through the API, with a kiosk on it.

    ``rng`` and ``device_key`` fix the ballot IDs and the device's key (the screen gallery's
    repeatable screens)."""
    pkg_dir, pkg = demo_pkg
    clock = FakeClock(pkg.election.opens_at.astimezone(dt.UTC) - dt.timedelta(days=2))
    svc = BoothService.provision(
        root / "state", clock=clock, settings=Settings(pin_scrypt_n=2**10), rng=rng, device_key=device_key, role=role
    )
    devices = open_devices(None)
    station = Station(svc, devices)
    at = STAGES.index(stage)
    if at >= 1:
        svc.load_election(str(pkg_dir))
    if at >= 2:
        svc.record_custody("received", companion_id="PT-02", place="Kecamatan Pagelaran")
        svc.record_custody("distributed", companion_id="PT-02", place="Jalan")
        for c in pkg.companions:
            svc.set_first_pin(c.id, pin_of(c.id))
        svc.record_custody("handed_over", token=svc.sign_in("PT-01", pin_of("PT-01")), place="Balai Pekon")
    if at >= 3:
        tok = svc.sign_in("PT-01", pin_of("PT-01"))
        svc.record_custody(
            "installed", token=tok, place="Balai Pekon", self_test=station.self_test(tok, now=clock.now())
        )
    if at >= 4:
        assert station.print_zero_report(svc.sign_in("PT-01", pin_of("PT-01"))).ok
    if at >= 5:
        clock.set(pkg.election.opens_at.astimezone(dt.UTC))
        svc.open_polls(svc.sign_in("PT-01", pin_of("PT-01")))
    export_dir = root / "usb-export"
    export_dir.mkdir(exist_ok=True)
    settings = settings or KioskSettings(
        poll_interval=0, package_dirs=(str(pkg_dir.parent),), export_dirs=(str(export_dir),), language=language
    )
    app = KioskApp(svc, station, devices, size, clock=clock, settings=settings, voice=voice)
    if shots:
        import shutil

        shutil.rmtree(SHOTS / shots, ignore_errors=True)  # only this run's screens in the folder
    drv = KioskDriver(app, shots_dir=SHOTS / shots if shots else None, finger=finger)
    drv.step()
    return Day(svc, station, devices, clock, pkg, pkg_dir, app, drv, root)


def T(msgid: str) -> str:
    """``msgid`` in the language now on the kiosk's screen (so scenarios run in either language)."""
    return str(_(msgid))


def texts_of(day: Day) -> str:
    return " | ".join(day.drv.texts())


def sign_in(day: Day, companion: str = "PT-01") -> None:
    """The companion button, the name, the PIN on the keypad, "Sign in"."""
    d = day.drv
    d.press(Nav.COMPANION)
    assert d.screen == "sign_in"
    d.tap(next(c.name for c in day.pkg.companions if c.id == companion))
    d.type(pin_of(companion))
    d.tap(T("Sign in"))
    assert d.screen == "companion_home", texts_of(day)


def photo(day: Day) -> None:
    """Let the photo screen count down and take the picture (clock moved second by second)."""
    d = day.drv
    assert d.screen == "photo"
    d.advance(day.app.settings.photo_look_s + 0.5)
    for _i in range(day.app.settings.photo_countdown + 1):
        d.advance(1)
    d.step()


def vote(day: Day, number: int, *, shots: bool = False) -> None:
    """The voter in the booth touches candidate ``number``, confirms, checks the slip, is photographed."""
    d = day.drv
    assert d.screen == "ballot", texts_of(day)
    name = next(c.name for c in day.pkg.candidates if c.number == number)
    d.tap(name)
    assert d.screen == "confirm"
    d.advance(1)
    d.tap(T("Yes, choose"))
    assert d.screen == "printing"
    shots and d.shot()
    d.step()
    assert d.screen == "slip_check", texts_of(day)
    d.tap(T("The slip is correct"))
    photo(day)
    d.tap(T("Keep photo"))
    assert d.screen == "thanks"


def check_in_and_release(day: Day, query: str, name: str) -> None:
    """Companion side: search, pick the voter, "this is the person — release the ballot"."""
    d = day.drv
    d.tap(T("Voter check-in"))
    d.type(query)
    d.tap(T("Search"))
    assert d.screen == "voter_results", texts_of(day)
    d.tap(name, exact=True)
    d.tap(T("This is the person — release the ballot"))


__all__ = [
    "Day",
    "make_day",
    "pin_of",
    "texts_of",
    "SHOTS",
    "pygame",
    "T",
    "sign_in",
    "photo",
    "vote",
    "check_in_and_release",
    "fast_root",
    "Nav",
    "full_day",
    "dptb_nik",
]


def dptb_nik(day: Day, birth: str = "1990-05-12", sex: str = "L") -> str:
    """A NIK that is not on the DPT, of the same region, matching ``birth`` and ``sex``."""
    y, m, dd = birth.split("-")
    day_part = int(dd) + (40 if sex == "P" else 0)
    return day.pkg.voters[0].nik[:6] + f"{day_part:02d}{m}{y[2:]}" + "0999"


def full_day(day: Day, *, shots: bool = True) -> None:
    """From a new device to a packed one, every step through the screens (either language)."""
    d = day.drv
    shot = d.shot if shots and d.shots_dir else (lambda *a: None)
    svc = day.svc
    day.open_at(-90)  # election morning, before opening time
    d.step()
    assert d.screen == "not_open"
    shot()

    # --- the package, custody before handover, PINs (no one can sign in yet) --------
    d.press(Nav.COMPANION)
    assert d.screen == "sign_in"
    shot()
    d.tap(T("Load the election package"))
    assert d.screen == "package_load" and d.shows(day.pkg_dir.name)
    assert not any("/" in text for text in d.texts()), d.texts()  # folders by name, never a path
    shot()
    d.tap(day.pkg_dir.name)
    assert d.screen == "working"
    d.step()
    assert d.screen == "package_check"
    assert d.shows(day.pkg.short_id) and all(d.shows(c.name) for c in day.pkg.candidates)
    shot()
    d.tap(T("It matches the paper"))
    d.tap(T("Record custody (before handover)"))
    for stage in ("Received", "Distributed"):
        assert d.screen == "custody"
        d.tap(T("Companion"))
        assert d.screen == "choice"
        d.tap("RIZKY PRATAMA")
        shot()
        d.tap(T("Record: {stage}").format(stage=T(stage)))
        assert d.screen == "notice"
        d.tap(T("OK"))
    assert [s["stage"] for s in svc.custody_trail()] == ["received", "distributed"]
    d.tap(T("Back"))
    for c in day.pkg.companions:
        d.tap(c.name)
        assert d.screen == "make_pin"
        d.type(pin_of(c.id))
        d.tap(T("Next"))
        d.type(pin_of(c.id))
        shot()
        d.tap(T("Save PIN"))
        d.tap(T("OK"))
    assert all(c["has_pin"] for c in svc.election_info()["companions"])

    # --- handover, installation and self-test, zero report, opening --------------------
    sign_in(day)
    shot()
    d.tap(T("Custody and installation"))
    d.tap(T("Note"))
    assert d.screen == "text_entry"
    d.type("SEGEL UTUH")
    shot()
    d.tap(T("Done"))
    # the handover waits for the device clock to be compared with a watch
    assert not d.target(T("Record: {stage}").format(stage=T("Handed over at the village"))).enabled
    d.tap(T("Device clock"))
    assert d.screen == "choice"
    shot()
    d.tap(T("Yes, the same time"))
    d.tap(T("Record: {stage}").format(stage=T("Handed over at the village")))
    d.tap(T("OK"))
    assert svc.custody_trail()[-1]["note"] == "SEGEL UTUH"
    handover = [e for e in svc.ledger.entries() if e.type == "custody.handed_over"][-1]
    assert handover.payload["clock"]["confirmed"] is True
    d.tap(T("Hardware self-test"))
    shot()
    d.tap(T("Start the test"))
    d.step()
    assert d.screen == "self_test" and d.shows(T("Results"))
    shot()
    d.tap(T("Test the buttons"))
    for nav in Nav:
        d.press(nav)
    assert d.texts().count(T("Works")) == len(Nav)
    shot()
    d.tap(T("Done"))
    d.tap(T("Done"))
    assert d.screen == "custody"
    d.tap(T("Record: {stage}").format(stage=T("Installed and self-tested")))
    d.tap(T("OK"))
    d.tap(T("Back"))
    assert svc.status()["custody_next"] == "activated"
    d.tap(T("Zero report and opening"))
    shot()
    d.tap(T("Print the zero report"))
    d.step()
    assert svc.status()["zero_report_printed"]
    assert day.station.printouts[-1].kind == "zero_report"
    shot()
    day.open_at(0)
    sign_in(day)  # the clock moved an hour: the companion signs in again
    d.tap(T("Open the polls"))
    d.tap(T("Open the polls"))
    assert svc.status()["polls"] == "open"
    d.tap(T("OK"))
    shot()

    # --- voter 1: found by name, votes by touch -----------------------------------------
    v1, v2 = day.pkg.voters[0], day.pkg.voters[1]
    d.tap(T("Voter check-in"))
    d.type(v1.name.split()[0])
    d.tap(T("Search"))
    assert d.screen == "voter_results", texts_of(day)
    shot()
    d.tap(v1.name, exact=True)
    assert d.screen == "voter"
    shot()  # name, masked NIK, year of birth
    d.tap(T("Show details"))
    shot("voter-details")
    d.tap(T("Hide details"))
    d.tap(T("This is the person — release the ballot"))
    assert d.screen == "ballot"
    shot()
    vote(day, 2, shots=shots)
    assert svc.counts()["ballots_cast"] == 1 and svc.counts()["photos"] == 1

    # --- voter 2: found by NIK, the paper runs out, a companion reprints ------------------
    day.clock.advance(60)
    sign_in(day)
    check_in_and_release(day, v2.nik, v2.name)
    day.devices.printer.paper_out_after(20)
    d.tap(day.pkg.candidates[0].name)
    d.advance(1)
    d.tap(T("Yes, choose"))
    d.step()
    assert d.screen == "print_failed"
    shot()
    assert svc.counts()["ballots_cast"] == 2 and svc.counts()["slip_failures"] == 1
    sign_in(day)
    d.tap(T("Print the slip again"))
    assert d.shows("Kertas printer habis — ganti gulungan, lalu tekan Lanjut") or d.shows(
        "Printer paper is out — replace the roll, then press Continue"
    )
    shot()
    day.devices.printer.load_paper()
    d.tap(T("Continue"))
    d.step()
    assert d.screen == "slip_check" and svc.counts()["reprints"] == 1
    assert svc.counts()["ballots_cast"] == 2  # a reprint, never a second ballot
    d.tap(T("The slip is correct"))
    photo(day)
    d.tap(T("Keep photo"))

    # --- voter 1 comes back: refused, the earlier photo shown --------------------------
    day.clock.advance(60)
    sign_in(day)
    d.tap(T("Voter check-in"))
    d.type(v1.nik)
    d.tap(T("Search"))
    assert not d.shows(T("Already voted"))  # the list shows no one's status
    d.tap(v1.name, exact=True)
    assert d.shows(T("Already voted"))
    d.tap(T("Check: already voted"))
    assert d.screen == "refusal" and d.shows(T("This voter has already voted"))
    assert day.app.screen.photo is not None
    shot()
    assert svc.counts()["refused"] == 1
    d.tap(T("Refuse and go back"))

    # --- someone not on the DPT: added to the DPTb, votes with the buttons; camera fails ---
    d.tap(T("Voter check-in"))
    d.type("ZAINUDIN")
    d.tap(T("Search"))
    assert d.shows(T("Not on the voter list (DPT)"))
    shot()
    d.tap(T("Add to the DPTb"))
    assert d.screen == "dptb_form"
    d.tap(T("NIK"))
    d.type(dptb_nik(day))
    d.tap(T("Done"))
    d.tap(T("Sex"))
    d.tap(T("Male"))
    d.tap(T("Date of birth"))
    d.type("1990-05-12")
    d.tap(T("Done"))
    d.tap(T("Reason"))
    d.tap(T("Lives here but is not on the DPT"))
    shot()
    d.tap(T("Save to the DPTb"))
    assert d.screen == "voter" and svc.counts()["dptb"] == 1
    d.tap(T("This is the person — release the ballot"))
    assert d.screen == "ballot"
    for nav in (Nav.DOWN, Nav.DOWN, Nav.DOWN, Nav.SELECT):
        d.press(nav)
    assert d.screen == "confirm" and d.shows("3")
    d.advance(1)
    day.devices.camera.fail_always()
    d.press(Nav.SELECT)
    d.step()
    d.tap(T("The slip is correct"))
    photo(day)
    assert day.app.screen.phase == "failed"
    shot()
    sign_in(day)
    d.tap(T("Skip the photo"))
    d.tap(T("The camera does not work"))
    assert svc.counts()["photos_skipped"] == 1 and d.screen == "thanks"
    day.devices.camera.fail_always(False)

    # --- a released ballot nobody used is cancelled ------------------------------------
    day.clock.advance(60)
    day.release(5)
    d.step()
    assert d.screen == "ballot"
    sign_in(day)
    d.tap(T("Cancel the ballot in the booth"))
    d.tap(T("The voter left the booth without voting"))
    assert svc.counts()["cancelled"] == 1
    d.tap(T("OK"))

    # --- a break -------------------------------------------------------------------------
    d.tap(T("Pause voting"))
    d.tap(T("Break"))
    assert svc.status()["polls"] == "paused"
    d.tap(T("Sign out"))
    assert d.screen == "paused"
    shot()
    sign_in(day)
    d.tap(T("Resume voting"))
    assert svc.status()["polls"] == "open"

    # --- closing early, counting, results, export, verify, pack -----------------------
    d.tap(T("Close the polls"))
    assert d.screen == "close"
    shot()
    d.tap(T("Give the reason to close early"))
    d.tap(T("Emergency at the polling station"))
    d.tap(T("Close the polls"))
    assert svc.status()["polls"] == "closed"
    d.tap(T("OK"))
    d.tap(T("Count the votes"))
    d.tap(T("Count the votes"), exact=True)
    assert d.screen == "results"
    assert svc.results()["tally"] == {"1": 1, "2": 1, "3": 1}
    shot()
    d.tap(T("Print the results"))
    d.step()
    d.tap(T("Print another copy"))
    d.step()
    assert [p.kind for p in day.station.printouts].count("results_report") == 2
    d.tap(T("Export the results"))
    d.tap("usb-export")
    d.step()
    assert list((day.root / "usb-export").glob("hasil-*.zip"))
    assert d.shows("usb-export") and not d.shows(str(day.root))  # the stick's name, never a path
    assert d.shows("Flashdisk aman dicabut") or d.shows("can be safely removed")
    shot()
    d.tap(T("OK"))
    d.tap(T("Back"))
    d.tap(T("Verify the records"))
    d.tap(T("Check now"))
    d.step()
    assert d.shows(T("Valid: nothing changed"))
    shot()
    d.tap(T("Done"))
    d.tap(T("Pack the device"))
    d.tap(T("Print the custody slip and seal"))
    d.step()
    assert svc.status()["polls"] == "packed" and day.station.printouts[-1].kind == "custody_slip"
    d.tap(T("OK"))
    assert d.screen == "closed" and day.app.mode == "voter"
    shot()
