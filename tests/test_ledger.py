"""The ledger on election day: what a companion, the committee and the district rely on."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from booth.ledger import formats, merkle, note
from booth.ledger.clock import FakeClock
from booth.ledger.event_types import EVENT_TYPES
from booth.ledger.ledger import (
    Ledger,
    LedgerError,
    LedgerSealed,
    NoBallotSlots,
    NotDurable,
    UnknownEventType,
    connect,
)
from booth.ledger.verify import DatabaseSource, verify
from ledger_days import ELECTION, voting_day


def test_provisioning_makes_a_private_key_only_the_service_can_read(tmp_path):
    ledger = Ledger.create(tmp_path / "state", clock=FakeClock())
    ledger.close()
    assert stat.S_IMODE((tmp_path / "state" / "device.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state" / "ledger.db").stat().st_mode) == 0o600
    pub = (tmp_path / "state" / "device.pub").read_text()
    name, _ = note.parse_verifier_key(pub.strip())
    assert name == ledger.key.origin


def test_provisioning_twice_never_overwrites_a_device(tmp_path):
    Ledger.create(tmp_path / "state", clock=FakeClock()).close()
    with pytest.raises(LedgerError):
        Ledger.create(tmp_path / "state", clock=FakeClock())


def test_every_event_is_chained_signed_and_checkpointed(tmp_path):
    with Ledger.create(tmp_path / "state", clock=FakeClock()) as ledger:
        ledger.append("custody.received", "K01", {"place": "Kecamatan Pagelaran", "note": "segel utuh"})
        ledger.append("custody.handed_over", "K02", {"place": "Balai Pekon Sukamaju", "note": ""})
        entries = list(ledger.entries())
        assert [e.seq for e in entries] == [0, 1, 2]
        assert entries[1].prev == entries[0].leaf_hash.hex()
        assert entries[2].prev == entries[1].leaf_hash.hex()
        for entry in entries:
            ledger.key.public_key.verify(entry.sig, formats.event_message(entry.raw))
        cp = note.open_checkpoint(ledger.latest_checkpoint(), ledger.key.origin, ledger.key.public_key)
        assert cp.size == 3
        assert cp.root_hash == merkle.root([e.leaf_hash for e in entries])
        # one checkpoint per state change, each consistent with the latest
        first = note.open_checkpoint(ledger.checkpoint(1), ledger.key.origin, ledger.key.public_key)
        proof = ledger.consistency_proof(1)
        assert merkle.verify_consistency(1, 3, first.root_hash, cp.root_hash, proof)
        assert merkle.verify_inclusion(entries[1].leaf_hash, 1, 3, ledger.inclusion_proof(1), cp.root_hash)


def test_sqlite_itself_refuses_to_change_or_delete_history(ledger_day):
    state, _ = ledger_day(3)
    with Ledger.open(state) as ledger:
        conn = ledger.connection
        for sql in [
            "UPDATE events SET type='x' WHERE seq=1",
            "DELETE FROM events WHERE seq=1",
            "UPDATE checkpoints SET note='x'",
            "DELETE FROM checkpoints",
            "UPDATE meta SET value='x'",
            "UPDATE ballots SET slot=zeroblob(192) WHERE filled=1",
            "UPDATE ballots SET filled=0 WHERE filled=1",
            "DELETE FROM ballots",
        ]:
            with pytest.raises(sqlite3.DatabaseError):
                conn.execute(sql)


def test_durability_settings_are_asserted_on_open(tmp_path, monkeypatch):
    conn = connect(tmp_path / "x.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    conn.close()

    real_connect = sqlite3.connect

    class NoWal:
        def __init__(self, *a, **k):
            self._c = real_connect(*a, **k)

        def execute(self, sql, *args):
            if sql.startswith("PRAGMA journal_mode"):
                sql = "PRAGMA journal_mode=DELETE"
            return self._c.execute(sql, *args)

        def close(self):
            self._c.close()

    monkeypatch.setattr(sqlite3, "connect", NoWal)
    with pytest.raises(NotDurable):
        connect(tmp_path / "y.db")


def test_unknown_event_types_are_refused_and_change_nothing(tmp_path):
    with Ledger.create(tmp_path / "state", clock=FakeClock()) as ledger:
        with pytest.raises(UnknownEventType):
            ledger.append("ballot.stuffed", "K01", {})
        with pytest.raises(ValueError):
            ledger.append("custody.received", "K01", {"weight": 1.5})  # floats are not canonical
        assert ledger.size == 1
    assert verify(DatabaseSource(tmp_path / "state")).ok


def test_every_event_type_has_indonesian_and_english_words():
    for t in EVENT_TYPES.values():
        assert t.id_text and t.en_text and t.id_text != t.en_text


def test_a_ballot_record_holds_no_time_no_counter_and_no_voter(ledger_day):
    state, cast = ledger_day(5)
    with Ledger.open(state) as ledger:
        for _ballot_id, record, _ in ledger.ballot_records():
            assert set(__import__("json").loads(record)) == {"election", "id", "selection"}
        # the cast event says that *a* ballot was cast, never which one or for whom
        for entry in ledger.entries():
            if entry.type == "ballot.cast":
                text = entry.raw.decode()
                assert all(bid.hex() not in text for bid, _ in cast)
                assert set(entry.payload) == {"count"}


def test_the_tally_counts_the_ballot_store(ledger_day):
    state, cast = ledger_day(40)
    with Ledger.open(state) as ledger:
        expected = {}
        for _, choice in cast:
            expected[choice] = expected.get(choice, 0) + 1
        assert dict(ledger.tally()) == expected
        assert ledger.ballots_cast == 40


def test_a_cast_needs_a_prepared_empty_slot(tmp_path):
    with Ledger.create(tmp_path / "state", clock=FakeClock()) as ledger:
        ledger.append("election.loaded", "panitia", {"election_id": ELECTION})
        ledger.add_ballot_slots(2)
        ledger.cast_ballot(ELECTION, "1")
        ledger.cast_ballot(ELECTION, "2")
        with pytest.raises(NoBallotSlots):
            ledger.cast_ballot(ELECTION, "3")
        assert ledger.ballots_cast == 2
        with pytest.raises(ValueError):
            ledger.cast_ballot(ELECTION, "Budi")  # not a candidate number
    assert verify(DatabaseSource(tmp_path / "state")).ok


def test_a_slip_not_yet_printed_can_be_reprinted_after_a_restart(tmp_path):
    with Ledger.create(tmp_path / "state", clock=FakeClock()) as ledger:
        ledger.append("election.loaded", "panitia", {"election_id": ELECTION})
        ledger.add_ballot_slots(5)
        receipt = ledger.cast_ballot(ELECTION, "2")
    with Ledger.open(tmp_path / "state") as ledger:
        assert ledger.pending_slip() == receipt.ballot_id
        assert ledger.pending_slip_record()["selection"] == "2"
        ledger.record_slip("slip.reprinted", "K01", {"reason": "paper out"})
        assert ledger.pending_slip() is None


def test_a_packed_device_is_read_only(tmp_path):
    voting_day(tmp_path / "state", voters=2)
    with Ledger.open(tmp_path / "state") as ledger:
        ledger.append("polls.packed", "K01", {})
        with pytest.raises(LedgerSealed):
            ledger.append("custody.received", "K01", {})
        with pytest.raises(LedgerSealed):
            ledger.set_state("x", "y")
    with Ledger.open(tmp_path / "state") as ledger:
        assert ledger.sealed
        with pytest.raises(LedgerSealed):
            ledger.cast_ballot(ELECTION, "1")


def test_only_one_writer_can_hold_the_ledger(tmp_path):
    voting_day(tmp_path / "state", voters=1)
    with Ledger.open(tmp_path / "state") as ledger:
        ledger.append("device.started", "system", {})
        with pytest.raises((sqlite3.OperationalError, LedgerError)):
            Ledger.open(tmp_path / "state").append("device.started", "system", {})


def test_the_voter_waits_for_one_durable_commit_not_for_the_checkpoint(tmp_path):
    """The cast commits once and returns; the WAL checkpoint waits until the voter has answered the slip."""
    with Ledger.create(tmp_path / "state", clock=FakeClock()) as ledger:
        ledger.append("election.loaded", "panitia", {"election_id": ELECTION})
        ledger.add_ballot_slots(5)
        ledger.append("ballot.released", "K01", {"release": "R0001", "voter": "V001"})
        statements: list[str] = []
        ledger.connection.set_trace_callback(statements.append)
        ledger.cast_ballot(ELECTION, "2", actor="pemilih", payload={"release": "R0001"})
        ledger.connection.set_trace_callback(None)
        assert statements.count("COMMIT") == 1
        assert not [s for s in statements if "wal_checkpoint" in s]
        assert ledger.pending_slip() is not None
        ledger.connection.set_trace_callback(statements.append)
        ledger.answer_slip("slip.confirmed", "pemilih", {"release": "R0001"})
        ledger.connection.set_trace_callback(None)
        assert [s for s in statements if "wal_checkpoint" in s] == ["PRAGMA wal_checkpoint(TRUNCATE)"]
