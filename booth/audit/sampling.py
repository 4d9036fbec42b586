"""Which slips to pull: a public seed from dice, and SHA-256 in counter mode.

The method is **Ronald L. Rivest's ``sampler.py``** (the reference sampler
written for Stark's working group on election audits, version of November
14, 2011): the ``i``-th draw, for ``i = 1, 2, ...``, is::

    a + (int(SHA256(seed + "," + str(i)) as hex, 16) mod (b - a + 1))

with the seed and the counter as UTF-8 text, here with ``a = 1`` and ``b = N``
(every slip in the audit).  Draws are **with replacement** (the Kaplan-Markov
risk of :mod:`booth.audit.risk` assumes it): a slip drawn twice is pulled
once and counts twice.  The bias of the modulo is below ``N / 2^256``.  Rivest's
published transcript is a test vector: seed ``3546311556112163624615351222``,
range 1..876, gives 740, 180, 264, 789, ... (``tests/test_audit_sampling.py``).

**The seed of a round** is the 20 decimal digits of the dice rolled in front of
the witnesses (ten-sided dice, entered twice by two people and compared),
followed by a hyphen and the **contest's checkpoint hash**: SHA-256 over the
final checkpoints of every booth in the contest (:func:`checkpoint_hash`).
The dice make the sample unpredictable to anyone before the ceremony; the
checkpoint hash binds it to the very records being audited, so records
changed after the dice would draw another sample that no longer matches the
audit record.  Each round rolls fresh dice: a seed fixed in advance would let
someone who chooses the round sizes steer which slips are seen.

**Where a draw lies**: the boxes are laid end to end in the manifest's order
(box 1's slips 1..n1, then box 2's, ...), so draw ``k`` is "kotak 2, struk
ke-137 dari atas" -- box 2, the 137th slip from the top.

>>> boxes = [Box("1", 300), Box("2", 250)]
>>> seed = round_seed("12345678901234567890", "ab" * 32)
>>> [str(p) for p in draw(seed, boxes, 3)]
['kotak 2, struk ke-44 dari atas', 'kotak 1, struk ke-226 dari atas', 'kotak 2, struk ke-184 dari atas']
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DICE_DIGITS = 20


class BadSeed(ValueError):
    """Dice digits that are not 20 decimal digits, or two entries that differ (message id / en)."""


@dataclass(frozen=True)
class Box:
    """One audit box (kotak audit): its label and how many slips the audit counts in it."""

    label: str  # "1", "2", ... in the manifest's order
    slips: int


@dataclass(frozen=True)
class Pick:
    """One draw: which slip to pull, and where it came from in the sequence."""

    draw: int  # i, from 1, within the round
    box: str
    position: int  # from 1, counted from the top of the box

    def __str__(self) -> str:
        return f"kotak {self.box}, struk ke-{self.position} dari atas"

    @property
    def english(self) -> str:
        return f"box {self.box}, slip {self.position} from the top"


_SPACES = re.compile(r"[\s.-]+")


def dice_digits(first: str, second: str) -> str:
    """The 20 dice digits, entered twice (spaces and dashes allowed); refused in words unless both agree.

    >>> dice_digits("1234 5678 9012 3456 7890", "12345678901234567890")
    '12345678901234567890'
    >>> dice_digits("1234", "1234")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    booth.audit.sampling.BadSeed: angka dadu harus 20 digit (tertulis 4) / the dice must give 20 digits (4 entered)
    """
    a, b = _SPACES.sub("", first or ""), _SPACES.sub("", second or "")
    for entry in (a, b):
        if not entry.isdigit() or not entry.isascii():
            raise BadSeed("angka dadu hanya boleh berisi digit 0-9 / the dice digits may hold only 0-9")
        if len(entry) != DICE_DIGITS:
            raise BadSeed(
                f"angka dadu harus {DICE_DIGITS} digit (tertulis {len(entry)}) / "
                f"the dice must give {DICE_DIGITS} digits ({len(entry)} entered)"
            )
    if a != b:
        where = next(i for i in range(DICE_DIGITS) if a[i] != b[i]) + 1
        raise BadSeed(
            f"kedua isian angka dadu berbeda (digit ke-{where}); masukkan lagi / "
            f"the two entries of the dice differ (digit {where}); enter them again"
        )
    return a


def checkpoint_hash(checkpoints: Iterable[str]) -> str:
    """SHA-256 (hex) over the contest's final checkpoints (signed-note texts), sorted, one after another.

    Sorted so that the order the bundles were given in does not matter; each
    text ends in its own line feed (a signed note always does).
    """
    h = hashlib.sha256()
    for text in sorted(checkpoints):
        h.update(text.encode("utf-8"))
    return h.hexdigest()


def round_seed(dice: str, contest_checkpoint_hash: str) -> str:
    """The seed text of one round: the dice digits, a hyphen, the checkpoint hash."""
    if not (len(dice) == DICE_DIGITS and dice.isdigit()):
        raise BadSeed("angka dadu harus 20 digit / the dice must give 20 digits")
    if not re.fullmatch(r"[0-9a-f]{64}", contest_checkpoint_hash):
        raise ValueError("the checkpoint hash must be 64 lower-case hex digits")
    return f"{dice}-{contest_checkpoint_hash}"


def rivest_draws(seed: str, a: int, b: int, count: int, start: int = 1) -> list[int]:
    """Rivest's ``sampler.py`` with replacement: draws ``start .. start+count-1`` from ``a..b``.

    >>> rivest_draws("3546311556112163624615351222", 1, 876, 4)
    [740, 180, 264, 789]
    """
    if b < a:
        raise ValueError("empty range")
    size = b - a + 1
    out = []
    for i in range(start, start + count):
        digest = hashlib.sha256(f"{seed},{i}".encode()).hexdigest()
        out.append(a + int(digest, 16) % size)
    return out


def locate(index: int, boxes: Sequence[Box]) -> tuple[str, int]:
    """Global slip number (from 1) -> (box label, position from the top)."""
    left = index
    for box in boxes:
        if left <= box.slips:
            return box.label, left
        left -= box.slips
    raise ValueError(f"slip {index} is past the last box")


def draw(seed: str, boxes: Sequence[Box], count: int) -> list[Pick]:
    """The round's ``count`` draws, in draw order (a slip may come twice: with replacement).

    Same as :func:`locate` for each draw, by bisection over the boxes' running totals (a
    kabupaten has a thousand boxes).
    """
    ends = list(itertools.accumulate(b.slips for b in boxes))
    if not ends or ends[-1] <= 0:
        raise ValueError("no slips to draw from")
    picks = []
    for i, index in enumerate(rivest_draws(seed, 1, ends[-1], count), start=1):
        at = bisect.bisect_left(ends, index)
        before = ends[at - 1] if at else 0
        picks.append(Pick(i, boxes[at].label, index - before))
    return picks


def pull_list(picks: Iterable[Pick], boxes: Sequence[Box]) -> list[tuple[str, int, int]]:
    """(box, position, times drawn) in the order people pull them: box by box, top to bottom."""
    order = {b.label: i for i, b in enumerate(boxes)}
    times: dict[tuple[str, int], int] = {}
    for p in picks:
        times[(p.box, p.position)] = times.get((p.box, p.position), 0) + 1
    return [(box, pos, n) for (box, pos), n in sorted(times.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]
