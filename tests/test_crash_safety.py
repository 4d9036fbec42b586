"""A power cut at any instant never loses a ballot the voter was told is recorded.

The writer (``tests/crash_writer.py``) is a real separate process that casts
ballots as fast as it can and prints one line per cast *after*
``Ledger.cast_ballot`` returned, which is the moment the booth shows
"Terima kasih. Suara Anda telah tercatat".  These tests SIGKILL it at random
instants (while Python starts, while the ledger recovers from the previous
kill, while signing, inside the SQLite COMMIT, during the WAL truncate, between
voters) over and over on the *same* state directory, so every restart also
recovers from the kill before it, and then check what a district auditor and
the voter would check:

* ``booth verify`` says the ledger is valid (it runs on an exact copy of the
  files the kill left, in a second process, while the next writer recovers);
* every acknowledged ballot is in the store, with the selection the voter made;
* nothing is duplicated, and the counts reconcile: ballots stored == cast
  events, and stored is the acknowledged count or at most one more (a cast that
  committed but was not yet acknowledged when the power went);
* the ballot whose slip did not print is the pending slip, and it is
  reprinted, never cast again.

SIGKILL leaves the operating system's page cache alone, so this tests process
crashes and the ledger's transaction boundaries; it does not pull the plug on
the disk (that is what ``synchronous=FULL`` is for, asserted at every open).
The last test checks that other half under strace: whatever a ledger call
wrote to the database or its WAL is synced before the call returns.

The kill schedule comes from a fixed seed (``BOOTH_CRASH_SEED``, printed on
failure); ``BOOTH_CRASH_KILLS`` changes how many kills the long scenario makes.
The seed reproduces the schedule; the exact instruction each kill interrupts
still depends on the scheduler.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from booth.ledger import formats
from booth.ledger.ledger import Ledger, LedgerMissing
from booth.ledger.verify import open_source, verify

WRITER = Path(__file__).with_name("crash_writer.py")
SEED = int(os.environ.get("BOOTH_CRASH_SEED", "20261122"))
KILLS = int(os.environ.get("BOOTH_CRASH_KILLS", "200"))
SLIP_KILLS = int(os.environ.get("BOOTH_CRASH_SLIP_KILLS", "40"))
SPOIL_KILLS = int(os.environ.get("BOOTH_CRASH_SPOIL_KILLS", "40"))
WRITER_TIMEOUT_S = 30.0

pytestmark = pytest.mark.slow


# ------------------------------------------------------------ kill schedule
@dataclass(frozen=True)
class KillPlan:
    """When to kill one writer run.

    ``startup``: ``delay`` seconds after the process starts (Python start-up,
    imports, ``Ledger.open`` recovering from the last kill, slot top-up).
    ``ready``: ``delay`` seconds after the writer reported it is ready.
    ``acks``: ``delay`` seconds after the ``acks``-th acknowledged cast.
    The writer stops after ``casts`` casts and idles, so some kills land
    between voters.
    """

    mode: str
    delay: float
    acks: int = 0
    casts: int = 1_000_000


def kill_schedule(rng: random.Random, count: int) -> list[KillPlan]:
    """``count`` kill plans drawn from ``rng`` (so a seed reproduces a schedule)."""
    # The first run must finish provisioning the device (a kill inside
    # Ledger.create is another story: see the provisioning test below).
    plans = [KillPlan("acks", rng.uniform(0.001, 0.005), acks=1, casts=rng.randint(1, 10))]
    while len(plans) < count:
        roll = rng.random()
        if roll < 0.15:
            plans.append(KillPlan("startup", rng.uniform(0.05, 0.30), casts=rng.randint(0, 10)))
        elif roll < 0.50:
            # 1-80 ms after ready; a limited writer may already be idle by then.
            casts = 1_000_000 if rng.random() < 0.3 else rng.randint(0, 10)
            plans.append(KillPlan("ready", rng.uniform(0.001, 0.080), casts=casts))
        else:
            # A cast takes a millisecond or two, so a sub-cast delay after an
            # acknowledgement lands anywhere inside the next cast: signing,
            # the COMMIT's fsyncs, the WAL checkpoint and truncate.
            plans.append(KillPlan("acks", rng.uniform(0.0, 0.004), acks=rng.randint(0, 6)))
    return plans


# ----------------------------------------------------------- one writer run
@dataclass
class Run:
    """What one killed writer said before it died."""

    plan: KillPlan
    lines: list[str] = field(default_factory=list)
    stderr: str = ""
    returncode: int | None = None

    def words(self, kind: str) -> list[list[str]]:
        return [line.split()[1:] for line in self.lines if line.split()[0] == kind]

    @property
    def ready(self) -> list[str] | None:
        found = self.words("ready")
        return found[0] if found else None

    @property
    def casts(self) -> list[tuple[str, str, int]]:
        return [(w[0], w[1], int(w[2])) for w in self.words("cast")]


def run_and_kill(state_dir: Path, plan: KillPlan, *extra: str) -> Run:
    """Start the writer, kill it with SIGKILL as ``plan`` says, and collect its acknowledgements."""
    run = Run(plan)
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(state_dir), "--casts", str(plan.casts), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(WRITER_TIMEOUT_S, proc.kill)
    watchdog.start()
    try:
        if plan.mode == "startup":
            time.sleep(plan.delay)
        else:
            if _read_until(proc, run, lambda line: line.startswith("ready")):
                if plan.mode == "acks":
                    acked = 0
                    while acked < plan.acks and _read_until(proc, run, lambda line: line.startswith(("cast", "idle"))):
                        if run.lines[-1] == "idle":
                            break
                        acked += 1
                time.sleep(plan.delay)
        proc.send_signal(signal.SIGKILL)
        run.returncode = proc.wait()
        # Read through the same buffered file objects readline() used
        # (communicate() would read the raw pipe and drop lines already
        # buffered); the writer is dead, so both reads end at EOF.
        run.lines.extend(proc.stdout.read().splitlines())
        run.stderr = proc.stderr.read()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return run


def _read_until(proc: subprocess.Popen, run: Run, wanted) -> bool:
    while True:
        line = proc.stdout.readline()
        if not line:
            return False  # the writer died on its own; the caller sees its stderr
        run.lines.append(line.rstrip("\n"))
        if wanted(run.lines[-1]):
            return True


# ------------------------------------------------------------ what is stored
def verify_state(state_dir: Path):
    """``booth verify`` on the state directory, as the district would run it."""
    return verify(open_source(state_dir))


def stored_ballots(state_dir: Path) -> tuple[dict[str, str], str | None]:
    """{ballot id hex: selection} and the pending slip, read straight from the file, read-only."""
    conn = sqlite3.connect(f"file:{state_dir / 'ledger.db'}?mode=ro", uri=True)
    try:
        ballots = {}
        for ballot_id, slot in conn.execute("SELECT id, slot FROM ballots WHERE filled=1"):
            record = json.loads(formats.unpad_slot(slot))
            assert record["id"] == ballot_id.hex()
            ballots[ballot_id.hex()] = record["selection"]
        row = conn.execute("SELECT ballot_id FROM pending_slip").fetchone()
        return ballots, (row[0].hex() if row else None)
    finally:
        conn.close()


class CrashLog:
    """Everything the test learned so far, printed when a check fails."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.runs: list[Run] = []

    def fail_text(self, what: str, number: int | None = None) -> str:
        number = len(self.runs) - 1 if number is None else number
        run = self.runs[number]
        recent = "\n".join(
            f"  kill {i}: {r.plan} -> {len(r.casts)} acknowledged casts"
            for i, r in enumerate(self.runs)
            if number - 4 <= i <= number
        )
        return (
            f"{what}\n  kill schedule seed BOOTH_CRASH_SEED={self.seed}, kill number {number}"
            f"\n  plan: {run.plan}\n  writer said (last lines): {run.lines[-6:]}"
            f"\n  writer stderr: {run.stderr[-2000:]}\n  recent kills:\n{recent}"
        )


