"""Read ESC/POS bytes back into what a thermal printer would put on paper.

The simulated printer runs booth's real driver and captures its bytes; this
module turns them back into images, feeds and cuts, so what the simulator
shows is exactly what was sent.

>>> from escpos.printer import Dummy
>>> from PIL import Image
>>> sent = Dummy(profile="POS-5890")  # a 384-dot profile: no width warning
>>> sent.image(Image.new("1", (16, 3), 0), impl="bitImageRaster")
>>> decode_image(sent.output).size
(16, 3)

Commands understood (ESC = 1B, GS = 1D, DLE = 10; lengths in bytes):

=====================  =========================================================
``GS v 0 m xL xH yL yH d…``  raster bit image: x bytes per row, y rows, MSB is the
                       leftmost dot, bit 1 = printed (black).  m bit 0 doubles the
                       width, bit 1 the height (m may also be ASCII '0'..'3').
``GS ( L pL pH 0 p …``  store a raster graphic: tone, bx, by (1 or 2 = dot size),
                       colour, xL xH yL yH, then ceil(x/8) bytes per row;
``GS ( L pL pH 0 2``   prints it.  ``GS 8 L`` is the same with a 4-byte length.
``ESC * m nL nH d…``   one band of column graphics, n columns, each 1 byte (m = 0, 1:
                       8 dots) or 3 bytes (m = 32, 33: 24 dots), MSB on top;
                       m = 0, 32 print each column two dots wide, m = 0, 1 each dot
                       three rows tall.  The LF python-escpos sends after each band
                       only ends the band (the band is its own advance).
``ESC J n``            feed n dots.  ``ESC d n``: feed n lines.  ``LF``: feed one line.
``ESC 3 n`` / ``ESC 2``  line spacing n dots / the default (30 dots).
``GS V m [n]``         cut: m = 0, 48 full, 1, 49 partial; m = 65, 66 feed to the
                       cutter plus n dots, then cut (full, partial).
``ESC i`` / ``ESC m``  partial cut (older printers).
``DLE EOT n``          real-time status request (the answer goes the other way).
``ESC @``              initialise.
=====================  =========================================================

Other common setting commands (character size, alignment, code page, …) are
recognised and skipped; printable bytes come out as :class:`Text` (booth
prints no text, only images).  Anything else raises :class:`DecodeError`:
bytes the simulator does not understand are a bug to see, not to hide.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
LF, CR, HT, NUL = 0x0A, 0x0D, 0x09, 0x00
DEFAULT_LINE_SPACING = 30  # dots; what most 58 mm printers use after ESC @ / ESC 2


class DecodeError(ValueError):
    """Bytes that are not ESC/POS this decoder knows."""


@dataclass(frozen=True)
class Raster:
    """Rows of dots: a 1-bit image, black (0) = printed dot."""

    image: Image.Image


@dataclass(frozen=True)
class Feed:
    dots: int


@dataclass(frozen=True)
class Cut:
    partial: bool
    feed_dots: int = 0  # GS V 65/66 n: extra feed past the cutting position


@dataclass(frozen=True)
class StatusRequest:
    n: int  # DLE EOT n


@dataclass(frozen=True)
class Init:
    pass


@dataclass(frozen=True)
class Text:
    data: bytes


@dataclass(frozen=True)
class Setting:
    command: bytes  # a recognised command that puts nothing on paper


Command = Raster | Feed | Cut | StatusRequest | Init | Text | Setting

# Commands with a fixed number of parameter bytes after the two command bytes.
_ESC_FIXED = {
    ord("!"): 1, ord("-"): 1, ord("E"): 1, ord("G"): 1, ord("M"): 1, ord("a"): 1,
    ord("t"): 1, ord("R"): 1, ord("{"): 1, ord("V"): 1, ord(" "): 1, ord("r"): 1,
    ord("U"): 1, ord("S"): 0, ord("L"): 0, ord("<"): 0, ord("$"): 2, ord("\\"): 2,
    ord("c"): 2, ord("p"): 3, ord("="): 1, ord("%"): 1, ord("T"): 1, ord("e"): 1,
}  # fmt: skip
_GS_FIXED = {
    ord("!"): 1, ord("B"): 1, ord("H"): 1, ord("f"): 1, ord("h"): 1, ord("w"): 1,
    ord("x"): 1, ord("L"): 2, ord("W"): 2, ord("a"): 1, ord("r"): 1, ord("I"): 1,
    ord("P"): 2, ord("$"): 2, ord("\\"): 2, ord("b"): 1, ord("E"): 1,
}  # fmt: skip


class Decoder:
    """An ESC/POS reader fed in pieces, as a printer's input buffer is.

    >>> d = Decoder()
    >>> d.feed(b"\\x1bJ")            # half a command: nothing yet
    []
    >>> d.feed(b"\\x10")
    [Feed(dots=16)]
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.line_spacing = DEFAULT_LINE_SPACING
        self._stored: Image.Image | None = None  # GS ( L graphic waiting for "print"
        self._band_line = False  # the last command was an ESC * band

    def feed(self, data: bytes) -> list[Command]:
        """Add bytes; return the commands they complete, in order."""
        self._buffer += data
        out: list[Command] = []
        while self._buffer:
            parsed = self._one(self._buffer)
            if parsed is None:
                break  # incomplete: wait for more bytes
            length, command = parsed
            del self._buffer[:length]
            if command is not None:
                out.append(command)
        return out

    @property
    def pending(self) -> bytes:
        """Bytes of a command not yet complete."""
        return bytes(self._buffer)

    def finish(self) -> None:
        """Raise DecodeError if the stream ended inside a command."""
        if self._buffer:
            raise DecodeError(f"stream ends inside a command: {bytes(self._buffer[:16]).hex(' ')}…")

    # One command at the start of ``buf``: (length, command or None), or None if incomplete.
    def _one(self, buf: bytearray) -> tuple[int, Command | None] | None:
        b = buf[0]
        band_line, self._band_line = self._band_line, False
        if b == ESC:
            return self._esc(buf)
        if b == GS:
            return self._gs(buf)
        if b == DLE:
            return self._dle(buf)
        if b == FS:
            if len(buf) < 2:
                return None
            if buf[1] in (ord("."), ord("&")):
                return 2, Setting(bytes(buf[:2]))
            raise DecodeError(f"unknown command FS {buf[1]:#04x}")
        if b == LF:
            return 1, (None if band_line else Feed(self.line_spacing))
        if b in (CR, NUL):
            return 1, None
        if b == HT or b >= 0x20:
            end = 1
            while end < len(buf) and (buf[end] == HT or buf[end] >= 0x20):
                end += 1
            return end, Text(bytes(buf[:end]))
        raise DecodeError(f"unknown control byte {b:#04x}")

    def _esc(self, buf: bytearray) -> tuple[int, Command | None] | None:
        if len(buf) < 2:
            return None
        c = buf[1]
        if c == ord("@"):
            self.line_spacing = DEFAULT_LINE_SPACING
            return 2, Init()
        if c == ord("2"):
            self.line_spacing = DEFAULT_LINE_SPACING
            return 2, Setting(bytes(buf[:2]))
        if c in (ord("i"), ord("m")):
            return 2, Cut(partial=True)
        if c in (ord("J"), ord("d"), ord("3")):
            if len(buf) < 3:
                return None
            n = buf[2]
            if c == ord("J"):
                return 3, Feed(n)
            if c == ord("d"):
                return 3, Feed(n * self.line_spacing)
            self.line_spacing = n
            return 3, Setting(bytes(buf[:3]))
        if c == ord("*"):
            return self._column_band(buf)
        if c in _ESC_FIXED:
            length = 2 + _ESC_FIXED[c]
            return (length, Setting(bytes(buf[:length]))) if len(buf) >= length else None
        raise DecodeError(f"unknown command ESC {c:#04x} ({chr(c)!r})")

    def _gs(self, buf: bytearray) -> tuple[int, Command | None] | None:
        if len(buf) < 2:
            return None
        c = buf[1]
        if c == ord("v"):
            return self._raster(buf)
        if c == ord("("):
            if len(buf) < 5:
                return None
            size = buf[3] | buf[4] << 8
            if len(buf) < 5 + size:
                return None
            body = bytes(buf[5 : 5 + size])
            if buf[2] == ord("L"):
                return 5 + size, self._graphics(body)
            return 5 + size, Setting(bytes(buf[: 5 + size]))
        if c == ord("8"):
            if len(buf) < 7:
                return None
            if buf[2] != ord("L"):
                raise DecodeError(f"unknown command GS 8 {buf[2]:#04x}")
            size = int.from_bytes(buf[3:7], "little")
            if len(buf) < 7 + size:
                return None
            return 7 + size, self._graphics(bytes(buf[7 : 7 + size]))
        if c == ord("V"):
            if len(buf) < 3:
                return None
            m = buf[2]
            if m in (0, 1, 48, 49):
                return 3, Cut(partial=m in (1, 49))
            if m in (65, 66, 97, 98, 103, 104):
                if len(buf) < 4:
                    return None
                return 4, Cut(partial=m in (66, 98, 104), feed_dots=buf[3])
            raise DecodeError(f"unknown cut GS V {m}")
        if c in _GS_FIXED:
            length = 2 + _GS_FIXED[c]
            return (length, Setting(bytes(buf[:length]))) if len(buf) >= length else None
        raise DecodeError(f"unknown command GS {c:#04x} ({chr(c)!r})")

    def _dle(self, buf: bytearray) -> tuple[int, Command | None] | None:
        if len(buf) < 3:
            return None
        if buf[1] == 0x04:
            return 3, StatusRequest(buf[2])
        if buf[1] == 0x05:  # DLE ENQ n: real-time request to the printer
            return 3, Setting(bytes(buf[:3]))
        raise DecodeError(f"unknown command DLE {buf[1]:#04x}")

    def _raster(self, buf: bytearray) -> tuple[int, Command] | None:
        # GS v 0 m xL xH yL yH d1...dk, k = x * y
        if len(buf) < 8:
            return None
        if buf[2] != ord("0"):
            raise DecodeError(f"unknown command GS v {buf[2]:#04x}")
        m = buf[3] - 48 if buf[3] >= 48 else buf[3]
        if m not in (0, 1, 2, 3):
            raise DecodeError(f"GS v 0: bad mode {buf[3]}")
        x = buf[4] | buf[5] << 8
        y = buf[6] | buf[7] << 8
        end = 8 + x * y
        if len(buf) < end:
            return None
        image = _bits_to_image(bytes(buf[8:end]), x * 8, y)
        return end, Raster(_scaled(image, 2 if m & 1 else 1, 2 if m & 2 else 1))

    def _graphics(self, body: bytes) -> Command:
        # body = m fn [parameters]; m is 48 ('0') for the raster graphics functions.
        if len(body) < 2:
            raise DecodeError("GS ( L: too short")
        fn = body[1]
        if fn == 112:  # "p", function 112: store raster graphics in the print buffer
            if len(body) < 10:
                raise DecodeError("GS ( L p: too short")
            bx, by = body[3], body[4]
            width = body[6] | body[7] << 8
            height = body[8] | body[9] << 8
            data = body[10:]
            row = (width + 7) // 8
            if len(data) != row * height or bx not in (1, 2) or by not in (1, 2):
                raise DecodeError(f"GS ( L p: {len(data)} data bytes for {width}x{height}")
            image = _bits_to_image(data, row * 8, height).crop((0, 0, width, height))
            self._stored = _scaled(image, bx, by)
            return Setting(b"\x1d(Lp")
        if fn in (2, 50):  # "2", function 50: print the stored graphic
            if self._stored is None:
                raise DecodeError("GS ( L 2: nothing stored to print")
            image, self._stored = self._stored, None
            return Raster(image)
        return Setting(b"\x1d(L" + body[:2])

    def _column_band(self, buf: bytearray) -> tuple[int, Command] | None:
        # ESC * m nL nH d1...dk
        if len(buf) < 5:
            return None
        m, n = buf[2], buf[3] | buf[4] << 8
        if m not in (0, 1, 32, 33):
            raise DecodeError(f"ESC *: bad mode {m}")
        dots = 24 if m >= 32 else 8
        end = 5 + n * dots // 8
        if len(buf) < end:
            return None
        # Each column is dots/8 bytes, top first: read as rows of a (dots x n) image, then turn.
        columns = _bits_to_image(bytes(buf[5:end]), dots, n)
        band = columns.transpose(Image.Transpose.TRANSPOSE)
        band = _scaled(band, 2 if m in (0, 32) else 1, 3 if m in (0, 1) else 1)
        self._band_line = True
        return end, Raster(band)


