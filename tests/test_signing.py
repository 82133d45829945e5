"""Ed25519 root signatures, key PEM files, and 0600 secret files (PROTOCOL sections 1, 3, 8.1)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from conftest import make_rng
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.crypto import ed25519
from solvency.errors import MalformedInputError, VerificationError
from solvency.files.signing import (
    SecretFileExistsError,
    SigningKey,
    VerifyingKey,
    decode_master_secret,
    decode_signature,
    encode_master_secret,
    encode_signature,
    generate_keypair,
    generate_master_secret,
    load_master_secret,
    load_signing_key,
    load_verifying_key,
    save_master_secret,
    save_signing_key,
    write_secret_file,
)

# RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "pk", "msg", "sig"), RFC8032)
def test_rfc8032_vectors(seed: str, pk: str, msg: str, sig: str) -> None:
    sk = SigningKey(bytes.fromhex(seed))
    assert sk.verifying_key().raw.hex() == pk
    assert sk.sign(bytes.fromhex(msg)).hex() == sig
    VerifyingKey(bytes.fromhex(pk)).verify(bytes.fromhex(sig), bytes.fromhex(msg))


def test_generate_keypair_takes_seed_from_rng() -> None:
    sk1, vk1 = generate_keypair(make_rng(1))
    sk2, vk2 = generate_keypair(make_rng(1))
    sk3, _ = generate_keypair(make_rng(2))
    assert sk1 == sk2 and vk1 == vk2
    assert sk1 != sk3
    assert sk1.seed == make_rng(1)(32)
    assert sk1.verifying_key() == vk1
    sk4, vk4 = generate_keypair()
    assert len(sk4.seed) == 32 and len(vk4.raw) == 32


def test_generate_keypair_refuses_short_rng() -> None:
    with pytest.raises(MalformedInputError):
        generate_keypair(lambda n: bytes(n - 1))


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=300), pos=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_sign_verify_and_byte_flips(data: bytes, pos: int, bit: int) -> None:
    sk, vk = generate_keypair(make_rng(7))
    sig = sk.sign(data)
    vk.verify(sig, data)
    # Any flipped bit of the signature, or of the signed bytes, is refused.
    bad_sig = bytearray(sig)
    bad_sig[pos % 64] ^= 1 << bit
    with pytest.raises(VerificationError, match="does not verify under the given public key"):
        vk.verify(bytes(bad_sig), data)
    if data:
        bad_data = bytearray(data)
        bad_data[pos % len(data)] ^= 1 << bit
        with pytest.raises(VerificationError):
            vk.verify(sig, bytes(bad_data))


def test_other_key_does_not_verify() -> None:
    sk, _ = generate_keypair(make_rng(1))
    _, other = generate_keypair(make_rng(2))
    with pytest.raises(VerificationError):
        other.verify(sk.sign(b"root"), b"root")


def test_verify_refuses_malformed_signature() -> None:
    sk, vk = generate_keypair(make_rng(1))
    sig = sk.sign(b"x")
    with pytest.raises(MalformedInputError):
        vk.verify(sig[:63], b"x")
    with pytest.raises(MalformedInputError):
        vk.verify(sig.hex(), b"x")  # type: ignore[arg-type]


def test_pem_round_trip() -> None:
    sk, vk = generate_keypair(make_rng(3))
    pem = sk.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert SigningKey.from_pem(pem) == sk
    assert SigningKey.from_pem(pem.decode()) == sk
    pub = vk.to_pem()
    assert pub.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert VerifyingKey.from_pem(pub) == vk
    assert len(vk.fingerprint()) == 64


def test_pem_refuses_other_key_types() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_priv = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ec_pub = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(MalformedInputError, match="expected an Ed25519 key"):
        SigningKey.from_pem(ec_priv)
    with pytest.raises(MalformedInputError, match="expected an Ed25519 key"):
        VerifyingKey.from_pem(ec_pub)
    ed448_priv = ed448.Ed448PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(MalformedInputError, match="expected an Ed25519 key"):
        SigningKey.from_pem(ed448_priv)


def test_pem_refuses_garbage_encrypted_and_swapped() -> None:
    sk, vk = generate_keypair(make_rng(4))
    with pytest.raises(MalformedInputError):
        SigningKey.from_pem(b"not a key")
    with pytest.raises(MalformedInputError):
        SigningKey.from_pem(vk.to_pem())  # a public key where the private one belongs
    with pytest.raises(MalformedInputError):
        VerifyingKey.from_pem(sk.to_pem())
    encrypted = sk._key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(MalformedInputError, match="encrypted"):
        SigningKey.from_pem(encrypted)
    with pytest.raises(MalformedInputError, match="ASCII"):
        SigningKey.from_pem("-----BEGIN PRIVATE KEY-----é")


def test_secret_key_not_in_repr() -> None:
    sk, _ = generate_keypair(make_rng(5))
    assert sk.seed.hex() not in repr(sk)
    assert sk.seed.hex()[:16] not in repr(sk)


def test_signature_file_round_trip_and_strictness() -> None:
    sk, _ = generate_keypair(make_rng(6))
    sig = sk.sign(b"root.json bytes")
    encoded = encode_signature(sig)
    assert encoded == sig.hex().encode() + b"\n"
    assert decode_signature(encoded) == sig
    assert decode_signature(encoded.rstrip(b"\n")) == sig
    for bad in (
        encoded.upper(),
        b" " + encoded,
        encoded + b"\n",
        encoded[:-3] + b"\n",
        encoded.replace(b"\n", b"\r\n"),
    ):
        with pytest.raises(MalformedInputError, match="signature file"):
            decode_signature(bad)


# --- secret files -------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_secret_file_is_0600_and_refuses_overwrite(tmp_path: Path) -> None:
    p = tmp_path / "key.pem"
    write_secret_file(p, b"one")
    assert p.read_bytes() == b"one"
    assert _mode(p) == 0o600
    with pytest.raises(SecretFileExistsError, match="refusing to overwrite"):
        write_secret_file(p, b"two")
    assert p.read_bytes() == b"one"
    assert os.listdir(tmp_path) == ["key.pem"]  # no temporary file left behind


def test_write_secret_file_overwrite_replaces_and_tightens_mode(tmp_path: Path) -> None:
    p = tmp_path / "key.pem"
    p.write_bytes(b"old")
    p.chmod(0o644)
    write_secret_file(p, b"new", overwrite=True)
    assert p.read_bytes() == b"new"
    assert _mode(p) == 0o600
    assert os.listdir(tmp_path) == ["key.pem"]


def test_write_secret_file_ignores_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_secret_file(tmp_path / "s", b"x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "s") == 0o600


def test_write_secret_file_refuses_existing_directory_entry(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(SecretFileExistsError):
        write_secret_file(tmp_path / "d", b"x")


def test_save_and_load_signing_key(tmp_path: Path) -> None:
    sk, vk = generate_keypair(make_rng(8))
    save_signing_key(tmp_path / "sk.pem", sk)
    assert _mode(tmp_path / "sk.pem") == 0o600
    assert load_signing_key(tmp_path / "sk.pem") == sk
    (tmp_path / "vk.pem").write_bytes(vk.to_pem())
    assert load_verifying_key(tmp_path / "vk.pem") == vk
    with pytest.raises(MalformedInputError, match=r"vk\.pem"):
        load_signing_key(tmp_path / "vk.pem")


def test_master_secret_round_trip(tmp_path: Path) -> None:
    secret = generate_master_secret(make_rng(9))
    assert secret == make_rng(9)(32)
    assert len(generate_master_secret()) == 32
    p = tmp_path / "master.key"
    save_master_secret(p, secret)
    assert p.read_bytes() == secret.hex().encode() + b"\n"
    assert _mode(p) == 0o600
    assert load_master_secret(p) == secret
    with pytest.raises(SecretFileExistsError):
        save_master_secret(p, generate_master_secret(make_rng(10)))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.upper(),
        lambda t: t[:-2] + b"\n",  # 63 hex digits
        lambda t: t[:-1] + b"0\n",  # 65 hex digits
        lambda t: b" " + t,
        lambda t: t + b"\n",
        lambda t: t.replace(b"\n", b"\r\n"),
        lambda t: t[:10] + b"g" + t[11:],
        lambda t: t[:10] + "é".encode() + t[12:],
        lambda t: b"",
    ],
)
def test_master_secret_file_is_strict(mutate: object) -> None:
    secret = generate_master_secret(make_rng(11))
    good = encode_master_secret(secret)
    assert decode_master_secret(good) == secret
    bad = mutate(good)  # type: ignore[operator]
    with pytest.raises(MalformedInputError) as info:
        decode_master_secret(bad)
    # The message never echoes the secret.
    assert secret.hex()[:8] not in str(info.value)


def test_master_secret_rng_length_checked() -> None:
    with pytest.raises(MalformedInputError):
        generate_master_secret(lambda n: bytes(16))


def _cryptography_parse(pem: bytes) -> bytes | str:
    """The raw key cryptography's own PEM parser reads from ``pem``, or why it refuses."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as e:
        return f"refused: {type(e).__name__}"
    if not isinstance(key, Ed25519PublicKey):
        return "refused: not Ed25519"
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _ours(pem: bytes) -> bytes | str:
    try:
        return VerifyingKey.from_pem(pem).raw
    except MalformedInputError as e:
        return f"refused: {e}"


