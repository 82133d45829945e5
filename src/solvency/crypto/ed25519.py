"""Ed25519 signature verification (RFC 8032 section 5.1.7) through libsodium.

    Verify(A, M, (R, S)):  S < l, and [S]B == R + [SHA512(R || A || M) mod l]A

``verify`` is libsodium's ``crypto_sign_verify_detached`` on the library ``group`` has already
loaded. Why not ``cryptography`` (which signs, in ``solvency.files.signing``): importing it and
its first use cost about 6.5 ms of a ``solvency verify`` that must fit in 120 ms (issue 8;
measured on this 2-core machine, median of 9 fresh processes, ``benchmarks/bench_cli.py``
gives the whole command), and libsodium is loaded anyway. libsodium is also stricter than
OpenSSL's verification: it refuses public keys and R of small order, and non-canonical
encodings of them, which OpenSSL accepts. Under such a key (the identity, say) the
"signature" (R, S) = (identity, 0) verifies in OpenSSL for every message: nobody holds a
secret for it, so it would bind no one. tests/test_signing.py checks both agree on RFC
8032's vectors and on random keys, messages and byte flips, and that such keys are refused.
"""

from __future__ import annotations

import ctypes

from solvency.crypto import group
from solvency.errors import LibsodiumMissingError

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64

_sodium = group._sodium
if _sodium.sodium_init() < 0:  # 0 done now, 1 done before; -1 the library cannot be used
    raise LibsodiumMissingError("libsodium failed to initialise (sodium_init)")
_c_verify = _sodium.crypto_sign_verify_detached


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` under
    ``public_key`` (32 and 64 bytes; other lengths are refused, False)."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_BYTES:
        return False
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        return False
    if not isinstance(message, bytes):
        return False
    # int crypto_sign_verify_detached(sig, m, unsigned long long mlen, pk): 0 when valid
    return int(_c_verify(signature, message, ctypes.c_ulonglong(len(message)), public_key)) == 0
