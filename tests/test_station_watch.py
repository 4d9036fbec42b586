"""A desk and two booths watch each other through the day (booth/station/watch.py).

Three real ledgers in their own state directories: every half hour each device cosigns the
others' latest checkpoints and records them in its own ledger.  A booth whose state directory is
put back to an earlier copy, or swapped for another device, is caught by the others with the
reason in words; the cosignatures check with the saksi's checker; ``booth verify`` reads the
records and catches one that hides a rollback.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from booth.ledger import merkle, note
from booth.ledger.canonical import canonical, parse_canonical
from booth.ledger.clock import FakeClock
from booth.ledger.ledger import Ledger
from booth.ledger.verify import DatabaseSource, verify
from booth.station.watch import (
    ALARM_EVENT,
    REPLACED_EVENT,
    SEEN_EVENT,
    BadOffer,
    PeerAlarm,
    Seen,
    cosigner_key,
    detect,
    last_seen_size,
    offer,
    replace_device,
    seen_by,
    watch,
)
from booth.witness.cosign import check_cosignature

ELECTION = "e1" * 32
OPENING = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)
LABELS = ("meja", "bilik-1", "bilik-2")


def verify_device(ledger: Ledger):
    """``booth verify`` of a running device's ledger, through its open connection."""
    return verify(DatabaseSource(conn=ledger.connection))


