"""A polling station of one desk and N booths, as a discrete-event model of the voters' day.

A voter walks through four stages, each a pool of servers with one FIFO queue in front::

    arrive -> [check-in: companions at the desk] -> wait seated for a free booth
           -> (release) walk to the booth, vote, check the slip, leave the booth  [booths]
           -> walk back to the desk -> [photo instead of ink: the desk's camera] -> leave

* **Check-in** (registration + verification) is done at the desk by ``checkin_clerks``
  companions (2 by default, as a TPS seats two members at its registration table), each
  working the desk's check-in screen in turn.  A voter refused at the desk (already voted)
  leaves from there.
* **Release**: as soon as a booth is free and a checked-in voter waits, the desk releases that
  booth to the voter who waited longest (the booth that has been free longest goes first).  The
  booth is the voter's from the release on, so the walk to it counts as booth time.
* **Photo**: the voter comes back past the desk, where ``photo_clerks`` companions take the
  photo instead of ink, then leaves.

Human timings (:class:`Timings`, all in seconds) are assumptions, stated here with why:

* **Check-in**: lognormal, median 20 s, sigma 0.35 (90% between 11 and 36 s).  Most voters bring
  the invitation (surat pemberitahuan) with their DPT number, so the companion types a number,
  checks the name and the KTP photo against the face and taps "Terverifikasi".  Lognormal because
  human task times are positive and right-skewed.  15% come without the invitation: a name
  search, +20 s median (sigma 0.5), since names and NIKs often mismatch.  2% are added to the
  DPTb (KTP address checked, reason typed): +90 s median.  1% are disputed at the desk (already
  voted, a face that does not match the KTP): the presiding member is called and the earlier
  photo shown, +150 s median (sigma 0.5); half of them are refused and leave.
* **Walk to the booth**: triangular 4 / 8 / 20 s (low / mode / high): being called, standing up,
  a few metres of a village hall; slow for the elderly.
* **In the booth** (touch a photo, confirm, slip prints, slip check, slip into the audit box,
  leave): lognormal, median 35 s, sigma 0.45 (90% between 17 and 73 s).  One race of a few
  candidates with photos, touched once and confirmed once; the slip prints in a few seconds and
  is shown until the voter answers.  4% are assisted voters (elderly, disabled, with a
  pendamping): their booth time is 2.2 times as long.  0.5% dispute the slip: a companion
  spoils the ballot and they vote again, +75 s median.
* **Walk back to the desk**: triangular 3 / 6 / 15 s.
* **Photo instead of ink**: lognormal, median 7 s, sigma 0.3 (stand still, capture, keep);
  3% need a second take (eyes closed, blur), +7 s.

Arrivals (:func:`arrivals`): ``voters`` voters come over the polling hours with a morning peak:
the density of arrival times is ``0.5 + exp(-((t - peak) / width)**2 / 2)`` over ``[0, hours]``,
peak 1.5 h after opening, width 0.75 h (so for 07:00-13:00 the busiest hour, 08:00-09:00, has
about twice the average rate).  ``saturated=True`` puts every voter in the queue at opening
instead: that measures what the station can do, not what a day asks of it.

Everything random comes from one ``random.Random(seed)``; each voter's timings are drawn in
arrival order before the day runs, so the same seed gives the same voters whatever the number
of booths (a fair comparison), and the same run twice gives the same records.

>>> day = simulate(Station(booths=3), arrivals(200, seed=7))
>>> day.served + day.refused == 200
True
>>> round(ideal(Station(booths=1)).per_hour)
70
>>> ideal(Station(booths=1)).bottleneck
'booths'
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

HOUR = 3600.0


# ----------------------------------------------------------------- distributions
@dataclass(frozen=True)
class LogNormal:
    """A right-skewed positive time: ``median`` seconds, ``sigma`` the spread of its logarithm."""

    median: float
    sigma: float

    def draw(self, rng: random.Random) -> float:
        return rng.lognormvariate(math.log(self.median), self.sigma)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


@dataclass(frozen=True)
class Triangular:
    """A bounded time: never under ``low`` nor over ``high``, most often ``mode`` seconds."""

    low: float
    mode: float
    high: float

    def draw(self, rng: random.Random) -> float:
        return rng.triangular(self.low, self.high, self.mode)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


@dataclass(frozen=True)
class Timings:
    """The human timings of the station (see the module docstring for why these values)."""

    checkin: LogNormal = LogNormal(20, 0.35)
    no_invitation_share: float = 0.15
    name_search: LogNormal = LogNormal(20, 0.5)
    dptb_share: float = 0.02
    dptb: LogNormal = LogNormal(90, 0.4)
    desk_dispute_share: float = 0.01
    desk_dispute: LogNormal = LogNormal(150, 0.5)
    refused_of_disputes: float = 0.5
    walk_in: Triangular = Triangular(4, 8, 20)
    booth: LogNormal = LogNormal(35, 0.45)
    assisted_share: float = 0.04
    assisted_factor: float = 2.2
    slip_dispute_share: float = 0.005
    revote: LogNormal = LogNormal(75, 0.4)
    walk_out: Triangular = Triangular(3, 6, 15)
    photo: LogNormal = LogNormal(7, 0.3)
    retake_share: float = 0.03

    # The expected work of each stage per voter, from the distributions (not from a run).
    def mean_checkin(self) -> float:
        return (
            self.checkin.mean
            + self.no_invitation_share * self.name_search.mean
            + self.dptb_share * self.dptb.mean
            + self.desk_dispute_share * self.desk_dispute.mean
        )

    def refused_share(self) -> float:
        return self.desk_dispute_share * self.refused_of_disputes

    def mean_booth(self) -> float:
        """A booth's time per voter: from the release (the walk to it) until the voter steps out."""
        in_booth = self.booth.mean * (1 + self.assisted_share * (self.assisted_factor - 1))
        return self.walk_in.mean + in_booth + self.slip_dispute_share * self.revote.mean

    def mean_photo(self) -> float:
        return self.photo.mean * (1 + self.retake_share)


