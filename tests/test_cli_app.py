"""The command group: lazy loading keeps --version and --help cheap, and the one-line help it
lists without loading a command is that command's own (benchmarks/bench_startup.py times it)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest

from solvency.cli import reporting
from solvency.cli.app import COMMANDS, cli

_LOADED = """
import json, sys
from solvency.cli.main import main
sys.argv = ["solvency", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
import gc
print(json.dumps({"gc": [gc.isenabled(), gc.get_freeze_count() > 0]}), file=sys.stderr)
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    module, attr, short = COMMANDS[name]
    command = getattr(importlib.import_module(f"solvency.cli.{module}"), attr)
    assert isinstance(command, click.Command) and command.name == name
    assert (command.help or "").splitlines()[0] == short
    assert cli.get_command(click.Context(cli), name) is command


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_no_command(flag: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, flag], capture_output=True, text=True, timeout=60
    )
    loaded = [
        m
        for m in json.loads(result.stderr.splitlines()[-1])
        if m.startswith(("solvency", "jsonschema", "sqlite3", "cryptography", "tqdm"))
    ]
    assert "solvency.cli.app" in loaded
    heavy_roots = ("jsonschema", "sqlite3", "cryptography", "tqdm")
    heavy_layers = ("solvency.files.", "solvency.epoch", "solvency.circuits")
    heavy = [
        m
        for m in loaded
        if m.endswith("_cmd") or m.split(".")[0] in heavy_roots or m.startswith(heavy_layers)
    ]
    assert heavy == [], heavy
    if flag == "--help":
        for name, (_, _, short) in COMMANDS.items():
            assert name in result.stdout and short.split()[0] in result.stdout
    else:
        assert result.stdout.startswith("solvency ")


GOLDEN = Path(__file__).parent / "vectors" / "golden-v1"


def test_verify_loads_only_what_it_checks_with() -> None:
    """``solvency verify`` of a proof (issue 8's start-up target) imports no validator library,
    no store, progress bar, cluster, reserves or log code, and no cryptography (libsodium
    checks the root's Ed25519 signature, the standard library's HMAC makes the HKDF)."""
    args = ["verify", str(GOLDEN / "proofs" / "alice.json"), "--root", str(GOLDEN / "root.json"),
            "--pubkey", str(GOLDEN / "signing.pub"), "--user", "alice"]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, timeout=60
    )
    assert "VERIFIED" in result.stdout, result.stdout + result.stderr
    loaded = set(json.loads(result.stderr.splitlines()[-1]))
    # main() paused the garbage collector for the imports; it runs again for the command
    assert json.loads(result.stderr.splitlines()[-2]) == {"gc": [True, True]}
    assert "solvency.cli.verify_cmd" in loaded and "solvency.files.schema_check" in loaded
    unwanted_roots = {
        "jsonschema", "referencing", "rpds", "attrs", "attr", "fastjsonschema", "sqlite3",
        "tqdm", "dask", "distributed", "coincurve", "eth_account", "Crypto", "base58", "bech32",
        "multiprocessing", "concurrent", "asyncio",
        # Ed25519 verification and HKDF without cryptography (solvency.crypto.ed25519 says why)
        "cryptography",
    }  # fmt: skip
    unwanted = {"solvency.epoch", "solvency.files.reserves", "solvency.files.logfiles",
                "solvency.circuits.collateral", "solvency.circuits.tlog",
                # files are only read (no tempfile), schemas through pkgutil
                "tempfile",
                "importlib.resources", "csv"}  # fmt: skip
    heavy = sorted(
        m
        for m in loaded
        if m.split(".")[0] in unwanted_roots
        or m.startswith(tuple(unwanted))
        or (m.startswith("solvency.cli.") and m.endswith("_cmd") and m != "solvency.cli.verify_cmd")
    )
    assert heavy == [], heavy


def _leaf_commands() -> list[tuple[str, click.Command]]:
    """Every runnable command, named as its result is (``log-append``)."""
    out: list[tuple[str, click.Command]] = []

    def walk(group: click.Group, prefix: str) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            full = f"{prefix}{name}"
            if isinstance(command, click.Group):
                walk(command, f"{full}-")
            else:
                out.append((full, command))

    walk(cli, "")
    return out


def test_every_command_reports_through_the_shared_module() -> None:
    """Each command has --json and a result schema of the shared envelope that lists every
    key as required (so an error object and a success have the same keys)."""
    commands = _leaf_commands()
    assert {"verify", "audit", "log-append", "log-verify"} <= {name for name, _ in commands}
    for name, command in commands:
        assert any("--json" in p.opts for p in command.params), name
        schema = reporting.result_schema(name)
        props = schema["properties"]
        assert props["format"] == {"const": reporting.result_format(name)}, name
        assert props["version"] == {"const": reporting.OUTPUT_VERSION}, name
        assert set(reporting.ENVELOPE) <= set(props), name
        assert set(schema["required"]) == set(props), name
        assert schema["additionalProperties"] is False, name
        assert "error" in props["status"]["enum"], name
        # The error object of a usage error validates against it.
        doc = reporting.result_object(name, "error", error="x")
        jsonschema.Draft202012Validator(schema).validate(doc)
