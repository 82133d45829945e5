"""What validating files against their JSON Schemas costs ``solvency verify`` (issue 7 item 8).

Measured, medians of ``--repeat`` runs, each in a fresh interpreter where it matters:

- ``import jsonschema`` and ``import solvency.files.schema_check``, on top of json, re and
  the ``solvency`` package (our validator of the
  schemas' keywords, which replaced jsonschema at run time for issue 8's start-up target; each
  in a fresh interpreter, alternating, so both see the same machine);
- parsing an inclusion proof of height ``--height`` (2 assets) with ``InclusionProofFile.loads``:
  schema validation plus the checks a schema cannot express (canonical points, counts);
- the same document validated by the schema alone, by schema_check and by jsonschema (the
  tests' reference, tests/schema_reference.py), alternating;
- the whole ``solvency verify`` of the golden epoch (tests/vectors/golden-v1, height 6), as a
  subprocess: what a user waits for.

Prints a table and writes JSON (benchmarks/out/formats.json unless ``--out`` says otherwise).

    python benchmarks/bench_formats.py [--height 32] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from solvency.crypto import pedersen
from solvency.files import formats
from solvency.files.ledger import AssetSpec

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "vectors" / "golden-v1"


def _proof(height: int) -> bytes:
    rng_state = [0]

    def rnd(n: int) -> bytes:
        rng_state[0] += 1
        return (rng_state[0].to_bytes(8, "little") * (n // 8 + 1))[:n]

    def C(v: int) -> bytes:
        return pedersen.commit(v, v + 7)

    path = tuple(formats.PathStep((C(i), C(2 * i)), rnd(32), rnd(32 * 17)) for i in range(height))
    return formats.InclusionProofFile(
        epoch="bench",
        user_id="alice",
        user_secret=rnd(32),
        position=0,
        height=height,
        assets=(AssetSpec("BTC", 8), AssetSpec("ETH", 18)),
        balances=(1, 2),
        path=path,
        root=formats.RootCommitment(rnd(32), (C(1), C(2))),
    ).dumps()


def _fresh(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return float(out)


def _median_ms(f: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--height", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "formats.json")
    args = ap.parse_args()
    imports: dict[str, list[float]] = {"jsonschema": [], "solvency.files.schema_check": []}
    for _ in range(args.repeat):
        for module, times in imports.items():
            # What each adds to a process that has the modules any command loads anyway.
            timer = (
                f"import json, re, time, solvency.files; t = time.perf_counter(); import {module}; "
            )
            times.append(_fresh(timer + "print(time.perf_counter() - t)"))
    sys.path.insert(0, str(ROOT / "tests"))
    from schema_reference import reference_errors

    data = _proof(args.height)
    formats.InclusionProofFile.loads(data)  # warm: jsonschema imported, validators built
    parse = _median_ms(lambda: formats.InclusionProofFile.loads(data), args.repeat)
    obj = json.loads(data)
    reference_errors(obj, "inclusion-proof-v1.json")  # warm: validators built
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.repeat):
        ours.append(_median_ms(lambda: formats.check_shape(obj, "inclusion-proof-v1.json"), 1))
        theirs.append(_median_ms(lambda: reference_errors(obj, "inclusion-proof-v1.json"), 1))
    cmd = [
        str(Path(sys.executable).parent / "solvency"),
        "verify",
        str(GOLDEN / "proofs" / "alice.json"),
        "--root",
        str(GOLDEN / "root.json"),
        "--pubkey",
        str(GOLDEN / "signing.pub"),
    ]
    verify = _median_ms(lambda: subprocess.run(cmd, check=True, capture_output=True), args.repeat)
    result = {
        "height": args.height,
        "repeat": args.repeat,
        "import_jsonschema_ms": round(statistics.median(imports["jsonschema"]) * 1000, 1),
        "import_schema_check_ms": round(
            statistics.median(imports["solvency.files.schema_check"]) * 1000, 2
        ),
        "parse_inclusion_proof_ms": round(parse, 2),
        "schema_validation_only_ms": round(statistics.median(ours), 2),
        "schema_validation_jsonschema_ms": round(statistics.median(theirs), 2),
        "golden_verify_subprocess_ms": round(verify, 1),
        "proof_bytes": len(data),
        "load_average": os.getloadavg(),
    }
    for k, v in result.items():
        print(f"{k:32} {v}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    os.sync()


if __name__ == "__main__":
    main()
