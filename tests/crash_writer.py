"""A booth ledger writer that is meant to be killed (driven by tests/test_crash_safety.py).

It plays the ledger side of the voting day as fast as it can: open the
device's ledger (or provision it), make sure an election is loaded and ballot
slots are ready, then cast ballots with random selections.  One line goes to
stdout, flushed, for every step that *returned*, which is exactly what the
voter would have been told::

    ready <ballots cast so far> <pending slip id hex or ->
    reprint <ballot id hex> <selection>      (--slips: a slip left pending by a crash)
    cast <ballot id hex> <selection> <count>
    slip <ballot id hex>                     (--slips: record_slip returned)
    spoil <ballot id hex> <spoiled count>    (--spoils: a disputed ballot was spoiled)
    confirmed <ballot id hex>                (--spoils: the voter answered "Struk sesuai")

With ``--spoils`` every slip is checked by its voter: about one in three is
disputed and spoiled (``spoil_pending``), the rest confirmed
(``answer_slip``); a ballot left pending by a kill is spoiled on restart (the
voter disputed it while the booth was down).

After ``--casts N`` casts it stops writing and waits to be killed, so some
kills land while the booth is idle between voters.

    python3 tests/crash_writer.py STATE_DIR [--casts N] [--slips | --spoils]

It imports only the ledger, so it starts quickly.  Printing ballot IDs and
selections is fine here: this is a test harness, not the booth.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

from booth.ledger.ledger import Ledger

ELECTION_ID = "e1ec7104" * 8
SELECTIONS = ("1", "2", "3", "4", "blank")
SLOTS_LOW_WATER = 25
SLOTS_PER_TOP_UP = 250


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def open_or_create(state_dir: Path) -> Ledger:
    if (state_dir / "ledger.db").exists():
        return Ledger.open(state_dir)
    return Ledger.create(state_dir)


def main(argv: list[str]) -> int:
    state_dir = Path(argv[0])
    casts = int(argv[argv.index("--casts") + 1]) if "--casts" in argv else 1_000_000_000
    slips = "--slips" in argv
    spoils = "--spoils" in argv

    ledger = open_or_create(state_dir)
    if ledger.get_state("election_id") is None:
        ledger.append("election.loaded", "K01", {"election_id": ELECTION_ID}, state={"election_id": ELECTION_ID})
    if ledger.empty_slots < SLOTS_LOW_WATER:
        ledger.add_ballot_slots(SLOTS_PER_TOP_UP)
    pending = ledger.pending_slip()
    say(f"ready {ledger.ballots_cast} {pending.hex() if pending else '-'}")

    if spoils and pending is not None:
        receipt = ledger.spoil_pending("K02", {"release": "restart"})
        say(f"spoil {receipt.ballot_id.hex()} {receipt.count}")
    if slips and pending is not None:
        # The reprint path: the voter was told the ballot is recorded but the
        # slip never printed.  Print the same ballot again, never re-cast.
        record = ledger.pending_slip_record()
        ledger.record_slip("slip.reprinted", "K01")
        say(f"reprint {record['id']} {record['selection']}")

    for _ in range(casts):
        if ledger.empty_slots == 0:
            ledger.add_ballot_slots(SLOTS_PER_TOP_UP)
        selection = SELECTIONS[secrets.randbelow(len(SELECTIONS))]
        receipt = ledger.cast_ballot(ELECTION_ID, selection, payload={"release": secrets.token_hex(4)})
        say(f"cast {receipt.ballot_id.hex()} {selection} {receipt.count}")
        if slips:
            ledger.record_slip("slip.printed", "K01")
            say(f"slip {receipt.ballot_id.hex()}")
        if spoils:
            ledger.record_slip("slip.printed", "K01", forget=False)
            if secrets.randbelow(3) == 0:
                spoiled = ledger.spoil_pending("K02", {"release": "r"})
                say(f"spoil {spoiled.ballot_id.hex()} {spoiled.count}")
            else:
                ledger.answer_slip("slip.confirmed", "pemilih")
                say(f"confirmed {receipt.ballot_id.hex()}")

    say("idle")
    while True:  # the booth waits for the next voter; the test kills it
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
