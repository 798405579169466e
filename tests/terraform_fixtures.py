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
from pathlib import Path

from policies.cli import terraform_directory_reader

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "fixtures" / "terraform"
EXPECTED_FILE = FIXTURES_DIR / "expected.json"


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
