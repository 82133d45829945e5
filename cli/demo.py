"""``solvency demo``: the whole proof-of-liabilities flow on a synthetic ledger, with timings.

First a short crypto section (prove and verify one 64-bit range proof, a batch, a tampered
commitment), then, in a temporary folder (or ``--keep DIR``):

    exchange  synthetic ledger -> init keys -> build (all cores; the tightest height that
              holds the users) -> prove every user
    users     verify every proof file against the signed root (the ``verify`` code path)
    auditor   export the tree -> audit (signature, liabilities opening, every node)
    tamper    a sibling commitment and a balance changed in a proof file: both rejected

With ``--margin`` (docs/PROTOCOL.md section 10) the ledger has borrowers: about a third of the
users owe an asset, covered by their haircut collateral (some exactly); every leaf carries a
collateral proof, users see their equity and debt, the auditor the total equity, debt and net
liability per asset, and a third tamper, a lower price in a user's file, must be rejected.

Exit 0 when every check came out as it should, 1 otherwise.
"""

from __future__ import annotations

import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from solvency.crypto import group, pedersen
from solvency.crypto.bulletproofs import RangeProof, verify_batch
from solvency.crypto.transcript import Transcript
from solvency.epoch.parallel import default_workers
from solvency.epoch.synthetic import write_synthetic_ledger, write_synthetic_margin_ledger
from solvency.errors import InvalidParameterError, VerificationError
from solvency.files import formats, secure_io, signing
from solvency.files.ledger import AssetSpec, format_units
from solvency.files.margin import MarginAsset, MarginParams

from .audit_cmd import run_audit
from .build_cmd import build_and_publish
from .export_cmd import export_tree
from .keyfiles import create_keys
from .progress import ProgressBar
from .prove_cmd import open_tree, prove_all
from .reporting import Output, one_line, reports
from .reserves_demo import reserves_section
from .verify_cmd import VerifyOutcome, verify_proof_file

_LABEL = b"solvency demo"
#: Demo assets in ledger column order; ``--assets N`` takes the first N.
DEMO_ASSETS = (
    AssetSpec("BTC", 8),
    # 2^64 units bound every per-asset total; at 18 decimals that is only 18.4 ETH, so the
    # demo, like an exchange's configuration would, counts ETH in units of 10^-9.
    AssetSpec("ETH", 9),
    AssetSpec("USDT", 6),
    AssetSpec("SOL", 9),
    AssetSpec("USDC", 6),
    AssetSpec("XRP", 6),
    AssetSpec("DOGE", 8),
    AssetSpec("ADA", 6),
)
#: Prices (USD) and haircuts of the demo assets, for ``--margin``.
DEMO_PRICES = (
    ("60000", "0.95"),
    ("3000", "0.9"),
    ("1", "1"),
    ("150", "0.8"),
    ("1", "1"),
    ("0.6", "0.7"),
    ("0.15", "0.6"),
    ("0.45", "0.7"),
)
#: 200 users and 3 assets in the tightest tree that holds them (height 8) make about 500
#: nodes, each with a 4-value range proof: about 35 s on 2 cores, 45 s for the whole demo.
DEFAULT_USERS = 200
EPOCH = "demo-1"

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def crypto_section(proofs: int) -> dict[str, Any]:
    """Prove and verify single 64-bit range proofs; a tampered commitment must be refused."""
    values = [secrets.randbelow(1 << 64) for _ in range(proofs)]
    blindings = [group.random_scalar() for _ in values]
    commitments = [pedersen.commit(v, r) for v, r in zip(values, blindings, strict=True)]
    results: list[tuple[RangeProof, list[bytes]]] = []
    prove_times = []
    for v, r in zip(values, blindings, strict=True):
        begin = time.perf_counter()
        results.append(RangeProof.prove([v], [r], 64, Transcript(_LABEL)))
        prove_times.append(time.perf_counter() - begin)
    if [V[0] for _, V in results] != commitments:
        raise VerificationError("commitments from the prover differ from pedersen.commit")
    verify_times = []
    for p, V in results:
        begin = time.perf_counter()
        p.verify(V, 64, Transcript(_LABEL))
        verify_times.append(time.perf_counter() - begin)
    _, batch_time = _timed(
        lambda: verify_batch([(p, V, 64, Transcript(_LABEL)) for p, V in results])
    )
    forged = group.add(commitments[0], group.BASEPOINT)
    try:
        results[0][0].verify([forged], 64, Transcript(_LABEL))
        tamper_rejected = False
    except VerificationError:
        tamper_rejected = True
    return {
        "proofs": proofs,
        "proof_bytes": len(results[0][0].to_bytes()),
        "prove_ms_median": 1e3 * statistics.median(prove_times),
        "verify_ms_median": 1e3 * statistics.median(verify_times),
        "batch_verify_ms": 1e3 * batch_time,
        "tampered_commitment_rejected": tamper_rejected,
    }


