"""`aws_ecs_task_definition.container_definitions`, however the configuration writes it.

- `jsonencode([...])` and heredoc JSON: checkov's graph vertex already holds the list of containers.
- A JSON string: a plan's value, or a heredoc checkov left as text.
- `file("${path.module}/containers.json")` / `templatefile(..., { port = 8080 })`: the named JSON file is
  read, relative to the configuration file that names it, and only if it lies in that file's directory
  tree. A template's `${name}` placeholders are filled from the literal variables map; any other template
  expression makes the definitions unknown. Nothing is ever executed.
"""

from __future__ import annotations

import ast
import json
import os
import re
from typing import Any

from policies.terraform.resources import unknown_reason
from policies.values import Unknown

MAX_FILE_BYTES = 1 << 20
# checkov prints the call with or without "${...}" around it, and the variables map Python-like with
# strings rendered from variables unquoted: {'image': public.ecr.aws/x:1, 'port': 8080}.
_FILE_CALL = re.compile(
    r'^(?:\$\{)?\s*(?P<function>file|templatefile)\(\s*"(?P<path>[^"]*)"\s*(?:,\s*(?P<variables>.*))?\)\s*\}?$',
    re.DOTALL)
_MAP_ENTRY = re.compile(r"""^\s*['"]?(?P<key>[A-Za-z_][\w-]*)['"]?\s*[:=]\s*(?P<value>.*?)\s*$""", re.DOTALL)
_PLACEHOLDER = re.compile(r"\$\{\s*([A-Za-z_]\w*)\s*\}")
_PATH_VARIABLES = re.compile(r"\$\{\s*path\.(module|root|cwd)\s*\}")


def read_container_definitions(value: Any, config_file: str | None, in_root_module: bool) -> Any:
    """The list of container definition dicts (empty when absent), or Unknown saying why not."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    reason = unknown_reason(value)
    if reason is not None:
        return Unknown(reason)
    if not isinstance(value, str):
        return Unknown(f"container_definitions is {type(value).__name__}, not a list")
    call = _FILE_CALL.match(value.strip())
    if call:
        return _from_file(call, config_file, in_root_module)
    return _parse_json(value, f"container_definitions {value[:60]!r}")


def _parse_json(text: str, origin: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        return Unknown(f"{origin} is not static JSON")
    if not isinstance(parsed, list):
        return Unknown(f"{origin} is not a JSON list")
    return parsed


def _from_file(call: re.Match, config_file: str | None, in_root_module: bool) -> Any:
    written = call.group("path")
    if not config_file:
        return Unknown(f"{written}: the configuration file is not known")
    directory = os.path.dirname(os.path.abspath(config_file))
    placeholders = {match.group(1) for match in _PATH_VARIABLES.finditer(written)}
    if not in_root_module and placeholders - {"module"}:
        return Unknown(f"{written}: path.root is not known inside a module")
    relative = _PATH_VARIABLES.sub(".", written)
    if os.path.isabs(relative) or "${" in relative:
        return Unknown(f"{written}: only files next to the configuration are read")
    path = os.path.realpath(os.path.join(directory, relative))
    if os.path.commonpath([path, os.path.realpath(directory)]) != os.path.realpath(directory):
        return Unknown(f"{written}: only files next to the configuration are read")
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return Unknown(f"{written} is larger than {MAX_FILE_BYTES} bytes")
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        return Unknown(f"cannot read {written}: {getattr(error, 'strerror', None) or error}")
    if call.group("function") == "templatefile":
        text = _fill_template(text, call.group("variables"))
        if isinstance(text, Unknown):
            return text
    return _parse_json(text, written)


def _fill_template(text: str, variables_text: str | None) -> Any:
    """The template with `${name}` filled from the literal variables map (as checkov prints it)."""
    variables = _template_variables(variables_text or "{}")
    if variables is None:
        return Unknown("the templatefile variables are not literal")

    def fill(match: re.Match) -> str:
        value = variables.get(match.group(1))
        if isinstance(value, bool):
            return str(value).lower()
        return str(value) if isinstance(value, (str, int, float)) else match.group(0)

    filled = _PLACEHOLDER.sub(fill, text)
    if "${" in filled or "%{" in filled:
        return Unknown("the template uses expressions or variables without a literal value")
    return filled


def _template_variables(text: str) -> dict | None:
    """{name: scalar} from a printed map of scalars; None if it holds anything else."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    variables = {}
    for entry in filter(str.strip, text[1:-1].split(",")):
        match = _MAP_ENTRY.match(entry)
        if match is None or re.search(r"[{}\[\]]|\$\{|^var\.|^local\.", match.group("value")):
            return None
        variables[match.group("key")] = _scalar(match.group("value"))
    return variables


def _scalar(text: str) -> Any:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    return value if isinstance(value, (str, int, float, bool)) else text
