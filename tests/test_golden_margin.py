"""The golden margin epoch (file version 2, docs/PROTOCOL.md section 10) keeps verifying.

``tests/vectors/golden-margin-v2`` was made once by the release that introduced margin (see
``make_golden_margin_v2.sh``) from examples/margin-ledger.csv: root, signature, public key,
four user proofs (a borrower, a BTC borrower, an exact-cover borrower, an empty account), the
auditor's tree and the liabilities. Every later release must verify all of it through the
command line, report the same equity, debt and net per asset, and the check must be real: a
changed value in each golden JSON file fails it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_support import run

from solvency.epoch.store import EpochStore

GOLDEN = Path(__file__).parent / "vectors" / "golden-margin-v2"
USERS = ("alice", "carol", "frank", "erin")
# Ledger sums of examples/margin-ledger.csv: (equity, debt, net) per asset.
TOTALS = {
    "BTC": ("14.84567891", "0.10000000", "14.74567891"),
    "ETH": ("12.750000000", "100.000000000", "-87.250000000"),
    "USDT": ("56251.250000", "97000.000000", "-40748.750000"),
}


def _verify(d: Path, user: str) -> tuple[int, dict[str, object]]:
    r = run("verify", d / "proofs" / f"{user}.json", "--root", d / "root.json", "--pubkey",
            d / "signing.pub", "--user", user, "--json")  # fmt: skip
    return r.exit_code, json.loads(r.stdout)


def _audit(d: Path) -> tuple[int, dict[str, object]]:
    r = run("audit", d / "root.json", "--liabilities", d / "liabilities.json",
            "--tree", d / "tree.sqlite", "--pubkey", d / "signing.pub",
            "--workers", "1", "--json")  # fmt: skip
    return r.exit_code, json.loads(r.stdout)


def test_golden_margin_files_are_version_2() -> None:
    for name in ("root.json", "liabilities.json", *(f"proofs/{u}.json" for u in USERS)):
        assert json.loads((GOLDEN / name).read_text())["version"] == 2


@pytest.mark.parametrize("user", USERS)
def test_every_golden_user_verifies(user: str) -> None:
    code, out = _verify(GOLDEN, user)
    assert code == 0, out
    assert out["status"] == "verified"
    margin = out["margin"]
    assert isinstance(margin, dict) and margin["collateral_checked"] is True


def test_golden_audit_reports_the_ledger_totals() -> None:
    code, out = _audit(GOLDEN)
    assert code == 0, out
    margin = out["margin"]
    assert isinstance(margin, dict)
    got = {t["symbol"]: (t["equity"], t["debt"], t["net"]) for t in margin["totals"]}
    assert got == TOTALS
    with EpochStore.open(GOLDEN / "tree.sqlite", readonly=True) as store:
        # one per level-0 node: user leaves and padding leaves alike
        assert margin["collateral_proofs"] == store.count_level(0) == store.count_collateral()
        assert store.count_level(0) > len(USERS)


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        ("root.json", ("parameters", "margin", "assets", 1, "haircut"), "0.95"),
        ("root.json", ("root", "commitments", 4), None),
        ("liabilities.json", ("totals", 5, "units"), "1"),
        ("proofs/alice.json", ("collateral", "c_hi"), None),
        ("proofs/alice.json", ("sibling_collateral", "proof"), None),
        ("proofs/alice.json", ("balances", 2, "units"), "-39999000000"),
    ],
)
def test_a_changed_golden_value_fails(tmp_path: Path, name: str, path: tuple[object, ...],
                                      value: str | None) -> None:  # fmt: skip
    d = Path(shutil.copytree(GOLDEN, tmp_path / "g"))
    doc = json.loads((d / name).read_text())
    node = doc
    for key in path[:-1]:
        node = node[key]
    old = node[path[-1]]
    # a hex value gets its first digit changed (still hex), a decimal one the given value
    node[path[-1]] = value if value is not None else ("0" if old[0] != "0" else "1") + old[1:]
    if name == "proofs/alice.json" and path[0] == "balances":
        node["amount"] = "-39999.000000"
    (d / name).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    if name.startswith("proofs/"):
        code, out = _verify(d, "alice")
    else:
        code, out = _audit(d)
    assert code in (1, 2), out  # a failed check (1) or a file refused as malformed (2)
    assert out["error"]
