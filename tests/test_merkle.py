"""The ledger's Merkle tree gives the published RFC 6962 answers and catches every tampering.

Published vectors: the 8-leaf RFC 6962 test set shared by
certificate-transparency, Trillian and transparency-dev/merkle, copied from
https://github.com/transparency-dev/merkle/blob/main/proof/verify_test.go
(``leaves``, ``roots``, ``inclusionProofs``, ``consistencyProofs``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth.ledger import merkle
from booth.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# transparency-dev/merkle proof/verify_test.go: `leaves`
PUBLISHED_LEAVES = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
LEAF_HASHES = [leaf_hash(d) for d in PUBLISHED_LEAVES]

# `roots`: the tree hash of the first 1, 2, ..., 8 leaves.
PUBLISHED_ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# `inclusionProofs`: (leaf number counted from 1, tree size, proof).
PUBLISHED_INCLUSION = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (3, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        2,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# `consistencyProofs`: (old size, new size, proof).
PUBLISHED_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def flip(value: bytes, bit: int) -> bytes:
    b = bytearray(value)
    b[bit // 8 % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


# --- the published vectors ---------------------------------------------------


def test_the_empty_tree_has_the_sha256_of_nothing_as_root():
    assert h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == EMPTY_ROOT
    assert root([]) == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_every_published_root_is_reproduced(size):
    assert root(LEAF_HASHES[:size]) == PUBLISHED_ROOTS[size - 1]


@pytest.mark.parametrize("number, size, proof", PUBLISHED_INCLUSION)
def test_the_published_inclusion_proofs_are_produced_and_verify(number, size, proof):
    index = number - 1
    assert inclusion_proof(LEAF_HASHES[:size], index) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, PUBLISHED_ROOTS[size - 1])


@pytest.mark.parametrize("old, new, proof", PUBLISHED_CONSISTENCY)
def test_the_published_consistency_proofs_are_produced_and_verify(old, new, proof):
    assert consistency_proof(LEAF_HASHES[:new], old) == proof
    assert verify_consistency(old, new, PUBLISHED_ROOTS[old - 1], PUBLISHED_ROOTS[new - 1], proof)


def inclusion_corruptions(index, size, proof, root_hash, leaf):
    """The probes of transparency-dev/merkle's corruptInclusionProof, each of which must fail."""
    probes = [
        (index - 1, size, root_hash, leaf, proof),
        (index + 1, size, root_hash, leaf, proof),
        (index ^ 2, size, root_hash, leaf, proof),
        (index, size * 2, root_hash, leaf, proof),
        (index, size // 2, root_hash, leaf, proof),
        (index, size, root_hash, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root_hash, leaf, proof + [b""]),
        (index, size, root_hash, leaf, proof + [root_hash]),
        (index, size, root_hash, leaf, [b""] + proof),
        (index, size, root_hash, leaf, [root_hash] + proof),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip(wrong[i], 3)
        probes.append((index, size, root_hash, leaf, wrong))
    if proof:
        probes.append((index, size, root_hash, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root_hash, leaf, [proof[0], SOME_HASH] + proof[1:]))
    return probes


@pytest.mark.parametrize("number, size, proof", [p for p in PUBLISHED_INCLUSION if p[2]])
def test_a_tampered_published_inclusion_proof_is_refused(number, size, proof):
    index = number - 1
    for probe_index, probe_size, probe_root, probe_leaf, probe_proof in inclusion_corruptions(
        index, size, proof, PUBLISHED_ROOTS[size - 1], LEAF_HASHES[index]
    ):
        assert not verify_inclusion(probe_leaf, probe_index, probe_size, probe_proof, probe_root), (
            probe_index,
            probe_size,
        )


@pytest.mark.parametrize("old, new, proof", [p for p in PUBLISHED_CONSISTENCY if p[2]])
def test_a_tampered_published_consistency_proof_is_refused(old, new, proof):
    r1, r2 = PUBLISHED_ROOTS[old - 1], PUBLISHED_ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, proof + [b""]),
        (old, new, r1, r2, proof + [r1]),
        (old, new, r1, r2, proof + [r2]),
        (old, new, r1, r2, [b""] + proof),
        (old, new, r1, r2, [r1] + proof),
        (old, new, r1, r2, [r2] + proof),
        (old, new, r1, r2, [proof[0]] + proof),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip(wrong[i], 4)
        probes.append((old, new, r1, r2, wrong))
    for probe in probes:
        assert not verify_consistency(*probe), probe[:2]


def test_a_one_leaf_tree_is_its_own_root_and_needs_no_proof():
    leaf = leaf_hash(b"data")
    assert root([leaf]) == leaf
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], leaf)


