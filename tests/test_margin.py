"""Margin weights and the per-user collateral relation (PROTOCOL section 10), with the attacks
a cheating exchange would try: a dummy user with uncovered debt, a proof moved between leaves,
a forged high limb, equity and debt commitments swapped, and the net liability opening."""

from __future__ import annotations

import pytest
from conftest import make_rng
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.circuits.collateral import (
    check_net_liability,
    collateral_commitment,
    net_liability_opening,
    prove_collateral,
    verify_collateral,
)
from solvency.crypto import group, pedersen
from solvency.errors import InvalidParameterError, MalformedInputError, VerificationError
from solvency.files.ledger import AssetSpec
from solvency.files.margin import (
    MAX_COLLATERAL_VALUE,
    MarginAsset,
    Weights,
    check_covered,
    margin_weights,
)

ASSETS = (AssetSpec("BTC", 8), AssetSpec("ETH", 9), AssetSpec("USDT", 6))
MARGIN = (
    MarginAsset("BTC", "60000.12345678", "0.95"),
    MarginAsset("ETH", "3000", "0.9"),
    MarginAsset("USDT", "1", "1"),
)
W = margin_weights(ASSETS, MARGIN)


def _commit(values: tuple[int, ...], seed: int) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
    rng = make_rng(seed)
    r = tuple(group.random_scalar(rng) for _ in values)
    return tuple(pedersen.commit(v, x) for v, x in zip(values, r, strict=True)), r


def _leaf(
    equity: tuple[int, ...], debt: tuple[int, ...], index: int = 3, seed: int = 1
) -> tuple[tuple[bytes, ...], tuple[bytes, ...], bytes, bytes]:
    E, r = _commit(equity, seed)
    F, s = _commit(debt, seed + 100)
    C_hi, proof = prove_collateral("m1", index, equity, debt, r, s, W, make_rng(seed + 7))
    return E, F, C_hi, proof


