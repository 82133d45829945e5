"""Reserves files made by the Python code, with ``solvency reserves verify --json``.

    python web/test/make_reserves_fixtures.py OUT

Builds one 3-asset epoch (BTC, ETH, USDT) and writes its ``root.json``, ``root.json.sig`` and
``signing.pub`` to OUT, then one folder per case holding ``reserves.csv`` and what
``solvency reserves verify reserves.csv --root ../root.json --pubkey ../signing.pub --json``
said in that folder (OUT/manifest.json lists them). The rows are signed the way wallets sign
(BIP-137 through libsecp256k1 via coincurve, EIP-191 through eth-account) with keys derived
from fixed seeds, so every run writes the same files. The cases:

- ``honest-*``: every address and signature kind the tool proves (P2PKH with an uncompressed
  and a compressed key, P2SH-P2WPKH and P2WPKH with their own and Electrum's headers, P2SH and
  P2WSH multisig, testnet addresses, EIP-191 with checksummed, lowercase and uppercase
  addresses and v in {0, 1}, custodial rows), a ``solvency demo`` style file, signatures with
  a high s, and a file of custodial rows only;
- ``tamper-*``: what a cheating exchange would try (a signature for another epoch's root or
  another exchange, by another key, a multisig short of m, a duplicated address, an unknown
  scheme, chain or address type, a bad checksum or encoding, two snapshots of one chain, ...);
- ``malformed-*``: files the reader refuses (exit 2), naming the row and the column;

and ``flips.json``: every one-bit flip (XOR 0x01) of the ``honest-small`` file (a P2WPKH, an
EIP-191 and a custodial row), and the case
flip (XOR 0x20) of each of its letters, each with the verdict of ``ReservesFile.loads_csv``
then ``verify_reserves`` in this process, mapped to status and message as the CLI maps them
(VerificationError: failed; any other SolvencyError: error; one line), and the totals when
the flipped file still verifies (a balance digit or a lone row's block hash, which no
signature covers); and ``csv-fuzz.json``: random texts of CSV pieces (quotes, commas, line
ends, semicolons, a valid row's fields) after the version line, each with the verdict of
``ReservesFile.loads_csv`` (the reader alone).

Run by web/test/reserves.test.js.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import coincurve

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_fixtures import THREE_ASSETS, build, epoch_files, run

from solvency.crypto import btc_address, btc_message, evm_message
from solvency.epoch.reserves import verify_reserves
from solvency.epoch.synthetic_reserves import synthetic_reserves
from solvency.errors import SolvencyError, VerificationError
from solvency.files import formats
from solvency.files.reserves import ReserveRow, ReservesFile, ownership_message

EXCHANGE = "Demo Exchange"
NET = btc_address.NETWORKS["bitcoin"]
TESTNET = btc_address.NETWORKS["bitcoin-testnet"]
BTC = (930_000, hashlib.sha256(b"fixture bitcoin block").hexdigest())
TBTC = (4_500_000, hashlib.sha256(b"fixture testnet block").hexdigest())
ETH = (23_900_000, hashlib.sha256(b"fixture ethereum block").hexdigest())
ARB = (400_000_000, hashlib.sha256(b"fixture arbitrum block").hexdigest())
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HEADERS = {
    "p2pkh-uncompressed": btc_message.P2PKH_UNCOMPRESSED,
    "p2pkh": btc_message.P2PKH,
    "p2sh-p2wpkh": btc_message.P2SH_P2WPKH,
    "p2wpkh": btc_message.P2WPKH,
}


def key(i: int) -> bytes:
    """A fixed secp256k1 secret key (a SHA-256 output is below n but for ~2^-128 of them)."""
    k = hashlib.sha256(f"solvency web reserves fixture key {i}".encode()).digest()
    coincurve.PrivateKey(k)
    return k


def pub(k: bytes, compressed: bool = True) -> bytes:
    return coincurve.PrivateKey(k).public_key.format(compressed=compressed)


class Rows:
    """Row makers for one expected message ``M``."""

    def __init__(self, message: str) -> None:
        self.m = message

    def btc(
        self,
        k: int,
        kind: str = "p2wpkh",
        balance: str = "1.5",
        header: str | None = None,
        signer: int | None = None,
        chain: str = "bitcoin",
        message: str | None = None,
        asset: str = "BTC",
    ) -> ReserveRow:
        """A bip137 row: the ``kind`` address of key ``k``, signed by ``signer`` (default
        ``k``) with ``header``'s range (default the one wallets use for the kind)."""
        net = btc_address.NETWORKS[chain]
        compressed = kind != "p2pkh-uncompressed"
        addr_kind = "p2pkh" if kind.startswith("p2pkh") else kind
        address = btc_address.encode_address(
            btc_address.key_address(pub(key(k), compressed), addr_kind), net
        )
        text = self.m if message is None else message
        sig = btc_message.sign_message(
            key(k if signer is None else signer), text.encode(), HEADERS[header or kind]
        )
        snap = TBTC if chain == "bitcoin-testnet" else BTC
        return ReserveRow(asset, chain, address, balance, *snap, "bip137", text, (sig,), "")

    def multisig(
        self,
        m: int,
        keys: list[int],
        signers: list[int],
        kind: str = "p2wsh",
        balance: str = "2",
        uncompressed: tuple[int, ...] = (),
    ) -> ReserveRow:
        """An m-of-n multisig row of ``keys`` (those in ``uncompressed`` written uncompressed,
        and signed with the uncompressed header), signed by ``signers`` in that order."""
        script = btc_address.multisig_script(m, [pub(key(i), i not in uncompressed) for i in keys])
        # The address is hashed here, not by script_address: that one refuses long scripts.
        payload = btc_address.hash160(script) if kind == "p2sh" else hashlib.sha256(script).digest()
        address = btc_address.encode_address(btc_address.Address(kind, payload), NET)
        sigs = tuple(
            btc_message.sign_message(
                key(i),
                self.m.encode(),
                btc_message.P2PKH_UNCOMPRESSED if i in uncompressed else btc_message.P2PKH,
            )
            for i in signers
        )
        return ReserveRow(
            "BTC", "bitcoin", address, balance, *BTC, "multisig", self.m, sigs, script.hex()
        )

    def eth(
        self,
        k: int,
        asset: str = "ETH",
        balance: str = "10",
        signer: int | None = None,
        chain: str = "ethereum",
        spelling: Callable[[str], str] = lambda a: a,
        message: str | None = None,
    ) -> ReserveRow:
        text = self.m if message is None else message
        sig = evm_message.sign_message(key(k if signer is None else signer), text.encode())
        snap = ARB if chain == "arbitrum" else ETH
        address = spelling(evm_message.address_of(key(k)))
        return ReserveRow(asset, chain, address, balance, *snap, "eip191", text, (sig,), "")


