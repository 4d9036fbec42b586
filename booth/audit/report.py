"""What the audit says so far, for the committee and the berita acara: counts only, never a ballot.

Every line here is built from an :class:`~booth.audit.record.AuditState`
(the replayed record): the reported tally, the draws, the discrepancies by
class, the risk beside the limit, and the next step.  Ballot choices appear
only as counts; no ballot ID is printed.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

from PIL import Image

from booth.audit.record import AuditState

CLASS_LABELS = {
    "match": ("sesuai", "matches"),
    "overstatement_1": ("lebih 1 suara", "1-vote overstatement"),
    "overstatement_2": ("lebih 2 suara", "2-vote overstatement"),
    "understatement_1": ("kurang 1 suara", "1-vote understatement"),
    "understatement_2": ("kurang 2 suara", "2-vote understatement"),
    "slip_without_cvr": ("struk tanpa catatan", "slip with no record"),
    "duplicate_slip": ("ID ganda", "an ID found twice"),
    "cvr_without_slip": ("catatan tanpa struk", "record with no slip"),
    "spoiled_void": ("batal, dengan cetakan BATAL", "spoiled, with its VOID print"),
    "void_for_counted_ballot": ("cetakan BATAL untuk suara sah", "VOID print for a counted ballot"),
    "slip_for_spoiled_ballot": ("struk untuk surat suara batal", "slip for a spoiled ballot"),
}


def _pct(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.01'))}%"


def status_lines(state: AuditState) -> list[str]:
    """The status as lines of text (Indonesian / English)."""
    lines = []
    if state.contest is None:
        return ["belum ada audit / no audit yet"]
    tally = state.contest.tally()
    lines.append("Perolehan tercatat / reported tally: " + ", ".join(f"no. {c}: {n}" for c, n in tally.items()))
    if state.universe is not None:
        lines.append(
            f"Struk dalam audit / slips in the audit: N = {state.ballots}; "
            f"margin {_pct(state.outcome().diluted_margin)}"
        )
    for rnd in state.rounds:
        lines.append(f"Putaran / round {rnd.number}: {rnd.size} tarikan / draws")
    draws = state.draws()
    done = [p for p in draws if state.reading_for(*p) is not None]
    if draws:
        classes: Counter[str] = Counter(
            "cvr_without_slip" if state.is_phantom(*p) else state.readings[p].cls for p in done
        )
        lines.append(f"Tercatat / recorded: {len(done)} dari / of {len(draws)} tarikan / draws")
        for cls, n in sorted(classes.items()):
            indonesian, english = CLASS_LABELS.get(cls, (cls, cls))
            lines.append(f"  {indonesian} / {english}: {n}")
        lines.append(
            f"Risiko sejauh ini / risk so far: {_pct(state.risk_so_far())} (batas / limit {_pct(state.risk_limit)})"
        )
    if state.hand_counts:
        lines.append("Hitung manual / hand count: kotak / box " + ", ".join(sorted(state.hand_counts)))
    if state.finished is not None:
        outcome = state.finished["outcome"]
        words = {
            "confirmed_by_sample": "HASIL DIKONFIRMASI oleh sampel / OUTCOME CONFIRMED by the sample",
            "confirmed_by_hand_count": "HASIL DIKONFIRMASI oleh hitung manual / OUTCOME CONFIRMED by the hand count",
            "changed_by_hand_count": "HASIL BERBEDA menurut hitung manual / the hand count gives ANOTHER OUTCOME",
        }[outcome]
        lines.append(words)
        if "paper_tally" in state.finished:
            lines.append(
                "Perolehan kertas / paper tally: "
                + ", ".join(f"no. {c}: {n}" for c, n in state.finished["paper_tally"].items())
            )
    lines.append("Berikutnya / next: " + state.next_step())
    lines.append(
        f"Catatan audit / audit record: sidik jari / fingerprint {state.fingerprint}, "
        f"head {state.head[:16]} ({state.seq} entri / entries)"
    )
    return lines


def _rounds(state: AuditState) -> list[tuple[str, str]]:
    rows = []
    for rnd in state.rounds:
        measured = rnd.measured or {}
        decision = {
            "stop": ("selesai", "stop"),
            "next_round": ("putaran berikutnya", "next round"),
            "full_hand_count": ("hitung manual", "full hand count"),
        }.get(str(measured.get("decision")), ("belum diukur", "not measured"))
        risk_text = _pct(Decimal(measured["risk"])) if "risk" in measured else "-"
        rows.append(
            (
                f"Putaran {rnd.number}: {rnd.size} tarikan, dadu {rnd.dice}, risiko {risk_text}, {decision[0]}",
                f"Round {rnd.number}: {rnd.size} draws, dice {rnd.dice}, risk {risk_text}, {decision[1]}",
            )
        )
    return rows


def report_sections(state: AuditState) -> list[tuple[str, list[tuple[str, str]]]]:
    """The berita acara's content, (section, [(Indonesian, English)]): counts and figures, never a ballot."""
    assert state.contest is not None
    contest = state.contest
    boxes = []
    for box in contest.boxes:
        paper = "-" if state.paper is None else str(state.paper[box.label])
        boxes.append(
            (
                f"Kotak {box.label}: catatan {box.slips}, kertas {paper} (perangkat {box.fingerprint[:16]})",
                f"Box {box.label}: records {box.slips}, paper {paper} (device {box.fingerprint[:16]})",
            )
        )
    tally = ", ".join(f"no. {c}: {n}" for c, n in contest.tally().items())
    found: Counter[str] = Counter()
    for place in state.draws():
        if state.reading_for(*place) is not None:
            found["cvr_without_slip" if state.is_phantom(*place) else state.readings[place].cls] += 1
    classes = [(f"{CLASS_LABELS[c][0]}: {n}", f"{CLASS_LABELS[c][1]}: {n}") for c, n in sorted(found.items())] or [
        ("belum ada struk dicatat", "no slip recorded yet")
    ]
    outcome = state.finished["outcome"] if state.finished else None
    verdict = {
        "confirmed_by_sample": ("HASIL DIKONFIRMASI oleh sampel", "Outcome confirmed by the sample"),
        "confirmed_by_hand_count": ("HASIL DIKONFIRMASI oleh hitung manual", "Outcome confirmed by the hand count"),
        "changed_by_hand_count": ("HASIL BERBEDA menurut hitung manual", "The hand count gives another outcome"),
        None: ("Audit belum selesai", "The audit is not finished"),
    }[outcome]
    result = [verdict]
    if state.finished and "paper_tally" in state.finished:
        paper_tally = ", ".join(f"no. {c}: {n}" for c, n in state.finished["paper_tally"].items())
        result.append((f"Perolehan kertas: {paper_tally}", "Paper tally"))
    return [
        ("Pemilihan / election", [(contest.election_id[:16], f"batas risiko / risk limit {_pct(state.risk_limit)}")]),
        ("Kotak / boxes", boxes),
        ("Perolehan tercatat / reported tally", [(tally, f"margin {_pct(state.outcome().diluted_margin)}")]),
        ("Putaran / rounds", _rounds(state) or [("belum ada putaran", "no round yet")]),
        ("Struk yang dicatat / slips recorded", classes),
        ("Hasil / result", result),
        (
            "Catatan audit / audit record",
            [
                (f"sidik jari {state.fingerprint}", "fingerprint"),
                (f"head {state.head[:8]} {state.head[8:16]}", f"{state.head[16:24]} {state.head[24:32]}"),
                ("periksa: booth audit check FILE --head HEAD", "check: booth audit check FILE --head HEAD"),
            ],
        ),
    ]


