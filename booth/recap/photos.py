"""Every QR code in a photo or scan of a printed report, read with zxing-cpp.

On the evening a companion photographs the results report with a phone: the
paper at an angle, in perspective, a little blurred, in a dim room.  The
recap reads the QR codes of that photo here and hands their texts to the
intake, which checks each signed statement (the photo itself proves nothing;
the signature in the QR does).  Multi-part QRs (``B1 i/n h`` headers,
``booth.qr_parts``) are returned part by part: the caller joins them.

Photos come from anyone with the upload page or a USB stick, so the file is
treated as hostile: its size in bytes and its size in pixels (read from the
header, before any pixel is decoded) are checked first, only the usual photo
and scan formats are opened, and a damaged file is refused, never a crash.

    >>> statements_in_image(open("laporan.jpg", "rb").read())     # doctest: +SKIP
    ['booth results v1\\nelection 3f...']
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageFilter, ImageOps

from booth.recap.api import MAX_PHOTO_BYTES

#: The most pixels a photo may have (a 48-megapixel phone camera is 8000 x 6000).
MAX_PIXELS = 50_000_000
#: The longest side a photo may have (a strip scanned at 600 dpi is a few thousand).
MAX_SIDE = 16_000
#: Formats a phone or a scanner writes (Pillow's names; a phone's multi-picture JPEG opens as JPEG, then says MPO).
FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP")
#: The side a large photo is brought down to for the retries (QR modules stay several pixels wide).
RETRY_SIDE = 1600


class PhotoError(ValueError):
    """A photo the recap cannot read QR codes from: ``.id`` (Indonesian), ``.en`` and a ``.code``."""

    def __init__(self, id_text: str, en_text: str, *, code: str) -> None:
        super().__init__(en_text)
        self.code = code
        self.id = id_text
        self.en = en_text


def _not_an_image(detail: str = "") -> PhotoError:
    more = f" ({detail})" if detail else ""
    return PhotoError(
        f"Bukan foto atau pindaian yang bisa dibaca (JPEG, PNG, WebP){more}",
        f"Not a readable photo or scan (JPEG, PNG, WebP){more}",
        code="not_an_image",
    )


def _too_large(id_text: str, en_text: str) -> PhotoError:
    return PhotoError(f"Foto terlalu besar: {id_text}", f"The photo is too large: {en_text}", code="too_large")


def open_photo(data: bytes) -> Image.Image:
    """The photo as a greyscale image, after the byte, format and pixel checks (raises :class:`PhotoError`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _not_an_image()
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large(
            f"{len(data):,} byte (batas {MAX_PHOTO_BYTES // 2**20} MB)".replace(",", "."),
            f"{len(data):,} bytes (limit {MAX_PHOTO_BYTES // 2**20} MB)",
        )
    if not data:
        raise _not_an_image("berkas kosong / empty file")
    with warnings.catch_warnings():
        # our own limit below is stricter than Pillow's bomb warning; never let it print
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(bytes(data)), formats=FORMATS)
        except Image.DecompressionBombError:
            raise _too_large("terlalu banyak piksel", "too many pixels") from None
        except (OSError, SyntaxError, ValueError, TypeError, EOFError):
            raise _not_an_image() from None
        width, height = image.size
        if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
            raise _too_large(
                f"{width} x {height} piksel (batas {MAX_PIXELS // 10**6} juta piksel)",
                f"{width} x {height} pixels (limit {MAX_PIXELS // 10**6} megapixels)",
            )
        if width < 21 or height < 21:
            raise PhotoError(
                "Foto terlalu kecil untuk memuat QR", "The photo is too small to hold a QR code", code="no_qr"
            )
        try:
            if image.format in ("JPEG", "MPO") and max(width, height) > 2 * RETRY_SIDE * 2:
                # a very large JPEG is decoded at a reduced scale: still far more pixels than the QR needs
                image.draft("L", (width // 2, height // 2))
            image.load()
            upright: Image.Image = ImageOps.exif_transpose(image) or image
            return upright.convert("L")
        except Image.DecompressionBombError:
            raise _too_large("terlalu banyak piksel", "too many pixels") from None
        except (OSError, SyntaxError, ValueError, TypeError, EOFError, MemoryError, ZeroDivisionError):
            raise _not_an_image("rusak / damaged") from None


def _payload(barcode: Any) -> str | None:
    # the booth prints UTF-8 bytes with no ECI: read the bytes ourselves, never zxing's charset guess
    raw = bytes(barcode.bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return barcode.text or None


def _complete(found: list[str]) -> bool:
    """Found something, and every multi-part QR seen has all its parts."""
    if not found:
        return False
    parts: dict[str, tuple[int, set[int]]] = {}
    for text in found:
        if text.startswith("B1 "):
            try:
                _, position, digest = text.split("\n", 1)[0].split(" ")
                index, count = (int(x) for x in position.split("/"))
            except ValueError:
                continue
            parts.setdefault(digest, (count, set()))[1].add(index)
    return all(len(seen) >= count for count, seen in parts.values())


def _passes(grey: Image.Image) -> list[Callable[[], list[Any]]]:
    """The attempts, cheapest first: zxing's own search, another binarizer, then smaller / sharper copies."""
    import zxingcpp

    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def read(image: Image.Image, binarizer: Any) -> Callable[[], list[Any]]:
        return lambda: zxingcpp.read_barcodes(
            image, formats=qr, try_rotate=True, try_downscale=True, try_invert=False, binarizer=binarizer
        )

    local, histogram = zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram
    passes = [read(grey, local), read(grey, histogram)]
    side = max(grey.size)

    def smaller() -> Image.Image:
        if side <= RETRY_SIDE:
            return grey
        factor = RETRY_SIDE / side
        return grey.resize(
            (max(1, round(grey.width * factor)), max(1, round(grey.height * factor))), Image.Resampling.LANCZOS
        )

    cache: dict[str, Image.Image] = {}

    def prepared(kind: str) -> Image.Image:
        if kind not in cache:
            base = smaller()
            if kind == "contrast":
                # a dim photo: stretch the greys; a soft one: sharpen the module edges
                cache[kind] = ImageOps.autocontrast(base, cutoff=2).filter(ImageFilter.UnsharpMask(2, 120, 2))
            elif kind == "equalized":
                cache[kind] = ImageOps.equalize(base.filter(ImageFilter.MedianFilter(3)))
            elif kind == "larger":
                cache[kind] = base.resize((base.width * 2, base.height * 2), Image.Resampling.BICUBIC)
            else:
                cache[kind] = base
        return cache[kind]

    def later(kind: str, binarizer: Any) -> Callable[[], list[Any]]:
        return lambda: read(prepared(kind), binarizer)()

    if side > RETRY_SIDE:
        passes += [later("smaller", local), later("smaller", histogram)]
    passes += [later("contrast", local), later("contrast", histogram), later("equalized", local)]
    if side <= RETRY_SIDE:
        passes.append(later("larger", local))  # a small scan: modules only a pixel or two wide
    return passes


def statements_in_image(data: bytes) -> list[str]:
    """Every QR payload found in a photo or scan, in the order found, each once.

    Raises :class:`PhotoError` when the file is not an image, is too large (bytes or pixels,
    checked before decoding) or holds no QR code that can be read.
    """
    grey = open_photo(data)
    found: list[str] = []
    for attempt in _passes(grey):
        for barcode in attempt():
            text = _payload(barcode)
            if text and text not in found:
                found.append(text)
        if _complete(found):
            break
    if not found:
        raise PhotoError(
            "Tidak ada QR yang terbaca di foto ini; foto ulang QR laporan hasil dari dekat, tegak lurus dan terang",
            "No QR code could be read in this photo; photograph the results report's QR again, "
            "closer, straight on and well lit",
            code="no_qr",
        )
    return found


__all__ = ["FORMATS", "MAX_PIXELS", "MAX_SIDE", "PhotoError", "open_photo", "statements_in_image"]
