"""Transcripts replayed together: packed Keccak, joint STROBE steps, TranscriptGroup and the
batch verifier's grouped replay, each checked equal to its sequential twin byte for byte."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.errors import InvalidParameterError
from solvency.keccak import keccak_f1600, keccak_f1600_many, keccak_f1600_naive

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
