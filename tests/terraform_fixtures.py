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
import shutil
from pathlib import Path

from checkov_runs import CHECKOV_ENV
from policies.cli import terraform_directory_reader

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "fixtures" / "terraform"
EXPECTED_FILE = FIXTURES_DIR / "expected.json"
# Stand-ins of registry modules (terraform-aws-modules/...), which several root modules call as ../../modules/X.
SHARED_MODULES = FIXTURES_DIR / "modules"
SHARED_SOURCE = '"../../modules/'


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
    checkov adapter does, by the code `hoplint explain` reads Terraform directories with
    (custom_checks/checkov/hoplint_terraform_directory.py): checkov's own Terraform runner, in this process."""
    return tuple(terraform_directory_reader().terraform_resources(str(FIXTURES_DIR / fixture)))


def vendored_fixtures(destination: Path) -> Path:
    """A copy of the configuration fixtures in which each root module calling the shared stand-in modules holds
    its own copy of them (source = "./modules/X"), as a configuration with vendored modules does. checkov names
    a record by its file and address: one module file called by several root modules would be one record for
    all of them (the worst verdict wins), where each fixture must be judged on its own."""
    for fixture in configuration_fixtures():
        target = destination / fixture
        shutil.copytree(FIXTURES_DIR / fixture, target)
        for module in shared_modules_called(FIXTURES_DIR / fixture, SHARED_SOURCE):
            # Only the modules it calls: checkov judges a directory nobody calls as a root module of its own.
            shutil.copytree(SHARED_MODULES / module, target / "modules" / module)
        for path in target.glob("*.tf"):
            path.write_text(path.read_text().replace(SHARED_SOURCE, '"./modules/'))
    return destination


def shared_modules_called(directory: Path, prefix: str) -> set:
    """The shared stand-in modules a directory's .tf files call (`source = "<prefix>NAME"`), and those they call."""
    called = {text.split('"', 1)[0] for path in directory.glob("*.tf")
              for text in path.read_text().split(prefix)[1:]}
    return called.union(*(shared_modules_called(SHARED_MODULES / name, '"../') for name in called))


@functools.cache
def fixtures_graph() -> tuple:
    """(vertices, edges) of the graph checkov's Terraform runner renders of every configuration fixture."""
    for name, value in CHECKOV_ENV.items():
        os.environ.setdefault(name, value)
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.runner import Runner

    from policies.checkov_graph import graph_vertices_and_edges

    runner = Runner()
    runner.run(root_folder=str(FIXTURES_DIR), runner_filter=RunnerFilter(
        framework=["terraform"], checks=["CKV_HOP_NONE"], show_progress_bar=False))
    (graph, _), = runner.all_graphs
    vertices, edges = graph_vertices_and_edges(graph)
    return list(vertices), list(edges)


@functools.cache
def record_names() -> dict:
    """Fixture -> the addresses of its resource vertices in checkov's graph, which name checkov's records: the
    address without instance key for a resource whose count or for_each checkov could not evaluate."""
    from policies.terraform.graph import root_module

    names: dict = {}
    for _, vertex in fixtures_graph()[0]:
        if vertex.get("block_type_") == "resource":
            fixture = Path(root_module(vertex)).relative_to(FIXTURES_DIR).as_posix()
            names.setdefault(fixture, set()).add(vertex["__address__"])
    return names
