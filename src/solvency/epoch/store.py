"""The per-epoch tree database, ``DIR/private/epoch.sqlite`` (docs/PROTOCOL.md section 8.4).

Tables::

    meta(key TEXT PRIMARY KEY, value TEXT)                 parameters, schema version, build state
    users(user_id TEXT PRIMARY KEY, position INTEGER UNIQUE, balances BLOB)
    nodes(level, idx, kind, commitments BLOB, hash BLOB, proof BLOB NULL, PRIMARY KEY(level, idx))
    openings(level, idx, values_ BLOB, blindings BLOB, pad_seed BLOB NULL, PRIMARY KEY(level, idx))
    collateral(idx PRIMARY KEY, c_hi BLOB, proof BLOB)     margin epochs only (section 10.4):
                                                           every level-0 node's collateral proof

A margin epoch has a ``margin`` meta key (the signed margin parameters, JSON) and 2a
commitments per node (``n_assets`` counts commitments: equity of every asset, then debt).

Every write runs in one transaction (batched ``executemany``); the journal is WAL. The file is
created 0600 before SQLite opens it, so its journals are 0600 too (``files.secure_io``). The build
state in ``meta`` lets a rerun resume: nodes are written subtree by subtree, and a node whose
``proof`` IS NULL still needs its range proof. ``export_tree`` writes the auditor's copy:
public ``meta``, all ``nodes``, and the padding seeds only (no users, no openings).

SQLite integers are signed 64-bit while positions and indices go up to 2^64 - 1 (H = 64):
they are stored as their two's-complement reinterpretation (unchanged below 2^63), and
range queries are split so results still come in unsigned order.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from solvency.crypto import derive
from solvency.epoch.tree import MAX_HEIGHT, Node, NodeKind, UserLeaf
from solvency.errors import InvalidParameterError, MalformedInputError, UnsupportedVersionError
from solvency.files import secure_io
from solvency.files.margin import MarginParams

DB_FORMAT = "solvency-epoch-db"
SCHEMA_VERSION = 1
#: Build states, in order.
STATE_USERS = "users"
STATE_TREE = "tree"
STATE_PROOFS = "proofs"
STATE_COMPLETE = "complete"
_STATES = (STATE_USERS, STATE_TREE, STATE_PROOFS, STATE_COMPLETE)
#: Meta keys copied into the auditor's export; the others stay private.
PUBLIC_META = (
    "format",
    "schema_version",
    "epoch",
    "height",
    "assets",
    "range_bits",
    "hash",
    "state",
    "margin",
)
_BATCH = 4096

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users(
    user_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL UNIQUE,
    balances BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE nodes(
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    commitments BLOB NOT NULL,
    hash BLOB NOT NULL,
    proof BLOB,
    PRIMARY KEY(level, idx)
) WITHOUT ROWID;
CREATE TABLE openings(
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    values_ BLOB,
    blindings BLOB,
    pad_seed BLOB,
    PRIMARY KEY(level, idx)
) WITHOUT ROWID;
CREATE INDEX nodes_pending ON nodes(level, idx) WHERE proof IS NULL;
"""
_COLLATERAL_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS collateral("
    "idx INTEGER PRIMARY KEY, c_hi BLOB NOT NULL, proof BLOB NOT NULL) WITHOUT ROWID"
)


@dataclass(frozen=True, slots=True)
class StoredNode:
    """A node as the database holds it (no opening)."""

    level: int
    index: int
    kind: NodeKind
    commitments: tuple[bytes, ...]
    hash: bytes
    proof: bytes | None


@dataclass(frozen=True, slots=True)
class PendingProof:
    """A node still waiting for its range proof, with the opening the prover needs."""

    level: int
    index: int
    commitments: tuple[bytes, ...]
    values: tuple[int, ...]
    blindings: tuple[int, ...]


#: Rows of the nodes and openings tables, as ``pack_nodes`` makes them.
NodeRows = tuple[
    list[tuple[int, int, int, bytes, bytes]], list[tuple[int, int, bytes, bytes, bytes | None]]
]


