"""Click parameter types and options shared by the commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from solvency.errors import MalformedInputError
from solvency.files import secure_io


class RegularFile(click.ParamType[Path, Any]):
    """An input that must be an existing regular file: a folder, ``/dev/zero``, a FIFO or a
    socket is refused (a usage error naming it, exit 2) before anything reads from it."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        if isinstance(value, Path):
            path = value
        else:
            path = Path(value)
        try:
            return secure_io.check_regular_file(path)
        except MalformedInputError as e:
            self.fail(str(e), param, ctx)


#: An input file that must exist and be a regular file (a missing one, a folder, a device or a
#: FIFO is one `error:` line, exit 2).
EXISTING_FILE = RegularFile()
#: An input folder that must exist.
EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def file_option(*decls: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--name dest`` taking an existing file."""
    return click.option(*decls, type=EXISTING_FILE, help=help)
