"""The companions' guidebook (buku panduan), built by one command from the simulator.

    python -m booth_dev.guidebook [OUT_DIR]        # default: docs/guidebook

1. **Screens.**  A simulated day on one booth: the demo election, every device
   simulated, a :class:`~booth.ledger.clock.FakeClock`, and the real kiosk
   (:class:`~booth.ui.app.KioskApp`) driven headless frame by frame by
   :class:`~booth.ui.driver.KioskDriver` (the steps follow ``full_day`` in
   ``tests/test_ui_support.py``): sign-in with the PIN, the companion home,
   the self-test, checking a voter in, the ballot, the confirmation, the
   slip check, a disputed slip spoiled by the companion, paper running out
   mid-slip, the results.  The screens are Indonesian (what the
   booth shows by default) at 720x1280, the panel of the appliance.
2. **Printed items.**  The simulator's scenario runner
   (``hw-sim/booth_sim/day/runner.py``, the demo day) writes every printed item as
   ``prints/NNN-kind.png``; the guidebook takes the first of each kind.  If the
   runner cannot run the day, the same items printed on the simulated printer
   during step 1 are used (the same renderer, ``booth.paper.to_png``), and the
   command says so.
3. **PDF.**  ``id.md`` and ``en.md`` in OUT_DIR become ``booth-panduan-id.pdf``
   and ``booth-guidebook-en.pdf`` with **fpdf2** and DejaVu Sans.  The
   Markdown is rendered by the small renderer in this module (no ``markdown``
   package): ``#``/``##`` headings (also the PDF's outline), paragraphs,
   numbered and bulleted lists, block quotes, pipe tables, images on their own
   line, ``---`` on its own line (a new page: the day's one-page checklist),
   ``**bold**``, ``*emphasis*`` and ``code`` inline.  That subset is what the
   guidebook uses; anything else is printed as plain text.

Every image a Markdown file references must exist under OUT_DIR after step 1
and 2, or the command fails naming the missing ones (:func:`missing_images`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # the pieces of the simulated day, imported when it runs (pygame, the simulator)
    from booth.election_package import ElectionPackage
    from booth.hardware.devices import Devices
    from booth.kiosk.station import Station
    from booth.ledger.clock import FakeClock
    from booth.service import BoothService
    from booth.ui.app import KioskApp
    from booth.ui.driver import KioskDriver
    from booth_sim.camera import SimCamera
    from booth_sim.power import SimPower
    from booth_sim.printer import SimPrinter

REPO = Path(__file__).resolve().parents[2]  # hw-sim/booth_dev/guidebook.py -> the checkout
DEFAULT_OUT = REPO / "docs" / "guidebook"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
PDFS = {"id.md": "booth-panduan-id.pdf", "en.md": "booth-guidebook-en.pdf"}
SCREEN_SIZE = (720, 1280)
# guidebook image -> the kind of printed item (booth.kiosk.station.Printout.kind)
PRINTS = {
    "print-self-test.png": "self_test",
    "print-zero-report.png": "zero_report",
    "print-slip.png": "slip",
    "print-slip-void.png": "slip_void",
    "print-results-report.png": "results_report",
    "print-custody-slip.png": "custody_slip",
}
SCREENS: tuple[str, ...] = (
    "companion-no-package.png",
    "companion-package-load.png",
    "companion-package-check.png",
    "companion-home.png",
    "companion-pin.png",
    "companion-self-test.png",
    "companion-check-in.png",
    "companion-results.png",
    "voter-ballot.png",
    "voter-confirm.png",
    "voter-slip-check.png",
    "voter-disputed.png",
    "companion-spoil.png",
    "voter-print-failed.png",
    "companion-reprint.png",
    "voter-camera-failed.png",
    "companion-skip-photo.png",
    "companion-cancel-ballot.png",
    "companion-pin-locked.png",
    "companion-power-cut.png",
)
# the polling station's screens (a desk and three booths, booth_dev.gallery's station walk):
# the walk's caption -> the guidebook image
STATION_SCREENS = {
    "pairing-desk": "station-pairing-desk.png",
    "pairing-booth": "station-pairing-booth.png",
    "release_booth": "station-release-booth.png",
    "go_to_booth": "station-go-to-booth.png",
    "release_booth-timed-out": "station-timed-out.png",
    "release_booth-cancel": "station-cancel.png",
    "waiting-booth": "station-booth-waiting.png",
    "release_refused": "station-release-refused.png",
    "station_photo": "station-photo.png",
    "station_closing": "station-closing.png",
    "station_closing-refused": "station-closing-refused.png",
}
SCREENS = SCREENS + tuple(STATION_SCREENS.values())
IMAGE_REF = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


class GuidebookError(Exception):
    pass


def missing_images(markdown_files, out_dir: Path) -> list[str]:
    """Image references in ``markdown_files`` with no file under ``out_dir`` (relative paths)."""
    missing = []
    for md in markdown_files:
        for _alt, ref in IMAGE_REF.findall(Path(md).read_text(encoding="utf-8")):
            if not (Path(out_dir) / ref).is_file():
                missing.append(f"{Path(md).name}: {ref}")
    return missing


# ------------------------------------------------------------------ 1. the screens
@dataclass
class _Day:
    svc: BoothService
    station: Station
    devices: Devices
    clock: FakeClock
    pkg: ElectionPackage
    app: KioskApp
    drv: KioskDriver


def _sim_printer(day: _Day) -> SimPrinter:
    """The day's printer, which the guidebook's day runs out of paper on purpose."""
    from booth_sim.printer import SimPrinter

    printer = day.devices.printer
    assert isinstance(printer, SimPrinter), "the guidebook's day runs on the simulated printer"
    return printer


def _pin(companion_id: str) -> str:
    return "2580" + companion_id[-2:]


def _t(msgid: str) -> str:
    from booth.ui.i18n import _

    return str(_(msgid))


def simulate_screens(images: Path, work: Path) -> list:
    """Drive the kiosk through the day, save the screens into ``images``; return the printouts."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from booth.demo_election import make_demo_package
    from booth.election_package import load_package
    from booth.hardware.controls import Nav
    from booth.hardware.devices import open_devices
    from booth.kiosk.station import Station
    from booth.ledger.clock import FakeClock
    from booth.service import BoothService, Settings
    from booth.ui.app import KioskApp, KioskSettings
    from booth.ui.driver import KioskDriver

    pkg_dir, _keys = make_demo_package(work / "usb", voters=60)
    pkg = load_package(pkg_dir)
    opens = pkg.election.opens_at.astimezone(dt.UTC)
    clock = FakeClock(opens - dt.timedelta(days=2))
    svc = BoothService.provision(work / "state", clock=clock, settings=Settings(pin_scrypt_n=2**10))
    devices = open_devices(None)
    station = Station(svc, devices)
    export_dir = work / "usb-export"
    export_dir.mkdir()
    settings = KioskSettings(
        poll_interval=0, package_dirs=(str(pkg_dir.parent),), export_dirs=(str(export_dir),), language="id"
    )
    app = KioskApp(svc, station, devices, SCREEN_SIZE, clock=clock, settings=settings)
    d = KioskDriver(app)
    try:
        _load_package(app, d, pkg_dir, images, Nav)
    except BaseException:
        devices.close()
        svc.close()
        raise
    # Setting the scene through the API (the guidebook's own screens come after): custody, PINs.
    svc.record_custody("received", companion_id="PT-02", place="Kecamatan Pagelaran")
    svc.record_custody("distributed", companion_id="PT-02", place="Jalan ke pekon")
    for c in pkg.companions:
        svc.set_first_pin(c.id, _pin(c.id))
    svc.record_custody("handed_over", token=svc.sign_in("PT-01", _pin("PT-01")), place="Balai Pekon")
    day = _Day(svc, station, devices, clock, pkg, app, d)
    try:
        _run_day(day, images, Nav, export_dir)
    finally:
        devices.close()
        svc.close()
    return list(station.printouts)


