"""``solvency prove``: write users' inclusion proof files (docs/PROTOCOL.md section 8.3).

A proof file holds the user's own secret and balances, so it is written with mode 0600 and
handed to that user only. With ``--all`` every user gets ``<name>.json`` in a folder, where
``name`` is the user id itself when it is a plain file name, else ``id-`` and the first 32 hex
digits of SHA-256(user id): a file name reveals the id and nothing else (no position, balance
or row number).

``--all`` resumes: a proof file that is already there with exactly the bytes this run would
write is kept (an interrupted run leaves only complete files, since each is written
atomically); one that differs is refused, naming it, and ``--force`` overwrites it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import click

from solvency.epoch.builder import export_user_proof, store_path
from solvency.epoch.store import EpochStore
from solvency.errors import InvalidParameterError
from solvency.files import secure_io, signing

from .keyfiles import master_key_path
from .options import EXISTING_DIR
from .progress import ProgressBar
from .reporting import Output, reports

# Plain names only: no path separators, no leading dot, nothing a shell or filesystem treats
# specially. "id-" is kept for hashed names so the two kinds never collide.
_PLAIN_NAME = re.compile(r"(?!id-)[A-Za-z0-9_][A-Za-z0-9._@+-]{0,99}")


def proof_file_name(user_id: str) -> str:
    """``<user id>.json`` for plain ids, ``id-<sha256 prefix>.json`` otherwise."""
    if _PLAIN_NAME.fullmatch(user_id):
        return f"{user_id}.json"
    return hashed_file_name(user_id)


def hashed_file_name(user_id: str) -> str:
    return f"id-{hashlib.sha256(user_id.encode('utf-8')).hexdigest()[:32]}.json"


def open_tree(epoch_dir: Path) -> EpochStore:
    return EpochStore.open(store_path(epoch_dir), readonly=True)


def write_proof(
    store: EpochStore, user_id: str, master_secret: bytes, out: Path, force: bool
) -> None:
    proof = export_user_proof(store, user_id, master_secret)
    signing.write_secret_file(out, proof.dumps(), overwrite=force)


def write_or_confirm(path: Path, data: bytes, force: bool) -> bool:
    """Write a proof file; keep one already there with the same bytes. Return whether it was
    written. A different file there is refused unless ``force``."""
    if not force and path.exists():
        with secure_io.open_regular_file(path, "proof") as fh:
            same = fh.read(len(data) + 1) == data
        if same:
            return False
        raise secure_io.FileExistsRefusedError(
            f"{path}: already exists and differs from this epoch's proof; refusing to "
            "overwrite it (use --force)"
        )
    signing.write_secret_file(path, data, overwrite=force)
    return True


def prove_all(
    store: EpochStore, master_secret: bytes, folder: Path, force: bool, bar: ProgressBar
) -> int:
    """Write every user's proof into ``folder``, keeping identical files from an interrupted
    run; return how many the folder now holds for this epoch."""
    secure_io.make_dir(folder, private=True)  # a folder of users' secrets
    total = store.count_users()
    used: set[str] = set()
    done = 0
    with bar:
        bar.update("prove", 0, total)
        for user_id in store.iter_user_ids():
            name = proof_file_name(user_id)
            # Case-insensitive filesystems would merge "Alice.json" and "alice.json".
            if name.lower() in used:
                name = hashed_file_name(user_id)
            used.add(name.lower())
            proof = export_user_proof(store, user_id, master_secret)
            write_or_confirm(folder / name, proof.dumps(), force)
            done += 1
            bar.update("prove", done, total)
    return done


@click.command("prove")
@click.argument("epoch_dir", type=EXISTING_DIR)
@click.option("--user", "user_id", help="The user whose proof to write.")
@click.option("--all", "all_users", is_flag=True, help="Every user's proof, one file each.")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Proof file (--user) or folder (--all).",
)
@click.option("--keys", type=click.Path(file_okay=False, path_type=Path), help="Key directory.")
@click.option("--master-key", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite existing proof files.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("prove")
def prove(
    epoch_dir: Path,
    user_id: str | None,
    all_users: bool,
    out_path: Path,
    keys: Path | None,
    master_key: Path | None,
    force: bool,
    quiet: bool,
    as_json: bool,
    out: Output,
) -> None:
    """Write inclusion proofs of the epoch in EPOCH_DIR (needs the master key)."""
    if (user_id is None) == (not all_users):
        raise click.UsageError("give exactly one of --user ID and --all")
    master_secret = signing.load_master_secret(master_key_path(keys, master_key))
    with open_tree(epoch_dir) as store:
        if user_id is not None:
            if out_path.is_dir():
                raise InvalidParameterError(f"{out_path} is a folder; --user writes one file")
            write_proof(store, user_id, master_secret, out_path, force)
            count = 1
        else:
            count = prove_all(
                store, master_secret, out_path, force, ProgressBar.for_command(as_json, quiet)
            )
        epoch = store.epoch
    out.finish(
        "ok",
        verdict=(
            f"wrote the proof of epoch {epoch} to {out_path} (give it to this user only)"
            if user_id is not None
            else f"wrote {count} proofs of epoch {epoch} to {out_path}/ (one file per user)"
        ),
        epoch=epoch,
        proofs=count,
        out=str(out_path),
    )
