"""A newcomer's first evening: ``booth recap demo --data DIR --no-serve`` as a real process.

One command makes 40 polling places of Kabupaten Pringsewu (a day per TPS through the real
booth), ingests their bundles and report photos, and leaves a recap whose totals show every
fault the demo planted where ``DIR/evening.json`` says it is.  The expected numbers are read
here from the booths' own signed statements inside the bundles, not from the recap.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from booth.recap.demo_evening import DemoEvening, make_demo_evening
from booth.recap.intake import REASONS
from booth.recap.start import open_recap
from booth.results import open_statement
from recap_evening import ingest_evening, small_evening
from service_day import fast_tmp

ROOT = Path(__file__).resolve().parents[1]
#: 40 whole days of voting: about a minute and a half on two shared cores
slow = pytest.mark.slow


def booth(*argv, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "booth", "recap", *map(str, argv)],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def demo():
    data = fast_tmp("booth-recap-demo-") / "rekap-demo"
    started = time.monotonic()
    run = booth("demo", "--data", data, "--no-serve")
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    totals = booth("totals", "--data", data, "--json")
    assert totals.returncode == 0, totals.stderr
    print(f"booth recap demo --no-serve, 40 places: {elapsed:.1f} s")
    return {
        "data": data,
        "run": run,
        "elapsed": elapsed,
        "evening": DemoEvening.load(data),
        "totals": json.loads(totals.stdout),
    }


def _places(demo) -> dict[str, dict]:
    return {p["election_id"]: p for p in demo["totals"]["places"]}


def _signed_result(evening: DemoEvening, bundle: str) -> tuple[dict, int]:
    """(tally, voters) of a bundle's signed statement, checked with the device key inside it."""
    with zipfile.ZipFile(evening.out_dir / bundle) as z:
        text = z.read("extra/results.txt").decode()
        key = z.read("device.pub").decode().strip()
    st = open_statement(text, key)
    voted = next(int(line.split()[1]) for line in text.split("\n") if line.startswith("voters "))
    return dict(st.tally), voted


@slow
def test_one_command_makes_ingests_and_reports_a_whole_evening_quickly(demo):
    ev, data = demo["evening"], demo["data"]
    assert len(ev.places) == 40
    assert demo["elapsed"] < 240, f"the demo took {demo['elapsed']:.0f} s"
    kecamatan = {p.kecamatan for p in ev.places}
    pekon = Counter((p.kecamatan, p.pekon) for p in ev.places)
    assert len(kecamatan) == 3 and {p.kabupaten for p in ev.places} == {"Pringsewu"}
    assert sum(n > 1 for n in pekon.values()) > len(pekon) / 2, "most pekon have several TPS"
    registry = json.loads((data / "registry.json").read_text())
    assert registry["format"] == "booth-recap-registry-v1"
    assert len(registry["devices"]) == 41, "40 places, one with a second device"
    assert len(list((data / "bundles").glob("*.zip"))) >= 35 and len(list((data / "photos").glob("*.jpg"))) >= 30
    out = demo["run"].stdout
    assert out.count("diterima / accepted") + out.count("DITOLAK") + out.count("sudah ada") == len(ev.files())


@slow
def test_every_fault_of_the_evening_shows_where_the_demo_put_it(demo):
    ev, places = demo["evening"], _places(demo)
    assert set(places) == {p.election_id for p in ev.places}
    for p in ev.places:
        assert places[p.election_id]["state"] == p.state, (p.name, p.fault)
    states = Counter(p["state"] for p in places.values())
    assert states["conflict"] == 1 and states["provisional"] == 2 and states["missing"] == 2
    assert states["refused"] == 2 and states["verified"] == 33
    conflict = places[ev.conflict]
    assert conflict["results"] == 2 and conflict["tally"] is None and len(conflict["devices"]) == 2
    for eid in ev.qr_only:
        assert places[eid]["state"] == "provisional" and places[eid]["valid"] is not None
    for eid in ev.missing:
        assert places[eid]["state"] == "missing" and places[eid]["tally"] is None
    lines = demo["run"].stdout.splitlines()
    for refusal in ev.refusals:
        line = next(line for line in lines if line.startswith("DITOLAK") and refusal.file in line)
        id_text, en_text = REASONS[refusal.reason]
        assert id_text in line and en_text in line, line
    refused_lines = [line for line in lines if line.startswith("DITOLAK")]
    assert len(refused_lines) == len(ev.refusals), refused_lines
    first, again = ev.duplicate
    assert (ev.out_dir / first).read_bytes() == (ev.out_dir / again).read_bytes()
    assert any(line.startswith("sudah ada / already received") and again in line for line in lines)


@slow
def test_the_kabupaten_totals_are_the_sum_of_the_booths_signed_tallies_without_the_conflict(demo):
    ev, totals = demo["evening"], demo["totals"]
    expected_pekon: dict[tuple[str, str], Counter] = {}
    valid = voted = 0
    for p in ev.places:
        if p.state not in ("verified", "provisional"):
            continue
        bundle = p.late_bundle if p.state == "provisional" else f"bundles/{p.name}.zip"
        tally, voters = _signed_result(ev, bundle)
        expected_pekon.setdefault((p.kecamatan, p.pekon), Counter()).update(tally)
        valid += sum(tally.values())
        voted += voters
    conflict = ev.place(ev.conflict)
    conflict_valid = [sum(_signed_result(ev, r.bundle)[0].values()) for r in conflict.results if r.bundle]
    assert len(conflict_valid) == 2
    [kabupaten] = totals["areas"]
    assert kabupaten["name"] == "Pringsewu"
    assert kabupaten["valid"] == valid == ev.expected_valid()
    assert kabupaten["voters"] == voted
    assert kabupaten["counted"] == 35
    assert kabupaten["dpt"] == sum(p.dpt for p in ev.places)
    for kecamatan in kabupaten["children"]:
        assert kecamatan["valid"] == sum(
            sum(c.values()) for (kec, _), c in expected_pekon.items() if kec == kecamatan["name"]
        )
        for pekon in kecamatan["children"]:
            want = expected_pekon.get((kecamatan["name"], pekon["name"]), Counter())
            assert {k: v for k, v in pekon["tally"].items() if v} == {k: v for k, v in want.items() if v}
    assert kabupaten["verified_valid"] == valid - sum(
        sum(_signed_result(ev, ev.place(e).late_bundle or "")[0].values()) for e in ev.qr_only
    )


