"""Make the fixtures the JavaScript verifier is tested on, with the Python code.

    python web/test/make_fixtures.py OUT [--heights 1-32] [--demo-users 8] [--jobs N]

Writes OUT/manifest.json and one folder per case holding ``proof.json``, ``root.json``,
``root.json.sig`` and ``signing.pub``, with what ``solvency verify proof.json --root root.json
--pubkey signing.pub --json`` said in that folder (so the paths in its messages are the bare
file names the browser shows). The cases:

- ``height-H``: a fresh 3-asset epoch of tree height H, for each H asked (default 1 to 32);
- ``demo-*``: every user proof of a ``solvency demo --keep`` run;
- ``golden-*``: the golden epoch tests/vectors/golden-v1 (made by an earlier version);
- ``tamper-*``: every tamper class of tests/test_cli_flow.py on a 1-asset and a 3-asset epoch,
  and malformed files (exit 2 with the reason);
- in OUT/solvency, the proof-of-reserves cases of make_solvency_fixtures.py (its own manifest).

The height epochs (most of the time: one range proof per node on two paths, up to height 32)
are made by ``--jobs`` processes (default: one per CPU), beside the other cases made in this
one; the manifest lists the cases in the same order whatever the number of jobs.

Run by web/test/fresh.test.js (``npm test``) and tests/test_web.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from click.testing import CliRunner

# The tamper edits of tests/test_cli_flow.py, shared with it (tests/proof_tamper.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from proof_tamper import (
    bump_point,
    flip_hex,
    tamper_balance,
    tamper_commitment,
    tamper_hash,
    tamper_last_commitment,
    tamper_range_proof_bytes,
    tamper_range_proof_replay,
)

from solvency.cli.app import cli
from solvency.epoch.store import EpochStore
from solvency.epoch.synthetic import write_synthetic_ledger
from solvency.files import signing
from solvency.files.checkpoint import SignedCheckpoint

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "vectors" / "golden-v1"
GOLDEN_MARGIN = REPO / "tests" / "vectors" / "golden-margin-v2"
ONE_ASSET = ("BTC:8",)
THREE_ASSETS = ("BTC:8", "ETH:18", "USDT:6")
NAMES = ("proof.json", "root.json", "root.json.sig", "signing.pub")
LOG_NAMES = ("checkpoint", "log-proof.json")


def run(*args: object) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def ok(*args: object) -> Any:
    result = run(*args)
    if result.exit_code != 0:
        raise SystemExit(f"solvency {' '.join(map(str, args))} failed:\n{result.output}")
    return result


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def save(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


class Cases:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.cases: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        proof: Path | bytes,
        root: Path | bytes,
        sig: Path | bytes,
        pub: Path | bytes,
        user: str | None = None,
        log: tuple[Path | bytes, Path | bytes] | None = None,
        **meta: Any,
    ) -> None:
        """A case folder with the four files, and the CLI's verdict on them (with ``--user``
        when ``user`` is given)."""
        folder = self.out / name
        folder.mkdir(parents=True)
        for src, dst in zip((proof, root, sig, pub), NAMES, strict=True):
            (folder / dst).write_bytes(src if isinstance(src, bytes) else src.read_bytes())
        extra = ["--user", user] if user is not None else []
        if log is not None:
            for src, dst in zip(log, LOG_NAMES, strict=True):
                (folder / dst).write_bytes(src if isinstance(src, bytes) else src.read_bytes())
            extra += ["--checkpoint", LOG_NAMES[0], "--log-proof", LOG_NAMES[1]]
        here = Path.cwd()
        os.chdir(folder)
        try:
            result = run(
                "verify", NAMES[0], "--root", NAMES[1], "--pubkey", NAMES[3], *extra, "--json"
            )
        finally:
            os.chdir(here)
        self.cases.append(
            {
                "name": name,
                "dir": name,
                "user": user,
                "log": log is not None,
                "exit_code": result.exit_code,
                "cli": json.loads(result.stdout),
            }
            | meta
        )

    def write(self) -> None:
        save(self.out / "manifest.json", {"format": "solvency-web-fixtures", "cases": self.cases})


def build(work: Path, assets: tuple[str, ...], users: int, epoch: str, *extra: str) -> Path:
    """An epoch of a synthetic ledger, every user's proof written; returns its folder."""
    work.mkdir(parents=True, exist_ok=True)
    ledger = work / "ledger.csv"
    if not ledger.exists():
        specs = [(a.split(":")[0], int(a.split(":")[1])) for a in assets]
        write_synthetic_ledger(ledger, users, specs, seed=7)
    keys = work / "keys"
    if not keys.exists():
        ok("init", "--dir", keys)
    out = work / epoch
    asset_args = [x for a in assets for x in ("--asset", a)]
    ok(
        "build",
        ledger,
        "--epoch",
        epoch,
        "--out",
        out,
        "--keys",
        keys,
        *asset_args,
        "-q",
        "--workers",
        "1",
        *extra,
    )
    ok("prove", out, "--all", "--out", work / f"{epoch}-proofs", "--keys", keys, "-q")
    return work


