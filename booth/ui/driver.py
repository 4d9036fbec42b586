"""Driving the kiosk without a display: touches, button presses, frames, screenshots.

Tests, the scenario runner and the screenshot gallery use :class:`KioskDriver`
to run the kiosk one frame at a time, as a person would: a tap is a finger
down on one frame and up on the next (so the pressed look is drawn in
between), a button press goes through the simulated GPIO panel like a real
finger on a real button, and :meth:`KioskDriver.shot` saves what the glass
shows.

>>> d = KioskDriver(app, shots_dir="out/screens")          # doctest: +SKIP
>>> d.tap("Ya, Pilih"); d.screen                            # doctest: +SKIP
'printing'
"""

from __future__ import annotations

from pathlib import Path

import pygame

from booth.hardware.controls import Nav
from booth.ui.events import Press


class NoSuchTarget(LookupError):
    """No target with that label is on the screen."""


class KioskDriver:
    """Runs ``app`` frame by frame; ``finger=True`` sends FINGER events instead of the mouse."""

    def __init__(self, app, *, shots_dir: str | Path | None = None, finger: bool = False) -> None:
        self.app = app
        self.shots_dir = Path(shots_dir) if shots_dir else None
        self.finger = finger
        self.shots: list[Path] = []
        self.seen: dict[str, list] = {}  # screen name -> the frames it was on top
        self.problems: dict[str, set[str]] = {}  # screen name -> what audit() found on its frames
        self.audit = False  # check every frame with audit() (tests turn it on)
        if self.shots_dir:
            self.shots_dir.mkdir(parents=True, exist_ok=True)

    # -------------------------------------------------------------- frames
    def step(self, frames: int = 1):
        for _ in range(frames):
            frame = self.app.step()
            self.seen.setdefault(frame.screen, []).append(frame)
            if self.audit:
                found = audit(self.app)
                if found:
                    self.problems.setdefault(frame.screen, set()).update(found)
        return self.app.frame

    @property
    def screen(self) -> str:
        return self.app.frame.screen

    def texts(self) -> list[str]:
        return self.app.frame.texts()

    def shows(self, words: str) -> bool:
        """Whether any text on the last frame contains ``words``."""
        return any(words in t for t in self.texts())

    def advance(self, seconds: float, *, frames: int = 1) -> None:
        """Move the (fake) clock on, then run ``frames`` frames."""
        self.app.clock.advance(seconds)
        self.step(frames)

    # ---------------------------------------------------------------- input
    def targets(self):
        return self.app.screen.targets()

    def target(self, label: str, *, exact: bool = False):
        """The target whose label is ``label`` (or contains it, unless ``exact``)."""
        targets = self.targets()
        for w in targets:
            if w.label == label:
                return w
        if not exact:
            for w in targets:
                if label in w.label:
                    return w
        raise NoSuchTarget(f"no target {label!r} on {self.screen}: {[w.label for w in targets]}")

    def _event(self, kind: str, pos):
        w, h = self.app.size
        if self.finger:
            etype = {"down": pygame.FINGERDOWN, "up": pygame.FINGERUP, "move": pygame.FINGERMOTION}[kind]
            return pygame.event.Event(
                etype, x=pos[0] / w, y=pos[1] / h, dx=0, dy=0, finger_id=0, touch_id=0, pressure=1.0
            )
        if kind == "move":
            return pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(1, 0, 0), touch=False)
        etype = pygame.MOUSEBUTTONDOWN if kind == "down" else pygame.MOUSEBUTTONUP
        return pygame.event.Event(etype, pos=pos, button=1, touch=False)

    def touch(self, down, up=None, *, frames_between: int = 1):
        """Finger down at ``down``, (slide), up at ``up`` (default: the same place); one frame each."""
        up = down if up is None else up
        self.app.feed(self._event("down", down))
        self.step(frames_between)
        if up != down:
            self.app.feed(self._event("move", up))
        self.app.feed(self._event("up", up))
        return self.step()

    def tap(self, what, **kw):
        """Tap a target by label (or a widget, or a position) at its centre."""
        if isinstance(what, tuple):
            pos = what
        elif isinstance(what, str):
            pos = self.target(what, **kw).rect.center
        else:
            pos = what.rect.center
        return self.touch(pos)

    def press(self, nav: Nav):
        """Press a push-button: through the simulated GPIO panel if there is one."""
        panel = getattr(self.app.devices, "panel", None)
        if panel is not None:
            panel.press(nav)
        else:
            self.app.feed(Press(nav))
        return self.step()

    def type(self, text: str) -> None:
        """Type on the on-screen keyboard or keypad, key by key."""
        for ch in text:
            label = {" ": self._space_label()}.get(ch, ch.upper())
            self.tap(label, exact=True)

    def _space_label(self) -> str:
        from booth.ui.i18n import _

        return str(_("Space"))

    # ---------------------------------------------------------- screenshots
    def shot(self, name: str | None = None) -> Path:
        """Save the last frame as ``NNN-<name>.png`` in ``shots_dir``."""
        if self.shots_dir is None:
            raise ValueError("no shots_dir given")
        path = self.shots_dir / f"{len(self.shots):03d}-{name or self.screen}.png"
        self.app.save_screenshot(path)
        self.shots.append(path)
        return path


def audit(app) -> list[str]:
    """What a reviewer would flag on the last frame: untranslated literals, targets smaller than
    12 mm, targets that overlap or leave the screen."""
    screen = app.screen
    theme = app.theme_for(screen)
    found = []
    # (whether text fits its box at a legible size is measured on the drawn ink by
    # tests/test_ui_text_size.py, screen by screen and resolution by resolution)
    for item in app.frame.items:
        if item.kind == "raw" and item.text:
            found.append(f"text not from the catalogs: {item.text[:50]!r}")
    bounds = pygame.Rect(0, 0, *app.size)
    targets = [t for t in screen.targets() if t.visible]
    for t in targets:
        if min(t.rect.size) < theme.target - 1:
            found.append(f"target smaller than {theme.target}px (12 mm): {t.label[:30]!r} {t.rect.size}")
        if not bounds.contains(t.rect):
            found.append(f"target off the screen: {t.label[:30]!r} {t.rect}")
    for i, a in enumerate(targets):
        for b in targets[i + 1 :]:
            if a.rect.colliderect(b.rect):
                found.append(f"targets overlap: {a.label[:20]!r} and {b.label[:20]!r}")
    return found
