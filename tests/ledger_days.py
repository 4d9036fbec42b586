"""Ledgers of small election days, built through the real writer, for the ledger tests."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

from booth.ledger.clock import FakeClock
from booth.ledger.ledger import Ledger

ELECTION = "e1" * 32


def voting_day(
    state: Path, voters: int, *, seed: int = 7, slots: int | None = None, close: bool = True, slips: bool = False
) -> list[tuple[bytes, str]]:
    """Provision a device, load an election, cast ``voters`` ballots; return (id, choice) in cast order."""
    rng = random.Random(seed)
    clock = FakeClock()
    cast = []
    with Ledger.create(state, clock=clock) as ledger:
        ledger.append("election.loaded", "panitia", {"election_id": ELECTION, "candidates": 3})
        ledger.add_ballot_slots(slots or voters + 20, actor="K01")
        for _ in range(voters):
            clock.advance(30)
            choice = rng.choice(["1", "2", "3"])
            receipt = ledger.cast_ballot(ELECTION, choice, actor="K01", payload={})
            cast.append((receipt.ballot_id, choice))
            if slips:
                ledger.record_slip("slip.printed", "system")
        if close:
            ledger.close_ballot_box("K01", {"reason": None})
    return cast


def copy_state(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def tampered(day: Path, tmp: Path, *sql: tuple) -> Path:
    """A copy of the state directory with raw SQL applied, triggers dropped first."""
    target = tmp / f"copy{random.random()}"
    shutil.copytree(day, target)
    conn = sqlite3.connect(target / "ledger.db", isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    for statement, *params in sql:
        conn.execute(statement, *params)
    conn.close()
    return target


def rows(day: Path, query: str) -> list:
    """The rows of a read-only query on a state directory's ledger."""
    conn = sqlite3.connect(f"file:{day / 'ledger.db'}?mode=ro", uri=True)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()
