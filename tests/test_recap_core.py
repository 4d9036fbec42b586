"""The evening at the kabupaten: what polling places send is verified, counted once, receipted and added up.

Real days through the core (tests/recap_days.py), real bundles, the recap in a
fresh data directory with the verification inline (``workers=0``) unless a test
is about the worker pool.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.ledger import merkle, note
from booth.recap.api import RecapError, Target
from booth.recap.receipts import ReceiptError, check_receipt
from booth.recap.start import open_recap
from recap_days import counted_day, scratch, tps_package


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.when = when

    def __call__(self) -> dt.datetime:
        return self.when


@pytest.fixture(scope="module")
def evening():
    """Two kecamatan, three pekon, five polling places; a replacement device; a foreign device;
    a device registered for one TPS whose day ran another TPS's election."""
    root = scratch()
    pk = {
        "suk1": tps_package(root, pekon="Sukamaju", tps=1, seed=1),
        "suk2": tps_package(root, pekon="Sukamaju", tps=2, seed=2),
        "sid1": tps_package(root, pekon="Sidoharjo", tps=1, kecamatan="Pardasuka", seed=3, allow_blank=True),
        "sid2": tps_package(root, pekon="Sidoharjo", tps=2, kecamatan="Pardasuka", seed=4, allow_blank=True),
        "ban1": tps_package(root, pekon="Banjarejo", tps=1, kecamatan="Pardasuka", seed=5, candidates=2),
    }
    days = {
        "suk1": counted_day(root / "suk1", pk["suk1"], ["1", "2", "2", "3", "1", "2", "2"]),
        "suk2": counted_day(root / "suk2", pk["suk2"], ["3", "3", "1", "2"]),
        "sid1": counted_day(root / "sid1", pk["sid1"], ["1", "blank", "2", "2", "1"]),
        "sid2": counted_day(root / "sid2", pk["sid2"], ["2", "2", "1"]),
        # the device that replaced suk2's mid-day: another signed result for the same TPS
        "suk2b": counted_day(root / "suk2b", pk["suk2"], ["1", "1"]),
        # a device nobody registered
        "foreign": counted_day(root / "foreign", pk["ban1"], ["1", "2"]),
        # registered for Banjarejo TPS 1, but its day ran Sidoharjo TPS 2's election
        "wrong": counted_day(root / "wrong", pk["sid2"], ["1"]),
    }
    wrong_reg = dict(days["foreign"].registration, verifier_key=days["wrong"].verifier_key)
    devices = [days[k].registration for k in ("suk1", "suk2", "sid1", "sid2", "suk2b")] + [wrong_reg]
    registry = json.dumps({"format": "booth-recap-registry-v1", "devices": devices}).encode()
    return {"root": root, "days": days, "registry": registry, "packages": pk}


@pytest.fixture()
def recap(evening, tmp_path):
    r = open_recap(tmp_path / "recap", workers=0, clock=Clock(dt.datetime(2025, 11, 16, 7, 30, tzinfo=dt.UTC)))
    r.import_registry(evening["registry"], by="ketua")
    yield r
    r.close()


def tampered(bundle: bytes) -> bytes:
    """The bundle with one ballot's choice changed after export (its signature no longer matches)."""
    src = zipfile.ZipFile(io.BytesIO(bundle))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "ballots.jsonl":
                lines = data.split(b"\n")
                sig, record = lines[0].split(b" ", 1)
                obj = json.loads(record)
                obj["selection"] = "1" if obj["selection"] != "1" else "2"
                lines[0] = sig + b" " + json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
                data = b"\n".join(lines)
            z.writestr(info.filename, data)
    return out.getvalue()


def place(recap, day):
    return recap.place(day.registration["election_id"])


