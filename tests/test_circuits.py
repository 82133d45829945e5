"""solvency.circuits end to end, and the attacks a cheating exchange would try."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.circuits.inclusion import verify_inclusion
from solvency.circuits.liabilities import verify_liabilities
from solvency.circuits.node import check_internal_node
from solvency.circuits.range import (
    NodeProofError,
    NodeProofItem,
    prove_node,
    verify_node,
    verify_nodes_batch,
)
from solvency.crypto import derive, pedersen
from solvency.crypto.group import L
from solvency.epoch import builder, tree
from solvency.epoch.audit import audit_tree
from solvency.epoch.store import STATE_COMPLETE, EpochStore
from solvency.epoch.tree import Node, NodeKind, TreeContext
from solvency.errors import InvalidParameterError, MalformedInputError, VerificationError
from solvency.files.formats import InclusionProofFile, PathStep, RootCommitment
from solvency.files.ledger import AssetSpec, LedgerRow, write_ledger

MASTER = bytes(range(32))
ONE = (AssetSpec("BTC", 8),)
THREE = (AssetSpec("BTC", 8), AssetSpec("ETH", 18), AssetSpec("USDT", 6))


def _check(p: InclusionProofFile, **changes: object) -> None:
    root_hash: Any = changes.pop("root_hash", p.root.hash)
    root_commitments: Any = changes.pop("root_commitments", p.root.commitments)
    q = replace(p, **changes)  # type: ignore[arg-type]
    verify_inclusion(
        q.user_id,
        q.balances,
        q.user_secret,
        q.position,
        q.path,
        root_hash,
        root_commitments,
        q.epoch,
        q.assets,
    )


def _build(
    directory: Path, balances: Sequence[tuple[int, ...]], assets: tuple[AssetSpec, ...], **kw: Any
) -> builder.BuildSummary:
    rows = [LedgerRow(f"user-{i}", b, i + 2) for i, b in enumerate(balances)]
    write_ledger(directory / "ledger.csv", assets, rows)
    return builder.build_epoch(directory / "ledger.csv", assets, MASTER, "c1", directory, **kw)


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[builder.BuildSummary, list[InclusionProofFile]]:
    d = tmp_path_factory.mktemp("built")
    summary = _build(d, [(i * 1000 + 1,) for i in range(6)], ONE)
    with EpochStore.open(summary.store_path, readonly=True) as store:
        proofs = [builder.export_user_proof(store, f"user-{i}", MASTER) for i in range(6)]
    return summary, proofs


# --- honest trees verify -------------------------------------------------------------------

balances_1 = st.tuples(st.sampled_from([0, 1, 2**62]) | st.integers(0, 10**9))


@given(
    st.lists(balances_1, min_size=1, max_size=5)
    | st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)),
        min_size=1,
        max_size=2,
    ),
    st.integers(0, 2),
)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_honest_builds_verify_everywhere(balances: list[tuple[int, ...]], extra: int) -> None:
    assets = ONE if len(balances[0]) == 1 else THREE
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        H = min(4, tree.default_height(len(balances)) + extra) if len(assets) == 1 else None
        summary = _build(d, balances, assets, height=H) if H else _build(d, balances, assets)
        totals = tuple(sum(b[k] for b in balances) for k in range(len(assets)))
        assert summary.totals == totals
        verify_liabilities(summary.root_commitments, totals, summary.root_blindings)
        with EpochStore.open(summary.store_path) as store:
            for i in range(len(balances)):
                _check(builder.export_user_proof(store, f"user-{i}", MASTER))
            store.export_tree(d / "audit.sqlite")
        with EpochStore.open(d / "audit.sqlite", readonly=True) as public:
            report = audit_tree(public, summary.root_hash, summary.root_commitments)
        assert report.nodes == summary.nodes == report.range_proofs
        assert (report.leaves, report.padding) == (len(balances), summary.padding)


def test_byte_flips_are_caught(
    built: tuple[builder.BuildSummary, list[InclusionProofFile]],
) -> None:
    summary, proofs = built
    p = proofs[2]
    _check(p)
    other = pedersen.commit(1, 1)
    flip = bytes([p.path[1].hash[0] ^ 1]) + p.path[1].hash[1:]
    bad_proof = bytearray(p.path[0].range_proof)
    bad_proof[200] ^= 1
    bad_paths = {
        "hash": (replace(p.path[1], hash=flip), 1),
        "commitment": (replace(p.path[1], commitments=(other,)), 1),
        "range proof": (replace(p.path[0], range_proof=bytes(bad_proof)), 0),
        "truncated proof": (replace(p.path[0], range_proof=p.path[0].range_proof[:-32]), 0),
    }
    for what, (step, level) in bad_paths.items():
        path = list(p.path)
        path[level] = step
        with pytest.raises(VerificationError) as info:
            _check(p, path=tuple(path))
        assert "root" in str(info.value) or f"level {level}" in str(info.value), what
    root_cases: list[dict[str, object]] = [
        {"balances": (p.balances[0] + 1,)},
        {"user_secret": bytes(32)},
        {"position": p.position ^ 1},
        {"user_id": "user-3"},
        {"root_hash": bytes(32)},
        {"root_commitments": (other,)},
    ]
    for changes in root_cases:
        with pytest.raises(VerificationError, match="root"):
            _check(p, **changes)
    with pytest.raises(VerificationError, match="sibling range proof at level 0"):
        _check(p, epoch="c2")  # every proof's transcript binds the epoch
    malformed_cases: list[dict[str, object]] = [
        {"balances": (-1,)},
        {"balances": (1, 2)},
        {"position": 2**summary.height},
        {"path": ()},
        {"user_secret": b"short"},
    ]
    for malformed in malformed_cases:
        with pytest.raises(MalformedInputError):
            _check(p, **malformed)


# --- range proofs --------------------------------------------------------------------------


def test_node_proofs_bind_node_and_epoch() -> None:
    proof, V = prove_node("c1", 2, 5, [7, 2**64 - 1, 0], [11, 12, 13])
    assert V == (pedersen.commit(7, 11), pedersen.commit(2**64 - 1, 12), pedersen.commit(0, 13))
    verify_node("c1", NodeProofItem(2, 5, V, proof))
    for level, index, epoch in [(2, 4, "c1"), (3, 5, "c1"), (2, 5, "c2")]:
        with pytest.raises(NodeProofError):
            verify_node(epoch, NodeProofItem(level, index, V, proof))
    for bad in (L - 5, 2**64):
        with pytest.raises(InvalidParameterError):
            prove_node("c1", 0, 0, [bad], [1])
    good = []
    for i in range(3):
        proof_i, V_i = prove_node("c1", 0, i, [i], [i + 1])
        good.append(NodeProofItem(0, i, V_i, proof_i))
    verify_nodes_batch("c1", good)
    swapped = [good[0], replace(good[1], proof=good[2].proof), good[2]]
    with pytest.raises(NodeProofError) as info:
        verify_nodes_batch("c1", swapped)
    assert (info.value.level, info.value.index) == (0, 1)


# --- a cheating exchange -------------------------------------------------------------------


def _cheat(
    ctx: TreeContext, accounts: dict[int, tuple[str, int]]
) -> tuple[dict[tuple[int, int], Node], dict[tuple[int, int], bytes]]:
    """Build a tree whose leaves hold any value mod l, prove what can be proven, and reuse
    another node's valid proof where no proof exists."""
    leaves = []
    for position, (uid, value) in sorted(accounts.items()):
        secret = derive.user_secret(ctx.epoch_secret, uid)
        leaves.append(tree._leaf(uid, secret, position, (value,), 1))
    nodes = {(n.level, n.index): n for n in [*leaves, *tree._grow(leaves, 0, ctx.height, ctx)]}
    proofs: dict[tuple[int, int], bytes] = {}
    for key, n in nodes.items():
        if n.values[0] < 2**64:
            proofs[key] = prove_node("c1", n.level, n.index, n.values, n.blindings)[0]
    donor = next(iter(proofs.values()))
    for key in nodes:
        proofs.setdefault(key, donor)
    return nodes, proofs


