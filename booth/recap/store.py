"""The embedded store: one SQLite file in the data directory (tables made with sqlite-utils).

Several processes share it (web workers, the local verification pool, the
CLI): WAL mode, a busy timeout, and ``BEGIN IMMEDIATE`` where a write depends
on what was read (finishing a submission once, appending to the recap's log).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import sqlite_utils

from booth.ledger import merkle
from booth.recap.api import Candidate, Registration, Resolution, Result, Store, Submission
from booth.recap.registry import sort_key

SCHEMA_VERSION = 1


def registration_to_row(r: Registration) -> dict:
    return {
        "fingerprint": r.fingerprint,
        "election_id": r.election_id,
        "kabupaten": r.kabupaten,
        "kecamatan": r.kecamatan,
        "pekon": r.pekon,
        "tps": r.tps,
        "data": json.dumps(asdict(r), ensure_ascii=False, sort_keys=True),
    }


@functools.lru_cache(maxsize=1 << 17)
def registration_from_json(text: str) -> Registration:
    # memoised: every verification job reads the whole registry, and a national evening registers
    # hundreds of thousands of devices (parsing them all again per job made intake quadratic);
    # a Registration is frozen, so sharing one per stored text is safe
    d = json.loads(text)
    d["candidates"] = tuple(Candidate(**c) for c in d["candidates"])
    return Registration(**d)


def result_to_json(r: Result | None) -> str | None:
    return None if r is None else json.dumps(asdict(r), ensure_ascii=False, sort_keys=True)


def result_from_json(text: str | None) -> Result | None:
    return None if not text else Result(**json.loads(text))


SUBMISSION_COLUMNS = (
    "id",
    "sha256",
    "kind",
    "source",
    "filename",
    "received_at",
    "received_by",
    "status",
    "election_id",
    "fingerprint",
    "reason_code",
    "reason_id",
    "reason_en",
    "result",
    "receipt_index",
    "finished_at",
)


def submission_from_row(row: dict) -> Submission:
    d = dict(row)
    d["result"] = result_from_json(d["result"])
    return Submission(**d)


def submission_to_row(s: Submission) -> dict:
    d = asdict(s)
    d["result"] = result_to_json(s.result)
    return d


class SqliteStore(Store):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.row_factory = sqlite3.Row
        self.db = sqlite_utils.Database(self._conn)
        self._create()

    def _create(self) -> None:
        with self._lock, self._tx():
            db = self.db
            db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
            db.table("registrations").create(
                {
                    "fingerprint": str,
                    "election_id": str,
                    "kabupaten": str,
                    "kecamatan": str,
                    "pekon": str,
                    "tps": int,
                    "data": str,
                },
                pk="fingerprint",
                not_null={"election_id", "data"},
                if_not_exists=True,
            )
            db.table("blobs").create({"sha256": str, "data": bytes}, pk="sha256", if_not_exists=True)
            db.table("submissions").create(
                {
                    "id": int,
                    "sha256": str,
                    "kind": str,
                    "source": str,
                    "filename": str,
                    "received_at": str,
                    "received_by": str,
                    "status": str,
                    "election_id": str,
                    "fingerprint": str,
                    "reason_code": str,
                    "reason_id": str,
                    "reason_en": str,
                    "result": str,
                    "receipt_index": int,
                    "finished_at": str,
                },
                pk="id",
                not_null={"sha256", "kind", "status"},
                if_not_exists=True,
            )
            db.table("submissions").create_index(["sha256"], unique=True, if_not_exists=True)
            db.table("submissions").create_index(["election_id"], if_not_exists=True)
            db.table("log").create(
                {"idx": int, "entry": bytes, "leaf": bytes, "checkpoint": str},
                pk="idx",
                not_null={"entry", "leaf", "checkpoint"},
                if_not_exists=True,
            )
            db.table("resolutions").create(
                {"id": int, "election_id": str, "statement_sha256": str, "by": str, "reason": str, "at": str},
                pk="id",
                if_not_exists=True,
            )
            self._conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            self._conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('registry_version', '0')")
        version = self.setting("schema")
        if version != str(SCHEMA_VERSION):
            raise RuntimeError(f"{self.path}: recap schema {version}, this booth reads {SCHEMA_VERSION}")

    class _Tx:
        def __init__(self, conn: sqlite3.Connection, immediate: bool) -> None:
            self.conn, self.immediate = conn, immediate

        def __enter__(self):
            self.conn.execute("BEGIN IMMEDIATE" if self.immediate else "BEGIN")
            return self.conn

        def __exit__(self, exc_type, *_):
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")

    def _tx(self, immediate: bool = True) -> _Tx:
        return SqliteStore._Tx(self._conn, immediate)

    # ------------------------------------------------------------- registry
    # Every verification job and statement reads the whole registry; at a national evening's scale
    # (thousands of devices) reading and sorting it each time cost more than checking a statement.
    # So the sorted list is kept, with the registry's version: a counter that every change bumps in
    # its own transaction, read back (one row) to know whether another process changed the registry.
    _BUMP = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'registry_version'"

    def add_registration(self, reg: Registration) -> None:
        with self._lock, self._tx():
            self.db.table("registrations").upsert(registration_to_row(reg), pk="fingerprint")
            self._conn.execute(self._BUMP)

    def remove_registration(self, fingerprint: str) -> bool:
        with self._lock, self._tx():
            cur = self._conn.execute("DELETE FROM registrations WHERE fingerprint = ?", (fingerprint,))
            self._conn.execute(self._BUMP)
            return cur.rowcount > 0

    def registrations(self) -> list[Registration]:
        with self._lock, self._tx(immediate=False):
            version = self._conn.execute("SELECT value FROM meta WHERE key = 'registry_version'").fetchone()[0]
            cached = getattr(self, "_registry", None)
            if cached is not None and cached[0] == version:
                return list(cached[1])
            rows = self._conn.execute("SELECT data FROM registrations").fetchall()
        regs = sorted((registration_from_json(r["data"]) for r in rows), key=sort_key)
        self._registry = (version, tuple(regs))
        return regs

    # ---------------------------------------------------------- submissions
    def put_blob(self, sha256: str, data: bytes) -> None:
        with self._lock, self._tx():
            self._conn.execute("INSERT OR IGNORE INTO blobs(sha256, data) VALUES (?, ?)", (sha256, data))

    def get_blob(self, sha256: str) -> bytes:
        with self._lock:
            row = self._conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise KeyError(sha256)
        return bytes(row["data"])

    def new_submission(self, sub: Submission) -> tuple[Submission, bool]:
        row = submission_to_row(sub)
        del row["id"]
        with self._lock, self._tx():
            existing = self._conn.execute("SELECT * FROM submissions WHERE sha256 = ?", (sub.sha256,)).fetchone()
            if existing is not None:
                return submission_from_row(dict(existing)), False
            cols = ", ".join(row)
            cur = self._conn.execute(
                f"INSERT INTO submissions({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
            )
            new_id = cur.lastrowid
        stored = self.submission(int(new_id or 0))
        assert stored is not None
        return stored, True

    def finish_submission(
        self,
        sub: Submission,
        receipt_entry: bytes | None = None,
        sign_checkpoint: Callable[[int, bytes], str] | None = None,
    ) -> Submission:
        row = submission_to_row(sub)
        with self._lock, self._tx():
            current = self._conn.execute("SELECT status FROM submissions WHERE id = ?", (sub.id,)).fetchone()
            if current is not None and current["status"] == "queued":
                if receipt_entry is not None:
                    assert sign_checkpoint is not None
                    row["receipt_index"] = self._append(receipt_entry, sign_checkpoint)[0]
                keys = (
                    "status",
                    "election_id",
                    "fingerprint",
                    "reason_code",
                    "reason_id",
                    "reason_en",
                    "result",
                    "receipt_index",
                    "finished_at",
                )
                self._conn.execute(
                    f"UPDATE submissions SET {', '.join(k + ' = ?' for k in keys)} WHERE id = ?",
                    tuple(row[k] for k in keys) + (sub.id,),
                )
        stored = self.submission(sub.id)
        assert stored is not None
        return stored

    def submission(self, submission_id: int) -> Submission | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        return None if row is None else submission_from_row(dict(row))

    def submission_by_hash(self, sha256: str) -> Submission | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else submission_from_row(dict(row))

    def submissions(self) -> list[Submission]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM submissions ORDER BY id").fetchall()
        return [submission_from_row(dict(r)) for r in rows]

    # ------------------------------------------------------------ recap log
    def append_leaf(self, entry: bytes, sign_checkpoint: Callable[[int, bytes], str]) -> tuple[int, str]:
        with self._lock, self._tx():
            return self._append(entry, sign_checkpoint)

    def _append(self, entry: bytes, sign_checkpoint: Callable[[int, bytes], str]) -> tuple[int, str]:
        """Append inside the caller's IMMEDIATE transaction (so no other process appends between)."""
        # The log's right edge (a Merkle frontier, O(log n) hashes) is kept beside it, so an append costs
        # the same on the evening's first submission and its 100,000th; it is rebuilt from the leaves
        # only when it does not describe the log (a store written before it was kept).
        size = self._conn.execute("SELECT COUNT(*) FROM log").fetchone()[0]
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'log_frontier'").fetchone()
        frontier = merkle.Frontier.from_bytes(bytes.fromhex(row[0])) if row else None
        if frontier is None or frontier.size != size:
            frontier = merkle.Frontier()
            for (stored,) in self._conn.execute("SELECT leaf FROM log ORDER BY idx"):
                frontier.append(bytes(stored))
        index = frontier.size
        leaf = merkle.leaf_hash(entry)
        frontier.append(leaf)
        checkpoint = sign_checkpoint(frontier.size, frontier.root())
        self._conn.execute(
            "INSERT INTO log(idx, entry, leaf, checkpoint) VALUES (?, ?, ?, ?)", (index, entry, leaf, checkpoint)
        )
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES ('log_frontier', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (frontier.to_bytes().hex(),),
        )
        return index, checkpoint

    def leaf_entries(self) -> list[bytes]:
        with self._lock:
            return [bytes(r[0]) for r in self._conn.execute("SELECT entry FROM log ORDER BY idx")]

    def leaf_hashes(self) -> list[bytes]:
        with self._lock:
            return [bytes(r[0]) for r in self._conn.execute("SELECT leaf FROM log ORDER BY idx")]

    def log_entry(self, index: int) -> bytes:
        with self._lock:
            row = self._conn.execute("SELECT entry FROM log WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise IndexError(index)
        return bytes(row[0])

    def latest_checkpoint(self) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT checkpoint FROM log ORDER BY idx DESC LIMIT 1").fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------ decisions and settings
    def add_resolution(self, res: Resolution) -> None:
        with self._lock, self._tx():
            self._conn.execute(
                "INSERT INTO resolutions(election_id, statement_sha256, by, reason, at) VALUES (?, ?, ?, ?, ?)",
                (res.election_id, res.statement_sha256, res.by, res.reason, res.at),
            )

    def resolutions(self) -> list[Resolution]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT election_id, statement_sha256, by, reason, at FROM resolutions ORDER BY id"
            ).fetchall()
        return [Resolution(*r) for r in rows]

    def set_setting(self, key: str, value: str) -> None:
        with self._lock, self._tx():
            self._conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def setting(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
