"""A statement cut into numbered QR parts comes back whole, whatever order the witness scans them in.

And when something is wrong (a part not scanned yet, a part of another report's QR, a damaged
header, two different codes claiming the same number) the witness is told which case it is.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth import qr_parts
from booth.qr_parts import MIN_MAX_BYTES, QRPartsError, join, split

texts = st.text(max_size=3000)  # every code point but surrogates: names in any script, emoji
budgets = st.integers(min_value=MIN_MAX_BYTES, max_value=1500)


@settings(max_examples=300, deadline=None)
@given(text=texts, max_bytes=budgets, data=st.data())
def test_any_text_split_at_any_size_joins_back_in_any_order(text, max_bytes, data):
    parts = split(text, max_bytes)
    assert all(len(p.encode("utf-8")) <= max_bytes for p in parts)
    order = data.draw(st.permutations(parts))
    repeats = data.draw(st.lists(st.sampled_from(parts), max_size=3))  # the same code seen again
    assert join(list(order) + repeats) == text


@settings(max_examples=200, deadline=None)
@given(text=texts, max_bytes=budgets)
def test_parts_carry_their_number_count_and_the_texts_hash_and_are_as_even_as_the_text_allows(text, max_bytes):
    parts = split(text, max_bytes)
    if len(parts) == 1 and not parts[0].startswith("B1 "):
        assert parts[0] == text and len(text.encode()) <= max_bytes
        return
    h = hashlib.sha256(text.encode()).hexdigest()[:8]
    n = len(parts)
    chunks = []
    for i, part in enumerate(parts, start=1):
        header, _, chunk = part.partition("\n")
        assert header == f"B1 {i}/{n} {h}"
        chunks.append(chunk)
    assert "".join(chunks) == text
    sizes = [len(c.encode()) for c in chunks]
    assert max(sizes) - min(sizes) <= 3 + 4 or n == 1  # one even share, give or take a character


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=80, max_size=2000), max_bytes=st.integers(MIN_MAX_BYTES, 200), data=st.data())
def test_a_part_not_yet_scanned_is_named(text, max_bytes, data):
    parts = split(text, max_bytes)
    if len(parts) < 2:
        return
    gone = data.draw(st.integers(1, len(parts)))
    with pytest.raises(QRPartsError) as caught:
        join(parts[: gone - 1] + parts[gone:])
    assert caught.value.reason == "missing"
    assert f"QR part {gone} of {len(parts)} has not been scanned" == caught.value.en
    assert caught.value.id == f"Bagian QR {gone} dari {len(parts)} belum dipindai"


@settings(max_examples=200, deadline=None)
@given(
    a=st.text(min_size=60, max_size=600),
    b=st.text(min_size=60, max_size=600),
    max_bytes=st.integers(MIN_MAX_BYTES, 120),
)
def test_parts_of_two_different_texts_never_join(a, b, max_bytes):
    if a == b:
        return
    pa, pb = split(a, max_bytes), split(b, max_bytes)
    if len(pa) > 1 and len(pb) > 1:  # the first part of one with the rest of the other
        with pytest.raises(QRPartsError) as caught:
            join(pa[:1] + pb[1:])
        assert caught.value.reason in ("mixed", "conflict", "hash", "missing")
    with pytest.raises(QRPartsError) as caught:
        join(pa + pb)
    assert caught.value.reason in ("mixed", "conflict")


def test_results_report_qr_part_from_another_tps_is_refused_as_another_text():
    ours = split("booth results v1\ntps 1 Sukamaju\n" + "candidate 1 120\n" * 20, 120)
    theirs = split("booth results v1\ntps 2 Sukamaju\n" + "candidate 1 121\n" * 20, 120)
    with pytest.raises(QRPartsError) as caught:
        join([ours[0], theirs[1], *ours[2:]])
    assert caught.value.reason == "mixed"
    assert caught.value.en == "These QR codes come from two different texts"


def test_two_different_codes_both_claiming_to_be_part_one_are_a_conflict():
    parts = split("x" * 300, 64)
    forged = parts[0][:-1] + "y"
    with pytest.raises(QRPartsError) as caught:
        join([forged, *parts])
    assert caught.value.reason == "conflict"


def test_parts_whose_chunks_were_altered_fail_the_hash():
    parts = split("candidate 1 120\n" * 10, 64)
    altered = [p.replace("120", "121") for p in parts]
    with pytest.raises(QRPartsError) as caught:
        join(altered)
    assert caught.value.reason == "hash"


@pytest.mark.parametrize(
    "payload",
    [
        "B1 ",
        "B1 1/2\nabc",
        "B1 0/2 0123abcd\nx",
        "B1 3/2 0123abcd\nx",
        "B1 1/2 0123ABCD\nx",
        "B1 01/2 0123abcd\nx",
        "B1 1/2 0123abcd x",
    ],
)
def test_a_damaged_part_header_is_named(payload):
    with pytest.raises(QRPartsError) as caught:
        join([payload])
    assert caught.value.reason == "bad-header"


def test_todays_prints_without_a_header_are_whole_texts():
    checkpoint = "booth/0123456789abcdef\n5\nroot=\n\n— booth/0123456789abcdef c2ln\n"
    assert split(checkpoint, 500) == [checkpoint]
    assert join([checkpoint, checkpoint]) == checkpoint
    with pytest.raises(QRPartsError) as caught:
        join([checkpoint, "another whole text"])
    assert caught.value.reason == "mixed"


def test_a_text_that_itself_starts_with_the_header_is_wrapped_so_it_reads_back_unchanged():
    tricky = "B1 1/1 00000000\nnot a part"
    assert join(split(tricky, 500)) == tricky


def test_nothing_scanned_and_a_too_small_budget_are_refused_with_words():
    with pytest.raises(QRPartsError) as caught:
        join([])
    assert caught.value.reason == "empty"
    with pytest.raises(ValueError, match=str(MIN_MAX_BYTES)):
        split("abc" * 100, MIN_MAX_BYTES - 1)
    with pytest.raises(ValueError, match="UTF-8"):
        split("lone \ud800 surrogate", 100)


def test_a_thousand_parts_get_a_longer_header_and_still_fit():
    text = "é" * 20000
    parts = split(text, MIN_MAX_BYTES)
    assert len(parts) > 1000 and all(len(p.encode()) <= MIN_MAX_BYTES for p in parts)
    assert join(reversed(parts)) == text
    assert qr_parts.text_hash(text) in parts[0]
