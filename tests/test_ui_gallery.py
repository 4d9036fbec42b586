"""The screen gallery: every voter and companion screen, in both languages, with its page."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame

from booth_dev.gallery import main

VOTER = [
    "waiting",
    "ballot",
    "confirm",
    "printing",
    "slip_check",
    "photo-look",
    "photo-countdown",
    "photo-review",
    "thanks",
    "ballot-idle-prompt",
    "ballot-call-companion",
    "ballot-large-text",
    "ballot-large-text-high-contrast",
    "ballot-high-contrast",
    "confirm-high-contrast",
    "ballot-other-language",
    "ballot-5-candidates",
    "ballot-5-candidates-large-text",
    "print_failed",
    "paused",
    "closed",
    "not_open",
]
COMPANION = [
    "sign_in",
    "package_load",
    "package_check",
    "custody",
    "make_pin",
    "companion_home",
    "text_entry",
    "self_test",
    "button_test",
    "zero_report",
    "reprint",
    "refusal",
    "voter_results",
    "dptb_form",
    "close",
    "results",
    "verify",
]
# the polling station's screens (booth.ui.station_screens): a desk, and a booth, paired
STATION = [
    "release_booth",
    "go_to_booth",
    "release_booth-timed-out",
    "release_booth-cancel",
    "pairing-desk",
    "companion_home-desk",
    "station_photo",
    "waiting-booth",
    "waiting-booth-refused",
    "pairing-booth",
    "release_refused",
    "station_closing",
    "station_closing-refused",
    "station_closing-printed",
    "station_export",
    "station_export-refused",
    "station_export-written",
]


def test_the_gallery_has_every_screen_in_both_languages_and_a_page_that_shows_them(tmp_path):
    assert main([str(tmp_path), "--sizes", "800x480"]) == 0
    names = {}
    for lang in ("id", "en"):
        files = sorted((tmp_path / "800x480" / lang).glob("*.png"))
        names[lang] = [f.stem.split("-", 1)[1] for f in files]
        missing = [s for s in VOTER + COMPANION + STATION if s not in names[lang]]
        assert not missing, f"{lang}: no picture of {missing}"
        for f in files:
            assert pygame.image.load(str(f)).get_size() == (800, 480)
    assert names["id"] == names["en"]  # the same screens, in the same order, in each language
    page = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert page.index("Bahasa Indonesia") < page.index("English")
    for lang in ("id", "en"):
        for f in (tmp_path / "800x480" / lang).glob("*.png"):
            assert f"800x480/{lang}/{f.name}" in page


def test_booth_sim_screens_drives_the_kiosk_voters_vote_by_touch_and_buttons(tmp_path):
    """``booth sim --screens``: the runner plays the companions and the faults, the voters vote on the
    kiosk (touch, or the panel buttons), and every step's screens are saved."""
    import argparse
    import io
    import json
    from contextlib import redirect_stdout

    from booth import cli, sim_cli
    from booth_sim.day.demo_scenario import MIN_VOTERS, demo_scenario

    scenario = demo_scenario(MIN_VOTERS, 7)
    path = tmp_path / "day.scenario.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "sim" not in sub.choices:
        sim_cli.register(sub)
    out = tmp_path / "out"
    args = parser.parse_args(["sim", "--scenario", str(path), "--out", str(out), "--screens"])
    with redirect_stdout(io.StringIO()) as stdout:
        code = args.func(args)
    assert code == 0, stdout.getvalue()[-3000:]

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    choices = [str(s["choice"]) for s in scenario["steps"] if s["step"] == "voter" and "choice" in s]
    assert summary["tally"] == {c: choices.count(c) for c in ("1", "2", "3")}
    # a reprint, never a second ballot; a disputed slip's spoiled ballot is cast and set apart
    assert summary["counts"]["spoiled"] >= 1
    assert summary["counts"]["ballots_cast"] == len(choices) + summary["counts"]["spoiled"]
    assert summary["faults"]["paper_out"] >= 1 and summary["counts"]["reprints"] >= 1
    assert all(e["met"] for e in summary["expectations"]) and all(v["ok"] for v in summary["verify"].values())

    screens = out / "screens"
    names = {f.name for f in screens.glob("*.png")}
    index = json.loads((screens / "index.json").read_text(encoding="utf-8"))
    assert {e["file"] for e in index} == names
    assert len({e["step"] for e in index}) == len(scenario["steps"]) + 1  # every step, and the start
    assert max(names).endswith("-pack-closed.png")
    voted = {e["step"]: e for e in index if e["screen"] == "confirm"}
    assert len(voted) >= len(choices) - 1  # all but the vote the crash recorded before the kiosk saw it
    for number, confirm in voted.items():
        choice = confirm["choice"]
        assert f"Anda memilih Nomor Urut {choice}. Benar?" in confirm["texts"]
        step = scenario["steps"][number - 1]
        assert step["step"] == "voter" and str(step["choice"]) == choice
        for screen in ("ballot", "confirm", "thanks"):
            assert f"{number:03d}-voter-{screen}.png" in names
    assert {e["by"] for e in voted.values()} == {"touch", "buttons"}
    assert any(e["screen"] == "print_failed" for e in index)  # the paper ran out mid-slip
    assert any(e["screen"] == "photo-failed" for e in index)  # the camera failed
    # every voter checks the slip on the kiosk; the disputing voter touches "Struk tidak sesuai"
    checked = {e["step"] for e in index if e["screen"] == "slip_check"}
    assert set(voted) <= checked
    disputed = [e for e in index if e["screen"] == "disputed"]
    assert len(disputed) == summary["counts"]["spoiled"]
    assert any("Panggil petugas" in t for t in disputed[0]["texts"])
    for f in ("010-voter-ballot.png", max(names)):
        assert pygame.image.load(str(screens / f)).get_size() == (720, 1280)
