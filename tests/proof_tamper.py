"""A cheating exchange's edits of a user's proof file (its JSON form, in place), shared by
tests/test_cli_flow.py and the browser verifier's fixtures (web/test/make_fixtures.py), so that
both refuse the same tampering.

Each edit keeps the file well formed; the verifier must refuse it (exit 1).
"""

from __future__ import annotations

from typing import Any

from solvency.crypto import group
from solvency.files.ledger import format_units


def bump_point(hex_point: str) -> str:
    """Another valid point: P + B."""
    return group.add(bytes.fromhex(hex_point), group.BASEPOINT).hex()


def flip_hex(h: str, at: int = 10) -> str:
    """The hex digit at ``at`` changed (still lowercase hex)."""
    return h[:at] + ("0" if h[at] != "0" else "1") + h[at + 1 :]


def tamper_commitment(doc: dict[str, Any]) -> None:
    doc["path"][1]["commitments"][0] = bump_point(doc["path"][1]["commitments"][0])


def tamper_last_commitment(doc: dict[str, Any]) -> None:
    doc["path"][-1]["commitments"][-1] = bump_point(doc["path"][-1]["commitments"][-1])


def tamper_hash(doc: dict[str, Any]) -> None:
    doc["path"][0]["hash"] = flip_hex(doc["path"][0]["hash"])


def tamper_range_proof_replay(doc: dict[str, Any]) -> None:
    # A valid proof of another node: bound to its own (level, index), so refused here.
    doc["path"][1]["range_proof"] = doc["path"][0]["range_proof"]


def tamper_range_proof_bytes(doc: dict[str, Any]) -> None:
    doc["path"][1]["range_proof"] = flip_hex(doc["path"][1]["range_proof"], 70)


def tamper_balance(doc: dict[str, Any]) -> None:
    units = int(doc["balances"][0]["units"]) + 1
    doc["balances"][0]["units"] = str(units)
    doc["balances"][0]["amount"] = format_units(units, doc["assets"][0]["decimals"])
