"""The companions' guidebook: one command makes every image the Markdown shows, and both PDFs.

``booth_dev.guidebook.build`` runs the simulated day (the kiosk driven headless, the
simulator's demo day for the printed items) into a temporary folder holding
copies of docs/guidebook/id.md and en.md, with PDF compression off so the
PDFs' outline (one entry per heading) can be read here without a PDF library.
About 15-20 s.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("fpdf", reason="fpdf2 is not installed (pip install fpdf2; the test and docs extras)")

from booth_dev import guidebook

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils, scripts/setup --test) is not installed"
)
SOURCE = Path(__file__).resolve().parent.parent / "docs" / "guidebook"
EXPECTED = {
    "companion-reprint.png",
    "companion-no-package.png",
    "companion-package-load.png",
    "companion-package-check.png",
    "companion-home.png",
    "companion-pin.png",
    "companion-self-test.png",
    "companion-check-in.png",
    "companion-results.png",
    "voter-ballot.png",
    "voter-confirm.png",
    "voter-print-failed.png",
    "voter-slip-check.png",
    "voter-disputed.png",
    "companion-spoil.png",
    "print-slip-void.png",
    "print-self-test.png",
    "print-zero-report.png",
    "print-slip.png",
    "print-results-report.png",
    "print-custody-slip.png",
    # every fault's companion screen (issue #11 item 5)
    "voter-camera-failed.png",
    "companion-skip-photo.png",
    "companion-cancel-ballot.png",
    "companion-pin-locked.png",
    "companion-power-cut.png",
    # the polling station: a desk and its booths (issue #12 item 7)
    "station-pairing-desk.png",
    "station-pairing-booth.png",
    "station-release-booth.png",
    "station-go-to-booth.png",
    "station-timed-out.png",
    "station-cancel.png",
    "station-booth-waiting.png",
    "station-release-refused.png",
    "station-photo.png",
    "station-closing.png",
    "station-closing-refused.png",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("guidebook")
    for md in guidebook.PDFS:
        shutil.copyfile(SOURCE / md, out / md)
    said = io.StringIO()
    made = guidebook.build(out, stream=said, compress=False)
    return out, made, said.getvalue()


def image_refs(md: Path) -> list[str]:
    return [ref for _alt, ref in guidebook.IMAGE_REF.findall(md.read_text(encoding="utf-8"))]


def headings(md: Path) -> list[str]:
    return [
        m.group(2).strip().replace("**", "")
        for m in re.finditer(r"^(#{1,3})\s+(.*)$", md.read_text(encoding="utf-8"), re.MULTILINE)
    ]


def outline_titles(pdf: bytes) -> list[str]:
    """The /Title strings of an uncompressed PDF: literal ``(...)`` or UTF-16BE ``<feff...>``."""
    titles = []
    for literal, hexa in re.findall(rb"/Title (?:\(((?:\\.|[^\\)])*)\)|<([0-9a-fA-F]+)>)", pdf):
        if hexa:
            raw = bytes.fromhex(hexa.decode())
            titles.append(raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1"))
        else:
            titles.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return titles


def test_every_image_the_guidebook_shows_is_generated(built):
    out, _made, said = built
    referenced = set()
    for md in guidebook.PDFS:
        refs = image_refs(out / md)
        assert refs, md
        for ref in refs:  # a reference without a generated file fails here
            path = out / ref
            assert path.is_file(), f"{md} shows {ref}, which the command did not make"
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 3000, ref
            referenced.add(Path(ref).name)
    assert referenced == EXPECTED
    assert set(guidebook.SCREENS) | set(guidebook.PRINTS) == EXPECTED
    from PIL import Image

    for name in guidebook.SCREENS:
        with Image.open(out / "images" / name) as im:
            assert im.size == guidebook.SCREEN_SIZE, name
    for name in guidebook.PRINTS:
        with Image.open(out / "images" / name) as im:
            # 48 mm of 58 mm paper at 203 dpi; a slip is short (about 46 mm), a report a long strip
            short = name in ("print-slip.png", "print-slip-void.png")
            assert im.width == 384 and im.height > (300 if short else 600), name
    assert "printed items" in said


def test_both_pdfs_are_made_with_every_heading(built):
    out, made, _said = built
    assert {p.name for p in made.values()} == {"booth-panduan-id.pdf", "booth-guidebook-en.pdf"}
    for md, pdf in made.items():
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-")
        titles = outline_titles(data)
        for heading in headings(out / md):
            assert heading in titles, (md, heading, titles)
        assert data.count(b"/Subtype /Image") >= len(set(image_refs(out / md)))
        assert b"DejaVu" in data  # the Unicode font is embedded


def test_a_reference_to_an_image_that_was_not_made_fails(tmp_path):
    (tmp_path / "images").mkdir()
    md = tmp_path / "id.md"
    md.write_text("# Judul\n\nTeks.\n\n![Tidak ada](images/tidak-ada.png)\n", encoding="utf-8")
    assert guidebook.missing_images([md], tmp_path) == ["id.md: images/tidak-ada.png"]
    with pytest.raises(guidebook.GuidebookError, match="tidak-ada.png"):
        guidebook.build_pdf(md, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


# ------------------------------------------------------------------ the text as a reader sees it
def pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    """The words of a PDF (pdftotext), pages ``first``..``last`` (1-based) or all of them."""
    pages = [] if first is None else ["-f", str(first), "-l", str(last or first)]
    return subprocess.run(
        ["pdftotext", *pages, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout


@needs_poppler
def test_no_markdown_marker_is_printed_and_emphasis_is_italic(built):
    """The zero report's paragraph once printed a literal ``*checkpoint*``: a reader sees words, no
    asterisks or underscores, and the emphasised words are set in the oblique face."""
    _out, made, _said = built
    for md, pdf in made.items():
        text = pdf_text(pdf)
        assert "*" not in text, (md, [line for line in text.splitlines() if "*" in line])
        assert "__" not in text and "~~" not in text, md
        assert "DejaVuSans-Oblique" in fonts(pdf) or "DejaVuSansOblique" in fonts(pdf), md
    flat = " ".join(pdf_text(made["id.md"]).split())
    assert "kode pemeriksaan" in flat and "checkpoint" not in flat
    assert "verification code" in " ".join(pdf_text(made["en.md"]).split())


def render_inline(tmp_path: Path, text: str) -> str:
    from fpdf import FPDF

    pdf = FPDF()
    for style, name in (("", "DejaVuSans"), ("B", "DejaVuSans-Bold"), ("I", "DejaVuSans-Oblique")):
        pdf.add_font("DejaVu", style, str(guidebook.FONT_DIR / f"{name}.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(0, 6, guidebook._inline(text), markdown=True)
    out = tmp_path / "inline.pdf"
    pdf.output(str(out))
    return " ".join(pdf_text(out).split())


@needs_poppler
@settings(max_examples=25, deadline=None)
@given(st.text(alphabet="ab -_~\\1", min_size=1, max_size=24))
def test_text_without_emphasis_prints_exactly_as_written(tmp_path_factory, text):
    """Dashes, underscores, tildes and backslashes in the books are printed, never read as fpdf2's
    underline/italic/strike markers (``--`` is common in Indonesian typing)."""
    # compared without spaces: pdftotext guesses word gaps from the glyphs' positions
    assert render_inline(tmp_path_factory.mktemp("inline"), text).replace(" ", "") == "".join(text.split())


@needs_poppler
@pytest.mark.parametrize(
    ("markdown", "printed"),
    [
        ("dan *kode pemeriksaan* buku besar", "dan kode pemeriksaan buku besar"),
        ("**Struk sesuai** atau *tidak*", "Struk sesuai atau tidak"),
        ("kode `BOOTH1:**V**:x--y` tetap", "kode BOOTH1:**V**:x--y tetap"),
        ("2*3*4 dan * bintang *", "2*3*4 dan * bintang *"),
    ],
)
def test_inline_markdown_prints_the_words(tmp_path, markdown, printed):
    assert render_inline(tmp_path, markdown) == printed


# ------------------------------------------------------------------ what the books tell companions
def book(md: str) -> str:
    return " ".join((SOURCE / md).read_text(encoding="utf-8").split())


def test_the_books_cover_the_package_the_dispute_the_assistant_torn_slips_and_mixing():
    for md, words in {
        "id.md": {
            "package": ["Muat paket pemilihan", "Sesuai dengan kertas", "Paket pemilihan belum dimuat."],
            "dispute": ["Struk tidak sesuai", "BATAL / VOID", "paling banyak **dua kali**", "**melaporkan**"],
            "assistant": ["pendamping pemilih", "surat pernyataan pendamping", "**di formulir kertas saja**"],
            "torn": ["potongan struk selalu masuk Kotak Audit, tidak pernah ke tempat sampah"],
            "mix": ["**kocok**", "**tuang**", "**aduk**", "Sebelum kotak dibuka untuk penghitungan atau audit"],
        },
        "en.md": {
            "package": ["Load the election package", "It matches the paper", "No election package is loaded yet."],
            "dispute": ["The slip is wrong", "BATAL / VOID", "at most **twice**", "**escalate**"],
            "assistant": ["pendamping pemilih", "assistant's statement", "**on the paper form only**"],
            "torn": ["always go in the audit box, never in the bin"],
            "mix": ["**shake**", "**pour**", "**stir**", "Before the box is opened for counting or an audit"],
        },
    }.items():
        text = book(md)
        for topic, phrases in words.items():
            for phrase in phrases:
                assert phrase in text, (md, topic, phrase)
    # the old advice to throw the half-printed slip away is gone from both books
    assert "Buang potongan" not in book("id.md") and "Remove any half-printed slip" not in book("en.md")


def test_the_button_labels_in_the_books_are_the_kiosks_own():
    """A label the Indonesian book quotes in bold for the package screens is the catalog's word."""
    from booth.ui.i18n import translations

    catalog = translations("id")
    text = book("id.md")
    for msgid in (
        "Load the election package",
        "It matches the paper",
        "Look again",
        "Load another package",
        "No election package is loaded yet.",
    ):
        assert catalog.gettext(msgid) != msgid, msgid
        assert catalog.gettext(msgid) in text, msgid
        assert msgid in book("en.md"), msgid


@needs_poppler
def test_the_days_checklist_is_one_printed_page(built):
    _out, made, _said = built
    for md, (heading, last_row) in {
        "id.md": ("Daftar periksa hari pemungutan suara", "sesudah 13:00"),
        "en.md": ("The day's checklist", "after 13:00"),
    }.items():
        pdf = made[md]
        pages = [" ".join(pdf_text(pdf, n).split()) for n in range(1, page_count(pdf) + 1)]
        starts = [n for n, text in enumerate(pages) if heading in text]
        assert len(starts) == 1, (md, starts)
        page = pages[starts[0]]
        assert page.startswith("13. " + heading), page[:80]  # on a page of its own, from the top
        for when in ("06:00", "06:50", "07:00", "12:30", "13:00", last_row):
            assert when in page, (md, when)
        assert page.count("☐") >= 20, md
