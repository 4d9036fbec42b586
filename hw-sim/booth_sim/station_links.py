"""A station's links as real processes on loopback: a desk and N booths, each its own link process.

Each device gets a device key, its link credentials (``booth station link-credentials``), a TOML
configuration pinning its peers and a control socket; :class:`StationLinks` starts
``python -m booth station link`` for each, kills and restarts them, and gives each a
:class:`booth.station.link.LinkClient`.  Used by tests/test_station_transport.py,
tests/test_station_link_watch.py and benchmarks/station_link.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from booth.ledger.keys import DeviceKey
from booth.station import transport
from booth.station.link import LinkClient

ROOT = Path(__file__).resolve().parent.parent.parent  # the source tree: hw-sim/booth_sim/../..


def link_command() -> list[str]:
    return [sys.executable, "-m", "booth", "station", "link"]


class Device:
    """One device's link: its files, its process, its client."""

    def __init__(self, root: Path, label: str, role: str, device_key: Path | None = None) -> None:
        self.label = label
        self.role = role
        self.dir = root / label
        self.dir.mkdir(parents=True)
        if device_key is None:  # a device of its own; or the key of a ledger the test runs
            device_key = self.dir / "device.key"
            DeviceKey.create(device_key)
        self.fingerprint = transport.write_credentials(device_key, self.dir / "credentials", label)
        self.state = self.dir / "link"
        self.config = self.dir / "link.toml"
        self.control = self.dir / "control.sock"
        self.log = self.dir / "link.log"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self._client: LinkClient | None = None

    @property
    def certificate(self) -> Path:
        return self.dir / "credentials" / "device.pem"

    def write_config(self, peers: list[Device], *, listen: str | None = None, desk: str | None = None, beat=0.2):
        lines = [f'role = "{self.role}"', f'label = "{self.label}"', f"beat = {beat}"]
        lines.append(f'credentials = "{self.dir / "credentials"}"')
        lines.append(f'listen = "{listen}"' if listen else f'desk = "{desk}"')
        for peer in peers:
            lines += [
                f"[peers.{peer.label}]",
                f'certificate = "{peer.certificate}"',
                f'fingerprint = "{peer.fingerprint}"',
            ]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self, *extra: str) -> Device:
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "hw-sim"), env.get("PYTHONPATH", "")])
        argv = link_command() + [
            "--state",
            str(self.state),
            "--role",
            self.role,
            "--config",
            str(self.config),
            "--control",
            str(self.control),
            *extra,
        ]
        log = open(self.log, "ab")  # noqa: SIM115 (the process keeps it)
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, env=env, text=True)
        log.close()
        deadline = time.monotonic() + 30
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"{self.label}'s link exited:\n{self.log.read_text()}")
            if line.startswith("listening"):
                self.port = int(line.rsplit(":", 1)[1])
            if line.strip() == "ready":
                threading.Thread(target=self.process.stdout.read, daemon=True).start()  # drain
                return self
        raise AssertionError(f"{self.label}'s link did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: a crash or a power cut as the link sees it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        if self._client:
            self._client.close()

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)

    @property
    def client(self) -> LinkClient:
        if self._client is None:
            self._client = LinkClient(self.control, timeout=40)
        return self._client

    def status(self) -> dict:
        return self.client.status()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


class StationLinks:
    """A desk ("meja") and booths ("bilik-1" ...) with pinned keys, started as link processes."""

    def __init__(self, booths: int = 3, *, beat: float = 0.2, keys: dict[str, Path] | None = None) -> None:
        # Unix socket paths are limited to 108 bytes: a short directory, not pytest's tmp_path.
        self.root = Path(tempfile.mkdtemp(prefix="sl", dir="/tmp"))
        self.beat = beat
        keys = keys or {}
        self.desk = Device(self.root, "meja", "desk", keys.get("meja"))
        self.booths = [Device(self.root, f"bilik-{i}", "booth", keys.get(f"bilik-{i}")) for i in range(1, booths + 1)]
        self.desk.write_config(self.booths, listen="127.0.0.1:0", beat=beat)

    def start(self, *, via: dict[str, int] | None = None) -> StationLinks:
        """Start the desk, then each booth (pointed at ``via[label]``, a proxy's port, if given)."""
        self.desk.start()
        for booth in self.booths:
            port = (via or {}).get(booth.label, self.desk.port)
            booth.write_config([self.desk], desk=f"127.0.0.1:{port}", beat=self.beat)
            booth.start()
        return self

    def booth(self, label: str) -> Device:
        return next(b for b in self.booths if b.label == label)

    def wait_status(self, label: str, status: str, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.desk.status()["peers"][label]
            if seen["status"] == status:
                return seen
            time.sleep(0.05)
        raise AssertionError(f"{label} never became {status}: {self.desk.status()}\n{self.desk.log_text()[-2000:]}")

    def close(self) -> None:
        for device in [self.desk, *self.booths]:
            if device.process and device.process.poll() is None:
                device.process.kill()
                device.process.wait(timeout=10)
            if device._client:
                device._client.close()
        shutil.rmtree(self.root, ignore_errors=True)


class CuttingProxy:
    """A TCP proxy on loopback that cuts every connection after ``cut_after`` bytes (both ways
    counted): the station's network dropping a link in the middle of a send."""

    def __init__(self, target_port: int, cut_after: int) -> None:
        self.target = target_port
        self.cut_after = cut_after
        self.cuts = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            budget = [self.cut_after]
            lock = threading.Lock()
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, budget, lock), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, budget: list[int], lock: threading.Lock) -> None:
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                with lock:
                    take = min(len(data), budget[0])
                    budget[0] -= take
                if take:
                    dst.sendall(data[:take])
                if take < len(data):
                    with lock:
                        self.cuts += 1
                    break
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.stopped = True
        self.listener.close()
