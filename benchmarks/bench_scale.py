"""Scale of issue 4: a million-user epoch on this machine, and extrapolation to clusters.

Measured:

- build of ``--users`` users (default 1,000,000) with 1 asset: ledger staged, users placed,
  commitments, hashes and the sparse tree written to SQLite, on every core; wall time
  (target <= 3 minutes on 2 cores) and peak resident memory of the main process and of the
  largest worker (target: within 2 GiB);
- node range-proof throughput with 1 and with 2 worker processes on the same nodes
  (target: speed-up >= 1.8);
- from the measured per-node costs, the wall time of a whole epoch (tree plus every node's
  range proof) for 10^6 and 10^7 users on 2, 64 and 512 cores, assuming the work spreads
  evenly (it is cut into independent subtrees and proof chunks).

Prints a table, writes JSON (benchmarks/out/scale.json) and a chart (benchmarks/out/scale.png).

    python benchmarks/bench_scale.py [--users 1000000] [--proof-nodes 96]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from solvency import __version__
from solvency.epoch import builder
from solvency.epoch.parallel import make_workers, run_tasks
from solvency.epoch.store import EpochStore
from solvency.epoch.synthetic import write_synthetic_ledger
from solvency.files.ledger import AssetSpec

MASTER = bytes(range(32))
EPOCH = "scale-1"
CORES = (2, 64, 512)
USER_COUNTS = (10**6, 10**7)


def _max_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def measure_build(work: Path, users: int) -> dict[str, Any]:
    ledger = work / "ledger.csv"
    start = time.perf_counter()
    write_synthetic_ledger(ledger, users, [("BTC", 8)], seed=11)
    ledger_s = time.perf_counter() - start
    phases: dict[str, float] = {}
    start = time.perf_counter()

    def progress(phase: str, done: int, total: int) -> None:
        phases[phase] = time.perf_counter() - start

    summary = builder.build_epoch(
        ledger, [AssetSpec("BTC", 8)], MASTER, EPOCH, work / "epoch", progress=progress,
        prove=False,
    )  # fmt: skip
    build_s = time.perf_counter() - start
    return {
        "users": users,
        "height": summary.height,
        "nodes": summary.nodes,
        "nodes_per_user": summary.nodes / users,
        "ledger_write_seconds": ledger_s,
        "build_seconds": build_s,
        "users_phase_seconds": phases.get("users", 0.0),
        "tree_phase_seconds": build_s - phases.get("users", 0.0),
        "peak_rss_main_mib": _max_rss_mib(resource.RUSAGE_SELF),
        "peak_rss_largest_worker_mib": _max_rss_mib(resource.RUSAGE_CHILDREN),
        "store_bytes": summary.store_path.stat().st_size,
        "store_path": str(summary.store_path),
    }


def _prove_task(task: tuple[str, list[Any]]) -> int:
    builder.prove_chunk(task[0], task[1])
    return len(task[1])


def measure_proofs(store_path: Path, nodes: int) -> dict[str, Any]:
    with EpochStore.open(store_path, readonly=True) as store:
        sample = next(iter(store.pending_proofs(nodes)))
    chunks = [sample[i : i + 4] for i in range(0, len(sample), 4)]
    out: dict[str, Any] = {"nodes": len(sample)}
    for workers in (1, 2):
        with make_workers(workers) as pool:
            run_tasks(pool, _prove_task, [(EPOCH, chunks[0])]).__next__()  # warm the pool up
            start = time.perf_counter()
            done = sum(run_tasks(pool, _prove_task, ((EPOCH, c) for c in chunks)))
            elapsed = time.perf_counter() - start
        out[f"proofs_per_second_{workers}_workers"] = done / elapsed
    out["speedup_2_workers"] = (
        out["proofs_per_second_2_workers"] / out["proofs_per_second_1_workers"]
    )
    out["proof_seconds_per_node_one_core"] = 1 / out["proofs_per_second_1_workers"]
    return out


def extrapolate(build: dict[str, Any], proofs: dict[str, Any]) -> list[dict[str, Any]]:
    # CPU seconds per user: the tree phase ran on 2 cores, the proofs on one core each.
    tree_cpu_per_user = build["build_seconds"] * 2 / build["users"]
    proof_cpu_per_user = build["nodes_per_user"] * proofs["proof_seconds_per_node_one_core"]
    rows = []
    for users in USER_COUNTS:
        for cores in CORES:
            seconds = users * (tree_cpu_per_user + proof_cpu_per_user) / cores
            rows.append({"users": users, "cores": cores, "hours": seconds / 3600})
    return rows


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    for users in USER_COUNTS:
        pts = [r for r in rows if r["users"] == users]
        ax.plot([r["cores"] for r in pts], [r["hours"] for r in pts], marker="o",
                label=f"{users:,} users")  # fmt: skip
        for r in pts:
            ax.annotate(f"{r['hours']:.1f} h", (r["cores"], r["hours"]), textcoords="offset points",
                        xytext=(4, 4), fontsize=8)  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("cores")
    ax.set_ylabel("wall time of a full epoch (hours)")
    ax.set_title("solvency: epoch build with every node range-proven (1 asset)\n"
                 "extrapolated from per-node costs measured on 2 cores", fontsize=9)  # fmt: skip
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--proof-nodes", type=int, default=96)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "scale.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        build = measure_build(Path(tmp), args.users)
        print(
            f"build {args.users:,} users x 1 asset: {build['build_seconds']:.1f} s "
            f"(users {build['users_phase_seconds']:.1f} s, "
            f"tree {build['tree_phase_seconds']:.1f} s),"
            f" {build['nodes']:,} nodes, peak RSS main {build['peak_rss_main_mib']:.0f} MiB,"
            f" largest worker {build['peak_rss_largest_worker_mib']:.0f} MiB"
        )
        proofs = measure_proofs(Path(build.pop("store_path")), args.proof_nodes)
    print(
        f"node proofs: {proofs['proofs_per_second_1_workers']:.1f}/s with 1 worker, "
        f"{proofs['proofs_per_second_2_workers']:.1f}/s with 2: "
        f"speed-up {proofs['speedup_2_workers']:.2f}x"
    )
    rows = extrapolate(build, proofs)
    print("extrapolated full epoch (tree + every node's range proof):")
    for r in rows:
        print(f"  {r['users']:>10,} users on {r['cores']:>3} cores: {r['hours']:8.2f} h")
    result = {
        "tool": f"solvency {__version__}",
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "targets": {"build_seconds": 180, "peak_rss_mib": 2048, "speedup_2_workers": 1.8},
        "build": build,
        "proofs": proofs,
        "extrapolation": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    png = args.out.with_suffix(".png")
    chart(rows, png)
    print(f"wrote {args.out} and {png}")


if __name__ == "__main__":
    main()
