"""Where the exchange's keys live and how commands find them.

``solvency init`` makes a key directory (default ``./solvency-keys``) holding

    master.key    the master secret of section 3 (64 hex digits, mode 0600)
    signing.key   the Ed25519 private key that signs root.json (PKCS#8 PEM, mode 0600)
    signing.pub   its public key (SubjectPublicKeyInfo PEM), for users and auditors

Commands take ``--keys DIR`` or the single files (``--master-key``, ``--signing-key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from solvency.crypto.group import Rng
from solvency.errors import VerificationError
from solvency.files import secure_io, signing

DEFAULT_KEYS_DIR = Path("solvency-keys")
MASTER_KEY = "master.key"
SIGNING_KEY = "signing.key"
PUBLIC_KEY = "signing.pub"


@dataclass(frozen=True)
class KeyPaths:
    master: Path
    signing: Path
    public: Path

    @classmethod
    def in_dir(cls, directory: Path) -> KeyPaths:
        return cls(directory / MASTER_KEY, directory / SIGNING_KEY, directory / PUBLIC_KEY)


@dataclass(frozen=True)
class CreatedKeys:
    paths: KeyPaths
    fingerprint: str


def create_keys(directory: Path, force: bool = False, rng: Rng | None = None) -> CreatedKeys:
    """Write a fresh master secret and signing key pair into ``directory``.

    Without ``force`` nothing is written when any of the three files exists.
    """
    paths = KeyPaths.in_dir(directory)
    if not force:
        for p in (paths.master, paths.signing, paths.public):
            if p.exists():
                raise signing.SecretFileExistsError(
                    f"{p}: already exists; refusing to overwrite it (use --force)"
                )
    secure_io.make_dir(directory, private=True)
    sk, pk = signing.generate_keypair(rng)
    signing.save_master_secret(paths.master, signing.generate_master_secret(rng), overwrite=force)
    signing.save_signing_key(paths.signing, sk, overwrite=force)
    write_public_file(paths.public, pk.to_pem())
    return CreatedKeys(paths, pk.fingerprint())


def write_public_file(path: Path, data: bytes) -> None:
    """Write a public file atomically (mode 0644): readers never see half of it."""
    secure_io.write_atomic(path, data, private=False, overwrite=True)


def master_key_path(keys: Path | None, master_key: Path | None) -> Path:
    """``--master-key FILE``, else ``--keys DIR/master.key`` (default key directory)."""
    if keys is not None and master_key is not None:
        raise click.UsageError("give --keys or --master-key, not both")
    if master_key is not None:
        return master_key
    return KeyPaths.in_dir(keys if keys is not None else DEFAULT_KEYS_DIR).master


def signing_paths(
    keys: Path | None, master_key: Path | None, signing_key: Path | None
) -> tuple[Path, Path]:
    """(master key, signing key) from ``--keys DIR`` or ``--master-key`` + ``--signing-key``."""
    if keys is not None and (master_key is not None or signing_key is not None):
        raise click.UsageError("give --keys, or --master-key with --signing-key, not both")
    if (master_key is None) != (signing_key is None):
        raise click.UsageError("--master-key and --signing-key go together")
    if master_key is not None and signing_key is not None:
        return master_key, signing_key
    paths = KeyPaths.in_dir(keys if keys is not None else DEFAULT_KEYS_DIR)
    return paths.master, paths.signing


@dataclass(frozen=True)
class RootSignature:
    """The exchange's key and its detached signature over root.json, read but not checked.

    Reading (``load``) fails on unreadable or malformed files (exit 2); ``check`` fails with
    VerificationError (exit 1) when the signature does not verify.
    """

    key: signing.VerifyingKey
    signature: bytes
    root_path: Path
    pubkey_path: Path

    @classmethod
    def load(cls, root_path: Path, pubkey_path: Path, sig_path: Path | None) -> RootSignature:
        """``sig_path`` defaults to ``<root>.sig`` beside root.json."""
        sig_file = (
            sig_path if sig_path is not None else root_path.with_name(root_path.name + ".sig")
        )
        return cls(
            key=signing.load_verifying_key(pubkey_path),
            signature=signing.decode_signature(sig_file.read_bytes(), str(sig_file)),
            root_path=root_path,
            pubkey_path=pubkey_path,
        )

    def check(self, root_bytes: bytes) -> str:
        """Verify the signature over the exact bytes of root.json; return the key's fingerprint."""
        try:
            self.key.verify(self.signature, root_bytes)
        except VerificationError:
            raise VerificationError(
                f"signature: {self.root_path} is not signed by the key in {self.pubkey_path}"
            ) from None
        return self.key.fingerprint()
