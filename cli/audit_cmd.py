"""``solvency audit``: the auditor's checks (docs/PROTOCOL.md section 7).

1. With ``--pubkey``: the Ed25519 signature on root.json; then the root's declared parameters
   (``circuits.parameters``, the one check ``solvency verify`` makes too).
2. The liabilities opening: ``C_k(root) == Com(total_k, R_k)`` for every asset, with the
   totals and blindings from ``--liabilities`` (or, when the exchange published them, from
   root.json itself); liabilities.json must name the same epoch, root hash and assets.
3. With ``--tree``: every node of the tree database (sums, hashes, padding openings, root,
   every range proof), through ``epoch.audit.audit_tree``.
4. With ``--solvency`` and ``--reserves`` (and ``--pubkey``): the reserves file and the signed
   solvency proof (docs/PROTOCOL.md 11.8), and, from the opening, each asset's reserve ratio.

A margin epoch (version 2 files, docs/PROTOCOL.md section 10.6): the opening covers 2a root
commitments, total equity and total debt per asset, and the report gives both and the net
liability (equity minus debt) per asset; with ``--tree`` every leaf's collateral proof is
checked too, and the tree's margin parameters must equal the signed root's.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .reserves_cmd import SolvencyCheck


@dataclass(frozen=True)
class AuditResult:
    root: formats.RootFile
    totals: tuple[tuple[AssetSpec, int], ...]
    key_fingerprint: str | None
    tree: AuditReport | None
    seconds: float
    solvency: SolvencyCheck | None = None
    ratios: list[dict[str, object]] | None = None

    def per_asset(self) -> list[tuple[AssetSpec, int, int]]:
        """(asset, total equity, total debt) per asset; debt is 0 without margin."""
        a = len(self.root.assets)
        if self.root.margin is None:
            return [(x, v, 0) for x, v in self.totals]
        return [(x, e, d) for (x, e), (_, d) in zip(self.totals[:a], self.totals[a:], strict=True)]

    def verdict(self) -> str:
        what = "root commitments open to the declared totals"
        if self.tree is not None:
            what += f"; all {self.tree.nodes} tree nodes and range proofs check"
            if self.root.margin is not None:
                what += f", and all {self.tree.collateral_proofs} leaves' collateral proofs"
        if self.key_fingerprint is not None:
            what += f"; root signed by key {self.key_fingerprint[:16]}"
        if self.solvency is not None:
            what += f"; {self.solvency.verdict()}"
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
            ]
            if self.root.margin is None
            else None,
            "margin": None
            if self.root.margin is None
            else {
                **self.root.margin.to_json(),
                "totals": [
                    {
                        "symbol": a.symbol,
                        "equity": format_units(e, a.decimals),
                        "debt": format_units(d, a.decimals),
                        "net": formats.format_signed_units(e - d, a.decimals),
                        "equity_units": str(e),
                        "debt_units": str(d),
                        "net_units": str(e - d),
                    }
                    for a, e, d in self.per_asset()
                ],
                "collateral_proofs": None if t is None else t.collateral_proofs,
            },
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
            "reserves": None if self.solvency is None else self.solvency.reserves_json(),
            "solvency": None if self.solvency is None else self.solvency.to_json(self.ratios),
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
        columns = root.assets * (root.columns // len(root.assets))
        return tuple((a, t.units, t.blinding) for a, t in zip(columns, root.totals, strict=True))
    liab = formats.LiabilitiesFile.loads(liabilities_path.read_bytes())
    if liab.epoch != root.epoch:
        raise VerificationError(
            f"epoch mismatch: liabilities are for epoch {liab.epoch}, the root for {root.epoch}"
        )
    if not hmac.compare_digest(liab.root_hash, root.root.hash):
        raise VerificationError("root hash mismatch: the liabilities are for another root")
    if liab.assets != root.assets:
        raise VerificationError("assets mismatch: the liabilities list other assets")
    if liab.margin != (root.margin is not None):
        raise VerificationError(
            "margin mismatch: only one of the root and the liabilities is a margin epoch"
        )
    if root.totals is not None:
        for t, lt in zip(root.totals, liab.totals, strict=True):
            if (t.units, t.blinding) != (lt.units, lt.blinding):
                raise VerificationError(
                    f"{t.symbol}: the published total differs from the liabilities file"
                )
    return tuple((lt.asset, lt.units, lt.blinding) for lt in liab.totals)


def _ignore(**_fields: Any) -> None:
    pass


def run_audit(
    root_path: Path,
    liabilities_path: Path | None = None,
    tree_path: Path | None = None,
    pubkey_path: Path | None = None,
    sig_path: Path | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
    solvency_path: Path | None = None,
    reserves_path: Path | None = None,
    balances_path: Path | None = None,
    note: Callable[..., None] | None = None,
) -> AuditResult:
    """Run the checks; raise VerificationError (exit 1) at the first that fails.

    The tree's range proofs are checked on ``workers`` processes (None: every core), or on
    the Dask cluster at ``scheduler``. ``note`` is told result keys as they become known
    (``Output.note``), so that a check failing later still reports them.
    """
    tell = note if note is not None else _ignore
    start = time.perf_counter()
    if sig_path is not None and pubkey_path is None:
        raise click.UsageError("--sig needs --pubkey")
    if (solvency_path is None) != (reserves_path is None):
        raise click.UsageError("--solvency and --reserves go together")
    if balances_path is not None and reserves_path is None:
        raise click.UsageError("--balances needs --solvency and --reserves")
    if solvency_path is not None and pubkey_path is None:
        raise click.UsageError("--solvency needs --pubkey (the exchange signs solvency.json)")
    solvency_files = None
    if solvency_path is not None and reserves_path is not None:
        # Imported only here: the reserves checks load secp256k1, eth-account and the rest.
        from .reserves_cmd import load_solvency

        solvency_files = load_solvency(solvency_path, reserves_path, balances_path)
    root_bytes = root_path.read_bytes()
    root = formats.RootFile.loads(root_bytes)
    tell(epoch=root.epoch, root_hash=root.root.hash.hex(), signature_checked=False)
    fingerprint = None
    signature = None
    if pubkey_path is not None:
        signature = RootSignature.load(root_path, pubkey_path, sig_path)
        fingerprint = signature.check(root_bytes)
        tell(signature_checked=True, key_fingerprint=fingerprint)
    check_root_parameters(root)
    totals = _totals(root, liabilities_path)
    a = len(root.assets)
    names = [
        x.symbol if root.margin is None else f"{x.symbol} {'equity' if i < a else 'debt'}"
        for i, (x, _, _) in enumerate(totals)
    ]
    verify_liabilities(
        root.root.commitments,
        [v for _, v, _ in totals],
        [R for _, _, R in totals],
        names,
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
            if store.margin != root.margin:
                raise VerificationError(
                    "margin mismatch: the tree's prices or haircuts are not the signed root's"
                )
            with make_workers(workers, scheduler) as pool:
                report = audit_tree(store, root.root.hash, root.root.commitments, workers=pool)
    solvency = ratios = None
    if solvency_files is not None and signature is not None:
        from .reserves_cmd import check_solvency, solvency_ratios

        solvency = check_solvency(root, signature.key, solvency_files)
        # A margin root's requirement per asset is its net liability, equity minus debt
        # (PROTOCOL 10.7), never below zero here.
        a = len(root.assets)
        needs = (
            [v for _, v, _ in totals]
            if root.margin is None
            else [
                max(e - d, 0) for (_, e, _), (_, d, _) in zip(totals[:a], totals[a:], strict=True)
            ]
        )
        ratios = solvency_ratios(solvency, needs)
    return AuditResult(
        root=root,
        totals=tuple((a, v) for a, v, _ in totals),
        key_fingerprint=fingerprint,
        tree=report,
        seconds=time.perf_counter() - start,
        solvency=solvency,
        ratios=ratios,
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
@file_option(
    "--solvency", "solvency_path", help="The exchange's solvency.json (with solvency.json.sig)."
)
@file_option("--reserves", "reserves_path", help="The reserves file solvency.json was made for.")
@file_option(
    "--balances", "balances_path", help="Your snapshot CSV (asset,chain,address,balance,height)."
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
    solvency_path: Path | None,
    reserves_path: Path | None,
    balances_path: Path | None,
    as_json: bool,
    out: Output,
) -> None:
    """Check the liabilities opening of ROOT_FILE, and with --tree every node."""
    if pubkey_path is None:
        out.warn("the root's signature was not checked (pass --pubkey signing.pub)")
    result = run_audit(
        root_file,
        liabilities_path,
        tree_path,
        pubkey_path,
        sig_path,
        workers,
        scheduler,
        solvency_path,
        reserves_path,
        balances_path,
        note=out.note,
    )
    out.line(f"epoch        {result.root.epoch}")
    out.line(f"root hash    {result.root.root.hash.hex()}")
    if result.root.margin is None:
        for a, v in result.totals:
            out.line(f"  {a.symbol:<8}   {format_units(v, a.decimals)}")
    else:
        out.line(f"  {'asset':<8} {'total equity':>26} {'total debt':>26} {'net liability':>27}")
        for a, e, d in result.per_asset():
            out.line(
                f"  {a.symbol:<8} {format_units(e, a.decimals):>26} "
                f"{format_units(d, a.decimals):>26} "
                f"{formats.format_signed_units(e - d, a.decimals):>27}"
            )
    t = result.tree
    if t is not None:
        out.line(
            f"tree         height {t.height}, {t.nodes} nodes ({t.leaves} leaves, "
            f"{t.internal} internal, {t.padding} padding), {t.range_proofs} range proofs checked"
            + (
                f", {t.collateral_proofs} collateral proofs checked"
                if result.root.margin is not None
                else ""
            )
        )
    if result.solvency is not None:
        out.line(f"reserves     {result.solvency.report.exchange}")
        result.solvency.lines(out, result.ratios)
    out.finish("verified", verdict=result.verdict(), **result.to_json())
