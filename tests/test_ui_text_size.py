"""No text a person must read is drawn below 3.0 mm capitals on the actual panel, or outside its box.

A tired companion at 06:00 or an elderly voter without glasses reads what the glass shows, not
what the code asked for.  So these tests measure the frames as drawn: the screen gallery's three
walks (the companion's whole day, every voter screen and setting, the five-candidate ballot) are
driven at each resolution in both languages, and after EVERY frame each text the painter put on
the surface is measured — its rendered capital height in millimetres on that panel (from its DPI)
and the ink box of each of its rendered lines, before the box's clip:

* capitals below 3.0 mm (VVSG 2.0's smallest standard size), or below 4.0 mm for a candidate's
  name and number on the ballot and its confirmation, fail;
* ink outside the text's box (it was cut off, or runs over its neighbour) or off the screen fails;
* a text that did not fit even at the minimum (it should have wrapped or scrolled) fails.

Failures are listed per language and screen, with the words and the measured size.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from booth.ui.drawing import Painter  # noqa: E402
from booth.ui.i18n import data  # noqa: E402
from booth.ui.theme import BALLOT_MIN_CAP_MM, MIN_CAP_MM, Theme  # noqa: E402
from booth_dev.gallery import LANGUAGES, RESOLUTIONS, gallery_booths, walk_screens  # noqa: E402

BALLOT_SCREENS = {"ballot", "confirm"}
# every screen the gallery must show (tests/test_ui_gallery.py lists the pictures)
from test_ui_gallery import COMPANION, STATION, VOTER  # noqa: E402

TOLERANCE_PX = 1  # antialiasing may put a faint pixel on the box's edge


def measure(app, problems: dict, candidates: set[str]) -> None:
    """Measure every text of the frame just drawn; add what fails to ``problems[screen]``."""
    frame = app.frame
    theme = app.theme_for(app.screen)
    glass = pygame.Rect(0, 0, *app.size)
    for item in frame.items:
        if not item.ink:  # nothing visible was drawn (an empty text, a PIN's dots)
            continue
        ballot = frame.screen in BALLOT_SCREENS and item.kind == "data" and item.text in candidates
        least = BALLOT_MIN_CAP_MM if ballot else MIN_CAP_MM
        mm = theme.px_to_mm(item.cap_px)
        words = item.text.replace("\n", " ")[:48]
        if mm < least - 1e-9:
            problems[frame.screen].add(f"{words!r}: capitals {mm:.2f} mm < {least} mm ({item.px} px)")
        box = item.rect.inflate(2 * TOLERANCE_PX, 2 * TOLERANCE_PX)
        for ink in item.ink:
            if not box.contains(ink):
                problems[frame.screen].add(f"{words!r}: drawn outside its box {tuple(item.rect)} (ink {tuple(ink)})")
                break
            if not glass.contains(ink):
                problems[frame.screen].add(f"{words!r}: off the screen (ink {tuple(ink)})")
                break
        if item.clipped:
            problems[frame.screen].add(f"{words!r}: does not fit its box {item.rect.size} even at the minimum size")


def walk_and_measure(size) -> tuple[dict, set[str]]:
    problems: dict = defaultdict(set)
    pictured: set[str] = set()
    with gallery_booths() as (work, demo, five, device_key):
        candidates = {c.name for c in five[1].candidates} | {str(c.number) for c in five[1].candidates}
        for lang in LANGUAGES:
            per_lang: dict = defaultdict(set)

            def camera_for(drv, per_lang=per_lang):
                plain = drv.step

                def step(frames: int = 1):
                    for _i in range(frames):
                        plain(1)
                        measure(drv.app, per_lang, candidates)
                    return drv.app.frame

                drv.step = step

                def shot(caption=None):
                    pictured.add(caption or drv.screen)

                return shot

            walk_screens(work, size, lang, demo, five, device_key, camera_for)
            for screen, found in per_lang.items():
                problems[f"{lang}/{screen}"] = found
    return problems, pictured


@pytest.mark.parametrize("size", RESOLUTIONS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_gallery_screen_draws_its_text_at_least_3mm_tall_inside_its_box(size):
    problems, pictured = walk_and_measure(size)
    missing = [s for s in VOTER + COMPANION + STATION if s not in pictured]
    assert not missing, f"the walk did not reach {missing}"
    report = "\n".join(f"{screen}:\n  " + "\n  ".join(sorted(found)) for screen, found in sorted(problems.items()))
    assert not problems, f"{size[0]}x{size[1]}:\n{report}"


def test_the_measurement_fails_text_shrunk_to_fit_or_cut_off():
    """A control: the measurement catches a naive painter's 12 px shrink-to-fit and a cut-off line."""
    pygame.init()
    theme = Theme((800, 480))

    class App:  # the little of KioskApp that measure() reads
        size = (800, 480)
        screen = None

        def theme_for(self, _screen):
            return theme

    app = App()
    p = Painter(pygame.Surface(app.size), theme)
    p.text(data("KERTAS HAMPIR HABIS"), pygame.Rect(10, 10, 400, 40))  # fits at the minimum
    words = data("NURHAYATI HANDAYANI SEKAR ARUM WULANDARI")
    p.text(words, pygame.Rect(10, 100, 120, 20))  # cannot fit: cut off, not shrunk
    from dataclasses import replace

    naive = replace(p.items[0], px=12, cap_px=9)  # what the old painter drew: 12 px text

    class Frame:
        screen = "companion_home"
        items = [p.items[0], p.items[1], naive]

    app.frame = Frame()
    problems: dict = defaultdict(set)
    measure(app, problems, set())
    found = problems["companion_home"]
    assert any("capitals 1.7" in f for f in found), found  # 9 px capitals at 133 dpi
    assert any("outside its box" in f and "NURHAYATI" in f for f in found), found
    assert any("does not fit" in f for f in found), found
    assert not any("HAMPIR" in f and "capitals" not in f for f in found)
    assert p.items[0].px >= theme.min_px and theme.cap_mm(p.items[0].px) >= MIN_CAP_MM


def test_a_panel_too_small_for_its_lines_turns_pages_instead_of_shrinking_or_running_out():
    """The companion home's status on a 7" landscape panel: the lines that do not fit go on a next
    page (a touch turns it), every line stays at the minimum or larger and inside the panel."""
    from booth.ui.widgets import Panel

    pygame.init()
    theme = Theme((800, 480))
    lines = [(data(f"Baris {i}"), data(f"nilai {i}"), None) for i in range(9)]
    box = pygame.Rect(10, 10, 300, 150)
    panel = Panel(lambda: lines, box, pages=True)
    seen = []
    for _turn in range(3):
        p = Painter(pygame.Surface((800, 480)), theme)
        panel.draw(p)
        assert panel.tappable and panel.page_count > 1
        for item in p.items:
            assert box.contains(item.rect) and not item.clipped, item
            assert theme.cap_mm(item.px, item.bold) >= MIN_CAP_MM - 1e-9
        seen += [i.text for i in p.items if i.text.startswith("Baris")]
        panel.activate()
    assert {f"Baris {i}" for i in range(9)} <= set(seen)  # every line is on some page

    # the same lines without pages are cut at the panel's edge, where the measurement sees it
    p = Painter(pygame.Surface((800, 480)), theme)
    Panel(lambda: lines, box).draw(p)
    assert any(item.clipped for item in p.items)
