"""Entry point of the ``solvency`` command.

libsodium is loaded when the library is imported; when it is missing we print one line
and exit 2 instead of a traceback.
"""

from __future__ import annotations

import sys

import click


def main() -> None:
    try:
        from .app import cli
    except ImportError as exc:
        from solvency.errors import LibsodiumMissingError

        if isinstance(exc, LibsodiumMissingError):
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        raise
    cli()


if __name__ == "__main__":
    main()
