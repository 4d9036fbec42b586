"""A voter added to the DPTb on the day: their NIK, name, birth date and address stay on the device, sealed.

The event log (and so the bundle the district receives) names only the DPTb
reference, the sex (the L/P counts of the KPU forms), the reason and the digest
of the sealed record; the details are sealed in the photo vault like a photo,
opened by a companion's PIN for the day's search and by the committee's key
after the day.  Logs written before this change still load and verify.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from booth.errors import NotAllowed
from booth.ledger.vault import PhotoVault, open_with_committee_key
from booth.ledger.verify import open_source, verify
from service_day import KETUA, PINS, TEKNISI, cloned_booth, closes_at, demo_package, vote

NEWCOMER = {
    "nik": "1810054407950003",
    "name": "SITI AMINAH",
    "sex": "P",
    "birth_date": "1995-07-04",
    "address": "Dusun Karanganyar",
    "rt": "004",
    "rw": "003",
}
REASON = "pindah domisili / moved here"
PERSONAL = ("nik", "name", "birth_date", "address", "rt", "rw")


def add_newcomer(booth, token=None, **override):
    token = token or booth.sign_in()
    return booth.svc.add_dptb(token, **{**NEWCOMER, **override}, reason=REASON)


def dptb_events(svc) -> list:
    return [e for e in svc.ledger.entries() if e.type == "voter.dptb_added"]


def finish_day(booth, out: Path) -> Path:
    """Close, count, print the results, export the bundle."""
    booth.clock.set(closes_at() + dt.timedelta(minutes=1))
    token = booth.sign_in()
    booth.svc.close_polls(token)
    booth.svc.count(token)
    booth.svc.results_printed(token)
    return Path(booth.svc.export(token, str(out)))


def test_the_log_names_the_reference_and_reason_never_the_person(tmp_path):
    booth = cloned_booth(tmp_path / "state")
    row = add_newcomer(booth)
    assert row["ref"] == "DPTB-0001" and row["name"] == "SITI AMINAH" and row["nik"] == NEWCOMER["nik"]
    (event,) = dptb_events(booth.svc)
    assert set(event.payload) == {"voter", "sex", "reason", "sealed"}
    assert event.payload["voter"] == "DPTB-0001" and event.payload["reason"] == REASON
    assert event.payload["sex"] == "P"  # the DPTb L/P count of the results report
    raw_log = b"".join(e for (e,) in booth.svc.ledger.connection.execute("SELECT entry FROM events"))
    for value in ("1810054407950003", "SITI AMINAH", "1995-07-04", "Karanganyar"):
        assert value.encode() not in raw_log
    # the vault holds the details only sealed
    vault_bytes = b"".join(p.read_bytes() for p in (tmp_path / "state").glob("vault.db*"))
    assert b"1810054407950003" not in vault_bytes and b"SITI AMINAH" not in vault_bytes


def test_the_companion_finds_the_newcomer_by_nik_and_name_after_a_restart(tmp_path):
    booth = cloned_booth(tmp_path / "state")
    add_newcomer(booth)
    booth.restart()
    token = booth.sign_in(TEKNISI)  # a PIN that unlocks the vault opens the sealed details
    by_nik = booth.svc.search_voters(token, NEWCOMER["nik"])
    assert [r["ref"] for r in by_nik][:1] == ["DPTB-0001"]
    assert by_nik[0]["name"] == "SITI AMINAH" and by_nik[0]["address"] == "Dusun Karanganyar"
    assert "DPTB-0001" in [r["ref"] for r in booth.svc.search_voters(token, "siti aminah")]
    # ... and the same NIK is not added twice, even after the restart
    with pytest.raises(NotAllowed) as twice:
        add_newcomer(booth)  # the ketua adds to the DPTb
    assert "DPTB-0001" in twice.value.message_id
    vote(booth.svc, "DPTB-0001", "2", token=token)
    assert booth.svc.counts()["dptb"] == 1 and booth.svc.counts()["voted"] == 1


def test_a_companion_whose_pin_cannot_open_the_vault_is_told_why_not_shown_a_stranger(tmp_path):
    booth = cloned_booth(tmp_path / "state")
    add_newcomer(booth)
    booth.restart()
    # the vault lost this companion's wrap (a damaged file, say): the details stay sealed
    booth.svc._vault._db.execute("DELETE FROM companion_wraps WHERE companion_id = ?", (KETUA,))
    token = booth.sign_in(KETUA)
    with pytest.raises(NotAllowed) as locked:
        booth.svc.check_in(token, "DPTB-0001")
    assert "terkunci" in locked.value.message_id and "locked" in locked.value.message_en
    with pytest.raises(NotAllowed):  # a second add could not see a repeated NIK: refused, nothing logged
        add_newcomer(booth, token, nik="1810051203880002", name="BUDI SANTOSO", sex="L", birth_date="1988-03-12")
    assert len(dptb_events(booth.svc)) == 1
    other = booth.sign_in(TEKNISI)
    assert booth.svc.check_in(other, "DPTB-0001")["name"] == "SITI AMINAH"


def test_the_committee_reads_the_dptb_details_with_its_key_and_they_match_the_log(tmp_path):
    booth = cloned_booth(tmp_path / "state")
    add_newcomer(booth)
    (event,) = dptb_events(booth.svc)
    booth.close()
    _, committee, _ = demo_package()
    vault, secret = open_with_committee_key(tmp_path / "state" / "vault.db", committee.seal_private)
    with vault:
        details = json.loads(vault.read_dptb_record("DPTB-0001", secret, event.payload["sealed"]))
    assert details == {k: NEWCOMER[k] for k in PERSONAL}


def test_a_sealed_record_swapped_for_another_is_refused(tmp_path):
    booth = cloned_booth(tmp_path / "state")
    add_newcomer(booth)
    second = add_newcomer(booth, nik="1810051203880002", name="BUDI SANTOSO", sex="L", birth_date="1988-03-12")
    assert second["ref"] == "DPTB-0002"
    with PhotoVault.open(tmp_path / "state" / "vault.db") as vault:  # someone with the file, not the PIN
        vault._db.execute(
            "UPDATE dptb_records SET (ephemeral_public_key, nonce, ciphertext) = (SELECT ephemeral_public_key, nonce,"
            " ciphertext FROM dptb_records WHERE voter_ref = 'DPTB-0002') WHERE voter_ref = 'DPTB-0001'"
        )
    booth.restart()
    token = booth.sign_in()
    assert booth.svc.check_in(token, "DPTB-0002")["name"] == "BUDI SANTOSO"
    with pytest.raises(NotAllowed):  # DPTB-0001's record now fails its digest and its sealing: never BUDI
        booth.svc.check_in(token, "DPTB-0001")


def test_the_bundle_carries_no_personal_data_and_booth_verify_accepts_it(tmp_path):
    booth = cloned_booth(tmp_path / "state")
    add_newcomer(booth)
    vote(booth.svc, "DPTB-0001", "1")
    vote(booth.svc, "DPT-0001", "2")
    bundle = finish_day(booth, tmp_path / "results.zip")
    assert verify(open_source(bundle)).ok
    voters = list(booth.package.voters)
    with zipfile.ZipFile(bundle) as z:
        members = {name: z.read(name).decode("utf-8") for name in z.namelist()}
    assert "voter.dptb_added" in members["events.jsonl"]
    for name, text in members.items():
        for value in [NEWCOMER["nik"], NEWCOMER["name"], NEWCOMER["address"]] + [
            v for voter in voters[:20] for v in (voter.nik, voter.name)
        ]:
            assert value not in text, f"{value} in {name}"


def test_a_log_written_before_the_details_were_sealed_still_loads_and_verifies(tmp_path):
    """Old ledgers carry the details in clear in ``voter.dptb_added``: nothing about them changes."""
    booth = cloned_booth(tmp_path / "state")
    token = booth.sign_in()
    old_payload = {"voter": "DPTB-0001", **NEWCOMER, "reason": REASON}
    booth.svc._append("voter.dptb_added", KETUA, old_payload)  # exactly what earlier versions wrote
    booth.restart()
    token = booth.sign_in()
    assert booth.svc.search_voters(token, NEWCOMER["nik"])[0]["ref"] == "DPTB-0001"
    vote(booth.svc, "DPTB-0001", "3", token=token)
    assert (
        add_newcomer(booth, token, nik="1810051203880002", name="BUDI SANTOSO", sex="L", birth_date="1988-03-12")["ref"]
        == "DPTB-0002"
    )
    bundle = finish_day(booth, tmp_path / "results.zip")
    report = verify(open_source(bundle))
    assert report.ok, report.problems
    assert booth.svc.verify_ledger(booth.sign_in())["valid"]


def test_the_pin_of_every_companion_opens_the_details(tmp_path):
    booth = cloned_booth(tmp_path / "state")
    add_newcomer(booth)
    for companion in PINS:
        if companion in {c.id for c in booth.package.companions}:
            booth.restart()
            token = booth.sign_in(companion)
            assert booth.svc.search_voters(token, NEWCOMER["nik"])[0]["ref"] == "DPTB-0001"
            booth.svc.sign_out(token)
