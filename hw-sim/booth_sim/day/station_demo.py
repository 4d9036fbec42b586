"""``booth demo --booths N``: a station day of a check-in desk and N booths, headless, on real ledgers.

Each device is a real :class:`~booth.service.BoothService` on its own state directory and
ledger (desk: ``state/desk``, booths: ``state/booth-N``), all in this process on one
:class:`~booth.ledger.clock.FakeClock` (the station's wall clock); desk and booths exchange only
the bytes of ``booth.station.release`` (release tokens, outcomes, cancel notices), as the
station link would carry them.

When each voter arrives, checks in, is released to which free booth, leaves the booth and has
the photo taken comes from :mod:`booth_sim.station_model` (its stated human timings, seeded):
the model's day is replayed step by step on the devices.  On top of it, two things from the
field, each said in ``log.txt``:

* a **dispute** at booth 2: a voter says the slip is not their choice; a companion spoils the
  ballot (the VOID print) and the voter votes again under the same release;
* a **cancel after the timeout**: late in the day booth 3 drops off the network just as a voter
  is released to it; the desk waits out the release's timeout, cancels it, releases the voter to
  another booth, and booth 3, back, gets the cancel notice and refuses the stale token.

and the faults per device of ``--faults`` (all by default, each said in ``log.txt`` and listed in
``summary.json``'s ``faults``):

* ``power``: booth 2 loses power with a voter at the curtain; restarted from its state directory it
  cancels the release nobody voted on, the desk hears it and releases the voter again;
* ``replace`` (three booths or more): booth 1 dies as a voter is released to it; the desk cancels
  after the timeout, booth 1 is closed early, counted and exported (``booth-1-r1.zip``), a spare is
  paired as booth 1 and serves the rest of the day; both closings go into the station's results;
* ``desk-power``: the desk loses power with voters in the booths; reopened from disk, the releases
  out still stand;
* ``drop``: the cancel after the timeout at booth 3 above.

A voter the model refuses at the desk is replayed as a voter who already voted coming back:
refused with the earlier photo.  After closing, every booth counts, prints and exports; the
desk collects the closings into the station's results and the station bundle (``results.zip``,
``booth.station.bundle``), which is verified with ``booth verify``'s station check.

Writes into ``--out``: ``state/`` (every device), ``election/`` (the demo package and its DEMO
committee keys), ``results.zip``, ``summary.json``, ``prints/`` (zero reports, slips, the VOID,
each booth's results report) and ``log.txt``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from booth.errors import BoothError
from booth.ledger.clock import FakeClock
from booth.service import BoothService, Settings

SUMMARY_FORMAT = "booth-station-demo-summary-v1"
SHARE_WHO_COME = 0.8  # of the DPT (a Pilkades turnout is often 75-85%)
DISPUTE_AT = 3  # the 3rd voter of booth 2 disputes the slip
DISPUTE_BOOTH, LOST_BOOTH = 2, 3  # with two booths, booth 2 is the one lost
POWER_BOOTH, REPLACED_BOOTH = 2, 1  # the power cut at booth 2, booth 1 dies mid-day

#: The faults ``--faults`` may name, in the order they come in the day, with the booths they need.
FAULTS = {"power": 2, "drop": 2, "replace": 3, "desk-power": 2}
REPLACE_MINUTES = 12  # the spare's custody, pairing, zero report: the station goes on without booth 1


class FaultsRefused(ValueError):
    """``--faults`` naming a fault the demo has not, or one the number of booths does not allow."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} / {message_en}")


def parse_faults(text: str | None, booths: int) -> frozenset[str]:
    """``--faults power,drop,replace,desk-power`` (or ``none``); ``None``: every fault ``booths`` allows."""
    if text is None:
        return frozenset(name for name, least in FAULTS.items() if booths >= least)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["none"]:
        return frozenset()
    known = ", ".join(FAULTS)
    if not names:
        raise FaultsRefused(
            f"--faults kosong; pilih dari {known} atau none", f"--faults is empty; choose from {known} or none"
        )
    for name in names:
        if name not in FAULTS:
            raise FaultsRefused(
                f"gangguan {name!r} tidak dikenal; pilih dari {known} atau none",
                f"unknown fault {name!r}; choose from {known} or none",
            )
        if booths < FAULTS[name]:
            raise FaultsRefused(
                f"gangguan {name!r} perlu paling sedikit {FAULTS[name]} bilik",
                f"the fault {name!r} needs at least {FAULTS[name]} booths",
            )
    return frozenset(names)


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 110, 100)).save(buf, "JPEG")
    return buf.getvalue()


