"""STROBE-128 (Hamburg, "The STROBE protocol framework", v1.0.2), reduced to the
operations Merlin uses: meta-AD, AD and PRF.

The duplex runs over Keccak-f[1600] with rate R = 200 - 2*(128/8) - 2 = 166 bytes.
An operation with flags F starts by absorbing (pos_begin, F); operations with the C
(cipher) flag first permute when the current block is not empty, so every PRF output
depends on the whole transcript so far. When a block is full, or before a forced permute,

    st[pos] ^= pos_begin;  st[pos + 1] ^= 0x04;  st[R + 1] ^= 0x80;  st = F(st)

Each operation is written once, as a generator of *steps*: it pads the block, yields the
state whose permutation F is due, and goes on once the caller has permuted it. ``run``
drives one operation by calling ``keccak.permute`` at each step (the sequential path, and
the readable twin). ``run_jointly`` drives operations on many distinct states and, with the
pure-Python permutation, permutes all states due at a step with one ``keccak_f1600_many``
(with the native one, each state on its own: packing would cost more than it saves): each
state sees exactly the bytes and permutations it would see alone, so the outputs are
byte-identical to ``run``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TypeVar

from solvency.crypto.keccak import IMPLEMENTATION, keccak_f1600_many, permute
from solvency.errors import InvalidParameterError

_T = TypeVar("_T")

#: An operation as steps: yields its state each time F is due, returns the operation's result.
Steps = Generator["Strobe128", None, _T]

R = 166
_NATIVE = IMPLEMENTATION == "native"
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
        permute(st)
        self._st = st
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
        run(self.meta_ad_steps(data, more))

    def ad(self, data: bytes, more: bool) -> None:
        run(self.ad_steps(data, more))

    def prf(self, length: int, more: bool) -> bytes:
        return run(self.prf_steps(length, more))

    def meta_ad_steps(self, data: bytes, more: bool) -> Steps[None]:
        """meta-AD(data) as steps: yields this state each time F is due."""
        yield from self._absorb_steps(self._begin_op(FLAG_M | FLAG_A, more) + data)

    def ad_steps(self, data: bytes, more: bool) -> Steps[None]:
        """AD(data) as steps: yields this state each time F is due."""
        yield from self._absorb_steps(self._begin_op(FLAG_A, more) + data)

    def prf_steps(self, length: int, more: bool) -> Steps[bytes]:
        """PRF(length) as steps; returns the output."""
        yield from self._absorb_steps(self._begin_op(FLAG_I | FLAG_A | FLAG_C, more))
        # Cipher operations start on a fresh block.
        if not more and self._pos != 0:
            self._pad()
            yield self
        return (yield from self._squeeze_steps(length))

    def _pad(self) -> None:
        """Close the block before F: the caller permutes ``_st`` next."""
        st = self._st
        st[self._pos] ^= self._pos_begin
        st[self._pos + 1] ^= 0x04
        st[R + 1] ^= 0x80
        self._pos = 0
        self._pos_begin = 0

    def _absorb_steps(self, data: bytes) -> Steps[None]:
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
                self._pad()
                yield self

    def _squeeze_steps(self, length: int) -> Steps[bytes]:
        out = bytearray()
        while len(out) < length:
            pos = self._pos
            k = min(R - pos, length - len(out))
            out += self._st[pos : pos + k]
            self._st[pos : pos + k] = bytes(k)
            self._pos = pos + k
            if self._pos == R:
                self._pad()
                yield self
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


def run(steps: Steps[_T]) -> _T:
    """Drive one operation, permuting its state with ``keccak.permute`` at each step."""
    while True:
        try:
            strobe = next(steps)
        except StopIteration as done:
            result: _T = done.value
            return result
        permute(strobe._st)


def run_jointly(operations: Sequence[tuple[Strobe128, Steps[_T]]]) -> list[_T]:
    """Drive (state, operation on that state) pairs together; return the results in order.

    At each step every unfinished operation advances to its next permutation point, and all
    states due are permuted by one ``keccak_f1600_many``. Operations may differ in position
    and length: those that finish drop out. The states must be distinct objects, since two
    operations on one state would interleave instead of running one after the other.
    """
    if len({id(strobe) for strobe, _ in operations}) != len(operations):
        raise InvalidParameterError("STROBE: joint operations must act on distinct states")
    results: dict[int, _T] = {}
    active = [(index, strobe, steps) for index, (strobe, steps) in enumerate(operations)]
    while active:
        due: list[tuple[int, Strobe128, Steps[_T]]] = []
        for index, strobe, steps in active:
            try:
                yielded = next(steps)
            except StopIteration as done:
                results[index] = done.value
                continue
            if yielded is not strobe:
                raise InvalidParameterError("STROBE: an operation stepped a state not its own")
            due.append((index, strobe, steps))
        if len(due) == 1 or (due and _NATIVE):
            # The native permutation costs about 1 us: packing would only add work.
            for _, strobe, _ in due:
                permute(strobe._st)
        elif due:
            permuted = keccak_f1600_many([strobe._st for _, strobe, _ in due])
            for (_, strobe, _), state in zip(due, permuted, strict=True):
                strobe._st = bytearray(state)
        active = due
    return [results[index] for index in range(len(operations))]
