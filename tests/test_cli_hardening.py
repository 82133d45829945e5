"""Issue 7's attacks and refusals through the command line (items 2 and 11, CLI part).

Each test here fails on the code before the change: ``verify`` had no ``--user`` and no
refusal without ``--pubkey``, click's path errors were three lines of usage text, and
``audit`` passed a signed root declaring 32-bit range proofs that every user's verify failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import Epoch, build_epoch, json_result, load, make_keys, run, save, write_csv
from click.testing import Result

from solvency.files import signing


@pytest.fixture(scope="module")
def epoch(tmp_path_factory: pytest.TempPathFactory) -> Epoch:
    tmp = tmp_path_factory.mktemp("hardening")
    keys = make_keys(tmp / "keys")
    ledger = write_csv(tmp / "l.csv", ["user_id", "BTC"], [["alice", "1"], ["bob", "2"]])
    return build_epoch(tmp, ledger, ("BTC:8",), keys)


def _verify(e: Epoch, proof: Path, *extra: object) -> Result:
    return run("verify", proof, "--root", e.root_json, "--pubkey", e.pub, *extra)


def test_verify_user_refuses_another_users_proof(epoch: Epoch) -> None:
    """A user handed bob's (valid) proof file must not see VERIFIED for their own id."""
    bobs = epoch.proofs / "bob.json"
    result = _verify(epoch, bobs, "--user", "alice")
    assert result.exit_code == 1, result.output
    last = result.stdout.splitlines()[-1]
    assert last == "FAILED: user mismatch: this proof is for user 'bob', not 'alice'"
    doc = json_result(_verify(epoch, bobs, "--user", "alice", "--json"), "verify")
    assert doc["status"] == "failed" and doc["user_checked"] is True
    # Ids are compared exactly: no case folding, no trimming.
    for near in ("Bob", "bob ", "bo"):
        assert _verify(epoch, bobs, "--user", near).exit_code == 1
    mine = json_result(_verify(epoch, bobs, "--user", "bob", "--json"), "verify")
    assert mine["status"] == "verified" and mine["user_checked"] is True
    assert mine["user_id"] == "bob"


def test_verify_without_pubkey_refuses(epoch: Epoch) -> None:
    proof = epoch.proofs / "alice.json"
    result = run("verify", proof, "--root", epoch.root_json)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: pass --pubkey signing.pub") and "--no-signature-check" in line
    doc = json_result(run("verify", proof, "--root", epoch.root_json, "--json"), "verify")
    assert doc["status"] == "error" and doc["error"].startswith("pass --pubkey")


def test_no_signature_check_verifies_and_warns(epoch: Epoch) -> None:
    proof = epoch.proofs / "alice.json"
    result = run("verify", proof, "--root", epoch.root_json, "--no-signature-check")
    assert result.exit_code == 0, result.output
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("warning: the root's signature was not checked")
    assert result.stdout.splitlines()[-1].startswith("VERIFIED: ")
    assert "signature was NOT checked" in result.stdout.splitlines()[-1]
    as_json = run("verify", proof, "--root", epoch.root_json, "--no-signature-check", "--json")
    doc = json_result(as_json, "verify")
    assert doc["status"] == "verified" and doc["signature_checked"] is False
    assert doc["key_fingerprint"] is None and doc["warnings"] == [warning[len("warning: ") :]]
    assert as_json.stderr == result.stderr  # the warning is on stderr with --json too
    signed = json_result(_verify(epoch, proof, "--json"), "verify")
    assert signed["signature_checked"] is True and signed["warnings"] == []


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_missing_or_directory_ledger_is_one_error_line(
    kind: str, epoch: Epoch, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.csv"
    if kind == "directory":
        ledger.mkdir()
    args = ["build", ledger, "--epoch", "x", "--out", tmp_path / "out", "--keys", epoch.keys,
            "--asset", "BTC:8"]  # fmt: skip
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "LEDGER" in line and str(ledger) in line
    assert ("does not exist" if kind == "missing" else "is a directory") in line
    doc = json_result(run(*args, "--json"), "build")
    assert doc["status"] == "error" and str(ledger) in doc["error"]
    assert not (tmp_path / "out").exists()


def _resigned_root(epoch: Epoch, tmp_path: Path, **parameters: object) -> Path:
    """root.json with changed parameters, signed by the exchange's own key (a cheating or
    misconfigured exchange can sign anything)."""
    doc = load(epoch.root_json)
    doc["parameters"].update(parameters)
    root = save(tmp_path / "root.json", doc)
    key = signing.load_signing_key(epoch.keys / "signing.key")
    sig = signing.encode_signature(key.sign(root.read_bytes()))
    (tmp_path / "root.json.sig").write_bytes(sig)
    return root


def test_root_declaring_32_bit_range_proofs_is_refused_by_verify_and_audit(
    epoch: Epoch, tmp_path: Path
) -> None:
    """Verify and audit refuse the same root, for the same reason, from one check."""
    root = _resigned_root(epoch, tmp_path, range_bits=32)
    tree = tmp_path / "tree.sqlite"
    assert run("export-tree", epoch.dir, "--out", tree).exit_code == 0
    reason = "FAILED: root parameters: the root declares 32-bit range proofs"
    for extra in ([], ["--tree", tree]):
        audit = run(
            "audit", root, "--liabilities", epoch.liabilities, "--pubkey", epoch.pub, *extra
        )
        assert audit.exit_code == 1, audit.output
        assert audit.stdout.splitlines()[-1].startswith(reason)
        doc = json_result(
            run("audit", root, "--liabilities", epoch.liabilities, "--pubkey", epoch.pub,
                *extra, "--json"),
            "audit",
        )  # fmt: skip
        assert doc["status"] == "failed"
        assert doc["error"].startswith(reason.removeprefix("FAILED: "))
        # What was known before the check failed is reported with it.
        assert doc["epoch"] == epoch.epoch and doc["root_hash"] == load(root)["root"]["hash"]
        assert doc["signature_checked"] is True and doc["tree"] is None
    # The user's check refuses it for the same reason.
    verify = run("verify", epoch.proofs / "alice.json", "--root", root, "--pubkey", epoch.pub)
    assert verify.exit_code == 1
    assert verify.stdout.splitlines()[-1].startswith(reason)
    # The unchanged root passes both.
    assert run("audit", epoch.root_json, "--liabilities", epoch.liabilities, "--tree", tree,
               "--pubkey", epoch.pub).exit_code == 0  # fmt: skip


def test_audit_warns_without_pubkey(epoch: Epoch) -> None:
    result = run("audit", epoch.root_json, "--liabilities", epoch.liabilities)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: the root's signature was not checked (pass --pubkey signing.pub)"
    ]
    assert result.stdout.splitlines()[-1].startswith("VERIFIED: ")


def test_other_key_for_audit(epoch: Epoch, tmp_path: Path) -> None:
    other = make_keys(tmp_path / "other")
    result = run("audit", epoch.root_json, "--liabilities", epoch.liabilities, "--pubkey",
                 other / "signing.pub", "--json")  # fmt: skip
    assert result.exit_code == 1
    doc = json_result(result, "audit")
    assert doc["status"] == "failed" and doc["error"].startswith("signature:")
    assert doc["epoch"] == epoch.epoch and doc["signature_checked"] is False
    assert doc["key_fingerprint"] is None and doc["totals"] is None
