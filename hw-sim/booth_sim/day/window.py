"""The simulator window: the kiosk at its real size beside the booth's hardware, in software.

``booth sim`` / ``booth demo`` with a display open this window.  On the left
is the kiosk (:class:`~booth.ui.app.KioskApp`) exactly as the panel shows it;
on the right, what a tester would otherwise hold in their hands:

- the voter push-buttons (UP, DOWN, SELECT, BACK, COMPANION) — a click is a
  press on the simulated GPIO header (:class:`booth_sim.gpio.SimPanel`);
- the three status LEDs and the buzzer;
- fault switches: paper out (the next slip stops mid-way), paper jam, camera
  failure, power cut / restore, low battery;
- the camera view and the printer tape as it prints (torn where the paper ran
  out; scroll it with the mouse wheel);
- with a scenario: "Next step" and "Play" to run the scripted day step by
  step while the kiosk shows what the core says.

Without a scenario the booth is brought to "polls open" with the demo
election, the clock moves with real time, and the tester plays both voter and
companion with the mouse (PINs are shown on the panel).

>>> from booth_sim.day.window import SimWindow             # doctest: +SKIP
>>> win = SimWindow.ready_booth(root)                     # doctest: +SKIP
>>> win.click_control("SELECT"); win.step()               # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pygame

from booth.hardware.controls import Nav
from booth.ui.events import DEV_KEYS, from_window

if TYPE_CHECKING:
    from booth.election_package import ElectionPackage
    from booth.hardware.devices import Devices
    from booth.kiosk.station import Station
    from booth.ledger.clock import FakeClock
    from booth.service import BoothService
    from booth.ui.app import KioskSettings

PANEL_W = 460
MIN_H = 900
BG = (38, 42, 48)
INK = (235, 235, 235)
DIM = (150, 155, 160)
KEY = (70, 78, 90)
KEY_ON = (110, 160, 230)
LED_COLOURS = {"ready": (40, 200, 70), "busy": (240, 190, 30), "attention": (230, 50, 40)}
DEMO_PIN_PREFIX = "2580"  # demo PINs: 2580 + the last two digits of the companion ID


def demo_pin(companion_id: str) -> str:
    """The PIN the simulator gives ``companion_id`` (shown on the panel)."""
    return DEMO_PIN_PREFIX + companion_id[-2:]


@dataclass
class Control:
    """A clickable thing on the panel: a voter button, a fault switch, a scenario control."""

    name: str
    label: str
    rect: pygame.Rect
    action: Callable[[], object]
    lit: Callable[[], object] | None = None  # drawn "on" while it says so (a switch that is on)


class TickingClock:
    """The core's and the kiosk's FakeClock, moved on by real time while the window runs."""

    def __init__(self, fake) -> None:
        self.fake = fake
        self.running = True
        self._last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if self.running:
            self.fake.advance(now - self._last)
        self._last = now


class ScenarioPlayer:
    """A scripted day (:class:`booth_sim.day.runner.SimDay`) played one step at a time."""

    def __init__(self, scenario, out: Path) -> None:
        from booth.hardware.devices import open_devices
        from booth_sim.day.runner import SimDay, prepare_output

        self.day = SimDay(scenario, out, stream=None)
        prepare_output(self.day.out)  # raises OutputRefused before anything is written
        self.day.devices = open_devices(None)
        self.day._begin()
        self.next = 0
        self.stopped: dict | None = None
        self.started = time.monotonic()
        self.summary: dict | None = None

    @property
    def done(self) -> bool:
        return self.next >= len(self.day.sc.steps) or self.stopped is not None

    def label(self) -> str:
        steps = self.day.sc.steps
        if self.stopped:
            return f"berhenti / stopped: {self.stopped['error'][:40]}"
        if self.next >= len(steps):
            return f"selesai / done ({len(steps)} langkah / steps)"
        s = steps[self.next]
        return f"{self.next + 1}/{len(steps)} {s.kind} {s.where}"

    def step(self) -> None:
        """Run the next scripted step (as ``SimDay.run`` does), stopping the day on a refusal."""
        from booth.errors import BoothError
        from booth_sim.day.runner import DayStopped

        if self.done:
            return
        step = self.day.sc.steps[self.next]
        self.next += 1
        try:
            getattr(self.day, "_step_" + step.kind)(step, step.args)
        except (BoothError, DayStopped) as exc:
            self.stopped = {"step": step.where, "kind": step.kind, "error": getattr(exc, "message_en", str(exc))}

    def finish(self) -> int:
        """Write the day's artifacts (as ``booth sim`` does); the exit code."""
        if self.summary is None:
            stopped = self.stopped
            if stopped is None and self.next < len(self.day.sc.steps):
                stopped = {
                    "step": self.day.sc.steps[self.next].where,
                    "kind": "window",
                    "error": "the window was closed before the end of the day",
                }
            self.summary = self.day._finish(stopped, time.monotonic() - self.started)
        return self.summary["exit_code"]


