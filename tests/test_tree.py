"""solvency.epoch.tree: heights, positions, node relations, and the sparse builder against its
naive twin, whichever way the tree is cut into subtrees."""

from __future__ import annotations

import random

import pytest
from conftest import user_ids as allowed_user_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.circuits.node import add_commitments, node_hash, pad_hash, parent
from solvency.crypto import derive, group, pedersen
from solvency.crypto.group import L
from solvency.epoch import tree
from solvency.epoch.tree import NodeKind, TreeContext, UserLeaf
from solvency.errors import InvalidParameterError

MASTER = bytes(range(32))


def _ctx(height: int, a: int, epoch: str = "t1") -> TreeContext:
    return TreeContext.create(derive.epoch_secret(MASTER, epoch), height, a)


@st.composite
def small_trees(draw: st.DrawFn, max_height: int = 4) -> tuple[TreeContext, list[UserLeaf]]:
    """A context and 1..8 users at distinct positions; edge cases include full trees."""
    H = draw(st.integers(1, max_height))
    a = draw(st.sampled_from([1, 3]))
    slots = 1 << H
    n = draw(st.integers(1, min(8, slots)))
    positions = sorted(draw(st.sets(st.integers(0, slots - 1), min_size=n, max_size=n)))
    amount = st.sampled_from([0, 1, 2**64 - 1]) | st.integers(0, 2**40)
    users = [UserLeaf(f"u{p}", p, tuple(draw(amount) for _ in range(a))) for p in positions]
    return _ctx(H, a), users


# --- height ---------------------------------------------------------------------------------


@given(st.integers(1, 10**6))
def test_default_height_is_smallest_with_room_for_twice_n(n: int) -> None:
    H = tree.default_height(n)
    assert 2**H >= 2 * n
    assert H == 1 or 2 ** (H - 1) < 2 * n
    assert tree.check_height(H, n) == H


def test_check_height_bounds() -> None:
    assert tree.check_height(2, 4) == 2
    assert tree.check_height(64, 5) == 64
    for bad_height, n in [(2, 5), (0, 1), (65, 1), (-1, 1)]:
        with pytest.raises(InvalidParameterError):
            tree.check_height(bad_height, n)
    with pytest.raises(InvalidParameterError):
        tree.default_height(0)


# --- positions ------------------------------------------------------------------------------


@given(
    ids=st.lists(allowed_user_ids(1, 8), min_size=1, max_size=16, unique=True),
    extra=st.integers(0, 3),
    seed=st.integers(0, 2**32),
)
@settings(max_examples=60)
def test_positions_injective_in_range_order_free(ids: list[str], extra: int, seed: int) -> None:
    key = derive.position_key(derive.epoch_secret(MASTER, "p"))
    # extra == 0 with 2^H == N fills every slot: the first-free search must still end.
    H = max(1, (len(ids) - 1).bit_length()) + extra
    pos = tree.assign_positions(ids, key, H)
    assert sorted(pos) == sorted(ids)
    assert len(set(pos.values())) == len(ids)
    assert all(0 <= p < 2**H for p in pos.values())
    shuffled = list(ids)
    random.Random(seed).shuffle(shuffled)
    assert tree.assign_positions(shuffled, key, H) == pos
    assert tree._assign_positions_naive(shuffled, key, H) == pos


def test_positions_depend_on_the_key_and_refuse_bad_input() -> None:
    ids = [f"user{i}" for i in range(20)]
    k1 = derive.position_key(derive.epoch_secret(MASTER, "a"))
    k2 = derive.position_key(derive.epoch_secret(MASTER, "b"))
    assert tree.assign_positions(ids, k1, 16) != tree.assign_positions(ids, k2, 16)
    with pytest.raises(InvalidParameterError):
        tree.assign_positions(["a", "a"], k1, 4)
    with pytest.raises(InvalidParameterError):
        tree.assign_positions(ids, k1, 4)  # 20 users, 16 slots


# --- node relations -------------------------------------------------------------------------


def test_internal_node_adds_openings_and_binds_both_children() -> None:
    ctx = _ctx(3, 2)
    us = derive.user_secret(ctx.epoch_secret, "alice")
    left = tree.leaf_node("alice", us, 2, (7, 2**64 - 1))
    right = tree.padding_node(0, 3, ctx.padding_key, 2)
    node = tree.internal_node(left, right)
    assert (node.level, node.index, node.kind) == (1, 1, NodeKind.INTERNAL)
    assert node.values == (7, 2**64 - 1)
    for k in range(2):
        pedersen.open_commitment(node.commitments[k], node.values[k], node.blindings[k])
    # Same sums, different split: a hash of the sum alone would not tell them apart.
    moved = (group._add(left.commitments[0], pedersen.commit(0, 1)), left.commitments[1])
    other = (group._sub(right.commitments[0], pedersen.commit(0, 1)), right.commitments[1])
    assert add_commitments(moved, other) == node.commitments
    assert node_hash(moved, left.hash, other, right.hash) != node.hash
    with pytest.raises(InvalidParameterError):
        tree.internal_node(right, left)
    with pytest.raises(InvalidParameterError):
        tree.leaf_node("alice", us, 2, (2**64, 0))


