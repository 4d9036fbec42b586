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

The booth's ``station.release_accepted`` keeps the desk's signed token, so the release can be
checked again against the desk's key pinned in ``station.desk_paired``
(``booth.station.release.read``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    }
)
_DESK_EVENTS = {
    "station.results",
    "station.booth_paired",
    "station.release_issued",
    "station.release_returned",
    "station.release_cancelled",
}
_BOOTH_EVENTS = {"station.desk_paired", "station.release_accepted", "station.release_revoked"}


@dataclass
class StationFacts:
    role: str = "single"
    paired: bool = False
    accepted: set[str] = field(default_factory=set)
    current: str | None = None  # a booth: the release being voted under
    valid: dict[str, int] = field(default_factory=dict)  # a booth: release -> valid ballots (casts - spoils)
    issued: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)


def follow(add: Callable[[str, str], None], where: str, etype: str, payload: dict[str, Any], f: StationFacts) -> None:
    """One event of :data:`WATCHED`; ``add(where, problem)`` reports what breaks the station's rules."""
    if etype == "ledger.created":
        role = payload.get("role", "single")
        if role not in ("desk", "booth", "single"):
            add(where, f"unknown device role {role!r}")
        f.role = role if isinstance(role, str) else "single"
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
    elif etype == "station.release_accepted":
        if not f.paired:
            add(where, "a release accepted before the booth was paired with its desk")
        if release in f.accepted:
            add(where, f"release {release!r} accepted a second time (a replayed token)")
        if f.current is not None:
            add(where, "a release accepted while another was still open")
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
    elif etype == "station.release_cancelled" and release not in f.issued:
        add(where, f"release {release!r} cancelled, but this desk never issued it")
