"""Checking what a polling place sends: a bundle in full, or a results statement alone.

Pure functions of the received bytes and the registry, so they run in any
worker process.  The bundle is checked by ``booth.ledger.verify`` (the same
verifier, hard limits and rules as ``booth verify``); this module adds only
what a district must know beyond a valid log: that the device is the one
registered for that polling place, that the signed results statement agrees
with the ballots and is anchored in one of the log's checkpoints.

Every refusal has a code and words for people (Indonesian, English).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from booth.ledger import note
from booth.ledger.bundle import UnsafeBundle, check_zip_limits
from booth.ledger.keys import fingerprint
from booth.ledger.verify import Unreadable, open_source, verify
from booth.recap.api import MAX_BUNDLE_BYTES, MAX_STATEMENT_BYTES, Registration, Result
from booth.results import HEADER as RESULTS_HEADER
from booth.results import StatementError, open_statement

#: How many processes check a bundle's signatures (``booth.ledger.verify``'s ``workers``): None, the
#: default, is one per core for a large bundle; a worker of the recap's local pool sets its share
#: of the cores (``booth.recap.core.LocalQueue``), so that the pool and the verifier do not both
#: take every core.  A polling place's bundle (a few hundred ballots) is checked in one process.
VERIFY_WORKERS: int | None = None

#: code -> (Indonesian, English): the words every page and the CLI show for a refusal.
REASONS: dict[str, tuple[str, str]] = {
    "too_large": ("Berkas terlalu besar", "The file is too large"),
    "not_a_bundle": ("Bukan bundel hasil booth (results.zip)", "Not a booth results bundle (results.zip)"),
    "unsafe_bundle": ("Bundel ditolak sebelum dibaca", "The bundle is refused before reading it"),
    "unreadable": ("Bundel rusak, tidak bisa dibaca", "The bundle is damaged and cannot be read"),
    "unknown_device": (
        "Perangkat tidak terdaftar untuk pemilihan ini",
        "The device is not registered for any polling place",
    ),
    "invalid": (
        "Verifikasi gagal: isi bundel tidak sesuai tanda tangannya",
        "Verification failed: the bundle does not match its signatures",
    ),
    "other_election": (
        "Bundel untuk pemilihan lain dari yang didaftarkan untuk perangkat ini",
        "The bundle is for another election than its device is registered for",
    ),
    "not_counted": (
        "Suara belum dihitung di perangkat ini (tidak ada pernyataan hasil)",
        "Votes were not counted on this device (no results statement)",
    ),
    "statement_invalid": ("Tanda tangan pernyataan hasil tidak sah", "The results statement's signature is not valid"),
    "statement_mismatch": (
        "Pernyataan hasil tidak sesuai dengan surat suara di bundel",
        "The results statement does not match the ballots in the bundle",
    ),
    "station_invalid": (
        "Bundel TPS tidak sah (meja dan bilik tidak cocok)",
        "The station bundle does not verify (desk and booths disagree)",
    ),
    "booth_elsewhere": (
        "Bilik dalam bundel TPS terdaftar untuk TPS lain",
        "A booth in the station bundle is registered for another polling place",
    ),
    "not_a_statement": ("Bukan QR laporan hasil booth", "Not the QR code of a booth results report"),
    "zero_report_qr": (
        "Ini QR laporan awal (nol), bukan laporan hasil",
        "This is the zero report's QR code, not the results report's",
    ),
}


@dataclass(frozen=True)
class Check:
    """The outcome of checking one submission (what ``Store.finish_submission`` records)."""

    ok: bool
    result: Result | None = None
    election_id: str | None = None
    fingerprint: str | None = None
    reason_code: str | None = None
    detail: str = ""  # the specific cause (the verifier's first problem...)

    @property
    def words(self) -> tuple[str, str]:
        if self.reason_code is None:
            return ("", "")
        id_text, en_text = REASONS[self.reason_code]
        if self.detail:
            return (f"{id_text}: {self.detail}", f"{en_text}: {self.detail}")
        return (id_text, en_text)


def refuse(code: str, detail: str = "", *, election_id: str | None = None, fingerprint: str | None = None) -> Check:
    return Check(False, None, election_id, fingerprint, code, detail[:300])


def normalize_statement(text: str) -> str:
    """A statement as printed, whatever a scanner did to its line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _signers(text: str) -> list[str]:
    """Key names on a signed note's signature lines (unverified: used only to look up the key)."""
    _, sep, sigs = text.rpartition("\n\n")
    return [line[2:].split(" ", 1)[0] for line in sigs.split("\n") if sep and line.startswith("\u2014 ")]


def _result_of(text: str, reg: Registration, **extra) -> Result:
    st = open_statement(text, reg.verifier_key)
    body = text.split("\n\n", 1)[0]
    voted = eligible = 0
    for line in body.split("\n"):
        if line.startswith("voters "):
            parts = line.split()
            voted, eligible = int(parts[1]), int(parts[3])
    return Result(
        statement=text,
        statement_sha256=sha256_hex(text),
        tally=dict(st.tally),
        total=st.total,
        voted=voted,
        eligible=eligible,
        balanced=st.balanced,
        log_size=st.log_size,
        log_root=base64.b64encode(st.log_root).decode(),
        **extra,
    )


