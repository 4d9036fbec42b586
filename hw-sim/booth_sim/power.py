"""A UPS HAT in software: cut the mains, bring it back, drain the battery.

:class:`SimPower` is booth's real :class:`~booth.hardware.ups.GpioPowerMonitor`
on gpiozero's mock pins; the fault buttons drive those pins the way the HAT
drives the real ones, so the same callbacks fire.

>>> from booth.hardware.power import Power
>>> power = SimPower()
>>> seen = []
>>> power.on_change(seen.append)
>>> power.cut(); power.restore()
>>> seen == [Power.BATTERY, Power.MAINS]
True
"""

from __future__ import annotations

from collections.abc import Callable

from gpiozero.pins.mock import MockFactory

from booth.hardware.config import PinMap, UpsConfig
from booth.hardware.power import Power
from booth.hardware.ups import GpioPowerMonitor


class SimPower:
    """The simulated UPS (see the module docstring); starts on mains, battery full."""

    def __init__(
        self,
        pins: PinMap | None = None,
        ups: UpsConfig | None = None,
        *,
        factory: MockFactory | None = None,
    ) -> None:
        pins = pins or PinMap()
        self._ups = ups or UpsConfig()
        self.factory = factory or MockFactory()
        self._good = self.factory.pin(pins.ups_power_good)
        self._low = self.factory.pin(pins.ups_low_battery)
        self._drive(self._good, self._ups.power_good_active_high)  # mains present
        self._drive(self._low, not self._ups.low_battery_active_high)  # battery fine
        self.monitor = GpioPowerMonitor(
            pins.ups_power_good,
            pins.ups_low_battery,
            power_good_active_high=self._ups.power_good_active_high,
            low_battery_active_high=self._ups.low_battery_active_high,
            bounce_s=None,
            pin_factory=self.factory,
        )

    @staticmethod
    def _drive(pin, high: bool) -> None:
        pin.drive_high() if high else pin.drive_low()

    # --- faults ---------------------------------------------------------------------

    def cut(self) -> None:
        """Mains power is lost: the booth runs on the battery (Power.BATTERY)."""
        self._drive(self._good, not self._ups.power_good_active_high)

    def restore(self) -> None:
        """Mains power is back and the battery charges (Power.MAINS)."""
        self._drive(self._low, not self._ups.low_battery_active_high)
        self._drive(self._good, self._ups.power_good_active_high)

    def low_battery(self) -> None:
        """The battery is nearly empty (Power.LOW_BATTERY); implies the mains is off."""
        self._drive(self._good, not self._ups.power_good_active_high)
        self._drive(self._low, self._ups.low_battery_active_high)

    # --- the PowerMonitor protocol -----------------------------------------------------

    def state(self) -> Power:
        return self.monitor.state()

    def on_change(self, callback: Callable[[Power], None]) -> None:
        self.monitor.on_change(callback)

    def close(self) -> None:
        self.monitor.close()
