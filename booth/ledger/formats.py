"""Every byte the ledger hashes or signs, defined once (see docs/ledger-format.md).

Both the writer (``booth.ledger.ledger``) and the verifier
(``booth.ledger.verify``) build their bytes with these functions, and the
tests check them against the vectors printed in the format document, so the
document, the writer and the verifier cannot drift apart.

Event entry
    The canonical JSON (``booth.ledger.canonical``) of the object::

        {"actor": str, "boot": str, "mono_ns": int, "payload": object,
         "prev": hex(previous entry's leaf hash) or 64 zeros for seq 0,
         "seq": int, "time": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "type": str}

    The entry is the Merkle leaf: ``leaf_hash = SHA-256(0x00 || entry)``,
    and ``prev`` chains each entry to the one before.  The device signs
    ``EVENT_CONTEXT || entry`` with Ed25519.

Ballot record
    The canonical JSON of ``{"election": hex, "id": 32 hex digits,
    "selection": str}``: no time, no counter, no voter.  The device signs
    ``BALLOT_CONTEXT || record``.  In the database a record is stored in a
    fixed-size slot, right-padded with spaces to ``BALLOT_SLOT_BYTES`` so that
    filling a slot rewrites it in place.  The ballot Merkle root (in the
    closing event) is the RFC 6962 root over ``leaf_hash(record)`` of every
    cast ballot, sorted by identifier.

Spoiled record and spoil mark
    A ballot whose slip the voter disputed is spoiled, not deleted: its slot
    is rewritten in place with the *spoiled record* (the same election and
    identifier, ``"selection": "spoiled"``: the disputed choice is forgotten,
    so the log's record of who disputed can never reveal it), signed as a
    ballot, and the device signs ``SPOIL_CONTEXT || spoiled record`` into the
    slot's ``spoil`` column (64 zero bytes while the ballot stands).  A
    spoiled ballot is still stored, still counted as cast, and excluded from
    the tally.  The spoiled root (in the closing event) is the RFC 6962 root
    over ``leaf_hash(spoiled record)`` of every spoiled ballot, sorted by
    identifier.
"""

from __future__ import annotations

import re
from typing import Any

from booth.ledger.canonical import canonical

FORMAT_VERSION = "booth-ledger-v1"
EVENT_CONTEXT = b"booth event v1\n"
BALLOT_CONTEXT = b"booth ballot v1\n"
SPOIL_CONTEXT = b"booth spoiled v1\n"
GENESIS_PREV = "0" * 64
BALLOT_ID_BYTES = 16
BALLOT_SLOT_BYTES = 192
SIGNATURE_BYTES = 64

# \Z, not $: "$" also matches before a final newline, so "1\n" would pass as a selection; and
# [0-9], not \d, which in a str pattern matches every script's digits ("٢٠٢٥" as a year).
_TIME_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\Z")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}\Z")
_BALLOT_ID_RE = re.compile(r"^[0-9a-f]{32}\Z")
SELECTION_RE = re.compile(r"^([1-9][0-9]?|blank)\Z")
#: The selection of a spoiled record (never a voter's choice: ``cast_ballot`` refuses it).
SPOILED = "spoiled"
ENTRY_KEYS = frozenset({"actor", "boot", "mono_ns", "payload", "prev", "seq", "time", "type"})
BALLOT_KEYS = frozenset({"election", "id", "selection"})


def entry_bytes(
    *, seq: int, time: str, boot: str, mono_ns: int, type: str, actor: str, payload: dict[str, Any], prev: str
) -> bytes:
    """The canonical bytes of one event entry (the Merkle leaf)."""
    return canonical(
        {
            "actor": actor,
            "boot": boot,
            "mono_ns": mono_ns,
            "payload": payload,
            "prev": prev,
            "seq": seq,
            "time": time,
            "type": type,
        }
    )


def event_message(entry: bytes) -> bytes:
    """What the device signs for an event."""
    return EVENT_CONTEXT + entry


def ballot_record(*, election: str, ballot_id: bytes, selection: str) -> bytes:
    """The canonical bytes of one ballot record."""
    return canonical({"election": election, "id": ballot_id.hex(), "selection": selection})


def ballot_message(record: bytes) -> bytes:
    """What the device signs for a ballot."""
    return BALLOT_CONTEXT + record


