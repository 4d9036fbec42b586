"""Someone edits the ledger file behind SQLite's back; ``booth verify`` must say so.

The day below has 200 voters (so ≥ 200 events and 200 ballots).  Every row of
every table is changed, deleted, and swapped with another; the log is cut back
behind a checkpoint the district knows from paper; a ballot is re-signed with
another key.  Each time ``verify`` must report a problem (exit 1 from the CLI).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.cli import main
from booth.ledger import formats
from booth.ledger.canonical import canonical
from booth.ledger.ledger import Ledger
from booth.ledger.verify import DatabaseSource, verify
from ledger_days import ELECTION, rows, tampered, voting_day

VOTERS = 200


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Path:
    state = tmp_path_factory.mktemp("tamper") / "state"
    voting_day(state, voters=VOTERS, slots=VOTERS + 12)
    return state


@pytest.fixture(scope="module")
def final_checkpoint(day) -> str:
    with Ledger.open(day) as ledger:
        return ledger.latest_checkpoint()


def assert_detected(path: Path, known: list[str] = ()) -> str:
    report = verify(DatabaseSource(path), known, stop_at_first=True)
    assert not report.ok, "tampering was not detected"
    shutil.rmtree(path)
    return str(report.problems[0])


def test_the_untouched_day_verifies(day, final_checkpoint):
    report = verify(DatabaseSource(day), [final_checkpoint])
    assert report.ok, report.problems
    assert report.summary["events"] >= 200 and report.summary["ballots_stored"] == VOTERS


def test_changing_any_event_is_detected(day, tmp_path):
    for seq, entry in rows(day, "SELECT seq, entry FROM events ORDER BY seq"):
        obj = json.loads(entry)
        obj["actor"] = obj["actor"] + "x"  # a plausible, canonical edit
        assert_detected(tampered(day, tmp_path, ("UPDATE events SET entry=? WHERE seq=?", (canonical(obj), seq))))
    # and a raw flipped byte inside a few of them
    for seq, entry in rows(day, "SELECT seq, entry FROM events ORDER BY random() LIMIT 10"):
        pos = random.randrange(len(entry))
        flipped = entry[:pos] + bytes([entry[pos] ^ 0x01]) + entry[pos + 1 :]
        assert_detected(tampered(day, tmp_path, ("UPDATE events SET entry=? WHERE seq=?", (flipped, seq))))


def test_changing_an_event_signature_or_type_column_is_detected(day, tmp_path):
    for (seq,) in rows(day, "SELECT seq FROM events ORDER BY random() LIMIT 25"):
        assert_detected(tampered(day, tmp_path, ("UPDATE events SET sig=? WHERE seq=?", (bytes(64), seq))))
        assert_detected(tampered(day, tmp_path, ("UPDATE events SET type='polls.paused' WHERE seq=?", (seq,))))


def test_changing_any_checkpoint_is_detected(day, tmp_path):
    for size, text in rows(day, "SELECT size, note FROM checkpoints"):
        lines = text.split("\n")
        lines[1] = str(int(lines[1]) + 1)
        change = ("UPDATE checkpoints SET note=? WHERE size=?", ("\n".join(lines), size))
        assert_detected(tampered(day, tmp_path, change))


def test_changing_any_ballot_is_detected(day, tmp_path):
    for ballot_id, filled, slot in rows(day, "SELECT id, filled, slot FROM ballots"):
        if filled:
            record = json.loads(formats.unpad_slot(slot))
            record["selection"] = "1" if record["selection"] != "1" else "2"
            forged = formats.pad_slot(canonical(record))
            assert_detected(tampered(day, tmp_path, ("UPDATE ballots SET slot=? WHERE id=?", (forged, ballot_id))))
        else:  # stuffing an empty slot with a ballot signed by another key
            record = formats.ballot_record(election=ELECTION, ballot_id=ballot_id, selection="3")
            sig = Ed25519PrivateKey.generate().sign(formats.ballot_message(record))
            assert_detected(
                tampered(
                    day,
                    tmp_path,
                    (
                        "UPDATE ballots SET filled=1, slot=?, sig=? WHERE id=?",
                        (formats.pad_slot(record), sig, ballot_id),
                    ),
                )
            )


def test_a_ballot_re_signed_by_another_key_is_detected(day, tmp_path):
    attacker = Ed25519PrivateKey.generate()
    for ballot_id, slot in rows(day, "SELECT id, slot FROM ballots WHERE filled=1 ORDER BY random() LIMIT 20"):
        record = formats.unpad_slot(slot)
        sig = attacker.sign(formats.ballot_message(record))
        first = assert_detected(tampered(day, tmp_path, ("UPDATE ballots SET sig=? WHERE id=?", (sig, ballot_id))))
        assert "signature" in first


def test_deleting_any_row_is_detected(day, tmp_path):
    for (seq,) in rows(day, "SELECT seq FROM events"):
        assert_detected(tampered(day, tmp_path, ("DELETE FROM events WHERE seq=?", (seq,))))
    for (size,) in rows(day, "SELECT size FROM checkpoints"):
        assert_detected(tampered(day, tmp_path, ("DELETE FROM checkpoints WHERE size=?", (size,))))
    for (ballot_id,) in rows(day, "SELECT id FROM ballots"):
        assert_detected(tampered(day, tmp_path, ("DELETE FROM ballots WHERE id=?", (ballot_id,))))
    for (key,) in rows(day, "SELECT key FROM meta"):
        path = tampered(day, tmp_path, ("DELETE FROM meta WHERE key=?", (key,)))
        assert main(["verify", str(path)]) in (1, 2)


def test_swapping_two_rows_is_detected(day, tmp_path):
    events = rows(day, "SELECT seq, type, entry, sig FROM events ORDER BY seq")
    pairs = [(i, i + 1) for i in range(len(events) - 1)] + [
        tuple(random.sample(range(len(events)), 2)) for _ in range(40)
    ]
    for a, b in pairs:
        _, ta, ea, sa = events[a]
        _, tb, eb, sb = events[b]
        assert_detected(
            tampered(
                day,
                tmp_path,
                ("UPDATE events SET type=?, entry=?, sig=? WHERE seq=?", (tb, eb, sb, a)),
                ("UPDATE events SET type=?, entry=?, sig=? WHERE seq=?", (ta, ea, sa, b)),
            )
        )
    ballots = rows(day, "SELECT id, slot, sig FROM ballots WHERE filled=1")
    for _ in range(60):
        (ia, sla, sga), (ib, slb, sgb) = random.sample(ballots, 2)
        if sla == slb:
            continue
        assert_detected(
            tampered(
                day,
                tmp_path,
                ("UPDATE ballots SET slot=?, sig=? WHERE id=?", (slb, sgb, ia)),
                ("UPDATE ballots SET slot=?, sig=? WHERE id=?", (sla, sga, ib)),
            )
        )
    notes = rows(day, "SELECT size, note FROM checkpoints")
    for _ in range(40):
        (za, na), (zb, nb) = random.sample(notes, 2)
        assert_detected(
            tampered(
                day,
                tmp_path,
                ("UPDATE checkpoints SET note=? WHERE size=?", (nb, za)),
                ("UPDATE checkpoints SET note=? WHERE size=?", (na, zb)),
            )
        )


def test_cutting_the_log_back_behind_a_printed_checkpoint_is_detected(day, tmp_path, final_checkpoint):
    (size,) = rows(day, "SELECT count(*) FROM events")[0]
    for keep in sorted(random.sample(range(1, size), 30)) + [size - 1]:
        path = tampered(
            day,
            tmp_path,
            ("DELETE FROM events WHERE seq >= ?", (keep,)),
            ("DELETE FROM checkpoints WHERE size > ?", (keep,)),
        )
        first = assert_detected(path, [final_checkpoint])
        assert first


def test_a_whole_log_re_signed_by_another_device_is_caught_by_the_printed_checkpoint(day, tmp_path, final_checkpoint):
    forger = tmp_path / "forged"
    voting_day(forger, voters=VOTERS, slots=VOTERS + 12)  # a different key, a plausible day
    assert verify(DatabaseSource(forger)).ok  # on its own it looks fine...
    report = verify(DatabaseSource(forger), [final_checkpoint], stop_at_first=True)  # ...but not against the paper
    assert not report.ok and "known checkpoint" in str(report.problems[0])


def test_the_command_line_exits_1_and_names_the_first_problem(day, tmp_path, capsys):
    path = tampered(day, tmp_path, ("DELETE FROM events WHERE seq=57",))
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "TIDAK SAH / INVALID" in out and "event 57" in out
    assert main(["verify", str(day)]) == 0


def test_the_full_check_with_its_worker_processes_finds_a_re_signed_ballot(day, tmp_path):
    """``booth verify`` can hand the signatures to worker processes beside the log walk."""
    attacker = Ed25519PrivateKey.generate()
    ((ballot_id, slot),) = rows(day, "SELECT id, slot FROM ballots WHERE filled=1 ORDER BY random() LIMIT 1")
    sig = attacker.sign(formats.ballot_message(formats.unpad_slot(slot)))
    path = tampered(day, tmp_path, ("UPDATE ballots SET sig=? WHERE id=?", (sig, ballot_id)))
    report = verify(DatabaseSource(path), workers=2)  # the full check, signatures in two workers
    assert [p.what for p in report.problems] == ["ballot signature does not verify (changed, or signed by another key)"]
    assert report.problems[0].where == f"ballot {ballot_id.hex()[:12]}"
