"""The golden reserves files (tests/vectors/golden-reserves-v1, made by
tests/vectors/make_golden_reserves_v1.sh with reserves file and solvency.json version 1) keep
verifying, through the CLI and the library; and changed bytes are refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cli_support import json_result, ok

from solvency.epoch.reserves import verify_reserves, verify_reserves_proof
from solvency.errors import SolvencyError
from solvency.files import formats, signing
from solvency.files.reserves import ReservesFile
from solvency.files.reserves_proof import ReservesProofFile

G = Path(__file__).parent / "vectors" / "golden-reserves-v1"


def test_golden_reserves_verify_with_the_snapshot() -> None:
    doc = json_result(
        ok(
            "reserves", "verify", G / "reserves.csv", "--root", G / "root.json",
            "--pubkey", G / "signing.pub", "--balances", G / "balances.csv", "--json",
        )
    )  # fmt: skip
    assert doc["reserves"]["exchange"] == "Example Exchange"
    assert doc["reserves"]["snapshot"] == {"checked": 9, "extra": 0}
    assert [a["proven"] for a in doc["reserves"]["assets"]] == [
        "159.87500000",
        "2400.500000000",
        "3700000.000000",
    ]


def test_golden_solvency_proof_verifies_for_the_user_and_the_auditor() -> None:
    user = ok(
        "verify", G / "alice.json", "--root", G / "root.json", "--pubkey", G / "signing.pub",
        "--solvency", G / "solvency.json", "--reserves", G / "reserves.csv",
    ).stdout  # fmt: skip
    assert "reserves cover at least 101% of the liabilities of every asset (BTC, ETH, USDT)" in (
        user
    )
    audit = json_result(
        ok(
            "audit", G / "root.json", "--liabilities", G / "liabilities.json",
            "--pubkey", G / "signing.pub", "--solvency", G / "solvency.json",
            "--reserves", G / "reserves.csv", "--json",
        ),
        "audit",
    )  # fmt: skip
    assert audit["solvency"]["min_ratio_percent"] == 101
    assert [a["ratio_percent"] for a in audit["solvency"]["assets"]] == [
        "108.31",
        "109.58",
        "103.86",
    ]


def _check(reserves: bytes, proof: bytes) -> None:
    """The library's whole check of solvency.json and the reserves file against the root."""
    root = formats.RootFile.loads((G / "root.json").read_bytes())
    key = signing.load_verifying_key(G / "signing.pub")
    key.verify(signing.decode_signature((G / "solvency.json.sig").read_bytes()), proof)
    report = verify_reserves(ReservesFile.loads_csv(reserves), root)
    verify_reserves_proof(
        ReservesProofFile.loads(proof), root, report, hashlib.sha256(reserves).digest()
    )


@pytest.mark.parametrize("target", ["reserves.csv", "solvency.json"])
def test_changed_bytes_are_refused(target: str) -> None:
    reserves, proof = (G / "reserves.csv").read_bytes(), (G / "solvency.json").read_bytes()
    _check(reserves, proof)
    data = reserves if target == "reserves.csv" else proof
    step = max(1, len(data) // 150)
    for i in range(0, len(data), step):
        flipped = bytearray(data)
        flipped[i] ^= 0x01
        args = (bytes(flipped), proof) if target == "reserves.csv" else (reserves, bytes(flipped))
        with pytest.raises(SolvencyError):
            _check(*args)