def _load_package(app: KioskApp, d: KioskDriver, pkg_dir: Path, images: Path, Nav) -> None:
    """The first screen of a new device: no package yet; the USB stick's package, checked and compared."""

    def shot(name: str, screen: str) -> None:
        if d.screen != screen:
            raise GuidebookError(f"{name}: expected the screen {screen!r}, the kiosk shows {d.screen!r}")
        app.save_screenshot(images / name)

    d.step()
    d.press(Nav.COMPANION)
    shot("companion-no-package.png", "sign_in")
    d.tap(_t("Load the election package"))
    shot("companion-package-load.png", "package_load")
    d.tap(pkg_dir.name)
    d.step(3)
    shot("companion-package-check.png", "package_check")
    d.tap(_t("It matches the paper"))
    d.step()


def _run_day(day: _Day, images: Path, Nav, export_dir: Path) -> None:
    d, svc, pkg = day.drv, day.svc, day.pkg
    t = _t

    def shot(name: str, screen: str) -> None:
        if d.screen != screen:
            raise GuidebookError(
                f"{name}: expected the screen {screen!r}, the kiosk shows {d.screen!r}: " + " | ".join(d.texts())[:300]
            )
        day.app.save_screenshot(images / name)

    def expect(screen: str) -> None:
        if d.screen != screen:
            raise GuidebookError(
                f"expected the screen {screen!r}, the kiosk shows {d.screen!r}: " + " | ".join(d.texts())[:300]
            )

    def open_at(minutes: float) -> None:
        target = pkg.election.opens_at.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)
        delta = (target - day.clock.now()).total_seconds()
        day.clock.advance(delta) if delta >= 0 else day.clock.set(target)

    def sign_in(pin_shot: bool = False) -> None:
        d.press(Nav.COMPANION)
        expect("sign_in")
        d.tap(next(c.name for c in pkg.companions if c.id == "PT-01"))
        d.type(_pin("PT-01"))
        if pin_shot:
            shot("companion-pin.png", "pin")
        d.tap(t("Sign in"))
        expect("companion_home")

    def photo() -> None:
        expect("photo")
        d.advance(day.app.settings.photo_look_s + 0.5)
        for _i in range(day.app.settings.photo_countdown + 1):
            d.advance(1)
        d.step()
        d.tap(t("Keep photo"))

    def photo_until_it_fails() -> None:
        expect("photo")
        d.advance(day.app.settings.photo_look_s + 0.5)
        for _i in range(day.app.settings.photo_countdown + 1):
            d.advance(1)
        d.step()
        if getattr(day.app.screen, "phase", None) != "failed":
            raise GuidebookError("the camera failure did not show on the photo step")

    def check_in(query: str, name: str, results_shot: str | None = None) -> None:
        d.tap(t("Voter check-in"))
        d.type(query)
        d.tap(t("Search"))
        expect("voter_results")
        if results_shot:
            shot(results_shot, "voter_results")
        d.tap(name, exact=True)
        d.tap(t("This is the person — release the ballot"))
        expect("ballot")

    open_at(-90)  # election morning
    d.step()
    # --- sign-in, home, installation with the self-test --------------------------------
    sign_in(pin_shot=True)
    shot("companion-home.png", "companion_home")
    d.tap(t("Custody and installation"))
    d.tap(t("Hardware self-test"))
    d.tap(t("Start the test"))
    d.step()
    shot("companion-self-test.png", "self_test")
    d.tap(t("Done"))
    expect("custody")
    d.tap(t("Record: {stage}").format(stage=t("Installed and self-tested")))
    d.tap(t("OK"))
    d.tap(t("Back"))
    # --- zero report, opening -------------------------------------------------------------
    d.tap(t("Zero report and opening"))
    d.tap(t("Print the zero report"))
    d.step()
    if not svc.status()["zero_report_printed"]:
        raise GuidebookError("the zero report was not printed")
    open_at(0)
    sign_in()
    d.tap(t("Open the polls"))
    d.tap(t("Open the polls"))
    d.tap(t("OK"))
    # --- voter 1: found by name, votes by touch ---------------------------------------------
    v1, v2 = pkg.voters[0], pkg.voters[1]
    check_in(v1.name.split()[0], v1.name, results_shot="companion-check-in.png")
    shot("voter-ballot.png", "ballot")
    d.tap(next(c.name for c in pkg.candidates if c.number == 2))
    shot("voter-confirm.png", "confirm")
    d.advance(1)
    d.tap(t("Yes, choose"))
    d.step()
    # the voter says the slip is wrong: the companion spoils it (VOID print), the voter votes again
    shot("voter-slip-check.png", "slip_check")
    d.tap(t("The slip is NOT correct"))
    shot("voter-disputed.png", "disputed")
    d.press(Nav.COMPANION)
    d.tap(next(c.name for c in pkg.companions if c.id == "PT-01"))
    d.type(_pin("PT-01"))
    d.tap(t("Sign in"))
    shot("companion-spoil.png", "spoil")
    d.tap(t("Spoil this ballot"))
    expect("question")
    d.tap(t("Spoil this ballot"))
    d.step(2)
    expect("ballot")
    d.advance(svc.settings.min_cast_interval + 1)
    d.tap(next(c.name for c in pkg.candidates if c.number == 2))
    d.advance(1)
    d.tap(t("Yes, choose"))
    d.step()
    expect("slip_check")
    d.tap(t("The slip is correct"))
    photo()
    # --- voter 2: the paper runs out in the middle of the slip --------------------------------
    day.clock.advance(60)
    sign_in()
    check_in(v2.nik, v2.name)
    _sim_printer(day).paper_out_after(20)
    d.tap(pkg.candidates[0].name)
    d.advance(1)
    d.tap(t("Yes, choose"))
    d.step()
    shot("voter-print-failed.png", "print_failed")
    sign_in()
    d.tap(t("Print the slip again"))
    shot("companion-reprint.png", "reprint")
    _sim_printer(day).load_paper()
    d.tap(t("Continue"))
    d.step()
    expect("slip_check")
    d.tap(t("The slip is correct"))
    photo()
    # --- voter 3: the camera fails at the photo step; the companion skips the photo ------------
    v3, v4 = pkg.voters[2], pkg.voters[3]
    day.clock.advance(60)
    sign_in()
    check_in(v3.nik, v3.name)
    d.tap(pkg.candidates[2].name)
    d.advance(1)
    camera = cast("SimCamera", day.devices.camera)  # the simulator's camera has the fault switch
    camera.fail_always()
    d.tap(t("Yes, choose"))
    d.step()
    expect("slip_check")
    d.tap(t("The slip is correct"))
    photo_until_it_fails()
    shot("voter-camera-failed.png", "photo")
    sign_in()
    d.tap(t("Skip the photo"))
    shot("companion-skip-photo.png", "choice")
    d.tap(t("The camera does not work"))
    camera.fail_always(False)
    expect("thanks")
    # --- a released ballot nobody used: the voter left the booth, the companion cancels it ------
    day.clock.advance(60)
    sign_in()
    check_in(v4.nik, v4.name)
    sign_in()
    d.tap(t("Cancel the ballot in the booth"))
    shot("companion-cancel-ballot.png", "choice")
    d.tap(t("The voter left the booth without voting"))
    d.tap(t("OK"))
    expect("companion_home")
    # --- a PIN locked after too many wrong tries (through the core, with its waits) -----------
    from booth.errors import BoothError

    locked = next(c for c in pkg.companions if c.id == "PT-03")
    for _i in range(60):
        try:
            svc.sign_in(locked.id, "111111")
        except BoothError as exc:
            if exc.details.get("locked"):
                break
            day.clock.advance(exc.details.get("wait_seconds", 0) + 1)
    d.tap(t("Sign out"))
    d.press(Nav.COMPANION)
    expect("sign_in")
    d.tap(locked.name)
    shot("companion-pin-locked.png", "pin")
    d.tap(t("Back"))
    d.tap(t("Back"))  # (out of the sign-in: the booth waits for a voter)
    # --- a power cut: on the battery, then the battery runs low and the booth pauses itself ---
    day.station.watch_power()
    power = cast("SimPower", day.devices.power)  # the simulator's power monitor has the switches
    power.cut()
    d.step()
    power.low_battery()
    d.step()
    sign_in()
    d.step()
    if svc.status()["polls"] != "paused":
        raise GuidebookError("the low battery did not pause the booth")
    shot("companion-power-cut.png", "companion_home")
    power.restore()
    d.step()
    d.tap(t("Resume voting"))
    d.tap(t("Sign out"))
    # --- closing early (the simulated day is short), counting, results, export, packing --------
    day.clock.advance(60)
    sign_in()
    d.tap(t("Close the polls"))
    d.tap(t("Give the reason to close early"))
    d.tap(t("Emergency at the polling station"))
    d.tap(t("Close the polls"))
    d.tap(t("OK"))
    d.tap(t("Count the votes"))
    d.tap(t("Count the votes"), exact=True)
    shot("companion-results.png", "results")
    d.tap(t("Print the results"))
    d.step()
    d.tap(t("Export the results"))
    d.tap(export_dir.name)
    d.step()
    d.tap(t("OK"))
    d.tap(t("Back"))
    d.tap(t("Pack the device"))
    d.tap(t("Print the custody slip and seal"))
    d.step()
    if svc.status()["polls"] != "packed":
        raise GuidebookError("the simulated day did not end packed")


