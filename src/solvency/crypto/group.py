"""The ristretto255 prime-order group (RFC 9496) over libsodium (ctypes; ``pysodium`` finds it
where its soname does not open, see ``libload``).

Group elements are their 32-byte canonical encodings; scalars are ints in [0, l) with

    l = 2^252 + 27742317777372353535851937790883648493.

The identity is the all-zero encoding. libsodium's scalar multiplication writes the identity
for 0 * P (which a zero balance produces) but returns -1 for it; the constant-time routines
here (``_mul``, ``_mul_base``, ``_msm_sodium``) ignore that return value rather than branch
on it, and check their public points' validity apart.

Hot paths (Bulletproofs, tree building) call the underscore internals, which take
already-checked inputs; the public functions check lengths and encodings first.
Measured here: one variable-base multiplication about 49 us, one fixed-base 16 us,
one addition 13 us (each decodes its inputs and encodes its output).

Backends. This module is the libsodium side and picks the backend: libdecaf (``group_decaf``)
when it is installed, unless ``SOLVENCY_BACKEND=sodium|decaf`` says otherwise; ``BACKEND``
names the one in use. The prover and verifier work on internal points through
``backend.ACTIVE`` (docs/PROTOCOL.md 1.1); the byte-level routines here stay libsodium's,
except ``_msm``, ``_sum`` and ``is_valid_point``, which use libdecaf when it is active and give
the same results (``_msm_sodium``, ``_sum_sodium`` and ``_is_valid_sodium`` are their twins).
"""

from __future__ import annotations

import ctypes
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from solvency.crypto.libload import open_library
from solvency.errors import InvalidParameterError, LibsodiumMissingError, MalformedInputError

#: Order of the ristretto255 group.
L = 2**252 + 27742317777372353535851937790883648493
POINT_BYTES = 32
SCALAR_BYTES = 32
#: Encoding of the identity element.
IDENTITY = bytes(32)
#: Encoding of the standard generator B (RFC 9496, section 4.4).
BASEPOINT = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")

#: A source of random bytes, like ``secrets.token_bytes``; injectable so tests are reproducible.
Rng = Callable[[int], bytes]


def _load_sodium() -> Any:
    # By soname first (libload.py: find_library spawns ldconfig, ~10 ms at every start); then
    # through pysodium, which finds the library with find_library (other sonames, macOS).
    lib: Any = open_library(["libsodium.so.23", "libsodium.so.26"], "sodium")
    if lib is None:
        try:
            import pysodium
        except (
            ImportError,
            OSError,
            ValueError,
        ) as exc:  # pysodium raises ValueError without libsodium
            raise LibsodiumMissingError(
                "libsodium >= 1.0.18 is required (Debian/Ubuntu: apt-get install libsodium23)"
            ) from exc
        lib = pysodium.sodium
    if not hasattr(lib, "crypto_core_ristretto255_add"):
        raise LibsodiumMissingError(
            "the installed libsodium has no ristretto255; version 1.0.18 or newer is required"
        )
    return lib


_sodium = _load_sodium()
_c_mul = _sodium.crypto_scalarmult_ristretto255
_c_mul_base = _sodium.crypto_scalarmult_ristretto255_base
_c_add = _sodium.crypto_core_ristretto255_add
_c_sub = _sodium.crypto_core_ristretto255_sub
_c_is_valid = _sodium.crypto_core_ristretto255_is_valid_point
_c_from_hash = _sodium.crypto_core_ristretto255_from_hash
_new_buffer = ctypes.create_string_buffer


def _select_backend() -> tuple[str, Any]:
    """("decaf", module) when libdecaf is usable and not overridden, else ("sodium", None)."""
    choice = os.environ.get("SOLVENCY_BACKEND", "")
    if choice not in ("", "sodium", "decaf"):
        raise InvalidParameterError("SOLVENCY_BACKEND must be 'sodium' or 'decaf'")
    if choice == "sodium":
        return "sodium", None
    try:
        from solvency.crypto import group_decaf
    except ImportError as exc:
        if choice == "decaf":
            raise InvalidParameterError(
                "SOLVENCY_BACKEND=decaf but libdecaf is missing "
                "(Debian/Ubuntu: apt-get install libdecaf0)"
            ) from exc
        return "sodium", None
    return "decaf", group_decaf


#: The backend of the multi-point routines: "decaf" or "sodium".
BACKEND, _decaf = _select_backend()


# --- internals: inputs are trusted (canonical points, ints) ---------------------------------


