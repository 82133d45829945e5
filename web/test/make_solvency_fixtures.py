"""solvency.json cases made by the Python code, with ``solvency verify --solvency --json``.

    python web/test/make_solvency_fixtures.py OUT

Builds two 3-asset epochs (``e1``, ``e2``) with one key, a synthetic reserves file signed for
``e1`` (BIP-137 P2WPKH and P2SH-P2WPKH, a 2-of-3 P2WSH, EIP-191 and a custodial row, as
``solvency demo`` makes it) holding 105% of each liability, and ``e1``'s solvency proof. Writes
OUT/manifest.json and one folder per case with ``proof.json`` (a user's), ``root.json``,
``root.json.sig``, ``signing.pub``, ``solvency.json``, ``solvency.json.sig`` and
``reserves.csv``, and what the CLI said on them in that folder. The cases: the honest proof,
and solvency.json altered as a cheating exchange would (re-signed after the change, or not),
signed with another key, made for epoch e2, and for a reserves file one unit below an asset's
liabilities; and the honest solvency.json beside a reserves file a cheating exchange changed
(a row signed by another key, signatures replayed from epoch e2, a balance edited, a row
malformed; and solvency.json edited too, to show which check the CLI reports first). Run by
web/test/solvency.test.js, which reads and checks every reserves file in JavaScript.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_fixtures import THREE_ASSETS, build, epoch_files, run

from solvency.crypto import evm_message
from solvency.epoch.reserves import (
    liability_openings,
    make_reserves_proof,
    verify_reserves,
)
from solvency.epoch.synthetic_reserves import synthetic_reserves
from solvency.files import formats, signing
from solvency.files.ledger import MAX_UNITS
from solvency.files.reserves import ReservesFile

EXCHANGE = "Demo Exchange"
FILES = ("proof.json", "root.json", "root.json.sig", "signing.pub", "reserves.csv")


def _proof(
    work: Path, epoch: str, held: list[int] | None = None, prove: bool = True
) -> tuple[Any, ...]:
    """(root, liabilities, reserves bytes, report, solvency.json bytes) of an epoch."""
    root = formats.RootFile.loads((work / epoch / "public" / "root.json").read_bytes())
    liab = formats.LiabilitiesFile.loads(
        (work / epoch / "private" / "liabilities.json").read_bytes()
    )
    totals = [max(L, 0) for L, _ in liability_openings(liab)]
    if held is None:
        held = [min(MAX_UNITS, L * 105 // 100) for L in totals]
    reserves = synthetic_reserves(
        EXCHANGE, root.epoch, root.root.hash, root.assets, held, max(1, held[-1] // 100)
    )
    data = reserves.dumps_csv()
    report = verify_reserves(reserves, root)
    if not prove:
        return root, liab, data, report, None
    proof = make_reserves_proof(root, liab, report, hashlib.sha256(data).digest(), 100, "fixtures")
    return root, liab, data, report, proof


def _resign(doc: dict[str, Any], key: signing.SigningKey) -> tuple[bytes, bytes]:
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    body = text.encode("utf-8")
    return body, signing.encode_signature(key.sign(body))


def make(out: Path) -> None:
    """Write the cases and OUT/manifest.json (also called by make_fixtures.py)."""
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    work = out / "_work"
    build(work, THREE_ASSETS, 2, "e1")
    build(work, THREE_ASSETS, 2, "e2")
    proofs, root_path, sig_path, pub_path = epoch_files(work, "e1")
    key = signing.load_signing_key(work / "keys" / "signing.key")
    root, liab, reserves_csv, report, proof = _proof(work, "e1")
    body = proof.dumps()
    other_key, _ = signing.generate_keypair()
    same = (reserves_csv, report)

    cases: list[tuple[Any, ...]] = [
        ("honest", body, signing.encode_signature(key.sign(body)), reserves_csv, report)
    ]
    flipped = body.replace(b'"min_ratio_percent": 100', b'"min_ratio_percent": 101')
    cases.append(("edited-not-resigned", flipped, signing.encode_signature(key.sign(body)), *same))
    cases.append(
        ("signed-by-another-key", body, signing.encode_signature(other_key.sign(body)), *same)
    )
    # A cheating exchange edits the file and signs it again with its own key.
    edits: dict[str, Any] = {
        "ratio-raised": lambda d: d.update(min_ratio_percent=150),
        "reserves-claimed-higher": lambda d: d["assets"][0].update(
            reserves_units=str(int(d["assets"][0]["reserves_units"]) + 1)
        ),
        "custodial-counted": lambda d: d["assets"][2].update(custodial_units="0"),
        "proof-byte-changed": lambda d: d["assets"][1].update(
            proof=d["assets"][1]["proof"][:100]
            + ("0" if d["assets"][1]["proof"][100] != "0" else "1")
            + d["assets"][1]["proof"][101:]
        ),
        "proofs-swapped": lambda d: d["assets"].__setitem__(
            slice(0, 2), [d["assets"][1] | {"symbol": "BTC"}, d["assets"][0] | {"symbol": "ETH"}]
        ),
        "exchange-renamed": lambda d: d.update(exchange="Other Exchange"),
        "other-reserves-digest": lambda d: d.update(reserves_sha256="00" * 32),
        "other-root-hash": lambda d: d.update(root_hash="11" * 32),
        "liabilities-as-net": lambda d: d.update(liabilities="equity-minus-debt"),
        "asset-dropped": lambda d: d["assets"].pop(),
        "version-2": lambda d: d.update(version=2),
        "unknown-key": lambda d: d.update(extra=1),
        "C_hi-not-a-point": lambda d: d["assets"][0].update(C_hi="ff" * 32),
    }
    for name, edit in edits.items():
        doc = json.loads(body)
        edit(doc)
        cases.append((f"resigned-{name}", *_resign(doc, key), *same))
    # Reserves one unit below the liabilities of the largest asset (a file the exchange's keys
    # really sign): it proves for the liabilities and claims them, or claims the file's total
    # with the proof made for more.
    totals = [max(L, 0) for L, _ in liability_openings(liab)]
    k = max(range(len(totals)), key=lambda i: totals[i])
    _, _, short_csv, short_report, _ = _proof(
        work,
        "e1",
        held=[totals[i] - 1 if i == k else totals[i] * 105 // 100 for i in range(len(totals))],
        prove=False,
    )
    forged = replace(
        short_report,
        assets=tuple(
            replace(a, proven_units=totals[k]) if i == k else a
            for i, a in enumerate(short_report.assets)
        ),
    )
    cheat = make_reserves_proof(
        root, liab, forged, hashlib.sha256(short_csv).digest(), 100, "fixtures"
    ).dumps()
    for name, claim in (("claims-the-liabilities", totals[k]), ("claims-the-file", totals[k] - 1)):
        doc = json.loads(cheat)
        doc["assets"][k]["reserves_units"] = str(claim)
        cases.append((f"below-liabilities-{name}", *_resign(doc, key), short_csv, short_report))
    # e2's honest proof, checked against e1's root and reserves file.
    _, _, e2_csv, _, e2_proof = _proof(work, "e2")
    e2 = e2_proof.dumps()
    cases.append(("other-epoch", e2, signing.encode_signature(key.sign(e2)), *same))
    # The honest solvency.json beside a reserves file the exchange changed.
    honest_sig = signing.encode_signature(key.sign(body))
    rows = list(ReservesFile.loads_csv(reserves_csv).rows)
    k_eth = next(i for i, r in enumerate(rows) if r.scheme == "eip191")
    forged = evm_message.sign_message(b"\x11" * 32, rows[k_eth].message.encode())
    other_signer = list(rows)
    other_signer[k_eth] = replace(rows[k_eth], signatures=(forged,))
    edited = list(rows)
    edited[0] = replace(rows[0], balance=rows[0].balance.replace("0", "9", 1))
    for name, csv_bytes in (
        ("reserves-row-signed-by-another-key", ReservesFile(tuple(other_signer)).dumps_csv()),
        ("reserves-replayed-from-another-epoch", e2_csv),
        ("reserves-balance-edited", ReservesFile(tuple(edited)).dumps_csv()),
        ("reserves-row-malformed", reserves_csv.replace(b",bip137,", b",BIP137,", 1)),
    ):
        cases.append((name, body, honest_sig, csv_bytes, None))
    cases.append(
        ("unsigned-edit-and-reserves-row-signed-by-another-key", flipped, honest_sig,
         ReservesFile(tuple(other_signer)).dumps_csv(), None)
    )  # fmt: skip

    manifest = []
    for name, sj, sig, csv_bytes, _ in cases:
        folder = out / name
        folder.mkdir()
        for src, dst in zip((proofs[0], root_path, sig_path, pub_path), FILES, strict=False):
            (folder / dst).write_bytes(src.read_bytes())
        (folder / "reserves.csv").write_bytes(csv_bytes)
        (folder / "solvency.json").write_bytes(sj)
        (folder / "solvency.json.sig").write_bytes(sig)
        here = Path.cwd()
        os.chdir(folder)
        try:
            result = run(
                "verify", "proof.json", "--root", "root.json", "--pubkey", "signing.pub",
                "--solvency", "solvency.json", "--reserves", "reserves.csv", "--json",
            )  # fmt: skip
        finally:
            os.chdir(here)
        manifest.append(
            {
                "name": name,
                "dir": name,
                "exit_code": result.exit_code,
                "cli": json.loads(result.stdout),
            }
        )
    shutil.rmtree(work)
    doc = {"format": "solvency-web-solvency-fixtures", "cases": manifest}
    (out / "manifest.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    make(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
