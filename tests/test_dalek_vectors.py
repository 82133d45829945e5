"""Byte compatibility with dalek-cryptography/bulletproofs: the 16 proofs of dalek's
``deserialize_and_verify`` test (tests/range_proof.rs) verify here, and nothing that differs
from them in one byte does.

The vectors live outside the repository, in /work/shared/vectors (CI has them). Their
commitments are V_j = j B + gamma_j B~ with gamma_j = Scalar::random(ChaChaRng::from_seed(
[24; 32])); ``_chacha20_block`` (RFC 8439, section 2.3) regenerates those blindings, so the
commitments are also checked to open, which ties our Pedersen generators to dalek's.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from conftest import make_rng
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.crypto import group, pedersen
from solvency.crypto.bulletproofs import RangeProof, verify_batch
from solvency.crypto.group import BASEPOINT, L
from solvency.crypto.transcript import Transcript
from solvency.errors import MalformedInputError, VerificationError

# Beside the checkout (as on CI), or where SOLVENCY_DALEK_VECTORS points (the sdist test runs
# the suite from an unpacked sdist elsewhere, and points it here).
VECTORS = Path(
    os.environ.get("SOLVENCY_DALEK_VECTORS")
    or Path(__file__).resolve().parents[2] / "shared" / "vectors" / "dalek_rangeproofs.json"
)
if not VECTORS.is_file():
    pytest.skip(f"dalek test vectors not found at {VECTORS}", allow_module_level=True)

DATA: dict[str, Any] = json.loads(VECTORS.read_text())
LABEL = DATA["transcript_label"].encode()
CASES: list[tuple[int, int, bytes, list[bytes]]] = [
    (
        c["bits"],
        c["aggregation"],
        bytes.fromhex(c["proof"]),
        [bytes.fromhex(V) for V in c["commitments"]],
    )
    for c in DATA["cases"]
]
IDS = [f"{bits}bit-m{m}" for bits, m, _, _ in CASES]


def _case(bits: int, m: int) -> tuple[bytes, list[bytes]]:
    for b, mm, proof, V in CASES:
        if (b, mm) == (bits, m):
            return proof, V
    raise KeyError((bits, m))


def _verify_bytes(data: bytes, V: list[bytes], bits: int) -> None:
    RangeProof.from_bytes(data).verify(V, bits, Transcript(LABEL))


def test_all_sixteen_cases_present() -> None:
    assert len(CASES) == 16
    assert {(b, m) for b, m, _, _ in CASES} == {
        (b, m) for b in (8, 16, 32, 64) for m in (1, 2, 4, 8)
    }
    assert DATA["committed_values"] == list(range(8))


# --- the commitments open to dalek's values and blindings ----------------------------------

_M32 = 0xFFFFFFFF


def _chacha20_block(key: bytes, words_12_to_15: list[int]) -> bytes:
    """One ChaCha20 block (RFC 8439, section 2.3): 10 double rounds, add, serialize LE."""

    def quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
        for x, y, z, r in ((a, b, d, 16), (c, d, b, 12), (a, b, d, 8), (c, d, b, 7)):
            s[x] = (s[x] + s[y]) & _M32
            s[z] ^= s[x]
            s[z] = ((s[z] << r) | (s[z] >> (32 - r))) & _M32

    init = [*struct.unpack("<4I", b"expand 32-byte k"), *struct.unpack("<8I", key)]
    init += words_12_to_15
    s = list(init)
    for _ in range(10):
        quarter(s, 0, 4, 8, 12)
        quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14)
        quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15)
        quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13)
        quarter(s, 3, 4, 9, 14)
    return struct.pack("<16I", *((a + b) & _M32 for a, b in zip(s, init, strict=True)))


def test_chacha20_block_matches_rfc8439() -> None:
    # RFC 8439, section 2.3.2: key 00..1f, counter 1, nonce 000000090000004a00000000.
    nonce = struct.unpack("<3I", bytes.fromhex("000000090000004a00000000"))
    out = _chacha20_block(bytes(range(32)), [1, *nonce])
    assert out.hex() == (
        "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
    )


def _dalek_blindings() -> list[int]:
    # rand_chacha's ChaChaRng: 64-bit block counter from 0, zero nonce; Scalar::random reads
    # 64 bytes and reduces them mod l (from_bytes_mod_order_wide).
    stream = b"".join(_chacha20_block(bytes([24]) * 32, [i, 0, 0, 0]) for i in range(8))
    return [int.from_bytes(stream[64 * j : 64 * j + 64], "little") % L for j in range(8)]


def test_commitments_open_to_dalek_values_and_blindings() -> None:
    _, V = _case(8, 8)
    for j, (V_j, gamma_j) in enumerate(zip(V, _dalek_blindings(), strict=True)):
        pedersen.open_commitment(V_j, j, gamma_j)
    # Every case uses a prefix of the same eight commitments.
    for _, m, _, V_case in CASES:
        assert V_case == V[:m]


def test_own_proof_for_dalek_commitments_verifies(rng: Any) -> None:
    # Same values and blindings as dalek: our prover produces the same V_j, and our proof
    # for them verifies under dalek's transcript label.
    _, V = _case(16, 4)
    proof, V_ours = RangeProof.prove(
        [0, 1, 2, 3], _dalek_blindings()[:4], 16, Transcript(LABEL), rng
    )
    assert V_ours == V
    proof.verify(V, 16, Transcript(LABEL))


# --- every case verifies, has dalek's size, and round trips ---------------------------------


@pytest.mark.parametrize(("bits", "m", "data", "V"), CASES, ids=IDS)
def test_case_verifies(bits: int, m: int, data: bytes, V: list[bytes]) -> None:
    proof = RangeProof.from_bytes(data)
    proof.verify(V, bits, Transcript(LABEL))
    # The verifier's random weights do not change the outcome.
    proof.verify(V, bits, Transcript(LABEL), rng=make_rng(bits * 100 + m))


@pytest.mark.parametrize(("bits", "m", "data", "V"), CASES, ids=IDS)
def test_case_size_and_round_trip(bits: int, m: int, data: bytes, V: list[bytes]) -> None:
    assert len(data) == 32 * (9 + 2 * ((bits * m).bit_length() - 1))
    proof = RangeProof.from_bytes(data)
    assert proof.to_bytes() == data
    assert RangeProof.from_bytes(bytearray(data)) == proof  # type: ignore[arg-type]
    assert len(V) == m


# --- single-byte changes are rejected, with the right exception type -----------------------


def _assert_rejected(data: bytes, V: list[bytes], bits: int) -> None:
    # Only these two types are acceptable: anything else propagates and fails the test.
    with pytest.raises((VerificationError, MalformedInputError)):
        _verify_bytes(data, V, bits)


def _flip(data: bytes, pos: int, mask: int) -> bytes:
    return data[:pos] + bytes([data[pos] ^ mask]) + data[pos + 1 :]


@pytest.mark.parametrize(("bits", "m", "data", "V"), CASES, ids=IDS)
def test_every_byte_flip_rejected(bits: int, m: int, data: bytes, V: list[bytes]) -> None:
    # Every byte of every one of dalek's 16 proofs.
    for pos in range(len(data)):
        # Vary the bit flipped with the position so every bit index of every field is hit.
        _assert_rejected(_flip(data, pos, 1 << (pos % 8)), V, bits)
        if pos % 32 in (0, 31):  # first and last byte of each element: also flip all bits
            _assert_rejected(_flip(data, pos, 0xFF), V, bits)


@settings(max_examples=60, deadline=None)
@given(
    case=st.integers(0, len(CASES) - 1),
    where=st.floats(0, 1, exclude_max=True),
    mask=st.integers(1, 255),
)
def test_sampled_byte_flip_rejected_all_cases(case: int, where: float, mask: int) -> None:
    bits, _, data, V = CASES[case]
    _assert_rejected(_flip(data, int(where * len(data)), mask), V, bits)


# --- wrong statements are rejected -------------------------------------------------------


@pytest.mark.parametrize(("bits", "m", "data", "V"), CASES, ids=IDS)
def test_wrong_commitment_rejected(bits: int, m: int, data: bytes, V: list[bytes]) -> None:
    proof = RangeProof.from_bytes(data)
    # V_j + B: a commitment to v_j + 1 with the same blinding.
    for j in range(m):
        shifted = list(V)
        shifted[j] = group.add(V[j], BASEPOINT)
        with pytest.raises(VerificationError):
            proof.verify(shifted, bits, Transcript(LABEL))
    if m >= 2:
        swapped = [V[1], V[0], *V[2:]]
        with pytest.raises(VerificationError):
            proof.verify(swapped, bits, Transcript(LABEL))
    else:
        _, V8 = _case(8, 8)
        with pytest.raises(VerificationError):
            proof.verify([V8[1]], bits, Transcript(LABEL))


@pytest.mark.parametrize(("bits", "m"), [(64, 1), (32, 4)], ids=["64bit-m1", "32bit-m4"])
def test_wrong_bits_count_or_label_rejected(bits: int, m: int) -> None:
    data, V = _case(bits, m)
    proof = RangeProof.from_bytes(data)
    other_bits = [b for b in (8, 16, 32, 64) if b != bits]
    for b in other_bits:
        with pytest.raises(VerificationError):
            proof.verify(V, b, Transcript(LABEL))
    _, V8 = _case(8, 8)
    for count in (1, 2, 4, 8):
        if count != m:
            with pytest.raises(VerificationError):
                proof.verify(V8[:count], bits, Transcript(LABEL))
    with pytest.raises(VerificationError):
        proof.verify(V, bits, Transcript(b"Deserialize-And-Verify Test "))
    # A transcript that already holds a message is a different transcript.
    t = Transcript(LABEL)
    t.append_message(b"extra", b"")
    with pytest.raises(VerificationError):
        proof.verify(V, bits, t)


def test_invalid_commitment_encoding_rejected() -> None:
    data, V = _case(8, 2)
    proof = RangeProof.from_bytes(data)
    with pytest.raises(VerificationError):
        proof.verify([V[0], b"\xff" * 32], 8, Transcript(LABEL))


# --- strict parsing ----------------------------------------------------------------------


def _bad_parses() -> dict[str, bytes]:
    data, _ = _case(64, 1)
    return {
        "one byte short": data[:-1],
        "one byte long": data + b"\x00",
        "odd IPP element count": data + data[-32:],
        "missing a and b": data[: 7 * 32],
        "empty": b"",
        "t_x = l": data[:128] + L.to_bytes(32, "little") + data[160:],
        "t_x_blinding = 2^256 - 1": data[:160] + b"\xff" * 32 + data[192:],
        "e_blinding = l + 1": data[:192] + (L + 1).to_bytes(32, "little") + data[224:],
        "b = l": data[:-32] + L.to_bytes(32, "little"),
        "A not a point": b"\xff" * 32 + data[32:],
        # 32 rounds: 9 + 64 elements; dalek refuses lg_n >= 32.
        "too many rounds": data[:224] + data[224:288] * 32 + data[-64:],
    }


@pytest.mark.parametrize("name", sorted(_bad_parses()))
def test_from_bytes_is_strict(name: str) -> None:
    with pytest.raises(MalformedInputError):
        RangeProof.from_bytes(_bad_parses()[name])


def test_from_bytes_refuses_non_bytes() -> None:
    data, _ = _case(64, 1)
    with pytest.raises(MalformedInputError):
        RangeProof.from_bytes(data.hex())  # type: ignore[arg-type]


# --- batch verification --------------------------------------------------------------------


def _items(tamper: int | None = None) -> list[tuple[RangeProof, list[bytes], int, Transcript]]:
    items = []
    for i, (bits, _, data, V) in enumerate(CASES):
        if i == tamper:
            data = _flip(data, 128, 0x01)  # low byte of t_x: still a canonical scalar
        items.append((RangeProof.from_bytes(data), V, bits, Transcript(LABEL)))
    return items


def test_batch_of_all_sixteen_passes() -> None:
    verify_batch(_items())
    verify_batch(_items(), rng=make_rng(5))


@pytest.mark.parametrize("tamper", [0, 7, 15])
def test_batch_with_one_flipped_fails(tamper: int) -> None:
    with pytest.raises(VerificationError):
        verify_batch(_items(tamper))


def test_batch_with_one_wrong_commitment_fails() -> None:
    items = _items()
    proof, V, bits, _ = items[12]
    items[12] = (proof, [group.add(V[0], BASEPOINT)], bits, Transcript(LABEL))
    with pytest.raises(VerificationError):
        verify_batch(items)
