"""The simulated booth on a base install: its devices are found through the driver registry.

A trainer installs booth on a laptop with nothing but the base dependencies (no kiosk
window, no printer transports, no Pi libraries) and runs the all-simulated default
configuration: every device opens, a button press arrives, a slip prints, the camera
takes a photo, the UPS says mains.  The appliance's code finds the simulator through
``booth.hardware.drivers`` (the ``booth.drivers`` entry points), never by its name.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from booth.hardware import drivers
from booth.hardware.config import HardwareConfig, load_config
from booth.hardware.devices import open_devices

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

#: What only the extras (or the Pi's apt packages) bring, by the module each is imported as: the
#: kiosk window, the real devices' transports, the Pi's libraries and the recap's server.
EXTRAS_ONLY = {
    "pygame": "pygame-ce",  # kiosk: the window
    "serial": "pyserial",  # hardware: the printer's serial port
    "usb": "pyusb",  # hardware: the printer's USB
    "lgpio": "lgpio",  # the Pi's GPIO chip (apt on Raspberry Pi OS)
    "picamera2": "picamera2",  # the Pi's camera (apt on Raspberry Pi OS)
    "sqlite_utils": "sqlite-utils",  # recap: its tables
    "starlette": "starlette",  # recap: the web pages
    "uvicorn": "uvicorn",
    "jinja2": "jinja2",
}

#: Run in a fresh interpreter that cannot import any of EXTRAS_ONLY.
BLOCKER = """
import importlib.abc, sys
BLOCKED = set(sys.argv.pop(1).split(","))
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the base install)", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
"""


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def run_base_only(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    script = BLOCKER + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script, ",".join(EXTRAS_ONLY), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_the_extras_bring_only_real_hardware_the_window_and_tests():
    base = {_name(r) for r in PROJECT["dependencies"]}
    # the simulated devices run over gpiozero's mock pins and python-escpos's encoder
    assert {"gpiozero", "python-escpos"} <= base
    assert not base & set(EXTRAS_ONLY.values())
    extras = PROJECT["optional-dependencies"]
    for extra in ("kiosk", "hardware"):
        for requirement in extras[extra]:
            name = _name(requirement)
            assert name in base or name in EXTRAS_ONLY.values(), f"{extra} brings {name}: is it base or hardware?"
    assert "pygame-ce" in {_name(r) for r in extras["kiosk"]}
    assert any("serial" in r and "usb" in r for r in extras["hardware"])


def test_all_simulated_devices_open_with_only_the_base_dependencies():
    done = run_base_only("""
        import io, json
        from PIL import Image
        from booth.hardware.config import load_config
        from booth.hardware.controls import Nav
        from booth.hardware.devices import open_devices

        devices = open_devices(load_config(None))
        pressed = []
        devices.buttons.on_press(pressed.append)
        devices.panel.press(Nav.SELECT)
        devices.lights.show(ready=True)
        devices.printer.print_image(Image.new("1", (384, 80), 1))
        photo = Image.open(io.BytesIO(devices.camera.capture_jpeg()))
        print(json.dumps({"pressed": [n.name for n in pressed], "lights": devices.lights.showing,
                          "printer_ready": devices.printer.status().ready, "photo": photo.size,
                          "power": devices.power.state().name,
                          "blocked_loaded": sorted(m for m in __import__("sys").modules
                                                   if m.split(".")[0] in BLOCKED)}))
        devices.close()
    """)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["pressed"] == ["SELECT"]
    assert seen["lights"]["ready"] is True
    assert seen["printer_ready"] is True
    assert seen["photo"][0] > 0
    assert seen["power"] == "MAINS"
    assert seen["blocked_loaded"] == []


def test_the_blocker_really_blocks_what_the_extras_bring():
    """Without this, the test above would pass on a machine that has every extra installed."""
    done = run_base_only("import serial")
    assert done.returncode != 0 and "not in the base install" in done.stderr


def test_the_demo_day_runs_headless_with_only_the_base_dependencies(tmp_path):
    done = run_base_only(
        """
        import sys, runpy
        sys.argv = ["booth", "demo", "--headless", "--voters", "30", "--out", sys.argv[1]]
        runpy.run_module("booth", run_name="__main__")
    """,
        str(tmp_path / "demo"),
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "SEMUA TERPENUHI / ALL MET" in done.stdout
    assert json.loads((tmp_path / "demo" / "summary.json").read_text())["ok"] is True


def test_the_simulator_is_found_by_name_through_the_entry_points():
    assert "sim" in drivers.available()
    devices = open_devices(HardwareConfig())
    try:
        assert type(devices.printer).__module__ == "booth_sim.printer"
        assert type(devices.panel).__module__ == "booth_sim.gpio"
    finally:
        devices.close()


class StandInDrivers:
    """A test's own devices registered under "sim": open_devices must use them, not booth_sim."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self._sim = drivers.find("sim")

    def panel(self, pins):
        self.opened.append("panel")
        return self._sim.panel(pins)

    def printer(self, config):
        self.opened.append(f"printer feed={config.feed_mm}")
        return self._sim.printer(config)

    def camera(self, config):
        self.opened.append(f"camera {config.width}x{config.height}")
        return self._sim.camera(config)

    def power(self, pins, ups):
        self.opened.append("power")
        return self._sim.power(pins, ups)


def test_open_devices_takes_every_simulated_device_from_the_registry(tmp_path):
    toml = tmp_path / "hardware.toml"
    toml.write_text('[drivers]\npower = "none"\n[printer]\nfeed_mm = 20\n[camera]\nwidth = 320\nheight = 240\n')
    stand_in = StandInDrivers()
    drivers.register("sim", stand_in)
    try:
        devices = open_devices(load_config(toml))
        devices.printer.print_image(Image.new("1", (384, 8), 1))
        devices.close()
    finally:
        drivers.unregister("sim")
    assert stand_in.opened == ["panel", "printer feed=20", "camera 320x240"]  # power "none": no UPS asked for
    assert "sim" in drivers.available()  # the entry point is still there once the stand-in is gone


def test_a_driver_nobody_provides_is_named_with_what_is_installed(monkeypatch):
    monkeypatch.setattr(drivers, "entry_points", lambda **_: [])
    drivers.unregister("sim")
    with pytest.raises(drivers.DriverNotFound) as refused:
        open_devices(HardwareConfig())
    message = str(refused.value)
    assert "'sim'" in message and "tidak ditemukan / not found" in message and "scripts/setup" in message
    assert "registered: none" in message