# ------------------------------------------------------------------ 2. the printed items
def runner_prints(work: Path, stream) -> dict[str, Path]:
    """The first printed item of each kind from the simulator's demo day (``prints/NNN-kind.png``)."""
    from booth.demo import demo_day
    from booth_sim.day.runner import run_day

    out = work / "sim"
    run_day(demo_day(30, 2025), out, stream=io.StringIO())
    found: dict[str, Path] = {}
    for png in sorted((out / "prints").glob("*.png")):
        kind = png.stem.split("-", 1)[1] if "-" in png.stem else png.stem
        found.setdefault(kind, png)
    return found


def write_prints(images: Path, printouts: list, work: Path, stream) -> str:
    from booth.paper import to_png

    try:
        found = runner_prints(work, stream)
        source = "the simulator's demo day (booth_sim.day.runner)"
    except Exception as exc:  # noqa: BLE001 - fall back to the kiosk day's printer, and say so
        stream.write(
            f"booth guidebook: the scenario runner failed ({type(exc).__name__}: {exc}); "
            "using the kiosk day's printed items\n"
        )
        found = {}
        source = "the kiosk day's simulated printer"
    for name, kind in PRINTS.items():
        ran = found.get(kind) or found.get(kind.replace("_", "-"))  # the runner names slip_void slip-void
        if ran is not None:
            shutil.copyfile(ran, images / name)
            continue
        item = next((p for p in printouts if p.kind == kind), None)
        if item is None:
            raise GuidebookError(f"nothing of kind {kind!r} was printed for {name}")
        to_png(item.image, images / name)
    return source


