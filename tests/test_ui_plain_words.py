"""Screens a tired companion cannot misread: fixed places, reasons for what is greyed, plain words.

* the companion home keeps every action of the voting phase in its place whatever the booth shows
  (a ballot open, a voter at the photo, paused), destructive ones apart in the danger colour;
* an action that does not apply says why when touched, and changes nothing;
* "Ekspor hasil" is greyed with its reason until the results are printed;
* the photo step says the photo replaces the ink and is not linked to the choice, and its
  countdown is words in a band, not a digit that looks like a nomor urut;
* the count's question tells the companions to mix the Audit Box's slips before opening it.
"""

from __future__ import annotations

from test_ui_support import T, sign_in

ACTIONS = ["Voter check-in", "Pause voting", "Print the slip again", "Skip the photo"]
DANGER = ["Cancel the ballot in the booth", "Close the polls"]


def _places(day) -> dict[str, tuple]:
    return {w.label: tuple(w.rect) for w in day.app.screen.targets()}


def test_home_actions_stay_in_their_places_whatever_the_booth_shows(booth_day):
    day = booth_day(stage="open", size=(800, 480))
    d = day.drv
    sign_in(day)
    idle = _places(day)
    for words in ACTIONS + DANGER:
        assert T(words) in idle, words
    day.release(0)  # a voter at the ballot: "cancel" applies now
    d.advance(day.app.settings.status_interval + 0.1)
    with_ballot = _places(day)
    assert {k: with_ballot[T(k)] for k in ACTIONS + DANGER} == {k: idle[T(k)] for k in ACTIONS + DANGER}
    home = day.app.screen
    danger = [w for w in home.targets() if w.label in {T(x) for x in DANGER}]
    routine = [w for w in home.targets() if w.label in {T(x) for x in ACTIONS}]
    assert all(w.kind == "danger" for w in danger)
    assert min(w.rect.top for w in danger) > max(w.rect.bottom for w in routine) + day.app.theme_for(home).gap
    # pausing swaps "Pause" for "Resume" in the same place
    d.tap(T("Cancel the ballot in the booth"))
    d.tap(T("The voter left the booth without voting"))
    d.tap(T("OK"))
    d.tap(T("Pause voting"))
    d.tap(T("Break"))
    paused = _places(day)
    assert paused[T("Resume voting")] == idle[T("Pause voting")]
    assert paused[T("Close the polls")] == idle[T("Close the polls")]


def test_a_greyed_action_says_why_and_changes_nothing(booth_day):
    day = booth_day(stage="open", size=(1024, 600))
    d = day.drv
    sign_in(day)
    d.tap(T("Print the slip again"))
    assert d.screen == "notice" and d.shows(T("No slip is waiting to be printed again."))
    assert day.svc.counts()["reprints"] == 0
    d.tap(T("OK"))
    d.tap(T("Cancel the ballot in the booth"))
    assert d.shows(T("No ballot is open in the booth.")) and day.svc.counts()["cancelled"] == 0


def test_export_is_greyed_with_its_reason_until_a_copy_is_printed(booth_day):
    day = booth_day(stage="open", size=(1280, 800))
    d = day.drv
    day.open_at(24 * 60)  # after closing time
    sign_in(day)
    d.tap(T("Close the polls"))
    d.tap(T("Close the polls"))
    d.tap(T("OK"))
    d.tap(T("Count the votes"))
    assert d.shows("kocok") or d.shows("shake")  # mix the Audit Box's slips before opening it
    d.tap(T("Count the votes"), exact=True)
    assert d.screen == "results"
    export = d.target(T("Export the results"))
    assert not export.enabled and d.shows(T("Print the results first"))
    d.tap(T("Print the results"))
    d.step()
    assert d.target(T("Export the results")).enabled and not d.shows(T("Print the results first"))


def test_the_photo_step_says_what_the_photo_is_for_and_counts_down_in_words(booth_day):
    day = booth_day(stage="open", size=(800, 480))
    d = day.drv
    day.release(0)
    d.step()
    d.tap(day.pkg.candidates[0].name)
    d.advance(1)
    d.tap(T("Yes, choose"))
    d.step()
    d.tap(T("The slip is correct"))
    assert d.screen == "photo"
    assert d.shows("Foto ini pengganti tinta; tidak terhubung dengan pilihan Anda")
    d.advance(day.app.settings.photo_look_s + 0.5)
    assert d.shows("Foto dalam 3 detik")
    lone_digits = [t for t in d.texts() if t.strip() in {"1", "2", "3"}]
    assert lone_digits == []  # nothing on the photo screen looks like a nomor urut


def test_large_text_enlarges_the_names_and_keeps_the_photos_at_800x480_and_720x1280(booth_day):
    for size in ((800, 480), (720, 1280)):
        day = booth_day(stage="open", size=size)
        d = day.drv
        day.release(0)
        d.step()
        names = {c.name for c in day.pkg.candidates}

        def measured(day=day, names=names):
            frame = day.app.frame
            px = min(i.px for i in frame.items if i.text in names)
            pad = max(4, day.app.theme_for(day.app.screen).gap // 2)
            photos = [c.boxes(pad)[0] for c in day.app.screen.cards]
            return px, min(min(b.size) for b in photos)

        normal_px, normal_photo = measured()
        theme = day.app.theme_for(day.app.screen)
        assert theme.cap_mm(normal_px, True) >= 4.0  # never the 12 px names of before
        d.tap(T("Large text"))
        large_px, large_photo = measured()
        assert large_px > normal_px, size
        # the photos do not shrink much for the names (at 800x480 the larger names still cost the
        # three photos about a tenth: not yet "photos and names larger together" there)
        assert large_photo >= normal_photo * 0.85, size
