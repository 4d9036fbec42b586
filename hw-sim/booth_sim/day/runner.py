"""The scenario runner: a whole election day, headless, through the real core and simulated devices.

``booth sim --scenario FILE --out DIR`` and ``booth demo`` come here.  The
day runs in-process: :class:`~booth.service.BoothService` (every rule of the
day), :class:`~booth.kiosk.station.Station` (the kiosk's hands: printing, photos)
and the simulated devices from ``open_devices(None)``, on a
:class:`~booth.ledger.clock.FakeClock` that only the scenario moves.  The
runner plays the people: the companions (who sign in, check voters in, fix
the printer, reprint), the voters (who choose, walk away, come back), and the
faults (paper out mid-slip, a jam, a failing camera, a power cut, a crash).

>>> scenario = load_scenario("my-day.scenario.json")          # doctest: +SKIP
>>> run_day(scenario, Path("sim-out"), stream=sys.stdout)     # doctest: +SKIP
0

What it writes in ``DIR`` (see ``docs/scenarios.md``)::

    state/           the device's state directory, as the appliance leaves it
    prints/NNN-kind.png   every printed item in order (slip, slip-reprint, slip-void,
                     slip-torn, self_test, zero_report, results_report, custody_slip)
    results.zip      the exported, signed results bundle (if the day exported)
    summary.json     election ID, tally, reconciliation, checkpoint, faults,
                     expectations met or not, verify results
    log.txt          the day's story, one line per step, Indonesian / English
    election/        the demo election package and its DEMO committee keys (demo only)

Exit code: 0 when every expectation is met and ``booth verify`` passes on
``state/`` and ``results.zip``; 1 otherwise.  (2, a bad scenario or output
folder, is decided before anything is written.)

Why closing the service is a faithful crash: every state change of the core
is one committed SQLite transaction whose WAL is checkpointed at once, and
``BoothService.close`` runs no election logic (no event, no session
clean-up).  So dropping the service at any point between two calls leaves
exactly what a power cut at that instant leaves; the reopened service must
then find its way from the log alone, as on the appliance.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from PIL import Image

from booth.election_package import CommitteeKeyPair
from booth.errors import AlreadyVoted, BoothError, LockedOut, NotAllowed, NotSignedIn, TooSoon, WrongPin
from booth.hardware.devices import Devices, open_devices
from booth.hardware.power import Power
from booth.hardware.printer import CoverOpen, PaperJam, PaperOut, PrinterOffline
from booth.kiosk import printouts
from booth.kiosk.station import Outcome, Printout, Station
from booth.ledger.clock import FakeClock
from booth.paper import to_png
from booth.service import BoothService, Settings
from booth_sim.camera import SimCamera
from booth_sim.day import scenario as sc
from booth_sim.day.scenario import Scenario, make_demo_election
from booth_sim.printer import SimPrinter

MARKER = ".booth-sim-output"
OUTPUTS = (MARKER, "state", "prints", "election", "results.zip", "summary.json", "log.txt", "screens")
SUMMARY_FORMAT = "booth-sim-summary-v1"
MAX_PRINT_TRIES = 5
WRONG_PIN = "000000"  # never a valid PIN (all digits the same), so never anyone's


class OutputRefused(Exception):
    """The output folder holds something that is not an earlier simulator run."""


class DayStopped(Exception):
    """The day could not go on (the core refused a step the scenario needs)."""


# --------------------------------------------------------------------------- the demo election
# --------------------------------------------------------------------------- the output folder
def prepare_output(out: Path) -> None:
    """Make ``out`` ready: new, empty, or an earlier simulator output (whose files are replaced).

    Raises :class:`OutputRefused` for anything else; nothing is changed then.
    """
    if out.exists() and not out.is_dir():
        raise OutputRefused(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise OutputRefused(
                f"{out} is not empty and is not an earlier booth sim output; choose another --out (nothing was written)"
            )
        for name in OUTPUTS:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("booth sim output: replaced by the next run into this folder\n", encoding="utf-8")


def _memory_folder() -> Path | None:
    """A private folder in memory (tmpfs) for the simulated device's state while the day runs.

    The ledger makes every change durable with fsync (as it must on the
    appliance); on a laptop's disk those waits, not the work, would make a
    300-voter day take minutes.  In memory the same code runs at CPU speed, and
    the finished state directory is copied to ``DIR/state``.  A crash fault
    does not need the disk: the service is dropped and reopened in-process.
    """
    shm = Path("/dev/shm")
    if not shm.is_dir():
        return None
    try:
        return Path(tempfile.mkdtemp(prefix="booth_sim-day-", dir=shm))
    except OSError:
        return None


# --------------------------------------------------------------------------- the day
@dataclass
class PrintedItem:
    kind: str
    image: Image.Image


class VoterHands(Protocol):
    """Who does the voter's part in the booth: the station (headless) or a kiosk driven by touches."""

    def cast(self, release: str, selection: str) -> Outcome: ...
    def take_photo(self, release: str) -> Outcome: ...


