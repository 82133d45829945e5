"""Merlin transcripts over STROBE-128.

Rust merlin publishes one expected value (the "simple" test vector). Its "complex" test has
no published output: merlin checks it against the strobe-rs crate. We do the same against
``_NaiveStrobe`` below, a byte-at-a-time STROBE-128 written from the STROBE v1.0.2 spec
(``operate``/``_duplex``/``_runF`` of section 6 of the paper and its reference code
structure), so the optimized run-at-a-time absorb in ``solvency.crypto.strobe`` is checked across
the 166-byte rate boundary.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.crypto.group import L
from solvency.crypto.keccak import keccak_f1600
from solvency.crypto.strobe import Strobe128
from solvency.crypto.transcript import Transcript
from solvency.errors import InvalidParameterError

# --- a naive STROBE-128 and Merlin, straight from the specs ------------------------------

_I, _A, _C, _T, _M, _K = 1, 2, 4, 8, 16, 32


class _NaiveStrobe:
    """STROBE-128 with sec = 128: rate R = 200 - 128/4 - 2 = 166; one byte per duplex step."""

    R = 166

    def __init__(self, proto: bytes) -> None:
        init = bytes([1, self.R + 2, 1, 0, 1, 12 * 8]) + b"STROBEv1.0.2"
        self.st = bytearray(keccak_f1600(init + bytes(200 - len(init))))
        self.pos = 0
        self.posbegin = 0
        self.curflags = 0
        self.operate(_A | _M, proto, more=False)

    def _run_f(self) -> None:
        self.st[self.pos] ^= self.posbegin
        self.st[self.pos + 1] ^= 0x04
        self.st[self.R + 1] ^= 0x80
        self.st = bytearray(keccak_f1600(bytes(self.st)))
        self.pos = 0
        self.posbegin = 0

    def _duplex(self, data: bytearray, cbefore: bool, force_f: bool) -> bytearray:
        for i in range(len(data)):
            if cbefore:
                data[i] ^= self.st[self.pos]
            self.st[self.pos] ^= data[i]
            self.pos += 1
            if self.pos == self.R:
                self._run_f()
        if force_f and self.pos != 0:
            self._run_f()
        return data

    def operate(self, flags: int, data: bytes, more: bool) -> bytes:
        if more:
            assert flags == self.curflags
        else:
            oldbegin = self.posbegin
            self.posbegin = self.pos + 1
            self.curflags = flags
            self._duplex(bytearray([oldbegin, flags]), False, bool(flags & (_C | _K)))
        # PRF (I|A|C): cafter needs T, so cbefore holds: output = state, state zeroed.
        return bytes(self._duplex(bytearray(data), bool(flags & _C), False))


class _NaiveMerlin:
    def __init__(self, label: bytes) -> None:
        self.s = _NaiveStrobe(b"Merlin v1.0")
        self.append_message(b"dom-sep", label)

    def append_message(self, label: bytes, message: bytes) -> None:
        self.s.operate(_M | _A, label, more=False)
        self.s.operate(_M | _A, len(message).to_bytes(4, "little"), more=True)
        self.s.operate(_A, message, more=False)

    def challenge_bytes(self, label: bytes, n: int) -> bytes:
        self.s.operate(_M | _A, label, more=False)
        self.s.operate(_M | _A, n.to_bytes(4, "little"), more=True)
        return self.s.operate(_I | _A | _C, bytes(n), more=False)


# --- published vector -----------------------------------------------------------------


def test_merlin_published_simple_vector() -> None:
    t = Transcript(b"test protocol")
    t.append_message(b"some label", b"some data")
    assert t.challenge_bytes(b"challenge", 32) == bytes.fromhex(
        "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615"
    )


def test_naive_strobe_reproduces_the_published_vector() -> None:
    # Validates the twin itself before it is trusted for the tests below.
    t = _NaiveMerlin(b"test protocol")
    t.append_message(b"some label", b"some data")
    assert t.challenge_bytes(b"challenge", 32) == bytes.fromhex(
        "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615"
    )


# --- merlin's "complex" test, against the naive twin ------------------------------------


def test_complex_transcript_matches_naive_strobe() -> None:
    real, naive = Transcript(b"test protocol"), _NaiveMerlin(b"test protocol")
    data = bytes([99]) * 1024
    real.append_message(b"step1", b"some data")
    naive.append_message(b"step1", b"some data")
    for _ in range(32):
        c_real = real.challenge_bytes(b"challenge", 32)
        c_naive = naive.challenge_bytes(b"challenge", 32)
        assert c_real == c_naive
        real.append_message(b"bigdata", data)
        naive.append_message(b"bigdata", data)
        real.append_message(b"challengedata", c_real)
        naive.append_message(b"challengedata", c_naive)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("msg"), st.binary(max_size=20), st.binary(max_size=400)),
        st.tuples(st.just("chal"), st.binary(max_size=20), st.integers(0, 400)),
        st.tuples(st.just("u64"), st.binary(max_size=20), st.integers(0, 2**64 - 1)),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(label=st.binary(max_size=200), script=ops)
def test_random_scripts_match_naive_strobe(
    label: bytes, script: list[tuple[str, bytes, object]]
) -> None:
    # Message and challenge lengths up to 400 cross the 166-byte rate at every offset.
    real, naive = Transcript(label), _NaiveMerlin(label)
    for kind, lab, arg in script:
        if kind == "msg":
            assert isinstance(arg, bytes)
            real.append_message(lab, arg)
            naive.append_message(lab, arg)
        elif kind == "u64":
            assert isinstance(arg, int)
            real.append_u64(lab, arg)
            naive.append_message(lab, arg.to_bytes(8, "little"))
        else:
            assert isinstance(arg, int)
            assert real.challenge_bytes(lab, arg) == naive.challenge_bytes(lab, arg)
    assert real.challenge_bytes(b"final", 64) == naive.challenge_bytes(b"final", 64)


@pytest.mark.parametrize("prefix", range(150, 170))
def test_rate_boundary_offsets(prefix: int) -> None:
    # A message of each length near R puts the next op header at each block offset.
    real, naive = Transcript(b"boundary"), _NaiveMerlin(b"boundary")
    real.append_message(b"m", bytes(prefix))
    naive.append_message(b"m", bytes(prefix))
    assert real.challenge_bytes(b"c", 200) == naive.challenge_bytes(b"c", 200)


def test_strobe_prf_starts_fresh_block_like_naive() -> None:
    s, n = Strobe128(b"proto"), _NaiveStrobe(b"proto")
    s.ad(b"x" * 10, more=False)
    n.operate(_A, b"x" * 10, more=False)
    assert s.prf(300, more=False) == n.operate(_I | _A | _C, bytes(300), more=False)


# --- properties -------------------------------------------------------------------------


def test_deterministic_and_label_sensitive() -> None:
    def run(label: bytes, msg: bytes) -> bytes:
        t = Transcript(label)
        t.append_message(b"a", msg)
        t.append_u64(b"n", 64)
        return t.challenge_bytes(b"c", 64)

    assert run(b"p", b"m") == run(b"p", b"m")
    assert run(b"p", b"m") != run(b"q", b"m")
    assert run(b"p", b"m") != run(b"p", b"n")


def test_label_message_boundary_is_bound() -> None:
    # The length prefix separates label from message: ("ab", "c") != ("a", "bc").
    t1, t2 = Transcript(b"p"), Transcript(b"p")
    t1.append_message(b"ab", b"c")
    t2.append_message(b"a", b"bc")
    assert t1.challenge_bytes(b"x", 32) != t2.challenge_bytes(b"x", 32)


def test_successive_challenges_differ() -> None:
    t = Transcript(b"p")
    assert t.challenge_bytes(b"c", 32) != t.challenge_bytes(b"c", 32)


def test_append_u64_is_le_message() -> None:
    t1, t2 = Transcript(b"p"), Transcript(b"p")
    t1.append_u64(b"n", 0x0102030405060708)
    t2.append_message(b"n", bytes.fromhex("0807060504030201"))
    assert t1.challenge_bytes(b"c", 16) == t2.challenge_bytes(b"c", 16)


def test_challenge_scalar_is_64_bytes_mod_l() -> None:
    t1, t2 = Transcript(b"p"), Transcript(b"p")
    assert t1.challenge_scalar(b"x") == int.from_bytes(t2.challenge_bytes(b"x", 64), "little") % L
    assert 0 <= t1.challenge_scalar(b"y") < L


def test_copy_is_independent() -> None:
    t = Transcript(b"p")
    t.append_message(b"a", b"1")
    fork = t.copy()
    # Diverge the original; the fork must behave as if the divergence never happened.
    t.append_message(b"b", b"2")
    after_t = t.challenge_bytes(b"c", 32)
    ref = Transcript(b"p")
    ref.append_message(b"a", b"1")
    assert fork.challenge_bytes(b"c", 32) == ref.challenge_bytes(b"c", 32)
    assert after_t != fork.challenge_bytes(b"c", 32)
    # And the fork's use did not change the original.
    ref2 = Transcript(b"p")
    ref2.append_message(b"a", b"1")
    ref2.append_message(b"b", b"2")
    ref2.challenge_bytes(b"c", 32)
    assert t.challenge_bytes(b"d", 32) == ref2.challenge_bytes(b"d", 32)


def test_bytearray_inputs_accepted_like_bytes() -> None:
    # bytearray is outside the annotation on purpose: the runtime accepts it like bytes.
    t1, t2 = Transcript(b"p"), Transcript(bytearray(b"p"))  # type: ignore[arg-type]
    t1.append_message(b"a", b"xyz")
    t2.append_message(bytearray(b"a"), bytearray(b"xyz"))  # type: ignore[arg-type]
    assert t1.challenge_bytes(b"c", 32) == t2.challenge_bytes(b"c", 32)


@pytest.mark.parametrize(
    "call",
    [
        lambda: Transcript("text label"),  # type: ignore[arg-type]
        lambda: Transcript(b"p").append_message("a", b"m"),  # type: ignore[arg-type]
        lambda: Transcript(b"p").append_message(b"a", "m"),  # type: ignore[arg-type]
        lambda: Transcript(b"p").append_message(b"a", 5),  # type: ignore[arg-type]
        lambda: Transcript(b"p").append_u64(b"n", -1),
        lambda: Transcript(b"p").append_u64(b"n", 2**64),
        lambda: Transcript(b"p").append_u64(b"n", 1.0),  # type: ignore[arg-type]
        lambda: Transcript(b"p").append_u64(b"n", True),
        lambda: Transcript(b"p").challenge_bytes("c", 32),  # type: ignore[arg-type]
        lambda: Transcript(b"p").challenge_bytes(b"c", -1),
        lambda: Transcript(b"p").challenge_bytes(b"c", 2**32),
        lambda: Transcript(b"p").challenge_bytes(b"c", "32"),  # type: ignore[arg-type]
        lambda: Transcript(b"p").challenge_scalar("x"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_types_raise_invalid_parameter(call: object) -> None:
    with pytest.raises(InvalidParameterError):
        call()  # type: ignore[operator]