# ------------------------------------------------------------------ 3. the PDF
CODE_SPAN = re.compile(r"`([^`]+)`")
# *emphasis*: one asterisk each side, hugging the words, not part of **bold** nor inside a word
# (so "2*3*4" stays as it is)
EMPHASIS = re.compile(r"(?<![*\w\\])\*(?=[^\s*])([^*]*?[^\s*\\])\*(?![*\w])")


def _escape(part: str, markers: tuple[str, ...]) -> str:
    """fpdf2 (2.8) prints a backslash doubled as one, and a backslash before a marker escapes it."""
    part = part.replace("\\", "\\\\")
    for marker in markers:
        part = part.replace(marker, "\\" + marker)
    return part


def _inline(text: str) -> str:
    """Markdown inline -> fpdf2's markdown=True subset: ``**bold**`` stays, ``*emphasis*`` becomes
    fpdf2's italic (``__``), ``code`` loses its backticks and is printed as it is.

    fpdf2 reads ``--``, ``__`` and ``~~`` as underline/italic/strike markers: they are escaped,
    like ``**`` inside a code span, so no marker is ever printed as a literal nor read as one."""
    out = []
    last = 0
    for m in CODE_SPAN.finditer(text):
        out.append(EMPHASIS.sub(r"__\1__", _escape(text[last : m.start()], ("--", "__", "~~"))))
        out.append(_escape(m.group(1), ("**", "--", "__", "~~")))
        last = m.end()
    out.append(EMPHASIS.sub(r"__\1__", _escape(text[last:], ("--", "__", "~~"))))
    joined = "".join(out)
    # fpdf2 prints a run of backslashes when the next character comes: a final one needs a space
    return joined + " " if joined.endswith("\\") else joined


