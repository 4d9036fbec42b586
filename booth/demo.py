"""The demo day: the fictional Pilkakon of Pekon Sukamaju on a simulated booth, end to end.

``booth demo`` runs the built-in demo scenario (``booth_sim.day.demo_scenario``:
about 300 voters and every fault the field knows) through the scenario runner,
the same as ``booth sim`` would, into ``demo-out/`` by default.  With a display
and the simulator window available it opens the window instead; otherwise it
runs headless and says so.  ``booth demo --booths 3`` runs a polling station's day instead (a
check-in desk and three booths, each its own ledger; ``booth_sim.day.station_demo``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import TextIO


def window_available(headless: bool) -> tuple[bool, str]:
    """Whether the simulator window can open, and if not, why (for the person at the terminal)."""
    if headless:
        return False, "--headless"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False, "tidak ada layar / no display (DISPLAY, WAYLAND_DISPLAY)"
    try:
        found = "booth_sim.day.window" in sys.modules or importlib.util.find_spec("booth_sim.day.window") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return False, "jendela simulator belum tersedia / the simulator window is not available yet"
    return True, ""


def _voters_ok(voters: int, stream: TextIO) -> bool:
    from booth_sim.day.demo_scenario import MAX_VOTERS, MIN_VOTERS

    if MIN_VOTERS <= voters <= MAX_VOTERS:
        return True
    stream.write(f"booth demo: --voters must be from {MIN_VOTERS} to {MAX_VOTERS}\n")
    return False


def demo_day(voters: int, seed: int):
    """The demo election day as a checked scenario (``voters`` on the DPT, choices from ``seed``)."""
    from booth_sim.day.demo_scenario import demo_scenario
    from booth_sim.day.scenario import parse_scenario

    return parse_scenario(demo_scenario(voters, seed), source="<booth demo>")


def run_demo(out: Path, *, voters: int = 300, seed: int = 2025, headless: bool = False, stream: TextIO) -> int:
    """Run the demo day into ``out`` (replacing an earlier demo or sim output there); return an exit code."""
    from booth_sim.day.runner import run_day
    from booth_sim.day.scenario import ScenarioError

    if not _voters_ok(voters, stream):
        return 2
    try:
        scenario = demo_day(voters, seed)
    except ScenarioError as exc:  # a bug in the built-in scenario: say it plainly
        from booth.sim_cli import refuse_scenario

        return refuse_scenario(exc, stream)
    window, why = window_available(headless)
    if window:
        sim_window = importlib.import_module("booth_sim.day.window")
        return sim_window.run(scenario=scenario, out=out)
    stream.write(
        f"Demo Pilkakon Pekon Sukamaju: {scenario.voters_who_vote()} suara / votes, tanpa jendela / headless ({why})\n"
    )
    return run_day(scenario, out, stream=stream)


def run_station_day(
    out: Path,
    *,
    booths: int,
    voters: int = 300,
    seed: int = 2025,
    stream: TextIO,
    screens: bool = False,
    faults: str | None = None,
    headless: bool = True,
) -> int:
    """``booth demo --booths N``: a station day of a check-in desk and N booths, headless
    (``booth_sim.day.station_demo``); its ``results.zip`` is the station bundle; ``screens``: every
    device's kiosk side by side at the day's moments, into ``out/screens/``; ``faults``: ``--faults``
    (power, drop, replace, desk-power; ``none``; ``None``: all the number of booths allows).  With a
    display (not ``headless``, no ``screens``, no ``faults``) the station window opens instead
    (``booth_sim.day.station_window``): the tester plays the companions and the voters at the desk
    and the booths with the mouse."""
    from booth_sim.day.station_demo import run_station_demo

    if not _voters_ok(voters, stream):
        return 2
    window, why = window_available(headless or screens or faults is not None)
    if window:
        station_window = importlib.import_module("booth_sim.day.station_window")
        return int(station_window.run(out, booths=booths, voters=voters, seed=seed))
    return run_station_demo(out, booths=booths, voters=voters, seed=seed, stream=stream, screens=screens, faults=faults)


def write_demo_scenario(path: Path, *, voters: int = 300, seed: int = 2025, stream: TextIO) -> int:
    """Write the demo day as a scenario file (refusing to overwrite one)."""
    from booth_sim.day.demo_scenario import demo_scenario
    from booth_sim.day.scenario import dumps

    if not _voters_ok(voters, stream):
        return 2
    if path.exists():
        stream.write(f"booth demo: {path} exists; not overwritten\n")
        return 2
    path.write_text(dumps(demo_scenario(voters, seed)), encoding="utf-8")
    stream.write(f"Skenario demo ditulis / demo scenario written: {path}  (booth sim --scenario {path})\n")
    return 0
