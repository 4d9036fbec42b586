"""The ``Recap`` facade: intake, verification jobs, receipts, the registry, totals and progress.

See ``booth.recap.api`` for the data model and the method list.  A data
directory holds::

    recap.sqlite     the embedded store (unless --database names PostgreSQL)
    recap.key        the recap's Ed25519 key (receipts, the recap's log)
    recap.pub        its C2SP verifier key, for anyone to check receipts
    committee-users.json, web-secret   the web pages' sign-in (booth.recap.web)
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from booth.ledger.verify import usable_cores
from booth.qr_parts import QRPartsError, join
from booth.recap import intake, registry
from booth.recap.api import (
    MAX_BUNDLE_BYTES,
    MAX_PHOTO_BYTES,
    Area,
    Candidate,
    JobQueue,
    Outcome,
    Place,
    Progress,
    ProgressPoint,
    RecapError,
    Receipt,
    Registration,
    Resolution,
    Result,
    Store,
    Submission,
    Target,
    Totals,
)
from booth.recap.receipts import RecapKey, receipt_entry, receipt_from_leaves, resolution_entry

DEFAULT_TIMEZONE = "Asia/Jakarta"  # WIB: Lampung and the whole of Sumatra and Java
TIMEZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DEFAULT_TARGETS = (Target("17:00", 0.8), Target("24:00", 1.0))


def utc_text(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------ queues
class InlineQueue(JobQueue):
    """Verification in the calling process (``--workers 0``, tests, the PostgreSQL worker itself)."""

    def __init__(self, recap: Recap) -> None:
        self._recap = recap

    def enqueue(self, submission_id: int) -> None:
        self._recap.process(submission_id)

    def wait(self, submission_ids: Sequence[int], timeout: float) -> bool:
        return True


_WORKER_RECAPS: dict[tuple, Recap] = {}


def _process_in_worker(data_dir: str, database: str | None, submission_id: int, verify_workers: int = 1) -> str:
    # this pool's share of the cores for a large bundle's signatures (the pool already spreads the bundles)
    intake.VERIFY_WORKERS = verify_workers
    key = (data_dir, database)
    if key not in _WORKER_RECAPS:
        _WORKER_RECAPS[key] = Recap.open(Path(data_dir), database=database)
    return _WORKER_RECAPS[key].process(submission_id).status


class LocalQueue(JobQueue):
    """A pool of worker processes on this machine, each with its own connection to the store."""

    def __init__(self, data_dir: Path, database: str | None, workers: int) -> None:
        import multiprocessing

        self._args = (str(data_dir), database)
        # spawn: the web server's threads and open connections are not copied into workers
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        self._verify_workers = max(1, usable_cores() // max(1, workers))
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()

    def enqueue(self, submission_id: int) -> None:
        with self._lock:
            self._futures[submission_id] = self._pool.submit(
                _process_in_worker, *self._args, submission_id, self._verify_workers
            )

    def wait(self, submission_ids: Sequence[int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for sid in submission_ids:
            with self._lock:
                future = self._futures.get(sid)
            if future is None:
                continue
            try:
                future.result(timeout=max(deadline - time.monotonic(), 0))
            except TimeoutError:
                return False
            finally:
                with self._lock:
                    if future.done():
                        self._futures.pop(sid, None)
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


# ------------------------------------------------------------------- recap
class Recap:
    """One district recap (see the module docstring of ``booth.recap.api``)."""

    def __init__(
        self,
        data_dir: Path,
        store: Store,
        key: RecapKey,
        *,
        database: str | None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.store = store
        self.key = key
        self.database = database
        self.clock = clock or _system_clock
        self.queue: JobQueue = InlineQueue(self)

    @classmethod
    def open(
        cls, data_dir: Path, *, database: str | None = None, clock: Callable[[], dt.datetime] | None = None
    ) -> Recap:
        """The recap kept in ``data_dir`` (and ``database``), verifying inline; ``booth.recap.start.open_recap``
        gives it its worker pool or the PostgreSQL queue."""
        data_dir = Path(data_dir)
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(data_dir, 0o700)
            if not os.access(data_dir, os.W_OK):
                raise PermissionError(str(data_dir))
        except OSError as exc:
            raise RecapError(
                f"Folder data tidak bisa dipakai: {data_dir} ({exc.strerror or exc})",
                f"The data directory cannot be used: {data_dir} ({exc.strerror or exc})",
                code="data_dir",
            ) from None
        store: Store
        if database:
            if not database.startswith(("postgresql://", "postgres://")):
                raise RecapError(
                    "--database harus URL postgresql://", "--database must be a postgresql:// URL", code="data_dir"
                )
            from booth.recap.pg_store import PgStore

            store = PgStore(database)
        else:
            from booth.recap.store import SqliteStore

            try:
                store = SqliteStore(data_dir / "recap.sqlite")
            except Exception as exc:  # a damaged or foreign file: say so, never a traceback
                raise RecapError(
                    f"Basis data rekap tidak bisa dibuka: {exc}",
                    f"The recap database cannot be opened: {exc}",
                    code="data_dir",
                ) from None
        key = RecapKey.load_or_create(data_dir / "recap.key")
        pub = data_dir / "recap.pub"
        if not pub.exists():
            pub.write_text(key.verifier_key() + "\n")
        recap = cls(data_dir, store, key, database=database, clock=clock)
        problem = recap.key_problem()
        if problem is not None:
            store.close()
            raise problem
        return recap

    def key_problem(self) -> RecapError | None:
        """The recap key in the data directory must be the one the recap's log is signed with.

        The first process to open a store claims it for its key; a web process or worker started
        with another machine's key (a shared PostgreSQL database) is refused before it signs anything."""
        from booth.ledger import note

        mine = self.verifier_key()
        claimed = self.store.setting("recap_key")
        if claimed is not None and claimed != mine:
            return RecapError(
                "Kunci rekap di --data bukan kunci rekap ini; salin recap.key dari server rekap",
                "The recap key in --data is not this recap's key; copy recap.key from the recap server",
                code="wrong_key",
            )
        latest = self.store.latest_checkpoint()
        if latest is not None:
            try:
                name, public = note.parse_verifier_key(mine)
                note.open_checkpoint(latest, name, public)
            except note.NoteError:
                return RecapError(
                    "Log rekap ditandatangani kunci lain; salin recap.key dari server rekap ke --data",
                    "The recap's log is signed by another key; copy recap.key from the recap server into --data",
                    code="wrong_key",
                )
        if claimed is None:
            self.store.set_setting("recap_key", mine)
        return None

    def close(self) -> None:
        self.queue.close()
        self.store.close()

    def __enter__(self) -> Recap:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def now(self) -> str:
        return utc_text(self.clock())

    # ------------------------------------------------------------ registry
    def registrations(self) -> list[Registration]:
        return self.store.registrations()

    def _check_new(self, regs: Iterable[Registration]) -> None:
        existing = {r.fingerprint: r for r in self.store.registrations()}
        by_election: dict[str, Registration] = {}
        for r in existing.values():
            by_election.setdefault(r.election_id, r)
        for r in regs:
            old = existing.get(r.fingerprint)
            if old is not None and old.election_id != r.election_id:
                raise RecapError(
                    f"Perangkat {r.fingerprint[:16]} sudah terdaftar untuk {old.place_label} ({old.kecamatan}); "
                    "hapus dulu pendaftarannya",
                    f"Device {r.fingerprint[:16]} is already registered for {old.place_label} ({old.kecamatan}); "
                    "remove that registration first",
                    code="registered_elsewhere",
                )
            same = by_election.get(r.election_id)
            if same is not None and (same.pekon, same.tps, same.kecamatan, same.candidates, same.dpt) != (
                r.pekon,
                r.tps,
                r.kecamatan,
                r.candidates,
                r.dpt,
            ):
                raise RecapError(
                    "Pemilihan ini sudah terdaftar dengan data TPS yang berbeda",
                    "This election is already registered with different polling-place facts",
                    code="bad_registration",
                )
            existing[r.fingerprint] = r
            by_election.setdefault(r.election_id, r)

    def register(self, regs: Sequence[Registration]) -> list[Registration]:
        """Add checked registrations, all or nothing."""
        self._check_new(regs)
        for r in regs:
            self.store.add_registration(r)
        return list(regs)

    def register_device(self, verifier_key: str, package_path: str | Path, *, by: str) -> Registration:
        """Register a provisioned device (its verifier key) for the polling place of an election package."""
        from booth.election_package import PackageError, load_package

        try:
            package = load_package(package_path)
        except PackageError as exc:
            raise RecapError(
                f"Paket pemilihan tidak sah: {exc}", f"Invalid election package: {exc}", code="bad_package"
            ) from None
        entry = registry.registration_from_package(package, verifier_key)
        reg = registry.parse_registration(entry, at=self.now(), by=by)
        return self.register([reg])[0]

    def import_registry(self, data: bytes, *, by: str) -> list[Registration]:
        """Register every device of a registry file (all or nothing)."""
        return self.register(registry.read_registry(data, at=self.now(), by=by))

    def unregister_device(self, fingerprint: str, *, by: str) -> bool:
        return self.store.remove_registration(fingerprint)

    # -------------------------------------------------------------- intake
    def _receive(self, kind: str, data: bytes, source: str, filename: str, by: str) -> tuple[Submission, bool]:
        """Keep ``data`` and queue it as a submission unless the same bytes came before: (submission, duplicate)."""
        sha = intake.sha256_hex(data)
        existing = self.store.submission_by_hash(sha)
        if existing is not None:
            return existing, True
        self.store.put_blob(sha, data)
        sub = Submission(
            id=0,
            sha256=sha,
            kind=kind,  # type: ignore[arg-type]
            source=source,  # type: ignore[arg-type]
            filename=filename[:200],
            received_at=self.now(),
            received_by=by[:100],
            status="queued",
        )
        stored, created = self.store.new_submission(sub)
        return stored, not created

    def _outcome(self, sub: Submission, duplicate: bool) -> Outcome:
        return Outcome(sub, duplicate, self.receipt(sub.id) if sub.status == "accepted" else None)

    def submit_bundle(
        self,
        data: bytes,
        *,
        source: str = "upload",
        filename: str = "",
        by: str = "",
        wait: bool = True,
        timeout: float = 600,
    ) -> Outcome:
        """Receive a bundle (idempotent by content); verified by the queue, waited for unless ``wait=False``."""
        if len(data) > MAX_BUNDLE_BYTES:
            raise RecapError(
                f"Berkas terlalu besar (batas {MAX_BUNDLE_BYTES // 2**20} MB)",
                f"The file is too large (limit {MAX_BUNDLE_BYTES // 2**20} MB)",
                code="too_large",
            )
        sub, duplicate = self._receive("bundle", data, source, filename, by)
        if duplicate:
            return self._outcome(sub, True)
        self.queue.enqueue(sub.id)
        if wait:
            self.queue.wait([sub.id], timeout)
        stored = self.store.submission(sub.id)
        assert stored is not None
        return self._outcome(stored, False)

    def submit_bundles(
        self,
        items: Sequence[tuple[bytes, str]],
        *,
        source: str,
        by: str = "",
        progress: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Many bundles at once (bulk import): all queued first, so every worker is busy."""
        pending: list[tuple[Submission, bool]] = []
        for data, filename in items:
            sub, duplicate = self._receive("bundle", data, source, filename, by)
            if not duplicate:
                self.queue.enqueue(sub.id)
            pending.append((sub, duplicate))
        outcomes = []
        for sub, duplicate in pending:
            if not duplicate:
                self.queue.wait([sub.id], 600)
            stored = self.store.submission(sub.id)
            assert stored is not None
            outcome = self._outcome(stored, duplicate)
            outcomes.append(outcome)
            if progress:
                progress(outcome)
        return outcomes

    def submit_statement(self, text: str, *, source: str = "text", filename: str = "", by: str = "") -> Outcome:
        """Receive a results statement alone (typed, or read from a photo): provisional when valid."""
        if not isinstance(text, str) or len(text.encode("utf-8", "replace")) > intake.MAX_STATEMENT_BYTES:
            raise RecapError(
                "Teks terlalu panjang untuk pernyataan hasil", "Too long for a results statement", code="too_large"
            )
        sub, duplicate = self._receive("statement", intake.normalize_statement(text).encode(), source, filename, by)
        if duplicate:
            return self._outcome(sub, True)
        return self._outcome(self.process(sub.id), False)  # cheap: one signature, no queue

    def submit_photo(self, data: bytes, *, source: str = "photo", filename: str = "", by: str = "") -> list[Outcome]:
        """Read the results QR from a photo or scan of the printed report and receive its statement."""
        if len(data) > MAX_PHOTO_BYTES:
            raise RecapError(
                f"Foto terlalu besar (batas {MAX_PHOTO_BYTES // 2**20} MB)",
                f"The photo is too large (limit {MAX_PHOTO_BYTES // 2**20} MB)",
                code="too_large",
            )
        from booth.recap.photos import PhotoError, statements_in_image

        try:
            payloads = statements_in_image(data)
        except PhotoError as exc:
            raise RecapError(exc.id, exc.en, code=exc.code) from None
        texts = join_parts(payloads)
        return [self.submit_statement(t, source=source, filename=filename, by=by) for t in texts]

    def resume(self) -> int:
        """Queue again every submission left queued (a process stopped mid-verification)."""
        queued = [s.id for s in self.store.submissions() if s.status == "queued"]
        for sid in queued:
            self.queue.enqueue(sid)
        return len(queued)

    def process(self, submission_id: int) -> Submission:
        """The verification job: check a queued submission and record its outcome (idempotent)."""
        sub = self.store.submission(submission_id)
        if sub is None or sub.status != "queued":
            return sub  # type: ignore[return-value]
        data = self.store.get_blob(sub.sha256)
        regs = self.store.registrations()
        if sub.kind == "bundle":
            with tempfile.TemporaryDirectory(prefix="recap-job-") as work:
                check = intake.check_bundle(data, regs, workdir=work)
        else:
            check = intake.check_statement(data.decode("utf-8", "replace"), regs)
        id_text, en_text = check.words
        done = replace(
            sub,
            status="accepted" if check.ok else "refused",
            election_id=check.election_id,
            fingerprint=check.fingerprint,
            reason_code=check.reason_code,
            reason_id=id_text or None,
            reason_en=en_text or None,
            result=check.result,
            finished_at=self.now(),
        )
        entry = None
        if check.ok:
            assert check.result is not None and check.election_id is not None
            reg = next(r for r in regs if r.fingerprint == check.fingerprint)
            entry = receipt_entry(
                submission_sha256=sub.sha256,
                kind=sub.kind,
                election_id=check.election_id,
                tps=reg.tps,
                pekon=reg.pekon,
                device=reg.fingerprint,
                result_sha256=check.result.statement_sha256,
                log_size=check.result.log_size,
                log_root=check.result.log_root,
                total=check.result.total,
                received_at=sub.received_at,
            ).encode()
        return self.store.finish_submission(done, entry, self.key.sign_checkpoint if entry else None)

    # --------------------------------------------------------- submissions
    def submission(self, submission_id: int) -> Submission | None:
        return self.store.submission(submission_id)

    def submissions(self) -> list[Submission]:
        return self.store.submissions()

    def refused(self) -> list[Submission]:
        return [s for s in self.store.submissions() if s.status == "refused"]

    def receipt(self, submission_id: int) -> Receipt | None:
        sub = self.store.submission(submission_id)
        if sub is None or sub.receipt_index is None:
            return None
        leaves = self.store.leaf_hashes()
        checkpoint = self.store.latest_checkpoint()
        assert checkpoint is not None
        return receipt_from_leaves(
            self.key,
            leaves,
            self.store.log_entry(sub.receipt_index),
            sub.receipt_index,
            _checkpoint_for(checkpoint, leaves, self.key),
        )

    def verifier_key(self) -> str:
        return self.key.verifier_key()

    def checkpoint(self) -> str | None:
        return self.store.latest_checkpoint()

    # ---------------------------------------------------------- the places
    def places(self, *, receipts: bool = False) -> list[Place]:
        """Every registered polling place, sorted by area; ``receipts`` also makes each counted result's
        receipt (an inclusion proof each: ask only when showing them)."""
        return self._places(self.store.submissions(), self.store.registrations(), receipts)

    def place(self, election_id: str) -> Place | None:
        """One polling place, with its receipt."""
        regs = [r for r in self.store.registrations() if r.election_id == election_id]
        if not regs:
            return None
        subs = [s for s in self.store.submissions() if s.election_id == election_id]
        return self._places(subs, regs, True)[0]

    def _places(self, subs: list[Submission], regs: list[Registration], with_receipts: bool) -> list[Place]:
        resolutions = {r.election_id: r for r in self.store.resolutions()}
        by_election: dict[str, list[Submission]] = defaultdict(list)
        for s in subs:
            if s.election_id:
                by_election[s.election_id].append(s)
        groups: dict[str, list[Registration]] = defaultdict(list)
        for r in regs:
            groups[r.election_id].append(r)
        leaves: list[bytes] | None = None
        places = []
        for election_id, group in groups.items():
            mine = by_election.get(election_id, [])
            accepted = [s for s in mine if s.status == "accepted" and s.result is not None]
            distinct: dict[str, Result] = {}
            bundled: set[str] = set()
            for s in accepted:
                assert s.result is not None
                sha = s.result.statement_sha256
                if s.kind == "bundle":
                    bundled.add(sha)
                    distinct[sha] = s.result  # the bundle's result knows its ballots and events
                else:
                    distinct.setdefault(sha, s.result)
            resolution = resolutions.get(election_id)
            counted: Result | None = None
            if len(distinct) == 1:
                counted = next(iter(distinct.values()))
            elif len(distinct) > 1 and resolution is not None and resolution.statement_sha256 in distinct:
                counted = distinct[resolution.statement_sha256]
            if counted is not None:
                state = "verified" if counted.statement_sha256 in bundled else "provisional"
            elif distinct:
                state = "conflict"
            elif any(s.status == "refused" for s in mine):
                state = "refused"
            else:
                state = "missing"
            receipt = None
            first_at = None
            if counted is not None:
                carrying = [s for s in accepted if s.result and s.result.statement_sha256 == counted.statement_sha256]
                first_at = min(s.received_at for s in carrying)
                best = next((s for s in carrying if s.kind == "bundle"), carrying[0])
                if best.receipt_index is not None and with_receipts:
                    if leaves is None:
                        leaves = self.store.leaf_hashes()
                    checkpoint = _checkpoint_for(self.store.latest_checkpoint() or "", leaves, self.key)
                    receipt = receipt_from_leaves(
                        self.key, leaves, self.store.log_entry(best.receipt_index), best.receipt_index, checkpoint
                    )
            places.append(
                Place(
                    registration=group[0],
                    devices=tuple(r.fingerprint for r in group),
                    state=state,  # type: ignore[arg-type]
                    result=counted,
                    results=tuple(distinct.values()),
                    submissions=tuple(mine),
                    first_counted_at=first_at,
                    resolution=resolution if len(distinct) > 1 else None,
                    receipt=receipt,
                )
            )
        places.sort(key=lambda p: registry.sort_key(p.registration))
        return places

    def conflicts(self) -> list[Place]:
        """Places with more than one signed result: unresolved ones first, then resolved ones."""
        places = [p for p in self.places() if len(p.results) > 1]
        return sorted(places, key=lambda p: p.state != "conflict")

    def missing(self) -> list[Place]:
        return [p for p in self.places() if p.state in ("missing", "refused")]

    def resolve(self, election_id: str, statement_sha256: str, *, by: str, reason: str) -> Place:
        """The committee decides which of a polling place's signed results counts (recorded in the log)."""
        place = self.place(election_id)
        if place is None:
            raise RecapError("TPS tidak dikenal", "Unknown polling place", code="unknown_place")
        if len(place.results) < 2:
            raise RecapError("TPS ini tidak dalam konflik", "This polling place is not in conflict", code="no_conflict")
        if statement_sha256 not in {r.statement_sha256 for r in place.results}:
            raise RecapError(
                "Hasil yang dipilih bukan salah satu hasil TPS ini",
                "The chosen result is not one of this polling place's results",
                code="bad_choice",
            )
        if not by.strip() or not reason.strip() or len(reason) > 500:
            raise RecapError(
                "Nama anggota dan alasan (maks. 500 karakter) wajib diisi",
                "The member's name and a reason (at most 500 characters) are required",
                code="bad_choice",
            )
        res = Resolution(election_id, statement_sha256, by.strip()[:100], " ".join(reason.split()), self.now())
        self.store.append_leaf(
            resolution_entry(
                election_id=election_id, result_sha256=statement_sha256, by=res.by, reason=res.reason, at=res.at
            ).encode(),
            self.key.sign_checkpoint,
        )
        self.store.add_resolution(res)
        result = self.place(election_id)
        assert result is not None
        return result

    # -------------------------------------------------------------- totals
    def totals(self) -> Totals:
        places = self.places()
        return Totals(tuple(places), tuple(_areas(places)), self.now())

    def public_place(self, election_id: str) -> dict | None:
        """The public JSON view of one polling place: counts and roots only, never a ballot."""
        p = self.place(election_id)
        if p is None:
            return None
        r, reg = p.result, p.registration
        return {
            "election_id": p.election_id,
            "provinsi": reg.provinsi,
            "kabupaten": reg.kabupaten,
            "kecamatan": reg.kecamatan,
            "pekon": reg.pekon,
            "tps": reg.tps,
            "state": p.state,
            "dpt": reg.dpt,
            "log_size": r.log_size if r else None,
            "log_root": r.log_root if r else None,
            "tally": dict(r.tally) if r else None,
            "total": r.total if r else None,
            "spoiled": r.spoiled if r else None,
            "voters": r.voted if r else None,
            "eligible": r.eligible if r else None,
            "candidates": [{"number": c.number, "name": c.name} for c in reg.candidates],
            "statement_sha256": r.statement_sha256 if r else None,
            "results_in_conflict": len(p.results) if p.state == "conflict" else 0,
            "received_at": p.first_counted_at,
            "receipt": p.receipt.to_json() if p.receipt else None,
            "recap_key": self.key.verifier_key(),
        }

    # ------------------------------------------------------------ progress
    def timezone(self) -> str:
        return self.store.setting("timezone") or DEFAULT_TIMEZONE

    def timezone_label(self) -> str:
        tz = self.timezone()
        return TIMEZONE_LABELS.get(tz, tz)

    def targets(self) -> list[Target]:
        raw = self.store.setting("targets")
        if not raw:
            return list(DEFAULT_TARGETS)
        return [Target(at, float(share)) for at, share in (item.split("=") for item in raw.split(","))]

    def set_targets(self, targets: Sequence[Target], *, by: str) -> None:
        if not 1 <= len(targets) <= 10:
            raise RecapError("Isi 1 sampai 10 target", "Give 1 to 10 targets", code="bad_targets")
        for t in targets:
            if not _valid_hhmm(t.at) or not 0 < t.share <= 1:
                raise RecapError(
                    f"Target tidak sah: {t.at} {t.share:.0%} (jam 00:00-24:00, persen 1-100)",
                    f"Invalid target: {t.at} {t.share:.0%} (time 00:00-24:00, share 1-100%)",
                    code="bad_targets",
                )
        ordered = sorted(targets, key=lambda t: t.at)
        self.store.set_setting("targets", ",".join(f"{t.at}={t.share:g}" for t in ordered))

    def evening_date(self, places: list[Place]) -> dt.date:
        tz = ZoneInfo(self.timezone())
        setting = self.store.setting("evening_date")
        if setting:
            return dt.date.fromisoformat(setting)
        firsts = [parse_utc(p.first_counted_at) for p in places if p.first_counted_at]
        return (min(firsts) if firsts else self.clock()).astimezone(tz).date()

    def progress(self, now: dt.datetime | None = None, *, places: Sequence[Place] | None = None) -> Progress:
        """Share of polling places counted by each hour of the evening, against the committee's targets.

        ``places``: the places a caller already read (``totals().places``), so a page showing both
        reads the store once."""
        now = now or self.clock()
        tz = ZoneInfo(self.timezone())
        places = list(self.places() if places is None else places)
        day = self.evening_date(places)
        start = dt.datetime.combine(day, dt.time(12, 0), tz)
        times = sorted(parse_utc(p.first_counted_at) for p in places if p.first_counted_at)
        # A place counts as verified from the hour its bundle arrived, which may be later than its QR.
        verified_times = sorted(t for p in places if p.state == "verified" and (t := _verified_at(p)) is not None)
        last = max([now.astimezone(tz)] + times)
        end = min(
            max(last, start + dt.timedelta(hours=1)), dt.datetime.combine(day, dt.time(0), tz) + dt.timedelta(days=2)
        )
        total = len(places)
        points = []
        hour = start
        while hour < end:
            nxt = hour + dt.timedelta(hours=1)
            counted = sum(1 for t in times if t < nxt)
            verified = sum(1 for t in verified_times if t < nxt)
            points.append(
                ProgressPoint(
                    hour.strftime("%H:00") if hour.date() == day else hour.strftime("%d/%m %H:00"),
                    counted,
                    verified,
                    counted / total if total else 0.0,
                )
            )
            hour = nxt
        results = []
        for target in self.targets():
            due = _target_time(day, target.at, tz)
            counted_by = sum(1 for when in times if when <= due)
            met = None if now < due and counted_by < target.share * total else counted_by >= target.share * total
            results.append((target, met))
        counted_now = sum(1 for p in places if p.state in ("verified", "provisional"))
        verified_now = sum(1 for p in places if p.state == "verified")
        return Progress(total, counted_now, verified_now, tuple(points), tuple(results), self.timezone_label())

    # -------------------------------------------------------------- export
    def export(self, out_dir: str | Path) -> list[Path]:
        """The three NIST exports, reproducible from the stored bundles (see booth.recap.nist)."""
        from booth.recap import nist

        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecapError(
                f"Tidak bisa menulis ke {out}: {exc.strerror}", f"Cannot write to {out}: {exc.strerror}", code="export"
            ) from None
        places = self.places()
        rows = []
        bundles = []
        subs_by_sha: dict[str, Submission] = {}
        for s in self.store.submissions():
            if s.kind == "bundle" and s.status == "accepted" and s.result:
                subs_by_sha.setdefault(s.result.statement_sha256, s)
        with tempfile.TemporaryDirectory(prefix="recap-export-") as work:
            for p in places:
                reg = p.registration.to_json()
                r = p.result
                rows.append(
                    {
                        **reg,
                        "state": p.state,
                        "tally": dict(r.tally) if r else None,
                        "total": r.total if r else None,
                        "voters": r.voted if r else None,
                        "dptb": p.dptb,
                        "counted_at": p.first_counted_at,
                    }
                )
                if p.state == "verified" and r is not None and r.statement_sha256 in subs_by_sha:
                    sub = subs_by_sha[r.statement_sha256]
                    path = Path(work) / f"{p.election_id}.zip"
                    path.write_bytes(self.store.get_blob(sub.sha256))
                    bundles.append((reg, path))
            return nist.write_exports(out, rows, bundles)


# ------------------------------------------------------------------ helpers
def join_parts(payloads: Sequence[str]) -> list[str]:
    """QR payloads -> whole texts: parts (``B1 i/n h``) of one text joined, whole texts as they are."""
    whole = [p for p in payloads if not p.startswith("B1 ")]
    parts = [p for p in payloads if p.startswith("B1 ")]
    if parts:
        groups: dict[str, list[str]] = defaultdict(list)
        for p in parts:
            groups[p.split("\n", 1)[0].split()[-1]].append(p)
        for group in groups.values():
            try:
                whole.append(join(group))
            except QRPartsError as exc:
                raise RecapError(
                    f"QR berbagian tidak lengkap: {exc}", f"Incomplete multi-part QR: {exc}", code="photo"
                ) from None
    return whole


def _checkpoint_for(latest: str, leaves: list[bytes], key: RecapKey) -> str:
    """The latest stored checkpoint if it covers every leaf read (another process may append between
    the two reads), else a fresh one over exactly those leaves."""
    from booth.ledger import merkle, note

    try:
        size = note.Checkpoint.parse(latest.split("\n\n", 1)[0] + "\n").size
    except (note.NoteError, ValueError):
        size = -1
    if size == len(leaves):
        return latest
    return key.sign_checkpoint(len(leaves), merkle.root(leaves))


def _verified_at(place: Place) -> dt.datetime | None:
    """When the first accepted bundle of ``place`` arrived (UTC), or None."""
    bundles = [s.received_at for s in place.submissions if s.kind == "bundle" and s.status == "accepted"]
    return parse_utc(min(bundles)) if bundles else None


def _valid_hhmm(text: str) -> bool:
    try:
        h, m = text.split(":")
        return len(h) == 2 and len(m) == 2 and (0 <= int(h) <= 23 and 0 <= int(m) <= 59 or text == "24:00")
    except ValueError:
        return False


def _target_time(day: dt.date, hhmm: str, tz) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(0), tz) + dt.timedelta(hours=h, minutes=m)


