"""How every command reports its outcome (README, "Errors and exit codes").

Exit codes: 0 done or verified, 1 verification failed, 2 bad input or usage, 130 interrupted.

Without ``--json``: results and the verdict line (``VERIFIED: ...``, ``FAILED: ...``) go to
stdout; ``warning: ...`` and ``error: ...`` lines go to stderr, one line each.

With ``--json``: exactly one JSON object on stdout, whatever the outcome (a click usage or path
error, a missing or malformed file, a failed check, a success). Every object carries

    format    "solvency/<command>-result": "solvency/verify-result", "solvency/log-append-result"
    version   1
    status    "verified" | "failed" | "error" for commands that verify, "ok" | "error" (and
              "failed" where a check can fail: log append, demo) for the others
    error     null, or the one-line reason (the same text as the human ``FAILED:``/``error:`` line)
    warnings  the warning lines (also printed on stderr)

and the command's own keys, null when the outcome did not reach them. The key set of a command
is its JSON Schema's, ``src/solvency/files/schemas/<command>-result-v1.json``, read here: one
description, so an error object has exactly the keys of a success. Warnings still go to stderr
with ``--json``; errors do not (the object says them).

A command written on this module:

    @click.command("thing")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @reports("thing")
    def thing(as_json: bool, out: Output) -> None:
        out.line("human detail")              # stdout, not with --json
        out.warn("something to know")         # stderr, and in the JSON's "warnings"
        out.note(epoch="e1")                  # known keys, kept if a check fails later
        out.finish("ok", verdict=None, count=3)   # the JSON object, or the verdict line

Raising ``VerificationError`` gives status ``failed`` (exit 1), any other ``SolvencyError``,
``OSError``, a database or decoding error, or a ``click.UsageError`` gives ``error`` (exit 2).

This module stays cheap to import (click, json and the errors): the group reports click's
usage errors through it before any command module, or the group backend, is loaded.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import click

from solvency.errors import LibsodiumMissingError, SolvencyError, VerificationError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

OUTPUT_VERSION = 1
#: The exit code of each status.
STATUS_EXIT = {"ok": EXIT_OK, "verified": EXIT_OK, "failed": EXIT_FAILED, "error": EXIT_USAGE}
#: Keys every result object carries, before the command's own.
ENVELOPE = ("format", "version", "status", "error", "warnings")
#: The result of a usage error that names no command (``solvency nosuch --json``).
GENERIC = "error"

Command = Callable[..., None]


def result_format(command: str) -> str:
    """``"solvency/verify-result"`` for ``verify``; ``log append`` is ``log-append``."""
    return f"solvency/{command}-result"


def schema_file(command: str) -> str:
    return f"{command}-result-v{OUTPUT_VERSION}.json"


@functools.cache
def result_schema(command: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``command``'s --json output."""
    from solvency.files.schema_check import read_schema  # not on --version or --help

    schema: dict[str, Any] = json.loads(read_schema(schema_file(command)))
    return schema


def result_keys(command: str) -> tuple[str, ...]:
    """Every key of ``command``'s result object, in the schema's order."""
    return tuple(result_schema(command)["properties"])


def result_object(
    command: str,
    status: str,
    *,
    error: str | None = None,
    warnings: Sequence[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    """The one JSON object of an outcome: every key of the schema, null where not reached."""
    keys = result_keys(command)
    unknown = sorted(set(fields) - set(keys) | set(fields) & set(ENVELOPE))
    if unknown:  # a programming error: the schema is the description of this output
        raise RuntimeError(f"{command}: {unknown} are not result keys of its schema")
    obj: dict[str, Any] = dict.fromkeys(keys)
    obj.update(
        format=result_format(command),
        version=OUTPUT_VERSION,
        status=status,
        error=None if error is None else one_line(error),
        warnings=list(warnings),
    )
    obj.update(fields)
    return obj


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=True))


def one_line(message: str) -> str:
    """Messages are one line each, whatever the exception text held."""
    return " ".join(message.split())


def describe(exc: BaseException) -> str:
    """The one-line message of an error (file errors name the file)."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if type(exc).__module__ == "sqlite3":
        return f"tree database: {exc}"
    if isinstance(exc, click.ClickException):
        return exc.format_message()
    return str(exc)


def _input_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean bad input (exit 2). sqlite3 is named only once something loaded it."""
    kinds: list[type[BaseException]] = [
        SolvencyError,
        OSError,
        UnicodeDecodeError,
        click.ClickException,
    ]
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None:
        kinds.append(sqlite3.DatabaseError)
    return tuple(kinds)


