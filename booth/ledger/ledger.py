"""The ledger of one device: an ordered signed event log and an unordered ballot store.

Everything lives in ``STATE_DIR/ledger.db`` (SQLite) beside the device key::

    state/
      device.key   Ed25519 private key, 0600 (only the ledger service reads it)
      device.pub   the C2SP verifier key of this device's log
      ledger.db    events, checkpoints, ballot slots, a little device state
      vault.db     voter photos, encrypted (booth.ledger.vault)

Rules this module keeps, and why:

* **One transaction per state change.**  An event, its checkpoint and (for a
  cast) the filled ballot slot commit together or not at all.
* **Durable before acknowledged.**  WAL with ``synchronous=FULL``, asserted on
  every open: a ballot the voter was told is recorded survives a power cut.
* **No order in the ballot store.**  Ballot slots with random identifiers are
  made *before* voting (``add_ballot_slots``), each a fixed size; a cast fills a
  uniformly random empty slot in place.  So neither SQL order, page layout nor
  cell position within a page says anything about cast order.  The WAL never
  holds a history of which ballot page changed when: between calls it holds
  at most one cast and nothing that was erased (``WAL_RULES``: the WAL is
  checkpointed and truncated before a second cast, and right after any other
  change of the ballot store or the pending slip); ``locking_mode=EXCLUSIVE``
  keeps the WAL index in process memory instead of a ``-shm`` file;
  ``secure_delete`` zeroes anything freed.
* **Append-only.**  SQLite triggers refuse UPDATE and DELETE of events,
  checkpoints and metadata, and any change of a filled ballot slot.  A file
  edited behind SQLite's back is caught by ``booth verify``.

Raw SQL through the standard ``sqlite3`` module is used here rather than
sqlite-utils because the ledger needs exact control of pragmas, WITHOUT ROWID
tables, triggers and transaction boundaries.

>>> import tempfile, pathlib
>>> from booth.ledger.clock import FakeClock
>>> ledger = Ledger.create(pathlib.Path(tempfile.mkdtemp()), clock=FakeClock())
>>> ledger.append("custody.received", "K01", {"place": "Kantor Kecamatan"}).seq
1
>>> ledger.size
2
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.ledger import formats, merkle, note
from booth.ledger.canonical import parse_canonical
from booth.ledger.clock import Clock, SystemClock, utc_text
from booth.ledger.event_types import EVENT_TYPES
from booth.ledger.keys import DeviceKey

DB_NAME = "ledger.db"
KEY_NAME = "device.key"
PUB_NAME = "device.pub"
SEAL_EVENT = "polls.packed"
CLOSE_EVENT = "polls.closed"
CAST_EVENT = "ballot.cast"
SPOIL_EVENT = "ballot.spoiled"
#: What may end the pending slip's life besides a spoil (the voter's answer, or the companion's escalation).
SLIP_ANSWERS = ("slip.confirmed", "slip.dispute_escalated")
#: The roles a device of a polling station is provisioned with (``ledger.created``'s ``role``); an
#: all-in-one device has none.
STATION_ROLES = ("desk", "booth")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    entry BLOB NOT NULL,
    sig BLOB NOT NULL
);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE ballots (
    id BLOB PRIMARY KEY,
    filled INTEGER NOT NULL,
    slot BLOB NOT NULL,
    sig BLOB NOT NULL,
    spoil BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE pending_slip (one INTEGER PRIMARY KEY CHECK (one = 1), ballot_id BLOB NOT NULL);
CREATE TABLE device_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER checkpoints_append_only_u BEFORE UPDATE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_append_only_d BEFORE DELETE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER meta_fixed_u BEFORE UPDATE ON meta
    BEGIN SELECT RAISE(ABORT, 'ledger metadata is fixed'); END;
CREATE TRIGGER meta_fixed_d BEFORE DELETE ON meta
    BEGIN SELECT RAISE(ABORT, 'ledger metadata is fixed'); END;
CREATE TRIGGER ballots_fill_once BEFORE UPDATE ON ballots
    WHEN NOT (
        (OLD.filled = 0 AND NEW.filled = 1 AND NEW.id = OLD.id AND NEW.spoil = OLD.spoil)
        OR (OLD.filled = 1 AND NEW.filled = 1 AND NEW.id = OLD.id AND length(NEW.slot) = length(OLD.slot)
            AND OLD.spoil = zeroblob(64) AND NEW.spoil != zeroblob(64))
    )
    BEGIN SELECT RAISE(ABORT, 'a cast ballot can never change (only be spoiled, once)'); END;
CREATE TRIGGER ballots_never_deleted BEFORE DELETE ON ballots
    BEGIN SELECT RAISE(ABORT, 'ballots are never deleted'); END;
"""

