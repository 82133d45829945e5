"""The epoch's JSON files (PROTOCOL section 8): round trips, canonical bytes, schemas, refusals."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from conftest import make_rng, scalars
from conftest import user_ids as allowed_user_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.crypto import pedersen
from solvency.crypto.group import L
from solvency.errors import MalformedInputError, UnsupportedVersionError
from solvency.files.formats import (
    INCLUSION_PROOF_FORMAT,
    LIABILITIES_FORMAT,
    ROOT_FORMAT,
    InclusionProofFile,
    LiabilitiesFile,
    LiabilityTotal,
    PathStep,
    RootCommitment,
    RootFile,
    TotalOpening,
    load_schema,
    rfc3339_utc,
)
from solvency.files.ledger import MAX_UNITS, AssetSpec, format_units

# --- strategies ---------------------------------------------------------------------------------

units_st = st.one_of(st.sampled_from((0, 1, MAX_UNITS)), st.integers(0, MAX_UNITS))
decimals_st = st.one_of(st.sampled_from((0, 8, 18)), st.integers(0, 18))
symbols_st = st.from_regex(r"\A[A-Z0-9][A-Z0-9._-]{0,15}\Z")
assets_st = st.lists(
    st.builds(AssetSpec, symbols_st, decimals_st),
    min_size=1,
    max_size=3,
    unique_by=lambda a: a.symbol,
).map(tuple)
hashes = st.binary(min_size=32, max_size=32)
epochs = st.from_regex(r"\A[A-Za-z0-9._:-]{1,64}\Z")
user_ids = allowed_user_ids(1, 40)
# Commitments are real points: Com(v, r) for drawn v, r.
points = st.builds(pedersen.commit, units_st, scalars)
range_proofs = st.integers(7, 14).flatmap(lambda n: st.binary(min_size=32 * n, max_size=32 * n))
created_st = st.datetimes(
    min_value=datetime.datetime(1970, 1, 1), max_value=datetime.datetime(9999, 12, 31)
).map(lambda d: rfc3339_utc(d.replace(tzinfo=datetime.UTC)))


def commitment_lists(a: int) -> st.SearchStrategy[tuple[bytes, ...]]:
    return st.lists(points, min_size=a, max_size=a).map(tuple)


@st.composite
def root_files(draw: st.DrawFn) -> RootFile:
    assets = draw(assets_st)
    root = RootCommitment(draw(hashes), draw(commitment_lists(len(assets))))
    totals = draw(
        st.one_of(
            st.none(),
            st.tuples(
                *(st.builds(TotalOpening, st.just(a.symbol), units_st, scalars) for a in assets)
            ),
        )
    )
    return RootFile(
        epoch=draw(epochs),
        created=draw(created_st),
        tool=draw(st.sampled_from(("solvency 0.1.0", "solvency ✓ dev"))),
        height=draw(st.integers(1, 64)),
        range_bits=draw(st.sampled_from((8, 16, 32, 64))),
        assets=assets,
        root=root,
        totals=totals,
    )


@st.composite
def liabilities_files(draw: st.DrawFn) -> LiabilitiesFile:
    assets = draw(assets_st)
    totals = tuple(
        LiabilityTotal(a.symbol, a.decimals, draw(units_st), draw(scalars)) for a in assets
    )
    return LiabilitiesFile(epoch=draw(epochs), root_hash=draw(hashes), totals=totals)


@st.composite
def inclusion_proofs(draw: st.DrawFn, max_height: int = 6) -> InclusionProofFile:
    assets = draw(assets_st)
    a = len(assets)
    height = draw(st.one_of(st.just(1), st.integers(1, max_height)))
    position = draw(st.one_of(st.sampled_from((0, 2**height - 1)), st.integers(0, 2**height - 1)))
    path = tuple(
        PathStep(draw(commitment_lists(a)), draw(hashes), draw(range_proofs)) for _ in range(height)
    )
    return InclusionProofFile(
        epoch=draw(epochs),
        user_id=draw(user_ids),
        user_secret=draw(hashes),
        position=position,
        height=height,
        assets=assets,
        balances=tuple(draw(units_st) for _ in assets),
        path=path,
        root=RootCommitment(draw(hashes), draw(commitment_lists(a))),
    )


def _sample_proof(height: int = 3, seed: int = 1) -> InclusionProofFile:
    rng = make_rng(seed)
    assets = (AssetSpec("BTC", 8), AssetSpec("ETH", 18))

    def C(v: int) -> bytes:
        return pedersen.commit(v, int.from_bytes(rng(64), "little") % L)

    path = tuple(PathStep((C(i), C(2 * i)), rng(32), rng(32 * 16)) for i in range(height))
    return InclusionProofFile(
        epoch="2024-06",
        user_id="ålice",
        user_secret=rng(32),
        position=5 % 2**height,
        height=height,
        assets=assets,
        balances=(150_000_000, 0),
        path=path,
        root=RootCommitment(rng(32), (C(10), C(20))),
    )


def _sample_root(totals: bool = True) -> RootFile:
    rng = make_rng(2)
    assets = (AssetSpec("BTC", 8), AssetSpec("USD", 2))
    return RootFile(
        epoch="2024-06",
        created="2024-06-30T23:59:59Z",
        tool="solvency 0.1.0",
        height=20,
        range_bits=64,
        assets=assets,
        root=RootCommitment(rng(32), (pedersen.commit(3, 4), pedersen.commit(5, 6))),
        totals=(TotalOpening("BTC", 3, 4), TotalOpening("USD", 5, 6)) if totals else None,
    )


def _sample_liabilities() -> LiabilitiesFile:
    return LiabilitiesFile(
        epoch="2024-06",
        root_hash=bytes(range(32)),
        totals=(LiabilityTotal("BTC", 8, 150_000_000, L - 1), LiabilityTotal("USD", 0, 7, 0)),
    )


# --- round trips --------------------------------------------------------------------------------


def _round_trip(doc: Any) -> None:
    cls = type(doc)
    assert cls.from_json(doc.to_json()) == doc
    data = doc.dumps()
    assert cls.loads(data) == doc
    assert cls.loads(data.decode("utf-8")) == doc
    # Canonical: parsing and writing again gives the same bytes; the JSON layer agrees.
    assert cls.loads(data).dumps() == data
    assert (
        data
        == (
            json.dumps(json.loads(data), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        ).encode()
    )
    assert data.endswith(b"}\n")


@settings(max_examples=25, deadline=None)
@given(doc=root_files())
def test_root_file_round_trip(doc: RootFile) -> None:
    _round_trip(doc)
    _round_trip(doc.root)
    for t in doc.totals or ():
        _round_trip(t)


@settings(max_examples=25, deadline=None)
@given(doc=liabilities_files())
def test_liabilities_file_round_trip(doc: LiabilitiesFile) -> None:
    _round_trip(doc)
    for t, item in zip(doc.totals, doc.to_json()["totals"], strict=True):
        _round_trip(t)
        assert item["amount"] == format_units(t.units, t.decimals)
    assert doc.assets == tuple(AssetSpec(t.symbol, t.decimals) for t in doc.totals)


@settings(max_examples=20, deadline=None)
@given(doc=inclusion_proofs())
def test_inclusion_proof_round_trip(doc: InclusionProofFile) -> None:
    _round_trip(doc)
    for step in doc.path:
        _round_trip(step)
    j = doc.to_json()
    for b, a, units in zip(j["balances"], doc.assets, doc.balances, strict=True):
        assert b == {
            "symbol": a.symbol,
            "amount": format_units(units, a.decimals),
            "units": str(units),
        }


def test_unicode_is_written_as_utf8_not_escapes() -> None:
    data = _sample_proof().dumps()
    assert "ålice".encode() in data
    assert b"\\u" not in data


def test_constructors_store_tuples() -> None:
    p = _sample_proof()
    step = PathStep(list(p.path[0].commitments), p.path[0].hash, p.path[0].range_proof)  # type: ignore[arg-type]
    assert isinstance(step.commitments, tuple)
    assert hash(step) == hash(p.path[0])


def test_rfc3339_utc() -> None:
    when = datetime.datetime(
        2024, 2, 29, 13, 14, 15, 999, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    assert rfc3339_utc(when) == "2024-02-29T11:14:15Z"
    with pytest.raises(MalformedInputError):
        rfc3339_utc(datetime.datetime(2024, 1, 1))  # a naive time is refused
    now = rfc3339_utc()
    assert RootFile(**{**_sample_root().__dict__, "created": now}).created == now


# --- schemas ------------------------------------------------------------------------------------


def _validator(fmt: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(fmt)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(schema)


@settings(max_examples=15, deadline=None)
@given(root=root_files(), liab=liabilities_files(), proof=inclusion_proofs())
def test_generated_documents_match_schemas(
    root: RootFile, liab: LiabilitiesFile, proof: InclusionProofFile
) -> None:
    for fmt, doc in (
        (ROOT_FORMAT, root),
        (LIABILITIES_FORMAT, liab),
        (INCLUSION_PROOF_FORMAT, proof),
    ):
        _validator(fmt).validate(json.loads(doc.dumps()))


@pytest.mark.parametrize(
    ("fmt", "make", "mutate"),
    [
        (ROOT_FORMAT, _sample_root, lambda j: j.update(extra=1)),
        (ROOT_FORMAT, _sample_root, lambda j: j["parameters"].pop("hash")),
        (ROOT_FORMAT, _sample_root, lambda j: j["root"].update(hash="AB" * 32)),
        (ROOT_FORMAT, _sample_root, lambda j: j["totals"][0].update(units=5)),
        (LIABILITIES_FORMAT, _sample_liabilities, lambda j: j.update(version=2)),
        (LIABILITIES_FORMAT, _sample_liabilities, lambda j: j["totals"][0].update(decimals=19)),
        (
            INCLUSION_PROOF_FORMAT,
            _sample_proof,
            lambda j: j["path"][0].update(range_proof="00" * 32),
        ),
        (INCLUSION_PROOF_FORMAT, _sample_proof, lambda j: j.update(position=True)),
        (INCLUSION_PROOF_FORMAT, _sample_proof, lambda j: j["balances"][0].pop("amount")),
    ],
)
def test_schemas_refuse_what_the_parser_refuses(
    fmt: str, make: Callable[[], Any], mutate: Callable[[dict[str, Any]], object]
) -> None:
    doc = make()
    j = doc.to_json()
    _validator(fmt).validate(j)
    mutate(j)
    assert not _validator(fmt).is_valid(j)
    with pytest.raises(MalformedInputError):
        type(doc).from_json(j)


def test_load_schema_unknown_format() -> None:
    with pytest.raises(MalformedInputError):
        load_schema("solvency-nothing")


# --- strict parsing: one test per refusal -------------------------------------------------------

POINT = pedersen.commit(1, 2)
NON_CANONICAL = "ff" * 32  # not a ristretto255 encoding
# Flipping the top bit of a canonical encoding gives another 32-byte string for the same
# point under a lax decoder: a malleability a cheating exchange could use to make two
# different-looking files for one tree.
HIGH_BIT = (POINT[:31] + bytes([POINT[31] | 0x80])).hex()


def _refuse(
    doc: Any, mutate: Callable[[dict[str, Any]], object], where: str, words: str = ""
) -> None:
    j = copy.deepcopy(doc.to_json())
    mutate(j)
    with pytest.raises(MalformedInputError) as info:
        type(doc).from_json(j)
    assert type(info.value) is MalformedInputError
    msg = str(info.value)
    assert msg.startswith(where), msg
    assert words in msg, msg


PROOF_REFUSALS: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    ("unknown key", lambda j: j.update(note="hi"), "document", "unknown key 'note'"),
    ("missing key", lambda j: j.pop("user_secret"), "document", "missing key 'user_secret'"),
    ("nested unknown key", lambda j: j["path"][1].update(x=1), "path[1]", "unknown key 'x'"),
    ("nested missing key", lambda j: j["root"].pop("hash"), "root", "missing key 'hash'"),
    ("format differs", lambda j: j.update(format="solvency-root"), "format", "expected"),
    ("format missing", lambda j: j.pop("format"), "document", "missing key 'format'"),
    ("version type", lambda j: j.update(version="1"), "version", "integer"),
    ("version bool", lambda j: j.update(version=True), "version", "integer"),
    ("position bool", lambda j: j.update(position=False), "position", "integer"),
    ("position float", lambda j: j.update(position=5.0), "position", "integer"),
    ("position too big", lambda j: j.update(position=8), "position", "0..7"),
    ("position negative", lambda j: j.update(position=-1), "position", "must be in 0.."),
    ("height string", lambda j: j.update(height="3"), "height", "integer"),
    ("height zero", lambda j: j.update(height=0, path=[]), "height", "1..64"),
    ("height 65", lambda j: j.update(height=65), "height", "1..64"),
    ("path shorter than height", lambda j: j["path"].pop(), "path", "2 steps, expected height = 3"),
    ("path longer than height", lambda j: j["path"].append(j["path"][0]), "path", "4 steps"),
    (
        "hex uppercase",
        lambda j: j.update(user_secret=j["user_secret"].upper()),
        "user_secret",
        "lowercase",
    ),
    (
        "hex short",
        lambda j: j.update(user_secret=j["user_secret"][:-2]),
        "user_secret",
        "64 hex digits",
    ),
    (
        "hex odd",
        lambda j: j.update(user_secret=j["user_secret"][:-1]),
        "user_secret",
        "64 hex digits",
    ),
    ("non-hex", lambda j: j.update(user_secret="zz" * 32), "user_secret", "hex"),
    ("hex as list", lambda j: j.update(user_secret=[1, 2]), "user_secret", "hex string"),
    (
        "point non-canonical",
        lambda j: j["path"][2]["commitments"].__setitem__(0, NON_CANONICAL),
        "path[2].commitments[0]",
        "not a canonical ristretto255 point",
    ),
    (
        "point high bit",
        lambda j: j["root"]["commitments"].__setitem__(1, HIGH_BIT),
        "root.commitments[1]",
        "canonical",
    ),
    (
        "point short",
        lambda j: j["path"][0]["commitments"].__setitem__(1, "00" * 31),
        "path[0].commitments[1]",
        "64 hex digits",
    ),
    (
        "step commitment count",
        lambda j: j["path"][1]["commitments"].pop(),
        "path[1].commitments",
        "1 commitments for 2 assets",
    ),
    (
        "step no commitments",
        lambda j: j["path"][1].update(commitments=[]),
        "path[1].commitments",
        "at least one",
    ),
    (
        "root commitment count",
        lambda j: j["root"]["commitments"].append(POINT.hex()),
        "root.commitments",
        "3 commitments for 2 assets",
    ),
    (
        "range proof not 32-multiple",
        lambda j: j["path"][0].update(range_proof=j["path"][0]["range_proof"][:-2]),
        "path[0].range_proof",
        "multiple of 32",
    ),
    (
        "range proof too short",
        lambda j: j["path"][0].update(range_proof="00" * 192),
        "path[0].range_proof",
        "at least 224",
    ),
    (
        "units as number",
        lambda j: j["balances"][0].update(units=150000000),
        "balances[0].units",
        "decimal string",
    ),
    (
        "units leading zero",
        lambda j: j["balances"][1].update(units="00"),
        "balances[1].units",
        "leading zeros",
    ),
    (
        "units 2^64",
        lambda j: j["balances"][1].update(units=str(2**64)),
        "balances[1].units",
        "[0, 2^64)",
    ),
    (
        "units negative",
        lambda j: j["balances"][1].update(units="-1"),
        "balances[1].units",
        "decimal string",
    ),
    (
        "amount inconsistent",
        lambda j: j["balances"][0].update(amount="1.5"),
        "balances[0].amount",
        "does not equal",
    ),
    (
        "amount as number",
        lambda j: j["balances"][0].update(amount=1.5),
        "balances[0].amount",
        "decimal string",
    ),
    (
        "balance symbol",
        lambda j: j["balances"][0].update(symbol="ETH"),
        "balances[0].symbol",
        "expected 'BTC'",
    ),
    ("balance count", lambda j: j["balances"].pop(), "balances", "1 balances for 2 assets"),
    (
        "asset duplicate",
        lambda j: j["assets"].__setitem__(1, j["assets"][0]),
        "assets",
        "appears twice",
    ),
    (
        "asset decimals bool",
        lambda j: j["assets"][0].update(decimals=True),
        "assets[0].decimals",
        "integer",
    ),
    (
        "asset symbol lowercase",
        lambda j: j["assets"][0].update(symbol="btc"),
        "assets[0]",
        "asset symbol",
    ),
    ("assets empty", lambda j: j.update(assets=[]), "assets", "at least one"),
    ("epoch bad character", lambda j: j.update(epoch="2024/06"), "epoch", "A-Z"),
    ("epoch too long", lambda j: j.update(epoch="e" * 65), "epoch", "1-64"),
    ("user id padded", lambda j: j.update(user_id="ålice "), "user_id", "whitespace"),
    ("user id control", lambda j: j.update(user_id="a\nb"), "user_id", "control"),
    ("user id surrogate", lambda j: j.update(user_id="a\ud800"), "user_id", "surrogate"),
    ("user id number", lambda j: j.update(user_id=7), "user_id", "string"),
    ("path not list", lambda j: j.update(path={}), "path", "list"),
    ("step not object", lambda j: j["path"].__setitem__(0, "x"), "path[0]", "JSON object"),
]


@pytest.mark.parametrize(
    ("mutate", "where", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in PROOF_REFUSALS],
)
def test_inclusion_proof_refusals(
    mutate: Callable[[dict[str, Any]], object], where: str, words: str
) -> None:
    _refuse(_sample_proof(height=3), mutate, where, words)


def _bad_scalar(j: dict[str, Any]) -> None:
    j["totals"][0]["blinding"] = L.to_bytes(32, "little").hex()


ROOT_REFUSALS: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    ("hash name", lambda j: j["parameters"].update(hash="sha3-256"), "parameters.hash", "sha256"),
    (
        "range bits",
        lambda j: j["parameters"].update(range_bits=63),
        "parameters.range_bits",
        "one of",
    ),
    ("params unknown", lambda j: j["parameters"].update(extra=0), "parameters", "unknown key"),
    (
        "created not UTC",
        lambda j: j.update(created="2024-06-30T23:59:59+02:00"),
        "created",
        "RFC 3339",
    ),
    (
        "created impossible date",
        lambda j: j.update(created="2024-02-30T00:00:00Z"),
        "created",
        "valid date",
    ),
    ("tool empty", lambda j: j.update(tool=""), "tool", "1-200"),
    ("tool control", lambda j: j.update(tool="a\x1bb"), "tool", "control"),
    ("blinding >= l", lambda j: _bad_scalar(j), "totals[0].blinding", "group order"),
    ("totals symbol order", lambda j: j["totals"].reverse(), "totals[0].symbol", "expected 'BTC'"),
    ("totals count", lambda j: j["totals"].pop(), "totals", "1 entries for 2 assets"),
    ("totals not list", lambda j: j.update(totals={}), "totals", "list"),
    (
        "root commitments count",
        lambda j: j["root"]["commitments"].pop(),
        "root.commitments",
        "1 commitments for 2 assets",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "where", "words"), [c[1:] for c in ROOT_REFUSALS], ids=[c[0] for c in ROOT_REFUSALS]
)
def test_root_file_refusals(
    mutate: Callable[[dict[str, Any]], object], where: str, words: str
) -> None:
    _refuse(_sample_root(), mutate, where, words)


LIABILITY_REFUSALS: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    (
        "amount not canonical",
        lambda j: j["totals"][0].update(amount="1.5"),
        "totals[0].amount",
        "does not equal",
    ),
    (
        "amount for other decimals",
        lambda j: j["totals"][0].update(decimals=7),
        "totals[0].amount",
        "7 decimals",
    ),
    (
        "duplicate symbol",
        lambda j: j["totals"][1].update(symbol="BTC", decimals=8, amount="0.00000007"),
        "totals",
        "appears twice",
    ),
    ("no totals", lambda j: j.update(totals=[]), "totals", "at least one"),
    ("root hash short", lambda j: j.update(root_hash="00"), "root_hash", "64 hex digits"),
    (
        "blinding uppercase",
        lambda j: j["totals"][1].update(blinding="AA" * 32),
        "totals[1].blinding",
        "lowercase",
    ),
    ("missing amount", lambda j: j["totals"][1].pop("amount"), "totals[1]", "missing key 'amount'"),
]


@pytest.mark.parametrize(
    ("mutate", "where", "words"),
    [c[1:] for c in LIABILITY_REFUSALS],
    ids=[c[0] for c in LIABILITY_REFUSALS],
)
def test_liabilities_refusals(
    mutate: Callable[[dict[str, Any]], object], where: str, words: str
) -> None:
    _refuse(_sample_liabilities(), mutate, where, words)


@pytest.mark.parametrize("cls", [RootFile, LiabilitiesFile, InclusionProofFile])
def test_unsupported_version(cls: Any) -> None:
    makers: dict[type, Callable[[], Any]] = {
        RootFile: _sample_root,
        LiabilitiesFile: _sample_liabilities,
        InclusionProofFile: _sample_proof,
    }
    doc = makers[cls]()
    j = doc.to_json()
    j["version"] = 3  # version 2 is the margin format (section 10.5)
    j["something_new"] = True  # a newer file: reported as its version, not its keys
    with pytest.raises(UnsupportedVersionError, match="version 3 is not supported"):
        cls.from_json(j)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"format": "solvency-inclusion-proof", "format": "x"}', "duplicate key 'format'"),
        (b"\xff{}", "not UTF-8"),
        (b"[]", "JSON object"),
        (b'{"version": NaN}', "NaN is not allowed"),
        (b"{", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "document"),
        ("\ufeff{}".encode(), "document"),
    ],
)
def test_loads_refuses_bad_json(data: bytes, words: str) -> None:
    with pytest.raises(MalformedInputError) as info:
        InclusionProofFile.loads(data)
    assert words in str(info.value)


def test_constructors_run_the_same_checks() -> None:
    p = _sample_proof()
    with pytest.raises(MalformedInputError, match=r"^commitments\[1\]: not a canonical"):
        PathStep((POINT, bytes.fromhex(NON_CANONICAL)), bytes(32), bytes(7 * 32))
    with pytest.raises(MalformedInputError, match="path: 2 steps"):
        InclusionProofFile(**{**p.__dict__, "path": p.path[:2]})
    with pytest.raises(MalformedInputError, match="blinding"):
        TotalOpening("BTC", 1, L)
    with pytest.raises(MalformedInputError, match="units"):
        LiabilityTotal("BTC", 8, 2**64, 0)
    with pytest.raises(MalformedInputError, match="range_bits"):
        RootFile(**{**_sample_root().__dict__, "range_bits": True})


# --- attacks and byte flips ---------------------------------------------------------------------


def test_cheating_exchange_cannot_drop_the_top_of_the_path() -> None:
    """An exchange hiding the upper part of the tree (where a negative sum would show) by
    shipping fewer siblings than the height: refused on parsing. (A file that also lowers its
    height is consistent on its own; the verifier compares it with the signed root's.)"""
    j = _sample_proof(height=4).to_json()
    j["path"] = j["path"][:3]
    with pytest.raises(MalformedInputError, match="path: 3 steps, expected height = 4"):
        InclusionProofFile.from_json(j)


def test_cheating_exchange_cannot_use_a_second_encoding_of_a_sibling() -> None:
    """Two byte strings for one commitment would let the exchange show users different-looking
    paths for one tree: only the canonical encoding is read."""
    p = _sample_proof()
    j = p.to_json()
    C = p.path[1].commitments[0]
    j["path"][1]["commitments"][0] = (C[:31] + bytes([C[31] | 0x80])).hex()
    with pytest.raises(MalformedInputError, match=r"path\[1\]\.commitments\[0\]"):
        InclusionProofFile.from_json(j)


def test_range_proof_bytes_are_kept_exactly() -> None:
    p = _sample_proof()
    j = p.to_json()
    j["path"][0]["range_proof"] = j["path"][0]["range_proof"][:-64]  # one element fewer
    assert InclusionProofFile.from_json(j).path[0].range_proof == p.path[0].range_proof[:-32]


@settings(max_examples=60, deadline=None)
@given(pos=st.integers(0, 10**9), bit=st.integers(0, 7))
def test_byte_flips_are_refused_or_change_the_document(pos: int, bit: int) -> None:
    p = _sample_proof(height=2)
    data = bytearray(p.dumps())
    data[pos % len(data)] ^= 1 << bit
    try:
        parsed = InclusionProofFile.loads(bytes(data))
    except MalformedInputError:
        return
    assert parsed != p


# --- the schema is the description: its edge cases ----------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda j: j.update(user_secret=j["user_secret"] + "\n"), "user_secret"),
        (lambda j: j.update(epoch="2024-06\n"), "epoch"),
        (lambda j: j["balances"][0].update(units="150000000\n"), "balances[0].units"),
        (lambda j: j["path"][0].update(hash=j["path"][0]["hash"] + "\n"), "path[0].hash"),
        (lambda j: j.update(height=3.0), "height"),
    ],
)
def test_schema_patterns_are_anchored_like_ecma(
    mutate: Callable[[dict[str, Any]], object], where: str
) -> None:
    """Python's ``$`` matches before a final newline, ECMA 262's does not: a trailing newline
    (which ``bytes.fromhex`` and ``int`` would skip) is refused, as is 3.0 for an integer."""
    _refuse(_sample_proof(height=3), mutate, where)


def test_every_format_has_a_schema_that_is_valid() -> None:
    from solvency.files.formats import SCHEMA_FILES

    for (fmt, version), name in SCHEMA_FILES.items():
        schema = load_schema(fmt, version)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(name)
        assert schema["properties"]["format"] == {"const": fmt}
        assert schema["properties"]["version"] == {"const": version}