@dataclass(frozen=True)
class Station:
    """Who works at the station: ``booths`` booths, companions at the desk's two jobs."""

    booths: int
    checkin_clerks: int = 2
    photo_clerks: int = 1
    timings: Timings = field(default_factory=Timings)

    def __post_init__(self) -> None:
        if self.booths < 1 or self.checkin_clerks < 1 or self.photo_clerks < 1:
            raise ValueError("a station needs at least one booth, one check-in companion and one photo companion")


# ----------------------------------------------------------------- voters
@dataclass
class Voter:
    """One voter: what they will take at each stage (drawn up front) and when things happened."""

    number: int
    arrived: float
    checkin_s: float
    refused: bool
    walk_in_s: float
    booth_s: float
    walk_out_s: float
    photo_s: float
    assisted: bool = False
    # filled in by the day
    checkin_started: float | None = None
    checked_in: float | None = None
    released: float | None = None
    booth: int | None = None
    booth_left: float | None = None
    back_at_desk: float | None = None
    photo_started: float | None = None
    left: float | None = None
    departures: int = 0

    @property
    def wait(self) -> float:
        """Time spent standing or sitting in a queue (not being served, not walking)."""
        assert self.left is not None and self.checkin_started is not None and self.checked_in is not None
        waited = self.checkin_started - self.arrived
        if self.refused:
            return waited
        assert self.released is not None and self.back_at_desk is not None and self.photo_started is not None
        return waited + (self.released - self.checked_in) + (self.photo_started - self.back_at_desk)


def arrival_density(t: float, hours: float, peak_h: float = 1.5, width_h: float = 0.75) -> float:
    """The (unnormalised) density of arrival times ``t`` seconds after opening: a morning peak."""
    if not 0 <= t <= hours * HOUR:
        return 0.0
    return 0.5 + math.exp(-(((t / HOUR - peak_h) / width_h) ** 2) / 2)


