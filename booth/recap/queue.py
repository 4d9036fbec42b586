"""Verification jobs through PostgreSQL (procrastinate): workers on any number of machines.

With ``--database postgresql://...`` the web processes keep nothing: a bundle
received is stored, its submission queued in the recap's tables, and a job
``booth_recap_verify(submission_id)`` deferred to procrastinate's queue in the
same database.  Any ``booth recap worker --database URL --data DIR`` process,
on any machine that reaches the database, takes jobs and runs
``Recap.process(submission_id)``: the same check as the embedded recap, the
outcome and its receipt recorded in one transaction (``booth.recap.pg_store``).

What happens when a worker dies mid-job (power cut, SIGKILL): its job stays
``doing`` and its heartbeat stops.  Every worker looks for jobs of workers
whose heartbeat is older than ``stalled_after`` seconds and puts them back in
the queue (procrastinate's stalled-job retry); another worker runs them.
``Recap.process`` is idempotent and ``finish_submission`` changes only a
queued submission under a row lock, so a job run twice counts once and gets
one receipt.  A job that fails with an error (the database went away) is
retried by its retry strategy.  Submissions left queued with no job at all (a
web process stopped between storing and deferring) are deferred again when a
worker starts.

The workers sign the recap's log with the recap's key, so each worker's
``--data DIR`` must hold a copy of the server's ``recap.key``; a worker whose
key is not the one the recap's log is signed with refuses to start.

Test hook (documented, for ``tests/test_recap_pg.py`` only): with
``BOOTH_RECAP_TEST_PAUSE=<seconds>`` and ``BOOTH_RECAP_TEST_PAUSE_DIR=<dir>``
set, a worker that has verified a submission writes ``<dir>/<id>.<pid>`` and
sleeps that long *before* recording the outcome (with
``BOOTH_RECAP_TEST_PAUSE_AT=log``: inside the recording transaction, the
receipt's leaf about to be written), so a test can kill it in the middle of
a job.  ``BOOTH_RECAP_WORKER_HEARTBEAT`` and
``BOOTH_RECAP_WORKER_STALLED_AFTER`` (seconds) shorten the heartbeat and the
stall timeout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import ProcrastinateException
from procrastinate.schema import SchemaManager

from booth.recap.api import JobQueue, RecapError
from booth.recap.pg_store import FINISHED_CHANNEL, SCHEMA, connect_error, redact

TASK_NAME = "booth_recap_verify"
QUEUE_NAME = "booth_recap"
DEFAULT_HEARTBEAT = 5.0  # seconds between a worker's heartbeats
DEFAULT_STALLED_AFTER = 20.0  # a worker silent this long is dead: its jobs go back to the queue
NO_WORKER_GRACE = 15.0  # an upload stops waiting when no worker has been alive this long
# pg_advisory_xact_lock key for installing procrastinate's schema once.
_QUEUE_SCHEMA_LOCK = 0x7175657565  # "queue"
# An error in a job (the database restarting, a full disk): try again, a little later each time.
RETRY = procrastinate.RetryStrategy(max_attempts=8, linear_wait=2)

logger = logging.getLogger("booth.recap.queue")

# The worker process's recap (opened by run_worker), used by the task.
_WORKER_RECAP: Any = None


def ensure_queue_schema(database: str) -> None:
    """Install procrastinate's tables in the database unless they are there (once, under a lock)."""
    try:
        with psycopg.connect(database, autocommit=True, connect_timeout=10) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_QUEUE_SCHEMA_LOCK,))
            row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if row is None or row[0] is None:
                conn.execute(SchemaManager.get_schema())
    except psycopg.Error as exc:
        raise connect_error(database, exc) from None


def verify_submission(submission_id: int) -> str:
    """The job: verify and finish one submission in this worker's recap (idempotent)."""
    if _WORKER_RECAP is None:
        raise RuntimeError("booth_recap_verify runs only in `booth recap worker`")
    sub = _WORKER_RECAP.process(int(submission_id))
    if sub is None:
        logger.warning("submission %s is not in the database", submission_id)
        return "gone"
    logger.info(
        "submission %s (%s): %s%s",
        sub.id,
        sub.filename or sub.sha256[:16],
        sub.status,
        f" — {sub.reason_en}" if sub.reason_en else "",
    )
    return sub.status


