"""Reserves cover liabilities: the solvency relation (docs/PROTOCOL.md section 11.6).

Relation: for asset ``a`` of epoch ``e`` with root hash ``h``, net-liability commitment
``C_a = Com(L_a, r_a) = L_a*B + r_a*B_blinding`` (the root commitment in v1; total equity
minus total debt, ``circuits.collateral.net_liability_commitment``, once margin lands), the
public key-proven reserves ``R_a`` (units, ``0 <= R_a < 2^64``) and a minimum ratio of ``k``
percent (``1 <= k <= MAX_RATIO_PERCENT``), the verifier derives

    D_a  = 100*R_a*B - k*C_a  = Com(X_a, -k*r_a),   X_a = 100*R_a - k*L_a,

and the prover, given ``C_hi = Com(X_hi, rho_hi)``, shows with one aggregated 64-bit
Bulletproof over ``(C_lo, C_hi)``, ``C_lo = D_a - 2^64*C_hi``, that

    X_lo, X_hi in [0, 2^64),   so  X_a = X_lo + 2^64*X_hi in [0, 2^128)   (mod l),

which hides ``L_a`` (and ``X_a``). No wrap: ``|L_a| < 2^64`` (each root commitment is
range-proven in [0, 2^64); with margin, equity and debt each are, so their difference is in
(-2^64, 2^64)) and ``k < 2^17``, so the integer ``100*R_a - k*L_a`` lies in ``(-2^82, 2^82)``,
and ``2^128 + 2^82 < l``: the only value in [0, 2^128) congruent to it mod l is itself.
Hence ``100*R_a >= k*L_a``: reserves cover at least k percent of the liabilities. (With
k = 100 this is ``R_a >= L_a``; ``100*R_a`` alone can reach 2^71, so the statement is proven in
two 64-bit limbs rather than one 64-bit range.)

Transcript, binding the proof to its epoch, root, asset, reserves and ratio:

    T = Transcript(b"solvency/v1/reserves-cover")
    T.append_message(b"epoch", e); T.append_message(b"root", h)
    T.append_u64(b"asset", a);     T.append_message(b"symbol", symbol)
    T.append_u64(b"reserves", R_a); T.append_u64(b"ratio", k); T.append_message(b"C", C_a)

Verification acts on public data (variable time); the prover's scalars go through the
constant-time commitment code of ``crypto.bulletproofs``.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvency.crypto import group
from solvency.crypto.bulletproofs import RangeProof, verify_batch
from solvency.crypto.group import Rng
from solvency.crypto.pedersen import PedersenGens
from solvency.crypto.transcript import Transcript
from solvency.errors import InvalidParameterError, SolvencyError, VerificationError

_LABEL = b"solvency/v1/reserves-cover"
_PC = PedersenGens.default()
_LIMB = 2**64
#: The largest minimum ratio (percent) a proof may state: keeps |X_a| < 2^82 (module text).
MAX_RATIO_PERCENT = 100_000
MAX_UNITS = 2**64 - 1


class NotCoveredError(InvalidParameterError):
    """The exchange's reserves do not cover its liabilities at the ratio asked: no proof exists."""


@dataclass(frozen=True)
class CoverStatement:
    """The public statement of one asset's proof."""

    epoch: str
    root_hash: bytes
    asset_index: int
    symbol: str
    reserves: int
    ratio_percent: int
    C_a: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.reserves, int) or not 0 <= self.reserves <= MAX_UNITS:
            raise InvalidParameterError(f"{self.symbol}: reserves must be in [0, 2^64)")
        if not isinstance(self.ratio_percent, int) or not (
            1 <= self.ratio_percent <= MAX_RATIO_PERCENT
        ):
            raise InvalidParameterError(f"the ratio must be in 1..{MAX_RATIO_PERCENT} percent")
        if len(self.root_hash) != 32:
            raise InvalidParameterError("root hash: expected 32 bytes")
        if not 0 <= self.asset_index < 2**32:
            raise InvalidParameterError("asset index out of range")

    def transcript(self) -> Transcript:
        T = Transcript(_LABEL)
        T.append_message(b"epoch", self.epoch.encode("utf-8"))
        T.append_message(b"root", self.root_hash)
        T.append_u64(b"asset", self.asset_index)
        T.append_message(b"symbol", self.symbol.encode("utf-8"))
        T.append_u64(b"reserves", self.reserves)
        T.append_u64(b"ratio", self.ratio_percent)
        T.append_message(b"C", self.C_a)
        return T

    def D(self) -> bytes:
        """D_a = 100*R_a*B - k*C_a (public data; variable time)."""
        group.decode_point(self.C_a, f"liability commitment of {self.symbol}")
        return group.sub(
            _PC.commit(100 * self.reserves, 0), group.mul(self.ratio_percent, self.C_a)
        )


def prove_cover(
    statement: CoverStatement, liabilities: int, blinding: int, rng: Rng | None = None
) -> tuple[bytes, bytes]:
    """(C_hi, proof) for one asset, from the opening ``C_a = Com(L_a, r_a)``.

    Raises NotCoveredError when ``100*R_a < k*L_a`` (the message names the asset, not L_a),
    and InvalidParameterError when the opening does not match ``C_a``.
    """
    s = statement
    if not isinstance(liabilities, int) or not -MAX_UNITS <= liabilities <= MAX_UNITS:
        raise InvalidParameterError(f"{s.symbol}: liabilities must be in (-2^64, 2^64)")
    if not isinstance(blinding, int) or not 0 <= blinding < group.L:
        raise InvalidParameterError(f"{s.symbol}: blinding must be a scalar in [0, l)")
    # C_a == Com(L_a, r_a): a wrong opening would give a proof that cannot verify.
    if _PC.commit(liabilities % group.L, blinding) != s.C_a:
        raise InvalidParameterError(f"{s.symbol}: the opening does not match the commitment")
    X = 100 * s.reserves - s.ratio_percent * liabilities
    if X < 0:
        raise NotCoveredError(
            f"{s.symbol}: reserves do not cover {s.ratio_percent}% of the liabilities"
        )
    rho = (-s.ratio_percent * blinding) % group.L
    X_hi, X_lo = divmod(X, _LIMB)
    rho_hi = group.random_scalar(rng)
    rho_lo = (rho - _LIMB * rho_hi) % group.L
    proof, V = RangeProof.prove([X_lo, X_hi], [rho_lo, rho_hi], 64, s.transcript(), rng)
    return V[1], proof.to_bytes()


def verify_cover(statement: CoverStatement, C_hi: bytes, proof: bytes) -> None:
    """Check one asset's proof; VerificationError naming the asset when it does not hold."""
    s = statement
    where = f"solvency proof of {s.symbol}"
    try:
        group.decode_point(C_hi, "C_hi")
        # C_lo = D_a - 2^64*C_hi
        C_lo = group.sub(s.D(), group.mul(_LIMB, C_hi))
        item = (RangeProof.from_bytes(proof), [C_lo, C_hi], 64, s.transcript())
    except SolvencyError as exc:
        raise VerificationError(f"{where} is malformed") from exc
    try:
        # X_lo, X_hi in [0, 2^64): 100*R_a - k*L_a >= 0
        verify_batch([item])
    except SolvencyError as exc:
        raise VerificationError(
            f"{where} does not verify: reserves are not shown to cover "
            f"{s.ratio_percent}% of the liabilities"
        ) from exc