class SimWindow:
    """The window (see the module docstring).  ``step()`` runs one frame; ``run()`` loops."""

    def __init__(
        self,
        api,
        station,
        devices,
        clock,
        *,
        size=(720, 1280),
        player: ScenarioPlayer | None = None,
        pins: dict[str, str] | None = None,
        ticking: bool = True,
        settings=None,
    ) -> None:
        from booth.ui.app import KioskApp, KioskSettings

        self.kiosk_size = (int(size[0]), int(size[1]))
        self.size = (self.kiosk_size[0] + PANEL_W, max(self.kiosk_size[1], MIN_H))
        self.devices = devices
        self.clock = clock
        self.player = player
        self.service: BoothService | None = None  # the booth the window made, if it made one (closed with it)
        self.package: ElectionPackage | None = None
        self.pins = pins or {}
        self.ticker = TickingClock(clock)
        self.ticker.running = ticking
        self.settings = settings or KioskSettings(poll_interval=0.2, windowed=True)
        self.app = KioskApp(api, station, devices, self.kiosk_size, clock=clock, settings=self.settings)
        self._listen_power()
        self.display = pygame.display.set_mode(self.size)
        pygame.display.set_caption("booth — simulator")
        self.running = True
        self.playing = False
        self.tape: list[tuple[pygame.Surface, bool]] = []  # (image, torn), oldest first
        self._printed_seen = 0
        self._partial_seen = 0
        self.tape_scroll = 0  # pixels up from the newest end
        self.camera_view: pygame.Surface | None = None
        self.camera_error = ""
        self._camera_at = -1.0
        self._camera_failing = False
        self._font = pygame.font.Font(_font_file(), 16)
        self._small = pygame.font.Font(_font_file(), 13)
        self.controls = self._layout()

    # ------------------------------------------------------------------ building
    @classmethod
    def ready_booth(cls, root: Path, *, size=(720, 1280), voters: int = 60, ticking: bool = True) -> SimWindow:
        """A window on a booth with the demo election and the polls open (see :func:`open_booth`)."""
        b = open_booth(root, voters=voters)
        win = cls(
            b.service, b.station, b.devices, b.clock, size=size, pins=b.pins, ticking=ticking, settings=b.settings
        )
        win.service, win.package = b.service, b.package
        return win

    @classmethod
    def play(cls, scenario, out: Path, *, size=(720, 1280)) -> SimWindow:
        """A window on a scripted day: the scenario's booth, its clock, its devices."""
        player = ScenarioPlayer(scenario, out)
        day = player.day
        win = cls(
            day.svc,
            day.station,
            day.devices,
            day.clock,
            size=size,
            player=player,
            pins=dict(scenario.pins),
            ticking=False,
        )
        win.service = day.svc
        return win

    def _listen_power(self) -> None:
        share_power(self.devices, self.app, self.player.day if self.player else None)

    def _layout(self) -> list[Control]:
        x0 = self.kiosk_size[0] + 16
        controls = []
        panel = self.devices.panel
        y = 40
        for i, nav in enumerate((Nav.UP, Nav.DOWN, Nav.SELECT, Nav.BACK, Nav.COMPANION)):
            rect = pygame.Rect(x0 + (i % 3) * 144, y + (i // 3) * 58, 136, 50)
            controls.append(Control(nav.name, nav.name, rect, functools.partial(panel.press, nav)))
        self._leds_y = y + 2 * 58 + 6  # LEDs and buzzer below the buttons
        y = self._leds_y + 44
        printer, power = self.devices.printer, self.devices.power
        faults = [
            ("paper_out", "Kertas habis / Paper out", lambda: printer.paper_out_after(20), None),
            ("paper_jam", "Kertas macet / Jam", printer.jam_next, None),
            ("load_paper", "Gulungan baru / New roll", lambda: (printer.clear_jam(), printer.load_paper()), None),
            ("camera_fail", "Kamera gagal / Camera", self._toggle_camera, lambda: self._camera_failing),
            ("power_cut", "Listrik padam / Power cut", power.cut, None),
            ("power_restore", "Listrik kembali / Restore", power.restore, None),
            ("low_battery", "Baterai lemah / Low batt.", power.low_battery, None),
        ]
        for i, (name, label, action, lit) in enumerate(faults):
            rect = pygame.Rect(x0 + (i % 2) * 216, y + (i // 2) * 40, 208, 34)
            controls.append(Control(name, label, rect, action, lit))
        y += 4 * 40 + 8
        if self.player is not None:
            controls.append(Control("next_step", "Langkah / Next step", pygame.Rect(x0, y, 208, 34), self._next_step))
            controls.append(
                Control(
                    "play",
                    "Jalankan / Play",
                    pygame.Rect(x0 + 216, y, 208, 34),
                    self._toggle_play,
                    lambda: self.playing,
                )
            )
        else:
            controls.append(
                Control(
                    "clock",
                    "Jam berjalan / Clock runs",
                    pygame.Rect(x0, y, 208, 34),
                    self._toggle_clock,
                    lambda: self.ticker.running,
                )
            )
            controls.append(
                Control(
                    "plus_minute",
                    "+1 menit / minute",
                    pygame.Rect(x0 + 216, y, 208, 34),
                    lambda: self.clock.advance(60),
                )
            )
        self._info_y = y + 44
        return controls

    # ------------------------------------------------------------------ actions
    def control(self, name: str) -> Control:
        return next(c for c in self.controls if c.name == name)

    def click_control(self, name: str) -> None:
        """Click panel control ``name`` (as a mouse would: down and up at its centre)."""
        pos = self.control(name).rect.center
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=False))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1, touch=False))

    def _toggle_camera(self) -> None:
        self._camera_failing = not self._camera_failing
        self.devices.camera.fail_always(self._camera_failing)

    def _toggle_play(self) -> None:
        self.playing = not self.playing

    def _toggle_clock(self) -> None:
        self.ticker.running = not self.ticker.running

    def _next_step(self) -> None:
        if self.player is None or self.player.done:
            self.playing = False
            return
        self.player.step()
        day = self.player.day
        if day.svc is not None and day.svc is not self.app.api:  # the scripted booth restarted
            self.app.api = day.svc
            self.app.station = day.station
            self.app.after_action()

    def handle(self, event) -> None:
        """One window event: the panel's own, or a touch passed to the kiosk."""
        if event.type == pygame.QUIT:
            self.running = False
            return
        if event.type == pygame.KEYDOWN:
            if event.key in DEV_KEYS:
                self.devices.panel.press(DEV_KEYS[event.key])
            return
        if event.type == pygame.MOUSEWHEEL:
            self.tape_scroll = max(0, self.tape_scroll + 40 * event.y)
            return
        touch = from_window(event, (0, 0), self.kiosk_size, self.size)
        if touch is not None:
            self.app.feed(touch)
            return
        if event.type == pygame.MOUSEBUTTONDOWN and getattr(event, "button", 1) == 1:
            for c in self.controls:
                if c.rect.collidepoint(event.pos):
                    c.action()
                    return

    # ------------------------------------------------------------------ frames
    def step(self) -> None:
        """One frame: window events, the clock, the scenario, the kiosk, the panel, the glass."""
        for event in pygame.event.get():
            self.handle(event)
        self.ticker.tick()
        if self.playing:
            self._next_step()
        self.app.step()
        if not self.app.running:
            self.running = False
        self._collect_tape()
        self._watch_camera()
        self.display.fill(BG)
        self.display.blit(self.app.surface, (0, 0))
        self._draw_panel()
        pygame.display.flip()

    def run(self, fps: int = 30) -> None:
        ticker = pygame.time.Clock()
        while self.running:
            self.step()
            ticker.tick(fps)

    def save_screenshot(self, path) -> Path:
        """Save the whole window (kiosk and panel) as a PNG."""
        pygame.image.save(self.display, str(path))
        return Path(path)

    def finish_code(self) -> int:
        """A scripted day: write its artifacts (``booth sim``'s) and return its exit code."""
        return self.player.finish() if self.player is not None else 0

    def close(self) -> None:
        self.devices.close()

    # ------------------------------------------------------------------ the printer tape, the camera
    def _collect_tape(self) -> None:
        printer = self.devices.printer
        printed, partial = getattr(printer, "printed", []), getattr(printer, "partial", [])
        for image in partial[self._partial_seen :]:  # a torn piece comes out before its reprint
            self.tape.append((_tape_surface(image), True))
        self._partial_seen = len(partial)
        for image in printed[self._printed_seen :]:
            self.tape.append((_tape_surface(image), False))
        self._printed_seen = len(printed)

    def _watch_camera(self) -> None:
        now = time.monotonic()
        if now - self._camera_at < 0.5:  # a preview twice a second is enough for a tester
            return
        self._camera_at = now
        try:
            image = self.devices.camera.preview()
        except Exception as exc:  # noqa: BLE001 - any camera failure is shown, not raised
            self.camera_view, self.camera_error = None, type(exc).__name__
            return
        self.camera_view = pil_to_surface(image.convert("RGB"))
        self.camera_error = ""

    # ------------------------------------------------------------------ drawing the panel
    def _text(self, text, pos, colour=INK, small=False) -> None:
        font = self._small if small else self._font
        self.display.blit(font.render(text, True, colour), pos)

    def _draw_panel(self) -> None:
        x0 = self.kiosk_size[0] + 16
        self._text("Panel tombol / buttons", (x0, 12), DIM)
        for c in self.controls:
            on = bool(c.lit and c.lit())
            pygame.draw.rect(self.display, KEY_ON if on else KEY, c.rect, border_radius=8)
            label = (self._font if c.rect.h >= 50 else self._small).render(c.label, True, INK)
            self.display.blit(label, label.get_rect(center=c.rect.center))
        # LEDs and the buzzer
        leds = self.devices.panel.leds()
        blink_on = int(time.monotonic() * 2) % 2 == 0
        y = self._leds_y
        for i, name in enumerate(("ready", "busy", "attention")):
            state = leds.get(name, "off")
            on = state == "on" or (state == "blinking" and blink_on)
            centre = (x0 + 14 + i * 110, y + 14)
            pygame.draw.circle(self.display, LED_COLOURS[name] if on else (60, 60, 60), centre, 12)
            self._text(name, (centre[0] + 18, y + 6), INK if on else DIM, small=True)
        buzzing = self.devices.panel.buzzing
        pygame.draw.circle(self.display, (250, 250, 120) if buzzing else (60, 60, 60), (x0 + 344, y + 14), 12)
        self._text(f"buzzer {self.devices.panel.beeps()}", (x0 + 362, y + 6), INK if buzzing else DIM, small=True)
        # info: clock, power, scenario step, PINs
        y = self._info_y
        when = self.clock.now().astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m-%d %H:%M:%S")
        self._text(f"{when} WIB   layar / screen: {self.app.frame.screen}", (x0, y), small=True)
        y += 20
        status = self.devices.printer.status()
        self._text(
            f"daya / power: {self.app.power_state}   kertas / paper: {status.paper}"
            + ("  MACET/JAM" if status.jammed else ""),
            (x0, y),
            small=True,
        )
        y += 20
        if self.player is not None:
            self._text(self.player.label(), (x0, y), (250, 220, 120), small=True)
            y += 20
        pins = "  ".join(f"{cid}: {pin}" for cid, pin in list(self.pins.items())[:3])
        if pins:
            self._text(f"PIN {pins}", (x0, y), DIM, small=True)
            y += 20
        # the camera view and the printer tape, side by side
        top = y + 8
        cam = pygame.Rect(x0, top + 20, 200, 150)
        self._text("Kamera / camera", (x0, top), DIM, small=True)
        pygame.draw.rect(self.display, (20, 20, 20), cam)
        if self.camera_view is not None:
            view = fit_within(self.camera_view, cam.size)
            self.display.blit(view, view.get_rect(center=cam.center))
        else:
            self._text("GAGAL / FAILED", (cam.x + 40, cam.centery - 8), (240, 90, 80))
            self._text(self.camera_error[:24], (cam.x + 10, cam.centery + 14), DIM, small=True)
        tape = pygame.Rect(x0 + 216, top + 20, 208, self.size[1] - top - 36)
        self._text(f"Struk / printer tape ({len(self.tape)})", (tape.x, top), DIM, small=True)
        self._draw_tape(tape)

    def _draw_tape(self, area: pygame.Rect) -> None:
        pygame.draw.rect(self.display, (25, 25, 25), area)
        self.display.set_clip(area)
        y = area.bottom + self.tape_scroll  # the newest item at the bottom, as paper comes out
        for image, torn in reversed(self.tape):
            img = fit_within(image, (area.w - 8, 10_000))
            y -= img.get_height() + 14
            if y > area.bottom:
                continue
            self.display.blit(img, (area.x + 4, y))
            if torn:
                _draw_tear(self.display, area.x + 4, y + img.get_height(), img.get_width())
                self._text("SOBEK / TORN", (area.x + 8, y + img.get_height() - 18), (220, 40, 40), small=True)
            if y < area.top:
                break
        self.display.set_clip(None)