def epoch_files(work: Path, epoch: str) -> tuple[list[Path], Path, Path, Path]:
    proofs = sorted((work / f"{epoch}-proofs").glob("*.json"))
    public = work / epoch / "public"
    return proofs, public / "root.json", public / "root.json.sig", work / "keys" / "signing.pub"


# --- the tamper classes of tests/test_cli_flow.py ------------------------------------------


def _proof_root_differs(doc: dict[str, Any]) -> None:
    doc["root"]["hash"] = flip_hex(doc["root"]["hash"])


# Malformed proof files: bad input (exit 2) with the reason.
def _version_2(doc: dict[str, Any]) -> None:
    doc["version"] = 2  # a margin proof's version, without its margin keys


def _version_3(doc: dict[str, Any]) -> None:
    doc["version"] = 3


def _unknown_key(doc: dict[str, Any]) -> None:
    doc["comment"] = "x"


def _missing_path(doc: dict[str, Any]) -> None:
    del doc["path"]


def _bad_point(doc: dict[str, Any]) -> None:
    doc["path"][0]["commitments"][0] = "ff" * 32


def _position_too_big(doc: dict[str, Any]) -> None:
    doc["position"] = 2 ** doc["height"]


def _height_float(doc: dict[str, Any]) -> None:
    doc["height"] = float(doc["height"])


def _user_id_space(doc: dict[str, Any]) -> None:
    doc["user_id"] = doc["user_id"] + " "


def _user_id_zero_width(doc: dict[str, Any]) -> None:
    doc["user_id"] = doc["user_id"][:2] + "\u200b" + doc["user_id"][2:]


def _user_id_not_nfc(doc: dict[str, Any]) -> None:
    doc["user_id"] = doc["user_id"] + "e\u0301"


def _amount_mismatch(doc: dict[str, Any]) -> None:
    doc["balances"][0]["amount"] = "0.1"


def _short_range_proof(doc: dict[str, Any]) -> None:
    doc["path"][0]["range_proof"] = doc["path"][0]["range_proof"][: 64 * 8]


def _uppercase_hash(doc: dict[str, Any]) -> None:
    doc["path"][0]["hash"] = doc["path"][0]["hash"].upper()


TAMPERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "sibling-commitment": tamper_commitment,
    "top-sibling-last-asset": tamper_last_commitment,
    "sibling-hash": tamper_hash,
    "range-proof-of-another-node": tamper_range_proof_replay,
    "range-proof-bytes": tamper_range_proof_bytes,
    "balance": tamper_balance,
    "proof-root-differs": _proof_root_differs,
    "malformed-version-2": _version_2,
    "malformed-version-3": _version_3,
    "malformed-unknown-key": _unknown_key,
    "malformed-missing-path": _missing_path,
    "malformed-bad-point": _bad_point,
    "malformed-position": _position_too_big,
    "malformed-height-float": _height_float,
    "malformed-user-id-space": _user_id_space,
    "malformed-user-id-zero-width": _user_id_zero_width,
    "malformed-user-id-not-nfc": _user_id_not_nfc,
    "malformed-amount": _amount_mismatch,
    "malformed-short-range-proof": _short_range_proof,
    "malformed-uppercase-hash": _uppercase_hash,
}


