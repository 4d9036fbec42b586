"""The recap's three exports in the NIST common data formats, byte-for-byte reproducible.

    paths = write_exports(out_dir, places, bundles)
    # out_dir/results-nist-err.json   NIST SP 1500-100 v2 Election Results Reporting (public counts)
    # out_dir/cvr-nist.json           NIST SP 1500-103 Cast Vote Records (committee and auditors only)
    # out_dir/events-nist-eel.json    NIST SP 1500-101 Election Event Logs (committee and auditors only)

``places`` is one dict per registered polling place (the registry fields plus
``state``, ``tally``, ``total``, ``voters``, ``dptb`` and ``counted_at``, as
``Recap.export`` builds them); ``bundles`` the ``(registry dict, bundle path)``
of every verified polling place.  Bundles are read with ``booth.ledger``
(``open_source``: the same reader as ``booth verify``); the recap verified them
when they arrived.

Reproducible: the same inputs give the same bytes.  Keys are sorted, every list
has a defined order, every ``@id`` is made from the data (names and election
IDs, never a counter or a random value), and no time comes from the clock: the
report's time is the latest moment in the data (the last event of a bundle, or
the last result received), the election's date the one its packages name.
The field-by-field mapping is in docs/recap-exports.md.

Secrecy: the ERR holds counts only.  The CVRs (ballot ID + choice, no time, no
order of casting: sorted by ballot ID) and the event logs (voters' DPT numbers,
check-in times) are for the committee and auditors, never for a public page.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from booth.ledger import formats, merkle, note
from booth.ledger.bundle import UnsafeBundle, check_zip_limits
from booth.ledger.canonical import parse_canonical
from booth.ledger.event_types import EVENT_TYPES
from booth.ledger.keys import fingerprint
from booth.ledger.verify import open_source
from booth.recap.api import RecapError

ERR_NAME = "results-nist-err.json"
CVR_NAME = "cvr-nist.json"
EEL_NAME = "events-nist-eel.json"

#: The recap's time zone when nothing else names one (WIB: Lampung, Sumatra, Java).
DEFAULT_TIMEZONE = "Asia/Jakarta"
#: States whose result is counted in the totals (as on the committee's pages).
COUNTED = ("verified", "provisional")
#: Event types whose action did not succeed (EEL ``Disposition`` "failure"); every other one succeeded.
FAILED_EVENTS = frozenset({"companion.login_failed", "slip.print_failed", "voter.photo_failed", "hardware.fault"})
#: How each export names the hash of an event: RFC 6962 leaf hash, SHA-256(0x00 || entry).
LEAF_HASH_NAME = "rfc6962-leaf-sha-256"
MANUFACTURER = "booth (perangkat lunak terbuka / open source)"


# ------------------------------------------------------------------ the entry point
def write_exports(out_dir: Path, places: list[dict], bundles: list[tuple[dict, Path]]) -> list[Path]:
    """Write the ERR, CVR and EEL exports into ``out_dir``; returns their paths in that order.

    Raises :class:`RecapError` when there is nothing to date the report by (no verified
    bundle and no counted result yet) or a bundle is not the polling place's.
    """
    out = Path(out_dir)
    evening = Evening.build(places, [read_day(reg, Path(path)) for reg, path in bundles])
    made = []
    for name, document in (
        (ERR_NAME, election_results(evening)),
        (CVR_NAME, cast_vote_records(evening)),
        (EEL_NAME, event_log(evening)),
    ):
        made.append(write_json(out / name, document, public=name == ERR_NAME))
    return made


# ------------------------------------------------------------------ stable identifiers
def slug(text: str) -> str:
    """A readable ASCII piece of an identifier: ``"Pekon Suka Maju"`` -> ``"pekon-suka-maju"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:40] or "x"


def _digest(*parts: str) -> str:
    # names alone could collide after slugging ("Suka Maju" / "Suka-Maju"): the hash of the full path cannot
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:8]


def kabupaten_id(kab: str) -> str:
    return f"kab-{slug(kab)}-{_digest(kab)}"


def kecamatan_id(kab: str, kec: str) -> str:
    return f"kec-{slug(kec)}-{_digest(kab, kec)}"


def pekon_id(kab: str, kec: str, pekon: str) -> str:
    return f"pekon-{slug(pekon)}-{_digest(kab, kec, pekon)}"


