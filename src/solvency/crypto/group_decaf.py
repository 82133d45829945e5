"""The ristretto255 group (RFC 9496) over libdecaf, through ctypes: the fast backend.

libdecaf's ``decaf_255`` group is ristretto255 (Hamburg, one of its designers): the same
elements, encodings and one-way map as libsodium, byte for byte (docs/PROTOCOL.md 1.1,
"Group backends"). Unlike libsodium it exposes points in projective form, so a sum costs
about 0.1 us instead of a decode, an addition and an encode (10-13 us), and it has
precomputed tables for fixed bases. A ``Point`` here is that internal form: four field
elements of five 64-bit limbs, each aligned to 32 bytes, 256 bytes in all, which we place
in a 32-byte-aligned ctypes buffer (ctypes does not align its buffers to 32).

Which routines are constant-time (libdecaf's header, and the notes in docs/PROTOCOL.md):
``mul``, ``mul_base``, ``mul_table``, ``msm_ct``, ``straus_ct``, ``msm_table_ct``,
``fold_table`` and ``masked_sum`` do the same work whatever the scalars or bits;
``mul_vartime``, ``fold_vartime``, ``msm_vartime`` and ``pippenger_native`` run in time that
depends on their scalars and are for public data only (the verifier's scalars, the prover's
Fiat-Shamir challenges). The multi-point loops run in our C extension ``_decafmsm`` when it
was built: it calls these same libdecaf functions, and adds a Pippenger for public scalars
and a constant-time Straus for secret ones (shared doublings, table entries read by masked
selects; its operation counts are tested not to depend on the scalars). The ctypes loops
here are its fallback and tested twins. Scalars are Python ints, which are not
constant-time themselves; what this module controls is that no group operation branches on
a secret.

libdecaf's conventions: errors and booleans are masks (success is all ones), the base
point, the identity and the base point's table are exported symbols.
"""

from __future__ import annotations

import ctypes
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from solvency.crypto.libload import open_library
from solvency.errors import MalformedInputError

NAME = "decaf"
L = 2**252 + 27742317777372353535851937790883648493

_POINT_SIZE = 256
_ALIGN = 32


class LibdecafMissing(ImportError):  # noqa: N818 -- internal signal, never leaves group.py
    """libdecaf could not be loaded (group.py falls back to libsodium)."""


def _load() -> Any:
    lib = open_library(["libdecaf.so.0"], "decaf")
    if lib is None:
        raise LibdecafMissing("libdecaf (libdecaf.so.0) not found")
    try:
        lib.decaf_255_point_add  # noqa: B018 -- the symbol must exist
    except AttributeError as exc:
        raise LibdecafMissing(f"libdecaf could not be loaded: {exc}") from exc
    return lib


_lib = _load()
_vp = ctypes.c_void_p


def _fn(name: str, argtypes: list[Any], restype: Any = None) -> Any:
    f = getattr(_lib, name)
    f.argtypes = argtypes
    f.restype = restype
    return f


_c_add = _fn("decaf_255_point_add", [_vp, _vp, _vp])
_c_sub = _fn("decaf_255_point_sub", [_vp, _vp, _vp])
_c_neg = _fn("decaf_255_point_negate", [_vp, _vp])
_c_double = _fn("decaf_255_point_double", [_vp, _vp])
_c_eq = _fn("decaf_255_point_eq", [_vp, _vp], ctypes.c_uint64)
_c_encode = _fn("decaf_255_point_encode", [ctypes.c_char_p, _vp])
_c_decode = _fn("decaf_255_point_decode", [_vp, ctypes.c_char_p, ctypes.c_uint64], ctypes.c_int32)
_c_scalar_decode = _fn("decaf_255_scalar_decode", [_vp, ctypes.c_char_p], ctypes.c_int32)
_c_scalarmul = _fn("decaf_255_point_scalarmul", [_vp, _vp, _vp])
_c_double_scalarmul = _fn("decaf_255_point_double_scalarmul", [_vp, _vp, _vp, _vp, _vp])
_c_precompute = _fn("decaf_255_precompute", [_vp, _vp])
_c_precomputed_scalarmul = _fn("decaf_255_precomputed_scalarmul", [_vp, _vp, _vp])
_c_vartime = _fn("decaf_255_base_double_scalarmul_non_secret", [_vp, _vp, _vp, _vp])
_c_cond_sel = _fn("decaf_255_point_cond_sel", [_vp, _vp, _vp, ctypes.c_uint64])
_c_from_hash = _fn("decaf_255_point_from_hash_uniform", [_vp, ctypes.c_char_p])

