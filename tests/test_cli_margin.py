"""Margin epochs through the command line (docs/PROTOCOL.md section 10): a 3-asset margin
ledger end to end, the refusals, and the attacks a cheating exchange would build with the
library on its own database, each caught by ``verify`` or ``audit`` with exit 1 and a reason.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_support import Epoch, build_epoch, load, make_keys, ok, run, save, write_csv
from click.testing import Result
from margin_forge import epoch_secret, forge_leaf, inflate_internal, republish

from solvency.crypto.group import L
from solvency.epoch.store import EpochStore

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CONFIG = EXAMPLES / "margin-assets.json"
LEDGER = EXAMPLES / "margin-ledger.csv"
EPOCH = "m1"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Epoch:
    work = tmp_path_factory.mktemp("margin")
    keys = make_keys(work / "keys")
    e = build_epoch(work, LEDGER, (), keys, EPOCH, "--assets-config", CONFIG, "-q")
    ok("export-tree", e.dir, "--out", work / "tree.sqlite")
    return e


@pytest.fixture
def copy(built: Epoch, tmp_path: Path) -> Epoch:
    """A private copy of the built epoch for one attack."""
    work = built.copy_to(tmp_path / "w")
    (work.root / "tree.sqlite").unlink()
    return work


def _try_build(tmp: Path, ledger: Path, *assets: object) -> Result:
    """``build`` of ``ledger`` with fresh keys under ``tmp`` and ``assets`` (by default the
    example margin config), for the refusals."""
    keys = make_keys(tmp / "keys")
    args = ["build", ledger, "--epoch", EPOCH, "--out", tmp / "ep", "--keys", keys]
    return run(*args, *(assets or ("--assets-config", CONFIG)), "--workers", "1")


def _config(tmp: Path, asset: int, field: str, value: str) -> Path:
    """The example margin config with one asset's ``field`` set to ``value``."""
    doc = load(CONFIG)
    doc["margin"]["assets"][asset][field] = value
    return save(tmp / "c.json", doc)


