"""Terraform's built-in functions, on evaluated values (see values.py), the ones configurations use to build
network settings: collections, strings, numbers, encodings, CIDRs. Arguments are already evaluated; `try`,
`can`, `file` and `templatefile` need the evaluator and live there.

A function given an unknown value answers unknown, unless it can answer without it (`length` of a list
holding an unknown element, `coalesce` whose earlier argument is known and set, `concat` and `merge` keep
unknown elements as they are). A function this module does not know answers unknown, naming the call.
Results are bounded (MAX_ITEMS elements, MAX_STRING characters): beyond, they are unknown.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import re
from typing import Any, Callable

from policies.terraform.hcl.values import (
    MAX_ITEMS,
    MAX_STRING,
    EvaluationError,
    Interpolated,
    JsonOf,
    as_unknown,
    first_unknown,
    is_unknown,
    json_text,
    to_text,
    type_name,
)
from policies.values import ResourceRef, Unknown

FUNCTIONS: dict = {}


def _function(*names: str, plain_arguments: bool = True) -> Callable:
    """Register a function. With plain_arguments, any unknown inside any argument makes the result unknown."""

    def register(implementation: Callable) -> Callable:
        def call(arguments: list, call_text: str) -> Any:
            if plain_arguments:
                unknown = first_unknown(arguments)
                if unknown is not None:
                    return _unknown_result(unknown, call_text)
            result = implementation(*arguments)
            return _bounded(result, call_text)

        for name in names:
            FUNCTIONS[name] = call
        return implementation

    return register


def _unknown_result(unknown: Any, call_text: str) -> Unknown:
    inner = as_unknown(unknown, "not known")
    return Unknown(inner.reason) if call_text in inner.reason else Unknown(f"{inner.reason}, in {call_text}")


def _bounded(result: Any, call_text: str) -> Any:
    if isinstance(result, str) and len(result) > MAX_STRING:
        return Unknown(f"{call_text} (longer than {MAX_STRING} characters)")
    if isinstance(result, (list, dict)) and len(result) > MAX_ITEMS:
        return Unknown(f"{call_text} (more than {MAX_ITEMS} elements)")
    return result


def _collection(value: Any, name: str) -> Any:
    """A list or map argument; a whole unknown passes through for the caller to return."""
    if isinstance(value, (list, dict)) or isinstance(value, Unknown):
        return value
    raise EvaluationError(f"{name} expects a collection, not a {type_name(value)}")


def _list(value: Any, name: str) -> list:
    if isinstance(value, list):
        return value
    raise EvaluationError(f"{name} expects a list, not a {type_name(value)}")


def _whole_unknown(*values: Any) -> Any:
    return next((value for value in values if is_unknown(value) and not isinstance(value, JsonOf)), None)


def _number(value: Any, name: str) -> Any:
    if isinstance(value, bool):
        raise EvaluationError(f"{name} expects a number, not a bool")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise EvaluationError(f"{name}: {value!r} is not a number") from None
        return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
    raise EvaluationError(f"{name} expects a number, not a {type_name(value)}")


def _integer(value: Any, name: str) -> int:
    number = _number(value, name)
    if isinstance(number, float) and not number.is_integer():
        raise EvaluationError(f"{name} expects a whole number")
    return int(number)


def _string(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return to_text(value)
    raise EvaluationError(f"{name} expects a string, not a {type_name(value)}")


def _partial(name: str, arguments: list, result: Callable) -> Any:
    """Run `result` unless an argument is wholly unknown (then that unknown is the result)."""
    unknown = _whole_unknown(*arguments)
    if unknown is not None:
        return unknown if isinstance(unknown, Unknown) else as_unknown(unknown, f"the argument of {name}")
    return result()


# -- collections --------------------------------------------------------------------------------------


@_function("concat", plain_arguments=False)
def _concat(*lists: Any) -> Any:
    def result() -> list:
        joined: list = []
        for item in lists:
            joined.extend(_list(item, "concat"))
        return joined
    return _partial("concat", list(lists), result)


@_function("flatten", plain_arguments=False)
def _flatten(value: Any) -> Any:
    def flat(items: list, depth: int) -> list:
        if depth > 64:
            raise EvaluationError("flatten: lists nested too deeply")
        found: list = []
        for item in items:
            if isinstance(item, Unknown):
                raise _UnknownInside(item)
            found.extend(flat(item, depth + 1) if isinstance(item, list) else [item])
            if len(found) > MAX_ITEMS:
                raise EvaluationError(f"flatten: more than {MAX_ITEMS} elements")
        return found

    def result() -> Any:
        try:
            return flat(_list(value, "flatten"), 0)
        except _UnknownInside as inside:  # an unknown element may be a list: the result is unknown
            return inside.unknown
    return _partial("flatten", [value], result)


class _UnknownInside(Exception):
    def __init__(self, unknown: Unknown) -> None:
        super().__init__(unknown.reason)
        self.unknown = unknown


@_function("merge", plain_arguments=False)
def _merge(*maps: Any) -> Any:
    def result() -> dict:
        merged: dict = {}
        for item in maps:
            if item is None:
                continue
            if not isinstance(item, dict):
                raise EvaluationError(f"merge expects maps or objects, not a {type_name(item)}")
            merged.update(item)
        return merged
    return _partial("merge", list(maps), result)


@_function("lookup", plain_arguments=False)
def _lookup(collection: Any, key: Any, *default: Any) -> Any:
    def result() -> Any:
        if not isinstance(collection, dict):
            raise EvaluationError(f"lookup expects a map, not a {type_name(collection)}")
        text = _string(key, "lookup")
        if text in collection:
            return collection[text]
        if default:
            return default[0]
        raise EvaluationError(f"lookup: no key {text!r}")
    return _partial("lookup", [collection, key], result)


@_function("element", plain_arguments=False)
def _element(items: Any, index: Any) -> Any:
    def result() -> Any:
        values = _list(items, "element")
        if not values:
            raise EvaluationError("element of an empty list")
        position = _integer(index, "element")
        if position < 0:
            raise EvaluationError("element: negative index")
        return values[position % len(values)]
    return _partial("element", [items, index], result)


@_function("one", plain_arguments=False)
def _one(items: Any) -> Any:
    def result() -> Any:
        values = _list(items, "one")
        if len(values) > 1:
            raise EvaluationError(f"one: the list has {len(values)} elements")
        return values[0] if values else None
    return _partial("one", [items], result)


@_function("length", plain_arguments=False)
def _length(value: Any) -> Any:
    def result() -> int:
        if isinstance(value, (list, dict, str)):
            return len(value)
        raise EvaluationError(f"length of a {type_name(value)}")
    return _partial("length", [value], result)


@_function("keys", plain_arguments=False)
def _keys(value: Any) -> Any:
    def result() -> list:
        if not isinstance(value, dict):
            raise EvaluationError(f"keys of a {type_name(value)}")
        return sorted(value)
    return _partial("keys", [value], result)


@_function("values", plain_arguments=False)
def _values(value: Any) -> Any:
    def result() -> list:
        if not isinstance(value, dict):
            raise EvaluationError(f"values of a {type_name(value)}")
        return [value[key] for key in sorted(value)]
    return _partial("values", [value], result)


@_function("contains")
def _contains(items: Any, value: Any) -> bool:
    return value in _list(items, "contains")


@_function("compact", plain_arguments=False)
def _compact(items: Any) -> Any:
    def result() -> Any:
        values = _list(items, "compact")
        unknown = next((item for item in values if isinstance(item, Unknown)), None)
        if unknown is not None:  # it may be "" or null
            return unknown
        return [item for item in values if item not in ("", None)]
    return _partial("compact", [items], result)


@_function("distinct")
def _distinct(items: Any) -> list:
    found: list = []
    for item in _list(items, "distinct"):
        if item not in found:
            found.append(item)
    return found


@_function("coalesce", plain_arguments=False)
def _coalesce(*values: Any) -> Any:
    for value in values:
        if isinstance(value, Unknown):
            return value  # it may be null or "": which argument wins is unknown
        if value is not None and value != "":
            return value
    raise EvaluationError("coalesce: every argument is null or empty")


@_function("coalescelist", plain_arguments=False)
def _coalescelist(*values: Any) -> Any:
    for value in values:
        if isinstance(value, Unknown):
            return value
        if value:
            return value
    raise EvaluationError("coalescelist: every argument is empty")


@_function("tolist", plain_arguments=False)
def _tolist(value: Any) -> Any:
    def result() -> Any:
        if isinstance(value, list):
            return value
        raise EvaluationError(f"cannot convert a {type_name(value)} to a list")
    return _partial("tolist", [value], result)


def _toset(arguments: list, call_text: str) -> Any:
    """A set: distinct elements; strings in lexical order, as Terraform iterates a set of strings."""
    if len(arguments) != 1:
        raise EvaluationError("toset takes one argument")
    value = arguments[0]
    if isinstance(value, Unknown):
        return value
    items = _list(value, "toset")
    if any(is_unknown(item) for item in items):
        return Unknown(f"{call_text} (an element is not known, so neither are the set's elements)")
    distinct: list = []
    for item in items:
        if item not in distinct:
            distinct.append(item)
    if all(isinstance(item, str) for item in distinct):
        distinct.sort()
    return distinct


FUNCTIONS["toset"] = _toset


@_function("tomap", plain_arguments=False)
def _tomap(value: Any) -> Any:
    def result() -> Any:
        if isinstance(value, dict):
            return value
        raise EvaluationError(f"cannot convert a {type_name(value)} to a map")
    return _partial("tomap", [value], result)


@_function("tostring", plain_arguments=False)
def _tostring(value: Any) -> Any:
    if value is None or isinstance(value, (str, Unknown, ResourceRef, Interpolated)):
        return value
    if isinstance(value, (bool, int, float)):
        return to_text(value)
    raise EvaluationError(f"cannot convert a {type_name(value)} to a string")


@_function("tonumber", plain_arguments=False)
def _tonumber(value: Any) -> Any:
    if value is None or isinstance(value, Unknown):
        return value
    return _number(value, "tonumber")


@_function("tobool", plain_arguments=False)
def _tobool(value: Any) -> Any:
    if value is None or isinstance(value, (bool, Unknown)):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise EvaluationError(f"cannot convert {value!r} to a bool")


@_function("range")
def _range(*bounds: Any) -> list:
    numbers = [_number(bound, "range") for bound in bounds]
    if not 1 <= len(numbers) <= 3:
        raise EvaluationError("range takes one to three arguments")
    start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (
        numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 1)
    if step == 0:
        raise EvaluationError("range: step 0")
    count = math.ceil((stop - start) / step)
    if count > MAX_ITEMS:
        raise _TooLarge(f"range of {count} numbers")
    return [start + step * index for index in range(max(count, 0))]


class _TooLarge(EvaluationError):
    pass


@_function("slice", plain_arguments=False)
def _slice(items: Any, start: Any, end: Any) -> Any:
    def result() -> list:
        values = _list(items, "slice")
        first, last = _integer(start, "slice"), _integer(end, "slice")
        if not 0 <= first <= last <= len(values):
            raise EvaluationError("slice: indexes out of range")
        return values[first:last]
    return _partial("slice", [items, start, end], result)


@_function("reverse", plain_arguments=False)
def _reverse(items: Any) -> Any:
    return _partial("reverse", [items], lambda: list(reversed(_list(items, "reverse"))))


@_function("sort")
def _sort(items: Any) -> list:
    return sorted(_string(item, "sort") for item in _list(items, "sort"))


@_function("zipmap", plain_arguments=False)
def _zipmap(keys: Any, values: Any) -> Any:
    def result() -> dict:
        names, items = _list(keys, "zipmap"), _list(values, "zipmap")
        if len(names) != len(items):
            raise EvaluationError("zipmap: the lists differ in length")
        if any(is_unknown(name) for name in names):
            raise _UnknownInside(Unknown("zipmap: a key is not known"))
        return {_string(name, "zipmap"): item for name, item in zip(names, items)}
    try:
        return _partial("zipmap", [keys, values], result)
    except _UnknownInside as inside:
        return inside.unknown


@_function("index")
def _index(items: Any, value: Any) -> int:
    values = _list(items, "index")
    if value not in values:
        raise EvaluationError("index: the value is not in the list")
    return values.index(value)


@_function("setunion")
def _setunion(*sets: Any) -> list:
    found: list = []
    for items in sets:
        for item in _list(items, "setunion"):
            if item not in found:
                found.append(item)
    return found


@_function("setintersection")
def _setintersection(first: Any, *others: Any) -> list:
    return [item for item in _list(first, "setintersection") if all(item in _list(o, "setintersection")
                                                                    for o in others)]


@_function("setsubtract")
def _setsubtract(first: Any, second: Any) -> list:
    return [item for item in _list(first, "setsubtract") if item not in _list(second, "setsubtract")]


@_function("chunklist")
def _chunklist(items: Any, size: Any) -> list:
    values, step = _list(items, "chunklist"), _integer(size, "chunklist")
    if step <= 0:
        return [values]
    return [values[index:index + step] for index in range(0, len(values), step)]


@_function("alltrue")
def _alltrue(items: Any) -> bool:
    return all(item is True or item == "true" for item in _list(items, "alltrue"))


@_function("anytrue")
def _anytrue(items: Any) -> bool:
    return any(item is True or item == "true" for item in _list(items, "anytrue"))


@_function("transpose")
def _transpose(value: Any) -> dict:
    if not isinstance(value, dict):
        raise EvaluationError("transpose expects a map of lists")
    result: dict = {}
    for key in sorted(value):
        for item in _list(value[key], "transpose"):
            result.setdefault(_string(item, "transpose"), []).append(key)
    return result


# -- numbers ------------------------------------------------------------------------------------------


@_function("max")
def _max(*numbers: Any) -> Any:
    if not numbers:
        raise EvaluationError("max of nothing")
    return max(_number(number, "max") for number in numbers)


@_function("min")
def _min(*numbers: Any) -> Any:
    if not numbers:
        raise EvaluationError("min of nothing")
    return min(_number(number, "min") for number in numbers)


@_function("sum")
def _sum(items: Any) -> Any:
    return sum(_number(number, "sum") for number in _list(items, "sum"))


@_function("abs")
def _abs(number: Any) -> Any:
    return abs(_number(number, "abs"))


@_function("ceil")
def _ceil(number: Any) -> int:
    return math.ceil(_number(number, "ceil"))


@_function("floor")
def _floor(number: Any) -> int:
    return math.floor(_number(number, "floor"))


@_function("signum")
def _signum(number: Any) -> int:
    value = _number(number, "signum")
    return (value > 0) - (value < 0)


@_function("parseint")
def _parseint(text: Any, base: Any) -> int:
    try:
        return int(_string(text, "parseint"), _integer(base, "parseint"))
    except ValueError:
        raise EvaluationError(f"parseint: {text!r} is not a number in base {base}") from None


# -- strings ------------------------------------------------------------------------------------------


@_function("join")
def _join(separator: Any, *lists: Any) -> str:
    return _string(separator, "join").join(_string(item, "join") for items in lists for item in _list(items, "join")
                                           if item is not None)


@_function("split")
def _split(separator: Any, text: Any) -> list:
    return _string(text, "split").split(_string(separator, "split"))


_VERB = re.compile(r"%(?:(%)|([-+ #0]*)(\d*)(?:\.(\d+))?([vdfsqtbxXoeEgG]))")


@_function("format")
def _format(pattern: Any, *values: Any) -> str:
    return _formatted(_string(pattern, "format"), list(values))


def _formatted(pattern: str, values: list) -> str:
    position = 0

    def verb(match: re.Match) -> str:
        nonlocal position
        if match.group(1):
            return "%"
        if position >= len(values):
            raise EvaluationError("format: not enough arguments")
        value = values[position]
        position += 1
        kind = match.group(5)
        if kind == "d":
            return str(_integer(value, "format"))
        if kind in "fFeEgG":
            precision = match.group(4)
            return f"{_number(value, 'format'):.{precision or 6}{kind}}"
        if kind == "q":
            return json.dumps(_string(value, "format"))
        if kind in "xXob":
            return format(_integer(value, "format"), kind)
        if kind == "t":
            return to_text(bool(value))
        if kind == "v" and isinstance(value, (list, dict)):
            return json_text(value)
        return _string(value, "format")

    return _VERB.sub(verb, pattern)


@_function("formatlist")
def _formatlist(pattern: Any, *values: Any) -> list:
    lengths = {len(value) for value in values if isinstance(value, list)}
    if len(lengths) > 1:
        raise EvaluationError("formatlist: the lists differ in length")
    count = lengths.pop() if lengths else 1
    return [_formatted(_string(pattern, "formatlist"),
                       [value[index] if isinstance(value, list) else value for value in values])
            for index in range(count)]


for _name, _method in (("lower", str.lower), ("upper", str.upper), ("trimspace", str.strip),
                       ("title", str.title), ("strrev", lambda text: text[::-1]),
                       ("chomp", lambda text: text.rstrip("\r\n"))):
    _function(_name)(lambda text, _method=_method, _name=_name: _method(_string(text, _name)))


@_function("trim")
def _trim(text: Any, characters: Any) -> str:
    return _string(text, "trim").strip(_string(characters, "trim"))


@_function("trimprefix")
def _trimprefix(text: Any, prefix: Any) -> str:
    return _string(text, "trimprefix").removeprefix(_string(prefix, "trimprefix"))


@_function("trimsuffix")
def _trimsuffix(text: Any, suffix: Any) -> str:
    return _string(text, "trimsuffix").removesuffix(_string(suffix, "trimsuffix"))


@_function("startswith")
def _startswith(text: Any, prefix: Any) -> bool:
    return _string(text, "startswith").startswith(_string(prefix, "startswith"))


@_function("endswith")
def _endswith(text: Any, suffix: Any) -> bool:
    return _string(text, "endswith").endswith(_string(suffix, "endswith"))


@_function("strcontains")
def _strcontains(text: Any, part: Any) -> bool:
    return _string(part, "strcontains") in _string(text, "strcontains")


@_function("substr")
def _substr(text: Any, offset: Any, length: Any) -> str:
    value, start, size = _string(text, "substr"), _integer(offset, "substr"), _integer(length, "substr")
    if start < 0:
        start = max(len(value) + start, 0)
    return value[start:] if size < 0 else value[start:start + size]


@_function("replace")
def _replace(text: Any, search: Any, replacement: Any) -> Any:
    pattern = _string(search, "replace")
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        return Unknown(f"replace() with the regular expression {pattern} (not evaluated)")
    return _string(text, "replace").replace(pattern, _string(replacement, "replace"))


@_function("basename")
def _basename(path: Any) -> str:
    return _string(path, "basename").rstrip("/").rsplit("/", 1)[-1]


@_function("dirname")
def _dirname(path: Any) -> str:
    head = _string(path, "dirname").rstrip("/").rsplit("/", 1)
    return head[0] if len(head) == 2 and head[0] else ("/" if path.startswith("/") else ".")


# -- encodings and hashes -----------------------------------------------------------------------------


@_function("jsonencode", plain_arguments=False)
def _jsonencode(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    return json_text(value) if first_unknown(value) is None else JsonOf(value)


@_function("jsondecode")
def _jsondecode(text: Any) -> Any:
    try:
        return json.loads(_string(text, "jsondecode"))
    except (ValueError, RecursionError) as error:
        raise EvaluationError(f"jsondecode: {error}") from None


@_function("base64encode")
def _base64encode(text: Any) -> str:
    return base64.b64encode(_string(text, "base64encode").encode()).decode()


@_function("base64decode")
def _base64decode(text: Any) -> str:
    try:
        return base64.b64decode(_string(text, "base64decode"), validate=True).decode()
    except ValueError as error:
        raise EvaluationError(f"base64decode: {error}") from None


for _name in ("md5", "sha1", "sha256", "sha512"):
    _function(_name)(lambda text, _name=_name: hashlib.new(_name, _string(text, _name).encode()).hexdigest())


@_function("sensitive", "nonsensitive", plain_arguments=False)
def _identity(value: Any) -> Any:
    return value


# -- networks -----------------------------------------------------------------------------------------


@_function("cidrsubnet")
def _cidrsubnet(prefix: Any, new_bits: Any, number: Any) -> str:
    network = _network(prefix, "cidrsubnet")
    bits, index = _integer(new_bits, "cidrsubnet"), _integer(number, "cidrsubnet")
    length = network.prefixlen + bits
    if bits < 0 or length > network.max_prefixlen or not 0 <= index < (1 << bits):
        raise EvaluationError(f"cidrsubnet({prefix}, {bits}, {index}): the subnet does not fit in the prefix")
    base = int(network.network_address) + (index << (network.max_prefixlen - length))
    return str(ipaddress.ip_network((base, length)))


@_function("cidrsubnets")
def _cidrsubnets(prefix: Any, *new_bits: Any) -> list:
    network = _network(prefix, "cidrsubnets")
    subnets, next_address = [], int(network.network_address)
    for bits in new_bits:
        length = network.prefixlen + _integer(bits, "cidrsubnets")
        size = 1 << (network.max_prefixlen - length)
        start = -(-next_address // size) * size
        subnet = ipaddress.ip_network((start, length))
        if not subnet.subnet_of(network):
            raise EvaluationError("cidrsubnets: the subnets do not fit in the prefix")
        subnets.append(str(subnet))
        next_address = start + size
    return subnets


@_function("cidrhost")
def _cidrhost(prefix: Any, number: Any) -> str:
    network = _network(prefix, "cidrhost")
    index = _integer(number, "cidrhost")
    if not -network.num_addresses <= index < network.num_addresses:
        raise EvaluationError("cidrhost: the host number is outside the prefix")
    return str(network[index])


@_function("cidrnetmask")
def _cidrnetmask(prefix: Any) -> str:
    return str(_network(prefix, "cidrnetmask").netmask)


def _network(prefix: Any, name: str) -> Any:
    try:
        return ipaddress.ip_network(_string(prefix, name), strict=False)
    except ValueError:
        raise EvaluationError(f"{name}: {prefix!r} is not a CIDR") from None


def call_function(name: str, arguments: list, call_text: str) -> Any:
    """The result of Terraform function `name`, or Unknown naming the call when it is not evaluated here."""
    function = FUNCTIONS.get(name)
    if function is None:
        return Unknown(f"{call_text} (the function {name} is not evaluated)")
    try:
        return function(arguments, call_text)
    except _TooLarge as error:
        return Unknown(f"{call_text} ({error})")
    except (TypeError, OverflowError, ValueError) as error:  # a wrong number or kind of arguments
        if isinstance(error, EvaluationError):
            raise
        raise EvaluationError(f"{name}: {error}") from None