@pytest.mark.parametrize("index, size", [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_an_impossible_index_or_size_never_verifies(index, size):
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_consistency_from_nothing_and_to_the_same_size():
    r8 = PUBLISHED_ROOTS[7]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 8, EMPTY_ROOT, r8, [])
    assert verify_consistency(8, 8, r8, r8, [])
    # The empty tree has exactly one root; anything else claimed for it is false.
    assert not verify_consistency(0, 8, SOME_HASH, r8, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, SOME_HASH, [])
    # Same size, different roots: a rewritten log.
    assert not verify_consistency(8, 8, r8, SOME_HASH, [])
    # A proof where none is needed is not accepted either.
    assert not verify_consistency(8, 8, r8, r8, [EMPTY_ROOT])
    assert not verify_consistency(0, 8, EMPTY_ROOT, r8, [EMPTY_ROOT])
    # A log never shrinks.
    assert not verify_consistency(8, 7, r8, PUBLISHED_ROOTS[6], [])
    assert not verify_consistency(1, 2, PUBLISHED_ROOTS[0], PUBLISHED_ROOTS[1], [])


def test_asking_for_a_proof_outside_the_tree_is_a_caller_bug():
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 8)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, -1)
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 9)
    with pytest.raises(ValueError):
        root([b"short"])
    with pytest.raises(ValueError):
        Frontier().append(b"short")


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.binary(max_size=40),
    st.text(max_size=5),
    st.lists(st.binary(min_size=30, max_size=33), max_size=4),
    st.lists(st.integers(), max_size=3),
    st.floats(allow_nan=True),
)


@given(junk, junk, junk, junk, junk)
def test_verifiers_say_false_to_any_junk_and_never_raise(a, b, c, d, e):
    assert verify_inclusion(a, b, c, d, e) is False
    assert verify_consistency(a, b, c, d, e) is False


# --- random trees ----------------------------------------------------------


@st.composite
def trees(draw, max_size=40):
    """Distinct leaf hashes (a random salt keeps them apart from other examples)."""
    size = draw(st.integers(min_value=1, max_value=max_size))
    salt = draw(st.binary(min_size=4, max_size=4))
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(size)]


@settings(max_examples=60, deadline=None)
@given(trees(), st.data())
def test_every_inclusion_proof_verifies_and_any_change_breaks_it(leaves, data):
    size = len(leaves)
    r = root(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, size, proof, r)

    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_inclusion(flip(leaves[index], bit), index, size, proof, r)
    assert not verify_inclusion(leaves[index], index, size, proof, flip(r, bit))
    for i in range(len(proof)):
        assert not verify_inclusion(leaves[index], index, size, proof[:i] + [flip(proof[i], bit)] + proof[i + 1 :], r)
    assert not verify_inclusion(leaves[index], index, size, proof + [r], r)
    if proof:
        assert not verify_inclusion(leaves[index], index, size, proof[:-1], r)

    other_index = data.draw(st.integers(0, size + 2).filter(lambda j: j != index), label="other index")
    assert not verify_inclusion(leaves[index], other_index, size, proof, r)
    # A different size with that size's true root: the proof is for another tree.
    other_size = data.draw(st.integers(index + 1, size + 5).filter(lambda n: n != size), label="other size")
    bigger = leaves + [leaf_hash(b"more" + i.to_bytes(4, "big")) for i in range(5)]
    assert not verify_inclusion(leaves[index], index, other_size, proof, root(bigger[:other_size]))


@settings(max_examples=60, deadline=None)
@given(trees(), st.data())
def test_every_consistency_proof_verifies_and_any_change_breaks_it(leaves, data):
    new = len(leaves)
    old = data.draw(st.integers(1, new), label="old size")
    old_root, new_root = root(leaves[:old]), root(leaves)
    proof = consistency_proof(leaves, old)
    assert verify_consistency(old, new, old_root, new_root, proof)
    if old == new:
        assert proof == []
        return

    bit = data.draw(st.integers(0, 255), label="bit")
    for i in range(len(proof)):
        assert not verify_consistency(old, new, old_root, new_root, proof[:i] + [flip(proof[i], bit)] + proof[i + 1 :])
    assert not verify_consistency(old, new, flip(old_root, bit), new_root, proof)
    assert not verify_consistency(old, new, old_root, flip(new_root, bit), proof)
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, new, old_root, new_root, proof + [new_root])
    # Claiming a different old size (with that size's true root) fails.
    other_old = data.draw(st.integers(1, new).filter(lambda m: m != old), label="other old size")
    assert not verify_consistency(other_old, new, root(leaves[:other_old]), new_root, proof)
    # So does a log that rewrote history: same sizes, one old leaf changed.
    changed = data.draw(st.integers(0, old - 1), label="changed leaf")
    forged = list(leaves)
    forged[changed] = flip(forged[changed], bit)
    assert not verify_consistency(old, new, old_root, root(forged), consistency_proof(forged, old))


