"""The Keccak-f[1600] permutation (FIPS 202, section 3), the core of STROBE and so of Merlin.

The state is 25 lanes of 64 bits, lane (x, y) at index x + 5y, loaded little-endian from
200 bytes. One round is R = iota . chi . pi . rho . theta:

    theta: C[x] = XOR_y A[x, y];  D[x] = C[x-1] ^ rot(C[x+1], 1);  A[x, y] ^= D[x]
    rho, pi: B[y, 2x + 3y] = rot(A[x, y], r[x, y])
    chi:   A[x, y] = B[x, y] ^ (~B[x+1, y] & B[x+2, y])
    iota:  A[0, 0] ^= RC[i]

``keccak_f1600`` is the round body unrolled over local variables (written out by a small
generator, then pasted here): about 3x faster than ``keccak_f1600_naive``, its readable twin,
which the tests check it equals. Measured here about 170 us per permutation; no package on
PyPI exposes the raw permutation from C, and Merlin needs the raw permutation.

``keccak_f1600_many`` runs K permutations together, for K Merlin transcripts replayed in
step (batch verification): lane i of all K states is packed into one int, state k in bits
64k..64k+63. XOR, AND and NOT (XOR with all ones) act slot by slot on such ints, and a
rotation by r becomes ``((v << r) & H_r) | ((v >> (64 - r)) & L_r)`` with masks H_r, L_r
that keep bits r..63, resp. 0..r-1, of every slot. One packed permutation of 32 states
costs about 2x one single permutation; the tests check it equals ``keccak_f1600`` per state.

``permute`` permutes a 200-byte bytearray in place, with our C extension
``solvency.crypto._keccakf`` (about 1 us) when it was built at install, else with
``keccak_f1600``; ``SOLVENCY_KECCAK=python`` forces the pure-Python code (tests run both).
``IMPLEMENTATION`` names the one in use. No package on PyPI exposes the raw permutation
(hashlib has only the sponges), which is why the extension is ours; it is kept to the
permutation.
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Callable, Sequence

from solvency.errors import InvalidParameterError

_M = (1 << 64) - 1

#: Round constants RC[0..23] (FIPS 202, section 3.2.5).
ROUND_CONSTANTS: tuple[int, ...] = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip

#: Rotation offsets r[x][y] (FIPS 202, section 3.2.2).
ROTATIONS: tuple[tuple[int, ...], ...] = (
    (0, 36, 3, 41, 18),
    (1, 44, 10, 45, 2),
    (62, 6, 43, 15, 61),
    (28, 55, 25, 21, 56),
    (27, 20, 39, 8, 14),
)

_LANES = struct.Struct("<25Q")


def keccak_f1600_naive(state: bytes) -> bytes:
    """Readable Keccak-f[1600] on a 200-byte state, straight from FIPS 202."""
    A = [list(_LANES.unpack(state)[x::5]) for x in range(5)]  # A[x][y]
    for rc in ROUND_CONSTANTS:
        # theta
        C = [A[x][0] ^ A[x][1] ^ A[x][2] ^ A[x][3] ^ A[x][4] for x in range(5)]
        D = [C[(x - 1) % 5] ^ _rot(C[(x + 1) % 5], 1) for x in range(5)]
        A = [[A[x][y] ^ D[x] for y in range(5)] for x in range(5)]
        # rho and pi
        B = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                B[y][(2 * x + 3 * y) % 5] = _rot(A[x][y], ROTATIONS[x][y])
        # chi
        A = [
            [B[x][y] ^ ((B[(x + 1) % 5][y] ^ _M) & B[(x + 2) % 5][y]) for y in range(5)]
            for x in range(5)
        ]
        # iota
        A[0][0] ^= rc
    return _LANES.pack(*(A[x][y] for y in range(5) for x in range(5)))


def _rot(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _M if n else v


def keccak_f1600(state: bytes) -> bytes:
    """Keccak-f[1600] on a 200-byte state; the unrolled twin of ``keccak_f1600_naive``."""
    return _LANES.pack(*keccak_f1600_lanes(_LANES.unpack(state)))


def keccak_f1600_lanes(lanes: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """Keccak-f[1600] on 25 64-bit lanes (index x + 5y)."""
    M = _M
    (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12,
     a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24) = lanes  # fmt: skip
    for rc in ROUND_CONSTANTS:
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
        d0 = c4 ^ (((c1 << 1) | (c1 >> 63)) & M)
        d1 = c0 ^ (((c2 << 1) | (c2 >> 63)) & M)
        d2 = c1 ^ (((c3 << 1) | (c3 >> 63)) & M)
        d3 = c2 ^ (((c4 << 1) | (c4 >> 63)) & M)
        d4 = c3 ^ (((c0 << 1) | (c0 >> 63)) & M)
        b0 = a0 ^ d0
        t = a5 ^ d0
        b16 = ((t << 36) | (t >> 28)) & M
        t = a10 ^ d0
        b7 = ((t << 3) | (t >> 61)) & M
        t = a15 ^ d0
        b23 = ((t << 41) | (t >> 23)) & M
        t = a20 ^ d0
        b14 = ((t << 18) | (t >> 46)) & M
        t = a1 ^ d1
        b10 = ((t << 1) | (t >> 63)) & M
        t = a6 ^ d1
        b1 = ((t << 44) | (t >> 20)) & M
        t = a11 ^ d1
        b17 = ((t << 10) | (t >> 54)) & M
        t = a16 ^ d1
        b8 = ((t << 45) | (t >> 19)) & M
        t = a21 ^ d1
        b24 = ((t << 2) | (t >> 62)) & M
        t = a2 ^ d2
        b20 = ((t << 62) | (t >> 2)) & M
        t = a7 ^ d2
        b11 = ((t << 6) | (t >> 58)) & M
        t = a12 ^ d2
        b2 = ((t << 43) | (t >> 21)) & M
        t = a17 ^ d2
        b18 = ((t << 15) | (t >> 49)) & M
        t = a22 ^ d2
        b9 = ((t << 61) | (t >> 3)) & M
        t = a3 ^ d3
        b5 = ((t << 28) | (t >> 36)) & M
        t = a8 ^ d3
        b21 = ((t << 55) | (t >> 9)) & M
        t = a13 ^ d3
        b12 = ((t << 25) | (t >> 39)) & M
        t = a18 ^ d3
        b3 = ((t << 21) | (t >> 43)) & M
        t = a23 ^ d3
        b19 = ((t << 56) | (t >> 8)) & M
        t = a4 ^ d4
        b15 = ((t << 27) | (t >> 37)) & M
        t = a9 ^ d4
        b6 = ((t << 20) | (t >> 44)) & M
        t = a14 ^ d4
        b22 = ((t << 39) | (t >> 25)) & M
        t = a19 ^ d4
        b13 = ((t << 8) | (t >> 56)) & M
        t = a24 ^ d4
        b4 = ((t << 14) | (t >> 50)) & M
        a0 = b0 ^ ((b1 ^ M) & b2)
        a1 = b1 ^ ((b2 ^ M) & b3)
        a2 = b2 ^ ((b3 ^ M) & b4)
        a3 = b3 ^ ((b4 ^ M) & b0)
        a4 = b4 ^ ((b0 ^ M) & b1)
        a5 = b5 ^ ((b6 ^ M) & b7)
        a6 = b6 ^ ((b7 ^ M) & b8)
        a7 = b7 ^ ((b8 ^ M) & b9)
        a8 = b8 ^ ((b9 ^ M) & b5)
        a9 = b9 ^ ((b5 ^ M) & b6)
        a10 = b10 ^ ((b11 ^ M) & b12)
        a11 = b11 ^ ((b12 ^ M) & b13)
        a12 = b12 ^ ((b13 ^ M) & b14)
        a13 = b13 ^ ((b14 ^ M) & b10)
        a14 = b14 ^ ((b10 ^ M) & b11)
        a15 = b15 ^ ((b16 ^ M) & b17)
        a16 = b16 ^ ((b17 ^ M) & b18)
        a17 = b17 ^ ((b18 ^ M) & b19)
        a18 = b18 ^ ((b19 ^ M) & b15)
        a19 = b19 ^ ((b15 ^ M) & b16)
        a20 = b20 ^ ((b21 ^ M) & b22)
        a21 = b21 ^ ((b22 ^ M) & b23)
        a22 = b22 ^ ((b23 ^ M) & b24)
        a23 = b23 ^ ((b24 ^ M) & b20)
        a24 = b24 ^ ((b20 ^ M) & b21)
        a0 ^= rc

    return (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12,
            a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24)  # fmt: skip


# --- K permutations at once ---------------------------------------------------------------

#: The nonzero rotation amounts of rho (theta's rotation by 1 is among them), in the order
#: ``_packed_constants`` lists their masks and ``keccak_f1600_packed`` unpacks them.
_PACKED_ROTATIONS = (1, 2, 3, 6, 8, 10, 14, 15, 18, 20, 21, 25, 27, 28, 36, 39, 41, 43, 44, 45,
                     55, 56, 61, 62)  # fmt: skip


@functools.lru_cache(maxsize=32)
def _packed_constants(K: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Masks and round constants for K lanes packed 64 bits apart (slot k = bits 64k..64k+63).

    For each r of ``_PACKED_ROTATIONS``: H_r keeps bits r..63 of every slot and L_r bits
    0..r-1, so ``((v << r) & H_r) | ((v >> (64 - r)) & L_r)`` rotates every slot by r with
    no bit crossing into a neighbouring slot. The last mask is all ones (NOT is XOR with it).
    Round constants are repeated into every slot.
    """
    ones = int.from_bytes((b"\x01" + bytes(7)) * K, "little")  # 1 in every slot
    masks: list[int] = []
    for r in _PACKED_ROTATIONS:
        low = (1 << r) - 1
        masks += [(_M ^ low) * ones, low * ones]
    masks.append(_M * ones)
    return tuple(masks), tuple(rc * ones for rc in ROUND_CONSTANTS)


