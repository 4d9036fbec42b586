"""Printed paper, checked the way a witness checks it: by reading it and scanning it.

Every item booth prints is a 1-bit image 384 dots wide.  These tests read the
images back with a real QR decoder (zxing-cpp) and a real OCR engine
(Debian's ``tesseract-ocr``; OCR assertions are skipped, saying so, only where
the binary is missing — ``.ci/run`` installs it).

OCR noise is handled in one principled way: text is compared after
*squashing* (upper case, letters and digits only), names by fuzzy match
(:func:`fuzzy_contains`, 90 % similar), numbers by OCR of their own table
cell restricted to digits, and hex IDs after mapping the letters O/I/L that
hex never uses back to the digits 0/1/1.
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import os
import re
import shutil
import subprocess
from dataclasses import replace
from functools import cache

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageFilter, ImageOps

from booth import qr_parts
from booth.paper import (
    CandidateVotes,
    QrTooLong,
    Reconciliation,
    SlipData,
    reconcile,
    render_custody_slip,
    render_results_report,
    render_self_test,
    render_slip,
    render_zero_report,
    short_ballot_id,
    slip_qr_payload,
)
from booth.paper.layout import MARGIN, WIDTH, fit_qr
from booth.paper.slip import QR_WIDTH
from booth_dev import paper_examples as ex

TESSERACT = shutil.which("tesseract")
needs_ocr = pytest.mark.skipif(
    TESSERACT is None,
    reason="OCR check skipped: the tesseract binary is not installed "
    "(apt-get install tesseract-ocr; .ci/run installs it)",
)


# --- the items, rendered once ---------------------------------------------------


@cache
def item(name: str) -> Image.Image:
    makers = {
        "slip": lambda: render_slip(ex.example_slip(2)),
        "slip-blank": lambda: render_slip(ex.example_slip(None)),
        "zero-report": lambda: render_zero_report(ex.example_zero_report()),
        "results-report": lambda: render_results_report(ex.example_results_report()),
        "results-9-long-names": lambda: render_results_report(
            ex.example_results_report(ex.NINE_LONG_NAMES, votes=(61, 55, 48, 40, 33, 27, 15, 8, 0))
        ),
        "zero-9-long-names": lambda: render_zero_report(
            replace(
                ex.example_zero_report(), candidates=tuple(CandidateVotes(n, name) for n, name in ex.NINE_LONG_NAMES)
            )
        ),
        "custody-slip": lambda: render_custody_slip(ex.example_custody_slip()),
        "self-test": lambda: render_self_test(ex.example_self_test()),
        "self-test-failed": lambda: render_self_test(ex.example_self_test(failing=("Daya",))),
    }
    return makers[name]()


ITEMS = [
    "slip",
    "slip-blank",
    "zero-report",
    "results-report",
    "results-9-long-names",
    "zero-9-long-names",
    "custody-slip",
    "self-test",
    "self-test-failed",
]

QR_PAYLOADS = {
    "slip": lambda: ex.example_slip().payload,
    "zero-report": lambda: ex.example_zero_report().checkpoint,
    "results-report": lambda: ex.example_results_report().qr_payload,
    "custody-slip": lambda: ex.example_custody_slip().checkpoint,
}


# --- reading the paper back -------------------------------------------------------


@cache
def _tesseract(png: bytes, psm: int, digits: bool) -> str:
    args = [TESSERACT, "stdin", "stdout", "--psm", str(psm)]
    if digits:
        args += ["-c", "tessedit_char_whitelist=0123456789"]
    # One thread is four times faster than OpenMP's default on a 2-core machine.
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    done = subprocess.run(args, input=png, capture_output=True, env=env, timeout=60, check=True)
    return done.stdout.decode("utf-8", "replace")


def ocr(image: Image.Image, *, psm: int = 6, digits: bool = False) -> str:
    """Tesseract's reading of ``image`` (psm 6: a uniform block of text, top to bottom)."""
    buffer = io.BytesIO()
    ImageOps.expand(image.convert("L"), 16, fill=255).save(buffer, format="PNG")
    return _tesseract(buffer.getvalue(), psm, digits)


