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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="solvency")
def cli() -> None:
    """Zero-knowledge proofs of solvency: commit, prove and verify exchange liabilities.

    \b
    Exchange:  solvency init; solvency build LEDGER.csv ...; solvency prove DIR --all ...
    User:      solvency verify PROOF.json --root root.json --pubkey signing.pub
    Auditor:   solvency audit root.json --liabilities FILE --tree TREE --pubkey signing.pub
    Log:       solvency log append LOG_DIR EPOCH_DIR --keys KEYS; solvency log verify CHECKPOINT
    """


for command in (init, build, prove, verify, audit, export_tree_cmd, demo, log_group):
    cli.add_command(command)
