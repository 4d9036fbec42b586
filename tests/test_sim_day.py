"""A whole election day through ``booth sim``: 300 voters and every fault, checked the way an auditor would.

The day's scenario is written here, independently of the built-in demo; its
expected tally is counted here from the scenario's own choices.  The run goes
through the real ``booth sim`` command handler, in-process.
"""

from __future__ import annotations

import copy
import io
import json
import random
import re
import sqlite3
from collections import Counter

import pytest
import zxingcpp
from PIL import Image

from test_scenario_format import EXAMPLE, booth, documented_example

FAULT_KINDS = (
    "wrong_pin",
    "lockout_wait",
    "committee_reset",
    "paper_out",
    "paper_jam",
    "camera_failure",
    "power_cut",
    "crash",
    "early_close",
    "walks_away",
    "idle",
    "repeat_visit",
    "dispute",
)
SLIP_FILE = re.compile(r"^\d+-slip(-reprint)?\.png$")


def dptb_voter(n: int, sex: str, born: str, name: str) -> dict:
    """A person missing from the DPT; serials above 9000 never occur in the demo DPT."""
    year, month, day = born.split("-")
    nik = f"181005{int(day) + (40 if sex == 'P' else 0):02d}{month}{year[2:]}{9000 + n:04d}"
    return {
        "nik": nik,
        "name": name,
        "sex": sex,
        "birth_date": born,
        "address": "Dusun Sidodadi",
        "rt": "001",
        "rw": "002",
        "reason": "tidak ada di DPT, KTP sah / not on the DPT, valid KTP",
    }


def day_of_300() -> dict:
    """300 DPT voters arrive (one walks away and comes back, one goes idle), 2 DPTb voters, every fault."""
    rng = random.Random(404)
    refs = [f"DPT-{n:04d}" for n in range(1, 321)]
    rng.shuffle(refs)
    come = refs[:300]
    steps: list[dict] = [
        {"step": "custody", "stage": "received", "place": "Kantor Kecamatan Pagelaran"},
        {"step": "custody", "stage": "distributed", "place": "Kantor Kecamatan Pagelaran"},
        {"step": "custody", "stage": "handed_over", "place": "Balai Pekon Sukamaju"},
        {"step": "wrong_pin", "companion": "PT-03", "times": 15},
        {"step": "committee_reset", "companion": "PT-03"},
        {"step": "self_test"},
        {"step": "custody", "stage": "installed", "place": "Balai Pekon Sukamaju"},
        {"step": "zero_report"},
        {"step": "time", "at": "2025-11-16T07:00:00+07:00"},
        {"step": "open"},
    ]
    before = {
        10: {"step": "camera_failure", "times": 1},
        40: {"step": "paper_out", "after_mm": 40},
        60: {"step": "wrong_pin", "companion": "PT-02", "times": 2},
        90: {"step": "paper_jam"},
        120: {"step": "power_cut", "minutes": 10},
        150: {"step": "crash", "at": "after_cast"},
        180: {"step": "crash", "at": "after_release"},
        200: {"step": "crash", "at": "after_slip"},
        220: {"step": "power_cut", "minutes": 20, "battery_runs_out": True},
        250: {"step": "crash", "at": "now"},
    }
    a_break = [{"step": "pause", "reason": "istirahat / break"}, {"step": "advance", "minutes": 15}, {"step": "resume"}]
    dptb = {
        100: dptb_voter(1, "P", "1990-08-05", "SRI WAHYUNINGSIH"),
        230: dptb_voter(2, "L", "2007-10-30", "BAGUS PRAKOSO"),
    }
    for i, ref in enumerate(come):
        if i in before:
            steps.append(before[i])
        if i == 270:
            steps += a_break
        if i in dptb:
            steps.append({"step": "voter", "dptb": dptb[i], "choice": rng.choice([1, 2, 3])})
        voter = {"step": "voter", "ref": ref}
        if i == 20:
            voter["walks_away"] = True
        elif i == 25:
            voter["idle"] = True
        else:
            voter["choice"] = rng.choice([1, 2, 3])
        if i == 5:
            voter["find"] = "name"
        if i == 50:
            voter["repeat_visit"] = True
        if i == 70:
            voter["photo_fails"] = 3
        if i == 40:  # the slip shows another candidate: disputed, spoiled, the voter votes again
            voter["disputed"] = [str(voter["choice"] % 3 + 1)]
        steps.append(voter)
        if i == 30:
            steps.append({"step": "voter", "ref": come[20], "find": "name", "choice": 2})
    steps += [
        {"step": "early_close", "reason": "semua pemilih sudah datang / everyone has come"},
        {"step": "count"},
        {"step": "results", "copies": 2},
        {"step": "export", "by": "PT-02"},
        {"step": "pack"},
    ]
    return {
        "format": "booth-scenario-v1",
        "title": "test: 300 voters and every fault",
        "election": {"demo": {"voters": 320, "seed": 11}},
        "clock": {"start": "2025-11-14T08:00:00+07:00", "seconds_per_voter": 40},
        "pins": {"PT-01": "250101", "PT-02": "250202", "PT-03": "250303"},
        "technician": "PT-02",
        "steps": steps,
        "expect": {
            "refusals": 1,
            "reconciliation_balanced": True,
            "dptb": 2,
            "cancelled": 3,
            "photos_skipped": 1,
            "spoiled": 1,
            "polls": "packed",
            "verify": True,
        },
    }


