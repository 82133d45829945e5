"""Entry point of the ``solvency`` command.

The group (cli/app.py, a ``reporting.ReportingGroup``) turns every error into one line or one
JSON object with the documented exit code, also when libsodium cannot be loaded (the library
loads it when a command's module is imported).
"""

from __future__ import annotations

import gc


def main() -> None:
    # Start-up is mostly imports: they allocate many objects, which keeps triggering the
    # cyclic garbage collector, and free none. It is paused until the command's module is
    # loaded (app.LazyGroup.get_command turns it back on, with what was loaded frozen out of
    # later collections): about 11 ms less CPU for `solvency verify` (README, "Performance").
    gc.disable()
    from .app import cli

    cli.main(prog_name="solvency")


if __name__ == "__main__":
    main()
