"""``booth demo --booths 3``: a station day of a desk and three booths, each on its own ledger.

What a person checks after the demo: the station's tally is the choices the voters made, each
booth's releases reconcile (issued = cast + cancelled), the dispute was spoiled at booth 2 and
the lost booth's release cancelled at booth 3, and the station bundle (``results.zip``) verifies
on its own with ``booth verify``.  The day's faults (``--faults``, all of them by default): the
power cut at booth 2 with a voter at the curtain (cancelled on restart, the voter released again,
one vote), booth 1 dying mid-day and replaced by a spare (both closings in the station's results
and bundle, ``booth-1-r1.zip``), the power cut at the desk with voters in the booths (the releases
out survive), and the network drop at booth 3.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from booth.cli import main
from booth.station.bundle import verify_station
from booth_sim.day.station_demo import FAULTS, FaultsRefused, parse_faults, run_station_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``booth demo --booths 3 --voters 60 --seed 7 --out DIR``, through the command line's parser."""
    out = tmp_path_factory.mktemp("station-demo") / "out"
    stream = io.StringIO()
    screenless = pytest.MonkeyPatch()  # headless even at a desk with a screen (else the station window opens)
    screenless.delenv("DISPLAY", raising=False)
    screenless.delenv("WAYLAND_DISPLAY", raising=False)
    with contextlib.redirect_stdout(stream):
        code = main(["demo", "--booths", "3", "--voters", "60", "--seed", "7", "--out", str(out)])
    screenless.undo()
    return out, code, stream.getvalue(), json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_the_station_day_counts_every_choice_and_each_booth_reconciles(demo):
    out, code, printed, summary = demo
    assert code == 0, printed
    assert summary["ok"] and "SEMUA TERPENUHI / ALL MET" in printed
    # every voter the model served, and the late one sent on from the lost booth
    assert summary["voted"] == summary["model"]["served"] + 1 and summary["model"]["voters_arrived"] == 48
    assert summary["tally"] == summary["choices_made"] and summary["votes"] == summary["voted"]
    booths = summary["booths"]
    assert sorted(booths) == ["1", "2", "3"]
    for row in booths.values():
        assert row["releases"] == row["casts"] + row["cancels"]
        assert row["reconciliation"]["balanced"] and all(row["station_check"].values())
    assert booths["2"]["spoils"] == 1 and booths["2"]["reconciliation"]["counts"]["spoiled"] == 1
    assert booths["3"]["cancels"] == 1
    assert summary["station_reconciliation"]["balanced"]
    per_booth = summary["station_reconciliation"]["per_booth"]
    assert {n: r["issued"] for n, r in per_booth.items()} == {n: r["releases"] for n, r in booths.items()}
    assert sum(r["casts"] for r in booths.values()) == summary["voted"]


