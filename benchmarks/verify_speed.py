"""How fast the district can check a whole day: ``booth verify`` on 100,000 events and 100,000 ballots.

Every event, every checkpoint and every ballot carries an Ed25519 signature,
so verifying is mostly verifying signatures, and a verifier that uses every
core should come close to ``cores x`` the raw single-core rate.  References,
measured in the same run:

* the raw single-core Ed25519 verify rate of the binding booth uses (PyNaCl /
  libsodium, ``VerifyKey.verify`` on 64-byte messages), just before and just
  after each verify;
* the same raw loop run on every core at once (one process per core), which
  shows what this machine gives right now (neighbours, shared caches).

Figures (``--json`` prints them as one JSON object on the last line):

* ``share_of_all_cores``: signatures verified per wall second by an in-process
  ``verify()`` over (cores x the raw single-core rate); the lower of the state
  directory and the bundle.  Target >= 85 %.
* ``peak_rss_mb``: the peak of the summed RSS of a separate
  ``python3 -m booth verify PATH --json`` and all its worker processes (sampled
  every 5 ms from /proc), the higher of the two sources.  Target <= 100 MB.
  RSS counts the pages a forked worker shares with its parent once per process,
  so the sum over-states the memory taken; ``peak_pss_mb`` (proportional set
  size, shared pages split) is printed beside it.

Both a state directory (``ledger.db``) and its export bundle are verified.
The fixture is built once (``ledger.batch()`` in chunks, about a minute) and
cached under /tmp, so re-runs start verifying at once.

    python3 benchmarks/verify_speed.py [--ballots 100000] [--cache DIR] [--profile] [--json]

``--profile`` also runs the in-process verify under cProfile and prints where
the time goes.  Never fails on a time: PASS/MISS is printed and the exit code is 0.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import multiprocessing
import os
import platform
import pstats
import resource
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import cryptography
import nacl
import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.ledger.bundle import write_bundle
from booth.ledger.clock import FakeClock
from booth.ledger.ledger import Ledger
from booth.ledger.verify import open_source, verify

ELECTION_ID = "e1ec7104" * 8
SELECTIONS = ("1", "2", "3", "4", "blank")
CHUNK = 5_000
TARGET_SHARE = 0.85
TARGET_RSS_MB = 100


# ------------------------------------------------------------------ fixture
def build_fixture(cache: Path, ballots: int) -> Path:
    """A state directory with ``ballots`` casts (and as many events) plus its bundle, cached."""
    done = cache / "complete.json"
    if done.exists() and json.loads(done.read_text()).get("ballots") == ballots:
        return cache
    shutil.rmtree(cache, ignore_errors=True)
    building = Path(tempfile.mkdtemp(prefix=cache.name + ".building-", dir=cache.parent))
    print(f"  building the fixture in {cache} ({ballots:,} ballots; cached for next time) ...", flush=True)
    t0 = time.perf_counter()
    clock = FakeClock()
    ledger = Ledger.create(building / "state", clock=clock)
    ledger.append("election.loaded", "K01", {"election_id": ELECTION_ID})
    ledger.add_ballot_slots(ballots)
    cast = 0
    while cast < ballots:
        with ledger.batch():
            for _ in range(min(CHUNK, ballots - cast)):
                clock.advance(20)
                ledger.cast_ballot(
                    ELECTION_ID,
                    SELECTIONS[secrets.randbelow(len(SELECTIONS))],
                    payload={"release": secrets.token_hex(4)},
                )
                cast += 1
        print(f"    {cast:,} ballots cast ({time.perf_counter() - t0:.0f} s)", flush=True)
    ledger.close_ballot_box("K01")
    write_bundle(ledger, building / "bundle.zip")
    ledger.close()
    (building / "complete.json").write_text(json.dumps({"ballots": ballots, "built": str(dt.datetime.now())}))
    os.replace(building, cache)
    print(f"  fixture built in {time.perf_counter() - t0:.0f} s", flush=True)
    return cache


def count_signatures(state: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{state / 'ledger.db'}?mode=ro", uri=True)
    try:
        return {
            "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
            "checkpoints": conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0],
            "ballots": conn.execute("SELECT count(*) FROM ballots WHERE filled=1").fetchone()[0],
        }
    finally:
        conn.close()


# ---------------------------------------------------------------- reference
def usable_cores() -> int:
    """The cores this process may run on (the affinity mask), else os.cpu_count()."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _raw_pairs() -> tuple[nacl.signing.VerifyKey, list[tuple[bytes, bytes]]]:
    key = nacl.signing.SigningKey.generate()
    pairs = []
    for _ in range(256):
        message = secrets.token_bytes(64)
        pairs.append((key.sign(message).signature, message))
    return key.verify_key, pairs


