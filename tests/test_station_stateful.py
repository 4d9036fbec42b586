"""A station of a desk and three booths holds its rules whatever order people and messages come in.

A hypothesis state machine drives four real devices (each its own ledger in a temporary folder,
one shared clock) through their acts only: the desk checks voters in and releases them to a
booth; tokens are delivered to the right booth, to the wrong one, twice, late; voters vote,
dispute and revote, or walk away; booths return their outcomes (or not, or twice); the desk
cancels releases after their timeout and its notices reach the booths (or not); booths and the
desk lose power; the clock moves.  Every refusal must have words in both languages and log nothing.
After every step, read back from each device's log:

* never a cast without a release accepted from the desk for *that* booth;
* never two valid casts for one release (a spoil allows the revote);
* at each booth, releases accepted = releases ended by a cast + by a cancel + the one open;
  ballots stored = releases cast (or casting) + spoils;
* at the desk, per booth, releases issued = out + cast + cancelled, and the voters marked voted
  are exactly those whose booth said "cast";

and at the end every device's log verifies.
"""

from __future__ import annotations

import shutil
from collections import Counter

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from booth.errors import BoothError
from booth.ledger.verify import DatabaseSource, verify
from service_day import JPEG, KETUA, demo_package, fast_tmp
from station_day import STATION_SETTINGS, cloned_station

VOTERS = [v.ref for v in demo_package()[2].voters[:8]]
BOOTHS = st.integers(min_value=1, max_value=3)


