"""The exchange's ledger: a CSV of user balances, read exactly (docs/PROTOCOL.md section 2).

A ledger has the header ``user_id,<ASSET_1>,...,<ASSET_a>`` and one row per user. Each asset
``k`` has a configured number of decimals ``d_k`` (0..18); an amount is a decimal string
``^[0-9]+(\\.[0-9]+)?$`` and is converted exactly, by string arithmetic and never through a
float, to the integer

    units_k = amount_k * 10^d_k.

Everything the protocol refuses is refused here with the row and column named: amounts with
more fraction digits than ``d_k``, negative, exponent, empty, padded or non-numeric amounts;
duplicate user ids and ids that break the rule of section 2.1 (``derive.check_user_id``: NFC,
no invisible, format, bidi-control or control characters, at most 256 UTF-8 bytes);
rows with the wrong number of fields; a header that does not match the configured
assets; an empty ledger; bytes that are not UTF-8; and a per-asset total ``>= 2^64`` (section 5:
the root's range proof must exist).

Reading streams the file: memory stays constant apart from the map of seen user ids (needed to
name the earlier row of a duplicate), which holds each id string and its row number, roughly
``N * (100 + len(id))`` bytes for ``N`` users: about 150 MB for 1 million ids of 50 bytes.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from solvency.crypto.derive import check_user_id
from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files import secure_io

#: Amounts, per-user balances and per-asset totals are proven in [0, 2^64) (section 5).
MAX_UNITS = 2**64 - 1
MAX_DECIMALS = 18
#: The longest line read: far above any valid row (256-byte id, 64 assets of 40 digits).
MAX_LINE_BYTES = 1 << 16
ASSET_CONFIG_FORMAT = "solvency-assets"

_SYMBOL_RE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,15}")
_AMOUNT_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_DECIMALS_RE = re.compile(r"[0-9]{1,2}")
# Echoed input is cut short so a garbage field does not flood the terminal.
_ECHO_CHARS = 40


class Hasher(Protocol):
    """What ``iter_ledger`` feeds the bytes it reads to (any ``hashlib`` object)."""

    def update(self, data: bytes, /) -> None: ...


class LedgerError(MalformedInputError):
    """A ledger file is refused; ``row`` is the 1-based line (header = 1), ``column`` the header
    name of the field at fault (``None`` when the whole row or file is at fault)."""

    def __init__(self, message: str, row: int | None, column: str | None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class AssetSpec:
    """One configured asset: its ledger column name and its number of decimals ``d_k``."""

    symbol: str
    decimals: int

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not _SYMBOL_RE.fullmatch(self.symbol):
            raise MalformedInputError(
                f"asset symbol {_echo(self.symbol)}: expected 1-16 characters of "
                "A-Z 0-9 . _ - starting with a letter or digit"
            )
        if (
            not isinstance(self.decimals, int)
            or isinstance(self.decimals, bool)
            or not 0 <= self.decimals <= MAX_DECIMALS
        ):
            raise MalformedInputError(
                f"asset {self.symbol}: decimals must be an integer in 0..{MAX_DECIMALS}"
            )

    @classmethod
    def parse(cls, text: str) -> AssetSpec:
        """Parse ``SYMBOL:DECIMALS`` as given on the command line, e.g. ``BTC:8``."""
        if not isinstance(text, str):
            raise MalformedInputError("asset: expected a string like BTC:8")
        symbol, sep, decimals = text.partition(":")
        if not sep:
            raise MalformedInputError(
                f"asset {_echo(text)}: expected SYMBOL:DECIMALS, e.g. BTC:8 (missing ':')"
            )
        if not _DECIMALS_RE.fullmatch(decimals):
            raise MalformedInputError(
                f"asset {_echo(text)}: decimals {_echo(decimals)} is not an integer in "
                f"0..{MAX_DECIMALS}"
            )
        return cls(symbol, int(decimals))

    def to_json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "decimals": self.decimals}

    @classmethod
    def from_json(cls, obj: object, where: str = "asset") -> AssetSpec:
        """Strictly parse ``{"symbol": str, "decimals": int}``; errors name ``where``."""
        if not isinstance(obj, dict):
            raise MalformedInputError(f"{where}: expected an object")
        keys = set(obj)
        if keys != {"symbol", "decimals"}:
            extra = sorted(keys - {"symbol", "decimals"})
            missing = sorted({"symbol", "decimals"} - keys)
            problem = f"unknown key {extra[0]!r}" if extra else f"missing key {missing[0]!r}"
            raise MalformedInputError(f"{where}: {problem}")
        symbol, decimals = obj["symbol"], obj["decimals"]
        if not isinstance(symbol, str):
            raise MalformedInputError(f"{where}.symbol: expected a string")
        if not isinstance(decimals, int) or isinstance(decimals, bool):
            raise MalformedInputError(f"{where}.decimals: expected an integer")
        try:
            return cls(symbol, decimals)
        except MalformedInputError as e:
            raise MalformedInputError(f"{where}: {e}") from None


@dataclass(frozen=True)
class LedgerRow:
    """One user's balances in integer units, in asset order; ``row`` is the file line."""

    user_id: str
    units: tuple[int, ...]
    row: int


