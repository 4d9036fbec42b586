"""``booth demo``: the built-in demo election day, in the simulator window or headless."""

from __future__ import annotations

import sys
from pathlib import Path


def _cmd_demo(args) -> int:
    from booth.demo import run_demo, write_demo_scenario

    if args.write_scenario:
        return write_demo_scenario(Path(args.write_scenario), voters=args.voters, seed=args.seed, stream=sys.stdout)
    if args.booths is not None:
        from booth.demo import run_station_day

        return run_station_day(
            Path(args.out),
            booths=args.booths,
            voters=args.voters,
            seed=args.seed,
            stream=sys.stdout,
            screens=args.screens,
            faults=args.faults,
            headless=args.headless,
        )
    return run_demo(Path(args.out), voters=args.voters, seed=args.seed, headless=args.headless, stream=sys.stdout)


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the built-in demo election day and write its artifacts")
    p.add_argument("--out", default="demo-out", help="folder for the artifacts (default: demo-out)")
    p.add_argument("--headless", action="store_true", help="no window even if a display is present")
    p.add_argument("--voters", type=int, default=300, help="voters on the demo DPT (default 300; 30 to 2000)")
    p.add_argument("--seed", type=int, default=2025, help="seed of the fictional voters and their choices")
    p.add_argument(
        "--booths",
        type=int,
        default=None,
        metavar="N",
        help="a polling station: a check-in desk and N booths (2 to 6); in the station window with a display"
        " (else headless; docs/station.md)",
    )
    p.add_argument(
        "--screens",
        action="store_true",
        help="with --booths: the desk's and every booth's screens side by side at the day's moments, into OUT/screens/",
    )
    p.add_argument(
        "--faults",
        default=None,
        metavar="LIST",
        help="with --booths: the faults of the day, of power,drop,replace,desk-power (comma-separated), or none;"
        " default: all the number of booths allows (replace needs 3)",
    )
    p.add_argument(
        "--write-scenario",
        metavar="FILE",
        help="write the demo day as a scenario file (to edit and run with booth sim) and stop",
    )
    p.set_defaults(func=_cmd_demo)
