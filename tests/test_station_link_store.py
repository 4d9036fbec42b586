"""The station link's store (``link.db``): the rules that make a message arrive once, in order.

The desk's outbox and a booth's inbox as two real SQLite files, driven the way a link does
(``booth/station/link.py``: send after the last ack, store then ack, the hello's ``received`` on
reconnect, ``take`` confirming the one before), with acks lost, links dropped and either side's
process killed (the store opened again from its file) at any step.  Hypothesis picks the steps.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from booth.station.link import LinkStore
from booth.station.transport import FrameError


def test_a_message_is_handed_out_until_confirmed_then_never_again(tmp_path):
    inbox = LinkStore(tmp_path / "link.db")
    inbox.receive("meja", 1, "release", b"R1")
    inbox.receive("meja", 2, "release", b"R2")
    first = inbox.take()
    assert first["id"] == 1 and inbox.take()["id"] == 1  # not confirmed yet: the same again
    assert inbox.take(done=("meja", 1))["id"] == 2
    assert inbox.take(done=("meja", 2)) is None
    inbox.close()
    again = LinkStore(tmp_path / "link.db")  # the link process restarted
    assert again.take() is None


def test_a_replayed_message_is_refused_and_changes_nothing(tmp_path):
    inbox = LinkStore(tmp_path / "link.db")
    inbox.receive("bilik-1", 1, "consumed", b"cast")
    with pytest.raises(FrameError, match="Message 1 from bilik-1 replayed: already received up to 1"):
        inbox.receive("bilik-1", 1, "consumed", b"cast again")
    assert inbox.take()["payload"] == b"cast"
    assert inbox.take(done=("bilik-1", 1)) is None


def test_each_booth_has_its_own_outbox_and_numbers(tmp_path):
    outbox = LinkStore(tmp_path / "link.db")
    assert [outbox.queue("bilik-1", "release", b"a"), outbox.queue("bilik-2", "release", b"b")] == [1, 1]
    assert outbox.queue("bilik-1", "release", b"c") == 2
    outbox.acked_through("bilik-1", 1)
    assert [m[0] for m in outbox.unacked("bilik-1")] == [2]
    assert [m[0] for m in outbox.unacked("bilik-2")] == [1]


class DeskToBooth(RuleBasedStateMachine):
    """The desk queues releases for bilik-1; the network and the processes fail as they like."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile
        from pathlib import Path

        self.dir = Path(tempfile.mkdtemp())
        self.desk = LinkStore(self.dir / "desk.db")
        self.booth = LinkStore(self.dir / "booth.db")
        self.queued: list[bytes] = []
        self.connected = False
        self.sent = 0  # what this link sent (the writer's position)
        self.in_flight: list[int] = []  # sent, not yet arrived
        self.handed: list[tuple[int, bytes]] = []  # what the booth's application was given
        self.confirmed = 0  # the application confirmed every message up to this
        self.last_taken: int | None = None

    # ---- the desk's application
    @rule(payload=st.binary(min_size=1, max_size=8))
    def release(self, payload):
        msg_id = self.desk.queue("bilik-1", "release", payload)
        self.queued.append(payload)
        assert msg_id == len(self.queued)

    # ---- the network
    @rule()
    def connect(self):
        """A new link: the hello says what the booth holds; sending starts after it."""
        received = self.booth.last_received("meja")
        self.desk.acked_through("bilik-1", received)
        self.connected, self.sent, self.in_flight = True, received, []

    @precondition(lambda self: self.connected)
    @rule(n=st.integers(1, 4))
    def send(self, n):
        for msg_id, _, _ in self.desk.unacked("bilik-1", after=self.sent)[:n]:
            self.in_flight.append(msg_id)
            self.sent = msg_id

    @precondition(lambda self: self.connected and self.in_flight)
    @rule(ack_lost=st.booleans())
    def arrive(self, ack_lost):
        msg_id = self.in_flight.pop(0)
        _, kind, payload = next(m for m in self.desk.unacked("bilik-1", after=msg_id - 1) if m[0] == msg_id)
        self.booth.receive("meja", msg_id, kind, payload)  # stored before the ack
        if not ack_lost:
            self.desk.acked_through("bilik-1", msg_id)

    @rule()
    def drop(self):
        self.connected, self.in_flight = False, []

    # ---- the processes
    @rule()
    def kill_booth(self):
        self.booth.close()
        self.booth = LinkStore(self.dir / "booth.db")
        self.connected, self.in_flight = False, []
        self.last_taken = None  # the application's link to it was cut too: nothing confirmed in flight

    @rule()
    def kill_desk(self):
        self.desk.close()
        self.desk = LinkStore(self.dir / "desk.db")
        self.connected, self.in_flight = False, []

    # ---- the booth's application
    @rule(confirm=st.booleans())
    def take(self, confirm):
        done = ("meja", self.last_taken) if (confirm and self.last_taken is not None) else None
        if done is not None:
            self.confirmed = max(self.confirmed, done[1])
        message = self.booth.take(done)
        if message is not None:
            assert message["id"] > self.confirmed, "a confirmed message was handed out again"
            self.handed.append((message["id"], message["payload"]))
            self.last_taken = message["id"]

    @invariant()
    def in_order_and_as_queued(self):
        ids = [i for i, _ in self.handed]
        assert ids == sorted(ids)
        for msg_id, payload in self.handed:
            assert payload == self.queued[msg_id - 1]

    def teardown(self):
        # The day ends well: the link comes up and stays up until everything is through.
        self.connect()
        while self.desk.unacked("bilik-1"):
            self.send(8)
            while self.in_flight:
                self.arrive(False)
        while True:
            before = len(self.handed)
            self.take(True)
            if len(self.handed) == before:
                break
        assert sorted({i for i, _ in self.handed}) == list(range(1, len(self.queued) + 1))  # none lost
        self.desk.close()
        self.booth.close()


