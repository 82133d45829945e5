"""Wall time of the two commands issue 8 sets targets for, as a user runs them:

- ``solvency demo`` (200 users, 3 assets): the README's demo, target <= 20 s on 2 cores of a
  quiet machine;
- ``solvency verify`` of one user's inclusion proof in a height-21, 3-asset tree, including
  the interpreter's start: target <= 120 ms.

Each command runs as a fresh subprocess; reported are the median, min and max wall time of
``--repeat`` runs, their CPU time (user + system, from ``RUSAGE_CHILDREN``, which a shared
machine slows much less than the wall clock), the backend in use, and the load average before
and after, since the machine may be shared. ``--backend sodium`` (repeatable) measures the
libsodium twin as well, ``python -c pass`` is timed alongside as the floor under any command
(with ``--skip-demo``, in the same rounds as verify: one run of each in turn). ``--baseline
PYTHON`` times verify, in the same rounds, with another installation's interpreter (say an
older checkout's venv), for a before/after measured under the same load.

Prints a table and writes JSON (benchmarks/results/cli.json unless ``--out`` says otherwise).

    python benchmarks/bench_cli.py [--repeat 3] [--verify-repeat 11] [--backend sodium]
        [--skip-demo] [--baseline PYTHON]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HEIGHT = 21
TARGET_DEMO_S = 20.0
TARGET_VERIFY_S = 0.120


def _solvency() -> list[str]:
    script = Path(sys.executable).parent / "solvency"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "solvency.cli.main"]


def _run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``cmd`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{cmd} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _series(
    name: str, backend: str, cmd: list[str], env: dict[str, str], repeat: int, target: float | None
) -> dict[str, Any]:
    load_before = os.getloadavg()
    runs = [_run(cmd, env) for _ in range(repeat)]
    return _row(name, backend, runs, target, load_before, os.getloadavg())


#: (name, backend, command, environment, target) of one command timed in rounds
Series = tuple[str, str, list[str], dict[str, str], float | None]


def _interleaved(series: list[Series], repeat: int) -> list[dict[str, Any]]:
    """Rows for several commands run in turn, one of each per round, ``repeat`` rounds: a
    burst of load on the shared machine then slows all of them alike."""
    load_before = os.getloadavg()
    runs: list[list[tuple[float, float]]] = [[] for _ in series]
    for _ in range(repeat):
        for i, (_, _, cmd, env, _) in enumerate(series):
            runs[i].append(_run(cmd, env))
    load_after = os.getloadavg()
    return [
        _row(name, backend, r, target, load_before, load_after)
        for (name, backend, _, _, target), r in zip(series, runs, strict=True)
    ]


def _row(
    name: str,
    backend: str,
    runs: list[tuple[float, float]],
    target: float | None,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> dict[str, Any]:
    repeat = len(runs)
    walls = [w for w, _ in runs]
    median = statistics.median(walls)
    return {
        "name": name,
        "backend": backend,
        "median_wall_s": median,
        "min_wall_s": min(walls),
        "max_wall_s": max(walls),
        "median_cpu_s": statistics.median(c for _, c in runs),
        "runs": repeat,
        "target_s": target,
        "pass_on_this_machine_now": None if target is None else median <= target,
        "load_before": load_before,
        "load_after": load_after,
    }


def _verify_fixture(work: Path, env: dict[str, str]) -> list[str]:
    """Build the example ledger (3 assets) at height 21; return the verify command."""
    solvency = _solvency()
    subprocess.run([*solvency, "init", "--dir", str(work / "keys")], env=env, check=True,
                   capture_output=True)  # fmt: skip
    epoch = work / "epoch"
    subprocess.run(
        [*solvency, "build", str(EXAMPLES / "ledger.csv"), "--epoch", "bench",
         "--assets-config", str(EXAMPLES / "assets.json"), "--keys", str(work / "keys"),
         "--out", str(epoch), "--height", str(HEIGHT), "-q"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*solvency, "prove", str(epoch), "--user", "alice", "--out", str(work / "alice.json"),
         "--keys", str(work / "keys")],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    proof = work / "alice.json"
    return [*solvency, "verify", str(proof), "--root", str(epoch / "public" / "root.json"),
            "--pubkey", str(work / "keys" / "signing.pub"), "--user", "alice"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="demo runs (median)")
    ap.add_argument("--verify-repeat", type=int, default=11, help="verify runs (median)")
    ap.add_argument("--backend", action="append", default=[], choices=["sodium", "decaf"],
                    help="also measure this backend (the automatic one always is)")  # fmt: skip
    ap.add_argument("--skip-demo", action="store_true", help="only the verify figure")
    ap.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="also time verify with this interpreter (another checkout's venv), interleaved",
    )
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "results" / "cli.json"
    )
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.verify_repeat < 1:
        ap.error("repeats must be at least 1")

    from solvency.crypto import group

    backends = [group.BACKEND, *(b for b in args.backend if b != group.BACKEND)]
    rows: list[dict[str, Any]] = []
    floor_env = dict(os.environ)
    floor = [sys.executable, "-c", "pass"]
    if args.skip_demo:
        floor_env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        rows.append(_series("python -c pass", "-", floor, floor_env, 11, None))
    with tempfile.TemporaryDirectory(prefix="solvency-bench-cli-") as tmp:
        for backend in backends:
            env = {**os.environ, "SOLVENCY_BACKEND": backend}
            # An installed package has its bytecode compiled (pip does it at install): let
            # the warm-up below write it even where PYTHONDONTWRITEBYTECODE is set.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            work = Path(tmp) / backend
            work.mkdir()
            print(f"building the height-{HEIGHT} fixture on {backend} ...", file=sys.stderr)
            verify_cmd = _verify_fixture(work, env)
            _run(verify_cmd, env)  # warm-up: bytecode caches and the page cache
            name = f"solvency verify (height {HEIGHT}, 3 assets)"
            series: list[Series] = [(name, backend, verify_cmd, env, TARGET_VERIFY_S)]
            if args.skip_demo and backend == backends[0]:
                # with the interpreter's floor in the same rounds
                series.append(("python -c pass", "-", floor, floor_env, None))
            if args.baseline:
                code = "import sys; from solvency.cli.main import main; main()"
                baseline = [args.baseline, "-c", code, *verify_cmd[len(_solvency()) :]]
                _run(baseline, env)
                series.append((f"{name} [baseline]", backend, baseline, env, None))
            rows += _interleaved(series, args.verify_repeat)
            if not args.skip_demo:
                print(f"running solvency demo on {backend} ...", file=sys.stderr)
                demo = [*_solvency(), "demo", "--users", "200", "--assets", "3", "-q", "--json"]
                rows.append(
                    _series(
                        "solvency demo (200 users, 3 assets)",
                        backend,
                        demo,
                        env,
                        args.repeat,
                        TARGET_DEMO_S,
                    )
                )

    print(f"{'command':<50}{'backend':>8}{'median':>10}{'min':>9}{'cpu':>9}{'target':>8}  load")
    for r in rows:
        target = "" if r["target_s"] is None else f"{r['target_s']:g} s"
        print(
            f"{r['name']:<50}{r['backend']:>8}{r['median_wall_s']:>9.3f}s{r['min_wall_s']:>8.3f}s"
            f"{r['median_cpu_s']:>8.3f}s{target:>8}  "
            f"{r['load_before'][0]:.2f} -> {r['load_after'][0]:.2f}"
        )
    report = {
        "format": "solvency-bench-cli",
        "version": 1,
        "results": rows,
        "cpu_count": os.cpu_count(),
        "baseline_python": args.baseline,
        "environment": {"python": platform.python_version(), "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
