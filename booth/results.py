"""The signed results statement: what the results report's QR code carries.

A C2SP signed note by the device key (the same key and name as the log's
checkpoints), so a witness can check it with any signed-note verifier and the
device's verifier key printed on the zero report::

    booth results v1
    election <64-hex election ID>
    tps <number> <pekon>
    log <tree size> <base64 root>
    candidate <nomor urut> <votes>          (one line per candidate)
    blank <votes>                           (only if blank votes are allowed)
    total <valid votes>
    voters <voted> of <DPT + DPTb>
    balanced <yes|no>

``log`` names the checkpoint of the log right after its ``polls.counted``
event, so the statement is anchored in the signed log and every copy of it
(each printed results report, the bundle's ``extra/results.txt``) is the
same text.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from booth.ledger import note

HEADER = "booth results v1"


def results_statement(ledger, package, tally: dict, reconciliation: dict, checkpoint: str | None = None) -> str:
    """The signed statement; ``checkpoint`` (default: the latest) is the log checkpoint it names.

    The booth passes the checkpoint right after its ``polls.counted`` event, so every copy (each
    printed results report, the bundle's ``extra/results.txt``) is the same text.
    """
    cp = note.Checkpoint.parse((checkpoint or ledger.latest_checkpoint()).split("\n\n", 1)[0] + "\n")
    e = package.election
    lines = [HEADER, f"election {package.election_id}", f"tps {e.tps} {e.pekon}",
             f"log {cp.size} {base64.b64encode(cp.root_hash).decode()}"]
    for number, votes in tally.items():
        lines.append(f"blank {votes}" if number == "blank" else f"candidate {number} {votes}")
    counts = reconciliation["counts"]
    lines += [f"total {sum(tally.values())}", f"voters {counts['voted']} of {counts['dpt'] + counts['dptb']}",
              f"balanced {'yes' if reconciliation['balanced'] else 'no'}"]
    return note.sign_note("\n".join(lines) + "\n", ledger.key.origin, ledger.key.private_key)


@dataclass(frozen=True)
class Statement:
    election_id: str
    tps: str
    log_size: int
    log_root: bytes
    tally: dict
    total: int
    balanced: bool
    signer: str


class StatementError(ValueError):
    pass


def open_statement(text: str, verifier_key: str) -> Statement:
    """Check a scanned results statement against the device's verifier key."""
    name, public_key = note.parse_verifier_key(verifier_key.strip())
    try:
        body, _ = note.open_note(text, {name: public_key})
    except note.NoteError as exc:
        raise StatementError(f"signature does not verify: {exc}") from None
    lines = body.rstrip("\n").split("\n")
    if lines[0] != HEADER:
        raise StatementError("not a booth results statement")
    fields: dict = {"tally": {}}
    try:
        for line in lines[1:]:
            key, _, rest = line.partition(" ")
            if key == "candidate":
                number, votes = rest.split()
                fields["tally"][number] = int(votes)
            elif key == "blank":
                fields["tally"]["blank"] = int(rest)
            else:
                fields[key] = rest
        size, root = fields["log"].split()
        return Statement(fields["election"], fields["tps"], int(size), base64.b64decode(root),
                         fields["tally"], int(fields["total"]), fields["balanced"] == "yes", name)
    except (KeyError, ValueError) as exc:
        raise StatementError(f"malformed statement: {exc}") from None
