"""Resolve CloudFormation intrinsic functions to the values a deployment would see, or say why not."""

from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable

from policies.values import ResourceRef, Unknown, malformed, shown

NO_VALUE = object()  # AWS::NoValue: the property or list item disappears
MAX_DEPTH = 64
# Fn::Sub and Fn::Join can double a string per nesting level: a few lines could ask for terabytes.
# CloudFormation templates are at most 1 MB, so no real resolved string comes near this.
MAX_TEXT = 1_000_000
MAX_CIDR_COUNT = 256  # CloudFormation's limit on Fn::Cidr's count

_ID_ATTRIBUTES = {"GroupId", "Arn", "TargetGroupArn", "LoadBalancerArn", "ListenerArn", "TaskDefinitionArn",
                  "PrefixListId"}
NESTED_STACK = "AWS::CloudFormation::Stack"
_CIDR_ATTRIBUTES = {("AWS::EC2::VPC", "CidrBlock"), ("AWS::EC2::Subnet", "CidrBlock")}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_INDEX_TEXT = re.compile(r"[0-9]{1,6}")
_RESOLVING = object()  # marks a CIDR block being resolved, to tell a circular GetAtt


NOT_GIVEN = object()  # a stack's scope gives no value for a parameter: its Default applies


@dataclass(frozen=True, repr=False)
class Joined(Unknown):
    """`Fn::Join` of resources' physical ids, e.g. a nested stack's output `!Join [",", [!Ref A, !Ref B]]`: a
    string known only at deploy time, whose items a `List<>` parameter or `Fn::Split` gets back."""

    delimiter: str = ","
    items: tuple = ()


