"""Simulated audits: the slips as printed, read back the way the table reads them, and the audit's verdict.

Each pulled slip is the printer's own image (``booth.paper``'s layout, or the
demo day's ``prints/``); the auditor decodes its QR code with zxing-cpp for
the ballot ID (a VOID print too) and reads the boxed nomor urut -- how, is
said in ``tests/audit_paper.py`` (OCR by Tesseract where it is installed, on
the demo day; the printer's digit shapes otherwise, and in the fast tests).

* a clean day stops within the expected sample;
* slips swapped, slips missing, or records altered after printing escalate;
* over 1,000 audits of a wrong outcome (synthetic records, no images) at a 5%
  risk limit, at most 5% end confirming it (with the Clopper-Pearson interval).
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

import audit_days
import audit_paper
from booth.audit import risk, sampling
from booth.audit.contest import read_contest
from booth.audit.record import AuditRecord

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = [1, 2, 3]


def from_print(item):
    """Pull one item of a synthetic box: print it, then read it as the auditor does."""
    return audit_paper.read_item(audit_paper.print_item(*item), CANDIDATES, ocr=False)


@pytest.fixture(scope="module")
def days():
    with audit_days.fast_dir() as tmp:
        clean = audit_days.closed_day(tmp / "clean", {"1": 160, "2": 110, "3": 28, "blank": 2}, seed=11)
        # the device recorded no. 1 on 60 ballots whose slips show the voter's no. 2 or 3
        altered = audit_days.closed_day(tmp / "altered", {"1": 140, "2": 125, "3": 35}, seed=12, altered=60)
        yield tmp, clean, altered


def first_round(record: AuditRecord, box, seed: int = 3) -> dict:
    """Count the box, roll the dice, pull and read round 1's slips; what the round measured."""
    record.step("paper.counted", {"counts": {"1": len(box)}})
    rng = random.Random(seed)
    record.step("round.seeded", {"round": 1, "dice": "".join(rng.choice("0123456789") for _ in range(20))})
    for label, position in record.state.unread(1):
        kind, ballot_id, choice = from_print(box[position - 1])
        inputs = {"box": label, "position": position, "kind": kind, "ballot_id": ballot_id}
        record.step("slip.read", {**inputs, "choice": choice, "how": "qr"})
    return record.state.rounds[0].measured


def test_on_a_clean_day_the_audit_stops_within_the_expected_sample(days, tmp_path):
    root, clean, _ = days
    record = audit_days.start(tmp_path, [root / "clean"])
    measured = first_round(record, clean)
    expected = risk.comparison_sample_size(record.state.outcome().diluted_margin, Decimal("0.05"))
    assert measured["decision"] == "stop"
    assert measured["draws"] <= expected
    assert set(measured["classes"]) == {"match"}
    assert record.state.finished["outcome"] == "confirmed_by_sample"


def test_slips_swapped_between_ballots_make_the_audit_escalate(days, tmp_path):
    root, clean, _ = days
    box = list(clean)
    winners = [i for i, (k, _, c) in enumerate(box) if k == "slip" and c == "1"][:60]
    losers = [i for i, (k, _, c) in enumerate(box) if k == "slip" and c == "2"][:60]
    for w, loser in zip(winners, losers, strict=True):  # each pair's papers show the other's choice
        (kw, iw, cw), (kl, il, cl) = box[w], box[loser]
        box[w], box[loser] = (kw, iw, cl), (kl, il, cw)
    record = audit_days.start(tmp_path, [root / "clean"])
    measured = first_round(record, box)
    assert measured["decision"] != "stop"
    assert measured["counts"]["o2"] >= 1
    assert Decimal(measured["risk"]) > Decimal("0.05")


def test_slips_missing_from_the_box_make_the_audit_escalate(days, tmp_path):
    root, clean, _ = days
    box = clean[:-60]  # sixty slips never reached the box
    record = audit_days.start(tmp_path, [root / "clean"])
    measured = first_round(record, box)
    assert measured["decision"] != "stop"
    assert measured["classes"].get("cvr_without_slip", 0) >= 1


def test_records_altered_after_printing_make_the_audit_escalate_and_the_hand_count_finds_the_truth(days, tmp_path):
    root, _, altered = days
    record = audit_days.start(tmp_path, [root / "altered"])
    assert record.state.contest.tally()["1"] == 200  # 140 + 60 moved by the device
    measured = first_round(record, altered)
    assert measured["decision"] != "stop"
    assert measured["counts"]["o1"] + measured["counts"]["o2"] >= 1
    outcome = audit_days.audit(record, [altered], read=lambda item: item)  # later rounds, then the hand count
    assert outcome in ("confirmed_by_hand_count", "changed_by_hand_count")
    assert record.state.finished["paper_tally"] == {"1": 140, "2": 125, "3": 35}


# --------------------------------------------------------------- the demo day, its prints read back
@pytest.fixture(scope="module")
def demo_day():
    with audit_days.fast_dir() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "booth", "demo", "--headless", "--out", str(tmp / "demo")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=600,
            check=False,
            env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
        )
        assert done.returncode == 0, done.stderr[-2000:]
        yield tmp / "demo", tmp


