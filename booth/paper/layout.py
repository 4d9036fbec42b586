"""A small layout toolkit for thermal paper: 384 dots wide (576 on 80 mm), 1 bit, black on white.

Every printed item (slip, reports, custody slip, self-test page) is built as a
:class:`Page` — a stack of blocks laid out top to bottom — and rendered once
into a Pillow image of mode ``"1"`` that is exactly the paper's width: :data:`WIDTH`
dots on 58 mm paper (the default), 576 on 80 mm (``Page(PAPER_80)``).
The printer prints that image as raster and the simulator shows the same
image, so what witnesses see on screen is what the paper shows.

>>> page = Page()
>>> page.text("STRUK AUDIT", TITLE, align="center")
>>> page.rule()
>>> image = page.render()
>>> image.mode, image.width
('1', 384)

Why it looks the way it does (58 mm paper at 203 dpi = 8 dots per mm):

* Body text is DejaVu Sans at 22 px (capitals about 16 px, a line 30 px),
  smaller English lines 18 px; nothing is drawn thinner than 2 dots, because
  a worn thermal head drops single-dot lines.
* Text is drawn anti-aliased on a grey canvas and cut to black/white at
  :data:`INK_THRESHOLD`, slightly on the dark side, so that regular strokes
  come out 2 dots wide and letters keep their shape.  Pillow's own 1-bit text
  rendering is thinner and ragged.
* QR codes and dithered grey are pasted already black/white, so the cut
  leaves them exactly as drawn.
* A margin of :data:`MARGIN` dots on each side keeps ink away from the edge
  of the head.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from os import PathLike

import segno
from PIL import Image, ImageChops, ImageDraw, ImageFont

from booth import fonts

DOTS_PER_MM = 8  # a 203 dpi thermal head: one dot is 0.125 mm
WIDTH = 384  # dots across 58 mm paper at 203 dpi (the head prints 48 mm of it)
MARGIN = 6  # blank dots left and right
CONTENT_WIDTH = WIDTH - 2 * MARGIN
LINE = 2  # the thinnest line we draw, in dots
INK_THRESHOLD = 200  # grey canvas value below which a dot prints black (0 black .. 255 white)

MONO_BOLD_FONT = "DejaVuSansMono-Bold.ttf"  # in fonts-dejavu-core alongside booth.fonts.MONO


@dataclass(frozen=True)
class Paper:
    """A paper roll the printer takes: its width in mm and the dots the head prints across it.

    Everything booth prints is laid out for one of :data:`PAPERS`; 58 mm is
    the default (the appliance's printer), 80 mm the wider desk printers some
    committees use for the reports.
    """

    mm: int
    width: int  # dots across, what the head prints
    dots_per_mm: int = DOTS_PER_MM

    @property
    def content_width(self) -> int:
        """Dots between the margins."""
        return self.width - 2 * MARGIN


PAPER_58 = Paper(58, WIDTH)  # 48 mm printed at 8 dots/mm
PAPER_80 = Paper(80, 576)  # 72 mm printed at 8 dots/mm
PAPERS = {58: PAPER_58, 80: PAPER_80}


def paper(mm: int) -> Paper:
    """The paper of ``mm`` width (58 or 80), or ValueError saying which there are.

    >>> paper(80).width
    576
    """
    if mm not in PAPERS:
        raise ValueError(f"kertas {mm} mm tidak dikenal: 58 atau 80 (paper must be 58 or 80 mm, not {mm})")
    return PAPERS[mm]


def paper_for_dots(dots: int) -> Paper:
    """The paper a printer printing ``dots`` across takes (384: 58 mm, 576: 80 mm).

    >>> paper_for_dots(384).mm
    58
    """
    for known in PAPERS.values():
        if known.width == dots:
            return known
    raise ValueError(f"no paper is {dots} dots wide: 384 (58 mm) or 576 (80 mm)")


# --- type styles -------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """A font file from :mod:`booth.fonts` at a pixel size, plus the gap between lines."""

    font: str = fonts.REGULAR
    size: int = 22
    gap: int = 4

    def load(self) -> ImageFont.FreeTypeFont:
        return _font(self.font, self.size)

    @property
    def line_height(self) -> int:
        ascent, descent = self.load().getmetrics()
        return ascent + descent + self.gap


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.font_path(name)), size)


TITLE = Style(fonts.BOLD, 30, 2)  # "STRUK AUDIT", "LAPORAN NOL"
HEADING = Style(fonts.BOLD, 24, 3)  # section heads, candidate names
BODY = Style(fonts.REGULAR, 22)  # everything people read
BODY_BOLD = Style(fonts.BOLD, 22)
SMALL = Style(fonts.REGULAR, 18, 2)  # the short English line under Indonesian
SMALL_BOLD = Style(fonts.BOLD, 18, 2)
NUMBER = Style(fonts.BOLD, 30, 2)  # vote counts, nomor urut in tables
MONO = Style(fonts.MONO, 20, 3)  # hashes, checkpoints: one character per cell
MONO_BOLD = Style(MONO_BOLD_FONT, 20, 3)
SMALL_MONO = Style(fonts.MONO, 16, 2)  # the verification code's long hashes: small, still 2 mm
MONO_BIG = Style(MONO_BOLD_FONT, 30, 4)  # short IDs people compare by eye


# --- wrapping -----------------------------------------------------------------


def wrap(text: str, style: Style = BODY, width: int = CONTENT_WIDTH) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` dots.

    Breaks at spaces; a word longer than a whole line (a hash, a base64 root)
    is cut between characters.  ``"\\n"`` starts a new line.

    >>> wrap("KI AGENG MUHAMMAD SYAIFULLAH", HEADING, 200)
    ['KI AGENG', 'MUHAMMAD', 'SYAIFULLAH']
    """
    font = style.load()

    def fits(s: str) -> bool:
        return ink_width(font, s) <= width

    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            joined = f"{line} {word}" if line else word
            if fits(joined):
                line = joined
                continue
            if line:
                out.append(line)
            while not fits(word):
                cut = max([1] + [k for k in range(2, len(word)) if fits(word[:k])])
                out.append(word[:cut])
                word = word[cut:]
            line = word
        out.append(line)
    return out


def hex_groups(hex_text: str, group: int = 4, per_line: int = 4) -> str:
    """A long hex string as lines of space-separated groups, for reading aloud.

    >>> print(hex_groups("00112233445566778899aabbccddeeff"))
    0011 2233 4455 6677
    8899 aabb ccdd eeff
    """
    groups = [hex_text[i : i + group] for i in range(0, len(hex_text), group)]
    return "\n".join(" ".join(groups[i : i + per_line]) for i in range(0, len(groups), per_line))


def short_hex(hex_text: str, groups: int = 4) -> str:
    """The first ``4 * groups`` hex digits, upper case, in groups of four.

    The same shape as ``booth.ledger.keys.short_fingerprint``.

    >>> short_hex("9f2c41d07be3a5586c0e1f2a3b4c5d6e")
    '9F2C-41D0-7BE3-A558'
    """
    head = hex_text[: 4 * groups].upper()
    return "-".join(head[i : i + 4] for i in range(0, len(head), 4))


# --- Indonesian dates and times ----------------------------------------------

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
_ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}


