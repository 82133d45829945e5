"""``solvency init``: create the exchange's key directory (master secret, signing key pair)."""

from __future__ import annotations

from pathlib import Path

import click

from .keyfiles import DEFAULT_KEYS_DIR, create_keys
from .reporting import Output, reports


@click.command("init")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_KEYS_DIR,
    show_default=True,
    help="Key directory to create.",
)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("init")
def init(directory: Path, force: bool, as_json: bool, out: Output) -> None:
    """Create master.key (0600), signing.key (0600) and signing.pub in DIR."""
    created = create_keys(directory, force=force)
    p = created.paths
    out.line(f"master secret   {p.master}  (secret, mode 0600)")
    out.line(f"signing key     {p.signing}  (secret, mode 0600)")
    out.line(f"public key      {p.public}  (publish it)")
    out.line(f"fingerprint     {created.fingerprint}")
    out.finish(
        "ok",
        master_key=str(p.master),
        signing_key=str(p.signing),
        public_key=str(p.public),
        fingerprint=created.fingerprint,
    )
