"""Booths watch each other through the desk: the desk's signed roster, and the relay forwarding.

A desk and three booths in one process (tests/station_day.py); their links are an in-memory bus
that keeps each device's inbox, so the relays carry the same messages as over TCP.  The scenario:
after pairing, every booth holds the desk's roster and so its siblings' keys; in a watch round
each booth cosigns the desk and the other booths (the desk only forwards their asks and offers);
booth 2 put back to an earlier copy of its state is then caught by booth 1, not only by the desk;
booth 2 replaced at the desk reaches booth 1 as a new roster, and the old booth 2 is an alarm.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from booth.errors import BoothError
from booth.ledger import keys
from booth.ledger.clock import FakeClock
from booth.service import BoothService
from booth.station import roster as station_roster
from booth.station.relay import Relay
from booth.witness.cosign import check_cosignature, cosigner_verifier_key
from service_day import KETUA, opens_at, walk_custody
from station_day import make_device, open_station, pair


class Bus:
    """The links of one station in memory: ``send`` puts a message in the peer's inbox."""

    def __init__(self) -> None:
        self.inbox: dict[str, list[dict]] = defaultdict(list)
        self.refs: set[tuple[str, str]] = set()

    def link(self, label: str) -> BusLink:
        return BusLink(self, label)


class BusLink:
    def __init__(self, bus: Bus, label: str) -> None:
        self.bus, self.label, self.unconfirmed = bus, label, None

    def send(self, to, kind, payload, ref=None):
        if ref is not None:
            if (to, ref) in self.bus.refs:
                return 0
            self.bus.refs.add((to, ref))
        self.bus.inbox[to].append({"from": self.label, "id": 0, "kind": kind, "payload": bytes(payload)})
        return len(self.bus.inbox[to])

    def take(self, wait=0):
        box = self.bus.inbox[self.label]
        return box.pop(0) if box else None

    def set_state(self, state):
        pass


class Net:
    def __init__(self, st) -> None:
        self.st, self.bus = st, Bus()
        self.relays = {"meja": Relay(st.desk.svc, self.bus.link("meja"), "desk")}
        for n, booth in st.booths.items():
            self.relays[f"bilik-{n}"] = Relay(booth.svc, self.bus.link(f"bilik-{n}"), "booth")
        self.cursors: dict[str, int] = defaultdict(int)

    def flow(self) -> list[tuple[str, dict]]:
        """Outboxes onto the bus, then every message delivered, until the bus is quiet."""
        got = []
        while True:
            for name, relay in self.relays.items():
                self.cursors[name] = relay.sync_outbox(self.cursors[name])
            moved = False
            for name, relay in self.relays.items():
                while (outcome := relay.pump()) is not None:
                    got.append((name, outcome))
                    moved = True
            if not moved:
                return got

    def voted_by_hand(self) -> None:
        """The voters of ``st.vote`` had their tokens and outcomes handed over in-process: not again."""
        for name, relay in self.relays.items():
            self.cursors[name] = relay.ledger.ledger.size

    def watch_round(self) -> list[tuple[str, dict]]:
        for relay in self.relays.values():
            for peer in relay.watched():
                relay.ask_checkpoint(peer)
        return self.flow()


def cosigner(device) -> str:
    origin, public_key = keys.load_verifier_key(device.svc.ledger.key.verifier_key())
    return cosigner_verifier_key(origin, public_key)


@pytest.fixture
def net(tmp_path):
    st = open_station(tmp_path, booths=3)
    net = Net(st)
    net.flow()  # the rosters of the three pairings reach the booths
    yield net
    st.close()


def test_every_booth_holds_the_desks_roster_and_watches_the_desk_and_its_siblings(net):
    st = net.st
    for n, booth in st.booths.items():
        others = sorted({"meja", "bilik-1", "bilik-2", "bilik-3"} - {f"bilik-{n}"})
        assert sorted(booth.svc.station_peers()) == others
        rosters = [e for e in booth.svc.ledger.entries() if e.type == "station.roster"]
        assert rosters[-1].payload["booths"]["2"]["fingerprint"] == st.booths[2].svc.ledger.key.fingerprint
    # three rosters came to booth 1 (after each pairing), each read as the latest: logged once
    assert len([e for e in st.booths[1].svc.ledger.entries() if e.type == "station.roster"]) == 1
    assert sorted(st.desk.svc.station_peers()) == ["bilik-1", "bilik-2", "bilik-3"]


