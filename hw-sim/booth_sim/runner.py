"""The simulator's whole-day runner, at its old name: it lives in :mod:`booth_sim.day.runner`.

Kept so that code written against ``booth_sim.runner`` keeps working; new code
imports ``booth_sim.day.runner``.
"""

from booth_sim.day.runner import (
    MARKER,
    MAX_PRINT_TRIES,
    OUTPUTS,
    SUMMARY_FORMAT,
    WRONG_PIN,
    DayStopped,
    OutputRefused,
    PrintedItem,
    SimDay,
    prepare_output,
    print_summary,
    run_day,
)

__all__ = [
    "DayStopped",
    "MARKER",
    "MAX_PRINT_TRIES",
    "OUTPUTS",
    "OutputRefused",
    "PrintedItem",
    "SUMMARY_FORMAT",
    "SimDay",
    "WRONG_PIN",
    "prepare_output",
    "print_summary",
    "run_day",
]
