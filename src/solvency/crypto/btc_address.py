"""Bitcoin addresses and m-of-n multisig scripts (docs/PROTOCOL.md section 11.3).

Relations checked (``HASH160(x) = RIPEMD160(SHA256(x))``):

    P2PKH        address = Base58Check(v_pkh || HASH160(Q))
    P2SH-P2WPKH  address = Base58Check(v_sh  || HASH160(0x00 0x14 || HASH160(Q)))
    P2WPKH       address = Bech32(hrp, 0, HASH160(Q))                    (Q compressed)
    P2SH         address = Base58Check(v_sh  || HASH160(S))               (S the redeem script)
    P2WSH        address = Bech32(hrp, 0, SHA256(S))                      (S the witness script)

    S = OP_m <Q_1> ... <Q_n> OP_n OP_CHECKMULTISIG,   1 <= m <= n <= 16

Encodings go through the ``base58`` package and the BIP-173 reference ``bech32`` package;
RIPEMD-160 through pycryptodome. A decoded address is re-encoded and must give back the same
text, so only the canonical spelling is accepted (lowercase bech32, no stray characters).
Taproot (bech32m, witness version 1) and every other form are unknown and fail closed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import base58
import bech32
import coincurve
from Crypto.Hash import RIPEMD160

from solvency.errors import MalformedInputError, VerificationError

P2PKH = "p2pkh"
P2SH = "p2sh"
P2WPKH = "p2wpkh"
P2WSH = "p2wsh"

#: BIP-16's limit on a P2SH redeem script; BIP-141's on a P2WSH witness script.
MAX_REDEEM_SCRIPT = 520
MAX_WITNESS_SCRIPT = 3600

_OP_CHECKMULTISIG = 0xAE
_OP_1 = 0x51


@dataclass(frozen=True)
class Network:
    name: str
    p2pkh_version: int
    p2sh_version: int
    hrp: str


NETWORKS = {
    "bitcoin": Network("bitcoin", 0x00, 0x05, "bc"),
    "bitcoin-testnet": Network("bitcoin-testnet", 0x6F, 0xC4, "tb"),
}


@dataclass(frozen=True)
class Address:
    """A decoded address: its type and the hash it pays to."""

    kind: str
    payload: bytes


def hash160(data: bytes) -> bytes:
    return RIPEMD160.new(hashlib.sha256(data).digest()).digest()


def network(name: str) -> Network:
    if name not in NETWORKS:
        raise VerificationError(f"unknown Bitcoin network {name!r}")
    return NETWORKS[name]


def decode_address(text: str, net: Network) -> Address:
    """The address's type and payload; VerificationError for anything not canonical or known."""
    if not isinstance(text, str) or not text.isascii() or not text:
        raise VerificationError("address is not ASCII text")
    if text.lower().startswith(net.hrp + "1"):
        return _decode_segwit(text, net)
    try:
        raw = base58.b58decode_check(text)
    except ValueError:
        raise VerificationError(
            f"unknown address type: {text!r} is not a {net.name} address"
        ) from None
    if base58.b58encode_check(raw).decode("ascii") != text or len(raw) != 21:
        raise VerificationError(f"unknown address type: {text!r} is not a {net.name} address")
    if raw[0] == net.p2pkh_version:
        return Address(P2PKH, raw[1:])
    if raw[0] == net.p2sh_version:
        return Address(P2SH, raw[1:])
    raise VerificationError(f"unknown address type: version byte {raw[0]} on {net.name}")


def _decode_segwit(text: str, net: Network) -> Address:
    witver, witprog = bech32.decode(net.hrp, text)
    if witver is None or witprog is None:
        # bech32m (taproot) and bad checksums land here: not a type this tool proves.
        raise VerificationError(f"unknown address type: {text!r} is not a bech32 v0 address")
    prog = bytes(witprog)
    if witver != 0 or bech32.encode(net.hrp, witver, list(prog)) != text:
        raise VerificationError(f"unknown address type: {text!r} (witness version {witver})")
    if len(prog) == 20:
        return Address(P2WPKH, prog)
    if len(prog) == 32:
        return Address(P2WSH, prog)
    raise VerificationError(f"unknown address type: witness program of {len(prog)} bytes")


