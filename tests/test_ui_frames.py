"""A kiosk on batteries: it draws only what changed, and sleeps while nobody touches it.

The polling station runs on a car battery; a kiosk that redraws its whole
screen 30 times a second for nobody empties it.  These scenarios count the
frames the kiosk actually draws (``Frame.number``, and the frames handed to the
display), check that a finger is answered on the very next frame, that a
countdown redraws its number and the camera picture alone, and that what is on
the glass after a partial redraw is exactly what a full drawing would show.
"""

from __future__ import annotations

import os
import threading
import time

import pygame
import pytest

from booth.hardware.controls import Nav
from booth.ui.app import KioskApp, KioskSettings
from booth.ui.drawing import Painter
from booth.ui.wakeup import InputWaiter
from test_ui_support import T


def full_drawing(app) -> pygame.Surface:
    """The screen now on top drawn from scratch (what every frame drew before)."""
    surf = pygame.Surface(app.size)
    screen = app.screen
    screen.draw(Painter(surf, app.theme_for(screen)))
    return surf


def same_pixels(a: pygame.Surface, b: pygame.Surface) -> bool:
    return pygame.image.tobytes(a, "RGB") == pygame.image.tobytes(b, "RGB")


def count_presented(app) -> list:
    shown: list = []
    app.on_present = lambda surface: shown.append((app.frame.screen, [pygame.Rect(r) for r in app.frame.rects]))
    return shown


def test_an_idle_waiting_screen_and_an_untouched_ballot_draw_no_frames(booth_day):
    day = booth_day(stage="open")
    d, app = day.drv, day.app
    assert d.screen == "waiting" and d.shows("Menunggu petugas")
    shown = count_presented(app)
    drawn = app.frame.number
    for _i in range(60):  # half a minute of kiosk time, two looks a second
        d.advance(0.5)
    assert app.frame.number == drawn and shown == []
    assert d.shows("Menunggu petugas")  # the record of what the glass shows is still there

    day.release(0)
    d.step()  # the companion released a ballot: the new screen is drawn whole, once
    assert d.screen == "ballot" and app.frame.number == drawn + 1
    assert [r.size for r in shown[0][1]] == [app.size]
    for _i in range(60):  # 30 s: the voter reads the names (the "still voting?" prompt comes at 45 s)
        d.advance(0.5)
    assert app.frame.number == drawn + 1 and len(shown) == 1
    assert all(d.shows(c.name) for c in day.pkg.candidates)
    assert same_pixels(app.surface, full_drawing(app))


def test_a_finger_on_a_candidate_is_answered_on_the_next_frame_by_redrawing_that_card_only(booth_day):
    day = booth_day(stage="open", finger=True)
    d, app = day.drv, day.app
    day.release(0)
    d.step()
    assert d.screen == "ballot"
    before = app.surface.copy()
    card = d.target("SITI RAHMAWATI")
    shown = count_presented(app)
    drawn = app.frame.number

    app.feed(d._event("down", card.rect.center))
    d.step()
    assert app.frame.number == drawn + 1 and len(shown) == 1  # the pressed look: this very frame
    rects = app.frame.rects
    assert rects and all(card.rect.inflate(16, 16).contains(r) for r in rects), (rects, card.rect)
    assert sum(r.width * r.height for r in rects) < 0.25 * app.size[0] * app.size[1]
    assert not same_pixels(app.surface, before)  # the card looks pressed
    assert same_pixels(app.surface, full_drawing(app))  # and nothing else is stale or torn

    app.feed(d._event("up", card.rect.center))
    d.step()
    assert d.screen == "confirm" and d.shows("Anda memilih Nomor Urut 2. Benar?")
    assert [r.size for r in app.frame.rects] == [app.size]
    assert same_pixels(app.surface, full_drawing(app))
    d.tap(T("No, go back"))
    assert d.screen == "ballot" and same_pixels(app.surface, full_drawing(app))


