"""A station day through real processes: a desk and 3 booths, each its own state directory, ledger
service and link process on loopback, with a relay on each device carrying the signed messages.

The driver plays the kiosks: it checks voters in and releases them at the desk's ledger, hands the
token to the desk's relay (onto the link), and at each booth lets the relay take the token into
the booth's ledger before the voter casts; the booth's outcome goes back the same way.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from booth.station.bundle import write_station_bundle
from booth.station.relay import Relay
from booth_sim.station_links import StationLinks
from station_processes import ProcessStation

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


class Day:
    """The station's processes and one relay per device."""

    def __init__(self, root: Path, booths: int = 3) -> None:
        self.st = ProcessStation.open(root / "dev", booths)
        keys = {"meja": self.st.desk.ledger.state / "device.key"}
        keys.update({f"bilik-{n}": d.ledger.state / "device.key" for n, d in self.st.booths.items()})
        self.links = StationLinks(booths, keys=keys).start()
        for n in self.st.booths:
            self.links.wait_status(f"bilik-{n}", "free")
        self.desk = Relay(self.st.desk.client, self.links.desk.client, "desk")
        self.booths = {
            n: Relay(d.client, self.links.booth(f"bilik-{n}").client, "booth") for n, d in self.st.booths.items()
        }
        self.desk.sync_outbox()  # the desk's roster after each pairing: booth n gets one per pairing from n on
        for n in self.booths:
            for _ in range(booths - n + 1):
                assert self.at_booth(n)["kind"] == "roster"

    def at_booth(self, n: int) -> dict:
        """The booth's relay takes what its link brought (the release) into its ledger."""
        got = self.booths[n].pump(wait=10)
        assert got is not None, f"nothing reached booth {n}"
        return got

    def at_desk(self) -> dict:
        got = self.desk.pump(wait=10)
        assert got is not None, "nothing reached the desk"
        return got

    def vote(self, voter: str, booth: int, choice: str) -> str:
        release = self.st.release(voter, booth)
        self.desk.sync_outbox()  # the desk's relay: what the ledger issued goes onto the link
        got = self.at_booth(booth)
        assert got["result"]["release"] == release["release"], got
        self.st.cast_at_booth(booth, release["release"], choice)
        self.booths[booth].sync_outbox()  # the booth's relay: the signed outcome
        assert self.at_desk()["result"]["outcome"] == "cast"
        self.st.photo(release["release"])
        return release["release"]

    def close(self) -> None:
        self.links.close()
        self.st.stop()


@pytest.fixture
def day():
    root = Path(tempfile.mkdtemp(prefix="sp", dir="/tmp"))
    d = Day(root)
    yield d
    d.close()
    shutil.rmtree(root, ignore_errors=True)


