"""The append-only log of epochs: RFC 9162 Merkle tree hashing, inclusion and consistency
proofs (docs/PROTOCOL.md section 9).

For the list of entries ``D[n] = (d_0, ..., d_{n-1})`` (RFC 9162 section 2.1.1):

    MTH({})     = SHA-256()
    MTH({d_0})  = SHA-256(0x00 || d_0)                          (leaf hash)
    MTH(D[n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   (node hash)

with ``k`` the largest power of two ``< n``. The relations checked:

- inclusion (2.1.3): ``PATH(m, D[n])`` and the leaf hash of ``d_m`` recompute ``MTH(D[n])``;
- consistency (2.1.4): ``PROOF(m, D[n])`` recomputes both ``MTH(D[m])`` and ``MTH(D[n])``, so
  ``D[m]`` is a prefix of ``D[n]``: the larger tree extends the smaller one.

Generation works on leaf hashes (the entries are hashed once); verification follows the
RFC's iterative algorithms step by step. Everything here is public data: variable time.
Our own code, written from the RFC; the tests compare it with pymerkle and a recursive twin.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from solvency.errors import InvalidParameterError, MalformedInputError, VerificationError

HASH_BYTES = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
#: A tree size is a 64-bit unsigned integer (RFC 9162 section 4.10's ``tree_size``).
MAX_TREE_SIZE = 2**64 - 1


class InclusionProofError(VerificationError):
    """An inclusion proof does not recompute the tree head: the entry is not in the tree."""


class ConsistencyProofError(VerificationError):
    """A consistency proof does not recompute both tree heads: the trees are not one log."""


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)``."""
    if not isinstance(entry, bytes):
        raise MalformedInputError("log entry: expected bytes")
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    """``MTH({}) = SHA-256()``, the head of the empty tree."""
    return hashlib.sha256(b"").digest()


