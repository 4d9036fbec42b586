"""The station demo's screens: the desk and every booth, each its own kiosk, drawn side by side.

``booth demo --booths N --screens`` runs the station day headless (``booth_sim.day.station_demo``)
and, at the day's telling moments, draws every device's kiosk (:class:`~booth.ui.app.KioskApp`
on that device's own ledger service, simulated hardware) and saves them as one PNG of tiles into
``screens/``: the desk left, choosing a booth for the voter and telling them where to go; the
booths right, waiting for the desk, showing the ballot on the release, refusing a stale one.

>>> tiles = StationTiles(day, out / "screens")       # doctest: +SKIP
>>> tiles.shot("opened")                              # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import pygame

TILE = (800, 480)  # each device's kiosk (the 7" landscape panel), scaled to half in the picture
SCALE = 0.5
CAPTION_H = 28
BG = (38, 42, 48)
INK = (235, 235, 235)


def open_kiosks(day, size=TILE) -> tuple[dict, dict]:
    """One kiosk per device of ``day`` (a set-up StationDay), each on its own simulated hardware:
    ({name: KioskApp}, {name: Devices}), the desk first; used by the tiles and the station window."""
    apps, hardware = {}, {}
    for name, device in day.devices.items():
        apps[name], hardware[name] = open_kiosk(device.svc, day.clock, size)
    return apps, hardware


def open_kiosk(svc, clock, size=TILE):
    """(KioskApp, Devices): one device's kiosk on ``svc`` and new simulated hardware."""
    from booth.hardware.devices import open_devices
    from booth.kiosk.station import Station
    from booth.ui.app import KioskApp, KioskSettings

    hw = open_devices(None)
    return KioskApp(svc, Station(svc, hw), hw, size, clock=clock, settings=KioskSettings(poll_interval=0)), hw


class StationTiles:
    """One headless kiosk per device of a :class:`~booth_sim.day.station_demo.StationDay`."""

    def __init__(self, day, folder: Path, *, size=TILE) -> None:
        from booth.kiosk.booth_board import SimulatedBoard
        from booth.ui.app import init_pygame

        init_pygame()
        self.day = day
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.seen: dict[str, dict[str, list[str]]] = {}  # caption -> device -> the texts on its glass
        self.apps: dict = {}  # device name -> its KioskApp
        self._devices: list = []  # the simulated hardware of every kiosk made, closed at the end
        self._size = size
        for name in day.devices:
            self.reopened(name)
        self.board = SimulatedBoard()
        self.desk.booth_board = self.board
        self.offline: set[int] = set()
        self._font = pygame.font.Font(None, 26)

    def reopened(self, name: str) -> None:
        """The kiosk of device ``name`` (again: after a power cut or for a spare), on its service now."""
        board = getattr(self.apps.get(name), "booth_board", None)
        self.apps[name], hw = open_kiosk(self.day.devices[name].svc, self.day.clock, self._size)
        self._devices.append(hw)
        if board is not None:
            self.apps[name].booth_board = board

    @property
    def desk(self):
        return self.apps["meja"]

    # ------------------------------------------------------------ the desk's companion
    def _board_from_the_desk(self) -> None:
        """The link's view in the demo: a booth with a release out is busy, the lost one offline."""
        now = self.day.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        for key, row in self.day.desk.svc.status()["booths"].items():
            n = int(key)
            status = "offline" if n in self.offline else row["state"]
            if n not in self.board.booths() or self.board.booths()[n].status != status:
                self.board.set(n, status, now)

    def _companion(self, screen) -> None:
        app = self.desk
        app.token = self.day.desk.token()
        app.whoami = app.api.whoami(app.token)
        app.mode = "companion"
        app.companion_stack = [screen]
        screen.on_show()
        app.note_activity()  # just touched (else the kiosk signs the idle companion out)

    def desk_choosing(self, ref: str, booth: int) -> None:
        """The companion checked ``ref`` in and is choosing ``booth`` (before the release)."""
        from booth.ui.station_screens import BoothChoiceScreen

        self._board_from_the_desk()
        v = next(v for v in self.day.package.voters if v.ref == ref)
        screen = BoothChoiceScreen(self.desk, {"ref": v.ref, "name": v.name})
        if booth in [r["number"] for r in screen.rows if r["status"] == "free"]:
            screen.chosen = booth
        self._companion(screen)

    def desk_released(self, booth: int) -> None:
        from booth.ui.station_screens import GoToBoothScreen

        self._board_from_the_desk()
        self._companion(GoToBoothScreen(self.desk, booth))

    def desk_idle(self) -> None:
        """The companion is done: the desk's screen goes back to the voter side (the demo's companion
        stays signed in: the day's token is the demo's own)."""
        self.desk.token = None
        self.desk.close_companion()

    def booth_refused(self, n: int, exc) -> None:
        from booth.ui.station_screens import show_refused_release

        show_refused_release(self.apps[f"bilik-{n}"], exc)

    # ------------------------------------------------------------ the picture
    def shot(self, caption: str) -> Path:
        """Every kiosk draws its frame now; the tiles are saved as ``screens/NNN-caption.png``."""
        tiles = []
        for name, app in self.apps.items():
            app.voter._last_poll = float("-inf")  # ask the core now (the demo's clock jumps)
            app.step()
            app.step()
            self.seen.setdefault(caption, {})[name] = [str(t) for t in app.frame.texts()]
            w, h = (int(v * SCALE) for v in app.size)
            tiles.append((name, pygame.transform.smoothscale(app.surface, (w, h))))
        w, h = tiles[0][1].get_size()
        per_row = -(-(len(tiles) - 1) // 2)  # the desk, then the booths in two rows, in order
        cols = 1 + per_row
        page = pygame.Surface((cols * (w + 10) + 10, 2 * (h + CAPTION_H + 10) + 10))
        page.fill(BG)
        for i, (name, surf) in enumerate(tiles):
            col, row = (0, 0) if i == 0 else (1 + (i - 1) % per_row, (i - 1) // per_row)
            x, y = 10 + col * (w + 10), 10 + row * (h + CAPTION_H + 10)
            label = name.replace("meja", "meja / desk").replace("bilik-", "bilik / booth ")
            if name != "meja" and getattr(self.day, "replaced", {}).get(int(name.rsplit("-", 1)[1])):
                label += " - pengganti / spare"  # a booth replaced mid-day: the spare's kiosk
            page.blit(self._font.render(label, True, INK), (x, y + 4))
            page.blit(surf, (x, y + CAPTION_H))
        self.count += 1
        path = self.folder / f"{self.count:03d}-{caption}.png"
        pygame.image.save(page, str(path))
        return path

    def close(self) -> None:
        for hw in self._devices:
            hw.close()
