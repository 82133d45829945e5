"""``solvency.files.schema_check`` gives jsonschema's errors (tests/schema_reference.py, the
reference), in the same order and with the same message from ``formats.check_shape``, on
documents hypothesis builds from every schema and then mutates; and it refuses a schema that
uses a keyword it does not implement, so none is silently ignored.

(tests/conftest.py also compares the two on every schema check the rest of the suite makes.)
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_reference import assert_same

from solvency.files import formats, schema_check
from solvency.files.schema_check import Schemas, UnsupportedSchemaError

FILES = sorted(set(formats.SCHEMA_FILES.values()))


def _refs() -> list[str]:
    """Every schema file, and every definition in it."""
    out = []
    for name in FILES:
        out.append(name)
        out += [f"{name}#/$defs/{d}" for d in formats._schema_text(name).get("$defs", {})]
    return out


REFS = _refs()


def _resolve(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema and len(schema) == 1:
        node: Any = formats._schema_text(name)
        for part in schema["$ref"][2:].split("/"):
            node = node[part]
        schema = node
    return schema


#: A pattern of whole 2k-digit lower-case hex blocks, at least n of them: ^([0-9a-f]{2k}){n,}$
_HEX_BLOCKS = re.compile(r"\^\(\[0-9a-f\]\{(\d+)\}\)\{(\d+),\}\$")


def _valid(name: str, schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Documents meant to satisfy ``schema`` (the subset of keywords our schemas use).

    Where a schema combines keywords this does not model, the document may not conform: it is
    compared all the same, which only widens what is tested."""
    schema = _resolve(name, schema)
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _valid(name, {**_resolve(name, {"$ref": schema["$ref"]}), **rest}, depth)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", "null")
    kind = types if isinstance(types, str) else types[0]
    if kind == "object":
        props = schema.get("properties", {})
        required = schema.get("required", [])
        optional = [k for k in props if k not in required]
        fixed = {k: _valid(name, props[k], depth + 1) for k in required if k in props}
        return st.fixed_dictionaries(
            fixed, optional={k: _valid(name, props[k], depth + 1) for k in optional}
        )
    if kind == "array":
        lo = schema.get("minItems", 0)
        hi = min(schema.get("maxItems", lo + 2), lo + 2)
        return st.lists(_valid(name, schema.get("items", {}), depth + 1), min_size=lo, max_size=hi)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "string":
        lo, hi = schema.get("minLength", 0), schema.get("maxLength")
        blocks = _HEX_BLOCKS.fullmatch(schema.get("pattern", ""))
        if blocks:
            # A proof's hex (448+ characters): from_regex spends a draw per character and
            # overran hypothesis's buffer now and then ("data too large"); bytes.hex is cheap.
            width, least = int(blocks[1]), int(blocks[2])
            text = (
                st.integers(least, least + 2)
                .flatmap(
                    lambda count: st.binary(
                        min_size=count * width // 2, max_size=count * width // 2
                    )
                )
                .map(bytes.hex)
            )
        elif "pattern" in schema:
            text = st.from_regex(schema["pattern"], fullmatch=True)
        else:
            text = st.text(min_size=lo, max_size=hi)
        return text.filter(lambda s: lo <= len(s) and (hi is None or len(s) <= hi))
    if kind == "boolean":
        return st.booleans()
    return st.none()


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([0, 1, -1, 2**64, 2**64 - 1, 5.0, 1.0, 0.0, -0.5, "", "0", "1\n", "ab"])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


