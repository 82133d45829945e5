"""Entry point of the ``solvency`` command.

libsodium is loaded when the library is imported; when it is missing we print one line
and exit 2 instead of a traceback. Ctrl-C exits 130 (the shell's convention), not click's
default 1, which here means "verification failed".
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
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:  # click turns KeyboardInterrupt into Abort
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # usage errors: exit 2 with click's message
        exc.show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
