"""Which hardware the booth drives, and how it is wired: ``hardware.toml``.

One TOML file says, per device, whether booth uses the real driver (on the
Pi) or the simulated one (``booth_sim``, on a laptop or in CI), which BCM GPIO
number each button, LED and UPS line is on, how the printer is connected and
what size the voter photo is.  Every key is optional; a missing key takes the
default documented in :data:`DEFAULT_PINS` and the dataclasses below, and in
``booth/hardware/hardware.example.toml`` (docs/wiring.md shows the same pin
map on the 40-pin header).

>>> config = load_config(None)             # no file: everything simulated
>>> config.drivers.printer, config.pins.select
('sim', 13)

A bad file changes nothing and raises :class:`HardwareConfigError` that lists
every problem found, each naming the key, e.g.
``pins.back: BCM 13 is already used by pins.select``.

The appliance image must install a file with ``"real"`` drivers: with no
file, everything is simulated, and :attr:`HardwareConfig.simulated` lists
what is simulated so the kiosk can say so on screen.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from booth.hardware.controls import Nav

DEVICES = ("buttons", "lights", "buzzer", "printer", "camera", "power")
DRIVER_NAMES = ("real", "sim")
POWER_DRIVER_NAMES = ("real", "sim", "none")  # "none": no UPS HAT, always on mains

#: Default pin map, BCM GPIO numbers (physical header pins in the comments).
#: These eleven avoid every pin with a job another part may need: I2C (2, 3),
#: the printer's UART (14, 15) and its RTS/CTS (16, 17), SPI0 (7-11) for a
#: touch controller, I2S (18-21) for audio, and the HAT ID EEPROM pins (0, 1).
DEFAULT_PINS: Mapping[str, int] = {
    "up": 5,  # physical 29
    "down": 6,  # physical 31
    "select": 13,  # physical 33
    "back": 26,  # physical 37
    "companion": 4,  # physical 7
    "led_ready": 22,  # physical 15
    "led_busy": 23,  # physical 16
    "led_attention": 24,  # physical 18
    "buzzer": 12,  # physical 32
    "ups_power_good": 25,  # physical 22
    "ups_low_battery": 27,  # physical 13
}

#: BCM GPIO number -> physical pin on the 40-pin header (all Pi models since the B+).
BCM_TO_PHYSICAL: Mapping[int, int] = {
    0: 27, 1: 28, 2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21, 10: 19,
    11: 23, 12: 32, 13: 33, 14: 8, 15: 10, 16: 36, 17: 11, 18: 12, 19: 35,
    20: 38, 21: 40, 22: 15, 23: 16, 24: 18, 25: 22, 26: 37, 27: 13,
}  # fmt: skip

# The Pi's own UART (GPIO14 TXD, GPIO15 RXD; RTS/CTS on GPIO17/GPIO16).
_PI_UART_DEVICES = ("/dev/serial0", "/dev/ttyAMA0", "/dev/ttyS0")
_UART_PINS = {14: "UART TXD to the printer", 15: "UART RXD from the printer"}
_UART_FLOW_PINS = {16: "UART CTS from the printer", 17: "UART RTS to the printer"}


class HardwareConfigError(ValueError):
    """The hardware configuration is wrong; ``problems`` lists each mistake by key."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Drivers:
    """Per device: "real" (the Pi's hardware) or "sim" (booth_sim); power may be "none"."""

    buttons: str = "sim"
    lights: str = "sim"
    buzzer: str = "sim"
    printer: str = "sim"
    camera: str = "sim"
    power: str = "sim"


@dataclass(frozen=True)
class PinMap:
    """BCM GPIO numbers of everything on the header (see :data:`DEFAULT_PINS`)."""

    up: int = DEFAULT_PINS["up"]
    down: int = DEFAULT_PINS["down"]
    select: int = DEFAULT_PINS["select"]
    back: int = DEFAULT_PINS["back"]
    companion: int = DEFAULT_PINS["companion"]
    led_ready: int = DEFAULT_PINS["led_ready"]
    led_busy: int = DEFAULT_PINS["led_busy"]
    led_attention: int = DEFAULT_PINS["led_attention"]
    buzzer: int = DEFAULT_PINS["buzzer"]
    ups_power_good: int = DEFAULT_PINS["ups_power_good"]
    ups_low_battery: int = DEFAULT_PINS["ups_low_battery"]

    def buttons(self) -> dict[Nav, int]:
        """The five buttons as ``{Nav: BCM number}``.

        >>> PinMap().buttons()[Nav.SELECT]
        13
        """
        return {
            Nav.UP: self.up,
            Nav.DOWN: self.down,
            Nav.SELECT: self.select,
            Nav.BACK: self.back,
            Nav.COMPANION: self.companion,
        }

    def physical(self, name: str) -> int:
        """Physical header pin of ``name``: ``PinMap().physical("select") == 33``."""
        return BCM_TO_PHYSICAL[getattr(self, name)]


