"""Ethereum and EVM signed messages: EIP-191 ``personal_sign`` and EIP-55 addresses
(docs/PROTOCOL.md section 11.4).

Relation checked: for a message ``m`` (UTF-8 bytes) and a 65-byte signature ``(r, s, v)``,

    z = keccak256(b"\\x19Ethereum Signed Message:\\n" || ascii(len(m)) || m)
    Q = Recover(z, r, s, v - 27)            (v in {27, 28}; 0 and 1 are read as 27 and 28)
    address == keccak256(Q_x || Q_y)[12:32]

Recovery and hashing are eth-account's (``encode_defunct``, ``Account.recover_message``).
An address in mixed case must carry a valid EIP-55 checksum; all-lowercase and
all-uppercase addresses carry none and are accepted as written. Public data only.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

from solvency.errors import MalformedInputError, VerificationError

SIGNATURE_BYTES = 65
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE_RE = re.compile(r"0x[0-9a-f]{130}")


@functools.cache
def _eth() -> Any:
    """eth-account, imported on first use (it costs a few hundred ms).

    Importing it imports py-ecc, which raises the interpreter's recursion limit to 100000 for
    its pairing code; with that limit a deeply nested JSON document crashes the process (a C
    stack overflow in ``json``) instead of raising RecursionError, which our strict parsers turn
    into a clean error. We restore the limit: nothing we call from eth-account recurses deeply.
    """
    limit = sys.getrecursionlimit()
    try:
        import eth_account
        import eth_account.messages
        import eth_utils.address
    finally:
        sys.setrecursionlimit(limit)
    return eth_account, eth_account.messages, eth_utils.address


def check_address(address: str) -> str:
    """The address in lowercase, after checking its form and, when mixed-case, its EIP-55
    checksum; VerificationError otherwise (fail closed)."""
    if not isinstance(address, str) or not _ADDRESS_RE.fullmatch(address):
        raise VerificationError("unknown address type: not 0x and 40 hex digits")
    body = address[2:]
    mixed = body != body.lower() and body != body.upper()
    # EIP-55: the case of each letter is a bit of keccak256(lowercase hex address).
    if mixed and _eth()[2].to_checksum_address(address) != address:
        raise VerificationError("EIP-55 checksum does not match (mixed-case address)")
    return address.lower()


def parse_signature(text: str, where: str = "signature") -> bytes:
    """``0x`` and 130 lowercase hex digits: r || s || v, v in {0, 1, 27, 28}."""
    if not isinstance(text, str) or not _SIGNATURE_RE.fullmatch(text):
        raise MalformedInputError(f"{where}: expected 0x and 130 lowercase hex digits")
    raw = bytes.fromhex(text[2:])
    if raw[64] not in (0, 1, 27, 28):
        raise MalformedInputError(f"{where}: v is {raw[64]}, not 27 or 28")
    return raw


def recover_address(message: bytes, signature: bytes) -> str:
    """The lowercase address whose key made ``signature`` over ``message`` (EIP-191 v0x45)."""
    if len(signature) != SIGNATURE_BYTES:
        raise MalformedInputError(f"signature: expected {SIGNATURE_BYTES} bytes")
    v = signature[64]
    sig = signature[:64] + bytes([v + 27 if v < 27 else v])
    try:
        eth, messages, _ = _eth()
        recovered = eth.Account.recover_message(
            messages.encode_defunct(primitive=message), signature=sig
        )
    except Exception as exc:  # eth-account raises several types for unrecoverable signatures
        raise VerificationError("the signature recovers no public key") from exc
    return str(recovered).lower()


def sign_message(secret: bytes, message: bytes) -> str:
    """An EIP-191 signature as a wallet makes it (eth-account; for examples and tests)."""
    eth, messages, _ = _eth()
    signed = eth.Account.sign_message(
        messages.encode_defunct(primitive=message), private_key=secret
    )
    return "0x" + bytes(signed.signature).hex()


def address_of(secret: bytes) -> str:
    """The EIP-55 checksummed address of a secret key (eth-account)."""
    return str(_eth()[0].Account.from_key(secret).address)