def custodial(asset: str = "USDT", balance: str = "5", chain: str = "ethereum") -> ReserveRow:
    snap = BTC if chain == "bitcoin" else ETH
    return ReserveRow(asset, chain, "custodian:demo-trust", balance, *snap, "custodial", "", (), "")


def csv_of(rows: list[ReserveRow]) -> bytes:
    return ReservesFile(tuple(replace(r, row=i + 1) for i, r in enumerate(rows))).dumps_csv()


def high_s_bip137(sig: str) -> str:
    """The same BIP-137 signature with s replaced by n - s (the recovery id's parity flips)."""
    raw = base64.b64decode(sig)
    h, r, s = raw[0], raw[1:33], int.from_bytes(raw[33:], "big")
    recid = (h - 27) % 4
    h2 = h - recid + (recid ^ 1)
    return base64.b64encode(bytes([h2]) + r + (N - s).to_bytes(32, "big")).decode()


def high_s_eip191(sig: str) -> str:
    raw = bytes.fromhex(sig[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    return "0x" + (r + (N - s).to_bytes(32, "big") + bytes([27 + ((v - 27) ^ 1)])).hex()


def with_sig(row: ReserveRow, *sigs: str) -> ReserveRow:
    return replace(row, signatures=tuple(sigs))


def cases_for(root: formats.RootFile) -> dict[str, bytes]:
    M = ownership_message(EXCHANGE, root.epoch, root.root.hash)
    other_root = ownership_message(EXCHANGE, "2025-12", hashlib.sha256(b"an old root").digest())
    other_exchange = ownership_message("Other Exchange", root.epoch, root.root.hash)
    R = Rows(M)
    base = [R.btc(1), R.eth(2), R.eth(3, asset="USDT", balance="250.5"), custodial()]
    out: dict[str, bytes] = {}

    def tamper(name: str, rows: list[ReserveRow]) -> None:
        out[f"tamper-{name}"] = csv_of(rows)

    # --- honest files ---------------------------------------------------------------------
    out["honest-all-kinds"] = csv_of(
        [
            R.btc(10, "p2pkh-uncompressed", "0.1"),
            R.btc(11, "p2pkh", "0.2"),
            R.btc(12, "p2sh-p2wpkh", "0.3"),
            R.btc(13, "p2sh-p2wpkh", "0.4", header="p2pkh"),
            R.btc(14, "p2wpkh", "0.5"),
            R.btc(15, "p2wpkh", "0.6", header="p2pkh"),
            R.multisig(2, [20, 21, 22], [22, 20], kind="p2sh", balance="1", uncompressed=(22,)),
            R.multisig(3, [23, 24, 25, 26, 27], [27, 23, 24, 23, 25], balance="2.00000001"),
            R.multisig(1, [28], [28], balance="0.00000001"),
            R.btc(16, "p2wpkh", "3", chain="bitcoin-testnet"),
            R.btc(17, "p2pkh", "4", chain="bitcoin-testnet"),
            R.eth(30, balance="12.5"),
            R.eth(30, asset="USDT", balance="1000"),
            R.eth(31, balance="0.000000000000000001", spelling=str.lower),
            R.eth(32, asset="USDT", balance="7", spelling=lambda a: "0x" + a[2:].upper()),
            R.eth(33, chain="arbitrum", balance="3"),
            custodial("USDT", "5000"),
            custodial("BTC", "0.5", chain="bitcoin"),
        ]
    )
    v01 = R.eth(34, asset="USDT", balance="1")
    v = int(v01.signatures[0][-2:], 16) - 27
    out["honest-eip191-v-0-or-1"] = csv_of(
        [with_sig(v01, v01.signatures[0][:-2] + f"{v:02x}"), *base]
    )
    hb, he = R.btc(40), R.eth(41)
    out["honest-high-s-bip137"] = csv_of([with_sig(hb, high_s_bip137(hb.signatures[0]))])
    out["honest-high-s-eip191"] = csv_of([with_sig(he, high_s_eip191(he.signatures[0]))])
    out["honest-custodial-only"] = csv_of([custodial(), custodial("BTC", "1", "bitcoin")])
    out["honest-synthetic"] = synthetic_reserves(
        EXCHANGE, root.epoch, root.root.hash, root.assets, [10**8, 10**18, 10**6], 42
    ).dumps_csv()
    out["honest-base"] = csv_of(base)
    out["honest-small"] = csv_of([base[0], base[1], base[3]])
    # An edited balance is not signed: the file still verifies, with other totals (a balance
    # snapshot, or solvency.json's digest of the file, is what catches it).
    out["honest-balance-edited"] = csv_of([replace(base[0], balance="1000"), *base[1:]])

    U = Rows(ownership_message("Börse Zürich AG", root.epoch, root.root.hash))
    out["honest-unicode-exchange-name"] = csv_of([U.btc(1), U.eth(2), custodial()])

    # --- what a cheating exchange would try ----------------------------------------------
    # Exchange names the message must refuse: U+1F6DC is unassigned in Python 3.11's Unicode
    # 14 (assigned in 15.0, which a browser may know), U+00A0 a no-break space, and 65
    # characters.
    for name, exchange in (
        ("unassigned-char", "Demo \U0001f6dc"),
        ("no-break-space", "Demo\u00a0Exchange"),
        ("trailing-space", "Demo Exchange "),
        ("65-chars", "D" * 65),
    ):
        text = M.replace(f"exchange: {EXCHANGE}", f"exchange: {exchange}")
        tamper(f"exchange-name-{name}", [R.btc(1, message=text), *base[1:]])
    tamper("replayed-from-another-epoch", [R.btc(1, message=other_root), *base[1:]])
    tamper("replayed-eip191", [*base[:1], R.eth(2, message=other_root), *base[2:]])
    tamper("other-exchange", [*base, R.btc(5, message=other_exchange)])
    tamper("first-message-not-ownership", [R.btc(1, message="I own this"), *base[1:]])
    tamper("later-message-not-ownership", [*base, R.eth(5, message=M + "\n")])
    tamper("bip137-another-key", [R.btc(1, signer=99), *base[1:]])
    tamper("eip191-another-key", [*base[:1], R.eth(2, signer=99), *base[2:]])
    tamper("p2pkh-uncompressed-header", [*base, R.btc(5, "p2pkh", header="p2pkh-uncompressed")])
    tamper("p2wpkh-header-claims-p2sh", [*base, R.btc(5, "p2wpkh", header="p2sh-p2wpkh")])
    tamper("p2sh-header-claims-p2wpkh", [*base, R.btc(5, "p2sh-p2wpkh", header="p2wpkh")])
    tamper("p2pkh-header-claims-p2wpkh", [*base, R.btc(5, "p2pkh", header="p2wpkh")])
    tamper("multisig-short-of-m", [*base, R.multisig(2, [20, 21, 22], [21])])
    tamper("multisig-same-key-twice", [*base, R.multisig(2, [20, 21, 22], [21, 21])])
    tamper("multisig-no-signature", [*base, R.multisig(2, [20, 21, 22], [])])
    tamper("multisig-outsider", [*base, R.multisig(2, [20, 21, 22], [20, 99])])
    ms = R.multisig(2, [20, 21, 22], [20, 21])
    other = R.multisig(2, [20, 21, 23], [20, 21])
    tamper("multisig-script-of-another-address", [*base, replace(ms, script=other.script)])
    tamper("multisig-without-script", [*base, replace(ms, script="")])
    tamper("multisig-bad-signature", [*base, with_sig(ms, ms.signatures[0], "AAAA")])
    tamper("multisig-on-p2wpkh", [*base, replace(R.btc(5), scheme="multisig", signatures=())])
    tamper("bip137-on-p2wsh", [*base, replace(ms, scheme="bip137", script="")])
    tamper("p2wsh-uncompressed-key", [*base, R.multisig(1, [20, 21], [20], uncompressed=(21,))])
    eight = list(range(50, 58))
    tamper(
        "p2sh-script-too-long",
        [*base, R.multisig(1, eight, [50], kind="p2sh", uncompressed=tuple(eight))],
    )
    for name, script in (
        ("not-multisig", "0014" + "11" * 20),
        ("nested-p2sh-p2wsh", "0020" + hashlib.sha256(bytes.fromhex(ms.script)).hexdigest()),
        ("bad-m", "5f" + ms.script[2:]),
        ("key-not-a-point", "51" + "21" + "02" + "00" * 32 + "51ae"),
        ("key-listed-twice", "52" + ("21" + pub(key(20)).hex()) * 2 + "52ae"),
        ("count-differs", "51" + "21" + pub(key(20)).hex() + "52ae"),
        ("hybrid-key", "51" + "41" + "06" + pub(key(20), False)[1:].hex() + "51ae"),
    ):
        raw = bytes.fromhex(script)
        address = btc_address.encode_address(btc_address.script_address(raw, btc_address.P2SH), NET)
        tamper(f"script-{name}", [*base, replace(ms, address=address, script=script)])
    # A hybrid key (0x06/0x07) parses in libsecp256k1; with a real signer beside it the
    # script is proven.
    hybrid = pub(key(20), False)
    hybrid = bytes([6 + (hybrid[-1] & 1)]) + hybrid[1:]
    script = btc_address.multisig_script(1, [hybrid, pub(key(21))])
    address = btc_address.encode_address(btc_address.script_address(script, "p2sh"), NET)
    out["honest-p2sh-hybrid-key-beside"] = csv_of(
        [*base, replace(ms, address=address, script=script.hex(), signatures=(ms.signatures[1],))]
    )
    tamper("duplicate-address", [*base, replace(base[0], balance="2")])
    tamper("duplicate-btc-address-as-other-asset", [*base, replace(base[0], asset="USDT")])
    tamper("duplicate-evm-address-other-case", [*base, R.eth(2, spelling=str.lower)])
    tamper("duplicate-custodial", [*base, custodial(balance="1")])
    tamper("unknown-scheme-bip322", [*base, replace(R.btc(5), scheme="bip322")])
    tamper("unknown-scheme-first", [replace(R.btc(5), scheme="taproot"), *base])
    tamper("unknown-chain", [*base, replace(R.btc(5), chain="litecoin")])
    on_btc = {"chain": "bitcoin", "height": BTC[0], "block_hash": BTC[1]}
    tamper("eip191-on-bitcoin", [*base, replace(R.eth(5), asset="BTC", **on_btc)])
    on_eth = {"chain": "ethereum", "height": ETH[0], "block_hash": ETH[1]}
    tamper("bip137-on-ethereum", [*base, replace(R.btc(5), **on_eth)])
    tamper("bip137-two-signatures", [*base, with_sig(R.btc(5), *(R.btc(5).signatures * 2))])
    tamper("bip137-with-script", [*base, replace(R.btc(5), script="51")])
    tamper("eip191-with-script", [*base, replace(R.eth(5), script="51")])
    tamper("custodial-with-signature", [*base, replace(custodial("ETH"), signatures=("AAAA",))])
    tamper("custodial-with-message", [*base, replace(custodial("ETH"), message=M)])
    taproot = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
    tamper("taproot-address", [*base, replace(R.btc(5), address=taproot)])
    good = R.btc(5).address
    flip = "q" if good[-1] != "q" else "p"
    tamper("bech32-bad-checksum", [*base, replace(R.btc(5), address=good[:-1] + flip)])
    tamper("bech32-uppercase", [*base, replace(R.btc(5), address=good.upper())])
    tamper("bech32-mixed-case", [*base, replace(R.btc(5), address=good[:6].upper() + good[6:])])
    p2pkh = R.btc(6, "p2pkh")
    last = "2" if p2pkh.address[-1] != "2" else "3"
    tamper("base58-bad-checksum", [*base, replace(p2pkh, address=p2pkh.address[:-1] + last)])
    t = R.btc(7, "p2pkh", chain="bitcoin-testnet")
    tamper("testnet-address-on-bitcoin", [*base, replace(t, **on_btc)])
    tamper("unknown-address-text", [*base, replace(R.btc(5), address="1notAnAddress0OIl")])
    e = R.eth(5)
    body = e.address[2:]
    i = next(j for j, c in enumerate(body) if c.isalpha())
    swapped = body[:i] + body[i].swapcase() + body[i + 1 :]
    tamper("eip55-bad-checksum", [*base, replace(e, address="0x" + swapped)])
    tamper("evm-address-short", [*base, replace(e, address=e.address[:-1])])
    tamper("eip191-uppercase-signature", [*base, with_sig(e, "0x" + e.signatures[0][2:].upper())])
    tamper("eip191-v-29", [*base, with_sig(e, e.signatures[0][:-2] + "1d")])
    tamper("eip191-r-zero", [*base, with_sig(e, "0x" + "00" * 32 + e.signatures[0][66:])])
    b = R.btc(5)
    raw = base64.b64decode(b.signatures[0])
    for name, sig in (
        ("not-base64-alphabet", "!!!!"),
        ("base64-one-char-too-many", "AAAAA"),
        ("base64-unpadded", "AAA"),
        ("base64-padding-after-full-quad", "AAAA="),
        ("not-canonical-base64", b.signatures[0][:-2] + "B="),
        ("short", base64.b64encode(raw[:64]).decode()),
        ("header-26", base64.b64encode(bytes([26]) + raw[1:]).decode()),
        ("header-43", base64.b64encode(bytes([43]) + raw[1:]).decode()),
        ("r-zero", base64.b64encode(raw[:1] + bytes(32) + raw[33:]).decode()),
        ("s-is-n", base64.b64encode(raw[:33] + N.to_bytes(32, "big")).decode()),
    ):
        tamper(f"bip137-{name}", [*base, with_sig(b, sig)])
    tamper("two-snapshots-of-bitcoin", [*base, replace(R.btc(5), height=BTC[0] + 1)])
    tamper("two-block-hashes-of-ethereum", [*base, replace(R.eth(5), block_hash="00" * 32)])
    tamper("balance-too-many-decimals", [*base, R.btc(5, balance="0.000000001")])
    tamper("balance-above-2^64", [*base, R.eth(5, balance="18446744073709551616" + "0" * 18)])
    big = "100000000000"
    tamper("total-above-2^64", [*base, R.btc(5, balance=big), R.btc(6, balance=big)])
    tamper("asset-not-in-root", [*base, R.btc(5, asset="DOGE")])
    return out


def malformed(honest: bytes) -> dict[str, bytes]:
    """Files the reader refuses, made from an honest one."""
    text = honest.decode()
    first, header, *lines = text.split("\n")
    table = list(csv.reader(io.StringIO("\n".join(lines), newline="")))
    address = table[0][2]

    def write(rows: list[list[str]]) -> bytes:
        body = io.StringIO()
        csv.writer(body, lineterminator="\n").writerows(rows)
        return (first + "\n" + header + "\n" + body.getvalue()).encode()

    def field(col: int, value: str) -> bytes:
        return write([[*table[0][:col], value, *table[0][col + 1 :]], *table[1:]])

    row1 = write(table[:1]).decode().split("\n", 2)[2].rstrip("\n")
    rest = write(table[1:]).decode().split("\n", 2)[2]
    out = {
        "empty-file": b"",
        "no-version-line": "\n".join([header, *lines]).encode(),
        "version-2": text.replace("v1", "v2", 1).encode(),
        "version-01": text.replace("v1", "v01", 1).encode(),
        "version-of-5000-digits": text.replace("v1", "v" + "9" * 5000, 1).encode(),
        "version-line-only": first.encode(),
        "bom": b"\xef\xbb\xbf" + honest,
        "crlf": text.replace("\n", "\r\n").encode(),
        "not-utf8": honest.replace(b"bitcoin", b"bitco\xffn", 2),
        "truncated-utf8": honest + b"\xe2\x82",
        "no-header": (first + "\n").encode(),
        "header-reordered": text.replace("asset,chain", "chain,asset", 1).encode(),
        "header-only": (first + "\n" + header + "\n").encode(),
        "wrong-field-count": write([table[0] + ["extra"], *table[1:]]),
        "empty-line": "\n".join([first, header, row1, "", rest]).encode(),
        "unterminated-quote": (text.rstrip("\n") + ',"').encode(),
        "text-after-quote": text.replace('",', '"x,', 1).encode(),
        "quote-inside-unquoted-field": text.replace(address, 'bc1q"x"', 1).encode(),
        "empty-signature-piece": field(8, table[0][8] + ";"),
        "asset-lowercase": field(0, "btc"),
        "chain-uppercase": field(1, "Bitcoin"),
        "address-with-space": field(2, "bc1q x"),
        "balance-exponent": field(3, "1e5"),
        "balance-negative": field(3, "-1"),
        "height-leading-zero": field(4, "0930000"),
        "height-too-long": field(4, "1" * 19),
        "block-hash-uppercase": field(5, table[0][5].upper()),
        "scheme-uppercase": field(6, "BIP137"),
        "script-odd-hex": field(9, "abc"),
        "signatures-17": field(8, ";".join(["AAAA"] * 17)),
        "signature-bad-char": field(8, "AA-A"),
        "message-control-char": field(7, "tab\there"),
        "message-nul": field(7, "nul\x00here"),
        "message-too-long": field(7, "x" * 4097),
        "message-too-many-bytes": field(7, "\u00e9" * 2049),
        "field-above-csv-limit": field(7, "y" * 131073),
    }
    return out


def flips(root: formats.RootFile, data: bytes) -> list[dict[str, Any]]:
    """The verdict on each flipped copy of ``data`` (see the module)."""
    out = []
    for i, byte in enumerate(data):
        for x in (0x01, 0x20) if chr(byte).isalpha() else (0x01,):
            flipped = bytearray(data)
            flipped[i] ^= x
            case: dict[str, Any] = {"at": i, "xor": x, "error": None, "proven_units": None}
            try:
                report = verify_reserves(
                    ReservesFile.loads_csv(bytes(flipped), "reserves.csv"), root
                )
                case["status"] = "verified"
                case["proven_units"] = [str(a.proven_units) for a in report.assets]
            except VerificationError as e:
                case |= {"status": "failed", "error": " ".join(str(e).split())}
            except SolvencyError as e:
                case |= {"status": "error", "error": " ".join(str(e).split())}
            out.append(case)
    return out


def csv_fuzz(honest: bytes, count: int = 3000) -> list[dict[str, Any]]:
    """Random files (seeded: the same every run) and the reader's verdict: rows of ten fields,
    each a valid row's value or a string of CSV pieces, quoted or not, then now and then a
    piece dropped in anywhere."""
    first, header, rest = honest.decode().split("\n", 2)
    valid = next(csv.reader(io.StringIO(rest, newline="")))
    pieces = [",", '"', '""', "\n", ";", " ", "a", "\u00e9", "\x00", "\t", "0", "x"]
    rng = random.Random(20261206)  # noqa: S311 - test data, not a secret

    def field(col: int) -> str:
        value = (
            valid[col]
            if rng.random() < 0.7
            else "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        )
        if rng.random() < 0.3 or any(c in value for c in ',"\n'):
            return '"' + value.replace('"', '""') + '"' if rng.random() < 0.9 else value
        return value

    out = []
    for _ in range(count):
        rows = [",".join(field(c) for c in range(10)) for _ in range(rng.randint(0, 3))]
        text = first + "\n" + (header + "\n" if rng.random() < 0.9 else "") + "\n".join(rows)
        if rng.random() < 0.9:
            text += "\n"
        while rng.random() < 0.3:
            at = rng.randint(len(first) + 1, len(text))
            text = text[:at] + rng.choice(pieces) + text[at:]
        case: dict[str, Any] = {"text": text, "status": "ok", "error": None, "rows": None}
        try:
            parsed = ReservesFile.loads_csv(text.encode(), "reserves.csv").rows
            case["rows"] = [r.to_csv_fields() for r in parsed]
        except SolvencyError as e:
            case |= {"status": "error", "error": str(e)}
        out.append(case)
    return out


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    work = out / "_work"
    build(work, THREE_ASSETS, 2, "e1")
    _, root_path, sig_path, pub_path = epoch_files(work, "e1")
    names = ("root.json", "root.json.sig", "signing.pub")
    for src, dst in zip((root_path, sig_path, pub_path), names, strict=True):
        (out / dst).write_bytes(src.read_bytes())
    shutil.rmtree(work)
    root = formats.RootFile.loads((out / "root.json").read_bytes())
    files = cases_for(root)
    files |= {f"malformed-{k}": v for k, v in malformed(files["honest-base"]).items()}
    manifest: list[dict[str, Any]] = []
    here = Path.cwd()
    for name, data in files.items():
        folder = out / name
        folder.mkdir()
        (folder / "reserves.csv").write_bytes(data)
        os.chdir(folder)
        try:
            result = run(
                "reserves", "verify", "reserves.csv",
                "--root", "../root.json", "--pubkey", "../signing.pub", "--json",
            )  # fmt: skip
        finally:
            os.chdir(here)
        if name.startswith("honest-") and result.exit_code != 0:
            raise SystemExit(f"{name}: {result.stdout}")
        if not name.startswith("honest-") and result.exit_code == 0:
            raise SystemExit(f"{name} verified: a tamper case that tests nothing")
        manifest.append(
            {
                "name": name,
                "dir": name,
                "exit_code": result.exit_code,
                "cli": json.loads(result.stdout),
            }
        )
    flipped = flips(root, files["honest-small"])
    (out / "flips.json").write_text(json.dumps(flipped) + "\n", encoding="utf-8")
    fuzz = csv_fuzz(files["honest-base"])
    (out / "csv-fuzz.json").write_text(json.dumps(fuzz) + "\n", encoding="utf-8")
    doc = {"format": "solvency-web-reserves-fixtures", "cases": manifest}
    (out / "manifest.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
