"""Address ownership: what one reserves row proves (docs/PROTOCOL.md sections 11.3-11.5).

Relation checked, per row with expected ownership message ``M`` (section 11.1):

- ``bip137`` on a Bitcoin chain: one compact signature ``sig`` with header ``h``;
  ``Q = Recover(BIP137-digest(M), sig)`` and the row's address is the address of ``Q`` of the
  address's own type: P2PKH (``h`` in 27..34; uncompressed ``Q`` for 27..30), P2SH-P2WPKH
  (``h`` in 35..38, or 31..34 as Electrum writes it) or P2WPKH (``h`` in 39..42 or 31..34).
  A header that claims another type than the address's fails.
- ``multisig`` on a Bitcoin chain: the script ``S`` hashes to the address (HASH160 for P2SH,
  SHA256 for P2WSH), ``S = OP_m <Q_1..Q_n> OP_n OP_CHECKMULTISIG``, every signature recovers
  to one of ``Q_1..Q_n`` (serialized as the header says) and at least ``m`` distinct keys signed.
- ``eip191`` on an EVM chain: one 65-byte signature; ``Recover(EIP191-digest(M), sig)`` is the
  row's address (EIP-55 checksum checked when the address is mixed-case).
- ``custodial``: no signature, no message, no script; counted apart (section 11.5) and never
  part of the key-proven reserves.

Everything else fails closed (VerificationError naming the row): an unknown scheme, chain or
address type (taproot, nested P2SH-P2WSH, ...), a message that is not exactly ``M``, a
signature that does not parse or does not recover the address's key. Public data only.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvency.crypto import btc_address, btc_message, evm_message
from solvency.errors import MalformedInputError, VerificationError
from solvency.files.reserves import ReserveRow, parse_ownership_message

BIP137 = "bip137"
MULTISIG = "multisig"
EIP191 = "eip191"
CUSTODIAL = "custodial"
SCHEMES = (BIP137, MULTISIG, EIP191, CUSTODIAL)

BITCOIN_CHAINS = tuple(btc_address.NETWORKS)
#: EVM chains whose addresses are keccak256 key hashes; EIP-191 does not depend on the chain.
EVM_CHAINS = (
    "ethereum",
    "ethereum-sepolia",
    "arbitrum",
    "optimism",
    "base",
    "polygon",
    "bsc",
    "avalanche-c",
)
KNOWN_CHAINS = BITCOIN_CHAINS + EVM_CHAINS

# Which BIP-137 header kinds may prove which single-key address type.
_BIP137_HEADERS = {
    btc_address.P2PKH: (btc_message.P2PKH_UNCOMPRESSED, btc_message.P2PKH),
    btc_address.P2SH: (btc_message.P2SH_P2WPKH, btc_message.P2PKH),
    btc_address.P2WPKH: (btc_message.P2WPKH, btc_message.P2PKH),
}
_KEY_ADDRESS_KIND = {
    btc_address.P2PKH: btc_address.P2PKH,
    btc_address.P2SH: "p2sh-p2wpkh",
    btc_address.P2WPKH: btc_address.P2WPKH,
}


@dataclass(frozen=True)
class Ownership:
    """What a row was shown to be: its address type and the keys (or address) that signed."""

    scheme: str
    address_type: str
    signers: tuple[str, ...]
    required: int

    @property
    def key_proven(self) -> bool:
        return self.scheme != CUSTODIAL


def address_key(chain: str, address: str) -> str:
    """The spelling under which two rows' addresses are the same (EVM hex is case-blind)."""
    return address.lower() if chain in EVM_CHAINS else address


def check_ownership(row: ReserveRow, expected_message: str) -> Ownership:
    """Check what ``row`` proves; VerificationError naming the row and the reason otherwise."""
    try:
        return _check(row, expected_message)
    except (VerificationError, MalformedInputError) as e:
        raise VerificationError(f"{row.where} ({row.asset} at {row.address}): {e}") from None


def _check(row: ReserveRow, expected: str) -> Ownership:
    if row.scheme not in SCHEMES:
        raise VerificationError(f"unknown ownership scheme {row.scheme!r}")
    if row.chain not in KNOWN_CHAINS:
        raise VerificationError(f"unknown chain {row.chain!r}")
    if row.scheme == CUSTODIAL:
        if row.signatures or row.message or row.script:
            raise VerificationError("a custodial row carries no message, signature or script")
        return Ownership(CUSTODIAL, CUSTODIAL, (), 0)
    if row.scheme == EIP191:
        if row.chain not in EVM_CHAINS:
            raise VerificationError(f"scheme eip191 is for EVM chains, not {row.chain!r}")
    elif row.chain not in BITCOIN_CHAINS:
        raise VerificationError(f"scheme {row.scheme} is for Bitcoin chains, not {row.chain!r}")
    _check_message(row.message, expected)
    if row.scheme == EIP191:
        return _check_eip191(row)
    if row.scheme == BIP137:
        return _check_bip137(row)
    return _check_multisig(row)