def render(state: AuditState, signers: tuple[str, ...] = ("Ketua panitia", "Saksi", "Saksi", "Auditor")) -> Image.Image:
    """The berita acara of the audit as a 384-dot image for the thermal printer."""
    from booth.paper.layout import BODY, MONO, SMALL, TITLE, Page

    page = Page()
    page.text("BERITA ACARA AUDIT STRUK", TITLE, align="center")
    page.text("Risk-limiting audit report", SMALL, align="center")
    for title, rows in report_sections(state):
        page.rule()
        page.text(title, BODY)
        for indonesian, english in rows:
            page.bilingual(indonesian, english, style=MONO if indonesian.startswith(("head", "sidik")) else SMALL)
    page.rule()
    page.signatures([(who, "") for who in signers])
    return page.render()


def write_pdf(state: AuditState, path: Path) -> None:
    """The berita acara on A4 (fpdf2), the same sections as the printed one, with room to sign."""
    from fpdf import FPDF

    from booth import fonts

    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("DejaVu", "", str(fonts.font_path(fonts.REGULAR)))
    pdf.add_font("DejaVu", "B", str(fonts.font_path(fonts.BOLD)))
    pdf.set_creator("booth audit")
    pdf.set_title("Berita acara audit struk")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, "Berita Acara Audit Struk", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, "Risk-limiting audit report", new_x="LMARGIN", new_y="NEXT")
    for title, rows in report_sections(state):
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        for indonesian, english in rows:
            pdf.multi_cell(0, 5, f"{indonesian}  —  {english}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for who in ("Ketua panitia / committee chair", "Saksi / witness", "Saksi / witness", "Auditor"):
        pdf.cell(90, 16, "", border="B")
        pdf.ln(17)
        pdf.cell(0, 5, who, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_count_sheet_pdf(state: AuditState, path: Path) -> None:
    """The hand count's sheet: a page per box, a row per choice (and VOID prints) to write the count in.

    The records' counts are not on it: the people counting write what the paper says,
    and ``booth audit hand-count`` then compares their numbers with the records.
    """
    from fpdf import FPDF

    from booth import fonts

    assert state.contest is not None
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("DejaVu", "", str(fonts.font_path(fonts.REGULAR)))
    pdf.add_font("DejaVu", "B", str(fonts.font_path(fonts.BOLD)))
    pdf.set_creator("booth audit")
    pdf.set_title("Lembar hitung manual struk")
    rows = [(f"Nomor urut {c}", f"candidate no. {c}", c) for c in state.contest.choices if c.isdigit()]
    if "blank" in state.contest.choices:
        rows.append(("Suara kosong", "blank vote", "blank"))
    rows.append(("Cetakan BATAL", "VOID print", "void"))
    for box in state.contest.boxes:
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 15)
        pdf.cell(0, 9, f"Lembar Hitung Manual — Kotak {box.label}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(0, 6, f"Hand count sheet — box {box.label}: {box.source}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, f"Catatan audit / audit record {state.fingerprint}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        for indonesian, english, key in rows:
            pdf.cell(90, 12, f"{indonesian} / {english}", border=1)
            pdf.cell(60, 12, "", border=1)
            pdf.cell(30, 12, f"--count {key}=", border=1)
            pdf.ln()
        pdf.cell(90, 12, "Jumlah struk / slips in all", border=1)
        pdf.cell(60, 12, "", border=1)
        pdf.ln(20)
        for who in ("Penghitung / counted by", "Saksi / witness"):
            pdf.cell(90, 14, "", border="B")
            pdf.ln(15)
            pdf.cell(0, 5, who, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
