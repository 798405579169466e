"""`terraform show -json <plan>` -> resource dicts (see resources.py).

A plan's planned values are resolved: variables, locals, modules, count and for_each are done. What is
left are values known only after apply (`after_unknown` in resource_changes), chiefly the ids and ARNs
of resources the plan creates: `security_groups = [aws_security_group.alb.id]` has no value yet. The
`configuration` section says what such a value refers to (module-relative, through module variables and
outputs); it is rebuilt here as an absolute reference. Ids already known (resources that exist) are
mapped back to the addresses of the resources that have them.

Blocks of a set (inline security group rules) are not in configuration order in the plan: each planned
block is paired with the configuration block whose constant arguments it matches. An unknown value the
configuration does not set is the provider's to compute (an aws_security_group without egress blocks
plans `egress` as unknown, and gets none): it is left out. An existing group's `ingress`/`egress` the
configuration does not set mirror AWS, standalone rules included, as they were before the plan: they are
left out too, the standalone rule resources speak for themselves.
"""

from __future__ import annotations

import json
import re
from typing import Any

from policies.terraform.resources import (
    in_scope,
    instance_key,
    scopes_outward,
    split_address,
    unknown_marker,
    without_instance_key,
)

MAX_DEPTH = 16
# Attributes of the resources the rules read whose value is a list, even when it holds one reference.
LIST_ATTRIBUTES = {"security_groups", "subnets", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids",
                   "requires_compatibilities"}
_IDENTITY_ATTRIBUTES = ("id", "arn")
# Computed attributes that mirror the cloud rather than the configuration when it does not set them: an
# existing group's `ingress` lists the rules of standalone rule resources too, as they were before the plan.
_STATE_ONLY = {"aws_security_group": ("ingress", "egress")}
# Only ARNs and EC2-style ids ("sg-0a1b...") are taken for references: a task definition's id is its
# family, which may well equal a container name.
_AWS_IDENTITY = re.compile(r"^(?:arn:|[a-z]+-[0-9a-f]{8,17}$)")
_AUXILIARY_REFERENCES = ("count.", "each.", "path.", "terraform.", "self.")


class PlanError(ValueError):
    """The document is not a Terraform JSON plan."""


def resources_from_plan(plan: Any, source: str) -> list:
    """One resource dict per managed resource instance the plan leaves in place or creates."""
    if not isinstance(plan, dict) or not isinstance(plan.get("planned_values"), dict):
        raise PlanError(f"{source}: not a Terraform JSON plan (no planned_values)")
    return _Plan(plan, source).resources()


def load_plan_file(path: str) -> list:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            plan = json.load(handle)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise PlanError(f"{path}: cannot read a JSON plan: {error}") from error
    return resources_from_plan(plan, path)


class _Plan:
    def __init__(self, plan: dict, source: str) -> None:
        self.plan, self.source = plan, source
        self.planned = []
        _collect(plan["planned_values"].get("root_module"), self.planned)
        self.addresses = {resource["address"] for resource in self.planned}
        self.instances: dict = {}
        for address in self.addresses:
            self.instances.setdefault(without_instance_key(address), []).append(address)
        self.after_unknown = {
            change.get("address"): (change.get("change") or {}).get("after_unknown")
            for change in plan.get("resource_changes") or () if isinstance(change, dict)
        }
        self.owner_of_identity = {}
        for resource in self.planned:
            for attribute in _IDENTITY_ATTRIBUTES:
                value = (resource.get("values") or {}).get(attribute)
                if isinstance(value, str) and _AWS_IDENTITY.match(value):
                    self.owner_of_identity[value] = f"{resource['address']}.{attribute}"
        configuration = plan.get("configuration") or {}
        self.root_configuration = configuration.get("root_module") or {}

    def resources(self) -> list:
        return [self.resource(resource) for resource in self.planned]

    def resource(self, planned: dict) -> dict:
        address = planned["address"]
        values = _replace_identities(planned.get("values") or {}, self.owner_of_identity, own=address)
        context = _Context(self, address)
        expressions = context.expressions()
        unknown = self.after_unknown.get(address)
        if isinstance(unknown, dict):
            context.fill(values, unknown, expressions, address)
        if expressions is not None:
            for name in _STATE_ONLY.get(planned.get("type"), ()):
                if name not in expressions:
                    values.pop(name, None)
        return {"address": address, "type": planned.get("type"), "attributes": values, "file": self.source,
                "start_line": None, "end_line": None, "root": self.source}

    def module_configuration(self, module: str) -> dict | None:
        """The configuration of the module at instance path `module` ("" is the root)."""
        configuration = self.root_configuration
        for step in filter(None, module.split("module.")):
            name = without_instance_key(step.rstrip("."))
            call = (configuration.get("module_calls") or {}).get(name) or {}
            configuration = call.get("module")
            if not isinstance(configuration, dict):
                return None
        return configuration

    def module_call(self, module: str) -> dict:
        """The call of the module at instance path `module`, as its parent's configuration writes it."""
        parent = scopes_outward(module)[1]
        name = without_instance_key(module[len(parent):].lstrip(".").removeprefix("module."))
        return ((self.module_configuration(parent) or {}).get("module_calls") or {}).get(name) or {}


