"""scrypt for the PINs, in this process or in a short-lived child (the ledger service's way).

Every PIN check runs scrypt (N=2^14, r=8: 128 * r * N = 16 MiB of working memory, the PIN's
protection by design), twice per sign-in: the PIN's hash, then the photo vault's key.  In the
ledger service that buffer was the whole excess of its peak memory over its target (issue #15:
the peak resident size counts a buffer held for 60 ms as much as one held all day).  The ledger
service calls :func:`isolate_scrypt` as it starts: from then on each scrypt runs in a child
process (``python -S -c``, a few lines) that reads its input on stdin (never argv: the PIN is in it)
and writes the derived key on stdout, so its 16 MiB go away with it.

A child that cannot run or answer is no reason to refuse a companion: the same scrypt then runs
here (the memory figure suffers, not the day), and the log says so.  The result is the same
RFC 7914 scrypt either way (``hashlib.scrypt``).
"""

from __future__ import annotations

import hashlib
import logging
import struct
import subprocess
import sys

log = logging.getLogger(__name__)

CHILD_TIMEOUT_S = 30
_isolated = False
_HEADER = struct.Struct(">IIIIII")  # n, r, p, dklen, maxmem, len(salt)


# What one scrypt may use unless the caller says more (OpenSSL's own default): a tampered
# stored hash asking for more is refused (ValueError), never allocated.
MAX_MEMORY = 32 << 20


def isolate_scrypt(on: bool = True) -> None:
    """Run every scrypt of this process in a short-lived child from now on (``on=False``: here)."""
    global _isolated
    _isolated = on


def scrypt(password: bytes, *, salt: bytes, n: int, r: int, p: int, dklen: int, maxmem: int = MAX_MEMORY) -> bytes:
    """RFC 7914 scrypt; raises ValueError for parameters scrypt refuses or that need more than
    ``maxmem`` bytes, as ``hashlib.scrypt``."""
    if _isolated:
        key = _in_child(password, salt, n, r, p, dklen, maxmem)
        if key is not None:
            return key
    return _here(password, salt, n, r, p, dklen, maxmem)


def _here(password: bytes, salt: bytes, n: int, r: int, p: int, dklen: int, maxmem: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=maxmem)


def _in_child(password: bytes, salt: bytes, n: int, r: int, p: int, dklen: int, maxmem: int) -> bytes | None:
    """The key from a child, or None when the child could not give it (refused parameters
    are checked here first, so a None never hides a ValueError)."""
    if (
        not all(isinstance(v, int) and 0 < v < 2**32 for v in (n, r, p, dklen, maxmem))
        or n & (n - 1)
        or 128 * r * (n + p + 2) > maxmem
    ):
        return _here(password, salt, n, r, p, dklen, maxmem)  # raises as scrypt would, allocating nothing
    request = _HEADER.pack(n, r, p, dklen, maxmem, len(salt)) + salt + password
    try:
        done = subprocess.run(
            [sys.executable, "-S", "-E", "-c", _CHILD],
            input=request,
            capture_output=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("scrypt di proses anak gagal / scrypt child failed (%s): computing it here", exc)
        return None
    if done.returncode != 0 or len(done.stdout) != dklen:
        log.warning(
            "scrypt di proses anak gagal / scrypt child failed (exit %s, %d bytes): computing it here",
            done.returncode,
            len(done.stdout),
        )
        return None
    return done.stdout


# The child: only hashlib, struct and sys, no site, no booth (-S -E: its start is most of its
# cost: about 30 ms more than scrypt itself, measured). It answers the key, or exits non-zero.
_CHILD = """
import hashlib, struct, sys
d = sys.stdin.buffer.read()
h = struct.Struct(">IIIIII")
n, r, p, dklen, maxmem, s = h.unpack_from(d)
salt, pw = d[h.size:h.size + s], d[h.size + s:]
sys.stdout.buffer.write(hashlib.scrypt(pw, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=maxmem))
"""
