"""The election package: what the committee prepares and signs, and the booth checks before opening.

A package is a folder (or the same folder as a .zip) holding exactly::

    election.json    the election: pekon, TPS, date, hours, candidates, companions
    committee.json   the committee's public keys (written by ``booth election sign``)
    dpt.csv          the voter list (see booth.dpt)
    photos/*.jpg|png one photo per candidate
    README.txt       optional notes for the committee (signed like the rest)
    manifest.json    SHA-256 and size of every file above, canonical JSON
    manifest.sig     the committee's Ed25519 signature over the manifest

Byte layouts, written down once here and in docs/election-package.md:

* ``manifest.json`` = ``canonical({"format": "booth election manifest v1",
  "files": {name: {"sha256": <64 lowercase hex>, "size": <bytes>}}})``, file
  names with "/" separators, e.g. ``"photos/1.jpg"``.
* ``manifest.sig`` = base64 (standard alphabet, padded) of the 64-byte
  Ed25519 signature over ``SIGNATURE_DOMAIN + manifest bytes``, then "\\n".
* election ID = lowercase hex SHA-256 of the manifest bytes; its short form
  (:func:`short_id`) is the first 60 bits in Crockford base32, as
  ``XXXX-XXXX-XXXX``, for people to compare by eye on screen and on paper.
* ``committee.json`` = ``{"format": "booth committee keys v1", "sign_key":
  <base64 of the raw 32-byte Ed25519 public key>, "seal_key": <base64 of the
  raw 32-byte X25519 public key used to seal voter photos>}``.

>>> package = load_package("pekon-sukamaju")              # doctest: +SKIP
>>> package.short_id, len(package.voters)                 # doctest: +SKIP
('7F3A-91C2-0B4E', 300)

:func:`load_package` is a pure loader: it reads, verifies and validates
everything, and either returns frozen data or raises :class:`PackageError`
listing every problem it found.  It never writes anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from booth.dpt import DptError, Voter, parse_dpt
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical

# --- names and formats ------------------------------------------------------

ELECTION_FILE = "election.json"
COMMITTEE_FILE = "committee.json"
DPT_FILE = "dpt.csv"
README_FILE = "README.txt"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
PHOTO_DIR = "photos"

ELECTION_FORMAT = "booth election v1"
MANIFEST_FORMAT = "booth election manifest v1"
COMMITTEE_FORMAT = "booth committee keys v1"
SIGNATURE_DOMAIN = b"booth election manifest v1\n"

#: Candidate count allowed by the village-head election rules (Permendagri
#: 112/2014 Pasal 25): at least 2 and at most 5.
MIN_CANDIDATES, MAX_CANDIDATES = 2, 5
COMPANION_ROLES = ("ketua", "teknisi", "anggota")

#: Indonesia has three time zones and no daylight saving time, so fixed
#: offsets are exact and need no tz database on the device.
TIMEZONES = {
    "Asia/Jakarta": (timedelta(hours=7), "WIB"),
    "Asia/Makassar": (timedelta(hours=8), "WITA"),
    "Asia/Jayapura": (timedelta(hours=9), "WIT"),
}
DEFAULT_TIMEZONE = "Asia/Jakarta"

# Size limits: generous for real packages (10,000 voters is about 1 MB of
# CSV), small enough that a hostile zip cannot fill the device's memory.
MAX_ENTRIES = 64
MAX_JSON_BYTES = 256 * 1024
MAX_DPT_BYTES = 16 * 1024 * 1024
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_README_BYTES = 64 * 1024
MAX_SIGNATURE_BYTES = 256
MAX_TOTAL_BYTES = 48 * 1024 * 1024
PHOTO_MIN_PX, PHOTO_MAX_PX = 64, 4000

_FIXED_LIMITS = {
    ELECTION_FILE: MAX_JSON_BYTES,
    COMMITTEE_FILE: MAX_JSON_BYTES,
    DPT_FILE: MAX_DPT_BYTES,
    README_FILE: MAX_README_BYTES,
    MANIFEST_FILE: MAX_JSON_BYTES,
    SIGNATURE_FILE: MAX_SIGNATURE_BYTES,
}
_PHOTO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(?:jpg|jpeg|png)", re.IGNORECASE)
_COMPANION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Files that laptops drop into folders and zips by themselves.  They are
# never read; refusing them would stop a correct package at the village.
_OS_CLUTTER = {".DS_Store", "Thumbs.db", "desktop.ini", "ehthumbs.db"}

# When election.json cannot be read, the DPT is still checked; NIK birth
# years then only need a reference date late enough that no birth is "future".
_FALLBACK_REFERENCE = date(2099, 12, 31)


# --- problems ---------------------------------------------------------------

@dataclass(frozen=True)
class PackageProblem:
    """One thing wrong with a package: which file, which line or field, what, in both languages."""

    file: str  # "dpt.csv", "photos/1.jpg", or "" for the package as a whole
    line: int | None
    message_en: str
    message_id: str
    field: str | None = None  # JSON path such as "candidates[1].photo", or a CSV column

    @property
    def message(self) -> str:
        return self.message_en

    def where(self) -> str:
        """``"dpt.csv:12 [nik]"``, ``"election.json [opens]"``, ``"(package)"``."""
        text = self.file or "(paket/package)"
        if self.line is not None:
            text += f":{self.line}"
        if self.field:
            text += f" [{self.field}]"
        return text

    def __str__(self) -> str:
        return f"{self.where()}: {self.message_en}"


class PackageError(Exception):
    """The package cannot be used; ``problems`` lists everything wrong with it.

    ``unreadable`` is true when the package could not be read at all (missing
    path, not a folder or zip, damaged zip) as opposed to read and found invalid.
    """

    def __init__(self, problems: list[PackageProblem], *, unreadable: bool = False):
        self.problems = list(problems)
        self.unreadable = unreadable
        first = str(self.problems[0]) if self.problems else "invalid election package"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


# --- the data a package holds ----------------------------------------------

@dataclass(frozen=True)
class Election:
    """Where and when: one TPS in one pekon on one day."""

    title: str
    pekon: str
    kecamatan: str
    kabupaten: str
    provinsi: str
    tps: int
    date: date
    opens_at: datetime  # timezone-aware, local time
    closes_at: datetime
    timezone: str  # "Asia/Jakarta"
    allow_blank: bool

    @property
    def timezone_label(self) -> str:
        """``"WIB"``, ``"WITA"`` or ``"WIT"``, as people write it after a time."""
        return TIMEZONES[self.timezone][1]


@dataclass(frozen=True)
class Candidate:
    """A candidate on the ballot: nomor urut, name and photo file (in ``photos/``)."""

    number: int
    name: str
    photo: str  # file name inside photos/, e.g. "1.jpg"


@dataclass(frozen=True)
class Companion:
    """A companion (petugas) who may sign in on the device; ``role`` is ketua, teknisi or anggota."""

    id: str
    name: str
    role: str


@dataclass(frozen=True)
class CommitteeKeys:
    """The committee's public keys: Ed25519 signs packages, X25519 receives sealed voter photos."""

    sign_key: bytes  # raw 32-byte Ed25519 public key
    seal_key: bytes  # raw 32-byte X25519 public key

    @property
    def fingerprint(self) -> str:
        """Short form of the signing key, to compare by eye (same shape as the election ID)."""
        return short_id(hashlib.sha256(self.sign_key).hexdigest())

    def ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.sign_key)

    def x25519(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(self.seal_key)

    def to_json(self) -> dict:
        return {
            "format": COMMITTEE_FORMAT,
            "sign_key": base64.b64encode(self.sign_key).decode("ascii"),
            "seal_key": base64.b64encode(self.seal_key).decode("ascii"),
        }


@dataclass(frozen=True)
class CommitteeKeyPair:
    """The committee's private keys, kept on the committee's laptop, never on a booth."""

    sign_private: Ed25519PrivateKey
    seal_private: X25519PrivateKey

    @classmethod
    def generate(cls) -> "CommitteeKeyPair":
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def public(self) -> CommitteeKeys:
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        return CommitteeKeys(
            self.sign_private.public_key().public_bytes(*raw),
            self.seal_private.public_key().public_bytes(*raw),
        )


@dataclass(frozen=True)
class ElectionPackage:
    """A verified, validated election package, ready for the booth."""

    election: Election
    candidates: tuple[Candidate, ...]
    voters: tuple[Voter, ...]
    companions: tuple[Companion, ...]
    committee: CommitteeKeys
    election_id: str  # lowercase hex SHA-256 of the manifest bytes
    short_id: str  # "7F3A-91C2-0B4E"
    photos: Mapping[str, bytes] = field(repr=False)  # "1.jpg" -> file bytes
    manifest: bytes = field(repr=False)  # the signed canonical manifest
    signature: bytes = field(repr=False)  # 64-byte Ed25519 signature

    def photo_of(self, candidate: Candidate) -> bytes:
        """The photo file bytes of ``candidate``."""
        return self.photos[candidate.photo]


# --- election ID ------------------------------------------------------------

def election_id_of(manifest_bytes: bytes) -> str:
    """The election ID: lowercase hex SHA-256 of the canonical manifest bytes."""
    return hashlib.sha256(manifest_bytes).hexdigest()


def short_id(hex_digest: str) -> str:
    """First 60 bits of a hex digest in Crockford base32, grouped ``XXXX-XXXX-XXXX``.

    Crockford's alphabet leaves out I, L, O and U, so nobody confuses 1/I/L or 0/O.

    >>> short_id("00" * 32)
    '0000-0000-0000'
    >>> short_id("ff" * 32)
    'ZZZZ-ZZZZ-ZZZZ'
    """
    bits = int(hex_digest[:16], 16) >> 4  # 64 bits -> the first 60
    chars = "".join(_CROCKFORD[(bits >> (5 * k)) & 31] for k in range(11, -1, -1))
    return f"{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


# --- reading files ----------------------------------------------------------

def _limit_for(name: str) -> int | None:
    if name in _FIXED_LIMITS:
        return _FIXED_LIMITS[name]
    if name.startswith(PHOTO_DIR + "/"):
        return MAX_PHOTO_BYTES
    return None


def _is_clutter(name: str) -> bool:
    parts = name.split("/")
    base = parts[-1]
    return parts[0] == "__MACOSX" or base in _OS_CLUTTER or base.startswith("._")


def _name_problem(name: str) -> PackageProblem | None:
    """Is ``name`` a file a package may hold?  Refuse anything else, traversal included."""
    allowed = (ELECTION_FILE, COMMITTEE_FILE, DPT_FILE, README_FILE, MANIFEST_FILE,
               SIGNATURE_FILE)
    if name in allowed:
        return None
    if name.startswith(PHOTO_DIR + "/") and _PHOTO_NAME.fullmatch(name[len(PHOTO_DIR) + 1:]):
        return None
    shown = name.encode("unicode_escape").decode("ascii")
    if (name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/")
            or re.match(r"^[A-Za-z]:", name) or "\x00" in name):
        return PackageProblem(shown, None,
                              "this file name points outside the package; it is refused",
                              "nama berkas ini menunjuk ke luar paket; ditolak")
    if name.startswith(PHOTO_DIR + "/"):
        return PackageProblem(
            shown, None,
            "photo names must be letters, digits, '.', '-' or '_' and end in .jpg, .jpeg "
            "or .png, directly inside photos/",
            "nama foto hanya boleh huruf, angka, '.', '-' atau '_' dan berakhiran .jpg, "
            ".jpeg atau .png, langsung di dalam photos/")
    return PackageProblem(
        shown, None,
        "unknown file; a package holds only election.json, committee.json, dpt.csv, "
        "photos/, README.txt, manifest.json and manifest.sig: remove it",
        "berkas tidak dikenal; paket hanya berisi election.json, committee.json, dpt.csv, "
        "photos/, README.txt, manifest.json dan manifest.sig: hapus berkas ini")


def _too_big(name: str, limit: int) -> PackageProblem:
    return PackageProblem(name, None, f"the file is larger than {limit // 1024} KiB",
                          f"berkas lebih besar dari {limit // 1024} KiB")


def _unreadable(en: str, id_: str, name: str = "") -> PackageError:
    return PackageError([PackageProblem(name, None, en, id_)], unreadable=True)


def _keep(files: dict[str, bytes], problems: list[PackageProblem], name: str, data: bytes,
          limit: int, total: int) -> int:
    """Keep one file's bytes within its own limit and the whole package's; return the new total."""
    if len(data) > limit:
        problems.append(_too_big(name, limit))
        return total
    total += len(data)
    if total > MAX_TOTAL_BYTES:
        raise PackageError([PackageProblem(
            "", None, f"the package is larger than {MAX_TOTAL_BYTES // 2**20} MiB",
            f"paket lebih besar dari {MAX_TOTAL_BYTES // 2**20} MiB")])
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
            raise _unreadable(f"the folder cannot be read ({exc.strerror})",
                              f"folder tidak dapat dibaca ({exc.strerror})", prefix) from None
        for entry in entries:
            name = prefix + entry.name
            seen += 1
            if seen > MAX_ENTRIES:
                raise PackageError([PackageProblem("", None,
                                                   f"more than {MAX_ENTRIES} files",
                                                   f"lebih dari {MAX_ENTRIES} berkas")])
            if _is_clutter(name):
                continue
            if entry.is_symlink():
                problems.append(PackageProblem(name, None, "links are not allowed in a package",
                                               "tautan (link) tidak boleh ada di dalam paket"))
                continue
            if entry.is_dir(follow_symlinks=False):
                if name == PHOTO_DIR:
                    pending.append((name + "/", Path(entry.path)))
                else:
                    problems.append(PackageProblem(
                        name + "/", None, "unknown folder; only photos/ is allowed: remove it",
                        "folder tidak dikenal; hanya photos/ yang boleh: hapus folder ini"))
                continue
            bad = _name_problem(name)
            if bad:
                problems.append(bad)
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    problems.append(PackageProblem(name, None, "not a regular file",
                                                   "bukan berkas biasa"))
                    continue
                limit = _limit_for(name)
                if info.st_size > limit:
                    problems.append(_too_big(name, limit))
                    continue
                with open(entry.path, "rb") as f:
                    data = f.read(limit + 1)
            except OSError as exc:
                raise _unreadable(f"the file cannot be read ({exc.strerror})",
                                  f"berkas tidak dapat dibaca ({exc.strerror})", name) from None
            total = _keep(files, problems, name, data, limit, total)
    return files


def _read_zip(path: Path, problems: list[PackageProblem]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise _unreadable(f"the zip file cannot be opened ({exc})",
                          f"berkas zip tidak dapat dibuka ({exc})") from None
    except Exception as exc:  # a damaged central directory can raise struct.error and others
        raise _unreadable(f"the zip file is damaged ({type(exc).__name__})",
                          f"berkas zip rusak ({type(exc).__name__})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise PackageError([PackageProblem("", None, f"more than {MAX_ENTRIES} files",
                                               f"lebih dari {MAX_ENTRIES} berkas")])
        names = [i.filename for i in infos if not _is_clutter(i.filename)]
        # "Compress folder" on a laptop puts everything under one folder: allow that.
        prefix = ""
        tops = {n.split("/", 1)[0] for n in names}
        if (len(tops) == 1 and all("/" in n for n in names)
                and next(iter(tops)) not in (PHOTO_DIR, "", "..", ".")):
            prefix = next(iter(tops)) + "/"
        total = 0
        for info in infos:
            raw_name = info.filename
            if _is_clutter(raw_name):
                continue
            name = raw_name[len(prefix):] if prefix else raw_name
            if info.is_dir():
                if name in ("", PHOTO_DIR + "/"):
                    continue
                bad = _name_problem(name.rstrip("/"))
                problems.append(bad or PackageProblem(
                    name, None, "unknown folder; only photos/ is allowed: remove it",
                    "folder tidak dikenal; hanya photos/ yang boleh: hapus folder ini"))
                continue
            bad = _name_problem(name)
            if bad:
                problems.append(bad)
                continue
            if name in files:
                problems.append(PackageProblem(name, None, "the zip holds this file twice",
                                               "berkas ini ada dua kali di dalam zip"))
                continue
            if info.flag_bits & 0x1:
                problems.append(PackageProblem(name, None, "encrypted zip entries are refused",
                                               "isi zip yang terenkripsi ditolak"))
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                problems.append(PackageProblem(name, None, "links are not allowed in a package",
                                               "tautan (link) tidak boleh ada di dalam paket"))
                continue
            limit = _limit_for(name)
            if info.file_size > limit:
                problems.append(_too_big(name, limit))
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(limit + 1)  # the size in the header may lie
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                    RuntimeError) as exc:
                raise _unreadable(f"the zip entry cannot be read ({exc})",
                                  f"isi zip tidak dapat dibaca ({exc})", name) from None
            except Exception as exc:  # zlib/bz2/lzma raise their own types on damaged data
                raise _unreadable(f"the zip entry is damaged ({type(exc).__name__})",
                                  f"isi zip rusak ({type(exc).__name__})", name) from None
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
        raise _unreadable(f"{path} cannot be read ({exc.strerror})",
                          f"{path} tidak dapat dibaca ({exc.strerror})") from None
    raise _unreadable(f"{path} is neither a package folder nor a .zip file",
                      f"{path} bukan folder paket maupun berkas .zip")


