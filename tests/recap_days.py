"""Polling places for the recap's tests: a package per TPS, a day through the core, its bundle.

    pkg = tps_package(root, pekon="Sukamaju", tps=2, voters=20, keys=committee)
    day = counted_day(root / "tps2", pkg, ["1", "2", "2", "blank"])   # -> CountedDay
    day.bundle (bytes), day.statement (the results QR text), day.verifier_key, day.registration (dict)

Every day runs on a FakeClock with a cheap scrypt (tests/service_day.py), so a
polling place of a few voters takes well under a second.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from booth.demo_election import write_demo_files
from booth.election_package import CommitteeKeyPair, load_package, sign_package
from booth.recap.registry import registration_from_package
from service_day import closes_at, fast_tmp, open_polls, print_zero_report, provision, vote, walk_custody

_KEYS: list[CommitteeKeyPair] = []


def committee() -> CommitteeKeyPair:
    if not _KEYS:
        _KEYS.append(CommitteeKeyPair.generate())
    return _KEYS[0]


def tps_package(
    root: Path,
    *,
    pekon: str,
    tps: int,
    kecamatan: str = "Pagelaran",
    voters: int = 20,
    seed: int = 1,
    allow_blank: bool = False,
    candidates: int = 3,
) -> Path:
    """A signed election package for one TPS (the demo's candidates and companions)."""
    folder = Path(root) / f"pkg-{kecamatan}-{pekon}-{tps}".lower().replace(" ", "-")
    if folder.exists():
        shutil.rmtree(folder)
    write_demo_files(folder, seed=seed, voters=voters)
    path = folder / "election.json"
    election = json.loads(path.read_text())
    election.update(
        pekon=pekon,
        kecamatan=kecamatan,
        tps=tps,
        allow_blank=allow_blank,
        title=f"Pemilihan Kepala Pekon {pekon} 2025 (UJI)",
    )
    for dropped in election["candidates"][candidates:]:
        (folder / "photos" / dropped["photo"]).unlink()
    election["candidates"] = election["candidates"][:candidates]
    path.write_text(json.dumps(election, indent=2, ensure_ascii=False) + "\n")
    sign_package(folder, committee())
    return folder


@dataclass
class CountedDay:
    bundle: bytes
    statement: str
    verifier_key: str
    registration: dict
    tally: dict
    package_dir: Path
    state_dir: Path


def counted_day(state_dir: Path, package_dir: Path, choices: list[str], *, export: bool = True) -> CountedDay:
    """Open, vote ``choices`` (one per voter, in DPT order), close, count, print, export."""
    booth = provision(state_dir, package_dir=package_dir)
    walk_custody(booth)
    print_zero_report(booth)
    open_polls(booth)
    voters = booth.svc.package.voters
    for voter, choice in zip(voters, choices, strict=False):
        vote(booth.svc, voter.ref, choice)
    booth.clock.set(closes_at())
    token = booth.sign_in()
    booth.svc.close_polls(token)
    statement = booth.svc.count(token)["statement"]
    booth.svc.results_printed(token)
    bundle_path = Path(state_dir).parent / (Path(state_dir).name + "-hasil.zip")
    if export:
        booth.svc.export(token, str(bundle_path))
    vkey = booth.svc.ledger.key.verifier_key()
    tally = dict(booth.svc.results()["tally"])
    pkg = load_package(package_dir)
    booth.close()
    return CountedDay(
        bundle_path.read_bytes() if export else b"",
        statement,
        vkey,
        registration_from_package(pkg, vkey),
        tally,
        Path(package_dir),
        Path(state_dir),
    )


def registry_bytes(days: list[CountedDay]) -> bytes:
    return json.dumps({"format": "booth-recap-registry-v1", "devices": [d.registration for d in days]}).encode()


def scratch() -> Path:
    return fast_tmp("booth-recap-")


def utc(y, m, d, h, mi=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=dt.UTC)
