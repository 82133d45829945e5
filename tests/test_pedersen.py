"""Pedersen commitments: dalek's default generators, the homomorphism, and openings."""

from __future__ import annotations

import hashlib

import pytest
from conftest import scalars
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solvency.crypto import group, pedersen
from solvency.crypto.group import BASEPOINT, IDENTITY, L
from solvency.crypto.pedersen import PedersenGens
from solvency.errors import InvalidParameterError, MalformedInputError, VerificationError

#: dalek's PedersenGens::default().B_blinding, as given in the shared dalek-compat notes.
DALEK_B_BLINDING = "8c9240b456a9e6dc65c377a1048d745f94a08cdb7f44cbcd7b46f34048871134"

values = st.one_of(st.sampled_from((0, 1, 2**64 - 1, L - 1)), st.integers(0, 2**64 - 1), scalars)


def test_default_generators_match_dalek() -> None:
    gens = PedersenGens.default()
    assert gens.B == BASEPOINT
    assert gens.B_blinding.hex() == DALEK_B_BLINDING
    # And the construction stated in the module: from_uniform(SHA3-512(B)).
    assert gens.B_blinding == group.from_uniform_bytes(hashlib.sha3_512(BASEPOINT).digest())
    assert gens.B_blinding != gens.B


@settings(max_examples=25, deadline=None)
@given(v=values, gamma=scalars)
def test_commit_is_v_B_plus_gamma_B_blinding(v: int, gamma: int) -> None:
    gens = PedersenGens.default()
    expected = group.add(group.mul_base(v), group.mul(gamma, gens.B_blinding))
    assert pedersen.commit(v, gamma) == expected
    assert gens.commit(v, gamma) == expected


def test_commit_with_non_basepoint_generator() -> None:
    # The variable-base branch of _commit (B is not the standard basepoint).
    B2 = group.mul_base(7)
    gens = PedersenGens(B=B2, B_blinding=PedersenGens.default().B_blinding)
    assert gens.commit(3, 5) == group.add(group.mul_base(21), group.mul(5, gens.B_blinding))


@settings(max_examples=30, deadline=None)
@given(v1=values, g1=scalars, v2=values, g2=scalars)
@example(v1=0, g1=0, v2=0, g2=0)
@example(v1=2**64 - 1, g1=L - 1, v2=2**64 - 1, g2=L - 1)
@example(v1=L - 1, g1=1, v2=1, g2=L - 1)  # both sums wrap to 0: the identity
def test_homomorphism(v1: int, g1: int, v2: int, g2: int) -> None:
    C1, C2 = pedersen.commit(v1, g1), pedersen.commit(v2, g2)
    assert pedersen.add(C1, C2) == pedersen.commit(v1 + v2, g1 + g2)
    assert pedersen.add(C1, C2) == pedersen.commit((v1 + v2) % L, (g1 + g2) % L)
    assert pedersen.sub(C1, C2) == pedersen.commit(v1 - v2, g1 - g2)
    pedersen.open_commitment(pedersen.add(C1, C2), v1 + v2, g1 + g2)


def test_zero_commitment_is_identity() -> None:
    assert pedersen.commit(0, 0) == IDENTITY
    assert pedersen.commit(L, L) == IDENTITY
    pedersen.open_commitment(IDENTITY, 0, 0)


def test_hiding_different_blindings_differ() -> None:
    assert pedersen.commit(5, 1) != pedersen.commit(5, 2)
    assert pedersen.commit(5, 1) != pedersen.commit(6, 1)


@settings(max_examples=20, deadline=None)
@given(v=values, gamma=scalars, dv=st.integers(1, L - 1), dg=st.integers(1, L - 1))
def test_open_commitment(v: int, gamma: int, dv: int, dg: int) -> None:
    C = pedersen.commit(v, gamma)
    pedersen.open_commitment(C, v, gamma)  # the right opening: no exception
    with pytest.raises(VerificationError):
        pedersen.open_commitment(C, v + dv, gamma)
    with pytest.raises(VerificationError):
        pedersen.open_commitment(C, v, gamma + dg)
    with pytest.raises(VerificationError):
        pedersen.open_commitment(C, v + dv, gamma + dg)


def test_cheating_opening_swapping_value_and_blinding_fails() -> None:
    # A cheating exchange cannot reinterpret a commitment by exchanging roles of v and gamma.
    C = pedersen.commit(100, 42)
    with pytest.raises(VerificationError):
        pedersen.open_commitment(C, 42, 100)
    # Nor by opening a sum as the sum of only some of its parts.
    total = pedersen.add(C, pedersen.commit(5, 7))
    with pytest.raises(VerificationError):
        pedersen.open_commitment(total, 100, 42)


def test_open_rejects_malformed_commitment() -> None:
    with pytest.raises(MalformedInputError):
        pedersen.open_commitment(bytes(31), 0, 0)
    with pytest.raises(MalformedInputError):
        pedersen.open_commitment(b"\xff" * 32, 0, 0)


@pytest.mark.parametrize("bad", [1.0, True, "1", None])
def test_commit_rejects_non_ints(bad: object) -> None:
    with pytest.raises(InvalidParameterError):
        pedersen.commit(bad, 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        pedersen.commit(1, bad)  # type: ignore[arg-type]


def test_add_sub_reject_malformed() -> None:
    C = pedersen.commit(1, 2)
    with pytest.raises(MalformedInputError):
        pedersen.add(C, bytes(33))
    with pytest.raises(MalformedInputError):
        pedersen.sub(b"\xff" * 32, C)
