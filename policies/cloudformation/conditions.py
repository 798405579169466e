"""What a template's Conditions say: which are well formed, in which order they evaluate, and their value once
each `Fn::Equals` they compare has one.

Conditions that cannot be evaluated (malformed, circular, or naming conditions the template does not define)
make the template ambiguous: `problems` says why. A resource `Condition` naming no condition is one too, since
whether the resource exists decides which security group rules do. Which comparisons can be true together is
decided for the whole application (policies.application.scenarios).
"""

from __future__ import annotations

from typing import Any, Callable

from policies.values import shown

CONDITION_FUNCTIONS = ("Fn::And", "Fn::Or", "Fn::Not")


class ConditionDefinitions:
    """The Conditions section of one template, checked and ordered."""

    def __init__(self, template: dict) -> None:
        self.definitions = _mapping(template.get("Conditions"))
        self.problems: list = []
        self._references = {name: self._check(name, definition) for name, definition in self.definitions.items()}
        self._check_resources(_mapping(template.get("Resources")))
        self.order = self._evaluation_order()
        self._comparisons: dict = {}  # condition -> Fn::Equals arguments it depends on, through other conditions

    def evaluate(self, equals: Callable[[Any], bool]) -> dict:
        """{condition: bool} given the value of each Fn::Equals (its argument list -> bool)."""
        values: dict = {}
        for name in self.order:  # a condition's references are evaluated before it
            values[name] = self._evaluate(self.definitions[name], equals, values)
        return {name: values[name] for name in self.definitions}

    def comparisons(self, name: str) -> list:
        """The arguments of every Fn::Equals the condition `name` depends on, directly or through others."""
        if not self._comparisons:
            for condition in self.order:  # those it refers to come first
                direct: list = []
                self._collect(self.definitions[condition], direct)
                # Keyed by text, so that conditions sharing the ones they refer to do not multiply them.
                found = {repr(argument): argument for argument in direct}
                for other in self._references[condition]:
                    found.update(self._comparisons[other])
                self._comparisons[condition] = found
        return list(self._comparisons.get(name, {}).values())

    def all_comparisons(self) -> list:
        found: list = []
        for definition in self.definitions.values():
            self._collect(definition, found)
        return found

    # -- checking ---------------------------------------------------------------------------------

    def _check(self, name: Any, definition: Any) -> set:
        """The conditions `definition` refers to; a malformed definition is a problem."""
        references: set = set()
        problem = self._malformed_part(definition, references)
        if problem:
            self.problems.append(f"condition {shown(name)}: {problem}")
        return references

    def _malformed_part(self, expression: Any, references: set) -> str | None:
        if not (isinstance(expression, dict) and len(expression) == 1):
            return f"{shown(expression)} is not a condition function"
        (function, argument), = expression.items()
        if function == "Condition":
            if not (isinstance(argument, str) and argument in self.definitions):
                return f"Condition {shown(argument)} names no condition of the template"
            references.add(argument)
            return None
        if function == "Fn::Equals":
            if isinstance(argument, list) and len(argument) == 2:
                return None
            return f"Fn::Equals {shown(argument)} does not compare two values"
        if function not in CONDITION_FUNCTIONS:
            return f"{shown(function)} is not a condition function"
        if not (isinstance(argument, list) and argument and (function != "Fn::Not" or len(argument) == 1)):
            return f"{function} {shown(argument)} is malformed"
        return next(filter(None, (self._malformed_part(item, references) for item in argument)), None)

    def _check_resources(self, resources: dict) -> None:
        for resource_id, declaration in resources.items():
            if isinstance(declaration, dict) and "Condition" in declaration:
                condition = declaration["Condition"]
                if not (isinstance(condition, str) and condition in self.definitions):
                    self.problems.append(f"resource {shown(resource_id)}: Condition {shown(condition)} names no "
                                         f"condition of the template")

    def _evaluation_order(self) -> list:
        """Condition names, each after those it refers to; conditions in a circle are a problem."""
        dependents: dict = {name: [] for name in self._references}
        waiting = {name: len(referred) for name, referred in self._references.items()}
        for name, referred in self._references.items():
            for other in referred:
                dependents[other].append(name)
        ready = [name for name, count in waiting.items() if count == 0]
        order = []
        while ready:
            name = ready.pop()
            order.append(name)
            for dependent in dependents[name]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    ready.append(dependent)
        circular = [name for name, count in waiting.items() if count > 0]
        if circular:
            self.problems.append(f"conditions {shown(circular)} refer to themselves through Condition")
        return order

    # -- evaluating -------------------------------------------------------------------------------

    def _collect(self, expression: Any, found: list) -> None:
        (function, argument), = expression.items()
        if function == "Fn::Equals":
            found.append(argument)
        elif function != "Condition":
            for item in argument:
                self._collect(item, found)

    def _evaluate(self, expression: dict, equals: Callable[[Any], bool], values: dict) -> bool:
        (function, argument), = expression.items()
        if function == "Fn::Equals":
            return equals(argument)
        if function == "Condition":
            return values[argument]
        results = [self._evaluate(item, equals, values) for item in argument]
        if function == "Fn::And":
            return all(results)
        if function == "Fn::Or":
            return any(results)
        return not results[0]  # Fn::Not


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
