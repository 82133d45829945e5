"""The libdecaf backend equals libsodium byte for byte: group law, multiplications (constant-
and variable-time), tables, Pippenger, the one-way map, and strict decoding; the backend is
chosen automatically and ``SOLVENCY_BACKEND`` overrides it."""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from typing import Any

import pytest
from conftest import SCALAR_EDGES
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solvency.crypto import group
from solvency.crypto.group import BASEPOINT, IDENTITY, L
from solvency.errors import MalformedInputError

D = pytest.importorskip("solvency.crypto.group_decaf", reason="libdecaf is not installed")


def _points(rnd: random.Random, n: int) -> list[bytes]:
    return [group._mul_base(rnd.randrange(1, L)) for _ in range(n)]


def test_constants_and_group_law_match_libsodium() -> None:
    assert D.encode(D.base()) == BASEPOINT
    assert D.encode(D.identity()) == IDENTITY
    rnd = random.Random(1)
    for k in [*SCALAR_EDGES, *(rnd.randrange(L) for _ in range(10))]:
        P = group._mul_base(rnd.randrange(1, L))
        dP = D.from_trusted(P)
        assert D.encode(D.mul_base(k)) == group._mul_base(k)
        assert D.encode(D.mul(k, dP)) == group._mul(k, P)
        assert D.encode(D.mul_vartime(k, dP)) == group._mul(k, P)
        assert D.encode(D.mul_table(k, D.table(dP))) == group._mul(k, P)
        assert D.encode(D.add(dP, D.base())) == group._add(P, BASEPOINT)
        assert D.encode(D.sub(dP, D.base())) == group._sub(P, BASEPOINT)
        assert D.encode(D.neg(dP)) == group._sub(IDENTITY, P)
    assert D.is_identity(D.sub(D.base(), D.base()))
    assert not D.is_identity(D.base())


def test_native_pippenger_is_built_with_the_native_keccak() -> None:
    # setup.py builds both extensions from the same compiler; one without the other means
    # the C Pippenger failed to build or to bind to libdecaf.
    keccak_built = importlib.util.find_spec("solvency.crypto._keccakf") is not None
    assert D.NATIVE_MSM == keccak_built


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 64, 161, 300, 1000])
def test_multiscalar_routines_equal_the_libsodium_twin(n: int) -> None:
    rnd = random.Random(n)
    ks = [rnd.choice(SCALAR_EDGES) if i % 5 == 0 else rnd.randrange(L) for i in range(n)]
    Ps = _points(rnd, n)
    if n > 2:
        Ps[1] = IDENTITY
    expected = group._msm_sodium(ks, Ps)
    dPs = [D.from_trusted(P) for P in Ps]
    assert D.encode(D.msm_ct(ks, dPs)) == expected
    assert D.encode(D.msm_vartime(ks, dPs)) == expected
    assert D.encode(D._pippenger(ks, dPs)) == expected
    assert D.encode(D.pippenger_native(ks, dPs)) == expected
    assert D.encode(D._msm_ct_py(ks, dPs)) == expected
    assert D.encode(D._msm_table_ct_py(ks, [D.table(P) for P in dPs])) == expected
    Qs = [D.mul_base(rnd.randrange(L)) for _ in range(n)]
    folded = [group._add(P, group._mul(k, D.encode(Q))) for k, P, Q in zip(ks, Ps, Qs, strict=True)]
    for fold in (D.fold_vartime(ks, dPs, Qs), D._fold_vartime_py(ks, dPs, Qs),
                 D.fold_table(ks, dPs, [D.table(Q) for Q in Qs])):  # fmt: skip
        assert [D.encode(R) for R in fold] == folded
    assert D.encode(D.msm_table_ct(ks, [D.table(P) for P in dPs])) == expected
    assert group._msm(ks, Ps) == expected
    bits = [rnd.randrange(2) for _ in range(n)]
    chosen = [P for b, P in zip(bits, Ps, strict=True) if b]
    assert D.encode(D.masked_sum(bits, dPs)) == group._sum_sodium(chosen)
    assert D.encode(D._masked_sum_py(bits, dPs)) == group._sum_sodium(chosen)
    for every in (0, 1):
        expected_all = group._sum_sodium(Ps if every else [])
        assert D.encode(D.masked_sum([every] * n, dPs)) == expected_all
    assert group._sum(chosen) == group._sum_sodium(chosen)


