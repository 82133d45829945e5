"""What a user checks: their leaf is in the tree under the signed root (docs/PROTOCOL.md
section 6; DAPOL+ section 4.3).

Relation: given their own (user_id, balances v_k, user_secret, position) and the siblings
(C^sib_i, h^sib_i, pi_i) for i = 0..H-1, with

    (C_0, h_0)     = leaf(user_id, user_secret, v)                  (section 4)
    (C_{i+1}, h_{i+1}) = parent((C_i, h_i), (C^sib_i, h^sib_i))      if bit i of position is 0
                       = parent((C^sib_i, h^sib_i), (C_i, h_i))      if bit i of position is 1

the user accepts when h_H == root_hash, C_H == root_commitments, and every pi_i proves that
C^sib_i commits to values in [0, 2^64) at node (i, (position >> i) xor 1) (one batch).
The signature on the root file is checked by the caller.

Margin (section 10.6): the leaf is the margin leaf of the user's equity e_k = max(v_k, 0) and
debt d_k = max(-v_k, 0) (2a commitments per node), and two more checks run, on public
weights a_k, b_k from the signed root: the user's own collateral proof on their leaf
(sum_k a_k e_k - sum_k b_k d_k >= 0) and that of the leaf-level sibling (every leaf carries
one, so the sibling's is checked too: a spot check of a neighbour, and a padding leaf cannot
be told from a user's).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Protocol

from solvency.crypto import derive, group
from solvency.errors import MalformedInputError, VerificationError
from solvency.files.margin import Weights, split_signed

from .node import leaf_commitments, margin_leaf_commitments, parent
from .range import NodeProofError, NodeProofItem, verify_nodes_batch


class PathStepLike(Protocol):
    """A sibling on the path (``solvency.files.formats.PathStep`` has this shape)."""

    @property
    def commitments(self) -> tuple[bytes, ...]: ...

    @property
    def hash(self) -> bytes: ...

    @property
    def range_proof(self) -> bytes: ...


def _check_inputs(
    user_id: str,
    balances: Sequence[int],
    user_secret: bytes,
    position: int,
    path: Sequence[PathStepLike],
    root_hash: bytes,
    root_commitments: Sequence[bytes],
    epoch: str,
    a: int,
    signed: bool = False,
) -> None:
    derive.check_epoch_id(epoch)
    derive.check_user_id(user_id)
    if not isinstance(user_secret, bytes) or len(user_secret) != 32:
        raise MalformedInputError("user_secret must be 32 bytes")
    if len(balances) != a:
        raise MalformedInputError(f"balances: expected {a} entries, one per asset")
    lo = -(2**64) + 1 if signed else 0
    for k, v in enumerate(balances):
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v < 2**64:
            raise MalformedInputError(f"balances[{k}] must be an int in [{lo}, 2^64)")
    H = len(path)
    if not 1 <= H <= derive.MAX_HEIGHT:
        raise MalformedInputError(f"path must hold 1..{derive.MAX_HEIGHT} siblings")
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < 1 << H:
        raise MalformedInputError(f"position must be an int in [0, 2^{H})")
    if not isinstance(root_hash, bytes) or len(root_hash) != 32:
        raise MalformedInputError("root hash must be 32 bytes")
    c = 2 * a if signed else a
    if len(root_commitments) != c:
        raise MalformedInputError(f"root: expected {c} commitments")
    for level, step in enumerate(path):
        if len(step.commitments) != c:
            raise MalformedInputError(f"path[{level}]: expected {c} commitments")
        if not isinstance(step.hash, bytes) or len(step.hash) != 32:
            raise MalformedInputError(f"path[{level}]: hash must be 32 bytes")
        for k, C in enumerate(step.commitments):
            if not group.is_valid_point(C):
                raise VerificationError(
                    f"sibling at level {level}: commitment {k} is not a valid point"
                )


def verify_inclusion(
    user_id: str,
    balances: Sequence[int],
    user_secret: bytes,
    position: int,
    path: Sequence[PathStepLike],
    root_hash: bytes,
    root_commitments: Sequence[bytes],
    epoch: str,
    assets: Sequence[object],
) -> None:
    """Check a user's inclusion proof; raise VerificationError saying what failed."""
    a = len(assets)
    _check_inputs(
        user_id, balances, user_secret, position, path, root_hash, root_commitments, epoch, a
    )
    C, h = leaf_commitments(user_id, user_secret, balances)
    _check_path(C, h, position, path, root_hash, root_commitments, epoch)


def _check_path(
    C: Sequence[bytes],
    h: bytes,
    position: int,
    path: Sequence[PathStepLike],
    root_hash: bytes,
    root_commitments: Sequence[bytes],
    epoch: str,
) -> None:
    for level, step in enumerate(path):
        if (position >> level) & 1:
            C, h = parent(step.commitments, step.hash, C, h)
        else:
            C, h = parent(C, h, step.commitments, step.hash)
    # h_H == root hash
    if not hmac.compare_digest(h, root_hash):
        raise VerificationError("root hash mismatch: the path does not lead to the signed root")
    for k, (C_k, R_k) in enumerate(zip(C, root_commitments, strict=True)):
        # C_H,k == root commitment k
        if not hmac.compare_digest(C_k, R_k):
            raise VerificationError(f"root commitment {k} mismatch")
    items = [
        NodeProofItem(level, (position >> level) ^ 1, tuple(step.commitments), step.range_proof)
        for level, step in enumerate(path)
    ]
    try:
        verify_nodes_batch(epoch, items)
    except NodeProofError as exc:
        raise VerificationError(
            f"sibling range proof at level {exc.level} does not verify"
        ) from exc


def verify_margin_inclusion(
    user_id: str,
    balances: Sequence[int],
    user_secret: bytes,
    position: int,
    path: Sequence[PathStepLike],
    root_hash: bytes,
    root_commitments: Sequence[bytes],
    epoch: str,
    assets: Sequence[object],
    weights: Weights,
    collateral: tuple[bytes, bytes],
    sibling_collateral: tuple[bytes, bytes],
) -> None:
    """Check a margin user's proof (section 10.6): ``balances`` are signed units (negative =
    debt), ``collateral`` and ``sibling_collateral`` are (C_hi, proof) of the user's leaf and
    of the leaf-level sibling. Raise VerificationError saying what failed."""
    a = len(assets)
    if len(weights.collateral) != a:
        raise MalformedInputError(f"margin weights: expected {a}, one per asset")
    _check_inputs(
        user_id,
        balances,
        user_secret,
        position,
        path,
        root_hash,
        root_commitments,
        epoch,
        a,
        signed=True,
    )
    # Imported here: a margin proof's checks only (not loaded to verify a version 1 proof).
    from .collateral import verify_collateral

    equity, debt = split_signed(balances)
    C, h = margin_leaf_commitments(user_id, user_secret, equity, debt)
    _check_path(C, h, position, path, root_hash, root_commitments, epoch)
    # sum_k a_k e_k - sum_k b_k d_k >= 0 on the user's own leaf ...
    try:
        verify_collateral(epoch, position, C[:a], C[a:], weights, *collateral)
    except VerificationError as exc:
        raise VerificationError(f"your {exc}") from exc
    # ... and on the leaf-level sibling's (every stored leaf carries one)
    sib = path[0].commitments
    try:
        verify_collateral(epoch, position ^ 1, sib[:a], sib[a:], weights, *sibling_collateral)
    except VerificationError as exc:
        raise VerificationError(f"sibling {exc}") from exc