def _ledger_sums() -> dict[str, tuple[Decimal, Decimal]]:
    """Per asset (sum of equity, sum of debt), read independently of the library."""
    with open(LEDGER, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for sym in ("BTC", "ETH", "USDT"):
        vals = [Decimal(r[sym]) for r in rows]
        out[sym] = (
            sum((v for v in vals if v > 0), Decimal(0)),
            -sum((v for v in vals if v < 0), Decimal(0)),
        )
    return out


def _verify(e: Epoch, user: str, forged: bool = False) -> tuple[int, dict[str, Any]]:
    """``verify --json`` of ``user``'s proof (the one proven after forging, with ``forged``)."""
    proofs = e.root / "forged" if forged else e.proofs
    r = run(*e.verify_args(proofs / f"{user}.json", "--json"))
    return r.exit_code, load_json(r.output)


def _audit(e: Epoch, tree: bool = True) -> tuple[int, dict[str, Any]]:
    if tree:
        (e.root / "tree.sqlite").unlink(missing_ok=True)
        ok("export-tree", e.dir, "--out", e.root / "tree.sqlite")
    args = ["--tree", e.root / "tree.sqlite"] if tree else []
    r = run(*e.audit_args("--json", *args))
    return r.exit_code, load_json(r.output)


def load_json(text: str) -> dict[str, Any]:
    import json

    doc = json.loads(text)
    assert isinstance(doc, dict)
    return doc


# --- end to end -------------------------------------------------------------------------------


def test_every_user_verifies_and_sees_equity_and_debt(built: Epoch) -> None:
    with open(LEDGER, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(built.proof_files()) == len(rows)
    for row in rows:
        code, out = _verify(built, row["user_id"])
        assert code == 0, out
        assert out["status"] == "verified"
        margin = out["margin"]
        assert isinstance(margin, dict) and margin["collateral_checked"] is True
        balances = out["balances"]
        assert isinstance(balances, list)
        for b in balances:
            v = Decimal(row[b["symbol"]])
            assert Decimal(b["equity"]) == max(v, Decimal(0))
            assert Decimal(b["debt"]) == max(-v, Decimal(0))


def test_human_verify_shows_the_collateral(built: Epoch) -> None:
    r = ok(*built.verify_args(built.proofs / "frank.json"))
    # frank: 1 BTC at 60000 with haircut 0.95 against exactly 57000 USDT of debt
    assert "collateral 57000 USD after haircuts, debt 57000 USD" in r.output
    assert "collateral proof checked" in r.output


def test_auditor_totals_equal_the_ledger_sums(built: Epoch) -> None:
    code, out = _audit(built, tree=True)
    assert code == 0, out
    sums = _ledger_sums()
    assert out["totals"] is None  # a margin epoch reports equity, debt and net instead
    totals = out["margin"]["totals"]
    assert isinstance(totals, list) and [t["symbol"] for t in totals] == list(sums)
    for t in totals:
        equity, debt = sums[t["symbol"]]
        assert Decimal(t["equity"]) == equity
        assert Decimal(t["debt"]) == debt
        assert Decimal(t["net"]) == equity - debt
    margin = out["margin"]
    assert isinstance(margin, dict)
    tree = out["tree"]
    assert isinstance(tree, dict)
    # every level-0 node, user or padding leaf, carries a collateral proof
    with EpochStore.open(built.root / "tree.sqlite", readonly=True) as store:
        assert margin["collateral_proofs"] == store.count_level(0) == store.count_collateral()
    assert tree["leaves"] == 6


def test_root_is_version_2_with_signed_prices(built: Epoch) -> None:
    root = load(built.root_json)
    assert root["version"] == 2
    assert root["parameters"]["margin"]["assets"][0] == {
        "symbol": "BTC",
        "price": "60000",
        "haircut": "0.95",
    }
    assert len(root["root"]["commitments"]) == 6
    assert load(built.liabilities)["version"] == 2
    assert load(built.proofs / "alice.json")["version"] == 2


# --- refusals ---------------------------------------------------------------------------------


def test_uncovered_debt_is_refused_naming_the_row(tmp_path: Path) -> None:
    # 1 BTC covers 57000 USDT exactly; one more unit (0.000001 USDT) is not covered
    ledger = write_csv(
        tmp_path / "l.csv",
        ["user_id", "BTC", "ETH", "USDT"],
        [["a", "1", "0", "-57000"], ["short", "1", "0", "-57000.000001"]],
    )
    r = _try_build(tmp_path, ledger)
    assert r.exit_code == 2
    assert "row 3" in r.output and "not covered" in r.output and "'short'" in r.output
    assert not (tmp_path / "ep").exists()


def test_negative_amount_without_margin_is_refused(tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "l.csv", ["user_id", "BTC"], [["a", "-1"]])
    r = _try_build(tmp_path, ledger, "--asset", "BTC:8")
    assert r.exit_code == 2
    assert "row 2" in r.output and "negative" in r.output and "margin" in r.output
    assert not (tmp_path / "ep").exists()


def test_negative_zero_is_refused(tmp_path: Path) -> None:
    ledger = write_csv(
        tmp_path / "l.csv", ["user_id", "BTC", "ETH", "USDT"], [["a", "1", "-0.0", "0"]]
    )
    r = _try_build(tmp_path, ledger)
    assert r.exit_code == 2 and "column ETH" in r.output and "negative zero" in r.output


def test_config_with_too_many_price_digits_is_refused(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 1, "price", "3000.123456789")
    r = _try_build(tmp_path, LEDGER, "--assets-config", cfg)
    assert r.exit_code == 2 and "ETH" in r.output and "never rounded" in r.output


def test_config_price_above_the_weight_bound_is_refused(tmp_path: Path) -> None:
    cfg = _config(tmp_path, 2, "price", "1" + "0" * 20)
    r = _try_build(tmp_path, LEDGER, "--assets-config", cfg)
    assert r.exit_code == 2 and "asset USDT" in r.output and "2^128" in r.output


# --- attacks ----------------------------------------------------------------------------------


def _neighbour(e: Epoch, user: str) -> str | None:
    """The user whose leaf is the leaf-level sibling of ``user``'s, if any."""
    with EpochStore.open(e.database, readonly=True) as store:
        u = store.user(user)
        assert u is not None
        for other in store.iter_user_ids():
            o = store.user(other)
            assert o is not None
            if o.position == u.position ^ 1:
                return other
    return None


Columns = Callable[[list[int]], list[int]]


def _put(k: int, value: int) -> Columns:
    """Column ``k`` of a leaf set to ``value``, the others kept."""
    return lambda c: [*c[:k], value, *c[k + 1 :]]


def _forge(e: Epoch, user: str, columns: Columns) -> None:
    """The cheating exchange gives ``user``'s leaf ``columns(its 2a columns)``, recomputes the
    path above it and signs and publishes the new root."""
    secret = epoch_secret(e.keys, EPOCH)
    with EpochStore.open(e.database) as store:
        u = store.user(user)
        assert u is not None
        forge_leaf(store, secret, user, tuple(columns(list(u.units))))
    republish(e.dir, e.keys)


def _prove_forged(e: Epoch) -> None:
    ok("prove", e.dir, "--all", "--out", e.root / "forged", "--keys", e.keys)


def test_attack_dummy_user_with_uncovered_debt(copy: Epoch) -> None:
    # erin (empty account) becomes a dummy owing 1000 ETH with no collateral: it lowers ETH's
    # net liability; range proofs are all valid, but no collateral proof exists.
    _forge(copy, "erin", lambda _: [0, 0, 0, 0, 1000 * 10**9, 0])
    _prove_forged(copy)
    code, out = _audit(copy)
    assert code == 1 and "collateral proof of leaf" in str(out["error"])
    assert "debt not covered" in str(out["error"])
    code, out = _verify(copy, "erin", forged=True)
    assert code == 1 and "your collateral proof" in str(out["error"])
    neighbour = _neighbour(copy, "erin")
    if neighbour is not None:
        code, out = _verify(copy, neighbour, forged=True)
        assert code == 1 and "sibling collateral proof" in str(out["error"])


@pytest.mark.parametrize("column", [1, 5])  # ETH equity, USDT debt
def test_attack_negative_value_hidden_in_a_leaf(copy: Epoch, column: int) -> None:
    # dave's leaf gets -1 unit (l - 1) in one column: the root total drops by one unit; the
    # leaf's old range proof does not cover the new commitment.
    _forge(copy, "dave", _put(column, L - 1))
    _prove_forged(copy)
    code, out = _audit(copy)
    assert code == 1 and "range proof of node (level 0" in str(out["error"])
    neighbour = _neighbour(copy, "dave")
    if neighbour is not None:
        code, out = _verify(copy, neighbour, forged=True)
        assert code == 1 and "sibling range proof at level 0" in str(out["error"])


def test_attack_negative_debt_hidden_in_a_sibling_subtree(copy: Epoch) -> None:
    # A negative debt deep inside a subtree: every node above it has valid range proofs, so
    # users outside the subtree cannot see it; the auditor's walk finds the leaf. alice's
    # USDT debt becomes -1 USDT (l - 10^6 units), lowering the root's USDT debt.
    _forge(copy, "alice", _put(5, L - 10**6))
    code, out = _audit(copy)
    assert code == 1 and "does not verify" in str(out["error"])


def test_attack_total_debt_inflated_at_an_internal_node(copy: Epoch) -> None:
    # The exchange adds 50 ETH of debt at a level-1 node: the root's debt exceeds the sum of
    # the leaves' debts (net ETH liability drops). Every range proof is valid.
    with EpochStore.open(copy.database) as store:
        alice = store.user("alice")
        assert alice is not None
        inflate_internal(store, 1, alice.position >> 1, 3 + 1, 50 * 10**9)
    republish(copy.dir, copy.keys)
    code, out = _audit(copy, tree=False)
    assert code == 0  # the opening alone cannot see it: the root opens to its (forged) totals
    eth = next(t for t in out["margin"]["totals"] if t["symbol"] == "ETH")
    assert Decimal(eth["debt"]) == _ledger_sums()["ETH"][1] + 50
    code, out = _audit(copy)
    assert code == 1 and "internal node (level 1" in str(out["error"])
    assert "not the sum of its children" in str(out["error"])


def test_attack_prices_in_the_user_file_differ_from_the_signed_root(
    built: Epoch, tmp_path: Path
) -> None:
    doc = load(built.proofs / "carol.json")
    # carol owes 0.1 BTC; a lower BTC price in her file makes her look better covered
    doc["margin"]["assets"][0]["price"] = "50000"
    forged = save(tmp_path / "carol.json", doc)
    r = run(*built.verify_args(forged))
    assert r.exit_code == 1
    assert "FAILED: margin mismatch: the price or haircut of BTC" in r.output
    doc["margin"]["assets"][0]["price"] = "60000"
    doc["margin"]["assets"][2]["haircut"] = "0.5"
    forged = save(tmp_path / "carol2.json", doc)
    r = run(*built.verify_args(forged))
    assert r.exit_code == 1 and "haircut of USDT" in r.output


def test_attack_debt_commitment_swapped_with_equity(copy: Epoch) -> None:
    # alice's USDT debt is moved to the USDT equity column (E_2 <-> F_2): her liabilities
    # rise, the exchange's debt total falls by the same; the leaf's collateral proof breaks.
    def swap(c: list[int]) -> list[int]:
        c[2], c[5] = c[5], c[2]
        return c

    _forge(copy, "alice", swap)
    _prove_forged(copy)
    code, out = _audit(copy)
    assert code == 1 and "collateral proof of leaf" in str(out["error"])
    code, out = _verify(copy, "alice", forged=True)
    assert code == 1 and "your collateral proof" in str(out["error"])
    # alice's own file still states her debt: her recomputed leaf no longer matches
    (copy.root / "forged").mkdir(exist_ok=True)
    shutil.copy(copy.proofs / "alice.json", copy.root / "forged/alice-old.json")
    code, out = _verify(copy, "alice-old", forged=True)
    assert code == 1 and "mismatch" in str(out["error"])


def test_collateral_value_at_the_proven_bound_is_refused(tmp_path: Path) -> None:
    # A price of 1e11 with 2 million BTC: the collateral value reaches 2^127 units of
    # 10^-(12+D) quote, one bit below the proven range: refused, naming the row.
    cfg = _config(tmp_path, 0, "price", "99999999999")
    ledger = write_csv(
        tmp_path / "l.csv",
        ["user_id", "BTC", "ETH", "USDT"],
        [["small", "1", "0", "0"], ["whale", "2000000", "0", "0"]],
    )
    r = _try_build(tmp_path, ledger, "--assets-config", cfg)
    assert r.exit_code == 2
    assert "row 3" in r.output and "2^127" in r.output and "'whale'" in r.output
    assert not (tmp_path / "ep").exists()
