"""``booth demo --booths 3``: a station day of a desk and three booths, each on its own ledger.

What a person checks after the demo: the station's tally is the choices the voters made, each
booth's releases reconcile (issued = cast + cancelled), the dispute was spoiled at booth 2 and
the lost booth's release cancelled at booth 3, and the station bundle (``results.zip``) verifies
on its own with ``booth verify``.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from booth.cli import main
from booth.station.bundle import verify_station
from booth_sim.day.station_demo import run_station_demo


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
    assert sum("zero_report" in p for p in prints) == 4
    assert sum("results_report" in p for p in prints) == 3  # each booth's; none of the desk
    assert [p for p in prints if "station_report" in p] == [prints[-1]]  # the desk's, once, last
    assert sorted(p.name for p in (out / "state").iterdir()) == ["booth-1", "booth-2", "booth-3", "desk"]
    assert not (out / "state" / "booth-1" / "vault.db").exists()  # a booth keeps no photo


def test_a_station_needs_two_to_six_booths(tmp_path):
    stream = io.StringIO()
    assert run_station_demo(Path(tmp_path / "out"), booths=7, voters=60, seed=1, stream=stream) == 2
    assert "--booths must be from 2 to 6" in stream.getvalue()
    assert not (tmp_path / "out").exists()
