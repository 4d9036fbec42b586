"""The real boot test: booth installed into Debian bookworm exactly as on the device, booted under systemd.

What it shows, each a test below, on one booted container:

* ``booth-ledger`` reaches READY (``Type=notify``: active) with a status line a companion can read;
* ``booth-kiosk`` (SDL's dummy video and audio drivers, every device simulated by
  /etc/booth/hardware.toml) reaches READY: its first frame is drawn and the ledger answered;
  its watchdog is fed; it runs as ``booth-kiosk``, cannot read /var/lib/booth inside its
  own sandbox, and has no network;
* while the ledger service is hung (SIGSTOP) and then SIGKILLed and restarted, the kiosk keeps
  running (same PID, no restart), its status line says "Mohon tunggu …" (the "please wait"
  screen, ``unavailable``), and after the ledger is back it says "Kiosk siap …" with a higher
  ledger connection number: it reconnected;
* a scripted voter session runs through ``/run/booth/api.sock`` as the kiosk's user, and
  root (not the kiosk's UID) is refused by the service itself;
* the kiosk's user cannot read the device key or the database;
* the ledger service has no network (its own network namespace, only ``lo``; it cannot
  reach even a listener on the container's loopback);
* SIGKILL of the ledger service and a starved watchdog (SIGSTOP) each lead to a restart
  by systemd with the day intact, and ``booth verify`` passes on the state directory;
* start-up is timed (service start to READY, by systemd's own timestamps, for the ledger and
  the kiosk), and so is a power cut while a voter is at the booth (both services SIGKILLed at
  once) until the voters' screen is back; the release nobody voted on is cancelled and the
  same voter is released again and votes;
* the install script is idempotent.

How: ``mmdebstrap`` builds a bookworm root (cached as a tarball under
/var/tmp/booth-boot-test, keyed by the package list), ``images/install-booth.sh``
installs a booth wheel built from this tree and its dependencies from a
wheelhouse downloaded on the host (no network needed inside), and
``systemd-nspawn -b`` boots it; the test drives it with ``nsenter -t PID -a``
where PID is the container's init as seen from the host.

Needs root, mmdebstrap and systemd-container (``scripts/setup --test``
installs them), and the Debian mirror and PyPI on first run.  About 1-2
minutes with the cache, plus ~1.5 minutes to build the cache.

Extending it: the kiosk runs with a drop-in (KIOSK_DROPIN); the voter session
itself is driven by a stand-in client (CLIENT_SCRIPT) beside the running kiosk,
which follows it on its (dummy) screen.  ``Booted.run`` runs any command
inside; ``Booted.client`` runs the stand-in; ``Booted.kiosk_status`` reads the
kiosk's STATUS= line.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

import debian_root

REPO = Path(__file__).resolve().parent.parent
CACHE = Path("/var/tmp/booth-boot-test")
SUITE = "bookworm"
VARIANT = "apt"
# What the appliance's base system needs (the Pi image adds Raspberry Pi OS's packages).
PACKAGES = ("systemd", "systemd-sysv", "dbus", "python3", "python3-venv", "fonts-dejavu-core", "iproute2")
NSPAWN = (
    "systemd-nspawn",
    "-q",
    "-b",
    "--register=no",
    "--keep-unit",
    "--console=read-only",
    "--private-network",
    "--system-call-filter=bpf",
)
LEDGER = "booth-ledger.service"
KIOSK = "booth-kiosk.service"
CLIENT_HOME = "/var/tmp/booth-boot-client"
# The kiosk in the container: no display, no sound card; /etc/booth/hardware.toml (which the
# unit passes) says every device is simulated (BOOTH_SIM=1 at install).
KIOSK_DROPIN = """[Service]
Environment=SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
"""

_missing = [tool for tool in ("mmdebstrap", "systemd-nspawn", "nsenter", "unshare") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.boot,
    pytest.mark.skipif(os.geteuid() != 0, reason="the boot test needs root (mmdebstrap, systemd-nspawn)"),
    pytest.mark.skipif(
        bool(_missing),
        reason=f"not installed: {', '.join(_missing)} (Debian packages mmdebstrap, systemd-container, util-linux)",
    ),
]

# The kiosk's stand-in inside the container: drives the booth through the socket, as the
# kiosk would, and prints one JSON line.  Run as booth-kiosk with /opt/booth/bin/python.
CLIENT_SCRIPT = r"""
import io, json, sys, time
from pathlib import Path

