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

Margin (section 10): with ``margin`` parameters the ledger is signed, every node has 2a
commitments (equity then debt), the ledger is refused when a user's debt is not covered, and
the proofs phase also gives every level-0 node (user and padding leaves alike) its collateral
proof, in the same transaction as its range proof.
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

from solvency.circuits.collateral import prove_collateral
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
from solvency.files.formats import (
    Collateral,
    InclusionProofFile,
    PathStep,
    RootCommitment,
    rfc3339_utc,
)
from solvency.files.ledger import AssetSpec, check_assets, iter_ledger
from solvency.files.margin import MarginParams, Weights
from solvency.files.secure_io import check_regular_file, make_dir

#: Subtrees of 2^14 leaves: one transaction (and later one worker task) each.
DEFAULT_SUBTREE_LEVEL = 14
DEFAULT_CHUNK_SIZE = 32
DB_RELATIVE_PATH = Path("private") / "epoch.sqlite"
_TAG_SECRET_CHECK = b"solvency/v1/secret-check"
#: Meta key: when the build first completed (root.json's ``created``).
META_CREATED = "created"

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
    #: Per-column totals in units and the root blindings R_k: C_k(root) = Com(total_k, R_k)
    #: (2a columns in a margin epoch: total equity of every asset, then total debt).
    totals: tuple[int, ...]
    root_blindings: tuple[int, ...]
    store_path: Path
    #: When the build first completed (RFC 3339 UTC, kept in the database's meta): root.json's
    #: ``created``, so a rerun writes the same bytes. None while the range proofs are pending.
    created: str | None = None
    margin: MarginParams | None = None
    collateral_proofs: int = 0


def store_path(out_dir: str | os.PathLike[str]) -> Path:
    """``DIR/private/epoch.sqlite``."""
    return Path(out_dir) / DB_RELATIVE_PATH


def _secret_check(epoch_secret: bytes) -> str:
    """A public fingerprint of the epoch secret, so a resume with another secret is refused."""
    return hashlib.sha256(_TAG_SECRET_CHECK + epoch_secret).hexdigest()


def _scan_ledger(
    path: str | os.PathLike[str], specs: tuple[AssetSpec, ...], signed: bool = False
) -> str:
    """Check the whole ledger (section 2) and return its SHA-256: a resumed or repeated build
    compares it with the one the database was started from."""
    digest = hashlib.sha256()
    for _ in iter_ledger(path, specs, check_duplicates=False, digest=digest, signed=signed):
        pass
    return digest.hexdigest()


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
    weights: Weights | None = None,
) -> tuple[int, str]:
    """Stage the ledger (section 2 checks included), hashing it in the same single read;
    return the tree height to use and the ledger's SHA-256."""
    digest = hashlib.sha256()
    count, _ = stage_ledger(
        ledger_path, specs, derive.position_key(epoch_secret), staging, digest, weights
    )
    H = default_height(count) if height is None else check_height(height, count)
    return H, digest.hexdigest()


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
    margin: MarginParams | None = None,
) -> BuildSummary:
    """Build (or resume building) epoch ``epoch_id`` into ``out_dir/private/epoch.sqlite``.

    The work runs on ``executor`` (any ``concurrent.futures.Executor``) if given, else on a
    Dask cluster at ``scheduler``, else on ``workers`` local processes (default: every core;
    1 runs in this process). The tree (commitments, hashes, root) depends only on the ledger,
    the master secret and the epoch, never on how the work was spread. An injected ``rng``
    (for reproducible tests) keeps the proofs in this process. With ``prove=False`` the build
    stops before the range proofs (a later call finishes it). With ``margin`` the ledger is a
    signed margin ledger (section 10).
    """
    specs = check_assets(assets)
    weights = None if margin is None else margin.weights(specs)
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
        "secret_check": _secret_check(epoch_secret),
        "height_request": "default" if height is None else str(height),
    }
    # Nothing is read before this check: a folder, device or FIFO is refused at once.
    check_regular_file(ledger_path, "ledger")
    db = store_path(out_dir)
    staging = _staging_path(db)
    try:
        make_dir(Path(out_dir), private=False)
        make_dir(db.parent, private=True)
        if db.exists():
            store = EpochStore.open(db)
            staged = False
        else:
            # The ledger is checked and hashed in one read: a bad row fails as it is read.
            H, expected["ledger_sha256"] = _stage(
                ledger_path, specs, epoch_secret, height, staging, weights
            )
            staged = True
            private = {k: v for k, v in expected.items() if k != "epoch"}
            store = EpochStore.create(
                db,
                epoch=epoch,
                height=H,
                assets=_asset_pairs(specs),
                private_meta=private,
                margin=margin,
            )
        with store, _workers(executor, workers, scheduler) as pool:
            if not staged:
                # A resume or a rerun: the same ledger, or a refusal (never a silent rebuild).
                if store.state == STATE_USERS:
                    _, expected["ledger_sha256"] = _stage(
                        ledger_path, specs, epoch_secret, height, staging, weights
                    )
                else:
                    expected["ledger_sha256"] = _scan_ledger(
                        ledger_path, specs, signed=margin is not None
                    )
            _check_resume(store, expected)
            if store.assets != _asset_pairs(specs):
                raise InvalidParameterError(f"{store.path} was started with different assets")
            if store.margin != margin:
                raise InvalidParameterError(
                    f"{store.path} was started with different margin parameters"
                )
            ctx = TreeContext.create(
                epoch_secret, store.height, store.n_assets, margin=margin is not None
            )
            if store.state == STATE_USERS:
                _users_phase(store, staging, epoch_secret, min(subtree_level, store.height), report)
            if store.state == STATE_TREE:
                _tree_phase(store, ctx, pool, report)
            if store.state == STATE_PROOFS and prove:
                _proof_phase(store, chunk_size, rng, pool, report, weights)
            if store.state == STATE_COMPLETE and store.meta(META_CREATED) is None:
                # Completed by a release that did not record the time: record it once now.
                store.set_meta({META_CREATED: rfc3339_utc()})
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


