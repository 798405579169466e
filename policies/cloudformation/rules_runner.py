"""Analyse one CloudFormation template: every deployment its conditions allow, every rule."""

from __future__ import annotations

from typing import Callable

from policies.analysis import Analysis
from policies.cloudformation.intrinsics import Deployments, Resolver
from policies.cloudformation.topology_builder import build_topology
from policies.document_limits import document_problem
from policies.evaluate import Deployment, evaluate
from policies.values import shown


def analyze_cloudformation(template: dict, source: str, line_of: Callable | None = None) -> Analysis:
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return Analysis(source=source, problems=[f"{source}: not a CloudFormation template (no Resources mapping)"])
    too_much = document_problem(template)
    if too_much:
        return Analysis(source=source, problems=[f"{source}: not analysed: {too_much}"])
    unreadable = _unreadable_resources(template["Resources"])
    if unreadable:
        return Analysis(source=source, problems=[f"{source}: {problem}" for problem in unreadable])
    space = Deployments(template)
    if space.problems:
        return Analysis(source=source, problems=[f"{source}: conditions cannot be evaluated: {problem}"
                                                 for problem in space.problems])
    deployments = [
        Deployment(conditions, build_topology(template, Resolver(template, conditions)))
        for conditions in space.scenarios()
    ]
    return evaluate(deployments, source, line_of, exhaustive=space.exhaustive)


def _unreadable_resources(resources: dict) -> list:
    """Resources whose kind cannot be read. Any of them could be the one that decides a hop (an egress
    rule takes away a group's default allow-all egress), so the template cannot be judged."""
    return [
        f"resource {shown(resource_id)} has no Type naming its kind"
        for resource_id, declaration in resources.items()
        if not (isinstance(declaration, dict) and isinstance(declaration.get("Type"), str))
    ]
