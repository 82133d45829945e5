"""Proof-of-liabilities costs of issue 3, for 1 and for 3 assets.

Measured (medians of ``--repeat`` runs where a run is short):

- build: ledger -> users placed -> commitments, hashes and the whole sparse tree in SQLite,
  for ``--users`` users at the default height, on every core (target, 1 asset, 100,000 users:
  <= 20 s);
- node range proofs per second per core: ``prove_chunk`` in this process on nodes of that tree
  (target >= 25 per second per core, 1 asset);
- exporting one user's inclusion proof (target <= 10 ms) and verifying it, the work
  ``solvency verify`` does inside the process (parse, leaf, path, batched range proofs of the
  siblings, root; target <= 150 ms), on a tree of height 21: once the library calls alone,
  once through the command's own code path (files read, root compared, signature checked).
  Only the 21 siblings of that user's path get range proofs (proving the whole tree would
  take hours in Python); the database is this benchmark's own.

Prints a table and writes JSON (benchmarks/out/tree.json unless ``--out`` says otherwise).

    python benchmarks/bench_tree.py [--users 100000] [--assets 1 3] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from solvency import __version__
from solvency.circuits.inclusion import verify_inclusion
from solvency.cli.verify_cmd import verify_proof_file
from solvency.epoch import builder
from solvency.epoch.parallel import default_workers
from solvency.epoch.store import EpochStore
from solvency.epoch.synthetic import write_synthetic_ledger
from solvency.epoch.tree import sibling_index
from solvency.files import formats, signing
from solvency.files.formats import InclusionProofFile
from solvency.files.ledger import AssetSpec

ASSET_SETS = {1: [("BTC", 8)], 3: [("BTC", 8), ("ETH", 9), ("USDT", 6)]}
MASTER = bytes(range(32))
PATH_HEIGHT = 21
PROOF_SAMPLE = 24


def _median_time(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_build(work: Path, users: int, assets: list[tuple[str, int]]) -> dict[str, Any]:
    ledger = work / f"ledger-{users}-{len(assets)}.csv"
    write_synthetic_ledger(ledger, users, assets, seed=7)
    specs = [AssetSpec(s, d) for s, d in assets]
    out = work / f"build-{users}-{len(assets)}"
    start = time.perf_counter()
    summary = builder.build_epoch(ledger, specs, MASTER, "bench-1", out, prove=False)
    build_s = time.perf_counter() - start

    # Node proofs: a sample of the tree's nodes, proven in this process (one core).
    with EpochStore.open(summary.store_path, readonly=True) as store:
        chunk = next(iter(store.pending_proofs(PROOF_SAMPLE)))
    start = time.perf_counter()
    builder.prove_chunk("bench-1", chunk)
    prove_s = time.perf_counter() - start
    shutil.rmtree(out)
    return {
        "users": users,
        "height": summary.height,
        "nodes": summary.nodes,
        "nodes_per_user": summary.nodes / users,
        "build_seconds": build_s,
        "build_workers": default_workers(),
        "node_proofs_per_second_per_core": len(chunk) / prove_s,
        "node_proof_ms": 1e3 * prove_s / len(chunk),
    }


def measure_path(work: Path, assets: list[tuple[str, int]], repeat: int) -> dict[str, Any]:
    ledger = work / f"path-ledger-{len(assets)}.csv"
    write_synthetic_ledger(ledger, 1000, assets, seed=8)
    specs = [AssetSpec(s, d) for s, d in assets]
    out = work / f"path-{len(assets)}"
    summary = builder.build_epoch(
        ledger, specs, MASTER, "bench-1", out, height=PATH_HEIGHT, prove=False
    )
    with EpochStore.open(summary.store_path) as store:
        user_id = "user-8-00000000"
        user = store.user(user_id)
        assert user is not None
        # Prove just the siblings on this user's path, then mark the benchmark's database
        # complete so that the ordinary export runs.
        wanted = {(lv, sibling_index(user.position, lv)) for lv in range(PATH_HEIGHT)}
        chunk = [p for c in store.pending_proofs(256) for p in c if (p.level, p.index) in wanted]
        store.set_proofs(builder.prove_chunk("bench-1", chunk))
        store.set_meta({"state": "complete"})
        export_s = _median_time(
            lambda: builder.export_user_proof(store, user_id, MASTER).dumps(), repeat
        )
        data = builder.export_user_proof(store, user_id, MASTER).dumps()

    def verify() -> None:
        f = InclusionProofFile.loads(data)
        verify_inclusion(
            f.user_id, f.balances, f.user_secret, f.position, f.path,
            summary.root_hash, summary.root_commitments, f.epoch, f.assets,
        )  # fmt: skip

    verify_s = _median_time(verify, repeat)

    # The same through `solvency verify`'s code path: files read, root and signature checked.
    sk, vk = signing.generate_keypair()
    root = formats.RootFile(
        epoch="bench-1", created=formats.rfc3339_utc(), tool=f"solvency {__version__}",
        height=summary.height, range_bits=64, assets=summary.assets,
        root=formats.RootCommitment(summary.root_hash, summary.root_commitments), totals=None,
    )  # fmt: skip
    files = {"proof.json": data, "root.json": root.dumps(), "signing.pub": vk.to_pem()}
    files["root.json.sig"] = signing.encode_signature(sk.sign(files["root.json"]))
    for name, content in files.items():
        (work / name).write_bytes(content)

    def verify_command() -> None:
        outcome = verify_proof_file(
            work / "proof.json", work / "root.json", work / "root.json.sig", work / "signing.pub"
        )
        if outcome.error is not None:
            raise SystemExit(f"verification failed: {outcome.error}")

    command_s = _median_time(verify_command, repeat)
    shutil.rmtree(out)
    return {
        "height": PATH_HEIGHT,
        "proof_file_bytes": len(data),
        "export_ms": 1e3 * export_s,
        "verify_ms": 1e3 * verify_s,
        "verify_command_ms": 1e3 * command_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--assets", type=int, nargs="+", default=[1, 3], choices=[1, 3])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "tree.json")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "tool": f"solvency {__version__}",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "targets": {
            "build_seconds (1 asset, 100000 users)": 20,
            "node_proofs_per_second_per_core (1 asset)": 25,
            "export_ms": 10,
            "verify_ms (height 21)": 150,
        },
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for a in args.assets:
            assets = ASSET_SETS[a]
            run = {"build": measure_build(work, args.users, assets)}
            run["path"] = measure_path(work, assets, args.repeat)
            results["runs"][f"{a} asset{'s' if a > 1 else ''}"] = run
            b, p = run["build"], run["path"]
            print(
                f"{a} asset(s), {args.users} users: build {b['build_seconds']:.1f} s "
                f"({b['nodes']} nodes, {b['build_workers']} workers); "
                f"node proofs {b['node_proofs_per_second_per_core']:.1f}/s/core "
                f"({b['node_proof_ms']:.1f} ms each); export {p['export_ms']:.2f} ms; "
                f"verify height {p['height']} {p['verify_ms']:.1f} ms "
                f"({p['verify_command_ms']:.1f} ms through `solvency verify`)"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