def squash(text: str) -> str:
    """Upper case, letters and digits only: what survives OCR's spacing and punctuation noise."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def as_hex(text: str) -> str:
    """Squashed, with the letters hex never uses read back as the digits they look like."""
    return squash(text).translate(str.maketrans("OIL", "011"))


def fuzzy_contains(text: str, needle: str, min_ratio: float = 0.9) -> bool:
    """Does ``text`` contain ``needle``, squashed, with at most ~10 % of characters misread?"""
    hay, pin = squash(text), squash(needle)
    if pin in hay:
        return True
    n = len(pin)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(pin)
    best = 0.0
    for start in range(0, max(1, len(hay) - n + 1)):
        for size in (n - 1, n, n + 1):
            matcher.set_seq1(hay[start : start + size])
            best = max(best, matcher.ratio())
    return best >= min_ratio


def number_box(slip: Image.Image) -> Image.Image:
    """The boxed nomor urut of a slip: its region, cut at the first blank column right of the box."""
    rows = region(slip, "number")
    x = MARGIN + 8
    while rows.crop((x, 0, x + 1, rows.height)).getextrema() != (255, 255):
        x += 1
    return rows.crop((0, 0, x, rows.height))


def region(image: Image.Image, name: str, x0: int = 0, x1: int = WIDTH) -> Image.Image:
    top, bottom = image.info["regions"][name]
    return image.crop((x0, top, x1, bottom))


def cell_digits(image: Image.Image, name: str, x0: int, x1: int) -> str:
    """The number printed in one table cell (columns x0..x1 of a region), read as digits only."""
    return ocr(region(image, name, x0, x1), psm=7, digits=True).strip()


def votes_cell(image: Image.Image, number: int) -> str:
    return cell_digits(image, f"candidate-{number}", WIDTH - MARGIN - 84, WIDTH)


def number_cell(image: Image.Image, number: int) -> str:
    return cell_digits(image, f"candidate-{number}", 0, MARGIN + 52)


def qr_texts(image: Image.Image) -> list[bytes]:
    return [r.bytes for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _shift(image: Image.Image, dx: int, dy: int, fill: int = 255) -> Image.Image:
    out = Image.new("L", image.size, fill)
    out.paste(image, (dx, dy))
    return out


def dot_gain(image: Image.Image) -> Image.Image:
    """A hot head: every black dot also blackens its right and lower neighbour."""
    grey = image.convert("L")
    return ImageChops.darker(ImageChops.darker(grey, _shift(grey, 1, 0)), _shift(grey, 0, 1))


def faded(image: Image.Image) -> Image.Image:
    """A worn head or old paper: black loses one dot on its right and lower edge (erosion)."""
    grey = image.convert("L")
    return ImageChops.lighter(ImageChops.lighter(grey, _shift(grey, 1, 0)), _shift(grey, 0, 1))


def phone_photo(image: Image.Image) -> Image.Image:
    """A witness's phone: blurred, turned 3 degrees, at three quarters of the print's resolution."""
    grey = image.convert("L").filter(ImageFilter.GaussianBlur(1.2))
    grey = grey.rotate(3, resample=Image.BICUBIC, expand=True, fillcolor=255)
    return grey.resize((grey.width * 3 // 4, grey.height * 3 // 4), Image.BILINEAR)


def lone_dots(image: Image.Image) -> int:
    """Black dots with no black neighbour across, or none up and down: strokes 1 dot thin."""
    black = ImageOps.invert(image.convert("L"))  # 255 where the paper is black
    count = 0
    for dx, dy in ((1, 0), (0, 1)):
        neighbours = ImageChops.lighter(_shift(black, dx, dy, 0), _shift(black, -dx, -dy, 0))
        count += ImageChops.subtract(black, neighbours).histogram()[255]
    return count


# --- every item -----------------------------------------------------------------


@pytest.mark.parametrize("name", ITEMS)
def test_every_item_is_a_384_dot_black_and_white_image_with_clean_edges(name):
    image = item(name)
    assert image.mode == "1" and image.width == WIDTH and image.height > 100
    # Nothing is cut off at either edge: the margins, last column included, are blank paper.
    for x0, x1 in ((0, MARGIN), (WIDTH - MARGIN, WIDTH)):
        assert image.crop((x0, 0, x1, image.height)).getextrema() == (255, 255), (name, x0)


@pytest.mark.parametrize(
    "name", ["slip", "slip-blank", "zero-report", "results-report", "custody-slip", "zero-9-long-names"]
)
def test_no_printed_stroke_is_thinner_than_two_dots(name):
    assert lone_dots(item(name)) == 0


@pytest.mark.parametrize("name", sorted(QR_PAYLOADS))
@pytest.mark.parametrize(
    "wear", [None, dot_gain, faded, phone_photo], ids=["as-printed", "dot-gain", "faded", "phone-photo"]
)
def test_qr_code_scans_to_the_exact_payload(name, wear):
    image = item(name) if wear is None else wear(item(name))
    # A long statement prints as numbered parts (booth.paper.qr): read them all and join.
    assert qr_parts.join(t.decode("utf-8") for t in qr_texts(image)) == QR_PAYLOADS[name]()


def test_a_700_byte_signed_results_payload_fits_the_paper_at_3_dot_modules():
    _, fit = fit_qr(ex.example_results_payload(700), min_module=3, max_module=5)
    assert fit.module >= 3 and fit.size <= WIDTH and fit.error in "HQ"
    with pytest.raises(QrTooLong, match="does not fit"):
        fit_qr("x" * 1400, min_module=3)


# --- the slip -------------------------------------------------------------------


def test_the_slip_cannot_carry_a_time_a_sequence_number_or_voter_data():
    fields = {f.name for f in dataclasses.fields(SlipData)}
    assert fields == {
        "election_title",
        "pekon",
        "tps",
        "election_short_id",
        "ballot_id",
        "candidate_number",
        "candidate_name",
        "qr_payload",
        "reprint",  # prints of this one ballot (CETAK ULANG ke-N), never a count of the day
    }
    forbidden = {
        "time",
        "date",
        "at",
        "when",
        "seq",
        "sequence",
        "serial",
        "counter",
        "order",
        "index",
        "position",
        "voter",
        "nik",
        "photo",
        "dpt",
        "name_of_voter",
    }
    assert not [f for f in fields if forbidden & set(f.split("_"))]


def test_two_slips_for_the_same_choice_differ_only_in_the_ballot_id():
    first = render_slip(ex.example_slip(3, ballot_id="0123456789abcdef0123456789abcdef"))
    second = render_slip(ex.example_slip(3, ballot_id="fedcba9876543210fedcba9876543210"))
    assert first.size == second.size
    changed = ImageChops.difference(first.convert("L"), second.convert("L")).getbbox()
    top, bottom = first.info["regions"]["ballot_id"]
    assert changed is not None and top <= changed[1] and changed[3] <= bottom


def test_the_slip_qr_holds_the_election_and_ballot_id_in_the_documented_format():
    slip = ex.example_slip()
    assert (
        slip.payload
        == slip_qr_payload(slip.election_short_id, slip.ballot_id)
        == "BOOTH1:B:" + slip.election_short_id.replace("-", "") + ":" + slip.ballot_id.upper()
    )
    assert qr_texts(render_slip(replace(slip, qr_payload="CUSTOM:1"))) == [b"CUSTOM:1"]


def test_the_nomor_urut_on_the_slip_is_at_least_120_dots_tall():
    number = number_box(item("slip"))
    framed = ImageOps.invert(number.convert("L")).getbbox()
    inside = number.crop((framed[0] + 6, framed[1] + 6, framed[2] - 6, framed[3] - 6))
    ink = ImageOps.invert(inside.convert("L")).getbbox()
    assert ink[3] - ink[1] >= 120


@needs_ocr
@pytest.mark.parametrize("number", [2, 7])
def test_the_slip_reads_as_the_chosen_number_and_name_and_its_ballot_id(number):
    name = dict(ex.CANDIDATES).get(number, "RINI ASTUTI")
    slip = render_slip(replace(ex.example_slip(1), candidate_number=number, candidate_name=name))
    # The big digit alone, inside its frame, shrunk to a size OCR expects.
    digit = number_box(slip)
    framed = ImageOps.invert(digit.convert("L")).getbbox()
    digit = digit.crop((framed[0] + 8, framed[1] + 8, framed[2] - 8, framed[3] - 8))
    digit = digit.convert("L").resize((digit.width * 40 // digit.height, 40), Image.LANCZOS)
    assert ocr(digit, psm=8, digits=True).strip() == str(number)

    text = ocr(slip)
    assert fuzzy_contains(text, name)
    # The short ID, read beside its QR code (OCR takes the QR's modules for letters).
    id_text = ocr(region(slip, "ballot_id", MARGIN + QR_WIDTH, WIDTH))
    assert short_ballot_id(ex.example_slip().ballot_id).replace("-", "") in as_hex(id_text)
    for words in ("STRUK AUDIT", "Pekon Sukamaju", "TPS 01", "Masukkan ke Kotak Audit"):
        assert fuzzy_contains(text, words), words


@needs_ocr
def test_a_blank_vote_slip_says_suara_kosong():
    text = ocr(item("slip-blank"))
    assert "SUARAKOSONG" in squash(text)
    assert "number" not in item("slip-blank").info["regions"]


# --- zero report ------------------------------------------------------------------


@needs_ocr
def test_the_zero_report_lists_every_candidate_by_number_and_name_with_zero_votes():
    report, data = item("zero-report"), ex.example_zero_report()
    text = ocr(report)
    for candidate in data.candidates:
        assert number_cell(report, candidate.number) == str(candidate.number)
        assert votes_cell(report, candidate.number) == "0"
        row = ocr(region(report, f"candidate-{candidate.number}", MARGIN + 52, WIDTH - 84))
        assert fuzzy_contains(row, candidate.name), candidate.name
    for words in (
        "LAPORAN NOL",
        "SEMUA NOL",
        data.election.election_short_id,
        "Pekon Sukamaju",
        "Kec. Pagelaran",
        "Kab. Pringsewu",
        "07:00 WIB",
        "Saksi Calon Nomor Urut 3",
        "Ketua KPPS",
        ex.ORIGIN,
    ):
        assert fuzzy_contains(text, words), words


@needs_ocr
def test_a_zero_report_of_a_store_that_is_not_empty_says_so():
    report = render_zero_report(replace(ex.example_zero_report(), ballots_in_store=1))
    assert "TIDAKNOL" in squash(ocr(region(report, "verdict")))


# --- results report ----------------------------------------------------------------


@needs_ocr
def test_the_results_report_reads_as_each_candidates_votes_and_sesuai():
    report, data = item("results-report"), ex.example_results_report()
    text = ocr(report)
    for candidate in data.results:
        assert fuzzy_contains(text, candidate.name), candidate.name
        assert votes_cell(report, candidate.number) == str(candidate.votes)
    assert "SESUAI" in squash(ocr(region(report, "verdict")))
    assert "TIDAKSESUAI" not in squash(text)
    for words in (
        "BERITA ACARA",
        "HASIL PENGHITUNGAN SUARA",
        "Salinan ke-2",
        "REKONSILIASI",
        "Suara kosong",
        "Cetak ulang",
        data.election.election_short_id,
    ):
        assert fuzzy_contains(text, words), words


@needs_ocr
def test_counts_that_do_not_reconcile_print_tidak_sesuai():
    data = ex.example_results_report()
    short = replace(data, reconciliation=replace(data.reconciliation, slips_printed=291))
    assert "TIDAKSESUAI" in squash(ocr(region(render_results_report(short), "verdict")))


def test_reconciliation_names_the_rule_that_failed():
    counts = Reconciliation(dpt=300, dptb=2, checked_in=250, voted=249, ballots_cast=248, slips_printed=248)
    assert [c.rule_en for c in reconcile(counts, total_votes=248) if not c.ok] == [
        "ballots cast - spoiled = voters who voted"
    ]


def test_the_bars_are_proportional_to_the_votes():
    report, data = item("results-report"), ex.example_results_report()
    bar_width = WIDTH - 2 * MARGIN - 96  # the full bar; the percentage column is excluded
    for candidate in data.results:
        _, bottom = report.info["regions"][f"candidate-{candidate.number}"]
        band = report.crop((MARGIN, bottom, MARGIN + bar_width, bottom + 30)).convert("L")
        middle = band.crop((0, 14, bar_width, 15))  # one row through the bar's middle
        filled = next((x for x, v in enumerate(middle.tobytes()) if v), bar_width)
        expected = bar_width * candidate.votes / data.candidate_votes
        assert abs(filled - expected) <= 3, (candidate.number, filled, expected)


# --- nine candidates with long names -------------------------------------------------


@needs_ocr
def test_nine_candidates_with_60_character_names_all_print_in_full():
    report = item("results-9-long-names")
    for number, name in ex.NINE_LONG_NAMES:
        row = ocr(region(report, f"candidate-{number}", MARGIN + 52, WIDTH - 84))
        assert fuzzy_contains(row, name, 0.85), (number, row)


def test_a_name_with_no_spaces_wraps_instead_of_running_off_the_paper():
    slip = render_slip(replace(ex.example_slip(1), candidate_name="A" * 60))
    assert slip.crop((WIDTH - MARGIN, 0, WIDTH, slip.height)).getextrema() == (255, 255)


# --- custody slip and self-test -------------------------------------------------------


@needs_ocr
def test_the_custody_slip_shows_each_step_who_and_where():
    text = ocr(item("custody-slip"))
    for step in ex.example_custody_slip().steps:
        for words in (step.stage, step.companion_name, step.place):
            assert fuzzy_contains(text, words), words
    assert fuzzy_contains(text, "TANDA TERIMA")


@needs_ocr
def test_the_self_test_page_says_which_device_failed():
    passed, failed = squash(ocr(item("self-test"))), squash(ocr(item("self-test-failed")))
    assert "SEMUAOK" in passed and "GAGAL" not in passed
    assert "GAGAL" in failed and "SEMUAOK" not in failed
    for device in ("TOMBOL", "LAMPULED", "BUZZER", "PRINTER", "KAMERA", "JAM", "DAYA"):
        assert device in passed


def test_the_examples_command_writes_a_png_of_every_item(tmp_path):
    assert ex.main([str(tmp_path)]) == 0
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert {"slip.png", "zero-report.png", "results-report.png", "custody-slip.png", "self-test.png"} <= set(pngs)
    assert all(Image.open(tmp_path / p).width == WIDTH for p in pngs)
