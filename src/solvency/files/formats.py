"""The JSON files of a proof-of-liabilities epoch (docs/PROTOCOL.md section 8).

- ``RootFile``: ``public/root.json`` (8.1), the signed root: for each asset ``k`` the root
  commitment ``C_k(root)`` and the root hash ``h(root)``, plus the parameters a verifier needs.
- ``LiabilitiesFile``: ``private/liabilities.json`` (8.2), the opening of the root,
  ``C_k(root) = Com(total_k, R_k)``, which the auditor checks (section 7).
- ``InclusionProofFile``: a user's proof (8.3): ``user_secret``, balances, ``position`` and the
  ``H`` siblings ``(C^sib, h^sib, range proof)`` from the leaf level up to the root.

Every file is a frozen dataclass. ``to_json`` gives the JSON object and ``dumps`` its canonical
bytes (keys sorted, two-space indent, UTF-8, final newline), the exact bytes that are signed.

One description of each file: its JSON Schema (draft 2020-12) in ``solvency/files/schemas/``,
shipped with the package and read by ``load_schema``. Parsing validates the document against
it (keys, types, patterns, lengths, bounds; ``true`` is not an integer and neither is ``5.0``)
with ``solvency.files.schema_check``, a validator of the keywords our schemas use that gives
``jsonschema``'s errors (that module says why it is not ``jsonschema``, measured, and how the
tests keep the two equal), and this module adds only what a schema cannot express: canonical
ristretto255 points, scalars ``< l``, units ``< 2^64``, counts that must equal the number of
assets, ``position < 2^height``, distinct symbols, the user id rules, and amounts equal to
their units. Errors are MalformedInputError naming the field path
(``path[3].commitments[0]: ...``); a ``version`` other than 1 raises UnsupportedVersionError
before anything else. Constructing a dataclass directly runs the same checks (its ``to_json``
is validated against the same schema), so a file that is built can also be read back.

Version 2 of the root, liabilities and inclusion proof files is a margin epoch (section 10.5):
the same shapes with 2a commitments per node (equity of every asset, then debt), the signed
margin parameters, signed balances, the side (equity or debt) of every total, and the user's
and the leaf-level sibling's collateral proofs. A file says its version; version 1 files keep
reading and verifying exactly as before.

Range proofs stay opaque bytes here (length a multiple of 32, at least 7 * 32); parsing them is
``solvency.crypto.bulletproofs``'s job.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from solvency.crypto import group
from solvency.crypto.derive import check_user_id
from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files import schema_check
from solvency.files.ledger import (
    MAX_UNITS,
    AssetSpec,
    check_assets,
    format_units,
    unique_keys,
)
from solvency.files.margin import MarginParams

VERSION = 1
#: The margin versions of the root, liabilities and inclusion proof files (section 10.5).
MARGIN_VERSION = 2
SIDES = ("equity", "debt")
ROOT_FORMAT = "solvency-root"
LIABILITIES_FORMAT = "solvency-liabilities"
INCLUSION_PROOF_FORMAT = "solvency-inclusion-proof"
HASH_NAME = "sha256"
HASH_BYTES = 32
SECRET_BYTES = 32
MAX_HEIGHT = 64
#: Bit sizes an aggregated range proof can use; the protocol uses 64 (section 5).
RANGE_BITS = (8, 16, 32, 64)
#: A dalek range proof is A, S, T_1, T_2, t_x, t_x_blinding, e_blinding and then the
#: inner-product proof: a whole number of 32-byte elements, at least these 7.
MIN_RANGE_PROOF_BYTES = 7 * 32
MAX_TOOL_CHARS = 200

#: Schema file of each (format, version).
SCHEMA_FILES = {
    (ROOT_FORMAT, 1): "root-v1.json",
    (LIABILITIES_FORMAT, 1): "liabilities-v1.json",
    (INCLUSION_PROOF_FORMAT, 1): "inclusion-proof-v1.json",
    (ROOT_FORMAT, 2): "root-v2.json",
    (LIABILITIES_FORMAT, 2): "liabilities-v2.json",
    (INCLUSION_PROOF_FORMAT, 2): "inclusion-proof-v2.json",
    # Proof of reserves (solvency.files.reserves and .solvencyproof, docs/PROTOCOL.md 11).
    ("solvency-reserves", 1): "reserves-v1.json",
    ("solvency-reserves-proof", 1): "reserves-proof-v1.json",
    # The epoch log's files (solvency.files.logfiles, docs/PROTOCOL.md section 9).
    ("solvency-log", 1): "log-v1.json",
    ("solvency-log-inclusion-proof", 1): "log-inclusion-proof-v1.json",
    ("solvency-log-consistency-proof", 1): "log-consistency-proof-v1.json",
    # The commands' --json outputs have schemas here too (<command>-result-v1.json), read by
    # solvency.cli.reporting, which owns them.
}

# The schemas' patterns are anchored with ^...$; these re-check what Python's `$` lets through
# (a final newline) wherever a string is decoded.
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")
_UNITS_RE = re.compile(r"0|[1-9][0-9]{0,19}")
_SIGNED_UNITS_RE = re.compile(r"0|-?[1-9][0-9]{0,19}")

_T = TypeVar("_T")


# --- the schemas ------------------------------------------------------------------------------


def load_schema(format_name: str, version: int = VERSION) -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of a file format, e.g. ``load_schema("solvency-root")``."""
    name = SCHEMA_FILES.get((format_name, version))
    if name is None:
        raise MalformedInputError(f"no schema for format {format_name!r} version {version}")
    return _schema_text(name)


