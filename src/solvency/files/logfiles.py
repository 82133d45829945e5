"""The epoch log's entries and JSON files (docs/PROTOCOL.md section 9).

- ``log_entry``: the bytes ``d_i`` of one log entry, an epoch's signed root file,

      d_i = b"solvency/v1/log-entry" || LE32(len(root_json)) || root_json || sig

  where ``root_json`` are the exact bytes of ``public/root.json`` and ``sig`` the 64-byte
  Ed25519 signature of ``root.json.sig``; the leaf hash is RFC 9162's ``SHA-256(0x00 || d_i)``.
- ``LogConfig``: ``LOG_DIR/log.json``, the log's origin and the public key pinned at its
  creation (every root appended and every checkpoint is signed by it).
- ``LogInclusionProof``: ``PATH(m, D[n])`` for the epoch at leaf ``m`` of the tree of size ``n``,
  with the root's signature so the entry can be rebuilt from ``root.json``.
- ``LogConsistencyProof``: ``PROOF(m, D[n])`` from size ``m`` to size ``n``.

The JSON files are parsed strictly as in ``solvency.files.formats`` (unknown, missing or
duplicate keys, wrong types, non-lowercase hex refused; ``version`` other than 1 is
UnsupportedVersionError); their schemas are in ``schemas/``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from solvency.errors import MalformedInputError
from solvency.files.checkpoint import MAX_TREE_SIZE, check_key_name
from solvency.files.formats import (
    _build,
    _check_epoch,
    _check_int,
    _decode_json,
    _field,
    _header,
    _hex,
    _Json,
    _list,
    _object,
    _str,
)
from solvency.files.signing import PUBLIC_KEY_BYTES, SIGNATURE_BYTES, VerifyingKey

LOG_ENTRY_TAG = b"solvency/v1/log-entry"
LOG_FORMAT = "solvency-log"
LOG_INCLUSION_FORMAT = "solvency-log-inclusion-proof"
LOG_CONSISTENCY_FORMAT = "solvency-log-consistency-proof"
HASH_BYTES = 32
#: An inclusion path has at most 64 hashes, a consistency path at most 2 * 64.
MAX_PATH = 128
MAX_ROOT_JSON_BYTES = 2**32 - 1


def log_entry(root_json: bytes, signature: bytes) -> bytes:
    """``b"solvency/v1/log-entry" || LE32(len(root_json)) || root_json || sig``."""
    if not isinstance(root_json, bytes) or not 0 < len(root_json) <= MAX_ROOT_JSON_BYTES:
        raise MalformedInputError("log entry: root.json must be non-empty bytes")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise MalformedInputError(f"log entry: the signature must be {SIGNATURE_BYTES} bytes")
    return LOG_ENTRY_TAG + struct.pack("<I", len(root_json)) + root_json + signature


def split_log_entry(entry: bytes, where: str = "log entry") -> tuple[bytes, bytes]:
    """The ``(root_json, signature)`` of an entry; every byte must be accounted for."""
    if not isinstance(entry, bytes) or not entry.startswith(LOG_ENTRY_TAG):
        raise MalformedInputError(f"{where}: does not start with {LOG_ENTRY_TAG.decode()}")
    rest = entry[len(LOG_ENTRY_TAG) :]
    if len(rest) < 4:
        raise MalformedInputError(f"{where}: truncated")
    (n,) = struct.unpack("<I", rest[:4])
    if len(rest) != 4 + n + SIGNATURE_BYTES or n == 0:
        raise MalformedInputError(f"{where}: length field does not match the entry's size")
    return rest[4 : 4 + n], rest[4 + n :]


def _check_origin(value: object, where: str) -> str:
    # The origin doubles as the checkpoint's key name (no spaces, no '+').
    if not isinstance(value, str):
        raise MalformedInputError(f"{where}: expected a string")
    check_key_name(value, where)
    if len(value) > 256:
        raise MalformedInputError(f"{where}: longer than 256 characters")
    return value


def _check_path(value: object, where: str) -> tuple[bytes, ...]:
    if not isinstance(value, tuple):
        raise MalformedInputError(f"{where}: expected a tuple of hashes")
    if len(value) > MAX_PATH:
        raise MalformedInputError(f"{where}: more than {MAX_PATH} hashes")
    for i, h in enumerate(value):
        if not isinstance(h, bytes) or len(h) != HASH_BYTES:
            raise MalformedInputError(f"{where}[{i}]: expected {HASH_BYTES} bytes")
    return value


def _path_json(value: object, where: str) -> tuple[bytes, ...]:
    items = _list(value, where)
    if len(items) > MAX_PATH:
        raise MalformedInputError(f"{where}: more than {MAX_PATH} hashes")
    return tuple(_hex(h, f"{where}[{i}]", HASH_BYTES) for i, h in enumerate(items))


@dataclass(frozen=True)
class LogConfig(_Json):
    """``LOG_DIR/log.json``: the log's origin and its pinned Ed25519 public key."""

    origin: str
    public_key: bytes

    KEYS = ("format", "version", "origin", "public_key")

    def __post_init__(self) -> None:
        _check_origin(self.origin, "origin")
        if not isinstance(self.public_key, bytes) or len(self.public_key) != PUBLIC_KEY_BYTES:
            raise MalformedInputError(f"public_key: expected {PUBLIC_KEY_BYTES} bytes")
        VerifyingKey(self.public_key)

    def verifying_key(self) -> VerifyingKey:
        return VerifyingKey(self.public_key)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LOG_FORMAT,
            "version": 1,
            "origin": self.origin,
            "public_key": self.public_key.hex(),
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> LogConfig:
        _header(obj, where, LOG_FORMAT)
        d = _object(obj, where, cls.KEYS)
        origin = _str(d["origin"], _field(where, "origin"))
        key = _hex(d["public_key"], _field(where, "public_key"), PUBLIC_KEY_BYTES)
        return _build(where, lambda: cls(origin=origin, public_key=key))

    @classmethod
    def loads(cls, data: bytes | str) -> LogConfig:
        return cls.from_json(_decode_json(data))