def snapshot(state_dir: Path, to: Path) -> Path:
    """Copy the database (and WAL) exactly as the kill left them."""
    to.mkdir()
    for name in ("ledger.db", "ledger.db-wal"):
        if (state_dir / name).exists():
            shutil.copyfile(state_dir / name, to / name)
    return to


def verify_snapshot(path: Path) -> tuple[bool, list[str], dict]:
    """Run in the verifier process: booth verify on one snapshot, then throw it away."""
    report = verify_state(path)
    shutil.rmtree(path)
    return report.ok, [str(p) for p in report.problems], report.summary


# ------------------------------------------------------------------ scenarios
def test_every_acknowledged_ballot_survives_200_kills_at_random_instants(tmp_path):
    state = tmp_path / "state"
    log = CrashLog(SEED)
    acknowledged: dict[str, str] = {}  # every ballot a voter was told is recorded
    stored: dict[str, str] = {}
    pending: str | None = None
    last_cast: str | None = None
    committed_unacknowledged = wal_left = 0
    verifying = None  # (kill number, future, what the store held)

    def check(ok: bool, what: str, number: int | None = None) -> None:
        _check(ok, log, what, number)

    def finish_verify() -> None:
        # booth verify over a copy of the state as the kill left it; it runs in
        # another process while the next writer recovers and casts.
        number, future, held = verifying
        ok, problems, summary = future.result(timeout=120)
        check(ok, "booth verify says INVALID: " + "; ".join(problems), number)
        check(
            summary["ballots_stored"] == summary["ballot_cast_events"] == len(held),
            f"counts do not reconcile: {summary['ballots_stored']} stored, "
            f"{summary['ballot_cast_events']} cast events, {len(held)} filled slots",
            number,
        )
        check(
            summary["tally"] == dict(sorted(Counter(held.values()).items())),
            f"tally {summary['tally']} is not the count of the stored selections",
            number,
        )

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as verifier:
        for number, plan in enumerate(kill_schedule(random.Random(SEED), KILLS)):
            run = run_and_kill(state, plan)
            log.runs.append(run)
            check(run.returncode == -signal.SIGKILL, f"the writer did not die by the kill (exit {run.returncode})")
            if run.ready is not None:
                # Recovery brought the booth back to exactly what was on disk.
                check(
                    run.ready == [str(len(stored)), pending or "-"],
                    f"after restart the writer saw {run.ready}, disk had {len(stored)} ballots, pending {pending}",
                )
            for i, (ballot_id, selection, count) in enumerate(run.casts):
                check(ballot_id not in acknowledged, f"ballot ID {ballot_id} acknowledged twice")
                check(count == len(stored) + i + 1, f"running count {count}, expected {len(stored) + i + 1}")
                acknowledged[ballot_id] = selection
            wal = state / "ledger.db-wal"
            wal_left += wal.exists() and wal.stat().st_size > 0

            copy = snapshot(state, tmp_path / f"kill-{number}")
            now_stored, now_pending = stored_ballots(copy)
            lost = {b: s for b, s in acknowledged.items() if now_stored.get(b) != s}
            check(not lost, f"acknowledged ballots lost or changed: {lost}")
            check(stored.items() <= now_stored.items(), "a ballot stored before this kill disappeared or changed")
            unacknowledged = set(now_stored) - set(stored) - {b for b, _, _ in run.casts}
            check(
                len(unacknowledged) <= 1,
                f"{len(unacknowledged)} ballots committed without acknowledgement in one run (at most 1)",
            )
            committed_unacknowledged += len(unacknowledged)
            check(
                len(acknowledged) <= len(now_stored) <= len(acknowledged) + committed_unacknowledged,
                f"{len(now_stored)} stored for {len(acknowledged)} acknowledged",
            )
            # No slip prints in this scenario, so the pending slip is the last cast.
            if unacknowledged:
                last_cast = unacknowledged.pop()
            elif run.casts:
                last_cast = run.casts[-1][0]
            check(now_pending == last_cast, f"pending slip {now_pending}, but the last cast was {last_cast}")
            stored, pending = now_stored, now_pending

            if verifying is not None:
                finish_verify()
            verifying = (number, verifier.submit(verify_snapshot, copy), now_stored)
        finish_verify()

    print(
        f"\n{len(log.runs)} kills (seed {SEED}): {len(acknowledged)} acknowledged ballots, "
        f"{committed_unacknowledged} committed but killed before the acknowledgement, "
        f"{wal_left} kills left a non-empty WAL behind"
    )
    assert committed_unacknowledged > 0, "no kill landed between a COMMIT and its acknowledgement"