class _Context:
    """Rebuilds one resource's unknown values from its configuration."""

    def __init__(self, plan: _Plan, address: str) -> None:
        self.plan, self.address = plan, address
        self.module, self.local = split_address(address)

    def expressions(self) -> dict | None:
        """The resource's configuration expressions; None when the plan does not have them."""
        configuration = self.plan.module_configuration(self.module) or {}
        name = without_instance_key(self.local)
        for resource in configuration.get("resources") or ():
            if resource.get("address") == name and resource.get("mode", "managed") == "managed":
                return resource.get("expressions") or {}
        return None

    def fill(self, values: dict, unknown: dict, expressions: dict | None, path: str) -> None:
        """Replace each unknown value of `values` by what its expression refers to.

        An unknown value the configuration does not set is computed by the provider: it is left out, as
        if absent (an aws_security_group without egress blocks plans `egress` as unknown, and gets none).
        """
        for name, marker in unknown.items():
            expression = expressions.get(name) if expressions is not None else None
            where = f"{path}.{name}"
            if marker is True:
                if expressions is not None and expression is None:
                    values.pop(name, None)
                else:
                    values[name] = self.value_of(expression, self.module, name in LIST_ATTRIBUTES, where, 0)
            elif isinstance(marker, list) and isinstance(values.get(name), list):
                self.fill_list(values[name], marker, expression, name, where)
            elif isinstance(marker, dict) and isinstance(values.get(name), dict):
                self.fill(values[name], marker, expression if isinstance(expression, dict) else None, where)

    def fill_list(self, items: list, unknown: list, expression: Any, name: str, where: str) -> None:
        if isinstance(expression, list):  # nested blocks: pair each with its configuration block
            for index, (item, marker) in enumerate(zip(items, unknown)):
                if isinstance(item, dict) and isinstance(marker, dict):
                    self.fill(item, marker, _matching_block(item, expression), f"{where}[{index}]")
            return
        if any(marker is True for marker in unknown):
            # Some elements unknown: the order of references is not the order of a set; take them all.
            rebuilt = self.value_of(expression, self.module, True, where, 0)
            known = [item for item, marker in zip(items, unknown) if marker is not True]
            rebuilt = rebuilt if isinstance(rebuilt, list) else [rebuilt]
            items[:] = known + [item for item in rebuilt if item not in known]

    def value_of(self, expression: Any, module: str, as_list: bool, where: str, depth: int) -> Any:
        """What an expression of the module `module` evaluates to, as far as the plan tells."""
        after_apply = unknown_marker(f"{where} (known after apply)")
        if depth > MAX_DEPTH:
            return after_apply
        if isinstance(expression, list):
            return [self.block_of(block, module, where, depth) for block in expression if isinstance(block, dict)]
        if not isinstance(expression, dict):
            return after_apply
        if "constant_value" in expression:
            return expression["constant_value"]
        references = _most_specific(expression.get("references") or [])
        if not references:
            return after_apply
        values = []
        for reference in references:
            value = self.resolve(reference, module, where, depth)
            values.extend(value if isinstance(value, list) else [value])
        return values if as_list or len(values) > 1 else values[0]

    def block_of(self, block: dict, module: str, where: str, depth: int) -> dict:
        return {name: self.value_of(expression, module, name in LIST_ATTRIBUTES, f"{where}.{name}", depth + 1)
                for name, expression in block.items()}

    def resolve(self, reference: str, module: str, where: str, depth: int) -> Any:
        head, _, rest = reference.partition(".")
        if head == "var":
            return self.variable(rest.split(".")[0], module, where, depth)
        if head == "local":
            return unknown_marker(f"{reference} (not in the plan)")
        if head == "data":
            return unknown_marker(f"{reference} (a data source, read at apply time)")
        if head == "module":
            return self.module_output(rest, module, where, depth)
        return self.resource_reference(reference, module)

    def variable(self, name: str, module: str, where: str, depth: int) -> Any:
        if not module:
            variable = (self.plan.plan.get("variables") or {}).get(name)
            if isinstance(variable, dict) and "value" in variable:
                return variable["value"]
            return unknown_marker(f"var.{name} (no value in the plan)")
        expression = (self.plan.module_call(module).get("expressions") or {}).get(name)
        parent = scopes_outward(module)[1]
        return self.value_of(expression, parent, False, where, depth + 1)

    def module_output(self, reference: str, module: str, where: str, depth: int) -> Any:
        call, _, output = reference.partition(".")
        child = in_scope(module, f"module.{call}")
        configuration = self.plan.module_configuration(child) or {}
        expression = ((configuration.get("outputs") or {}).get(output.split(".")[0]) or {}).get("expression")
        if expression is None:
            return unknown_marker(f"module.{reference} (not in the plan)")
        return self.value_of(expression, child, False, where, depth + 1)

    def resource_reference(self, reference: str, module: str) -> Any:
        """"aws_security_group.alb.id" written in `module` -> "<absolute address>.id"."""
        parts = reference.split(".")
        local, attribute = ".".join(parts[:2]), ".".join(parts[2:])
        resource = in_scope(module, local)
        if resource in self.plan.addresses:
            return f"{resource}.{attribute}"
        instances = self.plan.instances.get(without_instance_key(resource), [])
        own_key = instance_key(self.local)
        if own_key and f"{resource}{own_key}" in instances:  # [count.index] / [each.key]
            return f"{resource}{own_key}.{attribute}"
        return unknown_marker(f"{reference} (not one resource instance of the plan)")


