"""Streaming placement of users at leaf positions (docs/PROTOCOL.md section 4).

Positions need every user id before the first one can be placed: users are taken in
ascending order of ``HMAC(position_key, id || LE32(0))`` and each takes the first free slot of
its sequence ``p_j``. Holding a million ids and balances as Python objects costs hundreds of
megabytes, so the ledger is staged in a temporary SQLite file instead:

1. ``stage_ledger`` streams the ledger into ``staging(sort_key, user_id PRIMARY KEY, row,
   balances)``; the primary key refuses a duplicate id (the error names both rows);
2. ``placed_users`` reads the staging table back in ``sort_key`` order (SQLite sorts on disk)
   and assigns positions, yielding users one at a time.

Memory bound: the ledger reader and SQLite's page cache (constant), plus the set of taken
slots, a bitmap of 2^H bits (256 KiB for a million users at the default height) for H <= 30;
above that, a set of taken slots (about 70 bytes per user).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from solvency.epoch.tree import UserLeaf, _position_digest
from solvency.errors import InvalidParameterError, MalformedInputError
from solvency.files import secure_io
from solvency.files.ledger import AssetSpec, Hasher, LedgerError, duplicate_id_error, iter_ledger
from solvency.files.margin import Weights, check_covered, split_signed

_BATCH = 8192
_BITMAP_MAX_HEIGHT = 30


def stage_ledger(
    ledger_path: str | os.PathLike[str],
    assets: Sequence[AssetSpec],
    position_key: bytes,
    staging_path: Path,
    digest: Hasher | None = None,
    weights: Weights | None = None,
) -> tuple[int, tuple[int, ...]]:
    """Stream the ledger into a new staging file; return (user count, per-column totals).
    ``digest`` is fed the ledger's bytes as they are read (see ``iter_ledger``).

    With margin ``weights`` (docs/PROTOCOL.md section 10) amounts are signed and each user is
    staged as 2a columns, equity then debt; a user whose debt is not covered by haircut
    collateral (or whose collateral value reaches the proven bound) is refused, naming the
    row: the exchange must liquidate before it publishes.
    """
    if staging_path.exists():
        staging_path.unlink()
    secure_io.create_private_file(staging_path)  # it holds every id and balance
    conn = sqlite3.connect(staging_path)
    try:
        # A temporary file, rebuilt if interrupted; the journal only serves ROLLBACK.
        conn.execute("PRAGMA journal_mode=MEMORY")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(
            "CREATE TABLE staging(user_id TEXT PRIMARY KEY, sort_key BLOB NOT NULL,"
            " row INTEGER NOT NULL, balances BLOB NOT NULL)"
        )
        count = 0
        totals = [0] * (len(assets) * (2 if weights is not None else 1))
        batch: list[tuple[str, bytes, int, bytes]] = []
        name = os.fspath(ledger_path)
        signed = weights is not None
        rows = iter_ledger(
            ledger_path, assets, check_duplicates=False, digest=digest, signed=signed
        )
        for r in rows:
            uid = r.user_id.encode("utf-8")
            columns = r.units
            if weights is not None:
                equity, debt = split_signed(r.units)
                try:
                    check_covered(weights, equity, debt, r.row)
                except MalformedInputError as e:
                    raise LedgerError(f"{name} {e} (user {r.user_id!r})", r.row, None) from None
                columns = (*equity, *debt)
            balances = b"".join(u.to_bytes(8, "little") for u in columns)
            batch.append((r.user_id, _position_digest(position_key, uid, 0), r.row, balances))
            for k, u in enumerate(columns):
                totals[k] += u
            count += 1
            if len(batch) >= _BATCH:
                _insert(conn, batch, name)
        _insert(conn, batch, name)
        conn.execute("CREATE INDEX staging_order ON staging(sort_key)")
        conn.commit()
        return count, tuple(totals)
    finally:
        conn.close()


def _insert(
    conn: sqlite3.Connection, batch: list[tuple[str, bytes, int, bytes]], name: str
) -> None:
    try:
        conn.executemany("INSERT INTO staging VALUES (?, ?, ?, ?)", batch)
        conn.commit()
    except sqlite3.IntegrityError:
        # Find the first duplicate of this batch, row by row, to name both rows.
        conn.rollback()
        for uid, key, row, balances in batch:
            earlier = conn.execute("SELECT row FROM staging WHERE user_id = ?", (uid,)).fetchone()
            if earlier is not None:
                raise duplicate_id_error(name, row, uid, earlier[0]) from None
            conn.execute("INSERT INTO staging VALUES (?, ?, ?, ?)", (uid, key, row, balances))
        raise
    batch.clear()


class _Taken:
    """The set of taken leaf slots: a bitmap for small heights, a set above."""

    def __init__(self, height: int) -> None:
        self._bits = bytearray((1 << height) // 8 + 1) if height <= _BITMAP_MAX_HEIGHT else None
        self._set: set[int] = set()

    def claim(self, p: int) -> bool:
        """Take slot p if it is free; return whether it was."""
        if self._bits is None:
            if p in self._set:
                return False
            self._set.add(p)
            return True
        byte, bit = p >> 3, 1 << (p & 7)
        if self._bits[byte] & bit:
            return False
        self._bits[byte] |= bit
        return True


def placed_users(
    staging_path: Path, position_key: bytes, height: int, n_assets: int
) -> Iterator[UserLeaf]:
    """The staged users with their leaf positions, in placement order (section 4)."""
    if not 1 <= height <= 64:
        raise InvalidParameterError("height must be in [1, 64]")
    mask = (1 << height) - 1
    taken = _Taken(height)
    conn = sqlite3.connect(staging_path)
    try:
        rows = conn.execute("SELECT user_id, sort_key, balances FROM staging ORDER BY sort_key")
        for uid, h0, balances in rows:
            p = int.from_bytes(h0[:8], "big") & mask
            j = 0
            while not taken.claim(p):
                j += 1
                p = (
                    int.from_bytes(
                        _position_digest(position_key, uid.encode("utf-8"), j)[:8], "big"
                    )
                    & mask
                )
            units = tuple(
                int.from_bytes(balances[8 * k : 8 * k + 8], "little") for k in range(n_assets)
            )
            yield UserLeaf(uid, p, units)
    finally:
        conn.close()
