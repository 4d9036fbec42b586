"""The README's first command on a fresh Debian bookworm, with Debian's own python3.

A newcomer clones booth onto a freshly installed Debian (or Raspberry Pi OS) and types
``scripts/demo``.  Debian's python3 is "externally managed" (PEP 668): pip refuses to
install into it, it has no ``venv`` module until python3-venv is installed, and the
fonts booth prints with are not there.  This test builds such a machine and does exactly
that:

* ``mmdebstrap`` builds a bookworm root with nothing but apt, ``python3`` and
  ``ca-certificates`` (cached as a tarball under /var/tmp/booth-fresh-debian, keyed by the
  package list; apt's downloads and pip's cache are kept there too, so later runs download
  little);
* the checkout (tracked and new files, without .venv or outputs) is copied to /root/booth;
* ``scripts/setup`` runs inside (``systemd-nspawn``, as root, with the host's network): it
  must install python3-venv and the fonts with apt, make ``.venv`` and say what it does;
* ``scripts/demo --headless`` runs the whole demo day inside and prints its outcome: every
  expectation met, both ``booth verify`` runs valid.

The machine's own network setup is passed in as a fresh machine on this network would
have it: apt's sources (deb.debian.org) and the local certificate authorities that the
way out to PyPI needs.

Needs root, mmdebstrap and systemd-container (``scripts/setup --test`` installs them), and
the Debian mirror and PyPI.  About 4 minutes (plus ~1 minute to build the cache once).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

import debian_root

REPO = Path(__file__).resolve().parent.parent
CACHE = Path("/var/tmp/booth-fresh-debian")
SUITE = "bookworm"
VARIANT = "apt"
# A fresh Debian install: apt, Debian's python3 (no venv module, no pip), the CA list.
PACKAGES = ("python3", "ca-certificates")
HOME = "/root/booth"
# what never goes into the copy: the host's venv, caches and outputs
NOT_COPIED = (
    ".venv",
    ".git",
    "demo-out",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "booth.egg-info",
    "node_modules",
    "build",
    "dist",
)

_missing = [tool for tool in ("mmdebstrap", "systemd-nspawn") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.boot,
    pytest.mark.skipif(os.geteuid() != 0, reason="the fresh-Debian test needs root (mmdebstrap, systemd-nspawn)"),
    pytest.mark.skipif(
        bool(_missing), reason=f"not installed: {', '.join(_missing)} (Debian packages mmdebstrap, systemd-container)"
    ),
]


def base_tarball() -> Path:
    """The fresh bookworm root as a tarball, built once per package list and machine."""
    return debian_root.base_tarball(CACHE, SUITE, VARIANT, PACKAGES)


def _checkout_files() -> list[str]:
    """The checkout as a newcomer would have it: tracked files and new ones not ignored."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    return [name for name in listed if name and (REPO / name).is_file() and not set(Path(name).parts) & set(NOT_COPIED)]


def copy_checkout(root: Path) -> Path:
    target = root / HOME.lstrip("/")
    for name in _checkout_files():
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest)
    return target


def local_authorities(root: Path) -> list[str]:
    """The host's own certificate authorities (its way out to PyPI), as the machine would have them."""
    names = []
    local = Path("/usr/local/share/ca-certificates")
    if local.is_dir():
        (root / "usr/local/share/ca-certificates").mkdir(parents=True, exist_ok=True)
        for crt in sorted(local.glob("*.crt")):
            shutil.copy2(crt, root / "usr/local/share/ca-certificates" / crt.name)
            names.append(crt.name)
    return names


def nspawn(root: Path, script: str, *, timeout: float) -> subprocess.CompletedProcess:
    """Run ``script`` (bash) in the root as root, sharing the host's network; apt and pip caches kept."""
    apt_cache, pip_cache = CACHE / "apt-archives", CACHE / "pip-cache"
    (apt_cache / "partial").mkdir(parents=True, exist_ok=True)
    pip_cache.mkdir(parents=True, exist_ok=True)
    env = {
        "TERM": "dumb",
        "LANG": "C.UTF-8",
        "DEBIAN_FRONTEND": "noninteractive",
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
        # pip's own certificate list lacks the local authorities update-ca-certificates added
        "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt",
    }
    return subprocess.run(
        [
            "systemd-nspawn",
            "-q",
            "--register=no",
            "--keep-unit",
            "--resolv-conf=copy-host",
            "-D",
            str(root),
            f"--bind={apt_cache}:/var/cache/apt/archives",
            f"--bind={pip_cache}:/root/.cache/pip",
            f"--chdir={HOME}",
            *[f"--setenv={k}={v}" for k, v in env.items()],
            "bash",
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def fresh_debian(tmp_path_factory) -> Path:
    tarball = base_tarball()
    root = tmp_path_factory.mktemp("fresh-debian") / "root"
    root.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="fully_trusted")
    if local_authorities(root):
        done = subprocess.run(["chroot", str(root), "update-ca-certificates"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    copy_checkout(root)
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


def test_the_fresh_root_is_debians_own_python(fresh_debian):
    """The starting point the issue describes: pip refused (PEP 668), no python3-venv, no fonts, no venv."""
    assert list((fresh_debian / "usr/lib").glob("python3.*/EXTERNALLY-MANAGED"))
    installed = re.findall(r"^Package: (\S+)$", (fresh_debian / "var/lib/dpkg/status").read_text(), re.M)
    assert "python3" in installed
    assert not {"python3-venv", "python3-pip", "fonts-dejavu-core", "fonts-dejavu-extra"} & set(installed)
    assert not (fresh_debian / HOME.lstrip("/") / ".venv").exists()


def test_setup_then_demo_run_on_debians_python3(fresh_debian):
    setup = nspawn(fresh_debian, "scripts/setup", timeout=1500)
    said = setup.stdout + setup.stderr
    assert setup.returncode == 0, said[-4000:]
    # it says what it is doing, step by step
    for step in (
        "installing Debian packages",
        "python3-venv",
        "fonts-dejavu-extra",
        "creating the virtual environment .venv",
        "installing booth",
    ):
        assert step in said, f"setup did not say {step!r}:\n{said}"
    venv = fresh_debian / HOME.lstrip("/") / ".venv"
    assert (venv / "bin" / "booth").exists()
    assert (fresh_debian / "usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf").exists()

    demo = nspawn(fresh_debian, "scripts/demo --headless", timeout=1500)
    told = demo.stdout + demo.stderr
    assert demo.returncode == 0, told[-4000:]
    assert "using the virtual environment .venv" in told  # setup again: nothing to install, it says so
    assert "Demo Pilkakon Pekon Sukamaju" in told
    out = fresh_debian / HOME.lstrip("/") / "demo-out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is True and all(e["met"] for e in summary["expectations"]), summary["expectations"]
    assert summary["verify"] and "booth verify results.zip: SAH / VALID" in told
    assert "SEMUA TERPENUHI / ALL MET" in told
    assert (out / "results.zip").exists()
    assert sorted((out / "prints").glob("*.png"))
