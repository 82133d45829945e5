"""``solvency build``: ledger -> tree database -> signed public root and private liabilities.

Writes, under ``--out DIR``:

    public/root.json          the root (section 8.1), published
    public/root.json.sig      Ed25519 signature over the exact bytes of root.json
    private/liabilities.json  totals and root blindings R_k (section 8.2), for the auditor
    private/epoch.sqlite      the tree database (section 8.4), kept by the exchange

A refused ledger leaves nothing behind: what this run created is removed. A rerun on a DIR
whose database exists resumes that build (the database is never removed).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from solvency import __version__
from solvency.crypto import derive
from solvency.epoch.builder import BuildSummary, build_epoch, store_path
from solvency.errors import SolvencyError
from solvency.files import formats, secure_io, signing
from solvency.files.ledger import AssetSpec, load_asset_config

from .keyfiles import signing_paths, write_public_file
from .options import EXISTING_FILE
from .progress import ProgressBar
from .reporting import EXIT_INTERRUPTED, Output, reports

ROOT_FILE = Path("public") / "root.json"
SIG_FILE = Path("public") / "root.json.sig"
LIABILITIES_FILE = Path("private") / "liabilities.json"


@dataclass
class PhaseClock:
    """Times the builder's phases from its progress reports: a phase runs from its first
    report (the first phase: from the start) to the first report of the next one."""

    bar: ProgressBar
    start: float = field(default_factory=time.perf_counter)
    starts: dict[str, float] = field(default_factory=dict)

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.starts:
            self.starts[phase] = self.start if not self.starts else time.perf_counter()
        self.bar.update(phase, done, total)

    def durations(self, end: float) -> dict[str, float]:
        names = list(self.starts)
        if not names:
            return {}  # a rerun of a complete build: no phase ran
        ends = [self.starts[n] for n in names[1:]] + [end]
        return {n: e - self.starts[n] for n, e in zip(names, ends, strict=True)}


@dataclass(frozen=True)
class BuildResult:
    summary: BuildSummary
    root_path: Path
    sig_path: Path
    liabilities_path: Path
    fingerprint: str
    timings: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        """The build's keys of the --json result (schemas/build-result-v1.json)."""
        s = self.summary
        return {
            "epoch": s.epoch,
            "users": s.users,
            "nodes": s.nodes,
            "leaves": s.leaves,
            "internal": s.internal,
            "padding": s.padding,
            "range_proofs": s.range_proofs,
            "height": s.height,
            "root_hash": s.root_hash.hex(),
            "files": {
                "root": str(self.root_path),
                "signature": str(self.sig_path),
                "liabilities": str(self.liabilities_path),
                "tree": str(s.store_path),
            },
            "key_fingerprint": self.fingerprint,
            "timings_s": self.timings,
        }


def parse_assets(specs: Sequence[str], config: Path | None) -> tuple[AssetSpec, ...]:
    if specs and config is not None:
        raise click.UsageError("give --asset options or --assets-config, not both")
    if config is not None:
        return load_asset_config(config)
    if not specs:
        raise click.UsageError("name the assets: --asset SYMBOL:DECIMALS ... or --assets-config")
    return tuple(AssetSpec.parse(s) for s in specs)


def _outermost_missing(path: Path) -> Path | None:
    """The outermost of ``path`` and its ancestors that does not exist yet."""
    missing = None
    p = path.absolute()
    while not p.exists():
        missing = p
        if p.parent == p:
            break
        p = p.parent
    return missing


