"""A booth replaced mid-day: both its devices' closings enter the station's results and bundle.

The scenario (issue #12, docs/station.md "A booth replaced mid-day"): booth 2's screen breaks at
half past ten after five voters.  The ketua closes its polls early with the reason, counts, prints
its results and exports its ledger; a spare is walked through custody, paired as booth 2 (the
desk logs whose key it replaces), prints its own zero report and serves the rest of the day.  In
the evening the desk collects three closings for two numbers, and the district verifies one
station bundle holding both booth 2s.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from booth.errors import BoothError
from booth.service import BoothService
from booth.station.bundle import booth_member, read_manifest, verify_station, write_station_bundle
from service_day import KETUA, Booth, closes_at, demo_package, walk_custody
from station_day import STATION_SETTINGS, make_device, open_station, pair
from test_paper import needs_ocr, ocr, region, squash
from test_station_report import _booth, _hex64, _signed

VOTES = {1: ["1", "2", "1"], 2: ["3", "3", "1", "2", "3"], 3: ["2", "2"]}  # booth 2: the old device
AFTER = {1: ["1"], 2: ["1", "2", "2"], 3: ["3"]}  # booth 2: the spare


def closing(device, folder: Path, name: str, reason: str | None = None) -> tuple[str, bytes]:
    token = device.sign_in(KETUA)
    device.svc.close_polls(token, reason)
    device.svc.count(token)
    device.svc.results_printed(token)
    bundle = Path(device.svc.export(token, str(folder / f"{name}.zip"))).read_bytes()
    return device.svc.results()["statement"], bundle


@pytest.fixture(scope="module")
def replaced(tmp_path_factory):
    root = tmp_path_factory.mktemp("replaced")
    st = open_station(root / "devices", booths=3)
    voter = iter(f"DPT-{n:04d}" for n in range(1, 60))
    for booth, choices in VOTES.items():
        for choice in choices:
            st.vote(next(voter), booth=booth, choice=choice)
            st.clock.advance(30)
    again = next(voter)
    stuck = st.release(again, booth=2)  # the screen dies with this voter at the curtain
    exports = root / "exports"
    exports.mkdir()
    st.clock.advance(STATION_SETTINGS.release_timeout + 1)
    st.desk.svc.cancel_station_release(st.token(), stuck["release"], "layar bilik 2 rusak")
    old = st.booths[2]
    old_fingerprint = old.svc.ledger.key.fingerprint
    old_key = old.svc.ledger.key.verifier_key()
    old_statement, old_bundle = closing(old, exports, "booth-2-old", reason="layar rusak, diganti")
    old.close()
    spare = make_device(root / "devices" / "spare", "booth", st.clock, STATION_SETTINGS)
    walk_custody(spare)
    pair(st.desk, spare, 2)
    token = spare.sign_in(KETUA)
    spare.svc.zero_report(token)
    spare.svc.zero_report_printed(token)
    spare.svc.open_polls(token)
    st.booths[2] = spare
    st.vote(again, booth=2, choice="2")  # the voter, again
    for booth, choices in AFTER.items():
        for choice in choices:
            st.vote(next(voter), booth=booth, choice=choice)
            st.clock.advance(30)
    st.clock.set(closes_at() + dt.timedelta(minutes=1))
    closings, bundles = {}, {}
    for n, device in st.booths.items():
        closings[n], bundles[n] = closing(device, exports, f"booth-{n}")
    closings[2] = [old_statement, closings[2]]
    token = st.token()
    st.desk.svc.close_polls(token)
    summary = st.desk.svc.station_results(token, closings)
    st.desk.svc.count(token)
    st.desk.svc.results_printed(token)
    desk = Path(st.desk.svc.export(token, str(exports / "desk.zip"))).read_bytes()
    desk_data = st.desk.svc.results()
    desk_key = st.desk.svc.ledger.key.verifier_key()
    parts = {"desk": desk, "booths": bundles, "results": summary["document"], "replaced": {2: [old_bundle]}}
    st.close()
    return {
        "root": root,
        "parts": parts,
        "summary": summary,
        "old": old_fingerprint,
        "closings": closings,
        "st": st,
        "desk_data": desk_data,
        "desk_key": desk_key,
        "old_key": old_key,
    }


def choices_made() -> dict[str, int]:
    total: dict[str, int] = {}
    for choice in [*(c for v in VOTES.values() for c in v), *(c for v in AFTER.values() for c in v), "2"]:
        total[choice] = total.get(choice, 0) + 1
    return dict(sorted(total.items()))


def test_the_desk_remembers_the_replaced_booth_and_counts_both_closings_under_its_number(replaced):
    summary = replaced["summary"]
    assert summary["tally"] == choices_made() and summary["votes"] == 16
    booth2 = summary["booths"][2]
    # 5 cast at the old device + 1 cancelled when it died + 4 cast at the spare
    assert booth2["releases"]["issued"] == 10 and booth2["releases"]["cast"] == 9
    assert booth2["releases"]["cancelled"] == 1 and booth2["balanced"] and summary["balanced"]
    body = json.loads(summary["document"])["body"]
    assert body["booths"]["2"]["replaced"][0]["fingerprint"] == replaced["old"]
    assert body["booths"]["2"]["fingerprint"] != replaced["old"]
    assert "replaced" not in body["booths"]["1"]


def test_the_desk_refuses_the_results_without_the_replaced_booths_closing(replaced, tmp_path):
    st = replaced["st"]
    shutil.copytree(st.desk.state_dir, tmp_path / "desk")  # the desk as it was: the results made again
    svc = BoothService.open(tmp_path / "desk", clock=st.clock, settings=STATION_SETTINGS)
    desk = Booth(svc, st.clock, tmp_path / "desk", demo_package()[0], STATION_SETTINGS)
    try:
        closings = replaced["closings"]
        token = desk.sign_in(KETUA)
        size = svc.ledger.size
        with pytest.raises(BoothError) as err:
            svc.station_results(token, {**closings, 2: closings[2][1]})
        assert err.value.message_en == "Booth 2's results have not reached the desk"
        with pytest.raises(BoothError) as err:  # each closing is checked against its own device's key
            svc.station_results(token, {**closings, 2: list(reversed(closings[2]))})
        assert "2" in err.value.message_en
        assert svc.ledger.size == size  # nothing logged
    finally:
        desk.close()


def test_the_station_bundle_with_both_booth_2s_verifies(replaced, tmp_path):
    path = write_station_bundle(tmp_path / "station.zip", **replaced["parts"])
    report = verify_station(path)
    assert report.ok, report.problems
    assert booth_member(2, 1) == "booth-2-r1.zip" and "booth-2-r1.zip" in report.inner
    with zipfile.ZipFile(path) as z:
        assert read_manifest(z.read("station.json"))["replaced"] == {"2": 1}
    s = report.summary
    assert s["tally"] == choices_made()
    assert s["booths"][2]["releases"] == {"issued": 10, "cast": 9, "cancelled": 1, "spoils": 0}
    assert s["booths"][2]["replaced"][0]["fingerprint"] == replaced["old"]
    out = subprocess.run(
        [sys.executable, "-m", "booth", "verify", str(path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "booth-2-r1.zip: SAH / VALID" in out.stdout
    assert f"diganti / replaced: booth-2-r1.zip = perangkat sebelumnya / earlier device {replaced['old'][:16]}" in (
        out.stdout
    )


def test_a_station_bundle_leaving_out_the_replaced_booths_closing_is_refused(replaced, tmp_path):
    parts = {**replaced["parts"], "replaced": None}
    report = verify_station(write_station_bundle(tmp_path / "station.zip", **parts))
    assert not report.ok
    assert report.problems[0] == (
        "booth 2 was replaced at the desk (2 devices paired as booth 2): the closing of the replaced "
        "device (booth-2-r1.zip) is missing from the station bundle / hasil bilik 2 yang diganti tidak ada"
    )
    # the old device's closing given as the current booth 2: not the booth paired as 2 now
    old = replaced["parts"]["replaced"][2][0]
    swapped = {**replaced["parts"], "booths": {**replaced["parts"]["booths"], 2: old}, "replaced": {2: [old]}}
    report = verify_station(write_station_bundle(tmp_path / "swapped.zip", **swapped))
    assert "booth-2.zip is not the booth the desk paired as booth 2 (another station's booth?)" in report.problems


def test_the_printed_station_report_carries_the_replaced_booth_in_its_signed_qr(replaced, tmp_path):
    import zxingcpp

    from booth import qr_parts
    from booth.kiosk.printouts import station_report_image
    from booth.station.results_qr import open_qr_text, qr_text, read_qr_text

    document = replaced["summary"]["document"]
    text = qr_text(document)
    old_line = next(line for line in text.splitlines() if line.startswith("r "))
    booth_2 = next(line for line in text.splitlines() if line.startswith("2 "))
    assert text.splitlines().index(old_line) == text.splitlines().index(booth_2) + 1  # right under booth 2
    assert read_qr_text(text) == document  # the same bytes as the bundle's
    image = station_report_image(replaced["desk_data"], replaced["summary"])
    image.save(tmp_path / "station-report-replaced.png")
    regions = image.info["regions"]
    assert "booth-2-replaced-1" in regions and not any(
        r.startswith(("booth-1-replaced", "booth-3-replaced")) for r in regions
    )
    assert regions["booth-2"][0] < regions["booth-2-replaced-1"][0] < regions["booth-2-issued"][0]
    found = [r.text for r in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)]
    body = open_qr_text(qr_parts.join(found), replaced["desk_key"])
    assert body["booths"]["2"]["replaced"] == [
        {
            "fingerprint": replaced["old"],
            "statement": json.loads(document)["body"]["booths"]["2"]["replaced"][0]["statement"],
        }
    ]


@needs_ocr
def test_the_printed_report_says_which_device_booth_2_replaced(replaced):
    from booth.kiosk.printouts import station_report_image

    image = station_report_image(replaced["desk_data"], replaced["summary"])
    read = squash(ocr(region(image, "booth-2-replaced-1")))
    assert "PERANGKATSEBELUMNYADIGANTI" in read and "EARLIERDEVICEREPLACED" in read


def test_the_recap_counts_the_replaced_station_as_one_place_and_checks_the_old_device_too(replaced, tmp_path):
    from booth.recap.start import open_recap
    from recap_days import scratch, tps_package
    from test_recap_core import Clock

    data = write_station_bundle(tmp_path / "station.zip", **replaced["parts"]).read_bytes()
    for registered_elsewhere in (False, True):
        r = open_recap(
            tmp_path / f"recap-{registered_elsewhere}",
            workers=0,
            clock=Clock(dt.datetime(2025, 11, 16, 13, 30, tzinfo=dt.UTC)),
        )
        try:
            r.register_device(replaced["desk_key"], demo_package()[0], by="ketua")
            if registered_elsewhere:  # the broken booth 2 was once registered for another TPS
                r.register_device(
                    replaced["old_key"], tps_package(scratch(), pekon="Sidoharjo", tps=2, seed=7), by="ketua"
                )
            outcome = r.submit_bundle(data, filename="STATION.zip")
            if registered_elsewhere:
                assert outcome.refused and outcome.submission.reason_code == "booth_elsewhere"
                assert "booth 2" in outcome.submission.reason_en
            else:
                assert not outcome.refused, outcome.submission.reason_en
                assert {k: v for k, v in outcome.submission.result.tally.items() if v} == choices_made()
        finally:
            r.close()


_replaced = hs.lists(hs.fixed_dictionaries({"fingerprint": _hex64, "statement": _hex64}), min_size=1, max_size=2)
_booth_maybe_replaced = hs.tuples(_booth, hs.none() | _replaced).map(
    lambda pair: pair[0] if pair[1] is None else {**pair[0], "replaced": pair[1]}
)


@settings(max_examples=100, deadline=None)
@given(hs.dictionaries(hs.integers(1, 6).map(str), _booth_maybe_replaced, min_size=1, max_size=6))
def test_any_station_results_with_replaced_booths_reads_back_from_its_qr_text_byte_for_byte(booths):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from booth.ledger.keys import DeviceKey
    from booth.station.results_qr import open_qr_text, qr_text, read_qr_text

    key = DeviceKey(Ed25519PrivateKey.generate())
    body = {"balanced": True, "booths": booths, "desk": "ab" * 32, "election": "cd" * 32, "merged": [],
            "tally": {"1": 3}, "votes": 3}  # fmt: skip
    document = _signed(body, key)
    text = qr_text(document)
    assert read_qr_text(text) == document
    assert open_qr_text(text, key.verifier_key()) == body


def test_the_desk_exports_the_station_with_the_replaced_booths_bundle_from_the_stick(replaced):
    """Both booth 2s' bundles are on the stick: the station bundle carries the old one as booth-2-r1.zip."""
    import zipfile

    from booth.service import BoothService
    from service_day import Booth, demo_package

    st, root = replaced["st"], replaced["root"]
    svc = BoothService.open(root / "devices" / "desk", clock=st.clock, settings=STATION_SETTINGS)
    desk = Booth(svc, st.clock, root / "devices" / "desk", demo_package()[0], STATION_SETTINGS)
    try:
        path = Path(svc.export_station(desk.sign_in(KETUA), str(root / "exports")))
    finally:
        svc.close()
    with zipfile.ZipFile(path) as z:
        assert read_manifest(z.read("station.json"))["replaced"] == {"2": 1}
        assert z.read(booth_member(2, 1)) == replaced["parts"]["replaced"][2][0]
    report = verify_station(path)
    assert report.ok, report.problems
    assert report.summary["tally"] == replaced["summary"]["tally"]