#: What each kind of write transaction does with the WAL: (scrub before it if a
#: cast is still in the WAL, scrub after it).  A scrub is a checkpoint + truncate.
#:
#: * ``plain``: events, checkpoints, device state.  The log is ordered anyway,
#:   so its pages may stay in the WAL; and a WAL that already has frames costs
#:   the next commit one fsync instead of two (SQLite syncs the header of a
#:   fresh WAL before the first frame).
#: * ``cast``: fills one ballot slot.  Its pages may stay until the slip is
#:   answered: they tell which slot was filled last, which the pending slip
#:   names anyway.  So the voter waits for one durable commit, not for the
#:   checkpoint too.  A cast still in the WAL is scrubbed before another cast,
#:   so the files never hold two.
#: * ``ballots``: other changes of the ballot store (slots added).
#: * ``erase``: forgets the pending slip (answered, spoiled, or printed with
#:   ``forget``): the erased ID is out of the files before the call returns.
#: * ``batch``: many changes in one commit (fixtures, demo data).
WAL_RULES: dict[str, tuple[bool, bool]] = {
    "plain": (False, False),
    "cast": (True, False),
    "ballots": (False, True),
    "erase": (False, True),
    "batch": (False, True),
}

EMPTY_SLOT = bytes(formats.BALLOT_SLOT_BYTES)
EMPTY_SIG = bytes(formats.SIGNATURE_BYTES)
NOT_SPOILED = bytes(formats.SIGNATURE_BYTES)


class LedgerError(Exception):
    """Base class of the ledger's expected failures."""


class LedgerSealed(LedgerError):
    """The device was packed; its ledger is read-only."""


class NoBallotSlots(LedgerError):
    """Every prepared ballot slot is used (prepare more with add_ballot_slots)."""


class UnknownEventType(LedgerError):
    """The event type is not in booth.ledger.event_types."""


class NotDurable(LedgerError):
    """SQLite did not accept the durability settings the ledger requires."""


class LedgerMissing(LedgerError):
    """There is no ledger in this state directory (provision the device first)."""


class NoPendingSlip(LedgerError):
    """No ballot is waiting for its voter's answer about the slip."""


@dataclass(frozen=True)
class Entry:
    """One event as stored (``raw`` is the exact signed, hashed bytes)."""

    seq: int
    time: str
    boot: str
    mono_ns: int
    type: str
    actor: str
    payload: dict[str, Any]
    prev: str
    raw: bytes
    sig: bytes

    @property
    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.raw)

    @classmethod
    def from_row(cls, entry: bytes, sig: bytes) -> Entry:
        """An event as read back from the database (its bytes checked to be canonical)."""
        return cls._of(parse_canonical(entry), entry, sig)

    @classmethod
    def _written(cls, entry: bytes, sig: bytes) -> Entry:
        """The event just appended: its bytes came out of ``canonical`` a moment ago, so a plain decode will do."""
        return cls._of(json.loads(entry), entry, sig)

    @classmethod
    def _of(cls, obj: dict[str, Any], entry: bytes, sig: bytes) -> Entry:
        return cls(
            seq=obj["seq"],
            time=obj["time"],
            boot=obj["boot"],
            mono_ns=obj["mono_ns"],
            type=obj["type"],
            actor=obj["actor"],
            payload=obj["payload"],
            prev=obj["prev"],
            raw=entry,
            sig=sig,
        )