_BASE_ADDR = ctypes.addressof(ctypes.c_uint8.in_dll(_lib, "decaf_255_point_base"))
_IDENTITY_ADDR = ctypes.addressof(ctypes.c_uint8.in_dll(_lib, "decaf_255_point_identity"))
_BASE_TABLE_ADDR = ctypes.c_void_p.in_dll(_lib, "decaf_255_precomputed_base").value
_TABLE_SIZE = ctypes.c_size_t.in_dll(_lib, "decaf_255_sizeof_precomputed_s").value
_TABLE_ALIGN = max(_ALIGN, ctypes.c_size_t.in_dll(_lib, "decaf_255_alignof_precomputed_s").value)
_SUCCESS = 0xFFFFFFFF  # DECAF_SUCCESS (-1) as the c_int32 result, masked
_TRUE = 0xFFFFFFFFFFFFFFFF  # DECAF_TRUE, a 64-bit mask

_new = ctypes.create_string_buffer
_addressof = ctypes.addressof
_PointBuffer = ctypes.c_char * (_POINT_SIZE + _ALIGN)
#: The C extension ``_decafmsm`` once bound (``_load_native``, at the end), else None.
_native: Any = None


class Point:
    """A ristretto255 element in libdecaf's projective form (256 aligned bytes)."""

    __slots__ = ("_buf", "p")

    def __init__(self) -> None:
        buf = _PointBuffer()  # zero-filled, as create_string_buffer, at a third of its cost
        a = _addressof(buf)
        self._buf = buf
        #: The aligned address handed to libdecaf.
        self.p = a + (-a & (_ALIGN - 1))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and _c_eq(self.p, other.p) == _TRUE

    def __hash__(self) -> int:
        return hash(encode(self))

    def __repr__(self) -> str:
        return f"decaf.Point({encode(self).hex()})"


class Table:
    """A fixed point's precomputed multiples: libdecaf's table (about 9 KiB, for
    ``mul_table`` and ``fold_table``) and, when the C extension is built, a Straus table of
    (P, 2P, .., 16P) (4 KiB, for ``msm_table_ct`` over many points)."""

    __slots__ = ("_buf", "_straus_buf", "p", "straus")

    def __init__(self, P: Point | None) -> None:
        #: The aligned address of the Straus table, or 0 when there is none.
        self.straus = 0
        self._straus_buf: Any = None
        if P is None:  # the base point's table, built into libdecaf
            self._buf: Any = None
            self.p: int = _BASE_TABLE_ADDR or 0
            return
        buf = _new(_TABLE_SIZE + _TABLE_ALIGN)
        a = _addressof(buf)
        self._buf = buf
        self.p = a + (-a & (_TABLE_ALIGN - 1))
        _c_precompute(self.p, P.p)
        if _native is not None:
            self._add_straus(P)

    def _add_straus(self, P: Point) -> None:
        """Build the Straus table of P (needs the C extension)."""
        sbuf = _new(_STRAUS_TABLE_SIZE + _ALIGN)
        a = _addressof(sbuf)
        self._straus_buf = sbuf
        self.straus = a + (-a & (_ALIGN - 1))
        _native.straus_tables(array("Q", [self.straus]), array("Q", [P.p]), _STRAUS_TABLE_WINDOW)


