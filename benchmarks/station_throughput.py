"""How many voters an hour a station of one desk and 1, 2, 3 or 6 booths serves, and how long they wait.

The model and its human timings are hw-sim/booth_sim/station_model.py (the docstring says why each
value).  For each number of booths, over ``--runs`` seeded runs of ``--voters`` voters:

* **Capacity**: everyone at the door at opening (a queue that never empties); voters who voted per
  hour until the last one left, beside the **ideal**: the slowest stage's capacity computed from
  the distributions' means (servers x 3600 / mean seconds per voter), measured in the same run.
  Also the hours the station needs for ``--voters`` voters.
* **The day**: the voters come over 6 h of polling (07:00-13:00) with a morning peak; the longest
  and the 95th-percentile wait (time in a queue: for check-in, for a booth, for the photo) over
  every voter of every run.
* **A crowded morning**: the same voters come within 3 h of polling (an average of 167 an hour
  for 500); same waits, and when the last voter left.

Target (issue 12): 3 booths serve 500 voters in under 3 h of polling, within 10% of the ideal,
with no voter waiting over 10 minutes.  We read it as the capacity run (under 3 h, within 10%)
and the 6-hour day (no wait over 10 min): the issue's target.  The crowded morning is harder than
the issue asks (500 voters within 3 h, a peak above what 3 booths serve); for it the benchmark
also shows what a committee can do: a third check-in companion, a fourth booth, or both.
Exit code 0 whatever the figures.

    python3 benchmarks/station_throughput.py            # about 10 s
    python3 benchmarks/station_throughput.py --json     # one JSON object as the last line
    python3 benchmarks/station_throughput.py --booths 4 --checkin 3   # another station
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hw-sim"))

from booth_sim.station_model import HOUR, Station, arrivals, ideal, percentile, simulate

BOOTHS = (1, 2, 3, 6)
TARGET_BOOTHS = 3
TARGET_HOURS = 3.0
TARGET_SHARE = 0.9
TARGET_WAIT_MIN = 10.0


def measure(booths: int, voters: int, runs: int, checkin: int = 2) -> dict[str, float | str]:
    station = Station(booths=booths, checkin_clerks=checkin)
    best = ideal(station)
    rates, hours, day_waits, crowd_waits, crowd_last = [], [], [], [], []
    for seed in range(1, runs + 1):
        full = simulate(station, arrivals(voters, saturated=True, seed=seed))
        rates.append(full.per_hour())
        hours.append(full.last_out / HOUR)
        day_waits += simulate(station, arrivals(voters, hours=6, seed=seed)).waits()
        crowd = simulate(station, arrivals(voters, hours=3, seed=seed))
        crowd_waits += crowd.waits()
        crowd_last.append(crowd.last_out / HOUR)
    day_waits.sort()
    crowd_waits.sort()
    rate = statistics.fmean(rates)
    return {
        "booths": booths,
        "ideal_per_hour": round(best.per_hour, 1),
        "bottleneck": best.bottleneck,
        "per_hour": round(rate, 1),
        "share_of_ideal": round(rate / best.per_hour, 3),
        "hours_for_all": round(max(hours), 2),
        "day_max_wait_min": round(day_waits[-1] / 60, 1),
        "day_p95_wait_min": round(percentile(day_waits, 0.95) / 60, 1),
        "crowded_max_wait_min": round(crowd_waits[-1] / 60, 1),
        "crowded_p95_wait_min": round(percentile(crowd_waits, 0.95) / 60, 1),
        "crowded_last_out_h": round(max(crowd_last), 2),
    }


# What a committee can do about a crowded morning (the desk's companions, the booths it sets up).
CROWDED_OPTIONS = ((3, 2), (3, 3), (4, 2), (4, 3))


def crowded(booths: int, checkin: int, voters: int, runs: int) -> dict[str, float | int]:
    """The crowded 3-hour morning alone, for a station of ``booths`` and ``checkin`` companions."""
    station = Station(booths=booths, checkin_clerks=checkin)
    waits: list[float] = []
    for seed in range(1, runs + 1):
        waits += simulate(station, arrivals(voters, hours=3, seed=seed)).waits()
    waits.sort()
    return {
        "booths": booths,
        "checkin": checkin,
        "ideal_per_hour": round(ideal(station).per_hour, 1),
        "crowded_max_wait_min": round(waits[-1] / 60, 1),
        "crowded_p95_wait_min": round(percentile(waits, 0.95) / 60, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20, help="seeded runs per number of booths (seeds 1..RUNS)")
    parser.add_argument("--booths", default=",".join(map(str, BOOTHS)), help="numbers of booths, comma-separated")
    parser.add_argument("--checkin", type=int, default=2, help="check-in companions at the desk")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()

    rows = [measure(int(n), args.voters, args.runs, args.checkin) for n in args.booths.split(",")]
    print(
        f"station throughput: {args.voters} voters, {args.runs} seeded runs per row "
        f"(desk: {args.checkin} check-in, 1 photo)"
    )
    one = ideal(Station(booths=1, checkin_clerks=args.checkin)).stages
    print(
        f"  ideal = the least of: check-in {one['checkin']:.1f}/h, photo {one['photo']:.1f}/h, "
        f"booths {one['booths']:.1f}/h each (from the timings' means)"
    )
    print(
        "  booths | voters/h (ideal, bottleneck, share) | h for all | day wait max/p95 | crowded 3 h max/p95, last out"
    )
    for r in rows:
        print(
            f"  {r['booths']:6} | {r['per_hour']:6.1f} ({r['ideal_per_hour']:6.1f}, {r['bottleneck']:7}, "
            f"{float(r['share_of_ideal']):5.1%}) | {r['hours_for_all']:9.2f} | "
            f"{r['day_max_wait_min']:5.1f} / {r['day_p95_wait_min']:4.1f} min | "
            f"{r['crowded_max_wait_min']:5.1f} / {r['crowded_p95_wait_min']:4.1f} min, {r['crowded_last_out_h']:.2f} h"
        )
    t = next((r for r in rows if r["booths"] == TARGET_BOOTHS), None)
    if t is None:
        if args.json:
            print(json.dumps({"voters": args.voters, "runs": args.runs, "checkin": args.checkin, "rows": rows}))
        return 0
    checks = {
        "hours": float(t["hours_for_all"]) < TARGET_HOURS,
        "share": float(t["share_of_ideal"]) >= TARGET_SHARE,
        "day_wait": float(t["day_max_wait_min"]) <= TARGET_WAIT_MIN,
        "crowded_wait": float(t["crowded_max_wait_min"]) <= TARGET_WAIT_MIN,
    }

    def mark(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    print(f"target, {TARGET_BOOTHS} booths:")
    print(
        f"  {args.voters} voters served in {t['hours_for_all']} h (under {TARGET_HOURS:g} h): {mark(checks['hours'])}"
    )
    print(f"  {float(t['share_of_ideal']):.1%} of the ideal (at least {TARGET_SHARE:.0%}): {mark(checks['share'])}")
    print(
        f"  longest wait over a 6 h day {t['day_max_wait_min']} min (at most {TARGET_WAIT_MIN:g}): "
        f"{mark(checks['day_wait'])}"
    )
    print(
        f"  longest wait when all come within 3 h {t['crowded_max_wait_min']} min (at most {TARGET_WAIT_MIN:g}): "
        f"{mark(checks['crowded_wait'])}"
    )
    issue = checks["hours"] and checks["share"] and checks["day_wait"]
    print(
        f"  the issue's target (under {TARGET_HOURS:g} h, within {1 - TARGET_SHARE:.0%} of the ideal, "
        f"no wait over {TARGET_WAIT_MIN:g} min through the day): {'MET' if issue else 'NOT MET'}"
    )
    options = [crowded(b, c, args.voters, args.runs) for b, c in CROWDED_OPTIONS]
    print("a crowded morning (all within 3 h): what the committee can do")
    print("  booths | check-in companions | ideal/h | longest wait / p95")
    for o in options:
        ok = float(o["crowded_max_wait_min"]) <= TARGET_WAIT_MIN
        print(
            f"  {o['booths']:6} | {o['checkin']:19} | {o['ideal_per_hour']:7.1f} | "
            f"{o['crowded_max_wait_min']:5.1f} / {o['crowded_p95_wait_min']:4.1f} min  {mark(ok)}"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "voters": args.voters,
                    "runs": args.runs,
                    "checkin": args.checkin,
                    "rows": rows,
                    "target": {k: mark(v) for k, v in checks.items()},
                    "issue_target": "MET" if issue else "NOT MET",
                    "crowded_options": options,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
