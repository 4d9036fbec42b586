"""How long the voter waits for "Suara Anda telah tercatat": ``Ledger.cast_ballot`` against its floor.

The floor is the least any durable, signed cast can cost on this machine: one
SQLite commit of a small row in WAL mode with ``synchronous=FULL`` (same
pragmas as the ledger, ``locking_mode=EXCLUSIVE`` included, in a temporary
directory on the same filesystem) plus one Ed25519 signature.  Targets: the
median cast costs at most 2x the floor's median, the p99 at most 2x the
floor's p99.  For information it also measures the *design floor*: the same
commit followed by the WAL checkpoint + truncate that the ledger did after
every commit until its WAL rule (``booth.ledger.ledger.WAL_RULES``) moved the
checkpoint to the end of the voter's slip check; and, at the end, the commit
alone under each journal mode SQLite offers, with its fsyncs.

Each cast is measured where it happens on the day, inside one voter's
sequence of ledger calls: the companion's release, **the cast** (timed), the
slip printed, the voter's "Struk sesuai" and the photo.  The whole voter's
ledger time is printed too, so a cost moved out of the cast into the calls
around it shows.

Also printed: how many signatures and fsyncs one cast (and one voter) costs,
counted for real: signatures by a proxy around the device's Ed25519 private
key that counts every ``sign()`` (``DeviceKey.sign`` and the checkpoint's
``note.sign_note`` alike); fsyncs by running the same voter sequence in a
child under ``strace -f -y -e trace=fsync,fdatasync`` (when strace is
installed), the cast and the voter marked with ``access()`` calls on paths
that cannot exist.  And where a cast's time goes: signing, SQL before the
COMMIT, the durable COMMIT, and the WAL checkpoint + truncate
(``Ledger._scrub_wal``) when it runs inside the cast.

    python3 benchmarks/cast_latency.py [--casts 500] [--json]

With ``--json`` the last line is one JSON object: ``median_ratio``,
``p95_ratio``, ``p99_ratio`` (cast / floor), the medians and tails in ms,
``signatures_per_cast``, ``fsyncs_per_cast`` and the same per voter.

Never fails on a time: PASS/MISS is printed and the exit code is 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import cryptography
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.ledger.keys import DeviceKey
from booth.ledger.ledger import Ledger

ELECTION_ID = "e1ec7104" * 8
SELECTIONS = ("1", "2", "3", "blank")
TARGET_RATIO = 2.0
BLOCK = 50  # floor and cast measurements alternate in blocks, so drift hits both alike


# ------------------------------------------------------------------ the floor
class Floor:
    """One small-row commit with the ledger's pragmas, plus one Ed25519 signature.

    With ``scrub=True`` the WAL is also checkpointed and truncated after each
    commit, as the ledger does for secrecy: the floor of the ledger's design.
    """

    def __init__(self, directory: Path, scrub: bool = False) -> None:
        self.scrub = scrub
        name = "floor-scrub.db" if scrub else "floor.db"
        self.conn = sqlite3.connect(directory / name, isolation_level=None)
        self.conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        assert self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA secure_delete=ON")
        self.conn.execute("CREATE TABLE t (id BLOB PRIMARY KEY, sig BLOB NOT NULL) WITHOUT ROWID")
        self.key = Ed25519PrivateKey.generate()

    def once(self) -> None:
        message = secrets.token_bytes(64)
        sig = self.key.sign(message)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO t VALUES (?, ?)", (secrets.token_bytes(16), sig))
        self.conn.execute("COMMIT")
        if self.scrub:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --------------------------------------------------------- the instrumented cast
class Timers:
    """Per-cast sums of the phases, filled by the wrappers below."""

    def __init__(self) -> None:
        self.signatures = 0
        self.reset()

    def reset(self) -> None:
        self.sign = self.commit = self.scrub = 0


class CountingKey:
    """Stands in for the device's Ed25519 private key: counts and times every signature made with it."""

    def __init__(self, key: Ed25519PrivateKey, timers: Timers) -> None:
        self._key = key
        self._timers = timers

    def sign(self, message: bytes) -> bytes:
        t0 = time.perf_counter_ns()
        sig = self._key.sign(message)
        self._timers.sign += time.perf_counter_ns() - t0
        self._timers.signatures += 1
        return sig

    def __getattr__(self, name):
        return getattr(self._key, name)


Ed25519PrivateKey.register(CountingKey)  # so note.sign_note's type check takes it


