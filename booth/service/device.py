"""The device the rooms share: its ledger, the day replayed from it, its clock, and the one guard.

Every act of the day goes through :meth:`Device._require` (a companion's act:
signed in, role allowed) or :meth:`Device._check_device` (an act made before
anyone has a PIN: the committee's, the warehouse's); both then check, by name
and in this order, that the device is not packed, the polls are in the right
state, the polls transition is allowed from there, and the named
:data:`PRECONDITIONS` hold.  Each refusal is ``booth.refusals.refuse(reason)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from booth import companions as comp
from booth import polls
from booth.day import Day, Moment
from booth.ledger.clock import utc_text
from booth.ledger.keys import short_fingerprint
from booth.ledger.ledger import Entry, Ledger
from booth.refusals import refuse
from booth.station import roles

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
class Session:
    """A signed-in companion (in memory only: a restart signs everyone out)."""

    companion: str
    role: str
    last_seen: int  # monotonic ns
    secret: object | None  # the photo vault secret, unwrapped with this companion's PIN


#: Conditions an act may name in the guard: name -> (what must hold, the refusal when it does not).
PRECONDITIONS: dict[str, tuple[Callable[[Device], bool], str]] = {
    "package_loaded": (lambda d: d.package is not None, "no_package"),
    "installed": (lambda d: "installed" in d.day.custody_done, "installed_first"),
    "ballot_store_empty": (lambda d: not d.ledger.ballots_cast, "ballot_store_not_empty"),
    "zero_report_printed": (lambda d: d.day.zero_report_printed, "zero_report_first"),
    "no_voter_choosing": (lambda d: d.day.current is None or d.day.current.stage != "voting", "voter_choosing"),
    "no_voter_in_booth": (
        # at a station's desk: no release still out to a booth
        lambda d: d.day.current is None and not any(r.state == "out" for r in d.day.issued.values()),
        "voter_still_voting",
    ),
    "before_handover": (lambda d: not d.day.pins_set, "package_after_handover"),
    "results_printed": (lambda d: d.day.results_printed > 0, "results_report_first"),
    "exported": (lambda d: d.day.exports > 0, "export_first"),
}


class Device:
    """One device on its state directory; the rooms of ``booth.service`` add the day's acts."""

    ledger: Ledger
    day: Day
    package: Any  # booth.election_package.ElectionPackage once loaded

    def __init__(self, ledger: Ledger, *, clock=None, settings: Settings | None = None) -> None:
        self.ledger = ledger
        self.clock = clock or ledger.clock
        self.settings = settings or Settings()
        self.state_dir = ledger.state_dir
        self.day = Day()
        for entry in ledger.entries():
            self.day.apply(entry)
        self.package: Any = None
        self._index: Any = None
        self._vault: Any = None
        self._enroll_secret: object | None = None
        # DPTb voters whose details are still sealed in the vault (ref -> the
        # digest the log names): opened at the first act of a companion whose
        # PIN unlocks the vault (see _session), e.g. after a restart.
        self._dptb_sealed: dict[str, str] = {}
        self._sessions: dict[str, Session] = {}
        self._reprint_by: str | None = None
        if self.day.election_id:
            self._load_stored_package()
        if not ledger.sealed:
            self._recover()

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
        self.ledger.close()

    def _load_stored_package(self) -> None:
        """At start: the package the log names, its voters (with the DPTb) and the photo vault."""
        from booth.election_package import PackageError, load_package
        from booth.ledger.vault import PhotoVault
        from booth.voter_search import VoterIndex

        try:
            # a booth's copy leaves out the DPT: it keeps no voter roll (booth.station.roles)
            pkg = load_package(self.state_dir / ELECTION_DIR, voter_roll=self.day.role != roles.BOOTH)
        except PackageError as exc:
            raise RuntimeError(f"the stored election package no longer loads: {exc}") from None
        if pkg.election_id != self.day.election_id:
            raise RuntimeError("the stored election package is not the one the log names")
        self.package = pkg
        # A log written before DPTb details were sealed carries them in clear: still read.
        self._index = VoterIndex(list(pkg.voters) + [dptb_voter(p) for p in self.day.dptb.values() if "nik" in p])
        self._dptb_sealed = {ref: p["sealed"] for ref, p in self.day.dptb.items() if "nik" not in p}
        if (self.state_dir / VAULT_NAME).exists():
            self._vault = PhotoVault.open(self.state_dir / VAULT_NAME)

    def _open_sealed_dptb(self, secret: object) -> None:
        """Add the DPTb voters whose details are sealed in the vault to the index (needs a secret)."""
        import json

        from booth.ledger.vault import VaultError

        if self._vault is None:
            return
        for ref, digest in list(self._dptb_sealed.items()):
            try:
                details = json.loads(self._vault.read_dptb_record(ref, secret, digest))
            except VaultError:
                continue  # stays sealed: _voter refuses it by name, the verifier and the committee see why
            self._index.add(dptb_voter({**self.day.dptb[ref], **details}))
            del self._dptb_sealed[ref]

    def _new_vault(self) -> None:
        """A fresh, empty photo vault for the loaded election (only before any PIN exists)."""
        from booth.ledger.vault import PhotoVault

        assert not self.day.pins_set, "the vault is only remade before any companion has a PIN"
        if self._vault is not None:
            self._vault.close()
        for suffix in ("", "-wal", "-shm"):
            (self.state_dir / (VAULT_NAME + suffix)).unlink(missing_ok=True)
        self._vault, self._enroll_secret = PhotoVault.create(
            self.state_dir / VAULT_NAME, self.package.election_id, self.package.committee.x25519()
        )

    # ------------------------------------------------------------- the log
    def _append(self, type: str, actor: str, payload: dict | None = None, **kw) -> Entry:
        if self.ledger.sealed:  # the guard refused already; this keeps the log closed whatever calls
            raise refuse("sealed")
        entry = self.ledger.append(type, actor, payload or {}, **kw)
        self.day.apply(entry)
        return entry

    def _fold_latest(self) -> None:
        """Fold in the event a ledger method appended itself (slots, close, cast)."""
        self.day.apply(self.ledger.entry(self.ledger.size - 1))

    def _recover(self) -> None:
        """After a restart: cancel a release nobody voted on; keep a cast's slip for reprint."""
        current = self.day.current
        note: dict[str, Any] = {"polls": self.day.polls}
        if current is not None and not current.cast and current.spoils:
            # between a spoil and the new vote: the same release stays open for the voter
            note["revote_release"] = current.id
        elif current is not None and not current.cast:
            self._append(
                "ballot.release_cancelled",
                "system",
                {"release": current.id, "reason": "device restarted before the vote"},
            )
            note["cancelled_release"] = current.id
        elif current is not None and current.stage == "printing":
            # cast, but the slip was never confirmed: treat as a failed print, a
            # companion reprints it.  Never a second cast.
            self._append(
                "slip.print_failed",
                "system",
                {"release": current.id, "error": "device restarted before the slip was confirmed"},
            )
            note["slip_to_reprint"] = current.id
        self._append("device.started", "system", note)

    # ------------------------------------------------------------- the clock
    def _now(self) -> dt.datetime:
        return self.clock.now()

    def _since(self, moment: Moment) -> float:
        """Seconds since ``moment`` (a ``day.Moment``): on the monotonic clock within
        the same boot, so correcting the wall clock never stops or stretches a
        wait; across a reboot, wall time, but at least this boot's uptime (the
        monotonic clock counts from the boot): a Pi without a real-time clock comes
        back hours behind, and a wait must not last until its clock catches up."""
        if moment.boot == self.clock.boot:
            return (self.clock.monotonic_ns() - moment.mono_ns) / 1e9
        return max(self.clock.monotonic_ns() / 1e9, (self._now() - moment.wall).total_seconds())

    # ------------------------------------------------------------- the guard
    def _session(self, token: str | None) -> Session:
        session = self._sessions.get(token) if isinstance(token, str) else None
        if session is None:
            raise refuse("not_signed_in")
        if self._end_if_idle(token, session):  # type: ignore[arg-type]  # found above, so a str
            raise refuse("session_idle")
        session.last_seen = self.clock.monotonic_ns()
        if self._dptb_sealed and session.secret is not None:
            self._open_sealed_dptb(session.secret)
        return session

    def _end_if_idle(self, token: str, session: Session) -> bool:
        """End ``session`` if it has been idle past the timeout (logged "idle"); whether it was."""
        idle = (self.clock.monotonic_ns() - session.last_seen) / 1e9
        if idle <= self.settings.companion_idle_timeout:
            return False
        del self._sessions[token]
        self._append("companion.logout", session.companion, {"companion": session.companion, "reason": "idle"})
        return True

    def _require(
        self,
        action: str,
        token: str | None,
        *,
        states: Collection[str] | None = None,
        transition: str | None = None,
        needs: Iterable[str] = (),
    ) -> Session:
        """The one guard for a companion's act: signed in, role allowed (``companions.PERMISSIONS``),
        then everything :meth:`_check_device` checks."""
        session = self._session(token)
        if session.role not in comp.PERMISSIONS[action]:
            raise refuse("role_not_allowed", words={"role": session.role}, action=action)
        self._check_device(states=states, transition=transition, needs=needs)
        return session

    def _check_role(self, act: str) -> None:
        """The guard's role half: a booth keeps no voters, a desk no ballots, a single device no
        station (``booth.station.roles.NOT_FOR_ROLE``); checked before anything else of the act."""
        reason = roles.refusal_for(self.day.role, act)
        if reason is not None:
            raise refuse(reason, words={"act": act}, role=self.day.role, act=act)

    def _check_device(
        self, *, states: Collection[str] | None = None, transition: str | None = None, needs: Iterable[str] = ()
    ) -> None:
        """The guard's device half (alone for acts before anyone has a PIN): not packed, the polls
        in ``states``, ``transition`` allowed from here (``polls.TRANSITIONS``), every precondition
        named in ``needs`` holding (:data:`PRECONDITIONS`), in that order."""
        if self.ledger.sealed:
            raise refuse("sealed")
        if states is not None and self.day.polls not in states:
            raise self._wrong_state()
        if transition is not None and not polls.can(transition, self.day.polls):
            raise self._wrong_state(transition=transition)
        for name in needs:
            holds, reason = PRECONDITIONS[name]
            if not holds(self):
                raise refuse(reason)

    def _wrong_state(self, **details):
        state_id, state_en = polls.STATE_WORDS[self.day.polls]
        return refuse(
            "wrong_polls_state", words={"state_id": state_id, "state_en": state_en}, polls=self.day.polls, **details
        )

    # -------------------------------------------------- what every room reads
    def counts(self) -> dict:
        """The day's counts; at a station each device gives only what it can know.

        A booth knows no voter: ``dpt``, ``dptb``, ``photos``, ``photos_skipped`` are None, ``refused``
        is 0 (it refuses nobody), ``checked_in`` is the releases it accepted and ``voted`` the
        releases that ended in a cast.  A desk keeps no
        ballot: the store's counts are None, ``ballots_cast`` and ``spoiled`` are what its booths
        reported.  ``booth.tally.reconcile`` leaves out every rule whose counts are None.
        """
        counts = self._all_counts()
        d = self.day
        if d.role == roles.BOOTH:
            ended = [o for o in d.outcomes.values() if o["outcome"] == "cast"]
            counts.update(dict.fromkeys(("dpt", "dptb", "photos", "photos_skipped")))  # refused: none, ever
            counts.update(checked_in=len(d.accepted), voted=len(ended) + bool(d.current and d.current.cast))
        elif d.role == roles.DESK:
            keep_out = ("ballots_stored", "slips_printed", "slip_failures", "reprints", "spoiled_stored")
            counts.update(dict.fromkeys(keep_out + ("disputes", "escalations")))
            spoils = sum(r.spoils for r in d.issued.values())
            counts.update(ballots_cast=d.casts + spoils, spoiled=spoils)
        return counts

    def _all_counts(self) -> dict:
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
            "spoiled": d.spoiled,
            "spoiled_stored": self.ledger.ballots_spoiled,
            "disputes": d.disputes,
            "escalations": d.escalations,
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
            "title": e.title,
            "pekon": e.pekon,
            "kecamatan": e.kecamatan,
            "kabupaten": e.kabupaten,
            "provinsi": e.provinsi,
            "tps": e.tps,
            "date": e.date.isoformat(),
            "opens_at": e.opens_at.isoformat(),
            "closes_at": e.closes_at.isoformat(),
            "timezone": e.timezone_label,
            "allow_blank": e.allow_blank,
            "candidates": [{"number": c.number, "name": c.name} for c in pkg.candidates],
            "companions": [
                {
                    "id": c.id,
                    "name": c.name,
                    "role": c.role,
                    "has_pin": c.id in self.day.pins_set,
                    "locked": c.id in self.day.locked,
                }
                for c in pkg.companions
            ],
            "committee_fingerprint": pkg.committee.fingerprint,
        }

    def _need_package(self):
        if self.package is None:
            raise refuse("no_package")
        return self.package

    def _companion(self, companion_id: str):
        pkg = self._need_package()
        for c in pkg.companions:
            if c.id == companion_id:
                return c
        raise refuse("unknown_companion", companion=str(companion_id)[:40])

    def _voter(self, ref: str):
        """A voter of the DPT or DPTb by reference, or the refusal "not on the voter list"."""
        self._need_package()
        v = self._index.by_ref(ref) if isinstance(ref, str) else None
        if v is None and isinstance(ref, str) and ref in self._dptb_sealed:
            raise refuse("dptb_sealed")
        if v is None:
            raise refuse("unknown_voter")
        return v

    def _place(self) -> str:
        e = self._need_package().election
        return f"TPS {e.tps:02d}, Pekon {e.pekon}"

    def _report_base(self, kind: str) -> dict:
        """What the zero report and the results report both print: the election, device, checkpoint."""
        info = self.election_info()
        info.update(
            kind=kind,
            device=self.ledger.key.fingerprint,
            device_short=short_fingerprint(self.ledger.key.fingerprint),
            checkpoint=self.ledger.latest_checkpoint(),
            printed_at=utc_text(self._now()),
            counts=self.counts(),
            by_sex=self._counts_by_sex(),
        )
        if self.day.role == roles.DESK:  # a station's device says which one printed the report
            info["station_device"] = roles.role_words(roles.DESK)
        elif self.day.role == roles.BOOTH:
            number = self.day.desk["booth"] if self.day.desk else "?"
            info["station_device"] = (f"Bilik suara {number}", f"Booth {number}")
        return info

    def _counts_by_sex(self) -> dict[str, dict[str, int]]:
        """Laki-laki / perempuan of the DPT, the DPTb and those who voted, as the KPU forms ask.

        ``{"dpt": {"L": 160, "P": 140}, "dptb": {...}, "voted": {...}}``; a person
        whose sex the device does not know (a DPTb entry without it) counts under "?".
        """
        sex = {v.ref: v.sex for v in self.package.voters} if self.package else {}
        dptb = {ref: p.get("sex") or "?" for ref, p in self.day.dptb.items()}

        def split(refs) -> dict[str, int]:
            out = {"L": 0, "P": 0, "?": 0}
            for ref in refs:
                key = sex.get(ref) or dptb.get(ref) or "?"
                out[key if key in out else "?"] += 1
            return out

        return {"dpt": split(sex), "dptb": split(dptb), "voted": split(self.day.voted)}


def dptb_voter(p: dict):
    """The ``booth.dpt.Voter`` of a DPTb voter: the ``voter.dptb_added`` payload with the
    details from the vault (or, in a log written before they were sealed, the payload alone)."""
    from booth.dpt import LIST_DPTB, Voter

    return Voter(
        ref=p["voter"],
        dpt_number=10_000 + int(p["voter"].split("-")[1]),
        nik=p["nik"],
        name=p["name"],
        sex=p["sex"],
        birth_date=dt.date.fromisoformat(p["birth_date"]),
        address=p["address"],
        rt=p["rt"],
        rw=p["rw"],
        list=LIST_DPTB,
    )