def make_app(database: str, *, pool_size: int = 4) -> procrastinate.App:
    """A procrastinate app on ``database`` with the verification task registered."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=database, min_size=1, max_size=pool_size))
    app.task(name=TASK_NAME, queue=QUEUE_NAME, retry=RETRY)(verify_submission)
    return app


def _job_options(submission_id: int) -> dict:
    # The lock keeps two jobs for one submission from running at once (a resume while one runs).
    return {"lock": f"booth-recap-submission-{submission_id}"}


class ProcrastinateQueue(JobQueue):
    """``JobQueue`` on procrastinate: jobs for ``booth recap worker`` processes on any machine."""

    def __init__(self, database: str | None) -> None:
        if not database:
            raise RecapError(
                "Antrean procrastinate perlu --database postgresql://...",
                "The procrastinate queue needs --database postgresql://...",
                code="data_dir",
            )
        self.database = database
        ensure_queue_schema(database)
        self.app = make_app(database, pool_size=2)
        self.app.open()
        self._task = self.app.tasks[TASK_NAME]
        #: how long ``wait`` waits while no worker at all is alive before answering "still queued"
        self.no_worker_grace = NO_WORKER_GRACE
        # since when no worker has been seen alive (shared by every wait: a bulk upload of 40
        # bundles with no worker running waits the grace once, not 40 times)
        self._alone_since: float | None = None

    def enqueue(self, submission_id: int) -> None:
        self._task.configure(**_job_options(submission_id)).defer(submission_id=int(submission_id))

    def wait(self, submission_ids: Sequence[int], timeout: float) -> bool:
        """Wait until none of ``submission_ids`` is queued: woken by the store's notification at each
        finish, and looking again every second in case one was missed.

        False on timeout, and also when no worker has been alive for ``no_worker_grace`` seconds: the
        submissions stay stored and queued (an upload answers "being verified") and are verified
        when a worker starts, instead of the committee's page hanging."""
        ids = [int(i) for i in submission_ids]
        if not ids:
            return True
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.database, autocommit=True) as conn:
            conn.execute(f"LISTEN {FINISHED_CHANNEL}")
            while True:
                row = conn.execute(
                    f"SELECT count(*) FROM {SCHEMA}.submissions WHERE id = ANY(%s) AND status = 'queued'", (ids,)
                ).fetchone()
                if row is None or row[0] == 0:
                    return True
                now = time.monotonic()
                if now >= deadline:
                    return False
                alive = conn.execute(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat > now() - make_interval(secs => %s)",
                    (DEFAULT_STALLED_AFTER,),
                ).fetchone()
                if alive is not None and alive[0] > 0:
                    self._alone_since = None
                elif self._alone_since is None:
                    self._alone_since = now
                elif now - self._alone_since >= self.no_worker_grace:
                    logger.warning(
                        "no verification worker is running: %d submissions stay queued (start `booth recap worker`)",
                        row[0],
                    )
                    return False
                for _ in conn.notifies(timeout=min(deadline - now, 1.0), stop_after=1):
                    pass

    def close(self) -> None:
        self.app.close()


# ------------------------------------------------------------------ workers
def _env_seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _pause_hook(store) -> None:
    """The documented test hook: pause in the middle of a job, where a test can kill the worker.

    ``BOOTH_RECAP_TEST_PAUSE_AT=finish`` (default): after verifying, before recording the outcome;
    ``=log``: inside the recording transaction, with the receipt's leaf about to be written and the
    submission's and the log's rows locked (an accepted submission only)."""
    seconds = _env_seconds("BOOTH_RECAP_TEST_PAUSE", 0)
    folder = os.environ.get("BOOTH_RECAP_TEST_PAUSE_DIR")
    at = os.environ.get("BOOTH_RECAP_TEST_PAUSE_AT", "finish")
    if seconds <= 0 or not folder:
        return
    finish: Callable = store.finish_submission

    def pause(sub) -> None:
        Path(folder, f"{sub.id}.{os.getpid()}").write_text(sub.sha256)
        time.sleep(seconds)

    def paused(sub, receipt_entry=None, sign_checkpoint=None):
        if at == "log" and sign_checkpoint is not None:

            def slow_sign(size: int, root: bytes) -> str:
                pause(sub)
                return sign_checkpoint(size, root)

            return finish(sub, receipt_entry, slow_sign)
        if at != "log":
            pause(sub)
        return finish(sub, receipt_entry, sign_checkpoint)

    store.finish_submission = paused