def _same_verdict(pem: bytes) -> None:
    ours, theirs = _ours(pem), _cryptography_parse(pem)
    if isinstance(theirs, bytes):
        assert ours == theirs
    else:
        assert isinstance(ours, str) and ours.startswith("refused")


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(min_size=32, max_size=32))
def test_canonical_public_pem_fast_path_equals_cryptography(raw: bytes) -> None:
    """signing.pub in the form we write is read without importing cryptography's serialization
    module; for any 32-byte key, and for its every byte flip, the key (or the refusal) is
    the one cryptography's parser gives."""
    pem = (
        b"-----BEGIN PUBLIC KEY-----\n"
        + base64.b64encode(bytes.fromhex("302a300506032b6570032100") + raw)
        + b"\n-----END PUBLIC KEY-----\n"
    )
    assert _ours(pem) == raw == _cryptography_parse(pem)
    for i in range(len(pem)):
        flipped = bytearray(pem)
        flipped[i] ^= 1 << (i % 8)
        _same_verdict(bytes(flipped))


def test_public_pem_other_spellings_still_read() -> None:
    """PEM spellings other than ours (CRLF, no final newline, another trailing-bit spelling
    of the base64) go to cryptography's parser, as before."""
    _, vk = generate_keypair(make_rng(5))
    pem = vk.to_pem()
    body = pem.split(b"\n")[1]
    last = body[-2:-1]
    other_bits = body[:-2] + bytes([last[0] ^ 1]) + b"="
    for variant in (
        pem.replace(b"\n", b"\r\n"),
        pem.rstrip(b"\n"),
        pem + b"\n",
        pem.replace(body, other_bits),
        pem.replace(b"PUBLIC KEY", b"PRIVATE KEY"),
    ):
        _same_verdict(variant)
    assert _ours(pem.replace(b"\n", b"\r\n")) == vk.raw  # still accepted, by cryptography


