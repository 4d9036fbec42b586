"""Device drivers found by name, as gpiozero finds its pin factories.

booth's own code knows the real drivers (``"real"`` in hardware.toml: gpiozero on the
Pi's header, python-escpos, picamera2). Any other driver name, ``"sim"`` first of all, is
a :class:`DriverSet` that a package provides under the entry-point group
``booth.drivers`` (the simulator's is ``sim = "booth_sim.drivers:SIMULATED"`` in
pyproject.toml), or that code registers at run time with :func:`register` (a test's
stand-in devices). So the appliance's code never imports the simulator: on the appliance,
where the configuration says ``"real"`` everywhere, nothing of it is ever loaded.

>>> sorted(available())
['sim']
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Protocol

from booth.hardware.camera import Camera
from booth.hardware.config import CameraConfig, PinMap, PrinterConfig, UpsConfig
from booth.hardware.controls import Buttons, Buzzer, Lights
from booth.hardware.power import PowerMonitor
from booth.hardware.printer import Printer

GROUP = "booth.drivers"


class Panel(Protocol):
    """One header's buttons, lights and buzzer (a simulated panel shares one virtual header)."""

    def buttons(self, *, bounce_s: float) -> Buttons: ...
    def lights(self) -> Lights: ...
    def buzzer(self) -> Buzzer: ...


class DriverSet(Protocol):
    """What a driver name provides: each of the booth's devices, built from its configuration."""

    def panel(self, pins: PinMap) -> Panel: ...
    def printer(self, config: PrinterConfig) -> Printer: ...
    def camera(self, config: CameraConfig) -> Camera: ...
    def power(self, pins: PinMap, ups: UpsConfig) -> PowerMonitor: ...


class DriverNotFound(LookupError):
    """No package provides the driver name the configuration asks for."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        listed = ", ".join(known) if known else "none"
        hint = " (the simulator comes with booth: reinstall it, `scripts/setup`)" if name == "sim" else ""
        super().__init__(
            f"driver {name!r} tidak ditemukan / not found: no package registers it under "
            f"the entry points {GROUP!r}{hint}; registered: {listed}"
        )


_registered: dict[str, DriverSet] = {}


def register(name: str, drivers: DriverSet) -> None:
    """Make ``drivers`` the set behind ``name`` in this process (before any entry point)."""
    _registered[name] = drivers


def unregister(name: str) -> None:
    """Forget a set registered with :func:`register` (entry points stay found)."""
    _registered.pop(name, None)


def available() -> set[str]:
    """Every driver name this process can open: registered ones and installed entry points."""
    return set(_registered) | {ep.name for ep in entry_points(group=GROUP)}


def find(name: str) -> DriverSet:
    """The driver set behind ``name``; :class:`DriverNotFound` names what is installed instead."""
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=GROUP, name=name):
        loaded: Any = ep.load()
        _registered[name] = loaded
        return loaded  # type: ignore[no-any-return]
    raise DriverNotFound(name, sorted(available()))
