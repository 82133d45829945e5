"""``solvency reserves verify`` and ``solvency reserves prove`` (docs/PROTOCOL.md section 11),
and the reserves checks that ``solvency verify`` and ``solvency audit`` add with
``--solvency solvency.json --reserves RESERVES.csv``.

``reserves verify`` (anyone): the root's signature, then ``epoch.reserves.verify_reserves``
(every row's ownership, no duplicate, one snapshot per chain, with ``--balances`` the auditor's
snapshot row by row). Per asset it reports the key-proven total and, apart, the custodial one.

``reserves prove`` (the exchange): the same checks on its own file, then per asset the
``circuits.coverage`` proof at ``--min-ratio`` percent (default 100), signed with the root's
key into ``--out`` (``solvency.json``) and ``<out>.sig``. When reserves do not cover an asset
it says which and writes nothing (exit 1).
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from solvency import __version__
from solvency.circuits.coverage import MAX_RATIO_PERCENT, NotCoveredError
from solvency.circuits.parameters import check_root_parameters
from solvency.epoch.reserves import (
    ReservesReport,
    make_reserves_proof,
    reserve_ratios,
    verify_reserves,
    verify_reserves_proof,
)
from solvency.errors import VerificationError
from solvency.files import formats, secure_io, signing
from solvency.files.ledger import format_units
from solvency.files.reserves import ReservesFile, read_snapshot
from solvency.files.reserves_proof import ReservesProofFile

from .keyfiles import KeyPaths, RootSignature
from .options import EXISTING_DIR, EXISTING_FILE, file_option
from .reporting import Output, reports

OUT_FILE = click.Path(dir_okay=False, path_type=Path)


@dataclass(frozen=True)
class LoadedReserves:
    """A reserves file read (not yet checked): its rows, the SHA-256 of its bytes, the snapshot."""

    reserves: ReservesFile
    sha256: bytes
    snapshot: tuple[Any, ...] | None

    @classmethod
    def load(cls, reserves_path: Path, balances_path: Path | None = None) -> LoadedReserves:
        """Bad input raises (exit 2), naming the file, row and column."""
        with secure_io.open_regular_file(reserves_path, "reserves") as fh:
            data = fh.read()
        reserves = ReservesFile.loads_csv(data, str(reserves_path))
        snapshot = None
        if balances_path is not None:
            with secure_io.open_regular_file(balances_path, "balances") as fh:
                snapshot = read_snapshot(fh.read(), str(balances_path))
        return cls(reserves, hashlib.sha256(data).digest(), snapshot)


def load_signed_root(
    root_path: Path, pubkey_path: Path, sig_path: Path | None = None
) -> tuple[formats.RootFile, RootSignature, str]:
    """(root, its signature, the key's fingerprint): bad files exit 2, a bad signature 1."""
    root_bytes = root_path.read_bytes()
    root = formats.RootFile.loads(root_bytes)
    signature = RootSignature.load(root_path, pubkey_path, sig_path)
    fingerprint = signature.check(root_bytes)
    check_root_parameters(root)
    return root, signature, fingerprint


def reserves_json(report: ReservesReport, sha256: bytes) -> dict[str, Any]:
    """The ``reserves`` object of the --json results."""
    return {
        "exchange": report.exchange,
        "reserves_sha256": sha256.hex(),
        "assets": [a.to_json() for a in report.assets],
        "rows": [
            {
                "row": o.row.row,
                "asset": o.row.asset,
                "chain": o.row.chain,
                "address": o.row.address,
                "balance": o.row.balance,
                "scheme": o.ownership.scheme,
                "address_type": o.ownership.address_type,
                "signers": list(o.ownership.signers),
                "required": o.ownership.required,
            }
            for o in report.rows
        ],
        "snapshot": None
        if report.snapshot_checked is None
        else {"checked": report.snapshot_checked, "extra": report.snapshot_extra},
    }


def report_reserves(out: Output, report: ReservesReport) -> None:
    out.line(f"exchange     {report.exchange}")
    for a in report.assets:
        d = a.asset.decimals
        out.line(
            f"  {a.asset.symbol:<8}   key-proven {format_units(a.proven_units, d)} "
            f"({a.proven_rows} addresses); custodial {format_units(a.custodial_units, d)} "
            f"({a.custodial_rows}, not counted)"
        )
    if report.snapshot_checked is not None:
        out.line(
            f"snapshot     {report.snapshot_checked} balances agree"
            + (
                f" ({report.snapshot_extra} snapshot rows not in the file)"
                if report.snapshot_extra
                else ""
            )
        )


@dataclass(frozen=True)
class SolvencyCheck:
    """``--solvency`` and ``--reserves`` of verify and audit, checked."""

    report: ReservesReport
    sha256: bytes
    proof: ReservesProofFile

    def reserves_json(self) -> dict[str, Any]:
        return reserves_json(self.report, self.sha256)

    def to_json(self, ratios: list[dict[str, object]] | None = None) -> dict[str, Any]:
        by_symbol = {r["symbol"]: r for r in ratios or []}
        return {
            "min_ratio_percent": self.proof.min_ratio_percent,
            "assets": [
                {
                    "symbol": a.asset.symbol,
                    "reserves": format_units(a.proven_units, a.asset.decimals),
                    "reserves_units": str(a.proven_units),
                    "covered": True,
                    "ratio_percent": by_symbol.get(a.asset.symbol, {}).get("ratio_percent"),
                }
                for a in self.report.assets
            ],
        }

    def lines(self, out: Output, ratios: list[dict[str, object]] | None = None) -> None:
        k = self.proof.min_ratio_percent
        by_symbol = {r["symbol"]: r for r in ratios or []}
        for a in self.report.assets:
            reserves = format_units(a.proven_units, a.asset.decimals)
            ratio = by_symbol.get(a.asset.symbol, {}).get("ratio_percent")
            shown = f"; reserve ratio {ratio}%" if ratio is not None else ""
            if ratios is not None and ratio is None:
                shown = "; no net liability to cover"
            out.line(
                f"  {a.asset.symbol:<8}   reserves {reserves} cover at least {k}% of the "
                f"liabilities{shown}"
            )

    def verdict(self) -> str:
        return (
            f"reserves cover at least {self.proof.min_ratio_percent}% of the liabilities of "
            f"every asset ({', '.join(a.asset.symbol for a in self.report.assets)})"
        )


def load_solvency(
    solvency_path: Path, reserves_path: Path, balances_path: Path | None = None
) -> tuple[bytes, ReservesProofFile, bytes, LoadedReserves]:
    """Read solvency.json, its signature and the reserves file (bad input: exit 2)."""
    proof_bytes = solvency_path.read_bytes()
    proof = ReservesProofFile.loads(proof_bytes)
    sig_path = solvency_path.with_name(solvency_path.name + ".sig")
    signature = signing.decode_signature(sig_path.read_bytes(), str(sig_path))
    return proof_bytes, proof, signature, LoadedReserves.load(reserves_path, balances_path)


def check_solvency(
    root: formats.RootFile,
    key: signing.VerifyingKey,
    loaded: tuple[bytes, ReservesProofFile, bytes, LoadedReserves],
) -> SolvencyCheck:
    """The checks of section 11.8; VerificationError (exit 1) at the first that fails."""
    proof_bytes, proof, signature, reserves = loaded
    try:
        key.verify(signature, proof_bytes)
    except VerificationError:
        raise VerificationError("solvency.json is not signed by the root's key") from None
    report = verify_reserves(reserves.reserves, root, reserves.snapshot)
    verify_reserves_proof(proof, root, report, reserves.sha256)
    return SolvencyCheck(report, reserves.sha256, proof)


def solvency_ratios(check: SolvencyCheck, totals: list[int]) -> list[dict[str, object]]:
    return reserve_ratios(check.report, totals)


@click.group("reserves")
def reserves_group() -> None:
    """Proof of reserves: address ownership and a proof that reserves cover liabilities."""


@reserves_group.command("verify")
@click.argument("reserves_path", metavar="RESERVES.csv", type=EXISTING_FILE)
@click.option(
    "--root", "root_path", type=EXISTING_FILE, required=True, help="The epoch's root.json."
)
@click.option(
    "--pubkey", "pubkey_path", type=EXISTING_FILE, required=True, help="The exchange's signing.pub."
)
@file_option("--sig", "sig_path", help="Signature file (default: <root>.sig).")
@file_option(
    "--balances", "balances_path", help="Snapshot CSV (asset,chain,address,balance,height)."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("reserves-verify")
def reserves_verify(
    reserves_path: Path,
    root_path: Path,
    pubkey_path: Path,
    sig_path: Path | None,
    balances_path: Path | None,
    as_json: bool,
    out: Output,
) -> None:
    """Check the ownership proofs of RESERVES.csv; total them per asset.

    Every row's signatures against the epoch's signed root (no duplicate address, one snapshot
    per chain); with --balances every balance against your own node's snapshot. Custodial
    balances are totalled apart, never as key-proven reserves.
    """
    loaded = LoadedReserves.load(reserves_path, balances_path)
    root, _, fingerprint = load_signed_root(root_path, pubkey_path, sig_path)
    out.note(
        epoch=root.epoch,
        root_hash=root.root.hash.hex(),
        signature_checked=True,
        key_fingerprint=fingerprint,
    )
    report = verify_reserves(loaded.reserves, root, loaded.snapshot)
    out.line(f"epoch        {root.epoch}")
    out.line(f"root hash    {root.root.hash.hex()}")
    report_reserves(out, report)
    proven = sum(a.proven_rows for a in report.assets)
    custodial = sum(a.custodial_rows for a in report.assets)
    out.finish(
        "verified",
        verdict=(
            f"VERIFIED: {proven} reserve addresses of {report.exchange!r} are proven for epoch "
            f"{root.epoch} (root signed by key {fingerprint[:16]})"
            + (f"; {custodial} custodial balances reported apart" if custodial else "")
            + ("; every balance agrees with the snapshot" if loaded.snapshot is not None else "")
        ),
        epoch=root.epoch,
        root_hash=root.root.hash.hex(),
        signature_checked=True,
        key_fingerprint=fingerprint,
        reserves=reserves_json(report, loaded.sha256),
    )


@reserves_group.command("prove")
@click.argument("epoch_dir", type=EXISTING_DIR)
@click.option(
    "--reserves", "reserves_path", type=EXISTING_FILE, required=True, help="The reserves file."
)
@click.option(
    "--keys",
    "keys_dir",
    type=EXISTING_DIR,
    required=True,
    help="The exchange's key folder (signing.key signs solvency.json).",
)
@click.option("--out", "out_path", type=OUT_FILE, required=True, help="solvency.json to write.")
@click.option(
    "--min-ratio",
    "min_ratio",
    type=click.IntRange(1, MAX_RATIO_PERCENT),
    default=100,
    show_default=True,
    metavar="PERCENT",
    help="Prove reserves of at least PERCENT of the liabilities of every asset.",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("reserves-prove")
def reserves_prove(
    epoch_dir: Path,
    reserves_path: Path,
    keys_dir: Path,
    out_path: Path,
    min_ratio: int,
    force: bool,
    as_json: bool,
    out: Output,
) -> None:
    """Write solvency.json: the reserves cover EPOCH_DIR's liabilities, signed.

    Checks the reserves file against the epoch's root first; when the key-proven reserves of
    an asset are below --min-ratio percent of its liabilities it says which and writes nothing
    (exit 1).
    """
    sig_out = out_path.with_name(out_path.name + ".sig")
    if not force:
        for p in (out_path, sig_out):
            if p.exists():
                raise secure_io.FileExistsRefusedError(
                    f"{p}: already exists; refusing to overwrite it (use --force)"
                )
    loaded = LoadedReserves.load(reserves_path)
    root_path = epoch_dir / "public" / "root.json"
    root_bytes = root_path.read_bytes()
    root = formats.RootFile.loads(root_bytes)
    liabilities = formats.LiabilitiesFile.loads(
        (epoch_dir / "private" / "liabilities.json").read_bytes()
    )
    key = signing.load_signing_key(KeyPaths.in_dir(keys_dir).signing)
    root_sig = root_path.with_name("root.json.sig")
    try:
        # The root must be this key's: a solvency.json signed by another key never verifies.
        key.verifying_key().verify(
            signing.decode_signature(root_sig.read_bytes(), str(root_sig)), root_bytes
        )
    except VerificationError:
        raise VerificationError(f"{root_path} is not signed by the key in {keys_dir}") from None
    out.note(epoch=root.epoch, root_hash=root.root.hash.hex(), min_ratio_percent=min_ratio)
    report = verify_reserves(loaded.reserves, root)
    try:
        proof = make_reserves_proof(
            root, liabilities, report, loaded.sha256, min_ratio, f"solvency {__version__}"
        )
    except NotCoveredError as exc:
        # No proof exists: say so as a failed check (exit 1), with nothing written.
        raise VerificationError(str(exc)) from None
    data = proof.dumps()
    secure_io.write_atomic(out_path, data, private=False, overwrite=force)
    try:
        secure_io.write_atomic(
            sig_out, signing.encode_signature(key.sign(data)), private=False, overwrite=force
        )
    except BaseException:
        # Never one file without the other: with --force an old signature may remain, and it
        # does not sign the new solvency.json.
        for p in (out_path, sig_out) if force else (out_path,):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        raise
    report_reserves(out, report)
    out.line(f"solvency     {out_path}  (publish, with {sig_out.name})")
    out.finish(
        "ok",
        verdict=(
            f"PROVEN: reserves cover at least {min_ratio}% of the liabilities of every asset of "
            f"epoch {root.epoch}; wrote {out_path}"
        ),
        epoch=root.epoch,
        root_hash=root.root.hash.hex(),
        out=str(out_path),
        signature=str(sig_out),
        min_ratio_percent=min_ratio,
        reserves=reserves_json(report, loaded.sha256),
    )
