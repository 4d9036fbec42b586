"""How fast the station link carries a release from the desk to a booth, and how soon a booth is back.

Real link processes on loopback (hw-sim/booth_sim/station_links.py: a desk and one booth, TLS 1.3
with pinned keys), the benchmark playing both devices' applications:

* **Release latency**: the desk's application queues a 300-byte payload (a release token's size)
  and the booth's application takes it; median and 95th percentile over ``--messages`` releases.
  Beside it, the **reference** measured in the same run: one round trip of the same payload over a
  bare TLS 1.3 connection on loopback with the same certificates, plus the two ``fsync``-ed SQLite
  commits no durable delivery can do without (the desk's outbox, the booth's inbox), timed on this
  disk.  The link's path has two more on the same disk: the desk records the ack, and the booth's
  application confirms the message before (what makes "never handed out twice" hold).
* **Throughput**: 300-byte messages queued at once, until the booth took them all (messages/s).
* **Back after a kill**: the booth's link SIGKILLed and started again; seconds from the start
  until the desk shows the booth free (the process's own start-up is most of it).

A station needs one release per voter, about 250 an hour at most (hw-sim/booth_sim/
station_model.py); a voter should never wait for the link.  Target: p95 release <= 250 ms.
Exit code 0 whatever the figures.

    python3 benchmarks/station_link.py            # about 30 s
    python3 benchmarks/station_link.py --json     # one JSON object as the last line
"""

from __future__ import annotations

import argparse
import json
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hw-sim"))
sys.path.insert(0, str(ROOT))

from booth.station import transport  # noqa: E402
from booth_sim.station_links import StationLinks  # noqa: E402

PAYLOAD = b"r" * 300
# A voter should never wait for the link: well under the second a companion takes to wave them on.
TARGET_P95_MS = 250.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def release_latency(links: StationLinks, n: int) -> list[float]:
    desk, booth = links.desk.client, links.booths[0].client
    times = []
    for _ in range(n):
        start = time.perf_counter()
        desk.send("bilik-1", "release", PAYLOAD)
        message = booth.take(wait=10)
        assert message is not None
        times.append(time.perf_counter() - start)
    return times


def throughput(links: StationLinks, n: int) -> float:
    desk, booth = links.desk.client, links.booths[0].client
    for _ in range(n):
        desk.send("bilik-1", "release", PAYLOAD)
    start = time.perf_counter()
    got = 0
    while got < n:
        if booth.take(wait=10) is not None:
            got += 1
    booth.take(wait=0)  # confirm the last
    return n / (time.perf_counter() - start)


def back_after_kill(links: StationLinks) -> float:
    booth = links.booths[0]
    booth.kill()
    links.wait_status("bilik-1", "offline")
    start = time.perf_counter()
    booth.start()
    links.wait_status("bilik-1", "free", timeout=60)
    return time.perf_counter() - start


def tls_round_trip(links: StationLinks, n: int) -> list[float]:
    """The reference: a bare TLS 1.3 echo on loopback with the same credentials, no link, no disk."""
    desk, booth = links.desk, links.booths[0]
    server_ctx = transport.tls_context(
        desk.dir / "credentials", [transport.load_pin("bilik-1", booth.certificate)], server=True
    )
    client_ctx = transport.tls_context(
        booth.dir / "credentials", [transport.load_pin("meja", desk.certificate)], server=False
    )
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def echo() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            while data := tls.recv(65536):
                tls.sendall(data)

    threading.Thread(target=echo, daemon=True).start()
    times = []
    with client_ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) as tls:
        for _ in range(n):
            start = time.perf_counter()
            tls.sendall(PAYLOAD)
            got = b""
            while len(got) < len(PAYLOAD):
                got += tls.recv(65536)
            times.append(time.perf_counter() - start)
    listener.close()
    return times


def fsync_commit(n: int) -> list[float]:
    """One WAL + synchronous=FULL commit of a small row, as the outbox and the inbox do."""
    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(Path(d) / "x.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
        times = []
        for i in range(n):
            start = time.perf_counter()
            with db:
                db.execute("INSERT INTO t VALUES (?, ?)", (i, PAYLOAD))
            times.append(time.perf_counter() - start)
        db.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="releases timed one by one")
    parser.add_argument("--burst", type=int, default=1000, help="messages queued at once for the throughput")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()

    links = StationLinks(booths=1, beat=0.5)
    try:
        links.start()
        links.wait_status("bilik-1", "free")
        release_latency(links, 20)  # warm up
        latency = release_latency(links, args.messages)
        tls = tls_round_trip(links, args.messages)
        commit = fsync_commit(args.messages)
        rate = throughput(links, args.burst)
        back = back_after_kill(links)
    finally:
        links.close()

    reference = statistics.median(tls) + 2 * statistics.median(commit)
    figures = {
        "release_median_ms": round(statistics.median(latency) * 1000, 2),
        "release_p95_ms": round(percentile(latency, 0.95) * 1000, 2),
        "reference_median_ms": round(reference * 1000, 2),
        "tls_round_trip_median_ms": round(statistics.median(tls) * 1000, 3),
        "fsync_commit_median_ms": round(statistics.median(commit) * 1000, 2),
        "latency_ratio": round(statistics.median(latency) / reference, 2),
        "messages_per_s": round(rate, 1),
        "back_after_kill_s": round(back, 2),
    }
    print(f"release desk -> booth: median {figures['release_median_ms']} ms, p95 {figures['release_p95_ms']} ms")
    print(
        f"  reference (same run): TLS round trip {figures['tls_round_trip_median_ms']} ms"
        f" + 2 fsync'd commits of {figures['fsync_commit_median_ms']} ms = {figures['reference_median_ms']} ms"
        f" -> {figures['latency_ratio']}x the reference"
    )
    print(f"throughput: {figures['messages_per_s']} messages/s (a station needs about 250 releases an hour)")
    print(f"a booth's link SIGKILLed and started again: shown free after {figures['back_after_kill_s']} s")
    verdict = "PASS" if figures["release_p95_ms"] <= TARGET_P95_MS else "MISS"
    print(f"{verdict}: p95 release {figures['release_p95_ms']} ms (target <= {TARGET_P95_MS} ms)")
    figures["target_met"] = verdict == "PASS"
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
