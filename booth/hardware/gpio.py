"""The real buttons, status LEDs and buzzer, over gpiozero.

Each class takes an optional ``pin_factory``: on the Pi leave it out (gpiozero
picks lgpio); tests and the simulator pass gpiozero's ``MockFactory`` and
drive the mock pins (``booth_sim.gpio.SimPanel`` does that for you).

>>> from gpiozero.pins.mock import MockFactory
>>> buttons = GpioButtons({Nav.SELECT: 13}, pin_factory=MockFactory())
>>> buttons.on_press(print)

Wiring (docs/wiring.md): buttons between the GPIO and GND (internal pull-up,
so a press reads low); LEDs from the GPIO through 330 ohm to GND (lit when
high); an *active* buzzer switched by an NPN transistor (sounds when high).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from gpiozero import LED, DigitalInputDevice
from gpiozero import Buzzer as _GpioZeroBuzzer
from gpiozero.pins import Factory

from booth.hardware.controls import Nav

#: Beep patterns: kind -> (on seconds, off seconds, number of beeps).
BEEPS: Mapping[str, tuple[float, float, int]] = {
    "confirm": (0.12, 0.0, 1),  # one short beep: your choice was taken
    "error": (0.12, 0.12, 3),  # three short beeps: that did not work
    "attention": (0.8, 0.0, 1),  # one long beep: call a companion
}

#: Attention LED blink rhythm (seconds on, seconds off).
BLINK = (0.4, 0.4)


class GpioButtons:
    """The four voter buttons and the companion button.

    ``pins`` maps each :class:`Nav` to a BCM GPIO number; every press calls
    the registered callbacks with that ``Nav``, from gpiozero's thread.
    """

    def __init__(
        self,
        pins: Mapping[Nav, int],
        *,
        bounce_s: float | None = 0.05,
        pin_factory: Factory | None = None,
    ) -> None:
        self._callbacks: list[Callable[[Nav], None]] = []
        self._lock = threading.Lock()
        self._buttons: dict[Nav, DigitalInputDevice] = {}
        try:
            for nav, pin in pins.items():
                # Not gpiozero's Button: its hold-detection thread wakes ten times a second per
                # button all day (0.2 % of a core for five buttons here) and booth never asks
                # how long a button is held.  Pulled up, a press pulls the line low: active.
                button = DigitalInputDevice(pin, pull_up=True, bounce_time=bounce_s or None, pin_factory=pin_factory)
                button.when_activated = self._handler(nav)
                self._buttons[nav] = button
        except Exception:
            self.close()
            raise

    def _handler(self, nav: Nav) -> Callable[[], None]:
        # A zero-argument closure: gpiozero would pass the device to a one-argument one.
        def pressed() -> None:
            with self._lock:
                callbacks = list(self._callbacks)
            for callback in callbacks:
                callback(nav)

        return pressed

    def on_press(self, callback: Callable[[Nav], None]) -> None:
        """Call ``callback(nav)`` on every press (several callbacks may be registered)."""
        with self._lock:
            self._callbacks.append(callback)

    def is_pressed(self, nav: Nav) -> bool:
        """Whether ``nav``'s button is held down right now (for the hardware self-test)."""
        return bool(self._buttons[nav].is_active)

    def close(self) -> None:
        for button in self._buttons.values():
            button.close()
        self._buttons.clear()


class GpioLights:
    """Ready (steady), busy (steady) and attention (blinking) LEDs.

    >>> from gpiozero.pins.mock import MockFactory
    >>> lights = GpioLights(22, 23, 24, pin_factory=MockFactory())
    >>> lights.show(ready=True)
    >>> lights.showing
    {'ready': True, 'busy': False, 'attention': False}
    """

    def __init__(
        self,
        ready_pin: int,
        busy_pin: int,
        attention_pin: int,
        *,
        blink: tuple[float, float] = BLINK,
        pin_factory: Factory | None = None,
    ) -> None:
        self._blink = blink
        self._lock = threading.Lock()
        self._leds: dict[str, LED] = {}
        try:
            for name, pin in (("ready", ready_pin), ("busy", busy_pin), ("attention", attention_pin)):
                self._leds[name] = LED(pin, pin_factory=pin_factory)
        except Exception:
            self.close()
            raise
        self._showing = {"ready": False, "busy": False, "attention": False}

    def show(self, *, ready: bool = False, busy: bool = False, attention: bool = False) -> None:
        """Set all three LEDs at once; the attention LED blinks while ``attention`` is set."""
        with self._lock:
            for name, wanted in (("ready", ready), ("busy", busy)):
                self._leds[name].value = bool(wanted)
            # Restarting blink() on every call would make the LED stutter.
            if attention and not self._showing["attention"]:
                on, off = self._blink
                self._leds["attention"].blink(on_time=on, off_time=off, background=True)
            elif not attention and self._showing["attention"]:
                self._leds["attention"].off()
            self._showing = {"ready": bool(ready), "busy": bool(busy), "attention": bool(attention)}

    @property
    def showing(self) -> dict[str, bool]:
        """What :meth:`show` was last asked for (attention True = blinking)."""
        with self._lock:
            return dict(self._showing)

    def close(self) -> None:
        for led in self._leds.values():
            led.close()
        self._leds.clear()


class GpioBuzzer:
    """An active buzzer: :data:`BEEPS` patterns, played in the background.

    >>> from gpiozero.pins.mock import MockFactory
    >>> buzzer = GpioBuzzer(12, pin_factory=MockFactory())
    >>> buzzer.beep("confirm")
    >>> buzzer.close()
    """

    def __init__(self, pin: int, *, pin_factory: Factory | None = None) -> None:
        self._buzzer = _GpioZeroBuzzer(pin, pin_factory=pin_factory)

    def beep(self, kind: str = "confirm") -> None:
        """Sound pattern ``kind`` ("confirm", "error" or "attention"); returns at once.

        A new beep cuts off one still playing.  An unknown kind is a bug: ValueError.
        """
        try:
            on, off, n = BEEPS[kind]
        except KeyError:
            raise ValueError(f"unknown beep {kind!r}; expected one of {', '.join(BEEPS)}") from None
        self._buzzer.beep(on_time=on, off_time=off, n=n, background=True)

    def close(self) -> None:
        self._buzzer.close()
