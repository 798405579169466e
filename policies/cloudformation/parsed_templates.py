"""A template a host tool has parsed already (checkov), read without parsing the file again.

checkov's CloudFormation parser gives dicts and lists whose keys (and most values) carry PyYAML marks, with
three entries of its own in every mapping (`__file__`, `__startline__`, `__endline__`); its graph builder then
writes more into each resource's Properties (flattened keys, `resource_type`). Converted before the graph is
built, into the loader's MarkedDict/MarkedList with the line of each key, it is the document the loader reads
from the file: the engine judges it the same and its findings name the same lines. Converting costs a fifth of
parsing the file again.

The loader's guards hold for what the host hands over: nesting deeper than MAX_NESTING, more than MAX_VALUES
values and a mapping or list inside itself are refused as problems of the template, never raised. A mapping or
list reached twice (a YAML alias) stays one object, so document_problem counts its expansion as it does for the
loader's documents; a document without one was measured whole by the conversion, and is not measured again.
"""

from __future__ import annotations

from typing import Any

from policies.cloudformation.loader import MarkedDict, MarkedList, ScannedTemplate, line_finder
from policies.document_limits import CIRCULAR, MAX_NESTING, MAX_VALUES, TOO_DEEP, TOO_LARGE

# The entries checkov's parser adds to every mapping: where the mapping is, not what the template says.
HOST_LINE_ENTRIES = frozenset(("__file__", "__startline__", "__endline__"))


class _Refused(Exception):
    """Why the host's document cannot be judged."""


def parsed_template(source: str, parsed: Any) -> ScannedTemplate:
    """The template `parsed` (checkov's parse of the file `source`); never raises: a document that cannot be
    judged is a ScannedTemplate whose problem says why."""
    conversion = _Conversion()
    try:
        document = conversion.convert(parsed, None, 0)
    except _Refused as refusal:
        return ScannedTemplate(source, None, problem=f"{source}: {refusal}")
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        return ScannedTemplate(source, None, problem=f"{source}: not a CloudFormation template (no Resources mapping)")
    return ScannedTemplate(source, document, line_finder(document), measured=not conversion.shared)


class _Conversion:
    def __init__(self) -> None:
        self.converted: dict = {}  # id of a host container -> its conversion (kept alive by the host's document)
        self.entered: set = set()  # ids of the host containers on the path being converted
        self.values = 1
        self.shared = False  # a container reached twice: the values counted are not its expansion

    def convert(self, node: Any, line: int | None, depth: int) -> Any:
        if not isinstance(node, (dict, list)):
            return str.__str__(node) if isinstance(node, str) else node  # a plain str, without the host's marks
        key = id(node)
        converted = self.converted.get(key)
        if converted is not None:
            self.shared = True
            return converted
        if key in self.entered:
            raise _Refused(CIRCULAR)
        if depth >= MAX_NESTING:
            raise _Refused(TOO_DEEP)
        self.values += len(node)
        if self.values > MAX_VALUES:
            raise _Refused(TOO_LARGE)
        self.entered.add(key)
        line = _line(node, line)  # a short-form function's mapping, a list: where it starts
        if isinstance(node, dict):
            converted = MarkedDict()
            for name, value in node.items():
                if name in HOST_LINE_ENTRIES:
                    continue
                name_line = _line(name, line)
                plain = str.__str__(name) if isinstance(name, str) else name
                converted[plain] = self.convert(value, name_line, depth + 1)
                converted.key_lines[plain] = name_line
            _join_attribute_name(converted)
        else:
            converted = MarkedList()
            for item in node:
                item_line = _line(item, line)
                converted.append(self.convert(item, item_line, depth + 1))
                converted.item_lines.append(item_line)
        self.entered.discard(key)
        self.converted[key] = converted
        return converted


def _join_attribute_name(mapping: MarkedDict) -> None:
    """checkov splits `!GetAtt Stack.Outputs.Url` at every dot; CloudFormation (and the loader) at the first:
    the attribute is `Outputs.Url`."""
    arguments = mapping.get("Fn::GetAtt") if len(mapping) == 1 else None
    if isinstance(arguments, list) and len(arguments) > 2 and all(isinstance(part, str) for part in arguments):
        joined = MarkedList([arguments[0], ".".join(arguments[1:])])
        joined.item_lines = arguments.item_lines[:2]
        mapping["Fn::GetAtt"] = joined


def _line(node: Any, enclosing: int | None) -> int | None:
    """The 1-based line of a host node; one without marks (a number, a string in a list, a short-form
    function's name) is on the line where the mapping or list holding it starts."""
    mark = getattr(node, "start_mark", None)
    return enclosing if mark is None else mark.line + 1