def test_a_button_press_draws_the_focus_ring_and_the_sound_switch_and_nothing_else(booth_day):
    day = booth_day(stage="open")
    d, app = day.drv, day.app
    day.release(0)
    d.step()
    drawn = app.frame.number
    assert not app.prefs.voice
    d.press(Nav.DOWN)  # through the simulated GPIO panel, as a finger on the real button
    assert app.frame.number == drawn + 1
    focused = app.screen.focused()
    assert focused is not None and app.prefs.voice  # a voter using the buttons hears the prompts
    sound = next(w for w in app.screen.targets() if w.label == T("Sound"))
    ring, switch = (w.rect.inflate(40, 40) for w in (focused, sound))
    assert all(ring.contains(r) or switch.contains(r) for r in app.frame.rects), (app.frame.rects, focused.rect)
    assert any(r.colliderect(sound.rect) for r in app.frame.rects)  # the switch shows "on"
    assert same_pixels(app.surface, full_drawing(app))


def test_the_photo_countdown_redraws_the_picture_and_its_words_alone(booth_day):
    day = booth_day(stage="open")
    d, app = day.drv, day.app
    day.release(0)
    d.step()
    d.tap("SITI RAHMAWATI")
    d.advance(1)
    d.tap(T("Yes, choose"))
    d.step()
    d.tap(T("The slip is correct"))  # "Struk sesuai"
    assert d.screen == "photo"
    d.advance(app.settings.photo_look_s + 0.5)  # the countdown starts
    d.step()
    screen = app.screen
    assert screen.phase == "countdown"
    drawn = app.frame.number
    counts = []
    for _i in range(6):
        d.advance(0.25)
        counts.append(screen.count_left())
        assert app.frame.rects, "the preview moves: every look at it draws a frame"
        picture = screen.picture_box.inflate(8, 8)
        assert all(picture.contains(r) for r in app.frame.rects), (app.frame.rects, screen.picture_box)
        assert same_pixels(app.surface, full_drawing(app))
    assert app.frame.number == drawn + 6
    assert len(set(counts)) >= 2  # the number went down on the glass


def _on_dummy_display(day, settings: KioskSettings) -> KioskApp:
    """A kiosk that owns a (dummy-driver) display and runs on the real clock, as on the appliance."""
    display = pygame.display.set_mode(day.app.size)
    app = KioskApp(day.svc, day.station, day.devices, day.app.size, settings=settings, surface=display)
    assert app.owns_display
    return app


