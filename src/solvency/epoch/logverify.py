"""What users and monitors check against the epoch log (docs/PROTOCOL.md section 9.7).

- ``verify_root_in_log``: the checkpoint is signed by the exchange's key ``pk``, the root's
  signature holds, and the entry ``d = log_entry(root_json, sig)`` is in the checkpoint's tree:

      Ed25519.Verify(pk, body(checkpoint), sig_cp)
      Ed25519.Verify(pk, root_json, sig)
      RFC 9162 2.1.3.2: SHA-256(0x00 || d), m, PATH(m, D[n]) recompute MTH(D[n]) of the checkpoint

- ``verify_log_extends``: two checkpoints of one log are consistent: of the same size they
  carry the same root; otherwise the larger extends the smaller (RFC 9162 2.1.4.2 over the
  consistency proof). Anything else is a fork: the log showed two different histories.

Wrong inputs (another log's origin, a proof for another tree size, an older checkpoint passed
as the newer) are MalformedInputError (exit 2); a check that fails is VerificationError (1).
"""

from __future__ import annotations

import hmac

from solvency.circuits import tlog
from solvency.errors import MalformedInputError, VerificationError
from solvency.files import formats
from solvency.files.checkpoint import SignedCheckpoint
from solvency.files.logfiles import LogConsistencyProof, LogInclusionProof, log_entry
from solvency.files.signing import VerifyingKey


def verify_root_in_log(
    checkpoint: SignedCheckpoint,
    key: VerifyingKey,
    proof: LogInclusionProof,
    root_json: bytes,
) -> None:
    """The signed root ``root_json`` is entry ``proof.leaf_index`` of the checkpoint's tree."""
    cp = checkpoint.checkpoint
    if proof.origin != cp.origin:
        raise MalformedInputError(
            f"log proof: it is for the log {proof.origin!r}, the checkpoint for {cp.origin!r}"
        )
    if proof.tree_size != cp.size:
        raise MalformedInputError(
            f"log proof: it is for a tree of size {proof.tree_size}, the checkpoint's has "
            f"size {cp.size}"
        )
    root = formats.RootFile.loads(root_json)
    checkpoint.verify(key)
    if root.epoch != proof.epoch:
        raise VerificationError(
            f"log proof: it is for epoch {proof.epoch!r}, root.json is epoch {root.epoch!r}"
        )
    try:
        key.verify(proof.root_signature, root_json)
    except VerificationError:
        raise VerificationError(
            "log proof: the root signature it carries does not verify over root.json"
        ) from None
    leaf = tlog.leaf_hash(log_entry(root_json, proof.root_signature))
    try:
        tlog.verify_inclusion(leaf, proof.leaf_index, proof.tree_size, proof.path, cp.root_hash)
    except tlog.InclusionProofError:
        raise VerificationError(
            f"log: the root of epoch {root.epoch!r} is not in the log at checkpoint size "
            f"{cp.size} (entry {proof.leaf_index}): this root was not published to everyone"
        ) from None


def verify_log_extends(
    older: SignedCheckpoint,
    newer: SignedCheckpoint,
    key: VerifyingKey,
    proof: LogConsistencyProof | None,
) -> None:
    """``newer`` extends ``older`` (equal roots when the sizes are equal)."""
    a, b = older.checkpoint, newer.checkpoint
    if a.origin != b.origin:
        raise MalformedInputError(f"checkpoints of two logs: {a.origin!r} and {b.origin!r}")
    older.verify(key)
    newer.verify(key)
    if a.size > b.size:
        raise MalformedInputError(
            f"the previous checkpoint (size {a.size}) is larger than the newer one "
            f"(size {b.size}); pass the older one as --previous"
        )
    if proof is not None:
        if proof.origin != a.origin:
            raise MalformedInputError(f"consistency proof: it is for the log {proof.origin!r}")
        if (proof.first_size, proof.second_size) != (a.size, b.size):
            raise MalformedInputError(
                f"consistency proof: it goes from size {proof.first_size} to "
                f"{proof.second_size}, the checkpoints have sizes {a.size} and {b.size}"
            )
    if a.size == b.size:
        # MTH(D[n]) is one value per history: two heads of one size are a fork
        if not hmac.compare_digest(a.root_hash, b.root_hash):
            raise VerificationError(
                f"fork: two checkpoints of size {a.size} with different roots, both signed "
                "by the log's key"
            )
        return
    if proof is None:
        raise MalformedInputError(
            f"sizes {a.size} and {b.size} differ: a consistency proof is needed"
        )
    try:
        tlog.verify_consistency(a.size, b.size, a.root_hash, b.root_hash, proof.path)
    except tlog.ConsistencyProofError:
        raise VerificationError(
            f"fork: the checkpoint of size {b.size} does not extend the one of size {a.size} "
            "(the log rewrote or hid part of its history)"
        ) from None