def _scalar(k: int) -> Any:
    """k mod l as libdecaf's scalar struct."""
    s = _new(32)
    _c_scalar_decode(s, (k % L).to_bytes(32, "little"))
    return s


def _copy_of(addr: int) -> Point:
    out = Point()
    ctypes.memmove(out.p, addr, _POINT_SIZE)
    return out


# --- encodings ------------------------------------------------------------------------------


def decode(data: bytes) -> Point | None:
    """The point ``data`` encodes, or None if it is not a canonical encoding (RFC 9496 4.3.1).

    libdecaf refuses non-canonical field elements, negative s, bit 255 set and non-square
    cases, as RFC 9496 does; the identity (all zeros) is allowed.
    """
    out = Point()
    if len(data) != 32 or data[31] & 0x80:
        return None
    if _c_decode(out.p, bytes(data), _TRUE) & _SUCCESS != _SUCCESS:
        return None
    return out


def decode_many(data: Sequence[bytes]) -> list[Point] | None:
    """``[decode(d) for d in data]``, or None if any is not a canonical encoding; in C when
    built (``_decafmsm.decode_many``)."""
    if _native is None:
        decoded = [decode(d) for d in data]
        points = [P for P in decoded if P is not None]
        return points if len(points) == len(decoded) else None
    if any(len(d) != 32 for d in data):
        return None
    points = [Point() for _ in data]
    bad = _native.decode_many(array("Q", [P.p for P in points]), b"".join(data))
    return None if bad >= 0 else points


def from_trusted(data: bytes) -> Point:
    """Decode an encoding already checked (or produced) by us."""
    P = decode(data)
    if P is None:
        raise MalformedInputError("not a valid ristretto255 point encoding")
    return P


def encode(P: Point) -> bytes:
    out = _new(32)
    _c_encode(out, P.p)
    return out.raw


def identity() -> Point:
    return _copy_of(_IDENTITY_ADDR)


def base() -> Point:
    return _copy_of(_BASE_ADDR)


def is_identity(P: Point) -> bool:
    return bool(_c_eq(P.p, _IDENTITY_ADDR) == _TRUE)


def from_uniform(data: bytes) -> Point:
    """The ristretto255 one-way map from 64 uniform bytes (RFC 9496, section 4.3.4)."""
    out = Point()
    _c_from_hash(out.p, bytes(data))
    return out


# --- group law ------------------------------------------------------------------------------


def add(P: Point, Q: Point) -> Point:
    out = Point()
    _c_add(out.p, P.p, Q.p)
    return out


def sub(P: Point, Q: Point) -> Point:
    out = Point()
    _c_sub(out.p, P.p, Q.p)
    return out


def neg(P: Point) -> Point:
    out = Point()
    _c_neg(out.p, P.p)
    return out


def sum_points(points: Iterable[Point]) -> Point:
    """Sum of points (public or secret alike: additions do not depend on values)."""
    acc = identity()
    a = acc.p
    for P in points:
        _c_add(a, a, P.p)
    return acc


def masked_sum(bits: Sequence[int], points: Sequence[Point]) -> Point:
    """sum_{i : bits[i] = 1} P_i, constant-time in the bits (0 or 1, e.g. secret balances).

    Every term is selected in constant time (P_i or the identity) and added, so the group
    operations are the same whatever the bits: in C by masked selects when the extension is
    built (``_decafmsm.masked_sum``), else with libdecaf's ``cond_sel`` here
    (``_masked_sum_py``, its twin).
    """
    if len(bits) != len(points):
        raise MalformedInputError("bits and points differ in length")
    if any(b != 0 and b != 1 for b in bits):  # the same answer for every valid input
        raise MalformedInputError("bits must be 0 or 1")
    if _native is None:
        return _masked_sum_py(bits, points)
    out = Point()
    _native.masked_sum(out.p, array("Q", [P.p for P in points]), bytes(bits))
    return out


