"""Merlin transcripts (merlin.cool, v1.0): Fiat-Shamir over STROBE-128.

A transcript absorbs labelled messages and squeezes labelled challenges:

    new(label):                 meta-AD("Merlin v1.0") at init; append_message("dom-sep", label)
    append_message(label, m):   meta-AD(label); meta-AD(LE32(|m|), more); AD(m)
    challenge_bytes(label, n):  meta-AD(label); meta-AD(LE32(n), more); PRF(n)

so every challenge binds every earlier message and label. This matches Rust's ``merlin``
crate byte for byte, which dalek's Bulletproofs use; ``challenge_scalar`` is dalek's
``challenge_bytes(label, 64)`` reduced mod l.

``TranscriptGroup`` applies one operation to K distinct transcripts (batch verification
replays K transcripts through the same script). Its result is by definition that of the
sequential loop, e.g. ``[t.challenge_bytes(label, n) for t in transcripts]``; it runs the
K STROBE operations jointly (``strobe.run_jointly``) so their Keccak permutations share one
packed ``keccak_f1600_many`` per step. That is byte-identical whatever the members' states
and message lengths, as each state gets exactly its own bytes and permutations; when a
transcript appears twice, the group runs the sequential loop itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from solvency.crypto import group
from solvency.crypto.strobe import Steps, Strobe128, run, run_jointly
from solvency.errors import InvalidParameterError

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
        _check_message(label, message)
        run(self._append_steps(label, message))

    def append_u64(self, label: bytes, x: int) -> None:
        _check_u64(x)
        self.append_message(label, x.to_bytes(8, "little"))

    def challenge_bytes(self, label: bytes, length: int) -> bytes:
        _check_challenge(label, length)
        return run(self._challenge_steps(label, length))

    def challenge_scalar(self, label: bytes) -> int:
        """A scalar from 64 challenge bytes reduced mod l (``from_bytes_mod_order_wide``)."""
        return int.from_bytes(self.challenge_bytes(label, 64), "little") % group.L

    def _append_steps(self, label: bytes, message: bytes) -> Steps[None]:
        # meta-AD(label) then meta-AD(LE32(len), more) absorb exactly their concatenation.
        header = label + len(message).to_bytes(4, "little")
        yield from self._strobe.meta_ad_steps(header, more=False)
        yield from self._strobe.ad_steps(message, more=False)

    def _challenge_steps(self, label: bytes, length: int) -> Steps[bytes]:
        header = label + length.to_bytes(4, "little")
        yield from self._strobe.meta_ad_steps(header, more=False)
        return (yield from self._strobe.prf_steps(length, more=False))


class TranscriptGroup:
    """K transcripts driven through the same operations; each method equals the loop
    ``[t.method(label, arg_k) for t, arg_k in zip(transcripts, args)]`` and updates the
    member transcripts in place. Arguments are checked before any transcript changes."""

    __slots__ = ("_distinct", "_transcripts")

    def __init__(self, transcripts: Sequence[Transcript]) -> None:
        for k, t in enumerate(transcripts):
            if not isinstance(t, Transcript):
                raise InvalidParameterError(f"group member {k} is not a Transcript")
        self._transcripts = tuple(transcripts)
        self._distinct = len({id(t) for t in self._transcripts}) == len(self._transcripts)

    def __len__(self) -> int:
        return len(self._transcripts)

    def append_message(self, label: bytes, messages: Sequence[bytes]) -> None:
        self._check_count(messages)
        for message in messages:
            _check_message(label, message)
        if not self._distinct:
            for t, message in zip(self._transcripts, messages, strict=True):
                t.append_message(label, message)
            return
        run_jointly(
            [
                (t._strobe, t._append_steps(label, message))
                for t, message in zip(self._transcripts, messages, strict=True)
            ]
        )

    def append_u64(self, label: bytes, xs: Sequence[int]) -> None:
        self._check_count(xs)
        for x in xs:
            _check_u64(x)
        self.append_message(label, [x.to_bytes(8, "little") for x in xs])

    def challenge_bytes(self, label: bytes, length: int) -> list[bytes]:
        _check_challenge(label, length)
        if not self._distinct:
            return [t.challenge_bytes(label, length) for t in self._transcripts]
        return run_jointly(
            [(t._strobe, t._challenge_steps(label, length)) for t in self._transcripts]
        )

    def challenge_scalar(self, label: bytes) -> list[int]:
        """Each member's ``challenge_scalar(label)``."""
        return [int.from_bytes(c, "little") % group.L for c in self.challenge_bytes(label, 64)]

    def _check_count(self, args: Sequence[object]) -> None:
        if len(args) != len(self._transcripts):
            raise InvalidParameterError(
                f"expected {len(self._transcripts)} arguments, one per transcript, got {len(args)}"
            )


#: The state after STROBE's initialisation with Merlin's protocol label, the same for every
#: transcript: copying it saves one permutation per transcript.
_MERLIN_INIT = Strobe128(b"Merlin v1.0")


def _check_bytes(data: bytes, what: str) -> None:
    if not isinstance(data, bytes | bytearray):
        raise InvalidParameterError(f"transcript {what} must be bytes")


def _check_message(label: bytes, message: bytes) -> None:
    _check_bytes(label, "label")
    _check_bytes(message, "message")
    if len(message) > _MAX_U32:
        raise InvalidParameterError("message longer than 2^32 - 1 bytes")


def _check_u64(x: int) -> None:
    if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < 1 << 64:
        raise InvalidParameterError("append_u64 takes an int in [0, 2^64)")


def _check_challenge(label: bytes, length: int) -> None:
    _check_bytes(label, "label")
    if not isinstance(length, int) or not 0 <= length <= _MAX_U32:
        raise InvalidParameterError("challenge length must be in [0, 2^32)")