def decode(data: bytes) -> list[Command]:
    """All commands in ``data``; raises DecodeError on unknown or truncated bytes."""
    decoder = Decoder()
    commands = decoder.feed(data)
    decoder.finish()
    return commands


def decode_image(data: bytes) -> Image.Image:
    """Everything ``data`` prints as dots, stacked top to bottom (feeds left out).

    The width is what the commands carry: GS v 0 counts whole bytes, so an
    image 13 dots wide comes back 16 wide with white dots on the right.
    """
    images = [c.image for c in decode(data) if isinstance(c, Raster)]
    if not images:
        raise DecodeError("no image in the data")
    return stack(images)


def stack(images: list[Image.Image]) -> Image.Image:
    """1-bit images one under the other, left-aligned on white."""
    width = max(i.width for i in images)
    out = Image.new("1", (width, sum(i.height for i in images)), 1)
    y = 0
    for image in images:
        out.paste(image, (0, y))
        y += image.height
    return out


def _bits_to_image(data: bytes, width: int, height: int) -> Image.Image:
    # "1;I": bit set = black (0), the printer's sense of a bit.
    return Image.frombytes("1", (width, height), data, "raw", "1;I")


def _scaled(image: Image.Image, sx: int, sy: int) -> Image.Image:
    if sx == 1 and sy == 1:
        return image
    return image.resize((image.width * sx, image.height * sy), Image.Resampling.NEAREST)
