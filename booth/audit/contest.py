"""The contest under audit, read from the booths' signed records after ``booth verify`` passed them.

One **box** per booth: its audit box (kotak audit) holds one item per cast
ballot -- the slip, or for a spoiled ballot the VOID print stapled to the
disputed slip (a torn piece from a reprint is stapled to its reprint) -- so
the box's count from the reconciliation is the booth's ``ballots_stored``.
The cast vote records (CVRs) are the lines of ``ballots.jsonl`` (ballot ID
and selection; ``"spoiled"`` for a spoiled ballot), the same the verifier
checked: :func:`read_box` runs :func:`booth.ledger.verify.verify` first and
refuses the box if it is not valid, then reads the records and recomputes
their ballot root, which must equal the one the verifier found (the file
cannot change between the two readings unnoticed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from booth.audit.risk import Outcome
from booth.ledger import formats, merkle
from booth.ledger.verify import Unreadable, open_source, verify


class AuditRefused(Exception):
    """Input the audit cannot start from (message id / en): nothing is written."""


@dataclass(frozen=True)
class BoxRecords:
    """One booth's verified records: what the audit needs of them, and what binds them to paper."""

    label: str
    source: str  # the file or folder name it came from
    sha256: str  # of the bundle file (or of ledger.db)
    origin: str
    fingerprint: str
    election_id: str
    election_short_id: str
    candidates: int
    allow_blank: bool
    checkpoint: str  # the final checkpoint (signed note), as on the results report
    ballot_root: str  # hex, RFC 6962 over the records sorted by ID (in the closing event)
    cvrs: Mapping[str, str] = field(repr=False)  # ballot ID hex -> selection

    @property
    def slips(self) -> int:
        """The slips the reconciliation says the box holds: one per stored ballot (spoiled too)."""
        return len(self.cvrs)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "source": self.source,
            "sha256": self.sha256,
            "origin": self.origin,
            "fingerprint": self.fingerprint,
            "election_id": self.election_id,
            "election_short_id": self.election_short_id,
            "candidates": self.candidates,
            "allow_blank": self.allow_blank,
            "checkpoint": self.checkpoint,
            "ballot_root": self.ballot_root,
            "cvrs": [[i, s] for i, s in sorted(self.cvrs.items())],
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> BoxRecords:
        return cls(
            label=str(obj["label"]),
            source=str(obj["source"]),
            sha256=str(obj["sha256"]),
            origin=str(obj["origin"]),
            fingerprint=str(obj["fingerprint"]),
            election_id=str(obj["election_id"]),
            election_short_id=str(obj["election_short_id"]),
            candidates=int(obj["candidates"]),
            allow_blank=bool(obj["allow_blank"]),
            checkpoint=str(obj["checkpoint"]),
            ballot_root=str(obj["ballot_root"]),
            cvrs={str(i): str(s) for i, s in obj["cvrs"]},
        )

    def recomputed_root(self) -> str:
        """The ballot root of these CVRs, rebuilt record by record (docs/ledger-format.md §4)."""
        frontier = merkle.Frontier()
        for ballot_id in sorted(self.cvrs, key=bytes.fromhex):
            record = formats.ballot_record(
                election=self.election_id, ballot_id=bytes.fromhex(ballot_id), selection=self.cvrs[ballot_id]
            )
            frontier.append(merkle.leaf_hash(record))
        return frontier.root().hex()


