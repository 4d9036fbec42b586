"""What the audit says so far, for the committee and the berita acara: counts only, never a ballot.

Every line here is built from an :class:`~booth.audit.record.AuditState`
(the replayed record): the reported tally, the draws, the discrepancies by
class, the risk beside the limit, and the next step.  Ballot choices appear
only as counts; no ballot ID is printed.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

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
