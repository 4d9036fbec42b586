"""Check-in at the table: finding the voter (NIK or name), verifying them, the DPTb, the earlier photo."""

from __future__ import annotations

import datetime as dt

from booth import polls
from booth.ledger.canonical import canonical
from booth.refusals import refuse
from booth.service.checks import check_text, is_text
from booth.service.device import Device, dptb_voter


class CheckIn(Device):
    """Registration and verification of voters (the four steps' first two)."""

    def search_voters(self, token: str, query: str, limit: int = 10) -> list[dict]:
        self._check_role("search_voters")
        self._require("check_in", token)
        if not isinstance(query, str) or not query.strip() or len(query) > 100 or not is_text(query):
            raise refuse("search_query")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 50:
            raise refuse("search_limit")
        self._need_package()
        matches = self._index.search(query, limit=limit)
        return [self._voter_row(m.voter, score=m.score, why=m.why_id or m.why) for m in matches]

    def _voter_row(self, v, **extra) -> dict:
        status = (
            "voted"
            if v.ref in self.day.voted
            else "in_booth"
            if (self.day.current and self.day.current.voter == v.ref)
            or any(r.voter == v.ref and r.state == "out" for r in self.day.issued.values())
            else "checked_in"
            if v.ref in self.day.checked_in
            else "not_voted"
        )
        return {
            "ref": v.ref,
            "name": v.name,
            "nik": v.nik,
            "sex": v.sex,
            "birth_date": v.birth_date.isoformat(),
            "address": v.address,
            "rt": v.rt,
            "rw": v.rw,
            "list": v.list,
            "status": status,
            **extra,
        }

    def check_in(self, token: str, voter_ref: str) -> dict:
        """Verification: the companion confirms the person; a voter who voted is refused."""
        self._check_role("check_in")
        s = self._require("check_in", token, states=polls.ACTS["check_in"])
        v = self._voter(voter_ref)
        if v.ref in self.day.voted:
            self._append("voter.refused", s.companion, {"voter": v.ref, "reason": "already_voted"})
            has_photo = bool(self._vault and self._vault.has_photo(v.ref))
            raise refuse("already_voted", voter=v.ref, has_photo=has_photo)
        if v.ref not in self.day.checked_in:
            self._append("voter.checked_in", s.companion, {"voter": v.ref, "list": v.list})
        return self._voter_row(v)

    def add_dptb(
        self,
        token: str,
        *,
        nik: str,
        name: str,
        sex: str,
        birth_date: str,
        address: str = "",
        rt: str = "",
        rw: str = "",
        reason: str,
    ) -> dict:
        """Add a voter who is not on the DPT to the DPTb, with the reason (logged)."""
        from booth.nik import InvalidNik, clean_nik, nik_mismatches, parse_nik

        self._check_role("add_dptb")
        s = self._require("add_dptb", token, states=polls.ACTS["add_dptb"])
        pkg = self._need_package()
        if not isinstance(nik, str) or len(nik) > 40 or not is_text(nik):
            raise refuse("nik_form")
        if not isinstance(birth_date, str) or len(birth_date) > 20:
            raise refuse("birth_date")
        check_text(name, "nama", "name", 100, required=True)
        check_text(reason, "alasan", "reason", 200, required=True)
        for value, wid, wen in ((address, "alamat", "address"), (rt, "RT", "RT"), (rw, "RW", "RW")):
            check_text(value, wid, wen, 200)
        if sex not in ("L", "P"):
            raise refuse("sex")
        try:
            born = dt.date.fromisoformat(birth_date)
            nik_info = parse_nik(clean_nik(nik), reference_date=pkg.election.date)
        except InvalidNik as exc:
            raise refuse("nik_invalid", words={"why_id": exc.message_id, "why_en": exc.message_en}) from None
        except (ValueError, TypeError):
            raise refuse("birth_date") from None
        mismatch = nik_mismatches(nik_info, sex=sex, birth_date=born)
        if mismatch:
            raise refuse(
                "nik_mismatch",
                words={"why_id": "; ".join(m[1] for m in mismatch), "why_en": "; ".join(m[0] for m in mismatch)},
            )
        if self._vault is None:
            raise refuse("dptb_no_vault")
        if self._dptb_sealed:  # earlier DPTb voters still sealed: a second entry of a NIK could not be seen
            raise refuse("dptb_sealed")
        existing = self._index.by_nik(nik_info.value)
        if existing is not None:
            raise refuse("nik_listed", words={"voter": existing.ref}, voter=existing.ref)
        ref = f"DPTB-{len(self.day.dptb) + 1:04d}"
        details = {
            "nik": nik_info.value,
            "name": name.strip(),
            "birth_date": born.isoformat(),
            "address": address,
            "rt": rt,
            "rw": rw,
        }
        # Personal data stays out of the log and the bundle (UU PDP): it is
        # sealed in the vault like a photo, first, so a power cut before the
        # event leaves only a record the next add under this ref replaces.
        # The log keeps the reference, the sex (the L/P counts of the KPU
        # forms), the reason, and the digest that binds the sealed record.
        digest = self._vault.store_dptb_record(ref, canonical(details))
        payload = {"voter": ref, "sex": sex, "reason": reason.strip(), "sealed": digest}
        self._append("voter.dptb_added", s.companion, payload)
        v = dptb_voter({**payload, **details})
        self._index.add(v)
        return self._voter_row(v)

    def view_photo(self, token: str, voter_ref: str) -> bytes:
        """The earlier photo of a voter, for the double-vote check (logged)."""
        from booth.ledger.vault import VaultError

        self._check_role("view_photo")
        s = self._require("view_photo", token)
        v = self._voter(voter_ref)
        if s.secret is None or self._vault is None:
            raise refuse("photo_locked")
        try:
            jpeg = self._vault.read_photo(v.ref, s.secret)
        except VaultError as exc:
            raise refuse("no_photo", words={"why": exc}) from None
        self._append("voter.photo_viewed", s.companion, {"voter": v.ref})
        return jpeg
