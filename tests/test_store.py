"""solvency.epoch.store and the resumable builder: round trips, big indices, refusals, export,
and interrupted builds that resume to the same tree."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from solvency.crypto import derive
from solvency.epoch import builder, tree
from solvency.epoch.store import STATE_COMPLETE, EpochStore, _signed_ranges
from solvency.epoch.tree import NodeKind, TreeContext, UserLeaf
from solvency.errors import InvalidParameterError, MalformedInputError, UnsupportedVersionError
from solvency.files.ledger import AssetSpec, LedgerRow, write_ledger

MASTER = bytes(range(32))
ASSETS = (AssetSpec("BTC", 8),)


def _new_store(path: Path, height: int = 3, a: int = 1) -> EpochStore:
    return EpochStore.create(
        path, epoch="s1", height=height, assets=[(f"A{k}", 2) for k in range(a)]
    )


def _ledger(path: Path, n: int, assets: tuple[AssetSpec, ...] = ASSETS) -> Path:
    rows = [
        LedgerRow(f"user-{i}", tuple(i * 10 + k for k in range(len(assets))), i + 2)
        for i in range(n)
    ]
    write_ledger(path, assets, rows)
    return path


def test_round_trip_nodes_users_and_paths(tmp_path: Path) -> None:
    ctx = TreeContext.create(derive.epoch_secret(MASTER, "s1"), 3, 2)
    users = [UserLeaf("a", 1, (5, 6)), UserLeaf("b", 6, (7, 0))]
    nodes, root = tree.build_tree(users, ctx)
    with _new_store(tmp_path / "e.sqlite", a=2) as store:
        assert store.write_users(users) == 2
        assert store.write_nodes(nodes) == len(nodes)
        assert store.user("b") == users[1]
        assert store.user("zz") is None
        assert store.users_in_range(0, 8) == users
        assert store.users_in_range(2, 6) == []
        for n in nodes:
            assert store.full_node(n.level, n.index) == n
        assert store.root().hash == root.hash
        assert [n.index for n in store.level_nodes(0)] == sorted(
            n.index for n in nodes if n.level == 0
        )
        path = store.sibling_path(6)
        assert [(p.level, p.index) for p in path] == [(0, 7), (1, 2), (2, 0)]
        assert store.count_pending() == len(nodes)
        chunks = list(store.pending_proofs(4))
        assert sum(len(c) for c in chunks) == len(nodes)
        store.set_proofs([(p.level, p.index, b"proof") for p in chunks[0]])
        assert store.count_pending() == len(nodes) - len(chunks[0])
        stored = store.node(chunks[0][0].level, chunks[0][0].index)
        assert stored is not None and stored.proof == b"proof"
        with pytest.raises(InvalidParameterError):
            store.sibling_path(8)


def test_indices_at_and_above_2_63_keep_unsigned_order(tmp_path: Path) -> None:
    assert _signed_ranges(2**63 - 2, 2**63 + 2) == [
        (2**63 - 2, 2**63 - 1),
        (-(2**63), -(2**63) + 1),
    ]
    ctx = TreeContext.create(derive.epoch_secret(MASTER, "s1"), 64, 1)
    positions = [0, 2**63 - 1, 2**63, 2**64 - 1]
    users = [UserLeaf(f"u{i}", p, (i,)) for i, p in enumerate(positions)]
    nodes, _ = tree.build_tree(users, ctx)
    with _new_store(tmp_path / "big.sqlite", height=64) as store:
        store.write_users(users)
        store.write_nodes(nodes)
        assert store.users_in_range(0, 2**64) == users
        assert store.users_in_range(2**63, 2**64) == users[2:]
        assert [n.index for n in store.level_nodes(0)] == sorted(
            n.index for n in nodes if n.level == 0
        )
        assert store.full_node(0, 2**64 - 1) == next(n for n in nodes if n.index == 2**64 - 1)
        assert len(store.sibling_path(2**64 - 1)) == 64
        assert sorted(store.iter_positions()) == positions


def test_refuses_foreign_files_and_versions(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(MalformedInputError, match=r"junk\.sqlite"):
        EpochStore.open(junk)
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()
    with pytest.raises(MalformedInputError, match=r"other\.sqlite"):
        EpochStore.open(other, readonly=True)
    with pytest.raises(MalformedInputError, match=r"missing\.sqlite"):
        EpochStore.open(tmp_path / "missing.sqlite")
    path = tmp_path / "v.sqlite"
    _new_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(UnsupportedVersionError):
        EpochStore.open(path)
    with pytest.raises(InvalidParameterError):
        _new_store(path)  # exists


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    _new_store(path).close()
    with EpochStore.open(path, readonly=True) as store:
        with pytest.raises(InvalidParameterError):
            store.set_meta({"state": "tree"})


def _count(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_build_export_and_interrupted_resume(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "ledger.csv", 5)
    ref = builder.build_epoch(ledger, ASSETS, MASTER, "s1", tmp_path / "ref", subtree_level=1)
    assert ref.users == 5 and ref.totals == (100,)
    assert ref.range_proofs == ref.nodes == ref.leaves + ref.internal + ref.padding

    class StopError(Exception):
        pass

    def stop_after(phase: str, count: int) -> builder.Progress:
        def progress(p: str, done: int, total: int) -> None:
            if p == phase and done >= count and done < total:
                raise StopError

        return progress

    out = tmp_path / "resumed"
    with pytest.raises(StopError):
        builder.build_epoch(
            ledger, ASSETS, MASTER, "s1", out, progress=stop_after("tree", 2), subtree_level=1
        )
    db = builder.store_path(out)
    assert _count(db, "SELECT count(*) FROM nodes") > 0
    with pytest.raises(StopError):
        builder.build_epoch(
            ledger, ASSETS, MASTER, "s1", out, progress=stop_after("proofs", 3), chunk_size=3
        )
    pending = _count(db, "SELECT count(*) FROM nodes WHERE proof IS NULL")
    assert 0 < pending < ref.nodes
    seen: list[tuple[str, int, int]] = []
    done = builder.build_epoch(
        ledger, ASSETS, MASTER, "s1", out, progress=lambda *a: seen.append(a), chunk_size=3
    )
    # Only the pending proofs were made on the last run: the proofs phase starts where the
    # interrupted run stopped, and its first chunk adds to that.
    proof_reports = [s[1] for s in seen if s[0] == "proofs"]
    assert proof_reports[0] == ref.nodes - pending
    assert proof_reports[1] == ref.nodes - pending + min(3, pending)
    assert (done.root_hash, done.root_commitments, done.root_blindings) == (
        ref.root_hash,
        ref.root_commitments,
        ref.root_blindings,
    )
    assert done.nodes == ref.nodes and done.range_proofs == ref.nodes
    # A finished build reruns as a no-op.
    again = builder.build_epoch(ledger, ASSETS, MASTER, "s1", out)
    assert again.root_hash == ref.root_hash

    exported = tmp_path / "audit.sqlite"
    with EpochStore.open(db) as store:
        assert store.state == STATE_COMPLETE
        store.export_tree(exported)
        with pytest.raises(InvalidParameterError):
            store.export_tree(exported)
    assert _count(exported, "SELECT count(*) FROM users") == 0
    assert _count(exported, "SELECT count(*) FROM openings WHERE values_ IS NOT NULL") == 0
    assert _count(exported, "SELECT count(*) FROM openings") == ref.padding
    assert _count(exported, "SELECT count(*) FROM nodes WHERE proof IS NOT NULL") == ref.nodes
    assert _count(exported, "SELECT count(*) FROM meta WHERE key = 'secret_check'") == 0
    with EpochStore.open(exported, readonly=True) as public:
        assert public.root().hash == ref.root_hash
        assert public.meta("contents") == "public"
        assert public.opening(ref.height, 0) is None


def test_resume_refuses_other_inputs(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "ledger.csv", 3)
    out = tmp_path / "out"

    class StopError(Exception):
        pass

    def stop(phase: str, done: int, total: int) -> None:
        raise StopError

    with pytest.raises(StopError):
        builder.build_epoch(ledger, ASSETS, MASTER, "s1", out, progress=stop)
    with pytest.raises(InvalidParameterError, match="secret"):
        builder.build_epoch(ledger, ASSETS, bytes(32), "s1", out)
    with pytest.raises(InvalidParameterError, match="epoch"):
        builder.build_epoch(ledger, ASSETS, MASTER, "s2", out)
    with pytest.raises(InvalidParameterError, match="height"):
        builder.build_epoch(ledger, ASSETS, MASTER, "s1", out, height=5)
    other = _ledger(tmp_path / "other.csv", 4)
    with pytest.raises(InvalidParameterError, match="ledger"):
        builder.build_epoch(other, ASSETS, MASTER, "s1", out)


def test_export_user_proof_checks(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "ledger.csv", 2)
    summary = builder.build_epoch(ledger, ASSETS, MASTER, "s1", tmp_path / "o", height=2)
    with EpochStore.open(summary.store_path, readonly=True) as store:
        proof = builder.export_user_proof(store, "user-1", MASTER)
        assert proof.balances == (10,) and len(proof.path) == 2 == proof.height
        assert proof.user_secret == derive.user_secret(derive.epoch_secret(MASTER, "s1"), "user-1")
        assert proof.root.hash == summary.root_hash
        with pytest.raises(InvalidParameterError):
            builder.export_user_proof(store, "nobody", MASTER)
        with pytest.raises(InvalidParameterError):
            builder.export_user_proof(store, "user-1", bytes(32))
        assert store.count_nodes(NodeKind.LEAF) == 2
