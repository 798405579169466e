"""One deployment of an application, as each of its templates sees it: the values that cross stacks.

A `Scenario` is one deployment: a truth value for every condition of every stack. Its `StackScope`s are what
a template's Resolver (policies.cloudformation.intrinsics) asks of the rest of the application: the value its
parent stack or a deployment description gives a parameter, its stack's name, the outputs of its nested
stacks, the exports it imports, and the ids its resources have in the application. Values are resolved in the
scope of the stack that holds them, so a reference keeps naming the resource it names, whichever stack asks.
"""

from __future__ import annotations

from typing import Any

from policies.application.names import name_pattern
from policies.cloudformation.intrinsics import NO_VALUE, NOT_GIVEN, Resolver
from policies.values import Unknown, malformed, shown

DEPLOY_TIME, DEFAULTS, DEPLOYMENT = "deploy time", "defaults", "deployment"


class Scenario:
    """One deployment of an application (`kind` DEPLOYMENT), or one of the two views its conditions are
    worked out with: DEPLOY_TIME (a root stack's parameters are the choices made at deploy time, no condition
    holds) and DEFAULTS (parameters take their defaults, no condition holds)."""

    def __init__(self, application: Any, space: Any = None, decided: dict | None = None,
                 kind: str = DEPLOYMENT) -> None:
        self.application = application
        self.space = space  # policies.application.scenarios.ConditionSpace; None: conditions take no part
        self.decided = dict(decided or {})  # comparison key -> bool, for the comparisons this deployment decides
        self.kind = kind
        self.consulted: set = set()  # (stack, condition) read while resolving
        self._scopes: dict = {}
        self._conditions: dict = {}
        self._symbols: dict | None = None
        self.resolving: set = set()  # outputs being resolved, to tell a circle

    def scope(self, stack: Any) -> StackScope:
        scope = self._scopes.get(stack)
        if scope is None:
            scope = self._scopes[stack] = StackScope(self, stack)
        return scope

    def conditions(self, stack: Any) -> dict:
        if stack not in self._conditions:
            if self.kind != DEPLOYMENT or self.space is None:
                self._conditions[stack] = {}
            else:
                self._conditions[stack] = self.space.condition_values(stack, self.decided)
        return self._conditions[stack]

    def condition_names(self) -> dict:
        """{condition, qualified by its stack's label: bool} of every stack, for reports."""
        return {stack.qualify(name): value for stack in self.application.stacks
                for name, value in self.conditions(stack).items()}

    def symbol_value(self, symbol: str) -> Any:
        """The value this deployment gives a root stack's parameter that a condition compares, or NOT_GIVEN."""
        if self.kind != DEPLOYMENT or self.space is None:
            return NOT_GIVEN
        if self._symbols is None:
            self._symbols = self.space.symbol_values(self.decided)
        return self._symbols.get(symbol, NOT_GIVEN)

    def deployed_stacks(self) -> list:
        """The stacks that exist in this deployment: a nested stack whose resource's Condition is false does
        not, nor do the stacks nested in it."""
        deployed = []
        present: set = set()
        for stack in self.application.stacks:  # parents before their children
            parent = stack.parent
            if parent is not None:
                if parent not in present:
                    continue
                declaration = parent.document["Resources"].get(stack.parent_resource, {})
                condition = declaration.get("Condition") if isinstance(declaration, dict) else None
                if isinstance(condition, str) and self.scope(parent).resolver.conditions.get(condition) is False:
                    continue
            present.add(stack)
            deployed.append(stack)
        return deployed


class _ConsultedConditions(dict):
    """A stack's condition values that remember which were read: a deployment's verdicts depend on those."""

    def __init__(self, values: dict, scenario: Scenario, stack: Any) -> None:
        super().__init__(values)
        self._scenario, self._stack = scenario, stack

    def __getitem__(self, name: Any) -> Any:
        self._scenario.consulted.add((self._stack, name))
        return super().__getitem__(name)

    def get(self, name: Any, default: Any = None) -> Any:
        if name in self:
            return self[name]
        return default


