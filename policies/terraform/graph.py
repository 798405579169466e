"""checkov's rendered Terraform graph -> resource dicts (see resources.py), without importing checkov.

`read_graph` is the reader: for each root module of the graph it takes checkov's rendering as it is
(`resources_from_graph`) when that rendering is complete, and otherwise evaluates the root module's files
itself (policies/terraform/hcl): when the root calls modules, or checkov left a `dynamic` block, a
count/for_each or an argument as expression text. Which files make up which module checkov has already
resolved (local paths, downloaded registry and git modules): the graph's vertices name them.

The adapter passes the graph's vertices as (index, attribute dict) pairs (rustworkx `graph.nodes()`,
networkx `graph.nodes(data=True)`) and its edges as (source index, target index, label or {"label": ...}):
`policies.checkov_graph.graph_vertices_and_edges` takes them from either kind of graph object.
Vertex dicts are shared with checkov's other checks, which run in threads: they are only read here.

What checkov's rendering gets wrong, and what this module does about it (checkov 3.3.30):
- A reference renders as the text "aws_security_group.alb.id", relative to the module that wrote it,
  even after it travelled through a module variable or output: inside module.app,
  "aws_security_group.alb.id" may name the root's group. Edges say where it points (through output and
  variable vertices); without a usable edge the name is looked up in the resource's module, then in the
  enclosing ones. References are rewritten to absolute addresses.
- `[count.index]`/`[each.key]` inside a reference stay unrendered, and every instance's edge points at
  instance 0: the referencing instance's own key is substituted (Terraform's meaning).
- A splat "aws_security_group.web[*].id" stays one string: it becomes the list of every instance.
- Values checkov took from a data source's arguments ("sg-0123" for `data.aws_security_group.x.id`)
  are lookup filters, not the data source's result: they become unknown.
- `dynamic` blocks are rendered with unevaluated iterator text (or empty strings), and a static block of
  the same name next to one is dropped: every block of that name becomes unknown.
- A variable of type list or map without a value renders as [] or {}, indistinguishable from an empty
  value: when the variable's vertex has no default, the value becomes unknown.
- A one-element list from terraform.tfvars renders as its element: readers accept a scalar for a list.
- Whether a module variable is substituted into a resource depends on the order checkov happens to
  render vertices in (it changes with PYTHONHASHSEED): "var.name" is sometimes left in a module's
  jsonencode() although the variable's vertex holds the module call's value. Such leftovers are filled
  from the variable's vertex when that value is a plain literal.
- The resource argument `self` is stored as "self_" (checkov reserves "self"): it is renamed back.
- Resources whose count renders to 0 (or for_each to nothing) still have a vertex: they are left out.
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Iterable

from policies.terraform.resources import (
    in_scope,
    instance_key,
    scopes_outward,
    split_address,
    unknown_marker,
    without_instance_key,
)

CROSS_VARIABLE_PREFIX = "[cross-variable] "
RENAMED_ARGUMENTS = {"self_": "self"}
# A reference to a resource attribute inside rendered text; group "local" is the resource's name in its module.
_REFERENCE = re.compile(
    r'(?<![\w.\]"-])(?P<local>[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*)'
    r'(?P<key>\[(?:\d+|"[^"]*"|\*|count\.index|each\.key)\]|\.\*)?'
    r"(?=\.[A-Za-z_])"
)
_VARIABLE = re.compile(r"\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}|^var\.([A-Za-z_][\w-]*)$")
# Text that is (or holds) an expression rather than a literal: a named value or a resource reference.
_EXPRESSION_TEXT = re.compile(
    r"\$\{|^(?:var|local|module|data|each|count|path|terraform|self)\.|^[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_]")
# A whole value that is a splat over a resource's instances: "aws_security_group.web[*].id" (or legacy ".*.").
_SPLAT = re.compile(
    r'^(?:\$\{)?(?P<local>[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*)(?:\[\*\]|\.\*)\.(?P<attribute>\w+)\}?$')


@dataclass(eq=False, repr=False)
class GraphReading:
    """The resource dicts of every root module of a graph, and the root modules that cannot be judged."""

    resources: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)  # root module directory -> [why it cannot be judged]
    evaluated: set = field(default_factory=set)  # root modules hoplint evaluated itself


def read_graph(vertices: Iterable, edges: Iterable, evaluate: bool | None = None) -> GraphReading:
    """One resource dict per resource instance of each root module of the graph (see the module docstring).

    `evaluate`: None evaluates the root modules whose rendering by checkov is incomplete, True every root module,
    False none (checkov's rendering as it is).
    """
    graph = _Graph(vertices, edges)
    reading = GraphReading()
    rendered_roots = set()
    for root, module_directories in graph.module_directories().items():
        if not (graph.needs_evaluation(root) if evaluate is None else evaluate):
            rendered_roots.add(root)
        elif not _evaluate_root(graph, root, module_directories, reading):
            rendered_roots.add(root)
    reading.resources += [resource for resource in graph.resources() if resource["root"] in rendered_roots]
    return reading


def _evaluate_root(graph: _Graph, root: str, module_directories: dict, reading: GraphReading) -> bool:
    """Evaluate the root module's files into `reading`; False when the evaluator does not support them.

    The evaluator is imported here: only configurations checkov renders incompletely need it (a fifth of the
    engine's imports, which every checkov run would pay otherwise)."""
    from policies.terraform.hcl.evaluation import ConfigurationFiles, TooComplex, Unsupported, evaluate_configuration
    from policies.terraform.hcl.syntax import SyntaxProblem

    try:
        reading.resources += evaluate_configuration(ConfigurationFiles(root, module_directories, graph.files))
        reading.evaluated.add(root)
    except Unsupported:
        return False
    except (SyntaxProblem, TooComplex) as error:
        reading.problems[root] = [f"{root}: cannot evaluate the configuration: {error}"]
    except Exception as error:  # noqa: BLE001 - whatever the configuration does to the evaluator: this root only
        reading.problems[root] = [f"{root}: cannot evaluate the configuration ({type(error).__name__}: {error})"]
    return True


def resources_from_graph(vertices: Iterable, edges: Iterable) -> list:
    """One resource dict per managed resource instance of the graph, as checkov rendered it."""
    return _Graph(vertices, edges).resources()


class _Graph:
    """The graph's vertices by root module: `checkov -d` over a tree of root modules renders one graph in
    which the same address exists once per root (envs/prod and envs/staging both hold aws_lb.web)."""

    def __init__(self, vertices: Iterable, edges: Iterable) -> None:
        self.vertices = {index: attributes for index, attributes in vertices}
        self.root_of = {id(attributes): root_module(attributes) for attributes in self.vertices.values()}
        self.edges: dict = {}
        for source, target, data in edges:
            label = data.get("label", "") if isinstance(data, dict) else str(data)
            self.edges.setdefault(source, []).append((target, label.removeprefix(CROSS_VARIABLE_PREFIX)))
        self.address_of = {
            index: attributes["__address__"]
            for index, attributes in self.vertices.items()
            if attributes.get("block_type_") == "resource" and isinstance(attributes.get("__address__"), str)
            and _exists(attributes)
        }
        self.addresses: dict = {}  # root -> addresses of its resources
        self.instances: dict = {}  # (root, address without instance key) -> addresses of its instances
        for index, address in sorted(self.address_of.items(), key=lambda item: _natural_order(item[1])):
            root = self.root_of[id(self.vertices[index])]
            self.addresses.setdefault(root, set()).add(address)
            self.instances.setdefault((root, without_instance_key(address)), []).append(address)
        self.variables = {
            (self.root_of[id(attributes)], attributes["__address__"]): attributes
            for attributes in self.vertices.values()
            if attributes.get("block_type_") == "variable" and isinstance(attributes.get("__address__"), str)
        }

    def resources(self) -> list:
        return [self.resource(index, address) for index, address in self.address_of.items()]

    def module_directories(self) -> dict:
        """Root module directory -> {chain of module calls: the directory of the called module}, () being the
        root itself, as checkov loaded them: each vertex names its file and (in its address) the chain of module
        calls it belongs to."""
        directories: dict = {}
        for attributes in self.vertices.values():
            path = attributes.get("file_path_")
            if isinstance(path, str) and attributes.get("block_type_") != "module":
                directories.setdefault(self.root_of[id(attributes)], {}).setdefault(
                    _module_chain(attributes), _directory(path))
        return {root: {**chains, (): root} for root, chains in directories.items()}

    @cached_property
    def files(self) -> dict:
        """Directory -> the sorted paths of the files of the graph in it (read once, for every root evaluated)."""
        files: dict = {}
        for attributes in self.vertices.values():
            path = attributes.get("file_path_")
            if isinstance(path, str):
                files.setdefault(_directory(path), set()).add(path)
        return {directory: sorted(paths) for directory, paths in files.items()}

    def needs_evaluation(self, root: str) -> bool:
        """Whether checkov's rendering of the root module leaves something the reader needs unevaluated."""
        return root in self.incomplete_roots

    @cached_property
    def incomplete_roots(self) -> set:
        return {self.root_of[id(vertex)] for vertex in self.vertices.values() if _rendering_is_incomplete(vertex)}

    def resource(self, index: int, address: str) -> dict:
        vertex = self.vertices[index]
        rewriter = _Rewriter(self, index, address, vertex)
        dynamic_blocks = _dynamic_block_names(vertex.get("dynamic"))
        attributes = {}
        for key, name in _argument_keys(vertex):
            if name == "dynamic":
                continue
            if name in dynamic_blocks:
                attributes[name] = unknown_marker(f'dynamic "{name}" blocks (not evaluated)')
            else:
                attributes[name] = rewriter.value(vertex[key], name)
        return {
            "address": address,
            "type": vertex.get("resource_type"),
            "attributes": attributes,
            "file": vertex.get("file_path_"),
            "start_line": vertex.get("__start_line__"),
            "end_line": vertex.get("__end_line__"),
            "root": rewriter.root,
        }

    def referenced_resources(self, index: int, path: str) -> set:
        """Resources the attribute at `path` points to, following edges through outputs, variables, locals."""
        found, seen = set(), {index}
        queue = deque(target for target, label in self.edges.get(index, ()) if _label_covers(label, path))
        while queue:
            vertex = queue.popleft()
            if vertex in seen:
                continue
            seen.add(vertex)
            if vertex in self.address_of:
                found.add(self.address_of[vertex])
            elif self.vertices.get(vertex, {}).get("block_type_") != "resource":
                queue.extend(target for target, _ in self.edges.get(vertex, ()))
        return found


class _Rewriter:
    """Rewrites one resource's rendered values: references made absolute, data-source values unknown."""

    def __init__(self, graph: _Graph, index: int, address: str, vertex: dict) -> None:
        self.graph, self.index, self.address = graph, index, address
        self.module = split_address(address)[0]
        self.root = graph.root_of[id(vertex)]
        self.addresses = graph.addresses.get(self.root, set())
        self.breadcrumbs = vertex.get("rendering_breadcrumbs_") or {}

    def value(self, value: Any, path: str) -> Any:
        # Most values were written as they are: no crumbs to read.
        rendered_from = self.breadcrumbs.get(path) if self.breadcrumbs else None
        if rendered_from:
            unknown = self.unknown_rendering(value, rendered_from)
            if unknown is not None:
                return unknown
        if isinstance(value, str):
            return self.text(value, path)
        if isinstance(value, dict):
            return {key: self.value(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item, f"{path}.{position}") for position, item in enumerate(value)]
        return value

    def unknown_rendering(self, value: Any, rendered_from: list) -> dict | None:
        """The unknown marker of a value rendered from an unset variable or from a data source's arguments."""
        variable = self.unset_variable(rendered_from) if value in ([], {}) else None
        if variable is not None:
            return unknown_marker(f"var.{variable} (no default, no tfvars)")
        source = None if isinstance(value, (dict, list)) else next(iter(_crumbs(rendered_from, "data")), None)
        if source is not None:
            return unknown_marker(f"data.{source} (a data source, read at plan time)")
        return None

    def variable_value(self, name: str) -> Any:
        """The literal value checkov gave variable `name` of this resource's module, None if none."""
        variable = self.graph.variables.get((self.root, in_scope(self.module, name)))
        value = variable.get("default") if variable is not None else None
        return value if _is_plain_literal(value) else None

    def variable_text(self, match: re.Match) -> str:
        value = self.variable_value(match.group(1) or match.group(2))
        if isinstance(value, bool):
            return str(value).lower()
        return str(value) if isinstance(value, (str, int, float)) else match.group(0)

    def unset_variable(self, rendered_from: list) -> str | None:
        """The variable an empty value was rendered from (its breadcrumbs), if that variable has no value."""
        for name in _crumbs(rendered_from, "variable"):
            variable = self.graph.variables.get((self.root, in_scope(self.module, name)))
            if variable is not None and "default" not in variable:
                return name
        return None

    def text(self, text: str, path: str) -> Any:
        # Each pattern is tried only on texts with the characters it needs: most texts are plain literals
        # (a variable has "var.", a splat "*", a reference two dots and the underscore of its type).
        if "." not in text:
            return text
        if "var." in text:
            whole = _VARIABLE.fullmatch(text)
            if whole:
                value = self.variable_value(whole.group(1) or whole.group(2))
                if value is not None:
                    return value
            text = _VARIABLE.sub(self.variable_text, text)
        splat = _SPLAT.match(text) if "*" in text else None
        if splat:
            resource = without_instance_key(self.absolute(splat.group("local"), path) or "")
            return [f"{address}.{splat.group('attribute')}"
                    for address in self.graph.instances.get((self.root, resource), [])]
        if "_" not in text or text.count(".") < 2:
            return text
        return _REFERENCE.sub(lambda match: self.rewrite(match, path), text)

    def rewrite(self, match: re.Match, path: str) -> str:
        local, key = match.group("local"), match.group("key") or ""
        if key in ("[*]", ".*"):
            return match.group(0)
        if key in ("[count.index]", "[each.key]"):
            key = instance_key(self.address) or key
        target = self.absolute(local + key, path)
        return target if target is not None else local + key

    def absolute(self, local: str, path: str) -> str | None:
        """The address of the resource `local` names from this resource's attribute `path`, if any."""
        via_edges = {address for address in self.graph.referenced_resources(self.index, path)
                     if _same_resource(split_address(address)[1], local)}
        if len(via_edges) == 1:
            return via_edges.pop()
        for scope in scopes_outward(self.module):
            candidate = in_scope(scope, local)
            if candidate in self.addresses or (self.root, candidate) in self.graph.instances:
                return candidate
        return None


_MODULE_NAME = re.compile(r"module\.([A-Za-z_][\w-]*)")
_INSTANCE_KEYS = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]')
# Text checkov leaves where it could not evaluate an expression: an interpolation, a named value, a call, the
# one data source whose result is known from the configuration. (A whole "var.x" in a root module is a
# variable without a value: unknown either way.)
_UNEVALUATED_NAMED_VALUES = ("local.", "module.", "each.", "count.", "self.", "data.template_file.")
_FUNCTION_CALL = re.compile(r"[a-z][a-z0-9_]*\(")


def _crumbs(rendered_from: Any, kind: str) -> list:
    """Names of the blocks of `kind` ("data", "variable") a value was rendered from, by its breadcrumbs."""
    return [str(crumb.get("name")) for crumb in rendered_from if isinstance(crumb, dict) and crumb.get("type") == kind]


def _module_chain(vertex: dict) -> tuple:
    """The names of the module calls, from the root module inward, whose module holds the vertex: from the
    calls checkov records with every vertex of a module, or else from its address."""
    calls = (vertex.get("rendering_breadcrumbs_") or {}).get("source_module_")
    if isinstance(calls, list) and calls:
        return tuple(str(call.get("name")) for call in calls if isinstance(call, dict))
    address = vertex.get("__address__")
    return tuple(_MODULE_NAME.findall(_INSTANCE_KEYS.sub("", split_address(address)[0]))) if isinstance(
        address, str) else ()


def _rendering_is_incomplete(vertex: dict) -> bool:
    """A vertex of a module call, or a resource with an unevaluated dynamic block, count, for_each or argument."""
    block_type = vertex.get("block_type_")
    if block_type == "module" or split_address(str(vertex.get("__address__", "")))[0]:
        return True
    if block_type != "resource":
        return False
    if vertex.get("dynamic") or isinstance(vertex.get("count"), str) or isinstance(vertex.get("for_each"), str):
        return True
    return _has_unevaluated_text([vertex[key] for key, _ in _argument_keys(vertex)])


def _has_unevaluated_text(values: Iterable, depth: int = 0) -> bool:
    """Whether one of `values`, or a value nested in them, is text checkov left unevaluated. Asked of every value
    of every resource: texts are tried in the loop (a call per container, not per value), without any() over a
    generator."""
    if depth > 32:
        return True
    for value in values:
        if isinstance(value, str):
            if ("${" in value or "%{" in value or value.startswith(_UNEVALUATED_NAMED_VALUES)
                    or ("(" in value and _FUNCTION_CALL.match(value) is not None)):
                return True
        elif isinstance(value, (dict, list)) and _has_unevaluated_text(
                value.values() if isinstance(value, dict) else value, depth + 1):
            return True
    return False


def _is_plain_literal(value: Any) -> bool:
    """A value with no expression left in it (checkov may hold "var.x" or "aws_x.y.id" in a default)."""
    if isinstance(value, str):
        return not _EXPRESSION_TEXT.search(value)
    if isinstance(value, (list, tuple)):
        return all(_is_plain_literal(item) for item in value)
    if isinstance(value, dict):
        return all(_is_plain_literal(item) for item in value.values())
    return isinstance(value, (int, float, bool))


def root_module(vertex: dict) -> str:
    """The directory of the root module a vertex belongs to: module blocks list their call chain from it."""
    calls = (vertex.get("rendering_breadcrumbs_") or {}).get("source_module_")
    if calls and isinstance(calls[0], dict) and isinstance(calls[0].get("path"), str):
        return _directory(calls[0]["path"])
    return _directory(str(vertex.get("file_path_", "")))


@lru_cache(maxsize=4096)  # asked of every vertex several times: as many distinct paths as files
def _directory(path: str) -> str:
    return os.path.dirname(path)


def _same_resource(local_address: str, local: str) -> bool:
    """Does `local` (maybe without instance key) name the resource at `local_address`?"""
    return local_address == local or without_instance_key(local_address) == local


def _label_covers(label: str, path: str) -> bool:
    return label == path or path.startswith(label + ".") or label.startswith(path + ".")


def _argument_keys(vertex: dict) -> tuple:
    """(key in the vertex, argument name) of each argument of the vertex. A vertex holds three times as many keys
    as arguments, and the vertices of one resource type mostly the same keys: they are told apart once per set."""
    return _arguments_among(tuple(vertex))


@lru_cache(maxsize=1024)
def _arguments_among(keys: tuple) -> tuple:
    named = ((key, RENAMED_ARGUMENTS.get(key, key)) for key in keys)
    return tuple((key, name) for key, name in named if _is_argument(name))


def _is_argument(name: str) -> bool:
    """checkov adds flattened "a.b.0" copies, internal "x_" keys and a few more next to the arguments."""
    return "." not in name and not name.endswith("_") and not name.startswith("__") and name not in (
        "hash", "resource_type")


def _exists(vertex: dict) -> bool:
    count, for_each = vertex.get("count"), vertex.get("for_each")
    if isinstance(count, int) and not isinstance(count, bool) and count <= 0:
        return False
    return not (isinstance(for_each, (list, dict)) and not for_each)


def _dynamic_block_names(dynamic: Any) -> set:
    blocks = dynamic if isinstance(dynamic, list) else [dynamic]
    return {name for block in blocks if isinstance(block, dict) for name in block}


def _natural_order(address: str) -> tuple:
    key = instance_key(address) or ""
    return (without_instance_key(address), int(key[1:-1]) if key[1:-1].isdigit() else 0, key)
