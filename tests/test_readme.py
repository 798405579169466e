"""The README's rule table is the catalog, and each ✅ is backed by a failing fixture in that language."""

from __future__ import annotations

import json
import re
from pathlib import Path

from policies.catalog import RULES

REPO_ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| \[(HOP\d{3})\]\(docs/rules/HOP\d{3}\.md\) \| (.*)$", re.M)


def failing_rules(language: str) -> set:
    expected = json.loads((REPO_ROOT / "fixtures" / language / "expected.json").read_text())
    return {entry["rule"] for entries in expected.values() for entry in entries if entry["verdict"] == "FAILED"}


def test_rule_table_is_the_catalog_and_every_language_mark_is_backed_by_a_failing_fixture():
    rows = {rule_id: [cell.strip() for cell in rest.strip(" |").split("|")]
            for rule_id, rest in ROW.findall((REPO_ROOT / "README.md").read_text())}
    assert list(rows) == list(RULES)
    failing = {"CloudFormation": failing_rules("cloudformation"), "Terraform": failing_rules("terraform")}
    for rule in RULES.values():
        checkov_id, cfn_lint_id, severity, cloudformation, terraform, title = rows[rule.id]
        assert (checkov_id, cfn_lint_id, severity, title) == (
            f"`{rule.checkov_id}`", f"`{rule.cfn_lint_id}`", rule.severity, rule.title)
        assert cloudformation == "✅" and rule.id in failing["CloudFormation"]
        assert terraform == "✅" and rule.id in failing["Terraform"]
