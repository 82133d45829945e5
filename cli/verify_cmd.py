"""``solvency verify``: a user checks their inclusion proof (docs/PROTOCOL.md section 6).

Checks, in order, stopping at the first failure:

1. the published root file's Ed25519 signature (``--pubkey``; refused without it, exit 2,
   unless ``--no-signature-check`` says so deliberately: then a warning, and the JSON says
   ``"signature_checked": false``);
2. with ``--user ID``: the proof is that user's (another user's file fails, exit 1);
3. the root's declared parameters are the protocol's (``circuits.parameters``, the same check
   ``solvency audit`` makes), and the proof's epoch, assets and height equal the root's;
4. the root in the proof file equals the published root;
5. ``circuits.inclusion.verify_inclusion``: the leaf recomputed from the user's id, secret
   and balances, combined with the siblings, gives the root hash and commitments, and every
   sibling's range proof verifies.

A margin proof (version 2, docs/PROTOCOL.md section 10.6) also needs its prices and haircuts
to equal the signed root's, and ``circuits.inclusion.verify_margin_inclusion`` checks the
user's collateral proof and the leaf-level sibling's; the user is shown their equity and debt
per asset and their collateral and debt values in the quote unit.

With ``--checkpoint`` and ``--log-proof`` (docs/PROTOCOL.md section 9.7), a last check: the
checkpoint is signed by the same key and the signed root is an entry of the log's tree, so the
user saw the root everyone else can see; the JSON reports that checkpoint for comparison.

With ``--no-signature-check`` and without ``--root`` the proof is checked against the root it
carries, and a warning says the root was not compared with the published one. The demo
verifies through ``verify_proof_file`` too, so both take the same path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from solvency.circuits.inclusion import verify_inclusion, verify_margin_inclusion
from solvency.circuits.parameters import check_root_parameters
from solvency.errors import MalformedInputError, VerificationError
from solvency.files import formats
from solvency.files.ledger import format_units
from solvency.files.margin import MarginParams, format_value, split_signed

from .keyfiles import RootSignature
from .options import EXISTING_FILE, file_option
from .reporting import Output, one_line, reports

if TYPE_CHECKING:
    from .reserves_cmd import SolvencyCheck

NEEDS_PUBKEY = (
    "pass --pubkey signing.pub (the exchange's public key) with --root root.json, so that the "
    "root's signature is checked; or --no-signature-check to verify without checking it"
)
UNSIGNED_WARNING = (
    "the root's signature was not checked (--no-signature-check): anyone could have made this root"
)
NO_ROOT_WARNING = (
    "the root was not checked against the published one (pass --root root.json): this only "
    "shows the proof is consistent with the root inside the file"
)


@dataclass(frozen=True)
class VerifyOutcome:
    """What was checked and the verdict (``error`` is None when verified)."""

    proof: formats.InclusionProofFile
    root_hash: bytes
    root_checked: bool
    #: The signing key's fingerprint when the root's signature was checked and holds.
    key_fingerprint: str | None
    #: Whether the proof was checked to be that of the user named by --user.
    user_checked: bool
    warnings: tuple[str, ...]
    error: str | None
    seconds: float
    cpu_seconds: float
    #: With --checkpoint: the checkpoint checked against and the root's entry in the log.
    log: dict[str, Any] | None = None
    #: With --solvency and --reserves: the reserves file and solvency.json, checked.
    solvency: SolvencyCheck | None = None

    @property
    def verified(self) -> bool:
        return self.error is None

    def balances(self) -> list[dict[str, str]]:
        p = self.proof
        if p.margin is None:
            return [
                {"symbol": a.symbol, "amount": format_units(v, a.decimals), "units": str(v)}
                for a, v in zip(p.assets, p.balances, strict=True)
            ]
        return [
            {
                "symbol": a.symbol,
                "amount": formats.format_signed_units(v, a.decimals),
                "units": str(v),
                "equity": format_units(max(v, 0), a.decimals),
                "debt": format_units(max(-v, 0), a.decimals),
            }
            for a, v in zip(p.assets, p.balances, strict=True)
        ]

    def margin(self) -> dict[str, Any] | None:
        """The user's collateral and debt values in the quote unit (margin proofs)."""
        p = self.proof
        if p.margin is None:
            return None
        w = p.margin.weights(p.assets)
        equity, debt = split_signed(p.balances)
        collateral = sum(a * e for a, e in zip(w.collateral, equity, strict=True))
        owed = sum(b * d for b, d in zip(w.debt, debt, strict=True))
        return {
            "quote": p.margin.quote,
            "collateral_value": format_value(collateral, p.assets),
            "debt_value": format_value(owed, p.assets),
            "collateral_checked": self.verified,
            "prices": p.margin.to_json()["assets"],
        }

    def verdict(self) -> str:
        if self.error is not None:
            return f"FAILED: {one_line(self.error)}"
        where = "the published root" if self.root_checked else "the root in the proof file"
        signed = (
            f", signed by key {self.key_fingerprint[:16]}"
            if self.key_fingerprint is not None
            else " (its signature was NOT checked)"
        )
        covered = (
            "; their haircut collateral covers their debt (collateral proof checked)"
            if self.proof.margin is not None
            else ""
        )
        return (
            f"VERIFIED: the balances of user {self.proof.user_id!r} are included in "
            f"{where} of epoch {self.proof.epoch}{signed}{covered}"
            + (
                f", and that root is entry {self.log['leaf_index']} of the log "
                f"{self.log['checkpoint']['origin']} (checkpoint size "
                f"{self.log['checkpoint']['tree_size']})"
                if self.log is not None
                else ""
            )
            + (f"; {self.solvency.verdict()}" if self.solvency is not None else "")
        )

    def to_json(self) -> dict[str, Any]:
        """The outcome's keys of the --json result (schemas/verify-result-v1.json)."""
        return {
            "user_id": self.proof.user_id,
            "epoch": self.proof.epoch,
            "root_hash": self.root_hash.hex(),
            "balances": self.balances(),
            "margin": self.margin(),
            "root_checked": self.root_checked,
            "signature_checked": self.key_fingerprint is not None,
            "key_fingerprint": self.key_fingerprint,
            "user_checked": self.user_checked,
            "log_checked": self.log is not None,
            "log": self.log,
            "reserves": None if self.solvency is None else self.solvency.reserves_json(),
            "solvency": None if self.solvency is None else self.solvency.to_json(),
            "verify_seconds": self.seconds,
            "verify_cpu_seconds": self.cpu_seconds,
        }


