"""The sparse Merkle-sum tree of Pedersen commitments (DAPOL+ section 4).

Relation (docs/PROTOCOL.md section 4), per asset k and node (level, index):

    leaf:     C_k = Com(v_k, r_k)
              h   = SHA256(b"solvency/v1/leaf" || leaf_id || C_0 || .. || C_{a-1})
    internal: C_k = C_k(L) + C_k(R)        (values and blindings add mod l)
              h   = SHA256(b"solvency/v1/node" || C_0(L) .. C_{a-1}(L) || h(L)
                                              || C_0(R) .. C_{a-1}(R) || h(R))
    padding:  C_k = Com(0, r_k(s)),  h = SHA256(b"solvency/v1/pad" || s)

Leaf positions: user u takes the first free p_j = int_be(HMAC(position_key, u || LE32(j))[:8])
mod 2^H, users in ascending order of HMAC(position_key, u || LE32(0)).

Margin (section 10.3): ``n_assets`` counts commitments per node, 2a (equity then debt), a
leaf's ``units`` are (e_0..e_{a-1}, d_0..d_{a-1}) and its hash takes the margin-leaf tag;
everything above the leaves is unchanged.

A node is stored when its subtree holds a user, or when it is the sibling of such a node (a
padding node). Padding depends only on (padding_key, level, index), so a tree built whole and
a tree built as independent subtrees (``build_subtree``) joined by ``combine_upper`` hold
exactly the same nodes.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

from solvency.circuits.node import add_commitments, leaf_hash, node_hash, pad_hash
from solvency.crypto import derive
from solvency.crypto.group import L
from solvency.crypto.pedersen import PedersenGens
from solvency.errors import InvalidParameterError

MAX_HEIGHT = derive.MAX_HEIGHT
HASH_BYTES = 32
_PC = PedersenGens.default()


class NodeKind(IntEnum):
    """How a stored node was made (the ``kind`` column of the tree database)."""

    LEAF = 0
    INTERNAL = 1
    PADDING = 2


@dataclass(frozen=True, slots=True)
class Node:
    """A tree node with its opening: C_k = Com(values[k], blindings[k])."""

    level: int
    index: int
    kind: NodeKind
    commitments: tuple[bytes, ...]
    hash: bytes
    values: tuple[int, ...]
    blindings: tuple[int, ...]
    pad_seed: bytes | None = None


@dataclass(frozen=True, slots=True)
class UserLeaf:
    """What a leaf needs: the user, its position and its balances in units."""

    user_id: str
    position: int
    units: tuple[int, ...]


@dataclass(frozen=True)
class TreeContext:
    """The secrets and shape of one epoch's tree; picklable, so workers can build subtrees."""

    epoch_secret: bytes
    height: int
    n_assets: int
    padding_key: bytes
    margin: bool = False

    @classmethod
    def create(
        cls, epoch_secret: bytes, height: int, n_assets: int, margin: bool = False
    ) -> TreeContext:
        if not isinstance(height, int) or isinstance(height, bool) or not 1 <= height <= MAX_HEIGHT:
            raise InvalidParameterError(f"height must be an int in [1, {MAX_HEIGHT}]")
        if not isinstance(n_assets, int) or isinstance(n_assets, bool) or not 1 <= n_assets <= 64:
            raise InvalidParameterError("number of assets must be an int in [1, 64]")
        if margin and n_assets % 2:
            raise InvalidParameterError("a margin tree has 2a commitments per node")
        return cls(epoch_secret, height, n_assets, derive.padding_key(epoch_secret), bool(margin))


# --- height --------------------------------------------------------------------------------


def default_height(n_users: int) -> int:
    """The smallest H >= 1 with 2^H >= 2N (section 2)."""
    if not isinstance(n_users, int) or isinstance(n_users, bool) or n_users < 1:
        raise InvalidParameterError("the number of users must be a positive int")
    H = max(1, (2 * n_users - 1).bit_length())
    if H > MAX_HEIGHT:
        raise InvalidParameterError(f"too many users for a tree of height {MAX_HEIGHT}")
    return H


def check_height(height: int, n_users: int) -> int:
    """Return ``height`` if 1 <= H <= 64 and the 2^H leaf slots hold the N users."""
    if not isinstance(height, int) or isinstance(height, bool) or not 1 <= height <= MAX_HEIGHT:
        raise InvalidParameterError(f"height must be an int in [1, {MAX_HEIGHT}]")
    if n_users > 1 << height:
        raise InvalidParameterError(
            f"height {height} has {1 << height} leaf slots, fewer than the {n_users} users"
        )
    return height


# --- positions -----------------------------------------------------------------------------


def _position_digest(position_key: bytes, uid: bytes, j: int) -> bytes:
    return hmac.digest(position_key, uid + j.to_bytes(4, "little"), "sha256")


