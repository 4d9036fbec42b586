"""The station model: voters through a desk and N booths (hw-sim/booth_sim/station_model.py).

What a person planning a polling station would check: nobody is lost or counted twice, a booth
holds one voter at a time, one booth is the bottleneck and six booths wait on the desk, the morning
is busier than the afternoon, and a seeded run is the same run again.
"""

from __future__ import annotations

import dataclasses
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth_sim.station_model import (
    HOUR,
    LogNormal,
    Station,
    Timings,
    arrivals,
    ideal,
    simulate,
)


def _records(day):
    return [
        (v.number, v.checkin_started, v.checked_in, v.released, v.booth, v.booth_left, v.photo_started, v.left)
        for v in day.voters
    ]


@settings(max_examples=40, deadline=None)
@given(
    booths=st.integers(1, 6),
    clerks=st.integers(1, 3),
    voters=st.integers(0, 120),
    seed=st.integers(0, 10_000),
    saturated=st.booleans(),
)
def test_every_voter_who_arrives_leaves_exactly_once_and_in_order(booths, clerks, voters, seed, saturated):
    people = arrivals(voters, hours=2, seed=seed, saturated=saturated)
    day = simulate(Station(booths=booths, checkin_clerks=clerks), people)
    assert len(day.voters) == voters == day.served + day.refused
    assert sorted(v.number for v in day.voters) == list(range(voters))
    for v in day.voters:
        assert v.departures == 1 and v.left is not None
        assert v.arrived <= v.checkin_started <= v.checked_in <= v.left
        if v.refused:
            assert v.booth is None and v.released is None  # refused at the desk: never in a booth
        else:
            assert 1 <= v.booth <= booths
            assert v.checked_in <= v.released < v.booth_left < v.back_at_desk <= v.photo_started < v.left
            assert v.wait >= 0
    # A booth holds one voter at a time: its visits never overlap.
    for booth in range(1, booths + 1):
        spans = sorted((start, end) for b, start, end in day.booth_visits if b == booth)
        assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False))
    assert len(day.booth_visits) == day.served


def test_with_one_booth_the_booth_is_the_bottleneck():
    station = Station(booths=1)
    day = simulate(station, arrivals(300, saturated=True, seed=3))
    assert ideal(station).bottleneck == "booths"
    # The booth never rests while the desk has time on its hands.
    assert day.utilisation("booths") > 0.97
    assert day.utilisation("checkin") < 0.5 and day.utilisation("photo") < 0.2
    # Served at the booth's pace: within 10% of its capacity, and voters pile up waiting for it.
    assert abs(day.per_hour() / ideal(station).per_hour - 1) < 0.1
    assert day.max_wait() > 2 * HOUR


def test_with_six_booths_the_desk_is_the_bottleneck_and_booths_stand_empty():
    station = Station(booths=6)
    day = simulate(station, arrivals(300, saturated=True, seed=3))
    assert ideal(station).bottleneck == "checkin"
    assert day.utilisation("checkin") > 0.95
    assert day.utilisation("booths") < 0.9
    assert abs(day.per_hour() / ideal(station).per_hour - 1) < 0.1


def test_a_second_booth_nearly_doubles_what_one_booth_serves():
    people = arrivals(300, saturated=True, seed=11)
    one = simulate(Station(booths=1), people).per_hour()
    two = simulate(Station(booths=2), people).per_hour()
    assert 1.8 < two / one <= 2.05


def test_three_booths_serve_five_hundred_voters_in_under_three_hours():
    day = simulate(Station(booths=3), arrivals(500, saturated=True, seed=1))
    assert day.served + day.refused == 500
    assert day.last_out < 3 * HOUR


def test_a_seeded_run_repeats_and_another_seed_is_another_day():
    station = Station(booths=3)
    first = simulate(station, arrivals(200, seed=42))
    again = simulate(station, arrivals(200, seed=42))
    other = simulate(station, arrivals(200, seed=43))
    assert _records(first) == _records(again)
    assert _records(first) != _records(other)


def test_the_same_voters_go_through_every_station_unchanged():
    people = arrivals(100, seed=5)
    before = [(v.arrived, v.checkin_s, v.booth_s, v.left) for v in people]
    for booths in (1, 3, 6):
        simulate(Station(booths=booths), people)
    assert [(v.arrived, v.checkin_s, v.booth_s, v.left) for v in people] == before
    assert all(v.left is None for v in people)