_native_only = pytest.mark.skipif(not D.NATIVE_MSM, reason="the C extension is not built")

#: Scalars whose signed digits hit the recoding's edges: zero, one, l - 1 and l - 2 (the top
#: digit's carry), 2^252 (only the top bit), all-ones runs (every digit carries), and the
#: largest digit values of each window.
_STRAUS_EDGES = (
    *SCALAR_EDGES,
    2**252 - 1,
    2**250 - 1,
    sum(8 << (4 * j) for j in range(62)),  # every w = 4 digit at +8: each becomes -8, carry
    sum(7 << (4 * j) for j in range(62)),  # every w = 4 digit at the largest positive value
    sum(16 << (5 * j) for j in range(50)),
)


def _straus_case(rnd: random.Random, n: int) -> tuple[list[int], list[Any], bytes]:
    ks = [_STRAUS_EDGES[i % len(_STRAUS_EDGES)] if i % 2 else rnd.randrange(L) for i in range(n)]
    Ps = _points(rnd, n)
    if n >= 3:
        Ps[0] = IDENTITY
        Ps[2] = Ps[1]  # the same point twice
    if n >= 4:
        Ps[3] = group._sub(IDENTITY, Ps[1])  # and its negation
    return ks, [D.from_trusted(P) for P in Ps], group._msm_sodium(ks, Ps)


@_native_only
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 16, 17, 40])
def test_straus_equals_the_paired_twin_and_libsodium(n: int) -> None:
    rnd = random.Random(100 + n)
    ks, dPs, expected = _straus_case(rnd, n)
    assert D.encode(D._msm_ct_py(ks, dPs)) == expected
    for w in (2, 3, 4, 5, 6):
        assert D.encode(D.straus_ct(ks, dPs, w)) == expected
    assert D.encode(D.msm_ct(ks, dPs)) == expected
    # Every scalar the same edge, including all zeros (the sum is then the identity).
    for k in _STRAUS_EDGES:
        expected_k = group._msm_sodium([k] * n, [D.encode(P) for P in dPs])
        assert D.encode(D.straus_ct([k] * n, dPs)) == expected_k
    # The fixed generators' Straus tables, below and above the Straus threshold.
    tables = [D.table(P) for P in dPs]
    assert all(T.straus for T in tables)
    assert D.encode(D.msm_table_ct(ks, tables)) == expected
    assert D.encode(D._msm_table_ct_py(ks, tables)) == expected
    straus = D.array("Q", [T.straus for T in tables])
    out = D.Point()
    D._native.straus_tabled_ct(out.p, straus, D._scalar_bytes(ks), D._STRAUS_TABLE_WINDOW)
    assert D.encode(out) == expected
    # libdecaf's own table of B gets a Straus table too (the inner product's Q = w B).
    k_B = rnd.randrange(L)
    with_B = group._add(expected, group._mul_base(k_B))
    assert D.BASE_TABLE.straus
    assert D.encode(D.msm_table_ct([*ks, k_B], [*tables, D.BASE_TABLE])) == with_B


def test_masked_sum_refuses_anything_but_bits() -> None:
    Ps = [D.base(), D.base()]
    for bad in ([0, 2], [1, 255], [0, -1], [256, 0]):
        with pytest.raises(MalformedInputError):
            D.masked_sum(bad, Ps)
    with pytest.raises(MalformedInputError):
        D.masked_sum([1], Ps)


@_native_only
def test_straus_refuses_unreduced_scalars_and_bad_windows() -> None:
    P = D.base()
    out = D.Point()
    addresses = D.array("Q", [P.p])
    for bad in (2**253, L + 2**253, 2**256 - 1):
        with pytest.raises(ValueError, match="below 2"):
            D._native.straus_ct(out.p, addresses, bad.to_bytes(32, "little"), 4)
    for w in (0, 1, 7):
        with pytest.raises(ValueError, match="window"):
            D._native.straus_ct(out.p, addresses, (5).to_bytes(32, "little"), w)
    with pytest.raises(ValueError, match="n addresses"):
        D._native.straus_ct(out.p, addresses, bytes(31), 4)
    with pytest.raises(ValueError, match="0 or 1"):  # the C masked sum checks on its own too
        D._native.masked_sum(out.p, addresses, bytes([2]))