class TimedConnection:
    """Stands in for the ledger's sqlite3 connection and times its COMMITs."""

    def __init__(self, conn: sqlite3.Connection, timers: Timers) -> None:
        self._conn = conn
        self._timers = timers

    def execute(self, sql, *args):
        if sql == "COMMIT":
            t0 = time.perf_counter_ns()
            result = self._conn.execute(sql, *args)
            self._timers.commit += time.perf_counter_ns() - t0
            return result
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def instrument(ledger: Ledger, timers: Timers) -> None:
    """Count and time every signature, the COMMIT and the WAL scrub of ``ledger``."""
    ledger.key = DeviceKey(CountingKey(ledger.key.private_key, timers))  # type: ignore[arg-type]
    real_scrub = ledger._scrub_wal

    def scrub():
        t0 = time.perf_counter_ns()
        real_scrub()
        timers.scrub += time.perf_counter_ns() - t0

    ledger._scrub_wal = scrub
    ledger._conn = TimedConnection(ledger._conn, timers)


def new_ledger(directory: Path, slots: int) -> Ledger:
    ledger = Ledger.create(directory)
    ledger.append("election.loaded", "K01", {"election_id": ELECTION_ID})
    ledger.add_ballot_slots(slots)
    return ledger


class Voter:
    """One voter's ledger calls on the day, in order; ``cast`` is the one the voter waits for."""

    def __init__(self, ledger: Ledger, number: int) -> None:
        self.ledger = ledger
        self.release = f"R{number:04d}"
        self.voter = f"V{number:04d}"

    def release_ballot(self) -> None:
        self.ledger.append("ballot.released", "K01", {"release": self.release, "voter": self.voter})

    def cast(self) -> None:
        self.ledger.cast_ballot(
            ELECTION_ID,
            SELECTIONS[secrets.randbelow(len(SELECTIONS))],
            actor="pemilih",
            payload={"release": self.release},
        )

    def after_cast(self) -> None:
        self.ledger.record_slip("slip.printed", "system", {"release": self.release}, forget=False)
        self.ledger.answer_slip("slip.confirmed", "pemilih", {"release": self.release})
        self.ledger.append("voter.photo_taken", "system", {"voter": self.voter, "release": self.release})


