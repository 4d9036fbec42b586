"""The audit record: one file holding every input of the audit, from which anyone re-derives the rest.

``audit.jsonl`` -- one entry a line, ``base64(signature) SP entry LF``, where
the entry is canonical JSON (``booth.ledger.canonical``) of::

    {"seq": n, "prev": hex SHA-256 of the previous entry (64 zeros first),
     "time": "YYYY-MM-DDTHH:MM:SSZ", "type": ..., "body": {...}}

signed ``Ed25519(audit key, "booth audit v1\\n" || entry)``.  The audit key is
made by ``booth audit start`` (``audit.key`` beside the record, mode 0600);
its public key is in the first entry, and the record's **fingerprint** (first
16 hex digits of SHA-256 of that key) and **head** (hash of the last entry) go
on the printed report, so the paper anchors the file as a checkpoint anchors
a ledger.

Each body holds the step's **inputs** and what the tool **derived** from
them (:data:`INPUTS`); ``booth audit check`` replays the file from the first
entry with the same functions, re-derives every derived value from the
inputs alone, and names the first one that differs.  The steps, in order:

=================  ==========================================  ==========================================
type               inputs (what people brought or saw)         derived (what the tool computed)
=================  ==========================================  ==========================================
``audit.started``  the boxes (each booth's verified records:   ballots, reported tally, margin in votes,
                   CVRs, checkpoint, ballot root), risk limit,  the contest's checkpoint hash
                   gamma, the audit's public key
``paper.counted``  the paper count of every box                 differences, each box's slips in the
                                                                audit (the larger count), N, the diluted
                                                                margin, the first round's size
``round.seeded``   the round number, the 20 dice digits         the seed, the round's size, the draws
``slip.read``      box, position, what was read (slip / VOID /  the discrepancy class, its overstatement
                   nothing there, ballot ID, choice, how)       (whole votes and weighted)
``round.measured`` the round number                             draws so far, discrepancy counts, the
                                                                risk, the decision, the next round's size
``hand.counted``   a box's count sheet (votes per choice,        the box's differences from its CVRs
                   blank, VOID)
``audit.finished`` --                                          the outcome (confirmed by the sample; by
                                                                the hand count; or changed by it)
=================  ==========================================  ==========================================

Discrepancy classes (:func:`classify`), each with the overstatement ``e`` of
:func:`booth.audit.risk.overstatement`: ``match``; ``overstatement_1|2``,
``understatement_1|2``; ``slip_for_spoiled_ballot`` (a choice slip whose
record is spoiled, without its VOID print), ``void_for_counted_ballot`` (a
VOID print whose record counts a vote), ``spoiled_void`` (a spoiled ballot's
VOID print: no discrepancy); ``slip_without_cvr`` (its ID is in no record),
``duplicate_slip`` (an ID already found at another place), and
``cvr_without_slip`` (nothing at that place: fewer slips than records).  The
last three are worst cases, ``e = 2``, as Arlo counts a ballot not found and
as Bañuelos and Stark (2012, "Limiting risk by turning manifest phantoms into
evil zombies") prescribe for phantoms: the audit's ``N`` is the larger of the
paper count and the records' in each box, and a place with no slip counts
against the outcome.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from booth.audit import risk, sampling
from booth.audit.contest import AuditRefused, BoxRecords, Contest
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from booth.ledger.keys import DeviceKey, raw_public
from booth.paper.slip import SLIP_QR_PREFIX, VOID_QR_PREFIX

RECORD_FORMAT = "booth-audit-v1"
CONTEXT = b"booth audit v1\n"
GENESIS = "0" * 64

#: The input members of each step's body; every other member is derived and re-derived by ``check``.
INPUTS: dict[str, tuple[str, ...]] = {
    "audit.started": ("format", "public_key", "risk_limit", "gamma", "several_elections", "boxes"),
    "paper.counted": ("counts",),
    "round.seeded": ("round", "dice"),
    "slip.read": ("box", "position", "kind", "ballot_id", "choice", "how"),
    "round.measured": ("round",),
    "hand.counted": ("box", "counts"),
    "audit.finished": (),
}
READ_KINDS = ("slip", "void", "none")
READ_HOW = ("qr", "photo", "typed")
WORST = (2, Decimal(2))


class StepRefused(Exception):
    """A step the audit cannot take now, or input it cannot accept (message id / en); nothing is written."""


class RecordInvalid(Exception):
    """``check`` found the record does not reproduce: the first mismatch, named."""


# ------------------------------------------------------------------ the state a replay builds
@dataclass
class Reading:
    kind: str
    ballot_id: str | None
    choice: str | None
    how: str
    cls: str
    e: int
    weighted: Decimal


@dataclass
class Round:
    number: int
    dice: str
    seed: str
    size: int
    picks: list[tuple[str, int]]
    measured: dict[str, Any] | None = None


@dataclass
class AuditState:
    """Everything the record says so far, rebuilt entry by entry."""

    risk_limit: Decimal = Decimal(0)
    gamma: Decimal = risk.GAMMA
    contest: Contest | None = None
    public_key: Ed25519PublicKey | None = None
    checkpoint_hash: str = ""
    universe: dict[str, int] | None = None  # box -> slips in the audit (after the paper count)
    paper: dict[str, int] | None = None
    rounds: list[Round] = field(default_factory=list)
    readings: dict[tuple[str, int], Reading] = field(default_factory=dict)
    ids_found: dict[str, tuple[str, int]] = field(default_factory=dict)
    hand_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    finished: dict[str, Any] | None = None
    seq: int = 0
    head: str = GENESIS

    # -- what follows from it
    @property
    def boxes(self) -> list[sampling.Box]:
        assert self.universe is not None
        return [sampling.Box(label, n) for label, n in self.universe.items()]

    @property
    def ballots(self) -> int:
        """N: the slips in the audit, phantoms included."""
        return sum(self.universe.values()) if self.universe else 0

    def outcome(self) -> risk.Outcome:
        assert self.contest is not None
        return self.contest.outcome(self.ballots)

    def draws(self) -> list[tuple[str, int]]:
        """Every draw of every round, in order (with repeats)."""
        return [p for r in self.rounds for p in r.picks]

    def is_phantom(self, box: str, position: int) -> bool:
        """A place beyond the box's paper: the records say more slips than the box holds."""
        return self.paper is not None and position > self.paper[box]

    def reading_for(self, box: str, position: int) -> tuple[int, Decimal] | None:
        """(e, weighted) of a drawn place: its reading, a phantom's worst case, or None (not read yet)."""
        if self.is_phantom(box, position):
            return WORST
        found = self.readings.get((box, position))
        return None if found is None else (found.e, found.weighted)

    def unread(self, round_number: int | None = None) -> list[tuple[str, int]]:
        """Drawn places (of one round, or all) that still wait for their reading, in pull order."""
        rounds = self.rounds if round_number is None else [r for r in self.rounds if r.number == round_number]
        places = {p for r in rounds for p in r.picks if self.reading_for(*p) is None}
        order = {b: i for i, b in enumerate(self.universe or {})}
        return sorted(places, key=lambda p: (order[p[0]], p[1]))

    def risk_so_far(self) -> Decimal:
        values = []
        for place in self.draws():
            got = self.reading_for(*place)
            if got is not None:
                values.append(got[1])
        return risk.kaplan_markov_risk(self.outcome().diluted_margin, values, self.gamma)

    @property
    def fingerprint(self) -> str:
        assert self.public_key is not None
        return hashlib.sha256(raw_public(self.public_key)).hexdigest()[:16]

    def next_step(self) -> str:
        """What the committee does next, in words (id / en)."""
        if self.contest is None:
            return "mulai audit / start the audit"
        if self.finished is not None:
            return "audit selesai / the audit is finished"
        if self.universe is None:
            return "hitung struk setiap kotak (booth audit boxes) / count the slips of every box (booth audit boxes)"
        if self.hand_counts or self._decision() == "full_hand_count":
            left = [b for b in self.universe if b not in self.hand_counts]
            return (
                f"hitung manual semua struk, kotak {', '.join(left)} (lembar: booth audit count-sheet; "
                f"lalu booth audit hand-count) / count every slip by hand, box {', '.join(left)} "
                "(sheets: booth audit count-sheet; then booth audit hand-count)"
            )
        if not self.rounds and _first_round_size(self) == risk.FULL_HAND_COUNT:
            return (
                "tidak ada sampel yang cukup: hitung manual semua struk (booth audit hand-count) / "
                "no sample can do: count every slip by hand (booth audit hand-count)"
            )
        if not self.rounds or self._decision() == "next_round":
            return (
                f"lempar dadu untuk putaran {len(self.rounds) + 1} (booth audit seed) / "
                f"roll the dice for round {len(self.rounds) + 1} (booth audit seed)"
            )
        waiting = self.unread(self.rounds[-1].number)
        return (
            f"catat {len(waiting)} struk dari daftar tarik (booth audit record) / "
            f"record {len(waiting)} slips of the pull list (booth audit record)"
        )

    def _decision(self) -> str | None:
        if not self.rounds or self.rounds[-1].measured is None:
            return None
        return str(self.rounds[-1].measured["decision"])