# --- validating content ------------------------------------------------------

def _strict_json(data: bytes, name: str, problems: list[PackageProblem]) -> Any:
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate key {dupes[0]!r}")
        return dict(pairs)

    def no_constant(text):
        raise ValueError(f"{text} is not allowed")

    if data.startswith(b"\xef\xbb\xbf"):  # Notepad's byte-order mark
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(PackageProblem(name, None, "the file is not UTF-8 text",
                                       "berkas bukan teks UTF-8"))
        return None
    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        problems.append(PackageProblem(
            name, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})",
            f"bukan JSON yang sah: {exc.msg} (kolom {exc.colno}); periksa koma, tanda kutip "
            f"dan kurung"))
    except (ValueError, RecursionError) as exc:
        problems.append(PackageProblem(name, None, f"not valid JSON: {exc}",
                                       f"bukan JSON yang sah: {exc}"))
    return None


class _Fields:
    """Reads one JSON object's fields, recording a bilingual problem for each bad one."""

    def __init__(self, obj: Any, file: str, path: str, problems: list[PackageProblem]):
        self.file, self.path, self.problems = file, path, problems
        self.ok = isinstance(obj, dict)
        self.obj = obj if self.ok else {}
        if not self.ok:
            self.problem(None, "must be a JSON object { ... }", "harus berupa objek JSON { ... }")

    def where(self, key: str | None) -> str:
        if key is None:
            return self.path or "$"
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str | None, en: str, id_: str) -> None:
        self.problems.append(PackageProblem(self.file, None, en, id_, self.where(key)))

    def only(self, allowed: tuple[str, ...]) -> None:
        for key in self.obj:
            if key not in allowed:
                self.problem(key, f"unknown field \"{key}\" (allowed: {', '.join(allowed)})",
                             f"isian \"{key}\" tidak dikenal (yang boleh: {', '.join(allowed)})")

    def text(self, key: str, *, required: bool = True, default: str = "",
             max_length: int = 120) -> str | None:
        if key not in self.obj:
            if required:
                self.problem(key, "is missing", "tidak ada")
                return None
            return default
        value = self.obj[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "must be non-empty text", "harus berupa teks yang tidak kosong")
            return None
        value = " ".join(value.split())
        if len(value) > max_length or any(ord(c) < 32 for c in value):
            self.problem(key, f"must be at most {max_length} printable characters",
                         f"paling banyak {max_length} huruf yang dapat dicetak")
            return None
        if value in TEMPLATE_PLACEHOLDERS:
            self.problem(key, f"still the template's example \"{value}\": fill in the real value",
                         f"masih contoh dari templat \"{value}\": isi dengan data sebenarnya")
            return None
        return value

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.obj.get(key)
        if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
            value = int(value.strip())
        if key not in self.obj:
            self.problem(key, "is missing", "tidak ada")
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(key, f"must be a whole number from {low} to {high}",
                         f"harus bilangan bulat dari {low} sampai {high}")
        else:
            return value
        return None


