"""The simulated auditor's eyes: what a pulled slip says, read off its printed image.

* The **ballot ID** (and whether the paper is a slip or a VOID print) comes
  from the slip's QR code, decoded with zxing-cpp from the PNG the printer
  printed, as a phone or the booth's camera would read it.
* The **choice** is the boxed nomor urut.  With Tesseract installed
  (``tesseract`` on the PATH) the auditor reads the digit by OCR (the box cut
  out, the digit alone, digits only) and checks it against the printer's own
  digit shapes; without Tesseract it reads by those shapes alone: the boxed
  digit is compared, dot by dot at a common size, with the digit as
  :func:`booth.paper.layout.big_text` draws each nomor urut, and the closest
  one is the reading.  Say which with :data:`READS_BY`.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import zxingcpp
from PIL import Image, ImageChops, ImageOps

from booth.paper.layout import MARGIN, big_text, ink
from booth.paper.slip import NUMBER_BOX_MAX, SlipData, render_slip, void_slip

TESSERACT = shutil.which("tesseract")
READS_BY = "OCR (tesseract) checked against the printer's digit shapes" if TESSERACT else "the printer's digit shapes"
SHORT_ID = "7F3A-91C2-0B4E"
_COMMON = (40, 56)


def decode(image: Image.Image) -> tuple[str, str]:
    """(kind, ballot ID hex) from the QR code: ``("slip", id)`` or ``("void", id)``."""
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    assert len(texts) == 1, f"one QR code expected, found {len(texts)}"
    kind, _, rest = texts[0].partition(":")[2].partition(":")
    ballot_id = rest.partition(":")[2].lower()
    return ("slip" if kind == "B" else "void"), ballot_id


def _row_darkness(image: Image.Image) -> list[int]:
    """Per row, the mean ink between the margins (0 blank .. 255 all black)."""
    grey = ImageOps.invert(image.convert("L")).crop((MARGIN, 0, image.width - MARGIN, image.height))
    return list(grey.resize((1, grey.height), Image.BOX).tobytes())


def _thin_rules(image: Image.Image) -> list[tuple[int, int]]:
    """Rows of the printed rules (full-width lines at most 6 dots thick), top to bottom."""
    dark = [v > 0.8 * 255 for v in _row_darkness(image)]
    runs, y = [], 0
    while y < len(dark):
        if dark[y]:
            start = y
            while y < len(dark) and dark[y]:
                y += 1
            if y - start <= 6:
                runs.append((start, y))
        else:
            y += 1
    return runs


def choice_area(image: Image.Image) -> Image.Image:
    """The slip's choice: the rows between its last two printed rules."""
    rules = _thin_rules(image)
    return image.convert("L").crop((0, rules[-2][1], image.width, rules[-1][0]))


def is_blank_vote(image: Image.Image) -> bool:
    """A blank vote's slip shows "SUARA KOSONG" white on a black band where a number's frame would be."""
    return sum(1 for v in _row_darkness(choice_area(image)) if v > 0.9 * 255) >= 10


def number_box(image: Image.Image) -> Image.Image:
    """The framed nomor urut: between the last two rules, cut at the first blank column right of the frame."""
    area = choice_area(image)
    x = MARGIN + 8
    while x < area.width and area.crop((x, 0, x + 1, area.height)).getextrema() != (255, 255):
        x += 1
    box = area.crop((0, 0, x, area.height))
    return box.crop(ImageOps.invert(box).getbbox())


def _shape(image: Image.Image) -> Image.Image:
    inside = image.crop((8, 8, image.width - 8, image.height - 8))
    return inside.convert("L").resize(_COMMON).point(lambda v: 255 if v >= 128 else 0)


@cache
def _template(number: int) -> Image.Image:
    box, _ = big_text(str(number), min_height=120, max_width=NUMBER_BOX_MAX, frame=4, pad=4)
    drawn = ink(box).convert("L")
    return _shape(drawn.crop(ImageOps.invert(drawn).getbbox()))


def by_shape(image: Image.Image, candidates: Sequence[int]) -> str:
    """The nomor urut whose printed shape differs from the slip's in the fewest dots."""
    seen = _shape(number_box(image))

    def distance(n: int) -> int:
        diff = ImageChops.difference(seen, _template(n))
        return int(diff.convert("L").resize((1, 1), Image.BOX).tobytes()[0])

    return str(min(candidates, key=distance))


def by_ocr(image: Image.Image) -> str:
    box = number_box(image)
    digit = box.crop((10, 10, box.width - 10, box.height - 10))
    digit = digit.resize((max(1, digit.width * 40 // digit.height), 40), Image.LANCZOS)
    buffer = io.BytesIO()
    ImageOps.expand(digit, 16, fill=255).save(buffer, format="PNG")
    args = [str(TESSERACT), "stdin", "stdout", "--psm", "8", "-c", "tessedit_char_whitelist=0123456789"]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    done = subprocess.run(args, input=buffer.getvalue(), capture_output=True, env=env, timeout=60, check=True)
    return done.stdout.decode().strip()


def read_choice(image: Image.Image, candidates: Sequence[int], *, ocr: bool = True) -> str:
    """The nomor urut read off a slip: by OCR when Tesseract is there (and ``ocr``), else by shape."""
    if is_blank_vote(image):
        return "blank"
    shape = by_shape(image, candidates)
    if ocr and TESSERACT:
        read = by_ocr(image)
        assert read == shape, f"OCR read {read!r}, the digit shapes say {shape}"
        return read
    return shape


def read_item(image: Image.Image, candidates: Sequence[int], *, ocr: bool = True) -> tuple[str, str, str | None]:
    """What the auditor records for one pulled item: (kind, ballot ID, choice or None for a VOID print)."""
    kind, ballot_id = decode(image)
    return kind, ballot_id, (read_choice(image, candidates, ocr=ocr) if kind == "slip" else None)


NAMES = {1: "SUPRIYADI", 2: "SITI AMINAH", 3: "BAMBANG HERMAWAN"}


def print_item(kind: str, ballot_id: str, choice: str | None) -> Image.Image:
    """The printer's image of one box item of a synthetic day (a slip, or the VOID print on top)."""
    if kind == "void":
        return void_slip(election_short_id=SHORT_ID, ballot_id=ballot_id, pekon="Sukamaju", tps=1)
    number = None if choice == "blank" else int(choice or 0)
    return render_slip(
        SlipData(
            election_title="Pemilihan Kepala Pekon Sukamaju",
            pekon="Sukamaju",
            tps=1,
            election_short_id=SHORT_ID,
            ballot_id=ballot_id,
            candidate_number=number,
            candidate_name=NAMES.get(number or 0, ""),
        )
    )


def demo_box(prints: Path) -> list[Path]:
    """The demo's audit box from its ``prints/``: one item per ballot, the way the companions stapled them.

    A reprinted slip is stapled over its torn piece (the reprint counts); a
    disputed slip is stapled under its VOID print (the VOID is on top).
    """
    by_id: dict[str, Path] = {}
    for path in sorted(prints.glob("*-slip*.png")):
        if path.stem.endswith("-torn"):
            continue
        kind, ballot_id = decode(Image.open(path))
        if by_id.get(ballot_id) is not None and kind == "slip" and "void" in by_id[ballot_id].stem:
            continue  # the disputed slip, under its VOID print
        by_id[ballot_id] = path
    return list(by_id.values())
