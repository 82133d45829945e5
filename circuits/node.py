"""Well-formed tree nodes (docs/PROTOCOL.md section 4; DAPOL+ section 4).

Relations, per asset k:

    leaf:     C_k = Com(v_k, r_k),  r_k = KDF(user_secret, k),
              h   = SHA256(b"solvency/v1/leaf" || leaf_id || C_0 || .. || C_{a-1})
    internal: C_k = C_k(L) + C_k(R),
              h   = SHA256(b"solvency/v1/node" || C(L) || h(L) || C(R) || h(R))
    padding:  C_k = Com(0, r_k(s)),  h = SHA256(b"solvency/v1/pad" || s)

A margin leaf (section 10.3) has 2a commitments, equity then debt, and its own tag:

    margin leaf: E_k = Com(e_k, r_k),  F_k = Com(d_k, r_{a+k}),
                 h   = SHA256(b"solvency/v2/margin-leaf" || leaf_id || E_0..E_{a-1} || F_0..F_{a-1})

The internal hash binds both children's commitments and hashes, not their sum: with a hash of
the sum only, an exchange could show two users one subtree counted once (Maxwell-tree attack,
Hu, Zhang and Guo, ePrint 2018/1139).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from solvency.crypto import derive, group
from solvency.crypto.pedersen import PedersenGens
from solvency.errors import VerificationError

_PC = PedersenGens.default()
_TAG_LEAF = b"solvency/v1/leaf"
_TAG_NODE = b"solvency/v1/node"
_TAG_PAD = b"solvency/v1/pad"
_TAG_MARGIN_LEAF = b"solvency/v2/margin-leaf"


def leaf_hash(leaf_id: bytes, commitments: Sequence[bytes], margin: bool = False) -> bytes:
    """h = SHA256(b"solvency/v1/leaf" || leaf_id || C_0 || .. || C_{a-1}); a margin leaf's
    tag is b"solvency/v2/margin-leaf" and its commitments are E_0..E_{a-1}, F_0..F_{a-1}."""
    tag = _TAG_MARGIN_LEAF if margin else _TAG_LEAF
    return hashlib.sha256(tag + leaf_id + b"".join(commitments)).digest()


def node_hash(
    left_commitments: Sequence[bytes],
    left_hash: bytes,
    right_commitments: Sequence[bytes],
    right_hash: bytes,
) -> bytes:
    """h = SHA256(b"solvency/v1/node" || C(L) || h(L) || C(R) || h(R)): both children bound."""
    return hashlib.sha256(
        _TAG_NODE
        + b"".join(left_commitments)
        + left_hash
        + b"".join(right_commitments)
        + right_hash
    ).digest()


def pad_hash(seed: bytes) -> bytes:
    """h = SHA256(b"solvency/v1/pad" || s)."""
    return hashlib.sha256(_TAG_PAD + seed).digest()


def add_commitments(left: Sequence[bytes], right: Sequence[bytes]) -> tuple[bytes, ...]:
    """C_k(L) + C_k(R) for every asset k."""
    return tuple(group._add(a, b) for a, b in zip(left, right, strict=True))


def leaf_commitments(
    user_id: str, user_secret: bytes, balances: Sequence[int]
) -> tuple[tuple[bytes, ...], bytes]:
    """(C_0..C_{a-1}, h) of a user's leaf, recomputed from the user's own data."""
    uid = derive.check_user_id(user_id)
    r = derive.blindings(user_secret, len(balances))
    C = tuple(_PC.commit(v_k, r_k) for v_k, r_k in zip(balances, r, strict=True))
    return C, leaf_hash(derive._leaf_id(uid, bytes(user_secret)), C)


def margin_leaf_commitments(
    user_id: str, user_secret: bytes, equity: Sequence[int], debt: Sequence[int]
) -> tuple[tuple[bytes, ...], bytes]:
    """(E_0..E_{a-1} F_0..F_{a-1}, h) of a margin leaf, recomputed from the user's own data:
    E_k = Com(e_k, r_k), F_k = Com(d_k, r_{a+k})."""
    uid = derive.check_user_id(user_id)
    values = (*equity, *debt)
    r = derive.blindings(user_secret, len(values))
    C = tuple(_PC.commit(v, r_k) for v, r_k in zip(values, r, strict=True))
    return C, leaf_hash(derive._leaf_id(uid, bytes(user_secret)), C, margin=True)


def parent(
    left_commitments: Sequence[bytes],
    left_hash: bytes,
    right_commitments: Sequence[bytes],
    right_hash: bytes,
) -> tuple[tuple[bytes, ...], bytes]:
    """(C, h) of the parent of two siblings."""
    return (
        add_commitments(left_commitments, right_commitments),
        node_hash(left_commitments, left_hash, right_commitments, right_hash),
    )


def check_internal_node(
    level: int,
    index: int,
    commitments: Sequence[bytes],
    hash_: bytes,
    left: tuple[Sequence[bytes], bytes],
    right: tuple[Sequence[bytes], bytes],
) -> None:
    """Check that node (level, index) is the parent of ``left`` and ``right``, each given as
    (commitments, hash); raise VerificationError naming the node."""
    where = f"internal node (level {level}, index {index})"
    if not len(commitments) == len(left[0]) == len(right[0]):
        raise VerificationError(f"{where}: children have a different number of commitments")
    C, h = parent(left[0], left[1], right[0], right[1])
    for k, (C_k, expected) in enumerate(zip(commitments, C, strict=True)):
        # C_k == C_k(L) + C_k(R)
        if not hmac.compare_digest(C_k, expected):
            raise VerificationError(f"{where}: commitment {k} is not the sum of its children's")
    # h == SHA256(tag || C(L) || h(L) || C(R) || h(R))
    if not hmac.compare_digest(hash_, h):
        raise VerificationError(f"{where}: hash does not recompute from its children")


def check_padding_node(
    level: int, index: int, commitments: Sequence[bytes], hash_: bytes, seed: bytes
) -> None:
    """Check that node (level, index) is a padding node with seed s: every C_k opens to zero
    and h = SHA256(b"solvency/v1/pad" || s). Raise VerificationError naming the node."""
    where = f"padding node (level {level}, index {index})"
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise VerificationError(f"{where}: padding seed is not 32 bytes")
    for k, C_k in enumerate(commitments):
        r_k = derive._pad_blinding(seed, k)
        # C_k == Com(0, r_k(s))
        if not hmac.compare_digest(C_k, group._mul(r_k, _PC.B_blinding)):
            raise VerificationError(f"{where}: commitment {k} does not open to zero")
    # h == SHA256(b"solvency/v1/pad" || s)
    if not hmac.compare_digest(hash_, pad_hash(seed)):
        raise VerificationError(f"{where}: hash does not match its padding seed")
