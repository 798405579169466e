"""The test oracle shared by the adapters' tests: fixtures/cloudformation/expected.json."""

from __future__ import annotations

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "fixtures" / "cloudformation"
EXPECTED_FILE = FIXTURES_DIR / "expected.json"
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


def load_expected() -> dict:
    """Fixture path (relative to FIXTURES_DIR, "/"-separated) -> its expected FAILED and UNKNOWN findings:
    dicts with "rule", "verdict", "resource" (logical id) and "line" (of the property to fix)."""
    return json.loads(EXPECTED_FILE.read_text())


# Applications of several templates, each a directory with its own oracle (tests/test_applications.py).
APPLICATIONS_DIR = REPO_ROOT / "fixtures" / "cloudformation-applications"
APPLICATIONS = sorted(json.loads((APPLICATIONS_DIR / "expected.json").read_text()))


def templates_of(application: str) -> list:
    """The application's templates, relative to its directory (a CDK assembly's other JSON files left out)."""
    directory = APPLICATIONS_DIR / application
    return sorted(path.relative_to(directory).as_posix() for path in directory.rglob("*")
                  if path.suffix in TEMPLATE_SUFFIXES and not path.name.startswith(".")
                  and not path.name.endswith(("manifest.json", ".assets.json")))


def fixture_templates() -> list:
    """Every template under FIXTURES_DIR, as expected.json names them; expected.json itself is none."""
    return sorted(
        path.relative_to(FIXTURES_DIR).as_posix()
        for path in FIXTURES_DIR.rglob("*")
        if path.suffix in TEMPLATE_SUFFIXES and path != EXPECTED_FILE
    )


WIRING_RULES = {"HOP101", "HOP201", "HOP202", "HOP204", "HOP205"}
# The security-group hops of a path: the tasks' own groups under awsvpc, the container instances' in
# bridge or host mode.
SECURITY_GROUP_RULES = ({"HOP301", "HOP303"}, {"HOP503", "HOP504"})


def proves_the_main_path(rule_ids: set) -> bool:
    """Whether these rules, PASSED on a stack, cover client -> listener -> target group -> task."""
    return WIRING_RULES <= rule_ids and any(group <= rule_ids for group in SECURITY_GROUP_RULES)
