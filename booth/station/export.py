"""The desk reads the booths' bundles off a USB stick for the station bundle (``export_station``).

The stick is hostile: only the folder's own regular ``.zip`` files are looked at (no links, no
sub-folders), at most :data:`MAX_FILES` of them, each at most :data:`MAX_FILE_BYTES`; each is
opened only after the bundle's hard limits (``check_zip_limits``) and identified by its
``device.pub`` alone.  A station bundle already on the stick (an earlier export) is skipped.
Which device a bundle is from is decided here; whether it verifies, by the one verifier.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from booth.ledger import keys
from booth.ledger.bundle import UnsafeBundle, check_zip_limits

#: At most this many entries of the folder are looked at (a stick holds a handful of bundles).
MAX_FILES = 64
#: A real day's bundle is under 5 MB; anything far larger is not a booth's bundle.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class Found:
    """What the stick holds: device fingerprint -> its bundle files, and the zips that cannot be read."""

    by_device: dict[str, list[Path]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


def _device_of(path: Path) -> str | None:
    """The fingerprint of the device whose bundle ``path`` is; None for a station bundle; ValueError if unreadable."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if "station.json" in names:
            return None
        check_zip_limits(z)
        if z.getinfo("device.pub").file_size > 400:
            raise ValueError("device.pub too large")
        text = z.read("device.pub").decode("utf-8").strip()
    _, public_key = keys.load_verifier_key(text)
    return keys.fingerprint(public_key)


def scan(folder: Path) -> Found:
    """The booth bundles in ``folder`` by device (newest file first), and the names of unreadable zips."""
    found = Found()
    entries = []
    with os.scandir(folder) as it:
        for k, entry in enumerate(it):
            if k >= MAX_FILES:
                break
            if not entry.name.lower().endswith(".zip") or entry.name.startswith("."):
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                continue
            entries.append((info.st_mtime_ns, entry.name, info.st_size))
    for _, name, size in sorted(entries, reverse=True):
        path = Path(folder) / name
        if size > MAX_FILE_BYTES:
            found.unreadable.append(name[:80])
            continue
        try:
            device = _device_of(path)
        except (OSError, ValueError, KeyError, UnsafeBundle, zipfile.BadZipFile, EOFError, RuntimeError, TypeError):
            found.unreadable.append(name[:80])
            continue
        if device is not None:
            found.by_device.setdefault(device, []).append(path)
    return found
