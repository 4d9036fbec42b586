"""How long the voter waits for "Suara Anda telah tercatat": ``Ledger.cast_ballot`` against its floor.

The floor is the least any durable, signed cast can cost on this machine: one
SQLite commit of a small row in WAL mode with ``synchronous=FULL`` (same
pragmas as the ledger, ``locking_mode=EXCLUSIVE`` included, in a temporary
directory on the same filesystem) plus one Ed25519 signature.  Target: the
median cast costs at most 2x the floor.  For information it also measures the
*design floor*: the same commit followed by the WAL checkpoint + truncate the
ledger does after every commit for secrecy.

Also printed: how many signatures and fsyncs one cast costs (fsyncs counted for
real under ``strace -f`` when strace is installed), and where a cast's time
goes: signing, SQL before the COMMIT, the durable COMMIT, and the WAL
checkpoint + truncate that follows it (``Ledger._scrub_wal``).

    python3 benchmarks/cast_latency.py [--casts 500]

Never fails on a time: PASS/MISS is printed and the exit code is 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from booth.ledger import note
from booth.ledger.keys import DeviceKey
from booth.ledger.ledger import Ledger

ELECTION_ID = "e1ec7104" * 8
SELECTIONS = ("1", "2", "3", "blank")
TARGET_RATIO = 2.0
BLOCK = 50  # floor and cast measurements alternate in blocks, so drift hits both alike
MARK_START = "/booth-benchmark-mark-start"
MARK_END = "/booth-benchmark-mark-end"


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
        self.reset()

    def reset(self) -> None:
        self.sign = self.commit = self.scrub = 0
        self.signatures: Counter = Counter()


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
    real_device_sign = DeviceKey.sign
    real_sign_note = note.sign_note

    def device_sign(self, message):
        t0 = time.perf_counter_ns()
        sig = real_device_sign(self, message)
        timers.sign += time.perf_counter_ns() - t0
        timers.signatures["ballot" if message.startswith(b"booth ballot") else "event"] += 1
        return sig

    def sign_note(*args, **kwargs):
        t0 = time.perf_counter_ns()
        text = real_sign_note(*args, **kwargs)
        timers.sign += time.perf_counter_ns() - t0
        timers.signatures["checkpoint"] += 1
        return text

    DeviceKey.sign = device_sign
    note.sign_note = sign_note
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


def cast(ledger: Ledger) -> None:
    ledger.cast_ballot(
        ELECTION_ID, SELECTIONS[secrets.randbelow(len(SELECTIONS))], payload={"release": secrets.token_hex(4)}
    )


# ------------------------------------------------------------ counting fsyncs
def count_fsyncs(workdir: Path, casts: int) -> dict[str, Counter] | str:
    """Run ``casts`` casts and as many floor commits under strace; fsyncs by phase and file.

    The traced child marks phases with ``access()`` calls on impossible paths;
    fsyncs inside the WAL scrub are counted apart from the rest of the cast.
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
            str(casts),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return f"strace run failed: {proc.stderr.strip()[-300:]}"
    counts: dict[str, Counter] = {"cast": Counter(), "scrub": Counter(), "floor": Counter(), "floorscrub": Counter()}
    stack: list[str] = []
    for line in out.read_text().splitlines():
        mark = re.search(r'access\("/booth-benchmark-mark-(start|end)-(\w+)"', line)
        if mark:
            if mark.group(1) == "start":
                stack.append(mark.group(2))
            else:
                stack.pop()
            continue
        sync = re.search(r"\b(fsync|fdatasync)\(\d+<([^>]*)>", line)
        if sync and stack:
            counts[stack[-1]][f"{sync.group(1)} {Path(sync.group(2)).name}"] += 1
    return {phase: Counter({k: v / casts for k, v in c.items()}) for phase, c in counts.items()}


def mark(edge: str, phase: str) -> None:
    os.access(f"/booth-benchmark-mark-{edge}-{phase}", os.F_OK)


