"""The station window: the desk's kiosk and every booth's kiosk in one window, played with the mouse.

``booth demo --booths N`` with a display (and not ``--headless``) opens it.  The devices are the
station day's (:meth:`booth_sim.day.station_demo.StationDay.setup`: each its own ledger, provisioned,
opened and paired); each kiosk (:class:`~booth.ui.app.KioskApp`) is drawn as a scaled tile, the
desk left, the booths right, and a click on a tile is a touch at that place of that kiosk's glass.
Under each tile: its three LEDs, a "Pendamping" button (the companion's push-button),
the mains switch (power cut: the device runs on its UPS battery, as its kiosk shows; restore),
the off switch (the UPS gone too: the ledger service stops; on again, it is reopened from its state
folder on disk) and, at a booth, the network switch (link down / up).  On the right: the station clock (with a
jump past a release's timeout) and the printer tape of the selected device (click a tile's caption).

Messages between the devices go as on the appliance: each device's :class:`~booth.station.relay.Relay`
takes what its ledger's ``station_outbox(after)`` says must go out and puts it on its end of an
in-process link (:class:`WindowLink`); what arrives is handed to the peer's ledger by the same
relay (``accept_release``, ``release_revoked``, ``release_returned``).  A booth's link switched down
holds its messages both ways, and the desk's board shows it offline; back up, they are delivered.

>>> win = StationWindow.open(out, booths=2, ticking=False)    # doctest: +SKIP
>>> win.tap("meja", "Pemeriksaan pemilih"); win.step()         # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame

from booth.hardware.controls import Nav
from booth_sim.day.window import (
    BG,
    DIM,
    INK,
    KEY,
    KEY_ON,
    LED_COLOURS,
    Control,
    TickingClock,
    fit_within,
    pil_to_surface,
)

SCALE = 0.55  # each 800x480 kiosk as a tile; 5 or 6 booths: SMALL_SCALE (the window fits 1080 lines)
SMALL_SCALE = 0.45
GAP = 10
CAPTION_H = 26
UNDER_H = 72  # the rows of LEDs and switches under a tile
PANEL_W = 300
CLOCK_JUMP_S = 301.0  # just past the release timeout (Settings.release_timeout, 300 s)
OFFLINE = (200, 70, 60)


def _now(clock) -> str:
    return clock.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Wire:
    """The station's network, in-process: messages in the air, and which booths' links are down."""

    clock: Any
    board: Any  # the desk's SimulatedBoard: what the desk's link would report of each booth
    air: list[dict] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    off: set[str] = field(default_factory=set)  # devices switched off (their link with them)
    states: dict[str, str] = field(default_factory=dict)  # booth label -> "free" / "busy" (its link's word)
    refs: set[tuple[str, str]] = field(default_factory=set)
    count: int = 0

    def show(self, label: str) -> None:
        if label.startswith("bilik-"):
            status = "offline" if label in self.down | self.off else self.states.get(label, "free")
            self.board.set(int(label.split("-")[1]), status, _now(self.clock))

    def switch(self, label: str) -> None:
        """The booth's network cable: pulled, or plugged back."""
        self.down.symmetric_difference_update({label})
        self.show(label)


@dataclass
class WindowLink:
    """One device's end of the link (what :class:`~booth.station.relay.Relay` calls ``link``)."""

    wire: Wire
    label: str
    unconfirmed: object = None

    def send(self, to: str, kind: str, payload: bytes, ref: str | None = None) -> int:
        if ref is not None and (self.label, ref) in self.wire.refs:
            return 0  # queued once already (the relay sends its outbox from 0 again)
        if ref is not None:
            self.wire.refs.add((self.label, ref))
        self.wire.count += 1
        self.wire.air.append({"id": self.wire.count, "from": self.label, "to": to, "kind": kind, "payload": payload})
        return self.wire.count

    def take(self, wait: int = 0) -> dict | None:
        for m in self.wire.air:
            if m["to"] == self.label and not {m["from"], m["to"]} & (self.wire.down | self.wire.off):
                self.wire.air.remove(m)
                return m
        return None

    def set_state(self, state: str) -> None:
        self.wire.states[self.label] = state
        self.wire.show(self.label)

    def status(self) -> dict:
        return {"peers": sorted({m["to"] for m in self.wire.air})}


