"""End to end through the command line: init, build, prove, verify, audit, export-tree.

Epochs are built on synthetic ledgers with one asset and with three (m = 4 after padding),
on one worker for speed; every user verifies, and each cheating edit a user could meet (or
make) is refused with exit 1 and a line saying what failed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_support import (
    Epoch,
    build_epoch,
    check_result,
    load,
    make_keys,
    ok,
    run,
    save,
    write_csv,
)
from proof_tamper import (
    flip_hex,
    tamper_balance,
    tamper_commitment,
    tamper_hash,
    tamper_last_commitment,
    tamper_range_proof_bytes,
    tamper_range_proof_replay,
)

from solvency.epoch.synthetic import write_synthetic_ledger
from solvency.files.ledger import AssetSpec, format_units, read_ledger

ONE_ASSET = ("BTC:8",)
THREE_ASSETS = ("BTC:8", "ETH:18", "USDT:6")


def _specs(assets: tuple[str, ...]) -> list[AssetSpec]:
    return [AssetSpec.parse(a) for a in assets]


def _make(tmp: Path, assets: tuple[str, ...], users: int) -> tuple[Epoch, Epoch]:
    """Epochs e1 and e2 of the same ledger and keys."""
    ledger = tmp / "ledger.csv"
    write_synthetic_ledger(ledger, users, [(a.symbol, a.decimals) for a in _specs(assets)], seed=7)
    keys = make_keys(tmp / "keys")
    return build_epoch(tmp, ledger, assets, keys, "e1"), build_epoch(
        tmp, ledger, assets, keys, "e2"
    )


@pytest.fixture(scope="module", params=[ONE_ASSET, THREE_ASSETS], ids=["1-asset", "3-assets"])
def epochs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Epoch, Epoch]:
    assets: tuple[str, ...] = request.param
    return _make(tmp_path_factory.mktemp("flow"), assets, 6 if len(assets) == 1 else 4)


def _verify(proof: Path, e: Epoch, *extra: object) -> Any:
    return run("verify", proof, "--root", e.root_json, "--pubkey", e.pub, *extra)


def test_every_user_verifies_and_sees_their_balances(epochs: tuple[Epoch, Epoch]) -> None:
    e, _ = epochs
    ledger = read_ledger(e.ledger, _specs(e.assets))
    files = e.proof_files()
    assert len(files) == len(ledger.rows)
    by_id = {r.user_id: r for r in ledger.rows}
    for f in files:
        result = _verify(f, e)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[-1].startswith("VERIFIED: ")
        row = by_id[load(f)["user_id"]]
        for spec, units in zip(_specs(e.assets), row.units, strict=True):
            assert f"  {spec.symbol:<8} {format_units(units, spec.decimals)}" in lines
        assert f"epoch      {e.epoch}" in lines
        assert f"root hash  {load(e.root_json)['root']['hash']}" in lines


def test_verify_json_reports_balances_and_time(epochs: tuple[Epoch, Epoch]) -> None:
    e, _ = epochs
    f = e.proof_files()[0]
    result = _verify(f, e, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    proof = load(f)
    assert doc["status"] == "verified" and doc["error"] is None
    assert doc["balances"] == proof["balances"]
    assert doc["root_checked"] is True and doc["signature_checked"] is True
    assert doc["verify_seconds"] > 0 and doc["verify_cpu_seconds"] > 0
    assert doc["warnings"] == []


def test_verify_without_root_warns(epochs: tuple[Epoch, Epoch]) -> None:
    e, _ = epochs
    result = run("verify", e.proof_files()[0], "--no-signature-check")
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith("warning: the root's signature was not checked")
    assert warnings[1].startswith("warning: the root was not checked against the published one")
    assert "the root in the proof file" in result.stdout.splitlines()[-1]


TAMPERS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "sibling commitment": (tamper_commitment, "FAILED: root hash mismatch"),
    "top sibling, last asset": (tamper_last_commitment, "FAILED: root hash mismatch"),
    "sibling hash": (tamper_hash, "FAILED: root hash mismatch"),
    "range proof of another node": (
        tamper_range_proof_replay,
        "FAILED: sibling range proof at level 1 does not verify",
    ),
    "range proof bytes": (
        tamper_range_proof_bytes,
        "FAILED: sibling range proof at level 1 does not verify",
    ),
    "balance": (tamper_balance, "FAILED: root hash mismatch"),
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_tampered_proof_file_fails(epochs: tuple[Epoch, Epoch], kind: str, tmp_path: Path) -> None:
    e, _ = epochs
    edit, message = TAMPERS[kind]
    doc = load(e.proof_files()[0])
    edit(doc)
    result = _verify(save(tmp_path / "forged.json", doc), e)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1].startswith(message), result.output


def test_other_users_file_with_edited_id_fails(epochs: tuple[Epoch, Epoch], tmp_path: Path) -> None:
    e, _ = epochs
    mine, theirs = (load(f) for f in e.proof_files()[:2])
    # Claim the other user's (path, secret, balances) as one's own.
    theirs["user_id"] = mine["user_id"]
    result = _verify(save(tmp_path / "claim.json", theirs), e)
    assert result.exit_code == 1, result.output
    assert "FAILED: root hash mismatch" in result.stdout


def test_wrong_signature_key_fails(epochs: tuple[Epoch, Epoch], tmp_path: Path) -> None:
    e, _ = epochs
    other = make_keys(tmp_path / "other-keys")
    result = run(
        "verify", e.proof_files()[0], "--root", e.root_json, "--pubkey", other / "signing.pub"
    )
    assert result.exit_code == 1, result.output
    assert "FAILED: signature:" in result.stdout


def test_root_of_another_epoch_fails(epochs: tuple[Epoch, Epoch]) -> None:
    e1, e2 = epochs
    # e2's root is validly signed by the same key; only the epoch differs.
    assert load(e1.root_json)["root"] != load(e2.root_json)["root"]
    result = _verify(e1.proof_files()[0], e2)
    assert result.exit_code == 1, result.output
    assert "FAILED: epoch mismatch: the proof is for epoch e1, the root is for epoch e2" in (
        result.stdout
    )


@pytest.mark.parametrize("field", ["created", "root-hash", "totals"])
def test_modified_root_json_fails_signature(
    epochs: tuple[Epoch, Epoch], field: str, tmp_path: Path
) -> None:
    e, _ = epochs
    doc = load(e.root_json)
    if field == "created":
        doc["created"] = "2020-01-01T00:00:00Z"
    elif field == "root-hash":
        doc["root"]["hash"] = flip_hex(doc["root"]["hash"])
    else:
        doc["totals"] = [
            {"symbol": a["symbol"], "units": "1", "blinding": "00" * 32}
            for a in doc["parameters"]["assets"]
        ]
    root = save(tmp_path / "root.json", doc)
    shutil.copy(e.sig, tmp_path / "root.json.sig")
    result = run("verify", e.proof_files()[0], "--root", root, "--pubkey", e.pub)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1].startswith("FAILED: signature:")


def test_proof_root_differs_from_published_root(
    epochs: tuple[Epoch, Epoch], tmp_path: Path
) -> None:
    e, _ = epochs
    doc = load(e.proof_files()[0])
    doc["root"]["hash"] = flip_hex(doc["root"]["hash"])
    result = _verify(save(tmp_path / "p.json", doc), e)
    assert result.exit_code == 1
    assert "FAILED: root mismatch" in result.stdout


def test_verify_json_failure(epochs: tuple[Epoch, Epoch], tmp_path: Path) -> None:
    e, _ = epochs
    doc = load(e.proof_files()[0])
    tamper_balance(doc)
    result = _verify(save(tmp_path / "p.json", doc), e, "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["status"] == "failed"
    assert out["error"].startswith("root hash mismatch")
    assert out["signature_checked"] is True  # the root was fine; the path was not


def test_audit_with_tree(epochs: tuple[Epoch, Epoch], tmp_path: Path) -> None:
    e, _ = epochs
    tree = tmp_path / "tree.sqlite"
    ok("export-tree", e.dir, "--out", tree)
    result = run(
        "audit", e.root_json, "--liabilities", e.liabilities, "--tree", tree, "--pubkey", e.pub,
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ledger = read_ledger(e.ledger, _specs(e.assets))
    assert [int(t["units"]) for t in doc["totals"]] == list(ledger.totals)
    t = doc["tree"]
    assert t["leaves"] == len(ledger.rows)
    assert t["nodes"] == t["leaves"] + t["internal"] + t["padding"] == t["range_proofs"]
    text = ok("audit", e.root_json, "--liabilities", e.liabilities, "--tree", tree).stdout
    assert f"{t['range_proofs']} range proofs checked" in text
    assert text.splitlines()[-1].startswith("VERIFIED: ")


def test_audit_refuses_wrong_totals(epochs: tuple[Epoch, Epoch], tmp_path: Path) -> None:
    e, _ = epochs
    doc = load(e.liabilities)
    total = doc["totals"][-1]
    units = int(total["units"]) + 1
    total["units"], total["amount"] = str(units), format_units(units, total["decimals"])
    result = run("audit", e.root_json, "--liabilities", save(tmp_path / "l.json", doc))
    assert result.exit_code == 1
    # The verdict goes to stdout for audit as for verify; stderr holds only the warning.
    assert result.stdout.splitlines()[-1] == (
        f"FAILED: root commitment of {total['symbol']} does not open to the total"
    )
    assert "FAILED" not in result.stderr


def test_audit_refuses_liabilities_of_another_epoch(epochs: tuple[Epoch, Epoch]) -> None:
    e1, e2 = epochs
    result = run("audit", e1.root_json, "--liabilities", e2.liabilities)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("FAILED: epoch mismatch")


def test_audit_refuses_tree_of_another_epoch(epochs: tuple[Epoch, Epoch], tmp_path: Path) -> None:
    e1, e2 = epochs
    ok("export-tree", e2.dir, "--out", tmp_path / "t2.sqlite")
    result = run(
        "audit", e1.root_json, "--liabilities", e1.liabilities, "--tree", tmp_path / "t2.sqlite"
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("FAILED: epoch mismatch")


def test_audit_wrong_key(epochs: tuple[Epoch, Epoch], tmp_path: Path) -> None:
    e, _ = epochs
    other = make_keys(tmp_path / "k")
    result = run(
        "audit", e.root_json, "--liabilities", e.liabilities, "--pubkey", other / "signing.pub"
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("FAILED: signature:")


# --- single-asset flows: build options, prove, init -----------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(folder, ledger, keys) with ids that are not plain file names."""
    tmp = tmp_path_factory.mktemp("small")
    rows = [
        ["alice", "1.5"],
        ["bob", "0"],
        ["zoë", "0.00000001"],
        ["dave/../x", "12"],
        ["Eve", "3"],
    ]
    ledger = write_csv(tmp / "ledger.csv", ["user_id", "BTC"], rows)
    return tmp, ledger, make_keys(tmp / "keys")


