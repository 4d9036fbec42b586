"""The thermal printer: booth's real ESC/POS driver, on the simulated printer and on fakes."""

import random
import sys
from pathlib import Path

# booth_sim lives in hw-sim/; make this checkout's copy win over any other install.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hw-sim"))

import pytest
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from booth.hardware.escpos_printer import EscposPrinter
from booth.hardware.printer import (
    CoverOpen,
    PaperJam,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrintTimeout,
)
from booth_sim.escpos_decode import Cut, Raster, decode, decode_image
from booth_sim.escpos_decode import stack as stack_images
from booth_sim.printer import SimPrinter


def slip(height=400, width=384, seed=1):
    """A 1-bit test pattern standing in for a struk audit."""
    rng = random.Random(seed)
    return Image.frombytes("1", (width, height), rng.randbytes(((width + 7) // 8) * height))


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and a.convert("1").tobytes() == b.convert("1").tobytes()


# --- what goes on the paper is what booth laid out ------------------------------------


@st.composite
def one_bit_images(draw):
    width = draw(st.integers(1, 384))
    height = draw(st.integers(1, 700))  # crosses the 256-row fragments
    kind = draw(st.sampled_from(["noise", "noise", "black", "white", "sparse"]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    if kind in ("black", "white"):
        return Image.new("1", (width, height), 0 if kind == "black" else 1)
    row_bytes = (width + 7) // 8
    data = bytearray(rng.randbytes(row_bytes * height))
    if kind == "sparse":  # mostly white, like a real slip
        data = bytearray(b | rng.choice((0xFF, 0xFF, 0xFF, 0xF7)) for b in data)
    return Image.frombytes("1", (width, height), bytes(data))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_bit_images())
def test_the_drivers_escpos_bytes_decode_back_to_exactly_the_image(image):
    printer = SimPrinter()
    printer.print_image(image)

    decoded = decode_image(printer.last_job_bytes)
    w, h = image.size
    padded = (w + 7) // 8 * 8  # GS v 0 counts whole bytes per row
    assert decoded.size == (padded, h)
    assert same_pixels(decoded.crop((0, 0, w, h)), image)
    if padded > w:
        assert decoded.crop((w, 0, padded, h)).getextrema() == (255, 255)  # padding is unprinted
    assert len(printer.printed) == 1 and same_pixels(printer.printed[0], decoded)


def test_a_long_slip_goes_in_fragments_the_printer_buffer_can_take():
    printer = SimPrinter(fragment_height=256)
    image = slip(height=1000)
    printer.print_image(image)

    rasters = [c for c in decode(printer.last_job_bytes) if isinstance(c, Raster)]
    assert [r.image.height for r in rasters] == [256, 256, 256, 232]
    assert same_pixels(printer.printed[0], image)


def test_slips_are_kept_in_print_order_and_use_up_the_roll():
    printer = SimPrinter(roll_mm=1000, feed_mm=12)
    first, second = slip(seed=1), slip(seed=2)
    printer.print_image(first)
    printer.print_image(second)

    assert [same_pixels(p, i) for p, i in zip(printer.printed, (first, second), strict=False)] == [True, True]
    assert printer.paper_left_mm == 1000 - 2 * (400 / 8 + 12)


def test_a_printer_with_a_cutter_cuts_after_each_slip_and_one_without_does_not():
    printer = SimPrinter(cutter=True)
    printer.print_image(slip(height=80))
    paper_commands = [c for c in decode(printer.last_job_bytes) if isinstance(c, (Raster, Cut))]
    assert [type(c) for c in paper_commands] == [Raster, Cut]
    tear_off = SimPrinter(cutter=False)
    tear_off.print_image(slip(height=80))
    assert not any(isinstance(c, Cut) for c in decode(tear_off.last_job_bytes))


def test_an_image_wider_than_the_paper_is_refused_before_printing():
    printer = SimPrinter()
    with pytest.raises(ValueError, match="385 dots wide"):
        printer.print_image(Image.new("1", (385, 10), 1))
    assert printer.bytes_sent == b""


# --- paper, jams, cover, cable ----------------------------------------------------------------


def test_paper_running_out_mid_slip_raises_paper_out_and_the_slip_is_not_counted():
    printer = SimPrinter()
    printer.print_image(slip(seed=1))
    printer.paper_out_after(20)  # 20 mm left; the slip needs 50 mm + feed

    with pytest.raises(PaperOut) as raised:
        printer.print_image(slip(seed=2))

    assert len(printer.printed) == 1  # only the earlier, complete slip
    assert printer.partial[-1].height == 20 * 8  # the cut-short tape, for the screen
    assert "ganti gulungan" in raised.value.message_id
    assert printer.status().paper == "out" and not printer.status().ready

    printer.load_paper()  # the companion puts in a new roll and presses Continue
    printer.print_image(slip(seed=2))
    assert len(printer.printed) == 2 and same_pixels(printer.printed[1], slip(seed=2))


def test_with_no_paper_nothing_is_sent_and_the_print_fails():
    printer = SimPrinter()
    printer.load_paper(0)
    with pytest.raises(PaperOut):
        printer.print_image(slip())
    assert not any(isinstance(c, Raster) for c in decode(printer.last_job_bytes))
    assert printer.printed == [] and printer.partial == []


def test_a_jam_raises_paper_jam_until_the_companion_clears_it():
    printer = SimPrinter()
    printer.jam_next()
    with pytest.raises(PaperJam) as raised:
        printer.print_image(slip())
    assert printer.printed == []
    assert "macet" in raised.value.message_id
    assert printer.status().jammed and not printer.status().ready

    with pytest.raises(PaperJam):  # still jammed: refused before a byte of image is sent
        printer.print_image(slip())

    printer.open_cover()
    with pytest.raises(CoverOpen):
        printer.print_image(slip())
    printer.close_cover()  # paper cleared
    printer.print_image(slip())
    assert len(printer.printed) == 1


def test_the_printer_reports_paper_near_end_then_out_in_its_status():
    printer = SimPrinter(near_end_mm=1000)
    assert printer.status().paper == "ok"

    printer.paper_out_after(500)
    status = printer.status()
    assert status.paper == "low" and status.ready  # still prints: warn the companion
    printer.print_image(slip())
    assert len(printer.printed) == 1

    printer.load_paper(0)
    status = printer.status()
    assert status.paper == "out" and not status.online and not status.ready


def test_an_offline_printer_raises_printer_offline():
    printer = SimPrinter()
    printer.set_offline()
    assert not printer.status().online
    with pytest.raises(PrinterOffline):
        printer.print_image(slip())
    printer.set_offline(False)
    printer.print_image(slip())
    assert len(printer.printed) == 1


def test_an_unplugged_printer_does_not_answer_and_nothing_is_reported_printed():
    printer = SimPrinter()
    printer.unplug()
    with pytest.raises(PrintTimeout):
        printer.print_image(slip())
    assert printer.printed == []
    printer.plug_in()
    printer.print_image(slip())
    assert len(printer.printed) == 1


def test_a_printer_that_stops_taking_data_times_out():
    printer = SimPrinter()
    printer.stall_next()
    with pytest.raises(PrintTimeout):
        printer.print_image(slip())
    assert printer.printed == []
    printer.print_image(slip())  # the next slip goes through on a fresh start
    assert len(printer.printed) == 1


# --- the real driver against fake connections ---------------------------------------------------


class FakeConnection(Escpos):
    """A python-escpos connection with canned status answers and a failure on demand."""

    def __init__(self, answers=None, fail_on=None, error=None):
        super().__init__(profile="POS-5890")
        self.answers = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12, **(answers or {})}
        self.fail_on, self.error = fail_on, error
        self.sent, self._reply = [], b""

    def _raw(self, msg):
        if self.fail_on is not None and msg.startswith(self.fail_on):
            raise self.error
        self.sent.append(msg)
        if msg[:2] == b"\x10\x04":
            self._reply = bytes([self.answers[msg[2]]])

    def _read(self):
        reply, self._reply = self._reply, b""
        return reply


def driver(connection, **options):
    clock = [0.0]
    return EscposPrinter(
        connection, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s), **options
    )


def timeout_errors():
    errors = [TimeoutError("write timeout")]
    try:
        import serial  # pyserial, what python-escpos's Serial uses on the Pi
    except ImportError:
        pass
    else:
        errors.append(serial.SerialTimeoutException("Write timeout"))
    return errors


@pytest.mark.parametrize("error", timeout_errors(), ids=lambda e: type(e).__name__)
def test_a_serial_write_timeout_maps_to_print_timeout(error):
    connection = FakeConnection(fail_on=b"\x1dv0", error=error)  # times out on the image data
    printer = driver(connection)

    with pytest.raises(PrintTimeout) as raised:
        printer.print_image(slip(height=40))

    assert raised.value.__cause__ is error
    assert "tidak menjawab" in raised.value.message_id


def test_a_timeout_caused_by_the_cover_is_reported_as_the_cover():
    connection = FakeConnection(fail_on=b"\x1dv0", error=TimeoutError("write timeout"))
    printer = driver(connection)
    connection.answers.update({1: 0x1A, 2: 0x16})  # offline; cause: cover open
    connection.fail_on = b"\x1dv0"
    with pytest.raises(CoverOpen):
        printer.print_image(slip(height=40))


def test_status_bytes_from_a_real_printer_are_read_as_a_person_would_say_them():
    assert driver(FakeConnection()).status().paper == "ok"
    assert driver(FakeConnection({4: 0x1E})).status().paper == "low"  # near-end sensor
    out = driver(FakeConnection({1: 0x1A, 2: 0x32, 4: 0x7E})).status()
    assert out.paper == "out" and not out.online
    cover = driver(FakeConnection({1: 0x1A, 2: 0x16})).status()
    assert cover.cover_open and not cover.ready
    jam = driver(FakeConnection({1: 0x1A, 2: 0x52, 3: 0x1A})).status()
    assert jam.jammed and "auto-cutter" in jam.detail


def test_a_printer_that_never_answers_status_is_not_trusted_unless_configured():
    class Mute(FakeConnection):
        def _read(self):
            return b""

    with pytest.raises(PrintTimeout):
        driver(Mute()).print_image(slip(height=40))
    printer = driver(Mute(), require_status=False)
    assert printer.status().paper == "unknown" and printer.status().ready
    printer.print_image(slip(height=40))  # a printer that cannot report: trusted, as configured


def test_a_port_that_cannot_be_opened_is_printer_offline():
    class Missing(FakeConnection):
        def open(self):
            raise DeviceNotFoundError("Unable to open serial printer on /dev/serial0")

    printer = driver(Missing())
    assert not printer.status().online
    with pytest.raises(PrinterOffline) as raised:
        printer.print_image(slip(height=40))
    assert isinstance(raised.value, PrinterError) and "/dev/serial0" in str(raised.value)


def test_a_bug_in_the_connection_is_not_disguised_as_a_printer_problem():
    printer = driver(FakeConnection(fail_on=b"\x1dv0", error=KeyError("oops")))
    with pytest.raises(KeyError):
        printer.print_image(slip(height=40))


# --- the real serial connection (pyserial) on a pseudo-terminal standing in for the cable ------


@pytest.fixture
def serial_line():
    """A pty pair: booth opens the slave as its serial port; the test holds the printer's end."""
    pytest.importorskip("serial")  # pyserial: python-escpos[serial], installed on the appliance
    import os
    import tty

    printer_end, booth_end = os.openpty()
    tty.setraw(printer_end)
    tty.setraw(booth_end)
    yield printer_end, os.ttyname(booth_end)
    os.close(printer_end)
    os.close(booth_end)


def test_the_serial_driver_prints_and_reads_status_over_a_real_serial_port(serial_line):
    import os
    import select
    import threading

    from booth_sim.escpos_decode import Decoder, StatusRequest

    printer_end, port = serial_line
    received, paper = [], {"sensor": 0x12}

    stop = threading.Event()

    def printer():  # answers status requests, collects the image
        decoder = Decoder()
        while not stop.is_set():
            # Poll rather than block: the thread must end before the fixture closes the
            # descriptor, or a later test's pty reusing its number would be answered by it.
            ready, _, _ = select.select([printer_end], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(printer_end, 4096)
            except OSError:
                return
            for command in decoder.feed(data):
                if isinstance(command, StatusRequest):
                    os.write(printer_end, bytes([paper["sensor"] if command.n == 4 else 0x12]))
                elif isinstance(command, Raster):
                    received.append(command.image)

    answering = threading.Thread(target=printer, daemon=True)
    answering.start()
    try:
        booth_printer = EscposPrinter.over_serial(port, 115200, speed_mm_s=500)
        image = slip(height=300)
        booth_printer.print_image(image)
        assert same_pixels(stack_images(received), image)

        paper["sensor"] = 0x7E  # the printer's paper-end sensor: no paper
        with pytest.raises(PaperOut):
            booth_printer.print_image(image)
        booth_printer.close()
    finally:
        stop.set()
        answering.join(timeout=5)


def test_a_real_serial_write_timeout_is_print_timeout(serial_line):
    _, port = serial_line  # nobody reads the printer's end: the line fills up and stalls
    booth_printer = EscposPrinter.over_serial(port, 115200, timeout_s=0.3, require_status=False)
    with pytest.raises(PrintTimeout) as raised:
        booth_printer.print_image(slip(height=2000))
    assert type(raised.value.__cause__).__name__ == "SerialTimeoutException"
    booth_printer.close()