def tally_of(scenario: dict) -> dict[str, int]:
    """What the voters chose, counted from the scenario itself."""
    counted = Counter(str(s["choice"]) for s in scenario["steps"] if s["step"] == "voter" and "choice" in s)
    return {c: counted.get(c, 0) for c in ("1", "2", "3")}


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """The 300-voter day, run once through ``booth sim``."""
    root = tmp_path_factory.mktemp("sim-day")
    scenario = day_of_300()
    path = root / "day.scenario.json"
    path.write_text(json.dumps(scenario, indent=1), encoding="utf-8")
    code, out, err = booth("sim", "--scenario", str(path), "--out", str(root / "out"))
    assert code != 2, err
    summary = json.loads((root / "out" / "summary.json").read_text(encoding="utf-8"))
    return {"code": code, "stdout": out, "stderr": err, "out": root / "out", "scenario": scenario, "summary": summary}


def test_the_day_meets_every_expectation_and_the_tally_is_the_voters_choices(day):
    assert day["code"] == 0, day["stdout"][-3000:]
    summary = day["summary"]
    expected = tally_of(day["scenario"])
    assert sum(expected.values()) >= 300
    assert summary["tally"] == expected
    # the spoiled ballot is stored and was cast, but is not a vote
    assert summary["counts"]["ballots_cast"] == summary["counts"]["ballots_stored"] == sum(expected.values()) + 1
    assert summary["reconciliation"]["balanced"] is True and summary["reconciliation"]["spoiled"] == 1
    assert all(e["met"] for e in summary["expectations"]), summary["expectations"]
    assert summary["election_id"] and summary["final_checkpoint"].startswith("booth/")


def test_every_fault_was_met_and_handled(day):
    faults = day["summary"]["faults"]
    assert {kind for kind in FAULT_KINDS if faults[kind] == 0} == set()
    assert faults["crash"] == 4 and faults["power_cut"] == 2 and faults["paper_jam"] == 1
    assert faults["paper_out"] >= 1 and faults["camera_failure"] == 4 and faults["wrong_pin"] == 17
    log = (day["out"] / "log.txt").read_text(encoding="utf-8")
    for words in (
        "struk dicetak ulang",
        "kertas habis",
        "kertas macet",
        "foto dilewati",
        "listrik padam",
        "baterai habis",
        "perangkat mati mendadak",
        "ditolak karena sudah memilih",
        "PIN TERKUNCI",
        "panitia membuka kunci",
        "ditutup lebih awal",
        "DPTb",
        "pemilih menyanggah",
    ):
        assert words in log, words


def test_booth_verify_passes_on_the_state_and_the_results_bundle(day):
    for target in ("state", "results.zip"):
        code, out, _ = booth("verify", str(day["out"] / target))
        assert code == 0, out[-2000:]


def test_one_slip_per_ballot_each_qr_naming_a_stored_ballot_once(day):
    out, summary = day["out"], day["summary"]
    slips = sorted(p for p in (out / "prints").iterdir() if SLIP_FILE.match(p.name))
    reprints = [p for p in slips if p.name.endswith("-slip-reprint.png")]
    assert len(slips) == summary["counts"]["ballots_cast"]  # a reprint replaces the slip that failed
    # paper out, jam, crash after cast (a 300-voter day no longer empties a roll: 500 slips a roll)
    assert len(reprints) == summary["counts"]["reprints"] >= 3
    with sqlite3.connect(f"file:{out / 'state' / 'ledger.db'}?mode=ro", uri=True) as db:
        stored = {row[0].hex().upper() for row in db.execute("SELECT id FROM ballots WHERE filled = 1")}
    prefix = "BOOTH1:B:" + summary["election_short_id"].replace("-", "") + ":"
    seen = []
    for slip in slips:
        codes = zxingcpp.read_barcodes(Image.open(slip))
        assert len(codes) == 1, slip.name
        assert codes[0].text.startswith(prefix), codes[0].text
        seen.append(codes[0].text[len(prefix) :])
    assert len(set(seen)) == len(seen), "two slips share a ballot ID"
    assert set(seen) == stored