def _compare_with_root(proof: formats.InclusionProofFile, root: formats.RootFile) -> None:
    """Steps 3 and 4: the root's parameters are the protocol's; the proof belongs to it."""
    check_root_parameters(root)
    if proof.epoch != root.epoch:
        raise VerificationError(
            f"epoch mismatch: the proof is for epoch {proof.epoch}, the root is for epoch "
            f"{root.epoch}"
        )
    if proof.assets != root.assets:
        raise VerificationError("assets mismatch: the proof and the root list different assets")
    if proof.margin != root.margin:
        raise VerificationError(_margin_mismatch(proof.margin, root.margin))
    if proof.height != root.height:
        raise VerificationError(
            f"height mismatch: the proof has {proof.height} levels, the root says {root.height}"
        )
    if proof.root != root.root:
        raise VerificationError(
            "root mismatch: the root in the proof file is not the published root"
        )


def _margin_mismatch(proof: MarginParams | None, root: MarginParams | None) -> str:
    """Say how the proof's margin parameters differ from the signed root's."""
    if proof is None or root is None:
        which = "the root" if proof is None else "the proof"
        return f"margin mismatch: only {which} is a margin epoch (file versions differ)"
    if proof.quote != root.quote:
        return "margin mismatch: the proof's quote unit differs from the signed root's"
    for m, r in zip(proof.assets, root.assets, strict=False):
        if m != r:
            return (
                f"margin mismatch: the price or haircut of {r.symbol} in the proof file differs "
                "from the signed root's"
            )
    return "margin mismatch: the proof and the signed root list different margin assets"