def _blocks(md: str):
    """Split the Markdown subset into blocks: (kind, payload)."""
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if re.fullmatch(r"\s*(-{3,}|\*{3,})\s*", line):  # a thematic break: a new page in the PDF
            yield "pagebreak", None
            i += 1
            continue
        m = re.match(r"^(#{1,3})\s+(.*)$", line)
        if m:
            yield "heading", (len(m.group(1)), m.group(2).strip())
            i += 1
            continue
        if re.fullmatch(r"\s*!\[[^\]]*\]\([^)]+\)\s*", line):
            found = IMAGE_REF.search(line)
            assert found is not None  # the line is an image reference (checked above)
            alt, ref = found.groups()
            yield "image", (alt, ref)
            i += 1
            continue
        if line.startswith(">"):
            quote = []
            while i < len(lines) and lines[i].startswith(">"):
                quote.append(lines[i][1:].strip())
                i += 1
            yield "quote", " ".join(q for q in quote if q)
            continue
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            yield "table", rows
            continue
        m = re.match(r"^(\d+)\.\s+(.*)$", line) or re.match(r"^([-*])\s+(.*)$", line)
        if m:
            items = []
            while i < len(lines):
                m = re.match(r"^(\d+)\.\s+(.*)$", lines[i]) or re.match(r"^([-*])\s+(.*)$", lines[i])
                if m:
                    items.append([m.group(1), m.group(2)])
                elif lines[i].startswith("   ") and lines[i].strip() and items:
                    items[-1][1] += " " + lines[i].strip()
                else:
                    break
                i += 1
            yield "list", items
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not re.match(r"^(#|>|\||\d+\.\s|[-*]\s|!\[)", lines[i]):
            para.append(lines[i].strip())
            i += 1
        if not para:  # a line the subset does not know: as text
            para = [line.strip()]
            i += 1
        yield "para", " ".join(para)


