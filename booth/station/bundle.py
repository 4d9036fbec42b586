"""The station bundle: one zip of a polling station's desk, its booths and the desk's signed results.

Layout (docs/station.md, "The station bundle"; docs/ledger-format.md, "Station bundle")::

    station.json           {"format": "booth-station-v1", "desk": "desk.zip", "booths": [1, 2, 3],
                            "results": "station-results.json"}
    desk.zip               the desk's signed export bundle (booth/ledger/bundle.py)
    booth-1.zip ...        each booth's signed export bundle, under the number the desk paired it as
    booth-2-r1.zip ...     a booth replaced mid-day: the closing of the device that was booth 2
                           first (r1, then r2 ...; the manifest says how many: "replaced": {"2": 1},
                           present only when a booth was replaced)
    station-results.json   the desk's signed station results (``BoothService.station_results``'s
                           ``document``: {"body": {...}, "sig": Ed25519 of "booth station results v1\\n"
                           || canonical(body)})

:func:`verify_station` first checks the outer zip against the same hard limits as a bundle
(``check_zip_limits``), then verifies every inner bundle with the one verifier
(``booth.ledger.verify``; no second verifier here), and only when all of them verify makes the
station's cross-checks, from the verified logs and stores alone:

* the desk is a ``desk`` and each booth a ``booth`` (their first events);
* each booth is the one the desk paired under its number, and was paired with this desk;
* every booth the desk paired is in the bundle, and every device it paired under a number and
  later replaced (each under the number, in the order paired);
* per booth device, releases issued at the desk = releases that ended in a cast there + releases
  cancelled (at the desk after the timeout, or at the booth), none cast after the desk cancelled
  it, and the booth's valid ballots = its releases cast (its spoils are the rest of its store);
* the desk's outcomes per booth are the booth's;
* the desk's ``station.results`` event names each booth's results statement (its SHA-256) and
  the total, which is the sum of the booths' verified stores; the signed results document says
  the same, signed by the desk's key.

Every problem is said in words naming the booth; nothing is changed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from booth.ledger import note
from booth.ledger.bundle import UnsafeBundle, atomic_zip, check_zip_limits
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from booth.ledger.station_log import station_message
from booth.ledger.verify import BundleSource, Report, Unreadable, verify
from booth.station.summary import merged_booths

STATION_FORMAT = "booth-station-v1"
MANIFEST = "station.json"
RESULTS = "station-results.json"
DESK = "desk.zip"
MAX_BOOTHS = 6
_BOOTH = re.compile(r"booth-([1-9])(-r[1-9])?\.zip")
# What zipfile raises for a damaged archive (as booth.ledger.verify catches for a bundle).
_ZIP_FAILURES = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


def booth_member(number: int, replaced: int = 0) -> str:
    """The member of booth ``number``'s bundle; ``replaced`` = k for the k-th device replaced there."""
    return f"booth-{number}-r{replaced}.zip" if replaced else f"booth-{number}.zip"


def _booth_members(manifest: dict[str, Any]) -> list[tuple[int, list[str]]]:
    """Per booth number, its devices' members in the order they were paired (the current one last)."""
    earlier = manifest.get("replaced", {})
    return [
        (n, [*(booth_member(n, k) for k in range(1, earlier.get(str(n), 0) + 1)), booth_member(n)])
        for n in manifest["booths"]
    ]


def _station_member(name: str) -> bool:
    return name in (MANIFEST, RESULTS, DESK) or bool(_BOOTH.fullmatch(name))


