"""The booth's GPIO header in software: virtual buttons, LEDs and buzzer.

The devices are booth's real drivers (:mod:`booth.hardware.gpio`) on
gpiozero's ``MockFactory``; :class:`SimPanel` is the hand and the eye on the
mock pins — it presses buttons the way a finger does (pulls the line to
ground) and reads the LED and buzzer lines the way a multimeter would.

>>> from booth.hardware.controls import Nav
>>> panel = SimPanel()
>>> buttons, lights = panel.buttons(), panel.lights()
>>> buttons.on_press(print)
>>> panel.press(Nav.SELECT)
Nav.SELECT
>>> lights.show(ready=True)
>>> panel.lit("ready"), panel.lit("busy")
(True, False)
"""

from __future__ import annotations

import time
from typing import Any

from gpiozero.pins.mock import MockFactory

from booth.hardware.config import PinMap
from booth.hardware.controls import Nav
from booth.hardware.gpio import GpioButtons, GpioBuzzer, GpioLights

LEDS = ("ready", "busy", "attention")


class SimPanel:
    """Mock pins for the pin map, and the real GPIO drivers on them."""

    def __init__(self, pins: PinMap | None = None, *, factory: MockFactory | None = None) -> None:
        self.pins = pins or PinMap()
        self.factory = factory or MockFactory()
        self._lights: GpioLights | None = None

    # --- the devices (booth's real drivers on mock pins) -------------------------------

    def buttons(self, **options: Any) -> GpioButtons:
        return GpioButtons(self.pins.buttons(), pin_factory=self.factory, **options)

    def lights(self, **options: Any) -> GpioLights:
        self._lights = GpioLights(
            self.pins.led_ready,
            self.pins.led_busy,
            self.pins.led_attention,
            pin_factory=self.factory,
            **options,
        )
        return self._lights

    def buzzer(self) -> GpioBuzzer:
        return GpioBuzzer(self.pins.buzzer, pin_factory=self.factory)

    # --- the hand ------------------------------------------------------------------------------

    def press(self, nav: Nav) -> None:
        """Press and release ``nav``'s button (callbacks run before this returns)."""
        pin = self.factory.pin(self.pins.buttons()[nav])
        pin.drive_low()  # the button shorts the pulled-up line to ground
        pin.drive_high()

    def hold(self, nav: Nav) -> None:
        """Press ``nav`` and keep it down, until :meth:`release`."""
        self.factory.pin(self.pins.buttons()[nav]).drive_low()

    def release(self, nav: Nav) -> None:
        self.factory.pin(self.pins.buttons()[nav]).drive_high()

    # --- the eye --------------------------------------------------------------------------------

    def _led_pin(self, name: str):
        if name not in LEDS:
            raise ValueError(f"unknown LED {name!r}; expected one of {', '.join(LEDS)}")
        return self.factory.pin(getattr(self.pins, f"led_{name}"))

    def lit(self, name: str) -> bool:
        """Whether LED ``name`` ("ready", "busy", "attention") is lit at this instant."""
        return bool(self._led_pin(name).state)

    def led_changes(self, name: str) -> int:
        """How many times LED ``name`` switched on or off so far (blinking counts up)."""
        return len(self._led_pin(name).states) - 1

    def leds(self) -> dict[str, str]:
        """Each LED as the window draws it: "on", "off" or "blinking"."""
        asked = self._lights.showing if self._lights is not None else {}
        out = {}
        for name in LEDS:
            if name == "attention" and asked.get("attention"):
                out[name] = "blinking"
            else:
                out[name] = "on" if self.lit(name) else "off"
        return out

    @property
    def buzzing(self) -> bool:
        """Whether the buzzer sounds at this instant."""
        return bool(self.factory.pin(self.pins.buzzer).state)

    def beeps(self) -> int:
        """Beeps heard so far: each time the buzzer line went high."""
        states = self.factory.pin(self.pins.buzzer).states
        return sum(1 for before, after in zip(states, states[1:], strict=False) if after.state and not before.state)

    def wait_quiet(self, timeout: float = 5.0) -> None:
        """Wait until the buzzer has finished its pattern (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.buzzing:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.3:  # longer than any gap in a pattern
                return
            time.sleep(0.01)
        raise TimeoutError("the buzzer did not stop")
