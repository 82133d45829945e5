#!/usr/bin/env python3
"""Make an example reserves file, signed with real (public!) test keys, for an epoch's root.

    python examples/make_reserves.py EPOCH_DIR/public/root.json --out-dir DIR \\
        [--exchange "Example Exchange"] [--scale PERCENT]

writes DIR/reserves.csv (docs/PROTOCOL.md section 11.2) and DIR/balances.csv, the snapshot an
auditor would export from their own nodes (``solvency reserves verify --balances``).

The keys are derived from fixed labels (SHA-256 of ``solvency example key: <label>``), so
anyone can re-create them: they are test keys and must never hold funds. The signatures are
made as wallets make them: Bitcoin signed messages through libsecp256k1 (coincurve,
RFC 6979), EIP-191 through eth-account. The rows cover every scheme: P2PKH, P2SH-P2WPKH and
P2WPKH (bip137), a 2-of-3 P2SH and a 2-of-3 P2WSH (multisig), two Ethereum addresses
(eip191, one holding ETH and USDT) and a custodial USDT balance. The balances exceed the
totals of examples/ledger.csv; ``--scale`` multiplies them (percent, e.g. 50 to fall short).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from decimal import Decimal
from pathlib import Path

import coincurve

from solvency.crypto import btc_address, btc_message, evm_message
from solvency.files.reserves import (
    SNAPSHOT_COLUMNS,
    ReserveRow,
    ReservesFile,
    ownership_message,
)

BTC_HEIGHT, BTC_BLOCK = 930_000, hashlib.sha256(b"example bitcoin block").hexdigest()
ETH_HEIGHT, ETH_BLOCK = 23_900_000, hashlib.sha256(b"example ethereum block").hexdigest()
NET = btc_address.NETWORKS["bitcoin"]


def key(label: str) -> bytes:
    """A test key anyone can re-create: never send funds to its addresses."""
    return hashlib.sha256(b"solvency example key: " + label.encode()).digest()


def pub(secret: bytes) -> bytes:
    return coincurve.PrivateKey(secret).public_key.format(compressed=True)


def amount(text: str, scale: int, decimals: int) -> str:
    value = (Decimal(text) * scale / 100).quantize(Decimal(1).scaleb(-decimals))
    return f"{value:f}"


def rows(message: str, scale: int) -> list[ReserveRow]:
    m = message.encode()
    out: list[ReserveRow] = []

    def btc(address: str, balance: str, scheme: str, sigs: list[str], script: str = "") -> None:
        out.append(
            ReserveRow(
                "BTC",
                "bitcoin",
                address,
                amount(balance, scale, 8),
                BTC_HEIGHT,
                BTC_BLOCK,
                scheme,
                message,
                tuple(sigs),
                script,
            )
        )

    def eth(asset: str, decimals: int, address: str, balance: str, sig: str) -> None:
        out.append(
            ReserveRow(
                asset,
                "ethereum",
                address,
                amount(balance, scale, decimals),
                ETH_HEIGHT,
                ETH_BLOCK,
                "eip191",
                message,
                (sig,),
                "",
            )
        )

    k = key("btc p2pkh")
    a = btc_address.encode_address(btc_address.key_address(pub(k), "p2pkh"), NET)
    btc(a, "40.5", "bip137", [btc_message.sign_message(k, m, btc_message.P2PKH)])
    k = key("btc p2sh-p2wpkh")
    a = btc_address.encode_address(btc_address.key_address(pub(k), "p2sh-p2wpkh"), NET)
    btc(a, "20.25", "bip137", [btc_message.sign_message(k, m, btc_message.P2SH_P2WPKH)])
    k = key("btc p2wpkh")
    a = btc_address.encode_address(btc_address.key_address(pub(k), "p2wpkh"), NET)
    btc(a, "31", "bip137", [btc_message.sign_message(k, m, btc_message.P2WPKH)])
    for kind in ("p2sh", "p2wsh"):
        ks = [key(f"btc {kind} multisig {i}") for i in range(3)]
        script = btc_address.multisig_script(2, [pub(s) for s in ks])
        a = btc_address.encode_address(btc_address.script_address(script, kind), NET)
        sigs = [btc_message.sign_message(s, m) for s in ks[:2]]  # 2 of the 3 keys sign
        btc(a, "35" if kind == "p2sh" else "33.125", "multisig", sigs, script.hex())
    for i, (eth_bal, usdt_bal) in enumerate((("1500", "2000000"), ("900.5", "1700000"))):
        k = key(f"eth {i}")
        a = evm_message.address_of(k)
        sig = evm_message.sign_message(k, m)
        eth("ETH", 9, a, eth_bal, sig)
        eth("USDT", 6, a, usdt_bal, sig)
    out.append(
        ReserveRow(
            "USDT",
            "ethereum",
            "custodian:example-trust-co:account-7",
            amount("250000", scale, 6),
            ETH_HEIGHT,
            ETH_BLOCK,
            "custodial",
            "",
            (),
            "",
        )
    )
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", type=Path, help="the epoch's public/root.json")
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--exchange", default="Example Exchange")
    p.add_argument("--scale", type=int, default=100, help="percent applied to every balance")
    args = p.parse_args()
    root = json.loads(args.root.read_text(encoding="utf-8"))
    message = ownership_message(args.exchange, root["epoch"], bytes.fromhex(root["root"]["hash"]))
    reserves = ReservesFile(tuple(rows(message, args.scale)))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "reserves.csv").write_bytes(reserves.dumps_csv())
    snapshot = [",".join(SNAPSHOT_COLUMNS)] + [
        f"{r.asset},{r.chain},{r.address},{r.balance},{r.height}"
        for r in reserves.rows
        if r.scheme != "custodial"
    ]
    (args.out_dir / "balances.csv").write_text("\n".join(snapshot) + "\n", encoding="utf-8")
    print(f"wrote {len(reserves.rows)} rows to {args.out_dir / 'reserves.csv'} (test keys only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