# ------------------------------------------------------------------ deriving each step
def _dec(value: Decimal) -> str:
    """A Decimal as the record writes it: fixed-point, no exponent."""
    return f"{value:f}"


def _parse_limit(text: object, what: str) -> Decimal:
    if not isinstance(text, str):
        raise StepRefused(f"{what} harus teks desimal / {what} must be decimal text")
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise StepRefused(f"{what} {text!r} bukan angka / {what} {text!r} is not a number") from None
    return value


def _derive_started(state: AuditState, body: Mapping[str, Any]) -> dict[str, Any]:
    if state.seq != 0:
        raise StepRefused("audit.started hanya di awal / audit.started only comes first")
    if body["format"] != RECORD_FORMAT:
        raise StepRefused(f"format {body['format']!r} tidak dikenal / unknown record format")
    limit = _parse_limit(body["risk_limit"], "batas risiko / risk limit")
    if not 0 < limit < 1:
        raise StepRefused("batas risiko harus antara 0 dan 1 / the risk limit must be between 0 and 1")
    gamma = _parse_limit(body["gamma"], "gamma")
    if gamma < 1:
        raise StepRefused("gamma harus >= 1 / gamma must be at least 1")
    boxes = [BoxRecords.from_json(b) for b in body["boxes"]]
    for box in boxes:
        if box.recomputed_root() != box.ballot_root:
            raise StepRefused(
                f"CVR kotak {box.label} tidak sesuai akar surat suaranya / "
                f"box {box.label}'s CVRs do not give its ballot root"
            )
    if not isinstance(body["several_elections"], bool):
        raise StepRefused("several_elections harus true/false / several_elections must be true or false")
    try:
        contest = Contest(boxes, several_elections=body["several_elections"])
    except AuditRefused as exc:
        raise StepRefused(str(exc)) from None
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"], validate=True))
    except (ValueError, TypeError):
        raise StepRefused("kunci publik audit rusak / the audit's public key is damaged") from None
    state.risk_limit, state.gamma, state.contest, state.public_key = limit, gamma, contest, key
    state.checkpoint_hash = sampling.checkpoint_hash(b.checkpoint for b in boxes)
    outcome = contest.outcome(sum(b.slips for b in boxes))
    return {
        "ballots": sum(b.slips for b in boxes),
        "choices": contest.choices,
        "tally": contest.tally(),
        "margin_votes": outcome.margin_votes,
        "checkpoint_hash": state.checkpoint_hash,
    }


