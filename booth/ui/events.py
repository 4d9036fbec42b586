"""What the kiosk reacts to: touches (finger or mouse) and the booth's push-buttons.

pygame delivers touch as FINGERDOWN/UP/MOTION (normalised 0..1 coordinates)
and, for the same finger, synthesized mouse events; a mouse is a mouse.
:func:`from_pygame` turns each into one :class:`Touch` in surface pixels and
drops the synthesized duplicates, so a finger counts once.

>>> import pygame
>>> e = pygame.event.Event(pygame.FINGERDOWN, x=0.5, y=0.25, finger_id=0, touch_id=0)
>>> from_pygame(e, (800, 480))
Touch(kind='down', pos=(400, 120), finger=0)
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from booth.hardware.controls import Nav


@dataclass(frozen=True)
class Touch:
    """A finger (or the mouse) going down, moving, or lifting at ``pos``."""

    kind: str  # "down", "move", "up"
    pos: tuple[int, int]
    finger: int = -1  # -1: the mouse


@dataclass(frozen=True)
class Press:
    """A push-button press (from the GPIO panel, or the arrow keys in a windowed dev kiosk)."""

    nav: Nav


_FINGER = {pygame.FINGERDOWN: "down", pygame.FINGERUP: "up", pygame.FINGERMOTION: "move"}
_MOUSE = {pygame.MOUSEBUTTONDOWN: "down", pygame.MOUSEBUTTONUP: "up", pygame.MOUSEMOTION: "move"}

# Developer keys in a windowed kiosk only (a kiosk on the appliance ignores the keyboard).
DEV_KEYS = {
    pygame.K_UP: Nav.UP,
    pygame.K_DOWN: Nav.DOWN,
    pygame.K_RETURN: Nav.SELECT,
    pygame.K_BACKSPACE: Nav.BACK,
    pygame.K_F12: Nav.COMPANION,
}


def from_pygame(event, size: tuple[int, int]) -> Touch | None:
    """The :class:`Touch` for a pygame event, or None if it is not a touch we use."""
    if event.type in _FINGER:
        x = min(size[0] - 1, max(0, int(event.x * size[0])))
        y = min(size[1] - 1, max(0, int(event.y * size[1])))
        return Touch(_FINGER[event.type], (x, y), int(getattr(event, "finger_id", 0)))
    if event.type in _MOUSE:
        if getattr(event, "touch", False):
            return None  # SDL's mouse copy of a finger we already handle
        if event.type != pygame.MOUSEMOTION and getattr(event, "button", 1) != 1:
            return None
        if event.type == pygame.MOUSEMOTION and not getattr(event, "buttons", (1,))[0]:
            return None  # hovering is not touching
        return Touch(_MOUSE[event.type], (int(event.pos[0]), int(event.pos[1])))
    return None


def from_window(
    event, origin: tuple[int, int], kiosk_size: tuple[int, int], window_size: tuple[int, int]
) -> Touch | None:
    """The :class:`Touch` for an event in a bigger window that shows the kiosk at ``origin``
    (the simulator window: kiosk beside its panel), or None if it is not on the kiosk.

    >>> e = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(420, 30), button=1)
    >>> from_window(e, (400, 0), (800, 480), (1400, 480))
    Touch(kind='down', pos=(20, 30), finger=-1)
    """
    if event.type in _FINGER:
        x = event.x * window_size[0] - origin[0]
        y = event.y * window_size[1] - origin[1]
        if not (0 <= x < kiosk_size[0] and 0 <= y < kiosk_size[1]) and event.type == pygame.FINGERDOWN:
            return None
        return Touch(
            _FINGER[event.type],
            (min(kiosk_size[0] - 1, max(0, int(x))), min(kiosk_size[1] - 1, max(0, int(y)))),
            int(getattr(event, "finger_id", 0)),
        )
    touch = from_pygame(event, window_size)
    if touch is None:
        return None
    x, y = touch.pos[0] - origin[0], touch.pos[1] - origin[1]
    if touch.kind == "down" and not (0 <= x < kiosk_size[0] and 0 <= y < kiosk_size[1]):
        return None  # on the panel beside the kiosk, not on the kiosk
    return Touch(touch.kind, (x, y), touch.finger)
