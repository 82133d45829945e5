"""Start-up cost of ``solvency --version`` and ``solvency --help`` (issue 7 item 9: under
0.1 s of CPU time).

Each command runs as a fresh subprocess; its CPU time (user + system) is read from the
resource usage of reaped children (``RUSAGE_CHILDREN``), so a machine shared with other work
slows the wall clock but hardly the CPU figure. Reported: the median, min and max of
``--repeat`` runs, and the median wall time. In the same run, for scale:

- ``python -c pass``: the interpreter's own start, the floor under any command;
- ``import click``: the floor under any click program;
- every command module imported eagerly: what ``--version`` cost when the group imported all
  its commands up front (before cli/app.py loaded them lazily).

Prints a table and writes JSON (benchmarks/results/startup.json unless ``--out`` says otherwise).

    python benchmarks/bench_startup.py [--repeat 11]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_CPU_S = 0.1
EAGER = (
    "import solvency.cli.app as a, importlib; "
    "[importlib.import_module('solvency.cli.' + m) for m, _, _ in a.COMMANDS.values()]"
)


def _solvency() -> list[str]:
    script = Path(sys.executable).parent / "solvency"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "solvency.cli.main"]


def _run_once(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``cmd`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{cmd} exited {done.returncode}: {done.stderr.decode()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--repeat", type=int, default=11)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "startup.json")
    args = ap.parse_args()
    exe = _solvency()
    cases = {
        "solvency --version": [*exe, "--version"],
        "solvency --help": [*exe, "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "every command module imported": [sys.executable, "-c", EAGER],
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for cmd in cases.values():  # warm the page cache and .pyc files
        _run_once(cmd)
    for _ in range(args.repeat):  # interleaved, so a busy spell hits every case alike
        for name, cmd in cases.items():
            samples[name].append(_run_once(cmd))
    results = {}
    print(f"{'command':34} {'CPU median':>10} {'min':>8} {'max':>8} {'wall median':>12}")
    for name, runs in samples.items():
        cpu = [c for c, _ in runs]
        wall = [w for _, w in runs]
        results[name] = {
            "cpu_ms_median": round(1e3 * statistics.median(cpu), 1),
            "cpu_ms_min": round(1e3 * min(cpu), 1),
            "cpu_ms_max": round(1e3 * max(cpu), 1),
            "wall_ms_median": round(1e3 * statistics.median(wall), 1),
        }
        r = results[name]
        print(
            f"{name:34} {r['cpu_ms_median']:8.1f} ms {r['cpu_ms_min']:5.1f} ms "
            f"{r['cpu_ms_max']:5.1f} ms {r['wall_ms_median']:9.1f} ms"
        )
    met = {
        name: results[name]["cpu_ms_median"] < 1e3 * TARGET_CPU_S
        for name in ("solvency --version", "solvency --help")
    }
    for name, ok in met.items():
        print(f"{name}: {'under' if ok else 'NOT under'} {TARGET_CPU_S} s of CPU time (median)")
    report = {
        "repeat": args.repeat,
        "target_cpu_s": TARGET_CPU_S,
        "target_met": met,
        "python": platform.python_version(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