@slow
def test_a_counted_polling_place_gets_a_receipt_anyone_can_check(demo, tmp_path):
    ev, data = demo["evening"], demo["data"]
    place = ev.by_state("verified")[0]
    r = booth("receipt", "--data", data, place.election_id)
    assert r.returncode == 0, r.stderr
    (tmp_path / "tanda-terima.json").write_text(r.stdout)
    check = booth("receipt-check", tmp_path / "tanda-terima.json", "--key", data / "recap.pub")
    assert check.returncode == 0 and "SAH / VALID" in check.stdout, check.stdout + check.stderr
    assert f"{place.tps} {place.pekon}" in check.stdout


def _shape(ev: DemoEvening) -> list[tuple]:
    """Everything about an evening that the seed decides (device keys and ballot IDs are the booths' own)."""
    return [
        (
            p.name,
            p.election_id,
            p.kecamatan,
            p.pekon,
            p.tps,
            p.dpt,
            p.candidates,
            p.fault,
            p.state,
            [(r.tally, r.voted, r.bundle) for r in p.results],
            p.photo,
            p.late_bundle,
        )
        for p in ev.places
    ] + [
        (
            ev.conflict,
            ev.tampered,
            ev.foreign,
            ev.other_election,
            ev.duplicate,
            [(r.file, r.reason, r.election_id) for r in ev.refusals],
        )
    ]


def test_a_small_demo_evening_by_command_is_the_same_evening_its_seed_always_makes(tmp_path):
    """`booth recap demo --places 6 --voters 8` (the default seed, 2026) as a real process; the same
    evening made again in this process has the same shape; another seed makes another evening."""
    run = booth("demo", "--data", tmp_path / "demo", "--no-serve", "--places", "6", "--voters", "8")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    by_command = DemoEvening.load(tmp_path / "demo")
    totals = json.loads(booth("totals", "--data", tmp_path / "demo", "--json").stdout)
    assert {p["election_id"]: p["state"] for p in totals["places"]} == {
        p.election_id: p.state for p in by_command.places
    }
    assert totals["areas"][0]["valid"] == by_command.expected_valid()
    again = make_demo_evening(tmp_path / "again", places=6, voters=8, seed=2026)
    other = make_demo_evening(tmp_path / "other", places=6, voters=8, seed=2027)
    assert _shape(by_command) == _shape(again)
    assert _shape(again) != _shape(other)
    assert {p.dpt for p in again.places} == {8}
    assert DemoEvening.load(tmp_path / "again") == again
    assert sorted(p.name for p in (tmp_path / "again" / "photos").iterdir()) == sorted(
        Path(p.photo).name for p in again.places if p.photo
    )


def test_an_evening_too_small_for_its_faults_is_refused_plainly():
    with pytest.raises(ValueError, match="at least 6 polling places"):
        make_demo_evening(fast_tmp("booth-recap-seed-") / "x", places=5)


def test_an_evening_is_never_mixed_into_another_evenings_files(tmp_path):
    (tmp_path / "bundles").mkdir()
    (tmp_path / "bundles" / "lama.zip").write_bytes(b"PK")
    with pytest.raises(FileExistsError, match="another demo evening"):
        make_demo_evening(tmp_path, places=6)
    assert [p.name for p in (tmp_path / "bundles").iterdir()] == ["lama.zip"]


def test_the_evening_comes_in_over_the_afternoon_and_its_progress_by_hour_shows_it(tmp_path):
    ev = small_evening()
    files = {a.file for a in ev.arrivals}
    assert files == {str(p.relative_to(ev.out_dir)) for p in [*ev.files(), *(ev.out_dir / "terlambat").iterdir()]}
    when = {a.file: a.at for a in ev.arrivals}
    for p in ev.places:
        if p.photo and p.results[0].bundle:
            assert when[p.photo] < when[p.results[0].bundle], "the photo of the report is sent before the stick"
    recap = open_recap(tmp_path / "rekap", workers=0)
    ingest_evening(recap, ev, timed=True)
    places = {p.election_id: p for p in recap.places()}
    for p in ev.places:
        want = "verified" if p.fault == "qr_only" else p.state  # their bundles came next morning
        assert places[p.election_id].state == want, p.name
    for eid in ev.qr_only:
        photo = ev.place(eid).photo
        assert places[eid].first_counted_at == when[photo], "counted since its photo came"
    progress = recap.progress(now=dt.datetime(2025, 11, 17, 12, tzinfo=dt.UTC))
    counted = [pt.counted for pt in progress.points]
    assert counted == sorted(counted) and counted[0] == 0 and counted[-1] == progress.counted
    hours_with_news = [pt.hour for pt, before in zip(progress.points[1:], counted, strict=False) if pt.counted > before]
    assert len(hours_with_news) >= 2, progress.points
    assert progress.counted == len(ev.counted_places())
    by_five = next(pt.counted for pt in progress.points if pt.hour == "16:00")  # counted before 17:00
    assert 0 < by_five <= progress.counted
    recap.close()
