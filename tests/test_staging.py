"""Streaming placement (staging) equals the in-memory placement and its naive twin."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import user_ids as allowed_user_ids
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from solvency.crypto import derive
from solvency.epoch import staging, tree
from solvency.files.ledger import AssetSpec, LedgerError, LedgerRow, write_ledger

ASSETS = (AssetSpec("BTC", 8), AssetSpec("USDT", 6))
KEY = bytes(range(32))

user_ids = st.lists(
    allowed_user_ids(1, 12),
    min_size=1,
    max_size=40,
    unique=True,
)


def _ledger(path: Path, ids: list[str]) -> Path:
    rows = [LedgerRow(uid, (i * 7919 % 10**9, i), i + 2) for i, uid in enumerate(ids)]
    write_ledger(path, ASSETS, rows)
    return path


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ids=user_ids, extra_height=st.integers(0, 3))
@example(ids=["a", "b", "c", "d"], extra_height=0)  # a full tree: 4 users, 4 slots
def test_placed_users_equal_assign_positions(
    tmp_path: Path, ids: list[str], extra_height: int
) -> None:
    height = max(1, (len(ids) - 1).bit_length()) + extra_height
    ledger = _ledger(tmp_path / "ledger.csv", ids)
    db = tmp_path / "staging.sqlite"
    count, totals = staging.stage_ledger(ledger, ASSETS, KEY, db)
    assert count == len(ids)
    assert totals == (sum(i * 7919 % 10**9 for i in range(len(ids))), sum(range(len(ids))))
    placed = list(staging.placed_users(db, KEY, height, len(ASSETS)))
    positions = {u.user_id: u.position for u in placed}
    assert positions == tree.assign_positions(ids, KEY, height)
    assert positions == tree._assign_positions_naive(ids, KEY, height)
    units = {u.user_id: u.units for u in placed}
    assert units == {uid: (i * 7919 % 10**9, i) for i, uid in enumerate(ids)}


def test_duplicate_id_names_both_rows(tmp_path: Path) -> None:
    ids = [f"u{i}" for i in range(10)] + ["u3"]
    ledger = _ledger(tmp_path / "dup.csv", ids)
    with pytest.raises(LedgerError) as info:
        staging.stage_ledger(ledger, ASSETS, KEY, tmp_path / "staging.sqlite")
    assert info.value.row == 12 and info.value.column == "user_id"
    assert "first seen in row 5" in str(info.value)


def test_duplicate_across_write_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The earlier row sits in a batch already written: it is still found and named.
    monkeypatch.setattr("solvency.epoch.staging._BATCH", 4)
    ids = [f"u{i}" for i in range(10)] + ["u1"]
    ledger = _ledger(tmp_path / "dup.csv", ids)
    with pytest.raises(LedgerError, match="first seen in row 3"):
        staging.stage_ledger(ledger, ASSETS, KEY, tmp_path / "staging.sqlite")


def test_positions_use_the_epoch_position_key() -> None:
    # Different epochs place the same users differently (positions reveal nothing across
    # epochs); the staging key is derive.position_key of the epoch secret.
    ids = [f"user-{i}" for i in range(16)]
    keys = [derive.position_key(derive.epoch_secret(KEY, e)) for e in ("e1", "e2")]
    first, second = (tree.assign_positions(ids, k, 6) for k in keys)
    assert first != second
