"""Which deployments of an application can exist: the truth values its conditions can take together.

Every `Fn::Equals` of every stack is a comparison. Its sides are resolved as at deploy time: a parameter of a
root stack that nobody gives a value is a choice made then (policies.application.scopes), and a nested stack's
parameter is whatever its parent passes, so `!Equals [!Ref LaunchType, EC2]` in three nested stacks that all
receive the parent's LaunchType is one comparison, true in all three or in none. A comparison whose sides are
known either way is constant.

Comparisons of one parameter with different values cannot be true together, and a parameter's AllowedValues
bound them: which combinations can exist is what cfn-lint's conditions solver (cfnlint.conditions, with
sympy) decides, and it is asked whenever comparisons are related so. Comparisons that share no parameter are
independent: every combination exists, and cfn-lint is not imported (importing it costs checkov, which does
not load it, most of a second).

Only the comparisons of the conditions a deployment's topology reads are enumerated (the analysis grows that
set until the topologies read no other): a template with many conditions about logging or scaling is proved
for every deployment of its network. Beyond MAX_COMPARISONS comparisons or MAX_DEPLOYMENTS deployments,
only the default one is judged and nothing is PASSED.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from policies.application.scopes import DEFAULTS, DEPLOY_TIME, Scenario
from policies.cloudformation.conditions import ConditionDefinitions
from policies.values import ResourceRef, Unknown

MAX_COMPARISONS = 7  # 2**7 combinations to check, cfn-lint's own bound for one question
MAX_DEPLOYMENTS = 64  # topologies built and judged


@dataclass(eq=False, repr=False)
class Comparison:
    """One `Fn::Equals`, its sides resolved as at deploy time."""

    key: str
    symbol: str | None  # the deploy-time choice one side is, when the other is a literal
    literal: str | None
    constant: bool | None  # its value whatever is chosen, when known
    default: bool  # its value with every parameter at its Default


class ConditionSpace:
    """The comparisons and conditions of every stack of an application."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self._deploy_time = Scenario(application, self, kind=DEPLOY_TIME)
        self._defaults = Scenario(application, self, kind=DEFAULTS)
        self._definitions: dict = {}  # template -> ConditionDefinitions
        self._comparisons: dict = {}  # (stack, repr of the Fn::Equals arguments) -> Comparison
        self._by_keys: dict = {}  # Comparison.key -> Comparison: the same comparison in several stacks
        self.symbols: dict = {}  # deploy-time choice -> (stack, parameter)

    def definitions(self, stack: Any) -> ConditionDefinitions:
        template = stack.template
        if template not in self._definitions:
            self._definitions[template] = ConditionDefinitions(stack.document)
        return self._definitions[template]

    def register_symbol(self, symbol: str, stack: Any, parameter: str) -> None:
        self.symbols.setdefault(symbol, (stack, parameter))

    def comparison(self, stack: Any, argument: Any) -> Comparison:
        text = repr(argument)  # repr, not json: a template's mapping keys may mix types
        found = self._comparisons.get((stack, text))
        if found is None:
            found = self._comparisons[(stack, text)] = self._compare(stack, argument)
            self._by_keys.setdefault(found.key, found)
        return found

    def _compare(self, stack: Any, argument: list) -> Comparison:
        resolver = self._deploy_time.scope(stack).resolver
        left, right = (resolver.resolve(side) for side in argument)
        defaults = self._defaults.scope(stack).resolver
        default_left, default_right = (defaults.resolve(side) for side in argument)
        default = _known(default_left) and _known(default_right) and _text(default_left) == _text(default_right)
        if _known(left) and _known(right):
            return Comparison(f"constant {left!r} {right!r}", None, None, _text(left) == _text(right), default)
        sides = sorted((_side(left), _side(right)))
        symbol = literal = None
        kinds = {kind for kind, _ in sides}
        if kinds == {"literal", "choice"}:
            literal = next(text for kind, text in sides if kind == "literal")
            symbol = next(text for kind, text in sides if kind == "choice")
            if symbol not in self.symbols:
                symbol = None  # a pseudo parameter or an import: unknown, but no parameter to relate
        return Comparison(repr(sides), symbol, literal, None, default)

    def condition_values(self, stack: Any, decided: dict) -> dict:
        """{condition: bool} of the stack when the comparisons `decided` have those values and the others
        their defaults."""
        def equals(argument: Any) -> bool:
            comparison = self.comparison(stack, argument)
            if comparison.constant is not None:
                return comparison.constant
            return decided.get(comparison.key, comparison.default)

        return self.definitions(stack).evaluate(equals)

    def keys_of(self, consulted: set) -> set:
        """The comparisons that decide the (stack, condition) pairs `consulted`, those known either way left out."""
        keys = set()
        for stack, name in consulted:
            for argument in self.definitions(stack).comparisons(name):
                comparison = self.comparison(stack, argument)
                if comparison.constant is None:
                    keys.add(comparison.key)
        return keys

    def assignments(self, keys: set) -> list | None:
        """Every combination of values of the comparisons `keys` some deployment can have; None when there are
        too many to judge each."""
        keys = sorted(keys)
        if not keys:
            return [{}]
        if len(keys) > MAX_COMPARISONS:
            return None
        comparisons = {key: self._by_key(key) for key in keys}
        if self._related(comparisons.values()):
            combinations = self._solved(keys, comparisons)
        else:
            combinations = [dict(zip(keys, values)) for values in itertools.product((True, False), repeat=len(keys))]
        return combinations if len(combinations) <= MAX_DEPLOYMENTS else None

    def symbol_values(self, decided: dict) -> dict:
        """The value each deploy-time choice takes where the comparisons `decided` decide it: the value it is
        compared equal with, or, when it equals none of them, its Default unless that is one of them (else the
        value is unknown). Choices no comparison decides are left out: their Default applies."""
        compared: dict = {}
        for key, value in decided.items():
            comparison = self._by_key(key)
            if comparison.symbol is not None:
                compared.setdefault(comparison.symbol, []).append((comparison.literal, value))
        values = {}
        for symbol, pairs in compared.items():
            equal = [literal for literal, value in pairs if value]
            if equal:
                values[symbol] = equal[0]
                continue
            stack, parameter = self.symbols[symbol]
            declaration = stack.document.get("Parameters", {}).get(parameter)
            default = declaration.get("Default") if isinstance(declaration, dict) else None
            others = sorted({literal for literal, _ in pairs})
            if default is None or str(default) in others:
                values[symbol] = Unknown(f"parameter {parameter} is none of {', '.join(others)}: chosen at "
                                         f"deploy time")
        return values

    def _by_key(self, key: str) -> Comparison:
        return self._by_keys[key]

    def _related(self, comparisons: Any) -> bool:
        """Whether some combinations cannot exist: two comparisons of one choice, or a choice with AllowedValues."""
        seen: set = set()
        for comparison in comparisons:
            if comparison.symbol is None:
                continue
            if comparison.symbol in seen or self._allowed_values(comparison.symbol) is not None:
                return True
            seen.add(comparison.symbol)
        return False

    def _allowed_values(self, symbol: str) -> list | None:
        stack, parameter = self.symbols[symbol]
        declaration = stack.document.get("Parameters", {}).get(parameter)
        allowed = declaration.get("AllowedValues") if isinstance(declaration, dict) else None
        if isinstance(allowed, list) and all(isinstance(value, (str, int, float)) for value in allowed):
            return [str(value) for value in allowed]
        return None

    def _solved(self, keys: list, comparisons: dict) -> list:
        """The combinations cfn-lint's solver finds satisfiable, the comparisons stated as one template's
        conditions over one parameter per deploy-time choice (with its AllowedValues)."""
        from cfnlint.conditions.conditions import Conditions  # imported only when needed: see the docstring

        parameters: dict = {}
        conditions: dict = {}
        names: dict = {}  # deploy-time choice -> parameter name in the stated template
        for index, key in enumerate(keys):
            comparison = comparisons[key]
            if comparison.symbol is not None:
                name = names.setdefault(comparison.symbol, f"Choice{len(names)}")
                conditions[f"C{index}"] = {"Fn::Equals": [{"Ref": name}, comparison.literal]}
            else:
                name = f"Free{index}"  # independent of every other
                conditions[f"C{index}"] = {"Fn::Equals": [{"Ref": name}, "true"]}
            parameters[name] = {"Type": "String"}
        for symbol, name in names.items():
            allowed = self._allowed_values(symbol)
            if allowed is not None:
                parameters[name]["AllowedValues"] = allowed
        solver = Conditions(SimpleNamespace(template={"Parameters": parameters, "Conditions": conditions}))
        solver._max_scenarios = 2 ** len(keys)  # cfn-lint stops after 128 by default; MAX_COMPARISONS bounds it
        index_of = {f"C{index}": key for index, key in enumerate(keys)}
        return [{index_of[name]: value for name, value in combination.items()}
                for combination in solver.build_scenarios({name: {True, False} for name in index_of})]


def _known(value: Any) -> bool:
    return not isinstance(value, (Unknown, ResourceRef))


def _text(value: Any) -> str:
    """A value as Fn::Equals compares it: as text, booleans as YAML writes them."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _side(value: Any) -> tuple:
    if isinstance(value, Unknown):
        return "choice", value.reason
    if isinstance(value, (str, int, float, bool)):
        return "literal", _text(value)
    return "value", repr(value)
