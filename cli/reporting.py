"""How commands report: exit codes, one-line errors, warnings, and --json output.

Exit codes: 0 verified or done; 1 verification failed; 2 bad input or usage.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from solvency.errors import SolvencyError, VerificationError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

F = TypeVar("F", bound=Callable[..., Any])


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=True))


def one_line(message: str) -> str:
    """Messages are one line each, whatever the exception text held."""
    return " ".join(message.split())


def warn(message: str) -> None:
    """A warning line on stderr (results stay alone on stdout)."""
    click.echo(f"warning: {one_line(message)}", err=True)


def reports_errors(func: F) -> F:
    """Turn library errors into one line and the right exit code (with --json, a JSON object)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            return func(*args, **kwargs)
        except VerificationError as exc:
            fail(as_json, "failed", str(exc), EXIT_FAILED)
        except (SolvencyError, OSError, sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            fail(as_json, "error", _describe(exc), EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, sqlite3.DatabaseError):
        return f"tree database: {exc}"
    return str(exc)


def fail(as_json: bool, status: str, message: str, code: int) -> NoReturn:
    """Report a failure (``FAILED: ...`` for exit 1, ``error: ...`` otherwise) and exit."""
    message = one_line(message)
    if as_json:
        emit_json({"status": status, "error": message})
    else:
        label = "FAILED" if code == EXIT_FAILED else "error"
        click.echo(f"{label}: {message}", err=True)
    sys.exit(code)
