"""What an evaluated Terraform expression can be, besides JSON-like Python values.

- null, bool, number, string, list (tuple, list, set), dict (object, map): None, bool, int/float, str, list, dict;
- `Unknown` (policies.values): no static reader can know it (a data source, a variable without value), its
  reason naming the expression;
- `ResourceRef` (policies.values): an attribute a resource gets only when created (`aws_lb.this[0].arn`);
- `Interpolated`: a string built from such references and literal text (`"${aws_x.y.family}:3"`);
- `JsonOf`: `jsonencode()` of a value that holds unknowns or references, kept as the value;
- resource, data source and module instances, and the namespaces `var`, `local`, ... : objects whose
  attributes are looked up (and evaluated) on demand.
"""

from __future__ import annotations

import json
from typing import Any

from policies.terraform.resources import unknown_marker
from policies.values import ResourceRef, Unknown

MAX_STRING = 1_000_000
MAX_ITEMS = 100_000


class EvaluationError(Exception):
    """What Terraform reports as an error (a missing attribute, an index out of range, a wrong type):
    `try()` and `can()` catch it, anything else makes the value unknown."""


class Interpolated:
    """A string known only in part: `text` shows each reference as `${address.attribute}` and any other
    unknown part as `${?}`, the way checkov prints unrendered text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Interpolated) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


class JsonOf:
    """`jsonencode(value)` where value holds unknowns or references: the text is not known, its content is."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Lazy:
    """An object whose attributes are evaluated when read (resources, modules, data sources, namespaces)."""

    def attribute(self, name: str) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def is_unknown(value: Any) -> bool:
    return isinstance(value, (Unknown, ResourceRef, Interpolated, JsonOf, Lazy))


def first_unknown(value: Any, depth: int = 0) -> Any:
    """The first value inside `value` that is not plain data (Unknown, reference, ...), or None."""
    if isinstance(value, (Unknown, ResourceRef, Interpolated, JsonOf, Lazy)):
        return value
    if depth > 64:
        return Unknown("a value nested too deeply")
    if isinstance(value, list):
        for item in value:
            found = first_unknown(item, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, dict):
        for item in value.values():
            found = first_unknown(item, depth + 1)
            if found is not None:
                return found
    return None


def as_unknown(value: Any, context: str) -> Unknown:
    """An Unknown standing for a value that is not plain data, saying why."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, ResourceRef):
        return Unknown(f"{value} (known after apply)")
    if isinstance(value, Interpolated):
        return Unknown(f"{value.text!r} (known after apply)")
    if isinstance(value, Lazy):
        return Unknown(f"{value.describe()} ({context})")
    return Unknown(f"{context}")


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (str, Interpolated, ResourceRef)):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "object"


def to_text(value: Any) -> str:
    """A known primitive as Terraform converts it to a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    if value is None:
        raise EvaluationError("a null value cannot be used in a string")
    raise EvaluationError(f"a {type_name(value)} cannot be used in a string")


def json_text(value: Any) -> str:
    """jsonencode() of plain data: compact, object keys sorted, as Terraform writes it."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def plain(value: Any, depth: int = 0) -> Any:
    """An evaluated value as the resource dicts hold it (see policies/terraform/resources.py)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if depth > 64:
        return unknown_marker("a value nested too deeply")
    if isinstance(value, list):
        return [plain(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, ResourceRef):
        return str(value)
    if isinstance(value, Interpolated):
        return value.text
    if isinstance(value, JsonOf):
        return plain(value.value, depth + 1)
    return unknown_marker(as_unknown(value, "not a value an argument can hold").reason)
