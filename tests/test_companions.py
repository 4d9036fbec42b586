"""Companions: PINs, the lockout, the committee's unlock, idle sign-out, roles and the log, through the API.

Each test is a scene from the day as a companion lives it, checked the way a
person would check it: the words on the screen (``message_id``), the wait
shown (``LockedOut.details["wait_seconds"]``), and the line in the log with
the companion's ID.
"""

from __future__ import annotations

import datetime as dt

import pytest

from booth.committee_reset import make_reset
from booth.election_package import CommitteeKeyPair
from booth.errors import AlreadyVoted, BadInput, LockedOut, NotAllowed, NotSignedIn, PermissionDenied, WrongPin
from service_day import (
    JPEG,
    KETUA,
    PINS,
    SELF_TEST,
    TEKNISI,
    TEKNISI_2,
    cloned_booth,
    closes_at,
    demo_package,
    events,
    fast_tmp,
    opens_at,
    package_with_companions,
    print_zero_report,
    provision,
    vote,
    walk_custody,
)

WRONG = "999999"
_, KEYS, PKG = demo_package()


@pytest.fixture
def booth():
    """Polls open, every companion has a PIN (see service_day.PINS)."""
    b = cloned_booth(fast_tmp("booth-companions-") / "state")
    yield b
    b.close()


def miss(booth, companion: str) -> WrongPin:
    with pytest.raises(WrongPin) as wrong:
        booth.svc.sign_in(companion, WRONG)
    return wrong.value


def locked_out(booth, companion: str, pin: str = WRONG) -> LockedOut:
    with pytest.raises(LockedOut) as refused:
        booth.svc.sign_in(companion, pin)
    return refused.value


def lock(booth, companion: str) -> None:
    """15 wrong PINs in a row, each tried when the wait allows it."""
    for _ in range(15):
        booth.clock.advance(8 * 3600)
        miss(booth, companion)


def is_locked(booth, companion: str) -> bool:
    return next(c["locked"] for c in booth.svc.election_info()["companions"] if c["id"] == companion)


# ---------------------------------------------------------------- the PIN
def test_a_companion_makes_a_pin_at_handover_and_a_weak_one_is_refused_in_indonesian():
    booth = provision(fast_tmp("booth-pin-") / "state", pins=False)
    svc = booth.svc
    try:
        for pin, words in [
            ("12345", "PIN minimal 6 angka"),
            ("111111", "PIN terlalu mudah ditebak (angka sama atau berurutan)"),
            ("123456", "PIN terlalu mudah ditebak (angka sama atau berurutan)"),
            ("654321", "PIN terlalu mudah ditebak (angka sama atau berurutan)"),
            ("12a456", "PIN hanya boleh angka"),
            ("١٢٣٤٥٦٧", "PIN hanya boleh angka"),  # Arabic-Indic digits
            ("1234567890123", "PIN paling banyak 12 angka"),
        ]:
            with pytest.raises(BadInput) as refused:
                svc.set_first_pin(KETUA, pin)
            assert refused.value.message_id == words, pin
        assert not svc.election_info()["companions"][0]["has_pin"]

        svc.set_first_pin(KETUA, PINS[KETUA])
        assert svc.election_info()["companions"][0]["has_pin"]
        with pytest.raises(NotAllowed):
            svc.set_first_pin(KETUA, "802580")  # a PIN is made once; changing it is another story
        assert svc.sign_in(KETUA, PINS[KETUA])
        made = [e for e in events(svc) if e.type == "companion.pin_set"]
        assert [(e.actor, e.payload["companion"]) for e in made] == [(KETUA, KETUA)]
        assert not any(PINS[KETUA] in e.raw.decode() for e in events(svc)), "the PIN itself is in the log"
    finally:
        booth.close()


def test_a_companion_without_a_pin_cannot_sign_in():
    booth = provision(fast_tmp("booth-pin-") / "state", pins=False)
    try:
        with pytest.raises(NotAllowed) as refused:
            booth.svc.sign_in(TEKNISI, PINS[TEKNISI])
        assert refused.value.message_id == "Petugas ini belum membuat PIN"
    finally:
        booth.close()


