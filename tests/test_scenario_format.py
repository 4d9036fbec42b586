"""Scenario files: the documented example loads, and a broken scenario is refused before anything runs.

Every refusal must name the problem (the field path, the line, or the JSON
position) and leave the output folder unwritten: exit code 2, no ``DIR``.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth_sim.day.scenario import STEP_FIELDS, ScenarioError, dumps, load_scenario, parse_scenario

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"


def documented_example() -> str:
    """The JSON text of the complete example in docs/scenarios.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index('<a id="example"></a>') :]
    return re.search(r"```json\n(.*?)```", section, re.DOTALL).group(1)


def booth(*argv: str) -> tuple[int, str, str]:
    """Run the ``booth`` command line in-process; return (exit code, stdout, stderr)."""
    from booth import cli, demo_cli, sim_cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "sim" not in sub.choices:  # until booth/cli.py registers it
        sim_cli.register(sub)
    if "demo" not in sub.choices:
        demo_cli.register(sub)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        args = parser.parse_args(list(argv))
        code = args.func(args)
    return code, out.getvalue(), err.getvalue()


EXAMPLE = json.loads(documented_example())


def test_the_documented_example_loads_and_uses_every_step_kind(tmp_path):
    path = tmp_path / "example.scenario.json"
    path.write_text(documented_example(), encoding="utf-8")
    scenario = load_scenario(path)
    assert {s.kind for s in scenario.steps} == set(STEP_FIELDS) - {"close"}  # it closes early
    assert scenario.choices_tally() == scenario.expect["tally"] == {"1": 4, "2": 4, "3": 2, "blank": 1}
    assert scenario.steps[0].line == 11  # lines are known, for messages
    code, out, _ = booth("sim", "--scenario", str(path), "--check")
    assert code == 0 and "valid" in out


def test_check_writes_nothing(tmp_path):
    path = tmp_path / "example.json"
    path.write_text(documented_example(), encoding="utf-8")
    out = tmp_path / "out"
    code, _, _ = booth("sim", "--scenario", str(path), "--out", str(out), "--check")
    assert code == 0 and not out.exists()


def test_dumps_round_trips_one_step_per_line():
    text = dumps(EXAMPLE)
    assert json.loads(text) == EXAMPLE
    assert sum(1 for line in text.splitlines() if line.strip().startswith('{"step"')) == len(EXAMPLE["steps"])


def refused(text: str) -> str:
    """Run booth sim on ``text``; assert exit 2 and nothing written; return the messages."""
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "day.scenario.json", Path(tmp) / "out"
        path.write_text(text, encoding="utf-8")
        code, stdout, stderr = booth("sim", "--scenario", str(path), "--out", str(out))
        assert code == 2, stdout + stderr
        assert not out.exists(), "a refused scenario must not write anything"
        assert "nothing was written" in stderr
        return stderr


def with_change(change) -> str:
    scenario = copy.deepcopy(EXAMPLE)
    change(scenario)
    return json.dumps(scenario, indent=1)


# ------------------------------------------------------------------ specific refusals, as a person meets them
def test_a_companion_who_may_not_add_to_the_dptb_is_named():
    def change(s):
        s["steps"][13]["by"] = "PT-02"  # teknisi

    message = refused(with_change(change))
    assert "steps[13] (voter)" in message and "PT-02 (teknisi) may not add dptb" in message


def test_closing_before_the_scheduled_time_needs_early_close():
    def change(s):
        s["steps"][35] = {"step": "close"}

    assert "before the scheduled 2025-11-16 13:00:00: use early_close" in refused(with_change(change))


def test_a_voter_who_voted_cannot_be_listed_again():
    def change(s):
        s["steps"].insert(12, {"step": "voter", "ref": "DPT-0001", "choice": 2})

    assert 'DPT-0001 already voted at steps[10]; for a voter who comes back, use "repeat_visit"' in refused(
        with_change(change)
    )


def test_a_fault_with_nothing_to_happen_to_is_refused():
    def change(s):
        s["steps"].insert(36, {"step": "camera_failure"})

    assert "steps[36] (camera_failure): no photo is taken after this fault" in refused(with_change(change))


def test_duplicate_keys_are_refused_with_the_key():
    text = documented_example().replace('"desk": "PT-01",', '"desk": "PT-01", "desk": "PT-03",')
    assert "the key 'desk' appears twice" in refused(text)


def test_a_blank_vote_where_the_election_does_not_allow_it():
    def change(s):
        s["election"]["demo"]["allow_blank"] = False
        del s["expect"]["tally"]["blank"]

    assert 'not "blank" (this election does not allow blank votes)' in refused(with_change(change))


def test_an_output_folder_that_is_not_an_earlier_run_is_left_alone(tmp_path):
    path = tmp_path / "day.json"
    path.write_text(documented_example(), encoding="utf-8")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    code, stdout, _ = booth("sim", "--scenario", str(path), "--out", str(out))
    assert code == 2 and "not an earlier booth sim output" in stdout
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_missing_scenario_file_is_refused(tmp_path):
    message = refused_path(tmp_path / "nowhere.json")
    assert "cannot read the scenario" in message