def tamper_cases(cases: Cases, work: Path, assets: tuple[str, ...], tag: str) -> None:
    users = 6 if len(assets) == 1 else 4
    build(work, assets, users, "e1")
    build(work, assets, users, "e2")
    proofs, root, sig, pub = epoch_files(work, "e1")
    _, root2, sig2, _ = epoch_files(work, "e2")
    for kind, edit in TAMPERS.items():
        doc = load(proofs[0])
        edit(doc)
        data = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
        cases.add(f"tamper-{tag}-{kind}", data, root, sig, pub, tamper=kind)
    # Another user's file claimed under one's own id.
    mine, theirs = load(proofs[0]), load(proofs[1])
    theirs["user_id"] = mine["user_id"]
    cases.add(
        f"tamper-{tag}-other-users-file",
        (json.dumps(theirs, indent=2, sort_keys=True) + "\n").encode(),
        root,
        sig,
        pub,
        tamper="other-users-file",
    )
    other_keys = work / "other-keys"
    ok("init", "--dir", other_keys)
    cases.add(
        f"tamper-{tag}-wrong-key",
        proofs[0],
        root,
        sig,
        other_keys / "signing.pub",
        tamper="wrong-key",
    )
    cases.add(
        f"tamper-{tag}-root-of-another-epoch", proofs[0], root2, sig2, pub, tamper="other-epoch"
    )
    for field in ("created", "root-hash", "totals"):
        doc = load(root)
        if field == "created":
            doc["created"] = "2020-01-01T00:00:00Z"
        elif field == "root-hash":
            doc["root"]["hash"] = flip_hex(doc["root"]["hash"])
        else:
            doc["totals"] = [
                {"symbol": a["symbol"], "units": "1", "blinding": "00" * 32}
                for a in doc["parameters"]["assets"]
            ]
        data = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
        cases.add(f"tamper-{tag}-root-{field}", proofs[0], data, sig, pub, tamper=f"root-{field}")
    # --user: the user's own file verifies, another user's is refused.
    uid = load(proofs[0])["user_id"]
    cases.add(f"tamper-{tag}-user-own", proofs[0], root, sig, pub, user=uid, tamper="user-own")
    cases.add(f"tamper-{tag}-user-other", proofs[1], root, sig, pub, user=uid, tamper="user-other")
    # A root validly signed by the exchange's key that declares other parameters.
    doc = load(root)
    doc["parameters"]["range_bits"] = 32
    data = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    key = signing.load_signing_key(work / "keys" / "signing.key")
    cases.add(
        f"tamper-{tag}-root-range-bits-32",
        proofs[0],
        data,
        signing.encode_signature(key.sign(data)),
        pub,
        tamper="root-parameters",
    )
    # The log (PROTOCOL section 9.7): e1 then e2 appended; the checkpoint and e1's proof.
    log_cases(cases, work, tag, proofs[0], root, sig, pub)
    # Malformed signature and key files.
    cases.add(
        f"tamper-{tag}-sig-not-hex", proofs[0], root, b"zz" * 64 + b"\n", pub, tamper="sig-not-hex"
    )
    cases.add(
        f"tamper-{tag}-pub-not-pem", proofs[0], root, sig, b"not a key\n", tamper="pub-not-pem"
    )
    cases.add(f"tamper-{tag}-proof-not-json", b"{", root, sig, pub, tamper="proof-not-json")
    cases.add(f"tamper-{tag}-proof-not-utf8", b'{"a": "\xff"}', root, sig, pub, tamper="not-utf8")


