"""The inner-product argument: optimized prover equals its readable twin; s_i as products."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.crypto import generators, group, inner_product
from solvency.crypto.group import L
from solvency.crypto.transcript import Transcript


def _setup(N: int, seed: int) -> tuple[int, list[int], list[int], list[int], list[int]]:
    rnd = random.Random(seed)
    y = rnd.randrange(1, L)
    a = [rnd.randrange(L) for _ in range(N)]
    b = [rnd.randrange(L) for _ in range(N)]
    H_factors = [pow(y, -i, L) for i in range(N)]
    return rnd.randrange(1, L), a, b, H_factors, [pow(y, i, L) for i in range(N)]


@settings(max_examples=6, deadline=None)
@given(lg_N=st.integers(min_value=0, max_value=4), seed=st.integers(0, 2**32))
def test_prove_equals_naive_twin(lg_N: int, seed: int) -> None:
    N = 1 << lg_N
    w, a, b, H_factors, H_factors_inv = _setup(N, seed)
    G, H = generators.G_vec(N, 1), generators.H_vec(N, 1)
    t1, t2 = Transcript(b"ipp test"), Transcript(b"ipp test")
    fast = inner_product.prove(t1, w, [1] * N, H_factors, H_factors_inv, G, H, a, b)
    slow = inner_product.prove_naive(t2, w, [1] * N, H_factors, G, H, a, b)
    assert fast == slow
    assert len(fast.L_vec) == lg_N
    assert inner_product.InnerProductProof.from_bytes(fast.to_bytes()) == fast


@settings(max_examples=5, deadline=None)
@given(lg_N=st.integers(min_value=1, max_value=5), seed=st.integers(0, 2**32))
def test_proof_satisfies_the_folded_relation(lg_N: int, seed: int) -> None:
    # P = <a, G> + <b, H'> + <a, b> Q  must equal  a_f <s, G> + b_f <s^-1, H'> + a_f b_f Q
    #     - sum_j (u_j^2 L_j + u_j^-2 R_j)
    N = 1 << lg_N
    w, a, b, H_factors, H_factors_inv = _setup(N, seed)
    G, H = generators.G_vec(N, 1), generators.H_vec(N, 1)
    proof = inner_product.prove(
        Transcript(b"rel"), w, [1] * N, H_factors, H_factors_inv, G, H, a, b
    )
    u_sq, u_inv_sq, s = inner_product.verification_scalars(proof, N, Transcript(b"rel"))
    ab = sum(x * y for x, y in zip(a, b, strict=True)) % L
    P = group._msm(
        a + [x * h % L for x, h in zip(b, H_factors, strict=True)] + [ab * w % L],
        G + H + [group.BASEPOINT],
    )
    lhs = group._msm(u_sq + u_inv_sq, list(proof.L_vec) + list(proof.R_vec))
    rhs = group._msm(
        [proof.a * s_i % L for s_i in s]
        + [proof.b * s[N - 1 - i] * H_factors[i] % L for i in range(N)]
        + [proof.a * proof.b * w % L],
        G + H + [group.BASEPOINT],
    )
    assert group._add(P, lhs) == rhs


def test_s_vector_equals_direct_products() -> None:
    # s_i = prod_j u_j^(+1 if bit (k-1-j) of i is set else -1), computed the slow way.
    N = 16
    w, a, b, H_factors, H_factors_inv = _setup(N, 7)
    G, H = generators.G_vec(N, 1), generators.H_vec(N, 1)
    proof = inner_product.prove(Transcript(b"s"), w, [1] * N, H_factors, H_factors_inv, G, H, a, b)
    u_sq, _, s = inner_product.verification_scalars(proof, N, Transcript(b"s"))
    # Replay the challenges directly.
    t = Transcript(b"s")
    u = []
    for L_pt, R_pt in zip(proof.L_vec, proof.R_vec, strict=True):
        t.append_message(b"L", L_pt)
        t.append_message(b"R", R_pt)
        u.append(t.challenge_scalar(b"u"))
    k = len(u)
    for i in range(N):
        expected = 1
        for j in range(k):
            bit = (i >> (k - 1 - j)) & 1
            expected = expected * (u[j] if bit else pow(u[j], -1, L)) % L
        assert s[i] == expected
    assert u_sq == [x * x % L for x in u]
