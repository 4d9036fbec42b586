"""The services' messages reach the journal with their priority on the appliance, and stay plain on a laptop.

On the Pi the kiosk and the ledger service run under systemd, whose journal
reads each stderr line's "<N>" prefix as its priority: a companion's
technician runs ``journalctl -u booth-kiosk -p warning`` and sees that the
self-test page did not print because the paper ran out, without the routine.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from booth.hardware.devices import open_devices
from booth.hardware.printer import PaperOut
from booth.kiosk.station import Station
from booth.logs import PRIORITIES, setup_logging, under_journald

FINGERPRINT = "7f3a91c20b4e5d6f" * 4


class _Booth:
    """The calls a self-test makes of the core (no election loaded: the page prints UTC)."""

    def __init__(self) -> None:
        self.recorded: dict[str, str] | None = None

    def whoami(self, token: str) -> dict:
        return {"id": "PT-02", "name": "RIZKY PRATAMA", "role": "teknisi"}

    def device_fingerprint(self) -> str:
        return FINGERPRINT

    def status(self) -> dict:
        return {"election_short_id": None}

    def record_self_test(self, token: str, results: dict[str, str]) -> None:
        self.recorded = results


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _journal_file(tmp_path: Path):
    f = open(tmp_path / "journal-stream", "w+", encoding="utf-8")  # noqa: SIM115 -- closed by the test
    st = os.fstat(f.fileno())
    return f, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}


def _self_test_with_the_paper_running_out() -> dict[str, str]:
    devices = open_devices(None)
    try:
        devices.printer.paper_out_after(1)  # ready when asked, out of paper a millimetre into the page
        booth = _Booth()
        results = Station(booth, devices).self_test("token", now=dt.datetime(2025, 11, 16, 6, 20, tzinfo=dt.UTC))
        assert booth.recorded == results
        return results
    finally:
        devices.close()


def test_under_systemd_a_printer_failure_reaches_the_journal_as_a_warning(tmp_path, restore_logging):
    stream, environ = _journal_file(tmp_path)
    with stream:
        assert under_journald(stream, environ)
        setup_logging(stream=stream, environ=environ)
        results = _self_test_with_the_paper_running_out()
        stream.flush()
        lines = (tmp_path / "journal-stream").read_text(encoding="utf-8").splitlines()
    assert results["printer"] == "failed: PaperOut"
    assert "<6>booth.kiosk.station: printing the self_test" in lines
    warnings = [line for line in lines if line.startswith(f"<{PRIORITIES[logging.WARNING]}>")]
    assert len(warnings) == 1 and warnings[0].startswith("<4>booth.kiosk.station: the self_test did not print")
    assert warnings[0].endswith("(PaperOut)")


def test_on_a_laptop_the_same_messages_are_plain_text(tmp_path, restore_logging):
    stream = open(tmp_path / "stderr", "w+", encoding="utf-8")  # noqa: SIM115 -- closed below
    with stream:
        # a child whose stderr went elsewhere inherits JOURNAL_STREAM but not the journal's stream
        inherited = {"JOURNAL_STREAM": "1:1"}
        assert not under_journald(stream, inherited) and not under_journald(stream, {})
        setup_logging(stream=stream, environ=inherited)
        setup_logging(stream=stream, environ=inherited)  # a second call replaces the first handler
        _self_test_with_the_paper_running_out()
        stream.flush()
        text = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert "WARNING booth.kiosk.station: the self_test did not print" in text
    assert text.count("did not print") == 1
    assert "<4>" not in text


def test_a_slip_print_is_not_a_line_in_the_journal_but_its_failure_is(tmp_path, restore_logging):
    """One line per voter would put the rhythm of the day in the journal; a failure must be there."""
    stream, environ = _journal_file(tmp_path)
    with stream:
        setup_logging(stream=stream, environ=environ)
        devices = open_devices(None)
        try:
            station = Station(_Booth(), devices)
            image = Image.new("1", (384, 200), 1)
            station._print("slip", image)
            devices.printer.paper_out_after(0)
            with pytest.raises(PaperOut):
                station._print("slip", image)
        finally:
            devices.close()
        stream.flush()
        lines = (tmp_path / "journal-stream").read_text(encoding="utf-8").splitlines()
    assert not any("printing the slip" in line for line in lines)
    assert [line[:3] for line in lines if "slip did not print" in line] == ["<4>"]


def test_the_ledger_service_started_by_systemd_speaks_to_the_journal(tmp_path):
    """The real command: its stderr is the journal's stream, as systemd hands it over."""
    stream, environ = _journal_file(tmp_path)
    env = {**os.environ, **environ}
    with stream:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "booth",
                "service",
                "ledger",
                "--state",
                str(tmp_path / "state"),
                "--socket",
                str(tmp_path / "ledger.sock"),
                "--init",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stream,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (tmp_path / "ledger.sock").exists():
                time.sleep(0.2)
            assert (tmp_path / "ledger.sock").exists()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        said = (tmp_path / "journal-stream").read_text(encoding="utf-8")
    assert "<4>booth.api: melayani pengguna ini saja / serving only this user" in said


def test_the_examples_in_the_logging_module_hold():
    import doctest

    from booth import logs

    assert doctest.testmod(logs).failed == 0
