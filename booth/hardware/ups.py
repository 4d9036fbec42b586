"""The real UPS HAT: two GPIO lines tell booth about mains loss and a low battery.

Most UPS HATs for the Pi signal with a GPIO line: "power good" (mains
present) and "low battery".  Which level means what differs per HAT, so both
are configurable (``[ups]`` in hardware.toml).

>>> from gpiozero.pins.mock import MockFactory
>>> ups = GpioPowerMonitor(25, 27, pin_factory=MockFactory())
>>> ups.on_change(print)

:meth:`GpioPowerMonitor.state` combines both lines: a low battery wins, then
mains loss.  Callbacks get the new combined state, once per change, from
gpiozero's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gpiozero import DigitalInputDevice
from gpiozero.pins import Factory

from booth.hardware.power import Power


class GpioPowerMonitor:
    """Power-good and (optional) low-battery inputs of a UPS HAT."""

    def __init__(
        self,
        power_good_pin: int,
        low_battery_pin: int | None = None,
        *,
        power_good_active_high: bool = True,
        low_battery_active_high: bool = False,
        bounce_s: float | None = 0.1,
        pin_factory: Factory | None = None,
    ) -> None:
        self._callbacks: list[Callable[[Power], None]] = []
        self._lock = threading.Lock()
        # pull_up=None: the HAT drives the line; active_state says which level is "true".
        self._power_good = DigitalInputDevice(
            power_good_pin,
            pull_up=None,
            active_state=power_good_active_high,
            bounce_time=bounce_s,
            pin_factory=pin_factory,
        )
        self._low_battery = None
        try:
            if low_battery_pin is not None:
                self._low_battery = DigitalInputDevice(
                    low_battery_pin,
                    pull_up=None,
                    active_state=low_battery_active_high,
                    bounce_time=bounce_s,
                    pin_factory=pin_factory,
                )
        except Exception:
            self._power_good.close()
            raise
        self._last = self.state()
        for device in filter(None, (self._power_good, self._low_battery)):
            device.when_activated = self._changed
            device.when_deactivated = self._changed

    def state(self) -> Power:
        """MAINS, BATTERY (mains lost) or LOW_BATTERY (shut down cleanly soon)."""
        if self._low_battery is not None and self._low_battery.is_active:
            return Power.LOW_BATTERY
        if not self._power_good.is_active:
            return Power.BATTERY
        return Power.MAINS

    def on_change(self, callback: Callable[[Power], None]) -> None:
        """Call ``callback(state)`` whenever :meth:`state` changes."""
        with self._lock:
            self._callbacks.append(callback)

    def _changed(self) -> None:
        with self._lock:
            now = self.state()
            if now == self._last:
                return
            self._last = now
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback(now)

    def close(self) -> None:
        for device in filter(None, (self._power_good, self._low_battery)):
            device.close()


class MainsOnly:
    """No UPS HAT (``drivers.power = "none"``): always on mains, never calls back."""

    def state(self) -> Power:
        return Power.MAINS

    def on_change(self, callback: Callable[[Power], None]) -> None:
        pass

    def close(self) -> None:
        pass