def pack_nodes(nodes: Iterable[Node], n_assets: int) -> NodeRows:
    """The database rows of ``nodes`` (pure, so worker processes can do it)."""
    node_rows: list[tuple[int, int, int, bytes, bytes]] = []
    opening_rows: list[tuple[int, int, bytes, bytes, bytes | None]] = []
    for n in nodes:
        if len(n.commitments) != n_assets:
            raise InvalidParameterError("every node needs one commitment per asset")
        key = (n.level, _s(n.index))
        node_rows.append((*key, int(n.kind), b"".join(n.commitments), n.hash))
        opening_rows.append((*key, _pack(n.values, 32), _pack(n.blindings, 32), n.pad_seed))
    return node_rows, opening_rows


# --- integer and blob encodings --------------------------------------------------------------


def _s(i: int) -> int:
    """Unsigned 64-bit -> the signed value SQLite stores."""
    return i - (1 << 64) if i >= 1 << 63 else i


def _u(i: int) -> int:
    return i + (1 << 64) if i < 0 else i


def _signed_ranges(lo: int, hi: int) -> list[tuple[int, int]]:
    """Inclusive signed bounds covering unsigned [lo, hi), in unsigned order."""
    if hi <= lo:
        return []
    last = hi - 1
    half = 1 << 63
    if last < half:
        return [(lo, last)]
    if lo >= half:
        return [(_s(lo), _s(last))]
    return [(lo, half - 1), (-half, _s(last))]


def _pack(xs: Sequence[int], width: int) -> bytes:
    return b"".join(x.to_bytes(width, "little") for x in xs)


def _unpack(blob: bytes, width: int, count: int, what: str) -> tuple[int, ...]:
    if not isinstance(blob, bytes) or len(blob) != width * count:
        raise MalformedInputError(f"{what}: expected {width * count} bytes")
    return tuple(int.from_bytes(blob[i : i + width], "little") for i in range(0, len(blob), width))


def _split(blob: bytes, count: int, what: str) -> tuple[bytes, ...]:
    if not isinstance(blob, bytes) or len(blob) != 32 * count:
        raise MalformedInputError(f"{what}: expected {32 * count} bytes")
    return tuple(blob[i : i + 32] for i in range(0, len(blob), 32))


