"""Companions (petugas): roles, what each may do, PINs, and the lockout rule.

PINs are at least 6 digits and stored only as scrypt hashes in the device
state (never in the exported log).  Wrong PINs are logged as events, so the
count survives restarts: it is recomputed from the log.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from dataclasses import dataclass

from booth.ledger.kdf import scrypt

ROLES = {
    "ketua": ("Ketua KPPS / koordinator", "Coordinator"),
    "teknisi": ("Pendamping teknis", "Technician"),
    "anggota": ("Anggota KPPS", "Polling officer"),
}

# What each role may do.  One table, read by the service's guard.
PERMISSIONS: dict[str, frozenset[str]] = {
    "custody": frozenset({"ketua", "teknisi"}),
    "self_test": frozenset({"ketua", "teknisi"}),
    "zero_report": frozenset({"ketua", "teknisi"}),
    "open_polls": frozenset({"ketua"}),
    "pause": frozenset({"ketua", "teknisi", "anggota"}),
    "resume": frozenset({"ketua", "teknisi", "anggota"}),
    "close_polls": frozenset({"ketua"}),
    "count": frozenset({"ketua"}),
    "results_report": frozenset({"ketua", "teknisi"}),
    "export": frozenset({"ketua", "teknisi"}),
    "pack": frozenset({"ketua"}),
    "check_in": frozenset({"ketua", "teknisi", "anggota"}),
    "add_dptb": frozenset({"ketua", "anggota"}),
    "release": frozenset({"ketua", "teknisi", "anggota"}),
    "cancel_release": frozenset({"ketua", "teknisi", "anggota"}),
    "pair_station": frozenset({"ketua", "teknisi"}),
    "reprint": frozenset({"ketua", "teknisi"}),
    "spoil": frozenset({"ketua", "teknisi", "anggota"}),
    "escalate_dispute": frozenset({"ketua", "teknisi", "anggota"}),
    "skip_photo": frozenset({"ketua", "teknisi", "anggota"}),
    "view_photo": frozenset({"ketua", "anggota"}),
    "verify": frozenset({"ketua", "teknisi"}),
    "enroll": frozenset({"ketua"}),
}

MIN_PIN_DIGITS = 6
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def check_pin_format(pin: str) -> str | None:
    """What is wrong with a new PIN, in Indonesian, or None."""
    if not isinstance(pin, str) or not pin.isdigit() or not pin.isascii():
        return "PIN hanya boleh angka"
    if len(pin) < MIN_PIN_DIGITS:
        return f"PIN minimal {MIN_PIN_DIGITS} angka"
    if len(pin) > 12:
        return "PIN paling banyak 12 angka"
    if len(set(pin)) == 1 or pin in "0123456789012" or pin in "9876543210987":
        return "PIN terlalu mudah ditebak (angka sama atau berurutan)"
    return None


def hash_pin(pin: str, *, n: int = SCRYPT_N) -> str:
    """A self-describing scrypt hash: JSON with salt, parameters and hash."""
    salt = secrets.token_bytes(16)
    digest = scrypt(pin.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return json.dumps(
        {
            "alg": "scrypt",
            "n": n,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode(),
            "hash": base64.b64encode(digest).decode(),
        }
    )


def pin_matches(pin: str, stored: str) -> bool:
    try:
        rec = json.loads(stored)
        salt = base64.b64decode(rec["salt"])
        expected = base64.b64decode(rec["hash"])
        digest = scrypt(pin.encode(), salt=salt, n=rec["n"], r=rec["r"], p=rec["p"], dklen=32)
    except (ValueError, KeyError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


# ------------------------------------------------------------------ lockout
FREE_MISSES = 5
FIRST_WAIT_SECONDS = 15
LOCK_AFTER_MISSES = 15


@dataclass(frozen=True)
class Lockout:
    """The answer of :func:`lockout`: may the companion try a PIN now?"""

    allowed: bool
    wait_seconds: int = 0
    locked: bool = False  # only the committee can unlock


def lockout(misses: int, seconds_since_last_miss: float | None) -> Lockout:
    """Whether a companion with ``misses`` wrong PINs in a row may try again now.

    The rule, case by case:

    * fewer than 5 misses: try at once;
    * 5 misses: wait 15 s after the last miss; 6 misses: 30 s; 7: 60 s; each
      further miss doubles the wait;
    * 15 misses: locked until the committee resets the companion;
    * a right PIN, or a committee reset, sets the count back to 0 (the caller
      counts misses since the last of those).

    The time since the last miss is measured by the caller on the monotonic
    clock (so setting the wall clock back does not lengthen a wait).

    >>> lockout(4, 0)
    Lockout(allowed=True, wait_seconds=0, locked=False)
    >>> lockout(6, 10)
    Lockout(allowed=False, wait_seconds=20, locked=False)
    >>> lockout(15, 86400).locked
    True
    """
    if misses >= LOCK_AFTER_MISSES:
        return Lockout(False, 0, True)
    if misses < FREE_MISSES or seconds_since_last_miss is None:
        return Lockout(True)
    wait = FIRST_WAIT_SECONDS * 2 ** (misses - FREE_MISSES)
    remaining = wait - seconds_since_last_miss
    if remaining <= 0:
        return Lockout(True)
    return Lockout(False, int(-(-remaining // 1)))