def _raw_loop(seconds: float) -> tuple[int, float, float]:
    """(signatures verified, wall s, CPU s) of PyNaCl's VerifyKey.verify for about ``seconds``."""
    public, pairs = _raw_pairs()
    for sig, message in pairs:  # warm-up
        public.verify(message, sig)
    done = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for sig, message in pairs:
            public.verify(message, sig)
        done += len(pairs)
    return done, time.perf_counter() - t0, time.process_time() - c0


def raw_verify_rate(seconds: float = 2.0) -> tuple[float, float]:
    """The raw single-core rate: Ed25519 verifications per (wall second, CPU second), 64-byte messages."""
    done, wall, cpu = _raw_loop(seconds)
    return done / wall, done / cpu


def _raw_child(seconds: float, start: Any, out: Connection) -> None:
    start.wait()
    out.send(_raw_loop(seconds)[0])
    out.close()


def raw_all_cores_rate(cores: int, seconds: float = 2.0) -> float:
    """The raw loop in ``cores`` processes at once: signatures per wall second, all together."""
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    children = []
    for _ in range(cores):
        mine, theirs = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_raw_child, args=(seconds, start, theirs))
        proc.start()
        theirs.close()
        children.append((proc, mine))
    t0 = time.perf_counter()
    start.set()
    done = sum(pipe.recv() for _, pipe in children)
    elapsed = time.perf_counter() - t0
    for proc, pipe in children:
        proc.join()
        pipe.close()
    return done / elapsed


# -------------------------------------------------------------- measurements
def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def verify_in_process(path: Path) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process and its worker processes, report) of one verify."""
    source = open_source(path)
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    report = verify(source)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0 + _children_cpu() - k0
    return elapsed, cpu, report


# The peak memory must be the verifier's own, workers included.  A child's ru_maxrss
# starts from the RSS of the process it was forked (or vfork-ed) from, so measured
# straight from this benchmark (50 MB after building the fixture) it would report our
# peak, not booth verify's.  A small launcher process in between keeps that out, and
# samples the RSS and PSS of the verifier's whole process tree from /proc.
LAUNCHER = r"""
import os, subprocess, sys, time
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)

def tree(root):
    pids, i = [root], 0
    while i < len(pids):
        pid, i = pids[i], i + 1
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    pids += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return pids

def kib(pid, path, name):
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

peak_rss = peak_pss = most = 0
while True:
    pid, status, usage = os.wait4(child.pid, os.WNOHANG)
    if pid:
        break
    pids = tree(child.pid)
    most = max(most, len(pids))
    peak_rss = max(peak_rss, sum(kib(p, "status", "VmRSS:") for p in pids))
    peak_pss = max(peak_pss, sum(kib(p, "smaps_rollup", "Pss:") for p in pids))
    time.sleep(0.005)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, peak_rss, peak_pss, most, usage.ru_utime + usage.ru_stime)
"""


@dataclass
class CliRun:
    elapsed: float
    exit_code: int
    #: the largest single process's peak (wait4's ru_maxrss), the summed tree's peak RSS and PSS, in MB
    max_single_mb: float
    peak_rss_mb: float
    peak_pss_mb: float
    processes: int
    cpu: float


def verify_cli(path: Path) -> CliRun:
    """A separate ``python3 -m booth verify PATH --json``: its time, exit code, peak memory with its workers."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "booth", "verify", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapsed = time.perf_counter() - t0
    code, maxrss_kb, rss_kb, pss_kb, processes, cpu = out.split()
    return CliRun(
        elapsed=elapsed,
        exit_code=int(code),
        max_single_mb=int(maxrss_kb) / 1024,
        # the sampler may miss a short peak that the kernel's own figure saw
        peak_rss_mb=max(int(rss_kb), int(maxrss_kb)) / 1024,
        peak_pss_mb=int(pss_kb) / 1024,
        processes=int(processes),
        cpu=float(cpu),
    )


PROFILE_GROUPS = [
    # (label, test on (file, function name))
    ("Ed25519 signature verify", lambda f, n: "ed25519" in n.lower() or "Ed25519" in f),
    (
        "canonical JSON parse + check",
        lambda f, n: f.endswith("canonical.py") or "/json/" in f or n.startswith("<method 'decode"),
    ),
    ("signed-note (checkpoint) parsing", lambda f, n: f.endswith("note.py") or "b64decode" in n or "binascii" in n),
    (
        "Merkle hashing (SHA-256)",
        lambda f, n: f.endswith("merkle.py") or "sha256" in n or "'digest'" in n or "'update'" in n,
    ),
    (
        "reading rows / lines (SQLite, zip)",
        lambda f, n: (
            (f.endswith("verify.py") and n in ("events", "checkpoints", "ballots", "_lines", "_split_signed_line"))
            or "zipfile" in f
            or "sqlite3" in n
            or "zlib" in n
            or "'read" in n
        ),
    ),
    ("shape checks (formats, regex)", lambda f, n: f.endswith("formats.py") or "re.Pattern" in n),
    ("verify loop itself", lambda f, n: f.endswith("verify.py")),
]