@functools.cache
def _schema_json(name: str) -> str:
    return schema_check.read_schema(name)


def _schema_text(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_schema_json(name))
    return schema


@functools.cache
def _schemas() -> schema_check.Schemas:
    """Every file format's schema, checked once for keywords the validator does not handle."""
    return schema_check.Schemas.from_texts(
        {name: _schema_json(name) for name in sorted(set(SCHEMA_FILES.values()))}
    )


def schema_errors(obj: object, ref: str) -> list[schema_check.SchemaError]:
    """Every error of ``obj`` against the schema at ``ref`` (``"root-v1.json#/$defs/asset"``),
    in jsonschema's order (tests compare them with jsonschema's own)."""
    return list(_schemas().iter_errors(obj, ref))


def _path(where: str, parts: Sequence[str | int]) -> str:
    out = where
    for p in parts:
        out = f"{out}[{p}]" if isinstance(p, int) else (f"{out}.{p}" if out else p)
    return out or "document"


_TYPE_NAMES = {
    "integer": "an integer",
    "string": "a string",
    "array": "a list",
    "object": "a JSON object",
    "null": "null",
}


def _message(error: Any, where: str) -> str:
    """One line naming the field path and what the schema expects there."""
    at = _path(where, list(error.absolute_path))
    schema = error.schema if isinstance(error.schema, dict) else {}
    kw, value, instance = error.validator, error.validator_value, error.instance
    if kw == "additionalProperties":
        known = schema.get("properties", {})
        return f"{at}: unknown key {sorted(k for k in instance if k not in known)[0]!r}"
    if kw == "required":
        return f"{at}: missing key {next(k for k in value if k not in instance)!r}"
    if "description" in schema:
        return f"{at}: expected {schema['description']}"
    if kw == "type":
        names = [value] if isinstance(value, str) else list(value)
        return f"{at}: expected {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}"
    if kw in ("minimum", "maximum"):
        return f"{at}: must be in {schema.get('minimum', '')}..{schema.get('maximum', '')}"
    if kw in ("minLength", "maxLength"):
        return (
            f"{at}: expected {schema.get('minLength', 0)}-{schema.get('maxLength', '')} characters"
        )
    if kw == "minItems":
        return f"{at}: at least {'one is' if value == 1 else f'{value} are'} required"
    if kw == "maxItems":
        return f"{at}: at most {value} items"
    if kw == "const":
        return f"{at}: expected {value!r}"
    if kw == "enum":
        return f"{at}: must be one of {tuple(value)}"
    return f"{at}: {error.message}"


# Set while a document that has passed its schema is decoded: its parts and the dataclasses
# built from them are not validated again (a height-32 proof parses in ~3 ms, not ~14 ms).
_SHAPE_CHECKED: contextvars.ContextVar[bool] = contextvars.ContextVar("shape", default=False)


@contextlib.contextmanager
def _checked(obj: object, ref: str, where: str) -> Iterator[None]:
    """Validate ``obj`` (unless an enclosing document was), then decode it without re-checks."""
    if _SHAPE_CHECKED.get():
        yield
        return
    check_shape(obj, ref, where)
    token = _SHAPE_CHECKED.set(True)
    try:
        yield
    finally:
        _SHAPE_CHECKED.reset(token)


def check_shape(obj: object, ref: str, where: str = "") -> None:
    """Validate ``obj`` against the schema at ``ref``; raise MalformedInputError naming the
    first field at fault (the shallowest, in the schema's order)."""
    errors = schema_errors(obj, ref)
    if errors:
        first = min(errors, key=lambda e: len(e.absolute_path))
        raise MalformedInputError(_message(first, where))


# --- what a schema cannot say, and the conversions to and from JSON ---------------------------


