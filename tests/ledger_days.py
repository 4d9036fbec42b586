"""Ledgers of small election days, built through the real writer, for the ledger tests."""

from __future__ import annotations

import random
import shutil
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