class Resolver:
    """Evaluates intrinsics for one deployment: parameter defaults and one truth value per condition.

    `scope` joins the template to the other stacks of its application (policies.application.scopes): the
    values its parent stack or a deployment description gives its parameters, its stack name, the outputs of
    its nested stacks, the exports it imports, and the ids of its resources in the application. Without one, a
    template stands alone: those values are unknown.
    """

    def __init__(self, template: dict, conditions: dict | None = None, parameter_defaults: bool = True,
                 scope: Any = None) -> None:
        self.template = template
        self.conditions = conditions if conditions is not None else {}
        self.parameter_defaults = parameter_defaults
        self.scope = scope
        self.resources = _mapping(template.get("Resources"))
        self.parameters = _mapping(template.get("Parameters"))
        self.mappings = _mapping(template.get("Mappings"))
        # Resource -> its resolved CidrBlock: resolved once however many GetAtts ask, so that resources
        # whose CIDRs are built from each other's cost linear time, and a circle is told apart.
        self._cidr_blocks: dict = {}

    def resolve(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return malformed("intrinsic functions nested too deeply")
        if isinstance(value, str):
            return Unknown(f"dynamic reference {value}") if "{{resolve:" in value else value
        if isinstance(value, list):
            items = (self.resolve(item, depth + 1) for item in value)
            return [item for item in items if item is not NO_VALUE]
        if isinstance(value, dict):
            if len(value) == 1:
                (name, argument), = value.items()
                handler = _HANDLERS.get(name) if isinstance(name, str) else None
                if handler is not None:
                    return handler(self, argument, depth + 1)
            resolved = {key: self.resolve(item, depth + 1) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        return value

    def text(self, value: Any) -> tuple:
        """A string built by Fn::Sub, Fn::Join or Fn::Base64 (or any value) as its pieces, in order: literal text
        and `Spliced` values. `resolve` gives up on the whole string as soon as one piece is a resource or known
        only at deploy time; this keeps the pieces, so that `echo ECS_CLUSTER=${Cluster} >> ...` still says
        which cluster, whatever else the string holds (`${AWS::Region}`). Adjacent literals are merged, empty ones
        dropped; AWS::NoValue is no text (an empty tuple)."""
        try:
            pieces = _TextReader(self).read(value, 0)
        except _TextTooLong:
            return (Spliced(malformed(f"{shown(value)} makes a string of more than {MAX_TEXT} characters"), False),)
        return _merged(pieces or [])

    def picked(self, value: Any) -> Any:
        """The operand Fn::If, or Fn::Select of a list written out, picks in `value` (through any number of
        them), unresolved: resolving it gives what resolving `value` gives, and its own functions stay
        readable (by Resolver.text, or one property at a time). `value` itself when it is neither."""
        for _ in range(MAX_DEPTH):
            if not (isinstance(value, dict) and len(value) == 1):
                return value
            (name, argument), = value.items()
            if name == "Fn::If" and isinstance(argument, list) and len(argument) == 3 and _hashable(argument[0]) \
                    and argument[0] in self.conditions:
                value = argument[1] if self.conditions[argument[0]] else argument[2]
            elif name == "Fn::Select" and isinstance(argument, list) and len(argument) == 2 and isinstance(
                    argument[1], list):
                index, items = self.resolve(argument[0]), argument[1]
                if isinstance(index, str) and _INDEX_TEXT.fullmatch(index):
                    index = int(index)
                # An item that may be AWS::NoValue leaves the list when resolved, moving the ones after it.
                if isinstance(index, bool) or not (isinstance(index, int) and 0 <= index < len(items)) or any(
                        isinstance(item, dict) for item in items[:index]):
                    return value
                value = items[index]
            else:
                return value
        return value

    def parameter(self, name: str) -> Any:
        declaration = self.parameters[name]
        if not isinstance(declaration, dict):
            return malformed(f"parameter {name} is malformed")
        kind = str(declaration.get("Type", ""))
        if kind.startswith("AWS::SSM::Parameter"):
            return Unknown(f"parameter {name}{self._of_stack()} is read from SSM at deploy time")
        given = self.scope.parameter(name) if self.scope is not None else NOT_GIVEN
        if given is NOT_GIVEN:
            if not self.parameter_defaults:
                return Unknown(f"parameter {name}{self._of_stack()} is chosen at deploy time")
            if "Default" not in declaration:
                return Unknown(f"parameter {name}{self._of_stack()} has no Default")
            given = declaration["Default"]
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            return _as_list_parameter(given)
        return given

    def _of_stack(self) -> str:
        """" of stack X" in an application of several stacks, where parameters of different stacks share names."""
        label = self.scope.label if self.scope is not None else ""
        return f" of stack {label}" if label else ""

    def resource_id(self, logical_id: str) -> str:
        """The id of one of the template's resources in its application."""
        return self.scope.qualify(logical_id) if self.scope is not None else logical_id

    def _ref(self, name: Any, depth: int) -> Any:
        name = self.resolve(name, depth)
        if not isinstance(name, str):
            return name if isinstance(name, Unknown) else malformed(f"Ref to {shown(name)}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::StackName" and self.scope is not None:
            return self.scope.stack_name()
        if name.startswith("AWS::"):
            return Unknown(f"{name} is known only at deploy time")
        if name in self.parameters:
            return self.parameter(name)
        if name in self.resources:
            return ResourceRef(self.resource_id(name))
        return malformed(f"Ref to {shown(name)}, which the template does not define")

    def _get_att(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if isinstance(argument, Unknown):
            return argument
        if not (isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument)):
            return malformed(f"Fn::GetAtt {shown(argument)} is malformed")
        resource, attribute = argument
        if resource not in self.resources:
            return malformed(f"Fn::GetAtt to {shown(resource)}, which the template does not define")
        declaration = self.resources[resource]
        kind = declaration.get("Type") if isinstance(declaration, dict) else None
        if isinstance(kind, str) and (kind, attribute) in _CIDR_ATTRIBUTES:
            return self._cidr_block(resource, attribute, depth)
        if kind == NESTED_STACK and attribute.startswith("Outputs."):
            output = attribute[len("Outputs."):]
            if self.scope is not None:
                return self.scope.nested_output(resource, output)
            return Unknown(f"output {output} of nested stack {resource}, whose template is not scanned with it")
        return ResourceRef(self.resource_id(resource), None if attribute in _ID_ATTRIBUTES else attribute)

    def _cidr_block(self, resource: str, attribute: str, depth: int) -> Any:
        if resource in self._cidr_blocks:
            known = self._cidr_blocks[resource]
            return malformed(f"the CidrBlock of {resource} is built from itself") if known is _RESOLVING else known
        self._cidr_blocks[resource] = _RESOLVING
        properties = self.resources[resource].get("Properties")
        if isinstance(properties, dict) and "CidrBlock" in properties:
            known = self.resolve(properties["CidrBlock"], depth)
        else:
            known = Unknown(f"{resource}.{attribute} is assigned at deploy time")
        self._cidr_blocks[resource] = known
        return known

    def _sub(self, argument: Any, depth: int) -> Any:
        variables: dict = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument[0], argument[1]
        if not isinstance(argument, str):
            return malformed(f"Fn::Sub {shown(argument)} is malformed")
        if "{{resolve:" in argument:
            return Unknown(f"dynamic reference {argument}")
        values: dict = {}  # each variable resolved once, however often the string names it
        pieces, position, length = [], 0, 0
        for match in _SUB_VARIABLE.finditer(argument):
            pieces.append(argument[position:match.start()])
            position = match.end()
            name = match.group(1)
            if name.startswith("!"):
                pieces.append("${" + name[1:] + "}")
                continue
            if name not in values:
                values[name] = self._sub_variable(name, variables, depth)
            value = values[name]
            if match.group(0) == argument and isinstance(value, ResourceRef):
                return value
            if isinstance(value, Unknown):
                return value
            if isinstance(value, ResourceRef):  # the physical id of a resource, named at deploy time
                return Unknown(f"Fn::Sub of ${{{name}}} in {argument!r}")
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return malformed(f"Fn::Sub of ${{{name}}} ({shown(value)}) in {shown(argument)}")
            pieces.append(str(value))
            length += len(pieces[-1])
            if length > MAX_TEXT:
                return malformed(f"Fn::Sub {shown(argument)} makes a string of more than {MAX_TEXT} characters")
        pieces.append(argument[position:])
        return "".join(pieces)

    def _sub_variable(self, name: str, variables: dict, depth: int) -> Any:
        if name in variables:
            return self.resolve(variables[name], depth)
        if "." in name:
            return self._get_att(name, depth)
        return self._ref(name, depth)

    def _if(self, argument: Any, depth: int) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            return malformed(f"Fn::If {shown(argument)} is malformed")
        condition, when_true, when_false = argument
        if condition not in self.conditions:
            return malformed(f"Fn::If on condition {shown(condition)}, which the template does not define")
        return self.resolve(when_true if self.conditions[condition] else when_false, depth)

    def _select(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 2):
            return _unreadable(argument, f"Fn::Select {shown(argument)} is malformed")
        index, items = argument
        if isinstance(items, Unknown) or isinstance(index, Unknown):
            return items if isinstance(items, Unknown) else index
        if isinstance(index, str) and _INDEX_TEXT.fullmatch(index):
            index = int(index)
        if isinstance(items, Joined) and isinstance(index, int) and 0 <= index < len(items.items):
            return items.items[index]
        in_range = isinstance(index, int) and isinstance(items, list) and 0 <= index < len(items)
        if isinstance(index, bool) or not in_range:
            return malformed(f"Fn::Select index {shown(index)} outside {shown(items)}")
        return items[index]

    def _join(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list)):
            return _unreadable(argument, f"Fn::Join {shown(argument)} is malformed")
        delimiter, items = argument
        unknown = next((item for item in [delimiter, *items] if isinstance(item, Unknown)), None)
        if unknown:
            return unknown
        if isinstance(delimiter, str) and any(isinstance(item, ResourceRef) for item in items) and all(
                isinstance(item, (str, ResourceRef)) for item in items):
            return Joined(f"Fn::Join of {', '.join(map(str, items))}", delimiter=delimiter, items=tuple(items))
        if not all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in [delimiter, *items]):
            return malformed(f"Fn::Join of {shown(items)}")
        texts = [str(item) for item in items]
        if sum(map(len, texts)) + len(str(delimiter)) * len(texts) > MAX_TEXT:
            return malformed(f"Fn::Join makes a string of more than {MAX_TEXT} characters")
        return str(delimiter).join(texts)

    def _split(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 2):
            return _unreadable(argument, f"Fn::Split {shown(argument)} is malformed")
        delimiter, text = argument
        if isinstance(text, Joined) and delimiter == text.delimiter:
            return list(text.items)
        if isinstance(text, Unknown):
            return text
        if not (isinstance(delimiter, str) and delimiter and isinstance(text, str)):
            return malformed(f"Fn::Split {shown(argument)} is malformed")
        return text.split(delimiter)

    def _find_in_map(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 3):
            return _unreadable(argument, f"Fn::FindInMap {shown(argument)} is malformed")
        unknown = next((key for key in argument if isinstance(key, Unknown)), None)
        if unknown:
            return unknown
        node: Any = self.mappings
        for key in argument:
            if not isinstance(node, dict) or not _hashable(key) or key not in node:
                return malformed(f"Fn::FindInMap {shown(argument)}: no such entry")
            node = node[key]
        # Mappings hold literals only (CloudFormation allows no function there): returning the entry
        # unresolved also keeps an entry from expanding into itself.
        if not _is_literal(node):
            return malformed(f"Fn::FindInMap {shown(argument)} finds {shown(node)}, not a value")
        return node

    def _cidr(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        try:
            block, count, bits = argument
            if not (isinstance(block, str) and 0 < int(count) <= MAX_CIDR_COUNT):
                raise ValueError(argument)
            network = ipaddress.ip_network(block, strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = itertools.islice(network.subnets(new_prefix=prefix), int(count))
            return [str(subnet) for subnet in subnets]
        except (TypeError, ValueError):
            return _unreadable(argument, f"Fn::Cidr {shown(argument)}")

    def _import_value(self, argument: Any, depth: int) -> Any:
        name = self.resolve(argument, depth)
        if isinstance(name, Unknown) and name.malformed:
            return name
        if not isinstance(name, (str, Unknown)):
            return malformed(f"Fn::ImportValue {shown(name)} is malformed")
        if self.scope is not None:
            return self.scope.imported(argument)
        return Unknown(f"Fn::ImportValue {name}")

    def _length(self, argument: Any, depth: int) -> Any:
        items = self.resolve(argument, depth)
        if isinstance(items, list):
            return len(items)
        return _unreadable(items, f"Fn::Length of {shown(items)}")

    def _base64(self, argument: Any, depth: int) -> Any:
        return self.resolve(argument, depth)



@dataclass(frozen=True, repr=False)
class Spliced:
    """A value Fn::Sub or Fn::Join splices into a string, kept whole (see Resolver.text)."""

    value: Any  # ResourceRef (a resource's name, id or attribute) or Unknown
    # True when it stands for one word: a resource's name, id or attribute, or a pseudo parameter. False when it
    # may be any text, lines and all: a parameter without Default, an import, a value the template gets wrong.
    word: bool


class _TextTooLong(Exception):
    """A string built by Fn::Sub and Fn::Join would exceed MAX_TEXT characters."""


class _TextReader:
    """Resolver.text's walk: each function returns its pieces (None for AWS::NoValue). Every piece is charged
    against MAX_TEXT characters (a Spliced counts one) where it is made, and again each time an Fn::Sub
    variable's value is repeated: nesting cannot make a string that doubles at each level."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.room = MAX_TEXT

    def read(self, value: Any, depth: int) -> list | None:
        if depth > MAX_DEPTH:
            return self.charged([Spliced(malformed("intrinsic functions nested too deeply"), False)])
        if isinstance(value, str):
            return self.resolved(self.resolver.resolve(value, depth))
        value = self.resolver.picked(value)
        if isinstance(value, dict) and len(value) == 1:
            (name, argument), = value.items()
            if name == "Fn::Base64":
                return self.read(argument, depth + 1)
            if name == "Fn::Sub":
                return self.sub(argument, depth + 1)
            if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
                return self.join(*argument, depth + 1)
            if name == "Ref" and isinstance(argument, str) and _is_pseudo_parameter(argument):
                return self.charged([Spliced(self.resolver._ref(argument, depth + 1), True)])
        return self.resolved(self.resolver.resolve(value, depth))

    def variable(self, name: str, depth: int) -> list | None:
        """`${name}` in an Fn::Sub that gives it no value."""
        if _is_pseudo_parameter(name):
            return self.charged([Spliced(self.resolver._ref(name, depth), True)])
        return self.resolved(self.resolver._sub_variable(name, {}, depth))

    def resolved(self, value: Any) -> list | None:
        if value is NO_VALUE:
            return None
        if isinstance(value, str):
            return self.charged([value])
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.charged([str(value)])
        if isinstance(value, ResourceRef):
            return self.charged([Spliced(value, True)])
        if isinstance(value, Unknown):
            return self.charged([Spliced(value, False)])
        return self.charged([Spliced(malformed(f"{shown(value)} is not text"), False)])

    def sub(self, argument: Any, depth: int) -> list:
        variables: dict = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument
        if not isinstance(argument, str) or "{{resolve:" in argument:
            return self.resolved(self.resolver._sub(argument, depth))
        values: dict = {}  # each variable read once, however often the string names it
        pieces: list = []
        position = 0
        for match in _SUB_VARIABLE.finditer(argument):
            pieces += self.charged([argument[position:match.start()]])
            position, name = match.end(), match.group(1)
            if name.startswith("!"):
                pieces += self.charged(["${" + name[1:] + "}"])
            elif name in values:
                pieces += self.charged(values[name])
            else:
                value = self.read(variables[name], depth) if name in variables else self.variable(name, depth)
                values[name] = value if value is not None else self.charged([Spliced(
                    malformed(f"Fn::Sub of ${{{name}}}, which is AWS::NoValue, in {shown(argument)}"), False)])
                pieces += values[name]
        return pieces + self.charged([argument[position:]])

    def join(self, delimiter: Any, items: Any, depth: int) -> list:
        delimiter = self.resolver.resolve(delimiter, depth)
        if not isinstance(delimiter, str):
            return self.resolved(self.resolver._join([delimiter, items], depth))
        if isinstance(items, list):
            parts = [self.read(item, depth) for item in items]
        else:  # a list built by a function (Fn::Split, a List parameter): its items are values, not functions
            values = self.resolver.resolve(items, depth)
            if not isinstance(values, list):
                return self.resolved(self.resolver._join([delimiter, values], depth))
            parts = [self.resolved(value) for value in values]
        pieces: list = []
        for index, part in enumerate(part for part in parts if part is not None):
            pieces += (self.charged([delimiter]) if index else []) + part
        return pieces

    def charged(self, pieces: list) -> list:
        """`pieces`, their length charged against MAX_TEXT."""
        self.room -= sum(len(piece) if isinstance(piece, str) else 1 for piece in pieces)
        if self.room < 0:
            raise _TextTooLong
        return pieces


def _is_pseudo_parameter(name: str) -> bool:
    return name.startswith("AWS::") and name != "AWS::NoValue"


def _merged(pieces: list) -> tuple:
    """Adjacent literal pieces as one string, without empty strings."""
    merged: list = []
    for is_literal, run in itertools.groupby(pieces, key=lambda piece: isinstance(piece, str)):
        merged.extend(["".join(run)] if is_literal else run)
    return tuple(piece for piece in merged if piece != "")


def _computed_at_deploy_time(function: str) -> Callable:
    def handler(resolver: Resolver, argument: Any, depth: int) -> Unknown:
        # The reason names the whole call: two Unknowns with one reason are one value (values.same_value).
        return Unknown(f"{function} {argument!r} is computed at deploy time")

    return handler

_HANDLERS = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::If": Resolver._if,
    "Fn::Select": Resolver._select,
    "Fn::Join": Resolver._join,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::Cidr": Resolver._cidr,
    "Fn::ImportValue": Resolver._import_value,
    "Fn::Length": Resolver._length,
    "Fn::Base64": Resolver._base64,
    "Fn::GetAZs": _computed_at_deploy_time("Fn::GetAZs"),
    "Fn::Transform": _computed_at_deploy_time("Fn::Transform"),
    "Fn::ToJsonString": _computed_at_deploy_time("Fn::ToJsonString"),
}


def _as_list_parameter(value: Any) -> Any:
    """A `List<>` or CommaDelimitedList parameter's value: a comma-separated string split, a list kept, and the
    items of a joined list of resources (a nested stack's output) given back."""
    if isinstance(value, Joined) and value.delimiter == ",":
        return list(value.items)
    if isinstance(value, (list, Unknown)):
        return value
    return [item.strip() for item in str(value).split(",")]


def _unreadable(argument: Any, reason: str) -> Unknown:
    """Why a function's resolved argument cannot be used: its own reason if it is unknown, else `reason`."""
    return argument if isinstance(argument, Unknown) else malformed(reason)


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _hashable(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _is_literal(value: Any) -> bool:
    """A scalar, or a list of scalars: what a Mappings entry may hold."""
    items = value if isinstance(value, list) else [value]
    return not any(isinstance(item, (dict, list)) for item in items)
