"""Evaluate a Terraform configuration (root module, its module calls, their instances) into resource dicts.

Terraform's semantics, statically: variables (tfvars, call arguments, defaults, type constraints with
`optional()` attributes and defaults), locals, outputs, module calls with count/for_each, resources and
data sources with count/for_each (`each.key`, `each.value`, `count.index`), references with instance keys
(`aws_lb.this[0].arn`, `aws_lb_target_group.this["ex"].arn`, `module.alb.target_groups["ex"].arn`),
splats, `dynamic` blocks (nested ones too), `for` expressions, conditionals, templates and the built-in
functions of functions.py, `file()`, `templatefile()` and the `template_file` data source.

What cannot be known statically is Unknown, its reason naming the expression: a data source's result, a
root variable without a value, an attribute a resource gets when created (a ResourceRef), an unsupported
function. A resource or module whose count/for_each is unknown is a placeholder: one instance whose
arguments are all unknown (a standalone security group rule keeps the group it belongs to, so that group
is known to hold a rule that cannot be read). Resources with count 0 or an empty for_each do not exist.

Bounded: at most MAX_INSTANCES instances per block, evaluation nested or chained at most MAX_DEPTH deep
(deeper is Unknown), at most STEP_BUDGET evaluation steps per configuration (beyond, TooComplex: the
configuration is not judged), files read by file()/templatefile() at most MAX_FILE_BYTES and only inside
the configuration's directories.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable

from policies.terraform.hcl import syntax
from policies.terraform.hcl.functions import call_function
from policies.terraform.hcl.values import (
    MAX_ITEMS,
    MAX_STRING,
    EvaluationError,
    Interpolated,
    JsonOf,
    Lazy,
    as_unknown,
    first_unknown,
    is_unknown,
    plain,
    to_text,
    type_name,
)
from policies.terraform.resources import unknown_marker
from policies.values import ResourceRef, Unknown

MAX_INSTANCES = 10_000
# Nested expressions and references being evaluated at once (a reference counts REFERENCE_DEPTH + 1): about
# two to four Python frames each, so that evaluation stays far from Python's recursion limit, inside checkov's threads
# too. The registry modules need about 45.
MAX_DEPTH = 150
REFERENCE_DEPTH = 2
STEP_BUDGET = 20_000_000
MAX_FILE_BYTES = 1 << 20
MAX_SOURCE_BYTES = 10 << 20
# Arguments that say how many instances exist and how Terraform manages them, not what they are.
META_ARGUMENTS = frozenset(("count", "for_each", "provider", "depends_on", "providers", "source", "version"))
META_BLOCKS = frozenset(("lifecycle", "provisioner", "connection"))
# Standalone rules keep the group they belong to when their own existence is unknown (see the docstring).
RULE_TYPES = frozenset(("aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
                        "aws_vpc_security_group_egress_rule"))
RULE_OWNER_ARGUMENTS = ("security_group_id", "type")
_REASON_TEXT = 100  # characters of an expression quoted in an Unknown's reason


class TooComplex(Exception):
    """The configuration needs more evaluation than STEP_BUDGET, or holds a file too large to read."""


class Unsupported(Exception):
    """The configuration uses a form this evaluator does not read (JSON syntax files)."""


@dataclass(eq=False, repr=False)
class ConfigurationFiles:
    """Where a configuration's modules are: `directories` maps each chain of module call names (() for the
    root) to its directory, `files` each directory to its .tf files (and the root's .tfvars files)."""

    root: str
    directories: dict
    files: dict


def evaluate_configuration(configuration: ConfigurationFiles) -> list:
    """The resource dicts (policies/terraform/resources.py) of every resource instance of the configuration.

    Raises syntax.SyntaxProblem (a file this reader cannot parse), TooComplex or Unsupported.
    """
    return _Evaluator(configuration).resources()


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _REASON_TEXT else text[:_REASON_TEXT - 3] + "..."


class _Evaluating:
    """Marks a value being evaluated: meeting it again is a reference cycle."""


_EVALUATING = _Evaluating()


def _memoized(evaluator: "_Evaluator", memo: dict, key: tuple, what: str, compute: Callable[[], Any]) -> Any:
    """memo[key], computed once as a reference is followed (_Evaluator.nested); a value met again while it is
    being computed refers to itself, and is unknown."""
    found = memo.get(key)
    if found is _EVALUATING:
        return Unknown(f"{what} refers to itself")
    if key in memo:
        return found
    memo[key] = _EVALUATING
    try:
        value = evaluator.nested(compute)
    except BaseException:
        del memo[key]
        raise
    memo[key] = value
    return value


# -- modules as written -------------------------------------------------------------------------------


class _ModuleDefinition:
    """The blocks of one module directory, by kind."""

    def __init__(self, directory: str, bodies: list, tfvars: list) -> None:
        self.directory = directory
        self.variables: dict = {}
        self.locals: dict = {}
        self.outputs: dict = {}
        self.resources: dict = {}
        self.data: dict = {}
        self.modules: dict = {}
        self.resource_types: set = set()
        self.tfvars: dict = {}
        for body in bodies:
            for block in body.blocks:
                self.add(block)
        for body in tfvars:
            self.tfvars.update(body.attributes)

    def add(self, block: syntax.Block) -> None:
        """A block of the module; of two with one name (a configuration Terraform refuses), the first."""
        labels = block.labels
        named = {"variable": self.variables, "output": self.outputs, "module": self.modules}
        if block.type == "locals":
            for name, attribute in block.body.attributes.items():
                self.locals.setdefault(name, attribute)
        elif block.type in named and len(labels) == 1:
            named[block.type].setdefault(labels[0], block)
        elif block.type in ("resource", "data") and len(labels) == 2:
            (self.resources if block.type == "resource" else self.data).setdefault((labels[0], labels[1]), block)
            if block.type == "resource":
                self.resource_types.add(labels[0])


class _Scope:
    """Where an expression is evaluated: its module instance, the instance's each/count, iterator names."""

    __slots__ = ("module", "each", "count_index", "names")

    def __init__(self, module: "_ModuleInstance", each: Any = None, count_index: Any = None,
                 names: dict | None = None) -> None:
        self.module, self.each, self.count_index, self.names = module, each, count_index, names

    def with_names(self, names: dict) -> "_Scope":
        merged = dict(self.names) if self.names else {}
        merged.update(names)
        return _Scope(self.module, self.each, self.count_index, merged)


_SPLAT_ITEM = "\0splat"  # the name a splat binds its element to (no HCL name can collide)


# -- instances as evaluated ---------------------------------------------------------------------------


class _Instances:
    """The instances of a resource, data source or module block: one, `count` many, one per for_each key,
    or Unknown (the count or for_each is not known)."""

    __slots__ = ("kind", "keys", "unknown")

    def __init__(self, kind: str, keys: list, unknown: Unknown | None = None) -> None:
        self.kind, self.keys, self.unknown = kind, keys, unknown  # keys: [(key, each value)] or [index]


    def scopes(self, module: "_ModuleInstance", base: str) -> list:
        """(scope, address) of each instance of a block of `module` whose address without key is `base`."""
        if self.kind == "count":
            return [(_Scope(module, count_index=index), f"{base}[{index}]") for index in self.keys]
        if self.kind == "for_each":
            return [(_Scope(module, each=_Iterator({"key": key, "value": value}, "each")),
                     f"{base}[{json.dumps(key, ensure_ascii=False)}]") for key, value in self.keys]
        return [(module.scope, base)]

    def value(self, made: list) -> Any:
        """The instances made, as an expression sees the block: a list (count), a map (for_each), or one."""
        if self.kind == "count":
            return made
        if self.kind == "for_each":
            return {key: instance for (key, _), instance in zip(self.keys, made)}
        return made[0]


class _ModuleInstance(Lazy):
    def __init__(self, evaluator: "_Evaluator", definition: _ModuleDefinition | None, address: str, chain: tuple,
                 caller: "_ModuleInstance | None", call: syntax.Block | None, call_scope: _Scope | None,
                 existence: Unknown | None, source: str = "") -> None:
        self.evaluator, self.definition, self.address, self.chain = evaluator, definition, address, chain
        self.caller, self.call, self.call_scope, self.existence, self.source = (
            caller, call, call_scope, existence, source)
        self.memo: dict = {}
        self.scope = _Scope(self)

    def describe(self) -> str:
        return self.address or "the root module"

    def attribute(self, name: str) -> Any:
        """An output of the module."""
        if self.definition is None:
            return Unknown(f"{self.address}.{name} (the source {self.source!r} of {self.address} was not loaded)")
        block = self.definition.outputs.get(name)
        if block is None:
            raise EvaluationError(f"{self.address} has no output {name!r}")
        value = block.body.attributes.get("value")
        if value is None:
            return None
        return self.memoized(("output", name), f"{self.address}.{name}",
                             lambda: self.evaluator.evaluate_argument(value.expression, self.scope))

    def memoized(self, key: tuple, what: str, compute: Callable[[], Any]) -> Any:
        return _memoized(self.evaluator, self.memo, key, what, compute)

    # -- named values --

    def variable(self, name: str) -> Any:
        block = self.definition.variables.get(name)
        if block is None:
            raise EvaluationError(f"no variable {name!r} is declared")
        return self.memoized(("var", name), f"var.{name}", lambda: self.evaluator.variable_value(self, name, block))

    def local(self, name: str) -> Any:
        attribute = self.definition.locals.get(name)
        if attribute is None:
            raise EvaluationError(f"no local value {name!r} is declared")
        return self.memoized(("local", name), f"local.{name}",
                             lambda: self.evaluator.evaluate_argument(attribute.expression, self.scope))

    def resource(self, resource_type: str, name: str) -> Any:
        block = self.definition.resources.get((resource_type, name))
        if block is None:
            raise EvaluationError(f"no resource {resource_type}.{name} is declared")
        return self.memoized(("resource", resource_type, name), f"{resource_type}.{name}",
                             lambda: self.evaluator.block_value(self, block, f"{resource_type}.{name}",
                                                                _ResourceInstance))

    def data(self, data_type: str, name: str) -> Any:
        block = self.definition.data.get((data_type, name))
        if block is None:
            raise EvaluationError(f"no data source {data_type}.{name} is declared")
        return self.memoized(("data", data_type, name), f"data.{data_type}.{name}",
                             lambda: self.evaluator.block_value(self, block, f"data.{data_type}.{name}",
                                                                _DataInstance))

    def module(self, name: str) -> Any:
        block = self.definition.modules.get(name)
        if block is None:
            raise EvaluationError(f"no module {name!r} is called")
        return self.memoized(("module", name), f"module.{name}", lambda: self.evaluator.module_value(self, name))

    def children(self, name: str) -> list:
        """The instances of module call `name` (evaluating the call first)."""
        self.module(name)
        return self.memo.get(("children", name), [])


class _BlockInstance(Lazy):
    """One instance of a resource or data source block."""

    def __init__(self, evaluator: "_Evaluator", module: _ModuleInstance, block: syntax.Block, address: str,
                 scope: _Scope) -> None:
        self.evaluator, self.module, self.block, self.address, self.scope = evaluator, module, block, address, scope
        self.memo: dict = {}

    def describe(self) -> str:
        return self.address

    def argument(self, name: str) -> Any:
        attribute = self.block.body.attributes.get(name)
        return self.memoized(name, lambda: self.evaluator.evaluate_argument(attribute.expression, self.scope))

    def memoized(self, name: str, compute: Callable[[], Any]) -> Any:
        return _memoized(self.evaluator, self.memo, (name,), f"{self.address}.{name}", compute)


class _ResourceInstance(_BlockInstance):
    def attribute(self, name: str) -> Any:
        """A configured argument or nested block as configured; any other attribute is known after apply."""
        if name in self.block.body.attributes and name not in META_ARGUMENTS:
            return self.argument(name)
        if any(block.type == name or block.type == "dynamic" and block.labels[:1] == [name]
               for block in self.block.body.blocks):
            return self.memoized(name, lambda: self.evaluator.evaluate_body(
                self.block.body, self.scope, only=name).get(name))
        return ResourceRef(self.address, name)


class _DataInstance(_BlockInstance):
    def attribute(self, name: str) -> Any:
        """A data source is read when Terraform plans: its results are unknown, except what the template
        provider renders from the configuration itself."""
        if self.block.labels[0] == "template_file":
            if name == "rendered":
                return self.evaluator.render_template_file(self)
            if name in ("template", "vars") and name in self.block.body.attributes:
                return self.argument(name)
        return Unknown(f"{self.address}.{name} (a data source, read at plan time)")


class _Namespace(Lazy):
    """`var`, `local`, `module`, `data`, `data.TYPE`, or a resource type: attributes looked up on demand."""

    __slots__ = ("kind", "module", "type")

    def __init__(self, kind: str, module: _ModuleInstance, kind_type: str = "") -> None:
        self.kind, self.module, self.type = kind, module, kind_type

    def describe(self) -> str:
        return self.type or self.kind

    def attribute(self, name: str) -> Any:
        module = self.module
        if self.kind == "var":
            return module.variable(name)
        if self.kind == "local":
            return module.local(name)
        if self.kind == "module":
            return module.module(name)
        if self.kind == "data":
            return _Namespace("data_type", module, name)
        if self.kind == "data_type":
            return module.data(self.type, name)
        return module.resource(self.type, name)


class _Iterator(Lazy):
    """`each`, `count`, or a dynamic block's iterator: key/value (or index) of the current instance."""

    __slots__ = ("names", "what")

    def __init__(self, names: dict, what: str) -> None:
        self.names, self.what = names, what

    def describe(self) -> str:
        return self.what

    def attribute(self, name: str) -> Any:
        if name not in self.names:
            raise EvaluationError(f"{self.what} has no attribute {name!r}")
        return self.names[name]


# -- the evaluator ------------------------------------------------------------------------------------


class _Evaluator:
    def __init__(self, configuration: ConfigurationFiles) -> None:
        self.configuration = configuration
        self.steps = 0
        self.depth = 0
        self.definitions: dict = {}  # directory -> _ModuleDefinition
        self.file_texts: dict = {}  # real path -> text read by file()/templatefile()
        self.templates: dict = {}  # real path -> parsed template
        self.allowed_directories = {os.path.realpath(configuration.root)}
        self.handlers = {
            syntax.Literal: lambda node, scope: node.value,
            syntax.Template: self.template,
            syntax.Variable: self.variable,
            syntax.GetAttr: self.get_attr,
            syntax.Index: self.index,
            syntax.Splat: self.splat,
            syntax.SplatItem: lambda node, scope: scope.names[_SPLAT_ITEM],
            syntax.Call: self.call,
            syntax.TupleCons: lambda node, scope: [self.eval(item, scope) for item in node.items],
            syntax.ObjectCons: self.object,
            syntax.Conditional: self.conditional,
            syntax.Binary: self.binary,
            syntax.Unary: self.unary,
            syntax.For: self.for_expression,
            syntax.Parenthesized: lambda node, scope: self.eval(node.expression, scope),
        }

    # -- reading modules --

    def definition(self, directory: str) -> _ModuleDefinition:
        found = self.definitions.get(directory)
        if found is None:
            bodies, tfvars = [], []
            for path in sorted(self.configuration.files.get(directory, ())):
                if path.endswith(".json"):
                    raise Unsupported(f"{path}: Terraform JSON syntax is not evaluated")
                body = syntax.parse_file(self.read_source(path), path)
                (tfvars if path.endswith(".tfvars") else bodies).append(body)
            found = self.definitions[directory] = _ModuleDefinition(directory, bodies, tfvars)
            self.allowed_directories.add(os.path.realpath(directory))
        return found

    @staticmethod
    def read_source(path: str) -> str:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SOURCE_BYTES + 1)
        if len(raw) > MAX_SOURCE_BYTES:
            raise TooComplex(f"{path} is larger than {MAX_SOURCE_BYTES} bytes")
        return raw.decode("utf-8-sig", errors="replace")

    # -- the resource dicts --

    def resources(self) -> list:
        root = _ModuleInstance(self, self.definition(self.configuration.root), "", (), None, None, None, None)
        found: list = []
        self.emit_module(root, found)
        return found

    def emit_module(self, module: _ModuleInstance, found: list) -> None:
        if module.definition is None:
            return
        for (resource_type, name), block in module.definition.resources.items():
            local = f"{resource_type}.{name}"
            instances = self.instances(module, block, local)
            if instances.unknown is not None:
                found.append(self.placeholder(module, block, local, instances.unknown))
                continue
            for instance in self.block_instances(module, block, local, instances, _ResourceInstance):
                found.append(self.resource_dict(instance, resource_type))
        for name in module.definition.modules:
            for child in module.children(name):
                self.emit_module(child, found)

    def resource_dict(self, instance: _ResourceInstance, resource_type: str) -> dict:
        attributes = {name: plain(value)
                      for name, value in self.evaluate_body(instance.block.body, instance.scope).items()}
        return self.dict_of(instance.address, resource_type, attributes, instance.block)

    def dict_of(self, address: str, resource_type: str, attributes: dict, block: syntax.Block) -> dict:
        return {"address": address, "type": resource_type, "attributes": attributes, "file": block.file,
                "start_line": block.start_line, "end_line": block.end_line, "root": self.configuration.root}

    def placeholder(self, module: _ModuleInstance, block: syntax.Block, local: str, unknown: Unknown) -> dict:
        """One stand-in instance of a block whose instances are unknown: every argument unknown, except the
        group a standalone security group rule belongs to."""
        address = f"{module.address}.{local}" if module.address else local
        reason = unknown_marker(unknown.reason)
        names = set(block.body.attributes) - META_ARGUMENTS
        names |= {b.labels[0] if b.type == "dynamic" and b.labels else b.type for b in block.body.blocks
                  if b.type not in META_BLOCKS}
        attributes = {name: reason for name in names}
        if block.labels[0] in RULE_TYPES and module.existence is None:
            scope = _Scope(module, each=_Iterator({"key": unknown, "value": unknown}, "each"), count_index=unknown)
            for name in RULE_OWNER_ARGUMENTS:
                if name in block.body.attributes:
                    attributes[name] = plain(self.evaluate_argument(block.body.attributes[name].expression, scope))
        return self.dict_of(address, block.labels[0], attributes, block)

    # -- instances --

    def instances(self, module: _ModuleInstance, block: syntax.Block, what: str) -> _Instances:
        """The instances of a resource, data or module block in `module`."""
        if module.existence is not None:
            return _Instances("unknown", [], module.existence)
        what = f"{module.address}.{what}" if module.address else what
        attributes = block.body.attributes
        if "count" in attributes:
            expression = attributes["count"].expression
            count = self.evaluate_argument(expression, module.scope)
            if isinstance(count, str) and count.strip().isdigit():
                count = int(count)
            if isinstance(count, float) and count.is_integer():  # never inf or nan
                count = int(count)
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                return _Instances("unknown", [], self.unknown_count(what, "count", expression, count))
            if count > MAX_INSTANCES:
                return _Instances("unknown", [], Unknown(f"{what}: count = {count} (more than "
                                                         f"{MAX_INSTANCES} instances are not evaluated)"))
            return _Instances("count", list(range(count)))
        if "for_each" in attributes:
            expression = attributes["for_each"].expression
            collection = self.evaluate_argument(expression, module.scope)
            if isinstance(collection, dict):
                pairs = sorted(collection.items())  # Terraform orders a map's keys lexically
            elif isinstance(collection, list) and all(isinstance(item, str) for item in collection):
                pairs = [(item, item) for item in sorted(set(collection))]  # a set of strings, as Terraform takes
            else:
                return _Instances("unknown", [], self.unknown_count(what, "for_each", expression, collection))
            if len(pairs) > MAX_INSTANCES:
                return _Instances("unknown", [], Unknown(f"{what}: for_each over {len(pairs)} keys (more than "
                                                         f"{MAX_INSTANCES} instances are not evaluated)"))
            return _Instances("for_each", pairs)
        return _Instances("single", [None])

    @staticmethod
    def unknown_count(what: str, meta: str, expression: syntax.Node, value: Any) -> Unknown:
        why = as_unknown(value, "not known").reason if is_unknown(value) or first_unknown(value) is not None else (
            f"a {type_name(value)}, not a {'whole number' if meta == 'count' else 'map or set of strings'}")
        return Unknown(f"{what}: {meta} = {_short(expression.text())} ({why})")

    def block_instances(self, module: _ModuleInstance, block: syntax.Block, local: str, instances: _Instances,
                        kind: type) -> list:
        base = f"{module.address}.{local}" if module.address else local
        return [kind(self, module, block, address, scope) for scope, address in instances.scopes(module, base)]

    def block_value(self, module: _ModuleInstance, block: syntax.Block, local: str, kind: type) -> Any:
        """`aws_lb.this` (or `data.x.y`) as an expression sees it: an instance, a list, a map, or Unknown."""
        instances = self.instances(module, block, local)
        if instances.unknown is not None:
            return instances.unknown
        return instances.value(self.block_instances(module, block, local, instances, kind))

    def module_value(self, module: _ModuleInstance, name: str) -> Any:
        """`module.NAME`: its instance, a list or map of them, or Unknown; the instances are remembered for
        emit_module."""
        block = module.definition.modules[name]
        chain = module.chain + (name,)
        directory = self.configuration.directories.get(chain)
        definition = self.definition(directory) if directory is not None else None
        base = f"{module.address}.module.{name}" if module.address else f"module.{name}"
        source = self.source_of(block, module)
        instances = self.instances(module, block, f"module.{name}")
        if instances.unknown is not None:
            child = _ModuleInstance(self, definition, base, chain, module, block, module.scope, instances.unknown,
                                    source)
            module.memo[("children", name)] = [child]
            return instances.unknown
        children = [_ModuleInstance(self, definition, address, chain, module, block, scope, None, source)
                    for scope, address in instances.scopes(module, base)]
        module.memo[("children", name)] = children
        return instances.value(children)

    def source_of(self, block: syntax.Block, module: _ModuleInstance) -> str:
        source = block.body.attributes.get("source")
        value = self.evaluate_argument(source.expression, module.scope) if source else None
        return value if isinstance(value, str) else "?"

    # -- variables --

    def variable_value(self, module: _ModuleInstance, name: str, block: syntax.Block) -> Any:
        attributes = block.body.attributes
        given: Any = _MISSING
        if module.caller is None:
            if name in module.definition.tfvars:
                given = self.evaluate_argument(module.definition.tfvars[name].expression, module.scope)
        elif name in module.call.body.attributes:
            given = self.evaluate_argument(module.call.body.attributes[name].expression, module.call_scope)
        nullable = attributes.get("nullable")
        not_nullable = nullable is not None and self.evaluate_argument(nullable.expression, module.scope) is False
        if given is _MISSING or (given is None and not_nullable):
            if "default" not in attributes:
                where = "no default, no tfvars" if module.caller is None else (
                    f"{module.address} gives no value and it has no default")
                return Unknown(f"var.{name} ({where})")
            given = self.evaluate_argument(attributes["default"].expression, module.scope)
        if "type" not in attributes or is_unknown(given):
            return given
        try:
            return self.converted(given, attributes["type"].expression, module.scope)
        except EvaluationError as error:
            return Unknown(f"var.{name} ({error})")

    def converted(self, value: Any, constraint: syntax.Node, scope: _Scope) -> Any:
        """`value` converted to the type `constraint`, with optional attributes and their defaults filled."""
        self.tick()
        if value is None or is_unknown(value):
            return value
        if isinstance(constraint, syntax.Template) and len(constraint.parts) == 1:  # legacy "string", "list"
            constraint = syntax.Variable(str(constraint.parts[0]))
        if isinstance(constraint, syntax.Variable):
            return _converted_primitive(value, constraint.name)
        if not isinstance(constraint, syntax.Call) or not constraint.arguments:
            return value
        kind, argument = constraint.name, constraint.arguments[0]
        if kind in ("list", "set"):
            if not isinstance(value, list):
                raise EvaluationError(f"a {type_name(value)} where a {kind} is required")
            items = [self.converted(item, argument, scope) for item in value]
            return _distinct(items) if kind == "set" else items
        if kind == "map":
            if not isinstance(value, dict):
                raise EvaluationError(f"a {type_name(value)} where a map is required")
            return {key: self.converted(item, argument, scope) for key, item in value.items()}
        if kind == "tuple" and isinstance(argument, syntax.TupleCons):
            if not isinstance(value, list) or len(value) != len(argument.items):
                raise EvaluationError("a value that does not match the tuple type")
            return [self.converted(item, element, scope) for item, element in zip(value, argument.items)]
        if kind == "object" and isinstance(argument, syntax.ObjectCons):
            if not isinstance(value, dict):
                raise EvaluationError(f"a {type_name(value)} where an object is required")
            result = {}
            for key_node, attribute_type in argument.items:
                key = key_node.value if isinstance(key_node, syntax.Literal) else str(self.eval(key_node, scope))
                optional = isinstance(attribute_type, syntax.Call) and attribute_type.name == "optional"
                inner = attribute_type.arguments[0] if optional and attribute_type.arguments else attribute_type
                if key in value and value[key] is not None:
                    result[key] = self.converted(value[key], inner, scope)
                elif optional and len(attribute_type.arguments) > 1:
                    result[key] = self.converted(self.eval(attribute_type.arguments[1], scope), inner, scope)
                elif optional or key in value:
                    result[key] = None
                else:
                    raise EvaluationError(f"attribute {key!r} is required")
            return result
        return value

    # -- evaluation --

    def tick(self) -> None:
        self.steps += 1
        if self.steps > STEP_BUDGET:
            raise TooComplex(f"evaluating it takes more than {STEP_BUDGET} steps")

    def nested(self, compute: Callable[[], Any]) -> Any:
        """Follow a reference (a local, a variable, an output, a resource's argument): its Python frames count
        towards MAX_DEPTH as much as three nested expressions do."""
        self.depth += REFERENCE_DEPTH
        try:
            return compute()
        finally:
            self.depth -= REFERENCE_DEPTH

    def eval(self, node: syntax.Node, scope: _Scope) -> Any:
        self.tick()
        if self.depth >= MAX_DEPTH:
            return Unknown(f"{_short(node.text())} (nested or chained more than {MAX_DEPTH} levels deep)")
        self.depth += 1
        try:
            return self.handlers[type(node)](node, scope)
        finally:
            self.depth -= 1

    def evaluate_argument(self, node: syntax.Node, scope: _Scope) -> Any:
        """An argument's value; a Terraform error in it makes it Unknown, naming the expression, and so does
        arithmetic Python refuses (a number of 5,000 digits printed, a template that does not parse)."""
        try:
            return self.eval(node, scope)
        except (EvaluationError, ArithmeticError, ValueError, TypeError) as error:
            return Unknown(f"{_short(node.text())} ({error})")

    def evaluate_body(self, body: syntax.Body, scope: _Scope, only: str | None = None) -> dict:
        """Arguments and nested blocks (each a list of dicts, dynamic ones expanded, or Unknown) of a body."""
        result: dict = {}
        for name, attribute in body.attributes.items():
            if name not in META_ARGUMENTS and (only is None or name == only):
                result[name] = self.evaluate_argument(attribute.expression, scope)
        for block in body.blocks:
            if block.type in META_BLOCKS:
                continue
            name = block.labels[0] if block.type == "dynamic" and block.labels else block.type
            if only is not None and name != only:
                continue
            if block.type == "dynamic":
                items = self.dynamic_blocks(block, scope)
            else:
                items = [self.evaluate_body(block.body, scope)]
            earlier = result.get(name, [])
            if isinstance(earlier, Unknown):
                continue
            result[name] = items if isinstance(items, Unknown) else earlier + items
        return result

    def dynamic_blocks(self, block: syntax.Block, scope: _Scope) -> Any:
        name = block.labels[0] if block.labels else "?"
        attributes = block.body.attributes
        if "for_each" not in attributes:
            return Unknown(f'dynamic "{name}" has no for_each')
        collection = self.evaluate_argument(attributes["for_each"].expression, scope)
        pairs = _pairs(collection)
        if pairs is None:
            why = as_unknown(collection, "not a collection").reason if is_unknown(collection) else (
                f"a {type_name(collection)}, not a collection")
            return Unknown(f'dynamic "{name}" blocks: for_each = '
                           f'{_short(attributes["for_each"].expression.text())} ({why})')
        iterator = attributes.get("iterator")
        iterator_name = iterator.expression.name if iterator and isinstance(iterator.expression,
                                                                            syntax.Variable) else name
        content = next((inner for inner in block.body.blocks if inner.type == "content"), None)
        if content is None:
            return []
        blocks = []
        for key, value in pairs:
            self.tick()
            inner = scope.with_names({iterator_name: _Iterator({"key": key, "value": value}, iterator_name)})
            blocks.append(self.evaluate_body(content.body, inner))
        return blocks

    # -- expressions --

    def template(self, node: syntax.Template, scope: _Scope) -> Any:
        parts = node.parts
        if len(parts) == 1 and isinstance(parts[0], syntax.Interpolation):
            return self.eval(parts[0].expression, scope)  # "${x}" is x itself, of whatever type
        return self.rendered(parts, scope)

    def rendered(self, parts: list, scope: _Scope) -> Any:
        pieces: list = []
        length = 0
        unknown: Unknown | None = None
        partial = False
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
                length += len(part)
                continue
            if isinstance(part, syntax.Interpolation):
                value = self.eval(part.expression, scope)
            elif isinstance(part, syntax.TemplateIf):
                condition = _condition(self.eval(part.condition, scope))
                if not isinstance(condition, bool):
                    return condition
                value = self.rendered(part.then if condition else part.otherwise, scope)
            else:
                value = self.template_for(part, scope)
            if isinstance(value, ResourceRef):
                pieces.append("${" + str(value) + "}")
                partial = True
            elif isinstance(value, Interpolated):
                pieces.append(value.text)
                partial = True
            elif is_unknown(value):
                pieces.append("${?}")
                unknown = unknown or as_unknown(value, "not known")
            else:
                pieces.append(to_text(value))
            length += len(pieces[-1])
            if length > MAX_STRING:
                return Unknown(f"a string longer than {MAX_STRING} characters")
        if unknown is None and not partial:
            return "".join(pieces)
        # Known text around what is not known still says something: `family:revision` names the family.
        if partial or any(pieces[index] not in ("", "${?}") for index in range(len(pieces))):
            return Interpolated("".join(pieces))
        return unknown

    def template_for(self, part: syntax.TemplateFor, scope: _Scope) -> Any:
        collection = self.eval(part.collection, scope)
        pairs = _pairs(collection)
        if pairs is None:
            return as_unknown(collection, "a template for over a value that is not a collection")
        pieces = []
        for key, value in pairs:
            names = {part.value_name: value}
            if part.key_name:
                names[part.key_name] = key
            piece = self.rendered(part.body, scope.with_names(names))
            if not isinstance(piece, str):
                return piece
            pieces.append(piece)
        return "".join(pieces)

    def variable(self, node: syntax.Variable, scope: _Scope) -> Any:
        name = node.name
        if scope.names and name in scope.names:
            return scope.names[name]
        module = scope.module
        if name in ("var", "local", "module", "data"):
            if module is None or module.definition is None:
                raise EvaluationError(f"{name} cannot be used here")
            return _Namespace(name, module)
        if name == "each":
            if scope.each is None:
                raise EvaluationError("each is used outside a for_each")
            return scope.each
        if name == "count":
            if scope.count_index is None:
                raise EvaluationError("count is used outside a counted block")
            return _Iterator({"index": scope.count_index}, "count")
        if name == "path":
            directory = module.definition.directory if module and module.definition else self.configuration.root
            return {"module": directory, "root": self.configuration.root, "cwd": self.configuration.root}
        if name == "terraform":
            return {"workspace": Unknown("terraform.workspace (chosen when Terraform runs)")}
        if module is not None and module.definition is not None and name in module.definition.resource_types:
            return _Namespace("resource", module, name)
        if name == "self":
            return Unknown("self (not evaluated)")
        raise EvaluationError(f"unknown name {name!r}")

    def get_attr(self, node: syntax.GetAttr, scope: _Scope) -> Any:
        return self.attribute_of(self.eval(node.target, scope), node.name, node)

    def attribute_of(self, target: Any, name: str, node: syntax.Node) -> Any:
        if isinstance(target, Lazy):
            return target.attribute(name)
        if isinstance(target, dict):
            if name in target:
                return target[name]
            raise EvaluationError(f"no attribute {name!r}")
        if isinstance(target, Unknown):
            return target
        if isinstance(target, ResourceRef):
            return Unknown(f"{target}.{name} (known after apply)")
        if isinstance(target, (Interpolated, JsonOf)):
            return as_unknown(target, "not known")
        if target is None:
            raise EvaluationError(f"attribute {name!r} of null")
        raise EvaluationError(f"a {type_name(target)} has no attribute {name!r}")

    def index(self, node: syntax.Index, scope: _Scope) -> Any:
        target = self.eval(node.target, scope)
        key = self.eval(node.key, scope)
        return _indexed(target, key)

    def splat(self, node: syntax.Splat, scope: _Scope) -> Any:
        target = self.eval(node.target, scope)
        if target is None:
            return []
        if isinstance(target, Unknown):
            return target
        items = target if isinstance(target, list) else [target]
        return [self.eval(node.each, scope.with_names({_SPLAT_ITEM: item})) for item in items]

    def object(self, node: syntax.ObjectCons, scope: _Scope) -> Any:
        result: dict = {}
        for key_node, value_node in node.items:
            key = key_node.value if isinstance(key_node, syntax.Literal) else self.eval(key_node, scope)
            if is_unknown(key):
                return as_unknown(key, "an object key is not known")
            result[to_text(key)] = self.eval(value_node, scope)
        return result

    def conditional(self, node: syntax.Conditional, scope: _Scope) -> Any:
        condition = _condition(self.eval(node.condition, scope))
        if not isinstance(condition, bool):
            return condition
        return self.eval(node.then if condition else node.otherwise, scope)

    def binary(self, node: syntax.Binary, scope: _Scope) -> Any:
        operator = node.operator
        left = self.eval(node.left, scope)
        if operator in ("&&", "||"):
            decided = _condition(left)
            if decided is (operator == "||"):
                return decided  # true || x, false && x: decided whatever x is
            right = _condition(self.eval(node.right, scope))
            if isinstance(decided, bool):
                return right
            if right is (operator == "||"):
                return right
            return decided
        right = self.eval(node.right, scope)
        if operator in ("==", "!="):
            equal = _equal(left, right)
            return equal if not isinstance(equal, bool) else equal == (operator == "==")
        unknown = next((value for value in (left, right) if is_unknown(value)), None)
        if unknown is not None:
            return as_unknown(unknown, f"an operand of {operator}")
        a, b = _operand(left, operator), _operand(right, operator)
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        if operator in ("/", "%"):
            if b == 0:
                raise EvaluationError("division by zero")
            result = a / b if operator == "/" else a - b * int(a / b)
            return int(result) if isinstance(result, float) and result.is_integer() else result
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]

    def unary(self, node: syntax.Unary, scope: _Scope) -> Any:
        operand = self.eval(node.operand, scope)
        if node.operator == "!":
            condition = _condition(operand)
            return condition if not isinstance(condition, bool) else not condition
        if is_unknown(operand):
            return as_unknown(operand, "the operand of -")
        return -_operand(operand, "-")

    def for_expression(self, node: syntax.For, scope: _Scope) -> Any:
        collection = self.eval(node.collection, scope)
        pairs = _pairs(collection)
        if pairs is None:
            if is_unknown(collection):
                return as_unknown(collection, "a for expression over a value that is not known")
            raise EvaluationError(f"a for expression over a {type_name(collection)}")
        tuple_items: list = []
        object_items: dict = {}
        for key, value in pairs:
            self.tick()
            names = {node.value_name: value}
            if node.key_name:
                names[node.key_name] = key
            inner = scope.with_names(names)
            keep = True if node.condition is None else _condition(self.eval(node.condition, inner))
            if keep is False:
                continue
            if keep is not True and not isinstance(keep, Unknown):
                raise EvaluationError("a for condition that is not a bool")
            # An element whose condition is unknown may or may not be there: kept, with an unknown value.
            item = self.eval(node.value, inner) if keep is True else keep
            if node.key is None:
                tuple_items.append(item)
                continue
            item_key = self.eval(node.key, inner)
            if is_unknown(item_key):
                return as_unknown(item_key, "a key of a for expression is not known")
            item_key = to_text(item_key)
            if node.grouping:
                object_items.setdefault(item_key, []).append(item)
            elif item_key in object_items:
                raise EvaluationError(f"duplicate key {item_key!r} in a for expression")
            else:
                object_items[item_key] = item
            if len(object_items) + len(tuple_items) > MAX_ITEMS:
                return Unknown(f"{_short(node.text())} (more than {MAX_ITEMS} elements)")
        return tuple_items if node.key is None else object_items

    def call(self, node: syntax.Call, scope: _Scope) -> Any:
        name = node.name
        if name == "try":
            for argument in node.arguments:
                try:
                    return self.eval(argument, scope)
                except EvaluationError:
                    continue
            raise EvaluationError("no argument of try() could be evaluated")
        if name == "can":
            try:
                value = self.eval(node.arguments[0], scope) if node.arguments else None
            except EvaluationError:
                return False
            return as_unknown(value, "not known") if isinstance(value, Unknown) else True
        arguments = [self.eval(argument, scope) for argument in node.arguments]
        if node.expand_last and arguments:
            last = arguments.pop()
            if isinstance(last, Unknown):
                return last
            if not isinstance(last, list):
                raise EvaluationError(f"{name}(...): only a list can be expanded")
            arguments.extend(last)
        if name in ("file", "templatefile", "fileexists"):
            return self.file_function(name, arguments, scope, node)
        return call_function(name, arguments, _short(node.text()))

    # -- files and templates --

    def file_function(self, name: str, arguments: list, scope: _Scope, node: syntax.Call) -> Any:
        if not arguments or not isinstance(arguments[0], str):
            if arguments and is_unknown(arguments[0]):
                return as_unknown(arguments[0], f"the path of {name}()")
            raise EvaluationError(f"{name}() needs a path")
        path = self.allowed_path(arguments[0], scope)
        if name == "fileexists":
            return os.path.isfile(path)
        text = self.read_file(path, arguments[0])
        if name == "file":
            return text
        variables = arguments[1] if len(arguments) > 1 else {}
        if is_unknown(variables):
            return as_unknown(variables, "the variables of templatefile()")
        if not isinstance(variables, dict):
            raise EvaluationError("templatefile() takes a map of variables")
        template = self.templates.get(path)
        if template is None:
            template = self.templates[path] = syntax.parse_template(text, path)
        return self.rendered(template.parts, _Scope(None, names=dict(variables)))

    def allowed_path(self, written: str, scope: _Scope) -> str:
        """The real path of a file a function names, if it lies in a directory of the configuration."""
        base = self.configuration.root
        path = os.path.realpath(os.path.join(base, written))
        if not any(os.path.commonpath([path, directory]) == directory for directory in self.allowed_directories):
            raise EvaluationError(f"{written}: only files inside the configuration's directories are read")
        return path

    def read_file(self, path: str, written: str) -> str:
        text = self.file_texts.get(path)
        if text is None:
            try:
                if os.path.getsize(path) > MAX_FILE_BYTES:
                    raise EvaluationError(f"{written} is larger than {MAX_FILE_BYTES} bytes")
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError) as error:
                raise EvaluationError(f"cannot read {written}: {getattr(error, 'strerror', None) or error}") \
                    from None
            self.file_texts[path] = text
        return text

    def render_template_file(self, instance: _DataInstance) -> Any:
        """`data.template_file.X.rendered`: the template argument rendered with its vars."""
        template = instance.argument("template") if "template" in instance.block.body.attributes else None
        if not isinstance(template, str):
            return as_unknown(template, "the template of a template_file") if template is not None else Unknown(
                f"{instance.address}.rendered (the data source has no template)")
        variables = instance.argument("vars") if "vars" in instance.block.body.attributes else {}
        if is_unknown(variables) or not isinstance(variables, dict):
            return as_unknown(variables, "the vars of a template_file")
        try:
            parsed = syntax.parse_template(template, instance.address)
            return self.rendered(parsed.parts, _Scope(None, names=dict(variables)))
        except (syntax.SyntaxProblem, EvaluationError) as error:
            return Unknown(f"{instance.address}.rendered ({error})")


