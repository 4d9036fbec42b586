"""How fast the district can check a whole day: ``booth verify`` on 100,000 events and 100,000 ballots.

Every event, every checkpoint and every ballot carries an Ed25519 signature,
so verifying is mostly verifying signatures.  The reference is the raw
Ed25519 verify rate of this machine, measured in the same run
(``cryptography``'s ``Ed25519PublicKey.verify`` on 64-byte messages).

Targets:
* signatures verified per second by ``booth verify`` >= 70 % of the raw rate;
* peak memory (max RSS) of a separate ``python3 -m booth verify`` <= 100 MB.

Both a state directory (``ledger.db``) and its export bundle are verified.
The fixture is built once (``ledger.batch()`` in chunks, about a minute) and
cached under /tmp, so re-runs start verifying at once.

    python3 benchmarks/verify_speed.py [--ballots 100000] [--cache DIR] [--profile]

``--profile`` also runs the in-process verify under cProfile and prints where
the time goes.  Never fails on a time: PASS/MISS is printed and the exit code is 0.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cryptography
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.ledger.bundle import write_bundle
from booth.ledger.clock import FakeClock
from booth.ledger.ledger import Ledger
from booth.ledger.verify import open_source, verify

ELECTION_ID = "e1ec7104" * 8
SELECTIONS = ("1", "2", "3", "4", "blank")
CHUNK = 5_000
TARGET_SHARE = 0.70
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
def raw_verify_rate(seconds: float = 3.0) -> tuple[float, float]:
    """Ed25519 verifications per second on this machine (64-byte messages): (per wall second, per CPU second)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    pairs = []
    for _ in range(256):
        message = secrets.token_bytes(64)
        pairs.append((key.sign(message), message))
    for sig, message in pairs:  # warm-up
        public.verify(sig, message)
    done = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for sig, message in pairs:
            public.verify(sig, message)
        done += len(pairs)
    return done / (time.perf_counter() - t0), done / (time.process_time() - c0)


# -------------------------------------------------------------- measurements
def verify_in_process(path: Path) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, report) of one verify in this process."""
    source = open_source(path)
    t0, c0 = time.perf_counter(), time.process_time()
    report = verify(source)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return elapsed, cpu, report


# The peak RSS must be the verifier's own.  A child's ru_maxrss starts from the
# RSS of the process it was forked (or vfork-ed) from, so measured straight from
# this benchmark (50 MB after building the fixture) it would report our peak,
# not booth verify's.  A small launcher process in between keeps that out.
LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
)


def verify_cli(path: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of a separate ``python3 -m booth verify PATH --json``."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "booth", "verify", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapsed = time.perf_counter() - t0
    code, maxrss_kb = map(int, out.split())
    return elapsed, maxrss_kb / 1024, code


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
    args = parser.parse_args()
    if args.bindings_only:
        print_binding_rates()
        return 0
    cache = args.cache or Path(tempfile.gettempdir()) / f"booth-verify-bench-{args.ballots}"

    print(
        f"verify_speed  {dt.date.today()}  {platform.machine()} {os.cpu_count()} CPUs  "
        f"Python {platform.python_version()}  SQLite {sqlite3.sqlite_version}  "
        f"cryptography {cryptography.__version__}"
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

    for label, path in (("state directory", state), ("export bundle", bundle)):
        # The reference is measured just before and just after.  Shares are
        # computed on CPU time too: a busy neighbour on the machine then slows
        # the reference and booth verify alike (PASS/MISS uses the CPU share).
        before = raw_verify_rate()
        elapsed, cpu, report = verify_in_process(path)
        after = raw_verify_rate()
        raw_wall, raw_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
        rate, rate_cpu = total_sigs / elapsed, total_sigs / cpu
        share, share_cpu = rate / raw_wall, rate_cpu / raw_cpu
        print(f"\n  booth verify, {label} ({path}):")
        print(
            f"     reference: raw Ed25519 verify {raw_wall:,.0f} signatures/s "
            f"({before[0]:,.0f} before, {after[0]:,.0f} after; {raw_cpu:,.0f} per CPU second) "
            f"= {total_sigs / raw_cpu:.1f} CPU s for this fixture's signatures alone"
        )
        print(
            f"     in-process: {elapsed:6.1f} s wall, {cpu:6.1f} s CPU   {'VALID' if report.ok else 'INVALID'}   "
            f"{report.summary.get('events', 0):,} events, {report.summary.get('ballots_stored', 0):,} ballots"
        )
        print(
            f"     {rate:,.0f} signatures/s = {100 * share:.0f} % of the raw rate "
            f"({rate_cpu:,.0f} per CPU second = {100 * share_cpu:.0f} %)   "
            f"target >= {100 * TARGET_SHARE:.0f} %: {'PASS' if share_cpu >= TARGET_SHARE else 'MISS'}"
        )
        cli_elapsed, rss_mb, code = verify_cli(path)
        print(
            f"     python3 -m booth verify: {cli_elapsed:6.1f} s  (exit {code}), peak RSS {rss_mb:.1f} MB   "
            f"target <= {TARGET_RSS_MB} MB: {'PASS' if rss_mb <= TARGET_RSS_MB else 'MISS'}"
        )

    if args.profile:
        profile(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
