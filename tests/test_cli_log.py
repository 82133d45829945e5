"""The epoch log through the command line: the operator's appends, the user's and monitor's
checks, the refusals (exit 1 with a reason, exit 2 with one line), byte flips, and a log
append killed with SIGKILL at random points that leaves the old log or the new one."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
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

from solvency.epoch import log as elog
from solvency.files import formats, signing
from solvency.files.checkpoint import SignedCheckpoint

ORIGIN = "exchange.example/log"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three epochs of one exchange, a second key, and a log holding e1, e2, e3."""
    tmp = tmp_path_factory.mktemp("log")
    ledger = write_csv(tmp / "ledger.csv", ["user_id", "BTC"], [["alice", "1"], ["bob", "2"]])
    keys = make_keys(tmp / "keys")
    epochs = {e: build_epoch(tmp, ledger, ("BTC:8",), keys, e) for e in ("e1", "e2", "e3")}
    other = make_keys(tmp / "other-keys")
    log_dir = tmp / "log"
    outputs = [
        json.loads(
            ok(
                "log",
                "append",
                log_dir,
                epochs[e].dir,
                "--keys",
                keys,
                "--origin",
                ORIGIN,
                "--json",
            ).stdout
        )
        for e in ("e1", "e2", "e3")
    ]
    return {
        "tmp": tmp,
        "keys": keys,
        "other": other,
        "epochs": epochs,
        "log": log_dir,
        "outputs": outputs,
    }


def _schema_check(doc: Any) -> None:
    """Every --json output names its format and version and matches that format's schema."""
    check_result(doc)


def _log_verify(checkpoint: Path, pub: Path, *extra: object) -> list[object]:
    """``solvency log verify CHECKPOINT --pubkey PUB``, then ``extra``."""
    return ["log", "verify", checkpoint, "--pubkey", pub, *extra]


def _verify_logged(e: Epoch, proof: Path, checkpoint: Path, log_proof: Path) -> list[object]:
    """A user's ``verify`` of ``proof`` in ``e`` with the log's checkpoint and log proof."""
    return e.verify_args(proof, "--checkpoint", checkpoint, "--log-proof", log_proof)


def _fail(result: Any, code: int, *words: str) -> str:
    assert result.exit_code == code, result.output
    # `solvency verify` prints its FAILED verdict as the last line of stdout
    err = result.stderr.strip() or result.stdout.strip().splitlines()[-1]
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, err
    return str(err)


def test_append_publishes_checkpoints(world: dict[str, Any]) -> None:
    log_dir: Path = world["log"]
    for i, doc in enumerate(world["outputs"]):
        _schema_check(doc)
        assert doc["status"] == "ok" and doc["leaf_index"] == i
        assert doc["epoch"] == f"e{i + 1}" and doc["created_log"] == (i == 0)
        cp = doc["checkpoint"]
        assert cp["tree_size"] == i + 1 and cp["origin"] == ORIGIN
        assert (log_dir / "checkpoints" / str(i + 1)).read_text() == cp["text"]
    assert (log_dir / "checkpoint").read_text() == world["outputs"][-1]["checkpoint"]["text"]
    human = run("log", "append", log_dir, world["epochs"]["e1"].dir, "--keys", world["keys"])
    _fail(human, 2, "already in the log")


