"""Every word on the kiosk comes from the gettext catalogs, Indonesian first.

The painter records each text it draws as translated words (from ``_()``),
data (names, numbers, IDs), the core's own bilingual words, or "raw" — a
literal that bypassed the catalogs.  These tests render every screen of a
whole day in both languages and fail on any raw text, on words missing from
a catalog, and on Indonesian words left on an English screen.
"""

from __future__ import annotations

import gettext
import io

import pytest

from booth.ui import i18n
from booth.ui.drawing import Painter
from booth.ui.i18n import _, catalog, compile_po, data, parse_po, source_msgids
from booth.ui.screen import Screen
from booth.ui.theme import Theme
from booth.ui.widgets import Button
from test_ui_support import full_day, pygame

FIELD_WORDING = {
    "Touch the photo of the candidate you choose": "Sentuh foto calon pilihan Anda",
    "You chose ballot number {number}. Correct?": "Anda memilih Nomor Urut {number}. Benar?",
    "Yes, choose": "Ya, Pilih",
    "No, go back": "Tidak, Ulangi",
    "Please wait, your slip is being printed": "Mohon tunggu, struk sedang dicetak",
    "Put the slip in the Audit Box": "Masukkan struk ke Kotak Audit",
    "Thank you. Your vote has been recorded": "Terima kasih. Suara Anda telah tercatat",
    "Not on the voter list (DPT)": "Nama tidak terdaftar dalam DPT",
    "Call a companion": "Panggil petugas",
    "Waiting for a companion": "Menunggu petugas",
    "Continue": "Lanjut",
}


def test_the_field_wording_is_exactly_what_staff_use():
    cat = catalog("id")
    for msgid, words in FIELD_WORDING.items():
        assert cat[msgid] == words
    i18n.set_language("id")
    assert _("You chose ballot number {number}. Correct?").format(number=2) == "Anda memilih Nomor Urut 2. Benar?"


def test_every_message_in_the_sources_is_in_both_catalogs():
    used = source_msgids()
    assert len(used) > 200
    ids, ens = catalog("id"), catalog("en")
    missing = {m: where for m, where in used.items() if not ids.get(m) or m not in ens}
    assert missing == {}
    stale = set(ids) - set(used)
    assert stale == set(), "catalog entries no screen uses (python -m booth.ui.i18n update)"


def test_placeholders_survive_translation():
    import string

    ids = catalog("id")
    for msgid, words in ids.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(msgid) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(words) if f}, msgid


def test_the_compiled_catalog_is_what_gettext_reads():
    text = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Old"\nmsgstr "Lama"\n\n'
        'msgid "Yes, choose"\nmsgstr "Ya, "\n"Pilih"\n\nmsgid "Say \\"hi\\"\\n"\nmsgstr "Ucap \\"hai\\"\\n"\n'
    )
    entries = parse_po(text)
    assert "Old" not in entries and entries["Yes, choose"] == "Ya, Pilih"
    t = gettext.GNUTranslations(io.BytesIO(compile_po(text)))
    assert t.gettext("Yes, choose") == "Ya, Pilih" and t.gettext('Say "hi"\n') == 'Ucap "hai"\n'
    assert t.gettext("Old") == "Old"  # fuzzy entries are not used


def test_catalogs_compile_to_mo_files(tmp_path):
    import shutil

    root = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, root, ignore=shutil.ignore_patterns("*.mo"))
    written = i18n.compile_catalogs(root)
    assert [p.name for p in written] == ["booth.mo", "booth.mo"]
    t = gettext.translation("booth", localedir=str(root), languages=["id"])
    assert t.gettext("Yes, choose") == "Ya, Pilih"


class _Literal(Screen):
    name = "literal"

    def build(self, area):
        self.add(Button("Pilih", lambda: None, area))  # a literal: not through _()


def test_the_check_catches_a_literal_drawn_outside_the_catalogs():
    pygame.init()
    theme = Theme((800, 480))
    painter = Painter(pygame.Surface((800, 480)), theme)

    class App:
        showing_focus = False

        def theme_for(self, screen):
            return theme

    screen = _Literal(App())
    screen.layout((800, 480))
    screen.draw(painter)
    assert [(i.kind, i.text) for i in painter.items] == [("raw", "Pilih")]
    painter.items.clear()
    painter.text(_("Yes, choose"), pygame.Rect(0, 0, 400, 80))
    painter.text(data("SUPARNO"), pygame.Rect(0, 0, 400, 80))
    painter.text(_("Yes, choose") + "!", pygame.Rect(0, 0, 400, 80))  # gluing words makes a literal
    assert [i.kind for i in painter.items] == ["msg", "data", "raw"]


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_screen_of_the_day_draws_only_catalog_words_in_its_language(booth_day, language):
    day = booth_day(stage="new", size=(1024, 600), language=language, shots=f"i18n-{language}")
    with i18n.recording_lookups() as looked_up:
        full_day(day, shots=language == "en")
    frames = [f for frames in day.drv.seen.values() for f in frames]
    assert len(day.drv.seen) >= 30
    other = catalog("id") if language == "en" else {}
    cat = catalog(language)
    problems = set()
    for frame in frames:
        for item in frame.items:
            if item.kind == "raw" and item.text:
                problems.add(f"{frame.screen}: literal {item.text!r}")
            if item.kind == "msg":
                if item.msgid not in cat or (language == "id" and not cat[item.msgid]):
                    problems.add(f"{frame.screen}: {item.msgid!r} not in the {language} catalog")
                if language == "en" and item.text in other.values() and item.text not in cat.values():
                    problems.add(f"{frame.screen}: Indonesian {item.text!r} on an English screen")
    assert problems == set()
    assert set(looked_up) <= set(cat)
    # the voter's waiting screen shows both languages whatever the setting, Indonesian first
    waiting = day.drv.seen.get("waiting") or day.drv.seen["not_open"]
    assert waiting
