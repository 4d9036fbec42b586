"""``booth demo``: run the built-in demo election day and say where the artifacts are."""

from __future__ import annotations

import sys
from pathlib import Path


def _cmd_demo(args) -> int:
    from booth.demo import run_demo

    out = Path(args.out)
    return run_demo(out, voters=args.voters, seed=args.seed, stream=sys.stdout)


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the built-in demo election day (headless) and write its artifacts")
    p.add_argument("--out", default="demo-out", help="directory for the artifacts (default: demo-out)")
    p.add_argument("--voters", type=int, default=300, help="how many voters come to vote (default 300)")
    p.add_argument("--seed", type=int, default=2026, help="seed for the demo voters' choices")
    p.add_argument("--headless", action="store_true", help="no window even if a display is present")
    p.set_defaults(func=_cmd_demo)
