"""The vectors printed in docs/ledger-format.md are what booth writes and verifies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from booth.ledger import formats, merkle
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from doc_vectors import doc_vectors

DOC = Path(__file__).parent.parent / "docs" / "ledger-format.md"
RFC8032_TEST1 = Ed25519PrivateKey.from_private_bytes(
    bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
)


def vectors() -> dict[str, dict[str, str]]:
    return {
        name: dict(line.split(": ", 1) for line in body.strip().split("\n"))
        for name, body in doc_vectors().items()
        if name in ("event-0", "event-1", "ballot", "spoil-mark")
    }


def test_the_document_has_the_event_and_ballot_vectors():
    assert {"event-0", "event-1", "ballot", "spoil-mark"} <= set(vectors())


def test_event_vectors():
    v = vectors()
    prev = formats.GENESIS_PREV
    leaves = []
    for name in ("event-0", "event-1"):
        entry = v[name]["entry"].encode()
        obj = parse_canonical(entry)  # the printed entry is canonical
        assert formats.check_entry_shape(obj) is None
        assert obj["prev"] == prev
        assert formats.entry_bytes(**obj) == entry
        leaf = hashlib.sha256(b"\x00" + entry).digest()  # straight from the spec
        assert leaf.hex() == v[name]["leaf-hash"] == merkle.leaf_hash(entry).hex()
        sig = bytes.fromhex(v[name]["signature"])
        assert RFC8032_TEST1.sign(b"booth event v1\n" + entry) == sig
        assert formats.event_message(entry) == b"booth event v1\n" + entry
        prev = leaf.hex()
        leaves.append(leaf)
    assert merkle.root(leaves).hex() == v["event-1"]["root-of-both"]


def test_ballot_vector():
    v = vectors()["ballot"]
    record = v["record"].encode()
    obj = parse_canonical(record)
    assert formats.check_ballot_shape(obj) is None
    assert (
        formats.ballot_record(election=obj["election"], ballot_id=bytes.fromhex(obj["id"]), selection=obj["selection"])
        == record
    )
    assert hashlib.sha256(b"\x00" + record).hexdigest() == v["leaf-hash"]
    assert RFC8032_TEST1.sign(b"booth ballot v1\n" + record).hex() == v["signature"]
    slot = formats.pad_slot(record)
    assert len(slot) == formats.BALLOT_SLOT_BYTES and formats.unpad_slot(slot) == record


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_canonical_json_round_trips_exactly(value):
    data = canonical(value)
    assert parse_canonical(data) == value
    assert canonical(parse_canonical(data)) == data


@given(st.binary(max_size=64))
def test_non_canonical_bytes_are_refused_with_one_exception_type(data):
    try:
        value = parse_canonical(data)
    except NotCanonical:
        return
    assert canonical(value) == data


def test_spoil_mark_vector():
    """A spoiled ballot's mark and the spoiled root, as the document prints them."""
    v = vectors()["spoil-mark"]
    record = v["record"].encode()
    obj = parse_canonical(record)
    assert formats.check_ballot_shape(obj) is None and obj["selection"] == formats.SPOILED
    assert formats.spoiled_record(election=obj["election"], ballot_id=bytes.fromhex(obj["id"])) == record
    assert RFC8032_TEST1.sign(formats.ballot_message(record)).hex() == v["signature"]
    assert formats.spoil_message(record) == b"booth spoiled v1\n" + record
    assert RFC8032_TEST1.sign(formats.spoil_message(record)).hex() == v["spoil-mark"]
    # the mark is not the ballot's own signature: a cast signature cannot pass for a spoil
    assert RFC8032_TEST1.sign(formats.ballot_message(record)).hex() != v["spoil-mark"]
    frontier = merkle.Frontier()
    frontier.append(merkle.leaf_hash(record))
    assert frontier.root().hex() == v["spoiled-root"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("selection", "1\n"),  # "$" would have let a trailing newline through
        ("selection", "blank\n"),
        ("selection", "١"),  # an Arabic-Indic one
        ("id", "ab" * 16 + "\n"),
        ("election", "cd" * 32 + "\n"),
    ],
)
def test_a_ballot_record_with_a_newline_or_foreign_digits_in_a_field_is_malformed(field, value):
    good = {"election": "cd" * 32, "id": "ab" * 16, "selection": "1"}
    assert formats.check_ballot_shape(good) is None
    assert formats.check_ballot_shape({**good, field: value}) is not None


