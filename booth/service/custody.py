"""Custody (tracking e-voting): received, distributed, handed over, installed — and the self-test."""

from __future__ import annotations

import re

from booth import polls
from booth.refusals import refuse
from booth.service.checks import check_results, check_text
from booth.service.device import Device

# A watch and the device agreeing within this many minutes is "the same time".
CLOCK_TOLERANCE_MIN = 5


class Custody(Device):
    """The custody steps a companion records by hand, and the trail of all of them."""

    def record_custody(
        self,
        stage: str,
        *,
        token: str | None = None,
        companion_id: str | None = None,
        place: str = "",
        note: str = "",
        self_test: dict | None = None,
        clock: dict | None = None,
    ) -> None:
        """Record a custody step (received, distributed, handed over, installed).

        Before handover no companion has a PIN yet, so ``received`` and
        ``distributed`` name the companion (``companion_id``) without one; from
        handover on a signed-in companion records the step.

        ``clock`` (handover only) is the companion's check of the device's clock
        against a watch: ``{"matches": "yes"}`` or ``{"watch": "HH:MM"}``, the time
        the watch shows in the election's zone.  The device has no clock of its own
        that it can trust (no network, perhaps no RTC), so the log keeps what the
        device showed, what the watch said and the difference: whoever reads the
        day's times later knows how far to trust them.
        """
        if stage not in polls.MANUAL_CUSTODY:
            raise refuse("unknown_custody_stage", stage=str(stage)[:40])
        check_text(place, "tempat", "place", 120)
        check_text(note, "catatan", "note", 500)
        if stage in ("received", "distributed") and token is None:
            actor = self._companion(companion_id or "").id
            self._check_device()
        else:
            actor = self._require("custody", token).companion
        self._need_package()
        expected = polls.next_custody_stage(self.day.custody_done)
        if stage != expected:
            stage_id, stage_en = stage_words(expected)
            raise refuse("custody_out_of_order", words={"stage_id": stage_id, "stage_en": stage_en}, expected=expected)
        if stage == "installed":
            if not self_test:
                raise refuse("self_test_first")
            check_results(self_test)
        elif self_test is not None:
            raise refuse("self_test_not_here")
        if clock is not None and stage != "handed_over":
            raise refuse("clock_check_not_here")
        payload = {"place": place, "note": note, "authenticated": token is not None}
        if self_test is not None:
            payload["self_test"] = self_test
        if clock is not None:
            payload["clock"] = self._clock_check(clock)
        self._append(f"custody.{stage}", actor, payload)

    def _clock_check(self, clock: dict) -> dict:
        """What the log keeps of the companion's clock check (see :meth:`record_custody`)."""
        election = self.package.election
        zone = election.opens_at.tzinfo
        shown = self._now().astimezone(zone)
        out: dict = {"device": shown.strftime("%H:%M"), "zone": election.timezone_label}
        if not isinstance(clock, dict) or set(clock) not in ({"matches"}, {"watch"}):
            raise refuse("bad_clock_check")
        if "matches" in clock:
            if clock["matches"] != "yes":
                raise refuse("bad_clock_check")
            return {**out, "watch": out["device"], "difference_min": 0, "confirmed": True}
        watch = clock["watch"]
        found = re.fullmatch(r"([01]?\d|2[0-3])[:.]([0-5]\d)", watch) if isinstance(watch, str) else None
        if not found:
            raise refuse("bad_clock_time", words={"text": str(watch)[:10]})
        minutes_shown = shown.hour * 60 + shown.minute
        minutes_watch = int(found[1]) * 60 + int(found[2])
        # the nearest way round the dial: 23:58 on the device and 00:03 on the watch is +5
        difference = (minutes_watch - minutes_shown + 720) % 1440 - 720
        return {
            **out,
            "watch": f"{int(found[1]):02d}:{found[2]}",
            "difference_min": difference,
            "confirmed": abs(difference) <= CLOCK_TOLERANCE_MIN,
        }

    def record_self_test(self, token: str, results: dict) -> None:
        s = self._require("self_test", token)
        check_results(results)
        self._append("hardware.self_test", s.companion, {"results": results})

    def custody_trail(self) -> list[dict]:
        return [
            {
                "stage": s.stage,
                "words": stage_words(s.stage),
                "time": s.time,
                "actor": s.actor,
                "place": s.place,
                "note": s.note,
                "seq": s.seq,
            }
            for s in self.day.custody
        ]


def stage_words(stage: str | None) -> tuple[str, str]:
    """(Indonesian, English) words of a custody stage (``polls.CUSTODY_STAGES``); "done" after the last."""
    for name, id_text, en_text in polls.CUSTODY_STAGES:
        if name == stage:
            return id_text, en_text
    return ("selesai", "done")