def verify_proof_file(
    proof_path: Path,
    root_path: Path | None = None,
    sig_path: Path | None = None,
    pubkey_path: Path | None = None,
    checkpoint_path: Path | None = None,
    log_proof_path: Path | None = None,
    *,
    user_id: str | None = None,
    check_signature: bool = True,
    solvency_path: Path | None = None,
    reserves_path: Path | None = None,
) -> VerifyOutcome:
    """Check one proof file. Unreadable or malformed files raise (exit 2); a failed check is
    returned as the outcome's ``error`` (exit 1).

    The root's signature is checked unless ``check_signature`` is False (``--no-signature-check``),
    and then no key may be given; without a key otherwise, this refuses (a usage error)."""
    wall, cpu = time.perf_counter(), time.process_time()
    if check_signature and pubkey_path is None:
        raise click.UsageError(NEEDS_PUBKEY)
    if not check_signature and pubkey_path is not None:
        raise click.UsageError("give --pubkey or --no-signature-check, not both")
    if pubkey_path is not None and root_path is None:
        raise click.UsageError("--pubkey needs --root (the signature is over root.json)")
    if sig_path is not None and pubkey_path is None:
        raise click.UsageError("--sig needs --pubkey")
    if (checkpoint_path is None) != (log_proof_path is None):
        raise click.UsageError("--checkpoint and --log-proof go together")
    if checkpoint_path is not None and pubkey_path is None:
        raise click.UsageError("--checkpoint needs --root and --pubkey (the log signs both)")
    if (solvency_path is None) != (reserves_path is None):
        raise click.UsageError("--solvency and --reserves go together")
    if solvency_path is not None and pubkey_path is None:
        raise click.UsageError("--solvency needs --root and --pubkey (the exchange signs it)")
    proof = formats.InclusionProofFile.loads(proof_path.read_bytes())
    warnings: list[str] = [] if check_signature else [UNSIGNED_WARNING]
    root: formats.RootFile | None = None
    root_bytes = b""
    if root_path is not None:
        root_bytes = root_path.read_bytes()
        root = formats.RootFile.loads(root_bytes)
    else:
        warnings.append(NO_ROOT_WARNING)
    # Key and signature files are read first: a malformed one is bad input (exit 2).
    root_signature = (
        RootSignature.load(root_path, pubkey_path, sig_path)
        if pubkey_path is not None and root_path is not None
        else None
    )
    checkpoint = None
    log_proof = None
    if checkpoint_path is not None and log_proof_path is not None:
        # Imported only here: the log's files and checks are not loaded without --checkpoint.
        from solvency.files.logfiles import LogInclusionProof

        from .log_cmd import read_checkpoint

        checkpoint = read_checkpoint(checkpoint_path)
        log_proof = LogInclusionProof.loads(log_proof_path.read_bytes())
    if checkpoint is not None and log_proof is not None:
        # Sizes and origins are compared before any check: a mismatch is bad input (exit 2).
        cp = checkpoint[0].checkpoint
        if (log_proof.origin, log_proof.tree_size) != (cp.origin, cp.size):
            raise MalformedInputError(
                f"--log-proof: it is for log {log_proof.origin!r} at size "
                f"{log_proof.tree_size}, the checkpoint is {cp.origin!r} at size {cp.size}"
            )
    solvency_files = None
    if solvency_path is not None and reserves_path is not None:
        # Imported only here: the reserves checks load secp256k1, eth-account and the rest.
        from .reserves_cmd import load_solvency

        solvency_files = load_solvency(solvency_path, reserves_path)
    solvency = None
    target = root.root if root is not None else proof.root
    log_report = None
    error = None
    fingerprint = None
    try:
        if root_signature is not None:
            fingerprint = root_signature.check(root_bytes)
        if user_id is not None and proof.user_id != user_id:
            # The file names its user; the id is the user's own, so saying it leaks nothing.
            raise VerificationError(
                f"user mismatch: this proof is for user {proof.user_id!r}, not {user_id!r}"
            )
        if root is not None:
            _compare_with_root(proof, root)
        if proof.margin is not None and proof.collateral and proof.sibling_collateral:
            # The weights come from the signed root when there is one (compared above).
            margin = root.margin if root is not None and root.margin else proof.margin
            verify_margin_inclusion(
                proof.user_id,
                proof.balances,
                proof.user_secret,
                proof.position,
                proof.path,
                target.hash,
                target.commitments,
                proof.epoch,
                proof.assets,
                margin.weights(proof.assets),
                proof.collateral.pair,
                proof.sibling_collateral.pair,
            )
        else:
            verify_inclusion(
                proof.user_id,
                proof.balances,
                proof.user_secret,
                proof.position,
                proof.path,
                target.hash,
                target.commitments,
                proof.epoch,
                proof.assets,
            )
        if checkpoint is not None and log_proof is not None and root_signature is not None:
            from solvency.epoch.logverify import verify_root_in_log

            from .log_cmd import checkpoint_json

            verify_root_in_log(checkpoint[0], root_signature.key, log_proof, root_bytes)
            log_report = {
                "checkpoint": checkpoint_json(*checkpoint),
                "leaf_index": log_proof.leaf_index,
                "tree_size": log_proof.tree_size,
            }
        if solvency_files is not None and root is not None and root_signature is not None:
            from .reserves_cmd import check_solvency

            solvency = check_solvency(root, root_signature.key, solvency_files)
    except VerificationError as exc:
        error = str(exc)
    return VerifyOutcome(
        proof=proof,
        root_hash=target.hash,
        root_checked=root is not None,
        key_fingerprint=fingerprint,
        user_checked=user_id is not None,
        warnings=tuple(warnings),
        error=error,
        seconds=time.perf_counter() - wall,
        cpu_seconds=time.process_time() - cpu,
        log=log_report,
        solvency=solvency,
    )


