"""The click command group; each command lives in a module of its own."""

from __future__ import annotations

import click

from solvency import __version__

from .demo import demo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="solvency")
def cli() -> None:
    """Zero-knowledge proofs of solvency: commit, prove and verify exchange liabilities."""


cli.add_command(demo)
