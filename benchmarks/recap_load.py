"""The recap's web intake at the peak of a 1/100-scale national evening, on loopback.

A real ``booth recap serve`` process (its own data directory, the local pool of
verification workers) and a bounded asyncio client (httpx) that signs in as a
committee member and uploads on ``POST /unggah`` at a fixed rate, open loop: a
request is sent at its time whether or not the earlier ones were answered (at
most ``--concurrency`` in flight; a request that must wait for a slot is counted
late, and its wait is part of its latency).

The evening at 1/100 scale: 8,232 polling places registered (one real device
with its real day, the rest with their own keys), 80 % of them arriving
13:00-17:00 at 3x the mean rate of that window: 1.37 places per second.  Each
place sends its bundle (``results.zip``: byte-distinct copies of one real
250-voter day, each verified in full) and the results statement of its report
(a ``.txt``, as the witness app saves it; one distinct registered place each).

Figures, each beside its reference: the rates offered and served; receipt
latency (request sent -> answer with the receipt number) p50/p95/p99/max, beside
the time the recap's job takes for one bundle in this process (the floor); nothing
lost: every upload has one accepted submission, one receipt each, every receipt
verifies with the recap's key (``booth.recap.receipts.check_receipt``), and the
recap's log holds exactly one entry per accepted submission; the peak RSS of the
server process and of each worker.

    python3 benchmarks/recap_load.py [--seconds 60] [--rate 1.372] [--workers 2] [--concurrency 32]

Never fails on a time: PASS/MISS is printed and the exit code is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

import recap_ingest

from booth.recap import registry
from booth.recap.receipts import check_receipt
from booth.recap.start import open_recap

PLACES = 8_232  # 1/100 of 823,236
PEAK_RATE = PLACES * 0.80 / (4 * 3600) * 3.0
TARGET_P99 = 10.0  # seconds: a companion at the kecamatan office waits at most this
PASSWORD = "beban-malam-" + secrets.token_hex(8)


def booth_cli(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "booth", "recap", *argv],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    out = [pid]
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
            for child in children:
                out += process_tree(int(child))
    except OSError:
        pass
    return out


def rss_mb(pid: int) -> tuple[float, float] | None:
    """(current, peak) RSS of a process in MB."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    except OSError:
        return None
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def role_of(pid: int, server: int) -> str:
    if pid == server:
        return "server (web, uvicorn)"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return f"process {pid}"
    if "resource_tracker" in cmd:
        return f"multiprocessing resource tracker {pid}"
    return f"verification worker {pid}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"booth recap serve stopped: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if (await client.get("/publik/")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("booth recap serve did not answer in time")


async def run_load(base: str, uploads: list[tuple[float, str, bytes, str]], concurrency: int) -> list[dict]:
    """Send each (offset seconds, filename, data, kind) at its time; returns one result per upload."""
    results: list[dict] = []
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=httpx.Timeout(600)) as client:
        page = (await client.get("/panitia/masuk")).text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = await client.post(
            "/panitia/masuk", data={"csrf": token, "username": "beban", "password": PASSWORD, "next": "/"}
        )
        assert r.status_code in (200, 303), r.text[:300]
        csrf = (await client.get("/unggah.json")).json()["csrf"]
        start = time.perf_counter()

        async def one(offset: float, name: str, data: bytes, kind: str) -> None:
            await asyncio.sleep(max(0.0, start + offset - time.perf_counter()))
            sent = time.perf_counter()
            late = slots.locked()
            async with slots:
                try:
                    resp = await client.post(
                        "/unggah",
                        files={"berkas": (name, data)},
                        headers={"x-csrf-token": csrf, "accept": "application/json"},
                    )
                    status = resp.status_code
                    body = resp.json() if status == 200 else {"error": resp.text[:200]}
                except httpx.HTTPError as exc:
                    status, body = 0, {"error": repr(exc)}
            done = time.perf_counter()
            outcomes = body.get("outcomes") or []
            results.append(
                {
                    "name": name,
                    "kind": kind,
                    "offset": offset,
                    "latency": done - sent,
                    "late": late,
                    "status": status,
                    "outcomes": outcomes,
                    "error": body.get("error"),
                    "finished": done - start,
                }
            )

        await asyncio.gather(*(one(*u) for u in uploads))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=PEAK_RATE, help=f"places per second (default {PEAK_RATE:.3f})")
    parser.add_argument("--workers", type=int, default=2, help="the server's verification workers")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--voters", type=int, default=250)
    parser.add_argument("--dpt", type=int, default=300)
    args = parser.parse_args()

    print(
        f"recap_load: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"httpx {httpx.__version__}"
    )
    day = recap_ingest.build_day(
        Path(tempfile.gettempdir()) / f"booth-recap-bench-{args.voters}-{args.dpt}", args.voters, args.dpt
    )
    n = max(1, round(args.seconds * args.rate))
    regs_fake, statements = recap_ingest.fake_places(day, PLACES - 1)
    bundles = recap_ingest.copies_of(day["bundle"], n)
    uploads = []
    for i in range(n):
        uploads.append((i / args.rate, f"tps-{i:05d}-hasil.zip", bundles[i], "bundle"))
        uploads.append((i / args.rate + 0.5 / args.rate, f"tps-{i:05d}-qr.txt", statements[i].encode(), "statement"))
    regs = registry.read_registry(
        json.dumps({"format": "booth-recap-registry-v1", "devices": [day["registration"]]}).encode(), at="", by="bench"
    )
    floor = recap_ingest.check_bundles(day["bundle"], regs, 2)[0]

    with tempfile.TemporaryDirectory(prefix="recap-load-") as work:
        data = Path(work) / "rekap"
        reg_file = Path(work) / "registry.json"
        reg_file.write_text(
            json.dumps({"format": "booth-recap-registry-v1", "devices": [day["registration"]] + regs_fake})
        )
        t0 = time.perf_counter()
        booth_cli("device", "import", "--data", str(data), str(reg_file), "--by", "bench")
        booth_cli("user", "add", "--data", str(data), "beban", "--password-stdin", stdin=PASSWORD + "\n")
        print(
            f"  {PLACES:,} polling places registered in {time.perf_counter() - t0:.0f} s; offering {n} bundles "
            f"and {n} statements at {args.rate:.3f} places/s for {args.seconds:g} s "
            f"(at most {args.concurrency} in flight), server with {args.workers} verification workers"
        )
        port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "booth",
                "recap",
                "serve",
                "--data",
                str(data),
                "--listen",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        rss: dict[int, tuple[float, float]] = {}
        roles: dict[int, str] = {}
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(base, server))
            t_start = time.perf_counter()
            results = asyncio.run(run_load(base, uploads, args.concurrency))
            wall = time.perf_counter() - t_start
            for pid in process_tree(server.pid):
                got = rss_mb(pid)
                if got:
                    rss[pid] = got
                    roles[pid] = role_of(pid, server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

        with open_recap(data, workers=0) as recap:
            subs = recap.submissions()
            key = recap.verifier_key()
            entries = recap.store.leaf_entries()
            receipts_ok = 0
            for s in subs:
                receipt = recap.receipt(s.id)
                if receipt is not None:
                    try:
                        check_receipt(receipt.to_json(), key)
                        receipts_ok += 1
                    except Exception as exc:  # noqa: BLE001 - a receipt that fails is counted, and shown
                        print(f"    receipt of submission {s.id} does not verify: {exc}")

    print()
    accepted_answers = 0
    for kind in ("bundle", "statement"):
        mine = [r for r in results if r["kind"] == kind]
        ok = [
            r
            for r in mine
            if r["status"] == 200
            and r["outcomes"]
            and all(o["state"] == "accepted" and o.get("receipt_index") is not None for o in r["outcomes"])
        ]
        accepted_answers += len(ok)
        lat = [r["latency"] for r in ok]
        late = sum(r["late"] for r in mine)
        print(f"  {kind + 's':<10}: {len(mine)} sent, {len(ok)} answered with a receipt, {late} waited for a slot")
        if lat:
            print(
                f"    receipt latency p50 {percentile(lat, 50):6.2f} s  p95 {percentile(lat, 95):6.2f} s  "
                f"p99 {percentile(lat, 99):6.2f} s  max {max(lat):6.2f} s"
                + (f"   (floor: one bundle's job here {floor:.2f} s)" if kind == "bundle" else "")
            )
        for r in [r for r in mine if r not in ok][:3]:
            print(f"    NOT OK: {r['name']} status {r['status']} {r['error'] or r['outcomes']}")
    finished = max((r["finished"] for r in results), default=0.0)
    print(
        f"  offered {len(uploads) / args.seconds:.2f} uploads/s for {args.seconds:g} s; all answered after "
        f"{finished:.1f} s ({len(results) / finished if finished else 0:.2f} uploads/s served); wall {wall:.1f} s"
    )

    accepted = [s for s in subs if s.status == "accepted"]
    indexes = [s.receipt_index for s in accepted]
    lost = len(uploads) - len(accepted)
    print()
    print(
        f"  nothing lost: {len(uploads)} uploads -> {len(subs)} submissions, {len(accepted)} accepted, "
        f"{len(set(indexes))} distinct receipts, {receipts_ok} receipts verify, the recap's log holds "
        f"{len(entries)} entries -> {'PASS' if lost == 0 and receipts_ok == len(accepted) == len(entries) else 'MISS'}"
    )
    bundle_lat = [r["latency"] for r in results if r["kind"] == "bundle" and r["status"] == 200]
    p99 = percentile(bundle_lat, 99)
    print(f"  bundle receipt p99 {p99:.2f} s (target <= {TARGET_P99:g} s: {'PASS' if p99 <= TARGET_P99 else 'MISS'})")
    print()
    print("  memory (RSS now / peak, MB):")
    for pid, (now, peak) in sorted(rss.items()):
        print(f"    {roles.get(pid, str(pid)):<34} {now:6.0f} / {peak:6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
