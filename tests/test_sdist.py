"""The sdist is complete: `python -m build --sdist` from this checkout holds every tracked file,
and from the unpacked sdist its own tests collect and a quick subset passes, run against the
package built from that sdist (not this checkout's editable install)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Quick, and between them they use conftest.py, cli_support.py, the schemas (package data),
# the layer map of the source folders and, when present, the golden vectors.
QUICK = [
    "tests/test_layers.py",
    "tests/test_formats.py",
    "tests/test_ledger.py",
    "tests/test_signing.py",
    "tests/test_cli_errors.py::test_missing_keys_is_one_line",
    "tests/test_cli_errors.py::test_verify_usage",
]


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _tracked_files() -> set[str]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (this may be the unpacked sdist itself)")
    out = _run(["git", "ls-files", "-z"], ROOT)
    return {name for name in out.split("\0") if name and (ROOT / name).is_file()}


@pytest.mark.slow
def test_sdist_is_complete_and_its_tests_pass(tmp_path: Path) -> None:
    tracked = _tracked_files()
    # Build from a copy of the tracked files: in the checkout, setuptools would also add what a
    # stale solvency.egg-info/SOURCES.txt lists, and a missing MANIFEST.in line would go unseen.
    checkout = tmp_path / "checkout"
    for name in tracked:
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, checkout / name)
    dist = tmp_path / "dist"
    # --no-isolation: the build backend comes from the dev extra, so no network is needed.
    python = sys.executable
    build = [python, "-m", "build", "--no-isolation"]
    _run([*build, "--sdist", "--outdir", str(dist), "."], checkout)
    (archive,) = dist.glob("solvency-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        top = names[0].split("/")[0]
        inside = {n.split("/", 1)[1] for n in names if "/" in n and tar.getmember(n).isfile()}
        tar.extractall(tmp_path, filter="data")
    missing = sorted(tracked - inside)
    assert not missing, f"tracked files missing from the sdist: {missing}"
    for needed in ("tests/conftest.py", "tests/cli_support.py", "docs/PROTOCOL.md"):
        assert needed in inside
    assert any(n.startswith("tests/vectors/") for n in inside)
    assert any(n.startswith("examples/") for n in inside)
    assert any(n.startswith("benchmarks/") for n in inside)
    assert not any("__pycache__" in n or n.startswith("benchmarks/out/") for n in inside)

    # Build the wheel from the unpacked sdist and install it apart from the editable checkout.
    unpacked = tmp_path / top
    wheels = tmp_path / "wheels"
    _run([*build, "--wheel", "--outdir", str(wheels), "."], unpacked)
    (wheel,) = wheels.glob("solvency-*.whl")
    site = tmp_path / "site"
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          "--target", str(site), str(wheel)], unpacked)  # fmt: skip
    # PYTHONPATH comes before the editable install's finder, so `solvency` is the wheel's.
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    # The dalek vectors live beside the checkout, not in the sdist: point the copy at them.
    vectors = ROOT.parent / "shared" / "vectors" / "dalek_rangeproofs.json"
    env.setdefault("SOLVENCY_DALEK_VECTORS", str(vectors))
    where = _run([python, "-c", "import solvency.cli.main, solvency; print(solvency.__file__)"],
                 unpacked, env)  # fmt: skip
    assert Path(where.strip()).is_relative_to(site), where
    assert (site / "solvency" / "py.typed").is_file()
    assert list((site / "solvency" / "files" / "schemas").glob("*.json"))

    # The whole suite collects there (exit 0: no collection error), the same tests as here.
    collect = [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    in_sdist = _run(collect, unpacked, env).splitlines()
    here = _run(collect, ROOT).splitlines()
    assert [t for t in in_sdist if "::" in t] == [t for t in here if "::" in t]
    quick = [q for q in QUICK if (unpacked / q.split("::")[0]).is_file()]
    quick += sorted(str(p.relative_to(unpacked)) for p in unpacked.glob("tests/test_golden*.py"))
    out = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *quick], unpacked, env)
    assert " passed" in out and "failed" not in out, out