def profile(path: Path, top: int = 15) -> None:
    """cProfile one in-process verify; print time per kind of work, then the top functions."""
    source = open_source(path)
    profiler = cProfile.Profile()
    profiler.enable()
    verify(source)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    groups = {label: 0.0 for label, _ in PROFILE_GROUPS}
    groups["other (builtins, generators, ...)"] = 0.0
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():
        label = next(
            (label for label, test in PROFILE_GROUPS if test(filename, name)), "other (builtins, generators, ...)"
        )
        groups[label] += tottime
    print(
        f"\n  cProfile of in-process verify on {path.name} (total {total:.1f} s; the profiler inflates the "
        f"Python share, the signature time is close to real):"
    )
    for label, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"     {seconds:7.2f} s {100 * seconds / total:5.1f} %  {label}")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    print(f"\n     {'own time':>9} {'share':>6} {'calls':>10}  function")
    for (filename, line, name), (_, calls, tottime, _, _) in rows:
        where = f"{Path(filename).name}:{line}({name})" if line else name
        print(f"     {tottime:8.2f}s {100 * tottime / total:5.1f}% {calls:10,}  {where}")


def binding_rates(rounds: int = 4, seconds: float = 1.0) -> dict[str, list[float]]:
    """Ed25519 verifications per CPU second for each binding, measured in alternating rounds.

    Both bindings verify the same 256 signatures (same key bytes) in turns A, B, A, B...: on a
    machine shared with other work a neighbour's burst then slows both alike. PyNaCl (libsodium)
    is measured only when it is installed (``pip install pynacl``).
    """
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    raw_public = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pairs = [(key.sign(m), m) for m in (secrets.token_bytes(64) for _ in range(256))]

    def with_cryptography() -> None:
        for sig, message in pairs:
            public.verify(sig, message)

    runners: dict[str, Callable[[], None]] = {f"cryptography {cryptography.__version__}": with_cryptography}
    try:
        import nacl
        import nacl.signing
    except ImportError:
        pass
    else:
        nacl_key = nacl.signing.VerifyKey(raw_public)

        def with_pynacl() -> None:
            for sig, message in pairs:
                nacl_key.verify(message, sig)

        runners[f"PyNaCl {nacl.__version__}"] = with_pynacl
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for run in runners.values():
        run()  # warm-up
    for _ in range(rounds):
        for name, run in runners.items():
            done, c0 = 0, time.process_time()
            while time.process_time() - c0 < seconds:
                run()
                done += len(pairs)
            rates[name].append(done / (time.process_time() - c0))
    return rates


def print_binding_rates() -> None:
    """The side-by-side figures: median and range per binding, and the ratio of the medians."""
    rates = binding_rates()
    print("  Ed25519 bindings side by side (verifications per CPU second, alternating 1 s rounds):")
    medians = {}
    for name, values in rates.items():
        medians[name] = statistics.median(values)
        print(f"     {name:28} median {medians[name]:8,.0f}/s  (rounds {min(values):,.0f} .. {max(values):,.0f})")
    if len(medians) == 2:
        (a, ra), (b, rb) = medians.items()
        print(f"     {b} / {a} = {rb / ra:.2f}x")