@dataclass(frozen=True)
class Ledger:
    """A whole ledger held in memory (``iter_ledger`` streams instead)."""

    assets: tuple[AssetSpec, ...]
    rows: tuple[LedgerRow, ...]

    @property
    def totals(self) -> tuple[int, ...]:
        """Per-asset sums of all users' units."""
        return tuple(sum(r.units[k] for r in self.rows) for k in range(len(self.assets)))


def check_assets(assets: Sequence[AssetSpec]) -> tuple[AssetSpec, ...]:
    """Check an asset list (non-empty, AssetSpec items, distinct symbols) and return it."""
    result = tuple(assets)
    if not result:
        raise MalformedInputError("asset list: at least one asset is required")
    seen: set[str] = set()
    for i, a in enumerate(result):
        if not isinstance(a, AssetSpec):
            raise MalformedInputError(f"asset list: item {i} is not an AssetSpec")
        if a.symbol in seen:
            raise MalformedInputError(f"asset list: symbol {a.symbol} appears twice")
        seen.add(a.symbol)
    return result


def parse_amount(text: str, decimals: int, symbol: str | None = None) -> int:
    """Convert a decimal string exactly to integer units: ``amount * 10^decimals``.

    Accepts ``^[0-9]+(\\.[0-9]+)?$`` with at most ``decimals`` fraction digits and a result
    below 2^64; everything else raises MalformedInputError saying what is wrong (``symbol``,
    when given, names the asset in the message).
    """
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise MalformedInputError("decimals must be an integer")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise MalformedInputError(f"decimals must be in 0..{MAX_DECIMALS}")
    if not isinstance(text, str):
        raise MalformedInputError("amount: expected a string")
    asset = symbol if symbol is not None else "this asset"
    m = _AMOUNT_RE.fullmatch(text)
    if m is None:
        raise MalformedInputError(_amount_problem(text))
    whole, fraction = m.group(1), m.group(2) or ""
    if len(fraction) > decimals:
        raise MalformedInputError(
            f"{_digits(text)} has {len(fraction)} decimals, {asset} allows {decimals}"
        )
    # Bound the digit count before int(): any value with more than 20 significant integer
    # digits is >= 10^20 > 2^64 anyway.
    if len(whole.lstrip("0")) > 20:
        raise MalformedInputError(f"{_digits(text)} exceeds the maximum of 2^64 - 1 units")
    # amount * 10^d by moving the decimal point: append the fraction padded to d digits.
    units = int(whole + fraction.ljust(decimals, "0"))
    if units > MAX_UNITS:
        raise MalformedInputError(f"{_digits(text)} exceeds the maximum of 2^64 - 1 units")
    return units


def format_units(units: int, decimals: int) -> str:
    """The exact decimal string of ``units / 10^decimals`` with exactly ``decimals`` fraction
    digits: ``format_units(150000000, 8) == "1.50000000"``; the inverse of ``parse_amount``."""
    if not isinstance(units, int) or isinstance(units, bool) or units < 0:
        raise MalformedInputError("units must be a non-negative integer")
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise MalformedInputError("decimals must be an integer")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise MalformedInputError(f"decimals must be in 0..{MAX_DECIMALS}")
    digits = str(units)
    if decimals == 0:
        return digits
    digits = digits.rjust(decimals + 1, "0")
    return f"{digits[:-decimals]}.{digits[-decimals:]}"


