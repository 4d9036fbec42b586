"""The ledger's Merkle tree: RFC 6962 / RFC 9162 section 2.1 over SHA-256.

Every hash the tree uses is one of these three, and nothing else
(written down in docs/ledger-format-merkle-checkpoints.md, with vectors):

* leaf hash   ``SHA-256(0x00 || data)``              (:func:`leaf_hash`)
* node hash   ``SHA-256(0x01 || left || right)``     (:func:`node_hash`)
* empty tree  ``SHA-256("")``                        (:data:`EMPTY_ROOT`)

The two prefix bytes keep a leaf from ever being mistaken for an interior
node (second-preimage resistance), so a proof cannot pass off a subtree as
an entry.  The tree over ``n`` leaves is the RFC's Merkle Tree Hash: split
at ``k``, the largest power of two smaller than ``n``, and hash the two
sides; a lone last node is carried up unchanged, never duplicated.

The functions here take *already hashed* leaves (32-byte values from
:func:`leaf_hash`), the way the event log stores them.  Proof generators
raise :class:`ValueError` on bad arguments (a bug in the caller); proof
verifiers return ``False`` on any malformed input and never raise, because
their input comes from a USB stick or a stranger.

>>> leaves = [leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")]
>>> proof = inclusion_proof(leaves, 2)
>>> verify_inclusion(leaves[2], 2, 3, proof, root(leaves))
True
>>> f = Frontier()
>>> for h in leaves: f.append(h)
>>> f.root() == root(leaves)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32

#: The root of the tree with no leaves: SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# SHA-256 already fed its prefix byte: the frontier copies these rather than start a hash and
# concatenate (leaf_hash and node_hash's bytes exactly, about 15% less per hash; the verifier
# makes six or so per event)
_LEAF_HASHER = hashlib.sha256(_LEAF_PREFIX)
_NODE_HASHER = hashlib.sha256(_NODE_PREFIX)


def leaf_hash(data: bytes) -> bytes:
    """Hash one entry into a leaf: ``SHA-256(0x00 || data)``.

    >>> leaf_hash(b"").hex()[:16]
    '6e340b9cffb37a98'
    """
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes into their parent: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _is_hash(value: object) -> bool:
    return isinstance(value, (bytes, bytearray)) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    # bool is an int in Python; a True "size" is a bug, not a tree of one.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_leaves(leaf_hashes: Sequence[bytes]) -> list[bytes]:
    leaves = list(leaf_hashes)
    for i, h in enumerate(leaves):
        if not _is_hash(h):
            raise ValueError(f"leaf hash {i} is not {HASH_SIZE} bytes")
    return [bytes(h) for h in leaves]


def _next_level(level: list[bytes]) -> list[bytes]:
    """Pair up a level left to right; an odd last node goes up unchanged.

    Doing this until one node is left gives exactly RFC 6962's Merkle Tree
    Hash (its split at the largest power of two puts every lone node at the
    right edge), in O(n) hashing.
    """
    up = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        up.append(level[-1])
    return up


def _mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    level = leaves
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a list of leaf hashes (``EMPTY_ROOT`` for none).

    O(n) time.  Raises ValueError if a leaf hash is not 32 bytes.
    """
    return _mth(_check_leaves(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path (RFC 9162 2.1.3.1) for leaf ``index`` in the tree of ``leaf_hashes``.

    The path lists sibling hashes from the leaf upward; levels where the node
    has no sibling (it is carried up alone) contribute nothing.
    Raises ValueError if ``index`` is not in ``range(len(leaf_hashes))``.
    """
    level = _check_leaves(leaf_hashes)
    if not _is_size(index) or index >= len(level):
        raise ValueError(f"leaf index {index!r} is outside a tree of {len(level)} leaves")
    proof: list[bytes] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
        level = _next_level(level)
    return proof


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The consistency proof (RFC 9162 2.1.4.1) from the first ``old_size`` leaves to all of them.

    Empty when ``old_size`` is 0 or equal to the tree size (nothing to prove).
    Raises ValueError if ``old_size`` is larger than the tree.
    """
    leaves = _check_leaves(leaf_hashes)
    if not _is_size(old_size) or old_size > len(leaves):
        raise ValueError(f"old size {old_size!r} is outside a tree of {len(leaves)} leaves")
    if old_size == 0 or old_size == len(leaves):
        return []
    return _subproof(leaves, old_size, True)


def _subproof(leaves: list[bytes], m: int, complete: bool) -> list[bytes]:
    # RFC 9162 SUBPROOF(m, D[n], b): ``complete`` is b, true while the old
    # tree's root is a node of this subtree the verifier already knows.
    n = len(leaves)
    if m == n:
        return [] if complete else [_mth(leaves)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return _subproof(leaves[:k], m, complete) + [_mth(leaves[k:])]
    return _subproof(leaves[k:], m - k, False) + [_mth(leaves[:k])]


def _largest_power_of_two_below(n: int) -> int:
    # For n > 1: the largest power of two strictly smaller than n.
    return 1 << ((n - 1).bit_length() - 1)


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows leaf ``leaf_hash`` at ``index`` in the tree of ``tree_size`` with ``root``.

    RFC 9162 section 2.1.3.2.  False (never an exception) for any malformed
    input: a hash that is not 32 bytes, ``index >= tree_size``, a proof of the
    wrong length, or a proof that is not a sequence of byte strings.
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_size(index) and _is_size(tree_size)):
        return False
    if index >= tree_size or not isinstance(proof, (list, tuple)):
        return False
    if not all(_is_hash(p) for p in proof):
        return False
    fn, sn = index, tree_size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree (``new_size``, ``new_root``) extends (``old_size``, ``old_root``).

    RFC 9162 section 2.1.4.2, plus the trivial cases made strict:

    * ``old_size == 0``: the proof must be empty and ``old_root`` must be
      ``EMPTY_ROOT`` (every tree extends the empty one);
    * ``old_size == new_size``: the proof must be empty and the roots equal;
    * ``old_size > new_size``: always False (a log never shrinks).

    False (never an exception) for any malformed input.
    """
    if not (_is_size(old_size) and _is_size(new_size) and _is_hash(old_root) and _is_hash(new_root)):
        return False
    if not isinstance(proof, (list, tuple)) or not all(_is_hash(p) for p in proof):
        return False
    if old_size > new_size:
        return False
    if old_size == 0:
        if new_size == 0 and old_root != new_root:
            return False
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree: its root is the path's start.
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class Frontier:
    """The right edge of a growing tree: enough to compute its root, nothing more.

    A frontier (a "compact range" ``[0, size)``) keeps one hash per set bit
    of ``size``: the roots of the perfect subtrees the leaves so far fall
    into, largest (leftmost) first.  Seven leaves are kept as
    ``[MTH(D[0:4]), MTH(D[4:6]), MTH(D[6:7])]``.  Memory is O(log n),
    :meth:`append` is amortised O(1) hashes and :meth:`root` is O(log n), so
    ``booth verify`` can stream the whole log and compare the root at every
    checkpoint without holding the leaves.

    Byte layout (:meth:`to_bytes`)::

        size  (8 bytes, unsigned big-endian)
        hash  (32 bytes) x popcount(size), largest subtree first

    >>> f = Frontier()
    >>> f.append(leaf_hash(b"a")); f.append(leaf_hash(b"b")); f.append(leaf_hash(b"c"))
    >>> f.size, len(f.to_bytes())
    (3, 72)
    >>> Frontier.from_bytes(f.to_bytes()).root() == f.root()
    True
    """

    MAX_SIZE = 2**64 - 1

    __slots__ = ("_size", "_hashes")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        """How many leaves have been appended."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf hash (32 bytes) at the right edge of the tree."""
        if not _is_hash(leaf_hash):
            raise ValueError(f"leaf hash is not {HASH_SIZE} bytes")
        if self._size == self.MAX_SIZE:
            raise ValueError("frontier is full")
        h = bytes(leaf_hash)
        # Each trailing 1 bit of the old size is a perfect subtree of the
        # same height as the one being carried: merge them, like adding 1.
        # (node_hash written out: the verifier appends every event and ballot.)
        n = self._size
        if n & 1:
            hashes, sha256 = self._hashes, hashlib.sha256
            while n & 1:
                h = sha256(_NODE_PREFIX + hashes.pop() + h).digest()
                n >>= 1
        self._hashes.append(h)
        self._size += 1

    def append_leaf(self, data: bytes) -> bytes:
        """Hash ``data`` into the next leaf (:func:`leaf_hash`), append it and return its hash.

        The same as ``append(leaf_hash(data))`` in one call, without re-checking a hash made
        here: the verifier appends every event and ballot this way.
        """
        if self._size == self.MAX_SIZE:
            raise ValueError("frontier is full")
        hasher = _LEAF_HASHER.copy()
        hasher.update(data)
        leaf = h = hasher.digest()
        n = self._size
        hashes = self._hashes
        while n & 1:
            hasher = _NODE_HASHER.copy()
            hasher.update(hashes.pop())
            hasher.update(h)
            h = hasher.digest()
            n >>= 1
        hashes.append(h)
        self._size += 1
        return leaf

    def root(self) -> bytes:
        """The Merkle Tree Hash of all leaves appended so far (``EMPTY_ROOT`` if none)."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        r = hashes[-1]
        copy = _NODE_HASHER.copy
        for i in range(len(hashes) - 2, -1, -1):  # node_hash(hashes[i], r), written out
            hasher = copy()
            hasher.update(hashes[i])
            hasher.update(r)
            r = hasher.digest()
        return r

    def copy(self) -> Frontier:
        """An independent frontier in the same state."""
        other = Frontier()
        other._size = self._size
        other._hashes = list(self._hashes)
        return other

    def to_bytes(self) -> bytes:
        """``size`` as 8 big-endian bytes, then the subtree hashes, largest first."""
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> Frontier:
        """Rebuild a frontier from :meth:`to_bytes`; ValueError if the bytes are not one."""
        if not isinstance(data, (bytes, bytearray)) or len(data) < 8:
            raise ValueError("frontier is shorter than its 8-byte size")
        size = int.from_bytes(data[:8], "big")
        count = size.bit_count()
        if len(data) != 8 + HASH_SIZE * count:
            raise ValueError(
                f"frontier of size {size} needs {count} hashes ({8 + HASH_SIZE * count} bytes), got {len(data)} bytes"
            )
        f = cls()
        f._size = size
        f._hashes = [bytes(data[8 + HASH_SIZE * i : 8 + HASH_SIZE * (i + 1)]) for i in range(count)]
        return f

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frontier):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __repr__(self) -> str:
        return f"Frontier(size={self._size}, root={self.root().hex()[:16]}...)"