def test_the_morning_is_busier_than_the_last_hour_and_nobody_comes_after_closing():
    people = arrivals(2000, hours=6, seed=9)
    hour = [sum(1 for v in people if h * HOUR <= v.arrived < (h + 1) * HOUR) for h in range(6)]
    assert all(0 <= v.arrived <= 6 * HOUR for v in people)
    assert max(hour) == hour[1]  # 08:00-09:00 for polls opening at 07:00
    assert hour[1] > 1.7 * hour[5]


def test_the_ideal_uses_the_same_timings_the_voters_are_drawn_from():
    t = Timings()
    people = arrivals(20_000, saturated=True, seed=2, timings=t)
    assert abs(statistics.fmean(v.checkin_s for v in people) / t.mean_checkin() - 1) < 0.03
    voting = [v for v in people if not v.refused]
    booth = statistics.fmean(v.walk_in_s + v.booth_s for v in voting)
    assert abs(booth / t.mean_booth() - 1) < 0.03
    assert abs(statistics.fmean(v.photo_s for v in voting) / t.mean_photo() - 1) < 0.03
    assert abs(sum(v.refused for v in people) / len(people) - t.refused_share()) < 0.003
    # a few assisted voters, a few disputes: small shares, as stated
    assert 0.02 < sum(v.assisted for v in people) / len(people) < 0.06


def test_slower_voters_in_the_booth_lower_the_ideal_of_a_booth_bound_station():
    slow = dataclasses.replace(Timings(), booth=LogNormal(70, 0.45))
    assert ideal(Station(booths=3, timings=slow)).per_hour < ideal(Station(booths=3)).per_hour
    day = simulate(Station(booths=3, timings=slow), arrivals(300, saturated=True, seed=4, timings=slow))
    assert day.per_hour() < simulate(Station(booths=3), arrivals(300, saturated=True, seed=4)).per_hour()


def test_a_station_without_a_booth_is_refused():
    with pytest.raises(ValueError, match="at least one booth"):
        Station(booths=0)


def test_the_models_docstring_examples_hold():
    import doctest

    from booth_sim import station_model

    assert doctest.testmod(station_model).failed == 0


def test_the_benchmark_prints_each_station_beside_its_ideal_and_one_json_line():
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "station_throughput.py"
    out = subprocess.run(
        [sys.executable, str(script), "--runs", "2", "--voters", "200", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    assert [r["booths"] for r in figures["rows"]] == [1, 2, 3, 6]
    for row in figures["rows"]:
        assert row["ideal_per_hour"] == round(ideal(Station(booths=row["booths"])).per_hour, 1)
        assert 0.8 < row["share_of_ideal"] < 1.2
    assert set(figures["target"]) == {"hours", "share", "day_wait", "crowded_wait"}
    assert "ideal" in out and "PASS" in out
    assert figures["issue_target"] in ("MET", "NOT MET")
    # A crowded morning: what a committee can do, each option its own station, same voters.
    options = {(o["booths"], o["checkin"]): o for o in figures["crowded_options"]}
    assert set(options) == {(3, 2), (3, 3), (4, 2), (4, 3)}
    for (booths, checkin), o in options.items():
        assert o["ideal_per_hour"] == round(ideal(Station(booths=booths, checkin_clerks=checkin)).per_hour, 1)
    assert options[(3, 2)]["crowded_max_wait_min"] == figures["rows"][2]["crowded_max_wait_min"]
    assert options[(4, 3)]["crowded_max_wait_min"] <= options[(3, 2)]["crowded_max_wait_min"]


def test_the_days_timeline_is_what_each_device_does_in_time_order_and_names_no_voter():
    from booth_sim.station_model import Step, timeline

    day = simulate(Station(booths=3), arrivals(400, seed=8))
    steps = timeline(day)
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert len(steps) == 4 * day.served + day.refused
    assert {f.name for f in dataclasses.fields(Step)} == {"at", "device", "action", "booth"}
    for booth in ("bilik-1", "bilik-2", "bilik-3"):
        released = sum(1 for s in steps if s.action == "release" and s.booth == booth)
        cast = sum(1 for s in steps if s.action == "cast" and s.device == booth)
        assert released == cast > 0
    assert {s.device for s in steps if s.action in ("check_in", "refuse", "release", "photo")} == {"meja"}
