"""The libsodium backend's constant-time routines (docs/PROTOCOL.md 1.1): what they call into
libsodium must not depend on the secret scalars or bits.

A zero scalar is the case that matters: a zero balance or a padding leaf commits to v = 0,
and a multiplication skipped for it would tell those leaves apart by time. These tests count
the libsodium calls each routine makes, for zero, one, minus one and random scalars, and check
the results against the variable-time twin and plain arithmetic.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from solvency.crypto import backend, group
from solvency.crypto.group import IDENTITY, L
from solvency.errors import MalformedInputError

EDGE_SCALARS = [0, 1, 2, L - 1, L - 2, 2**252, 2**252 - 1]


def _points(n: int) -> list[bytes]:
    return [group._mul_base(secrets.randbelow(L - 1) + 1) for _ in range(n)]


@contextmanager
def _counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Count every call into libsodium's multiplications, additions and subtractions."""
    calls: Counter[str] = Counter()
    for name in ("_c_mul", "_c_mul_base", "_c_add", "_c_sub"):
        real = getattr(group, name)

        def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(group, name, counted)
    yield calls
    monkeypatch.undo()


def _calls(monkeypatch: pytest.MonkeyPatch, run: Any) -> Counter[str]:
    with _counting(monkeypatch) as calls:
        run()
    return calls


@pytest.mark.parametrize("k", EDGE_SCALARS)
def test_mul_equals_repeated_addition_and_counts_do_not_depend_on_k(
    k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    (P,) = _points(1)
    # k P for small k by addition; for the others through k = -(L - k)
    expected = {
        0: IDENTITY,
        1: P,
        2: group._add(P, P),
        L - 1: group._sub(IDENTITY, P),
        L - 2: group._sub(IDENTITY, group._add(P, P)),
    }
    if k in expected:
        assert group._mul(k, P) == expected[k]
        assert group._mul_base(k) == group._msm_sodium_vartime([k], [group.BASEPOINT])
    reference = _calls(monkeypatch, lambda: group._mul(12345, P))
    assert _calls(monkeypatch, lambda: group._mul(k, P)) == reference == Counter(_c_mul=1)
    base_reference = _calls(monkeypatch, lambda: group._mul_base(12345))
    assert _calls(monkeypatch, lambda: group._mul_base(k)) == base_reference
    assert base_reference == Counter(_c_mul_base=1)


def test_msm_sodium_equals_vartime_twin_on_edge_and_random_scalars() -> None:
    n = len(EDGE_SCALARS)
    Ps = [*_points(n - 1), IDENTITY]
    for ks in (
        EDGE_SCALARS,
        [0] * n,
        [1] * n,
        [L - 1] * n,
        [secrets.randbelow(L) for _ in range(n)],
    ):
        assert group._msm_sodium(ks, Ps) == group._msm_sodium_vartime(ks, Ps)
        assert group._msm_sodium(ks, Ps) == group._msm_naive(ks, Ps)


def test_msm_sodium_makes_the_same_calls_whatever_the_scalars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = 6
    Ps = _points(n)
    scalar_sets: Sequence[list[int]] = [
        [0] * n,
        [1] * n,
        [L - 1] * n,
        [0, 1, L - 1, 2, 0, 5],
        [secrets.randbelow(L) for _ in range(n)],
    ]
    counts = [_calls(monkeypatch, lambda ks=ks: group._msm_sodium(ks, Ps)) for ks in scalar_sets]
    assert all(c == Counter(_c_mul=n, _c_add=n) for c in counts), counts
    # The variable-time twin does skip: the test can tell the two apart.
    vartime = _calls(monkeypatch, lambda: group._msm_sodium_vartime([0] * n, Ps))
    assert vartime != counts[0]


def test_masked_sum_on_sodium_is_the_sum_of_chosen_points_in_the_same_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ops = backend.SODIUM
    n = 8
    Ps = _points(n)
    bit_sets = [[0] * n, [1] * n, [1, 0] * (n // 2), [secrets.randbelow(2) for _ in range(n)]]
    counts = []
    for bits in bit_sets:
        chosen = [P for b, P in zip(bits, Ps, strict=True) if b]
        assert ops.masked_sum(bits, Ps) == group._sum_sodium(chosen)
        counts.append(_calls(monkeypatch, lambda bits=bits: ops.masked_sum(bits, Ps)))
    assert all(c == counts[0] for c in counts), counts
    for bad in ([2] + [0] * (n - 1), [-1] + [0] * (n - 1)):
        with pytest.raises(MalformedInputError, match="bits must be 0 or 1"):
            ops.masked_sum(bad, Ps)
    with pytest.raises(MalformedInputError, match="differ in length"):
        ops.masked_sum([1], Ps)


def test_constant_time_routines_refuse_invalid_points() -> None:
    bad = bytes([1]) + bytes(31)  # not a canonical encoding of any point
    assert not group.is_valid_point(bad)
    with pytest.raises(MalformedInputError):
        group._mul(5, bad)
    with pytest.raises(MalformedInputError):
        group._msm_sodium([0, 0], [_points(1)[0], bad])