def arrivals(
    voters: int,
    *,
    hours: float = 6.0,
    seed: int = 1,
    saturated: bool = False,
    timings: Timings | None = None,
) -> list[Voter]:
    """The day's voters in arrival order, each with their timings drawn from ``timings``.

    Arrival times are drawn from :func:`arrival_density` by rejection (its maximum is at most
    1.5); ``saturated`` puts everyone at the door at opening.
    """
    t = timings or Timings()
    rng = random.Random(seed)
    times: list[float] = []
    while len(times) < voters and not saturated:
        at = rng.uniform(0, hours * HOUR)
        if rng.uniform(0, 1.5) <= arrival_density(at, hours):
            times.append(at)
    if saturated:
        times = [0.0] * voters
    times.sort()
    people = []
    for number, at in enumerate(times):
        checkin = t.checkin.draw(rng)
        if rng.random() < t.no_invitation_share:
            checkin += t.name_search.draw(rng)
        if rng.random() < t.dptb_share:
            checkin += t.dptb.draw(rng)
        refused = False
        if rng.random() < t.desk_dispute_share:
            checkin += t.desk_dispute.draw(rng)
            refused = rng.random() < t.refused_of_disputes
        assisted = rng.random() < t.assisted_share
        booth = t.booth.draw(rng) * (t.assisted_factor if assisted else 1)
        if rng.random() < t.slip_dispute_share:
            booth += t.revote.draw(rng)
        photo = t.photo.draw(rng)
        if rng.random() < t.retake_share:
            photo += t.photo.draw(rng)
        people.append(
            Voter(
                number=number,
                arrived=at,
                checkin_s=checkin,
                refused=refused,
                walk_in_s=t.walk_in.draw(rng),
                booth_s=booth,
                walk_out_s=t.walk_out.draw(rng),
                photo_s=photo,
                assisted=assisted,
            )
        )
    return people


# ----------------------------------------------------------------- the day
@dataclass(frozen=True)
class Ideal:
    """The slowest stage's capacity in voters (who vote) per hour, and which stage it is."""

    per_hour: float
    bottleneck: str
    stages: dict[str, float]


def ideal(station: Station) -> Ideal:
    """Each stage's capacity (servers x 3600 / mean work per voter who votes); the least wins.

    >>> i = ideal(Station(booths=6))
    >>> i.bottleneck, round(i.stages["booths"])
    ('checkin', 418)
    """
    t = station.timings
    voting = 1 - t.refused_share()
    stages = {
        "checkin": station.checkin_clerks * HOUR / (t.mean_checkin() / voting),
        "booths": station.booths * HOUR / t.mean_booth(),
        "photo": station.photo_clerks * HOUR / t.mean_photo(),
    }
    bottleneck = min(stages, key=lambda name: stages[name])
    return Ideal(stages[bottleneck], bottleneck, stages)


@dataclass
class Day:
    """What happened: every voter's record, and how busy each stage was."""

    station: Station
    voters: list[Voter]
    busy_s: dict[str, float]
    booth_visits: list[tuple[int, float, float]]  # (booth, released, left) for each voter served

    @property
    def served(self) -> int:
        return sum(1 for v in self.voters if not v.refused)

    @property
    def refused(self) -> int:
        return sum(1 for v in self.voters if v.refused)

    @property
    def last_out(self) -> float:
        """When the last voter left, in seconds after opening."""
        return max((v.left or 0.0) for v in self.voters)

    def per_hour(self) -> float:
        """Voters who voted per hour, from opening until the last voter left."""
        return self.served / (self.last_out / HOUR) if self.last_out else 0.0

    def waits(self) -> list[float]:
        return sorted(v.wait for v in self.voters)

    def max_wait(self) -> float:
        return self.waits()[-1] if self.voters else 0.0

    def p95_wait(self) -> float:
        return percentile(self.waits(), 0.95)

    def utilisation(self, stage: str) -> float:
        """Share of the servers' time (opening to last voter out) the stage was working."""
        servers = {
            "checkin": self.station.checkin_clerks,
            "booths": self.station.booths,
            "photo": self.station.photo_clerks,
        }[stage]
        return self.busy_s[stage] / (servers * self.last_out) if self.last_out else 0.0


@dataclass(frozen=True, order=True)
class Step:
    """One thing a device does in the day, ``at`` seconds after opening (for replaying a day on real ledgers)."""

    at: float
    device: str  # "meja" or "bilik-N"
    action: str  # "check_in", "refuse", "release", "cast", "photo"
    booth: str | None = None  # the booth released to (release) or voted in (cast)