# ---------------------------------------------------------------- the lockout
def test_five_wrong_pins_then_a_fifteen_second_wait_that_doubles(booth):
    for n in range(1, 5):
        wrong = miss(booth, TEKNISI)
        assert wrong.details["misses"] == n
        assert wrong.message_id == f"PIN salah. Sisa {5 - n} percobaan sebelum harus menunggu"
    assert miss(booth, TEKNISI).message_id == "PIN salah"  # the fifth

    # even the right PIN has to wait now
    refused = locked_out(booth, TEKNISI, PINS[TEKNISI])
    assert refused.details == {"locked": False, "wait_seconds": 15}
    assert refused.message_id == "Terlalu banyak PIN salah. Tunggu 15 detik"
    booth.clock.advance(14)
    assert locked_out(booth, TEKNISI).details["wait_seconds"] == 1
    booth.clock.advance(1)

    for wait in (30, 60, 120):  # each further miss doubles the wait
        miss(booth, TEKNISI)
        assert locked_out(booth, TEKNISI).details == {"locked": False, "wait_seconds": wait}
        booth.clock.advance(wait)

    # the tries refused during a wait were not counted: this is the ninth miss
    assert miss(booth, TEKNISI).details["misses"] == 9
    booth.clock.advance(240)
    assert booth.svc.sign_in(TEKNISI, PINS[TEKNISI])
    # the right PIN starts the count again
    assert miss(booth, TEKNISI).message_id == "PIN salah. Sisa 4 percobaan sebelum harus menunggu"
    # another companion was never affected
    assert booth.svc.sign_in(TEKNISI_2, PINS[TEKNISI_2])


def test_fifteen_wrong_pins_lock_the_companion_until_the_committee_resets(booth):
    before = booth.svc.ledger.size
    lock(booth, TEKNISI_2)
    assert is_locked(booth, TEKNISI_2)
    locked = [e for e in events(booth.svc, before) if e.type == "companion.locked"]
    assert len(locked) == 1 and locked[0].payload == {"companion": TEKNISI_2}

    booth.clock.advance(3 * 24 * 3600)  # waiting does not help
    refused = locked_out(booth, TEKNISI_2, PINS[TEKNISI_2])
    assert refused.details == {"locked": True, "wait_seconds": 0}
    assert refused.message_id == "PIN terkunci. Hubungi panitia untuk membuka"

    reset = make_reset(KEYS.sign_private, PKG.election_id, TEKNISI_2)
    assert booth.svc.committee_reset(reset) == {"companion": TEKNISI_2}
    assert not is_locked(booth, TEKNISI_2)
    assert booth.svc.sign_in(TEKNISI_2, PINS[TEKNISI_2])
    entry = next(e for e in events(booth.svc, before) if e.type == "companion.reset")
    assert entry.actor == "panitia" and entry.payload["companion"] == TEKNISI_2
    # after the reset the companion has the five free tries again
    assert miss(booth, TEKNISI_2).message_id == "PIN salah. Sisa 4 percobaan sebelum harus menunggu"


def test_a_reset_file_for_another_election_by_another_key_or_used_twice_is_refused(booth):
    lock(booth, TEKNISI)
    other_election = "ab" * 32
    stranger = CommitteeKeyPair.generate()
    for text, words in [
        (make_reset(KEYS.sign_private, other_election, TEKNISI), "untuk pemilihan lain"),
        (make_reset(stranger.sign_private, PKG.election_id, TEKNISI), "tidak ditandatangani panitia"),
        (make_reset(KEYS.sign_private, PKG.election_id, "PT-99"), "Petugas tidak dikenal"),
    ]:
        size = booth.svc.ledger.size
        with pytest.raises(BadInput) as refused:
            booth.svc.committee_reset(text)
        assert words in refused.value.message_id
        assert booth.svc.ledger.size == size
        assert is_locked(booth, TEKNISI)

    good = make_reset(KEYS.sign_private, PKG.election_id, TEKNISI)
    booth.svc.committee_reset(good)
    assert not is_locked(booth, TEKNISI)

    lock(booth, TEKNISI)  # locked again: the old file must not open it a second time
    with pytest.raises(BadInput) as refused:
        booth.svc.committee_reset(good)
    assert "sudah pernah dipakai" in refused.value.message_id
    assert is_locked(booth, TEKNISI)
    booth.restart()  # nor after a restart: used nonces come back from the log
    with pytest.raises(BadInput):
        booth.svc.committee_reset(good)
    assert is_locked(booth, TEKNISI)