def test_a_slip_lost_to_a_crash_is_reprinted_never_recast(tmp_path):
    """Kill around ``record_slip``: the voter's ballot stays pending and is reprinted on restart."""
    state = tmp_path / "state"
    rng = random.Random(SEED + 1)
    log = CrashLog(SEED + 1)
    acknowledged: dict[str, str] = {}
    stored: set[str] = set()
    last_cast: str | None = None
    expected_reprint: tuple[str, str] | None = None
    reprints = 0

    for n in range(SLIP_KILLS):
        if n == 0:
            plan = KillPlan("acks", 0.0, acks=1)
        else:
            # Right after a cast acknowledgement: inside record_slip, or inside
            # the reprint the restart does first (acks=0).
            plan = KillPlan(
                "acks",
                rng.uniform(0.0, 0.004),
                acks=rng.randint(0, 4),
                casts=rng.randint(1, 6) if rng.random() < 0.2 else 1_000_000,
            )
        run = run_and_kill(state, plan, "--slips")
        log.runs.append(run)
        check = lambda ok, what: _check(ok, log, what)  # noqa: E731
        check(run.returncode == -signal.SIGKILL, f"the writer did not die by the kill (exit {run.returncode})")

        reprinted = run.words("reprint")
        if expected_reprint is not None:
            check(
                run.ready is not None and run.ready[1] == expected_reprint[0],
                f"restart did not find the pending slip {expected_reprint[0]}: {run.ready}",
            )
            if reprinted:
                check(
                    tuple(reprinted[0]) == expected_reprint,
                    f"reprinted {reprinted[0]}, but the slip that did not print was {expected_reprint}",
                )
                reprints += 1
        else:
            check(not reprinted, f"a slip was reprinted though none was pending: {reprinted}")
        for ballot_id, selection, _ in run.casts:
            check(ballot_id not in acknowledged, f"ballot ID {ballot_id} cast twice")
            acknowledged[ballot_id] = selection

        report = verify_state(state)
        check(report.ok, "booth verify says INVALID: " + "; ".join(map(str, report.problems)))
        with Ledger.open(state) as ledger:
            records = {}
            for _, record, _ in ledger.ballot_records():
                obj = json.loads(record)
                records[obj["id"]] = obj["selection"]
            types = [e.type for e in ledger.entries()]
            pending = ledger.pending_slip()
            pending_record = ledger.pending_slip_record()
        lost = {b: s for b, s in acknowledged.items() if records.get(b) != s}
        check(not lost, f"acknowledged ballots lost or changed: {lost}")
        check(stored.issubset(records), "a ballot stored before this kill disappeared")
        unacknowledged = set(records) - stored - {b for b, _, _ in run.casts}
        check(len(unacknowledged) <= 1, f"{len(unacknowledged)} ballots committed without acknowledgement")
        if unacknowledged:
            last_cast = unacknowledged.pop()
        elif run.casts:
            last_cast = run.casts[-1][0]
        stored = set(records)

        # Every cast is followed by exactly one slip event before the next cast.
        casts_and_slips = [t for t in types if t == "ballot.cast" or t.startswith("slip.")]
        for a, b in zip(casts_and_slips, casts_and_slips[1:], strict=False):
            check(not (a == "ballot.cast" and b == "ballot.cast"), "a cast whose slip was never printed")
            check(not (a.startswith("slip.") and b.startswith("slip.")), "two slips for one ballot")

        if casts_and_slips and casts_and_slips[-1] == "ballot.cast":
            # The reprint path: the slip of the last cast is pending, with its record.
            check(
                pending is not None and pending.hex() == last_cast,
                f"the last cast {last_cast} has no slip, but the pending slip is {pending}",
            )
            check(f"slip {last_cast}" not in run.lines, "record_slip returned but its event is not stored")
            check(
                pending_record is not None
                and pending_record["id"] == last_cast
                and pending_record["selection"] == records[last_cast],
                f"the pending slip record {pending_record} is not the stored ballot",
            )
            expected_reprint = (last_cast, records[last_cast])
        else:
            check(pending is None, f"pending slip {pending} though every cast has its slip")
            expected_reprint = None

    print(
        f"\n{SLIP_KILLS} kills (seed {SEED + 1}): {len(acknowledged)} acknowledged ballots, "
        f"{reprints} slips reprinted after a crash"
    )
    assert reprints > 0, f"no restart reprinted a slip (seed {SEED + 1}); the reprint path was not exercised"


