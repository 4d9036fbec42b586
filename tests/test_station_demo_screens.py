"""``booth demo --booths 3 --screens``: the desk and every booth, each its own kiosk on its own
ledger, drawn side by side at the day's moments (``booth_sim.day.station_screens``).

What a person checks in ``screens/``: the desk chooses a free booth and tells the voter where to
go while that booth shows the ballot and the others wait for the desk; the lost booth is offline
and its release timed out at the desk; back, it refuses the stale release and says why; booth 1,
replaced by a spare mid-day, shows the waiting voter's ballot on the new device.
"""

from __future__ import annotations

import contextlib
import io
import json

import pygame

from booth.cli import main


def test_the_station_demo_draws_the_desk_and_each_booth_on_its_own_screen(tmp_path):
    out = tmp_path / "out"
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        code = main(["demo", "--booths", "3", "--voters", "60", "--seed", "7", "--screens", "--out", str(out)])
    assert code == 0, stream.getvalue()
    shots = sorted(p.name for p in (out / "screens").glob("*.png"))
    assert shots[0] == "001-polls-open.png" and shots[-1].endswith("-closed.png")
    assert any("offline-timed-out" in s for s in shots) and any("refuses-the-stale-release" in s for s in shots)
    w, h = pygame.image.load(str(out / "screens" / shots[0])).get_size()
    assert w > 3 * 400 and h > 2 * 240  # the desk and three booth tiles, each half of 800x480
    seen = json.loads((out / "screens" / "screens.json").read_text(encoding="utf-8"))

    def words(caption_part: str, device: str) -> str:
        caption = next(c for c in seen if caption_part in c)
        return " | ".join(seen[caption][device])

    opened = next(c for c in seen if c == "polls-open")
    assert all("Menunggu izin dari meja" in " ".join(seen[opened][f"bilik-{n}"]) for n in (1, 2, 3))
    chosen = next(c for c in seen if c.startswith("desk-chooses-booth-"))
    n = int(chosen.rsplit("-", 1)[1])
    assert f"Izinkan ke bilik {n}" in words(chosen, "meja")
    ballot = f"booth-{n}-ballot"
    assert f"Silakan ke bilik {n}" in words(ballot, "meja")
    assert "Menunggu izin dari meja" not in words(ballot, f"bilik-{n}")  # its ballot is open
    others = [m for m in (1, 2, 3) if m != n]
    assert all("Menunggu izin dari meja" in words(ballot, f"bilik-{m}") for m in others)
    assert "waktu habis: batalkan" in words("offline-timed-out", "meja")
    assert "Silakan kembali ke meja" in words("refuses-the-stale-release", "bilik-3")
    # booth 1 died mid-day: the spare, paired as booth 1, takes the voter who waited
    assert any("booth-1-replaced-by-a-spare" in s for s in shots)
    assert "Silakan ke bilik 1" in words("booth-1-replaced-by-a-spare", "meja")
    assert "Menunggu izin dari meja" not in words("booth-1-replaced-by-a-spare", "bilik-1")