def _parse_election(obj: Any, problems: list[PackageProblem]):
    f = _Fields(obj, ELECTION_FILE, "", problems)
    if not f.ok:
        return None, None, None
    f.only(("format", "title", "pekon", "kecamatan", "kabupaten", "provinsi", "tps", "date",
            "opens", "closes", "timezone", "allow_blank", "candidates", "companions"))
    if f.obj.get("format") != ELECTION_FORMAT:
        f.problem("format", f"must be \"{ELECTION_FORMAT}\"", f"harus \"{ELECTION_FORMAT}\"")
    title = f.text("title")
    pekon = f.text("pekon")
    kecamatan = f.text("kecamatan")
    kabupaten = f.text("kabupaten")
    provinsi = f.text("provinsi", required=False)
    tps = f.integer("tps", 1, 999)

    day = None
    raw_date = f.obj.get("date")
    if "date" not in f.obj:
        f.problem("date", "is missing", "tidak ada")
    else:
        try:
            if not isinstance(raw_date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date):
                raise ValueError
            day = date.fromisoformat(raw_date)
        except ValueError:
            f.problem("date", "must be a date written YYYY-MM-DD, e.g. 2025-11-16",
                      "harus tanggal dengan format TTTT-BB-HH, misalnya 2025-11-16")

    zone = f.obj.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(zone, str) or zone not in TIMEZONES:
        f.problem("timezone", f"must be one of {', '.join(TIMEZONES)} (WIB, WITA, WIT)",
                  f"harus salah satu dari {', '.join(TIMEZONES)} (WIB, WITA, WIT)")
        zone = None

    hours = {}
    for key in ("opens", "closes"):
        raw = f.obj.get(key)
        if key not in f.obj:
            f.problem(key, "is missing", "tidak ada")
        elif not isinstance(raw, str) or not re.fullmatch(r"\d{2}:\d{2}", raw):
            f.problem(key, "must be a time written HH:MM (24-hour), e.g. 07:00",
                      "harus jam dengan format JJ:MM (24 jam), misalnya 07:00")
        else:
            try:
                hours[key] = time(int(raw[:2]), int(raw[3:]))
            except ValueError:
                f.problem(key, f"{raw} is not a time of day", f"{raw} bukan jam yang ada")
    if len(hours) == 2 and hours["opens"] >= hours["closes"]:
        f.problem("closes", "the polls must close after they open",
                  "jam tutup harus sesudah jam buka")

    allow_blank = f.obj.get("allow_blank", False)
    if not isinstance(allow_blank, bool):
        f.problem("allow_blank", "must be true or false", "harus true atau false")

    candidates = _parse_candidates(f.obj.get("candidates"), problems)
    companions = _parse_companions(f.obj.get("companions"), problems)

    complete = None not in (title, pekon, kecamatan, kabupaten, provinsi, tps, day, zone)
    if complete and len(hours) == 2 and isinstance(allow_blank, bool) \
            and hours["opens"] < hours["closes"]:
        tz = timezone(*TIMEZONES[zone])
        election = Election(
            title=title, pekon=pekon, kecamatan=kecamatan, kabupaten=kabupaten,
            provinsi=provinsi, tps=tps, date=day,
            opens_at=datetime.combine(day, hours["opens"], tz),
            closes_at=datetime.combine(day, hours["closes"], tz),
            timezone=zone, allow_blank=allow_blank,
        )
    else:
        election = None
    return election, candidates, companions


