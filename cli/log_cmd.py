"""``solvency log``: the exchange's append-only log of epochs (docs/PROTOCOL.md section 9).

    solvency log append LOG_DIR EPOCH_DIR --keys KEYS [--origin NAME]
    solvency log prove LOG_DIR --epoch ID --out FILE
    solvency log consistency LOG_DIR --from SIZE --out FILE
    solvency log verify CHECKPOINT --pubkey signing.pub [--inclusion FILE --root root.json]
                                   [--previous OLD_CHECKPOINT --consistency FILE]

``append`` is the operator's step after each ``build``; it publishes ``LOG_DIR/checkpoint``
(older ones stay in ``LOG_DIR/checkpoints/<size>``). ``verify`` is what users and monitors
run. Exit 0 done or verified, 1 a check failed (a fork, a root not in the log, a checkpoint
of another key, an epoch re-appended with a changed root), 2 bad input.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import click

from solvency.epoch import log as elog
from solvency.epoch.logverify import verify_log_extends, verify_root_in_log
from solvency.files import secure_io, signing
from solvency.files.checkpoint import SignedCheckpoint
from solvency.files.logfiles import LogConsistencyProof, LogInclusionProof

from .keyfiles import KeyPaths
from .options import EXISTING_DIR, EXISTING_FILE
from .reporting import Output, reports

OUT_FILE = click.Path(dir_okay=False, path_type=Path)


def read_checkpoint(path: Path) -> tuple[SignedCheckpoint, bytes]:
    data = path.read_bytes()
    return SignedCheckpoint.from_bytes(data, str(path)), data


def checkpoint_json(signed: SignedCheckpoint, data: bytes) -> dict[str, Any]:
    """What a user or monitor compares with others: the tree head and the exact text."""
    cp = signed.checkpoint
    return {
        "origin": cp.origin,
        "tree_size": cp.size,
        "root_hash": base64.b64encode(cp.root_hash).decode("ascii"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "text": data.decode("utf-8"),
    }


def _write_public(path: Path, data: bytes) -> None:
    secure_io.write_atomic(path, data, private=False, overwrite=True)


@click.group("log")
def log_group() -> None:
    """The append-only log of epochs: signed checkpoints, inclusion and consistency proofs."""


@log_group.command("append")
@click.argument("log_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("epoch_dir", type=EXISTING_DIR)
@click.option(
    "--keys",
    "keys",
    type=EXISTING_DIR,
    required=True,
    help="Key directory holding signing.key (the log's key).",
)
@click.option(
    "--origin",
    default=None,
    help="The log's name, set by the first append (default: from the key).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("log-append")
def append_cmd(
    log_dir: Path, epoch_dir: Path, keys: Path, origin: str | None, as_json: bool, out: Output
) -> None:
    """Append EPOCH_DIR's signed root to LOG_DIR and publish the new checkpoint."""
    root_path = epoch_dir / "public" / "root.json"
    sig_path = epoch_dir / "public" / "root.json.sig"
    root_json = root_path.read_bytes()
    sig = signing.decode_signature(sig_path.read_bytes(), str(sig_path))
    key = signing.load_signing_key(KeyPaths.in_dir(keys).signing)
    result = elog.append_epoch(log_dir, root_json, sig, key, origin=origin)
    signed = result.log.checkpoint
    if signed is None:  # append_epoch always publishes one
        raise click.ClickException("internal error: no checkpoint after append")
    data = signed.to_bytes()
    cp = signed.checkpoint
    out.line(
        f"appended epoch {result.entry.epoch} as entry {result.entry.index} of log {cp.origin}"
    )
    out.line(
        f"checkpoint {log_dir / elog.CHECKPOINT}: size {cp.size}, root "
        f"{base64.b64encode(cp.root_hash).decode()}"
    )
    out.finish(
        "ok",
        epoch=result.entry.epoch,
        leaf_index=result.entry.index,
        created_log=result.created,
        checkpoint=checkpoint_json(signed, data),
    )


