"""Signed checkpoints of the epoch log: the C2SP ``tlog-checkpoint`` text format inside a C2SP
``signed-note`` (docs/PROTOCOL.md section 9.3).

A checkpoint commits to the log's tree head ``(n, MTH(D[n]))``:

    <origin>\\n
    <tree size, decimal>\\n
    <base64 of the 32-byte root hash>\\n
    [<extension line>\\n ...]
    \\n
    — <key name> <base64(key_id || Ed25519 signature)>\\n
    [more signature lines]

The signed text (the note's body) is everything before the blank line, final newline
included. The Ed25519 key id is ``SHA-256(name || 0x0A || 0x01 || pubkey)[:4]`` (0x01: the
signed-note type of Ed25519). A verifier checks

    Ed25519.Verify(pk, body, sig) == true   for the line whose name is the origin and whose
                                            key id is key_id(origin, pk)

and ignores signature lines of other keys (witnesses, say), as signed-note readers do.

Parsing is strict: UTF-8 without control characters other than newline, no empty or
whitespace-padded origin or extension lines, the size in decimal without leading zeros, the
root hash and signatures in canonical padded standard base64, a key name without spaces or
``+``, no two signature lines of the same key, at most 100 signature lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from solvency.errors import MalformedInputError, VerificationError
from solvency.files.signing import SIGNATURE_BYTES, SigningKey, VerifyingKey

HASH_BYTES = 32
KEY_ID_BYTES = 4
ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
MAX_TREE_SIZE = 2**64 - 1
MAX_SIGNATURES = 100
MAX_CHECKPOINT_BYTES = 64 * 1024
MAX_LINE_CHARS = 1024

_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")
_NAME_RE = re.compile(r"[^\s+]+")
_B64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def key_id(name: str, public_key: VerifyingKey) -> bytes:
    """``SHA-256(name || 0x0A || 0x01 || pubkey)[:4]`` (C2SP signed-note, Ed25519)."""
    check_key_name(name, "key name")
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_TYPE + public_key.raw).digest()[
        :KEY_ID_BYTES
    ]


@dataclass(frozen=True)
class Checkpoint:
    """The note's body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise MalformedInputError("checkpoint tree size: expected an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedInputError(f"checkpoint tree size: must be in 0..{MAX_TREE_SIZE}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_BYTES:
            raise MalformedInputError(f"checkpoint root hash: expected {HASH_BYTES} bytes")
        if not isinstance(self.extensions, tuple):
            raise MalformedInputError("checkpoint extensions: expected a tuple of lines")
        for i, ext in enumerate(self.extensions):
            _check_line(ext, f"checkpoint extension line {i + 1}")

    def body(self) -> bytes:
        """The signed text: one line each, final newline included."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines).encode("utf-8")


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key's name, its 4-byte key id and the 64-byte signature."""

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name, "signature key name")
        if not isinstance(self.key_id, bytes) or len(self.key_id) != KEY_ID_BYTES:
            raise MalformedInputError(f"signature key id: expected {KEY_ID_BYTES} bytes")
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_BYTES:
            raise MalformedInputError(f"signature: expected {SIGNATURE_BYTES} bytes")

    def line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint and its signature lines, as stored in ``LOG_DIR/checkpoint``."""

    checkpoint: Checkpoint
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.checkpoint, Checkpoint):
            raise MalformedInputError("signed checkpoint: expected a Checkpoint")
        if not isinstance(self.signatures, tuple) or not self.signatures:
            raise MalformedInputError("checkpoint: expected at least one signature line")
        if len(self.signatures) > MAX_SIGNATURES:
            raise MalformedInputError(f"checkpoint: more than {MAX_SIGNATURES} signature lines")
        seen: set[tuple[str, bytes]] = set()
        for s in self.signatures:
            if not isinstance(s, NoteSignature):
                raise MalformedInputError("checkpoint: signatures must be NoteSignature")
            if (s.name, s.key_id) in seen:
                raise MalformedInputError(
                    f"checkpoint: two signature lines of key {s.name} {s.key_id.hex()}"
                )
            seen.add((s.name, s.key_id))

    @classmethod
    def sign(cls, checkpoint: Checkpoint, key: SigningKey) -> SignedCheckpoint:
        """Sign with ``key`` under the key name ``checkpoint.origin``."""
        name = checkpoint.origin
        return cls(
            checkpoint,
            (NoteSignature(name, key_id(name, key.verifying_key()), key.sign(checkpoint.body())),),
        )

    def verify(self, public_key: VerifyingKey) -> None:
        """The signature line of ``public_key`` (named as the origin) verifies over the body."""
        name = self.checkpoint.origin
        kid = key_id(name, public_key)
        mine = [s for s in self.signatures if s.name == name and s.key_id == kid]
        if not mine:
            raise VerificationError(
                f"checkpoint: not signed by the given key (no signature line of key "
                f"{name} {kid.hex()})"
            )
        try:
            # Ed25519.Verify(pk, body, sig)
            public_key.verify(mine[0].signature, self.checkpoint.body())
        except VerificationError:
            raise VerificationError(
                "checkpoint: the signature of the given key does not verify"
            ) from None

    def to_bytes(self) -> bytes:
        return (
            self.checkpoint.body()
            + b"\n"
            + "".join(s.line() for s in self.signatures).encode("utf-8")
        )

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "checkpoint") -> SignedCheckpoint:
        """Parse strictly; MalformedInputError names the line at fault."""
        if not isinstance(data, bytes):
            raise MalformedInputError(f"{where}: expected bytes")
        if len(data) > MAX_CHECKPOINT_BYTES:
            raise MalformedInputError(f"{where}: larger than {MAX_CHECKPOINT_BYTES} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedInputError(f"{where}: not UTF-8 (byte {e.start})") from None
        for ch in text:
            if ch != "\n" and (ord(ch) < 0x20 or ord(ch) == 0x7F):
                raise MalformedInputError(
                    f"{where}: contains the control character U+{ord(ch):04X}"
                )
        if not text.endswith("\n"):
            raise MalformedInputError(f"{where}: does not end with a newline")
        body, sep, sigs = text.partition("\n\n")
        if not sep:
            raise MalformedInputError(f"{where}: no blank line before the signatures")
        lines = body.split("\n")
        if len(lines) < 3:
            raise MalformedInputError(
                f"{where}: expected origin, tree size and root hash lines, got {len(lines)}"
            )
        origin, size_text, hash_text, *extensions = lines
        if not _SIZE_RE.fullmatch(size_text):
            raise MalformedInputError(
                f"{where}: line 2: the tree size must be decimal digits without leading zeros"
            )
        size = int(size_text)
        if size > MAX_TREE_SIZE:
            raise MalformedInputError(f"{where}: line 2: tree size larger than 2^64 - 1")
        root_hash = _b64(hash_text, f"{where}: line 3 (root hash)")
        if len(root_hash) != HASH_BYTES:
            raise MalformedInputError(
                f"{where}: line 3: the root hash must be {HASH_BYTES} bytes, got {len(root_hash)}"
            )
        try:
            checkpoint = Checkpoint(origin, size, root_hash, tuple(extensions))
        except MalformedInputError as e:
            raise MalformedInputError(f"{where}: {e}") from None
        signatures = []
        sig_lines = sigs[:-1].split("\n")
        first_sig_line = len(lines) + 2
        for j, line in enumerate(sig_lines):
            signatures.append(_signature_line(line, f"{where}: line {first_sig_line + j}"))
        try:
            return cls(checkpoint, tuple(signatures))
        except MalformedInputError as e:
            raise MalformedInputError(f"{where}: {e}") from None


def _signature_line(line: str, where: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedInputError(f"{where}: a signature line starts with an em dash and a space")
    parts = line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise MalformedInputError(f"{where}: expected '— <key name> <base64 signature>'")
    name, blob_text = parts
    blob = _b64(blob_text, f"{where} (signature)")
    if len(blob) != KEY_ID_BYTES + SIGNATURE_BYTES:
        raise MalformedInputError(
            f"{where}: an Ed25519 signature is {KEY_ID_BYTES} + {SIGNATURE_BYTES} bytes, "
            f"got {len(blob)}"
        )
    try:
        return NoteSignature(name, blob[:KEY_ID_BYTES], blob[KEY_ID_BYTES:])
    except MalformedInputError as e:
        raise MalformedInputError(f"{where}: {e}") from None


def _b64(text: str, where: str) -> bytes:
    """Standard padded base64, canonical (re-encoding gives the same text)."""
    if not _B64_RE.fullmatch(text) or len(text) % 4:
        raise MalformedInputError(f"{where}: not padded standard base64")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise MalformedInputError(f"{where}: not padded standard base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedInputError(f"{where}: not canonical base64")
    return raw


def _check_line(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedInputError(f"{where}: expected a non-empty line")
    if value != value.strip() or "\n" in value:
        raise MalformedInputError(f"{where}: no surrounding spaces or newlines allowed")
    if len(value) > MAX_LINE_CHARS:
        raise MalformedInputError(f"{where}: longer than {MAX_LINE_CHARS} characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise MalformedInputError(f"{where}: contains a control character")
    if value.startswith(SIGNATURE_PREFIX.strip()):
        raise MalformedInputError(f"{where}: must not start with an em dash")
    return value


def check_key_name(value: object, where: str) -> str:
    """A signed-note key name: non-empty, no Unicode spaces, no '+', no control characters."""
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected a non-empty name without spaces or '+'")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise MalformedInputError(f"{where}: contains a control character")
    return value