def _verify_one(args: tuple[Path, Path, Path]) -> tuple[str, VerifyOutcome]:
    proof, root, pub = args
    return proof.name, verify_proof_file(proof, root, None, pub)


def verify_all(
    folder: Path, root: Path, pub: Path, workers: int, bar: ProgressBar
) -> list[tuple[str, VerifyOutcome]]:
    """Verify every proof file in ``folder``, as ``solvency verify`` does, on ``workers``."""
    files = sorted(folder.glob("*.json"))
    tasks = [(f, root, pub) for f in files]
    out = []
    with bar, _executor(workers) as run:
        for i, result in enumerate(run(_verify_one, tasks), start=1):
            out.append(result)
            bar.update("verify", i, len(files))
    return out


@contextmanager
def _executor(
    workers: int,
) -> Iterator[Callable[[Callable[[Any], Any], list[Any]], Iterator[Any]]]:
    if workers <= 1:
        yield lambda fn, items: map(fn, items)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield lambda fn, items: pool.map(fn, items, chunksize=4)


def tamper_commitment(src: Path, dst: Path) -> None:
    """A cheating edit: the first sibling's first commitment replaced by another valid point."""
    doc = json.loads(src.read_text(encoding="utf-8"))
    C = bytes.fromhex(doc["path"][0]["commitments"][0])
    doc["path"][0]["commitments"][0] = group.add(C, group.BASEPOINT).hex()
    _write_proof_copy(dst, doc)


def tamper_balance(src: Path, dst: Path) -> None:
    """A cheating edit: the user's first balance raised by one unit (amount kept consistent)."""
    doc = json.loads(src.read_text(encoding="utf-8"))
    decimals = doc["assets"][0]["decimals"]
    units = int(doc["balances"][0]["units"]) + 1
    doc["balances"][0]["units"] = str(units)
    doc["balances"][0]["amount"] = formats.format_signed_units(units, decimals)
    _write_proof_copy(dst, doc)


def tamper_price(src: Path, dst: Path) -> None:
    """A cheating edit of a margin proof: the first asset's price halved in the user's file."""
    doc = json.loads(src.read_text(encoding="utf-8"))
    price = doc["margin"]["assets"][0]["price"]
    doc["margin"]["assets"][0]["price"] = "1" if price != "1" else "2"
    _write_proof_copy(dst, doc)


def _write_proof_copy(dst: Path, doc: Any) -> None:
    """A proof file, tampered or not, still holds the user's secret: 0600."""
    data = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")
    secure_io.write_atomic(dst, data, private=True, overwrite=True)


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="solvency-demo-") as tmp:
            yield Path(tmp)
        return
    if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        raise InvalidParameterError(f"{keep}: exists and is not an empty folder")
    # It will hold the ledger and the keys: private, like the temporary folder (0700).
    secure_io.make_dir(keep, private=True)
    yield keep