def _parse_candidates(value: Any, problems: list[PackageProblem]) -> list[Candidate] | None:
    def problem(path, en, id_):
        problems.append(PackageProblem(ELECTION_FILE, None, en, id_, path))

    if value is None:
        problem("candidates", "is missing", "tidak ada")
        return None
    if not isinstance(value, list):
        problem("candidates", "must be a list [ ... ] of candidates",
                "harus berupa daftar [ ... ] calon")
        return None
    if not MIN_CANDIDATES <= len(value) <= MAX_CANDIDATES:
        problem("candidates",
                f"there are {len(value)} candidates; an election has {MIN_CANDIDATES} "
                f"to {MAX_CANDIDATES}",
                f"ada {len(value)} calon; pemilihan harus diikuti {MIN_CANDIDATES} "
                f"sampai {MAX_CANDIDATES} calon")
    out: list[Candidate] = []
    ok = True
    for index, item in enumerate(value):
        f = _Fields(item, ELECTION_FILE, f"candidates[{index}]", problems)
        if not f.ok:
            ok = False
            continue
        f.only(("number", "name", "photo"))
        number = f.integer("number", 1, MAX_CANDIDATES)
        name = f.text("name", max_length=80)
        photo = f.text("photo", max_length=68)
        if photo is not None and not _PHOTO_NAME.fullmatch(photo):
            f.problem("photo", "must be a file name in photos/ such as \"1.jpg\" or \"2.png\"",
                      "harus nama berkas di photos/ seperti \"1.jpg\" atau \"2.png\"")
            photo = None
        if None in (number, name, photo):
            ok = False
            continue
        out.append(Candidate(number, name, photo))
    if not ok:
        return None
    numbers = sorted(c.number for c in out)
    if numbers != list(range(1, len(out) + 1)):
        problem("candidates",
                f"nomor urut must be 1 to {len(out)}, each once; found {numbers}",
                f"nomor urut harus 1 sampai {len(out)}, masing-masing sekali; tertulis {numbers}")
        return None
    for key, label_en, label_id in (("photo", "photo", "foto"), ("name", "name", "nama")):
        seen: dict[str, int] = {}
        for c in out:
            value_ = getattr(c, key).lower() if key == "photo" else getattr(c, key).upper()
            if value_ in seen:
                problem("candidates",
                        f"candidates {seen[value_]} and {c.number} have the same {label_en}",
                        f"calon {seen[value_]} dan {c.number} memakai {label_id} yang sama")
                return None
            seen[value_] = c.number
    return sorted(out, key=lambda c: c.number)


