"""The recap's own key, its append-only log and the signed receipts it hands out.

The recap answers every accepted submission (and records every conflict
resolution) with an entry appended to its own log, in the same format as a
booth's: RFC 6962 Merkle tree over the entries, C2SP checkpoints signed with
the recap's Ed25519 key (``booth.ledger.merkle`` / ``booth.ledger.note``: the
same code that checks a booth's checkpoints).  A receipt is::

    {"format": "booth-recap-receipt-v1",
     "note":       signed note by the recap key; its text is the log entry,
     "index":      the entry's leaf index in the recap's log,
     "checkpoint": a signed checkpoint of the recap's log that includes it,
     "proof":      [base64 hashes]  RFC 6962 inclusion proof of the entry}

The entry (the note's text) of an accepted submission::

    booth recap receipt v1
    submission <sha256 of what was received>
    kind <bundle|statement>
    election <64-hex election ID>
    tps <number> <pekon>
    device <64-hex device fingerprint>
    result <sha256 of the signed results statement>
    log <size> <base64 root>            (the booth's checkpoint the result is anchored in)
    total <valid votes>
    received <UTC time>

and of a committee decision on a conflict::

    booth recap resolution v1
    election <64-hex election ID>
    result <sha256 of the statement that counts>
    by <committee member>
    reason <one line>
    at <UTC time>
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.ledger import merkle, note
from booth.ledger.keys import DeviceKey, fingerprint
from booth.recap.api import Receipt

RECEIPT_HEADER = "booth recap receipt v1"
RESOLUTION_HEADER = "booth recap resolution v1"
RECEIPT_FORMAT = "booth-recap-receipt-v1"


class ReceiptError(ValueError):
    """A receipt that does not verify, with the reason."""


@dataclass(frozen=True)
class RecapKey:
    private_key: Ed25519PrivateKey

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.private_key.public_key())

    @property
    def origin(self) -> str:
        return "booth-recap/" + self.fingerprint[:16]

    def verifier_key(self) -> str:
        return note.verifier_key(self.origin, self.private_key.public_key())

    def sign_note(self, text: str) -> str:
        return note.sign_note(text, self.origin, self.private_key)

    def sign_checkpoint(self, size: int, root: bytes) -> str:
        return note.sign_checkpoint(note.Checkpoint(self.origin, size, root), self.origin, self.private_key)

    @classmethod
    def load_or_create(cls, path: Path) -> RecapKey:
        """The recap's key in ``path`` (PEM, mode 0600), made on first use (the device key's file format)."""
        try:
            return cls(DeviceKey.create(Path(path)).private_key)
        except FileExistsError:  # made before, or by another process just now: use it
            return cls(DeviceKey.load(Path(path)).private_key)


def one_line(text: str, limit: int = 300) -> str:
    """Text safe for one line of a signed note (no control characters, no leading/trailing space)."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(cleaned.split())[:limit] or "-"


def receipt_entry(
    *,
    submission_sha256: str,
    kind: str,
    election_id: str,
    tps: int,
    pekon: str,
    device: str,
    result_sha256: str,
    log_size: int,
    log_root: str,
    total: int,
    received_at: str,
) -> str:
    return (
        "\n".join(
            [
                RECEIPT_HEADER,
                f"submission {submission_sha256}",
                f"kind {kind}",
                f"election {election_id}",
                f"tps {tps} {one_line(pekon)}",
                f"device {device}",
                f"result {result_sha256}",
                f"log {log_size} {log_root}",
                f"total {total}",
                f"received {received_at}",
            ]
        )
        + "\n"
    )


def resolution_entry(*, election_id: str, result_sha256: str, by: str, reason: str, at: str) -> str:
    return (
        "\n".join(
            [
                RESOLUTION_HEADER,
                f"election {election_id}",
                f"result {result_sha256}",
                f"by {one_line(by)}",
                f"reason {one_line(reason)}",
                f"at {at}",
            ]
        )
        + "\n"
    )


def receipt_from_leaves(key: RecapKey, leaves: list[bytes], entry: bytes, index: int, checkpoint: str) -> Receipt:
    """The receipt of ``entry``, leaf ``index`` of the tree of ``leaves``, under ``checkpoint``."""
    proof = merkle.inclusion_proof(leaves, index)
    return Receipt(
        note=key.sign_note(entry.decode()),
        index=index,
        checkpoint=checkpoint,
        proof=tuple(base64.b64encode(p).decode() for p in proof),
    )


def check_receipt(receipt: Receipt | dict | str, verifier_key: str) -> dict:
    """Verify a receipt against the recap's verifier key; returns its entry's fields.

    The same code as a booth's checkpoints: the note's signature, the checkpoint's
    signature and origin, the inclusion of the entry's RFC 6962 leaf hash.
    """
    if isinstance(receipt, str):
        try:
            receipt = json.loads(receipt)
        except ValueError:
            raise ReceiptError("the receipt is not JSON") from None
        if not isinstance(receipt, dict):
            raise ReceiptError("not a booth recap receipt")
    if isinstance(receipt, dict):
        try:
            if receipt.get("format") != RECEIPT_FORMAT:
                raise ReceiptError("not a booth recap receipt")
            receipt = Receipt(
                str(receipt["note"]),
                int(receipt["index"]),
                str(receipt["checkpoint"]),
                tuple(str(p) for p in receipt["proof"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReceiptError(f"the receipt is malformed ({exc})") from None
    try:
        name, public = note.parse_verifier_key(verifier_key.strip())
        text, _ = note.open_note(receipt.note, {name: public})
        cp = note.open_checkpoint(receipt.checkpoint, name, public)
    except note.NoteError as exc:
        raise ReceiptError(f"signature does not verify: {exc}") from None
    try:
        proof = [base64.b64decode(p, validate=True) for p in receipt.proof]
    except ValueError:
        raise ReceiptError("the inclusion proof is not base64") from None
    if not merkle.verify_inclusion(merkle.leaf_hash(text.encode()), receipt.index, cp.size, proof, cp.root_hash):
        raise ReceiptError("the entry is not in the recap's log at that checkpoint")
    lines = text.rstrip("\n").split("\n")
    fields = {"header": lines[0], "index": receipt.index, "log_size": cp.size}
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        fields[key] = value
    return fields
