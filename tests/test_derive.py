"""solvency.crypto.derive against a readable RFC 5869 HKDF written from the protocol text."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from conftest import user_ids as allowed_user_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.crypto import derive
from solvency.crypto.group import L
from solvency.errors import InvalidParameterError, MalformedInputError

secrets32 = st.binary(min_size=32, max_size=32)
epoch_ids = st.text(
    alphabet="ABCXYZabcxyz0123456789._:-", min_size=1, max_size=64
) | st.sampled_from(["e", "2024-06-30", "x" * 64])
# Ids that follow section 2.1 (NFC, nothing invisible); the refusals are in test_attack_inputs.
user_ids = allowed_user_ids(1, 40) | st.sampled_from(["a", "é", "user:1", "x" * 256])


def _hkdf_naive(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869: PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i-1) || info || i)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


@given(master=secrets32, epoch=epoch_ids, user=user_ids, k=st.integers(0, 5))
@settings(max_examples=40)
def test_derivations_match_protocol_text(master: bytes, epoch: str, user: str, k: int) -> None:
    es = derive.epoch_secret(master, epoch)
    assert es == _hkdf_naive(master, b"solvency/v1/epoch", epoch.encode(), 32)
    us = derive.user_secret(es, user)
    assert us == _hkdf_naive(es, b"solvency/v1/user", user.encode(), 32)
    r = derive.blinding(us, k)
    wide = _hkdf_naive(us, b"solvency/v1/blinding", k.to_bytes(4, "little"), 64)
    assert r == int.from_bytes(wide, "little") % L
    assert derive.blindings(us, k + 1)[k] == r
    uid = user.encode()
    expected_leaf_id = hashlib.sha256(
        b"solvency/v1/leaf-id" + len(uid).to_bytes(4, "little") + uid + us
    ).digest()
    assert derive.leaf_id(user, us) == expected_leaf_id
    assert derive.position_key(es) == _hkdf_naive(es, b"solvency/v1/position", b"", 32)
    assert derive.padding_key(es) == _hkdf_naive(es, b"solvency/v1/padding", b"", 32)


@given(
    key=secrets32, level=st.integers(0, 64), index=st.integers(0, 2**64 - 1), k=st.integers(0, 3)
)
@settings(max_examples=30)
def test_padding_derivations(key: bytes, level: int, index: int, k: int) -> None:
    s = derive.pad_seed(key, level, index)
    msg = b"node" + bytes([level]) + index.to_bytes(8, "little")
    assert s == hmac.new(key, msg, hashlib.sha256).digest()
    wide = _hkdf_naive(s, b"solvency/v1/pad-blinding", k.to_bytes(4, "little"), 64)
    assert derive.pad_blinding(s, k) == int.from_bytes(wide, "little") % L


def test_secrets_separate_epochs_users_and_assets() -> None:
    master = bytes(range(32))
    e1, e2 = derive.epoch_secret(master, "e1"), derive.epoch_secret(master, "e2")
    assert e1 != e2
    assert derive.user_secret(e1, "alice") != derive.user_secret(e2, "alice")
    us = derive.user_secret(e1, "alice")
    assert us != derive.user_secret(e1, "bob")
    assert len(set(derive.blindings(us, 4))) == 4
    assert derive.position_key(e1) != derive.padding_key(e1)
    assert derive.pad_seed(derive.padding_key(e1), 0, 1) != derive.pad_seed(
        derive.padding_key(e1), 1, 0
    )


def test_leaf_id_binds_the_user_id() -> None:
    us = bytes(32)
    # Same secret, different ids, including ids that are prefixes of one another.
    ids = ["a", "ab", "b", "a:", "a:b"]
    assert len({derive.leaf_id(u, us) for u in ids}) == len(ids)


@pytest.mark.parametrize("master", [b"", bytes(31), bytes(33), "0" * 32])
def test_master_secret_must_be_32_bytes(master: object) -> None:
    with pytest.raises(InvalidParameterError):
        derive.epoch_secret(master, "e1")  # type: ignore[arg-type]


@pytest.mark.parametrize("epoch", ["", "x" * 65, "a b", "é", "a/b", "a\n", 5])
def test_epoch_id_pattern(epoch: object) -> None:
    with pytest.raises(InvalidParameterError):
        derive.epoch_secret(bytes(32), epoch)  # type: ignore[arg-type]


@pytest.mark.parametrize("user", ["", "x" * 257, "é" * 129, None, b"alice"])
def test_user_id_checked(user: object) -> None:
    with pytest.raises(InvalidParameterError):
        derive.user_secret(bytes(32), user)  # type: ignore[arg-type]


def test_other_inputs_checked() -> None:
    with pytest.raises(InvalidParameterError):
        derive.blinding(bytes(32), -1)
    with pytest.raises(InvalidParameterError):
        derive.pad_seed(bytes(32), 65, 0)
    with pytest.raises(InvalidParameterError):
        derive.pad_seed(bytes(32), 0, 2**64)
    with pytest.raises(MalformedInputError):
        derive.pad_blinding(bytes(31), 0)


@given(
    ikm=st.binary(max_size=80),
    salt=st.binary(max_size=80),
    info=st.binary(max_size=80),
    length=st.integers(1, 255 * 32),
)
@settings(max_examples=60)
def test_hkdf_equals_cryptography(ikm: bytes, salt: bytes, info: bytes, length: int) -> None:
    """derive's HKDF (standard library HMAC) against cryptography's, the library one."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    expected = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)
    assert derive._hkdf(ikm, salt, info, length) == expected


@pytest.mark.parametrize(
    ("ikm", "salt", "info", "length", "okm"),
    [
        # RFC 5869 appendix A.1 and A.3 (SHA-256)
        (
            "0b" * 22,
            "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            42,
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        ),
        (
            "0b" * 22,
            "",
            "",
            42,
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        ),
    ],
)
def test_hkdf_rfc5869_vectors(ikm: str, salt: str, info: str, length: int, okm: str) -> None:
    out = derive._hkdf(bytes.fromhex(ikm), bytes.fromhex(salt), bytes.fromhex(info), length)
    assert out.hex() == okm


@pytest.mark.parametrize("length", [0, -1, 255 * 32 + 1])
def test_hkdf_refuses_impossible_lengths(length: int) -> None:
    with pytest.raises(InvalidParameterError):
        derive._hkdf(b"k", b"s", b"i", length)
