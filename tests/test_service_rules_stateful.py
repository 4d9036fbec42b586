"""The rules of the day hold whatever order companions and voters do things in, restarts included.

A hypothesis state machine drives ``BoothService`` through its client API
only: companions sign in with right and wrong PINs, voters are checked in
(some twice, some unknown), ballots are released, cast (valid and invalid
choices, stale and foreign release IDs), slips print or fail and are
reprinted, voters confirm or dispute their slip and companions spoil the
disputed ballot (at most twice, then escalate), photos are stored, fail or are skipped, releases are cancelled or
expire, the polls pause, resume, close (early with and without a reason) and
are counted, the UPS reports power lost and back, the clock moves a little
or a lot, and the device restarts — cleanly or as after a crash.

A small model of what *we* asked for and what the API said yes to predicts
the answer to every call (where the day's rules decide it), and every
refusal must be a ``BoothError`` with words in both languages that logs
nothing but the refusal itself.  After every step the ledger is read back
from the outside and must show:

* never a cast without a release, never a second cast for one release
  unless its ballot was spoiled, never a cast while the polls are not open;
* ballots stored == ``ballot.cast`` events == voters marked voted + spoiled
  ballots, and the tally in the store equals the choices the model saw cast
  and not spoiled;
* never a release for a voter who already voted;
* after the count, a balanced reconciliation;

and at the end the whole state directory verifies.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from booth.committee_reset import make_reset
from booth.companions import FIRST_WAIT_SECONDS, FREE_MISSES, LOCK_AFTER_MISSES, PERMISSIONS
from booth.errors import AlreadyVoted, BoothError, LockedOut, WrongPin
from booth.ledger.verify import open_source, verify
from service_day import JPEG, KETUA, PINS, cloned_booth, closes_at, demo_package, fast_tmp, vote

_, _KEYS, _PKG = demo_package()
VOTERS = [v.ref for v in _PKG.voters[:6]]
UNKNOWN_VOTERS = ["DPT-9999", "dpt-0001", "", "DPTB-0001"]
COMPANIONS = ["PT-01", "PT-02", "PT-03"]
ROLE = {c.id: c.role for c in _PKG.companions}
CHOICES = ["1", "2", "3"]
BAD_CHOICES = ["4", "0", "blank", "", "01", " 1"]
WHO = st.sampled_from(["signed", "signed", "signed"] + COMPANIONS)
REASONS = ["pemilih pulang", "istirahat siang", "", "   ", "x" * 250]
# how a voter's visit goes in ``voters_walk_through``
PATHS = [
    "normal",
    "normal",
    "normal",
    "slip_fails",
    "photo_fails",
    "leaves",
    "stops_after_release",
    "stops_after_cast",
    "disputes",
    "stops_after_spoil",
]
MAX_SPOILS = 2
IDLE = 300.0
RELEASE_TIMEOUT = 300.0
MIN_CAST_INTERVAL = 10.0

# Events a refused call may still log: the refusal itself.
REFUSAL_EVENTS = {
    "sign_in": {"companion.login_failed", "companion.locked"},
    "check_in": {"voter.refused"},
}
IDLE_LOGOUT = {"companion.logout"}  # a session found idle is ended (and logged) before the refusal


class _Refused(Exception):
    pass


class ElectionDay(RuleBasedStateMachine):
    """One device, one day, in a random order."""

    # ------------------------------------------------------------ setting up
    @initialize(opened=st.sampled_from([True, True, True, False]))
    def set_up(self, opened):
        self.tmp = fast_tmp("booth-stateful-")
        self.booth = cloned_booth(self.tmp / "state", opened=opened)
        self.polls = "open" if opened else "configured"
        self.sessions: dict[str, list] = {}  # companion -> [token, last seen]
        self.misses: dict[str, list] = {c: [0, None] for c in COMPANIONS}  # companion -> [misses, last miss]
        self.checked_in: set[str] = set()
        self.voted: set[str] = set()
        self.tally: Counter = Counter()
        self.releases: list[str] = []
        self.current: dict | None = None  # {"id", "voter", "stage", "at"}
        self.last_cast: dt.datetime | None = None
        self.used_resets: list[str] = []
        # the outside audit of the log
        self.audited = 0
        self.log_polls = "unconfigured"
        self.log_current: str | None = None
        self.log_release_voter: dict[str, str] = {}
        self.log_casts: Counter = Counter()
        self.log_spoils: Counter = Counter()
        self.log_voted: set[str] = set()
        self.log_cancelled: set[str] = set()

    def teardown(self):
        booth = getattr(self, "booth", None)
        if booth is None:
            return
        try:
            booth.close()
            report = verify(open_source(self.tmp / "state"))
            assert report.ok, report.problems[:5]
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ helpers
    @property
    def svc(self):
        return self.booth.svc

    def now(self) -> dt.datetime:
        return self.booth.clock.now()

    def call(self, name, fn, expect, *, refusal_events=frozenset()):
        """Call the API; the outcome must match ``expect`` (True, False or None = either).

        Returns the result, or raises _Refused after checking the refusal.
        """
        before = self.svc.ledger.size
        try:
            result = fn()
        except BoothError as exc:
            assert exc.message_id and exc.message_en, f"{name}: refusal without words: {exc!r}"
            added = [e.type for e in self.svc.ledger.entries(before)]
            allowed = set(refusal_events) | IDLE_LOGOUT
            assert set(added) <= allowed, f"{name} was refused ({exc.code}) but logged {added}"
            assert expect is not True, f"{name} should have been accepted, was refused: {exc.code} {exc.message_en}"
            event(f"{name}: refused")
            raise _Refused(exc) from None
        assert expect is not False, f"{name} should have been refused, was accepted"
        event(f"{name}: accepted")
        return result

    def token(self, who):
        """(companion or None, token text, whether the service should accept it now).

        ``who`` is a companion ID, or ``"signed"``: whoever holds a live session (the ketua first),
        else the ketua signs in now (through the ``sign_in`` rule, with its own expectation).
        """
        if who == "signed":
            live = sorted(c for c, (_, last) in self.sessions.items() if (self.now() - last).total_seconds() <= IDLE)
            if not live:
                self.sign_in(KETUA, True)
                live = [KETUA]
            who = live[0]
        if who in self.sessions:
            token, last = self.sessions[who]
            if (self.now() - last).total_seconds() > IDLE:
                del self.sessions[who]  # the service ends it at this call
                return who, token, False
            self.sessions[who][1] = self.now()  # any call with a live token keeps it alive
            return who, token, True
        return None, "not-a-token-" + str(who), False

    def allowed(self, who, valid, action) -> bool:
        return valid and ROLE[who] in PERMISSIONS[action] and self.polls != "packed"

    def release_id(self, which):
        if which == "current":
            return self.current["id"] if self.current else "R0001"
        if which == "stale":
            old = [r for r in self.releases if not self.current or r != self.current["id"]]
            return old[-1] if old else "R0000"
        return {"foreign": "R9999", "number": 1, "none": None}[which]

    def at(self, release, *stages) -> bool:
        return self.current is not None and self.current["id"] == release and self.current["stage"] in stages

    # ------------------------------------------------------------ companions
    @rule(who=st.sampled_from(COMPANIONS + ["PT-99"]), right=st.sampled_from([True, True, True, False]))
    def sign_in(self, who, right):
        pin = PINS.get(who, "258009") if right else "000000"
        if who == "PT-99" or self.polls == "packed":
            expect = False
        else:
            misses, last = self.misses[who]
            wait = FIRST_WAIT_SECONDS * 2 ** (misses - FREE_MISSES) if misses >= FREE_MISSES else 0
            blocked = misses >= LOCK_AFTER_MISSES or (wait and (self.now() - last).total_seconds() < wait)
            expect = False if blocked else right
        try:
            token = self.call(
                "sign_in", lambda: self.svc.sign_in(who, pin), expect, refusal_events=REFUSAL_EVENTS["sign_in"]
            )
        except _Refused as refused:
            exc = refused.args[0]
            if isinstance(exc, WrongPin):
                assert not right, "the right PIN was called wrong"
                self.misses[who] = [self.misses[who][0] + 1, self.now()]
            if isinstance(exc, LockedOut) and right:
                assert self.misses[who][0] >= FREE_MISSES, "locked out with fewer than 5 misses"
            return
        self.sessions[who] = [token, self.now()]
        self.misses[who] = [0, None]

    @rule(who=WHO)
    def sign_out(self, who):
        who, token, _ = self.token(who)
        self.call("sign_out", lambda: self.svc.sign_out(token), None)
        self.sessions.pop(who, None)

    @rule(who=st.sampled_from(COMPANIONS + ["PT-99"]), replay=st.booleans())
    def committee_reset(self, who, replay):
        if replay and self.used_resets:
            text, expect = self.used_resets[0], False
        else:
            text = make_reset(_KEYS.sign_private, self.svc.package.election_id, who)
            expect = who != "PT-99" and self.polls != "packed"
        try:
            self.call("committee_reset", lambda: self.svc.committee_reset(text), expect)
        except _Refused:
            return
        self.used_resets.append(text)
        self.misses[who] = [0, None]

    # ------------------------------------------------------------ voters
    def pick_voter(self, which, index):
        """A voter the way the day brings them: a new one, one checked in, one who voted, or anyone."""
        pools = {
            "new": [v for v in VOTERS if v not in self.checked_in],
            "checked": sorted(self.checked_in - self.voted),
            "voted": sorted(self.voted),
            "any": VOTERS + UNKNOWN_VOTERS,
            "unknown": UNKNOWN_VOTERS,
        }
        pool = pools[which] or VOTERS
        return pool[index % len(pool)]

    @rule(who=WHO, which=st.sampled_from(["new", "new", "voted", "any", "unknown"]), index=st.integers(0, 9))
    def check_in(self, who, which, index):
        voter = self.pick_voter(which, index)
        who, token, valid = self.token(who)
        known = voter in VOTERS
        ok = self.allowed(who, valid, "check_in") and self.polls in ("open", "paused") and known
        try:
            self.call(
                "check_in",
                lambda: self.svc.check_in(token, voter),
                ok and voter not in self.voted,
                refusal_events=REFUSAL_EVENTS["check_in"],
            )
        except _Refused as refused:
            if ok and voter in self.voted:
                assert isinstance(refused.args[0], AlreadyVoted), "a voter who voted was not refused as such"
            return
        self.checked_in.add(voter)

    @rule(who=WHO, which=st.sampled_from(["checked", "checked", "checked", "voted", "any"]), index=st.integers(0, 9))
    def release(self, who, which, index):
        voter = self.pick_voter(which, index)
        who, token, valid = self.token(who)
        expect = (
            self.allowed(who, valid, "release")
            and self.polls == "open"
            and voter in self.checked_in
            and voter not in self.voted
            and self.current is None
        )
        try:
            result = self.call("release_ballot", lambda: self.svc.release_ballot(token, voter), expect)
        except _Refused:
            return
        assert voter not in self.voted, "a voter who voted was given a second ballot"
        self.releases.append(result["release"])
        self.current = {"id": result["release"], "voter": voter, "stage": "voting", "at": self.now(), "spoils": 0}

    @rule(
        which=st.sampled_from(["current", "current", "current", "stale", "foreign", "number", "none"]),
        choice=st.sampled_from(CHOICES * 3 + BAD_CHOICES),
    )
    def cast(self, which, choice):
        release = self.release_id(which)
        soon = self.last_cast is not None and (self.now() - self.last_cast).total_seconds() < MIN_CAST_INTERVAL
        expect = self.at(release, "voting") and self.polls == "open" and choice in CHOICES and not soon
        try:
            slip = self.call("cast", lambda: self.svc.cast(release, choice), expect)
        except _Refused:
            return
        assert slip["selection"] == choice and len(slip["ballot_id"]) == 32
        self.voted.add(self.current["voter"])
        self.tally[choice] += 1
        self.current["stage"] = "printing"
        self.current["choice"] = choice
        self.last_cast = self.now()

    @rule(
        which=st.sampled_from(["current", "current", "stale", "foreign"]),
        outcome=st.sampled_from(["printed", "failed", "failed_garbage"]),
    )
    def slip(self, which, outcome):
        release = self.release_id(which)
        expect = self.at(release, "printing")
        try:
            if outcome == "printed":
                self.call("slip_printed", lambda: self.svc.slip_printed(release), expect)
                self.current["stage"] = "checking"  # the voter checks the slip
            else:
                error = "kertas habis" if outcome == "failed" else "\x07" * 3
                self.call("slip_failed", lambda: self.svc.slip_failed(release, error), expect and outcome == "failed")
                self.current["stage"] = "print_failed"
        except _Refused:
            return

    @rule(
        which=st.sampled_from(["current", "current", "stale", "foreign"]), matches=st.sampled_from([True, True, False])
    )
    def answer_slip(self, which, matches):
        """ "Struk sesuai" or "Struk tidak sesuai" on the voter's screen."""
        release = self.release_id(which)
        expect = self.at(release, "checking")
        try:
            if matches:
                self.call("slip_confirmed", lambda: self.svc.slip_confirmed(release), expect)
                self.current["stage"] = "photo"
            else:
                self.call("slip_disputed", lambda: self.svc.slip_disputed(release), expect)
                self.current["stage"] = "disputed"
        except _Refused:
            return

    @rule(who=WHO, which=st.sampled_from(["current", "current", "stale", "foreign"]))
    def spoil(self, who, which):
        """A companion spoils the disputed ballot; the same release lets the voter vote again."""
        release = self.release_id(which)
        who, token, valid = self.token(who)
        expect = (
            self.allowed(who, valid, "spoil")
            and self.at(release, "disputed")
            and self.current["spoils"] < MAX_SPOILS
            and self.polls == "open"
        )
        try:
            void = self.call("spoil_ballot", lambda: self.svc.spoil_ballot(token, release), expect)
        except _Refused:
            return
        assert len(void["ballot_id"]) == 32 and "selection" not in void
        self.tally[self.current["choice"]] -= 1
        self.voted.discard(self.current["voter"])
        self.current["spoils"] += 1
        self.current["stage"] = "voting"
        self.current["at"] = self.now()

    @rule(who=WHO, which=st.sampled_from(["current", "current", "stale", "foreign"]))
    def escalate(self, who, which):
        """After two spoils a further dispute goes to the committee; the ballot stands."""
        release = self.release_id(which)
        who, token, valid = self.token(who)
        expect = (
            self.allowed(who, valid, "escalate_dispute")
            and self.at(release, "disputed")
            and self.current["spoils"] >= MAX_SPOILS
        )
        try:
            self.call("escalate_dispute", lambda: self.svc.escalate_dispute(token, release, "tetap menyanggah"), expect)
        except _Refused:
            return
        self.current["stage"] = "photo"

    @rule(who=WHO)
    def reprint(self, who):
        who, token, valid = self.token(who)
        expect = (
            self.allowed(who, valid, "reprint") and self.current is not None and self.current["stage"] == "print_failed"
        )
        try:
            slip = self.call("reprint_slip", lambda: self.svc.reprint_slip(token), expect)
        except _Refused:
            return
        assert len(slip["ballot_id"]) == 32
        self.current["stage"] = "printing"

    @rule(
        which=st.sampled_from(["current", "current", "stale", "foreign"]),
        kind=st.sampled_from(["photo", "photo", "not_jpeg", "failed", "skip"]),
        who=WHO,
    )
    def photo(self, which, kind, who):
        release = self.release_id(which)
        at_photo = self.at(release, "photo")
        try:
            if kind == "photo":
                self.call("store_photo", lambda: self.svc.store_photo(release, JPEG), at_photo)
            elif kind == "not_jpeg":
                self.call("store_photo", lambda: self.svc.store_photo(release, b"GIF89a..."), False)
            elif kind == "failed":
                self.call("photo_failed", lambda: self.svc.photo_failed(release, "kamera mati"), at_photo)
                return
            else:
                who, token, valid = self.token(who)
                self.call(
                    "skip_photo",
                    lambda: self.svc.skip_photo(token, release, "pemilih menolak difoto"),
                    self.allowed(who, valid, "skip_photo") and at_photo,
                )
        except _Refused:
            return
        self.current = None

    @rule(
        which=st.sampled_from(["current", "current", "stale", "foreign"]),
        who=st.sampled_from(["signed", "signed", "kiosk"] + COMPANIONS),
        reason=st.sampled_from(REASONS),
    )
    def cancel_or_expire(self, which, who, reason):
        release = self.release_id(which)
        try:
            if who == "kiosk":
                old = self.current is not None and (self.now() - self.current["at"]).total_seconds() >= RELEASE_TIMEOUT
                self.call(
                    "expire_release", lambda: self.svc.expire_release(release), self.at(release, "voting") and old
                )
            else:
                who, token, valid = self.token(who)
                good_reason = bool(reason.strip()) and len(reason) <= 200
                self.call(
                    "cancel_release",
                    lambda: self.svc.cancel_release(token, release, reason),
                    self.allowed(who, valid, "cancel_release") and self.at(release, "voting") and good_reason,
                )
        except _Refused:
            return
        self.current = None

    # ------------------------------------------------------------ the polls
    @rule(who=WHO)
    def open_the_polls(self, who):
        who, token, valid = self.token(who)
        try:
            self.call(
                "open_polls",
                lambda: self.svc.open_polls(token),
                self.allowed(who, valid, "open_polls") and self.polls == "configured",
            )
        except _Refused:
            return
        self.polls = "open"

    @rule(who=WHO, reason=st.sampled_from(REASONS))
    def pause_or_resume(self, who, reason):
        who, token, valid = self.token(who)
        try:
            if self.polls == "paused":
                self.call("resume", lambda: self.svc.resume(token), self.allowed(who, valid, "resume"))
                self.polls = "open"
            else:
                voter_choosing = self.current is not None and self.current["stage"] == "voting"
                self.call(
                    "pause",
                    lambda: self.svc.pause(token, reason),
                    self.allowed(who, valid, "pause")
                    and self.polls == "open"
                    and not voter_choosing
                    and len(reason) <= 200,
                )
                self.polls = "paused"
        except _Refused:
            return

    @rule(who=WHO, reason=st.sampled_from(REASONS + [None]), then_count=st.booleans())
    def close_polls(self, who, reason, then_count):
        who, token, valid = self.token(who)
        early = self.now() < closes_at()
        if early:
            reason_ok = isinstance(reason, str) and bool(reason.strip()) and len(reason) <= 300
        else:
            reason_ok = reason is None or len(reason) <= 300
        expect = (
            self.allowed(who, valid, "close_polls")
            and self.polls in ("open", "paused")
            and self.current is None
            and reason_ok
        )
        try:
            self.call("close_polls", lambda: self.svc.close_polls(token, reason), expect)
        except _Refused:
            return
        self.polls = "closed"
        if then_count:
            self.count(who)

    @rule(who=WHO)
    def count(self, who):
        who, token, valid = self.token(who)
        try:
            results = self.call(
                "count", lambda: self.svc.count(token), self.allowed(who, valid, "count") and self.polls == "closed"
            )
        except _Refused:
            return
        self.polls = "counted"
        assert results["tally"] == {c: self.tally[c] for c in CHOICES}
        assert results["reconciliation"]["balanced"], results["reconciliation"]

    @rule()
    def finish_the_day(self):
        """After the count: results printed, exported, device packed (read-only from then on)."""
        if self.polls != "counted":
            return
        token = self.booth.sign_in(KETUA)
        self.sessions[KETUA] = [token, self.now()]
        self.call("results_printed", lambda: self.svc.results_printed(token), True)
        self.call("export", lambda: self.svc.export(token, str(self.tmp / "results.zip")), True)
        self.call("pack", lambda: self.svc.pack(token), True)
        self.polls = "packed"
        self.sessions.clear()

    @rule(
        voters=st.lists(st.tuples(st.sampled_from(CHOICES), st.sampled_from(PATHS)), min_size=1, max_size=3),
        index=st.integers(0, 9),
    )
    def voters_walk_through(self, voters, index):
        """Voters come one after another, each step through the rules above (each with its own
        expectation); some paths stop half-way, to leave the booth mid-voter for the other rules."""
        for choice, path in voters:
            self.booth.clock.advance(MIN_CAST_INTERVAL)
            self.check_in("signed", "new", index)
            self.release("signed", "checked", index)
            if path == "leaves":
                self.cancel_or_expire("current", "signed", "pemilih pulang")
                continue
            if path == "stops_after_release":
                return
            self.cast("current", choice)
            if path == "stops_after_cast":
                return
            if path == "slip_fails":
                self.slip("current", "failed")
                self.reprint("signed")
            self.slip("current", "printed")
            if path in ("disputes", "stops_after_spoil"):
                self.answer_slip("current", False)
                self.spoil("signed", "current")
                if path == "stops_after_spoil":
                    return
                self.booth.clock.advance(MIN_CAST_INTERVAL)
                self.cast("current", choice)
                self.slip("current", "printed")
            self.answer_slip("current", True)
            if path == "photo_fails":
                self.photo("current", "failed", "signed")
                self.photo("current", "skip", "signed")
            else:
                self.photo("current", "photo", "signed")

    # ------------------------------------------------------------ time and power
    @rule(state=st.sampled_from(["battery", "low_battery", "mains"]))
    def power(self, state):
        """The UPS reports: on battery the polls pause by themselves unless a voter is choosing."""
        try:
            answer = self.call("power_changed", lambda: self.svc.power_changed(state), self.polls != "packed")
        except _Refused:
            return
        voter_choosing = self.current is not None and self.current["stage"] == "voting"
        should_pause = state != "mains" and self.polls == "open" and not voter_choosing
        assert answer["paused"] == should_pause, (state, self.polls, answer)
        if should_pause:
            self.polls = "paused"

    @rule(seconds=st.one_of(st.integers(1, 30), st.integers(1, 30), st.integers(290, 3600)))
    def time_passes(self, seconds):
        self.booth.clock.advance(seconds)

    @rule(crash=st.booleans())
    def restart(self, crash):
        event(
            f"restart ({'crash' if crash else 'clean'}) with the booth "
            f"{self.current['stage'] if self.current else 'empty'}, polls {self.polls}"
        )
        self.booth.restart(crash=crash)
        self.sessions.clear()
        if self.current is not None and self.polls != "packed":
            if self.current["stage"] == "voting" and not self.current["spoils"]:
                self.current = None  # nobody voted on it: the device cancels it
            # (after a spoil the same release stays open: the voter votes again)
            elif self.current["stage"] == "printing":
                self.current["stage"] = "print_failed"  # the slip was never confirmed: reprint

    # ------------------------------------------------------------ what must always hold
    @invariant()
    def the_log_tells_a_lawful_day(self):
        svc = self.svc
        for entry in svc.ledger.entries(self.audited):
            t, p = entry.type, entry.payload
            if t == "election.loaded":
                self.log_polls = "configured"
            elif t in ("polls.opened", "polls.resumed"):
                self.log_polls = "open"
            elif t in ("polls.paused", "polls.closed", "polls.counted", "polls.packed"):
                self.log_polls = t.split(".")[1]
            elif t == "ballot.released":
                assert p["voter"] not in self.log_voted, f"seq {entry.seq}: a second release for a voter who voted"
                assert self.log_current is None, f"seq {entry.seq}: a release while another is open"
                self.log_current = p["release"]
                self.log_release_voter[p["release"]] = p["voter"]
            elif t == "ballot.cast":
                release = p.get("release")
                assert release in self.log_release_voter, f"seq {entry.seq}: a cast without a release"
                assert self.log_casts[release] == self.log_spoils[release], (
                    f"seq {entry.seq}: a second cast for release {release} whose ballot was not spoiled"
                )
                assert release == self.log_current and release not in self.log_cancelled, (
                    f"seq {entry.seq}: a cast for a release that is not the open one"
                )
                assert self.log_polls == "open", f"seq {entry.seq}: a cast while the polls are {self.log_polls}"
                self.log_casts[release] += 1
                self.log_voted.add(self.log_release_voter[release])
            elif t == "ballot.spoiled":
                release = p.get("release")
                assert self.log_casts[release] == self.log_spoils[release] + 1, (
                    f"seq {entry.seq}: a spoil without a cast"
                )
                assert self.log_spoils[release] < MAX_SPOILS, f"seq {entry.seq}: a third spoil for release {release}"
                assert set(p) == {"count", "release", "spoil"}, f"seq {entry.seq}: the spoil says more: {sorted(p)}"
                self.log_spoils[release] += 1
                self.log_voted.discard(self.log_release_voter[release])
            elif t == "ballot.release_cancelled":
                assert self.log_casts[p["release"]] == self.log_spoils[p["release"]], (
                    f"seq {entry.seq}: a cast release was cancelled"
                )
                self.log_cancelled.add(p["release"])
                self.log_current = None
            elif t in ("voter.photo_taken", "voter.photo_skipped"):
                self.log_current = None
            self.audited = entry.seq + 1
        cast_events = sum(self.log_casts.values())
        spoils = sum(self.log_spoils.values())
        assert svc.ledger.ballots_cast == cast_events == len(self.log_voted) + spoils, (
            svc.ledger.ballots_cast,
            cast_events,
            len(self.log_voted),
            spoils,
        )
        assert svc.ledger.ballots_spoiled == spoils
        assert self.log_voted == self.voted
        assert +svc.ledger.tally() == +self.tally
        counts = svc.counts()
        assert counts["ballots_cast"] == counts["ballots_stored"] == len(self.voted) + spoils
        assert counts["voted"] == len(self.voted) and counts["spoiled"] == counts["spoiled_stored"] == spoils
        assert svc.status()["polls"] == self.polls == self.log_polls
        if self.polls in ("counted", "packed"):
            assert svc.results()["reconciliation"]["balanced"], svc.results()["reconciliation"]


ElectionDay.TestCase.settings = settings(
    max_examples=75,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestElectionDayRules = ElectionDay.TestCase


def test_setting_the_clock_back_does_not_stop_the_voting():
    booth = cloned_booth(fast_tmp("booth-clock-") / "state")
    try:
        svc = booth.svc
        vote(svc, "DPT-0001", "1")
        booth.clock.set(booth.clock.now() - dt.timedelta(hours=1))  # the operator corrects the clock
        booth.clock.advance(MIN_CAST_INTERVAL)
        token = booth.sign_in(KETUA)
        svc.check_in(token, "DPT-0002")
        release = svc.release_ballot(token, "DPT-0002")["release"]
        assert svc.cast(release, "2")["selection"] == "2"
    finally:
        booth.close()
