"""Any afternoon, whatever the table reads: the record always re-checks, and its verdicts follow the rule.

Hypothesis plays the people: the dice, what each pulled slip turns out to be
(as recorded, another choice, nothing there, a stranger's slip, a VOID
print), and sometimes the committee's choice to count every slip by hand.
Whatever happens, ``booth audit check`` reproduces the record, every
recorded risk is the Kaplan-Markov product over the draws' recorded
overstatements, and a round stops exactly when that risk is within the limit.
"""

from __future__ import annotations

import itertools
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit_days
from booth.audit import record as audit_record
from booth.audit import risk
from booth.audit.contest import read_contest
from booth.audit.record import AuditRecord, StepRefused

READINGS = ("as_recorded", "other_choice", "nothing", "stranger", "void")
counter = itertools.count()


@pytest.fixture(scope="module")
def small_village():
    with audit_days.fast_dir() as tmp:
        paper = audit_days.closed_day(tmp / "b1", {"1": 35, "2": 20, "3": 5}, spoil=1, seed=9)
        yield read_contest([tmp / "b1"]), paper, tmp


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dice=st.lists(st.text("0123456789", min_size=20, max_size=20), min_size=6, max_size=6, unique=True),
    readings=st.lists(st.sampled_from(READINGS), min_size=1, max_size=80),
    paper_count=st.integers(min_value=50, max_value=70),
    hand_count_after=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
)
def test_whatever_the_table_reads_the_record_reproduces_and_stops_by_the_rule(
    small_village, dice, readings, paper_count, hand_count_after
):
    contest, paper, tmp = small_village
    folder = Path(tempfile.mkdtemp(dir=tmp))
    record = AuditRecord.create(folder / "audit.jsonl", contest, Decimal("0.1"))
    state = record.state
    record.step("paper.counted", {"counts": {"1": paper_count}})
    reads = itertools.cycle(readings)
    for number, digits in enumerate(dice, start=1):
        if state.finished is not None or state._decision() == "full_hand_count":
            break
        if hand_count_after is not None and number > hand_count_after:
            break
        try:
            record.step("round.seeded", {"round": number, "dice": digits})
        except StepRefused:
            break
        for box, position in state.unread(number):
            kind, ballot_id, choice = paper[position - 1] if position <= len(paper) else ("none", None, None)
            how = next(reads)
            if how == "other_choice" and kind == "slip":
                choice = {"1": "2", "2": "1", "3": "1", "blank": "1"}[choice]
            elif how == "nothing":
                kind, ballot_id, choice = "none", None, None
            elif how == "stranger":
                kind, ballot_id, choice = "slip", f"{next(counter):032x}", "2"
            elif how == "void" and kind == "slip":
                kind, choice = "void", None
            inputs = {"box": box, "position": position, "kind": kind, "ballot_id": ballot_id}
            record.step("slip.read", {**inputs, "choice": choice, "how": "qr"})
        measured = state.rounds[-1].measured
        weighted = [state.reading_for(*p)[1] for p in state.draws()]
        expected = risk.kaplan_markov_risk(state.outcome().diluted_margin, weighted)
        assert Decimal(measured["risk"]) == expected
        assert (measured["decision"] == "stop") == (expected <= Decimal("0.1"))
    if state.finished is None:
        sheet = {"1": 30, "2": 25, "3": 5, "void": 1}
        record.step("hand.counted", {"box": "1", "counts": sheet})
        assert state.finished["outcome"] == "confirmed_by_hand_count"
    ok, words = audit_record.check(record.path, state.head)
    assert ok, words
