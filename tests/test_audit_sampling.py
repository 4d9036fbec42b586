"""The seed ceremony and the sampler: anyone with the dice and the records draws the same slips.

Rivest's published ``sampler.py`` transcript is the test vector; the
uniformity check is a chi-square test that a biased sampler fails (the
control below shows it can).
"""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booth.audit import sampling
from booth.audit.sampling import BadSeed, Box

# Rivest, sampler.py (November 14, 2011), its transcript: seed, range 1..876, the first 31 picks, then 611
# again at the 32nd (his run, without replacement, rejected it as a duplicate; with replacement it stays).
RIVEST_SEED = "3546311556112163624615351222"
RIVEST_FIRST = [740, 180, 264, 789, 238, 448, 272, 611, 761, 208, 596, 88, 160, 113, 766, 427]
RIVEST_NEXT = [184, 816, 653, 411, 779, 331, 339, 487, 594, 235, 65, 527, 821, 490, 461, 611, 251]
CHECKPOINT = hashlib.sha256(b"booth/0123456789abcdef\n42\nroot\n").hexdigest()


def test_the_sampler_draws_what_rivests_published_transcript_shows():
    assert sampling.rivest_draws(RIVEST_SEED, 1, 876, 33) == RIVEST_FIRST + RIVEST_NEXT


def test_a_pick_is_said_as_the_box_and_the_slips_place_from_the_top():
    boxes = [Box("1", 300), Box("2", 250)]
    assert sampling.locate(1, boxes) == ("1", 1)
    assert sampling.locate(300, boxes) == ("1", 300)
    assert sampling.locate(301, boxes) == ("2", 1)
    assert sampling.locate(437, boxes) == ("2", 137)
    assert str(sampling.Pick(1, "2", 137)) == "kotak 2, struk ke-137 dari atas"
    assert sampling.Pick(1, "2", 137).english == "box 2, slip 137 from the top"
    with pytest.raises(ValueError):
        sampling.locate(551, boxes)


def test_the_dice_are_entered_twice_and_must_agree():
    assert sampling.dice_digits("12345 67890 12345 67890", "1234-5678-9012-3456-7890") == "12345678901234567890"
    with pytest.raises(BadSeed, match="berbeda \\(digit ke-20\\).*differ \\(digit 20\\)"):
        sampling.dice_digits("12345678901234567890", "12345678901234567899")
    with pytest.raises(BadSeed, match="harus 20 digit"):
        sampling.dice_digits("123456789012345678901", "123456789012345678901")
    with pytest.raises(BadSeed, match="hanya boleh berisi digit"):
        sampling.dice_digits("1234567890123456789x", "1234567890123456789x")
    with pytest.raises(BadSeed):
        sampling.dice_digits("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠")  # Arabic-Indic digits: not dice


def test_the_checkpoint_hash_ignores_the_order_the_booths_came_in_but_not_their_content():
    a, b = "booth/aa\n1\nx\n\n— sig\n", "booth/bb\n2\ny\n\n— sig\n"
    assert sampling.checkpoint_hash([a, b]) == sampling.checkpoint_hash([b, a])
    assert sampling.checkpoint_hash([a, b]) != sampling.checkpoint_hash([a, b.replace("2", "3")])


dice = st.text(alphabet="0123456789", min_size=20, max_size=20)
box_lists = st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=6).map(
    lambda sizes: [Box(str(i + 1), n) for i, n in enumerate(sizes)]
)


@given(dice, box_lists, st.integers(min_value=1, max_value=60))
def test_the_same_dice_and_records_draw_the_same_slips_every_time(digits, boxes, n):
    seed = sampling.round_seed(digits, CHECKPOINT)
    first = sampling.draw(seed, boxes, n)
    assert first == sampling.draw(seed, boxes, n)
    assert sampling.draw(seed, boxes, n + 5)[:n] == first  # a longer round begins with the same slips
    for pick in first:
        box = next(b for b in boxes if b.label == pick.box)
        assert 1 <= pick.position <= box.slips


@given(dice, dice, box_lists)
def test_other_dice_or_other_records_draw_other_slips(d1, d2, boxes):
    total = sum(b.slips for b in boxes)
    if total < 50:
        return
    other_checkpoint = hashlib.sha256(CHECKPOINT.encode()).hexdigest()
    base = sampling.draw(sampling.round_seed(d1, CHECKPOINT), boxes, 20)
    assert base != sampling.draw(sampling.round_seed(d1, other_checkpoint), boxes, 20)
    if d1 != d2:
        assert base != sampling.draw(sampling.round_seed(d2, CHECKPOINT), boxes, 20)


def chi_square(counts: Counter[int], cells: int, draws: int) -> float:
    expected = draws / cells
    return sum((counts.get(c, 0) - expected) ** 2 / expected for c in range(1, cells + 1))


# chi-square critical value, 29 degrees of freedom, p = 0.001
CRITICAL_29 = 58.30


# Fixed rolls, not Hypothesis's: a chi-square bound is exceeded by chance now and then (0.1 % a
# roll at this bound), so random rolls made the test fail one CI run in a few dozen.  These rolls
# are arbitrary (typed once), and the test is the same on every run.
FIXED_ROLLS = [
    "31415926535897932384",
    "27182818284590452353",
    "16180339887498948482",
    "14142135623730950488",
    "00000000000000000000",
    "99999999999999999999",
    "12345678901234567890",
    "60221407600000000000",
    "66260701500000000000",
    "29979245800000000000",
]


@pytest.mark.parametrize("digits", FIXED_ROLLS)
def test_every_slip_is_equally_likely(digits):
    draws = 6_000
    counts = Counter(sampling.rivest_draws(sampling.round_seed(digits, CHECKPOINT), 1, 30, draws))
    assert chi_square(counts, 30, draws) < CRITICAL_29


def test_control_the_uniformity_check_catches_a_sampler_that_favours_some_slips():
    # the same counter mode, but reduced mod 32 and folded onto 30 slips: slips 1 and 2 come twice as often
    draws = 6_000
    biased = Counter(
        1 + (int(hashlib.sha256(f"seed,{i}".encode()).hexdigest(), 16) % 32) % 30 for i in range(1, draws + 1)
    )
    assert chi_square(biased, 30, draws) > CRITICAL_29


def test_the_pull_list_goes_box_by_box_top_to_bottom_and_counts_a_slip_drawn_twice():
    boxes = [Box("1", 3), Box("2", 3)]
    picks = [sampling.Pick(1, "2", 3), sampling.Pick(2, "1", 2), sampling.Pick(3, "2", 3), sampling.Pick(4, "2", 1)]
    assert sampling.pull_list(picks, boxes) == [("1", 2, 1), ("2", 1, 1), ("2", 3, 2)]


@given(dice, box_lists.filter(lambda boxes: all(b.slips for b in boxes)), st.integers(min_value=1, max_value=40))
def test_each_draw_lies_where_counting_the_boxes_end_to_end_puts_it(digits, boxes, n):
    seed = sampling.round_seed(digits, CHECKPOINT)
    total = sum(b.slips for b in boxes)
    expected = [sampling.locate(i, boxes) for i in sampling.rivest_draws(seed, 1, total, n)]
    assert [(p.box, p.position) for p in sampling.draw(seed, boxes, n)] == expected
