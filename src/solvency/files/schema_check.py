"""Validation of a document against our JSON Schemas (draft 2020-12), for exactly the keywords
they use, with the errors ``jsonschema`` would report.

Why not ``jsonschema`` itself: measured for issue 8's start-up target on this 2-core machine
(``benchmarks/bench_formats.py``, ``benchmarks/results/formats.json``), importing ``jsonschema``
(attrs, referencing, rpds, its meta-schemas) costs about 46 ms, most of a 120 ms budget for
``solvency verify``, where this module imports in about 1.4 ms; validating a height-32
inclusion proof takes 2.9 ms there and 0.7 ms here. ``fastjsonschema`` was measured too and
rejected (9-13 ms to compile our schemas in each process, and it accepts ``5.0`` as an
integer). The schemas
stay the single description of each file; ``jsonschema`` stays the reference in the tests:
tests/test_schema_check.py compares the two on hypothesis-made and mutated documents of every
schema, and tests/conftest.py makes every ``check_shape`` call of the suite (every malformed-
file test included) check that both give the same verdict and message.

Strictness, as ``solvency.files.formats`` had configured ``jsonschema``: ``integer`` is an int
and not a bool (so neither ``true`` nor ``5.0`` is one), and an anchored ``pattern`` must match
up to the end of the string (Python's ``$`` also matches before a final newline, ECMA 262's
does not). A schema keyword outside ``KEYWORDS`` (or one used in a form not handled here, such
as a non-local ``$ref`` or ``additionalProperties`` other than ``false``) makes ``Schemas``
refuse the schema file with ``UnsupportedSchemaError``, so no keyword is silently ignored.

Errors are yielded in jsonschema's order (each schema's keywords in the order they are written,
object properties in the schema's order, list items by index) with the attributes
``formats._message`` reads: ``validator`` (the keyword), ``validator_value``, ``instance``,
``schema`` (the subschema holding the keyword), ``absolute_path`` and ``message``.
"""

from __future__ import annotations

import json
import numbers
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

#: Keywords that check something, handled below.
CHECKS = frozenset(
    {
        "$ref",
        "type",
        "const",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "items",
        "required",
        "additionalProperties",
        "properties",
    }
)
#: Keywords that check nothing (annotations, and the definitions ``$ref`` points into).
ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment", "$defs"})
KEYWORDS = CHECKS | ANNOTATIONS

_TYPES: dict[str, Callable[[object], bool]] = {
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    # Stricter than JSON Schema, as formats has always been: 5.0 and true are not integers.
    "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
    "null": lambda x: x is None,
    "number": lambda x: isinstance(x, numbers.Number) and not isinstance(x, bool),
    "object": lambda x: isinstance(x, dict),
    "string": lambda x: isinstance(x, str),
}


def read_schema(name: str) -> str:
    """The text of ``solvency/files/schemas/<name>``, shipped with the package.

    Read through the package's loader (``pkgutil.get_data``, about 0.3 ms to import, where
    ``importlib.resources`` costs about 3 ms of ``solvency verify``). A missing file raises
    FileNotFoundError."""
    data = pkgutil.get_data("solvency.files", f"schemas/{name}")
    if data is None:  # a loader that cannot read data files
        raise FileNotFoundError(f"solvency.files: schemas/{name}")
    return data.decode("utf-8")


class UnsupportedSchemaError(Exception):
    """A schema uses a keyword (or a form of one) this validator does not implement."""


class SchemaError:
    """One way ``instance`` fails ``schema[validator]`` (the attributes jsonschema's errors
    have under the same names)."""

    __slots__ = ("absolute_path", "instance", "message", "schema", "validator", "validator_value")

    def __init__(
        self,
        validator: str,
        validator_value: object,
        instance: object,
        schema: Mapping[str, Any],
        absolute_path: tuple[str | int, ...],
        message: str,
    ) -> None:
        self.validator = validator
        self.validator_value = validator_value
        self.instance = instance
        self.schema = schema
        self.absolute_path = absolute_path
        self.message = message

    def __repr__(self) -> str:
        return f"SchemaError({self.validator!r} at {list(self.absolute_path)}: {self.message})"


