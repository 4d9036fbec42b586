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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cryptography
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
                ledger.cast_ballot(ELECTION_ID, SELECTIONS[secrets.randbelow(len(SELECTIONS))],
                                   payload={"release": secrets.token_hex(4)})
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
def raw_verify_rate(seconds: float = 3.0) -> float:
    """Ed25519 signature verifications per second on this machine (64-byte messages)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    pairs = []
    for _ in range(256):
        message = secrets.token_bytes(64)
        pairs.append((key.sign(message), message))
    for sig, message in pairs:  # warm-up
        public.verify(sig, message)
    done = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for sig, message in pairs:
            public.verify(sig, message)
        done += len(pairs)
    return done / (time.perf_counter() - t0)


# -------------------------------------------------------------- measurements
def verify_in_process(path: Path) -> tuple[float, object]:
    source = open_source(path)
    t0 = time.perf_counter()
    report = verify(source)
    elapsed = time.perf_counter() - t0
    if hasattr(source, "_conn"):
        source._conn.close()
    return elapsed, report


def verify_cli(path: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of ``python3 -m booth verify PATH --json``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "booth", "verify", str(path), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def profile(path: Path, top: int = 18) -> None:
    source = open_source(path)
    profiler = cProfile.Profile()
    profiler.enable()
    verify(source)
    profiler.disable()
    if hasattr(source, "_conn"):
        source._conn.close()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"\n  cProfile of in-process verify on {path.name} (total {total:.1f} s under the profiler):")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    print(f"     {'own time':>9} {'share':>6} {'calls':>9}  function")
    for (filename, line, name), (_, calls, tottime, _, _) in rows:
        where = f"{Path(filename).name}:{line}({name})" if line else name
        print(f"     {tottime:8.2f}s {100 * tottime / total:5.1f}% {calls:9,}  {where}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=None,
                        help="fixture directory (default /tmp/booth-verify-bench-<ballots>)")
    parser.add_argument("--profile", action="store_true", help="also profile the in-process verify")
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.gettempdir()) / f"booth-verify-bench-{args.ballots}"

    print(f"verify_speed  {dt.date.today()}  {platform.machine()} {os.cpu_count()} CPUs  "
          f"Python {platform.python_version()}  SQLite {sqlite3.sqlite_version}  "
          f"cryptography {cryptography.__version__}")
    fixture = build_fixture(cache, args.ballots)
    state, bundle = fixture / "state", fixture / "bundle.zip"
    sigs = count_signatures(state)
    total_sigs = sum(sigs.values())
    print(f"  fixture: {sigs['events']:,} events, {sigs['checkpoints']:,} checkpoints, {sigs['ballots']:,} ballots "
          f"= {total_sigs:,} signatures; ledger.db {(state / 'ledger.db').stat().st_size / 1e6:.1f} MB, "
          f"bundle {bundle.stat().st_size / 1e6:.1f} MB")

    raw = raw_verify_rate()
    print(f"\n  reference: raw Ed25519 verify {raw:,.0f} signatures/s  ({1e6 / raw:.1f} us each) "
          f"-> {total_sigs / raw:.1f} s for this fixture's signatures alone")

    for label, path in (("state directory", state), ("export bundle", bundle)):
        elapsed, report = verify_in_process(path)
        rate = total_sigs / elapsed
        share = rate / raw
        print(f"\n  booth verify, {label} ({path}):")
        print(f"     in-process: {elapsed:6.1f} s   {'VALID' if report.ok else 'INVALID'}   "
              f"{report.summary.get('events', 0):,} events, {report.summary.get('ballots_stored', 0):,} ballots")
        print(f"     {rate:,.0f} signatures/s = {100 * share:.0f} % of the raw rate   "
              f"target >= {100 * TARGET_SHARE:.0f} %: {'PASS' if share >= TARGET_SHARE else 'MISS'}")
        cli_elapsed, rss_mb, code = verify_cli(path)
        print(f"     python3 -m booth verify: {cli_elapsed:6.1f} s  (exit {code}), peak RSS {rss_mb:.1f} MB   "
              f"target <= {TARGET_RSS_MB} MB: {'PASS' if rss_mb <= TARGET_RSS_MB else 'MISS'}")

    if args.profile:
        profile(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