def _first_round_size(state: AuditState) -> int:
    m = state.outcome().diluted_margin
    size = risk.comparison_sample_size(m, state.risk_limit, gamma=state.gamma) if m > 0 else risk.FULL_HAND_COUNT
    return size if 0 < size < state.ballots else risk.FULL_HAND_COUNT


def _derive_paper(state: AuditState, body: Mapping[str, Any]) -> dict[str, Any]:
    assert state.contest is not None
    if state.universe is not None:
        raise StepRefused("kotak sudah dihitung / the boxes were counted already")
    counts = body["counts"]
    labels = [b.label for b in state.contest.boxes]
    if not isinstance(counts, dict) or sorted(counts) != sorted(labels):
        raise StepRefused(
            f"hitungan kertas harus untuk kotak {', '.join(labels)} / "
            f"the paper count must cover boxes {', '.join(labels)}"
        )
    for label, n in counts.items():
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 100_000:
            raise StepRefused(
                f"hitungan kotak {label} harus bilangan bulat 0..100000 / box {label}'s count must be 0..100000"
            )
    records = {b.label: b.slips for b in state.contest.boxes}
    state.paper = {label: counts[label] for label in labels}
    state.universe = {label: max(records[label], counts[label]) for label in labels}
    return {
        "differences": {label: counts[label] - records[label] for label in labels},
        "universe": state.universe,
        "ballots": state.ballots,
        "diluted_margin": _dec(state.outcome().diluted_margin),
        "first_round_size": _first_round_size(state),
    }


