"""The simulator's devices as one driver set, registered under the name ``"sim"``.

pyproject.toml lists :data:`SIMULATED` under the entry points ``booth.drivers``, so
:func:`booth.hardware.devices.open_devices` finds it by the name hardware.toml gives
(``"sim"``, the default) without importing the simulator by name.  Each device here runs
the real driver's code where it can: the buttons, lights, buzzer and UPS are the real GPIO
classes on gpiozero's mock pins (:class:`~booth_sim.gpio.SimPanel`), the printer decodes
the real ESC/POS bytes.
"""

from __future__ import annotations

from booth.hardware.camera import Camera
from booth.hardware.config import CameraConfig, PinMap, PrinterConfig, UpsConfig
from booth.hardware.power import PowerMonitor
from booth.hardware.printer import Printer
from booth_sim.camera import SimCamera
from booth_sim.gpio import SimPanel
from booth_sim.power import SimPower
from booth_sim.printer import SimPrinter


class SimulatedDrivers:
    """Every device of the booth, simulated (a :class:`booth.hardware.drivers.DriverSet`)."""

    def panel(self, pins: PinMap) -> SimPanel:
        return SimPanel(pins)

    def printer(self, config: PrinterConfig) -> Printer:
        return SimPrinter(
            cutter=config.cutter,
            feed_mm=config.feed_mm,
            fragment_height=config.fragment_height,
            require_status=config.require_status,
            speed_mm_s=config.speed_mm_s,
        )

    def camera(self, config: CameraConfig) -> Camera:
        return SimCamera(config.width, config.height, jpeg_quality=config.jpeg_quality)

    def power(self, pins: PinMap, ups: UpsConfig) -> PowerMonitor:
        return SimPower(pins, ups)


SIMULATED = SimulatedDrivers()