def write_station_bundle(
    path: Path,
    *,
    desk: bytes,
    booths: dict[int, bytes],
    results: str | bytes,
    replaced: dict[int, list[bytes]] | None = None,
) -> Path:
    """Write the station bundle at ``path`` atomically from the devices' bundles (bytes, as a
    transport would carry them) and the desk's signed results document.  ``replaced`` maps a booth
    number to the bundles of the devices replaced there, in the order they were paired."""
    path = Path(path)
    replaced = {n: list(v) for n, v in (replaced or {}).items() if v}
    if not booths or any(not 1 <= n <= MAX_BOOTHS for n in booths):
        raise ValueError(f"a station has booths numbered 1 to {MAX_BOOTHS}")
    if any(n not in booths or len(v) > 9 for n, v in replaced.items()):
        raise ValueError("a replaced booth is one of the station's booths, replaced at most 9 times")
    manifest: dict[str, Any] = {"booths": sorted(booths), "desk": DESK, "format": STATION_FORMAT, "results": RESULTS}
    if replaced:
        manifest["replaced"] = {str(n): len(v) for n, v in sorted(replaced.items())}
    with atomic_zip(path, ".station-") as z:
        z.writestr(MANIFEST, canonical(manifest))
        # the inner bundles are deflated already: stored as they are
        z.writestr(DESK, desk, compress_type=zipfile.ZIP_STORED)
        for n, data in sorted(booths.items()):
            for k, earlier in enumerate(replaced.get(n, []), start=1):
                z.writestr(booth_member(n, k), earlier, compress_type=zipfile.ZIP_STORED)
            z.writestr(booth_member(n), data, compress_type=zipfile.ZIP_STORED)
        z.writestr(RESULTS, results if isinstance(results, bytes) else results.encode())
    return path


def is_station_bundle(path: Path) -> bool:
    """Whether ``path`` is a zip whose members include the station manifest (read nothing else)."""
    try:
        with open(path, "rb") as f:
            if f.read(2) != b"PK":
                return False
        with zipfile.ZipFile(path) as z:
            return MANIFEST in z.namelist()
    except (OSError, *_ZIP_FAILURES):
        return False


@dataclass
class StationReport:
    """What ``booth verify STATION.zip`` found: each inner bundle's report and the station's problems."""

    source: str
    inner: dict[str, Report] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.ok for r in self.inner.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": "station",
            "valid": self.ok,
            "problems": self.problems,
            "bundles": {name: r.to_json() for name, r in self.inner.items()},
            "summary": self.summary,
        }


# ------------------------------------------------------------------ what the logs say
@dataclass
class _Log:
    role: str = "single"
    fingerprint: str = ""
    paired: dict[int, str] = field(default_factory=dict)  # desk: booth number -> fingerprint
    history: dict[int, list[str]] = field(default_factory=dict)  # desk: booth number -> every device paired, in order
    desk_paired: dict[str, Any] | None = None  # booth: its station.desk_paired payload
    issued: dict[str, int] = field(default_factory=dict)  # desk: release -> booth
    issued_to: dict[str, str] = field(default_factory=dict)  # desk: release -> the booth device paired then
    desk_cancelled: set[str] = field(default_factory=set)
    returned: dict[str, tuple[str, int]] = field(default_factory=dict)  # desk: release -> (outcome, spoils)
    results: dict[str, Any] | None = None  # desk: the last station.results payload
    accepted: set[str] = field(default_factory=set)  # booth
    casts: Counter[str] = field(default_factory=Counter)  # booth: release -> ballot.cast events
    spoils: Counter[str] = field(default_factory=Counter)  # booth: release -> ballot.spoiled events
    booth_cancelled: set[str] = field(default_factory=set)  # booth: cancelled or revoked there

    def cast_releases(self) -> set[str]:
        return {r for r, n in self.casts.items() if n > self.spoils[r]}


