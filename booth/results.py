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

The **opening statement** is what the zero report's QR code carries: the
same kind of signed note, made when the zero report is printed, that lets a
witness pin the device's key and the election before any vote is cast::

    booth opening v1
    election <64-hex election ID>
    tps <number> <pekon>
    key <device verifier key>               (the C2SP verifier key of the signer)
    log <tree size> <base64 root>
    candidate <nomor urut> <name>           (one line per candidate, in ballot order)

It carries its own key, so :func:`open_opening` checks it with that key and
checks that the key's name is the booth origin derived from the key itself
(``booth/`` + the first 16 hex digits of SHA-256 of the public key): a note
signed by another key with a forged name is refused.  Both formats, with
vectors, are in docs/results-statement.md.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from booth.ledger import note
from booth.ledger.keys import origin_for

HEADER = "booth results v1"
OPENING_HEADER = "booth opening v1"


def results_statement(ledger, package, tally: dict, reconciliation: dict, checkpoint: str | None = None) -> str:
    """The signed statement; ``checkpoint`` (default: the latest) is the log checkpoint it names.

    The booth passes the checkpoint right after its ``polls.counted`` event, so every copy (each
    printed results report, the bundle's ``extra/results.txt``) is the same text.
    """
    cp = note.Checkpoint.parse((checkpoint or ledger.latest_checkpoint()).split("\n\n", 1)[0] + "\n")
    e = package.election
    lines = [
        HEADER,
        f"election {package.election_id}",
        f"tps {e.tps} {e.pekon}",
        f"log {cp.size} {base64.b64encode(cp.root_hash).decode()}",
    ]
    for number, votes in tally.items():
        lines.append(f"blank {votes}" if number == "blank" else f"candidate {number} {votes}")
    counts = reconciliation["counts"]
    lines += [
        f"total {sum(tally.values())}",
        # a station's booth keeps no voter roll: "of -"
        f"voters {counts['voted']} of {'-' if counts['dpt'] is None else counts['dpt'] + counts['dptb']}",
        f"balanced {'yes' if reconciliation['balanced'] else 'no'}",
    ]
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
    """A scanned statement that is not a genuine, well-formed booth statement (the message says why).

    ``reason`` names the case for programs and the test vectors:
    ``"format"`` (not this kind of statement, or a malformed line),
    ``"signature"`` (no valid signature by the key), ``"origin"`` (an opening
    statement whose key is named as another device).
    """

    def __init__(self, message: str, reason: str = "format") -> None:
        super().__init__(message)
        self.reason = reason


def open_statement(text: str, verifier_key: str) -> Statement:
    """Check a scanned results statement against the device's verifier key."""
    try:
        name, public_key = note.parse_verifier_key(verifier_key.strip())
    except note.NoteError as exc:
        raise StatementError(f"bad verifier key: {exc}") from None
    try:
        body, _ = note.open_note(text, {name: public_key})
    except note.NoteError as exc:
        raise StatementError(f"signature does not verify: {exc}", "signature") from None
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
        return Statement(
            fields["election"],
            fields["tps"],
            int(size),
            base64.b64decode(root),
            fields["tally"],
            int(fields["total"]),
            fields["balanced"] == "yes",
            name,
        )
    except (KeyError, ValueError) as exc:
        raise StatementError(f"malformed statement: {exc}") from None


def opening_statement(ledger, package) -> str:
    """The signed opening statement for the zero report's QR code (format above).

    ``ledger`` gives the device key and the latest checkpoint; ``package`` the
    election ID, the polling place and the candidates in ballot order.
    """
    cp = note.Checkpoint.parse(ledger.latest_checkpoint().split("\n\n", 1)[0] + "\n")
    e = package.election
    lines = [
        OPENING_HEADER,
        f"election {package.election_id}",
        f"tps {e.tps} {e.pekon}",
        f"key {ledger.key.verifier_key()}",
        f"log {cp.size} {base64.b64encode(cp.root_hash).decode()}",
    ]
    lines += [f"candidate {c.number} {c.name}" for c in package.candidates]
    return note.sign_note("\n".join(lines) + "\n", ledger.key.origin, ledger.key.private_key)


@dataclass(frozen=True)
class Opening:
    """A verified opening statement: what a witness pins at the zero report."""

    election_id: str
    tps: str  # "<number> <pekon>", as in the results statement
    verifier_key: str  # the device's C2SP verifier key: checks the results statement later
    log_size: int
    log_root: bytes
    candidates: tuple[tuple[int, str], ...]  # (nomor urut, name) in ballot order
    signer: str  # the key's name: the device's log origin, booth/<16 hex>


def open_opening(text: str) -> Opening:
    """Check a scanned opening statement with the key it carries; return what it says.

    Refused with :class:`StatementError`: not an opening statement, no or a
    bad ``key`` line, a key whose name is not the booth origin of that key,
    a signature that does not verify with it, or a malformed line.
    """
    if not isinstance(text, str):
        raise StatementError("not a booth opening statement: not text")
    head = text.split("\n", 1)[0]
    if head != OPENING_HEADER:
        raise StatementError("not a booth opening statement")
    # The key is read from the text before the signature is checked; it is
    # trusted only once the note verifies with it and its name is its own origin.
    split = text.rfind("\n\n")
    key_lines = [
        line[4:] for line in text[: split + 1 if split >= 0 else len(text)].split("\n") if line.startswith("key ")
    ]
    if len(key_lines) != 1:
        raise StatementError("malformed statement: expected exactly one key line")
    try:
        name, public_key = note.parse_verifier_key(key_lines[0])
    except note.NoteError as exc:
        raise StatementError(f"malformed statement: bad key line: {exc}") from None
    if name != origin_for(public_key):
        raise StatementError(
            f"key name {name} is not the booth origin of that key ({origin_for(public_key)})", "origin"
        )
    try:
        body, _ = note.open_note(text, {name: public_key})
    except note.NoteError as exc:
        raise StatementError(f"signature does not verify: {exc}", "signature") from None
    fields: dict = {}
    candidates: list[tuple[int, str]] = []
    try:
        for line in body.rstrip("\n").split("\n")[1:]:
            key, _, rest = line.partition(" ")
            if key == "candidate":
                number, _, candidate = rest.partition(" ")
                if not number.isdigit() or not candidate:
                    raise ValueError(f"bad candidate line {line!r}")
                candidates.append((int(number), candidate))
            elif key in ("election", "tps", "key", "log") and key not in fields:
                fields[key] = rest
            else:
                raise ValueError(f"unexpected line {line!r}")
        size, root = fields["log"].split()
        if not candidates:
            raise ValueError("no candidate line")
        return Opening(
            fields["election"],
            fields["tps"],
            key_lines[0],
            int(size),
            base64.b64decode(root, validate=True),
            tuple(candidates),
            name,
        )
    except (KeyError, ValueError) as exc:
        raise StatementError(f"malformed statement: {exc}") from None
