"""Keccak-f[1600]: the unrolled permutation equals its readable twin, and a sponge built on
it reproduces hashlib's SHA3-256 and SHAKE128 (FIPS 202), which pins the permutation to the
published standard rather than to our own reading of it."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solvency.crypto.keccak import keccak_f1600, keccak_f1600_lanes, keccak_f1600_naive

states = st.binary(min_size=200, max_size=200)


@settings(max_examples=40, deadline=None)
@given(states)
@example(bytes(200))
@example(b"\xff" * 200)
@example(bytes(199) + b"\x80")
def test_unrolled_equals_naive(state: bytes) -> None:
    assert keccak_f1600(state) == keccak_f1600_naive(state)


def test_first_lane_of_f_of_zero() -> None:
    # Published value (e.g. the Keccak team's KeccakF-1600 intermediate values).
    out = keccak_f1600(bytes(200))
    assert int.from_bytes(out[:8], "little") == 0xF1258F7940E1DDE7
    assert keccak_f1600_lanes((0,) * 25)[0] == 0xF1258F7940E1DDE7


def test_permutation_is_not_the_identity_and_is_injective_on_samples() -> None:
    seen = {keccak_f1600(bytes([i]) + bytes(199)) for i in range(32)}
    assert len(seen) == 32
    assert bytes(200) not in seen


def _sponge(message: bytes, rate: int, suffix: int, out_len: int) -> bytes:
    """FIPS 202 sponge: pad10*1 with a domain suffix, absorb, squeeze ``out_len`` bytes."""
    padded = bytearray(message)
    padded.append(suffix)
    while len(padded) % rate:
        padded.append(0)
    padded[-1] |= 0x80
    state = bytes(200)
    for off in range(0, len(padded), rate):
        block = padded[off : off + rate] + bytes(200 - rate)
        state = keccak_f1600(bytes(a ^ b for a, b in zip(state, block, strict=True)))
    out = bytearray()
    while True:
        out += state[:rate]
        if len(out) >= out_len:
            return bytes(out[:out_len])
        state = keccak_f1600(state)


MESSAGES = [
    b"",
    b"abc",
    b"The quick brown fox jumps over the lazy dog",
    bytes(range(256)),
    b"\x00" * 135,  # one byte short of the SHA3-256 rate: padding fits in one block
    b"\x01" * 136,  # exactly one SHA3-256 block: padding takes a whole extra block
    b"\x02" * 167,
    b"\x03" * 168,  # exactly one SHAKE128 block
    b"merlin" * 100,
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: f"len{len(m)}")
def test_sponge_matches_sha3_256(message: bytes) -> None:
    assert _sponge(message, 136, 0x06, 32) == hashlib.sha3_256(message).digest()


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: f"len{len(m)}")
def test_sponge_matches_shake_128(message: bytes) -> None:
    # 400 bytes of output: squeezing crosses two block boundaries.
    assert _sponge(message, 168, 0x1F, 400) == hashlib.shake_128(message).digest(400)


@settings(max_examples=10, deadline=None)
@given(st.binary(max_size=600))
def test_sponge_matches_sha3_256_on_random_messages(message: bytes) -> None:
    assert _sponge(message, 136, 0x06, 32) == hashlib.sha3_256(message).digest()
