"""The zero report and the berita acara in the words of the KPU forms, read back by OCR.

What a ketua reads aloud and the saksi copy onto their own forms: the DPT
count before opening; after closing the DPT and DPTb with laki-laki /
perempuan, those who voted and those who did not, the valid votes, the
spoiled ballots and the reprints; a signature line for the ketua, every KPPS
member and one saksi per candidate.  The engineering data sits small under
"Kode pemeriksaan / verification code", with the device fingerprint.
"""

from __future__ import annotations

from booth.kiosk import printouts
from booth.paper import render_results_report, render_zero_report
from booth.paper.layout import MARGIN, WIDTH, short_hex
from booth_dev import paper_examples as ex
from tests.test_paper import fuzzy_contains, needs_ocr, ocr, region, squash

NUMBERS_AT = WIDTH - MARGIN - 62 - 62 - 64  # where the L, P and Jml columns start
VALUE_AT = WIDTH - MARGIN - 96  # where a value column starts


def _digits(image, name: str) -> list[str]:
    """The numbers of a region, row by row (the L, P and Jml columns)."""
    text = ocr(region(image, name, NUMBERS_AT, WIDTH))
    return [w for w in text.replace(",", " ").split() if w.isdigit()]


def _labels(image, name: str, right: int = NUMBERS_AT) -> str:
    """The words of a table's label column (OCR would interleave wrapped labels with the numbers)."""
    return ocr(region(image, name, 0, right))


@needs_ocr
def test_the_zero_report_says_how_many_voters_are_on_the_dpt_men_and_women():
    report = render_zero_report(ex.example_zero_report())
    assert _digits(report, "dpt")[:3] == ["160", "152", "312"]
    assert fuzzy_contains(_labels(report, "dpt"), "Pemilih dalam DPT")


@needs_ocr
def test_the_berita_acara_gives_voters_turnout_and_non_voters_by_sex():
    data = ex.example_results_report()
    report = render_results_report(data)
    text = _labels(report, "voters")
    for words in ("Pemilih dalam DPT", "Pemilih tambahan (DPTb)", "Pengguna hak pilih", "Tidak menggunakan hak pilih"):
        assert fuzzy_contains(text, words), words
    everyone = data.dpt.total + data.dptb.total
    non_voters = everyone - data.voted.total
    numbers = _digits(report, "voters")
    assert numbers == [
        *map(str, (data.dpt.l, data.dpt.p, data.dpt.total)),
        *map(str, (data.dptb.l, data.dptb.p, data.dptb.total)),
        *map(str, (data.dpt.l + data.dptb.l, data.dpt.p + data.dptb.p, everyone)),
        *map(str, (data.voted.l, data.voted.p, data.voted.total)),
        *map(str, (data.dpt.l + data.dptb.l - data.voted.l, data.dpt.p + data.dptb.p - data.voted.p, non_voters)),
    ]


@needs_ocr
def test_the_berita_acara_counts_spoiled_ballots_and_reprints_apart_from_the_valid_votes():
    data = ex.example_results_report()
    report = render_results_report(data)
    text = _labels(report, "ballots", VALUE_AT)
    assert fuzzy_contains(text, "Surat suara dibatalkan (struk disanggah)")
    assert fuzzy_contains(text, "Struk dicetak ulang")
    assert fuzzy_contains(text, "Surat suara sah untuk calon")
    values = ocr(region(report, "ballots", VALUE_AT, WIDTH)).split()
    counts = data.reconciliation
    assert values[0] == str(data.candidate_votes) and values[1] == str(data.blank_votes)
    assert values[2:5] == [str(counts.ballots_cast), str(counts.spoiled), str(counts.reprints)]


@needs_ocr
def test_every_kpps_member_and_one_saksi_per_candidate_have_a_signature_line():
    data = ex.example_results_report()
    text = ocr(region(render_results_report(data), "signatures"))
    assert fuzzy_contains(text, "Ketua KPPS") and fuzzy_contains(text, data.ketua_name)
    for member in data.members:
        assert fuzzy_contains(text, member.name), member.name
    for candidate in data.results:
        assert fuzzy_contains(text, f"Saksi Calon Nomor Urut {candidate.number}"), candidate.number


@needs_ocr
def test_engineering_words_are_only_in_the_small_verification_code_with_the_fingerprint():
    report = render_results_report(ex.example_results_report())
    code = ocr(region(report, "verification"))
    assert fuzzy_contains(code, "Kode pemeriksaan / verification code")
    assert squash(short_hex(ex.DEVICE_FINGERPRINT)) in squash(code).replace("O", "0")
    top, _ = report.info["regions"]["verification"]
    above = squash(ocr(report.crop((0, 0, report.width, top))))
    assert "CHECKPOINT" not in above and "ROOTHASH" not in above and "BASE64" not in above


@needs_ocr
def test_the_zero_report_printed_on_the_day_carries_the_packages_dpt_count(service_booth):
    """From the core to paper: the DPT of the loaded package, split L/P as in the DPT file."""
    booth = service_booth("installed")
    data = booth.svc.zero_report(booth.sign_in())
    split = data["by_sex"]["dpt"]
    assert split["L"] + split["P"] + split["?"] == data["counts"]["dpt"] > 0
    report = printouts.zero_report_image(data)
    assert _digits(report, "dpt")[-1] == str(data["counts"]["dpt"])
    members = [c["name"] for c in data["companions"] if c["role"] != "ketua"]
    signatures = ocr(region(report, "signatures"))
    assert members and all(fuzzy_contains(signatures, name) for name in members)
