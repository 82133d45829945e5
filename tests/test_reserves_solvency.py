"""Reserves cover liabilities (docs/PROTOCOL.md 11.6-11.7): the relation at, just above and just
below the liabilities, a cheating exchange's forgeries, the bindings, and the epoch-level checks
of a reserves file against a root."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reserves_support import btc_row, custodial_row, eth_row, multisig_row, numbered

from solvency.circuits.coverage import (
    MAX_RATIO_PERCENT,
    CoverStatement,
    NotCoveredError,
    prove_cover,
    verify_cover,
)
from solvency.crypto import group
from solvency.crypto.bulletproofs import RangeProof
from solvency.crypto.pedersen import PedersenGens
from solvency.epoch.reserves import (
    make_reserves_proof,
    net_commitments,
    net_openings,
    reserve_ratios,
    verify_reserves,
    verify_reserves_proof,
)
from solvency.errors import InvalidParameterError, MalformedInputError, VerificationError
from solvency.files import formats
from solvency.files.ledger import AssetSpec, format_units
from solvency.files.reserves import ReservesFile, SnapshotRow, ownership_message
from solvency.files.reserves_proof import ReservesProofFile

PC = PedersenGens.default()
MAX = 2**64 - 1


def _statement(L: int, r: int, R: int, k: int = 100, epoch: str = "e1") -> CoverStatement:
    return CoverStatement(epoch, b"\x11" * 32, 0, "BTC", R, k, PC.commit(L % group.L, r))


@settings(max_examples=40, deadline=None)
@given(
    L=st.integers(0, MAX),
    k=st.sampled_from([100, 100, 101, 150, 1, MAX_RATIO_PERCENT]),
    delta=st.sampled_from([-1, 0, 1]) | st.integers(-(2**70), 2**70),
)
@example(L=0, k=100, delta=0)
@example(L=MAX, k=100, delta=0)
@example(L=MAX, k=100, delta=-1)
@example(L=1, k=100, delta=-1)
@example(L=2**63, k=150, delta=-1)
def test_cover_at_just_above_and_just_below_the_liabilities(L: int, k: int, delta: int) -> None:
    """R = ceil(k*L/100) + delta: a proof exists and verifies iff 100*R >= k*L."""
    R = -(-k * L // 100) + delta
    if not 0 <= R <= MAX:
        return
    r = group.random_scalar()
    s = _statement(L, r, R, k)
    if 100 * R >= k * L:
        C_hi, proof = prove_cover(s, L, r)
        verify_cover(s, C_hi, proof)
    else:
        with pytest.raises(NotCoveredError, match=f"do not cover {k}%"):
            prove_cover(s, L, r)


def _cheat(s: CoverStatement, claimed_L: int, r: int) -> tuple[bytes, bytes]:
    """A cheating exchange with the library: it proves 100*R - k*L' >= 0 for a smaller L' of
    its choosing, with the blinding of the real commitment, as the honest prover would."""
    X = 100 * s.reserves - s.ratio_percent * claimed_L
    X_hi, X_lo = divmod(X, 2**64)
    rho = (-s.ratio_percent * r) % group.L
    rho_hi = group.random_scalar()
    proof, V = RangeProof.prove(
        [X_lo, X_hi], [(rho - 2**64 * rho_hi) % group.L, rho_hi], 64, s.transcript()
    )
    return V[1], proof.to_bytes()


def test_cheating_exchange_with_reserves_below_liabilities_is_caught() -> None:
    L, R, r = 1_000_000, 999_999, group.random_scalar()
    s = _statement(L, r, R)
    with pytest.raises(NotCoveredError):
        prove_cover(s, L, r)
    C_hi, proof = _cheat(s, claimed_L=R, r=r)
    with pytest.raises(VerificationError, match="does not verify: reserves are not shown"):
        verify_cover(s, C_hi, proof)
    # Making the deficit wrap modulo l needs a limb of about l / 2^64 > 2^64: no range proof.
    X = (100 * R - 100 * L) % group.L
    X_hi, X_lo = divmod(X, 2**64)
    assert X_hi >= 2**64
    with pytest.raises(InvalidParameterError):
        RangeProof.prove([X_lo, X_hi], [1, 2], 64, s.transcript())


def test_negative_net_liability_is_covered() -> None:
    """With margin, equity minus debt may be negative: C_a = Com(-5 mod l, r)."""
    r = group.random_scalar()
    s = _statement(-5, r, 0)
    C_hi, proof = prove_cover(s, -5, r)
    verify_cover(s, C_hi, proof)


def test_cover_proof_is_bound_to_its_statement() -> None:
    L, r = 10**12, group.random_scalar()
    s = _statement(L, r, 2 * L, k=150)
    C_hi, proof = prove_cover(s, L, r)
    verify_cover(s, C_hi, proof)
    for other in [
        replace(s, epoch="e2"),
        replace(s, root_hash=b"\x12" * 32),
        replace(s, asset_index=1),
        replace(s, symbol="ETH"),
        replace(s, reserves=2 * L - 1),
        replace(s, ratio_percent=151),
        replace(s, C_a=PC.commit(L, group.random_scalar())),
    ]:
        with pytest.raises(VerificationError):
            verify_cover(other, C_hi, proof)
    for i in [*range(32), *range(0, len(proof), 7)]:
        bad_C = bytearray(C_hi)
        bad_P = bytearray(proof)
        if i < 32:
            bad_C[i] ^= 1
            with pytest.raises(VerificationError):
                verify_cover(s, bytes(bad_C), proof)
        bad_P[i] ^= 1
        with pytest.raises(VerificationError):
            verify_cover(s, C_hi, bytes(bad_P))


def test_statement_bounds() -> None:
    with pytest.raises(InvalidParameterError, match="ratio"):
        _statement(1, 1, 1, k=MAX_RATIO_PERCENT + 1)
    with pytest.raises(InvalidParameterError, match="reserves"):
        _statement(1, 1, 2**64)
    with pytest.raises(InvalidParameterError, match="opening does not match"):
        prove_cover(_statement(5, 7, 10), 4, 7)


# --- the epoch level: a reserves file against a root ------------------------------------------

ASSETS = (AssetSpec("BTC", 8), AssetSpec("ETH", 9), AssetSpec("USDT", 6))


def _epoch(
    totals: tuple[int, ...] = (150_000_000, 10 * 10**9, 5 * 10**6), epoch: str = "2026-01"
) -> tuple[formats.RootFile, formats.LiabilitiesFile]:
    blindings = [group.random_scalar() for _ in totals]
    root_hash = hashlib.sha256(epoch.encode()).digest()
    root = formats.RootFile(
        epoch=epoch,
        created="2026-01-31T00:00:00Z",
        tool="test",
        height=4,
        range_bits=64,
        assets=ASSETS,
        root=formats.RootCommitment(
            root_hash, tuple(PC.commit(t, b) for t, b in zip(totals, blindings, strict=True))
        ),
    )
    liab = formats.LiabilitiesFile(
        epoch,
        root_hash,
        tuple(
            formats.LiabilityTotal(a.symbol, a.decimals, t, b)
            for a, t, b in zip(ASSETS, totals, blindings, strict=True)
        ),
    )
    return root, liab


def _reserves(root: formats.RootFile, exchange: str = "Test Exchange") -> ReservesFile:
    m = ownership_message(exchange, root.epoch, root.root.hash)
    return ReservesFile(
        numbered(
            [
                btc_row(m, "p2wpkh", "1"),
                multisig_row(m, 2, 3, 2, "p2wsh", "0.5"),
                eth_row(m, "ETH", "10"),
                eth_row(m, "USDT", "4"),
                custodial_row("USDT", "1"),
            ]
        )
    )


def test_reserves_totals_proof_and_ratios() -> None:
    root, liab = _epoch()
    rf = _reserves(root)
    report = verify_reserves(rf, root)
    assert [(a.proven_units, a.custodial_units) for a in report.assets] == [
        (150_000_000, 0),
        (10 * 10**9, 0),
        (4 * 10**6, 10**6),
    ]
    # USDT: 4 key-proven against 5 owed; the custodial 1 is never counted.
    with pytest.raises(NotCoveredError, match="of USDT: no solvency proof"):
        make_reserves_proof(root, liab, report, b"\0" * 32, 100, "test")
    proof = make_reserves_proof(root, liab, report, b"\0" * 32, 80, "test")
    verify_reserves_proof(proof, root, report, b"\0" * 32)
    back = type(proof).loads(proof.dumps())
    assert back == proof
    verify_reserves_proof(back, root, report, b"\0" * 32)
    with pytest.raises(VerificationError, match="another reserves file"):
        verify_reserves_proof(proof, root, report, b"\1" * 32)
    other_root, _ = _epoch(epoch="2026-02")
    with pytest.raises(VerificationError, match="for epoch 2026-01, the root is for epoch 2026-02"):
        verify_reserves_proof(proof, other_root, report, b"\0" * 32)
    ratios = reserve_ratios(report, [t.units for t in liab.totals])
    assert [r["ratio_percent"] for r in ratios] == ["100.00", "100.00", "80.00"]


def test_inflated_reserves_in_the_proof_file_are_caught() -> None:
    """The cheating exchange proves against reserves it does not show in the reserves file."""
    root, liab = _epoch()
    report = verify_reserves(_reserves(root), root)
    fake = replace(
        report,
        assets=tuple(replace(a, proven_units=a.proven_units * 2) for a in report.assets),
    )
    proof = make_reserves_proof(root, liab, fake, b"\0" * 32, 100, "test")
    with pytest.raises(VerificationError, match="claims 300000000 units"):
        verify_reserves_proof(proof, root, report, b"\0" * 32)


def test_reserves_file_checks_against_the_root() -> None:
    root, _ = _epoch()
    rf = _reserves(root)
    rows = list(rf.rows)
    # Duplicate (EVM compared case-blind).
    dup = replace(rows[2], address=rows[2].address.lower(), row=6)
    with pytest.raises(VerificationError, match=r"row 6: duplicate address.*already in row 3"):
        verify_reserves(ReservesFile((*rows, dup)), root)
    # A Bitcoin address holds one coin: listed under two assets, it is still a duplicate.
    as_eth = replace(rows[0], asset="ETH", row=6)
    with pytest.raises(VerificationError, match=r"row 6: duplicate address: .* as BTC"):
        verify_reserves(ReservesFile((*rows, as_eth)), root)
    # An asset the root does not have.
    with pytest.raises(MalformedInputError, match="'DOGE' is not an asset"):
        verify_reserves(ReservesFile((*rows, replace(rows[0], asset="DOGE", row=6))), root)
    # Two snapshots of one chain.
    moved = replace(rows[1], height=rows[1].height + 1)
    with pytest.raises(VerificationError, match="row 2: snapshot of bitcoin at height"):
        verify_reserves(ReservesFile((rows[0], moved, *rows[2:])), root)
    # Another exchange's message in one row.
    other = _reserves(root, "Other Exchange").rows[0]
    with pytest.raises(VerificationError, match="names exchange 'Other Exchange'"):
        verify_reserves(ReservesFile((*rows, replace(other, row=6))), root)
    # A file made for another epoch.
    other_root, _ = _epoch(epoch="2026-02")
    with pytest.raises(VerificationError, match=r"row 1 .*for epoch 2026-01 .*not epoch 2026-02"):
        verify_reserves(rf, other_root)


def test_snapshot_cross_check() -> None:
    root, _ = _epoch()
    rf = _reserves(root)
    snap = [
        SnapshotRow(r.asset, r.chain, r.address, r.balance, r.height, i + 1, i + 2)
        for i, r in enumerate(rf.rows)
        if r.scheme != "custodial"
    ]
    report = verify_reserves(rf, root, snap)
    assert (report.snapshot_checked, report.snapshot_extra) == (4, 0)
    # Different spelling of the same amount is the same balance.
    same = [replace(snap[0], balance="1.00000000"), *snap[1:]]
    verify_reserves(rf, root, same)
    with pytest.raises(VerificationError, match=r"row 1: balance 1 BTC .* says 0.99999999"):
        verify_reserves(rf, root, [replace(snap[0], balance="0.99999999"), *snap[1:]])
    with pytest.raises(
        VerificationError,
        match="row 2: snapshot height 900000, the balances file row 2 is at height 1",
    ):
        verify_reserves(rf, root, [snap[0], replace(snap[1], height=1), *snap[2:]])
    with pytest.raises(VerificationError, match=r"row 3: .* is not in the balances file"):
        verify_reserves(rf, root, [*snap[:2], *snap[3:]])


_ROOT, _LIAB = _epoch((300_000_000, 8 * 10**9, 5 * 10**6))
_FILE = _reserves(_ROOT)  # BTC 1.5 (two rows), ETH 10, USDT 4 key-proven + 1 custodial


@settings(max_examples=12, deadline=None)
@given(
    asset=st.integers(0, 2),
    delta=st.sampled_from([-1, 0, 1]),
    ratio=st.sampled_from([100, 100, 80, 125]),
)
@example(asset=0, delta=-1, ratio=100)
@example(asset=0, delta=0, ratio=100)
@example(asset=2, delta=1, ratio=100)
def test_files_at_just_above_and_just_below_the_liabilities(
    asset: int, delta: int, ratio: int
) -> None:
    """Through the files: one row's balance moved so that asset's key-proven reserves are
    exactly ceil(k*L/100) + delta; the exchange's proof exists and verifies iff delta >= 0.
    (Balances are not signed: the snapshot check binds them; signatures stay valid.)"""
    a = ASSETS[asset]
    L = _LIAB.totals[asset].units
    need = -(-ratio * L // 100)
    rows = list(_FILE.rows)
    mine = [i for i, r in enumerate(rows) if r.asset == a.symbol and r.scheme != "custodial"]
    others = sum(rows[i].units(a.decimals) for i in mine[1:])
    target = need + delta - others
    if target < 0:
        return
    rows[mine[0]] = replace(rows[mine[0]], balance=format_units(target, a.decimals))
    # Every other asset is given ample reserves at this ratio.
    for k, b in enumerate(ASSETS):
        if k != asset:
            i = next(
                i for i, r in enumerate(rows) if r.asset == b.symbol and r.scheme != "custodial"
            )
            ample = 2 * ratio * _LIAB.totals[k].units // 100 + 1
            rows[i] = replace(rows[i], balance=format_units(ample, b.decimals))
    rf = ReservesFile(tuple(rows))
    report = verify_reserves(rf, _ROOT)
    assert report.assets[asset].proven_units == need + delta
    if delta < 0:
        with pytest.raises(NotCoveredError, match=f"of {a.symbol}: no solvency proof"):
            make_reserves_proof(_ROOT, _LIAB, report, b"\0" * 32, ratio, "test")
        return
    proof = make_reserves_proof(_ROOT, _LIAB, report, b"\0" * 32, ratio, "test")
    verify_reserves_proof(ReservesProofFile.loads(proof.dumps()), _ROOT, report, b"\0" * 32)


def test_margin_root_net_liability_plugs_in() -> None:
    """A margin root commits to equity E_a then debt D_a per asset (2a commitments): C_a is
    E_a(root) - F_a(root), opened by (E_a - D_a, R_a - S_a); an asset the exchange is owed
    more of than it owes (E < D) needs no reserves."""
    E, D = [500, 100], [200, 300]
    R, S = [group.random_scalar() for _ in E], [group.random_scalar() for _ in D]
    commitments = [PC.commit(v, r) for v, r in zip(E + D, R + S, strict=True)]
    how, C = net_commitments(commitments, 2)
    assert how == "equity-minus-debt"
    openings = net_openings([(v, r) for v, r in zip(E + D, R + S, strict=True)], 2)
    assert [L for L, _ in openings] == [300, -200]
    for k, (L, r) in enumerate(openings):
        for reserves, covered in ((max(L, 0), True), (L - 1, False)):
            if reserves < 0:
                continue
            s = CoverStatement("m1", b"\x22" * 32, k, f"A{k}", reserves, 100, C[k])
            if covered:
                C_hi, proof = prove_cover(s, L, r)
                verify_cover(s, C_hi, proof)
            else:
                with pytest.raises(NotCoveredError):
                    prove_cover(s, L, r)
    # One commitment per asset is a v1 root; any other count is refused.
    assert net_commitments(commitments[:2], 2) == ("root-commitment", tuple(commitments[:2]))
    with pytest.raises(MalformedInputError, match="3 commitments for 2 assets"):
        net_commitments(commitments[:3], 2)
