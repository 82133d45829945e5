"""Merlin transcripts (merlin.cool, v1.0): Fiat-Shamir over STROBE-128.

A transcript absorbs labelled messages and squeezes labelled challenges:

    new(label):                 meta-AD("Merlin v1.0") at init; append_message("dom-sep", label)
    append_message(label, m):   meta-AD(label); meta-AD(LE32(|m|), more); AD(m)
    challenge_bytes(label, n):  meta-AD(label); meta-AD(LE32(n), more); PRF(n)

so every challenge binds every earlier message and label. This matches Rust's ``merlin``
crate byte for byte, which dalek's Bulletproofs use; ``challenge_scalar`` is dalek's
``challenge_bytes(label, 64)`` reduced mod l.
"""

from __future__ import annotations

from . import group
from .errors import InvalidParameterError
from .strobe import Strobe128

_MAX_U32 = (1 << 32) - 1


class Transcript:
    """A Merlin transcript. Each proof and each verification consumes its own transcript."""

    __slots__ = ("_strobe",)

    def __init__(self, label: bytes) -> None:
        _check_bytes(label, "label")
        self._strobe = _MERLIN_INIT.copy()
        self.append_message(b"dom-sep", label)

    def copy(self) -> Transcript:
        """An independent copy of the current state (to fork a transcript)."""
        other = Transcript.__new__(Transcript)
        other._strobe = self._strobe.copy()
        return other

    def append_message(self, label: bytes, message: bytes) -> None:
        _check_bytes(label, "label")
        _check_bytes(message, "message")
        if len(message) > _MAX_U32:
            raise InvalidParameterError("message longer than 2^32 - 1 bytes")
        # meta-AD(label) then meta-AD(LE32(len), more) absorb exactly their concatenation.
        self._strobe.meta_ad(label + len(message).to_bytes(4, "little"), more=False)
        self._strobe.ad(message, more=False)

    def append_u64(self, label: bytes, x: int) -> None:
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < 1 << 64:
            raise InvalidParameterError("append_u64 takes an int in [0, 2^64)")
        self.append_message(label, x.to_bytes(8, "little"))

    def challenge_bytes(self, label: bytes, length: int) -> bytes:
        _check_bytes(label, "label")
        if not isinstance(length, int) or not 0 <= length <= _MAX_U32:
            raise InvalidParameterError("challenge length must be in [0, 2^32)")
        self._strobe.meta_ad(label + length.to_bytes(4, "little"), more=False)
        return self._strobe.prf(length, more=False)

    def challenge_scalar(self, label: bytes) -> int:
        """A scalar from 64 challenge bytes reduced mod l (``from_bytes_mod_order_wide``)."""
        return int.from_bytes(self.challenge_bytes(label, 64), "little") % group.L


#: The state after STROBE's initialisation with Merlin's protocol label, the same for every
#: transcript: copying it saves one permutation per transcript.
_MERLIN_INIT = Strobe128(b"Merlin v1.0")


def _check_bytes(data: bytes, what: str) -> None:
    if not isinstance(data, bytes | bytearray):
        raise InvalidParameterError(f"transcript {what} must be bytes")
