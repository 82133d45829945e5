"""STROBE-128 (Hamburg, "The STROBE protocol framework", v1.0.2), reduced to the
operations Merlin uses: meta-AD, AD and PRF.

The duplex runs over Keccak-f[1600] with rate R = 200 - 2*(128/8) - 2 = 166 bytes.
An operation with flags F starts by absorbing (pos_begin, F); operations with the C
(cipher) flag first permute when the current block is not empty, so every PRF output
depends on the whole transcript so far. When a block is full, or before a forced permute,

    st[pos] ^= pos_begin;  st[pos + 1] ^= 0x04;  st[R + 1] ^= 0x80;  st = F(st)
"""

from __future__ import annotations

from .errors import InvalidParameterError
from .keccak import keccak_f1600

R = 166
FLAG_I = 1
FLAG_A = 1 << 1
FLAG_C = 1 << 2
FLAG_T = 1 << 3
FLAG_M = 1 << 4
FLAG_K = 1 << 5


class Strobe128:
    """A STROBE-128 duplex state (meta-AD, AD and PRF only)."""

    __slots__ = ("_cur_flags", "_pos", "_pos_begin", "_st")

    def __init__(self, protocol_label: bytes) -> None:
        st = bytearray(200)
        st[0:6] = bytes((1, R + 2, 1, 0, 1, 96))
        st[6:18] = b"STROBEv1.0.2"
        self._st = bytearray(keccak_f1600(bytes(st)))
        self._pos = 0
        self._pos_begin = 0
        self._cur_flags = 0
        self.meta_ad(protocol_label, more=False)

    def copy(self) -> Strobe128:
        other = Strobe128.__new__(Strobe128)
        other._st = bytearray(self._st)
        other._pos = self._pos
        other._pos_begin = self._pos_begin
        other._cur_flags = self._cur_flags
        return other

    def meta_ad(self, data: bytes, more: bool) -> None:
        self._absorb(self._begin_op(FLAG_M | FLAG_A, more) + data)

    def ad(self, data: bytes, more: bool) -> None:
        self._absorb(self._begin_op(FLAG_A, more) + data)

    def prf(self, length: int, more: bool) -> bytes:
        self._absorb(self._begin_op(FLAG_I | FLAG_A | FLAG_C, more))
        # Cipher operations start on a fresh block.
        if not more and self._pos != 0:
            self._run_f()
        return self._squeeze(length)

    def _run_f(self) -> None:
        st = self._st
        st[self._pos] ^= self._pos_begin
        st[self._pos + 1] ^= 0x04
        st[R + 1] ^= 0x80
        self._st = bytearray(keccak_f1600(bytes(st)))
        self._pos = 0
        self._pos_begin = 0

    def _absorb(self, data: bytes) -> None:
        # XOR whole runs at once: one int XOR per run instead of one per byte.
        i, n = 0, len(data)
        while i < n:
            pos = self._pos
            k = min(R - pos, n - i)
            st = self._st
            st[pos : pos + k] = (
                int.from_bytes(st[pos : pos + k], "little")
                ^ int.from_bytes(data[i : i + k], "little")
            ).to_bytes(k, "little")
            self._pos = pos + k
            i += k
            if self._pos == R:
                self._run_f()

    def _squeeze(self, length: int) -> bytes:
        out = bytearray()
        while len(out) < length:
            pos = self._pos
            k = min(R - pos, length - len(out))
            out += self._st[pos : pos + k]
            self._st[pos : pos + k] = bytes(k)
            self._pos = pos + k
            if self._pos == R:
                self._run_f()
        return bytes(out)

    def _begin_op(self, flags: int, more: bool) -> bytes:
        """Start an operation; return the bytes it absorbs first, (pos_begin, flags).

        The caller absorbs them together with its data in one call, which gives the same
        state as absorbing them apart (absorbing is byte by byte) with fewer calls.
        """
        if more:
            # Continuing an operation: it must be the same kind of operation.
            if flags != self._cur_flags:
                raise InvalidParameterError("STROBE: continued operation changes flags")
            return b""
        if flags & (FLAG_T | FLAG_K):
            raise InvalidParameterError("STROBE: transport and key operations are not supported")
        old_begin = self._pos_begin
        self._pos_begin = self._pos + 1
        self._cur_flags = flags
        return bytes((old_begin, flags))
