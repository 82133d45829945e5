"""Wallet-side helpers for the reserves tests: fresh keys and rows signed the way wallets sign
(Bitcoin messages through libsecp256k1 via coincurve, EIP-191 through eth-account)."""

from __future__ import annotations

import hashlib
import importlib
import secrets
import sys
from dataclasses import replace
from types import ModuleType

import coincurve

from solvency.crypto import btc_address, btc_message, evm_message
from solvency.files.reserves import ReserveRow

NET = btc_address.NETWORKS["bitcoin"]
BTC_BLOCK = hashlib.sha256(b"test bitcoin block").hexdigest()
ETH_BLOCK = hashlib.sha256(b"test ethereum block").hexdigest()


def py_ecc_secp256k1() -> ModuleType:
    """py-ecc's secp256k1 (the second implementation). Importing py-ecc raises the recursion
    limit to 100000 for its pairings; it is put back, so that the JSON parsers' deep-nesting
    tests in this process still get RecursionError rather than a C stack overflow."""
    limit = sys.getrecursionlimit()
    try:
        return importlib.import_module("py_ecc.secp256k1.secp256k1")
    finally:
        sys.setrecursionlimit(limit)


def new_key() -> bytes:
    """A fresh secp256k1 secret key (coincurve refuses 0 and values >= n)."""
    while True:
        k = secrets.token_bytes(32)
        try:
            coincurve.PrivateKey(k)
        except ValueError:
            continue
        return k


def pub(secret: bytes, compressed: bool = True) -> bytes:
    return coincurve.PrivateKey(secret).public_key.format(compressed=compressed)


def btc_row(
    message: str,
    kind: str = "p2wpkh",
    balance: str = "1.5",
    asset: str = "BTC",
    secret: bytes | None = None,
    signer: bytes | None = None,
) -> ReserveRow:
    """A bip137 row: address of ``secret`` of ``kind``, signed by ``signer`` (default: the
    same key) with the header wallets use for that kind."""
    k = secret or new_key()
    compressed = kind != "p2pkh-uncompressed"
    addr_kind = "p2pkh" if kind.startswith("p2pkh") else kind
    address = btc_address.encode_address(
        btc_address.key_address(pub(k, compressed), addr_kind), NET
    )
    header = {
        "p2pkh-uncompressed": btc_message.P2PKH_UNCOMPRESSED,
        "p2pkh": btc_message.P2PKH,
        "p2sh-p2wpkh": btc_message.P2SH_P2WPKH,
        "p2wpkh": btc_message.P2WPKH,
    }[kind]
    sig = btc_message.sign_message(signer or k, message.encode(), header)
    return ReserveRow(
        asset, "bitcoin", address, balance, 900_000, BTC_BLOCK, "bip137", message, (sig,), ""
    )


def multisig_row(
    message: str,
    m: int,
    n: int,
    signing: int,
    kind: str = "p2wsh",
    balance: str = "2",
    outsider: bool = False,
) -> ReserveRow:
    """An m-of-n multisig row signed by the first ``signing`` keys (plus, with ``outsider``,
    one key that is not in the script)."""
    keys = [new_key() for _ in range(n)]
    script = btc_address.multisig_script(m, [pub(k) for k in keys])
    address = btc_address.encode_address(btc_address.script_address(script, kind), NET)
    sigs = [btc_message.sign_message(k, message.encode()) for k in keys[:signing]]
    if outsider:
        sigs.append(btc_message.sign_message(new_key(), message.encode()))
    return ReserveRow(
        "BTC",
        "bitcoin",
        address,
        balance,
        900_000,
        BTC_BLOCK,
        "multisig",
        message,
        tuple(sigs),
        script.hex(),
    )


def eth_row(
    message: str,
    asset: str = "ETH",
    balance: str = "10",
    secret: bytes | None = None,
    signer: bytes | None = None,
) -> ReserveRow:
    k = secret or new_key()
    sig = evm_message.sign_message(signer or k, message.encode())
    return ReserveRow(
        asset,
        "ethereum",
        evm_message.address_of(k),
        balance,
        20_000_000,
        ETH_BLOCK,
        "eip191",
        message,
        (sig,),
        "",
    )


def custodial_row(asset: str = "USDT", balance: str = "5") -> ReserveRow:
    return ReserveRow(
        asset, "ethereum", "custodian:test", balance, 20_000_000, ETH_BLOCK, "custodial", "", (), ""
    )


def numbered(rows: list[ReserveRow]) -> tuple[ReserveRow, ...]:
    return tuple(replace(r, row=i + 1) for i, r in enumerate(rows))
