"""The booths' board file: the desk's relay writes the link's view of its booths for the kiosk.

The kiosk is kept off the link's control socket (a kiosk that could ``send`` could put
messages on the station's network), so the desk's relay (``booth station relay --board PATH``)
writes what the board shows, every second, into ``/run/booth-board/board.json`` (its runtime
directory; the kiosk's group may read it) and the kiosk reads it
(:class:`booth.kiosk.booth_board.FileBoard`)::

    {"format": "booth-link-board-v1", "at": 1796630400.5,
     "peers": {"bilik-1": {"status": "free", "since": "2026-12-07T08:01:12Z", "queued": 0}}}
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

BOARD_FORMAT = "booth-link-board-v1"


def number_of(label: str) -> int | None:
    """``bilik-2`` -> 2; any other label (the desk's own, a typo) -> None."""
    head, _, tail = label.partition("-")
    return int(tail) if head == "bilik" and tail.isdigit() else None


def write_board(path: Path, link_status: dict, *, now: float | None = None) -> None:
    """At the desk's relay: the link's view of the booths into ``path``, atomically (rename), mode 0640
    (its group is the kiosk's way in).  Only what the board shows is written: status, since, queued."""
    peers = {
        label: {k: p.get(k) for k in ("status", "since", "queued")}
        for label, p in (link_status.get("peers") or {}).items()
        if number_of(label) is not None
    }
    data = json.dumps({"format": BOARD_FORMAT, "at": time.time() if now is None else now, "peers": peers}).encode()
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".board-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o640)
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
