"""Checking a package's content: election.json, committee.json, the DPT and the candidates' photos.

Every problem is collected (bilingual, with the file, line and field) before
anything is refused; the manifest and the signature are ``manifest``'s.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from booth.dpt import DptError, Voter, parse_dpt
from booth.election_package.model import (
    COMMITTEE_FILE,
    COMMITTEE_FORMAT,
    COMPANION_ID,
    COMPANION_ROLES,
    DEFAULT_TIMEZONE,
    DPT_FILE,
    ELECTION_FILE,
    ELECTION_FORMAT,
    MANIFEST_FILE,
    MAX_CANDIDATES,
    MIN_CANDIDATES,
    PHOTO_DIR,
    PHOTO_MAX_PX,
    PHOTO_MIN_PX,
    PHOTO_NAME,
    TEMPLATE_PLACEHOLDERS,
    TIMEZONES,
    Candidate,
    CommitteeKeys,
    Companion,
    Election,
    PackageProblem,
    b64_bytes,
)
from booth.strict_json import JsonProblem, loads

# When election.json cannot be read, the DPT is still checked; NIK birth
# years then only need a reference date late enough that no birth is "future".
_FALLBACK_REFERENCE = date(2099, 12, 31)


def strict_json(data: bytes, name: str, problems: list[PackageProblem]) -> Any:
    """The JSON file ``name`` read strictly (``booth.strict_json``), or None with its problem recorded."""
    if data.startswith(b"\xef\xbb\xbf"):  # Notepad's byte-order mark
        data = data[3:]
    try:
        return loads(data)
    except JsonProblem as exc:
        if exc.kind == "not_utf8":
            problems.append(PackageProblem(name, None, "the file is not UTF-8 text", "berkas bukan teks UTF-8"))
        elif exc.kind == "syntax":
            problems.append(
                PackageProblem(
                    name,
                    exc.line,
                    f"not valid JSON: {exc.msg} (column {exc.column})",
                    f"bukan JSON yang sah: {exc.msg} (kolom {exc.column}); periksa koma, tanda kutip dan kurung",
                )
            )
        else:
            if exc.kind == "duplicate_key":
                why = f"duplicate key {exc.keys[0]!r}"
            elif exc.kind == "constant":
                why = f"{exc.constant} is not allowed"
            else:
                why = str(exc.cause)
            problems.append(PackageProblem(name, None, f"not valid JSON: {why}", f"bukan JSON yang sah: {why}"))
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
                self.problem(
                    key,
                    f'unknown field "{key}" (allowed: {", ".join(allowed)})',
                    f'isian "{key}" tidak dikenal (yang boleh: {", ".join(allowed)})',
                )

    def text(self, key: str, *, required: bool = True, default: str = "", max_length: int = 120) -> str | None:
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
            self.problem(
                key,
                f"must be at most {max_length} printable characters",
                f"paling banyak {max_length} huruf yang dapat dicetak",
            )
            return None
        if value in TEMPLATE_PLACEHOLDERS:
            self.problem(
                key,
                f'still the template\'s example "{value}": fill in the real value',
                f'masih contoh dari templat "{value}": isi dengan data sebenarnya',
            )
            return None
        return value

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.obj.get(key)
        if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
            value = int(value.strip())
        if key not in self.obj:
            self.problem(key, "is missing", "tidak ada")
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(
                key, f"must be a whole number from {low} to {high}", f"harus bilangan bulat dari {low} sampai {high}"
            )
        else:
            return value
        return None


ELECTION_KEYS = (
    "format",
    "title",
    "pekon",
    "kecamatan",
    "kabupaten",
    "provinsi",
    "tps",
    "date",
    "opens",
    "closes",
    "timezone",
    "allow_blank",
    "candidates",
    "companions",
)


def _parse_election(obj: Any, problems: list[PackageProblem]):
    f = _Fields(obj, ELECTION_FILE, "", problems)
    if not f.ok:
        return None, None, None
    f.only(ELECTION_KEYS)
    if f.obj.get("format") != ELECTION_FORMAT:
        f.problem("format", f'must be "{ELECTION_FORMAT}"', f'harus "{ELECTION_FORMAT}"')
    title = f.text("title")
    pekon = f.text("pekon")
    kecamatan = f.text("kecamatan")
    kabupaten = f.text("kabupaten")
    provinsi = f.text("provinsi", required=False)
    tps = f.integer("tps", 1, 999)
    day = _election_date(f)
    zone = _election_zone(f)
    hours = _election_hours(f)

    allow_blank = f.obj.get("allow_blank", False)
    if not isinstance(allow_blank, bool):
        f.problem("allow_blank", "must be true or false", "harus true atau false")

    candidates = _parse_candidates(f.obj.get("candidates"), problems)
    companions = _parse_companions(f.obj.get("companions"), problems)

    if (
        title is not None
        and pekon is not None
        and kecamatan is not None
        and kabupaten is not None
        and provinsi is not None
        and tps is not None
        and day is not None
        and zone is not None
        and len(hours) == 2
        and isinstance(allow_blank, bool)
        and hours["opens"] < hours["closes"]
    ):
        tz = timezone(*TIMEZONES[zone])
        election = Election(
            title=title,
            pekon=pekon,
            kecamatan=kecamatan,
            kabupaten=kabupaten,
            provinsi=provinsi,
            tps=tps,
            date=day,
            opens_at=datetime.combine(day, hours["opens"], tz),
            closes_at=datetime.combine(day, hours["closes"], tz),
            timezone=zone,
            allow_blank=allow_blank,
        )
    else:
        election = None
    return election, candidates, companions


def _election_date(f: _Fields) -> date | None:
    """The election's day, written YYYY-MM-DD."""
    raw_date = f.obj.get("date")
    if "date" not in f.obj:
        f.problem("date", "is missing", "tidak ada")
        return None
    try:
        if not isinstance(raw_date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date):
            raise ValueError
        return date.fromisoformat(raw_date)
    except ValueError:
        f.problem(
            "date",
            "must be a date written YYYY-MM-DD, e.g. 2025-11-16",
            "harus tanggal dengan format TTTT-BB-HH, misalnya 2025-11-16",
        )
        return None


