"""Pedersen commitments over ristretto255, with dalek's default generators.

    Com(v, gamma) = v * B + gamma * B_blinding

B is the ristretto255 basepoint and B_blinding = from_uniform(SHA3-512(B)), as
``PedersenGens::default()`` in dalek-cryptography/bulletproofs, so commitments made
here are the ``V`` that dalek's range proofs take. Commitments are additively
homomorphic: Com(v1, g1) + Com(v2, g2) = Com(v1 + v2, g1 + g2), with values and
blindings taken mod l (Bulletproofs, Bunz et al. 2018, section 2.2).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from solvency.crypto import group
from solvency.errors import InvalidParameterError, VerificationError


@dataclass(frozen=True)
class PedersenGens:
    """The two generators of a Pedersen commitment."""

    B: bytes
    B_blinding: bytes

    @classmethod
    def default(cls) -> PedersenGens:
        return _DEFAULT

    def commit(self, value: int, blinding: int) -> bytes:
        """Com(value, blinding); both ints, taken mod l."""
        _check_int(value, "value")
        _check_int(blinding, "blinding")
        return self._commit(value, blinding)

    def _commit(self, v: int, gamma: int) -> bytes:
        gamma_B_blinding = group._mul(gamma, self.B_blinding)
        if v % group.L == 0:  # padding nodes and empty balances: no v * B to add
            return gamma_B_blinding
        # v * B uses libsodium's fixed-base table when B is the standard basepoint.
        vB = group._mul_base(v) if self.B == group.BASEPOINT else group._mul(v, self.B)
        return group._add(vB, gamma_B_blinding)

    def open(self, commitment: bytes, value: int, blinding: int) -> None:
        """Check that ``commitment`` opens to (value, blinding); raise VerificationError if not."""
        group.decode_point(commitment, "commitment")
        expected = self.commit(value, blinding)
        # Com(v, gamma) == commitment
        if not hmac.compare_digest(expected, commitment):
            raise VerificationError("commitment does not open to the given value and blinding")


def _check_int(x: int, what: str) -> None:
    if not isinstance(x, int) or isinstance(x, bool):
        raise InvalidParameterError(f"{what} must be an int")


def _default_gens() -> PedersenGens:
    B = group.BASEPOINT
    return PedersenGens(B=B, B_blinding=group._from_uniform(hashlib.sha3_512(B).digest()))


_DEFAULT = _default_gens()


def commit(value: int, blinding: int) -> bytes:
    """Com(value, blinding) with the default generators."""
    return _DEFAULT.commit(value, blinding)


def add(C1: bytes, C2: bytes) -> bytes:
    """Com(v1, g1) + Com(v2, g2) = Com(v1 + v2, g1 + g2)."""
    return group.add(C1, C2)


def sub(C1: bytes, C2: bytes) -> bytes:
    """Com(v1, g1) - Com(v2, g2) = Com(v1 - v2, g1 - g2)."""
    return group.sub(C1, C2)


def open_commitment(commitment: bytes, value: int, blinding: int) -> None:
    """Check an opening with the default generators; raise VerificationError if it fails."""
    _DEFAULT.open(commitment, value, blinding)