def _remove_created(out_dir: Path, missing_top: Path | None, private_existed: bool) -> None:
    """Undo what a failed fresh build created (never called when the database pre-existed)."""
    if missing_top is not None:
        shutil.rmtree(missing_top, ignore_errors=True)
        return
    db = store_path(out_dir)
    for suffix in ("", "-wal", "-shm", "-journal"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    if not private_existed:
        try:
            db.parent.rmdir()
        except OSError:
            pass  # not empty: something else lives there, leave it


def build_and_publish(
    ledger: Path,
    assets: Sequence[AssetSpec],
    master_secret: bytes,
    signing_key: signing.SigningKey,
    epoch: str,
    out_dir: Path,
    *,
    height: int | None = None,
    publish_totals: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    bar: ProgressBar | None = None,
) -> BuildResult:
    """Build (or resume) the epoch, then write root.json, its signature and liabilities.json."""
    derive.check_epoch_id(epoch)
    clock = PhaseClock(bar or ProgressBar(False))
    db = store_path(out_dir)
    db_existed = db.exists()
    missing_top = _outermost_missing(out_dir)
    private_existed = db.parent.exists()
    try:
        summary = build_epoch(
            ledger,
            assets,
            master_secret,
            epoch,
            out_dir,
            height=height,
            progress=clock,
            workers=workers,
            scheduler=scheduler,
        )
    except BaseException as exc:
        # A refused ledger (or any failure before the database exists) leaves nothing; a
        # started database survives an interrupt so the same command resumes it.
        if not db_existed and (not db.exists() or isinstance(exc, SolvencyError)):
            _remove_created(out_dir, missing_top, private_existed)
        raise
    finally:
        clock.bar.close()
    built = time.perf_counter()
    openings = list(zip(summary.assets, summary.totals, summary.root_blindings, strict=True))
    root = formats.RootFile(
        epoch=summary.epoch,
        created=formats.rfc3339_utc(),
        tool=f"solvency {__version__}",
        height=summary.height,
        range_bits=64,
        assets=summary.assets,
        root=formats.RootCommitment(summary.root_hash, summary.root_commitments),
        totals=(
            tuple(formats.TotalOpening(a.symbol, v, R) for a, v, R in openings)
            if publish_totals
            else None
        ),
    )
    liabilities = formats.LiabilitiesFile(
        epoch=summary.epoch,
        root_hash=summary.root_hash,
        totals=tuple(formats.LiabilityTotal(a.symbol, a.decimals, v, R) for a, v, R in openings),
    )
    root_bytes = root.dumps()
    root_path, sig_path = out_dir / ROOT_FILE, out_dir / SIG_FILE
    secure_io.make_dir(root_path.parent, private=False)
    write_public_file(root_path, root_bytes)
    write_public_file(sig_path, signing.encode_signature(signing_key.sign(root_bytes)))
    liabilities_path = out_dir / LIABILITIES_FILE
    signing.write_secret_file(liabilities_path, liabilities.dumps(), overwrite=True)
    end = time.perf_counter()
    timings = clock.durations(built)
    timings["files"] = end - built
    timings["total"] = end - clock.start
    return BuildResult(
        summary,
        root_path,
        sig_path,
        liabilities_path,
        signing_key.verifying_key().fingerprint(),
        timings,
    )


@click.command("build")
@click.argument("ledger", type=EXISTING_FILE)
@click.option("--epoch", required=True, help="Epoch id: 1-64 characters of A-Z a-z 0-9 . _ : -")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (public/ and private/ go in it).",
)
@click.option("--asset", "asset_specs", multiple=True, metavar="SYM:DEC", help="Repeatable.")
@click.option(
    "--assets-config",
    type=EXISTING_FILE,
    help='JSON {"format": "solvency-assets", "version": 1, "assets": [...]}.',
)
@click.option("--keys", type=click.Path(file_okay=False, path_type=Path), help="Key directory.")
@click.option("--master-key", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--signing-key", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--height", type=click.IntRange(1, 64), help="Tree height (default: smallest fit).")
@click.option("--publish-totals", is_flag=True, help="Put totals and blindings in root.json.")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: all).")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("build")
def build(
    ledger: Path,
    epoch: str,
    out_dir: Path,
    asset_specs: tuple[str, ...],
    assets_config: Path | None,
    keys: Path | None,
    master_key: Path | None,
    signing_key: Path | None,
    height: int | None,
    publish_totals: bool,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
    as_json: bool,
    out: Output,
) -> None:
    """Build epoch EPOCH from LEDGER.csv and write the signed root."""
    if workers is not None and scheduler is not None:
        raise click.UsageError("give --workers or --scheduler, not both")
    assets = parse_assets(asset_specs, assets_config)
    master_path, signing_path = signing_paths(keys, master_key, signing_key)
    master_secret = signing.load_master_secret(master_path)
    sk = signing.load_signing_key(signing_path)
    try:
        result = build_and_publish(
            ledger,
            assets,
            master_secret,
            sk,
            epoch,
            out_dir,
            height=height,
            publish_totals=publish_totals,
            workers=workers,
            scheduler=scheduler,
            bar=ProgressBar.for_command(as_json, quiet),
        )
    except KeyboardInterrupt:
        # Not exit 1 (that means "verification failed"): the shell's code for SIGINT.
        out.stop("error", "interrupted; rerun the same command to resume", EXIT_INTERRUPTED)
    s = result.summary
    out.line(f"epoch        {s.epoch}")
    out.line(f"users        {s.users}")
    out.line(
        f"nodes        {s.nodes} ({s.leaves} leaves, {s.internal} internal, {s.padding} padding),"
        f" {s.range_proofs} range proofs"
    )
    out.line(f"height       {s.height}")
    out.line(f"root hash    {s.root_hash.hex()}")
    out.line(f"root         {result.root_path}  (publish)")
    out.line(f"signature    {result.sig_path}  (key fingerprint {result.fingerprint})")
    out.line(f"liabilities  {result.liabilities_path}  (private: for the auditor)")
    out.line(f"tree         {s.store_path}  (private)")
    out.line("time         " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    out.finish("ok", **result.to_json())