def test_the_kabupaten_totals_are_the_sum_of_the_booths_tallies(recap, evening):
    days = evening["days"]
    for key in ("suk1", "suk2", "sid1", "sid2"):
        outcome = recap.submit_bundle(days[key].bundle, source="upload", filename=f"{key}.zip", by="budi")
        assert outcome.accepted and not outcome.duplicate, outcome.submission.reason_en
    totals = recap.totals()
    [kab] = totals.areas
    assert kab.name == "Pringsewu"
    assert kab.valid == sum(sum(days[k].tally.values()) for k in ("suk1", "suk2", "sid1", "sid2"))
    by_pekon = {a.name: a for kec in kab.children for a in kec.children}
    assert by_pekon["Sukamaju"].tally == {k: days["suk1"].tally[k] + days["suk2"].tally[k] for k in ("1", "2", "3")}
    assert by_pekon["Sidoharjo"].tally["blank"] == 1
    assert by_pekon["Sidoharjo"].tally == by_pekon["Sidoharjo"].verified_tally
    assert {p.registration.place_label: p.state for p in totals.places} == {
        "TPS 01 Sukamaju": "verified",
        "TPS 02 Sukamaju": "verified",
        "TPS 01 Sidoharjo": "verified",
        "TPS 02 Sidoharjo": "verified",
        "TPS 01 Banjarejo": "missing",
    }
    assert [p.registration.place_label for p in recap.missing()] == ["TPS 01 Banjarejo"]
    assert kab.dpt == 5 * 20 and kab.voted == 7 + 4 + 5 + 3


def test_the_same_bundle_twice_is_one_submission_with_the_same_receipt(recap, evening):
    day = evening["days"]["suk1"]
    first = recap.submit_bundle(day.bundle, source="upload")
    again = recap.submit_bundle(day.bundle, source="folder")
    assert first.accepted and again.duplicate and again.submission.id == first.submission.id
    assert again.receipt.index == first.receipt.index
    assert len(recap.submissions()) == 1 and len(recap.store.leaf_entries()) == 1
    assert place(recap, day).result.total == 7


def test_a_qr_photo_counts_provisionally_until_the_bundle_verifies_it(recap, evening):
    day = evening["days"]["sid1"]
    outcome = recap.submit_statement(day.statement, source="text")
    assert outcome.accepted
    assert place(recap, day).state == "provisional"
    kab = recap.totals().areas[0]
    sid = next(a for kec in kab.children for a in kec.children if a.name == "Sidoharjo")
    assert sid.tally["1"] == 2 and sid.verified_tally["1"] == 0 and kab.verified_valid == 0
    recap.submit_bundle(day.bundle)
    p = place(recap, day)
    assert p.state == "verified" and len(p.results) == 1, "the QR and the bundle carry the same signed result"
    assert p.result.ballots == 5


def test_every_refusal_has_its_reason_and_changes_no_total(recap, evening):
    days = evening["days"]
    cases = {
        "tampered": (tampered(days["suk1"].bundle), "invalid"),
        "foreign": (days["foreign"].bundle, "unknown_device"),
        "wrong": (days["wrong"].bundle, "other_election"),
        "not a zip": (b"PK\x03\x04 this is not really a zip", "not_a_bundle"),
        "a photo": (b"\xff\xd8\xff\xe0 jpeg", "not_a_bundle"),
    }
    for name, (data, code) in cases.items():
        outcome = recap.submit_bundle(data, filename=name)
        assert outcome.refused, name
        assert outcome.submission.reason_code == code, (name, outcome.submission.reason_en)
        assert outcome.submission.reason_id and outcome.submission.reason_en
        assert outcome.receipt is None
    assert "signature" in recap.submission(1).reason_en
    assert recap.store.leaf_entries() == [], "no receipt for anything refused"
    assert recap.totals().areas[0].valid == 0
    assert place(recap, days["sid2"]).state == "missing", "a bundle's claim is not news of that place"
    assert place(recap, days["foreign"]).state == "refused", "the place sees its registered device's refusal"


def test_a_statement_signed_by_another_key_or_altered_is_refused(recap, evening):
    day = evening["days"]["suk1"]
    altered = day.statement.replace("total 7", "total 8")
    assert recap.submit_statement(altered).submission.reason_code == "statement_invalid"
    assert recap.submit_statement(evening["days"]["foreign"].statement).submission.reason_code == "unknown_device"
    assert recap.submit_statement("halo panitia").submission.reason_code == "not_a_statement"
    assert place(recap, day).state == "missing"


