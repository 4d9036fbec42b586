"""The polling station's acts through the ledger socket: a desk and a booth, each a real service process.

The kiosks of a desk and of a booth reach their ledger only through ``booth service ledger``'s
socket, so every station act (pairing, releases, outcomes, cancels, the photo, the station's
results) is served there, with typed and bounded parameters; signed tokens travel as base64 and
arrive as the same bytes.  Each device still refuses the other role's acts, with its reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from booth.api.schema import MAX_BOOTHS, METHODS, STATEMENT_CHARS, STATION_MESSAGE_BYTES
from booth.errors import BoothError, NotAllowed
from station_processes import ProcessStation
from test_api_server import raw_call, raw_connect

#: what the refusal of a booth bundle missing from the stick tells the companion to do
EXPORT_AT_THE_BOOTH_ID = ": di bilik itu, pilih “Ekspor hasil” ke flashdisk ini"
EXPORT_AT_THE_BOOTH_EN = ": at that booth, choose “Export the results” onto this stick"


@pytest.fixture(scope="module")
def station():
    root = Path(tempfile.mkdtemp(prefix="booth-api-station-"))
    st = ProcessStation.open(root, booths=1)
    yield st
    st.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_the_station_limits_in_the_schema_are_the_cores():
    from booth.service.station import MAX_BOOTHS as CORE_MAX_BOOTHS
    from booth.station.release import MAX_MESSAGE_BYTES

    assert MAX_BOOTHS == CORE_MAX_BOOTHS
    assert STATION_MESSAGE_BYTES == MAX_MESSAGE_BYTES
    assert STATEMENT_CHARS == 8192  # station_results refuses a longer statement as missing


def test_a_voter_released_at_the_desk_votes_at_the_booth_and_the_desk_hears_it(station):
    desk, booth = station.desk.client, station.booths[1].client
    release = station.release("DPT-0001", booth=1)
    assert isinstance(release["token"], bytes) and release["token"].startswith(b"{")
    assert b"DPT-0001" not in release["token"]  # no voter in the token
    accepted = booth.accept_release(release["token"])
    assert accepted["release"] == release["release"]
    outcome = station.cast_at_booth(1, release["release"], "2")
    returned = desk.release_returned(outcome)
    assert returned == {**returned, "outcome": "cast", "photo": True, "after_cancel": False}
    assert desk.release_returned(outcome)["outcome"] == "cast"  # a retry changes nothing
    station.photo(release["release"])
    assert desk.counts()["voted"] == 1
    assert booth.counts()["ballots_cast"] == 1


def test_a_replayed_token_is_refused_by_the_booth_with_its_reason(station):
    release = station.release("DPT-0002", booth=1)
    booth = station.booths[1].client
    booth.accept_release(release["token"])
    station.desk.client.release_returned(station.cast_at_booth(1, release["release"], "1"))
    with pytest.raises(BoothError) as refused:
        booth.accept_release(release["token"])
    assert refused.value.message_en == "This release was already used: one release, one ballot"
    assert booth.counts()["ballots_cast"] == 2


def test_a_booth_refuses_the_desks_acts_and_the_desk_the_booths(station):
    booth, desk = station.booths[1].client, station.desk.client
    token = station.booths[1].token()
    with pytest.raises(NotAllowed) as refused:
        booth.issue_release(token, "DPT-0003", 1)
    assert refused.value.message_en == "Only the check-in desk does this"
    assert refused.value.message_id == "Hanya meja pendaftaran yang melakukan ini"
    with pytest.raises(NotAllowed) as refused:
        booth.check_in(token, "DPT-0003")
    with pytest.raises(NotAllowed) as refused:
        desk.accept_release(b'{"body":{},"sig":""}')
    assert refused.value.message_en == "Only a booth does this"
    with pytest.raises(NotAllowed):
        desk.cast("R0001", "1")


def test_a_cancel_after_the_timeout_reaches_the_booth_as_a_notice_and_its_token_is_stale(station):
    desk, booth = station.desk.client, station.booths[1].client
    release = station.release("DPT-0004", booth=1)
    with pytest.raises(BoothError):  # before the timeout the booth may still be using it
        desk.cancel_station_release(station.desk.token(), release["release"], "bilik mati")
    station.advance(301)
    cancelled = desk.cancel_station_release(station.desk.token(), release["release"], "bilik mati")
    assert isinstance(cancelled["notice"], bytes)
    assert booth.release_revoked(cancelled["notice"]) == {"release": release["release"], "revoked": True}
    with pytest.raises(BoothError) as refused:
        booth.accept_release(release["token"])
    assert "cancel" in refused.value.message_en.lower(), refused.value.message_en
    assert booth.counts()["ballots_cast"] == 2


def test_station_params_are_typed_and_bounded_before_the_booth_sees_them(station):
    sock = raw_connect(station.booths[1].ledger.socket)
    try:
        too_long = base64.b64encode(b"x" * (STATION_MESSAGE_BYTES + 1)).decode()
        cases = [
            ("accept_release", {"token": "not base64!"}, "bad_base64"),
            ("accept_release", {"token": too_long}, "too_long"),
            ("release_revoked", {"notice": 12}, "wrong_type"),
            ("issue_release", {"token": "t", "voter_ref": "DPT-0001", "booth": MAX_BOOTHS + 1}, "out_of_range"),
            ("station_results", {"token": "t", "closings": {"7": "x"}}, "bad_booth_number"),
            ("station_results", {"token": "t", "closings": {"1": "x" * (STATEMENT_CHARS + 1)}}, "too_long"),
            ("station_results", {"token": "t", "closings": ["x"]}, "wrong_type"),
            ("station_results", {"token": "t", "closings": {"2": []}}, "wrong_type"),
            ("station_results", {"token": "t", "closings": {"2": ["x"] * 4}}, "too_many_items"),
            ("station_results", {"token": "t", "closings": {"2": ["x", 7]}}, "wrong_type"),
            ("pair_desk", {"token": "t", "desk_verifier_key": "k", "number": 1, "code": "1" * 21}, "too_long"),
        ]
        before = station.booths[1].client.counts()
        for i, (method, params, problem) in enumerate(cases):
            answer = raw_call(sock, {"id": i, "method": method, "params": params})
            assert answer["error"]["code"] == "bad_params", (method, answer)
            assert answer["error"]["details"]["problem"] == problem, (method, answer)
            assert answer["error"]["message_id"].startswith("Permintaan ditolak"), answer
        assert station.booths[1].client.counts() == before
    finally:
        sock.close()


def test_a_forged_outcome_is_refused_by_the_desk(station):
    body = {"booth": "x", "desk": "y", "election": "z", "release": "r", "outcome": "cast", "spoils": 0}
    forged = json.dumps({"body": body, "sig": base64.b64encode(b"\0" * 64).decode()}).encode()
    with pytest.raises(BoothError) as refused:
        station.desk.client.release_returned(forged)
    assert refused.value.message_en, "refused with its reason"


def test_every_station_act_is_in_the_table():
    from booth.station.roles import BOOTH_ACTS, DESK_ACTS, STATION_ACTS

    assert set(DESK_ACTS + BOOTH_ACTS + STATION_ACTS) <= set(METHODS)
    assert METHODS["issue_release"].bytes_fields == ("token",)
    assert METHODS["release_outcome"].result == "bytes"


def test_the_desk_builds_the_station_results_from_the_booths_closings(station):
    closings = station.close_and_collect()
    summary = station.desk.client.station_results(station.desk.token(), {str(n): t for n, t in closings.items()})
    assert summary["votes"] >= 2
    assert json.loads(summary["document"])["body"]["votes"] == summary["votes"]
    station.set_time(station.now + dt.timedelta(minutes=1))


def test_the_desk_exports_the_station_bundle_from_the_booths_bundles_on_its_stick(station, tmp_path):
    """The ledger service sees no stick: the kiosk carries the stick's zips to it and writes the answer back."""
    import subprocess
    import sys

    if station.desk.client.status()["polls"] != "counted":
        station.close_and_collect()
    stick = tmp_path / "stick"
    stick.mkdir()
    desk, booth = station.desk, station.booths[1]
    token = desk.token()
    desk.client.results_printed(token)
    with pytest.raises(BoothError) as refused:  # booth 1 has not exported onto this stick yet
        desk.client.export_station(token, str(stick))
    assert refused.value.message_en == "Booth 1's results bundle is not on the USB stick" + EXPORT_AT_THE_BOOTH_EN
    assert list(stick.iterdir()) == []
    booth_token = booth.token()
    booth.client.results_printed(booth_token)
    booth.client.export(booth_token, str(stick / "hasil-bilik-1.zip"))
    path = Path(desk.client.export_station(token, str(stick)))
    assert path.parent == stick and path.name.startswith("TPS01-")
    assert sorted(p.name for p in stick.iterdir()) == sorted(["hasil-bilik-1.zip", path.name])
    out = subprocess.run([sys.executable, "-m", "booth", "verify", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