def tps_id(place: dict) -> str:
    # the election ID is the TPS's own (SHA-256 of its package): 64 bits of it leave no collision to fear
    return f"tps-{place['tps']:02d}-{slug(place['pekon'])}-{place['election_id'][:16]}"


def contest_id(kab: str, kec: str, pekon: str) -> str:
    return f"contest-{slug(pekon)}-{_digest(kab, kec, pekon)}"


def election_id(kab: str) -> str:
    return f"election-{slug(kab)}-{_digest(kab)}"


def device_id(fp: str) -> str:
    return f"device-{fp[:16]}"


def candidate_id(contest: str, number: int) -> str:
    return f"{contest}-cand-{number}"


def selection_id(contest: str, number: int) -> str:
    return f"{contest}-sel-{number}"


# ------------------------------------------------------------------ reading the bundles
@dataclass(frozen=True)
class Day:
    """What the exports need of one verified bundle (events and ballots are read again when written)."""

    place: dict  # the registry dict it came with
    path: Path
    verifier_key: str
    fingerprint: str
    origin: str
    events: int
    log_root: str  # base64, as in the results statement
    checkpoint: str | None  # the latest stored checkpoint note
    last_time: str | None  # the last event's time (UTC)
    date: str | None  # the election day, from the package's details in the bundle


def read_day(place: dict, path: Path) -> Day:
    """Read a verified bundle's device, log size, root and dates with ``booth.ledger``'s reader."""
    source = open_source(path)
    try:
        vkey = source.verifier_key()
        origin, public = note.parse_verifier_key(vkey)
        frontier = merkle.Frontier()
        last_time = closed_time = None
        for _, _, entry, _ in source.events():
            frontier.append(merkle.leaf_hash(entry))
            obj = parse_canonical(entry)
            last_time = obj["time"]
            if obj["type"] == "polls.closed":
                closed_time = obj["time"]
        checkpoint = None
        for _, text in source.checkpoints():
            checkpoint = text
    finally:
        source.close()
    details = _details(path)
    date = details.get("date") if _is_date(details.get("date")) else None
    if date is None and closed_time:
        # polls close in the afternoon, local time: the same calendar day in UTC anywhere in Indonesia
        date = closed_time[:10]
    return Day(
        place,
        path,
        vkey,
        fingerprint(public),
        origin,
        frontier.size,
        base64.b64encode(frontier.root()).decode(),
        checkpoint,
        last_time,
        date,
    )