def keccak_f1600_many(states: Sequence[bytes | bytearray]) -> list[bytes]:
    """Keccak-f[1600] on each 200-byte state: ``[keccak_f1600(s) for s in states]``, its twin.

    The K permutations run together: lane i of every state is packed into one int (state k
    in bits 64k..64k+63) and ``keccak_f1600_packed`` works on those 25 ints, so Python's
    per-operation overhead is paid once for all K states instead of K times.
    """
    K = len(states)
    if K == 0:
        return []
    for k, state in enumerate(states):
        if len(state) != 200:
            raise InvalidParameterError(f"Keccak state {k} is not 200 bytes")
    masks, rcs = _packed_constants(K)
    # Transpose K x 25 words into 25 x K. Moving 8-byte items ("Q") copies their bytes
    # without interpreting them, so the host's byte order does not matter.
    words = memoryview(b"".join(states)).cast("Q")
    lanes = [int.from_bytes(words[i::25].tobytes(), "little") for i in range(25)]
    out = bytearray(200 * K)
    out_words = memoryview(out).cast("Q")
    width = 8 * K
    for i, lane in enumerate(keccak_f1600_packed(lanes, masks, rcs)):
        out_words[i::25] = memoryview(lane.to_bytes(width, "little")).cast("Q")
    return [bytes(out[200 * k : 200 * k + 200]) for k in range(K)]


