"""The screen gallery: every voter and companion screen, in both languages, with its page."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame

from booth.ui.gallery import main

VOTER = ["waiting", "ballot", "confirm", "printing", "slip_check", "photo-look", "photo-countdown",
         "photo-review", "thanks", "ballot-idle-prompt", "ballot-call-companion", "ballot-large-text",
         "ballot-large-text-high-contrast", "ballot-high-contrast", "confirm-high-contrast",
         "ballot-other-language", "ballot-5-candidates", "ballot-5-candidates-large-text",
         "print_failed", "paused", "closed", "not_open"]
COMPANION = ["sign_in", "package_load", "package_check", "custody", "make_pin", "companion_home", "text_entry",
             "self_test", "button_test", "zero_report", "reprint", "refusal", "voter_results", "dptb_form",
             "close", "results", "verify"]


def test_the_gallery_has_every_screen_in_both_languages_and_a_page_that_shows_them(tmp_path):
    assert main([str(tmp_path), "--sizes", "800x480"]) == 0
    names = {}
    for lang in ("id", "en"):
        files = sorted((tmp_path / "800x480" / lang).glob("*.png"))
        names[lang] = [f.stem.split("-", 1)[1] for f in files]
        missing = [s for s in VOTER + COMPANION if s not in names[lang]]
        assert not missing, f"{lang}: no picture of {missing}"
        for f in files:
            assert pygame.image.load(str(f)).get_size() == (800, 480)
    assert names["id"] == names["en"]  # the same screens, in the same order, in each language
    page = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert page.index("Bahasa Indonesia") < page.index("English")
    for lang in ("id", "en"):
        for f in (tmp_path / "800x480" / lang).glob("*.png"):
            assert f"800x480/{lang}/{f.name}" in page


def test_a_headless_scenario_saves_what_the_kiosk_shows_after_every_step(tmp_path):
    import pytest
    from booth_sim.demo_scenario import MIN_VOTERS, demo_scenario
    from booth_sim.scenario import parse_scenario

    from booth.ui.gallery import scenario_screens

    scenario = parse_scenario(demo_scenario(MIN_VOTERS, 7), source="<test>")
    assert scenario_screens(scenario, tmp_path / "out") == 0
    shots = sorted((tmp_path / "out" / "screens").glob("*.png"))
    assert len(shots) == len(scenario.steps) + 1
    assert shots[-1].name.endswith("-pack-closed.png")
    assert (tmp_path / "out" / "summary.json").exists()
