"""A small demo evening for the recap's tests, made once per test process and shared.

    ev = small_evening()                  # DemoEvening of 8 polling places (booth.recap.demo_evening)
    ev.out_dir / "bundles", ev.out_dir / "photos", ev.registry, ev.conflict, ev.refusals, ...
    folder = copy_evening(tmp_path / "ev")   # a private copy when a test changes files
    ingest_evening(recap, ev)             # register its devices and receive every file, as `booth recap demo`

Treat ``small_evening().out_dir`` as read-only.  Eight places hold one of every fault (a
conflict, a tampered bundle, another election, a QR-only place, a missing place) and three
verified places; the foreign device's bundle and the duplicate copy come on top.  Making it
takes a few seconds (every TPS's day runs through BoothService).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from booth.recap.demo_evening import DemoEvening, make_demo_evening
from service_day import fast_tmp

SMALL_PLACES = 8
SMALL_SEED = 2026

_CACHE: dict[tuple[int, int, int | None], DemoEvening] = {}


def small_evening(places: int = SMALL_PLACES, *, seed: int = SMALL_SEED, voters: int | None = None) -> DemoEvening:
    """The demo evening of ``places`` polling places, made once per process for each arguments."""
    key = (places, seed, voters)
    if key not in _CACHE:
        _CACHE[key] = make_demo_evening(
            fast_tmp("booth-recap-evening-") / "evening", places=places, voters=voters, seed=seed
        )
    return _CACHE[key]


def copy_evening(dest: Path, evening: DemoEvening | None = None) -> Path:
    """A private copy of an evening's files (bundles, photos, terlambat, packages, registry.json)."""
    evening = evening or small_evening()
    shutil.copytree(evening.out_dir, dest)
    return Path(dest)


def ingest_evening(recap, evening: DemoEvening | None = None, *, by: str = "uji", timed: bool = False) -> list:
    """Register the evening's devices and receive every bundle, then every photo (the demo's order).

    With ``timed`` every file of ``evening.arrivals`` (the late bundles too) is received one by one at its
    arrival time (the recap's clock set to it), so progress by hour shows the evening as it went.
    Returns the outcomes (a refused photo raises nothing here: its RecapError is in the list instead)."""
    import datetime as dt

    from booth.recap.api import RecapError

    evening = evening or small_evening()
    recap.import_registry(evening.registry.read_bytes(), by=by)
    outcomes: list = []

    def photo(path: Path) -> None:
        try:
            outcomes.extend(recap.submit_photo(path.read_bytes(), filename=path.name, by=by))
        except RecapError as exc:
            outcomes.append(exc)

    if timed:
        clock = recap.clock
        try:
            for arrival in evening.arrivals:
                when = dt.datetime.strptime(arrival.at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
                recap.clock = lambda when=when: when
                path = evening.out_dir / arrival.file
                if path.suffix == ".zip":
                    outcomes.append(recap.submit_bundle(path.read_bytes(), source="folder", filename=path.name, by=by))
                else:
                    photo(path)
        finally:
            recap.clock = clock
        return outcomes
    bundles = sorted((evening.out_dir / "bundles").glob("*.zip"))
    outcomes.extend(recap.submit_bundles([(p.read_bytes(), p.name) for p in bundles], source="cli", by=by))
    for path in sorted((evening.out_dir / "photos").glob("*.jpg")):
        photo(path)
    return outcomes
