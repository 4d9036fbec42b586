"""``booth verify``: check a device's state directory or export bundle from the written format.

This module reads rows and lines and re-derives every hash, chain link,
signature and root from ``docs/ledger-format.md`` (via ``formats``,
``merkle`` and ``note``).  It never asks the writer (``booth.ledger.ledger``)
whether something is right.  It streams: memory stays flat however long the
day was.

Checks, in the order they are made:

1. the device key: a C2SP verifier key whose name is ``booth/`` + the first
   16 hex digits of the key's SHA-256 fingerprint (and, if given, the expected
   fingerprint from paper);
2. every event: stored in sequence with no gap, canonical JSON of the right
   shape, a known event type, ``prev`` equal to the previous leaf hash, a valid
   Ed25519 signature; the first event is ``ledger.created`` naming this key;
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
import json
import multiprocessing
import sqlite3
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from booth.ledger import formats, merkle, note, station_log
from booth.ledger.bundle import UnsafeBundle, check_zip_limits
from booth.ledger.canonical import NotCanonical, parse_canonical
from booth.ledger.event_types import EVENT_TYPES
from booth.ledger.keys import fingerprint, origin_for, short_fingerprint
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

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str, what: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, what))
        if self.stop_at_first:
            raise _Stop()

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
            self._conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
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
        for index, line in enumerate(self._lines("events.jsonl")):
            sig, entry = _split_signed_line(line)
            yield index, None, entry, sig

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        for line in self._lines("checkpoints.jsonl"):
            try:
                obj = _JSON.decode(line.decode("utf-8"))
                yield int(obj["size"]), str(obj["note"])
            except (ValueError, KeyError, TypeError):
                yield -1, ""

    def ballots(self) -> Iterator[tuple[bytes, int, bytes, bytes]]:
        for line in self._lines("ballots.jsonl"):
            sig, record = _split_signed_line(line)
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


# One decoder for the bundle's JSON lines (json.loads would sniff each line's encoding).
_JSON = json.JSONDecoder()


def _split_signed_line(line: bytes) -> tuple[bytes, bytes]:
    head, _, rest = line.partition(b" ")
    try:
        return base64.b64decode(head, validate=True), rest
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


def _ballot_signatures(path: Path, out: Connection) -> None:
    """Worker process: check every cast ballot's signature; send the IDs that fail.

    The ballots' signatures do not depend on the event chain, so they are
    checked beside it, on a second core, while the main process walks the log.
    Sends None if anything goes wrong; the main process then checks them itself.
    """
    result = None
    try:
        source = open_source(path)
        try:
            _, public_key = note.parse_verifier_key(source.verifier_key())
            bad = []
            for ballot_id, filled, slot, sig in source.ballots():
                if filled != 1 or not isinstance(slot, bytes) or not isinstance(sig, bytes):
                    continue
                record = formats.unpad_slot(slot) if source.padded_ballots else slot
                if not _verify_sig(public_key, sig, formats.ballot_message(record)):
                    bad.append(ballot_id)
            result = bad
        finally:
            source.close()
    except Exception:  # noqa: BLE001 - any trouble: the main process checks in-process
        result = None
    out.send(result)
    out.close()


# Below this many ballot slots the signatures are checked in this process: a forked
# worker's start, page faults and second reading of the ballots cost more CPU than the
# overlap saves (a village's 250 ballots are 30 ms of signatures; measured with
# benchmarks/recap_ingest.py, the recap's per-bundle cost).
WORKER_MIN_BALLOTS = 2_000


def _few_ballots(source: Source) -> bool:
    declared = source.declared_slots()
    if declared is None and isinstance(source, DatabaseSource):
        try:
            declared = source._conn.execute("SELECT count(*) FROM ballots").fetchone()[0]
        except sqlite3.DatabaseError:
            return False
    return isinstance(declared, int) and declared < WORKER_MIN_BALLOTS


class _BallotSignatureCheck:
    """The ballot signatures, checked in a forked worker when that is possible."""

    def __init__(self, source: Source | None) -> None:
        self._proc: BaseProcess | None = None
        self._pipe: Connection | None = None
        path = getattr(source, "path", None)
        if source is None or path is None or _few_ballots(source):
            return
        try:
            ctx = multiprocessing.get_context("fork")
            self._pipe, child = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_ballot_signatures, args=(path, child), daemon=True)
            self._proc.start()
            child.close()
        except (OSError, ValueError):
            self._proc = self._pipe = None

    def bad_ids(self) -> set[bytes] | None:
        """The IDs whose signature failed, or None if the worker could not tell."""
        if self._proc is None or self._pipe is None:
            return None
        try:
            result = self._pipe.recv()
        except (EOFError, OSError):
            result = None
        self.stop()
        return None if result is None else set(result)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
            if self._pipe is not None:
                self._pipe.close()
            self._proc = None


def verify(
    source: Source,
    known_checkpoints: Iterable[str] = (),
    expected_fingerprint: str | None = None,
    *,
    stop_at_first: bool = False,
) -> Report:
    """Verify ``source`` (see module docstring); raises :class:`Unreadable` for unreadable input.

    With ``stop_at_first`` the check ends at the first problem found (faster
    when only valid/invalid matters); otherwise up to 20 problems are listed.
    """
    report = Report(source=source.name, stop_at_first=stop_at_first)
    # (stop_at_first wants the first problem quickly and in order: no worker)
    ballots = _BallotSignatureCheck(source) if not stop_at_first else _BallotSignatureCheck(None)
    try:
        _verify(source, report, list(known_checkpoints), expected_fingerprint, ballots)
    except _Stop:
        pass
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise Unreadable(f"the database is damaged and cannot be read: {exc!r}") from None
    except _ZIP_FAILURES as exc:
        raise Unreadable(f"the bundle is damaged and cannot be read: {exc!r}") from None
    finally:
        ballots.stop()
        source.close()
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
    source: Source, report: Report, known_texts: list[str], expected_fp: str | None, ballots: _BallotSignatureCheck
) -> None:
    report.summary["kind"] = source.kind
    key = _check_device_key(source, report, expected_fp)
    if key is None:
        return
    checkpoints = _CheckpointWalk(source.checkpoints(), _known_checkpoints(report, known_texts, key), key)
    events = _check_events(source, report, key, checkpoints)
    if events is None:
        return
    stored = _check_ballots(source, report, key, events.election_id, ballots.bad_ids())
    if stored is None:
        return
    _reconcile(source, report, events, stored)
    report.summary.update(
        events=events.frontier.size,
        root=base64.b64encode(events.frontier.root()).decode(),
        latest_checkpoint=checkpoints.latest_note,
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
        self, stored: Iterator[tuple[int, str]], known: dict[int, list[tuple[int, bytes]]], key: _DeviceKey
    ) -> None:
        self._stored = stored
        self._pending = next(stored, None)
        self._known = known
        self._key = key
        self.latest_note: str | None = None
        # A checkpoint the device wrote is exactly "origin\nsize\nroot\n" + one signature
        # line: with the root computed here anyway, the expected note is known up to the
        # signature, so it is compared as text and its one signature verified (below), and
        # only a note that differs from that goes through note.open_checkpoint's full
        # parse, which names what is wrong. (The per-checkpoint parse was a third of the
        # verifier's own cost next to the signatures: issue #9's 1.2x target.)
        self._signature_head = f"\n{note.SIGNATURE_PREFIX}{key.name} "
        self._key_id = note.key_id(key.name, key.public_key)

    def _advance(self) -> None:
        self._pending = next(self._stored, None)

    def at_size(self, report: Report, where: str, frontier: merkle.Frontier) -> None:
        """The log has just grown to ``frontier.size``: exactly one stored checkpoint must match it."""
        size = frontier.size
        root = None
        while self._pending is not None and not (
            isinstance(self._pending[0], int) and isinstance(self._pending[1], str)
        ):
            report.add("checkpoints", "a checkpoint is stored with the wrong column types (damaged)")
            self._advance()
        while self._pending is not None and self._pending[0] < size:
            report.add(f"checkpoint {self._pending[0]}", "stored out of order or duplicated")
            self._advance()
        if self._pending is None or self._pending[0] != size:
            report.add(where, f"no checkpoint for log size {size}")
        else:
            self.latest_note = self._pending[1]
            root = frontier.root()
            if not self._is_the_expected_note(self._pending[1], size, root):
                try:
                    cp = note.open_checkpoint(self._pending[1], self._key.name, self._key.public_key)
                except note.NoteError as exc:
                    report.add(f"checkpoint {size}", f"does not verify: {exc}")
                else:
                    if cp.size != size or cp.root_hash != root:
                        report.add(f"checkpoint {size}", "its tree size or root does not match the events")
            self._advance()
        if size in self._known:
            root = root or frontier.root()
            for number, known_root in self._known.pop(size):
                if known_root != root:
                    report.add(f"known checkpoint {number}", f"inconsistent with the log at size {size}")

    def _is_the_expected_note(self, text: str, size: int, root: bytes) -> bool:
        """Whether ``text`` is this device's signed checkpoint of ``size`` and ``root``, exactly.

        True only for the note booth writes (no extension lines, one signature by the
        device key, canonical base64, the signature valid); anything else returns False
        and is judged by the full parse, so no note is accepted here that
        ``note.open_checkpoint`` with the root comparison would refuse.
        """
        body = f"{self._key.name}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"
        head = body + self._signature_head
        if not (text.startswith(head) and text.endswith("\n")):
            return False
        encoded = text[len(head) : -1]
        if "\n" in encoded:
            return False
        raw = note._b64decode(encoded)
        if raw is None or len(raw) != note.KEY_ID_SIZE + 64 or raw[: note.KEY_ID_SIZE] != self._key_id:
            return False
        return _verify_sig(self._key.public_key, raw[note.KEY_ID_SIZE :], body.encode("utf-8"))

    def finish(self, report: Report, log_size: int) -> None:
        """After the last event: nothing stored or known may reach past the log (truncation)."""
        while self._pending is not None:
            report.add(f"checkpoint {self._pending[0]}", "refers to events that are not in the log (truncated?)")
            self._advance()
        for size, entries in sorted(self._known.items()):
            for number, _ in entries:
                report.add(
                    f"known checkpoint {number}", f"covers {size} events but the log has only {log_size} (truncated)"
                )


# ---------------------------------------------------------------- 2. events
def _check_events(source: Source, report: Report, key: _DeviceKey, checkpoints: _CheckpointWalk) -> _EventFacts | None:
    """Step 2 (with step 3 beside it): every event in order, chained, signed, of a known type."""
    facts = _EventFacts()
    times = TimeWalk()
    for index, row in enumerate(source.events()):
        where = f"event {index}"
        obj = _read_event(report, where, index, row, facts.prev, key)
        if obj is None:
            return None
        _follow_event(report, where, index, obj, facts, key)
        times.follow(report.add, where, index, obj)
        leaf = merkle.leaf_hash(row[2])
        facts.frontier.append(leaf)
        facts.prev = leaf.hex()
        checkpoints.at_size(report, where, facts.frontier)
        if len(report.problems) >= MAX_PROBLEMS:
            return None
    if facts.frontier.size == 0:
        report.add("event log", "empty: no events at all")
    checkpoints.finish(report, facts.frontier.size)
    report.summary["boots"] = times.boots
    report.summary["time_warnings"] = times.warnings
    return facts


def _read_event(
    report: Report, where: str, index: int, row: tuple[Any, ...], prev: str, key: _DeviceKey
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
    shape = formats.check_entry_shape(obj)
    if shape:
        report.add(where, shape)
        return None
    if obj["seq"] != index:
        report.add(where, f"entry says it is number {obj['seq']} (moved or reordered)")
    if obj["prev"] != prev:
        report.add(where, "chain broken: prev is not the hash of the event before (changed, deleted or reordered)")
    if not _verify_sig(key.public_key, sig, formats.event_message(entry)):
        report.add(where, "signature does not verify (changed, or signed by another key)")
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
    if etype in station_log.WATCHED:  # a polling station's desk and booths (docs/station.md)
        station_log.follow(report.add, where, etype, payload, facts.station)
    facts.types_seen[etype] += 1


# --------------------------------------------------------------- 4. ballots
def _check_ballots(
    source: Source, report: Report, key: _DeviceKey, election_id: object, bad_signatures: set[bytes] | None
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
        counted = _check_ballot(source, report, key, election_id, bad_signatures, row, facts)
        if counted and len(report.problems) >= MAX_PROBLEMS:
            return None
    for ballot_id in sorted(facts.marks):
        report.add(f"spoil mark {ballot_id.hex()[:12]}", "marks a ballot that was never cast (no such record)")
    return facts


def _check_ballot(
    source: Source,
    report: Report,
    key: _DeviceKey,
    election_id: object,
    bad_signatures: set[bytes] | None,
    row: tuple[Any, ...],
    facts: _BallotFacts,
) -> bool:
    """One slot: blank, or a signed canonical record of this election.  True when it counted.

    ``bad_signatures`` holds the IDs the worker process found badly signed;
    None means the worker could not tell, so each signature is checked here.
    """
    ballot_id, filled, slot, sig = row
    if not (
        isinstance(ballot_id, bytes) and isinstance(filled, int) and isinstance(slot, bytes) and isinstance(sig, bytes)
    ):
        report.add(f"ballot slot {facts.slots}", "stored with the wrong column types (damaged)")
        return False
    where = f"ballot {ballot_id.hex()[:12] or '?'}"
    if ballot_id <= facts.last_id:
        report.add(where, "ballot identifiers are not unique and sorted")
    facts.last_id = ballot_id
    if filled == 0:
        if slot != bytes(formats.BALLOT_SLOT_BYTES) or sig != bytes(formats.SIGNATURE_BYTES):
            report.add(where, "an empty slot is not blank")
        return False
    mark = facts.marks.pop(ballot_id, None)
    if filled != 1:
        report.add(where, "slot state is neither empty nor filled")
        return False
    record = slot
    if source.padded_ballots:
        record = formats.unpad_slot(slot)
        if len(slot) != formats.BALLOT_SLOT_BYTES or slot[len(record) :].strip(b" "):
            report.add(where, "slot padding is wrong")
    try:
        obj = parse_canonical(record)
    except NotCanonical as exc:
        report.add(where, f"record is not canonical JSON ({exc})")
        return False
    shape = formats.check_ballot_shape(obj)
    if shape:
        report.add(where, shape)
        return False
    if obj["id"] != ballot_id.hex():
        report.add(where, "record's identifier differs from its slot (swapped?)")
    if obj["election"] != election_id:
        report.add(where, "ballot belongs to another election")
    signed = (
        ballot_id not in bad_signatures
        if bad_signatures is not None
        else _verify_sig(key.public_key, sig, formats.ballot_message(record))
    )
    if not signed:
        report.add(where, "ballot signature does not verify (changed, or signed by another key)")
    facts.frontier.append(merkle.leaf_hash(record))
    facts.stored += 1
    spoiled = obj["selection"] == formats.SPOILED
    if mark is None and not spoiled:
        facts.tally[obj["selection"]] += 1
        return True
    # spoiled: kept, counted apart, never in the tally
    if mark is None:
        report.add(where, "a spoiled record without its spoil mark (mark removed?)")
    elif not spoiled:
        report.add(where, "marked spoiled but the record still holds a choice (a valid ballot marked spoiled?)")
    elif not _verify_sig(key.public_key, mark, formats.spoil_message(record)):
        report.add(where, "spoil mark does not verify (moved from another ballot, or signed by another key)")
    facts.spoiled += 1
    facts.spoiled_frontier.append(merkle.leaf_hash(record))
    return True


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