@dataclass
class Device:
    name: str  # "meja" or "bilik-N"
    svc: BoothService
    state: Path
    pins: dict[str, str]
    signed_in: dict[str, tuple[str, int]] = field(default_factory=dict)  # role -> (token, last used)

    def power_cut(self, settings: Settings) -> None:
        """The power goes and comes back: no orderly close (the process dies, its handles with it),
        then the service starts again from the state directory on disk; the companions sign in anew."""
        clock = self.svc.clock
        vault = getattr(self.svc, "_vault", None)
        if vault is not None:
            vault._db.close()
        self.svc.ledger.connection.close()
        self.svc = BoothService.open(self.state, clock=clock, settings=settings)
        self.signed_in.clear()

    def token(self, role: str = "ketua") -> str:
        """The companion of ``role`` signed in: as at a real desk, they stay signed in while they work
        (a new sign-in only after a pause near the idle timeout)."""
        now = self.svc.clock.monotonic_ns()
        token, used = self.signed_in.get(role, ("", 0))
        if not token or (now - used) / 1e9 > 0.8 * self.svc.settings.companion_idle_timeout:
            companion = next(c.id for c in self.svc.package.companions if c.role == role)
            token = self.svc.sign_in(companion, self.pins[companion])
        self.signed_in[role] = (token, now)
        return token