@click.command("verify")
@click.argument("proof_file", type=EXISTING_FILE)
@file_option("--root", "root_path", help="The published root.json.")
@file_option("--sig", "sig_path", help="Signature file (default: <root>.sig).")
@file_option("--pubkey", "pubkey_path", help="The exchange's signing.pub (required).")
@click.option(
    "--no-signature-check",
    "no_signature_check",
    is_flag=True,
    help="Verify without checking the root's signature (warns; instead of --pubkey).",
)
@click.option(
    "--user", "user_id", metavar="ID", help="Your user id: fail if the proof is another user's."
)
@file_option("--checkpoint", "checkpoint_path", help="The log's checkpoint (LOG_DIR/checkpoint).")
@file_option("--log-proof", "log_proof_path", help="The epoch's log inclusion proof.")
@file_option(
    "--solvency", "solvency_path", help="The exchange's solvency.json (with solvency.json.sig)."
)
@file_option("--reserves", "reserves_path", help="The reserves file solvency.json was made for.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("verify")
def verify(
    proof_file: Path,
    root_path: Path | None,
    sig_path: Path | None,
    pubkey_path: Path | None,
    no_signature_check: bool,
    user_id: str | None,
    checkpoint_path: Path | None,
    log_proof_path: Path | None,
    solvency_path: Path | None,
    reserves_path: Path | None,
    as_json: bool,
    out: Output,
) -> None:
    """Check that PROOF_FILE's balances are included in the signed root."""
    outcome = verify_proof_file(
        proof_file,
        root_path,
        sig_path,
        pubkey_path,
        checkpoint_path,
        log_proof_path,
        user_id=user_id,
        check_signature=not no_signature_check,
        solvency_path=solvency_path,
        reserves_path=reserves_path,
    )
    for w in outcome.warnings:
        out.warn(w)
    p = outcome.proof
    out.line(f"user       {p.user_id}")
    out.line(f"epoch      {p.epoch}")
    m = outcome.margin()
    if m is None:
        for b in outcome.balances():
            out.line(f"  {b['symbol']:<8} {b['amount']}")
    else:
        out.line(f"  {'asset':<8} {'equity':>24} {'debt':>24}")
        for b in outcome.balances():
            out.line(f"  {b['symbol']:<8} {b['equity']:>24} {b['debt']:>24}")
        out.line(
            f"collateral {m['collateral_value']} {m['quote']} after haircuts, "
            f"debt {m['debt_value']} {m['quote']}"
        )
    out.line(f"root hash  {outcome.root_hash.hex()}")
    if outcome.log is not None:
        c = outcome.log["checkpoint"]
        out.line(f"checkpoint {c['origin']} size {c['tree_size']} root {c['root_hash']}")
    if outcome.solvency is not None:
        out.line(f"reserves   {outcome.solvency.report.exchange}")
        outcome.solvency.lines(out)
    out.finish(
        "verified" if outcome.verified else "failed",
        verdict=outcome.verdict(),
        error=outcome.error,
        **outcome.to_json(),
    )
