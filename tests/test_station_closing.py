"""The evening at the desk: each booth's closing comes over the link, not on a slip of paper.

Booth 1 and booth 2 close and count; each one's outbox then holds its signed results statement
for the desk (``closing``), the desk's relay hands it to ``closing_received``, and the desk's
station results are built from what came over the link (docs/station.md, "The station's results").
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from booth.errors import BoothError
from booth.station.relay import Relay
from service_day import KETUA, closes_at
from station_day import open_station


class OneMessageLink:
    """A link that hands the relay the messages given to it, one per take."""

    def __init__(self, messages: list[dict]) -> None:
        self.messages = list(messages)
        self.unconfirmed = None

    def take(self, wait: int = 0):
        return self.messages.pop(0) if self.messages else None


def count_booth(st, n: int) -> dict:
    device = st.booths[n]
    token = device.sign_in(KETUA)
    device.svc.close_polls(token, None)
    device.svc.count(token)
    return device.svc.results()


@pytest.fixture
def evening(tmp_path):
    st = open_station(tmp_path, booths=2)
    st.vote("DPT-0001", booth=1, choice="1")
    st.vote("DPT-0002", booth=2, choice="2")
    st.vote("DPT-0003", booth=1, choice="2")
    st.clock.set(closes_at() + dt.timedelta(minutes=1))
    yield st
    st.close()


def closing_item(st, n: int) -> dict:
    items = [i for i in st.booths[n].svc.station_outbox(0) if i["kind"] == "closing"]
    assert len(items) == 1
    return items[0]


def test_a_booth_that_counted_sends_its_signed_results_to_the_desk(evening):
    st = evening
    assert not [i for i in st.booths[1].svc.station_outbox(0) if i["kind"] == "closing"]  # not before the count
    results = count_booth(st, 1)
    item = closing_item(st, 1)
    assert (item["to"], item["ref"]) == ("meja", f"closing:{item['index']}")
    assert item["payload"] == results["statement"].encode()
    assert closing_item(st, 1) == item  # asked again (a restarted relay): the same bytes, the same ref


def test_the_desk_builds_the_station_results_from_the_closings_that_came_over_the_link(evening, tmp_path):
    st = evening
    handed = {n: count_booth(st, n)["statement"] for n in (1, 2)}
    link = OneMessageLink(
        [{"from": f"bilik-{n}", "kind": "closing", "payload": closing_item(st, n)["payload"]} for n in (1, 2)]
    )
    relay = Relay(st.desk.svc, link, "desk")
    got = [relay.pump(), relay.pump()]
    assert [g["result"]["booth"] for g in got] == [1, 2]
    assert not relay.refused
    token = st.token()
    st.desk.svc.close_polls(token)
    st.restart()  # the desk keeps what it received: it is in its log
    token = st.token()
    summary = st.desk.svc.station_results(token, {})
    assert sum(summary["tally"].values()) == 3 and summary["tally"]["2"] == 2
    assert summary["balanced"]
    received = [e for e in st.desk.svc.ledger.entries() if e.type == "station.closing_received"]
    assert [e.payload["statement"] for e in received] == [handed[1], handed[2]]
    same = st.desk.svc.station_results(token, handed)  # handed in by hand: the very same results
    assert same["document"] == summary["document"]
    st.desk.svc.count(token)
    st.desk.svc.results_printed(token)
    desk_zip = st.desk.svc.export(token, str(tmp_path / "desk.zip"))
    verified = subprocess.run([sys.executable, "-m", "booth", "verify", desk_zip], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr  # the verifier follows the new event


def test_the_same_closing_twice_is_received_once(evening):
    st = evening
    count_booth(st, 1)
    payload = closing_item(st, 1)["payload"]
    first = st.desk.svc.closing_received(payload)
    size = st.desk.svc.ledger.size
    assert st.desk.svc.closing_received(payload) == first
    assert st.desk.svc.ledger.size == size


def test_the_desk_refuses_the_results_while_a_booths_closing_has_not_come(evening):
    st = evening
    count_booth(st, 1)
    st.desk.svc.closing_received(closing_item(st, 1)["payload"])
    token = st.token()
    st.desk.svc.close_polls(token)
    with pytest.raises(BoothError) as refused:
        st.desk.svc.station_results(token, {})
    assert refused.value.message_id == "Hasil bilik 2 belum diserahkan ke meja"


def test_a_closing_signed_by_no_booth_of_this_desk_or_unreadable_is_refused_and_changes_nothing(evening, tmp_path):
    st = evening
    other = open_station(tmp_path / "other", booths=1)
    other.vote("DPT-0001", booth=1, choice="1")
    other.clock.set(closes_at() + dt.timedelta(minutes=1))
    foreign = count_booth(other, 1)["statement"].encode()
    other.close()
    size = st.desk.svc.ledger.size
    with pytest.raises(BoothError) as refused:
        st.desk.svc.closing_received(foreign)
    assert "bukan dari bilik yang dipasangkan" in refused.value.message_id
    with pytest.raises(BoothError) as refused:
        st.desk.svc.closing_received(b"\xff\xfe not a statement")
    assert refused.value.message_en == "The booth's results sent to the desk cannot be read"
    assert st.desk.svc.ledger.size == size
    with pytest.raises(BoothError):
        st.booths[1].svc.closing_received(foreign)  # a booth takes no closings


def test_the_verifier_refuses_a_closing_from_an_unpaired_device_or_with_a_digest_not_its_own():
    import hashlib

    from booth.ledger.station_log import StationFacts, follow

    problems: list[str] = []
    facts = StationFacts(role="desk")
    follow(
        lambda where, p: problems.append(p), "desk", "station.booth_paired", {"booth": 1, "fingerprint": "aa"}, facts
    )
    text = "a statement"
    good = {"booth": 1, "device": "aa", "statement": text, "sha256": hashlib.sha256(text.encode()).hexdigest()}
    follow(lambda where, p: problems.append(p), "desk", "station.closing_received", good, facts)
    assert problems == []
    for bad in ({**good, "device": "bb"}, {**good, "booth": 2}, {**good, "sha256": "00" * 32}):
        follow(lambda where, p: problems.append(p), "desk", "station.closing_received", bad, facts)
    assert problems == [
        "a closing received from a device the desk never paired as booth 1",
        "a closing received from a device the desk never paired as booth 2",
        "a closing received whose SHA-256 is not its statement's",
    ]
