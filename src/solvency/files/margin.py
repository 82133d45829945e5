"""Margin parameters: per-asset prices and collateral haircuts, as exact integer weights
(docs/PROTOCOL.md section 10).

For assets ``k`` with decimals ``d_k`` (``D = max d_k``), a price ``p_k`` in one quote unit per
whole token (a decimal string with at most ``PRICE_DECIMALS`` = 8 fraction digits) and a
haircut ``h_k`` in ``[0, 1]`` (at most ``HAIRCUT_DECIMALS`` = 4 fraction digits), the weights
per smallest unit of asset ``k`` are the integers

    P_k = p_k * 10^8,   H_k = h_k * 10^4                       (exact: more digits are refused)
    w_k = P_k * 10^(D - d_k)                                   (value unit: 10^-(8 + D) quote)
    collateral weight  a_k = w_k * H_k                         (unit 10^-(12 + D) quote)
    debt weight        b_k = w_k * 10^4

so a user's margin surplus ``X = sum_k a_k e_k - sum_k b_k d_k`` (equity ``e_k``, debt ``d_k``)
is computed with no rounding at all: the weights are exact, so nothing is rounded in the
exchange's favour (collateral is never rounded up, debt never down). Nothing in the config is
silently rounded: a price or haircut with more digits than allowed is refused.

Bound: ``X`` is range-proven in ``[0, 2^128)`` as two 64-bit limbs (64 bits cannot hold the
dynamic range from one wei to a whale's account in 10^-(12 + D) quote units), and every
weight must stay below ``MAX_WEIGHT`` = 2^100 so that, with equity and debt below 2^64 and at
most 256 assets, ``|X| < 2^173``, far below ``l / 2`` (~2^251): a negative surplus cannot wrap
into the proven range. The build refuses a user whose collateral value ``sum_k a_k e_k``
reaches ``MAX_COLLATERAL_VALUE`` = 2^127 (one bit of margin below the proven 2^128), naming the
row; with ``D = 9`` that ceiling is about 1.7e17 quote units per user, with ``D = 18`` about
1.7e8 (count 18-decimal assets in gwei, as the examples do).

A margin tree has ``2a`` commitments per node (equity of every asset, then debt of every
asset), and the tree allows at most 64 per node, so a margin epoch has at most
``MAX_MARGIN_ASSETS`` = 32 assets.

``MarginParams`` is the ``margin`` object of the asset config (version 2), of the signed root
(``parameters.margin``) and of every user's proof file (section 10.5):
``{"quote": str, "collateral_bits": 128, "assets": [{"symbol", "price", "haircut"}]}``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files.ledger import (
    ASSET_CONFIG_FORMAT,
    AssetSpec,
    check_assets,
    load_asset_config,
    unique_keys,
)

PRICE_DECIMALS = 8
HAIRCUT_DECIMALS = 4
MAX_ASSETS = 256
MAX_MARGIN_ASSETS = 32
MAX_WEIGHT = 2**100
MAX_COLLATERAL_VALUE = 2**127
COLLATERAL_BITS = 128

_DECIMAL_RE = re.compile(r"(0|[1-9][0-9]{0,29})(?:\.([0-9]+))?")
_QUOTE_RE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,15}")


def _fixed(text: object, digits: int, where: str) -> int:
    """An exact decimal string as an integer times 10^digits; more digits are refused."""
    if not isinstance(text, str):
        raise MalformedInputError(f"{where}: expected a decimal string")
    m = _DECIMAL_RE.fullmatch(text)
    if m is None:
        raise MalformedInputError(f"{where}: expected a decimal string such as 1.25")
    whole, frac = m.group(1), m.group(2) or ""
    if len(frac) > digits:
        raise MalformedInputError(
            f"{where}: {len(frac)} fraction digits, at most {digits} allowed (never rounded)"
        )
    return int(whole + frac.ljust(digits, "0"))


@dataclass(frozen=True)
class MarginAsset:
    """One asset's price (quote units per whole token) and haircut, as given in the config."""

    symbol: str
    price: str
    haircut: str

    def __post_init__(self) -> None:
        AssetSpec(self.symbol, 0)  # the symbol rules
        _fixed(self.price, PRICE_DECIMALS, f"asset {self.symbol}: price")
        h = _fixed(self.haircut, HAIRCUT_DECIMALS, f"asset {self.symbol}: haircut")
        if h > 10**HAIRCUT_DECIMALS:
            raise MalformedInputError(f"asset {self.symbol}: haircut must be in [0, 1]")

    @property
    def price_fixed(self) -> int:
        return _fixed(self.price, PRICE_DECIMALS, "price")

    @property
    def haircut_fixed(self) -> int:
        return _fixed(self.haircut, HAIRCUT_DECIMALS, "haircut")


