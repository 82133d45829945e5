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
from functools import lru_cache

from solvency.crypto import backend, group
from solvency.crypto.backend import Backend, Point, Table
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
        ops = backend.ACTIVE
        return ops.encode(self._commit_point(ops, v, gamma))

    def _commit_point(self, ops: Backend, v: int, gamma: int) -> Point:
        """v B + gamma B~ in ``ops``'s internal form; constant-time in v and gamma.

        Both generators are fixed: their tables (``_tables``) are built once per process.
        """
        T_B, T_B_blinding = _tables(ops, self.B, self.B_blinding)
        return ops.msm_table_ct([v, gamma], [T_B, T_B_blinding])

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


@lru_cache(maxsize=8)
def _points(ops: Backend, B: bytes, B_blinding: bytes) -> tuple[Point, Point]:
    """(B, B~) in ``ops``'s internal form, kept for the process."""
    return ops.decode(B), ops.decode(B_blinding)


@lru_cache(maxsize=8)
def _tables(ops: Backend, B: bytes, B_blinding: bytes) -> tuple[Table, Table]:
    """(table of B, table of B~) for ``ops``; the standard basepoint uses the library's own."""
    T_B = ops.base_table() if B == group.BASEPOINT else ops.table(ops.decode(B))
    return T_B, ops.table(ops.decode(B_blinding))


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