from booth.api_client import BoothClient
from booth.errors import AlreadyVoted, BoothError, TooSoon

HOME = Path("/var/tmp/booth-boot-client")
client = BoothClient("/run/booth/api.sock")


def package():
    from booth.demo_election import make_demo_package
    from booth.election_package import load_package

    pkg_dir = HOME / "pkg" / "pekon-sukamaju-demo"
    if not pkg_dir.exists():
        make_demo_package(HOME / "pkg", voters=20)
    return pkg_dir, load_package(pkg_dir)


def pins(pkg):
    return {c.id: "2580" + c.id[-2:] for c in pkg.companions}


def sign_in(pkg):
    ketua = next(c.id for c in pkg.companions if c.role == "ketua")
    return client.sign_in(ketua, pins(pkg)[ketua])


def open_day():
    pkg_dir, pkg = package()
    if client.status()["election_id"] is None:
        client.load_election(str(pkg_dir))
    teknisi = next(c.id for c in pkg.companions if c.role == "teknisi")
    for stage, place in (("received", "Kantor Kecamatan"), ("distributed", "Jalan ke pekon")):
        if client.status()["custody_next"] == stage:
            client.record_custody(stage, companion_id=teknisi, place=place)
    for c in client.election_info()["companions"]:
        if not c["has_pin"]:
            client.set_first_pin(c["id"], pins(pkg)[c["id"]])
    token = sign_in(pkg)
    if client.status()["custody_next"] == "handed_over":
        client.record_custody("handed_over", token=token, place="Balai Pekon")
    if client.status()["custody_next"] == "installed":
        client.record_custody("installed", token=token, place="Balai Pekon",
                              self_test={"printer": "sim ok", "camera": "sim ok"})
    status = client.status()
    if status["polls"] == "configured":
        if not status["zero_report_printed"]:
            client.zero_report(token)
            client.zero_report_printed(token)
        client.open_polls(token)
    return client.status()


def photo():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (48, 64), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


def vote(count):
    _, pkg = package()
    voted = []
    for voter in pkg.voters:
        if len(voted) == count:
            break
        token = sign_in(pkg)
        try:
            client.check_in(token, voter.ref)
        except AlreadyVoted:
            continue
        release = client.release_ballot(token, voter.ref)["release"]
        slip = cast(release, str(1 + len(voted) % 3))
        voted.append({"voter": voter.ref, "selection": slip["selection"]})
    return {"voted": voted, "status": client.status()}


def verify():
    _, pkg = package()
    return client.verify_ledger(sign_in(pkg))


def release():  # the next voter checked in and released to the booth; the session left open
    _, pkg = package()
    for voter in pkg.voters:
        token = sign_in(pkg)
        try:
            client.check_in(token, voter.ref)
        except AlreadyVoted:
            continue
        return {"voter": voter.ref, "release": client.release_ballot(token, voter.ref)["release"]}
    raise SystemExit("nobody left to vote")


def cast(release, selection):  # finish an open session as the kiosk would: cast, slip, photo
    while True:
        try:
            slip = client.cast(release, selection)
            break
        except TooSoon as exc:  # the kiosk says "Mohon tunggu" and tries again
            time.sleep(exc.details["wait_seconds"] + 0.1)
    client.slip_printed(release)
    client.slip_confirmed(release)  # "Struk sesuai"
    client.store_photo(release, photo())
    return {"selection": slip["selection"], "status": client.status()}


def finish():
    _, pkg = package()
    token = sign_in(pkg)
    client.close_polls(token, "uji boot / boot test")
    results = client.count(token)
    client.results_printed(token)
    bundle = client.export(token, str(HOME / "hasil-tps1.zip"))
    client.pack(token)
    return {"tally": results["tally"], "balanced": results["reconciliation"]["balanced"], "bundle": bundle,
            "status": client.status()}


