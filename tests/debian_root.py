"""A Debian root made with mmdebstrap, cached as a tarball: what the boot test and the
fresh-Debian install test start from."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO


def locked(path: Path) -> IO[str]:
    """An exclusive lock on ``path`` (made if missing), held as long as the caller keeps the handle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w")  # noqa: SIM115 -- the lock lives as long as the caller keeps the handle
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def base_tarball(
    cache: Path, suite: str, variant: str, packages: Sequence[str], *, architecture: str | None = None
) -> Path:
    """The root as a tarball in ``cache``, built once per suite, variant, package list and machine.

    ``architecture`` (Debian's name, e.g. ``arm64``) builds a foreign root: its maintainer
    scripts run under qemu-user through binfmt_misc (mmdebstrap needs arch-test for that).
    """
    machine = architecture or platform.machine()
    key = hashlib.sha256(json.dumps([suite, variant, sorted(packages), machine]).encode()).hexdigest()
    tarball = cache / f"{suite}-{key[:16]}.tar"
    with locked(cache / "base.lock"):
        if not tarball.exists():
            partial = tarball.with_suffix(".partial.tar")
            subprocess.run(
                [
                    "mmdebstrap",
                    "--quiet",
                    f"--variant={variant}",
                    *([f"--architectures={architecture}"] if architecture else []),
                    "--include=" + ",".join(packages),
                    suite,
                    str(partial),
                ],
                check=True,
                timeout=1200,
            )
            os.replace(partial, tarball)
    return tarball