@pytest.mark.slow
def test_the_demo_days_printed_slips_audited_by_camera_and_eye_confirm_its_result(demo_day):
    demo, tmp = demo_day
    box = audit_paper.demo_box(demo / "prints")  # one item per ballot: reprints over torn pieces, VOID on top
    record = AuditRecord.create(tmp / "audit.jsonl", read_contest([demo / "results.zip"]), Decimal("0.05"))
    assert record.state.contest.boxes[0].slips == len(box) == 285
    outcome = audit_days.audit(
        record, [box], read=lambda path: audit_paper.read_item(Image.open(path), CANDIDATES, ocr=True)
    )
    expected = risk.comparison_sample_size(record.state.outcome().diluted_margin, Decimal("0.05"))
    assert outcome == "confirmed_by_sample"
    assert len(record.state.draws()) <= expected
    assert all(r.cls in ("match", "spoiled_void") for r in record.state.readings.values())


@pytest.mark.slow
def test_the_demo_day_with_slips_gone_from_its_box_escalates(demo_day):
    demo, tmp = demo_day
    box = audit_paper.demo_box(demo / "prints")[:-25]
    record = AuditRecord.create(tmp / "short.jsonl", read_contest([demo / "results.zip"]), Decimal("0.05"))
    read = lambda path: audit_paper.read_item(Image.open(path), CANDIDATES, ocr=False)  # noqa: E731
    record.step("paper.counted", {"counts": {"1": len(box)}})
    record.step("round.seeded", {"round": 1, "dice": "57721566490153286060"})
    for label, position in record.state.unread(1):
        kind, ballot_id, choice = read(box[position - 1])
        inputs = {"box": label, "position": position, "kind": kind, "ballot_id": ballot_id}
        record.step("slip.read", {**inputs, "choice": choice, "how": "qr"})
    assert record.state.rounds[0].measured["decision"] != "stop"


# --------------------------------------------------------------- 1,000 audits of a wrong outcome
def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact binomial interval for k successes in n trials (bisection on the binomial tail)."""

    def tail_at_least(p: float) -> float:
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))

    def tail_at_most(p: float) -> float:
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(0, k + 1))

    def solve(f, target: float, increasing: bool) -> float:
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if (f(mid) < target) == increasing:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    a = (1 - confidence) / 2
    lower = 0.0 if k == 0 else solve(tail_at_least, a, True)
    upper = 1.0 if k == n else solve(tail_at_most, a, False)
    return lower, upper


def wrong_outcome_audit(rng: random.Random, alpha: Decimal = Decimal("0.05"), *, votes: int = 2) -> bool:
    """One audit of a contest whose records name the wrong winner; True if the audit confirms it.

    500 ballots; the records say 260 for no. 1 and 240 for no. 2.  With ``votes=2``, 11 of no. 1's
    records belong to slips for no. 2 (2-vote overstatements: the fewest altered records that
    turn the outcome, the hardest case for the audit): the paper says 249 to 251.  With
    ``votes=1``, 21 of them belong to blank slips (1-vote overstatements): 239 to 240.
    """
    records = ["1"] * 260 + ["2"] * 240
    paper = list(records)
    for i in rng.sample(range(260), 11 if votes == 2 else 21):
        paper[i] = "2" if votes == 2 else "blank"
    order = list(range(500))
    rng.shuffle(order)  # the box, shaken
    outcome = risk.Outcome({"1": 260, "2": 240}, 500)  # (a blank slip: no vote, as the paper shows)
    m = outcome.diluted_margin
    boxes = [sampling.Box("1", 500)]
    weighted: list[Decimal] = []
    found = risk.Discrepancies()
    size = risk.comparison_sample_size(m, alpha)
    for _ in range(6):
        dice = "".join(rng.choice("0123456789") for _ in range(20))
        seed = sampling.round_seed(dice, "0" * 64)
        for pick in sampling.draw(seed, boxes, size):
            ballot = order[pick.position - 1]
            e, w = risk.overstatement(outcome, records[ballot], paper[ballot])
            weighted.append(w)
            found = risk.Discrepancies(
                found.o1 + (e == 1), found.o2 + (e == 2), found.u1 + (e == -1), found.u2 + (e == -2)
            )
        if risk.kaplan_markov_risk(m, weighted) <= alpha:
            return True  # stopped: the wrong outcome confirmed
        size = risk.next_round_size(m, alpha, len(weighted), found)
        if size == risk.FULL_HAND_COUNT or len(weighted) + size >= 500:
            return False  # the hand count finds the true winner
    return False


@pytest.mark.slow
@pytest.mark.parametrize("votes", [2, 1], ids=["two-vote-overstatements", "one-vote-overstatements"])
def test_over_1000_audits_of_a_wrong_outcome_at_most_5_percent_confirm_it(votes):
    rng = random.Random(20261207 + votes)
    runs = 1000
    confirmed = sum(wrong_outcome_audit(rng, votes=votes) for _ in range(runs))
    low, high = clopper_pearson(confirmed, runs)
    share = confirmed / runs
    print(f"wrongly confirmed: {confirmed}/{runs} = {share:.3f}, 95% Clopper-Pearson [{low:.3f}, {high:.3f}]")
    assert share <= 0.05
    assert low < 0.05  # the interval sits at or below the risk limit, not merely the point


def test_the_clopper_pearson_interval_matches_its_textbook_values():
    low, high = clopper_pearson(0, 100)
    assert low == 0 and abs(high - 0.0362) < 0.0005  # "rule of three" territory
    low, high = clopper_pearson(50, 1000)
    assert abs(low - 0.0373) < 0.0005 and abs(high - 0.0654) < 0.0005
