"""Which booth is free: the desk's board of its station's booths, from the station link.

The desk's companion releases a checked-in voter to a booth that is free.  Whether a booth is
free, busy or offline (and since when) is the link's knowledge (``booth.station.link``: a
booth says free / busy, a dropped connection makes it offline); the desk's ledger knows which
booth has a release out.  A board is one small protocol with two implementations side by side,
as the hardware devices have:

* :class:`LinkBoard` reads the link process's status over its control socket (the appliance);
* :class:`SimulatedBoard` is set by hand (tests, the screen gallery, the simulator window).

>>> board = SimulatedBoard({1: "free", 2: "busy", 3: "offline"}, since="2026-12-07T08:01:12Z")
>>> board.booths()[2].status
'busy'
>>> board.free()
[1]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

#: What the desk shows of a booth (the link's ``BOOTH_STATUS``).
STATUSES = ("free", "busy", "offline")


@dataclass(frozen=True)
class BoothState:
    """One booth as the desk sees it: ``since`` is the UTC time text of the last change (or None)."""

    number: int
    status: str
    since: str | None = None
    queued: int = 0  # messages waiting for it at the desk (a dropped link)


def label_of(number: int) -> str:
    """The booth's name on the station link (``bilik-2``)."""
    return f"bilik-{number}"


def number_of(label: str) -> int | None:
    """``bilik-2`` -> 2; any other label (the desk's own, a typo) -> None."""
    head, _, tail = label.partition("-")
    return int(tail) if head == "bilik" and tail.isdigit() else None


class BoothBoard(Protocol):
    def booths(self) -> dict[int, BoothState]:
        """Every booth the link knows, by number."""
        ...


def free_booths(board: BoothBoard) -> list[int]:
    return sorted(n for n, b in board.booths().items() if b.status == "free")


class LinkBoard:
    """The board of the desk's link process (``LinkClient.status()``); a link that does not answer
    leaves every booth offline (the desk then releases nobody, and says why)."""

    def __init__(self, client) -> None:
        self.client = client  # a booth.station.link.LinkClient

    def booths(self) -> dict[int, BoothState]:
        try:
            peers = self.client.status()["peers"]
        except (ConnectionError, OSError, KeyError) as exc:
            log.warning("the station link does not answer: %s (%s)", exc, type(exc).__name__)
            return {}
        out = {}
        for label, p in peers.items():
            number = number_of(label)
            if number is not None:
                status = p.get("status") if p.get("status") in STATUSES else "offline"
                out[number] = BoothState(number, status, p.get("since"), int(p.get("queued") or 0))
        return out

    def free(self) -> list[int]:
        return free_booths(self)


class SimulatedBoard:
    """A board set by hand: ``set(2, "offline", since)`` as the link would report it."""

    def __init__(self, statuses: dict[int, str] | None = None, *, since: str | None = None) -> None:
        self._booths = {n: BoothState(n, s, since) for n, s in (statuses or {}).items()}

    def set(self, number: int, status: str, since: str | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"a booth is free, busy or offline, not {status!r}")
        self._booths[number] = BoothState(number, status, since)

    def booths(self) -> dict[int, BoothState]:
        return dict(self._booths)

    def free(self) -> list[int]:
        return free_booths(self)
