"""The inner-product argument (Bulletproofs, Bunz et al. 2018, section 3, protocol 2),
in dalek's variant with generator factors and ``Q = w * B``.

Relation: given G, H in G^N (N a power of two), factor vectors g, h and Q, the prover knows
a, b in Z_l^N with

    P = <a, g o G> + <b, h o H> + <a, b> Q.

Each of the k = lg N rounds halves the vectors (L, R = left and right halves):

    c_L = <a_L, b_R>,  c_R = <a_R, b_L>
    L   = <a_L, G_R> + <b_R, H_L> + c_L Q,    R = <a_R, G_L> + <b_L, H_R> + c_R Q
    u   = challenge after appending L and R
    a'  = u a_L + u^-1 a_R,    b' = u^-1 b_L + u b_R
    G'  = u^-1 G_L + u G_R,    H' = u H_L + u^-1 H_R

and the proof is (L_1, R_1, ..., L_k, R_k, a, b). Unrolled, the final generators are
G_final = <s, G> and H_final = <s^-1, H> with s_i = prod_j u_j^(+1 if bit (k-j) of i else -1),
which is what the verifier uses (section 3.1, "multi-exponentiation").

Transcript (dalek): append_message("dom-sep", "ipp v1"), append_u64("n", N); per round
append L, R (refused if the identity), challenge "u".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solvency.crypto import backend, group
from solvency.crypto.backend import Backend, Point, Table
from solvency.crypto.group import BASEPOINT, IDENTITY, L
from solvency.crypto.transcript import Transcript
from solvency.errors import MalformedInputError, VerificationError

#: dalek refuses proofs with 32 or more rounds.
MAX_ROUNDS = 31


@dataclass(frozen=True)
class InnerProductProof:
    """(L_1, R_1, ..., L_k, R_k, a, b); points as 32-byte encodings."""

    L_vec: tuple[bytes, ...]
    R_vec: tuple[bytes, ...]
    a: int
    b: int

    def to_bytes(self) -> bytes:
        """L_0 || R_0 || ... || L_{k-1} || R_{k-1} || a || b (dalek's layout)."""
        parts = [P for pair in zip(self.L_vec, self.R_vec, strict=True) for P in pair]
        return b"".join(parts) + group.scalar_to_bytes(self.a) + group.scalar_to_bytes(self.b)

    @classmethod
    def from_bytes(cls, data: bytes) -> InnerProductProof:
        if len(data) % 32 != 0:
            raise MalformedInputError("inner-product proof: length is not a multiple of 32")
        count = len(data) // 32
        if count < 2 or (count - 2) % 2 != 0:
            raise MalformedInputError("inner-product proof: wrong number of elements")
        k = (count - 2) // 2
        if k > MAX_ROUNDS:
            raise MalformedInputError("inner-product proof: too many rounds")
        points = [
            group.decode_point(data[32 * i : 32 * i + 32], f"inner-product element {i}")
            for i in range(2 * k)
        ]
        a = group.decode_scalar(data[64 * k : 64 * k + 32], "inner-product a")
        b = group.decode_scalar(data[64 * k + 32 : 64 * k + 64], "inner-product b")
        return cls(tuple(points[0::2]), tuple(points[1::2]), a, b)


def domain_separator(transcript: Transcript, N: int) -> None:
    transcript.append_message(b"dom-sep", b"ipp v1")
    transcript.append_u64(b"n", N)


def append_nonidentity(transcript: Transcript, label: bytes, P: bytes) -> None:
    """Append a point the verifier requires to be non-trivial (dalek's validate_and_append)."""
    if P == IDENTITY:
        raise VerificationError(f"proof element {label.decode()} is the identity")
    transcript.append_message(label, P)


def _inner(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(a, b, strict=True)) % L


def prove(
    transcript: Transcript,
    w: int,
    G_factors: Sequence[int],
    H_factors: Sequence[int],
    H_factors_inv: Sequence[int],
    G: Sequence[bytes],
    H: Sequence[bytes],
    a: Sequence[int],
    b: Sequence[int],
) -> InnerProductProof:
    """Prove for Q = w * B; the transcript must already hold the IPP domain separator.

    G and H are encodings; they are decoded once into the active backend (``_prove``).
    H_factors_inv are the inverses of H_factors (the caller has them for free: y^i).
    """
    ops = backend.ACTIVE
    G_pts = [ops.decode(P) for P in G]
    H_pts = [ops.decode(P) for P in H]
    return _prove(ops, transcript, w, G_factors, H_factors, H_factors_inv, G_pts, H_pts, a, b)


def _prove(
    ops: Backend,
    transcript: Transcript,
    w: int,
    G_factors: Sequence[int],
    H_factors: Sequence[int],
    H_factors_inv: Sequence[int],
    G: Sequence[Point],
    H: Sequence[Point],
    a: Sequence[int],
    b: Sequence[int],
    G_tables: Sequence[Table] | None = None,
    H_tables: Sequence[Table] | None = None,
) -> InnerProductProof:
    """``prove`` on points in ``ops``'s internal form; L and R are encoded for the transcript.

    Folding G' = u^-1 G_L + u G_R costs two multiplications per point. We keep each
    generator as sigma_i * P_i instead, and fold P' = P_L + (u^2 sigma_R / sigma_L) P_R,
    sigma' = u^-1 sigma_L: one multiplication per point. ``prove_naive`` folds plainly and
    is tested to give the same proof.

    Secret scalars (a, b, c_L, c_R and their products with the public factors) go only
    through the constant-time ``msm_table_ct`` (first round, when the caller passes the
    generators' tables) and ``msm_ct``. Folding multiplies by public challenges only,
    so it runs in variable time (``fold_vartime``), except the first fold, whose points are
    the original generators: their tables (``fold_table``, constant-time) are faster.
    """
    N = len(G)
    a, b = list(a), list(b)
    P_G, P_H = list(G), list(H)
    # Q = w B: its terms c_L Q and c_R Q join the sums for L and R (B and its table).
    B, T_B = ops.decode(BASEPOINT), ops.base_table()
    if any(g % L == 0 for g in G_factors):
        raise MalformedInputError("zero has no inverse")
    sigma, sigma_inv = list(G_factors), _batch_invert(G_factors)
    tau, tau_inv = list(H_factors), list(H_factors_inv)
    L_vec: list[bytes] = []
    R_vec: list[bytes] = []
    # The original generators' tables, used while the points are still the originals.
    tables = (G_tables, H_tables) if G_tables is not None and H_tables is not None else None
    while N > 1:
        n = N // 2
        a_L, a_R, b_L, b_R = a[:n], a[n:], b[:n], b[n:]
        c_L, c_R = _inner(a_L, b_R), _inner(a_R, b_L)
        k_L = [x * s % L for x, s in zip(a_L, sigma[n:], strict=True)] + [
            x * t % L for x, t in zip(b_R, tau[:n], strict=True)
        ]
        k_R = [x * s % L for x, s in zip(a_R, sigma[:n], strict=True)] + [
            x * t % L for x, t in zip(b_L, tau[n:], strict=True)
        ]
        k_L.append(c_L * w % L)
        k_R.append(c_R * w % L)
        # L = <a_L, G_R> + <b_R, H_L> + c_L Q,   R = <a_R, G_L> + <b_L, H_R> + c_R Q
        if tables is not None:
            T_G, T_H = tables
            L_pt = ops.encode(ops.msm_table_ct(k_L, [*T_G[n:], *T_H[:n], T_B]))
            R_pt = ops.encode(ops.msm_table_ct(k_R, [*T_G[:n], *T_H[n:], T_B]))
        else:
            L_pt = ops.encode(ops.msm_ct(k_L, [*P_G[n:], *P_H[:n], B]))
            R_pt = ops.encode(ops.msm_ct(k_R, [*P_G[:n], *P_H[n:], B]))
        append_nonidentity(transcript, b"L", L_pt)
        append_nonidentity(transcript, b"R", R_pt)
        L_vec.append(L_pt)
        R_vec.append(R_pt)
        u = transcript.challenge_scalar(b"u")
        u_inv = group.invert(u)
        u_sq, u_inv_sq = u * u % L, u_inv * u_inv % L
        a = [(u * x + u_inv * y) % L for x, y in zip(a_L, a_R, strict=True)]
        b = [(u_inv * x + u * y) % L for x, y in zip(b_L, b_R, strict=True)]
        if n > 1:
            # G'_i = u^-1 sigma_i P_i + u sigma_{n+i} P_{n+i}
            #      = (u^-1 sigma_i) * (P_i + (u^2 sigma_{n+i} / sigma_i) P_{n+i})
            k_G = [u_sq * sigma[n + i] * sigma_inv[i] % L for i in range(n)]
            # H'_i = u tau_i H_i + u^-1 tau_{n+i} H_{n+i}
            #      = (u tau_i) * (H_i + (u^-2 tau_{n+i} / tau_i) H_{n+i})
            k_H = [u_inv_sq * tau[n + i] * tau_inv[i] % L for i in range(n)]
            if tables is not None:
                # First fold: P_{n+i} are original generators, multiplied from their tables.
                T_G, T_H = tables
                P_G = ops.fold_table(k_G, P_G[:n], T_G[n:])
                P_H = ops.fold_table(k_H, P_H[:n], T_H[n:])
            else:
                P_G = ops.fold_vartime(k_G, P_G[:n], P_G[n:])
                P_H = ops.fold_vartime(k_H, P_H[:n], P_H[n:])
            sigma_inv = [u * s % L for s in sigma_inv[:n]]
            sigma = [u_inv * s % L for s in sigma[:n]]
            tau_inv = [u_inv * t % L for t in tau_inv[:n]]
            tau = [u * t % L for t in tau[:n]]
        tables = None
        N = n
    return InnerProductProof(tuple(L_vec), tuple(R_vec), a[0], b[0])


def prove_naive(
    transcript: Transcript,
    w: int,
    G_factors: Sequence[int],
    H_factors: Sequence[int],
    G: Sequence[bytes],
    H: Sequence[bytes],
    a: Sequence[int],
    b: Sequence[int],
) -> InnerProductProof:
    """Readable twin of ``prove``: scale the generators first, then fold them plainly."""
    Q = group._mul_base(w)
    G = [group._mul(g, P) for g, P in zip(G_factors, G, strict=True)]
    H = [group._mul(h, P) for h, P in zip(H_factors, H, strict=True)]
    a, b = list(a), list(b)
    L_vec: list[bytes] = []
    R_vec: list[bytes] = []
    while len(a) > 1:
        n = len(a) // 2
        a_L, a_R, b_L, b_R = a[:n], a[n:], b[:n], b[n:]
        G_L, G_R, H_L, H_R = G[:n], G[n:], H[:n], H[n:]
        c_L, c_R = _inner(a_L, b_R), _inner(a_R, b_L)
        L_pt = group._msm_naive([*a_L, *b_R, c_L], [*G_R, *H_L, Q])
        R_pt = group._msm_naive([*a_R, *b_L, c_R], [*G_L, *H_R, Q])
        append_nonidentity(transcript, b"L", L_pt)
        append_nonidentity(transcript, b"R", R_pt)
        L_vec.append(L_pt)
        R_vec.append(R_pt)
        u = transcript.challenge_scalar(b"u")
        u_inv = group.invert(u)
        a = [(u * x + u_inv * y) % L for x, y in zip(a_L, a_R, strict=True)]
        b = [(u_inv * x + u * y) % L for x, y in zip(b_L, b_R, strict=True)]
        G = [group._msm_naive([u_inv, u], [x, y]) for x, y in zip(G_L, G_R, strict=True)]
        H = [group._msm_naive([u, u_inv], [x, y]) for x, y in zip(H_L, H_R, strict=True)]
    return InnerProductProof(tuple(L_vec), tuple(R_vec), a[0], b[0])


def verification_scalars(
    proof: InnerProductProof, N: int, transcript: Transcript
) -> tuple[list[int], list[int], list[int]]:
    """Replay the challenges u_j and return (u_j^2, u_j^-2, s) with s as in the module doc."""
    k = len(proof.L_vec)
    if N != 1 << k or len(proof.R_vec) != k:
        raise VerificationError("inner-product proof has the wrong number of rounds")
    u: list[int] = []
    for L_pt, R_pt in zip(proof.L_vec, proof.R_vec, strict=True):
        append_nonidentity(transcript, b"L", L_pt)
        append_nonidentity(transcript, b"R", R_pt)
        u.append(transcript.challenge_scalar(b"u"))
    return scalars_from_challenges(u, N)


def scalars_from_challenges(u: Sequence[int], N: int) -> tuple[list[int], list[int], list[int]]:
    """(u_j^2, u_j^-2, s) from the round challenges u_1..u_k, with s as in the module doc."""
    k = len(u)
    if N != 1 << k:
        raise VerificationError("inner-product proof has the wrong number of rounds")
    if any(x == 0 for x in u):  # probability 2^-252; would make u^-1 undefined
        raise VerificationError("inner-product challenge is zero")
    u_inv = _batch_invert(u)
    u_sq = [x * x % L for x in u]
    u_inv_sq = [x * x % L for x in u_inv]
    # s_0 = prod_j u_j^-1; setting bit b of i (round k-1-b) swaps u^-1 for u: times u^2.
    s0 = 1
    for x in u_inv:
        s0 = s0 * x % L
    s = [s0]
    for i in range(1, N):
        top = i.bit_length() - 1
        s.append(s[i - (1 << top)] * u_sq[k - 1 - top] % L)
    return u_sq, u_inv_sq, s


def _batch_invert(xs: Sequence[int]) -> list[int]:
    """Montgomery's trick: one modular inversion for the whole vector."""
    prefix = [1]
    for x in xs:
        prefix.append(prefix[-1] * x % L)
    inv = pow(prefix[-1], -1, L)
    out = [0] * len(xs)
    for i in range(len(xs) - 1, -1, -1):
        out[i] = inv * prefix[i] % L
        inv = inv * xs[i] % L
    return out
