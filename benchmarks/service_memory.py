"""Memory of the two services through a day: the ledger service and the kiosk, as on the device.

Starts ``booth service ledger`` (a state directory, a Unix socket, the fake clock the tests
use) and ``booth kiosk --socket`` on it (SDL's dummy video driver, every device simulated, a
720x1280 portrait panel), then drives a polling day through the socket as the companions and
the kiosk would: the package, custody, PINs, the zero report, opening, ``--voters`` voters
(check-in, release, cast, slip printed and confirmed, photo), closing, the count, the export.
The kiosk follows on its screen all along (it polls the ledger and draws).

Prints the peak resident memory (VmHWM) of each service beside its target and beside the
references measured in the same run: a bare Python interpreter, and Python with pygame's
display and fonts started at the same size (what any pygame kiosk costs before booth).

    python benchmarks/service_memory.py [--voters 300] [--json]

Targets (issue #15): kiosk <= 150 MB, ledger <= 60 MB. CI never fails on these figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "hw-sim")]

from booth.api_client import BoothClient  # noqa: E402
from booth.demo_election import make_demo_package  # noqa: E402
from booth.election_package import load_package  # noqa: E402
from booth.errors import TooSoon  # noqa: E402

TARGETS_MB = {"kiosk": 150, "ledger": 60}
SIZE = "720x1280"
ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYTHONPATH": f"{ROOT}:{ROOT / 'hw-sim'}"}


def status_mb(pid: int, field: str) -> float | None:
    """VmRSS or VmHWM of a process in MB, from /proc (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reference_mb(code: str) -> float:
    """Peak RSS of a small Python program that prints its own VmHWM."""
    # VmHWM, not getrusage's ru_maxrss: on Linux that survives exec, so it would report the parent
    tail = (
        "from pathlib import Path\n"
        "hwm = [x for x in Path('/proc/self/status').read_text().splitlines() if x.startswith('VmHWM')]\n"
        "print(hwm[0].split()[1])"
    )
    program = code + "\n" + tail
    out = subprocess.run([sys.executable, "-c", program], env=ENV, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def wait_for_socket(path: Path, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the ledger service exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
            return
        except OSError:
            time.sleep(0.05)
        finally:
            probe.close()
    raise SystemExit("the ledger service did not listen in time")


def utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


def photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (480, 640), (120, 90, 60)).save(out, "JPEG", quality=80)
    return out.getvalue()


def drive_day(client: BoothClient, pkg_dir: Path, voters: int, out: Path) -> int:
    """The day through the socket; returns how many voted."""
    pkg = load_package(pkg_dir)
    e = pkg.election
    pins = {c.id: "2580" + c.id[-2:] for c in pkg.companions}
    ketua = next(c.id for c in pkg.companions if c.role == "ketua")
    teknisi = next(c.id for c in pkg.companions if c.role == "teknisi")

    def token() -> str:
        return client.sign_in(ketua, pins[ketua])

    client.load_election(str(pkg_dir))
    client.record_custody("received", companion_id=teknisi, place="Kantor Kecamatan")
    client.record_custody("distributed", companion_id=teknisi, place="Jalan ke pekon")
    for c in pkg.companions:
        client.set_first_pin(c.id, pins[c.id])
    client.record_custody("handed_over", token=token(), place="Balai Pekon")
    client.record_custody("installed", token=token(), place="Balai Pekon", self_test={"printer": "ok", "camera": "ok"})
    client.fake_clock_set(utc(e.opens_at - dt.timedelta(minutes=30)))
    tok = token()
    client.zero_report(tok)
    client.zero_report_printed(tok)
    client.fake_clock_set(utc(e.opens_at))
    client.open_polls(token())
    jpeg = photo()
    voted = 0
    for i, voter in enumerate(pkg.voters[:voters]):
        client.fake_clock_advance(40)
        tok = token()
        client.check_in(tok, voter.ref)
        release = client.release_ballot(tok, voter.ref)["release"]
        time.sleep(0.05)  # the kiosk sees the ballot and draws it
        while True:
            try:
                client.cast(release, str(1 + i % len(pkg.candidates)))
                break
            except TooSoon:
                client.fake_clock_advance(15)
        client.slip_printed(release)
        if hasattr(client, "slip_confirmed"):
            client.slip_confirmed(release)  # "Struk sesuai"
        client.store_photo(release, jpeg)
        voted += 1
    client.fake_clock_set(utc(e.closes_at + dt.timedelta(minutes=1)))
    tok = token()
    client.close_polls(tok)
    client.count(tok)
    client.results_printed(tok)
    client.export(tok, str(out / "hasil.zip"))
    return voted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="booth-memory-"))
    pkg_dir, _keys = make_demo_package(work / "pkg", voters=max(args.voters, 30))
    sock = work / "api.sock"
    started = dt.datetime(2025, 11, 14, tzinfo=dt.UTC)
    ledger_log, kiosk_log = work / "ledger.log", work / "kiosk.log"
    booth = [sys.executable, "-m", "booth"]
    with open(ledger_log, "wb") as log:
        ledger = subprocess.Popen(
            booth
            + ["service", "ledger", "--state", str(work / "state"), "--socket", str(sock), "--init"]
            + ["--allow-uid", str(os.getuid()), "--fake-clock", started.isoformat()],
            stdout=log,
            stderr=log,
            env=ENV,
        )
    kiosk = None
    samples: dict[str, list[float]] = {"ledger": [], "kiosk": []}
    stop = threading.Event()
    try:
        wait_for_socket(sock, ledger, ledger_log)
        with open(kiosk_log, "wb") as log:
            kiosk = subprocess.Popen(
                booth + ["kiosk", "--socket", str(sock), "--size", SIZE], stdout=log, stderr=log, env=ENV
            )
        time.sleep(2)  # the kiosk's first frames

        def sample() -> None:
            while not stop.wait(0.2):
                for name, proc in (("ledger", ledger), ("kiosk", kiosk)):
                    rss = status_mb(proc.pid, "VmRSS")
                    if rss is not None:
                        samples[name].append(rss)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        begun = time.monotonic()
        voted = drive_day(BoothClient(sock, timeout=60), pkg_dir, args.voters, work)
        elapsed = time.monotonic() - begun
        time.sleep(1)  # the kiosk shows the closed booth
        if kiosk.poll() is not None:
            raise SystemExit(f"the kiosk exited ({kiosk.returncode}):\n{kiosk_log.read_text()[-2000:]}")
        peak = {"ledger": status_mb(ledger.pid, "VmHWM"), "kiosk": status_mb(kiosk.pid, "VmHWM")}
        # The package's photos are checked in a child: Pillow must never be mapped in the service.
        pillow_in_ledger = "/PIL/" in Path(f"/proc/{ledger.pid}/maps").read_text()
    finally:
        stop.set()
        for proc in (kiosk, ledger):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)

    bare = reference_mb("import time")
    w, h = (int(x) for x in SIZE.split("x"))
    with_pygame = reference_mb(
        "import pygame\npygame.display.init(); pygame.font.init()\n"
        f"s = pygame.display.set_mode(({w}, {h})); s.fill((255, 255, 255)); pygame.display.flip()"
    )
    print(f"service memory through a day of {voted} voters ({elapsed:.0f} s of driving, {SIZE}):")
    print(f"  references (same run): bare Python {bare:.0f} MB; Python + pygame display {SIZE} {with_pygame:.0f} MB")
    for name in ("ledger", "kiosk"):
        last = samples[name][-1] if samples[name] else float("nan")
        first = samples[name][0] if samples[name] else float("nan")
        print(
            f"  {name:6s} peak RSS {peak[name]:.0f} MB (target <= {TARGETS_MB[name]} MB); "
            f"RSS at the first voter {first:.0f} MB, at the end {last:.0f} MB"
        )
    print(f"  Pillow loaded in the ledger service: {'yes' if pillow_in_ledger else 'no'} (photo check: a child)")
    if args.json:
        print(
            json.dumps(
                {
                    "voters": voted,
                    "pillow_in_ledger": pillow_in_ledger,
                    "kiosk_peak_rss_mb": round(peak["kiosk"] or 0, 1),
                    "ledger_peak_rss_mb": round(peak["ledger"] or 0, 1),
                    "kiosk_target_mb": TARGETS_MB["kiosk"],
                    "ledger_target_mb": TARGETS_MB["ledger"],
                    "bare_python_mb": round(bare, 1),
                    "python_pygame_display_mb": round(with_pygame, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
