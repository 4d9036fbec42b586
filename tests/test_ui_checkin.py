"""Check-in on the booth's own screen: the next voter in the queue can see it.

Until a check-in desk exists the companion checks voters in on the booth.  What the screens show is
only what verification needs — the name, the NIK with its middle hidden (``1810********0012``) and
the year of birth; the full NIK, the date of birth and the address only after "Lihat detail"; and
nothing of the voter is left on the glass when the voter's turn starts.
"""

from __future__ import annotations

from booth.ui.checkin_screens import masked_nik
from test_ui_support import T, sign_in


def _find(day, query: str, name: str) -> None:
    d = day.drv
    d.tap(T("Voter check-in"))
    d.type(query)
    d.tap(T("Search"))
    assert d.screen == "voter_results"
    assert d.shows(name)


def test_the_search_results_show_names_masked_niks_and_years_of_birth_only(booth_day):
    day = booth_day(stage="open", size=(800, 480))
    d = day.drv
    v = day.pkg.voters[0]
    day.release(0)  # voter 0 is checked in: the list must not say so to the queue
    day.svc.cancel_release(day.token(), day.svc.voter_screen()["release"], "test")
    d.step()
    sign_in(day)
    _find(day, v.nik, v.name)
    shown = " | ".join(d.texts())
    assert masked_nik(v.nik) in shown and v.nik not in shown
    assert f"{v.birth_date:%Y}" in shown and f"{v.birth_date:%d}-{v.birth_date:%m}" not in shown
    assert v.address not in shown and f"RT {v.rt}" not in shown
    for status in ("Not voted", "Checked in", "In the booth", "Already voted"):
        assert not d.shows(T(status)), status


def test_full_details_only_behind_show_details_and_hidden_again(booth_day):
    day = booth_day(stage="open", size=(720, 1280))
    d = day.drv
    v = day.pkg.voters[3]
    sign_in(day)
    _find(day, v.name, v.name)
    d.tap(v.name, exact=True)
    assert d.screen == "voter"
    assert d.shows(masked_nik(v.nik)) and not d.shows(v.nik)
    assert d.shows(f"{v.birth_date:%Y}") and not d.shows(v.birth_date.isoformat())
    assert not d.shows(v.address)
    assert d.shows(T("Not voted"))  # the picked voter's status: the companion needs it
    d.tap(T("Show details"))
    assert d.shows(v.nik) and d.shows(v.birth_date.isoformat()) and d.shows(v.address)
    d.tap(T("Hide details"))
    assert not d.shows(v.nik) and not d.shows(v.address)


def test_releasing_the_ballot_leaves_nothing_of_the_voter_on_the_glass(booth_day):
    day = booth_day(stage="open", size=(1024, 600))
    d = day.drv
    v = day.pkg.voters[4]
    sign_in(day)
    _find(day, v.nik, v.name)
    d.tap(v.name, exact=True)
    d.tap(T("Show details"))
    d.tap(T("This is the person — release the ballot"))
    assert d.screen == "ballot" and day.app.mode == "voter"
    for words in (v.name, v.nik, masked_nik(v.nik), v.address):
        assert not d.shows(words), words
    # the companion comes back: the PIN first, and the voter's screens are gone
    sign_in(day)
    assert d.screen == "companion_home" and not d.shows(v.name)


def test_a_voters_details_left_on_screen_clear_themselves(booth_day):
    day = booth_day(stage="open", size=(800, 480))
    d = day.drv
    v = day.pkg.voters[5]
    sign_in(day)
    _find(day, v.name, v.name)
    d.advance(30)
    assert d.screen == "voter_results"  # still being worked on
    d.tap(v.name, exact=True)
    d.tap(T("Show details"))
    d.advance(61)
    assert d.screen == "companion_home" and not d.shows(v.name) and not d.shows(v.nik)
    assert day.svc.counts()["checked_in"] == 0  # clearing the screen checks no one in
    _find(day, v.name, v.name)
    d.advance(61)
    assert d.screen == "companion_home" and not d.shows(v.name)


def test_masking_keeps_the_first_and_last_four_digits():
    assert masked_nik("1810045206540012") == "1810********0012"
    assert masked_nik("181004520654") == "********0654"  # a short NIK from an old list: only the end
