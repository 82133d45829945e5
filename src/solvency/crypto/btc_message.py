"""Bitcoin signed messages (BIP-137; docs/PROTOCOL.md section 11.3).

Relation checked: for a message ``m`` and a 65-byte compact signature ``(h, r, s)``,

    z   = SHA256(SHA256(varstr(b"\\x18Bitcoin Signed Message:\\n") || varstr(m)))
    Q   = Recover(z, r, s, recid),   recid = (h - 27) mod 4
    Q is serialized compressed when h >= 31, uncompressed when 27 <= h <= 30

and the header ``h`` names the address type the signer claims:

    27..30  P2PKH, uncompressed key        31..34  P2PKH, compressed key (also what
    35..38  P2SH-P2WPKH (compressed)               Electrum writes for segwit addresses)
    39..42  P2WPKH (compressed)

Which addresses a recovered key may prove is decided by ``solvency.circuits.ownership``;
this module only parses the signature and recovers ``Q``. Recovery is libsecp256k1's, through
``coincurve`` (no curve code here). Everything here acts on public data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import coincurve

from solvency.errors import MalformedInputError, VerificationError

MAGIC = b"\x18Bitcoin Signed Message:\n"
SIGNATURE_BYTES = 65
#: Bitcoin Core's message limit is the network's; we bound what we hash.
MAX_MESSAGE_BYTES = 4096

# Header ranges (first byte of the compact signature) and the address type each claims.
P2PKH_UNCOMPRESSED = "p2pkh-uncompressed"
P2PKH = "p2pkh"
P2SH_P2WPKH = "p2sh-p2wpkh"
P2WPKH = "p2wpkh"
_HEADER_KINDS = (
    (27, P2PKH_UNCOMPRESSED),
    (31, P2PKH),
    (35, P2SH_P2WPKH),
    (39, P2WPKH),
)


def varint(n: int) -> bytes:
    """Bitcoin's CompactSize encoding of ``n``."""
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def message_digest(message: bytes) -> bytes:
    """z = SHA256d(varstr(magic) || varstr(message)); ``MAGIC`` already starts with its length."""
    if not isinstance(message, bytes):
        raise MalformedInputError("message: expected bytes")
    if len(message) > MAX_MESSAGE_BYTES:
        raise MalformedInputError(f"message: longer than {MAX_MESSAGE_BYTES} bytes")
    data = MAGIC + varint(len(message)) + message
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


@dataclass(frozen=True)
class CompactSignature:
    """A parsed BIP-137 signature: header byte ``h``, ``r || s`` and what ``h`` claims."""

    header: int
    rs: bytes
    recid: int
    compressed: bool
    kind: str

    @classmethod
    def from_base64(cls, text: str, where: str = "signature") -> CompactSignature:
        """Strict base64 (canonical padding, no whitespace) of exactly 65 bytes."""
        if not isinstance(text, str) or not text.isascii():
            raise MalformedInputError(f"{where}: expected base64 text")
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedInputError(f"{where}: not valid base64") from None
        if base64.b64encode(raw).decode("ascii") != text:
            raise MalformedInputError(f"{where}: not canonical base64")
        return cls.from_bytes(raw, where)

    @classmethod
    def from_bytes(cls, raw: bytes, where: str = "signature") -> CompactSignature:
        if len(raw) != SIGNATURE_BYTES:
            raise MalformedInputError(f"{where}: expected {SIGNATURE_BYTES} bytes, got {len(raw)}")
        h = raw[0]
        if not 27 <= h <= 42:
            raise MalformedInputError(f"{where}: header byte {h} is not in 27..42")
        kind = next(k for base, k in reversed(_HEADER_KINDS) if h >= base)
        return cls(header=h, rs=raw[1:], recid=(h - 27) % 4, compressed=h >= 31, kind=kind)

    def to_base64(self) -> str:
        return base64.b64encode(bytes([self.header]) + self.rs).decode("ascii")


def recover_pubkey(message: bytes, signature: CompactSignature) -> bytes:
    """Q, serialized as the header says (33 bytes compressed or 65 uncompressed).

    Raises VerificationError when no key recovers (r or s zero or out of range, no point).
    """
    z = message_digest(message)
    try:
        Q = coincurve.PublicKey.from_signature_and_message(
            signature.rs + bytes([signature.recid]), z, hasher=None
        )
    except (ValueError, TypeError) as exc:
        raise VerificationError("the signature recovers no public key") from exc
    return Q.format(compressed=signature.compressed)


def sign_message(secret: bytes, message: bytes, kind: str = P2PKH) -> str:
    """A BIP-137 signature as a wallet makes it (for examples and tests: libsecp256k1's
    RFC 6979 signing, through coincurve); ``kind`` picks the header range."""
    bases = dict((k, b) for b, k in _HEADER_KINDS)
    if kind not in bases:
        raise MalformedInputError(f"unknown signature kind {kind!r}")
    sig = coincurve.PrivateKey(secret).sign_recoverable(message_digest(message), hasher=None)
    rs, recid = sig[:64], sig[64]
    return base64.b64encode(bytes([bases[kind] + recid]) + rs).decode("ascii")