def test_two_signed_results_for_one_tps_are_a_conflict_never_summed(recap, evening):
    days = evening["days"]
    recap.submit_bundle(days["suk2"].bundle)
    recap.submit_bundle(days["suk2b"].bundle)
    p = place(recap, days["suk2"])
    assert p.state == "conflict" and p.result is None and len(p.results) == 2
    sukamaju = next(a for kec in recap.totals().areas[0].children for a in kec.children if a.name == "Sukamaju")
    assert sukamaju.valid == 0 and sukamaju.states == {"conflict": 1, "missing": 1}
    assert [c.election_id for c in recap.conflicts()] == [p.election_id]
    with pytest.raises(RecapError):
        recap.resolve(p.election_id, p.results[0].statement_sha256, by="ketua", reason=" ")
    chosen = next(r for r in p.results if r.total == 4)
    resolved = recap.resolve(
        p.election_id,
        chosen.statement_sha256,
        by="Hj. Siti (ketua)",
        reason="Perangkat pertama rusak pukul 10.12, diganti; berita acara no. 7",
    )
    assert resolved.state == "verified" and resolved.result.total == 4
    assert resolved.resolution.by == "Hj. Siti (ketua)"
    entries = recap.store.leaf_entries()
    assert entries[-1].startswith(b"booth recap resolution v1\n")
    assert next(a for kec in recap.totals().areas[0].children for a in kec.children if a.name == "Sukamaju").valid == 4


def test_receipts_verify_with_the_checkpoint_code_and_fail_when_touched(recap, evening):
    days = evening["days"]
    receipts = [recap.submit_bundle(days[k].bundle).receipt for k in ("suk1", "suk2", "sid1")]
    key = recap.verifier_key()
    for i, receipt in enumerate(receipts):
        fields = check_receipt(receipt.to_json(), key)
        assert fields["index"] == i and fields["kind"] == "bundle"
    # the latest checkpoint covers every receipt; each older receipt's own checkpoint still proves it
    latest = recap.receipt(1)
    cp = note.open_checkpoint(latest.checkpoint, *note.parse_verifier_key(key))
    assert cp.size == 3
    leaves = [merkle.leaf_hash(e) for e in recap.store.leaf_entries()]
    assert merkle.root(leaves) == cp.root_hash
    bad = receipts[0].to_json()
    bad["note"] = bad["note"].replace("total 7", "total 9")
    with pytest.raises(ReceiptError):
        check_receipt(bad, key)
    other = open_recap(evening["root"] / "other-recap", workers=0)
    with pytest.raises(ReceiptError):
        check_receipt(receipts[0].to_json(), other.verifier_key())
    other.close()


def test_the_registry_refuses_bad_entries_and_a_device_registered_elsewhere(recap, evening):
    days = evening["days"]
    moved = dict(days["suk2"].registration, verifier_key=days["suk1"].verifier_key)
    with pytest.raises(RecapError) as err:
        recap.import_registry(json.dumps({"format": "booth-recap-registry-v1", "devices": [moved]}).encode(), by="x")
    assert err.value.code == "registered_elsewhere"
    for broken in (
        {"tps": "1"},
        {"election_id": "xyz"},
        {"verifier_key": "booth/0000+00000000+AAAA"},
        {"candidates": []},
        {"extra": 1},
    ):
        entry = dict(days["foreign"].registration, **broken)
        with pytest.raises(RecapError):
            recap.import_registry(
                json.dumps({"format": "booth-recap-registry-v1", "devices": [entry]}).encode(), by="x"
            )
    with pytest.raises(RecapError):
        recap.import_registry(b"{not json", by="x")
    assert len(recap.registrations()) == 6, "nothing changed"


def test_a_device_is_registered_from_its_election_package(evening, tmp_path):
    day = evening["days"]["foreign"]
    r = open_recap(tmp_path / "r", workers=0)
    reg = r.register_device(day.verifier_key, day.package_dir, by="ketua")
    assert (reg.pekon, reg.tps, reg.dpt) == ("Banjarejo", 1, 20)
    assert r.submit_bundle(day.bundle).accepted
    r.close()


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: _zip({f"extra/f{i}.txt": b"x" for i in range(100)}), "members"),
        (lambda: _zip({"../../etc/passwd": b"x"}), "unexpected member"),
        (lambda: _zip({"bundle.json": b"{}", "events.jsonl": b"\0" * (20 * 2**20)}), "zip bomb"),
        (lambda: _zip({"bundle.json": b"{}"}), "lacks"),
    ],
)
def test_hostile_zips_are_refused_before_reading(recap, make, words):
    outcome = recap.submit_bundle(make(), source="upload", filename="evil.zip")
    assert outcome.refused and outcome.submission.reason_code == "unsafe_bundle"
    assert words in outcome.submission.reason_en
    assert recap.totals().areas[0].valid == 0