def _election_zone(f: _Fields) -> str | None:
    """The polling place's time zone (WIB, WITA or WIT)."""
    zone = f.obj.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(zone, str) or zone not in TIMEZONES:
        f.problem(
            "timezone",
            f"must be one of {', '.join(TIMEZONES)} (WIB, WITA, WIT)",
            f"harus salah satu dari {', '.join(TIMEZONES)} (WIB, WITA, WIT)",
        )
        return None
    return zone


def _election_hours(f: _Fields) -> dict[str, time]:
    """The opening and closing times, HH:MM, the polls closing after they open."""
    hours: dict[str, time] = {}
    for key in ("opens", "closes"):
        raw = f.obj.get(key)
        if key not in f.obj:
            f.problem(key, "is missing", "tidak ada")
        elif not isinstance(raw, str) or not re.fullmatch(r"\d{2}:\d{2}", raw):
            f.problem(
                key,
                "must be a time written HH:MM (24-hour), e.g. 07:00",
                "harus jam dengan format JJ:MM (24 jam), misalnya 07:00",
            )
        else:
            try:
                hours[key] = time(int(raw[:2]), int(raw[3:]))
            except ValueError:
                f.problem(key, f"{raw} is not a time of day", f"{raw} bukan jam yang ada")
    if len(hours) == 2 and hours["opens"] >= hours["closes"]:
        f.problem("closes", "the polls must close after they open", "jam tutup harus sesudah jam buka")
    return hours