def log_cases(
    cases: Cases, work: Path, tag: str, proof: Path, root: Path, sig: Path, pub: Path
) -> None:
    keys = work / "keys"
    log = work / "log"
    ok("log", "append", log, work / "e1", "--keys", keys)
    ok("log", "prove", log, "--epoch", "e1", "--out", work / "p1-size1.json")
    checkpoint1 = (log / "checkpoint").read_bytes()
    ok("log", "append", log, work / "e2", "--keys", keys)
    ok("log", "prove", log, "--epoch", "e1", "--out", work / "p1.json")
    ok("log", "prove", log, "--epoch", "e2", "--out", work / "p2.json")
    checkpoint = log / "checkpoint"
    p1 = work / "p1.json"

    def edited(edit: Callable[[dict[str, Any]], None]) -> bytes:
        doc = load(p1)
        edit(doc)
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()

    def flip_path(doc: dict[str, Any]) -> None:
        doc["path"][0] = flip_hex(doc["path"][0])

    def short_path(doc: dict[str, Any]) -> None:
        doc["path"] = []

    # The same tree head signed by another key under the log's name.
    signed = SignedCheckpoint.from_bytes(checkpoint.read_bytes())
    other_key = signing.load_signing_key(work / "other-keys" / "signing.key")
    forged = SignedCheckpoint.sign(signed.checkpoint, other_key).to_bytes()
    text = checkpoint.read_text(encoding="utf-8")
    body, _, sigs = text.partition("\n\n")
    pad = f"{body}\n\n{sigs}".replace(body.splitlines()[1], body.splitlines()[1] + "x", 1)
    for name, log_files, kind in (
        ("log-ok", (checkpoint, p1), "log-ok"),
        ("log-other-key", (forged, p1), "log-other-key"),
        ("log-other-epoch", (checkpoint, work / "p2.json"), "log-other-epoch"),
        ("log-not-in-log", (checkpoint, edited(flip_path)), "log-not-in-log"),
        ("log-size-mismatch", (checkpoint1, p1), "log-size-mismatch"),
        ("log-size1-ok", (checkpoint1, work / "p1-size1.json"), "log-size1-ok"),
        ("log-short-path", (checkpoint, edited(short_path)), "log-short-path"),
        ("log-origin-mismatch", (pad.encode(), p1), "log-origin-mismatch"),
        ("log-malformed-checkpoint", (b"not a checkpoint\n", p1), "log-malformed-checkpoint"),
        (
            "log-checkpoint-no-newline",
            (checkpoint.read_bytes()[:-1], p1),
            "log-malformed-checkpoint",
        ),
    ):
        cases.add(f"tamper-{tag}-{name}", proof, root, sig, pub, log=log_files, tamper=kind)


def margin_cases(cases: Cases, work: Path) -> None:
    """A margin epoch (PROTOCOL section 10) of examples/margin-*.{json,csv}: every user, each
    edit of a user's file, and the dummy-user attack of tests/test_cli_margin.py."""
    from margin_forge import epoch_secret, forge_leaf, republish

    keys = work / "keys"
    ok("init", "--dir", keys)
    config = REPO / "examples" / "margin-assets.json"
    ledger = REPO / "examples" / "margin-ledger.csv"

    def build_margin(out: Path) -> None:
        ok("build", ledger, "--epoch", "m1", "--out", out, "--keys", keys,
           "--assets-config", config, "--workers", "1", "-q")  # fmt: skip

    build_margin(work / "ep")
    ok("prove", work / "ep", "--all", "--out", work / "proofs", "--keys", keys, "-q")
    root = work / "ep" / "public" / "root.json"
    sig = work / "ep" / "public" / "root.json.sig"
    pub = keys / "signing.pub"
    proofs = sorted((work / "proofs").glob("*.json"))
    for p in proofs:
        cases.add(f"margin-{p.stem}", p, root, sig, pub, margin=True)

    def price(doc: dict[str, Any]) -> None:
        doc["margin"]["assets"][0]["price"] = "1"

    def swap_collateral(doc: dict[str, Any]) -> None:
        doc["collateral"], doc["sibling_collateral"] = doc["sibling_collateral"], doc["collateral"]

    def collateral_bytes(doc: dict[str, Any]) -> None:
        doc["collateral"]["proof"] = flip_hex(doc["collateral"]["proof"], 140)

    def sibling_c_hi(doc: dict[str, Any]) -> None:
        doc["sibling_collateral"]["c_hi"] = bump_point(doc["sibling_collateral"]["c_hi"])

    def debt_commitment(doc: dict[str, Any]) -> None:
        doc["path"][0]["commitments"][-1] = bump_point(doc["path"][0]["commitments"][-1])

    def short_collateral(doc: dict[str, Any]) -> None:
        doc["collateral"]["proof"] = doc["collateral"]["proof"][: 64 * 9]

    edits: dict[str, Callable[[dict[str, Any]], None]] = {
        "price": price,
        "swap-collateral": swap_collateral,
        "collateral-bytes": collateral_bytes,
        "sibling-c-hi": sibling_c_hi,
        "debt-commitment": debt_commitment,
        "short-collateral": short_collateral,
        "balance": tamper_balance,
        "missing-margin": lambda doc: doc.pop("margin"),
    }
    for kind, edit in edits.items():
        doc = load(proofs[0])
        edit(doc)
        data = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
        cases.add(f"tamper-margin-{kind}", data, root, sig, pub, tamper=f"margin-{kind}")
    # A version 1 proof against the margin root: only the root is a margin epoch.
    v1 = sorted((work.parent / "t3" / "e1-proofs").glob("*.json"))
    if v1:
        cases.add("tamper-margin-v1-proof", v1[0], root, sig, pub, tamper="margin-v1-proof")
    # The dummy user: erin owes 1000 ETH with no collateral, the root re-signed.
    forged = work / "forged"
    shutil.copytree(work / "ep", forged)
    with EpochStore.open(forged / "private" / "epoch.sqlite") as store:
        forge_leaf(store, epoch_secret(keys, "m1"), "erin", (0, 0, 0, 0, 1000 * 10**9, 0))
    republish(forged, keys)
    ok("prove", forged, "--all", "--out", work / "forged-proofs", "--keys", keys, "-q")
    for p in sorted((work / "forged-proofs").glob("*.json")):
        cases.add(
            f"tamper-margin-dummy-{p.stem}",
            p,
            forged / "public" / "root.json",
            forged / "public" / "root.json.sig",
            pub,
            tamper="margin-dummy-user",
        )