def refused_path(path: Path) -> str:
    out = path.parent / "out"
    code, _, stderr = booth("sim", "--scenario", str(path), "--out", str(out))
    assert code == 2 and not out.exists()
    return stderr


def test_parse_scenario_lists_every_problem_at_once():
    def change(s):
        s["steps"][10]["choice"] = 9
        s["steps"][11]["ref"] = "DPT-0999"
        s["clock"]["seconds_per_voter"] = 5

    with pytest.raises(ScenarioError) as caught:
        parse_scenario(json.loads(with_change(change)), source="day.json")
    report = caught.value.report()
    assert "clock.seconds_per_voter: must be a whole number from 10 to 3600, not 5" in report
    assert "steps[10] (voter).choice: must be one of 1, 2, 3, blank, not 9" in report
    assert 'steps[11] (voter).ref: no voter "DPT-0999" in the DPT (DPT-0001 to DPT-0040)' in report


# ------------------------------------------------------------------ hypothesis: broken scenarios of every kind
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WRONG_TYPES = st.sampled_from([None, [], [1, 2], {"x": 1}])
STEP_INDEX = st.integers(0, len(EXAMPLE["steps"]) - 1)


@FAST
@given(index=STEP_INDEX, data=st.data(), value=WRONG_TYPES)
def test_a_field_of_the_wrong_type_is_refused_with_its_path(index, data, value):
    step = EXAMPLE["steps"][index]
    fields = [k for k in step if k != "step"]
    if not fields:
        return
    field = data.draw(st.sampled_from(fields))

    def change(s):
        s["steps"][index][field] = value

    message = refused(with_change(change))
    assert f"steps[{index}] ({step['step']})" in message


@FAST
@given(kind=st.text(min_size=0, max_size=20).filter(lambda k: k not in STEP_FIELDS), index=STEP_INDEX)
def test_an_unknown_step_kind_is_refused(kind, index):
    def change(s):
        s["steps"][index]["step"] = kind

    message = refused(with_change(change))
    assert f"steps[{index}].step: unknown step kind" in message


@FAST
@given(
    ref=st.one_of(st.integers(41, 9999).map(lambda n: f"DPT-{n:04d}"), st.text(max_size=12)),
    index=st.sampled_from([i for i, s in enumerate(EXAMPLE["steps"]) if "ref" in s]),
)
def test_an_unknown_voter_is_refused(ref, index):
    def change(s):
        s["steps"][index]["ref"] = ref

    message = refused(with_change(change))
    assert f"steps[{index}] (voter).ref: no voter" in message


@FAST
@given(
    text=st.one_of(
        st.text(max_size=30),
        st.datetimes().map(lambda d: d.isoformat()),  # no UTC offset
        st.sampled_from(["2025-11-16T25:00:00+07:00", "2025-02-30T07:00:00+07:00", "2025-11-16", "07:00"]),
    )
)
def test_a_time_that_is_not_a_time_is_refused(text):
    def change(s):
        s["steps"][8]["at"] = text

    assert "steps[8] (time).at: must be a date and time with its UTC offset" in refused(with_change(change))


@FAST
@given(
    when=st.datetimes(
        min_value=__import__("datetime").datetime(2025, 11, 14, 8, 0),
        max_value=__import__("datetime").datetime(2025, 11, 14, 12, 0),
    )
)
def test_a_time_step_going_backwards_is_refused(when):
    def change(s):
        s["steps"][8]["at"] = when.replace(microsecond=0).isoformat() + "+07:00"

    # the wrong PINs alone take the clock past 12:15 on the 14th
    assert "steps[8] (time)" in (message := refused(with_change(change)))
    assert "is earlier than the simulated clock at this point" in message


@FAST
@given(
    minutes=st.one_of(
        st.floats(max_value=0, allow_nan=False, allow_infinity=False),
        st.floats(min_value=1441, allow_infinity=False),
        st.text(max_size=5),
        st.booleans(),
    )
)
def test_a_bad_time_advance_is_refused(minutes):
    def change(s):
        s["steps"][22]["minutes"] = minutes

    assert "steps[22] (advance).minutes: must be a number from 0.001 to 1440" in refused(with_change(change))


@FAST
@given(cut=st.integers(1, len(documented_example().rstrip()) - 1))
def test_malformed_json_is_refused_with_its_line_and_column(cut):
    text = documented_example().rstrip()[:cut]
    assert re.search(r"day\.scenario\.json:\d+:\d+: not valid JSON", refused(text))


def test_nan_and_infinity_are_refused():
    text = documented_example().replace('"minutes": 20', '"minutes": NaN')
    assert "NaN is not allowed in a scenario" in refused(text)
