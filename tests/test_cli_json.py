"""Every command, every outcome, with --json: one object on stdout, valid against the
command's schema (src/solvency/files/schemas/<command>-result-v1.json), with the status and
exit code the README documents; and without --json, one `error:` line on stderr or a
`FAILED:` verdict on stdout.

Outcomes: a usage error, a missing file (or a path of the wrong kind), a malformed file, a
failed check (for the commands that check something) and a success. Where an outcome cannot
happen for a command, NOT_APPLICABLE says why.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_support import (
    Epoch,
    build_epoch,
    json_result,
    load,
    make_keys,
    ok,
    run,
    save,
    write_csv,
)

from solvency.files import formats, signing
from solvency.files.ledger import format_units

#: (command, outcome) pairs that do not exist, and why.
NOT_APPLICABLE = {
    ("init", "malformed"): "init reads no file",
    ("init", "failed"): "init checks nothing",
    ("build", "failed"): "build checks nothing (bad input is exit 2)",
    ("prove", "failed"): "prove checks nothing",
    ("export-tree", "failed"): "export-tree checks nothing",
    ("demo", "malformed"): "demo reads no file",
    ("log-prove", "failed"): "log prove checks nothing",
    ("log-consistency", "failed"): "log consistency checks nothing",
    ("web-verifier", "malformed"): "web-verifier reads no file",
    ("web-verifier", "failed"): "web-verifier checks nothing",
}
OUTCOMES = ("usage", "missing", "malformed", "failed", "success")
STATUS = {"usage": "error", "missing": "error", "malformed": "error", "failed": "failed"}
EXIT = {"usage": 2, "missing": 2, "malformed": 2, "failed": 1, "success": 0}
SUCCESS = {
    "verify": "verified",
    "audit": "verified",
    "log-verify": "verified",
    "reserves-verify": "verified",
}


@dataclass(frozen=True)
class World:
    tmp: Path
    epoch: Epoch
    other_keys: Path
    log: Path
    log_proof: Path
    junk: Path  # a file that is no format at all
    junk_epoch: Path  # an epoch folder whose database and root.json are junk
    junk_log: Path  # a log folder whose checkpoint is junk
    changed_epoch: Path  # e1 again, with a changed root signed by the right key


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    tmp = tmp_path_factory.mktemp("json")
    keys = make_keys(tmp / "keys")
    ledger = write_csv(tmp / "ledger.csv", ["user_id", "BTC"], [["alice", "1"], ["bob", "2"]])
    epoch = build_epoch(tmp, ledger, ("BTC:8",), keys)
    log = tmp / "log"
    ok("log", "append", log, epoch.dir, "--keys", keys)
    log_proof = tmp / "e1.log-proof.json"
    ok("log", "prove", log, "--epoch", "e1", "--out", log_proof)
    junk = tmp / "junk.json"
    junk.write_text("this is not JSON\n")
    junk_epoch = tmp / "junk-epoch"
    (junk_epoch / "private").mkdir(parents=True)
    (junk_epoch / "public").mkdir()
    (junk_epoch / "private" / "epoch.sqlite").write_bytes(b"not a database" * 100)
    (junk_epoch / "public" / "root.json").write_text("{}\n")
    (junk_epoch / "public" / "root.json.sig").write_text("00\n")
    junk_log = tmp / "junk-log"  # the real log with its checkpoint overwritten
    shutil.copytree(log, junk_log)
    (junk_log / "checkpoint").write_text("garbage\n")
    changed = tmp / "changed-epoch"
    shutil.copytree(epoch.dir / "public", changed / "public")
    root = load(changed / "public" / "root.json")
    root["created"] = "2020-01-01T00:00:00Z"
    data = save(changed / "public" / "root.json", root).read_bytes()
    sk = signing.load_signing_key(keys / "signing.key")
    (changed / "public" / "root.json.sig").write_bytes(signing.encode_signature(sk.sign(data)))
    return World(
        tmp=tmp,
        epoch=epoch,
        other_keys=make_keys(tmp / "other-keys"),
        log=log,
        log_proof=log_proof,
        junk=junk,
        junk_epoch=junk_epoch,
        junk_log=junk_log,
        changed_epoch=changed,
    )


Args = Callable[[World, Path], list[Any]]


def _wrong_totals(w: World, t: Path) -> Path:
    doc = load(w.epoch.liabilities)
    units = int(doc["totals"][0]["units"]) + 1
    doc["totals"][0]["units"], doc["totals"][0]["amount"] = str(units), format_units(units, 8)
    return save(t / "liabilities.json", doc)


def _verify(w: World, proof: Path, *extra: Any) -> list[Any]:
    return ["verify", proof, "--root", w.epoch.root_json, "--pubkey", w.epoch.pub, *extra]


def _build(w: World, t: Path, ledger: Path, *extra: Any) -> list[Any]:
    return ["build", ledger, "--out", t / "out", "--keys", w.epoch.keys, "--asset", "BTC:8",
            "--workers", "1", *extra]  # fmt: skip


def _reserves(w: World, t: Path, btc: str = "3", signer: bool = False) -> Path:
    """A reserves file for e1 (BTC 3 is the ledger's total), signed as a wallet signs."""
    from reserves_support import btc_row, new_key, numbered

    from solvency.files.reserves import ReservesFile, ownership_message

    root = formats.RootFile.loads(w.epoch.root_json.read_bytes())
    m = ownership_message("JSON Test", root.epoch, root.root.hash)
    row = btc_row(m, "p2wpkh", btc, signer=new_key() if signer else None)
    path = t / "reserves.csv"
    path.write_bytes(ReservesFile(numbered([row])).dumps_csv())
    return path


def _rverify(w: World, reserves: Path) -> list[Any]:
    return ["reserves", "verify", reserves, "--root", w.epoch.root_json, "--pubkey", w.epoch.pub]


def _rprove(w: World, t: Path, reserves: Path) -> list[Any]:
    return ["reserves", "prove", w.epoch.dir, "--reserves", reserves, "--keys", w.epoch.keys,
            "--out", t / "solvency.json"]  # fmt: skip


def _audit(w: World, liabilities: Path) -> list[Any]:
    return ["audit", w.epoch.root_json, "--liabilities", liabilities, "--pubkey", w.epoch.pub]


def _demo(t: Path) -> list[Any]:
    """A small demo kept in ``t/d`` (it fails when its tampering is sabotaged)."""
    return ["demo", "--users", "2", "--assets", "1", "--proofs", "1", "--workers", "1",
            "--keep", t / "d"]  # fmt: skip


def _log_append(w: World, log: Path, epoch: Path) -> list[Any]:
    return ["log", "append", log, epoch, "--keys", w.epoch.keys]


def _log_prove(t: Path, log: Path) -> list[Any]:
    return ["log", "prove", log, "--epoch", "e1", "--out", t / "p.json"]


def _log_consistency(t: Path, log: Path) -> list[Any]:
    return ["log", "consistency", log, "--from", "1", "--out", t / "c"]


def _log_verify(checkpoint: Path, pub: Path, *extra: Any) -> list[Any]:
    return ["log", "verify", checkpoint, "--pubkey", pub, *extra]


CASES: dict[tuple[str, str], Args] = {
    ("reserves-verify", "usage"): lambda w, t: ["reserves", "verify", w.junk],  # no --root
    ("reserves-verify", "missing"): lambda w, t: _rverify(w, t / "nope.csv"),
    ("reserves-verify", "malformed"): lambda w, t: _rverify(w, w.junk),
    ("reserves-verify", "failed"): lambda w, t: _rverify(w, _reserves(w, t, signer=True)),
    ("reserves-verify", "success"): lambda w, t: _rverify(w, _reserves(w, t)),
    ("reserves-prove", "usage"): lambda w, t: ["reserves", "prove", w.epoch.dir],
    ("reserves-prove", "missing"): lambda w, t: _rprove(w, t, t / "nope.csv"),
    ("reserves-prove", "malformed"): lambda w, t: _rprove(w, t, w.junk),
    ("reserves-prove", "failed"): lambda w, t: _rprove(w, t, _reserves(w, t, "2.99999999")),
    ("reserves-prove", "success"): lambda w, t: _rprove(w, t, _reserves(w, t)),
    ("init", "usage"): lambda w, t: ["init", "--bogus"],
    ("init", "missing"): lambda w, t: ["init", "--dir", w.junk],  # a file, not a folder
    ("init", "success"): lambda w, t: ["init", "--dir", t / "keys"],
    ("build", "usage"): lambda w, t: _build(w, t, w.epoch.ledger),  # no --epoch
    ("build", "missing"): lambda w, t: _build(w, t, t / "nope.csv", "--epoch", "x"),
    ("build", "malformed"): lambda w, t: _build(
        w, t, write_csv(t / "l.csv", ["user_id", "BTC"], [["a", "1e3"]]), "--epoch", "x"
    ),
    ("build", "success"): lambda w, t: _build(w, t, w.epoch.ledger, "--epoch", "x"),
    ("prove", "usage"): lambda w, t: [
        "prove",
        w.epoch.dir,
        "--out",
        t / "p",
        "--keys",
        w.epoch.keys,
    ],
    ("prove", "missing"): lambda w, t: ["prove", t / "nope", "--all", "--out", t / "p"],
    ("prove", "malformed"): lambda w, t: [
        "prove",
        w.epoch.dir,
        "--all",
        "--out",
        t / "p",
        "--master-key",
        w.junk,
    ],
    ("prove", "success"): lambda w, t: [
        "prove",
        w.epoch.dir,
        "--user",
        "bob",
        "--out",
        t / "bob.json",
        "--keys",
        w.epoch.keys,
    ],
    ("verify", "usage"): lambda w, t: [
        "verify",
        w.epoch.proof_files()[0],
        "--root",
        w.epoch.root_json,
    ],
    ("verify", "missing"): lambda w, t: _verify(w, t / "nope.json"),
    ("verify", "malformed"): lambda w, t: _verify(w, w.junk),
    ("verify", "failed"): lambda w, t: _verify(w, w.epoch.proofs / "bob.json", "--user", "alice"),
    ("verify", "success"): lambda w, t: _verify(
        w, w.epoch.proofs / "alice.json", "--user", "alice"
    ),
    ("audit", "usage"): lambda w, t: ["audit", w.epoch.root_json, "--workers", "0"],
    ("audit", "missing"): lambda w, t: ["audit", t / "root.json"],
    ("audit", "malformed"): lambda w, t: ["audit", w.junk, "--pubkey", w.epoch.pub],
    ("audit", "failed"): lambda w, t: _audit(w, _wrong_totals(w, t)),
    ("audit", "success"): lambda w, t: _audit(w, w.epoch.liabilities),
    ("export-tree", "usage"): lambda w, t: ["export-tree", w.epoch.dir],
    ("export-tree", "missing"): lambda w, t: ["export-tree", t / "nope", "--out", t / "t.db"],
    ("export-tree", "malformed"): lambda w, t: [
        "export-tree",
        w.junk_epoch,
        "--out",
        t / "t.db",
    ],
    ("export-tree", "success"): lambda w, t: ["export-tree", w.epoch.dir, "--out", t / "t.db"],
    ("demo", "usage"): lambda w, t: ["demo", "--users", "0"],
    ("demo", "missing"): lambda w, t: ["demo", "--keep", w.junk],  # a file, not a folder
    ("demo", "failed"): lambda w, t: _demo(t),  # with the tampering sabotaged
    ("demo", "success"): lambda w, t: _demo(t),
    ("log-append", "usage"): lambda w, t: ["log", "append", t / "log", w.epoch.dir],
    ("log-append", "missing"): lambda w, t: _log_append(w, t / "log", t / "nope"),
    ("log-append", "malformed"): lambda w, t: _log_append(w, t / "log", w.junk_epoch),
    ("log-append", "failed"): lambda w, t: _log_append(w, _copy_log(w, t), w.changed_epoch),
    ("log-append", "success"): lambda w, t: _log_append(w, t / "log", w.epoch.dir),
    ("log-prove", "usage"): lambda w, t: ["log", "prove", w.log, "--out", t / "p.json"],
    ("log-prove", "missing"): lambda w, t: _log_prove(t, t / "nope"),
    ("log-prove", "malformed"): lambda w, t: _log_prove(t, w.junk_log),
    ("log-prove", "success"): lambda w, t: _log_prove(t, w.log),
    ("log-consistency", "usage"): lambda w, t: ["log", "consistency", w.log, "--out", t / "c"],
    ("log-consistency", "missing"): lambda w, t: _log_consistency(t, t / "nope"),
    ("log-consistency", "malformed"): lambda w, t: _log_consistency(t, w.junk_log),
    ("log-consistency", "success"): lambda w, t: _log_consistency(t, w.log),
    ("log-verify", "usage"): lambda w, t: _log_verify(
        w.log / "checkpoint", w.epoch.pub, "--consistency", w.log_proof
    ),  # --consistency without --previous
    ("log-verify", "missing"): lambda w, t: _log_verify(t / "nope", w.epoch.pub),
    ("log-verify", "malformed"): lambda w, t: _log_verify(w.junk_log / "checkpoint", w.epoch.pub),
    ("log-verify", "failed"): lambda w, t: _log_verify(
        w.log / "checkpoint", w.other_keys / "signing.pub"
    ),
    ("log-verify", "success"): lambda w, t: _log_verify(
        w.log / "checkpoint", w.epoch.pub, "--inclusion", w.log_proof, "--root", w.epoch.root_json
    ),
    ("web-verifier", "usage"): lambda w, t: ["web-verifier"],
    # --out names a file, not a folder: a path of the wrong kind.
    ("web-verifier", "missing"): lambda w, t: ["web-verifier", "--out", w.junk],
    ("web-verifier", "success"): lambda w, t: ["web-verifier", "--out", t / "site"],
}
COMMANDS = sorted({c for c, _ in CASES} | {c for c, _ in NOT_APPLICABLE})


def _copy_log(w: World, t: Path) -> Path:
    copy = t / "log-copy"
    shutil.copytree(w.log, copy)
    return copy


def test_every_command_and_outcome_is_covered() -> None:
    assert len(COMMANDS) == 14
    for command in COMMANDS:
        for outcome in OUTCOMES:
            assert ((command, outcome) in CASES) != ((command, outcome) in NOT_APPLICABLE)


def _sabotage_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """A demo whose tampering goes unnoticed must fail: the 'tampered' file is left as it was."""
    from solvency.cli import demo

    monkeypatch.setattr(demo, "tamper_balance", lambda src, dst: shutil.copyfile(src, dst))


@pytest.mark.parametrize(("command", "outcome"), sorted(CASES))
def test_json_outcome(
    command: str, outcome: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if (command, outcome) == ("demo", "failed"):
        _sabotage_demo(monkeypatch)
    args = CASES[command, outcome](world, tmp_path)
    result = run(*args, "--json")
    assert result.exit_code == EXIT[outcome], result.output
    doc = json_result(result, command)
    expected = STATUS.get(outcome) or SUCCESS.get(command, "ok")
    assert doc["status"] == expected, doc
    if outcome == "success":
        assert doc["error"] is None
    else:
        assert doc["error"] and "\n" not in doc["error"]
    # Errors are in the object, not on stderr (warnings may be, each one line).
    assert all(line.startswith("warning: ") for line in result.stderr.splitlines())


@pytest.mark.parametrize(
    ("command", "outcome"), sorted(k for k in CASES if k[1] not in ("success",))
)
def test_human_outcome_is_one_line(
    command: str, outcome: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --json: bad input is one `error:` line on stderr and nothing on stdout; a failed
    check ends stdout with one `FAILED:` verdict line."""
    if (command, outcome) == ("demo", "failed"):
        _sabotage_demo(monkeypatch)
    result = run(*CASES[command, outcome](world, tmp_path))
    assert result.exit_code == EXIT[outcome], result.output
    errors = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    if outcome == "failed":
        assert errors == []
        last = result.stdout.splitlines()[-1]
        assert last.startswith(("FAILED: ", "RESULT: FAILED")), result.stdout
    else:
        assert result.stdout == ""
        assert len(errors) == 1 and errors[0].startswith("error: "), result.stderr
        assert "Usage:" not in result.output and "Traceback" not in result.output


def test_unknown_command_with_json_is_the_generic_error_object() -> None:
    result = run("nosuch", "--json")
    assert result.exit_code == 2
    doc = json_result(result, "error")
    assert doc["status"] == "error" and "nosuch" in doc["error"]
    human = run("nosuch")
    assert human.exit_code == 2 and human.stdout == ""
    assert human.stderr.startswith("error: No such command") and human.stderr.count("\n") == 1