def _openssl_verdict(pk: bytes, sig: bytes, msg: bytes) -> bool:
    """cryptography's (OpenSSL's) Ed25519 verification, the library that signs."""
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
    except InvalidSignature:
        return False
    return True


@settings(max_examples=40, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), msg=st.binary(max_size=300))
def test_libsodium_verify_equals_cryptography(seed: bytes, msg: bytes) -> None:
    """The verifier's Ed25519 (libsodium) and the signer's (cryptography) agree on honest
    signatures and on every single-bit flip of key, signature or message."""
    sk = SigningKey(seed)
    pk, sig = sk.verifying_key().raw, sk.sign(msg)
    assert ed25519.verify(pk, sig, msg) and _openssl_verdict(pk, sig, msg)
    for which in range(3):
        parts = [bytearray(pk), bytearray(sig), bytearray(msg)]
        if not parts[which]:
            continue
        for i in range(0, len(parts[which]), 7):
            parts[which][i] ^= 1 << (i % 8)
            flipped = [bytes(p) for p in parts]
            assert ed25519.verify(*flipped) == _openssl_verdict(*flipped)
            parts[which][i] ^= 1 << (i % 8)


def test_small_order_keys_refused_where_openssl_accepts() -> None:
    """The documented difference: under the identity as a public key, (R, S) = (identity, 0)
    verifies in OpenSSL for any message; nobody could have signed it, and libsodium refuses."""
    identity = b"\x01" + bytes(31)
    forged = identity + bytes(32)
    assert _openssl_verdict(identity, forged, b"any root.json")
    assert not ed25519.verify(identity, forged, b"any root.json")
    with pytest.raises(VerificationError):
        VerifyingKey(identity).verify(forged, b"any root.json")


def test_ed25519_refuses_wrong_types_and_lengths() -> None:
    sk, vk = generate_keypair(make_rng(6))
    sig = sk.sign(b"m")
    assert ed25519.verify(vk.raw, sig, b"m")
    assert not ed25519.verify(vk.raw[:31], sig, b"m")
    assert not ed25519.verify(vk.raw, sig[:63], b"m")
    assert not ed25519.verify(vk.raw, sig, "m")  # type: ignore[arg-type]
    long = bytes(range(256)) * 400  # the length goes to libsodium as an unsigned long long
    assert ed25519.verify(vk.raw, sk.sign(long), long)
    assert not ed25519.verify(vk.raw, sk.sign(long), long[:-1] + b"\x00")