async def _requeue_stalled(app: procrastinate.App, every: float, stalled_after: float) -> None:
    """Put the jobs of dead workers (no heartbeat for ``stalled_after`` s) back in the queue."""
    while True:
        await asyncio.sleep(every)
        try:
            stalled = await app.job_manager.get_stalled_jobs(queue=QUEUE_NAME, seconds_since_heartbeat=stalled_after)
            for job in stalled:
                try:
                    await app.job_manager.retry_job(job)
                    logger.warning(
                        "job %s (submission %s) of a stalled worker queued again",
                        job.id,
                        job.task_kwargs.get("submission_id"),
                    )
                except (ProcrastinateException, psycopg.Error) as exc:  # another worker requeued it first
                    logger.debug("job %s not requeued: %s", job.id, exc)
        except (ProcrastinateException, psycopg.Error, OSError) as exc:  # the database away for a moment
            logger.warning("looking for stalled jobs failed: %s", exc)


def orphaned_submissions(database: str) -> list[int]:
    """Queued submissions with no job waiting or running (a web process stopped between storing and
    deferring)."""
    with psycopg.connect(database, autocommit=True) as conn:
        rows = conn.execute(
            f"SELECT s.id FROM {SCHEMA}.submissions s WHERE s.status = 'queued' AND NOT EXISTS ("
            "SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = %s AND j.status IN ('todo', 'doing') "
            "AND (j.args->>'submission_id')::bigint = s.id) ORDER BY s.id",
            (TASK_NAME,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def run_worker(database: str, concurrency: int = 1, *, data_dir: str | Path | None = None) -> int:
    """``booth recap worker``: take verification jobs from ``database`` until stopped (SIGINT/SIGTERM).

    ``data_dir`` holds a copy of the recap's key (``recap.key``).  Returns the exit code: 0 when
    stopped, 2 when the database or the key cannot be used.
    """
    global _WORKER_RECAP
    from booth.recap.core import Recap

    def refuse(exc: RecapError) -> int:
        print(f"booth: {exc.id} / {exc.en}", file=sys.stderr)
        return 2

    if data_dir is None or not (Path(data_dir) / "recap.key").is_file():
        return refuse(
            RecapError(
                "Pekerja perlu --data DIR berisi recap.key (salinan kunci server rekap)",
                "A worker needs --data DIR holding recap.key (a copy of the recap server's key)",
                code="wrong_key",
            )
        )
    if concurrency < 1:
        return refuse(RecapError("--concurrency minimal 1", "--concurrency must be at least 1", code="usage"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    try:
        recap = Recap.open(Path(data_dir), database=database)
    except RecapError as exc:
        return refuse(exc)
    try:
        ensure_queue_schema(database)
        _pause_hook(recap.store)
        _WORKER_RECAP = recap
        app = make_app(database, pool_size=concurrency + 3)
        heartbeat = _env_seconds("BOOTH_RECAP_WORKER_HEARTBEAT", DEFAULT_HEARTBEAT)
        stalled_after = _env_seconds("BOOTH_RECAP_WORKER_STALLED_AFTER", DEFAULT_STALLED_AFTER)
        name = f"{socket.gethostname()}-{os.getpid()}"
        orphans = orphaned_submissions(database)

        async def main() -> None:
            async with app.open_async():
                task = app.tasks[TASK_NAME]
                for sid in orphans:
                    await task.configure(**_job_options(sid)).defer_async(submission_id=sid)
                if orphans:
                    logger.info("deferred again %d queued submissions that had no job", len(orphans))
                reaper = asyncio.create_task(_requeue_stalled(app, heartbeat, stalled_after))
                print(
                    f"Pekerja verifikasi berjalan / verification worker running: {name}, "
                    f"{redact(database)}, concurrency {concurrency}",
                    file=sys.stderr,
                    flush=True,
                )
                try:
                    await app.run_worker_async(
                        queues=[QUEUE_NAME],
                        concurrency=concurrency,
                        name=name,
                        delete_jobs="successful",
                        update_heartbeat_interval=heartbeat,
                        stalled_worker_timeout=stalled_after,
                        fetch_job_polling_interval=min(2.0, heartbeat),
                        install_signal_handlers=True,
                    )
                finally:
                    reaper.cancel()

        asyncio.run(main())
    except RecapError as exc:
        return refuse(exc)
    except KeyboardInterrupt:
        pass
    finally:
        _WORKER_RECAP = None
        recap.close()
    return 0
