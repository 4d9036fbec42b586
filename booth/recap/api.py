"""The district recap's one door: what the CLI, the web pages and the workers call.

A recap receives what the polling places send on the evening — signed export
bundles and the signed results statements of their printed reports — checks
each with ``booth.ledger`` (the same verifier as ``booth verify``), keeps what
was received in a store (SQLite on one laptop, PostgreSQL past one machine),
answers every accepted submission with a signed receipt appended to the
recap's own C2SP log, and adds the polling places up by area.

The facade, ``Recap`` (in ``booth.recap.core``; ``booth.recap.start.open_recap`` opens one)::

    recap = open_recap(data_dir)                      # SQLite in data_dir, local worker pool
    recap.register_device(verifier_key, package_dir, by="ketua")   # or import_registry(path, by=)
    recap.registrations() / unregister_device(fingerprint, by=)
    recap.submit_bundle(data, source="upload", filename="tps01.zip", by="budi") -> Outcome
    recap.submit_photo(data, source="photo", filename=..., by=...) -> list[Outcome]
    recap.submit_statement(text, source="text", by=...) -> Outcome
    recap.submission(id) / submissions() / refused()
    recap.places() -> list[Place];  place(election_id) -> Place | None
    recap.totals() -> Totals;  conflicts() / missing() -> list[Place]
    recap.resolve(election_id, statement_sha256, by=, reason=) -> Place
    recap.targets() / set_targets([Target], by=);  progress(now=None) -> Progress
    recap.verifier_key() / checkpoint() / receipt(submission_id) -> Receipt | None
    recap.public_place(election_id) -> dict (the public JSON view; counts and roots only)
    recap.export(out_dir) -> list[Path]
    recap.close()

The words people read (refusal reasons, states) come in pairs, Indonesian
first: ``(id, en)``.

Everything here is plain data (frozen dataclasses) so the web pages, the CLI
and the exports show the same numbers.  The two interfaces below,
:class:`Store` and :class:`JobQueue`, are what a back end implements.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

#: What a polling place can be on the evening (shown on every page and in ``totals --json``).
PlaceState = Literal["verified", "provisional", "conflict", "refused", "missing"]
PLACE_STATES: tuple[PlaceState, ...] = ("verified", "provisional", "conflict", "refused", "missing")
STATE_WORDS: dict[str, tuple[str, str]] = {
    "verified": ("Terverifikasi", "Verified"),
    "provisional": ("Sementara (QR saja)", "Provisional (QR only)"),
    "conflict": ("Konflik", "Conflict"),
    "refused": ("Ditolak", "Refused"),
    "missing": ("Belum masuk", "Not yet received"),
}

SubmissionKind = Literal["bundle", "statement"]
#: Where a submission came from: the web upload, the watched folder, the bulk CLI, a photo of the report, typed text.
Source = Literal["upload", "folder", "cli", "photo", "text", "demo"]
SubmissionStatus = Literal["queued", "accepted", "refused"]

#: Hard limit on one uploaded bundle (a day of 800 voters is well under 2 MB).
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: Hard limit on one photo or scan of a results report.
MAX_PHOTO_BYTES = 20 * 1024 * 1024
#: Hard limit on a typed or scanned statement.
MAX_STATEMENT_BYTES = 16 * 1024


class RecapError(Exception):
    """A request the recap refuses as a whole (bad data directory, unknown place...): ``(id, en)``."""

    def __init__(self, id_text: str, en_text: str, *, code: str = "error") -> None:
        super().__init__(en_text)
        self.id = id_text
        self.en = en_text
        self.code = code


# ------------------------------------------------------------------ registry
@dataclass(frozen=True)
class Candidate:
    number: int
    name: str


@dataclass(frozen=True)
class Registration:
    """One device registered before the day for one polling place (one election package per TPS)."""

    verifier_key: str
    fingerprint: str  # full SHA-256 hex of the device's public key
    origin: str  # booth/<16 hex>: the key name on its notes
    election_id: str
    title: str
    provinsi: str
    kabupaten: str
    kecamatan: str
    pekon: str
    tps: int
    dpt: int
    allow_blank: bool
    candidates: tuple[Candidate, ...]
    registered_at: str = ""  # UTC, ISO 8601
    registered_by: str = ""

    @property
    def place_label(self) -> str:
        return f"TPS {self.tps:02d} {self.pekon}"

    def to_json(self) -> dict:
        """The registry-file shape (``booth-recap-registry-v1``)."""
        return {
            "verifier_key": self.verifier_key,
            "election_id": self.election_id,
            "title": self.title,
            "provinsi": self.provinsi,
            "kabupaten": self.kabupaten,
            "kecamatan": self.kecamatan,
            "pekon": self.pekon,
            "tps": self.tps,
            "dpt": self.dpt,
            "allow_blank": self.allow_blank,
            "candidates": [{"number": c.number, "name": c.name} for c in self.candidates],
        }


# --------------------------------------------------------------- submissions
@dataclass(frozen=True)
class Result:
    """What one signed results statement says (checked against its device key, and for a bundle
    against the ballots and the log)."""

    statement: str  # the signed note as received
    statement_sha256: str  # identifies the result: a bundle and a photo of its report share it
    tally: dict[str, int]  # {"1": n, ..., "blank": n}
    total: int  # valid votes
    voted: int  # voters who voted
    eligible: int  # DPT + DPTb
    balanced: bool
    log_size: int
    log_root: str  # base64
    ballots: int | None = None  # ballots in the bundle (None for a statement alone)
    events: int | None = None
    # ballots spoiled after their voter disputed the slip: stored, not votes (None: a statement alone)
    spoiled: int | None = None


@dataclass(frozen=True)
class Submission:
    """One thing received: a bundle or a statement (typed, or read from a photo)."""

    id: int
    sha256: str  # of the bundle bytes, or of the statement text
    kind: SubmissionKind
    source: Source
    filename: str
    received_at: str  # UTC, ISO 8601 with Z
    received_by: str  # committee member's name, or "" (folder, public upload)
    status: SubmissionStatus
    election_id: str | None = None
    fingerprint: str | None = None
    reason_code: str | None = None  # a refusal: the machine-readable reason
    reason_id: str | None = None
    reason_en: str | None = None
    result: Result | None = None
    receipt_index: int | None = None  # the leaf of the recap's log that records its acceptance
    finished_at: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The answer to one submit call."""

    submission: Submission
    duplicate: bool  # the same bytes were already received: nothing changed
    receipt: Receipt | None

    @property
    def accepted(self) -> bool:
        return self.submission.status == "accepted"

    @property
    def refused(self) -> bool:
        return self.submission.status == "refused"