@pytest.mark.parametrize("crash", [False, True], ids=["clean restart", "crash"])
def test_the_miss_count_survives_a_restart(booth, crash):
    for _ in range(3):
        miss(booth, TEKNISI)
    booth.restart(crash=crash)
    assert miss(booth, TEKNISI).details["misses"] == 4
    miss(booth, TEKNISI)
    booth.restart(crash=crash)
    # the fifth miss was before the restart; the wait still runs after it
    assert locked_out(booth, TEKNISI, PINS[TEKNISI]).details == {"locked": False, "wait_seconds": 15}
    booth.clock.advance(15)
    assert booth.svc.sign_in(TEKNISI, PINS[TEKNISI])


def test_setting_the_clock_back_does_not_lengthen_a_lockout_wait(booth):
    for _ in range(5):
        miss(booth, TEKNISI)
    booth.clock.set(booth.clock.now() - dt.timedelta(hours=1))  # the operator corrects the clock
    assert locked_out(booth, TEKNISI).details["wait_seconds"] <= 15
    booth.clock.advance(15)
    assert booth.svc.sign_in(TEKNISI, PINS[TEKNISI])


def test_a_lock_survives_a_restart(booth):
    lock(booth, TEKNISI_2)
    booth.restart(crash=True)
    assert is_locked(booth, TEKNISI_2)
    assert locked_out(booth, TEKNISI_2, PINS[TEKNISI_2]).details["locked"] is True


# ---------------------------------------------------------------- sessions
def test_a_signed_in_companion_is_signed_out_after_the_idle_timeout(booth):
    svc = booth.svc
    token = booth.sign_in(TEKNISI)
    booth.clock.advance(299)
    assert svc.whoami(token)["id"] == TEKNISI  # still there, and this counts as activity
    booth.clock.advance(300)
    assert svc.check_in(token, "DPT-0007")["status"] == "checked_in"

    booth.clock.advance(301)
    size = svc.ledger.size
    with pytest.raises(NotSignedIn) as ended:
        svc.release_ballot(token, "DPT-0007")
    assert ended.value.message_id == "Sesi petugas berakhir karena tidak aktif. Masuk lagi dengan PIN"
    assert svc.voter_screen() == {"screen": "waiting"}, "the release went through after the timeout"
    logged = [(e.type, e.actor, e.payload) for e in events(svc, size)]
    assert logged == [("companion.logout", TEKNISI, {"companion": TEKNISI, "reason": "idle"})]
    with pytest.raises(NotSignedIn) as again:
        svc.whoami(token)
    assert again.value.message_id == "Silakan masuk dengan PIN petugas"


def test_a_restart_signs_everybody_out(booth):
    token = booth.sign_in(KETUA)
    booth.restart()
    with pytest.raises(NotSignedIn):
        booth.svc.whoami(token)


def test_sign_out_ends_the_session(booth):
    token = booth.sign_in(TEKNISI)
    booth.svc.sign_out(token)
    with pytest.raises(NotSignedIn):
        booth.svc.check_in(token, "DPT-0001")
    assert events(booth.svc)[-1].type == "companion.logout"
    assert events(booth.svc)[-1].payload == {"companion": TEKNISI, "reason": "signed out"}


# ---------------------------------------------------------------- roles
def test_a_teknisi_cannot_open_the_polls():
    booth = cloned_booth(fast_tmp("booth-roles-") / "state", opened=False)
    try:
        svc = booth.svc
        with pytest.raises(PermissionDenied) as refused:
            svc.open_polls(booth.sign_in(TEKNISI))
        assert refused.value.message_id == "Peran teknisi tidak boleh melakukan ini"
        assert svc.status()["polls"] == "configured"
        svc.open_polls(booth.sign_in(KETUA))
        assert svc.status()["polls"] == "open"
    finally:
        booth.close()