class StationWindow:
    """The desk and the booths of a set-up station day, each kiosk a tile of one pygame window."""

    def __init__(self, day, *, ticking: bool = True, scale: float | None = None) -> None:
        from booth.kiosk.booth_board import SimulatedBoard
        from booth.station.relay import Relay
        from booth.ui.app import init_pygame
        from booth_sim.day.station_screens import open_kiosks

        init_pygame()
        self.day = day
        self.clock = day.clock
        self.ticker = TickingClock(day.clock)
        self.ticker.running = ticking
        self.scale = scale or (SCALE if day.booths <= 4 else SMALL_SCALE)
        self.apps, self.hardware = open_kiosks(day)
        self.board = SimulatedBoard({n: "free" for n in range(1, day.booths + 1)}, since=_now(day.clock))
        self.apps["meja"].booth_board = self.board
        self.wire = Wire(day.clock, self.board)
        self.relays = {
            name: Relay(d.svc, WindowLink(self.wire, name), "desk" if name == "meja" else "booth")
            for name, d in day.devices.items()
        }
        self.cursors = dict.fromkeys(self.relays, 0)
        self.selected = "meja"
        self.tape_seen: dict[str, int] = dict.fromkeys(self.apps, 0)
        self.tapes: dict[str, list[pygame.Surface]] = {name: [] for name in self.apps}
        self.tiles = self._layout_tiles()
        right = max(r.right for r in self.tiles.values()) + GAP
        height = max(r.bottom for r in self.tiles.values()) + UNDER_H + GAP
        self.size = (right + PANEL_W, max(height, 640))
        self.display = pygame.display.set_mode(self.size)
        pygame.display.set_caption("booth — TPS: meja + bilik / station: desk + booths")
        self._font = pygame.font.Font(None, 24)
        self._small = pygame.font.Font(None, 19)
        self.power_out: set[str] = set()  # devices whose mains is cut (on the UPS battery)
        self.controls = self._layout_controls(right)
        self._pressed_on: str | None = None  # the tile a mouse button went down on (its drag and lift go there)
        self.quit = False
        self.work: Path | None = None  # the devices' state folder, removed on close (see open)

    @classmethod
    def open(cls, out: Path, *, booths: int, voters: int = 60, seed: int = 2025, ticking: bool = True):
        """A station day set up into ``out`` (its state in a temporary folder kept until :meth:`close`)."""
        from booth_sim.day.station_demo import StationDay

        day = StationDay(Path(out), voters, seed, booths, io.StringIO())
        work = Path(tempfile.mkdtemp(prefix="booth-station-window-"))
        day.setup(work / "state")
        win = cls(day, ticking=ticking)
        win.work = work
        return win

    # ------------------------------------------------------------------ layout
    def _layout_tiles(self) -> dict[str, pygame.Rect]:
        w, h = (int(v * self.scale) for v in self.apps["meja"].size)
        rows = 3 if self.day.booths > 4 else 2  # the booths in columns of two (three for 5 or 6)
        tiles = {}
        for i, name in enumerate(self.apps):
            col, row = (0, 0) if i == 0 else (1 + (i - 1) // rows, (i - 1) % rows)
            x = GAP + col * (w + GAP)
            y = GAP + CAPTION_H + row * (h + CAPTION_H + UNDER_H + GAP)
            tiles[name] = pygame.Rect(x, y, w, h)
        return tiles

    def _layout_controls(self, right: int) -> list[Control]:
        controls = []
        for name, tile in self.tiles.items():
            y = tile.bottom + 6
            controls.append(
                Control(
                    f"{name}:companion",
                    "Pendamping",
                    pygame.Rect(tile.x + 100, y, 96, 28),
                    functools.partial(self.press_companion, name),
                )
            )
            controls.append(
                Control(
                    f"{name}:device",
                    "Mati / off",
                    pygame.Rect(tile.x, y + 34, 96, 28),
                    functools.partial(self.switch_device, name),
                    functools.partial(self.wire.off.__contains__, name),
                )
            )
            controls.append(
                Control(
                    f"{name}:power",
                    "Listrik / power",
                    pygame.Rect(tile.x + 204, y, tile.w - 204, 28),
                    functools.partial(self.switch_power, name),
                    functools.partial(self.power_out.__contains__, name),
                )
            )
            if name != "meja":
                controls.append(
                    Control(
                        f"{name}:link",
                        "Jaringan / link",
                        pygame.Rect(tile.x + 100, y + 34, tile.w - 100, 28),
                        functools.partial(self.wire.switch, name),
                        functools.partial(self.wire.down.__contains__, name),
                    )
                )
            caption = pygame.Rect(tile.x, tile.y - CAPTION_H, tile.w, CAPTION_H)
            controls.append(Control(f"{name}:select", name, caption, self._select(name)))
        controls.append(
            Control("clock", "Jam +5 menit / clock +5 min", pygame.Rect(right, 44, PANEL_W - GAP, 32), self.jump_clock)
        )
        return controls

    def _select(self, name: str) -> Callable[[], None]:
        def select() -> None:
            self.selected = name

        return select

    def control(self, name: str) -> Control:
        return next(c for c in self.controls if c.name == name)

    # ------------------------------------------------------------------ what the tester does
    def jump_clock(self) -> None:
        """The station's clock past a release's timeout (the desk may then cancel it)."""
        self.clock.advance(CLOCK_JUMP_S)

    def press_companion(self, name: str) -> None:
        """The companion's push-button on ``name`` (nothing while it is switched off)."""
        if name not in self.wire.off:
            self.hardware[name].panel.press(Nav.COMPANION)

    def switch_power(self, name: str) -> None:
        """The mains at ``name``: cut (the device goes on its UPS battery, as the kiosk shows) or back."""
        if name in self.wire.off:
            return
        power = self.hardware[name].power
        if name in self.power_out:
            power.restore()
        else:
            power.cut()
        self.power_out.symmetric_difference_update({name})

    def switch_device(self, name: str) -> None:
        """The device switched off (no UPS left: its ledger service stops, its kiosk goes dark, its link
        with it), or on again: the service reopened from its state folder on disk, a new kiosk on it,
        its relay sending its outbox from the start (the link's refs make what it had sent a no-op)."""
        from booth.service import BoothService
        from booth.station.relay import Relay
        from booth_sim.day.station_screens import open_kiosk

        d = self.day.devices[name]
        if name not in self.wire.off:
            self.hardware[name].close()
            d.svc.close()
            self.wire.off.add(name)
            self.power_out.discard(name)
        else:
            d.svc = BoothService.open(d.state, clock=self.clock, settings=d.svc.settings)
            d.signed_in.clear()
            self.apps[name], self.hardware[name] = open_kiosk(d.svc, self.clock)
            if name == "meja":
                self.apps[name].booth_board = self.board
            self.tape_seen[name] = 0
            self.relays[name] = Relay(d.svc, WindowLink(self.wire, name), self.relays[name].role)
            self.cursors[name] = 0
            self.wire.off.discard(name)
        self.wire.show(name)

    def click_at(self, pos: tuple[int, int]) -> None:
        """A mouse click at a window position, then a frame each for the press and the lift."""
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=False))
        self.step()
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1, touch=False))
        self.step()

    def click_control(self, name: str) -> None:
        self.click_at(self.control(name).rect.center)

    def tap(self, device: str, label: str, *, exact: bool = False) -> None:
        """Click the target ``label`` of ``device``'s kiosk where its tile shows it."""
        targets = self.apps[device].screen.targets()
        found = next((t for t in targets if t.label == label), None)
        if found is None and not exact:
            found = next((t for t in targets if label in t.label), None)
        if found is None:
            raise LookupError(f"no target {label!r} on {device}: {[t.label for t in targets]}")
        cx, cy = found.rect.center
        tile = self.tiles[device]
        self.click_at((tile.x + round(cx * self.scale), tile.y + round(cy * self.scale)))

    def type(self, device: str, text: str) -> None:
        for ch in text:
            self.tap(device, ch.upper(), exact=True)

    # ------------------------------------------------------------------ the frame
    def _tile_at(self, pos) -> str | None:
        return next((name for name, r in self.tiles.items() if r.collidepoint(pos)), None)

    def _touch(self, event) -> None:
        from booth.ui.events import Touch

        kinds = {pygame.MOUSEBUTTONDOWN: "down", pygame.MOUSEBUTTONUP: "up", pygame.MOUSEMOTION: "move"}
        if event.type not in kinds or getattr(event, "touch", False):
            return
        if event.type != pygame.MOUSEMOTION and getattr(event, "button", 1) != 1:
            return
        if event.type == pygame.MOUSEMOTION and not getattr(event, "buttons", (1,))[0]:
            return
        if event.type == pygame.MOUSEBUTTONDOWN:
            self._pressed_on = self._tile_at(event.pos)
        name = self._pressed_on
        if name is None:
            return
        tile, (w, h) = self.tiles[name], self.apps[name].size
        x = min(w - 1, max(0, int((event.pos[0] - tile.x) / self.scale)))
        y = min(h - 1, max(0, int((event.pos[1] - tile.y) / self.scale)))
        self.apps[name].feed(Touch(kinds[event.type], (x, y)))
        if event.type == pygame.MOUSEBUTTONUP:
            self._pressed_on = None

    def handle(self, event) -> None:
        if event.type == pygame.QUIT:
            self.quit = True
            return
        if event.type == pygame.MOUSEBUTTONDOWN and getattr(event, "button", 1) == 1:
            for c in self.controls:
                if c.rect.collidepoint(event.pos):
                    c.action()
                    return
        self._touch(event)

    def carry(self) -> None:
        """Each relay: its ledger's outbox onto the link, then what the link holds for it into its ledger."""
        on = {name: relay for name, relay in self.relays.items() if name not in self.wire.off}
        for name, relay in on.items():
            self.cursors[name] = relay.sync_outbox(self.cursors[name])
        for relay in on.values():
            while relay.pump() is not None:
                pass

    def step(self) -> None:
        self.ticker.tick()
        for event in pygame.event.get():
            self.handle(event)
        self.carry()
        for name, app in self.apps.items():
            if name not in self.wire.off:
                app.step()
        self._collect_tapes()
        self._draw()
        pygame.display.flip()

    def run(self, fps: int = 30) -> None:
        frames = pygame.time.Clock()
        while not self.quit:
            self.step()
            frames.tick(fps)

    def save_screenshot(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.display, str(path))
        return path

    def close(self) -> None:
        for name, hw in self.hardware.items():
            if name not in self.wire.off:  # a device switched off is closed already
                hw.close()
                self.day.devices[name].svc.close()
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)

    # ------------------------------------------------------------------ drawing
    def _collect_tapes(self) -> None:
        for name, hw in self.hardware.items():
            printed = getattr(hw.printer, "printed", [])
            for image in printed[self.tape_seen[name] :]:
                self.tapes[name].append(pil_to_surface(image))
            self.tape_seen[name] = len(printed)

    def _text(self, text, pos, colour=INK, small=False) -> None:
        self.display.blit((self._small if small else self._font).render(text, True, colour), pos)

    def _draw(self) -> None:
        self.display.fill(BG)
        blink_on = int(time.monotonic() * 2) % 2 == 0
        for name, tile in self.tiles.items():
            app = self.apps[name]
            if name in self.wire.off:
                pygame.draw.rect(self.display, (8, 8, 8), tile)
                self._text("MATI / OFF", (tile.centerx - 44, tile.centery - 8), DIM)
            else:
                self.display.blit(pygame.transform.smoothscale(app.surface, tile.size), tile.topleft)
            caption = name.replace("meja", "meja / desk").replace("bilik-", "bilik / booth ")
            colour = KEY_ON if name == self.selected else INK
            self._text(f"{caption}   [{app.frame.screen}]", (tile.x + 2, tile.y - CAPTION_H + 6), colour)
            if name in self.wire.down | self.wire.off:
                self._text("TERPUTUS", (tile.right - 84, tile.y - CAPTION_H + 6), OFFLINE)
            leds = {} if name in self.wire.off else self.hardware[name].panel.leds()
            for i, led in enumerate(("ready", "busy", "attention")):
                state = leds.get(led, "off")
                on = state == "on" or (state == "blinking" and blink_on)
                centre = (tile.x + 14 + i * 32, tile.bottom + 20)
                pygame.draw.circle(self.display, LED_COLOURS[led] if on else (60, 60, 60), centre, 10)
        for c in self.controls:
            if c.name.endswith(":select"):
                continue
            on = bool(c.lit and c.lit())
            link = c.name.endswith((":link", ":power", ":device"))
            pygame.draw.rect(self.display, (OFFLINE if link else KEY_ON) if on else KEY, c.rect, border_radius=6)
            text = c.label
            if c.name.endswith(":link"):
                text = "Jaringan PUTUS / link DOWN" if on else "Jaringan: nyala / link up"
            elif c.name.endswith(":device"):
                text = "MATI / OFF" if on else "Matikan / off"
            elif c.name.endswith(":power"):
                text = "Listrik PADAM / CUT" if on else "Listrik / mains: on"
            label = self._small.render(text, True, INK)
            self.display.blit(label, label.get_rect(center=c.rect.center))
        self._draw_panel()

    def _draw_panel(self) -> None:
        x0 = self.control("clock").rect.x
        when = self.clock.now().astimezone(self.day.tz).strftime("%Y-%m-%d %H:%M:%S")
        self._text(when, (x0, 14))
        y = 90
        pins = sorted(self.day.desk.pins.items())[:3]
        for cid, pin in pins:
            self._text(f"PIN {cid}: {pin}", (x0, y), DIM, small=True)
            y += 18
        held = [m for m in self.wire.air if {m["from"], m["to"]} & (self.wire.down | self.wire.off)]
        self._text(f"pesan tertahan / messages held: {len(held)}", (x0, y + 4), DIM, small=True)
        top = y + 30
        area = pygame.Rect(x0, top + 20, PANEL_W - GAP, self.size[1] - top - 30)
        tape = self.tapes[self.selected]
        self._text(f"Struk / tape: {self.selected} ({len(tape)})", (x0, top), DIM, small=True)
        pygame.draw.rect(self.display, (25, 25, 25), area)
        self.display.set_clip(area)
        y = area.bottom
        for image in reversed(tape):
            img = fit_within(image, (area.w - 8, 10_000))
            y -= img.get_height() + 12
            self.display.blit(img, (area.x + 4, y))
            if y < area.y:
                break
        self.display.set_clip(None)


def run(out: Path, *, booths: int, voters: int = 300, seed: int = 2025) -> int:
    """``booth demo --booths N`` with a display: the station window until it is closed."""
    from booth_sim.day.runner import OutputRefused, prepare_output

    if not 2 <= booths <= 6:
        print("booth demo: --booths must be from 2 to 6 / jumlah bilik 2 sampai 6")
        return 2
    try:
        prepare_output(out)
    except OutputRefused as exc:
        print(f"booth demo: {exc}")
        return 2
    win = StationWindow.open(out, booths=booths, voters=voters, seed=seed)
    try:
        win.run()
    finally:
        win.close()
    return 0
