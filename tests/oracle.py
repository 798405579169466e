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


def fixture_templates() -> list:
    """Every template under FIXTURES_DIR, as expected.json names them; expected.json itself is none."""
    return sorted(
        path.relative_to(FIXTURES_DIR).as_posix()
        for path in FIXTURES_DIR.rglob("*")
        if path.suffix in TEMPLATE_SUFFIXES and path != EXPECTED_FILE
    )
