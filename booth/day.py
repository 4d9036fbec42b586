"""The election day as the log tells it: state rebuilt by replaying events.

The event log is the only truth.  :class:`Day` folds every event into the
picture the rules need (polls state, custody trail, who checked in, which
release is open, who voted, wrong-PIN counts), both when the ledger service
starts — after a clean stop or a crash — and after each event it appends.
So the booth always comes back in the same state it was in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from booth import polls
from booth.ledger.clock import parse_utc_text


@dataclass(frozen=True)
class Moment:
    """When something happened: wall time, and the monotonic reading within a boot."""

    wall: dt.datetime
    boot: str
    mono_ns: int


@dataclass
class Release:
    """A ballot released by a companion for one verified voter."""

    id: str
    voter: str
    released_at: Moment
    # voting -> printing -> (print_failed) -> checking -> photo -> done; a disputed slip:
    # checking -> disputed -> (companion spoils) -> voting again, or (escalated) -> photo
    stage: str = "voting"
    cast: bool = False
    slip_failures: int = 0
    disputes: int = 0
    spoils: int = 0


@dataclass
class StationRelease:
    """At a desk: a release token issued for one voter to one booth, and what became of it."""

    id: str
    voter: str
    booth: int
    expires: str  # UTC text, as in the token
    issued_at: Moment
    state: str = "out"  # out -> cast | cancelled (returned by the booth, or cancelled at the desk)
    spoils: int = 0
    returned: bool = False  # the booth's signed outcome arrived (a desk cancel alone is not a return)
    after_cancel: bool = False  # the booth cast under a release the desk had already cancelled
    photo_done: bool = False


@dataclass
class CustodyStep:
    stage: str
    time: str
    actor: str
    place: str
    note: str
    seq: int


@dataclass
class Day:
    polls: str = polls.UNCONFIGURED
    election_id: str | None = None
    zero_report_printed: bool = False
    custody: list[CustodyStep] = field(default_factory=list)
    dptb: dict[str, dict] = field(default_factory=dict)  # ref -> payload
    checked_in: set[str] = field(default_factory=set)
    voted: set[str] = field(default_factory=set)
    refusals: int = 0
    releases: int = 0
    cancellations: int = 0
    current: Release | None = None
    casts: int = 0
    last_cast_at: Moment | None = None
    slips_printed: int = 0  # slips that came out whole, first try or reprint
    slip_failures: int = 0
    reprints: int = 0
    slips_confirmed: int = 0
    disputes: int = 0
    spoiled: int = 0
    escalations: int = 0
    photos: int = 0
    photo_failures: int = 0
    photos_skipped: int = 0
    pins_set: set[str] = field(default_factory=set)
    misses: dict[str, tuple[int, Moment]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    self_test: dict | None = None
    closed_early_reason: str | None = None
    tally: dict | None = None
    counted_size: int = 0  # log size right after polls.counted (the results statement names it)
    results_printed: int = 0
    zero_reports_printed: int = 0
    exports: int = 0
    photos_purged: bool = False
    reset_nonces: set[str] = field(default_factory=set)
    size: int = 0
    # --- the polling station (booth.station; docs/station.md)
    role: str = "single"  # single | desk | booth, from ledger.created
    desk: dict | None = None  # a booth: its station's desk (fingerprint, verifier_key, booth number)
    # a desk: booth number -> fingerprint, verifier_key (and "replaced": the earlier devices, oldest first)
    booths: dict[int, dict] = field(default_factory=dict)
    accepted: set[str] = field(default_factory=set)  # a booth: release IDs accepted (each once, ever)
    revoked: set[str] = field(default_factory=set)  # a booth: release IDs the desk cancelled before use
    outcomes: dict[str, dict] = field(default_factory=dict)  # a booth: release -> {"outcome", "spoils"}
    issued: dict[str, StationRelease] = field(default_factory=dict)  # a desk: release -> what became of it
    #: What this device's log says must go out on the link, in log order (``station_outbox``):
    #: {"index" (the event's seq), "kind" (release | cancel | outcome | roster), "booth" or "release", "payload"}.
    outbox: list[dict] = field(default_factory=list)
    #: a booth: the station's booths in the desk's last roster (number -> fingerprint, verifier_key),
    #: and that roster's version; a desk: the version of the roster it sends (booth.station.roster).
    roster: dict[int, dict] = field(default_factory=dict)
    roster_version: int = 0
    #: A desk: the closings its booths sent over the link, device fingerprint -> {"booth", "statement"}.
    closings: dict[str, dict] = field(default_factory=dict)

    @property
    def custody_done(self) -> list[str]:
        return [step.stage for step in self.custody]

    def apply(self, entry) -> None:
        """Fold one event (a ``booth.ledger.ledger.Entry``) into the day.

        The polls state follows ``polls.STATE_AFTER_EVENT``; everything else
        the rules need follows :data:`HANDLERS`.  An event type in
        :data:`IGNORED` changes nothing here (it is still in the log).
        """
        when = Moment(parse_utc_text(entry.time), entry.boot, entry.mono_ns)
        self.size = entry.seq + 1
        if entry.type in polls.STATE_AFTER_EVENT:
            self.polls = polls.STATE_AFTER_EVENT[entry.type]
        handler = HANDLERS.get(entry.type)
        if handler is not None:
            handler(self, entry, when)


# ------------------------------------------------------------ the handlers
# Each takes (day, entry, when); ``entry.payload`` is the event's signed payload.
def _created(day: Day, entry, when: Moment) -> None:
    day.role = entry.payload.get("role", "single")


def _election_loaded(day: Day, entry, when: Moment) -> None:
    day.election_id = entry.payload["election_id"]
    day.zero_report_printed = False  # a new package needs its own zero report


def _custody_step(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    stage = entry.type.split(".", 1)[1]
    day.custody.append(CustodyStep(stage, entry.time, entry.actor, p.get("place", ""), p.get("note", ""), entry.seq))
    if stage == "installed" and "self_test" in p:
        day.self_test = p["self_test"]


def _self_test(day: Day, entry, when: Moment) -> None:
    day.self_test = entry.payload.get("results")


def _zero_report(day: Day, entry, when: Moment) -> None:
    day.zero_report_printed = True
    day.zero_reports_printed += 1


def _polls_closed(day: Day, entry, when: Moment) -> None:
    day.closed_early_reason = entry.payload.get("reason")


def _polls_counted(day: Day, entry, when: Moment) -> None:
    day.tally = entry.payload.get("tally")
    day.counted_size = entry.seq + 1
    if day.role == "booth":  # its signed results statement goes to the desk (station_outbox)
        day.outbox.append({"index": entry.seq, "kind": "closing"})


def _results_printed(day: Day, entry, when: Moment) -> None:
    day.results_printed += 1


def _exported(day: Day, entry, when: Moment) -> None:
    day.exports += 1


def _pin_set(day: Day, entry, when: Moment) -> None:
    day.pins_set.add(entry.payload["companion"])


def _login_failed(day: Day, entry, when: Moment) -> None:
    companion = entry.payload["companion"]
    count, _ = day.misses.get(companion, (0, when))
    day.misses[companion] = (count + 1, when)


def _locked(day: Day, entry, when: Moment) -> None:
    day.locked.add(entry.payload["companion"])


def _signed_in(day: Day, entry, when: Moment) -> None:
    day.misses.pop(entry.payload["companion"], None)


def _lockout_reset(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    day.misses.pop(p["companion"], None)
    day.locked.discard(p["companion"])
    day.reset_nonces.add(p.get("nonce", ""))  # a reset file is good once


def _dptb_added(day: Day, entry, when: Moment) -> None:
    day.dptb[entry.payload["voter"]] = entry.payload


def _checked_in(day: Day, entry, when: Moment) -> None:
    day.checked_in.add(entry.payload["voter"])


def _refused(day: Day, entry, when: Moment) -> None:
    day.refusals += 1


def _released(day: Day, entry, when: Moment) -> None:
    day.releases += 1
    day.current = Release(entry.payload["release"], entry.payload["voter"], when)


def _release_cancelled(day: Day, entry, when: Moment) -> None:
    day.cancellations += 1
    if day.role == "booth" and day.current is not None:
        day.outcomes[day.current.id] = {"outcome": "cancelled", "spoils": day.current.spoils}
        day.outbox.append({"index": entry.seq, "kind": "outcome", "release": day.current.id})
    day.current = None


def _booth_done(day: Day, entry) -> None:
    """A booth's session ends with the slip check: the photo is taken at the desk as the voter leaves."""
    if day.role == "booth" and day.current is not None:
        day.outcomes[day.current.id] = {"outcome": "cast", "spoils": day.current.spoils}
        day.outbox.append({"index": entry.seq, "kind": "outcome", "release": day.current.id})
        day.current = None