def iter_ledger(
    path: str | os.PathLike[str],
    assets: Sequence[AssetSpec],
    check_duplicates: bool = True,
    digest: Hasher | None = None,
    signed: bool = False,
) -> Iterator[LedgerRow]:
    """Stream and check a ledger CSV, yielding one LedgerRow per user.

    Raises LedgerError (a MalformedInputError) naming file, row and column at the first
    problem; the per-asset totals are checked as rows go by, so a caller that writes as it
    reads must still be ready to discard its output when an error comes late.
    With ``check_duplicates=False`` no id map is kept (constant memory); the caller must then
    refuse duplicate ids itself (the builder's staging table does, with a primary key).

    ``path`` must be a regular file (a folder, device or FIFO is refused before any read). The
    file is read once, line by line, each line at most ``MAX_LINE_BYTES``: a bad row fails as
    soon as it is read, whatever follows it. ``digest`` (a ``hashlib`` object), when given, is
    fed every byte as it is read, so after the last row it holds the hash of the whole file.

    With ``signed`` (margin enabled, docs/PROTOCOL.md section 10.1) an amount may carry a
    leading ``-``: that user's debt in the asset; the units are then negative. The totals of
    equity and of debt are each kept below 2^64 per asset. ``-0`` is refused (a debt of zero
    is written ``0``).
    """
    specs = check_assets(assets)
    name = os.fspath(path)
    expected_header = ["user_id", *(a.symbol for a in specs)]
    totals = [0] * len(specs)
    debt_totals: list[int] | None = [0] * len(specs) if signed else None
    seen: dict[str, int] | None = {} if check_duplicates else None
    rows = 0
    import csv  # not loaded by commands that read no ledger (``solvency verify``)

    with secure_io.open_regular_file(path, "ledger") as fh:
        reader = csv.reader(_decoded_lines(fh, name, digest), strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise LedgerError(
                    f"{name}: the file is empty, expected the header {','.join(expected_header)}",
                    None,
                    None,
                )
            _check_header(name, header, expected_header)
            for fields in reader:
                row = reader.line_num
                yield _check_row(
                    name, row, fields, specs, expected_header, totals, seen, debt_totals
                )
                rows += 1
        except csv.Error as e:
            row = reader.line_num
            raise LedgerError(f"{name} row {row}: bad CSV: {e}", row, None) from None
    if not rows:
        raise LedgerError(
            f"{name}: the ledger has no user rows (an empty ledger is refused)", None, None
        )


def read_ledger(path: str | os.PathLike[str], assets: Sequence[AssetSpec]) -> Ledger:
    """Read and check a whole ledger into memory."""
    rows = tuple(iter_ledger(path, assets))
    return Ledger(assets=tuple(assets), rows=rows)


def write_ledger(
    path: str | os.PathLike[str], assets: Sequence[AssetSpec], rows: Iterable[LedgerRow]
) -> None:
    """Write a ledger CSV that ``iter_ledger`` reads back to the same units (examples, tests)."""
    import csv

    specs = check_assets(assets)
    with (
        secure_io.open_private_writer(path) as raw,  # balances: private (0600)
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh,
    ):
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["user_id", *(a.symbol for a in specs)])
        for r in rows:
            check_user_id(r.user_id)
            if len(r.units) != len(specs):
                raise MalformedInputError(
                    f"user {r.user_id!r}: {len(r.units)} balances for {len(specs)} assets"
                )
            writer.writerow(
                [
                    r.user_id,
                    *(format_units(u, a.decimals) for u, a in zip(r.units, specs, strict=True)),
                ]
            )