def test_user_verifies_their_epoch_is_in_the_log(world: dict[str, Any], tmp_path: Path) -> None:
    log_dir: Path = world["log"]
    e2: Epoch = world["epochs"]["e2"]
    proof = tmp_path / "e2.log-proof.json"
    doc = json.loads(ok("log", "prove", log_dir, "--epoch", "e2", "--out", proof, "--json").stdout)
    _schema_check(doc)
    assert doc["leaf_index"] == 1 and doc["tree_size"] == 3
    checkpoint = log_dir / "checkpoint"
    args = _log_verify(checkpoint, e2.pub, "--inclusion", proof, "--root", e2.root_json)
    out = ok(*args)
    assert out.stdout.splitlines()[-1] == "VERIFIED"
    doc = json.loads(ok(*args, "--json").stdout)
    _schema_check(doc)
    assert doc["inclusion"] == {"epoch": "e2", "leaf_index": 1}
    for f in e2.proof_files():
        result = run(*_verify_logged(e2, f, checkpoint, proof), "--json")
        assert result.exit_code == 0, result.output
        v = json.loads(result.stdout)
        assert v["log_checked"] is True
        assert v["log"]["checkpoint"]["text"] == checkpoint.read_text()
        assert v["log"]["leaf_index"] == 1 and v["log"]["tree_size"] == 3
    human = run(*_verify_logged(e2, e2.proof_files()[0], checkpoint, proof))
    assert human.exit_code == 0 and "entry 1 of the log" in human.stdout.splitlines()[-1]
    # another epoch's root against this proof: not in the log at that entry
    e1: Epoch = world["epochs"]["e1"]
    _fail(run(*_verify_logged(e1, e1.proof_files()[0], checkpoint, proof)), 1, "epoch")
    # the log's part needs the signed root
    _fail(run("verify", e2.proof_files()[0], "--checkpoint", checkpoint, "--log-proof", proof), 2)


def test_monitor_checks_consistency_with_every_older_checkpoint(
    world: dict[str, Any], tmp_path: Path
) -> None:
    log_dir: Path = world["log"]
    pub = world["epochs"]["e1"].pub
    for size in (0, 1, 2, 3):
        proof = tmp_path / f"from-{size}.json"
        doc = json.loads(
            ok("log", "consistency", log_dir, "--from", size, "--out", proof, "--json").stdout
        )
        _schema_check(doc)
        if size == 0:
            continue
        previous = log_dir / "checkpoints" / str(size)
        args = _log_verify(log_dir / "checkpoint", pub, "--previous", previous)
        result = ok(*args, "--consistency", proof, "--json")
        out = json.loads(result.stdout)
        _schema_check(out)
        assert out["previous"]["tree_size"] == size
    _fail(
        run("log", "consistency", log_dir, "--from", 4, "--out", tmp_path / "x.json"), 2, "--from"
    )
    assert not (tmp_path / "x.json").exists()


def _resigned_root(epoch: Epoch, keys: Path, dest: Path) -> Epoch:
    """The same epoch with a changed root.json, signed by the exchange's key."""
    shutil.copytree(epoch.dir / "public", dest / "public")
    doc = load(dest / "public" / "root.json")
    doc["tool"] = "a second root"
    data = formats.RootFile.from_json(doc).dumps()
    (dest / "public" / "root.json").write_bytes(data)
    sk = signing.load_signing_key(keys / "signing.key")
    (dest / "public" / "root.json.sig").write_bytes(signing.encode_signature(sk.sign(data)))
    return Epoch(epoch.root, dest, keys, epoch.proofs, epoch.ledger, epoch.assets, epoch.epoch)


def test_refusals_exit_1_with_a_reason(world: dict[str, Any], tmp_path: Path) -> None:
    log_dir: Path = world["log"]
    keys: Path = world["keys"]
    e2: Epoch = world["epochs"]["e2"]
    checkpoint = log_dir / "checkpoint"
    # a checkpoint signed by another key
    _fail(
        run(*_log_verify(checkpoint, world["other"] / "signing.pub")),
        1,
        "not signed by the given key",
    )
    # a root not in the log: a second root for e2, signed by the same key (a split view)
    split = _resigned_root(e2, keys, tmp_path / "split")
    proof = tmp_path / "e2.json"
    ok("log", "prove", log_dir, "--epoch", "e2", "--out", proof)
    # the exchange hands out e2's log proof with the second root's signature in it
    doc = load(proof)
    doc["root_signature"] = (split.sig).read_text().strip()
    save(proof, doc)
    args = _log_verify(checkpoint, e2.pub, "--inclusion", proof, "--root", split.root_json)
    _fail(run(*args), 1, "not in the log")
    # the same epoch re-appended with a changed root
    before = checkpoint.read_bytes()
    _fail(run("log", "append", log_dir, split.dir, "--keys", keys), 1, "different root")
    # a root signed by another key
    foreign = _resigned_root(e2, world["other"], tmp_path / "foreign")
    _fail(
        run("log", "append", log_dir, foreign.dir, "--keys", keys), 1, "not signed by the log's key"
    )
    assert checkpoint.read_bytes() == before
    assert sorted(p.name for p in (log_dir / "entries").iterdir()) == [
        "00000000",
        "00000001",
        "00000002",
    ]


