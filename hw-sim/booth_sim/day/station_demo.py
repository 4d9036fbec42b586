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
        settings = Settings(min_cast_interval=0.0)
        pins = {c.id: f"{258001 + i}" for i, c in enumerate(self.package.companions)}
        names = ["meja"] + [f"bilik-{n}" for n in range(1, self.booths + 1)]
        self.devices: dict[str, Device] = {}
        for name in names:
            role = "desk" if name == "meja" else "booth"
            state = work / ("desk" if role == "desk" else name.replace("bilik", "booth"))
            svc = BoothService.provision(state, clock=self.clock, settings=settings, role=role)
            svc.load_election(str(package_dir))
            for c in svc.package.companions:
                svc.set_first_pin(c.id, pins[c.id])
            self.devices[name] = Device(name, svc, state, pins)
        for d in self.devices.values():
            self._custody(d)
        desk = self.desk
        for n in range(1, self.booths + 1):
            booth = self.booth(n)
            desk_key, booth_key = desk.svc.ledger.key.verifier_key(), booth.svc.ledger.key.verifier_key()
            shown_by_booth = booth.svc.pairing_code(desk_key)["code"]
            shown_by_desk = desk.svc.pairing_code(booth_key)["code"]
            desk.svc.pair_booth(desk.token(), n, booth_key, shown_by_booth)
            booth.svc.pair_desk(booth.token(), desk_key, n, shown_by_desk)
            self.say("meja", f"bilik {n} dipasangkan, kode {shown_by_desk}", f"booth {n} paired, code {shown_by_desk}")
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
        for seconds, _, kind, item in sorted(steps, key=lambda s: (s[0], s[1])):
            self.at(seconds)
            if kind == "refuse":
                self._refuse_again(voted)
            elif kind == "check_in":
                self.desk.svc.check_in(self.desk.token(), who[item.number])
            elif kind == "release":
                open_releases[item.number] = self._release(who[item.number], item.booth)
            elif kind == "cast":
                release = open_releases[item.number]
                per_booth_seen[item.booth] = per_booth_seen.get(item.booth, 0) + 1
                dispute = item.booth == DISPUTE_BOOTH and per_booth_seen[item.booth] == DISPUTE_AT
                self._vote(release, rng.choice(numbers), dispute=dispute, other=rng.choice(numbers))
                voted.append(who[item.number])
            elif kind == "photo":
                self.desk.svc.station_photo(open_releases.pop(item.number)["release"], self.jpeg)
        self.at(model.last_out + 60)
        if self.booths >= 2:
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
            closings[n] = res["statement"]
            bundles[n] = Path(b.svc.export(token, str(exports / f"booth-{n}.zip"))).read_bytes()
            booths[n] = {**self.events[n], "reconciliation": res["reconciliation"]}
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
            self.out / "results.zip", desk=desk_bundle, booths=bundles, results=station["document"]
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


def run_station_demo(out: Path, *, booths: int, voters: int, seed: int, stream: TextIO, screens: bool = False) -> int:
    """The station day into ``out`` (an empty folder or an earlier demo's); returns the exit code.

    ``screens``: every device's kiosk is drawn at the day's telling moments, side by side, into
    ``out/screens/`` (``booth_sim.day.station_screens``)."""
    from booth.paper import to_png
    from booth_sim.day.runner import OutputRefused, prepare_output

    if not 2 <= booths <= 6:
        stream.write("booth demo: --booths must be from 2 to 6 / jumlah bilik 2 sampai 6\n")
        return 2
    try:
        prepare_output(out)
    except OutputRefused as exc:
        stream.write(f"booth demo: {exc}\n")
        return 2
    started = time.monotonic()
    day = StationDay(out, voters, seed, booths, stream)
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
    ok = summary["verify"]["results.zip"]["ok"]
    w(f"booth verify results.zip: {'SAH / VALID' if ok else 'TIDAK SAH / INVALID'}\n")
    w(f"Artefak / artifacts in {out}/: state/, prints/ ({summary['prints']} PNG), results.zip, summary.json, log.txt\n")
    w(("SEMUA TERPENUHI / ALL MET" if summary["ok"] else "ADA YANG GAGAL / SOMETHING FAILED") + "\n")
    return 0 if summary["ok"] else 1
