"""The desk reads the booths' bundles off a USB stick for the station bundle (``export_station``).

The stick is hostile: only the folder's own regular ``.zip`` files are looked at
(``booth.station.stick.candidates``: no links, no sub-folders, a bounded number and size); each is
opened only after the bundle's hard limits (``check_zip_limits``) and identified by its
``device.pub`` alone.  A station bundle already on the stick (an earlier export) is skipped.
Which device a bundle is from is decided here; whether it verifies, by the one verifier.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from booth.ledger import keys
from booth.ledger.bundle import UnsafeBundle, check_zip_limits
from booth.station.stick import MAX_FILE_BYTES, candidates


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
    for name, size in candidates(folder):
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
