"""Keccak-f[1600]: the unrolled permutation equals its readable twin, and a sponge built on
it reproduces hashlib's SHA3-256 and SHAKE128 (FIPS 202), which pins the permutation to the
published standard rather than to our own reading of it."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solvency.crypto import keccak
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


def _sponge(
    message: bytes,
    rate: int,
    suffix: int,
    out_len: int,
    f: Callable[[bytes], bytes] = keccak_f1600,
) -> bytes:
    """FIPS 202 sponge: pad10*1 with a domain suffix, absorb, squeeze ``out_len`` bytes."""
    padded = bytearray(message)
    padded.append(suffix)
    while len(padded) % rate:
        padded.append(0)
    padded[-1] |= 0x80
    state = bytes(200)
    for off in range(0, len(padded), rate):
        block = padded[off : off + rate] + bytes(200 - rate)
        state = f(bytes(a ^ b for a, b in zip(state, block, strict=True)))
    out = bytearray()
    while True:
        out += state[:rate]
        if len(out) >= out_len:
            return bytes(out[:out_len])
        state = f(state)


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


# --- the permutation STROBE uses: the C extension and its pure-Python twin ------------------


def _native_permute() -> Callable[[bytearray], None]:
    module = pytest.importorskip("solvency.crypto._keccakf", reason="C extension not built")
    permute: Callable[[bytearray], None] = module.permute
    return permute


def _permuted(permute: Callable[[bytearray], None], state: bytes) -> bytes:
    buf = bytearray(state)
    permute(buf)
    return bytes(buf)


@settings(max_examples=200, deadline=None)
@given(states)
@example(bytes(200))
@example(b"\xff" * 200)
@example(bytes(199) + b"\x80")
def test_native_equals_naive(state: bytes) -> None:
    assert _permuted(_native_permute(), state) == keccak_f1600_naive(state)
    assert _permuted(keccak._permute_python, state) == keccak_f1600_naive(state)


def test_native_first_lane_and_sponges() -> None:
    native = _native_permute()
    assert int.from_bytes(_permuted(native, bytes(200))[:8], "little") == 0xF1258F7940E1DDE7
    f = functools.partial(_permuted, native)
    for message in MESSAGES:
        assert _sponge(message, 136, 0x06, 32, f) == hashlib.sha3_256(message).digest()
        assert _sponge(message, 168, 0x1F, 400, f) == hashlib.shake_128(message).digest(400)


def test_native_refuses_wrong_buffers() -> None:
    native = _native_permute()
    for bad in (bytearray(199), bytearray(201), bytearray()):
        with pytest.raises(ValueError, match="200 bytes"):
            native(bad)
    with pytest.raises((TypeError, BufferError)):
        native(bytes(200))  # type: ignore[arg-type]  # read-only on purpose: refused


def test_native_is_used_when_built() -> None:
    _native_permute()
    if os.environ.get("SOLVENCY_KECCAK") == "python":
        assert keccak.IMPLEMENTATION == "python"
    else:
        assert keccak.IMPLEMENTATION == "native"


def test_python_twin_is_selected_by_the_environment() -> None:
    code = (
        "from solvency.crypto import keccak, transcript\n"
        "t = transcript.Transcript(b'test protocol')\n"
        "t.append_message(b'some label', b'some data')\n"
        "print(keccak.IMPLEMENTATION, t.challenge_bytes(b'challenge', 32).hex())\n"
    )
    env = {**os.environ, "SOLVENCY_KECCAK": "python"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    # Merlin's simple test vector, through the pure-Python permutation.
    assert out == ["python", "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615"]
    env["SOLVENCY_KECCAK"] = "fast"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "SOLVENCY_KECCAK" in bad.stderr
