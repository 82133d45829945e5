"""The reserves part of ``solvency demo`` (docs/PROTOCOL.md section 11).

With fresh keys it signs a reserves file holding 105% of each asset's liabilities (on a margin
epoch, of its net liability, equity minus debt, when positive) (and a
custodial balance, reported apart), checks it, makes and checks the signed solvency proof, and
tries two cheats that must be refused: reserves one unit below the liabilities of an asset (the
prover refuses: no proof exists) and signatures over another epoch's root (replay).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from solvency import __version__
from solvency.circuits.coverage import NotCoveredError
from solvency.epoch.reserves import (
    liability_openings,
    make_reserves_proof,
    reserve_ratios,
    verify_reserves,
    verify_reserves_proof,
)
from solvency.epoch.synthetic_reserves import synthetic_reserves
from solvency.errors import VerificationError
from solvency.files import formats, secure_io, signing
from solvency.files.ledger import MAX_UNITS
from solvency.files.reserves_proof import ReservesProofFile

EXCHANGE = "Demo Exchange"


def reserves_section(
    root_path: Path,
    liabilities_path: Path,
    sk: signing.SigningKey,
    work: Path,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Run the reserves steps; the result's ``ok`` says whether each came out as it should."""
    root = formats.RootFile.loads(root_path.read_bytes())
    liab = formats.LiabilitiesFile.loads(liabilities_path.read_bytes())
    # The liability to cover per asset: the total, or on a margin epoch the net liability
    # (equity minus debt), none when the exchange is owed more than it owes.
    totals = [max(L, 0) for L, _ in liability_openings(liab)]
    held = [min(MAX_UNITS, L + L // 20) for L in totals]  # 105% of each liability
    custodial = max(1, held[-1] // 100)

    def make(units: list[int], root_hash: bytes = root.root.hash) -> Any:
        return synthetic_reserves(EXCHANGE, root.epoch, root_hash, root.assets, units, custodial)

    start = time.perf_counter()
    reserves = make(held)
    data = reserves.dumps_csv()
    secure_io.write_atomic(work / "reserves.csv", data, private=False)
    sha = hashlib.sha256(data).digest()
    signed = time.perf_counter() - start

    start = time.perf_counter()
    report = verify_reserves(reserves, root)
    checked = time.perf_counter() - start
    proven = sum(a.proven_rows for a in report.assets)
    say(
        f"  reserves {signed:7.2f} s  {proven} addresses signed (BIP-137, 2-of-3 P2WSH, "
        f"EIP-191) and 1 custodial balance; checked in {checked:.2f} s"
    )

    start = time.perf_counter()
    proof = make_reserves_proof(root, liab, report, sha, 100, f"solvency {__version__}")
    proof_bytes = proof.dumps()
    secure_io.write_atomic(work / "solvency.json", proof_bytes, private=False)
    secure_io.write_atomic(
        work / "solvency.json.sig", signing.encode_signature(sk.sign(proof_bytes)), private=False
    )
    proved = time.perf_counter() - start
    start = time.perf_counter()
    verify_reserves_proof(ReservesProofFile.loads(proof_bytes), root, report, sha)
    verified = time.perf_counter() - start
    say(f"  solvency {proved:7.2f} s  proof made; checked in {verified:.2f} s: VERIFIED")
    ratios = reserve_ratios(report, totals)
    for r in ratios:
        ratio = r["ratio_percent"]
        say(
            f"           {r['symbol']:<5} "
            + (f"reserve ratio {ratio}%" if ratio is not None else "no net liability to cover")
            + " (auditor's view)"
        )

    rejected: dict[str, str | None] = {}
    k = max(range(len(totals)), key=lambda i: totals[i])  # the asset with most to cover
    if totals[k] > 0:
        short = list(held)
        short[k] = totals[k] - 1
        try:
            make_reserves_proof(
                root, liab, replace(report, assets=_with_units(report, short)), sha, 100, "demo"
            )
            rejected["reserves one unit below the liabilities"] = None
        except NotCoveredError as exc:
            rejected["reserves one unit below the liabilities"] = str(exc)
    try:
        verify_reserves(make(held, hashlib.sha256(b"a previous epoch's root").digest()), root)
        rejected["signatures over another epoch's root"] = None
    except VerificationError as exc:
        rejected["signatures over another epoch's root"] = str(exc)
    for what, why in rejected.items():
        say(f"  {what}: " + (f"refused: {why}" if why else "ACCEPTED (bug)"))
    return {
        "addresses": len(reserves.rows),
        "ratios_percent": {str(r["symbol"]): r["ratio_percent"] for r in ratios},
        "prove_seconds": proved,
        "verify_seconds": verified,
        "rejected": rejected,
        "ok": all(why is not None for why in rejected.values()),
    }


def _with_units(report: Any, units: list[int]) -> tuple[Any, ...]:
    return tuple(replace(a, proven_units=u) for a, u in zip(report.assets, units, strict=True))
