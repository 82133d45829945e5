"""Aggregated range proofs made here: completeness over every (bits, m), refusal of
out-of-range statements at proving time, soundness against tampering and against a cheating
exchange that bypasses the prover's checks, serialization, batching and determinism.

dalek's own proofs are tested in test_dalek_vectors.py.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache

import pytest
from conftest import Rng, make_rng, random_scalar_list, values_in_range
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.crypto import bulletproofs, group, pedersen
from solvency.crypto.bulletproofs import RangeProof, verify_batch
from solvency.crypto.group import BASEPOINT, IDENTITY, L
from solvency.crypto.transcript import Transcript
from solvency.errors import (
    InvalidParameterError,
    MalformedInputError,
    SolvencyError,
    VerificationError,
)

LABEL = b"solvency/v1/test rangeproof"
ALL_BITS = (8, 16, 32, 64)
ALL_M = (1, 2, 4, 8, 16, 32, 64)


def _values(bits: int, m: int, rng: Rng) -> list[int]:
    """Alternating edge values (0, 2^bits - 1) and random ones."""
    top = (1 << bits) - 1
    edges = [0, top, 1, top - 1]
    return [
        edges[j] if j < len(edges) else int.from_bytes(rng(8), "little") & top for j in range(m)
    ]


def _prove(
    values: list[int], bits: int, seed: int = 1, label: bytes = LABEL
) -> tuple[RangeProof, list[bytes], list[int]]:
    rng = make_rng(seed)
    gammas = random_scalar_list(rng, len(values))
    proof, V = RangeProof.prove(values, gammas, bits, Transcript(label), rng=rng)
    return proof, V, gammas


@cache
def _fixed(bits: int, m: int) -> tuple[RangeProof, tuple[bytes, ...]]:
    proof, V, _ = _prove(_values(bits, m, make_rng(bits + m)), bits, seed=bits * m)
    return proof, tuple(V)


# --- completeness over every shape ------------------------------------------------------


def _grid() -> list[object]:
    params: list[object] = []
    for bits in ALL_BITS:
        for m in ALL_M:
            slow = m == 64 or (bits, m) == (64, 32)
            marks = [pytest.mark.slow] if slow else []
            params.append(pytest.param(bits, m, marks=marks, id=f"{bits}bit-m{m}"))
    return params


@pytest.mark.parametrize(("bits", "m"), _grid())
def test_honest_proof_verifies(bits: int, m: int) -> None:
    rng = make_rng(bits * 1000 + m)
    values = _values(bits, m, rng)
    gammas = random_scalar_list(rng, m)
    proof, V = RangeProof.prove(values, gammas, bits, Transcript(LABEL), rng=rng)
    assert V == [pedersen.commit(v, g) for v, g in zip(values, gammas, strict=True)]
    data = proof.to_bytes()
    assert len(data) == 32 * (9 + 2 * ((bits * m).bit_length() - 1))
    RangeProof.from_bytes(data).verify(V, bits, Transcript(LABEL))


@settings(max_examples=12, deadline=None)
@given(data=st.data(), bits=st.sampled_from(ALL_BITS), m=st.sampled_from((1, 2)))
def test_edge_values_verify(data: st.DataObject, bits: int, m: int) -> None:
    values = [data.draw(values_in_range(bits)) for _ in range(m)]
    gammas = [data.draw(st.sampled_from((0, 1, L - 1)) | st.integers(0, L - 1)) for _ in range(m)]
    proof, V = RangeProof.prove(values, gammas, bits, Transcript(LABEL))
    proof.verify(V, bits, Transcript(LABEL))


def test_zero_value_zero_blinding_identity_commitment_verifies() -> None:
    # V = 0 B + 0 B~ is the identity; dalek does not refuse identity commitments.
    proof, V = RangeProof.prove([0, 0], [0, 0], 8, Transcript(LABEL))
    assert V == [IDENTITY, IDENTITY]
    proof.verify(V, 8, Transcript(LABEL))


# --- refused at proving time ------------------------------------------------------------


@pytest.mark.parametrize("bits", ALL_BITS)
@pytest.mark.parametrize("which", ["2^bits", "-1", "2^bits+5", "l-1"])
def test_out_of_range_value_refused(bits: int, which: str) -> None:
    bad = {"2^bits": 1 << bits, "-1": -1, "2^bits+5": (1 << bits) + 5, "l-1": L - 1}[which]
    with pytest.raises(InvalidParameterError) as info:
        RangeProof.prove([3, bad], [1, 2], bits, Transcript(LABEL))
    message = str(info.value)
    assert re.search(r"\b1\b", message)  # names the index of the offending value
    assert str(bad) not in message  # and never echoes the (secret) value


@pytest.mark.parametrize("bits", [0, 7, 9, 63, 128, -64])
def test_unsupported_bits_refused(bits: int) -> None:
    with pytest.raises(InvalidParameterError):
        RangeProof.prove([1], [1], bits, Transcript(LABEL))


def test_non_int_bits_refused() -> None:
    # 8.0 == 8, so a membership test alone lets a float through to the bit arithmetic.
    with pytest.raises(InvalidParameterError):
        RangeProof.prove([1], [1], 8.0, Transcript(LABEL))  # type: ignore[arg-type]
    proof, V = _fixed(8, 1)
    with pytest.raises(SolvencyError):
        proof.verify(list(V), 8.0, Transcript(LABEL))  # type: ignore[arg-type]
    with pytest.raises(SolvencyError):
        verify_batch([(proof, list(V), 8.0, Transcript(LABEL))])  # type: ignore[list-item]


@pytest.mark.parametrize("m", [0, 3, 5, 48, 128])
def test_unsupported_aggregation_refused(m: int) -> None:
    with pytest.raises(InvalidParameterError):
        RangeProof.prove([1] * m, [1] * m, 8, Transcript(LABEL))


@pytest.mark.parametrize(
    ("values", "blindings"),
    [
        ([1], [1, 2]),  # one blinding per value
        ([True], [1]),
        ([1.0], [1]),
        (["1"], [1]),
        ([1], [L]),  # blindings are reduced mod l
        ([1], [-1]),
        ([1], [1.5]),
    ],
)
def test_bad_values_or_blindings_refused(values: list[object], blindings: list[object]) -> None:
    with pytest.raises(InvalidParameterError):
        RangeProof.prove(values, blindings, 8, Transcript(LABEL))  # type: ignore[arg-type]


def test_bad_transcript_or_rng_refused() -> None:
    with pytest.raises(InvalidParameterError):
        RangeProof.prove([1], [1], 8, LABEL)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        RangeProof.prove([1], [1], 8, Transcript(LABEL), rng=lambda n: bytes(n - 1))


# --- a cheating exchange -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("bits", "cheat"),
    [
        (8, 1 << 8),  # one past the range: its low 8 bits are 0
        (64, 1 << 64),
        (64, L - 1),  # a negative balance, -1 mod l
        (32, L - 1000),
        (16, (1 << 16) + 7),  # low bits form an in-range value, 7
    ],
)
def test_cheating_prover_bypassing_checks_is_caught(bits: int, cheat: int) -> None:
    # The exchange calls the unchecked internal prover with an out-of-range value; the
    # bit decomposition it commits to in A does not add up to V, so verification fails.
    rng = make_rng(cheat % 1000)
    gammas = random_scalar_list(rng, 2)
    proof, V = bulletproofs._prove([5, cheat], gammas, bits, Transcript(LABEL), rng)
    assert V[1] == pedersen.commit(cheat, gammas[1])
    with pytest.raises(VerificationError):
        proof.verify(V, bits, Transcript(LABEL))


def test_shifting_a_commitment_after_proving_is_caught() -> None:
    # Prove 5, then publish V - 10 B (a commitment to -5 with the same blinding).
    proof, V, gammas = _prove([5], 64)
    V_neg = group.sub(V[0], group.mul_base(10))
    assert V_neg == pedersen.commit(-5, gammas[0])
    with pytest.raises(VerificationError):
        proof.verify([V_neg], 64, Transcript(LABEL))


@settings(max_examples=10, deadline=None)
@given(delta=st.integers(1, L - 1), j=st.integers(0, 3))
def test_proof_does_not_verify_for_other_values(delta: int, j: int) -> None:
    proof, V = _fixed(16, 4)
    values = _values(16, 4, make_rng(16 + 4))  # what _fixed proved, with its blindings
    gammas = random_scalar_list(make_rng(16 * 4), 4)
    assert list(V) == [pedersen.commit(v, g) for v, g in zip(values, gammas, strict=True)]
    other = list(V)
    other[j] = pedersen.commit(values[j] + delta, gammas[j])
    with pytest.raises(VerificationError):
        proof.verify(other, 16, Transcript(LABEL))


def test_reordered_or_truncated_commitments_rejected() -> None:
    proof, V = _fixed(8, 4)
    with pytest.raises(VerificationError):
        proof.verify([V[1], V[0], V[2], V[3]], 8, Transcript(LABEL))
    with pytest.raises(VerificationError):
        proof.verify(list(V[:2]), 8, Transcript(LABEL))
    with pytest.raises(VerificationError):
        proof.verify([*V, *V], 8, Transcript(LABEL))


@pytest.mark.parametrize("field", ["A", "S", "T_1", "T_2", "L_0", "R_0", "R_last"])
def test_identity_points_rejected(field: str) -> None:
    proof, V = _fixed(8, 2)
    if field in ("A", "S", "T_1", "T_2"):
        forged = dataclasses.replace(proof, **{field: IDENTITY})  # type: ignore[arg-type]
    else:
        L_vec, R_vec = list(proof.ipp.L_vec), list(proof.ipp.R_vec)
        if field == "L_0":
            L_vec[0] = IDENTITY
        elif field == "R_0":
            R_vec[0] = IDENTITY
        else:
            R_vec[-1] = IDENTITY
        forged = dataclasses.replace(
            proof, ipp=dataclasses.replace(proof.ipp, L_vec=tuple(L_vec), R_vec=tuple(R_vec))
        )
    with pytest.raises(VerificationError):
        forged.verify(list(V), 8, Transcript(LABEL))
    # The same forgery through the wire format: the identity parses, verification refuses it.
    with pytest.raises(VerificationError):
        RangeProof.from_bytes(forged.to_bytes()).verify(list(V), 8, Transcript(LABEL))


def test_wrong_bits_rejected() -> None:
    proof, V = _fixed(32, 1)
    for bits in (8, 16, 64):
        with pytest.raises(VerificationError):
            proof.verify(list(V), bits, Transcript(LABEL))


def test_invalid_commitment_encoding_rejected() -> None:
    proof, V = _fixed(8, 2)
    with pytest.raises(VerificationError):
        proof.verify([V[0], b"\xff" * 32], 8, Transcript(LABEL))
    with pytest.raises(MalformedInputError):
        proof.verify([V[0], V[1][:31]], 8, Transcript(LABEL))


@pytest.mark.parametrize(("bits", "count"), [(7, 1), (128, 1), (8, 0), (8, 3), (8, 128)])
def test_verify_unsupported_shape_raises_verification_error(bits: int, count: int) -> None:
    # The API says verify raises VerificationError on any failure, wrong bits and wrong
    # number of commitments included: the statement comes from an untrusted proof file.
    proof, V = _fixed(8, 1)
    commitments = [V[0]] * count
    with pytest.raises(VerificationError):
        proof.verify(commitments, bits, Transcript(LABEL))


# --- transcripts ------------------------------------------------------------------------


def test_wrong_transcript_label_rejected() -> None:
    proof, V, _ = _prove([1, 2], 8, label=b"solvency/v1/A")
    proof.verify(V, 8, Transcript(b"solvency/v1/A"))
    with pytest.raises(VerificationError):
        proof.verify(V, 8, Transcript(b"solvency/v1/B"))


def test_transcripts_are_consumed() -> None:
    t_prove = Transcript(LABEL)
    rng = make_rng(3)
    proof, V = RangeProof.prove([9], [4], 8, t_prove, rng=rng)
    # The prover's transcript has absorbed the proof: reusing it for verification fails.
    with pytest.raises(VerificationError):
        proof.verify(V, 8, t_prove)
    t_verify = Transcript(LABEL)
    proof.verify(V, 8, t_verify)
    with pytest.raises(VerificationError):
        proof.verify(V, 8, t_verify)


def test_transcript_context_binds_the_proof() -> None:
    # A caller binding extra context (e.g. a tree root) before proving must bind it again.
    t = Transcript(LABEL)
    t.append_message(b"root", b"\x01" * 32)
    proof, V = RangeProof.prove([7], [11], 8, t, rng=make_rng(4))
    t_ok = Transcript(LABEL)
    t_ok.append_message(b"root", b"\x01" * 32)
    proof.verify(V, 8, t_ok)
    t_bad = Transcript(LABEL)
    t_bad.append_message(b"root", b"\x02" * 32)
    with pytest.raises(VerificationError):
        proof.verify(V, 8, t_bad)


# --- serialization and tampering ----------------------------------------------------------


@pytest.mark.parametrize(("bits", "m"), [(8, 1), (16, 2), (64, 1), (32, 8)])
def test_round_trip(bits: int, m: int) -> None:
    proof, V = _fixed(bits, m)
    data = proof.to_bytes()
    again = RangeProof.from_bytes(data)
    assert again == proof
    assert again.to_bytes() == data
    assert RangeProof.from_json(proof.to_json()) == proof
    again.verify(list(V), bits, Transcript(LABEL))


@settings(max_examples=60, deadline=None)
@given(where=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_tampered_proof_rejected(where: float, bit: int) -> None:
    proof, V = _fixed(16, 2)
    data = proof.to_bytes()
    pos = int(where * len(data))
    bad = data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1 :]
    with pytest.raises((VerificationError, MalformedInputError)):
        RangeProof.from_bytes(bad).verify(list(V), 16, Transcript(LABEL))


@pytest.mark.parametrize("field", ["t_x", "t_x_blinding", "e_blinding"])
def test_tampered_scalars_rejected(field: str) -> None:
    # Small shifts keep the scalars canonical, so only the verification equation can object.
    proof, V = _fixed(64, 1)
    for delta in (1, L - 1, 2**128):
        forged = dataclasses.replace(proof, **{field: (getattr(proof, field) + delta) % L})
        with pytest.raises(VerificationError):
            forged.verify(list(V), 64, Transcript(LABEL))


def test_tampered_ipp_scalars_rejected() -> None:
    proof, V = _fixed(8, 4)
    for name in ("a", "b"):
        forged_ipp = dataclasses.replace(proof.ipp, **{name: (getattr(proof.ipp, name) + 1) % L})
        with pytest.raises(VerificationError):
            dataclasses.replace(proof, ipp=forged_ipp).verify(list(V), 8, Transcript(LABEL))
    # Swapping L and R of a round.
    swapped = dataclasses.replace(proof.ipp, L_vec=proof.ipp.R_vec, R_vec=proof.ipp.L_vec)
    with pytest.raises(VerificationError):
        dataclasses.replace(proof, ipp=swapped).verify(list(V), 8, Transcript(LABEL))


# --- determinism ----------------------------------------------------------------------------


def test_injected_rng_makes_proving_deterministic() -> None:
    p1, V1, _ = _prove([1, 200], 8, seed=42)
    p2, V2, _ = _prove([1, 200], 8, seed=42)
    assert p1.to_bytes() == p2.to_bytes()
    assert V1 == V2
    p3, V3, _ = _prove([1, 200], 8, seed=43)
    assert p3.to_bytes() != p1.to_bytes()
    p3.verify(V3, 8, Transcript(LABEL))


def test_default_rng_proofs_differ() -> None:
    # Without an rng, proofs use fresh randomness: same statement, different bytes.
    p1, V = RangeProof.prove([5], [6], 8, Transcript(LABEL))
    p2, _ = RangeProof.prove([5], [6], 8, Transcript(LABEL))
    assert p1.to_bytes() != p2.to_bytes()
    p1.verify(V, 8, Transcript(LABEL))
    p2.verify(V, 8, Transcript(LABEL))


# --- batch verification ---------------------------------------------------------------------

BATCH_SHAPES = [(8, 1), (16, 2), (32, 1), (64, 1), (8, 4), (64, 2), (16, 8)]


def _batch() -> list[tuple[RangeProof, list[bytes], int, Transcript]]:
    out = []
    for bits, m in BATCH_SHAPES:
        proof, V = _fixed(bits, m)
        out.append((proof, list(V), bits, Transcript(LABEL)))
    return out


def test_batch_of_mixed_shapes_accepted() -> None:
    verify_batch(_batch())
    verify_batch(_batch(), rng=make_rng(9))
    verify_batch(list(reversed(_batch())))
    verify_batch(_batch()[:1])


@pytest.mark.parametrize("bad", range(len(BATCH_SHAPES)))
def test_batch_with_one_bad_proof_rejected(bad: int) -> None:
    items = _batch()
    proof, V, bits, _ = items[bad]
    items[bad] = (proof, [group.add(V[0], BASEPOINT), *V[1:]], bits, Transcript(LABEL))
    with pytest.raises(VerificationError):
        verify_batch(items)


def test_batch_with_one_tampered_scalar_rejected() -> None:
    items = _batch()
    proof, V, bits, _ = items[3]
    forged = dataclasses.replace(proof, t_x=(proof.t_x + 1) % L)
    items[3] = (forged, V, bits, Transcript(LABEL))
    with pytest.raises(VerificationError):
        verify_batch(items)


def test_batch_cannot_cancel_two_errors() -> None:
    # Two proofs with opposite errors (t_x + 1 and t_x - 1 on the same statement) would cancel
    # in an unweighted sum; the random weights keep them apart.
    proof, V = _fixed(8, 1)
    plus = dataclasses.replace(proof, t_x=(proof.t_x + 1) % L)
    minus = dataclasses.replace(proof, t_x=(proof.t_x - 1) % L)
    items = [
        (plus, list(V), 8, Transcript(LABEL)),
        (minus, list(V), 8, Transcript(LABEL)),
    ]
    with pytest.raises(VerificationError):
        verify_batch(items)


def test_batch_with_wrong_label_rejected() -> None:
    items = _batch()
    proof, V, bits, _ = items[1]
    items[1] = (proof, V, bits, Transcript(b"other"))
    with pytest.raises(VerificationError):
        verify_batch(items)


def _terms(
    fn: object, items: list[tuple[RangeProof, list[bytes], int, Transcript]], seed: int
) -> tuple[object, ...]:
    """Everything ``fn`` (a ``_proof_terms``) adds for a batch, sums reduced mod l."""
    checked = [bulletproofs._check_item(item) for item in items]
    challenges = bulletproofs._replay_all(checked)
    rng = make_rng(seed)
    shared_G: dict[int, list[int]] = {}
    shared_H: dict[int, list[int]] = {}
    shared_n: dict[int, int] = {}
    scalars: list[int] = []
    points: list[bytes] = []
    fixed = [
        fn(item, ch, 1 if i == 0 else 7 + i, rng, shared_G, shared_H, shared_n, scalars, points)  # type: ignore[operator]
        for i, (item, ch) in enumerate(zip(checked, challenges, strict=True))
    ]
    return (
        fixed,
        {j: [k % L for k in v] for j, v in shared_G.items()},
        {j: [k % L for k in v] for j, v in shared_H.items()},
        shared_n,
        [k % L for k in scalars],
        points,
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_proof_terms_equal_their_loop_twin(seed: int) -> None:
    """The vectorized verifier terms equal the one-loop twin's on a batch of mixed shapes."""
    fast = _terms(bulletproofs._proof_terms, _batch(), seed)
    assert fast == _terms(bulletproofs._proof_terms_naive, _batch(), seed)
    G_sums = fast[1]
    assert isinstance(G_sums, dict) and any(any(v) for v in G_sums.values())  # not all zero


@pytest.mark.parametrize("y", [0, 1, 2, L - 1, 2**252 + 5])
def test_sum_of_powers_is_the_sum(y: int) -> None:
    for count in (1, 2, 8, 64, 256):
        expected = sum(pow(y, i, L) for i in range(count)) % L
        assert bulletproofs._sum_of_powers(y, count) == expected
