"""Run every rule on every deployment a template allows and merge the results into findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from policies.findings import Analysis, Finding, Unreadable, Verdict
from policies.rules import ALL_RULES
from policies.topology import Topology


@dataclass(eq=False, repr=False)
class Deployment:
    """One combination of condition values and the topology it yields."""

    conditions: dict  # condition name -> bool
    topology: Topology


def evaluate(deployments: list, source: str, locate: Callable | None = None, exhaustive: bool = True) -> Analysis:
    """Findings of all rules: FAILED if broken in some deployment, PASSED only if proved in every one.

    `locate(path)` gives the file of a property path, the path inside it and the file's line finder (a
    callable telling a path's line, or None); None: paths are the source's own, without lines. `exhaustive` is
    False when only some deployments could be evaluated; nothing is then PASSED.
    """
    locate = locate or (lambda path: (None, path, None))
    analysis = Analysis(source=source, deployments=list(deployments))
    results: dict = {}  # (rule, subject, hop) -> [(deployment, result)]
    for deployment in deployments:
        for rule in ALL_RULES:
            try:
                for result in rule(deployment.topology):
                    results.setdefault((result.rule_id, result.subject, result.hop), []).append((deployment, result))
            except Exception as error:  # noqa: BLE001 - one broken rule must not silence the others
                analysis.problems.append(f"{rule.__name__} could not judge {source}: {type(error).__name__}: {error}")
    for outcomes in results.values():
        analysis.findings.append(_merge(outcomes, deployments, locate, exhaustive))
    return analysis


def _merge(outcomes: list, deployments: list, locate: Callable, exhaustive: bool) -> Finding:
    failing = [(d, r) for d, r in outcomes if r.verdict is Verdict.FAILED]
    unknown = [(d, r) for d, r in outcomes if r.verdict is Verdict.UNKNOWN]
    deployment, result = (failing or unknown or outcomes)[0]
    verdict, message, conditions, unreadable = result.verdict, result.message, (), ()
    if failing and len(failing) < len(deployments):
        conditions = deciding_conditions([d for d, _ in failing], deployments)
        if conditions:
            message += " (when " + ", ".join(f"{name} is {str(value).lower()}" for name, value in conditions) + ")"
    if verdict is Verdict.UNKNOWN:
        malformed = {(u.reason, u.path): u for _, r in unknown for u in r.unknowns if u.malformed}
        unreadable = tuple(Unreadable(u.reason, *_located(locate, u.path)) for u in malformed.values())
    if verdict is Verdict.PASSED and not exhaustive:
        verdict = Verdict.UNKNOWN
        message += (" (not proved for every deployment: the template has too many independent conditions, "
                    "only its default parameter values were evaluated)")
    file, path, line_of = locate(result.path)
    return Finding(
        rule_id=result.rule_id,
        verdict=verdict,
        resource=result.subject,
        resource_type=deployment.topology.resource_types.get(result.subject, ""),
        message=message,
        path=path,
        line_of=line_of,
        hop=result.hop,
        conditions=conditions,
        unreadable=unreadable,
        file=file,
    )


def _located(locate: Callable, path: tuple) -> tuple:
    """(file, path inside it, line) of a property path."""
    file, inner, line_of = locate(path)
    return file, inner, line_of(inner) if line_of is not None else None


def deciding_conditions(failing: list, deployments: list) -> tuple:
    """Conditions with the same value in every failing deployment and another value in some other one.

    Of conditions that always have the same value, or always opposite ones (`IsEc2` and `IsFargate`, or one
    parameter's comparison in several stacks), only the first is named: the others say nothing more.
    """
    first = failing[0].conditions
    deciding = []
    for name, value in first.items():
        if all(d.conditions.get(name) == value for d in failing) and any(
            d.conditions.get(name) != value for d in deployments
        ) and not any(_tied(name, other, deployments) for other, _ in deciding):
            deciding.append((name, value))
    return tuple(deciding)


def _tied(name: str, other: str, deployments: list) -> bool:
    pairs = {(d.conditions.get(name), d.conditions.get(other)) for d in deployments}
    return pairs <= {(True, True), (False, False)} or pairs <= {(True, False), (False, True)}