def strace_child(directory: Path, casts: int) -> None:
    directory.mkdir(parents=True)
    ledger = new_ledger(directory / "state", casts + 10)
    floor = Floor(directory)
    cast(ledger)
    floor.once()  # warm both up outside the counted region
    real_scrub = ledger._scrub_wal

    def scrub():
        mark("start", "scrub")
        real_scrub()
        mark("end", "scrub")

    ledger._scrub_wal = scrub
    mark("start", "cast")
    for _ in range(casts):
        cast(ledger)
    mark("end", "cast")
    mark("start", "floor")
    for _ in range(casts):
        floor.once()
    mark("end", "floor")
    scrubbed = Floor(directory, scrub=True)
    scrubbed.once()
    mark("start", "floorscrub")
    for _ in range(casts):
        scrubbed.once()
    mark("end", "floorscrub")
    ledger.close()


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
    parser.add_argument("--strace-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.strace_child:
        strace_child(args.strace_child, args.casts)
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
        for _ in range(20):  # warm-up: page cache, first-touch allocations
            floor.once()
            design_floor.once()
            cast(ledger)

        design_ns: list[int] = []
        floor_ns, cast_ns, sign_ns, commit_ns, scrub_ns = [], [], [], [], []
        signatures: Counter = Counter()
        while len(cast_ns) < args.casts:
            for _ in range(min(BLOCK, args.casts - len(cast_ns))):
                t0 = time.perf_counter_ns()
                floor.once()
                floor_ns.append(time.perf_counter_ns() - t0)
                t0 = time.perf_counter_ns()
                design_floor.once()
                design_ns.append(time.perf_counter_ns() - t0)
            for _ in range(min(BLOCK, args.casts - len(cast_ns))):
                timers.reset()
                t0 = time.perf_counter_ns()
                cast(ledger)
                cast_ns.append(time.perf_counter_ns() - t0)
                sign_ns.append(timers.sign)
                commit_ns.append(timers.commit)
                scrub_ns.append(timers.scrub)
                signatures += timers.signatures
        ledger.close()

        f_med, f95, f99 = percentiles(floor_ns)
        c_med, c95, c99 = percentiles(cast_ns)
        d_med, d95, d99 = percentiles(design_ns)
        ratio = c_med / f_med
        print()
        print(f"  floor: 1 WAL+FULL commit of a small row + 1 Ed25519 signature ({len(floor_ns)} runs)")
        print(f"     median {f_med:7.3f} ms   p95 {f95:7.3f} ms   p99 {f99:7.3f} ms")
        print("  design floor: the same + WAL checkpoint and truncate after the commit (secrecy scrub)")
        print(f"     median {d_med:7.3f} ms   p95 {d95:7.3f} ms   p99 {d99:7.3f} ms   ({d_med / f_med:.2f}x the floor)")
        print(f"  Ledger.cast_ballot ({len(cast_ns)} casts)")
        print(f"     median {c_med:7.3f} ms   p95 {c95:7.3f} ms   p99 {c99:7.3f} ms")
        print(
            f"  ratio cast / floor (median): {ratio:.2f}x   (p95 {c95 / f95:.2f}x, p99 {c99 / f99:.2f}x)"
            f"   target <= {TARGET_RATIO:.0f}x: {'PASS' if ratio <= TARGET_RATIO else 'MISS'}"
        )
        print(f"  ratio cast / design floor (median): {c_med / d_med:.2f}x")

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
        to_commit = [c - w for c, w in zip(cast_ns, scrub_ns, strict=True)]
        print(
            f"     => to the durable COMMIT {statistics.median(to_commit) / 1e6:.3f} ms "
            f"({statistics.median(to_commit) / 1e6 / f_med:.2f}x the floor), "
            f"then the WAL scrub {statistics.median(scrub_ns) / 1e6:.3f} ms before the cast returns"
        )

        per_cast = {k: v / len(cast_ns) for k, v in sorted(signatures.items())}
        print()
        print(
            f"  signatures per cast: {sum(per_cast.values()):g} "
            f"({', '.join(f'{k} {v:g}' for k, v in per_cast.items())})   floor: 1"
        )
        fsyncs = count_fsyncs(work, min(args.casts, 100))
        if isinstance(fsyncs, str):
            print(f"  fsyncs per cast: not counted — {fsyncs}")
        else:

            def show(c: Counter) -> str:
                return f"{sum(c.values()):g} ({', '.join(f'{k} {v:g}' for k, v in sorted(c.items())) or 'none'})"

            print(
                f"  fsyncs per cast (strace): {sum((fsyncs['cast'] + fsyncs['scrub']).values()):g}"
                f" = up to COMMIT {show(fsyncs['cast'])} + WAL scrub {show(fsyncs['scrub'])}"
            )
            print(f"  fsyncs per floor commit:  {show(fsyncs['floor'])}")
            print(f"  fsyncs per floor commit + WAL truncate: {show(fsyncs['floorscrub'])}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
