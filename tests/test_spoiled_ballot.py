"""The disputed slip: the voter says "Struk tidak sesuai", a companion spoils that ballot, the voter votes again.

Issue #11 item 1.  What a person checks: the spoiled ballot is still in the
store (signed, marked spoiled) but not in the tally; the counts reconcile
(ballots cast - spoiled = voters who voted); ``booth verify`` of the device and
of the bundle agree; the log says *a* ballot was spoiled (running count),
never which; a third dispute is escalated, not spoiled; a crash between the
spoil and the new vote resumes with the same release; a spoiled ballot made
valid again (or the reverse) is caught.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import shutil
import sqlite3
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from booth.errors import BoothError
from booth.ledger.verify import open_source, verify
from service_day import JPEG, KETUA, TEKNISI, Booth, closes_at, events, ready_to_vote, vote


def _revote_wait(booth: Booth) -> None:
    booth.clock.advance(booth.svc.settings.min_cast_interval)


def dispute_and_spoil(booth: Booth, voter: str, first: str, *, companion: str = TEKNISI) -> tuple[str, dict]:
    """A voter casts ``first``, disputes the slip, and a companion spoils it; returns (release, void data)."""
    svc = booth.svc
    _revote_wait(booth)
    token = booth.sign_in(KETUA)
    svc.check_in(token, voter)
    release = svc.release_ballot(token, voter)["release"]
    svc.cast(release, first)
    svc.slip_printed(release)
    assert svc.voter_screen() == {"screen": "slip_check", "release": release}
    svc.slip_disputed(release)
    assert svc.voter_screen()["screen"] == "disputed"
    void = svc.spoil_ballot(booth.sign_in(companion), release)
    return release, void


def finish(booth: Booth, release: str, choice: str) -> None:
    """The voter votes again in the same release and this time confirms the slip."""
    svc = booth.svc
    _revote_wait(booth)
    assert svc.voter_screen()["screen"] == "ballot" and svc.voter_screen()["release"] == release
    svc.cast(release, choice)
    svc.slip_printed(release)
    svc.slip_confirmed(release)
    svc.store_photo(release, JPEG)


def close_and_count(booth: Booth) -> dict:
    booth.clock.set(closes_at() + dt.timedelta(minutes=1))
    token = booth.sign_in(KETUA)
    booth.svc.close_polls(token)
    return booth.svc.count(token)


@pytest.fixture
def disputed_day(tmp_path) -> tuple[Booth, dict]:
    """Three voters: one votes 1, one disputes a slip for 2 and re-votes 3, one votes 2."""
    booth = ready_to_vote(tmp_path / "state")
    vote(booth.svc, "DPT-0001", "1")
    release, void = dispute_and_spoil(booth, "DPT-0002", "2")
    finish(booth, release, "3")
    vote(booth.svc, "DPT-0003", "2")
    results = close_and_count(booth)
    token = booth.sign_in(KETUA)
    booth.svc.results_printed(token)
    bundle = tmp_path / "hasil.zip"
    booth.svc.export(token, str(bundle))
    yield booth, {"void": void, "results": results, "bundle": bundle, "release": release}
    booth.close()


def test_a_voter_disputes_the_slip_the_companion_spoils_it_and_the_voter_votes_again(disputed_day):
    booth, day = disputed_day
    svc = booth.svc
    # the VOID print names the spoiled ballot, and only it: no choice on it
    void = day["void"]
    assert len(void["ballot_id"]) == 32 and "selection" not in void and void["spoiled"] == 1
    assert void["spoils_left"] == 1
    # the tally counts the new vote, not the spoiled one
    assert day["results"]["tally"] == {"1": 1, "2": 1, "3": 1}
    counts = svc.counts()
    assert counts["ballots_cast"] == 4 and counts["ballots_stored"] == 4
    assert counts["spoiled"] == counts["spoiled_stored"] == 1 and counts["voted"] == 3
    rec = day["results"]["reconciliation"]
    assert rec["balanced"], rec
    # the spoiled ballot is kept in the store, signed and marked
    assert svc.ledger.ballots_spoiled == 1
    assert Counter(svc.ledger.tally()) == Counter({"1": 1, "2": 1, "3": 1})


def test_the_device_and_its_bundle_verify_and_agree_on_the_spoiled_ballot(disputed_day):
    booth, day = disputed_day
    booth.svc.close()
    for source in (booth.state_dir, day["bundle"]):
        report = verify(open_source(source))
        assert report.ok, report.problems
        s = report.summary
        assert s["ballots_stored"] == 4 and s["ballots_spoiled"] == 1 and s["ballots_valid"] == 3
        assert s["tally"] == {"1": 1, "2": 1, "3": 1}
        assert s["ballot_spoiled_events"] == 1
    with zipfile.ZipFile(day["bundle"]) as z:
        lines = z.read("spoiled.jsonl").decode().splitlines()
    assert len(lines) == 1 and len(lines[0].split(" ")[1]) == 32
    booth.svc = booth.svc.open(booth.state_dir, clock=booth.clock, settings=booth.settings)


def test_the_log_says_a_ballot_was_spoiled_never_which(disputed_day):
    booth, day = disputed_day
    spoiled = [e for e in events(booth.svc) if e.type == "ballot.spoiled"]
    assert len(spoiled) == 1
    assert spoiled[0].payload == {"count": 1, "release": day["release"], "spoil": 1}
    ballot_id = day["void"]["ballot_id"]
    for e in events(booth.svc):
        assert ballot_id not in e.raw.decode() and ballot_id.upper() not in e.raw.decode()
    # the pending-slip link is gone: nothing on the device still says which ballot was this voter's
    assert booth.svc.ledger.pending_slip() is None


def test_the_disputed_choice_is_forgotten_so_the_spoiled_record_tells_nothing_of_the_voter(disputed_day):
    """The log says which release had a ballot spoiled; the spoiled record must not say what it held."""
    booth, day = disputed_day
    spoiled_hex = day["void"]["ballot_id"]
    records = {bid.hex(): json.loads(rec) for bid, rec, _ in booth.svc.ledger.ballot_records()}
    assert records[spoiled_hex]["selection"] == "spoiled"
    assert sorted(r["selection"] for r in records.values()) == ["1", "2", "3", "spoiled"]
    booth.svc.close()
    disputed = f'"id":"{spoiled_hex}","selection":"2"'.encode()
    for path in (p for p in booth.state_dir.rglob("*") if p.is_file()):
        assert disputed not in path.read_bytes(), f"the disputed choice is still in {path.name}"
    with zipfile.ZipFile(day["bundle"]) as z:
        for name in z.namelist():
            assert disputed not in z.read(name), name
        line = next(x for x in z.read("ballots.jsonl").decode().splitlines() if spoiled_hex in x)
        assert json.loads(line.split(" ", 1)[1])["selection"] == "spoiled"
    booth.svc = booth.svc.open(booth.state_dir, clock=booth.clock, settings=booth.settings)


def test_a_third_dispute_is_escalated_and_the_ballot_stands(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    svc = booth.svc
    release, _ = dispute_and_spoil(booth, "DPT-0005", "1")
    _revote_wait(booth)
    svc.cast(release, "1")
    svc.slip_printed(release)
    svc.slip_disputed(release)
    second = svc.spoil_ballot(booth.sign_in(TEKNISI), release)
    assert second["spoils"] == 2 and second["spoils_left"] == 0
    _revote_wait(booth)
    svc.cast(release, "1")
    svc.slip_printed(release)
    svc.slip_disputed(release)
    assert svc.voter_screen()["can_spoil"] is False
    token = booth.sign_in(TEKNISI)
    with pytest.raises(BoothError) as refused:
        svc.spoil_ballot(token, release)
    assert "panitia" in refused.value.message_id
    with pytest.raises(BoothError):
        svc.escalate_dispute(token, release, "")  # a note is required
    svc.escalate_dispute(token, release, "Pemilih tetap menyanggah; dicatat untuk panitia")
    assert svc.voter_screen()["screen"] == "photo"
    svc.store_photo(release, JPEG)
    counts = svc.counts()
    assert counts["spoiled"] == 2 and counts["escalations"] == 1 and counts["voted"] == 1
    assert Counter(svc.ledger.tally()) == Counter({"1": 1})
    assert svc.ledger.pending_slip() is None
    booth.close()


def test_spoiling_needs_a_dispute_and_a_companion(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    svc = booth.svc
    token = booth.sign_in(KETUA)
    svc.check_in(token, "DPT-0007")
    release = svc.release_ballot(token, "DPT-0007")["release"]
    svc.cast(release, "2")
    svc.slip_printed(release)
    before = svc.ledger.size
    with pytest.raises(BoothError):
        svc.spoil_ballot(token, release)  # the voter has not disputed
    with pytest.raises(BoothError):
        svc.spoil_ballot("not-a-token", release)
    assert svc.ledger.size == before and svc.ledger.ballots_spoiled == 0
    svc.slip_confirmed(release)
    with pytest.raises(BoothError):
        svc.slip_disputed(release)  # answered already
    booth.close()


def test_a_crash_between_the_spoil_and_the_new_vote_resumes_with_the_same_release(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    release, _ = dispute_and_spoil(booth, "DPT-0009", "3")
    svc = booth.restart(crash=True)
    assert svc.voter_screen() == {"screen": "ballot", "release": release, "spoils": 1}
    finish(booth, release, "1")
    counts = svc.counts()
    assert counts["voted"] == 1 and counts["ballots_cast"] == 2 and counts["spoiled"] == 1
    assert Counter(svc.ledger.tally()) == Counter({"1": 1})
    booth.close()
    assert verify(open_source(booth.state_dir)).ok


def test_a_crash_while_the_voter_checks_the_slip_keeps_the_link_for_the_answer(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    svc = booth.svc
    token = booth.sign_in(KETUA)
    svc.check_in(token, "DPT-0011")
    release = svc.release_ballot(token, "DPT-0011")["release"]
    svc.cast(release, "2")
    svc.slip_printed(release)
    svc = booth.restart(crash=True)
    assert svc.voter_screen() == {"screen": "slip_check", "release": release}
    svc.slip_disputed(release)
    svc.spoil_ballot(booth.sign_in(TEKNISI), release)
    assert svc.ledger.ballots_spoiled == 1
    booth.close()


# ------------------------------------------------------------------ tampering
def _tampered_copy(state: Path, tmp: Path, name: str, *sql: tuple) -> Path:
    target = tmp / name
    shutil.copytree(state, target)
    conn = sqlite3.connect(target / "ledger.db", isolation_level=None)
    for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {trigger}")
    for statement, params in sql:
        conn.execute(statement, params)
    conn.close()
    return target


def test_a_spoiled_ballot_made_valid_again_or_a_valid_one_spoiled_is_detected(disputed_day, tmp_path):
    booth, day = disputed_day
    booth.svc.close()
    state = booth.state_dir
    conn = sqlite3.connect(f"file:{state / 'ledger.db'}?mode=ro", uri=True)
    blank = bytes(64)
    spoiled_id, mark = conn.execute("SELECT id, spoil FROM ballots WHERE spoil != ?", (blank,)).fetchone()
    valid_id = conn.execute("SELECT id FROM ballots WHERE filled=1 AND spoil = ?", (blank,)).fetchone()[0]
    conn.close()
    cases = {
        "unspoiled": [("UPDATE ballots SET spoil=? WHERE id=?", (blank, spoiled_id))],
        "spoiled_another": [("UPDATE ballots SET spoil=? WHERE id=?", (mark, valid_id))],
        "moved_mark": [
            ("UPDATE ballots SET spoil=? WHERE id=?", (blank, spoiled_id)),
            ("UPDATE ballots SET spoil=? WHERE id=?", (mark, valid_id)),
        ],
    }
    for name, sql in cases.items():
        report = verify(open_source(_tampered_copy(state, tmp_path, name, *sql)))
        assert not report.ok, name
    # the same in the bundle: drop the spoiled list, or move its mark to another ballot
    bundle = day["bundle"]
    with zipfile.ZipFile(bundle) as z:
        members = {n: z.read(n) for n in z.namelist()}
        valid_hex = next(
            line.split(b" ", 1)[1]
            for line in members["ballots.jsonl"].splitlines()
            if spoiled_id.hex().encode() not in line
        )
    valid_hex = json.loads(valid_hex)["id"].encode()
    variants = {
        "no_spoiled_list": {k: v for k, v in members.items() if k != "spoiled.jsonl"},
        "mark_on_another": {
            **members,
            "spoiled.jsonl": base64.b64encode(mark) + b" " + valid_hex + b"\n",
        },
    }
    for name, content in variants.items():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for member, data in content.items():
                z.writestr(member, data)
        path = tmp_path / f"{name}.zip"
        path.write_bytes(buf.getvalue())
        report = verify(open_source(path))
        assert not report.ok, name
    booth.svc = booth.svc.open(state, clock=booth.clock, settings=booth.settings)


def _occurrences(data: bytes, ids: list[bytes]) -> dict[bytes, set[int]]:
    found: dict[bytes, set[int]] = {}
    for bid in ids:
        spots, at = set(), data.find(bid)
        while at >= 0:
            spots.add(at)
            at = data.find(bid, at + 1)
        found[bid] = spots
    return found


def _settled(state_dir: Path, copy: Path) -> bytes:
    """The database file as it will lie once the WAL is folded in (the last cast may still be in the WAL)."""
    copy.mkdir()
    for name in ("ledger.db", "ledger.db-wal"):
        if (state_dir / name).exists():
            shutil.copyfile(state_dir / name, copy / name)
    conn = sqlite3.connect(copy / "ledger.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return (copy / "ledger.db").read_bytes()


def test_the_spoil_mark_is_written_in_place_so_the_store_keeps_no_order(tmp_path):
    """Secrecy: spoiling rewrites the ballot's own cell; no byte of the file moves but that slot's."""
    booth = ready_to_vote(tmp_path / "state")
    svc = booth.svc
    for i in range(1, 6):
        vote(svc, f"DPT-{i:04d}", "123"[i % 3])
    _revote_wait(booth)
    token = booth.sign_in(KETUA)
    svc.check_in(token, "DPT-0020")
    release = svc.release_ballot(token, "DPT-0020")["release"]
    svc.cast(release, "1")
    svc.slip_printed(release)
    svc.slip_disputed(release)
    db = booth.state_dir / "ledger.db"
    conn = svc.ledger.connection
    ids = [r[0] for r in conn.execute("SELECT id FROM ballots")]
    before = _occurrences(_settled(booth.state_dir, tmp_path / "settled"), ids)
    void = svc.spoil_ballot(booth.sign_in(TEKNISI), release)
    assert not (booth.state_dir / "ledger.db-wal").stat().st_size, "the spoil is folded in before it returns"
    after = _occurrences(db.read_bytes(), ids)
    spoiled = bytes.fromhex(void["ballot_id"])
    for bid in ids:
        assert after[bid] <= before[bid], "a ballot moved in the file when one was spoiled"
        assert after[bid], "every slot is still where it was"
    assert after == {**before, spoiled: after[spoiled]}
    # the only copy gone is the pending-slip link, erased (and zeroed) with the spoil
    assert len(after[spoiled]) == len(before[spoiled]) - 1
    booth.close()


# ------------------------------------------------------------------ the evening
def test_the_recap_counts_the_spoiled_ballot_apart_and_the_bundle_verifies(tmp_path):
    """The district receives a bundle with a spoiled ballot: accepted, its valid votes summed, spoiled apart."""
    from booth.election_package import load_package
    from booth.recap.registry import registration_from_package
    from booth.recap.start import open_recap
    from recap_days import registry_bytes, tps_package
    from service_day import open_polls, print_zero_report, provision, walk_custody

    pkg_dir = tps_package(tmp_path, pekon="Sukamaju", tps=3, seed=7)
    booth = provision(tmp_path / "state", package_dir=pkg_dir)
    walk_custody(booth)
    print_zero_report(booth)
    open_polls(booth)
    voters = booth.svc.package.voters
    vote(booth.svc, voters[0].ref, "1")
    release, _ = dispute_and_spoil(booth, voters[1].ref, "3")
    finish(booth, release, "2")
    vote(booth.svc, voters[2].ref, "2")
    results = close_and_count(booth)
    token = booth.sign_in(KETUA)
    booth.svc.results_printed(token)
    bundle = tmp_path / "hasil.zip"
    booth.svc.export(token, str(bundle))
    vkey = booth.svc.ledger.key.verifier_key()
    booth.close()

    class Day:
        registration = registration_from_package(load_package(pkg_dir), vkey)

    recap = open_recap(tmp_path / "recap", workers=0)
    try:
        recap.import_registry(registry_bytes([Day]), by="ketua")  # type: ignore[list-item]
        outcome = recap.submit_bundle(bundle.read_bytes(), source="upload", filename="hasil.zip", by="budi")
        assert outcome.accepted, outcome.submission.reason_en
        [kab] = recap.totals().areas
        [kec] = kab.children
        [pekon] = kec.children
        assert pekon.tally == {"1": 1, "2": 2, "3": 0} == results["tally"]
        assert pekon.valid == kab.valid == 3 and pekon.voted == 3
        assert pekon.spoiled == kec.spoiled == kab.spoiled == 1
        # the auditor's cast vote records: one per vote, none for the spoiled ballot
        from booth.recap import nist

        out = tmp_path / "exports"
        recap.export(out)
        cvrs = json.loads((out / nist.CVR_NAME).read_text())["CVR"]
        spoiled = [json.loads(line.split(" ", 1)[1])["id"] for line in _bundle_lines(bundle, "ballots.jsonl")]
        spoiled = [i for i in spoiled if i in {x.split(" ")[1] for x in _bundle_lines(bundle, "spoiled.jsonl")}]
        assert len(cvrs) == 3 and len(spoiled) == 1
        assert spoiled[0] not in {c["BallotAuditId"] for c in cvrs}
    finally:
        recap.close()


def _bundle_lines(bundle: Path, member: str) -> list[str]:
    with zipfile.ZipFile(bundle) as z:
        return z.read(member).decode().splitlines()


def test_the_new_ballot_after_a_spoil_gets_the_full_time_before_it_expires(tmp_path):
    booth = ready_to_vote(tmp_path / "state")
    svc = booth.svc
    token = booth.sign_in(KETUA)
    svc.check_in(token, "DPT-0013")
    release = svc.release_ballot(token, "DPT-0013")["release"]
    booth.clock.advance(250)  # the first ballot took a while
    svc.cast(release, "1")
    svc.slip_printed(release)
    svc.slip_disputed(release)
    svc.spoil_ballot(booth.sign_in(TEKNISI), release)
    booth.clock.advance(svc.settings.release_timeout - 60)  # long after the release, not after the spoil
    with pytest.raises(BoothError):
        svc.expire_release(release)
    booth.clock.advance(61)
    svc.expire_release(release)  # the voter left: the release ends, the spoiled ballot stays apart
    counts = svc.counts()
    assert counts["cancelled"] == 1 and counts["spoiled"] == 1 and counts["voted"] == 0
    assert svc.voter_screen() == {"screen": "waiting"}
    booth.close()


def test_a_ledger_written_before_spoiling_existed_still_opens_casts_and_verifies(tmp_path):
    """A device provisioned by the previous software (ballots without the spoil column) keeps working;
    it cannot spoil, and says so."""
    from booth.ledger.clock import FakeClock
    from booth.ledger.ledger import Ledger, LedgerError

    state = tmp_path / "state"
    with Ledger.create(state, clock=FakeClock()) as ledger:
        election = "ab" * 32
        ledger.append("election.loaded", "K01", {"election_id": election})
    # the old schema: rebuild the ballots table with four columns (as booth-ledger-v1 first wrote it)
    conn = sqlite3.connect(state / "ledger.db", isolation_level=None)
    conn.executescript(
        "DROP TRIGGER ballots_fill_once; DROP TRIGGER ballots_never_deleted; DROP TABLE ballots;"
        "CREATE TABLE ballots (id BLOB PRIMARY KEY, filled INTEGER NOT NULL, slot BLOB NOT NULL,"
        " sig BLOB NOT NULL) WITHOUT ROWID;"
    )
    conn.close()
    with Ledger.open(state, clock=FakeClock()) as ledger:
        ledger.add_ballot_slots(5)
        ledger.cast_ballot(election, "1")
        with pytest.raises(LedgerError):
            ledger.spoil_pending("K02")
        ledger.record_slip("slip.printed", "K01")
        assert ledger.tally() == Counter({"1": 1}) and ledger.ballots_spoiled == 0
    report = verify(open_source(state))
    assert report.ok, report.problems
    assert report.summary["ballots_spoiled"] == 0 and report.summary["tally"] == {"1": 1}
