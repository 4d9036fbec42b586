"""Companions: the PIN each makes at handover, signing in and out, the committee's lockout reset."""

from __future__ import annotations

import secrets

from booth import companions as comp
from booth.refusals import refuse
from booth.service.device import Device, Session
from booth.station import roles


class SignIn(Device):
    """Companions' PINs and sessions (the role table is ``booth.companions.PERMISSIONS``)."""

    def set_first_pin(self, companion_id: str, pin: str, token: str | None = None) -> None:
        """At handover each companion makes their PIN (6 to 12 digits).

        During the handover sitting (the package loaded, the vault's secret
        still in hand, before activation) no token is needed.  Later — a
        companion joining after a restart or after activation — the ketua
        signs in and passes their ``token``: their PIN unlocked the vault's
        secret that the new companion's PIN will wrap (role ``enroll``).
        """
        c = self._companion(companion_id)
        self._check_device()
        if c.id in self.day.pins_set:
            raise refuse("pin_already_set")
        problem = comp.check_pin_format(pin)
        if problem:
            raise refuse("weak_new_pin", words={"problem": problem})
        if self.day.role == roles.BOOTH:  # a booth keeps no photo vault: the PIN alone
            if token is not None:
                self._require("enroll", token)
            elif "activated" in self.day.custody_done:
                raise refuse("enrol_needs_ketua")
            self._append(
                "companion.pin_set",
                c.id,
                {"companion": c.id},
                state={f"pin:{c.id}": comp.hash_pin(pin, n=self.settings.pin_scrypt_n)},
            )
            return
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
            raise refuse("enrol_needs_ketua")
        self._vault.wrap_for_companion(c.id, pin, secret, scrypt_n=self.settings.pin_scrypt_n)
        self._append(
            "companion.pin_set",
            c.id,
            {"companion": c.id},
            state={f"pin:{c.id}": comp.hash_pin(pin, n=self.settings.pin_scrypt_n)},
        )

    def sign_in(self, companion_id: str, pin: str) -> str:
        """Check a companion's PIN; return a session token.  Wrong PINs lock out (see lockout)."""
        c = self._companion(companion_id)
        if c.id not in self.day.pins_set:
            raise refuse("no_pin_yet")
        misses, last = self.day.misses.get(c.id, (0, None))
        rule = comp.lockout(misses, None if last is None else self._since(last))
        if c.id in self.day.locked or rule.locked:
            raise refuse("pin_locked", locked=True, wait_seconds=0)
        if not rule.allowed:
            raise refuse("pin_wait", words={"seconds": rule.wait_seconds}, locked=False, wait_seconds=rule.wait_seconds)
        stored = self.ledger.get_state(f"pin:{c.id}")
        if not isinstance(pin, str) or stored is None or not comp.pin_matches(pin, stored):
            self._append("companion.login_failed", c.id, {"companion": c.id, "misses": misses + 1})
            if misses + 1 >= comp.LOCK_AFTER_MISSES:
                self._append("companion.locked", "system", {"companion": c.id})
            left = max(0, comp.FREE_MISSES - misses - 1)
            if left:
                raise refuse("wrong_pin_tries_left", words={"left": left}, misses=misses + 1)
            raise refuse("wrong_pin", misses=misses + 1)
        secret = None
        if self._vault is not None:
            from booth.ledger.vault import VaultError

            try:
                secret = self._vault.unlock(c.id, pin)
            except VaultError:
                secret = None  # photos stay closed to this companion; voting goes on
        self._end_idle_sessions()
        token = secrets.token_urlsafe(24)
        self._sessions[token] = Session(c.id, c.role, self.clock.monotonic_ns(), secret)
        self._append("companion.login", c.id, {"companion": c.id})
        return token

    def _end_idle_sessions(self) -> None:
        """End every session idle past the timeout, as its next use would (logged "idle").

        A session nobody uses again (the kiosk restarted, a screen left for another) would
        otherwise hold its companion's unlocked photo key in memory for the rest of the day."""
        for token, session in list(self._sessions.items()):
            self._end_if_idle(token, session)

    def sign_out(self, token: str) -> None:
        if not isinstance(token, str):
            raise refuse("not_signed_in")
        session = self._sessions.pop(token, None)
        if session is not None:
            self._append(
                "companion.logout", session.companion, {"companion": session.companion, "reason": "signed out"}
            )

    def whoami(self, token: str) -> dict:
        s = self._session(token)
        c = self._companion(s.companion)
        return {"id": c.id, "name": c.name, "role": c.role}

    def committee_reset(self, reset_file_text: str) -> dict:
        """Unlock a locked companion with a reset file signed by the committee key."""
        from booth.committee_reset import ResetError, open_reset

        pkg = self._need_package()
        try:
            companion_id, nonce = open_reset(
                reset_file_text, pkg.committee.ed25519(), pkg.election_id, self.day.reset_nonces
            )
        except ResetError as exc:
            raise refuse("reset_refused", words={"why_id": exc.message_id, "why_en": exc}) from None
        self._companion(companion_id)
        self._check_device()
        self._append("companion.reset", "panitia", {"companion": companion_id, "nonce": nonce})
        return {"companion": companion_id}
