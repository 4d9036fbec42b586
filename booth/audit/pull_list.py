"""The pull list: which slips to take out of which box, printed for the people at the table.

Box by box, top to bottom, so the slips come out in one pass through each
box; a slip drawn twice is pulled once and marked "x2" (it counts twice).
Places beyond a box's paper count (the records say more slips than the box
holds) are listed as "tidak ada di kotak": they count as worst cases, nothing
to pull.  The list names places and the record's fingerprint, never a ballot
ID or a choice: it can lie on the table for everyone.

Two forms: a 384-dot image for the booth's 58 mm printer (through
:mod:`booth.paper.layout`, like every other printed item), and an A4 PDF
(fpdf2) with a column to tick and the ballot ID to write down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from booth.audit.record import AuditState
from booth.audit.sampling import pull_list as order_pulls
from booth.paper.layout import BODY_BOLD, MONO, SMALL, TITLE, Column, Page, to_png


@dataclass(frozen=True)
class PullItem:
    box: str
    position: int
    times: int
    phantom: bool
    recorded: bool

    def line(self) -> str:
        """One line of the list, Indonesian then English."""
        times = f" (x{self.times})" if self.times > 1 else ""
        place = f"kotak {self.box}, struk ke-{self.position} dari atas{times} / box {self.box}, slip {self.position}"
        if self.phantom:
            return place + " — tidak ada di kotak, dihitung terburuk / not in the box, counts as worst case"
        return place + (" — sudah dicatat / recorded" if self.recorded else "")


def items(state: AuditState, round_number: int) -> list[PullItem]:
    """The round's places in pulling order."""
    found = [r for r in state.rounds if r.number == round_number]
    if not found:
        raise ValueError(f"tidak ada putaran {round_number} / there is no round {round_number}")
    from booth.audit.sampling import Pick

    picks = [Pick(i, b, p) for i, (b, p) in enumerate(found[0].picks, start=1)]
    return [
        PullItem(box, pos, n, state.is_phantom(box, pos), (box, pos) in state.readings)
        for box, pos, n in order_pulls(picks, state.boxes)
    ]


def render(state: AuditState, round_number: int) -> Image.Image:
    """The pull list as a 384-dot image for the thermal printer."""
    page = Page()
    page.text("DAFTAR TARIK STRUK", TITLE, align="center")
    page.text("Audit pull list", SMALL, align="center")
    page.rule()
    rnd = next(r for r in state.rounds if r.number == round_number)
    page.bilingual(f"Putaran {round_number}: {rnd.size} tarikan", f"Round {round_number}: {rnd.size} draws")
    page.bilingual(f"Dadu: {rnd.dice}", "Dice digits", style=MONO)
    page.bilingual(f"Catatan audit {state.fingerprint}", "Audit record fingerprint", style=MONO)
    page.rule()
    per_row = 3  # three places to a row: paper is the booth's consumable
    columns = [Column(None, "left", BODY_BOLD) for _ in range(per_row)]
    listed = items(state, round_number)
    for box in dict.fromkeys(item.box for item in listed):
        in_box = [item for item in listed if item.box == box and not item.phantom]
        page.space(4)
        page.text(f"KOTAK {box} · BOX {box}", BODY_BOLD, invert=True)
        cells = [f"{item.position}" + (f" x{item.times}" if item.times > 1 else "") for item in in_box]
        rows = [
            cells[i : i + per_row] + [""] * (per_row - len(cells[i : i + per_row]))
            for i in range(0, len(cells), per_row)
        ]
        page.table(columns, rows, lines=False)
        phantoms = [item for item in listed if item.box == box and item.phantom]
        if phantoms:
            page.bilingual(
                "Tidak ada di kotak (dihitung terburuk): " + ", ".join(str(p.position) for p in phantoms),
                "Not in the box (count as worst cases)",
                style=SMALL,
            )
    page.rule()
    page.bilingual(
        "Nomor = struk ke-N dihitung dari atas kotak; xN = terambil N kali",
        "Number = the Nth slip from the top of the box; xN = drawn N times",
        style=SMALL,
    )
    return page.render()


def write_png(state: AuditState, round_number: int, path: Path) -> None:
    to_png(render(state, round_number), path)


def write_pdf(state: AuditState, round_number: int, path: Path) -> None:
    """The pull list on A4: one row per slip to pull, a column for the ballot ID and the choice read."""
    from fpdf import FPDF

    from booth import fonts

    rnd = next(r for r in state.rounds if r.number == round_number)
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("DejaVu", "", str(fonts.font_path(fonts.REGULAR)))
    pdf.add_font("DejaVu", "B", str(fonts.font_path(fonts.BOLD)))
    pdf.set_creator("booth audit")
    pdf.set_title(f"Daftar tarik struk, putaran {round_number}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 8, f"Daftar Tarik Struk — Putaran {round_number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, f"Audit pull list — round {round_number}: {rnd.size} draws", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 6, f"Dadu / dice: {rnd.dice}    Catatan audit / record: {state.fingerprint}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(3)
    widths = (22, 30, 14, 64, 30, 20)
    header = ("Kotak / box", "Struk ke- / slip", "Kali / x", "ID surat suara / ballot ID", "Pilihan / choice", "✓")
    pdf.set_font("DejaVu", "B", 9)
    for w, text in zip(widths, header, strict=True):
        pdf.cell(w, 7, text, border=1)
    pdf.ln()
    pdf.set_font("DejaVu", "", 10)
    for item in items(state, round_number):
        cells = (
            item.box,
            str(item.position),
            str(item.times),
            "tidak ada di kotak / not in the box" if item.phantom else "",
            "",
            "",
        )
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 8, text, border=1)
        pdf.ln()
    pdf.ln(4)
    pdf.multi_cell(
        0,
        5,
        "Hitung dari atas kotak. Catat ID dan nomor urut yang terbaca, lalu 'booth audit record'. / "
        "Count from the top of the box. Write down the ID and the nomor urut read, then 'booth audit record'.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.output(str(path))
