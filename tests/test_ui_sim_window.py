"""The simulator window: the kiosk beside its virtual panel, under SDL's dummy driver."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame
import pytest

from booth.ui.i18n import _
from booth_sim.day.window import PANEL_W, SimWindow
from test_ui_support import fast_root


@pytest.fixture
def window(tmp_path):
    pygame.init()
    win = SimWindow.ready_booth(fast_root(tmp_path), ticking=False)
    win.step()
    yield win
    win.close()
    win.service.close()


def release_ballot(win, i: int = 0) -> None:
    """A companion checks in voter ``i`` and releases the ballot (through the API: setting the scene)."""
    svc = win.service
    tok = svc.sign_in("PT-01", win.pins["PT-01"])
    ref = win.package.voters[i].ref
    svc.check_in(tok, ref)
    svc.release_ballot(tok, ref)
    win.clock.advance(1)  # the kiosk asks the core again after its poll interval
    win.step()


def click_kiosk(win, label: str) -> None:
    """A mouse click on the kiosk's target ``label`` (the kiosk sits at the window's top-left)."""
    target = next(t for t in win.app.screen.targets() if label in t.label)
    for etype in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        pygame.event.post(pygame.event.Event(etype, pos=target.rect.center, button=1, touch=False))
        win.step()


def test_the_window_shows_the_kiosk_at_its_real_size_beside_the_panel(window):
    assert window.display.get_size() == (720 + PANEL_W, 1280)
    assert window.app.frame.screen == "waiting"
    kiosk_pixels = window.display.subsurface(pygame.Rect(0, 0, 720, 1280))
    assert kiosk_pixels.get_at((360, 640)) == window.app.surface.get_at((360, 640))
    assert {"UP", "DOWN", "SELECT", "BACK", "COMPANION", "paper_out", "camera_fail", "power_cut"} <= {
        c.name for c in window.controls
    }


def test_a_click_on_the_panel_buttons_reaches_the_kiosk_as_button_presses(window):
    release_ballot(window)
    assert window.app.frame.screen == "ballot"
    window.click_control("DOWN")
    window.step()
    window.click_control("SELECT")
    window.step()
    assert window.app.frame.screen == "confirm"


def test_the_companion_button_on_the_panel_opens_the_sign_in(window):
    window.click_control("COMPANION")
    window.step()
    assert window.app.frame.screen == "sign_in"


def test_paper_out_switch_makes_the_next_slip_fail_and_the_tape_shows_it_torn(window):
    release_ballot(window)
    window.click_control("paper_out")
    window.step()
    click_kiosk(window, window.package.candidates[0].name)
    assert window.app.frame.screen == "confirm"
    window.clock.advance(1)
    click_kiosk(window, str(_("Yes, choose")))
    for _i in range(3):
        window.step()
    assert window.app.frame.screen == "print_failed"
    assert window.service.counts()["slip_failures"] == 1
    assert window.tape and window.tape[-1][1]  # the torn piece is on the tape


def test_camera_switch_fails_the_camera_view(window):
    window.click_control("camera_fail")
    window._camera_at = -1
    window.step()
    assert window.camera_view is None and window.camera_error
    window.click_control("camera_fail")
    window._camera_at = -1
    window.step()
    assert window.camera_view is not None


def test_power_cut_switch_reaches_the_kiosk(window):
    window.click_control("power_cut")
    for _i in range(3):
        window.step()
    assert window.app.power_state == "battery"


def test_a_screenshot_of_the_whole_window_can_be_saved(window, tmp_path):
    release_ballot(window)
    path = window.save_screenshot(tmp_path / "window.png")
    saved = pygame.image.load(str(path))
    assert saved.get_size() == window.size


def test_a_scenario_plays_step_by_step_and_writes_its_artifacts_when_the_window_closes(tmp_path):
    from booth_sim.day.demo_scenario import MIN_VOTERS, demo_scenario
    from booth_sim.day.scenario import parse_scenario

    pygame.init()
    scenario = parse_scenario(demo_scenario(MIN_VOTERS, 7), source="<test>")
    win = SimWindow.play(scenario, tmp_path / "out")
    win.step()
    first = win.player.label()
    win.click_control("next_step")
    win.step()
    assert win.player.next == 1 and win.player.label() != first
    win.click_control("play")
    while not win.player.done:
        win.step()
    assert win.player.stopped is None
    assert win.finish_code() == 0
    assert (tmp_path / "out" / "summary.json").exists() and (tmp_path / "out" / "prints").is_dir()
    assert win.tape  # what the scripted day printed came out on the window's tape


def test_closing_the_window_ends_its_loop(window):
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    window.run()
    assert not window.running
