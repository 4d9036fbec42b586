"""The evening at the kabupaten for a polling place of a desk and three booths: ONE station bundle.

The committee registered the station's desk for TPS 01 Sukamaju (the booths were paired at the
desk on the day).  Its station bundle is verified by ``booth.station.bundle.verify_station`` (the
one verifier on every inner bundle, then the station's checks) and counted as one polling place
with the station's total; a station bundle whose booth 2 was tampered with is refused with its
reason, and so is one whose desk nobody registered.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest

from booth.recap.start import open_recap
from booth.station.bundle import booth_member, write_station_bundle
from recap_days import scratch, tps_package
from service_day import demo_package
from station_day import cloned_station
from test_recap_cli import booth as recap_cli
from test_recap_core import Clock, tampered
from test_station_bundle import close_and_export, day


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    root = tmp_path_factory.mktemp("recap-station")
    st = cloned_station(root / "devices", booths=3)
    day(st)
    parts = close_and_export(st, root / "exports")
    keys = {"desk": st.desk.svc.ledger.key.verifier_key(), 1: st.booths[1].svc.ledger.key.verifier_key()}
    st.close()
    bundle = write_station_bundle(
        root / "STATION.zip", desk=parts["desk"], booths=parts["booths"], results=parts["results"]
    )
    return {"root": root, "parts": parts, "keys": keys, "bundle": bundle.read_bytes(), "package": demo_package()[0]}


@pytest.fixture()
def recap(station, tmp_path):
    r = open_recap(tmp_path / "recap", workers=0, clock=Clock(dt.datetime(2025, 11, 16, 13, 30, tzinfo=dt.UTC)))
    r.register_device(station["keys"]["desk"], station["package"], by="ketua")
    yield r
    r.close()


def with_member(bundle: bytes, name: str, data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(bundle))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, data if info.filename == name else src.read(info.filename))
    return out.getvalue()


def test_a_station_bundle_counts_as_one_polling_place_with_the_stations_total(station, recap):
    outcome = recap.submit_bundle(station["bundle"], filename="STATION.zip")
    assert outcome.accepted, outcome.submission.reason_en
    [place] = recap.places()
    assert place.state == "verified"
    assert place.result.tally == {"1": 13, "2": 6, "3": 7} == station["parts"]["summary"]["tally"]
    assert place.result.total == 26 and place.result.voted == 26
    assert place.result.ballots == 26  # every booth's store (no spoils this day)
    assert place.result.statement == station["parts"]["results"]  # the desk's signed station results
    assert outcome.receipt is not None
    again = recap.submit_bundle(station["bundle"], filename="STATION-copy.zip")
    assert again.duplicate and len(recap.places()) == 1


def test_a_station_bundle_with_a_tampered_booth_is_refused_with_its_reason(station, recap):
    name = booth_member(2)
    inner = zipfile.ZipFile(io.BytesIO(station["bundle"])).read(name)
    outcome = recap.submit_bundle(with_member(station["bundle"], name, tampered(inner)), filename="STATION.zip")
    assert outcome.refused
    sub = outcome.submission
    assert sub.reason_code == "invalid" and "booth-2.zip" in sub.reason_en
    assert "tidak sesuai tanda tangannya" in sub.reason_id
    [place] = recap.places()
    assert place.result is None  # nothing counted


def test_a_station_whose_desk_is_not_registered_is_refused(station, tmp_path):
    r = open_recap(tmp_path / "other", workers=0, clock=Clock(dt.datetime(2025, 11, 16, 13, 30, tzinfo=dt.UTC)))
    try:
        r.register_device(station["keys"][1], station["package"], by="ketua")  # a booth, not the desk
        outcome = r.submit_bundle(station["bundle"], filename="STATION.zip")
        assert outcome.refused and outcome.submission.reason_code == "unknown_device"
        assert "desk" in outcome.submission.reason_en
    finally:
        r.close()


def test_a_booth_registered_for_another_polling_place_is_refused(station, recap):
    other = tps_package(scratch(), pekon="Sidoharjo", tps=2, seed=7)
    recap.register_device(station["keys"][1], other, by="ketua")
    outcome = recap.submit_bundle(station["bundle"], filename="STATION.zip")
    assert outcome.refused and outcome.submission.reason_code == "booth_elsewhere"
    assert "booth 1" in outcome.submission.reason_en and "Sidoharjo" in outcome.submission.reason_en


def test_booth_recap_ingest_takes_a_station_bundle(station, tmp_path):
    data = tmp_path / "rekap"
    (tmp_path / "STATION.zip").write_bytes(station["bundle"])
    r = open_recap(data, workers=0)
    r.register_device(station["keys"]["desk"], station["package"], by="ketua")
    r.close()
    done = recap_cli("ingest", "--data", data, tmp_path / "STATION.zip")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("diterima")
    totals = json.loads(recap_cli("totals", "--data", data, "--json").stdout)
    [place] = totals["places"]
    assert place["state"] == "verified"