@dataclass(frozen=True)
class Weights:
    """The public weights of the collateral relation: ``a_k`` (equity) and ``b_k`` (debt)."""

    collateral: tuple[int, ...]
    debt: tuple[int, ...]

    def surplus(self, equity: Sequence[int], debt: Sequence[int]) -> int:
        """X = sum_k a_k e_k - sum_k b_k d_k (may be negative: the user is not covered)."""
        return sum(a * e for a, e in zip(self.collateral, equity, strict=True)) - sum(
            b * d for b, d in zip(self.debt, debt, strict=True)
        )


def margin_weights(assets: Sequence[AssetSpec], margin: Sequence[MarginAsset]) -> Weights:
    """The exact integer weights of the module docstring; refuses a config whose weights
    could let a weighted sum wrap (a weight >= 2^100 or more than 256 assets), naming the
    asset."""
    specs = check_assets(assets)
    if len(specs) > MAX_ASSETS:
        raise MalformedInputError(f"margin: at most {MAX_ASSETS} assets")
    if len(margin) != len(specs):
        raise MalformedInputError(f"margin: {len(margin)} prices for {len(specs)} assets")
    D = max(a.decimals for a in specs)
    a_w, b_w = [], []
    for spec, m in zip(specs, margin, strict=True):
        if not isinstance(m, MarginAsset) or m.symbol != spec.symbol:
            raise MalformedInputError(f"margin: expected the price of {spec.symbol} here")
        w = m.price_fixed * 10 ** (D - spec.decimals)
        a_k, b_k = w * m.haircut_fixed, w * 10**HAIRCUT_DECIMALS
        if b_k >= MAX_WEIGHT:
            raise MalformedInputError(
                f"asset {spec.symbol}: price too large for the 2^{COLLATERAL_BITS} bound "
                f"(weight >= 2^100); lower its decimals or the others'"
            )
        a_w.append(a_k)
        b_w.append(b_k)
    return Weights(tuple(a_w), tuple(b_w))


def value_decimals(assets: Sequence[AssetSpec]) -> int:
    """The decimals of a weighted sum: a_k e_k and b_k d_k are in 10^-(12 + D) quote units."""
    return PRICE_DECIMALS + HAIRCUT_DECIMALS + max(a.decimals for a in check_assets(assets))


def format_value(value: int, assets: Sequence[AssetSpec]) -> str:
    """A weighted sum in quote units, exactly, without trailing zeros (``"57000.5"``)."""
    D = value_decimals(assets)
    sign, v = ("-", -value) if value < 0 else ("", value)
    whole, frac = divmod(v, 10**D)
    text = str(frac).rjust(D, "0").rstrip("0")
    return f"{sign}{whole}" + (f".{text}" if text else "")


def check_covered(
    weights: Weights, equity: Sequence[int], debt: Sequence[int], row: int | None = None
) -> int:
    """The user's surplus X, after refusing a user whose debt is not covered (X < 0) or whose
    collateral value reaches 2^127; ``row`` names the ledger row in the error."""
    where = f"row {row}" if row is not None else "this user"
    value = sum(a * e for a, e in zip(weights.collateral, equity, strict=True))
    if value >= MAX_COLLATERAL_VALUE:
        raise MalformedInputError(f"{where}: collateral value reaches 2^127 (the proven bound)")
    X = weights.surplus(equity, debt)
    if X < 0:
        raise MalformedInputError(
            f"{where}: debt is not covered by haircut collateral; liquidate before publishing"
        )
    return X


def _keys(obj: object, keys: set[str], where: str) -> dict[str, Any]:
    """A JSON object with exactly ``keys`` (strict parsing: unknown and missing keys refused)."""
    if not isinstance(obj, dict):
        raise MalformedInputError(f"{where}: expected an object")
    extra, missing = sorted(set(obj) - keys), sorted(keys - set(obj))
    if extra:
        raise MalformedInputError(f"{where}: unknown key {extra[0]!r}")
    if missing:
        raise MalformedInputError(f"{where}: missing key {missing[0]!r}")
    return obj