def _parse_candidates(value: Any, problems: list[PackageProblem]) -> list[Candidate] | None:
    def problem(path, en, id_):
        problems.append(PackageProblem(ELECTION_FILE, None, en, id_, path))

    if value is None:
        problem("candidates", "is missing", "tidak ada")
        return None
    if not isinstance(value, list):
        problem("candidates", "must be a list [ ... ] of candidates", "harus berupa daftar [ ... ] calon")
        return None
    if not MIN_CANDIDATES <= len(value) <= MAX_CANDIDATES:
        problem(
            "candidates",
            f"there are {len(value)} candidates; an election has {MIN_CANDIDATES} to {MAX_CANDIDATES}",
            f"ada {len(value)} calon; pemilihan harus diikuti {MIN_CANDIDATES} sampai {MAX_CANDIDATES} calon",
        )
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
        if photo is not None and not PHOTO_NAME.fullmatch(photo):
            f.problem(
                "photo",
                'must be a file name in photos/ such as "1.jpg" or "2.png"',
                'harus nama berkas di photos/ seperti "1.jpg" atau "2.png"',
            )
            photo = None
        if number is None or name is None or photo is None:
            ok = False
            continue
        out.append(Candidate(number, name, photo))
    if not ok:
        return None
    numbers = sorted(c.number for c in out)
    if numbers != list(range(1, len(out) + 1)):
        problem(
            "candidates",
            f"nomor urut must be 1 to {len(out)}, each once; found {numbers}",
            f"nomor urut harus 1 sampai {len(out)}, masing-masing sekali; tertulis {numbers}",
        )
        return None
    for key, label_en, label_id in (("photo", "photo", "foto"), ("name", "name", "nama")):
        seen: dict[str, int] = {}
        for c in out:
            value_ = getattr(c, key).lower() if key == "photo" else getattr(c, key).upper()
            if value_ in seen:
                problem(
                    "candidates",
                    f"candidates {seen[value_]} and {c.number} have the same {label_en}",
                    f"calon {seen[value_]} dan {c.number} memakai {label_id} yang sama",
                )
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
        problem(
            "companions",
            "must be a list [ ... ] with at least one companion",
            "harus berupa daftar [ ... ] dengan paling sedikit satu petugas",
        )
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
        if ident is not None and not COMPANION_ID.fullmatch(ident):
            f.problem(
                "id",
                "must be letters, digits, '.', '-' or '_' (e.g. PT-01)",
                "hanya boleh huruf, angka, '.', '-' atau '_' (misalnya PT-01)",
            )
            ident = None
        name = f.text("name", max_length=80)
        role = f.obj.get("role")
        if role not in COMPANION_ROLES:
            f.problem(
                "role",
                f"must be one of {', '.join(COMPANION_ROLES)}",
                f"harus salah satu dari {', '.join(COMPANION_ROLES)}",
            )
            role = None
        if ident is None or name is None or role is None:
            ok = False
            continue
        out.append(Companion(ident, name, role))
    seen: dict[str, int] = {}
    for index, c in enumerate(out):
        if c.id.upper() in seen:
            problem("companions", f"companion id {c.id} is used twice", f"id petugas {c.id} dipakai dua kali")
            ok = False
        seen[c.id.upper()] = index
    return out if ok else None


def _parse_committee(
    data: bytes | None, problems: list[PackageProblem], report_missing: bool = True
) -> CommitteeKeys | None:
    if data is None:
        if not report_missing:
            return None
        problems.append(
            PackageProblem(
                COMMITTEE_FILE,
                None,
                "missing: the package is not signed yet (run: booth election sign DIR --key KEYDIR)",
                "tidak ada: paket belum ditandatangani (jalankan: booth election sign FOLDER --key FOLDER_KUNCI)",
            )
        )
        return None
    obj = strict_json(data, COMMITTEE_FILE, problems)
    if obj is None:
        return None
    f = _Fields(obj, COMMITTEE_FILE, "", problems)
    if not f.ok:
        return None
    f.only(("format", "sign_key", "seal_key"))
    if f.obj.get("format") != COMMITTEE_FORMAT:
        f.problem("format", f'must be "{COMMITTEE_FORMAT}"', f'harus "{COMMITTEE_FORMAT}"')
        return None
    keys = {}
    for name, loader in (("sign_key", Ed25519PublicKey), ("seal_key", X25519PublicKey)):
        raw = b64_bytes(f.obj.get(name), 32)
        if raw is None:
            f.problem(name, "must be a base64 32-byte public key", "harus kunci publik 32 byte dalam base64")
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


_isolated_photo_checks = False


def isolate_photo_checks() -> None:
    """Check a package's photos in a short-lived child process from now on, not in this one.

    The ledger service calls this as it starts: the photo check needs Pillow (about 4 MB of
    resident code and data once loaded, never given back), and the service needs it for
    nothing else.  The child runs the very same checks (``_check_photo``) and reports the
    same problems; a child that cannot run or answer refuses every photo, in words.
    """
    global _isolated_photo_checks
    _isolated_photo_checks = True