def test_the_station_bundle_verifies_on_its_own_and_says_the_same_tally(demo):
    out, _, _, summary = demo
    report = verify_station(out / "results.zip")
    assert report.ok, report.problems
    assert report.summary["tally"] == summary["tally"]
    for n, row in report.summary["booths"].items():
        assert row["releases"]["issued"] == summary["booths"][str(n)]["releases"]
    run = subprocess.run(
        [sys.executable, "-m", "booth", "verify", str(out / "results.zip")], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0 and "HASIL / RESULT: SAH / VALID" in run.stdout


def test_the_day_is_told_and_printed_per_device(demo):
    out, _, _, summary = demo
    log = (out / "log.txt").read_text(encoding="utf-8")
    assert "pemilih menyanggah struk" in log and "the stale token refused" in log
    assert "release cancelled after 300 s; the voter is sent to booth 1" in log
    prints = sorted(p.name for p in (out / "prints").iterdir())
    assert len(prints) == summary["prints"]
    assert sum("-slip.png" in p for p in prints) == summary["voted"] + 1  # the disputed slip too
    assert sum("bilik-2-slip_void" in p for p in prints) == 1
    assert sum("zero_report" in p for p in prints) == 5  # the spare booth 1 prints its own
    assert sum("results_report" in p for p in prints) == 4  # each booth's and the broken one's; none of the desk
    assert [p for p in prints if "station_report" in p] == [prints[-1]]  # the desk's, once, last
    states = sorted(p.name for p in (out / "state").iterdir())
    assert states == ["booth-1", "booth-1-r1", "booth-2", "booth-3", "desk"]  # booth-1-r1: the broken booth 1
    assert not (out / "state" / "booth-1" / "vault.db").exists()  # a booth keeps no photo


def fault(summary: dict, name: str) -> dict:
    (found,) = [f for f in summary["faults"] if f["fault"] == name]
    return found


def test_every_fault_of_the_day_is_said_and_counted(demo):
    out, _, printed, summary = demo
    assert sorted(f["fault"] for f in summary["faults"]) == ["desk-power", "drop", "power", "replace"]
    assert "Gangguan / faults: " in printed
    log = (out / "log.txt").read_text(encoding="utf-8")
    for words in (
        "power cut with the voter in the booth, before the vote; back on: the release cancelled",
        "the cancel from booth 2 received; the voter released again to booth 2",
        "power cut at the desk, back on: the service reopened from disk, the ",
        "the screen broke: the booth does not answer",
        "the old booth closed early (broken screen), counted, results printed, exported: booth-1-r1.zip",
        "booth 1 replaced: device ",
        "the spare booth opened",
        "dropped off the network",
    ):
        assert words in log, words
    assert fault(summary, "desk-power")["releases_out"] >= 1  # voters were in booths when the desk went


def test_the_power_cut_at_booth_2_cancels_the_release_and_the_voter_votes_once(demo):
    out, _, _, summary = demo
    cut = fault(summary, "power")
    assert cut["outcome"] == "cancelled" and cut["reason"] == "device restarted before the vote"
    booth2 = summary["booths"]["2"]
    # the booth's own log: the release it had accepted cancelled on restart, every other one cast once
    counts = booth2["reconciliation"]["counts"]
    assert counts["cancelled"] == 1 and counts["ballots_cast"] == booth2["casts"] + booth2["spoils"]
    assert counts["releases"] == booth2["casts"] + 1 and booth2["reconciliation"]["balanced"]
    assert summary["station_reconciliation"]["per_booth"]["2"]["cancelled"] == 1  # the desk heard it
    started = _ledger_events(out / "state" / "booth-2", "device.started")
    assert any(e.get("cancelled_release") == cut["release"] for e in started)  # the restart said so


def test_booth_1_replaced_mid_day_hands_over_both_closings(demo):
    out, _, _, summary = demo
    dead = fault(summary, "replace")
    booth1 = summary["booths"]["1"]
    (old,) = booth1["replaced"]
    assert old["member"] == dead["member"] == "booth-1-r1.zip" and old["fingerprint"] == dead["old"] != dead["new"]
    # the old device's share: every release it was given cast there, the one it never got cancelled
    assert old["releases"] == old["casts"] + old["cancels"] and old["cancels"] == 1 and old["casts"] >= 1
    assert old["reconciliation"]["balanced"] and old["reconciliation"]["counts"]["ballots_cast"] == old["casts"]
    # the spare: the rest of booth 1's day, on its own ledger
    spare = booth1["reconciliation"]["counts"]["ballots_cast"]
    assert spare >= 1 and old["casts"] + spare == booth1["casts"]
    assert summary["station_reconciliation"]["per_booth"]["1"]["issued"] == booth1["releases"]
    # the station bundle: both booth 1s, the old one verified as the earlier device
    report = verify_station(out / "results.zip")
    assert report.ok and "booth-1-r1.zip" in report.inner
    assert report.summary["booths"][1]["replaced"][0]["fingerprint"] == dead["old"]
    run = subprocess.run(
        [sys.executable, "-m", "booth", "verify", str(out / "results.zip")], capture_output=True, text=True, check=False
    )
    assert "booth-1-r1.zip: SAH / VALID" in run.stdout
    assert f"earlier device {dead['old'][:16]}" in run.stdout
    # the desk logged the pairing of the spare as a replacement of the old key
    paired = _ledger_events(out / "state" / "desk", "station.booth_paired")
    assert any(e.get("replaces") == dead["old"] and e["fingerprint"] == dead["new"] for e in paired)


def _ledger_events(state: Path, kind: str) -> list[dict]:
    """The payloads of the events ``kind`` in a device's log."""
    from booth.ledger.clock import FakeClock
    from booth.ledger.ledger import Ledger

    ledger = Ledger.open(state, clock=FakeClock())
    try:
        found = [e.payload for e in (ledger.entry(i) for i in range(ledger.size)) if e.type == kind]
    finally:
        ledger.close()
    return found


def test_a_clean_day_has_no_faults_and_an_unknown_fault_is_refused(tmp_path):
    stream = io.StringIO()
    code = run_station_demo(tmp_path / "clean", booths=2, voters=30, seed=3, stream=stream, faults="none")
    summary = json.loads((tmp_path / "clean" / "summary.json").read_text(encoding="utf-8"))
    assert code == 0 and summary["faults"] == [] and "faults: tidak ada / none" in stream.getvalue()
    assert all(row["cancels"] == 0 and row["replaced"] == [] for row in summary["booths"].values())
    assert summary["voted"] == summary["model"]["served"] and summary["tally"] == summary["choices_made"]
    for faults, said in (
        ("power,fire", "gangguan 'fire' tidak dikenal; pilih dari power, drop, replace, desk-power atau none"
         " / unknown fault 'fire'; choose from power, drop, replace, desk-power or none"),
        ("replace", "gangguan 'replace' perlu paling sedikit 3 bilik / the fault 'replace' needs at least 3 booths"),
        (",", "--faults kosong"),
    ):  # fmt: skip
        stream = io.StringIO()
        assert run_station_demo(tmp_path / "x", booths=2, voters=30, seed=3, stream=stream, faults=faults) == 2
        assert said in stream.getvalue()
        assert not (tmp_path / "x").exists()
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):  # the command line's --faults is the same list
        code = main(["demo", "--booths", "3", "--faults", "drop,quake", "--out", str(tmp_path / "x")])
    assert code == 2 and "unknown fault 'quake'" in stream.getvalue() and not (tmp_path / "x").exists()


def test_a_station_needs_two_to_six_booths(tmp_path):
    stream = io.StringIO()
    assert run_station_demo(Path(tmp_path / "out"), booths=7, voters=60, seed=1, stream=stream) == 2
    assert "--booths must be from 2 to 6" in stream.getvalue()
    assert not (tmp_path / "out").exists()


@given(
    hs.lists(hs.sampled_from([*FAULTS, "none", "fire", "Power", ""]), max_size=6),
    hs.integers(2, 6),
)
def test_any_faults_list_is_taken_as_named_or_refused_whole(names, booths):
    text = ",".join(names)
    wanted = {n for n in names if n}
    try:
        chosen = parse_faults(text, booths)
    except FaultsRefused as exc:
        # refused: an unknown name, "none" among others, nothing named, or replace with two booths
        assert (not wanted or wanted - set(FAULTS) or (booths < 3 and "replace" in wanted)) and " / " in str(exc)
    else:
        assert chosen == (frozenset() if wanted == {"none"} else frozenset(wanted))  # "none": a clean day
        assert booths >= 3 or "replace" not in chosen
    assert parse_faults(None, booths) == frozenset(n for n, least in FAULTS.items() if booths >= least)