class StackScope:
    """What one stack's Resolver asks of the rest of its application, in one Scenario."""

    def __init__(self, scenario: Scenario, stack: Any) -> None:
        self.scenario = scenario
        self.stack = stack
        self._resolver: Resolver | None = None
        self._outputs: dict = {}
        self._parent_parameters: Any = None

    @property
    def label(self) -> str:
        return self.stack.label

    @property
    def root(self) -> tuple:
        return self.stack.root

    def qualify(self, logical_id: str) -> str:
        return self.stack.qualify(logical_id)

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            conditions = _ConsultedConditions(self.scenario.conditions(self.stack), self.scenario, self.stack)
            self._resolver = Resolver(self.stack.document, conditions,
                                      parameter_defaults=self.scenario.kind != DEPLOY_TIME, scope=self)
        return self._resolver

    # -- what the Resolver asks -------------------------------------------------------------------

    def parameter(self, name: str) -> Any:
        """The value the stack's parameter `name` gets from outside the template, or NOT_GIVEN."""
        stack = self.stack
        if name in stack.given:
            return stack.given[name]
        if stack.parent is not None:
            passed = self._passed_by_parent()
            if isinstance(passed, Unknown):
                return passed
            value = passed[name] if name in passed else NO_VALUE
            return NOT_GIVEN if value is NO_VALUE else value  # not passed: its Default
        if stack.declared:
            return self._default(name)  # a described deployment: what it does not give takes its Default
        if self.scenario.kind == DEPLOY_TIME:
            if self.scenario.space is not None:
                self.scenario.space.register_symbol(self.symbol(name), stack, name)
            return Unknown(self.symbol(name))
        return self.scenario.symbol_value(self.symbol(name))

    def _default(self, name: str) -> Any:
        declaration = self.stack.document.get("Parameters", {}).get(name)
        if isinstance(declaration, dict) and "Default" in declaration:
            return declaration["Default"]
        return Unknown(f"parameter {name} of stack {self.label or self.stack.source} has no Default, and the "
                       f"deployment description gives it no value")

    def symbol(self, name: str) -> str:
        """How a root stack's parameter chosen at deploy time is named: one name per stack and parameter."""
        return f"parameter {name}{f' of stack {self.label}' if self.label else ''} is chosen at deploy time"

    def _passed_by_parent(self) -> Any:
        """The parent's `Parameters` for this nested stack, each resolved in the parent's scope."""
        if self._parent_parameters is None:
            parent_scope = self.scenario.scope(self.stack.parent)
            declaration = self.stack.parent.document["Resources"][self.stack.parent_resource]
            properties = declaration.get("Properties") if isinstance(declaration, dict) else None
            raw = properties.get("Parameters", {}) if isinstance(properties, dict) else {}
            if not isinstance(raw, dict) or _is_function(raw):
                raw = parent_scope.resolver.resolve(raw)
            if isinstance(raw, Unknown):
                self._parent_parameters = raw
            elif not isinstance(raw, dict):
                self._parent_parameters = malformed(
                    f"the Parameters of nested stack {self.stack.parent_resource} are {shown(raw)}, not a mapping")
            else:
                self._parent_parameters = _LazyValues(raw, parent_scope.resolver)
        return self._parent_parameters

    def stack_name(self) -> Any:
        if self.stack.name is not None:
            return self.stack.name
        return Unknown(f"the name of stack {self.label or self.stack.source} is given at deploy time")

    def nested_output(self, resource: str, output: str) -> Any:
        child = self.stack.children.get(resource)
        if child is None:
            return Unknown(f"output {output} of nested stack {resource}, whose template is not scanned with it")
        if isinstance(child, Unknown):
            return child
        return self.scenario.scope(child).output(output)

    def output(self, name: str) -> Any:
        """The value of the stack's output `name` in this deployment."""
        if name in self._outputs:
            return self._outputs[name]
        outputs = self.stack.document.get("Outputs")
        declaration = outputs.get(name) if isinstance(outputs, dict) else None
        if not isinstance(declaration, dict) or "Value" not in declaration:
            return malformed(f"stack {self.label or self.stack.source} has no output {shown(name)}")
        key = (self.stack, name)
        if key in self.scenario.resolving:
            return malformed(f"output {name} of stack {self.label or self.stack.source} is built from itself")
        self.scenario.resolving.add(key)
        try:
            value = self.resolver.resolve(declaration["Value"])
        finally:
            self.scenario.resolving.discard(key)
        self._outputs[name] = value
        return value

    def imported(self, argument: Any) -> Any:
        """The value of the export `Fn::ImportValue argument` names, from the stack that exports it."""
        exports = self.scenario.application.exports
        wanted = name_pattern(self.resolver, argument)
        if exports is None:
            return Unknown(f"Fn::ImportValue {wanted}")
        found = exports.matching(wanted)
        if not found:
            return Unknown(f"Fn::ImportValue {wanted}: no scanned template exports it")
        if len(found) > 1:
            return Unknown(f"Fn::ImportValue {wanted}: exported by "
                           f"{', '.join(sorted(str(export) for export in found))}")
        export = found[0]
        if export.stack is self.stack:
            return malformed(f"Fn::ImportValue {wanted} names an export of its own stack, which CloudFormation "
                             f"refuses")
        return self.scenario.scope(export.stack).output(export.output)


class _LazyValues(dict):
    """A mapping whose values are resolved when first read: a parent passes many parameters, rules read few."""

    def __init__(self, raw: dict, resolver: Resolver) -> None:
        super().__init__()
        self._raw, self._resolver = raw, resolver

    def __contains__(self, name: Any) -> bool:
        return name in self._raw

    def __getitem__(self, name: Any) -> Any:
        if not dict.__contains__(self, name):
            dict.__setitem__(self, name, self._resolver.resolve(self._raw[name]))
        return dict.__getitem__(self, name)


def _is_function(value: Any) -> bool:
    if not (isinstance(value, dict) and len(value) == 1):
        return False
    (key,) = value
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))
