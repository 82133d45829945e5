"""The per-user collateral relation and the net liability (docs/PROTOCOL.md section 10).

Relation: for a leaf (level 0, index ``i``) of epoch ``e`` with equity commitments
``E_k = Com(e_k, r_k)`` and debt commitments ``F_k = Com(d_k, s_k)`` (``k = 0..a-1``, each
range-proven in [0, 2^64) by the node proof) and public weights ``a_k``, ``b_k``
(``solvency.files.margin``), the verifier derives

    C_X = sum_k a_k E_k - sum_k b_k F_k  = Com(X, rho),
    X   = sum_k a_k e_k - sum_k b_k d_k,  rho = sum_k a_k r_k - sum_k b_k s_k  (mod l),

and the prover, given the high limb commitment ``C_hi = Com(X_hi, rho_hi)``, shows with one
aggregated 64-bit Bulletproof over (C_lo, C_hi), ``C_lo = C_X - 2^64 C_hi``, that

    X_lo, X_hi in [0, 2^64),  so  X = X_lo + 2^64 X_hi in [0, 2^128)  (mod l).

Since |X| < 2^173 << l / 2 (the weight bound), X is a non-negative integer: the user's haircut
collateral covers their debt. Transcript:

    T = Transcript(b"solvency/v1/collateral"); T.append_message(b"epoch", e);
    T.append_u64(b"index", i)

Net liability per asset (for the reserves proof): with root equity and debt commitments
``E_k(root) = Com(E_k, R_k)`` and ``F_k(root) = Com(D_k, S_k)``,

    N_k = E_k(root) - F_k(root) = Com(E_k - D_k, R_k - S_k).

Variable-time group operations here act on public data only (commitments and weights); the
prover's scalars go through the constant-time commitment code.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from solvency.crypto import group
from solvency.crypto.bulletproofs import RangeProof, verify_batch
from solvency.crypto.group import Rng
from solvency.crypto.pedersen import PedersenGens
from solvency.crypto.transcript import Transcript
from solvency.errors import InvalidParameterError, SolvencyError, VerificationError
from solvency.files.margin import Weights

_LABEL = b"solvency/v1/collateral"
_PC = PedersenGens.default()
_LIMB = 2**64


def collateral_transcript(epoch: str, index: int) -> Transcript:
    T = Transcript(_LABEL)
    T.append_message(b"epoch", epoch.encode("utf-8"))
    T.append_u64(b"index", index)
    return T


def collateral_commitment(
    equity: Sequence[bytes], debt: Sequence[bytes], weights: Weights
) -> bytes:
    """C_X = sum_k a_k E_k - sum_k b_k F_k (public data; variable time)."""
    a = len(weights.collateral)
    if len(equity) != a or len(debt) != a:
        raise InvalidParameterError("need one equity and one debt commitment per asset")
    scalars = [*weights.collateral, *(group.L - b % group.L for b in weights.debt)]
    return group.msm(scalars, [*equity, *debt])


def prove_collateral(
    epoch: str,
    index: int,
    equity: Sequence[int],
    debt: Sequence[int],
    equity_blindings: Sequence[int],
    debt_blindings: Sequence[int],
    weights: Weights,
    rng: Rng | None = None,
) -> tuple[bytes, bytes]:
    """(C_hi, proof) for leaf ``index``; InvalidParameterError when X is outside [0, 2^128)
    (no proof exists: the user's debt is not covered)."""
    X = weights.surplus(equity, debt)
    if not 0 <= X < _LIMB * _LIMB:
        raise InvalidParameterError("the collateral surplus is outside [0, 2^128): no proof")
    rho = (
        sum(w * r for w, r in zip(weights.collateral, equity_blindings, strict=True))
        - sum(w * s for w, s in zip(weights.debt, debt_blindings, strict=True))
    ) % group.L
    rho_hi = group.random_scalar(rng)
    X_hi, X_lo = divmod(X, _LIMB)
    rho_lo = (rho - _LIMB * rho_hi) % group.L
    proof, V = RangeProof.prove(
        [X_lo, X_hi], [rho_lo, rho_hi], 64, collateral_transcript(epoch, index), rng
    )
    return V[1], proof.to_bytes()


def verify_collateral(
    epoch: str,
    index: int,
    equity: Sequence[bytes],
    debt: Sequence[bytes],
    weights: Weights,
    C_hi: bytes,
    proof: bytes,
) -> None:
    """Check leaf ``index``'s collateral proof; raise VerificationError naming the leaf."""
    where = f"collateral proof of leaf {index}"
    try:
        C_X = collateral_commitment(equity, debt, weights)
        group.decode_point(C_hi, "C_hi")
        # C_lo = C_X - 2^64 C_hi
        C_lo = group.sub(C_X, group.mul(_LIMB, C_hi))
        item = (RangeProof.from_bytes(proof), [C_lo, C_hi], 64, collateral_transcript(epoch, index))
    except SolvencyError as exc:
        raise VerificationError(f"{where} is malformed") from exc
    try:
        # X_lo, X_hi in [0, 2^64): the debt is covered
        verify_batch([item])
    except SolvencyError as exc:
        raise VerificationError(f"{where} does not verify: debt not covered") from exc


@dataclass(frozen=True, slots=True)
class CollateralItem:
    """One leaf's collateral proof to check: the leaf index, its 2a commitments (equity then
    debt, as stored in the tree), the high-limb commitment and the proof bytes."""

    index: int
    commitments: tuple[bytes, ...]
    C_hi: bytes
    proof: bytes


def _collateral_batch_item(
    epoch: str, item: CollateralItem, weights: Weights
) -> tuple[RangeProof, list[bytes], int, Transcript]:
    a = len(weights.collateral)
    if len(item.commitments) != 2 * a:
        raise InvalidParameterError("need 2a commitments: equity then debt")
    C_X = collateral_commitment(item.commitments[:a], item.commitments[a:], weights)
    group.decode_point(item.C_hi, "C_hi")
    # C_lo = C_X - 2^64 C_hi
    C_lo = group.sub(C_X, group.mul(_LIMB, item.C_hi))
    return (
        RangeProof.from_bytes(item.proof),
        [C_lo, item.C_hi],
        64,
        collateral_transcript(epoch, item.index),
    )


def verify_collateral_batch(
    epoch: str, items: Sequence[CollateralItem], weights: Weights, rng: Rng | None = None
) -> None:
    """Check many leaves' collateral proofs in one ``verify_batch``; when the batch fails,
    check them one by one so the VerificationError names the first leaf at fault."""
    if not items:
        return
    try:
        verify_batch([_collateral_batch_item(epoch, it, weights) for it in items], rng=rng)
        return
    except SolvencyError:
        pass
    a = len(weights.collateral)
    for it in items:
        verify_collateral(
            epoch, it.index, it.commitments[:a], it.commitments[a:], weights, it.C_hi, it.proof
        )
    raise VerificationError("collateral proof batch does not verify")


def net_liability_commitment(equity_root: bytes, debt_root: bytes) -> bytes:
    """N_k = E_k(root) - F_k(root), the commitment to total equity minus total debt."""
    return group.sub(equity_root, debt_root)


def net_liability_opening(
    total_equity: int, total_debt: int, equity_blinding: int, debt_blinding: int
) -> tuple[int, int]:
    """(E_k - D_k, R_k - S_k mod l): the opening of N_k, from the auditor's root opening.
    E_k - D_k may be negative (the exchange is owed more than it owes in that asset)."""
    return total_equity - total_debt, (equity_blinding - debt_blinding) % group.L


def check_net_liability(equity_root: bytes, debt_root: bytes, net: int, blinding: int) -> None:
    """Check N_k == Com(net, blinding) (net taken mod l when negative)."""
    # N_k == Com(E_k - D_k, R_k - S_k)
    expected = _PC.commit(net % group.L, blinding)
    if not hmac.compare_digest(net_liability_commitment(equity_root, debt_root), expected):
        raise VerificationError("net liability commitment does not open to the given total")
