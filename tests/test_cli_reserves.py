"""Proof of reserves end to end through the CLI (issue 10): keys generated here, signatures made
with the libraries wallets use (libsecp256k1 through coincurve, eth-account), `reserves
verify`, `reserves prove`, `verify --solvency` and `audit --solvency` accepted; then each
rejection exits 1 with its reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cli_support import Epoch, build_epoch, json_result, make_keys, ok, run, write_csv
from reserves_support import btc_row, custodial_row, eth_row, multisig_row, new_key, numbered

from solvency.circuits.coverage import CoverStatement
from solvency.crypto import group
from solvency.crypto.bulletproofs import RangeProof
from solvency.epoch.reserves import liability_commitments, verify_reserves
from solvency.files import formats, signing
from solvency.files.reserves import (
    SNAPSHOT_COLUMNS,
    ReserveRow,
    ReservesFile,
    ownership_message,
)
from solvency.files.reserves_proof import AssetCover, ReservesProofFile

EXCHANGE = "CLI Test Exchange"


@dataclass(frozen=True)
class World:
    tmp: Path
    e1: Epoch
    e2: Epoch
    reserves: Path  # e1's reserves file: BTC exactly at the liabilities, ETH above
    balances: Path
    solvency: Path  # e1's solvency.json, made by `reserves prove`
    rows: tuple[ReserveRow, ...]


def _message(e: Epoch) -> str:
    root = formats.RootFile.loads(e.root_json.read_bytes())
    return ownership_message(EXCHANGE, root.epoch, root.root.hash)


def _rows(m: str, short: bool = False) -> list[ReserveRow]:
    """BTC 3, exactly the ledger's total (2.9 when ``short``), over every Bitcoin scheme, ETH
    8.5 in two EVM rows, and a custodial ETH balance that is never counted."""
    return [
        btc_row(m, "p2pkh-uncompressed", "0.2"),
        btc_row(m, "p2pkh", "0.7" if short else "0.8"),
        btc_row(m, "p2sh-p2wpkh", "0.5"),
        btc_row(m, "p2wpkh", "0.5"),
        multisig_row(m, 2, 3, 2, "p2sh", "0.5"),
        multisig_row(m, 2, 3, 2, "p2wsh", "0.5"),
        eth_row(m, "ETH", "6"),
        eth_row(m, "ETH", "2.5"),
        custodial_row("ETH", "100"),
    ]


def _write(path: Path, rows: list[ReserveRow] | tuple[ReserveRow, ...]) -> Path:
    path.write_bytes(ReservesFile(numbered(list(rows))).dumps_csv())
    return path


def _snapshot(path: Path, rows: tuple[ReserveRow, ...]) -> Path:
    return write_csv(
        path,
        SNAPSHOT_COLUMNS,
        [
            [r.asset, r.chain, r.address, r.balance, str(r.height)]
            for r in rows
            if r.scheme != "custodial"
        ],
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    tmp = tmp_path_factory.mktemp("reserves")
    keys = make_keys(tmp / "keys")
    ledger = write_csv(
        tmp / "ledger.csv", ["user_id", "BTC", "ETH"], [["alice", "1", "5"], ["bob", "2", "3"]]
    )
    e1 = build_epoch(tmp, ledger, ("BTC:8", "ETH:9"), keys, "e1")
    e2 = build_epoch(tmp, ledger, ("BTC:8", "ETH:9"), keys, "e2")
    rows = numbered(_rows(_message(e1)))
    reserves = _write(tmp / "reserves.csv", rows)
    solvency = tmp / "solvency.json"
    ok("reserves", "prove", e1.dir, "--reserves", reserves, "--keys", keys, "--out", solvency)
    return World(tmp, e1, e2, reserves, _snapshot(tmp / "balances.csv", rows), solvency, rows)


def _rverify(w: World, reserves: Path, *extra: object) -> list[object]:
    return ["reserves", "verify", reserves, "--root", w.e1.root_json, "--pubkey", w.e1.pub, *extra]


def _solvency_verify(e: Epoch, solvency: Path, reserves: Path) -> list[object]:
    """alice's ``verify`` in ``e`` with a solvency proof and the reserves file beside it."""
    return e.verify_args(e.proofs / "alice.json", "--solvency", solvency, "--reserves", reserves)


