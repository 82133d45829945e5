"""The JSON files of a proof-of-liabilities epoch (docs/PROTOCOL.md section 8).

- ``RootFile``: ``public/root.json`` (8.1), the signed root: for each asset ``k`` the root
  commitment ``C_k(root)`` and the root hash ``h(root)``, plus the parameters a verifier needs.
- ``LiabilitiesFile``: ``private/liabilities.json`` (8.2), the opening of the root,
  ``C_k(root) = Com(total_k, R_k)``, which the auditor checks (section 7).
- ``InclusionProofFile``: a user's proof (8.3): ``user_secret``, balances, ``position`` and the
  ``H`` siblings ``(C^sib, h^sib, range proof)`` from the leaf level up to the root.

Every file is a frozen dataclass. ``to_json`` gives the JSON object and ``dumps`` its canonical
bytes (keys sorted, two-space indent, UTF-8, final newline), the exact bytes that are signed.
Parsing (``from_json``, ``loads``) is strict: unknown, missing or duplicate keys, wrong types
(``true`` is not an integer), hex that is not lowercase or has the wrong length, non-canonical
ristretto255 points, scalars ``>= l``, units outside ``[0, 2^64)`` and inconsistent counts are
refused with MalformedInputError naming the field path (``path[3].commitments[0]: ...``); a
``version`` other than 1 raises UnsupportedVersionError. Constructing a dataclass directly runs
the same checks, so a file that is built can also be read back.

Range proofs stay opaque bytes here (length a multiple of 32, at least 7 * 32); parsing them is
``solvency.crypto.bulletproofs``'s job. JSON schemas describing the same documents are in
``solvency/files/schemas/`` (``load_schema``).
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar, TypeVar

from solvency.crypto import group
from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files.ledger import (
    MAX_DECIMALS,
    MAX_UNITS,
    AssetSpec,
    check_assets,
    check_user_id,
    format_units,
    unique_keys,
)

VERSION = 1
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

_EPOCH_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")
_UNITS_RE = re.compile(r"0|[1-9][0-9]{0,19}")
_CREATED_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z")

_T = TypeVar("_T")


# --- typed checks, run by every dataclass's __post_init__ -------------------------------------


def _field(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _at(where: str) -> str:
    return where or "document"


def _check_int(value: object, where: str, lo: int, hi: int) -> int:
    """An int (not bool) with lo <= value <= hi."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedInputError(f"{where}: expected an integer")
    if not lo <= value <= hi:
        raise MalformedInputError(f"{where}: must be in {lo}..{hi}")
    return value


def _check_bytes(value: object, where: str, n: int) -> bytes:
    if not isinstance(value, bytes) or len(value) != n:
        raise MalformedInputError(f"{where}: expected {n} bytes")
    return value


