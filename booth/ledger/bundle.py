"""The export bundle: one zip file the district can verify with ``booth verify``.

Layout (every member UTF-8 text; see docs/ledger-format.md, "Export bundle")::

    bundle.json       {"format": "booth-bundle-v1", "origin", "verifier_key",
                       "events", "ballots", "slots", "extra": [names]}
    device.pub        the device's C2SP verifier key
    events.jsonl      one line per event, in order:  <base64 signature> <entry>
    checkpoints.jsonl one JSON object per line: {"note": ..., "size": n}
    ballots.jsonl     one line per cast ballot, sorted by ballot ID (never in
                      cast order):  <base64 signature> <record>
    extra/...         optional signed reports (results, custody trail)

Voter photos are never in a bundle.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import zipfile
from pathlib import Path

from booth.ledger.canonical import canonical

BUNDLE_FORMAT = "booth-bundle-v1"


def write_bundle(ledger, path: Path, extra: dict[str, bytes] | None = None) -> Path:
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
        "slots": slots,
        "extra": sorted(extra),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".bundle-", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
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
            for name, data in sorted(extra.items()):
                z.writestr("extra/" + name, data)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_header(z: zipfile.ZipFile) -> dict:
    return json.loads(z.read("bundle.json"))