def _read_log(path: Path) -> _Log:
    log = _Log()
    source = BundleSource(path)
    try:
        for _, _, entry, _ in source.events():
            obj = json.loads(entry)
            etype, p = obj["type"], obj["payload"]
            release = str(p.get("release") or "") if isinstance(p, dict) else ""
            if etype == "ledger.created":
                log.role, log.fingerprint = p.get("role", "single"), p.get("fingerprint", "")
            elif etype == "station.booth_paired":
                log.paired[p["booth"]] = p["fingerprint"]
                devices = log.history.setdefault(p["booth"], [])
                if not devices or devices[-1] != p["fingerprint"]:
                    devices.append(p["fingerprint"])
            elif etype == "station.desk_paired":
                log.desk_paired = p
            elif etype == "station.release_issued":
                log.issued[release] = p["booth"]
                log.issued_to[release] = log.paired.get(p["booth"], "")
            elif etype == "station.release_cancelled":
                log.desk_cancelled.add(release)
            elif etype == "station.release_returned":
                log.returned[release] = (p["outcome"], p.get("spoils", 0))
            elif etype == "station.results":
                log.results = p
            elif etype == "station.release_accepted":
                log.accepted.add(release)
            elif etype == "ballot.cast" and release:
                log.casts[release] += 1
            elif etype == "ballot.spoiled" and release:
                log.spoils[release] += 1
            elif etype in ("ballot.release_cancelled", "station.release_revoked") and release:
                log.booth_cancelled.add(release)
    finally:
        source.close()
    return log


def booth_statement(path: Path) -> str | None:
    """The results statement a device's bundle carries (``extra/results.txt``), or None."""
    with zipfile.ZipFile(path) as z:
        try:
            return z.read("extra/results.txt").decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            return None


# ------------------------------------------------------------------ the verifier
def verify_station(path: Path, *, workers: int | None = None) -> StationReport:
    """Verify a station bundle (module docstring); :class:`Unreadable` when it cannot be read at all."""
    path = Path(path)
    report = StationReport(source=str(path))
    try:
        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory(prefix="booth-station-") as folder:
            try:
                check_zip_limits(z, _station_member, (MANIFEST, DESK, RESULTS), "a station bundle")
            except UnsafeBundle as exc:
                raise Unreadable(f"{path} is refused: {exc}") from None
            manifest = read_manifest(z.read(MANIFEST))
            booths = _booth_members(manifest)
            members = [DESK, *(name for _, names in booths for name in names)]
            for name in members:
                if name not in z.namelist():
                    raise Unreadable(f"{path}: the manifest names {name}, which is not in the zip")
            extra = sorted(set(z.namelist()) - {MANIFEST, RESULTS, *members})
            if extra:
                raise Unreadable(f"{path}: {', '.join(extra)} not named in the manifest")
            inner: dict[str, Path] = {}
            for name in members:
                target = Path(folder) / name
                target.write_bytes(z.read(name))
                inner[name] = target
            document = z.read(RESULTS)
            for name, target in inner.items():
                report.inner[name] = _verify_inner(f"{path.name}!{name}", target, workers)
            bad = [name for name, r in report.inner.items() if not r.ok]
            if bad:
                report.problems.append(
                    f"{', '.join(bad)} does not verify: the station's cross-checks were not made "
                    f"/ bundel tidak sah, pemeriksaan TPS tidak dilakukan"
                )
                return report
            _cross_check(report, inner, booths, document)
    except Unreadable:
        raise
    except (KeyError, ValueError, *_ZIP_FAILURES) as exc:
        raise Unreadable(f"{path} is not a readable station bundle: {exc}") from None
    return report


def _verify_inner(name: str, target: Path, workers: int | None) -> Report:
    """One device's bundle, by the one verifier; a bundle that cannot be read is this member's problem."""
    try:
        source = BundleSource(target)
        source.name = name
        inner_report = verify(source, workers=workers)
    except Unreadable as exc:
        inner_report = Report(source=name)
        inner_report.add("bundle", f"TIDAK TERBACA / UNREADABLE: {exc}")
    inner_report.source = name
    return inner_report


