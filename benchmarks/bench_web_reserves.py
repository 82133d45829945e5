"""How long the JavaScript verifier takes to check a reserves file (issue 12; docs/PROTOCOL.md
section 11), beside the Python's ``verify_reserves`` on the same file.

Makes a 3-asset epoch with the Python code and a reserves file of ``--rows`` rows signed for
its root, a third of each scheme as benchmarks/bench_reserves.py makes them (BIP-137 P2WPKH,
2-of-3 P2WSH multisig: two recoveries, EIP-191), then times, each a median of ``--runs`` runs
in the same invocation (the machine is shared and noisy; the ratio is the figure to quote):

- Node: ``parseReserves`` then ``verifyReserves`` (web/src/reserves.js), in one process after a
  warm-up run;
- Python: ``ReservesFile.loads_csv`` then ``verify_reserves``, in this process after a warm-up.

Prints a table and writes JSON (benchmarks/results/web_reserves.json unless ``--out``).

    python benchmarks/bench_web_reserves.py [--rows 300] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(WEB / "test"))

from bench_reserves import _rows  # noqa: E402

from solvency.epoch.reserves import verify_reserves  # noqa: E402
from solvency.files import formats  # noqa: E402
from solvency.files.reserves import ReservesFile, ownership_message  # noqa: E402

#: web/test/make_fixtures.py (a script folder, not a package): the epoch the file is signed for.
fixtures = import_module("make_fixtures")

NODE_TIMER = """
import fs from 'node:fs';
import { parseRoot } from './src/formats.js';
import { parseReserves, verifyReserves } from './src/reserves.js';
const [rootPath, csvPath, runs] = process.argv.slice(1);
const root = parseRoot(new Uint8Array(fs.readFileSync(rootPath)));
const bytes = new Uint8Array(fs.readFileSync(csvPath));
const once = () => verifyReserves(parseReserves(bytes, 'reserves.csv'), root);
const report = once();
const seconds = [];
for (let i = 0; i < Number(runs); i++) {
  const t = performance.now();
  once();
  seconds.push((performance.now() - t) / 1000);
}
const proven = report.assets.map((a) => a.proven_units.toString());
console.log(JSON.stringify({ seconds, proven, node: process.version }));
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "web_reserves.json"
    )
    args = parser.parse_args()
    if shutil.which("node") is None:
        raise SystemExit("node is needed: see the Makefile's web-test target")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fixtures.build(work, fixtures.THREE_ASSETS, 2, "e1")
        _, root_path, _, _ = fixtures.epoch_files(work, "e1")
        root = formats.RootFile.loads(root_path.read_bytes())
        m = ownership_message("Bench Exchange", root.epoch, root.root.hash)
        # 0.01 ETH a row: 1 ETH (10^18 units) a row would pass 2^64 - 1 units past 18 rows.
        rows = [
            replace(r, row=i + 1, balance=r.balance if r.asset == "BTC" else "0.01")
            for i, r in enumerate(_rows(m, args.rows))
        ]
        data = ReservesFile(tuple(rows)).dumps_csv()
        csv_path = work / "reserves.csv"
        csv_path.write_bytes(data)
        timer = ["node", "--input-type=module", "-e", NODE_TIMER]
        done = subprocess.run(
            [*timer, root_path, csv_path, str(args.runs)],
            cwd=WEB,
            check=True,
            capture_output=True,
            text=True,
        )
        node = json.loads(done.stdout)
        report = verify_reserves(ReservesFile.loads_csv(data), root)
        python_s = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            verify_reserves(ReservesFile.loads_csv(data), root)
            python_s.append(time.perf_counter() - t0)
    if node["proven"] != [str(a.proven_units) for a in report.assets]:
        raise SystemExit(f"node and python disagree: {node['proven']}")
    med = {"node_s": statistics.median(node["seconds"]), "python_s": statistics.median(python_s)}
    result = {
        "benchmark": "web_reserves",
        "rows": args.rows,
        "schemes": "a third each: bip137 p2wpkh, 2-of-3 p2wsh multisig, eip191",
        "file_bytes": len(data),
        "runs": args.runs,
        "node": node["node"],
        "median_seconds": med,
        "node_ms_per_row": 1000 * med["node_s"] / args.rows,
        "ratio_node_to_python": med["node_s"] / med["python_s"],
        "all_runs": {"node_s": node["seconds"], "python_s": python_s},
    }
    print(f"{args.rows} rows ({len(data)} bytes), {node['node']}, medians of {args.runs}:")
    print(f"  node, parseReserves + verifyReserves    {med['node_s']:.3f} s")
    print(f"  python, loads_csv + verify_reserves     {med['python_s']:.3f} s")
    print(f"  node / python                           {result['ratio_node_to_python']:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
