"""Every printed item tells time the way the room does: WIB, WITA or WIT, never bare UTC.

The self-test page at installation used to say the UTC time; a ketua in
Pringsewu compares it with the wall clock, so it now prints in the election's
zone like the zero report, the results report and the custody slip.
"""

from __future__ import annotations

import datetime as dt

import pytest

from booth.hardware.devices import open_devices
from booth.kiosk import printouts
from booth.kiosk.station import Station
from booth.paper.layout import jam
from tests.test_paper import needs_ocr, ocr, squash

WITA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def installing(service_booth):
    booth = service_booth("handed_over")
    devices = open_devices(None)
    yield booth, Station(booth.svc, devices), booth.sign_in()
    devices.close()


def _printed_line(page) -> str:
    """OCR of the lines just above the test page's end: "Dicetak / Printed ... 07:12 WIB"."""
    return ocr(page.crop((0, page.height - 120, page.width, page.height)))


@needs_ocr
def test_the_self_test_page_at_installation_prints_the_elections_zone(installing):
    booth, station, token = installing
    zone = printouts.zone_of(booth.svc.election_info())
    now = booth.clock.now()
    station.self_test(token, now=now)
    (page,) = [p.image for p in station.printouts if p.kind == "self_test"]
    local = jam(now.astimezone(zone))  # e.g. "09:12 WIB"
    assert local.split()[1] in ("WIB", "WITA", "WIT")
    assert squash(local) in squash(_printed_line(page)), _printed_line(page)
    assert "UTC" not in squash(_printed_line(page))


@needs_ocr
def test_a_self_test_before_any_election_is_loaded_says_utc_not_a_bare_time():
    now = dt.datetime(2025, 11, 10, 2, 5, tzinfo=dt.UTC)
    page = printouts.self_test_image({"printer": "ok"}, "ab" * 32, now)
    assert "0205UTC" in squash(_printed_line(page))


@needs_ocr
def test_the_self_test_page_in_a_wita_election_says_wita():
    now = dt.datetime(2025, 11, 16, 0, 30, tzinfo=dt.UTC)
    page = printouts.self_test_image({"printer": "ok"}, "ab" * 32, now, zone=WITA)
    assert "0830WITA" in squash(_printed_line(page))
