"""The messages between a station's desk and its booths: release tokens, outcomes, cancel notices.

Each is one canonical JSON object (``booth.ledger.canonical``) ``{"body": {...}, "sig": base64}``
where ``sig`` is the Ed25519 signature, by the sender's device key (``booth.ledger.keys``), of a
context line naming the kind and the canonical body::

    booth station <kind> v1\\n || canonical(body)

The context keeps a signature of one kind from ever passing as another (a booth's outcome is
never a release, a ledger event never a token).  Every body names the election and both devices
by their key fingerprints (hex SHA-256 of the raw key), so a message is good for one pair of
devices of one election only.

``release`` (desk -> booth): one voter may vote once at that booth::

    {"booth": <fp>, "desk": <fp>, "election": <id>, "expires": <UTC>, "issued": <UTC>,
     "release": <16 hex digits from secrets>}

No voter identity: the booth never learns who votes.  ``outcome`` (booth -> desk) says what
became of a release: ``{"booth", "desk", "election", "release", "outcome": "cast" | "cancelled",
"spoils": n}``.  ``cancel`` (desk -> booth) revokes a release the desk cancelled after its
timeout: ``{"booth", "desk", "election", "release", "reason"}``.

The calls are plain functions over bytes so that the station's transport (issue #12 item 3) can
carry them unchanged.  A message that is refused raises :class:`MessageRefused` with the reason,
a key of ``booth.refusals.REFUSALS``.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> from booth.ledger.keys import DeviceKey
>>> desk, booth = DeviceKey(Ed25519PrivateKey.generate()), DeviceKey(Ed25519PrivateKey.generate())
>>> body = release_body("ab" * 8, "e" * 64, desk.fingerprint, booth.fingerprint,
...                     issued="2026-11-22T01:00:00.000000Z", expires="2026-11-22T01:05:00.000000Z")
>>> token = sign("release", body, desk)
>>> read("release", token, desk.public_key)["release"]
'abababababababab'
>>> read("release", token, booth.public_key)  # signed by another key
Traceback (most recent call last):
...
booth.station.release.MessageRefused: release_forged
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from booth.ledger.keys import DeviceKey
from booth.ledger.station_log import station_message

#: The largest message either side reads (a release is about 330 bytes).
MAX_MESSAGE_BYTES = 2048
#: The longest a release may live, whatever the desk's settings say (a booth refuses a longer one).
MAX_LIFETIME_SECONDS = 30 * 60

_HEX16 = re.compile(r"[0-9a-f]{16}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_COMMON = {"booth": _HEX64, "desk": _HEX64, "election": _HEX64, "release": _HEX16}

#: kind -> the body's fields and what each must look like (a compiled pattern, or the values allowed).
SHAPES: dict[str, dict[str, Any]] = {
    "release": {**_COMMON, "issued": _UTC, "expires": _UTC},
    "outcome": {**_COMMON, "outcome": ("cast", "cancelled"), "spoils": range(0, 100)},
    "cancel": {**_COMMON, "reason": re.compile(r"[^\x00-\x1f\x7f]{1,200}")},
}
#: kind -> the refusal when it does not read, and when its signature is not the expected key's.
UNREADABLE = {"release": "release_unreadable", "outcome": "outcome_unreadable", "cancel": "cancel_unreadable"}
FORGED = {"release": "release_forged", "outcome": "outcome_forged", "cancel": "cancel_forged"}


class MessageRefused(Exception):
    """A station message that does not read or does not verify; ``reason`` is a refusal key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_release_id() -> str:
    """A fresh release ID: 64 random bits from the OS (``secrets``), never a counter."""
    return secrets.token_hex(8)


def release_body(release: str, election: str, desk: str, booth: str, *, issued: str, expires: str) -> dict:
    return {
        "booth": booth,
        "desk": desk,
        "election": election,
        "expires": expires,
        "issued": issued,
        "release": release,
    }


def message(kind: str, body: dict) -> bytes:
    """The bytes the sender signs: the context line of ``kind`` and the canonical body
    (defined once, in the ledger's layer, where ``booth verify`` checks a booth's tokens again)."""
    return station_message(kind, body)


def sign(kind: str, body: dict, key: DeviceKey) -> bytes:
    """The message of ``kind`` with ``body``, signed with the sender's device key."""
    problem = shape_problem(kind, body)
    if problem:
        raise ValueError(problem)
    sig = base64.b64encode(key.sign(message(kind, body))).decode()
    return canonical({"body": body, "sig": sig})


def _parse(kind: str, data: object) -> tuple[dict, str]:
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_MESSAGE_BYTES:
        raise MessageRefused(UNREADABLE[kind])
    try:
        obj = parse_canonical(bytes(data))
    except NotCanonical:
        raise MessageRefused(UNREADABLE[kind]) from None
    if not (isinstance(obj, dict) and set(obj) == {"body", "sig"} and isinstance(obj["sig"], str)):
        raise MessageRefused(UNREADABLE[kind])
    if shape_problem(kind, obj["body"]):
        raise MessageRefused(UNREADABLE[kind])
    return obj["body"], obj["sig"]


def peek(kind: str, data: object) -> dict:
    """The body of a message, read and shape-checked but NOT verified (to find who signed it)."""
    return _parse(kind, data)[0]


def read(kind: str, data: object, signer: Ed25519PublicKey) -> dict:
    """The body of a message of ``kind`` signed by ``signer``; :class:`MessageRefused` otherwise."""
    body, sig_text = _parse(kind, data)
    try:
        sig = base64.b64decode(sig_text, validate=True)
        signer.verify(sig, message(kind, body))
    except (binascii.Error, ValueError, InvalidSignature):
        raise MessageRefused(FORGED[kind]) from None
    return body


def shape_problem(kind: str, body: object) -> str | None:
    """What is wrong with a body of ``kind`` (in English, for logs), or None."""
    shape = SHAPES[kind]
    if not isinstance(body, dict) or set(body) != set(shape):
        return f"a {kind} has exactly the fields {', '.join(sorted(shape))}"
    for name, rule in shape.items():
        value = body[name]
        if isinstance(rule, re.Pattern):
            if not (isinstance(value, str) and rule.fullmatch(value)):
                return f"{kind}.{name} is malformed"
        elif isinstance(rule, range):
            if not (isinstance(value, int) and not isinstance(value, bool) and value in rule):
                return f"{kind}.{name} is out of range"
        elif value not in rule:
            return f"{kind}.{name} is not one of {', '.join(rule)}"
    return None


def pairing_code(desk_fingerprint: str, booth_fingerprint: str) -> str:
    """The six digits both screens show when a booth is paired with its desk.

    Each device computes it from its own key and the key it received for the other; a companion
    types on each device the code the other one shows.  A key swapped on the way gives another
    code (a 1 in a million chance to match), so the pairing is refused.

    >>> pairing_code("a" * 64, "b" * 64)
    '140 384'
    """
    digest = hashlib.sha256(f"booth station pairing v1\n{desk_fingerprint}\n{booth_fingerprint}".encode()).digest()
    digits = f"{int.from_bytes(digest[:8], 'big') % 10**6:06d}"
    return f"{digits[:3]} {digits[3:]}"