def read_manifest(data: bytes) -> dict[str, Any]:
    """``station.json``'s manifest; :class:`Unreadable`, saying why, for anything else.

    >>> text = b'{"booths":[1,2],"desk":"desk.zip","format":"booth-station-v1","results":"station-results.json"}'
    >>> read_manifest(text)["booths"]
    [1, 2]
    >>> read_manifest(text.replace(b"[1,2]", b"[2,1]"))
    Traceback (most recent call last):
    ...
    booth.ledger.verify.Unreadable: station.json does not have the shape of a station manifest
    """
    try:
        obj = parse_canonical(data)
    except NotCanonical as exc:
        raise Unreadable(f"station.json is not canonical JSON ({exc})") from None
    if not isinstance(obj, dict) or obj.get("format") != STATION_FORMAT:
        raise Unreadable(f"station.json is not a {STATION_FORMAT} manifest")
    booths = obj.get("booths")
    replaced = obj.get("replaced", {})
    if (
        set(obj) - {"replaced"} != {"booths", "desk", "format", "results"}
        or not isinstance(replaced, dict)
        or ("replaced" in obj and not replaced)
        or not isinstance(booths, list)
        or any(
            not isinstance(k, int)
            or isinstance(k, bool)
            or not 1 <= k <= 9
            or not any(str(n) == n_text for n in booths)
            for n_text, k in replaced.items()
        )
        or obj["desk"] != DESK
        or obj["results"] != RESULTS
        or not isinstance(booths, list)
        or not booths
        or any(not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_BOOTHS for n in booths)
        or booths != sorted(set(booths))
    ):
        raise Unreadable("station.json does not have the shape of a station manifest")
    return obj


def _cross_check(
    report: StationReport, inner: dict[str, Path], booths: list[tuple[int, list[str]]], document: bytes
) -> None:
    add = report.problems.append
    desk = _read_log(inner[DESK])
    desk_report = report.inner[DESK]
    if desk.role != "desk":
        add(f"desk.zip is not a check-in desk's bundle (its role is {desk.role})")
    numbers = [n for n, _ in booths]
    for n in sorted(set(desk.paired) - set(numbers)):
        add(f"booth {n}, paired at the desk, is missing from the station bundle / bilik {n} tidak ada")
    total: Counter[str] = Counter()
    rows: dict[int, dict[str, Any]] = {}
    for n, names in booths:
        paired_here = desk.history.get(n, [])
        if len(paired_here) > len(names):
            missing = [booth_member(n, k) for k in range(len(names), len(paired_here))]
            add(
                f"booth {n} was replaced at the desk ({len(paired_here)} devices paired as booth {n}): "
                f"the closing of the replaced device ({', '.join(missing)}) is missing from the station bundle "
                f"/ hasil bilik {n} yang diganti tidak ada"
            )
        row: dict[str, Any] = {"tally": Counter(), "releases": Counter(), "replaced": []}
        for k, name in enumerate(names):
            current = k == len(names) - 1
            found = _check_booth_device(report, desk, n, name, _read_log(inner[name]), inner[name], k, len(names))
            if found is None:
                continue
            tally, releases, fingerprint, statement = found
            total.update(tally)
            row["tally"].update(tally)
            row["releases"].update(releases)
            if current:
                row["fingerprint"], row["statement"] = fingerprint, statement
            else:
                row["replaced"].append({"fingerprint": fingerprint, "statement": statement})
        if "fingerprint" not in row:
            continue
        rows[n] = {
            "fingerprint": row["fingerprint"],
            "tally": dict(row["tally"]),
            "statement": row["statement"],
            "releases": {what: row["releases"][what] for what in ("issued", "cast", "cancelled", "spoils")},
            "balanced": True,
            **({"replaced": row["replaced"]} if row["replaced"] else {}),
        }
    source = BundleSource(inner[DESK])
    try:
        desk_key_text = source.verifier_key()
    finally:
        source.close()
    _check_results(report, desk, rows, total, document, desk_report.summary, desk_key_text)
    merged = merged_booths({n: sum(row["tally"].values()) for n, row in rows.items()})
    report.summary = {
        "election_id": desk_report.summary.get("election_id"),
        "desk": desk_report.summary.get("fingerprint_short"),
        "tally": dict(sorted(total.items())),
        "votes": sum(total.values()),
        "merged": merged,
        "booths": {
            n: {**row, "tally": None if n in merged else row["tally"], "in_total_only": n in merged}
            for n, row in rows.items()
        },
    }