def _solvency_audit(e: Epoch, solvency: Path, reserves: Path, *extra: object) -> list[object]:
    """The auditor's ``audit`` of ``e`` with a solvency proof and the reserves file beside it."""
    return e.audit_args("--solvency", solvency, "--reserves", reserves, *extra)


def test_reserves_verify_prove_verify_audit_accepted(world: World) -> None:
    w = world
    res = ok(*_rverify(w, w.reserves, "--balances", w.balances))
    assert "VERIFIED: 8 reserve addresses of 'CLI Test Exchange' are proven for epoch e1" in (
        res.stdout
    )
    assert "1 custodial balances reported apart; every balance agrees with the snapshot" in (
        res.stdout
    )
    assert "  BTC        key-proven 3.00000000 (6 addresses)" in res.stdout
    assert "custodial 100.000000000 (1, not counted)" in res.stdout
    doc = json_result(run(*_rverify(w, w.reserves, "--balances", w.balances, "--json")))
    assert doc["status"] == "verified" and doc["reserves"]["snapshot"] == {"checked": 8, "extra": 0}
    types = [r["address_type"] for r in doc["reserves"]["rows"]]
    assert types == [
        "p2pkh",
        "p2pkh",
        "p2sh-p2wpkh",
        "p2wpkh",
        "p2sh-multisig",
        "p2wsh-multisig",
        "evm",
        "evm",
        "custodial",
    ]
    assert w.solvency.exists() and w.solvency.with_name("solvency.json.sig").exists()
    # The user: inclusion, and reserves covering liabilities, without the totals.
    user = ok(*_solvency_verify(w.e1, w.solvency, w.reserves))
    assert "reserves cover at least 100% of the liabilities of every asset (BTC, ETH)" in (
        user.stdout
    )
    assert "  BTC        reserves 3.00000000 cover at least 100% of the liabilities" in user.stdout
    assert "ratio" not in user.stdout  # the user does not learn L_a
    # The auditor, who holds the opening, sees each ratio.
    audit = run(*_solvency_audit(w.e1, w.solvency, w.reserves, "--balances", w.balances, "--json"))
    doc = json_result(audit, "audit")
    assert audit.exit_code == 0, audit.output
    assert [a["ratio_percent"] for a in doc["solvency"]["assets"]] == ["100.00", "106.25"]


def _fails(args: list[object], reason: str) -> None:
    result = run(*args)
    assert result.exit_code == 1, result.output
    last = result.stdout.splitlines()[-1]
    assert last.startswith("FAILED: ") and reason in last, last
    doc = json_result(run(*args, "--json"))
    assert doc["status"] == "failed" and reason in doc["error"]


def test_signature_over_another_epochs_root_fails(world: World, tmp_path: Path) -> None:
    w = world
    old = _write(tmp_path / "old.csv", _rows(_message(w.e2)))
    _fails(_rverify(w, old), "signed message is for epoch e2")


def test_signature_by_a_key_not_the_addresss_fails(world: World, tmp_path: Path) -> None:
    w = world
    m = _message(w.e1)
    bad = _write(tmp_path / "r.csv", [*w.rows[:3], btc_row(m, "p2wpkh", "0.5", signer=new_key())])
    _fails(_rverify(w, bad), "row 4 (line 15) (BTC at bc1q")
    _fails(_rverify(w, bad), "the signature is not by the address's key")
    bad = _write(tmp_path / "e.csv", [eth_row(m, signer=new_key())])
    _fails(_rverify(w, bad), "the signature is not by the address's key")


def test_multisig_with_fewer_than_m_signatures_fails(world: World, tmp_path: Path) -> None:
    w = world
    bad = _write(tmp_path / "r.csv", [multisig_row(_message(w.e1), 2, 3, 1, "p2wsh")])
    _fails(_rverify(w, bad), "only 1 distinct key(s) of the 2-of-3 script signed")


