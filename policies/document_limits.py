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


def document_problem(document: Any) -> str | None:
    """Why `document` is too large, too deep or circular to analyse; None when it can be analysed."""
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
                return f"it stands for more than {MAX_VALUES} values once YAML aliases are expanded"
            if depth > MAX_NESTING:
                return f"it nests more than {MAX_NESTING} levels deep"
            measured[key] = (size, depth)
        elif _is_container(node) and key not in measured:
            if key in entered:
                return "a YAML alias refers to a mapping or list that contains it"
            entered.add(key)
            pending.append((node, True))
            pending.extend((child, False) for child in _children(node) if _is_container(child))
            if len(entered) > MAX_NESTING:
                return f"it nests more than {MAX_NESTING} levels deep"
    return None


def _is_container(value: Any) -> bool:
    return isinstance(value, (dict, list))


def _children(node: Any) -> list:
    return list(node.values()) if isinstance(node, dict) else list(node)