def share_power(devices, app, day=None) -> None:
    """The UPS has one listener: give power changes to both the kiosk and a scripted day."""

    def changed(state):
        app._power.put(state)
        if day is not None:
            day._on_power(state)

    with contextlib.suppress(Exception):  # no UPS: nothing to listen to
        devices.power.on_change(changed)


# ---------------------------------------------------------------------- a booth to play with
@dataclass
class OpenBooth:
    """A simulated booth with the demo election and the polls open, ready for a kiosk."""

    service: BoothService
    station: Station
    devices: Devices
    clock: FakeClock
    package: ElectionPackage
    pins: dict[str, str]
    settings: KioskSettings


def open_booth(root: Path, *, voters: int = 60) -> OpenBooth:
    """Make the demo election in ``root/usb`` and bring a new booth in ``root/state`` to "polls open"
    through the API (custody, PINs from :func:`demo_pin`, self-test, zero report), one minute after
    opening time on a FakeClock.  Used by the window, the benchmarks and the gallery."""
    from booth.demo_election import make_demo_package
    from booth.election_package import load_package
    from booth.hardware.devices import open_devices
    from booth.kiosk.station import Station
    from booth.ledger.clock import FakeClock
    from booth.service import BoothService, Settings
    from booth.ui.app import KioskSettings

    root = Path(root)
    pkg_dir, keys = make_demo_package(root / "usb", voters=voters)
    pkg = load_package(pkg_dir)
    opens = pkg.election.opens_at.astimezone(dt.UTC)
    clock = FakeClock(opens - dt.timedelta(days=1))
    svc = BoothService.provision(root / "state", clock=clock, settings=Settings(pin_scrypt_n=2**12))
    devices = open_devices(None)
    station = Station(svc, devices, clock=clock)
    svc.pin_committee_key(keys.public.sign_key)
    svc.load_election(str(pkg_dir))
    pins = {c.id: demo_pin(c.id) for c in pkg.companions}
    first = pkg.companions[0].id
    svc.record_custody("received", companion_id=first, place="Kecamatan")
    svc.record_custody("distributed", companion_id=first, place="Jalan")
    for cid, pin in pins.items():
        svc.set_first_pin(cid, pin)
    svc.record_custody("handed_over", token=svc.sign_in(first, pins[first]), place="Balai Pekon")
    tok = svc.sign_in(first, pins[first])
    svc.record_custody("installed", token=tok, place="Balai Pekon", self_test=station.self_test(tok, now=clock.now()))
    station.print_zero_report(svc.sign_in(first, pins[first]))
    clock.set(opens + dt.timedelta(minutes=1))
    svc.open_polls(svc.sign_in(first, pins[first]))
    settings = KioskSettings(
        poll_interval=0.2, windowed=True, package_dirs=(str(root / "usb"),), export_dirs=(str(root),)
    )
    return OpenBooth(svc, station, devices, clock, pkg, pins, settings)


