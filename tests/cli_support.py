"""Helpers for the command-line tests: run commands, make keys, ledgers and built epochs.

Imported by tests/test_cli_*.py, tests/test_public_privacy.py (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner, Result

from solvency.cli import reporting
from solvency.cli.app import cli


def run(*args: object) -> Result:
    """Invoke ``solvency ARGS`` in-process; exceptions other than SystemExit propagate.

    With ``--json``, whatever the outcome, stdout must be exactly one object valid against
    the command's result schema: every test that asks for JSON checks that too."""
    argv = [str(a) for a in args]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    if "--json" in argv and "--help" not in argv:
        check_result(json.loads(result.stdout))
    return result


def ok(*args: object) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@dataclass(frozen=True)
class Epoch:
    """A built epoch with every user's proof written."""

    root: Path
    dir: Path
    keys: Path
    proofs: Path
    ledger: Path
    assets: tuple[str, ...]
    epoch: str

    @property
    def root_json(self) -> Path:
        return self.dir / "public" / "root.json"

    @property
    def sig(self) -> Path:
        return self.dir / "public" / "root.json.sig"

    @property
    def liabilities(self) -> Path:
        return self.dir / "private" / "liabilities.json"

    @property
    def pub(self) -> Path:
        return self.keys / "signing.pub"

    @property
    def database(self) -> Path:
        return self.dir / "private" / "epoch.sqlite"

    def proof_files(self) -> list[Path]:
        return sorted(self.proofs.glob("*.json"))

    def verify_args(self, proof: Path, *extra: object) -> list[object]:
        """``solvency verify PROOF`` against this epoch's signed root and key, then ``extra``."""
        return ["verify", proof, "--root", self.root_json, "--pubkey", self.pub, *extra]

    def audit_args(self, *extra: object) -> list[object]:
        """``solvency audit`` of this epoch's root with its opening and key, then ``extra``."""
        args = ["audit", self.root_json, "--liabilities", self.liabilities, "--pubkey", self.pub]
        return [*args, *extra]

    def copy_to(self, dest: Path) -> Epoch:
        """A private copy of everything under ``root`` at ``dest``, for a test that changes
        files; the keys and the ledger are shared when they are not under ``root``."""
        shutil.copytree(self.root, dest)

        def moved(path: Path) -> Path:
            return dest / path.relative_to(self.root) if path.is_relative_to(self.root) else path

        return Epoch(
            dest,
            moved(self.dir),
            moved(self.keys),
            moved(self.proofs),
            moved(self.ledger),
            self.assets,
            self.epoch,
        )


def make_keys(directory: Path) -> Path:
    ok("init", "--dir", directory)
    return directory


def build_epoch(
    root: Path,
    ledger: Path,
    assets: Sequence[str],
    keys: Path,
    epoch: str = "e1",
    *extra: object,
) -> Epoch:
    """init is the caller's; this builds (1 worker unless ``extra`` says otherwise) and proves
    every user into ``root/<epoch>-proofs``."""
    out = root / epoch
    asset_args = [x for a in assets for x in ("--asset", a)]
    workers = [] if "--workers" in extra else ["--workers", "1"]
    ok(
        "build",
        ledger,
        "--epoch",
        epoch,
        "--out",
        out,
        "--keys",
        keys,
        *asset_args,
        *workers,
        *extra,
    )
    proofs = root / f"{epoch}-proofs"
    ok("prove", out, "--all", "--out", proofs, "--keys", keys)
    return Epoch(root, out, keys, proofs, ledger, tuple(assets), epoch)


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def save(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def check_result(doc: Any, command: str | None = None) -> dict[str, Any]:
    """A --json output is valid against its command's schema (named by its ``format``, which
    must be ``command``'s when given) and carries every key of that schema."""
    assert isinstance(doc, dict), doc
    assert doc["version"] == reporting.OUTPUT_VERSION
    fmt = doc["format"]
    assert fmt.startswith("solvency/") and fmt.endswith("-result"), fmt
    name = fmt.removeprefix("solvency/").removesuffix("-result")
    if command is not None:
        assert name == command, (name, command)
    schema = reporting.result_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert set(doc) == set(schema["properties"]) == set(schema["required"])
    return doc


def json_result(result: Result, command: str | None = None) -> dict[str, Any]:
    """Exactly one JSON object on stdout, valid against its command's schema."""
    doc = json.loads(result.stdout)  # one document: anything after the object fails here
    return check_result(doc, command)
