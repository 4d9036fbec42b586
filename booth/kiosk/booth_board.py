"""Which booth is free: the desk's board of its station's booths, from the station link.

The desk's companion releases a checked-in voter to a booth that is free.  Whether a booth is
free, busy or offline (and since when) is the link's knowledge (``booth.station.link``: a
booth says free / busy, a dropped connection makes it offline); the desk's ledger knows which
booth has a release out.  A board is one small protocol with two implementations side by side,
as the hardware devices have:

* :class:`LinkBoard` reads the link process's status over its control socket;
* :class:`FileBoard` reads the board the desk's relay writes (:func:`booth.station.board.write_board`) into
  ``/run/booth-board/board.json``: the appliance's kiosk, which is kept off the link's control
  socket (a kiosk that could ``send`` could put messages on the network), only reads that file;
* :class:`SimulatedBoard` is set by hand (tests, the screen gallery, the simulator window).

>>> board = SimulatedBoard({1: "free", 2: "busy", 3: "offline"}, since="2026-12-07T08:01:12Z")
>>> board.booths()[2].status
'busy'
>>> board.free()
[1]
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from booth.station.board import BOARD_FORMAT, number_of

log = logging.getLogger(__name__)

#: What the desk shows of a booth (the link's ``BOOTH_STATUS``).
STATUSES = ("free", "busy", "offline")
#: A board file older than this (seconds) is a relay or link that stopped: every booth offline.
BOARD_MAX_AGE = 10.0


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
        return _booths_of(peers)

    def free(self) -> list[int]:
        return free_booths(self)


def _booths_of(peers: dict) -> dict[int, BoothState]:
    out = {}
    for label, p in peers.items():
        number = number_of(label) if isinstance(label, str) else None
        if number is not None and isinstance(p, dict):
            raw_status, raw_since, raw_queued = p.get("status"), p.get("since"), p.get("queued")
            status = raw_status if isinstance(raw_status, str) and raw_status in STATUSES else "offline"
            since = raw_since if isinstance(raw_since, str) and len(raw_since) <= 40 else None
            queued = raw_queued if type(raw_queued) is int and raw_queued >= 0 else 0  # noqa: E721
            out[number] = BoothState(number, status, since, queued)
    return out


class FileBoard:
    """The board the desk's relay writes (:func:`booth.station.board.write_board`).  Missing, unreadable, of another
    format or older than :data:`BOARD_MAX_AGE` seconds (the relay or the link stopped): every booth
    offline, so the desk releases nobody and says why."""

    def __init__(self, path: Path | str, *, max_age: float = BOARD_MAX_AGE, clock=time.time) -> None:
        self.path = Path(path)
        self.max_age = max_age
        self.clock = clock

    def booths(self) -> dict[int, BoothState]:
        try:
            raw = self.path.read_bytes()[:65536]
            doc = json.loads(raw)
        except (OSError, ValueError) as exc:
            log.warning("the booths' board %s cannot be read: %s", self.path, exc)
            return {}
        if not (isinstance(doc, dict) and doc.get("format") == BOARD_FORMAT and isinstance(doc.get("peers"), dict)):
            log.warning("the booths' board %s is not a %s file", self.path, BOARD_FORMAT)
            return {}
        at = doc.get("at")
        if not isinstance(at, (int, float)) or abs(self.clock() - at) > self.max_age:
            log.warning("the booths' board %s is stale: the relay or the link has stopped", self.path)
            return {}
        return _booths_of(doc["peers"])

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
