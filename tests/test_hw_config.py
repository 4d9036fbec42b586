"""hardware.toml: which drivers, which pins; bad files are refused with a message naming the key."""
# ruff: noqa: E402 -- the imports follow the sys.path line that puts this checkout's hw-sim first

import io
import re
import sys
from pathlib import Path

# booth_sim lives in hw-sim/; make this checkout's copy win over any other install.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hw-sim"))

import pytest
from PIL import Image

from booth.hardware.config import (
    BCM_TO_PHYSICAL,
    DEFAULT_PINS,
    HardwareConfigError,
    load_config,
)
from booth.hardware.controls import Nav
from booth.hardware.devices import open_devices
from booth.hardware.power import Power
from booth.hardware.ups import MainsOnly

EXAMPLE = ROOT / "booth" / "hardware" / "hardware.example.toml"


def write(tmp_path, text):
    path = tmp_path / "hardware.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path, text):
    with pytest.raises(HardwareConfigError) as raised:
        load_config(write(tmp_path, text))
    return raised.value.problems


def test_without_a_file_every_device_is_simulated_and_the_pins_are_the_documented_defaults():
    config = load_config(None)
    assert config.simulated == ["buttons", "lights", "buzzer", "printer", "camera", "power"]
    assert config.pins.buttons()[Nav.SELECT] == DEFAULT_PINS["select"] == 13
    assert config.pins.physical("select") == 33


def test_the_example_file_loads_as_the_real_appliance_with_the_default_pins():
    config = load_config(EXAMPLE)
    assert config.simulated == []
    for name, bcm in DEFAULT_PINS.items():
        assert getattr(config.pins, name) == bcm, name
    assert config.printer.serial_device == "/dev/serial0"
    assert (config.camera.width, config.camera.height) == (480, 640)


def test_a_partial_file_keeps_the_defaults_for_what_it_does_not_say(tmp_path):
    config = load_config(write(tmp_path, '[drivers]\nprinter = "real"\n[pins]\nselect = 16\n'))
    assert config.simulated == ["buttons", "lights", "buzzer", "camera", "power"]
    assert config.pins.select == 16 and config.pins.up == DEFAULT_PINS["up"]


def test_an_unknown_driver_name_is_refused_by_name(tmp_path):
    assert problems(tmp_path, '[drivers]\nprinter = "realy"\n') == [
        "drivers.printer: unknown driver 'realy'; expected 'real' or 'sim'"
    ]


def test_a_pin_used_twice_is_refused_naming_both_uses(tmp_path):
    assert problems(tmp_path, "[pins]\nback = 13\n") == ["pins.back: BCM 13 is already used by pins.select"]


def test_a_pin_that_is_not_an_integer_is_refused(tmp_path):
    found = problems(tmp_path, '[pins]\nselect = "13"\nbuzzer = 12.5\nup = true\n')
    assert found[0] == (
        "pins.select: a pin must be a BCM GPIO number written as an integer (e.g. select = 13), got '13' (a string)"
    )
    assert "pins.buzzer: a pin must be" in found[1] and "12.5 (a decimal number)" in found[1]
    assert "pins.up: a pin must be" in found[2] and "True (a boolean)" in found[2]


def test_a_physical_pin_number_mistaken_for_bcm_is_explained(tmp_path):
    assert problems(tmp_path, "[pins]\nselect = 33\n") == [
        "pins.select: 33 is not a GPIO on the 40-pin header; "
        "use a BCM number from 2 to 27 (not the physical pin number)"
    ]


def test_the_printers_uart_pins_cannot_be_given_to_a_button(tmp_path):
    found = problems(tmp_path, "[pins]\nup = 14\n")
    assert found == ["pins.up: BCM 14 is the UART TXD to the printer (/dev/serial0); choose another pin"]
    # ... unless the printer is on USB
    assert load_config(write(tmp_path, '[pins]\nup = 14\n[printer]\nconnection = "usb"\n')).pins.up == 14


def test_typos_and_every_problem_are_reported_together(tmp_path):
    found = problems(
        tmp_path,
        '[drivers]\npirnter = "real"\ncamera = "fake"\n[printer]\nbaudrate = 9601\n[camera]\nrotation = 45\n',
    )
    assert len(found) == 4
    assert found[0].startswith("drivers.pirnter: unknown key; expected one of: buttons, lights")
    assert "drivers.camera: unknown driver 'fake'" in found[1]
    assert "printer.baudrate: 9601 is not a thermal-printer speed" in found[2]
    assert "camera.rotation: must be 0, 90, 180 or 270, got 45" in found[3]


def test_a_file_that_is_not_toml_says_where(tmp_path):
    found = problems(tmp_path, "[pins\nup = 5\n")
    assert len(found) == 1 and found[0].startswith("not valid TOML") and "line 1" in found[0]


def test_the_configuration_chooses_the_drivers_that_open_devices_gives(tmp_path):
    config = load_config(write(tmp_path, '[drivers]\npower = "none"\n[camera]\nwidth = 320\nheight = 400\n'))
    devices = open_devices(config)
    try:
        assert isinstance(devices.power, MainsOnly) and devices.power.state() is Power.MAINS
        heard = []
        devices.buttons.on_press(heard.append)
        devices.panel.press(Nav.SELECT)
        assert heard == [Nav.SELECT]
        photo = Image.open(io.BytesIO(devices.camera.capture_jpeg()))
        assert photo.size == (320, 400)
        devices.printer.print_image(Image.new("1", (384, 16), 0))
        assert len(devices.printer.printed) == 1
    finally:
        devices.close()


def test_the_wiring_doc_shows_the_same_pins_as_the_code():
    rows = (ROOT / "docs" / "wiring.md").read_text(encoding="utf-8").splitlines()
    for name, bcm in DEFAULT_PINS.items():
        row = next(r for r in rows if f"| `{name}` |" in r)
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[3] == str(bcm) and cells[4] == str(BCM_TO_PHYSICAL[bcm]), row
    example = EXAMPLE.read_text(encoding="utf-8")
    for name, bcm in DEFAULT_PINS.items():
        assert re.search(rf"^{name} = {bcm}\s+# physical pin {BCM_TO_PHYSICAL[bcm]}\b", example, re.M), name
