"""``booth sim``: run a scripted election day (a scenario file) on the simulated booth, headless.

    booth sim --scenario day.scenario.json --out sim-out
    booth sim --scenario day.scenario.json --check        # only check the file
    booth sim --scenario day.scenario.json --screens      # the voters vote on the kiosk; DIR/screens/

The scenario format is in ``docs/scenarios.md``.  Exit codes: 0 every
expectation met and ``booth verify`` passes; 1 something was not as expected
(``summary.json`` and ``log.txt`` say what); 2 the scenario or the output
folder is refused, and nothing was written.
"""

from __future__ import annotations

import sys
from pathlib import Path


def refuse_scenario(error, stream=None) -> int:
    """Print a refused scenario's problems, one per line; return exit code 2."""
    stream = stream or sys.stderr
    stream.write(
        "booth sim: skenario ditolak, tidak ada yang ditulis / the scenario is refused, nothing was written:\n"
    )
    for problem in error.problems:
        stream.write(f"  {problem}\n")
    return 2


def _cmd_sim(args) -> int:
    from booth_sim.day.runner import run_day
    from booth_sim.day.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(Path(args.scenario))
    except ScenarioError as exc:
        return refuse_scenario(exc)
    if args.check:
        print(
            f"Skenario sah / the scenario is valid: {len(scenario.steps)} steps, "
            f"{scenario.voters_who_vote()} votes, expected tally "
            + ", ".join(f"{k}: {v}" for k, v in scenario.choices_tally().items())
        )
        return 0
    if args.screens:
        from booth_dev.gallery import scenario_screens

        return scenario_screens(scenario, Path(args.out), stream=sys.stdout)
    return run_day(scenario, Path(args.out), stream=sys.stdout, state_in_memory=not args.state_on_disk)


def register(sub) -> None:
    """Add ``booth sim`` to the ``booth`` command's subparsers."""
    p = sub.add_parser("sim", help="run a scripted election day (scenario file) on the simulated booth")
    p.add_argument("--scenario", required=True, metavar="FILE", help="the scenario (see docs/scenarios.md)")
    p.add_argument(
        "--out",
        default="sim-out",
        metavar="DIR",
        help="folder for state/, prints/, results.zip, summary.json, log.txt (default: sim-out)",
    )
    p.add_argument("--check", action="store_true", help="only check the scenario; run nothing, write nothing")
    p.add_argument(
        "--state-on-disk",
        action="store_true",
        help="keep the device state in DIR/state while the day runs (slower: every change is fsynced)",
    )
    p.add_argument(
        "--screens",
        action="store_true",
        help="also drive the kiosk (headless): every voter votes by touch or the buttons, and "
        "a screenshot of every step goes to DIR/screens/ (slower)",
    )
    p.set_defaults(func=_cmd_sim)
