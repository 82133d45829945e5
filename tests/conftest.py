"""Shared test helpers: a deterministic rng and hypothesis strategies with edge examples.

Test modules import the helpers below with ``from conftest import ...`` (pytest puts this
directory on sys.path because tests/ is not a package).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import strategies as st

from solvency.crypto import derive
from solvency.crypto.group import L
from solvency.errors import InvalidUserIdError
from solvency.files import formats

Rng = Callable[[int], bytes]


def make_rng(seed: int | bytes) -> Rng:
    """A reproducible stand-in for ``secrets.token_bytes``: SHAKE-256 in counter mode.

    Every call returns fresh bytes (a counter advances), and two rngs built from the same
    seed return the same sequence, so proofs built with them are byte-identical.
    """
    key = seed if isinstance(seed, bytes) else seed.to_bytes(16, "little")
    counter = 0

    def rng(n: int) -> bytes:
        nonlocal counter
        counter += 1
        return hashlib.shake_256(b"solvency-test-rng" + key + counter.to_bytes(8, "little")).digest(
            n
        )

    return rng


@pytest.fixture(autouse=True)
def _schema_errors_as_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every schema check of every test also runs jsonschema, the reference of
    ``solvency.files.schema_check``, and fails the test unless both give the same errors
    (keyword, field path, message, subschema) in the same order: so every malformed-file
    test and every file the suite reads or writes compares the two."""
    from schema_reference import reference_errors, summary

    ours = formats.schema_errors

    def both(obj: object, ref: str) -> list[Any]:
        errors = ours(obj, ref)
        theirs = reference_errors(obj, ref)
        assert summary(errors) == summary(theirs), f"schema_check differs from jsonschema: {ref}"
        return errors

    monkeypatch.setattr(formats, "schema_errors", both)


@pytest.fixture
def rng() -> Rng:
    """A fresh deterministic rng per test."""
    return make_rng(2024)


#: Scalars mod l, with the values where modular code tends to break drawn first.
SCALAR_EDGES = (0, 1, 2, L - 1, L - 2, (L - 1) // 2, 2**64 - 1, 2**252)
scalars = st.one_of(st.sampled_from(SCALAR_EDGES), st.integers(min_value=0, max_value=L - 1))
nonzero_scalars = scalars.filter(lambda k: k != 0)


def allowed_user_id(uid: str) -> bool:
    """Whether ``uid`` follows docs/PROTOCOL.md section 2.1 (``derive.check_user_id``)."""
    try:
        derive.check_user_id(uid)
    except InvalidUserIdError:
        return False
    return True


def user_ids(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """User ids the protocol allows: printable, NFC, nothing invisible; inner spaces drawn."""
    alphabet = st.characters(
        exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")
    ) | st.just(" ")
    return st.text(alphabet, min_size=min_size, max_size=max_size).filter(allowed_user_id)


def values_in_range(bits: int) -> st.SearchStrategy[int]:
    """Ints in [0, 2^bits), edges 0, 1 and 2^bits - 1 first."""
    top = (1 << bits) - 1
    return st.one_of(st.sampled_from((0, 1, top, top - 1)), st.integers(0, top))


def random_scalar_list(rng: Rng, count: int) -> list[int]:
    """``count`` uniform scalars from ``rng`` (64 bytes each, reduced mod l)."""
    return [int.from_bytes(rng(64), "little") % L for _ in range(count)]