def test_a_teknisi_cannot_close_the_polls_even_at_closing_time(booth):
    booth.clock.set(closes_at() + dt.timedelta(minutes=5))
    with pytest.raises(PermissionDenied):
        booth.svc.close_polls(booth.sign_in(TEKNISI))
    with pytest.raises(PermissionDenied):
        booth.svc.close_polls(booth.sign_in(TEKNISI_2), "hujan deras")
    assert booth.svc.status()["polls"] == "open"
    booth.svc.close_polls(booth.sign_in(KETUA))
    assert booth.svc.status()["polls"] == "closed"


ANGGOTA_TABLE = [
    {"id": "PT-01", "name": "SUGIYANTO", "role": "ketua"},
    {"id": "PT-02", "name": "RIZKY PRATAMA", "role": "teknisi"},
    {"id": "PT-04", "name": "SRI WAHYUNI", "role": "anggota"},
]


def test_an_anggota_cannot_print_the_zero_report_but_can_serve_voters():
    package_dir, _ = package_with_companions(ANGGOTA_TABLE)
    booth = provision(fast_tmp("booth-anggota-") / "state", package_dir=package_dir)
    try:
        svc = booth.svc
        walk_custody(booth)
        booth.clock.set(opens_at() - dt.timedelta(minutes=30))
        anggota = booth.sign_in("PT-04")
        for action in (svc.zero_report, svc.zero_report_printed):
            with pytest.raises(PermissionDenied) as refused:
                action(anggota)
            assert refused.value.message_id == "Peran anggota tidak boleh melakukan ini"
        assert not svc.status()["zero_report_printed"]
        print_zero_report(booth, KETUA)
        booth.clock.set(opens_at() + dt.timedelta(seconds=5))
        svc.open_polls(booth.sign_in(KETUA))
        anggota = booth.sign_in("PT-04")
        svc.check_in(anggota, "DPT-0001")
        assert svc.release_ballot(anggota, "DPT-0001")["voter"] == "DPT-0001"
    finally:
        booth.close()


