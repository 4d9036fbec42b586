"""A real polling day with 2 to 8 candidates, for the printed-QR tests and benchmark.

The demo election has three candidates; a Pilkades ballot has two to about
eight.  :func:`qr_day` makes the demo package with ``candidates`` candidates
(long, realistic names: the opening statement carries them), runs the day
through ``BoothService`` (custody, zero report, polls open, ``voters`` votes,
close, count) and returns what the kiosk hands the printer: the zero report's
and the results report's data, as ``booth.kiosk.printouts`` takes them::

    day = qr_day(4)
    zero_report_image(day.zero), results_report_image(day.results)
    day.opening, day.statement        # the texts the two QR codes must carry

The booth takes 2 to 5 candidates (``booth.election_package.MAX_CANDIDATES``, the
Pilkades rule).  For headroom the tests also print 6 to 8: the day then runs with 5,
and the device signs statements naming all of them with its own key (the same
``booth.results`` functions, a package with more candidates), so the texts are
exactly as long as a real day's with that many candidates would be.

Days are cached per process (building one takes a few seconds).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from booth.demo_election import write_demo_files
from booth.election_package import MAX_CANDIDATES, sign_package
from booth.results import opening_statement, results_statement
from service_day import (
    closes_at,
    demo_package,
    fast_tmp,
    open_polls,
    print_zero_report,
    provision,
    vote,
    walk_custody,
)

#: Names as long as real ones get on a Pilkades ballot (the opening statement prints them).
NAMES = (
    "SUPARNO",
    "SITI RAHMAWATI",
    "AHMAD FAUZI",
    "Hj. SRI WAHYUNINGSIH, S.Pd.",
    "KI AGENG MUHAMMAD SYAIFULLAH",
    "DRS. BAMBANG SETIAWAN NUGROHO",
    "NYOMAN SUKARDANA",
    "RADEN AYU KUSUMAWARDHANI",
)


@dataclass(frozen=True)
class QrDay:
    candidates: int
    zero: dict  # BoothService.zero_report(): booth.kiosk.printouts.zero_report_image takes it
    results: dict  # BoothService.results(): booth.kiosk.printouts.results_report_image takes it

    @property
    def opening(self) -> str:
        """The signed opening statement the zero report's QR carries."""
        return self.zero["opening"]

    @property
    def statement(self) -> str:
        """The signed results statement the results report's QR carries."""
        return self.results["statement"]


_DAYS: dict[tuple[int, int], QrDay] = {}


def qr_day(candidates: int, voters: int = 240) -> QrDay:
    """A counted day with ``candidates`` candidates (2..8), blank votes allowed, ``voters`` voting."""
    if not 2 <= candidates <= len(NAMES):
        raise ValueError(f"candidates must be 2..{len(NAMES)}")
    key = (candidates, voters)
    if key not in _DAYS:
        _DAYS[key] = _run_day(candidates, voters)
    return _DAYS[key]


def _package(root: Path, candidates: int) -> Path:
    folder = root / f"pkg-{candidates}"
    write_demo_files(folder, seed=7, voters=300)
    path = folder / "election.json"
    election = json.loads(path.read_text(encoding="utf-8"))
    photo = folder / "photos" / "1.jpg"
    chosen = []
    for number, name in enumerate(NAMES[:candidates], start=1):
        target = folder / "photos" / f"{number}.jpg"
        if not target.exists():
            shutil.copyfile(photo, target)
        chosen.append({"number": number, "name": name, "photo": f"{number}.jpg"})
    for extra in (folder / "photos").glob("*.jpg"):
        if int(extra.stem) > candidates:
            extra.unlink()
    election.update(candidates=chosen, allow_blank=True)
    path.write_text(json.dumps(election, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _, keys, _ = demo_package()
    sign_package(folder, keys)
    return folder


def _run_day(candidates: int, voters: int) -> QrDay:
    root = fast_tmp("booth-qr-day-")
    package_dir = _package(root, min(candidates, MAX_CANDIDATES))
    booth = provision(root / "state", package_dir=package_dir)
    walk_custody(booth)
    zero = print_zero_report(booth)
    open_polls(booth)
    choices = [str(1 + (i * 7) % min(candidates, MAX_CANDIDATES)) for i in range(voters)]
    choices[::29] = ["blank"] * len(choices[::29])  # a few blank votes, as a real day has
    for voter, choice in zip(booth.svc.package.voters, choices, strict=False):
        vote(booth.svc, voter.ref, choice)
    booth.clock.set(closes_at())
    token = booth.sign_in()
    booth.svc.close_polls(token)
    booth.svc.count(token)
    results = booth.svc.results()
    booth.svc.results_printed(token)
    if candidates > MAX_CANDIDATES:
        zero, results = _more_candidates(booth.svc, zero, results, choices, candidates)
    booth.close()
    return QrDay(candidates, zero, results)


def _more_candidates(svc, zero: dict, results: dict, choices: list[str], candidates: int):
    """The day's reports and statements as if the package had ``candidates`` candidates."""
    named = [SimpleNamespace(number=n, name=NAMES[n - 1]) for n in range(1, candidates + 1)]
    package = SimpleNamespace(election=svc.package.election, election_id=svc.package.election_id, candidates=named)
    listed = [{"number": c.number, "name": c.name} for c in named]
    # The same ballots, spread over more candidates.
    spread = [c if c == "blank" else str(1 + (i * 7) % candidates) for i, c in enumerate(choices)]
    tally = {str(n): 0 for n in range(1, candidates + 1)}
    tally.update(blank=0)
    for choice in spread[: len(svc.package.voters)]:
        tally[choice] += 1
    assert sum(tally.values()) == sum(results["tally"].values())
    statement = results_statement(
        svc.ledger, package, tally, results["reconciliation"], checkpoint=svc.ledger.checkpoint(svc.day.counted_size)
    )
    # The opening statement named the log as it was at the zero report.
    opening_ledger = SimpleNamespace(key=svc.ledger.key, latest_checkpoint=lambda: zero["checkpoint"])
    opening = opening_statement(opening_ledger, package)
    return (
        {**zero, "candidates": listed, "opening": opening},
        {**results, "candidates": listed, "tally": tally, "statement": statement},
    )