@pytest.mark.parametrize(
    "field, value",
    [("time", "2025-11-14T07:00:00.000000Z\n"), ("time", "٢٠٢٥-11-14T07:00:00.000000Z"), ("prev", "00" * 32 + "\n")],
)
def test_an_event_with_a_newline_or_foreign_digits_in_its_time_or_prev_is_malformed(field, value):
    good = {
        "actor": "system",
        "boot": "b1",
        "mono_ns": 0,
        "payload": {},
        "prev": "00" * 32,
        "seq": 0,
        "time": "2025-11-14T07:00:00.000000Z",
        "type": "ledger.created",
    }
    assert formats.check_entry_shape(good) is None
    assert formats.check_entry_shape({**good, field: value}) is not None


GOOD_ENTRY = {
    "actor": "system",
    "boot": "b1",
    "mono_ns": 0,
    "payload": {},
    "prev": "00" * 32,
    "seq": 0,
    "time": "2025-11-14T07:00:00.000000Z",
    "type": "ledger.created",
}
# what a damaged or forged entry's fields may hold instead: every JSON kind, and the near misses
ODD_FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from(["", "K01", "00" * 32, "AB" * 32, "0" * 63, "2025-11-14T07:00:00Z", "2025-11-14T07:00:00.000000Z"]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(
    st.dictionaries(st.sampled_from(sorted(GOOD_ENTRY)), ODD_FIELD_VALUES, max_size=8),
    st.sets(st.sampled_from([*sorted(GOOD_ENTRY), "extra"]), max_size=2),
)
def test_the_quick_entry_shape_check_accepts_exactly_what_the_named_checks_accept(changes, dropped):
    # A verifier night: every event goes through the one-expression check first; a damaged entry
    # must be refused by it and named by the checks one by one, never let through.
    entry = {k: v for k, v in {**GOOD_ENTRY, **changes}.items() if k not in dropped}
    if "extra" in dropped:
        entry["extra"] = 1
    assert formats.check_entry_shape(entry) == formats.entry_shape_problem(entry)
    # told the leaf hash the entry should name (as the verifier is), it answers the same
    for expected in ("00" * 32, "ab" * 32):
        assert formats.check_entry_shape(entry, expected) == formats.entry_shape_problem(entry)


def test_a_boolean_sequence_number_or_a_list_for_an_entry_is_named():
    assert formats.check_entry_shape({**GOOD_ENTRY, "seq": True}) == "seq is not a non-negative integer"
    assert formats.check_entry_shape({**GOOD_ENTRY, "mono_ns": False}) == "mono_ns is not a non-negative integer"
    assert formats.check_entry_shape([GOOD_ENTRY]) is not None
    assert formats.check_entry_shape(GOOD_ENTRY) is None


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":"\\u00e9"}',  # the same text with an escape booth never writes
        b'{"a":"\xc3\xa9"} ',
        b'{"a":"\xe9"}',  # Latin-1, not UTF-8
        b'{"a":"\xed\xa0\x80"}',  # an encoded lone surrogate
        b'{"a":1,"a":1}',
        b'{"a":9007199254740992}',
    ],
)
def test_an_entry_that_decodes_to_canonical_text_only_by_another_encoding_is_refused(data):
    assert parse_canonical(b'{"a":"\xc3\xa9"}') == {"a": "é"}
    with pytest.raises(NotCanonical):
        parse_canonical(data)
