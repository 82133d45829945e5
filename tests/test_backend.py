"""The two group backends, side by side in one process: the libsodium twin (points are
encodings) and libdecaf (internal points) give the same proofs, commitments and verdicts
byte for byte, and each internal-point routine equals its twin.

The whole suite also runs on each backend (``SOLVENCY_BACKEND``, see .ci/run); this file
compares them directly, so a difference shows here whichever backend is active.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from conftest import SCALAR_EDGES, make_rng

from solvency.crypto import backend, bulletproofs, generators, group, inner_product, pedersen
from solvency.crypto.backend import DecafBackend, SodiumBackend
from solvency.crypto.bulletproofs import RangeProof
from solvency.crypto.group import L
from solvency.crypto.transcript import Transcript
from solvency.errors import MalformedInputError, VerificationError

pytest.importorskip("solvency.crypto.group_decaf", reason="libdecaf is not installed")
SODIUM: SodiumBackend = backend.SODIUM
assert backend.DECAF is not None  # importorskip above: libdecaf is loaded
DECAF: DecafBackend = backend.DECAF
BOTH = (SODIUM, DECAF)
LABEL = b"solvency/v1/test backends"


def _prove(
    ops: SodiumBackend | DecafBackend, bits: int, m: int, seed: int
) -> tuple[bytes, list[bytes]]:
    rnd = random.Random(seed)
    values = [rnd.choice([0, 1, (1 << bits) - 1, rnd.randrange(1 << bits)]) for _ in range(m)]
    gammas = [rnd.randrange(L) for _ in range(m)]
    proof, V = bulletproofs._prove(values, gammas, bits, Transcript(LABEL), make_rng(seed), ops)
    return proof.to_bytes(), V


@pytest.mark.parametrize(("bits", "m"), [(8, 1), (64, 1), (16, 2), (64, 4), (32, 8), (8, 64)])
def test_proofs_are_byte_identical_on_both_backends(bits: int, m: int) -> None:
    seed = bits * 100 + m
    proof_s, V_s = _prove(SODIUM, bits, m, seed)
    proof_d, V_d = _prove(DECAF, bits, m, seed)
    assert proof_d == proof_s
    assert V_d == V_s


def test_verdicts_are_the_same_on_both_backends() -> None:
    proof_bytes, V = _prove(SODIUM, 64, 2, 7)
    proof = RangeProof.from_bytes(proof_bytes)
    for ops in BOTH:
        bulletproofs._verify_batch([(proof, V, 64, Transcript(LABEL))], make_rng(1), ops)
    bad_scalar = dataclasses.replace(proof, t_x=(proof.t_x + 1) % L)
    swapped = [V[1], V[0]]
    other_point = dataclasses.replace(proof, T_1=proof.T_2)
    for bad_proof, bad_V in ((bad_scalar, V), (proof, swapped), (other_point, V)):
        for ops in BOTH:
            with pytest.raises(VerificationError):
                bulletproofs._verify_batch(
                    [(bad_proof, bad_V, 64, Transcript(LABEL))], make_rng(1), ops
                )


def test_batches_are_judged_the_same_on_both_backends() -> None:
    items = [_prove(SODIUM, 64, 1, 20 + i) for i in range(5)]
    proofs = [RangeProof.from_bytes(p) for p, _ in items]
    for ops in BOTH:
        bulletproofs._verify_batch(
            [(p, V, 64, Transcript(LABEL)) for p, (_, V) in zip(proofs, items, strict=True)],
            make_rng(2),
            ops,
        )
    bad = dataclasses.replace(proofs[3], e_blinding=(proofs[3].e_blinding + 1) % L)
    mixed = [*proofs[:3], bad, proofs[4]]
    for ops in BOTH:
        with pytest.raises(VerificationError):
            bulletproofs._verify_batch(
                [(p, V, 64, Transcript(LABEL)) for p, (_, V) in zip(mixed, items, strict=True)],
                make_rng(2),
                ops,
            )


def test_inner_product_prover_is_identical_on_both_backends() -> None:
    rnd = random.Random(3)
    N = 16
    a = [rnd.randrange(L) for _ in range(N)]
    b = [rnd.randrange(L) for _ in range(N)]
    y = rnd.randrange(1, L)
    H_factors = [pow(y, -i, L) for i in range(N)]
    H_inv = [pow(y, i, L) for i in range(N)]
    G_factors = [rnd.randrange(1, L) for _ in range(N)]
    proofs = []
    for ops in BOTH:
        for tables in (False, True):
            G = generators.G_points(ops, N, 1)
            H = generators.H_points(ops, N, 1)
            # Tables apply only with unit G factors: the first round multiplies the originals.
            factors = [1] * N if tables else G_factors
            proofs.append(
                inner_product._prove(
                    ops,
                    Transcript(b"ipp"),
                    5,
                    factors,
                    H_factors,
                    H_inv,
                    G,
                    H,
                    a,
                    b,
                    generators.G_tables(ops, N, 1) if tables else None,
                    generators.H_tables(ops, N, 1) if tables else None,
                )
            )
    assert proofs[0] == proofs[2]
    assert proofs[1] == proofs[3]
    naive = inner_product.prove_naive(
        Transcript(b"ipp"),
        5,
        [1] * N,
        H_factors,
        generators.G_vec(N, 1),
        generators.H_vec(N, 1),
        a,
        b,
    )
    assert proofs[1] == naive


def test_generators_in_internal_form_equal_their_encodings() -> None:
    for ops in BOTH:
        for party in (0, 3, 63):
            assert ops.encode_many(generators.party_G_points(ops, party, 64)) == list(
                generators.party_G(party)
            )
            assert ops.encode_many(generators.party_H_points(ops, party, 64)) == list(
                generators.party_H(party)
            )


def test_commitments_are_identical_on_both_backends() -> None:
    pc = pedersen.PedersenGens.default()
    for v in [*SCALAR_EDGES, 5, 2**64 - 1]:
        for gamma in (0, 1, L - 1, 12345 << 130):
            expected = group._add(group._mul_base(v), group._mul(gamma, pc.B_blinding))
            for ops in BOTH:
                assert ops.encode(pc._commit_point(ops, v, gamma)) == expected


@pytest.mark.parametrize("n", [0, 1, 2, 5, 64, 200])
def test_internal_point_routines_equal_their_twins(n: int) -> None:
    rnd = random.Random(n)
    ks = [rnd.choice(SCALAR_EDGES) if i % 4 == 0 else rnd.randrange(L) for i in range(n)]
    Ps = [group._mul_base(rnd.randrange(1, L)) for _ in range(n)]
    Qs = [group._mul_base(rnd.randrange(1, L)) for _ in range(n)]
    bits = [rnd.randrange(2) for _ in range(n)]
    expected_msm = group._msm_naive(ks, Ps)
    expected_fold = [group._add(P, group._mul(k, Q)) for k, P, Q in zip(ks, Ps, Qs, strict=True)]
    expected_masked = group._sum_sodium([P for bit, P in zip(bits, Ps, strict=True) if bit])
    for ops in BOTH:
        dP = [ops.decode(P) for P in Ps]
        assert ops.encode_many(ops.decode_many(Ps)) == Ps
        dQ = [ops.decode(Q) for Q in Qs]
        tables = [ops.table(P) for P in dP]
        assert ops.encode(ops.msm_ct(ks, dP)) == expected_msm
        assert ops.encode(ops.msm_vartime(ks, dP)) == expected_msm
        assert ops.encode(ops.msm_table_ct(ks, tables)) == expected_msm
        assert ops.encode(ops.fixed_msm_vartime(ks, dP)) == expected_msm
        half = len(ks) // 2
        split = ops.verify_msm_vartime(ks[:half], dP[:half], ks[half:], dP[half:])
        assert ops.encode(split) == expected_msm
        assert ops.encode_many(ops.fold_vartime(ks, dP, dQ)) == expected_fold
        assert ops.encode_many(ops.fold_table(ks, dP, [ops.table(Q) for Q in dQ])) == expected_fold
        assert ops.encode(ops.masked_sum(bits, dP)) == expected_masked
        base = ops.base_table()
        for k in ks[:5]:
            assert ops.encode(ops.mul_table_ct(k, base)) == group._mul_base(k)
            assert ops.encode(ops.mul_base_ct(k)) == group._mul_base(k)


def test_active_backend_is_the_one_group_names() -> None:
    assert backend.ACTIVE.name == group.BACKEND


def test_unchecked_parse_is_refused_by_verify_batch_where_from_bytes_refuses() -> None:
    """``RangeProof._parse(check_points=False)`` (the batch path of ``solvency verify``) leaves
    points to ``verify_batch``'s strict decode. For every byte flip of a proof: where
    ``from_bytes`` accepts, both parses are equal; where it refuses, the unchecked parse
    either refuses with the same error or gives a proof that ``verify_batch`` refuses, on
    both backends."""
    proof_bytes, V = _prove(SODIUM, 8, 2, 11)
    assert RangeProof._parse(proof_bytes, check_points=False) == RangeProof.from_bytes(proof_bytes)
    refused_late = 0
    for i in range(len(proof_bytes)):
        flipped = bytearray(proof_bytes)
        flipped[i] ^= 1 << (i % 8)
        data = bytes(flipped)
        try:
            strict: RangeProof | str = RangeProof.from_bytes(data)
        except MalformedInputError as e:
            strict = str(e)
        try:
            loose: RangeProof | str = RangeProof._parse(data, check_points=False)
        except MalformedInputError as e:
            loose = str(e)
        if isinstance(strict, RangeProof) or isinstance(loose, str):
            assert loose == strict
            continue
        # refused by from_bytes for a point only: verify_batch refuses it on both backends
        assert "point" in strict
        refused_late += 1
        for ops in BOTH:
            with pytest.raises(VerificationError):
                bulletproofs._verify_batch([(loose, V, 8, Transcript(LABEL))], make_rng(1), ops)
    assert refused_late > 0  # some flips made a non-canonical point


def test_decode_many_is_strict_on_both_backends() -> None:
    good = [group.BASEPOINT, group.IDENTITY]
    for bad in (b"\xff" * 32, bytes(31) + b"\x80", group.BASEPOINT[:-1] + b"\x80"):
        for ops in BOTH:
            assert len(ops.decode_many(good)) == 2
            with pytest.raises(MalformedInputError):
                ops.decode_many([*good, bad])