def test_the_reports_are_on_the_paper_tape_in_the_days_order(day):
    kinds = [re.sub(r"^\d+-|\.png$", "", p.name) for p in sorted((day["out"] / "prints").iterdir())]
    assert kinds[:2] == ["self_test", "zero_report"]
    assert kinds[-3:] == ["results_report", "results_report", "custody_slip"]
    assert "slip-torn" in kinds  # what came out of the slip that ran out of paper, and of the jam
    assert set(kinds) <= {
        "self_test",
        "zero_report",
        "slip",
        "slip-reprint",
        "slip-torn",
        "slip-void",
        "results_report",
        "custody_slip",
    }


def test_the_disputed_slip_is_voided_on_paper_with_the_spoiled_ballots_id(day):
    """OCR reads BATAL / VOID on the VOID print (its QR names the ballot the store marks spoiled), CETAK
    ULANG on a reprint, and a balanced berita acara that counts the spoiled ballot apart."""
    from test_paper import TESSERACT, ocr, squash

    out, summary = day["out"], day["summary"]
    voids = sorted((out / "prints").glob("*-slip-void.png"))
    assert len(voids) == summary["counts"]["spoiled"] == 1
    with sqlite3.connect(f"file:{out / 'state' / 'ledger.db'}?mode=ro", uri=True) as db:
        spoiled = {row[0].hex().upper() for row in db.execute("SELECT id FROM ballots WHERE spoil != zeroblob(64)")}
    codes = zxingcpp.read_barcodes(Image.open(voids[0]))
    prefix = "BOOTH1:V:" + summary["election_short_id"].replace("-", "") + ":"
    assert len(codes) == 1 and codes[0].text.startswith(prefix), codes
    assert {codes[0].text[len(prefix) :]} == spoiled
    if TESSERACT is None:
        pytest.skip("OCR part skipped: no tesseract binary (apt-get install tesseract-ocr)")
    words = squash(ocr(Image.open(voids[0])))
    assert "BATAL" in words and "VOID" in words, words
    # the berita acara counts it apart and still balances: SESUAI, never TIDAK SESUAI
    report = squash(ocr(Image.open(sorted((out / "prints").glob("*-results_report.png"))[0])))
    assert "DIBATALKAN" in report and "SESUAI" in report and "TIDAKSESUAI" not in report
    reprint = squash(ocr(Image.open(sorted((out / "prints").glob("*-slip-reprint.png"))[0])))
    assert "CETAKULANG" in reprint, reprint


def test_the_documented_example_runs_and_a_wrong_expectation_exits_1_naming_it(tmp_path):
    path = tmp_path / "example.json"
    path.write_text(documented_example(), encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, _ = booth("sim", "--scenario", str(path), "--out", str(out))
    assert code == 0, stdout[-3000:]

    wrong = copy.deepcopy(EXAMPLE)
    wrong["expect"]["tally"]["1"] = 5
    wrong["expect"]["refusals"] = 2
    path.write_text(json.dumps(wrong), encoding="utf-8")
    code, stdout, _ = booth("sim", "--scenario", str(path), "--out", str(out))  # an earlier output: replaced
    assert code == 1
    assert '[GAGAL / NOT MET] tally: expected {"1": 5}, got {"1": 4}' in stdout
    assert "[GAGAL / NOT MET] refusals: expected 2, got 1" in stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {e["name"] for e in summary["expectations"] if not e["met"]} == {"tally", "refusals"}
    assert "EXPECTATION NOT MET: tally" in (out / "log.txt").read_text(encoding="utf-8")


def test_the_demo_runs_headless_and_says_where_the_artifacts_are(tmp_path):
    out = tmp_path / "demo-out"
    code, stdout, _ = booth("demo", "--headless", "--out", str(out))
    assert code == 0, stdout[-3000:]
    assert "headless" in stdout and f"artifacts in {out}/" in stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ok"] and summary["polls"] == "packed"
    assert sum(summary["tally"].values()) >= 280
    assert (out / "results.zip").exists() and (out / "state" / "ledger.db").exists()


def test_without_a_display_the_demo_runs_headless(monkeypatch):
    from booth.demo import window_available

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert window_available(headless=False) == (False, "tidak ada layar / no display (DISPLAY, WAYLAND_DISPLAY)")
    monkeypatch.setenv("DISPLAY", ":0")
    assert window_available(headless=True)[0] is False


def test_with_a_display_the_demo_opens_the_simulator_window(monkeypatch, tmp_path):
    import sys
    import types

    from booth.demo import run_demo

    calls = []
    window = types.ModuleType("booth_sim.day.window")
    window.run = lambda **kw: calls.append(kw) or 0
    monkeypatch.setitem(sys.modules, "booth_sim.day.window", window)
    monkeypatch.setenv("DISPLAY", ":0")
    assert run_demo(tmp_path / "demo-out", stream=io.StringIO()) == 0
    (call,) = calls
    assert call["out"] == tmp_path / "demo-out" and call["scenario"].voters_who_vote() >= 280
    assert not (tmp_path / "demo-out").exists()  # the window runs the day, not this call