# ---------------------------------------------------------------- the log
def test_every_companion_action_is_logged_with_the_companions_id():
    booth = provision(fast_tmp("booth-actors-") / "state")
    svc = booth.svc
    try:
        start = svc.ledger.size
        svc.record_custody("received", companion_id=TEKNISI, place="Kantor Kecamatan")
        svc.record_custody("distributed", companion_id=TEKNISI_2, place="Jalan")
        with pytest.raises(WrongPin):
            svc.sign_in(TEKNISI, WRONG)
        tek = booth.sign_in(TEKNISI)
        svc.record_custody("handed_over", token=tek, place="Balai Pekon")
        svc.record_custody("installed", token=tek, place="Balai Pekon", self_test=dict(SELF_TEST))
        svc.record_self_test(tek, {"printer": "ok"})
        booth.clock.set(opens_at() - dt.timedelta(minutes=10))
        tek = booth.sign_in(TEKNISI)
        svc.zero_report(tek)
        svc.zero_report_printed(tek)
        booth.clock.set(opens_at() + dt.timedelta(seconds=1))
        ketua = booth.sign_in(KETUA)
        svc.open_polls(ketua)
        tek2 = booth.sign_in(TEKNISI_2)
        svc.check_in(tek2, "DPT-0001")
        release = svc.release_ballot(tek2, "DPT-0001")["release"]
        svc.cast(release, "3")
        svc.slip_failed(release, "kertas habis")
        tek = booth.sign_in(TEKNISI)
        svc.reprint_slip(tek)
        svc.slip_printed(release)
        svc.slip_confirmed(release)  # "Struk sesuai"
        svc.skip_photo(tek2, release, "pemilih menolak difoto")
        with pytest.raises(AlreadyVoted):
            svc.check_in(tek2, "DPT-0001")
        svc.check_in(ketua, "DPT-0002")
        release = svc.release_ballot(ketua, "DPT-0002")["release"]
        svc.cancel_release(tek2, release, "pemilih pulang")
        svc.pause(tek2, "istirahat")
        svc.resume(tek)
        booth.clock.set(closes_at() + dt.timedelta(minutes=1))
        ketua = booth.sign_in(KETUA)
        svc.close_polls(ketua)
        svc.count(ketua)
        svc.sign_out(tek2)

        expected = {
            "custody.received": TEKNISI,
            "custody.distributed": TEKNISI_2,
            "companion.login_failed": TEKNISI,
            "custody.handed_over": TEKNISI,
            "custody.installed": TEKNISI,
            "hardware.self_test": TEKNISI,
            "polls.zero_report": TEKNISI,
            "custody.activated": TEKNISI,
            "polls.opened": KETUA,
            "custody.voting_opened": KETUA,
            "ballot.slots_added": KETUA,
            "voter.checked_in": None,
            "ballot.released": None,
            "slip.reprinted": TEKNISI,
            "voter.photo_skipped": TEKNISI_2,
            "voter.refused": TEKNISI_2,
            "ballot.release_cancelled": TEKNISI_2,
            "polls.paused": TEKNISI_2,
            "polls.resumed": TEKNISI,
            "polls.closed": KETUA,
            "polls.counted": KETUA,
            "custody.counting": KETUA,
        }
        log = events(svc, start)
        seen = {e.type for e in log}
        assert set(expected) <= seen, set(expected) - seen
        for e in log:
            if e.type in ("companion.login", "companion.logout"):
                assert e.actor == e.payload["companion"]
            elif e.type in ("voter.checked_in", "ballot.released"):
                assert e.actor == {"DPT-0001": TEKNISI_2, "DPT-0002": KETUA}[e.payload["voter"]], e.type
            elif e.type in expected:
                assert e.actor == expected[e.type], (e.type, e.actor)
            elif e.type in ("ballot.cast",):
                assert e.actor == "pemilih"  # the voter's act: no companion's name on it
        # the cast and the slip never name the companion who released the ballot
        assert not any(e.type.startswith(("ballot.cast", "slip.printed")) and e.actor.startswith("PT-") for e in log)
    finally:
        booth.close()


def test_view_photo_is_logged_with_the_companion_and_needs_the_pin_that_unlocks_it(booth):
    vote(booth.svc, "DPT-0001", "2")
    ketua = booth.sign_in(KETUA)
    assert booth.svc.view_photo(ketua, "DPT-0001") == JPEG
    entry = events(booth.svc)[-1]
    assert (entry.type, entry.actor, entry.payload) == ("voter.photo_viewed", KETUA, {"voter": "DPT-0001"})
    with pytest.raises(PermissionDenied):
        booth.svc.view_photo(booth.sign_in(TEKNISI), "DPT-0001")  # teknisi may not see photos


def test_only_the_ketua_can_let_a_late_companion_make_a_pin():
    package_dir, _ = package_with_companions(ANGGOTA_TABLE)
    booth = provision(fast_tmp("booth-late-pin-") / "state", package_dir=package_dir, pins=False)
    try:
        svc = booth.svc
        for companion in (KETUA, TEKNISI):
            svc.set_first_pin(companion, PINS[companion])
        booth.restart()  # the next morning: the enrolment secret of loading day is gone
        svc = booth.svc
        walk_custody(booth)
        print_zero_report(booth)
        booth.clock.set(opens_at() + dt.timedelta(seconds=1))
        svc.open_polls(booth.sign_in(KETUA))
        vote(svc, "DPT-0001", "1")
        booth.clock.advance(3600)  # the ketua's session has ended; only the teknisi is signed in
        teknisi = booth.sign_in(TEKNISI)
        with pytest.raises(PermissionDenied):
            svc.view_photo(teknisi, "DPT-0001")
        with pytest.raises((NotAllowed, PermissionDenied)):
            svc.set_first_pin("PT-04", "135790")
    finally:
        booth.close()