def measure(label: str, path: Path, total_sigs: int, cores: int) -> dict[str, Any]:
    """One source: the references just before and after, the in-process verify, the CLI's memory."""
    before = raw_verify_rate()
    all_before = raw_all_cores_rate(cores)
    elapsed, cpu, report = verify_in_process(path)
    all_after = raw_all_cores_rate(cores)
    after = raw_verify_rate()
    raw_wall, raw_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    raw_all = (all_before + all_after) / 2
    rate = total_sigs / elapsed
    share = rate / (cores * raw_wall)
    print(f"\n  booth verify, {label} ({path}):")
    print(
        f"     reference: raw PyNaCl verify on one core {raw_wall:,.0f} signatures/s "
        f"({before[0]:,.0f} before, {after[0]:,.0f} after; {raw_cpu:,.0f} per CPU second); "
        f"x {cores} cores = {cores * raw_wall:,.0f}/s"
    )
    print(
        f"     reference: the raw loop on all {cores} cores at once {raw_all:,.0f}/s "
        f"({all_before:,.0f} before, {all_after:,.0f} after) = {raw_all / raw_wall:.2f}x one core"
    )
    print(
        f"     in-process: {elapsed:6.2f} s wall, {cpu:6.2f} s CPU (with its workers)   "
        f"{'VALID' if report.ok else 'INVALID'}   "
        f"{report.summary.get('events', 0):,} events, {report.summary.get('ballots_stored', 0):,} ballots"
    )
    print(
        f"     {rate:,.0f} signatures/s = {100 * share:.0f} % of cores x raw   target >= {100 * TARGET_SHARE:.0f} %: "
        f"{'PASS' if share >= TARGET_SHARE else 'MISS'}   "
        f"({100 * rate / raw_all:.0f} % of the all-cores raw loop; "
        f"CPU efficiency {100 * total_sigs / cpu / raw_cpu:.0f} % = signatures per CPU second / raw per CPU second)"
    )
    cli = verify_cli(path)
    print(
        f"     python3 -m booth verify: {cli.elapsed:6.2f} s  (exit {cli.exit_code}, {cli.processes} process(es), "
        f"{cli.cpu:.2f} s CPU), peak RSS {cli.peak_rss_mb:.1f} MB summed over them (PSS {cli.peak_pss_mb:.1f} MB; "
        f"largest single process {cli.max_single_mb:.1f} MB)   target <= {TARGET_RSS_MB} MB: "
        f"{'PASS' if cli.peak_rss_mb <= TARGET_RSS_MB else 'MISS'}"
    )
    return {
        "valid": report.ok,
        "wall_s": round(elapsed, 4),
        "cpu_s": round(cpu, 4),
        "signatures_per_s": round(rate, 1),
        "raw_single_core_per_s": round(raw_wall, 1),
        "raw_all_cores_per_s": round(raw_all, 1),
        "share_of_all_cores": round(share, 4),
        "share_of_raw_all_cores": round(rate / raw_all, 4),
        "cpu_efficiency": round(total_sigs / cpu / raw_cpu, 4),
        "cli_wall_s": round(cli.elapsed, 4),
        "cli_exit": cli.exit_code,
        "cli_processes": cli.processes,
        "peak_rss_mb": round(cli.peak_rss_mb, 1),
        "peak_pss_mb": round(cli.peak_pss_mb, 1),
        "max_single_process_mb": round(cli.max_single_mb, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument(
        "--cache", type=Path, default=None, help="fixture directory (default /tmp/booth-verify-bench-<ballots>)"
    )
    parser.add_argument("--profile", action="store_true", help="also profile the in-process verify")
    parser.add_argument(
        "--bindings-only", action="store_true", help="only compare the Ed25519 bindings (no fixture is built)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    args = parser.parse_args()
    if args.bindings_only:
        print_binding_rates()
        return 0
    cache = args.cache or Path(tempfile.gettempdir()) / f"booth-verify-bench-{args.ballots}"
    cores = usable_cores()

    print(
        f"verify_speed  {dt.date.today()}  {platform.machine()} {os.cpu_count()} CPUs ({cores} usable)  "
        f"Python {platform.python_version()}  SQLite {sqlite3.sqlite_version}  "
        f"PyNaCl {nacl.__version__}  cryptography {cryptography.__version__}"
    )
    print_binding_rates()
    fixture = build_fixture(cache, args.ballots)
    state, bundle = fixture / "state", fixture / "bundle.zip"
    sigs = count_signatures(state)
    total_sigs = sum(sigs.values())
    print(
        f"  fixture: {sigs['events']:,} events, {sigs['checkpoints']:,} checkpoints, {sigs['ballots']:,} ballots "
        f"= {total_sigs:,} signatures; ledger.db {(state / 'ledger.db').stat().st_size / 1e6:.1f} MB, "
        f"bundle {bundle.stat().st_size / 1e6:.1f} MB"
    )
    figures = {
        label: measure(label, path, total_sigs, cores)
        for label, path in (("state directory", state), ("export bundle", bundle))
    }

    if args.profile:
        profile(state)
    if args.json:
        both = list(figures.values())
        print(
            json.dumps(
                {
                    "benchmark": "verify_speed",
                    "ballots": args.ballots,
                    "signatures": total_sigs,
                    "cores": cores,
                    "share_of_all_cores": min(f["share_of_all_cores"] for f in both),
                    "peak_rss_mb": max(f["peak_rss_mb"] for f in both),
                    "peak_pss_mb": max(f["peak_pss_mb"] for f in both),
                    "target_share": TARGET_SHARE,
                    "target_rss_mb": TARGET_RSS_MB,
                    "state_dir": figures["state directory"],
                    "bundle": figures["export bundle"],
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
