"""The scenario checker knows the day's rules from the core, not from a copy of its own.

``booth sim --check`` walks a scenario as the day would go (``_DayCheck``).  It
reads the polls transitions (``polls.TRANSITIONS``), the states of the other
acts (``polls.ACTS``), the custody order and the role table
(``companions.PERMISSIONS``) from the core: change a rule there and the checker
follows, so a scenario the checker passes is one the booth would run.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from pathlib import Path

import pytest

from booth import companions, polls
from booth_sim.day import scenario as scenario_module
from booth_sim.day.scenario import ScenarioError, parse_scenario

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"
_text = DOC.read_text(encoding="utf-8")
EXAMPLE = json.loads(re.search(r"```json\n(.*?)```", _text[_text.index('<a id="example"></a>') :], re.DOTALL).group(1))


def problems(change) -> list[str]:
    """The checker's problems with the documented example after ``change`` (none: [])."""
    s = copy.deepcopy(EXAMPLE)
    change(s)
    try:
        parse_scenario(s, source="day.json", base=DOC.parent)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


def pause_after_counting(s) -> None:
    s["steps"].insert(37, {"step": "pause", "reason": "istirahat"})


def test_the_checker_writes_no_polls_state_of_its_own():
    source = inspect.getsource(scenario_module._DayCheck)
    for state in polls.STATE_WORDS:
        assert f'"{state}"' not in source, f"_DayCheck spells the polls state {state!r} itself"


def test_a_pause_after_the_count_is_refused_because_the_polls_table_says_so(monkeypatch):
    assert any("only open polls can pause (the polls are counted here)" in p for p in problems(pause_after_counting))
    # were the core to allow it, the checker would follow
    sources, target, event = polls.TRANSITIONS["pause"]
    monkeypatch.setitem(polls.TRANSITIONS, "pause", (sources | {polls.COUNTED}, target, event))
    remaining = problems(pause_after_counting)
    assert not any("can pause" in p for p in remaining), remaining


def test_who_may_count_is_the_role_table(monkeypatch):
    def teknisi_counts(s):
        s["steps"][36]["by"] = "PT-02"

    assert any("PT-02 (teknisi) may not count" in p for p in problems(teknisi_counts))
    monkeypatch.setitem(companions.PERMISSIONS, "count", companions.PERMISSIONS["count"] | {"teknisi"})
    assert not any("may not count" in p for p in problems(teknisi_counts))


def test_results_are_printed_only_in_the_states_the_core_allows(monkeypatch):
    def results_before_count(s):
        s["steps"].insert(36, {"step": "results", "copies": 1})

    assert any(
        "results are printed after counting (the polls are closed here)" in p for p in problems(results_before_count)
    )
    monkeypatch.setitem(polls.ACTS, "results_printed", frozenset({polls.CLOSED, polls.COUNTED}))
    assert not any("results are printed after counting" in p for p in problems(results_before_count))


@pytest.mark.parametrize("stage", polls.MANUAL_CUSTODY)
def test_custody_steps_come_in_the_cores_order(stage):
    index = polls.MANUAL_CUSTODY.index(stage)

    def twice(s):
        custody = [i for i, step in enumerate(s["steps"]) if step["step"] == "custody"]
        s["steps"].insert(custody[-1] + 1, dict(s["steps"][custody[index]]))

    expected = "next is none (all recorded)"
    assert any(f"custody stage {stage} is out of order; {expected}" in p for p in problems(twice))