class SimDay:
    """One scripted day (see the module docstring).  ``run()`` returns the summary."""

    def __init__(
        self, scenario: Scenario, out: Path, *, stream: TextIO | None = None, state_in_memory: bool = True
    ) -> None:
        self.sc = scenario
        self.out = Path(out)
        self.stream = stream
        self.state_in_memory = state_in_memory
        self.state_dir = self.out / "state"
        self.settings = Settings()  # the field defaults; see docs/scenarios.md ("Speed")
        self.clock = FakeClock(scenario.start.astimezone(dt.UTC))
        self.tz = scenario.facts.opens_at.tzinfo
        self.tz_label = "WIB"
        self.story: list[str] = []
        self.faults = {kind: 0 for kind in sc.FAULT_KINDS}
        self.search_misses = 0
        self.known_checkpoints: list[str] = []
        self.prints: list[PrintedItem] = []
        self._printouts_seen = 0
        self._partials_seen = 0
        self._tokens: dict[str, str] = {}
        self._power_events: list[Power] = []
        self._paused_for_power = False
        self._shut_down = False
        self._camera_fails = 0  # captures still to fail (camera_failure steps, photo_fails)
        self._crash_at: str | None = None
        self._self_test: dict | None = None
        self.keys: CommitteeKeyPair | None = None
        self.package_dir: Path | None = None
        self.svc: BoothService | None = None
        self.station: Station | None = None
        self.devices: Devices | None = None
        # Who does the voter's part in the booth: ``cast(release, choice)`` and
        # ``take_photo(release)``, each returning a station Outcome.  None: the
        # station, through the API (the headless day); ``booth sim --screens``
        # gives a kiosk driven by touches and buttons (booth_dev.gallery).
        self.voter_hands: VoterHands | None = None

    # The booth, the kiosk's hands and the devices of the day under way (set up by _begin).
    @property
    def _booth(self) -> BoothService:
        assert self.svc is not None, "the simulated booth is not running"
        return self.svc

    @property
    def _hands(self) -> Station:
        assert self.station is not None, "the simulated booth is not running"
        return self.station

    @property
    def _devs(self) -> Devices:
        assert self.devices is not None, "the simulated devices are not open"
        return self.devices

    @property
    def _printer(self) -> SimPrinter:
        """The simulated printer (the day runs its paper out, jams and unplugs it)."""
        printer = self._devs.printer
        assert isinstance(printer, SimPrinter), "a simulated day runs on the simulated printer"
        return printer

    @property
    def _camera(self) -> SimCamera:
        """The simulated camera (the day makes it fail)."""
        camera = self._devs.camera
        assert isinstance(camera, SimCamera), "a simulated day runs on the simulated camera"
        return camera

    # ------------------------------------------------------------------ telling the story
    def say(self, where: str, id_text: str, en_text: str, *, loud: bool = True) -> None:
        stamp = self.clock.now().astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")
        line = f"{stamp} {self.tz_label}  {where:<20} {id_text} / {en_text}"
        self.story.append(line)
        if self.stream is not None and loud:
            self.stream.write(line + "\n")
            self.stream.flush()

    # ------------------------------------------------------------------ companions
    def _sign_in(self, cid: str) -> str:
        while True:
            try:
                token = self._booth.sign_in(cid, self.sc.pins[cid])
            except LockedOut as exc:
                wait = exc.details.get("wait_seconds") or 0
                if exc.details.get("locked") or wait <= 0:
                    raise DayStopped(f"{cid} is locked out: {exc.message_en}") from None
                self.faults["lockout_wait"] += 1
                self.clock.advance(wait)  # the companion waits, as the screen tells them
                continue
            self._tokens[cid] = token
            return token

    def act(self, cid: str, do: Callable[[str], object]):
        """Do something as companion ``cid``, signing in (again) first if the session has ended.

        The session is checked before ``do`` runs, not by retrying it: a station
        call may print before the core sees the token, and must not print twice.
        """
        token = self._tokens.get(cid)
        if token is not None:
            try:
                self._booth.whoami(token)
            except NotSignedIn:
                token = None
        return do(token or self._sign_in(cid))

    def _who(self, action: str, by: str | None) -> str:
        cid = sc.who_acts(action, by, facts=self.sc.facts, pins=self.sc.pins)
        # the scenario checker refuses a day with an act that no companion may do, before it runs
        assert cid is not None, f"no companion of the package may {action}"
        return cid

    # ------------------------------------------------------------------ the paper
    def _sync_prints(self, kind: str, *, reprint: bool = False) -> None:
        """Take what came out of the printer since last time: torn pieces, then whole items."""
        partial = getattr(self._printer, "partial", [])
        for image in partial[self._partials_seen :]:
            self.prints.append(PrintedItem(f"{kind}-torn", image))
        self._partials_seen = len(partial)
        for p in self._hands.printouts[self._printouts_seen :]:
            name = "slip-reprint" if reprint and p.kind == "slip" else "slip-void" if p.kind == "slip_void" else p.kind
            self.prints.append(PrintedItem(name, p.image))
        self._printouts_seen = len(self._hands.printouts)

    def _fix_printer(self, error: Exception | None) -> tuple[str, str]:
        """What a technician does about a failed print: what the screen said, else what the printer says."""
        printer = self._printer
        if error is None:
            status = printer.status()
            error = (
                PaperOut()
                if status.paper == "out"
                else PaperJam()
                if status.jammed
                else CoverOpen()
                if status.cover_open
                else PrinterOffline()
                if not status.online
                else None
            )
        if isinstance(error, PaperOut):
            self.faults["paper_out"] += 1
            printer.load_paper(self.sc.paper_roll_mm)
            return "kertas habis, gulungan baru dipasang", "paper out, new roll loaded"
        if isinstance(error, PaperJam):
            self.faults["paper_jam"] += 1
            printer.open_cover()
            printer.close_cover()
            return "kertas macet, tutup dibuka dan kertas dirapikan", "paper jam cleared"
        if isinstance(error, CoverOpen):
            printer.close_cover()
            return "tutup printer ditutup", "printer cover closed"
        if isinstance(error, PrinterOffline):
            printer.set_offline(False)
            printer.plug_in()
            return "printer disambungkan lagi", "printer reconnected"
        return "printer diperiksa", "printer checked"

    def _print_report(self, kind: str, do: Callable[[], Outcome], notes: list) -> Outcome:
        """Print a report; after a failure, fix the printer and print it again."""
        for _ in range(MAX_PRINT_TRIES):
            outcome = do()
            self._sync_prints(kind)
            if outcome.ok:
                return outcome
            notes.append(self._fix_printer(outcome.error))
        raise DayStopped(f"the {kind} did not print after {MAX_PRINT_TRIES} tries")

    # ------------------------------------------------------------------ crash and restart
    def _crash(self) -> tuple[str, str]:
        """The booth loses power at this instant and starts again from its state directory."""
        self.faults["crash"] += 1
        self._booth.close()  # no election logic runs: see the module docstring
        self.svc = None
        self._tokens.clear()
        return self._restart()

    def _restart(self) -> tuple[str, str]:
        self.svc = BoothService.open(self.state_dir, clock=self.clock, settings=self.settings)
        printouts = self._hands.printouts
        self.station = Station(self.svc, self.devices, clock=self.clock)
        self._hands.printouts = printouts  # the paper already printed is still there
        last = self._booth.ledger.entry(self._booth.ledger.size - 1)
        note = last.payload if last.type == "device.started" else {}
        if note.get("cancelled_release"):
            return (
                "menyala lagi: surat suara yang belum dipakai dibatalkan",
                "restarted: the unused release was cancelled",
            )
        if note.get("slip_to_reprint"):
            return (
                "menyala lagi: suara tetap tercatat, struk menunggu dicetak ulang",
                "restarted: the ballot is kept, its slip waits for a reprint",
            )
        return "menyala lagi di keadaan yang sama", "restarted in the same state"

    # ------------------------------------------------------------------ power
    def _on_power(self, state: Power) -> None:
        self._power_events.append(state)  # from the UPS input; handled by the kiosk loop below

    def _handle_power(self, by: str | None, notes: list) -> None:
        while self._power_events:
            state = self._power_events.pop(0)
            if state == Power.BATTERY and not self._shut_down and self._booth.day.polls == "open":
                cid = self._who("pause", by)
                self.act(cid, lambda t: self._booth.pause(t, "listrik padam / power cut"))
                self._paused_for_power = True
                notes.append(("listrik padam, baterai, pemungutan dijeda", "power cut, on battery, voting paused"))
            elif state == Power.BATTERY and not self._shut_down:
                notes.append(("listrik padam, berjalan dengan baterai", "power cut, running on battery"))
            elif state == Power.LOW_BATTERY and not self._shut_down:
                self._booth.close()
                self.svc = None
                self._tokens.clear()
                self._shut_down = True
                notes.append(("baterai habis, perangkat mati", "battery empty, the booth shut down"))
            elif state == Power.MAINS:
                if self._shut_down:
                    self._shut_down = False
                    notes.append(self._restart())
                if self._paused_for_power:
                    cid = self._who("resume", by)
                    self.act(cid, lambda t: self._booth.resume(t))
                    self._paused_for_power = False
                    notes.append(("listrik kembali, pemungutan dilanjutkan", "power back, voting resumed"))
                else:
                    notes.append(("listrik kembali", "power back"))

    # ------------------------------------------------------------------ running
    def run(self) -> dict:
        started = time.monotonic()
        stopped = None
        prepare_output(self.out)
        memory = _memory_folder() if self.state_in_memory else None
        if memory is not None:
            self.state_dir = memory / "state"
        self.devices = open_devices(None)
        try:
            self._begin()
            for step in self.sc.steps:
                try:
                    getattr(self, "_step_" + step.kind)(step, step.args)
                except (BoothError, DayStopped) as exc:
                    words = (getattr(exc, "message_id", str(exc)), getattr(exc, "message_en", str(exc)))
                    self.say(step.where, f"GAGAL, hari berhenti: {words[0]}", f"FAILED, the day stops: {words[1]}")
                    stopped = {"step": step.where, "kind": step.kind, "error": words[1]}
                    break
        except Exception as exc:  # a bug: keep what there is, say so loudly
            stopped = {"step": "runner", "kind": "error", "error": f"{type(exc).__name__}: {exc}"}
            self.story.append("ERROR " + "".join(traceback.format_exception(exc)).rstrip())
            traceback.print_exc()
        try:
            return self._finish(stopped, time.monotonic() - started)
        finally:
            if memory is not None:
                shutil.rmtree(memory, ignore_errors=True)

    def _begin(self) -> None:
        spec = self.sc.election
        if spec.demo:
            self.package_dir, self.keys = make_demo_election(
                self.out / "election", voters=spec.voters, seed=spec.seed, allow_blank=spec.allow_blank
            )
        else:
            from booth.election_package import load_key_pair

            self.package_dir = spec.package
            self.keys = load_key_pair(spec.committee_keys) if spec.committee_keys else None
        self._printer.load_paper(self.sc.paper_roll_mm)
        self._devs.power.on_change(self._on_power)
        self.svc = BoothService.provision(self.state_dir, clock=self.clock, settings=self.settings)
        self.station = Station(self.svc, self.devices, clock=self.clock)
        if self.keys is not None:
            self._booth.pin_committee_key(self.keys.public.sign_key)
        info = self._booth.load_election(str(self.package_dir))
        self.tz_label = info["timezone"]
        self.say(
            "start",
            f"Paket pemilihan dimuat: {info['title']}, ID {info['short_id']}, {len(self.sc.facts.voters)} DPT",
            f"election package loaded: ID {info['short_id']}, {len(self.sc.facts.voters)} voters on the DPT",
        )

    # ------------------------------------------------------------------ one method per step kind
    def _step_custody(self, step, a):
        stage = a["stage"]
        # before the handover nobody has a PIN yet: any companion in the package may be named
        before = stage in ("received", "distributed")
        cid = sc.who_acts(
            "custody", a["by"], facts=self.sc.facts, pins=self.sc.facts.companions if before else self.sc.pins
        )
        words = {
            "received": ("Perangkat diterima", "device received"),
            "distributed": ("Perangkat didistribusikan", "device distributed"),
            "handed_over": ("Serah terima di pekon", "handed over at the village"),
            "installed": ("Perangkat dipasang dan diuji", "installed and self-tested"),
        }[stage]
        extra = ("", "")
        if before:
            self._booth.record_custody(stage, companion_id=cid, place=a["place"], note=a["note"])
        else:
            if stage == "handed_over":
                reloaded = ("", "")
                made = [c for c in self.sc.facts.companions if c in self.sc.pins and c not in self._booth.day.pins_set]
                for c in made:
                    try:
                        self._booth.set_first_pin(c, self.sc.pins[c])
                    except NotAllowed:
                        if self._booth.day.pins_set:
                            raise
                        # Known core gap: the photo vault's enrolment secret lives only in
                        # memory, so after a restart between loading the package and the
                        # handover no first PIN can be made.  Loading the same package
                        # again (allowed until a PIN exists) makes a new one.
                        self._booth.load_election(str(self.package_dir))
                        self._booth.set_first_pin(c, self.sc.pins[c])
                        reloaded = ("; paket dimuat ulang setelah restart", "; package loaded again after the restart")
                names = ", ".join(made)
                extra = (f"; PIN dibuat: {names}{reloaded[0]}", f"; PINs made: {names}{reloaded[1]}")
            results = self._self_test if stage == "installed" else None
            # at handover the companion compares the device clock with a watch; the
            # simulator's clock is the truth here, so it matches
            clock = {"matches": "yes"} if stage == "handed_over" else None
            self.act(
                cid,
                lambda t: self._booth.record_custody(
                    stage, token=t, place=a["place"], note=a["note"], self_test=results, clock=clock
                ),
            )
            if clock:
                extra = (
                    extra[0] + "; jam perangkat cocok dengan jam tangan",
                    extra[1] + "; device clock matches a watch",
                )
        self.say(
            step.where,
            f"{words[0]} oleh {cid} di {a['place'] or '-'}{extra[0]}",
            f"{words[1]} by {cid} at {a['place'] or '-'}{extra[1]}",
        )

    def _step_self_test(self, step, a):
        cid = self._who("self_test", a["by"])
        notes: list = []
        for _ in range(MAX_PRINT_TRIES):
            if self._camera_fails:
                self._camera_fails -= 1
                self._camera.fail_next()
            results = self.act(cid, lambda t: self._hands.self_test(t, now=self.clock.now()))
            self._sync_prints("self_test")
            failed = {k: v for k, v in results.items() if v != "ok"}
            if not failed:
                break
            if "camera" in failed:
                self.faults["camera_failure"] += 1
                notes.append(("kamera gagal, kabel diperiksa", "camera failed, cable checked"))
            if "printer" in failed:
                notes.append(self._fix_printer(None))
        self._self_test = results
        self.say(step.where, "Uji perangkat: " + _joined(results, notes, 0), "self-test: " + _joined(results, notes, 1))

    def _step_zero_report(self, step, a):
        cid = self._who("zero_report", a["by"])
        notes: list = []
        outcome = self._print_report("zero_report", lambda: self.act(cid, self._hands.print_zero_report), notes)
        self.known_checkpoints.append(outcome.data["checkpoint"])
        self.say(
            step.where,
            "Laporan nol dicetak (semua calon 0) untuk saksi" + _notes(notes, 0),
            "zero report printed (every candidate at 0) for the witnesses" + _notes(notes, 1),
        )

    def _step_open(self, step, a):
        cid = self._who("open_polls", a["by"])
        self.act(cid, self._booth.open_polls)
        self.say(step.where, f"TPS dibuka oleh {cid}", f"polls opened by {cid}")

    def _step_advance(self, step, a):
        self.clock.advance(a["seconds"])
        self.say(
            step.where,
            f"waktu berjalan {_duration(a['seconds'])}",
            f"time passes: {_duration(a['seconds'])}",
            loud=False,
        )

    def _step_time(self, step, a):
        if a["at"] < self.clock.now():
            raise DayStopped(f"time {a['at'].isoformat()} is earlier than the simulated clock")
        self.clock.set(a["at"].astimezone(dt.UTC))
        self.say(step.where, "jam diatur ke waktu ini", "the clock is set to this time")

    def _step_pause(self, step, a):
        cid = self._who("pause", a["by"])
        self.act(cid, lambda t: self._booth.pause(t, a["reason"]))
        self.say(step.where, f"pemungutan dijeda ({a['reason']})", f"voting paused ({a['reason']})")

    def _step_resume(self, step, a):
        cid = self._who("resume", a["by"])
        self.act(cid, self._booth.resume)
        self.say(step.where, "pemungutan dilanjutkan", "voting resumed")

    def _step_wrong_pin(self, step, a):
        cid = a["companion"]
        token = self._tokens.pop(cid, None)
        if token:
            self._booth.sign_out(token)
        wrong = waits = 0
        locked = False
        for _ in range(a["times"]):
            while True:
                try:
                    self._booth.sign_in(cid, WRONG_PIN)
                except WrongPin:
                    wrong += 1
                    self.faults["wrong_pin"] += 1
                except LockedOut as exc:
                    if exc.details.get("locked"):
                        locked = True
                    else:
                        waits += 1
                        self.faults["lockout_wait"] += 1
                        self.clock.advance(exc.details["wait_seconds"])
                        continue
                break
            if locked:
                break
        if self._booth.day.misses.get(cid, (0, None))[0] >= 15 or cid in self._booth.day.locked:
            locked = True
        more = (f", menunggu {waits}×" if waits else "", f", waited {waits}x" if waits else "")
        lock = (", PIN TERKUNCI, panggil panitia", ", LOCKED OUT, call the committee") if locked else ("", "")
        self.say(
            step.where,
            f"{cid} salah memasukkan PIN {wrong}×{more[0]}{lock[0]}",
            f"{cid} typed a wrong PIN {wrong} times{more[1]}{lock[1]}",
        )

    def _step_committee_reset(self, step, a):
        from booth.committee_reset import make_reset

        text = make_reset(self.keys.sign_private, self._booth.day.election_id, a["companion"])
        self._booth.committee_reset(text)
        self.faults["committee_reset"] += 1
        self.say(
            step.where,
            f"panitia membuka kunci {a['companion']} dengan berkas bertanda tangan",
            f"the committee unlocked {a['companion']} with a signed reset file",
        )

    def _step_paper_out(self, step, a):
        self._printer.paper_out_after(a["after_mm"])
        mm = f"{a['after_mm']:g} mm"
        self.say(step.where, f"gulungan kertas tinggal {mm}", f"only {mm} of paper left")

    def _step_paper_jam(self, step, a):
        self._printer.jam_next()
        self.say(step.where, "kertas akan macet pada cetakan berikutnya", "the next print will jam")

    def _step_camera_failure(self, step, a):
        self._camera_fails += a["times"]
        self.say(step.where, f"kamera akan gagal {a['times']}×", f"the camera will fail {a['times']} time(s)")

    def _step_power_cut(self, step, a):
        self.faults["power_cut"] += 1
        notes: list = []
        self._devs.power.cut()
        self._handle_power(a["by"], notes)
        if a["battery_runs_out"]:
            self._devs.power.low_battery()
            self._handle_power(a["by"], notes)
        self.clock.advance(a["minutes"] * 60)
        self._devs.power.restore()
        self._handle_power(a["by"], notes)
        self.say(
            step.where,
            f"listrik padam {a['minutes']:g} menit: " + "; ".join(n[0] for n in notes),
            f"power cut for {a['minutes']:g} minutes: " + "; ".join(n[1] for n in notes),
        )

    def _step_crash(self, step, a):
        if a["at"] == "now":
            words = self._crash()
            self.say(step.where, f"perangkat mati mendadak; {words[0]}", f"the booth crashed; {words[1]}")
        else:
            self._crash_at = a["at"]
            self.say(
                step.where,
                f"perangkat akan mati mendadak ({a['at']}) pada pemilih berikutnya",
                f"the booth will crash {a['at'].replace('_', ' ')} of the next voter",
                loud=False,
            )

    def _step_close(self, step, a):
        cid = self._who("close_polls", a["by"])
        self.act(cid, self._booth.close_polls)
        self.say(step.where, f"TPS ditutup oleh {cid}", f"polls closed by {cid}")

    def _step_early_close(self, step, a):
        cid = self._who("close_polls", a["by"])
        self.act(cid, lambda t: self._booth.close_polls(t, a["reason"]))
        self.faults["early_close"] += 1
        self.say(
            step.where,
            f"TPS ditutup lebih awal oleh {cid}: {a['reason']}",
            f"polls closed early by {cid}: {a['reason']}",
        )

    def _step_count(self, step, a):
        cid = self._who("count", a["by"])
        res = self.act(cid, self._booth.count)
        tally = ", ".join(f"{k}: {v}" for k, v in res["tally"].items())
        balanced = res["reconciliation"]["balanced"]
        self.say(
            step.where,
            f"suara dihitung: {tally}; rekonsiliasi {'cocok' if balanced else 'TIDAK COCOK'}",
            f"votes counted: {tally}; reconciliation {'balanced' if balanced else 'NOT BALANCED'}",
        )

    def _step_results(self, step, a):
        cid = self._who("results_report", a["by"])
        notes: list = []
        for _ in range(a["copies"]):
            outcome = self._print_report("results_report", lambda: self.act(cid, self._hands.print_results), notes)
            self.known_checkpoints.append(outcome.data["checkpoint"])
        self.say(
            step.where,
            f"laporan hasil dicetak {a['copies']} rangkap" + _notes(notes, 0),
            f"results report printed, {a['copies']} cop{'y' if a['copies'] == 1 else 'ies'}" + _notes(notes, 1),
        )

    def _step_export(self, step, a):
        cid = self._who("export", a["by"])
        self.act(cid, lambda t: self._booth.export(t, str(self.out / "results.zip")))
        self.say(step.where, "hasil diekspor ke results.zip", "results exported to results.zip")

    def _step_pack(self, step, a):
        cid = self._who("pack", a["by"])
        self.act(cid, self._booth.pack)
        self._tokens.clear()
        notes: list = []
        self._print_report("custody_slip", self._print_custody_slip, notes)
        self.say(
            step.where,
            "perangkat dikemas dan disegel; slip serah terima dicetak" + _notes(notes, 0),
            "device packed and sealed; custody slip printed" + _notes(notes, 1),
        )

    def _print_custody_slip(self):
        """The custody slip after packing, from what the sealed core still tells anyone.

        ``Station.print_custody_slip`` needs a signed-in companion, but after
        ``pack`` the core ends every session and nobody can sign in to a sealed
        device; so the runner prints the same layout from the read-only API.
        """
        from booth.hardware.printer import PrinterError
        from booth.kiosk.station import Outcome

        status = self._booth.status()
        image = printouts.custody_slip_image(
            self._booth.election_info(),
            self._booth.custody_trail(),
            self._booth.latest_checkpoint(),
            self._booth.device_fingerprint(),
            status["time"],
        )
        try:
            self._printer.print_image(image)
        except PrinterError as exc:
            return Outcome(False, exc)
        self._hands.printouts.append(Printout("custody_slip", image))
        return Outcome(True)

    # ------------------------------------------------------------------ a voter
    def _step_voter(self, step, a):
        self.clock.advance(self.sc.seconds_per_voter)
        desk = a["by"] or self.sc.desk
        notes: list = []
        if a.get("dptb"):
            p = a["dptb"]
            found = self.act(desk, lambda t: self._booth.search_voters(t, p["nik"]))
            if any(r["nik"] == p["nik"] for r in found):
                raise DayStopped(f"the DPTb voter's NIK {p['nik']} is already listed")
            row = self.act(
                desk,
                lambda t: self._booth.add_dptb(
                    t,
                    nik=p["nik"],
                    name=p["name"],
                    sex=p["sex"],
                    birth_date=p["birth_date"],
                    address=p["address"],
                    rt=p["rt"],
                    rw=p["rw"],
                    reason=p["reason"],
                ),
            )
            ref, name, nik = row["ref"], p["name"], p["nik"]
            notes.append(
                (
                    f"tidak terdaftar dalam DPT, ditambahkan ke DPTb sebagai {ref} ({p['reason']})",
                    f"not on the DPT, added to the DPTb as {ref} ({p['reason']})",
                )
            )
        else:
            ref = a["ref"]
            nik, name = self.sc.facts.voters[ref]
            find = a["find"]
            query = nik if find == "nik" else name if find == "name" else find["query"]
            found = self.act(desk, lambda t: self._booth.search_voters(t, query))
            if not any(r["ref"] == ref for r in found):
                self.search_misses += 1
                self.act(desk, lambda t: self._booth.search_voters(t, nik))
                notes.append(
                    (f'tidak ketemu dengan "{query}", dicari dengan NIK', f'not found by "{query}", found by NIK')
                )
            elif find != "nik":
                notes.append((f'ditemukan dengan "{query}"', f'found by "{query}"'))
        who = f"{ref} {name}"
        try:
            self.act(desk, lambda t: self._booth.check_in(t, ref))
        except AlreadyVoted as exc:
            notes.append(self._refused(desk, ref, exc))
            return self._say_voter(step, who, "DITOLAK", "REFUSED", notes, loud=True)
        release = self.act(desk, lambda t: self._booth.release_ballot(t, ref))["release"]
        if a["walks_away"]:
            self.clock.advance(sc.WALK_AWAY_SECONDS)
            self.act(desk, lambda t: self._booth.cancel_release(t, release, "pemilih meninggalkan bilik / voter left"))
            self.faults["walks_away"] += 1
            return self._say_voter(
                step,
                who,
                "pergi tanpa memilih, surat suara dibatalkan petugas",
                "walked away without voting, the companion cancelled the release",
                notes,
                loud=True,
            )
        if a["idle"]:
            self.clock.advance(sc.RELEASE_TIMEOUT_SECONDS + 1)
            self._booth.expire_release(release)
            self.faults["idle"] += 1
            return self._say_voter(
                step,
                who,
                "tidak memilih, surat suara kedaluwarsa",
                "did not vote, the release expired",
                notes,
                loud=True,
            )
        for shown in a.get("disputed", []):
            self._dispute(ref, release, shown, notes)
        self._vote(desk, ref, release, a["choice"], a["photo_fails"], notes)
        if a["repeat_visit"]:
            self.clock.advance(sc.REPEAT_VISIT_SECONDS)
            self.act(desk, lambda t: self._booth.search_voters(t, nik))
            try:
                self.act(desk, lambda t: self._booth.check_in(t, ref))
                raise DayStopped(f"{ref} came back after voting and was NOT refused")
            except AlreadyVoted as exc:
                notes.append(self._refused(desk, ref, exc, again=True))
        choice = "kosong" if a["choice"] == "blank" else f"no. {a['choice']}"
        self._say_voter(step, who, f"memilih {choice}", f"voted {'blank' if a['choice'] == 'blank' else choice}", notes)

    def _refused(self, desk: str, ref: str, exc: AlreadyVoted, *, again: bool = False) -> tuple[str, str]:
        self.faults["repeat_visit"] += 1
        shown = ("", "")
        if exc.details.get("has_photo"):
            try:
                self.act(desk, lambda t: self._booth.view_photo(t, ref))
                shown = ("; foto sebelumnya ditampilkan", "; the earlier photo was shown")
            except BoothError as err:
                shown = (f"; foto tidak bisa dibuka: {err.message_id}", f"; photo not shown: {err.message_en}")
        lead = ("datang lagi, " if again else "", "came back, " if again else "")
        return (f"{lead[0]}ditolak karena sudah memilih{shown[0]}", f"{lead[1]}refused: already voted{shown[1]}")

    def _reprint_until_whole(self, outcome: Outcome | None, notes: list) -> None:
        """A slip that failed: the technician fixes the printer and reprints until the voter has it."""
        tech = self.sc.technician
        for _ in range(MAX_PRINT_TRIES):
            if self._booth.voter_screen()["screen"] != "print_failed":
                break
            if outcome is not None and not outcome.ok:
                notes.append(self._fix_printer(outcome.error))
            outcome = self.act(tech, self._hands.reprint)
            self._sync_prints("slip", reprint=True)
            notes.append(
                (
                    f"struk dicetak ulang oleh {tech}" if outcome.ok else "cetak ulang gagal",
                    f"slip reprinted by {tech}" if outcome.ok else "reprint failed",
                )
            )
        if self._booth.voter_screen()["screen"] != "slip_check":
            raise DayStopped(f"the slip did not print after {MAX_PRINT_TRIES} tries")

    def _dispute(self, ref: str, release: str, shown: str, notes: list) -> None:
        """The booth recorded ``shown`` (a mis-touch); the voter disputes the slip, the technician spoils it."""
        tech = self.sc.technician
        while True:
            try:
                outcome = (self.voter_hands or self._hands).cast(release, shown)
                self._sync_prints("slip")
                break
            except TooSoon as exc:
                self.clock.advance(exc.details["wait_seconds"])
        self._reprint_until_whole(outcome, notes)
        answer = getattr(self.voter_hands, "answer_slip", None) or self._hands.answer_slip
        answer(release, False)  # "Struk tidak sesuai"
        self.clock.advance(sc.DISPUTE_SECONDS // 2)  # the companion comes to the booth
        void = self.act(tech, lambda t: self._hands.spoil(t, release))
        self._sync_prints("slip_void")
        self.faults["dispute"] += 1
        self.clock.advance(sc.DISPUTE_SECONDS - sc.DISPUTE_SECONDS // 2)
        shown_words = ("kosong", "blank") if shown == "blank" else (f"no. {shown}", f"no. {shown}")
        printed = (
            ("", "") if void.ok else ("; cetak BATAL gagal, ditulis tangan", "; VOID print failed, marked by hand")
        )
        notes.append(
            (
                f"struk menunjukkan {shown_words[0]}: pemilih menyanggah, {tech} membatalkan surat suara itu "
                f"(BATAL){printed[0]}, pemilih memilih lagi",
                f"slip showed {shown_words[1]}: the voter disputed it, {tech} spoiled that ballot "
                f"(VOID){printed[1]}, the voter voted again",
            )
        )

    def _vote(self, desk: str, ref: str, release: str, choice: str, photo_fails: int, notes: list) -> None:
        crash_at, self._crash_at = self._crash_at, None
        if crash_at == "after_release":
            notes.append(("perangkat mati mendadak sebelum memilih", "the booth crashed before the vote"))
            notes.append(self._crash())
            release = self.act(desk, lambda t: self._booth.release_ballot(t, ref))["release"]
            notes.append(("surat suara dibuka lagi", "ballot released again"))
        outcome = None
        while True:
            try:
                if crash_at == "after_cast":
                    self._booth.cast(release, choice)  # recorded; the slip never reached the printer
                    notes.append(
                        (
                            "perangkat mati mendadak setelah suara tercatat, sebelum struk",
                            "the booth crashed after the vote was recorded, before the slip",
                        )
                    )
                    notes.append(self._crash())
                else:
                    outcome = (self.voter_hands or self._hands).cast(release, choice)
                    self._sync_prints("slip")
                break
            except TooSoon as exc:
                self.clock.advance(exc.details["wait_seconds"])  # the screen asks the voter to wait
        self._reprint_until_whole(outcome, notes)
        if self.voter_hands is None:  # a kiosk answers on its slip-check screen when it takes the photo
            self._hands.answer_slip(release, True)  # "Struk sesuai"
        if crash_at == "after_slip":
            notes.append(("perangkat mati mendadak sebelum foto", "the booth crashed before the photo"))
            notes.append(self._crash())
        self._camera_fails += photo_fails
        for attempt in range(1, sc.MAX_PHOTO_TRIES + 1):
            if self._camera_fails:
                self._camera_fails -= 1
                self._camera.fail_next()
            if (self.voter_hands or self._hands).take_photo(release).ok:
                if attempt > 1:
                    notes.append((f"foto berhasil pada percobaan ke-{attempt}", f"photo taken on try {attempt}"))
                return
            self.faults["camera_failure"] += 1
        self.act(desk, lambda t: self._booth.skip_photo(t, release, "kamera gagal / camera failed"))
        notes.append(
            (
                f"kamera gagal {sc.MAX_PHOTO_TRIES}×, foto dilewati petugas",
                f"camera failed {sc.MAX_PHOTO_TRIES} times, the companion skipped the photo",
            )
        )

    def _say_voter(self, step, who: str, id_text: str, en_text: str, notes: list, *, loud: bool = False) -> None:
        self.say(
            step.where,
            f"Pemilih {who}: {id_text}{_notes(notes, 0)}",
            f"voter {who}: {en_text}{_notes(notes, 1)}",
            loud=loud or bool(notes),
        )

    # ------------------------------------------------------------------ the end of the day
    def _finish(self, stopped: dict | None, seconds: float) -> dict:
        from booth.ledger.verify import Unreadable, open_source, verify

        summary: dict = {"format": SUMMARY_FORMAT, "scenario": self.sc.source, "title": self.sc.title}
        if self.svc is not None:
            try:
                summary.update(self._final_state())
                self._booth.close()
            except Exception as exc:  # the day already failed; still write what is known
                summary["final_state_error"] = f"{type(exc).__name__}: {exc}"
        self._devs.close()
        if self.state_dir != self.out / "state" and self.state_dir.exists():
            shutil.copytree(self.state_dir, self.out / "state")
        summary.update(faults=self.faults, search_misses=self.search_misses, stopped=stopped)

        (self.out / "prints").mkdir(exist_ok=True)
        by_kind: dict[str, int] = {}
        digits = max(3, len(str(len(self.prints))))
        for number, item in enumerate(self.prints, start=1):
            to_png(item.image, self.out / "prints" / f"{number:0{digits}d}-{item.kind}.png")
            by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
        summary["prints"] = {"count": len(self.prints), "by_kind": by_kind}

        checks: dict[str, dict[str, Any]] = {}
        for name in ("state", "results.zip"):
            path = self.out / name
            if not path.exists():
                if name == "state" or self._exported_expected():
                    checks[name] = {"ok": False, "problems": ["not written"]}
                continue
            try:
                report = verify(open_source(path), self.known_checkpoints)
                checks[name] = {
                    "ok": report.ok,
                    "problems": [str(p) for p in report.problems],
                    "known_checkpoints": len(self.known_checkpoints),
                }
            except Unreadable as exc:
                checks[name] = {"ok": False, "problems": [f"unreadable: {exc}"]}
        summary["verify"] = checks
        verify_ok = all(c["ok"] for c in checks.values())
        for name, c in checks.items():
            self.story.append(
                f"booth verify {name}: {'SAH / VALID' if c['ok'] else 'TIDAK SAH / INVALID'}"
                + ("" if c["ok"] else " — " + "; ".join(c["problems"][:3]))
            )

        summary["expectations"] = self._expectations(summary, verify_ok)
        met = all(e["met"] for e in summary["expectations"])
        summary["ok"] = met and verify_ok and stopped is None
        summary["exit_code"] = 0 if summary["ok"] else 1
        summary["simulated_clock_end"] = self.clock.now().astimezone(self.tz).isoformat()
        summary["duration_seconds"] = round(seconds, 1)
        for e in summary["expectations"]:
            if not e["met"]:
                self.story.append(f"HARAPAN TIDAK TERPENUHI / EXPECTATION NOT MET: {e['name']}: {_difference(e)}")
        (self.out / "summary.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (self.out / "log.txt").write_text("\n".join(self.story) + "\n", encoding="utf-8")
        return summary

    def _final_state(self) -> dict:
        """What the device says at the end of the day (the tally from the store if not counted)."""
        from booth.tally import reconcile

        status = self._booth.status()
        counts = self._booth.counts()
        counted = self._booth.day.tally
        store = self._booth.ledger.tally()
        return {
            "election_id": status["election_id"],
            "election_short_id": status["election_short_id"],
            "device_fingerprint": self._booth.device_fingerprint(),
            "polls": status["polls"],
            "counted": counted is not None,
            "tally": counted if counted is not None else {c: int(store.get(c, 0)) for c in self.sc.facts.choices()},
            "scenario_tally": self.sc.choices_tally(),
            "reconciliation": reconcile(counts),
            "counts": counts,
            "final_checkpoint": self._booth.latest_checkpoint(),
        }

    def _exported_expected(self) -> bool:
        return any(s.kind == "export" for s in self.sc.steps)

    def _expectations(self, summary: dict, verify_ok: bool) -> list[dict]:
        counts = summary.get("counts", {})
        actual = {
            "tally": summary.get("tally"),
            "refusals": counts.get("refused"),
            "reconciliation_balanced": summary.get("reconciliation", {}).get("balanced"),
            "ballots": counts.get("ballots_cast"),
            "voted": counts.get("voted"),
            "checked_in": counts.get("checked_in"),
            "dptb": counts.get("dptb"),
            "cancelled": counts.get("cancelled"),
            "reprints": counts.get("reprints"),
            "spoiled": counts.get("spoiled"),
            "slip_failures": counts.get("slip_failures"),
            "photos": counts.get("photos"),
            "photos_skipped": counts.get("photos_skipped"),
            "search_misses": self.search_misses,
            "polls": summary.get("polls"),
            "verify": verify_ok,
        }
        out = [
            {
                "name": "choices_counted",
                "expected": summary.get("scenario_tally"),
                "actual": summary.get("tally"),
                "met": summary.get("tally") == summary.get("scenario_tally"),
                "about": "the tally equals the voters' choices in the scenario",
            }
        ]
        for name, expected in self.sc.expect.items():
            if name == "faults":
                got = {k: self.faults.get(k, 0) for k in expected}
                out.append(
                    {
                        "name": name,
                        "expected": expected,
                        "actual": got,
                        "met": got == expected,
                        "about": sc.EXPECTATIONS[name],
                    }
                )
            else:
                out.append(
                    {
                        "name": name,
                        "expected": expected,
                        "actual": actual[name],
                        "met": actual[name] == expected,
                        "about": sc.EXPECTATIONS[name],
                    }
                )
        return out


def _difference(e: dict) -> str:
    """What an unmet expectation expected and got (for tables, only the entries that differ)."""
    expected, actual = e["expected"], e["actual"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = [k for k in expected if expected.get(k) != actual.get(k)] or list(expected)
        expected = {k: expected.get(k) for k in keys}
        actual = {k: actual.get(k) for k in keys}
    return f"expected {json.dumps(expected, ensure_ascii=False)}, got {json.dumps(actual, ensure_ascii=False)}"


def _notes(notes: list, lang: int) -> str:
    return "".join("; " + n[lang] for n in notes)


def _joined(results: dict, notes: list, lang: int) -> str:
    words = ", ".join(f"{k} {v}" for k, v in results.items())
    return words + _notes(notes, lang)


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


# --------------------------------------------------------------------------- entry point
def run_day(scenario: Scenario, out: Path, *, stream: TextIO | None = None, state_in_memory: bool = True) -> int:
    """Run ``scenario`` into ``out``; print where everything is; return the exit code (0, 1 or 2)."""
    stream = stream or sys.stdout
    try:
        summary = SimDay(scenario, out, stream=stream, state_in_memory=state_in_memory).run()
    except OutputRefused as exc:
        stream.write(f"booth sim: {exc}\n")
        return 2
    print_summary(summary, Path(out), stream)
    return summary["exit_code"]


def print_summary(summary: dict, out: Path, stream: TextIO) -> None:
    """What the day came to, for the person who ran it: election, tally, reconciliation, where the files are."""
    w = stream.write
    w("\n")
    if summary.get("election_short_id"):
        w(f"Pemilihan / election {summary['election_short_id']}  ({summary['election_id']})\n")
    if summary.get("tally") is not None:
        w("Hasil / tally: " + ", ".join(f"{k}: {v}" for k, v in summary["tally"].items()) + "\n")
    rec = summary.get("reconciliation")
    if rec is not None:
        w(f"Rekonsiliasi / reconciliation: {'cocok / balanced' if rec['balanced'] else 'TIDAK COCOK / NOT BALANCED'}\n")
    handled = {k: v for k, v in summary["faults"].items() if v}
    if handled:
        w("Gangguan ditangani / faults handled: " + ", ".join(f"{k} {v}" for k, v in handled.items()) + "\n")
    for name, c in summary["verify"].items():
        w(
            f"booth verify {name}: "
            + ("SAH / VALID" if c["ok"] else "TIDAK SAH / INVALID: " + "; ".join(c["problems"][:2]))
            + "\n"
        )
    for e in summary["expectations"]:
        verdict = "ok" if e["met"] else "GAGAL / NOT MET"
        w(f"  [{verdict}] {e['name']}" + ("" if e["met"] else ": " + _difference(e)) + "\n")
    if summary.get("stopped"):
        w(f"Hari berhenti / the day stopped at {summary['stopped']['step']}: {summary['stopped']['error']}\n")
    w(
        f"Artefak / artifacts in {out}/: state/, prints/ ({summary['prints']['count']} PNG), "
        + ("results.zip, " if (out / "results.zip").exists() else "")
        + "summary.json, log.txt\n"
    )
    w(
        ("SEMUA TERPENUHI / ALL MET" if summary["ok"] else "ADA YANG GAGAL / SOMETHING FAILED")
        + f"  ({summary['duration_seconds']} s)\n"
    )
