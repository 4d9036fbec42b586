"""The relay sends what the ledger issued: ``station_outbox`` and the link's idempotent ``send``.

A desk and booths in one process (tests/station_day.py); the link is a fake that keeps what
LinkStore keeps (one message per peer and ref), so a relay that is killed between two sends and
started again from 0 queues every token exactly once.
"""

from __future__ import annotations

import contextlib

from booth.api.schema import METHODS, decode_result, encode_result
from booth.station.relay import Relay
from station_day import open_station


class FakeLink:
    """The link's outbox as LinkStore keeps it: a ref queued once per peer."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, str, bytes, str | None]] = []
        self.states: list[str] = []

    def send(self, to, kind, payload, ref=None):
        for i, (peer, _, _, r) in enumerate(self.queued):
            if ref is not None and (peer, r) == (to, ref):
                return i + 1
        self.queued.append((to, kind, payload, ref))
        return len(self.queued)

    def set_state(self, state):
        self.states.append(state)


def test_the_desks_outbox_lists_each_token_and_cancel_in_log_order_and_survives_a_restart(tmp_path):
    st = open_station(tmp_path, booths=2)
    paired = st.desk.svc.station_outbox(0)  # each pairing: the roster to every booth paired so far
    rosters = [("bilik-1", "roster"), ("bilik-1", "roster"), ("bilik-2", "roster")]
    assert [(i["to"], i["kind"]) for i in paired] == rosters
    first = st.release("DPT-0001", booth=1)
    second = st.release("DPT-0002", booth=2)
    st.clock.advance(301)
    cancelled = st.desk.svc.cancel_station_release(st.token(), second["release"], "pemilih pergi")
    items = st.desk.svc.station_outbox(paired[-1]["index"])
    assert [(i["to"], i["kind"]) for i in items] == [
        ("bilik-1", "release"),
        ("bilik-2", "release"),
        ("bilik-2", "cancel"),
    ]
    assert [i["payload"] for i in items] == [first["token"], second["token"], cancelled["notice"]]
    assert [i["ref"] for i in items] == [f"{i['kind']}:{i['index']}" for i in items]
    assert st.desk.svc.station_outbox(items[1]["index"]) == items[2:]
    st.restart()
    assert st.desk.svc.station_outbox(0) == paired + items  # read again from the log's own events


def test_a_booths_outbox_holds_the_signed_outcome_of_each_voter_done(tmp_path):
    st = open_station(tmp_path, booths=1)
    release = st.vote("DPT-0001", booth=1, choice="1")
    booth = st.booths[1].svc
    (item,) = booth.station_outbox(0)
    assert (item["to"], item["kind"]) == ("meja", "outcome")
    assert item["payload"] == booth.release_outcome(release["release"])
    assert st.desk.svc.release_returned(item["payload"])["outcome"] == "cast"  # the desk reads it


def test_the_outbox_travels_as_base64_and_comes_back_as_bytes(tmp_path):
    st = open_station(tmp_path, booths=1)
    st.release("DPT-0001", booth=1)
    items = st.desk.svc.station_outbox(0)
    assert [i["kind"] for i in items] == ["roster", "release"]
    method = METHODS["station_outbox"]
    wire = encode_result(method, items)
    assert isinstance(wire[0]["payload"], str)
    assert decode_result(method, wire) == items


def test_a_relay_killed_between_two_sends_and_restarted_queues_every_token_once(tmp_path):
    st = open_station(tmp_path, booths=3)
    for n, voter in enumerate(("DPT-0001", "DPT-0002", "DPT-0003"), start=1):
        st.release(voter, booth=n)
    link = FakeLink()

    class Killed(Exception):
        pass

    sends = 0
    real_send = link.send

    def dying_send(*args, **kw):
        nonlocal sends
        sends += 1
        if sends == 2:
            raise Killed  # kill -9 after the first token is on the link
        return real_send(*args, **kw)

    link.send = dying_send
    with contextlib.suppress(Killed):
        Relay(st.desk.svc, link, "desk").sync_outbox()
    assert len(link.queued) == 1
    link.send = real_send
    Relay(st.desk.svc, link, "desk").sync_outbox()  # restarted: from 0, no state of its own
    Relay(st.desk.svc, link, "desk").sync_outbox()  # and again: nothing new
    releases = [(peer, payload) for peer, kind, payload, _ in link.queued if kind == "release"]
    assert sorted(peer for peer, _ in releases) == ["bilik-1", "bilik-2", "bilik-3"]
    assert len(link.queued) == len(releases) + 6  # and the rosters: 1 + 2 + 3 after the three pairings
    for peer, payload in releases:  # each booth takes its token once
        st.booths[int(peer[-1])].svc.accept_release(payload)
