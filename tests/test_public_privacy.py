"""Property tests on random small ledgers, through the command line.

For every ledger: the root opens to the ledger's totals and the whole tree checks (audit
passes), every user's proof verifies and shows their balances, and the public files
(everything under public/) hold no user id, no balance or total and no user count.

Range proofs cost 40-140 ms each in Python, so the ledgers are tiny and examples few.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import load, make_keys, ok, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.files.ledger import AssetSpec, format_units

ASSET_POOL = (AssetSpec("BTC", 8), AssetSpec("GOLD", 0), AssetSpec("ETH", 18), AssetSpec("USDT", 6))
# Ids avoid hex digits and the letters of the files' key names, so a match means a leak.
ids = st.text(alphabet="ghjkmpqrswxyzé名_", min_size=6, max_size=12)
units = st.one_of(st.sampled_from([0, 1, 1000, 10**12]), st.integers(0, 10**12))
# Keys of root.json whose value may be a number: protocol parameters, none of them a count.
NUMBER_KEYS = {"version", "height", "range_bits", "decimals"}


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[tuple[AssetSpec, ...], dict[str, tuple[int, ...]], int]:
    assets = tuple(draw(st.lists(st.sampled_from(ASSET_POOL), min_size=1, max_size=2, unique=True)))
    users = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    balances = {u: tuple(draw(units) for _ in assets) for u in users}
    extra_height = draw(st.integers(0, 1))
    return assets, balances, extra_height


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_keys(tmp_path_factory.mktemp("privacy") / "keys")


def _ints(doc: Any, key: str = "") -> Iterator[tuple[str, int]]:
    """Every (key, value) of a JSON document whose value is a number."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _ints(v, k)
    elif isinstance(doc, list):
        for v in doc:
            yield from _ints(v, key)
    elif isinstance(doc, int | float) and not isinstance(doc, bool):
        yield key, int(doc)


def _appears(needle: str, haystack: bytes) -> bool:
    """``needle`` as a token of its own (JSON puts numbers between quotes, spaces or colons);
    long needles anywhere (a 10-digit string in random hex is a 2^-40 event)."""
    n = needle.encode()
    if len(needle) >= 10 and n in haystack:
        return True
    return (
        re.search(rb"(?<![0-9A-Za-z.])" + re.escape(n) + rb"(?![0-9A-Za-z.])", haystack) is not None
    )


def _check_public(
    public: Path, balances: dict[str, tuple[int, ...]], assets: tuple[AssetSpec, ...]
) -> None:
    files = {
        p.relative_to(public).as_posix(): p.read_bytes() for p in public.rglob("*") if p.is_file()
    }
    assert set(files) == {"root.json", "root.json.sig"}
    root = json.loads(files["root.json"])
    # The creation time is the clock's, not the ledger's; its digits ("2026") are not a leak.
    files["root.json"] = files["root.json"].replace(root["created"].encode(), b"")
    totals = [sum(b[k] for b in balances.values()) for k in range(len(assets))]
    secrets_ = list(balances)  # user ids
    for values in [*balances.values(), totals]:
        for a, v in zip(assets, values, strict=True):
            if v:
                secrets_ += [
                    s
                    for s in (str(v), format_units(v, a.decimals))
                    if sum(c.isdigit() for c in s) >= 4
                ]
    for name, data in files.items():
        for s in secrets_:
            assert not _appears(s, data), f"{s!r} found in public/{name}"
    # No count of users anywhere: the only numbers are protocol parameters.
    keys_with_numbers = {k for k, _ in _ints(root)}
    assert keys_with_numbers <= NUMBER_KEYS
    n = str(len(balances)).encode()
    for m in re.finditer(rb'"([^"]+)":\s*' + n + rb"(?![0-9])", files["root.json"]):
        assert m.group(1).decode() in NUMBER_KEYS
    text = files["root.json"].decode().lower()
    assert not any(w in text for w in ('"users"', "count", '"leaves"', '"nodes"'))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_random_ledger_audits_verifies_and_publishes_nothing_private(
    keys: Path, case: tuple[tuple[AssetSpec, ...], dict[str, tuple[int, ...]], int]
) -> None:
    assets, balances, extra_height = case
    n = len(balances)
    height = max(1, (2 * n - 1).bit_length()) + extra_height
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rows = [
            [u, *(format_units(v, a.decimals) for a, v in zip(assets, b, strict=True))]
            for u, b in balances.items()
        ]
        ledger = write_csv(tmp / "ledger.csv", ["user_id", *(a.symbol for a in assets)], rows)
        out = tmp / "epoch"
        asset_args = [x for a in assets for x in ("--asset", f"{a.symbol}:{a.decimals}")]
        built = json.loads(
            ok("build", ledger, "--epoch", "p", "--out", out, "--keys", keys, "--workers", "1",
               "--height", height, "--json", *asset_args).stdout
        )  # fmt: skip
        assert built["users"] == n and built["height"] == height
        root, pub = out / "public" / "root.json", keys / "signing.pub"
        ok("export-tree", out, "--out", tmp / "tree.sqlite")
        audit = json.loads(
            ok("audit", root, "--liabilities", out / "private" / "liabilities.json",
               "--tree", tmp / "tree.sqlite", "--pubkey", pub, "--json").stdout
        )  # fmt: skip
        assert [int(t["units"]) for t in audit["totals"]] == [
            sum(b[k] for b in balances.values()) for k in range(len(assets))
        ]
        assert audit["tree"]["leaves"] == n
        ok("prove", out, "--all", "--out", tmp / "proofs", "--keys", keys)
        seen = set()
        for f in (tmp / "proofs").iterdir():
            result = json.loads(
                ok("verify", f, "--root", root, "--pubkey", pub, "--json").stdout
            )  # fmt: skip
            assert result["status"] == "verified"
            user = load(f)["user_id"]
            assert [int(b["units"]) for b in result["balances"]] == list(balances[user])
            seen.add(user)
        assert seen == set(balances)
        _check_public(out / "public", balances, assets)


def test_the_privacy_check_catches_leaks(keys: Path, tmp_path: Path) -> None:
    """The check above is not vacuous: published totals and a stray file are caught."""
    assets = (AssetSpec("BTC", 8),)
    balances: dict[str, tuple[int, ...]] = {"gggggg": (123456,), "hhhhhh": (0,)}
    ledger = write_csv(
        tmp_path / "l.csv", ["user_id", "BTC"], [["gggggg", "0.00123456"], ["hhhhhh", "0"]]
    )
    out = tmp_path / "e"
    ok("build", ledger, "--epoch", "p", "--out", out, "--keys", keys, "--workers", "1",
       "--asset", "BTC:8")  # fmt: skip
    _check_public(out / "public", balances, assets)
    # A published root is never rewritten (test_rebuild.py): the totals go to another folder.
    with_totals = tmp_path / "e-totals"
    ok("build", ledger, "--epoch", "p", "--out", with_totals, "--keys", keys, "--workers", "1",
       "--asset", "BTC:8", "--publish-totals")  # fmt: skip
    with pytest.raises(AssertionError, match=re.escape("'123456' found in public/root.json")):
        _check_public(with_totals / "public", balances, assets)
    (out / "public" / "users.txt").write_text("gggggg\n")
    with pytest.raises(AssertionError):
        _check_public(out / "public", balances, assets)
    (out / "public" / "users.txt").unlink()
    doc = load(out / "public" / "root.json")
    doc["users"] = 2
    (out / "public" / "root.json").write_text(json.dumps(doc))
    with pytest.raises(AssertionError):
        _check_public(out / "public", balances, assets)
