"""Issue 7 item 4: rerunning a completed ``build`` changes no byte under ``public/``.

root.json's ``created`` is the time the build first completed, kept in the tree database, and
an existing signed root is confirmed rather than rewritten. A rerun that would publish
something else (another ledger, master key, signing key, or ``--publish-totals``) is refused
with exit 2 and leaves every public byte as it was.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from cli_support import make_keys, run, write_csv

from solvency.epoch.builder import META_CREATED, store_path
from solvency.epoch.store import EpochStore
from solvency.files import formats

ROWS = [["alice", "1.5"], ["bob", "0.25"], ["carol", "7"]]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time (a rewrite with equal bytes changes it)."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _next_second() -> None:
    """Wait until the wall clock shows another second: a new ``created`` would differ."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.05)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_keys(tmp_path_factory.mktemp("keys") / "keys")


def _build(ledger: Path, out: Path, *keys_args: object) -> object:
    return run(
        "build", ledger, "--epoch", "e1", "--out", out, "--asset", "BTC:8", "--workers", "1",
        "-q", *keys_args,
    )  # fmt: skip


@pytest.fixture
def epoch(keys: Path, tmp_path: Path) -> tuple[Path, Path]:
    ledger = write_csv(tmp_path / "ledger.csv", ["user_id", "BTC"], ROWS)
    out = tmp_path / "out"
    result = _build(ledger, out, "--keys", keys)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return ledger, out


def test_rerun_changes_no_byte_under_public(epoch: tuple[Path, Path], keys: Path) -> None:
    ledger, out = epoch
    before = _snapshot(out / "public")
    liabilities = (out / "private" / "liabilities.json").read_bytes()
    _next_second()
    result = _build(ledger, out, "--keys", keys)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert _snapshot(out / "public") == before
    assert (out / "private" / "liabilities.json").read_bytes() == liabilities


def test_republished_root_is_byte_identical(epoch: tuple[Path, Path], keys: Path) -> None:
    """Lose public/ and rerun: the same bytes come back (``created`` is kept in the store)."""
    ledger, out = epoch
    before = {k: v[0] for k, v in _snapshot(out / "public").items()}
    shutil.rmtree(out / "public")
    _next_second()
    result = _build(ledger, out, "--keys", keys)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert {k: v[0] for k, v in _snapshot(out / "public").items()} == before


def test_lost_signature_is_restored_over_the_same_bytes(
    epoch: tuple[Path, Path], keys: Path
) -> None:
    ledger, out = epoch
    before = _snapshot(out / "public")
    (out / "public" / "root.json.sig").unlink()
    result = _build(ledger, out, "--keys", keys)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    after = _snapshot(out / "public")
    assert after["root.json"] == before["root.json"]
    assert after["root.json.sig"][0] == before["root.json.sig"][0]


def _refused(out: Path, result: object, words: str) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert words in result.stderr, result.stderr  # type: ignore[attr-defined]


def test_rerun_with_another_ledger_is_refused(
    epoch: tuple[Path, Path], keys: Path, tmp_path: Path
) -> None:
    _, out = epoch
    before = _snapshot(out)
    other = write_csv(tmp_path / "other.csv", ["user_id", "BTC"], [*ROWS[:2], ["carol", "8"]])
    _refused(out, _build(other, out, "--keys", keys), "different ledger")
    assert _snapshot(out) == before


def test_rerun_with_another_signing_key_is_refused(
    epoch: tuple[Path, Path], keys: Path, tmp_path: Path
) -> None:
    ledger, out = epoch
    before = _snapshot(out / "public")
    other = make_keys(tmp_path / "other-keys")
    result = _build(
        ledger, out, "--master-key", keys / "master.key", "--signing-key", other / "signing.key"
    )
    _refused(out, result, "not a signature by this signing key")
    assert _snapshot(out / "public") == before


def test_rerun_with_another_master_key_is_refused(epoch: tuple[Path, Path], tmp_path: Path) -> None:
    ledger, out = epoch
    before = _snapshot(out)
    other = make_keys(tmp_path / "other-keys")
    _refused(out, _build(ledger, out, "--keys", other), "different secret check")
    assert _snapshot(out) == before


def test_rerun_that_would_publish_totals_is_refused(epoch: tuple[Path, Path], keys: Path) -> None:
    ledger, out = epoch
    before = _snapshot(out / "public")
    result = _build(ledger, out, "--keys", keys, "--publish-totals")
    _refused(out, result, "different published totals")
    assert _snapshot(out / "public") == before


def test_created_is_when_the_build_first_completed(epoch: tuple[Path, Path], keys: Path) -> None:
    _, out = epoch
    root = formats.RootFile.loads((out / "public" / "root.json").read_bytes())
    with EpochStore.open(store_path(out), readonly=True) as store:
        assert store.meta(META_CREATED) == root.created
