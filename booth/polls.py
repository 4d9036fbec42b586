"""The polls: states and the transitions between them, in one table.

::

    unconfigured --load_election--> configured --open_polls--> open
                                                   open <--pause/resume--> paused
                          open | paused --close_polls--> closed --count--> counted --pack--> packed

* ``load_election`` may be repeated while configured (a corrected package),
  never after the polls opened;
* ``open_polls`` needs a zero report printed since the package was loaded and
  an empty ballot store;
* ``close_polls`` before the scheduled closing time needs a companion's
  reason, which is logged;
* ``count`` only after closing; ``packed`` is final and read-only.

Custody stages (tracking e-voting) run alongside; the last four are recorded
by the polls transitions themselves.
"""

from __future__ import annotations

UNCONFIGURED = "unconfigured"
CONFIGURED = "configured"
OPEN = "open"
PAUSED = "paused"
CLOSED = "closed"
COUNTED = "counted"
PACKED = "packed"

STATE_WORDS = {
    UNCONFIGURED: ("Belum ada paket pemilihan", "No election loaded"),
    CONFIGURED: ("Siap diaktifkan", "Ready for activation"),
    OPEN: ("Pemungutan suara berlangsung", "Voting open"),
    PAUSED: ("Pemungutan dijeda", "Voting paused"),
    CLOSED: ("TPS ditutup", "Polls closed"),
    COUNTED: ("Suara sudah dihitung", "Votes counted"),
    PACKED: ("Perangkat disegel", "Device packed"),
}

# transition -> (states it may start from, state it leads to, the event it logs)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "load_election": (frozenset({UNCONFIGURED, CONFIGURED}), CONFIGURED, "election.loaded"),
    "open_polls": (frozenset({CONFIGURED}), OPEN, "polls.opened"),
    "pause": (frozenset({OPEN}), PAUSED, "polls.paused"),
    "resume": (frozenset({PAUSED}), OPEN, "polls.resumed"),
    "close_polls": (frozenset({OPEN, PAUSED}), CLOSED, "polls.closed"),
    "count": (frozenset({CLOSED}), COUNTED, "polls.counted"),
    "pack": (frozenset({COUNTED}), PACKED, "polls.packed"),
}

# acts of the day that are not transitions, and the polls states they may happen in
# (read by the service's guard and by the scenario checker of the simulator)
ACTS: dict[str, frozenset[str]] = {
    "zero_report": frozenset({CONFIGURED}),
    "zero_report_printed": frozenset({CONFIGURED}),
    "check_in": frozenset({OPEN, PAUSED}),
    "add_dptb": frozenset({OPEN, PAUSED}),
    "release_ballot": frozenset({OPEN}),
    "cast": frozenset({OPEN}),
    "results_printed": frozenset({COUNTED}),
    "export": frozenset({COUNTED}),
}

# the polls state each logged event leads to (for replaying the log)
STATE_AFTER_EVENT = {event: target for _, target, event in TRANSITIONS.values()}

CUSTODY_STAGES = [
    ("received", "Diterima", "Received"),
    ("distributed", "Didistribusikan", "Distributed"),
    ("handed_over", "Serah terima di pekon", "Handed over at the village"),
    ("installed", "Dipasang dan diuji", "Installed and self-tested"),
    ("activated", "Diaktifkan (laporan nol)", "Activated (zero report)"),
    ("voting_opened", "Pemungutan dibuka", "Voting opened"),
    ("counting", "Penghitungan", "Counting"),
    ("packed", "Dikemas dan disegel", "Packed and sealed"),
]
CUSTODY_ORDER = [name for name, _, _ in CUSTODY_STAGES]
# stages a companion records by hand; the others come with a polls transition
MANUAL_CUSTODY = ("received", "distributed", "handed_over", "installed")


def can(transition: str, state: str) -> bool:
    """Whether ``transition`` may start from polls ``state``.

    >>> can("pause", OPEN), can("open_polls", CLOSED)
    (True, False)
    """
    sources, _, _ = TRANSITIONS[transition]
    return state in sources


def next_custody_stage(done: list[str]) -> str | None:
    """The custody stage that comes next after the ``done`` ones."""
    for name in CUSTODY_ORDER:
        if name not in done:
            return name
    return None