@settings(max_examples=40, deadline=None)
@given(trees(max_size=70))
def test_a_frontier_has_the_tree_root_at_every_size_and_survives_bytes(leaves):
    f = Frontier()
    for n, leaf in enumerate(leaves, start=1):
        f.append(leaf)
        assert f.size == n
        assert f.root() == root(leaves[:n])
        stored = f.to_bytes()
        assert len(stored) == 8 + 32 * bin(n).count("1")
        again = Frontier.from_bytes(stored)
        assert again == f and again.root() == f.root() and again.to_bytes() == stored


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=40))
def test_a_frontier_fed_entries_hashes_them_as_leaf_hash_and_node_hash_do(entries):
    """The verifier's append_leaf (hashers copied, not started) gives the leaves and roots of the spec's functions."""
    by_entry, by_leaf = Frontier(), Frontier()
    for n, entry in enumerate(entries, start=1):
        assert by_entry.append_leaf(entry) == leaf_hash(entry)
        by_leaf.append(leaf_hash(entry))
        assert by_entry == by_leaf
        assert by_entry.root() == root([leaf_hash(e) for e in entries[:n]])


@given(st.binary(max_size=200))
def test_frontier_bytes_either_round_trip_exactly_or_are_refused(data):
    try:
        f = Frontier.from_bytes(data)
    except ValueError:
        return
    assert f.to_bytes() == data


def test_a_frontier_copy_grows_on_its_own():
    f = Frontier()
    for leaf in LEAF_HASHES[:5]:
        f.append(leaf)
    snapshot = f.copy()
    for leaf in LEAF_HASHES[5:]:
        f.append(leaf)
    assert snapshot.size == 5 and snapshot.root() == PUBLISHED_ROOTS[4]
    assert f.size == 8 and f.root() == PUBLISHED_ROOTS[7]


def test_a_frontier_with_the_wrong_number_of_hashes_is_refused():
    good = Frontier.from_bytes(bytes(8))
    assert good.size == 0 and good.root() == EMPTY_ROOT
    three = (3).to_bytes(8, "big")
    for bad in [b"", bytes(7), bytes(8) + bytes(32), three + bytes(32), three + bytes(96)]:
        with pytest.raises(ValueError):
            Frontier.from_bytes(bad)


def test_a_verifier_streams_ten_thousand_entries_in_constant_space():
    f = Frontier()
    leaves = []
    for i in range(10_000):
        leaves.append(leaf_hash(i.to_bytes(4, "big")))
        f.append(leaves[-1])
        f.root()  # the verifier asks at every size
        assert len(f.to_bytes()) <= 8 + 32 * 14
    assert f.root() == root(leaves)


# --- the vectors written in the format document -------------------------------

from doc_vectors import doc_vectors, fields  # noqa: E402


def test_the_documented_hash_vectors_hold():
    v = fields(doc_vectors()["merkle-hashes"])
    assert h(v["empty-root"]) == EMPTY_ROOT
    assert leaf_hash(h(v["leaf-data"])) == h(v["leaf-hash"])
    assert node_hash(h(v["node-left"]), h(v["node-right"])) == h(v["node-hash"])


def test_the_documented_tree_is_the_published_one():
    v = fields(doc_vectors()["merkle-tree"])
    leaves = [b"" if x == '""' else h(x) for x in v["leaves"].split()]
    assert leaves == PUBLISHED_LEAVES
    hashes = [leaf_hash(d) for d in leaves]
    for n in range(1, 9):
        assert root(hashes[:n]) == h(v[f"root-{n}"]) == PUBLISHED_ROOTS[n - 1]
    assert inclusion_proof(hashes, 5) == [h(x) for x in v["inclusion-5-of-8"].split()]
    assert consistency_proof(hashes, 6) == [h(x) for x in v["consistency-6-to-8"].split()]


def test_the_documented_frontier_layout_holds():
    v = fields(doc_vectors()["frontier-7"])
    f = Frontier()
    for leaf in LEAF_HASHES[:7]:
        f.append(leaf)
    assert f.to_bytes() == h(v["size-field"] + v["hash-0"] + v["hash-1"] + v["hash-2"])
    assert f.root() == h(v["root"]) == PUBLISHED_ROOTS[6]
    assert Frontier.from_bytes(f.to_bytes()).root() == h(v["root"])


def test_the_module_examples_run():
    import doctest

    assert doctest.testmod(merkle).failed == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=70))
def test_appending_entries_as_leaves_gives_the_same_tree_as_hashing_them_first(entries):
    # the verifier appends every event and ballot with append_leaf: the tree must be the one the
    # device's checkpoints sign, at every size
    one, other = Frontier(), Frontier()
    for data in entries:
        assert one.append_leaf(data) == leaf_hash(data)
        other.append(leaf_hash(data))
        assert one.root() == other.root() and one.to_bytes() == other.to_bytes()
    assert one.root() == root([leaf_hash(d) for d in entries])