def _parse_companions(value: Any, problems: list[PackageProblem]) -> list[Companion] | None:
    def problem(path, en, id_):
        problems.append(PackageProblem(ELECTION_FILE, None, en, id_, path))

    if value is None:
        problem("companions", "is missing", "tidak ada")
        return None
    if not isinstance(value, list) or not value:
        problem("companions", "must be a list [ ... ] with at least one companion",
                "harus berupa daftar [ ... ] dengan paling sedikit satu petugas")
        return None
    out: list[Companion] = []
    ok = True
    for index, item in enumerate(value):
        f = _Fields(item, ELECTION_FILE, f"companions[{index}]", problems)
        if not f.ok:
            ok = False
            continue
        f.only(("id", "name", "role"))
        ident = f.text("id", max_length=32)
        if ident is not None and not _COMPANION_ID.fullmatch(ident):
            f.problem("id", "must be letters, digits, '.', '-' or '_' (e.g. PT-01)",
                      "hanya boleh huruf, angka, '.', '-' atau '_' (misalnya PT-01)")
            ident = None
        name = f.text("name", max_length=80)
        role = f.obj.get("role")
        if role not in COMPANION_ROLES:
            f.problem("role", f"must be one of {', '.join(COMPANION_ROLES)}",
                      f"harus salah satu dari {', '.join(COMPANION_ROLES)}")
            role = None
        if None in (ident, name, role):
            ok = False
            continue
        out.append(Companion(ident, name, role))
    seen: dict[str, int] = {}
    for index, c in enumerate(out):
        if c.id.upper() in seen:
            problem("companions", f"companion id {c.id} is used twice",
                    f"id petugas {c.id} dipakai dua kali")
            ok = False
        seen[c.id.upper()] = index
    return out if ok else None


