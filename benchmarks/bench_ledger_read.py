"""What reading the ledger costs now that it is checked and hashed in one read (issue 7 item 11).

Measured on a synthetic ledger of ``--users`` rows and ``--assets`` assets, medians of
``--repeat`` runs, interleaved so machine noise hits every variant alike:

- ``one read``: ``iter_ledger(..., digest=sha256)``, what ``build`` does now;
- ``two reads``: SHA-256 of the whole file, then ``iter_ledger`` (what ``build`` did before:
  the hash came first, so ``build /dev/zero`` never returned and a bad row 2 waited for it);
- ``parse only``: ``iter_ledger`` without a digest (the floor);
- ``check_user_id``: microseconds per id (NFC, categories, default-ignorables), over the
  ledger's ids.

Prints a table and writes JSON (benchmarks/out/ledger_read.json unless ``--out`` says otherwise).

    python benchmarks/bench_ledger_read.py [--users 200000] [--assets 3] [--repeat 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from solvency.crypto.derive import check_user_id
from solvency.epoch.synthetic import write_synthetic_ledger
from solvency.files.ledger import AssetSpec, iter_ledger

ROOT = Path(__file__).resolve().parent.parent
ASSETS = (("BTC", 8), ("ETH", 9), ("USDT", 6), ("SOL", 9))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--assets", type=int, default=3, choices=range(1, len(ASSETS) + 1))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "ledger_read.json")
    args = ap.parse_args()
    pairs = list(ASSETS[: args.assets])
    specs = [AssetSpec(s, d) for s, d in pairs]
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.csv"
        write_synthetic_ledger(ledger, args.users, pairs, 1)
        size = ledger.stat().st_size

        def one_read() -> None:
            digest = hashlib.sha256()
            for _ in iter_ledger(ledger, specs, check_duplicates=False, digest=digest):
                pass

        def two_reads() -> None:
            h = hashlib.sha256()
            with open(ledger, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            for _ in iter_ledger(ledger, specs, check_duplicates=False):
                pass

        def parse_only() -> None:
            for _ in iter_ledger(ledger, specs, check_duplicates=False):
                pass

        ids = [r.user_id for r in iter_ledger(ledger, specs, check_duplicates=False)]

        def check_ids() -> None:
            for u in ids:
                check_user_id(u)

        variants: dict[str, Callable[[], None]] = {
            "one read": one_read,
            "two reads": two_reads,
            "parse only": parse_only,
            "check_user_id": check_ids,
        }
        times: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(args.repeat):
            for name, fn in variants.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "users": args.users,
        "assets": args.assets,
        "ledger_bytes": size,
        "repeat": args.repeat,
        "median_seconds": med,
        "runs_seconds": times,
        "one_read_over_parse_only": med["one read"] / med["parse only"],
        "two_reads_over_one_read": med["two reads"] / med["one read"],
        "check_user_id_us_per_id": 1e6 * med["check_user_id"] / args.users,
    }
    print(f"ledger: {args.users} users, {args.assets} assets, {size / 1e6:.1f} MB")
    for k, v in med.items():
        print(f"  {k:<14} {v:8.3f} s  (median of {args.repeat})")
    print(f"  one read / parse only   {result['one_read_over_parse_only']:.3f}")
    print(f"  two reads / one read    {result['two_reads_over_one_read']:.3f}")
    print(f"  check_user_id           {result['check_user_id_us_per_id']:.2f} us per id")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
