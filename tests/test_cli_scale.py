"""The command line on a Dask scheduler, and Ctrl-C during a build (exit 130, then resume)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import load, make_keys, ok

from solvency.epoch.synthetic import write_synthetic_ledger


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("scale")
    ledger = tmp / "ledger.csv"
    write_synthetic_ledger(ledger, 40, [("BTC", 8)], seed=5)
    return ledger, make_keys(tmp / "keys")


def _build(ledger: Path, keys: Path, out: Path, *extra: str) -> dict[str, object]:
    args = ["build", ledger, "--epoch", "cli-scale", "--out", out, "--asset", "BTC:8"]
    return json.loads(ok(*args, "--keys", keys, "--json", *extra).stdout)  # type: ignore[no-any-return]


def test_scheduler_option_gives_the_local_root(setup: tuple[Path, Path], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    ledger, keys = setup
    local = _build(ledger, keys, tmp_path / "local", "--workers", "1")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
        host="127.0.0.1", dashboard_address="127.0.0.1:0",
    ) as cluster:  # fmt: skip
        remote = _build(ledger, keys, tmp_path / "dask", "--scheduler", cluster.scheduler_address)
        # The auditor's range-proof checks can run on the cluster too.
        audited = ok("audit", tmp_path / "dask" / "public" / "root.json",
                     "--liabilities", tmp_path / "dask" / "private" / "liabilities.json",
                     "--tree", tmp_path / "dask" / "private" / "epoch.sqlite",
                     "--pubkey", keys / "signing.pub",
                     "--scheduler", cluster.scheduler_address)  # fmt: skip
    assert remote["root_hash"] == local["root_hash"]
    assert (
        load(tmp_path / "dask" / "public" / "root.json")["root"]
        == load(tmp_path / "local" / "public" / "root.json")["root"]
    )
    assert audited.stdout.splitlines()[-1].startswith("VERIFIED: ")


def test_workers_and_scheduler_together_are_refused(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    from cli_support import run

    ledger, keys = setup
    result = run("build", ledger, "--epoch", "x", "--out", tmp_path / "o", "--asset", "BTC:8",
                 "--keys", keys, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")  # fmt: skip
    assert result.exit_code == 2
    assert "not both" in result.output


def _proofs_written(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(
                conn.execute("SELECT count(*) FROM nodes WHERE proof IS NOT NULL").fetchone()[0]
            )
    except sqlite3.Error:  # not created yet, or busy: try again
        return 0


def test_ctrl_c_exits_130_and_the_rerun_resumes(setup: tuple[Path, Path], tmp_path: Path) -> None:
    ledger, keys = setup
    out = tmp_path / "e"
    exe = Path(sys.executable).with_name("solvency")
    cmd: list[str | Path] = [exe, "build", ledger, "--epoch", "cli-scale", "--out", out,
                             "--asset", "BTC:8", "--keys", keys, "--workers", "2"]  # fmt: skip
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)  # fmt: skip
    db = out / "private" / "epoch.sqlite"
    # Wait until proving has started (the database holds a few proofs), then Ctrl-C.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if _proofs_written(db) >= 4:
            break
        time.sleep(0.05)
    assert child.poll() is None, "the build finished before it could be interrupted"
    os.killpg(child.pid, signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "rerun the same command to resume" in stderr
    assert not (out / "public" / "root.json").exists()
    resumed = _build(ledger, keys, out, "--workers", "1")
    assert resumed["status"] == "ok"
    ok("audit", out / "public" / "root.json", "--liabilities", out / "private" / "liabilities.json",
       "--tree", db, "--pubkey", keys / "signing.pub")  # fmt: skip