def _check_booth_device(
    report: StationReport, desk: _Log, n: int, name: str, log: _Log, path: Path, k: int, devices: int
) -> tuple[dict[str, int], dict[str, int], str, str | None] | None:
    """One device that was booth ``n`` (the ``k``-th paired there, of ``devices``): its releases
    reconciled with the desk's releases to it while it was booth ``n``; its tally, releases,
    fingerprint and statement digest (None when it is not a booth at all)."""
    add = report.problems.append
    booth_summary = report.inner[name].summary
    if log.role != "booth":
        add(f"{name} is not a booth's bundle (its role is {log.role})")
        return None
    paired_here = desk.history.get(n, [])
    expected = paired_here[k] if k < len(paired_here) else None
    if k == devices - 1 and desk.paired.get(n) != log.fingerprint:
        add(f"{name} is not the booth the desk paired as booth {n} (another station's booth?)")
    elif k < devices - 1 and expected != log.fingerprint:
        add(f"{name} is not the device the desk paired as booth {n} before its replacement no. {k + 1}")
    paired = log.desk_paired or {}
    if paired.get("desk") != desk.fingerprint:
        add(f"{name} was paired with another desk, not this station's")
    elif paired.get("booth") != n:
        add(f"{name} was paired as booth {paired.get('booth')}, not booth {n}")
    # the releases the desk issued to the device it had paired in this place (the last one: the booth now)
    slot = desk.paired.get(n) if k == devices - 1 else expected
    issued = {r for r, b in desk.issued.items() if b == n and desk.issued_to.get(r) == slot}
    cast = log.cast_releases()
    cancelled = (log.booth_cancelled | {r for r in desk.desk_cancelled if r in issued}) - cast
    who = f"booth {n}" if devices == 1 else f"booth {n} ({name})"
    if log.accepted - issued:
        add(f"{who} accepted {len(log.accepted - issued)} release(s) the desk never issued to it")
    if len(issued) != len(cast) + len(cancelled) or not (cast | cancelled) <= issued:
        add(
            f"{who}: releases issued {len(issued)} != cast {len(cast)} + cancelled {len(cancelled)} "
            f"/ izin {len(issued)} != dipakai {len(cast)} + dibatalkan {len(cancelled)}"
        )
    after_cancel = cast & desk.desk_cancelled
    if after_cancel:
        add(f"{who}: {len(after_cancel)} release(s) cast after the desk had cancelled them (voted twice?)")
    if booth_summary.get("ballots_valid") != len(cast):
        add(f"{who}: {booth_summary.get('ballots_valid')} valid ballots but {len(cast)} releases cast")
    desk_cast = {r for r, (outcome, _) in desk.returned.items() if outcome == "cast" and r in issued}
    if desk_cast != cast:
        add(f"{who}: the desk's outcomes ({len(desk_cast)} cast) differ from the booth's ({len(cast)} cast)")
    statement = booth_statement(path)
    releases = {
        "issued": len(issued),
        "cast": len(cast),
        "cancelled": len(cancelled),
        "spoils": booth_summary.get("ballots_spoiled", 0),
    }
    digest = hashlib.sha256(statement.encode()).hexdigest() if statement is not None else None
    return booth_summary.get("tally", {}), releases, log.fingerprint, digest