def _masked_sum_py(bits: Sequence[int], points: Sequence[Point]) -> Point:
    """``masked_sum`` through ctypes, one libdecaf ``cond_sel`` a term (the twin of the C)."""
    acc = identity()
    term = Point()
    a, t = acc.p, term.p
    for bit, P in zip(bits, points, strict=True):
        _c_cond_sel(t, _IDENTITY_ADDR, P.p, -bit & _TRUE)
        _c_add(a, a, t)
    return acc


# --- constant-time multiplications (secret scalars) -----------------------------------------


def mul(k: int, P: Point) -> Point:
    """k P, constant-time (libdecaf's ``point_scalarmul``)."""
    out = Point()
    _c_scalarmul(out.p, P.p, _scalar(k))
    return out


def table(P: Point) -> Table:
    """A precomputed table of P, for ``mul_table`` (build once per fixed generator)."""
    return Table(P)


#: The base point's table, built into libdecaf.
BASE_TABLE = Table(None)


def mul_table(k: int, T: Table) -> Point:
    """k P for P tabled in T, constant-time (``precomputed_scalarmul``), about 3x ``mul``."""
    out = Point()
    _c_precomputed_scalarmul(out.p, T.p, _scalar(k))
    return out


def mul_base(k: int) -> Point:
    """k B, constant-time, from libdecaf's table of B."""
    return mul_table(k, BASE_TABLE)