def _parse_committee(data: bytes | None, problems: list[PackageProblem],
                     report_missing: bool = True) -> CommitteeKeys | None:
    if data is None:
        if not report_missing:
            return None
        problems.append(PackageProblem(
            COMMITTEE_FILE, None,
            "missing: the package is not signed yet (run: booth election sign DIR --key KEYDIR)",
            "tidak ada: paket belum ditandatangani (jalankan: booth election sign FOLDER "
            "--key FOLDER_KUNCI)"))
        return None
    obj = _strict_json(data, COMMITTEE_FILE, problems)
    if obj is None:
        return None
    f = _Fields(obj, COMMITTEE_FILE, "", problems)
    if not f.ok:
        return None
    f.only(("format", "sign_key", "seal_key"))
    if f.obj.get("format") != COMMITTEE_FORMAT:
        f.problem("format", f"must be \"{COMMITTEE_FORMAT}\"", f"harus \"{COMMITTEE_FORMAT}\"")
        return None
    keys = {}
    for name, loader in (("sign_key", Ed25519PublicKey), ("seal_key", X25519PublicKey)):
        raw = _b64(f.obj.get(name), 32)
        if raw is None:
            f.problem(name, "must be a base64 32-byte public key",
                      "harus kunci publik 32 byte dalam base64")
            continue
        try:
            loader.from_public_bytes(raw)
        except ValueError:
            f.problem(name, "is not a valid public key", "bukan kunci publik yang sah")
            continue
        keys[name] = raw
    if len(keys) != 2:
        return None
    return CommitteeKeys(keys["sign_key"], keys["seal_key"])


def _b64(value: Any, length: int) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def _check_photo(name: str, data: bytes, problems: list[PackageProblem]) -> None:
    from PIL import Image  # only the loader needs Pillow

    expected = "PNG" if name.lower().endswith(".png") else "JPEG"
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            width, height = image.size
            if fmt not in ("JPEG", "PNG"):
                problems.append(PackageProblem(name, None,
                                               f"is a {fmt} image; use JPEG or PNG",
                                               f"gambar {fmt}; gunakan JPEG atau PNG"))
                return
            if fmt != expected:
                problems.append(PackageProblem(
                    name, None, f"is a {fmt} image but its name ends like a {expected}",
                    f"gambar {fmt} tetapi akhiran namanya untuk {expected}"))
                return
            if not (PHOTO_MIN_PX <= width <= PHOTO_MAX_PX and PHOTO_MIN_PX <= height <= PHOTO_MAX_PX):
                problems.append(PackageProblem(
                    name, None,
                    f"is {width}x{height} pixels; each side must be {PHOTO_MIN_PX} "
                    f"to {PHOTO_MAX_PX}",
                    f"berukuran {width}x{height} piksel; setiap sisi harus {PHOTO_MIN_PX} "
                    f"sampai {PHOTO_MAX_PX}"))
                return
            image.load()  # decode fully: a truncated or corrupt photo fails here, not on screen
    except Exception as exc:  # Pillow raises many exception types on malformed images
        problems.append(PackageProblem(
            name, None, f"is not a readable JPEG or PNG image ({type(exc).__name__})",
            f"bukan gambar JPEG atau PNG yang dapat dibaca ({type(exc).__name__})"))


@dataclass
class _Content:
    election: Election | None = None
    candidates: list[Candidate] | None = None
    companions: list[Companion] | None = None
    committee: CommitteeKeys | None = None
    voters: list[Voter] | None = None
    photos: dict[str, bytes] = field(default_factory=dict)


def _check_content(files: Mapping[str, bytes], problems: list[PackageProblem]) -> _Content:
    """Validate everything except the manifest and signature."""
    content = _Content()
    for required in (ELECTION_FILE, DPT_FILE):
        if required not in files:
            problems.append(PackageProblem(required, None, "the file is missing",
                                           "berkas tidak ada"))
    if ELECTION_FILE in files:
        obj = _strict_json(files[ELECTION_FILE], ELECTION_FILE, problems)
        if obj is not None:
            content.election, content.candidates, content.companions = \
                _parse_election(obj, problems)
    # An unsigned package gets one "not signed" problem (from the manifest check), not three.
    content.committee = _parse_committee(files.get(COMMITTEE_FILE), problems,
                                         report_missing=MANIFEST_FILE in files)

    if DPT_FILE in files:
        reference = content.election.date if content.election else _FALLBACK_REFERENCE
        try:
            content.voters = parse_dpt(files[DPT_FILE], reference_date=reference)
        except DptError as exc:
            for p in exc.problems:
                problems.append(PackageProblem(DPT_FILE, p.line, p.message_en, p.message_id,
                                               p.column))

    photo_names = sorted(n for n in files if n.startswith(PHOTO_DIR + "/"))
    wanted = {c.photo: c.number for c in content.candidates or ()}
    present = {n[len(PHOTO_DIR) + 1:]: n for n in photo_names}
    for photo, number in sorted(wanted.items(), key=lambda kv: kv[1]):
        if photo not in present:
            problems.append(PackageProblem(
                f"{PHOTO_DIR}/{photo}", None,
                f"the photo of candidate {number} is missing from photos/",
                f"foto calon nomor {number} tidak ada di photos/"))
    for photo, full in present.items():
        if content.candidates is not None and photo not in wanted:
            problems.append(PackageProblem(
                full, None, "no candidate uses this photo: remove it or fix election.json",
                "foto ini tidak dipakai calon mana pun: hapus atau perbaiki election.json"))
            continue
        _check_photo(full, files[full], problems)
        content.photos[photo] = files[full]
    return content


# --- the manifest and its signature ---------------------------------------

def make_manifest(files: Mapping[str, bytes]) -> bytes:
    """The canonical manifest bytes for the package ``files`` (manifest and signature excluded)."""
    listed = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in sorted(files.items())
        if name not in (MANIFEST_FILE, SIGNATURE_FILE)
    }
    return canonical({"format": MANIFEST_FORMAT, "files": listed})


