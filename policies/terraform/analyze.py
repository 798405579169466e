"""Analyse one Terraform configuration or plan: a single deployment, every rule."""

from __future__ import annotations

from policies.analysis import Analysis
from policies.evaluate import Deployment, evaluate
from policies.terraform.topology_builder import build_topology


def analyze_terraform(resources: list, source: str) -> Analysis:
    """Findings of every rule over the resource dicts of one configuration (see resources.py).

    Terraform has no conditions: count and conditionals are already rendered, so there is one deployment.
    Findings carry no line: a path's first item is the address of the resource to fix.
    """
    valid = [r for r in resources if isinstance(r, dict) and isinstance(r.get("address"), str)
             and isinstance(r.get("type"), str) and isinstance(r.get("attributes", {}), dict)]
    problems = [f"{source}: ignored a resource that is not a resource dict: {r!r:.80}"
                for r in resources if not any(r is v for v in valid)]
    analysis = evaluate([Deployment({}, build_topology(valid))], source, None)
    analysis.problems[:0] = problems
    return analysis