def test_after_a_short_day_each_booth_has_cosigned_every_other_device(net):
    st = net.st
    st.vote("DPT-0111", 1, "2")
    st.vote("DPT-0112", 2, "3")
    net.voted_by_hand()
    got = net.watch_round()
    devices = {"meja": st.desk, **{f"bilik-{n}": b for n, b in st.booths.items()}}
    judged = [(name, o["result"]) for name, o in got if "result" in o and "cosignature" in (o["result"] or {})]
    assert len(judged) == 4 * 3  # each of the four devices cosigned the three others
    assert not [o for _, o in got if "refused" in o]
    for watcher, result in judged:
        check_cosignature(result["checkpoint"], result["cosignature"], cosigner(devices[watcher]))
        watched = devices[result["label"]].svc.ledger.key.origin
        assert result["checkpoint"].startswith(watched + "\n")
    for n, booth in st.booths.items():
        seen = booth.svc.peers_seen()
        assert sorted(seen) == sorted({"meja", "bilik-1", "bilik-2", "bilik-3"} - {f"bilik-{n}"})
    # the desk only carried the booths' asks and offers: its ledger recorded none of them
    assert sorted(st.desk.svc.peers_seen()) == ["bilik-1", "bilik-2", "bilik-3"]
    forwarded = [o for name, o in got if name == "meja" and "forwarded" in (o.get("result") or {})]
    assert len(forwarded) == 3 * 2 * 2  # each booth's ask and its sibling's offer, for 2 siblings


def test_a_booth_rolled_back_to_an_earlier_copy_is_caught_by_its_sibling_booth(net, tmp_path):
    st = net.st
    net.watch_round()
    booth = st.booths[2]
    booth.svc.close()
    shutil.copytree(booth.state_dir, tmp_path / "copy")  # the earlier copy
    booth.svc = BoothService.open(booth.state_dir, clock=st.clock, settings=booth.settings)
    net.relays["bilik-2"].ledger = booth.svc
    st.vote("DPT-0113", 2, "1")
    net.voted_by_hand()
    net.watch_round()  # booth 1 and 3 saw booth 2 with the voter
    booth.svc.close()
    shutil.rmtree(booth.state_dir)
    shutil.copytree(tmp_path / "copy", booth.state_dir)
    booth.svc = BoothService.open(booth.state_dir, clock=st.clock, settings=booth.settings)
    net.relays["bilik-2"].ledger = booth.svc
    net.relays["bilik-1"].ask_checkpoint("bilik-2")
    got = net.flow()
    (alarm,) = [o for name, o in got if name == "bilik-1" and "refused" in o]
    assert "bilik-2" in alarm["refused"] and "went back" in alarm["refused"]
    alarms = [e for e in st.booths[1].svc.ledger.entries() if e.type == "station.peer_alarm"]
    assert [a.payload["reasons"][0]["reason"] for a in alarms] == ["smaller"]


def test_a_booth_replaced_at_the_desk_reaches_its_siblings_and_the_old_one_is_an_alarm(net, tmp_path):
    st = net.st
    net.watch_round()
    old = st.booths[2]
    new = make_device(tmp_path / "booth-2-r1", "booth", st.clock)
    desk_key, new_key = st.desk.svc.ledger.key.verifier_key(), new.svc.ledger.key.verifier_key()
    shown_by_booth = new.svc.pairing_code(desk_key)["code"]
    st.desk.svc.pair_booth(st.desk.sign_in(KETUA), 2, new_key, shown_by_booth)
    net.flow()  # the new roster reaches booth 1 and 3 (and the old booth 2, which is not the one named)
    replaced = [e for e in st.booths[1].svc.ledger.entries() if e.type == "station.peer_replaced"]
    assert [(e.payload["label"], e.payload["new"]) for e in replaced] == [("bilik-2", new_key)]
    offer = old.svc.checkpoint_offer(0)
    with pytest.raises(BoothError) as caught:
        st.booths[1].svc.watch_peer("bilik-2", offer)
    assert "replaced" in caught.value.message_en or "not the one paired" in caught.value.message_en
    new.close()