def msm_ct(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """sum_i k_i P_i, constant-time: for secret scalars (the prover's blindings and vectors).

    With the C extension, from ``_STRAUS_MIN`` terms: ``straus_ct`` (one shared run of
    doublings for all the points, each term's multiples read from its table in constant
    time); below that, libdecaf's constant-time ``point_double_scalarmul`` on pairs of terms
    (``_decafmsm.msm_pairs_ct``). Without it, the same pairs through ctypes (``_msm_ct_py``,
    the readable twin). The choice depends only on the number of terms, which is public.
    """
    if len(scalars) != len(points):
        raise MalformedInputError("scalars and points differ in length")
    if _native is None:
        return _msm_ct_py(scalars, points)
    out = Point()
    addresses = array("Q", [P.p for P in points])
    if len(points) >= _STRAUS_MIN:
        _native.straus_ct(out.p, addresses, _scalar_bytes(scalars), _STRAUS_WINDOW)
    else:
        _native.msm_pairs_ct(out.p, addresses, _scalar_bytes(scalars))
    return out


def straus_ct(scalars: Sequence[int], points: Sequence[Point], window: int = 0) -> Point:
    """sum_i k_i P_i by the C constant-time Straus (``_decafmsm.straus_ct``), signed digits of
    ``window`` bits (``_STRAUS_WINDOW`` when 0). Constant-time in the scalars: its operations,
    table reads included, depend only on the number of terms and the window (the tests count
    them with ``straus_counts``). Its twins are ``_msm_ct_py`` and libsodium (tested equal)."""
    if _native is None:
        raise RuntimeError("the native multi-scalar routines (_decafmsm) are not built")
    if len(scalars) != len(points):
        raise MalformedInputError("scalars and points differ in length")
    out = Point()
    window = window or _STRAUS_WINDOW
    _native.straus_ct(out.p, array("Q", [P.p for P in points]), _scalar_bytes(scalars), window)
    return out


def straus_counts() -> tuple[int, int, int, int, int]:
    """(additions, doublings, negations, table entries scanned, digits recoded) done by
    ``straus_ct`` since the last call, which resets them: a test's view of its control flow."""
    if _native is None:
        raise RuntimeError("the native multi-scalar routines (_decafmsm) are not built")
    counts: tuple[int, int, int, int, int] = _native.straus_counts()
    return counts


def _msm_ct_py(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """``msm_ct``'s loop through ctypes (the twin of the C loop)."""
    acc = identity()
    term = Point()
    a, t = acc.p, term.p
    n = len(points)
    for i in range(0, n - 1, 2):
        _c_double_scalarmul(t, points[i].p, _scalar(scalars[i]), points[i + 1].p,
                            _scalar(scalars[i + 1]))  # fmt: skip
        _c_add(a, a, t)
    if n % 2:
        _c_scalarmul(t, points[n - 1].p, _scalar(scalars[n - 1]))
        _c_add(a, a, t)
    return acc


def msm_table_ct(scalars: Sequence[int], tables: Sequence[Table]) -> Point:
    """sum_i k_i P_i over tabled fixed generators, constant-time (secret scalars).

    With the C extension, from ``_STRAUS_TABLED_MIN`` terms: the Straus loop over the
    generators' Straus tables (``_decafmsm.straus_tabled_ct``: shared doublings, every table
    entry read for every digit); else libdecaf's ``precomputed_scalarmul`` per term, in C
    (``_decafmsm.msm_table_ct``) or here (``_msm_table_ct_py``, the readable twin). The
    choice depends only on the number of terms and on which tables exist, both public.
    """
    if len(scalars) != len(tables):
        raise MalformedInputError("scalars and tables differ in length")
    if _native is None:
        return _msm_table_ct_py(scalars, tables)
    out = Point()
    straus = [T.straus for T in tables]
    if len(tables) >= _STRAUS_TABLED_MIN and all(straus):
        _native.straus_tabled_ct(
            out.p, array("Q", straus), _scalar_bytes(scalars), _STRAUS_TABLE_WINDOW
        )
    else:
        _native.msm_table_ct(out.p, array("Q", [T.p for T in tables]), _scalar_bytes(scalars))
    return out


def _msm_table_ct_py(scalars: Sequence[int], tables: Sequence[Table]) -> Point:
    """``msm_table_ct``'s loop through ctypes (the twin of the C loop)."""
    acc = identity()
    term = Point()
    a, t = acc.p, term.p
    for k, T in zip(scalars, tables, strict=True):
        _c_precomputed_scalarmul(t, T.p, _scalar(k))
        _c_add(a, a, t)
    return acc


# --- variable-time multiplications (public scalars only) ------------------------------------

_ZERO = _new(32)


def mul_vartime(k: int, P: Point) -> Point:
    """k P in variable time (``base_double_scalarmul_non_secret`` with 0 B): public k only."""
    out = Point()
    _c_vartime(out.p, _ZERO, P.p, _scalar(k))
    return out


def fold_vartime(scalars: Sequence[int], Ps: Sequence[Point], Qs: Sequence[Point]) -> list[Point]:
    """[P_i + k_i Q_i] in variable time: public k_i only (the prover folding generators by
    its Fiat-Shamir challenges). In C when built, else ``_fold_vartime_py`` (its twin)."""
    if len(scalars) != len(Ps) or len(Ps) != len(Qs):
        raise MalformedInputError("scalars and points differ in length")
    if _native is not None:
        return _native_fold(scalars, Ps, [Q.p for Q in Qs], tabled=False)
    return _fold_vartime_py(scalars, Ps, Qs)


def fold_table(scalars: Sequence[int], Ps: Sequence[Point], Ts: Sequence[Table]) -> list[Point]:
    """[P_i + k_i Q_i] with Q_i given by its table: constant-time ``precomputed_scalarmul``,
    which for fixed generators is faster than the variable-time routine."""
    if len(scalars) != len(Ps) or len(Ps) != len(Ts):
        raise MalformedInputError("scalars and points differ in length")
    if _native is not None:
        return _native_fold(scalars, Ps, [T.p for T in Ts], tabled=True)
    return [add(P, mul_table(k, T)) for k, P, T in zip(scalars, Ps, Ts, strict=True)]


def _native_fold(
    scalars: Sequence[int], Ps: Sequence[Point], Q_addresses: list[int], tabled: bool
) -> list[Point]:
    """``_decafmsm.fold``: [P_i + k_i Q_i], Q_i a point (variable time) or, when ``tabled``,
    a table (constant-time); see ``fold_vartime`` and ``fold_table``."""
    if _native is None:
        raise RuntimeError("the native multi-scalar routines (_decafmsm) are not built")
    outs = [Point() for _ in Ps]
    _native.fold(
        array("Q", [R.p for R in outs]),
        array("Q", [P.p for P in Ps]),
        array("Q", Q_addresses),
        _scalar_bytes(scalars),
        tabled,
    )
    return outs


def _fold_vartime_py(
    scalars: Sequence[int], Ps: Sequence[Point], Qs: Sequence[Point]
) -> list[Point]:
    """``fold_vartime``'s loop through ctypes (the twin of the C loop)."""
    out = []
    for k, P, Q in zip(scalars, Ps, Qs, strict=True):
        R = Point()
        r = R.p
        _c_vartime(r, _ZERO, Q.p, _scalar(k))
        _c_add(r, r, P.p)
        out.append(R)
    return out


def msm_vartime(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """sum_i k_i P_i in variable time: for public scalars only (the verifier's check).

    Pippenger's bucket method with signed radix-2^c digits, whose cost is about
    (256/c)(n + 2^c) additions instead of n multiplications: in C (``_decafmsm``, built at
    install) from ``_NATIVE_MIN`` terms, else in Python (``_pippenger``) from
    ``_PIPPENGER_MIN`` terms. Fewer terms than that: ``msm_ct`` (constant-time, which does
    no harm to public scalars), whose C Straus, or paired multiplications through ctypes,
    are then faster than the Pippenger and than libdecaf's one-point variable-time routine.
    """
    if len(scalars) != len(points):
        raise MalformedInputError("scalars and points differ in length")
    n = len(points)
    if NATIVE_MSM and n >= _NATIVE_MIN:
        return pippenger_native(scalars, points)
    if n < _PIPPENGER_MIN:
        return msm_ct(scalars, points)
    return _pippenger([k % L for k in scalars], points)


#: Below this many terms one multiplication each is faster than Pippenger through ctypes.
_PIPPENGER_MIN = 160
#: Below this many terms ``msm_ct`` (the C Straus) beats the C Pippenger (measured: 64 against
#: 102 us at 3 terms, 333 against 337 at 24, 413 against 388 at 32).
_NATIVE_MIN = 24
#: From this many terms the C Straus beats libdecaf's paired multiplications (measured).
_STRAUS_MIN = 3
#: The Straus digit width (measured: 5 is 1-3% faster than 4 from 3 to 129 terms).
_STRAUS_WINDOW = 5
#: The digit width of the fixed generators' Straus tables (``Table.straus``; measured).
_STRAUS_TABLE_WINDOW = 5
_STRAUS_TABLE_SIZE = (1 << (_STRAUS_TABLE_WINDOW - 1)) * _POINT_SIZE
#: From this many terms the Straus loop over tables beats libdecaf's per-term tables (measured).
_STRAUS_TABLED_MIN = 8


def _load_native() -> Any:
    try:
        from solvency.crypto import _decafmsm  # type: ignore[attr-defined]
    except ImportError:
        return None
    addr = ctypes.cast
    _decafmsm.bind(
        addr(_c_add, _vp).value,
        addr(_c_sub, _vp).value,
        addr(_c_double, _vp).value,
        addr(_c_neg, _vp).value,
        _IDENTITY_ADDR,
    )
    _decafmsm.bind_mul(
        addr(_c_scalar_decode, _vp).value,
        addr(_c_precomputed_scalarmul, _vp).value,
        addr(_c_double_scalarmul, _vp).value,
        addr(_c_scalarmul, _vp).value,
        addr(_c_vartime, _vp).value,
    )
    _decafmsm.bind_decode(addr(_c_decode, _vp).value)
    return _decafmsm


_native = _load_native()
#: True when the C Pippenger (``_decafmsm``) was built and is used.
NATIVE_MSM = _native is not None
if _native is not None:  # the base point's table was made before the extension was bound
    BASE_TABLE._add_straus(base())


def _scalar_bytes(scalars: Sequence[int]) -> bytes:
    return b"".join([(k % L).to_bytes(32, "little") for k in scalars])


def pippenger_native(scalars: Sequence[int], points: Sequence[Point]) -> Point:
    """sum_i k_i P_i by the C Pippenger, variable time: public scalars only.

    Its twins are ``_pippenger`` and ``msm_ct`` (tested equal)."""
    if _native is None:
        raise RuntimeError("the native Pippenger (_decafmsm) is not built")
    if len(scalars) != len(points):
        raise MalformedInputError("scalars and points differ in length")
    out = Point()
    addresses = array("Q", [P.p for P in points])
    _native.pippenger(out.p, addresses, _scalar_bytes(scalars))
    return out


def _window(n: int) -> int:
    """The digit width c minimizing about (256/c)(n + 2^(c-1)) additions."""
    return min(range(2, 13), key=lambda c: (256 // c + 1) * (n + (1 << (c - 1)) + c))


def _signed_digits(k: int, c: int, count: int) -> list[int]:
    """k = sum_j d_j 2^(c j) with d_j in [-2^(c-1), 2^(c-1)); ``count`` digits."""
    radix, half = 1 << c, 1 << (c - 1)
    mask = radix - 1
    digits = [0] * count
    for j in range(count):
        d = k & mask
        k >>= c
        if d >= half:
            d -= radix
            k += 1
        digits[j] = d
    return digits


def _pippenger(scalars: list[int], points: Sequence[Point]) -> Point:
    """Pippenger's bucket method over signed digits, variable time (public scalars).

    For each digit position j (most significant first): acc = 2^c acc, then put P_i into
    bucket |d_ij| (negated when d_ij < 0) and add sum_b b * bucket_b, computed with two
    running sums. The twin is ``msm_ct`` (tested equal).
    """
    n = len(points)
    c = _window(n)
    count = 253 // c + 2  # a signed top digit can carry one position past 253 bits
    digits = [_signed_digits(k, c, count) for k in scalars]
    half = 1 << (c - 1)
    negated = [neg(P) for P in points]  # kept alive: libdecaf reads their addresses
    negs = [P.p for P in negated]
    pos = [P.p for P in points]
    buckets = [Point() for _ in range(half + 1)]
    bucket_p = [B.p for B in buckets]
    used = [False] * (half + 1)
    acc = identity()
    a = acc.p
    running = Point()
    window_sum = Point()
    r, w = running.p, window_sum.p
    for j in range(count - 1, -1, -1):
        for _ in range(c):
            _c_double(a, a)
        for b in range(half + 1):
            used[b] = False
        for i in range(n):
            d = digits[i][j]
            if d == 0:
                continue
            if d > 0:
                b, src = d, pos[i]
            else:
                b, src = -d, negs[i]
            if used[b]:
                _c_add(bucket_p[b], bucket_p[b], src)
            else:
                ctypes.memmove(bucket_p[b], src, _POINT_SIZE)
                used[b] = True
        # sum_b b * bucket_b = sum_{b} (bucket_half + ... + bucket_b), top down
        ctypes.memmove(r, _IDENTITY_ADDR, _POINT_SIZE)
        ctypes.memmove(w, _IDENTITY_ADDR, _POINT_SIZE)
        started = False
        for b in range(half, 0, -1):
            if used[b]:
                _c_add(r, r, bucket_p[b])
                started = True
            if started:
                _c_add(w, w, r)
        if started:
            _c_add(a, a, w)
    return acc
