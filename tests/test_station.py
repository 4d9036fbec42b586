"""A polling station of a check-in desk and booths: roles, pairing, and releases as signed tokens.

Scenarios from the day (issue #12): a voter released to booth 2 votes there; a replayed token, a
forged one, one for another booth, an expired one are each refused with the reason and change
nothing; the desk cancels a release after its timeout and the booth, back, refuses it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from booth.errors import BoothError
from booth.ledger.keys import DeviceKey
from booth.ledger.verify import DatabaseSource, verify
from booth.station import release as msg
from service_day import JPEG, KETUA, closes_at, demo_package, ready_to_vote, vote, walk_custody
from station_day import STATION_SETTINGS, cloned_station, make_device, open_station, pair


@pytest.fixture
def station(tmp_path):
    st = cloned_station(tmp_path, booths=3)  # a copy of one station built per test process
    yield st
    st.close()


def refused(call, *args) -> BoothError:
    with pytest.raises(BoothError) as info:
        call(*args)
    return info.value


def log_size(device) -> int:
    return device.svc.ledger.size


def verified(device):
    report = verify(DatabaseSource(conn=device.svc.ledger.connection))
    assert report.ok, report.problems
    return report


# ------------------------------------------------------------------ roles
def test_an_all_in_one_device_is_single_and_its_first_event_is_as_before(tmp_path):
    booth = ready_to_vote(tmp_path / "single")
    assert booth.svc.status()["role"] == "single"
    assert "role" not in booth.svc.ledger.entry(0).payload
    err = refused(booth.svc.accept_release, b"{}")
    assert err.message_en == "A single device is not paired with a desk or other booths"
    vote(booth.svc, "DPT-0001", "2")  # the day as always


def test_each_device_of_a_station_shows_its_role(station):
    assert station.desk.svc.status()["role_words"] == ("Meja pendaftaran", "Check-in desk")
    assert station.booths[1].svc.status()["role_words"] == ("Bilik suara", "Voting booth")
    assert station.booths[1].svc.ledger.entry(0).payload["role"] == "booth"


def test_a_booth_keeps_no_voter_roll_and_no_photo(station):
    booth = station.booths[1]
    assert not (booth.state_dir / "election" / "dpt.csv").exists()
    assert not (booth.state_dir / "vault.db").exists()
    assert booth.svc.counts()["dpt"] is None and booth.svc.counts()["voted"] == 0
    token = booth.sign_in(KETUA)
    before = log_size(booth)
    for call, args in [
        (booth.svc.check_in, (token, "DPT-0001")),
        (booth.svc.search_voters, (token, "Siti")),
        (booth.svc.release_ballot, (token, "DPT-0001")),
        (booth.svc.view_photo, (token, "DPT-0001")),
    ]:
        err = refused(call, *args)
        assert err.message_id == "Bilik suara tidak menyimpan data pemilih: lakukan di meja pendaftaran"
    assert log_size(booth) == before
    # restarted, it still reads its package without the DPT
    booth.restart()
    assert booth.svc.package.voters == () and booth.svc.package.election_id == demo_package()[2].election_id


def test_a_desk_keeps_no_ballot(station):
    desk = station.desk
    assert desk.svc.ledger.empty_slots == 0 and desk.svc.ledger.ballots_cast == 0
    token = desk.sign_in(KETUA)
    desk.svc.check_in(token, "DPT-0001")
    err = refused(desk.svc.release_ballot, token, "DPT-0001")
    assert err.message_en == "The check-in desk keeps no ballots: the voter votes in a booth"
    err = refused(desk.svc.cast, "R0001", "1")
    assert err.message_id.startswith("Meja pendaftaran tidak menyimpan surat suara")
    station.vote("DPT-0001", booth=1, choice="1")
    assert desk.svc.ledger.ballots_cast == 0 and desk.svc.ledger.empty_slots == 0


# ------------------------------------------------------------------ pairing
def test_pairing_needs_the_code_the_other_screen_shows(tmp_path):
    st = open_station(tmp_path, booths=1)
    clock = st.clock
    spare = make_device(tmp_path / "spare", "booth", clock, STATION_SETTINGS)
    desk_key = st.desk.svc.ledger.key.verifier_key()
    # a key swapped on the way: the desk sees an intruder's key, so its code differs from the booth's
    intruder = DeviceKey.create(tmp_path / "intruder.key")
    code_on_spare = spare.svc.pairing_code(desk_key)["code"]
    token = st.token()
    before = log_size(st.desk)
    err = refused(st.desk.svc.pair_booth, token, 2, intruder.verifier_key(), code_on_spare)
    assert err.message_en == "The pairing code differs from the other device's screen: do not pair"
    assert log_size(st.desk) == before
    pair(st.desk, spare, 2)
    assert st.desk.svc.day.booths[2]["fingerprint"] == spare.svc.ledger.key.fingerprint
    err = refused(spare.svc.pair_desk, spare.sign_in(KETUA), desk_key, 2, code_on_spare)
    assert err.message_en == "This booth is already paired with its desk"
    spare.close()
    st.close()


# ------------------------------------------------------------------ releases
def test_a_voter_released_to_booth_2_votes_there_and_the_desk_learns_it(station):
    desk, booth2 = station.desk.svc, station.booths[2].svc
    release = station.release("DPT-0007", booth=2)
    assert b"DPT-0007" not in release["token"]  # the token names no voter
    body = msg.peek("release", release["token"])
    assert body["booth"] == booth2.ledger.key.fingerprint
    assert body["desk"] == desk.ledger.key.fingerprint
    assert booth2.voter_screen()["screen"] == "waiting"
    booth2.accept_release(release["token"])
    assert booth2.voter_screen() == {"screen": "ballot", "release": release["release"]}
    slip = booth2.cast(release["release"], "3")
    assert slip["candidate_number"] == 3
    booth2.slip_printed(release["release"])
    booth2.slip_confirmed(release["release"])
    assert booth2.voter_screen()["screen"] == "waiting"  # the photo is at the desk
    returned = desk.release_returned(booth2.release_outcome(release["release"]))
    assert returned == {
        "release": release["release"],
        "booth": 2,
        "outcome": "cast",
        "photo": True,
        "after_cancel": False,
    }
    desk.station_photo(release["release"], JPEG)
    assert "DPT-0007" in desk.day.voted
    err = refused(desk.check_in, station.token(), "DPT-0007")
    assert err.code == "already_voted"
    assert booth2.ledger.tally() == {"3": 1}
    assert station.booths[1].svc.ledger.ballots_cast == 0
    for device in station.devices():
        verified(device)


def test_a_replayed_token_is_refused_and_changes_nothing(station):
    release = station.vote("DPT-0001", booth=1, choice="1")
    booth = station.booths[1]
    before = log_size(booth)
    err = refused(booth.svc.accept_release, release["token"])
    assert (err.message_id, err.message_en) == (
        "Izin memilih ini sudah dipakai: satu izin, satu suara",
        "This release was already used: one release, one ballot",
    )
    assert log_size(booth) == before and booth.svc.ledger.ballots_cast == 1
    # the same outcome sent again (a retry after a dropped link) changes nothing at the desk
    desk_before = log_size(station.desk)
    again = station.desk.svc.release_returned(booth.svc.release_outcome(release["release"]))
    assert again["outcome"] == "cast" and log_size(station.desk) == desk_before


def test_a_forged_token_is_refused(station, tmp_path):
    booth = station.booths[1]
    real = station.release("DPT-0002", booth=1)
    body = msg.peek("release", real["token"])
    stranger = DeviceKey.create(tmp_path / "stranger.key")
    before = log_size(booth)
    # signed by another key, naming our desk
    err = refused(booth.svc.accept_release, msg.sign("release", {**body, "release": "0" * 16}, stranger))
    assert err.message_en == "The release is not from this station's desk: refused"
    # our desk's signature, a changed expiry
    tampered = real["token"].replace(body["expires"].encode(), b"2099-01-01T00:00:00.000000Z")
    err = refused(booth.svc.accept_release, tampered)
    assert err.message_en == "The release is not from this station's desk: refused"
    # not a token at all
    err = refused(booth.svc.accept_release, b"\x00" * 40)
    assert err.message_en == "The release cannot be read"
    assert log_size(booth) == before and booth.svc.voter_screen()["screen"] == "waiting"
    booth.svc.accept_release(real["token"])  # the real one still works


def test_a_token_for_another_booth_is_refused(station):
    release = station.release("DPT-0003", booth=2)
    before = log_size(station.booths[3])
    err = refused(station.booths[3].svc.accept_release, release["token"])
    assert (err.message_id, err.message_en) == (
        "Izin memilih ini untuk bilik lain",
        "This release is for another booth",
    )
    assert log_size(station.booths[3]) == before
    station.finish(release, "2")  # booth 2 takes it


def test_an_expired_token_is_refused_with_the_time(station):
    release = station.release("DPT-0004", booth=1)
    station.clock.advance(STATION_SETTINGS.release_timeout + 1)
    booth = station.booths[1]
    before = log_size(booth)
    err = refused(booth.svc.accept_release, release["token"])
    assert err.message_en.startswith("The release expired (at ")
    assert "minta izin baru di meja" in err.message_id
    assert log_size(booth) == before


def test_the_desk_cancels_after_the_timeout_and_the_booth_back_refuses_the_stale_token(station):
    desk = station.desk.svc
    release = station.release("DPT-0005", booth=2)  # booth 2 is unreachable: the token never arrives
    err = refused(desk.cancel_station_release, station.token(), release["release"], "bilik 2 mati")
    assert err.message_en == "Not timed out yet"
    station.clock.advance(STATION_SETTINGS.release_timeout + 1)
    cancelled = desk.cancel_station_release(station.token(), release["release"], "bilik 2 mati")
    # the voter goes to booth 3 instead
    station.finish(desk.issue_release(station.token(), "DPT-0005", 3), "1")
    # booth 2 comes back: the desk's notice, then the stale token, arrive
    booth2 = station.booths[2]
    booth2.restart()
    assert booth2.svc.release_revoked(cancelled["notice"]) == {"release": release["release"], "revoked": True}
    before = log_size(booth2)
    err = refused(booth2.svc.accept_release, release["token"])
    assert err.message_en == "This release was cancelled by the desk"
    assert log_size(booth2) == before and booth2.svc.ledger.ballots_cast == 0
    counts = desk.counts()
    assert (counts["releases"], counts["voted"], counts["cancelled"]) == (2, 1, 1)


def test_a_booth_that_died_mid_vote_cancels_on_restart_and_returns_the_cancel(station):
    desk = station.desk.svc
    release = station.release("DPT-0006", booth=1)
    booth = station.booths[1]
    booth.svc.accept_release(release["token"])
    booth.restart(crash=True)  # the power cut before the voter chose
    assert booth.svc.voter_screen()["screen"] == "waiting"
    returned = desk.release_returned(booth.svc.release_outcome(release["release"]))
    assert returned["outcome"] == "cancelled" and "DPT-0006" not in desk.day.voted
    err = refused(booth.svc.accept_release, release["token"])
    assert err.message_en == "This release was already used: one release, one ballot"
    station.vote("DPT-0006", booth=1, choice="2")  # released again, the voter votes once
    assert booth.svc.ledger.ballots_cast == 1 and desk.counts()["voted"] == 1


def test_a_cast_the_desk_had_given_up_on_is_recorded_for_the_committee(station):
    desk = station.desk.svc
    release = station.release("DPT-0008", booth=1)
    booth = station.booths[1].svc
    booth.accept_release(release["token"])
    booth.cast(release["release"], "1")
    booth.slip_printed(release["release"])
    booth.slip_confirmed(release["release"])
    station.clock.advance(STATION_SETTINGS.release_timeout + 1)  # the outcome never reached the desk
    desk.cancel_station_release(station.token(), release["release"], "tidak ada kabar")
    returned = desk.release_returned(booth.release_outcome(release["release"]))
    assert returned["outcome"] == "cast" and returned["after_cancel"] is True
    assert desk.counts()["voted"] == 1 and desk.counts()["cancelled"] == 0
    # the station's results say so, for the committee
    summary = desk.station_results(station.token(), _close_and_count(station))
    assert summary["booths"][1]["checks"]["no_cast_after_cancel"] is False and not summary["balanced"]


def test_spoil_and_revote_consumes_one_release(station):
    release = station.release("DPT-0009", booth=3)
    booth = station.booths[3].svc
    booth.accept_release(release["token"])
    rid = release["release"]
    booth.cast(rid, "1")
    booth.slip_printed(rid)
    booth.slip_disputed(rid)
    booth.spoil_ballot(station.booths[3].sign_in(KETUA), rid)
    booth.cast(rid, "2")
    booth.slip_printed(rid)
    booth.slip_confirmed(rid)
    returned = station.desk.svc.release_returned(booth.release_outcome(rid))
    assert returned["outcome"] == "cast"
    assert station.desk.svc.day.issued[rid].spoils == 1
    assert booth.counts()["ballots_stored"] == 2 and booth.counts()["spoiled"] == 1
    verified(station.booths[3])


def test_a_booth_may_not_take_a_second_voter_and_the_desk_not_send_one(station):
    station.release("DPT-0010", booth=1)
    err = refused(station.desk.svc.issue_release, station.token(), "DPT-0010", 2)
    assert err.message_en == "This voter has already been released to a booth"
    station.desk.svc.check_in(station.token(), "DPT-0011")
    err = refused(station.desk.svc.issue_release, station.token(), "DPT-0011", 1)
    assert err.message_en == "Booth 1 is still in use by another voter"
    err = refused(station.desk.svc.issue_release, station.token(), "DPT-0011", 5)
    assert err.message_en == "Booth 5 is not paired"


def test_the_verifier_catches_a_cast_without_a_release_in_a_booths_log(station):
    """A booth's log where a ballot was cast with no release accepted: the verifier names it."""
    from booth.ledger import station_log

    problems = []
    facts = station_log.StationFacts()

    def add(where, what):
        problems.append(what)

    station_log.follow(add, "event 0", "ledger.created", {"role": "booth"}, facts)
    station_log.follow(add, "event 5", "ballot.cast", {"release": "ab" * 8, "count": 1}, facts)
    assert problems == ["a ballot cast without an open release from the desk"]
    for device in station.devices():
        assert verified(device).summary["events"] == log_size(device)