class Station:
    """A desk and two booths on one clock; ``round()`` is half an hour of voting, then watching."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = FakeClock(OPENING)
        self.devices = {label: Ledger.create(root / label, clock=self.clock) for label in LABELS}
        for label in LABELS[1:]:
            booth = self.devices[label]
            booth.append("election.loaded", "panitia", {"election_id": ELECTION, "candidates": 3})
            booth.add_ballot_slots(300, actor="K01")
        self.alarms: list[tuple[str, str, PeerAlarm]] = []

    def vote(self, booth: str, voters: int = 3) -> None:
        for n in range(voters):
            self.clock.advance(60)
            self.devices["meja"].append("ballot.released", "K01", {"booth": booth})
            ledger = self.devices[booth]
            ledger.cast_ballot(ELECTION, str(1 + n % 3), actor="system", payload={})
            ledger.record_slip("slip.printed", "system")

    def watch_all(self) -> None:
        for watcher, ledger in self.devices.items():
            for label, other in self.devices.items():
                if label == watcher:
                    continue
                try:
                    watch(ledger, label, offer(other, last_seen_size(ledger, label)))
                except PeerAlarm as alarm:
                    self.alarms.append((watcher, label, alarm))

    def round(self) -> None:
        self.vote("bilik-1")
        self.vote("bilik-2", 2)
        self.clock.advance(20 * 60)
        self.watch_all()

    def power_off(self, label: str) -> None:
        self.devices[label].close()

    def power_on(self, label: str) -> Ledger:
        self.devices[label] = Ledger.open(self.root / label, clock=self.clock)
        return self.devices[label]

    def records_of(self, label: str) -> list[Seen]:
        """What the other devices saw of ``label``."""
        return [seen_by(ledger)[label] for watcher, ledger in self.devices.items() if watcher != label]

    def close(self) -> None:
        for ledger in self.devices.values():
            ledger.close()


@pytest.fixture
def station(tmp_path):
    s = Station(tmp_path)
    yield s
    s.close()


def test_over_a_day_every_device_cosigns_the_others_and_each_cosignature_checks(station):
    for _ in range(12):  # 07:00 - 13:00
        station.round()
    assert station.alarms == []
    for watcher, ledger in station.devices.items():
        seen = seen_by(ledger)
        assert sorted(seen) == sorted(set(LABELS) - {watcher})
        records = [e for e in ledger.entries() if e.type == SEEN_EVENT]
        assert len(records) == 12 * 2
        for entry in records:
            p = entry.payload
            # The saksi's checker accepts the device's cosignature of the other's checkpoint.
            got = check_cosignature(p["checkpoint"], p["cosignature"], cosigner_key(ledger))
            assert (got.checkpoint.size, got.checkpoint.root_hash.hex()) == (p["size"], p["root"])
            assert got.checkpoint.origin == station.devices[p["label"]].key.origin
            assert got.timestamp == int(dt.datetime.fromisoformat(entry.time).timestamp())
    # Every device's current log extends what each of the others saw of it.
    for label, ledger in station.devices.items():
        assert (
            detect(
                ledger.latest_checkpoint(),
                ledger.key.verifier_key(),
                station.records_of(label),
                ledger.consistency_proof,
            )
            == []
        )
    # booth verify reads the records: all three logs are valid, the booths' ballots reconcile.
    for label in LABELS:
        report = verify_device(station.devices[label])
        assert report.ok, report.problems
        assert report.summary["event_types"][SEEN_EVENT] == 24
    assert verify_device(station.devices["bilik-1"]).summary["ballots_stored"] == 36


def test_a_booth_rolled_back_to_an_earlier_copy_of_its_state_is_caught_by_the_others(station, tmp_path):
    for _ in range(6):  # until 10:00
        station.round()
    station.power_off("bilik-2")
    shutil.copytree(tmp_path / "bilik-2", tmp_path / "copy-of-bilik-2-at-10")
    station.power_on("bilik-2")
    for _ in range(2):  # until 11:00: 4 more voters in bilik-2, seen by the desk and bilik-1
        station.round()
    seen_at_11 = {w: seen_by(station.devices[w])["bilik-2"] for w in ("meja", "bilik-1")}

    # Someone puts bilik-2's state directory back to the 10:00 copy (4 ballots gone) and restarts it.
    station.power_off("bilik-2")
    shutil.rmtree(tmp_path / "bilik-2")
    shutil.copytree(tmp_path / "copy-of-bilik-2-at-10", tmp_path / "bilik-2")
    booth = station.power_on("bilik-2")
    assert booth.size < seen_at_11["meja"].size

    station.watch_all()
    caught = {(w, a.findings[0].reason) for w, label, a in station.alarms if label == "bilik-2"}
    assert caught == {("meja", "smaller"), ("bilik-1", "smaller")}
    alarm = next(a for w, label, a in station.alarms if w == "meja")
    assert "Buku besar bilik-2 mundur" in alarm.id and f"sudah melihat {seen_at_11['meja'].size}" in alarm.id
    assert "went back" in alarm.en
    # The alarm is in the desk's own ledger, and the desk still holds what it saw at 11:00.
    logged = station.devices["meja"].entry(alarm.seq)
    assert logged.type == ALARM_EVENT and logged.payload["reasons"][0]["reason"] == "smaller"
    assert seen_by(station.devices["meja"])["bilik-2"] == seen_at_11["meja"]

    # The rolled-back booth carries on voting until its log is exactly as long as the one seen:
    # same size, another root.
    station.alarms.clear()
    while booth.size < seen_at_11["meja"].size:
        booth.append("hardware.self_test", "system", {"printer": "ok"})
    with pytest.raises(PeerAlarm) as rewritten:
        watch(station.devices["meja"], "bilik-2", offer(booth, last_seen_size(station.devices["meja"], "bilik-2")))
    assert rewritten.value.findings[0].reason == "rewritten" and "ditulis ulang" in rewritten.value.id

    # ... and beyond it: no consistency proof can join its new history to the one seen.
    station.vote("bilik-2", 3)
    station.watch_all()
    caught = {(w, a.findings[0].reason) for w, label, a in station.alarms if label == "bilik-2"}
    assert caught == {("meja", "inconsistent"), ("bilik-1", "inconsistent")}
    findings = detect(
        booth.latest_checkpoint(), booth.key.verifier_key(), station.records_of("bilik-2"), booth.consistency_proof
    )
    assert [f.reason for f in findings] == ["inconsistent", "inconsistent"]
    assert {f.seen.watcher for f in findings} == {
        station.devices["meja"].key.origin,
        station.devices["bilik-1"].key.origin,
    }
    assert all("riwayatnya diganti" in f.id and "history was replaced" in f.en for f in findings)
    # The watchers' logs, alarms and all, still verify.
    for label in ("meja", "bilik-1"):
        assert verify_device(station.devices[label]).ok


def test_a_booth_swapped_for_another_device_is_caught_by_its_key(station, tmp_path):
    station.round()
    station.power_off("bilik-1")
    shutil.move(tmp_path / "bilik-1", tmp_path / "the-real-bilik-1")
    station.devices["bilik-1"] = Ledger.create(tmp_path / "bilik-1", clock=station.clock)
    station.alarms.clear()
    station.watch_all()
    caught = {(w, a.findings[0].reason) for w, label, a in station.alarms if label == "bilik-1"}
    assert caught == {("meja", "replaced"), ("bilik-2", "replaced")}
    alarm = next(a for w, label, a in station.alarms if w == "meja")
    old = seen_by(station.devices["meja"])["bilik-1"]
    assert "Perangkat bilik-1 diganti" in alarm.id and "was replaced" in alarm.en
    assert old.key != station.devices["bilik-1"].key.verifier_key()


def test_a_device_not_the_one_paired_is_refused_at_first_sight(station):
    desk, booth = station.devices["meja"], station.devices["bilik-1"]
    stranger = station.devices["bilik-2"]
    with pytest.raises(PeerAlarm) as refused:
        watch(desk, "bilik-1", offer(stranger), expected_key=booth.key.verifier_key())
    assert refused.value.findings[0].reason == "replaced" and "bukan yang dipasangkan" in refused.value.id
    assert "bilik-1" not in seen_by(desk)
    watch(desk, "bilik-1", offer(booth), expected_key=booth.key.verifier_key())
    assert seen_by(desk)["bilik-1"].key == booth.key.verifier_key()


def test_asking_again_about_the_same_checkpoint_records_nothing_new(station):
    desk, booth = station.devices["meja"], station.devices["bilik-1"]
    first = watch(desk, "bilik-1", offer(booth))
    size = desk.size
    assert watch(desk, "bilik-1", offer(booth, last_seen_size(desk, "bilik-1"))) == first
    assert desk.size == size


def _forged_offer(booth: Ledger) -> bytes:
    other = Ledger.create(booth.state_dir.parent / "forger", clock=FakeClock())
    obj = parse_canonical(offer(booth))
    obj["checkpoint"] = other.latest_checkpoint()  # signed, but by another key than the one named
    return canonical(obj)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda booth: b"not json", "bukan JSON kanonik"),
        (lambda booth: b'{"checkpoint": 1}', "bukan JSON kanonik"),
        (lambda booth: canonical({"checkpoint": "x", "key": "y"}), "harus berisi"),
        (lambda booth: canonical({**parse_canonical(offer(booth)), "proof": ["zz"]}), "Bukti konsistensi rusak"),
        (lambda booth: canonical({**parse_canonical(offer(booth)), "key": "not a key"}), "tidak ditandatangani"),
        (_forged_offer, "tidak ditandatangani kunci yang disebutnya"),
    ],
)
def test_a_bad_offer_is_refused_with_its_reason_and_changes_nothing(station, make, words):
    desk, booth = station.devices["meja"], station.devices["bilik-1"]
    watch(desk, "bilik-1", offer(booth))
    size, seen = desk.size, seen_by(desk)
    with pytest.raises(BadOffer) as refused:
        watch(desk, "bilik-1", make(booth))
    assert words in refused.value.id and refused.value.en
    assert desk.size == size and seen_by(desk) == seen


def test_a_proof_from_another_size_than_the_one_seen_is_refused_not_an_alarm(station):
    desk, booth = station.devices["meja"], station.devices["bilik-1"]
    watch(desk, "bilik-1", offer(booth))
    station.vote("bilik-1")
    size = desk.size
    with pytest.raises(BadOffer, match="minta ulang"):
        watch(desk, "bilik-1", offer(booth, since=1))
    assert desk.size == size


def test_verify_catches_a_record_that_hides_a_rollback(station):
    desk, booth = station.devices["meja"], station.devices["bilik-1"]
    watch(desk, "bilik-1", offer(booth))
    big = seen_by(desk)["bilik-1"]
    # A desk whose software records an older checkpoint of the booth as if all were well.
    earlier = booth.checkpoint(2)
    cp = note.Checkpoint.parse(earlier[: earlier.rfind("\n\n") + 1])
    from booth.witness.cosign import cosign

    desk.append(
        SEEN_EVENT,
        "system",
        {
            "label": "bilik-1",
            "peer": big.key,
            "size": cp.size,
            "root": cp.root_hash.hex(),
            "checkpoint": earlier,
            "since": big.size,
            "proof": [],
            "cosignature": cosign(earlier, desk.key.origin, desk.key.private_key, 1796961600),
        },
    )
    report = verify_device(desk)
    assert not report.ok
    assert any("does not extend the one recorded before" in p for p in map(str, report.problems))


def test_verify_catches_a_cosignature_that_is_not_the_devices(station):
    desk, booth = station.devices["meja"], station.devices["bilik-1"]
    text = booth.latest_checkpoint()
    cp = note.Checkpoint.parse(text[: text.rfind("\n\n") + 1])
    from booth.witness.cosign import cosign

    stranger = Ed25519PrivateKey.generate()
    desk.append(
        SEEN_EVENT,
        "system",
        {
            "label": "bilik-1",
            "peer": booth.key.verifier_key(),
            "size": cp.size,
            "root": cp.root_hash.hex(),
            "checkpoint": text,
            "since": 0,
            "proof": [],
            "cosignature": cosign(text, desk.key.origin, stranger, 1796961600),
        },
    )
    problems = [str(p) for p in verify_device(desk).problems]
    assert any("cosignature on the seen checkpoint does not verify" in p for p in problems), problems


# ---------------------------------------------------------------- the judgement, case by case
DEVICE = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ORIGIN = "booth/0011223344556677"
KEY = note.verifier_key(ORIGIN, DEVICE.public_key())


def _signed(leaves: list[bytes]) -> str:
    """A checkpoint of ``leaves`` signed by DEVICE."""
    return note.sign_checkpoint(note.Checkpoint(ORIGIN, len(leaves), merkle.root(leaves)), ORIGIN, DEVICE)


@settings(max_examples=80, deadline=None)
@given(
    history=st.lists(st.binary(max_size=8), min_size=1, max_size=40),
    seen_at=st.integers(1, 40),
    change=st.sampled_from(["none", "rewrite", "cut", "replace"]),
    cut=st.integers(1, 40),
    grown=st.lists(st.binary(max_size=8), max_size=10),
)
def test_detect_finds_nothing_exactly_when_the_log_extends_what_was_seen(history, seen_at, change, cut, grown):
    leaves = [merkle.leaf_hash(b"e" + h) for h in history]
    seen_at = min(seen_at, len(leaves))
    seen = Seen(
        "bilik-2", KEY, seen_at, merkle.root(leaves[:seen_at]), _signed(leaves[:seen_at]), "", "booth/meja", "t"
    )
    now = list(leaves)
    key, signer = KEY, DEVICE
    if change == "rewrite":  # one event at or before the seen size was changed, the log went on
        now[seen_at - 1] = merkle.leaf_hash(b"changed")
        now += [merkle.leaf_hash(b"g" + g) for g in grown]
    elif change == "cut":  # put back to an earlier copy
        now = now[: min(cut, seen_at) - 1]
    elif change == "replace":  # another device in its place
        signer = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
        key = note.verifier_key(ORIGIN, signer.public_key())
    else:
        now += [merkle.leaf_hash(b"g" + g) for g in grown]
    current = note.sign_checkpoint(note.Checkpoint(ORIGIN, len(now), merkle.root(now)), ORIGIN, signer)
    findings = detect(current, key, [seen], lambda old: merkle.consistency_proof(now, old))
    expected = {
        "none": [],
        "rewrite": ["rewritten" if len(now) == seen_at else "inconsistent"],
        "cut": ["smaller"],
        "replace": ["replaced"],
    }[change]
    assert [f.reason for f in findings] == expected
    assert all(f.id and f.en and "bilik-2" in f.id + f.en for f in findings)


def test_detect_names_an_unsigned_checkpoint_and_judges_nothing_else():
    leaves = [merkle.leaf_hash(b"a")]
    forged = note.sign_checkpoint(note.Checkpoint(ORIGIN, 1, merkle.root(leaves)), ORIGIN, Ed25519PrivateKey.generate())
    (finding,) = detect(forged, KEY, [], lambda old: [])
    assert finding.reason == "unsigned" and "tidak ditandatangani" in finding.id


def test_a_modelled_station_day_replayed_on_a_desk_and_three_booths_reconciles_and_watches(tmp_path):
    """The station model's day (hw-sim/booth_sim/station_model.py) written into four real ledgers,
    the devices watching each other every 15 minutes of it."""
    from booth_sim.station_model import Station as ModelStation
    from booth_sim.station_model import arrivals, simulate, timeline

    day = simulate(ModelStation(booths=3), arrivals(60, hours=1, seed=12))
    clock = FakeClock(OPENING)
    labels = ["meja", "bilik-1", "bilik-2", "bilik-3"]
    devices = {label: Ledger.create(tmp_path / label, clock=clock) for label in labels}
    try:
        for label in labels[1:]:
            devices[label].append("election.loaded", "panitia", {"election_id": ELECTION, "candidates": 3})
            devices[label].add_ballot_slots(100, actor="K01")
        next_watch, elapsed = 15 * 60, 0.0
        for step in timeline(day) + [None]:
            at = step.at if step else day.last_out + 1
            while next_watch <= at:  # a watching round: everyone asks everyone else
                clock.advance(next_watch - elapsed)
                elapsed = next_watch
                for watcher, ledger in devices.items():
                    for label, other in devices.items():
                        if label != watcher:
                            watch(ledger, label, offer(other, last_seen_size(ledger, label)))
                next_watch += 15 * 60
            if step is None:
                break
            clock.advance(step.at - elapsed)
            elapsed = step.at
            device = devices[step.device]
            if step.action == "check_in":
                device.append("voter.checked_in", "K01", {})
            elif step.action == "refuse":
                device.append("voter.refused", "K01", {})
            elif step.action == "release":
                device.append("ballot.released", "K01", {"booth": step.booth})
            elif step.action == "cast":
                device.cast_ballot(ELECTION, "2", actor="system", payload={})
                device.record_slip("slip.printed", "system")
            else:
                device.append("voter.photo_taken", "K02", {})
        # Each booth recorded exactly the voters the model sent to it; releases = casts per booth.
        desk_releases = [e.payload["booth"] for e in devices["meja"].entries() if e.type == "ballot.released"]
        for label in labels[1:]:
            visits = sum(1 for b, _, _ in day.booth_visits if f"bilik-{b}" == label)
            assert devices[label].ballots_cast == visits == desk_releases.count(label) > 0
        assert sum(devices[label].ballots_cast for label in labels[1:]) == day.served
        # Everyone saw everyone, nothing went back, and all four logs verify.
        for label, ledger in devices.items():
            records = [seen_by(devices[w])[label] for w in labels if w != label]
            assert (
                detect(ledger.latest_checkpoint(), ledger.key.verifier_key(), records, ledger.consistency_proof) == []
            )
            report = verify_device(ledger)
            assert report.ok, report.problems
            assert report.summary["event_types"][SEEN_EVENT] >= 3 * 3
    finally:
        for ledger in devices.values():
            ledger.close()


def test_a_booth_that_fails_mid_day_is_replaced_cleanly_and_the_old_one_is_refused_after(station, tmp_path):
    for _ in range(4):
        station.round()
    # 09:00 bilik-1's screen breaks: its last state is watched (cosigned), it is shut down, a
    # spare is provisioned, and the desk and bilik-2 log the replacement.
    station.watch_all()
    old = station.devices["bilik-1"]
    old_key, old_size = old.key.verifier_key(), old.size
    station.power_off("bilik-1")
    shutil.move(tmp_path / "bilik-1", tmp_path / "bilik-1-broken")
    spare = station.devices["bilik-1"] = Ledger.create(tmp_path / "bilik-1", clock=station.clock)
    spare.append("election.loaded", "panitia", {"election_id": ELECTION, "candidates": 3})
    spare.add_ballot_slots(300, actor="K01")
    for watcher in ("meja", "bilik-2"):
        replace_device(station.devices[watcher], "bilik-1", spare.key.verifier_key(), actor="K01", reason="layar rusak")
    station.alarms.clear()
    for _ in range(2):
        station.round()
    assert station.alarms == []
    assert seen_by(station.devices["meja"])["bilik-1"].key == spare.key.verifier_key()
    # The broken booth, switched on again, is not taken back at its place.
    broken = Ledger.open(tmp_path / "bilik-1-broken", clock=station.clock)
    try:
        with pytest.raises(PeerAlarm) as refused:
            watch(station.devices["meja"], "bilik-1", offer(broken, 0))
        assert refused.value.findings[0].reason == "replaced" and "Perangkat bilik-1 diganti" in refused.value.id
        assert broken.size == old_size
    finally:
        broken.close()
    replaced = [e for e in station.devices["meja"].entries() if e.type == REPLACED_EVENT]
    assert [(e.payload["old"], e.payload["reason"], e.actor) for e in replaced] == [(old_key, "layar rusak", "K01")]
    # Both histories of bilik-1 are recorded at the desk, each a consistent chain: the log verifies.
    assert verify_device(station.devices["meja"]).ok


@pytest.mark.parametrize(
    "new_key, reason, words",
    [
        ("not a key", "layar rusak", "tidak dikenali"),
        (None, "layar rusak", "sudah memakai kunci"),
        ("spare", "  ", "Tulis alasan"),
    ],
)
def test_a_replacement_without_a_new_key_or_a_reason_is_refused_and_logs_nothing(
    station, tmp_path, new_key, reason, words
):
    station.round()
    desk = station.devices["meja"]
    if new_key is None:
        new_key = station.devices["bilik-1"].key.verifier_key()
    elif new_key == "spare":
        new_key = Ledger.create(tmp_path / "spare", clock=station.clock).key.verifier_key()
    size = desk.size
    with pytest.raises(BadOffer) as refused:
        replace_device(desk, "bilik-1", new_key, actor="K01", reason=reason)
    assert words in refused.value.id and refused.value.en
    assert desk.size == size


def test_the_modules_docstring_example_holds():
    import doctest

    from booth.station import watch as module

    assert doctest.testmod(module).failed == 0
