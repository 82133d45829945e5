"""What proof of reserves costs (issue 10; docs/PROTOCOL.md section 11).

Measured, medians of ``--repeat`` runs in this process (unit: one libsodium variable-base
scalar multiplication, timed in the same run, so that ratios survive a noisy machine):

- the ownership check of one row, per scheme (BIP-137 P2WPKH, 2-of-3 P2WSH multisig,
  EIP-191), with the libraries' recovery (coincurve, eth-account);
- ``verify_reserves`` of a file of ``--rows`` rows (a third of each scheme);
- the solvency relation per asset: ``prove_cover`` and ``verify_cover`` (one aggregated
  2 x 64-bit Bulletproof), and the size of ``solvency.json`` for ``--assets`` assets.

Prints a table and writes JSON (benchmarks/out/reserves.json unless ``--out`` says otherwise).

    python benchmarks/bench_reserves.py [--rows 300] [--assets 3] [--repeat 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import coincurve

from solvency.circuits.coverage import CoverStatement, prove_cover, verify_cover
from solvency.circuits.ownership import check_ownership
from solvency.crypto import btc_address, btc_message, evm_message, group
from solvency.crypto.pedersen import PedersenGens
from solvency.files.reserves import ReserveRow, ownership_message

ROOT = Path(__file__).resolve().parent.parent
NET = btc_address.NETWORKS["bitcoin"]
BLOCK = "00" * 32


def _key(i: int) -> bytes:
    return hashlib.sha256(f"bench key {i}".encode()).digest()


def _pub(k: bytes) -> bytes:
    return coincurve.PrivateKey(k).public_key.format(compressed=True)


def _rows(m: str, n: int) -> list[ReserveRow]:
    msg = m.encode()
    rows = []
    for i in range(n):
        kind = ("bip137", "multisig", "eip191")[i % 3]
        if kind == "bip137":
            k = _key(i)
            a = btc_address.key_address(_pub(k), "p2wpkh")
            sigs: tuple[str, ...] = (btc_message.sign_message(k, msg, btc_message.P2WPKH),)
            rows.append(
                ReserveRow(
                    "BTC",
                    "bitcoin",
                    btc_address.encode_address(a, NET),
                    "1",
                    1,
                    BLOCK,
                    "bip137",
                    m,
                    sigs,
                    "",
                )
            )
        elif kind == "multisig":
            ks = [_key(1000 * i + j) for j in range(3)]
            script = btc_address.multisig_script(2, [_pub(k) for k in ks])
            a = btc_address.script_address(script, "p2wsh")
            sigs = tuple(btc_message.sign_message(k, msg) for k in ks[:2])
            rows.append(
                ReserveRow(
                    "BTC",
                    "bitcoin",
                    btc_address.encode_address(a, NET),
                    "1",
                    1,
                    BLOCK,
                    "multisig",
                    m,
                    sigs,
                    script.hex(),
                )
            )
        else:
            k = _key(i)
            rows.append(
                ReserveRow(
                    "ETH",
                    "ethereum",
                    evm_message.address_of(k),
                    "1",
                    1,
                    BLOCK,
                    "eip191",
                    m,
                    (evm_message.sign_message(k, msg),),
                    "",
                )
            )
    return [replace(r, row=i + 1) for i, r in enumerate(rows)]


def _check(row: ReserveRow, m: str) -> Callable[[], object]:
    return lambda: check_ownership(row, m)


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=300)
    p.add_argument("--assets", type=int, default=3)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "reserves.json")
    args = p.parse_args()

    m = ownership_message("Bench Exchange", "bench", hashlib.sha256(b"root").digest())
    rows = _rows(m, max(3, args.rows))
    P = group.mul_base(12345)
    unit = _median(lambda: group.mul(0x1234567890ABCDEF, P), 50 * args.repeat)
    per_scheme = {r.scheme: _median(_check(r, m), args.repeat * 5) for r in rows[:3]}
    all_rows = _median(lambda: [check_ownership(r, m) for r in rows], max(3, args.repeat // 2))

    pc = PedersenGens.default()
    L, r = 10**12, group.random_scalar()
    s = CoverStatement("bench", b"\x11" * 32, 0, "BTC", L + 1, 100, pc.commit(L, r))
    C_hi, proof = prove_cover(s, L, r)
    prove = _median(lambda: prove_cover(s, L, r), args.repeat)
    verify = _median(lambda: verify_cover(s, C_hi, proof), args.repeat)

    result = {
        "unit_scalar_mult_us": unit * 1e6,
        "ownership_check_ms": {k: v * 1e3 for k, v in per_scheme.items()},
        "ownership_check_units": {k: v / unit for k, v in per_scheme.items()},
        "rows": len(rows),
        "all_rows_s": all_rows,
        "cover_prove_ms": prove * 1e3,
        "cover_verify_ms": verify * 1e3,
        "cover_prove_units": prove / unit,
        "cover_verify_units": verify / unit,
        "cover_proof_bytes": len(proof) + len(C_hi),
        "solvency_proof_per_asset_json_bytes_approx": 2 * (len(proof) + len(C_hi)) + 120,
        "assets": args.assets,
        "repeat": args.repeat,
    }
    print(f"unit (one scalar multiplication)   {unit * 1e6:8.1f} us")
    for k, v in per_scheme.items():
        print(f"ownership check {k:<10}        {v * 1e3:8.2f} ms  ({v / unit:6.1f} units)")
    print(f"{len(rows)} rows (a third of each)         {all_rows:8.2f} s")
    print(f"cover proof per asset: prove       {prove * 1e3:8.1f} ms  ({prove / unit:6.0f} units)")
    print(
        f"cover proof per asset: verify      {verify * 1e3:8.1f} ms  ({verify / unit:6.0f} units)"
    )
    print(f"cover proof size                   {len(proof) + len(C_hi):8d} bytes")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
