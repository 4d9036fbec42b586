"""The audit's statistics: the committee is told how many slips to draw, and when the paper has spoken.

Checked against the figures people already use: Arlo's (VotingWorks) sample
sizes for a ballot-comparison audit, its Kaplan-Markov P-values, and the
BRAVO ballot-polling figure the issue quotes (~2,400 slips at 5% / 5%).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booth.audit import risk
from booth.audit.risk import Discrepancies, Outcome

ROOT = Path(__file__).resolve().parent.parent
D = Decimal


def booth(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "booth", *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("margin", "low", "high"),
    [("0.04", 156, 170), ("0.05", 125, 136), ("0.10", 63, 68)],
)
def test_a_comparison_audit_at_a_5_percent_risk_needs_the_slips_arlo_quotes(margin, low, high):
    m = D(margin)
    clean = risk.clean_sample_size(m, D("0.05"))
    expected = risk.comparison_sample_size(m, D("0.05"))
    assert expected == high  # Arlo's figure, with its assumed error rates
    assert clean == low  # with no discrepancy at all, fewer do (the 125 and 63)


def test_arlos_own_test_contests_give_its_sample_sizes():
    # server/tests/audit_math/test_supersimple.py: true_sample_sizes at a 10% risk limit
    for margin, expected in [(D("0.2"), 27), (D("0.1"), 54), (D("0.15"), 36), (D(2) / D(15), 40)]:
        assert risk.comparison_sample_size(margin, D("0.1")) == expected


def test_after_a_one_vote_overstatement_the_next_round_brings_the_sample_to_arlos_stopping_size():
    # test_supersimple.py's o1_stopping_size: contests A-D at a 10% risk limit, one 1-vote overstatement found
    for margin, drawn, stopping in [
        (D("0.2"), 27, 38),
        (D("0.1"), 54, 76),
        (D("0.15"), 36, 51),
        (D(2) / D(15), 40, 57),
    ]:
        more = risk.next_round_size(margin, D("0.1"), drawn, Discrepancies(o1=D(1)))
        assert drawn + more == stopping


def test_after_a_two_vote_overstatement_the_audit_counts_by_hand_or_grows_to_arlos_size():
    # o2_stopping_size: contest A (m 0.2, 27 drawn) goes to every ballot; contest E (m 1, 6 drawn) to 33
    assert risk.next_round_size(D("0.2"), D("0.1"), 27, Discrepancies(o2=D(1))) == risk.FULL_HAND_COUNT
    assert 6 + risk.next_round_size(D(1), D("0.1"), 6, Discrepancies(o2=D(1))) == 33


def test_arlos_p_values_for_a_clean_sample_and_one_overstatement():
    # contest A of Arlo's test: margin 0.2, 27 draws; 0.06507 clean, 0.12534 +- 0.001 with one 1-vote overstatement
    assert abs(risk.kaplan_markov_risk(D("0.2"), [0] * 27) - D("0.06507")) < D("0.00001")
    assert abs(risk.kaplan_markov_risk(D("0.2"), [1] + [0] * 26) - D("0.12534")) < D("0.001")
    assert risk.kaplan_markov_risk(D("0.2"), [2] + [0] * 26) == 1  # a two-vote overstatement: no confidence left


def test_ballot_polling_at_5_percent_needs_about_2400_slips():
    n = risk.polling_sample_size(D("0.05"), D("0.05"))
    assert 2300 <= n <= 2500
    assert n > 15 * risk.comparison_sample_size(D("0.05"), D("0.05"))


def test_the_command_prints_the_sample_size_as_its_last_line_for_either_spelling_of_a_margin():
    for margin in ("4%", "0.04", "4 %", "0,04"):
        done = booth("audit", "sample-size", "--margin", margin, "--risk-limit", "5%")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "170"
    polling = booth("audit", "sample-size", "--margin", "5%", "--risk-limit", "0.05", "--kind", "polling")
    assert 2300 <= int(polling.stdout.strip().splitlines()[-1]) <= 2500


@pytest.mark.parametrize("margin", ["5", "abc", "0", "100%", "-5%", "1.5", ""])
def test_a_nonsense_margin_is_refused_in_words_in_indonesian_first(margin):
    done = booth("audit", "sample-size", f"--margin={margin}", "--risk-limit", "5%")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "harus antara 0 dan 1" in done.stderr or "bukan angka" in done.stderr
    assert "must be between 0 and 1" in done.stderr or "is not a number" in done.stderr


def test_a_tie_cannot_be_confirmed_by_a_sample():
    assert risk.comparison_sample_size(D(0), D("0.05")) == risk.FULL_HAND_COUNT
    tie = Outcome({"1": 50, "2": 50}, 100)
    assert tie.diluted_margin == 0
    assert risk.kaplan_markov_risk(tie.diluted_margin, [0] * 99) == 1


def test_the_margin_is_the_winners_lead_over_the_runner_up_over_every_slip():
    outcome = Outcome({"1": 120, "2": 90, "3": 30}, 250)  # 10 blank or spoiled slips besides
    assert outcome.winner == "1" and outcome.losers == ["2", "3"]
    assert outcome.margin_votes == 30
    assert outcome.diluted_margin == D("0.12")


def test_a_slip_for_a_far_behind_loser_weighs_less_than_one_for_the_runner_up():
    outcome = Outcome({"1": 120, "2": 90, "3": 30}, 250)
    assert risk.overstatement(outcome, "1", "2") == (2, D(2))  # winner recorded, runner-up on paper
    # a vote moved from the runner-up to the last: it helps the winner over 3 only, whose lead is 90, not 30
    e, weighted = risk.overstatement(outcome, "2", "3")
    assert e == 1 and weighted == D(30) / D(90)
    assert risk.overstatement(outcome, "1", "3") == (1, D(1))  # the worst pair is still winner vs runner-up
    # an understatement (the paper favours the winner) counts only as much as its weakest pair: conservative
    assert risk.overstatement(outcome, "2", "1") == (-1, D(-1) * 30 / 90)
    assert risk.overstatement(Outcome({"1": 60, "2": 40}, 100), "2", "1") == (-2, D(-2))
    assert risk.overstatement(outcome, "blank", "1")[0] == -1
    assert risk.overstatement(outcome, "1", "blank")[0] == 1
    assert risk.overstatement(outcome, "spoiled", None) == (0, D(0))


counts = st.integers(min_value=0, max_value=6)
margins = st.decimals(min_value=D("0.01"), max_value=D("0.5"), places=3)


@given(margins, st.integers(min_value=10, max_value=400), counts, counts, counts, counts)
def test_the_risk_grows_with_every_overstatement_and_no_understatement_lowers_it(m, n, o1, o2, u1, u2):
    found = Discrepancies(D(o1), D(o2), D(u1), D(u2))
    base = risk.risk_from_counts(m, n + 24, found)
    more = {
        "o1": risk.risk_from_counts(m, n + 24, Discrepancies(D(o1 + 1), D(o2), D(u1), D(u2))),
        "o2": risk.risk_from_counts(m, n + 24, Discrepancies(D(o1), D(o2 + 1), D(u1), D(u2))),
        "u1": risk.risk_from_counts(m, n + 24, Discrepancies(D(o1), D(o2), D(u1 + 1), D(u2))),
        "u2": risk.risk_from_counts(m, n + 24, Discrepancies(D(o1), D(o2), D(u1), D(u2 + 1))),
    }
    assert more["o1"] >= base and more["o2"] >= base  # (capped at 1: equal once no confidence is left)
    assert more["o2"] >= more["o1"]
    assert more["u1"] == base and more["u2"] == base  # (as Arlo: a misread slip cannot buy confidence)
    assert base < 1 or more["o1"] == 1


@given(margins, st.integers(min_value=1, max_value=400), counts, counts)
def test_the_risk_falls_with_every_clean_slip_drawn(m, n, o1, u1):
    found = Discrepancies(o1=D(o1), u1=D(u1))
    before = risk.risk_from_counts(m, n + o1 + u1, found)
    after = risk.risk_from_counts(m, n + o1 + u1 + 1, found)
    assert after <= before
    assert after < before or before == 1


@given(margins, st.sampled_from([D("0.05"), D("0.1"), D("0.01")]))
def test_a_clean_sample_of_the_planned_size_meets_the_risk_limit_and_a_smaller_one_does_not(m, alpha):
    n = risk.clean_sample_size(m, alpha)
    assert risk.kaplan_markov_risk(m, [0] * n) <= alpha
    # the smallest clean sample that does it: the plan (Arlo's -2 gamma ln(alpha) / m) is a little above it
    smallest = int((alpha.ln() / (1 - m / (2 * risk.GAMMA)).ln()).to_integral_value(ROUND_CEILING))
    assert risk.kaplan_markov_risk(m, [0] * smallest) <= alpha
    assert risk.kaplan_markov_risk(m, [0] * (smallest - 1)) > alpha
    assert smallest <= n <= smallest * (1 + m / risk.GAMMA) + 1


@given(margins, counts)
def test_sample_sizes_grow_with_the_discrepancies_found(m, o1):
    fewer = risk.n_min(m, D("0.05"), Discrepancies(o1=D(o1)))
    more = risk.n_min(m, D("0.05"), Discrepancies(o1=D(o1 + 1)))
    two = risk.n_min(m, D("0.05"), Discrepancies(o1=D(o1), o2=D(1)))
    assert fewer < more < two


def test_nothing_else_in_booth_imports_the_audit():
    for path in (ROOT / "booth").rglob("*.py"):
        if path.is_relative_to(ROOT / "booth" / "audit") or path == ROOT / "booth" / "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            assert not any(n.startswith("booth.audit") for n in names), path


def test_the_examples_in_the_audit_docstrings_hold():
    import doctest
    import importlib

    for path in sorted((ROOT / "booth" / "audit").glob("*.py")):
        module = importlib.import_module(f"booth.audit.{path.stem}" if path.stem != "__init__" else "booth.audit")
        assert doctest.testmod(module).failed == 0, module.__name__


def test_a_margin_too_thin_for_any_sample_says_count_every_slip():
    done = booth("audit", "sample-size", "--margin", "0.1%", "--risk-limit", "5%")
    assert done.returncode == 1 and "hitung manual semua struk" in done.stderr
    capped = booth("audit", "sample-size", "--margin", "0.1%", "--risk-limit", "5%", "--ballots", "900")
    assert capped.returncode == 0 and capped.stdout.strip().splitlines()[-1] == "900"
    small = booth("audit", "sample-size", "--margin", "5%", "--risk-limit", "5%", "--ballots", "100")
    assert small.stdout.strip().splitlines()[-1] == "100"  # 136 > 100 slips: all of them
