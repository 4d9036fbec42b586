"""The printed QR that always scans: real reports, worn the way thermal paper wears, read back.

A saksi photographs the zero report's QR at opening and the results report's at the
close, off a print that may be blurred, faded, crooked, creased and shot at an angle
(the model is tests/qr_degrade.py, its levels in docs/results-statement.md §4).  These
tests render the real reports of a real day (tests/qr_day.py: the day through
``BoothService``, 2 and 8 candidates) with the real renderer on 58 and 80 mm paper,
degrade them at the documented levels, read every part with zxing-cpp and join the
parts with ``booth.qr_parts``: the result must be the exact signed statement.
"""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth import qr_parts
from booth.hardware.config import HardwareConfigError, parse_config
from booth.kiosk.printouts import paper_of, results_report_image, zero_report_image
from booth.paper import qr
from booth.paper.layout import PAPER_58, PAPER_80, Page, paper
from booth.results import open_opening, open_statement
from qr_day import qr_day
from qr_degrade import AT_LEAST, DOCUMENTED, FRAMES, PRINTS, decode, read_back

PAPERS = {"58mm": PAPER_58, "80mm": PAPER_80}
SEEDS = (0, 1)


def qr_regions(image) -> list[str]:
    """The printed codes of a report, in print order (regions ``qr-1``, ``qr-2``, ...)."""
    names = [name for name in image.info["regions"] if name.startswith("qr-")]
    return sorted(names, key=lambda name: int(name.split("-")[1]))


_RENDERED: dict = {}


def report(which: str, candidates: int, paper_name: str):
    """(image, text its QR must carry) of the day's zero or results report on that paper."""
    key = (which, candidates, paper_name)
    if key not in _RENDERED:
        day = qr_day(candidates)
        if which == "zero":
            _RENDERED[key] = (zero_report_image(day.zero, paper=PAPERS[paper_name]), day.opening)
        else:
            _RENDERED[key] = (results_report_image(day.results, paper=PAPERS[paper_name]), day.statement)
    return _RENDERED[key]


# --- the reports read back at every documented level -------------------------------


@pytest.mark.parametrize("paper_name", sorted(PAPERS))
@pytest.mark.parametrize("candidates", [2, 8])
@pytest.mark.parametrize("which", ["zero", "results"])
@pytest.mark.parametrize("kind", sorted(DOCUMENTED))
def test_a_worn_report_photographed_by_a_witness_gives_back_the_exact_statement(which, candidates, paper_name, kind):
    image, text = report(which, candidates, paper_name)
    assert image.width == PAPERS[paper_name].width
    regions = qr_regions(image)
    assert regions, "the report has no QR code"
    for seed in SEEDS:
        assert read_back(image, regions, kind, DOCUMENTED[kind], seed, FRAMES) == text, (kind, seed)


@pytest.mark.parametrize("paper_name, candidates", [("58mm", 2), ("58mm", 8), ("80mm", 8)])
@pytest.mark.parametrize("which", ["zero", "results"])
@pytest.mark.parametrize("kind, level", sorted(AT_LEAST))
def test_a_creased_report_still_reads_on_most_prints(which, candidates, paper_name, kind, level):
    # A crease (or the crease in a worn print) across a finder pattern breaks that code on
    # that print whatever the layout: the witness flattens the paper or scans another copy.
    image, text = report(which, candidates, paper_name)
    regions = qr_regions(image)
    read = sum(read_back(image, regions, kind, level, seed, FRAMES) == text for seed in range(100, 100 + PRINTS))
    assert read >= AT_LEAST[(kind, level)], f"{kind}-{level}: {read} of {PRINTS} prints read"


def test_what_the_witness_reads_back_is_the_signed_statement_the_booth_made():
    image, _ = report("zero", 8, "58mm")
    opening = open_opening(read_back(image, qr_regions(image), "photo", DOCUMENTED["photo"], 3, FRAMES))
    assert [name for _, name in opening.candidates][-1] == "RADEN AYU KUSUMAWARDHANI"
    image, _ = report("results", 8, "58mm")
    statement = open_statement(
        read_back(image, qr_regions(image), "photo", DOCUMENTED["photo"], 3, FRAMES), opening.verifier_key
    )
    assert statement.total == 240 and statement.balanced


# --- the old layout did not ------------------------------------------------------------


