"""The reference for ``solvency.files.schema_check``: ``jsonschema`` (draft 2020-12), configured
as ``solvency.files.formats`` configured it when it validated with it (until issue 8's start-up
work): ``integer`` is an int and not a bool, and an anchored ``pattern`` must match up to the end
of the string.

``reference_errors(obj, ref)`` is ``formats.schema_errors(obj, ref)`` computed by jsonschema;
``same_errors`` compares the two lists on what ``formats.check_shape`` reads from an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

import jsonschema
import referencing
from jsonschema import validators
from referencing.jsonschema import DRAFT202012

from solvency.files import formats

SCHEMA_BASE = "https://solvency.invalid/schemas/"


@functools.cache
def _validator(ref: str) -> Any:
    # "$schema" is dropped from the registered copies: jsonschema would otherwise switch to
    # the stock validator class (without the two changes below) when it follows a $ref.
    resources_ = [
        (
            SCHEMA_BASE + name,
            DRAFT202012.create_resource(
                {k: v for k, v in formats._schema_text(name).items() if k != "$schema"}
            ),
        )
        for name in sorted(set(formats.SCHEMA_FILES.values()))
    ]
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources_)

    def is_integer(checker: object, instance: object) -> bool:
        return isinstance(instance, int) and not isinstance(instance, bool)

    def pattern(validator: Any, patrn: str, instance: object, schema: object) -> Iterator[Any]:
        if not isinstance(instance, str):
            return
        m = re.search(patrn, instance)
        if m is None or (patrn.endswith("$") and m.end() != len(instance)):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    base = jsonschema.Draft202012Validator
    cls = validators.extend(  # type: ignore[no-untyped-call]
        base,
        validators={"pattern": pattern},
        type_checker=base.TYPE_CHECKER.redefine("integer", is_integer),
    )
    return cls({"$ref": SCHEMA_BASE + ref}, registry=registry)


def reference_errors(obj: object, ref: str) -> list[Any]:
    """jsonschema's errors of ``obj`` against the schema at ``ref``, in its order."""
    return list(_validator(ref).iter_errors(obj))


def summary(errors: Sequence[Any]) -> list[tuple[str, list[str | int], str, Any]]:
    """What check_shape reads from each error: keyword, path, message and the subschema."""
    # jsonschema registers the schema files without "$schema" (see _validator).
    return [
        (e.validator, list(e.absolute_path), e.message, {**e.schema, "$schema": None})
        for e in errors
    ]


def first_message(errors: Sequence[Any], where: str = "") -> str | None:
    """check_shape's message for these errors (None when there are none)."""
    if not errors:
        return None
    return formats._message(min(errors, key=lambda e: len(e.absolute_path)), where)


def assert_same(obj: object, ref: str, where: str = "") -> None:
    """schema_check and jsonschema give the same errors, in order, and the same message."""
    ours = formats.schema_errors(obj, ref)
    theirs = reference_errors(obj, ref)
    assert summary(ours) == summary(theirs), (ref, obj)
    assert first_message(ours, where) == first_message(theirs, where)