def test_a_roster_not_signed_by_the_desk_or_older_changes_nothing(net):
    st = net.st
    booth = st.booths[1].svc
    size = booth.ledger.size
    forged = station_roster.sign(
        st.booths[2].svc.ledger.key, st.desk.svc.ledger.key.fingerprint, st.desk.svc.day.booths, 10**6
    )
    with pytest.raises(BoothError) as caught:
        booth.roster_accept(forged)
    assert caught.value.message_id.startswith("Daftar bilik tidak ditandatangani")
    with pytest.raises(BoothError):
        booth.roster_accept(b"{}")
    (latest,) = [i for i in st.desk.svc.station_outbox(0) if i["to"] == "bilik-1"][-1:]
    assert booth.roster_accept(latest["payload"])["logged"] is False  # the same version again
    assert booth.ledger.size == size


@functools.cache
def _keys():
    from booth.ledger.keys import DeviceKey

    root = Path(tempfile.mkdtemp(prefix="roster"))
    return DeviceKey.create(root / "desk.key"), DeviceKey.create(root / "booth.key")


@settings(max_examples=200, deadline=None)
@given(data=hs.data())
def test_a_roster_changed_in_any_byte_is_refused(data):
    desk, booth_key = _keys()
    booths = {1: {"fingerprint": booth_key.fingerprint, "verifier_key": booth_key.verifier_key()}}
    good = station_roster.sign(desk, desk.fingerprint, booths, 7)
    assert station_roster.read(good, desk.public_key)["version"] == 7
    at = data.draw(hs.integers(0, len(good) - 1))
    byte = data.draw(hs.integers(0, 255).filter(lambda b: b != good[at]))
    bad = good[:at] + bytes([byte]) + good[at + 1 :]
    with pytest.raises(station_roster.RosterRefused):
        station_roster.read(bad, desk.public_key)


def test_a_roster_sent_before_the_booth_typed_the_desks_code_still_reaches_it(tmp_path):
    """At the last booth the desk's side of the pairing is done first and the roster goes out at
    once, before the companion at the booth has typed the desk's code: the booth's relay keeps it
    and hands it over as soon as the booth is paired (the desk sends no other roster that day)."""
    clock = FakeClock(opens_at() - dt.timedelta(days=2))
    desk = make_device(tmp_path / "desk", "desk", clock)
    booths = {n: make_device(tmp_path / f"booth-{n}", "booth", clock) for n in (1, 2)}
    for device in [desk, *booths.values()]:
        walk_custody(device)
    pair(desk, booths[1], 1)
    st = SimpleNamespace(desk=desk, booths=booths)
    net = Net(st)
    net.flow()
    desk_key, booth_key = desk.svc.ledger.key.verifier_key(), booths[2].svc.ledger.key.verifier_key()
    shown_by_booth = booths[2].svc.pairing_code(desk_key)["code"]
    shown_by_desk = desk.svc.pairing_code(booth_key)["code"]
    desk.svc.pair_booth(desk.sign_in(KETUA), 2, booth_key, shown_by_booth)
    net.flow()  # booth 2 is not paired yet: it refuses the roster, its relay keeps it
    assert not [e for e in booths[2].svc.ledger.entries() if e.type == "station.roster"]
    assert net.relays["bilik-2"].early_roster is not None
    booths[2].svc.pair_desk(booths[2].sign_in(KETUA), desk_key, 2, shown_by_desk)
    net.flow()
    rosters = [e for e in booths[2].svc.ledger.entries() if e.type == "station.roster"]
    assert len(rosters) == 1 and sorted(rosters[0].payload["booths"]) == ["1", "2"]
    assert net.relays["bilik-2"].early_roster is None
    assert "bilik-1" in booths[2].svc.station_peers()
    for device in [desk, *booths.values()]:
        device.svc.close()
