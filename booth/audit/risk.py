"""How much paper the committee must look at, and how sure the look makes them.

Two audits, one question each:

* **Ballot-level comparison** (what booth's slips allow: each carries its
  ballot ID): the Kaplan-Markov risk measure of Stark's "super-simple"
  simultaneous audit (P.B. Stark, "Super-Simple Simultaneous Single-Ballot
  Risk-Limiting Audits", EVT/WOTE 2010; the bound from "Risk-limiting
  post-election audits: P-values from common probability inequalities", IEEE
  TIFS 4, 2009), as VotingWorks' Arlo computes it
  (``server/audit_math/supersimple.py``: ``compute_risk``, ``nMin``,
  ``get_sample_sizes``).
* **Ballot polling** (no CVRs, only the paper): the expected sample size of
  BRAVO (M. Lindeman, P.B. Stark, V.S. Yates, "BRAVO: Ballot-polling
  Risk-limiting Audits to Verify Outcomes", EVT/WOTE 2012), shown beside the
  comparison figure so the committee sees why the slips' IDs matter.

Every figure is computed in :class:`decimal.Decimal` at 28 digits: its
operations, ``ln`` included, are correctly rounded, so ``booth audit check``
reproduces every risk figure digit for digit on any machine.

The comparison audit, term by term
----------------------------------
``N`` ballots (slips), the reported margin ``V`` in votes between the reported
winner and the runner-up, the **diluted margin** ``m = V / N``.  For a drawn
slip ``i`` and each reported loser ``l``, the **overstatement** of the pair
is ``e = (v_w - a_w) - (v_l - a_l)`` where ``v`` is the CVR's vote (1 or 0)
and ``a`` what the slip shows: ``+1`` or ``+2`` when the electronic record
favoured the winner more than the paper does (a 1- or 2-vote overstatement),
``-1`` or ``-2`` the other way (understatements).  The slip's discrepancy is
the largest ``e * V / V_wl`` over the losers (``V_wl`` the winner's lead over
``l``; Arlo's ``weighted_error`` times ``V``); for two candidates that is
just ``e``.

With the error inflation ``gamma`` (Arlo, Stark's tool, AGI and Colorado's
CORLA use :data:`GAMMA` = 1.03905) and ``U = 2 gamma / m``, the risk after
``n`` draws (with replacement) is::

    P = prod_i (1 - 1/U) / (1 - e_i / (2 gamma))

(Stark 2010, eq. for the Kaplan-Markov P-value; Arlo's ``compute_risk``).  The
audit stops when ``P <= alpha``, the risk limit.  As Arlo does today, an
**understatement** (``e_i < 0``: the paper favours the winner more than the
record) counts as ``e_i = 0``: it is recorded and reported, but never lowers
the risk -- a misread slip cannot buy confidence, and the bound only grows, so
it stays a valid risk limit.  In counts of overstatements for two candidates,
``o1, o2``::

    P = (1 - 1/U)^n / ((1 - 1/(2g))^o1 (1 - 1/g)^o2)

Sample sizes (Arlo's ``nMin`` and ``get_sample_sizes``)::

    n = ceil(-2 g (ln alpha + o1 ln(1 - 1/(2g)) + o2 ln(1 - 1/g)
                            + u1 ln(1 + 1/(2g)) + u2 ln(1 + 1/g)) / m)

with, before any slip is drawn, Arlo's documented error assumptions
(:data:`ARLO_RATES`): one-vote over- and understatements at 1 in 1,000
ballots, two-vote ones at 1 in 10,000.  Arlo first sizes the sample from those
rates, ``n0 = ceil(ln alpha / (ln(1 - m/(2g)) - r1 ln(1 - 1/(2g)) - ...))``,
rounds the expected one-vote counts at ``n0`` up and the two-vote ones to the
nearest whole ballot, and puts them in ``nMin``.  After a round the rates are
the overstatements observed so far (understatements left out, as in the risk).  That
gives Arlo's 170 slips at a 4% margin and a 5% risk limit, 136 at 5% and 68
at 10%; with no discrepancy at all, 125 and 63 suffice (:func:`clean_sample_size`).

>>> comparison_sample_size(Decimal("0.04"), Decimal("0.05"))
170
>>> comparison_sample_size(Decimal("0.05"), Decimal("0.05")), clean_sample_size(Decimal("0.05"), Decimal("0.05"))
(136, 125)
>>> polling_sample_size(Decimal("0.05"), Decimal("0.05"))
2416
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext

#: Arlo's error inflation ("This gamma is used in Stark's tool, AGI, and CORLA").
GAMMA = Decimal("1.03905")
#: Digits every figure is computed with (Decimal's default; set explicitly so a caller's context cannot change it).
PRECISION = 28


@dataclass(frozen=True)
class Discrepancies:
    """Counts of 1- and 2-vote over- and understatements (two-candidate terms), or rates of them."""

    o1: Decimal = Decimal(0)
    o2: Decimal = Decimal(0)
    u1: Decimal = Decimal(0)
    u2: Decimal = Decimal(0)

    @classmethod
    def of(cls, overstatements: Iterable[int]) -> Discrepancies:
        """Count the whole-vote overstatements (+2, +1, 0, -1, -2) of drawn slips.

        >>> Discrepancies.of([0, 1, -1, 2, 0])
        Discrepancies(o1=Decimal('1'), o2=Decimal('1'), u1=Decimal('1'), u2=Decimal('0'))
        """
        counts = {1: 0, 2: 0, -1: 0, -2: 0}
        for e in overstatements:
            if e:
                counts[max(-2, min(2, e))] += 1
        return cls(Decimal(counts[1]), Decimal(counts[2]), Decimal(counts[-1]), Decimal(counts[-2]))


#: Arlo's assumed rates before the first round: 1 in 1,000 one-vote, 1 in 10,000 two-vote misstatements.
ARLO_RATES = Discrepancies(o1=Decimal("0.001"), o2=Decimal("0.0001"), u1=Decimal("0.001"), u2=Decimal("0.0001"))


class BadFraction(ValueError):
    """A margin or risk limit that is not a fraction strictly between 0 and 1 (message id / en)."""


_FRACTION = re.compile(r"\s*([0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)\s*(%?)\s*")


def parse_fraction(text: str, what: str = "nilai / value") -> Decimal:
    """``"0.05"``, ``"5%"``, ``"5 %"`` or ``"0,05"`` as ``Decimal("0.05")``; anything else refused in words.

    >>> parse_fraction("5%"), parse_fraction("0.05"), parse_fraction("0,1")
    (Decimal('0.05'), Decimal('0.05'), Decimal('0.1'))
    >>> parse_fraction("5", "margin")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    booth.audit.risk.BadFraction: margin 5 harus antara 0 dan 1 atau persen, ... / margin 5 must be between 0 and 1 ...
    """
    match = _FRACTION.fullmatch(text or "")
    if match is None:
        raise BadFraction(
            f"{what} {text!r} bukan angka; tulis mis. 0.05 atau 5% / "
            f"{what} {text!r} is not a number; write e.g. 0.05 or 5%"
        )
    number = Decimal(match.group(1).replace(",", "."))
    if match.group(2):
        number = number / 100
    if not 0 < number < 1:
        raise BadFraction(
            f"{what} {text.strip()} harus antara 0 dan 1 atau persen, mis. 0.05 atau 5% / "
            f"{what} {text.strip()} must be between 0 and 1 or a percentage, e.g. 0.05 or 5%"
        )
    return number.normalize()


def _checked(margin: Decimal, risk_limit: Decimal) -> None:
    if not 0 < risk_limit < 1:
        raise BadFraction(f"batas risiko {risk_limit} di luar (0, 1) / risk limit {risk_limit} is outside (0, 1)")
    if not 0 <= margin <= 1:
        raise BadFraction(f"margin {margin} di luar [0, 1] / margin {margin} is outside [0, 1]")


def _terms(gamma: Decimal) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """ln of the four per-discrepancy factors: o1, o2, u1, u2."""
    one = Decimal(1)
    return (
        (one - one / (2 * gamma)).ln(),
        (one - one / gamma).ln(),
        (one + one / (2 * gamma)).ln(),
        (one + one / gamma).ln(),
    )


def n_min(margin: Decimal, risk_limit: Decimal, found: Discrepancies = Discrepancies(), gamma: Decimal = GAMMA) -> int:
    """Slips to draw so that, with ``found`` discrepancies among them, the risk is met (Arlo's ``nMin``).

    >>> n_min(Decimal("0.1"), Decimal("0.1"))
    48
    """
    _checked(margin, risk_limit)
    if margin == 0:
        raise BadFraction("margin 0: seri, hitung semua struk / a tie: count every slip by hand")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        t_o1, t_o2, t_u1, t_u2 = _terms(gamma)
        total = risk_limit.ln() + found.o1 * t_o1 + found.o2 * t_o2 + found.u1 * t_u1 + found.u2 * t_u2
        needed = (-2 * gamma * total / margin).to_integral_value(ROUND_CEILING)
    return max(math.ceil(found.o1 + found.o2 + found.u1 + found.u2), int(needed))


def clean_sample_size(margin: Decimal, risk_limit: Decimal, gamma: Decimal = GAMMA) -> int:
    """Slips that confirm the outcome if not one of them shows a discrepancy.

    >>> clean_sample_size(Decimal("0.1"), Decimal("0.05"))
    63
    """
    return n_min(margin, risk_limit, Discrepancies(), gamma)


#: Returned (in place of a count) when no sample short of every slip can confirm the outcome.
FULL_HAND_COUNT = -1


def comparison_sample_size(
    margin: Decimal,
    risk_limit: Decimal,
    rates: Discrepancies = ARLO_RATES,
    gamma: Decimal = GAMMA,
) -> int:
    """The expected slips to draw, given the discrepancy ``rates`` (Arlo's ``get_sample_sizes``).

    Returns :data:`FULL_HAND_COUNT` when at these rates the risk never falls
    (a margin of 0, or errors as common as the margin allows).

    >>> comparison_sample_size(Decimal("0.1"), Decimal("0.05")), comparison_sample_size(Decimal("0.2"), Decimal("0.1"))
    (68, 27)
    """
    _checked(margin, risk_limit)
    if margin == 0:
        return FULL_HAND_COUNT
    with localcontext() as ctx:
        ctx.prec = PRECISION
        t_o1, t_o2, t_u1, t_u2 = _terms(gamma)
        one = Decimal(1)
        per_draw = (
            (one - margin / (2 * gamma)).ln() - rates.o1 * t_o1 - rates.o2 * t_o2 - rates.u1 * t_u1 - rates.u2 * t_u2
        )
        if per_draw >= 0:
            return FULL_HAND_COUNT
        n0 = (risk_limit.ln() / per_draw).to_integral_value(ROUND_CEILING)
        # Arlo rounds the expected one-vote counts up, the two-vote ones to the nearest whole ballot
        expected = Discrepancies(
            o1=(rates.o1 * n0).to_integral_value(ROUND_CEILING),
            o2=(rates.o2 * n0).to_integral_value(ROUND_HALF_UP),
            u1=(rates.u1 * n0).to_integral_value(ROUND_CEILING),
            u2=(rates.u2 * n0).to_integral_value(ROUND_HALF_UP),
        )
    return n_min(margin, risk_limit, expected, gamma)


def next_round_size(margin: Decimal, risk_limit: Decimal, drawn: int, found: Discrepancies) -> int:
    """How many more slips to draw after ``drawn`` slips with ``found`` discrepancies (Arlo: observed rates).

    Returns :data:`FULL_HAND_COUNT` when at the observed rates the risk never
    falls (a two-vote overstatement in a small sample often does this).

    >>> next_round_size(Decimal("0.05"), Decimal("0.05"), 136, Discrepancies(o1=Decimal(1)))
    44
    """
    if drawn <= 0:
        return comparison_sample_size(margin, risk_limit)
    # understatements left out: they do not lower the risk (kaplan_markov_risk), so they cannot shorten the audit
    rates = Discrepancies(found.o1 / drawn, found.o2 / drawn)
    total = comparison_sample_size(margin, risk_limit, rates)
    if total == FULL_HAND_COUNT:
        return FULL_HAND_COUNT
    return max(total - drawn, 1)


def kaplan_markov_risk(margin: Decimal, overstatements: Iterable[Decimal | int], gamma: Decimal = GAMMA) -> Decimal:
    """The risk (Kaplan-Markov P-value, capped at 1) after drawing slips with these overstatements.

    ``overstatements`` holds one value per draw (0 for a slip that matches its
    CVR), already weighted by ``V / V_wl`` (:func:`overstatement`).  Arlo's
    own test (``test_supersimple.py``, contest A: N = 100,000, m = 0.2, 27
    draws) expects 0.06507 clean and 0.12534 +- 0.001 with one 1-vote
    overstatement:

    >>> kaplan_markov_risk(Decimal("0.2"), [0] * 27).quantize(Decimal("0.00001"))
    Decimal('0.06507')
    >>> kaplan_markov_risk(Decimal("0.2"), [1] + [0] * 26).quantize(Decimal("0.00001"))
    Decimal('0.12543')
    """
    if margin <= 0:
        return Decimal(1)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        one = Decimal(1)
        shrink = one - margin / (2 * gamma)  # = 1 - 1/U
        risk = one
        for e in overstatements:
            denominator = one - max(Decimal(e), Decimal(0)) / (2 * gamma)  # understatements count as 0
            risk = risk * shrink / denominator
    return min(risk, one)


def risk_from_counts(margin: Decimal, drawn: int, found: Discrepancies, gamma: Decimal = GAMMA) -> Decimal:
    """:func:`kaplan_markov_risk` of ``drawn`` slips of which ``found`` were 1- or 2-vote misstatements."""
    values: list[int] = []
    for count, e in ((found.o1, 1), (found.o2, 2), (found.u1, -1), (found.u2, -2)):
        values += [e] * int(count)
    values += [0] * (drawn - len(values))
    return kaplan_markov_risk(margin, values, gamma)


# ------------------------------------------------------------------ the contest's margin
@dataclass(frozen=True)
class Outcome:
    """The reported outcome of one contest: who won, by how much, over how many slips."""

    tally: Mapping[str, int]  # votes per nomor urut (blank and spoiled ballots are not in it)
    ballots: int  # N: every slip in the audit (spoiled and blank ones, and phantoms, too)

    @property
    def winner(self) -> str:
        """The reported winner (ties: the smaller nomor urut, but a tie has margin 0 anyway)."""
        return sorted(self.tally, key=lambda c: (-self.tally[c], _order(c)))[0]

    @property
    def losers(self) -> list[str]:
        return [c for c in sorted(self.tally, key=_order) if c != self.winner]

    @property
    def margin_votes(self) -> int:
        """V: the winner's lead over the runner-up, in votes."""
        if not self.losers:
            return self.tally.get(self.winner, 0)
        return self.tally[self.winner] - max(self.tally[c] for c in self.losers)

    @property
    def diluted_margin(self) -> Decimal:
        """m = V / N."""
        if self.ballots <= 0:
            return Decimal(0)
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return Decimal(self.margin_votes) / Decimal(self.ballots)


def _order(choice: str) -> tuple[int, str]:
    return (int(choice), "") if choice.isdigit() else (10**6, choice)


def vote_of(choice: str | None) -> dict[str, int]:
    """The votes a record or slip gives: ``{"2": 1}`` for nomor urut 2; none for blank, spoiled, void or no slip."""
    if choice is None or not choice.isdigit():
        return {}
    return {choice: 1}


def overstatement(outcome: Outcome, reported: str | None, audited: str | None) -> tuple[int, Decimal]:
    """(whole-vote overstatement, weighted overstatement) of one drawn slip against its CVR.

    ``reported`` is the CVR's selection (``None`` when the slip has no CVR),
    ``audited`` what the slip shows (``None`` when no slip was found, a VOID
    print, or a spoiled ballot's disputed slip).  The whole-vote figure is the
    ``e`` of the worst loser (Arlo's ``counted_as``); the weighted one is
    ``e * V / V_wl`` (Arlo's ``weighted_error`` times ``V``), what the risk uses.

    >>> o = Outcome({"1": 60, "2": 40}, 100)
    >>> overstatement(o, "1", "1"), overstatement(o, "1", "2"), overstatement(o, "2", "1"), overstatement(o, "1", None)
    ((0, Decimal('0')), (2, Decimal('2')), (-2, Decimal('-2')), (1, Decimal('1')))
    """
    v, a = vote_of(reported), vote_of(audited)
    winner = outcome.winner
    big_v = outcome.margin_votes
    worst: tuple[int, Decimal] | None = None
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for loser in outcome.losers:
            e = (v.get(winner, 0) - a.get(winner, 0)) - (v.get(loser, 0) - a.get(loser, 0))
            lead = outcome.tally[winner] - outcome.tally[loser]
            weighted = Decimal(e) if lead <= 0 else Decimal(e) * Decimal(big_v) / Decimal(lead)
            if worst is None or weighted > worst[1]:
                worst = (e, weighted)
    return worst if worst is not None else (0, Decimal(0))


# ------------------------------------------------------------------ ballot polling (BRAVO)
def polling_sample_size(margin: Decimal, risk_limit: Decimal) -> int:
    """BRAVO's expected sample (ASN) for two candidates splitting the votes at this margin.

    Lindeman, Stark and Yates (2012), the ASN approximation, as Arlo's
    ``bravo.get_expected_sample_sizes`` computes it: with the winner's share
    ``s = p_w / (p_w + p_l)``, ``z_w = ln(2s)``, ``z_l = ln(2 - 2s)``::

        ASN = (ln(1/alpha) + z_w / 2) / (p_w z_w + p_l z_l)

    >>> polling_sample_size(Decimal("0.1"), Decimal("0.05"))
    608
    """
    _checked(margin, risk_limit)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        p_w = (1 + margin) / 2
        p_l = (1 - margin) / 2
        return polling_sample_size_for_shares(p_w, p_l, risk_limit)


def polling_sample_size_for_shares(p_w: Decimal, p_l: Decimal, risk_limit: Decimal) -> int:
    """BRAVO's ASN for the winner's and the runner-up's shares of all ballots (the rest: others, blank)."""
    if p_w <= p_l:
        return FULL_HAND_COUNT
    with localcontext() as ctx:
        ctx.prec = PRECISION
        s_w = p_w / (p_w + p_l)
        z_w = (2 * s_w).ln()
        z_l = (2 - 2 * s_w).ln()
        asn = ((1 / risk_limit).ln() + z_w / 2) / (p_w * z_w + p_l * z_l)
        return int(asn.to_integral_value(ROUND_CEILING))
