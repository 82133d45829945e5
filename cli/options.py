"""Click parameter types and options shared by the commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

#: An input file that must exist (a missing one or a folder is one `error:` line, exit 2).
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
#: An input folder that must exist.
EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def file_option(*decls: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--name dest`` taking an existing file."""
    return click.option(*decls, type=EXISTING_FILE, help=help)