@log_group.command("prove")
@click.argument("log_dir", type=EXISTING_DIR)
@click.option("--epoch", "epoch", required=True, help="The epoch id.")
@click.option("--out", "out_path", type=OUT_FILE, required=True, help="The proof file to write.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("log-prove")
def prove_cmd(log_dir: Path, epoch: str, out_path: Path, as_json: bool, out: Output) -> None:
    """Write the inclusion proof of one epoch against the latest checkpoint."""
    log = elog.open_log(log_dir)
    proof = log.inclusion_proof(epoch)
    _write_public(out_path, proof.dumps())
    out.finish(
        "ok",
        verdict=(
            f"wrote {out_path}: epoch {epoch} is entry {proof.leaf_index} of the tree of "
            f"size {proof.tree_size}"
        ),
        epoch=epoch,
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        out=str(out_path),
    )


@log_group.command("consistency")
@click.argument("log_dir", type=EXISTING_DIR)
@click.option(
    "--from",
    "first",
    type=click.IntRange(min=0),
    required=True,
    help="The older checkpoint's tree size.",
)
@click.option("--out", "out_path", type=OUT_FILE, required=True, help="The proof file to write.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("log-consistency")
def consistency_cmd(log_dir: Path, first: int, out_path: Path, as_json: bool, out: Output) -> None:
    """Write the proof that the latest checkpoint extends the one of size --from."""
    log = elog.open_log(log_dir)
    proof = log.consistency_proof(first)
    _write_public(out_path, proof.dumps())
    out.finish(
        "ok",
        verdict=f"wrote {out_path}: size {proof.first_size} to size {proof.second_size}",
        first_size=proof.first_size,
        second_size=proof.second_size,
        out=str(out_path),
    )


@log_group.command("verify")
@click.argument("checkpoint_path", metavar="CHECKPOINT", type=EXISTING_FILE)
@click.option(
    "--pubkey", "pubkey", type=EXISTING_FILE, required=True, help="The exchange's signing.pub."
)
@click.option(
    "--inclusion", "inclusion", type=EXISTING_FILE, help="An inclusion proof (solvency log prove)."
)
@click.option("--root", "root", type=EXISTING_FILE, help="The root.json it proves.")
@click.option(
    "--previous", "previous", type=EXISTING_FILE, help="An older checkpoint of the same log."
)
@click.option(
    "--consistency",
    "consistency",
    type=EXISTING_FILE,
    help="The consistency proof from --previous (solvency log consistency).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("log-verify")
def verify_cmd(
    checkpoint_path: Path,
    pubkey: Path,
    inclusion: Path | None,
    root: Path | None,
    previous: Path | None,
    consistency: Path | None,
    as_json: bool,
    out: Output,
) -> None:
    """Check CHECKPOINT's signature, and optionally that a root is in the log and that the
    log extends an older checkpoint."""
    if (inclusion is None) != (root is None):
        raise click.UsageError("--inclusion and --root go together")
    if consistency is not None and previous is None:
        raise click.UsageError("--consistency needs --previous")
    # Everything is read and parsed first: a malformed file is bad input (exit 2).
    key = signing.load_verifying_key(pubkey)
    signed, data = read_checkpoint(checkpoint_path)
    inc = LogInclusionProof.loads(inclusion.read_bytes()) if inclusion is not None else None
    root_json = root.read_bytes() if root is not None else b""
    old = read_checkpoint(previous) if previous is not None else None
    con = LogConsistencyProof.loads(consistency.read_bytes()) if consistency else None

    out.note(checkpoint=checkpoint_json(signed, data))
    signed.verify(key)
    out.note(key_fingerprint=key.fingerprint())
    out.line(
        f"checkpoint {signed.checkpoint.origin} size {signed.checkpoint.size}: signed "
        f"by key {key.fingerprint()[:16]}"
    )
    if inc is not None:
        verify_root_in_log(signed, key, inc, root_json)
        out.line(f"epoch {inc.epoch}: its root is entry {inc.leaf_index} of the log")
    if old is not None:
        verify_log_extends(old[0], signed, key, con)
        out.line(f"the log extends the previous checkpoint (size {old[0].checkpoint.size})")
    out.finish(
        "verified",
        verdict="VERIFIED",
        checkpoint=checkpoint_json(signed, data),
        key_fingerprint=key.fingerprint(),
        inclusion=None if inc is None else {"epoch": inc.epoch, "leaf_index": inc.leaf_index},
        previous=None if old is None else checkpoint_json(*old),
    )