def build_pdf(md_path: Path, pdf_path: Path, *, compress: bool = True) -> None:
    """Render ``md_path`` (the subset above) to ``pdf_path``; images relative to the Markdown file."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    base = md_path.parent
    missing = missing_images([md_path], base)
    if missing:
        raise GuidebookError("images referenced but not generated: " + ", ".join(missing))
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_compression(compress)
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.add_font("DejaVu", "BI", str(FONT_DIR / "DejaVuSans-BoldOblique.ttf"))
    pdf.set_font("DejaVu", size=10.5)
    text = md_path.read_text(encoding="utf-8")
    title = next((m.group(1).strip() for m in re.finditer(r"^#\s+(.*)$", text, re.MULTILINE)), md_path.stem)
    pdf.set_title(title)
    pdf.set_creator("booth guidebook (fpdf2)")
    pdf.add_page()
    width = pdf.epw
    line_h = 5.6

    for kind, payload in _blocks(text):
        pdf.set_x(pdf.l_margin)
        if kind == "pagebreak":
            pdf.add_page()
        elif kind == "heading":
            level, text = payload
            if level == 2 and pdf.get_y() > pdf.h * 0.72:
                pdf.add_page()  # a section does not start at the foot of a page
            pdf.start_section(text.replace("**", ""), level=level - 1)
            size = {1: 19, 2: 14, 3: 12}[level]
            pdf.ln(3 if level > 1 else 0)
            pdf.set_font("DejaVu", "B", size)
            pdf.multi_cell(width, size * 0.5, text.replace("**", ""), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            pdf.set_font("DejaVu", "", 10.5)
        elif kind == "para":
            pdf.multi_cell(width, line_h, _inline(payload), markdown=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "list":
            for marker, text in payload:
                label = f"{marker}." if marker.isdigit() else "•"
                pdf.set_x(pdf.l_margin + 2)
                pdf.cell(7, line_h, label)
                pdf.multi_cell(width - 9, line_h, _inline(text), markdown=True, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.8)
            pdf.ln(1.5)
        elif kind == "quote":
            top = pdf.get_y()
            pdf.set_x(pdf.l_margin + 5)
            pdf.set_fill_color(240, 244, 248)
            pdf.multi_cell(
                width - 5, line_h, _inline(payload), markdown=True, fill=True, padding=2, new_x="LMARGIN", new_y="NEXT"
            )
            if pdf.get_y() > top:  # the bar beside the quote (same page)
                pdf.set_fill_color(60, 110, 170)
                pdf.rect(pdf.l_margin, top, 1.6, pdf.get_y() - top, style="F")
            pdf.ln(3)
        elif kind == "table":
            pdf.set_font("DejaVu", "", 9)
            ncols = len(payload[0])
            widths = (24, 38, 58)[:ncols] if ncols == 3 else None
            pdf.set_fill_color(255, 255, 255)
            with pdf.table(
                col_widths=widths,
                markdown=True,
                line_height=4.8,
                padding=1.5,
                text_align="LEFT",
                cell_fill_mode="ROWS",
                cell_fill_color=(246, 248, 250),
                headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
            ) as table:
                for cells in payload:
                    row = table.row()
                    for cell in cells + [""] * (ncols - len(cells)):
                        row.cell(_inline(cell))
            pdf.set_font("DejaVu", "", 10.5)
            pdf.ln(3)
        elif kind == "image":
            alt, ref = payload
            _image(pdf, base / ref, alt)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(pdf_path))


def _image(pdf, path: Path, alt: str) -> None:
    """An image centred under the text with its caption; a long printed strip (a report) is cut
    into up to four pieces set side by side, read left to right, so its words stay readable."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        w_px, h_px = im.size
        pieces = min(4, math.ceil(h_px / w_px / 3.2)) if h_px / w_px > 3.2 else 1
        if pieces == 1:
            parts = [im.copy()]
        else:
            step = math.ceil(h_px / pieces)
            parts = [im.crop((0, i * step, w_px, min(h_px, (i + 1) * step))) for i in range(pieces)]
    gap = 4.0
    max_w = pdf.epw * 0.55 if pieces == 1 else (pdf.epw - gap * (pieces - 1)) / pieces
    max_h = 105.0 if pieces == 1 else 150.0
    part_h_px = max(part.height for part in parts)
    w = min(max_w, max_h * w_px / part_h_px)
    h = w * part_h_px / w_px
    if pdf.get_y() + h + 8 > pdf.h - pdf.b_margin:
        pdf.add_page()
    total = w * pieces + gap * (pieces - 1)
    x = pdf.l_margin + (pdf.epw - total) / 2
    top = pdf.get_y()
    for i, part in enumerate(parts):
        ph = w * part.height / w_px
        pdf.image(part, x=x + i * (w + gap), y=top, w=w, h=ph)
        if i:  # a thin line where the strip was cut
            pdf.set_draw_color(170, 170, 170)
            pdf.line(x + i * (w + gap) - gap / 2, top, x + i * (w + gap) - gap / 2, top + h)
    pdf.set_y(top + h + 1)
    pdf.set_font("DejaVu", "I", 8.5)
    pdf.multi_cell(pdf.epw, 4.2, alt, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10.5)
    pdf.ln(3)