def _round_size(state: AuditState) -> int:
    if not state.rounds:
        return _first_round_size(state)
    measured = state.rounds[-1].measured
    assert measured is not None
    return int(measured["next_size"])


def _derive_seeded(state: AuditState, body: Mapping[str, Any]) -> dict[str, Any]:
    if state.universe is None:
        raise StepRefused(
            "hitung dulu struk setiap kotak (booth audit boxes) / first count each box's slips (booth audit boxes)"
        )
    if state.finished is not None or state.hand_counts:
        raise StepRefused("audit sudah ke hitung manual atau selesai / the audit went to a hand count or is finished")
    if state.rounds and state._decision() != "next_round":
        raise StepRefused(
            "putaran ini belum selesai dicatat / this round's slips are not all recorded yet"
            if state._decision() is None
            else "tidak ada putaran berikutnya / there is no next round: " + state.next_step()
        )
    if body["round"] != len(state.rounds) + 1:
        raise StepRefused(
            f"putaran berikutnya adalah {len(state.rounds) + 1} / the next round is {len(state.rounds) + 1}"
        )
    dice = body["dice"]
    if not isinstance(dice, str):
        raise StepRefused("angka dadu harus teks / the dice must be text")
    try:
        dice = sampling.dice_digits(dice, dice)
    except sampling.BadSeed as exc:
        raise StepRefused(str(exc)) from None
    if any(r.dice == dice for r in state.rounds):
        raise StepRefused(
            "angka dadu sama dengan putaran sebelumnya: lempar dadu lagi / "
            "the same dice as an earlier round: roll them again"
        )
    size = _round_size(state)
    if size == risk.FULL_HAND_COUNT:
        raise StepRefused("tidak ada sampel yang cukup: hitung manual / no sample can do: count by hand")
    seed = sampling.round_seed(dice, state.checkpoint_hash)
    picks = [(p.box, p.position) for p in sampling.draw(seed, state.boxes, size)]
    state.rounds.append(Round(body["round"], dice, seed, size, picks))
    return {
        "seed": seed,
        "size": size,
        "picks": [[b, p] for b, p in picks],
        "phantoms": sum(1 for b, p in picks if state.is_phantom(b, p)),
    }


def _lookup(contest: Contest, ballot_id: str) -> tuple[str, str, str] | None:
    """(full ID, box, selection) for a full ID or the 16-digit printed prefix; None if no record has it."""
    key = ballot_id.lower()
    if len(key) == 32:
        found = contest.cvr(key)
        return None if found is None else (key, *found)
    hits = [(i, b.label, s) for b in contest.boxes for i, s in b.cvrs.items() if i.startswith(key)]
    return hits[0] if len(hits) == 1 else None


def classify(
    state: AuditState, kind: str, ballot_id: str | None, choice: str | None, place: tuple[str, int]
) -> tuple[str, int, Decimal, str | None]:
    """(class, e, weighted e, the full ballot ID found) of one reading; see the module docstring."""
    assert state.contest is not None
    outcome = state.outcome()
    if kind == "none":
        return ("cvr_without_slip", *WORST, None)
    assert ballot_id is not None
    found = _lookup(state.contest, ballot_id)
    if found is None:
        return ("slip_without_cvr", *WORST, None)
    full, _, selection = found
    earlier = state.ids_found.get(full)
    if earlier is not None and earlier != place:
        return ("duplicate_slip", *WORST, full)
    spoiled = selection == "spoiled"
    if kind == "void":
        if spoiled:
            return ("spoiled_void", 0, Decimal(0), full)
        e, weighted = risk.overstatement(outcome, selection, None)
        return ("void_for_counted_ballot", e, weighted, full)
    e, weighted = risk.overstatement(outcome, selection, choice)
    if spoiled:
        return ("slip_for_spoiled_ballot", e, weighted, full)
    if e == 0:
        return ("match", 0, weighted, full)
    return (("overstatement_" if e > 0 else "understatement_") + str(abs(e)), e, weighted, full)