def _check_photos(photos: dict[str, bytes]) -> dict[str, list[PackageProblem]]:
    """The problems of each photo (name -> problems), in this process or a child (above)."""
    if not photos:
        return {}
    if _isolated_photo_checks:
        return _check_photos_in_child(photos)
    found: dict[str, list[PackageProblem]] = {}
    for name, data in photos.items():
        found[name] = []
        _check_photo(name, data, found[name])
    return found


PHOTO_CHECK_TIMEOUT_S = 120


def _check_photos_in_child(photos: dict[str, bytes]) -> dict[str, list[PackageProblem]]:
    # Length-prefixed frames, not base64 in JSON: one copy of the photos, not nearly three.
    request = b"".join(
        struct.pack(">I", len(key)) + key + struct.pack(">I", len(data)) + data
        for key, data in ((name.encode("utf-8"), data) for name, data in photos.items())
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "booth.election_package.photo_check"],
            input=request,
            capture_output=True,
            timeout=PHOTO_CHECK_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"exit {done.returncode}")
        answer = json.loads(done.stdout)
        found = {name: [PackageProblem(name, None, str(en), str(id_)) for en, id_ in answer[name]] for name in photos}
    except (OSError, subprocess.SubprocessError, RuntimeError, ValueError, KeyError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return {
            name: [
                PackageProblem(
                    name,
                    None,
                    f"could not be checked: the photo checker failed ({reason})",
                    f"tidak dapat diperiksa: pemeriksa foto gagal ({reason})",
                )
            ]
            for name in photos
        }
    return found


def check_photos_answer(request: bytes) -> bytes:
    """The child's side: photos as frames (name length, name, data length, data) in,
    JSON ``{name: [[en, id], ...]}`` out."""
    photos: dict[str, bytes] = {}
    at = 0
    while at < len(request):
        (size,) = struct.unpack_from(">I", request, at)
        name = request[at + 4 : at + 4 + size].decode("utf-8")
        at += 4 + size
        (size,) = struct.unpack_from(">I", request, at)
        photos[name] = request[at + 4 : at + 4 + size]
        if len(photos[name]) != size:
            raise ValueError("a photo frame is cut short")
        at += 4 + size
    answer = {}
    for name, data in photos.items():
        problems: list[PackageProblem] = []
        _check_photo(name, data, problems)
        answer[name] = [[p.message_en, p.message_id] for p in problems]
    return json.dumps(answer).encode("ascii")


def _check_photo(name: str, data: bytes, problems: list[PackageProblem]) -> None:
    from PIL import Image  # only the loader needs Pillow

    expected = "PNG" if name.lower().endswith(".png") else "JPEG"
    try:
        with warnings.catch_warnings():
            # A header declaring a huge picture is refused below by its size, in words;
            # Pillow's warning about it would only go to a log nobody reads.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        # A few kilobytes that would unpack into hundreds of millions of pixels (a
        # "decompression bomb"): Pillow refuses to open it, and so do we, in words.
        millions = 2 * (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000  # Pillow's error threshold
        problems.append(
            PackageProblem(
                name,
                None,
                f"declares a picture far too large to open (over {millions} million "
                f"pixels); each side must be {PHOTO_MIN_PX} to {PHOTO_MAX_PX} pixels",
                f"menyatakan gambar yang terlalu besar untuk dibuka (lebih dari "
                f"{millions} juta piksel); setiap sisi harus {PHOTO_MIN_PX} "
                f"sampai {PHOTO_MAX_PX} piksel",
            )
        )
        return
    except Exception as exc:  # Pillow raises many exception types on malformed images
        problems.append(_unreadable_photo(name, exc))
        return
    try:
        with image:
            fmt = image.format
            width, height = image.size
            if fmt not in ("JPEG", "PNG"):
                problems.append(
                    PackageProblem(
                        name, None, f"is a {fmt} image; use JPEG or PNG", f"gambar {fmt}; gunakan JPEG atau PNG"
                    )
                )
                return
            if fmt != expected:
                problems.append(
                    PackageProblem(
                        name,
                        None,
                        f"is a {fmt} image but its name ends like a {expected}",
                        f"gambar {fmt} tetapi akhiran namanya untuk {expected}",
                    )
                )
                return
            if not (PHOTO_MIN_PX <= width <= PHOTO_MAX_PX and PHOTO_MIN_PX <= height <= PHOTO_MAX_PX):
                problems.append(
                    PackageProblem(
                        name,
                        None,
                        f"is {width}x{height} pixels; each side must be {PHOTO_MIN_PX} to {PHOTO_MAX_PX}",
                        f"berukuran {width}x{height} piksel; setiap sisi harus {PHOTO_MIN_PX} sampai {PHOTO_MAX_PX}",
                    )
                )
                return
            image.load()  # decode fully: a truncated or corrupt photo fails here, not on screen
    except Exception as exc:  # Pillow raises many exception types on malformed images
        problems.append(_unreadable_photo(name, exc))


def _unreadable_photo(name: str, exc: Exception) -> PackageProblem:
    return PackageProblem(
        name,
        None,
        f"is not a readable JPEG or PNG image ({type(exc).__name__})",
        f"bukan gambar JPEG atau PNG yang dapat dibaca ({type(exc).__name__})",
    )


@dataclass
class Content:
    election: Election | None = None
    candidates: list[Candidate] | None = None
    companions: list[Companion] | None = None
    committee: CommitteeKeys | None = None
    voters: list[Voter] | None = None
    photos: dict[str, bytes] = field(default_factory=dict)


def check_content(files: Mapping[str, bytes], problems: list[PackageProblem], *, voter_roll: bool = True) -> Content:
    """Validate everything except the manifest and signature.

    Without ``voter_roll`` (a polling station's booth, which keeps no voter roll) the DPT must be
    absent and the voters are none.
    """
    content = Content()
    if not voter_roll:
        if DPT_FILE in files:
            problems.append(
                PackageProblem(DPT_FILE, None, "a booth keeps no voter roll", "bilik suara tidak menyimpan DPT")
            )
        content.voters = []
    for required in (ELECTION_FILE, DPT_FILE) if voter_roll else (ELECTION_FILE,):
        if required not in files:
            problems.append(PackageProblem(required, None, "the file is missing", "berkas tidak ada"))
    if ELECTION_FILE in files:
        obj = strict_json(files[ELECTION_FILE], ELECTION_FILE, problems)
        if obj is not None:
            content.election, content.candidates, content.companions = _parse_election(obj, problems)
    # An unsigned package gets one "not signed" problem (from the manifest check), not three.
    content.committee = _parse_committee(files.get(COMMITTEE_FILE), problems, report_missing=MANIFEST_FILE in files)

    if DPT_FILE in files and voter_roll:
        reference = content.election.date if content.election else _FALLBACK_REFERENCE
        try:
            content.voters = parse_dpt(files[DPT_FILE], reference_date=reference)
        except DptError as exc:
            for p in exc.problems:
                problems.append(PackageProblem(DPT_FILE, p.line, p.message_en, p.message_id, p.column))

    photo_names = sorted(n for n in files if n.startswith(PHOTO_DIR + "/"))
    wanted = {c.photo: c.number for c in content.candidates or ()}
    present = {n[len(PHOTO_DIR) + 1 :]: n for n in photo_names}
    # A photo already refused while reading (too large, a link, not a regular file) has
    # its one message; "missing" beside it would send the committee looking for a file
    # that is there.
    refused_already = {p.file for p in problems}
    for photo, number in sorted(wanted.items(), key=lambda kv: kv[1]):
        if photo not in present and f"{PHOTO_DIR}/{photo}" not in refused_already:
            problems.append(
                PackageProblem(
                    f"{PHOTO_DIR}/{photo}",
                    None,
                    f"the photo of candidate {number} is missing from photos/",
                    f"foto calon nomor {number} tidak ada di photos/",
                )
            )
    checked = {full: files[full] for photo, full in present.items() if content.candidates is None or photo in wanted}
    photo_problems = _check_photos(checked)
    for photo, full in present.items():
        if content.candidates is not None and photo not in wanted:
            problems.append(
                PackageProblem(
                    full,
                    None,
                    "no candidate uses this photo: remove it or fix election.json",
                    "foto ini tidak dipakai calon mana pun: hapus atau perbaiki election.json",
                )
            )
            continue
        problems.extend(photo_problems.get(full, ()))
        content.photos[photo] = files[full]
    return content
