"""The cost of margin (issue 9, docs/PROTOCOL.md section 10): the same ledger built with and
without margin.

A synthetic margin ledger of ``--users`` users and ``--assets`` assets (about a third borrow,
some at exact cover) is built as a margin epoch; the same ledger with every debt set to zero
(what an exchange without margin could publish) is built as a version 1 epoch. Both builds
run in this process (``workers=1``), alternated ``--repeat`` times so machine noise hits both
alike; the figures are medians, and the ratio is taken within each pair of runs.

Per epoch it reports: build time (users, tree, proofs), nodes, node range proofs per user,
the aggregation size of each node proof (m = a or 2a rounded up to a power of two),
collateral proofs per user (one per level-0 node), the size of a user's proof file, and a
user's verify time (median over the users).

Prints a table and writes JSON (benchmarks/results/margin.json unless ``--out`` says
otherwise).

    python benchmarks/bench_margin.py [--users 128] [--assets 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from solvency.circuits.inclusion import verify_inclusion, verify_margin_inclusion
from solvency.circuits.range import aggregation_size
from solvency.crypto import group
from solvency.epoch.builder import build_epoch, export_user_proof
from solvency.epoch.store import EpochStore
from solvency.epoch.synthetic import write_synthetic_margin_ledger
from solvency.files.ledger import AssetSpec
from solvency.files.margin import MarginAsset, MarginParams

ROOT = Path(__file__).resolve().parent.parent
ASSETS = (("BTC", 8, "60000", "0.95"), ("ETH", 9, "3000", "0.9"), ("USDT", 6, "1", "1"),
          ("SOL", 9, "150", "0.8"))  # fmt: skip


def _strip_debts(src: Path, dst: Path) -> int:
    """The same ledger with every debt set to zero; returns how many amounts were debts."""
    debts = 0
    with open(src, encoding="utf-8", newline="") as fin, open(dst, "w", encoding="utf-8",
                                                                newline="") as fout:  # fmt: skip
        writer = csv.writer(fout, lineterminator="\n")
        for i, row in enumerate(csv.reader(fin)):
            if i:
                debts += sum(x.startswith("-") for x in row[1:])
                row = [row[0], *("0" if x.startswith("-") else x for x in row[1:])]
            writer.writerow(row)
    return debts


def _run(ledger: Path, specs: list[AssetSpec], margin: MarginParams | None, out: Path,
         users: int) -> dict[str, Any]:  # fmt: skip
    # One master secret for both epochs: the same users at the same leaves, the same shape.
    master = hashlib.sha256(b"bench-margin").digest()
    phases: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        phases[phase] = phases.get(phase, 0.0) + now - last[0]
        last[0] = now

    start = time.perf_counter()
    s = build_epoch(ledger, specs, master, "b1", out, workers=1, progress=progress,
                    margin=margin)  # fmt: skip
    build = time.perf_counter() - start
    a = len(specs)
    verify_times, sizes = [], []
    with EpochStore.open(s.store_path) as store:
        ids = list(store.iter_user_ids())
        for uid in ids[: min(16, len(ids))]:
            p = export_user_proof(store, uid, master)
            sizes.append(len(p.dumps()))
            t0 = time.perf_counter()
            if margin is None:
                verify_inclusion(p.user_id, p.balances, p.user_secret, p.position, p.path,
                                 s.root_hash, s.root_commitments, "b1", p.assets)  # fmt: skip
            else:
                assert p.collateral is not None and p.sibling_collateral is not None
                verify_margin_inclusion(
                    p.user_id, p.balances, p.user_secret, p.position, p.path, s.root_hash,
                    s.root_commitments, "b1", p.assets, margin.weights(specs),
                    p.collateral.pair, p.sibling_collateral.pair,
                )  # fmt: skip
            verify_times.append(time.perf_counter() - t0)
    return {
        "build_s": build,
        "phases_s": phases,
        "nodes": s.nodes,
        "height": s.height,
        "node_proofs_per_user": s.range_proofs / users,
        "values_per_node_proof": aggregation_size(a * (2 if margin else 1)),
        "collateral_proofs": s.collateral_proofs,
        "collateral_proofs_per_user": s.collateral_proofs / users,
        "proof_file_bytes_median": statistics.median(sizes),
        "verify_s_median": statistics.median(verify_times),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=128)
    ap.add_argument("--assets", type=int, default=3, choices=range(2, len(ASSETS) + 1))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "margin.json")
    args = ap.parse_args()
    specs = [AssetSpec(s, d) for s, d, _, _ in ASSETS[: args.assets]]
    margin = MarginParams("USD", tuple(MarginAsset(s, p, h) for s, _, p, h in
                                       ASSETS[: args.assets]))  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {"margin": [], "plain": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mledger, pledger = work / "margin.csv", work / "plain.csv"
        write_synthetic_margin_ledger(mledger, args.users, [(x.symbol, x.decimals) for x in specs],
                                      margin.weights(specs), args.seed)  # fmt: skip
        debts = _strip_debts(mledger, pledger)
        for i in range(args.repeat):
            for kind in ("plain", "margin"):  # alternated: noise hits both alike
                out = work / f"{kind}-{i}"
                r = _run(mledger if kind == "margin" else pledger, specs,
                         margin if kind == "margin" else None, out, args.users)  # fmt: skip
                runs[kind].append(r)
                print(f"run {i + 1}/{args.repeat} {kind:<6} build {r['build_s']:7.2f} s, "
                      f"verify {1e3 * r['verify_s_median']:6.1f} ms")  # fmt: skip
    ratios = [m["build_s"] / p["build_s"] for m, p in zip(runs["margin"], runs["plain"],
                                                           strict=True)]  # fmt: skip
    vratios = [m["verify_s_median"] / p["verify_s_median"] for m, p in
               zip(runs["margin"], runs["plain"], strict=True)]  # fmt: skip

    def med(kind: str, key: str) -> float:
        return float(statistics.median(r[key] for r in runs[kind]))

    summary = {
        kind: {
            "build_s_median": med(kind, "build_s"),
            "proofs_phase_s_median": float(
                statistics.median(r["phases_s"].get("proofs", 0.0) for r in runs[kind])
            ),
            "nodes": runs[kind][0]["nodes"],
            "height": runs[kind][0]["height"],
            "node_proofs_per_user": runs[kind][0]["node_proofs_per_user"],
            "values_per_node_proof": runs[kind][0]["values_per_node_proof"],
            "collateral_proofs_per_user": runs[kind][0]["collateral_proofs_per_user"],
            "proof_file_bytes_median": med(kind, "proof_file_bytes_median"),
            "verify_ms_median": 1e3 * med(kind, "verify_s_median"),
        }
        for kind in ("plain", "margin")
    }
    result = {
        "benchmark": "margin",
        "users": args.users,
        "assets": [x.symbol for x in specs],
        "debts_in_ledger": debts,
        "repeat": args.repeat,
        "workers": 1,
        "backend": group.BACKEND,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "summary": summary,
        "build_ratio_margin_over_plain_median": statistics.median(ratios),
        "verify_ratio_margin_over_plain_median": statistics.median(vratios),
        "runs": runs,
    }
    print()
    print(f"{'':<34}{'plain':>12}{'margin':>12}")
    rows = (
        ("build_s_median", "{:.2f} s"),
        ("proofs_phase_s_median", "{:.2f} s"),
        ("nodes", "{}"),
        ("node_proofs_per_user", "{:.2f}"),
        ("values_per_node_proof", "{}"),
        ("collateral_proofs_per_user", "{:.2f}"),
        ("proof_file_bytes_median", "{:.0f} B"),
        ("verify_ms_median", "{:.1f} ms"),
    )
    for key, fmt in rows:
        print(f"{key:<34}{fmt.format(summary['plain'][key]):>12}"
              f"{fmt.format(summary['margin'][key]):>12}")  # fmt: skip
    print(f"build time margin / plain (median of per-run ratios): "
          f"{result['build_ratio_margin_over_plain_median']:.2f}x")  # fmt: skip
    print(f"verify time margin / plain (median of per-run ratios): "
          f"{result['verify_ratio_margin_over_plain_median']:.2f}x")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