def _details(path: Path) -> dict:
    """The bundle's unsigned details (``extra/berita-acara.json``), or {} when it has none."""
    from booth.strict_json import JsonProblem, loads

    try:
        with zipfile.ZipFile(path) as z:
            check_zip_limits(z)
            if "extra/berita-acara.json" not in z.namelist():
                return {}
            value = loads(z.read("extra/berita-acara.json"))
    except (UnsafeBundle, zipfile.BadZipFile, OSError, JsonProblem, UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def ballots_of(day: Day) -> list[tuple[str, str]]:
    """(ballot ID, selection) of every ballot in a bundle, as stored (sorted by ballot ID)."""
    source = open_source(day.path)
    try:
        out = []
        for _, _, record, _ in source.ballots():
            obj = parse_canonical(record)
            if obj["election"] != day.place["election_id"]:
                raise RecapError(
                    "Bundel berisi surat suara pemilihan lain",
                    "A bundle holds ballots of another election",
                    code="export",
                )
            out.append((obj["id"], obj["selection"]))
        return out
    finally:
        source.close()


def events_of(day: Day) -> Iterator[tuple[bytes, dict]]:
    """(entry bytes, parsed entry) of every event of a bundle, in log order."""
    source = open_source(day.path)
    try:
        for _, _, entry, _ in source.events():
            yield entry, parse_canonical(entry)
    finally:
        source.close()


# ------------------------------------------------------------------ the evening as the exports see it
@dataclass(frozen=True)
class Contest:
    """A pekon: its polling places share the candidates."""

    kabupaten: str
    kecamatan: str
    pekon: str
    title: str
    candidates: tuple[tuple[int, str], ...]
    allow_blank: bool
    places: tuple[dict, ...]

    @property
    def id(self) -> str:
        return contest_id(self.kabupaten, self.kecamatan, self.pekon)

    @property
    def unit(self) -> str:
        return pekon_id(self.kabupaten, self.kecamatan, self.pekon)


@dataclass(frozen=True)
class Evening:
    places: tuple[dict, ...]  # sorted by kabupaten, kecamatan, pekon, tps, election ID
    days: tuple[Day, ...]  # the verified bundles, in the same order
    contests: tuple[Contest, ...]
    as_of: str  # the latest moment in the data (UTC, seconds)
    dates: dict[str, tuple[str, str]]  # kabupaten -> (first, last) election day

    @classmethod
    def build(cls, places: Sequence[dict], days: Sequence[Day]) -> Evening:
        ordered = tuple(sorted(places, key=_place_key))
        by_election = {p["election_id"]: p for p in ordered}
        for day in days:
            if day.place["election_id"] not in by_election:
                raise RecapError(
                    "Bundel untuk TPS yang tidak terdaftar", "A bundle for an unregistered polling place", code="export"
                )
        days_sorted = tuple(sorted(days, key=lambda d: (_place_key(d.place), d.fingerprint)))
        groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for p in ordered:
            groups[(p["kabupaten"], p["kecamatan"], p["pekon"])].append(p)
        contests = []
        for (kab, kec, pekon), members in groups.items():
            first = members[0]
            contests.append(
                Contest(
                    kab,
                    kec,
                    pekon,
                    first["title"],
                    tuple((c["number"], c["name"]) for c in sorted(first["candidates"], key=lambda c: c["number"])),
                    bool(first["allow_blank"]),
                    tuple(members),
                )
            )
        times = [_seconds(d.last_time) for d in days_sorted if d.last_time]
        times += [_seconds(p["counted_at"]) for p in ordered if p.get("counted_at")]
        if not times:
            raise RecapError(
                "Belum ada hasil yang masuk: tidak ada yang bisa diekspor",
                "No result has come in yet: there is nothing to export",
                code="export",
            )
        return cls(ordered, days_sorted, tuple(contests), max(times), _election_dates(ordered, days_sorted))

    def kabupaten(self) -> list[str]:
        return sorted({p["kabupaten"] for p in self.places})

    def day_of(self, place: dict) -> Day | None:
        return next((d for d in self.days if d.place["election_id"] == place["election_id"]), None)

    def device_of(self, place: dict) -> str:
        """The fingerprint of the device whose result counts (the bundle's), else the registered one."""
        day = self.day_of(place)
        if day is not None:
            return day.fingerprint
        return fingerprint(note.parse_verifier_key(place["verifier_key"])[1])


def _place_key(p: dict) -> tuple:
    return (p["kabupaten"], p["kecamatan"], p["pekon"], p["tps"], p["election_id"])


def _seconds(text: str) -> str:
    """``2025-11-16T06:00:00.000000Z`` or ``...T06:00:00Z`` -> ``2025-11-16T06:00:00Z``."""
    return text[:19] + "Z"


def _election_dates(places: Sequence[dict], days: Sequence[Day]) -> dict[str, tuple[str, str]]:
    """Each kabupaten's election day(s): from its bundles, else the local date its results came in."""
    dates: dict[str, set[str]] = defaultdict(set)
    for d in days:
        if d.date:
            dates[d.place["kabupaten"]].add(d.date)
    tz = ZoneInfo(DEFAULT_TIMEZONE)
    for p in places:
        if not dates.get(p["kabupaten"]) and p.get("counted_at"):
            when = dt.datetime.strptime(_seconds(p["counted_at"]), "%Y-%m-%dT%H:%M:%SZ")
            dates[p["kabupaten"]].add(when.replace(tzinfo=dt.UTC).astimezone(tz).date().isoformat())
    out = {}
    for kab in sorted({p["kabupaten"] for p in places}):
        found = sorted(dates.get(kab, ()))
        if not found:  # no result anywhere in this kabupaten: the day of the others
            found = sorted(x for s in dates.values() for x in s)
        out[kab] = (found[0], found[-1])
    return out


def _counted(p: dict) -> bool:
    return p["state"] in COUNTED and p.get("tally") is not None


def _registered(p: dict) -> int:
    return int(p["dpt"]) + int(p.get("dptb") or 0)


# ------------------------------------------------------------------ NIST SP 1500-100 v2: results
def _text(*pairs: tuple[str, str]) -> dict:
    return {
        "@type": "ElectionResults.InternationalizedText",
        "Text": [
            {"@type": "ElectionResults.LanguageString", "Content": content, "Language": lang} for lang, content in pairs
        ],
    }


def _err_ext(kind: str, value: str) -> dict:
    return {"@type": "ElectionResults.ExternalIdentifier", "OtherType": kind, "Type": "other", "Value": value}


def _count_status(places: Sequence[dict]) -> str:
    if all(_counted(p) for p in places):
        return "completed"
    if any(_counted(p) for p in places):
        return "in-process"
    return "not-processed"


_PLACE_STATUS = {
    "verified": "completed",
    "provisional": "completed",
    "conflict": "in-process",
    "refused": "not-processed",
    "missing": "not-processed",
}


def _unit(
    uid: str, kind: str, name: str, members: Sequence[dict], composing: Iterable[str], other: str | None = None
) -> dict:
    unit = {
        "@id": uid,
        "@type": "ElectionResults.ReportingUnit",
        "Type": kind,
        "Name": name,
        "ComposingGpUnitIds": sorted(set(composing)),
        "TotalSubUnits": len(members),
        "SubUnitsReported": sum(1 for p in members if _counted(p)),
        "VotersRegistered": sum(_registered(p) for p in members),
        "VotersParticipated": sum(int(p["voters"]) for p in members if _counted(p)),
        "CountStatus": [{"@type": "ElectionResults.CountStatus", "Status": _count_status(members), "Type": "total"}],
    }
    if other:
        unit["OtherType"] = other
    return unit


def _gp_units(ev: Evening) -> list[dict]:
    units: list[dict] = []
    by_kab: dict[str, list[dict]] = defaultdict(list)
    by_kec: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for p in ev.places:
        by_kab[p["kabupaten"]].append(p)
        by_kec[(p["kabupaten"], p["kecamatan"])].append(p)
    for kab, members in sorted(by_kab.items()):
        units.append(
            _unit(kabupaten_id(kab), "county", kab, members, (kecamatan_id(kab, p["kecamatan"]) for p in members))
        )
    for (kab, kec), members in sorted(by_kec.items()):
        units.append(
            _unit(
                kecamatan_id(kab, kec),
                "other",
                kec,
                members,
                (pekon_id(kab, kec, p["pekon"]) for p in members),
                other="kecamatan",
            )
        )
    for c in ev.contests:
        units.append(_unit(c.unit, "village", c.pekon, c.places, (tps_id(p) for p in c.places)))
    devices: dict[str, dict] = {}
    for p in ev.places:
        fp = ev.device_of(p)
        day = ev.day_of(p)
        unit = _unit(tps_id(p), "polling-place", f"TPS {p['tps']:02d} {p['pekon']}", [p], [device_id(fp)])
        unit["Number"] = str(p["tps"])
        unit["CountStatus"][0]["Status"] = _PLACE_STATUS[p["state"]]
        unit["ExternalIdentifier"] = [
            _err_ext("booth-election-id", p["election_id"]),
            _err_ext("booth-state", p["state"]),
        ]
        units.append(unit)
        devices[fp] = {
            "@id": device_id(fp),
            "@type": "ElectionResults.ReportingDevice",
            "Name": day.origin if day else f"booth/{fp[:16]}",
            "SerialNumber": fp,
            "Device": {
                "@type": "ElectionResults.Device",
                "Type": "electronic",
                "Manufacturer": MANUFACTURER,
                "Model": "booth",
            },
            "ExternalIdentifier": [_err_ext("c2sp-verifier-key", day.verifier_key if day else p["verifier_key"])],
        }
    units.extend(devices[fp] for fp in sorted(devices))
    return units


def _summary(unit: str, cast: int, blank: int) -> dict:
    return {
        "@type": "ElectionResults.SummaryCounts",
        "GpUnitId": unit,
        "Type": "total",
        "BallotsCast": cast,
        "Undervotes": blank,
    }


def _votes(unit: str, count: int) -> dict:
    return {"@type": "ElectionResults.VoteCounts", "GpUnitId": unit, "Type": "total", "Count": count}


def _err_contest(c: Contest, order: int) -> dict:
    counted = [p for p in c.places if _counted(p)]
    selections = []
    for number, _ in c.candidates:
        key = str(number)
        per_place = [_votes(tps_id(p), int(p["tally"].get(key, 0))) for p in counted]
        total = sum(int(p["tally"].get(key, 0)) for p in counted)
        selections.append(
            {
                "@id": selection_id(c.id, number),
                "@type": "ElectionResults.CandidateSelection",
                "CandidateIds": [candidate_id(c.id, number)],
                "SequenceOrder": number,
                "VoteCounts": per_place + [_votes(c.unit, total)],
            }
        )
    summaries = [_summary(tps_id(p), int(p["voters"]), int(p["tally"].get("blank", 0))) for p in counted]
    summaries.append(
        _summary(c.unit, sum(int(p["voters"]) for p in counted), sum(int(p["tally"].get("blank", 0)) for p in counted))
    )
    return {
        "@id": c.id,
        "@type": "ElectionResults.CandidateContest",
        "Name": c.title,
        "ElectoralDistrictId": c.unit,
        "VotesAllowed": 1,
        "NumberElected": 1,
        "VoteVariation": "plurality",
        "SequenceOrder": order,
        "TotalSubUnits": len(c.places),
        "SubUnitsReported": len(counted),
        "CountStatus": [{"@type": "ElectionResults.CountStatus", "Status": _count_status(c.places), "Type": "total"}],
        "BallotSelection": selections,
        "SummaryCounts": summaries,
    }


def _election_name(kab: str) -> dict:
    return _text(
        ("id", f"Pemilihan kepala desa/pekon serentak, Kabupaten {kab}"),
        ("en", f"Simultaneous village-head elections, {kab} regency"),
    )


def election_results(ev: Evening) -> dict:
    """The ERR document: the election per kabupaten, its contests (one per pekon), counts per TPS and totals."""
    elections = []
    order = 0
    for kab in ev.kabupaten():
        contests, candidates = [], []
        for c in (c for c in ev.contests if c.kabupaten == kab):
            order += 1
            contests.append(_err_contest(c, order))
            for number, name in c.candidates:
                candidates.append(
                    {
                        "@id": candidate_id(c.id, number),
                        "@type": "ElectionResults.Candidate",
                        "BallotName": _text(("id", name)),
                        "ExternalIdentifier": [_err_ext("nomor-urut", str(number))],
                    }
                )
        start, end = ev.dates[kab]
        elections.append(
            {
                "@type": "ElectionResults.Election",
                "Name": _election_name(kab),
                "Type": "general",
                "ElectionScopeId": kabupaten_id(kab),
                "StartDate": start,
                "EndDate": end,
                "ExternalIdentifier": [_err_ext("booth-election", election_id(kab))],
                "Candidate": candidates,
                "Contest": _Lines(contests),
            }
        )
    complete = all(_counted(p) for p in ev.places)
    return {
        "@type": "ElectionResults.ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": ev.as_of,
        "Issuer": "Rekapitulasi " + ", ".join(f"Kabupaten {k}" for k in ev.kabupaten()),
        "IssuerAbbreviation": "booth-recap",
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": "unofficial-complete" if complete else "unofficial-partial",
        "VendorApplicationId": _vendor(),
        "Notes": (
            "Suara per TPS dari pernyataan hasil yang ditandatangani perangkat; status tiap TPS "
            "(verified = bundel terverifikasi, provisional = QR saja) di ExternalIdentifier booth-state. / "
            "Votes per polling place from the device-signed results statements; each polling place's "
            "state (verified = bundle verified, provisional = QR only) is in its booth-state "
            "ExternalIdentifier."
        ),
        "Election": elections,
        "GpUnit": _Lines(_gp_units(ev)),
    }


def _vendor() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"booth {version('booth')} recap"
    except PackageNotFoundError:
        return "booth recap"


# ------------------------------------------------------------------ NIST SP 1500-103: cast vote records
def _cvr_unit(uid: str, kind: str, name: str, other: str | None = None, devices: Sequence[str] = ()) -> dict:
    unit: dict[str, Any] = {"@id": uid, "@type": "CVR.GpUnit", "Type": kind, "Name": name}
    if other:
        unit["OtherType"] = other
    if devices:
        unit["ReportingDeviceIds"] = list(devices)
    return unit


def _cvr_contest(c: Contest) -> dict:
    return {
        "@id": c.id,
        "@type": "CVR.CandidateContest",
        "Name": c.title,
        "VotesAllowed": 1,
        "NumberElected": 1,
        "VoteVariation": "plurality",
        "ContestSelection": [
            {"@id": selection_id(c.id, n), "@type": "CVR.CandidateSelection", "CandidateIds": [candidate_id(c.id, n)]}
            for n, _ in c.candidates
        ],
    }


def _cvr_choice(c: Contest, selection: str) -> dict:
    if selection == "blank":  # the voter chose no candidate: an undervote with no selection
        return {
            "@type": "CVR.CVRContest",
            "ContestId": c.id,
            "Selections": 0,
            "Undervotes": 1,
            "Status": ["undervoted"],
        }
    return {
        "@type": "CVR.CVRContest",
        "ContestId": c.id,
        "Selections": 1,
        "Undervotes": 0,
        "CVRContestSelection": [
            {
                "@type": "CVR.CVRContestSelection",
                "ContestSelectionId": selection_id(c.id, int(selection)),
                "SelectionIndication": [{"@type": "CVR.SelectionIndication", "IsAllocable": "yes", "NumberVotes": 1}],
            }
        ],
    }


def cast_vote_records(ev: Evening) -> dict:
    """The CVR document: one CVR per ballot of the verified bundles, sorted by ballot ID, with no time."""
    contest_of = {p["election_id"]: c for c in ev.contests for p in c.places}
    records = []
    for day in ev.days:
        c = contest_of[day.place["election_id"]]
        place = next(p for p in c.places if p["election_id"] == day.place["election_id"])
        for ballot, selection in ballots_of(day):
            if selection == formats.SPOILED:
                # spoiled after its voter disputed the slip: not a vote, so no CVR (its VOID print and
                # the disputed slip carry its ID in the audit box; the bundle counts it apart)
                continue
            records.append(
                (
                    ballot,
                    day.place["election_id"],
                    {
                        "@type": "CVR.CVR",
                        "BallotAuditId": ballot,
                        "ElectionId": election_id(c.kabupaten),
                        "GpUnitId": tps_id(place),
                        "OriginatingDeviceId": device_id(day.fingerprint),
                        "CVRSnapshot": [
                            {
                                "@type": "CVR.CVRSnapshot",
                                "IsCurrent": True,
                                "Type": "original",
                                "CVRContest": [_cvr_choice(c, selection)],
                            }
                        ],
                    },
                )
            )
    records.sort(key=lambda r: (r[0], r[1]))
    units = [_cvr_unit(kabupaten_id(k), "other", k, "kabupaten") for k in ev.kabupaten()]
    units += [
        _cvr_unit(kecamatan_id(kab, kec), "other", kec, "kecamatan")
        for kab, kec in sorted({(p["kabupaten"], p["kecamatan"]) for p in ev.places})
    ]
    units += [_cvr_unit(c.unit, "other", c.pekon, "pekon") for c in ev.contests]
    units += [
        _cvr_unit(tps_id(p), "polling-place", f"TPS {p['tps']:02d} {p['pekon']}", devices=[device_id(ev.device_of(p))])
        for p in ev.places
    ]
    elections = []
    for kab in ev.kabupaten():
        mine = [c for c in ev.contests if c.kabupaten == kab]
        elections.append(
            {
                "@id": election_id(kab),
                "@type": "CVR.Election",
                "ElectionScopeId": kabupaten_id(kab),
                "Name": f"Pemilihan kepala desa/pekon serentak, Kabupaten {kab}",
                "Candidate": [
                    {
                        "@id": candidate_id(c.id, n),
                        "@type": "CVR.Candidate",
                        "Name": name,
                        "Code": [{"@type": "CVR.Code", "Type": "other", "OtherType": "nomor-urut", "Value": str(n)}],
                    }
                    for c in mine
                    for n, name in c.candidates
                ],
                "Contest": [_cvr_contest(c) for c in mine],
            }
        )
    return {
        "@type": "CVR.CastVoteRecordReport",
        "Version": "1.0.0",
        "GeneratedDate": ev.as_of,
        "ReportType": ["aggregated"],
        "ReportGeneratingDeviceIds": ["booth-recap"],
        "Notes": (
            "Rahasia: hanya untuk panitia dan auditor. Satu CVR per surat suara, urut ID surat suara, "
            "tanpa waktu; BallotAuditId = ID pada struk audit. / Confidential: for the committee and "
            "auditors only. One CVR per ballot, sorted by ballot ID, no time; BallotAuditId = the ID "
            "printed on the audit slip."
        ),
        "Election": elections,
        "GpUnit": _Lines(units),
        "CVR": _Lines(r[2] for r in records),
    }


# ------------------------------------------------------------------ NIST SP 1500-101: event logs
def _eel_event(entry: bytes, obj: dict) -> dict:
    etype = obj["type"]
    known = EVENT_TYPES.get(etype)
    event = {
        "@type": "EventLogging.Event",
        "Id": etype,
        "Type": etype.split(".", 1)[0],
        "Sequence": str(obj["seq"]),
        "TimeStamp": obj["time"],
        "UserId": obj["actor"],
        "Disposition": "failure" if etype in FAILED_EVENTS else "success",
        # the exact signed entry, so anyone recomputes Hash = SHA-256(0x00 || Details) and the log's root
        "Details": entry.decode("utf-8"),
        "Hash": merkle.leaf_hash(entry).hex(),
    }
    if known is not None:
        event["Description"] = f"{known.id_text} / {known.en_text}"
    return event


def _eel_device(ev: Evening, day: Day) -> dict:
    p = day.place
    facts = {
        "election_id": p["election_id"],
        "gp_unit": tps_id(p),
        "kabupaten": p["kabupaten"],
        "kecamatan": p["kecamatan"],
        "pekon": p["pekon"],
        "tps": p["tps"],
        "origin": day.origin,
        "verifier_key": day.verifier_key,
        "log_size": day.events,
        "log_root": day.log_root,
        "checkpoint": day.checkpoint,
    }
    return {
        "@type": "EventLogging.Device",
        "Id": day.fingerprint,
        "Type": "dre",
        "Manufacturer": MANUFACTURER,
        "Model": "booth",
        "HashType": "other",
        "OtherHashType": LEAF_HASH_NAME,
        "Details": json.dumps(facts, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
        "Event": _Lines(_eel_event(entry, obj) for entry, obj in events_of(day)),
    }


def event_log(ev: Evening) -> dict:
    """The EEL document: every verified booth's events, in log order, each with its RFC 6962 leaf hash."""
    kabs = ev.kabupaten()
    doc: dict[str, Any] = {
        "@type": "EventLogging.ElectionEventLog",
        "GeneratedTime": ev.as_of,
        "Details": (
            "Rahasia: hanya untuk panitia dan auditor. Hash = hash daun RFC 6962 dari Details "
            "(SHA-256(0x00 || entri)). / Confidential: for the committee and auditors only. Hash = "
            "the RFC 6962 leaf hash of Details (SHA-256(0x00 || entry))."
        ),
        "Device": [_eel_device(ev, d) for d in ev.days],
    }
    if len(kabs) == 1:
        doc["ElectionId"] = election_id(kabs[0])
    return doc


# ------------------------------------------------------------------ writing
class _Lines:
    """A list written one item per line (and read lazily): the big lists of the exports."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _chunks(value: Any) -> Iterator[str]:
    if isinstance(value, _Lines):
        first = True
        yield "["
        for item in value.items:
            yield ("\n" if first else ",\n")
            yield from _chunks(item)
            first = False
        yield "\n]" if not first else "]"
    elif isinstance(value, dict) and _has_lines(value):
        yield "{"
        for i, key in enumerate(sorted(value)):
            yield ("," if i else "") + json.dumps(key, ensure_ascii=False) + ":"
            yield from _chunks(value[key])
        yield "}"
    elif isinstance(value, list) and any(_has_lines(v) for v in value if isinstance(v, dict)):
        yield "["
        for i, item in enumerate(value):
            yield ("," if i else "")
            yield from _chunks(item)
        yield "]"
    else:
        yield json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _has_lines(value: dict) -> bool:
    return any(
        isinstance(v, _Lines)
        or (isinstance(v, dict) and _has_lines(v))
        or (isinstance(v, list) and any(isinstance(x, dict) and _has_lines(x) for x in v))
        for v in value.values()
    )


def write_json(path: Path, document: dict, *, public: bool = False) -> Path:
    """Write ``document`` as UTF-8 JSON with sorted keys, atomically (a reader never sees half a file).

    Only a ``public`` document is readable by every account on the machine: CVRs and event logs are not."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for chunk in _chunks(document):
                f.write(chunk)
            f.write("\n")
        os.chmod(tmp, 0o644 if public else 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