def run_demo(
    users: int,
    n_assets: int,
    proofs: int,
    workers: int | None,
    keep: Path | None,
    seed: int,
    bar: ProgressBar,
    say: Callable[[str], None],
    margin: bool = False,
) -> dict[str, Any]:
    """Run every step, reporting each through ``say``; return the measurements and, under
    ``ok``, whether every check came out as it should."""
    assets = DEMO_ASSETS[:n_assets]
    params = (
        MarginParams(
            "USD",
            tuple(
                MarginAsset(a.symbol, p, h)
                for a, (p, h) in zip(assets, DEMO_PRICES[:n_assets], strict=True)
            ),
        )
        if margin
        else None
    )
    if params is not None and n_assets < 2:
        raise InvalidParameterError("--margin needs --assets 2 or more")
    pool = workers if workers is not None else default_workers()
    report: dict[str, Any] = {
        "users": users,
        "assets": [f"{a.symbol}:{a.decimals}" for a in assets],
        "margin": margin,
    }
    t0 = time.perf_counter()
    crypto, t = _timed(lambda: crypto_section(proofs))
    report["crypto"] = crypto
    say("range proofs (ristretto255 Pedersen commitments, dalek-compatible Bulletproofs)")
    say(f"  proof size             {crypto['proof_bytes']} bytes")
    say(f"  prove one 64-bit value {crypto['prove_ms_median']:.1f} ms (median of {proofs})")
    say(f"  verify one proof       {crypto['verify_ms_median']:.1f} ms")
    say(f"  batch verify of {proofs:<6} {crypto['batch_verify_ms']:.1f} ms")
    tampered = crypto["tampered_commitment_rejected"]
    say(f"  tampered commitment    {'rejected' if tampered else 'ACCEPTED (bug)'}")
    steps: dict[str, float] = {"crypto": t}
    ok = bool(tampered)

    with _workdir(keep) as work:
        report["folder"] = str(work) if keep is not None else None
        specs = ", ".join(f"{a.symbol}:{a.decimals}" for a in assets)
        say("")
        say(f"exchange: {users} users, {n_assets} assets ({specs}), {pool} worker(s)")
        ledger = work / "ledger.csv"
        pairs = [(a.symbol, a.decimals) for a in assets]
        if params is None:
            _, steps["ledger"] = _timed(lambda: write_synthetic_ledger(ledger, users, pairs, seed))
            say(f"  ledger   {steps['ledger']:7.2f} s  synthetic ledger.csv")
        else:
            weights = params.weights(assets)
            _, steps["ledger"] = _timed(
                lambda: write_synthetic_margin_ledger(ledger, users, pairs, weights, seed)
            )
            say(
                f"  ledger   {steps['ledger']:7.2f} s  synthetic margin ledger.csv (about a "
                "third of the users borrow, covered by haircut collateral)"
            )
        keys, steps["init"] = _timed(lambda: create_keys(work / "keys"))
        say(f"  init     {steps['init']:7.2f} s  keys/ (public key {keys.fingerprint[:16]})")
        master_secret = signing.load_master_secret(keys.paths.master)
        sk = signing.load_signing_key(keys.paths.signing)
        epoch_dir = work / "epoch"
        # The tightest height that holds the users (2^H >= N) instead of build's default
        # (2^H >= 2N): it says as much about the user count (both pin it between the same
        # powers of two) and needs a third fewer padding nodes, so a third fewer proofs.
        height = max(1, (users - 1).bit_length())
        built, steps["build"] = _timed(
            lambda: build_and_publish(
                ledger,
                assets,
                master_secret,
                sk,
                EPOCH,
                epoch_dir,
                height=height,
                workers=pool,
                bar=bar,
                margin=params,
            )
        )
        s = built.summary
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in built.timings.items() if k != "total")
        say(
            f"  build    {steps['build']:7.2f} s  {s.nodes} nodes ({s.leaves} leaves, "
            f"{s.internal} internal, {s.padding} padding), height {s.height}, one range "
            f"proof per node ({phases})"
        )
        if params is not None:
            say(f"           {s.collateral_proofs} collateral proofs, one per leaf")
        say(f"           root {s.root_hash.hex()}")
        proofs_dir = work / "proofs"
        with open_tree(epoch_dir) as store:
            count, steps["prove"] = _timed(
                lambda: prove_all(store, master_secret, proofs_dir, False, bar)
            )
        say(f"  prove    {steps['prove']:7.2f} s  {count} proof files in proofs/")
        report["build"] = built.to_json()

        say("")
        say("users: solvency verify PROOF --root root.json --pubkey signing.pub")
        outcomes, steps["verify"] = _timed(
            lambda: verify_all(proofs_dir, built.root_path, keys.paths.public, pool, bar)
        )
        good = sum(o.verified for _, o in outcomes)
        per_user = statistics.median(o.seconds for _, o in outcomes)
        say(
            f"  verify   {steps['verify']:7.2f} s  {good}/{len(outcomes)} VERIFIED "
            f"({1e3 * per_user:.0f} ms per user, median)"
        )
        for name, o in outcomes:
            if not o.verified:
                say(f"           {name}: FAILED: {one_line(o.error or '')}")
        ok = ok and good == len(outcomes) == users
        report["verify"] = {
            "verified": good,
            "files": len(outcomes),
            "median_seconds_per_user": per_user,
        }

        say("")
        say("auditor: solvency export-tree, then solvency audit root.json --tree ...")
        tree = work / "auditor-tree.sqlite"
        (_, nodes), steps["export"] = _timed(lambda: export_tree(epoch_dir, tree))
        say(f"  export   {steps['export']:7.2f} s  {nodes} nodes, no users or openings")
        audited, steps["audit"] = _timed(
            lambda: run_audit(
                built.root_path, built.liabilities_path, tree, keys.paths.public, None, pool
            )
        )
        r = audited.tree
        if r is not None:
            say(
                f"  audit    {steps['audit']:7.2f} s  totals open, {r.nodes} nodes and "
                f"{r.range_proofs} range proofs checked: VERIFIED"
            )
        if params is None:
            for a, v in audited.totals:
                say(f"           total {a.symbol:<5} {format_units(v, a.decimals)}")
        else:
            if r is not None:
                say(f"           and {r.collateral_proofs} collateral proofs: VERIFIED")
            for a, e, d in audited.per_asset():
                say(
                    f"           {a.symbol:<5} equity {format_units(e, a.decimals)}, debt "
                    f"{format_units(d, a.decimals)}, net "
                    f"{formats.format_signed_units(e - d, a.decimals)}"
                )

        say("")
        say(
            "reserves: solvency reserves verify, reserves prove, verify --solvency"
            + (" (liability: net, equity minus debt)" if params is not None else "")
        )
        reserves, steps["reserves"] = _timed(
            lambda: reserves_section(built.root_path, built.liabilities_path, sk, work, say)
        )
        ok = ok and reserves.pop("ok")
        report["reserves"] = reserves

        say("")
        say("tamper check: a cheating exchange edits a user's proof file")
        victim = next(iter(sorted(proofs_dir.glob("*.json"))))
        rejected = {}
        start = time.perf_counter()
        edits = [
            ("sibling commitment changed", tamper_commitment),
            ("balance raised by one unit", tamper_balance),
        ]
        if params is not None:
            edits.append(("price changed in the user's file", tamper_price))
        for what, edit in edits:
            forged_file = work / f"tampered-{edit.__name__}.json"
            edit(victim, forged_file)
            o = verify_proof_file(forged_file, built.root_path, None, keys.paths.public)
            rejected[what] = o.error
            verdict = f"rejected: FAILED: {o.error}" if o.error else "ACCEPTED (bug)"
            say(f"  {what}: {verdict}")
            ok = ok and o.error is not None
        steps["tamper"] = time.perf_counter() - start
        report["tamper"] = rejected

    steps["total"] = time.perf_counter() - t0
    report["timings_s"] = steps
    report["ok"] = ok
    say("")
    say(f"total {steps['total']:.1f} s")
    say(
        "RESULT: every proof verified, the audit passed, reserves cover liabilities, "
        "tampering was rejected"
        if ok
        else "RESULT: FAILED (see above)"
    )
    return report