def _file_sha256(path: Path) -> str:
    target = path / "ledger.db" if path.is_dir() else path
    h = hashlib.sha256()
    with open(target, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_box(path: Path, label: str) -> BoxRecords:
    """Verify one booth's bundle or state directory with booth's verifier, then read its CVRs.

    Refuses (:class:`AuditRefused`) an unreadable or invalid ledger, one not
    closed (the count is not final), or records that changed after the check.
    """
    path = Path(path)
    try:
        report = verify(open_source(path))
    except Unreadable as exc:
        raise AuditRefused(f"{path.name}: tidak terbaca / unreadable: {exc}") from None
    if not report.ok:
        raise AuditRefused(
            f"{path.name}: catatan tidak sah, audit tidak dimulai / the records are invalid, no audit: "
            f"{report.problems[0]}"
        )
    s = report.summary
    if not s.get("closed"):
        raise AuditRefused(
            f"{path.name}: pemungutan belum ditutup / the polls were never closed: the count is not final"
        )
    loaded = _election_loaded(path)
    frontier = merkle.Frontier()
    cvrs: dict[str, str] = {}
    source = open_source(path)
    try:
        for _, filled, slot, _ in source.ballots():
            if filled != 1:
                continue
            record = formats.unpad_slot(slot) if source.padded_ballots else slot
            frontier.append(merkle.leaf_hash(record))
            obj = json.loads(record)
            cvrs[obj["id"]] = obj["selection"]
    finally:
        source.close()
    if frontier.root().hex() != s["ballot_root"] or len(cvrs) != s["ballots_stored"]:
        raise AuditRefused(
            f"{path.name}: catatan berubah sejak diperiksa / the records changed since they were verified"
        )
    return BoxRecords(
        label=label,
        source=path.name,
        sha256=_file_sha256(path),
        origin=str(s["origin"]),
        fingerprint=str(s["fingerprint"]),
        election_id=str(s["election_id"]),
        election_short_id=str(loaded.get("short_id") or ""),
        candidates=int(loaded.get("candidates") or 0),
        allow_blank=bool(loaded.get("allow_blank")),
        checkpoint=str(s["latest_checkpoint"]),
        ballot_root=str(s["ballot_root"]),
        cvrs=cvrs,
    )


def _election_loaded(path: Path) -> dict[str, Any]:
    """The payload of the log's ``election.loaded`` event (candidates, blank votes, short ID)."""
    source = open_source(path)
    try:
        for _, _, entry, _ in source.events():
            obj = json.loads(entry)
            if obj.get("type") == "election.loaded":
                payload: dict[str, Any] = obj.get("payload") or {}
                return payload
    finally:
        source.close()
    return {}


@dataclass(frozen=True)
class Contest:
    """Every box of one contest, and the outcome they report together."""

    boxes: Sequence[BoxRecords]
    #: The boxes come from several election packages (one per TPS) of one village's contest:
    #: said by the committee (``--several-elections``) or by the recap's registry (one pekon).
    several_elections: bool = False

    def __post_init__(self) -> None:
        if not self.boxes:
            raise AuditRefused("tidak ada kotak / no box to audit")
        elections = {b.election_id for b in self.boxes}
        if len(elections) > 1 and not self.several_elections:
            raise AuditRefused(
                "catatan dari pemilihan yang berbeda; satu audit untuk satu pemilihan (bila ini TPS-TPS satu "
                "pekon, beri --several-elections) / records of different elections; one audit is for one "
                "contest (if these are one pekon's polling places, give --several-elections)"
            )
        if len({(b.candidates, b.allow_blank) for b in self.boxes}) > 1:
            raise AuditRefused(
                "kotak-kotak tidak sepakat tentang calon atau suara kosong / "
                "the boxes disagree about the candidates or blank votes"
            )
        labels = [b.label for b in self.boxes]
        if len(set(labels)) != len(labels):
            raise AuditRefused("dua kotak bernama sama / two boxes share a label")
        origins = [b.origin for b in self.boxes]
        if len(set(origins)) != len(origins):
            raise AuditRefused("perangkat yang sama diberikan dua kali / the same booth was given twice")

    @property
    def election_id(self) -> str:
        """The election ID, or for a contest over several packages the first, "+N"."""
        ids = sorted({b.election_id for b in self.boxes})
        return ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"

    @property
    def choices(self) -> list[str]:
        """What a slip can show: the nomor urut 1..n, and "blank" where blank votes are allowed."""
        first = self.boxes[0]
        return [str(n) for n in range(1, first.candidates + 1)] + (["blank"] if first.allow_blank else [])

    def cvr(self, ballot_id: str) -> tuple[str, str] | None:
        """(box label, selection) of this ballot ID (hex, any case), or None."""
        key = ballot_id.lower()
        for box in self.boxes:
            if key in box.cvrs:
                return box.label, box.cvrs[key]
        return None

    def tally(self) -> dict[str, int]:
        """Votes per nomor urut over every box (blank and spoiled ballots apart), every candidate listed."""
        counts = {c: 0 for c in self.choices if c.isdigit()}
        for box in self.boxes:
            for selection in box.cvrs.values():
                if selection.isdigit():
                    counts[selection] = counts.get(selection, 0) + 1
        return counts

    def outcome(self, ballots: int) -> Outcome:
        """The reported outcome over ``ballots`` slips (the audit's N: phantoms included)."""
        return Outcome(self.tally(), ballots)

    def to_json(self) -> list[dict[str, Any]]:
        return [b.to_json() for b in self.boxes]


def read_contest(paths: Sequence[Path], *, several_elections: bool = False) -> Contest:
    """Boxes 1, 2, ... from the bundles or state directories, in the order given."""
    boxes = [read_box(Path(p), str(i)) for i, p in enumerate(paths, start=1)]
    return Contest(boxes, several_elections=several_elections)


def read_contest_from_recap(data_dir: Path, pekon: str) -> Contest:
    """One pekon's contest from the district recap: the accepted bundle of every TPS registered there.

    The recap keeps every bundle it received (by SHA-256); each is verified
    again here with booth's verifier, like any other.  Refused when a TPS of
    the pekon has no accepted bundle yet, or two (a conflict the recap must
    resolve first).  Reads the recap's SQLite store only (a PostgreSQL recap:
    export the bundles and give them as files).
    """
    import tempfile
    from dataclasses import replace

    from booth.recap.store import SqliteStore

    db = Path(data_dir) / "recap.sqlite"
    if not db.is_file():
        raise AuditRefused(f"{data_dir}: bukan folder rekap / not a recap data folder (no recap.sqlite)")
    store = SqliteStore(db)
    try:
        places = sorted(
            (r for r in store.registrations() if r.pekon.casefold() == pekon.casefold()),
            key=lambda r: (r.kecamatan, r.tps),
        )
        if not places:
            raise AuditRefused(f"tidak ada TPS terdaftar di pekon {pekon} / no polling place registered in {pekon}")
        accepted = [s for s in store.submissions() if s.kind == "bundle" and s.status == "accepted"]
        boxes = []
        with tempfile.TemporaryDirectory(prefix="booth-audit-") as tmp:
            for label, reg in enumerate(places, start=1):
                bundles = {s.sha256: s for s in accepted if s.fingerprint == reg.fingerprint}
                if len(bundles) != 1:
                    raise AuditRefused(
                        f"{reg.place_label}: {len(bundles)} bundel diterima, harus tepat satu / "
                        f"{len(bundles)} accepted bundles, there must be exactly one"
                    )
                (sub,) = bundles.values()
                path = Path(tmp) / f"{label}-{sub.sha256[:12]}.zip"
                path.write_bytes(store.get_blob(sub.sha256))
                box = read_box(path, str(label))
                boxes.append(replace(box, source=f"{reg.place_label} ({sub.filename or box.source})"))
    finally:
        store.close()
    return Contest(boxes, several_elections=True)
