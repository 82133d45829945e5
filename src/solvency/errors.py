"""The exception hierarchy. Every failure the library reports is a ``SolvencyError``.

Messages name the field, row or file at fault and never contain secret values
(balances of other users, blinding factors, master secrets).
"""


class SolvencyError(Exception):
    """Base class of every error raised by solvency."""


class VerificationError(SolvencyError):
    """A proof, signature, hash or opening did not verify."""


class MalformedInputError(SolvencyError, ValueError):
    """Input bytes, files or fields are not well formed (wrong length, encoding, range)."""


class UnsupportedVersionError(MalformedInputError):
    """A file or proof carries a format name or version this release does not read."""


class InvalidParameterError(SolvencyError, ValueError):
    """A parameter is outside what the protocol allows (bit size, aggregation size, height)."""


class InvalidUserIdError(MalformedInputError, InvalidParameterError):
    """A user id breaks the rule of docs/PROTOCOL.md section 2.1 (``derive.check_user_id``).

    Both a malformed input (in a ledger or a proof file) and a bad parameter (given to a
    derivation), so callers catching either one keep working."""


class LibsodiumMissingError(SolvencyError, ImportError):
    """The system library libsodium (>= 1.0.18, with ristretto255) could not be loaded."""