def _by_origin(registrations: Iterable[Registration]) -> dict[str, Registration]:
    return {r.origin: r for r in registrations}


def check_statement(text: str, registrations: Iterable[Registration]) -> Check:
    """A results statement alone (typed, or read from the report's QR): provisional when valid."""
    if len(text.encode("utf-8", "replace")) > MAX_STATEMENT_BYTES:
        return refuse("too_large")
    text = normalize_statement(text)
    first = text.split("\n", 1)[0]
    if first.startswith("booth opening") or (first.startswith("booth/") and "\n\n" in text and first.count(" ") == 0):
        return refuse("zero_report_qr")
    if first != RESULTS_HEADER:
        return refuse("not_a_statement")
    known = _by_origin(registrations)
    reg = next((known[name] for name in _signers(text) if name in known), None)
    if reg is None:
        return refuse("unknown_device", ", ".join(_signers(text))[:100])
    try:
        result = _result_of(text, reg)
    except (StatementError, ValueError, IndexError) as exc:
        return refuse("statement_invalid", str(exc), fingerprint=reg.fingerprint)
    election = text.split("\n", 2)[1].removeprefix("election ")
    if election != reg.election_id:
        return refuse(
            "other_election",
            f"{election[:16]}… ≠ {reg.election_id[:16]}…",
            election_id=reg.election_id,
            fingerprint=reg.fingerprint,
        )
    return Check(True, result, reg.election_id, reg.fingerprint)


def check_bundle(data: bytes, registrations: Iterable[Registration], *, workdir: str | None = None) -> Check:
    """A results bundle in full: the verifier, then the registry, then the statement against the ballots."""
    if len(data) > MAX_BUNDLE_BYTES:
        return refuse("too_large", f"{len(data)} > {MAX_BUNDLE_BYTES} bytes")
    if not data.startswith(b"PK"):
        return refuse("not_a_bundle")
    by_fp = {r.fingerprint: r for r in registrations}
    fd, tmp = tempfile.mkstemp(prefix="recap-bundle-", suffix=".zip", dir=workdir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return _check_bundle_file(Path(tmp), by_fp)
    finally:
        os.unlink(tmp)


def _check_bundle_file(path: Path, by_fp: dict[str, Registration]) -> Check:
    from booth.station.bundle import is_station_bundle

    if is_station_bundle(path):
        return _check_station_file(path, by_fp)
    # the registry first (cheap): a foreign device's bundle is not worth verifying
    try:
        with zipfile.ZipFile(path) as z:
            check_zip_limits(z)
            device_pub = z.read("device.pub").decode("utf-8").strip()
            statement = z.read("extra/results.txt").decode("utf-8") if "extra/results.txt" in z.namelist() else None
    except UnsafeBundle as exc:
        return refuse("unsafe_bundle", str(exc))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError, EOFError, ValueError) as exc:
        return refuse("not_a_bundle", type(exc).__name__)
    try:
        _, public = note.parse_verifier_key(device_pub)
    except note.NoteError as exc:
        return refuse("invalid", f"device.pub: {exc}")
    fp = fingerprint(public)
    reg = by_fp.get(fp)
    if reg is None:
        return refuse("unknown_device", fp[:16], fingerprint=fp)
    # the statement's log size, so that the verifier hands back the log's root there (no second read)
    at_size: tuple[int, ...] = ()
    if statement is not None:
        with contextlib.suppress(StatementError, ValueError, IndexError):  # judged below, after the log
            at_size = (open_statement(normalize_statement(statement), reg.verifier_key).log_size,)
    try:
        report = verify(open_source(path), expected_fingerprint=fp, workers=VERIFY_WORKERS, roots_at=at_size)
    except Unreadable as exc:
        return refuse("unreadable", str(exc).replace(str(path), "bundle"), fingerprint=fp)
    s = report.summary
    if not report.ok:
        return refuse("invalid", str(report.problems[0]), election_id=reg.election_id, fingerprint=fp)
    if s.get("election_id") != reg.election_id:
        # shown on the place the device is registered for (the bundle's claim is not that place's news)
        return refuse(
            "other_election",
            f"{str(s.get('election_id'))[:16]}… ≠ {reg.election_id[:16]}…",
            election_id=reg.election_id,
            fingerprint=fp,
        )
    if statement is None or "polls.counted" not in s.get("event_types", {}):
        return refuse("not_counted", election_id=reg.election_id, fingerprint=fp)
    statement = normalize_statement(statement)
    try:
        result = _result_of(
            statement, reg, ballots=s["ballots_stored"], events=s["events"], spoiled=s.get("ballots_spoiled", 0)
        )
    except (StatementError, ValueError, IndexError) as exc:
        return refuse("statement_invalid", str(exc), election_id=reg.election_id, fingerprint=fp)
    problem = _statement_against_bundle(result, s, reg)
    if problem:
        return refuse("statement_mismatch", problem, election_id=reg.election_id, fingerprint=fp)
    return Check(True, result, reg.election_id, fp)