def _check_manifest(files: Mapping[str, bytes], committee: CommitteeKeys | None,
                    trusted: bytes | None, problems: list[PackageProblem]) -> tuple[bytes, bytes] | None:
    """Verify manifest.json, manifest.sig and every listed hash; return (manifest, signature)."""
    if MANIFEST_FILE not in files or SIGNATURE_FILE not in files:
        missing = [n for n in (MANIFEST_FILE, SIGNATURE_FILE) if n not in files]
        problems.append(PackageProblem(
            missing[0] if len(missing) == 1 else "",
            None,
            f"{' and '.join(missing)} missing: the package is not signed "
            f"(run: booth election sign DIR --key KEYDIR)",
            f"{' dan '.join(missing)} tidak ada: paket belum ditandatangani "
            f"(jalankan: booth election sign FOLDER --key FOLDER_KUNCI)"))
        return None
    manifest = files[MANIFEST_FILE]
    try:
        obj = parse_canonical(manifest)
    except NotCanonical as exc:
        problems.append(PackageProblem(MANIFEST_FILE, None,
                                       f"not canonical JSON ({exc}); sign the package again",
                                       f"bukan JSON kanonik ({exc}); tanda tangani ulang paket"))
        return None
    listed = obj.get("files") if isinstance(obj, dict) else None
    if (not isinstance(obj, dict) or set(obj) != {"format", "files"}
            or obj["format"] != MANIFEST_FORMAT or not isinstance(listed, dict)):
        problems.append(PackageProblem(MANIFEST_FILE, None,
                                       f"not a \"{MANIFEST_FORMAT}\" manifest",
                                       f"bukan manifes \"{MANIFEST_FORMAT}\""))
        return None

    signature = None
    raw_sig = files[SIGNATURE_FILE]
    try:
        text = raw_sig.decode("ascii").strip()
        signature = _b64(text, 64)
    except UnicodeDecodeError:
        pass
    if signature is None:
        problems.append(PackageProblem(SIGNATURE_FILE, None,
                                       "not a base64 Ed25519 signature",
                                       "bukan tanda tangan Ed25519 dalam base64"))
    elif committee is not None:
        try:
            committee.ed25519().verify(signature, SIGNATURE_DOMAIN + manifest)
        except InvalidSignature:
            problems.append(PackageProblem(
                SIGNATURE_FILE, None,
                "the signature does not match the manifest: the package was changed after "
                "signing, or signed with another key",
                "tanda tangan tidak cocok dengan manifes: paket diubah sesudah ditandatangani, "
                "atau ditandatangani dengan kunci lain"))
    if trusted is not None and committee is not None and committee.sign_key != trusted:
        theirs = CommitteeKeys(trusted, b"").fingerprint
        problems.append(PackageProblem(
            COMMITTEE_FILE, None,
            f"the package is signed by committee key {committee.fingerprint}, not by the "
            f"trusted committee key {theirs}",
            f"paket ditandatangani kunci panitia {committee.fingerprint}, bukan kunci panitia "
            f"yang dipercaya {theirs}"))

    for name, entry in sorted(listed.items()):
        if not (isinstance(entry, dict) and set(entry) == {"sha256", "size"}
                and isinstance(entry["sha256"], str)
                and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
                and isinstance(entry["size"], int) and not isinstance(entry["size"], bool)):
            problems.append(PackageProblem(MANIFEST_FILE, None, f"bad entry for {name!r}",
                                           f"entri untuk {name!r} rusak"))
            continue
        if name in (MANIFEST_FILE, SIGNATURE_FILE) or _name_problem(name):
            problems.append(PackageProblem(MANIFEST_FILE, None,
                                           f"lists a file a package cannot hold: {name!r}",
                                           f"mencantumkan berkas yang tidak boleh ada: {name!r}"))
            continue
        if name not in files:
            problems.append(PackageProblem(name, None,
                                           "the file was signed but is missing from the package",
                                           "berkas ikut ditandatangani tetapi tidak ada di paket"))
            continue
        data = files[name]
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(PackageProblem(
                name, None,
                "the file was changed after signing (its SHA-256 differs from the manifest)",
                "berkas diubah sesudah ditandatangani (SHA-256 berbeda dari manifes)"))
    for name in sorted(files):
        if name not in listed and name not in (MANIFEST_FILE, SIGNATURE_FILE):
            problems.append(PackageProblem(
                name, None, "the file was added after signing (not in the manifest)",
                "berkas ditambahkan sesudah ditandatangani (tidak ada di manifes)"))
    return (manifest, signature) if signature is not None else None


def _trusted_bytes(key: Any) -> bytes | None:
    if key is None:
        return None
    if isinstance(key, CommitteeKeys):
        return key.sign_key
    if isinstance(key, Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if isinstance(key, (bytes, bytearray)) and len(key) == 32:
        return bytes(key)
    if isinstance(key, str):
        raw = _b64(key, 32)
        if raw is not None:
            return raw
    raise TypeError("trusted_committee_key must be CommitteeKeys, an Ed25519PublicKey, "
                    "32 raw bytes or their base64")


# --- the loader -------------------------------------------------------------

def load_package(path: str | os.PathLike, trusted_committee_key: Any = None) -> ElectionPackage:
    """Read, verify and validate an election package folder or .zip; never writes anything.

    Verifies the committee's signature over the manifest and every file's
    SHA-256; with ``trusted_committee_key`` (CommitteeKeys, Ed25519PublicKey,
    raw 32 bytes or base64) also that the package was signed by that key.
    Validates election.json, committee.json, the DPT, and the candidate
    photos.  Raises :class:`PackageError` listing every problem found.
    """
    trusted = _trusted_bytes(trusted_committee_key)
    files, problems = read_package_files(path)
    content = _check_content(files, problems)
    signed = _check_manifest(files, content.committee, trusted, problems)
    if problems:
        raise PackageError(problems)
    assert signed is not None and content.election is not None
    manifest, signature = signed
    election_id = election_id_of(manifest)
    return ElectionPackage(
        election=content.election,
        candidates=tuple(content.candidates),
        voters=tuple(content.voters),
        companions=tuple(content.companions),
        committee=content.committee,
        election_id=election_id,
        short_id=short_id(election_id),
        photos=MappingProxyType(dict(content.photos)),
        manifest=manifest,
        signature=signature,
    )


# --- the committee's side: keys, signing, zipping -------------------------

SIGN_KEY_FILE = "committee-sign.key"
SEAL_KEY_FILE = "committee-seal.key"
PUBLIC_KEYS_FILE = "committee.pub.json"


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, mode)  # the umask may have narrowed or the file system widened it