def _derive_read(state: AuditState, body: Mapping[str, Any]) -> dict[str, Any]:
    assert state.contest is not None
    box, position, kind, ballot_id, choice, how = (body[k] for k in INPUTS["slip.read"])
    if state.finished is not None:
        raise StepRefused("audit sudah selesai / the audit is finished")
    if not isinstance(box, str) or not isinstance(position, int) or (box, position) not in set(state.draws()):
        raise StepRefused(
            f"kotak {box}, struk ke-{position} tidak ada di daftar tarik / "
            f"box {box}, slip {position} is not on the pull list"
        )
    if state.is_phantom(box, position):
        raise StepRefused(
            f"kotak {box} hanya berisi {state.paper and state.paper[box]} struk: tempat ini sudah dihitung kosong / "
            f"box {box} holds only {state.paper and state.paper[box]} slips: this place counts as empty already"
        )
    if (box, position) in state.readings:
        raise StepRefused(
            f"kotak {box}, struk ke-{position} sudah dicatat / box {box}, slip {position} is recorded already"
        )
    if kind not in READ_KINDS or how not in READ_HOW:
        raise StepRefused("jenis bacaan tidak dikenal / unknown kind of reading")
    if kind == "none":
        if ballot_id is not None or choice is not None:
            raise StepRefused("tempat kosong tidak punya ID atau pilihan / an empty place has no ID and no choice")
    else:
        if not isinstance(ballot_id, str) or len(ballot_id) not in (16, 32) or not _is_hex(ballot_id):
            raise StepRefused(
                "ID surat suara: 32 digit heksadesimal (QR) atau 16 digit tercetak / "
                "the ballot ID: 32 hex digits (QR) or the 16 printed ones"
            )
        if kind == "void" and choice is not None:
            raise StepRefused("cetakan BATAL tidak punya pilihan / a VOID print shows no choice")
        if kind == "slip" and choice not in state.contest.choices:
            raise StepRefused(
                f"pilihan {choice!r} tidak ada; yang ada: {', '.join(state.contest.choices)} / "
                f"no such choice {choice!r}; the choices are {', '.join(state.contest.choices)}"
            )
    cls, e, weighted, full = classify(state, kind, ballot_id, choice, (box, position))
    state.readings[(box, position)] = Reading(kind, ballot_id, choice, how, cls, e, weighted)
    if full is not None and full not in state.ids_found:
        state.ids_found[full] = (box, position)
    return {"class": cls, "e": e, "weighted": _dec(weighted), "draws": state.draws().count((box, position))}


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _measure(state: AuditState) -> dict[str, Any]:
    """The risk and the decision after every draw so far has its reading."""
    draws = state.draws()
    got = [state.reading_for(*p) for p in draws]
    assert all(g is not None for g in got)
    found = risk.Discrepancies.of(g[0] for g in got if g is not None)
    classes = Counter("cvr_without_slip" if state.is_phantom(*p) else state.readings[p].cls for p in draws)
    level = state.risk_so_far()
    if level <= state.risk_limit:
        decision, next_size = "stop", 0
    else:
        m = state.outcome().diluted_margin
        more = risk.next_round_size(m, state.risk_limit, len(draws), found) if m > 0 else risk.FULL_HAND_COUNT
        if more == risk.FULL_HAND_COUNT or len(draws) + more >= state.ballots:
            decision, next_size = "full_hand_count", 0
        else:
            decision, next_size = "next_round", more
    return {
        "draws": len(draws),
        "counts": {"o1": int(found.o1), "o2": int(found.o2), "u1": int(found.u1), "u2": int(found.u2)},
        "classes": dict(sorted(classes.items())),
        "risk": _dec(level),
        "decision": decision,
        "next_size": next_size,
    }


