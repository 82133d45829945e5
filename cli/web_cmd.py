"""``solvency web-verifier --out DIR``: write the browser verifier page and print its SHA-256.

The page (``solvency/web/verifier.html``, built from ``web/`` by ``make web``) is one
self-contained HTML file: the JavaScript verifier of docs/PROTOCOL.md section 6 inlined, no
network request allowed by its Content-Security-Policy. An exchange hosts it next to its proofs;
a user checks that the hosted copy's SHA-256 equals the one this command prints for the release
(also in the README), or simply opens the written file from disk.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import click

from .keyfiles import write_public_file
from .reporting import Output, reports

PAGE_NAME = "solvency-verifier.html"


def page_bytes() -> bytes:
    """The released page, as shipped in the package."""
    return (resources.files("solvency") / "web" / "verifier.html").read_bytes()


@click.command("web-verifier")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write solvency-verifier.html into (created if missing).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("web-verifier")
def web_verifier(out_dir: Path, as_json: bool, out: Output) -> None:
    """Write the browser verifier page (checks proofs offline) and print its SHA-256."""
    data = page_bytes()
    out_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    target = out_dir / PAGE_NAME
    write_public_file(target, data)
    digest = hashlib.sha256(data).hexdigest()
    out.line(f"wrote {target} ({len(data)} bytes)")
    out.finish("ok", verdict=f"sha256 {digest}", path=str(target), bytes=len(data), sha256=digest)