def simulate_station_screens(images: Path, work: Path) -> None:
    """A desk and three booths, each its own kiosk and ledger, paired: the station's screens."""
    from booth.demo_election import make_demo_package
    from booth.election_package import load_package
    from booth_dev import gallery

    pkg_dir, _keys = make_demo_package(work / "usb", voters=60)
    demo = (pkg_dir, load_package(pkg_dir))

    def camera_for(drv):
        def shot(caption=None):
            name = STATION_SCREENS.get(caption or "")
            if name is not None:
                drv.app.save_screenshot(images / name)

        return shot

    (work / "station").mkdir()
    gallery._station_screens(gallery._support(), work / "station", SCREEN_SIZE, "id", demo, None, camera_for)


# ------------------------------------------------------------------ the command
def build(out_dir: Path, *, stream=sys.stdout, compress: bool = True) -> dict:
    """Images and PDFs into ``out_dir`` (which holds id.md and en.md; copied from docs/guidebook if not)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for md in PDFS:
        if not (out_dir / md).exists():
            shutil.copyfile(DEFAULT_OUT / md, out_dir / md)
    images = out_dir / "images"
    images.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix="booth-guidebook-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None
    ) as tmp:
        work = Path(tmp)
        (work / "day").mkdir()
        printouts = simulate_screens(images, work / "day")
        (work / "station").mkdir()
        simulate_station_screens(images, work / "station")
        source = write_prints(images, printouts, work, stream)
    stream.write(
        f"booth guidebook: {len(SCREENS)} screens (the kiosk, simulated day), "
        f"{len(PRINTS)} printed items ({source}) in {images}\n"
    )
    missing = missing_images([out_dir / md for md in PDFS], out_dir)
    if missing:
        raise GuidebookError("images referenced but not generated: " + ", ".join(missing))
    made = {}
    for md, pdf in PDFS.items():
        build_pdf(out_dir / md, out_dir / pdf, compress=compress)
        made[md] = out_dir / pdf
        stream.write(f"booth guidebook: {out_dir / pdf}\n")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booth_dev.guidebook",
        description="Build the companions' guidebook: screenshots, printed items, PDFs.",
    )
    parser.add_argument(
        "out_dir", nargs="?", default=str(DEFAULT_OUT), help="folder with id.md and en.md (default: docs/guidebook)"
    )
    args = parser.parse_args(argv)
    try:
        build(Path(args.out_dir))
    except GuidebookError as exc:
        print(f"booth guidebook: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
