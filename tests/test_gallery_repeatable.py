"""The screen gallery can be made again without noise: the same screens give the same bytes.

A developer refreshes ``docs/screens`` after changing one screen: only that screen's PNGs may
change in the commit.  So the gallery fixes everything that is otherwise random on a booth (the
committee's keys and so the election ID, the device's key and fingerprint, the ballot IDs behind
the checkpoints), and a run of only some sizes or languages leaves the gallery page (which lists
them all) as it is.
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pytest

from booth_dev.gallery import main

pytestmark = pytest.mark.slow


def test_two_runs_draw_the_same_bytes_and_a_partial_run_keeps_the_page(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    second.mkdir()
    page = "# Layar kios / Kiosk screens\n\nthe whole gallery: every size, both languages\n"
    (second / "README.md").write_text(page, encoding="utf-8")

    assert main([str(first), "--sizes", "800x480", "--languages", "id"]) == 0
    assert main([str(second), "--sizes", "800x480", "--languages", "id"]) == 0

    shots = sorted(p.relative_to(first) for p in first.rglob("*.png"))
    assert len(shots) > 40
    assert shots == sorted(p.relative_to(second) for p in second.rglob("*.png"))
    differ = [str(p) for p in shots if (first / p).read_bytes() != (second / p).read_bytes()]
    assert differ == []  # the package screens (election ID), home (fingerprint), verify (checkpoints) too
    assert (second / "README.md").read_text(encoding="utf-8") == page  # a run of one size keeps the page
    assert "800x480/id/" in (first / "README.md").read_text(encoding="utf-8")  # a new folder gets its page
