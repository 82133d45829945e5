"""The epoch log at the library level: C2SP checkpoints (golden signed-note vector, strict
parsing, byte flips), the proof files, the log directory (append rules, re-checks on open)
and the user's and monitor's checks (inclusion, consistency, forks)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest

from solvency.circuits import tlog
from solvency.crypto import group
from solvency.epoch import log as elog
from solvency.epoch.logverify import verify_log_extends, verify_root_in_log
from solvency.errors import (
    MalformedInputError,
    SolvencyError,
    UnsupportedVersionError,
    VerificationError,
)
from solvency.files import formats, signing
from solvency.files.checkpoint import Checkpoint, NoteSignature, SignedCheckpoint, key_id
from solvency.files.ledger import AssetSpec
from solvency.files.logfiles import (
    LogConfig,
    LogConsistencyProof,
    LogInclusionProof,
    log_entry,
    split_log_entry,
)

SK, PK = signing.generate_keypair(lambda n: b"\x07" * n)
OTHER_SK, OTHER_PK = signing.generate_keypair(lambda n: b"\x09" * n)
ORIGIN = "exchange.example/solvency-log"


def _root_json(epoch: str, salt: int = 0) -> bytes:
    """A well-formed root file (the log only reads its epoch and signs its bytes)."""
    C = group.mul_base(salt + 5)
    root = formats.RootFile(
        epoch=epoch,
        created="2026-01-01T00:00:00Z",
        tool="test",
        height=4,
        range_bits=64,
        assets=(AssetSpec("BTC", 8),),
        root=formats.RootCommitment(bytes([salt % 256]) * 32, (C,)),
        totals=None,
    )
    return root.dumps()


def _signed(epoch: str, salt: int = 0, key: signing.SigningKey = SK) -> tuple[bytes, bytes]:
    rj = _root_json(epoch, salt)
    return rj, key.sign(rj)


# --- checkpoints ------------------------------------------------------------------------------


def test_signed_note_golden_vector_from_the_go_reference() -> None:
    # golang.org/x/mod/sumdb/note's documented example key and signed note.
    raw = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    assert raw[0] == 1  # the Ed25519 type byte
    pk = signing.VerifyingKey(raw[1:])
    assert key_id("PeterNeumann", pk).hex() == "c74f20a3"
    blob = base64.b64decode(
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
    )
    assert blob[:4] == key_id("PeterNeumann", pk)
    pk.verify(
        blob[4:],
        b"If you think cryptography is the answer to your problem,\n"
        b"then you don't know what your problem is.\n",
    )


def _cp(size: int = 3, root: bytes = b"\x11" * 32, ext: tuple[str, ...] = ()) -> SignedCheckpoint:
    return SignedCheckpoint.sign(Checkpoint(ORIGIN, size, root, ext), SK)


def test_checkpoint_text_round_trip_and_layout() -> None:
    signed = _cp(ext=("extra data",))
    data = signed.to_bytes()
    lines = data.decode().split("\n")
    assert lines[:4] == [ORIGIN, "3", base64.b64encode(b"\x11" * 32).decode(), "extra data"]
    assert lines[4] == ""
    assert lines[5].startswith(f"\u2014 {ORIGIN} ")
    blob = base64.b64decode(lines[5].split(" ")[2])
    assert blob[:4] == key_id(ORIGIN, PK)
    PK.verify(blob[4:], signed.checkpoint.body())
    assert data.endswith(b"\n") and lines[6] == ""
    again = SignedCheckpoint.from_bytes(data)
    assert again == signed and again.to_bytes() == data
    again.verify(PK)


def test_checkpoint_other_key_refused_and_extra_witness_lines_ignored() -> None:
    signed = _cp()
    with pytest.raises(VerificationError, match="not signed by the given key"):
        signed.verify(OTHER_PK)
    witness = NoteSignature(
        "witness.example", key_id("witness.example", OTHER_PK), OTHER_SK.sign(b"x")
    )
    both = SignedCheckpoint(signed.checkpoint, (witness, *signed.signatures))
    SignedCheckpoint.from_bytes(both.to_bytes()).verify(PK)
    # our key id under the right name but a bad signature is refused
    bad = NoteSignature(ORIGIN, key_id(ORIGIN, PK), OTHER_SK.sign(signed.checkpoint.body()))
    with pytest.raises(VerificationError):
        SignedCheckpoint(signed.checkpoint, (bad,)).verify(PK)


def test_every_byte_flip_of_a_checkpoint_is_refused() -> None:
    data = _cp().to_bytes()
    for i in range(len(data)):
        for bit in (0, 6):
            flipped = bytearray(data)
            flipped[i] ^= 1 << bit
            with pytest.raises(SolvencyError):
                SignedCheckpoint.from_bytes(bytes(flipped)).verify(PK)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "origin\n3\n",
        "origin\n03\n{h}\n\n{s}",
        "origin\n-1\n{h}\n\n{s}",
        "origin\n3\n{h}\n{s}",
        "origin\n3\n{h}\n\n",
        "origin\n3\nAAAA\n\n{s}",
        "origin\n3\n{h}=\n\n{s}",
        " origin\n3\n{h}\n\n{s}",
        "origin\n3\n{h}\n\n\n{s}",
        "origin\n3\n{h}\n\n{s}{s}",
        "origin\n3\n{h}\n\n{s}".replace("\n", "\r\n"),
        "origin\n3\n{h}\n\n- origin AAAA\n",
        "origin\n3\n{h}\n\n{s-}",
        "origin\n18446744073709551616\n{h}\n\n{s}",
        "orig\tin\n3\n{h}\n\n{s}",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    good = _cp()
    h = base64.b64encode(good.checkpoint.root_hash).decode()
    s = good.signatures[0].line()
    data = text.replace("{h}", h).replace("{s}", s).replace("{s-}", s[:-1]).encode()
    with pytest.raises(MalformedInputError):
        SignedCheckpoint.from_bytes(data)


def test_checkpoint_refuses_non_utf8_and_huge_input() -> None:
    with pytest.raises(MalformedInputError, match="UTF-8"):
        SignedCheckpoint.from_bytes(b"\xff\n")
    with pytest.raises(MalformedInputError, match="larger"):
        SignedCheckpoint.from_bytes(b"a" * 70_000)


# --- proof files ------------------------------------------------------------------------------


def _validator(fmt: str) -> jsonschema.Draft202012Validator:
    schema = formats.load_schema(fmt)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_proof_files_round_trip_match_schemas_and_refuse_bad_json() -> None:
    inc = LogInclusionProof(ORIGIN, "e1", 2, 5, b"\x01" * 64, (b"\x02" * 32, b"\x03" * 32))
    con = LogConsistencyProof(ORIGIN, 2, 5, (b"\x04" * 32,))
    cfg = LogConfig(ORIGIN, PK.raw)
    for doc, cls, fmt in (
        (inc, LogInclusionProof, "solvency-log-inclusion-proof"),
        (con, LogConsistencyProof, "solvency-log-consistency-proof"),
        (cfg, LogConfig, "solvency-log"),
    ):
        data = doc.dumps()
        assert cls.loads(data) == doc
        obj = json.loads(data)
        _validator(fmt).validate(obj)
        for key in list(obj):
            broken = dict(obj)
            del broken[key]
            with pytest.raises(MalformedInputError):
                cls.loads(json.dumps(broken))
        with pytest.raises(MalformedInputError, match="unknown key"):
            cls.loads(json.dumps({**obj, "extra": 1}))
        with pytest.raises(MalformedInputError, match="duplicate"):
            cls.loads(data[:-2] + b',\n  "version": 1\n}\n')
        with pytest.raises(MalformedInputError):
            cls.loads(data[: len(data) // 2])
        with pytest.raises(UnsupportedVersionError):
            cls.loads(json.dumps({**obj, "version": 2}))
    obj = json.loads(inc.dumps())
    for change in (
        {"leaf_index": 5},
        {"leaf_index": True},
        {"tree_size": 0},
        {"path": ["AB" * 32]},
        {"path": ["ab" * 31]},
        {"root_signature": "00"},
        {"origin": "has space"},
        {"epoch": "bad/epoch"},
    ):
        with pytest.raises(MalformedInputError):
            LogInclusionProof.loads(json.dumps({**obj, **change}))
    with pytest.raises(MalformedInputError):
        LogConsistencyProof.loads(json.dumps({**json.loads(con.dumps()), "first_size": 6}))


def test_log_entry_encoding_is_exact() -> None:
    rj, sig = _signed("e1")
    d = log_entry(rj, sig)
    assert d == b"solvency/v1/log-entry" + len(rj).to_bytes(4, "little") + rj + sig
    assert split_log_entry(d) == (rj, sig)
    for bad in (d[:-1], d + b"\x00", b"x" + d[1:], d[:22]):
        with pytest.raises(MalformedInputError):
            split_log_entry(bad)


# --- the log directory ------------------------------------------------------------------------


def _append(directory: Path, epoch: str, salt: int = 0) -> elog.AppendResult:
    rj, sig = _signed(epoch, salt)
    return elog.append_epoch(directory, rj, sig, SK, origin=ORIGIN)


def test_log_appends_in_order_and_every_proof_verifies(tmp_path: Path) -> None:
    d = tmp_path / "log"
    history: list[SignedCheckpoint] = []
    for i in range(12):
        result = _append(d, f"e{i}", i)
        assert result.entry.index == i and result.created == (i == 0)
        history.append(SignedCheckpoint.from_bytes((d / "checkpoint").read_bytes()))
    log = elog.open_log(d)
    assert log.size == 12 and [e.epoch for e in log.entries] == [f"e{i}" for i in range(12)]
    archived = log.archived_checkpoints()
    assert sorted(archived) == list(range(1, 13))
    for n, cp in enumerate(history, start=1):
        assert archived[n] == cp.to_bytes() == (d / "checkpoints" / str(n)).read_bytes()
        assert cp.checkpoint.size == n
    head = history[-1]
    for e in log.entries:
        proof = LogInclusionProof.loads(log.inclusion_proof(e.epoch).dumps())
        verify_root_in_log(head, PK, proof, e.root_json)
        # another epoch's root is not at this entry
        other = log.entries[(e.index + 1) % log.size]
        with pytest.raises(VerificationError):
            verify_root_in_log(
                head,
                PK,
                LogInclusionProof(ORIGIN, other.epoch, e.index, 12, other.signature, proof.path),
                other.root_json,
            )
    for m in range(0, 13):
        proof_c = LogConsistencyProof.loads(log.consistency_proof(m).dumps())
        older = history[m - 1] if m else None
        if older is not None:
            verify_log_extends(older, head, PK, proof_c)
    with pytest.raises(VerificationError):
        verify_root_in_log(head, OTHER_PK, log.inclusion_proof("e1"), log.entries[1].root_json)


def test_a_root_not_in_the_log_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "log"
    for i in range(5):
        _append(d, f"e{i}", i)
    log = elog.open_log(d)
    head = log.checkpoint
    assert head is not None
    # split view: the exchange signs a second root for e2 and hands it out with e2's proof
    rj, sig = _signed("e2", 99)
    proof = log.inclusion_proof("e2")
    forged = LogInclusionProof(ORIGIN, "e2", proof.leaf_index, 5, sig, proof.path)
    with pytest.raises(VerificationError, match="not in the log"):
        verify_root_in_log(head, PK, forged, rj)
    # the proof's tree size must be the checkpoint's (bad input otherwise)
    older = SignedCheckpoint.from_bytes((d / "checkpoints" / "3").read_bytes())
    with pytest.raises(MalformedInputError, match="size"):
        verify_root_in_log(older, PK, proof, log.entries[2].root_json)


def test_forks_are_refused(tmp_path: Path) -> None:
    honest, forked = tmp_path / "honest", tmp_path / "forked"
    for i in range(6):
        _append(honest, f"e{i}", i)
        # the same key, the same first three epochs, then a different history
        _append(forked, f"e{i}", i if i < 3 else 50 + i)
    a, b = elog.open_log(honest), elog.open_log(forked)
    assert a.checkpoint is not None and b.checkpoint is not None
    # two checkpoints of the same size with different roots
    with pytest.raises(VerificationError, match="fork: two checkpoints of size 6"):
        verify_log_extends(a.checkpoint, b.checkpoint, PK, None)
    # a newer checkpoint that does not extend the older one
    old_honest = SignedCheckpoint.from_bytes((honest / "checkpoints" / "4").read_bytes())
    with pytest.raises(VerificationError, match="does not extend"):
        verify_log_extends(old_honest, b.checkpoint, PK, b.consistency_proof(4))
    # the shared prefix is consistent
    old_shared = SignedCheckpoint.from_bytes((honest / "checkpoints" / "3").read_bytes())
    verify_log_extends(old_shared, b.checkpoint, PK, b.consistency_proof(3))
    # wrong sizes and order are bad input
    with pytest.raises(MalformedInputError):
        verify_log_extends(old_shared, b.checkpoint, PK, b.consistency_proof(2))
    with pytest.raises(MalformedInputError):
        verify_log_extends(b.checkpoint, old_shared, PK, None)
    with pytest.raises(MalformedInputError):
        verify_log_extends(old_shared, b.checkpoint, PK, None)


def test_append_refusals(tmp_path: Path) -> None:
    d = tmp_path / "log"
    _append(d, "e1", 1)
    _append(d, "e2", 2)
    before = {p.name: p.read_bytes() for p in (d / "checkpoints").iterdir()}
    with pytest.raises(elog.EpochAlreadyLoggedError):
        _append(d, "e1", 1)
    with pytest.raises(elog.EpochRewriteError, match="never changed"):
        _append(d, "e1", 7)
    rj, sig = _signed("e3", 3, OTHER_SK)
    with pytest.raises(VerificationError, match="not signed by the log's key"):
        elog.append_epoch(d, rj, sig, SK)
    with pytest.raises(MalformedInputError, match="not the log's key"):
        elog.append_epoch(d, rj, sig, OTHER_SK)
    rj, sig = _signed("e3", 3)
    with pytest.raises(MalformedInputError, match="origin"):
        elog.append_epoch(d, rj, sig, SK, origin="another.example")
    with pytest.raises(SolvencyError):
        elog.append_epoch(d, rj, sig[:-1] + bytes([sig[-1] ^ 1]), SK)
    log = elog.open_log(d)
    assert log.size == 2
    assert {p.name: p.read_bytes() for p in (d / "checkpoints").iterdir()} == before
    with pytest.raises(MalformedInputError, match="not in the log"):
        log.inclusion_proof("e3")
    with pytest.raises(MalformedInputError, match="--from"):
        log.consistency_proof(3)


def test_open_rechecks_the_directory(tmp_path: Path) -> None:
    d = tmp_path / "log"
    for i in range(3):
        _append(d, f"e{i}", i)
    entry = d / "entries" / "00000001"
    good = entry.read_bytes()
    rj, _ = split_log_entry(good)
    # an entry rewritten in place (re-signed, so only the tree catches it)
    rj2 = _root_json("e1", 42)
    entry.write_bytes(log_entry(rj2, SK.sign(rj2)))
    with pytest.raises(elog.LogCorruptedError, match="do not hash"):
        elog.open_log(d)
    entry.write_bytes(log_entry(rj, OTHER_SK.sign(rj)))
    with pytest.raises(elog.LogCorruptedError, match="not signed"):
        elog.open_log(d)
    entry.unlink()
    with pytest.raises(elog.LogCorruptedError, match="missing"):
        elog.open_log(d)
    entry.write_bytes(good)
    elog.open_log(d)
    # a checkpoint signed by another key
    cp = elog.open_log(d).checkpoint
    assert cp is not None
    (d / "checkpoint").write_bytes(SignedCheckpoint.sign(cp.checkpoint, OTHER_SK).to_bytes())
    with pytest.raises(elog.LogCorruptedError):
        elog.open_log(d)


def test_leftovers_of_a_killed_append_are_not_part_of_the_log(tmp_path: Path) -> None:
    d = tmp_path / "log"
    _append(d, "e0", 0)
    # what a kill before the commit leaves: an entry past the size, a temporary checkpoint
    rj, sig = _signed("e1", 1)
    (d / "entries" / "00000001").write_bytes(log_entry(rj, sig))
    (d / ".checkpoint.abc.tmp").write_bytes(b"partial")
    (d / "checkpoints" / "1").unlink()  # killed between the commit and the archive copy
    log = elog.open_log(d)
    assert log.size == 1 and 1 in log.archived_checkpoints()
    _append(d, "e9", 9)
    log = elog.open_log(d)
    assert [e.epoch for e in log.entries] == ["e0", "e9"]
    assert not list(d.glob(".*.tmp"))
    assert (d / "checkpoints" / "1").exists() and (d / "checkpoints" / "2").exists()
    assert tlog.root_from_leaf_hashes([tlog.leaf_hash(e.entry) for e in log.entries]) == (
        log.tree.root()
    )
