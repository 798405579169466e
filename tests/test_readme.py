"""The README: its rule table is the catalog, each ✅ backed by a failing fixture in that language; and every
command it gives a user checks the user's repository (tests/readme_commands.py runs them)."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from policies.catalog import RULES
from readme_commands import (
    PIP_INSTALL,
    README,
    SHELL_BLOCK,
    assert_every_command_caught_the_broken_hop,
    readme_blocks,
    run_readme,
    user_repository,
)

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


# Every command the README gives a user works from the user's own repository, against the installed pack.

BIN_DIR = os.path.dirname(sys.executable)  # the tools of the environment the tests run in, the pack installed there
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}  # offline
EXTRAS = {"", "checkov", "cfn-lint", "checkov,cfn-lint"}  # those setup.cfg declares, and none


def user_environment(home) -> dict:
    """The user's shell: the environment's tools first on PATH, no PYTHONPATH into the checkout, a HOME of
    their own (no ~/.cfnlintrc)."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "NO_COLOR")}
    return dict(environment, PATH=os.pathsep.join((BIN_DIR, os.environ.get("PATH", ""))), HOME=str(home), **CHECKOV_ENV)


def test_each_extra_a_readme_install_names_exists():
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg")
    declared = set(config["options.extras_require"])
    installs = [PIP_INSTALL.match(command) for block in readme_blocks() for command in block]
    named = {extra for match in installs if match and match.group(1) for extra in match.group(1).split(",")}
    assert named and named <= declared


def test_every_user_command_is_in_a_shell_block():
    """Commands outside ```shell blocks would escape the test below: only `make`, for a checkout, is elsewhere."""
    text = SHELL_BLOCK.sub("", README.read_text())
    outside = re.findall(r"^(?: {4}|\t)(?:\$ )?((?:checkov|cfn-lint|hoplint|pip|curl|pre-commit|terraform)\b.*)$", text,
                         re.M)
    assert outside == []


def test_every_readme_command_checks_the_users_repository(tmp_path):
    """From a repository outside the checkout, each command of each ```shell block, in order, with the pack as
    installed in this environment (tests/test_packaging.py does the same after a fresh install)."""
    repository = user_repository(tmp_path / "repository")
    assert_every_command_caught_the_broken_hop(run_readme(repository, user_environment(tmp_path), lambda extras: None),
                                               repository)


def test_readme_cfnlintrc_snippet_appends_the_installed_rules(tmp_path):
    (snippet,) = [block for block in re.findall(r"^```yaml\n(.*?)^```", README.read_text(), re.S | re.M)
                  if "append_rules" in block]
    repository = user_repository(tmp_path / "repository")
    (repository / ".cfnlintrc").write_text(snippet)
    linted = subprocess.run(["cfn-lint", "infra/app.yaml"], cwd=repository, env=user_environment(tmp_path),
                            capture_output=True, text=True, timeout=300, check=False)
    assert linted.returncode == 2 and linted.stdout.startswith("E9303 service AppService"), linted.stderr
