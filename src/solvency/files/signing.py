"""Ed25519 signatures on the published root, and the exchange's secret files
(docs/PROTOCOL.md sections 1, 3 and 8.1).

The exchange signs the exact bytes of ``public/root.json``; ``root.json.sig`` holds the
signature as 128 lowercase hex digits and a newline. A user or auditor checks

    Ed25519.Verify(pk, root_json_bytes, sig) == true

with the exchange's public key ``pk`` (SubjectPublicKeyInfo PEM); ``cryptography`` signs and
writes keys, libsodium verifies (``solvency.crypto.ed25519`` says why). The private key is stored as
unencrypted PKCS#8 PEM and the per-deployment ``master_secret`` (section 3) as 64 hex digits
and a newline; both are written with mode 0600, atomically, never over an existing file unless
asked to.
"""

from __future__ import annotations

import binascii
import hashlib
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from solvency.crypto import ed25519
from solvency.crypto.group import Rng
from solvency.errors import MalformedInputError, VerificationError
from solvency.files import secure_io

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SEED_BYTES = 32
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
MASTER_SECRET_BYTES = 32

#: The DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410 section 4) before its 32 key bytes.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
#: signing.pub exactly as ``VerifyingKey.to_pem`` (cryptography) writes it: 60 base64 characters.
_CANONICAL_PUBLIC_PEM = re.compile(
    rb"-----BEGIN PUBLIC KEY-----\n(MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=)\n-----END PUBLIC KEY-----\n"
)
_HEX64_LINE = re.compile(r"[0-9a-f]{64}\n?")
_SIG_LINE = re.compile(r"[0-9a-f]{128}\n?")


#: A secret file already exists and overwriting was not requested.
SecretFileExistsError = secure_io.FileExistsRefusedError


