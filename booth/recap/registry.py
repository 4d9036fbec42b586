"""The device registry: which device key serves which polling place, registered before the day.

The committee registers each provisioned device with the election package it
was loaded with (one package per TPS), so the recap knows the polling place,
its area, its DPT and its candidates from the committee's own signed package,
never from what a bundle claims.  The registry file written by provisioning
tools and the demo::

    {"format": "booth-recap-registry-v1",
     "devices": [{"verifier_key", "election_id", "title", "provinsi", "kabupaten",
                  "kecamatan", "pekon", "tps": int, "dpt": int, "allow_blank": bool,
                  "candidates": [{"number": int, "name": str}]}, ...]}

Files arrive on USB sticks: everything is checked with a specific reason.
"""

from __future__ import annotations

import json
import re
from typing import Any

from booth.ledger import note
from booth.ledger.keys import fingerprint, origin_for
from booth.recap.api import Candidate, RecapError, Registration

REGISTRY_FORMAT = "booth-recap-registry-v1"
MAX_REGISTRY_BYTES = 32 * 1024 * 1024
MAX_TEXT = 200
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FIELDS = (
    "verifier_key",
    "election_id",
    "title",
    "provinsi",
    "kabupaten",
    "kecamatan",
    "pekon",
    "tps",
    "dpt",
    "allow_blank",
    "candidates",
)


def registration_from_package(package, verifier_key: str) -> dict:
    """The registry-file entry for a device (its verifier key) loaded with ``package``."""
    e = package.election
    return {
        "verifier_key": verifier_key.strip(),
        "election_id": package.election_id,
        "title": e.title,
        "provinsi": e.provinsi,
        "kabupaten": e.kabupaten,
        "kecamatan": e.kecamatan,
        "pekon": e.pekon,
        "tps": int(e.tps),
        "dpt": len(package.voters),
        "allow_blank": bool(e.allow_blank),
        "candidates": [{"number": int(c.number), "name": c.name} for c in package.candidates],
    }


def _bad(where: str, id_text: str, en_text: str) -> RecapError:
    return RecapError(f"{where}: {id_text}", f"{where}: {en_text}", code="bad_registration")


def _text(obj: dict, key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise _bad(
            where, f"'{key}' harus teks 1-{MAX_TEXT} karakter", f"'{key}' must be text of 1-{MAX_TEXT} characters"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise _bad(where, f"'{key}' berisi karakter kendali", f"'{key}' holds control characters")
    return value.strip()


def _int(obj: dict, key: str, where: str, low: int, high: int) -> int:
    value = obj.get(key)
    if type(value) is not int or not low <= value <= high:
        raise _bad(where, f"'{key}' harus bilangan bulat {low}-{high}", f"'{key}' must be a whole number {low}-{high}")
    return value


def parse_registration(obj: Any, *, where: str = "perangkat", at: str = "", by: str = "") -> Registration:
    """Check one registry entry and make it a :class:`Registration` (raises :class:`RecapError`)."""
    if not isinstance(obj, dict):
        raise _bad(where, "bukan objek JSON", "not a JSON object")
    unknown = sorted(set(obj) - set(_FIELDS))
    if unknown:
        raise _bad(where, f"kolom tidak dikenal {unknown[:3]}", f"unknown fields {unknown[:3]}")
    vkey = _text(obj, "verifier_key", where)
    try:
        name, public = note.parse_verifier_key(vkey)
    except note.NoteError as exc:
        raise _bad(where, f"kunci verifikasi tidak sah ({exc})", f"invalid verifier key ({exc})") from None
    if name != origin_for(public):
        raise _bad(
            where,
            "nama kunci bukan nama perangkat booth dari kunci ini",
            "the key's name is not the booth device name derived from the key",
        )
    election_id = obj.get("election_id")
    if not isinstance(election_id, str) or not _HEX64.fullmatch(election_id):
        raise _bad(where, "'election_id' harus 64 digit heksadesimal", "'election_id' must be 64 hex digits")
    if type(obj.get("allow_blank")) is not bool:
        raise _bad(where, "'allow_blank' harus true/false", "'allow_blank' must be true or false")
    raw = obj.get("candidates")
    if not isinstance(raw, list) or not 1 <= len(raw) <= 50:
        raise _bad(where, "'candidates' harus daftar 1-50 calon", "'candidates' must list 1-50 candidates")
    candidates = []
    for i, c in enumerate(raw):
        if not isinstance(c, dict) or set(c) != {"number", "name"}:
            raise _bad(
                where, f"calon ke-{i + 1} harus punya number dan name", f"candidate {i + 1} needs number and name"
            )
        candidates.append(
            Candidate(_int(c, "number", f"{where}, calon {i + 1}", 1, 99), _text(c, "name", f"{where}, calon {i + 1}"))
        )
    numbers = [c.number for c in candidates]
    if len(set(numbers)) != len(numbers):
        raise _bad(where, "nomor urut calon ganda", "duplicate candidate numbers")
    return Registration(
        verifier_key=vkey,
        fingerprint=fingerprint(public),
        origin=name,
        election_id=election_id,
        title=_text(obj, "title", where),
        provinsi=_text(obj, "provinsi", where),
        kabupaten=_text(obj, "kabupaten", where),
        kecamatan=_text(obj, "kecamatan", where),
        pekon=_text(obj, "pekon", where),
        tps=_int(obj, "tps", where, 1, 999),
        dpt=_int(obj, "dpt", where, 0, 100_000),
        allow_blank=obj["allow_blank"],
        candidates=tuple(sorted(candidates, key=lambda c: c.number)),
        registered_at=at,
        registered_by=by,
    )


def read_registry(data: bytes, *, at: str = "", by: str = "") -> list[Registration]:
    """Parse a registry file; every entry is checked, the first bad one refuses the whole file."""
    if len(data) > MAX_REGISTRY_BYTES:
        raise RecapError("Berkas daftar perangkat terlalu besar", "The registry file is too large", code="bad_registry")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(pairs)

    try:
        obj = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=no_duplicates,
            parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)),
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RecapError(
            f"Berkas daftar perangkat bukan JSON yang sah ({str(exc)[:80]})",
            f"The registry file is not valid JSON ({str(exc)[:80]})",
            code="bad_registry",
        ) from None
    if not isinstance(obj, dict) or obj.get("format") != REGISTRY_FORMAT or not isinstance(obj.get("devices"), list):
        raise RecapError(
            f"Bukan berkas daftar perangkat ({REGISTRY_FORMAT})",
            f"Not a device registry file ({REGISTRY_FORMAT})",
            code="bad_registry",
        )
    return [
        parse_registration(entry, where=f"perangkat {i + 1}", at=at, by=by) for i, entry in enumerate(obj["devices"])
    ]


def registry_file(registrations: list[Registration]) -> bytes:
    """The registry file for ``registrations`` (sorted as the store sorts them)."""
    devices = [r.to_json() for r in sorted(registrations, key=sort_key)]
    return (json.dumps({"format": REGISTRY_FORMAT, "devices": devices}, ensure_ascii=False, indent=1) + "\n").encode()


def sort_key(r: Registration) -> tuple:
    return (r.kabupaten, r.kecamatan, r.pekon, r.tps, r.fingerprint)
