"""``solvency demo`` end to end on a tiny ledger, and the progress bar's rules."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cli_support import ok, run

from solvency.cli.progress import ProgressBar


def test_demo_json_small(tmp_path: Path) -> None:
    keep = tmp_path / "demo"
    result = ok("demo", "--users", 5, "--assets", 2, "--workers", 1, "--proofs", 1,
                "--keep", keep, "--json")  # fmt: skip
    report = json.loads(result.stdout)
    assert report["status"] == "ok"
    assert report["verify"] == {
        "verified": 5,
        "files": 5,
        "median_seconds_per_user": report["verify"]["median_seconds_per_user"],
    }
    assert report["crypto"]["tampered_commitment_rejected"] is True
    assert all(report["tamper"].values())  # each tampered file was refused with a reason
    assert report["build"]["users"] == 5
    assert set(report["timings_s"]) >= {"crypto", "build", "prove", "verify", "audit", "tamper"}
    assert (keep / "epoch" / "public" / "root.json").is_file()
    assert len(list((keep / "proofs").glob("*.json"))) == 5
    # --keep refuses a folder that holds files.
    again = run("demo", "--users", 1, "--keep", keep)
    assert again.exit_code == 2 and "not an empty folder" in again.stderr


def test_demo_text_on_two_workers() -> None:
    text = ok("demo", "--users", 3, "--assets", 1, "--workers", 2, "--proofs", 2).stdout
    lines = text.splitlines()
    assert "3/3 VERIFIED" in text
    assert "  tampered commitment    rejected" in lines
    assert any(
        line.startswith("  sibling commitment changed: rejected: FAILED: ") for line in lines
    )
    assert any(line.startswith("  solvency ") and "VERIFIED" in line for line in lines)
    assert any(
        line.startswith("  reserves one unit below the liabilities: refused: ") for line in lines
    )
    assert any(
        line.startswith("  signatures over another epoch's root: refused: ") for line in lines
    )
    assert lines[-1] == (
        "RESULT: every proof verified, the audit passed, reserves cover liabilities, "
        "tampering was rejected"
    )


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_without_json_or_quiet() -> None:
    assert ProgressBar.for_command(False, False, _Tty()).enabled
    assert not ProgressBar.for_command(True, False, _Tty()).enabled
    assert not ProgressBar.for_command(False, True, _Tty()).enabled
    assert not ProgressBar.for_command(False, False, io.StringIO()).enabled


def test_progress_bar_draws_and_finishes_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count, rate and time left per phase; a finished phase keeps its line; a resumed phase
    rates only this run's work. tqdm reads its clock through ``tqdm.std.time``."""
    import tqdm.std

    now = [100.0]
    monkeypatch.setattr(tqdm.std, "time", lambda: now[0])
    tty = _Tty()
    with ProgressBar(True, tty) as bar:
        bar.update("tree", 0, 4)
        now[0] += 2.0
        bar.update("tree", 1, 4)  # 1 item in 2 s: 2 s per item, 3 left take 6 s
        now[0] += 6.0
        bar.update("tree", 4, 4)
        bar.update("proofs", 10, 10)  # a resumed phase: nothing done in this run yet
    out = tty.getvalue()
    assert "\rtree       0%|" + " " * 30 + "| 0/4 [00:00<?, ?it/s]" in out
    assert "| 1/4 [00:02<00:06,  2.00s/it]" in out
    assert "\rtree     100%|" + "#" * 30 + "| 4/4 [00:08<00:00,  2.00s/it]\n" in out
    assert out.endswith("\rproofs   100%|" + "#" * 30 + "| 10/10 [00:00<?, ?it/s]\n")
    assert out.count("\n") == 2  # one finished line per phase
    silent = io.StringIO()
    with ProgressBar(False, silent) as off:
        off.update("tree", 1, 2)
    assert silent.getvalue() == ""


def test_demo_margin_json(tmp_path: Path) -> None:
    """``solvency demo --margin``: borrowers, a collateral proof per leaf, every user verifies,
    the audit reports equity, debt and net, and a changed price is rejected."""
    result = ok("demo", "--margin", "--users", 6, "--assets", 3, "--workers", 1, "--proofs", 1,
                "--seed", 3, "--json", "--keep", tmp_path / "d")  # fmt: skip
    report = json.loads(result.stdout)
    assert report["status"] == "ok" and report["margin"] is True
    assert report["build"]["margin"] is True
    assert report["build"]["collateral_proofs"] >= report["users"] == 6
    assert report["verify"]["verified"] == 6
    assert report["tamper"]["price changed in the user's file"].startswith("margin mismatch")
    root = json.loads((tmp_path / "d" / "epoch" / "public" / "root.json").read_text())
    assert root["version"] == 2 and root["parameters"]["margin"]["quote"] == "USD"
    ledger = (tmp_path / "d" / "ledger.csv").read_text()
    assert ",-" in ledger  # someone borrows
    # Reserves cover the net liability (equity minus debt) of each asset.
    proof = json.loads((tmp_path / "d" / "solvency.json").read_text())
    assert proof["liabilities"] == "equity-minus-debt"
    assert all(why for why in report["reserves"]["rejected"].values())


def test_no_bar_imports_no_tqdm() -> None:
    """A command that draws no bar (not a terminal, --json, --quiet) never imports tqdm."""
    import subprocess
    import sys

    code = (
        "import io, sys\n"
        "from solvency.cli.progress import ProgressBar\n"
        "with ProgressBar.for_command(False, False, io.StringIO()) as b:\n"
        "    b.update('tree', 1, 2)\n"
        "print('tqdm' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
