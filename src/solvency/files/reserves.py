"""The reserves file, the ownership message and the balance snapshot (docs/PROTOCOL.md 11.1-11.2).

Reserves file (CSV, UTF-8, version 1). Line 1 is exactly ``# solvency-reserves v1``; then
the header

    asset,chain,address,balance,height,block_hash,scheme,message,signatures,script

and one row per (asset, chain, address). ``signatures`` holds the row's signatures separated by
``;`` (one for bip137 and eip191, up to 16 for multisig, none for custodial); ``message`` is
the signed text (CSV-quoted; it spans lines). Its JSON form, ``{"format": "solvency-reserves",
"version": 1, "rows": [...]}``, has the schema ``schemas/reserves-v1.json``, which is also the
one description of a CSV row's fields: every CSV row is checked against it.

The ownership message (section 11.1) binds the exchange, the epoch and the epoch's root hash,
so a signature cannot be replayed into another epoch:

    solvency proof of reserves v1
    exchange: <exchange name>
    epoch: <epoch id>
    root: <root hash, 64 lowercase hex digits>

(lines joined by ``\\n``, no final newline).

Balance snapshot (``--balances``; an auditor's export from their own node): CSV with the header
``asset,chain,address,balance,height``, one row per address.

Parsing is strict: errors name the file, the row (data rows count from 1, with the file line
where it starts) and the column; nothing is normalised. What the fields prove (addresses,
signatures, scripts) is ``solvency.circuits.ownership``'s job.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files import formats
from solvency.files.ledger import parse_amount

RESERVES_FORMAT = "solvency-reserves"
VERSION = 1
FIRST_LINE = "# solvency-reserves v1"
COLUMNS = (
    "asset",
    "chain",
    "address",
    "balance",
    "height",
    "block_hash",
    "scheme",
    "message",
    "signatures",
    "script",
)
SNAPSHOT_COLUMNS = ("asset", "chain", "address", "balance", "height")
MESSAGE_TITLE = "solvency proof of reserves v1"
MAX_EXCHANGE_CHARS = 64
#: A reserves file this large is refused rather than read (a few hundred bytes a row).
MAX_FILE_BYTES = 64 * 1024 * 1024

# The version as written: no leading zeros (not read as 1) and never int() (unbounded digits).
_VERSION_LINE_RE = re.compile(r"# solvency-reserves v(0|[1-9][0-9]*)")
_ROOT_HEX_RE = re.compile(r"[0-9a-f]{64}")
_EPOCH_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class ReservesFileError(MalformedInputError):
    """A reserves or snapshot file is refused; the message names file, row and column."""


# --- the ownership message ------------------------------------------------------------------


def ownership_message(exchange: str, epoch: str, root_hash: bytes) -> str:
    """The text every address signs for one epoch (section 11.1)."""
    _check_exchange(exchange)
    if not isinstance(epoch, str) or not _EPOCH_RE.fullmatch(epoch):
        raise MalformedInputError("epoch: expected 1-64 characters of A-Z a-z 0-9 . _ : -")
    if not isinstance(root_hash, bytes) or len(root_hash) != 32:
        raise MalformedInputError("root hash: expected 32 bytes")
    return "\n".join(
        (MESSAGE_TITLE, f"exchange: {exchange}", f"epoch: {epoch}", f"root: {root_hash.hex()}")
    )


@dataclass(frozen=True)
class OwnershipStatement:
    """What an ownership message says."""

    exchange: str
    epoch: str
    root_hash: bytes


def parse_ownership_message(text: str) -> OwnershipStatement:
    """Read an ownership message; MalformedInputError when it is not exactly the v1 form."""
    lines = text.split("\n")
    if len(lines) != 4 or lines[0] != MESSAGE_TITLE:
        raise MalformedInputError(f"message: not a {MESSAGE_TITLE!r} message of four lines")
    fields = []
    for line, key in zip(lines[1:], ("exchange", "epoch", "root"), strict=True):
        prefix = f"{key}: "
        if not line.startswith(prefix):
            raise MalformedInputError(f"message: expected a line starting {prefix!r}")
        fields.append(line[len(prefix) :])
    exchange, epoch, root = fields
    _check_exchange(exchange)
    if not _EPOCH_RE.fullmatch(epoch):
        raise MalformedInputError("message: the epoch is not a valid epoch id")
    if not _ROOT_HEX_RE.fullmatch(root):
        raise MalformedInputError("message: the root is not 64 lowercase hex digits")
    statement = OwnershipStatement(exchange, epoch, bytes.fromhex(root))
    if ownership_message(exchange, epoch, statement.root_hash) != text:
        raise MalformedInputError("message: not in canonical form")
    return statement


def _check_exchange(exchange: str) -> None:
    if (
        not isinstance(exchange, str)
        or not 1 <= len(exchange) <= MAX_EXCHANGE_CHARS
        or exchange != exchange.strip()
        or any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in exchange)
    ):
        raise MalformedInputError(
            f"exchange name: expected 1-{MAX_EXCHANGE_CHARS} printable characters, no "
            "surrounding spaces"
        )


# --- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReserveRow:
    """One reserves row as written (balance and height as their decimal strings)."""

    asset: str
    chain: str
    address: str
    balance: str
    height: int
    block_hash: str
    scheme: str
    message: str
    signatures: tuple[str, ...]
    script: str
    #: 1-based data-row number and the file line where the row starts (0 when not from a file).
    row: int = 0
    line: int = 0

    @property
    def where(self) -> str:
        return f"row {self.row} (line {self.line})" if self.line else f"row {self.row}"

    def units(self, decimals: int) -> int:
        """The balance in integer units; ReservesFileError naming the row otherwise."""
        try:
            return parse_amount(self.balance, decimals, self.asset)
        except MalformedInputError as e:
            raise ReservesFileError(f"{self.where}, column balance: {e}") from None

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "chain": self.chain,
            "address": self.address,
            "balance": self.balance,
            "height": str(self.height),
            "block_hash": self.block_hash,
            "scheme": self.scheme,
            "message": self.message,
            "signatures": list(self.signatures),
            "script": self.script,
        }

    def to_csv_fields(self) -> list[str]:
        d = self.to_json()
        d["signatures"] = ";".join(self.signatures)
        return [str(d[c]) for c in COLUMNS]

    @classmethod
    def from_json(cls, obj: object, row: int, line: int = 0) -> ReserveRow:
        where = f"row {row} (line {line})" if line else f"row {row}"
        try:
            formats.check_shape(obj, "reserves-v1.json#/$defs/row")
        except MalformedInputError as e:
            raise ReservesFileError(
                f"{where}, column {e}".replace("column document: ", "")
            ) from None
        d: dict[str, Any] = obj  # type: ignore[assignment]
        message = d["message"]
        if len(message.encode("utf-8")) > 4096:
            raise ReservesFileError(f"{where}, column message: longer than 4096 UTF-8 bytes")
        if any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in message):
            raise ReservesFileError(f"{where}, column message: contains a control character")
        return cls(
            asset=d["asset"],
            chain=d["chain"],
            address=d["address"],
            balance=d["balance"],
            height=int(d["height"]),
            block_hash=d["block_hash"],
            scheme=d["scheme"],
            message=message,
            signatures=tuple(d["signatures"]),
            script=d["script"],
            row=row,
            line=line,
        )


@dataclass(frozen=True)
class ReservesFile:
    """A whole reserves file: its rows in file order."""

    rows: tuple[ReserveRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RESERVES_FORMAT,
            "version": VERSION,
            "rows": [r.to_json() for r in self.rows],
        }

    @classmethod
    def from_json(cls, obj: object) -> ReservesFile:
        if isinstance(obj, dict) and obj.get("format") == RESERVES_FORMAT:
            version = obj.get("version")
            if isinstance(version, int) and not isinstance(version, bool) and version != VERSION:
                raise UnsupportedVersionError(
                    f"version: solvency-reserves version {version} is not supported "
                    f"(this release reads version {VERSION})"
                )
        # The envelope is checked here, each row against the row schema (errors name the row).
        if not isinstance(obj, dict):
            raise ReservesFileError("document: expected a JSON object")
        for key in sorted(obj):
            if key not in ("format", "version", "rows"):
                raise ReservesFileError(f"document: unknown key {key!r}")
        for key in ("format", "version", "rows"):
            if key not in obj:
                raise ReservesFileError(f"document: missing key {key!r}")
        formats.check_shape(obj["format"], "reserves-v1.json#/properties/format", "format")
        formats.check_shape(obj["version"], "reserves-v1.json#/properties/version", "version")
        if not isinstance(obj["rows"], list) or not obj["rows"]:
            raise ReservesFileError("rows: expected a non-empty list")
        d: dict[str, Any] = obj
        return cls(tuple(ReserveRow.from_json(r, i + 1) for i, r in enumerate(d["rows"])))

    def dumps_csv(self) -> bytes:
        out = io.StringIO()
        out.write(FIRST_LINE + "\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in self.rows:
            writer.writerow(r.to_csv_fields())
        return out.getvalue().encode("utf-8")

    @classmethod
    def loads_csv(cls, data: bytes, name: str = "reserves file") -> ReservesFile:
        text = _decode(data, name)
        first, sep, rest = text.partition("\n")
        m = _VERSION_LINE_RE.fullmatch(first)
        if not sep or m is None:
            raise ReservesFileError(f"{name}, line 1: expected {FIRST_LINE!r}")
        if m.group(1) != str(VERSION):
            raise UnsupportedVersionError(
                f"{name}, line 1: reserves file version {m.group(1)} is not supported "
                f"(this release reads version {VERSION})"
            )
        rows = []
        for n, line, fields in _csv_rows(rest, name, COLUMNS, first_line=2):
            d: dict[str, Any] = dict(zip(COLUMNS, fields, strict=True))
            sigs = d["signatures"]
            d["signatures"] = sigs.split(";") if sigs else []
            if any(s == "" for s in d["signatures"]):
                raise ReservesFileError(f"{name}, row {n} (line {line}), column signatures: empty")
            try:
                rows.append(ReserveRow.from_json(d, n, line))
            except ReservesFileError as e:
                raise ReservesFileError(f"{name}, {e}") from None
        if not rows:
            raise ReservesFileError(f"{name}: no rows")
        return cls(tuple(rows))


# --- the balance snapshot ---------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRow:
    asset: str
    chain: str
    address: str
    balance: str
    height: int
    row: int
    line: int


def read_snapshot(data: bytes, name: str = "balances file") -> tuple[SnapshotRow, ...]:
    """The auditor's snapshot: ``asset,chain,address,balance,height`` rows, keys distinct."""
    text = _decode(data, name)
    rows: list[SnapshotRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    row_schema = "reserves-v1.json#/$defs/row/properties/"
    for n, line, fields in _csv_rows(text, name, SNAPSHOT_COLUMNS, first_line=1):
        for col, value in zip(SNAPSHOT_COLUMNS, fields, strict=True):
            try:
                formats.check_shape(value, row_schema + col, col)
            except MalformedInputError as e:
                raise ReservesFileError(f"{name}, row {n} (line {line}), column {e}") from None
        asset, chain, address, balance, height = fields
        key = (asset, chain, address)
        if key in seen:
            raise ReservesFileError(
                f"{name}, row {n} (line {line}): {asset} at {address} on {chain} is also in row "
                f"{seen[key]}"
            )
        seen[key] = n
        rows.append(SnapshotRow(asset, chain, address, balance, int(height), n, line))
    return tuple(rows)


# --- CSV reading ------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ReservesFileError(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    if data.startswith(b"\xef\xbb\xbf"):
        raise ReservesFileError(f"{name}: starts with a byte-order mark")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ReservesFileError(f"{name}, line {line}: not UTF-8") from None
    if "\r" in text:
        raise ReservesFileError(f"{name}: carriage returns (use \\n line ends)")
    return text


def _csv_rows(
    text: str, name: str, columns: Sequence[str], first_line: int
) -> list[tuple[int, int, list[str]]]:
    """(row number, starting line, fields) of each data row after the exact header."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, int, list[str]]] = []
    start = first_line
    try:
        header = next(reader, None)
        if header is None:
            raise ReservesFileError(f"{name}: empty (expected the header {','.join(columns)})")
        if header != list(columns):
            raise ReservesFileError(
                f"{name}, line {start}: header must be exactly {','.join(columns)}"
            )
        start = first_line + reader.line_num
        for n, fields in enumerate(reader, start=1):
            if len(fields) != len(columns):
                raise ReservesFileError(
                    f"{name}, row {n} (line {start}): {len(fields)} fields, expected {len(columns)}"
                )
            out.append((n, start, fields))
            start = first_line + reader.line_num
    except csv.Error as e:
        raise ReservesFileError(f"{name}, line {first_line + reader.line_num - 1}: {e}") from None
    return out
