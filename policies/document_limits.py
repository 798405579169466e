"""Refuse documents whose analysis could not finish in bounded time, memory and stack.

A parsed template is a graph, not always a tree: YAML aliases (in our loader's output and in
cfn-lint's) make several places share one object, so a few hundred bytes can stand for billions of
values once walked ("billion laughs"), and a recursive alias makes a cycle. The engine's reads walk
values recursively, so nesting must stay well below Python's recursion limit too. `document_problem`
measures all three in one iterative pass that visits each shared object once.
"""

from __future__ import annotations

from typing import Any

# cfn-lint refuses templates beyond 250,000 values with aliases expanded; a template it accepts is one
# we can judge. CloudFormation's own size limit (1 MB) keeps real templates well below.
MAX_VALUES = 250_000
# Real templates nest about 15 levels; the reads recurse a few frames per level.
MAX_NESTING = 200
# Why a document is refused, as every reader of parsed documents says it (policies.cloudformation.parsed_templates).
TOO_LARGE = f"it stands for more than {MAX_VALUES} values once YAML aliases are expanded"
TOO_DEEP = f"it nests more than {MAX_NESTING} levels deep"
CIRCULAR = "a YAML alias refers to a mapping or list that contains it"


def document_problem(document: Any) -> str | None:
    """Why `document` is too large, too deep or circular to analyse; None when it can be analysed."""
    if not _is_container(document):
        return None
    problem = _tree_problem(document)
    return _graph_problem(document) if problem is _SHARED else problem


# A template without aliases to mappings or lists (nearly all of them) is a tree: one pass counts its values and
# depth as they stand, with no per-container bookkeeping. The first container reached twice sends the document to
# the general measure.
_SHARED = "a container is reached twice"


def _tree_problem(document: Any) -> str | None:
    """Measured level by level: each level's containers are told apart by their ids in one set update."""
    seen = {id(document)}
    values = 1
    level = [document]
    depth = 1
    while level:
        if depth > MAX_NESTING:
            return TOO_DEEP
        below: list = []
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            values += len(children)
            below += [child for child in children if isinstance(child, (dict, list))]
        if values > MAX_VALUES:
            return TOO_LARGE
        known = len(seen)
        seen.update(map(id, below))
        if len(seen) - known < len(below):
            return _SHARED
        level = below
        depth += 1
    return None


def _graph_problem(document: Any) -> str | None:
    """The measure of a document whose containers may be shared (aliases) or circular: each shared one is
    measured once and counted wherever it is reached."""
    measured: dict = {}  # id of a dict or list -> (values it stands for once expanded, nesting depth)
    entered: set = set()  # ids of the containers on the path being walked
    pending = [(document, False)]
    while pending:
        node, children_measured = pending.pop()
        key = id(node)
        if children_measured:
            entered.discard(key)
            children = [measured[id(child)] if _is_container(child) else (1, 0) for child in _children(node)]
            size = 1 + sum(child_size for child_size, _ in children)
            depth = 1 + max((child_depth for _, child_depth in children), default=0)
            if size > MAX_VALUES:
                return TOO_LARGE
            if depth > MAX_NESTING:
                return TOO_DEEP
            measured[key] = (size, depth)
        elif _is_container(node) and key not in measured:
            if key in entered:
                return CIRCULAR
            entered.add(key)
            pending.append((node, True))
            pending.extend((child, False) for child in _children(node) if _is_container(child))
            if len(entered) > MAX_NESTING:
                return TOO_DEEP
    return None


def _is_container(value: Any) -> bool:
    return isinstance(value, (dict, list))


def _children(node: Any) -> list:
    return list(node.values()) if isinstance(node, dict) else list(node)
