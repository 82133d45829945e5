"""Synthetic ledgers for the demo, the tests and the benchmarks.

Balances follow a rough power law (most users hold little, a few hold a lot) and some are
zero, as on a real exchange. The output is a valid ledger CSV (docs/PROTOCOL.md section 2);
a seed makes it reproducible. Rows are written as they are made, so a ledger of millions of
users takes no memory.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from pathlib import Path

from solvency.errors import InvalidParameterError
from solvency.files import secure_io
from solvency.files.margin import Weights


def synthetic_amount(rnd: random.Random, decimals: int, scale_units: int, cap_units: int) -> str:
    """One decimal amount with at most ``decimals`` fraction digits and at most ``cap_units``."""
    if rnd.random() < 0.1:
        units = 0
    else:
        # Pareto-like: most balances are small, a few are large.
        units = min(int(scale_units * rnd.paretovariate(1.2)) - scale_units, cap_units)
    whole, frac = divmod(max(units, 0), 10**decimals)
    return f"{whole}.{frac:0{decimals}d}" if decimals else str(whole)


def _write_rows(
    path: str | Path,
    users: int,
    assets: Sequence[tuple[str, int]],
    seed: int,
    cap_bits: int,
    amounts: Callable[[random.Random, Sequence[int], int], list[str]],
) -> None:
    """What both writers share: the header, then a row a user, ``user-<seed>-<i>`` and the
    ``amounts(rnd, scales, cap)`` drawn for that user. Every per-asset total must stay below
    2^64 (the protocol refuses more): each balance is capped at ``2^cap_bits / users``, and the
    typical balance (``scales``, one an asset) is kept well below that cap."""
    rnd = random.Random(seed)  # noqa: S311 - test data, reproducible by seed
    cap = (1 << cap_bits) // users
    scales = [min(10 ** max(decimals - 2, 0), max(cap // 100, 1)) for _, decimals in assets]
    with (
        secure_io.open_private_writer(path) as raw,  # a ledger: balances are private
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh,
    ):
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["user_id", *(symbol for symbol, _ in assets)])
        for i in range(users):
            writer.writerow([f"user-{seed}-{i:08d}", *amounts(rnd, scales, cap)])


def write_synthetic_ledger(
    path: str | Path,
    users: int,
    assets: Sequence[tuple[str, int]],
    seed: int = 0,
) -> None:
    """Write a ledger of ``users`` rows with columns ``user_id`` and one per asset."""
    if users < 1:
        raise InvalidParameterError("a ledger needs at least one user")
    if not assets:
        raise InvalidParameterError("a ledger needs at least one asset")

    def amounts(rnd: random.Random, scales: Sequence[int], cap: int) -> list[str]:
        return [
            synthetic_amount(rnd, decimals, scale, cap)
            for (_, decimals), scale in zip(assets, scales, strict=True)
        ]

    _write_rows(path, users, assets, seed, 63, amounts)


def write_synthetic_margin_ledger(
    path: str | Path,
    users: int,
    assets: Sequence[tuple[str, int]],
    weights: Weights,
    seed: int = 0,
    borrowers: float = 0.3,
) -> None:
    """A margin ledger (docs/PROTOCOL.md section 10.1): like ``write_synthetic_ledger``, and a
    fraction ``borrowers`` of the users owes one asset they hold none of, for a debt value
    between zero and their whole haircut collateral value (a tenth borrow exactly that:
    exact cover), so every user is covered and the ledger builds."""
    if users < 1:
        raise InvalidParameterError("a ledger needs at least one user")
    if len(weights.debt) != len(assets) or len(assets) < 2:
        raise InvalidParameterError("a margin ledger needs two assets or more, one weight each")

    def amounts(rnd: random.Random, scales: Sequence[int], cap: int) -> list[str]:
        units = [int(synthetic_amount(rnd, 0, scale, cap)) for scale in scales]
        if rnd.random() < borrowers:
            k = rnd.randrange(len(assets))
            units[k] = 0
            value = sum(a * e for a, e in zip(weights.collateral, units, strict=True))
            most = min(value // weights.debt[k], cap)
            units[k] = -(most if rnd.random() < 0.1 else rnd.randint(0, most))
        row = []
        for (_, decimals), u in zip(assets, units, strict=True):
            whole, frac = divmod(abs(u), 10**decimals)
            sign = "-" if u < 0 else ""
            row.append(f"{sign}{whole}.{frac:0{decimals}d}" if decimals else f"{sign}{whole}")
        return row

    _write_rows(path, users, assets, seed, 62, amounts)
