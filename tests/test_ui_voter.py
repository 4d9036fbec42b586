"""The voter's side of the kiosk, driven by touches and button presses as in the booth.

Each test is a moment of the day for one voter, and checks what the screen
shows and what the core recorded (``api.counts()``).  Screenshots of the
main steps go to ``$BOOTH_UI_SHOTS`` (default /tmp/booth-ui-shots).
"""

from __future__ import annotations

import shutil

import pytest

from booth.ui.app import KioskApp, KioskSettings
from booth.ui.driver import KioskDriver, audit
from booth.ui.voice import Voice, clip_texts, make_clips
from test_ui_support import (
    SHOTS,
    Nav,
    photo,
    pygame,
    sign_in,
    vote,
)

SIZES = [(720, 1280), (800, 480), (1024, 600), (1280, 800)]


def test_a_voter_votes_by_touch_and_the_ballot_is_recorded_with_its_slip_and_photo(booth_day):
    day = booth_day(stage="open", shots="voter-touch")
    d = day.drv
    assert d.screen == "waiting" and d.shows("Menunggu petugas")
    d.shot()
    day.release(0)
    d.step()
    assert d.screen == "ballot" and d.shows("Sentuh foto calon pilihan Anda")
    assert all(d.shows(c.name) for c in day.pkg.candidates)
    d.shot()
    d.tap("SITI RAHMAWATI")
    assert d.screen == "confirm" and d.shows("Anda memilih Nomor Urut 2. Benar?")
    d.shot()
    assert day.svc.counts()["ballots_cast"] == 0  # nothing is cast before "Ya, Pilih"
    d.advance(1)
    printed_before = len(day.station.printouts)  # the self-test page and the zero report
    presented = []
    day.app.on_present = lambda surface: presented.append(
        (day.app.frame.screen, day.app.frame.texts(), day.svc.counts()["ballots_cast"], len(day.station.printouts))
    )
    d.tap("Ya, Pilih")
    # "Mohon tunggu" is on the glass before the ballot is recorded and the printer starts
    printing = [p for p in presented if p[0] == "printing"][0]
    assert "Mohon tunggu, struk sedang dicetak" in printing[1] and printing[2:] == (0, printed_before)
    d.shot()
    d.step()
    assert day.svc.counts()["ballots_cast"] == 1 and day.svc.counts()["slips_printed"] == 1
    assert day.station.printouts[-1].kind == "slip"
    assert d.screen == "slip_check" and d.shows("Masukkan struk ke Kotak Audit")
    d.shot()
    d.tap("Struk sesuai")
    assert d.screen == "photo" and d.shows("Lihat ke kamera")
    photo(day)
    assert d.shows("Ini foto Anda")
    d.shot()
    d.tap("Simpan foto")
    assert d.screen == "thanks" and d.shows("Terima kasih. Suara Anda telah tercatat")
    d.shot()
    counts = day.svc.counts()
    assert (counts["ballots_cast"], counts["voted"], counts["photos"]) == (1, 1, 1)
    d.advance(day.app.settings.thanks_s + 1)
    assert d.screen == "waiting"


