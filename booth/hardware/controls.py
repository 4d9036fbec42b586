"""Buttons, status lights and the buzzer on the booth's GPIO header.

Voter navigation buttons (up, down, select, back — with tactile marks for
voters who cannot see the screen), one companion button, three status LEDs
(ready, busy, attention) and a buzzer for the confirmation beep.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol


class Nav(enum.Enum):
    """What a press means to the kiosk."""

    UP = "up"
    DOWN = "down"
    SELECT = "select"
    BACK = "back"
    COMPANION = "companion"


class Buttons(Protocol):
    def on_press(self, callback: Callable[[Nav], None]) -> None:
        """Call ``callback(nav)`` from the driver's thread on every press."""

    def close(self) -> None: ...


class Lights(Protocol):
    def show(self, *, ready: bool = False, busy: bool = False, attention: bool = False) -> None:
        """Set all three status LEDs at once (attention blinks)."""

    def close(self) -> None: ...


class Buzzer(Protocol):
    def beep(self, kind: str = "confirm") -> None:
        """Sound a short pattern: "confirm", "error" or "attention"."""

    def close(self) -> None: ...
