"""The package's layers (README, "Layers"): no module imports from a layer above its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Bottom to top; a module may import its own layer and the ones before it.
ORDER = ["errors", "crypto", "files", "circuits", "epoch", "cli"]
SOURCES = {
    "errors": [ROOT / "src/solvency/errors.py"],
    "crypto": sorted((ROOT / "src/solvency/crypto").glob("*.py")),
    "files": sorted((ROOT / "src/solvency/files").glob("*.py")),
    "circuits": sorted((ROOT / "circuits").glob("*.py")),
    "epoch": sorted((ROOT / "src/solvency/epoch").glob("*.py")),
    "cli": sorted((ROOT / "cli").glob("*.py")),
}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "solvency":
        return None
    if len(parts) == 1:
        return "root"
    return parts[1] if parts[1] in ORDER else "root"


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                # A sibling in the same subpackage: its own layer, always allowed.
                if node.level != 1:
                    raise AssertionError(f"{path}: import reaches above its own subpackage")
                continue
            if node.module:
                out.append(node.module)
                out.extend(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


@pytest.mark.parametrize("layer", ORDER)
def test_no_import_runs_upward(layer: str) -> None:
    allowed = set(ORDER[: ORDER.index(layer) + 1])
    assert SOURCES[layer], f"no sources found for layer {layer}"
    for path in SOURCES[layer]:
        for module in _imports(path):
            target = _layer_of(module)
            if target is None:
                continue
            if target == "root":
                # Only the version string lives in the root package; the API facade re-exports
                # the layers and must not be imported from inside them.
                assert module in ("solvency", "solvency.__version__"), (path, module)
                continue
            assert target in allowed, f"{path.relative_to(ROOT)} imports {module} ({target})"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from solvency.epoch.store import EpochStore\n")
    assert _layer_of(_imports(bad)[0]) == "epoch"