def _cast(day: Day, entry, when: Moment) -> None:
    day.casts += 1
    day.last_cast_at = when
    if day.current is not None:
        day.current.cast = True
        day.current.stage = "printing"
        if day.current.voter:  # a booth's release names no voter
            day.voted.add(day.current.voter)


def _slip_failed(day: Day, entry, when: Moment) -> None:
    day.slip_failures += 1
    if day.current is not None:
        day.current.stage = "print_failed"
        day.current.slip_failures += 1


def _slip_printed(day: Day, entry, when: Moment) -> None:
    day.slips_printed += 1
    day.reprints += entry.type == "slip.reprinted"
    if day.current is not None:
        day.current.stage = "checking"  # the voter checks the slip before the photo


def _slip_confirmed(day: Day, entry, when: Moment) -> None:
    day.slips_confirmed += 1
    if day.current is not None:
        day.current.stage = "photo"
    _booth_done(day, entry)


def _slip_disputed(day: Day, entry, when: Moment) -> None:
    day.disputes += 1
    if day.current is not None:
        day.current.stage = "disputed"
        day.current.disputes += 1


def _spoiled(day: Day, entry, when: Moment) -> None:
    # The same release lets the voter vote again: the spoiled ballot no longer counts as their vote.
    day.spoiled += 1
    if day.current is not None:
        day.current.spoils += 1
        day.current.cast = False
        day.current.stage = "voting"
        day.current.slip_failures = 0  # the new ballot's slip is a first print, not a reprint
        day.current.released_at = when  # the idle timeout counts from the new ballot, not the first
        day.voted.discard(day.current.voter)


