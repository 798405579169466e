"""Analyse one CloudFormation template: every deployment its conditions allow, every rule."""

from __future__ import annotations

from typing import Callable

from policies.analysis import Analysis
from policies.cloudformation.intrinsics import Deployments, Resolver
from policies.cloudformation.topology_builder import build_topology
from policies.evaluate import Deployment, evaluate


def analyze_cloudformation(template: dict, source: str, line_of: Callable | None = None) -> Analysis:
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return Analysis(source=source, problems=[f"{source}: not a CloudFormation template (no Resources mapping)"])
    space = Deployments(template)
    deployments = [
        Deployment(conditions, build_topology(template, Resolver(template, conditions)))
        for conditions in space.scenarios()
    ]
    return evaluate(deployments, source, line_of, exhaustive=space.exhaustive)
