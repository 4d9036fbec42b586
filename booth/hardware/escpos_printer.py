"""The real thermal printer: python-escpos over the Pi's serial port or USB.

A slip is printed as one raster image, and booth only says "printed" when the
printer took every byte *and* reports afterwards that nothing went wrong.

>>> printer = EscposPrinter.over_serial("/dev/serial0", 9600)    # doctest: +SKIP
>>> printer.print_image(slip)                                     # doctest: +SKIP

How one print goes (:meth:`EscposPrinter.print_image`):

1. ask the printer's status; cover open, paper out, a jam or offline stop
   the job before a byte of it is sent (raising the matching
   :class:`PrinterError`).  After a jam the printer is first asked to recover
   (``DLE ENQ 2``), in case the companion has cleared it;
2. send ``ESC @`` (initialise), the image as ``GS v 0`` raster fragments of at
   most ``fragment_height`` rows (python-escpos ``image(impl="bitImageRaster")``),
   ``ESC J n`` to feed ``feed_mm``, and ``GS V B 0`` to cut if there is a cutter;
3. wait as long as the paper takes to come out at ``speed_mm_s``, asking the
   status on the way, so paper running out mid-slip is caught;
4. ask the status once more; any problem raises, so a slip cut short is never
   reported as printed.

Failures of the connection map to the protocol's errors: a write or read
timeout (pyserial ``SerialTimeoutException``, pyusb ``USBTimeoutError``,
``TimeoutError``) is :class:`PrintTimeout` unless the printer then names a
cause; a port that cannot be opened or goes away (python-escpos
``DeviceNotFoundError``, pyserial ``SerialException``, pyusb ``USBError``,
``OSError``) is :class:`PrinterOffline`; any other python-escpos error is a
plain :class:`PrinterError`.

Status bytes (ESC/POS real-time status, ``DLE EOT n`` = ``10 04 n``).  Every
answer is one byte with bits 1 and 4 set and bits 0 and 7 clear
(``byte & 0x93 == 0x12``), which tells an answer from line noise:

====  =================  ==============================================
n     what               bits booth reads
====  =================  ==============================================
1     printer status     0x08 offline
2     offline cause      0x04 cover open, 0x20 stopped at paper end,
                         0x40 an error occurred (then ask n=3)
3     error cause        0x04 mechanical error (jam), 0x08 auto-cutter
                         error (jam), 0x20 unrecoverable, 0x40 print
                         head too hot (recovers by itself)
4     roll paper sensor  0x0C near end, 0x60 paper end
====  =================  ==============================================

Many cheap printers answer only n=1 and n=4, or nothing at all; a printer
that never answers is "does not answer" (PrintTimeout) when
``require_status`` is set, and "paper unknown" otherwise.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from escpos import exceptions as escpos_errors
from escpos.escpos import Escpos
from escpos.printer import Serial, Usb
from PIL import Image

if TYPE_CHECKING:
    from booth.hardware.config import PrinterConfig

from booth.hardware.printer import (
    WIDTH_DOTS,
    CoverOpen,
    PaperJam,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterStatus,
    PrintTimeout,
)

DOTS_PER_MM = 8  # 203 dpi

DLE_EOT = b"\x10\x04"
STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_ERROR_CAUSE, STATUS_PAPER = 1, 2, 3, 4
ANSWER_MASK, ANSWER_FIXED = 0x93, 0x12

OFFLINE = 0x08  # n=1
COVER_OPEN, STOPPED_AT_PAPER_END, ERROR_OCCURRED = 0x04, 0x20, 0x40  # n=2
MECHANICAL_ERROR, CUTTER_ERROR, UNRECOVERABLE, HEAD_HOT = 0x04, 0x08, 0x20, 0x40  # n=3
PAPER_NEAR_END, PAPER_END = 0x0C, 0x60  # n=4

DLE_ENQ_RECOVER = b"\x10\x05\x02"  # DLE ENQ 2: recover from a recoverable error
ESC_FEED_DOTS = b"\x1bJ"  # ESC J n: print and feed n dots (n <= 255)

NO_ANSWER = "printer does not answer status requests"

# How often the status is asked while a slip comes out, and how long an answer may take.
POLL_S = 0.25
STATUS_ANSWER_S = 0.5


class EscposPrinter:
    """A 58 mm ESC/POS printer behind a python-escpos connection.

    ``connection`` is any python-escpos printer object (``Serial``, ``Usb``,
    ``Dummy`` or a subclass); use :meth:`over_serial`, :meth:`over_usb` or
    :meth:`from_config` on the appliance.  ``clock`` and ``sleep`` are passed
    in so the simulator and tests do not wait for real paper.
    """

    width_dots = WIDTH_DOTS

    def __init__(
        self,
        connection: Escpos,
        *,
        cutter: bool = False,
        feed_mm: int = 12,
        fragment_height: int = 256,
        require_status: bool = True,
        speed_mm_s: float = 50.0,
        port_settings: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        name: str = "printer",
    ) -> None:
        self._conn = connection
        self.cutter = cutter
        self.feed_mm = feed_mm
        self.fragment_height = fragment_height
        self.require_status = require_status
        self.speed_mm_s = speed_mm_s
        self._port_settings = dict(port_settings or {})
        self._clock = clock
        self._sleep = sleep
        self.name = name
        self._opened = False
        self._unanswered: set[int] = set()
        # One conversation at a time: a status question from the screen must not
        # land in the middle of a slip's bytes.
        self._lock = threading.RLock()
        _tell_paper_width(connection)

    # --- constructors for the appliance ------------------------------------

    @classmethod
    def over_serial(
        cls,
        device: str = "/dev/serial0",
        baudrate: int = 9600,
        *,
        flow_control: str = "none",
        timeout_s: float = 5.0,
        profile: str | None = None,
        **options: Any,
    ) -> EscposPrinter:
        """The printer on a serial port (the Pi's UART or a USB-serial cable).

        Needs pyserial (``python-escpos[serial]``).  ``timeout_s`` bounds a
        write the printer does not take; a status answer may take 0.5 s.
        """
        connection = _SerialPort(
            devfile=device,
            baudrate=baudrate,
            timeout=STATUS_ANSWER_S,  # pyserial's read timeout: the wait for a status answer
            dsrdtr=False,
            xonxoff=(flow_control == "xonxoff"),
            profile=profile or None,
        )
        # python-escpos opens the port without these; set them once it is open.
        settings: dict[str, Any] = {"write_timeout": timeout_s}
        if flow_control == "rtscts":
            settings["rtscts"] = True
        return cls(connection, port_settings=settings, name=device, **options)

    @classmethod
    def over_usb(
        cls,
        vendor_id: int,
        product_id: int,
        *,
        in_ep: int = 0x81,
        out_ep: int = 0x03,
        timeout_s: float = 5.0,
        profile: str | None = None,
        **options: Any,
    ) -> EscposPrinter:
        """The printer on USB, found by vendor/product id (``lsusb``); needs pyusb."""
        connection = Usb(
            idVendor=vendor_id,
            idProduct=product_id,
            timeout=int(timeout_s * 1000),  # pyusb counts milliseconds
            in_ep=in_ep,
            out_ep=out_ep,
            profile=profile or None,
        )
        return cls(connection, name=f"usb {vendor_id:04x}:{product_id:04x}", **options)

    @classmethod
    def from_config(cls, config: PrinterConfig) -> EscposPrinter:
        """The printer described by a :class:`booth.hardware.config.PrinterConfig`."""
        options: dict[str, Any] = dict(
            cutter=config.cutter,
            feed_mm=config.feed_mm,
            fragment_height=config.fragment_height,
            require_status=config.require_status,
            speed_mm_s=config.speed_mm_s,
            timeout_s=config.timeout_s,
            profile=config.profile,
        )
        if config.connection == "usb":
            printer = cls.over_usb(
                config.usb_vendor_id,
                config.usb_product_id,
                in_ep=config.usb_in_ep,
                out_ep=config.usb_out_ep,
                **options,
            )
        else:
            printer = cls.over_serial(
                config.serial_device, config.baudrate, flow_control=config.flow_control, **options
            )
        from booth.paper.layout import paper

        printer.width_dots = paper(getattr(config, "paper_mm", 58)).width  # 80 mm rolls: 576 dots
        return printer

    # --- the protocol ----------------------------------------------------------

    def status(self) -> PrinterStatus:
        """How the printer is, as far as it says; never raises for a printer problem."""
        with self._lock:
            try:
                return self._read_status()
            except PrinterError as exc:
                return PrinterStatus(online=False, paper="unknown", detail=str(exc))

    def print_image(self, image: Image.Image) -> None:
        """Print ``image`` (width <= 384 dots), feed, cut; raise PrinterError on any failure.

        Images that are not 1-bit are converted with Pillow's default dithering;
        black pixels are printed dots.
        """
        bitmap = _as_bitmap(image, self.width_dots)
        with self._lock:
            self._print(bitmap)

    def _print(self, bitmap: Image.Image) -> None:
        before = self._read_status()
        if before.jammed and not before.cover_open:
            # The companion cleared the jam and pressed Continue: ask the printer to
            # leave its error state (DLE ENQ 2: recover, clearing its buffers).
            with self._translate("recovering from the error"):
                self._conn._raw(DLE_ENQ_RECOVER)
            before = self._read_status()
        self._raise_for(before, "before printing")
        with self._translate("while sending the slip", ask_cause=True):
            self._conn.hw("INIT")
            self._conn.image(
                bitmap,
                high_density_vertical=True,
                high_density_horizontal=True,
                impl="bitImageRaster",
                fragment_height=self.fragment_height,
                center=False,
            )
            feed = self.feed_mm * DOTS_PER_MM
            while feed > 0:
                self._conn._raw(ESC_FEED_DOTS + bytes([min(feed, 255)]))
                feed -= min(feed, 255)
            if self.cutter:
                self._conn.cut(mode="PART", feed=False)  # GS V B 0: feed to the cutter, cut
        self._wait_for_paper(bitmap.height + self.feed_mm * DOTS_PER_MM)
        self._raise_for(self._read_status(), "after printing")

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._opened = False

    # --- inside ----------------------------------------------------------------------

    def _open(self) -> None:
        if self._opened:
            return
        with self._translate("opening the port"):
            device = self._conn.device  # python-escpos opens the port on first use
            if device is not None:  # None for connections without a port (Dummy)
                for attr, value in self._port_settings.items():
                    setattr(device, attr, value)
        self._opened = True
        self._unanswered = set()

    def _drop_connection(self) -> None:
        """Forget a broken connection so the next job opens the port afresh."""
        device = getattr(self._conn, "_device", None)
        # Discard unsent bytes: closing a stalled port would otherwise wait for them.
        with contextlib.suppress(Exception):
            if device is not None:
                device.reset_output_buffer()
        self.close()
        # python-escpos only opens when its device is False; after a failed open it
        # is None and would never try again.
        self._conn.device = False

    def _ask(self, n: int) -> int | None:
        """One ``DLE EOT n`` status byte, or None if the printer gave no answer."""
        if n in self._unanswered:
            return None
        try:
            answer = self._conn.query_status(DLE_EOT + bytes([n]))
        except NotImplementedError:  # a connection that cannot read (e.g. a plain Dummy)
            answer = b""
        except BaseException as exc:
            if not _is_timeout(exc):
                raise
            answer = b""
        for byte in reversed(bytes(answer or b"")):
            if byte & ANSWER_MASK == ANSWER_FIXED:
                return byte
        if n != STATUS_PRINTER:
            # A printer that answers n=1 but not this one never will: do not wait again.
            self._unanswered.add(n)
        return None

    def _read_status(self) -> PrinterStatus:
        self._open()
        with self._translate("asking the status"):
            printer = self._ask(STATUS_PRINTER)
            if printer is None:
                return PrinterStatus(online=not self.require_status, paper="unknown", detail=NO_ANSWER)
            online = not printer & OFFLINE
            sensor = self._ask(STATUS_PAPER)
            if sensor is None:
                paper = "unknown"
            elif sensor & PAPER_END:
                paper = "out"
            elif sensor & PAPER_NEAR_END:
                paper = "low"
            else:
                paper = "ok"
            cover_open = jammed = False
            details: list[str] = []
            if not online:
                cause = self._ask(STATUS_OFFLINE_CAUSE) or 0
                cover_open = bool(cause & COVER_OPEN)
                if cause & STOPPED_AT_PAPER_END:
                    paper = "out"
                if cause & ERROR_OCCURRED:
                    error = self._ask(STATUS_ERROR_CAUSE) or 0
                    jammed = bool(error & (MECHANICAL_ERROR | CUTTER_ERROR))
                    if error & CUTTER_ERROR:
                        details.append("auto-cutter error")
                    if error & MECHANICAL_ERROR:
                        details.append("mechanical error")
                    if error & UNRECOVERABLE:
                        details.append("unrecoverable error")
                    if error & HEAD_HOT:
                        details.append("print head too hot")
                    if not error:
                        details.append("error")
        return PrinterStatus(
            online=online, paper=paper, cover_open=cover_open, detail=", ".join(details), jammed=jammed
        )

    def _raise_for(self, status: PrinterStatus, when: str) -> None:
        """Raise the error for the first problem in ``status``; most specific cause first."""
        where = f"{self.name} {when}"
        if status.cover_open:
            raise CoverOpen(f"{where}: cover open")
        if status.paper == "out":
            raise PaperOut(f"{where}: paper out")
        if status.jammed:
            raise PaperJam(f"{where}: {status.detail or 'paper jam'}")
        if status.detail == NO_ANSWER and self.require_status:
            raise PrintTimeout(f"{where}: {NO_ANSWER}")
        if not status.online:
            if status.detail:
                raise PrinterError(f"{where}: {status.detail}")
            raise PrinterOffline(f"{where}: printer reports offline")

    def _wait_for_paper(self, dots: int) -> None:
        """Wait until ``dots`` rows of paper have come out, stopping early on a problem."""
        deadline = self._clock() + dots / (DOTS_PER_MM * self.speed_mm_s)
        while (left := deadline - self._clock()) > 0:
            self._sleep(min(POLL_S, left))
            status = self._read_status()
            if status.detail == NO_ANSWER:
                continue  # busy printers may not answer mid-slip; the final check decides
            self._raise_for(status, "while printing")

    @contextlib.contextmanager
    def _translate(self, doing: str, *, ask_cause: bool = False) -> Iterator[None]:
        """Turn connection and python-escpos failures into PrinterError subclasses."""
        try:
            yield
        except PrinterError:
            raise
        except BaseException as exc:
            error = _printer_error(exc, f"{self.name} {doing}")
            if error is None:
                raise  # not a printer problem: a bug, let it fail loudly
            status = None
            if isinstance(error, PrintTimeout) and ask_cause:
                # A printer that stops taking data usually stopped for a reason
                # it will tell (paper end, cover): report that instead.
                try:
                    status = self._read_status()
                except PrinterError:
                    status = None
            self._drop_connection()
            if status is not None:
                self._raise_for(status, doing)
            raise error from exc


class _SerialPort(Serial):  # type: ignore[misc]  # python-escpos ships no types
    """python-escpos's serial connection, taking a status answer as soon as it is in.

    python-escpos reads 16 bytes, so pyserial would wait out its whole timeout
    for every one-byte status answer.
    """

    def query_status(self, mode: bytes) -> bytes:
        self.device.reset_input_buffer()  # a late answer to an earlier question is not this one's
        answer: bytes = super().query_status(mode)
        return answer

    def _read(self) -> bytes:
        first = self.device.read(1)  # waits up to the port's timeout
        return first + self.device.read(self.device.in_waiting) if first else b""


def _printer_error(exc: BaseException, where: str) -> PrinterError | None:
    """The PrinterError for a connection failure, or None if ``exc`` is not one."""
    if _is_timeout(exc):
        return PrintTimeout(f"{where}: timed out ({exc})")
    if isinstance(exc, escpos_errors.DeviceNotFoundError):
        return PrinterOffline(f"{where}: {exc}")
    # pyserial and pyusb are optional; if they are not imported, their errors cannot occur.
    serial = sys.modules.get("serial")
    usb_core = sys.modules.get("usb.core")
    if serial is not None and isinstance(exc, getattr(serial, "SerialException", ())):
        return PrinterOffline(f"{where}: serial port error ({exc})")
    if usb_core is not None and isinstance(exc, getattr(usb_core, "USBError", ())):
        return PrinterOffline(f"{where}: USB error ({exc})")
    if isinstance(exc, OSError):
        return PrinterOffline(f"{where}: {exc}")
    if isinstance(exc, escpos_errors.Error):
        return PrinterError(f"{where}: {exc}")
    return None


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError):
        return True
    serial = sys.modules.get("serial")
    if serial is not None and isinstance(exc, getattr(serial, "SerialTimeoutException", ())):
        return True
    usb_core = sys.modules.get("usb.core")
    return usb_core is not None and isinstance(exc, getattr(usb_core, "USBTimeoutError", ()))


def _as_bitmap(image: Image.Image, width_dots: int) -> Image.Image:
    if image.width > width_dots:
        raise ValueError(f"image is {image.width} dots wide; the paper takes {width_dots}")
    if image.width < 1 or image.height < 1:
        raise ValueError(f"image is empty ({image.width}x{image.height})")
    return image if image.mode == "1" else image.convert("1")


def _tell_paper_width(connection: Escpos) -> None:
    """Give a profile that does not know its paper width our 384 dots.

    python-escpos prints a warning on stdout for every image when the profile's
    width is "Unknown" (its default profile).  The profile data is shared by
    all connections with that profile, so this one gets its own copy.
    """
    profile = connection.profile
    media = profile.profile_data.get("media", {})
    if isinstance(media.get("width", {}).get("pixels"), int):
        return
    data = copy.deepcopy(profile.profile_data)
    data.setdefault("media", {})["width"] = {"mm": 58, "pixels": WIDTH_DOTS}
    profile.profile_data = data  # instance attribute shadows the shared class data