def prove_collateral_chunk(
    epoch: str, chunk: Sequence[PendingProof], weights: Weights, rng: Rng | None = None
) -> list[tuple[int, bytes, bytes]]:
    """Collateral proofs ``(index, C_hi, proof)`` of the level-0 nodes of a chunk (section
    10.4): user and padding leaves alike, from the opening (e_k, d_k; r_k, r_{a+k})."""
    a = len(weights.collateral)
    out = []
    for p in chunk:
        if p.level != 0:
            continue
        try:
            C_hi, proof = prove_collateral(
                epoch,
                p.index,
                p.values[:a],
                p.values[a:],
                p.blindings[:a],
                p.blindings[a:],
                weights,
                rng,
            )
        except InvalidParameterError:
            # Staging refuses uncovered users, so only a corrupted database gets here.
            raise SolvencyError(f"leaf {p.index}: debt not covered, no collateral proof") from None
        out.append((p.index, C_hi, proof))
    return out


ProofRows = tuple[list[tuple[int, int, bytes]], list[tuple[int, bytes, bytes]]]


def _prove_task(task: tuple[str, list[PendingProof], Weights | None]) -> ProofRows:
    epoch, chunk, weights = task
    collateral = [] if weights is None else prove_collateral_chunk(epoch, chunk, weights)
    return prove_chunk(epoch, chunk), collateral


def _proof_phase(
    store: EpochStore,
    chunk_size: int,
    rng: Rng | None,
    pool: Workers,
    report: Progress,
    weights: Weights | None = None,
) -> None:
    total = store.count_nodes()
    done = total - store.count_pending()
    report("proofs", done, total)
    if rng is not None:
        # An injected rng is for reproducible tests; it is not shared across processes.
        for chunk in store.pending_proofs(chunk_size):
            collateral = (
                [] if weights is None else prove_collateral_chunk(store.epoch, chunk, weights, rng)
            )
            store.set_proofs(prove_chunk(store.epoch, chunk, rng), collateral=collateral)
            done += len(chunk)
            report("proofs", done, total)
    else:
        # Small chunks keep every worker busy to the end; each chunk is one transaction.
        tasks = ((store.epoch, chunk, weights) for chunk in store.pending_proofs(chunk_size))
        for proofs, collateral in run_tasks(pool, _prove_task, tasks):
            store.set_proofs(proofs, collateral=collateral)
            done += len(proofs)
            report("proofs", done, total)
    store.set_meta({"state": STATE_COMPLETE, META_CREATED: rfc3339_utc()})


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
        created=store.meta(META_CREATED),
        margin=store.margin,
        collateral_proofs=store.count_collateral(),
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
    balances: tuple[int, ...] = tuple(user.units)
    collateral: Collateral | None = None
    sibling_collateral: Collateral | None = None
    if store.margin is not None:
        # A margin leaf stores equity then debt per asset; the file carries their difference.
        a = len(store.assets)
        own, sib = store.collateral(user.position), store.collateral(user.position ^ 1)
        if own is None or sib is None:
            raise SolvencyError(f"{store.path}: a leaf's collateral proof is missing")
        balances = tuple(e - d for e, d in zip(user.units[:a], user.units[a:], strict=True))
        collateral, sibling_collateral = Collateral(*own), Collateral(*sib)
    return InclusionProofFile(
        epoch=store.epoch,
        user_id=user_id,
        user_secret=derive.user_secret(epoch_secret, user_id),
        position=user.position,
        height=store.height,
        assets=tuple(AssetSpec(s, d) for s, d in store.assets),
        balances=balances,
        path=tuple(path),
        root=RootCommitment(root.hash, root.commitments),
        margin=store.margin,
        collateral=collateral,
        sibling_collateral=sibling_collateral,
    )
