"""How fast the kiosk draws: the ballot and check-in screens at 720x1280, and touch to redrawn screen.

Reference: a bare full-screen frame measured in the same run on the same display
(SDL's dummy driver unless ``SDL_VIDEODRIVER`` says otherwise): one blit of a
prepared 720x1280 picture and ``display.flip()`` — the least any frame can cost.

Figures (median and p95 over ``--frames`` frames, default 300):

- **ballot**: ``KioskApp.step()`` on the ballot screen (three candidates with photos,
  the access bar), the kiosk owning the display, so the figure includes the flip;
- **check-in**: the companion's voter search with a name typed on the on-screen
  keyboard, and the results list it leads to;
- **touch → redrawn**: a finger down and up on a candidate (one frame each, as a
  person's tap is) until the confirmation screen is on the glass, and the finger
  down alone until its pressed look is on the glass (the issue's "touch feedback
  on the next frame").  Reference: two bare frames, and one.

    python3 benchmarks/ui_frame_time.py [--frames 300] [--touches 50]

Never fails on a time: the exit code is 0 unless the script itself breaks.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame

from booth.hardware.controls import Nav
from booth.ui.app import KioskApp
from booth.ui.driver import KioskDriver
from booth.ui.i18n import _
from booth_sim.day.window import open_booth

SIZE = (720, 1280)


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values) * 1e3:7.2f} ms   p95 {p95 * 1e3:7.2f} ms"


def bare_frames(display: pygame.Surface, frames: int) -> list[float]:
    """The reference: blit one prepared full-screen picture and flip."""
    picture = pygame.Surface(display.get_size()).convert()
    picture.fill((240, 236, 228))
    pygame.draw.circle(picture, (16, 80, 100), (360, 640), 300)
    times = []
    for _i in range(frames):
        t = time.perf_counter()
        display.blit(picture, (0, 0))
        pygame.display.flip()
        times.append(time.perf_counter() - t)
    return times


def kiosk_frames(app: KioskApp, frames: int) -> list[float]:
    times = []
    for _i in range(frames):
        t = time.perf_counter()
        app.step()
        times.append(time.perf_counter() - t)
    return times


def touches(app: KioskApp, drv: KioskDriver, name: str, count: int) -> tuple[list[float], list[float]]:
    """(finger down + up → confirmation on the glass, finger down → pressed look on the glass)."""
    to_screen, to_feedback = [], []
    back = str(_("No, go back"))
    for _i in range(count):
        assert app.frame.screen == "ballot", app.frame.screen
        pos = drv.target(name).rect.center
        t = time.perf_counter()
        app.feed(drv._event("down", pos))
        app.step()
        to_feedback.append(time.perf_counter() - t)
        app.feed(drv._event("up", pos))
        while app.step().screen != "confirm":
            pass
        to_screen.append(time.perf_counter() - t)
        drv.tap(back)
    return to_screen, to_feedback


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--touches", type=int, default=50)
    args = parser.parse_args(argv)

    pygame.init()
    display = pygame.display.set_mode(SIZE)
    root = Path(tempfile.mkdtemp(prefix="booth-bench-ui-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    booth = open_booth(root, voters=300)
    booth.settings.poll_interval = 0.5
    app = KioskApp(
        booth.service, booth.station, booth.devices, SIZE, clock=booth.clock, settings=booth.settings, surface=display
    )
    drv = KioskDriver(app, finger=True)
    drv.step()
    print(
        f"booth ui_frame_time: {SIZE[0]}x{SIZE[1]}, SDL video driver {pygame.display.get_driver()}, "
        f"pygame-ce {pygame.version.ver}, Python {platform.python_version()}, {platform.machine()}"
    )

    bare = bare_frames(display, args.frames)
    print(f"\nreference: bare full-screen blit + flip     {ms(bare)}")

    svc, pin = booth.service, booth.pins["PT-01"]
    tok = svc.sign_in("PT-01", pin)
    voter = booth.package.voters[0]
    svc.check_in(tok, voter.ref)
    svc.release_ballot(tok, voter.ref)
    app.after_action()
    drv.step()
    assert app.frame.screen == "ballot", app.frame.screen
    ballot = kiosk_frames(app, args.frames)
    print(
        f"ballot screen (3 candidates)                {ms(ballot)}"
        f"   = {statistics.median(ballot) / statistics.median(bare):.1f}x the bare frame"
    )

    candidate = booth.package.candidates[1].name
    down_up, down = touches(app, drv, candidate, args.touches)
    bare2 = [a + b for a, b in zip(bare[0::2], bare[1::2], strict=False)]
    print(f"\nreference: two bare frames                  {ms(bare2)}")
    print(f"touch (down+up) -> confirmation on screen   {ms(down_up)}")
    print(f"reference: one bare frame                   {ms(bare)}")
    print(f"finger down -> pressed look on screen       {ms(down)}")

    drv.press(Nav.COMPANION)
    drv.tap(next(c.name for c in booth.package.companions if c.id == "PT-01"))
    drv.type(pin)
    drv.tap(str(_("Sign in")))
    drv.tap(str(_("Voter check-in")))
    query = voter.name.split()[0]
    drv.type(query)
    searching = app.frame.screen
    search = kiosk_frames(app, args.frames)
    print(
        "\n" + f"check-in: {searching}, name typed".ljust(44) + f"{ms(search)}"
        f"   = {statistics.median(search) / statistics.median(bare):.1f}x the bare frame"
    )
    drv.tap(str(_("Search")))
    listing = app.frame.screen
    results = kiosk_frames(app, args.frames)
    print(
        f"check-in: {listing}".ljust(44) + f"{ms(results)}"
        f"   = {statistics.median(results) / statistics.median(bare):.1f}x the bare frame"
    )
    print(f"\nfor scale: 30 fps is a frame every 33.3 ms (KioskSettings.fps = {app.settings.fps})")
    booth.devices.close()
    svc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
