"""Watching each other over the station link: real ledgers, real link processes on loopback.

The desk and two booths each keep a real ledger (the tests' process plays each device's ledger
service); their link processes carry the asks and the checkpoint offers of
``booth/station/watch.py`` as opaque payloads.  Over a morning the desk cosigns each booth's
checkpoints and each booth the desk's; one booth's link is killed in the middle and started again.
Every cosignature checks with the saksi's checker, and each watcher's record is the other device's
latest checkpoint.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from booth.ledger.canonical import canonical, parse_canonical
from booth.ledger.clock import FakeClock
from booth.ledger.ledger import Ledger
from booth.station.watch import SEEN_EVENT, cosigner_key, detect, last_seen_size, offer, seen_by, watch
from booth.witness.cosign import check_cosignature
from booth_sim.station_links import StationLinks

ELECTION = "e1" * 32
OPENING = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)
BOOTHS = ("bilik-1", "bilik-2")


class Devices:
    """Each device's ledger and the application loop a ledger service would run over its link."""

    def __init__(self, links: StationLinks, ledgers: dict[str, Ledger]) -> None:
        self.links = links
        self.ledgers = ledgers
        self.clients = {"meja": links.desk.client, **{b.label: b.client for b in links.booths}}

    def ask(self, watcher: str, watched: str) -> None:
        since = last_seen_size(self.ledgers[watcher], watched)
        self.clients[watcher].send(watched, "watch.ask", canonical({"since": since}))

    def serve(self, label: str, *, until: float) -> int:
        """Answer asks and record offers that reached ``label``; returns how many offers were recorded."""
        recorded = 0
        client, ledger = self.clients[label], self.ledgers[label]
        while time.monotonic() < until:
            message = client.take(wait=1)
            if message is None:
                return recorded
            if message["kind"] == "watch.ask":
                since = parse_canonical(message["payload"])["since"]
                client.send(message["from"], "watch.offer", offer(ledger, since))
            elif message["kind"] == "watch.offer":
                watch(ledger, message["from"], message["payload"])
                recorded += 1
        return recorded

    def exchange(self) -> None:
        """The desk asks each booth and each booth asks the desk; everyone answers until all is in."""
        for booth in BOOTHS:
            self.ask("meja", booth)
            self.ask(booth, "meja")
        expected = {"meja": len(BOOTHS), **{b: 1 for b in BOOTHS}}
        got = dict.fromkeys(expected, 0)
        deadline = time.monotonic() + 60
        while got != expected and time.monotonic() < deadline:
            for label in expected:
                got[label] += self.serve(label, until=deadline)
        assert got == expected, got


@pytest.fixture
def day(tmp_path):
    clock = FakeClock(OPENING)
    ledgers = {label: Ledger.create(tmp_path / label, clock=clock) for label in ("meja", *BOOTHS)}
    for booth in BOOTHS:
        ledgers[booth].append("election.loaded", "panitia", {"election_id": ELECTION, "candidates": 3})
        ledgers[booth].add_ballot_slots(100, actor="K01")
    links = StationLinks(booths=2, keys={label: tmp_path / label / "device.key" for label in ledgers})
    try:
        yield clock, ledgers, links.start()
    finally:
        links.close()
        for ledger in ledgers.values():
            ledger.close()


def test_over_a_morning_the_desk_and_booths_cosign_each_other_through_their_links(day):
    clock, ledgers, links = day
    devices = Devices(links, ledgers)
    for hour in range(4):
        for booth in BOOTHS:
            for n in range(3):
                clock.advance(60)
                ledgers["meja"].append("ballot.released", "K01", {"booth": booth})
                ledgers[booth].cast_ballot(ELECTION, str(1 + n % 3), actor="system", payload={})
                ledgers[booth].record_slip("slip.printed", "system")
        clock.advance(40 * 60)
        if hour == 2:
            links.booth("bilik-2").kill()  # its link dies; the desk's ask waits in the outbox
            devices.ask("meja", "bilik-2")
            links.booth("bilik-2").start()
            devices.serve("bilik-2", until=time.monotonic() + 30)
            assert devices.serve("meja", until=time.monotonic() + 30) == 1
        devices.exchange()
    for watcher, ledger in ledgers.items():
        seen = seen_by(ledger)
        others = set(BOOTHS) if watcher == "meja" else {"meja"}
        assert set(seen) == others
        for label in others:
            # The record is a checkpoint the other device really had, and its log still extends it
            # (it grew since: it recorded its own watch of this one afterwards).
            other = ledgers[label]
            assert seen[label].size > 4 * 3 and seen[label].key == other.key.verifier_key()
            assert (
                detect(other.latest_checkpoint(), other.key.verifier_key(), [seen[label]], other.consistency_proof)
                == []
            )
        for entry in (e for e in ledger.entries() if e.type == SEEN_EVENT):
            p = entry.payload
            got = check_cosignature(p["checkpoint"], p["cosignature"], cosigner_key(ledger))
            assert got.checkpoint.origin == ledgers[p["label"]].key.origin