@dataclass(frozen=True)
class ButtonConfig:
    bounce_ms: int = 50  # contact bounce filter; tremor is the kiosk's business


@dataclass(frozen=True)
class PrinterConfig:
    """How the 58 mm ESC/POS printer is connected and driven."""

    connection: str = "serial"  # "serial" (the Pi's UART or a USB-serial cable) or "usb"
    serial_device: str = "/dev/serial0"
    baudrate: int = 9600
    flow_control: str = "none"  # "none", "rtscts" or "xonxoff"
    usb_vendor_id: int = 0x0416
    usb_product_id: int = 0x5011
    usb_in_ep: int = 0x81
    usb_out_ep: int = 0x03
    profile: str = ""  # a python-escpos profile name; "" = generic ESC/POS
    cutter: bool = False
    feed_mm: int = 12  # paper fed after each slip, so it clears the tear bar / cutter
    fragment_height: int = 256  # raster rows per GS v 0 command (printer buffer size)
    timeout_s: float = 5.0  # longest wait for the printer to take data or answer
    require_status: bool = True  # a printer that never answers status is treated as failed
    speed_mm_s: float = 50.0  # print speed, to know when a slip has left the printer
    paper_mm: int = 58  # the roll's width: 58 (384 dots) or 80 (576 dots); reports are laid out for it


@dataclass(frozen=True)
class CameraConfig:
    width: int = 480
    height: int = 640
    rotation: int = 0  # 0, 90, 180 or 270 degrees clockwise, as the camera is mounted
    jpeg_quality: int = 85


@dataclass(frozen=True)
class UpsConfig:
    power_good_active_high: bool = True  # the line is high while mains power is present
    low_battery_active_high: bool = False  # the line goes low when the battery is low