def assign_positions(user_ids: Iterable[str], position_key: bytes, height: int) -> dict[str, int]:
    """Map each user id to its leaf position (section 4): injective, independent of order.

    The HMAC of j = 0 is both the sort key and the first candidate, so it is computed once.
    """
    ids = [derive.check_user_id(u) for u in user_ids]
    if len(set(ids)) != len(ids):
        raise InvalidParameterError("user ids are not unique")
    check_height(height, len(ids))
    mask = (1 << height) - 1
    keyed = sorted((_position_digest(position_key, uid, 0), uid) for uid in ids)
    taken: set[int] = set()
    out: dict[str, int] = {}
    for h0, uid in keyed:
        p = int.from_bytes(h0[:8], "big") & mask
        j = 0
        while p in taken:
            j += 1
            p = int.from_bytes(_position_digest(position_key, uid, j)[:8], "big") & mask
        taken.add(p)
        out[uid.decode("utf-8")] = p
    return out


def _assign_positions_naive(
    user_ids: Sequence[str], position_key: bytes, height: int
) -> dict[str, int]:
    """Readable twin of ``assign_positions``, the protocol text line by line."""

    def p(u: str, j: int) -> int:
        digest = hmac.new(position_key, u.encode() + j.to_bytes(4, "little"), "sha256").digest()
        return int.from_bytes(digest[:8], "big") % (1 << height)

    def order(u: str) -> bytes:
        return hmac.new(position_key, u.encode() + (0).to_bytes(4, "little"), "sha256").digest()

    out: dict[str, int] = {}
    for u in sorted(user_ids, key=order):
        j = 0
        while p(u, j) in out.values():
            j += 1
        out[u] = p(u, j)
    return out


# --- node hashes and nodes -----------------------------------------------------------------


def _leaf(
    user_id: str,
    user_secret: bytes,
    position: int,
    values: Sequence[int],
    n_assets: int,
    margin: bool = False,
) -> Node:
    """The leaf node; ``values`` are taken mod l unchecked (range proofs enforce the range)."""
    uid = user_id.encode("utf-8")
    r = tuple(derive._blinding(user_secret, k) for k in range(n_assets))
    v = tuple(x % L for x in values)
    C = tuple(_PC._commit(v_k, r_k) for v_k, r_k in zip(v, r, strict=True))
    h = leaf_hash(derive._leaf_id(uid, user_secret), C, margin)
    return Node(0, position, NodeKind.LEAF, C, h, v, r)


def leaf_node(
    user_id: str, user_secret: bytes, position: int, units: Sequence[int], margin: bool = False
) -> Node:
    """The leaf of a user with balances ``units`` (each in [0, 2^64)); with ``margin`` the
    units are (e_0..e_{a-1}, d_0..d_{a-1})."""
    derive.check_user_id(user_id)
    if not isinstance(user_secret, bytes) or len(user_secret) != 32:
        raise InvalidParameterError("user secret must be 32 bytes")
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < 2**64:
        raise InvalidParameterError("position must be an int in [0, 2^64)")
    if not units:
        raise InvalidParameterError("a leaf needs at least one asset")
    for k, x in enumerate(units):
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < 2**64:
            raise InvalidParameterError(f"balance of asset {k} must be an int in [0, 2^64)")
    if margin and len(units) % 2:
        raise InvalidParameterError("a margin leaf needs equity and debt for every asset")
    return _leaf(user_id, user_secret, position, units, len(units), margin)


def padding_node(level: int, index: int, padding_key: bytes, n_assets: int) -> Node:
    """The padding node at (level, index): commitments to zero from its seed s."""
    s = derive._pad_seed(padding_key, level, index)
    r = tuple(derive._pad_blinding(s, k) for k in range(n_assets))
    C = tuple(_PC._commit(0, r_k) for r_k in r)
    return Node(level, index, NodeKind.PADDING, C, pad_hash(s), (0,) * n_assets, r, s)


def internal_node(left: Node, right: Node) -> Node:
    """The parent of two siblings: commitments, values and blindings add up (mod l)."""
    if left.level != right.level or left.index % 2 or right.index != left.index + 1:
        raise InvalidParameterError("internal_node needs a left child and its right sibling")
    return Node(
        left.level + 1,
        left.index >> 1,
        NodeKind.INTERNAL,
        add_commitments(left.commitments, right.commitments),
        node_hash(left.commitments, left.hash, right.commitments, right.hash),
        tuple((a + b) % L for a, b in zip(left.values, right.values, strict=True)),
        tuple((a + b) % L for a, b in zip(left.blindings, right.blindings, strict=True)),
    )


# --- building --------------------------------------------------------------------------------


def _grow(live: list[Node], lo: int, hi: int, ctx: TreeContext) -> Iterator[Node]:
    """From the sorted non-empty nodes at level ``lo`` up to level ``hi``: yield, level by
    level, the padding siblings at each level and the parents one level up."""
    level = lo
    while level < hi:
        parents: list[Node] = []
        i = 0
        while i < len(live):
            node = live[i]
            if node.index % 2 == 0:
                left = node
                if i + 1 < len(live) and live[i + 1].index == node.index + 1:
                    right = live[i + 1]
                    i += 2
                else:
                    right = padding_node(level, node.index + 1, ctx.padding_key, ctx.n_assets)
                    yield right
                    i += 1
            else:
                left = padding_node(level, node.index - 1, ctx.padding_key, ctx.n_assets)
                yield left
                right = node
                i += 1
            parent = internal_node(left, right)
            yield parent
            parents.append(parent)
        live = parents
        level += 1