def _check_results(
    report: StationReport,
    desk: _Log,
    rows: dict[int, dict[str, Any]],
    total: Counter[str],
    document: bytes,
    desk_summary: dict[str, Any],
    desk_key_text: str,
) -> None:
    add = report.problems.append
    tally = dict(total)
    logged = desk.results
    if logged is None:
        add("the desk's log has no station results (station.results): the desk never collected the booths")
    else:
        if {k: v for k, v in logged.get("tally", {}).items() if v} != {k: v for k, v in tally.items() if v}:
            add(f"the desk's station results tally {logged.get('tally')} is not the sum of the booths' {tally}")
        for n, row in rows.items():
            if logged.get("statements", {}).get(str(n)) != row["statement"]:
                add(f"booth {n}'s results statement is not the one the desk collected")
            for k, old in enumerate(row.get("replaced", []), start=1):
                if logged.get("statements", {}).get(f"{n}-r{k}") != old["statement"]:
                    add(f"the results statement of {booth_member(n, k)} is not the one the desk collected")
    try:
        obj = parse_canonical(document)
        body, sig = obj["body"], base64.b64decode(obj["sig"], validate=True)
        _, desk_key = note.parse_verifier_key(desk_key_text)
        desk_key.verify(sig, station_message("results", body))
    except (NotCanonical, KeyError, TypeError, binascii.Error, ValueError, note.NoteError, InvalidSignature):
        add("station-results.json is not the desk's signed station results (unreadable or forged)")
        return
    if body.get("desk") != desk.fingerprint or body.get("election") != desk_summary.get("election_id"):
        add("station-results.json names another desk or election")
    if {k: v for k, v in body.get("tally", {}).items() if v} != {k: v for k, v in tally.items() if v}:
        add(f"station-results.json's tally {body.get('tally')} is not the sum of the booths' {tally}")
    signed = body.get("booths", {})
    if sorted(signed) != sorted(str(n) for n in rows):
        add(f"station-results.json lists booths {sorted(signed)}, the bundle holds {sorted(rows)}")
    for n, row in rows.items():
        said = signed.get(str(n))
        if not isinstance(said, dict):
            continue
        if said.get("fingerprint") != row["fingerprint"]:
            add(f"station-results.json names another device as booth {n}")
        if said.get("replaced", []) != row.get("replaced", []):
            add(f"station-results.json names other replaced devices (or closings) for booth {n} than the bundle holds")
        releases = said.get("releases", {})
        for what in ("issued", "cast", "cancelled"):
            if releases.get(what) != row["releases"][what]:
                add(
                    f"booth {n}: the desk's signed results say {releases.get(what)} releases {what}, "
                    f"the logs {row['releases'][what]}"
                )


def format_station_report(report: StationReport) -> str:
    """A readable summary (Indonesian / English), per booth and total (a small booth only in the total)."""
    s = report.summary
    lines = [f"booth verify: {report.source} (station / TPS)"]
    for name, r in report.inner.items():
        lines.append(f"  {name}: {'SAH / VALID' if r.ok else 'TIDAK SAH / INVALID — ' + str(r.problems[0])}")
    if "tally" in s:
        lines.append(f"  Pemilihan / election:      {s['election_id']}")
        lines.append("  Perolehan TPS / station tally: " + ", ".join(f"{k}: {v}" for k, v in s["tally"].items()))
        for n, row in s["booths"].items():
            rel = row["releases"]
            shown = (
                "hanya di total / in the total only"
                if row["in_total_only"]
                else ", ".join(f"{k}: {v}" for k, v in row["tally"].items())
            )
            lines.append(
                f"  Bilik / booth {n}: izin / releases {rel['issued']} = dipakai / cast {rel['cast']}"
                f" + dibatalkan / cancelled {rel['cancelled']} (disanggah / spoiled {rel['spoils']}); {shown}"
            )
            for k, earlier in enumerate(row.get("replaced", []), start=1):
                lines.append(
                    f"    diganti / replaced: {booth_member(n, k)} = perangkat sebelumnya / earlier device "
                    f"{earlier['fingerprint'][:16]} (dihitung di atas / counted above)"
                )
    if report.ok:
        lines.append("HASIL / RESULT: SAH / VALID")
    else:
        problems = list(report.problems) or [f"{name}: {r.problems[0]}" for name, r in report.inner.items() if not r.ok]
        lines.append(f"HASIL / RESULT: TIDAK SAH / INVALID — {problems[0]}")
        lines.extend(f"  also: {p}" for p in problems[1:])
    return "\n".join(lines)
