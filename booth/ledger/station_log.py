"""What ``booth verify`` checks of the log of a polling station's desk or booth (docs/station.md).

The role is in the first event (``ledger.created``'s ``role``: ``desk`` or ``booth``; none for an
all-in-one device).  Walking the log in order, :func:`follow` holds:

* a **booth** casts only under a release it accepted from its desk, after it was paired, and at
  most one valid ballot per release (a spoil lets the same release vote again); each release ID
  is accepted once, ever; a booth records no voter (no ``ballot.released``, no check-in) and none
  of the desk's events;
* a **desk** casts no ballot; each release ID is issued once; an outcome is returned only for a
  release it issued, once; a cancel only for a release it issued;
* an **all-in-one** device has no station events at all.

The booth's ``station.release_accepted`` keeps the desk's signed token, and the verifier checks
it again against the desk's key pinned in ``station.desk_paired`` (:func:`token_problem`): a
booth's key alone cannot make up a release.  The signed bytes of every station message are
defined once, here (:func:`station_message`); ``booth.station.release`` signs and reads them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from booth.ledger import note
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from booth.ledger.keys import fingerprint


def station_message(kind: str, body: dict[str, Any]) -> bytes:
    """The bytes a station message of ``kind`` signs (``booth.station.release``; docs/station.md)::

    "booth station <kind> v1\n" || canonical(body)
    """
    return f"booth station {kind} v1\n".encode() + canonical(body)


def token_problem(
    token: object, release: object, booth_fp: str, desk_fp: str, desk_key: Ed25519PublicKey
) -> str | None:
    """What is wrong with the release token a booth recorded, or None: it must be the desk's
    signed release of ``release`` for this booth (checked again from the log alone)."""
    try:
        obj = parse_canonical(token.encode()) if isinstance(token, str) else None
        body, sig = (obj["body"], base64.b64decode(obj["sig"], validate=True)) if isinstance(obj, dict) else (None, b"")
    except (NotCanonical, KeyError, TypeError, binascii.Error, ValueError):
        return "the recorded release token cannot be read"
    if not isinstance(body, dict) or body.get("release") != release:
        return "the recorded release token is for another release"
    if body.get("booth") != booth_fp or body.get("desk") != desk_fp:
        return "the recorded release token names another booth or desk"
    try:
        desk_key.verify(sig, station_message("release", body))
    except (InvalidSignature, ValueError):
        return "the recorded release token is not signed by the paired desk"
    return None


#: The event types :func:`follow` looks at (the verifier calls it for these only).
WATCHED = frozenset(
    {
        "ledger.created",
        "ballot.released",
        "voter.checked_in",
        "ballot.cast",
        "ballot.spoiled",
        "ballot.release_cancelled",
        "slip.confirmed",
        "slip.dispute_escalated",
        "station.booth_paired",
        "station.desk_paired",
        "station.release_issued",
        "station.release_accepted",
        "station.release_returned",
        "station.release_cancelled",
        "station.release_revoked",
        "station.results",
        "station.closing_received",
        "station.exported",
    }
)
_DESK_EVENTS = {
    "station.results",
    "station.exported",
    "station.closing_received",
    "station.booth_paired",
    "station.release_issued",
    "station.release_returned",
    "station.release_cancelled",
}
_BOOTH_EVENTS = {"station.desk_paired", "station.release_accepted", "station.release_revoked"}


@dataclass
class StationFacts:
    role: str = "single"
    fingerprint: str = ""  # this device's, from ledger.created
    paired: bool = False
    desk_fp: str = ""
    desk_key: Ed25519PublicKey | None = None
    accepted: set[str] = field(default_factory=set)
    current: str | None = None  # a booth: the release being voted under
    valid: dict[str, int] = field(default_factory=dict)  # a booth: release -> valid ballots (casts - spoils)
    issued: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    booths: dict[str, int] = field(default_factory=dict)  # a desk: each paired device's fingerprint -> its number


def follow(add: Callable[[str, str], None], where: str, etype: str, payload: dict[str, Any], f: StationFacts) -> None:
    """One event of :data:`WATCHED`; ``add(where, problem)`` reports what breaks the station's rules."""
    if etype == "ledger.created":
        role = payload.get("role", "single")
        if role not in ("desk", "booth", "single"):
            add(where, f"unknown device role {role!r}")
        f.role = role if isinstance(role, str) else "single"
        f.fingerprint = str(payload.get("fingerprint", ""))
        return
    if etype.startswith("station.") and f.role == "single":
        add(where, f"{etype} in the log of a device that is not part of a station")
    elif f.role == "booth":
        _follow_booth(add, where, etype, payload, f)
    elif f.role == "desk":
        _follow_desk(add, where, etype, payload, f)


