"""Analyse Terraform configurations and plans: the readers' resource dicts (policies.terraform) -> one topology
-> every rule. Terraform has no conditions: one deployment per configuration or plan.

The Terraform counterpart of policies.analysis, in a room above the reader: the reader does not import the rules.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Iterable

from policies.cache import cached
from policies.findings import Analysis
from policies.evaluate import Deployment, evaluate
from policies.terraform.plan import PlanError, resources_from_plan
from policies.terraform.topology_builder import build_topology


def analyze_terraform(resources: list, source: str) -> Analysis:
    """Findings of every rule over the resource dicts of one configuration or plan (see resources.py).

    Terraform has no conditions: count and conditionals are already rendered, so there is one deployment.
    Findings carry no line; the first item of a finding's path is the address of the resource to fix.
    """
    valid = [r for r in resources if isinstance(r, dict) and isinstance(r.get("address"), str)
             and isinstance(r.get("type"), str) and isinstance(r.get("attributes", {}), dict)]
    valid_ids = {id(r) for r in valid}
    problems = [f"{source}: ignored an entry that is not a resource dict: {r!r:.80}"
                for r in resources if id(r) not in valid_ids]
    analysis = evaluate([Deployment({}, build_topology(valid))], source, None)
    analysis.problems[:0] = problems
    return analysis


def analyze_terraform_roots(resources: Iterable, problems: dict | None = None) -> dict:
    """Root module -> its Analysis, for resource dicts of several root modules (one checkov graph); a root
    module in `problems` (root -> why it cannot be judged) gets an Analysis with only those problems."""
    by_root: dict = {}
    for resource in resources:
        by_root.setdefault(resource.get("root"), []).append(resource)
    analyses = {root: analyze_terraform(group, str(root)) for root, group in by_root.items()}
    for root, messages in (problems or {}).items():
        analyses[root] = Analysis(source=str(root), problems=list(messages))
    return analyses


def analyze_terraform_plan_file(path: str) -> Analysis:
    """Analyse a `terraform show -json` plan file, cached per path and content."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return Analysis(source=path, problems=[f"cannot read {path}: {error.strerror}"])

    def build() -> Analysis:
        try:
            plan = json.loads(raw.decode("utf-8-sig"))
            return analyze_terraform(resources_from_plan(plan, path), path)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            reason = str(error) if isinstance(error, PlanError) else f"{path}: not a JSON plan: {error}"
            return Analysis(source=path, problems=[reason])

    return cached(("terraform-plan", os.path.abspath(path), hashlib.sha256(raw).hexdigest()), build)