class StationDay(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = fast_tmp("booth-station-sm-")
        self.st = cloned_station(self.root, booths=3)
        self.issued: list[dict] = []  # every release the desk said yes to, with its token
        self.notices: list[dict] = []  # the desk's cancel notices, with their booth

    def teardown(self) -> None:
        casts = sum(b.svc.ledger.ballots_cast for b in self.st.booths.values())
        event(f"ballots cast at the booths: {'none' if not casts else '1-3' if casts <= 3 else 'more'}")
        event(f"releases accepted: {sum(len(b.svc.day.accepted) for b in self.st.booths.values()) > 0}")
        event(f"after a desk's cancel: {any(r.after_cancel for r in self.st.desk.svc.day.issued.values())}")
        for device in self.st.devices():
            report = verify(DatabaseSource(conn=device.svc.ledger.connection))
            assert report.ok, (device.state_dir.name, report.problems)
        self.st.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ helpers
    def attempt(self, device, call, *args):
        """The act's answer, or None when refused; a refusal has words and logs nothing."""
        before = device.svc.ledger.size
        try:
            return call(*args)
        except BoothError as err:
            assert err.message_id and err.message_en
            assert device.svc.ledger.size == before, f"{call.__name__} refused but logged"
            return None

    def booth(self, n: int):
        return self.st.booths[n]

    # ------------------------------------------------------------ the desk
    @rule(voter=st.sampled_from(VOTERS), booth=BOOTHS)
    def release(self, voter: str, booth: int) -> None:
        desk = self.st.desk
        token = desk.sign_in(KETUA)
        if voter not in desk.svc.day.voted:
            desk.svc.check_in(token, voter)
        out = self.attempt(desk, desk.svc.issue_release, token, voter, booth)
        if out is not None:
            self.issued.append(out)

    @precondition(lambda self: self.issued)
    @rule(data=st.data())
    def desk_cancels(self, data) -> None:
        release = data.draw(st.sampled_from(self.issued))
        desk = self.st.desk
        token = desk.sign_in(KETUA)
        out = self.attempt(desk, desk.svc.cancel_station_release, token, release["release"], "bilik tidak menjawab")
        if out is not None:
            self.notices.append(out)

    @rule(voter=st.sampled_from(VOTERS), booth=BOOTHS)
    def voter_released_walks_to_the_booth(self, voter: str, booth: int) -> None:
        """The usual way: released at the desk, the voter takes the token straight to that booth."""
        count = len(self.issued)
        self.release(voter, booth)
        if len(self.issued) > count:
            device = self.booth(booth)
            self.attempt(device, device.svc.accept_release, self.issued[-1]["token"])

    @precondition(lambda self: self.notices)
    @rule(data=st.data(), booth=BOOTHS)
    def notice_arrives(self, data, booth: int) -> None:
        notice = data.draw(st.sampled_from(self.notices))
        self.attempt(self.booth(booth), self.booth(booth).svc.release_revoked, notice["notice"])

    @rule(booth=BOOTHS)
    def outcomes_return(self, booth: int) -> None:
        device = self.booth(booth)
        for release in list(device.svc.day.outcomes):
            outcome = device.svc.release_outcome(release)
            self.attempt(self.st.desk, self.st.desk.svc.release_returned, outcome)

    @rule()
    def photos_at_the_desk(self) -> None:
        desk = self.st.desk.svc
        for release in [r for r in desk.day.issued.values() if r.state == "cast" and not r.photo_done]:
            desk.station_photo(release.id, JPEG)

    # ------------------------------------------------------------ the booths
    @precondition(lambda self: self.issued)
    @rule(data=st.data(), booth=BOOTHS)
    def token_arrives(self, data, booth: int) -> None:
        release = data.draw(st.sampled_from(self.issued))
        accepted = self.attempt(self.booth(booth), self.booth(booth).svc.accept_release, release["token"])
        if accepted is not None:
            assert release["booth"] == booth, "a booth accepted a release for another booth"

    @precondition(lambda self: self.issued)
    @rule(data=st.data())
    def voter_walks_to_the_booth(self, data) -> None:
        """Most tokens reach the booth they name (the voter carries the number to it)."""
        release = data.draw(st.sampled_from(self.issued[-3:]))
        device = self.booth(release["booth"])
        self.attempt(device, device.svc.accept_release, release["token"])

    def _voting(self, booth: int):
        current = self.booth(booth).svc.day.current
        return current if current is not None and current.stage == "voting" else None

    def _voting_booths(self) -> list[int]:
        return [n for n in self.st.booths if self._voting(n) is not None]

    @precondition(lambda self: self._voting_booths())
    @rule(data=st.data(), choice=st.sampled_from(["1", "2", "3"]))
    def voter_votes(self, data, choice: str) -> None:
        booth = data.draw(st.sampled_from(self._voting_booths()))
        current = self._voting(booth)
        svc = self.booth(booth).svc
        svc.cast(current.id, choice)
        svc.slip_printed(current.id)
        svc.slip_confirmed(current.id)

    @precondition(lambda self: self._voting_booths())
    @rule(data=st.data(), choice=st.sampled_from(["1", "2", "3"]))
    def voter_disputes_the_slip(self, data, choice: str) -> None:
        booth = data.draw(st.sampled_from(self._voting_booths()))
        current = self._voting(booth)
        if current.spoils >= 2:
            return
        device = self.booth(booth)
        device.svc.cast(current.id, choice)
        device.svc.slip_printed(current.id)
        device.svc.slip_disputed(current.id)
        device.svc.spoil_ballot(device.sign_in(KETUA), current.id)  # the same release votes again

    @rule(booth=BOOTHS)
    def voter_walks_away(self, booth: int) -> None:
        current = self._voting(booth)
        if current is not None:
            device = self.booth(booth)
            device.svc.cancel_release(device.sign_in(KETUA), current.id, "pemilih pergi")

    @rule(booth=BOOTHS, crash=st.booleans())
    def booth_loses_power(self, booth: int, crash: bool) -> None:
        self.booth(booth).restart(crash=crash)

    @rule(crash=st.booleans())
    def desk_loses_power(self, crash: bool) -> None:
        self.st.desk.restart(crash=crash)

    @rule(seconds=st.sampled_from([5, 60, 200, STATION_SETTINGS.release_timeout + 1]))
    def time_passes(self, seconds: float) -> None:
        self.st.clock.advance(seconds)

    # ------------------------------------------------------------ what must always hold
    @invariant()
    def each_booth_casts_only_under_its_own_releases_once(self) -> None:
        issued_to = {r["release"]: r["booth"] for r in self.issued}
        for n, device in self.st.booths.items():
            accepted: set[str] = set()
            casts: Counter[str] = Counter()
            spoils: Counter[str] = Counter()
            for entry in device.svc.ledger.entries():
                release = entry.payload.get("release")
                if entry.type == "station.release_accepted":
                    assert issued_to.get(release) == n, "accepted a release the desk never issued to this booth"
                    accepted.add(release)
                elif entry.type == "ballot.cast":
                    assert release in accepted, "a cast without a release for this booth"
                    casts[release] += 1
                    assert casts[release] - spoils[release] <= 1, "two valid casts for one release"
                elif entry.type == "ballot.spoiled":
                    spoils[release] += 1
            day = device.svc.day
            ended = Counter(o["outcome"] for o in day.outcomes.values())
            assert len(accepted) == ended["cast"] + ended["cancelled"] + (day.current is not None)
            assert device.svc.ledger.ballots_cast == sum(casts.values()) == day.casts
            assert device.svc.ledger.ballots_spoiled == sum(spoils.values())

    @invariant()
    def the_desk_reconciles_per_booth(self) -> None:
        desk = self.st.desk.svc.day
        for n in self.st.booths:
            mine = [r for r in desk.issued.values() if r.booth == n]
            states = Counter(r.state for r in mine)
            assert len(mine) == states["out"] + states["cast"] + states["cancelled"]
        cast = [r for r in desk.issued.values() if r.state == "cast"]
        assert desk.voted == {r.voter for r in cast}
        # a voter cast twice only when the desk had given up on a release the booth then used
        twice = [v for v, k in Counter(r.voter for r in cast).items() if k > 1]
        assert all(any(r.after_cancel for r in cast if r.voter == v) for v in twice)


StationDay.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestStationDay = StationDay.TestCase