def equal(one: object, two: object) -> bool:
    """JSON equality as jsonschema's ``const`` and ``enum`` use it: ``true`` is not ``1``."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return False
    return one == two


class Schemas:
    """A set of schema documents by file name; ``iter_errors(instance, "file#/pointer")``.

    Each document is checked for unsupported keywords (and its patterns compiled) before its
    first use, once: ``solvency verify`` checks two documents, not every file format's.
    """

    def __init__(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        self._documents = dict(documents)
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._checked: set[str] = set()

    def check_all(self) -> None:
        """Check every document now (the tests do; otherwise each is checked on first use)."""
        for name in self._documents:
            self._document(name)

    def _document(self, name: str) -> Mapping[str, Any]:
        document = self._documents.get(name)
        if document is None:
            raise UnsupportedSchemaError(f"no schema document {name!r}")
        if name not in self._checked:
            if not isinstance(document, Mapping):
                raise UnsupportedSchemaError(f"{name}: a schema must be a JSON object")
            self._check_schema(document, name, "#", top=True)
            self._checked.add(name)
        return document

    @classmethod
    def from_texts(cls, texts: Mapping[str, str]) -> Schemas:
        return cls({name: json.loads(text) for name, text in texts.items()})

    # --- the schemas themselves ---------------------------------------------------------------

    def _check_schema(self, schema: object, name: str, at: str, top: bool = False) -> None:
        """Refuse what this validator would not check exactly as jsonschema does."""
        if not isinstance(schema, Mapping):
            # Boolean schemas are valid JSON Schema, but none of ours uses one.
            raise UnsupportedSchemaError(f"{name}{at}: expected a schema object")
        for kw, value in schema.items():
            where = f"{name}{at}/{kw}"
            if kw not in KEYWORDS:
                raise UnsupportedSchemaError(f"{where}: keyword not supported")
            if kw in ("$schema", "$id") and not top:
                raise UnsupportedSchemaError(f"{where}: only at the top of a schema file")
            if kw == "$defs" or kw == "properties":
                if not isinstance(value, Mapping):
                    raise UnsupportedSchemaError(f"{where}: expected an object")
                for key, sub in value.items():
                    self._check_schema(sub, name, f"{at}/{kw}/{key}")
            elif kw == "items":
                self._check_schema(value, name, f"{at}/items")
            elif kw == "$ref":
                if not isinstance(value, str) or not value.startswith("#/"):
                    raise UnsupportedSchemaError(f"{where}: only local references (#/...)")
                self._resolve(name, value)
            elif kw == "additionalProperties":
                if value is not False:
                    raise UnsupportedSchemaError(f"{where}: only false is supported")
            elif kw == "type":
                names = [value] if isinstance(value, str) else value
                if not isinstance(names, list) or not all(n in _TYPES for n in names):
                    raise UnsupportedSchemaError(f"{where}: unknown type {value!r}")
            elif kw == "pattern":
                if not isinstance(value, str):
                    raise UnsupportedSchemaError(f"{where}: expected a string")
                self._patterns[value] = re.compile(value)
            elif kw in ("minLength", "maxLength", "minItems", "maxItems"):
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise UnsupportedSchemaError(f"{where}: expected a non-negative integer")
            elif kw in ("minimum", "maximum"):
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise UnsupportedSchemaError(f"{where}: expected a number")
            elif kw == "required":
                if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                    raise UnsupportedSchemaError(f"{where}: expected a list of strings")
            elif kw == "enum" and not isinstance(value, list):
                raise UnsupportedSchemaError(f"{where}: expected a list")

    def _resolve(self, name: str, ref: str) -> Mapping[str, Any]:
        """The subschema at ``#/a/b`` (a JSON pointer) of document ``name``."""
        node: object = self._documents.get(name)
        if node is None:
            raise UnsupportedSchemaError(f"no schema document {name!r}")
        for part in ref[2:].split("/") if ref != "#" else []:
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or key not in node:
                raise UnsupportedSchemaError(f"{name}{ref}: does not resolve")
            node = node[key]
        if not isinstance(node, Mapping):
            raise UnsupportedSchemaError(f"{name}{ref}: not a schema object")
        return node

    # --- documents ----------------------------------------------------------------------------

    def iter_errors(self, instance: object, ref: str) -> Iterator[SchemaError]:
        """Every error of ``instance`` against the schema at ``ref`` (``"root-v1.json"`` or
        ``"root-v1.json#/$defs/asset"``), in jsonschema's order."""
        name, _, pointer = ref.partition("#")
        self._document(name)
        return self._errors(instance, self._resolve(name, "#" + pointer), name, ())

    def _errors(
        self, instance: object, schema: Mapping[str, Any], name: str, path: tuple[str | int, ...]
    ) -> Iterator[SchemaError]:
        for kw, value in schema.items():
            if kw in ANNOTATIONS:
                continue
            if kw == "$ref":
                yield from self._errors(instance, self._resolve(name, value), name, path)
            elif kw == "properties":
                if isinstance(instance, dict):
                    for key, sub in value.items():
                        if key in instance:
                            yield from self._errors(instance[key], sub, name, (*path, key))
            elif kw == "items":
                if isinstance(instance, list):
                    for index, item in enumerate(instance):
                        yield from self._errors(item, value, name, (*path, index))
            elif kw == "required":
                if isinstance(instance, dict):
                    # One error per missing key, as jsonschema yields them.
                    for key in value:
                        if key not in instance:
                            missing = f"{key!r} is a required property"
                            yield SchemaError(kw, value, instance, schema, path, missing)
            else:
                message = self._check(kw, value, instance, schema)
                if message is not None:
                    yield SchemaError(kw, value, instance, schema, path, message)

    def _check(
        self, kw: str, value: Any, instance: object, schema: Mapping[str, Any]
    ) -> str | None:
        """None when ``instance`` passes ``kw``; else jsonschema's message for it."""
        if kw == "type":
            names = [value] if isinstance(value, str) else value
            if not any(_TYPES[n](instance) for n in names):
                return f"{instance!r} is not of type {', '.join(repr(n) for n in names)}"
        elif kw == "const":
            if not equal(instance, value):
                return f"{value!r} was expected"
        elif kw == "enum":
            if all(not equal(each, instance) for each in value):
                return f"{instance!r} is not one of {value!r}"
        elif kw == "pattern":
            if isinstance(instance, str):
                m = self._patterns[value].search(instance)
                # ECMA 262's `$` (the schema's) does not match before a final newline.
                if m is None or (value.endswith("$") and m.end() != len(instance)):
                    return f"{instance!r} does not match {value!r}"
        elif kw in ("minLength", "maxLength"):
            if isinstance(instance, str):
                if kw == "minLength" and len(instance) < value:
                    return f"{instance!r} {'should be non-empty' if value == 1 else 'is too short'}"
                if kw == "maxLength" and len(instance) > value:
                    too = "is expected to be empty" if value == 0 else "is too long"
                    return f"{instance!r} {too}"
        elif kw in ("minimum", "maximum"):
            if _TYPES["number"](instance):
                if kw == "minimum" and instance < value:
                    return f"{instance!r} is less than the minimum of {value!r}"
                if kw == "maximum" and instance > value:
                    return f"{instance!r} is greater than the maximum of {value!r}"
        elif kw in ("minItems", "maxItems"):
            if isinstance(instance, list):
                if kw == "minItems" and len(instance) < value:
                    return f"{instance!r} {'should be non-empty' if value == 1 else 'is too short'}"
                if kw == "maxItems" and len(instance) > value:
                    too = "is expected to be empty" if value == 0 else "is too long"
                    return f"{instance!r} {too}"
        elif kw == "additionalProperties":
            if isinstance(instance, dict):
                known = schema.get("properties", {})
                extras = sorted((k for k in instance if k not in known), key=str)
                if extras:
                    joined = ", ".join(repr(k) for k in extras)
                    verb = "was" if len(extras) == 1 else "were"
                    return f"Additional properties are not allowed ({joined} {verb} unexpected)"
        return None