def save_key_pair(keys: CommitteeKeyPair, out_dir: str | os.PathLike, *, demo: bool = False) -> Path:
    """Write the private keys (PEM PKCS#8, mode 0600) and ``committee.pub.json``; never overwrite.

    Raises FileExistsError if any of the three files already exists.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    targets = [out / SIGN_KEY_FILE, out / SEAL_KEY_FILE, out / PUBLIC_KEYS_FILE]
    for target in targets:
        if target.exists():
            raise FileExistsError(str(target))
    pem = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, \
        serialization.NoEncryption()
    _write_new(targets[0], keys.sign_private.private_bytes(*pem), 0o600)
    _write_new(targets[1], keys.seal_private.private_bytes(*pem), 0o600)
    public = keys.public.to_json()
    if demo:
        public["_note"] = "DEMO KEY - NOT FOR A REAL ELECTION / KUNCI DEMO - BUKAN UNTUK PEMILIHAN"
    _write_new(targets[2], (json.dumps(public, indent=2) + "\n").encode(), 0o644)
    return out


def load_key_pair(key_dir: str | os.PathLike) -> CommitteeKeyPair:
    """Read the committee's private keys written by :func:`save_key_pair`."""
    key_dir = Path(key_dir)
    sign = serialization.load_pem_private_key((key_dir / SIGN_KEY_FILE).read_bytes(), None)
    seal = serialization.load_pem_private_key((key_dir / SEAL_KEY_FILE).read_bytes(), None)
    if not isinstance(sign, Ed25519PrivateKey) or not isinstance(seal, X25519PrivateKey):
        raise ValueError("the key folder does not hold an Ed25519 and an X25519 private key")
    return CommitteeKeyPair(sign, seal)


def read_public_keys(source: str | os.PathLike) -> CommitteeKeys | bytes:
    """A trusted committee key from a file (committee.pub.json, committee.json, PEM) or base64.

    Returns :class:`CommitteeKeys` for the JSON files, else the raw 32-byte Ed25519 key.
    Raises ValueError with a message for a person if it is neither.
    """
    text = str(source)
    path = Path(text)
    if path.is_file():
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("the PEM file does not hold an Ed25519 public key")
            return _trusted_bytes(key)
        try:
            obj = json.loads(data)
            sign, seal = _b64(obj["sign_key"], 32), _b64(obj["seal_key"], 32)
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path} is not a committee public key file") from None
        if sign is None or seal is None:
            raise ValueError(f"{path} is not a committee public key file")
        return CommitteeKeys(sign, seal)
    raw = _b64(text, 32)
    if raw is None:
        raise ValueError(f"{text} is neither a key file nor a base64 Ed25519 public key")
    return raw


def sign_package(directory: str | os.PathLike, keys: CommitteeKeyPair) -> ElectionPackage:
    """Write committee.json, check the whole package, then write manifest.json and manifest.sig.

    Nothing is signed if the content has problems: :class:`PackageError` lists them
    (committee.json is still updated to the signing key).  Returns the loaded package.
    """
    root = Path(directory)
    if not root.is_dir():
        raise _unreadable(f"{root} is not a folder", f"{root} bukan folder")
    committee = canonical(keys.public.to_json())
    (root / COMMITTEE_FILE).write_bytes(committee)
    files, problems = read_package_files(root)
    files.pop(MANIFEST_FILE, None)
    files.pop(SIGNATURE_FILE, None)
    _check_content(files, problems)
    if problems:
        raise PackageError(problems)
    manifest = make_manifest(files)
    signature = keys.sign_private.sign(SIGNATURE_DOMAIN + manifest)
    for name, data in ((MANIFEST_FILE, manifest),
                       (SIGNATURE_FILE, base64.b64encode(signature) + b"\n")):
        tmp = root / (name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, root / name)
    return load_package(root, keys.public)


def write_package_zip(directory: str | os.PathLike, zip_path: str | os.PathLike) -> Path:
    """Write a signed package folder as a .zip (same bytes, fixed timestamps, sorted names)."""
    files, problems = read_package_files(directory)
    if problems:
        raise PackageError(problems)
    zip_path = Path(zip_path)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return zip_path


#: Example values of the template that must not reach a ballot by oversight.
TEMPLATE_PLACEHOLDERS = frozenset({
    "Pemilihan Kepala Pekon Contoh 2025", "Contoh", "NAMA CALON SATU", "NAMA CALON DUA",
    "NAMA KETUA", "NAMA TEKNISI",
})


def election_template(**overrides: Any) -> dict:
    """An example election.json as a dict (used by ``booth election new`` and the docs)."""
    value = {
        "format": ELECTION_FORMAT,
        "title": "Pemilihan Kepala Pekon Contoh 2025",
        "pekon": "Contoh",
        "kecamatan": "Pagelaran",
        "kabupaten": "Pringsewu",
        "provinsi": "Lampung",
        "tps": 1,
        "date": "2025-11-16",
        "opens": "07:00",
        "closes": "13:00",
        "timezone": DEFAULT_TIMEZONE,
        "allow_blank": False,
        "candidates": [
            {"number": 1, "name": "NAMA CALON SATU", "photo": "1.jpg"},
            {"number": 2, "name": "NAMA CALON DUA", "photo": "2.jpg"},
        ],
        "companions": [
            {"id": "PT-01", "name": "NAMA KETUA", "role": "ketua"},
            {"id": "PT-02", "name": "NAMA TEKNISI", "role": "teknisi"},
        ],
    }
    value.update(overrides)
    return value
