"""``solvency audit``: the auditor's checks (docs/PROTOCOL.md section 7).

1. With ``--pubkey``: the Ed25519 signature on root.json; then the root's declared parameters
   (``circuits.parameters``, the one check ``solvency verify`` makes too).
2. The liabilities opening: ``C_k(root) == Com(total_k, R_k)`` for every asset, with the
   totals and blindings from ``--liabilities`` (or, when the exchange published them, from
   root.json itself); liabilities.json must name the same epoch, root hash and assets.
3. With ``--tree``: every node of the tree database (sums, hashes, padding openings, root,
   every range proof), through ``epoch.audit.audit_tree``.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from solvency.circuits.liabilities import verify_liabilities
from solvency.circuits.parameters import check_root_parameters
from solvency.epoch.audit import AuditReport, audit_tree
from solvency.epoch.parallel import make_workers
from solvency.epoch.store import EpochStore
from solvency.errors import VerificationError
from solvency.files import formats
from solvency.files.ledger import AssetSpec, format_units

from .keyfiles import RootSignature
from .options import EXISTING_FILE, file_option
from .reporting import Output, reports


@dataclass(frozen=True)
class AuditResult:
    root: formats.RootFile
    totals: tuple[tuple[AssetSpec, int], ...]
    key_fingerprint: str | None
    tree: AuditReport | None
    seconds: float

    def verdict(self) -> str:
        what = "root commitments open to the declared totals"
        if self.tree is not None:
            what += f"; all {self.tree.nodes} tree nodes and range proofs check"
        if self.key_fingerprint is not None:
            what += f"; root signed by key {self.key_fingerprint[:16]}"
        return f"VERIFIED: {what}"

    def to_json(self) -> dict[str, Any]:
        """The audit's keys of the --json result (schemas/audit-result-v1.json)."""
        t = self.tree
        return {
            "epoch": self.root.epoch,
            "root_hash": self.root.root.hash.hex(),
            "totals": [
                {"symbol": a.symbol, "amount": format_units(v, a.decimals), "units": str(v)}
                for a, v in self.totals
            ],
            "signature_checked": self.key_fingerprint is not None,
            "key_fingerprint": self.key_fingerprint,
            "tree": None
            if t is None
            else {
                "height": t.height,
                "nodes": t.nodes,
                "leaves": t.leaves,
                "internal": t.internal,
                "padding": t.padding,
                "range_proofs": t.range_proofs,
            },
            "audit_seconds": self.seconds,
        }


def _totals(
    root: formats.RootFile, liabilities_path: Path | None
) -> tuple[tuple[AssetSpec, int, int], ...]:
    """(asset, total, blinding) per asset, from liabilities.json or the published totals."""
    if liabilities_path is None:
        if root.totals is None:
            raise click.UsageError(
                "give --liabilities FILE (this root.json does not publish its totals)"
            )
        return tuple(
            (a, t.units, t.blinding) for a, t in zip(root.assets, root.totals, strict=True)
        )
    liab = formats.LiabilitiesFile.loads(liabilities_path.read_bytes())
    if liab.epoch != root.epoch:
        raise VerificationError(
            f"epoch mismatch: liabilities are for epoch {liab.epoch}, the root for {root.epoch}"
        )
    if not hmac.compare_digest(liab.root_hash, root.root.hash):
        raise VerificationError("root hash mismatch: the liabilities are for another root")
    if liab.assets != root.assets:
        raise VerificationError("assets mismatch: the liabilities list other assets")
    if root.totals is not None:
        for t, lt in zip(root.totals, liab.totals, strict=True):
            if (t.units, t.blinding) != (lt.units, lt.blinding):
                raise VerificationError(
                    f"{t.symbol}: the published total differs from the liabilities file"
                )
    return tuple((lt.asset, lt.units, lt.blinding) for lt in liab.totals)


def run_audit(
    root_path: Path,
    liabilities_path: Path | None = None,
    tree_path: Path | None = None,
    pubkey_path: Path | None = None,
    sig_path: Path | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> AuditResult:
    """Run the checks; raise VerificationError (exit 1) at the first that fails.

    The tree's range proofs are checked on ``workers`` processes (None: every core), or on
    the Dask cluster at ``scheduler``.
    """
    start = time.perf_counter()
    if sig_path is not None and pubkey_path is None:
        raise click.UsageError("--sig needs --pubkey")
    root_bytes = root_path.read_bytes()
    root = formats.RootFile.loads(root_bytes)
    fingerprint = None
    if pubkey_path is not None:
        fingerprint = RootSignature.load(root_path, pubkey_path, sig_path).check(root_bytes)
    check_root_parameters(root)
    totals = _totals(root, liabilities_path)
    verify_liabilities(
        root.root.commitments,
        [v for _, v, _ in totals],
        [R for _, _, R in totals],
        [a.symbol for a, _, _ in totals],
    )
    report = None
    if tree_path is not None:
        with EpochStore.open(tree_path, readonly=True) as store:
            if store.epoch != root.epoch:
                raise VerificationError(
                    f"epoch mismatch: the tree is for epoch {store.epoch}, the root for "
                    f"{root.epoch}"
                )
            if store.height != root.height:
                raise VerificationError("height mismatch between the tree and the root")
            if store.assets != tuple((a.symbol, a.decimals) for a in root.assets):
                raise VerificationError("assets mismatch between the tree and the root")
            with make_workers(workers, scheduler) as pool:
                report = audit_tree(store, root.root.hash, root.root.commitments, workers=pool)
    return AuditResult(
        root=root,
        totals=tuple((a, v) for a, v, _ in totals),
        key_fingerprint=fingerprint,
        tree=report,
        seconds=time.perf_counter() - start,
    )


@click.command("audit")
@click.argument("root_file", type=EXISTING_FILE)
@file_option(
    "--liabilities", "liabilities_path", help="private/liabilities.json from the exchange."
)
@file_option(
    "--tree", "tree_path", help="The tree database (solvency export-tree) for the full audit."
)
@file_option("--pubkey", "pubkey_path", help="The exchange's signing.pub.")
@file_option("--sig", "sig_path", help="Signature file (default: <root>.sig).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes checking the tree's range proofs (default: every core).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Check the range proofs on this Dask scheduler (tcp://host:8786) instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("audit")
def audit(
    root_file: Path,
    liabilities_path: Path | None,
    tree_path: Path | None,
    pubkey_path: Path | None,
    sig_path: Path | None,
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
    out: Output,
) -> None:
    """Check the liabilities opening of ROOT_FILE, and with --tree every node."""
    if pubkey_path is None:
        out.warn("the root's signature was not checked (pass --pubkey signing.pub)")
    result = run_audit(
        root_file, liabilities_path, tree_path, pubkey_path, sig_path, workers, scheduler
    )
    out.line(f"epoch        {result.root.epoch}")
    out.line(f"root hash    {result.root.root.hash.hex()}")
    for a, v in result.totals:
        out.line(f"  {a.symbol:<8}   {format_units(v, a.decimals)}")
    t = result.tree
    if t is not None:
        out.line(
            f"tree         height {t.height}, {t.nodes} nodes ({t.leaves} leaves, "
            f"{t.internal} internal, {t.padding} padding), {t.range_proofs} range proofs checked"
        )
    out.finish("verified", verdict=result.verdict(), **result.to_json())
