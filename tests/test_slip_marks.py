"""The slip tells the truth on paper: which ballot, whether it is a reprint, whether it is void.

Read back the way an auditor at the audit box reads it: OCR (Debian's
tesseract) for the words, zxing-cpp for the QR code, and a ruler (dots at 8 a
millimetre) for the paper a voter costs.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from booth.kiosk import printouts
from booth.paper import render_slip, short_ballot_id, slip_qr_payload, void_qr_payload, void_slip, voters_per_roll
from booth.paper.layout import MARGIN, WIDTH
from booth.paper.slip import FEED_MM, QR_WIDTH, SLIP_MAX_DOTS, slip_length_mm
from booth_dev import paper_examples as ex
from tests.test_paper import as_hex, fuzzy_contains, needs_ocr, ocr, qr_texts, region, squash

BALLOT = "9f2c41d07be3a5586c0e1f2a3b4c5d6e"


def _void() -> Image.Image:
    return void_slip(election_short_id=ex.example_slip().election_short_id, ballot_id=BALLOT, pekon="Sukamaju", tps=1)


@pytest.mark.parametrize("number", [1, 2, 3, None], ids=["1", "2-long-name", "3", "blank"])
def test_the_ballot_id_is_printed_above_the_choice(number):
    regions = render_slip(ex.example_slip(number)).info["regions"]
    assert regions["ballot_id"][1] <= regions["choice"][0]


def test_a_piece_torn_off_by_a_jam_just_below_the_id_still_names_its_ballot():
    """The jam tore the slip right after the ID: the piece in the audit box says which ballot it was."""
    slip = render_slip(ex.example_slip(2))
    piece = slip.crop((0, 0, WIDTH, slip.info["regions"]["ballot_id"][1]))
    assert [t.decode() for t in qr_texts(piece)] == [slip_qr_payload(ex.example_slip().election_short_id, BALLOT)]


@needs_ocr
def test_the_torn_piece_shows_the_short_id_a_person_reads():
    slip = render_slip(ex.example_slip(2))
    text = ocr(region(slip, "ballot_id", MARGIN + QR_WIDTH, WIDTH))
    assert short_ballot_id(BALLOT).replace("-", "") in as_hex(text)


@needs_ocr
def test_a_reprint_says_cetak_ulang_with_its_number_and_voids_the_earlier_piece():
    first = render_slip(ex.example_slip(3))
    again = render_slip(replace(ex.example_slip(3), reprint=2))
    assert "reprint" not in first.info["regions"] and "CETAKULANG" not in squash(ocr(first))
    mark = ocr(region(again, "reprint"))
    assert "CETAKULANGKE2" in squash(mark)
    assert fuzzy_contains(mark, "Potongan sebelumnya dengan ID ini BATAL")
    # the same ballot: the same QR, the same ID, the same choice
    assert qr_texts(again) == qr_texts(first)
    assert fuzzy_contains(ocr(again), "DEWI ANGGRAINI")


def test_a_reprint_from_the_core_is_marked_and_a_first_print_is_not():
    """printouts turns the core's slip dict into paper: ``reprint`` N prints CETAK ULANG ke-N."""
    core_slip = {
        "election_title": "Pemilihan Kepala Pekon Sukamaju 2025",
        "pekon": "Sukamaju",
        "tps": 1,
        "election_short_id": "7F3A-91C2-0B4E",
        "selection": "1",
        "candidate_number": 1,
        "candidate_name": "SUPRIYADI",
        "ballot_id": BALLOT,
    }
    assert "reprint" not in printouts.slip_image(core_slip).info["regions"]
    assert "reprint" in printouts.slip_image(dict(core_slip, reprint=1)).info["regions"]
    void = printouts.void_slip_image(core_slip)
    assert [t.decode() for t in qr_texts(void)] == [void_qr_payload("7F3A-91C2-0B4E", BALLOT)]


@needs_ocr
def test_the_void_print_says_batal_void_with_the_ballot_id_and_no_choice():
    void = _void()
    text = ocr(void)
    assert "BATAL" in squash(ocr(region(void, "void"))) and "VOID" in squash(text)
    assert short_ballot_id(BALLOT).replace("-", "") in as_hex(ocr(region(void, "ballot_id", MARGIN + QR_WIDTH, WIDTH)))
    for name in dict(ex.CANDIDATES).values():
        assert not fuzzy_contains(text, name, 0.8)
    assert "NOMORURUT" not in squash(text)


def test_the_void_qr_is_never_read_as_a_slip():
    (payload,) = [t.decode() for t in qr_texts(_void())]
    assert payload == "BOOTH1:V:" + ex.example_slip().election_short_id.replace("-", "") + ":" + BALLOT.upper()
    assert not payload.startswith("BOOTH1:B:")


def test_the_mark_is_large_batal_at_least_9_mm_tall():
    void = _void()
    top, bottom = void.info["regions"]["void"]
    band = void.crop((0, top, WIDTH, bottom))
    assert band.getbbox() is not None and (bottom - top) >= 72 + 40


@pytest.mark.parametrize("number", [1, 3, None], ids=["1", "3", "blank"])
def test_one_58mm_by_30m_roll_serves_500_voters(number):
    """A slip for a name of up to three lines beside its number: 48 mm, so 500 voters a roll."""
    slip = render_slip(ex.example_slip(number))
    assert slip.height <= SLIP_MAX_DOTS
    assert voters_per_roll(slip_length_mm(slip, FEED_MM)) >= 500


