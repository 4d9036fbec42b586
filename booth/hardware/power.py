"""Power supply: an optional UPS HAT that tells booth about mains loss and low battery."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol


class Power(enum.Enum):
    MAINS = "mains"
    BATTERY = "battery"  # mains lost, running on the UPS: pause the booth safely
    LOW_BATTERY = "low_battery"  # shut down cleanly soon


class PowerMonitor(Protocol):
    def state(self) -> Power: ...

    def on_change(self, callback: Callable[[Power], None]) -> None: ...

    def close(self) -> None: ...
