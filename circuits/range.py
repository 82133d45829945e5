"""Node range proofs (docs/PROTOCOL.md section 5).

Relation: for a node (level, index) of epoch e with commitments C_0..C_{a-1}, the prover knows
(v_k, r_k) with

    C_k = Com(v_k, r_k)   and   v_k in [0, 2^64)        for k = 0..a-1.

One aggregated Bulletproof (Bunz et al. 2018, section 4.3) covers the node: its m = a rounded
up to a power of two commitments are C_0..C_{a-1} followed by m - a copies of Com(0, 0), the
identity. Its transcript is

    T = Transcript(b"solvency/v1/node-range"); T.append_message(b"epoch", e);
    T.append_u64(b"level", level); T.append_u64(b"index", index)

so a proof made for one node and epoch does not verify at another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solvency.crypto.bulletproofs import RangeProof, verify_batch
from solvency.crypto.group import IDENTITY, Rng
from solvency.crypto.transcript import Transcript
from solvency.errors import InvalidParameterError, SolvencyError, VerificationError

RANGE_BITS = 64
_LABEL = b"solvency/v1/node-range"


class NodeProofError(VerificationError):
    """A node's range proof does not verify; ``level`` and ``index`` name the node."""

    def __init__(self, message: str, level: int, index: int) -> None:
        super().__init__(message)
        self.level = level
        self.index = index


@dataclass(frozen=True, slots=True)
class NodeProofItem:
    """One node's range proof to verify: its address, commitments and proof bytes."""

    level: int
    index: int
    commitments: tuple[bytes, ...]
    proof: bytes


def aggregation_size(a: int) -> int:
    """m = a rounded up to a power of two."""
    if not isinstance(a, int) or isinstance(a, bool) or a < 1:
        raise InvalidParameterError("the number of assets must be a positive int")
    return 1 << (a - 1).bit_length()


def node_transcript(epoch: str, level: int, index: int) -> Transcript:
    """The fresh transcript of node (level, index) of ``epoch``."""
    T = Transcript(_LABEL)
    T.append_message(b"epoch", epoch.encode("utf-8"))
    T.append_u64(b"level", level)
    T.append_u64(b"index", index)
    return T


def padded_commitments(commitments: Sequence[bytes]) -> list[bytes]:
    """C_0..C_{a-1} followed by m - a identity commitments Com(0, 0)."""
    m = aggregation_size(len(commitments))
    return [*commitments, *[IDENTITY] * (m - len(commitments))]


def prove_node(
    epoch: str,
    level: int,
    index: int,
    values: Sequence[int],
    blindings: Sequence[int],
    rng: Rng | None = None,
) -> tuple[bytes, tuple[bytes, ...]]:
    """Prove every v_k in [0, 2^64); return the proof bytes and the node's a commitments.

    Raises InvalidParameterError when a value is out of range: no proof exists then.
    """
    a = len(values)
    m = aggregation_size(a)
    if len(blindings) != a:
        raise InvalidParameterError("need one blinding per value")
    proof, V = RangeProof.prove(
        [*values, *[0] * (m - a)],
        [*blindings, *[0] * (m - a)],
        RANGE_BITS,
        node_transcript(epoch, level, index),
        rng,
    )
    return proof.to_bytes(), tuple(V[:a])


def _batch_item(
    epoch: str, item: NodeProofItem, check_points: bool = True
) -> tuple[RangeProof, list[bytes], int, Transcript]:
    return (
        RangeProof._parse(item.proof, check_points),
        padded_commitments(item.commitments),
        RANGE_BITS,
        node_transcript(epoch, item.level, item.index),
    )


def verify_node(epoch: str, item: NodeProofItem, rng: Rng | None = None) -> None:
    """Check one node's range proof; raise NodeProofError naming the node."""
    where = f"range proof of node (level {item.level}, index {item.index})"
    try:
        batch = [_batch_item(epoch, item)]
    except SolvencyError as exc:
        raise NodeProofError(f"{where} is malformed", item.level, item.index) from exc
    try:
        verify_batch(batch, rng=rng)
    except SolvencyError as exc:
        raise NodeProofError(f"{where} does not verify", item.level, item.index) from exc


def verify_nodes_batch(epoch: str, items: Sequence[NodeProofItem], rng: Rng | None = None) -> None:
    """Check many nodes' range proofs with one ``verify_batch`` call.

    When the batch fails, the proofs are checked one by one so the error names the first
    node at fault (a NodeProofError with its level and index).
    """
    if not items:
        return
    try:
        # The proofs' points are decoded once, by verify_batch (strictly); any failure
        # re-checks every proof alone below, from a strict parse, to name the node at fault.
        batch = [_batch_item(epoch, item, check_points=False) for item in items]
        verify_batch(batch, rng=rng)
        return
    except SolvencyError:
        pass
    for item in items:
        verify_node(epoch, item, rng)
    # The batch failed but every proof passes alone: only a random weight can explain it.
    raise VerificationError("range proof batch does not verify")