def tanggal(day: date) -> str:
    """A date as written on an Indonesian berita acara.

    >>> tanggal(date(2025, 11, 16))
    'Minggu, 16 November 2025'
    """
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def jam(moment: datetime) -> str:
    """Time of day with its zone as people write it: ``"07:00 WIB"``.

    A naive datetime prints without a zone; an offset that is not WIB/WITA/WIT
    prints as ``UTC+hh:mm``.
    """
    text = moment.strftime("%H:%M")
    offset = moment.utcoffset()
    if offset is None:
        return text
    minutes = int(offset.total_seconds() // 60)
    if minutes % 60 == 0 and minutes // 60 in _ZONES:
        return f"{text} {_ZONES[minutes // 60]}"
    sign = "+" if minutes >= 0 else "-"
    return f"{text} UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def waktu(moment: datetime) -> str:
    """Date and time in short numeric form: ``"16-11-2025 07:00 WIB"``."""
    return f"{moment.strftime('%d-%m-%Y')} {jam(moment)}"


def persen(part: int, whole: int) -> str:
    """A percentage with an Indonesian decimal comma, one decimal.

    >>> persen(1, 3), persen(0, 0)
    ('33,3%', '0,0%')
    """
    value = 100.0 * part / whole if whole else 0.0
    return f"{value:.1f}%".replace(".", ",")


# --- QR codes -----------------------------------------------------------------


class QrTooLong(ValueError):
    """The payload does not fit across the paper with modules at least ``min_module`` dots."""


@dataclass(frozen=True)
class QrFit:
    """How a payload was encoded: QR version, error correction level, dots per module."""

    version: int
    error: str  # "H", "Q", "M" or "L"
    module: int  # dots per module
    border: int  # quiet zone, in modules
    size: int  # dots across, quiet zone included


def fit_qr(
    payload: str | bytes, *, max_width: int = WIDTH, min_module: int = 3, max_module: int = 6, border: int = 4
) -> tuple[segno.QRCode, QrFit]:
    """Encode ``payload`` with the strongest error correction that still fits.

    Tries H, Q, M, L in that order and takes the first whose symbol, with a
    quiet zone of ``border`` modules, fits ``max_width`` dots at a whole
    number of dots per module no smaller than ``min_module``.  Text is encoded
    as UTF-8 bytes (no ECI), which is what phone and zxing readers assume.

    At 384 dots, 3-dot modules and a 4-module quiet zone the largest symbol
    is version 25 (117 modules): up to 535 bytes at H, 715 at Q, 997 at M and
    1273 at L.

    >>> _, fit = fit_qr("BOOTH1:B:7F3A91C20B4E:" + "AB" * 16)
    >>> fit.error, fit.module
    ('H', 6)
    """
    data: str | bytes = payload.encode("utf-8") if isinstance(payload, str) else payload
    # Upper-case base32/hex payloads are pure QR alphanumerics: a third smaller.
    if isinstance(payload, str) and _is_alphanumeric(payload):
        data = payload
    for error in "HQML":
        try:
            code = segno.make(data, error=error, boost_error=False, micro=False)
        except segno.DataOverflowError:
            continue
        modules = int(code.symbol_size(scale=1, border=border)[0])
        module = min(max_module, max_width // modules)
        if module >= min_module:
            return code, QrFit(int(code.version), error, module, border, modules * module)
    raise QrTooLong(
        f"QR payload of {len(data)} bytes does not fit {max_width} dots with modules of {min_module} dots or more"
    )


_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def _is_alphanumeric(text: str) -> bool:
    return bool(text) and all(c in _ALPHANUMERIC for c in text)


def qr_image(payload: str | bytes, **fit_options: int) -> tuple[Image.Image, QrFit]:
    """A mode-"1" image of the QR code for ``payload``, quiet zone included (see :func:`fit_qr`)."""
    code, fit = fit_qr(payload, **fit_options)
    matrix = code.matrix
    n = len(matrix)
    small = Image.new("1", (n + 2 * fit.border, n + 2 * fit.border), 1)
    pixels = small.load()
    assert pixels is not None  # an image made in memory is always loaded
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + fit.border, y + fit.border] = 0
    return small.resize((fit.size, fit.size), Image.Resampling.NEAREST), fit


# --- grey ---------------------------------------------------------------------

_BAYER4 = ((0, 8, 2, 10), (12, 4, 14, 6), (3, 11, 1, 9), (15, 7, 13, 5))


def dithered(width: int, height: int, darkness: float, cell: int = 1) -> Image.Image:
    """A mode-"1" patch of even grey by ordered (Bayer 4x4) dithering.

    ``darkness`` 0.0 is white, 1.0 black.  ``cell`` > 1 draws each dither dot
    as a ``cell`` x ``cell`` square, which a thermal head reproduces better.
    """
    image = Image.new("1", (width, height), 1)
    pixels = image.load()
    assert pixels is not None  # an image made in memory is always loaded
    level = darkness * 16
    for y in range(height):
        for x in range(width):
            if _BAYER4[(y // cell) % 4][(x // cell) % 4] < level:
                pixels[x, y] = 0
    return image


# --- the page -----------------------------------------------------------------

Cell = str | tuple[str, str]  # text, or (indonesian, english)


@dataclass(frozen=True)
class Column:
    """A table column: width in dots (``None`` = what is left), alignment, type style."""

    width: int | None = None
    align: str = "left"  # "left", "center" or "right"
    style: Style = BODY


class Page:
    """A printed item being laid out, top to bottom.

    Each method appends one block the full width of the paper.  ``region``
    remembers where a group of blocks landed (``image.info["regions"]`` after
    :meth:`render`), so tests and the simulator can point at, say, the ballot
    ID on a slip.

    >>> page = Page()
    >>> page.bilingual("Masukkan struk ke Kotak Audit", "Put this slip in the audit box")
    >>> page.render().height > 40
    True
    """

    def __init__(self, paper: Paper = PAPER_58) -> None:
        self.paper = paper
        self.width = paper.width
        self.content_width = paper.content_width
        self._blocks: list[Image.Image] = []
        self.height = 0
        self.regions: dict[str, tuple[int, int]] = {}

    # plumbing
    def _canvas(self, height: int) -> Image.Image:
        return Image.new("L", (self.width, max(0, height)), 255)

    def add(self, block: Image.Image, *, exact: bool = False) -> None:
        """Append a full-width block.

        A drawn block (grey, anti-aliased) is inked: cut to black/white and
        every 1-dot stroke widened to 2 (:func:`ink`).  ``exact=True`` keeps a
        block as it is (QR codes, dithering, the test-pattern ladder).
        """
        if block.width != self.width:
            raise ValueError(f"a block must be {self.width} dots wide, not {block.width}")
        if exact:
            block = block if block.mode == "1" else block.point(lambda v: 255 if v >= 128 else 0, mode="1")
        else:
            block = ink(block)
        self._blocks.append(block)
        self.height += block.height

    @contextlib.contextmanager
    def region(self, name: str) -> Iterator[None]:
        """Record the rows the blocks added inside the ``with`` occupy, as ``regions[name]``."""
        top = self.height
        yield
        self.regions[name] = (top, self.height)

    # blocks
    def space(self, dots: int = 8) -> None:
        """Blank paper, ``dots`` high."""
        self.add(self._canvas(dots))

    def text(
        self, text: str, style: Style = BODY, *, align: str = "left", indent: int = 0, invert: bool = False
    ) -> None:
        """Text wrapped to the paper width; ``invert`` prints white on a black band."""
        pad = 6 if invert else 0
        width = self.content_width - indent - 2 * pad
        lines = wrap(text, style, width)
        block = self._canvas(len(lines) * style.line_height + 2 * pad)
        draw = ImageDraw.Draw(block)
        if invert:
            draw.rectangle((MARGIN, 0, self.width - MARGIN - 1, block.height - 1), fill=0)
        _draw_lines(draw, lines, style, MARGIN + indent + pad, pad, width, align, fill=255 if invert else 0)
        self.add(block)

    def bilingual(
        self,
        indonesian: str,
        english: str,
        *,
        style: Style = BODY,
        small: Style = SMALL,
        align: str = "left",
        indent: int = 0,
    ) -> None:
        """Indonesian first in ``style``, then the short English in smaller type."""
        self.text(indonesian, style, align=align, indent=indent)
        if english:
            self.text(english, small, align=align, indent=indent)

    def rule(self, thickness: int = LINE, *, dashed: bool = False, pad: int = 6) -> None:
        """A horizontal line across the content width, with ``pad`` blank dots above and below."""
        block = self._canvas(thickness + 2 * pad)
        draw = ImageDraw.Draw(block)
        if dashed:
            for x in range(MARGIN, self.width - MARGIN, 12):
                end = min(x + 6, self.width - MARGIN) - 1
                draw.rectangle((x, pad, end, pad + thickness - 1), fill=0)
        else:
            draw.rectangle((MARGIN, pad, self.width - MARGIN - 1, pad + thickness - 1), fill=0)
        self.add(block)

    def row(
        self, left: Cell, right: str, *, style: Style = BODY, right_style: Style | None = None, indent: int = 0
    ) -> None:
        """A label on the left (wrapped) and a value flush right on its first line.

        ``left`` may be ``(indonesian, english)``.  A value so wide that a word
        of the label no longer fits beside it goes on its own line, flush right.
        """
        right_style = right_style or style
        right_width = ink_width(right_style.load(), right) if right else 0
        room = self.content_width - indent - right_width - 12
        main, english = (left, "") if isinstance(left, str) else left
        words = [(w, style) for w in main.split()] + [(w, SMALL) for w in english.split()]
        if right and any(ink_width(s.load(), w) > room for w, s in words):
            self.bilingual(main, english, style=style, indent=indent)
            self.text(right, right_style, align="right")
            return
        self.table_row(
            [Column(None, "left", style), Column(right_width + 4, "right", right_style)], [left, right], indent=indent
        )

    def table_row(
        self, columns: Sequence[Column], cells: Sequence[Cell], *, indent: int = 0, invert: bool = False, pad: int = 2
    ) -> None:
        """One table row: each cell wrapped inside its column, the row as tall as its tallest cell.

        A cell is a string, or ``(indonesian, english)``: the English then
        follows on its own line(s) in :data:`SMALL`.
        """
        inset = 6 if invert else 0  # keep text off the edge of a black band
        widths = _column_widths(columns, self.content_width - 2 * inset)
        gutter = 8
        laid = []  # per cell: [(lines, style), ...], inner width
        for index, (column, width, cell) in enumerate(zip(columns, widths, cells, strict=False)):
            inner = width - (gutter if index < len(columns) - 1 else 0)
            inner -= indent if index == 0 else 0
            main, english = (cell, "") if isinstance(cell, str) else cell
            parts = [(wrap(main, column.style, inner), column.style)] if main else []
            if english:
                parts.append((wrap(english, SMALL, inner), SMALL))
            laid.append((parts, inner))
        height = (
            max((sum(len(lines) * style.line_height for lines, style in parts) for parts, _ in laid), default=0)
            + 2 * pad
        )
        block = self._canvas(height)
        draw = ImageDraw.Draw(block)
        if invert:
            draw.rectangle((MARGIN, 0, self.width - MARGIN - 1, height - 1), fill=0)
        x = MARGIN + inset
        for index, (column, width, (parts, inner)) in enumerate(zip(columns, widths, laid, strict=False)):
            left = x + (indent if index == 0 else 0)
            y = pad
            for lines, style in parts:
                _draw_lines(draw, lines, style, left, y, inner, column.align, fill=255 if invert else 0)
                y += len(lines) * style.line_height
            x += width
        self.add(block)

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Cell]],
        *,
        header: Sequence[Cell] | None = None,
        header_style: Style = SMALL_BOLD,
        lines: bool = True,
    ) -> None:
        """A table: optional header (small bold, ruled under), then one wrapped row per item."""
        if header is not None:
            self.table_row([Column(c.width, c.align, header_style) for c in columns], header)
            self.rule(pad=2)
        for index, cells in enumerate(rows):
            if lines and index:
                self.rule(dashed=True, pad=2)
            self.table_row(columns, cells)

    def bar(self, fraction: float, *, label: str = "", height: int = 20, label_style: Style = BODY_BOLD) -> None:
        """An outlined bar filled in proportion to ``fraction`` (0..1), its label on the right."""
        fraction = min(1.0, max(0.0, fraction))
        label_width = 96 if label else 0
        block = self._canvas(max(height, label_style.line_height if label else 0) + 4)
        draw = ImageDraw.Draw(block)
        top = (block.height - height) // 2
        right = self.width - MARGIN - label_width - 1
        draw.rectangle((MARGIN, top, right, top + height - 1), outline=0, width=LINE)
        filled = round((right - MARGIN + 1) * fraction)
        if filled:
            draw.rectangle((MARGIN, top, MARGIN + filled - 1, top + height - 1), fill=0)
        if label:
            _draw_lines(
                draw,
                [label],
                label_style,
                self.width - MARGIN - label_width,
                (block.height - label_style.line_height) // 2 + 1,
                label_width,
                "right",
            )
        self.add(block)

    def image(self, image: Image.Image, *, align: str = "center", pad: int = 0) -> None:
        """Paste an image (at most the content width wide) as its own block."""
        if image.width > self.width:
            raise ValueError(f"image is {image.width} dots wide; paper has {self.width}")
        block = self._canvas(image.height + 2 * pad)
        x = {"left": MARGIN, "right": self.width - MARGIN - image.width}.get(align, (self.width - image.width) // 2)
        block.paste(image.convert("L"), (max(0, x), pad))
        self.add(block.point(lambda v: 255 if v >= 128 else 0, mode="1"), exact=True)

    def qr(self, payload: str | bytes, *, min_module: int = 3, max_module: int = 6) -> QrFit:
        """A QR code for ``payload``, centred, as large as allowed (see :func:`fit_qr`)."""
        image, fit = qr_image(payload, max_width=self.width, min_module=min_module, max_module=max_module)
        self.image(image)
        return fit

    def big(
        self,
        text: str,
        *,
        min_height: int = 120,
        max_width: int | None = None,
        font: str = fonts.BOLD,
        frame: int = 0,
        pad: int = 10,
    ) -> int:
        """Very large text (a nomor urut), its ink at least ``min_height`` dots tall.

        The text is cropped to its ink so no ascender space is wasted, and
        centred; ``frame`` > 0 draws a box of that thickness around it.
        Returns the height of the ink in dots.
        """
        max_width = self.content_width if max_width is None else max_width
        box, height = big_text(text, min_height=min_height, max_width=max_width, font=font, frame=frame, pad=pad)
        block = self._canvas(box.height)
        block.paste(box, ((self.width - box.width) // 2, 0))
        self.add(block)
        return height

    def beside(
        self, picture: Image.Image, lines: Sequence[tuple[str, Style]], *, gap: int = 12, align: str = "left"
    ) -> None:
        """A picture (QR code, boxed number) at the left margin, text lines to its right.

        Used where paper length matters (the slip): what would be two stacked
        blocks shares one.  The text wraps in the room left beside the picture
        and both are centred on each other vertically.
        """
        room = self.content_width - picture.width - gap
        if room < 48:
            raise ValueError(f"a picture {picture.width} dots wide leaves no room for text")
        laid = [(wrap(text, style, room), style) for text, style in lines]
        text_height = sum(len(wrapped) * style.line_height for wrapped, style in laid)
        block = self._canvas(max(picture.height, text_height))
        block.paste(picture.convert("L"), (MARGIN, (block.height - picture.height) // 2))
        draw = ImageDraw.Draw(block)
        y = (block.height - text_height) // 2
        for wrapped, style in laid:
            _draw_lines(draw, wrapped, style, MARGIN + picture.width + gap, y, room, align)
            y += len(wrapped) * style.line_height
        self.add(block)

    def signatures(self, boxes: Sequence[tuple[str, str]], *, columns: int = 2, space: int = 72) -> None:
        """Signature boxes, ``columns`` to a row: a label, room to sign, a line, the printed name.

        ``boxes`` are ``(label, name)``; an empty name leaves a dotted line to write it in.
        """
        gap = 12
        width = (self.content_width - gap * (columns - 1)) // columns
        for start in range(0, len(boxes), columns):
            chunk = boxes[start : start + columns]
            laid = [
                (wrap(label, SMALL_BOLD, width), wrap(name or "(" + "." * 24 + ")", SMALL, width))
                for label, name in chunk
            ]
            label_h = max(len(a) for a, _ in laid) * SMALL_BOLD.line_height
            name_h = max(len(b) for _, b in laid) * SMALL.line_height
            block = self._canvas(label_h + space + LINE + 4 + name_h + 20)
            draw = ImageDraw.Draw(block)
            for index, (label_lines, name_lines) in enumerate(laid):
                x = MARGIN + index * (width + gap)
                _draw_lines(draw, label_lines, SMALL_BOLD, x, 0, width, "center")
                line_y = label_h + space
                draw.rectangle((x, line_y, x + width - 1, line_y + LINE - 1), fill=0)
                _draw_lines(draw, name_lines, SMALL, x, line_y + LINE + 4, width, "center")
            self.add(block)

    # output
    def render(self) -> Image.Image:
        """The finished item: mode "1", the paper's width in dots, ``info["regions"]`` filled in."""
        image = Image.new("1", (self.width, max(1, self.height)), 1)
        y = 0
        for block in self._blocks:
            image.paste(block, (0, y))
            y += block.height
        image.info["regions"] = dict(self.regions)
        return image


def big_text(
    text: str,
    *,
    min_height: int = 120,
    max_width: int = CONTENT_WIDTH,
    font: str = fonts.BOLD,
    frame: int = 0,
    pad: int = 10,
) -> tuple[Image.Image, int]:
    """Very large text cropped to its ink (grey, for :meth:`Page.add`), and the ink's height.

    The font grows until the ink is ``min_height`` dots tall; text too wide
    for ``max_width`` (many digits) shrinks instead, accepting a shorter number.
    ``frame`` > 0 draws a box of that thickness around it, ``pad`` dots inside.
    """
    size = min_height
    while True:  # grow until the ink is tall enough (digits are ~0.73 em)
        bbox = _font(font, size).getbbox(text, anchor="ls")
        if bbox[3] - bbox[1] >= min_height:
            break
        size += 4
    while bbox[2] - bbox[0] > max_width - 2 * (frame + pad) and size > 20:
        size -= 4
        bbox = _font(font, size).getbbox(text, anchor="ls")
    width, height = int(bbox[2] - bbox[0]), int(bbox[3] - bbox[1])
    box = Image.new("L", (width + 2 * (frame + pad), height + 2 * (frame + pad)), 255)
    draw = ImageDraw.Draw(box)
    if frame:
        draw.rectangle((0, 0, box.width - 1, box.height - 1), outline=0, width=frame)
    draw.text((frame + pad - bbox[0], frame + pad - bbox[1]), text, fill=0, font=_font(font, size), anchor="ls")
    return box, height


def ink(grey: Image.Image) -> Image.Image:
    """Cut a grey drawing to black/white and widen every 1-dot stroke to 2 dots.

    A dot is black where the grey is darker than :data:`INK_THRESHOLD`.  A
    dot that is a black run one dot wide (across or down) grows into a 2x2
    square, so no stroke is thinner than :data:`LINE` — a worn thermal head
    drops lone dots.
    """
    black = grey.convert("L").point(lambda v: 255 if v < INK_THRESHOLD else 0, mode="1")
    lone = Image.new("1", black.size, 0)
    for dx, dy in ((1, 0), (0, 1)):
        gap_before = ImageChops.invert(_shift(black, dx, dy))  # no ink left of / above
        gap_after = ImageChops.invert(_shift(black, -dx, -dy))  # no ink right of / below
        lone = ImageChops.logical_or(lone, ImageChops.logical_and(black, ImageChops.logical_and(gap_before, gap_after)))
    # Each lone dot becomes a 2x2 square: every dot of a square has ink beside
    # and below/above it, and adding ink never shortens a run, so one pass does.
    for dx, dy in ((1, 0), (0, 1), (1, 1)):
        black = ImageChops.logical_or(black, _shift(lone, dx, dy))
    return ImageChops.invert(black)


def _shift(image: Image.Image, dx: int, dy: int) -> Image.Image:
    """``image`` moved by (dx, dy), blank where it moved away from."""
    out = Image.new("1", image.size, 0)
    out.paste(image, (dx, dy))
    return out


def _column_widths(columns: Sequence[Column], total: int) -> list[int]:
    fixed = sum(c.width for c in columns if c.width is not None)
    flexible = [c for c in columns if c.width is None]
    share = (total - fixed) // len(flexible) if flexible else 0
    if flexible and share < 24:
        raise ValueError("table columns are wider than the paper")
    return [c.width if c.width is not None else share for c in columns]


def _draw_lines(
    draw: ImageDraw.ImageDraw, lines: Sequence[str], style: Style, x: int, y: int, width: int, align: str, fill: int = 0
) -> None:
    font = style.load()
    ascent = font.getmetrics()[0]
    for index, line in enumerate(lines):
        overhang, length = _extent(font, line)
        if align == "center":
            left = x + (width - length) / 2
        elif align == "right":
            left = x + width - length
        else:
            left = x
        draw.text(
            (round(left + overhang), y + index * style.line_height + ascent), line, fill=fill, font=font, anchor="ls"
        )


def _extent(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int]:
    """(dots the ink starts left of the pen, dots from the leftmost to the rightmost ink or pen).

    Some glyphs ("J", "j", "A") reach left of the pen or right of their
    advance; counting their ink, plus the one dot :func:`ink` may add on the
    right, keeps them off the paper's edge.
    """
    if not text:
        return 0, 0
    left, _, right, _ = font.getbbox(text, anchor="ls")
    start = int(min(0, left))
    end = int(max(int(font.getlength(text) + 0.999), right)) + 1
    return -start, end - start


def ink_width(font: ImageFont.FreeTypeFont, text: str) -> int:
    """How many dots ``text`` needs across, ink overhangs included."""
    return _extent(font, text)[1]


def to_png(image: Image.Image, path: str | PathLike[str]) -> None:
    """Save a printed item as a PNG at the printer's 203 dpi (so 1:1 prints keep their size)."""
    image.save(path, format="PNG", dpi=(203, 203))
