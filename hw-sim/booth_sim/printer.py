"""A 58 mm thermal printer in software, driven by booth's real ESC/POS driver.

:class:`SimPrinter` runs the very same :class:`~booth.hardware.escpos_printer.EscposPrinter`
code as the Pi, over a python-escpos ``Dummy`` connection whose insides act like
a printer: it reads the bytes as they arrive (:mod:`booth_sim.escpos_decode`),
moves a finite roll of paper, and answers ``DLE EOT`` status requests.  So the
bytes are exact, the status the driver reads is the status the printer would
give, and a fault injected here surfaces as the same ``PrinterError`` a real
printer would cause.

>>> from PIL import Image
>>> printer = SimPrinter(roll_mm=100)
>>> printer.print_image(Image.new("1", (384, 400), 1))   # 50 mm of slip + 12 mm feed
>>> len(printer.printed), printer.paper_left_mm
(1, 38.0)
>>> printer.print_image(Image.new("1", (384, 400), 1))   # runs out half-way
Traceback (most recent call last):
...
booth.hardware.printer.PaperOut: printer while printing: paper out
>>> len(printer.printed), printer.partial[0].height
(1, 304)

Faults on demand, for testers and trainers:

- :meth:`load_paper` / :meth:`paper_out_after` — a new roll, or only so many mm
  left (runs out mid-slip); below ``near_end_mm`` the status says paper "low";
- :meth:`jam_next` — the next slip jams half-way (:class:`PaperJam`);
  :meth:`clear_jam`, or opening and closing the cover, clears it;
- :meth:`open_cover` / :meth:`close_cover`, :meth:`set_offline`;
- :meth:`unplug` / :meth:`plug_in` — bytes go nowhere, nothing answers;
- :meth:`stall_next` — the next slip's data is not taken (a write timeout).
"""

from __future__ import annotations

import threading

from escpos.printer import Dummy
from PIL import Image

from booth.hardware import escpos_printer as esc
from booth.hardware.escpos_printer import DOTS_PER_MM, EscposPrinter
from booth.hardware.printer import WIDTH_DOTS, PrinterError, PrinterStatus
from booth_sim.escpos_decode import Cut, Decoder, Feed, Raster, StatusRequest, stack

DEFAULT_ROLL_MM = 30_000  # a 58 mm x 30 m roll
DEFAULT_NEAR_END_MM = 1_000