# ---------------------------------------------------------------------- pictures
def _font_file():
    try:
        from booth.fonts import font_path

        return str(font_path())
    except Exception:  # noqa: BLE001 - pygame's own font is good enough for a panel label
        return None


def pil_to_surface(image) -> pygame.Surface:
    image = image.convert("RGB")
    return pygame.image.frombytes(image.tobytes(), image.size, "RGB")


def _tape_surface(image) -> pygame.Surface:
    return pil_to_surface(image)


def fit_within(surface: pygame.Surface, box: tuple[int, int]) -> pygame.Surface:
    w, h = surface.get_size()
    scale = min(box[0] / w, box[1] / h)
    return pygame.transform.smoothscale(surface, (max(1, int(w * scale)), max(1, int(h * scale))))


def _draw_tear(surface: pygame.Surface, x: int, y: int, width: int) -> None:
    """A zigzag edge: the paper ran out or was torn here."""
    points = [(x + i, y + (6 if (i // 8) % 2 else 0)) for i in range(0, width + 1, 8)]
    pygame.draw.polygon(surface, (25, 25, 25), points + [(x + width, y + 10), (x, y + 10)])
    pygame.draw.lines(surface, (220, 40, 40), False, points, 2)


# ---------------------------------------------------------------------- entry point
def run(scenario=None, out: Path | None = None, state: Path | None = None, size=(720, 1280)) -> int:
    """Open the simulator window; return an exit code (as ``booth sim`` for a scenario, else 0).

    With ``scenario`` the scripted day is played with "Next step" / "Play" and its
    artifacts are written to ``out`` when the window closes.  Without one, a booth
    with the demo election is opened for the polls in ``state`` (a new temporary
    folder if None).
    """
    pygame.init()
    if scenario is not None:
        from booth_sim.day.runner import OutputRefused, print_summary

        try:
            win = SimWindow.play(scenario, Path(out or "sim-out"), size=size)
        except OutputRefused as exc:
            print(f"booth sim: {exc}")
            return 2
        player = win.player
        assert player is not None  # a played window has its player
        try:
            win.run()
        finally:
            code = player.finish()
            print_summary(player.summary or {}, Path(out or "sim-out"), _stdout())
        return code
    root = Path(state) if state else Path(tempfile.mkdtemp(prefix="booth-sim-window-"))
    if root.exists() and any(root.iterdir()):
        print(f"booth sim: {root} is not empty; give a new folder for the simulated booth")
        return 2
    win = SimWindow.ready_booth(root, size=size)
    try:
        win.run()
    finally:
        win.close()
        if win.service is not None:
            win.service.close()
    return 0


def _stdout():
    import sys

    return sys.stdout


if __name__ == "__main__":  # python -m booth_sim.day.window [WIDTHxHEIGHT]
    import sys

    w, h = (int(v) for v in (sys.argv[1] if len(sys.argv) > 1 else "720x1280").split("x"))
    os.environ.setdefault("SDL_VIDEO_CENTERED", "1")
    raise SystemExit(run(size=(w, h)))
