"""The evening's exports for the KPU, the committee and the auditors, in the NIST formats.

One small evening (tests/recap_days.py): two kecamatan, three pekon, five polling places —
two verified by their bundles (one with a blank vote), one counted from its results QR alone,
one in conflict (two devices sent different signed results), one not yet in.  The exports are
checked against the official NIST JSON schemas (tests/fixtures/nist/) and against the booths'
own data: tallies, ballots, events.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.ledger import keys, merkle, note
from booth.ledger.keys import fingerprint
from booth.recap import nist
from booth.recap.api import RecapError
from booth.recap.start import open_recap
from recap_days import counted_day, registry_bytes, scratch, tps_package

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "fixtures" / "nist"
NAMES = (nist.ERR_NAME, nist.CVR_NAME, nist.EEL_NAME)


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.when = when

    def __call__(self) -> dt.datetime:
        return self.when


@pytest.fixture(scope="module")
def evening():
    root = scratch()
    pk = {
        "suk1": tps_package(root, pekon="Sukamaju", tps=1, seed=21),
        "suk2": tps_package(root, pekon="Sukamaju", tps=2, seed=22),
        "sid1": tps_package(root, pekon="Sidoharjo", tps=1, kecamatan="Pardasuka", seed=23, allow_blank=True),
        "sid2": tps_package(root, pekon="Sidoharjo", tps=2, kecamatan="Pardasuka", seed=24, allow_blank=True),
        "ban1": tps_package(root, pekon="Banjarejo", tps=1, kecamatan="Pardasuka", seed=25, candidates=2),
    }
    days = {
        "suk1": counted_day(root / "suk1", pk["suk1"], ["1", "2", "2", "3", "1", "2", "2"]),
        "suk2": counted_day(root / "suk2", pk["suk2"], ["3", "3", "1", "2"]),
        "suk2b": counted_day(root / "suk2b", pk["suk2"], ["1", "1"]),  # a second device, another result
        "sid1": counted_day(root / "sid1", pk["sid1"], ["1", "blank", "2", "2", "1", "blank"]),
        "sid2": counted_day(root / "sid2", pk["sid2"], ["2", "2", "1"]),
        "ban1": counted_day(root / "ban1", pk["ban1"], ["1", "2"], export=False),  # never sent
    }
    data = root / "rekap"
    recap = open_recap(data, workers=0, clock=Clock(dt.datetime(2025, 11, 16, 9, 30, tzinfo=dt.UTC)))
    recap.import_registry(registry_bytes(list(days.values())), by="ketua")
    for key in ("suk1", "suk2", "suk2b", "sid1"):
        assert recap.submit_bundle(days[key].bundle, filename=f"{key}.zip", by="budi").accepted
    assert recap.submit_statement(days["sid2"].statement, by="budi").accepted
    out = root / "ekspor"
    paths = recap.export(out)
    states = {p.registration.pekon + str(p.registration.tps): p.state for p in recap.places()}
    recap.close()
    assert states == {
        "Sukamaju1": "verified",
        "Sukamaju2": "conflict",
        "Sidoharjo1": "verified",
        "Sidoharjo2": "provisional",
        "Banjarejo1": "missing",
    }
    docs = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in paths}
    return {"root": root, "days": days, "data": data, "out": out, "paths": paths, "docs": docs}


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def ids_and_refs(doc) -> tuple[list[str], set[str]]:
    """Every @id defined, and every identifier referred to (…Id / …Ids fields)."""
    ids: list[str] = []
    refs: set[str] = set()

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "@id":
                    ids.append(v)
                elif k.endswith("Ids") and k != "ReportGeneratingDeviceIds":
                    refs.update(v)
                elif k.endswith("Id") and k not in ("BallotAuditId", "VendorApplicationId", "Id", "UserId"):
                    refs.add(v)
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)

    walk(doc)
    return ids, refs


def test_the_three_exports_validate_against_the_official_nist_schemas(evening):
    assert [p.name for p in evening["paths"]] == list(NAMES)
    pairs = [
        (nist.ERR_NAME, "NIST_V2_election_results_reporting.json"),
        (nist.CVR_NAME, "NIST_V0_cast_vote_records.json"),
        (nist.EEL_NAME, "NIST_V1_election_event_logging.json"),
    ]
    for export, schema_file in pairs:
        validator = jsonschema.Draft4Validator(schema(schema_file), format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(evening["docs"][export]), key=lambda e: list(e.path))
        assert not errors, f"{export}: {errors[0].message} at {list(errors[0].path)}"
    # the schemas cannot check references: every identifier used is defined, once
    for export in (nist.ERR_NAME, nist.CVR_NAME):
        ids, refs = ids_and_refs(evening["docs"][export])
        assert len(ids) == len(set(ids)), export
        if export == nist.CVR_NAME:
            # the CVR JSON schema has no list for ReportingDevice objects: devices are named by ID only
            refs = {r for r in refs if not r.startswith("device-")}
        assert refs <= set(ids), f"{export}: undefined {sorted(refs - set(ids))[:3]}"
    # the official schema really is strict: a CVR with an unknown field is refused (control)
    bad = json.loads(json.dumps(evening["docs"][nist.CVR_NAME]))
    bad["CVR"][0]["Time"] = "2025-11-16T07:00:00Z"
    assert not jsonschema.Draft4Validator(schema("NIST_V0_cast_vote_records.json")).is_valid(bad)


def test_the_kpu_reads_totals_that_equal_the_sum_of_the_booths_tallies(evening):
    doc, days = evening["docs"][nist.ERR_NAME], evening["days"]
    assert doc["Status"] == "unofficial-partial" and doc["Format"] == "precinct-level"
    (election,) = doc["Election"]
    assert election["StartDate"] == election["EndDate"] == "2025-11-16"
    units = {u["@id"]: u for u in doc["GpUnit"]}
    names = {c["@id"]: c["BallotName"]["Text"][0]["Content"] for c in election["Candidate"]}
    tps_of = {u["Name"]: u["@id"] for u in units.values() if u.get("Type") == "polling-place"}
    counted = {"Sukamaju": ["suk1"], "Sidoharjo": ["sid1", "sid2"], "Banjarejo": []}
    for contest in election["Contest"]:
        pekon = units[contest["ElectoralDistrictId"]]["Name"]
        keys = counted[pekon]
        expected = Counter()
        for k in keys:
            expected.update({n: v for n, v in days[k].tally.items() if n != "blank"})
        for sel in contest["BallotSelection"]:
            number = sel["SequenceOrder"]
            by_unit = {v["GpUnitId"]: v["Count"] for v in sel["VoteCounts"]}
            assert by_unit.pop(contest["ElectoralDistrictId"]) == expected[str(number)], (pekon, number)
            # one count per counted polling place, none for the conflict or the missing one
            assert sorted(by_unit) == sorted(tps_of[f"TPS 0{k[-1]} {pekon}"] for k in keys)
            for k in keys:
                assert by_unit[tps_of[f"TPS 0{k[-1]} {pekon}"]] == days[k].tally[str(number)]
            assert names[sel["CandidateIds"][0]] in {
                c["name"]
                for c in days[
                    "suk1" if pekon == "Sukamaju" else "sid1" if pekon == "Sidoharjo" else "ban1"
                ].registration["candidates"]
            }
        total = next(s for s in contest["SummaryCounts"] if s["GpUnitId"] == contest["ElectoralDistrictId"])
        assert total["BallotsCast"] == sum(sum(days[k].tally.values()) for k in keys)
        assert total["Undervotes"] == sum(days[k].tally.get("blank", 0) for k in keys)
        assert contest["SubUnitsReported"] == len(keys)
    (kab,) = [u for u in units.values() if u.get("Type") == "county"]
    assert kab["Name"] == "Pringsewu" and kab["TotalSubUnits"] == 5 and kab["SubUnitsReported"] == 3
    assert kab["VotersParticipated"] == sum(sum(days[k].tally.values()) for k in ("suk1", "sid1", "sid2"))
    states = {
        u["Name"]: {e["OtherType"]: e["Value"] for e in u["ExternalIdentifier"]}["booth-state"]
        for u in units.values()
        if u.get("Type") == "polling-place"
    }
    assert states == {
        "TPS 01 Sukamaju": "verified",
        "TPS 02 Sukamaju": "conflict",
        "TPS 01 Sidoharjo": "verified",
        "TPS 02 Sidoharjo": "provisional",
        "TPS 01 Banjarejo": "missing",
    }
    # the device whose bundle counts is named by its fingerprint
    serials = {u["SerialNumber"] for u in units.values() if u["@type"] == "ElectionResults.ReportingDevice"}
    assert hashlib.sha256(b"").hexdigest() not in serials and len(serials) == 5


def bundle_lines(bundle: bytes, member: str) -> list[bytes]:
    return zipfile.ZipFile(io.BytesIO(bundle)).read(member).splitlines()


def test_the_auditor_gets_one_cvr_per_ballot_sorted_by_ballot_id_and_without_time(evening):
    doc, days = evening["docs"][nist.CVR_NAME], evening["days"]
    ballots = {}
    for k in ("suk1", "sid1"):  # the verified bundles only
        for line in bundle_lines(days[k].bundle, "ballots.jsonl"):
            record = json.loads(line.split(b" ", 1)[1])
            ballots[record["id"]] = record["selection"]
    cvrs = doc["CVR"]
    assert [c["BallotAuditId"] for c in cvrs] == sorted(ballots)
    assert len(cvrs) == sum(sum(days[k].tally.values()) for k in ("suk1", "sid1"))
    selections = {
        s["@id"]: s["CandidateIds"][0] for e in doc["Election"] for c in e["Contest"] for s in c["ContestSelection"]
    }
    per_tps: dict[str, Counter] = {}
    for c in cvrs:
        (snap,) = c["CVRSnapshot"]
        (contest,) = snap["CVRContest"]
        chosen = contest.get("CVRContestSelection", [])
        if ballots[c["BallotAuditId"]] == "blank":
            assert chosen == [] and contest["Undervotes"] == 1 and contest["Status"] == ["undervoted"]
            choice = "blank"
        else:
            (sel,) = chosen
            choice = selections[sel["ContestSelectionId"]].rsplit("-", 1)[1]
        assert choice == ballots[c["BallotAuditId"]]
        per_tps.setdefault(c["GpUnitId"], Counter())[choice] += 1
    tallies = [{n: v for n, v in days[k].tally.items() if v} for k in ("suk1", "sid1")]
    assert sorted(sorted(t.items()) for t in per_tps.values()) == sorted(sorted(t.items()) for t in tallies)
    text = evening["paths"][1].read_text()
    assert "TimeStamp" not in text and "T07:" not in text and text.count("2025-11-16T") == 1  # GeneratedDate only


def test_every_event_hash_is_its_rfc6962_leaf_hash_and_rebuilds_the_signed_root(evening):
    doc, days = evening["docs"][nist.EEL_NAME], evening["days"]
    devices = {d["Id"]: d for d in doc["Device"]}
    assert len(devices) == 2  # the verified bundles' devices (a conflict's bundles are not counted)
    for k in ("suk1", "sid1"):
        device = devices.pop(fingerprint(note.parse_verifier_key(days[k].verifier_key)[1]))
        entries = [line.split(b" ", 1)[1] for line in bundle_lines(days[k].bundle, "events.jsonl")]
        events = device["Event"]
        assert [e["Details"].encode() for e in events] == entries
        assert [e["Hash"] for e in events] == [hashlib.sha256(b"\x00" + e).hexdigest() for e in entries]
        assert [e["Sequence"] for e in events] == [str(i) for i in range(len(entries))]
        assert device["HashType"] == "other" and device["OtherHashType"] == "rfc6962-leaf-sha-256"
        # the hashes alone rebuild the root of the log the device signed
        facts = json.loads(device["Details"])
        root = base64.b64encode(merkle.root([bytes.fromhex(e["Hash"]) for e in events])).decode()
        assert facts["log_size"] == len(entries) and facts["log_root"] == root
        assert facts["checkpoint"].split("\n")[1:3] == [str(len(entries)), root]
        assert [e["Id"] for e in events].count("ballot.cast") == sum(days[k].tally.values())
        assert all(e["Disposition"] == "success" for e in events)


def exported_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in NAMES}


def test_exporting_again_after_reopening_and_from_the_command_line_gives_the_same_bytes(evening, tmp_path):
    first = exported_bytes(evening["out"])
    with open_recap(evening["data"], workers=0) as recap:  # a fresh process's view, later on the wall clock
        recap.export(tmp_path / "again")
        recap.export(tmp_path / "again")
    assert exported_bytes(tmp_path / "again") == first
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run(
        [sys.executable, "-m", "booth", "recap", "export", "--data", str(evening["data"]), str(tmp_path / "cli")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert [Path(line).name for line in r.stdout.split()] == list(NAMES)
    assert exported_bytes(tmp_path / "cli") == first
    assert oct((tmp_path / "cli" / nist.CVR_NAME).stat().st_mode & 0o777) == "0o600"


def test_an_empty_recap_has_nothing_to_export_and_says_so(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run(
        [sys.executable, "-m", "booth", "recap", "export", "--data", str(tmp_path / "kosong"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert r.returncode == 1
    assert "Belum ada hasil" in r.stderr and "nothing to export" in r.stderr
    assert not any((tmp_path / "out").glob("*.json"))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rnd=st.randoms(use_true_random=False))
def test_the_order_the_recap_hands_over_places_and_bundles_does_not_change_a_byte(evening, rnd, tmp_path_factory):
    with open_recap(evening["data"], workers=0) as recap:
        places, bundles = captured_inputs(recap, tmp_path_factory.mktemp("work"))
    rnd.shuffle(places)
    rnd.shuffle(bundles)
    out = tmp_path_factory.mktemp("shuffled")
    nist.write_exports(out, places, bundles)
    assert exported_bytes(out) == exported_bytes(evening["out"])


def captured_inputs(recap, work: Path) -> tuple[list[dict], list[tuple[dict, Path]]]:
    """What Recap.export hands to write_exports (bundle files copied out before its temporary folder goes)."""
    seen = {}
    real = nist.write_exports

    def capture(out_dir, places, bundles):
        kept = []
        for i, (reg, path) in enumerate(bundles):
            copy = work / f"{i}.zip"
            copy.write_bytes(Path(path).read_bytes())
            kept.append((reg, copy))
        seen["inputs"] = (list(places), kept)
        return real(out_dir, places, bundles)

    nist.write_exports = capture
    try:
        recap.export(work / "out")
    finally:
        nist.write_exports = real
    return seen["inputs"]


def test_no_ballot_reaches_the_public_view_or_the_public_results_file(evening):
    ballot_ids = [c["BallotAuditId"] for c in evening["docs"][nist.CVR_NAME]["CVR"]]
    assert ballot_ids and all(b in evening["paths"][1].read_text() for b in ballot_ids)  # control
    public = []
    with open_recap(evening["data"], workers=0) as recap:
        for p in recap.places():
            public.append(json.dumps(recap.public_place(p.election_id)))
        try:
            from starlette.testclient import TestClient

            from booth.recap.web import create_app
        except ImportError:
            pass
        else:
            with TestClient(create_app(recap, data_dir=evening["data"])) as client:
                for p in recap.places():
                    r = client.get(f"/publik/pemilihan/{p.election_id}.json")
                    if r.status_code != 404:  # the route is R3's; when it is there, it must hold counts only
                        assert r.status_code == 200
                        public.append(r.text)
    public.append(evening["paths"][0].read_text())
    for text in public:
        assert not any(b in text for b in ballot_ids)
        assert "BallotAuditId" not in text and '"selection"' not in text


def test_a_bundle_of_another_polling_place_is_refused_by_the_export(evening, tmp_path):
    with open_recap(evening["data"], workers=0) as recap:
        places, bundles = captured_inputs(recap, tmp_path)
    reg, path = bundles[0]
    other = next(p for p in places if p["election_id"] != reg["election_id"])
    with pytest.raises(RecapError) as info:
        nist.write_exports(tmp_path / "x", places, [(other, path)])
    assert "another election" in info.value.en


# ------------------------------------------------------------------ any evening, written out
KEYS = [
    note.verifier_key(keys.origin_for(k.public_key()), k.public_key())
    for k in (Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in range(1, 5))
]
AREA_NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


@st.composite
def evenings(draw) -> list[dict]:
    """Registered polling places of one or more kabupaten, each in any state; QR-only results only."""
    areas = draw(st.lists(st.tuples(AREA_NAMES, AREA_NAMES, AREA_NAMES), min_size=1, max_size=4, unique=True))
    places = []
    for kab, kec, pekon in areas:
        blank = draw(st.booleans())
        candidates = [{"number": n, "name": draw(AREA_NAMES)} for n in range(1, draw(st.integers(1, 4)) + 1)]
        for tps in range(1, draw(st.integers(1, 3)) + 1):
            state = draw(st.sampled_from(["verified", "provisional", "conflict", "refused", "missing"]))
            counted = state in ("verified", "provisional")
            options = [str(c["number"]) for c in candidates] + (["blank"] if blank else [])
            tally = {k: draw(st.integers(0, 400)) for k in options} if counted else None
            voters = sum(tally.values()) if tally else None
            dptb = draw(st.integers(0, 5)) if counted else None
            places.append(
                {
                    "verifier_key": draw(st.sampled_from(KEYS)),
                    "election_id": election_hex(draw, len(places)),
                    "title": f"Pilkades {pekon}",
                    "provinsi": "Lampung",
                    "kabupaten": kab,
                    "kecamatan": kec,
                    "pekon": pekon,
                    "tps": tps,
                    "dpt": (voters or 0) + draw(st.integers(0, 50)),
                    "allow_blank": blank,
                    "candidates": candidates,
                    "state": state,
                    "tally": tally,
                    "total": voters - tally.get("blank", 0) if tally else None,
                    "voters": voters,
                    "dptb": dptb,
                    "counted_at": f"2025-11-16T{draw(st.integers(6, 16)):02d}:{draw(st.integers(0, 59)):02d}:00Z"
                    if counted
                    else None,
                }
            )
    return places


def election_hex(draw, index: int) -> str:
    """A TPS's election ID: unique, as the SHA-256 of its own package is (the registry refuses a second
    polling place with the same election)."""
    return hashlib.sha256(draw(st.binary(max_size=8)) + index.to_bytes(4, "big")).hexdigest()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(places=evenings())
def test_any_evening_of_qr_results_writes_valid_exports_whose_totals_add_up(places, tmp_path_factory):
    if not any(p["counted_at"] for p in places):
        with pytest.raises(RecapError):
            nist.write_exports(tmp_path_factory.mktemp("x"), places, [])
        return
    out = tmp_path_factory.mktemp("any")
    paths = nist.write_exports(out, places, [])
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    for doc, schema_file in zip(
        docs,
        (
            "NIST_V2_election_results_reporting.json",
            "NIST_V0_cast_vote_records.json",
            "NIST_V1_election_event_logging.json",
        ),
        strict=False,
    ):
        jsonschema.validate(doc, schema(schema_file), cls=jsonschema.Draft4Validator)
    err, cvr, eel = docs
    assert cvr["CVR"] == [] and eel["Device"] == []  # no verified bundle: no ballot, no event
    ids, refs = ids_and_refs(err)
    assert len(ids) == len(set(ids)) and refs <= set(ids)
    units = {u["@id"]: u for u in err["GpUnit"]}
    for election in err["Election"]:
        for contest in election["Contest"]:
            pekon = units[contest["ElectoralDistrictId"]]
            mine = [
                p
                for p in places
                if p["kabupaten"] == units[election["ElectionScopeId"]]["Name"]
                and nist.pekon_id(p["kabupaten"], p["kecamatan"], p["pekon"]) == pekon["@id"]
            ]
            counted = [p for p in mine if p["state"] in ("verified", "provisional")]
            for sel in contest["BallotSelection"]:
                total = next(v["Count"] for v in sel["VoteCounts"] if v["GpUnitId"] == pekon["@id"])
                assert total == sum(p["tally"][str(sel["SequenceOrder"])] for p in counted)
            assert pekon["VotersParticipated"] == sum(p["voters"] for p in counted)
            assert pekon["VotersRegistered"] == sum(p["dpt"] + (p["dptb"] or 0) for p in mine)
    assert err["GeneratedDate"] == max(p["counted_at"] for p in places if p["counted_at"])
