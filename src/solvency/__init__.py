"""solvency: zero-knowledge proofs of solvency for crypto exchanges.

The stable public API is re-exported here by name (``from solvency import RangeProof``); each
name is imported on first use, so that ``import solvency`` (and ``solvency --version``) stays
cheap. The layers underneath are ``solvency.crypto``, ``solvency.files``,
``solvency.circuits``, ``solvency.epoch`` and ``solvency.cli`` (README, "Layers").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; the only place the public API is listed.
_PUBLIC: dict[str, str] = {
    "RangeProof": "solvency.crypto.bulletproofs",
    "verify_batch": "solvency.crypto.bulletproofs",
    "Transcript": "solvency.crypto.transcript",
    "PedersenGens": "solvency.crypto.pedersen",
    "SolvencyError": "solvency.errors",
    "VerificationError": "solvency.errors",
    "MalformedInputError": "solvency.errors",
    "UnsupportedVersionError": "solvency.errors",
    "InvalidParameterError": "solvency.errors",
    "LibsodiumMissingError": "solvency.errors",
}

__all__ = [
    "InvalidParameterError",
    "LibsodiumMissingError",
    "MalformedInputError",
    "PedersenGens",
    "RangeProof",
    "SolvencyError",
    "Transcript",
    "UnsupportedVersionError",
    "VerificationError",
    "__version__",
    "verify_batch",
]

if TYPE_CHECKING:
    from solvency.crypto.bulletproofs import RangeProof, verify_batch
    from solvency.crypto.pedersen import PedersenGens
    from solvency.crypto.transcript import Transcript
    from solvency.errors import (
        InvalidParameterError,
        LibsodiumMissingError,
        MalformedInputError,
        SolvencyError,
        UnsupportedVersionError,
        VerificationError,
    )


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'solvency' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