def _proof_of(
    ctx: TreeContext,
    nodes: dict[tuple[int, int], Node],
    proofs: dict[tuple[int, int], bytes],
    uid: str,
    position: int,
    value: int,
) -> InclusionProofFile:
    path = tuple(
        PathStep(n.commitments, n.hash, proofs[(n.level, n.index)])
        for n in (nodes[(lv, tree.sibling_index(position, lv))] for lv in range(ctx.height))
    )
    root = nodes[(ctx.height, 0)]
    return InclusionProofFile(
        "c1",
        uid,
        derive.user_secret(ctx.epoch_secret, uid),
        position,
        ctx.height,
        ONE,
        (value,),
        path,
        RootCommitment(root.hash, root.commitments),
    )


def _store_cheat(
    path: Path,
    ctx: TreeContext,
    nodes: dict[tuple[int, int], Node],
    proofs: dict[tuple[int, int], bytes],
) -> EpochStore:
    store = EpochStore.create(path, epoch="c1", height=ctx.height, assets=[("BTC", 8)])
    store.write_nodes(nodes.values())
    store.set_proofs([(lv, i, p) for (lv, i), p in proofs.items()], {"state": STATE_COMPLETE})
    return store


def _ctx() -> TreeContext:
    return TreeContext.create(derive.epoch_secret(MASTER, "c1"), 3, 1)


