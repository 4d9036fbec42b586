"""booth on the Raspberry Pi's architecture: a Debian bookworm arm64 root, run under emulation.

The device is a Raspberry Pi 4 or 5 (arm64) running Raspberry Pi OS bookworm; nothing else in
the suite runs booth on that architecture.  This test builds such a root on the host and does
there exactly what the Pi image recipe does (``images/pi-gen/stage-booth/00-booth/01-run.sh``
runs ``images/install-booth.sh`` inside the image):

* ``mmdebstrap --architectures=arm64`` builds bookworm with the base packages the image
  starts from (``python3``, ``python3-venv``, the fonts), its maintainer scripts run by
  ``qemu-aarch64`` through binfmt_misc; cached as a tarball under /var/tmp/booth-arm64;
* booth's dependencies are downloaded on the host as **aarch64 wheels** for bookworm's
  Python 3.11 (the wheels a Pi would get from PyPI; cached), booth itself as a wheel;
* ``images/install-booth.sh --wheelhouse`` installs them into ``/opt/booth`` in the root,
  every Python step running as arm64 code;
* inside the root (``systemd-nspawn``, no boot): the headless demo day, then ``booth verify``
  on its bundle and on its state directory.

Under emulation absolute times mean nothing: the test prints only that it ran and its wall
time.  Needs root, mmdebstrap, arch-test, qemu-user-static, binfmt-support and
systemd-container (``scripts/setup --test`` installs them), the Debian mirror and PyPI.
Where binfmt_misc cannot be used (a container without the privilege to mount it, a kernel
without it) every test here is skipped with the reason.  About 6-10 minutes on 2 cores the
first time (mmdebstrap under emulation), 1-2 with the cache: the demo day
took 37 s and two `booth verify` runs 4 s here under emulation.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

import debian_root
from test_boot import booth_wheel, install, wheelhouse

CACHE = Path("/var/tmp/booth-arm64")
SUITE = "bookworm"
VARIANT = "apt"
# What the Pi image's base brings that booth's install relies on (Raspberry Pi OS Lite has them):
# systemd (sysusers, tmpfiles, the units), Python with venv, the fonts.
PACKAGES = ("systemd", "python3", "python3-venv", "fonts-dejavu-core", "ca-certificates")
QEMU = "/usr/bin/qemu-aarch64-static"
BINFMT = Path("/proc/sys/fs/binfmt_misc")
ELF_MACHINE_AARCH64 = 0xB7

_missing = [tool for tool in ("mmdebstrap", "arch-test", "systemd-nspawn") if shutil.which(tool) is None]
if not Path(QEMU).exists():
    _missing.append("qemu-aarch64-static")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.boot,
    pytest.mark.skipif(os.geteuid() != 0, reason="the arm64 test needs root (mmdebstrap, binfmt_misc, nspawn)"),
    pytest.mark.skipif(
        bool(_missing),
        reason=f"not installed: {', '.join(_missing)} "
        "(Debian packages mmdebstrap, arch-test, qemu-user-static, binfmt-support, systemd-container)",
    ),
    pytest.mark.skipif(platform.machine() == "aarch64", reason="this machine is arm64: the other tests run natively"),
]


def binfmt_problem() -> str | None:
    """Make arm64 programs runnable here (mount binfmt_misc, enable qemu-aarch64); why not, or None."""
    if not (BINFMT / "status").exists():
        mounted = subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], capture_output=True, text=True
        )
        if mounted.returncode != 0:
            return f"binfmt_misc cannot be mounted here ({mounted.stderr.strip() or mounted.returncode})"
    entry = BINFMT / "qemu-aarch64"
    if (not entry.exists() or not entry.read_text().startswith("enabled")) and shutil.which("update-binfmts"):
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], capture_output=True, text=True)
    if not entry.exists() or not entry.read_text().startswith("enabled"):
        return "binfmt_misc has no enabled qemu-aarch64 entry (update-binfmts --enable qemu-aarch64 failed)"
    if "flags: " in entry.read_text() and "F" not in entry.read_text().split("flags: ", 1)[1].split()[0]:
        # Without F the interpreter is looked up inside the chroot, where it does not exist.
        return "the qemu-aarch64 binfmt entry lacks the F (fix binary) flag: arm64 chroots cannot run"
    return None


def elf_machine(path: Path) -> int:
    """The e_machine field of an ELF file (0xB7 = AArch64, 0x3E = x86-64)."""
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path} is not an ELF file"
    return int.from_bytes(header[18:20], "little")


def in_root(root: Path, script: str, *, timeout: float) -> subprocess.CompletedProcess:
    """Run ``script`` (sh) in the arm64 root, as root, no network, the simulator's devices."""
    env = {"LANG": "C.UTF-8", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "HOME": "/root"}
    return subprocess.run(
        [
            "systemd-nspawn",
            "-q",
            "--register=no",
            "--keep-unit",
            "--private-network",
            "-D",
            str(root),
            "--chdir=/root",
            *[f"--setenv={k}={v}" for k, v in env.items()],
            "sh",
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def arm64_booth(tmp_path_factory) -> Path:
    """An arm64 bookworm root with booth installed by the image recipe's install script."""
    problem = binfmt_problem()
    if problem:
        pytest.skip(problem)
    started = time.monotonic()
    tarball = debian_root.base_tarball(CACHE, SUITE, VARIANT, PACKAGES, architecture="arm64")
    work = tmp_path_factory.mktemp("arm64")
    root = work / "root"
    root.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="fully_trusted")
    wheels = wheelhouse("aarch64")
    installed = install(root, booth_wheel(work / "dist"), wheels)
    assert installed.returncode == 0, (installed.stdout + installed.stderr)[-4000:]
    print(f"\narm64 root built and booth installed in {time.monotonic() - started:.0f} s (wall, emulated)")
    yield root
    shutil.rmtree(work, ignore_errors=True)


def test_the_root_and_booths_compiled_parts_are_arm64(arm64_booth):
    """What runs is the Pi's code: Debian's arm64 Python and aarch64 builds of the native wheels."""
    assert elf_machine(arm64_booth / "usr/bin/python3.11") == ELF_MACHINE_AARCH64
    site = next((arm64_booth / "opt/booth/lib").glob("python3.*/site-packages"))
    native = {p.relative_to(site).parts[0]: p for p in sorted(site.rglob("*.so"))}
    # the libraries with compiled code booth signs, draws and reads QR codes with
    for package in ("cryptography", "pygame", "PIL"):
        assert package in native, f"no compiled module of {package} in {sorted(native)}"
        assert elf_machine(native[package]) == ELF_MACHINE_AARCH64, native[package]
    said = in_root(
        arm64_booth,
        "/opt/booth/bin/python -c 'import platform, cryptography, pygame, booth;"
        " print(platform.machine(), cryptography.__version__)'",
        timeout=300,
    )
    assert said.returncode == 0, said.stderr[-3000:]
    assert said.stdout.splitlines()[-1].split()[0] == "aarch64"  # (pygame prints a banner first)
    assert (arm64_booth / "etc/booth/hardware.toml").read_text().count('"sim"') == 6  # BOOTH_SIM=1


def test_the_demo_day_and_booth_verify_run_on_arm64(arm64_booth):
    started = time.monotonic()
    demo = in_root(arm64_booth, "/opt/booth/bin/booth demo --headless --voters 30 --out /root/demo-out", timeout=1800)
    demo_s = time.monotonic() - started
    told = demo.stdout + demo.stderr
    assert demo.returncode == 0, told[-4000:]
    assert "SEMUA TERPENUHI / ALL MET" in told, told[-3000:]
    out = arm64_booth / "root/demo-out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is True and all(e["met"] for e in summary["expectations"]), summary["expectations"]
    assert summary["reconciliation"]["balanced"] is True, summary["reconciliation"]
    with zipfile.ZipFile(out / "results.zip") as bundle:
        assert "events.jsonl" in bundle.namelist()
    assert sorted((out / "prints").glob("*.png"))

    started = time.monotonic()
    checked = in_root(
        arm64_booth,
        "/opt/booth/bin/booth verify demo-out/results.zip && /opt/booth/bin/booth verify demo-out/state",
        timeout=900,
    )
    verify_s = time.monotonic() - started
    said = checked.stdout + checked.stderr
    assert checked.returncode == 0, said[-4000:]
    assert said.count("HASIL / RESULT: SAH / VALID") == 2, said[-3000:]
    print(f"\narm64 (emulated): demo day {demo_s:.0f} s, booth verify x2 {verify_s:.0f} s (wall)")