@dataclass(frozen=True)
class Receipt:
    """A signed receipt: a C2SP signed note by the recap's key, its leaf in the recap's log, the log's
    checkpoint and the inclusion proof (verify with ``booth.recap.receipts.check_receipt``)."""

    note: str  # signed note: "booth recap receipt v1" ...
    index: int
    checkpoint: str  # signed checkpoint of the recap's log that includes the leaf
    proof: tuple[str, ...]  # base64 hashes (RFC 6962 inclusion proof)

    def to_json(self) -> dict:
        return {
            "format": "booth-recap-receipt-v1",
            "note": self.note,
            "index": self.index,
            "checkpoint": self.checkpoint,
            "proof": list(self.proof),
        }


@dataclass(frozen=True)
class Resolution:
    """How the committee resolved a conflict: which result counts, who decided, why."""

    election_id: str
    statement_sha256: str
    by: str
    reason: str
    at: str


# --------------------------------------------------------------- aggregation
@dataclass(frozen=True)
class Place:
    """One registered polling place as the committee sees it now."""

    registration: Registration  # the first registered device's registration (the place's facts)
    devices: tuple[str, ...]  # fingerprints registered for this place
    state: PlaceState
    result: Result | None  # the counted result (verified, provisional, or resolved conflict)
    results: tuple[Result, ...]  # every distinct accepted result (more than one = conflict)
    submissions: tuple[Submission, ...]
    first_counted_at: str | None  # when its counted result first arrived (UTC)
    resolution: Resolution | None
    receipt: Receipt | None  # the receipt of the counted result

    @property
    def election_id(self) -> str:
        return self.registration.election_id

    @property
    def dptb(self) -> int | None:
        return None if self.result is None else max(self.result.eligible - self.registration.dpt, 0)


@dataclass(frozen=True)
class Area:
    """A kabupaten, kecamatan or pekon (the pekon is also the contest) with its polling places."""

    level: Literal["kabupaten", "kecamatan", "pekon"]
    name: str
    path: tuple[str, ...]  # (kabupaten,), (kabupaten, kecamatan), (kabupaten, kecamatan, pekon)
    places: int
    states: dict[str, int]  # state -> number of polling places
    dpt: int  # of all its registered places
    dptb: int  # of the counted places
    voted: int  # of the counted places
    valid: int  # valid votes of the counted places
    eligible_counted: int  # DPT + DPTb of the counted places (turnout's denominator)
    verified_valid: int  # valid votes from verified places only
    tally: dict[str, int] | None  # only for a pekon (a contest): candidate number / "blank" -> votes
    candidates: tuple[Candidate, ...] = ()
    children: tuple[Area, ...] = ()
    verified_tally: dict[str, int] | None = None  # a pekon's tally from verified places only
    spoiled: int = 0  # ballots spoiled (disputed slips) in the bundles of its counted places; not votes

    @property
    def counted(self) -> int:
        return self.states.get("verified", 0) + self.states.get("provisional", 0)

    @property
    def turnout(self) -> float | None:
        return None if not self.eligible_counted else self.voted / self.eligible_counted


@dataclass(frozen=True)
class Totals:
    places: tuple[Place, ...]
    areas: tuple[Area, ...]  # the kabupaten, each with its kecamatan and pekon as children
    generated_at: str


@dataclass(frozen=True)
class Target:
    """The committee's evening target: ``share`` (0..1) of polling places counted by ``at`` (local HH:MM)."""

    at: str
    share: float


