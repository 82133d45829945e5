"""Group backends: ristretto255 points kept in a backend's internal form between operations.

The prover and the verifier (``bulletproofs``, ``inner_product``, ``pedersen``) run on one
of two backends with the same interface, and turn points into 32-byte encodings only where
the protocol needs bytes (the transcript, proofs, files; docs/PROTOCOL.md, "Group backends"):

- ``SODIUM``: points *are* their encodings, every operation is one libsodium call (which
  decodes its inputs and encodes its result). It is the fallback and the readable twin.
- ``DECAF``: libdecaf's projective points (``group_decaf``): an addition is about 1 us
  instead of 13, fixed generators have precomputed tables, and the verifier's sum is a
  variable-time multi-scalar multiplication.

Both give the same proofs, commitments and verdicts byte for byte (tests/test_backend.py
runs the prover and verifier on both in one process and compares bytes).

Constant time. The prover's scalars are secret (values, blindings, ``alpha``, ``rho``,
``s_L``, ``s_R``, the inner-product vectors) and go only through the ``*_ct`` routines and
``masked_sum``; the ``*_vartime`` routines are for public scalars (the verifier's, and the
prover's Fiat-Shamir challenges when it folds generators). Each routine's docstring says
which it is. Scalars are Python ints, which are not constant-time themselves; what this
module controls is that no group operation branches on a secret.

``ACTIVE`` is the backend ``group.BACKEND`` names (``SOLVENCY_BACKEND`` overrides it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solvency.crypto import group
from solvency.crypto.group import BASEPOINT, IDENTITY
from solvency.errors import MalformedInputError

#: A point in a backend's internal form (opaque to callers): bytes on libsodium,
#: ``group_decaf.Point`` on libdecaf.
Point = Any
#: A fixed generator prepared for repeated constant-time multiplication.
Table = Any


class SodiumBackend:
    """Points are their 32-byte encodings; every operation is a libsodium call (the twin)."""

    name = "sodium"

    # --- encodings ----------------------------------------------------------------------

    def decode(self, data: bytes) -> Point:
        """An encoding the caller has already checked (``group.decode_point``) or produced."""
        return bytes(data)

    def encode(self, P: Point) -> bytes:
        return bytes(P)

    def decode_many(self, data: Sequence[bytes]) -> list[Point]:
        """Each encoding checked to be canonical (as ``DecafBackend.decode_many``): the
        verifier decodes every proof point here once; a bad one raises MalformedInputError."""
        for d in data:
            if not group.is_valid_point(d):
                raise MalformedInputError("not a valid ristretto255 point encoding")
        return [bytes(d) for d in data]

    def encode_many(self, Ps: Sequence[Point]) -> list[bytes]:
        return [bytes(P) for P in Ps]

    def from_uniform(self, data: bytes) -> Point:
        return group._from_uniform(data)

    def identity(self) -> Point:
        return IDENTITY

    def is_identity(self, P: Point) -> bool:
        return bool(P == IDENTITY)

    # --- group law (no scalars: neither secret nor public matters) ----------------------

    def add(self, P: Point, Q: Point) -> Point:
        return group._add(P, Q)

    def sub(self, P: Point, Q: Point) -> Point:
        return group._sub(P, Q)

    def sum(self, Ps: Sequence[Point]) -> Point:
        return group._sum_sodium(Ps)

    def masked_sum(self, bits: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum_{bits[i] = 1} P_i, constant-time in the bits: libsodium offers no select over
        encodings, so each P_i is multiplied by its bit (``_msm_sodium``, which never skips)."""
        if len(bits) != len(Ps):
            raise MalformedInputError("bits and points differ in length")
        if any(b != 0 and b != 1 for b in bits):  # the decaf backend's check and message
            raise MalformedInputError("bits must be 0 or 1")
        return group._msm_sodium(bits, Ps)

    # --- constant-time multiplications (secret scalars) ---------------------------------

    def table(self, P: Point) -> Table:
        """libsodium has no per-point tables: the "table" is the point itself."""
        return P

    def mul_ct(self, k: int, P: Point) -> Point:
        """k P: libsodium's ``crypto_scalarmult_ristretto255`` is constant-time."""
        return group._mul(k, P)

    def base_table(self) -> Table:
        return BASEPOINT

    def mul_table_ct(self, k: int, T: Table) -> Point:
        """k P, constant-time; from libsodium's own fixed-base table when P is the basepoint."""
        return group._mul_base(k) if T == BASEPOINT else group._mul(k, T)

    def mul_base_ct(self, k: int) -> Point:
        """k B from libsodium's constant-time fixed-base routine."""
        return group._mul_base(k)

    def msm_ct(self, ks: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum k_i P_i, one constant-time libsodium multiplication a term."""
        return group._msm_sodium(ks, Ps)

    def msm_table_ct(self, ks: Sequence[int], Ts: Sequence[Table]) -> Point:
        """sum k_i P_i, as ``msm_ct`` (the "tables" are the points)."""
        return group._msm_sodium(ks, Ts)

    # --- variable-time (public scalars only) --------------------------------------------

    def msm_vartime(self, ks: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum k_i P_i for public k_i: libsodium's loop that skips k_i in {0, 1, -1}."""
        return group._msm_sodium_vartime(ks, Ps)

    def fixed_msm_vartime(self, ks: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum k_i P_i over fixed generators, public k_i (the basepoint by its own table)."""
        acc = IDENTITY
        for k, P in zip(ks, Ps, strict=True):
            acc = group._add(acc, self.mul_table_ct(k, P))
        return acc

    def verify_msm_vartime(
        self,
        ks: Sequence[int],
        Ps: Sequence[Point],
        fixed_ks: Sequence[int],
        fixed: Sequence[Point],
    ) -> Point:
        """sum k_i P_i + sum f_j F_j for public scalars, F_j fixed generators (the verifier)."""
        return group._add(self.msm_vartime(ks, Ps), self.fixed_msm_vartime(fixed_ks, fixed))

    def fold_vartime(
        self, ks: Sequence[int], Ps: Sequence[Point], Qs: Sequence[Point]
    ) -> list[Point]:
        """[P_i + k_i Q_i] for public k_i (the prover folding generators by its challenges)."""
        return [
            group._add(P, group._msm_sodium_vartime([k], [Q]))
            for k, P, Q in zip(ks, Ps, Qs, strict=True)
        ]

    def fold_table(
        self, ks: Sequence[int], Ps: Sequence[Point], Ts: Sequence[Table]
    ) -> list[Point]:
        """[P_i + k_i Q_i] with Q_i fixed (its "table" is the point), constant-time."""
        return [group._add(P, self.mul_table_ct(k, T)) for k, P, T in zip(ks, Ps, Ts, strict=True)]


class DecafBackend:
    """libdecaf's projective points (``group_decaf``), encoded only on request."""

    name = "decaf"

    def __init__(self, lib: Any) -> None:
        self._d = lib
        self._base_table = lib.BASE_TABLE
        self._tables: dict[int, tuple[Point, Table]] = {}

    def decode(self, data: bytes) -> Point:
        """An encoding the caller has already checked; a bad one raises MalformedInputError."""
        return self._d.from_trusted(data)

    def encode(self, P: Point) -> bytes:
        out: bytes = self._d.encode(P)
        return out

    def decode_many(self, data: Sequence[bytes]) -> list[Point]:
        """``[decode(d) for d in data]`` in one call; a bad encoding raises MalformedInputError."""
        points: list[Point] | None = self._d.decode_many(data)
        if points is None:
            raise MalformedInputError("not a valid ristretto255 point encoding")
        return points

    def encode_many(self, Ps: Sequence[Point]) -> list[bytes]:
        encode = self._d.encode
        return [encode(P) for P in Ps]

    def from_uniform(self, data: bytes) -> Point:
        return self._d.from_uniform(data)

    def identity(self) -> Point:
        return self._d.identity()

    def is_identity(self, P: Point) -> bool:
        return bool(self._d.is_identity(P))

    def add(self, P: Point, Q: Point) -> Point:
        return self._d.add(P, Q)

    def sub(self, P: Point, Q: Point) -> Point:
        return self._d.sub(P, Q)

    def sum(self, Ps: Sequence[Point]) -> Point:
        return self._d.sum_points(Ps)

    def masked_sum(self, bits: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum_{bits[i] = 1} P_i, constant-time in the bits (libdecaf's ``cond_sel`` each term)."""
        return self._d.masked_sum(bits, Ps)

    def table(self, P: Point) -> Table:
        """libdecaf's 9 KiB precomputed table of P (built once per fixed generator)."""
        return self._d.table(P)

    def mul_ct(self, k: int, P: Point) -> Point:
        """k P, constant-time (``point_scalarmul``)."""
        return self._d.mul(k, P)

    def base_table(self) -> Table:
        """The basepoint's table, built into libdecaf."""
        return self._base_table

    def mul_table_ct(self, k: int, T: Table) -> Point:
        """k P from P's table, constant-time (``precomputed_scalarmul``), about 3x ``mul_ct``."""
        return self._d.mul_table(k, T)

    def mul_base_ct(self, k: int) -> Point:
        return self._d.mul_table(k, self._base_table)

    def msm_ct(self, ks: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum k_i P_i, constant-time (the C Straus, or pairs through
        ``point_double_scalarmul``; ``group_decaf.msm_ct``)."""
        return self._d.msm_ct(ks, Ps)

    def msm_table_ct(self, ks: Sequence[int], Ts: Sequence[Table]) -> Point:
        """sum k_i P_i over tabled generators, constant-time (the C Straus over the
        generators' Straus tables, or ``precomputed_scalarmul``; ``group_decaf.msm_table_ct``)."""
        return self._d.msm_table_ct(ks, Ts)

    def msm_vartime(self, ks: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum k_i P_i, variable time: public scalars only (``group_decaf.msm_vartime``)."""
        return self._d.msm_vartime(ks, Ps)

    def fixed_msm_vartime(self, ks: Sequence[int], Ps: Sequence[Point]) -> Point:
        """sum k_i P_i over fixed generators (points that live as long as the process, from
        ``generators`` and ``pedersen``), public k_i. With the C Pippenger, one more
        ``msm_vartime``; without it, the constant-time table routine (the fastest fixed-base
        one through ctypes), each generator's table built once and kept."""
        if self._d.NATIVE_MSM:
            return self._d.msm_vartime(ks, Ps)
        return self._d.msm_table_ct(ks, [self._fixed_table(P) for P in Ps])

    def verify_msm_vartime(
        self,
        ks: Sequence[int],
        Ps: Sequence[Point],
        fixed_ks: Sequence[int],
        fixed: Sequence[Point],
    ) -> Point:
        """sum k_i P_i + sum f_j F_j for public scalars, F_j fixed generators (the verifier):
        with the C Pippenger one multi-scalar multiplication over all the terms."""
        if self._d.NATIVE_MSM:
            return self._d.msm_vartime([*ks, *fixed_ks], [*Ps, *fixed])
        return self._d.add(self.msm_vartime(ks, Ps), self.fixed_msm_vartime(fixed_ks, fixed))

    def _fixed_table(self, P: Point) -> Table:
        T = self._tables.get(P.p)
        if T is None:
            T = self._tables[P.p] = (P, self._d.table(P))  # P kept: its address is the key
        return T[1]

    def fold_vartime(
        self, ks: Sequence[int], Ps: Sequence[Point], Qs: Sequence[Point]
    ) -> list[Point]:
        """[P_i + k_i Q_i] for public k_i, variable time (``group_decaf.fold_vartime``)."""
        out: list[Point] = self._d.fold_vartime(ks, Ps, Qs)
        return out

    def fold_table(
        self, ks: Sequence[int], Ps: Sequence[Point], Ts: Sequence[Table]
    ) -> list[Point]:
        """[P_i + k_i Q_i], Q_i given by its table: constant-time ``precomputed_scalarmul``."""
        out: list[Point] = self._d.fold_table(ks, Ps, Ts)
        return out


Backend = SodiumBackend | DecafBackend

SODIUM = SodiumBackend()
#: The libdecaf backend, or None when libdecaf is not installed.
DECAF: DecafBackend | None
try:
    from solvency.crypto import group_decaf as _group_decaf
except ImportError:
    DECAF = None
else:
    DECAF = DecafBackend(_group_decaf)

#: The backend in use (``group.BACKEND``).
ACTIVE: Backend = DECAF if group.BACKEND == "decaf" and DECAF is not None else SODIUM
