"""RFC 9162 Merkle trees (circuits.tlog): tree heads equal pymerkle's and a recursive twin's,
every inclusion and consistency proof of logs of 1 to 300 entries verifies, the RFC's worked
example (section 2.1.5) gives its paths, and tampered proofs are refused."""

from __future__ import annotations

import hashlib

import pymerkle  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.circuits import tlog
from solvency.errors import MalformedInputError, SolvencyError, VerificationError

N = 300
ENTRIES = [b"entry %d" % i for i in range(N)]
LEAVES = [tlog.leaf_hash(e) for e in ENTRIES]
TREE = tlog.Tree(LEAVES)
ROOTS = [TREE.root(n) for n in range(N + 1)]


# --- a readable twin: RFC 9162 section 2.1 written as its recursive definitions --------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [naive_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


# --- tree heads -------------------------------------------------------------------------------


def test_tree_heads_equal_pymerkle_for_every_size_0_to_300() -> None:
    # pymerkle (GPL-3.0, a test-only dependency) hashes as RFC 9162: leaves SHA-256(0x00||d),
    # nodes SHA-256(0x01||l||r), the empty tree SHA-256().
    other = pymerkle.InmemoryTree.init_from_entries(ENTRIES)
    assert other.get_size() == N
    for n in range(N + 1):
        assert ROOTS[n] == other.get_root(n), n
    for i in range(N):
        assert LEAVES[i] == other.get_leaf(i + 1)


def test_tree_heads_and_paths_equal_the_recursive_twin() -> None:
    for n in range(0, 70):
        d = ENTRIES[:n]
        assert ROOTS[n] == naive_mth(d) == tlog.root_from_leaf_hashes(LEAVES[:n])
        for m in range(n):
            assert TREE.inclusion_path(m, n) == naive_path(m, d)
        for m in range(1, n):
            assert TREE.consistency_path(m, n) == naive_subproof(m, d, True)


def test_known_heads() -> None:
    # MTH({}) = SHA-256() (RFC 9162 2.1.1); a one-entry tree's head is its leaf hash.
    assert ROOTS[0].hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert tlog.leaf_hash(b"").hex() == hashlib.sha256(b"\x00").hexdigest()
    assert ROOTS[1] == LEAVES[0]
    assert ROOTS[2] == hashlib.sha256(b"\x01" + LEAVES[0] + LEAVES[1]).digest()


def test_rfc_9162_worked_example_seven_leaves() -> None:
    # Section 2.1.5: the tree of d0..d6 and its named nodes.
    h = [tlog.leaf_hash(b"d%d" % i) for i in range(7)]
    a, b, c, d, e, f, j = h  # j is d6's leaf, promoted unchanged
    g, hh, i = tlog.node_hash(a, b), tlog.node_hash(c, d), tlog.node_hash(e, f)
    k, l_ = tlog.node_hash(g, hh), tlog.node_hash(i, j)
    tree = tlog.Tree(h)
    assert tree.root() == tlog.node_hash(k, l_)
    # "The inclusion proof for d0 is [b, h, l]", d3 [c, g, l], d4 [f, j, k], d6 [i, k].
    assert tree.inclusion_path(0) == [b, hh, l_]
    assert tree.inclusion_path(3) == [c, g, l_]
    assert tree.inclusion_path(4) == [f, j, k]
    assert tree.inclusion_path(6) == [i, k]
    # "PROOF(3, D[7]) = [c, d, g, l]", PROOF(4, D[7]) = [l], PROOF(6, D[7]) = [i, j, k].
    assert tree.consistency_path(3) == [c, d, g, l_]
    assert tree.consistency_path(4) == [l_]
    assert tree.consistency_path(6) == [i, j, k]
    for m in (3, 4, 6):
        tlog.verify_consistency(m, 7, tree.root(m), tree.root(), tree.consistency_path(m))


# --- round trips ------------------------------------------------------------------------------


def test_every_inclusion_proof_verifies_for_logs_of_1_to_300() -> None:
    for n in range(1, N + 1):
        for m in range(n):
            path = TREE.inclusion_path(m, n)
            assert len(path) == tlog.inclusion_path_length(m, n)
            tlog.verify_inclusion(LEAVES[m], m, n, path, ROOTS[n])


