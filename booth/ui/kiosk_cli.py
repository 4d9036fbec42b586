"""``booth kiosk``: the touchscreen kiosk, on the appliance or on a laptop.

    booth kiosk --socket /run/booth/api.sock              # the appliance: the ledger service's socket
    booth kiosk --state ./state --size 800x480 --windowed  # a laptop: the core in this process

On the appliance the kiosk is a client of the ``booth-ledger`` service and
never opens the database; ``--state`` runs the core in-process instead (the
simulator, training, development).  Devices come from ``--hardware`` (a
``hardware.toml``; without it every device is simulated).  The kiosk is
full screen without a cursor; ``--windowed`` gives a window that can be
closed and takes the arrow keys, Enter and Backspace as the booth's buttons
(F12: the companion button).  Exit codes: 0 a ketua exited the kiosk (or the
window was closed), 2 bad arguments or nothing to connect to.

Under systemd (``booth-kiosk.service``, ``Type=notify``) the kiosk tells the
service manager, through :mod:`booth.systemd_notify`: ``READY=1`` once the
first frame is on the display *and* the ledger service has answered;
``STATUS=`` lines a companion can read (``systemctl status booth-kiosk``),
e.g. *"Kiosk siap; layar waiting; sambungan buku besar ke-1 / Kiosk ready;
screen waiting; ledger connection #1"* or, while the ledger service restarts,
*"Mohon tunggu: layanan buku besar belum menjawab … / Please wait: …"*; the
connection number goes up each time the kiosk had to connect again (after a
ledger restart), so a companion or a test can see that it reconnected;
``WATCHDOG=1`` from the main loop every half of ``$WATCHDOG_USEC`` (a hung
loop is restarted); ``STOPPING=1`` on SIGTERM.  The poll the voter's screen
rests on (``voter_screen``, and ``status``) waits at most
:data:`POLL_TIMEOUT` seconds for an answer, so while the ledger restarts
(its socket keeps the kiosk's connection queued) the loop keeps drawing the
"Mohon tunggu" screen and pinging the watchdog, then resumes the session.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from booth.logs import setup_logging
from booth.systemd_notify import Notifier, watchdog_interval

log = logging.getLogger(__name__)

#: Seconds the kiosk waits for an answer to a poll (``voter_screen``, ``status``) before it shows
#: "Mohon tunggu" and asks again: the ledger service may be restarting behind its socket.
POLL_TIMEOUT = 3.0
QUICK_METHODS = frozenset({"voter_screen", "status"})
_quick = threading.local()  # .on: a poll is in flight on this thread


def parse_size(text: str) -> tuple[int, int]:
    """ "800x480" -> (800, 480).

    >>> parse_size("720x1280")
    (720, 1280)
    """
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 800x480, not {text!r}") from None
    if not (240 <= w <= 7680 and 240 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is not a screen size")
    return w, h


class NoDisplay(RuntimeError):
    """SDL found no screen to show the kiosk on."""


def check_display(environ=None) -> None:
    """Refuse to run a kiosk nobody can see.

    With no X11/Wayland session and no console display, SDL quietly falls back to
    an invisible "offscreen" display and the kiosk would run on, showing nothing.
    A driver asked for by name (``SDL_VIDEODRIVER=dummy``: tests, the boot test) is fine.
    """
    import os

    environ = os.environ if environ is None else environ
    import pygame

    pygame.display.init()
    driver = pygame.display.get_driver()
    asked = [d.strip() for d in environ.get("SDL_VIDEODRIVER", "").split(",") if d.strip()]
    if driver in ("offscreen", "dummy") and driver not in asked:
        pygame.display.quit()
        raise NoDisplay(
            "tidak ada layar / no display: SDL found no screen (no DISPLAY or WAYLAND_DISPLAY, no console "
            f"display) and would draw into an invisible {driver!r} one. Run it on the booth's screen or in a "
            "desktop session (SDL_VIDEODRIVER=dummy runs it without a screen, for tests)"
        )


def _open_api(args):
    if args.socket:
        return _kiosk_client(args.socket)
    from booth.service import BoothService

    state = Path(args.state)
    if (state / "device.key").exists() or (state / "ledger.db").exists():
        return BoothService.open(state)
    if not state.is_dir():
        raise FileNotFoundError(
            f"{state} tidak ada / does not exist: create the device first with `booth device init {state}` "
            "(or give an existing, empty directory)"
        )
    if any(state.iterdir()):
        # never put a new device key beside the remains of another device's ledger
        raise FileExistsError(f"{state} is not empty but holds no device: refusing to provision a device over it")
    log.info("menyiapkan perangkat baru / provisioning a new device in %s", state)
    return BoothService.provision(state)


def _cmd_kiosk(args) -> int:
    import os

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the banner is noise on a kiosk's journal
    setup_logging()
    from booth.hardware.config import HardwareConfigError, load_config
    from booth.hardware.devices import open_devices
    from booth.kiosk.station import Station
    from booth.ui.app import KioskApp, KioskSettings

    try:
        config = load_config(args.hardware)
    except (HardwareConfigError, FileNotFoundError) as exc:
        print(f"booth kiosk: {exc}", file=sys.stderr)
        return 2
    try:
        check_display()
    except NoDisplay as exc:
        print(f"booth kiosk: {exc}", file=sys.stderr)
        return 2
    try:
        api = _open_api(args)
    except Exception as exc:  # noqa: BLE001 - say what is wrong, in words, and stop
        print(f"booth kiosk: tidak bisa membuka inti bilik / cannot reach the booth core: {exc}", file=sys.stderr)
        return 2
    devices = open_devices(config)
    settings = KioskSettings(
        windowed=args.windowed,
        language=args.language,
        dpi=args.dpi,
        voice_dir=args.voice,
        package_dirs=tuple(args.packages or ("/media", "/mnt")),
        export_dirs=tuple(args.export or ("/media", "/mnt")),
    )
    if args.windowed:
        os.environ.setdefault("SDL_VIDEO_CENTERED", "1")
    surface = KioskApp.open_display(args.size, windowed=args.windowed)
    app = KioskApp(api, Station(api, devices), devices, surface.get_size(), settings=settings, surface=surface)
    if args.board:
        from booth.kiosk.booth_board import FileBoard

        app.booth_board = FileBoard(args.board)  # a desk: which booth is free, as its relay writes it
    notifier = Notifier.from_environment()
    try:
        run_supervised(app, api, notifier, watchdog_interval())
    finally:
        notifier.close()
        devices.close()
        closer = getattr(api, "close", None)
        if closer is not None:
            closer()
        import pygame

        pygame.quit()
    return 0


# ------------------------------------------------------------ systemd: notify and watchdog
def _kiosk_client(socket_path: str):
    """A :class:`~booth.api.client.BoothClient` that keeps count for the kiosk's status line.

    ``reachable``: whether the ledger service answered the last call (any
    answer, a refusal too); ``connections``: how many times it connected
    (1 after start, +1 after each ledger restart).  Polls wait at most
    :data:`POLL_TIMEOUT` seconds (they are read-only: nothing is lost by
    giving up and asking again); every other call keeps the client's timeout.
    """
    import socket

    from booth.api.client import BoothClient
    from booth.api.wire import LedgerUnavailable
    from booth.errors import BoothError

    class PollSocket(socket.socket):
        """The client's connection; during a poll "wait for the answer" means POLL_TIMEOUT, not forever
        (``read_frame`` waits for an answer's first byte with no timeout: a hung ledger would hang us)."""

        __slots__ = ()

        def settimeout(self, value):
            if value is None and getattr(_quick, "on", False):
                value = POLL_TIMEOUT
            super().settimeout(value)

    class KioskClient(BoothClient):
        def __init__(self, path: str) -> None:
            self._timeout = 120.0
            self.reachable: bool | None = None
            self.connections = 0
            super().__init__(path)

        @property
        def timeout(self) -> float:
            return POLL_TIMEOUT if getattr(_quick, "on", False) else self._timeout

        @timeout.setter
        def timeout(self, value: float) -> None:
            self._timeout = value

        def _connect(self):
            sock = super()._connect()
            sock.__class__ = PollSocket  # same object, same descriptor: only settimeout differs
            self.connections += 1
            return sock

        keepalive = None  # set by run_supervised: pings the watchdog while we wait on the ledger

        def _call_waiting(self, method: str, params: dict):
            """The call, with the watchdog fed while the *ledger* keeps us waiting.

            A hung or restarting ledger is the ledger's watchdog's business; the
            kiosk is not hung while it waits for an answer (bounded by the call's
            own timeout), so it must not be restarted for it.  A kiosk hung
            anywhere else still stops pinging and is restarted.
            """
            if self.keepalive is None:
                return super().call(method, **params)
            outcome: dict = {}
            quick = getattr(_quick, "on", False)

            def run() -> None:
                _quick.on = quick
                try:
                    outcome["result"] = BoothClient.call(self, method, **params)
                except BaseException as exc:  # handed back to the kiosk's thread below
                    outcome["error"] = exc

            worker = threading.Thread(target=run, name=f"ledger-call-{method}", daemon=True)
            worker.start()
            while worker.is_alive():
                worker.join(1.0)
                if worker.is_alive():
                    self.keepalive()
            if "error" in outcome:
                raise outcome["error"]
            return outcome["result"]

        def call(self, method: str, **params):
            _quick.on = method in QUICK_METHODS
            try:
                result = self._call_waiting(method, params)
            except LedgerUnavailable:
                self.reachable = False
                raise
            except BoothError:
                self.reachable = True
                raise
            finally:
                _quick.on = False
            self.reachable = True
            return result

    return KioskClient(socket_path)


class Supervision:
    """What the kiosk tells systemd, decided after each frame (see the module docstring)."""

    def __init__(self, app, api, notifier: Notifier, interval: float | None, *, clock=time.monotonic) -> None:
        self.app = app
        self.api = api
        self.notifier = notifier
        self.interval = interval
        self.clock = clock
        self.ready = False
        self.last_status: str | None = None
        self.last_ping = float("-inf")

    def answered(self) -> bool:
        """Whether the ledger answered last time (an in-process core always does)."""
        return getattr(self.api, "reachable", True) is True

    def status_text(self) -> str:
        screen = self.app.frame.screen or "-"
        if not self.answered():
            return (
                f"Mohon tunggu: layanan buku besar belum menjawab; layar {screen} / "
                f"Please wait: the ledger service does not answer; screen {screen}"
            )
        n = getattr(self.api, "connections", 1)
        return (
            f"Kiosk siap; layar {screen}; sambungan buku besar ke-{n} / "
            f"Kiosk ready; screen {screen}; ledger connection #{n}"
        )

    def after_frame(self) -> None:
        now = self.clock()
        if not self.ready:
            if self.app.frame.number >= 1 and self.answered():
                self.last_status = self.status_text()
                self.notifier.ready(self.last_status)
                self.ready = True
            elif self.last_status is None:
                self.last_status = "Memulai kiosk, menunggu buku besar / starting, waiting for the ledger"
                self.notifier.status(self.last_status)
        else:
            text = self.status_text()
            if text != self.last_status:
                self.last_status = text
                self.notifier.status(text)
        if self.interval is not None and now - self.last_ping >= self.interval:
            self.notifier.watchdog()
            self.last_ping = now


def run_supervised(app, api, notifier: Notifier, interval: float | None) -> None:
    """``app.run()`` with READY/STATUS/WATCHDOG after each frame and a clean stop on SIGTERM."""

    from booth.errors import BoothError

    supervision = Supervision(app, api, notifier, interval)
    if interval is not None and hasattr(api, "keepalive"):
        api.keepalive = notifier.watchdog

    def stop(signum, frame) -> None:
        app.running = False

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while app.running:
            try:
                app.step()
            except BoothError as exc:
                if exc.code != "ledger_unavailable":
                    raise
                # the ledger service stopped answering in the middle of a frame (it is
                # restarting): the next frame's poll shows "Mohon tunggu"; keep running
                api.reachable = False
            supervision.after_frame()
            app.wait()  # asleep until a touch, a button, the next poll or a screen's timer
    finally:
        app.stop_waiting()
        signal.signal(signal.SIGTERM, previous)
        notifier.stopping("Kiosk berhenti / kiosk stopping")


def register(subparsers) -> None:
    """Add ``booth kiosk`` to the ``booth`` command's subparsers."""
    p = subparsers.add_parser("kiosk", help="run the touchscreen kiosk (voter and companion screens)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", metavar="PATH", help="the ledger service's socket (the appliance)")
    where.add_argument("--state", metavar="DIR", help="run the core in this process on state folder DIR")
    p.add_argument(
        "--size",
        type=parse_size,
        default=None,
        metavar="WxH",
        help="screen size, e.g. 720x1280, 800x480, 1024x600 (default: the display's)",
    )
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen (development)")
    p.add_argument(
        "--board",
        metavar="PATH",
        help="at a station's desk: the booths' board the relay writes (/run/booth-board/board.json)",
    )
    p.add_argument("--hardware", metavar="TOML", help="hardware.toml (default: every device simulated)")
    p.add_argument("--language", choices=("id", "en"), default="id", help="default language (default: id)")
    p.add_argument("--dpi", type=float, default=None, help="the panel's pixels per inch (default: from the size)")
    p.add_argument("--voice", metavar="DIR", help="spoken prompt clips (python -m booth.ui.voice --out DIR)")
    p.add_argument(
        "--packages",
        action="append",
        default=None,
        metavar="DIR",
        help="where to look for election packages (repeat; default /media and /mnt)",
    )
    p.add_argument(
        "--export",
        action="append",
        default=None,
        metavar="DIR",
        help="where results may be exported (repeat; default /media and /mnt)",
    )
    p.set_defaults(func=_cmd_kiosk)