def test_a_spoil_cut_by_a_kill_is_all_or_nothing_and_the_booth_resumes(tmp_path):
    """Kill -9 around the spoil of a disputed ballot: the spoiled record, its mark, the erased link and
    ``ballot.spoiled`` are there together or not at all; nothing acknowledged is lost; verify passes."""
    state = tmp_path / "state"
    rng = random.Random(SEED + 2)
    log = CrashLog(SEED + 2)
    acknowledged: dict[str, str] = {}
    spoiled_acked: set[str] = set()
    spoiled_before: set[str] = set()  # spoiled in the store after the previous kill
    restart_spoils = 0
    for n in range(SPOIL_KILLS):
        plan = (
            KillPlan("acks", 0.0, acks=1)
            if n == 0
            else KillPlan("acks", rng.uniform(0.0, 0.006), acks=rng.randint(0, 5))
        )
        run = run_and_kill(state, plan, "--spoils")
        log.runs.append(run)
        check = lambda ok, what: _check(ok, log, what)  # noqa: E731
        check(run.returncode == -signal.SIGKILL, f"the writer did not die by the kill (exit {run.returncode})")
        for ballot_id, selection, _ in run.casts:
            acknowledged[ballot_id] = selection
        spoils = run.words("spoil")
        # the ballot a kill left pending, disputed while the booth was down: spoiled first thing on restart
        restart_spoils += len(run.lines) > 1 and run.lines[0].startswith("ready") and run.lines[1].startswith("spoil")
        spoiled_acked |= {w[0] for w in spoils}

        report = verify_state(state)
        check(report.ok, "booth verify says INVALID: " + "; ".join(map(str, report.problems)))
        with Ledger.open(state) as ledger:
            records = {json.loads(r)["id"]: json.loads(r)["selection"] for _, r, _ in ledger.ballot_records()}
            spoil_events = [e.payload["count"] for e in ledger.entries() if e.type == "ballot.spoiled"]
            pending = ledger.pending_slip()
            marks = {bid.hex() for bid, _ in ledger.spoil_marks()}
        spoiled_now = {b for b, s in records.items() if s == "spoiled"}
        check(spoiled_now == marks, "a spoiled record without its mark, or a mark without a spoiled record")
        check(spoil_events == list(range(1, len(spoiled_now) + 1)), "spoiled records and ballot.spoiled events differ")
        check(spoiled_acked <= spoiled_now, f"acknowledged spoils undone: {spoiled_acked - spoiled_now}")
        check(spoiled_before <= spoiled_now, "a spoil stored before this kill disappeared")
        unacknowledged = spoiled_now - spoiled_before - {w[0] for w in spoils}
        check(len(unacknowledged) <= 1, f"{len(unacknowledged)} spoils committed in this run without acknowledgement")
        spoiled_before = spoiled_now
        lost = {b: s for b, s in acknowledged.items() if b not in spoiled_now and records.get(b) != s}
        check(not lost, f"acknowledged ballots lost or changed: {lost}")
        check(pending is None or records.get(pending.hex()) not in (None, "spoiled"), "the link outlived its spoil")
    print(f"\n{SPOIL_KILLS} kills (seed {SEED + 2}): {len(spoiled_acked)} spoils, {restart_spoils} after a restart")
    assert spoiled_acked, "no ballot was spoiled: the spoil path was not exercised"
    assert restart_spoils, "no restart spoiled the ballot a kill left pending: the resume path was not exercised"


