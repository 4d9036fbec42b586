"""The booth's one client API: every rule of the election day, behind one guard.

The kiosk and the simulator talk to the core only through :class:`BoothService`
(in-process here; on the appliance the ``booth-ledger`` service serves the same
methods over a Unix socket).  Arguments and results are plain JSON-friendly
values, so the socket layer is a thin mapping.  The ledger service never
touches the screen, the printer or the camera: the kiosk prints what
``cast`` and the report methods return, and tells the core what happened.

Who may call what:

* the voter's side of the kiosk (no PIN): ``voter_screen``, ``cast``,
  ``slip_printed``, ``slip_failed``, ``store_photo``, ``photo_failed``,
  ``expire_release`` — each only within a release a companion made;
* companions, after ``sign_in`` with their PIN: everything else, as the role
  table in ``booth.companions.PERMISSIONS`` allows, each logged with their ID;
* the committee: ``load_election`` (the package carries its signature) and
  ``committee_reset`` (a reset file signed with the committee key).

Every refusal is a ``booth.errors.BoothError`` with Indonesian and English
words, and changes nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from booth import companions as comp
from booth import polls
from booth.day import Day
from booth.errors import (
    AlreadyVoted, BadInput, LockedOut, NotAllowed, NotSignedIn, PackageRefused,
    PermissionDenied, TooSoon, UnknownVoter, WrongPin,
)
from booth.ledger.clock import SystemClock, utc_text
from booth.ledger.keys import short_fingerprint
from booth.ledger.ledger import Ledger

ELECTION_DIR = "election"
VAULT_NAME = "vault.db"


@dataclass(frozen=True)
class Settings:
    """Configurable rules of the day (defaults are the field defaults)."""

    min_cast_interval: float = 10.0  # seconds between casts (ballot-stuffing guard)
    release_timeout: float = 300.0  # a release not cast within this may be expired
    companion_idle_timeout: float = 300.0  # a signed-in companion is signed out after this
    slot_margin: float = 0.25  # extra ballot slots beyond the DPT, prepared at opening
    min_slots: int = 50
    pin_scrypt_n: int = comp.SCRYPT_N


@dataclass
class _Session:
    companion: str
    role: str
    last_seen: int  # monotonic ns
    secret: object | None  # the photo vault secret, unwrapped with this companion's PIN


class BoothService:
    """The ledger service's API for one device (one state directory)."""

    def __init__(self, ledger: Ledger, *, clock=None, settings: Settings | None = None) -> None:
        self.ledger = ledger
        self.clock = clock or ledger.clock
        self.settings = settings or Settings()
        self.state_dir = ledger.state_dir
        self.day = Day()
        for entry in ledger.entries():
            self.day.apply(entry)
        self.package = None
        self._index = None
        self._vault = None
        self._enroll_secret = None
        self._sessions: dict[str, _Session] = {}
        self._reprint_by: str | None = None
        if self.day.election_id:
            self._load_stored_package()
        if not ledger.sealed:
            self._recover()

    # ------------------------------------------------------------- lifecycle
    @classmethod
    def provision(cls, state_dir: Path, *, clock=None, settings: Settings | None = None) -> "BoothService":
        """A new device: key, empty ledger."""
        return cls(Ledger.create(Path(state_dir), clock=clock or SystemClock()), settings=settings)

    @classmethod
    def open(cls, state_dir: Path, *, clock=None, settings: Settings | None = None) -> "BoothService":
        """Start on an existing device: replay the log and resume where the day was."""
        return cls(Ledger.open(Path(state_dir), clock=clock or SystemClock()), settings=settings)

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
        self.ledger.close()

    def _append(self, type: str, actor: str, payload: dict | None = None, **kw):
        if self.ledger.sealed:
            raise NotAllowed("Perangkat sudah disegel; data hanya bisa dibaca",
                             "The device is packed; its record is read-only")
        entry = self.ledger.append(type, actor, payload or {}, **kw)
        self.day.apply(entry)
        return entry

    def _fold_latest(self) -> None:
        """Fold in the event a ledger method appended itself (slots, close, cast)."""
        self.day.apply(self.ledger.entry(self.ledger.size - 1))

    def _recover(self) -> None:
        """After a restart: cancel a release nobody voted on; keep a cast's slip for reprint."""
        current = self.day.current
        note = {"polls": self.day.polls}
        if current is not None and not current.cast:
            self._append("ballot.release_cancelled", "system",
                         {"release": current.id, "reason": "device restarted before the vote"})
            note["cancelled_release"] = current.id
        elif current is not None and current.stage == "printing":
            # cast, but the slip was never confirmed: treat as a failed print, a
            # companion reprints it.  Never a second cast.
            self._append("slip.print_failed", "system",
                         {"release": current.id, "error": "device restarted before the slip was confirmed"})
            note["slip_to_reprint"] = current.id
        self._append("device.started", "system", note)

    # ------------------------------------------------------------- the guard
    def _now(self) -> dt.datetime:
        return self.clock.now()

    def _since(self, moment) -> float:
        """Seconds since ``moment`` (a ``day.Moment``): on the monotonic clock within
        the same boot, so correcting the wall clock never stops or stretches a
        wait; across a reboot, wall time, never negative."""
        if moment.boot == self.clock.boot:
            return (self.clock.monotonic_ns() - moment.mono_ns) / 1e9
        return max(0.0, (self._now() - moment.wall).total_seconds())

    def _session(self, token: str | None) -> _Session:
        session = self._sessions.get(token) if isinstance(token, str) else None
        if session is None:
            raise NotSignedIn("Silakan masuk dengan PIN petugas", "Please sign in with a companion PIN")
        idle = (self.clock.monotonic_ns() - session.last_seen) / 1e9
        if idle > self.settings.companion_idle_timeout:
            del self._sessions[token]
            self._append("companion.logout", session.companion, {"companion": session.companion, "reason": "idle"})
            raise NotSignedIn("Sesi petugas berakhir karena tidak aktif. Masuk lagi dengan PIN",
                              "Companion session ended after inactivity. Sign in again")
        session.last_seen = self.clock.monotonic_ns()
        return session

    def _require(self, action: str, token: str | None, *, states: set[str] | None = None) -> _Session:
        """The one guard: signed in, role allowed, device not packed, polls state right."""
        session = self._session(token)
        if session.role not in comp.PERMISSIONS[action]:
            raise PermissionDenied(
                f"Peran {session.role} tidak boleh melakukan ini", f"Role {session.role} may not do this",
                action=action)
        if self.ledger.sealed:
            raise NotAllowed("Perangkat sudah disegel; data hanya bisa dibaca", "The device is packed; read only")
        if states is not None and self.day.polls not in states:
            words = polls.STATE_WORDS[self.day.polls]
            raise NotAllowed(f"Tidak bisa sekarang: {words[0]}", f"Not possible now: {words[1]}",
                             polls=self.day.polls)
        return session

    def _transition(self, name: str) -> None:
        if not polls.can(name, self.day.polls):
            words = polls.STATE_WORDS[self.day.polls]
            raise NotAllowed(f"Tidak bisa sekarang: {words[0]}", f"Not possible now: {words[1]}",
                             polls=self.day.polls, transition=name)

    # ------------------------------------------------------------ information
    def status(self) -> dict:
        """What the companion's home screen shows."""
        d = self.day
        pkg = self.package
        return {
            "polls": d.polls,
            "polls_words": polls.STATE_WORDS[d.polls],
            "device": short_fingerprint(self.ledger.key.fingerprint),
            "election_id": d.election_id,
            "election_short_id": pkg.short_id if pkg else None,
            "election_title": pkg.election.title if pkg else None,
            "custody_done": d.custody_done,
            "custody_next": polls.next_custody_stage(d.custody_done),
            "zero_report_printed": d.zero_report_printed,
            "counts": self.counts(),
            "voter_screen": self.voter_screen(),
            "empty_slots": self.ledger.empty_slots,
            "sealed": self.ledger.sealed,
            "log_size": self.ledger.size,
            "time": utc_text(self._now()),
        }

    def counts(self) -> dict:
        d = self.day
        return {
            "dpt": len(self.package.voters) if self.package else 0,
            "dptb": len(d.dptb),
            "checked_in": len(d.checked_in),
            "voted": len(d.voted),
            "ballots_cast": d.casts,
            "ballots_stored": self.ledger.ballots_cast,
            "slips_printed": d.slips_printed,
            "slip_failures": d.slip_failures,
            "reprints": d.reprints,
            "releases": d.releases,
            "cancelled": d.cancellations,
            "refused": d.refusals,
            "photos": d.photos,
            "photos_skipped": d.photos_skipped,
        }

    def device_fingerprint(self) -> str:
        return self.ledger.key.fingerprint

    def latest_checkpoint(self) -> str:
        return self.ledger.latest_checkpoint()

    def election_info(self) -> dict:
        """The election and the candidate table (for the ballot and for checking against paper)."""
        pkg = self._need_package()
        e = pkg.election
        return {
            "election_id": pkg.election_id,
            "short_id": pkg.short_id,
            "title": e.title, "pekon": e.pekon, "kecamatan": e.kecamatan, "kabupaten": e.kabupaten,
            "provinsi": e.provinsi, "tps": e.tps, "date": e.date.isoformat(),
            "opens_at": e.opens_at.isoformat(), "closes_at": e.closes_at.isoformat(),
            "timezone": e.timezone_label, "allow_blank": e.allow_blank,
            "candidates": [{"number": c.number, "name": c.name} for c in pkg.candidates],
            "companions": [{"id": c.id, "name": c.name, "role": c.role,
                            "has_pin": c.id in self.day.pins_set, "locked": c.id in self.day.locked}
                           for c in pkg.companions],
            "committee_fingerprint": pkg.committee.fingerprint,
        }

    def candidate_photo(self, number: int) -> bytes:
        pkg = self._need_package()
        for c in pkg.candidates:
            if c.number == number:
                return pkg.photo_of(c)
        raise BadInput("Nomor urut tidak ada", "No such candidate number")

    def voter_screen(self) -> dict:
        """What the voter's screen should show now (the kiosk asks after every change)."""
        current = self.day.current
        if self.day.polls != polls.OPEN and (current is None or current.stage == "voting"):
            return {"screen": "closed" if self.day.polls in (polls.CLOSED, polls.COUNTED, polls.PACKED)
                    else "paused" if self.day.polls == polls.PAUSED else "not_open"}
        if current is None:
            return {"screen": "waiting"}
        screen = {"voting": "ballot", "printing": "printing", "print_failed": "print_failed",
                  "photo": "photo"}[current.stage]
        return {"screen": screen, "release": current.id}

    def _need_package(self):
        if self.package is None:
            raise NotAllowed("Paket pemilihan belum dimuat", "No election package loaded")
        return self.package

    # ------------------------------------------------------ election package
    def _load_stored_package(self) -> None:
        from booth.election_package import PackageError, load_package
        from booth.ledger.vault import PhotoVault
        from booth.voter_search import VoterIndex

        try:
            pkg = load_package(self.state_dir / ELECTION_DIR)
        except PackageError as exc:
            raise RuntimeError(f"the stored election package no longer loads: {exc}") from None
        if pkg.election_id != self.day.election_id:
            raise RuntimeError("the stored election package is not the one the log names")
        self.package = pkg
        self._index = VoterIndex(list(pkg.voters) + [self._dptb_voter(p) for p in self.day.dptb.values()])
        if (self.state_dir / VAULT_NAME).exists():
            self._vault = PhotoVault.open(self.state_dir / VAULT_NAME)

    def load_election(self, package_path: str, *, trusted_committee_key: bytes | None = None) -> dict:
        """Load and check the committee's signed package; keep a copy in the state directory.

        Allowed before any companion has set a PIN (it is the committee's act at
        the warehouse); a corrected package may replace it until then.
        """
        from booth.election_package import PackageError, load_package

        if not isinstance(package_path, str) or not package_path or len(package_path) > 4096 \
                or not _is_text(package_path):
            raise PackageRefused("Paket pemilihan tidak ditemukan: lokasinya tidak sah",
                                 "Election package not found: invalid location")
        if trusted_committee_key is not None and (
                not isinstance(trusted_committee_key, (bytes, bytearray)) or len(trusted_committee_key) != 32):
            raise BadInput("Kunci panitia tidak sah", "Not a committee public key")
        self._transition("load_election")
        if self.ledger.sealed:
            raise NotAllowed("Perangkat sudah disegel", "The device is packed")
        if self.day.pins_set:
            raise NotAllowed("Paket tidak bisa diganti setelah serah terima dan PIN dibuat",
                             "The package cannot be replaced after handover")
        trusted = trusted_committee_key or self._pinned_committee_key()
        try:
            pkg = load_package(package_path, trusted_committee_key=trusted)
        except PackageError as exc:
            problems = [f"{p.file[:80]}{':' + str(p.line) if p.line else ''}: {p.message_id[:160]}"
                        for p in exc.problems][:20]
            raise PackageRefused("Paket pemilihan ditolak: " + "; ".join(problems[:3]),
                                 "Election package refused: " + str(exc)[:300], problems=problems) from None
        target = self.state_dir / ELECTION_DIR
        staging = self.state_dir / (ELECTION_DIR + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name, data in _package_files(Path(package_path)).items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        self._append("election.loaded", "panitia", {
            "election_id": pkg.election_id, "short_id": pkg.short_id, "candidates": len(pkg.candidates),
            "allow_blank": pkg.election.allow_blank, "dpt": len(pkg.voters),
            "committee": pkg.committee.fingerprint,
        })
        self.package = None
        self._load_stored_package()
        self._new_vault()
        return self.election_info()

    def _new_vault(self) -> None:
        """A fresh, empty photo vault for the loaded election (only before any PIN exists)."""
        from booth.ledger.vault import PhotoVault

        assert not self.day.pins_set, "the vault is only remade before any companion has a PIN"
        if self._vault is not None:
            self._vault.close()
        for suffix in ("", "-wal", "-shm"):
            (self.state_dir / (VAULT_NAME + suffix)).unlink(missing_ok=True)
        self._vault, self._enroll_secret = PhotoVault.create(
            self.state_dir / VAULT_NAME, self.package.election_id, self.package.committee.x25519())

    def _pinned_committee_key(self):
        value = self.ledger.get_state("committee_key")
        return base64.b64decode(value) if value else None

    def pin_committee_key(self, raw_public_key: bytes) -> None:
        """At provisioning: only packages signed by this committee key will load (logged, once)."""
        if not isinstance(raw_public_key, (bytes, bytearray)) or len(raw_public_key) != 32:
            raise BadInput("Kunci panitia tidak sah", "Not a committee public key")
        if self.day.polls != polls.UNCONFIGURED or self.ledger.get_state("committee_key"):
            raise NotAllowed("Kunci panitia hanya ditetapkan sekali, sebelum paket dimuat",
                             "The committee key is pinned once, before any package is loaded")
        value = base64.b64encode(bytes(raw_public_key)).decode()
        self._append("device.committee_key", "panitia", {"committee_key": value},
                     state={"committee_key": value})

    # ------------------------------------------------------------ companions
    def _companion(self, companion_id: str):
        pkg = self._need_package()
        for c in pkg.companions:
            if c.id == companion_id:
                return c
        raise BadInput("Petugas tidak dikenal", "Unknown companion", companion=str(companion_id)[:40])

    def set_first_pin(self, companion_id: str, pin: str, token: str | None = None) -> None:
        """At handover each companion makes their PIN (6 to 12 digits).

        During the handover sitting (the package loaded, the vault's secret
        still in hand, before activation) no token is needed.  Later — a
        companion joining after a restart or after activation — the ketua
        signs in and passes their ``token``: their PIN unlocked the vault's
        secret that the new companion's PIN will wrap (role ``enroll``).
        """
        c = self._companion(companion_id)
        if self.ledger.sealed:
            raise NotAllowed("Perangkat sudah disegel", "The device is packed")
        if c.id in self.day.pins_set:
            raise NotAllowed("Petugas ini sudah punya PIN", "This companion already has a PIN")
        problem = comp.check_pin_format(pin)
        if problem:
            raise BadInput(problem, "PIN must be 6 to 12 digits and not trivial")
        secret = self._enroll_secret
        if token is not None:
            secret = self._require("enroll", token).secret
        if secret is None and not self.day.pins_set:
            # Nobody has a PIN yet, so no photo can have been stored and no
            # wrap of the vault's secret exists: after a restart between the
            # warehouse and the handover the empty vault is simply made anew.
            self._new_vault()
            secret = self._enroll_secret
        if secret is None:
            raise NotAllowed("Ketua harus masuk dengan PIN dulu untuk mendaftarkan petugas ini",
                             "The coordinator must sign in first to enrol this companion")
        self._vault.wrap_for_companion(c.id, pin, secret, scrypt_n=self.settings.pin_scrypt_n)
        self._append("companion.pin_set", c.id, {"companion": c.id},
                     state={f"pin:{c.id}": comp.hash_pin(pin, n=self.settings.pin_scrypt_n)})

    def sign_in(self, companion_id: str, pin: str) -> str:
        """Check a companion's PIN; return a session token.  Wrong PINs lock out (see lockout)."""
        c = self._companion(companion_id)
        if c.id not in self.day.pins_set:
            raise NotAllowed("Petugas ini belum membuat PIN", "This companion has not made a PIN yet")
        misses, last = self.day.misses.get(c.id, (0, None))
        rule = comp.lockout(misses, None if last is None else self._since(last))
        if c.id in self.day.locked or rule.locked:
            raise LockedOut("PIN terkunci. Hubungi panitia untuk membuka", "PIN locked. Ask the committee to unlock",
                            locked=True, wait_seconds=0)
        if not rule.allowed:
            raise LockedOut(f"Terlalu banyak PIN salah. Tunggu {rule.wait_seconds} detik",
                            f"Too many wrong PINs. Wait {rule.wait_seconds} seconds",
                            locked=False, wait_seconds=rule.wait_seconds)
        stored = self.ledger.get_state(f"pin:{c.id}")
        if not isinstance(pin, str) or stored is None or not comp.pin_matches(pin, stored):
            self._append("companion.login_failed", c.id, {"companion": c.id, "misses": misses + 1})
            if misses + 1 >= comp.LOCK_AFTER_MISSES:
                self._append("companion.locked", "system", {"companion": c.id})
            left = max(0, comp.FREE_MISSES - misses - 1)
            raise WrongPin(f"PIN salah. Sisa {left} percobaan sebelum harus menunggu" if left else "PIN salah",
                           f"Wrong PIN. {left} tries left before a wait" if left else "Wrong PIN",
                           misses=misses + 1)
        secret = None
        if self._vault is not None:
            from booth.ledger.vault import VaultError
            try:
                secret = self._vault.unlock(c.id, pin)
            except VaultError:
                secret = None  # photos stay closed to this companion; voting goes on
        token = secrets.token_urlsafe(24)
        self._sessions[token] = _Session(c.id, c.role, self.clock.monotonic_ns(), secret)
        self._append("companion.login", c.id, {"companion": c.id})
        return token

    def sign_out(self, token: str) -> None:
        if not isinstance(token, str):
            raise NotSignedIn("Silakan masuk dengan PIN petugas", "Please sign in with a companion PIN")
        session = self._sessions.pop(token, None)
        if session is not None:
            self._append("companion.logout", session.companion, {"companion": session.companion, "reason": "signed out"})

    def whoami(self, token: str) -> dict:
        s = self._session(token)
        c = self._companion(s.companion)
        return {"id": c.id, "name": c.name, "role": c.role}

    def committee_reset(self, reset_file_text: str) -> dict:
        """Unlock a locked companion with a reset file signed by the committee key."""
        from booth.committee_reset import ResetError, open_reset

        pkg = self._need_package()
        try:
            companion_id, nonce = open_reset(reset_file_text, pkg.committee.ed25519(), pkg.election_id,
                                             self.day.reset_nonces)
        except ResetError as exc:
            raise BadInput(f"Berkas buka-kunci ditolak: {exc.message_id}", f"Reset file refused: {exc}") from None
        self._companion(companion_id)
        if self.ledger.sealed:
            raise NotAllowed("Perangkat sudah disegel", "The device is packed")
        self._append("companion.reset", "panitia", {"companion": companion_id, "nonce": nonce})
        return {"companion": companion_id}

    # --------------------------------------------------------------- custody
    def record_custody(self, stage: str, *, token: str | None = None, companion_id: str | None = None,
                       place: str = "", note: str = "", self_test: dict | None = None) -> None:
        """Record a custody step (received, distributed, handed over, installed).

        Before handover no companion has a PIN yet, so ``received`` and
        ``distributed`` name the companion (``companion_id``) without one; from
        handover on a signed-in companion records the step.
        """
        if stage not in polls.MANUAL_CUSTODY:
            raise BadInput("Tahap serah terima tidak dikenal", "Unknown custody stage", stage=str(stage)[:40])
        _check_text(place, "tempat", "place", 120)
        _check_text(note, "catatan", "note", 500)
        if stage in ("received", "distributed") and token is None:
            actor = self._companion(companion_id or "").id
            if self.ledger.sealed:
                raise NotAllowed("Perangkat sudah disegel", "The device is packed")
        else:
            actor = self._require("custody", token).companion
        self._need_package()
        expected = polls.next_custody_stage(self.day.custody_done)
        if stage != expected:
            raise NotAllowed(f"Tahap berikutnya adalah {_stage_words(expected)[0]}",
                             f"The next step is {_stage_words(expected)[1]}", expected=expected)
        if stage == "installed":
            if not self_test:
                raise BadInput("Jalankan uji perangkat keras dulu", "Run the hardware self-test first")
            _check_results(self_test)
        elif self_test is not None:
            raise BadInput("Hasil uji hanya untuk tahap dipasang", "Self-test results belong to 'installed'")
        payload = {"place": place, "note": note, "authenticated": token is not None}
        if self_test is not None:
            payload["self_test"] = self_test
        self._append(f"custody.{stage}", actor, payload)

    def record_self_test(self, token: str, results: dict) -> None:
        s = self._require("self_test", token)
        _check_results(results)
        self._append("hardware.self_test", s.companion, {"results": results})

    def custody_trail(self) -> list[dict]:
        return [{"stage": s.stage, "words": _stage_words(s.stage), "time": s.time, "actor": s.actor,
                 "place": s.place, "note": s.note, "seq": s.seq} for s in self.day.custody]

    # ----------------------------------------------------------------- polls
    def zero_report(self, token: str) -> dict:
        """The data of the zero report (every candidate at 0) for the kiosk to print."""
        self._require("zero_report", token, states={polls.CONFIGURED})
        if self.ledger.ballots_cast:
            raise NotAllowed("Kotak suara tidak kosong", "The ballot store is not empty")
        if "installed" not in self.day.custody_done:
            raise NotAllowed("Catat pemasangan dan uji perangkat dulu", "Record installation and self-test first")
        return self._report_base("zero")

    def zero_report_printed(self, token: str) -> None:
        s = self._require("zero_report", token, states={polls.CONFIGURED})
        if "installed" not in self.day.custody_done:
            raise NotAllowed("Catat pemasangan dan uji perangkat dulu", "Record installation and self-test first")
        first = "activated" not in self.day.custody_done
        self._append("polls.zero_report", s.companion, {"ballots": self.ledger.ballots_cast})
        self._enroll_secret = None  # activation ends the handover sitting
        if first:
            self._append("custody.activated", s.companion, {"place": self._place(), "note": "laporan nol dicetak"})

    def open_polls(self, token: str) -> None:
        s = self._require("open_polls", token)
        self._transition("open_polls")
        if not self.day.zero_report_printed:
            raise NotAllowed("Cetak laporan nol dulu dan minta saksi menandatangani",
                             "Print the zero report first and have the witnesses sign it")
        if self.ledger.ballots_cast:
            raise NotAllowed("Kotak suara tidak kosong", "The ballot store is not empty")
        pkg = self._need_package()
        slots = max(self.settings.min_slots, int(len(pkg.voters) * (1 + self.settings.slot_margin)))
        if self.ledger.empty_slots < slots:
            self.ledger.add_ballot_slots(slots - self.ledger.empty_slots, actor=s.companion)
            self._fold_latest()
        self._append("polls.opened", s.companion, {})
        self._append("custody.voting_opened", s.companion, {"place": self._place(), "note": ""})

    def pause(self, token: str, reason: str = "") -> None:
        s = self._require("pause", token)
        _check_text(reason, "alasan", "reason", 200)
        self._transition("pause")
        if self.day.current is not None and self.day.current.stage == "voting":
            raise NotAllowed("Tunggu pemilih di bilik selesai memilih, atau batalkan surat suaranya",
                             "Wait for the voter in the booth to finish, or cancel the release")
        self._append("polls.paused", s.companion, {"reason": reason})

    def resume(self, token: str) -> None:
        s = self._require("resume", token)
        self._transition("resume")
        self._append("polls.resumed", s.companion, {})

    def close_polls(self, token: str, reason: str | None = None) -> None:
        """Close the polls; before the scheduled time only with a reason (logged)."""
        s = self._require("close_polls", token)
        self._transition("close_polls")
        if self.day.current is not None:
            raise NotAllowed("Selesaikan dulu pemilih yang sedang memilih", "Finish the voter in the booth first")
        early = self._now() < self._need_package().election.closes_at
        if early and not (isinstance(reason, str) and reason.strip()):
            raise NotAllowed("Belum waktunya tutup. Tutup lebih awal hanya dengan alasan",
                             "It is not closing time yet. Closing early needs a reason", early=True)
        if reason is not None:
            _check_text(reason, "alasan", "reason", 300)
        self.ledger.close_ballot_box(s.companion, {"early": early, "reason": reason if early else None})
        self._fold_latest()

    def count(self, token: str) -> dict:
        """Count the ballot store, reconcile, log it, and return the results."""
        from booth.tally import reconcile, tally_from_store

        s = self._require("count", token)
        self._transition("count")
        pkg = self._need_package()
        tally = tally_from_store(self.ledger.tally(), pkg)
        rec = reconcile({**self.counts(), "votes_counted": sum(tally.values())})
        self._append("polls.counted", s.companion, {"tally": tally, "reconciliation": rec})
        self._append("custody.counting", s.companion, {"place": self._place(), "note": ""})
        return self.results()

    def results(self) -> dict:
        """The counted results with the signed statement (QR payload) for the results report."""
        from booth.results import results_statement
        from booth.tally import reconcile

        if self.day.tally is None:
            raise NotAllowed("Suara belum dihitung", "Votes have not been counted")
        base = self._report_base("results")
        base["tally"] = self.day.tally
        base["reconciliation"] = reconcile({**self.counts(), "votes_counted": sum(self.day.tally.values())})
        base["statement"] = results_statement(self.ledger, self.package, self.day.tally,
                                              base["reconciliation"],
                                              checkpoint=self.ledger.checkpoint(self.day.counted_size))
        base["copies_printed"] = self.day.results_printed
        return base

    def results_printed(self, token: str) -> None:
        s = self._require("results_report", token, states={polls.COUNTED})
        self._append("polls.results_printed", s.companion, {"copy": self.day.results_printed + 1})

    def export(self, token: str, out_path: str) -> str:
        """Write the signed results bundle for the district (log, ballots, results, custody)."""
        from booth.ledger.bundle import write_bundle

        s = self._require("export", token, states={polls.COUNTED})
        if self.day.results_printed == 0:
            raise NotAllowed("Cetak laporan hasil dulu, baru ekspor", "Print the results report before exporting")
        if not isinstance(out_path, str) or not out_path or len(out_path) > 4096 or not _is_text(out_path):
            raise BadInput("Lokasi ekspor tidak sah", "Invalid export location")
        try:
            write_bundle(self.ledger, Path(out_path), self._bundle_extras())
        except OSError as exc:
            raise BadInput(f"Tidak bisa menulis ke {out_path[:100]}: periksa flashdisk",
                           f"Cannot write {out_path[:100]}: check the USB stick ({exc.strerror})") from None
        # logged only once the file is really there; the bundle holds the log up to the count
        self._append("polls.exported", s.companion, {"file": Path(out_path).name[:100]})
        return out_path

    def _bundle_extras(self) -> dict[str, bytes]:
        res = self.results()
        return {
            "results.txt": res["statement"].encode(),
            "custody.json": json.dumps(self.custody_trail(), ensure_ascii=False, indent=1).encode(),
            "berita-acara.json": json.dumps({k: v for k, v in res.items() if k != "statement"},
                                            ensure_ascii=False, indent=1, default=str).encode(),
        }

    def pack(self, token: str) -> None:
        s = self._require("pack", token)
        self._transition("pack")
        if self.day.exports == 0:
            raise NotAllowed("Ekspor hasil dulu sebelum mengemas", "Export the results before packing")
        self._append("custody.packed", s.companion, {"place": self._place(), "note": "perangkat dikemas"})
        self._append("polls.packed", s.companion, {})
        self._sessions.clear()
        self._enroll_secret = None

    def _place(self) -> str:
        e = self._need_package().election
        return f"TPS {e.tps:02d}, Pekon {e.pekon}"

    def _report_base(self, kind: str) -> dict:
        info = self.election_info()
        info.update(kind=kind, device=self.ledger.key.fingerprint,
                    device_short=short_fingerprint(self.ledger.key.fingerprint),
                    checkpoint=self.ledger.latest_checkpoint(), printed_at=utc_text(self._now()),
                    counts=self.counts())
        return info

    # ------------------------------------------------------------- voters
    def search_voters(self, token: str, query: str, limit: int = 10) -> list[dict]:
        self._require("check_in", token)
        if not isinstance(query, str) or not query.strip() or len(query) > 100 or not _is_text(query):
            raise BadInput("Ketik NIK atau nama pemilih", "Type the voter's NIK or name")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 50:
            raise BadInput("Jumlah hasil harus 1 sampai 50", "The number of results must be 1 to 50")
        self._need_package()
        matches = self._index.search(query, limit=limit)
        return [self._voter_row(m.voter, score=m.score, why=m.why_id or m.why) for m in matches]

    def _voter_row(self, v, **extra) -> dict:
        status = ("voted" if v.ref in self.day.voted else
                  "in_booth" if self.day.current and self.day.current.voter == v.ref else
                  "checked_in" if v.ref in self.day.checked_in else "not_voted")
        return {"ref": v.ref, "name": v.name, "nik": v.nik, "sex": v.sex, "birth_date": v.birth_date.isoformat(),
                "address": v.address, "rt": v.rt, "rw": v.rw, "list": v.list, "status": status, **extra}

    def _voter(self, ref: str):
        self._need_package()
        v = self._index.by_ref(ref) if isinstance(ref, str) else None
        if v is None:
            raise UnknownVoter("Nama tidak terdaftar dalam DPT", "Not on the voter list")
        return v

    def check_in(self, token: str, voter_ref: str) -> dict:
        """Verification: the companion confirms the person; a voter who voted is refused."""
        s = self._require("check_in", token, states={polls.OPEN, polls.PAUSED})
        v = self._voter(voter_ref)
        if v.ref in self.day.voted:
            self._append("voter.refused", s.companion, {"voter": v.ref, "reason": "already_voted"})
            has_photo = bool(self._vault and self._vault.has_photo(v.ref))
            raise AlreadyVoted("Pemilih ini sudah memilih", "This voter has already voted",
                               voter=v.ref, has_photo=has_photo)
        if v.ref not in self.day.checked_in:
            self._append("voter.checked_in", s.companion, {"voter": v.ref, "list": v.list})
        return self._voter_row(v)

    def add_dptb(self, token: str, *, nik: str, name: str, sex: str, birth_date: str, address: str = "",
                 rt: str = "", rw: str = "", reason: str) -> dict:
        """Add a voter who is not on the DPT to the DPTb, with the reason (logged)."""
        from booth.nik import InvalidNik, clean_nik, nik_mismatches, parse_nik

        s = self._require("add_dptb", token, states={polls.OPEN, polls.PAUSED})
        pkg = self._need_package()
        if not isinstance(nik, str) or len(nik) > 40 or not _is_text(nik):
            raise BadInput("NIK tidak sah: harus 16 angka", "Invalid NIK: it must be 16 digits")
        if not isinstance(birth_date, str) or len(birth_date) > 20:
            raise BadInput("Tanggal lahir tidak sah (TTTT-BB-HH)", "Invalid birth date (YYYY-MM-DD)")
        _check_text(name, "nama", "name", 100, required=True)
        _check_text(reason, "alasan", "reason", 200, required=True)
        for value, wid, wen in ((address, "alamat", "address"), (rt, "RT", "RT"), (rw, "RW", "RW")):
            _check_text(value, wid, wen, 200)
        if sex not in ("L", "P"):
            raise BadInput("Jenis kelamin harus L atau P", "Sex must be L or P")
        try:
            born = dt.date.fromisoformat(birth_date)
            nik_info = parse_nik(clean_nik(nik), reference_date=pkg.election.date)
        except InvalidNik as exc:
            raise BadInput(f"NIK tidak sah: {exc.message_id}", f"Invalid NIK: {exc.message_en}") from None
        except (ValueError, TypeError):
            raise BadInput("Tanggal lahir tidak sah (TTTT-BB-HH)", "Invalid birth date (YYYY-MM-DD)") from None
        mismatch = nik_mismatches(nik_info, sex=sex, birth_date=born)
        if mismatch:
            raise BadInput("NIK tidak cocok: " + "; ".join(m[1] for m in mismatch),
                           "NIK does not match: " + "; ".join(m[0] for m in mismatch))
        existing = self._index.by_nik(nik_info.value)
        if existing is not None:
            raise NotAllowed(f"NIK ini sudah terdaftar ({existing.ref})", f"This NIK is already listed ({existing.ref})",
                             voter=existing.ref)
        ref = f"DPTB-{len(self.day.dptb) + 1:04d}"
        payload = {"voter": ref, "nik": nik_info.value, "name": name.strip(), "sex": sex,
                   "birth_date": born.isoformat(), "address": address, "rt": rt, "rw": rw, "reason": reason.strip()}
        self._append("voter.dptb_added", s.companion, payload)
        v = self._dptb_voter(payload)
        self._index.add(v)
        return self._voter_row(v)

    @staticmethod
    def _dptb_voter(p: dict):
        from booth.dpt import LIST_DPTB, Voter

        return Voter(ref=p["voter"], dpt_number=10_000 + int(p["voter"].split("-")[1]), nik=p["nik"],
                     name=p["name"], sex=p["sex"], birth_date=dt.date.fromisoformat(p["birth_date"]),
                     address=p["address"], rt=p["rt"], rw=p["rw"], list=LIST_DPTB)

    def view_photo(self, token: str, voter_ref: str) -> bytes:
        """The earlier photo of a voter, for the double-vote check (logged)."""
        from booth.ledger.vault import VaultError

        s = self._require("view_photo", token)
        v = self._voter(voter_ref)
        if s.secret is None or self._vault is None:
            raise NotAllowed("Foto tidak bisa dibuka dengan PIN ini", "Photos cannot be opened with this PIN")
        try:
            jpeg = self._vault.read_photo(v.ref, s.secret)
        except VaultError as exc:
            raise NotAllowed("Foto tidak tersedia", f"No photo: {exc}") from None
        self._append("voter.photo_viewed", s.companion, {"voter": v.ref})
        return jpeg

    # ------------------------------------------------------ voter session
    def release_ballot(self, token: str, voter_ref: str) -> dict:
        """Voting step: release exactly one ballot for one checked-in voter."""
        s = self._require("release", token, states={polls.OPEN})
        v = self._voter(voter_ref)
        if self.day.current is not None:
            raise NotAllowed("Masih ada pemilih di bilik suara", "A voter is still in the booth")
        if v.ref in self.day.voted:
            raise AlreadyVoted("Pemilih ini sudah memilih", "This voter has already voted", voter=v.ref)
        if v.ref not in self.day.checked_in:
            raise NotAllowed("Verifikasi pemilih dulu", "Verify the voter first")
        if self.ledger.empty_slots < 5:
            pkg = self._need_package()
            self.ledger.add_ballot_slots(max(self.settings.min_slots, len(pkg.voters) // 4), actor=s.companion)
            self._fold_latest()
        release = f"R{self.day.releases + 1:04d}"
        self._append("ballot.released", s.companion, {"release": release, "voter": v.ref})
        return {"release": release, "voter": v.ref}

    def _current(self, release_id: str, stage: str | tuple):
        current = self.day.current
        stages = (stage,) if isinstance(stage, str) else stage
        if current is None or current.id != release_id:
            raise NotAllowed("Tidak ada surat suara yang dibuka untuk ini", "No ballot is released for this")
        if current.stage not in stages:
            raise NotAllowed("Langkah ini tidak sesuai urutan", "This step is out of order", stage=current.stage)
        return current

    def cast(self, release_id: str, selection: str) -> dict:
        """Record the voter's confirmed choice; return the paper slip's data."""
        self._current(release_id, "voting")
        if self.day.polls != polls.OPEN:
            raise NotAllowed("Pemungutan suara tidak sedang dibuka", "Voting is not open")
        pkg = self._need_package()
        numbers = {str(c.number) for c in pkg.candidates}
        if not isinstance(selection, str) or not (selection in numbers or
                                                   (selection == "blank" and pkg.election.allow_blank)):
            raise BadInput("Pilihan tidak sah", "Not a valid choice")
        last = self.day.last_cast_at
        if last is not None:
            wait = self.settings.min_cast_interval - self._since(last)
            if wait > 0:
                raise TooSoon(f"Mohon tunggu {int(wait) + 1} detik", f"Please wait {int(wait) + 1} seconds",
                              wait_seconds=wait)
        receipt = self.ledger.cast_ballot(pkg.election_id, selection, actor="pemilih",
                                          payload={"release": release_id})
        self._fold_latest()
        return self._slip(receipt.ballot_id, selection)

    def _slip(self, ballot_id: bytes, selection: str) -> dict:
        pkg = self.package
        cand = next((c for c in pkg.candidates if str(c.number) == selection), None)
        return {"election_title": pkg.election.title, "pekon": pkg.election.pekon, "tps": pkg.election.tps,
                "election_short_id": pkg.short_id, "selection": selection,
                "candidate_number": cand.number if cand else None, "candidate_name": cand.name if cand else None,
                "ballot_id": ballot_id.hex()}

    def slip_printed(self, release_id: str) -> None:
        """The kiosk confirms the slip came out whole (after a print or a reprint)."""
        current = self._current(release_id, ("printing",))
        kind = "slip.reprinted" if current.slip_failures else "slip.printed"
        actor = self._reprint_by if current.slip_failures and self._reprint_by else "system"
        entry = self.ledger.record_slip(kind, actor, {"release": release_id})
        self.day.apply(entry)

    def slip_failed(self, release_id: str, error: str) -> None:
        """The print failed (paper out, jam, offline): wait for a companion to reprint."""
        self._current(release_id, ("printing",))
        _check_text(error, "kesalahan", "error", 200)
        self._append("slip.print_failed", "system", {"release": release_id, "error": error})

    def reprint_slip(self, token: str) -> dict:
        """A companion reprints the slip of the ballot just cast (logged); never a second cast."""
        s = self._require("reprint", token)
        current = self.day.current
        if current is None or current.stage != "print_failed":
            raise NotAllowed("Tidak ada struk yang perlu dicetak ulang", "No slip needs reprinting")
        record = self.ledger.pending_slip_record()
        if record is None:
            raise NotAllowed("Struk tidak ditemukan", "No pending slip")
        self.day.current.stage = "printing"  # in memory until the kiosk confirms; a restart asks again
        self._reprint_by = s.companion
        return self._slip(bytes.fromhex(record["id"]), record["selection"])

    def store_photo(self, release_id: str, jpeg: bytes) -> None:
        """Photo instead of ink: stored encrypted under the voter's record, never the ballot's."""
        from booth.ledger.vault import VaultError

        current = self._current(release_id, "photo")
        if self._vault is None:
            raise NotAllowed("Brankas foto belum siap", "The photo vault is not ready")
        if not isinstance(jpeg, (bytes, bytearray)):
            raise BadInput("Foto tidak sah", "Not a photo")
        if self._vault.has_photo(current.voter):
            # stored just before a crash, not yet logged: keep that photo, log it now
            self._append("voter.photo_taken", "system",
                         {"voter": current.voter, "release": release_id, "recovered": True})
            return
        try:
            self._vault.store_photo(current.voter, bytes(jpeg))
        except VaultError as exc:
            raise BadInput("Foto tidak bisa disimpan", f"Photo not stored: {exc}") from None
        self._append("voter.photo_taken", "system", {"voter": current.voter, "release": release_id})

    def photo_failed(self, release_id: str, error: str) -> None:
        self._current(release_id, "photo")
        _check_text(error, "kesalahan", "error", 200)
        self._append("voter.photo_failed", "system", {"release": release_id, "error": error})

    def skip_photo(self, token: str, release_id: str, reason: str) -> None:
        s = self._require("skip_photo", token)
        _check_text(reason, "alasan", "reason", 200, required=True)
        current = self._current(release_id, "photo")
        self._append("voter.photo_skipped", s.companion, {"voter": current.voter, "release": release_id,
                                                          "reason": reason})

    def cancel_release(self, token: str, release_id: str, reason: str) -> None:
        """Cancel a release the voter did not use (voter left); logged, the voter may come back."""
        s = self._require("cancel_release", token)
        _check_text(reason, "alasan", "reason", 200, required=True)
        self._current(release_id, "voting")
        self._append("ballot.release_cancelled", s.companion, {"release": release_id, "reason": reason})

    def expire_release(self, release_id: str) -> None:
        """The kiosk's idle timer: a release unused for ``release_timeout`` is cancelled."""
        current = self._current(release_id, "voting")
        age = self._since(current.released_at)
        if age < self.settings.release_timeout:
            raise NotAllowed("Belum waktunya dibatalkan", "Not timed out yet", wait_seconds=self.settings.release_timeout - age)
        self._append("ballot.release_cancelled", "system", {"release": release_id, "reason": "timeout"})

    # ---------------------------------------------------------------- power
    def power_changed(self, state: str) -> dict:
        """The UPS reports mains lost / low battery / mains back (logged).

        On battery the booth pauses safely as soon as no voter is in the
        middle of choosing; resuming is a companion's decision.
        """
        if state not in ("mains", "battery", "low_battery"):
            raise BadInput("Keadaan daya tidak dikenal", "Unknown power state")
        self._append("device.power", "system", {"state": state})
        paused = False
        voting = self.day.current is not None and self.day.current.stage == "voting"
        if state != "mains" and self.day.polls == polls.OPEN and not voting:
            self._append("polls.paused", "system", {"reason": f"power: {state}"})
            paused = True
        return {"paused": paused, "polls": self.day.polls}

    # ------------------------------------------------------------ checking
    def verify_ledger(self, token: str | None = None) -> dict:
        """Verify this device's own ledger in place; on a packed device anyone may (read only)."""
        from booth.ledger.verify import DatabaseSource, verify

        if not self.ledger.sealed:
            self._require("verify", token)
        report = verify(DatabaseSource(conn=self.ledger.connection))
        return report.to_json()


def _stage_words(stage: str | None) -> tuple[str, str]:
    for name, id_text, en_text in polls.CUSTODY_STAGES:
        if name == stage:
            return id_text, en_text
    return ("selesai", "done")


def _check_text(value, word_id: str, word_en: str, limit: int, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if (not isinstance(value, str) or len(value) > limit
            or any(ord(ch) < 32 and ch not in "\n" for ch in value) or not _is_text(value)):
        raise BadInput(f"Isian {word_id} tidak sah (paling banyak {limit} huruf)",
                       f"Invalid {word_en} (at most {limit} characters)")
    if required and not value.strip():
        raise BadInput(f"Isian {word_id} wajib diisi", f"The {word_en} is required")


def _is_text(value: str) -> bool:
    """Real Unicode text (a lone surrogate from a JSON socket is not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_results(results) -> dict:
    """Self-test results: a small table of device name -> "ok" or what failed."""
    if not isinstance(results, dict) or not results or len(results) > 20:
        raise BadInput("Hasil uji perangkat tidak sah", "Invalid self-test results")
    for key, value in results.items():
        _check_text(key, "nama perangkat", "device name", 40, required=True)
        _check_text(value, "hasil uji", "test result", 200, required=True)
    return results


def _package_files(path: Path) -> dict[str, bytes]:
    from booth.election_package import read_package_files

    files, problems = read_package_files(path)
    if problems:
        raise PackageRefused("Paket pemilihan tidak terbaca", "Election package unreadable")
    return files