def height_cases(out: Path, work: Path, h: int) -> list[dict[str, Any]]:
    """The cases of a fresh 3-asset epoch of height ``h`` (run in a worker process)."""
    cases = Cases(out)
    # One user at height 1 (2^H >= 2N), two above: both sibling kinds (padding, internal).
    w = work / f"h{h}"
    build(w, THREE_ASSETS, 1 if h == 1 else 2, "e", "--height", str(h))
    proofs, root, sig, pub = epoch_files(w, "e")
    for i, p in enumerate(proofs):
        cases.add(f"height-{h}-user-{i}", p, root, sig, pub, height=h)
    shutil.rmtree(w)
    print(f"height {h}: {len(proofs)} proofs", file=sys.stderr)
    return cases.cases


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--heights", default="1-32", help="e.g. 1-32 or 1,5,21")
    parser.add_argument("--demo-users", type=int, default=8)
    parser.add_argument(
        "--only-heights", action="store_true", help="only the height-H epochs (benchmarks)"
    )
    parser.add_argument(
        "--jobs", type=int, default=default_jobs(), help="processes making the height epochs"
    )
    args = parser.parse_args()
    out: Path = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    work = out / "_work"
    cases = Cases(out)

    if "-" in args.heights:
        lo, hi = (int(x) for x in args.heights.split("-"))
        heights = list(range(lo, hi + 1))
    else:
        heights = [int(x) for x in args.heights.split(",")]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # Highest first: the longest jobs start first, so the workers end together.
        made = {h: pool.submit(height_cases, out, work, h) for h in sorted(heights, reverse=True)}
        if not args.only_heights:
            others(cases, out, work, args.demo_users)
        height_list = [c for h in heights for c in made[h].result()]
    cases.cases[:0] = height_list
    shutil.rmtree(work)
    cases.write()
    print(f"wrote {len(cases.cases)} cases to {out}", file=sys.stderr)


def others(cases: Cases, out: Path, work: Path, demo_users: int) -> None:
    """The demo, golden, tamper and margin cases (made in this process)."""
    demo = work / "demo"
    ok("demo", "--users", demo_users, "--keep", demo, "-q", "--workers", "1")
    for p in sorted((demo / "proofs").glob("*.json")):
        cases.add(
            f"demo-{p.stem}",
            p,
            demo / "epoch" / "public" / "root.json",
            demo / "epoch" / "public" / "root.json.sig",
            demo / "keys" / "signing.pub",
            demo=True,
        )

    for tag, golden in (("golden", GOLDEN), ("golden-margin", GOLDEN_MARGIN)):
        for p in sorted((golden / "proofs").glob("*.json")):
            cases.add(
                f"{tag}-{p.stem}",
                p,
                golden / "root.json",
                golden / "root.json.sig",
                golden / "signing.pub",
                golden=True,
            )

    tamper_cases(cases, work / "t1", ONE_ASSET, "1asset")
    tamper_cases(cases, work / "t3", THREE_ASSETS, "3assets")
    margin_cases(cases, work / "margin")
    # Imported here: it imports this module (its builders) in turn.
    from make_solvency_fixtures import make

    make(out / "solvency")


if __name__ == "__main__":
    main()