def _check_point(value: object, where: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != group.POINT_BYTES:
        raise MalformedInputError(f"{where}: expected a {group.POINT_BYTES}-byte point")
    if not group.is_valid_point(value):
        raise MalformedInputError(f"{where}: not a canonical ristretto255 point")
    return value


def _check_scalar(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < group.L:
        raise MalformedInputError(f"{where}: expected a scalar in [0, l)")
    return value


def _check_units(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_UNITS:
        raise MalformedInputError(f"{where}: expected an integer in [0, 2^64)")
    return value


def _check_epoch(value: object, where: str) -> str:
    if not isinstance(value, str) or not _EPOCH_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected 1-64 characters of A-Z a-z 0-9 . _ : -")
    return value


def _check_created(value: object, where: str) -> str:
    if not isinstance(value, str) or not _CREATED_RE.fullmatch(value):
        raise MalformedInputError(
            f"{where}: expected an RFC 3339 UTC time like 2024-01-31T12:00:00Z"
        )
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        raise MalformedInputError(f"{where}: not a valid date and time") from None
    return value


def _check_tool(value: object, where: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_TOOL_CHARS:
        raise MalformedInputError(f"{where}: expected a string of 1-{MAX_TOOL_CHARS} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise MalformedInputError(f"{where}: contains a control character")
    return value


def _check_symbol(value: object, where: str) -> str:
    """The same symbol rules as the asset list (``AssetSpec``)."""
    if not isinstance(value, str):
        raise MalformedInputError(f"{where}: expected a string")
    try:
        AssetSpec(value, 0)
    except MalformedInputError as e:
        raise MalformedInputError(f"{where}: {e}") from None
    return value


def _check_range_proof(value: object, where: str) -> bytes:
    if not isinstance(value, bytes) or len(value) % 32 != 0 or len(value) < MIN_RANGE_PROOF_BYTES:
        raise MalformedInputError(
            f"{where}: expected a multiple of 32 bytes, at least {MIN_RANGE_PROOF_BYTES}"
        )
    return value


def _tuple(value: object, where: str) -> tuple[Any, ...]:
    """Sequences given to a constructor are stored as tuples (the dataclasses are frozen)."""
    if not isinstance(value, tuple | list):
        raise MalformedInputError(f"{where}: expected a sequence")
    return tuple(value)


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


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


# --- JSON reading, with field paths -----------------------------------------------------------


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


def _header(value: object, where: str, fmt: str) -> None:
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
    if version != VERSION:
        raise UnsupportedVersionError(
            f"{_field(where, 'version')}: {fmt} version {version} is not supported "
            f"(this release reads version {VERSION})"
        )


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


def _point_hex(value: object, where: str) -> bytes:
    return _check_point(_hex(value, where, group.POINT_BYTES), where)


def _scalar_hex(value: object, where: str) -> int:
    return group.decode_scalar(_hex(value, where, group.SCALAR_BYTES), where)


def _units_str(value: object, where: str) -> int:
    """Units are decimal strings (JSON numbers lose precision above 2^53 in many readers)."""
    if not isinstance(value, str) or not _UNITS_RE.fullmatch(value):
        raise MalformedInputError(f"{where}: expected a decimal string without leading zeros")
    return _check_units(int(value), where)


def _build(where: str, make: Callable[[], _T]) -> _T:
    """Run a constructor and put ``where`` in front of the field path of its error."""
    try:
        return make()
    except UnsupportedVersionError:
        raise
    except MalformedInputError as e:
        raise MalformedInputError(f"{where}.{e}" if where else str(e)) from None


def _assets_json(value: object, where: str) -> tuple[AssetSpec, ...]:
    items = _list(value, where)
    specs = tuple(AssetSpec.from_json(a, f"{where}[{i}]") for i, a in enumerate(items))
    return _check_asset_list(specs, where)


def _amount_matches(amount: object, units: int, decimals: int, where: str) -> None:
    """The human-readable amount must be exactly ``units`` written with ``decimals`` digits."""
    if not isinstance(amount, str):
        raise MalformedInputError(f"{where}: expected a decimal string")
    if amount != format_units(units, decimals):
        raise MalformedInputError(f"{where}: does not equal units written with {decimals} decimals")


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
    """Canonical bytes and strict parsing on top of ``to_json`` / ``from_json``."""

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def dumps(self) -> bytes:
        """Canonical encoding: keys sorted, indent 2, UTF-8 (not \\u escapes), final newline."""
        text = json.dumps(self.to_json(), sort_keys=True, indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")


def _loads(cls: Callable[[object], _T], data: bytes | str) -> _T:
    return cls(_decode_json(data))


# --- the documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RootCommitment(_Json):
    """The root node: its hash ``h`` and one commitment ``C_k`` per asset."""

    hash: bytes
    commitments: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _check_bytes(self.hash, "hash", HASH_BYTES)
        cs = _tuple(self.commitments, "commitments")
        if not cs:
            raise MalformedInputError("commitments: at least one is required")
        for i, C in enumerate(cs):
            _check_point(C, f"commitments[{i}]")
        _set(self, "commitments", cs)

    def to_json(self) -> dict[str, Any]:
        return {"hash": self.hash.hex(), "commitments": [C.hex() for C in self.commitments]}

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> RootCommitment:
        d = _object(obj, where, ("hash", "commitments"))
        h = _hex(d["hash"], _field(where, "hash"), HASH_BYTES)
        cw = _field(where, "commitments")
        cs = tuple(_point_hex(c, f"{cw}[{i}]") for i, c in enumerate(_list(d["commitments"], cw)))
        return _build(where, lambda: cls(hash=h, commitments=cs))

    @classmethod
    def loads(cls, data: bytes | str) -> RootCommitment:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class TotalOpening(_Json):
    """The opening of one root commitment: ``C_k(root) = Com(units, blinding)``."""

    symbol: str
    units: int
    blinding: int

    def __post_init__(self) -> None:
        _check_symbol(self.symbol, "symbol")
        _check_units(self.units, "units")
        _check_scalar(self.blinding, "blinding")

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "units": str(self.units),
            "blinding": group.scalar_to_bytes(self.blinding).hex(),
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> TotalOpening:
        d = _object(obj, where, ("symbol", "units", "blinding"))
        symbol = _str(d["symbol"], _field(where, "symbol"))
        units = _units_str(d["units"], _field(where, "units"))
        blinding = _scalar_hex(d["blinding"], _field(where, "blinding"))
        return _build(where, lambda: cls(symbol=symbol, units=units, blinding=blinding))

    @classmethod
    def loads(cls, data: bytes | str) -> TotalOpening:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class RootFile(_Json):
    """``public/root.json`` (section 8.1); ``totals`` is None unless the exchange publishes
    the opening of the root."""

    FORMAT: ClassVar[str] = ROOT_FORMAT

    epoch: str
    created: str
    tool: str
    height: int
    range_bits: int
    assets: tuple[AssetSpec, ...]
    root: RootCommitment
    totals: tuple[TotalOpening, ...] | None = None

    def __post_init__(self) -> None:
        _check_epoch(self.epoch, "epoch")
        _check_created(self.created, "created")
        _check_tool(self.tool, "tool")
        _check_int(self.height, "parameters.height", 1, MAX_HEIGHT)
        if _check_int(self.range_bits, "parameters.range_bits", 1, 64) not in RANGE_BITS:
            raise MalformedInputError(f"parameters.range_bits: must be one of {RANGE_BITS}")
        assets = _check_asset_list(self.assets, "parameters.assets")
        _set(self, "assets", assets)
        if not isinstance(self.root, RootCommitment):
            raise MalformedInputError("root: expected a RootCommitment")
        if len(self.root.commitments) != len(assets):
            raise MalformedInputError(
                f"root.commitments: {len(self.root.commitments)} commitments for "
                f"{len(assets)} assets"
            )
        if self.totals is not None:
            totals = _check_instances(self.totals, TotalOpening, "totals")
            _check_symbols([t.symbol for t in totals], assets, "totals")
            _set(self, "totals", totals)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ROOT_FORMAT,
            "version": VERSION,
            "epoch": self.epoch,
            "created": self.created,
            "tool": self.tool,
            "parameters": {
                "height": self.height,
                "range_bits": self.range_bits,
                "hash": HASH_NAME,
                "assets": [a.to_json() for a in self.assets],
            },
            "root": self.root.to_json(),
            "totals": None if self.totals is None else [t.to_json() for t in self.totals],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> RootFile:
        _header(obj, where, ROOT_FORMAT)
        d = _object(
            obj,
            where,
            ("format", "version", "epoch", "created", "tool", "parameters", "root", "totals"),
        )
        pw = _field(where, "parameters")
        p = _object(d["parameters"], pw, ("height", "range_bits", "hash", "assets"))
        if p["hash"] != HASH_NAME:
            raise MalformedInputError(f"{pw}.hash: expected {HASH_NAME!r}")
        height = _check_int(p["height"], f"{pw}.height", 1, MAX_HEIGHT)
        range_bits = _check_int(p["range_bits"], f"{pw}.range_bits", 1, 64)
        assets = _assets_json(p["assets"], f"{pw}.assets")
        root = RootCommitment.from_json(d["root"], _field(where, "root"))
        tw = _field(where, "totals")
        totals = (
            None
            if d["totals"] is None
            else tuple(
                TotalOpening.from_json(t, f"{tw}[{i}]")
                for i, t in enumerate(_list(d["totals"], tw))
            )
        )
        return _build(
            where,
            lambda: cls(
                epoch=d["epoch"],
                created=d["created"],
                tool=d["tool"],
                height=height,
                range_bits=range_bits,
                assets=assets,
                root=root,
                totals=totals,
            ),
        )

    @classmethod
    def loads(cls, data: bytes | str) -> RootFile:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class LiabilityTotal(_Json):
    """One asset's total liabilities and root blinding ``R_k``: ``C_k(root) = Com(units, R_k)``."""

    symbol: str
    decimals: int
    units: int
    blinding: int

    def __post_init__(self) -> None:
        _check_symbol(self.symbol, "symbol")
        _check_int(self.decimals, "decimals", 0, MAX_DECIMALS)
        _check_units(self.units, "units")
        _check_scalar(self.blinding, "blinding")

    @property
    def asset(self) -> AssetSpec:
        return AssetSpec(self.symbol, self.decimals)

    @property
    def amount(self) -> str:
        return format_units(self.units, self.decimals)

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "decimals": self.decimals,
            "units": str(self.units),
            "amount": self.amount,
            "blinding": group.scalar_to_bytes(self.blinding).hex(),
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> LiabilityTotal:
        d = _object(obj, where, ("symbol", "decimals", "units", "amount", "blinding"))
        asset = AssetSpec.from_json({"symbol": d["symbol"], "decimals": d["decimals"]}, _at(where))
        units = _units_str(d["units"], _field(where, "units"))
        _amount_matches(d["amount"], units, asset.decimals, _field(where, "amount"))
        blinding = _scalar_hex(d["blinding"], _field(where, "blinding"))
        return _build(
            where,
            lambda: cls(
                symbol=asset.symbol, decimals=asset.decimals, units=units, blinding=blinding
            ),
        )

    @classmethod
    def loads(cls, data: bytes | str) -> LiabilityTotal:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class LiabilitiesFile(_Json):
    """``private/liabilities.json`` (section 8.2)."""

    FORMAT: ClassVar[str] = LIABILITIES_FORMAT

    epoch: str
    root_hash: bytes
    totals: tuple[LiabilityTotal, ...]

    def __post_init__(self) -> None:
        _check_epoch(self.epoch, "epoch")
        _check_bytes(self.root_hash, "root_hash", HASH_BYTES)
        totals = _check_instances(self.totals, LiabilityTotal, "totals")
        if not totals:
            raise MalformedInputError("totals: at least one asset is required")
        _check_asset_list([t.asset for t in totals], "totals")
        _set(self, "totals", totals)

    @property
    def assets(self) -> tuple[AssetSpec, ...]:
        return tuple(t.asset for t in self.totals)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LIABILITIES_FORMAT,
            "version": VERSION,
            "epoch": self.epoch,
            "root_hash": self.root_hash.hex(),
            "totals": [t.to_json() for t in self.totals],
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> LiabilitiesFile:
        _header(obj, where, LIABILITIES_FORMAT)
        d = _object(obj, where, ("format", "version", "epoch", "root_hash", "totals"))
        root_hash = _hex(d["root_hash"], _field(where, "root_hash"), HASH_BYTES)
        tw = _field(where, "totals")
        totals = tuple(
            LiabilityTotal.from_json(t, f"{tw}[{i}]") for i, t in enumerate(_list(d["totals"], tw))
        )
        return _build(where, lambda: cls(epoch=d["epoch"], root_hash=root_hash, totals=totals))

    @classmethod
    def loads(cls, data: bytes | str) -> LiabilitiesFile:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class PathStep(_Json):
    """One sibling on a user's path: its commitments ``C^sib_k``, hash ``h^sib`` and the
    aggregated range proof over its commitments (section 5)."""

    commitments: tuple[bytes, ...]
    hash: bytes
    range_proof: bytes

    def __post_init__(self) -> None:
        cs = _tuple(self.commitments, "commitments")
        if not cs:
            raise MalformedInputError("commitments: at least one is required")
        for i, C in enumerate(cs):
            _check_point(C, f"commitments[{i}]")
        _set(self, "commitments", cs)
        _check_bytes(self.hash, "hash", HASH_BYTES)
        _check_range_proof(self.range_proof, "range_proof")

    def to_json(self) -> dict[str, Any]:
        return {
            "commitments": [C.hex() for C in self.commitments],
            "hash": self.hash.hex(),
            "range_proof": self.range_proof.hex(),
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> PathStep:
        d = _object(obj, where, ("commitments", "hash", "range_proof"))
        cw = _field(where, "commitments")
        cs = tuple(_point_hex(c, f"{cw}[{i}]") for i, c in enumerate(_list(d["commitments"], cw)))
        h = _hex(d["hash"], _field(where, "hash"), HASH_BYTES)
        rp = _hex(d["range_proof"], _field(where, "range_proof"))
        return _build(where, lambda: cls(commitments=cs, hash=h, range_proof=rp))

    @classmethod
    def loads(cls, data: bytes | str) -> PathStep:
        return _loads(cls.from_json, data)


@dataclass(frozen=True)
class InclusionProofFile(_Json):
    """A user's inclusion proof (section 8.3); ``balances`` are integer units in asset order,
    ``path`` the ``height`` siblings from the leaf level up."""

    FORMAT: ClassVar[str] = INCLUSION_PROOF_FORMAT

    epoch: str
    user_id: str
    user_secret: bytes
    position: int
    height: int
    assets: tuple[AssetSpec, ...]
    balances: tuple[int, ...]
    path: tuple[PathStep, ...]
    root: RootCommitment

    def __post_init__(self) -> None:
        _check_epoch(self.epoch, "epoch")
        try:
            check_user_id(self.user_id)
        except MalformedInputError as e:
            raise MalformedInputError(f"user_id: {e}") from None
        _check_bytes(self.user_secret, "user_secret", SECRET_BYTES)
        height = _check_int(self.height, "height", 1, MAX_HEIGHT)
        _check_int(self.position, "position", 0, 2**height - 1)
        assets = _check_asset_list(self.assets, "assets")
        a = len(assets)
        balances = _tuple(self.balances, "balances")
        if len(balances) != a:
            raise MalformedInputError(f"balances: {len(balances)} balances for {a} assets")
        for k, b in enumerate(balances):
            _check_units(b, f"balances[{k}].units")
        path = _check_instances(self.path, PathStep, "path")
        if len(path) != height:
            raise MalformedInputError(f"path: {len(path)} steps, expected height = {height}")
        for i, step in enumerate(path):
            if len(step.commitments) != a:
                raise MalformedInputError(
                    f"path[{i}].commitments: {len(step.commitments)} commitments for {a} assets"
                )
        if not isinstance(self.root, RootCommitment):
            raise MalformedInputError("root: expected a RootCommitment")
        if len(self.root.commitments) != a:
            raise MalformedInputError(
                f"root.commitments: {len(self.root.commitments)} commitments for {a} assets"
            )
        _set(self, "assets", assets)
        _set(self, "balances", balances)
        _set(self, "path", path)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": INCLUSION_PROOF_FORMAT,
            "version": VERSION,
            "epoch": self.epoch,
            "user_id": self.user_id,
            "user_secret": self.user_secret.hex(),
            "position": self.position,
            "height": self.height,
            "assets": [a.to_json() for a in self.assets],
            "balances": [
                {"symbol": a.symbol, "amount": format_units(b, a.decimals), "units": str(b)}
                for a, b in zip(self.assets, self.balances, strict=True)
            ],
            "path": [s.to_json() for s in self.path],
            "root": self.root.to_json(),
        }

    @classmethod
    def from_json(cls, obj: object, where: str = "") -> InclusionProofFile:
        _header(obj, where, INCLUSION_PROOF_FORMAT)
        keys = (
            "format", "version", "epoch", "user_id", "user_secret", "position", "height",
            "assets", "balances", "path", "root",
        )  # fmt: skip
        d = _object(obj, where, keys)
        user_id = _str(d["user_id"], _field(where, "user_id"))
        secret = _hex(d["user_secret"], _field(where, "user_secret"), SECRET_BYTES)
        assets = _assets_json(d["assets"], _field(where, "assets"))
        bw = _field(where, "balances")
        items = _list(d["balances"], bw)
        if len(items) != len(assets):
            raise MalformedInputError(f"{bw}: {len(items)} balances for {len(assets)} assets")
        balances = []
        for k, (item, asset) in enumerate(zip(items, assets, strict=True)):
            b = _object(item, f"{bw}[{k}]", ("symbol", "amount", "units"))
            if b["symbol"] != asset.symbol:
                raise MalformedInputError(f"{bw}[{k}].symbol: expected {asset.symbol!r}")
            units = _units_str(b["units"], f"{bw}[{k}].units")
            _amount_matches(b["amount"], units, asset.decimals, f"{bw}[{k}].amount")
            balances.append(units)
        pw = _field(where, "path")
        path = tuple(
            PathStep.from_json(s, f"{pw}[{i}]") for i, s in enumerate(_list(d["path"], pw))
        )
        root = RootCommitment.from_json(d["root"], _field(where, "root"))
        return _build(
            where,
            lambda: cls(
                epoch=d["epoch"],
                user_id=user_id,
                user_secret=secret,
                position=d["position"],
                height=d["height"],
                assets=assets,
                balances=tuple(balances),
                path=path,
                root=root,
            ),
        )

    @classmethod
    def loads(cls, data: bytes | str) -> InclusionProofFile:
        return _loads(cls.from_json, data)


def _check_symbols(symbols: Sequence[str], assets: Sequence[AssetSpec], where: str) -> None:
    if len(symbols) != len(assets):
        raise MalformedInputError(f"{where}: {len(symbols)} entries for {len(assets)} assets")
    for i, (s, a) in enumerate(zip(symbols, assets, strict=True)):
        if s != a.symbol:
            raise MalformedInputError(f"{where}[{i}].symbol: expected {a.symbol!r}")


def rfc3339_utc(when: datetime.datetime | None = None) -> str:
    """A ``created`` timestamp: RFC 3339, UTC, whole seconds, e.g. ``2024-01-31T12:00:00Z``."""
    when = when or datetime.datetime.now(datetime.UTC)
    if when.tzinfo is None:
        raise MalformedInputError("created: the time must carry a time zone")
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SCHEMA_FILES = {
    ROOT_FORMAT: "root-v1.json",
    LIABILITIES_FORMAT: "liabilities-v1.json",
    INCLUSION_PROOF_FORMAT: "inclusion-proof-v1.json",
    # The epoch log's files (solvency.files.logfiles, docs/PROTOCOL.md section 9).
    "solvency-log": "log-v1.json",
    "solvency-log-inclusion-proof": "log-inclusion-proof-v1.json",
    "solvency-log-consistency-proof": "log-consistency-proof-v1.json",
}


def load_schema(format_name: str) -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of a file format, e.g. ``load_schema("solvency-root")``."""
    if format_name not in _SCHEMA_FILES:
        raise MalformedInputError(f"no schema for format {format_name!r}")
    text = (resources.files("solvency.files") / "schemas" / _SCHEMA_FILES[format_name]).read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    return schema
