"""The export bundle: one zip file the district can verify with ``booth verify``.

Layout (every member UTF-8 text; see docs/ledger-format.md, "Export bundle")::

    bundle.json       {"format": "booth-bundle-v1", "origin", "verifier_key",
                       "events", "ballots", "spoiled", "slots", "extra": [names]}
    device.pub        the device's C2SP verifier key
    events.jsonl      one line per event, in order:  <base64 signature> <entry>
    checkpoints.jsonl one JSON object per line: {"note": ..., "size": n}
    ballots.jsonl     one line per cast ballot, sorted by ballot ID (never in
                      cast order):  <base64 signature> <record>
    spoiled.jsonl     one line per spoiled ballot, sorted by ballot ID:
                      <base64 spoil mark> <ballot ID hex>  (absent in bundles
                      made before spoiling existed)
    extra/...         optional signed reports (results, custody trail)

Voter photos are never in a bundle.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booth.ledger.canonical import canonical

if TYPE_CHECKING:
    from booth.ledger.ledger import Ledger

BUNDLE_FORMAT = "booth-bundle-v1"


@contextlib.contextmanager
def atomic_zip(path: Path, prefix: str) -> Iterator[zipfile.ZipFile]:
    """A zip written beside ``path`` and moved over it only once it is whole and on disk."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            yield z
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bundle(ledger: Ledger, path: Path, extra: dict[str, bytes] | None = None) -> Path:
    """Write ``ledger`` (and optional extra files) as a bundle at ``path`` atomically."""
    path = Path(path)
    extra = extra or {}
    conn = ledger.connection
    slots = conn.execute("SELECT count(*) FROM ballots").fetchone()[0]
    header = {
        "format": BUNDLE_FORMAT,
        "origin": ledger.key.origin,
        "verifier_key": ledger.key.verifier_key(),
        "events": ledger.size,
        "ballots": ledger.ballots_cast,
        "spoiled": ledger.ballots_spoiled,
        "slots": slots,
        "extra": sorted(extra),
    }
    with atomic_zip(path, ".bundle-") as z:
        z.writestr("bundle.json", canonical(header))
        z.writestr("device.pub", ledger.key.verifier_key() + "\n")
        with z.open("events.jsonl", "w") as out:
            for entry, sig in conn.execute("SELECT entry, sig FROM events ORDER BY seq"):
                out.write(base64.b64encode(sig) + b" " + entry + b"\n")
        with z.open("checkpoints.jsonl", "w") as out:
            for size, text in conn.execute("SELECT size, note FROM checkpoints ORDER BY size"):
                out.write(canonical({"note": text, "size": size}) + b"\n")
        with z.open("ballots.jsonl", "w") as out:
            for _, record, sig in ledger.ballot_records():
                out.write(base64.b64encode(sig) + b" " + record + b"\n")
        with z.open("spoiled.jsonl", "w") as out:
            for ballot_id, mark in ledger.spoil_marks():
                out.write(base64.b64encode(mark) + b" " + ballot_id.hex().encode() + b"\n")
        for name, data in sorted(extra.items()):
            z.writestr("extra/" + name, data)
    return path


# Hard limits on a bundle before anything in it is read (``booth verify`` and the recap alike).
# A real day is far below them: 800 voters make about 4,000 events, well under 5 MB unpacked.
MAX_MEMBERS = 64
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
#: JSON lines compress about 3-10x; far more means a zip bomb.
MAX_RATIO = 200
REQUIRED_MEMBERS = ("bundle.json", "device.pub", "events.jsonl", "checkpoints.jsonl", "ballots.jsonl")
#: Members a bundle may have or lack (older bundles were written before them).
OPTIONAL_MEMBERS = ("spoiled.jsonl",)
_EXTRA_NAME = re.compile(r"extra/[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _bundle_member(name: str) -> bool:
    return name in REQUIRED_MEMBERS or name in OPTIONAL_MEMBERS or bool(_EXTRA_NAME.fullmatch(name))


class UnsafeBundle(ValueError):
    """A zip that is not a bundle's shape or breaks a hard limit: nothing in it is read."""


def check_zip_limits(
    z: zipfile.ZipFile,
    allowed: Callable[[str], bool] | None = None,
    required: tuple[str, ...] = REQUIRED_MEMBERS,
    what: str = "a booth bundle",
) -> None:
    """Refuse zip bombs, path tricks, links, encryption and strange members before reading any.

    Checks the central directory only (sizes as declared; reading a member with
    :mod:`zipfile` then fails if the data is longer than declared).  ``allowed`` and
    ``required`` name another zip's members (the station bundle's); by default a bundle's.
    """
    if allowed is None:
        allowed = _bundle_member
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeBundle(f"the zip has {len(infos)} members (a bundle has at most {MAX_MEMBERS})")
    names: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in names:
            raise UnsafeBundle(f"the member {name[:80]!r} appears twice")
        names.add(name)
        if not allowed(name):
            raise UnsafeBundle(f"unexpected member {name[:80]!r} (not part of {what})")
        if info.flag_bits & 0x1:
            raise UnsafeBundle(f"the member {name} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeBundle(f"the member {name} uses an unsupported compression")
        mode = info.external_attr >> 16
        if mode and not (stat.S_ISREG(mode) or mode & 0o170000 == 0):
            raise UnsafeBundle(f"the member {name} is not a plain file (link or device)")
        if info.file_size > MAX_MEMBER_BYTES:
            raise UnsafeBundle(f"the member {name} unpacks to {info.file_size} bytes (limit {MAX_MEMBER_BYTES})")
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeBundle(
                f"the member {name} is compressed {info.file_size // max(info.compress_size, 1)}x (a zip bomb?)"
            )
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise UnsafeBundle(f"the bundle unpacks to {total} bytes (limit {MAX_TOTAL_BYTES})")
    missing = [m for m in required if m not in names]
    if missing:
        raise UnsafeBundle(f"the bundle lacks {', '.join(missing)}")


def read_header(z: zipfile.ZipFile) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(z.read("bundle.json"))
    return header