def _check_message(message: str, expected: str) -> None:
    if message == expected:
        return
    want = parse_ownership_message(expected)
    try:
        got = parse_ownership_message(message)
    except MalformedInputError:
        raise VerificationError("the signed message is not the ownership message") from None
    if got.epoch != want.epoch or got.root_hash != want.root_hash:
        raise VerificationError(
            f"signed message is for epoch {got.epoch} root {got.root_hash.hex()[:16]}..., not "
            f"epoch {want.epoch} root {want.root_hash.hex()[:16]}... (replayed from another "
            "epoch?)"
        )
    raise VerificationError(
        f"signed message names exchange {got.exchange!r}, the reserves file is for "
        f"{want.exchange!r}"
    )


def _one_signature(row: ReserveRow) -> str:
    if len(row.signatures) != 1:
        raise VerificationError(
            f"scheme {row.scheme} takes one signature, got {len(row.signatures)}"
        )
    if row.script:
        raise VerificationError(f"scheme {row.scheme} takes no script")
    return row.signatures[0]


def _check_eip191(row: ReserveRow) -> Ownership:
    sig = evm_message.parse_signature(_one_signature(row))
    address = evm_message.check_address(row.address)
    recovered = evm_message.recover_address(row.message.encode("utf-8"), sig)
    if recovered != address:
        raise VerificationError("the signature is not by the address's key")
    return Ownership(EIP191, "evm", (recovered,), 1)


def _check_bip137(row: ReserveRow) -> Ownership:
    net = btc_address.network(row.chain)
    address = btc_address.decode_address(row.address, net)
    if address.kind not in _BIP137_HEADERS:
        raise VerificationError(f"a {address.kind} address needs the multisig scheme")
    sig = btc_message.CompactSignature.from_base64(_one_signature(row))
    if sig.kind not in _BIP137_HEADERS[address.kind]:
        raise VerificationError(
            f"the signature's header ({sig.header}) claims a {sig.kind} address, the address "
            f"is {address.kind}"
        )
    Q = btc_message.recover_pubkey(row.message.encode("utf-8"), sig)
    derived = btc_address.key_address(Q, _KEY_ADDRESS_KIND[address.kind])
    if not btc_address.same_address(derived, address):
        raise VerificationError("the signature is not by the address's key")
    kind = "p2sh-p2wpkh" if address.kind == btc_address.P2SH else address.kind
    return Ownership(BIP137, kind, (Q.hex(),), 1)


def _check_multisig(row: ReserveRow) -> Ownership:
    net = btc_address.network(row.chain)
    address = btc_address.decode_address(row.address, net)
    if address.kind not in (btc_address.P2SH, btc_address.P2WSH):
        raise VerificationError(
            f"the multisig scheme needs a P2SH or P2WSH address, not {address.kind}"
        )
    if not row.script:
        raise VerificationError("the multisig scheme needs the redeem or witness script")
    script = bytes.fromhex(row.script)
    # S hashes to the address: HASH160(S) for P2SH, SHA256(S) for P2WSH
    if not btc_address.same_address(btc_address.script_address(script, address.kind), address):
        raise VerificationError("the script does not hash to the address")
    ms = btc_address.parse_multisig(script)
    if address.kind == btc_address.P2WSH and any(len(Q) != 33 for Q in ms.keys):
        raise VerificationError("a P2WSH script holds compressed keys only (BIP-143)")
    if not row.signatures:
        raise VerificationError(f"no signatures: {ms.m} of the {len(ms.keys)} keys must sign")
    message = row.message.encode("utf-8")
    signed: list[bytes] = []
    for i, text in enumerate(row.signatures, start=1):
        try:
            sig = btc_message.CompactSignature.from_base64(text, f"signature {i}")
            Q = btc_message.recover_pubkey(message, sig)
        except (VerificationError, MalformedInputError) as e:
            raise VerificationError(f"signature {i}: {e}") from None
        if Q not in ms.keys:
            raise VerificationError(f"signature {i} is not by a key of the script")
        if Q not in signed:
            signed.append(Q)
    # at least m distinct keys of S signed
    if len(signed) < ms.m:
        raise VerificationError(
            f"only {len(signed)} distinct key(s) of the {ms.m}-of-{len(ms.keys)} script signed"
        )
    kind = "p2sh-multisig" if address.kind == btc_address.P2SH else "p2wsh-multisig"
    return Ownership(MULTISIG, kind, tuple(Q.hex() for Q in signed), ms.m)
