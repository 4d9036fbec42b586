"""The committee's afternoon with ``booth audit``: from the booths' records to "stop", "next round" or "count".

Scenarios at the table: the boxes are counted before anything is drawn, the
dice are entered twice, the pull list is printed, each slip is scanned or
typed, and every kind of paper the boxes can hold is classified as the
issue lists them.  Every refusal says why, in Indonesian first, and leaves
the record as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

import audit_days
import ledger_days
from booth.audit import record as audit_record
from booth.audit.contest import AuditRefused, read_contest
from booth.audit.record import StepRefused
from booth.ledger.bundle import write_bundle
from booth.ledger.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent


def booth(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "booth", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        input=stdin,
    )


@pytest.fixture(scope="module")
def village():
    """Two booths of one village: box 1 a state directory (with 2 spoiled ballots), box 2 a bundle."""
    with audit_days.fast_dir() as tmp:
        b1 = audit_days.closed_day(tmp / "b1", {"1": 150, "2": 100, "3": 40, "blank": 5}, spoil=2)
        b2 = audit_days.closed_day(tmp / "b2", {"1": 120, "2": 100, "3": 30}, seed=2)
        with Ledger.open(tmp / "b2") as ledger:
            write_bundle(ledger, tmp / "b2.zip")
        yield tmp, b1, b2


def started(village, tmp_path: Path, *, risk_limit: str = "0.05") -> audit_record.AuditRecord:
    root, _, _ = village
    return audit_days.start(tmp_path, [root / "b1", root / "b2.zip"], risk_limit)


@pytest.mark.slow  # a process per command (~15 s)
def test_the_committee_runs_the_audit_from_the_command_line_to_its_end(village, tmp_path):
    root, b1, b2 = village
    rec = tmp_path / "audit.jsonl"
    done = booth("audit", "start", str(rec), str(root / "b1"), str(root / "b2.zip"), "--risk-limit", "5%")
    assert done.returncode == 0, done.stderr
    assert "kotak / box 1: 297 struk" in done.stdout and "kotak / box 2: 250 struk" in done.stdout
    assert (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o600
    # before the paper count, no dice
    early = booth("audit", "seed", str(rec), "--dice", "1" * 20, "--dice-again", "1" * 20)
    assert early.returncode == 1 and "hitung dulu struk setiap kotak" in early.stderr
    done = booth("audit", "boxes", str(rec), "--count", "1=297", "--count", "2=250")
    assert done.returncode == 0 and "sesuai / agrees" in done.stdout
    # the second person types another digit: refused, nothing written
    before = rec.read_bytes()
    wrong = booth("audit", "seed", str(rec), "--dice", "31415926535897932384", "--dice-again", "31415926535897932385")
    assert wrong.returncode == 1 and "kedua isian angka dadu berbeda" in wrong.stderr
    assert rec.read_bytes() == before
    done = booth("audit", "seed", str(rec), stdin="31415 92653 58979 32384\n3141-5926-5358-9793-2384\n")
    assert done.returncode == 0, done.stderr
    pdf, png = tmp_path / "pull.pdf", tmp_path / "pull.png"
    done = booth("audit", "pull-list", str(rec), "--pdf", str(pdf), "--png", str(png))
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and Image.open(png).width == 384
    places = [line for line in done.stdout.splitlines() if line.startswith("  kotak ")]
    assert places and all("dari atas" in line for line in places)
    # the first listed slips at the table: scanned off box 1, typed off box 2 with the choice read
    state = audit_record.replay(rec)
    places = state.unread()
    at_table = [p for p in places if p[0] == "1"][:2] + [p for p in places if p[0] == "2"][:2]
    for box, position in at_table:
        kind, ballot_id, choice = (b1, b2)[int(box) - 1][position - 1]
        args = ["audit", "record", str(rec), "--box", box, "--position", str(position)]
        if box == "1":
            prefix = "BOOTH1:B" if kind == "slip" else "BOOTH1:V"
            args += ["--qr", f"{prefix}:0000-0000-0000:{ballot_id.upper()}"]
        else:
            args += ["--ballot-id", "-".join(ballot_id[i : i + 4] for i in range(0, 16, 4))]
            args += ["--void"] if kind == "void" else []
        if kind == "slip":
            args += ["--choice", choice]
        done = booth(*args)
        assert done.returncode == 0, done.stderr
        assert "sesuai / matches its record" in done.stdout or "VOID print" in done.stdout
    # the rest with the scanner: it types each QR code's text and Enter, the reader types the choice
    lines = ["BOOTH1:Q:NOT-A-SLIP"]  # a QR of something else: refused, the same place asked again
    for box, position in audit_record.replay(rec).unread():
        kind, ballot_id, choice = (b1, b2)[int(box) - 1][position - 1]
        lines.append(f"BOOTH1:{'B' if kind == 'slip' else 'V'}:7F3A91C20B4E:{ballot_id.upper()}")
        if kind == "slip":
            lines.append("kosong" if choice == "blank" else choice)
    done = booth("audit", "record", str(rec), "--scan", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("DITOLAK / REFUSED") == 1
    status = booth("audit", "status", str(rec))
    assert "OUTCOME CONFIRMED by the sample" in status.stdout
    assert booth("audit", "check", str(rec)).returncode == 0


def test_a_box_holding_fewer_slips_than_its_records_counts_the_missing_ones_against_the_outcome(village, tmp_path):
    record = started(village, tmp_path)
    derived = record.step("paper.counted", {"counts": {"1": 290, "2": 250}})  # 7 slips gone from box 1
    assert derived["differences"] == {"1": -7, "2": 0}
    assert derived["universe"] == {"1": 297, "2": 250}  # N stays the records' count: phantoms fill the gap
    # a place past the 290th slip of box 1 counts as a 2-vote overstatement without anyone pulling it
    assert record.state.is_phantom("1", 291) and record.state.reading_for("1", 291) == audit_record.WORST


def test_a_box_holding_more_slips_than_its_records_enlarges_the_audit(village, tmp_path):
    record = started(village, tmp_path)
    derived = record.step("paper.counted", {"counts": {"1": 297, "2": 256}})
    assert derived["universe"] == {"1": 297, "2": 256} and derived["ballots"] == 553
    small = Decimal(derived["diluted_margin"])
    (tmp_path / "x").mkdir()
    other = started(village, tmp_path / "x")
    assert Decimal(other.step("paper.counted", {"counts": {"1": 297, "2": 250}})["diluted_margin"]) > small


def classify(record, kind, ballot_id, choice, place=("1", 1)):
    return audit_record.classify(record.state, kind, ballot_id, choice, place)[:2]


def test_every_kind_of_paper_in_a_box_gets_its_class(village, tmp_path):
    _, b1, _ = village
    record = started(village, tmp_path)
    record.step("paper.counted", {"counts": {"1": 297, "2": 250}})
    by_choice = {c: i for k, i, c in b1 if k == "slip"}  # choice -> some ballot ID with it
    spoiled = next(i for k, i, _ in b1 if k == "void")
    one, two = by_choice["1"], by_choice["2"]
    assert classify(record, "slip", one, "1") == ("match", 0)
    assert classify(record, "slip", one, "2") == ("overstatement_2", 2)  # record: winner; paper: runner-up
    assert classify(record, "slip", one, "blank") == ("overstatement_1", 1)
    # an understatement counts as its weakest pair (here winner vs. no. 3: -1): a 3-way contest's caution
    assert classify(record, "slip", two, "1") == ("understatement_1", -1)
    assert classify(record, "slip", by_choice["blank"], "1") == ("understatement_1", -1)
    assert classify(record, "void", spoiled, None) == ("spoiled_void", 0)
    assert classify(record, "slip", spoiled, "1") == ("slip_for_spoiled_ballot", -1)
    assert classify(record, "void", one, None) == ("void_for_counted_ballot", 1)
    assert classify(record, "slip", "ab" * 16, "1") == ("slip_without_cvr", 2)
    assert classify(record, "none", None, None) == ("cvr_without_slip", 2)
    assert classify(record, "slip", one[:16], "1") == ("match", 0)  # the 16 printed digits find it too
    record.state.ids_found[one] = ("2", 7)  # the same ID already found in box 2, slip 7
    assert classify(record, "slip", one, "1", ("1", 1)) == ("duplicate_slip", 2)


def test_a_two_vote_overstatement_in_the_sample_sends_the_committee_to_count_every_slip(village, tmp_path):
    _, b1, b2 = village
    swapped = [list(b1), list(b2)]
    record = started(village, tmp_path)
    record.step("paper.counted", {"counts": {"1": 297, "2": 250}})
    record.step("round.seeded", {"round": 1, "dice": "27182818284590452353"})
    first = True
    for box, position in record.state.unread():
        kind, ballot_id, choice = swapped[int(box) - 1][position - 1]
        if first and kind == "slip" and choice == "1":
            choice, first = "2", False  # this slip, read off the paper, shows the runner-up
        inputs = {"box": box, "position": position, "kind": kind, "ballot_id": ballot_id}
        record.step("slip.read", {**inputs, "choice": choice, "how": "typed"})
    measured = record.state.rounds[-1].measured
    assert measured["counts"]["o2"] >= 1  # (twice if that slip was drawn twice)
    assert measured["decision"] in ("next_round", "full_hand_count")
    assert Decimal(measured["risk"]) > Decimal("0.05")
    assert "putaran 2" in record.state.next_step() or "hitung manual" in record.state.next_step()


def test_the_hand_count_sheet_is_compared_with_the_records_and_decides_the_outcome(village, tmp_path):
    _, b1, b2 = village
    record = started(village, tmp_path)
    record.step("paper.counted", {"counts": {"1": 297, "2": 250}})
    sheets = record.path.with_name("sheets.pdf")
    done = booth("audit", "count-sheet", str(record.path), "--pdf", str(sheets))
    assert done.returncode == 0 and sheets.read_bytes().startswith(b"%PDF")
    sheet1 = {"1": 150, "2": 100, "3": 40, "blank": 5, "void": 2}
    assert record.step("hand.counted", {"box": "1", "counts": sheet1})["differences"] == {}
    derived = record.step("hand.counted", {"box": "2", "counts": {"1": 119, "2": 101, "3": 30}})
    assert derived["differences"] == {"1": -1, "2": 1}
    assert record.state.finished["outcome"] == "confirmed_by_hand_count"
    assert record.state.finished["paper_tally"] == {"1": 269, "2": 201, "3": 70}
    assert audit_record.check(record.path)[0]


def test_a_hand_count_that_gives_another_winner_says_so(village, tmp_path):
    record = started(village, tmp_path)
    record.step("paper.counted", {"counts": {"1": 297, "2": 250}})
    record.step("hand.counted", {"box": "1", "counts": {"1": 100, "2": 150, "3": 40, "blank": 5, "void": 2}})
    record.step("hand.counted", {"box": "2", "counts": {"1": 100, "2": 120, "3": 30}})
    assert record.state.finished["outcome"] == "changed_by_hand_count"
    assert record.state.finished["paper_winner"] == "2" and record.state.finished["reported_winner"] == "1"


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"box": "1", "position": 100_000}, "tidak ada di daftar tarik"),
        ({"choice": "7"}, "tidak ada; yang ada: 1, 2, 3, blank"),
        ({"choice": None}, "tidak ada; yang ada"),
        ({"ballot_id": "xyz"}, "32 digit heksadesimal"),
        ({"kind": "void", "choice": "1"}, "cetakan BATAL tidak punya pilihan"),
        ({"kind": "none"}, "tempat kosong tidak punya ID"),
        ({"how": "telepathy"}, "jenis bacaan tidak dikenal"),
    ],
)
def test_a_reading_that_makes_no_sense_is_refused_in_words_and_nothing_is_written(village, tmp_path, inputs, words):
    record = started(village, tmp_path)
    record.step("paper.counted", {"counts": {"1": 297, "2": 250}})
    record.step("round.seeded", {"round": 1, "dice": "16180339887498948482"})
    box, position = record.state.unread()[0]
    good = {"box": box, "position": position, "kind": "slip", "ballot_id": "ab" * 16, "choice": "1", "how": "qr"}
    before = record.path.read_bytes()
    with pytest.raises(StepRefused, match=words):
        record.step("slip.read", {**good, **inputs})
    assert record.path.read_bytes() == before
    record.step("slip.read", good)
    with pytest.raises(StepRefused, match="sudah dicatat"):
        record.step("slip.read", good)


def test_the_same_dice_twice_is_refused_and_a_fresh_roll_is_asked_for(village, tmp_path):
    record = started(village, tmp_path, risk_limit="0.001")
    record.step("paper.counted", {"counts": {"1": 297, "2": 250}})
    record.step("round.seeded", {"round": 1, "dice": "11111111112222222222"})
    with pytest.raises(StepRefused, match="belum selesai dicatat"):
        record.step("round.seeded", {"round": 2, "dice": "33333333334444444444"})


def test_the_audit_refuses_to_start_from_records_that_do_not_verify_or_were_never_closed(village, tmp_path):
    root, _, _ = village
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(root / "b2.zip") as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "ballots.jsonl":
                data = data.replace(b'"selection":"2"', b'"selection":"1"', 1)
            dst.writestr(info, data)
    with pytest.raises(AuditRefused, match="catatan tidak sah.*records are invalid"):
        read_contest([root / "b1", bad])
    ledger_days.voting_day(tmp_path / "open", 3, close=False)
    with pytest.raises(AuditRefused, match="belum ditutup.*never closed"):
        read_contest([tmp_path / "open"])
    shutil.copytree(root / "b1", tmp_path / "copy")
    with pytest.raises(AuditRefused, match="same booth was given twice"):
        read_contest([root / "b1", tmp_path / "copy"])
    done = booth("audit", "start", str(tmp_path / "a.jsonl"), str(bad))
    assert done.returncode == 1 and "TIDAK" not in done.stdout and "records are invalid" in done.stderr
    assert not (tmp_path / "a.jsonl").exists()


def test_docs_audit_md_names_every_audit_command_and_every_discrepancy_class():
    from booth.cli import build_parser

    doc = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    audit = build_parser()._subparsers._group_actions[0].choices["audit"]
    for name in audit._subparsers._group_actions[0].choices:
        assert f"booth audit {name}" in doc, name
    for cls in ("match", "overstatement_1", "overstatement_2", "understatement_1", "understatement_2"):
        assert f"`{cls}" in doc
    for cls in ("spoiled_void", "void_for_counted_ballot", "slip_for_spoiled_ballot"):
        assert f"`{cls}`" in doc
    for cls in ("slip_without_cvr", "duplicate_slip", "cvr_without_slip"):
        assert f"`{cls}`" in doc
    assert "booth audit" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_tied_contest_goes_straight_to_the_hand_count(tmp_path):
    with audit_days.fast_dir() as tmp:
        paper = audit_days.closed_day(tmp / "tie", {"1": 40, "2": 40, "3": 5}, seed=4)
        record = audit_days.start(tmp_path, [tmp / "tie"])
    assert record.step("paper.counted", {"counts": {"1": 85}})["first_round_size"] == -1
    assert "hitung manual semua struk" in record.state.next_step()
    with pytest.raises(StepRefused, match="hitung manual|count by hand"):
        record.step("round.seeded", {"round": 1, "dice": "12345678901234567890"})
    counts = {"1": 41, "2": 39, "3": 5}  # the paper breaks the tie
    record.step("hand.counted", {"box": "1", "counts": counts})
    assert record.state.finished["outcome"] == "changed_by_hand_count"  # a tie is no reported winner to confirm
    assert len(paper) == 85


@pytest.mark.slow  # three counted days and a process per command (~12 s)
def test_the_committee_starts_a_villages_audit_from_the_district_recap(tmp_path):
    from recap_days import counted_day, registry_bytes, scratch, tps_package

    root = scratch()
    try:
        pk1 = tps_package(root, pekon="Sukamaju", tps=1, seed=11)
        pk2 = tps_package(root, pekon="Sukamaju", tps=2, seed=12)
        pk3 = tps_package(root, pekon="Waluyojati", tps=1, kecamatan="Gadingrejo", seed=13)
        days = [
            counted_day(root / "a", pk1, ["1", "1", "2", "1"]),
            counted_day(root / "b", pk2, ["3", "1", "2", "1", "1"]),
            counted_day(root / "c", pk3, ["2", "1", "3"]),
        ]
        for i, day in enumerate(days):
            (root / f"tps{i + 1}-hasil.zip").write_bytes(day.bundle)
        (root / "registry.json").write_bytes(registry_bytes(days))
        data = tmp_path / "rekap"
        assert booth("recap", "device", "import", "--data", str(data), str(root / "registry.json")).returncode == 0
        files = [str(root / f"tps{i}-hasil.zip") for i in (1, 2)]  # Sukamaju's bundles; Waluyojati's is late
        assert booth("recap", "ingest", "--data", str(data), *files).returncode == 0
        # two packages (one per TPS) are one contest because the registry puts both TPS in one pekon
        rec = tmp_path / "audit.jsonl"
        done = booth("audit", "start", str(rec), "--recap", str(data), "--pekon", "sukamaju")
        assert done.returncode == 0, done.stderr
        assert "TPS 01 Sukamaju" in done.stdout and "TPS 02 Sukamaju" in done.stdout
        assert "1: 6, 2: 2, 3: 1" in done.stdout
        # without the recap, the same bundles need the committee to say they are one contest
        refused = booth("audit", "start", str(tmp_path / "b.jsonl"), *files)
        assert refused.returncode == 1 and "--several-elections" in refused.stderr
        ok = booth("audit", "start", str(tmp_path / "c.jsonl"), *files, "--several-elections")
        assert ok.returncode == 0, ok.stderr
        # a village whose bundle has not arrived cannot be audited yet
        late = booth("audit", "start", str(tmp_path / "d.jsonl"), "--recap", str(data), "--pekon", "Waluyojati")
        assert late.returncode == 1 and "exactly one" in late.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_second_start_or_a_missing_key_is_refused_in_words(village, tmp_path):
    root, _, _ = village
    rec = tmp_path / "audit.jsonl"
    assert booth("audit", "start", str(rec), str(root / "b2.zip")).returncode == 0
    again = booth("audit", "start", str(rec), str(root / "b2.zip"))
    assert again.returncode == 1 and "sudah ada" in again.stderr and "exists" in again.stderr
    (tmp_path / "audit.key").rename(tmp_path / "elsewhere.key")
    lost = booth("audit", "boxes", str(rec), "--count", "1=250")
    assert lost.returncode == 1 and "tidak terbaca" in lost.stderr and "Traceback" not in lost.stderr
    found = booth("audit", "boxes", str(rec), "--count", "1=250", "--key", str(tmp_path / "elsewhere.key"))
    assert found.returncode == 0, found.stderr
    bad = booth("audit", "boxes", str(rec), "--count", "1=lots", "--key", str(tmp_path / "elsewhere.key"))
    assert bad.returncode == 1 and "KUNCI=JUMLAH" in bad.stderr


def _camera_photo(slip: Image.Image, path: Path) -> Path:
    """The pulled slip on the table as a camera sees it: on wood-grey, turned a little, JPEG."""
    table = Image.new("L", (slip.width + 400, slip.height + 400), 150)
    table.paste(slip.convert("L"), (200, 200))
    table.rotate(7, resample=Image.Resampling.BICUBIC, fillcolor=150).resize(
        (table.width * 3 // 2, table.height * 3 // 2), Image.Resampling.BICUBIC
    ).save(path, "JPEG", quality=85)
    return path


@pytest.mark.slow  # a process per command (~10 s)
def test_a_pulled_slip_is_recorded_from_a_photo_of_it_and_a_photo_without_one_is_refused(village, tmp_path):
    import audit_paper

    _, b1, _ = village
    record = started(village, tmp_path)
    record.step("paper.counted", {"counts": {"1": 297, "2": 250}})
    record.step("round.seeded", {"round": 1, "dice": "27182818284590452353"})
    box, position = next(p for p in record.state.unread() if p[0] == "1" and b1[p[1] - 1][0] == "slip")
    kind, ballot_id, choice = b1[position - 1]
    rec = tmp_path / "audit.jsonl"
    photo = _camera_photo(audit_paper.print_item(kind, ballot_id, choice), tmp_path / "slip.jpg")
    place = ["audit", "record", str(rec), "--box", box, "--position", str(position)]

    blank = tmp_path / "meja.jpg"
    Image.new("L", (800, 600), 150).save(blank, "JPEG")
    text = tmp_path / "catatan.jpg"
    text.write_text("bukan foto")
    before = rec.read_bytes()
    for bad, words in ((blank, "tidak memuat tepat satu QR struk"), (text, "Bukan foto atau pindaian")):
        refused = booth(*place, "--photo", str(bad), "--choice", choice)
        assert refused.returncode == 1 and words in refused.stderr, refused.stderr
    assert rec.read_bytes() == before

    done = booth(*place, "--photo", str(photo), "--choice", choice)
    assert done.returncode == 0, done.stderr
    assert "sesuai / matches its record" in done.stdout
    assert booth("audit", "check", str(rec)).returncode == 0
    assert '"how":"photo"' in rec.read_text() and ballot_id in rec.read_text()