def load_asset_config(path: str | os.PathLike[str]) -> tuple[AssetSpec, ...]:
    """Read ``{"format": "solvency-assets", "version": 1, "assets": [{"symbol", "decimals"}]}``,
    the file alternative to repeated ``--asset SYMBOL:DECIMALS`` options."""
    name = os.fspath(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedInputError(f"{name}: not UTF-8") from None
    try:
        doc = json.loads(text, object_pairs_hook=unique_keys)
    except (json.JSONDecodeError, MalformedInputError) as e:
        raise MalformedInputError(f"{name}: not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise MalformedInputError(f"{name}: expected a JSON object")
    if doc.get("format") != ASSET_CONFIG_FORMAT:
        raise MalformedInputError(f"{name}: format must be {ASSET_CONFIG_FORMAT!r}")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MalformedInputError(f"{name}: version must be an integer")
    if version != 1:
        raise UnsupportedVersionError(
            f"{name}: version {version} is not supported (expected 1, or 2 with margin)"
        )
    extra = sorted(set(doc) - {"format", "version", "assets"})
    if extra:
        raise MalformedInputError(f"{name}: unknown key {extra[0]!r}")
    if "assets" not in doc:
        raise MalformedInputError(f"{name}: missing key 'assets'")
    items = doc["assets"]
    if not isinstance(items, list):
        raise MalformedInputError(f"{name}: assets: expected a list")
    specs = tuple(AssetSpec.from_json(a, f"{name}: assets[{i}]") for i, a in enumerate(items))
    try:
        return check_assets(specs)
    except MalformedInputError as e:
        raise MalformedInputError(f"{name}: {e}") from None


# --- internals -------------------------------------------------------------------------------


def _decoded_lines(fh: BinaryIO, name: str, digest: Hasher | None) -> Iterator[str]:
    """Decode the file line by line so a non-UTF-8 byte is reported with its line number.

    Splitting on b"\\n" is safe: no UTF-8 multi-byte sequence contains that byte. A line
    longer than any valid row is refused before the rest of it is read.
    """
    lineno = 0
    while raw := fh.readline(MAX_LINE_BYTES + 1):
        lineno += 1
        if digest is not None:
            digest.update(raw)
        if len(raw) > MAX_LINE_BYTES:
            raise LedgerError(
                f"{name} row {lineno}: longer than {MAX_LINE_BYTES} bytes (not a ledger row)",
                lineno,
                None,
            )
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise LedgerError(
                f"{name} row {lineno}: not UTF-8 (bad byte at offset {e.start} of the line)",
                lineno,
                None,
            ) from None
        if lineno == 1 and line.startswith("\ufeff"):
            line = line[1:]  # spreadsheet programs write a byte-order mark; it is not data
        yield line


def _check_header(name: str, header: list[str], expected: list[str]) -> None:
    if header == expected:
        return
    want = ",".join(expected)
    if len(header) != len(expected):
        raise LedgerError(
            f"{name} row 1: the header has {len(header)} columns, expected {len(expected)}: {want}",
            1,
            None,
        )
    i = next(i for i, (h, e) in enumerate(zip(header, expected, strict=True)) if h != e)
    raise LedgerError(
        f"{name} row 1, column {i + 1}: header says {_echo(header[i])}, expected {expected[i]!r}"
        f" (configured assets, in order: {want})",
        1,
        expected[i],
    )


def duplicate_id_error(name: str, row: int, user_id: str, earlier: int) -> LedgerError:
    """The error for a user id seen before, naming both rows."""
    return LedgerError(
        f"{name} row {row}, column user_id: duplicate user id {_echo(user_id)} "
        f"(first seen in row {earlier})",
        row,
        "user_id",
    )


def _check_row(
    name: str,
    row: int,
    fields: list[str],
    specs: tuple[AssetSpec, ...],
    header: list[str],
    totals: list[int],
    seen: dict[str, int] | None,
    debt_totals: list[int] | None = None,
) -> LedgerRow:
    if len(fields) != len(header):
        what = "an empty line" if not fields else f"{len(fields)} fields"
        raise LedgerError(
            f"{name} row {row}: {what}, expected {len(header)} ({','.join(header)})", row, None
        )
    user_id = fields[0]
    try:
        check_user_id(user_id)
    except MalformedInputError as e:
        raise LedgerError(f"{name} row {row}, column user_id: {e}", row, "user_id") from None
    if seen is not None:
        earlier = seen.get(user_id)
        if earlier is not None:
            raise duplicate_id_error(name, row, user_id, earlier)
        seen[user_id] = row
    units: list[int] = []
    for k, (spec, text) in enumerate(zip(specs, fields[1:], strict=True)):
        debt = debt_totals is not None and text.startswith("-")
        try:
            u = parse_amount(text[1:] if debt else text, spec.decimals, spec.symbol)
            if debt and u == 0:
                raise MalformedInputError(f"{_digits(text)} is a negative zero; write 0")
        except MalformedInputError as e:
            raise LedgerError(
                f"{name} row {row}, column {spec.symbol}: {e}", row, spec.symbol
            ) from None
        sums, what = (debt_totals, "debt") if debt and debt_totals is not None else (totals, "")
        sums[k] += u
        if sums[k] > MAX_UNITS:
            raise LedgerError(
                f"{name} row {row}, column {spec.symbol}: the {spec.symbol} {what or 'total'}"
                f"{' total' if what else ''} reaches 2^64 units (the protocol proves totals in"
                " [0, 2^64))",
                row,
                spec.symbol,
            )
        units.append(-u if debt else u)
    return LedgerRow(user_id=user_id, units=tuple(units), row=row)


def _amount_problem(text: str) -> str:
    """Say why ``text`` is not a plain decimal amount."""
    shown = _echo(text)
    if text == "":
        return "empty amount"
    if text != text.strip():
        return f"{shown} has surrounding whitespace"
    if text.startswith("-"):
        return f"{shown} is negative (debts need margin enabled in the asset config)"
    if text.startswith("+"):
        return f"{shown} has a sign; write plain digits"
    if re.fullmatch(r"[0-9]*\.?[0-9]*[eE][+-]?[0-9]+", text):
        return f"{shown} uses an exponent; write the amount out in full"
    return f"{shown} is not a decimal number (expected digits with an optional '.' fraction)"


def _echo(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _ECHO_CHARS else text[: _ECHO_CHARS - 3] + "..."


def _digits(text: str) -> str:
    """A well-formed amount is shown as written (digits and a dot only), cut short if long."""
    return text if len(text) <= _ECHO_CHARS else text[: _ECHO_CHARS - 3] + "..."


def unique_keys(pairs: list[tuple[str, Any]], where: str = "") -> dict[str, Any]:
    """``json.loads`` object hook refusing a key given twice (strict parsing of every file)."""
    result: dict[str, Any] = {}
    for k, v in pairs:
        if k in result:
            raise MalformedInputError(f"{where}duplicate key {k!r}")
        result[k] = v
    return result
