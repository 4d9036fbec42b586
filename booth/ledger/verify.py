"""``booth verify``: check a device's state directory or export bundle from the written format.

This module reads rows and lines and re-derives every hash, chain link,
signature and root from ``docs/ledger-format.md`` (via ``formats``,
``merkle`` and ``note``).  It never asks the writer (``booth.ledger.ledger``)
whether something is right.  It streams: memory stays flat however long the
day was.  For a large ledger the signatures (most of the work) are checked by
worker processes, one per core (``booth.ledger.sigworker``), while this process
walks the log; the report is the same as from one process (see ``verify``).

Checks, in the order they are made:

1. the device key: a C2SP verifier key whose name is ``booth/`` + the first
   16 hex digits of the key's SHA-256 fingerprint (and, if given, the expected
   fingerprint from paper);
2. every event: stored in sequence with no gap, canonical JSON of the right
   shape, a known event type, ``prev`` equal to the previous leaf hash, a valid
   Ed25519 signature; the first event is ``ledger.created`` naming this key;
   a ``station.checkpoint_seen`` record holds another device's checkpoint signed
   by the key it names, this device's valid cosignature on it, and a consistency
   proof that it extends the record before of the same device;
3. every checkpoint: exactly one per log size, signed by the device, whose
   root equals the RFC 6962 root recomputed over the events up to that size;
   every *known* checkpoint (printed on a report, given with ``--checkpoint``)
   is consistent with the log: same root at its size, and the log is not
   shorter than it (truncation);
4. every ballot: canonical record of the right shape in its slot, its
   identifier matching the slot, the loaded election, a valid signature;
   empty slots are all zero; identifiers strictly increasing in the store;
   every spoiled record (``"selection": "spoiled"``) carries a valid spoil
   mark and every spoil mark belongs to a spoiled record (kept apart from the
   tally);
5. reconciliation: ballots stored == ``ballot.cast`` events, each cast's
   running count is the previous plus one, no cast after ``polls.closed``,
   spoiled ballots == ``ballot.spoiled`` events (each count the previous plus
   one, never more than the casts before it), the closing event's counts and
   roots (ballots, spoiled) equal the store's, prepared slots equal the slots
   found.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
import re
import select
import sqlite3
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.exceptions
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from booth.ledger import formats, merkle, note, sigworker, station_log
from booth.ledger.bundle import UnsafeBundle, check_zip_limits
from booth.ledger.canonical import NotCanonical, parse_canonical
from booth.ledger.event_types import EVENT_TYPES
from booth.ledger.keys import fingerprint, origin_for, raw_public, short_fingerprint
from booth.ledger.timeline import TimeWalk

MAX_PROBLEMS = 20


class Unreadable(Exception):
    """The input is not a ledger we can read at all (exit code 2)."""


# What zipfile raises for damaged archives: bad headers, bad CRCs, bad deflate
# streams, unknown compression methods (NotImplementedError), "encrypted"
# flags (RuntimeError).
_ZIP_FAILURES = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


class _Stop(Exception):
    """Internal: the first problem was found and the caller asked to stop there."""


@dataclass
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Report:
    source: str
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    stop_at_first: bool = False
    # Every check made so far has a position in the order of the walk; a problem found
    # later (a signature answered by a worker process) is put back at its check's place.
    _position: int = field(default=0, repr=False, compare=False)
    _positions: list[int] = field(default_factory=list, repr=False, compare=False)
    _late: list[tuple[int, Problem]] = field(default_factory=list, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str, what: str) -> None:
        self._position += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, what))
            self._positions.append(self._position)
        if self.stop_at_first:
            raise _Stop()

    def reserve(self) -> int:
        """The place of a check whose answer comes later (see :meth:`add_at`)."""
        self._position += 1
        return self._position

    def add_at(self, position: int, where: str, what: str) -> None:
        """A problem of the check made at ``position`` (from :meth:`reserve`), found later."""
        self._late.append((position, Problem(where, what)))
        if len(self._late) > 4 * MAX_PROBLEMS:  # only the first ones by position can be listed
            self._late = sorted(self._late, key=lambda late: late[0])[:MAX_PROBLEMS]

    def merge_late(self) -> None:
        """Put the problems found later at their places; the first 20 in the walk's order are kept."""
        if not self._late:
            return
        ordered = sorted([*zip(self._positions, self.problems, strict=True), *self._late], key=lambda item: item[0])
        ordered = ordered[:MAX_PROBLEMS]
        self.problems = [problem for _, problem in ordered]
        self._positions = [position for position, _ in ordered]
        self._late = []

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "valid": self.ok,
            "first_problem": str(self.problems[0]) if self.problems else None,
            "problems": [{"where": p.where, "what": p.what} for p in self.problems],
            "summary": self.summary,
        }


# ------------------------------------------------------------------ sources
class DatabaseSource:
    """A state directory (or a ``ledger.db`` file) as written on the device."""

    kind = "database"
    padded_ballots = True

    def __init__(self, path: Path | None = None, conn: sqlite3.Connection | None = None) -> None:
        self._owned = conn is None
        self._shm_existed = True
        self.path = None
        if conn is not None:
            self._conn = conn
            self.name = "ledger (open connection)"
            return
        if path is None:
            raise TypeError("DatabaseSource needs a path or an open connection")
        path = Path(path)
        db = path / "ledger.db" if path.is_dir() else path
        if not db.is_file():
            raise Unreadable(f"no ledger database at {path}")
        self.name = str(path)
        self.path = path
        # Reading a WAL database makes SQLite create a -shm index beside it; it
        # would record which pages the last transaction wrote, so remove it
        # again when done if it was not there before.
        self._shm = db.with_name(db.name + "-shm")
        self._shm_existed = self._shm.exists()
        try:
            self._conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            # damaged TEXT must become a reported problem, not a UnicodeDecodeError
            self._conn.text_factory = _TEXT_OF_BYTES
            self._conn.execute("PRAGMA query_only=ON")
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise Unreadable(
                    "the ledger is open in the running booth service; verify through the service, or stop it first"
                ) from None
            raise Unreadable(f"cannot open {db}: {exc}") from None
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            # SQLite's own message can quote damaged bytes that are not UTF-8
            raise Unreadable(f"{db} is not a readable SQLite database: {exc!r}") from None
        missing = {"meta", "events", "checkpoints", "ballots"} - tables
        if missing:
            raise Unreadable(f"{db} is not a booth ledger (missing tables: {', '.join(sorted(missing))})")

    def metadata(self) -> dict[str, Any]:
        return {k: v for k, v in self._conn.execute("SELECT key, value FROM meta")}

    def verifier_key(self) -> str:
        row = self._conn.execute("SELECT value FROM meta WHERE key='verifier_key'").fetchone()
        if row is None or not isinstance(row[0], str):
            raise Unreadable("the ledger has no verifier key in its metadata")
        return row[0]

    def events(self) -> Iterator[tuple[int, str | None, bytes, bytes]]:
        yield from self._conn.execute("SELECT seq, type, entry, sig FROM events ORDER BY seq")

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        yield from self._conn.execute("SELECT size, note FROM checkpoints ORDER BY size")

    def stored_checkpoints(self) -> Iterator[tuple[int, str]]:
        """What the walk reads: the rows as stored (see ``BundleSource.stored_checkpoints``)."""
        return self.checkpoints()

    def ballots(self) -> Iterator[tuple[bytes, int, bytes, bytes]]:
        yield from self._conn.execute("SELECT id, filled, slot, sig FROM ballots ORDER BY id")

    def spoil_marks(self) -> Iterator[tuple[Any, Any]]:
        """(id, spoil mark) of every slot whose mark is not blank (none in a ledger older than spoiling)."""
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(ballots)")}
        if "spoil" not in columns:
            return
        blank = bytes(formats.SIGNATURE_BYTES)
        yield from self._conn.execute("SELECT id, spoil FROM ballots WHERE spoil IS NOT ? ORDER BY id", (blank,))

    def declared_slots(self) -> int | None:
        return None

    def close(self) -> None:
        # closed explicitly: a connection left to the garbage collector would
        # keep the ledger from being opened by the booth service
        if self._owned:
            self._conn.close()
            if not self._shm_existed:
                self._shm.unlink(missing_ok=True)