_MISSING = object()


def _pairs(collection: Any) -> list | None:
    """(key, value) pairs to iterate: list index/element, map key/value in the lexical order of the keys, as
    Terraform iterates a map or object; None for anything else."""
    if isinstance(collection, list):
        return list(enumerate(collection))
    if isinstance(collection, dict):
        return sorted(collection.items(), key=lambda item: item[0])
    return None


def _condition(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    if is_unknown(value):
        return as_unknown(value, "a condition that is not known")
    if value is None:
        raise EvaluationError("a null condition")
    raise EvaluationError(f"a {type_name(value)} where a bool is required")


def _equal(left: Any, right: Any) -> Any:
    """Terraform's ==: same type and value. A reference is never null, and is an id, ARN or name that
    differs from a literal word such as "self"."""
    for one, other in ((left, right), (right, left)):
        if isinstance(one, ResourceRef):
            if other is None:
                return False
            if isinstance(other, str) and other and not any(c in other for c in ":-/.") and one.attribute in (
                    "id", "arn"):
                return False
    if (left is None) != (right is None) and not any(isinstance(v, (Unknown, Lazy)) for v in (left, right)):
        return False  # a collection is never null, whatever it holds
    unknown = first_unknown([left, right])
    if unknown is not None:
        return as_unknown(unknown, "a comparison with a value that is not known")
    if type_name(left) != type_name(right):
        return False
    return left == right


def _operand(value: Any, operator: str) -> Any:
    if isinstance(value, bool):
        raise EvaluationError(f"a bool where a number is required by {operator}")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise EvaluationError(f"{value!r} is not a number ({operator})") from None
        return int(number) if number.is_integer() else number
    raise EvaluationError(f"a {type_name(value)} where a number is required by {operator}")


def _indexed(target: Any, key: Any) -> Any:
    if isinstance(target, Unknown):
        return target
    if is_unknown(key):
        return as_unknown(key, "an index that is not known")
    if isinstance(target, list):
        try:
            position = int(key) if not isinstance(key, bool) else None
        except (TypeError, ValueError):
            position = None
        if position is None or not 0 <= position < len(target):
            raise EvaluationError(f"index {key!r} out of range (the list has {len(target)} elements)")
        return target[position]
    if isinstance(target, dict):
        text = to_text(key)
        if text not in target:
            raise EvaluationError(f"no key {text!r}")
        return target[text]
    if isinstance(target, (ResourceRef, Interpolated, JsonOf, Lazy)):
        return as_unknown(target, "indexed")
    if target is None:
        raise EvaluationError("index of null")
    raise EvaluationError(f"a {type_name(target)} cannot be indexed")


def _converted_primitive(value: Any, name: str) -> Any:
    if name in ("any", "dynamic") or is_unknown(value):
        return value
    if name == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, (bool, int, float)):
            return to_text(value)
    elif name == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _operand(value, "a number type")
    elif name == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
    else:
        return value
    raise EvaluationError(f"a {type_name(value)} where a {name} is required")


def _distinct(items: list) -> list:
    found: list = []
    for item in items:
        if item not in found:
            found.append(item)
    return found