def test_attack_negative_balance_in_sibling_subtree(tmp_path: Path) -> None:
    ctx = _ctx()
    # Mallory's -5 sits alone in the right half: node (2, 1) commits to l - 5.
    nodes, proofs = _cheat(ctx, {0: ("alice", 100), 1: ("carol", 50), 4: ("mallory", L - 5)})
    root = nodes[(3, 0)]
    # The commitments alone hide it: the root opens to 145, five units short.
    verify_liabilities(root.commitments, [145], [root.blindings[0]])
    alice = _proof_of(ctx, nodes, proofs, "alice", 0, 100)
    with pytest.raises(VerificationError, match="sibling range proof at level 2 does not verify"):
        _check(alice)
    forged = list(alice.path)
    forged[2] = replace(forged[2], range_proof=hashlib.sha512(b"forged").digest() * 11)
    with pytest.raises(VerificationError, match="sibling range proof at level 2"):
        _check(alice, path=tuple(forged))


def test_attack_sum_wrapping_modulo_group_order(tmp_path: Path) -> None:
    ctx = _ctx()
    # Bob's 100 plus Mallory's l - 95 wraps to 5 at node (1, 1), which has a valid proof.
    nodes, proofs = _cheat(ctx, {0: ("alice", 100), 2: ("bob", 100), 3: ("mallory", L - 95)})
    assert nodes[(1, 1)].values == (5,)
    verify_liabilities(nodes[(3, 0)].commitments, [105], [nodes[(3, 0)].blindings[0]])
    # Alice's siblings are all in range: her check passes; Bob's sibling is Mallory's leaf.
    _check(_proof_of(ctx, nodes, proofs, "alice", 0, 100))
    with pytest.raises(VerificationError, match="sibling range proof at level 0"):
        _check(_proof_of(ctx, nodes, proofs, "bob", 2, 100))
    # The auditor checks every node and names Mallory's leaf.
    with _store_cheat(tmp_path / "e.sqlite", ctx, nodes, proofs) as store:
        with pytest.raises(VerificationError, match=r"node \(level 0, index 3\)"):
            audit_tree(store)


def test_attack_hash_binding_only_the_sum() -> None:
    ctx = _ctx()
    alice_secret = derive.user_secret(ctx.epoch_secret, "alice")
    bob_secret = derive.user_secret(ctx.epoch_secret, "bob")
    live = [
        tree.leaf_node("alice", alice_secret, 0, (100,)),
        tree.leaf_node("bob", bob_secret, 5, (7,)),
    ]
    nodes = {(n.level, n.index): n for n in live}
    for level in range(ctx.height):
        parents = []
        for n in live:
            sib_index = n.index ^ 1
            sib = nodes.get((level, sib_index)) or tree.padding_node(
                level, sib_index, ctx.padding_key, 1
            )
            nodes[(level, sib_index)] = sib
            left, right = (n, sib) if n.index % 2 == 0 else (sib, n)
            honest = tree.internal_node(left, right)
            # Maxwell's tree: the parent's hash covers only the summed commitment.
            maxwell = replace(
                honest, hash=hashlib.sha256(b"solvency/v1/node" + honest.commitments[0]).digest()
            )
            nodes[(level + 1, maxwell.index)] = maxwell
            if maxwell not in parents:
                parents.append(maxwell)
        live = parents
    proofs = {
        k: prove_node("c1", n.level, n.index, n.values, n.blindings)[0] for k, n in nodes.items()
    }
    with pytest.raises(VerificationError, match="root hash mismatch"):
        _check(_proof_of(ctx, nodes, proofs, "alice", 0, 100))
    with pytest.raises(VerificationError, match="internal node"):
        left, right, top = nodes[(0, 0)], nodes[(0, 1)], nodes[(1, 0)]
        check_internal_node(
            1,
            0,
            top.commitments,
            top.hash,
            (left.commitments, left.hash),
            (right.commitments, right.hash),
        )


