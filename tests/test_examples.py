"""examples/flow.sh runs the whole flow (exchange, user, auditor, a tampered proof) on
examples/ledger.csv, with the installed ``solvency`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from solvency.files.ledger import format_units, load_asset_config, read_ledger

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run_script(name: str, work: Path) -> subprocess.CompletedProcess[str]:
    """Run examples/NAME in ``work`` with this environment's ``solvency`` first on PATH."""
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
    }
    result = subprocess.run(
        ["bash", str(EXAMPLES / name), str(work)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_flow_script(tmp_path: Path) -> None:
    result = _run_script("flow.sh", tmp_path / "work")
    out = result.stdout
    assert "VERIFIED: the balances of user 'alice' are included in the published root" in out
    assert "VERIFIED: root commitments open to the declared totals; all " in out
    assert "FAILED: root hash mismatch" in out
    assert "VERIFIED: 9 reserve addresses of 'Example Exchange' are proven for epoch 2026-01" in out
    assert "reserves cover at least 100% of the liabilities of every asset (BTC, ETH, USDT)" in out
    assert "  BTC        reserves 159.87500000 cover at least 100% of the liabilities; " in out
    assert "FAILED: reserves do not cover 100% of the liabilities of BTC, ETH, USDT" in out
    assert out.rstrip().endswith("== done: every step turned out as it should")
    # The audit shows the ledger's totals.
    assets = load_asset_config(EXAMPLES / "assets.json")
    ledger = read_ledger(EXAMPLES / "ledger.csv", assets)
    for a, total in zip(assets, ledger.totals, strict=True):
        assert f"  {a.symbol:<8}   {format_units(total, a.decimals)}" in out.splitlines()
    assert len(list((tmp_path / "work" / "proofs").glob("*.json"))) == len(ledger.rows)


def test_example_reserves_file_verifies_against_the_golden_root() -> None:
    """examples/reserves.csv was made by examples/make_reserves.py for tests/vectors/golden-v1:
    real signatures by the script's test keys."""
    from cli_support import ok

    golden = EXAMPLES.parent / "tests" / "vectors" / "golden-v1"
    out = ok(
        "reserves",
        "verify",
        EXAMPLES / "reserves.csv",
        "--root",
        golden / "root.json",
        "--pubkey",
        golden / "signing.pub",
        "--balances",
        EXAMPLES / "balances.csv",
    ).stdout
    assert (
        "VERIFIED: 9 reserve addresses of 'Example Exchange' are proven for epoch golden-2026-01"
        in out
    )


def test_margin_flow_script(tmp_path: Path) -> None:
    """examples/margin-flow.sh: borrowers verify with their collateral proofs, the audit shows
    equity, debt and net per asset, a changed price and an uncovered debt are refused."""
    result = _run_script("margin-flow.sh", tmp_path / "work")
    out = result.stdout
    assert "collateral 118575 USD after haircuts, debt 40000 USD" in out
    assert "their haircut collateral covers their debt (collateral proof checked)" in out
    assert "  USDT                   56251.250000               97000.000000" in out
    assert "collateral proofs checked" in out
    assert "FAILED: margin mismatch: the price or haircut of BTC" in out
    assert "row 7: debt is not covered by haircut collateral" in result.stderr
    assert out.rstrip().endswith("== done: every step turned out as it should")
