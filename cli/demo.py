"""``solvency demo``: the README's main job on an embedded default.

Commits values, proves them in range with dalek-compatible Bulletproofs, verifies the
proofs one by one and in a batch, and prints the timings.
"""

from __future__ import annotations

import secrets
import statistics
import time

import click

from solvency import group, pedersen
from solvency.bulletproofs import RangeProof, verify_batch
from solvency.errors import VerificationError
from solvency.transcript import Transcript

from .reporting import emit_json, reports_errors

_LABEL = b"solvency demo"


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


@click.command()
@click.option("--proofs", default=8, show_default=True, help="Number of single 64-bit proofs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports_errors
def demo(proofs: int, as_json: bool) -> None:
    """Commit, prove and verify on a built-in example, with timings."""
    if proofs < 1:
        raise click.BadParameter("must be at least 1", param_hint="--proofs")
    values = [secrets.randbelow(1 << 64) for _ in range(proofs)]
    blindings = [group.random_scalar() for _ in values]
    commitments = [pedersen.commit(v, r) for v, r in zip(values, blindings, strict=True)]

    results: list[tuple[RangeProof, list[bytes]]] = []
    prove_times = []
    for v, r in zip(values, blindings, strict=True):
        start = time.perf_counter()
        results.append(RangeProof.prove([v], [r], 64, Transcript(_LABEL)))
        prove_times.append(time.perf_counter() - start)
    if [V[0] for _, V in results] != commitments:
        raise click.ClickException("commitments from the prover differ from pedersen.commit")

    verify_times = [
        _timed(lambda p=proof, V=V: p.verify(V, 64, Transcript(_LABEL))) for proof, V in results
    ]
    batch_time = _timed(lambda: verify_batch([(p, V, 64, Transcript(_LABEL)) for p, V in results]))
    # A tampered commitment must be refused.
    forged = group.add(commitments[0], group.BASEPOINT)
    try:
        results[0][0].verify([forged], 64, Transcript(_LABEL))
        tamper = "ACCEPTED (bug)"
    except VerificationError:
        tamper = "rejected"
    report = {
        "proofs": proofs,
        "proof_bytes": len(results[0][0].to_bytes()),
        "prove_ms_median": 1e3 * statistics.median(prove_times),
        "verify_ms_median": 1e3 * statistics.median(verify_times),
        "batch_verify_ms": 1e3 * batch_time,
        "tampered_commitment": tamper,
    }
    if as_json:
        emit_json(report)
        return
    click.echo(f"committed {proofs} random 64-bit values (ristretto255 Pedersen)")
    click.echo(f"range proof size      {report['proof_bytes']} bytes (dalek format)")
    click.echo(f"prove, median         {report['prove_ms_median']:.1f} ms")
    click.echo(f"verify, median        {report['verify_ms_median']:.1f} ms")
    click.echo(f"batch verify of {proofs:<4} {report['batch_verify_ms']:.1f} ms")
    click.echo(f"tampered commitment   {tamper}")
    click.echo("all proofs verified" if tamper == "rejected" else "FAILED")