PROVISION = (
    "import sys\n"
    "from pathlib import Path\n"
    "from booth.ledger.ledger import Ledger\n"
    "Ledger.create(Path(sys.argv[1])).close()\n"
    "print('provisioned', flush=True)\n"
)


def open_or_provision_again(state: Path) -> str:
    """What a companion does after the power came back: open the device, or provision it again."""
    try:
        Ledger.open(state).close()
        return "opened"
    except LedgerMissing:
        Ledger.create(state).close()
        return "provisioned again"


def test_a_power_cut_while_provisioning_leaves_a_device_that_can_be_provisioned_again(tmp_path):
    """Killed after the device key is written but before the ledger's first COMMIT, then at random instants."""
    state = tmp_path / "cut"
    cut_before_commit = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from booth.ledger import ledger as L\n"
        "real = L.Ledger._append\n"
        "def cut(self, *a, **k):\n"
        "    real(self, *a, **k)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # the power goes before COMMIT\n"
        "L.Ledger._append = cut\n"
        "L.Ledger.create(Path(sys.argv[1]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", cut_before_commit, str(state)], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (state / "device.key").exists()  # the cut left a key and an empty database behind
    assert open_or_provision_again(state) == "provisioned again"
    assert verify_state(state).ok

    rng = random.Random(SEED + 2)
    outcomes = Counter()
    for n in range(10):
        state = tmp_path / f"random-{n}"
        proc = subprocess.Popen(
            [sys.executable, "-c", PROVISION, str(state)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(rng.uniform(0.05, 0.35))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, -signal.SIGKILL), err
        outcomes[open_or_provision_again(state)] += 1
        report = verify_state(state)
        assert report.ok, f"kill {n} (seed {SEED + 2}): {report.problems}"
    print(f"\nprovisioning kills: {dict(outcomes)}")


def _check(ok: bool, log: CrashLog, what: str, number: int | None = None) -> None:
    if not ok:
        pytest.fail(log.fail_text(what, number), pytrace=False)


# ---------------------------------------------------- power loss: what is synced
SYNCED_DAY = """
import os, sys
from pathlib import Path
from booth.ledger.ledger import Ledger

def mark(edge, name):
    os.access(f"/booth-test-mark-{edge}-{name}", os.F_OK)

ledger = Ledger.create(Path(sys.argv[1]))
ledger.append("election.loaded", "K01", {"election_id": "e1ec7104" * 8})
ledger.add_ballot_slots(40)
calls = {
    "release": lambda r: ledger.append("ballot.released", "K01", {"release": r, "voter": "V" + r}),
    "cast": lambda r: ledger.cast_ballot("e1ec7104" * 8, "2", actor="pemilih", payload={"release": r}),
    "printed": lambda r: ledger.record_slip("slip.printed", "system", {"release": r}, forget=False),
    "confirmed": lambda r: ledger.answer_slip("slip.confirmed", "pemilih", {"release": r}),
    "photo": lambda r: ledger.append("voter.photo_taken", "system", {"voter": "V" + r, "release": r}),
}
for n in range(20):
    for name, call in calls.items():
        mark("start", name)
        call(f"R{n:04d}")
        mark("end", name)
ledger.close()
"""


def test_whatever_a_call_wrote_is_on_the_disk_before_it_returns(tmp_path):
    """Power loss: every byte a ledger call writes to ledger.db or its WAL is synced before the call returns.

    SIGKILL (above) leaves the page cache alone; a power cut does not.  So the
    system calls of twenty voters' ledger writes (release, cast, slip printed,
    "Struk sesuai", photo) are traced: in each call, the last write to each
    file is followed by an fsync/fdatasync of that file.  The cast that lets
    its checkpoint wait for the slip's answer still syncs its own commit.
    """
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    out = tmp_path / "trace.txt"
    proc = subprocess.run(
        [strace, "-f", "-y", "-e", "trace=pwrite64,write,fsync,fdatasync,access", "-o", str(out)]
        + [sys.executable, "-c", SYNCED_DAY, str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0 and "ptrace" in proc.stderr:
        pytest.skip(f"strace cannot trace here: {proc.stderr.strip()[-200:]}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    calls: Counter = Counter()
    unsynced: set[str] = set()
    current = None
    for line in out.read_text().splitlines():
        mark = re.search(r'access\("/booth-test-mark-(start|end)-(\w+)"', line)
        if mark:
            if mark.group(1) == "start":
                current, unsynced = mark.group(2), set()
            else:
                assert not unsynced, f"{current} returned with unsynced writes to {sorted(unsynced)}"
                calls[current] += 1
                current = None
            continue
        op = re.search(r"\b(pwrite64|write|fsync|fdatasync)\(\d+<([^>]*)>", line)
        if current is None or op is None or not Path(op.group(2)).name.startswith("ledger.db"):
            continue
        name = Path(op.group(2)).name
        if op.group(1) in ("pwrite64", "write"):
            unsynced.add(name)
        else:
            unsynced.discard(name)
    assert calls == {name: 20 for name in ("release", "cast", "printed", "confirmed", "photo")}
