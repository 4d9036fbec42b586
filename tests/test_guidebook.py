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
from pathlib import Path

import pytest

pytest.importorskip("fpdf", reason="fpdf2 is not installed (pip install fpdf2; the test and docs extras)")

from booth_dev import guidebook

SOURCE = Path(__file__).resolve().parent.parent / "docs" / "guidebook"
EXPECTED = {
    "companion-home.png",
    "companion-pin.png",
    "companion-self-test.png",
    "companion-check-in.png",
    "companion-results.png",
    "voter-ballot.png",
    "voter-confirm.png",
    "voter-print-failed.png",
    "print-self-test.png",
    "print-zero-report.png",
    "print-slip.png",
    "print-results-report.png",
    "print-custody-slip.png",
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
            assert im.width == 384 and im.height > (300 if name == "print-slip.png" else 600), name
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