@pytest.mark.parametrize("sleep_on", ["touch device", "looking every 20 ms"])
def test_the_kiosk_loop_sleeps_while_idle_and_wakes_at_once_for_a_finger_and_a_button(booth_day, sleep_on):
    """The loop as on the appliance: asleep on the touch screen's device (a pipe stands for
    /dev/input/event0: the kernel makes it readable when a finger lands), or, where no input
    device can be read (the dummy driver, a desktop window), looking for events every 20 ms."""
    day = booth_day(stage="open")
    day.release(0)
    settings = KioskSettings(poll_interval=0.5)
    app = _on_dummy_display(day, settings)
    device_r, device_w = os.pipe()
    waits = {"n": 0}
    if sleep_on == "touch device":
        app._waiter = InputWaiter(devices=[device_r])
        assert app._waiter.sleeps_on_devices
        real_wait = app._waiter.wait

        def counted_wait(timeout):
            waits["n"] += 1
            return real_wait(timeout)

        app._waiter.wait = counted_wait
    steps: list[tuple[float, int]] = []  # (when, frames drawn so far) after each step
    real_step = app.step

    def step():
        frame = real_step()
        steps.append((time.monotonic(), frame.number))
        return frame

    app.step = step
    presented: list[float] = []
    app.on_present = lambda surface: presented.append(time.monotonic())
    sent: dict[str, float] = {}
    card = None

    def touch(kind: str) -> None:
        w, h = app.size
        x, y = card.rect.center
        etype = pygame.FINGERDOWN if kind == "down" else pygame.FINGERUP
        sent[kind] = time.monotonic()
        pygame.event.post(pygame.event.Event(etype, x=x / w, y=y / h, dx=0, dy=0, finger_id=0, touch_id=0))
        os.write(device_w, b"\x03\x00\x35\x00" * 6)  # the kernel's copy of the touch, for our select()

    def press() -> None:
        sent["button"] = time.monotonic()
        day.devices.panel.press(Nav.DOWN)  # from another thread, as gpiozero calls back

    def stop() -> None:
        app.running = False

    start = time.monotonic()
    cpu = time.process_time()
    try:
        app.step()
        assert app.frame.screen == "ballot"
        card = next(w for w in app.screen.targets() if "SITI RAHMAWATI" in w.label)
        timers = [
            threading.Timer(3.0, press),
            threading.Timer(3.5, touch, ("down",)),
            threading.Timer(3.8, touch, ("up",)),
            threading.Timer(4.5, stop),
        ]
        for t in timers:
            t.start()
        app.run()
        for t in timers:
            t.join()
    finally:
        cpu = time.process_time() - cpu
        pygame.display.quit()
        os.close(device_r)
        os.close(device_w)
    # after the first frame it looks at 30 fps for lively_s (1.5 s: an animation might start with
    # the screen); then asleep: a look at the core twice a second, not 30 frames; nothing drawn
    idle = [s for s in steps if start + 1.6 < s[0] < start + 2.9]
    assert len(idle) <= 1.3 * 2 + 2, len(idle)
    assert idle[-1][1] == idle[0][1], "the idle ballot drew frames"
    if sleep_on == "touch device":  # one sleep per step: nothing polls in between
        assert waits["n"] <= len(steps) + 3, (waits["n"], len(steps))
    assert cpu / (time.monotonic() - start) < 0.25, cpu  # the old loop drew 30 full frames a second
    assert app.frame.screen == "confirm"
    # each input is on the glass within a moment (one frame is 33 ms; this machine is shared)
    for kind in ("button", "down", "up"):
        after = [t for t in presented if t >= sent[kind]]
        assert after and after[0] - sent[kind] < 0.5, (kind, after[:1], sent[kind])


