"""The election package's model: the names and limits of its files, its problems, and the data it holds."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from booth.dpt import Voter

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
PHOTO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(?:jpg|jpeg|png)", re.IGNORECASE)
COMPANION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

#: Example values of the template that must not reach a ballot by oversight.
TEMPLATE_PLACEHOLDERS = frozenset(
    {
        "Pemilihan Kepala Pekon Contoh 2025",
        "Contoh",
        "NAMA CALON SATU",
        "NAMA CALON DUA",
        "NAMA KETUA",
        "NAMA TEKNISI",
    }
)


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
    def generate(cls) -> CommitteeKeyPair:
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
    chars = "".join(CROCKFORD[(bits >> (5 * k)) & 31] for k in range(11, -1, -1))
    return f"{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


def b64_bytes(value: Any, length: int) -> bytes | None:
    """The ``length`` bytes a base64 text holds, or None (not text, not base64, another length)."""
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def unreadable(en: str, id_: str, name: str = "") -> PackageError:
    """The error for a package that cannot be read at all (missing, not a folder or zip, damaged)."""
    return PackageError([PackageProblem(name, None, en, id_)], unreadable=True)
