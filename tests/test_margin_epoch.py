"""Margin epochs in the library (docs/PROTOCOL.md section 10): hypothesis over random margin
ledgers (zero, exact-cover and one-unit-short borrowers) for build, verify and audit; the v2
files' round trips and strict parsing. (The version 1 golden epoch: tests/test_golden.py; the
margin golden epoch: tests/test_golden_margin.py.)"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from pathlib import Path

import pytest
from cli_support import write_csv
from conftest import make_rng
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from solvency.circuits.collateral import (
    check_net_liability,
    net_liability_commitment,
)
from solvency.circuits.inclusion import verify_margin_inclusion
from solvency.epoch.audit import audit_tree
from solvency.epoch.builder import build_epoch, export_user_proof
from solvency.epoch.store import EpochStore
from solvency.errors import MalformedInputError, UnsupportedVersionError, VerificationError
from solvency.files import formats
from solvency.files.ledger import AssetSpec, LedgerError, format_units, iter_ledger
from solvency.files.margin import MarginAsset, MarginParams, load_config

ASSETS = (AssetSpec("BTC", 2), AssetSpec("USDT", 0))
MARGIN = MarginParams("USD", (MarginAsset("BTC", "100", "0.5"), MarginAsset("USDT", "1", "1")))
W = MARGIN.weights(ASSETS)

# A user: (BTC units, USDT units) signed. "kind" picks the borrower's debt relative to cover:
# exact cover, one unit short (refused), or anywhere below.
_kind = st.sampled_from(["zero", "equity", "exact", "exact", "under", "under", "short"])


@st.composite
def users(draw: st.DrawFn) -> tuple[int, int]:
    kind = draw(_kind)
    btc = draw(st.integers(0, 10**4))
    if kind == "zero":
        return (0, 0)
    if kind == "equity":
        return (btc, draw(st.integers(0, 10**6)))
    # 1 BTC unit (0.01 BTC) is worth 1 USD at price 100, and covers 0.5 USD after the haircut;
    # debt in whole USDT: exact cover needs an even number of BTC units.
    btc -= btc % 2
    cover = btc // 2
    if kind == "exact":
        return (btc, -cover) if cover else (0, 0)
    if kind == "short":
        return (btc, -(cover + 1))
    return (btc, -draw(st.integers(0, cover))) if cover else (btc, 0)


def _ledger(path: Path, rows: list[tuple[int, int]]) -> Path:
    return write_csv(
        path,
        ["user_id", "BTC", "USDT"],
        [[f"u{i}", formats.format_signed_units(b, 2), str(u)] for i, (b, u) in enumerate(rows)],
    )


def _verify(
    p: formats.InclusionProofFile,
    root_hash: bytes,
    root_commitments: Sequence[bytes],
    epoch: str,
    collateral: tuple[bytes, bytes] | None = None,
) -> None:
    """``verify_margin_inclusion`` of ``p`` under a root, with its own collateral proof or
    ``collateral`` in its place."""
    assert p.collateral is not None and p.sibling_collateral is not None
    mine = p.collateral.pair if collateral is None else collateral
    user = (p.user_id, p.balances, p.user_secret, p.position, p.path)
    root = (root_hash, root_commitments, epoch, p.assets, W)
    verify_margin_inclusion(*user, *root, mine, p.sibling_collateral.pair)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(rows=[(0, 0)])
@example(rows=[(2, -1), (0, 0), (4, -2), (7, 5)])  # exact covers, a zero, a lender
@example(rows=[(2, -1), (4, -3)])  # one unit short: refused at row 3
@given(rows=st.lists(users(), min_size=1, max_size=4))
def test_random_margin_ledgers_build_verify_audit(
    tmp_path: Path, rows: list[tuple[int, int]]
) -> None:
    work = tmp_path / secrets.token_hex(4)
    work.mkdir()
    ledger = _ledger(work / "l.csv", rows)
    master = make_rng(len(rows))(32)
    short = [i for i, (b, u) in enumerate(rows) if u < 0 and b * W.collateral[0] < -u * W.debt[1]]
    if short:
        # build refuses, naming the first short borrower's row, and writes nothing
        with pytest.raises(LedgerError) as exc:
            build_epoch(
                ledger, ASSETS, master, "h1", work / "ep", margin=MARGIN, workers=1, rng=make_rng(1)
            )
        assert exc.value.row == short[0] + 2
        assert not (work / "ep" / "private" / "epoch.sqlite").exists()
        return
    s = build_epoch(
        ledger, ASSETS, master, "h1", work / "ep", margin=MARGIN, workers=1, rng=make_rng(1)
    )
    equity = [sum(max(r[k], 0) for r in rows) for k in range(2)]
    debt = [sum(max(-r[k], 0) for r in rows) for k in range(2)]
    assert s.totals == (*equity, *debt)
    with EpochStore.open(s.store_path) as store:
        for i, (b, u) in enumerate(rows):
            p = export_user_proof(store, f"u{i}", master)
            assert p.balances == (b, u)
            again = formats.InclusionProofFile.loads(p.dumps())
            assert again == p
            assert p.collateral is not None and p.sibling_collateral is not None
            _verify(p, s.root_hash, s.root_commitments, "h1")
        report = audit_tree(store, s.root_hash, s.root_commitments)
        assert report.collateral_proofs == store.count_level(0)
    # net liability N_k = E_k(root) - F_k(root) opens to equity - debt
    for k in range(2):
        net = net_liability_commitment(s.root_commitments[k], s.root_commitments[2 + k])
        assert net == net_liability_commitment(s.root_commitments[k], s.root_commitments[2 + k])
        check_net_liability(
            s.root_commitments[k],
            s.root_commitments[2 + k],
            equity[k] - debt[k],
            (s.root_blindings[k] - s.root_blindings[2 + k]),
        )


@pytest.fixture(scope="module")
def margin_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[formats.RootFile, formats.LiabilitiesFile, formats.InclusionProofFile]:
    work = tmp_path_factory.mktemp("mf")
    ledger = _ledger(work / "l.csv", [(10, -5), (0, 7), (3, 0)])
    master = make_rng(9)(32)
    s = build_epoch(
        ledger, ASSETS, master, "f1", work / "ep", margin=MARGIN, workers=1, rng=make_rng(2)
    )
    # the root's 2a openings: equity then debt, each asset in order
    sides = ["equity", "equity", "debt", "debt"]
    columns = list(zip(ASSETS * 2, s.totals, s.root_blindings, sides, strict=True))
    root = formats.RootFile(
        "f1",
        formats.rfc3339_utc(),
        "t",
        s.height,
        64,
        ASSETS,
        formats.RootCommitment(s.root_hash, s.root_commitments),
        tuple(formats.TotalOpening(a.symbol, v, R, side) for a, v, R, side in columns),
        margin=MARGIN,
    )
    liab = formats.LiabilitiesFile(
        "f1",
        s.root_hash,
        tuple(
            formats.LiabilityTotal(a.symbol, a.decimals, v, R, side) for a, v, R, side in columns
        ),
    )
    with EpochStore.open(s.store_path) as store:
        proof = export_user_proof(store, "u0", master)
    return root, liab, proof


def test_v2_files_round_trip_and_say_version_2(
    margin_files: tuple[formats.RootFile, formats.LiabilitiesFile, formats.InclusionProofFile],
) -> None:
    root, liab, proof = margin_files
    assert formats.RootFile.loads(root.dumps()) == root
    assert formats.LiabilitiesFile.loads(liab.dumps()) == liab
    assert formats.InclusionProofFile.loads(proof.dumps()) == proof
    for doc in (root, liab, proof):
        assert doc.to_json()["version"] == 2
        formats.check_shape(doc.to_json(), formats.SCHEMA_FILES[(doc.FORMAT, 2)])
    # the net liability opening a reserves proof uses: equity - debt per asset
    assert [(a.symbol, n) for a, n, _ in liab.net()] == [("BTC", 13 - 0), ("USDT", 7 - 5)]
    assert proof.balances == (10, -5)
    assert proof.to_json()["balances"][1] == {"symbol": "USDT", "amount": "-5", "units": "-5"}


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d["margin"]["assets"][0].update(price="1.123456789"), "8 fraction digits"),
        (lambda d: d["margin"]["assets"][0].update(haircut="1.5"), "haircut"),
        (lambda d: d["margin"].update(collateral_bits=64), "collateral_bits"),
        (lambda d: d["margin"]["assets"].reverse(), "margin"),
        (lambda d: d["balances"][1].update(units="-05"), "balances[1].units"),
        (lambda d: d["balances"][1].update(amount="5"), "balances[1].amount"),
        (lambda d: d.pop("sibling_collateral"), "sibling_collateral"),
        (lambda d: d["path"][0]["commitments"].pop(), "commitments"),
        (lambda d: d["root"]["commitments"].pop(), "commitments"),
        (lambda d: d.update(version=1), "unknown key"),
    ],
)
def test_v2_proof_parsing_is_strict(
    margin_files: tuple[formats.RootFile, formats.LiabilitiesFile, formats.InclusionProofFile],
    edit: object,
    words: str,
) -> None:
    doc = margin_files[2].to_json()
    edit(doc)  # type: ignore[operator]
    with pytest.raises(MalformedInputError, match=re.escape(words)):
        formats.InclusionProofFile.from_json(doc)


def test_v2_root_and_liabilities_sides_are_checked(
    margin_files: tuple[formats.RootFile, formats.LiabilitiesFile, formats.InclusionProofFile],
) -> None:
    root, liab, _ = margin_files
    r = root.to_json()
    r["totals"][0]["side"], r["totals"][2]["side"] = "debt", "equity"
    with pytest.raises(MalformedInputError, match="equity of every asset"):
        formats.RootFile.from_json(r)
    r = root.to_json()
    del r["parameters"]["margin"]
    with pytest.raises(MalformedInputError, match="margin"):
        formats.RootFile.from_json(r)
    j = liab.to_json()
    j["totals"][3]["symbol"] = "BTC"
    with pytest.raises(MalformedInputError):
        formats.LiabilitiesFile.from_json(j)
    j = liab.to_json()
    j["version"] = 3
    with pytest.raises(UnsupportedVersionError):
        formats.LiabilitiesFile.from_json(j)


def test_every_byte_flip_of_the_collateral_proof_is_rejected(
    margin_files: tuple[formats.RootFile, formats.LiabilitiesFile, formats.InclusionProofFile],
) -> None:
    root, _, p = margin_files
    assert p.collateral is not None and p.sibling_collateral is not None
    c_hi, proof = p.collateral.pair
    blob = c_hi + proof
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises((VerificationError, MalformedInputError)):
            _verify(
                p,
                root.root.hash,
                root.root.commitments,
                p.epoch,
                (bytes(bad[:32]), bytes(bad[32:])),
            )


def test_load_config_reads_both_versions(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    v1 = load_config(examples / "assets.json")
    assert v1.margin is None and [a.symbol for a in v1.assets] == ["BTC", "ETH", "USDT"]
    v2 = load_config(examples / "margin-assets.json")
    assert v2.margin is not None and v2.margin.quote == "USD"
    assert v2.margin.assets[0] == MarginAsset("BTC", "60000", "0.95")
    bad = tmp_path / "c.json"
    bad.write_text(
        (examples / "margin-assets.json").read_text().replace('"USDT", "price"', '"USDC", "price"')
    )
    with pytest.raises(MalformedInputError, match="in that order"):
        load_config(bad)


def test_amount_formatting_of_debts() -> None:
    assert formats.format_signed_units(-150, 2) == "-1.50"
    assert formats.format_signed_units(0, 2) == format_units(0, 2)


def test_signed_ledger_keeps_equity_and_debt_totals_apart(tmp_path: Path) -> None:
    half = 2**63
    ok_rows = [["a", formats.format_signed_units(half, 2), "0"],
               ["b", formats.format_signed_units(-(half - 1), 2), "0"]]  # fmt: skip
    ledger = write_csv(tmp_path / "l.csv", ["user_id", "BTC", "USDT"], ok_rows)
    rows = list(iter_ledger(ledger, ASSETS, signed=True))
    # equity and debt each below 2^64: accepted even though |equity| + |debt| is not
    assert [r.units for r in rows] == [(half, 0), (-(half - 1), 0)]
    third = ["c", formats.format_signed_units(-(half + 1), 2), "0"]
    over = write_csv(tmp_path / "o.csv", ["user_id", "BTC", "USDT"], [*ok_rows, third])
    with pytest.raises(LedgerError, match="BTC debt total reaches 2"):
        list(iter_ledger(over, ASSETS, signed=True))
    # without margin a debt is refused, and says why
    with pytest.raises(LedgerError, match=r"negative .*margin"):
        list(iter_ledger(ledger, ASSETS))
