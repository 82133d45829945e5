"""How long the browser verifier takes to check a user's proof (issue 12; target: under 2 s
for a height-21, 3-asset proof in headless Chromium on this machine).

Makes a fresh 3-asset epoch of height ``--height`` with the Python code, then times, each a
median of ``--runs`` runs in the same invocation (the machine is shared and noisy):

- the page in headless Debian chromium, opened from file:// in a fresh tab per run: the time
  the page itself reports (``performance.now()`` around the check: parsing, signature, path,
  one batched range-proof check of the H siblings), and the time from handing it the four files
  to the verdict on screen (web/browser-test/measure.mjs over the DevTools protocol);
- the same JavaScript verifier in Node;
- ``solvency verify`` in Python (``verify_proof_file``, in process), for the ratio.

Prints a table and writes JSON (benchmarks/results/web_verifier.json unless ``--out``).

    python benchmarks/bench_web.py [--height 21] [--runs 7]
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
from pathlib import Path

from solvency.cli.verify_cmd import verify_proof_file

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--height", type=int, default=21)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "web_verifier.json"
    )
    args = parser.parse_args()
    if shutil.which("node") is None:
        raise SystemExit("node is needed (and chromium): see the Makefile's web-test target")
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = Path(tmp) / "fx"
        subprocess.run(
            [
                sys.executable,
                WEB / "test" / "make_fixtures.py",
                fixtures,
                "--heights",
                str(args.height),
                "--only-heights",
            ],
            check=True,
        )
        case = fixtures / f"height-{args.height}-user-0"
        measured = json.loads(
            subprocess.run(
                ["node", WEB / "browser-test" / "measure.mjs", case, "--runs", str(args.runs)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        python_s = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            outcome = verify_proof_file(
                case / "proof.json",
                case / "root.json",
                case / "root.json.sig",
                case / "signing.pub",
            )
            python_s.append(time.perf_counter() - t0)
            if not outcome.verified:
                raise SystemExit(f"python verify failed: {outcome.error}")
        proof_bytes = (case / "proof.json").stat().st_size
    if measured["status"] != "verified" or measured["foreign_requests"] != 0:
        raise SystemExit(f"the page did not verify cleanly: {measured}")
    med = {k: statistics.median(measured[k]) for k in ("page_s", "to_verdict_s", "node_s")}
    med["python_s"] = statistics.median(python_s)
    result = {
        "benchmark": "web_verifier",
        "height": args.height,
        "assets": 3,
        "runs": args.runs,
        "proof_file_bytes": proof_bytes,
        "browser": measured["browser"],
        "median_seconds": med,
        "target_seconds": 2.0,
        "meets_target": med["to_verdict_s"] < 2.0,
        "ratio_browser_page_to_python": med["page_s"] / med["python_s"],
        "all_runs": {
            **{k: measured[k] for k in ("page_s", "to_verdict_s", "node_s")},
            "python_s": python_s,
        },
    }
    print(
        f"height {args.height}, 3 assets, {proof_bytes} byte proof, {measured['browser']}, "
        f"medians of {args.runs}:"
    )
    print(f"  chromium, as the page reports it     {med['page_s']:.3f} s")
    print(f"  chromium, files handed -> verdict    {med['to_verdict_s']:.3f} s   (target < 2 s)")
    print(f"  node, same JavaScript                {med['node_s']:.3f} s")
    print(f"  python solvency verify (in process)  {med['python_s']:.3f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
