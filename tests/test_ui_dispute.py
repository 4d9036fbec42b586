"""The disputed slip on the kiosk: "Struk tidak sesuai", the companion spoils it with PIN, the voter votes again.

Driven by touches as in the booth; each step checks what the glass shows and
what the core recorded.  Screenshots go to ``$BOOTH_UI_SHOTS/voter-dispute``.
"""

from __future__ import annotations

import pytest

from test_ui_support import Nav, photo, pin_of


def companion_signs_in(day, companion: str = "PT-02") -> None:
    """The companion button, the name, the PIN, "Masuk" (without expecting the home screen)."""
    d = day.drv
    d.press(Nav.COMPANION)
    assert d.screen == "sign_in"
    d.tap(next(c.name for c in day.pkg.companions if c.id == companion))
    d.type(pin_of(companion))
    d.tap("Masuk")


def cast_on_the_kiosk(day, name: str) -> None:
    d = day.drv
    d.tap(name)
    d.advance(1)
    d.tap("Ya, Pilih")
    d.step()


def test_a_disputed_slip_is_spoiled_by_the_companion_and_the_voter_votes_again(booth_day):
    day = booth_day(stage="open", shots="voter-dispute")
    d = day.drv
    day.release(0)
    d.step()
    cast_on_the_kiosk(day, "SITI RAHMAWATI")
    assert d.screen == "slip_check"
    assert d.shows("Periksa struk Anda. Apakah struk menunjukkan pilihan Anda?")
    assert d.shows("Masukkan struk ke Kotak Audit")
    d.shot("slip-check")
    d.tap("Struk tidak sesuai")
    assert d.screen == "disputed" and d.shows("Panggil petugas")
    assert day.svc.counts()["disputes"] == 1 and day.svc.counts()["spoiled"] == 0
    d.shot("disputed")
    companion_signs_in(day)
    assert d.screen == "spoil" and d.shows("Struk disanggah")
    assert d.shows("Sudah dibatalkan untuk pemilih ini: 0 dari 2.")
    d.shot("spoil")
    d.tap("Kembali")  # the companion looks at the home screen first: the dispute has its own place there
    assert d.screen == "companion_home"
    d.shot("home-disputed")
    d.tap("Struk disanggah")
    assert d.screen == "spoil"
    d.tap("Batalkan surat suara ini")
    assert d.screen == "question" and d.shows("Batalkan surat suara yang disanggah?")
    d.shot("spoil-confirm")
    printed = len(day.station.printouts)
    d.tap("Batalkan surat suara ini")
    d.step(2)
    # the VOID mark came out, the ballot is spoiled, and the voter is back on the ballot
    assert [p.kind for p in day.station.printouts[printed:]] == ["slip_void"]
    assert day.app.mode == "voter" and d.screen == "ballot"
    assert d.shows("Surat suara Anda sebelumnya dibatalkan. Silakan memilih lagi.")
    d.shot("ballot-again")
    counts = day.svc.counts()
    assert counts["spoiled"] == 1 and counts["voted"] == 0 and counts["ballots_cast"] == 1
    d.advance(day.svc.settings.min_cast_interval)
    cast_on_the_kiosk(day, "AHMAD FAUZI")
    assert d.screen == "slip_check"
    d.tap("Struk sesuai")
    photo(day)
    d.tap("Simpan foto")
    assert d.screen == "thanks"
    counts = day.svc.counts()
    assert counts["voted"] == 1 and counts["ballots_cast"] == 2 and counts["spoiled"] == 1
    assert dict(day.svc.ledger.tally()) == {"3": 1}


def test_after_two_spoils_the_companion_escalates_and_the_ballot_stands(booth_day):
    day = booth_day(stage="open")
    d = day.drv
    release = day.release(0)
    svc = day.svc
    for _ in range(2):  # two disputes already settled by spoiling (through the API: the scene)
        day.clock.advance(svc.settings.min_cast_interval)
        svc.cast(release, "1")
        svc.slip_printed(release)
        svc.slip_disputed(release)
        svc.spoil_ballot(day.token("PT-02"), release)
    day.clock.advance(svc.settings.min_cast_interval)
    d.step()
    cast_on_the_kiosk(day, "SUPARNO")
    d.tap("Struk tidak sesuai")
    assert d.screen == "disputed"
    assert d.shows("Anda kembali menyatakan struk tidak sesuai. Petugas mencatat keberatan Anda untuk panitia.")
    companion_signs_in(day)
    assert d.screen == "spoil" and not d.shows("Batalkan surat suara ini")
    d.tap("Teruskan ke panitia")
    d.tap("Pemilih menyanggah struk untuk ketiga kalinya")
    d.step()
    assert day.app.mode == "voter" and d.screen == "photo"
    counts = svc.counts()
    assert counts["escalations"] == 1 and counts["spoiled"] == 2 and counts["voted"] == 1
    assert dict(svc.ledger.tally()) == {"1": 1}


@pytest.mark.parametrize("size", [(720, 1280), (800, 480), (1024, 600), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_dispute_screens_fit_at_every_size(booth_day, size):
    """Slip check, disputed, spoil and its question: targets big enough, nothing overlapping or off the glass."""
    day = booth_day(stage="open", size=size, shots=f"voter-dispute-{size[0]}x{size[1]}")
    d = day.drv
    d.audit = True
    day.release(0)
    d.step()
    cast_on_the_kiosk(day, "SUPARNO")
    d.shot("slip-check")
    d.tap("Struk tidak sesuai")
    d.shot("disputed")
    companion_signs_in(day)
    d.shot("spoil")
    d.tap("Batalkan surat suara ini")
    d.tap("Batalkan surat suara ini")
    d.step(2)
    assert {"slip_check", "disputed", "spoil", "question"} <= set(d.seen)
    assert d.problems == {}, d.problems
