"""The desk's board of booths on the appliance: the relay writes it, the kiosk reads it.

07:10, the desk's companion has checked a voter in and looks for a free booth.  The kiosk
may not talk to the station link (it could put messages on the network), so the desk's relay
writes the link's view of the booths into /run/booth-board/board.json every second and the
kiosk reads that file.  A relay or link that stopped leaves the file to go stale: every booth
then shows offline and nobody is released to a booth the desk cannot reach.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time

from booth.kiosk.booth_board import FileBoard
from booth.station.board import BOARD_FORMAT, write_board
from booth.station.relay import Relay, run

LINK_STATUS = {
    "role": "desk",
    "peers": {
        "bilik-1": {"status": "free", "since": "2026-12-07T07:01:00Z", "queued": 0, "address": "10.0.0.11"},
        "bilik-2": {"status": "busy", "since": "2026-12-07T07:09:30Z", "queued": 0},
        "bilik-3": {"status": "offline", "since": "2026-12-07T06:58:00Z", "queued": 2},
    },
}


def test_the_kiosk_sees_the_booths_the_link_sees_and_only_what_the_board_shows(tmp_path):
    path = tmp_path / "board.json"
    write_board(path, LINK_STATUS)
    board = FileBoard(path)
    booths = board.booths()
    assert {n: b.status for n, b in booths.items()} == {1: "free", 2: "busy", 3: "offline"}
    assert booths[3].queued == 2 and booths[2].since == "2026-12-07T07:09:30Z"
    assert board.free() == [1]
    assert "address" not in path.read_text()  # nothing of the network beyond the board
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640  # the kiosk's group may read it, nobody else


def test_a_board_the_relay_stopped_writing_shows_every_booth_offline(tmp_path):
    path = tmp_path / "board.json"
    write_board(path, LINK_STATUS, now=time.time() - 60)
    assert FileBoard(path).booths() == {}
    assert FileBoard(path).free() == []


def test_a_missing_damaged_or_foreign_board_releases_nobody(tmp_path):
    path = tmp_path / "board.json"
    assert FileBoard(path).booths() == {}  # the relay has not started yet
    for text in (b"", b"\xff\xfe", b"[]", json.dumps({"format": "x", "at": time.time(), "peers": {}}).encode()):
        path.write_bytes(text)
        assert FileBoard(path).booths() == {}
    odd = {
        "format": BOARD_FORMAT,
        "at": time.time(),
        "peers": {"bilik-1": {"status": "on fire", "since": 5, "queued": -3}, "meja": {"status": "free"}, "x": 1},
    }
    path.write_text(json.dumps(odd))
    booths = FileBoard(path).booths()
    assert list(booths) == [1] and booths[1].status == "offline" and booths[1].since is None
    assert booths[1].queued == 0


class StatusLink:
    """A link that answers ``status`` (and has nothing to deliver)."""

    def __init__(self) -> None:
        self.unconfirmed = None

    def status(self):
        return LINK_STATUS

    def take(self, wait=0):
        return None


class QuietLedger:
    def station_outbox(self, after):
        return []


def test_the_desks_relay_keeps_the_board_fresh_and_a_booths_relay_writes_none(tmp_path):
    desk_board, booth_board = tmp_path / "desk.json", tmp_path / "booth.json"
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=run, args=(Relay(QuietLedger(), StatusLink(), role),), kwargs={"stop": stop.is_set, "board": path}
        )
        for role, path in (("desk", desk_board), ("booth", booth_board))
    ]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 10
        while not desk_board.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        first = json.loads(desk_board.read_text())["at"]
        time.sleep(1.6)
        assert json.loads(desk_board.read_text())["at"] > first  # written again, a second later
        assert FileBoard(desk_board).free() == [1]
        assert not booth_board.exists()
    finally:
        stop.set()
        for t in threads:
            t.join(5)