def _collect(module: Any, into: list) -> None:
    if not isinstance(module, dict):
        return
    for resource in module.get("resources") or ():
        if isinstance(resource, dict) and resource.get("mode", "managed") == "managed" and isinstance(
                resource.get("address"), str):
            into.append(resource)
    for child in module.get("child_modules") or ():
        _collect(child, into)


def _replace_identities(value: Any, owners: dict, own: str) -> Any:
    """A copy of `value` in which known ids and ARNs of the plan's resources are references to them."""
    if isinstance(value, dict):
        return {key: value[key] if key in _IDENTITY_ATTRIBUTES else _replace_identities(value[key], owners, own)
                for key in value}
    if isinstance(value, list):
        return [_replace_identities(item, owners, own) for item in value]
    if isinstance(value, str) and value in owners and not owners[value].startswith(own + "."):
        return owners[value]
    return value


def _most_specific(references: list) -> list:
    """Terraform lists "aws_x.y.id" and "aws_x.y" for one reference; keep the longest of each."""
    meaningful = [r for r in references if isinstance(r, str) and not r.startswith(_AUXILIARY_REFERENCES)]
    return [r for r in meaningful if not any(other.startswith(r + ".") or other.startswith(r + "[")
                                             for other in meaningful)]


def _matching_block(planned: dict, blocks: list) -> dict | None:
    """The configuration block whose constant arguments all equal the planned block's values, if any."""
    for block in blocks:
        if isinstance(block, dict) and all(
            planned.get(name) == expression["constant_value"]
            for name, expression in block.items()
            if isinstance(expression, dict) and "constant_value" in expression
        ):
            return block
    return None