def _derive_measured(state: AuditState, body: Mapping[str, Any]) -> dict[str, Any]:
    if not state.rounds or body["round"] != state.rounds[-1].number or state.rounds[-1].measured is not None:
        raise StepRefused("tidak ada putaran untuk diukur / no round to measure")
    if state.unread():
        raise StepRefused("masih ada struk belum dicatat / slips of the pull list are not recorded yet")
    measured = _measure(state)
    state.rounds[-1].measured = measured
    return measured


HAND_KEYS = ("void",)


def _derive_hand(state: AuditState, body: Mapping[str, Any]) -> dict[str, Any]:
    assert state.contest is not None and state.universe is not None
    box, counts = body["box"], body["counts"]
    if state.finished is not None:
        raise StepRefused("audit sudah selesai / the audit is finished")
    if box not in state.universe:
        raise StepRefused(f"tidak ada kotak {box!r} / no box {box!r}")
    if box in state.hand_counts:
        raise StepRefused(f"kotak {box} sudah dihitung manual / box {box} was counted by hand already")
    allowed = set(state.contest.choices) | set(HAND_KEYS)
    if not isinstance(counts, dict) or not set(counts) <= allowed:
        raise StepRefused(
            f"lembar hitung hanya boleh berisi {', '.join(sorted(allowed))} / "
            f"the count sheet may hold only {', '.join(sorted(allowed))}"
        )
    for k, n in counts.items():
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 100_000:
            raise StepRefused(f"jumlah {k} harus bilangan bulat 0..100000 / the count of {k} must be 0..100000")
    sheet = {k: counts.get(k, 0) for k in sorted(allowed, key=_choice_order)}
    state.hand_counts[box] = sheet
    records = next(b for b in state.contest.boxes if b.label == box)
    reported = Counter("void" if s == "spoiled" else s for s in records.cvrs.values())
    return {
        "total": sum(sheet.values()),
        "differences": {k: sheet[k] - reported.get(k, 0) for k in sheet if sheet[k] != reported.get(k, 0)},
    }


def _choice_order(choice: str) -> tuple[int, str]:
    return (int(choice), "") if choice.isdigit() else (1000, choice)


def _derive_finished(state: AuditState, body: Mapping[str, Any]) -> dict[str, Any]:
    assert state.contest is not None and state.universe is not None
    if state.finished is not None:
        raise StepRefused("audit sudah selesai / the audit is finished")
    reported = state.outcome()
    if state.hand_counts:
        if set(state.hand_counts) != set(state.universe):
            raise StepRefused("belum semua kotak dihitung manual / not every box is counted by hand")
        paper: Counter[str] = Counter()
        for sheet in state.hand_counts.values():
            paper.update({k: v for k, v in sheet.items() if k.isdigit()})
        tally = {c: paper.get(c, 0) for c in reported.tally}
        hand = risk.Outcome(tally, sum(sum(s.values()) for s in state.hand_counts.values()))
        paper_winner = hand.winner if hand.margin_votes > 0 else None  # None: a tie
        same = paper_winner == (reported.winner if reported.margin_votes > 0 else None)
        result = {
            "outcome": "confirmed_by_hand_count" if same else "changed_by_hand_count",
            "paper_tally": tally,
            "paper_winner": paper_winner,
        }
    else:
        if state._decision() != "stop":
            raise StepRefused("batas risiko belum terpenuhi / the risk limit is not met yet")
        result = {"outcome": "confirmed_by_sample", "risk": _dec(state.risk_so_far())}
    result.update(
        reported_tally=dict(reported.tally), reported_winner=reported.winner if reported.margin_votes > 0 else None
    )
    state.finished = result
    return result


DERIVE: dict[str, Callable[[AuditState, Mapping[str, Any]], dict[str, Any]]] = {
    "audit.started": _derive_started,
    "paper.counted": _derive_paper,
    "round.seeded": _derive_seeded,
    "slip.read": _derive_read,
    "round.measured": _derive_measured,
    "hand.counted": _derive_hand,
    "audit.finished": _derive_finished,
}


# ------------------------------------------------------------------ the file
def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lines(path: Path) -> Iterator[tuple[int, bytes, bytes]]:
    for number, line in enumerate(Path(path).read_bytes().split(b"\n"), start=1):
        if not line:
            continue
        head, _, entry = line.partition(b" ")
        try:
            sig = base64.b64decode(head, validate=True)
        except ValueError:
            sig = b""
        yield number, sig, entry