def _mul(k: int, P: bytes) -> bytes:
    """k * P for a valid encoding P; constant-time in k (the prover passes secrets here).

    libsodium's multiplication runs the same way for every k and writes the identity's
    encoding when k P is the identity (k = 0), but then returns -1. Neither k = 0 nor that
    return value is branched on, as either would tell a zero scalar (a zero balance, a
    padding leaf) apart; P is public, so its validity is checked first, in variable time.
    """
    if not _is_valid_sodium(P):
        raise MalformedInputError("not a valid ristretto255 point encoding")
    out = _new_buffer(32)
    _c_mul(out, (k % L).to_bytes(32, "little"), P)
    return out.raw


def _mul_base(k: int) -> bytes:
    """k * B for the standard generator B (libsodium's fixed-base table, about 3x faster);
    constant-time in k, as ``_mul`` (the -1 that k = 0 returns is not branched on)."""
    out = _new_buffer(32)
    _c_mul_base(out, (k % L).to_bytes(32, "little"))
    return out.raw


def _add(P: bytes, Q: bytes) -> bytes:
    out = _new_buffer(32)
    if _c_add(out, P, Q) != 0:
        raise MalformedInputError("not a valid ristretto255 point encoding")
    return out.raw


def _sub(P: bytes, Q: bytes) -> bytes:
    out = _new_buffer(32)
    if _c_sub(out, P, Q) != 0:
        raise MalformedInputError("not a valid ristretto255 point encoding")
    return out.raw


def _sum(points: Iterable[bytes]) -> bytes:
    """Sum of valid encodings: on libdecaf in projective form, else one libsodium addition each."""
    if _decaf is not None:
        out: bytes = _decaf.encode(_decaf.sum_points([_decaf.from_trusted(P) for P in points]))
        return out
    return _sum_sodium(points)


def _sum_sodium(points: Iterable[bytes]) -> bytes:
    """``_sum`` on libsodium (the twin)."""
    acc = _new_buffer(IDENTITY, 32)
    for P in points:
        if _c_add(acc, acc, P) != 0:
            raise MalformedInputError("not a valid ristretto255 point encoding")
    return acc.raw


def _msm(scalars: Iterable[int], points: Iterable[bytes]) -> bytes:
    """sum_i k_i * P_i, constant-time in the scalars (the prover calls it with secrets).

    On libdecaf: ``group_decaf.msm_ct`` (pairs through the constant-time double
    multiplication); else ``_msm_sodium``.
    """
    if _decaf is not None:
        ks = list(scalars)
        Ps = [_decaf.from_trusted(P) for P in points]
        if len(ks) != len(Ps):
            raise MalformedInputError("scalars and points differ in length")
        result: bytes = _decaf.encode(_decaf.msm_ct(ks, Ps))
        return result
    return _msm_sodium(scalars, points)


def _msm_sodium(scalars: Iterable[int], points: Iterable[bytes]) -> bytes:
    """sum_i k_i * P_i on libsodium, constant-time in the scalars (the twin of
    ``group_decaf.msm_ct``): one multiplication and one addition a term, whatever k_i is.

    libsodium has no multi-scalar multiplication, and with its addition costing about a
    quarter of a multiplication, Straus or Pippenger would cost more than this. Every term is
    multiplied, even by 0 or 1, and no return value is branched on (see ``_mul``): the points
    are public and checked first; the scalars are not looked at.
    """
    acc = _new_buffer(IDENTITY, 32)
    term = _new_buffer(32)
    for k, P in zip(scalars, points, strict=True):
        if not _is_valid_sodium(P):
            raise MalformedInputError("not a valid ristretto255 point encoding")
        _c_mul(term, (k % L).to_bytes(32, "little"), P)
        _c_add(acc, acc, term)
    return acc.raw


def _msm_sodium_vartime(scalars: Iterable[int], points: Iterable[bytes]) -> bytes:
    """sum_i k_i * P_i on libsodium for public scalars only (the verifier's, the folds'):
    variable-time, as scalars 0, 1 and -1 (common there) skip the multiplication."""
    acc = _new_buffer(IDENTITY, 32)
    term = _new_buffer(32)
    minus_one = L - 1
    for k, P in zip(scalars, points, strict=True):
        k %= L
        if k == 0 or P == IDENTITY:
            continue
        if k == 1:
            rc = _c_add(acc, acc, P)
        elif k == minus_one:
            rc = _c_sub(acc, acc, P)
        else:
            rc = _c_mul(term, k.to_bytes(32, "little"), P) or _c_add(acc, acc, term)
        if rc != 0:
            raise MalformedInputError("not a valid ristretto255 point encoding")
    return acc.raw


def _msm_naive(scalars: Sequence[int], points: Sequence[bytes]) -> bytes:
    """Readable twin of ``_msm``: multiply each term, then add them up."""
    if len(scalars) != len(points):
        raise MalformedInputError("scalars and points differ in length")
    return _sum_sodium([_mul(k, P) for k, P in zip(scalars, points, strict=True)])


