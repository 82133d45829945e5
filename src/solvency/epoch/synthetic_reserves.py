"""A synthetic reserves file signed with fresh keys, for ``solvency demo`` and benchmarks.

The signatures are made the way wallets make them (BIP-137 through libsecp256k1 via coincurve,
EIP-191 through eth-account). BTC is spread over a P2WPKH, a P2SH-P2WPKH and a 2-of-3 P2WSH
address; every other asset sits at one Ethereum address (as a token there), and the last asset
also has a custodial row, reported apart. The keys are thrown away: nothing here holds funds.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import replace

import coincurve

from solvency.crypto import btc_address, btc_message, evm_message
from solvency.files.ledger import AssetSpec, format_units
from solvency.files.reserves import ReserveRow, ReservesFile, ownership_message

_NET = btc_address.NETWORKS["bitcoin"]
_BTC = (930_000, hashlib.sha256(b"synthetic bitcoin block").hexdigest())
_ETH = (23_900_000, hashlib.sha256(b"synthetic ethereum block").hexdigest())


def _key() -> bytes:
    while True:
        k = secrets.token_bytes(32)
        try:
            coincurve.PrivateKey(k)
        except ValueError:  # 0 or >= n: draw again
            continue
        return k


def _pub(k: bytes) -> bytes:
    return coincurve.PrivateKey(k).public_key.format(compressed=True)


def synthetic_reserves(
    exchange: str,
    epoch: str,
    root_hash: bytes,
    assets: Sequence[AssetSpec],
    units: Sequence[int],
    custodial_units: int = 0,
) -> ReservesFile:
    """Rows holding ``units[k]`` of each asset (key-proven), signed for this epoch's root."""
    m = ownership_message(exchange, epoch, root_hash)
    msg = m.encode()
    rows: list[ReserveRow] = []
    for k, (a, u) in enumerate(zip(assets, units, strict=True)):
        if a.symbol == "BTC":
            parts = [u // 2, u // 5, u - u // 2 - u // 5]
            for kind, part in zip(("p2wpkh", "p2sh-p2wpkh"), parts[:2], strict=True):
                key = _key()
                header = btc_message.P2WPKH if kind == "p2wpkh" else btc_message.P2SH_P2WPKH
                address = btc_address.key_address(_pub(key), kind)
                rows.append(
                    ReserveRow(
                        a.symbol, "bitcoin", btc_address.encode_address(address, _NET),
                        format_units(part, a.decimals), *_BTC, "bip137", m,
                        (btc_message.sign_message(key, msg, header),), "",
                    )
                )  # fmt: skip
            keys = [_key() for _ in range(3)]
            script = btc_address.multisig_script(2, [_pub(x) for x in keys])
            address = btc_address.script_address(script, btc_address.P2WSH)
            rows.append(
                ReserveRow(
                    a.symbol, "bitcoin", btc_address.encode_address(address, _NET),
                    format_units(parts[2], a.decimals), *_BTC, "multisig", m,
                    tuple(btc_message.sign_message(x, msg) for x in keys[:2]), script.hex(),
                )
            )  # fmt: skip
        else:
            key = _key()
            rows.append(
                ReserveRow(
                    a.symbol, "ethereum", evm_message.address_of(key),
                    format_units(u, a.decimals), *_ETH, "eip191", m,
                    (evm_message.sign_message(key, msg),), "",
                )
            )  # fmt: skip
        if k == len(assets) - 1 and custodial_units:
            rows.append(
                ReserveRow(
                    a.symbol, "ethereum", "custodian:demo-trust",
                    format_units(custodial_units, a.decimals), *_ETH, "custodial", "", (), "",
                )
            )  # fmt: skip
    return ReservesFile(tuple(replace(r, row=i + 1) for i, r in enumerate(rows)))
