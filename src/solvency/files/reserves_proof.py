"""``solvency.json``: the signed proof that reserves cover liabilities (docs/PROTOCOL.md 11.7).

One document per epoch: the epoch, its root hash, the exchange name of the reserves file's
ownership messages, the SHA-256 of the reserves file's bytes, the minimum ratio ``k`` (percent),
how the liability commitment ``C_a`` is taken from the root (``root-commitment`` for v1 roots,
``equity-minus-debt`` for margin roots),
and per asset of the root, in the root's order: the key-proven reserves ``R_a``, the custodial
total (reported, never part of ``R_a``), ``C_hi`` and the range proof of
``circuits.coverage``. The exchange signs the canonical bytes (``solvency.json.sig``, Ed25519,
the same key and format as ``root.json.sig``). Schema: ``schemas/reserves-proof-v1.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from solvency.crypto import group
from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files import formats

FORMAT = "solvency-reserves-proof"
VERSION = 1
LIABILITIES_ROOT = "root-commitment"
#: A margin root's C_a = E_a(root) - F_a(root): total equity minus total debt (section 10).
LIABILITIES_NET = "equity-minus-debt"
_MAX_UNITS = 2**64 - 1


@dataclass(frozen=True)
class AssetCover:
    symbol: str
    reserves_units: int
    custodial_units: int
    C_hi: bytes
    proof: bytes

    def __post_init__(self) -> None:
        for name in ("reserves_units", "custodial_units"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= _MAX_UNITS:
                raise MalformedInputError(f"{self.symbol}.{name}: expected units in [0, 2^64)")
        if not group.is_valid_point(self.C_hi):
            raise MalformedInputError(f"{self.symbol}.C_hi: not a canonical ristretto255 point")
        if len(self.proof) % 32 or not 7 * 32 <= len(self.proof) <= 64 * 32:
            raise MalformedInputError(f"{self.symbol}.proof: not a range proof's length")

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "reserves_units": str(self.reserves_units),
            "custodial_units": str(self.custodial_units),
            "C_hi": self.C_hi.hex(),
            "proof": self.proof.hex(),
        }


@dataclass(frozen=True)
class ReservesProofFile:
    """The parsed ``solvency.json``."""

    SCHEMA: ClassVar[str] = "reserves-proof-v1.json"

    epoch: str
    root_hash: bytes
    exchange: str
    created: str
    tool: str
    min_ratio_percent: int
    reserves_sha256: bytes
    assets: tuple[AssetCover, ...]
    liabilities: str = LIABILITIES_ROOT

    def __post_init__(self) -> None:
        symbols = [a.symbol for a in self.assets]
        if len(set(symbols)) != len(symbols):
            raise MalformedInputError("assets: a symbol appears twice")
        formats.check_shape(self.to_json(), self.SCHEMA)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "epoch": self.epoch,
            "root_hash": self.root_hash.hex(),
            "exchange": self.exchange,
            "created": self.created,
            "tool": self.tool,
            "liabilities": self.liabilities,
            "min_ratio_percent": self.min_ratio_percent,
            "reserves_sha256": self.reserves_sha256.hex(),
            "assets": [a.to_json() for a in self.assets],
        }

    def dumps(self) -> bytes:
        """Canonical bytes (keys sorted, indent 2, UTF-8, final newline): what is signed."""
        text = json.dumps(self.to_json(), sort_keys=True, indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")

    @classmethod
    def loads(cls, data: bytes | str) -> ReservesProofFile:
        obj = formats.decode_json(data)
        if isinstance(obj, dict) and obj.get("format") == FORMAT:
            v = obj.get("version")
            if isinstance(v, int) and not isinstance(v, bool) and v != VERSION:
                raise UnsupportedVersionError(
                    f"version: {FORMAT} version {v} is not supported (this release reads "
                    f"version {VERSION})"
                )
        formats.check_shape(obj, cls.SCHEMA)
        d: dict[str, Any] = obj  # type: ignore[assignment]
        assets = []
        for i, a in enumerate(d["assets"]):
            try:
                assets.append(
                    AssetCover(
                        symbol=a["symbol"],
                        reserves_units=int(a["reserves_units"]),
                        custodial_units=int(a["custodial_units"]),
                        C_hi=bytes.fromhex(a["C_hi"]),
                        proof=bytes.fromhex(a["proof"]),
                    )
                )
            except MalformedInputError as e:
                raise MalformedInputError(f"assets[{i}]: {e}") from None
        return cls(
            epoch=d["epoch"],
            root_hash=bytes.fromhex(d["root_hash"]),
            exchange=d["exchange"],
            created=d["created"],
            tool=d["tool"],
            min_ratio_percent=d["min_ratio_percent"],
            reserves_sha256=bytes.fromhex(d["reserves_sha256"]),
            assets=tuple(assets),
            liabilities=d["liabilities"],
        )