def _field(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _at(where: str) -> str:
    return where or "document"


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _tuple(value: object, where: str) -> tuple[Any, ...]:
    """Sequences given to a constructor are stored as tuples (the dataclasses are frozen)."""
    if not isinstance(value, tuple | list):
        raise MalformedInputError(f"{where}: expected a sequence")
    return tuple(value)


def _hex_of(value: object, where: str) -> str:
    if not isinstance(value, bytes):
        raise MalformedInputError(f"{where}: expected bytes")
    return value.hex()


def _check_point(value: object, where: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != group.POINT_BYTES:
        raise MalformedInputError(f"{where}: expected a {group.POINT_BYTES}-byte point")
    if not group.is_valid_point(value):
        raise MalformedInputError(f"{where}: not a canonical ristretto255 point")
    return value


def _check_points(value: object, where: str) -> tuple[bytes, ...]:
    cs = _tuple(value, where)
    for i, C in enumerate(cs):
        _check_point(C, f"{where}[{i}]")
    return cs


def _check_scalar(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < group.L:
        raise MalformedInputError(f"{where}: expected a scalar in [0, l)")
    return value


def _check_units(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_UNITS:
        raise MalformedInputError(f"{where}: expected an integer in [0, 2^64)")
    return value


def _check_count(items: Sequence[object], a: int, what: str, where: str) -> None:
    if len(items) != a:
        raise MalformedInputError(f"{where}: {len(items)} {what} for {a} assets")


def _check_asset_list(value: object, where: str) -> tuple[AssetSpec, ...]:
    try:
        return check_assets(_tuple(value, where))
    except MalformedInputError as e:
        raise MalformedInputError(f"{where}: {e}") from None


def _check_instances(value: object, cls: type[_T], where: str) -> tuple[_T, ...]:
    items = _tuple(value, where)
    for i, item in enumerate(items):
        if not isinstance(item, cls):
            raise MalformedInputError(f"{where}[{i}]: expected a {cls.__name__}")
    return items


def _check_created(value: object, where: str) -> None:
    """The schema gives the form; this checks the date exists (no 30 February)."""
    if isinstance(value, str):
        try:
            datetime.datetime.fromisoformat(value)
        except ValueError:
            raise MalformedInputError(f"{where}: not a valid date and time") from None


def _check_tool(value: object, where: str) -> None:
    if isinstance(value, str) and any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise MalformedInputError(f"{where}: contains a control character")


def _check_symbols(symbols: Sequence[str], assets: Sequence[AssetSpec], where: str) -> None:
    if len(symbols) != len(assets):
        raise MalformedInputError(f"{where}: {len(symbols)} entries for {len(assets)} assets")
    for i, (s, a) in enumerate(zip(symbols, assets, strict=True)):
        if s != a.symbol:
            raise MalformedInputError(f"{where}[{i}].symbol: expected {a.symbol!r}")


def _unhex(value: str, where: str) -> bytes:
    """Hex the schema has accepted (``_HEX_RE`` again: ``bytes.fromhex`` skips whitespace)."""
    if not _HEX_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected lowercase hex digits, an even number")
    return bytes.fromhex(value)


def _scalar_hex(value: str, where: str) -> int:
    return group.decode_scalar(_unhex(value, where), where)


def _units_str(value: str, where: str) -> int:
    """Units are decimal strings (JSON numbers lose precision above 2^53 in many readers)."""
    if not _UNITS_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected a decimal string without leading zeros")
    return _check_units(int(value), where)


def _units_json(value: object, where: str) -> str:
    return str(_check_units(value, where))


def _margin_of(value: object, assets: Sequence[AssetSpec], where: str) -> MarginParams:
    if not isinstance(value, MarginParams):
        raise MalformedInputError(f"{where}: expected MarginParams")
    try:
        value.weights(assets)
    except MalformedInputError as e:
        raise MalformedInputError(f"{where}: {e}") from None
    return value


def _signed_units_str(value: str, where: str) -> int:
    if not _SIGNED_UNITS_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected a decimal string without leading zeros")
    return _check_signed_units(int(value), where)


def _check_signed_units(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not abs(value) <= MAX_UNITS:
        raise MalformedInputError(f"{where}: expected an integer in (-2^64, 2^64)")
    return value


def format_signed_units(units: int, decimals: int) -> str:
    """``format_units`` with a ``-`` for a debt."""
    return ("-" if units < 0 else "") + format_units(abs(units), decimals)


def _check_sides(sides: Sequence[str | None], a2: int, where: str) -> None:
    """A margin file's totals: the equity of every asset, then the debt of every asset."""
    a = a2 // 2
    expected = ["equity"] * a + ["debt"] * a
    if a2 % 2 or list(sides) != expected:
        raise MalformedInputError(
            f"{where}: expected the equity of every asset, then the debt of every asset"
        )


def _amount_matches(amount: str, units: int, decimals: int, where: str) -> None:
    """The human-readable amount must be exactly ``units`` written with ``decimals`` digits."""
    if amount != format_units(units, decimals):
        raise MalformedInputError(f"{where}: does not equal units written with {decimals} decimals")


def _assets_of(items: Sequence[dict[str, Any]]) -> tuple[AssetSpec, ...]:
    return tuple(AssetSpec(a["symbol"], a["decimals"]) for a in items)


def _header(value: object, where: str, fmt: str, versions: tuple[int, ...] = (VERSION,)) -> int:
    """Check ``format`` and ``version`` before anything else, so a newer file is reported as an
    unsupported version rather than as unknown keys."""
    if not isinstance(value, dict):
        raise MalformedInputError(f"{_at(where)}: expected a JSON object")
    if "format" not in value:
        raise MalformedInputError(f"{_at(where)}: missing key 'format'")
    if value["format"] != fmt:
        raise MalformedInputError(f"{_field(where, 'format')}: expected {fmt!r}")
    if "version" not in value:
        raise MalformedInputError(f"{_at(where)}: missing key 'version'")
    version = value["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise MalformedInputError(f"{_field(where, 'version')}: expected an integer")
    if version not in versions:
        raise UnsupportedVersionError(
            f"{_field(where, 'version')}: {fmt} version {version} is not supported "
            f"(this release reads version {' and '.join(map(str, versions))})"
        )
    return version


def _build(where: str, make: Callable[[], _T]) -> _T:
    """Run a constructor and put ``where`` in front of the field path of its error."""
    try:
        return make()
    except UnsupportedVersionError:
        raise
    except MalformedInputError as e:
        raise MalformedInputError(f"{where}.{e}" if where else str(e)) from None


def decode_json(data: bytes | str) -> object:
    """Strict JSON: UTF-8, no duplicate keys, no NaN or Infinity."""
    return _decode_json(data)


def _decode_json(data: bytes | str) -> object:
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedInputError(f"document: not UTF-8 (byte {e.start})") from None
    elif isinstance(data, str):
        text = data
    else:
        raise MalformedInputError("document: expected bytes or str")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except MalformedInputError:
        raise
    except RecursionError:
        raise MalformedInputError("document: nested too deeply") from None
    except ValueError as e:
        raise MalformedInputError(f"document: not valid JSON: {e}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return unique_keys(pairs, "document: ")


def _no_constant(name: str) -> Any:
    raise MalformedInputError(f"document: {name} is not allowed")


class _Json:
    """Canonical bytes, strict parsing and the schema check on top of ``to_json``."""

    #: ``file#/pointer`` of this document's schema.
    SCHEMA: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def _schema_ref(self) -> str:
        return self.SCHEMA

    def _check_shape(self) -> None:
        if not _SHAPE_CHECKED.get():
            check_shape(self.to_json(), self._schema_ref())

    def dumps(self) -> bytes:
        """Canonical encoding: keys sorted, indent 2, UTF-8 (not \\u escapes), final newline."""
        text = json.dumps(self.to_json(), sort_keys=True, indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")


def _loads(cls: Callable[[object], _T], data: bytes | str) -> _T:
    return cls(_decode_json(data))


# --- hand-written readers still used by solvency.files.logfiles ------------------------------
# (the log files have schemas too; moving them onto check_shape is left to their owner)

_EPOCH_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _check_int(value: object, where: str, lo: int, hi: int) -> int:
    """An int (not bool) with lo <= value <= hi."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedInputError(f"{where}: expected an integer")
    if not lo <= value <= hi:
        raise MalformedInputError(f"{where}: must be in {lo}..{hi}")
    return value


def _check_epoch(value: object, where: str) -> str:
    if not isinstance(value, str) or not _EPOCH_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected 1-64 characters of A-Z a-z 0-9 . _ : -")
    return value


def _object(value: object, where: str, keys: Sequence[str]) -> dict[str, Any]:
    """A JSON object with exactly ``keys``."""
    if not isinstance(value, dict):
        raise MalformedInputError(f"{_at(where)}: expected a JSON object")
    for k in sorted(value):
        if k not in keys:
            raise MalformedInputError(f"{_at(where)}: unknown key {k!r}")
    for k in keys:
        if k not in value:
            raise MalformedInputError(f"{_at(where)}: missing key {k!r}")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedInputError(f"{where}: expected a list")
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise MalformedInputError(f"{where}: expected a string")
    return value


def _hex(value: object, where: str, n: int | None = None) -> bytes:
    """Lowercase hex; ``n`` bytes when given."""
    if not isinstance(value, str):
        raise MalformedInputError(f"{where}: expected a hex string")
    if not _HEX_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected lowercase hex digits, an even number")
    if n is not None and len(value) != 2 * n:
        raise MalformedInputError(f"{where}: expected {2 * n} hex digits ({n} bytes)")
    return bytes.fromhex(value)


# --- the documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RootCommitment(_Json):
    """The root node: its hash ``h`` and one commitment ``C_k`` per asset."""

    SCHEMA: ClassVar[str] = "root-v1.json#/$defs/node"

    hash: bytes
    commitments: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _set(self, "commitments", _check_points(self.commitments, "commitments"))
        self._check_shape()

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": _hex_of(self.hash, "hash"),
            "commitments": [C.hex() for C in self.commitments],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> RootCommitment:
        with _checked(obj, cls.SCHEMA, where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            cw = _field(where, "commitments")
            return _build(
                where,
                lambda: cls(
                    hash=_unhex(d["hash"], _field(where, "hash")),
                    commitments=tuple(
                        _unhex(c, f"{cw}[{i}]") for i, c in enumerate(d["commitments"])
                    ),
                ),
            )

    @classmethod
    def loads(cls, data: bytes | str) -> RootCommitment:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class TotalOpening(_Json):
    """The opening of one root commitment: ``C_k(root) = Com(units, blinding)``."""

    SCHEMA: ClassVar[str] = "root-v1.json#/$defs/opening"

    symbol: str
    units: int
    blinding: int
    #: "equity" or "debt" in a margin root (version 2), None in version 1.
    side: str | None = None

    def __post_init__(self) -> None:
        _check_units(self.units, "units")
        _check_scalar(self.blinding, "blinding")
        if self.side is not None and self.side not in SIDES:
            raise MalformedInputError("side: expected 'equity' or 'debt'")
        self._check_shape()

    def _schema_ref(self) -> str:
        return self.SCHEMA if self.side is None else "root-v2.json#/$defs/side_opening"

    def to_json(self) -> dict[str, Any]:
        out = {
            "symbol": self.symbol,
            "units": _units_json(self.units, "units"),
            "blinding": group.scalar_to_bytes(_check_scalar(self.blinding, "blinding")).hex(),
        }
        if self.side is not None:
            out["side"] = self.side
        return out

    @classmethod
    def from_json(cls, obj: object, where: str = "", margin: bool = False) -> TotalOpening:
        ref = "root-v2.json#/$defs/side_opening" if margin else cls.SCHEMA
        with _checked(obj, ref, where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            units = _units_str(d["units"], _field(where, "units"))
            blinding = _scalar_hex(d["blinding"], _field(where, "blinding"))
            return _build(
                where,
                lambda: cls(symbol=d["symbol"], units=units, blinding=blinding, side=d.get("side")),
            )

    @classmethod
    def loads(cls, data: bytes | str) -> TotalOpening:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class RootFile(_Json):
    """``public/root.json`` (section 8.1); ``totals`` is None unless the exchange publishes
    the opening of the root."""

    FORMAT: ClassVar[str] = ROOT_FORMAT
    SCHEMA: ClassVar[str] = "root-v1.json"

    epoch: str
    created: str
    tool: str
    height: int
    range_bits: int
    assets: tuple[AssetSpec, ...]
    root: RootCommitment
    totals: tuple[TotalOpening, ...] | None = None
    #: The signed margin parameters of a margin epoch (version 2, section 10.5).
    margin: MarginParams | None = None

    @property
    def version(self) -> int:
        return VERSION if self.margin is None else MARGIN_VERSION

    @property
    def columns(self) -> int:
        """Commitments per node: a, or 2a (equity then debt) in a margin epoch."""
        return len(self.assets) * (1 if self.margin is None else 2)

    def _schema_ref(self) -> str:
        return SCHEMA_FILES[(ROOT_FORMAT, self.version)]

    def __post_init__(self) -> None:
        assets = _check_asset_list(self.assets, "parameters.assets")
        _set(self, "assets", assets)
        if self.margin is not None:
            _margin_of(self.margin, assets, "parameters.margin")
        if not isinstance(self.root, RootCommitment):
            raise MalformedInputError("root: expected a RootCommitment")
        _check_count(self.root.commitments, self.columns, "commitments", "root.commitments")
        if self.totals is not None:
            totals = _check_instances(self.totals, TotalOpening, "totals")
            if self.margin is None:
                if any(t.side is not None for t in totals):
                    raise MalformedInputError("totals: a side is given in a version 1 root")
                _check_symbols([t.symbol for t in totals], assets, "totals")
            else:
                _check_symbols([t.symbol for t in totals], assets + assets, "totals")
                _check_sides([t.side for t in totals], len(totals), "totals")
            _set(self, "totals", totals)
        _check_created(self.created, "created")
        _check_tool(self.tool, "tool")
        self._check_shape()

    def to_json(self) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            "height": self.height,
            "range_bits": self.range_bits,
            "hash": HASH_NAME,
            "assets": [a.to_json() for a in self.assets],
        }
        if self.margin is not None:
            parameters["margin"] = self.margin.to_json()
        return {
            "format": ROOT_FORMAT,
            "version": self.version,
            "epoch": self.epoch,
            "created": self.created,
            "tool": self.tool,
            "parameters": parameters,
            "root": self.root.to_json(),
            "totals": None if self.totals is None else [t.to_json() for t in self.totals],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> RootFile:
        version = _header(obj, where, ROOT_FORMAT, (VERSION, MARGIN_VERSION))
        with _checked(obj, SCHEMA_FILES[(ROOT_FORMAT, version)], where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            p = d["parameters"]
            root = RootCommitment.from_json(d["root"], _field(where, "root"))
            tw = _field(where, "totals")
            margin_ = version == MARGIN_VERSION
            totals = (
                None
                if d["totals"] is None
                else tuple(
                    TotalOpening.from_json(t, f"{tw}[{i}]", margin_)
                    for i, t in enumerate(d["totals"])
                )
            )
            margin = (
                MarginParams.from_json(p["margin"], _field(where, "parameters.margin"))
                if margin_
                else None
            )
            return _build(
                where,
                lambda: cls(
                    epoch=d["epoch"],
                    created=d["created"],
                    tool=d["tool"],
                    height=p["height"],
                    range_bits=p["range_bits"],
                    assets=_assets_of(p["assets"]),
                    root=root,
                    totals=totals,
                    margin=margin,
                ),
            )

    @classmethod
    def loads(cls, data: bytes | str) -> RootFile:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class LiabilityTotal(_Json):
    """One asset's total liabilities and root blinding ``R_k``: ``C_k(root) = Com(units, R_k)``."""

    SCHEMA: ClassVar[str] = "liabilities-v1.json#/$defs/total"

    symbol: str
    decimals: int
    units: int
    blinding: int
    #: "equity" or "debt" in a margin epoch (version 2), None in version 1.
    side: str | None = None

    def __post_init__(self) -> None:
        _check_units(self.units, "units")
        _check_scalar(self.blinding, "blinding")
        check_shape({"symbol": self.symbol, "decimals": self.decimals}, "root-v1.json#/$defs/asset")
        if self.side is not None and self.side not in SIDES:
            raise MalformedInputError("side: expected 'equity' or 'debt'")
        self._check_shape()

    def _schema_ref(self) -> str:
        return self.SCHEMA if self.side is None else "liabilities-v2.json#/$defs/side_total"

    @property
    def asset(self) -> AssetSpec:
        return AssetSpec(self.symbol, self.decimals)

    @property
    def amount(self) -> str:
        return format_units(self.units, self.decimals)

    def to_json(self) -> dict[str, Any]:
        out = {
            "symbol": self.symbol,
            "decimals": self.decimals,
            "units": _units_json(self.units, "units"),
            "amount": self.amount,
            "blinding": group.scalar_to_bytes(_check_scalar(self.blinding, "blinding")).hex(),
        }
        if self.side is not None:
            out["side"] = self.side
        return out

    @classmethod
    def from_json(cls, obj: object, where: str = "", margin: bool = False) -> LiabilityTotal:
        ref = "liabilities-v2.json#/$defs/side_total" if margin else cls.SCHEMA
        with _checked(obj, ref, where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            units = _units_str(d["units"], _field(where, "units"))
            _amount_matches(d["amount"], units, d["decimals"], _field(where, "amount"))
            blinding = _scalar_hex(d["blinding"], _field(where, "blinding"))
            return _build(
                where,
                lambda: cls(
                    symbol=d["symbol"],
                    decimals=d["decimals"],
                    units=units,
                    blinding=blinding,
                    side=d.get("side"),
                ),
            )

    @classmethod
    def loads(cls, data: bytes | str) -> LiabilityTotal:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class LiabilitiesFile(_Json):
    """``private/liabilities.json`` (section 8.2)."""

    FORMAT: ClassVar[str] = LIABILITIES_FORMAT
    SCHEMA: ClassVar[str] = "liabilities-v1.json"

    epoch: str
    root_hash: bytes
    totals: tuple[LiabilityTotal, ...]

    def __post_init__(self) -> None:
        totals = _check_instances(self.totals, LiabilityTotal, "totals")
        if not totals:
            raise MalformedInputError("totals: at least one asset is required")
        if totals[0].side is None:
            if any(t.side is not None for t in totals):
                raise MalformedInputError("totals: every total needs a side, or none")
            _check_asset_list([t.asset for t in totals], "totals")
        else:
            _check_sides([t.side for t in totals], len(totals), "totals")
            a = len(totals) // 2
            equity = _check_asset_list([t.asset for t in totals[:a]], "totals")
            if tuple(t.asset for t in totals[a:]) != equity:
                raise MalformedInputError("totals: the debt block lists other assets")
        _set(self, "totals", totals)
        self._check_shape()

    @property
    def margin(self) -> bool:
        """A margin epoch's opening (version 2): equity totals, then debt totals."""
        return self.totals[0].side is not None

    @property
    def version(self) -> int:
        return MARGIN_VERSION if self.margin else VERSION

    def _schema_ref(self) -> str:
        return SCHEMA_FILES[(LIABILITIES_FORMAT, self.version)]

    @property
    def assets(self) -> tuple[AssetSpec, ...]:
        a = len(self.totals) // 2 if self.margin else len(self.totals)
        return tuple(t.asset for t in self.totals[:a])

    def net(self) -> tuple[tuple[AssetSpec, int, int], ...]:
        """Per asset (asset, E_k - D_k, R_k - S_k mod l): the opening of the net liability
        commitment N_k = E_k(root) - F_k(root) (section 10.7). In version 1, (asset, total_k,
        R_k)."""
        if not self.margin:
            return tuple((t.asset, t.units, t.blinding) for t in self.totals)
        a = len(self.totals) // 2
        return tuple(
            (e.asset, e.units - d.units, (e.blinding - d.blinding) % group.L)
            for e, d in zip(self.totals[:a], self.totals[a:], strict=True)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LIABILITIES_FORMAT,
            "version": self.version,
            "epoch": self.epoch,
            "root_hash": _hex_of(self.root_hash, "root_hash"),
            "totals": [t.to_json() for t in self.totals],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> LiabilitiesFile:
        version = _header(obj, where, LIABILITIES_FORMAT, (VERSION, MARGIN_VERSION))
        with _checked(obj, SCHEMA_FILES[(LIABILITIES_FORMAT, version)], where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            root_hash = _unhex(d["root_hash"], _field(where, "root_hash"))
            tw = _field(where, "totals")
            totals = tuple(
                LiabilityTotal.from_json(t, f"{tw}[{i}]", version == MARGIN_VERSION)
                for i, t in enumerate(d["totals"])
            )
            return _build(where, lambda: cls(epoch=d["epoch"], root_hash=root_hash, totals=totals))

    @classmethod
    def loads(cls, data: bytes | str) -> LiabilitiesFile:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class PathStep(_Json):
    """One sibling on a user's path: its commitments ``C^sib_k``, hash ``h^sib`` and the
    aggregated range proof over its commitments (section 5)."""

    SCHEMA: ClassVar[str] = "inclusion-proof-v1.json#/$defs/step"

    commitments: tuple[bytes, ...]
    hash: bytes
    range_proof: bytes

    def __post_init__(self) -> None:
        _set(self, "commitments", _check_points(self.commitments, "commitments"))
        self._check_shape()

    def to_json(self) -> dict[str, Any]:
        return {
            "commitments": [C.hex() for C in self.commitments],
            "hash": _hex_of(self.hash, "hash"),
            "range_proof": _hex_of(self.range_proof, "range_proof"),
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> PathStep:
        with _checked(obj, cls.SCHEMA, where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            cw = _field(where, "commitments")
            cs = tuple(_unhex(c, f"{cw}[{i}]") for i, c in enumerate(d["commitments"]))
            h = _unhex(d["hash"], _field(where, "hash"))
            rp = _unhex(d["range_proof"], _field(where, "range_proof"))
            return _build(where, lambda: cls(commitments=cs, hash=h, range_proof=rp))

    @classmethod
    def loads(cls, data: bytes | str) -> PathStep:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class Collateral(_Json):
    """A leaf's collateral proof (section 10.4): the high-limb commitment ``C_hi`` and the
    aggregated 64-bit range proof over (C_X - 2^64 C_hi, C_hi)."""

    SCHEMA: ClassVar[str] = "inclusion-proof-v2.json#/$defs/collateral"

    c_hi: bytes
    proof: bytes

    def __post_init__(self) -> None:
        _check_point(self.c_hi, "c_hi")
        self._check_shape()

    def to_json(self) -> dict[str, Any]:
        return {"c_hi": _hex_of(self.c_hi, "c_hi"), "proof": _hex_of(self.proof, "proof")}

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> Collateral:
        with _checked(obj, cls.SCHEMA, where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            c_hi = _unhex(d["c_hi"], _field(where, "c_hi"))
            proof = _unhex(d["proof"], _field(where, "proof"))
            return _build(where, lambda: cls(c_hi=c_hi, proof=proof))

    @property
    def pair(self) -> tuple[bytes, bytes]:
        return self.c_hi, self.proof


@dataclass(frozen=True)
class InclusionProofFile(_Json):
    """A user's inclusion proof (section 8.3); ``balances`` are integer units in asset order,
    ``path`` the ``height`` siblings from the leaf level up. ``export_user_proof`` in
    ``solvency.epoch.builder`` makes one from an epoch's tree."""

    FORMAT: ClassVar[str] = INCLUSION_PROOF_FORMAT
    SCHEMA: ClassVar[str] = "inclusion-proof-v1.json"

    epoch: str
    user_id: str
    user_secret: bytes
    position: int
    height: int
    assets: tuple[AssetSpec, ...]
    balances: tuple[int, ...]
    path: tuple[PathStep, ...]
    root: RootCommitment
    #: A margin user's proof (version 2, section 10.5): signed balances (negative = debt),
    #: 2a commitments per node, the root's margin parameters, and the collateral proofs of
    #: the user's leaf and of the leaf-level sibling.
    margin: MarginParams | None = None
    collateral: Collateral | None = None
    sibling_collateral: Collateral | None = None

    @property
    def version(self) -> int:
        return VERSION if self.margin is None else MARGIN_VERSION

    def _schema_ref(self) -> str:
        return SCHEMA_FILES[(INCLUSION_PROOF_FORMAT, self.version)]

    def __post_init__(self) -> None:
        try:
            check_user_id(self.user_id)
        except MalformedInputError as e:
            raise MalformedInputError(f"user_id: {e}") from None
        height = self.height
        if isinstance(height, int) and not isinstance(height, bool) and 1 <= height <= MAX_HEIGHT:
            position = self.position
            if (
                isinstance(position, int)
                and not isinstance(position, bool)
                and not 0 <= position < 2**height
            ):
                raise MalformedInputError(f"position: must be in 0..{2**height - 1}")
        assets = _check_asset_list(self.assets, "assets")
        a = len(assets)
        balances = _tuple(self.balances, "balances")
        _check_count(balances, a, "balances", "balances")
        for k, b in enumerate(balances):
            if self.margin is None:
                _check_units(b, f"balances[{k}].units")
            else:
                _check_signed_units(b, f"balances[{k}].units")
        if self.margin is None:
            if self.collateral is not None or self.sibling_collateral is not None:
                raise MalformedInputError("collateral: only a margin proof carries one")
        else:
            _margin_of(self.margin, assets, "margin")
            for name in ("collateral", "sibling_collateral"):
                if not isinstance(getattr(self, name), Collateral):
                    raise MalformedInputError(f"{name}: expected a Collateral")
        c = a if self.margin is None else 2 * a
        path = _check_instances(self.path, PathStep, "path")
        if len(path) != height:
            raise MalformedInputError(f"path: {len(path)} steps, expected height = {height}")
        for i, step in enumerate(path):
            _check_count(step.commitments, c, "commitments", f"path[{i}].commitments")
        if not isinstance(self.root, RootCommitment):
            raise MalformedInputError("root: expected a RootCommitment")
        _check_count(self.root.commitments, c, "commitments", "root.commitments")
        _set(self, "assets", assets)
        _set(self, "balances", balances)
        _set(self, "path", path)
        self._check_shape()

    def to_json(self) -> dict[str, Any]:
        out = {
            "format": INCLUSION_PROOF_FORMAT,
            "version": self.version,
            "epoch": self.epoch,
            "user_id": self.user_id,
            "user_secret": _hex_of(self.user_secret, "user_secret"),
            "position": self.position,
            "height": self.height,
            "assets": [a.to_json() for a in self.assets],
            "balances": [
                {
                    "symbol": a.symbol,
                    "amount": format_signed_units(b, a.decimals),
                    "units": str(b),
                }
                for a, b in zip(self.assets, self.balances, strict=True)
            ],
            "path": [s.to_json() for s in self.path],
            "root": self.root.to_json(),
        }
        if self.margin is not None and self.collateral and self.sibling_collateral:
            out["margin"] = self.margin.to_json()
            out["collateral"] = self.collateral.to_json()
            out["sibling_collateral"] = self.sibling_collateral.to_json()
        return out

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> InclusionProofFile:
        version = _header(obj, where, INCLUSION_PROOF_FORMAT, (VERSION, MARGIN_VERSION))
        margin_ = version == MARGIN_VERSION
        with _checked(obj, SCHEMA_FILES[(INCLUSION_PROOF_FORMAT, version)], where):
            d: dict[str, Any] = obj  # type: ignore[assignment]
            assets = _check_asset_list(_assets_of(d["assets"]), _field(where, "assets"))
            bw = _field(where, "balances")
            items = d["balances"]
            _check_count(items, len(assets), "balances", bw)
            balances = []
            for k, (b, asset) in enumerate(zip(items, assets, strict=True)):
                if b["symbol"] != asset.symbol:
                    raise MalformedInputError(f"{bw}[{k}].symbol: expected {asset.symbol!r}")
                if margin_:
                    units = _signed_units_str(b["units"], f"{bw}[{k}].units")
                    if b["amount"] != format_signed_units(units, asset.decimals):
                        raise MalformedInputError(
                            f"{bw}[{k}].amount: does not equal units written with "
                            f"{asset.decimals} decimals"
                        )
                else:
                    units = _units_str(b["units"], f"{bw}[{k}].units")
                    _amount_matches(b["amount"], units, asset.decimals, f"{bw}[{k}].amount")
                balances.append(units)
            pw = _field(where, "path")
            path = tuple(PathStep.from_json(s, f"{pw}[{i}]") for i, s in enumerate(d["path"]))
            root = RootCommitment.from_json(d["root"], _field(where, "root"))
            margin = collateral = sibling = None
            if margin_:
                margin = MarginParams.from_json(d["margin"], _field(where, "margin"))
                collateral = Collateral.from_json(d["collateral"], _field(where, "collateral"))
                sibling = Collateral.from_json(
                    d["sibling_collateral"], _field(where, "sibling_collateral")
                )
            return _build(
                where,
                lambda: cls(
                    epoch=d["epoch"],
                    user_id=d["user_id"],
                    user_secret=_unhex(d["user_secret"], "user_secret"),
                    position=d["position"],
                    height=d["height"],
                    assets=assets,
                    balances=tuple(balances),
                    path=path,
                    root=root,
                    margin=margin,
                    collateral=collateral,
                    sibling_collateral=sibling,
                ),
            )

    @classmethod
    def loads(cls, data: bytes | str) -> InclusionProofFile:
        return _loads(cls.from_json, data)


def rfc3339_utc(when: datetime.datetime | None = None) -> str:
    """A ``created`` timestamp: RFC 3339, UTC, whole seconds, e.g. ``2024-01-31T12:00:00Z``."""
    when = when or datetime.datetime.now(datetime.UTC)
    if when.tzinfo is None:
        raise MalformedInputError("created: the time must carry a time zone")
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
