"""The Terraform fixtures and their oracle, fixtures/terraform/expected.json, shared by the Terraform tests.

A configuration fixture is a directory (the root module, with its local modules under it); a plan
fixture is a `terraform show -json` file under plan/. expected.json maps each (path relative to
fixtures/terraform, "/"-separated) to every FAILED and UNKNOWN finding the pack must produce for it:
{"rule": "HOP303", "verdict": "FAILED", "resource": "aws_ecs_service.app"}, the resource being the
Terraform address. Anything not listed must be PASSED or not applicable.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "fixtures" / "terraform"
EXPECTED_FILE = FIXTURES_DIR / "expected.json"
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}


def load_expected() -> dict:
    return json.loads(EXPECTED_FILE.read_text())


def configuration_fixtures() -> list:
    """Every root module directory: a directory with .tf files that is not a local module of another."""
    return sorted({
        path.parent.relative_to(FIXTURES_DIR).as_posix()
        for path in FIXTURES_DIR.rglob("*.tf")
        if "modules" not in path.relative_to(FIXTURES_DIR).parts
    })


def plan_fixtures() -> list:
    return sorted(path.relative_to(FIXTURES_DIR).as_posix() for path in (FIXTURES_DIR / "plan").glob("*.json"))


def expected_findings(fixture: str) -> list:
    """(rule, verdict, resource) of every FAILED and UNKNOWN finding expected for one fixture, sorted."""
    return sorted((entry["rule"], entry["verdict"], entry["resource"]) for entry in load_expected()[fixture])


@functools.cache
def graph_resources(fixture: str) -> tuple:
    """The resource dicts of a configuration fixture, extracted from checkov's rendered graph the way the
    checkov adapter does: checkov's own Terraform runner builds the graph in this process."""
    for name, value in CHECKOV_ENV.items():
        os.environ.setdefault(name, value)
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.runner import Runner

    from policies.terraform import resources_from_graph

    runner = Runner()  # a fresh runner: checkov's runners keep the graph of their previous run
    runner.run(root_folder=str(FIXTURES_DIR / fixture),
               runner_filter=RunnerFilter(framework=["terraform"], checks=["CKV_HOP_NOTHING"]))
    graph = runner.all_graphs[0][0]
    return tuple(resources_from_graph(graph.nodes(), graph.weighted_edge_list()))