commands = {"open": open_day, "status": client.status, "verify": verify, "finish": finish,
            "vote": lambda: vote(int(sys.argv[2])), "release": release,
            "cast": lambda: cast(sys.argv[2], sys.argv[3]), "voter_screen": client.voter_screen}
try:
    print(json.dumps(commands[sys.argv[1]]()))
except BoothError as exc:
    print(json.dumps({"refused": exc.to_json()}))
    sys.exit(3)
"""


# ------------------------------------------------------------------ building
def base_tarball() -> Path:
    """The Debian root as a tarball, built once per package list."""
    return debian_root.base_tarball(CACHE, SUITE, VARIANT, PACKAGES)


def _dependencies() -> list[str]:
    """booth's requirements with the extras the install script installs (kiosk, hardware)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    return project["dependencies"] + extras.get("kiosk", []) + extras.get("hardware", [])


def wheelhouse(machine: str | None = None) -> Path:
    """booth's dependencies as wheels for bookworm's Python 3.11 on ``machine`` (default: this
    one; ``aarch64`` for the Pi), downloaded on the host once."""
    machine = machine or platform.machine()
    deps = _dependencies()
    key = hashlib.sha256(json.dumps([sorted(deps), "cp311", machine]).encode()).hexdigest()
    target = CACHE / f"wheels-{key[:16]}"
    with debian_root.locked(CACHE / "wheels.lock"):
        if not target.exists():
            partial = CACHE / f"wheels-{key[:16]}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(36, 16, -1)]
            platforms += [f"manylinux2014_{machine}", f"linux_{machine}"]
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--only-binary=:all:",
                    "--dest",
                    str(partial),
                    "--python-version",
                    "3.11",
                    "--implementation",
                    "cp",
                    "--abi",
                    "cp311",
                    "--abi",
                    "abi3",
                    "--abi",
                    "none",
                    *[arg for p in platforms for arg in ("--platform", p)],
                    *deps,
                ],
                check=True,
                timeout=600,
            )
            os.replace(partial, target)
    return target


def booth_wheel(out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        timeout=600,
    )
    return next(out.glob("booth-*.whl"))


def install(root: Path, wheel: Path, wheels: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(REPO / "images" / "install-booth.sh"), "--wheelhouse", str(wheels), str(root), str(wheel)],
        env={**os.environ, "BOOTH_SIM": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )


def manifest(root: Path) -> dict[str, str]:
    """What the install leaves behind, to compare two runs (booth's files, users, units, config)."""
    out = {}
    for rel in (
        "etc/passwd",
        "etc/group",
        "etc/booth/hardware.toml",
        "usr/lib/sysusers.d/booth.conf",
        "usr/lib/tmpfiles.d/booth.conf",
    ):
        out[rel] = hashlib.sha256((root / rel).read_bytes()).hexdigest()
    for directory in ("usr/lib/systemd/system", "etc/systemd/system"):
        for path in sorted((root / directory).rglob("*booth*")):
            out[str(path.relative_to(root))] = (
                os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
            )
    st = (root / "var/lib/booth").stat()
    out["var/lib/booth"] = f"{st.st_mode:o} {st.st_uid}"
    return out