def replay(path: Path) -> AuditState:
    """Read the record, checking the chain, every signature and every derived value; raise the first mismatch."""
    state = AuditState()
    for number, sig, entry in _lines(path):
        where = f"baris / line {number}"
        try:
            obj = parse_canonical(entry)
        except NotCanonical as exc:
            raise RecordInvalid(f"{where}: bukan JSON kanonik / not canonical JSON ({exc})") from None
        if not isinstance(obj, dict) or set(obj) != {"seq", "prev", "time", "type", "body"}:
            raise RecordInvalid(f"{where}: bentuk entri salah / the entry has the wrong shape")
        kind, body = obj["type"], obj["body"]
        where = f"{where} ({kind})"
        if obj["seq"] != state.seq or obj["prev"] != state.head:
            raise RecordInvalid(f"{where}: rantai putus (dihapus, disisipkan, diurutkan ulang?) / the chain breaks")
        if kind not in DERIVE or not isinstance(body, dict):
            raise RecordInvalid(f"{where}: jenis entri tidak dikenal / unknown entry type")
        inputs = {k: body.get(k) for k in INPUTS[kind]}
        recorded = {k: v for k, v in body.items() if k not in INPUTS[kind]}
        if state.public_key is not None:  # (the first entry carries the key: checked once it is read)
            _check_signature(state.public_key, sig, entry, where)
        try:
            derived = DERIVE[kind](state, inputs)
        except StepRefused as exc:
            raise RecordInvalid(f"{where}: langkah tidak sah / a step not allowed: {exc}") from None
        except (KeyError, TypeError, ValueError, AssertionError) as exc:
            raise RecordInvalid(f"{where}: isi rusak / damaged content ({exc!r})") from None
        if obj["seq"] == 0:
            assert state.public_key is not None
            _check_signature(state.public_key, sig, entry, where)
        derived_json = parse_canonical(canonical(derived))
        for k in sorted(set(derived_json) | set(recorded)):
            if recorded.get(k) != derived_json.get(k):
                was, now = _short(recorded.get(k)), _short(derived_json.get(k))
                raise RecordInvalid(
                    f"{where}: '{k}' tercatat {was} tetapi dihitung ulang {now} / "
                    f"'{k}' is recorded as {was} but re-derives as {now}"
                )
        state.seq += 1
        state.head = hashlib.sha256(entry).hexdigest()
    if state.seq == 0:
        raise RecordInvalid("catatan audit kosong / the audit record is empty")
    return state


def _check_signature(key: Ed25519PublicKey, sig: bytes, entry: bytes, where: str) -> None:
    try:
        key.verify(sig, CONTEXT + entry)
    except InvalidSignature:
        raise RecordInvalid(f"{where}: tanda tangan tidak sah / the signature does not verify") from None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_slip_qr(text: str) -> tuple[str, str]:
    """(kind, ballot ID) from a slip's QR text: ``BOOTH1:B:...`` a slip, ``BOOTH1:V:...`` a VOID print.

    >>> parse_slip_qr("BOOTH1:B:7F3A91C20B4E:9F2C41D07BE3A5586C0E1F2A3B4C5D6E")
    ('slip', '9f2c41d07be3a5586c0e1f2a3b4c5d6e')
    """
    parts = (text or "").strip().split(":")
    if len(parts) == 4 and ":".join(parts[:2]) in (SLIP_QR_PREFIX, VOID_QR_PREFIX):
        ballot_id = parts[3].lower()
        if len(ballot_id) == 32 and _is_hex(ballot_id):
            return ("slip" if ":".join(parts[:2]) == SLIP_QR_PREFIX else "void"), ballot_id
    raise StepRefused(
        "QR ini bukan struk audit booth (BOOTH1:B:...) atau cetakan BATAL (BOOTH1:V:...) / "
        "this QR is neither a booth slip (BOOTH1:B:...) nor a VOID print (BOOTH1:V:...)"
    )