def spoiled_record(*, election: str, ballot_id: bytes) -> bytes:
    """The canonical bytes that replace a spoiled ballot's record: no choice left in it."""
    return canonical({"election": election, "id": ballot_id.hex(), "selection": SPOILED})


def spoil_message(record: bytes) -> bytes:
    """What the device signs to spoil a ballot (its record, under another context than the cast)."""
    return SPOIL_CONTEXT + record


def pad_slot(record: bytes) -> bytes:
    """A record right-padded with spaces to the fixed slot size."""
    if len(record) > BALLOT_SLOT_BYTES:
        raise ValueError("ballot record does not fit a slot")
    return record + b" " * (BALLOT_SLOT_BYTES - len(record))


def unpad_slot(slot: bytes) -> bytes:
    """The record inside a filled slot (inverse of :func:`pad_slot`)."""
    return slot.rstrip(b" ")


def check_entry_shape(obj: object, prev: str | None = None) -> str | None:
    """Return what is wrong with a parsed entry's fields, or None if it is well formed.

    ``prev``: the leaf hash (64 lowercase hex digits) the entry should name, if the caller knows
    it; an entry naming exactly that needs no second look at its form (the verifier's case: its
    regular expression was a tenth of the shape check). The answer is the same either way.
    """
    # The verifier's common case first, as one expression over exact types (a parsed JSON value
    # holds no subclasses, and ``type(x) is int`` leaves out bool): it accepts only what every
    # test below accepts, and anything else goes through them to be named.
    if (
        type(obj) is dict
        and obj.keys() == ENTRY_KEYS
        and type(seq := obj["seq"]) is int
        and seq >= 0
        and type(mono := obj["mono_ns"]) is int
        and mono >= 0
        and type(when := obj["time"]) is str
        and _TIME_RE.match(when)
        and type(actor := obj["actor"]) is str
        and actor
        and type(boot := obj["boot"]) is str
        and boot
        and type(kind := obj["type"]) is str
        and kind
        and type(obj["payload"]) is dict
        and type(named := obj["prev"]) is str
        and (named == prev or _HEX64_RE.match(named))
    ):
        return None
    return entry_shape_problem(obj)


def entry_shape_problem(obj: object) -> str | None:
    """The named checks of :func:`check_entry_shape`, one by one: what is wrong, or None."""
    if not isinstance(obj, dict) or set(obj) != ENTRY_KEYS:
        return "entry does not have exactly the fields actor, boot, mono_ns, payload, prev, seq, time, type"
    if not isinstance(obj["seq"], int) or isinstance(obj["seq"], bool) or obj["seq"] < 0:
        return "seq is not a non-negative integer"
    if not isinstance(obj["mono_ns"], int) or isinstance(obj["mono_ns"], bool) or obj["mono_ns"] < 0:
        return "mono_ns is not a non-negative integer"
    if not isinstance(obj["time"], str) or not _TIME_RE.match(obj["time"]):
        return "time is not RFC 3339 UTC with microseconds"
    for key in ("actor", "boot", "type"):
        if not isinstance(obj[key], str) or not obj[key]:
            return f"{key} is not a non-empty string"
    if not isinstance(obj["payload"], dict):
        return "payload is not an object"
    if not isinstance(obj["prev"], str) or not _HEX64_RE.match(obj["prev"]):
        return "prev is not 64 lowercase hex digits"
    return None


def check_ballot_shape(obj: object) -> str | None:
    """Return what is wrong with a parsed ballot record, or None if it is well formed."""
    if not isinstance(obj, dict) or set(obj) != BALLOT_KEYS:
        return "ballot record does not have exactly the fields election, id, selection"
    if not isinstance(obj["election"], str) or not _HEX64_RE.match(obj["election"]):
        return "election is not 64 lowercase hex digits"
    if not isinstance(obj["id"], str) or not _BALLOT_ID_RE.match(obj["id"]):
        return "id is not 32 lowercase hex digits"
    if not isinstance(obj["selection"], str) or not (
        SELECTION_RE.match(obj["selection"]) or obj["selection"] == SPOILED
    ):
        return "selection is not a candidate number, 'blank' or 'spoiled'"
    return None