# ------------------------------------------------------------------ booting
class Booted:
    """A booted container, driven from the host with nsenter."""

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.log = log
        self.nspawn: subprocess.Popen | None = None
        self.init_pid: int | None = None
        self.kiosk = False
        self.installs: list[subprocess.CompletedProcess] = []
        self.manifests: list[dict] = []

    def boot(self, timeout: float = 120) -> None:
        with open(self.log, "ab") as log:
            self.nspawn = subprocess.Popen(
                [*NSPAWN, "-D", str(self.root)], stdout=log, stderr=log, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.nspawn.poll() is not None:
                raise AssertionError(f"systemd-nspawn exited ({self.nspawn.returncode}):\n{self.tail()}")
            if self.init_pid is None:
                children = []
                for task in Path(f"/proc/{self.nspawn.pid}/task").iterdir():
                    children += (task / "children").read_text().split()
                self.init_pid = int(children[0]) if children else None
            if self.init_pid and Path(f"/proc/{self.init_pid}/root/run/systemd/private").exists():
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the container's systemd did not come up:\n" + self.tail())
        state = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=timeout).stdout.strip()
        assert state in ("running", "degraded"), state + "\n" + self.tail()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def run(self, *argv: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        """A command inside the container, as root there."""
        result = subprocess.run(
            ["nsenter", "-t", str(self.init_pid), "-a", *argv], capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{argv} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def systemctl(self, *args: str, check: bool = True) -> str:
        return self.run("systemctl", *args, check=check).stdout.strip()

    def show(self, unit: str, prop: str) -> str:
        return self.systemctl("show", unit, "-p", prop, "--value")

    def main_pid(self, unit: str = LEDGER) -> int:
        return int(self.show(unit, "MainPID"))

    def wait_active(self, unit: str = LEDGER, *, other_than: int | None = None, timeout: float = 60) -> int:
        """Wait until the unit is active (READY sent) with a main PID other than ``other_than``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.systemctl("is-active", unit, check=False) == "active":
                pid = self.main_pid(unit)
                if pid and pid != other_than:
                    return pid
            time.sleep(0.2)
        raise AssertionError(
            f"{unit} did not become active:\n"
            + self.run("journalctl", "-u", unit, "--no-pager", "-n", "30", check=False).stdout
        )

    def kiosk_status(self) -> str:
        return self.show(KIOSK, "StatusText")

    def wait_kiosk_status(self, pattern: str, timeout: float = 30) -> re.Match:
        """Wait until the kiosk's STATUS= line matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.kiosk_status()
            found = re.search(pattern, text)
            if found:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"kiosk status {text!r} never matched {pattern!r}:\n"
                    + self.run("journalctl", "-u", KIOSK, "--no-pager", "-n", "30", check=False).stdout
                )
            time.sleep(0.2)

    def client(self, *args: str, user: str = "booth-kiosk", check: bool = True) -> dict:
        """The kiosk stand-in, as ``user``; its JSON answer."""
        result = self.run(
            "runuser",
            "-u",
            user,
            "--",
            "/opt/booth/bin/python",
            f"{CLIENT_HOME}/kiosk.py",
            *args,
            check=False,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"client {args} as {user} failed:\n{result.stdout}\n{result.stderr}")
        lines = result.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else {"stderr": result.stderr}

    def poweroff(self) -> None:
        if self.nspawn is None or self.nspawn.poll() is not None:
            return
        self.nspawn.send_signal(signal.SIGTERM)  # nspawn asks the container's systemd to power off
        try:
            self.nspawn.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.nspawn.kill()
            self.nspawn.wait(timeout=30)


@pytest.fixture(scope="module")
def booted():
    started = time.monotonic()
    tarball = base_tarball()
    wheels = wheelhouse()
    work = CACHE / f"run-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    root = work / "root"
    root.mkdir(parents=True)
    container = Booted(root, work / "console.log")
    try:
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-xf", str(tarball)], check=True, timeout=600)
        wheel = booth_wheel(work / "dist")
        for _ in range(2):  # twice: the second run must change nothing
            container.installs.append(install(root, wheel, wheels))
            assert container.installs[-1].returncode == 0, container.installs[-1].stderr
            container.manifests.append(manifest(root))
        served = subprocess.run(
            ["chroot", str(root), "/opt/booth/bin/booth", "service", "ledger", "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if served.returncode != 0:
            pytest.fail(
                "`booth service ledger` does not exist in the installed booth: booth/cli.py must call "
                "booth.service_cli.register(sub)\n" + served.stderr[-500:]
            )
        kiosk = subprocess.run(
            ["chroot", str(root), "/opt/booth/bin/booth", "kiosk", "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if kiosk.returncode != 0:
            pytest.fail(
                "`booth kiosk` does not exist in the installed booth: booth/cli.py must call "
                "booth.ui.kiosk_cli.register(sub)\n" + kiosk.stderr[-500:]
            )
        hardware = tomllib.loads((root / "etc/booth/hardware.toml").read_text())
        assert set(hardware["drivers"].values()) == {"sim"}, hardware  # BOOTH_SIM=1
        dropin = root / "etc/systemd/system" / f"{KIOSK}.d" / "boot-test.conf"
        dropin.parent.mkdir(parents=True, exist_ok=True)
        dropin.write_text(KIOSK_DROPIN)
        container.kiosk = True
        client_home = root / CLIENT_HOME.lstrip("/")
        client_home.mkdir(parents=True)
        (client_home / "kiosk.py").write_text(CLIENT_SCRIPT)
        kiosk_uid = int(
            next(
                line.split(":")[2]
                for line in (root / "etc/passwd").read_text().splitlines()
                if line.startswith("booth-kiosk:")
            )
        )
        os.chown(client_home, kiosk_uid, kiosk_uid)
        print(f"\nboot test: root ready in {time.monotonic() - started:.0f} s")
        container.boot()
        print(f"boot test: booted after {time.monotonic() - started:.0f} s")
        yield container
    finally:
        container.poweroff()
        print(f"boot test: done after {time.monotonic() - started:.0f} s")
        # --one-file-system: never follow a mount left inside the root into the host
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False, timeout=600)


# ------------------------------------------------------------------ the tests
def test_the_install_script_is_idempotent(booted):
    first, second = booted.manifests
    assert first == second
    assert "writing /etc/booth/hardware.toml: every device SIMULATED" in booted.installs[0].stdout
    assert "keeping the existing /etc/booth/hardware.toml" in booted.installs[1].stdout
    assert "creating the venv" not in booted.installs[1].stdout


def test_the_ledger_service_reaches_ready(booted):
    booted.wait_active(LEDGER)
    assert booted.show(LEDGER, "Type") == "notify"
    assert booted.show(LEDGER, "NRestarts") == "0"
    assert "Belum ada paket pemilihan" in booted.show(LEDGER, "StatusText")  # for the companion
    assert booted.systemctl("is-active", "booth-ledger.socket") == "active"
    listing = booted.run("stat", "-c", "%A %U %G", "/run/booth/api.sock").stdout.split()
    assert listing == ["srw-rw----", "booth-ledger", "booth-api"]
    assert booted.run("stat", "-c", "%a %U", "/var/lib/booth").stdout.split() == ["700", "booth-ledger"]


def test_the_kiosk_reaches_ready(booted):
    pid = booted.wait_active(KIOSK)  # Type=notify: active only after READY=1 (first frame + the ledger answered)
    assert booted.show(KIOSK, "Type") == "notify"
    assert booted.show(KIOSK, "NRestarts") == "0"
    assert "SDL_VIDEODRIVER=dummy" in booted.show(KIOSK, "Environment")
    assert "--hardware /etc/booth/hardware.toml" in booted.show(KIOSK, "ExecStart")
    booted.wait_kiosk_status(r"^Kiosk siap; layar \w+; sambungan buku besar ke-\d+ / Kiosk ready")
    uid = booted.run("id", "-u", "booth-kiosk").stdout.strip()
    assert booted.run("stat", "-c", "%u", f"/proc/{pid}").stdout.strip() == uid
    # the watchdog is armed and fed: still the same process well past half of WatchdogSec
    assert booted.show(KIOSK, "WatchdogUSec") == "15s"
    journal = booted.run("journalctl", "-u", KIOSK, "--no-pager", "-o", "cat").stdout
    assert "Traceback" not in journal, journal[-2000:]


def _inside_kiosk(booted, *argv: str) -> subprocess.CompletedProcess:
    """``argv`` in the kiosk service's own namespaces (its sandbox), as its user and groups."""
    pid = str(booted.wait_active(KIOSK))
    ids = booted.run("id", "-u", "booth-kiosk").stdout.strip(), booted.run("id", "-g", "booth-kiosk").stdout.strip()
    return booted.run("nsenter", "-t", pid, "-m", "-n", "-S", ids[0], "-G", ids[1], *argv, check=False)


def test_the_kiosk_service_cannot_read_the_state_directory(booted):
    for secret in ("/var/lib/booth/device.key", "/var/lib/booth/ledger.db"):
        assert booted.run("test", "-e", secret, check=False).returncode == 0, f"{secret} should exist"
        attempt = _inside_kiosk(booted, "cat", secret)
        assert attempt.returncode != 0 and attempt.stdout == "", secret
    listing = _inside_kiosk(booted, "ls", "-A", "/var/lib/booth")
    assert listing.returncode != 0 or listing.stdout.strip() == ""  # InaccessiblePaths: nothing to see
    assert booted.show(KIOSK, "InaccessiblePaths") == "-/var/lib/booth"


def test_the_kiosk_has_no_network(booted):
    pid = str(booted.wait_active(KIOSK))
    own = booted.run("readlink", f"/proc/{pid}/ns/net").stdout.strip()
    assert own != booted.run("readlink", "/proc/1/ns/net").stdout.strip()  # PrivateNetwork=yes
    links = booted.run("nsenter", "-t", pid, "-n", "ip", "-o", "link").stdout.strip().splitlines()
    assert [line.split(":")[1].strip() for line in links] == ["lo"]
    assert booted.show(KIOSK, "PrivateNetwork") == "yes"
    assert booted.show(KIOSK, "IPAddressDeny") != ""


def test_a_voter_session_runs_through_the_socket_as_the_kiosk_user(booted):
    opened = booted.client("open")
    assert opened["polls"] == "open" and opened["election_short_id"]
    session = booted.client("vote", "2")
    assert len(session["voted"]) == 2
    assert session["status"]["counts"]["ballots_cast"] == 2 and session["status"]["counts"]["photos"] == 2
    assert "2 suara tercatat" in booted.show(LEDGER, "StatusText")
    assert booted.client("verify")["valid"]


def test_only_the_kiosk_user_is_served(booted):
    # root can open the socket file, but the service checks the peer's UID (SO_PEERCRED)
    refused = booted.client("status", user="root", check=False)
    assert refused["refused"]["code"] == "peer_refused"
    # any other user cannot even open it (socket mode 0660, group booth-api)
    nobody = booted.run(
        "runuser",
        "-u",
        "nobody",
        "--",
        "/opt/booth/bin/python",
        "-c",
        "import socket; socket.socket(socket.AF_UNIX).connect('/run/booth/api.sock')",
        check=False,
    )
    assert nobody.returncode != 0 and "PermissionError" in nobody.stderr


def test_the_kiosk_user_cannot_read_the_key_or_the_database(booted):
    for secret in ("/var/lib/booth/device.key", "/var/lib/booth/ledger.db", "/var/lib/booth/vault.db"):
        assert booted.run("test", "-e", secret, check=False).returncode == 0, f"{secret} should exist"
        attempt = booted.run("runuser", "-u", "booth-kiosk", "--", "cat", secret, check=False)
        assert attempt.returncode != 0 and "Permission denied" in attempt.stderr, secret
    listing = booted.run("runuser", "-u", "booth-kiosk", "--", "ls", "/var/lib/booth", check=False)
    assert listing.returncode != 0


def test_the_ledger_service_has_no_network(booted):
    pid = str(booted.wait_active(LEDGER))
    own = booted.run("readlink", f"/proc/{pid}/ns/net").stdout.strip()
    container = booted.run("readlink", "/proc/1/ns/net").stdout.strip()
    assert own != container  # PrivateNetwork=yes: a network namespace of its own
    links = booted.run("nsenter", "-t", pid, "-n", "ip", "-o", "link").stdout.strip().splitlines()
    assert [line.split(":")[1].strip() for line in links] == ["lo"]
    # A listener on the container's loopback cannot be reached from the ledger's namespace.
    probe = (
        "import socket, sys\n"
        "s = socket.socket()\n"
        "try:\n"
        "    s.connect(('127.0.0.1', 8765)); print('connected')\n"
        "except OSError as e:\n"
        "    print('refused', e.errno)\n"
    )
    listener = subprocess.Popen(
        [
            "nsenter",
            "-t",
            str(booted.init_pid),
            "-a",
            "/usr/bin/python3",
            "-c",
            "import socket, time; s = socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            "s.bind(('127.0.0.1', 8765)); s.listen(); time.sleep(30)",
        ]
    )
    try:
        time.sleep(1.0)
        assert booted.run("/usr/bin/python3", "-c", probe).stdout.strip() == "connected"
        from_ledger = booted.run("nsenter", "-t", pid, "-n", "/usr/bin/python3", "-c", probe).stdout.strip()
        assert from_ledger.startswith("refused")
    finally:
        listener.kill()
        listener.wait()
    assert booted.show(LEDGER, "RestrictAddressFamilies") == "AF_UNIX"
    assert booted.show(LEDGER, "PrivateNetwork") == "yes"


def _day(booted) -> dict:
    status = booted.client("status")
    return {"polls": status["polls"], "counts": status["counts"], "election": status["election_id"]}


def test_sigkill_of_the_ledger_restarts_it_with_the_day_intact(booted):
    before = _day(booted)
    old = booted.wait_active(LEDGER)
    restarts = int(booted.show(LEDGER, "NRestarts"))
    booted.systemctl("kill", "-s", "KILL", LEDGER)
    booted.wait_active(LEDGER, other_than=old)
    assert int(booted.show(LEDGER, "NRestarts")) == restarts + 1
    assert _day(booted) == before
    assert len(booted.client("vote", "1")["voted"]) == 1  # and the day goes on


def test_a_starved_watchdog_restarts_the_ledger_with_the_day_intact(booted):
    before = _day(booted)
    old = booted.wait_active(LEDGER)
    restarts = int(booted.show(LEDGER, "NRestarts"))
    booted.systemctl("kill", "-s", "STOP", "--kill-whom=main", LEDGER)  # hung: no more WATCHDOG=1
    started = time.monotonic()
    booted.wait_active(LEDGER, other_than=old, timeout=90)
    waited = time.monotonic() - started
    print(f"watchdog restart after {waited:.0f} s (WatchdogSec={booted.show(LEDGER, 'WatchdogUSec')})")
    journal = booted.run("journalctl", "-u", LEDGER, "--no-pager", "-o", "cat").stdout
    assert re.search(r"Watchdog timeout", journal), journal[-2000:]
    assert int(booted.show(LEDGER, "NRestarts")) == restarts + 1
    assert _day(booted) == before
    assert len(booted.client("vote", "1")["voted"]) == 1


def test_the_kiosk_rides_out_a_ledger_restart(booted):
    kiosk = booted.wait_active(KIOSK)
    kiosk_restarts = booted.show(KIOSK, "NRestarts")
    before = int(booted.wait_kiosk_status(r"^Kiosk siap; .*ke-(\d+) /").group(1))
    old = booted.wait_active(LEDGER)
    # Hung first (SIGSTOP), so the outage lasts long enough to see: the kiosk's poll gives up
    # after POLL_TIMEOUT and it shows its "please wait" screen (STATUS: "Mohon tunggu ...").
    booted.systemctl("kill", "-s", "STOP", "--kill-whom=main", LEDGER)
    booted.wait_kiosk_status(r"^Mohon tunggu: layanan buku besar belum menjawab; layar unavailable", timeout=20)
    booted.systemctl("kill", "-s", "KILL", LEDGER)
    booted.wait_active(LEDGER, other_than=old)
    after = int(booted.wait_kiosk_status(r"^Kiosk siap; .*ke-(\d+) /", timeout=30).group(1))
    assert after > before  # it connected again, to the new ledger process
    assert booted.main_pid(KIOSK) == kiosk and booted.show(KIOSK, "NRestarts") == kiosk_restarts
    # ... and it rode out the earlier ledger faults (SIGKILL, starved watchdog) the same way
    assert kiosk_restarts == "0", booted.run(
        "journalctl", "-u", KIOSK, "--no-pager", "-o", "short-monotonic", check=False
    ).stdout[-3000:]
    assert booted.systemctl("is-active", KIOSK) == "active"
    assert booted.client("status")["polls"] == "open"  # the day goes on


def startup_seconds(booted, unit: str) -> float:
    """From the service's process start to its READY=1, by systemd's own monotonic timestamps."""
    started = int(booted.show(unit, "ExecMainStartTimestampMonotonic"))
    ready = int(booted.show(unit, "ActiveEnterTimestampMonotonic"))
    assert ready >= started > 0, (unit, started, ready)
    return (ready - started) / 1e6


def test_start_up_and_recovery_from_a_power_cut_mid_session_are_timed(booted):
    """#15 item 6: service start -> READY, and a power cut while a voter is at the booth ->
    the voters' screen again, the state on disk; the figures are printed."""
    booted.wait_active(LEDGER)
    booted.wait_active(KIOSK)
    old_ledger = booted.main_pid(LEDGER)
    booted.systemctl("restart", LEDGER)
    booted.wait_active(LEDGER, other_than=old_ledger)
    ledger_s = startup_seconds(booted, LEDGER)
    old_kiosk = booted.main_pid(KIOSK)
    booted.systemctl("restart", KIOSK)
    booted.wait_active(KIOSK, other_than=old_kiosk)
    kiosk_s = startup_seconds(booted, KIOSK)

    session = booted.client("release")
    booted.wait_kiosk_status(r"^Kiosk siap; layar ballot;", timeout=30)  # the voter sees the ballot
    old_ledger, old_kiosk = booted.main_pid(LEDGER), booted.main_pid(KIOSK)
    cut = time.monotonic()
    # The power cut, as far as the processes can tell: both killed at once, nothing flushed.
    booted.systemctl("kill", "-s", "KILL", LEDGER, KIOSK)
    booted.wait_active(LEDGER, other_than=old_ledger, timeout=60)
    booted.wait_active(KIOSK, other_than=old_kiosk, timeout=60)
    # Back: the release nobody voted on is cancelled by the core (never a half-cast), and the
    # booth shows the voters' waiting screen again.
    booted.wait_kiosk_status(r"^Kiosk siap; layar waiting;", timeout=60)
    recovered_s = time.monotonic() - cut
    print(
        f"\nstart-up to READY: ledger {ledger_s:.2f} s, kiosk {kiosk_s:.2f} s; "
        f"power cut mid-session -> the voters' screen again: {recovered_s:.2f} s "
        f"(RestartSec={booted.show(KIOSK, 'RestartUSec')})"
    )
    assert booted.client("voter_screen")["screen"] == "waiting"
    # The companion releases the same voter again, and the vote goes through.
    again = booted.client("release")
    assert again["voter"] == session["voter"] and again["release"] != session["release"]
    assert booted.client("cast", again["release"], "2")["selection"] == "2"
    assert ledger_s < 60 and kiosk_s < 60 and recovered_s < 120  # sanity only: timings never fail CI


def test_booth_verify_passes_on_the_state_directory(booted):
    # The kiosk first: its polls would start the socket-activated ledger again during the check.
    booted.systemctl("stop", KIOSK)
    assert booted.show(KIOSK, "Result") == "success"  # SIGTERM: a clean stop (STOPPING=1)
    booted.systemctl("stop", LEDGER)  # the service holds the database exclusively while it runs
    assert booted.show(LEDGER, "Result") == "success"  # SIGTERM: a clean stop (STOPPING=1, exit 0)
    checked = booted.run(
        "runuser", "-u", "booth-ledger", "--", "/opt/booth/bin/booth", "verify", "/var/lib/booth", check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    booted.systemctl("start", LEDGER, KIOSK)
    booted.wait_active(LEDGER)
    booted.wait_active(KIOSK)


def test_the_day_closes_and_exports_through_the_socket(booted):
    finished = booted.client("finish")
    assert finished["balanced"] and sum(finished["tally"].values()) == 5
    assert finished["status"]["sealed"]
    bundle = booted.run(
        "runuser", "-u", "booth-kiosk", "--", "/opt/booth/bin/booth", "verify", finished["bundle"], check=False
    )
    assert bundle.returncode == 0, bundle.stdout + bundle.stderr