def check(path: Path, head: str | None = None) -> tuple[bool, str]:
    """``booth audit check``: (reproduces?, a sentence saying so or naming the first mismatch).

    ``head`` is the record's head as printed on the audit report (a prefix is
    enough): without it a record cut short after any entry still reproduces.
    """
    try:
        state = replay(path)
    except RecordInvalid as exc:
        return False, str(exc)
    except OSError as exc:
        return False, f"tidak terbaca / unreadable: {exc}"
    head = None if head is None else "".join(head.split()).lower()  # as printed: in groups of 8
    if head is not None and (len(head) < 8 or not state.head.startswith(head)):
        return False, (
            f"head catatan {state.head[:16]} bukan yang tercetak {head} (dipotong atau diganti?) / "
            f"the record's head {state.head[:16]} is not the printed {head} (cut short or replaced?)"
        )
    return True, (
        f"{state.seq} entri, semua sampel dan angka risiko dihitung ulang dan sama / "
        f"{state.seq} entries, every sample and risk figure re-derived and equal "
        f"(sidik jari / fingerprint {state.fingerprint}, head {state.head[:16]})"
    )


class AuditRecord:
    """An open audit record: replays the file, then appends signed steps with the audit key."""

    def __init__(self, path: Path, key: DeviceKey, clock: Callable[[], str] = _now) -> None:
        self.path = Path(path)
        self.key = key
        self.clock = clock
        self.state = replay(self.path)
        if raw_public(key.public_key) != raw_public(self.state.public_key):  # type: ignore[arg-type]
            raise StepRefused("kunci audit bukan milik catatan ini / the audit key is not this record's")

    @classmethod
    def create(
        cls,
        path: Path,
        contest: Contest,
        risk_limit: Decimal,
        *,
        key_path: Path | None = None,
        clock: Callable[[], str] = _now,
        private_key: Ed25519PrivateKey | None = None,
    ) -> AuditRecord:
        """Start a record: make the audit key (refusing to overwrite one) and write ``audit.started``."""
        path = Path(path)
        if path.exists():
            raise StepRefused(f"{path} sudah ada / {path} exists already")
        key_path = key_path or path.with_name(path.stem + ".key")
        if key_path.exists():
            raise StepRefused(
                f"{key_path} sudah ada: satu kunci untuk satu audit / {key_path} exists: one key for one audit"
            )
        key = DeviceKey.create(key_path, private_key=private_key)
        body = {
            "format": RECORD_FORMAT,
            "public_key": base64.b64encode(raw_public(key.public_key)).decode(),
            "risk_limit": _dec(risk_limit),
            "gamma": _dec(risk.GAMMA),
            "several_elections": contest.several_elections,
            "boxes": contest.to_json(),
        }
        state = AuditState()
        derived = _derive_started(state, body)
        _write(path, key, 0, GENESIS, "audit.started", {**body, **derived}, clock())
        return cls(path, key, clock)

    def step(self, kind: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Take one step: derive, sign, append; then any automatic step it completes (measure, finish)."""
        derived = DERIVE[kind](self.state, inputs)
        self._append(kind, {**inputs, **derived})
        if kind == "slip.read":
            current = self.state.rounds[-1]
            if current.measured is None and not self.state.unread(current.number):
                self._auto("round.measured", {"round": current.number})
        if kind == "round.seeded" and not self.state.unread(self.state.rounds[-1].number):
            self._auto("round.measured", {"round": self.state.rounds[-1].number})  # all phantoms
        if self.state._decision() == "stop" and self.state.finished is None:
            self._auto("audit.finished", {})
        if kind == "hand.counted" and set(self.state.hand_counts) == set(self.state.universe or {}):
            self._auto("audit.finished", {})
        return derived

    def _auto(self, kind: str, inputs: dict[str, Any]) -> None:
        derived = DERIVE[kind](self.state, inputs)
        self._append(kind, {**inputs, **derived})

    def _append(self, kind: str, body: dict[str, Any]) -> None:
        self.state.head = _write(self.path, self.key, self.state.seq, self.state.head, kind, body, self.clock())
        self.state.seq += 1


def _write(path: Path, key: DeviceKey, seq: int, prev: str, kind: str, body: dict[str, Any], time: str) -> str:
    entry = canonical({"seq": seq, "prev": prev, "time": time, "type": kind, "body": body})
    line = base64.b64encode(key.sign(CONTEXT + entry)) + b" " + entry + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return hashlib.sha256(entry).hexdigest()