@dataclass(frozen=True)
class VerifyingKey:
    """An Ed25519 public key (32 bytes), checked through libsodium (``crypto.ed25519``: the
    verifier does not load ``cryptography``, which signs)."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != PUBLIC_KEY_BYTES:
            raise MalformedInputError(f"public key: expected {PUBLIC_KEY_BYTES} bytes")

    def verify(self, signature: bytes, data: bytes) -> None:
        """Return None when ``signature`` is a valid signature of ``data``; raise otherwise."""
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
            raise MalformedInputError(f"signature: expected {SIGNATURE_BYTES} bytes")
        if not isinstance(data, bytes):
            raise MalformedInputError("signed data: expected bytes")
        # Ed25519.Verify(pk, data, signature)
        if not ed25519.verify(self.raw, signature, data):
            raise VerificationError("signature does not verify under the given public key")

    def to_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(self.raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def from_pem(cls, data: bytes | str) -> VerifyingKey:
        """Parse a SubjectPublicKeyInfo PEM holding an Ed25519 key; other key types are refused."""
        pem = _pem_bytes(data, "public key")
        canonical = _CANONICAL_PUBLIC_PEM.fullmatch(pem)
        if canonical is not None:
            # The form every signing.pub we write has: the key is its last 32 DER bytes.
            # Any other PEM goes to cryptography's parser below, whose import costs about
            # 5 ms of ``solvency verify``; tests/test_signing.py checks both give the same key.
            text = canonical.group(1)
            der = binascii.a2b_base64(text, strict_mode=True)
            # Re-encoding must give the same text: no second spelling of the same bytes.
            if binascii.b2a_base64(der, newline=False) == text and len(der) == 44:
                return cls(der[len(_ED25519_SPKI_PREFIX) :])
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, UnsupportedAlgorithm):
            raise MalformedInputError("public key: not a PEM SubjectPublicKeyInfo key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise MalformedInputError(
                f"public key: expected an Ed25519 key, got {type(key).__name__}"
            )
        return cls(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    def fingerprint(self) -> str:
        """SHA-256 of the raw key in hex, for showing which key signed."""
        return hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key, held as its 32-byte seed (never shown in repr)."""

    seed: bytes = field(repr=False)
    _key: Ed25519PrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # cryptography signs: loaded by the exchange's commands only, not by verify.
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if not isinstance(self.seed, bytes) or len(self.seed) != SEED_BYTES:
            raise MalformedInputError(f"private key: expected a {SEED_BYTES}-byte seed")
        object.__setattr__(self, "_key", Ed25519PrivateKey.from_private_bytes(self.seed))

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        if not isinstance(data, bytes):
            raise MalformedInputError("data to sign: expected bytes")
        return self._key.sign(data)

    def verifying_key(self) -> VerifyingKey:
        from cryptography.hazmat.primitives import serialization

        public = self._key.public_key()
        return VerifyingKey(
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def to_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM (the file itself is protected by mode 0600)."""
        from cryptography.hazmat.primitives import serialization

        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(cls, data: bytes | str) -> SigningKey:
        """Parse an unencrypted PKCS#8 PEM holding an Ed25519 key; other key types are refused."""
        pem = _pem_bytes(data, "private key")
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except TypeError:
            raise MalformedInputError("private key: the PEM is encrypted; expected none") from None
        except (ValueError, UnsupportedAlgorithm):
            raise MalformedInputError("private key: not a PEM PKCS#8 private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise MalformedInputError(
                f"private key: expected an Ed25519 key, got {type(key).__name__}"
            )
        return cls(
            key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        )


def generate_keypair(rng: Rng | None = None) -> tuple[SigningKey, VerifyingKey]:
    """A fresh Ed25519 key pair; the 32-byte seed comes from ``rng(32)`` (default ``secrets``)."""
    seed = (rng or secrets.token_bytes)(SEED_BYTES)
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise MalformedInputError(f"rng: expected {SEED_BYTES} bytes")
    sk = SigningKey(seed)
    return sk, sk.verifying_key()


def encode_signature(signature: bytes) -> bytes:
    """The content of a ``.sig`` file: 128 lowercase hex digits and a newline."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise MalformedInputError(f"signature: expected {SIGNATURE_BYTES} bytes")
    return signature.hex().encode("ascii") + b"\n"


def decode_signature(data: bytes | str, where: str = "signature file") -> bytes:
    """Parse a ``.sig`` file strictly: 128 lowercase hex digits, optionally one newline."""
    text = _ascii_text(data, where)
    if not _SIG_LINE.fullmatch(text):
        raise MalformedInputError(
            f"{where}: expected {2 * SIGNATURE_BYTES} lowercase hex digits and a newline"
        )
    return bytes.fromhex(text[: 2 * SIGNATURE_BYTES])


def write_secret_file(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> None:
    """Create ``path`` holding ``data`` with mode 0600, atomically (``secure_io.write_atomic``)."""
    secure_io.write_atomic(path, data, private=True, overwrite=overwrite)


def generate_master_secret(rng: Rng | None = None) -> bytes:
    """A fresh 32-byte master secret (section 3), from ``rng(32)`` (default ``secrets``)."""
    secret = (rng or secrets.token_bytes)(MASTER_SECRET_BYTES)
    if not isinstance(secret, bytes) or len(secret) != MASTER_SECRET_BYTES:
        raise MalformedInputError(f"rng: expected {MASTER_SECRET_BYTES} bytes")
    return secret


def encode_master_secret(secret: bytes) -> bytes:
    """File content for a master secret: 64 lowercase hex digits and a newline."""
    if not isinstance(secret, bytes) or len(secret) != MASTER_SECRET_BYTES:
        raise MalformedInputError(f"master secret: expected {MASTER_SECRET_BYTES} bytes")
    return secret.hex().encode("ascii") + b"\n"


def decode_master_secret(data: bytes | str, where: str = "master secret file") -> bytes:
    """Parse a master secret file strictly: exactly 64 lowercase hex digits, optionally a
    newline. The message never echoes the content."""
    text = _ascii_text(data, where)
    if not _HEX64_LINE.fullmatch(text):
        raise MalformedInputError(
            f"{where}: expected exactly {2 * MASTER_SECRET_BYTES} lowercase hex digits "
            "and a newline"
        )
    return bytes.fromhex(text[: 2 * MASTER_SECRET_BYTES])


def save_master_secret(
    path: str | os.PathLike[str], secret: bytes, *, overwrite: bool = False
) -> None:
    write_secret_file(path, encode_master_secret(secret), overwrite=overwrite)


def load_master_secret(path: str | os.PathLike[str]) -> bytes:
    return decode_master_secret(Path(path).read_bytes(), os.fspath(path))


def save_signing_key(
    path: str | os.PathLike[str], key: SigningKey, *, overwrite: bool = False
) -> None:
    write_secret_file(path, key.to_pem(), overwrite=overwrite)


def load_signing_key(path: str | os.PathLike[str]) -> SigningKey:
    try:
        return SigningKey.from_pem(Path(path).read_bytes())
    except MalformedInputError as e:
        raise MalformedInputError(f"{os.fspath(path)}: {e}") from None


def load_verifying_key(path: str | os.PathLike[str]) -> VerifyingKey:
    try:
        return VerifyingKey.from_pem(Path(path).read_bytes())
    except MalformedInputError as e:
        raise MalformedInputError(f"{os.fspath(path)}: {e}") from None


def _pem_bytes(data: bytes | str, what: str) -> bytes:
    if isinstance(data, str):
        try:
            return data.encode("ascii")
        except UnicodeEncodeError:
            raise MalformedInputError(f"{what}: PEM must be ASCII") from None
    if not isinstance(data, bytes):
        raise MalformedInputError(f"{what}: expected PEM bytes or str")
    return data


def _ascii_text(data: bytes | str, where: str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedInputError(f"{where}: not ASCII") from None
    if not isinstance(data, str):
        raise MalformedInputError(f"{where}: expected bytes or str")
    return data
