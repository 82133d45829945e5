"""Build one epoch: ledger -> secrets -> positions -> sparse tree -> node range proofs.

This is the prover side of docs/PROTOCOL.md sections 3 to 5, writing the tree database of
section 8.4. The build is a sequence of resumable phases recorded in the database's
``meta.state``:

    users   parse the ledger, place users at leaf positions, store them      (one transaction)
    tree    build subtrees of 2^s leaves, one transaction each (a subtree is done when its
            root is stored), then the nodes above them                         (one transaction)
    proofs  one aggregated 64-bit range proof per node, over its a commitments padded to
            m = a rounded up to a power of two with Com(0, 0); chunks of nodes, one
            transaction each (a node is pending while ``proof IS NULL``)
    complete

A rerun with the same ledger, parameters and master secret resumes where the last one stopped;
anything else is refused. The root's opening gives the per-asset totals and the blinding sums
R_k that open C_k(root) = Com(total_k, R_k) for the auditor (section 7).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from solvency.circuits.range import prove_node
from solvency.crypto import derive
from solvency.crypto.group import Rng
from solvency.crypto.pedersen import PedersenGens
from solvency.epoch.parallel import Workers, default_workers, make_workers, run_tasks, wrap_executor
from solvency.epoch.staging import placed_users, stage_ledger
from solvency.epoch.store import (
    STATE_COMPLETE,
    STATE_PROOFS,
    STATE_TREE,
    STATE_USERS,
    EpochStore,
    NodeRows,
    PendingProof,
    pack_nodes,
)
from solvency.epoch.tree import (
    NodeKind,
    TreeContext,
    UserLeaf,
    build_subtree,
    check_height,
    combine_upper,
    default_height,
)
from solvency.errors import InvalidParameterError, SolvencyError
from solvency.files.formats import InclusionProofFile, PathStep, RootCommitment
from solvency.files.ledger import AssetSpec, check_assets
from solvency.files.secure_io import make_dir

#: Subtrees of 2^14 leaves: one transaction (and later one worker task) each.
DEFAULT_SUBTREE_LEVEL = 14
DEFAULT_CHUNK_SIZE = 32
DB_RELATIVE_PATH = Path("private") / "epoch.sqlite"
_TAG_SECRET_CHECK = b"solvency/v1/secret-check"

#: ``progress(phase, done, total)`` with phase in "users", "tree", "proofs".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildSummary:
    """What the CLI needs to write root.json and liabilities.json."""

    epoch: str
    height: int
    assets: tuple[AssetSpec, ...]
    users: int
    nodes: int
    leaves: int
    internal: int
    padding: int
    range_proofs: int
    root_hash: bytes
    root_commitments: tuple[bytes, ...]
    #: Per-asset totals in units and the root blindings R_k: C_k(root) = Com(total_k, R_k).
    totals: tuple[int, ...]
    root_blindings: tuple[int, ...]
    store_path: Path


def store_path(out_dir: str | os.PathLike[str]) -> Path:
    """``DIR/private/epoch.sqlite``."""
    return Path(out_dir) / DB_RELATIVE_PATH


def _secret_check(epoch_secret: bytes) -> str:
    """A public fingerprint of the epoch secret, so a resume with another secret is refused."""
    return hashlib.sha256(_TAG_SECRET_CHECK + epoch_secret).hexdigest()


def _file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _asset_pairs(assets: Sequence[AssetSpec]) -> tuple[tuple[str, int], ...]:
    return tuple((a.symbol, a.decimals) for a in assets)


def _check_resume(store: EpochStore, expected: dict[str, str]) -> None:
    for key, value in expected.items():
        if store.meta(key) != value:
            raise InvalidParameterError(
                f"{store.path} was started with a different {key.replace('_', ' ')}; "
                "finish that build with the same inputs or use another output directory"
            )


def _staging_path(db: Path) -> Path:
    return db.parent / ".ledger-staging.sqlite"


def _stage(
    ledger_path: str | os.PathLike[str],
    specs: tuple[AssetSpec, ...],
    epoch_secret: bytes,
    height: int | None,
    staging: Path,
) -> int:
    """Stage the ledger (section 2 checks included); return the tree height to use."""
    count, _ = stage_ledger(ledger_path, specs, derive.position_key(epoch_secret), staging)
    return default_height(count) if height is None else check_height(height, count)


def build_epoch(
    ledger_path: str | os.PathLike[str],
    assets: Sequence[AssetSpec],
    master_secret: bytes,
    epoch_id: str,
    out_dir: str | os.PathLike[str],
    height: int | None = None,
    progress: Progress | None = None,
    rng: Rng | None = None,
    *,
    subtree_level: int = DEFAULT_SUBTREE_LEVEL,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    prove: bool = True,
) -> BuildSummary:
    """Build (or resume building) epoch ``epoch_id`` into ``out_dir/private/epoch.sqlite``.

    The work runs on ``executor`` (any ``concurrent.futures.Executor``) if given, else on a
    Dask cluster at ``scheduler``, else on ``workers`` local processes (default: every core;
    1 runs in this process). The tree (commitments, hashes, root) depends only on the ledger,
    the master secret and the epoch, never on how the work was spread. An injected ``rng``
    (for reproducible tests) keeps the proofs in this process. With ``prove=False`` the build
    stops before the range proofs (a later call finishes it).
    """
    specs = check_assets(assets)
    epoch = derive.check_epoch_id(epoch_id)
    epoch_secret = derive.epoch_secret(master_secret, epoch)
    if height is not None:
        check_height(height, 1)
    if not isinstance(subtree_level, int) or not 0 <= subtree_level <= derive.MAX_HEIGHT:
        raise InvalidParameterError(f"subtree level must be in [0, {derive.MAX_HEIGHT}]")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidParameterError("chunk size must be a positive int")
    report = progress or (lambda phase, done, total: None)
    expected = {
        "epoch": epoch,
        "ledger_sha256": _file_sha256(ledger_path),
        "secret_check": _secret_check(epoch_secret),
        "height_request": "default" if height is None else str(height),
    }
    db = store_path(out_dir)
    staging = _staging_path(db)
    try:
        make_dir(Path(out_dir), private=False)
        make_dir(db.parent, private=True)
        if db.exists():
            store = EpochStore.open(db)
            staged = False
        else:
            H = _stage(ledger_path, specs, epoch_secret, height, staging)
            staged = True
            private = {k: v for k, v in expected.items() if k != "epoch"}
            store = EpochStore.create(
                db, epoch=epoch, height=H, assets=_asset_pairs(specs), private_meta=private
            )
        with store, _workers(executor, workers, scheduler) as pool:
            _check_resume(store, expected)
            if store.assets != _asset_pairs(specs):
                raise InvalidParameterError(f"{store.path} was started with different assets")
            ctx = TreeContext.create(epoch_secret, store.height, len(specs))
            if store.state == STATE_USERS:
                if not staged:
                    _stage(ledger_path, specs, epoch_secret, height, staging)
                _users_phase(store, staging, epoch_secret, min(subtree_level, store.height), report)
            if store.state == STATE_TREE:
                _tree_phase(store, ctx, pool, report)
            if store.state == STATE_PROOFS and prove:
                _proof_phase(store, chunk_size, rng, pool, report)
            return _summary(store, specs)
    finally:
        staging.unlink(missing_ok=True)


def _workers(
    executor: Executor | None, workers: int | None, scheduler: str | None
) -> AbstractContextManager[Workers]:
    if executor is not None:
        if workers is not None or scheduler is not None:
            raise InvalidParameterError("give an executor, or workers / scheduler, not both")
        return wrap_executor(executor, default_workers())
    return make_workers(workers, scheduler)


def _users_phase(
    store: EpochStore, staging: Path, epoch_secret: bytes, subtree_level: int, report: Progress
) -> None:
    users = placed_users(staging, derive.position_key(epoch_secret), store.height, store.n_assets)
    count = store.write_users(
        users, meta={"state": STATE_TREE, "subtree_level": str(subtree_level)}
    )
    store.set_meta({"users": str(count)})
    report("users", count, count)


def _subtree_task(task: tuple[TreeContext, int, int, list[UserLeaf]]) -> NodeRows:
    """Build one subtree and pack its rows (a pure task: runs in any worker process)."""
    ctx, s, t, users = task
    nodes, _ = build_subtree(users, s, t, ctx)
    return pack_nodes(nodes, ctx.n_assets)


def _tree_phase(store: EpochStore, ctx: TreeContext, pool: Workers, report: Progress) -> None:
    s = int(store.meta("subtree_level") or 0)
    subtrees = sorted({p >> s for p in store.iter_positions()})
    # A subtree is written in one transaction, so its stored root means it is complete.
    todo = [t for t in subtrees if store.node(s, t) is None]
    done = len(subtrees) - len(todo)
    report("tree", done, len(subtrees))
    tasks = ((ctx, s, t, store.users_in_range(t << s, (t + 1) << s)) for t in todo)
    for rows in run_tasks(pool, _subtree_task, tasks):
        store.write_rows(rows)
        done += 1
        report("tree", done, len(subtrees))
    roots = []
    for t in subtrees:
        root = store.full_node(s, t)
        if root is None:
            raise SolvencyError(f"{store.path}: subtree root (level {s}, index {t}) is missing")
        roots.append(root)
    upper, _ = combine_upper(roots, s, ctx)
    store.write_nodes(upper, meta={"state": STATE_PROOFS})


def prove_chunk(
    epoch: str, chunk: Sequence[PendingProof], rng: Rng | None = None
) -> list[tuple[int, int, bytes]]:
    """Range proofs ``(level, index, proof)`` of a chunk of nodes (a pure task for workers)."""
    out = []
    for p in chunk:
        proof, V = prove_node(epoch, p.level, p.index, p.values, p.blindings, rng)
        # The stored opening must produce the stored commitments, or the proof is useless.
        if V != p.commitments:
            raise SolvencyError(
                f"node (level {p.level}, index {p.index}): opening does not match its commitments"
            )
        out.append((p.level, p.index, proof))
    return out


def _prove_task(task: tuple[str, list[PendingProof]]) -> list[tuple[int, int, bytes]]:
    return prove_chunk(task[0], task[1])


def _proof_phase(
    store: EpochStore, chunk_size: int, rng: Rng | None, pool: Workers, report: Progress
) -> None:
    total = store.count_nodes()
    done = total - store.count_pending()
    report("proofs", done, total)
    if rng is not None:
        # An injected rng is for reproducible tests; it is not shared across processes.
        for chunk in store.pending_proofs(chunk_size):
            store.set_proofs(prove_chunk(store.epoch, chunk, rng))
            done += len(chunk)
            report("proofs", done, total)
    else:
        # Small chunks keep every worker busy to the end; each chunk is one transaction.
        tasks = ((store.epoch, chunk) for chunk in store.pending_proofs(chunk_size))
        for proofs in run_tasks(pool, _prove_task, tasks):
            store.set_proofs(proofs)
            done += len(proofs)
            report("proofs", done, total)
    store.set_meta({"state": STATE_COMPLETE})


def _summary(store: EpochStore, specs: tuple[AssetSpec, ...]) -> BuildSummary:
    root = store.root()
    opening = store.opening(store.height, 0)
    if opening is None:
        raise SolvencyError(f"{store.path}: the root's opening is missing")
    totals, blindings = opening
    pc = PedersenGens.default()
    for k, (C_k, v_k, R_k) in enumerate(zip(root.commitments, totals, blindings, strict=True)):
        # C_k(root) == Com(total_k, R_k)
        if v_k >= 2**64 or not hmac.compare_digest(C_k, pc.commit(v_k, R_k)):
            raise SolvencyError(f"{store.path}: root commitment {k} does not open to its total")
    return BuildSummary(
        epoch=store.epoch,
        height=store.height,
        assets=specs,
        users=store.count_users(),
        nodes=store.count_nodes(),
        leaves=store.count_nodes(NodeKind.LEAF),
        internal=store.count_nodes(NodeKind.INTERNAL),
        padding=store.count_nodes(NodeKind.PADDING),
        range_proofs=store.count_nodes() - store.count_pending(),
        root_hash=root.hash,
        root_commitments=root.commitments,
        totals=totals,
        root_blindings=blindings,
        store_path=store.path,
    )


def export_user_proof(store: EpochStore, user_id: str, master_secret: bytes) -> InclusionProofFile:
    """The inclusion proof file of one user (PROTOCOL section 8.3): one indexed lookup per
    level."""
    if store.state != STATE_COMPLETE:
        raise InvalidParameterError(f"{store.path}: the build is not complete")
    epoch_secret = derive.epoch_secret(master_secret, store.epoch)
    check = store.meta("secret_check")
    if check is None or not hmac.compare_digest(check, _secret_check(epoch_secret)):
        raise InvalidParameterError(f"{store.path}: the master secret is not this epoch's")
    derive.check_user_id(user_id)
    user = store.user(user_id)
    if user is None:
        raise InvalidParameterError(f"no user with this id in epoch {store.epoch}")
    path = []
    for level, node in enumerate(store.sibling_path(user.position)):
        if node.proof is None:
            raise SolvencyError(f"{store.path}: sibling at level {level} has no range proof")
        path.append(PathStep(node.commitments, node.hash, node.proof))
    root = store.root()
    return InclusionProofFile(
        epoch=store.epoch,
        user_id=user_id,
        user_secret=derive.user_secret(epoch_secret, user_id),
        position=user.position,
        height=store.height,
        assets=tuple(AssetSpec(s, d) for s, d in store.assets),
        balances=user.units,
        path=tuple(path),
        root=RootCommitment(root.hash, root.commitments),
    )
