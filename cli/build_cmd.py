"""``solvency build``: ledger -> tree database -> signed public root and private liabilities.

Writes, under ``--out DIR``:

    public/root.json          the root (section 8.1), published
    public/root.json.sig      Ed25519 signature over the exact bytes of root.json
    private/liabilities.json  totals and root blindings R_k (section 8.2), for the auditor
    private/epoch.sqlite      the tree database (section 8.4), kept by the exchange

With an asset config (version 2) whose ``margin`` is set, the ledger is a margin ledger
(docs/PROTOCOL.md section 10): a negative amount is a debt, the files are version 2 (the
signed root carries the prices and haircuts), and a ledger in which some user's debt is not
covered by haircut collateral is refused (exit 2, row named, nothing written).

A refused ledger leaves nothing behind: what this run created is removed. A rerun on a DIR
whose database exists resumes that build (the database is never removed). A rerun of a
completed build leaves root.json and root.json.sig byte for byte as they are: ``created`` is
the time the build first completed, kept in the database, and an existing signed root is only
ever confirmed, never rewritten. A rerun with another ledger, master key, height or assets is
refused by the builder; one with another signing key, or that would change what root.json
says (``--publish-totals`` given or dropped), is refused here.
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
from solvency.errors import InvalidParameterError, SolvencyError, VerificationError
from solvency.files import formats, secure_io, signing
from solvency.files.ledger import AssetSpec
from solvency.files.margin import AssetConfig, MarginParams, load_config

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
            "margin": s.margin is not None,
            "collateral_proofs": s.collateral_proofs,
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
    return parse_config(specs, config).assets


def parse_config(specs: Sequence[str], config: Path | None) -> AssetConfig:
    """The assets (and margin parameters, from a version 2 config) to build with."""
    if specs and config is not None:
        raise click.UsageError("give --asset options or --assets-config, not both")
    if config is not None:
        return load_config(config)
    if not specs:
        raise click.UsageError("name the assets: --asset SYMBOL:DECIMALS ... or --assets-config")
    return AssetConfig(tuple(AssetSpec.parse(s) for s in specs))


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
    margin: MarginParams | None = None,
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
            margin=margin,
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
    # A margin epoch's columns: the equity of every asset, then the debt of every asset.
    columns = summary.assets * (1 if summary.margin is None else 2)
    sides: list[str | None] = (
        [None] * len(columns)
        if summary.margin is None
        else [*(["equity"] * len(summary.assets)), *(["debt"] * len(summary.assets))]
    )
    openings = list(zip(columns, summary.totals, summary.root_blindings, sides, strict=True))
    root = formats.RootFile(
        epoch=summary.epoch,
        created=summary.created or formats.rfc3339_utc(),
        tool=f"solvency {__version__}",
        height=summary.height,
        range_bits=64,
        assets=summary.assets,
        root=formats.RootCommitment(summary.root_hash, summary.root_commitments),
        totals=(
            tuple(formats.TotalOpening(a.symbol, v, R, side) for a, v, R, side in openings)
            if publish_totals
            else None
        ),
        margin=summary.margin,
    )
    liabilities = formats.LiabilitiesFile(
        epoch=summary.epoch,
        root_hash=summary.root_hash,
        totals=tuple(
            formats.LiabilityTotal(a.symbol, a.decimals, v, R, side) for a, v, R, side in openings
        ),
    )
    root_path, sig_path = out_dir / ROOT_FILE, out_dir / SIG_FILE
    secure_io.make_dir(root_path.parent, private=False)
    publish_root(root, root_path, sig_path, signing_key)
    liabilities_path = out_dir / LIABILITIES_FILE
    data = liabilities.dumps()
    if not liabilities_path.exists() or liabilities_path.read_bytes() != data:
        signing.write_secret_file(liabilities_path, data, overwrite=True)
    else:
        secure_io.set_private(liabilities_path)  # kept, but 0600 even if an old release wrote it
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


def publish_root(
    root: formats.RootFile, root_path: Path, sig_path: Path, signing_key: signing.SigningKey
) -> None:
    """Write root.json and its signature, or confirm the ones already there.

    An existing root.json that says the same (epoch, parameters, root, totals) is kept byte
    for byte, with its ``created`` and ``tool``; its signature must verify under
    ``signing_key`` (a missing one is written, over the existing bytes). Anything else is
    refused (InvalidParameterError): a published root is never silently replaced.
    """
    if not root_path.exists():
        root_bytes = root.dumps()
        write_public_file(root_path, root_bytes)
        write_public_file(sig_path, signing.encode_signature(signing_key.sign(root_bytes)))
        return
    with secure_io.open_regular_file(root_path, "root.json") as fh:
        old_bytes = fh.read()
    try:
        old = formats.RootFile.loads(old_bytes)
    except SolvencyError as e:
        raise InvalidParameterError(
            f"{root_path}: exists and is not a valid root ({e}); move it away first"
        ) from None
    for what, mine, theirs in (
        ("epoch", old.epoch, root.epoch),
        ("height", old.height, root.height),
        ("range bits", old.range_bits, root.range_bits),
        ("assets", old.assets, root.assets),
        ("root", old.root, root.root),
        ("published totals", old.totals, root.totals),
    ):
        if mine != theirs:
            raise InvalidParameterError(
                f"{root_path}: already publishes a different {what} for epoch {old.epoch}; "
                "a published root is never rewritten (use another --out)"
            )
    if not sig_path.exists():
        write_public_file(sig_path, signing.encode_signature(signing_key.sign(old_bytes)))
        return
    with secure_io.open_regular_file(sig_path, "signature") as fh:
        signature = signing.decode_signature(fh.read(), str(sig_path))
    try:
        signing_key.verifying_key().verify(signature, old_bytes)
    except VerificationError:
        raise InvalidParameterError(
            f"{sig_path}: not a signature by this signing key (fingerprint "
            f"{signing_key.verifying_key().fingerprint()[:16]}) over {root_path}; a published "
            "root is never re-signed (use another --out)"
        ) from None


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
    help='JSON {"format": "solvency-assets", "version": 1 or 2, "assets": [...]}; version 2 '
    'with "margin" set enables signed (margin) ledgers.',
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
    config = parse_config(asset_specs, assets_config)
    master_path, signing_path = signing_paths(keys, master_key, signing_key)
    master_secret = signing.load_master_secret(master_path)
    sk = signing.load_signing_key(signing_path)
    try:
        result = build_and_publish(
            ledger,
            config.assets,
            master_secret,
            sk,
            epoch,
            out_dir,
            height=height,
            publish_totals=publish_totals,
            workers=workers,
            scheduler=scheduler,
            bar=ProgressBar.for_command(as_json, quiet),
            margin=config.margin,
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
    if s.margin is not None:
        out.line(
            f"margin       quote {s.margin.quote}, {s.collateral_proofs} collateral proofs "
            "(one per leaf)"
        )
    out.line(f"height       {s.height}")
    out.line(f"root hash    {s.root_hash.hex()}")
    out.line(f"root         {result.root_path}  (publish)")
    out.line(f"signature    {result.sig_path}  (key fingerprint {result.fingerprint})")
    out.line(f"liabilities  {result.liabilities_path}  (private: for the auditor)")
    out.line(f"tree         {s.store_path}  (private)")
    out.line("time         " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    out.finish("ok", **result.to_json())