def test_the_verifier_checks_each_recorded_token_against_the_paired_desk_key(station, tmp_path):
    """A booth's key alone cannot make up a release: the token in its log must be the desk's."""
    from booth.ledger import station_log

    booth = station.booths[1].svc
    station.vote("DPT-0030", booth=1, choice="2")
    entries = list(booth.ledger.entries())
    created, paired = entries[0], next(e for e in entries if e.type == "station.desk_paired")
    accepted = next(e for e in entries if e.type == "station.release_accepted")
    body = msg.peek("release", accepted.payload["token"].encode())
    made_up = msg.sign("release", body, DeviceKey.create(tmp_path / "booth-made.key")).decode()

    def problems_with(token: str) -> list[str]:
        found: list[str] = []
        facts = station_log.StationFacts()
        for entry, payload in ((created, created.payload), (paired, paired.payload)):
            station_log.follow(lambda w, p: found.append(p), "e", entry.type, payload, facts)
        station_log.follow(
            lambda w, p: found.append(p), "e", accepted.type, {**accepted.payload, "token": token}, facts
        )
        return found

    assert problems_with(accepted.payload["token"]) == []
    assert problems_with(made_up) == ["the recorded release token is not signed by the paired desk"]
    other = msg.sign("release", {**body, "release": "1" * 16}, station.desk.svc.ledger.key).decode()
    assert problems_with(other) == ["the recorded release token is for another release"]