@dataclass(frozen=True)
class LogInclusionProof(_Json):
    """The epoch ``epoch`` is entry ``leaf_index`` of the log's tree of size ``tree_size``."""

    origin: str
    epoch: str
    leaf_index: int
    tree_size: int
    root_signature: bytes
    path: tuple[bytes, ...]

    KEYS = (
        "format",
        "version",
        "origin",
        "epoch",
        "leaf_index",
        "tree_size",
        "root_signature",
        "path",
    )

    def __post_init__(self) -> None:
        _check_origin(self.origin, "origin")
        _check_epoch(self.epoch, "epoch")
        _check_int(self.tree_size, "tree_size", 1, MAX_TREE_SIZE)
        _check_int(self.leaf_index, "leaf_index", 0, self.tree_size - 1)
        if not isinstance(self.root_signature, bytes) or len(self.root_signature) != 64:
            raise MalformedInputError(f"root_signature: expected {SIGNATURE_BYTES} bytes")
        _check_path(self.path, "path")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LOG_INCLUSION_FORMAT,
            "version": 1,
            "origin": self.origin,
            "epoch": self.epoch,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "root_signature": self.root_signature.hex(),
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> LogInclusionProof:
        _header(obj, where, LOG_INCLUSION_FORMAT)
        d = _object(obj, where, cls.KEYS)
        origin = _str(d["origin"], _field(where, "origin"))
        sig = _hex(d["root_signature"], _field(where, "root_signature"), SIGNATURE_BYTES)
        path = _path_json(d["path"], _field(where, "path"))
        return _build(
            where,
            lambda: cls(
                origin=origin,
                epoch=d["epoch"],
                leaf_index=d["leaf_index"],
                tree_size=d["tree_size"],
                root_signature=sig,
                path=path,
            ),
        )

    @classmethod
    def loads(cls, data: bytes | str) -> LogInclusionProof:
        return cls.from_json(_decode_json(data))


@dataclass(frozen=True)
class LogConsistencyProof(_Json):
    """The log's tree of size ``second_size`` extends its tree of size ``first_size``."""

    origin: str
    first_size: int
    second_size: int
    path: tuple[bytes, ...]

    KEYS = ("format", "version", "origin", "first_size", "second_size", "path")

    def __post_init__(self) -> None:
        _check_origin(self.origin, "origin")
        _check_int(self.second_size, "second_size", 0, MAX_TREE_SIZE)
        _check_int(self.first_size, "first_size", 0, self.second_size)
        _check_path(self.path, "path")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LOG_CONSISTENCY_FORMAT,
            "version": 1,
            "origin": self.origin,
            "first_size": self.first_size,
            "second_size": self.second_size,
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> LogConsistencyProof:
        _header(obj, where, LOG_CONSISTENCY_FORMAT)
        d = _object(obj, where, cls.KEYS)
        origin = _str(d["origin"], _field(where, "origin"))
        path = _path_json(d["path"], _field(where, "path"))
        return _build(
            where,
            lambda: cls(
                origin=origin,
                first_size=d["first_size"],
                second_size=d["second_size"],
                path=path,
            ),
        )

    @classmethod
    def loads(cls, data: bytes | str) -> LogConsistencyProof:
        return cls.from_json(_decode_json(data))