def test_build_json_summary_resume_and_publish_totals(
    small: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, ledger, keys = small
    out = tmp_path / "e"
    args = ["build", ledger, "--epoch", "t1", "--out", out, "--asset", "BTC:8", "--keys", keys]
    first = json.loads(ok(*args, "--workers", "1", "--publish-totals", "--json").stdout)
    assert first["users"] == 5 and first["status"] == "ok"
    assert set(first["timings_s"]) >= {"users", "tree", "proofs", "files", "total"}
    root = load(out / "public" / "root.json")
    assert root["totals"][0]["units"] == str(150000000 + 1 + 1200000000 + 300000000)
    assert oct(stat.S_IMODE((out / "private" / "liabilities.json").stat().st_mode)) == "0o600"
    # A rerun of a complete build keeps the database and gives the same root, byte for byte.
    published = (out / "public" / "root.json").read_bytes()
    again = json.loads(ok(*args, "--workers", "1", "--publish-totals", "--json").stdout)
    assert again["root_hash"] == first["root_hash"]
    assert (out / "public" / "root.json").read_bytes() == published
    # Dropping --publish-totals would rewrite the published root: refused (test_rebuild.py).
    dropped = run(*args, "--workers", "1", "--quiet")
    assert dropped.exit_code == 2 and "published totals" in dropped.stderr
    assert (out / "public" / "root.json").read_bytes() == published
    # Published totals: the auditor needs no liabilities file.
    result = ok("audit", out / "public" / "root.json", "--pubkey", keys / "signing.pub")
    assert "BTC        16.50000001" in result.stdout
    text = ok(*args, "--workers", "1", "--publish-totals").stdout
    for label in ("users        5", "height       4", "root hash    ", "time         files"):
        assert label in text


def test_two_workers_give_the_same_root(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, ledger, keys = small
    roots = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        ok("build", ledger, "--epoch", "w", "--out", out, "--asset", "BTC:8", "--keys", keys,
           "--workers", workers, "--quiet")  # fmt: skip
        roots.append(load(out / "public" / "root.json")["root"])
    assert roots[0] == roots[1]
    ok("prove", tmp_path / "w2", "--all", "--out", tmp_path / "p", "--keys", keys)
    for f in sorted((tmp_path / "p").iterdir()):
        ok(
            "verify",
            f,
            "--root",
            tmp_path / "w2" / "public" / "root.json",
            "--pubkey",
            keys / "signing.pub",
        )


def test_prove_file_names_and_modes(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, ledger, keys = small
    out = tmp_path / "e"
    ok(
        "build",
        ledger,
        "--epoch",
        "n",
        "--out",
        out,
        "--asset",
        "BTC:8",
        "--keys",
        keys,
        "--workers",
        "1",
    )
    result = json.loads(
        ok("prove", out, "--all", "--out", tmp_path / "p", "--keys", keys, "--json").stdout
    )
    assert result["proofs"] == 5
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    hashed = [n for n in names if n.startswith("id-")]
    assert sorted(set(names) - set(hashed)) == ["Eve.json", "alice.json", "bob.json"]
    assert len(hashed) == 2 and all(len(n) == len("id-") + 32 + len(".json") for n in hashed)
    ids = {load(tmp_path / "p" / n)["user_id"] for n in names}
    assert ids == {"alice", "bob", "zoë", "dave/../x", "Eve"}
    for p in (tmp_path / "p").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    # One user, and refusal to overwrite without --force.
    ok("prove", out, "--user", "zoë", "--out", tmp_path / "z.json", "--keys", keys)
    assert load(tmp_path / "z.json")["user_id"] == "zoë"
    again = run("prove", out, "--user", "zoë", "--out", tmp_path / "z.json", "--keys", keys)
    assert again.exit_code == 2 and "already exists" in again.stderr
    ok("prove", out, "--user", "zoë", "--out", tmp_path / "z.json", "--keys", keys, "--force")
    missing = run("prove", out, "--user", "mallory", "--out", tmp_path / "m.json", "--keys", keys)
    assert missing.exit_code == 2
    assert missing.stderr.strip() == "error: no user with this id in epoch n"
    other = make_keys(tmp_path / "other")
    wrong = run("prove", out, "--user", "bob", "--out", tmp_path / "b.json", "--keys", other)
    assert wrong.exit_code == 2 and "master secret is not this epoch's" in wrong.stderr
    assert not (tmp_path / "b.json").exists()


def test_init_modes_refusal_and_force(tmp_path: Path) -> None:
    d = tmp_path / "k"
    doc = json.loads(ok("init", "--dir", d, "--json").stdout)
    for name in ("master.key", "signing.key"):
        assert stat.S_IMODE((d / name).stat().st_mode) == 0o600
    assert (d / "signing.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    master = (d / "master.key").read_text()
    again = run("init", "--dir", d)
    assert again.exit_code == 2
    assert (
        again.stderr.strip()
        == f"error: {d / 'master.key'}: already exists; refusing to overwrite it (use --force)"
    )
    assert (d / "master.key").read_text() == master
    text = ok("init", "--dir", d, "--force").stdout
    assert (d / "master.key").read_text() != master
    assert doc["fingerprint"] not in text and "fingerprint" in text
    # Secrets never reach the terminal.
    assert (d / "master.key").read_text().strip() not in text


def test_installed_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("solvency")
    assert exe.exists()
    env = {**os.environ, "COLUMNS": "100"}
    keys = tmp_path / "keys"
    subprocess.run(
        [exe, "init", "--dir", keys], check=True, capture_output=True, env=env, timeout=60
    )
    ledger = write_csv(tmp_path / "l.csv", ["user_id", "USDT"], [["u1", "10"], ["u2", "2.5"]])
    out = tmp_path / "e"
    build = subprocess.run(
        [exe, "build", ledger, "--epoch", "s", "--out", out, "--asset", "USDT:6", "--keys", keys,
         "--workers", "1"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert build.stderr == ""  # stderr is not a terminal: no progress bar
    prove: list[str | Path] = [exe, "prove", out, "--user", "u2", "--out", tmp_path / "u2.json",
                               "--keys", keys]  # fmt: skip
    subprocess.run(prove, check=True, capture_output=True, env=env, timeout=60)
    verify = subprocess.run(
        [exe, "verify", tmp_path / "u2.json", "--root", out / "public" / "root.json",
         "--pubkey", keys / "signing.pub"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert "  USDT     2.500000" in verify.stdout.splitlines()
    assert verify.stdout.splitlines()[-1].startswith("VERIFIED: ")
    bad = subprocess.run(
        [exe, "verify", ledger, "--root", out / "public" / "root.json", "--pubkey",
         keys / "signing.pub"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1 and bad.stderr.startswith("error: ")
    # A click path error through the real entry point: one JSON object with --json.
    missing = subprocess.run(
        [exe, "verify", tmp_path / "nope.json", "--json"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and missing.stderr == ""
    doc = check_result(json.loads(missing.stdout), "verify")
    assert doc["status"] == "error" and "does not exist" in doc["error"]
