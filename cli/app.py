"""The click command group; each command lives in a module of its own."""

from __future__ import annotations

import click

from solvency import __version__

from .audit_cmd import audit
from .build_cmd import build
from .demo import demo
from .export_cmd import export_tree_cmd
from .init_cmd import init
from .log_cmd import log_group
from .prove_cmd import prove
from .verify_cmd import verify
from .web_cmd import web_verifier


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    # Imported here, only for this line: the group backend loads its library on import.
    from solvency.crypto import group, keccak

    click.echo(
        f"solvency {__version__} (group backend: {group.BACKEND}, Keccak: {keccak.IMPLEMENTATION})"
    )
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, the group backend and the Keccak in use, and exit.",
)
def cli() -> None:
    """Zero-knowledge proofs of solvency: commit, prove and verify exchange liabilities.

    \b
    Exchange:  solvency init; solvency build LEDGER.csv ...; solvency prove DIR --all ...
    User:      solvency verify PROOF.json --root root.json --pubkey signing.pub
    Auditor:   solvency audit root.json --liabilities FILE --tree TREE --pubkey signing.pub
    Log:       solvency log append LOG_DIR EPOCH_DIR --keys KEYS; solvency log verify CHECKPOINT
    Browser:   solvency web-verifier --out DIR (one HTML page that verifies offline)
    """


for command in (init, build, prove, verify, audit, export_tree_cmd, demo, log_group, web_verifier):
    cli.add_command(command)
