"""The built-in demo day, at its old name: it lives in :mod:`booth_sim.day.demo_scenario`.

Kept so that code written against ``booth_sim.demo_scenario`` keeps working; new code
imports ``booth_sim.day.demo_scenario``.
"""

from booth_sim.day.demo_scenario import (
    DEMO_PINS,
    DPTB,
    MAX_VOTERS,
    MIN_VOTERS,
    PLACE,
    demo_scenario,
)

__all__ = [
    "DEMO_PINS",
    "DPTB",
    "MAX_VOTERS",
    "MIN_VOTERS",
    "PLACE",
    "demo_scenario",
]