def test_a_very_long_name_is_never_cut_mid_word_it_takes_the_full_width():
    slip = render_slip(ex.example_slip(2))
    regions = slip.info["regions"]
    assert regions["choice"][1] > regions["number"][1]  # the name went below the number, full width


def test_the_paper_budget_in_the_docs_is_the_one_measured_today():
    """docs/paper.md says how many voters a roll serves: it must be what the slips measure now."""
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "paper.md").read_text(encoding="utf-8")
    table = doc.split("<!-- paper-budget -->\n")[1].split("<!-- /paper-budget -->")[0]
    measured = "".join(f"| {label} | {dots} | {mm:.1f} | {voters} |\n" for label, dots, mm, voters in ex.paper_budget())
    assert table == measured
    assert min(v for label, _, _, v in ex.paper_budget() if "63-character" not in label) >= 500


@needs_ocr
def test_on_the_day_a_slip_lost_to_paper_out_is_reprinted_marked_and_the_torn_piece_names_its_ballot(
    service_booth,
):
    """Paper runs out mid-slip: the torn piece shows the ID; the reprint says CETAK ULANG ke-1."""
    from booth.hardware.devices import open_devices
    from booth.kiosk.station import Station
    from service_day import PINS, TEKNISI

    booth = service_booth("open")
    svc = booth.svc
    devices = open_devices(None)
    try:
        station = Station(svc, devices)
        token = booth.sign_in()
        voter = svc.package.voters[0].ref
        svc.check_in(token, voter)
        release = svc.release_ballot(token, voter)["release"]
        devices.printer.paper_out_after(24)  # 24 mm: the ID block prints, the choice does not
        assert not station.cast(release, "1").ok
        (piece,) = devices.printer.partial  # what the voter holds: the top of the slip
        devices.printer.load_paper()
        again = station.reprint(svc.sign_in(TEKNISI, PINS[TEKNISI]))
        assert again.ok
        reprint = station.printouts[-1].image
        assert "CETAKULANGKE1" in squash(ocr(region(reprint, "reprint")))
        ballot = again.data["slip"]["ballot_id"]
        # a random ID: OCR may take the mono font's dotted 0 for "@" and, on an unlucky ID, a C for
        # a 2 or a 6 (CI, 8 December: "4E102C20..." read as "4E16226..."), so 80 % of it must read
        # back; another random ID reads back at 30-50 % (0 of 300 tried reach 75 %)
        read = as_hex(ocr(region(reprint, "ballot_id", MARGIN + QR_WIDTH, WIDTH)).replace("@", "0"))
        assert fuzzy_contains(read, short_ballot_id(ballot).replace("-", ""), min_ratio=0.8)
        assert piece.height < reprint.height  # torn: the choice never printed on it
        assert [t.decode() for t in qr_texts(piece.convert("L"))] == [t.decode() for t in qr_texts(reprint)]
    finally:
        devices.close()


_NAME_WORDS = st.lists(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ.,'", min_size=1, max_size=14), min_size=1, max_size=6
).map(" ".join)


@settings(max_examples=25, deadline=None)
@given(number=st.integers(1, 99), name=_NAME_WORDS, reprint=st.integers(0, 3), tps=st.integers(1, 99))
def test_any_candidate_gets_a_slip_with_its_id_on_top_and_nothing_off_the_paper(number, name, reprint, tps):
    """Whatever the committee typed: the ID block comes first, the big number is >= 120 dots, no ink
    in the margins, and the slip stays within the length its candidate's name allows."""
    slip = render_slip(
        replace(ex.example_slip(1), candidate_number=number, candidate_name=name, reprint=reprint, tps=tps)
    )
    regions = slip.info["regions"]
    assert regions["ballot_id"][1] <= regions["choice"][0]
    assert ("reprint" in regions) == bool(reprint)
    for x0, x1 in ((0, MARGIN), (WIDTH - MARGIN, WIDTH)):
        assert slip.crop((x0, 0, x1, slip.height)).getextrema() == (255, 255)
    top, bottom = regions["number"]
    assert bottom - top >= 120 + 2 * 8
    if not reprint and regions["choice"][1] == bottom:  # the name fit beside the number: the 48 mm slip
        assert slip.height <= SLIP_MAX_DOTS
    if number <= 9 and len(name.split()) <= 2 and max(len(w) for w in name.split()) <= 8:
        assert regions["choice"][1] == bottom  # a two-word name always fits beside a single digit


@pytest.mark.parametrize("which", ["reprint", "void"])
def test_the_reprint_and_void_prints_survive_a_worn_head_and_a_phone(which):
    """No stroke thinner than 2 dots; the QR still scans faded, with dot gain, or photographed."""
    from tests.test_paper import dot_gain, faded, lone_dots, phone_photo

    image = render_slip(replace(ex.example_slip(3), reprint=1)) if which == "reprint" else _void()
    assert lone_dots(image) == 0
    expected = qr_texts(image)
    assert len(expected) == 1
    for wear in (dot_gain, faded, phone_photo):
        assert qr_texts(wear(image)) == expected, wear.__name__


def test_the_reports_lay_out_on_80_mm_paper_too():
    from booth.paper import PAPER_80, render_results_report, render_zero_report

    for image in (
        render_results_report(ex.example_results_report(), PAPER_80),
        render_zero_report(ex.example_zero_report(), PAPER_80),
    ):
        assert image.width == PAPER_80.width and {"verification", "signatures"} <= set(image.info["regions"])
