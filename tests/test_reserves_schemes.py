"""Ownership schemes (docs/PROTOCOL.md 11.3-11.5): published vectors, a second implementation
beside each library we use, and every rejection a cheating exchange could try."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest
from Crypto.Hash import keccak
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reserves_support import (
    NET,
    btc_row,
    custodial_row,
    eth_row,
    multisig_row,
    new_key,
    pub,
    py_ecc_secp256k1,
)

from solvency.circuits.ownership import check_ownership
from solvency.crypto import btc_address, btc_message, evm_message
from solvency.errors import MalformedInputError, VerificationError
from solvency.files.reserves import ReserveRow, ownership_message

py_ecc = py_ecc_secp256k1()
MESSAGE = ownership_message("Test Exchange", "2026-01", hashlib.sha256(b"root").digest())
OTHER_EPOCH = ownership_message("Test Exchange", "2025-12", hashlib.sha256(b"old").digest())


def _vector_row(address: str, message: str, signature: str, chain: str = "bitcoin") -> ReserveRow:
    return ReserveRow(
        "BTC", chain, address, "1", 1, "00" * 32, "bip137", message, (signature,), "", row=1
    )


# --- published vectors ------------------------------------------------------------------------

# bitcoinjs-message test/fixtures.json: magicHash.
MAGIC_HASHES = [
    ("", "80e795d4a4caadd7047af389d9f7f220562feb6196032e2131e10563352c4bcc"),
    ("Vires is Numeris", "f8a5affbef4a3241b19067aa694562f64f513310817297089a8929a930f4f933"),
]

# bitcoinjs-message test/fixtures.json: valid.verify (key d = 1, message "vires is numeris"):
# P2PKH uncompressed (header 27), P2PKH compressed (31), P2SH-P2WPKH (36) and P2WPKH (40).
VIRES = "vires is numeris"
BIP137_VALID = [
    (
        "16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM",
        "G8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=",
    ),
    (
        "1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs",
        "H8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=",
    ),
    (
        "3JvL6Ymt8MVWiCNHC7oWU6nLeHNJKLZGLN",
        "JF8nHqFr3K2UKYahhX3soVeoW8W1ECNbr0wfck7lzyXjCS5Q16Ek45zyBuy1Fiy9sTPKVgsqqOuPvbycuVSSVl8=",
    ),
    (
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "KF8nHqFr3K2UKYahhX3soVeoW8W1ECNbr0wfck7lzyXjCS5Q16Ek45zyBuy1Fiy9sTPKVgsqqOuPvbycuVSSVl8=",
    ),
]
# ... and invalid.verify: wrong message, wrong address, compression mismatch either way.
BIP137_INVALID = [
    (
        "16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM",
        "foobar",
        "G8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=",
    ),
    (
        "1111111111111111111114oLvT2",
        VIRES,
        "H8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=",
    ),
    (
        "16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM",
        VIRES,
        "H8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=",
    ),
    (
        "1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs",
        VIRES,
        "G8JawPtQOrybrSP1WHQnQPr67B9S3qrxBrl1mlzoTJOSHEpmnF7D3+t+LX0Xei9J20B5AIdPbeL3AaTBZ4N3bY0=",
    ),
]


@pytest.mark.parametrize(("message", "digest"), MAGIC_HASHES)
def test_bip137_digest_vectors(message: str, digest: str) -> None:
    assert btc_message.message_digest(message.encode()).hex() == digest


@pytest.mark.parametrize(("address", "signature"), BIP137_VALID)
def test_bip137_published_signatures_verify(address: str, signature: str) -> None:
    own = check_ownership(_vector_row(address, VIRES, signature), VIRES)
    assert own.scheme == "bip137"


@pytest.mark.parametrize(("address", "message", "signature"), BIP137_INVALID)
def test_bip137_published_invalid_signatures_fail(
    address: str, message: str, signature: str
) -> None:
    with pytest.raises(VerificationError, match="row 1"):
        check_ownership(_vector_row(address, message, signature), message)


def test_addresses_of_key_one() -> None:
    """Known addresses of the secret key 1 (BIP-173's example P2WPKH; bitcoinjs fixtures)."""
    G = pub((1).to_bytes(32, "big"))
    G_full = pub((1).to_bytes(32, "big"), compressed=False)

    def enc(Q: bytes, kind: str) -> str:
        return btc_address.encode_address(btc_address.key_address(Q, kind), NET)

    assert enc(G, "p2wpkh") == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert enc(G, "p2sh-p2wpkh") == "3JvL6Ymt8MVWiCNHC7oWU6nLeHNJKLZGLN"
    assert enc(G, "p2pkh") == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"
    assert enc(G_full, "p2pkh") == "1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm"


def test_p2wsh_script_hash_vector() -> None:
    """BIP-173: the P2WSH address of ``<G> OP_CHECKSIG``."""
    script = bytes.fromhex("210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ac")
    a = btc_address.script_address(script, btc_address.P2WSH)
    assert (
        btc_address.encode_address(a, NET)
        == "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
    )


def test_p2sh_multisig_vector() -> None:
    """bitcoinjs-lib's integration test "can create a 2-of-3 multisig P2SH address"."""
    keys = [
        bytes.fromhex("026477115981fe981a6918a6297d9803c4dc04f328f22041bedff886bbc2962e01"),
        bytes.fromhex("02c96db2302d19b43d4c69368babace7854cc84eb9e061cde51cfa77ca4a22b8b9"),
        bytes.fromhex("03c6103b3b83e4a24a0e33a4df246ef11772f9992663db0c35759a5e2ebf68d8e9"),
    ]
    script = btc_address.multisig_script(2, keys)
    assert btc_address.parse_multisig(script) == btc_address.Multisig(2, tuple(keys))
    a = btc_address.script_address(script, btc_address.P2SH)
    assert btc_address.encode_address(a, NET) == "36NUkt6FWUi3LAWBqWRdDmdTWbt91Yvfu7"
    assert btc_address.decode_address("36NUkt6FWUi3LAWBqWRdDmdTWbt91Yvfu7", NET) == a


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58check_second(payload: bytes) -> str:
    """Base58Check written again from its definition (a twin of the base58 package's)."""
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


@settings(max_examples=20, deadline=None)
@given(seed=st.binary(min_size=1, max_size=32), m=st.integers(1, 3))
def test_p2sh_and_p2pkh_addresses_equal_a_second_implementation(seed: bytes, m: int) -> None:
    keys = [pub(hashlib.sha256(seed + bytes([i])).digest()) for i in range(3)]
    script = btc_address.multisig_script(m, keys)
    # HASH160 through hashlib's RIPEMD-160 where OpenSSL still offers it, else pycryptodome's.
    try:
        ripemd = hashlib.new("ripemd160", hashlib.sha256(script).digest()).digest()
    except ValueError:  # pragma: no cover - OpenSSL 3 without the legacy provider
        ripemd = btc_address.hash160(script)
    a = btc_address.script_address(script, btc_address.P2SH)
    assert btc_address.encode_address(a, NET) == _base58check_second(b"\x05" + ripemd)
    h = btc_address.hash160(keys[0])
    p2pkh = btc_address.encode_address(btc_address.key_address(keys[0], "p2pkh"), NET)
    assert p2pkh == _base58check_second(b"\x00" + h)


@pytest.mark.parametrize(
    "address",
    [
        # BIP-350: a taproot (witness v1, bech32m) address: not a type this tool proves.
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        # BIP-173: uppercase is valid bech32 but not the canonical spelling we accept.
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        # A bad bech32 checksum, a bad base58 checksum, a testnet address on mainnet.
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
        "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMJ",
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ],
)
def test_unknown_or_noncanonical_bitcoin_addresses_fail_closed(address: str) -> None:
    with pytest.raises(VerificationError, match="unknown address type"):
        btc_address.decode_address(address, NET)


# EIP-55's own examples: all-caps, all-lower and mixed-case checksummed addresses.
EIP55_VALID = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


def _eip55_second(address: str) -> str:
    """EIP-55 written again from the EIP with pycryptodome's keccak256 (a second
    implementation beside eth-utils')."""
    body = address[2:].lower()
    h = keccak.new(digest_bits=256, data=body.encode()).hexdigest()
    return "0x" + "".join(c.upper() if int(h[i], 16) >= 8 else c for i, c in enumerate(body))


@pytest.mark.parametrize("address", EIP55_VALID)
def test_eip55_vectors(address: str) -> None:
    assert evm_message.check_address(address) == address.lower()
    if address[2:] != address[2:].lower() and address[2:] != address[2:].upper():
        assert _eip55_second(address) == address
        # One letter's case flipped: the checksum no longer holds.
        i = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
        bad = address[:i] + address[i].swapcase() + address[i + 1 :]
        with pytest.raises(VerificationError, match="EIP-55"):
            evm_message.check_address(bad)


# EIP-191 personal_sign vectors: eth-account's documentation ("I♥SF") and viem's
# (Anvil's first test account signing "hello world").
EIP191_VECTORS = [
    (
        "I♥SF",
        "0x5ce9454909639D2D17A3F753ce7d93fa0b9aB12E",
        "0xe6ca9bba58c88611fad66a6ce8f996908195593807c4b38bd528d2cff09d4eb33e5bfbbf4d3e39b1a2fd"
        "816a7680c19ebebaf3a141b239934ad43cb33fcec8ce1c",
    ),
    (
        "hello world",
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0xa461f509887bd19e312c0c58467ce8ff8e300d3c1a90b608a760c5b80318eaf15fe57c96f9175d6cd4da"
        "ad4663763baa7e78836e067d0163e9a2ccf2ff753f5b1b",
    ),
]


@pytest.mark.parametrize(("message", "address", "signature"), EIP191_VECTORS)
def test_eip191_vectors(message: str, address: str, signature: str) -> None:
    row = ReserveRow(
        "ETH", "ethereum", address, "1", 1, "00" * 32, "eip191", message, (signature,), "", row=1
    )
    assert check_ownership(row, message).signers == (address.lower(),)
    assert _eip191_second(message.encode(), bytes.fromhex(signature[2:])) == address.lower()


# --- second implementations -------------------------------------------------------------------


def _eip191_second(message: bytes, signature: bytes) -> str:
    """EIP-191 recovery without eth-account: pycryptodome keccak256, py-ecc recovery."""
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode()
    z = keccak.new(digest_bits=256, data=prefix + message).digest()
    r, s, v = (
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
        signature[64],
    )
    x, y = py_ecc.ecdsa_raw_recover(z, (v, r, s))
    Q = x.to_bytes(32, "big") + y.to_bytes(32, "big")
    return "0x" + keccak.new(digest_bits=256, data=Q).digest()[12:].hex()


@settings(max_examples=25, deadline=None)
@given(secret=st.integers(1, py_ecc.N - 1), message=st.binary(max_size=300))
@example(secret=1, message=b"")
@example(secret=py_ecc.N - 1, message=MESSAGE.encode())
def test_bip137_recovery_equals_py_ecc(secret: int, message: bytes) -> None:
    """coincurve's recovery beside py-ecc's, both ways: signatures made by one library are
    recovered by the other to the same key."""
    k = secret.to_bytes(32, "big")
    z = btc_message.message_digest(message)
    expected = pub(k, compressed=False)
    # coincurve signs (as a wallet on libsecp256k1 does), py-ecc recovers.
    sig = btc_message.CompactSignature.from_base64(btc_message.sign_message(k, message))
    x, y = py_ecc.ecdsa_raw_recover(
        z,
        (
            27 + sig.recid,
            int.from_bytes(sig.rs[:32], "big"),
            int.from_bytes(sig.rs[32:], "big"),
        ),
    )
    assert b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") == expected
    # py-ecc signs, coincurve (our recovery) recovers.
    v, r, s = py_ecc.ecdsa_raw_sign(z, k)
    raw = bytes([v - 27 + 31]) + r.to_bytes(32, "big") + s.to_bytes(32, "big")
    theirs = btc_message.CompactSignature.from_bytes(raw)
    assert btc_message.recover_pubkey(message, theirs) == pub(k)


@settings(max_examples=15, deadline=None)
@given(message=st.text(max_size=200))
def test_eip191_recovery_equals_second_implementation(message: str) -> None:
    k = new_key()
    sig = evm_message.sign_message(k, message.encode())
    address = evm_message.address_of(k).lower()
    assert evm_message.recover_address(message.encode(), bytes.fromhex(sig[2:])) == address
    assert _eip191_second(message.encode(), bytes.fromhex(sig[2:])) == address


# --- every scheme accepted, every cheat refused -----------------------------------------------


@pytest.mark.parametrize("kind", ["p2pkh-uncompressed", "p2pkh", "p2sh-p2wpkh", "p2wpkh"])
def test_bip137_each_address_type(kind: str) -> None:
    own = check_ownership(replace(btc_row(MESSAGE, kind), row=1), MESSAGE)
    assert own.key_proven and own.required == 1


@pytest.mark.parametrize("kind", ["p2sh-p2wpkh", "p2wpkh"])
def test_electrum_headers_prove_segwit_addresses(kind: str) -> None:
    """Electrum signs segwit addresses with the P2PKH-compressed header (31..34)."""
    k = new_key()
    row = btc_row(MESSAGE, kind, secret=k)
    electrum = btc_message.sign_message(k, MESSAGE.encode(), btc_message.P2PKH)
    check_ownership(replace(row, signatures=(electrum,)), MESSAGE)


def test_header_claiming_another_address_type_fails() -> None:
    k = new_key()
    row = btc_row(MESSAGE, "p2pkh", secret=k)
    segwit_header = btc_message.sign_message(k, MESSAGE.encode(), btc_message.P2WPKH)
    with pytest.raises(VerificationError, match="claims a p2wpkh address"):
        check_ownership(replace(row, signatures=(segwit_header,)), MESSAGE)


@pytest.mark.parametrize("kind", ["p2pkh", "p2sh-p2wpkh", "p2wpkh"])
def test_bip137_signature_by_another_key_fails(kind: str) -> None:
    row = btc_row(MESSAGE, kind, signer=new_key())
    with pytest.raises(VerificationError, match="not by the address's key"):
        check_ownership(replace(row, row=4), MESSAGE)


def test_every_byte_flip_of_a_bip137_signature_fails() -> None:
    row = btc_row(MESSAGE, "p2wpkh")
    raw = base64.b64decode(row.signatures[0])
    for i in range(len(raw)):
        for bit in (0x01, 0x80):
            flipped = bytearray(raw)
            flipped[i] ^= bit
            sig = base64.b64encode(bytes(flipped)).decode()
            with pytest.raises(VerificationError):
                check_ownership(replace(row, signatures=(sig,)), MESSAGE)


def test_signature_over_another_epoch_fails() -> None:
    row = btc_row(OTHER_EPOCH, "p2wpkh")
    with pytest.raises(VerificationError, match=r"for epoch 2025-12 .* not epoch 2026-01"):
        check_ownership(row, MESSAGE)
    row = eth_row(OTHER_EPOCH)
    with pytest.raises(VerificationError, match="replayed from another epoch"):
        check_ownership(row, MESSAGE)


def test_signed_message_with_the_right_text_but_tampered_fails() -> None:
    """The message column is the expected one but the signature was over another text."""
    k = new_key()
    row = btc_row(MESSAGE, "p2wpkh", secret=k)
    sig = btc_message.sign_message(k, OTHER_EPOCH.encode(), btc_message.P2WPKH)
    with pytest.raises(VerificationError, match="not by the address's key"):
        check_ownership(replace(row, signatures=(sig,)), MESSAGE)


@pytest.mark.parametrize("kind", ["p2sh", "p2wsh"])
@pytest.mark.parametrize(("m", "n"), [(1, 1), (2, 3), (3, 5)])
def test_multisig_with_m_signatures_passes(kind: str, m: int, n: int) -> None:
    own = check_ownership(multisig_row(MESSAGE, m, n, m, kind), MESSAGE)
    assert own.required == m and len(own.signers) == m


@pytest.mark.parametrize("kind", ["p2sh", "p2wsh"])
def test_multisig_with_fewer_than_m_signatures_fails(kind: str) -> None:
    with pytest.raises(VerificationError, match=r"only 1 distinct key.*2-of-3"):
        check_ownership(multisig_row(MESSAGE, 2, 3, 1, kind), MESSAGE)
    with pytest.raises(VerificationError, match="no signatures"):
        check_ownership(multisig_row(MESSAGE, 2, 3, 0, kind), MESSAGE)


def test_multisig_same_key_twice_counts_once() -> None:
    row = multisig_row(MESSAGE, 2, 3, 1)
    with pytest.raises(VerificationError, match="only 1 distinct key"):
        check_ownership(replace(row, signatures=row.signatures * 2), MESSAGE)


def test_multisig_signature_by_a_key_outside_the_script_fails() -> None:
    with pytest.raises(VerificationError, match="signature 3 is not by a key of the script"):
        check_ownership(multisig_row(MESSAGE, 2, 3, 2, outsider=True), MESSAGE)


def test_multisig_script_must_hash_to_the_address() -> None:
    a, b = multisig_row(MESSAGE, 2, 3, 2), multisig_row(MESSAGE, 2, 3, 2)
    with pytest.raises(VerificationError, match="does not hash to the address"):
        check_ownership(replace(a, script=b.script), MESSAGE)


def test_multisig_script_forms_refused() -> None:
    keys = [pub(new_key()) for _ in range(2)]
    good = btc_address.multisig_script(2, keys)
    for bad, reason in [
        (good[:-1] + b"\xac", "not an m-of-n"),
        (bytes([0x53]) + good[1:], "bad m or n"),
        (good[:1] + bytes([34]) + good[2:], "33- or 65-byte keys"),
        (btc_address.multisig_script(1, [keys[0], keys[0]]), "key twice"),
    ]:
        with pytest.raises(VerificationError, match=reason):
            btc_address.parse_multisig(bad)


def test_p2wsh_with_uncompressed_key_refused() -> None:
    k = new_key()
    script = btc_address.multisig_script(1, [pub(k, compressed=False)])
    address = btc_address.encode_address(btc_address.script_address(script, "p2wsh"), NET)
    sig = btc_message.sign_message(k, MESSAGE.encode(), btc_message.P2PKH_UNCOMPRESSED)
    row = multisig_row(MESSAGE, 1, 1, 1)
    row = replace(row, address=address, script=script.hex(), signatures=(sig,))
    with pytest.raises(VerificationError, match="compressed keys only"):
        check_ownership(row, MESSAGE)


def test_eip191_signature_by_another_key_fails() -> None:
    with pytest.raises(VerificationError, match="not by the address's key"):
        check_ownership(eth_row(MESSAGE, signer=new_key()), MESSAGE)


def test_eip191_bad_checksum_fails() -> None:
    row = eth_row(MESSAGE)
    body = row.address[2:]
    # Flip one letter's case so that the address stays mixed-case (so the checksum applies).
    flips = ("0x" + body[:i] + c.swapcase() + body[i + 1 :] for i, c in enumerate(body))
    bad = next(b for b in flips if b != row.address and b[2:] not in (b[2:].lower(), b[2:].upper()))
    with pytest.raises(VerificationError, match="EIP-55"):
        check_ownership(replace(row, address=bad), MESSAGE)
    # All-lowercase carries no checksum and is accepted as written.
    check_ownership(replace(row, address=row.address.lower()), MESSAGE)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"scheme": "bip322"}, "unknown ownership scheme 'bip322'"),
        ({"chain": "dogecoin"}, "unknown chain 'dogecoin'"),
        ({"chain": "ethereum"}, "scheme bip137 is for Bitcoin chains"),
        (
            {"address": "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
            "unknown address type",
        ),
        ({"signatures": ()}, "takes one signature"),
        ({"script": "00"}, "takes no script"),
        ({"signatures": ("not base64!",)}, "not valid base64"),
        ({"message": "hello"}, "not the ownership message"),
    ],
)
def test_bip137_row_refusals(change: dict[str, object], reason: str) -> None:
    row = replace(btc_row(MESSAGE), **change)  # type: ignore[arg-type]
    with pytest.raises(VerificationError, match=reason):
        check_ownership(row, MESSAGE)