class SimPrinter:
    """The simulated printer (see the module docstring)."""

    width_dots = WIDTH_DOTS

    def __init__(
        self,
        *,
        roll_mm: float = DEFAULT_ROLL_MM,
        near_end_mm: float = DEFAULT_NEAR_END_MM,
        cutter: bool = False,
        feed_mm: int = 12,
        fragment_height: int = 256,
        require_status: bool = True,
        speed_mm_s: float = 50.0,
    ) -> None:
        self._lock = threading.RLock()
        self._job_lock = threading.Lock()
        self.printed: list[Image.Image] = []  # complete slips, in print order
        self.partial: list[Image.Image] = []  # what came out of failed slips, in order
        self._paper_dots = round(roll_mm * DOTS_PER_MM)
        self.near_end_mm = near_end_mm
        self._cover_open = False
        self._jammed = False
        self._jam_armed = False
        self._offline = False
        self._unplugged = False
        self._stall_armed = False
        self._job_rows: list[Image.Image] = []
        self._job_start = 0
        self._now = 0.0  # virtual clock: the driver's wait for the paper costs no real time
        self.device = _Mechanism(self)
        self.driver = EscposPrinter(
            self.device,
            cutter=cutter,
            feed_mm=feed_mm,
            fragment_height=fragment_height,
            require_status=require_status,
            speed_mm_s=speed_mm_s,
            clock=lambda: self._now,
            sleep=self._advance_clock,
            name="printer",
        )

    # --- the Printer protocol -----------------------------------------------------

    def status(self) -> PrinterStatus:
        """What the driver reads from the simulated printer."""
        return self.driver.status()

    def print_image(self, image: Image.Image) -> None:
        """Print through the real driver; a complete slip is appended to :attr:`printed`."""
        with self._job_lock:
            with self._lock:
                self._job_rows = []
                self._job_start = len(self.device.output)
            try:
                self.driver.print_image(image)
            except PrinterError:
                self._end_job(complete=False)
                raise
            self._end_job(complete=True)

    def close(self) -> None:
        self.driver.close()

    # --- what testers look at -----------------------------------------------------------

    @property
    def paper_left_mm(self) -> float:
        with self._lock:
            return self._paper_dots / DOTS_PER_MM

    @property
    def bytes_sent(self) -> bytes:
        """Every byte the driver sent, since the start."""
        return self.device.output

    @property
    def last_job_bytes(self) -> bytes:
        """The bytes of the last :meth:`print_image` call (including status requests)."""
        return self.device.output[self._job_start :]

    # --- faults and the roll ---------------------------------------------------------------

    def load_paper(self, mm: float = DEFAULT_ROLL_MM) -> None:
        """Put in a new roll of ``mm`` millimetres."""
        with self._lock:
            self._paper_dots = round(mm * DOTS_PER_MM)

    def paper_out_after(self, mm: float) -> None:
        """Leave only ``mm`` of paper on the roll: the print that needs more runs out mid-slip."""
        self.load_paper(mm)

    def jam_next(self) -> None:
        """The next slip jams half-way through its image."""
        with self._lock:
            self._jam_armed = True

    def clear_jam(self) -> None:
        with self._lock:
            self._jammed = False

    def open_cover(self) -> None:
        with self._lock:
            self._cover_open = True

    def close_cover(self) -> None:
        """Close the cover; whoever opened it has cleared any jammed paper."""
        with self._lock:
            self._cover_open = False
            self._jammed = False

    def set_offline(self, offline: bool = True) -> None:
        """The printer says it is offline (no cause given), e.g. its power switch."""
        with self._lock:
            self._offline = offline

    def unplug(self) -> None:
        """Pull the cable: bytes are lost and status requests go unanswered."""
        with self._lock:
            self._unplugged = True

    def plug_in(self) -> None:
        with self._lock:
            self._unplugged = False

    def stall_next(self) -> None:
        """The next slip's image data is not taken: the write times out."""
        with self._lock:
            self._stall_armed = True

    # --- the mechanism ------------------------------------------------------------------------

    def _advance_clock(self, seconds: float) -> None:
        self._now += seconds

    def _end_job(self, *, complete: bool) -> None:
        with self._lock:
            rows, self._job_rows = self._job_rows, []
            self.device.decoder = Decoder()  # a failed job may leave half a command behind
        if not rows:
            return
        slip = stack(rows)
        (self.printed if complete else self.partial).append(slip)

    def _can_print(self) -> bool:
        return not (self._paper_dots <= 0 or self._jammed or self._cover_open or self._offline or self._unplugged)

    def _take(self, data: bytes) -> None:
        """Bytes arriving at the printer (called by :class:`_Mechanism`)."""
        with self._lock:
            if self._unplugged:
                return
            if self._stall_armed and len(data) > 64:
                self._stall_armed = False
                raise TimeoutError("simulated printer stopped taking data")
            for command in self.device.decoder.feed(data):
                if isinstance(command, StatusRequest):
                    self.device.answers.append(self._status_byte(command.n))
                elif isinstance(command, Raster):
                    self._print_rows(command.image)
                elif isinstance(command, Feed):
                    self._move_paper(command.dots)
                elif isinstance(command, Cut):
                    self._move_paper(command.feed_dots)

    def _print_rows(self, image: Image.Image) -> None:
        if not self._can_print():
            return
        rows = min(image.height, self._paper_dots)
        if self._jam_armed:
            self._jam_armed = False
            self._jammed = True
            rows = min(rows, image.height // 2)
        if rows > 0:
            self._job_rows.append(image.crop((0, 0, image.width, rows)))
            self._paper_dots -= rows

    def _move_paper(self, dots: int) -> None:
        if self._can_print():
            self._paper_dots = max(0, self._paper_dots - dots)

    def _status_byte(self, n: int) -> int:
        byte = esc.ANSWER_FIXED
        paper_out = self._paper_dots <= 0
        if n == esc.STATUS_PRINTER:
            if paper_out or self._jammed or self._cover_open or self._offline:
                byte |= esc.OFFLINE
        elif n == esc.STATUS_OFFLINE_CAUSE:
            if self._cover_open:
                byte |= esc.COVER_OPEN
            if paper_out:
                byte |= esc.STOPPED_AT_PAPER_END
            if self._jammed:
                byte |= esc.ERROR_OCCURRED
        elif n == esc.STATUS_ERROR_CAUSE:
            if self._jammed:
                byte |= esc.CUTTER_ERROR  # ESC/POS reports paper jams as an auto-cutter error
        elif n == esc.STATUS_PAPER:
            if paper_out:
                byte |= esc.PAPER_END | esc.PAPER_NEAR_END
            elif self._paper_dots < self.near_end_mm * DOTS_PER_MM:
                byte |= esc.PAPER_NEAR_END
        return byte


class _Mechanism(Dummy):
    """The python-escpos connection the driver talks to: a Dummy that keeps every
    byte (``output``) and hands it to the printer's insides as it arrives."""

    def __init__(self, printer: SimPrinter) -> None:
        super().__init__()
        self._printer = printer
        self.decoder = Decoder()
        self.answers = bytearray()

    def _raw(self, msg: bytes) -> None:
        self._printer._take(msg)  # first: a stalled write must not count as sent
        super()._raw(msg)

    def _read(self) -> bytes:
        answer, self.answers[:] = bytes(self.answers), b""
        return answer
