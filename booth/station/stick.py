"""The desk's USB stick, read by the kiosk for the ledger service (which sees no stick): no core imports.

:func:`candidates` are the folder's own regular ``.zip`` files (no links, no sub-folders, no hidden
files), at most :data:`MAX_FILES` entries looked at, newest first; :func:`pack_stick` carries them
in one stored zip of at most :data:`STICK_BYTES`, :func:`unpack_stick` puts them, by plain names
only, into the service's private folder, where ``export_station`` reads them
(``booth.station.export``).
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from pathlib import Path

#: At most this many entries of the folder are looked at (a stick holds a handful of bundles).
MAX_FILES = 64
#: A real day's bundle is under 5 MB; anything far larger is not a booth's bundle.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: What the kiosk carries from the stick to the ledger service in one request.
STICK_BYTES = 24 * 1024 * 1024
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,99}\.zip")


def candidates(folder: Path) -> list[tuple[str, int]]:
    """(name, size) of the folder's own regular ``.zip`` files, newest first."""
    entries = []
    with os.scandir(folder) as it:
        for k, entry in enumerate(it):
            if k >= MAX_FILES:
                break
            if not entry.name.lower().endswith(".zip") or entry.name.startswith("."):
                continue
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode):
                entries.append((info.st_mtime_ns, entry.name, info.st_size))
    return [(name, size) for _, name, size in sorted(entries, reverse=True)]


def pack_stick(folder: Path) -> bytes:
    """The kiosk's half: the candidates under plain names in one stored zip, at most :data:`STICK_BYTES`."""
    out = io.BytesIO()
    total = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, size in candidates(folder):
            if not _PLAIN.fullmatch(name) or size > MAX_FILE_BYTES or total + size > STICK_BYTES - 64 * 1024:
                continue
            data = (Path(folder) / name).read_bytes()[: STICK_BYTES - total]
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
            total += len(data)
    return out.getvalue()


def unpack_stick(data: bytes, folder: Path) -> None:
    """The ledger service's half: :func:`pack_stick`'s files into the private ``folder`` (plain names
    only, bounded; the newest first keeps its place in :func:`candidates` order by the times set
    here).  :class:`ValueError` for what is no zip or over the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()[:MAX_FILES]
            if sum(i.file_size for i in infos) > STICK_BYTES:
                raise ValueError("the stick's files are over the limit")
            for k, info in enumerate(infos):
                target = Path(folder) / info.filename
                if _PLAIN.fullmatch(info.filename) and not target.exists():
                    target.write_bytes(z.read(info))
                    os.utime(target, ns=(0, (len(infos) - k) * 10**9))  # the order the kiosk sent them in
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, zipfile.LargeZipFile) as exc:
        raise ValueError(f"not a zip: {exc}") from None