def old_layout_page(text: str):
    """The results QR as the renderer printed it before: strongest EC at >= 3 dots, one code."""
    page = Page(PAPER_58)
    page.space(16)
    with page.region("qr-1"):
        page.qr(text, min_module=3, max_module=5)
    page.space(16)
    return page.render()


@pytest.mark.parametrize("kind, level", [("blur", 3), ("photo", 4)])
def test_the_old_dense_code_fails_where_the_measured_layout_reads(kind, level):
    image, text = report("results", 8, "58mm")
    old = old_layout_page(text)
    seeds = range(4)
    new_reads = sum(read_back(image, qr_regions(image), kind, level, s, FRAMES) == text for s in seeds)
    old_reads = sum(read_back(old, ["qr-1"], kind, level, s, FRAMES) == text for s in seeds)
    assert new_reads == len(seeds)
    assert old_reads <= 1, f"the old 3-dot code read {old_reads} of {len(seeds)} times"


# --- the layout rule -------------------------------------------------------------------


@pytest.mark.parametrize("paper_name", sorted(PAPERS))
@pytest.mark.parametrize("candidates", [2, 5, 8])
def test_statements_print_at_the_measured_module_and_error_correction(candidates, paper_name):
    day = qr_day(candidates)
    for text in (day.opening, day.statement):
        chosen = qr.plan(text, PAPERS[paper_name])
        assert chosen.error == qr.ERROR
        assert chosen.module >= qr.module_dots(PAPERS[paper_name])  # 4 dots = 0.5 mm
        assert 1 <= len(chosen.parts) <= qr.MAX_PARTS
        assert qr_parts.join(chosen.payloads) == text
        assert all(chosen.size(p) <= PAPERS[paper_name].width for p in chosen.parts)


def test_a_split_statement_prints_one_part_under_the_other_labelled_qr_i_of_n():
    image, text = report("zero", 8, "58mm")
    regions = qr_regions(image)
    assert len(regions) >= 2, "an 8-candidate opening statement does not fit one sturdy code"
    spans = [image.info["regions"][name] for name in regions]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), "parts overlap"
    # Each part, read on its own, is its numbered part of the statement.
    payloads = []
    for i, (top, bottom) in enumerate(spans, start=1):
        found = decode(image.crop((0, top, image.width, bottom)))
        assert len(found) == 1 and found[0].startswith(f"B1 {i}/{len(spans)} ")
        payloads.append(found[0])
    assert qr_parts.join(reversed(payloads)) == text
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        pytest.skip("tesseract-ocr is not installed (the label check needs it)")
    for i, (_top, bottom) in enumerate(spans, start=1):
        label = image.crop((0, bottom - 60, image.width, bottom)).convert("L")
        label = label.resize((label.width * 2, label.height * 2))
        png = _png(label)
        words = subprocess.run(
            [tesseract, "stdin", "stdout", "--psm", "6"], input=png, capture_output=True, check=True
        ).stdout.decode()
        assert f"QR {i}/{len(spans)}" in words and "Pindai semua bagian" in words, words


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@settings(max_examples=25, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=900),
    paper_name=st.sampled_from(sorted(PAPERS)),
)
def test_any_text_the_plan_accepts_prints_as_codes_that_read_back_to_it(text, paper_name):
    try:
        chosen = qr.plan(text, PAPERS[paper_name])
    except qr.QrTooLong:
        assert len(text.encode("utf-8")) > 700  # only texts far longer than any statement
        return
    page = Page(PAPERS[paper_name])
    page.space(16)
    qr.print_plan(page, chosen)
    image = page.render()
    payloads = [
        decode(image.crop((0, t, image.width, b)))[0] for t, b in (image.info["regions"][n] for n in qr_regions(image))
    ]
    assert qr_parts.join(payloads) == text


# --- 80 mm paper is a configuration value --------------------------------------------


def test_the_printer_config_names_the_paper_width_and_the_reports_follow_it():
    assert parse_config({"printer": {"paper_mm": 80}}).printer.paper_mm == 80
    assert parse_config({}).printer.paper_mm == 58
    with pytest.raises(HardwareConfigError, match="paper_mm"):
        parse_config({"printer": {"paper_mm": 76}})
    assert paper_of(SimpleNamespace(width_dots=576)) is PAPER_80
    assert paper_of(SimpleNamespace()) is PAPER_58
    with pytest.raises(ValueError, match="58 atau 80"):
        paper(76)
