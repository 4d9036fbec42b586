"""The station bundle: a desk, its booths and the desk's signed results in one zip for the district.

Scenarios of the evening (issue #12 item 5): the desk collects its three booths' closings and
exports the station bundle; ``booth verify`` verifies every device's bundle with the one verifier
and then the station: a booth's bundle swapped for another station's, a booth left out, a
release count off by one in the desk's signed results, each refused with its reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from booth.ledger.canonical import canonical, parse_canonical
from booth.ledger.keys import DeviceKey
from booth.ledger.station_log import station_message
from booth.ledger.verify import Unreadable
from booth.station.bundle import (
    DESK,
    RESULTS,
    booth_member,
    is_station_bundle,
    read_manifest,
    verify_station,
    write_station_bundle,
)
from service_day import KETUA, closes_at
from station_day import STATION_SETTINGS, cloned_station, open_station

CHOICES = {1: ["1"] * 7 + ["2"] * 5, 2: ["3"] * 6 + ["1"] * 6, 3: ["2", "3"]}


def close_and_export(st, folder: Path) -> dict:
    """The evening: each booth closes, counts, prints and exports; the desk collects and exports."""
    folder.mkdir(parents=True, exist_ok=True)
    st.clock.set(closes_at() + dt.timedelta(minutes=1))
    closings, bundles = {}, {}
    for n, booth in st.booths.items():
        token = booth.sign_in(KETUA)
        booth.svc.close_polls(token)
        booth.svc.count(token)
        booth.svc.results_printed(token)
        closings[n] = booth.svc.results()["statement"]
        bundles[n] = Path(booth.svc.export(token, str(folder / f"booth-{n}-export.zip"))).read_bytes()
    token = st.token()
    st.desk.svc.close_polls(token)
    summary = st.desk.svc.station_results(token, closings)
    st.desk.svc.count(token)
    st.desk.svc.results_printed(token)
    desk = Path(st.desk.svc.export(token, str(folder / "desk-export.zip"))).read_bytes()
    return {"desk": desk, "booths": bundles, "results": summary["document"], "summary": summary}


def day(st) -> None:
    voter = iter(f"DPT-{n:04d}" for n in range(40, 80))
    for booth, choices in CHOICES.items():
        for choice in choices:
            st.vote(next(voter), booth=booth, choice=choice)
            st.clock.advance(20)
    left = st.release(next(voter), booth=3)  # a voter who walks away at booth 3
    st.booths[3].svc.accept_release(left["token"])
    st.booths[3].svc.cancel_release(st.booths[3].sign_in(KETUA), left["release"], "pemilih pulang")
    st.desk.svc.release_returned(st.booths[3].svc.release_outcome(left["release"]))


@pytest.fixture(scope="module")
def evening(tmp_path_factory):
    root = tmp_path_factory.mktemp("station")
    st = cloned_station(root / "devices", booths=3)
    day(st)
    parts = close_and_export(st, root / "exports")
    st.close()
    return root, parts


def station_zip(path: Path, parts: dict, **changes) -> Path:
    args = {"desk": parts["desk"], "booths": dict(parts["booths"]), "results": parts["results"], **changes}
    return write_station_bundle(path, **args)


def test_a_good_station_bundle_verifies_per_booth_and_in_total(evening, tmp_path):
    _, parts = evening
    path = station_zip(tmp_path / "station.zip", parts)
    assert is_station_bundle(path)
    report = verify_station(path)
    assert report.ok, report.problems
    assert list(report.inner) == [DESK, *(booth_member(n) for n in (1, 2, 3))]
    s = report.summary
    assert s["tally"] == {"1": 13, "2": 6, "3": 7} and s["votes"] == 26
    assert s["booths"][3]["releases"] == {"issued": 3, "cast": 2, "cancelled": 1, "spoils": 0}
    assert s["booths"][2]["tally"] == {"1": 6, "3": 6}
    # booth 3 served two voters: its tally only in the total, beside the next smallest booth
    assert s["merged"] == [1, 3] and s["booths"][3]["tally"] is None
    out = subprocess.run(
        [sys.executable, "-m", "booth", "verify", str(path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "HASIL / RESULT: SAH / VALID" in out.stdout
    assert "Bilik / booth 3: izin / releases 3 = dipakai / cast 2 + dibatalkan / cancelled 1" in out.stdout
    assert "hanya di total / in the total only" in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "booth", "verify", "--json", str(path)], capture_output=True, text=True, check=False
    )
    as_json = json.loads(out.stdout)
    assert as_json["kind"] == "station" and as_json["valid"] and as_json["summary"]["tally"]["1"] == 13


def test_a_booths_bundle_swapped_for_another_stations_is_refused(evening, tmp_path):
    _, parts = evening
    other = open_station(tmp_path / "other", booths=2)  # its own keys: another TPS
    other.vote("DPT-0001", booth=2, choice="1")
    other.vote("DPT-0002", booth=1, choice="2")
    foreign = close_and_export(other, tmp_path / "other-exports")
    other.close()
    path = station_zip(tmp_path / "station.zip", parts, booths={**parts["booths"], 2: foreign["booths"][2]})
    report = verify_station(path)
    assert not report.ok
    assert report.inner[booth_member(2)].ok  # a good bundle in itself: the station's checks catch it
    assert "booth-2.zip is not the booth the desk paired as booth 2 (another station's booth?)" in report.problems
    assert "booth-2.zip was paired with another desk, not this station's" in report.problems
    assert any(p.startswith("booth 2: releases issued 12 != cast 1") for p in report.problems)


def test_a_missing_booth_is_refused(evening, tmp_path):
    _, parts = evening
    booths = {n: b for n, b in parts["booths"].items() if n != 3}
    report = verify_station(station_zip(tmp_path / "station.zip", parts, booths=booths))
    assert not report.ok
    assert report.problems[0] == "booth 3, paired at the desk, is missing from the station bundle / bilik 3 tidak ada"


def test_a_release_count_off_by_one_in_the_desks_signed_results_is_refused(evening, tmp_path):
    root, parts = evening
    doc = parse_canonical(parts["results"].encode())
    body = json.loads(json.dumps(doc["body"]))
    body["booths"]["2"]["releases"]["issued"] += 1
    key = DeviceKey.load(
        root / "devices" / "desk" / "device.key"
    )  # signed by the desk's own key: only the count is wrong
    forged = canonical({"body": body, "sig": base64.b64encode(key.sign(station_message("results", body))).decode()})
    report = verify_station(station_zip(tmp_path / "station.zip", parts, results=forged))
    assert report.problems == ["booth 2: the desk's signed results say 13 releases issued, the logs 12"]
    # and a results document not signed by the desk at all
    unsigned = canonical({"body": body, "sig": doc["sig"]})
    report = verify_station(station_zip(tmp_path / "station2.zip", parts, results=unsigned))
    assert report.problems == ["station-results.json is not the desk's signed station results (unreadable or forged)"]


def test_a_damaged_inner_bundle_stops_the_station_checks(evening, tmp_path):
    _, parts = evening
    path = station_zip(tmp_path / "station.zip", parts, booths={**parts["booths"], 1: parts["booths"][2]})
    report = verify_station(path)
    assert report.inner[booth_member(1)].ok and not report.ok  # booth 2's bundle under number 1
    assert "booth-1.zip is not the booth the desk paired as booth 1 (another station's booth?)" in report.problems
    broken = bytearray(parts["booths"][1])
    broken[len(broken) // 2] ^= 0xFF
    report = verify_station(station_zip(tmp_path / "broken.zip", parts, booths={**parts["booths"], 1: bytes(broken)}))
    assert not report.ok and "booth-1.zip" in report.problems[0] and "cross-checks were not made" in report.problems[0]


def test_the_station_bundles_examples_run():
    import doctest

    from booth.station import bundle

    assert doctest.testmod(bundle).failed == 0


def test_a_hostile_station_zip_is_refused_before_anything_is_read(evening, tmp_path):
    _, parts = evening
    path = station_zip(tmp_path / "station.zip", parts)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("../../etc/passwd", "x")
    with pytest.raises(Unreadable, match=r"unexpected member '../../etc/passwd' \(not part of a station bundle\)"):
        verify_station(path)
    assert RESULTS  # the member names are the module's


def test_a_cast_after_the_desk_gave_up_on_its_release_is_named_in_the_station_check(tmp_path):
    st = cloned_station(tmp_path / "devices", booths=3)
    first = st.release("DPT-0011", booth=1)
    booth = st.booths[1].svc
    booth.accept_release(first["token"])
    booth.cast(first["release"], "1")
    booth.slip_printed(first["release"])
    booth.slip_confirmed(first["release"])  # ... and the outcome never reaches the desk
    st.clock.advance(STATION_SETTINGS.release_timeout + 1)
    st.desk.svc.cancel_station_release(st.token(), first["release"], "bilik 1 tidak menjawab")
    st.finish(st.desk.svc.issue_release(st.token(), "DPT-0011", 2), "2")  # the same voter, again, at booth 2
    st.desk.svc.release_returned(booth.release_outcome(first["release"]))  # booth 1 is back: "cast"
    parts = close_and_export(st, tmp_path / "exports")
    st.close()
    assert not parts["summary"]["balanced"]
    report = verify_station(station_zip(tmp_path / "station.zip", parts))
    assert all(r.ok for r in report.inner.values())  # every device's log is sound on its own
    assert report.problems == ["booth 1: 1 release(s) cast after the desk had cancelled them (voted twice?)"]


def test_nothing_in_the_station_bundle_links_a_voter_to_a_ballot(evening, tmp_path):
    """The desk's bundle knows voter -> release -> booth, a booth's knows release -> that a ballot was
    cast; no voter is in a booth's bundle and no ballot ID, slip or choice in the desk's."""
    _, parts = evening
    with zipfile.ZipFile(io.BytesIO(parts["desk"])) as z:
        desk_text = b"".join(z.read(name) for name in z.namelist())
        voters = {
            json.loads(line.split(b" ", 1)[1])["payload"]["voter"]
            for line in z.read("events.jsonl").splitlines()
            if b'"station.release_issued"' in line
        }
    assert len(voters) == 27  # 26 who voted and the one who walked away
    for n, data in parts["booths"].items():
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            booth_text = b"".join(z.read(name) for name in z.namelist())
            ballot_ids = [json.loads(line.split(b" ", 1)[1])["id"] for line in z.read("ballots.jsonl").splitlines()]
        assert ballot_ids == sorted(ballot_ids)  # the store's order, never the casts'
        assert not [v for v in voters if v.encode() in booth_text], f"booth {n} holds a voter"
        assert not [b for b in ballot_ids if b.encode() in desk_text or b[:8].upper().encode() in desk_text]


json_values = hs.recursive(
    hs.none() | hs.booleans() | hs.integers(-10, 10) | hs.text(max_size=8),
    lambda inner: hs.lists(inner, max_size=4) | hs.dictionaries(hs.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(
    hs.one_of(
        hs.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        hs.fixed_dictionaries(
            {
                "booths": hs.lists(hs.integers(0, 7), max_size=7) | json_values,
                "desk": hs.just("desk.zip"),
                "format": hs.just("booth-station-v1"),
            },
            optional={"results": hs.just("station-results.json"), "extra": json_values},
        ).map(canonical),
    )
)
def test_a_station_manifest_reads_or_is_refused_in_words(data):
    try:
        manifest = read_manifest(data)
    except Unreadable as exc:
        assert "station.json" in str(exc)
    else:
        assert manifest["booths"] == sorted(set(manifest["booths"])) and 1 <= len(manifest["booths"]) <= 6
        assert all(type(n) is int and 1 <= n <= 6 for n in manifest["booths"])
