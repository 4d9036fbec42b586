"""`booth verify` reads the device's clocks: a step back within one boot is invalid, across a
power cut it is a warning with the gap (a Pi without a real-time clock comes back late)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from booth.ledger.timeline import TimeWalk, gap_words
from booth.ledger.verify import format_report, open_source, verify
from service_day import ready_to_vote, vote


def test_a_clock_behind_after_a_power_cut_is_a_warning_with_its_gap(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    vote(booth.svc, "DPT-0001", "1")
    # The power goes; the Pi (no RTC) comes back two hours behind, in a new boot.
    booth.clock.boot = "after-the-power-cut"
    booth.clock.set(booth.clock.now() - dt.timedelta(hours=2))
    booth.restart(crash=True)
    booth.clock.advance(60)
    # voting goes on at once: the wait between casts does not last until the clock catches up
    vote(booth.svc, "DPT-0002", "2")
    booth.close()
    report = verify(open_source(tmp_path / "state"))
    assert report.ok, report.problems  # the day is still valid ...
    [warning] = report.summary["time_warnings"]  # ... and the committee is told
    assert 7190 <= warning["gap_s"] <= 7210 and "the clock was behind after the restart" in warning["what"]
    assert report.summary["boots"] == 2
    shown = format_report(report)
    assert "PERINGATAN JAM / CLOCK WARNING" in shown and "HASIL / RESULT: SAH / VALID" in shown
    cli = subprocess.run(
        [sys.executable, "-m", "booth", "verify", str(tmp_path / "state")], capture_output=True, text=True, timeout=120
    )
    assert cli.returncode == 0 and "PERINGATAN JAM / CLOCK WARNING" in cli.stdout, cli.stdout + cli.stderr


def test_a_clock_set_back_within_one_boot_makes_the_log_invalid(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    vote(booth.svc, "DPT-0001", "1")
    booth.clock.set(booth.clock.now() - dt.timedelta(minutes=30))  # same boot: nobody may do this
    booth.clock.advance(60)
    vote(booth.svc, "DPT-0002", "2")
    booth.close()
    report = verify(open_source(tmp_path / "state"))
    assert not report.ok
    assert any("of the same boot" in p.what and "28 min 50 s before" in p.what for p in report.problems), (
        report.problems
    )


def test_an_ordinary_day_has_no_clock_warning(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    vote(booth.svc, "DPT-0001", "1")
    booth.restart()  # a service restart within the same boot: the clocks go on
    booth.clock.advance(60)
    vote(booth.svc, "DPT-0002", "3")
    booth.close()
    report = verify(open_source(tmp_path / "state"))
    assert report.ok and report.summary["time_warnings"] == [] and report.summary["boots"] == 1


T0 = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)
steps = st.lists(
    st.tuples(st.booleans(), st.integers(-3_600, 3_600), st.integers(-(10**9), 10**12)), min_size=1, max_size=40
)


@given(steps)
def test_invalid_exactly_when_a_clock_goes_back_within_one_boot(sequence):
    """Each step: a new boot or not, the wall clock's move (s), the monotonic clock's move (ns)."""
    walk, problems = TimeWalk(), []
    boot, mono, when = 0, 10**9, T0
    expected_problems = expected_warnings = 0
    for index, (new_boot, wall_step, mono_step) in enumerate(sequence):
        if index:
            if new_boot:
                boot, mono = boot + 1, abs(mono_step)
                expected_warnings += wall_step < 0
            else:
                mono += mono_step
                expected_problems += mono_step < 0 or wall_step < 0
            when += dt.timedelta(seconds=wall_step)
        entry = {"time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "boot": f"b{boot}", "mono_ns": mono}
        walk.follow(lambda where, what: problems.append((where, what)), f"event {index}", index, entry)
    assert len(problems) == expected_problems
    assert len(walk.warnings) == expected_warnings
    assert walk.boots == boot + 1


def test_gaps_read_as_people_say_them():
    assert gap_words(45) == "45 s" and gap_words(125) == "2 min 05 s" and gap_words(3 * 86400 + 7200) == "3 days 2 h"
