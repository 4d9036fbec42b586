"""The election day as the log tells it: state rebuilt by replaying events.

The event log is the only truth.  :class:`Day` folds every event into the
picture the rules need (polls state, custody trail, who checked in, which
release is open, who voted, wrong-PIN counts), both when the ledger service
starts — after a clean stop or a crash — and after each event it appends.
So the booth always comes back in the same state it was in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

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
    stage: str = "voting"  # voting -> printing -> (print_failed) -> photo -> done
    cast: bool = False
    slip_failures: int = 0


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
    photos: int = 0
    photo_failures: int = 0
    photos_skipped: int = 0
    pins_set: set[str] = field(default_factory=set)
    misses: dict[str, tuple[int, Moment]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    self_test: dict | None = None
    closed_early_reason: str | None = None
    tally: dict | None = None
    counted_size: int = 0          # log size right after polls.counted (the results statement names it)
    results_printed: int = 0
    zero_reports_printed: int = 0
    exports: int = 0
    photos_purged: bool = False
    reset_nonces: set[str] = field(default_factory=set)
    size: int = 0

    @property
    def custody_done(self) -> list[str]:
        return [step.stage for step in self.custody]

    def apply(self, entry) -> None:
        """Fold one event (a ``booth.ledger.ledger.Entry``) into the day."""
        t, p = entry.type, entry.payload
        when = Moment(parse_utc_text(entry.time), entry.boot, entry.mono_ns)
        self.size = entry.seq + 1
        if t in polls.STATE_AFTER_EVENT:
            self.polls = polls.STATE_AFTER_EVENT[t]
        if t == "election.loaded":
            self.election_id = p["election_id"]
            self.zero_report_printed = False
        elif t.startswith("custody."):
            self.custody.append(CustodyStep(t.split(".", 1)[1], entry.time, entry.actor,
                                            p.get("place", ""), p.get("note", ""), entry.seq))
            if t == "custody.installed" and "self_test" in p:
                self.self_test = p["self_test"]
        elif t == "hardware.self_test":
            self.self_test = p.get("results")
        elif t == "polls.zero_report":
            self.zero_report_printed = True
            self.zero_reports_printed += 1
        elif t == "polls.closed":
            self.closed_early_reason = p.get("reason")
        elif t == "polls.counted":
            self.tally = p.get("tally")
            self.counted_size = entry.seq + 1
        elif t == "polls.results_printed":
            self.results_printed += 1
        elif t == "polls.exported":
            self.exports += 1
        elif t == "companion.pin_set":
            self.pins_set.add(p["companion"])
        elif t == "companion.login_failed":
            count, _ = self.misses.get(p["companion"], (0, when))
            self.misses[p["companion"]] = (count + 1, when)
        elif t == "companion.locked":
            self.locked.add(p["companion"])
        elif t in ("companion.login", "companion.reset"):
            self.misses.pop(p["companion"], None)
            if t == "companion.reset":
                self.locked.discard(p["companion"])
                self.reset_nonces.add(p.get("nonce", ""))
        elif t == "voter.dptb_added":
            self.dptb[p["voter"]] = p
        elif t == "voter.checked_in":
            self.checked_in.add(p["voter"])
        elif t == "voter.refused":
            self.refusals += 1
        elif t == "ballot.released":
            self.releases += 1
            self.current = Release(p["release"], p["voter"], when)
        elif t == "ballot.release_cancelled":
            self.cancellations += 1
            self.current = None
        elif t == "ballot.cast":
            self.casts += 1
            self.last_cast_at = when
            if self.current is not None:
                self.current.cast = True
                self.current.stage = "printing"
                self.voted.add(self.current.voter)
        elif t == "slip.print_failed":
            self.slip_failures += 1
            if self.current is not None:
                self.current.stage = "print_failed"
                self.current.slip_failures += 1
        elif t in ("slip.printed", "slip.reprinted"):
            self.slips_printed += 1
            self.reprints += t == "slip.reprinted"
            if self.current is not None:
                self.current.stage = "photo"
        elif t == "voter.photo_failed":
            self.photo_failures += 1
        elif t in ("voter.photo_taken", "voter.photo_skipped"):
            if t == "voter.photo_taken":
                self.photos += 1
            else:
                self.photos_skipped += 1
            self.current = None
        elif t == "photos.purged":
            self.photos_purged = True