TestDeskToBooth = DeskToBooth.TestCase
TestDeskToBooth.settings = settings(max_examples=30, stateful_step_count=30, deadline=None)


def test_a_send_with_a_ref_already_queued_is_the_same_message_even_after_a_restart(tmp_path):
    outbox = LinkStore(tmp_path / "link.db")
    assert outbox.queue("bilik-2", "release", b"T17", ref="release:17") == 1
    assert outbox.queue("bilik-2", "release", b"T17", ref="release:17") == 1  # the relay sent it again
    assert outbox.queue("bilik-3", "release", b"T17", ref="release:17") == 1  # another peer: its own queue
    assert outbox.queue("bilik-2", "cancel", b"C17", ref="cancel:21") == 2
    assert outbox.queue("bilik-2", "watch.ask", b"0") == 3  # no ref: always queued
    outbox.acked_through("bilik-2", 3)
    outbox.close()
    again = LinkStore(tmp_path / "link.db")  # the link restarted; the ack does not forget the ref
    assert again.queue("bilik-2", "release", b"T17", ref="release:17") == 1
    assert again.unacked("bilik-2") == [] and again.last_queued("bilik-2") == 3


def test_a_link_db_from_before_refs_gets_the_column_and_keeps_its_messages(tmp_path):
    import sqlite3

    old = sqlite3.connect(tmp_path / "link.db")
    old.executescript(
        "CREATE TABLE outbox (peer TEXT NOT NULL, id INTEGER NOT NULL, kind TEXT NOT NULL, payload BLOB NOT NULL,"
        " queued TEXT NOT NULL, acked TEXT, PRIMARY KEY (peer, id)) WITHOUT ROWID;"
        "INSERT INTO outbox VALUES ('bilik-1', 1, 'release', X'5431', '2026-12-07T08:00:00Z', NULL);"
    )
    old.commit()
    old.close()
    store = LinkStore(tmp_path / "link.db")
    assert store.unacked("bilik-1") == [(1, "release", b"T1")]
    assert store.queue("bilik-1", "release", b"T2", ref="release:9") == 2
    assert store.queue("bilik-1", "release", b"T2", ref="release:9") == 2
