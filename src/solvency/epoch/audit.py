"""The auditor's streaming walk of a whole tree database (docs/PROTOCOL.md section 7).

The relations are in ``solvency.circuits`` (node and range); this module is the machinery
that streams the store level by level and spreads the range proofs over workers.

    tree:         every internal node (l, i) is the parent of (l-1, 2i) and (l-1, 2i+1)
                  (commitments add up, hash recomputes); every padding node opens to zero
                  with its seed s and h = SHA256(b"solvency/v1/pad" || s); every stored
                  non-root node has a stored parent; the root matches the signed root;
                  every node's range proof verifies (section 5, batched).

    margin:       every level-0 node (user and padding leaves alike) has a collateral
                  proof, and it verifies on C_X = sum_k a_k E_k - sum_k b_k F_k with the
                  weights of the store's (signed) margin parameters (section 10.6, batched).

Together with the users' inclusion checks, the range proofs make the root total the integer
sum of non-negative balances: no node's value wraps modulo l (section 5).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from solvency.circuits.collateral import CollateralItem, verify_collateral_batch
from solvency.circuits.node import check_internal_node, check_padding_node
from solvency.circuits.range import NodeProofError, NodeProofItem, verify_nodes_batch
from solvency.crypto import group
from solvency.crypto.group import Rng
from solvency.crypto.pedersen import PedersenGens
from solvency.epoch.parallel import Workers, run_tasks
from solvency.epoch.store import EpochStore, StoredNode
from solvency.epoch.tree import NodeKind
from solvency.errors import VerificationError
from solvency.files.ledger import AssetSpec
from solvency.files.margin import Weights

_PC = PedersenGens.default()


@dataclass(frozen=True)
class AuditReport:
    """What ``audit_tree`` checked."""

    height: int
    nodes: int
    leaves: int
    internal: int
    padding: int
    range_proofs: int
    #: Collateral proofs checked (margin epochs: one per level-0 node).
    collateral_proofs: int = 0


Task = tuple[str, list[NodeProofItem], list[CollateralItem], Weights | None]


def audit_tree(
    store: EpochStore,
    root_hash: bytes | None = None,
    root_commitments: Sequence[bytes] | None = None,
    chunk_size: int = 64,
    rng: Rng | None = None,
    workers: Workers | None = None,
) -> AuditReport:
    """Check every node of a tree database (section 7); raise VerificationError naming the
    node (level, index) at fault. ``root_hash``/``root_commitments``, when given, are the
    signed root's and must match the tree's root.

    This process walks the tree and checks sums and hashes; the range proofs, most of the
    work, go out in batches of ``chunk_size`` to ``workers`` (default: this process).
    """
    H = store.height
    counts = {kind: 0 for kind in NodeKind}
    seen = 0
    weights = (
        None
        if store.margin is None
        else store.margin.weights([AssetSpec(s, d) for s, d in store.assets])
    )

    def chunks() -> Iterator[Task]:
        nonlocal seen
        pending: list[NodeProofItem] = []
        collateral: list[CollateralItem] = []
        for level in range(H + 1):
            internal_here = 0
            # Streamed: a level of a million-user tree does not fit in memory as objects.
            for n in store.iter_level_nodes(level):
                seen += 1
                _check_node(store, level, n)
                internal_here += n.kind is NodeKind.INTERNAL
                counts[n.kind] += 1
                if n.proof is None:
                    raise VerificationError(
                        f"node (level {level}, index {n.index}): range proof missing"
                    )
                pending.append(NodeProofItem(level, n.index, n.commitments, n.proof))
                if weights is not None and level == 0:
                    c = store.collateral(n.index)
                    if c is None:
                        raise VerificationError(
                            f"leaf (level 0, index {n.index}): collateral proof missing"
                        )
                    collateral.append(CollateralItem(n.index, n.commitments, *c))
                if len(pending) >= chunk_size:
                    yield store.epoch, pending, collateral, weights
                    pending, collateral = [], []
            # Every node one level down is a child of an internal node here: no orphans.
            if level > 0 and store.count_level(level - 1) != 2 * internal_here:
                raise VerificationError(f"level {level - 1}: nodes without a stored parent")
        if pending:
            yield store.epoch, pending, collateral, weights

    proofs = collaterals = 0
    if workers is None or rng is not None:
        # In this process (an injected rng, for reproducible tests, is not shared).
        for task in chunks():
            n_proofs, n_collateral = _verify_chunk(task, rng)
            proofs += n_proofs
            collaterals += n_collateral
    else:
        for n_proofs, n_collateral in run_tasks(workers, _verify_chunk, chunks()):
            proofs += n_proofs
            collaterals += n_collateral
    if weights is not None and collaterals != store.count_collateral():
        raise VerificationError("the database holds collateral proofs of no stored leaf")
    if seen != store.count_nodes():
        raise VerificationError("the database holds nodes outside the tree's levels")
    root = store.node(H, 0)
    if root is None or root.kind is not NodeKind.INTERNAL:
        raise VerificationError(f"root (level {H}, index 0) is missing or not an internal node")
    # h(root) == signed root hash
    if root_hash is not None and not hmac.compare_digest(root.hash, root_hash):
        raise VerificationError("root hash mismatch: the tree does not match the signed root")
    if root_commitments is not None:
        if len(root_commitments) != len(root.commitments):
            raise VerificationError("root: the signed root has a different number of assets")
        for k, (C_k, S_k) in enumerate(zip(root.commitments, root_commitments, strict=True)):
            # C_k(root) == signed root commitment k
            if not hmac.compare_digest(C_k, S_k):
                raise VerificationError(f"root commitment {k} mismatch with the signed root")
    return AuditReport(
        height=H,
        nodes=seen,
        leaves=counts[NodeKind.LEAF],
        internal=counts[NodeKind.INTERNAL],
        padding=counts[NodeKind.PADDING],
        range_proofs=proofs,
        collateral_proofs=collaterals,
    )


def _verify_chunk(task: Task, rng: Rng | None = None) -> tuple[int, int]:
    """Batch-verify one chunk of node range proofs and leaves' collateral proofs (a pure task
    for workers); return how many of each."""
    epoch, items, collateral, weights = task
    try:
        verify_nodes_batch(epoch, items, rng)
    except NodeProofError as exc:
        raise VerificationError(
            f"range proof of node (level {exc.level}, index {exc.index}) does not verify"
        ) from exc
    if weights is not None:
        # sum_k a_k e_k - sum_k b_k d_k in [0, 2^128) at every leaf: no uncovered debt
        verify_collateral_batch(epoch, collateral, weights, rng)
    return len(items), len(collateral)


def _check_node(store: EpochStore, level: int, n: StoredNode) -> None:
    """The structural checks of one node: valid points, kind, padding opening, parent sums."""
    where = f"node (level {level}, index {n.index})"
    for k, C_k in enumerate(n.commitments):
        if not group.is_valid_point(C_k):
            raise VerificationError(f"{where}: commitment {k} is not a valid point")
    if n.kind is NodeKind.LEAF:
        if level != 0:
            raise VerificationError(f"{where}: a leaf above level 0")
    elif n.kind is NodeKind.PADDING:
        seed = store.pad_seed(level, n.index)
        if seed is None:
            raise VerificationError(f"{where}: padding node without its seed")
        check_padding_node(level, n.index, n.commitments, n.hash, seed)
        if level > 0 and (
            store.node(level - 1, 2 * n.index) is not None
            or store.node(level - 1, 2 * n.index + 1) is not None
        ):
            raise VerificationError(f"{where}: padding node with stored children")
    else:
        if level == 0:
            raise VerificationError(f"{where}: an internal node at the leaf level")
        left = store.node(level - 1, 2 * n.index)
        right = store.node(level - 1, 2 * n.index + 1)
        if left is None or right is None:
            raise VerificationError(f"{where}: a child is missing")
        check_internal_node(
            level,
            n.index,
            n.commitments,
            n.hash,
            (left.commitments, left.hash),
            (right.commitments, right.hash),
        )