class EpochStore:
    """One epoch's tree database. Use ``create`` or ``open``; close it (or use ``with``)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
        self._conn = conn
        self.path = path
        self.readonly = readonly
        meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        try:
            self.epoch = derive.check_epoch_id(meta["epoch"])
            self.height = int(meta["height"])
            assets = json.loads(meta["assets"])
            self.assets: tuple[tuple[str, int], ...] = tuple(
                (str(x["symbol"]), int(x["decimals"])) for x in assets
            )
            margin = meta.get("margin")
            self.margin: MarginParams | None = (
                None if margin is None else MarginParams.from_json(json.loads(margin))
            )
        except (KeyError, ValueError, TypeError, InvalidParameterError) as exc:
            raise MalformedInputError(f"{path}: meta table is incomplete or malformed") from exc
        #: Commitments per node: a, or 2a in a margin epoch (equity then debt).
        self.n_assets = len(self.assets) * (2 if self.margin is not None else 1)
        if not 1 <= self.height <= MAX_HEIGHT or not 1 <= self.n_assets <= 64:
            raise MalformedInputError(f"{path}: meta height or assets out of range")

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        epoch: str,
        height: int,
        assets: Sequence[tuple[str, int]],
        private_meta: Mapping[str, str] | None = None,
        margin: MarginParams | None = None,
    ) -> EpochStore:
        """Create a new database (refused if ``path`` exists)."""
        p = Path(path)
        if p.exists():
            raise InvalidParameterError(f"{p} already exists")
        derive.check_epoch_id(epoch)
        if not isinstance(height, int) or not 1 <= height <= MAX_HEIGHT:
            raise InvalidParameterError(f"height must be an int in [1, {MAX_HEIGHT}]")
        if not assets:
            raise InvalidParameterError("at least one asset is required")
        if not p.parent.is_dir():
            secure_io.make_dir(p.parent, private=True)
        # 0600 before SQLite opens it: its -wal and -shm files copy the database's mode.
        secure_io.create_private_file(p)
        meta = {
            "format": DB_FORMAT,
            "schema_version": str(SCHEMA_VERSION),
            "epoch": epoch,
            "height": str(height),
            "assets": json.dumps([{"symbol": s, "decimals": d} for s, d in assets], sort_keys=True),
            "range_bits": "64",
            "hash": "sha256",
            "state": STATE_USERS,
            "contents": "private",
        }
        if margin is not None:
            meta["margin"] = json.dumps(margin.to_json(), sort_keys=True)
        meta.update(private_meta or {})
        conn = sqlite3.connect(p, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # A larger page cache keeps B-tree inserts of whole subtrees off the disk (64 MiB).
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("BEGIN")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if margin is not None:
                conn.execute(_COLLATERAL_SCHEMA)
            conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", sorted(meta.items()))
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return cls(conn, p, readonly=False)

    @classmethod
    def open(cls, path: str | os.PathLike[str], readonly: bool = False) -> EpochStore:
        """Open an existing database; refuse other files and other schema versions."""
        p = Path(path)
        if not p.is_file():
            raise MalformedInputError(f"{p}: no such tree database")
        uri = p.resolve().as_uri() + ("?mode=ro" if readonly else "")
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise MalformedInputError(f"{p}: cannot open as a tree database") from exc
        try:
            cls._check_format(conn, p)
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                # A larger page cache keeps B-tree inserts of whole subtrees off the disk (64 MiB).
                conn.execute("PRAGMA cache_size=-65536")
            return cls(conn, p, readonly)
        except BaseException:
            conn.close()
            raise

    @staticmethod
    def _check_format(conn: sqlite3.Connection, p: Path) -> None:
        try:
            rows = dict(
                conn.execute(
                    "SELECT key, value FROM meta WHERE key IN ('format', 'schema_version')"
                ).fetchall()
            )
        except sqlite3.Error as exc:
            raise MalformedInputError(f"{p} is not a solvency tree database") from exc
        if rows.get("format") != DB_FORMAT:
            raise MalformedInputError(f"{p} is not a solvency tree database")
        if rows.get("schema_version") != str(SCHEMA_VERSION):
            raise UnsupportedVersionError(
                f"{p}: tree database schema version {rows.get('schema_version')!r} is not"
                f" supported (this release reads version {SCHEMA_VERSION})"
            )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EpochStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise InvalidParameterError(f"{self.path} is open read-only")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # --- meta ------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, items: Mapping[str, str]) -> None:
        with self._transaction() as conn:
            self._put_meta(conn, items)

    @staticmethod
    def _put_meta(conn: sqlite3.Connection, items: Mapping[str, str]) -> None:
        conn.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            sorted(items.items()),
        )

    @property
    def state(self) -> str:
        state = self.meta("state")
        if state not in _STATES:
            raise MalformedInputError(f"{self.path}: unknown build state {state!r}")
        return state

    # --- users -----------------------------------------------------------------------------

    def write_users(self, users: Iterable[UserLeaf], meta: Mapping[str, str] | None = None) -> int:
        """Insert users (one transaction, with ``meta`` updated in it); return the count."""
        count = 0
        with self._transaction() as conn:
            batch: list[tuple[str, int, bytes]] = []
            for u in users:
                if len(u.units) != self.n_assets:
                    raise InvalidParameterError("every user needs one balance per asset")
                batch.append((u.user_id, _s(u.position), _pack(u.units, 8)))
                if len(batch) >= _BATCH:
                    conn.executemany("INSERT INTO users VALUES (?, ?, ?)", batch)
                    count += len(batch)
                    batch.clear()
            conn.executemany("INSERT INTO users VALUES (?, ?, ?)", batch)
            count += len(batch)
            if meta:
                self._put_meta(conn, meta)
        return count

    def count_users(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM users").fetchone()[0])

    def user(self, user_id: str) -> UserLeaf | None:
        row = self._conn.execute(
            "SELECT user_id, position, balances FROM users WHERE user_id = ?", (user_id,)
        ).fetchone()
        return None if row is None else self._user_row(row)

    def _user_row(self, row: tuple[str, int, bytes]) -> UserLeaf:
        return UserLeaf(
            row[0], _u(row[1]), _unpack(row[2], 8, self.n_assets, f"balances of user at {row[1]}")
        )

    def users_in_range(self, lo: int, hi: int) -> list[UserLeaf]:
        """Users with lo <= position < hi, sorted by position."""
        out: list[UserLeaf] = []
        for a, b in _signed_ranges(lo, hi):
            rows = self._conn.execute(
                "SELECT user_id, position, balances FROM users"
                " WHERE position BETWEEN ? AND ? ORDER BY position",
                (a, b),
            ).fetchall()
            out.extend(self._user_row(r) for r in rows)
        return out

    def iter_user_ids(self) -> Iterator[str]:
        """Every user id in id order, streamed by keyset paging (constant memory)."""
        last = ""
        while True:
            rows = self._conn.execute(
                "SELECT user_id FROM users WHERE user_id > ? ORDER BY user_id LIMIT ?",
                (last, _BATCH),
            ).fetchall()
            if not rows:
                return
            for (uid,) in rows:
                yield uid
            last = rows[-1][0]

    def iter_positions(self) -> Iterator[int]:
        """All user positions (unsorted), streamed."""
        for (p,) in self._conn.execute("SELECT position FROM users"):
            yield _u(p)

    # --- nodes -----------------------------------------------------------------------------

    def write_nodes(
        self, nodes: Iterable[Node], meta: Mapping[str, str] | None = None, replace: bool = False
    ) -> int:
        """Insert nodes and their openings in one transaction (``meta`` updated in it).

        With ``replace``, existing nodes are overwritten and lose their proof.
        """
        return self.write_rows(pack_nodes(nodes, self.n_assets), meta, replace)

    def write_rows(
        self, rows: NodeRows, meta: Mapping[str, str] | None = None, replace: bool = False
    ) -> int:
        """Insert nodes already packed by ``pack_nodes`` (workers pack, the writer only writes)."""
        node_rows, opening_rows = rows
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        with self._transaction() as conn:
            conn.executemany(
                f"{verb} INTO nodes(level, idx, kind, commitments, hash, proof)"
                " VALUES (?, ?, ?, ?, ?, NULL)",
                node_rows,
            )
            conn.executemany(
                f"{verb} INTO openings(level, idx, values_, blindings, pad_seed)"
                " VALUES (?, ?, ?, ?, ?)",
                opening_rows,
            )
            if meta:
                self._put_meta(conn, meta)
        return len(node_rows)

    def _node_row(self, row: tuple[int, int, int, bytes, bytes, bytes | None]) -> StoredNode:
        level, idx, kind, commitments, h, proof = row
        where = f"{self.path}: node (level {level}, index {_u(idx)})"
        try:
            node_kind = NodeKind(kind)
        except ValueError as exc:
            raise MalformedInputError(f"{where}: unknown kind {kind!r}") from exc
        if not isinstance(h, bytes) or len(h) != 32:
            raise MalformedInputError(f"{where}: hash must be 32 bytes")
        if proof is not None and not isinstance(proof, bytes):
            raise MalformedInputError(f"{where}: proof must be a blob")
        return StoredNode(
            level,
            _u(idx),
            node_kind,
            _split(commitments, self.n_assets, f"{where}: commitments"),
            h,
            proof,
        )

    _NODE_COLUMNS = "level, idx, kind, commitments, hash, proof"

    def node(self, level: int, index: int) -> StoredNode | None:
        row = self._conn.execute(
            f"SELECT {self._NODE_COLUMNS} FROM nodes WHERE level = ? AND idx = ?",  # noqa: S608
            (level, _s(index)),
        ).fetchone()
        return None if row is None else self._node_row(row)

    def root(self) -> StoredNode:
        node = self.node(self.height, 0)
        if node is None:
            raise MalformedInputError(f"{self.path}: the tree has no root node")
        return node

    def level_nodes(self, level: int) -> list[StoredNode]:
        """All stored nodes of one level, sorted by index."""
        return list(self.iter_level_nodes(level))

    def iter_level_nodes(self, level: int) -> Iterator[StoredNode]:
        """The stored nodes of one level, sorted by index, streamed (constant memory)."""
        for a, b in _signed_ranges(0, 1 << (self.height - level)):
            rows = self._conn.execute(
                f"SELECT {self._NODE_COLUMNS} FROM nodes"  # noqa: S608
                " WHERE level = ? AND idx BETWEEN ? AND ? ORDER BY idx",
                (level, a, b),
            )
            for r in rows:
                yield self._node_row(r)

    def count_nodes(self, kind: NodeKind | None = None) -> int:
        if kind is None:
            row = self._conn.execute("SELECT count(*) FROM nodes").fetchone()
        else:
            row = self._conn.execute(
                "SELECT count(*) FROM nodes WHERE kind = ?", (int(kind),)
            ).fetchone()
        return int(row[0])

    def count_level(self, level: int) -> int:
        row = self._conn.execute("SELECT count(*) FROM nodes WHERE level = ?", (level,)).fetchone()
        return int(row[0])

    def sibling_path(self, position: int) -> list[StoredNode]:
        """The siblings of the nodes on the path from leaf ``position`` up, leaf level first
        (one indexed lookup per level)."""
        if not isinstance(position, int) or not 0 <= position < 1 << self.height:
            raise InvalidParameterError("position outside the tree")
        path: list[StoredNode] = []
        for level in range(self.height):
            sibling = self.node(level, (position >> level) ^ 1)
            if sibling is None:
                raise MalformedInputError(
                    f"{self.path}: sibling at level {level} of position {position} is missing"
                )
            path.append(sibling)
        return path

    def opening(self, level: int, index: int) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """(values, blindings) of a node (private database only)."""
        row = self._conn.execute(
            "SELECT values_, blindings FROM openings WHERE level = ? AND idx = ?",
            (level, _s(index)),
        ).fetchone()
        if row is None or row[0] is None or row[1] is None:
            return None
        where = f"{self.path}: opening of node (level {level}, index {index})"
        return (
            _unpack(row[0], 32, self.n_assets, where),
            _unpack(row[1], 32, self.n_assets, where),
        )

    def pad_seed(self, level: int, index: int) -> bytes | None:
        row = self._conn.execute(
            "SELECT pad_seed FROM openings WHERE level = ? AND idx = ?", (level, _s(index))
        ).fetchone()
        if row is None or row[0] is None:
            return None
        if not isinstance(row[0], bytes) or len(row[0]) != 32:
            raise MalformedInputError(
                f"{self.path}: padding seed of node (level {level}, index {index}) is not 32 bytes"
            )
        return bytes(row[0])

    def full_node(self, level: int, index: int) -> Node | None:
        """A stored node with its opening, as the tree builder made it."""
        stored = self.node(level, index)
        opening = self.opening(level, index)
        if stored is None or opening is None:
            return None
        return Node(
            level,
            index,
            stored.kind,
            stored.commitments,
            stored.hash,
            opening[0],
            opening[1],
            self.pad_seed(level, index),
        )

    # --- proofs ----------------------------------------------------------------------------

    def count_pending(self) -> int:
        row = self._conn.execute("SELECT count(*) FROM nodes WHERE proof IS NULL").fetchone()
        return int(row[0])

    def pending_proofs(self, chunk_size: int) -> Iterator[list[PendingProof]]:
        """Nodes without a proof, in chunks, ordered by (level, stored idx) (keyset paging, so
        setting proofs between chunks is safe)."""
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidParameterError("chunk size must be a positive int")
        last = (-1, 0)  # level -1 sorts before every node
        while True:
            rows = self._conn.execute(
                "SELECT n.level, n.idx, n.commitments, o.values_, o.blindings"
                " FROM nodes n JOIN openings o ON o.level = n.level AND o.idx = n.idx"
                " WHERE n.proof IS NULL AND (n.level, n.idx) > (?, ?)"
                " ORDER BY n.level, n.idx LIMIT ?",
                (*last, chunk_size),
            ).fetchall()
            if not rows:
                return
            last = (rows[-1][0], rows[-1][1])
            chunk = []
            for level, idx, commitments, values, blindings in rows:
                where = f"{self.path}: node (level {level}, index {_u(idx)})"
                if values is None or blindings is None:
                    raise MalformedInputError(f"{where}: opening missing")
                chunk.append(
                    PendingProof(
                        level,
                        _u(idx),
                        _split(commitments, self.n_assets, where),
                        _unpack(values, 32, self.n_assets, where),
                        _unpack(blindings, 32, self.n_assets, where),
                    )
                )
            yield chunk

    def set_proofs(
        self,
        proofs: Iterable[tuple[int, int, bytes]],
        meta: Mapping[str, str] | None = None,
        collateral: Iterable[tuple[int, bytes, bytes]] = (),
    ) -> None:
        """Store range proofs ``(level, index, proof)`` and leaves' collateral proofs
        ``(index, C_hi, proof)`` in one transaction."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE nodes SET proof = ? WHERE level = ? AND idx = ?",
                [(p, level, _s(index)) for level, index, p in proofs],
            )
            rows = [(_s(i), c_hi, p) for i, c_hi, p in collateral]
            if rows:
                conn.executemany("INSERT OR REPLACE INTO collateral VALUES (?, ?, ?)", rows)
            if meta:
                self._put_meta(conn, meta)

    def collateral(self, index: int) -> tuple[bytes, bytes] | None:
        """(C_hi, proof) of the collateral proof of leaf ``index`` (margin epochs)."""
        if self.margin is None:
            return None
        row = self._conn.execute(
            "SELECT c_hi, proof FROM collateral WHERE idx = ?", (_s(index),)
        ).fetchone()
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    def count_collateral(self) -> int:
        if self.margin is None:
            return 0
        return int(self._conn.execute("SELECT count(*) FROM collateral").fetchone()[0])

    # --- export ----------------------------------------------------------------------------

    def export_tree(self, dst: str | os.PathLike[str]) -> Path:
        """Write the auditor's copy: public meta, nodes with proofs, padding seeds."""
        if self.state != STATE_COMPLETE:
            raise InvalidParameterError(f"{self.path}: the build is not complete")
        out = Path(dst)
        if out.exists():
            raise InvalidParameterError(f"{out} already exists")
        tmp = out.with_name(out.name + ".partial")
        tmp.unlink(missing_ok=True)
        secure_io.create_private_file(tmp)  # the auditor's copy is handed over, not published
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("BEGIN")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            public = {k: v for k in PUBLIC_META if (v := self.meta(k)) is not None}
            public["contents"] = "public"
            conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", sorted(public.items()))
            conn.executemany(
                "INSERT INTO nodes(level, idx, kind, commitments, hash, proof)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                self._conn.execute(f"SELECT {self._NODE_COLUMNS} FROM nodes"),  # noqa: S608
            )
            conn.executemany(
                "INSERT INTO openings(level, idx, values_, blindings, pad_seed)"
                " VALUES (?, ?, NULL, NULL, ?)",
                self._conn.execute(
                    "SELECT level, idx, pad_seed FROM openings WHERE pad_seed IS NOT NULL"
                ),
            )
            if self.margin is not None:
                conn.execute(_COLLATERAL_SCHEMA)
                conn.executemany(
                    "INSERT INTO collateral VALUES (?, ?, ?)",
                    self._conn.execute("SELECT idx, c_hi, proof FROM collateral"),
                )
            conn.execute("COMMIT")
        finally:
            conn.close()
        tmp.replace(out)
        return out
