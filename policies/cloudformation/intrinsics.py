"""Resolve CloudFormation intrinsic functions to the values a deployment would see, or say why not."""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from typing import Any

from policies.values import ResourceRef, Unknown

NO_VALUE = object()  # AWS::NoValue: the property or list item disappears
MAX_DEPTH = 64
MAX_FREE_CONDITIONS = 6  # 2**6 deployments to evaluate; beyond that only the default one is

_ID_ATTRIBUTES = {"GroupId", "Arn", "TargetGroupArn", "LoadBalancerArn", "ListenerArn", "TaskDefinitionArn"}
_CIDR_ATTRIBUTES = {("AWS::EC2::VPC", "CidrBlock"), ("AWS::EC2::Subnet", "CidrBlock")}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates intrinsics for one deployment: parameter defaults and one truth value per condition."""

    def __init__(self, template: dict, conditions: dict | None = None, parameter_defaults: bool = True) -> None:
        self.template = template
        self.conditions = conditions or {}
        self.parameter_defaults = parameter_defaults
        self.resources = _mapping(template.get("Resources"))
        self.parameters = _mapping(template.get("Parameters"))
        self.mappings = _mapping(template.get("Mappings"))

    def resolve(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return Unknown("intrinsic functions nested too deeply")
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

    def parameter(self, name: str) -> Any:
        declaration = self.parameters[name]
        if not isinstance(declaration, dict):
            return Unknown(f"parameter {name} is malformed")
        kind = str(declaration.get("Type", ""))
        if kind.startswith("AWS::SSM::Parameter"):
            return Unknown(f"parameter {name} is read from SSM at deploy time")
        if not self.parameter_defaults:
            return Unknown(f"parameter {name} is chosen at deploy time")
        if "Default" not in declaration:
            return Unknown(f"parameter {name} has no Default")
        default = declaration["Default"]
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            return [item.strip() for item in str(default).split(",")]
        return default

    def _ref(self, name: Any, depth: int) -> Any:
        name = self.resolve(name, depth)
        if not isinstance(name, str):
            return Unknown(f"Ref to {name!r}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name.startswith("AWS::"):
            return Unknown(f"{name} is known only at deploy time")
        if name in self.parameters:
            return self.parameter(name)
        if name in self.resources:
            return ResourceRef(name)
        return Unknown(f"Ref to {name}, which the template does not define")

    def _get_att(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument)):
            return Unknown(f"Fn::GetAtt {argument!r} is malformed")
        resource, attribute = argument
        if resource not in self.resources:
            return Unknown(f"Fn::GetAtt to {resource}, which the template does not define")
        declaration = self.resources[resource]
        kind = declaration.get("Type") if isinstance(declaration, dict) else None
        if (kind, attribute) in _CIDR_ATTRIBUTES:
            properties = declaration.get("Properties")
            if isinstance(properties, dict) and "CidrBlock" in properties:
                return self.resolve(properties["CidrBlock"], depth)
            return Unknown(f"{resource}.{attribute} is assigned at deploy time")
        return ResourceRef(resource, None if attribute in _ID_ATTRIBUTES else attribute)

    def _sub(self, argument: Any, depth: int) -> Any:
        variables: dict = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument[0], argument[1]
        if not isinstance(argument, str):
            return Unknown(f"Fn::Sub {argument!r} is malformed")
        if "{{resolve:" in argument:
            return Unknown(f"dynamic reference {argument}")
        pieces, position = [], 0
        for match in _SUB_VARIABLE.finditer(argument):
            pieces.append(argument[position:match.start()])
            position = match.end()
            name = match.group(1)
            if name.startswith("!"):
                pieces.append("${" + name[1:] + "}")
                continue
            if name in variables:
                value = self.resolve(variables[name], depth)
            elif "." in name:
                value = self._get_att(name, depth)
            else:
                value = self._ref(name, depth)
            if match.group(0) == argument and isinstance(value, ResourceRef):
                return value
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return value if isinstance(value, Unknown) else Unknown(f"Fn::Sub of ${{{name}}} in {argument!r}")
            pieces.append(str(value))
        pieces.append(argument[position:])
        return "".join(pieces)

    def _if(self, argument: Any, depth: int) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            return Unknown(f"Fn::If {argument!r} is malformed")
        condition, when_true, when_false = argument
        if condition not in self.conditions:
            return Unknown(f"Fn::If on condition {condition}, which the template does not define")
        return self.resolve(when_true if self.conditions[condition] else when_false, depth)

    def _select(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 2):
            return argument if isinstance(argument, Unknown) else Unknown(f"Fn::Select {argument!r} is malformed")
        index, items = argument
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if isinstance(items, Unknown) or isinstance(index, Unknown):
            return items if isinstance(items, Unknown) else index
        if not (isinstance(index, int) and isinstance(items, list) and 0 <= index < len(items)):
            return Unknown(f"Fn::Select index {index!r} outside {items!r}")
        return items[index]

    def _join(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list)):
            return Unknown(f"Fn::Join {argument!r} is malformed")
        delimiter, items = argument
        unknown = next((item for item in [delimiter, *items] if isinstance(item, Unknown)), None)
        if unknown:
            return unknown
        if not all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in [delimiter, *items]):
            return Unknown(f"Fn::Join of {items!r}")
        return str(delimiter).join(str(item) for item in items)

    def _split(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 2):
            return Unknown(f"Fn::Split {argument!r} is malformed")
        delimiter, text = argument
        if isinstance(text, Unknown):
            return text
        if not (isinstance(delimiter, str) and isinstance(text, str)):
            return Unknown(f"Fn::Split {argument!r} is malformed")
        return text.split(delimiter)

    def _find_in_map(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        if not (isinstance(argument, list) and len(argument) == 3):
            return Unknown(f"Fn::FindInMap {argument!r} is malformed")
        unknown = next((key for key in argument if isinstance(key, Unknown)), None)
        if unknown:
            return unknown
        node: Any = self.mappings
        for key in argument:
            if not isinstance(node, dict) or key not in node:
                return Unknown(f"Fn::FindInMap {argument!r}: no such entry")
            node = node[key]
        return self.resolve(node, depth)

    def _cidr(self, argument: Any, depth: int) -> Any:
        argument = self.resolve(argument, depth)
        try:
            block, count, bits = argument
            network = ipaddress.ip_network(block, strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = itertools.islice(network.subnets(new_prefix=prefix), int(count))
            return [str(subnet) for subnet in subnets]
        except (TypeError, ValueError):
            return argument if isinstance(argument, Unknown) else Unknown(f"Fn::Cidr {argument!r}")

    def _import_value(self, argument: Any, depth: int) -> Unknown:
        name = self.resolve(argument, depth)
        return Unknown(f"Fn::ImportValue {name if isinstance(name, str) else '(computed name)'}")

    def _length(self, argument: Any, depth: int) -> Any:
        items = self.resolve(argument, depth)
        return len(items) if isinstance(items, list) else Unknown(f"Fn::Length of {items!r}")

    def _base64(self, argument: Any, depth: int) -> Any:
        return self.resolve(argument, depth)

    def _deploy_time(self, argument: Any, depth: int) -> Unknown:
        return Unknown("a value computed at deploy time (Fn::GetAZs, Fn::Transform, Fn::ToJsonString)")


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
    "Fn::GetAZs": Resolver._deploy_time,
    "Fn::Transform": Resolver._deploy_time,
    "Fn::ToJsonString": Resolver._deploy_time,
}


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class Deployments:
    """The truth values the template's Conditions can take together.

    Each `Fn::Equals` whose sides depend on a parameter or a pseudo-parameter is a free choice made at
    deploy time; conditions built from the same comparison move together. Enumerating those choices
    gives every combination of Fn::If branches the template allows.
    """

    def __init__(self, template: dict) -> None:
        self.definitions = _mapping(template.get("Conditions"))
        self._deploy_time = Resolver(template, parameter_defaults=False)
        self._defaults = Resolver(template)
        self._choices: dict = {}  # canonical Fn::Equals -> index of its free choice
        self._constants: dict = {}
        for name in self.definitions:
            self._collect(self.definitions[name], set())
        self.exhaustive = len(self._choices) <= MAX_FREE_CONDITIONS

    def scenarios(self) -> list:
        """Every distinct {condition: bool} the template allows (only the default one if too many)."""
        if not self.exhaustive:
            return [self._evaluate_all(None)]
        seen, result = set(), []
        for choice in itertools.product((True, False), repeat=len(self._choices)):
            scenario = self._evaluate_all(choice)
            signature = tuple(sorted(scenario.items()))
            if signature not in seen:
                seen.add(signature)
                result.append(scenario)
        return result

    def _evaluate_all(self, choice: tuple | None) -> dict:
        return {name: self._evaluate(self.definitions[name], choice, set()) for name in self.definitions}

    def _collect(self, expression: Any, visiting: set) -> None:
        if not isinstance(expression, dict) or len(expression) != 1:
            return
        (function, argument), = expression.items()
        if function == "Fn::Equals":
            key = _canonical(argument)
            if key not in self._constants and key not in self._choices:
                constant = self._compare(self._deploy_time, argument)
                if isinstance(constant, bool):
                    self._constants[key] = constant
                else:
                    self._choices[key] = len(self._choices)
        elif function in ("Fn::And", "Fn::Or", "Fn::Not") and isinstance(argument, list):
            for item in argument:
                self._collect(item, visiting)
        elif function == "Condition" and isinstance(argument, str) and argument not in visiting:
            visiting.add(argument)
            self._collect(self.definitions.get(argument), visiting)

    def _evaluate(self, expression: Any, choice: tuple | None, visiting: set) -> bool:
        if not isinstance(expression, dict) or len(expression) != 1:
            return False
        (function, argument), = expression.items()
        if function == "Fn::Equals":
            key = _canonical(argument)
            if key in self._constants:
                return self._constants[key]
            if choice is None:
                return self._compare(self._defaults, argument) is True
            return choice[self._choices[key]]
        if function == "Condition":
            if not isinstance(argument, str) or argument in visiting or argument not in self.definitions:
                return False
            return self._evaluate(self.definitions[argument], choice, visiting | {argument})
        if not isinstance(argument, list):
            return False
        values = [self._evaluate(item, choice, visiting) for item in argument]
        if function == "Fn::And":
            return all(values)
        if function == "Fn::Or":
            return any(values)
        if function == "Fn::Not":
            return not values[0] if values else False
        return False

    @staticmethod
    def _compare(resolver: Resolver, argument: Any) -> bool | None:
        if not (isinstance(argument, list) and len(argument) == 2):
            return None
        left, right = (resolver.resolve(side) for side in argument)
        if any(isinstance(side, (Unknown, ResourceRef)) for side in (left, right)):
            return None
        return str(left) == str(right)


def _canonical(expression: Any) -> str:
    return json.dumps(expression, sort_keys=True, default=str)
