"""The thermal printer: one protocol, a real ESC/POS driver, a simulated one.

Every printed item is laid out once as a 1-bit image 384 dots wide
(``booth.paper``) and printed as raster, so what the simulator shows is what
the paper shows.  A print either returns normally — the paper is out of the
printer — or raises a :class:`PrinterError` subclass.  A failed print is never
reported as printed.

>>> from booth_sim.printer import SimPrinter
>>> from PIL import Image
>>> printer = SimPrinter()
>>> printer.print_image(Image.new("1", (384, 40), 1))
>>> len(printer.printed)
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

WIDTH_DOTS = 384  # 58 mm paper at 203 dpi


class PrinterError(Exception):
    """A print did not complete; ``message_id`` / ``message_en`` say what to do."""

    message_id = "Printer bermasalah. Panggil petugas."
    message_en = "Printer problem. Call a companion."


class PaperOut(PrinterError):
    message_id = "Kertas printer habis — ganti gulungan, lalu tekan Lanjut"
    message_en = "Printer paper is out — replace the roll, then press Continue"


class CoverOpen(PrinterError):
    message_id = "Tutup printer terbuka — tutup rapat, lalu tekan Lanjut"
    message_en = "Printer cover is open — close it, then press Continue"


class PaperJam(PrinterError):
    message_id = "Kertas printer macet — buka tutup, rapikan kertas, tutup, lalu tekan Lanjut"
    message_en = "Paper jam — open the cover, clear the paper, close it, then press Continue"


class PrinterOffline(PrinterError):
    message_id = "Printer tidak tersambung — periksa kabel dan daya printer, lalu tekan Lanjut"
    message_en = "Printer not connected — check its cable and power, then press Continue"


class PrintTimeout(PrinterError):
    message_id = "Printer tidak menjawab — periksa printer, lalu tekan Lanjut"
    message_en = "Printer does not answer — check the printer, then press Continue"


@dataclass(frozen=True)
class PrinterStatus:
    online: bool
    paper: str  # "ok", "low", "out" or "unknown"
    cover_open: bool = False
    detail: str = ""
    jammed: bool = False  # paper jam or cutter error reported by the printer

    @property
    def ready(self) -> bool:
        return self.online and self.paper in ("ok", "low", "unknown") and not self.cover_open and not self.jammed


class Printer(Protocol):
    """What booth needs from a printer."""

    width_dots: int

    def status(self) -> PrinterStatus:
        """Ask the printer how it is (paper, cover, online), as far as it can tell."""

    def print_image(self, image: Image.Image) -> None:
        """Print ``image`` (width <= width_dots) and feed/cut; raise PrinterError on any failure."""

    def close(self) -> None:
        """Release the port."""