@click.command()
@click.option("--users", default=DEFAULT_USERS, show_default=True, type=click.IntRange(1, 10**6))
@click.option(
    "--assets",
    "n_assets",
    default=3,
    show_default=True,
    type=click.IntRange(1, len(DEMO_ASSETS)),
    help="How many of BTC:8 ETH:9 USDT:6 SOL:9 USDC:6 XRP:6 DOGE:8 ADA:6.",
)
@click.option(
    "--proofs",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Single range proofs timed in the crypto section.",
)
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: all cores).")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic ledger.")
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Work in this (new or empty) folder and keep the files.",
)
@click.option(
    "--margin", is_flag=True, help="A margin ledger with borrowers (PROTOCOL section 10)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@reports("demo")
def demo(
    users: int,
    n_assets: int,
    proofs: int,
    workers: int | None,
    seed: int,
    keep: Path | None,
    margin: bool,
    quiet: bool,
    as_json: bool,
    out: Output,
) -> None:
    """Run the whole flow (exchange, users, auditor, tampering) with timings."""
    bar = ProgressBar.for_command(as_json, quiet)
    report = run_demo(users, n_assets, proofs, workers, keep, seed, bar, out.line, margin)
    ok = report.pop("ok")
    out.finish(
        "ok" if ok else "failed",
        error=None
        if ok
        else "not every check came out as it should: see verify, reserves, tamper and crypto",
        **report,
    )
