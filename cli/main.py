"""Entry point of the ``solvency`` command.

The group (cli/app.py, a ``reporting.ReportingGroup``) turns every error into one line or one
JSON object with the documented exit code, also when libsodium cannot be loaded (the library
loads it when a command's module is imported).
"""

from __future__ import annotations


def main() -> None:
    from .app import cli

    cli.main(prog_name="solvency")


if __name__ == "__main__":
    main()