@dataclass(frozen=True)
class SpoilReceipt:
    """What a spoil tells the caller: the spoiled ballot's ID (for the VOID print) and the running count."""

    ballot_id: bytes
    count: int
    seq: int
    entry: Entry  # the ballot.spoiled event, for the caller's view of the day


@dataclass(frozen=True)
class CastReceipt:
    """What a cast tells the caller: the ballot ID (for the paper slip) and the running count."""

    ballot_id: bytes
    count: int
    seq: int
    entry: Entry  # the ballot.cast event, so the caller need not read it back


def connect(path: Path) -> sqlite3.Connection:
    """Open the ledger database with the settings every writer must have, and check them."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    secure = conn.execute("PRAGMA secure_delete").fetchone()[0]
    if mode != "wal" or sync != 2 or secure != 1:
        conn.close()
        raise NotDurable(f"ledger needs WAL, synchronous=FULL, secure_delete (got {mode}, {sync}, {secure})")
    return conn


def _clear_unfinished_provisioning(state_dir: Path) -> None:
    """Remove what a provisioning cut short by a power loss left behind.

    Schema, metadata and the first event commit in one transaction, so a
    database without committed metadata (or a key without a database) holds
    no record at all; it is safe to start provisioning again.  A database
    with metadata is never touched.
    """
    db = state_dir / DB_NAME
    if db.exists():
        try:
            # read-write: a read-only open cannot recover a WAL left without its index
            conn = sqlite3.connect(db)
            try:
                committed = (
                    conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()[0]
                    and conn.execute("SELECT count(*) FROM meta").fetchone()[0]
                )
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            return  # unreadable: leave it for a person to look at; create() will refuse
        if committed:
            return
    elif not (state_dir / KEY_NAME).exists():
        return
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal", KEY_NAME, PUB_NAME):
        (state_dir / name).unlink(missing_ok=True)


class Ledger:
    """The device's ledger.  Open one per state directory; only the ledger service writes it."""

    def __init__(
        self, state_dir: Path, conn: sqlite3.Connection, key: DeviceKey, clock: Clock, rng: random.Random | None = None
    ) -> None:
        self.state_dir = Path(state_dir)
        # Ballot IDs and slot choice: the OS's CSPRNG (what ``secrets`` uses).
        # Tests may pass a seeded random.Random to make a run reproducible.
        self._rng = rng or secrets.SystemRandom()
        self._conn = conn
        self.key = key
        self.clock = clock
        self._batch_depth = 0
        # A cast's pages still in the WAL (see WAL_RULES); open() scrubs whatever a crash left.
        self._cast_in_wal = False
        self._load_state()

    # ---------------------------------------------------------------- opening
    @classmethod
    def create(
        cls,
        state_dir: Path,
        *,
        clock: Clock | None = None,
        note_text: str = "",
        rng: random.Random | None = None,
        device_key: Ed25519PrivateKey | None = None,
        role: str | None = None,
    ) -> Ledger:
        """Provision a new device: make the key, the database and the first event.

        ``rng`` and ``device_key`` fix what is otherwise random (ballot IDs and slots, the
        device's key) for repeatable documentation and tests; a real device never passes them.
        ``role`` (``"desk"`` or ``"booth"`` of a polling station, see ``docs/station.md``) goes
        into the first event, so a device is never provisioned without the role it was made for;
        an all-in-one device passes none and its first event is as it always was.
        """
        if role is not None and role not in STATION_ROLES:
            raise ValueError(f"a device's role is one of {', '.join(STATION_ROLES)} (or none: all-in-one)")
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(state_dir, 0o700)
        _clear_unfinished_provisioning(state_dir)
        if (state_dir / DB_NAME).exists() or (state_dir / KEY_NAME).exists():
            raise LedgerError(f"{state_dir} already holds a ledger; refusing to overwrite it")
        key = DeviceKey.create(state_dir / KEY_NAME, private_key=device_key)
        (state_dir / PUB_NAME).write_text(key.verifier_key() + "\n")
        conn = connect(state_dir / DB_NAME)
        os.chmod(state_dir / DB_NAME, 0o600)
        # Schema, metadata and the first event commit together: a device is
        # either provisioned completely or not at all.
        conn.executescript("BEGIN IMMEDIATE;" + SCHEMA)
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("format", formats.FORMAT_VERSION), ("origin", key.origin), ("verifier_key", key.verifier_key())],
        )
        ledger = cls(state_dir, conn, key, clock or SystemClock(), rng)
        created: dict[str, Any] = {
            "fingerprint": key.fingerprint,
            "format": formats.FORMAT_VERSION,
            "verifier_key": key.verifier_key(),
            "note": note_text,
        }
        if role is not None:
            created["role"] = role
        ledger._append("ledger.created", "system", created)
        conn.execute("COMMIT")
        ledger._scrub_wal()
        return ledger

    @classmethod
    def open(cls, state_dir: Path, *, clock: Clock | None = None, rng: random.Random | None = None) -> Ledger:
        """Open an existing device ledger (after a restart or a crash)."""
        state_dir = Path(state_dir)
        if not (state_dir / DB_NAME).exists():
            raise LedgerMissing(f"no ledger in {state_dir}")
        key = DeviceKey.load(state_dir / KEY_NAME)
        conn = connect(state_dir / DB_NAME)
        try:
            origin = conn.execute("SELECT value FROM meta WHERE key='origin'").fetchone()
            if origin is None or origin[0] != key.origin:
                raise LedgerError("the device key does not belong to this ledger")
            ledger = cls(state_dir, conn, key, clock or SystemClock(), rng)
            # After a crash the WAL may still hold the page images of the last
            # cast, and a verifier that opened the files may have left a -shm
            # index naming those pages: fold the WAL in, and remove the index
            # (we hold the exclusive lock and never use a -shm file).
            ledger._scrub_wal()
            (state_dir / (DB_NAME + "-shm")).unlink(missing_ok=True)
            return ledger
        except sqlite3.OperationalError as exc:
            conn.close()
            raise LedgerMissing(f"no complete ledger in {state_dir} ({exc}); provision the device") from None
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        self._scrub_wal()
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _load_state(self) -> None:
        """Rebuild the in-memory tip, Merkle frontier and empty-slot list from disk."""
        self._frontier = merkle.Frontier()
        tip = formats.GENESIS_PREV
        last_type = None
        for (entry,) in self._conn.execute("SELECT entry FROM events ORDER BY seq"):
            leaf = merkle.leaf_hash(entry)
            self._frontier.append(leaf)
            tip = leaf.hex()
        row = self._conn.execute("SELECT type FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        last_type = row[0] if row else None
        self._tip = tip
        self._sealed = last_type == SEAL_EVENT
        self._empty_slots = [r[0] for r in self._conn.execute("SELECT id FROM ballots WHERE filled=0")]
        self._cast: int = self._conn.execute("SELECT count(*) FROM ballots WHERE filled=1").fetchone()[0]
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(ballots)")}
        # A ledger written before spoiling existed has no spoil column: it reads, it cannot spoil.
        self._can_spoil = "spoil" in columns
        self._spoiled: int = (
            self._conn.execute("SELECT count(*) FROM ballots WHERE spoil != ?", (NOT_SPOILED,)).fetchone()[0]
            if self._can_spoil
            else 0
        )

    # ----------------------------------------------------------- transactions
    @contextlib.contextmanager
    def _transaction(self, kind: str = "plain") -> Iterator[None]:
        """One durable commit; the WAL is scrubbed before and after as ``WAL_RULES[kind]`` says."""
        if self._batch_depth:
            yield
            return
        scrub_before, scrub_after = WAL_RULES[kind]
        if scrub_before and self._cast_in_wal:
            self._scrub_wal()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            self._load_state()
            if kind != "plain":  # pages of the rolled-back change may lie beyond the WAL's end
                self._scrub_wal()
            raise
        self._conn.execute("COMMIT")
        if scrub_after:
            self._scrub_wal()
        elif kind == "cast":
            self._cast_in_wal = True

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group many changes into one durable commit (bulk fixtures, demo data).

        Never used on the voter's path: there every cast is its own commit.
        """
        with self._transaction("batch"):
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    def _scrub_wal(self) -> None:
        # Copy the WAL into the database and truncate it, so the WAL never keeps
        # a sequence of page images that would tell in which order slots filled.
        busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise LedgerError("could not checkpoint the WAL (database busy)")
        self._cast_in_wal = False

    # ----------------------------------------------------------------- writing
    def _append(self, type: str, actor: str, payload: dict[str, Any]) -> Entry:
        if self._sealed:
            raise LedgerSealed("the device is packed; its ledger is read-only")
        if type not in EVENT_TYPES:
            raise UnknownEventType(f"unknown event type {type!r}")
        seq = self._frontier.size
        raw = formats.entry_bytes(
            seq=seq,
            time=utc_text(self.clock.now()),
            boot=self.clock.boot,
            mono_ns=self.clock.monotonic_ns(),
            type=type,
            actor=actor,
            payload=payload,
            prev=self._tip,
        )
        sig = self.key.sign(formats.event_message(raw))
        self._conn.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (seq, type, raw, sig))
        leaf = merkle.leaf_hash(raw)
        self._frontier.append(leaf)
        self._tip = leaf.hex()
        checkpoint = note.Checkpoint(self.key.origin, seq + 1, self._frontier.root())
        self._conn.execute(
            "INSERT INTO checkpoints VALUES (?, ?)",
            (seq + 1, note.sign_checkpoint(checkpoint, self.key.origin, self.key.private_key)),
        )
        if type == SEAL_EVENT:
            self._sealed = True
        return Entry._written(raw, sig)

    def append(
        self, type: str, actor: str, payload: dict[str, Any] | None = None, *, state: dict[str, Any] | None = None
    ) -> Entry:
        """Append one event (and its checkpoint) durably; optionally update device state with it."""
        with self._transaction():
            entry = self._append(type, actor, payload or {})
            for key, value in (state or {}).items():
                self._put_state(key, value)
        return entry

    def add_ballot_slots(self, count: int, actor: str = "system") -> Entry:
        """Prepare ``count`` empty ballot slots with fresh random identifiers."""
        if not 1 <= count <= 1_000_000:
            raise ValueError("slot count must be between 1 and 1,000,000")
        # A list keeps the order the IDs were drawn in (a set's order would
        # depend on Python's per-process hash seed and make runs irreproducible).
        ids: list[bytes] = []
        seen: set[bytes] = set()
        while len(ids) < count:
            candidate = self._rng.randbytes(formats.BALLOT_ID_BYTES)
            if candidate in seen or self._conn.execute("SELECT 1 FROM ballots WHERE id=?", (candidate,)).fetchone():
                continue
            seen.add(candidate)
            ids.append(candidate)
        with self._transaction("ballots"):
            if self._can_spoil:
                self._conn.executemany(
                    "INSERT INTO ballots VALUES (?, 0, ?, ?, ?)", [(i, EMPTY_SLOT, EMPTY_SIG, NOT_SPOILED) for i in ids]
                )
            else:  # a ledger written before spoiling existed keeps its four columns
                self._conn.executemany(
                    "INSERT INTO ballots VALUES (?, 0, ?, ?)", [(i, EMPTY_SLOT, EMPTY_SIG) for i in ids]
                )
            total = self._conn.execute("SELECT count(*) FROM ballots").fetchone()[0]
            entry = self._append("ballot.slots_added", actor, {"added": count, "total": total})
        self._empty_slots.extend(ids)
        return entry

    def cast_ballot(
        self, election: str, selection: str, *, actor: str = "system", payload: dict[str, Any] | None = None
    ) -> CastReceipt:
        """Record one ballot: fill a random empty slot, log the cast with the running count.

        The cast event carries the count and ``payload`` (e.g. the release it
        consumes) but never the ballot identifier or the selection.  The new
        ballot's identifier is kept as the *pending slip* until the paper slip
        is printed (:meth:`record_slip`), so a slip can be reprinted after a
        crash; it is then erased.
        """
        problem = formats.check_ballot_shape({"election": election, "id": "0" * 32, "selection": selection})
        if problem or selection == formats.SPOILED:
            raise ValueError(problem or "'spoiled' is not a choice a voter can make")
        if not self._empty_slots:
            raise NoBallotSlots("no empty ballot slot is left")
        index = self._rng.randrange(len(self._empty_slots))
        ballot_id = self._empty_slots[index]
        record = formats.ballot_record(election=election, ballot_id=ballot_id, selection=selection)
        sig = self.key.sign(formats.ballot_message(record))
        with self._transaction("cast"):
            changed = self._conn.execute(
                "UPDATE ballots SET filled=1, slot=?, sig=? WHERE id=? AND filled=0",
                (formats.pad_slot(record), sig, ballot_id),
            ).rowcount
            if changed != 1:
                raise LedgerError("ballot slot was not empty")
            self._conn.execute("INSERT OR REPLACE INTO pending_slip VALUES (1, ?)", (ballot_id,))
            count = self._cast + 1
            entry = self._append(CAST_EVENT, actor, {**(payload or {}), "count": count})
        # swap-remove: O(1) and the list order carries no meaning
        self._empty_slots[index] = self._empty_slots[-1]
        self._empty_slots.pop()
        self._cast = count
        return CastReceipt(ballot_id=ballot_id, count=count, seq=entry.seq, entry=entry)

    def record_slip(
        self, type: str, actor: str, payload: dict[str, Any] | None = None, *, forget: bool = True
    ) -> Entry:
        """Log that the pending slip printed (or reprinted); with ``forget``, erase its ballot ID.

        The booth keeps the link (``forget=False``) until the voter has checked
        the slip: :meth:`answer_slip` or :meth:`spoil_pending` erase it then.
        """
        if type not in ("slip.printed", "slip.reprinted"):
            raise ValueError("record_slip takes slip.printed or slip.reprinted")
        with self._transaction("erase" if forget else "plain"):
            entry = self._append(type, actor, payload or {})
            if forget:
                self._conn.execute("DELETE FROM pending_slip")
        return entry

    def answer_slip(self, type: str, actor: str, payload: dict[str, Any] | None = None) -> Entry:
        """Log the end of the slip check ("Struk sesuai", or an escalated dispute) and erase the link.

        The event and the erasure commit together, so after it nothing on the
        device knows which ballot the voter's was.
        """
        if type not in SLIP_ANSWERS:
            raise ValueError(f"answer_slip takes one of {', '.join(SLIP_ANSWERS)}")
        with self._transaction("erase"):
            if self.pending_slip() is None:
                raise NoPendingSlip("no slip is waiting for its voter's answer")
            entry = self._append(type, actor, payload or {})
            self._conn.execute("DELETE FROM pending_slip")
        return entry

    def spoil_pending(self, actor: str, payload: dict[str, Any] | None = None) -> SpoilReceipt:
        """Spoil the ballot whose slip the voter disputed: mark it, erase the link, log the count.

        One transaction: the slot rewritten in place with the *spoiled record*
        (same election and ID, no choice: ``formats.spoiled_record``), its
        ballot signature and its spoil mark (``SPOIL_CONTEXT || spoiled
        record``) in the fixed-size columns, so no page or cell moves; the
        erasure of the pending slip; and ``ballot.spoiled`` with the running
        count of spoiled ballots and ``payload`` — never the ballot's ID or its
        choice.  The ID is returned once, for the VOID print; the disputed
        choice is then nowhere on the device (the paper slip shows it, in the
        mixed audit box).
        """
        if not self._can_spoil:
            raise LedgerError("this ledger was written before spoiling existed; it cannot spoil a ballot")
        ballot_id = self.pending_slip()
        if ballot_id is None:
            raise NoPendingSlip("no slip is waiting for its voter's answer")
        slot = self._conn.execute("SELECT slot FROM ballots WHERE id=? AND filled=1", (ballot_id,)).fetchone()
        if slot is None:
            raise LedgerError("the pending slip's ballot is not in the store")
        election = parse_canonical(formats.unpad_slot(slot[0]))["election"]
        spoiled = formats.spoiled_record(election=election, ballot_id=ballot_id)
        sig = self.key.sign(formats.ballot_message(spoiled))
        mark = self.key.sign(formats.spoil_message(spoiled))
        with self._transaction("erase"):
            changed = self._conn.execute(
                "UPDATE ballots SET slot=?, sig=?, spoil=? WHERE id=? AND filled=1 AND spoil=?",
                (formats.pad_slot(spoiled), sig, mark, ballot_id, NOT_SPOILED),
            ).rowcount
            if changed != 1:
                raise LedgerError("the pending ballot is already spoiled")
            self._conn.execute("DELETE FROM pending_slip")
            count = self._spoiled + 1
            entry = self._append(SPOIL_EVENT, actor, {**(payload or {}), "count": count})
        self._spoiled = count
        return SpoilReceipt(ballot_id=ballot_id, count=count, seq=entry.seq, entry=entry)

    def pending_slip(self) -> bytes | None:
        """The ballot ID whose paper slip has not printed yet, if any."""
        row = self._conn.execute("SELECT ballot_id FROM pending_slip").fetchone()
        return row[0] if row else None

    def pending_slip_record(self) -> dict[str, Any] | None:
        """The pending slip's ballot record (to print it again), if any."""
        ballot_id = self.pending_slip()
        if ballot_id is None:
            return None
        slot = self._conn.execute("SELECT slot FROM ballots WHERE id=?", (ballot_id,)).fetchone()[0]
        record: dict[str, Any] = parse_canonical(formats.unpad_slot(slot))
        return record

    def close_ballot_box(self, actor: str, payload: dict[str, Any] | None = None) -> Entry:
        """Append ``polls.closed`` with the ballot count and root, and the spoiled count and root."""
        count, root = self.ballot_summary()
        spoiled, spoiled_root = self.spoiled_summary()
        return self.append(
            CLOSE_EVENT,
            actor,
            {
                **(payload or {}),
                "ballots": count,
                "ballot_root": root.hex(),
                "spoiled": spoiled,
                "spoiled_root": spoiled_root.hex(),
            },
        )

    # ------------------------------------------------------------ device state
    def _put_state(self, key: str, value: str | None) -> None:
        if value is None:
            self._conn.execute("DELETE FROM device_state WHERE key=?", (key,))
        else:
            self._conn.execute("INSERT OR REPLACE INTO device_state VALUES (?, ?)", (key, value))

    def set_state(self, key: str, value: str | None) -> None:
        """Store a small piece of device state that is not evidence (PIN hashes, settings)."""
        if self._sealed:
            raise LedgerSealed("the device is packed; its ledger is read-only")
        with self._transaction():
            self._put_state(key, value)

    def get_state(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM device_state WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    # ----------------------------------------------------------------- reading
    @property
    def size(self) -> int:
        """Number of events in the log."""
        return self._frontier.size

    @property
    def sealed(self) -> bool:
        return self._sealed

    @property
    def ballots_cast(self) -> int:
        return self._cast

    @property
    def ballots_spoiled(self) -> int:
        """Ballots spoiled after their voter disputed the slip (stored, signed, not counted)."""
        return self._spoiled

    @property
    def empty_slots(self) -> int:
        return len(self._empty_slots)

    def root(self) -> bytes:
        return self._frontier.root()

    def entries(self, start: int = 0) -> Iterator[Entry]:
        """The events from ``start`` on, in order."""
        cur = self._conn.execute("SELECT entry, sig FROM events WHERE seq >= ? ORDER BY seq", (start,))
        for entry, sig in cur:
            yield Entry.from_row(entry, sig)

    def entry(self, seq: int) -> Entry:
        row = self._conn.execute("SELECT entry, sig FROM events WHERE seq=?", (seq,)).fetchone()
        if row is None:
            raise IndexError(seq)
        return Entry.from_row(*row)

    def latest_checkpoint(self) -> str:
        """The signed checkpoint note of the whole log, for screens and paper."""
        latest: str = self._conn.execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()[0]
        return latest

    def checkpoint(self, size: int) -> str:
        row = self._conn.execute("SELECT note FROM checkpoints WHERE size=?", (size,)).fetchone()
        if row is None:
            raise IndexError(size)
        text: str = row[0]
        return text

    def leaf_hashes(self, size: int | None = None) -> list[bytes]:
        """Leaf hashes of the first ``size`` events (for inclusion and consistency proofs)."""
        size = self.size if size is None else size
        cur = self._conn.execute("SELECT entry FROM events WHERE seq < ? ORDER BY seq", (size,))
        return [merkle.leaf_hash(e) for (e,) in cur]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return merkle.consistency_proof(self.leaf_hashes(new_size), old_size)

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        return merkle.inclusion_proof(self.leaf_hashes(size), seq)

    def _cast_records(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        cur = self._conn.execute("SELECT id, slot, sig FROM ballots WHERE filled=1 ORDER BY id")
        for ballot_id, slot, sig in cur:
            yield ballot_id, formats.unpad_slot(slot), sig

    def ballot_summary(self) -> tuple[int, bytes]:
        """(number of cast ballots, Merkle root of their records sorted by ID)."""
        frontier = merkle.Frontier()
        for _, record, _ in self._cast_records():
            frontier.append(merkle.leaf_hash(record))
        return frontier.size, frontier.root()

    def _spoiled_ids(self) -> set[bytes]:
        if not self._can_spoil:
            return set()
        return {r[0] for r in self._conn.execute("SELECT id FROM ballots WHERE spoil != ?", (NOT_SPOILED,))}

    def spoil_marks(self) -> Iterator[tuple[bytes, bytes]]:
        """(id, spoil mark) of every spoiled ballot, sorted by ID (for the bundle)."""
        if not self._can_spoil:
            return iter(())
        return iter(
            self._conn.execute("SELECT id, spoil FROM ballots WHERE spoil != ? ORDER BY id", (NOT_SPOILED,)).fetchall()
        )

    def spoiled_summary(self) -> tuple[int, bytes]:
        """(number of spoiled ballots, Merkle root of their spoiled records sorted by ID)."""
        spoiled = self._spoiled_ids()
        frontier = merkle.Frontier()
        for ballot_id, record, _ in self._cast_records():
            if ballot_id in spoiled:
                frontier.append(merkle.leaf_hash(record))
        return frontier.size, frontier.root()

    def tally(self) -> Counter[str]:
        """Count the valid ballots by selection, straight from the ballot store (spoiled ones apart)."""
        spoiled = self._spoiled_ids()
        counts: Counter[str] = Counter()
        for ballot_id, record, _ in self._cast_records():
            if ballot_id not in spoiled:
                counts[parse_canonical(record)["selection"]] += 1
        return counts

    def ballot_records(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        """(id, record, signature) of every cast ballot, sorted by ID (never cast order)."""
        return self._cast_records()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, for in-process verification and export only."""
        return self._conn
