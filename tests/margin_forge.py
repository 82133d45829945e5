"""A cheating exchange's tools for margin epochs (tests only): it has its own tree database,
master secret and signing key, and uses the library to rewrite nodes and republish.

Imported by tests/test_cli_margin.py (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

from pathlib import Path

from solvency.circuits.range import prove_node
from solvency.crypto import derive, group
from solvency.crypto.pedersen import PedersenGens
from solvency.epoch.store import EpochStore
from solvency.epoch.tree import Node, NodeKind, _leaf, internal_node
from solvency.files import formats, signing
from solvency.files.ledger import AssetSpec

_PC = PedersenGens.default()


def epoch_secret(keys: Path, epoch: str) -> bytes:
    return derive.epoch_secret(signing.load_master_secret(keys / "master.key"), epoch)


def rewrite_up(store: EpochStore, node: Node, keep: dict[tuple[int, int], bytes]) -> None:
    """Store ``node`` in place of the node at its address, recompute every ancestor from the
    stored siblings, and give each rewritten node a range proof: a fresh one when its values
    are in range, else the old proof (a cheater has no valid one)."""
    nodes = [node]
    while nodes[-1].level < store.height:
        n = nodes[-1]
        sib = store.full_node(n.level, n.index ^ 1)
        assert sib is not None
        left, right = (n, sib) if n.index % 2 == 0 else (sib, n)
        nodes.append(internal_node(left, right))
    old = {(n.level, n.index): store.node(n.level, n.index) for n in nodes}
    store.write_nodes(nodes, replace=True)
    proofs = []
    for n in nodes:
        if all(v < 2**64 for v in n.values):
            proof, _ = prove_node(store.epoch, n.level, n.index, n.values, n.blindings)
        else:
            stored = old[(n.level, n.index)]
            assert stored is not None and stored.proof is not None
            proof = keep.get((n.level, n.index), stored.proof)
        proofs.append((n.level, n.index, proof))
    store.set_proofs(proofs)


def forge_leaf(store: EpochStore, secret: bytes, user_id: str, columns: tuple[int, ...]) -> None:
    """Give ``user_id``'s leaf the 2a values ``columns`` (taken mod l), keeping its old
    collateral proof (no valid one exists for an uncovered or negative leaf)."""
    user = store.user(user_id)
    assert user is not None
    usecret = derive.user_secret(secret, user_id)
    leaf = _leaf(user_id, usecret, user.position, columns, store.n_assets, margin=True)
    rewrite_up(store, leaf, {})
    if all(v < 2**64 for v in columns):
        # The user's own file then states the forged balances too.
        blob = b"".join(v.to_bytes(8, "little") for v in columns)
        store._conn.execute("UPDATE users SET balances = ? WHERE user_id = ?", (blob, user_id))


def inflate_internal(store: EpochStore, level: int, index: int, column: int, delta: int) -> None:
    """Add Com(delta, 0) to one commitment of an internal node (its hash, which binds the
    children, is left alone), then recompute and re-prove everything above it."""
    n = store.full_node(level, index)
    assert n is not None and n.kind is NodeKind.INTERNAL
    C = list(n.commitments)
    C[column] = group._add(C[column], _PC.commit(delta, 0))
    values = list(n.values)
    values[column] += delta
    rewrite_up(
        store,
        Node(level, index, n.kind, tuple(C), n.hash, tuple(values), n.blindings),
        {},
    )


def republish(epoch_dir: Path, keys: Path) -> None:
    """Write root.json, its signature and liabilities.json from the (forged) database."""
    with EpochStore.open(epoch_dir / "private" / "epoch.sqlite") as store:
        root = store.root()
        opening = store.opening(store.height, 0)
        assert opening is not None and store.margin is not None
        assets = tuple(AssetSpec(s, d) for s, d in store.assets)
        a = len(assets)
        sides = ["equity"] * a + ["debt"] * a
        doc = formats.RootFile(
            epoch=store.epoch,
            created=formats.rfc3339_utc(),
            tool="cheater 1.0",
            height=store.height,
            range_bits=64,
            assets=assets,
            root=formats.RootCommitment(root.hash, root.commitments),
            margin=store.margin,
        )
        liab = formats.LiabilitiesFile(
            epoch=store.epoch,
            root_hash=root.hash,
            totals=tuple(
                formats.LiabilityTotal(x.symbol, x.decimals, v % 2**64, R, side)
                for x, v, R, side in zip(assets * 2, *opening, sides, strict=True)
            ),
        )
    data = doc.dumps()
    (epoch_dir / "public" / "root.json").write_bytes(data)
    sk = signing.load_signing_key(keys / "signing.key")
    (epoch_dir / "public" / "root.json.sig").write_bytes(signing.encode_signature(sk.sign(data)))
    (epoch_dir / "private" / "liabilities.json").write_bytes(liab.dumps())