def test_duplicated_address_fails(world: World, tmp_path: Path) -> None:
    w = world
    bad = _write(tmp_path / "r.csv", [*w.rows, w.rows[1]])
    _fails(_rverify(w, bad), "row 10 (line 36): duplicate address")
    # The same EVM address in another case is the same address.
    lower = replace(w.rows[6], address=w.rows[6].address.lower())
    bad = _write(tmp_path / "e.csv", [*w.rows, lower])
    _fails(_rverify(w, bad), "is already in row 7 (line")


def test_unknown_address_type_fails(world: World, tmp_path: Path) -> None:
    w = world
    taproot = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    bad = _write(tmp_path / "r.csv", [replace(w.rows[3], address=taproot)])
    _fails(_rverify(w, bad), "unknown address type")
    bad = _write(tmp_path / "s.csv", [replace(w.rows[3], scheme="bip322")])
    _fails(_rverify(w, bad), "unknown ownership scheme 'bip322'")


def test_balance_differing_from_the_snapshot_fails(world: World, tmp_path: Path) -> None:
    w = world
    text = w.balances.read_text().replace(
        f",{w.rows[2].address},0.5,", f",{w.rows[2].address},0.49,"
    )
    snapshot = tmp_path / "balances.csv"
    snapshot.write_text(text)
    _fails(
        _rverify(w, w.reserves, "--balances", snapshot),
        f"row 3 (line 11): balance 0.5 BTC at {w.rows[2].address}, the balances file (row 3) "
        "says 0.49",
    )


def _cheat_proof(w: World, reserves: Path) -> ReservesProofFile:
    """A cheating exchange with the library: its key-proven BTC is 2.9 against 3 owed, so it
    proves ``100*R - 100*L' >= 0`` for an L' = R of its choosing, under the real blinding."""
    root = formats.RootFile.loads(w.e1.root_json.read_bytes())
    liab = formats.LiabilitiesFile.loads(w.e1.liabilities.read_bytes())
    report = verify_reserves(ReservesFile.loads_csv(reserves.read_bytes()), root)
    _, C = liability_commitments(root)
    covers = []
    for k, (a, t) in enumerate(zip(report.assets, liab.totals, strict=True)):
        s = CoverStatement(root.epoch, root.root.hash, k, a.asset.symbol, a.proven_units, 100, C[k])
        claimed = min(t.units, a.proven_units)
        X_hi, X_lo = divmod(100 * a.proven_units - 100 * claimed, 2**64)
        rho = (-100 * t.blinding) % group.L
        rho_hi = group.random_scalar()
        proof, V = RangeProof.prove(
            [X_lo, X_hi], [(rho - 2**64 * rho_hi) % group.L, rho_hi], 64, s.transcript()
        )
        covers.append(
            AssetCover(a.asset.symbol, a.proven_units, a.custodial_units, V[1], proof.to_bytes())
        )
    return ReservesProofFile(
        root.epoch,
        root.root.hash,
        EXCHANGE,
        formats.rfc3339_utc(),
        "cheat",
        100,
        hashlib.sha256(reserves.read_bytes()).digest(),
        tuple(covers),
    )


def test_solvency_proof_for_reserves_below_liabilities_fails(world: World, tmp_path: Path) -> None:
    w = world
    short = _write(tmp_path / "short.csv", _rows(_message(w.e1), short=True))
    out = tmp_path / "solvency.json"
    # The honest command refuses and writes nothing.
    result = run(
        "reserves", "prove", w.e1.dir, "--reserves", short, "--keys", w.e1.keys, "--out", out
    )
    assert result.exit_code == 1, result.output
    assert "FAILED: reserves do not cover 100% of the liabilities of BTC" in result.stdout
    assert not out.exists() and not out.with_name("solvency.json.sig").exists()
    # The cheating exchange makes and signs a proof with the library: users catch it.
    cheat = _cheat_proof(w, short)
    out.write_bytes(cheat.dumps())
    key = signing.load_signing_key(w.e1.keys / "signing.key")
    out.with_name("solvency.json.sig").write_bytes(
        signing.encode_signature(key.sign(cheat.dumps()))
    )
    _fails(
        _solvency_verify(w.e1, out, short),
        "solvency proof of BTC does not verify: reserves are not shown to cover 100%",
    )