def _from_uniform(data: bytes) -> bytes:
    """The ristretto255 one-way map from 64 uniform bytes (RFC 9496, section 4.3.4)."""
    out = _new_buffer(32)
    _c_from_hash(out, data)
    return out.raw


# --- public API: checks its inputs ----------------------------------------------------------


def is_valid_point(data: bytes) -> bool:
    """True when ``data`` is a canonical ristretto255 encoding (the identity included)."""
    if not isinstance(data, bytes | bytearray) or len(data) != POINT_BYTES:
        return False
    if _decaf is not None:
        # libdecaf decodes about 3x faster, with the same verdicts as ``_is_valid_sodium``
        # (tests/test_group_decaf.py compares them on random strings and every bit flip).
        return _decaf.decode(bytes(data)) is not None
    return _is_valid_sodium(bytes(data))


def _is_valid_sodium(data: bytes) -> bool:
    """``is_valid_point`` on libsodium, for 32 bytes (the twin)."""
    # RFC 9496 4.3.1: bit 255 set is non-canonical. libsodium 1.0.18 ignores that bit,
    # which would give every point a second encoding, so we check it here.
    if data[31] & 0x80:
        return False
    return data == IDENTITY or _c_is_valid(data) == 1


def decode_point(data: bytes, what: str = "point") -> bytes:
    """Check that ``data`` is a canonical ristretto255 encoding and return it as bytes."""
    if not isinstance(data, bytes | bytearray):
        raise MalformedInputError(f"{what}: expected bytes, got {type(data).__name__}")
    if len(data) != POINT_BYTES:
        raise MalformedInputError(f"{what}: expected {POINT_BYTES} bytes, got {len(data)}")
    if not is_valid_point(data):
        raise MalformedInputError(f"{what}: not a canonical ristretto255 point encoding")
    return bytes(data)


def scalar_to_bytes(k: int) -> bytes:
    """32-byte little-endian encoding of a scalar in [0, l)."""
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < L:
        raise MalformedInputError("scalar must be an int in [0, l)")
    return k.to_bytes(32, "little")


def decode_scalar(data: bytes, what: str = "scalar") -> int:
    """Parse a canonical 32-byte little-endian scalar; values >= l are refused."""
    if not isinstance(data, bytes | bytearray) or len(data) != SCALAR_BYTES:
        raise MalformedInputError(f"{what}: expected {SCALAR_BYTES} bytes")
    k = int.from_bytes(data, "little")
    if k >= L:
        raise MalformedInputError(f"{what}: not a canonical scalar (>= group order)")
    return k


def scalar_from_wide(data: bytes) -> int:
    """Reduce 64 uniform bytes modulo l (dalek's ``Scalar::from_bytes_mod_order_wide``)."""
    if len(data) != 64:
        raise MalformedInputError("wide scalar: expected 64 bytes")
    return int.from_bytes(data, "little") % L


def random_scalar(rng: Rng | None = None) -> int:
    """A uniform scalar from 64 random bytes (negligible bias); ``rng`` defaults to ``secrets``."""
    return int.from_bytes((rng or secrets.token_bytes)(64), "little") % L


def invert(k: int) -> int:
    """k^-1 mod l."""
    if k % L == 0:
        raise MalformedInputError("zero has no inverse")
    return pow(k, -1, L)


def add(P: bytes, Q: bytes) -> bytes:
    """P + Q."""
    return _add(decode_point(P, "P"), decode_point(Q, "Q"))


def sub(P: bytes, Q: bytes) -> bytes:
    """P - Q."""
    return _sub(decode_point(P, "P"), decode_point(Q, "Q"))


def neg(P: bytes) -> bytes:
    """-P."""
    return _sub(IDENTITY, decode_point(P, "P"))


def mul(k: int, P: bytes) -> bytes:
    """k * P for any int k (taken mod l)."""
    if not isinstance(k, int) or isinstance(k, bool):
        raise MalformedInputError("scalar must be an int")
    return _mul(k, decode_point(P, "P"))


def mul_base(k: int) -> bytes:
    """k * B for the standard generator B."""
    if not isinstance(k, int) or isinstance(k, bool):
        raise MalformedInputError("scalar must be an int")
    return _mul_base(k)


def msm(scalars: Sequence[int], points: Sequence[bytes]) -> bytes:
    """sum_i k_i * P_i."""
    if len(scalars) != len(points):
        raise MalformedInputError("scalars and points differ in length")
    return _msm(scalars, [decode_point(P, f"points[{i}]") for i, P in enumerate(points)])


def from_uniform_bytes(data: bytes) -> bytes:
    """Hash-to-group: the ristretto255 map applied to 64 uniform bytes."""
    if not isinstance(data, bytes | bytearray) or len(data) != 64:
        raise MalformedInputError("from_uniform_bytes: expected 64 bytes")
    return _from_uniform(bytes(data))