def test_the_desk_shows_each_booth_free_or_busy_and_does_not_close_with_a_release_out(station):
    release = station.release("DPT-0031", booth=2)
    booths = station.desk.svc.status()["booths"]
    assert booths["2"]["state"] == "busy" and booths["2"]["release_expires"] == release["expires"]
    assert booths["1"]["state"] == "free" and booths["3"]["state"] == "free"
    err = refused(station.desk.svc.close_polls, station.token(), "hujan deras, TPS ditutup")
    assert err.message_en == "Finish the voter in the booth first"
    station.finish(release, "1")
    assert station.desk.svc.status()["booths"]["2"]["state"] == "free"
    station.desk.svc.close_polls(station.token(), "hujan deras, TPS ditutup")


def test_booth_device_init_records_the_role(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "booth", "device", "init", str(tmp_path / "b"), "--role", "booth"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "peran / role: Bilik suara / Voting booth" in out
    from booth.ledger.ledger import Ledger

    with Ledger.open(tmp_path / "b") as ledger:
        assert ledger.entry(0).payload["role"] == "booth"


def test_a_station_day_verifies_on_every_device_and_reconciles(station):
    voters = [f"DPT-{n:04d}" for n in range(20, 29)]
    for i, voter in enumerate(voters):
        station.vote(voter, booth=1 + i % 3, choice=str(1 + i % 3))
        station.clock.advance(30)
    desk = station.desk.svc
    per_booth = {n: sum(1 for r in desk.day.issued.values() if r.booth == n) for n in station.booths}
    for n, booth in station.booths.items():
        assert booth.svc.counts()["releases"] == per_booth[n] == booth.svc.ledger.ballots_cast == 3
    assert desk.counts()["voted"] == len(voters) == desk.counts()["photos"]
    station.clock.set(station.clock.now() + dt.timedelta(hours=12))
    for device in station.devices():
        device.svc.close_polls(device.sign_in(KETUA))
        verified(device)


# ------------------------------------------------------------------ the station's results
def _close_and_count(station) -> dict[int, str]:
    station.clock.set(closes_at() + dt.timedelta(minutes=1))
    closings = {}
    for n, booth in station.booths.items():
        token = booth.sign_in(KETUA)
        booth.svc.close_polls(token)
        booth.svc.count(token)
        closings[n] = booth.svc.results()["statement"]
    station.desk.svc.close_polls(station.token())
    return closings


def test_the_desk_collects_each_booths_closing_into_one_station_result(station):
    plan = {1: ["1"] * 7 + ["2"] * 5, 2: ["3"] * 6 + ["1"] * 6, 3: ["2", "3"]}
    voter = iter(f"DPT-{n:04d}" for n in range(40, 80))
    for booth, choices in plan.items():
        for choice in choices:
            station.vote(next(voter), booth=booth, choice=choice)
    left = station.release(next(voter), booth=3)  # a voter who walks away at booth 3
    station.booths[3].svc.accept_release(left["token"])
    station.booths[3].svc.cancel_release(station.booths[3].sign_in(KETUA), left["release"], "pemilih pulang")
    station.desk.svc.release_returned(station.booths[3].svc.release_outcome(left["release"]))
    for booth in station.booths.values():  # each booth balances on its own, knowing no voter
        assert booth.svc.counts()["dpt"] is None
    closings = _close_and_count(station)
    for booth in station.booths.values():
        assert booth.svc.results()["reconciliation"]["balanced"]
        assert "\nvoters " in closings[1] and " of -\n" in booth.svc.results()["statement"]
    summary = station.desk.svc.station_results(station.token(), closings)
    assert summary["tally"] == {"1": 13, "2": 6, "3": 7} and summary["votes"] == 26
    assert summary["balanced"]
    # booth 3 served two voters: its tally only in the total, with the next smallest booth beside it
    assert summary["merged"] == [1, 3]
    assert summary["booths"][3]["tally"] is None and summary["booths"][3]["in_total_only"]
    assert summary["booths"][2]["tally"] == {"1": 6, "2": 0, "3": 6}
    assert summary["booths"][3]["releases"] == {
        "issued": 3,
        "cast": 2,
        "cancelled": 1,
        "out": 0,
        "spoils": 0,
        "after_cancel": 0,
    }
    logged = station.desk.svc.ledger.entry(station.desk.svc.ledger.size - 1)
    assert logged.type == "station.results" and "3" in logged.payload["statements"]
    verified(station.desk)


def test_a_closing_not_signed_by_the_paired_booth_is_refused(station):
    station.vote("DPT-0090", booth=1, choice="1")
    closings = _close_and_count(station)
    token = station.token()
    before = log_size(station.desk)
    swapped = {**closings, 2: closings[1]}  # booth 1's statement handed in as booth 2's
    err = refused(station.desk.svc.station_results, token, swapped)
    assert err.message_en == "Booth 2's results are not signed by the paired booth: refused"
    err = refused(station.desk.svc.station_results, token, {1: closings[1]})
    assert err.message_en == "Booth 2's results have not reached the desk"
    assert log_size(station.desk) == before


def test_the_station_modules_examples_run():
    import doctest

    from booth.station import release, roles, summary

    for module in (roles, release, summary):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_at_the_desk_a_voter_in_a_booth_shows_as_such_and_may_refuse_the_photo(station):
    release = station.release("DPT-0050", booth=1)
    token = station.token()
    assert station.desk.svc.check_in(token, "DPT-0050")["status"] == "in_booth"
    booth = station.booths[1].svc
    booth.accept_release(release["token"])
    booth.cast(release["release"], "2")
    booth.slip_printed(release["release"])
    booth.slip_confirmed(release["release"])
    assert station.desk.svc.release_returned(booth.release_outcome(release["release"]))["photo"] is True
    err = refused(station.desk.svc.station_skip_photo, token, release["release"], " ")
    assert err.code == "bad_input"
    station.desk.svc.station_skip_photo(token, release["release"], "pemilih menolak difoto")
    assert station.desk.svc.counts()["photos_skipped"] == 1
    err = refused(station.desk.svc.station_photo, release["release"], JPEG)
    assert err.message_en == "This step is out of order"


def test_the_documented_station_vectors_are_what_the_code_signs_and_reads():
    import re
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    doc = (Path(__file__).resolve().parent.parent / "docs" / "station.md").read_text("utf-8")
    body = re.search(r"^```vector station-release\n(.*?)^```$", doc, re.M | re.S).group(1)
    v = {k.strip(): val.strip() for k, _, val in (line.partition(":") for line in body.splitlines())}
    seeds = (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    )
    desk, booth = (DeviceKey(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(s))) for s in seeds)
    assert (desk.fingerprint, booth.fingerprint) == (v["desk-fingerprint"], v["booth-fingerprint"])
    assert msg.pairing_code(desk.fingerprint, booth.fingerprint) == v["pairing-code"]
    for kind, signer in (("release", desk), ("outcome", booth)):
        token = v[kind].encode()
        body = msg.read(kind, token, signer.public_key)
        assert msg.sign(kind, body, signer) == token  # Ed25519 is deterministic: the same bytes
        with pytest.raises(msg.MessageRefused):
            msg.read(kind, token, (booth if signer is desk else desk).public_key)