def test_solvency_proof_for_another_epoch_fails(world: World, tmp_path: Path) -> None:
    w = world
    reserves2 = _write(tmp_path / "r2.csv", _rows(_message(w.e2)))
    _fails(
        _solvency_verify(w.e2, w.solvency, reserves2),
        "the solvency proof is for epoch e1, the root is for epoch e2",
    )
    # e1's proof beside e1's reserves but e2's root: the reserves' messages name e1.
    _fails(_solvency_verify(w.e2, w.solvency, w.reserves), "signed message is for epoch e1")


def test_tampered_or_unsigned_solvency_file(world: World, tmp_path: Path) -> None:
    w = world
    copy = tmp_path / "solvency.json"
    data = w.solvency.read_bytes().replace(b'"min_ratio_percent": 100', b'"min_ratio_percent": 99')
    copy.write_bytes(data)
    copy.with_name("solvency.json.sig").write_bytes(
        w.solvency.with_name("solvency.json.sig").read_bytes()
    )
    _fails(_solvency_audit(w.e1, copy, w.reserves), "solvency.json is not signed by the root's key")
    # Made for another reserves file (a row added after proving).
    other = _write(tmp_path / "more.csv", [*w.rows, eth_row(_message(w.e1), "ETH", "1")])
    _fails(
        _solvency_audit(w.e1, w.solvency, other),
        "the solvency proof was made for another reserves file",
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["reserves", "verify", "RES", "--pubkey", "PUB"], "Missing option '--root'"),
        (
            ["verify", "PROOF", "--root", "ROOT", "--pubkey", "PUB", "--solvency", "SOL"],
            "go together",
        ),
        (
            ["reserves", "prove", "EP", "--reserves", "RES", "--keys", "KEYS", "--out", "SOL"],
            "already exists",
        ),
        (
            [
                "reserves",
                "prove",
                "EP",
                "--reserves",
                "RES",
                "--keys",
                "KEYS",
                "--out",
                "X",
                "--min-ratio",
                "0",
            ],
            "--min-ratio",
        ),
    ],
)
def test_bad_usage_exits_2(world: World, args: list[str], words: str) -> None:
    w = world
    subst = {
        "RES": w.reserves,
        "PUB": w.e1.pub,
        "PROOF": w.e1.proofs / "alice.json",
        "ROOT": w.e1.root_json,
        "SOL": w.solvency,
        "EP": w.e1.dir,
        "KEYS": w.e1.keys,
        "X": w.tmp / "x.json",
    }
    result = run(*[subst.get(a, a) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and words in result.stderr


def test_malformed_reserves_file_exits_2_naming_row_and_column(
    world: World, tmp_path: Path
) -> None:
    w = world
    bad = tmp_path / "bad.csv"
    bad.write_bytes(w.reserves.read_bytes().replace(b",0.5,", b",0.5.0,", 1))
    result = run(*_rverify(w, bad))
    assert result.exit_code == 2
    assert "row 3 (line 11), column balance" in result.stderr


@pytest.mark.parametrize("force", [False, True])
def test_a_failed_signature_write_leaves_neither_file(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, force: bool
) -> None:
    """Nothing half-written: when writing solvency.json.sig fails, solvency.json goes too (and,
    with --force, the old signature that would not sign the new file)."""
    from solvency.files import secure_io

    w = world
    out = tmp_path / "solvency.json"
    if force:
        out.write_bytes(b"old\n")
        out.with_name("solvency.json.sig").write_bytes(b"old signature\n")
    real = secure_io.write_atomic

    def failing(path: object, data: bytes, **kw: object) -> None:
        if str(path).endswith(".sig"):
            raise OSError(28, "No space left on device", str(path))
        real(path, data, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(secure_io, "write_atomic", failing)
    args = ["reserves", "prove", w.e1.dir, "--reserves", w.reserves, "--keys", w.e1.keys]
    result = run(*args, "--out", out, *(["--force"] if force else []))
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr
    assert not out.exists() and not out.with_name("solvency.json.sig").exists()