@dataclass(frozen=True)
class ProgressPoint:
    hour: str  # local "HH:00"
    counted: int  # places counted (verified or provisional) by the end of that hour
    verified: int
    share: float


@dataclass(frozen=True)
class Progress:
    places: int
    counted: int
    verified: int
    points: tuple[ProgressPoint, ...]
    targets: tuple[tuple[Target, bool | None], ...]  # each target and whether it was met (None: not due yet)
    timezone: str


# -------------------------------------------------------------- interfaces
class Store(abc.ABC):
    """The system of record.  Every method is one transaction; implementations are safe to call from
    several processes at once (SQLite in WAL mode with a busy timeout; PostgreSQL)."""

    # registry
    @abc.abstractmethod
    def add_registration(self, reg: Registration) -> None:
        """Insert, or replace the same fingerprint's registration (caller has checked conflicts)."""

    @abc.abstractmethod
    def remove_registration(self, fingerprint: str) -> bool: ...

    @abc.abstractmethod
    def registrations(self) -> list[Registration]:
        """All registrations, sorted by kabupaten, kecamatan, pekon, tps, fingerprint."""

    # submissions
    @abc.abstractmethod
    def put_blob(self, sha256: str, data: bytes) -> None:
        """Keep the received bytes (content-addressed; putting the same bytes twice is a no-op)."""

    @abc.abstractmethod
    def get_blob(self, sha256: str) -> bytes: ...

    @abc.abstractmethod
    def new_submission(self, sub: Submission) -> tuple[Submission, bool]:
        """Insert ``sub`` (its ``id`` is ignored) unless a submission with the same sha256 exists.
        Returns (the stored submission, created)."""

    @abc.abstractmethod
    def finish_submission(
        self,
        sub: Submission,
        receipt_entry: bytes | None = None,
        sign_checkpoint: Callable[[int, bytes], str] | None = None,
    ) -> Submission:
        """Record a queued submission's outcome (status, reason, result, finished_at), in one transaction.

        Only a queued submission changes: finishing twice keeps the first outcome (returned), so a job
        run twice (a worker killed and its job retried) counts once.  With ``receipt_entry`` the entry is
        appended to the recap's log in the same transaction (as ``append_leaf`` does) and the submission's
        ``receipt_index`` is its leaf index: one receipt per accepted submission, never two."""

    @abc.abstractmethod
    def submission(self, submission_id: int) -> Submission | None: ...

    @abc.abstractmethod
    def submission_by_hash(self, sha256: str) -> Submission | None: ...

    @abc.abstractmethod
    def submissions(self) -> list[Submission]:
        """All submissions in the order received."""

    # the recap's own log
    @abc.abstractmethod
    def append_leaf(self, entry: bytes, sign_checkpoint: Callable[[int, bytes], str]) -> tuple[int, str]:
        """Append ``entry`` to the recap's log atomically; ``sign_checkpoint(size, root)`` makes the new
        checkpoint note, stored with it.  Returns (leaf index, checkpoint note)."""

    @abc.abstractmethod
    def leaf_entries(self) -> list[bytes]:
        """Every entry of the recap's log, in order."""

    def leaf_hashes(self) -> list[bytes]:
        """The RFC 6962 leaf hash of every entry, in order (a store keeps them: no re-hashing)."""
        from booth.ledger import merkle

        return [merkle.leaf_hash(e) for e in self.leaf_entries()]

    def log_entry(self, index: int) -> bytes:
        """One entry of the recap's log."""
        return self.leaf_entries()[index]

    @abc.abstractmethod
    def latest_checkpoint(self) -> str | None: ...

    # the committee's decisions and settings
    @abc.abstractmethod
    def add_resolution(self, res: Resolution) -> None: ...

    @abc.abstractmethod
    def resolutions(self) -> list[Resolution]:
        """In the order made; the last one for an election counts."""

    @abc.abstractmethod
    def set_setting(self, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def setting(self, key: str) -> str | None: ...

    def close(self) -> None:  # noqa: B027 - optional for back ends holding nothing
        """Let go of connections."""


class JobQueue(abc.ABC):
    """Where bundle verification runs: a local process pool by default, procrastinate with PostgreSQL."""

    @abc.abstractmethod
    def enqueue(self, submission_id: int) -> None:
        """Arrange for the queued submission to be verified and finished (``Recap.process``)."""

    @abc.abstractmethod
    def wait(self, submission_ids: Sequence[int], timeout: float) -> bool:
        """Wait until none of the submissions is queued any more; False on timeout."""

    def close(self) -> None:  # noqa: B027
        """Stop the workers this queue started."""


__all__ = [
    "PLACE_STATES",
    "STATE_WORDS",
    "MAX_BUNDLE_BYTES",
    "MAX_PHOTO_BYTES",
    "MAX_STATEMENT_BYTES",
    "RecapError",
    "Candidate",
    "Registration",
    "Result",
    "Submission",
    "Outcome",
    "Receipt",
    "Resolution",
    "Place",
    "Area",
    "Totals",
    "Target",
    "ProgressPoint",
    "Progress",
    "Store",
    "JobQueue",
]
