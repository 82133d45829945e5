"""Proof of reserves on a margin epoch (docs/PROTOCOL.md 10 and 11.6): the liability each
asset's reserves must cover is its net liability, total equity minus total debt, taken from
the signed root's equity and debt commitments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import json_result, load, ok, run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def margin_epoch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("margin-reserves")
    ok("init", "--dir", work / "keys")
    ok(
        "build", EXAMPLES / "margin-ledger.csv", "--epoch", "m1", "--out", work / "ep",
        "--keys", work / "keys", "--assets-config", EXAMPLES / "margin-assets.json",
        "--workers", "1", "-q",
    )  # fmt: skip
    ok(
        "prove",
        work / "ep",
        "--user",
        "alice",
        "--out",
        work / "alice.json",
        "--keys",
        work / "keys",
    )
    return work


def _reserves(work: Path, scale: int) -> Path:
    out = work / f"r{scale}"
    subprocess.run(
        [sys.executable, EXAMPLES / "make_reserves.py", work / "ep" / "public" / "root.json",
         "--out-dir", out, "--scale", str(scale)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out / "reserves.csv"


def test_net_liability_is_what_reserves_cover(margin_epoch: Path) -> None:
    w = margin_epoch
    liab = load(w / "ep" / "private" / "liabilities.json")
    # The example's BTC net liability is 14.74567891; ETH and USDT are owed more than owed.
    reserves = _reserves(w, 10)  # BTC 15.9875 key-proven
    solvency = w / "solvency.json"
    ok(
        "reserves",
        "prove",
        w / "ep",
        "--reserves",
        reserves,
        "--keys",
        w / "keys",
        "--out",
        solvency,
    )
    assert load(solvency)["liabilities"] == "equity-minus-debt"
    assert len(liab["totals"]) == 6  # equity, then debt, per asset
    user = ok(
        "verify", w / "alice.json", "--root", w / "ep" / "public" / "root.json",
        "--pubkey", w / "keys" / "signing.pub", "--solvency", solvency, "--reserves", reserves,
    ).stdout  # fmt: skip
    assert "reserves cover at least 100% of the liabilities of every asset" in user
    audit = run(
        "audit", w / "ep" / "public" / "root.json", "--liabilities",
        w / "ep" / "private" / "liabilities.json", "--pubkey", w / "keys" / "signing.pub",
        "--solvency", solvency, "--reserves", reserves, "--json",
    )  # fmt: skip
    doc = json_result(audit, "audit")
    assert audit.exit_code == 0, audit.output
    # 15.9875 / 14.74567891 = 108.42%; ETH and USDT have no net liability to cover.
    assert [a["ratio_percent"] for a in doc["solvency"]["assets"]] == ["108.42", None, None]


def test_reserves_below_the_net_liability_are_refused(margin_epoch: Path) -> None:
    w = margin_epoch
    reserves = _reserves(w, 9)  # BTC 14.38875 < 14.74567891
    out = w / "short.json"
    result = run(
        "reserves", "prove", w / "ep", "--reserves", reserves, "--keys", w / "keys", "--out", out
    )
    assert result.exit_code == 1, result.output
    assert "FAILED: reserves do not cover 100% of the liabilities of BTC:" in result.stdout
    assert not out.exists()