def test_forked_logs_exit_1(world: dict[str, Any], tmp_path: Path) -> None:
    epochs: dict[str, Epoch] = world["epochs"]
    keys: Path = world["keys"]
    pub = epochs["e1"].pub
    honest: Path = world["log"]
    fork = tmp_path / "fork"
    for e in ("e1", "e3", "e2"):  # the same key and origin, another history
        ok("log", "append", fork, epochs[e].dir, "--keys", keys, "--origin", ORIGIN)
    # two checkpoints of the same size with different roots
    _fail(
        run(*_log_verify(fork / "checkpoint", pub, "--previous", honest / "checkpoint")), 1, "fork"
    )
    # a newer checkpoint that does not extend the older one
    proof = tmp_path / "c.json"
    ok("log", "consistency", fork, "--from", 2, "--out", proof)
    args = _log_verify(fork / "checkpoint", pub, "--previous", honest / "checkpoints" / "2")
    _fail(run(*args, "--consistency", proof), 1, "does not extend")
    # the shared first entry is consistent
    ok("log", "consistency", fork, "--from", 1, "--out", proof)
    args = _log_verify(fork / "checkpoint", pub, "--previous", honest / "checkpoints" / "1")
    ok(*args, "--consistency", proof)


def test_bad_input_exits_2_with_one_line(world: dict[str, Any], tmp_path: Path) -> None:
    log_dir: Path = world["log"]
    pub = world["epochs"]["e1"].pub
    e1: Epoch = world["epochs"]["e1"]
    checkpoint = log_dir / "checkpoint"
    garbage = tmp_path / "garbage"
    garbage.write_text("not a checkpoint\n")
    _fail(run(*_log_verify(garbage, pub)), 2, "garbage", "blank line")
    proof = tmp_path / "p.json"
    ok("log", "prove", log_dir, "--epoch", "e1", "--out", proof)
    truncated = tmp_path / "t.json"
    truncated.write_bytes(proof.read_bytes()[:-40])
    _fail(run(*_log_verify(checkpoint, pub, "--inclusion", truncated, "--root", e1.root_json)), 2)
    short = tmp_path / "short.json"
    doc = load(proof)
    doc["path"] = doc["path"][:-1]
    save(short, doc)
    args = _log_verify(checkpoint, pub, "--inclusion", short, "--root", e1.root_json)
    _fail(run(*args), 2, "expected")
    # a proof for the tree of size 3 against the checkpoint of size 2: wrong sizes
    size_2 = log_dir / "checkpoints" / "2"
    args = _log_verify(size_2, pub, "--inclusion", proof, "--root", e1.root_json)
    _fail(run(*args), 2, "size")
    _fail(run(*_verify_logged(e1, e1.proof_files()[0], size_2, proof)), 2, "size")
    consistency = tmp_path / "c.json"
    ok("log", "consistency", log_dir, "--from", 1, "--out", consistency)
    args = _log_verify(checkpoint, pub, "--previous", size_2, "--consistency", consistency)
    _fail(run(*args), 2, "size")
    _fail(
        run(*_log_verify(log_dir / "checkpoints" / "1", pub, "--previous", checkpoint)), 2, "larger"
    )
    _fail(run("log", "verify", checkpoint), 2, "--pubkey")
    _fail(run(*_log_verify(checkpoint, pub, "--inclusion", proof)), 2)
    _fail(run("log", "prove", log_dir, "--epoch", "nope", "--out", tmp_path / "n.json"), 2)
    _fail(run("log", "prove", tmp_path / "empty-dir-missing", "--epoch", "e1", "--out", proof), 2)
    failed = run(*_log_verify(garbage, pub, "--json"))
    assert failed.exit_code == 2 and json.loads(failed.stdout)["status"] == "error"