class Output:
    """One run of one command: its human lines, its warnings, and its one result."""

    def __init__(self, command: str, as_json: bool) -> None:
        self.command = command
        self.as_json = as_json
        self.warnings: list[str] = []
        #: Result keys known so far; a failure or error reported later carries them too.
        self.known: dict[str, Any] = {}

    def note(self, **fields: Any) -> None:
        """Record result keys as soon as they are known (the epoch, a root hash), so that a
        check failing later still reports them."""
        self.known.update(fields)

    def line(self, text: str = "") -> None:
        """A line of the human report on stdout (nothing with --json)."""
        if not self.as_json:
            click.echo(text)

    def warn(self, message: str) -> None:
        """A ``warning:`` line on stderr, also listed in the JSON's ``warnings``."""
        text = one_line(message)
        self.warnings.append(text)
        click.echo(f"warning: {text}", err=True)

    def finish(
        self, status: str, *, verdict: str | None = None, error: str | None = None, **fields: Any
    ) -> None:
        """Report the outcome: the JSON object, or the verdict line on stdout; exit 1 on
        ``failed`` (``error`` outcomes are raised, or reported through ``stop``)."""
        if self.as_json:
            emit_json(
                result_object(
                    self.command,
                    status,
                    error=error,
                    warnings=self.warnings,
                    **{**self.known, **fields},
                )
            )
        elif verdict is not None:
            click.echo(verdict)
        code = STATUS_EXIT[status]
        if code != EXIT_OK:
            sys.exit(code)

    def stop(self, status: str, message: str, code: int | None = None) -> NoReturn:
        """End with a failure: ``FAILED: ...`` on stdout (a verdict) for ``failed``,
        ``error: ...`` on stderr otherwise; with --json the object with every other key null."""
        text = one_line(message)
        if self.as_json:
            emit_json(
                result_object(
                    self.command, status, error=text, warnings=self.warnings, **self.known
                )
            )
        elif status == "failed":
            click.echo(f"FAILED: {text}")
        else:
            click.echo(f"error: {text}", err=True)
        sys.exit(STATUS_EXIT[status] if code is None else code)


def reports(command: str) -> Callable[[Command], Command]:
    """Run a click command with an ``Output`` (passed as ``out``) and turn what it raises into
    one line or one JSON object with the right exit code."""

    def decorate(func: Command) -> Command:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            out = Output(command, bool(kwargs.get("as_json")))
            try:
                func(*args, out=out, **kwargs)
            except VerificationError as exc:
                out.stop("failed", str(exc))
            except KeyboardInterrupt:
                out.stop("error", "interrupted", EXIT_INTERRUPTED)
            except _input_errors() as exc:
                out.stop("error", describe(exc))

        return wrapper

    return decorate


# --- click's own errors (raised while parsing, before any command runs) ----------------------


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asked for --json (the parser did not get that far)."""
    for a in args:
        if a == "--":
            return False
        if a == "--json":
            return True
    return False


def command_of(ctx: click.Context | None) -> str:
    """``log-append`` for the context of ``solvency log append``; GENERIC at the top."""
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.command.name or "")
        ctx = ctx.parent
    name = "-".join(reversed(names))
    if not name:
        return GENERIC
    try:
        result_schema(name)
    except FileNotFoundError:  # a group (``solvency log``): no result of its own
        return GENERIC
    return name


class ReportingGroup(click.Group):
    """A group whose usage and path errors are one ``error:`` line on stderr (or, with
    ``--json``, one JSON object on stdout), exit 2, whether run as ``solvency`` or by click's
    test runner; Ctrl-C exits 130 (1 means "verification failed")."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(args) if args is not None else sys.argv[1:]
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # `solvency` or `solvency log` alone: the help text, as click does
            sys.exit(EXIT_USAGE)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:  # click turns KeyboardInterrupt into Abort
            click.echo("error: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            report_click_error(exc, wants_json(argv))
        except LibsodiumMissingError as exc:  # raised when a command module is loaded
            Output(GENERIC, wants_json(argv)).stop("error", str(exc))
        if not standalone_mode:
            return result
        sys.exit(EXIT_OK)


def report_click_error(exc: click.ClickException, as_json: bool) -> NoReturn:
    """One line (or one object) for a usage or path error, with where to read more."""
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message()
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    Output(command_of(ctx), as_json).stop("error", message, EXIT_USAGE)