def test_eip191_on_a_bitcoin_chain_and_custodial_with_a_signature_fail() -> None:
    with pytest.raises(VerificationError, match="for EVM chains"):
        check_ownership(replace(eth_row(MESSAGE), chain="bitcoin"), MESSAGE)
    with pytest.raises(VerificationError, match="custodial row carries no"):
        check_ownership(replace(custodial_row(), message=MESSAGE), MESSAGE)
    assert not check_ownership(custodial_row(), MESSAGE).key_proven


def test_signature_forms_refused() -> None:
    with pytest.raises(MalformedInputError, match="header byte 43"):
        btc_message.CompactSignature.from_bytes(bytes([43]) + bytes(64))
    with pytest.raises(MalformedInputError, match="65 bytes"):
        btc_message.CompactSignature.from_bytes(bytes([31]) + bytes(63))
    with pytest.raises(VerificationError, match="recovers no public key"):
        btc_message.recover_pubkey(
            b"x", btc_message.CompactSignature.from_bytes(bytes([31]) + bytes(64))
        )
    with pytest.raises(MalformedInputError, match="v is 29"):
        evm_message.parse_signature("0x" + "11" * 64 + "1d")


def test_eth_account_leaves_the_recursion_limit_alone() -> None:
    """eth-account imports py-ecc, which raises the recursion limit; with it raised, a deeply
    nested JSON document would crash the verifier instead of being refused."""
    import sys

    from solvency.files.formats import RootFile

    before = sys.getrecursionlimit()
    evm_message.check_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    assert sys.getrecursionlimit() == before
    with pytest.raises(MalformedInputError, match="document"):
        RootFile.loads(b"[" * 100_000 + b"]" * 100_000)
