"""Transcripts replayed together: packed Keccak, joint STROBE steps, TranscriptGroup and the
batch verifier's grouped replay, each checked equal to its sequential twin byte for byte."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import pytest
from conftest import make_rng, random_scalar_list
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solvency.crypto import bulletproofs, generators, inner_product, strobe
from solvency.crypto.bulletproofs import RangeProof, verify_batch
from solvency.crypto.group import L
from solvency.crypto.keccak import keccak_f1600, keccak_f1600_many, keccak_f1600_naive
from solvency.crypto.strobe import Strobe128
from solvency.crypto.transcript import Transcript, TranscriptGroup
from solvency.errors import InvalidParameterError, VerificationError

# --- keccak_f1600_many ------------------------------------------------------------------

state = st.one_of(
    st.sampled_from([bytes(200), b"\xff" * 200, bytes(199) + b"\x80", b"\x80" + bytes(199)]),
    st.binary(min_size=200, max_size=200),
)


@pytest.mark.parametrize("K", [1, 2, 3, 32, 64])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_many_equals_one_at_a_time(K: int, data: st.DataObject) -> None:
    states = data.draw(st.lists(state, min_size=K, max_size=K))
    assert keccak_f1600_many(states) == [keccak_f1600(s) for s in states]


@pytest.mark.parametrize("K", [1, 3])
def test_many_equals_naive(K: int) -> None:
    # Neighbouring slots all ones / all zeros: a rotation leaking a bit across slots shows.
    states = [(b"\xff" * 200 if k % 2 else bytes(200)) for k in range(K)] + [os.urandom(200)]
    assert keccak_f1600_many(states) == [keccak_f1600_naive(s) for s in states]


def test_many_accepts_bytearray_and_empty() -> None:
    s = os.urandom(200)
    assert keccak_f1600_many([bytearray(s), s]) == [keccak_f1600(s)] * 2
    assert keccak_f1600_many([]) == []


@pytest.mark.parametrize("size", [0, 199, 201])
def test_many_refuses_wrong_state_size(size: int) -> None:
    with pytest.raises(InvalidParameterError, match="state 1"):
        keccak_f1600_many([bytes(200), bytes(size)])


# --- strobe.run_jointly -----------------------------------------------------------------


def test_run_jointly_equals_run_for_differing_lengths() -> None:
    lengths = [0, 1, 165, 166, 167, 400]
    joint = [Strobe128(b"p") for _ in lengths]
    alone = [Strobe128(b"p") for _ in lengths]
    pairs = zip(joint, lengths, strict=True)
    strobe.run_jointly([(s, s.ad_steps(bytes(n), more=False)) for s, n in pairs])
    for s, n in zip(alone, lengths, strict=True):
        s.ad(bytes(n), more=False)
    outs = strobe.run_jointly([(s, s.prf_steps(300, more=False)) for s in joint])
    assert outs == [s.prf(300, more=False) for s in alone]


def test_run_jointly_refuses_shared_state() -> None:
    s = Strobe128(b"p")
    with pytest.raises(InvalidParameterError, match="distinct"):
        strobe.run_jointly([(s, s.ad_steps(bytes(200), False)), (s, s.ad_steps(b"", False))])


def test_run_jointly_refuses_an_operation_on_another_state() -> None:
    s, other = Strobe128(b"p"), Strobe128(b"q")
    with pytest.raises(InvalidParameterError, match="not its own"):
        strobe.run_jointly([(s, other.ad_steps(bytes(200), False))])


# --- TranscriptGroup against the sequential Transcript ----------------------------------

Op = tuple[str, bytes, Any]

lengths = st.one_of(st.sampled_from([0, 1, 160, 165, 166, 167, 332]), st.integers(0, 400))


@st.composite
def member_starts(draw: st.DrawFn, K: int) -> list[tuple[bytes, list[bytes]]]:
    """Per member: (transcript label, prior messages); all equal or each its own."""
    if draw(st.booleans()):
        start = (draw(st.binary(max_size=40)), draw(st.lists(st.binary(max_size=300), max_size=2)))
        return [start] * K
    return [
        (draw(st.binary(max_size=40)), draw(st.lists(st.binary(max_size=300), max_size=2)))
        for _ in range(K)
    ]


@st.composite
def group_ops(draw: st.DrawFn, K: int) -> list[Op]:
    ops: list[Op] = []
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["msg", "msg", "u64", "chal", "scalar"]))
        label = draw(st.binary(max_size=20))
        if kind == "msg":
            if draw(st.booleans()):  # equal lengths, the lockstep case
                n = draw(lengths)
                messages = [draw(st.binary(min_size=n, max_size=n)) for _ in range(K)]
            else:
                messages = [draw(st.binary(max_size=400)) for _ in range(K)]
            ops.append((kind, label, messages))
        elif kind == "u64":
            ops.append((kind, label, [draw(st.integers(0, 2**64 - 1)) for _ in range(K)]))
        elif kind == "chal":
            ops.append((kind, label, draw(lengths)))
        else:
            ops.append((kind, label, None))
    return ops


def _start(label: bytes, prior: list[bytes]) -> Transcript:
    t = Transcript(label)
    for message in prior:
        t.append_message(b"prior", message)
    return t


def _apply_group(g: TranscriptGroup, op: Op) -> object:
    kind, label, arg = op
    if kind == "msg":
        g.append_message(label, arg)
        return None
    if kind == "u64":
        g.append_u64(label, arg)
        return None
    if kind == "chal":
        return g.challenge_bytes(label, arg)
    return g.challenge_scalar(label)


def _apply_sequential(ts: list[Transcript], op: Op) -> object:
    kind, label, arg = op
    if kind == "msg":
        for t, m in zip(ts, arg, strict=True):
            t.append_message(label, m)
        return None
    if kind == "u64":
        for t, x in zip(ts, arg, strict=True):
            t.append_u64(label, x)
        return None
    if kind == "chal":
        return [t.challenge_bytes(label, arg) for t in ts]
    return [t.challenge_scalar(label) for t in ts]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), K=st.integers(1, 5))
def test_group_equals_sequential_transcripts(data: st.DataObject, K: int) -> None:
    starts = data.draw(member_starts(K))
    ops = data.draw(group_ops(K))
    members = [_start(label, prior) for label, prior in starts]
    refs = [_start(label, prior) for label, prior in starts]
    g = TranscriptGroup(members)
    for op in ops:
        assert _apply_group(g, op) == _apply_sequential(refs, op)
    # The members themselves were updated in place, exactly like the references.
    assert [t.challenge_bytes(b"end", 64) for t in members] == [
        t.challenge_bytes(b"end", 64) for t in refs
    ]


@pytest.mark.parametrize("prefix", range(150, 170))
def test_group_at_each_block_offset(prefix: int) -> None:
    # Equal states and equal lengths near R: the joint path at every block offset.
    members = [Transcript(b"boundary") for _ in range(3)]
    refs = [Transcript(b"boundary") for _ in range(3)]
    messages = [bytes([k]) * prefix for k in range(3)]
    g = TranscriptGroup(members)
    g.append_message(b"m", messages)
    for t, m in zip(refs, messages, strict=True):
        t.append_message(b"m", m)
    assert g.challenge_bytes(b"c", 200) == [t.challenge_bytes(b"c", 200) for t in refs]


def test_group_reproduces_merlin_published_vector() -> None:
    g = TranscriptGroup([Transcript(b"test protocol") for _ in range(3)])
    g.append_message(b"some label", [b"some data"] * 3)
    expected = bytes.fromhex("d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615")
    assert g.challenge_bytes(b"challenge", 32) == [expected] * 3


def test_group_permutes_equal_states_jointly(monkeypatch: pytest.MonkeyPatch) -> None:
    # The point of the group: K states at one position share each permutation.
    calls: list[int] = []
    real = keccak_f1600_many  # the function strobe calls, patched there below

    def spy(states: list[bytes]) -> list[bytes]:
        calls.append(len(states))
        out: list[bytes] = real(states)
        return out

    monkeypatch.setattr(strobe, "keccak_f1600_many", spy)
    # Packing is the pure-Python path; with the native permutation each state goes alone.
    monkeypatch.setattr(strobe, "_NATIVE", False)
    g = TranscriptGroup([Transcript(b"p") for _ in range(4)])
    g.append_message(b"m", [bytes([k]) * 400 for k in range(4)])  # crosses R twice
    g.challenge_bytes(b"c", 64)  # one forced permutation
    assert calls == [4, 4, 4]


def test_group_with_a_repeated_transcript_runs_the_loop() -> None:
    t, ref = Transcript(b"p"), Transcript(b"p")
    g = TranscriptGroup([t, t])
    g.append_message(b"m", [b"first" * 50, b"second"])
    ref.append_message(b"m", b"first" * 50)
    ref.append_message(b"m", b"second")
    out = g.challenge_bytes(b"c", 32)
    assert out == [ref.challenge_bytes(b"c", 32), ref.challenge_bytes(b"c", 32)]
    assert out[0] != out[1]


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.append_message(b"m", [b"a"]),
        lambda g: g.append_message(b"m", [b"a", "b"]),
        lambda g: g.append_message("m", [b"a", b"b"]),
        lambda g: g.append_u64(b"n", [1, -1]),
        lambda g: g.append_u64(b"n", [1, 2, 3]),
        lambda g: g.challenge_bytes(b"c", -1),
        lambda g: g.challenge_scalar("x"),
    ],
)
def test_group_bad_arguments_refused_before_any_change(
    call: Callable[[TranscriptGroup], object],
) -> None:
    members = [Transcript(b"p"), Transcript(b"p")]
    with pytest.raises(InvalidParameterError):
        call(TranscriptGroup(members))
    fresh = Transcript(b"p").challenge_bytes(b"c", 32)
    assert [t.challenge_bytes(b"c", 32) for t in members] == [fresh, fresh]


def test_group_refuses_non_transcripts() -> None:
    with pytest.raises(InvalidParameterError, match="member 1"):
        TranscriptGroup([Transcript(b"p"), b"p"])  # type: ignore[list-item]


# --- grouped replay in verify_batch -----------------------------------------------------

LABEL = b"solvency/v1/test lockstep"


def _proof(
    values: list[int], bits: int, seed: int, t: Transcript
) -> tuple[RangeProof, list[bytes]]:
    rng = make_rng(seed)
    return RangeProof.prove(values, random_scalar_list(rng, len(values)), bits, t, rng=rng)


def _context(k: int) -> Transcript:
    # Members with different prior states (e.g. tree nodes binding their own position).
    t = Transcript(LABEL)
    t.append_message(b"node", bytes(k))
    return t


@pytest.fixture(scope="module")
def proofs() -> list[tuple[RangeProof, list[bytes], int]]:
    shapes = [(8, 1), (8, 1), (16, 2), (8, 1), (16, 2)]
    out = []
    for k, (bits, m) in enumerate(shapes):
        proof, V = _proof([k + j for j in range(m)], bits, k, _context(k))
        out.append((proof, V, bits))
    return out


def test_grouped_replay_equals_naive_replay(
    proofs: list[tuple[RangeProof, list[bytes], int]],
) -> None:
    group_items = [bulletproofs._check_item((p, V, n, _context(k))) for k, (p, V, n) in
                   enumerate(proofs)]  # fmt: skip
    naive_items = [bulletproofs._check_item((p, V, n, _context(k))) for k, (p, V, n) in
                   enumerate(proofs)]  # fmt: skip
    grouped = bulletproofs._replay_all(group_items)
    naive = [bulletproofs._replay_naive(item) for item in naive_items]
    assert grouped == naive
    assert len({c.y for c in grouped}) == len(grouped)
    # And both leave every transcript in the same state.
    assert [i.transcript.challenge_bytes(b"end", 32) for i in group_items] == [
        i.transcript.challenge_bytes(b"end", 32) for i in naive_items
    ]


def test_batch_of_differing_contexts_verifies(
    proofs: list[tuple[RangeProof, list[bytes], int]],
) -> None:
    verify_batch([(p, V, n, _context(k)) for k, (p, V, n) in enumerate(proofs)])
    items = [(p, V, n, _context(k)) for k, (p, V, n) in enumerate(proofs)]
    items[2] = (items[2][0], items[2][1], items[2][2], _context(3))  # another node's context
    with pytest.raises(VerificationError):
        verify_batch(items)


def test_one_transcript_shared_by_consecutive_proofs() -> None:
    # Proofs made one after another on one transcript verify with one transcript object
    # passed twice: each replay starts where the previous one ended, as before grouping.
    t = Transcript(LABEL)
    p1, V1 = _proof([3], 8, 1, t)
    p2, V2 = _proof([4], 8, 2, t)
    tv = Transcript(LABEL)
    verify_batch([(p1, V1, 8, tv), (p2, V2, 8, tv)])
    tv = Transcript(LABEL)
    with pytest.raises(VerificationError):
        verify_batch([(p1, V1, 8, tv), (p2, V2, 8, Transcript(LABEL))])


def test_first_bad_item_decides_the_error(
    proofs: list[tuple[RangeProof, list[bytes], int]],
) -> None:
    p, V, n = proofs[0]
    bad_shape = (p, V, 7, Transcript(LABEL))
    not_a_proof = (b"x", V, n, Transcript(LABEL))
    with pytest.raises(VerificationError):
        verify_batch([bad_shape, not_a_proof])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterError):
        verify_batch([not_a_proof, bad_shape])  # type: ignore[list-item]


@pytest.mark.parametrize("lg_N", [0, 1, 4])
def test_ipp_scalars_equal_inner_product_verification_scalars(lg_N: int) -> None:
    N = 1 << lg_N
    rnd = random.Random(lg_N)
    a = [rnd.randrange(L) for _ in range(N)]
    b = [rnd.randrange(L) for _ in range(N)]
    G, H = generators.G_vec(N, 1), generators.H_vec(N, 1)
    proof = inner_product.prove(Transcript(b"ipp"), 5, [1] * N, [1] * N, [1] * N, G, H, a, b)
    t = Transcript(b"ipp")
    u = []
    for L_pt, R_pt in zip(proof.L_vec, proof.R_vec, strict=True):
        t.append_message(b"L", L_pt)
        t.append_message(b"R", R_pt)
        u.append(t.challenge_scalar(b"u"))
    expected = inner_product.verification_scalars(proof, N, Transcript(b"ipp"))
    assert inner_product.scalars_from_challenges(u, N) == expected


def test_ipp_scalars_refuse_a_zero_challenge() -> None:
    with pytest.raises(VerificationError):
        inner_product.scalars_from_challenges([3, 0], 4)


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 255))
@example(0)
def test_single_verify_takes_the_grouped_path(value: int) -> None:
    proof, V = _proof([value], 8, value, Transcript(LABEL))
    proof.verify(V, 8, Transcript(LABEL))
    with pytest.raises(VerificationError):
        proof.verify(V, 8, _context(1))