def _statement_against_bundle(result: Result, summary: dict, reg: Registration) -> str:
    if result.statement.split("\n", 2)[1] != f"election {reg.election_id}":
        return "the statement names another election"
    ballots = {k: v for k, v in summary["tally"].items() if v}
    stated = {k: v for k, v in result.tally.items() if v}
    if ballots != stated:
        return f"ballots {dict(sorted(ballots.items()))} ≠ statement {dict(sorted(stated.items()))}"
    # spoiled ballots (disputed slips) are stored but not votes: the statement counts the valid ones
    valid = summary.get("ballots_valid", summary["ballots_stored"])
    if result.total != valid:
        return f"{valid} valid ballots stored, the statement says {result.total}"
    # The statement's log line must be one of the log's checkpoints. The verifier found exactly
    # one stored checkpoint per log size, each with the root it recomputed there, and handed
    # back that root at the statement's size (roots_at).
    root = summary.get("roots_at", {}).get(result.log_size)
    if root is not None:
        if root == result.log_root:
            return ""
        return "the statement's log root differs from the log's checkpoint at that size"
    return f"no checkpoint of the log has size {result.log_size}"


def _check_station_file(path: Path, by_fp: dict[str, Registration]) -> Check:
    """A station bundle (a desk and its booths, ``station.json`` inside): ONE polling place.

    The registered device is the desk: its key, the one the committee registered for the polling
    place, signed the pairing of each booth and the station's results, so the booths need no
    registration of their own (a booth replaced on the day is paired at the desk, not at the
    district).  A booth whose key *is* registered for another polling place (another election
    package) is refused: one device counts for one place.  Everything else is
    ``booth.station.bundle.verify_station``'s (the one verifier on every inner bundle, then the
    station's cross-checks); the totals are the station's, from the booths' verified stores."""
    from booth.station.bundle import DESK, RESULTS, verify_station

    try:
        with zipfile.ZipFile(path) as z, zipfile.ZipFile(io.BytesIO(z.read(DESK))) as desk:
            device_pub = desk.read("device.pub").decode("utf-8").strip()
            document = z.read(RESULTS).decode("utf-8")
        _, public = note.parse_verifier_key(device_pub)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError, EOFError, ValueError) as exc:
        return refuse("not_a_bundle", f"station bundle: {type(exc).__name__}")
    fp = fingerprint(public)
    reg = by_fp.get(fp)
    if reg is None:
        return refuse("unknown_device", f"desk {fp[:16]}", fingerprint=fp)
    try:
        report = verify_station(path, workers=VERIFY_WORKERS)
    except Unreadable as exc:
        return refuse("unreadable", str(exc).replace(str(path), "bundle"), fingerprint=fp)
    where = {"election_id": reg.election_id, "fingerprint": fp}
    bad = next(((name, r) for name, r in report.inner.items() if not r.ok), None)
    if bad is not None:
        return refuse("invalid", f"{bad[0]}: {bad[1].problems[0]}", **where)
    if report.problems:
        return refuse("station_invalid", report.problems[0], **where)
    s = report.summary
    if s.get("election_id") != reg.election_id:
        return refuse("other_election", f"{str(s.get('election_id'))[:16]}… ≠ {reg.election_id[:16]}…", **where)
    for n, row in sorted(s["booths"].items()):
        # a booth replaced mid-day: its earlier devices are this station's too
        for device in [row["fingerprint"], *(old["fingerprint"] for old in row.get("replaced", []))]:
            elsewhere = by_fp.get(device)
            if elsewhere is not None and elsewhere.election_id != reg.election_id:
                return refuse("booth_elsewhere", f"booth {n}: {elsewhere.place_label}", **where)
    desk_summary = report.inner[DESK].summary
    if "station.results" not in desk_summary.get("event_types", {}):
        return refuse("not_counted", "the desk did not collect the booths' closings", **where)
    tally = {str(c.number): 0 for c in reg.candidates}
    if reg.allow_blank:
        tally["blank"] = 0
    tally.update(s["tally"])
    inner = list(report.inner.values())
    result = Result(
        statement=document,
        statement_sha256=sha256_hex(document),
        tally=tally,
        total=s["votes"],
        voted=sum(row["releases"]["cast"] for row in s["booths"].values()),
        eligible=reg.dpt + desk_summary.get("event_types", {}).get("voter.dptb_added", 0),
        balanced=True,
        log_size=desk_summary["events"],
        log_root=desk_summary["root"],
        ballots=sum(r.summary.get("ballots_stored", 0) for r in inner),
        events=sum(r.summary.get("events", 0) for r in inner),
        spoiled=sum(r.summary.get("ballots_spoiled", 0) for r in inner),
    )
    return Check(True, result, reg.election_id, fp)