# ------------------------------------------------------------ counting fsyncs
def count_fsyncs(workdir: Path, voters: int) -> dict[str, Counter] | str:
    """Run ``voters`` voters and as many floor commits under strace; fsyncs by phase and file, per voter.

    The traced child marks phases with ``access()`` calls on impossible paths:
    ``cast`` (the cast call alone), ``voter`` (the voter's whole sequence, the
    cast included), ``floor`` and ``floorscrub`` (one floor commit each).
    """
    strace = shutil.which("strace")
    if strace is None:
        return "strace not installed (apt-get install strace)"
    out = workdir / "strace.txt"
    proc = subprocess.run(
        [
            strace,
            "-f",
            "-y",
            "-e",
            "trace=fsync,fdatasync,access",
            "-o",
            str(out),
            sys.executable,
            __file__,
            "--strace-child",
            str(workdir / "traced"),
            "--casts",
            str(voters),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return f"strace run failed: {proc.stderr.strip()[-300:]}"
    counts: dict[str, Counter] = {"cast": Counter(), "voter": Counter(), "floor": Counter(), "floorscrub": Counter()}
    open_phases: list[str] = []
    for line in out.read_text().splitlines():
        mark = re.search(r'access\("/booth-benchmark-mark-(start|end)-(\w+)"', line)
        if mark:
            if mark.group(1) == "start":
                open_phases.append(mark.group(2))
            else:
                open_phases.remove(mark.group(2))
            continue
        sync = re.search(r"\b(fsync|fdatasync)\(\d+<([^>]*)>", line)
        if sync:
            for phase in open_phases:
                counts[phase][f"{sync.group(1)} {Path(sync.group(2)).name}"] += 1
    return {phase: Counter({k: v / voters for k, v in c.items()}) for phase, c in counts.items()}


def mark(edge: str, phase: str) -> None:
    os.access(f"/booth-benchmark-mark-{edge}-{phase}", os.F_OK)


def strace_child(directory: Path, voters: int) -> None:
    directory.mkdir(parents=True)
    ledger = new_ledger(directory / "state", voters + 10)
    floor = Floor(directory)
    scrubbed = Floor(directory, scrub=True)
    for number in range(voters + 1):  # the first voter and floor commit warm up, uncounted
        counted = number > 0
        voter = Voter(ledger, number)
        if counted:
            mark("start", "voter")
        voter.release_ballot()
        if counted:
            mark("start", "cast")
        voter.cast()
        if counted:
            mark("end", "cast")
        voter.after_cast()
        if counted:
            mark("end", "voter")
            mark("start", "floor")
        floor.once()
        if counted:
            mark("end", "floor")
            mark("start", "floorscrub")
        scrubbed.once()
        if counted:
            mark("end", "floorscrub")
    ledger.close()


# ------------------------------------------------- journal modes, for comparison
#: (journal_mode, synchronous, durable on power loss?) — the settings SQLite offers for the commit.
#: Rollback journals with NORMAL do not sync the journal's reset, so after a power cut a
#: "hot" journal can roll back the last, acknowledged commit; WAL with NORMAL does not sync
#: the commit at all.  Only FULL keeps what the voter was told.
JOURNAL_MODES = [
    ("wal", "full", True),
    ("wal", "normal", False),
    ("truncate", "full", True),
    ("persist", "full", True),
    ("delete", "full", True),
    ("truncate", "normal", False),
]


def journal_commit(directory: Path, mode: str, sync: str) -> sqlite3.Connection:
    conn = sqlite3.connect(directory / f"{mode}-{sync}.db", isolation_level=None)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute(f"PRAGMA journal_mode={mode}")
    conn.execute(f"PRAGMA synchronous={sync}")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("CREATE TABLE t (id BLOB PRIMARY KEY, sig BLOB NOT NULL) WITHOUT ROWID")
    return conn


def one_commit(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (?, ?)", (secrets.token_bytes(16), secrets.token_bytes(64)))
    conn.execute("COMMIT")


def journal_modes_child(directory: Path, commits: int) -> None:
    directory.mkdir(parents=True)
    for mode, sync, _ in JOURNAL_MODES:
        conn = journal_commit(directory, mode, sync)
        one_commit(conn)
        mark("start", f"{mode}_{sync}")
        for _ in range(commits):
            one_commit(conn)
        mark("end", f"{mode}_{sync}")
        conn.close()


def compare_journal_modes(workdir: Path, commits: int) -> list[tuple[str, str, bool, float, float | None]]:
    """(mode, synchronous, durable, median commit ms, fsyncs per commit or None) for each of JOURNAL_MODES."""
    directory = workdir / "modes"
    directory.mkdir()
    times: dict[tuple[str, str], list[int]] = {}
    for mode, sync, _ in JOURNAL_MODES:
        conn = journal_commit(directory, mode, sync)
        one_commit(conn)
        samples = []
        for _ in range(commits):
            t0 = time.perf_counter_ns()
            one_commit(conn)
            samples.append(time.perf_counter_ns() - t0)
        times[(mode, sync)] = samples
        conn.close()
    fsyncs: dict[str, float] = {}  # stays empty when strace cannot run: the counts print as "?"
    strace = shutil.which("strace")
    if strace is not None:
        out = workdir / "modes-strace.txt"
        proc = subprocess.run(
            [strace, "-f", "-e", "trace=fsync,fdatasync,access", "-o", str(out), sys.executable, __file__]
            + ["--modes-child", str(workdir / "modes-traced"), "--casts", str(commits)],
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            phase = None
            counts: Counter = Counter()
            for line in out.read_text().splitlines():
                found = re.search(r'access\("/booth-benchmark-mark-(start|end)-(\w+)"', line)
                if found:
                    phase = found.group(2) if found.group(1) == "start" else None
                elif phase and re.search(r"\b(fsync|fdatasync)\(", line):
                    counts[phase] += 1
            fsyncs = {f"{m}_{y}": counts[f"{m}_{y}"] / commits for m, y, _ in JOURNAL_MODES}
    return [
        (mode, sync, durable, statistics.median(times[(mode, sync)]) / 1e6, fsyncs.get(f"{mode}_{sync}"))
        for mode, sync, durable in JOURNAL_MODES
    ]


# --------------------------------------------------------------------- report
def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    return statistics.median(ordered) / 1e6, at(0.95), at(0.99)


def filesystem_of(path: Path) -> str:
    best = ("?", "")
    for line in Path("/proc/mounts").read_text().splitlines():
        device, mount, fstype = line.split()[:3]
        if str(path.resolve()).startswith(mount) and len(mount) >= len(best[1]):
            best = (f"{fstype} on {device}", mount)
    return best[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--casts", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=None, help="where to make the temporary ledgers (default: /tmp)")
    parser.add_argument("--json", action="store_true", help="print one JSON object of the figures as the last line")
    parser.add_argument("--strace-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--modes-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.strace_child:
        strace_child(args.strace_child, args.casts)
        return 0
    if args.modes_child:
        journal_modes_child(args.modes_child, args.casts)
        return 0

    work = Path(tempfile.mkdtemp(prefix="booth-cast-bench-", dir=args.dir))
    try:
        print(
            f"cast_latency  {dt.date.today()}  {platform.machine()} {os.cpu_count()} CPUs  "
            f"Python {platform.python_version()}  SQLite {sqlite3.sqlite_version}  "
            f"cryptography {cryptography.__version__}"
        )
        print(f"  directory {work} ({filesystem_of(work)})")

        floor = Floor(work)
        design_floor = Floor(work, scrub=True)
        ledger = new_ledger(work / "state", args.casts + 100)
        timers = Timers()
        instrument(ledger, timers)
        number = 0
        for _ in range(20):  # warm-up: page cache, first-touch allocations
            floor.once()
            design_floor.once()
            number += 1
            voter = Voter(ledger, number)
            voter.release_ballot()
            voter.cast()
            voter.after_cast()

        design_ns: list[int] = []
        floor_ns, cast_ns, voter_ns, sign_ns, commit_ns, scrub_ns = [], [], [], [], [], []
        signatures_cast = signatures_voter = 0
        while len(cast_ns) < args.casts:
            for _ in range(min(BLOCK, args.casts - len(cast_ns))):
                t0 = time.perf_counter_ns()
                floor.once()
                floor_ns.append(time.perf_counter_ns() - t0)
                t0 = time.perf_counter_ns()
                design_floor.once()
                design_ns.append(time.perf_counter_ns() - t0)
            for _ in range(min(BLOCK, args.casts - len(cast_ns))):
                number += 1
                voter = Voter(ledger, number)
                before_voter = timers.signatures
                t_voter = time.perf_counter_ns()
                voter.release_ballot()
                timers.reset()
                before_cast = timers.signatures
                t0 = time.perf_counter_ns()
                voter.cast()
                cast_ns.append(time.perf_counter_ns() - t0)
                signatures_cast += timers.signatures - before_cast
                sign_ns.append(timers.sign)
                commit_ns.append(timers.commit)
                scrub_ns.append(timers.scrub)
                voter.after_cast()
                voter_ns.append(time.perf_counter_ns() - t_voter)
                signatures_voter += timers.signatures - before_voter
        ledger.close()

        f_med, f95, f99 = percentiles(floor_ns)
        c_med, c95, c99 = percentiles(cast_ns)
        d_med, d95, d99 = percentiles(design_ns)
        v_med, v95, v99 = percentiles(voter_ns)
        ratio = c_med / f_med
        print()
        print(f"  floor: 1 WAL+FULL commit of a small row + 1 Ed25519 signature ({len(floor_ns)} runs)")
        print(f"     median {f_med:7.3f} ms   p95 {f95:7.3f} ms   p99 {f99:7.3f} ms")
        print("  design floor: the same + WAL checkpoint and truncate after the commit (secrecy scrub)")
        print(f"     median {d_med:7.3f} ms   p95 {d95:7.3f} ms   p99 {d99:7.3f} ms   ({d_med / f_med:.2f}x the floor)")
        print(f"  Ledger.cast_ballot ({len(cast_ns)} casts, each inside a voter's sequence)")
        print(f"     median {c_med:7.3f} ms   p95 {c95:7.3f} ms   p99 {c99:7.3f} ms")
        print(
            f"  ratio cast / floor: median {ratio:.2f}x   p95 {c95 / f95:.2f}x   p99 {c99 / f99:.2f}x"
            f"   target <= {TARGET_RATIO:.0f}x: median {'PASS' if ratio <= TARGET_RATIO else 'MISS'},"
            f" p99 {'PASS' if c99 / f99 <= TARGET_RATIO else 'MISS'}"
        )
        print(f"  ratio cast / design floor (median): {c_med / d_med:.2f}x")
        print(
            "  the whole voter (release, cast, slip printed, slip confirmed, photo): "
            f"median {v_med:.3f} ms   p95 {v95:.3f} ms   p99 {v99:.3f} ms   ({v_med / f_med:.2f}x the floor)"
        )

        print()
        print("  where one cast's time goes (median of each phase):")
        other = [c - s - k - w for c, s, k, w in zip(cast_ns, sign_ns, commit_ns, scrub_ns, strict=True)]
        phases = [
            ("Ed25519 signatures", sign_ns),
            ("SQL, JSON, Merkle before COMMIT", other),
            ("COMMIT (durable: WAL write + fsync)", commit_ns),
            ("WAL checkpoint + truncate (_scrub_wal)", scrub_ns),
        ]
        for name, samples in phases:
            print(f"     {name:42s} {statistics.median(samples) / 1e6:7.3f} ms")

        sig_cast = signatures_cast / len(cast_ns)
        sig_voter = signatures_voter / len(cast_ns)
        one_signature = statistics.median(sign_ns) / 1e6 / sig_cast
        print(
            f"     (one signature {one_signature:.3f} ms = {one_signature / f_med:.2f}x the floor: what dropping"
            " one of them would save)"
        )
        print()
        print(
            f"  signatures per cast: {sig_cast:g}   per voter: {sig_voter:g}   floor: 1"
            "   (counted at the device's private key)"
        )
        fsyncs = count_fsyncs(work, min(args.casts, 100))
        figures: dict[str, object] = {
            "casts": len(cast_ns),
            "floor_median_ms": round(f_med, 4),
            "floor_p95_ms": round(f95, 4),
            "floor_p99_ms": round(f99, 4),
            "design_floor_median_ms": round(d_med, 4),
            "cast_median_ms": round(c_med, 4),
            "cast_p95_ms": round(c95, 4),
            "cast_p99_ms": round(c99, 4),
            "voter_median_ms": round(v_med, 4),
            "median_ratio": round(ratio, 3),
            "p95_ratio": round(c95 / f95, 3),
            "p99_ratio": round(c99 / f99, 3),
            "voter_median_ratio": round(v_med / f_med, 3),
            "signatures_per_cast": sig_cast,
            "signature_ms": round(one_signature, 4),
            "signatures_per_voter": sig_voter,
            "signatures_per_floor": 1,
            "signature_count_method": "proxy around the device's Ed25519 private key counting sign()",
        }
        if isinstance(fsyncs, str):
            print(f"  fsyncs per cast: not counted — {fsyncs}")
            figures.update(fsyncs_per_cast=None, fsyncs_per_voter=None, fsync_count_method=fsyncs)
        else:

            def show(c: Counter) -> str:
                return f"{sum(c.values()):g} ({', '.join(f'{k} {v:g}' for k, v in sorted(c.items())) or 'none'})"

            print(f"  fsyncs per cast (strace):  {show(fsyncs['cast'])}")
            print(f"  fsyncs per voter (strace): {show(fsyncs['voter'])}")
            print(f"  fsyncs per floor commit:  {show(fsyncs['floor'])}")
            print(f"  fsyncs per floor commit + WAL truncate: {show(fsyncs['floorscrub'])}")
            figures.update(
                fsyncs_per_cast=sum(fsyncs["cast"].values()),
                fsyncs_per_voter=sum(fsyncs["voter"].values()),
                fsyncs_per_floor=sum(fsyncs["floor"].values()),
                fsync_count_method="strace -f -y -e trace=fsync,fdatasync over the voter sequence in a child",
            )
        print()
        print(
            "  the commit alone under each journal mode SQLite offers (one small row, same pragmas otherwise;"
            " timed one mode after another, so the fsyncs are the figure to trust):"
        )
        modes = compare_journal_modes(work, min(args.casts, 50))
        for mode, sync, durable, median_ms, per_commit in modes:
            synced = "?" if per_commit is None else f"{per_commit:g}"
            print(
                f"     {mode:8s} synchronous={sync:6s}  median {median_ms:7.3f} ms  fsyncs {synced:>3s}"
                f"  {'durable' if durable else 'NOT durable on power loss'}"
            )
        figures["journal_modes"] = [
            {"journal_mode": m, "synchronous": y, "durable": d, "median_ms": round(t, 4), "fsyncs_per_commit": f}
            for m, y, d, t, f in modes
        ]
        if args.json:
            print(json.dumps(figures, sort_keys=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
