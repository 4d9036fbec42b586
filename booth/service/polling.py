"""The polls: the zero report, opening, pauses (breaks, power), closing — the ``polls.TRANSITIONS``."""

from __future__ import annotations

from booth import polls
from booth.refusals import refuse
from booth.results import opening_statement
from booth.service.checks import check_text
from booth.service.device import Device
from booth.station import roles


class Polling(Device):
    """The polls transitions of ``booth.polls.TRANSITIONS`` before the count."""

    def zero_report(self, token: str) -> dict:
        """The data of the zero report (every candidate at 0) for the kiosk to print."""
        self._require("zero_report", token, states=polls.ACTS["zero_report"], needs=("ballot_store_empty", "installed"))
        base = self._report_base("zero")
        # The zero report's QR: the signed opening statement a witness pins (key, election, log).
        base["opening"] = opening_statement(self.ledger, self.package)
        return base

    def zero_report_printed(self, token: str) -> None:
        s = self._require("zero_report", token, states=polls.ACTS["zero_report_printed"], needs=("installed",))
        first = "activated" not in self.day.custody_done
        self._append("polls.zero_report", s.companion, {"ballots": self.ledger.ballots_cast})
        self._enroll_secret = None  # activation ends the handover sitting
        if first:
            self._append("custody.activated", s.companion, {"place": self._place(), "note": "laporan nol dicetak"})

    def open_polls(self, token: str) -> None:
        s = self._require(
            "open_polls",
            token,
            transition="open_polls",
            needs=("zero_report_printed", "ballot_store_empty", "package_loaded"),
        )
        pkg = self._need_package()
        slots = max(self.settings.min_slots, int(len(pkg.voters) * (1 + self.settings.slot_margin)))
        if self.day.role != roles.DESK and self.ledger.empty_slots < slots:  # a desk holds no ballot
            self.ledger.add_ballot_slots(slots - self.ledger.empty_slots, actor=s.companion)
            self._fold_latest()
        self._append("polls.opened", s.companion, {})
        self._append("custody.voting_opened", s.companion, {"place": self._place(), "note": ""})

    def pause(self, token: str, reason: str = "") -> None:
        s = self._require("pause", token)
        check_text(reason, "alasan", "reason", 200)
        self._check_device(transition="pause", needs=("no_voter_choosing",))
        self._append("polls.paused", s.companion, {"reason": reason})

    def resume(self, token: str) -> None:
        s = self._require("resume", token, transition="resume")
        self._append("polls.resumed", s.companion, {})

    def close_polls(self, token: str, reason: str | None = None) -> None:
        """Close the polls; before the scheduled time only with a reason (logged)."""
        s = self._require("close_polls", token, transition="close_polls", needs=("no_voter_in_booth",))
        early = self._now() < self._need_package().election.closes_at
        if early and not (isinstance(reason, str) and reason.strip()):
            raise refuse("early_close_needs_reason", early=True)
        if reason is not None:
            check_text(reason, "alasan", "reason", 300)
        self.ledger.close_ballot_box(s.companion, {"early": early, "reason": reason if early else None})
        self._fold_latest()

    def power_changed(self, state: str) -> dict:
        """The UPS reports mains lost / low battery / mains back (logged).

        On battery the booth pauses safely as soon as no voter is in the
        middle of choosing; resuming is a companion's decision.
        """
        if state not in ("mains", "battery", "low_battery"):
            raise refuse("unknown_power_state")
        self._append("device.power", "system", {"state": state})
        paused = False
        voting = self.day.current is not None and self.day.current.stage == "voting"
        if state != "mains" and self.day.polls == polls.OPEN and not voting:
            self._append("polls.paused", "system", {"reason": f"power: {state}"})
            paused = True
        return {"paused": paused, "polls": self.day.polls}
