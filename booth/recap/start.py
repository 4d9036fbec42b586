"""Opening a recap with the verification it runs on: a local pool of worker processes, or the queue.

``booth.recap.core.Recap.open`` opens the store and the recap's key and verifies inline; this module
gives it the queue the caller asks for.  It sits above both the core and ``booth.recap.queue`` (whose
workers open recaps themselves), so neither has to import the other's way of starting.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from booth.recap.core import LocalQueue, Recap


def open_recap(
    data_dir: str | Path,
    *,
    database: str | None = None,
    workers: int | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    queue: str = "local",
) -> Recap:
    """Open (creating if needed) the recap kept in ``data_dir``; see :class:`booth.recap.core.Recap`.

    ``database``: None for the embedded SQLite store in ``data_dir/recap.sqlite``, or a
    ``postgresql://`` URL.  ``queue``: "local" (a process pool of ``workers``, default the cores up
    to 4, or inline with 0), or "procrastinate" (PostgreSQL only: jobs for ``booth recap worker``
    processes on any machine).
    """
    recap = Recap.open(Path(data_dir), database=database, clock=clock)
    if queue == "procrastinate":
        from booth.recap.queue import ProcrastinateQueue

        recap.queue = ProcrastinateQueue(database)
    elif workers is None or workers > 0:
        count = workers if workers is not None else max(1, min(4, (os.cpu_count() or 1)))
        recap.queue = LocalQueue(Path(data_dir), database, count)
    return recap