def encode_address(address: Address, net: Network) -> str:
    if address.kind == P2PKH:
        return base58.b58encode_check(bytes([net.p2pkh_version]) + address.payload).decode()
    if address.kind == P2SH:
        return base58.b58encode_check(bytes([net.p2sh_version]) + address.payload).decode()
    if address.kind in (P2WPKH, P2WSH):
        out = bech32.encode(net.hrp, 0, list(address.payload))
        if out is None:
            raise MalformedInputError("witness program cannot be encoded")
        return str(out)
    raise MalformedInputError(f"unknown address kind {address.kind!r}")


def key_address(Q: bytes, kind: str) -> Address:
    """The address a public key ``Q`` (serialized as it will be hashed) pays to."""
    if kind == P2PKH:
        return Address(P2PKH, hash160(Q))
    if len(Q) != 33:
        raise VerificationError("segwit addresses need a compressed key")
    if kind == P2WPKH:
        return Address(P2WPKH, hash160(Q))
    if kind == "p2sh-p2wpkh":
        return Address(P2SH, hash160(b"\x00\x14" + hash160(Q)))
    raise MalformedInputError(f"unknown key address kind {kind!r}")


def same_address(a: Address, b: Address) -> bool:
    return a.kind == b.kind and hmac.compare_digest(a.payload, b.payload)


@dataclass(frozen=True)
class Multisig:
    """A parsed ``OP_m <Q_1> ... <Q_n> OP_n OP_CHECKMULTISIG`` script."""

    m: int
    keys: tuple[bytes, ...]


def parse_multisig(script: bytes) -> Multisig:
    """Parse a bare m-of-n multisig script; VerificationError for anything else (fail closed)."""
    if len(script) < 3 or script[-1] != _OP_CHECKMULTISIG:
        raise VerificationError("script is not an m-of-n OP_CHECKMULTISIG script")
    m, n = script[0] - _OP_1 + 1, script[-2] - _OP_1 + 1
    if not 1 <= m <= 16 or not 1 <= n <= 16 or m > n:
        raise VerificationError("script is not an m-of-n OP_CHECKMULTISIG script (bad m or n)")
    keys: list[bytes] = []
    i = 1
    while i < len(script) - 2:
        size = script[i]
        if size not in (33, 65) or i + 1 + size > len(script) - 2:
            raise VerificationError("script holds something other than 33- or 65-byte keys")
        Q = script[i + 1 : i + 1 + size]
        try:
            coincurve.PublicKey(Q)
        except ValueError:
            raise VerificationError(
                f"script key {len(keys) + 1} is not a secp256k1 point"
            ) from None
        keys.append(Q)
        i += 1 + size
    if len(keys) != n:
        raise VerificationError(f"script says {n} keys but holds {len(keys)}")
    if len(set(keys)) != n:
        raise VerificationError("script lists a key twice")
    return Multisig(m=m, keys=tuple(keys))


def multisig_script(m: int, keys: list[bytes]) -> bytes:
    """The script ``OP_m <keys> OP_n OP_CHECKMULTISIG`` (for examples and tests)."""
    if not 1 <= m <= len(keys) <= 16:
        raise MalformedInputError("need 1 <= m <= n <= 16")
    body = b"".join(bytes([len(Q)]) + Q for Q in keys)
    return bytes([_OP_1 + m - 1]) + body + bytes([_OP_1 + len(keys) - 1, _OP_CHECKMULTISIG])


def script_address(script: bytes, kind: str) -> Address:
    """The P2SH or P2WSH address of a script."""
    if kind == P2SH:
        if len(script) > MAX_REDEEM_SCRIPT:
            raise VerificationError(f"redeem script longer than {MAX_REDEEM_SCRIPT} bytes")
        return Address(P2SH, hash160(script))
    if kind == P2WSH:
        if len(script) > MAX_WITNESS_SCRIPT:
            raise VerificationError(f"witness script longer than {MAX_WITNESS_SCRIPT} bytes")
        return Address(P2WSH, hashlib.sha256(script).digest())
    raise MalformedInputError(f"unknown script address kind {kind!r}")