def _areas(places: list[Place]) -> list[Area]:
    def build(level: str, path: tuple[str, ...], members: list[Place], children: tuple[Area, ...]) -> Area:
        counted = [p for p in members if p.result is not None]
        states: dict[str, int] = defaultdict(int)
        for p in members:
            states[p.state] += 1
        tally = verified_tally = None
        candidates: tuple[Candidate, ...] = ()
        if level == "pekon":
            reg = members[0].registration
            candidates = reg.candidates
            keys = [str(c.number) for c in candidates] + (["blank"] if reg.allow_blank else [])
            tally = dict.fromkeys(keys, 0)
            verified_tally = dict.fromkeys(keys, 0)
            for p in counted:
                assert p.result is not None
                for k, v in p.result.tally.items():
                    tally[k] = tally.get(k, 0) + v
                    if p.state == "verified":
                        verified_tally[k] = verified_tally.get(k, 0) + v
        return Area(
            level=level,  # type: ignore[arg-type]
            name=path[-1],
            path=path,
            places=len(members),
            states=dict(states),
            dpt=sum(p.registration.dpt for p in members),
            dptb=sum(p.dptb or 0 for p in counted),
            voted=sum(p.result.voted for p in counted if p.result),
            valid=sum(p.result.total for p in counted if p.result),
            eligible_counted=sum(p.result.eligible for p in counted if p.result),
            verified_valid=sum(p.result.total for p in counted if p.result and p.state == "verified"),
            spoiled=sum(p.result.spoiled or 0 for p in counted if p.result),
            tally=tally,
            candidates=candidates,
            children=children,
            verified_tally=verified_tally,
        )

    tree: dict[str, dict[str, dict[str, list[Place]]]] = {}
    for p in places:
        r = p.registration
        tree.setdefault(r.kabupaten, {}).setdefault(r.kecamatan, {}).setdefault(r.pekon, []).append(p)
    kabupaten_areas = []
    for kab, kecs in sorted(tree.items()):
        kec_areas = []
        kab_members: list[Place] = []
        for kec, pekons in sorted(kecs.items()):
            pekon_areas = []
            kec_members: list[Place] = []
            for pekon, members in sorted(pekons.items()):
                pekon_areas.append(build("pekon", (kab, kec, pekon), members, ()))
                kec_members += members
            kec_areas.append(build("kecamatan", (kab, kec), kec_members, tuple(pekon_areas)))
            kab_members += kec_members
        kabupaten_areas.append(build("kabupaten", (kab,), kab_members, tuple(kec_areas)))
    return kabupaten_areas
