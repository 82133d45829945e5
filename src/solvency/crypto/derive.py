"""Per-epoch secrets: user secrets, blindings, leaf ids, position and padding keys.

Relation (docs/PROTOCOL.md section 3), every derivation ``HKDF-SHA256(ikm, salt, info, len)``:

    epoch_secret = HKDF(master_secret, salt=b"solvency/v1/epoch",    info=epoch_id_utf8, 32)
    user_secret  = HKDF(epoch_secret,  salt=b"solvency/v1/user",     info=user_id_utf8,  32)
    r_k          = int_le(HKDF(user_secret, salt=b"solvency/v1/blinding", info=LE32(k), 64)) mod l
    leaf_id      = SHA256(b"solvency/v1/leaf-id" || LE32(len(user_id_utf8)) || user_id_utf8
                          || user_secret)
    position_key = HKDF(epoch_secret, salt=b"solvency/v1/position", info=b"", 32)
    padding_key  = HKDF(epoch_secret, salt=b"solvency/v1/padding",  info=b"", 32)

and for padding nodes (section 4):

    s   = HMAC-SHA256(padding_key, b"node" || LE8(level) || LE64(index))
    r_k = int_le(HKDF(s, salt=b"solvency/v1/pad-blinding", info=LE32(k), 64)) mod l

``leaf_id`` binds the user id (DAPOL+ section 4.2, ID uniqueness): two users can never be
shown the same leaf. Fresh secrets per epoch make commitments of two epochs unlinkable.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from solvency.crypto.group import L
from solvency.errors import InvalidParameterError, InvalidUserIdError, MalformedInputError

SECRET_BYTES = 32
MAX_USER_ID_BYTES = 256
MAX_HEIGHT = 64
_EPOCH_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# User ids (section 2.1): code point categories refused anywhere in an id.
_FORBIDDEN_ID_CATEGORIES = {
    "Cc": "control character",
    "Cf": "format character",
    "Cs": "lone surrogate",
    "Co": "private-use character",
    "Cn": "unassigned code point",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}
# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt; a stable
# property), most of them already Cf; the rest (Hangul fillers, variation selectors, the
# combining grapheme joiner) are letters or marks that render as nothing.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_IGNORABLE_RE = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _DEFAULT_IGNORABLE) + "]"
)

_SALT_EPOCH = b"solvency/v1/epoch"
_SALT_USER = b"solvency/v1/user"
_SALT_BLINDING = b"solvency/v1/blinding"
_SALT_POSITION = b"solvency/v1/position"
_SALT_PADDING = b"solvency/v1/padding"
_SALT_PAD_BLINDING = b"solvency/v1/pad-blinding"
_TAG_LEAF_ID = b"solvency/v1/leaf-id"


# --- input checks ---------------------------------------------------------------------------


def check_epoch_id(epoch_id: str) -> str:
    """Return ``epoch_id`` if it is 1..64 characters of ``[A-Za-z0-9._:-]`` (section 2)."""
    if not isinstance(epoch_id, str) or _EPOCH_ID.fullmatch(epoch_id) is None:
        raise InvalidParameterError("epoch id must be 1..64 characters of [A-Za-z0-9._:-]")
    return epoch_id


def check_user_id(user_id: str) -> bytes:
    """Return the UTF-8 bytes of ``user_id`` if it follows the rule of section 2.1, else raise
    InvalidUserIdError saying why. The one check of user ids: the ledger, the proof files,
    the tree and the derivations all call it. An id is never normalised here or anywhere:
    two ids that render alike would otherwise be one user to the reader and two to the tree.

    Allowed: 1..256 UTF-8 bytes, in Unicode NFC, no surrounding whitespace, and none of
    - control (Cc), format (Cf: zero-width space and joiners, bidi controls such as U+202E,
      a byte-order mark U+FEFF), surrogate (Cs), private-use (Co) or unassigned (Cn) code points;
    - line or paragraph separators (Zl, Zp), or spaces other than U+0020 (Zs: no-break and
      other look-alike spaces);
    - other default-ignorable code points, which render as nothing (Hangul fillers, variation
      selectors, the combining grapheme joiner, ...).
    """
    if not isinstance(user_id, str):
        raise InvalidUserIdError("user id: expected a string")
    if user_id == "":
        raise InvalidUserIdError("user id is empty")
    # str.isprintable() is False exactly for categories C* and Z* other than U+0020: the
    # forbidden categories. It and one regex search keep the common case fast (measured in
    # benchmarks/bench_ledger_read.py); the loop below only runs to name the culprit.
    if not user_id.isprintable() or _IGNORABLE_RE.search(user_id):
        for ch in user_id:
            kind = _forbidden_kind(ch)
            if kind is not None:
                name = unicodedata.name(ch, "unnamed")
                raise InvalidUserIdError(
                    f"user id {_echo(user_id)} contains {kind} U+{ord(ch):04X} ({name})"
                )
    if user_id != user_id.strip(" "):
        raise InvalidUserIdError(f"user id {_echo(user_id)} has surrounding whitespace")
    if not unicodedata.is_normalized("NFC", user_id):
        raise InvalidUserIdError(
            f"user id {_echo(user_id)} is not in Unicode NFC (e.g. an accent written as a "
            "separate combining mark); write it in NFC: ids are never normalised for you"
        )
    raw = user_id.encode("utf-8")  # no surrogates left, so this cannot fail
    if len(raw) > MAX_USER_ID_BYTES:
        raise InvalidUserIdError(
            f"user id is {len(raw)} UTF-8 bytes long, at most {MAX_USER_ID_BYTES} are allowed"
        )
    return raw


def _forbidden_kind(ch: str) -> str | None:
    category = unicodedata.category(ch)
    kind = _FORBIDDEN_ID_CATEGORIES.get(category)
    if kind is not None:
        return kind
    if category == "Zs" and ch != " ":
        return "space character"
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in _DEFAULT_IGNORABLE):
        return "invisible (default-ignorable) character"
    return None


def _echo(value: str) -> str:
    """The id as a Python literal (invisible characters escaped), cut short if long."""
    text = ascii(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_secret(secret: bytes, what: str) -> bytes:
    if not isinstance(secret, bytes | bytearray):
        raise InvalidParameterError(f"{what} must be bytes")
    if len(secret) != SECRET_BYTES:
        raise InvalidParameterError(f"{what} must be {SECRET_BYTES} bytes, got {len(secret)}")
    return bytes(secret)


def _check_index(k: int, what: str, bound: int) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < bound:
        raise InvalidParameterError(f"{what} must be an int in [0, {bound})")
    return k


# --- internals: inputs already checked -------------------------------------------------------


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869): PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i-1) || info || i).

    On the standard library's HMAC rather than ``cryptography``'s HKDF: importing that (and
    OpenSSL's set-up on first use) cost about 6.5 ms of ``solvency verify`` (issue 8's 120 ms;
    see ``solvency.crypto.ed25519``), for two HMACs per call. tests/test_derive.py checks it
    against ``cryptography``'s HKDF and RFC 5869's test vectors.
    """
    if not 0 < length <= 255 * 32:
        raise InvalidParameterError("HKDF-SHA256 output length must be in [1, 8160]")
    prk = hmac.digest(salt, ikm, "sha256")  # extract
    out, t = b"", b""
    for i in range(1, -(-length // 32) + 1):  # expand
        t = hmac.digest(prk, t + info + bytes((i,)), "sha256")
        out += t
    return out[:length]


def _epoch_secret(master_secret: bytes, epoch_id: str) -> bytes:
    return _hkdf(master_secret, _SALT_EPOCH, epoch_id.encode("ascii"), 32)


def _user_secret(epoch_secret: bytes, user_id_utf8: bytes) -> bytes:
    return _hkdf(epoch_secret, _SALT_USER, user_id_utf8, 32)


def _blinding(user_secret: bytes, k: int) -> int:
    return (
        int.from_bytes(_hkdf(user_secret, _SALT_BLINDING, k.to_bytes(4, "little"), 64), "little")
        % L
    )


def _leaf_id(user_id_utf8: bytes, user_secret: bytes) -> bytes:
    return hashlib.sha256(
        _TAG_LEAF_ID + len(user_id_utf8).to_bytes(4, "little") + user_id_utf8 + user_secret
    ).digest()


def _pad_seed(padding_key: bytes, level: int, index: int) -> bytes:
    return hmac.digest(
        padding_key, b"node" + level.to_bytes(1, "little") + index.to_bytes(8, "little"), "sha256"
    )


def _pad_blinding(seed: bytes, k: int) -> int:
    return (
        int.from_bytes(_hkdf(seed, _SALT_PAD_BLINDING, k.to_bytes(4, "little"), 64), "little") % L
    )


# --- public API ----------------------------------------------------------------------------


def epoch_secret(master_secret: bytes, epoch_id: str) -> bytes:
    """The 32-byte secret of one epoch, from the exchange's 32-byte master secret."""
    return _epoch_secret(_check_secret(master_secret, "master secret"), check_epoch_id(epoch_id))


def user_secret(epoch_secret: bytes, user_id: str) -> bytes:
    """The 32-byte secret of one user in one epoch (given to the user in their proof)."""
    return _user_secret(_check_secret(epoch_secret, "epoch secret"), check_user_id(user_id))


def blinding(user_secret: bytes, k: int) -> int:
    """The blinding r_k of the user's commitment to asset k."""
    return _blinding(
        _check_secret(user_secret, "user secret"), _check_index(k, "asset index", 2**32)
    )


def blindings(user_secret: bytes, a: int) -> tuple[int, ...]:
    """(r_0, .., r_{a-1})."""
    secret = _check_secret(user_secret, "user secret")
    _check_index(a, "number of assets", 2**32)
    return tuple(_blinding(secret, k) for k in range(a))


def leaf_id(user_id: str, user_secret: bytes) -> bytes:
    """The 32-byte leaf id binding the user id and the user secret."""
    return _leaf_id(check_user_id(user_id), _check_secret(user_secret, "user secret"))


def position_key(epoch_secret: bytes) -> bytes:
    """The HMAC key that places users at leaf positions (section 4)."""
    return _hkdf(_check_secret(epoch_secret, "epoch secret"), _SALT_POSITION, b"", 32)


def padding_key(epoch_secret: bytes) -> bytes:
    """The HMAC key from which every padding node's seed derives."""
    return _hkdf(_check_secret(epoch_secret, "epoch secret"), _SALT_PADDING, b"", 32)


def pad_seed(padding_key: bytes, level: int, index: int) -> bytes:
    """The seed s of the padding node at (level, index)."""
    key = _check_secret(padding_key, "padding key")
    _check_index(level, "level", MAX_HEIGHT + 1)
    _check_index(index, "index", 2**64)
    return _pad_seed(key, level, index)


def pad_blinding(seed: bytes, k: int) -> int:
    """The blinding r_k of a padding node's commitment to zero for asset k."""
    if not isinstance(seed, bytes | bytearray) or len(seed) != 32:
        raise MalformedInputError("padding seed must be 32 bytes")
    return _pad_blinding(bytes(seed), _check_index(k, "asset index", 2**32))