def test_byte_flips_of_checkpoints_and_proofs_are_refused(
    world: dict[str, Any], tmp_path: Path
) -> None:
    log_dir: Path = world["log"]
    pub = world["epochs"]["e2"].pub
    root = world["epochs"]["e2"].root_json
    proof = tmp_path / "p.json"
    ok("log", "prove", log_dir, "--epoch", "e2", "--out", proof)
    consistency = tmp_path / "c.json"
    ok("log", "consistency", log_dir, "--from", 2, "--out", consistency)
    cp = (log_dir / "checkpoint").read_bytes()
    previous = log_dir / "checkpoints" / "2"
    rng = random.Random(11)
    for target, data in (
        ("checkpoint", cp),
        ("inclusion", proof.read_bytes()),
        ("consistency", consistency.read_bytes()),
    ):
        offsets = range(len(data)) if target == "checkpoint" else rng.sample(range(len(data)), 60)
        for i in offsets:
            flipped = bytearray(data)
            flipped[i] ^= 1 << rng.randrange(8)
            f = tmp_path / f"flipped-{target}"
            f.write_bytes(bytes(flipped))
            files = {
                "checkpoint": log_dir / "checkpoint",
                "inclusion": proof,
                "consistency": consistency,
                target: f,
            }
            args = _log_verify(files["checkpoint"], pub, "--inclusion", files["inclusion"])
            args += ["--root", root, "--previous", previous, "--consistency", files["consistency"]]
            result = run(*args)
            assert result.exit_code in (1, 2), (target, i, result.output)


# --- crash safety -----------------------------------------------------------------------------


def _consistent(log_dir: Path, allowed: set[int], pub: Path) -> int:
    """The log opens and re-checks, has an allowed size, and its checkpoint verifies."""
    log = elog.open_log(log_dir)
    assert log.size in allowed, log.size
    if log.size:
        ok(*_log_verify(log_dir / "checkpoint", pub))
        cp = SignedCheckpoint.from_bytes((log_dir / "checkpoint").read_bytes())
        assert cp.checkpoint.size == log.size
        for size, data in log.archived_checkpoints().items():
            assert SignedCheckpoint.from_bytes(data).checkpoint.size == size
    return log.size


@pytest.mark.slow
def test_append_killed_at_random_points_leaves_the_old_or_the_new_log(
    world: dict[str, Any], tmp_path: Path
) -> None:
    epochs: dict[str, Epoch] = world["epochs"]
    keys: Path = world["keys"]
    pub = epochs["e1"].pub
    start = tmp_path / "start"
    ok("log", "append", start, epochs["e1"].dir, "--keys", keys)
    pause = 0.06
    env = {**os.environ, elog.PAUSE_ENV: str(pause)}
    exe = Path(sys.executable).with_name("solvency")
    # How long an append takes here, start-up included (it varies with the machine's load and
    # the start-up's cost): the commit (the checkpoint's rename) comes two pauses before the end.
    probe = tmp_path / "probe"
    shutil.copytree(start, probe)
    began = time.perf_counter()
    subprocess.run(
        [exe, "log", "append", probe, epochs["e2"].dir, "--keys", keys],
        env=env,
        check=True,
        capture_output=True,
    )
    total = time.perf_counter() - began
    commit = total - 2 * pause
    rng = random.Random(5)
    outcomes = {1: 0, 2: 0}
    for trial in range(10):
        log_dir = tmp_path / f"log{trial}"
        shutil.copytree(start, log_dir)
        proc = subprocess.Popen(
            [exe, "log", "append", log_dir, epochs["e2"].dir, "--keys", keys],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Kill anywhere in the run: every other kill aims before the commit, the others after.
        low, high = (0.02, commit) if trial % 2 == 0 else (commit, total)
        time.sleep(rng.uniform(low, high))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcomes[_consistent(log_dir, {1, 2}, pub)] += 1
        # the operator reruns the append: it completes, or says the epoch is in already
        again = run("log", "append", log_dir, epochs["e2"].dir, "--keys", keys)
        assert again.exit_code in (0, 2), again.output
        assert _consistent(log_dir, {2}, pub) == 2
        final = elog.open_log(log_dir)
        assert [x.epoch for x in final.entries] == ["e1", "e2"]
        assert sorted(final.archived_checkpoints()) == [1, 2]
        assert not list(log_dir.rglob(".*.tmp")) or again.exit_code == 2
    assert outcomes[1] >= 2, outcomes  # some kills landed before the commit