@_native_only
@pytest.mark.parametrize(("n", "w"), [(1, 4), (7, 4), (7, 2), (20, 5), (3, 6)])
def test_straus_control_flow_does_not_depend_on_the_scalars(n: int, w: int) -> None:
    """The C loop counts its additions, doublings, negations, table entries scanned and
    digits recoded: the same for every choice of scalars (and as the method predicts)."""
    rnd = random.Random(n * 10 + w)
    Ps = [D.from_trusted(P) for P in _points(rnd, n)]
    half, count = 1 << (w - 1), -(-254 // w)
    predicted = (
        n * max(half - 2, 0) + n * count,  # table additions, then one per term and digit
        n * (half > 1) + w * (count - 1),  # table doublings, then w per digit but the top
        n * count,  # one negation per selected term
        n * count * half,  # every entry of the table read for every term
        n * count,
    )
    choices = [[0] * n, [1] * n, [L - 1] * n, [2**252] * n]
    choices += [[rnd.choice(_STRAUS_EDGES) for _ in range(n)] for _ in range(3)]
    choices += [[rnd.randrange(L) for _ in range(n)] for _ in range(3)]
    D.straus_counts()  # reset
    for ks in choices:
        D.straus_ct(ks, Ps, w)
        assert D.straus_counts() == predicted
    tables = [D.table(P) for P in Ps]
    tw = D._STRAUS_TABLE_WINDOW
    half, count = 1 << (tw - 1), -(-254 // tw)
    D.straus_counts()
    for ks in choices:
        out = D.Point()
        straus = D.array("Q", [T.straus for T in tables])
        D._native.straus_tabled_ct(out.p, straus, D._scalar_bytes(ks), tw)
        # The tables exist already: no table additions or doublings.
        assert D.straus_counts() == (
            n * count,
            tw * (count - 1),
            n * count,
            n * count * half,
            n * count,
        )


def test_one_way_map_matches_libsodium() -> None:
    rnd = random.Random(5)
    for _ in range(20):
        data = rnd.randbytes(64)
        assert D.encode(D.from_uniform(data)) == group._from_uniform(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=32, max_size=32))
@example(bytes(32))
@example(bytes(31) + b"\x80")
@example(BASEPOINT[:31] + bytes([BASEPOINT[31] | 0x80]))
@example(b"\xff" * 32)
@example(b"\xed" + b"\xff" * 30 + b"\x7f")  # p itself: non-canonical field element
def test_decoding_is_as_strict_as_libsodium(data: bytes) -> None:
    decoded = D.decode(data)
    assert (decoded is not None) == group._is_valid_sodium(data)
    assert group.is_valid_point(data) == group._is_valid_sodium(data)
    if decoded is not None:
        assert D.encode(decoded) == data


@pytest.mark.parametrize("native", [True, False])
def test_decode_many_equals_decode_one_by_one(
    native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not native:
        monkeypatch.setattr(D, "_native", None)  # the ctypes fallback
    rnd = random.Random(11)
    good = [*_points(rnd, 20), IDENTITY, BASEPOINT]
    decoded = D.decode_many(good)
    assert decoded is not None
    assert [D.encode(P) for P in decoded] == good
    assert D.decode_many([]) == []
    for bad in (BASEPOINT[:31] + bytes([BASEPOINT[31] | 0x80]), b"\xff" * 32, bytes(31)):
        for at in (0, 7, len(good)):
            data = [*good[:at], bad, *good[at:]]
            assert D.decode_many(data) is None
            assert any(D.decode(d) is None for d in data)


def test_decoding_refuses_every_flip_of_valid_points_that_libsodium_refuses() -> None:
    rnd = random.Random(9)
    for P in _points(rnd, 8):
        for i in range(256):
            bad = bytearray(P)
            bad[i // 8] ^= 1 << (i % 8)
            assert (D.decode(bytes(bad)) is not None) == group._is_valid_sodium(bytes(bad))
    with pytest.raises(MalformedInputError):
        D.from_trusted(bytes(31) + b"\x80")


# Hides libdecaf from a fresh interpreter: its soname does not open (as on a machine without
# the package) and, unless the path is given, find_library (the fallback) does not find it.
_HIDE_DECAF = """
import ctypes, ctypes.util
_cdll, _find = ctypes.CDLL, ctypes.util.find_library
class _CDLL(_cdll):
    def __init__(self, name, *a, **k):
        if name is not None and "decaf" in name and "/" not in name:
            raise OSError(name + ": hidden by the test")
        super().__init__(name, *a, **k)
def _find_library(n):
    if "decaf" in n:
        print("find_library", n)
        return FOUND
    return _find(n)
ctypes.CDLL, ctypes.util.find_library = _CDLL, _find_library
"""


def _decaf_path() -> str:
    """The file libdecaf was loaded from in this process (Linux: /proc/self/maps)."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = {line.split()[-1] for line in maps if "libdecaf" in line}
    assert len(paths) == 1, paths
    return paths.pop()


def _backend_in_subprocess(
    env_value: str | None, hide_decaf: bool = False, found: str | None = None
) -> tuple[int, str]:
    code = "from solvency.crypto import group; print(group.BACKEND)"
    if hide_decaf:
        code = _HIDE_DECAF.replace("FOUND", repr(found)) + code
    env = dict(os.environ)
    env.pop("SOLVENCY_BACKEND", None)
    if env_value is not None:
        env["SOLVENCY_BACKEND"] = env_value
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def test_backend_selection() -> None:
    assert _backend_in_subprocess(None) == (0, "decaf")
    assert _backend_in_subprocess("decaf") == (0, "decaf")
    assert _backend_in_subprocess("sodium") == (0, "sodium")
    # Without libdecaf the automatic choice falls back to libsodium ...
    assert _backend_in_subprocess(None, hide_decaf=True) == (0, "find_library decaf\nsodium")
    # ... but asking for it explicitly is an error naming the package.
    rc, out = _backend_in_subprocess("decaf", hide_decaf=True)
    assert rc != 0
    assert "apt-get install libdecaf0" in out
    # Where the soname does not open, find_library's answer is used (the fallback).
    found = _decaf_path()
    assert _backend_in_subprocess(None, hide_decaf=True, found=found) == (
        0,
        "find_library decaf\ndecaf",
    )
    rc, out = _backend_in_subprocess("fast")
    assert rc != 0
    assert "SOLVENCY_BACKEND must be" in out


_POOL_PROBE = """
from solvency.crypto import group
from solvency.epoch import parallel

def probe(_):
    from solvency.crypto import group as g
    return g.BACKEND

if __name__ == "__main__":
    with parallel.make_workers(2) as workers:
        seen = set(parallel.run_tasks(workers, probe, range(6)))
    print(group.BACKEND, sorted(seen))
"""


def _run_probe(script: str, source: str, choice: str, timeout: int) -> str:
    """Run ``source`` as the script ``script`` with SOLVENCY_BACKEND=``choice``: its output."""
    with open(script, "w") as f:
        f.write(source)
    env = {**os.environ, "SOLVENCY_BACKEND": choice}
    return subprocess.run(
        [sys.executable, script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    ).stdout.strip()


@pytest.mark.parametrize("choice", ["sodium", "decaf"])
def test_process_pool_workers_use_the_parents_backend(choice: str, tmp_path: object) -> None:
    out = _run_probe(f"{tmp_path}/probe.py", _POOL_PROBE, choice, 120)
    assert out == f"{choice} ['{choice}']"


_DASK_PROBE = """
import distributed
from solvency.crypto import group

def probe(_):
    from solvency.crypto import backend, group as g
    return g.BACKEND + "/" + backend.ACTIVE.name

if __name__ == "__main__":
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as cluster, distributed.Client(cluster) as client:
        seen = set(client.gather(client.map(probe, range(6), pure=False)))
    print(group.BACKEND, sorted(seen))
"""


@pytest.mark.parametrize("choice", ["sodium", "decaf"])
def test_dask_worker_processes_use_the_parents_backend(choice: str, tmp_path: object) -> None:
    pytest.importorskip("distributed")
    out = _run_probe(f"{tmp_path}/dask_probe.py", _DASK_PROBE, choice, 300)
    assert out == f"{choice} ['{choice}/{choice}']"


@pytest.mark.parametrize(("backend", "keccak"), [("sodium", "python"), ("decaf", "native")])
def test_version_names_the_backend_and_keccak(backend: str, keccak: str) -> None:
    pytest.importorskip("solvency.crypto._keccakf", reason="C extension not built")
    env = {**os.environ, "SOLVENCY_BACKEND": backend, "SOLVENCY_KECCAK": keccak}
    code = (
        "import sys; sys.argv = ['solvency', '--version']\n"
        "from solvency.cli.main import main; main()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out.endswith(f"(group backend: {backend}, Keccak: {keccak})")