def _dispute_escalated(day: Day, entry, when: Moment) -> None:
    day.escalations += 1
    if day.current is not None:
        day.current.stage = "photo"
    _booth_done(day, entry)


def _photo_failed(day: Day, entry, when: Moment) -> None:
    day.photo_failures += 1


def _photo_taken(day: Day, entry, when: Moment) -> None:
    day.photos += 1
    day.current = None  # the voter's session ends with the photo
    issued = day.issued.get(entry.payload.get("release", ""))
    if issued is not None:  # at a desk: the photo as the voter leaves
        issued.photo_done = True


def _photo_skipped(day: Day, entry, when: Moment) -> None:
    day.photos_skipped += 1
    day.current = None
    issued = day.issued.get(entry.payload.get("release", ""))
    if issued is not None:
        issued.photo_done = True


# --- the polling station: a booth's side
def _desk_paired(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    day.desk = {"fingerprint": p["desk"], "verifier_key": p["verifier_key"], "booth": p["booth"]}


def _roster(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    day.roster_version = p["version"]
    day.roster = {int(n): dict(b) for n, b in p["booths"].items()}


def _release_accepted(day: Day, entry, when: Moment) -> None:
    release = entry.payload["release"]
    day.releases += 1
    day.accepted.add(release)
    day.current = Release(release, "", when)  # no voter: a booth knows nothing about voters


def _release_revoked(day: Day, entry, when: Moment) -> None:
    day.revoked.add(entry.payload["release"])


# --- the polling station: the desk's side
def _booth_paired(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    before = day.booths.get(p["booth"])
    replaced: list[dict] = []
    if before is not None and before["fingerprint"] != p["fingerprint"]:
        # a replacement: the old device's closing still belongs to this number (its key kept for it)
        old = {"fingerprint": before["fingerprint"], "verifier_key": before["verifier_key"]}
        replaced = [*before.get("replaced", []), old]
    elif before is not None:
        replaced = list(before.get("replaced", []))
    day.booths[p["booth"]] = {"fingerprint": p["fingerprint"], "verifier_key": p["verifier_key"]}
    if replaced:
        day.booths[p["booth"]]["replaced"] = replaced
    # every paired booth hears the new roster (booth.station.roster): whom it may watch, by which key
    day.roster_version = entry.seq
    for number in sorted(day.booths):
        day.outbox.append({"index": entry.seq, "kind": "roster", "booth": number})


def _release_issued(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    day.releases += 1
    day.issued[p["release"]] = StationRelease(p["release"], p["voter"], p["booth"], p["expires"], when)
    if "token" in p:  # the signed token for the booth (no voter in it)
        day.outbox.append({"index": entry.seq, "kind": "release", "booth": p["booth"], "payload": p["token"]})


def _closing_received(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    day.closings[p["device"]] = {"booth": p["booth"], "statement": p["statement"]}


def _release_returned(day: Day, entry, when: Moment) -> None:
    p = entry.payload
    issued = day.issued[p["release"]]
    issued.returned = True
    issued.spoils = p.get("spoils", 0)
    if p["outcome"] == "cast":
        if issued.state == "cancelled":  # the booth voted before the desk's cancel reached it
            issued.after_cancel = True
            day.cancellations -= 1
        issued.state = "cast"
        day.casts += 1
        day.voted.add(issued.voter)
    elif issued.state == "out":
        issued.state = "cancelled"
        day.cancellations += 1


def _station_release_cancelled(day: Day, entry, when: Moment) -> None:
    issued = day.issued[entry.payload["release"]]
    if "notice" in entry.payload:  # the signed notice for the booth
        day.outbox.append(
            {"index": entry.seq, "kind": "cancel", "booth": issued.booth, "payload": entry.payload["notice"]}
        )
    if issued.state == "out":
        issued.state = "cancelled"
        day.cancellations += 1


def _photos_purged(day: Day, entry, when: Moment) -> None:
    day.photos_purged = True


Handler = Callable[[Day, Any, Moment], None]

#: What each event type (``booth.ledger.event_types.EVENT_TYPES``) changes in the day.
HANDLERS: dict[str, Handler] = {
    "ledger.created": _created,
    "election.loaded": _election_loaded,
    **{f"custody.{stage}": _custody_step for stage in polls.CUSTODY_ORDER},
    "hardware.self_test": _self_test,
    "polls.zero_report": _zero_report,
    "polls.closed": _polls_closed,
    "polls.counted": _polls_counted,
    "polls.results_printed": _results_printed,
    "polls.exported": _exported,
    "companion.pin_set": _pin_set,
    "companion.login_failed": _login_failed,
    "companion.locked": _locked,
    "companion.login": _signed_in,
    "companion.reset": _lockout_reset,
    "voter.dptb_added": _dptb_added,
    "voter.checked_in": _checked_in,
    "voter.refused": _refused,
    "ballot.released": _released,
    "ballot.release_cancelled": _release_cancelled,
    "ballot.cast": _cast,
    "slip.print_failed": _slip_failed,
    "slip.printed": _slip_printed,
    "slip.reprinted": _slip_printed,
    "slip.confirmed": _slip_confirmed,
    "slip.disputed": _slip_disputed,
    "ballot.spoiled": _spoiled,
    "slip.dispute_escalated": _dispute_escalated,
    "voter.photo_failed": _photo_failed,
    "voter.photo_taken": _photo_taken,
    "voter.photo_skipped": _photo_skipped,
    "photos.purged": _photos_purged,
    "station.desk_paired": _desk_paired,
    "station.roster": _roster,
    "station.release_accepted": _release_accepted,
    "station.release_revoked": _release_revoked,
    "station.booth_paired": _booth_paired,
    "station.release_issued": _release_issued,
    "station.release_returned": _release_returned,
    "station.release_cancelled": _station_release_cancelled,
    "station.closing_received": _closing_received,
}

#: Event types that change nothing the rules read (beyond the polls state), and why.
IGNORED: dict[str, str] = {
    "device.started": "a boot note: the day resumes where the events before it left it",
    "device.recovered": "a recovery note: the open session is resolved by the events written with it",
    "device.committee_key": "the pinned committee key is kept in the ledger's state (get_state)",
    "device.power": "the power state is shown live by the kiosk, not folded into the day",
    "companion.logout": "sign-ins are tokens held in memory, gone with a restart anyway",
    "polls.opened": "the polls state only (polls.STATE_AFTER_EVENT)",
    "polls.paused": "the polls state only (polls.STATE_AFTER_EVENT)",
    "polls.resumed": "the polls state only (polls.STATE_AFTER_EVENT)",
    "polls.packed": "the polls state only (polls.STATE_AFTER_EVENT)",
    "ballot.slots_added": "the ballot store's own bookkeeping",
    "voter.photo_viewed": "an audit record of who looked at a photo",
    "hardware.fault": "an audit record; faults are handled where they happen",
    "report.printed": "an audit record of a printed report",
    "station.checkpoint_seen": "what this device saw of another: read by booth.station.watch.seen_by",
    "station.peer_alarm": "an audit record of another device caught going back or replaced",
    "station.peer_replaced": "read by booth.station.watch (paired_keys, seen_by), not by the day",
    "station.results": "the desk's record of its booths' closings, for the committee",
    "station.exported": "where the station bundle was written and which booths it holds, for the committee",
}
