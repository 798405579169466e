"""Applications of several templates, judged as CloudFormation deploys them, through the engine and the real
checkov, cfn-lint and hoplint CLIs: fixtures/cloudformation-applications/{good,bad}/<application>/.

Each bad application breaks one hop in the template where a team would break it (a security group in the
network stack, a parameter value in the deployment description); its expected.json lists the findings
each must produce that are not PASSED, with the file and line of the property to fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from checkov_runs import run_checkov
from oracle import APPLICATIONS, APPLICATIONS_DIR, REPO_ROOT, proves_the_main_path, templates_of

from policies import RULES, Verdict
from policies.analysis import analyze_paths
from policies.findings import fix_resource

EXPECTED = json.loads((APPLICATIONS_DIR / "expected.json").read_text())
BAD = [name for name in APPLICATIONS if name.startswith("bad/")]
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
HOPLINT = Path(sys.executable).with_name("hoplint")


def not_passed(application: str) -> list:
    return sorted((f["rule"], f["verdict"], f["resource"], f["file"], f["line"]) for f in EXPECTED[application])


def test_every_application_fixture_is_listed():
    directories = sorted(path.relative_to(APPLICATIONS_DIR).as_posix()
                         for path in APPLICATIONS_DIR.glob("*/*") if path.is_dir())
    assert directories == APPLICATIONS
    for name in BAD:  # each bad application breaks the rule its name says, and only that one
        rule = name.split("/")[1].split("-")[0]
        assert {f["rule"] for f in EXPECTED[name] if f["verdict"] == "FAILED"} == {rule}, name


@pytest.mark.parametrize("application", APPLICATIONS)
def test_the_engine_judges_the_application_as_deployed(application, monkeypatch):
    directory = APPLICATIONS_DIR / application
    monkeypatch.chdir(directory)  # as a user scans it: the deployment description at the root of the scan
    scan = analyze_paths(templates_of(application))
    assert scan.scan.problems == {} and len(scan.analyses) == 1, (scan.scan.problems, scan.analyses)
    analysis = scan.analyses[0]
    assert analysis.problems == []
    found = sorted((f.rule_id, f.verdict.value, f.resource, Path(f.file).as_posix(), f.line)
                   for f in analysis.findings if f.verdict is not Verdict.PASSED)
    assert found == not_passed(application)
    if application.startswith("good/"):
        services = {f.resource for f in analysis.findings if f.rule_id == "HOP202"}
        for service in services:
            proved = {f.rule_id for f in analysis.findings if f.verdict is Verdict.PASSED and (
                f.resource == service or f.rule_id in ("HOP101", "HOP201"))}
            assert proves_the_main_path(proved), (service, sorted(proved))


@pytest.mark.parametrize("application", BAD)
def test_checkov_fails_the_broken_hop_of_the_application_on_the_resource_to_fix(application, tmp_path):
    directory = APPLICATIONS_DIR / application
    run = run_checkov("-d", ".", "--framework", "cloudformation", "--check", "CKV_HOP_*", cwd=directory,
                      output_dir=tmp_path)
    failed = sorted((record["check_id"], record["file_path"].lstrip("/"), record["resource"].split(".")[-1])
                    for record in run.records if record["status"] == "FAILED")
    scan = analyze_paths([str(directory / name) for name in templates_of(application)])
    expected = sorted((RULES[finding.rule_id].checkov_id, Path(file).relative_to(directory).as_posix(), logical_id)
                      for finding in scan.analyses[0].findings if finding.verdict is Verdict.FAILED
                      for file, logical_id in [fix_resource(finding)])
    assert failed == expected and len(expected) == len(
        [f for f in EXPECTED[application] if f["verdict"] == "FAILED"])
    assert run.process.returncode == 1


@pytest.mark.parametrize("application", BAD)
def test_cfn_lint_underlines_the_line_to_change_in_the_template_that_holds_it(application, tmp_path):
    environment = dict(os.environ, HOME=str(tmp_path))  # no user .cfnlintrc
    process = subprocess.run(
        [str(CFN_LINT), "--append-rules", str(REPO_ROOT / "custom_checks" / "cfn_lint"), "--format", "parseable",
         "--", *templates_of(application)],
        cwd=APPLICATIONS_DIR / application, env=environment, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in process.stderr, process.stderr
    # parseable: file:line:column:end line:end column:rule:message
    fields = [line.split(":", 6) for line in process.stdout.splitlines()]
    hoplint_matches = sorted((field[0], int(field[1]), field[5]) for field in fields
                             if len(field) == 7 and field[5][1:2] == "9")
    expected = sorted((f["file"], f["line"], "E9" + f["rule"][3:]) for f in EXPECTED[application]
                      if f["verdict"] == "FAILED")
    assert hoplint_matches == expected


@pytest.mark.parametrize("application", APPLICATIONS)
def test_explain_draws_the_paths_across_the_templates(application, tmp_path):
    process = subprocess.run([str(HOPLINT), "explain", "--format", "json", "."], cwd=APPLICATIONS_DIR / application,
                             capture_output=True, text=True, timeout=600)
    report = json.loads(process.stdout)
    (explained,) = report["templates"]
    assert explained["problems"] == []
    assert sorted(explained["files"]) == sorted(templates_of(application))
    failed = {f["rule"] for path in explained["paths"] for gate in path["gates"] + path["nodes"]
              for f in gate["findings"] if f["verdict"] == "FAILED"}
    assert failed == {f["rule"] for f in EXPECTED[application] if f["verdict"] == "FAILED"}
    breaking = {rule for rule in failed if not RULES[rule].informational}  # HOP206 fails nothing
    assert process.returncode == (1 if breaking else 0), process.stderr
