"""Exports and imports: which stack's output an `Fn::ImportValue` reads.

An export's name is matched as a pattern (policies.application.names): `${AWS::StackName}:PublicListener`,
exported by a template whose stack name nobody gives, matches the import `production:PublicListener` when no
other scanned template can export that name; that import then also tells the stack's name. An import that
several exports could satisfy stays unknown, naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from policies.application.names import NamePattern, name_pattern

IMPORT = "Fn::ImportValue"


@dataclass(eq=False, repr=False)
class Export:
    """An output a stack exports, and the name it exports it under."""

    stack: Any  # policies.application.stacks.Stack
    output: str  # the name of its output
    name: NamePattern

    def __str__(self) -> str:
        return f"{self.name} ({self.stack})"


class ExportIndex:
    """The exports of a set of stacks, looked up by the name an import asks for."""

    def __init__(self, exports: list) -> None:
        self.by_name: dict = {}
        # Exports whose name has holes, by the known text it ends with ("" when it ends with a hole): an import
        # of a known name is compared only with those ending like it, so that a thousand stacks exporting and
        # importing cost a thousand lookups, not a million comparisons.
        self.by_tail: dict = {}
        for export in exports:
            literal = export.name.literal
            if literal is not None:
                self.by_name.setdefault(literal, []).append(export)
            else:
                self.by_tail.setdefault(_tail(export.name), []).append(export)

    def matching(self, wanted: NamePattern) -> list:
        """The exports that can have the name `wanted`: those exporting exactly that name if any, else those
        whose name some deployment can make equal to it."""
        literal = wanted.literal
        if literal is not None:
            if literal in self.by_name:
                return list(self.by_name[literal])
            patterned = [export for start in range(len(literal) + 1)
                         for export in self.by_tail.get(literal[start:], ()) if export.name.may_equal(wanted)]
            return patterned
        return [export for exports in (*self.by_tail.values(), *self.by_name.values()) for export in exports
                if export.name.may_equal(wanted)]


def _tail(name: NamePattern) -> str:
    last = name.parts[-1] if name.parts else ""
    return last if isinstance(last, str) else ""


def exports_of(stacks: list, scenario: Any) -> ExportIndex:
    """Every export of `stacks`, its name resolved in `scenario` (parameter defaults and given values)."""
    exports = []
    for stack in stacks:
        outputs = stack.document.get("Outputs")
        if not isinstance(outputs, dict):
            continue
        resolver = scenario.scope(stack).resolver
        for output, declaration in outputs.items():
            export = declaration.get("Export") if isinstance(declaration, dict) else None
            if isinstance(export, dict) and "Name" in export and isinstance(output, str):
                exports.append(Export(stack, output, name_pattern(resolver, export["Name"])))
    return ExportIndex(exports)


def imported_names(stack: Any, scenario: Any) -> list:
    """The name pattern of every `Fn::ImportValue` in the stack's resources and outputs."""
    resolver = scenario.scope(stack).resolver
    return [name_pattern(resolver, argument) for argument in _imports(stack.document)]


def _imports(document: dict) -> Iterator:
    pending = [document.get("Resources"), document.get("Outputs")]
    seen: set = set()
    while pending:
        node = pending.pop()
        if isinstance(node, (dict, list)):
            if id(node) in seen:  # a YAML alias: one object, several places
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            if len(node) == 1 and IMPORT in node:
                yield node[IMPORT]
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def infer_stack_names(stacks: list, index: ExportIndex, scenario: Any) -> list:
    """Name each root stack whose name nobody gives after the imports that can only read its exports
    (`production:PublicListener` from `${AWS::StackName}:PublicListener`), when they agree on one name.

    Returns the (importing stack, exporting stack) pairs of every import, for joining stacks into applications.
    """
    if not index.by_name and not index.by_tail:  # nothing to import from: no need to look for imports
        return []
    proposed: dict = {}  # stack -> names the imports give it
    links = []
    for stack in stacks:
        for wanted in imported_names(stack, scenario):
            found = index.matching(wanted)
            links += [(stack, export.stack) for export in found]
            literal = wanted.literal
            if len(found) == 1 and literal is not None:
                exporter = found[0].stack
                name = found[0].name.stack_name_in(literal)
                if name and exporter.name is None and exporter.parent is None:
                    proposed.setdefault(exporter, set()).add(name)
    for stack, names in proposed.items():
        if len(names) == 1:
            stack.name = names.pop()
    return links