@dataclass
class StationDay:
    out: Path
    voters: int
    seed: int
    booths: int
    stream: TextIO
    story: list[str] = field(default_factory=list)
    prints: list[tuple[str, str, Any]] = field(default_factory=list)  # (device, kind, image)
    choices: dict[str, int] = field(default_factory=dict)
    events: dict[int, dict[str, int]] = field(default_factory=dict)
    tiles: Any = None  # booth_sim.day.station_screens.StationTiles with --screens
    shots_left: int = 2  # releases pictured (the first ones)
    faults: frozenset[str] = frozenset(FAULTS)  # parse_faults: the faults of this day
    faults_seen: list[dict] = field(default_factory=list)  # summary.json's "faults", in the order they came
    replaced: dict[int, list[dict]] = field(default_factory=dict)  # booth -> its earlier devices (summary)
    old_closings: dict[int, list[tuple[str, bytes]]] = field(default_factory=dict)  # booth -> (statement, bundle)

    # ------------------------------------------------------------------ the story
    def say(self, device: str, id_text: str, en_text: str) -> None:
        local = self.clock.now().astimezone(self.tz).strftime("%H:%M:%S")
        self.story.append(f"{local} [{device}] {id_text} / {en_text}")

    def printed(self, device: str, kind: str, image) -> None:
        self.prints.append((device, kind, image))

    # ------------------------------------------------------------------ the morning
    def setup(self, work: Path) -> None:
        from booth.demo_election import make_demo_package
        from booth.election_package import load_package
        from booth.kiosk import printouts

        package_dir, _ = make_demo_package(self.out / "election", seed=self.seed, voters=self.voters)
        self.package = load_package(package_dir)
        self.tz = self.package.election.opens_at.tzinfo or dt.UTC
        self.opens = self.package.election.opens_at.astimezone(dt.UTC)
        self.closes = self.package.election.closes_at.astimezone(dt.UTC)
        self.clock = FakeClock(self.opens - dt.timedelta(days=2))
        self.settings = Settings(min_cast_interval=0.0)
        self.state_root = work
        self.package_dir = package_dir
        self.pins = {c.id: f"{258001 + i}" for i, c in enumerate(self.package.companions)}
        names = ["meja"] + [f"bilik-{n}" for n in range(1, self.booths + 1)]
        self.devices: dict[str, Device] = {}
        for name in names:
            state = work / ("desk" if name == "meja" else name.replace("bilik", "booth"))
            self.devices[name] = self._provision(name, state)
        for d in self.devices.values():
            self._custody(d)
        for n in range(1, self.booths + 1):
            self._pair(n, self.booth(n))
        self.clock.set(self.opens - dt.timedelta(minutes=30))
        for d in self.devices.values():
            token = d.token()
            report = d.svc.zero_report(token)
            self.printed(d.name, "zero_report", printouts.zero_report_image(report))
            d.svc.zero_report_printed(token)
        self.clock.set(self.opens + dt.timedelta(seconds=1))
        for d in self.devices.values():
            d.svc.open_polls(d.token())
        self.say("meja", "TPS dibuka: meja dan semua bilik", "polls open: the desk and every booth")

    def _provision(self, name: str, state: Path) -> Device:
        """A new device on ``state`` with the election loaded and the companions' first PINs set."""
        role = "desk" if name == "meja" else "booth"
        svc = BoothService.provision(state, clock=self.clock, settings=self.settings, role=role)
        svc.load_election(str(self.package_dir))
        for c in svc.package.companions:
            svc.set_first_pin(c.id, self.pins[c.id])
        return Device(name, svc, state, self.pins)

    def _pair(self, n: int, booth: Device) -> str:
        """Pair ``booth`` as booth ``n``: each side types the code the other one's screen shows."""
        desk = self.desk
        desk_key, booth_key = desk.svc.ledger.key.verifier_key(), booth.svc.ledger.key.verifier_key()
        shown_by_booth = booth.svc.pairing_code(desk_key)["code"]
        shown_by_desk = desk.svc.pairing_code(booth_key)["code"]
        desk.svc.pair_booth(desk.token(), n, booth_key, shown_by_booth)
        booth.svc.pair_desk(booth.token(), desk_key, n, shown_by_desk)
        self.say("meja", f"bilik {n} dipasangkan, kode {shown_by_desk}", f"booth {n} paired, code {shown_by_desk}")
        return shown_by_desk

    def _custody(self, d: Device) -> None:
        technician = next(c.id for c in d.svc.package.companions if c.role == "teknisi")
        d.svc.record_custody("received", companion_id=technician, place="Kantor Kecamatan Pagelaran")
        d.svc.record_custody("distributed", companion_id=technician, place="Jalan ke pekon")
        token = d.token()
        d.svc.record_custody("handed_over", token=token, place="Balai Pekon", note="diterima lengkap")
        self_test = {"printer": "ok", "camera": "ok", "buttons": "ok"}
        d.svc.record_custody("installed", token=token, place="Balai Pekon", self_test=self_test)

    @property
    def desk(self) -> Device:
        return self.devices["meja"]

    def booth(self, n: int) -> Device:
        return self.devices[f"bilik-{n}"]

    # ------------------------------------------------------------------ the day
    def at(self, seconds: float) -> None:
        when = self.opens + dt.timedelta(seconds=1 + seconds)
        if when > self.clock.now():
            self.clock.set(when)

    def run_day(self) -> dict:
        from booth_sim import station_model as sm

        come = round(self.voters * SHARE_WHO_COME)
        hours = (self.closes - self.opens).total_seconds() / sm.HOUR - 0.75  # room for the late voter
        model = sm.simulate(sm.Station(booths=self.booths), sm.arrivals(come, hours=hours, seed=self.seed))
        rng = random.Random(self.seed)
        refs = [v.ref for v in self.package.voters]
        rng.shuffle(refs)
        numbers = [str(c.number) for c in self.package.candidates]
        self.jpeg = _jpeg()
        self.events = {n: {"releases": 0, "casts": 0, "spoils": 0, "cancels": 0} for n in range(1, self.booths + 1)}
        # the model's day as steps on the devices, in time order (a booth's cast before its next release)
        steps: list[tuple[float, int, str, Any]] = []
        served = iter(refs)
        who: dict[int, str] = {}
        for v in model.voters:
            if v.refused:
                steps.append((v.checked_in or 0.0, 3, "refuse", v.number))
                continue
            who[v.number] = next(served)
            steps.append((v.checked_in or 0.0, 1, "check_in", v))
            steps.append((v.released or 0.0, 2, "release", v))
            steps.append((v.booth_left or 0.0, 0, "cast", v))
            steps.append((v.left or 0.0, 4, "photo", v))
        open_releases: dict[int, dict] = {}
        voted: list[str] = []
        per_booth_seen: dict[int, int] = {}
        per_booth_released: dict[int, int] = {}
        # where the faults strike: booth 1 dies as its voter half-way through the day is released to
        # it; booth 2's power goes with its voter two-thirds through at the curtain; the desk's with
        # the day's middle release out
        share = {n: sum(1 for v in model.voters if not v.refused and v.booth == n) for n in self.events}
        dies_at = max(2, share.get(REPLACED_BOOTH, 0) // 2 + 1) if "replace" in self.faults else 0
        power_at = max(DISPUTE_AT + 1, (2 * share.get(POWER_BOOTH, 0)) // 3) if "power" in self.faults else 0
        desk_power_at = model.served // 2 if "desk-power" in self.faults else 0
        released = 0
        for seconds, _, kind, item in sorted(steps, key=lambda s: (s[0], s[1])):
            self.at(seconds)
            if kind == "refuse":
                self._refuse_again(voted)
            elif kind == "check_in":
                self.desk.svc.check_in(self.desk.token(), who[item.number])
            elif kind == "release":
                per_booth_released[item.booth] = per_booth_released.get(item.booth, 0) + 1
                if item.booth == REPLACED_BOOTH and per_booth_released[item.booth] == dies_at:
                    open_releases[item.number] = self._booth_dies(who[item.number], item.booth)
                else:
                    open_releases[item.number] = self._release(who[item.number], item.booth)
                released += 1
                if released == desk_power_at:
                    self._desk_power_cut()
            elif kind == "cast":
                release = open_releases[item.number]
                per_booth_seen[item.booth] = per_booth_seen.get(item.booth, 0) + 1
                if item.booth == POWER_BOOTH and per_booth_seen[item.booth] == power_at:
                    release = open_releases[item.number] = self._booth_power_cut(release, who[item.number])
                dispute = item.booth == DISPUTE_BOOTH and per_booth_seen[item.booth] == DISPUTE_AT
                self._vote(release, rng.choice(numbers), dispute=dispute, other=rng.choice(numbers))
                voted.append(who[item.number])
            elif kind == "photo":
                self.desk.svc.station_photo(open_releases.pop(item.number)["release"], self.jpeg)
        missing = {"replace": dies_at, "power": power_at, "desk-power": desk_power_at}
        for name in sorted(self.faults - {"drop"}):
            if not any(f["fault"] == name for f in self.faults_seen):  # pragma: no cover - too few voters
                raise AssertionError(f"the fault {name} never came (at voter {missing[name]} of its booth)")
        self.at(model.last_out + 60)
        if "drop" in self.faults:
            late = next(served, None)
            if late is not None:
                self._lost_booth(late, rng.choice(numbers))
                voted.append(late)
        return {
            "model": {
                "voters_arrived": len(model.voters),
                "served": model.served,
                "refused_at_desk": model.refused,
                "per_hour": round(model.per_hour(), 1),
                "max_wait_s": round(model.max_wait(), 1),
                "p95_wait_s": round(model.p95_wait(), 1),
                "ideal_per_hour": round(sm.ideal(sm.Station(booths=self.booths)).per_hour, 1),
            },
            "voted": len(voted),
            "faults": self.faults_seen,
        }

    def _release(self, ref: str, booth: int) -> dict:
        pictured = self.tiles is not None and self.shots_left > 0
        if pictured:
            self.shots_left -= 1
            self.tiles.desk_choosing(ref, booth)
            self.tiles.shot(f"desk-chooses-booth-{booth}")
        release = self.desk.svc.issue_release(self.desk.token(), ref, booth)
        self.events[booth]["releases"] += 1
        self.booth(booth).svc.accept_release(release["token"])
        if pictured:
            self.tiles.desk_released(booth)
            self.tiles.shot(f"booth-{booth}-ballot")
            self.tiles.desk_idle()
        return release

    def _vote(self, release: dict, choice: str, *, dispute: bool = False, other: str = "1") -> None:
        from booth.kiosk import printouts

        n, rid = release["booth"], release["release"]
        b = self.booth(n)
        name = b.name
        if dispute:
            wrong = next(c for c in [other, *(str(c.number) for c in self.package.candidates)] if c != choice)
            slip = b.svc.cast(rid, wrong)  # the voter touched the wrong photo, or the slip says so
            self.printed(name, "slip", printouts.slip_image(slip))
            b.svc.slip_printed(rid)
            b.svc.slip_disputed(rid)
            void = b.svc.spoil_ballot(b.token(), rid)
            self.printed(name, "slip_void", printouts.void_slip_image(void))
            self.events[n]["spoils"] += 1
            self.say(
                name,
                "pemilih menyanggah struk: surat suara dibatalkan (VOID), memilih lagi dengan izin yang sama",
                "the voter disputed the slip: the ballot was spoiled (VOID), voting again under the same release",
            )
        slip = b.svc.cast(rid, choice)
        self.printed(name, "slip", printouts.slip_image(slip))
        b.svc.slip_printed(rid)
        b.svc.slip_confirmed(rid)
        self.choices[choice] = self.choices.get(choice, 0) + 1
        self.events[n]["casts"] += 1
        self.desk.svc.release_returned(b.svc.release_outcome(rid))

    # ------------------------------------------------------------------ the faults
    def _reopened(self, name: str) -> None:
        if self.tiles is not None:
            self.tiles.reopened(name)

    def _booth_power_cut(self, release: dict, ref: str) -> dict:
        """The power goes at booth ``release["booth"]`` with the voter at the curtain, before they chose.

        The booth starts again from its state directory: the release nobody voted on is cancelled
        (its reason logged), the cancel goes back to the desk, and the desk releases the voter to the
        same booth, back up; the voter votes once.  Returns the new release."""
        n = release["booth"]
        b, desk = self.booth(n), self.desk
        cast_before = b.svc.ledger.ballots_cast
        b.power_cut(self.settings)
        self._reopened(b.name)
        screen = b.svc.voter_screen()["screen"]
        returned = desk.svc.release_returned(b.svc.release_outcome(release["release"]))
        assert returned["outcome"] == "cancelled" and b.svc.ledger.ballots_cast == cast_before
        self.events[n]["cancels"] += 1
        self.say(
            b.name,
            f"listrik padam, pemilih di bilik belum memilih; menyala lagi: izin dibatalkan (perangkat mulai ulang "
            f"sebelum memilih), layar '{screen}'",
            f"power cut with the voter in the booth, before the vote; back on: the release cancelled (device "
            f"restarted before the vote), screen '{screen}'",
        )
        again = desk.svc.issue_release(desk.token(), ref, n)
        self.events[n]["releases"] += 1
        b.svc.accept_release(again["token"])
        self.say(
            "meja",
            f"pembatalan dari bilik {n} diterima; pemilih diberi izin baru ke bilik {n}",
            f"the cancel from booth {n} received; the voter released again to booth {n}",
        )
        self.faults_seen.append(
            {"fault": "power", "device": b.name, "release": release["release"], "outcome": "cancelled",
             "reason": "device restarted before the vote", "again": again["release"]}
        )  # fmt: skip
        return again

    def _desk_power_cut(self) -> None:
        """The power goes at the desk with voters in the booths: it starts again from its state
        directory; the releases out stay out and their outcomes are taken when they come back."""
        desk = self.desk
        out = sorted(r for r, x in desk.svc.day.issued.items() if x.state == "out")
        desk.power_cut(self.settings)
        self._reopened("meja")
        after = sorted(r for r, x in desk.svc.day.issued.items() if x.state == "out")
        assert after == out, (out, after)
        self.say(
            "meja",
            f"listrik meja padam dan menyala lagi: layanan dibuka lagi dari disk, {len(out)} izin yang keluar"
            " tetap berlaku",
            f"power cut at the desk, back on: the service reopened from disk, the {len(out)} releases out still stand",
        )
        self.faults_seen.append({"fault": "desk-power", "device": "meja", "releases_out": len(out)})

    def _booth_dies(self, ref: str, n: int) -> dict:
        """Booth ``n``'s screen breaks as a voter is released to it: replaced by a spare, mid-day.

        As docs/station.md says: the desk cancels the release after the timeout; the ketua closes
        the old booth's polls early with the reason, counts, prints its results and exports its
        ledger (``booth-N-r1.zip`` in the station bundle); a spare walks its custody, is paired as
        booth ``n`` (the desk logs whose key it replaces), prints its zero report and opens; the
        voter, who waited, is released to it.  Returns that release."""
        from booth.kiosk import printouts
        from booth.ledger.keys import short_fingerprint

        desk, old = self.desk, self.booth(n)
        release = desk.svc.issue_release(desk.token(), ref, n)  # the token never reaches the broken booth
        self.events[n]["releases"] += 1
        self.say(old.name, "layar rusak: bilik tidak menjawab", "the screen broke: the booth does not answer")
        timeout = desk.svc.settings.release_timeout
        self.clock.advance(timeout + 1)
        desk.svc.cancel_station_release(desk.token(), release["release"], f"bilik {n} rusak")
        self.events[n]["cancels"] += 1
        self.say(
            "meja",
            f"izin ke bilik {n} dibatalkan setelah {timeout:g} s; bilik {n} diganti, pemilih menunggu",
            f"the release to booth {n} cancelled after {timeout:g} s; booth {n} is replaced, the voter waits",
        )
        k = len(self.replaced.get(n, [])) + 1
        token = old.token()
        old.svc.close_polls(token, "layar rusak, diganti")
        old.svc.count(token)
        res = old.svc.results()
        self.printed(old.name, "results_report", printouts.results_report_image(res))
        old.svc.results_printed(token)
        exports = self.state_root.parent / "exports"
        exports.mkdir(exist_ok=True)
        bundle = Path(old.svc.export(token, str(exports / f"booth-{n}-r{k}.zip"))).read_bytes()
        old_fp = old.svc.ledger.key.fingerprint
        old.svc.close()
        self.old_closings.setdefault(n, []).append((res["statement"], bundle))
        self.replaced.setdefault(n, []).append(
            {"member": f"booth-{n}-r{k}.zip", "fingerprint": old_fp, **self.events[n],
             "reconciliation": res["reconciliation"]}
        )  # fmt: skip
        old.state.rename(old.state.with_name(f"{old.state.name}-r{k}"))
        self.say(
            old.name,
            f"bilik lama ditutup lebih awal (layar rusak), dihitung, hasil dicetak, diekspor: booth-{n}-r{k}.zip",
            f"the old booth closed early (broken screen), counted, results printed, exported: booth-{n}-r{k}.zip",
        )
        self.clock.advance(max(0, REPLACE_MINUTES * 60 - timeout))  # the spare is fetched and set up
        spare = self._provision(old.name, old.state)
        self.devices[old.name] = spare
        self._custody(spare)
        self._pair(n, spare)
        new_fp = spare.svc.ledger.key.fingerprint
        self.say(
            "meja",
            f"bilik {n} diganti: perangkat {short_fingerprint(old_fp)} digantikan oleh {short_fingerprint(new_fp)}"
            " (station.booth_paired, replaces)",
            f"booth {n} replaced: device {short_fingerprint(old_fp)} replaced by {short_fingerprint(new_fp)}"
            " (station.booth_paired, replaces)",
        )
        token = spare.token()
        self.printed(spare.name, "zero_report", printouts.zero_report_image(spare.svc.zero_report(token)))
        spare.svc.zero_report_printed(token)
        spare.svc.open_polls(token)
        self.say(spare.name, "bilik pengganti dibuka", "the spare booth opened")
        again = desk.svc.issue_release(desk.token(), ref, n)
        self.events[n]["releases"] += 1
        spare.svc.accept_release(again["token"])
        self.faults_seen.append(
            {"fault": "replace", "device": old.name, "old": old_fp, "new": new_fp, "member": f"booth-{n}-r{k}.zip",
             "cancelled": release["release"], "casts_before": self.events[n]["casts"]}
        )  # fmt: skip
        if self.tiles is not None:
            self.tiles.reopened(old.name)
            self.tiles.desk_released(n)
            self.tiles.shot(f"booth-{n}-replaced-by-a-spare")
            self.tiles.desk_idle()
        return again

    def _refuse_again(self, voted: list[str]) -> None:
        if not voted:
            return
        ref = voted[len(voted) // 2]
        try:
            self.desk.svc.check_in(self.desk.token(), ref)
        except BoothError as exc:
            self.say(
                "meja",
                f"{ref} datang lagi: ditolak ({exc.message_id})",
                f"{ref} came again: refused ({exc.message_en})",
            )
        else:  # pragma: no cover - the core would have let a voter vote twice
            raise AssertionError(f"{ref} was checked in twice")

    def _lost_booth(self, ref: str, choice: str) -> None:
        """Booth 3 (of two, booth 2) drops off just as a voter is released to it: timeout, cancel, booth 1."""
        desk = self.desk
        token = desk.token()
        desk.svc.check_in(token, ref)
        lost_n = min(LOST_BOOTH, self.booths)
        release = desk.svc.issue_release(token, ref, lost_n)  # the token never reaches that booth
        self.events[lost_n]["releases"] += 1
        self.say(
            "meja",
            f"izin ke bilik {lost_n}, tetapi bilik {lost_n} terputus dari jaringan",
            f"released to booth {lost_n}, but booth {lost_n} dropped off the network",
        )
        timeout = desk.svc.settings.release_timeout
        self.clock.advance(timeout + 1)
        if self.tiles is not None:
            self.tiles.offline.add(lost_n)
            self.tiles.desk_choosing(ref, 1)
            self.tiles.shot(f"booth-{lost_n}-offline-timed-out")
            self.tiles.desk_idle()
        cancelled = desk.svc.cancel_station_release(desk.token(), release["release"], "bilik tidak menjawab")
        self.events[lost_n]["cancels"] += 1
        self.say(
            "meja",
            f"izin dibatalkan setelah {timeout:g} s; pemilih diarahkan ke bilik 1",
            f"release cancelled after {timeout:g} s; the voter is sent to booth 1",
        )
        again = desk.svc.issue_release(desk.token(), ref, 1)
        self.events[1]["releases"] += 1
        self.booth(1).svc.accept_release(again["token"])
        self._vote(again, choice)
        desk.svc.station_photo(again["release"], self.jpeg)
        lost = self.booth(lost_n)
        lost.svc.release_revoked(cancelled["notice"])
        try:
            lost.svc.accept_release(release["token"])
        except BoothError as exc:
            if self.tiles is not None:
                self.tiles.offline.discard(lost_n)
                self.tiles.booth_refused(lost_n, exc)
                self.tiles.shot(f"booth-{lost_n}-refuses-the-stale-release")
            self.say(
                lost.name,
                f"kembali tersambung: izin lama ditolak ({exc.message_id})",
                f"back on the network: the stale token refused ({exc.message_en})",
            )
        else:  # pragma: no cover
            raise AssertionError("the stale token was accepted")
        self.faults_seen.append(
            {"fault": "drop", "device": lost.name, "cancelled": release["release"], "after_s": timeout + 1}
        )

    # ------------------------------------------------------------------ the evening
    def close(self, work: Path) -> dict:
        from booth.kiosk import printouts
        from booth.station.bundle import format_station_report, verify_station, write_station_bundle

        self.clock.set(self.closes + dt.timedelta(minutes=1))
        closings, bundles, booths = {}, {}, {}
        exports = Path(tempfile.mkdtemp(dir=work))
        for n in range(1, self.booths + 1):
            b = self.booth(n)
            token = b.token()
            b.svc.close_polls(token)
            b.svc.count(token)
            res = b.svc.results()
            self.printed(b.name, "results_report", printouts.results_report_image(res))
            b.svc.results_printed(token)
            # a booth replaced mid-day: its earlier devices' closings first, in the order they were paired
            earlier = [statement for statement, _ in self.old_closings.get(n, [])]
            closings[n] = [*earlier, res["statement"]] if earlier else res["statement"]
            bundles[n] = Path(b.svc.export(token, str(exports / f"booth-{n}.zip"))).read_bytes()
            # releases, casts ... under booth n's number (every device it had); "replaced": the earlier
            # devices' own share and reconciliation
            replaced = self.replaced.get(n, [])
            booths[n] = {**self.events[n], "reconciliation": res["reconciliation"], "replaced": replaced}
        token = self.desk.token()
        self.desk.svc.close_polls(token)
        station = self.desk.svc.station_results(token, closings)
        self.desk.svc.count(token)
        # Not printed: a single device's results report at the desk (it has no ballots: it would read
        # "TIDAK SESUAI"); the desk prints the station's results report instead.
        self.printed(self.desk.name, "station_report", printouts.station_report_image(self.desk.svc.results(), station))
        self.desk.svc.results_printed(token)
        desk_bundle = Path(self.desk.svc.export(token, str(exports / "desk.zip"))).read_bytes()
        path = write_station_bundle(
            self.out / "results.zip",
            desk=desk_bundle,
            booths=bundles,
            results=station["document"],
            replaced={n: [bundle for _, bundle in old] for n, old in self.old_closings.items()} or None,
        )
        self.say("meja", "hasil TPS dikumpulkan, bundel TPS diekspor", "station results collected, bundle exported")
        report = verify_station(path)
        self.story.extend(format_station_report(report).splitlines())
        for n, row in station["booths"].items():
            booths[n]["station_check"] = row["checks"]
        return {
            "tally": station["tally"],
            "votes": station["votes"],
            "choices_made": dict(sorted(self.choices.items())),
            "booths": {str(n): row for n, row in booths.items()},
            "station_reconciliation": {
                "balanced": station["balanced"],
                "merged_booths": station["merged"],
                "per_booth": {str(n): row["releases"] for n, row in station["booths"].items()},
            },
            "verify": {"results.zip": {"ok": report.ok, "problems": list(report.problems)}},
        }


def run_station_demo(
    out: Path,
    *,
    booths: int,
    voters: int,
    seed: int,
    stream: TextIO,
    screens: bool = False,
    faults: str | None = None,
) -> int:
    """The station day into ``out`` (an empty folder or an earlier demo's); returns the exit code.

    ``screens``: every device's kiosk is drawn at the day's telling moments, side by side, into
    ``out/screens/`` (``booth_sim.day.station_screens``).  ``faults``: ``--faults`` as given
    (``"power,drop"``, ``"none"``; ``None``: every fault the number of booths allows)."""
    from booth.paper import to_png
    from booth_sim.day.runner import OutputRefused, prepare_output

    if not 2 <= booths <= 6:
        stream.write("booth demo: --booths must be from 2 to 6 / jumlah bilik 2 sampai 6\n")
        return 2
    try:
        chosen = parse_faults(faults, booths)
    except FaultsRefused as exc:
        stream.write(f"booth demo: {exc}\n")
        return 2
    try:
        prepare_output(out)
    except OutputRefused as exc:
        stream.write(f"booth demo: {exc}\n")
        return 2
    started = time.monotonic()
    day = StationDay(out, voters, seed, booths, stream, faults=chosen)
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="booth-station-demo-", dir=shm if shm.is_dir() else None))
    try:
        day.setup(work / "state")
        if screens:
            from booth_sim.day.station_screens import StationTiles

            day.tiles = StationTiles(day, out / "screens")
            day.tiles.shot("polls-open")
        summary: dict[str, Any] = {"format": SUMMARY_FORMAT, "booths_count": booths, "seed": seed}
        summary.update(day.run_day())
        summary.update(day.close(work))
        if day.tiles is not None:
            day.tiles.shot("closed")
            day.tiles.close()
            (out / "screens" / "screens.json").write_text(
                json.dumps(day.tiles.seen, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        for d in day.devices.values():
            d.svc.close()
        shutil.copytree(work / "state", out / "state")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (out / "prints").mkdir(exist_ok=True)
    for number, (device, kind, image) in enumerate(day.prints, start=1):
        to_png(image, out / "prints" / f"{number:04d}-{device}-{kind}.png")
    summary["prints"] = len(day.prints)
    summary["ok"] = (
        summary["verify"]["results.zip"]["ok"]
        and summary["tally"] == summary["choices_made"]
        and summary["station_reconciliation"]["balanced"]
    )
    summary["duration_seconds"] = round(time.monotonic() - started, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "log.txt").write_text("\n".join(day.story) + "\n", encoding="utf-8")
    w = stream.write
    w(f"Demo TPS / station demo: meja + {booths} bilik / desk + {booths} booths, {summary['voted']} suara / votes\n")
    w("Hasil TPS / station tally: " + ", ".join(f"{k}: {v}" for k, v in summary["tally"].items()) + "\n")
    for n, row in summary["booths"].items():
        w(
            f"  bilik / booth {n}: izin / releases {row['releases']} = dipakai / cast {row['casts']}"
            f" + dibatalkan / cancelled {row['cancels']}; disanggah / spoiled {row['spoils']}\n"
        )
        for old in row["replaced"]:
            w(f"    diganti / replaced: {old['member']} (izin / releases {old['releases']}, cast {old['casts']})\n")
    w("Gangguan / faults: " + (", ".join(f["fault"] for f in summary["faults"]) or "tidak ada / none") + "\n")
    ok = summary["verify"]["results.zip"]["ok"]
    w(f"booth verify results.zip: {'SAH / VALID' if ok else 'TIDAK SAH / INVALID'}\n")
    w(f"Artefak / artifacts in {out}/: state/, prints/ ({summary['prints']} PNG), results.zip, summary.json, log.txt\n")
    w(("SEMUA TERPENUHI / ALL MET" if summary["ok"] else "ADA YANG GAGAL / SOMETHING FAILED") + "\n")
    return 0 if summary["ok"] else 1
