"""mypy --strict over the library, the CLI, the tests and the benchmarks, as one installed tree.

setuptools installs circuits/ and cli/ as solvency.circuits and solvency.cli (package-dir in
pyproject.toml), a mapping mypy cannot read: given `src circuits cli`, it names those modules
`circuits.*` and `cli.*`, and every `from solvency.circuits ...` would go unchecked. So this
script lays the package out as it is installed, with symlinks under build/typecheck/ (mypy
reports the real paths), and runs mypy on that tree plus tests/ and benchmarks/.
Extra arguments go to mypy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEW = ROOT / "build" / "typecheck"
CHECKED_BESIDE = ["tests", "benchmarks"]


def build_view() -> Path:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping: dict[str, str] = config["package-dir"]
    if VIEW.exists():
        shutil.rmtree(VIEW)
    # Parents first, so a subpackage's link lands inside its parent's folder.
    for package in sorted(mapping, key=lambda name: name.count(".")):
        source = ROOT / mapping[package]
        target = VIEW.joinpath(*package.split("."))
        if package.count(".") == 0:
            target.mkdir(parents=True)
            overridden = {p.split(".", 1)[1] for p in mapping if p.startswith(package + ".")}
            for entry in sorted(source.iterdir()):
                if entry.name not in overridden and entry.name != "__pycache__":
                    (target / entry.name).symlink_to(entry)
        else:
            if target.exists() or target.is_symlink():
                raise SystemExit(f"typecheck: {package} is both a folder and a mapping")
            target.symlink_to(source, target_is_directory=True)
    return VIEW


def main(argv: list[str]) -> int:
    view = build_view()
    tops = sorted(p for p in view.iterdir())
    command = [sys.executable, "-m", "mypy", "--strict", *map(str, tops), *CHECKED_BESIDE, *argv]
    os.chdir(ROOT)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
