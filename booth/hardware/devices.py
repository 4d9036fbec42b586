"""Open every device of the booth, real or simulated, as the configuration says.

>>> from booth.hardware.config import load_config
>>> devices = open_devices(load_config(None))      # all simulated
>>> devices.printer.status().ready
True
>>> devices.close()

Real drivers are imported only when configured, so a laptop without
gpiozero's lgpio, pyserial or picamera2 can still open simulated devices.
Any other driver name (``"sim"``: the simulator's devices) is looked up in
:mod:`booth.hardware.drivers`, the registry the simulator registers into, so
this module never names the simulator.  The simulated buttons, LEDs and
buzzer share one virtual header, :attr:`Devices.panel`, which the simulator
window and tests use to press buttons and watch the LEDs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from booth.hardware.camera import Camera
from booth.hardware.config import HardwareConfig
from booth.hardware.controls import Buttons, Buzzer, Lights
from booth.hardware.drivers import Panel, find
from booth.hardware.power import PowerMonitor
from booth.hardware.printer import Printer


@dataclass
class Devices:
    """The booth's hardware, one object per protocol."""

    buttons: Buttons
    lights: Lights
    buzzer: Buzzer
    printer: Printer
    camera: Camera
    power: PowerMonitor
    panel: Any = None  # the simulated header (a drivers.Panel) when any GPIO device is simulated

    def close(self) -> None:
        """Release every device; one failing to close does not keep the others open."""
        for device in (self.buttons, self.lights, self.buzzer, self.printer, self.camera, self.power):
            with contextlib.suppress(Exception):
                device.close()


def open_devices(config: HardwareConfig | None = None) -> Devices:
    """Every device, real or simulated per ``config.drivers`` (default: all simulated).

    Raises what a real device raises when it is missing, e.g. CameraError
    when no camera is connected; devices already opened are closed again.
    """
    config = config or HardwareConfig()
    drivers, pins = config.drivers, config.pins
    opened: list[Any] = []

    def keep(device: Any) -> Any:
        opened.append(device)
        return device

    # the simulated header is one for buttons, lights and buzzer (SimPanel's hand and eye)
    gpio_drivers = {drivers.buttons, drivers.lights, drivers.buzzer} - {"real"}
    panel = find(gpio_drivers.pop()).panel(pins) if gpio_drivers else None

    def on_panel() -> Panel:
        assert panel is not None  # some GPIO device is not "real", so the panel was opened
        return panel

    try:
        bounce_s = config.buttons.bounce_ms / 1000
        if drivers.buttons == "real":
            from booth.hardware.gpio import GpioButtons

            buttons: Buttons = keep(GpioButtons(pins.buttons(), bounce_s=bounce_s))
        else:
            buttons = keep(on_panel().buttons(bounce_s=bounce_s))

        if drivers.lights == "real":
            from booth.hardware.gpio import GpioLights

            lights: Lights = keep(GpioLights(pins.led_ready, pins.led_busy, pins.led_attention))
        else:
            lights = keep(on_panel().lights())

        if drivers.buzzer == "real":
            from booth.hardware.gpio import GpioBuzzer

            buzzer: Buzzer = keep(GpioBuzzer(pins.buzzer))
        else:
            buzzer = keep(on_panel().buzzer())

        printer: Printer = keep(_open_printer(config))
        camera: Camera = keep(_open_camera(config))
        power: PowerMonitor = keep(_open_power(config))
    except BaseException:
        for device in reversed(opened):
            with contextlib.suppress(Exception):
                device.close()
        raise
    return Devices(buttons, lights, buzzer, printer, camera, power, panel=panel)


def _open_printer(config: HardwareConfig) -> Printer:
    if config.drivers.printer == "real":
        from booth.hardware.escpos_printer import EscposPrinter

        return EscposPrinter.from_config(config.printer)
    return find(config.drivers.printer).printer(config.printer)


def _open_camera(config: HardwareConfig) -> Camera:
    c = config.camera
    if config.drivers.camera == "real":
        from booth.hardware.picamera import Picamera2Camera

        return Picamera2Camera(c.width, c.height, rotation=c.rotation, jpeg_quality=c.jpeg_quality)
    return find(config.drivers.camera).camera(c)


def _open_power(config: HardwareConfig) -> PowerMonitor:
    pins, ups = config.pins, config.ups
    if config.drivers.power == "none":
        from booth.hardware.ups import MainsOnly

        return MainsOnly()
    if config.drivers.power == "real":
        from booth.hardware.ups import GpioPowerMonitor

        return GpioPowerMonitor(
            pins.ups_power_good,
            pins.ups_low_battery,
            power_good_active_high=ups.power_good_active_high,
            low_battery_active_high=ups.low_battery_active_high,
        )
    return find(config.drivers.power).power(pins, ups)