def test_a_booth_that_failed_is_replaced_by_a_new_one_paired_under_its_number(station, tmp_path):
    desk = station.desk.svc
    stuck = station.release("DPT-0060", booth=2)  # booth 2's screen dies before the token arrives
    spare = make_device(tmp_path / "spare", "booth", station.clock, STATION_SETTINGS)
    err = refused(pair, station.desk, spare, 2)
    assert err.message_en == "Booth 2 is still in use by another voter"
    station.clock.advance(STATION_SETTINGS.release_timeout + 1)
    desk.cancel_station_release(station.token(), stuck["release"], "bilik 2 rusak")
    old_fingerprint = desk.day.booths[2]["fingerprint"]
    pair(station.desk, spare, 2)
    paired = desk.ledger.entry(desk.ledger.size - 1)
    assert paired.type == "station.booth_paired" and paired.payload["replaces"] == old_fingerprint
    # the old booth's stale token means nothing to the new one
    walk_custody(spare)
    token = spare.sign_in(KETUA)
    spare.svc.zero_report(token)  # its own zero report, mid-day, for the witnesses
    spare.svc.zero_report_printed(token)
    spare.svc.open_polls(token)
    err = refused(spare.svc.accept_release, stuck["token"])
    assert err.message_en == "This release is for another booth"
    station.booths[2] = spare
    station.vote("DPT-0060", booth=2, choice="3")
    assert spare.svc.ledger.tally() == {"3": 1} and desk.counts()["voted"] == 1
    verified(station.desk)


def test_the_reports_of_a_station_say_which_device_printed_them(station, tmp_path):
    from booth.kiosk.printouts import zero_report_image

    single = ready_to_vote(tmp_path / "single")
    assert "station_device" not in single.svc._report_base("zero")  # all-in-one: its paper as before
    booth = station.booths[2]
    assert booth.svc._report_base("zero")["station_device"] == ("Bilik suara 2", "Booth 2")
    assert station.desk.svc._report_base("zero")["station_device"] == ("Meja pendaftaran", "Check-in desk")
    # the paper is one line pair longer than the same report without the device named
    data = booth.svc._report_base("zero")
    data["opening"] = "x"
    with_device = zero_report_image(data).size[1]
    data.pop("station_device")
    assert with_device > zero_report_image(data).size[1]
