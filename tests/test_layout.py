"""The engine's rooms import only downward: readers -> application -> topology -> rules -> findings ->
analyses and views (README "Layout"). A reader that imports a room above it ties the rooms in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

POLICIES = Path(__file__).resolve().parents[1] / "policies"
READERS = ("cloudformation", "terraform")
# What the readers' output flows into: joined into applications, judged by the rules, analysed and shown.
ABOVE_THE_READERS = ("policies.application", "policies.rules", "policies.evaluate", "policies.findings",
                     "policies.analysis", "policies.terraform_analysis", "policies.suppressions",
                     "policies.explain", "policies.cli")


def imported_modules(path: Path) -> list:
    """(line, module) of every import in the file, top-level or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def reader_modules() -> list:
    return sorted(path for reader in READERS for path in (POLICIES / reader).rglob("*.py"))


def test_the_readers_are_found():
    names = {path.relative_to(POLICIES).as_posix() for path in reader_modules()}
    assert {"cloudformation/loader.py", "terraform/graph.py", "terraform/hcl/evaluation.py"} <= names


@pytest.mark.parametrize("path", reader_modules(), ids=lambda path: path.relative_to(POLICIES).as_posix())
def test_a_reader_imports_no_room_above_it(path):
    upward = [f"line {line}: {module}" for line, module in imported_modules(path)
              if module == "policies" or module.startswith(ABOVE_THE_READERS)]
    assert not upward, f"{path.relative_to(POLICIES)} imports a room above the readers: {upward}"
