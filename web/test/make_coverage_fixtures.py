"""Coverage proofs (docs/PROTOCOL.md section 11.6) made by the Python code, with its verdicts.

    python web/test/make_coverage_fixtures.py > coverage.json

Prints ``{"cases": [...]}``: each case one asset's statement, ``C_hi`` and proof (hex), and
what ``circuits.coverage.verify_cover`` said ("ok" or its VerificationError's message): proofs
that hold (ratios 1 to 100000 percent, zero and 2^64 - 1 reserves) and each one's statement or
proof tampered as a cheating exchange would (other reserves, ratio, epoch, root, asset, symbol
or liability commitment; C_hi or the proof's bytes changed; another asset's proof replayed).
Run by web/test/coverage.test.js.
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import replace
from typing import Any

from solvency.circuits.coverage import CoverStatement, prove_cover, verify_cover
from solvency.crypto import group
from solvency.crypto.pedersen import PedersenGens
from solvency.errors import VerificationError

PC = PedersenGens.default()
MAX = 2**64 - 1


def verdict(s: CoverStatement, C_hi: bytes, proof: bytes) -> str:
    try:
        verify_cover(s, C_hi, proof)
    except VerificationError as e:
        return str(e)
    return "ok"


def case(name: str, s: CoverStatement, C_hi: bytes, proof: bytes) -> dict[str, Any]:
    return {
        "name": name,
        "epoch": s.epoch,
        "root_hash": s.root_hash.hex(),
        "asset_index": s.asset_index,
        "symbol": s.symbol,
        "reserves": str(s.reserves),
        "ratio_percent": str(s.ratio_percent),
        "C_a": s.C_a.hex(),
        "C_hi": C_hi.hex(),
        "proof": proof.hex(),
        "python": verdict(s, C_hi, proof),
    }


def flip(b: bytes, at: int) -> bytes:
    return b[:at] + bytes([b[at] ^ 1]) + b[at + 1 :]


def main() -> None:
    root_hash = secrets.token_bytes(32)
    # (symbol, L_a, R_a, k): covered exactly, with room, nothing owed, a negative net liability,
    # the largest units, the lowest and the highest ratio
    honest = [
        ("BTC", 1000, 1000, 100),
        ("ETH", 10**18, 3 * 10**18, 150),
        ("USDT", 0, 0, 100),
        ("NET", -5, 0, 100),  # a margin root's negative net liability
        ("BIG", MAX, MAX, 100),
        ("LOW", 100_000, 1000, 1),
        ("HIGH", 1, 1000, 100_000),
    ]
    cases = []
    made = []
    for index, (symbol, L, R, k) in enumerate(honest):
        r = group.random_scalar()
        s = CoverStatement("e-7", root_hash, index, symbol, R, k, PC.commit(L % group.L, r))
        C_hi, proof = prove_cover(s, L, r)
        cases.append(case(f"honest-{symbol}", s, C_hi, proof))
        made.append((s, C_hi, proof))
    s, C_hi, proof = made[0]
    other_s, other_C_hi, other_proof = made[1]
    tampered = [
        ("reserves-plus-1", replace(s, reserves=s.reserves + 1), C_hi, proof),
        ("reserves-minus-1", replace(s, reserves=s.reserves - 1), C_hi, proof),
        ("ratio-101", replace(s, ratio_percent=101), C_hi, proof),
        ("ratio-99", replace(s, ratio_percent=99), C_hi, proof),
        ("other-epoch", replace(s, epoch="e-8"), C_hi, proof),
        ("other-root", replace(s, root_hash=flip(root_hash, 0)), C_hi, proof),
        ("other-asset-index", replace(s, asset_index=1), C_hi, proof),
        ("other-symbol", replace(s, symbol="BTX"), C_hi, proof),
        ("other-commitment", replace(s, C_a=other_s.C_a), C_hi, proof),
        ("C_hi-bumped", s, group.add(C_hi, group.BASEPOINT), proof),
        ("C_hi-not-a-point", s, flip(C_hi, 31), proof),
        ("proof-replayed-from-other-asset", s, other_C_hi, other_proof),
        ("proof-truncated", s, C_hi, proof[:-32]),
    ]
    for at in range(0, len(proof), 37):
        tampered.append((f"proof-byte-{at}", s, C_hi, flip(proof, at)))
    for name, ts, tc, tp in tampered:
        cases.append(case(f"tamper-{name}", ts, tc, tp))
    json.dump({"format": "solvency-web-coverage-fixtures", "cases": cases}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
