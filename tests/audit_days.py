"""Audit afternoons for the tests: booths' closed days, their audit boxes as lists of paper, an auditor.

A **box** here is the paper in one audit box, top to bottom: each item is
``("slip", ballot ID hex, choice)``, ``("void", ballot ID hex, None)`` (a
spoiled ballot's VOID print stapled to its disputed slip), shuffled the way a
box is shaken before the count.  :func:`audit` plays the committee: counts the
boxes, rolls dice each round, pulls the listed slips and records what it reads,
or counts every box by hand when the audit says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.audit.contest import read_contest
from booth.audit.record import AuditRecord
from booth.ledger.clock import FakeClock
from booth.ledger.ledger import Ledger
from ledger_days import ELECTION

Paper = list[tuple[str, str, str | None]]


@contextlib.contextmanager
def fast_dir() -> Iterator[Path]:
    """A folder on tmpfs when there is one (a day's ledger fsyncs every cast), removed afterwards."""
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(dir=shm if shm.is_dir() else None, prefix="booth-audit-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def closed_day(
    state: Path, votes: dict[str, int], *, spoil: int = 0, seed: int = 1, altered: int = 0, to: str = "1"
) -> Paper:
    """A booth's day with exactly these votes (and ``spoil`` spoiled ballots); its audit box, shuffled.

    ``altered``: that many ballots not for ``to`` are *recorded* for ``to`` while their slips show
    the voter's choice (a device that prints one thing and signs another).
    """
    rng = random.Random(seed)
    clock = FakeClock()
    box: Paper = []
    choices = [c for c, n in votes.items() for _ in range(n)]
    rng.shuffle(choices)
    # a fixed device key and ballot IDs: the same day every run, so the same checkpoint and the same sample
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"audit-day-{seed}".encode()).digest())
    with Ledger.create(state, clock=clock, rng=random.Random(seed), device_key=key) as ledger:
        ledger.append("election.loaded", "panitia", {"election_id": ELECTION, "candidates": 3, "allow_blank": True})
        ledger.add_ballot_slots(len(choices) + spoil + 20, actor="K01")
        for i, choice in enumerate(choices):
            clock.advance(30)
            if i < spoil:  # the voter disputed the slip: spoiled, VOID print stapled to the slip
                receipt = ledger.cast_ballot(ELECTION, choice, actor="K01", payload={})
                ledger.spoil_pending("K01", {})
                box.append(("void", receipt.ballot_id.hex(), None))
            recorded = choice
            if altered and choice != to:
                recorded, altered = to, altered - 1
            receipt = ledger.cast_ballot(ELECTION, recorded, actor="K01", payload={})
            ledger.record_slip("slip.printed", "system")
            box.append(("slip", receipt.ballot_id.hex(), choice))
        ledger.close_ballot_box("K01", {"reason": None})
    rng.shuffle(box)
    return box


def start(tmp: Path, states: list[Path], risk_limit: str = "0.05", name: str = "audit.jsonl") -> AuditRecord:
    times = iter(f"2026-12-01T09:{m // 60:02d}:{m % 60:02d}Z" for m in range(100_000))
    return AuditRecord.create(tmp / name, read_contest(states), Decimal(risk_limit), clock=lambda: next(times))


def audit(
    record: AuditRecord,
    boxes: Sequence[Sequence[object]],
    *,
    seed: int = 5,
    max_rounds: int = 6,
    read: Callable[[object], tuple[str, str, str | None]] | None = None,
) -> str:
    """Run the audit to its end the way the committee would; the outcome the record finishes with.

    ``boxes`` hold what lies in each box, top to bottom; ``read`` turns one pulled item into what the
    auditor records, (kind, ballot ID, choice) -- by default the items are those tuples already.
    """
    read = read or (lambda item: item)  # type: ignore[assignment,return-value]
    rng = random.Random(seed)
    state = record.state
    if state.universe is None:
        record.step("paper.counted", {"counts": {str(i): len(b) for i, b in enumerate(boxes, start=1)}})
    for _ in range(max_rounds):
        if state.finished is not None or state._decision() == "full_hand_count":
            break
        dice = "".join(rng.choice("0123456789") for _ in range(20))
        record.step("round.seeded", {"round": len(state.rounds) + 1, "dice": dice})
        for box, position in state.unread(state.rounds[-1].number):
            kind, ballot_id, choice = read(boxes[int(box) - 1][position - 1])
            inputs = {"box": box, "position": position, "kind": kind, "ballot_id": ballot_id}
            record.step("slip.read", {**inputs, "choice": choice, "how": "qr"})
    if state.finished is None:
        for label, paper in enumerate(boxes, start=1):
            counts = Counter(choice if kind == "slip" else "void" for kind, _, choice in map(read, paper))
            record.step("hand.counted", {"box": str(label), "counts": dict(counts)})
    assert state.finished is not None
    return str(state.finished["outcome"])