def test_every_consistency_proof_verifies_between_any_two_sizes_up_to_300() -> None:
    for n in range(N + 1):
        for m in range(n + 1):
            path = TREE.consistency_path(m, n)
            assert len(path) == tlog.consistency_path_length(m, n)
            tlog.verify_consistency(m, n, ROOTS[m], ROOTS[n], path)


# --- refusals ---------------------------------------------------------------------------------

sizes = st.integers(1, N)


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_inclusion_refuses_a_changed_leaf_index_root_or_path(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(0, n - 1))
    path = TREE.inclusion_path(m, n)
    with pytest.raises(tlog.InclusionProofError):
        tlog.verify_inclusion(tlog.leaf_hash(b"other"), m, n, path, ROOTS[n])
    with pytest.raises(tlog.InclusionProofError):
        tlog.verify_inclusion(LEAVES[m], m, n, path, ROOTS[n - 1] if n > 1 else ROOTS[0])
    if path:
        j = data.draw(st.integers(0, len(path) - 1))
        bit = data.draw(st.integers(0, 255))
        bad = list(path)
        bad[j] = bytes(x ^ (1 << (bit % 8)) if t == bit // 8 else x for t, x in enumerate(bad[j]))
        with pytest.raises(tlog.InclusionProofError):
            tlog.verify_inclusion(LEAVES[m], m, n, bad, ROOTS[n])
        # a truncated or lengthened path is malformed, not merely wrong
        with pytest.raises(MalformedInputError):
            tlog.verify_inclusion(LEAVES[m], m, n, path[:-1], ROOTS[n])
    with pytest.raises(MalformedInputError):
        tlog.verify_inclusion(LEAVES[m], m, n, [*path, ROOTS[n]], ROOTS[n])
    # another index with a path of the same length: the leaf is not there
    for other in range(n):
        if other != m and tlog.inclusion_path_length(other, n) == len(path):
            with pytest.raises(tlog.InclusionProofError):
                tlog.verify_inclusion(LEAVES[m], other, n, path, ROOTS[n])
            break


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_consistency_refuses_a_fork_or_a_tampered_path(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n))
    path = TREE.consistency_path(m, n)
    # A fork: the same first m - 1 entries, then a different entry m - 1.
    forked = tlog.Tree([*LEAVES[: m - 1], tlog.leaf_hash(b"forked")])
    with pytest.raises(tlog.ConsistencyProofError):
        tlog.verify_consistency(m, n, forked.root(), ROOTS[n], path)
    if m < n:
        with pytest.raises(tlog.ConsistencyProofError):
            tlog.verify_consistency(m, n, ROOTS[m], tlog.leaf_hash(b"x"), path)
        j = data.draw(st.integers(0, len(path) - 1))
        bad = list(path)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        with pytest.raises(tlog.ConsistencyProofError):
            tlog.verify_consistency(m, n, ROOTS[m], ROOTS[n], bad)
        with pytest.raises(MalformedInputError):
            tlog.verify_consistency(m, n, ROOTS[m], ROOTS[n], path[:-1])


def test_edges() -> None:
    # equal sizes: equal heads and no proof; different heads are a fork
    tlog.verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    with pytest.raises(tlog.ConsistencyProofError, match="fork"):
        tlog.verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    # every tree extends the empty one, whose head is SHA-256()
    tlog.verify_consistency(0, 9, ROOTS[0], ROOTS[9], [])
    with pytest.raises(tlog.ConsistencyProofError):
        tlog.verify_consistency(0, 9, ROOTS[1], ROOTS[9], [])
    # sizes out of range are bad input, not a failed check
    for call in (
        lambda: tlog.verify_consistency(6, 5, ROOTS[5], ROOTS[5], []),
        lambda: tlog.verify_inclusion(LEAVES[0], 5, 5, [], ROOTS[5]),
        lambda: tlog.verify_inclusion(LEAVES[0], 0, 0, [], ROOTS[0]),
        lambda: tlog.verify_inclusion(LEAVES[0], True, 2, [LEAVES[1]], ROOTS[2]),
        lambda: tlog.verify_inclusion(b"short", 0, 1, [], ROOTS[1]),
        lambda: TREE.inclusion_path(0, N + 1),
        lambda: tlog.Tree([b"short"]),
    ):
        with pytest.raises(SolvencyError) as info:
            call()
        assert not isinstance(info.value, VerificationError)
