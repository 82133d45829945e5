"""The liabilities relation (docs/PROTOCOL.md section 7; DAPOL+ section 4.4).

    C_k(root) == Com(total_k, R_k)   for every asset k, where R_k is the sum (mod l) of every
                                     leaf's and padding node's blinding for asset k.

Together with every node's range proof (section 5) and the users' inclusion checks, this
makes the root total the integer sum of non-negative balances. The walk over a whole tree
that checks every node is ``solvency.epoch.audit.audit_tree``.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from solvency.crypto import group
from solvency.crypto.pedersen import PedersenGens
from solvency.errors import InvalidParameterError, VerificationError

_PC = PedersenGens.default()


def verify_liabilities(
    root_commitments: Sequence[bytes],
    totals: Sequence[int],
    blindings: Sequence[int],
    symbols: Sequence[str] | None = None,
) -> None:
    """Check that the root commitments open to the declared totals; raise VerificationError
    naming the asset that does not."""
    a = len(root_commitments)
    if len(totals) != a or len(blindings) != a or (symbols is not None and len(symbols) != a):
        raise InvalidParameterError("need one total and one blinding per root commitment")
    for k in range(a):
        name = symbols[k] if symbols is not None else f"asset {k}"
        total_k, R_k = totals[k], blindings[k]
        if not isinstance(total_k, int) or isinstance(total_k, bool) or not 0 <= total_k < 2**64:
            raise InvalidParameterError(f"total of {name} must be an int in [0, 2^64)")
        if not isinstance(R_k, int) or isinstance(R_k, bool) or not 0 <= R_k < group.L:
            raise InvalidParameterError(f"blinding of {name} must be an int in [0, l)")
        group.decode_point(root_commitments[k], f"root commitment of {name}")
        # C_k(root) == Com(total_k, R_k)
        if not hmac.compare_digest(root_commitments[k], _PC.commit(total_k, R_k)):
            raise VerificationError(f"root commitment of {name} does not open to the total")