@dataclass(frozen=True)
class MarginParams:
    """The public margin parameters of an epoch: the quote unit, and per asset (in the
    epoch's asset order) its price and haircut. Signed in the root (section 10.5)."""

    quote: str
    assets: tuple[MarginAsset, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.quote, str) or not _QUOTE_RE.fullmatch(self.quote):
            raise MalformedInputError("margin.quote: expected 1-16 characters of A-Z 0-9 . _ -")
        assets = tuple(self.assets)
        if not assets:
            raise MalformedInputError("margin.assets: at least one asset is required")
        if len(assets) > MAX_MARGIN_ASSETS:
            raise MalformedInputError(
                f"margin.assets: at most {MAX_MARGIN_ASSETS} assets (2a commitments per node)"
            )
        for i, m in enumerate(assets):
            if not isinstance(m, MarginAsset):
                raise MalformedInputError(f"margin.assets[{i}]: expected a MarginAsset")
        object.__setattr__(self, "assets", assets)

    def check_assets(self, assets: Sequence[AssetSpec]) -> None:
        """Refuse margin parameters that do not list exactly ``assets``, in order."""
        specs = check_assets(assets)
        if tuple(m.symbol for m in self.assets) != tuple(a.symbol for a in specs):
            raise MalformedInputError(
                "margin.assets: must list the assets "
                + ",".join(a.symbol for a in specs)
                + " in that order"
            )

    def weights(self, assets: Sequence[AssetSpec]) -> Weights:
        """The exact weights a_k, b_k for ``assets`` (section 10.2)."""
        self.check_assets(assets)
        return margin_weights(assets, self.assets)

    def to_json(self) -> dict[str, Any]:
        return {
            "quote": self.quote,
            "collateral_bits": COLLATERAL_BITS,
            "assets": [
                {"symbol": m.symbol, "price": m.price, "haircut": m.haircut} for m in self.assets
            ],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "margin") -> MarginParams:
        d = _keys(obj, {"quote", "collateral_bits", "assets"}, where)
        bits = d["collateral_bits"]
        if not isinstance(bits, int) or isinstance(bits, bool) or bits != COLLATERAL_BITS:
            raise MalformedInputError(f"{where}.collateral_bits: must be {COLLATERAL_BITS}")
        items = d["assets"]
        if not isinstance(items, list):
            raise MalformedInputError(f"{where}.assets: expected a list")
        assets = []
        for i, item in enumerate(items):
            a = _keys(item, {"symbol", "price", "haircut"}, f"{where}.assets[{i}]")
            try:
                assets.append(MarginAsset(a["symbol"], a["price"], a["haircut"]))
            except MalformedInputError as e:
                raise MalformedInputError(f"{where}.assets[{i}]: {e}") from None
        try:
            return cls(d["quote"], tuple(assets))
        except MalformedInputError as e:
            raise MalformedInputError(f"{where}: {e}") from None


@dataclass(frozen=True)
class AssetConfig:
    """An asset config file: the assets, and the margin parameters when margin is enabled."""

    assets: tuple[AssetSpec, ...]
    margin: MarginParams | None = None


def load_config(path: str | os.PathLike[str]) -> AssetConfig:
    """Read an asset config: version 1 (``solvency.files.ledger.load_asset_config``) or
    version 2, which adds ``"margin": null | {"quote", "collateral_bits": 128, "assets":
    [{"symbol", "price", "haircut"}]}`` and so enables signed (margin) ledgers. Errors name
    the file and the asset."""
    name = os.fspath(path)
    try:
        doc = json.loads(Path(path).read_bytes().decode("utf-8"), object_pairs_hook=unique_keys)
    except (UnicodeDecodeError, json.JSONDecodeError, MalformedInputError) as e:
        raise MalformedInputError(f"{name}: not valid UTF-8 JSON: {e}") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    if version != 2:
        return AssetConfig(load_asset_config(path))
    try:
        d = _keys(doc, {"format", "version", "assets", "margin"}, "config")
        if d["format"] != ASSET_CONFIG_FORMAT:
            raise MalformedInputError(f"format must be {ASSET_CONFIG_FORMAT!r}")
        items = d["assets"]
        if not isinstance(items, list):
            raise MalformedInputError("assets: expected a list")
        specs = check_assets(
            tuple(AssetSpec.from_json(a, f"assets[{i}]") for i, a in enumerate(items))
        )
        margin = None if d["margin"] is None else MarginParams.from_json(d["margin"])
        if margin is not None:
            margin.weights(specs)  # the 2^100 weight bound, named by asset
    except UnsupportedVersionError:
        raise
    except MalformedInputError as e:
        raise MalformedInputError(f"{name}: {e}") from None
    return AssetConfig(specs, margin)


def split_signed(units: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Signed ledger units -> (equity e_k, debt d_k): e_k = max(u_k, 0), d_k = max(-u_k, 0)."""
    return tuple(max(u, 0) for u in units), tuple(max(-u, 0) for u in units)
