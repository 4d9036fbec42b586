"""The station results report the desk prints (issue #12 item 5): read back as a witness would.

The evening of a station of three booths (booth 1: 12 votes, booth 2: 12, booth 3: 2 and a
voter who walked away): the desk collects the closings and prints one report.  A witness's phone
scans its QR parts and checks them against the desk's key; a booth with few voters shows no
tally of its own; the printed numbers are the ones the station bundle holds.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as hs

from booth import qr_parts
from booth.hardware.devices import open_devices
from booth.kiosk.printouts import station_report_image
from booth.kiosk.station import Station
from booth.paper import PAPER_80, render_station_report
from booth.paper.layout import MARGIN, WIDTH
from booth.station.bundle import RESULTS, verify_station, write_station_bundle
from booth.station.results_qr import StationQrError, open_qr_text, qr_text, read_qr_text
from station_day import cloned_station
from test_paper import cell_digits, needs_ocr, ocr, region, squash
from test_station_bundle import close_and_export, day


@pytest.fixture(scope="module")
def evening(tmp_path_factory):
    root = tmp_path_factory.mktemp("station-report")
    st = cloned_station(root / "devices", booths=3)
    day(st)
    parts = close_and_export(st, root / "exports")
    desk_key = st.desk.svc.ledger.key.verifier_key()
    booth_key = st.booths[1].svc.ledger.key.verifier_key()
    data = st.desk.svc.results()
    kiosk = Station(st.desk.svc, open_devices(None))  # the desk's kiosk, its simulated printer
    printed = kiosk.print_station_results(st.token(), parts["summary"])
    copies = (data["copies_printed"], st.desk.svc.results()["copies_printed"])
    st.close()
    bundle = write_station_bundle(
        root / "STATION.zip", desk=parts["desk"], booths=parts["booths"], results=parts["results"]
    )
    return {
        "summary": parts["summary"],
        "image": station_report_image(data, parts["summary"]),
        "data": data,
        "desk_key": desk_key,
        "booth_key": booth_key,
        "bundle": bundle,
        "kiosk": (printed, kiosk.printouts, copies),
    }


def scanned(image) -> str:
    """What the witness app gets: every QR part on the paper, joined."""
    found = [r.text for r in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)]
    assert found, "no QR code read"
    return qr_parts.join(found)


def test_the_reports_qr_is_the_desks_signed_station_results_and_verifies_against_the_desk_key(evening):
    text = scanned(evening["image"])
    assert read_qr_text(text) == evening["summary"]["document"]  # the very bytes of station-results.json
    body = open_qr_text(text, evening["desk_key"])
    assert body["tally"] == evening["summary"]["tally"] and body["votes"] == 26
    with pytest.raises(StationQrError, match="not signed by this desk"):
        open_qr_text(text, evening["booth_key"])


def test_a_changed_figure_in_the_qr_text_is_refused(evening):
    text = scanned(evening["image"])
    forged = text.replace("t 1=13 2=6 3=7", "t 1=14 2=6 3=7")
    assert forged != text
    with pytest.raises(StationQrError, match="not signed by this desk"):
        open_qr_text(forged, evening["desk_key"])
    with pytest.raises(StationQrError):
        read_qr_text(text.replace("\nb 1\n", "\nb yes\n"))


def test_the_qr_text_is_the_same_document_as_the_bundles(evening):
    with zipfile.ZipFile(evening["bundle"]) as z:
        in_bundle = z.read(RESULTS).decode()
    assert read_qr_text(qr_text(in_bundle)) == in_bundle
    assert verify_station(evening["bundle"]).ok


@needs_ocr
def test_a_small_booth_is_printed_only_merged_into_the_total(evening):
    image, summary = evening["image"], evening["summary"]
    assert summary["merged"] == [1, 3]  # booth 3 (2 votes) and, so that it cannot be subtracted, booth 1
    for n in (1, 3):
        read = squash(ocr(region(image, f"booth-{n}")))
        assert "HANYADALAMJUMLAHTPS" in read
        assert "SUPARNO" not in read and "SITIRAHMAWATI" not in read  # no candidate row at all
    shown = squash(ocr(region(image, "booth-2")))
    assert "SUPARNO" in shown and "HANYADALAMJUMLAHTPS" not in shown


@needs_ocr
def test_the_printed_releases_are_the_bundles(evening):
    with zipfile.ZipFile(evening["bundle"]) as z:
        signed = json.loads(z.read(RESULTS))["body"]["booths"]
    for n in ("1", "2", "3"):
        for what in ("issued", "cast", "cancelled", "spoils"):
            printed = cell_digits(evening["image"], f"booth-{n}-{what}", WIDTH - MARGIN - 84, WIDTH)
            assert printed == str(signed[n]["releases"][what]), (n, what, printed)


def test_the_station_total_and_each_shown_booth_are_the_summarys(evening, monkeypatch):
    data = _data(evening, monkeypatch)
    assert {str(c.number): c.votes for c in data.results} == evening["summary"]["tally"]
    shown = {b.number: b for b in data.booths if b.results is not None}
    assert list(shown) == [2]
    assert {str(c.number): c.votes for c in shown[2].results} == evening["summary"]["booths"][2]["tally"]


def test_a_booth_whose_releases_do_not_add_up_prints_tidak_sesuai(evening, monkeypatch):
    data = _data(evening, monkeypatch)
    broken = dataclasses.replace(data.booths[1], issued=data.booths[1].issued + 1, balanced=False)
    image = render_station_report(
        dataclasses.replace(data, booths=(data.booths[0], broken, data.booths[2]), balanced=False)
    )
    verdict = region(image, "verdict")
    good = region(evening["image"], "verdict")
    assert verdict.tobytes() != good.tobytes()  # SESUAI and TIDAK SESUAI are not the same print


def test_the_report_prints_on_80_mm_paper_too(evening):
    image = station_report_image(evening["data"], evening["summary"], paper=PAPER_80)
    assert image.width == PAPER_80.width
    assert read_qr_text(scanned(image)) == evening["summary"]["document"]


def _data(evening, monkeypatch):
    """The report's data, as the kiosk's printouts builds it (caught on its way to the renderer)."""
    import booth.kiosk.printouts as printouts

    seen = []
    real = printouts.render_station_report
    monkeypatch.setattr(printouts, "render_station_report", lambda data, paper: seen.append(data) or real(data, paper))
    station_report_image(evening["data"], evening["summary"])
    return seen[0]


def test_the_station_qr_texts_examples_run():
    import doctest

    from booth.station import results_qr

    assert doctest.testmod(results_qr).failed == 0


def _signed(body: dict, key) -> str:
    import base64

    from booth.ledger.canonical import canonical
    from booth.ledger.station_log import station_message

    return canonical(
        {"body": body, "sig": base64.b64encode(key.sign(station_message("results", body))).decode()}
    ).decode()


_hex64 = hs.binary(min_size=32, max_size=32).map(bytes.hex)
_tally = hs.dictionaries(hs.sampled_from(["1", "2", "3", "4", "5", "blank"]), hs.integers(0, 800), max_size=6)
_booth = hs.fixed_dictionaries(
    {
        "fingerprint": _hex64,
        "statement": _hex64,
        "releases": hs.fixed_dictionaries(
            {k: hs.integers(0, 800) for k in ("issued", "cast", "cancelled", "out", "spoils", "after_cancel")}
        ),
        "tally": hs.none() | _tally,
    }
)
_bodies = hs.fixed_dictionaries(
    {
        "balanced": hs.booleans(),
        "booths": hs.dictionaries(hs.integers(1, 6).map(str), _booth, min_size=1, max_size=6),
        "desk": _hex64,
        "election": _hex64,
        "merged": hs.lists(hs.integers(1, 6), max_size=6),
        "tally": _tally,
        "votes": hs.integers(0, 4800),
    }
)


@settings(max_examples=150, deadline=None)
@given(_bodies)
def test_any_station_results_document_reads_back_from_its_qr_text_byte_for_byte(body):
    from booth.ledger.keys import DeviceKey

    key = DeviceKey(Ed25519PrivateKey.generate())
    document = _signed(body, key)
    text = qr_text(document)
    assert read_qr_text(text) == document
    assert open_qr_text(text, key.verifier_key()) == body


def test_six_booths_of_five_candidates_fit_three_codes_on_58_mm():
    from booth.ledger.keys import DeviceKey
    from booth.paper.layout import PAPER_58
    from booth.paper.qr import MAX_PARTS, plan

    five = {str(c): 100 + 37 * c for c in range(1, 6)}
    row = {
        "fingerprint": "ab" * 32,
        "statement": "cd" * 32,
        "releases": {"issued": 560, "cast": 555, "cancelled": 5, "out": 0, "spoils": 3, "after_cancel": 0},
        "tally": five,
    }
    body = {
        "balanced": True,
        "booths": {str(n): row for n in range(1, 7)},
        "desk": "ef" * 32,
        "election": "01" * 32,
        "merged": [],
        "tally": {k: 6 * v for k, v in five.items()},
        "votes": 6 * sum(five.values()),
    }
    text = qr_text(_signed(body, DeviceKey(Ed25519PrivateKey.generate())))
    assert len(plan(text, PAPER_58).parts) <= MAX_PARTS  # QrTooLong if not


def test_the_desks_kiosk_prints_the_station_report_as_another_copy(evening):
    outcome, printouts, (before, after) = evening["kiosk"]
    assert outcome.ok and [p.kind for p in printouts] == ["station_report"]
    assert after == before + 1  # recorded as printed, like the results report
    assert read_qr_text(scanned(printouts[0].image)) == evening["summary"]["document"]