def _check_subtree(
    users: Sequence[UserLeaf], subtree_level: int, subtree_index: int, ctx: TreeContext
) -> None:
    if not isinstance(subtree_level, int) or not 0 <= subtree_level <= ctx.height:
        raise InvalidParameterError(f"subtree level must be in [0, {ctx.height}]")
    if not isinstance(subtree_index, int) or not 0 <= subtree_index < 1 << (
        ctx.height - subtree_level
    ):
        raise InvalidParameterError("subtree index out of range for its level")
    if not users:
        raise InvalidParameterError("a subtree needs at least one user")
    lo = subtree_index << subtree_level
    hi = lo + (1 << subtree_level)
    previous = -1
    for u in users:
        if not lo <= u.position < hi:
            raise InvalidParameterError(
                f"position of user at slot {u.position} is outside the subtree"
            )
        if u.position <= previous:
            raise InvalidParameterError("users must be sorted by strictly increasing position")
        if len(u.units) != ctx.n_assets:
            raise InvalidParameterError("every user needs one balance per asset")
        previous = u.position


def build_subtree(
    users: Sequence[UserLeaf], subtree_level: int, subtree_index: int, ctx: TreeContext
) -> tuple[list[Node], Node]:
    """Build the stored nodes of the subtree rooted at (subtree_level, subtree_index).

    ``users`` are the users whose positions fall in the subtree, sorted by position. Returns
    every stored node at levels 0..subtree_level inside the subtree (the subtree's root
    included, its sibling not) and the root. Balances must already be checked (< 2^64).
    """
    _check_subtree(users, subtree_level, subtree_index, ctx)
    leaves = [
        _leaf(
            u.user_id,
            derive._user_secret(ctx.epoch_secret, u.user_id.encode("utf-8")),
            u.position,
            u.units,
            ctx.n_assets,
            ctx.margin,
        )
        for u in users
    ]
    nodes = list(leaves)
    nodes.extend(_grow(leaves, 0, subtree_level, ctx))
    return nodes, nodes[-1]


def combine_upper(
    subtree_roots: Sequence[Node], subtree_level: int, ctx: TreeContext
) -> tuple[list[Node], Node]:
    """Join the roots of the non-empty subtrees at ``subtree_level`` into the full tree.

    Returns the nodes above the subtrees (and the padding siblings at ``subtree_level``)
    and the root at level H.
    """
    if not subtree_roots:
        raise InvalidParameterError("combine_upper needs at least one subtree root")
    previous = -1
    for node in subtree_roots:
        if node.level != subtree_level or node.index <= previous:
            raise InvalidParameterError(
                "subtree roots must sit at the subtree level, sorted by strictly increasing index"
            )
        previous = node.index
    nodes = list(_grow(list(subtree_roots), subtree_level, ctx.height, ctx))
    root = nodes[-1] if nodes else subtree_roots[0]
    if root.level != ctx.height:
        raise InvalidParameterError("subtree level is above the tree height")
    return nodes, root


def build_tree(users: Sequence[UserLeaf], ctx: TreeContext) -> tuple[list[Node], Node]:
    """All stored nodes of the whole tree and its root (``users`` sorted by position)."""
    return build_subtree(users, ctx.height, 0, ctx)


def _build_tree_naive(users: Sequence[UserLeaf], ctx: TreeContext) -> dict[tuple[int, int], Node]:
    """Readable twin of ``build_tree``: recurse from the root; a subtree without users is a
    padding node, kept only as the sibling of a non-empty one."""
    by_position = {u.position: u for u in users}
    stored: dict[tuple[int, int], Node] = {}

    def has_users(level: int, index: int) -> bool:
        return any(p >> level == index for p in by_position)

    def node(level: int, index: int) -> Node:
        if not has_users(level, index):
            return padding_node(level, index, ctx.padding_key, ctx.n_assets)
        if level == 0:
            u = by_position[index]
            secret = derive.user_secret(ctx.epoch_secret, u.user_id)
            return _leaf(u.user_id, secret, index, u.units, ctx.n_assets, ctx.margin)
        left, right = node(level - 1, 2 * index), node(level - 1, 2 * index + 1)
        stored[(left.level, left.index)] = left
        stored[(right.level, right.index)] = right
        return internal_node(left, right)

    root = node(ctx.height, 0)
    stored[(root.level, root.index)] = root
    return stored


def sibling_index(position: int, level: int) -> int:
    """Index of the sibling, at ``level``, of the node above leaf ``position``."""
    return (position >> level) ^ 1
