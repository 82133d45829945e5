"""What every verifier refuses about a signed root's declared parameters (docs/PROTOCOL.md
sections 5 and 8.1).

A root is signed with its parameters (height, range bits, hash, assets). The relations this
release checks are fixed: every node is proven in ``[0, 2^RANGE_BITS)`` with RANGE_BITS = 64
(section 5), hashed with SHA-256 (section 4). A root declaring anything else describes proofs
these relations do not check, so the user (``solvency verify``) and the auditor
(``solvency audit``) both refuse it, through this one function, before any other check: an
auditor must not pass a root that every user's check would fail, nor the other way round.
The file's schema already bounds each parameter; this is the protocol's choice among them.
"""

from __future__ import annotations

from solvency.errors import VerificationError
from solvency.files import formats

from .range import RANGE_BITS


def check_root_parameters(root: formats.RootFile) -> None:
    """Raise VerificationError when the root declares parameters the protocol does not use."""
    if root.range_bits != RANGE_BITS:
        raise VerificationError(
            f"root parameters: the root declares {root.range_bits}-bit range proofs; "
            f"every node is proven in [0, 2^{RANGE_BITS}) (PROTOCOL section 5)"
        )