@dataclass(frozen=True)
class HardwareConfig:
    drivers: Drivers = field(default_factory=Drivers)
    pins: PinMap = field(default_factory=PinMap)
    buttons: ButtonConfig = field(default_factory=ButtonConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    ups: UpsConfig = field(default_factory=UpsConfig)
    source: str = "<defaults>"

    @property
    def simulated(self) -> list[str]:
        """Devices driven by the simulator, e.g. ``["printer", "camera"]``."""
        return [d for d in DEVICES if getattr(self.drivers, d) == "sim"]


def load_config(path: str | Path | None) -> HardwareConfig:
    """Read ``hardware.toml`` at ``path``; ``None`` gives the defaults (all simulated).

    Raises :class:`HardwareConfigError` listing every problem (unknown key,
    unknown driver name, a pin that is not a BCM GPIO number or is used twice,
    a value of the wrong type or out of range), or ``FileNotFoundError``.
    """
    if path is None:
        return HardwareConfig()
    path = Path(path)
    text = path.read_bytes()
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise HardwareConfigError(str(path), [f"not UTF-8 text ({exc.reason})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise HardwareConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_config(data, source=str(path))


def parse_config(data: Mapping[str, Any], *, source: str = "<config>") -> HardwareConfig:
    """Build a :class:`HardwareConfig` from already-parsed TOML (see :func:`load_config`)."""
    problems: list[str] = []
    sections = {
        "drivers": Drivers,
        "pins": PinMap,
        "buttons": ButtonConfig,
        "printer": PrinterConfig,
        "camera": CameraConfig,
        "ups": UpsConfig,
    }
    for key in data:
        if key not in sections:
            problems.append(f"unknown section [{key}]; expected one of: {', '.join(sections)}")
    built: dict[str, Any] = {}
    for name, cls in sections.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            problems.append(f"{name}: must be a table [{name}], got {_describe(table)}")
            table = {}
        built[name] = _build(name, cls, table, problems)

    _check_drivers(built["drivers"], problems)
    _check_pins(built["pins"], built["drivers"], built["printer"], problems)
    _check_printer(built["printer"], problems)
    _check_camera(built["camera"], problems)
    if built["buttons"].bounce_ms < 0 or built["buttons"].bounce_ms > 1000:
        problems.append(f"buttons.bounce_ms: must be 0..1000, got {built['buttons'].bounce_ms}")
    if problems:
        raise HardwareConfigError(source, problems)
    return HardwareConfig(**built, source=source)


# --- checks -------------------------------------------------------------------


def _build(section: str, cls: type, table: Mapping[str, Any], problems: list[str]) -> Any:
    """Typed dataclass from one TOML table; wrong types and unknown keys become problems."""
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            problems.append(f"{section}.{key}: unknown key; expected one of: {', '.join(known)}")
            continue
        default = getattr(cls(), key)
        checked = _typed(f"{section}.{key}", value, default, problems, pin=(section == "pins"))
        if checked is not None:
            values[key] = checked
    return cls(**values)


def _typed(key: str, value: Any, default: Any, problems: list[str], *, pin: bool) -> Any:
    # bool is a subclass of int in Python, so it is checked first, both ways.
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        problems.append(f"{key}: must be true or false, got {_describe(value)}")
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if pin:
            problems.append(
                f"{key}: a pin must be a BCM GPIO number written as an integer "
                f"(e.g. {key.split('.')[-1]} = {default}), got {_describe(value)}"
            )
        else:
            problems.append(f"{key}: must be an integer, got {_describe(value)}")
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        problems.append(f"{key}: must be a number, got {_describe(value)}")
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
        problems.append(f"{key}: must be a string in quotes, got {_describe(value)}")
    return None


def _describe(value: Any) -> str:
    kind = {str: "a string", bool: "a boolean", float: "a decimal number", int: "an integer",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip
    return f"{value!r} ({kind})"


def _check_drivers(drivers: Drivers, problems: list[str]) -> None:
    for device in DEVICES:
        name = getattr(drivers, device)
        allowed = POWER_DRIVER_NAMES if device == "power" else DRIVER_NAMES
        if name not in allowed:
            choices = " or ".join(repr(a) for a in allowed)
            problems.append(f"drivers.{device}: unknown driver {name!r}; expected {choices}")


def _check_pins(pins: PinMap, drivers: Drivers, printer: PrinterConfig, problems: list[str]) -> None:
    # Only pins that something will actually drive are checked against each other:
    # with no UPS, its two lines may stay at their defaults and be reused.
    in_use = [f.name for f in fields(PinMap)]
    if drivers.power == "none":
        in_use = [n for n in in_use if not n.startswith("ups_")]
    reserved: dict[int, str] = {}
    if printer.connection == "serial" and printer.serial_device in _PI_UART_DEVICES:
        reserved.update(_UART_PINS)
        if printer.flow_control == "rtscts":
            reserved.update(_UART_FLOW_PINS)
    owner: dict[int, str] = {}
    for name in in_use:
        bcm = getattr(pins, name)
        if bcm in (0, 1):
            problems.append(f"pins.{name}: BCM {bcm} is reserved for the HAT ID EEPROM; choose another pin")
            continue
        if bcm not in BCM_TO_PHYSICAL:
            problems.append(
                f"pins.{name}: {bcm} is not a GPIO on the 40-pin header; "
                "use a BCM number from 2 to 27 (not the physical pin number)"
            )
            continue
        if bcm in reserved:
            problems.append(
                f"pins.{name}: BCM {bcm} is the {reserved[bcm]} ({printer.serial_device}); choose another pin"
            )
        if bcm in owner:
            problems.append(f"pins.{name}: BCM {bcm} is already used by pins.{owner[bcm]}")
        else:
            owner[bcm] = name


def _check_printer(p: PrinterConfig, problems: list[str]) -> None:
    if p.connection not in ("serial", "usb"):
        problems.append(f"printer.connection: must be 'serial' or 'usb', got {p.connection!r}")
    if p.flow_control not in ("none", "rtscts", "xonxoff"):
        problems.append(f"printer.flow_control: must be 'none', 'rtscts' or 'xonxoff', got {p.flow_control!r}")
    if p.baudrate not in (2400, 4800, 9600, 19200, 38400, 57600, 115200):
        problems.append(
            f"printer.baudrate: {p.baudrate} is not a thermal-printer speed "
            "(2400, 4800, 9600, 19200, 38400, 57600 or 115200)"
        )
    for key in ("usb_vendor_id", "usb_product_id"):
        if not 0 <= getattr(p, key) <= 0xFFFF:
            problems.append(f"printer.{key}: must be 0x0000..0xFFFF, got {getattr(p, key)}")
    for key in ("usb_in_ep", "usb_out_ep"):
        if not 0 <= getattr(p, key) <= 0xFF:
            problems.append(f"printer.{key}: must be 0x00..0xFF, got {getattr(p, key)}")
    if not 0 <= p.feed_mm <= 100:
        problems.append(f"printer.feed_mm: must be 0..100 mm, got {p.feed_mm}")
    if not 8 <= p.fragment_height <= 2047:
        problems.append(f"printer.fragment_height: must be 8..2047 rows, got {p.fragment_height}")
    if not 0.1 <= p.timeout_s <= 120:
        problems.append(f"printer.timeout_s: must be 0.1..120 seconds, got {p.timeout_s}")
    if p.paper_mm not in (58, 80):
        problems.append(f"printer.paper_mm: must be 58 or 80 (mm), got {p.paper_mm}")
    if not 5 <= p.speed_mm_s <= 500:
        problems.append(f"printer.speed_mm_s: must be 5..500 mm/s, got {p.speed_mm_s}")


def _check_camera(c: CameraConfig, problems: list[str]) -> None:
    for key in ("width", "height"):
        if not 64 <= getattr(c, key) <= 4096:
            problems.append(f"camera.{key}: must be 64..4096 pixels, got {getattr(c, key)}")
    if c.rotation not in (0, 90, 180, 270):
        problems.append(f"camera.rotation: must be 0, 90, 180 or 270, got {c.rotation}")
    if not 1 <= c.jpeg_quality <= 95:
        problems.append(f"camera.jpeg_quality: must be 1..95, got {c.jpeg_quality}")
