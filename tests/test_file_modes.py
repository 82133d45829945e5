"""Every file and folder the commands write has the mode of the table below, whatever the umask.

A subprocess sets its umask (000: a plain ``open`` would make 0666 files; 022: the usual one),
then runs init, build, prove --user and --all, export-tree, demo --keep and the log commands
in-process, plus one library build that records the private folder while the build runs (the
staging file, SQLite's -wal and -shm files exist only then). It reports the mode of every path
it saw; each must match exactly one expected mode here, and nothing may be left unclassified.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PRIVATE_DIR, PRIVATE_FILE, PUBLIC_DIR, PUBLIC_FILE = 0o700, 0o600, 0o755, 0o644

# (pattern, mode): the first matching pattern decides. Patterns are relative to the work folder.
TABLE: list[tuple[str, int]] = [
    # the exchange's keys
    ("keys", PRIVATE_DIR),
    ("keys/signing.pub", PUBLIC_FILE),
    ("keys/*", PRIVATE_FILE),
    # the ledger (the test writes it through files.ledger.write_ledger)
    ("ledger.csv", PRIVATE_FILE),
    # build: public/ is published, private/ holds the tree database and liabilities
    ("out", PUBLIC_DIR),
    ("out/public", PUBLIC_DIR),
    ("out/public/*", PUBLIC_FILE),
    ("out/private", PRIVATE_DIR),
    ("out/private/*", PRIVATE_FILE),
    ("live", PUBLIC_DIR),
    ("live/private", PRIVATE_DIR),
    ("live/private/*", PRIVATE_FILE),
    # prove: each file holds its user's secret
    ("alice.json", PRIVATE_FILE),
    ("proofs", PRIVATE_DIR),
    ("proofs/*", PRIVATE_FILE),
    # export-tree: handed to the auditor, not published
    ("auditor-tree.sqlite", PRIVATE_FILE),
    # the epoch log and its proofs are public
    ("log", PUBLIC_DIR),
    ("log/entries", PUBLIC_DIR),
    ("log/checkpoints", PUBLIC_DIR),
    ("log/*", PUBLIC_FILE),
    ("log/entries/*", PUBLIC_FILE),
    ("log/checkpoints/*", PUBLIC_FILE),
    ("inclusion.json", PUBLIC_FILE),
    ("consistency.json", PUBLIC_FILE),
    # demo --keep: a private folder with the same layout inside
    ("demo", PRIVATE_DIR),
    ("demo/keys", PRIVATE_DIR),
    ("demo/keys/signing.pub", PUBLIC_FILE),
    ("demo/keys/*", PRIVATE_FILE),
    ("demo/ledger.csv", PRIVATE_FILE),
    ("demo/epoch", PUBLIC_DIR),
    ("demo/epoch/public", PUBLIC_DIR),
    ("demo/epoch/public/*", PUBLIC_FILE),
    ("demo/epoch/private", PRIVATE_DIR),
    ("demo/epoch/private/*", PRIVATE_FILE),
    ("demo/proofs", PRIVATE_DIR),
    ("demo/proofs/*", PRIVATE_FILE),
    # published with the epoch: the reserves file and the signed solvency proof
    ("demo/reserves.csv", PUBLIC_FILE),
    ("demo/solvency.json", PUBLIC_FILE),
    ("demo/solvency.json.sig", PUBLIC_FILE),
    ("demo/auditor-tree.sqlite", PRIVATE_FILE),
    ("demo/tampered-*.json", PRIVATE_FILE),
]

SCENARIO = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    os.umask(int(sys.argv[1], 8))
    work = Path(sys.argv[2])
    from solvency.cli.app import cli
    from solvency.epoch.builder import build_epoch
    from solvency.epoch.store import EpochStore
    from solvency.files import signing
    from solvency.files.ledger import AssetSpec, LedgerRow, write_ledger

    seen = {}

    def record():
        for p in sorted(work.rglob("*")):
            if p.name.startswith(".") and p.name.endswith(".tmp"):
                continue  # a finished atomic write leaves none; one in flight is 0600
            rel = p.relative_to(work).as_posix()
            seen.setdefault(rel, set()).add(p.lstat().st_mode & 0o7777)

    def run(*args):
        try:
            cli.main([str(a) for a in args], prog_name="solvency", standalone_mode=False)
        except SystemExit as e:
            if e.code:
                raise
        record()

    assets = [AssetSpec("BTC", 8), AssetSpec("ETH", 9)]
    rows = [LedgerRow(u, (i + 1, 2 * i), i + 2) for i, u in enumerate(["alice", "bob", "cy"])]
    write_ledger(work / "ledger.csv", assets, rows)
    run("init", "--dir", work / "keys")
    build = ["build", work / "ledger.csv", "--epoch", "2026-01", "--out", work / "out",
             "--asset", "BTC:8", "--asset", "ETH:9", "--keys", work / "keys", "--workers", "1",
             "-q"]
    run(*build)
    run(*build)  # a rerun rewrites nothing, with the same modes
    run("prove", work / "out", "--user", "alice", "--out", work / "alice.json",
        "--keys", work / "keys")
    run("prove", work / "out", "--all", "--out", work / "proofs", "--keys", work / "keys", "-q")
    run("export-tree", work / "out", "--out", work / "auditor-tree.sqlite")
    run("log", "append", work / "log", work / "out", "--keys", work / "keys")
    run("log", "prove", work / "log", "--epoch", "2026-01", "--out", work / "inclusion.json")
    run("log", "consistency", work / "log", "--from", "1", "--out", work / "consistency.json")
    run("demo", "--users", "5", "--assets", "1", "--proofs", "1", "--workers", "1",
        "--keep", work / "demo", "-q")

    # While a build runs: the staging file and SQLite's journals, seen from its progress.
    master = signing.load_master_secret(work / "keys" / "master.key")
    build_epoch(work / "ledger.csv", assets, master, "2026-02", work / "live",
                progress=lambda phase, done, total: record(), workers=1)
    # A writable connection in WAL mode: the -wal and -shm files exist while it is open.
    with EpochStore.open(work / "out" / "private" / "epoch.sqlite") as store:
        store.count_users()
        record()
    print(json.dumps({k: sorted(v) for k, v in seen.items()}))
    """
)


def expected_mode(rel: str) -> int | None:
    for pattern, mode in TABLE:
        if fnmatch.fnmatchcase(rel, pattern) and rel.count("/") == pattern.count("/"):
            return mode
    return None


@pytest.mark.parametrize("umask", ["000", "022"])
def test_every_written_path_has_its_table_mode(tmp_path: Path, umask: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, umask, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen: dict[str, list[int]] = json.loads(done.stdout.strip().splitlines()[-1])
    # The scenario really produced the files whose modes are the point of this test.
    for must in (
        "out/private/epoch.sqlite",
        "out/private/epoch.sqlite-wal",
        "out/private/epoch.sqlite-shm",
        "live/private/.ledger-staging.sqlite",
        "out/private/liabilities.json",
        "out/public/root.json",
        "proofs/alice.json",
        "demo/ledger.csv",
        "log/checkpoint",
    ):
        assert must in seen, f"the scenario did not write {must}"
    wrong = {}
    for rel, modes in seen.items():
        want = expected_mode(rel)
        assert want is not None, f"{rel}: not in the table of public and private paths"
        if modes != [want]:
            wrong[rel] = (f"{want:o}", [f"{m:o}" for m in modes])
    assert not wrong, f"umask {umask}: path -> (expected, seen) {wrong}"