def test_weights_are_exact_fixed_point() -> None:
    # w_k = P_k * 10^(D - d_k), D = 9: BTC 6000012345678 * 10, ETH 3000e8, USDT 1e8 * 1000
    assert W.debt == (6000012345678 * 10 * 10**4, 3000 * 10**8 * 10**4, 10**8 * 10**3 * 10**4)
    assert W.collateral == (6000012345678 * 10 * 9500, 3000 * 10**8 * 9000, 10**11 * 10**4)
    # 1 BTC of equity covers exactly 0.95 * 60000.12345678 USDT of debt, to the last unit
    cover = 95 * 6000012345678 // 100  # in 10^-8 USDT ... = 57000.117283941 USDT
    assert W.surplus((10**8, 0, 0), (0, 0, cover // 100)) >= 0


@pytest.mark.parametrize(
    ("margin", "words"),
    [
        (("1.123456789", "1"), "at most 8"),
        (("1", "0.12345"), "at most 4"),
        (("1", "1.0001"), "[0, 1]"),
        (("-1", "1"), "decimal string"),
        (("1e3", "1"), "decimal string"),
    ],
)
def test_config_is_refused_never_rounded(margin: tuple[str, str], words: str) -> None:
    with pytest.raises(MalformedInputError, match=r"asset BTC: (price|haircut)") as info:
        MarginAsset("BTC", *margin)
    assert words in str(info.value)


def test_weight_bound_names_the_asset() -> None:
    with pytest.raises(MalformedInputError, match="asset BTC: price too large"):
        margin_weights(
            (AssetSpec("BTC", 0), AssetSpec("WEI", 18)),
            (MarginAsset("BTC", "9" * 20, "1"), MarginAsset("WEI", "1", "1")),
        )


def test_build_side_refusals_name_the_row() -> None:
    with pytest.raises(MalformedInputError, match="row 7: debt is not covered"):
        check_covered(W, (0, 0, 100), (0, 0, 101), row=7)
    with pytest.raises(MalformedInputError, match="row 9: collateral value reaches 2"):
        check_covered(Weights((MAX_COLLATERAL_VALUE,), (1,)), (1,), (0,), row=9)
    assert check_covered(W, (0, 0, 100), (0, 0, 100)) == 0


def test_honest_borrower_verifies_and_attacks_fail() -> None:
    # 1 ETH at 0.9 haircut covers exactly 2700 USDT of debt: surplus 0
    equity, debt = (0, 10**9, 0), (0, 0, 2700 * 10**6)
    assert W.surplus(equity, debt) == 0
    E, F, C_hi, proof = _leaf(equity, debt)
    verify_collateral("m1", 3, E, F, W, C_hi, proof)
    # the proof is bound to its leaf and epoch
    with pytest.raises(VerificationError, match="leaf 4"):
        verify_collateral("m1", 4, E, F, W, C_hi, proof)
    with pytest.raises(VerificationError):
        verify_collateral("m2", 3, E, F, W, C_hi, proof)
    # equity and debt commitments swapped: the user now "owes" 1 ETH and "holds" 2700 USDT
    with pytest.raises(VerificationError, match="debt not covered"):
        verify_collateral("m1", 3, F, E, W, C_hi, proof)
    # prices or haircuts that differ from the ones the proof was made for
    other = margin_weights(ASSETS, (MARGIN[0], MarginAsset("ETH", "3000", "0.5"), MARGIN[2]))
    with pytest.raises(VerificationError):
        verify_collateral("m1", 3, E, F, other, C_hi, proof)
    # a malformed proof is reported as such
    with pytest.raises(VerificationError, match="malformed"):
        verify_collateral("m1", 3, E, F, W, C_hi, proof[:-1])


def test_dummy_user_attack_is_caught() -> None:
    """A dummy account owing 1 unit more than its haircut collateral covers: no honest proof
    exists, and the cheating exchange's best tries (another leaf's proof, a high limb chosen
    to make C_lo look small) do not verify."""
    equity, debt = (0, 10**9, 0), (0, 0, 2700 * 10**6 + 1)
    assert W.surplus(equity, debt) < 0
    E, r = _commit(equity, 5)
    F, s = _commit(debt, 6)
    with pytest.raises(InvalidParameterError, match="no proof"):
        prove_collateral("m1", 3, equity, debt, r, s, W)
    _, _, C_hi, proof = _leaf((0, 10**9, 0), (0, 0, 2700 * 10**6))
    with pytest.raises(VerificationError, match="debt not covered"):
        verify_collateral("m1", 3, E, F, W, C_hi, proof)
    # X = -b mod l is a huge scalar; pick C_hi so that C_lo = C_X - 2^64 C_hi commits to
    # a small value: then C_hi commits to (X - small) / 2^64 mod l, far outside [0, 2^64).
    C_X = collateral_commitment(E, F, W)
    forged_hi = group.mul(pow(2**64, -1, group.L), C_X)
    with pytest.raises(VerificationError, match="debt not covered"):
        verify_collateral("m1", 3, E, F, W, forged_hi, proof)


@settings(max_examples=4, deadline=None)
@given(
    usdt=st.sampled_from([0, 1, 10**6]) | st.integers(0, 10**12),
    kind=st.sampled_from(["zero", "exact", "short", "rich"]),
)
def test_random_borrowers(usdt: int, kind: str) -> None:
    equity = (0, 0, usdt)
    debt = {
        "zero": (0, 0, 0),
        "exact": (0, 0, usdt),
        "short": (0, 0, usdt + 1),
        "rich": (0, 0, usdt // 2),
    }[kind]
    E, r = _commit(equity, 11)
    F, s = _commit(debt, 12)
    if kind == "short":
        with pytest.raises(InvalidParameterError):
            prove_collateral("m1", 0, equity, debt, r, s, W)
        with pytest.raises(MalformedInputError):
            check_covered(W, equity, debt)
        return
    C_hi, proof = prove_collateral("m1", 0, equity, debt, r, s, W, make_rng(3))
    verify_collateral("m1", 0, E, F, W, C_hi, proof)


def test_net_liability_opens_from_the_root_opening() -> None:
    (E,), (R,) = _commit((500,), 21)
    (F,), (S,) = _commit((800,), 22)
    net, blinding = net_liability_opening(500, 800, R, S)
    assert net == -300
    check_net_liability(E, F, net, blinding)
    with pytest.raises(VerificationError):
        check_net_liability(E, F, net + 1, blinding)
    with pytest.raises(VerificationError):
        check_net_liability(F, E, net, blinding)  # swapped roots open to +300, not -300
