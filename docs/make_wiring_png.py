"""Draw docs/wiring.png: the Pi's 40-pin header and what booth connects to it.

    python3 docs/make_wiring_png.py          # writes docs/wiring.png

The pin numbers come from booth.hardware.config (DEFAULT_PINS), so the
picture shows the same defaults as the code and docs/wiring.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from booth.hardware.config import BCM_TO_PHYSICAL, DEFAULT_PINS  # noqa: E402

OUT = Path(__file__).with_name("wiring.png")

PHYSICAL_TO_BCM = {phys: bcm for bcm, phys in BCM_TO_PHYSICAL.items()}
POWER = {1: "3V3", 17: "3V3", 2: "5V", 4: "5V"}
GROUND = {6, 9, 14, 20, 25, 30, 34, 39}
SPECIAL = {3: "SDA", 5: "SCL", 8: "TXD", 10: "RXD", 27: "ID_SD", 28: "ID_SC"}

W, H = 1760, 1620
TOP, STEP = 175, 64  # y of header row 1, row pitch
CX = W // 2
PIN_X = {0: CX - 24, 1: CX + 24}  # odd pins left, even pins right
BOX_W = 480
LEFT_BOX_X = 70
RIGHT_BOX_X = W - 70 - BOX_W

YELLOW, GREEN, RED, BLUE, GREY = (250, 205, 60), (70, 170, 90), (215, 60, 50), (70, 120, 200), (120, 120, 120)
INK, PAPER = (25, 25, 30), (255, 255, 255)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    try:
        from booth.fonts import BOLD, REGULAR, font_path

        return ImageFont.truetype(str(font_path(BOLD if bold else REGULAR)), size)
    except Exception:  # no DejaVu: Pillow's own font still gives a legible picture
        return ImageFont.load_default(size)


def pin_xy(physical: int) -> tuple[int, int]:
    row = (physical - 1) // 2
    return PIN_X[(physical - 1) % 2], TOP + row * STEP


def pin_name(physical: int) -> str:
    if physical in POWER:
        return POWER[physical]
    if physical in GROUND:
        return "GND"
    bcm = PHYSICAL_TO_BCM[physical]
    return f"GPIO{bcm}" + (f" {SPECIAL[physical]}" if physical in SPECIAL else "")


def phys(name: str) -> int:
    return BCM_TO_PHYSICAL[DEFAULT_PINS[name]]


# (pins, title, detail, colour): one box per part, lines from the box to each pin.
PARTS = [
    ([phys("companion"), 9], "COMPANION button", "recessed, on the companion's side\nbetween GPIO4 and GND", GREY),
    ([phys("ups_low_battery")], "UPS HAT: LOW BATTERY", "input · battery nearly empty", BLUE),
    ([phys("led_ready")], "LED READY (green)", "330 Ω → LED → GND · steady", GREEN),
    ([phys("up")], "UP button  ▲", "raised triangle up · to GND", YELLOW),
    ([phys("down")], "DOWN button  ▼", "raised triangle down · to GND", YELLOW),
    ([phys("select")], "SELECT / PILIH  ●", "large, raised dot · to GND", GREEN),
    ([phys("back"), 39], "BACK / KEMBALI  ▬", "raised bar\ncommon GND of the voter buttons", RED),
    (
        [6, 8, 10],
        "THERMAL PRINTER 58 mm",
        "TTL serial, 9600 baud\nGND ↔ printer GND\nTXD (pin 8) → printer RX\n"
        "printer TX → 5V→3.3V divider → RXD (pin 10)",
        INK,
    ),
    ([phys("led_busy")], "LED BUSY (yellow)", "330 Ω → LED → GND · steady", YELLOW),
    ([phys("led_attention"), 20], "LED ATTENTION (red)", "330 Ω → LED → GND · blinks\ncommon GND of the LEDs", RED),
    ([phys("ups_power_good")], "UPS HAT: POWER GOOD", "input · high while mains is on", BLUE),
    (
        [phys("buzzer"), 34],
        "BUZZER (active, 5 V)",
        "GPIO → 1 kΩ → NPN base; emitter → GND\nbuzzer between 5 V and collector",
        GREY,
    ),
]


def draw() -> Image.Image:
    image = Image.new("RGB", (W, H), PAPER)
    d = ImageDraw.Draw(image)
    title, small, tiny, label = font(34, True), font(19), font(15), font(21, True)

    d.text((CX, 40), "booth — wiring on the Raspberry Pi 40-pin header", font=title, fill=INK, anchor="mt")
    d.text(
        (CX, 90),
        "BCM GPIO number (what hardware.toml uses) and physical pin number · pin 1 = square pad, SD-card end",
        font=small, fill=GREY, anchor="mt",
    )  # fmt: skip

    # The header: a dark strip, two columns of pins, names beside.
    d.rounded_rectangle((CX - 58, TOP - 32, CX + 58, TOP + 19 * STEP + 32), 10, fill=(30, 30, 35))
    used = {p for pins, *_ in PARTS for p in pins}
    for physical in range(1, 41):
        x, y = pin_xy(physical)
        if physical in GROUND:
            fill = (0, 0, 0)
        elif physical in POWER:
            fill = (220, 70, 50) if POWER[physical] == "5V" else (235, 150, 40)
        else:
            fill = (230, 190, 90) if physical in used else (150, 140, 120)
        outline = (255, 255, 255) if physical in used else (90, 90, 90)
        shape = d.rectangle if physical == 1 else d.ellipse
        shape((x - 15, y - 15, x + 15, y + 15), fill=fill, outline=outline, width=3)
        d.text((x, y), str(physical), font=tiny, fill=(255, 255, 255) if fill[0] < 100 else INK, anchor="mm")

    # Parts, with a line from each to its pins.
    for pins, name, detail, colour in PARTS:
        ys = [pin_xy(p)[1] for p in pins]
        right_side = pins[0] % 2 == 0 if len(pins) == 1 else all(p % 2 == 0 for p in pins)
        top, bottom = min(ys) - 24, max(ys) + 24
        bx = RIGHT_BOX_X if right_side else LEFT_BOX_X
        edge = bx if right_side else bx + BOX_W
        for p in pins:
            px, py = pin_xy(p)
            start = px + (16 if right_side else -16)
            knee = edge + (-40 if right_side else 40)
            line_colour = (0, 0, 0) if p in GROUND else colour
            d.line([(edge, py), (knee, py)], fill=line_colour, width=4)
            # run past the name column of the header without crossing the text
            label_x = px + (44 + 110 if right_side else -44 - 110)
            d.line([(knee, py), (label_x, py)], fill=line_colour, width=4)
            d.line([(label_x, py), (start, py)], fill=line_colour, width=1)
            d.ellipse((start - 4, py - 4, start + 4, py + 4), fill=line_colour)
        lines = detail.split("\n")
        block = 26 + 19 * len(lines)
        top = min(top, (top + bottom) // 2 - block // 2 - 6)
        bottom = max(bottom, top + block + 12)
        d.rounded_rectangle((bx, top, bx + BOX_W, bottom), 8, fill=PAPER, outline=colour, width=4)
        d.rectangle((bx + 4, top + 4, bx + 18, bottom - 4), fill=colour)
        ty = (top + bottom) // 2 - block // 2
        d.text((bx + 30, ty), name, font=label, fill=INK, anchor="lt")
        for i, line in enumerate(lines):
            d.text((bx + 30, ty + 27 + 19 * i), line, font=tiny, fill=(60, 60, 60), anchor="lt")

    # Pin names beside the header, on white so the wires pass behind them.
    for physical in range(1, 41):
        x, y = pin_xy(physical)
        name = pin_name(physical)
        colour = INK if physical in used else (170, 170, 170)
        if physical % 2:
            box = d.textbbox((x - 44, y), name, font=tiny, anchor="rm")
        else:
            box = d.textbbox((x + 44, y), name, font=tiny, anchor="lm")
        d.rectangle((box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3), fill=PAPER)
        d.text((box[0], y), name, font=tiny, fill=colour, anchor="lm")

    # What is not on the header.
    y = TOP + 20 * STEP + 30
    notes = [
        "Camera module → CSI camera connector (ribbon cable), not the header.",
        "Printer power: its own 5–9 V / 2 A supply, ground shared with the Pi.   USB printers: any USB-A port.",
        "Voter buttons: momentary, 30 mm, pulled up inside the Pi — a press connects the GPIO to GND.",
    ]
    for line in notes:
        d.text((CX, y), line, font=small, fill=INK, anchor="mt")
        y += 30
    return image


if __name__ == "__main__":
    draw().save(OUT, optimize=True)
    print(f"wrote {OUT}")