def test_user_proof_file_round_trip_verifies(
    built: tuple[builder.BuildSummary, list[InclusionProofFile]],
) -> None:
    p = built[1][4]
    parsed = InclusionProofFile.from_json(json.loads(p.dumps()))
    assert parsed == p
    verify_inclusion(
        parsed.user_id,
        parsed.balances,
        parsed.user_secret,
        parsed.position,
        parsed.path,
        parsed.root.hash,
        parsed.root.commitments,
        parsed.epoch,
        parsed.assets,
    )


def test_attack_two_users_share_one_leaf(
    built: tuple[builder.BuildSummary, list[InclusionProofFile]],
) -> None:
    _, proofs = built
    alice = proofs[0]
    _check(alice)
    # "bob" has the same balance and is shown Alice's leaf, with her secret or his own.
    bob_secret = derive.user_secret(derive.epoch_secret(MASTER, "c1"), "bob")
    for secret in (alice.user_secret, bob_secret):
        with pytest.raises(VerificationError, match="root hash mismatch"):
            _check(alice, user_id="bob", user_secret=secret)


def test_attack_padding_with_a_value(tmp_path: Path) -> None:
    summary = _build(tmp_path, [(10,), (20,), (30,)], ONE, height=3)
    with EpochStore.open(summary.store_path) as store:
        pad = next(
            n for lv in range(3) for n in store.level_nodes(lv) if n.kind is NodeKind.PADDING
        )
        node = store.full_node(pad.level, pad.index)
        assert node is not None
        # The padding node now commits to 5 with its own blinding; ancestors are redone.
        node = replace(node, commitments=(pedersen.commit(5, node.blindings[0]),), values=(5,))
        changed = [node]
        while node.level < store.height:
            sib = store.full_node(node.level, node.index ^ 1)
            assert sib is not None
            node = tree.internal_node(*((node, sib) if node.index % 2 == 0 else (sib, node)))
            changed.append(node)
        store.write_nodes(changed, replace=True)
        for chunk in store.pending_proofs(8):
            store.set_proofs(builder.prove_chunk("c1", chunk))
        # Users next to the padding node see nothing wrong ...
        user_proofs = [builder.export_user_proof(store, f"user-{u}", MASTER) for u in range(3)]
        victim = next(q for q in user_proofs if any(step.hash == pad.hash for step in q.path))
        assert victim.path[pad.level].commitments == changed[0].commitments
        _check(victim)
        # ... the auditor opens every padding node to zero.
        with pytest.raises(
            VerificationError, match=rf"padding node \(level {pad.level}, index {pad.index}\).*zero"
        ):
            audit_tree(store)


def test_audit_names_tampered_and_orphan_nodes(tmp_path: Path) -> None:
    summary = _build(tmp_path, [(1,), (2,)], ONE, height=2)
    with EpochStore.open(summary.store_path) as store:
        store.export_tree(tmp_path / "a.sqlite")
        report = audit_tree(store, summary.root_hash, summary.root_commitments)
        assert report.padding == summary.padding
        with pytest.raises(VerificationError, match="root hash mismatch"):
            audit_tree(store, bytes(32))
    for name, sql, message in [
        (
            "hash",
            "UPDATE nodes SET hash = zeroblob(32) WHERE level = 1 AND kind = 1",
            r"internal node \(level 1, index \d\): hash",
        ),
        (
            "orphan",
            "INSERT INTO nodes SELECT 0, 99, kind, commitments, hash, proof"
            " FROM nodes WHERE level = 0 LIMIT 1",
            "without a stored parent",
        ),
        ("proof", "UPDATE nodes SET proof = NULL WHERE level = 2", "range proof missing"),
    ]:
        copy = tmp_path / f"{name}.sqlite"
        shutil.copy(tmp_path / "a.sqlite", copy)
        conn = sqlite3.connect(copy)
        conn.execute(sql)
        conn.commit()
        conn.close()
        with EpochStore.open(copy, readonly=True) as public:
            with pytest.raises(VerificationError, match=message):
                audit_tree(public)


def test_liabilities_opening_names_the_asset(
    built: tuple[builder.BuildSummary, list[InclusionProofFile]],
) -> None:
    summary, _ = built
    verify_liabilities(summary.root_commitments, summary.totals, summary.root_blindings, ["BTC"])
    with pytest.raises(VerificationError, match="BTC"):
        verify_liabilities(
            summary.root_commitments, [summary.totals[0] - 1], summary.root_blindings, ["BTC"]
        )
    with pytest.raises(VerificationError, match="asset 0"):
        verify_liabilities(
            summary.root_commitments, summary.totals, [(summary.root_blindings[0] + 1) % L]
        )
