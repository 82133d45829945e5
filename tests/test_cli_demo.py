"""``solvency demo`` end to end on a tiny ledger, and the progress bar's rules."""

from __future__ import annotations

import io
import json
from pathlib import Path

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
    assert lines[-1] == "RESULT: every proof verified, the audit passed, tampering was rejected"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_without_json_or_quiet() -> None:
    assert ProgressBar.for_command(False, False, _Tty()).enabled
    assert not ProgressBar.for_command(True, False, _Tty()).enabled
    assert not ProgressBar.for_command(False, True, _Tty()).enabled
    assert not ProgressBar.for_command(False, False, io.StringIO()).enabled


def test_progress_bar_draws_and_finishes_lines() -> None:
    tty = _Tty()
    now = [100.0]
    with ProgressBar(True, tty, clock=lambda: now[0]) as bar:
        bar.update("tree", 0, 4)
        now[0] += 2.0
        bar.update("tree", 1, 4)  # 1 item in 2 s: 0.5/s, 3 left take 6 s
        now[0] += 6.0
        bar.update("tree", 4, 4)
        bar.update("proofs", 10, 10)  # a resumed phase: nothing done in this run yet
    out = tty.getvalue()
    assert "\rtree     [" + "." * 30 + "] 0/4" in out
    assert "\rtree     [" + "#" * 7 + "." * 23 + "] 1/4  0.5/s  0:06 left" in out
    assert "\rtree     [" + "#" * 30 + "] 4/4  0.5/s  0:08 elapsed\n" in out
    assert out.endswith("\rproofs   [" + "#" * 30 + "] 10/10\n")
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