class Tree:
    """The leaf hashes of a log, with every perfect subtree's head computed once.

    A perfect subtree ``D[lo:lo + 2^j]`` never changes as the log grows, so its head is
    cached; any other ``MTH(D[lo:hi])`` splits into O(log n) of them.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        _check_hashes(leaves, "leaf hashes")
        self._leaves = list(leaves)
        self._perfect: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._leaves)

    def append(self, leaf: bytes) -> None:
        self._leaves.append(_check_hash(leaf, "leaf hash"))

    def root(self, n: int | None = None) -> bytes:
        """``MTH(D[n])``, by default of the whole tree."""
        n = self._size(n)
        return empty_root() if n == 0 else self._mth(0, n)

    def inclusion_path(self, m: int, n: int | None = None) -> list[bytes]:
        """``PATH(m, D[n])`` (section 2.1.3.1), siblings from the leaf up."""
        n = self._size(n)
        _check_size(m, "leaf index", 0, n - 1)
        path: list[bytes] = []
        lo, hi = 0, n
        # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k,
        #                 PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise;
        # walking down from the root appends the root's sibling first, so reverse at the end.
        while hi - lo > 1:
            k = _split(hi - lo)
            if m - lo < k:
                path.append(self._mth(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._mth(lo, lo + k))
                lo = lo + k
        path.reverse()
        return path

    def consistency_path(self, m: int, n: int | None = None) -> list[bytes]:
        """``PROOF(m, D[n])`` (section 2.1.4.1) for ``0 <= m <= n``; empty for ``m`` 0 or ``n``."""
        n = self._size(n)
        _check_size(m, "first tree size", 0, n)
        if m in (0, n):
            return []
        return self._subproof(m, 0, n, True)

    def _size(self, n: int | None) -> int:
        if n is None:
            return len(self._leaves)
        return _check_size(n, "tree size", 0, len(self._leaves))

    def _mth(self, lo: int, hi: int) -> bytes:
        """``MTH(D[lo:hi])`` over leaf hashes, ``hi > lo``."""
        n = hi - lo
        if n == 1:
            return self._leaves[lo]
        perfect = n & (n - 1) == 0
        if perfect and (lo, n) in self._perfect:
            return self._perfect[(lo, n)]
        k = _split(n)
        h = node_hash(self._mth(lo, lo + k), self._mth(lo + k, hi))
        if perfect:
            self._perfect[(lo, n)] = h
        return h

    def _subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        """``SUBPROOF(m, D[lo:hi], b)`` (section 2.1.4.1)."""
        n = hi - lo
        if m == n:
            # SUBPROOF(m, D[m], true) = {};  SUBPROOF(m, D[m], false) = {MTH(D[m])}
            return [] if b else [self._mth(lo, hi)]
        k = _split(n)
        if m <= k:
            # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            return [*self._subproof(m, lo, lo + k, b), self._mth(lo + k, hi)]
        # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
        return [*self._subproof(m - k, lo + k, hi, False), self._mth(lo, lo + k)]


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """``MTH(D[n])`` from the ``n`` leaf hashes."""
    return Tree(leaves).root()


def inclusion_path_length(m: int, n: int) -> int:
    """How many hashes ``PATH(m, D[n])`` holds (a proof of another length is malformed)."""
    _check_size(n, "tree size", 1, MAX_TREE_SIZE)
    _check_size(m, "leaf index", 0, n - 1)
    count, lo, hi = 0, 0, n
    while hi - lo > 1:
        k = _split(hi - lo)
        lo, hi = (lo, lo + k) if m - lo < k else (lo + k, hi)
        count += 1
    return count


def consistency_path_length(m: int, n: int) -> int:
    """How many hashes ``PROOF(m, D[n])`` holds."""
    _check_size(n, "second tree size", 0, MAX_TREE_SIZE)
    _check_size(m, "first tree size", 0, n)
    if m in (0, n):
        return 0
    count, b, lo, hi = 0, True, 0, n
    while True:
        if m == hi - lo:
            return count + (0 if b else 1)
        k = _split(hi - lo)
        if m <= k:
            hi = lo + k
        else:
            m -= k
            lo, b = lo + k, False
        count += 1


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2: the leaf hash at ``index`` with ``path`` gives ``root``."""
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root hash")
    _check_hashes(path, "inclusion path")
    _check_size(tree_size, "tree size", 1, MAX_TREE_SIZE)
    _check_size(index, "leaf index", 0, tree_size - 1)
    if len(path) != inclusion_path_length(index, tree_size):
        raise MalformedInputError(
            f"inclusion path: expected {inclusion_path_length(index, tree_size)} hashes for "
            f"leaf {index} of a tree of size {tree_size}, got {len(path)}"
        )
    # 2. fn = leaf_index, sn = tree_size - 1;  3. r = leaf hash
    fn, sn = index, tree_size - 1
    r = leaf
    for p in path:
        # 4a. a path longer than the tree is tall fails
        if sn == 0:
            raise InclusionProofError("inclusion proof: the path is longer than the tree")
        if fn & 1 or fn == sn:
            # 4b. r = HASH(0x01 || p || r); then skip the levels where the node has no sibling
            r = node_hash(p, r)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # r = HASH(0x01 || r || p)
            r = node_hash(r, p)
        # 4c.
        fn >>= 1
        sn >>= 1
    # 5. sn == 0 and r == root
    if sn != 0 or not hmac.compare_digest(r, root):
        raise InclusionProofError(
            f"inclusion proof: entry {index} is not in the tree of size {tree_size} with this root"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2: the tree of size ``second`` with head ``second_root``
    extends the tree of size ``first`` with head ``first_root``.

    Where the RFC leaves the edges to the client: equal sizes need equal heads and an empty
    proof; every tree extends the empty one (its head must be ``SHA-256()``).
    """
    _check_hash(first_root, "first root hash")
    _check_hash(second_root, "second root hash")
    _check_hashes(path, "consistency path")
    _check_size(second, "second tree size", 0, MAX_TREE_SIZE)
    _check_size(first, "first tree size", 0, second)
    expected = consistency_path_length(first, second)
    if len(path) != expected:
        raise MalformedInputError(
            f"consistency path: expected {expected} hashes from size {first} to size {second}, "
            f"got {len(path)}"
        )
    if first == second:
        # MTH(D[m]) == MTH(D[n]) when m == n
        if not hmac.compare_digest(first_root, second_root):
            raise ConsistencyProofError(f"fork: two trees of size {first} with different roots")
        return
    if first == 0:
        # MTH({}) = SHA-256(): the empty tree is a prefix of every tree
        if not hmac.compare_digest(first_root, empty_root()):
            raise ConsistencyProofError("consistency proof: the tree of size 0 has a wrong root")
        return
    # 1. an empty path fails (it cannot be: first < second and first > 0)
    # 2. if first is an exact power of two, prepend first_hash
    c = list(path)
    if first & (first - 1) == 0:
        c.insert(0, first_root)
    # 3. fn = first - 1, sn = second - 1;  4. while LSB(fn) set, shift both
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = c[0]
    fr = sr = c[0]
    for x in c[1:]:
        # 6a.
        if sn == 0:
            raise ConsistencyProofError("consistency proof: the path is longer than the tree")
        if fn & 1 or fn == sn:
            # 6b. fr = HASH(0x01 || c || fr), sr = HASH(0x01 || c || sr)
            fr = node_hash(x, fr)
            sr = node_hash(x, sr)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # sr = HASH(0x01 || sr || c)
            sr = node_hash(sr, x)
        # 6c.
        fn >>= 1
        sn >>= 1
    # 7. fr == first_hash, sr == second_hash, sn == 0
    if sn != 0 or not (hmac.compare_digest(fr, first_root) & hmac.compare_digest(sr, second_root)):
        raise ConsistencyProofError(
            f"consistency proof: the tree of size {second} does not extend the tree of size "
            f"{first} with these roots (a fork, or a rewritten history)"
        )


# --- internals --------------------------------------------------------------------------------


def _split(n: int) -> int:
    """The largest power of two ``k < n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: object, where: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_BYTES:
        raise MalformedInputError(f"{where}: expected {HASH_BYTES} bytes")
    return value


def _check_hashes(values: object, where: str) -> None:
    if not isinstance(values, list | tuple):
        raise MalformedInputError(f"{where}: expected a sequence of hashes")
    for i, v in enumerate(values):
        _check_hash(v, f"{where}[{i}]")


def _check_size(value: object, where: str, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedInputError(f"{where}: expected an integer")
    if not lo <= value <= hi:
        raise InvalidParameterError(f"{where}: {value} is outside {lo}..{hi}")
    return value
