"""``solvency export-tree``: the auditor's copy of the tree database (section 8.4).

It holds the nodes (commitments, hashes, range proofs) and the padding seeds, and leaves out
the users table and the openings: no user id, balance or blinding reaches the auditor.
"""

from __future__ import annotations

from pathlib import Path

import click

from .options import EXISTING_DIR
from .prove_cmd import open_tree
from .reporting import Output, reports


def export_tree(epoch_dir: Path, out: Path) -> tuple[Path, int]:
    """Write the copy; return its path and number of nodes."""
    with open_tree(epoch_dir) as store:
        path = store.export_tree(out)
        return path, store.count_nodes()


@click.command("export-tree")
@click.argument("epoch_dir", type=EXISTING_DIR)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The auditor's tree database to write (must not exist).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("export-tree")
def export_tree_cmd(epoch_dir: Path, out_path: Path, as_json: bool, out: Output) -> None:
    """Write the auditor's copy of the tree of EPOCH_DIR to --out."""
    path, nodes = export_tree(epoch_dir, out_path)
    out.finish(
        "ok",
        verdict=f"wrote the auditor's tree ({nodes} nodes, no users or openings) to {path}",
        out=str(path),
        nodes=nodes,
    )
