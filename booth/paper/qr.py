"""The signed statements' QR codes on paper: sized from the dot pitch, split when long.

A witness's phone must read the zero report's and the results report's QR
codes at the end of the day, off thermal paper that has been blurred, faded,
folded and photographed at an angle.  What decides whether it does is how
many printer dots one QR module gets and how much error correction the code
carries; both were measured (``benchmarks/qr_print.py``, figures in
docs/results-statement.md §4) on the real statements of days with 2 to 8
candidates, rendered by this renderer and degraded by ``tests/qr_degrade.py``:

* :data:`MIN_MODULE_MM` — a module narrower than this fails once the print is
  worn and photographed, whatever the error correction;
* :data:`ERROR` — the level that still reads through a crease across the code;
* :data:`MAX_PARTS` — a statement that does not fit one code at that size is
  split (``booth.qr_parts``, ``B1 i/n h``) into at most this many codes,
  printed one under the other, each labelled ``QR i/n``.

:func:`plan` applies that rule to a text and a paper width; :func:`layout`
makes any other layout (the benchmark measures them all); :func:`print_plan`
puts a plan on a :class:`~booth.paper.layout.Page`.

>>> from booth.paper.layout import PAPER_58
>>> p = plan("booth results v1\\n" + "candidate 1 120\\n" * 20, PAPER_58)
>>> p.error, p.module >= module_dots(PAPER_58), len(p.parts)
('Q', True, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import segno
from PIL import Image

from booth import qr_parts
from booth.paper.layout import SMALL, SMALL_BOLD, Page, Paper, QrTooLong

#: The narrowest module that read at every documented degradation level (0.5 mm = 4 dots at
#: 8 dots/mm): 3-dot modules read 0 % of prints blurred by 1.4 dots or photographed at 0.75
#: camera pixels per dot, 4-dot modules 100 % and 75-100 %.
MIN_MODULE_MM = 0.5
#: The widest module measured (6 dots): 5 and 6 read alike; wider only lengthens the report.
MAX_MODULE_MM = 0.75
#: Error correction of the statements' codes: at 4-dot modules Q (25 % of codewords) read
#: 75-100 % of prints creased 12-16 dots wide, M 25-75 %, L 0-75 %, H no better than Q
#: for one more part.
ERROR = "Q"
#: A statement is split into at most this many codes; more would be a chore to scan.
MAX_PARTS = 3
#: The quiet zone the QR standard asks for, in modules (white paper all around the code).
BORDER = 4
#: What each part's label says, under the code ("scan every part").
PART_LABEL = ("Pindai semua bagian", "Scan every part")


@dataclass(frozen=True)
class QrPart:
    """One printed code: its payload (a whole text or a ``B1 i/n h`` part) and its QR version."""

    payload: str
    version: int
    code: segno.QRCode


@dataclass(frozen=True)
class QrPlan:
    """How a text is printed: error correction, dots per module, the codes one under another."""

    error: str
    module: int
    parts: tuple[QrPart, ...]

    @property
    def payloads(self) -> list[str]:
        return [p.payload for p in self.parts]

    def size(self, part: QrPart) -> int:
        """Dots across ``part``, quiet zone included."""
        return int(part.code.symbol_size(scale=self.module, border=BORDER)[0])


def module_dots(paper: Paper, mm: float = MIN_MODULE_MM) -> int:
    """``mm`` in whole printer dots, rounded up (a module is never narrower than measured).

    >>> from booth.paper.layout import PAPER_58
    >>> module_dots(PAPER_58), module_dots(PAPER_58, MAX_MODULE_MM)
    (4, 6)
    """
    return math.ceil(mm * paper.dots_per_mm - 1e-9)


def _encode(payload: str, error: str) -> segno.QRCode | None:
    try:
        # UTF-8 bytes, no ECI: what phone and zxing readers assume.
        return segno.make(payload.encode("utf-8"), error=error, mode="byte", boost_error=False, micro=False)
    except segno.DataOverflowError:
        return None


def _split(text: str, parts: int) -> list[str] | None:
    """``text`` as exactly ``parts`` payloads (1: the whole text), about the same size each."""
    if parts == 1:
        return [text] if not text.startswith(qr_parts.PREFIX) else None
    size = len(text.encode("utf-8"))
    low = max(qr_parts.MIN_MAX_BYTES, size // parts)
    for max_bytes in range(low, size + 64):
        payloads = qr_parts.split(text, max_bytes)
        if len(payloads) <= parts:
            return payloads if len(payloads) == parts else None
    return None


def layout(text: str, paper: Paper, *, error: str, module: int, parts: int) -> QrPlan | None:
    """``text`` as ``parts`` codes at ``error`` and ``module`` dots, or None if it does not fit."""
    payloads = _split(text, parts)
    if payloads is None:
        return None
    printed = []
    for payload in payloads:
        code = _encode(payload, error)
        if code is None or code.symbol_size(scale=module, border=BORDER)[0] > paper.width:
            return None
        printed.append(QrPart(payload, int(code.version), code))
    return QrPlan(error, module, tuple(printed))


def plan(text: str, paper: Paper) -> QrPlan:
    """The measured layout for ``text`` on ``paper``: fewest parts, then the widest modules.

    At error correction :data:`ERROR`, the fewest codes (up to :data:`MAX_PARTS`)
    whose modules can be :data:`MIN_MODULE_MM` or wider, each as wide as the
    paper allows up to :data:`MAX_MODULE_MM`.  Raises :class:`QrTooLong` if
    even :data:`MAX_PARTS` codes would need narrower modules.
    """
    smallest, largest = module_dots(paper), module_dots(paper, MAX_MODULE_MM)
    for parts in range(1, MAX_PARTS + 1):
        for module in range(largest, smallest - 1, -1):
            found = layout(text, paper, error=ERROR, module=module, parts=parts)
            if found is not None:
                return found
    raise QrTooLong(
        f"a text of {len(text.encode('utf-8'))} bytes does not fit {MAX_PARTS} QR codes at "
        f"error correction {ERROR} with modules of {smallest} dots on {paper.mm} mm paper"
    )


def qr_picture(plan_: QrPlan, part: QrPart) -> Image.Image:
    """A mode-"1" image of one code of ``plan_``, quiet zone included."""
    matrix = part.code.matrix
    n = len(matrix)
    small = Image.new("1", (n + 2 * BORDER, n + 2 * BORDER), 1)
    pixels = small.load()
    assert pixels is not None  # an image made in memory is always loaded
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + BORDER, y + BORDER] = 0
    size = plan_.size(part)
    return small.resize((size, size), Image.Resampling.NEAREST)


def print_plan(page: Page, plan_: QrPlan, region: str = "qr") -> None:
    """Print the codes one under another; several get ``QR i/n`` and "scan every part" under each.

    Regions: ``region`` for all of it, ``region-i`` for code ``i`` (its
    quiet zone and its label), so a test can photograph one part at a time.
    """
    n = len(plan_.parts)
    with page.region(region):
        for i, part in enumerate(plan_.parts, start=1):
            with page.region(f"{region}-{i}"):
                page.image(qr_picture(plan_, part))
                if n > 1:
                    page.text(f"QR {i}/{n}", SMALL_BOLD, align="center")
                    page.text(f"{PART_LABEL[0]} / {PART_LABEL[1]}", SMALL, align="center")
            if i < n:
                page.space(8)
    if n > 1:
        page.space(8)  # the last label is not read as part of the text under it


def print_statement(page: Page, text: str, region: str = "qr") -> QrPlan:
    """Plan ``text`` for the page's paper (:func:`plan`) and print it (:func:`print_plan`)."""
    chosen = plan(text, page.paper)
    print_plan(page, chosen, region)
    return chosen
