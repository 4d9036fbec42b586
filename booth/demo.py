"""The demo day: a fictional election run on a simulated booth, end to end, headless.

Writes into ``out``: ``state/`` (the device's state directory), ``bundle.zip``
(the export for the district) and ``summary.json``; then runs ``booth
verify`` on both and says what it did.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import TextIO

from booth.ledger.bundle import write_bundle
from booth.ledger.clock import FakeClock
from booth.ledger.keys import short_fingerprint
from booth.ledger.ledger import Ledger
from booth.ledger.verify import format_report, open_source, verify


def run_demo(out: Path, *, voters: int = 300, seed: int = 2026, stream: TextIO) -> int:
    """Run the demo day into ``out`` (replacing an earlier demo there); return an exit code."""
    if out.exists():
        if not (out / "summary.json").exists():
            stream.write(f"booth demo: {out} exists and is not a demo output; choose another --out\n")
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = random.Random(seed)
    clock = FakeClock()
    election = hashlib.sha256(b"demo election: Pekon Sukamaju TPS 01").hexdigest()
    choices = []
    with Ledger.create(out / "state", clock=clock, note_text="demo device") as ledger:
        ledger.append("election.loaded", "panitia", {"election_id": election, "candidates": 3})
        ledger.add_ballot_slots(voters + voters // 5 + 20, actor="K01")
        ledger.append("polls.opened", "K01", {})
        for _ in range(voters):
            clock.advance(rng.randint(20, 120))
            choice = rng.choice(["1", "2", "3"])
            ledger.cast_ballot(election, choice, actor="K01")
            ledger.record_slip("slip.printed", "system")
            choices.append(choice)
        ledger.close_ballot_box("K01", {"reason": None})
        tally = dict(sorted(ledger.tally().items()))
        write_bundle(ledger, out / "bundle.zip")
        fingerprint = ledger.key.fingerprint
        checkpoint = ledger.latest_checkpoint()
    reports = {name: verify(open_source(out / name)) for name in ("state", "bundle.zip")}
    summary = {
        "election_id": election,
        "device_fingerprint": fingerprint,
        "tally": tally,
        "expected_tally": {k: choices.count(k) for k in sorted(set(choices))},
        "final_checkpoint": checkpoint,
        "verify": {name: r.ok for name, r in reports.items()},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    stream.write(f"Demo: {voters} pemilih / voters, perangkat / device {short_fingerprint(fingerprint)}\n")
    stream.write(format_report(reports["state"]) + "\n")
    stream.write(f"Artefak / artifacts: {out}/state, {out}/bundle.zip, {out}/summary.json\n")
    ok = all(r.ok for r in reports.values()) and summary["tally"] == summary["expected_tally"]
    return 0 if ok else 1
