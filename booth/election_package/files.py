"""Reading a package: every file of a folder or a zip, within its limits, refusing what a package cannot hold."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path

from booth.election_package.model import (
    COMMITTEE_FILE,
    DPT_FILE,
    ELECTION_FILE,
    MANIFEST_FILE,
    MAX_DPT_BYTES,
    MAX_ENTRIES,
    MAX_JSON_BYTES,
    MAX_PHOTO_BYTES,
    MAX_README_BYTES,
    MAX_SIGNATURE_BYTES,
    MAX_TOTAL_BYTES,
    PHOTO_DIR,
    PHOTO_NAME,
    README_FILE,
    SIGNATURE_FILE,
    PackageError,
    PackageProblem,
    unreadable,
)

_FIXED_LIMITS = {
    ELECTION_FILE: MAX_JSON_BYTES,
    COMMITTEE_FILE: MAX_JSON_BYTES,
    DPT_FILE: MAX_DPT_BYTES,
    README_FILE: MAX_README_BYTES,
    MANIFEST_FILE: MAX_JSON_BYTES,
    SIGNATURE_FILE: MAX_SIGNATURE_BYTES,
}

# Files that laptops drop into folders and zips by themselves.  They are
# never read; refusing them would stop a correct package at the village.
_OS_CLUTTER = {".DS_Store", "Thumbs.db", "desktop.ini", "ehthumbs.db"}


def _limit_for(name: str) -> int:
    """How many bytes the file ``name`` may hold (a name :func:`name_problem` allows)."""
    if name in _FIXED_LIMITS:
        return _FIXED_LIMITS[name]
    if name.startswith(PHOTO_DIR + "/"):
        return MAX_PHOTO_BYTES
    raise ValueError(f"{name!r} is not a file of a package")


def _is_clutter(name: str) -> bool:
    parts = name.split("/")
    base = parts[-1]
    return parts[0] == "__MACOSX" or base in _OS_CLUTTER or base.startswith("._")


def name_problem(name: str) -> PackageProblem | None:
    """Is ``name`` a file a package may hold?  Refuse anything else, traversal included."""
    allowed = (ELECTION_FILE, COMMITTEE_FILE, DPT_FILE, README_FILE, MANIFEST_FILE, SIGNATURE_FILE)
    if name in allowed:
        return None
    if name.startswith(PHOTO_DIR + "/") and PHOTO_NAME.fullmatch(name[len(PHOTO_DIR) + 1 :]):
        return None
    shown = name.encode("unicode_escape").decode("ascii")
    if (
        name.startswith(("/", "\\"))
        or "\\" in name
        or ".." in name.split("/")
        or re.match(r"^[A-Za-z]:", name)
        or "\x00" in name
    ):
        return PackageProblem(
            shown,
            None,
            "this file name points outside the package; it is refused",
            "nama berkas ini menunjuk ke luar paket; ditolak",
        )
    if name.startswith(PHOTO_DIR + "/"):
        return PackageProblem(
            shown,
            None,
            "photo names must be letters, digits, '.', '-' or '_' and end in .jpg, .jpeg "
            "or .png, directly inside photos/",
            "nama foto hanya boleh huruf, angka, '.', '-' atau '_' dan berakhiran .jpg, "
            ".jpeg atau .png, langsung di dalam photos/",
        )
    return PackageProblem(
        shown,
        None,
        "unknown file; a package holds only election.json, committee.json, dpt.csv, "
        "photos/, README.txt, manifest.json and manifest.sig: remove it",
        "berkas tidak dikenal; paket hanya berisi election.json, committee.json, dpt.csv, "
        "photos/, README.txt, manifest.json dan manifest.sig: hapus berkas ini",
    )


def _too_big(name: str, limit: int) -> PackageProblem:
    return PackageProblem(
        name, None, f"the file is larger than {limit // 1024} KiB", f"berkas lebih besar dari {limit // 1024} KiB"
    )


def _keep(
    files: dict[str, bytes], problems: list[PackageProblem], name: str, data: bytes, limit: int, total: int
) -> int:
    """Keep one file's bytes within its own limit and the whole package's; return the new total."""
    if len(data) > limit:
        problems.append(_too_big(name, limit))
        return total
    total += len(data)
    if total > MAX_TOTAL_BYTES:
        raise PackageError(
            [
                PackageProblem(
                    "",
                    None,
                    f"the package is larger than {MAX_TOTAL_BYTES // 2**20} MiB",
                    f"paket lebih besar dari {MAX_TOTAL_BYTES // 2**20} MiB",
                )
            ]
        )
    files[name] = data
    return total


def _read_directory(root: Path, problems: list[PackageProblem]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    pending = [("", root)]
    seen = 0
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise unreadable(
                f"the folder cannot be read ({exc.strerror})", f"folder tidak dapat dibaca ({exc.strerror})", prefix
            ) from None
        for entry in entries:
            name = prefix + entry.name
            seen += 1
            if seen > MAX_ENTRIES:
                raise PackageError(
                    [PackageProblem("", None, f"more than {MAX_ENTRIES} files", f"lebih dari {MAX_ENTRIES} berkas")]
                )
            if _is_clutter(name):
                continue
            if entry.is_symlink():
                problems.append(
                    PackageProblem(
                        name, None, "links are not allowed in a package", "tautan (link) tidak boleh ada di dalam paket"
                    )
                )
                continue
            if entry.is_dir(follow_symlinks=False):
                if name == PHOTO_DIR:
                    pending.append((name + "/", Path(entry.path)))
                else:
                    problems.append(
                        PackageProblem(
                            name + "/",
                            None,
                            "unknown folder; only photos/ is allowed: remove it",
                            "folder tidak dikenal; hanya photos/ yang boleh: hapus folder ini",
                        )
                    )
                continue
            bad = name_problem(name)
            if bad:
                problems.append(bad)
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    problems.append(PackageProblem(name, None, "not a regular file", "bukan berkas biasa"))
                    continue
                limit = _limit_for(name)
                if info.st_size > limit:
                    problems.append(_too_big(name, limit))
                    continue
                with open(entry.path, "rb") as f:
                    data = f.read(limit + 1)
            except OSError as exc:
                raise unreadable(
                    f"the file cannot be read ({exc.strerror})", f"berkas tidak dapat dibaca ({exc.strerror})", name
                ) from None
            total = _keep(files, problems, name, data, limit, total)
    return files


def _read_zip(path: Path, problems: list[PackageProblem]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise unreadable(f"the zip file cannot be opened ({exc})", f"berkas zip tidak dapat dibuka ({exc})") from None
    except Exception as exc:  # a damaged central directory can raise struct.error and others
        raise unreadable(
            f"the zip file is damaged ({type(exc).__name__})", f"berkas zip rusak ({type(exc).__name__})"
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise PackageError(
                [PackageProblem("", None, f"more than {MAX_ENTRIES} files", f"lebih dari {MAX_ENTRIES} berkas")]
            )
        names = [i.filename for i in infos if not _is_clutter(i.filename)]
        # "Compress folder" on a laptop puts everything under one folder: allow that.
        prefix = ""
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and all("/" in n for n in names) and next(iter(tops)) not in (PHOTO_DIR, "", "..", "."):
            prefix = next(iter(tops)) + "/"
        total = 0
        for info in infos:
            raw_name = info.filename
            if _is_clutter(raw_name):
                continue
            name = raw_name[len(prefix) :] if prefix else raw_name
            if info.is_dir():
                if name in ("", PHOTO_DIR + "/"):
                    continue
                bad = name_problem(name.rstrip("/"))
                problems.append(
                    bad
                    or PackageProblem(
                        name,
                        None,
                        "unknown folder; only photos/ is allowed: remove it",
                        "folder tidak dikenal; hanya photos/ yang boleh: hapus folder ini",
                    )
                )
                continue
            bad = name_problem(name)
            if bad:
                problems.append(bad)
                continue
            if name in files:
                problems.append(
                    PackageProblem(name, None, "the zip holds this file twice", "berkas ini ada dua kali di dalam zip")
                )
                continue
            if info.flag_bits & 0x1:
                problems.append(
                    PackageProblem(name, None, "encrypted zip entries are refused", "isi zip yang terenkripsi ditolak")
                )
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                problems.append(
                    PackageProblem(
                        name, None, "links are not allowed in a package", "tautan (link) tidak boleh ada di dalam paket"
                    )
                )
                continue
            limit = _limit_for(name)
            if info.file_size > limit:
                problems.append(_too_big(name, limit))
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(limit + 1)  # the size in the header may lie
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise unreadable(
                    f"the zip entry cannot be read ({exc})", f"isi zip tidak dapat dibaca ({exc})", name
                ) from None
            except Exception as exc:  # zlib/bz2/lzma raise their own types on damaged data
                raise unreadable(
                    f"the zip entry is damaged ({type(exc).__name__})", f"isi zip rusak ({type(exc).__name__})", name
                ) from None
            total = _keep(files, problems, name, data, limit, total)
    return files


def read_package_files(path: str | os.PathLike) -> tuple[dict[str, bytes], list[PackageProblem]]:
    """Every file of a package folder or zip, by name, with the problems found reading them.

    Raises :class:`PackageError` (``unreadable=True``) if the path cannot be read at all.
    """
    path = Path(path)
    problems: list[PackageProblem] = []
    try:
        if path.is_dir():
            return _read_directory(path, problems), problems
        if path.is_file():
            return _read_zip(path, problems), problems
    except OSError as exc:
        raise unreadable(
            f"{path} cannot be read ({exc.strerror})", f"{path} tidak dapat dibaca ({exc.strerror})"
        ) from None
    raise unreadable(
        f"{path} is neither a package folder nor a .zip file", f"{path} bukan folder paket maupun berkas .zip"
    )