def _zip(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def test_progress_by_hour_against_the_committees_targets(evening, tmp_path):
    clock = Clock(dt.datetime(2025, 11, 16, 8, 10, tzinfo=dt.UTC))  # 15:10 WIB
    r = open_recap(tmp_path / "r", workers=0, clock=clock)
    r.import_registry(evening["registry"], by="ketua")
    r.set_targets([Target("16:00", 0.5), Target("24:00", 1.0)], by="ketua")
    days = evening["days"]
    r.submit_bundle(days["suk1"].bundle)
    clock.when = dt.datetime(2025, 11, 16, 8, 40, tzinfo=dt.UTC)  # 15:40 WIB
    r.submit_statement(days["sid1"].statement)
    clock.when = dt.datetime(2025, 11, 16, 10, 5, tzinfo=dt.UTC)  # 17:05 WIB
    r.submit_bundle(days["sid2"].bundle)
    progress = r.progress()
    assert progress.places == 5 and progress.counted == 3 and progress.verified == 2
    hours = {p.hour: p.counted for p in progress.points}
    assert hours["14:00"] == 0 and hours["15:00"] == 2 and hours["16:00"] == 2 and hours["17:00"] == 3
    (t16, met16), (t24, met24) = progress.targets
    assert met16 is False, "2 of 5 by 16:00 is under 50%"
    assert met24 is None, "not due yet"
    with pytest.raises(RecapError):
        r.set_targets([Target("25:00", 0.5)], by="x")
    r.close()


def test_a_place_counted_by_its_qr_is_verified_only_from_the_hour_its_bundle_came(evening, tmp_path):
    clock = Clock(dt.datetime(2025, 11, 16, 7, 20, tzinfo=dt.UTC))  # 14:20 WIB: the photo of the QR
    r = open_recap(tmp_path / "r", workers=0, clock=clock)
    r.import_registry(evening["registry"], by="ketua")
    day = evening["days"]["suk1"]
    r.submit_statement(day.statement)
    clock.when = dt.datetime(2025, 11, 16, 10, 30, tzinfo=dt.UTC)  # 17:30 WIB: the USB stick
    r.submit_bundle(day.bundle)
    points = {p.hour: (p.counted, p.verified) for p in r.progress().points}
    assert points["14:00"] == (1, 0) and points["16:00"] == (1, 0), "counted from its QR, not yet verified"
    assert points["17:00"] == (1, 1)
    r.close()


def test_verification_runs_in_worker_processes_and_a_restart_resumes_queued_work(evening, tmp_path):
    days = evening["days"]
    r = open_recap(tmp_path / "r", workers=2)
    r.import_registry(evening["registry"], by="ketua")
    outcomes = r.submit_bundles([(days[k].bundle, k) for k in ("suk1", "suk2", "sid1", "sid2")], source="cli")
    assert all(o.accepted for o in outcomes)
    # a bundle queued by a process that then died before verifying it
    queued = r.store.new_submission(
        r.submissions()[0].__class__(
            id=0,
            sha256="f" * 64,
            kind="bundle",
            source="upload",
            filename="x",
            received_at="2025-11-16T08:00:00Z",
            received_by="",
            status="queued",
        )
    )[0]
    r.store.put_blob("f" * 64, days["suk2b"].bundle)
    r.close()
    r = open_recap(tmp_path / "r", workers=0)
    assert r.resume() == 1
    assert r.submission(queued.id).status == "accepted"
    assert place(r, days["suk2"]).state == "conflict"
    entries = r.store.leaf_entries()
    assert len(entries) == 5 and len({e for e in entries}) == 5
    r.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(["suk1", "suk2", "sid1", "sid2", "suk2b", "s:suk1", "s:sid2", "t:suk1"]),
    repeats=st.lists(st.integers(0, 7), max_size=4),
)
def test_in_any_order_and_with_repeats_the_recap_log_stays_one_chain(evening, order, repeats):
    days = evening["days"]
    r = open_recap(scratch() / "r", workers=0)
    r.import_registry(evening["registry"], by="ketua")
    items = list(order) + [order[i] for i in repeats]
    broken = evening.setdefault("tampered", tampered(days["suk1"].bundle))  # the same bytes each time
    for item in items:
        if item.startswith("s:"):
            r.submit_statement(days[item[2:]].statement)
        elif item.startswith("t:"):
            r.submit_bundle(broken)
        else:
            r.submit_bundle(days[item].bundle)
    accepted = [s for s in r.submissions() if s.status == "accepted"]
    assert len(r.submissions()) == len(set(order))
    assert sorted(s.receipt_index for s in accepted) == list(range(len(accepted)))
    key = r.verifier_key()
    for s in accepted:
        assert check_receipt(r.receipt(s.id).to_json(), key)["submission"] == s.sha256
    places = {p.registration.place_label: p.state for p in r.places()}
    assert places["TPS 02 Sukamaju"] == "conflict" and places["TPS 01 Sukamaju"] == "verified"
    assert r.totals().areas[0].valid == 7 + 5 + 3
    r.close()