def _follow_booth(
    add: Callable[[str, str], None], where: str, etype: str, payload: dict[str, Any], f: StationFacts
) -> None:
    release = payload.get("release")
    if etype in _DESK_EVENTS or etype in ("ballot.released", "voter.checked_in"):
        add(where, f"{etype} in a booth's log (a booth keeps no voters and makes no releases)")
    elif etype == "station.desk_paired":
        if f.paired:
            add(where, "the booth was paired with a desk twice")
        f.paired = True
        try:
            _, f.desk_key = note.parse_verifier_key(str(payload.get("verifier_key", "")))
        except note.NoteError:
            add(where, "the desk's verifier key cannot be read")
            return
        f.desk_fp = str(payload.get("desk", ""))
        if fingerprint(f.desk_key) != f.desk_fp:
            add(where, "the desk's key and fingerprint differ")
    elif etype == "station.release_accepted":
        if not f.paired:
            add(where, "a release accepted before the booth was paired with its desk")
        if release in f.accepted:
            add(where, f"release {release!r} accepted a second time (a replayed token)")
        if f.current is not None:
            add(where, "a release accepted while another was still open")
        if f.desk_key is not None:
            problem = token_problem(payload.get("token"), release, f.fingerprint, f.desk_fp, f.desk_key)
            if problem:
                add(where, problem)
        f.accepted.add(release)  # type: ignore[arg-type]
        f.current = release
        f.valid[release] = 0  # type: ignore[index]
    elif etype == "ballot.cast":
        if release is None or release != f.current:
            add(where, "a ballot cast without an open release from the desk")
        elif f.valid[release] >= 1:
            add(where, f"a second valid ballot under release {release!r}")
        else:
            f.valid[release] += 1
    elif etype == "ballot.spoiled" and release is not None and release in f.valid:
        f.valid[release] -= 1
    elif etype in ("slip.confirmed", "slip.dispute_escalated", "ballot.release_cancelled"):
        f.current = None


def _follow_desk(
    add: Callable[[str, str], None], where: str, etype: str, payload: dict[str, Any], f: StationFacts
) -> None:
    release = payload.get("release")
    if etype in _BOOTH_EVENTS or etype in ("ballot.cast", "ballot.spoiled"):
        add(where, f"{etype} in the desk's log (a desk keeps no ballots)")
    elif etype == "station.release_issued":
        if release in f.issued:
            add(where, f"release {release!r} issued twice")
        f.issued.add(release)  # type: ignore[arg-type]
    elif etype == "station.release_returned":
        if release not in f.issued:
            add(where, f"an outcome returned for release {release!r}, which this desk never issued")
        elif release in f.returned:
            add(where, f"the outcome of release {release!r} recorded twice")
        f.returned.add(release)  # type: ignore[arg-type]
    elif etype == "station.booth_paired":
        f.booths[str(payload.get("fingerprint", ""))] = payload.get("booth")  # type: ignore[assignment]
    elif etype == "station.closing_received":
        statement = payload.get("statement")
        if f.booths.get(str(payload.get("device", ""))) != payload.get("booth"):
            add(where, f"a closing received from a device the desk never paired as booth {payload.get('booth')!r}")
        elif not isinstance(statement, str) or hashlib.sha256(statement.encode()).hexdigest() != payload.get("sha256"):
            add(where, "a closing received whose SHA-256 is not its statement's")
    elif etype == "station.release_cancelled" and release not in f.issued:
        add(where, f"release {release!r} cancelled, but this desk never issued it")