def test_no_is_go_back_and_nothing_is_recorded(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.release(0)
    d.step()
    d.tap("SUPARNO")
    d.tap("Tidak, Ulangi")
    assert d.screen == "ballot"
    d.tap("AHMAD FAUZI")
    assert d.shows("Anda memilih Nomor Urut 3. Benar?")
    assert day.svc.counts()["ballots_cast"] == 0


def test_an_unattended_confirmation_goes_back_to_the_ballot_without_casting(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.release(0)
    d.step()
    d.tap("SUPARNO")
    d.advance(day.app.settings.idle_prompt_s + 1)
    assert d.screen == "ballot"
    assert day.svc.counts()["ballots_cast"] == 0


def test_a_touch_that_starts_on_one_candidate_and_ends_on_another_selects_nothing(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.release(0)
    d.step()
    one, two = d.target("SUPARNO"), d.target("SITI RAHMAWATI")
    d.touch(one.rect.center, two.rect.center)
    assert d.screen == "ballot" and day.app.voter.choice is None
    d.touch(two.rect.center, one.rect.center)
    assert d.screen == "ballot"
    # sliding off and back onto the same card still counts: it started and ended there
    d.app.feed(d._event("down", one.rect.center))
    d.step()
    d.app.feed(d._event("move", two.rect.center))
    d.step()
    d.app.feed(d._event("move", one.rect.center))
    d.app.feed(d._event("up", one.rect.center))
    d.step()
    assert d.screen == "confirm" and d.shows("Nomor Urut 1")


def test_a_second_finger_cancels_the_touch(booth_day):
    day = booth_day(stage="open", finger=True)
    d = day.drv
    day.release(0)
    d.step()
    card = d.target("SUPARNO").rect.center
    d.app.feed(
        pygame.event.Event(
            pygame.FINGERDOWN, x=card[0] / 720, y=card[1] / 1280, finger_id=0, touch_id=0, dx=0, dy=0, pressure=1
        )
    )
    d.app.feed(pygame.event.Event(pygame.FINGERDOWN, x=0.5, y=0.95, finger_id=1, touch_id=0, dx=0, dy=0, pressure=1))
    d.step()
    d.app.feed(
        pygame.event.Event(
            pygame.FINGERUP, x=card[0] / 720, y=card[1] / 1280, finger_id=0, touch_id=0, dx=0, dy=0, pressure=0
        )
    )
    d.step()
    assert d.screen == "ballot"
    d.app.feed(pygame.event.Event(pygame.FINGERUP, x=0.5, y=0.95, finger_id=1, touch_id=0, dx=0, dy=0, pressure=0))
    d.step()
    d.tap("SUPARNO")  # a clean single finger (FINGER events) still works
    assert d.screen == "confirm"


def test_pressed_feedback_shows_on_the_next_frame(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.release(0)
    d.step()
    card = d.target("SUPARNO")
    before = day.app.surface.get_at(card.rect.midbottom)
    d.app.feed(d._event("down", card.rect.center))
    d.step()
    assert day.app.screen._down is card
    pressed = day.app.surface.copy()
    assert (
        pressed.get_at((card.rect.centerx, card.rect.bottom - 8)) != before
        or pressed.get_at((card.rect.left + 8, card.rect.bottom - 8))
        == day.app.theme_for(day.app.screen).colors.pressed_bg
    )
    d.app.feed(d._event("up", card.rect.center))
    d.step()
    assert d.screen == "confirm"


def test_the_whole_ballot_works_with_the_buttons_alone_and_speaks(booth_day):
    day = booth_day(stage="open", shots="voter-buttons")
    d = day.drv
    day.release(0)
    d.step()
    d.press(Nav.DOWN)  # the first press shows the focus (on the first candidate) and reads it out
    assert day.app.prefs.voice
    assert day.app.voice.history[-1].key == "candidate_1"
    d.press(Nav.DOWN)
    d.press(Nav.DOWN)
    assert day.app.voice.history[-1].key == "candidate_3"
    d.shot("ballot-focus")
    d.press(Nav.UP)
    assert day.app.voice.history[-1].key == "candidate_2"
    d.press(Nav.SELECT)
    assert d.screen == "confirm" and day.app.voice.history[-1].key == "confirm_2"
    d.press(Nav.BACK)  # "Tidak, Ulangi"
    assert d.screen == "ballot" and day.svc.counts()["ballots_cast"] == 0
    d.press(Nav.DOWN)
    d.press(Nav.SELECT)
    assert d.screen == "confirm"
    d.press(Nav.SELECT)  # too soon after choosing: a double press does not cast
    assert d.screen == "confirm" and day.svc.counts()["ballots_cast"] == 0
    d.advance(1)
    d.press(Nav.SELECT)  # "select for yes"
    assert d.screen == "printing" and day.app.voice.history[-1].key == "printing"
    d.step()
    assert day.svc.counts()["ballots_cast"] == 1
    assert d.screen == "slip_check" and day.app.voice.history[-1].key == "slip_check"
    d.press(Nav.DOWN)
    d.press(Nav.SELECT)  # "Struk sesuai"
    assert d.screen == "photo"
    d.advance(day.app.settings.photo_look_s + 0.5)
    for _ in range(4):
        d.advance(1)
    d.step()
    assert day.app.screen.phase == "review"
    d.press(Nav.SELECT)  # keep the photo
    assert d.screen == "thanks" and day.svc.counts()["photos"] == 1


def test_the_photo_can_be_taken_again_before_it_is_kept(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.release(0)
    d.step()
    d.tap("SUPARNO")
    d.advance(1)
    d.tap("Ya, Pilih")
    d.step()
    d.tap("Struk sesuai")
    photo(day)
    first = day.app.screen.jpeg
    d.tap("Ulangi foto")
    assert day.app.screen.phase == "look" and day.svc.counts()["photos"] == 0
    photo(day)
    assert day.app.screen.jpeg != first
    d.tap("Simpan foto")
    assert day.svc.counts()["photos"] == 1


def test_large_text_contrast_and_language_are_the_voters_own_and_reset_for_the_next(booth_day):
    day = booth_day(stage="open", shots="voter-access")
    d = day.drv
    day.release(0)
    d.step()
    normal_px = max(i.px for i in d.app.frame.items if i.text == "SUPARNO")
    d.tap("Huruf besar")
    d.tap("Kontras")
    assert day.app.prefs.large_text and day.app.prefs.high_contrast
    assert max(i.px for i in d.app.frame.items if i.text == "SUPARNO") > normal_px
    assert day.app.surface.get_at((2, day.app.size[1] // 2))[:3] == (0, 0, 0)  # black background
    d.shot("large-contrast")
    d.tap("English")
    assert d.shows("Touch the photo of the candidate you choose")
    d.shot("english")
    assert not audit(day.app)
    vote(day, 1)
    assert d.shows("Thank you. Your vote has been recorded")  # the thank-you is still in their language
    d.advance(day.app.settings.thanks_s + 1)
    assert d.screen == "waiting"
    day.clock.advance(30)
    day.release(1)
    d.step()
    assert d.screen == "ballot" and d.shows("Sentuh foto calon pilihan Anda")
    assert not (day.app.prefs.large_text or day.app.prefs.high_contrast or day.app.prefs.voice)
    assert max(i.px for i in d.app.frame.items if i.text == "SUPARNO") == normal_px
    assert day.app.surface.get_at((2, day.app.size[1] // 2))[:3] != (0, 0, 0)


def test_when_the_paper_runs_out_the_vote_is_kept_and_a_companion_reprints(booth_day):
    day = booth_day(stage="open", size=(800, 480), shots="voter-paper-out")
    d = day.drv
    day.release(0)
    d.step()
    day.devices.printer.paper_out_after(20)
    d.tap("AHMAD FAUZI")
    d.advance(1)
    d.tap("Ya, Pilih")
    d.step()
    assert d.screen == "print_failed" and d.shows("Panggil petugas")
    assert day.devices.panel.leds()["attention"] == "blinking"
    d.shot()
    counts = day.svc.counts()
    assert (counts["ballots_cast"], counts["slips_printed"], counts["slip_failures"]) == (1, 0, 1)
    d.advance(60)  # the voter's session survives waiting
    assert d.screen == "print_failed"
    sign_in(day)
    d.tap("Cetak ulang struk")
    assert d.shows("Kertas printer habis — ganti gulungan, lalu tekan Lanjut")
    d.shot()
    d.tap("Lanjut")  # paper not replaced yet: fails again, still no second ballot
    d.step()
    assert d.screen == "reprint" and day.svc.counts()["slip_failures"] == 2
    day.devices.printer.load_paper()
    d.tap("Lanjut")
    d.step()
    assert day.app.mode == "voter" and d.screen == "slip_check"
    counts = day.svc.counts()
    assert (counts["ballots_cast"], counts["slips_printed"], counts["reprints"]) == (1, 1, 1)


def test_a_camera_failure_can_be_retried_by_the_voter(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.release(0)
    d.step()
    d.tap("SUPARNO")
    d.advance(1)
    d.tap("Ya, Pilih")
    d.step()
    d.tap("Struk sesuai")
    day.devices.camera.fail_next()
    photo(day)
    assert day.app.screen.phase == "failed" and d.shows("Panggil petugas")
    assert d.shows("Kamera bermasalah — periksa kabel kamera, lalu coba lagi")
    d.tap("Coba lagi")
    photo(day)
    d.tap("Simpan foto")
    assert d.screen == "thanks" and day.svc.counts()["photos"] == 1


def test_an_idle_voter_is_prompted_then_the_companion_is_called_then_the_release_expires(booth_day):
    day = booth_day(stage="open", shots="voter-idle")
    d = day.drv
    s = day.app.settings
    day.release(0)
    d.step()
    d.advance(s.idle_prompt_s + 1)
    assert d.shows("Apakah Anda masih memilih? Sentuh layar untuk melanjutkan.")
    d.shot()
    d.tap("SITI RAHMAWATI")  # the touch that answers the prompt wakes the ballot and chooses nothing
    assert d.screen == "ballot" and day.app.voter.choice is None
    assert not d.shows("Apakah Anda masih memilih? Sentuh layar untuk melanjutkan.")
    d.advance(s.idle_call_s + 1)
    assert d.shows("Panggil petugas")
    assert day.devices.panel.leds()["attention"] == "blinking"
    d.shot()
    # the core expires an unused release only after its own timeout; the kiosk keeps asking
    assert day.svc.voter_screen()["screen"] == "ballot"
    for _ in range(12):
        d.advance(s.expire_retry_s)
    assert day.svc.voter_screen()["screen"] == "waiting"
    assert d.screen == "waiting" and day.svc.counts()["cancelled"] == 1
    assert day.svc.counts()["ballots_cast"] == 0


def test_paused_closed_and_not_open_screens(booth_day):
    day = booth_day(stage="zero")
    d = day.drv
    assert d.screen == "not_open" and d.shows("Pemungutan suara belum dibuka")
    day.open_at(0)
    day.svc.open_polls(day.token())
    d.step()
    assert d.screen == "waiting"
    day.svc.pause(day.token(), "istirahat")
    d.step()
    assert d.screen == "paused" and d.shows("Pemungutan suara dijeda")
    day.svc.resume(day.token())
    day.svc.close_polls(day.token(), "keadaan darurat")
    d.step()
    assert d.screen == "closed" and d.shows("TPS sudah ditutup")
    assert not d.targets()  # nothing to touch on a closed booth


def test_the_hidden_corner_long_press_opens_the_companion_screens(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.app.feed(d._event("down", (10, 10)))
    d.step()
    d.advance(1)
    assert day.app.mode == "voter"
    d.advance(day.app.settings.long_press_s)
    assert day.app.mode == "companion" and d.screen == "sign_in"
    day.app.feed(d._event("up", (10, 10)))
    d.step()
    assert d.screen == "sign_in"
    # a short touch on the corner does nothing
    d.tap("Kembali")
    assert day.app.mode == "voter"
    d.tap((10, 10))
    d.advance(5)
    assert day.app.mode == "voter"


# --------------------------------------------------------------- every size
class FiveCandidates:
    """A stand-in core with five candidates (the demo package has three), for the ballot layout."""

    def __init__(self, real) -> None:
        self.real = real
        self.names = ["SUPARNO", "SITI RAHMAWATI", "AHMAD FAUZI", "BAMBANG SUSILO WIBOWO", "ENDANG SRI LESTARI"]

    def __getattr__(self, name):
        return getattr(self.real, name)

    def election_info(self):
        info = dict(self.real.election_info())
        info["candidates"] = [{"number": i + 1, "name": n} for i, n in enumerate(self.names)]
        return info

    def candidate_photo(self, number):
        return self.real.candidate_photo((number - 1) % 3 + 1)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("look", ["normal", "large", "contrast"])
def test_five_candidates_fit_without_scrolling_and_targets_are_big_at_every_size(booth_day, size, look):
    day = booth_day(stage="open", size=size)
    app = KioskApp(
        FiveCandidates(day.svc),
        day.station,
        day.devices,
        size,
        clock=day.clock,
        settings=KioskSettings(poll_interval=0),
    )
    d = KioskDriver(app, shots_dir=SHOTS / "ballot-5")
    day.release(0)
    d.step()
    if look == "large":
        d.tap("Huruf besar")
    elif look == "contrast":
        d.tap("Kontras")
    cards = [w for w in app.screen.targets() if type(w).__name__ == "CandidateCard"]
    assert len(cards) == 5
    bounds = pygame.Rect(0, 0, *size)
    assert all(bounds.contains(c.rect) for c in cards)  # all five on screen: no scrolling
    assert audit(app) == []
    theme = app.theme_for(app.screen)
    assert min(min(c.rect.size) for c in cards) >= 1.5 * theme.target  # well over a fingertip
    d.shot(f"{size[0]}x{size[1]}-{look}")
    d.tap("BAMBANG SUSILO WIBOWO")
    assert d.screen == "confirm" and audit(app) == []
    d.shot(f"{size[0]}x{size[1]}-{look}-confirm")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_voter_screen_fits_at_every_size(booth_day, size):
    day = booth_day(stage="open", size=size, shots=f"voter-{size[0]}x{size[1]}")
    d = day.drv
    d.audit = True
    day.release(0)
    d.step()
    d.tap("Huruf besar")
    vote(day, 3)
    day.clock.advance(60)
    day.release(1)
    d.step()
    day.devices.printer.paper_out_after(20)
    d.tap("SUPARNO")
    d.advance(1)
    d.tap("Ya, Pilih")
    d.step()
    d.advance(day.app.settings.idle_prompt_s)
    day.devices.printer.load_paper()
    day.station.reprint(day.token())
    d.step()
    d.tap("Struk sesuai")
    day.devices.camera.fail_next()
    photo(day)
    d.tap("Coba lagi")
    photo(day)
    d.tap("Simpan foto")
    day.svc.pause(day.token(), "istirahat")
    d.step(2)
    seen = set(d.seen)
    assert {
        "waiting",
        "ballot",
        "confirm",
        "printing",
        "slip_check",
        "photo",
        "thanks",
        "print_failed",
        "paused",
    } <= seen
    assert d.problems == {}, d.problems


# ------------------------------------------------------------------- voice
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (apt-get install espeak-ng)")
def test_spoken_prompts_are_made_with_espeak_and_played_through_the_mixer(booth_day, tmp_path):
    made = make_clips(
        tmp_path / "voice", candidates=[(1, "SUPARNO"), (2, "SITI RAHMAWATI"), (3, "AHMAD FAUZI")], languages=("id",)
    )
    assert (tmp_path / "voice" / "id" / "confirm_2.wav").is_file()
    assert len(made) == len(clip_texts("id", [(1, "SUPARNO"), (2, "SITI RAHMAWATI"), (3, "AHMAD FAUZI")]))
    assert (
        make_clips(
            tmp_path / "voice",
            candidates=[(1, "SUPARNO"), (2, "SITI RAHMAWATI"), (3, "AHMAD FAUZI")],
            languages=("id",),
        )
        == []
    )  # unchanged words are not made again
    voice = Voice(tmp_path / "voice")
    assert voice.available  # the dummy audio driver is an audio output
    day = booth_day(stage="open", voice=voice)
    d = day.drv
    day.release(0)
    d.step()
    d.press(Nav.DOWN)
    d.press(Nav.DOWN)
    d.press(Nav.SELECT)
    spoken = voice.history[-1]
    assert spoken.key == "confirm_2" and spoken.played and spoken.path.name == "confirm_2.wav"
    assert clip_texts("id")["confirm_2"].startswith("Anda memilih Nomor Urut 2. Benar?")


def test_without_the_voice_turned_on_nothing_is_spoken(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    day.release(0)
    d.step()
    d.tap("SUPARNO")
    assert day.app.voice.history == []
    d.tap("Tidak, Ulangi")
    d.tap("Suara")
    assert day.app.prefs.voice
    d.tap("SUPARNO")
    assert day.app.voice.history[-1].key == "confirm_1"


def test_a_slip_the_kiosk_never_printed_is_reported_failed_for_a_reprint_not_recast(booth_day):
    """The kiosk restarted (or lost the cast's answer) after the ballot was recorded."""
    day = booth_day(stage="open")
    d = day.drv
    release = day.release(0)
    day.svc.cast(release, "1")  # recorded; this kiosk never got the slip to print
    d.step()
    assert d.screen == "printing"
    d.advance(day.app.settings.lost_print_s + 1)
    d.step()
    assert d.screen == "print_failed" and day.svc.counts()["slip_failures"] == 1
    day.devices.printer.load_paper()
    assert day.station.reprint(day.token()).ok
    d.step()
    assert d.screen == "slip_check" and day.svc.counts()["ballots_cast"] == 1


def test_a_ballot_cast_too_soon_after_the_last_waits_and_is_then_recorded(booth_day):
    """The core keeps casts a few seconds apart (ballot stuffing); the voter just waits a moment."""
    day = booth_day(stage="open")
    d = day.drv
    first = day.release(0)
    day.svc.cast(first, "2")
    day.svc.slip_printed(first)
    day.svc.slip_confirmed(first)  # "Struk sesuai"
    day.svc.skip_photo(day.token(), first, "uji")
    day.release(1)
    d.step()
    d.tap("SUPARNO")
    d.advance(1)
    d.tap("Ya, Pilih")
    d.step()
    assert d.screen == "printing" and day.svc.counts()["ballots_cast"] == 1  # not yet: too soon
    d.advance(day.svc.settings.min_cast_interval)
    d.step(2)
    assert day.svc.counts()["ballots_cast"] == 2 and d.screen == "slip_check"
