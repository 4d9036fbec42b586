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
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_size(text: str) -> tuple[int, int]:
    """"800x480" -> (800, 480).

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


def _open_api(args):
    if args.socket:
        from booth.api_client import BoothClient

        return BoothClient(args.socket)
    from booth.service import BoothService

    state = Path(args.state)
    if (state / "device.key").exists() or (state / "ledger.db").exists():
        return BoothService.open(state)
    return BoothService.provision(state)


def _cmd_kiosk(args) -> int:
    import os

    from booth.hardware.config import HardwareConfigError, load_config
    from booth.hardware.devices import open_devices
    from booth.station import Station
    from booth.ui.app import KioskApp, KioskSettings

    try:
        config = load_config(args.hardware)
    except (HardwareConfigError, FileNotFoundError) as exc:
        print(f"booth kiosk: {exc}", file=sys.stderr)
        return 2
    try:
        api = _open_api(args)
    except Exception as exc:  # noqa: BLE001 - say what is wrong, in words, and stop
        print(f"booth kiosk: tidak bisa membuka inti bilik / cannot reach the booth core: {exc}", file=sys.stderr)
        return 2
    devices = open_devices(config)
    settings = KioskSettings(windowed=args.windowed, language=args.language, dpi=args.dpi, voice_dir=args.voice,
                             package_dirs=tuple(args.packages or ("/media", "/mnt")),
                             export_dirs=tuple(args.export or ("/media", "/mnt")))
    if args.windowed:
        os.environ.setdefault("SDL_VIDEO_CENTERED", "1")
    surface = KioskApp.open_display(args.size, windowed=args.windowed)
    app = KioskApp(api, Station(api, devices), devices, surface.get_size(), settings=settings, surface=surface)
    try:
        app.run()
    finally:
        devices.close()
        closer = getattr(api, "close", None)
        if closer is not None:
            closer()
        import pygame

        pygame.quit()
    return 0


def register(subparsers) -> None:
    """Add ``booth kiosk`` to the ``booth`` command's subparsers."""
    p = subparsers.add_parser("kiosk", help="run the touchscreen kiosk (voter and companion screens)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", metavar="PATH", help="the ledger service's socket (the appliance)")
    where.add_argument("--state", metavar="DIR", help="run the core in this process on state folder DIR")
    p.add_argument("--size", type=parse_size, default=None, metavar="WxH",
                   help="screen size, e.g. 720x1280, 800x480, 1024x600 (default: the display's)")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen (development)")
    p.add_argument("--hardware", metavar="TOML", help="hardware.toml (default: every device simulated)")
    p.add_argument("--language", choices=("id", "en"), default="id", help="default language (default: id)")
    p.add_argument("--dpi", type=float, default=None, help="the panel's pixels per inch (default: from the size)")
    p.add_argument("--voice", metavar="DIR", help="spoken prompt clips (python -m booth.ui.voice --out DIR)")
    p.add_argument("--packages", action="append", default=None, metavar="DIR",
                   help="where to look for election packages (repeat; default /media and /mnt)")
    p.add_argument("--export", action="append", default=None, metavar="DIR",
                   help="where results may be exported (repeat; default /media and /mnt)")
    p.set_defaults(func=_cmd_kiosk)