def test_padding_node_opens_to_zero() -> None:
    ctx = _ctx(4, 3)
    node = tree.padding_node(2, 1, ctx.padding_key, 3)
    assert node.kind is NodeKind.PADDING and node.pad_seed is not None
    assert node.hash == pad_hash(node.pad_seed)
    for k in range(3):
        assert node.blindings[k] == derive.pad_blinding(node.pad_seed, k)
        pedersen.open_commitment(node.commitments[k], 0, node.blindings[k])


# --- the builder ----------------------------------------------------------------------------


def _as_map(nodes: list[tree.Node]) -> dict[tuple[int, int], tree.Node]:
    out = {(n.level, n.index): n for n in nodes}
    assert len(out) == len(nodes), "a node was produced twice"
    return out


@given(small_trees())
@settings(max_examples=25, deadline=None)
def test_builder_equals_naive_twin_and_opens_to_totals(
    case: tuple[TreeContext, list[UserLeaf]],
) -> None:
    ctx, users = case
    nodes, root = tree.build_tree(users, ctx)
    stored = _as_map(nodes)
    assert stored == tree._build_tree_naive(users, ctx)
    assert (root.level, root.index) == (ctx.height, 0)
    # The sparse-tree rule: stored = non-empty subtrees and their siblings.
    for (level, index), n in stored.items():
        occupied = any(u.position >> level == index for u in users)
        assert (n.kind is NodeKind.PADDING) == (not occupied)
        if level < ctx.height:
            assert (level, index ^ 1) in stored
    # Root commitments open to the totals with the sum of leaf and padding blindings.
    for k in range(ctx.n_assets):
        total = sum(u.units[k] for u in users)
        R = 0
        for u in users:
            R += derive.blinding(derive.user_secret(ctx.epoch_secret, u.user_id), k)
        for n in stored.values():
            if n.kind is NodeKind.PADDING:
                assert n.pad_seed is not None
                R += derive.pad_blinding(n.pad_seed, k)
        pedersen.open_commitment(root.commitments[k], total, R % L)
        assert root.values[k] == total


@given(small_trees(), st.data())
@settings(max_examples=20, deadline=None)
def test_subtree_cuts_give_the_same_tree(
    case: tuple[TreeContext, list[UserLeaf]], data: st.DataObject
) -> None:
    ctx, users = case
    whole = _as_map(tree.build_tree(users, ctx)[0])
    s = data.draw(st.integers(0, ctx.height), label="subtree level")
    groups: dict[int, list[UserLeaf]] = {}
    for u in users:
        groups.setdefault(u.position >> s, []).append(u)
    nodes: list[tree.Node] = []
    roots = []
    for t in sorted(groups):
        sub_nodes, sub_root = tree.build_subtree(groups[t], s, t, ctx)
        assert (sub_root.level, sub_root.index) == (s, t)
        nodes += sub_nodes
        roots.append(sub_root)
    upper, root = tree.combine_upper(roots, s, ctx)
    assert _as_map(nodes + upper) == whole
    assert root == whole[(ctx.height, 0)]


@given(small_trees())
@settings(max_examples=15, deadline=None)
def test_every_user_path_recomputes_the_root(case: tuple[TreeContext, list[UserLeaf]]) -> None:
    ctx, users = case
    nodes, root = tree.build_tree(users, ctx)
    stored = _as_map(nodes)
    for u in users:
        leaf = stored[(0, u.position)]
        C, h = leaf.commitments, leaf.hash
        for level in range(ctx.height):
            sib = stored[(level, tree.sibling_index(u.position, level))]
            if (u.position >> level) & 1:
                C, h = parent(sib.commitments, sib.hash, C, h)
            else:
                C, h = parent(C, h, sib.commitments, sib.hash)
        assert (C, h) == (root.commitments, root.hash)


def test_builder_refuses_bad_subtrees() -> None:
    ctx = _ctx(3, 1)
    a, b = UserLeaf("a", 1, (1,)), UserLeaf("b", 2, (1,))
    with pytest.raises(InvalidParameterError):
        tree.build_subtree([b, a], 3, 0, ctx)  # not sorted
    with pytest.raises(InvalidParameterError):
        tree.build_subtree([a, UserLeaf("c", 1, (1,))], 3, 0, ctx)  # shared position
    with pytest.raises(InvalidParameterError):
        tree.build_subtree([b], 1, 0, ctx)  # position 2 is outside subtree (1, 0)
    with pytest.raises(InvalidParameterError):
        tree.build_subtree([], 1, 0, ctx)
    with pytest.raises(InvalidParameterError):
        tree.build_subtree([UserLeaf("a", 1, (1, 2))], 3, 0, ctx)
    with pytest.raises(InvalidParameterError):
        tree.combine_upper([], 1, ctx)
