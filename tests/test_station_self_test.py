"""The hardware self-test at installation: a device that fails is named as failed, never "ok".

The technician installs the booth in the polling place and runs the self-test
(``Station.self_test``): the printer's status and a test page, a test picture,
the lights and buzzer, the clock and the UPS.  Each scenario below breaks one
thing on the simulated booth and checks what the technician is told, what the
test page says (it is only printed when the printer can print it) and what the
ledger records, so a self-test that always says "ok" fails here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from booth.hardware.devices import open_devices
from booth.kiosk.station import Station

ALL_OK = {"printer": "ok", "camera": "ok", "lights": "ok", "buzzer": "ok", "clock": "ok", "power": "ok"}


@pytest.fixture
def installing(service_booth):
    """A booth handed over to the KPPS, its devices simulated, the ketua signed in."""
    booth = service_booth("handed_over")
    devices = open_devices(None)
    station = Station(booth.svc, devices)
    yield booth, station, devices, booth.sign_in()
    devices.close()


def recorded(booth) -> list[dict]:
    return [e.payload["results"] for e in booth.svc.ledger.entries() if e.type == "hardware.self_test"]


def test_a_healthy_booth_passes_and_prints_its_test_page(installing):
    booth, station, devices, token = installing
    results = station.self_test(token, now=booth.clock.now())
    assert results == ALL_OK
    assert [p.kind for p in station.printouts] == ["self_test"]
    assert devices.camera.captures == 1  # a real test picture was taken
    assert recorded(booth) == [ALL_OK]


@pytest.mark.parametrize(
    "fault, printer_says",
    [
        (lambda p: p.load_paper(0), "not ready: paper out"),
        (lambda p: p.open_cover(), "not ready: paper"),
        (lambda p: p.set_offline(), "not ready: paper"),
    ],
)
def test_a_printer_that_cannot_print_is_named_and_no_page_is_attempted(installing, fault, printer_says):
    booth, station, devices, token = installing
    fault(devices.printer)
    results = station.self_test(token, now=booth.clock.now())
    assert results["printer"].startswith(printer_says), results
    assert results["printer"] != "ok"
    assert station.printouts == []  # no test page on a printer that said it is not ready
    assert recorded(booth) == [results]


def test_a_jam_while_printing_the_test_page_is_reported_as_a_printer_failure(installing):
    booth, station, devices, token = installing
    devices.printer.jam_next()
    results = station.self_test(token, now=booth.clock.now())
    assert results["printer"] == "failed: PaperJam"
    assert recorded(booth) == [results]


def test_a_camera_that_fails_is_named_and_the_rest_still_tested(installing):
    booth, station, devices, token = installing
    devices.camera.fail_always()
    results = station.self_test(token, now=booth.clock.now())
    assert results["camera"] == "failed: CameraError"
    assert {k: v for k, v in results.items() if k != "camera"} == {k: v for k, v in ALL_OK.items() if k != "camera"}
    assert [p.kind for p in station.printouts] == ["self_test"]  # the page says the camera failed
    assert recorded(booth) == [results]


def test_a_camera_that_answers_with_something_that_is_not_a_jpeg_is_a_bad_image(installing, monkeypatch):
    booth, station, devices, token = installing
    monkeypatch.setattr(devices.camera, "capture_jpeg", lambda: b"\x89PNG\r\n\x1a\n" + bytes(64))
    results = station.self_test(token, now=booth.clock.now())
    assert results["camera"] == "bad image"


def test_a_clock_that_lost_its_date_is_named(installing):
    booth, station, devices, token = installing
    results = station.self_test(token, now=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert results["clock"] == "wrong date 2000-01-01"
    assert recorded(booth)[-1]["clock"] == "wrong date 2000-01-01"


@pytest.mark.parametrize(
    "cut, power_says",
    [
        (lambda ups: ups.cut(), "battery"),
        (lambda ups: (ups.cut(), ups.low_battery()), "low_battery"),
    ],
)
def test_a_booth_on_its_battery_says_so(installing, cut, power_says):
    booth, station, devices, token = installing
    cut(devices.power)
    results = station.self_test(token, now=booth.clock.now())
    assert results["power"] == power_says
    assert recorded(booth)[-1]["power"] == power_says


def test_the_installation_step_carries_the_failing_results(installing):
    """The custody step "installed" keeps what the self-test found, failures included."""
    booth, station, devices, token = installing
    devices.camera.fail_always()
    results = station.self_test(token, now=booth.clock.now())
    booth.svc.record_custody("installed", token=token, place="Balai Pekon", self_test=results)
    installed = [e for e in booth.svc.ledger.entries() if e.type == "custody.installed"][-1]
    assert installed.payload["self_test"]["camera"] == "failed: CameraError"