def test_a_station_day_of_30_voters_through_the_processes_reconciles_and_its_bundle_verifies(day, tmp_path):
    rng = random.Random(12)
    choices: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for i in range(30):
        booth = i % 3 + 1
        choice = rng.choice(["1", "2", "3"])
        day.vote(f"DPT-{i + 1:04d}", booth, choice)
        choices[booth].append(choice)
    st = day.st
    assert st.desk.client.counts()["voted"] == 30
    closings = st.close_and_collect()
    for n in st.booths:  # each booth's relay sends its closing; the desk's relay takes it in
        day.booths[n].sync_outbox()
    got = sorted(day.at_desk()["result"]["booth"] for _ in st.booths)
    assert got == [1, 2, 3]
    token = st.desk.token()
    summary = st.desk.client.station_results(token, {})  # nothing handed in: what came over the link
    assert sorted(summary["booths"]) == ["1", "2", "3"] and len(closings) == 3
    made = {c: sum(v.count(c) for v in choices.values()) for c in ("1", "2", "3")}
    assert {k: v for k, v in summary["tally"].items() if k in made} == made
    assert summary["balanced"]
    for n, row in summary["booths"].items():
        assert row["releases"]["issued"] == 10 and row["releases"]["cast"] == 10, (n, row)
    st.desk.client.results_printed(token)
    exports = tmp_path / "exports"
    exports.mkdir()
    booths = {}
    for n, device in st.booths.items():
        t = device.token()
        device.client.results_printed(t)
        booths[n] = Path(device.client.export(t, str(exports / f"booth-{n}.zip"))).read_bytes()
    desk = Path(st.desk.client.export(token, str(exports / "desk.zip"))).read_bytes()
    station = write_station_bundle(tmp_path / "STATION.zip", desk=desk, booths=booths, results=summary["document"])
    verified = subprocess.run([sys.executable, "-m", "booth", "verify", str(station)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_booth_ledger_killed_mid_session_comes_back_and_the_voter_is_counted_once(day):
    release = day.st.release("DPT-0101", 2)
    day.desk.sync_outbox()
    day.at_booth(2)
    day.st.booths[2].kill()  # kill -9 with the voter at the ballot, before the cast
    day.st.booths[2].restart(day.st.now)  # systemd restarts it: the open release is cancelled
    day.booths[2].ledger = day.st.booths[2].client
    day.booths[2].sync_outbox()
    day.booths[2].sync_outbox()  # the relay, restarted, sends from 0 again: the link queues nothing new
    assert day.at_desk()["result"]["outcome"] == "cancelled"
    assert day.desk.pump(wait=1) is None
    outcome = day.st.booths[2].client.release_outcome(release["release"])
    day.links.booth("bilik-2").client.send("meja", "outcome", outcome)  # told twice anyway (no ref)
    assert day.at_desk()["result"]["outcome"] == "cancelled"  # the same answer, nothing changed
    again = day.st.desk.client.issue_release(day.st.desk.token(), "DPT-0101", 3)  # sent to booth 3
    day.desk.sync_outbox()
    day.at_booth(3)
    day.st.cast_at_booth(3, again["release"], "1")
    day.booths[3].sync_outbox()
    assert day.at_desk()["result"]["outcome"] == "cast"
    day.links.desk.client.send("bilik-2", "release", release["token"])  # the first token, replayed: refused
    assert day.at_booth(2)["refused"]
    assert day.st.desk.client.counts()["voted"] == 1
    assert day.st.booths[2].client.counts()["ballots_cast"] == 0
    assert day.st.booths[3].client.counts()["ballots_cast"] == 1


def test_a_release_sent_while_the_booths_link_is_down_is_delivered_once_when_it_is_back(day):
    day.links.booth("bilik-1").kill()
    day.links.wait_status("bilik-1", "offline")
    release = day.st.release("DPT-0102", 1)
    day.desk.sync_outbox()  # queued at the desk
    day.links.booth("bilik-1").start()
    day.booths[1].link = day.links.booth("bilik-1").client
    assert day.at_booth(1)["result"]["release"] == release["release"]
    assert day.booths[1].pump(wait=1) is None  # once
    day.st.cast_at_booth(1, release["release"], "2")
    day.booths[1].sync_outbox()
    assert day.at_desk()["result"]["outcome"] == "cast"
    assert day.st.booths[1].client.counts()["ballots_cast"] == 1


def test_replayed_forged_stale_and_misdirected_tokens_are_refused_with_their_reasons(day):
    st = day.st
    first = day.vote("DPT-0103", 1, "1")
    assert first
    # replayed: the same token sent again over the link
    used = st.release("DPT-0104", 3)
    day.desk.sync_outbox()
    day.at_booth(3)
    st.cast_at_booth(3, used["release"], "3")
    day.desk.sync_outbox()  # the relay again: the same ref, nothing sent
    day.links.desk.client.send("bilik-3", "release", used["token"])  # replayed by hand
    assert day.at_booth(3)["refused"] == "This release was already used: one release, one ballot"
    # for another booth: booth 2's token sent to booth 1
    other = st.release("DPT-0105", 2)
    day.links.desk.client.send("bilik-1", "release", other["token"])
    assert "another booth" in day.at_booth(1)["refused"].lower()
    # forged: signed by a key that is not the desk's
    from booth.ledger.keys import DeviceKey
    from booth.station import release as msg

    body = msg.peek("release", other["token"])
    forger = DeviceKey.create(Path(tempfile.mkdtemp(prefix="forger")) / "device.key")
    forged = msg.sign("release", body, forger)
    day.links.desk.client.send("bilik-2", "release", forged)
    assert day.at_booth(2)["refused"]
    # stale: cancelled at the desk after its timeout, the notice reaches booth 2 first
    st.advance(301)
    cancelled = st.desk.client.cancel_station_release(st.desk.token(), other["release"], "bilik tidak menjawab")
    # (by hand, not the desk's relay: the race where the notice overtakes its token)
    day.links.desk.client.send("bilik-2", "cancel", cancelled["notice"])
    assert day.at_booth(2)["result"]["revoked"] is True
    day.links.desk.client.send("bilik-2", "release", other["token"])
    assert day.at_booth(2)["refused"]
    assert st.booths[2].client.counts()["ballots_cast"] == 0
    assert st.booths[1].client.counts()["ballots_cast"] == 1
    assert st.desk.client.counts()["voted"] == 1
    assert len(day.booths[1].refused) == 1 and len(day.booths[2].refused) == 2 and len(day.booths[3].refused) == 1


def carry(day, until, timeout: float = 30.0) -> list[tuple[str, dict]]:
    """Every relay pumps what its link brought until ``until(got)`` (whatever order the links bring it in)."""
    import time

    relays = {"meja": day.desk, **{f"bilik-{n}": r for n, r in day.booths.items()}}
    got: list[tuple[str, dict]] = []
    deadline = time.monotonic() + timeout
    while not until(got):
        assert time.monotonic() < deadline, got
        moved = False
        for name, relay in relays.items():
            while (outcome := relay.pump(wait=0)) is not None:
                got.append((name, outcome))
                moved = True
        if not moved:
            time.sleep(0.05)
    return got


def watch_round(day) -> list[tuple[str, str, dict]]:
    """Every device asks every other one for its checkpoint (a booth its sibling booths through the
    desk); the answers are cosigned and recorded.

    Returns (watcher, watched, watch_peer's result) for each cosignature made."""
    relays = [day.desk, *day.booths.values()]
    for relay in relays:
        for peer in relay.watched():
            relay.ask_checkpoint(peer)
    wanted = len(relays) * (len(relays) - 1)

    def judged(got):
        offers = [(w, o.get("result") or {}) for w, o in got if o["kind"].endswith("watch.offer")]
        return [(w, r["label"], r) for w, r in offers if "cosignature" in r]  # at the desk, forwarded ones too

    got = carry(day, lambda got: len(judged(got)) == wanted)
    assert not [o for _, o in got if "refused" in o], got
    return judged(got)


def test_cosignatures_flow_during_the_day_and_verify(day):
    from booth.ledger import keys
    from booth.witness.cosign import check_cosignature, cosigner_verifier_key

    def cosigner(device) -> str:
        origin, public_key = keys.load_verifier_key(device.verifier_key())
        return cosigner_verifier_key(origin, public_key)

    devices = {"meja": day.st.desk, **{f"bilik-{n}": d for n, d in day.st.booths.items()}}
    day.vote("DPT-0111", 1, "2")
    first = watch_round(day)
    day.vote("DPT-0112", 2, "3")
    second = watch_round(day)
    for watcher, watched, result in first + second:
        check_cosignature(result["checkpoint"], result["cosignature"], cosigner(devices[watcher]))
        assert result["checkpoint"].startswith(keys.load_verifier_key(devices[watched].verifier_key())[0])
    sizes = {(w, d): r["size"] for w, d, r in second}
    assert all(sizes[(w, d)] > r["size"] for w, d, r in first if d == "bilik-2" or w == "bilik-2")
    seen = day.st.desk.client.peers_seen()
    assert sorted(seen) == ["bilik-1", "bilik-2", "bilik-3"]
    for n in day.booths:  # each booth saw the desk and its two sibling booths
        seen = day.st.booths[n].client.peers_seen()
        assert sorted(seen) == sorted({"meja", "bilik-1", "bilik-2", "bilik-3"} - {f"bilik-{n}"})
        assert all(seen[d]["size"] == sizes[(f"bilik-{n}", d)] for d in seen)


def test_a_booth_rolled_back_to_an_earlier_copy_is_caught_by_the_desk_and_by_another_booth(day):
    booth = day.st.booths[1]
    booth.stop()
    copy = booth.ledger.workdir / "state-copy"
    shutil.copytree(booth.ledger.state, copy)  # the earlier copy, taken mid-day
    booth.restart(day.st.now)
    day.booths[1].ledger = booth.client
    day.vote("DPT-0121", 1, "1")
    day.vote("DPT-0122", 1, "2")
    watch_round(day)  # the desk has seen booth 1 with both ballots
    booth.stop()
    shutil.rmtree(booth.ledger.state)
    shutil.copytree(copy, booth.ledger.state)  # put back: the two ballots are gone from it
    booth.restart(day.st.now)
    day.booths[1].ledger = booth.client
    day.desk.ask_checkpoint("bilik-1")
    assert "offered" in day.at_booth(1)["result"]
    caught = day.at_desk()
    assert "bilik-1" in caught["refused"] and "Alarm" in caught["refused"], caught
    day.booths[2].ask_checkpoint("bilik-1")  # booth 2 asks too, through the desk
    got = carry(day, lambda got: any(w == "bilik-2" for w, _ in got))
    (caught,) = [o for w, o in got if w == "bilik-2"]
    assert "bilik-1" in caught["refused"] and "went back" in caught["refused"], caught
    assert [o["result"]["to"] for w, o in got if w == "meja"] == ["bilik-1", "bilik-2"]  # the desk carried it
    assert booth.client.counts()["ballots_cast"] == 0
    assert day.st.desk.client.counts()["voted"] == 2  # the desk's record stands


def start_relay(day, n: int) -> subprocess.Popen:
    """``booth station relay`` for booth ``n``, a process of its own (as under systemd)."""
    argv = [sys.executable, "-m", "booth", "station", "relay", "--role", "booth", "--watch-every", "0"]
    argv += ["--socket", str(day.st.booths[n].ledger.socket), "--control", str(day.links.booth(f"bilik-{n}").control)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def wait_for(check, timeout: float = 20.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.1)
    raise AssertionError("never happened")


def test_the_relay_process_killed_at_any_time_loses_nothing_and_doubles_nothing(day):
    booth = day.st.booths[1].client
    relay = start_relay(day, 1)
    try:
        for i in range(3):
            release = day.st.release(f"DPT-02{i:02d}", 1)
            day.desk.sync_outbox()
            if i == 1:  # kill -9 of the relay with the token on its way; systemd starts it again
                relay.kill()
                relay.wait(timeout=10)
                relay = start_relay(day, 1)
            wanted = release["release"]
            wait_for(lambda wanted=wanted: booth.voter_screen().get("release") == wanted or None)
            day.st.cast_at_booth(1, release["release"], "2")
            assert day.at_desk()["result"]["outcome"] == "cast"  # the relay process sent the outcome
        day.links.desk.client.send("bilik-1", "release", release["token"])  # the last token again: refused
        wait_for(lambda: day.links.desk.status()["peers"]["bilik-1"]["queued"] == 0 or None)
        assert booth.voter_screen() == {"screen": "waiting"}
        assert booth.counts()["ballots_cast"] == 3
        assert day.st.desk.client.counts()["voted"] == 3
    finally:
        relay.kill()
        relay.wait(timeout=10)