_CHUNK = 256 * 1024

# damaged TEXT read as text with U+FFFD in place of what is not UTF-8 (a C call, no Python frame
# per value: two per event)
_TEXT_OF_BYTES = functools.partial(bytes.decode, encoding="utf-8", errors="replace")


class BundleSource:
    """An export bundle (zip) made by ``booth export``."""

    kind = "bundle"
    padded_ballots = False

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(path)
            try:
                check_zip_limits(self._zip)
            except UnsafeBundle as exc:
                self._zip.close()
                raise Unreadable(f"{path} is refused: {exc}") from None
            self._header = json.loads(self._zip.read("bundle.json"))
            if not isinstance(self._header, dict) or self._header.get("format") != "booth-bundle-v1":
                raise Unreadable(f"{path} is not a booth bundle (unknown format)")
            for member in ("device.pub", "events.jsonl", "checkpoints.jsonl", "ballots.jsonl"):
                self._zip.getinfo(member)
        except Unreadable:
            raise
        except (KeyError, ValueError) + _ZIP_FAILURES as exc:
            raise Unreadable(f"{path} is not a readable booth bundle: {exc}") from None

    def _lines(self, member: str) -> Iterator[bytes]:
        # Read in 256 KiB chunks and split here: ZipExtFile's own line iterator is Python code per
        # line (a sixth of a bundle's verification), and a chunk keeps memory bounded all the same.
        with self._zip.open(member) as f:
            rest = b""
            while chunk := f.read(_CHUNK):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                yield from lines
            if rest:
                raise Unreadable(f"{member}: last line is cut off")

    def metadata(self) -> dict[str, Any]:
        return {
            "format": formats.FORMAT_VERSION,
            "origin": self._header.get("origin"),
            "verifier_key": self._header.get("verifier_key"),
        }

    def verifier_key(self) -> str:
        return self._zip.read("device.pub").decode("utf-8", "replace").strip()

    def events(self) -> Iterator[tuple[int, str | None, bytes, bytes]]:
        a2b_base64 = binascii.a2b_base64
        for index, line in enumerate(self._lines("events.jsonl")):
            # _split_signed_line, written out: once per event
            head, _, entry = line.partition(b" ")
            try:
                sig = a2b_base64(head, strict_mode=True)
            except (binascii.Error, ValueError):
                sig = b""
            yield index, None, entry, sig

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        for line in self._lines("checkpoints.jsonl"):
            yield checkpoint_row(line)

    def stored_checkpoints(self) -> Iterator[bytes]:
        """The lines of ``checkpoints.jsonl`` as stored: the walk reads each as :func:`checkpoint_row`
        does only when it is not the line it expects (``_CheckpointWalk``)."""
        yield from self._lines("checkpoints.jsonl")

    def ballots(self) -> Iterator[tuple[bytes, int, bytes, bytes]]:
        for line in self._lines("ballots.jsonl"):
            sig, record = _split_signed_line(line)
            plain = PLAIN_BALLOT.fullmatch(record)  # the ID without a JSON parse (the record is checked later)
            if plain is not None:
                yield bytes.fromhex(plain[2].decode()), 1, record, sig
                continue
            try:
                ballot_id = bytes.fromhex(json.loads(record)["id"])
            except (ValueError, KeyError, TypeError):
                ballot_id = b""
            yield ballot_id, 1, record, sig

    def spoil_marks(self) -> Iterator[tuple[Any, Any]]:
        """(id, spoil mark) per line of ``spoiled.jsonl`` (absent in bundles older than spoiling)."""
        if "spoiled.jsonl" not in self._zip.namelist():
            return
        for line in self._lines("spoiled.jsonl"):
            mark, rest = _split_signed_line(line)
            try:
                ballot_id = bytes.fromhex(rest.decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                ballot_id = b""
            yield ballot_id, mark

    def declared_slots(self) -> int | None:
        slots = self._header.get("slots")
        return slots if isinstance(slots, int) else None

    def close(self) -> None:
        self._zip.close()


# A checkpoint line as write_bundle writes it: {"note": text whose only escape is \n, "size": n}.
# For such a line this is what the JSON decode gives, without it (JSON refuses raw control
# characters in a string, and so does the class below); any other line is decoded as JSON.
# (Possessive quantifiers: no backtracking, four times faster than the plain alternation.)
_PLAIN_CHECKPOINT_LINE = re.compile(rb'\{"note":"((?:[^"\\\x00-\x1f]++|\\n)*+)","size":(0|[1-9][0-9]{0,18})\}')

# A key name that canonical JSON writes as itself: printable ASCII but '"' and '\\'.
_JSON_SAFE_NAME = re.compile(r"[!#-\[\]-~]+")

# One decoder for the bundle's JSON lines (json.loads would sniff each line's encoding).
_JSON = json.JSONDecoder()


def checkpoint_row(line: bytes) -> tuple[int, str]:
    """A line of ``checkpoints.jsonl`` as (size, note text); (-1, "") when it is not one."""
    plain = _PLAIN_CHECKPOINT_LINE.fullmatch(line)
    if plain is not None:
        try:
            return int(plain[2]), plain[1].replace(b"\\n", b"\n").decode("utf-8")
        except UnicodeDecodeError:
            pass  # the JSON decode below refuses it the same way
    try:
        obj = _JSON.decode(line.decode("utf-8"))
        return int(obj["size"]), str(obj["note"])
    except (ValueError, KeyError, TypeError):
        return -1, ""


def _split_signed_line(line: bytes) -> tuple[bytes, bytes]:
    head, _, rest = line.partition(b" ")
    try:
        # base64.b64decode(head, validate=True) without its two Python frames (one per line)
        return binascii.a2b_base64(head, strict_mode=True), rest
    except (binascii.Error, ValueError):
        return b"", rest


#: What ``verify`` reads: a device's database or an export bundle.
Source = DatabaseSource | BundleSource


def open_source(path: Path) -> Source:
    """A state directory, a ledger.db file, or a bundle zip."""
    path = Path(path)
    if not path.exists():
        raise Unreadable(f"{path} does not exist")
    if path.is_dir():
        return DatabaseSource(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(16)
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc}") from None
    if magic.startswith(b"SQLite format 3"):
        return DatabaseSource(path)
    if magic.startswith(b"PK"):
        return BundleSource(path)
    raise Unreadable(f"{path} is neither a booth state directory, a ledger database nor a bundle")


# ------------------------------------------------------------------- checks
def _verify_sig(public_key: Ed25519PublicKey, sig: bytes, message: bytes) -> bool:
    if len(sig) != formats.SIGNATURE_BYTES:
        return False
    return note.verify_signature(public_key, sig, message)


# ------------------------------------------------------- signature checks
#: Ed25519 signatures are most of the work; the walk hands each one to a checker with
#: what to say if it fails: ``on_fail(add, a, b)``, where ``add(where, what)`` reports.
OnFail = Callable[[Callable[[str, str], None], Any, Any], None]


def _say(add: Callable[[str, str], None], where: str, what: str) -> None:
    add(where, what)


class _InlineSignatures:
    """The signatures checked in this process (small inputs, ``stop_at_first``, one core).

    In order, each at once, for ``stop_at_first`` and for a report made again in one process;
    otherwise a few dozen at a time (``BATCH``), each check keeping its place in the report's
    order (``Report.reserve``) as with the workers: libsodium's code and tables stay in the
    caches through a run of checks instead of being pushed out by the walk between every two
    (measured with benchmarks/recap_ingest.py, the recap's bundle check: the walk and the
    signatures cost less when not interleaved one by one).
    """

    workers = 0
    BATCH = 64

    def __init__(self, report: Report, public_key: Ed25519PublicKey, *, batched: bool = False) -> None:
        self._report = report
        self._add = report.add
        self._public = note._raw_public(public_key)
        #: problems of signatures are found later than the walk's (put back in place by Report.merge_late)
        self.deferred = batched
        self._queue: list[tuple[int, bytes, bytes, OnFail, Any, Any]] = []

    def check(self, sig: bytes, message: bytes, on_fail: OnFail, a: Any, b: Any) -> None:
        if self.deferred:
            report = self._report
            report._position += 1  # Report.reserve(), written out: once per signature
            self._queue.append((report._position, sig, message, on_fail, a, b))
            if len(self._queue) >= self.BATCH:
                self._check_queued()
            return
        # note.verify_signature's libsodium call (as the workers make it), without its three
        # Python frames: this runs once per event, checkpoint and ballot
        if len(sig) == formats.SIGNATURE_BYTES:
            try:
                _crypto_sign_open(sig + message, self._public)
                return
            except _Forged:
                pass
        on_fail(self._add, a, b)

    def _check_queued(self) -> None:
        queue, self._queue = self._queue, []
        public = self._public
        for position, sig, message, on_fail, a, b in queue:
            if len(sig) == formats.SIGNATURE_BYTES:
                try:
                    _crypto_sign_open(sig + message, public)
                    continue
                except _Forged:
                    pass
            on_fail(self._adder(position), a, b)

    def _adder(self, position: int) -> Callable[[str, str], None]:
        return lambda where, what: self._report.add_at(position, where, what)

    def finish(self) -> None:
        self._check_queued()

    def close(self) -> None:
        self._queue = []


class _Worker:
    """One signature worker process (``booth.ledger.sigworker``) and the batches it holds."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        assert proc.stdin is not None and proc.stdout is not None
        self.to_fd = proc.stdin.fileno()
        self.from_fd = proc.stdout.fileno()
        self.received = b""
        #: batches sent and not yet answered, oldest first: (payload, what each item says when it fails)
        self.batches: deque[tuple[bytes, list[tuple[int, OnFail, Any, Any]]]] = deque()
        self.alive = True


class _SignatureWorkers:
    """Signatures sent in batches to worker processes, one per core, while this process walks the log.

    Every check reserves its place in the report's order of checks (``Report.reserve``), so
    a signature found bad later is listed exactly where the walk in one process would list
    it.  A worker that dies takes nothing with it: its unanswered batches are checked here.
    """

    #: a batch is sent when it holds this many bytes (about 9 ms of signatures on x86: the
    #: per-batch cost, two system calls, is noise), and each worker holds at most two
    #: (one it works on, one waiting in its pipe), so the pipes never fill and memory is bounded
    BATCH_BYTES = 32 * 1024
    DEPTH = 2

    def __init__(self, report: Report, public_key: Ed25519PublicKey, count: int) -> None:
        self._report = report
        self._public = note._raw_public(public_key)
        self._items: list[bytes] = []
        self._meta: list[tuple[int, OnFail, Any, Any]] = []
        self._size = 0
        self._workers: list[_Worker] = []
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        try:
            for _ in range(count):
                proc = subprocess.Popen(
                    # -P: the current directory is not put first on the worker's path
                    [sys.executable, "-P", "-m", "booth.ledger.sigworker"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                )
                self._workers.append(_Worker(proc))
                self._write(self._workers[-1], self._public)
        except OSError:
            self.close()
            raise
        self.workers = len(self._workers)
        self.deferred = True

    # -- the walk's side
    def check(self, sig: bytes, message: bytes, on_fail: OnFail, a: Any, b: Any) -> None:
        report = self._report
        report._position += 1  # Report.reserve(), written out: once per signature
        if len(sig) != formats.SIGNATURE_BYTES:
            on_fail(self._adder(report._position), a, b)
            return
        self._items += (_ITEM_LENGTH(64 + len(message)), sig, message)  # sigworker.item(), in pieces
        self._meta.append((report._position, on_fail, a, b))
        self._size += 68 + len(message)
        if self._size >= self.BATCH_BYTES:
            self._send()

    def finish(self) -> None:
        """Every signature handed over so far checked and its failure, if any, reported."""
        if self._items:
            self._send()
        for worker in self._workers:
            while worker.batches:
                self._receive(worker, block=True)

    def close(self) -> None:
        """Stop the workers (after ``finish``, or on the way out of a damaged input)."""
        for worker in self._workers:
            try:
                if worker.alive:
                    self._write(worker, _END)
                worker.proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass
        for worker in self._workers:
            try:
                worker.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()
            worker.proc.stdout.close()  # type: ignore[union-attr]
        self._workers = []

    # -- the workers' side
    def _adder(self, position: int) -> Callable[[str, str], None]:
        return lambda where, what: self._report.add_at(position, where, what)

    def _send(self) -> None:
        payload = b"".join(self._items)
        meta = self._meta
        self._items, self._meta, self._size = [], [], 0
        self._poll()
        while True:
            alive = [w for w in self._workers if w.alive]
            if not alive:
                self._failed(sigworker.failures(payload, self._public), meta)  # no worker left: here
                return
            worker = min(alive, key=lambda w: len(w.batches))
            if len(worker.batches) < self.DEPTH:
                break
            self._wait(alive)
        worker.batches.append((payload, meta))
        try:
            self._write(worker, sigworker._LENGTH.pack(len(payload)) + payload)
        except OSError:
            self._lost(worker)

    def _poll(self) -> None:
        """Take in the answers that are already there (never waits)."""
        busy = [w for w in self._workers if w.alive and w.batches]
        if busy:
            ready, _, _ = select.select([w.from_fd for w in busy], [], [], 0)
            for worker in busy:
                if worker.from_fd in ready:
                    self._receive(worker, block=False)

    def _wait(self, workers: list[_Worker]) -> None:
        ready, _, _ = select.select([w.from_fd for w in workers], [], [])
        for worker in workers:
            if worker.from_fd in ready:
                self._receive(worker, block=False)

    def _receive(self, worker: _Worker, *, block: bool) -> None:
        """Read what the worker has answered; with ``block``, until its oldest batch is answered."""
        while worker.alive and worker.batches:
            try:
                chunk = os.read(worker.from_fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self._lost(worker)
                return
            worker.received += chunk
            while worker.batches and len(worker.received) >= 4:
                (count,) = sigworker._LENGTH.unpack_from(worker.received)
                if len(worker.received) < 4 + 4 * count:
                    break
                bad = list(struct.unpack_from(f">{count}I", worker.received, 4))
                worker.received = worker.received[4 + 4 * count :]
                _, meta = worker.batches.popleft()
                self._failed(bad, meta)
            if not block:
                return

    def _lost(self, worker: _Worker) -> None:
        """A worker died: the batches it had are checked here."""
        worker.alive = False
        while worker.batches:
            payload, meta = worker.batches.popleft()
            self._failed(sigworker.failures(payload, self._public), meta)

    def _failed(self, bad: list[int], meta: list[tuple[int, OnFail, Any, Any]]) -> None:
        for index in bad:
            if 0 <= index < len(meta):
                position, on_fail, a, b = meta[index]
                on_fail(self._adder(position), a, b)

    @staticmethod
    def _write(worker: _Worker, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(worker.to_fd, view) :]


#: what the walk hands its signatures to
Signatures = _InlineSignatures | _SignatureWorkers

_crypto_sign_open = nacl.bindings.crypto_sign_open
_Forged = nacl.exceptions.BadSignatureError
_END = sigworker._LENGTH.pack(0)
_ITEM_LENGTH = sigworker._LENGTH.pack
# where ``python -m booth.ledger.sigworker`` finds this package, however the verifier was started
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

# Below this many ballot slots the signatures are checked in this process: starting the
# worker processes (about 30 ms of CPU each) and handing them the messages cost more than
# they save (a village's 250 ballots are 30 ms of signatures; measured with
# benchmarks/recap_ingest.py, the recap's per-bundle cost).
WORKER_MIN_BALLOTS = 2_000


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _few_ballots(source: Source) -> bool:
    declared = source.declared_slots()
    if declared is None and isinstance(source, DatabaseSource):
        try:
            declared = source._conn.execute("SELECT count(*) FROM ballots").fetchone()[0]
        except sqlite3.DatabaseError:
            return False
    return isinstance(declared, int) and declared < WORKER_MIN_BALLOTS


def _signature_checker(
    source: Source, report: Report, public_key: Ed25519PublicKey, workers: int | None, in_order: bool = False
) -> _InlineSignatures | _SignatureWorkers:
    """Workers for a large input on several cores (or when asked for), else checks in this process
    (in batches, unless the report must be made in order: ``stop_at_first``, or made again)."""
    if report.stop_at_first:  # the first problem, quickly and in order
        count = 1
    elif workers is None:
        count = 1 if _few_ballots(source) else usable_cores()
    else:
        count = workers
    if count > 1:
        try:
            return _SignatureWorkers(report, public_key, count)
        except OSError:
            pass  # no processes to be had: all here, only slower
    # batched only where the report can be made again in order (verify: past 20 problems)
    batched = not (in_order or report.stop_at_first) and source.path is not None
    return _InlineSignatures(report, public_key, batched=batched)


def verify(
    source: Source,
    known_checkpoints: Iterable[str] = (),
    expected_fingerprint: str | None = None,
    *,
    stop_at_first: bool = False,
    workers: int | None = None,
    roots_at: Iterable[int] = (),
) -> Report:
    """Verify ``source`` (see module docstring); raises :class:`Unreadable` for unreadable input.

    With ``stop_at_first`` the check ends at the first problem found (faster
    when only valid/invalid matters); otherwise up to 20 problems are listed.
    ``workers``: how many processes check the signatures (1: all in this
    process); by default one per usable core when the ledger holds at least
    ``WORKER_MIN_BALLOTS`` ballot slots.  The report is the same either way.
    ``roots_at``: log sizes whose root the summary should give (``roots_at``:
    size -> base64 root, for the sizes the log reaches), so that a caller
    holding a statement of the log at some size need not read the log again.
    """
    return _report(source, list(known_checkpoints), expected_fingerprint, stop_at_first, workers, frozenset(roots_at))


def _report(
    source: Source,
    known: list[str],
    expected_fingerprint: str | None,
    stop_at_first: bool,
    workers: int | None,
    wanted: frozenset[int],
    in_order: bool = False,
) -> Report:
    """``verify``; ``in_order``: every signature checked as the walk meets it, in this process."""
    report = Report(source=source.name, stop_at_first=stop_at_first)
    deferred = False
    try:
        deferred = _verify(source, report, known, expected_fingerprint, workers, wanted, in_order)
    except _Stop:
        pass
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise Unreadable(f"the database is damaged and cannot be read: {exc!r}") from None
    except _ZIP_FAILURES as exc:
        raise Unreadable(f"the bundle is damaged and cannot be read: {exc!r}") from None
    finally:
        source.close()
    report.merge_late()
    if deferred and len(report.problems) >= MAX_PROBLEMS and source.path is not None:
        # A walk in one process stops once 20 problems are listed, before the later steps;
        # with the signatures answered later, this walk may have gone further. A report this
        # damaged is made again in one process and in order, so that it reads the same.
        return _report(open_source(source.path), known, expected_fingerprint, False, 1, wanted, in_order=True)
    return report


# The walk below is cut into the five steps of the module docstring.  Each step
# adds its problems to the report in the order the checks are listed there and
# returns what the later steps need, or None when the walk cannot go on (a
# damaged key, an event that cannot be read, or a full report).


@dataclass
class _DeviceKey:
    """The device key as the log names it: the note name, the key, its verifier-key text."""

    name: str
    public_key: Ed25519PublicKey
    text: str


@dataclass
class _EventFacts:
    """What the event log says, for the ballot and reconciliation steps and the summary."""

    frontier: merkle.Frontier = field(default_factory=merkle.Frontier)
    prev: str = formats.GENESIS_PREV
    casts: int = 0
    spoils: int = 0
    closed_at: int | None = None
    closing_payload: dict[str, Any] | None = None
    election_id: object = None
    slots_prepared: int = 0
    sealed: bool = False
    types_seen: Counter[str] = field(default_factory=Counter)
    # station.checkpoint_seen: the last (size, root) recorded of each other device, by its key
    peers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    station: station_log.StationFacts = field(default_factory=station_log.StationFacts)


@dataclass
class _BallotFacts:
    """What the ballot store holds, for reconciliation and the summary."""

    frontier: merkle.Frontier = field(default_factory=merkle.Frontier)
    tally: Counter[str] = field(default_factory=Counter)
    stored: int = 0
    spoiled: int = 0
    spoiled_frontier: merkle.Frontier = field(default_factory=merkle.Frontier)
    #: spoil marks not yet matched with a stored ballot (id -> mark)
    marks: dict[bytes, Any] = field(default_factory=dict)
    slots: int = 0
    last_id: bytes = b""


def _verify(
    source: Source,
    report: Report,
    known_texts: list[str],
    expected_fp: str | None,
    workers: int | None,
    wanted: frozenset[int] = frozenset(),
    in_order: bool = False,
) -> bool:
    """The five steps; True when the signatures were answered later than the walk met them."""
    report.summary["kind"] = source.kind
    key = _check_device_key(source, report, expected_fp)
    if key is None:
        return False
    sigs = _signature_checker(source, report, key.public_key, workers, in_order)
    try:
        _walk(source, report, known_texts, key, sigs, wanted)
        sigs.finish()
    finally:
        sigs.close()
    return sigs.deferred


def _walk(
    source: Source, report: Report, known_texts: list[str], key: _DeviceKey, sigs: Signatures, wanted: frozenset[int]
) -> None:
    checkpoints = _CheckpointWalk(source.stored_checkpoints(), _known_checkpoints(report, known_texts, key), key, sigs)
    checkpoints.wanted = wanted
    events = _check_events(source, report, key, checkpoints, sigs)
    if events is None:
        return
    stored = _check_ballots(source, report, key, events.election_id, sigs)
    if stored is None:
        return
    _reconcile(source, report, events, stored)
    report.summary.update(
        events=events.frontier.size,
        root=base64.b64encode(events.frontier.root()).decode(),
        latest_checkpoint=checkpoints.latest_note,
        **({"roots_at": checkpoints.roots} if wanted else {}),
        ballots_stored=stored.stored,
        ballot_cast_events=events.casts,
        slots=stored.slots if source.kind == "database" else source.declared_slots(),
        election_id=events.election_id,
        closed=events.closed_at is not None,
        sealed=events.sealed,
        tally=dict(sorted(stored.tally.items())),
        ballot_root=stored.frontier.root().hex(),
        ballots_spoiled=stored.spoiled,
        ballots_valid=stored.stored - stored.spoiled,
        ballot_spoiled_events=events.spoils,
        event_types=dict(sorted(events.types_seen.items())),
    )


# --------------------------------------------------------- 1. the device key
def _check_device_key(source: Source, report: Report, expected_fp: str | None) -> _DeviceKey | None:
    """Step 1: the key parses, is named from its fingerprint, matches the metadata and the paper."""
    vkey = source.verifier_key()
    try:
        name, public_key = note.parse_verifier_key(vkey)
    except note.NoteError as exc:
        report.add("device key", f"not a valid verifier key: {exc}")
        return None
    fp = fingerprint(public_key)
    report.summary.update(origin=name, fingerprint=fp, fingerprint_short=short_fingerprint(fp))
    if name != origin_for(public_key):
        report.add("device key", f"key name {name!r} does not match the key's fingerprint")
    meta = source.metadata()
    if not isinstance(vkey, str):
        report.add("device key", "the verifier key is not text (damaged)")
        return None
    expected_meta = {"format": formats.FORMAT_VERSION, "origin": name, "verifier_key": vkey}
    if meta != expected_meta:
        # a damaged key column may hold a BLOB or a number: list it, never crash on sorting
        found = sorted(meta, key=lambda k: (not isinstance(k, str), str(k)))
        report.add("metadata", f"expected {sorted(expected_meta)} with this key's values, found {found}")
    if expected_fp and not fp.startswith(expected_fp.lower().replace("-", "").replace(" ", "")):
        report.add("device key", f"fingerprint {short_fingerprint(fp)} is not the expected {expected_fp}")
    return _DeviceKey(name, public_key, vkey)


# ----------------------------------------------------------- 3. checkpoints
def _known_checkpoints(report: Report, texts: list[str], key: _DeviceKey) -> dict[int, list[tuple[int, bytes]]]:
    """The checkpoints from paper or ``--checkpoint``, by log size: (their number, root)."""
    known: dict[int, list[tuple[int, bytes]]] = {}
    for i, text in enumerate(texts):
        try:
            cp = note.open_checkpoint(text, key.name, key.public_key)
        except note.NoteError as exc:
            report.add(f"known checkpoint {i + 1}", f"not signed by this device's log: {exc}")
            continue
        known.setdefault(cp.size, []).append((i + 1, cp.root_hash))
    return known


class _CheckpointWalk:
    """Step 3, walked beside the events: the stored checkpoints, then the known ones."""

    def __init__(
        self,
        stored: Iterator[bytes] | Iterator[tuple[int, str]],
        known: dict[int, list[tuple[int, bytes]]],
        key: _DeviceKey,
        sigs: Signatures,
    ) -> None:
        self._sigs = sigs
        #: log sizes whose root the caller wants, and those roots (base64)
        self.wanted: frozenset[int] = frozenset()
        self.roots: dict[int, str] = {}
        #: a bundle's lines (bytes) or a database's rows (size, note), read into rows when needed
        self._stored: Iterator[Any] = stored
        self._pending: Any = next(stored, None)
        self._known = known
        self._key = key
        self._latest: bytes | str | None = None
        # A checkpoint the device wrote is exactly "origin\nsize\nroot\n" + one signature
        # line: with the root computed here anyway, the expected note is known up to the
        # signature, so it is compared as text and its one signature verified (below), and
        # only a note that differs from that goes through note.open_checkpoint's full
        # parse, which names what is wrong. (The per-checkpoint parse was a third of the
        # verifier's own cost next to the signatures: issue #9's 1.2x target.)
        self._signature_head = f"\n{note.SIGNATURE_PREFIX}{key.name} "
        self._key_id = note.key_id(key.name, key.public_key)
        # In a bundle, the same for the whole line as write_bundle writes it (canonical JSON of
        # {"note", "size"}), compared as bytes: no regex, unescaping or decoding per checkpoint.
        # Only for a key name that JSON writes as itself (printable ASCII but '"' and '\\').
        self._line_parts: tuple[bytes, bytes, bytes] | None = None
        if _JSON_SAFE_NAME.fullmatch(key.name):
            name = key.name.encode("ascii")
            self._line_parts = (
                b'{"note":"' + name + b"\\n",  # then the size, \n, the root
                b"\\n\\n" + note.SIGNATURE_PREFIX.encode("utf-8") + name + b" ",  # then the signature
                name + b"\n",  # the signed body: this, then the size, \n, the root, \n
            )

    @property
    def latest_note(self) -> str | None:
        """The note of the last stored checkpoint found at a log size (the summary's)."""
        latest = self._latest
        return checkpoint_row(latest)[1] if isinstance(latest, bytes) else latest

    def _advance(self) -> None:
        self._pending = next(self._stored, None)

    def at_size(self, report: Report, where: str, frontier: merkle.Frontier) -> None:
        """The log has just grown to ``frontier.size``: exactly one stored checkpoint must match it."""
        size = frontier.size
        root = None
        pending = self._pending
        if type(pending) is bytes:
            root = frontier.root()
            signed = self._expected_line(pending, size, root)
            if signed is not None:
                # the line booth writes for this size and root, up to the signature's validity: the
                # checks below would read it into exactly the note _expected_note accepts
                self._latest = pending
                self._sigs.check(signed[0], signed[1], self._judge_line, pending, (size, root))
                self._pending = next(self._stored, None)  # _advance(), written out: once per event
                if size in self.wanted or size in self._known:
                    self._after(report, size, root, frontier)
                return
            self._pending = checkpoint_row(pending)
        self._read_rows()
        while self._pending is not None and not (
            isinstance(self._pending[0], int) and isinstance(self._pending[1], str)
        ):
            report.add("checkpoints", "a checkpoint is stored with the wrong column types (damaged)")
            self._advance()
            self._read_rows()
        while self._pending is not None and self._pending[0] < size:
            report.add(f"checkpoint {self._pending[0]}", "stored out of order or duplicated")
            self._advance()
            self._read_rows()
        if self._pending is None or self._pending[0] != size:
            report.add(where, f"no checkpoint for log size {size}")
        else:
            self._latest = self._pending[1]
            root = root or frontier.root()
            signed = self._expected_note(self._pending[1], size, root)
            if signed is None:
                self._judge(report.add, self._pending[1], (size, root))
            else:
                # the note is the expected one up to its signature: that is checked (here or by a
                # worker), and only a failed one goes through the full parse, which says what is wrong
                self._sigs.check(signed[0], signed[1], self._judge, self._pending[1], (size, root))
            self._advance()
        self._after(report, size, root, frontier)

    def _read_rows(self) -> None:
        """A bundle's pending line read as a row (size, note), as the checks below take it."""
        if type(self._pending) is bytes:
            self._pending = checkpoint_row(self._pending)

    def _after(self, report: Report, size: int, root: bytes | None, frontier: merkle.Frontier) -> None:
        """The root handed back at a wanted size, and the known checkpoints of this size."""
        if size in self.wanted:
            self.roots[size] = base64.b64encode(root or frontier.root()).decode("ascii")
        if size in self._known:
            root = root or frontier.root()
            for number, known_root in self._known.pop(size):
                if known_root != root:
                    report.add(f"known checkpoint {number}", f"inconsistent with the log at size {size}")

    def _expected_line(self, line: bytes, size: int, root: bytes) -> tuple[bytes, bytes] | None:
        """(signature, signed body) when ``line`` is the bundle line of this device's checkpoint of
        ``size`` and ``root`` but for the signature's validity, else None.

        That line is ``{"note":"<name>\\n<size>\\n<root>\\n\\n— <name> <base64>\\n","size":<size>}``
        with the base64 in its canonical spelling of the key ID and a signature: exactly the
        lines that :func:`checkpoint_row` reads into a note :meth:`_expected_note` accepts with
        the same signature and body (tests/test_verify_shortcuts.py compares the two).
        """
        parts = self._line_parts
        if parts is None:
            return None
        decimal = b"%d" % size
        encoded_root = binascii.b2a_base64(root, newline=False)
        head = parts[0] + decimal + b"\\n" + encoded_root + parts[1]
        tail = b'\\n","size":' + decimal + b"}"
        if not (line.startswith(head) and line.endswith(tail)) or len(line) <= len(head) + len(tail):
            return None
        encoded = line[len(head) : -len(tail)]
        try:
            raw = binascii.a2b_base64(encoded)
        except (binascii.Error, ValueError):
            return None
        # a2b_base64 skips what is not base64: only its canonical spelling encodes back to itself
        if binascii.b2a_base64(raw, newline=False) != encoded:
            return None
        if len(raw) != note.KEY_ID_SIZE + 64 or raw[: note.KEY_ID_SIZE] != self._key_id:
            return None
        return raw[note.KEY_ID_SIZE :], parts[2] + decimal + b"\n" + encoded_root + b"\n"

    def _judge_line(self, add: Callable[[str, str], None], line: bytes, size_root: tuple[int, bytes]) -> None:
        """:meth:`_judge` of a bundle line whose signature failed: the same note, read from the line."""
        self._judge(add, checkpoint_row(line)[1], size_root)

    def _judge(self, add: Callable[[str, str], None], text: str, size_root: tuple[int, bytes]) -> None:
        """The full parse of a stored checkpoint note, naming what is wrong with it."""
        size, root = size_root
        try:
            cp = note.open_checkpoint(text, self._key.name, self._key.public_key)
        except note.NoteError as exc:
            add(f"checkpoint {size}", f"does not verify: {exc}")
        else:
            if cp.size != size or cp.root_hash != root:
                add(f"checkpoint {size}", "its tree size or root does not match the events")

    def _expected_note(self, text: str, size: int, root: bytes) -> tuple[bytes, bytes] | None:
        """(signature, signed body) when ``text`` is this device's checkpoint of ``size`` and ``root`` but for
        the signature's validity, else None.

        Only the note booth writes qualifies (no extension lines, one signature by the
        device key, canonical base64); anything else is judged by the full parse, and so is
        a qualifying note whose signature fails, so no note is accepted here that
        ``note.open_checkpoint`` with the root comparison would refuse.
        """
        body = f"{self._key.name}\n{size}\n{binascii.b2a_base64(root, newline=False).decode('ascii')}\n"
        head = body + self._signature_head
        if not (text.startswith(head) and text.endswith("\n")):
            return None
        encoded = text[len(head) : -1]
        # note._b64decode's test, in two C calls: whatever decodes (leniently) to bytes whose
        # encoding is the text itself is canonical standard base64, and nothing else does
        try:
            raw = binascii.a2b_base64(encoded)
        except (binascii.Error, ValueError):
            return None
        if binascii.b2a_base64(raw, newline=False).decode("ascii") != encoded:
            return None
        if len(raw) != note.KEY_ID_SIZE + 64 or raw[: note.KEY_ID_SIZE] != self._key_id:
            return None
        return raw[note.KEY_ID_SIZE :], body.encode("utf-8")

    def finish(self, report: Report, log_size: int) -> None:
        """After the last event: nothing stored or known may reach past the log (truncation)."""
        self._read_rows()
        while self._pending is not None:
            report.add(f"checkpoint {self._pending[0]}", "refers to events that are not in the log (truncated?)")
            self._advance()
            self._read_rows()
        for size, entries in sorted(self._known.items()):
            for number, _ in entries:
                report.add(
                    f"known checkpoint {number}", f"covers {size} events but the log has only {log_size} (truncated)"
                )


# ---------------------------------------------------------------- 2. events
def _check_events(
    source: Source, report: Report, key: _DeviceKey, checkpoints: _CheckpointWalk, sigs: Signatures
) -> _EventFacts | None:
    """Step 2 (with step 3 beside it): every event in order, chained, signed, of a known type."""
    facts = _EventFacts()
    times = TimeWalk()
    # bound once: the loop runs once per event
    add, follow_times, append_leaf, at_size = report.add, times.follow, facts.frontier.append_leaf, checkpoints.at_size
    for index, row in enumerate(source.events()):
        where = f"event {index}"
        obj = _read_event(report, where, index, row, facts.prev, sigs)
        if obj is None:
            return None
        _follow_event(report, where, index, obj, facts, key)
        follow_times(add, where, index, obj)
        facts.prev = append_leaf(row[2]).hex()
        at_size(report, where, facts.frontier)
        if len(report.problems) >= MAX_PROBLEMS:
            return None
    if facts.frontier.size == 0:
        report.add("event log", "empty: no events at all")
    checkpoints.finish(report, facts.frontier.size)
    report.summary["boots"] = times.boots
    report.summary["time_warnings"] = times.warnings
    return facts


def _read_event(
    report: Report, where: str, index: int, row: tuple[Any, ...], prev: str, sigs: Signatures
) -> dict[str, Any] | None:
    """One stored event: its parsed entry, or None when it cannot be read (the walk stops)."""
    row_seq, row_type, entry, sig = row
    if not (
        isinstance(row_seq, int)
        and isinstance(entry, bytes)
        and isinstance(sig, bytes)
        and (row_type is None or isinstance(row_type, str))
    ):
        report.add(where, "stored with the wrong column types (damaged)")
        return None
    if row_seq != index:
        report.add(where, f"missing: the next stored event is number {row_seq} (deleted or reordered)")
        return None
    try:
        obj: dict[str, Any] = parse_canonical(entry)
    except NotCanonical as exc:
        report.add(where, f"entry is not canonical JSON ({exc})")
        return None
    shape = formats.check_entry_shape(obj, prev)  # prev: always 64 lowercase hex digits
    if shape:
        report.add(where, shape)
        return None
    if obj["seq"] != index:
        report.add(where, f"entry says it is number {obj['seq']} (moved or reordered)")
    if obj["prev"] != prev:
        report.add(where, "chain broken: prev is not the hash of the event before (changed, deleted or reordered)")
    # formats.event_message(entry), written out: once per event
    sigs.check(
        sig, _EVENT_CONTEXT + entry, _say, where, "signature does not verify (changed, or signed by another key)"
    )
    etype = obj["type"]
    if etype not in EVENT_TYPES:
        report.add(where, f"unknown event type {etype!r}")
    if row_type is not None and row_type != etype:
        report.add(where, f"type column {row_type!r} differs from the signed entry's {etype!r}")
    return obj


def _follow_event(
    report: Report, where: str, index: int, obj: dict[str, Any], facts: _EventFacts, key: _DeviceKey
) -> None:
    """The day's order in the log: created first, casts counted, none after closing or packing."""
    etype = obj["type"]
    payload = obj["payload"]
    if facts.sealed:
        report.add(where, "event after the device was packed (sealed)")
    if index == 0 and (etype != "ledger.created" or payload.get("verifier_key") != key.text):
        report.add(where, "the log does not start with ledger.created for this device key")
    if etype == "ballot.cast":
        facts.casts += 1
        if payload.get("count") != facts.casts:
            report.add(where, f"cast count is {payload.get('count')!r}, expected {facts.casts}")
        if facts.closed_at is not None:
            report.add(where, f"ballot cast after the polls closed at event {facts.closed_at}")
    elif etype == "ballot.spoiled":
        facts.spoils += 1
        if payload.get("count") != facts.spoils:
            report.add(where, f"spoiled count is {payload.get('count')!r}, expected {facts.spoils}")
        if facts.spoils > facts.casts:
            report.add(where, f"{facts.spoils} ballots spoiled but only {facts.casts} cast before")
        if facts.closed_at is not None:
            report.add(where, f"ballot spoiled after the polls closed at event {facts.closed_at}")
    elif etype == "election.loaded":
        facts.election_id = payload.get("election_id")
    elif etype == "ballot.slots_added":
        added = payload.get("added")
        facts.slots_prepared += added if isinstance(added, int) else 0
        if payload.get("total") != facts.slots_prepared:
            report.add(where, f"slot total {payload.get('total')!r} does not add up to {facts.slots_prepared}")
    elif etype == "polls.closed":
        facts.closed_at = index
        facts.closing_payload = payload
        if payload.get("ballots") != facts.casts:
            report.add(where, f"closing count {payload.get('ballots')!r} differs from {facts.casts} casts before it")
    elif etype == "polls.packed":
        facts.sealed = True
    elif etype == "station.checkpoint_seen":
        _follow_peer_record(report, where, payload, facts, key)
    if etype in station_log.WATCHED:  # a polling station's desk and booths (docs/station.md)
        station_log.follow(report.add, where, etype, payload, facts.station)
    facts.types_seen[etype] += 1


def _follow_peer_record(
    report: Report, where: str, payload: dict[str, Any], facts: _EventFacts, key: _DeviceKey
) -> None:
    """A ``station.checkpoint_seen`` record: another device's checkpoint, as that device signed it,
    this device's cosignature on it, and a consistency proof from the record of it before.

    So a device's own log cannot say it saw another device go back and keep quiet about it: the
    records of one peer key form one growing history, each proven to extend the one before.
    """
    peer, text, line = payload.get("peer"), payload.get("checkpoint"), payload.get("cosignature")
    size, root, since, proof = payload.get("size"), payload.get("root"), payload.get("since"), payload.get("proof")
    hashes = _hex_hashes(proof)
    if not (
        isinstance(peer, str)
        and isinstance(text, str)
        and isinstance(line, str)
        and isinstance(size, int)
        and isinstance(since, int)
        and isinstance(root, str)
        and hashes is not None
    ):
        report.add(where, "checkpoint_seen record without peer, checkpoint, size, root, since, proof or cosignature")
        return
    try:
        name, public_key = note.parse_verifier_key(peer)
        cp = note.open_checkpoint(text, name, public_key)
    except note.NoteError as exc:
        report.add(where, f"the seen checkpoint is not signed by the device key it names ({exc})")
        return
    if cp.size != size or cp.root_hash.hex() != root:
        report.add(where, "the recorded size or root differs from the seen checkpoint")
    if not _cosignature_verifies(line, text, key):
        report.add(where, "this device's cosignature on the seen checkpoint does not verify")
    prev_size, prev_root = facts.peers.get(peer, (0, merkle.EMPTY_ROOT))
    if since != prev_size:
        report.add(
            where, f"recorded as seen since size {since}, but the record before of this device is at {prev_size}"
        )
    elif not merkle.verify_consistency(prev_size, cp.size, prev_root, cp.root_hash, hashes):
        report.add(
            where,
            f"the seen checkpoint (size {cp.size}) does not extend the one recorded before (size {prev_size}): "
            "a rollback recorded as if nothing happened",
        )
    facts.peers[peer] = (cp.size, cp.root_hash)


def _hex_hashes(values: object) -> list[bytes] | None:
    if not isinstance(values, list):
        return None
    out = []
    for value in values:
        if not (isinstance(value, str) and len(value) == 64 and value == value.lower()):
            return None
        try:
            out.append(bytes.fromhex(value))
        except ValueError:
            return None
    return out


def _cosignature_verifies(line: str, checkpoint_note: str, key: _DeviceKey) -> bool:
    """Whether ``line`` is this device's C2SP tlog-cosignature/v1 on the checkpoint (docs/ledger-format.md).

    ``— <origin> base64(key ID (4) || u64 big-endian time (8) || Ed25519 signature (64))``, key ID
    ``SHA-256(origin || 0x0A || 0x04 || public key)[:4]``, signed message
    ``cosignature/v1\\ntime <time>\\n`` + the checkpoint's note text.
    """
    prefix = f"{note.SIGNATURE_PREFIX}{key.name} "
    if not line.startswith(prefix):
        return False
    raw = note._b64decode(line[len(prefix) :])
    at = checkpoint_note.rfind("\n\n")
    if raw is None or len(raw) != 76 or at < 0:
        return False
    key_id = hashlib.sha256(key.name.encode() + b"\n\x04" + raw_public(key.public_key)).digest()[:4]
    body = checkpoint_note[: at + 1]
    message = f"cosignature/v1\ntime {int.from_bytes(raw[4:12], 'big')}\n{body}".encode()
    return raw[:4] == key_id and _verify_sig(key.public_key, raw[12:], message)


# --------------------------------------------------------------- 4. ballots
def _check_ballots(
    source: Source, report: Report, key: _DeviceKey, election_id: object, sigs: Signatures
) -> _BallotFacts | None:
    """Step 4: every slot of the store; None when the report filled up on the way."""
    facts = _BallotFacts()
    for ballot_id, mark in source.spoil_marks():
        where = f"spoil mark {ballot_id.hex()[:12] if isinstance(ballot_id, bytes) else '?'}"
        if not isinstance(ballot_id, bytes) or not isinstance(mark, bytes) or len(ballot_id) != formats.BALLOT_ID_BYTES:
            report.add(where, "stored with the wrong shape (damaged)")
        elif ballot_id in facts.marks:
            report.add(where, "the same ballot is marked spoiled twice")
        else:
            facts.marks[ballot_id] = mark
    for row in source.ballots():
        facts.slots += 1
        counted = _check_ballot(source, report, key, election_id, sigs, row, facts)
        if counted and len(report.problems) >= MAX_PROBLEMS:
            return None
    for ballot_id in sorted(facts.marks):
        report.add(f"spoil mark {ballot_id.hex()[:12]}", "marks a ballot that was never cast (no such record)")
    return facts


def _ballot_where(ballot_id: bytes) -> str:
    """Where a ballot's problem is: made only when there is one (the walk passes every ballot)."""
    return f"ballot {ballot_id.hex()[:12] or '?'}"


def _say_ballot(add: Callable[[str, str], None], ballot_id: bytes, what: str) -> None:
    add(_ballot_where(ballot_id), what)


_EVENT_CONTEXT = formats.EVENT_CONTEXT
_BLANK_SLOT = bytes(formats.BALLOT_SLOT_BYTES)
_BLANK_SIGNATURE = bytes(formats.SIGNATURE_BYTES)


def _check_ballot(
    source: Source,
    report: Report,
    key: _DeviceKey,
    election_id: object,
    sigs: Signatures,
    row: tuple[Any, ...],
    facts: _BallotFacts,
) -> bool:
    """One slot: blank, or a signed canonical record of this election.  True when it counted."""
    ballot_id, filled, slot, sig = row
    if not (
        isinstance(ballot_id, bytes) and isinstance(filled, int) and isinstance(slot, bytes) and isinstance(sig, bytes)
    ):
        report.add(f"ballot slot {facts.slots}", "stored with the wrong column types (damaged)")
        return False
    if ballot_id <= facts.last_id:
        report.add(_ballot_where(ballot_id), "ballot identifiers are not unique and sorted")
    facts.last_id = ballot_id
    if filled == 0:
        if slot != _BLANK_SLOT or sig != _BLANK_SIGNATURE:
            report.add(_ballot_where(ballot_id), "an empty slot is not blank")
        return False
    mark = facts.marks.pop(ballot_id, None)
    if filled != 1:
        report.add(_ballot_where(ballot_id), "slot state is neither empty nor filled")
        return False
    record = slot
    if source.padded_ballots:
        record = formats.unpad_slot(slot)
        if len(slot) != formats.BALLOT_SLOT_BYTES or slot[len(record) :].strip(b" "):
            report.add(_ballot_where(ballot_id), "slot padding is wrong")
    plain = PLAIN_BALLOT.fullmatch(record)
    if plain is not None:
        election, record_id, selection = plain[1].decode(), plain[2].decode(), plain[3].decode()
    else:
        try:
            obj = parse_canonical(record)
        except NotCanonical as exc:
            report.add(_ballot_where(ballot_id), f"record is not canonical JSON ({exc})")
            return False
        shape = formats.check_ballot_shape(obj)
        if shape:
            report.add(_ballot_where(ballot_id), shape)
            return False
        election, record_id, selection = obj["election"], obj["id"], obj["selection"]
    if record_id != ballot_id.hex():
        report.add(_ballot_where(ballot_id), "record's identifier differs from its slot (swapped?)")
    if election != election_id:
        report.add(_ballot_where(ballot_id), "ballot belongs to another election")
    sigs.check(
        sig,
        formats.ballot_message(record),
        _say_ballot,
        ballot_id,
        "ballot signature does not verify (changed, or signed by another key)",
    )
    facts.frontier.append_leaf(record)
    facts.stored += 1
    spoiled = selection == formats.SPOILED
    if mark is None and not spoiled:
        facts.tally[selection] += 1
        return True
    # spoiled: kept, counted apart, never in the tally
    if mark is None:
        report.add(_ballot_where(ballot_id), "a spoiled record without its spoil mark (mark removed?)")
    elif not spoiled:
        report.add(
            _ballot_where(ballot_id),
            "marked spoiled but the record still holds a choice (a valid ballot marked spoiled?)",
        )
    elif not _verify_sig(key.public_key, mark, formats.spoil_message(record)):
        report.add(
            _ballot_where(ballot_id), "spoil mark does not verify (moved from another ballot, or signed by another key)"
        )
    facts.spoiled += 1
    facts.spoiled_frontier.append_leaf(record)
    return True


#: A ballot record as booth writes it: hex election and identifier, a candidate number,
#: ``blank`` or ``spoiled``.  Bytes that match are by construction the canonical JSON of a
#: record that ``formats.check_ballot_shape`` accepts (keys sorted, nothing to escape), so
#: the parse and re-encoding are skipped for them; anything else takes the full parse,
#: which says what is wrong (tests/test_verify_parallel.py checks the two agree).
PLAIN_BALLOT = re.compile(
    rb'\{"election":"([0-9a-f]{64})","id":"([0-9a-f]{32})","selection":"([1-9][0-9]?|blank|spoiled)"\}'
)


# -------------------------------------------------------- 5. reconciliation
def _reconcile(source: Source, report: Report, events: _EventFacts, ballots: _BallotFacts) -> None:
    """Step 5: the store, the cast events, the closing event and the prepared slots agree."""
    if ballots.stored != events.casts:
        report.add("reconciliation", f"{ballots.stored} ballots stored but {events.casts} ballot.cast events")
    if ballots.spoiled != events.spoils:
        report.add(
            "reconciliation",
            f"{ballots.spoiled} ballots marked spoiled but {events.spoils} ballot.spoiled events"
            + (" (a spoiled ballot made valid again?)" if ballots.spoiled < events.spoils else ""),
        )
    declared = source.declared_slots()
    if source.kind == "database" and ballots.slots != events.slots_prepared:
        report.add("reconciliation", f"{ballots.slots} ballot slots found but {events.slots_prepared} prepared")
    if declared is not None and declared != events.slots_prepared:
        report.add("reconciliation", f"bundle declares {declared} slots but {events.slots_prepared} were prepared")
    closing = events.closing_payload
    if closing is not None:
        if closing.get("ballots") != ballots.stored:
            report.add("reconciliation", "the closing event's ballot count differs from the store")
        if closing.get("ballot_root") != ballots.frontier.root().hex():
            report.add(
                "reconciliation", "the closing event's ballot root differs from the store (ballots changed after close)"
            )
        # closings written before spoiling existed carry neither key: then nothing may be spoiled
        if closing.get("spoiled", 0) != ballots.spoiled:
            report.add("reconciliation", "the closing event's spoiled count differs from the store")
        if "spoiled_root" in closing and closing["spoiled_root"] != ballots.spoiled_frontier.root().hex():
            report.add(
                "reconciliation", "the closing event's spoiled root differs from the store (spoil marks changed)"
            )


def format_report(report: Report) -> str:
    """A readable summary (Indonesian / English) for people at the district."""
    s = report.summary
    lines = [f"booth verify: {report.source} ({s.get('kind', '?')})"]
    if "fingerprint_short" in s:
        lines.append(f"  Perangkat / device:        {s['origin']}  sidik jari / fingerprint {s['fingerprint_short']}")
    if "events" in s:
        lines.append(f"  Peristiwa / events:        {s['events']}")
        lines.append(
            f"  Surat suara / ballots:     {s['ballots_stored']} tersimpan / stored, "
            f"{s['ballot_cast_events']} peristiwa coblos / cast events, {s['slots']} slot"
        )
        if s.get("ballots_spoiled"):
            lines.append(
                f"  Dibatalkan / spoiled:      {s['ballots_spoiled']} (struk disanggah / slip disputed), "
                f"sah dihitung / counted: {s['ballots_valid']}"
            )
        if s.get("election_id"):
            lines.append(f"  Pemilihan / election:      {s['election_id']}")
        if s["tally"]:
            lines.append("  Perolehan / tally:         " + ", ".join(f"{k}: {v}" for k, v in s["tally"].items()))
        lines.append(
            f"  Ditutup / closed:          {'ya / yes' if s['closed'] else 'belum / no'}"
            f"   Disegel / sealed: {'ya / yes' if s['sealed'] else 'belum / no'}"
        )
        for warning in s.get("time_warnings", []):
            lines.append(f"  PERINGATAN JAM / CLOCK WARNING: {warning['what']}")
        if s.get("latest_checkpoint"):
            lines.append("  Checkpoint terakhir / latest checkpoint:")
            lines.extend("    " + line for line in s["latest_checkpoint"].rstrip("\n").split("\n"))
    if report.ok:
        lines.append("HASIL / RESULT: SAH / VALID")
    else:
        lines.append(f"HASIL / RESULT: TIDAK SAH / INVALID — {report.problems[0]}")
        for p in report.problems[1:]:
            lines.append(f"  also: {p}")
    return "\n".join(lines)