def _places(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _places(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _places(v, (*path, i))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """One edit at a drawn place: another value, a near miss, a key removed or added."""
    path = data.draw(st.sampled_from(_places(doc)))
    old = _get(doc, path)
    kind = data.draw(
        st.sampled_from(["replace", "near", "drop", "add", "append", "empty"]), label="kind"
    )
    new: Any
    if kind == "near":
        if isinstance(old, bool):
            new = int(old)
        elif isinstance(old, int):
            new = data.draw(st.sampled_from([float(old), old + 1, old - 1, True, str(old)]))
        elif isinstance(old, str):
            new = data.draw(
                st.sampled_from([old + "\n", old[:-1], old + old[-1:], old.upper(), " " + old])
            )
        else:
            new = data.draw(_json_values)
    elif kind == "drop" and isinstance(old, dict) and old:
        new = dict(old)
        del new[data.draw(st.sampled_from(sorted(old)))]
    elif kind == "add" and isinstance(old, dict):
        new = {**old, data.draw(st.text(max_size=6), label="key"): data.draw(_json_values)}
    elif kind == "append" and isinstance(old, list):
        new = [*old, data.draw(st.sampled_from(old) if old else _json_values)]
    elif kind == "empty":
        new = type(old)() if isinstance(old, list | dict | str) else None
    else:
        new = data.draw(_json_values)
    if not path:
        return new
    parent = _get(doc, path[:-1])
    parent[path[-1]] = new
    return doc


@pytest.mark.parametrize("ref", REFS)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_same_errors_as_jsonschema(ref: str, data: st.DataObject) -> None:
    name, _, pointer = ref.partition("#")
    schema = formats._schema_text(name)
    if pointer:
        schema = {"$ref": "#" + pointer}
    doc = data.draw(_valid(name, schema), label="document")
    assert_same(doc, ref)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        doc = _mutate(copy.deepcopy(doc), data)
        assert_same(doc, ref, "where")


@pytest.mark.parametrize("name", FILES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_documents_conform(name: str, data: st.DataObject) -> None:
    """The strategy above builds conforming documents (so the mutations start from valid)."""
    doc = data.draw(_valid(name, formats._schema_text(name)))
    assert_same(doc, name)
    assert formats.schema_errors(doc, name) == []


@pytest.mark.parametrize(
    ("instance", "ref", "message"),
    [
        # integers: not 5.0, not true, bounds checked
        (
            5.0,
            "root-v1.json#/properties/parameters/properties/height",
            "height: expected an integer",
        ),
        (
            True,
            "root-v1.json#/properties/parameters/properties/height",
            "height: expected an integer",
        ),
        # an anchored pattern does not match before a final newline
        ("ab" * 32 + "\n", "root-v1.json#/$defs/hex32", None),
    ],
)
def test_strict_edges(instance: object, ref: str, message: str | None) -> None:
    assert_same(instance, ref, ref.rsplit("/", 1)[-1])
    errors = formats.schema_errors(instance, ref)
    assert errors, "refused"
    if message is not None:
        assert formats._message(errors[0], "height") == message


def test_every_schema_file_is_supported() -> None:
    schemas = formats._schemas()
    schemas.check_all()
    for ref in REFS:
        schemas.iter_errors(None, ref)  # resolves, and the files were checked when loaded


_BASE = {"$id": "https://solvency.invalid/schemas/x.json", "type": "object"}


@pytest.mark.parametrize(
    "schema",
    [
        {**_BASE, "format": "date-time"},
        {**_BASE, "properties": {"a": {"oneOf": [{"type": "string"}]}}},
        {**_BASE, "properties": {"a": {"uniqueItems": True}}},
        {**_BASE, "additionalProperties": {"type": "string"}},
        {**_BASE, "additionalProperties": True},
        {**_BASE, "properties": {"a": {"$ref": "other.json#/x"}}},
        {**_BASE, "properties": {"a": {"$ref": "#/$defs/missing"}}},
        {**_BASE, "properties": {"a": True}},
        {**_BASE, "properties": {"a": {"$id": "nested"}}},
        {**_BASE, "properties": {"a": {"type": "decimal"}}},
        {**_BASE, "items": {"patternProperties": {}}},
        {**_BASE, "minLength": -1},
        {**_BASE, "minimum": "0"},
        {**_BASE, "$defs": {"d": {"unevaluatedProperties": False}}},
    ],
)
def test_unknown_keywords_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchemaError):
        Schemas({"x.json": schema}).check_all()
    with pytest.raises(UnsupportedSchemaError):  # before the document's first use
        Schemas({"x.json": schema}).iter_errors({}, "x.json")


def test_equal_is_json_equality() -> None:
    assert schema_check.equal(1, 1) and schema_check.equal("a", "a")
    assert not schema_check.equal(True, 1) and not schema_check.equal(0, False)
    assert schema_check.equal([1, {"a": [2]}], [1, {"a": [2]}])
    assert not schema_check.equal([True], [1]) and not schema_check.equal({"a": 1}, {"b": 1})
    assert not schema_check.equal("1", 1)


def test_schema_texts_round_trip() -> None:
    texts = {name: formats._schema_json(name) for name in FILES}
    schemas = Schemas.from_texts(texts)
    doc = json.loads(formats._schema_json("root-v1.json"))
    assert list(schemas.iter_errors(doc, "root-v1.json"))  # a schema is not a root file


def test_hex_block_strategy_covers_the_proof_pattern_and_matches_it() -> None:
    pattern = "^([0-9a-f]{64}){7,}$"
    assert json.dumps(pattern) in json.dumps(formats._schema_text("inclusion-proof-v2.json"))
    assert _HEX_BLOCKS.fullmatch(pattern)
    strategy = _valid("inclusion-proof-v2.json", {"type": "string", "pattern": pattern})

    @settings(max_examples=20, deadline=None)
    @given(text=strategy)
    def check(text: str) -> None:
        assert re.fullmatch(pattern, text)

    check()