def keccak_f1600_packed(
    lanes: Sequence[int], masks: Sequence[int], rcs: Sequence[int]
) -> tuple[int, ...]:
    """Keccak-f[1600] on 25 packed lanes (index x + 5y), each holding K 64-bit slots.

    The round body of ``keccak_f1600_lanes`` with every rotation made slot-wise by masks and
    NOT made XOR with the all-ones mask; ``masks, rcs = _packed_constants(K)``.
    """
    (H1, L1, H2, L2, H3, L3, H6, L6, H8, L8, H10, L10, H14, L14, H15, L15, H18, L18, H20, L20,
     H21, L21, H25, L25, H27, L27, H28, L28, H36, L36, H39, L39, H41, L41, H43, L43, H44, L44,
     H45, L45, H55, L55, H56, L56, H61, L61, H62, L62, M) = masks  # fmt: skip
    (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12,
     a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24) = lanes  # fmt: skip
    for rc in rcs:
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
        d0 = c4 ^ (((c1 << 1) & H1) | ((c1 >> 63) & L1))
        d1 = c0 ^ (((c2 << 1) & H1) | ((c2 >> 63) & L1))
        d2 = c1 ^ (((c3 << 1) & H1) | ((c3 >> 63) & L1))
        d3 = c2 ^ (((c4 << 1) & H1) | ((c4 >> 63) & L1))
        d4 = c3 ^ (((c0 << 1) & H1) | ((c0 >> 63) & L1))
        b0 = a0 ^ d0
        t = a5 ^ d0
        b16 = ((t << 36) & H36) | ((t >> 28) & L36)
        t = a10 ^ d0
        b7 = ((t << 3) & H3) | ((t >> 61) & L3)
        t = a15 ^ d0
        b23 = ((t << 41) & H41) | ((t >> 23) & L41)
        t = a20 ^ d0
        b14 = ((t << 18) & H18) | ((t >> 46) & L18)
        t = a1 ^ d1
        b10 = ((t << 1) & H1) | ((t >> 63) & L1)
        t = a6 ^ d1
        b1 = ((t << 44) & H44) | ((t >> 20) & L44)
        t = a11 ^ d1
        b17 = ((t << 10) & H10) | ((t >> 54) & L10)
        t = a16 ^ d1
        b8 = ((t << 45) & H45) | ((t >> 19) & L45)
        t = a21 ^ d1
        b24 = ((t << 2) & H2) | ((t >> 62) & L2)
        t = a2 ^ d2
        b20 = ((t << 62) & H62) | ((t >> 2) & L62)
        t = a7 ^ d2
        b11 = ((t << 6) & H6) | ((t >> 58) & L6)
        t = a12 ^ d2
        b2 = ((t << 43) & H43) | ((t >> 21) & L43)
        t = a17 ^ d2
        b18 = ((t << 15) & H15) | ((t >> 49) & L15)
        t = a22 ^ d2
        b9 = ((t << 61) & H61) | ((t >> 3) & L61)
        t = a3 ^ d3
        b5 = ((t << 28) & H28) | ((t >> 36) & L28)
        t = a8 ^ d3
        b21 = ((t << 55) & H55) | ((t >> 9) & L55)
        t = a13 ^ d3
        b12 = ((t << 25) & H25) | ((t >> 39) & L25)
        t = a18 ^ d3
        b3 = ((t << 21) & H21) | ((t >> 43) & L21)
        t = a23 ^ d3
        b19 = ((t << 56) & H56) | ((t >> 8) & L56)
        t = a4 ^ d4
        b15 = ((t << 27) & H27) | ((t >> 37) & L27)
        t = a9 ^ d4
        b6 = ((t << 20) & H20) | ((t >> 44) & L20)
        t = a14 ^ d4
        b22 = ((t << 39) & H39) | ((t >> 25) & L39)
        t = a19 ^ d4
        b13 = ((t << 8) & H8) | ((t >> 56) & L8)
        t = a24 ^ d4
        b4 = ((t << 14) & H14) | ((t >> 50) & L14)
        a0 = b0 ^ ((b1 ^ M) & b2)
        a1 = b1 ^ ((b2 ^ M) & b3)
        a2 = b2 ^ ((b3 ^ M) & b4)
        a3 = b3 ^ ((b4 ^ M) & b0)
        a4 = b4 ^ ((b0 ^ M) & b1)
        a5 = b5 ^ ((b6 ^ M) & b7)
        a6 = b6 ^ ((b7 ^ M) & b8)
        a7 = b7 ^ ((b8 ^ M) & b9)
        a8 = b8 ^ ((b9 ^ M) & b5)
        a9 = b9 ^ ((b5 ^ M) & b6)
        a10 = b10 ^ ((b11 ^ M) & b12)
        a11 = b11 ^ ((b12 ^ M) & b13)
        a12 = b12 ^ ((b13 ^ M) & b14)
        a13 = b13 ^ ((b14 ^ M) & b10)
        a14 = b14 ^ ((b10 ^ M) & b11)
        a15 = b15 ^ ((b16 ^ M) & b17)
        a16 = b16 ^ ((b17 ^ M) & b18)
        a17 = b17 ^ ((b18 ^ M) & b19)
        a18 = b18 ^ ((b19 ^ M) & b15)
        a19 = b19 ^ ((b15 ^ M) & b16)
        a20 = b20 ^ ((b21 ^ M) & b22)
        a21 = b21 ^ ((b22 ^ M) & b23)
        a22 = b22 ^ ((b23 ^ M) & b24)
        a23 = b23 ^ ((b24 ^ M) & b20)
        a24 = b24 ^ ((b20 ^ M) & b21)
        a0 ^= rc

    return (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12,
            a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24)  # fmt: skip


# --- the permutation used by STROBE ---------------------------------------------------------


def _permute_python(state: bytearray) -> None:
    """Keccak-f[1600] on a 200-byte bytearray, in place, in pure Python."""
    state[:] = keccak_f1600(bytes(state))


def _select() -> tuple[Callable[[bytearray], None], str]:
    choice = os.environ.get("SOLVENCY_KECCAK", "")
    if choice not in ("", "native", "python"):
        raise InvalidParameterError("SOLVENCY_KECCAK must be 'native' or 'python'")
    if choice == "python":
        return _permute_python, "python"
    try:
        from solvency.crypto import _keccakf  # type: ignore[attr-defined]
    except ImportError as exc:
        if choice == "native":
            raise InvalidParameterError(
                "SOLVENCY_KECCAK=native but the C extension was not built"
            ) from exc
        return _permute_python, "python"
    native: Callable[[bytearray], None] = _keccakf.permute
    return native, "native"


#: ``permute(state)``: Keccak-f[1600] on a 200-byte bytearray, in place.
permute, IMPLEMENTATION = _select()