def test_the_public_view_has_counts_and_roots_only(recap, evening):
    day = evening["days"]["sid1"]
    recap.submit_bundle(day.bundle)
    view = recap.public_place(day.registration["election_id"])
    assert view["state"] == "verified" and view["tally"] == day.tally
    assert base64.b64decode(view["log_root"]) and view["log_size"] > 0
    text = json.dumps(view)
    ballots = zipfile.ZipFile(io.BytesIO(day.bundle)).read("ballots.jsonl").decode().splitlines()
    assert all(json.loads(line.split(" ", 1)[1])["id"] not in text for line in ballots), "no ballot ID is public"
    assert recap.public_place("0" * 64) is None


def test_a_data_directory_that_cannot_be_used_is_said_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RecapError) as err:
        open_recap(blocker / "recap", workers=0)
    assert err.value.code == "data_dir"
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "recap.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(RecapError):
        open_recap(damaged, workers=0)


def test_a_recap_key_swapped_under_its_log_is_refused_before_it_signs_anything(evening, tmp_path):
    r = open_recap(tmp_path / "r", workers=0)
    r.import_registry(evening["registry"], by="ketua")
    r.submit_bundle(evening["days"]["suk1"].bundle)
    checkpoint = r.checkpoint()
    r.close()
    (tmp_path / "r" / "recap.key").unlink()
    from booth.recap.receipts import RecapKey

    RecapKey.load_or_create(tmp_path / "r" / "recap.key")  # another machine's key, copied in by mistake
    with pytest.raises(RecapError) as refused:
        open_recap(tmp_path / "r", workers=0)
    assert refused.value.code == "wrong_key" and "recap.key" in refused.value.en
    (tmp_path / "r" / "recap.pub").unlink()
    with pytest.raises(RecapError):
        open_recap(tmp_path / "r", workers=0)
    from booth.recap.store import SqliteStore

    store = SqliteStore(tmp_path / "r" / "recap.sqlite")
    assert store.latest_checkpoint() == checkpoint, "nothing was signed with the wrong key"
    store.close()


def test_the_recaps_log_grows_from_its_kept_edge_and_from_its_leaves_alike(evening, tmp_path):
    """Appending uses the log's kept Merkle frontier; a store without one (written before it was
    kept) rebuilds it from the leaves: either way every checkpoint is the root of all entries."""
    import sqlite3

    r = open_recap(tmp_path / "r", workers=0)
    r.import_registry(evening["registry"], by="ketua")
    days = evening["days"]
    r.submit_bundle(days["suk1"].bundle)
    r.submit_statement(days["sid1"].statement)
    r.close()
    with sqlite3.connect(tmp_path / "r" / "recap.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key = 'log_frontier'")
    r = open_recap(tmp_path / "r", workers=0)
    r.submit_bundle(days["sid2"].bundle)
    r.submit_statement(days["suk2"].statement)
    leaves = [merkle.leaf_hash(e) for e in r.store.leaf_entries()]
    cp = note.Checkpoint.parse(r.checkpoint().split("\n\n", 1)[0] + "\n")
    assert cp.size == len(leaves) and cp.root_hash == merkle.root(leaves)
    for sub in r.submissions():
        if sub.receipt_index is not None:
            check_receipt(r.receipt(sub.id), r.verifier_key())
    r.close()
