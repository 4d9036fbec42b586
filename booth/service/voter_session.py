"""The voter in the booth: one released ballot -> the choice -> the paper slip -> the photo instead of ink.

A release moves through stages (``booth.day.Release.stage``): ``voting`` ->
``printing`` -> (``print_failed`` -> a companion's reprint -> ``printing``) ->
``checking`` -> ``photo`` -> done.  Each step below acts only on the release in
the stage it expects, so a stale or foreign release ID changes nothing.

The slip check: the voter answers "Struk sesuai" (``slip_confirmed``) or
"Struk tidak sesuai" (``slip_disputed``).  A dispute calls a companion, who
spoils that ballot (``spoil_ballot``, with PIN): the record is marked spoiled
and the pending-slip link erased in one transaction, the kiosk prints the VOID
mark, and the same release lets the voter vote again.  At most
``MAX_SPOILS`` spoils per release; a further dispute is escalated to the
committee (``escalate_dispute``, logged) and the ballot stands.
"""

from __future__ import annotations

from booth import polls
from booth.refusals import refuse
from booth.service.checks import check_text
from booth.service.device import Device

#: Spoils one voter may have before a further dispute must be escalated (issue #11: at most two).
MAX_SPOILS = 2


class VoterSession(Device):
    """One voter's session, from the release to the photo."""

    def voter_screen(self) -> dict:
        """What the voter's screen should show now (the kiosk asks after every change)."""
        current = self.day.current
        if self.day.polls != polls.OPEN and (current is None or current.stage == "voting"):
            return {
                "screen": "closed"
                if self.day.polls in (polls.CLOSED, polls.COUNTED, polls.PACKED)
                else "paused"
                if self.day.polls == polls.PAUSED
                else "not_open"
            }
        if current is None:
            return {"screen": "waiting"}
        screen = {
            "voting": "ballot",
            "printing": "printing",
            "print_failed": "print_failed",
            "checking": "slip_check",
            "disputed": "disputed",
            "photo": "photo",
        }[current.stage]
        out: dict[str, object] = {"screen": screen, "release": current.id}
        if current.spoils:
            out["spoils"] = current.spoils  # "your earlier ballot was cancelled; vote again"
        if current.stage == "disputed":
            out["can_spoil"] = current.spoils < MAX_SPOILS
        return out

    def release_ballot(self, token: str, voter_ref: str) -> dict:
        """Voting step: release exactly one ballot for one checked-in voter."""
        self._check_role("release_ballot")
        s = self._require("release", token, states=polls.ACTS["release_ballot"])
        v = self._voter(voter_ref)
        if self.day.current is not None:
            raise refuse("voter_in_booth")
        if v.ref in self.day.voted:
            raise refuse("already_voted", voter=v.ref)
        if v.ref not in self.day.checked_in:
            raise refuse("verify_first")
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
            raise refuse("no_release")
        if current.stage not in stages:
            raise refuse("out_of_order", stage=current.stage)
        return current

    def cast(self, release_id: str, selection: str) -> dict:
        """Record the voter's confirmed choice; return the paper slip's data."""
        self._check_role("cast")
        self._current(release_id, "voting")
        if self.day.polls not in polls.ACTS["cast"]:
            raise refuse("voting_not_open")
        pkg = self._need_package()
        numbers = {str(c.number) for c in pkg.candidates}
        if not isinstance(selection, str) or not (
            selection in numbers or (selection == "blank" and pkg.election.allow_blank)
        ):
            raise refuse("bad_choice")
        last = self.day.last_cast_at
        if last is not None:
            wait = self.settings.min_cast_interval - self._since(last)
            if wait > 0:
                raise refuse("too_soon", words={"seconds": int(wait) + 1}, wait_seconds=wait)
        receipt = self.ledger.cast_ballot(pkg.election_id, selection, actor="pemilih", payload={"release": release_id})
        self.day.apply(receipt.entry)
        return self._slip(receipt.ballot_id, selection)

    def _slip(self, ballot_id: bytes, selection: str) -> dict:
        pkg = self.package
        cand = next((c for c in pkg.candidates if str(c.number) == selection), None)
        return {
            "election_title": pkg.election.title,
            "pekon": pkg.election.pekon,
            "tps": pkg.election.tps,
            "election_short_id": pkg.short_id,
            "selection": selection,
            "candidate_number": cand.number if cand else None,
            "candidate_name": cand.name if cand else None,
            "ballot_id": ballot_id.hex(),
        }

    def slip_printed(self, release_id: str) -> None:
        """The kiosk confirms the slip came out whole (after a print or a reprint)."""
        self._check_role("slip_printed")
        current = self._current(release_id, ("printing",))
        kind = "slip.reprinted" if current.slip_failures else "slip.printed"
        actor = self._reprint_by if current.slip_failures and self._reprint_by else "system"
        # the link stays until the voter has checked the slip (slip_confirmed / spoil_ballot)
        entry = self.ledger.record_slip(kind, actor, {"release": release_id}, forget=False)
        self.day.apply(entry)

    def slip_confirmed(self, release_id: str) -> None:
        """The voter touched "Struk sesuai": the slip shows their choice; forget which ballot it was."""
        self._check_role("slip_confirmed")
        self._current(release_id, "checking")
        self.day.apply(self.ledger.answer_slip("slip.confirmed", "pemilih", {"release": release_id}))

    def slip_disputed(self, release_id: str) -> None:
        """The voter touched "Struk tidak sesuai": log it and call a companion (the ballot stands until spoiled)."""
        self._check_role("slip_disputed")
        current = self._current(release_id, "checking")
        self._append("slip.disputed", "pemilih", {"release": release_id, "dispute": current.disputes + 1})

    def spoil_ballot(self, token: str, release_id: str) -> dict:
        """A companion spoils the disputed ballot; returns what the VOID print needs; the voter votes again.

        The ballot stays in the store, signed, marked spoiled and out of the
        tally; ``ballot.spoiled`` carries the running count and the release,
        never the ballot.  Refused after :data:`MAX_SPOILS` spoils for this voter
        (the companion escalates instead).
        """
        self._check_role("spoil_ballot")
        s = self._require("spoil", token)
        current = self._current(release_id, "disputed")
        if current.spoils >= MAX_SPOILS:
            raise refuse("spoil_limit", words={"spoils": current.spoils})
        if self.day.polls not in polls.ACTS["cast"]:
            raise refuse("voting_not_open")
        record = self.ledger.pending_slip_record()
        if record is None:
            raise refuse("no_pending_slip")
        receipt = self.ledger.spoil_pending(s.companion, {"release": release_id, "spoil": current.spoils + 1})
        self.day.apply(receipt.entry)
        void = self._slip(receipt.ballot_id, record["selection"])
        # the VOID print shows the ballot ID, never the choice: the companion need not see it
        for key in ("selection", "candidate_number", "candidate_name"):
            void.pop(key)
        void.update(spoiled=receipt.count, spoils=current.spoils, spoils_left=MAX_SPOILS - current.spoils)
        return void

    def escalate_dispute(self, token: str, release_id: str, note: str) -> None:
        """A further dispute after the spoils allowed: logged for the committee; the ballot stands."""
        self._check_role("escalate_dispute")
        s = self._require("escalate_dispute", token)
        check_text(note, "catatan", "note", 200, required=True)
        current = self._current(release_id, "disputed")
        if current.spoils < MAX_SPOILS:
            raise refuse("escalate_not_needed")
        entry = self.ledger.answer_slip(
            "slip.dispute_escalated",
            s.companion,
            {"release": release_id, "spoils": current.spoils, "disputes": current.disputes, "note": note},
        )
        self.day.apply(entry)

    def slip_failed(self, release_id: str, error: str) -> None:
        """The print failed (paper out, jam, offline): wait for a companion to reprint."""
        self._check_role("slip_failed")
        self._current(release_id, ("printing",))
        check_text(error, "kesalahan", "error", 200)
        self._append("slip.print_failed", "system", {"release": release_id, "error": error})

    def reprint_slip(self, token: str) -> dict:
        """A companion reprints the slip of the ballot just cast (logged); never a second cast."""
        self._check_role("reprint_slip")
        s = self._require("reprint", token)
        current = self.day.current
        if current is None or current.stage != "print_failed":
            raise refuse("no_reprint")
        record = self.ledger.pending_slip_record()
        if record is None:
            raise refuse("no_pending_slip")
        current.stage = "printing"  # in memory until the kiosk confirms; a restart asks again
        self._reprint_by = s.companion
        slip = self._slip(bytes.fromhex(record["id"]), record["selection"])
        # the paper says "CETAK ULANG ke-N" (N-th reprint of this ballot; at least 1 after a restart)
        slip["reprint"] = max(1, current.slip_failures)
        return slip

    def store_photo(self, release_id: str, jpeg: bytes) -> None:
        """Photo instead of ink: stored encrypted under the voter's record, never the ballot's."""
        from booth.ledger.vault import VaultError

        self._check_role("store_photo")
        current = self._current(release_id, "photo")
        if self._vault is None:
            raise refuse("vault_not_ready")
        if not isinstance(jpeg, (bytes, bytearray)):
            raise refuse("not_a_photo")
        if self._vault.has_photo(current.voter):
            # stored just before a crash, not yet logged: keep that photo, log it now
            self._append(
                "voter.photo_taken", "system", {"voter": current.voter, "release": release_id, "recovered": True}
            )
            return
        try:
            self._vault.store_photo(current.voter, bytes(jpeg))
        except VaultError as exc:
            raise refuse("photo_not_stored", words={"why": exc}) from None
        self._append("voter.photo_taken", "system", {"voter": current.voter, "release": release_id})

    def photo_failed(self, release_id: str, error: str) -> None:
        self._check_role("photo_failed")
        self._current(release_id, "photo")
        check_text(error, "kesalahan", "error", 200)
        self._append("voter.photo_failed", "system", {"release": release_id, "error": error})

    def skip_photo(self, token: str, release_id: str, reason: str) -> None:
        self._check_role("skip_photo")
        s = self._require("skip_photo", token)
        check_text(reason, "alasan", "reason", 200, required=True)
        current = self._current(release_id, "photo")
        self._append(
            "voter.photo_skipped", s.companion, {"voter": current.voter, "release": release_id, "reason": reason}
        )

    def cancel_release(self, token: str, release_id: str, reason: str) -> None:
        """Cancel a release the voter did not use (voter left); logged, the voter may come back."""
        self._check_role("cancel_release")
        s = self._require("cancel_release", token)
        check_text(reason, "alasan", "reason", 200, required=True)
        self._current(release_id, "voting")
        self._append("ballot.release_cancelled", s.companion, {"release": release_id, "reason": reason})

    def expire_release(self, release_id: str) -> None:
        """The kiosk's idle timer: a release unused for ``release_timeout`` is cancelled."""
        self._check_role("expire_release")
        current = self._current(release_id, "voting")
        age = self._since(current.released_at)
        if age < self.settings.release_timeout:
            raise refuse("not_timed_out", wait_seconds=self.settings.release_timeout - age)
        self._append("ballot.release_cancelled", "system", {"release": release_id, "reason": "timeout"})
