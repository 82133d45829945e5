"""Bulletproofs generators, as dalek's ``BulletproofGens``.

Party j owns two chains of nothing-up-my-sleeve points,

    G^(j)_i = from_uniform(SHAKE256("GeneratorsChain" || "G" || LE32(j))[64 i : 64 i + 64])
    H^(j)_i = from_uniform(SHAKE256("GeneratorsChain" || "H" || LE32(j))[64 i : 64 i + 64])

and an aggregated proof over m parties of n bits uses G(n, m) = G^(0)_{0..n} || ... ||
G^(m-1)_{0..n} (likewise H). Nobody knows a discrete-log relation between them, which is
what makes the vector commitments binding (Bulletproofs, section 3).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from solvency.crypto import group
from solvency.crypto.backend import Backend, Point, Table
from solvency.errors import InvalidParameterError

#: Largest bit size and party count supported (dalek's ``BulletproofGens::new(64, 64)``).
MAX_BITS = 64
MAX_PARTIES = 64


def _stream(label: bytes, party: int) -> bytes:
    xof = hashlib.shake_256(b"GeneratorsChain" + label + party.to_bytes(4, "little"))
    return xof.digest(64 * MAX_BITS)


@lru_cache(maxsize=2 * MAX_PARTIES)
def _chain(label: bytes, party: int) -> tuple[bytes, ...]:
    stream = _stream(label, party)
    return tuple(group._from_uniform(stream[64 * i : 64 * i + 64]) for i in range(MAX_BITS))


def party_G(party: int) -> tuple[bytes, ...]:
    """G^(party)_0 .. G^(party)_63."""
    _check_party(party)
    return _chain(b"G", party)


def party_H(party: int) -> tuple[bytes, ...]:
    """H^(party)_0 .. H^(party)_63."""
    _check_party(party)
    return _chain(b"H", party)


def G_vec(n: int, m: int) -> list[bytes]:
    """G(n, m): the first n points of each of the first m parties' G chains."""
    _check_shape(n, m)
    return [P for j in range(m) for P in _chain(b"G", j)[:n]]


def H_vec(n: int, m: int) -> list[bytes]:
    """H(n, m): the first n points of each of the first m parties' H chains."""
    _check_shape(n, m)
    return [P for j in range(m) for P in _chain(b"H", j)[:n]]


# --- the same generators in a backend's internal form, decoded and tabled once per process ---


@lru_cache(maxsize=4 * MAX_PARTIES)
def _chain_points(ops: Backend, label: bytes, party: int) -> tuple[Point, ...]:
    # Mapped straight into the backend's form (no encode and decode on libdecaf);
    # tests/test_backend.py checks these equal the encodings of ``_chain``.
    stream = _stream(label, party)
    return tuple(ops.from_uniform(stream[64 * i : 64 * i + 64]) for i in range(MAX_BITS))


@lru_cache(maxsize=4 * MAX_PARTIES)
def _chain_tables(ops: Backend, label: bytes, party: int) -> tuple[Table, ...]:
    # libdecaf: 64 tables of about 9 KiB per chain, built on first use (about 3 ms).
    return tuple(ops.table(P) for P in _chain_points(ops, label, party))


def G_points(ops: Backend, n: int, m: int) -> list[Point]:
    """G(n, m) in ``ops``'s internal form."""
    _check_shape(n, m)
    return [P for j in range(m) for P in _chain_points(ops, b"G", j)[:n]]


def H_points(ops: Backend, n: int, m: int) -> list[Point]:
    """H(n, m) in ``ops``'s internal form."""
    _check_shape(n, m)
    return [P for j in range(m) for P in _chain_points(ops, b"H", j)[:n]]


def G_tables(ops: Backend, n: int, m: int) -> list[Table]:
    """Precomputed tables of G(n, m), for constant-time fixed-base multiplications."""
    _check_shape(n, m)
    return [T for j in range(m) for T in _chain_tables(ops, b"G", j)[:n]]


def H_tables(ops: Backend, n: int, m: int) -> list[Table]:
    """Precomputed tables of H(n, m)."""
    _check_shape(n, m)
    return [T for j in range(m) for T in _chain_tables(ops, b"H", j)[:n]]


def party_G_points(ops: Backend, party: int, count: int) -> tuple[Point, ...]:
    """G^(party)_0 .. G^(party)_(count-1), kept for the process (the verifier's terms)."""
    _check_party(party)
    return _chain_points(ops, b"G", party)[:count]


def party_H_points(ops: Backend, party: int, count: int) -> tuple[Point, ...]:
    """H^(party)_0 .. H^(party)_(count-1), kept for the process."""
    _check_party(party)
    return _chain_points(ops, b"H", party)[:count]


@lru_cache(maxsize=64)
def G_plus_H(ops: Backend, n: int, m: int) -> tuple[Point, ...]:
    """G(n, m)_i + H(n, m)_i for every i (the prover's commitment A uses them)."""
    return tuple(
        ops.add(P, Q) for P, Q in zip(G_points(ops, n, m), H_points(ops, n, m), strict=True)
    )


@lru_cache(maxsize=64)
def H_sum(ops: Backend, n: int, m: int) -> Point:
    """<1, H(n, m)>."""
    return ops.sum(H_points(ops, n, m))


def _check_party(party: int) -> None:
    if not 0 <= party < MAX_PARTIES:
        raise InvalidParameterError(f"party index must be in [0, {MAX_PARTIES})")


def _check_shape(n: int, m: int) -> None:
    if not 1 <= n <= MAX_BITS or not 1 <= m <= MAX_PARTIES:
        raise InvalidParameterError(
            f"generators exist for n <= {MAX_BITS} and m <= {MAX_PARTIES}, got n={n}, m={m}"
        )