def test_a_card_let_go_and_the_ballot_after_no_go_back_are_one_blit_of_what_was_drawn_before(booth_day):
    day = booth_day(stage="open", finger=True)
    d, app = day.drv, day.app
    day.release(0)
    d.step()
    assert d.screen == "ballot"
    first_ballot = app.surface.copy()
    card = d.target("SUPARNO")
    app.feed(d._event("down", card.rect.center))
    d.step()
    hits = app.drawn.hits
    app.feed(d._event("move", (3, app.size[1] // 2)))  # the finger slides off the card and lifts:
    app.feed(d._event("up", (3, app.size[1] // 2)))  # nothing is chosen, the card looks as before
    d.step()
    assert d.screen == "ballot" and app.drawn.hits == hits + 1
    assert same_pixels(app.surface, first_ballot)

    d.tap("SUPARNO")
    assert d.screen == "confirm"
    hits = app.drawn.hits
    d.tap(T("No, go back"))  # the voter looks again: the same ballot comes back
    assert d.screen == "ballot" and app.drawn.hits == hits + 1
    assert [r.size for r in app.frame.rects] == [app.size]
    assert same_pixels(app.surface, first_ballot) and same_pixels(app.surface, full_drawing(app))


def test_screens_draw_through_the_painter_only():
    """A pixel drawn beside the painter (``pygame.draw`` on ``p.surface``) is not in the frame's
    record: a change in it alone would not reach the glass, and a region drawn before would be
    shown again without it.  Screens and widgets draw with ``p.circle``, ``p.box``, ``p.image`` ..."""
    from pathlib import Path

    import booth.ui

    found = []
    for path in sorted(Path(booth.ui.__file__).parent.glob("*.py")):
        if path.name in ("drawing.py", "frames.py", "app.py"):
            continue  # the painter itself, the frame record, the kiosk's own surface
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if "pygame.draw." in code or ".blit(" in code or "p.surface" in code or "gfxdraw" in code:
                found.append(f"{path.name}:{n}: {line.strip()}")
    assert not found, "draw through the Painter instead:\n" + "\n".join(found)


def test_a_window_that_lost_its_picture_is_drawn_whole_again(booth_day):
    day = booth_day(stage="open")
    d, app = day.drv, day.app
    drawn = app.frame.number
    d.step()
    assert app.frame.number == drawn
    app.feed(pygame.event.Event(pygame.WINDOWEXPOSED))
    d.step()
    assert app.frame.number == drawn + 1 and [r.size for r in app.frame.rects] == [app.size]


def test_through_a_voter_s_whole_turn_the_glass_always_matches_a_full_drawing(booth_day):
    """Sign-in with the keypad, check-in with the keyboard, the ballot, confirmation, printing,
    the slip, the photo countdown and review, thanks: after every step the partly redrawn
    glass is exactly what drawing the whole screen would show."""
    from test_ui_support import check_in_and_release, sign_in, vote

    day = booth_day(stage="open")
    app = day.app
    checked = {"steps": 0, "drawn": 0}
    real_step = app.step

    def shown(surface):  # a drawn frame, as it reaches the glass (before the jobs after it run)
        checked["drawn"] += 1
        if app.frame.screen == "printing":
            return  # its busy stripe moves on at every drawing: a second drawing is not this frame
        assert same_pixels(surface, full_drawing(app)), (app.frame.screen, app.frame.rects)

    def step():
        frame = real_step()
        checked["steps"] += 1
        if not frame.rects and frame.screen != "printing":  # nothing drawn: the glass is still right
            assert same_pixels(app.surface, full_drawing(app)), frame.screen
        return frame

    app.on_present = shown
    app.step = step
    sign_in(day)
    voter = day.pkg.voters[2]
    check_in_and_release(day, voter.name.split()[0], voter.name)
    day.drv.step()
    assert day.drv.screen == "ballot"  # the release hands the booth to the voter
    vote(day, 2)
    assert day.svc.counts()["ballots_cast"] == 1
    assert checked["drawn"] < checked["steps"]  # some steps drew nothing at all


def test_a_signed_in_companion_s_idle_home_screen_sleeps_too(booth_day):
    from booth.ui.driver import KioskDriver
    from test_ui_support import pin_of

    day = booth_day(stage="open")
    app = _on_dummy_display(day, KioskSettings(poll_interval=0.5))
    d = KioskDriver(app)
    try:
        d.step()
        d.press(Nav.COMPANION)
        d.tap(next(c.name for c in day.pkg.companions if c.id == "PT-01"))
        d.type(pin_of("PT-01"))
        d.tap(T("Sign in"))
        assert d.screen == "companion_home"
        steps: list[float] = []
        real_step = app.step

        def step():
            steps.append(time.monotonic())
            return real_step()

        app.step = step
        start = time.monotonic()
        timer = threading.Timer(3.5, lambda: setattr(app, "running", False))
        timer.start()
        app.run()
        timer.join()
    finally:
        pygame.display.quit()
    assert app.mode == "companion" and d.shows(T("Voter check-in"))
    # its clock shows seconds: a look twice a second shows them; no 30-fps loop for a clock
    idle = [t for t in steps if start + 1.6 < t < start + 3.4]
    assert len(idle) <= 1.8 * 2 + 3, len(idle)


def test_every_drawing_call_of_the_painter_is_recorded_by_the_dry_run():
    """A Painter method the dry run does not know would draw on its scratch surface and never
    reach the glass: each one is recorded (or, like ``column``, made of recorded ones)."""
    from booth.ui.frames import RecordingPainter

    made_of_others = {"column"}  # column() draws through self.text()
    drawing = {
        name
        for name, value in vars(Painter).items()
        if callable(value) and not name.startswith("_") and not isinstance(value, property)
    }
    missing = drawing - made_of_others - set(vars(RecordingPainter))
    assert not missing, f"record these in booth.ui.frames.RecordingPainter: {sorted(missing)}"


def test_the_first_finger_on_a_card_after_the_ballot_appears_is_one_blit_of_its_pressed_look(booth_day, monkeypatch):
    """The pressed look of every card is drawn ahead once the new ballot is on the glass: the
    voter's first touch draws no card at all (not on the dry run, not on the glass), it blits the
    look kept for it and shows only that card's rectangle; the glass is still a full drawing."""
    from booth.ui.widgets import CandidateCard

    day = booth_day(stage="open", finger=True)
    d, app = day.drv, day.app
    day.release(0)
    d.step()
    assert d.screen == "ballot"
    card = d.target("SUPARNO")
    drawn_cards = []
    real_draw = CandidateCard.draw
    monkeypatch.setattr(
        CandidateCard, "draw", lambda self, p, **kw: (drawn_cards.append(self.name), real_draw(self, p, **kw))[1]
    )
    hits, misses, kept = app.drawn.hits, app.drawn.misses, app.frames.hits
    app.check_frames = False  # as on the appliance (the tests' fresh dry run would draw the cards)

    app.feed(d._event("down", card.rect.center))
    d.step()
    assert drawn_cards == []  # every card's look, pressed or not, was recorded before
    assert app.frames.hits == kept + 1  # the whole dry run, kept when the pressed look was drawn ahead
    assert (app.drawn.hits, app.drawn.misses) == (hits + 1, misses)  # one blit, nothing drawn
    assert app.frame.rects and all(card.rect.inflate(16, 16).contains(r) for r in app.frame.rects)
    monkeypatch.setattr(CandidateCard, "draw", real_draw)
    assert same_pixels(app.surface, full_drawing(app))  # it is the pressed look, nothing stale

    app.feed(d._event("up", card.rect.center))
    d.step()
    assert d.screen == "confirm" and d.shows("SUPARNO")


def test_a_widget_s_recorded_look_follows_what_it_shows(booth_day):
    """Looks are kept by what a widget shows (Widget.look_key): a voter who turns on large text
    gets new cards, a switched toggle its new look, another voter's language its words."""
    day = booth_day(stage="open")
    d, app = day.drv, day.app
    day.release(0)
    d.step()
    for label in (T("Large text"), T("Contrast"), T("Sound")):
        d.tap(label)
        assert d.screen == "ballot" and same_pixels(app.surface, full_drawing(app)), label
    d.tap("English")
    assert d.shows("Touch the photo of the candidate you choose")
    assert same_pixels(app.surface, full_drawing(app))


def test_a_companion_s_first_finger_on_a_key_is_one_blit_and_the_letter_shows_at_once(booth_day):
    """The keyboard's and the PIN pad's keys have their pressed looks drawn ahead as the ballot's
    cards: the first finger on a key after the screen appears draws nothing (one region-cache
    hit, no miss), and the letter it types is on the next frame, nothing stale."""
    from test_ui_support import pin_of

    day = booth_day(stage="open", finger=True)
    d, app = day.drv, day.app
    d.press(Nav.COMPANION)
    d.tap(next(c.name for c in day.pkg.companions if c.id == "PT-01"))
    key = d.target("7", exact=True)  # the PIN pad, just drawn new
    hits, misses = app.drawn.hits, app.drawn.misses
    app.feed(d._event("down", key.rect.center))
    d.step()
    assert (app.drawn.hits, app.drawn.misses) == (hits + 1, misses)
    assert app.frame.rects and all(key.rect.inflate(16, 16).contains(r) for r in app.frame.rects)
    assert same_pixels(app.surface, full_drawing(app))
    app.feed(d._event("up", key.rect.center))
    d.step()
    assert same_pixels(app.surface, full_drawing(app))  # one dot more in the PIN field
    d.tap(T("Delete"))
    d.type(pin_of("PT-01"))
    d.tap(T("Sign in"))
    d.tap(T("Voter check-in"))
    key = d.target("K", exact=True)
    hits, misses = app.drawn.hits, app.drawn.misses
    app.feed(d._event("down", key.rect.center))
    d.step()
    assert (app.drawn.hits, app.drawn.misses) == (hits + 1, misses)
    assert same_pixels(app.surface, full_drawing(app))
    app.feed(d._event("up", key.rect.center))
    d.step()
    assert d.shows("K") and same_pixels(app.surface, full_drawing(app))


def test_a_key_typed_on_the_voter_search_runs_no_dry_run_of_the_screen(booth_day, monkeypatch):
    """The check-in desk's search screen has some forty keys: a finger on one of them takes the
    whole frame's record kept when its pressed look was drawn ahead (no dry run of the screen, no
    drawing), and the letter it types shows on the next frame exactly as a full drawing would."""
    from booth.ui.screen import Screen
    from test_ui_support import pin_of

    day = booth_day(stage="open", finger=True)
    d, app = day.drv, day.app
    d.press(Nav.COMPANION)
    d.tap(next(c.name for c in day.pkg.companions if c.id == "PT-01"))
    d.type(pin_of("PT-01"))
    d.tap(T("Sign in"))
    d.tap(T("Voter check-in"))
    d.type("SI")
    d.step()
    assert d.screen == "voter_search" and d.shows("SI")
    key = d.target("T", exact=True)
    app.check_frames = False  # as on the appliance (the tests' check runs a fresh dry run)
    runs: list[str] = []
    real_draw = Screen.draw
    monkeypatch.setattr(Screen, "draw", lambda self, p: (runs.append(self.name), real_draw(self, p))[1])
    kept, hits, misses = app.frames.hits, app.drawn.hits, app.drawn.misses
    app.feed(d._event("down", key.rect.center))
    d.step()
    assert runs == [] and app.frames.hits == kept + 1  # the screen's frame came from the memo
    assert (app.drawn.hits, app.drawn.misses) == (hits + 1, misses)  # and its pixels from the cache
    assert app.frame.rects and all(key.rect.inflate(16, 16).contains(r) for r in app.frame.rects)
    assert same_pixels(app.surface, full_drawing(app))
    app.feed(d._event("up", key.rect.center))
    d.step()
    assert d.shows("SIT") and same_pixels(app.surface, full_drawing(app))
    # the letter typed, the keys' pressed frames were made ready for "SIT" too: the next finger
    key = d.target("I", exact=True)
    runs.clear()
    kept = app.frames.hits
    app.feed(d._event("down", key.rect.center))
    d.step()
    assert runs == [] and app.frames.hits == kept + 1
    assert same_pixels(app.surface, full_drawing(app))


def test_a_frame_key_that_leaves_something_out_is_caught_by_the_tests_check(booth_day, monkeypatch):
    """The memo trusts each screen's paint_key: one that forgets what it draws (here the ballot's
    "are you still voting?" banner) would leave the old ballot on the glass.  With
    BOOTH_UI_CHECK_FRAMES=1, as in every test, the kiosk compares each kept frame with a fresh
    dry run and stops on the first difference, naming the screen."""
    from booth.ui.voter_screens import BallotScreen, VoterScreen

    monkeypatch.setattr(BallotScreen, "paint_key", VoterScreen.paint_key)  # idle_stage left out
    day = booth_day(stage="open")
    d, app = day.drv, day.app
    assert app.check_frames
    day.release(0)
    d.step()
    assert d.screen == "ballot"
    with pytest.raises(AssertionError, match="'ballot': its frame key leaves out something it draws"):
        for _i in range(100):
            d.advance(0.5)  # the banner comes at 45 s


def test_a_screen_that_draws_more_than_its_parent_without_saying_on_what_gets_no_frame_key(booth_day):
    """A screen that paints its body (or draws) itself, but inherits its parent's paint_key, is
    run afresh on every step: its parent's key cannot know what it added."""
    from booth.ui.common_screens import CompanionScreen

    class Clock(CompanionScreen):
        name = "clock"

        def paint_body(self, p):
            p.text(str(self.app.now()), self.head_rect, p.theme.body)

    class KnownClock(Clock):
        def paint_key(self):
            return (super().paint_key(), str(self.app.now()))

    day = booth_day(stage="open")
    for screen_type, keyed in ((CompanionScreen, True), (Clock, False), (KnownClock, True)):
        screen = screen_type(day.app)
        screen.layout(day.app.size)
        assert (screen.frame_key() is not None) is keyed, screen_type.__name__
