"""Issue 4: the build is the same on 1 worker, several workers, any Executor and Dask; it
survives being killed; its memory does not grow with the number of users."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from solvency.epoch import builder
from solvency.epoch.audit import audit_tree
from solvency.epoch.store import EpochStore
from solvency.epoch.synthetic import write_synthetic_ledger
from solvency.files.ledger import AssetSpec

MASTER = bytes(range(32))
ASSETS = [AssetSpec("BTC", 8)]


def _tree_rows(db: Path) -> list[tuple[int, int, int, bytes, bytes]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT level, idx, kind, commitments, hash FROM nodes ORDER BY level, idx"
        ).fetchall()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "ledger.csv"
    write_synthetic_ledger(path, 40, [("BTC", 8)], seed=3)
    return path


@pytest.fixture(scope="module")
def reference(ledger: Path, tmp_path_factory: pytest.TempPathFactory) -> builder.BuildSummary:
    out = tmp_path_factory.mktemp("ref")
    return builder.build_epoch(ledger, ASSETS, MASTER, "par-1", out, workers=1, subtree_level=2)


def test_one_worker_build_audits(reference: builder.BuildSummary) -> None:
    with EpochStore.open(reference.store_path, readonly=True) as store:
        report = audit_tree(store, reference.root_hash, reference.root_commitments)
    assert report.range_proofs == reference.nodes


def test_process_pool_gives_the_same_tree(
    ledger: Path, reference: builder.BuildSummary, tmp_path: Path
) -> None:
    summary = builder.build_epoch(
        ledger, ASSETS, MASTER, "par-1", tmp_path, workers=2, subtree_level=2
    )
    assert summary.root_hash == reference.root_hash
    assert summary.root_commitments == reference.root_commitments
    assert _tree_rows(summary.store_path) == _tree_rows(reference.store_path)
    with EpochStore.open(summary.store_path, readonly=True) as store:
        assert audit_tree(store, summary.root_hash, summary.root_commitments).range_proofs == (
            summary.nodes
        )


def test_any_executor_and_other_subtree_cuts_give_the_same_tree(
    ledger: Path, reference: builder.BuildSummary, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        summary = builder.build_epoch(
            ledger, ASSETS, MASTER, "par-1", tmp_path, executor=pool, subtree_level=4, prove=False
        )
    assert summary.root_hash == reference.root_hash
    assert _tree_rows(summary.store_path) == _tree_rows(reference.store_path)


def test_dask_cluster_gives_the_same_result(
    ledger: Path, reference: builder.BuildSummary, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    # processes=False keeps the workers in this process; tcp gives a real scheduler address.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
        host="127.0.0.1", dashboard_address="127.0.0.1:0",
    ) as cluster:  # fmt: skip
        summary = builder.build_epoch(
            ledger,
            ASSETS,
            MASTER,
            "par-1",
            tmp_path,
            scheduler=cluster.scheduler_address,
            subtree_level=2,
        )
    assert summary.root_hash == reference.root_hash
    assert summary.root_commitments == reference.root_commitments
    assert _tree_rows(summary.store_path) == _tree_rows(reference.store_path)
    with EpochStore.open(summary.store_path, readonly=True) as store:
        report = audit_tree(store, summary.root_hash, summary.root_commitments)
    assert report.range_proofs == summary.nodes


_CHILD = textwrap.dedent(
    """
    import sys
    from solvency.epoch import builder
    from solvency.files.ledger import AssetSpec

    def progress(phase, done, total):
        print(phase, done, total, flush=True)

    builder.build_epoch(sys.argv[1], [AssetSpec("BTC", 8)], bytes(range(32)), "par-1",
                        sys.argv[2], workers=2, subtree_level=2, chunk_size=4,
                        progress=progress)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killed_during_proving_then_resumed(
    ledger: Path, reference: builder.BuildSummary, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(ledger), str(out)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert child.stdout is not None
    deadline = time.monotonic() + 120
    killed_at = None
    for line in child.stdout:
        phase, *rest = line.split()
        if phase == "proofs" and int(rest[0]) >= 8:
            os.killpg(child.pid, sig)  # the whole group: the pool's workers too
            killed_at = int(rest[0])
            break
        if time.monotonic() > deadline:
            break
    child.wait(timeout=60)
    assert killed_at is not None, "the build finished before it could be interrupted"
    assert child.returncode != 0
    db = builder.store_path(out)
    with sqlite3.connect(db) as conn:
        pending = conn.execute("SELECT count(*) FROM nodes WHERE proof IS NULL").fetchone()[0]
    assert 0 < pending < reference.nodes

    resumed = builder.build_epoch(ledger, ASSETS, MASTER, "par-1", out, workers=1, subtree_level=2)
    assert resumed.root_hash == reference.root_hash
    assert resumed.root_commitments == reference.root_commitments
    assert resumed.range_proofs == resumed.nodes
    with EpochStore.open(db, readonly=True) as store:
        report = audit_tree(store, resumed.root_hash, resumed.root_commitments)
    assert report.range_proofs == resumed.nodes


def _peak_python_memory(users: int, tmp_path: Path) -> int:
    ledger = tmp_path / f"ledger-{users}.csv"
    write_synthetic_ledger(ledger, users, [("BTC", 8)], seed=users)
    tracemalloc.start()
    try:
        builder.build_epoch(
            ledger, ASSETS, MASTER, "mem-1", tmp_path / f"out-{users}",
            workers=1, subtree_level=8, prove=False,
        )  # fmt: skip
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The streaming build keeps no Python object per user: the ledger is staged in SQLite,
    # positions use a bitmap of 2^H bits, and one subtree of 2^8 leaves is built at a time.
    # Its memory is constant buffers (write batches, shrunk here so that both ledgers fill
    # them), the bitmap, and the part of the tree above the subtrees (2^(H - 8) subtree roots
    # and about as many nodes above them, under 1 KiB each). Beyond those, ten times the
    # users must cost less than 20 bytes of Python heap per added user; holding each row as
    # Python objects would cost several hundred.
    monkeypatch.setattr("solvency.epoch.staging._BATCH", 256)
    monkeypatch.setattr("solvency.epoch.store._BATCH", 256)
    small, large = 1_500, 15_000
    peak_small = _peak_python_memory(small, tmp_path)
    peak_large = _peak_python_memory(large, tmp_path)
    bitmap = (1 << 15) // 8  # H = 15 for 15,000 users
    upper_tree = 2 * (1 << (15 - 8)) * 1024
    assert peak_large - peak_small < 20 * (large - small) + bitmap + upper_tree


def test_audit_on_workers_matches_and_names_a_bad_proof(
    reference: builder.BuildSummary, tmp_path: Path
) -> None:
    from solvency.epoch.parallel import make_workers
    from solvency.errors import VerificationError

    with EpochStore.open(reference.store_path, readonly=True) as store:
        alone = audit_tree(store, reference.root_hash, reference.root_commitments)
        with make_workers(2) as pool:
            spread = audit_tree(
                store, reference.root_hash, reference.root_commitments, chunk_size=8, workers=pool
            )
    assert spread == alone
    # A cheating exchange swaps two nodes' proofs in the tree it hands the auditor.
    copy = tmp_path / "tree.sqlite"
    with EpochStore.open(reference.store_path, readonly=True) as store:
        store.export_tree(copy)
    with sqlite3.connect(copy) as conn:
        (a, pa), (b, pb) = conn.execute(
            "SELECT idx, proof FROM nodes WHERE level = 1 ORDER BY idx LIMIT 2"
        ).fetchall()
        conn.execute("UPDATE nodes SET proof = ? WHERE level = 1 AND idx = ?", (pb, a))
        conn.execute("UPDATE nodes SET proof = ? WHERE level = 1 AND idx = ?", (pa, b))
    with EpochStore.open(copy, readonly=True) as store, make_workers(2) as pool:
        with pytest.raises(VerificationError, match=rf"node \(level 1, index {a}\)"):
            audit_tree(store, chunk_size=8, workers=pool)
