"""The station roster: the desk's signed word on which booth is which device, so booths can watch each other.

A booth is paired with its desk only (the link is a star), so it learns its sibling booths' keys
from the desk: after each pairing (and a booth replaced mid-day is a pairing again) the desk's
outbox carries its roster to every paired booth::

    {"body": {"booths": {"1": {"fingerprint": hex64, "verifier_key": "..."}, ...},
              "desk": hex64, "version": n},
     "sig": base64 Ed25519 over "booth station roster v1\\n" || canonical(body)}

``version`` is the log index of the desk's last ``station.booth_paired``: a booth keeps the
highest it was given and ignores an older one.  The booth logs the roster it accepted
(``station.roster``) and from then on the sibling's key in it is the one its ledger expects when
it watches ``bilik-M`` (``watch_peer``); a key that changed from one roster to the next is logged
as a replacement (``station.peer_replaced``), so the old device offering itself again is an alarm.

The desk only forwards the booths' asks and offers (the relay's ``via.watch.ask`` and
``via.watch.offer``): offers are checkpoints signed by the booth's own key and cosigned by the
watcher's, so a desk that changes one is caught by the booth that checks it.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from booth.ledger import keys
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from booth.ledger.station_log import station_message

#: the largest roster on the wire: a desk and 6 booths' keys fit many times over
MAX_ROSTER_BYTES = 4096
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NUMBER = re.compile(r"[1-9][0-9]?")


class RosterRefused(Exception):
    """A roster that does not read or is not signed by the desk."""


def sign(key: Any, desk_fp: str, booths: dict[int, dict], version: int) -> bytes:
    """The desk's roster of ``booths`` (number -> fingerprint, verifier_key), signed with its device key."""
    entries = sorted(booths.items())
    body = {
        "booths": {str(n): {"fingerprint": b["fingerprint"], "verifier_key": b["verifier_key"]} for n, b in entries},
        "desk": desk_fp,
        "version": version,
    }
    sig = base64.b64encode(key.sign(station_message("roster", body))).decode()
    return canonical({"body": body, "sig": sig})


def read(data: object, desk_key: Ed25519PublicKey) -> dict:
    """The roster's body, well formed and signed by ``desk_key``; :class:`RosterRefused` otherwise."""
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_ROSTER_BYTES:
        raise RosterRefused("unreadable")
    try:
        obj = parse_canonical(bytes(data))
    except (NotCanonical, UnicodeDecodeError, ValueError):
        raise RosterRefused("unreadable") from None
    if not (isinstance(obj, dict) and set(obj) == {"body", "sig"} and isinstance(obj["sig"], str)):
        raise RosterRefused("unreadable")
    body = obj["body"]
    if not _well_formed(body):
        raise RosterRefused("unreadable")
    try:
        desk_key.verify(base64.b64decode(obj["sig"], validate=True), station_message("roster", body))
    except (binascii.Error, ValueError, InvalidSignature):
        raise RosterRefused("forged") from None
    return body


def _well_formed(body: object) -> bool:
    if not (isinstance(body, dict) and set(body) == {"booths", "desk", "version"}):
        return False
    version, booths = body["version"], body["booths"]
    if not (type(version) is int and 0 < version <= 10**9):  # noqa: E721  (a bool is no version)
        return False
    if not (isinstance(body["desk"], str) and _HEX64.fullmatch(body["desk"]) and isinstance(booths, dict)):
        return False
    if not 1 <= len(booths) <= 6:
        return False
    for number, entry in booths.items():
        if not (_NUMBER.fullmatch(number) and 1 <= int(number) <= 6):
            return False
        if not (isinstance(entry, dict) and set(entry) == {"fingerprint", "verifier_key"}):
            return False
        if not (isinstance(entry["fingerprint"], str) and _HEX64.fullmatch(entry["fingerprint"])):
            return False
        if not (isinstance(entry["verifier_key"], str) and len(entry["verifier_key"]) <= 200):
            return False
        try:
            _, public_key = keys.load_verifier_key(entry["verifier_key"])
        except (ValueError, TypeError):
            return False
        if keys.fingerprint(public_key) != entry["fingerprint"]:
            return False
    return True