def timeline(day: Day) -> list[Step]:
    """The day as the devices see it, in time order: what the desk and each booth do, and when.

    No step names a voter: a replay writes into real ledgers, and what the desk knows of a voter
    (check-in, photo) is never joined to what a booth records (the cast) by anything but the clock.
    The cast is taken as the moment the voter steps out of the booth.
    """
    steps = []
    for v in day.voters:
        assert v.checked_in is not None
        if v.refused:
            steps.append(Step(v.checked_in, "meja", "refuse"))
            continue
        assert v.released is not None and v.booth_left is not None and v.photo_started is not None
        assert v.left is not None
        booth = f"bilik-{v.booth}"
        steps += [
            Step(v.checked_in, "meja", "check_in"),
            Step(v.released, "meja", "release", booth),
            Step(v.booth_left, booth, "cast", booth),
            Step(v.left, "meja", "photo"),
        ]
    return sorted(steps)


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values (0 for none).

    >>> percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)
    10
    """
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


class _Pool:
    """Identical servers with one FIFO queue in front (companions, booths)."""

    def __init__(self, servers: int) -> None:
        self.free: deque[int] = deque(range(1, servers + 1))
        self.queue: deque[Voter] = deque()


def simulate(station: Station, voters: Sequence[Voter]) -> Day:
    """Run the day of ``voters`` (from :func:`arrivals`) through ``station``; returns the records.

    The voters are copied, so the same list can be run through several stations.
    """
    people = [Voter(**{k: getattr(v, k) for k in _DRAWN}) for v in voters]
    events: list[tuple[float, int, Callable[[], None]]] = []
    order = 0
    now = 0.0
    checkin, booths, photo = _Pool(station.checkin_clerks), _Pool(station.booths), _Pool(station.photo_clerks)
    busy = {"checkin": 0.0, "booths": 0.0, "photo": 0.0}
    visits: list[tuple[int, float, float]] = []

    def at(when: float, action: Callable[[], None]) -> None:
        nonlocal order
        order += 1  # ties run in the order they were scheduled
        heapq.heappush(events, (when, order, action))

    def leave(v: Voter) -> None:
        v.left = now
        v.departures += 1

    def queue_up(pool: _Pool, v: Voter, start: Callable[[], None]) -> None:
        pool.queue.append(v)
        start()

    def start_checkins() -> None:
        while checkin.free and checkin.queue:
            v, clerk = checkin.queue.popleft(), checkin.free.popleft()
            v.checkin_started = now
            busy["checkin"] += v.checkin_s
            at(now + v.checkin_s, partial(checkin_done, v, clerk))

    def checkin_done(v: Voter, clerk: int) -> None:
        v.checked_in = now
        checkin.free.append(clerk)
        if v.refused:
            leave(v)
        else:
            booths.queue.append(v)
            release_booths()
        start_checkins()

    def release_booths() -> None:
        while booths.free and booths.queue:
            v, booth = booths.queue.popleft(), booths.free.popleft()
            v.released, v.booth = now, booth
            occupied = v.walk_in_s + v.booth_s
            busy["booths"] += occupied
            at(now + occupied, partial(booth_done, v, booth))

    def booth_done(v: Voter, booth: int) -> None:
        v.booth_left = now
        assert v.released is not None
        visits.append((booth, v.released, now))
        booths.free.append(booth)
        release_booths()
        at(now + v.walk_out_s, partial(back_at_desk, v))

    def back_at_desk(v: Voter) -> None:
        v.back_at_desk = now
        queue_up(photo, v, start_photos)

    def start_photos() -> None:
        while photo.free and photo.queue:
            v, clerk = photo.queue.popleft(), photo.free.popleft()
            v.photo_started = now
            busy["photo"] += v.photo_s
            at(now + v.photo_s, partial(photo_done, v, clerk))

    def photo_done(v: Voter, clerk: int) -> None:
        photo.free.append(clerk)
        leave(v)
        start_photos()

    for v in people:
        at(v.arrived, partial(queue_up, checkin, v, start_checkins))
    while events:
        now, _, action = heapq.heappop(events)
        action()
    return Day(station, people, busy, visits)


_DRAWN = (
    "number",
    "arrived",
    "checkin_s",
    "refused",
    "walk_in_s",
    "booth_s",
    "walk_out_s",
    "photo_s",
    "assisted",
)
