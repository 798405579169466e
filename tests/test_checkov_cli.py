"""hoplint's checkov checks (custom_checks/checkov/) through the real checkov CLI.

expected.json is the oracle for FAILED and UNKNOWN verdicts: a FAILED record lies on the resource holding the
line the oracle says to fix (where cfn-lint underlines), a PASSED one on the resource the verdict is about.
PASSED records and details are compared with the engine's own findings: the adapter must report exactly
what the engine concluded, on the right resource. Checkov takes ~4 s to start, so one run covers every
fixture and a few small runs cover the flags.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import sys
from pathlib import Path

import pytest

import policies.analysis
import yaml
from checkov.common.bridgecrew.check_type import CheckType
from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.common.models.enums import CheckResult
from checkov.common.output.record import Record
from checkov.common.output.report import Report

from checkov_runs import (
    CHECK_PREFIX,
    CHECKS_DIR,
    EVERY_CHECK,
    INFORMATION_CHECK_IDS,
    Checkov,
    VertexGraph,
    run_checkov,
    service_vertex,
)
from oracle import FIXTURES_DIR, REPO_ROOT, fixture_templates, load_expected
from policies import RULES, Verdict, analyze_file
from policies.suppressions import CHECKOV, Suppression
from policies.wrapping import WRAPPED_MARK

RULE_OF_CHECK_ID = {rule.checkov_id: rule for rule in RULES.values()}
SEVERITY_OF_RULE = {"error": "HIGH", "warning": "LOW", "information": "INFO"}
SARIF_SCORE_OF_SEVERITY = {"HIGH": "8.9", "LOW": "3.9", "INFO": "0.0"}
SARIF_LEVEL_OF_SEVERITY = {"HIGH": "error", "LOW": "note", "INFO": "note"}
TARGET_GROUP_PORT_DIFFERS = "bad/HOP206-target-group-port-differs.yaml"  # information only
SKIP_COMMENT = "accepted: the tasks are reached through a VPC endpoint"


@functools.cache
def resource_nodes(fixture: str) -> dict:
    """Logical id -> (key node, body node) of each resource, as composed by PyYAML (JSON included)."""
    document = yaml.compose((FIXTURES_DIR / fixture).read_text(), Loader=yaml.SafeLoader)
    resources = next(value for key, value in document.value if key.value == "Resources")
    return {key.value: (key, body) for key, body in resources.value}


def template_resources(fixture: str) -> dict:
    """Logical id -> (resource type, 1-based line of the logical id, where checkov's line range starts)."""
    return {
        logical_id: (next(v.value for k, v in body.value if k.value == "Type"), key.start_mark.line + 1)
        for logical_id, (key, body) in resource_nodes(fixture).items()
    }


def resource_holding(fixture: str, line: int) -> str:
    """The logical id of the resource whose text holds `line` (the last one starting at or before it)."""
    starts = {logical_id: start for logical_id, (_, start) in template_resources(fixture).items() if start <= line}
    return max(starts, key=starts.get)


def checkov_key(rule_id: str, fixture: str, logical_id: str) -> tuple:
    """What checkov reports for a verdict: (check id, fixture, "<type>.<logical id>", first line)."""
    resource_type, line = template_resources(fixture)[logical_id]
    return RULES[rule_id].checkov_id, fixture, f"{resource_type}.{logical_id}", line


def record_key(record: dict, root: str = "") -> tuple:
    """checkov_key of a record; its file_path is relative to the scanned root, which is `root` inside FIXTURES_DIR."""
    fixture = (Path(root) / record["file_path"].lstrip("/")).as_posix()
    return record["check_id"], fixture, record["resource"], record["file_line_range"][0]


def logical_id(record: dict) -> str:
    return record["resource"].rsplit(".", 1)[-1]  # "<type>.<logical id>"


def keys_with(records: list, status: str, root: str = "") -> set:
    return {record_key(record, root) for record in records if record["status"] == status}


def oracle_keys(verdict: str, fixtures: list | None = None, rule_ids: set | None = None) -> set:
    """checkov_key of each oracle entry: on the resource to fix for FAILED, the resource judged otherwise."""
    return {
        checkov_key(entry["rule"], fixture, resource_holding(fixture, entry["line"]) if verdict == "FAILED"
                    else entry["resource"])
        for fixture, entries in load_expected().items()
        if fixtures is None or fixture in fixtures
        for entry in entries
        if entry["verdict"] == verdict and (rule_ids is None or entry["rule"] in rule_ids)
    }


def engine_verdicts(fixture: str) -> dict:
    """(rule id, logical id) -> (verdict, findings) of the engine, for every pair the engine judged."""
    analysis = analyze_file(str(FIXTURES_DIR / fixture))
    assert not analysis.problems, analysis.problems
    pairs = {(finding.rule_id, finding.resource) for finding in analysis.findings}
    return {pair: analysis.verdict(*pair) for pair in pairs}


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Checkov:
    """Every fixture at once, with -d relative to the working directory (the repository root). The file name
    checkov gives a check ("/bad/x.yaml") is relative to the -d root, so it cannot lead the adapter to the
    template from the working directory: this run proves the adapter finds templates anyway. Every check runs,
    those of information rules by their ids."""
    return run_checkov(
        "-d", os.path.relpath(FIXTURES_DIR, REPO_ROOT), "--framework", "cloudformation", "--check", EVERY_CHECK,
        cwd=REPO_ROOT, output_dir=tmp_path_factory.mktemp("checkov-bulk"), formats=("cli", "json", "sarif"),
    )


def test_every_rules_check_loads_and_reports(bulk: Checkov) -> None:
    assert {record["check_id"] for record in bulk.records} == set(RULE_OF_CHECK_ID)


def test_failed_records_are_exactly_the_oracles_failed_findings(bulk: Checkov) -> None:
    assert keys_with(bulk.records, "FAILED") == oracle_keys("FAILED")


def test_passed_records_are_exactly_the_engines_passed_verdicts(bulk: Checkov) -> None:
    proved = {
        checkov_key(rule_id, fixture, resource)
        for fixture in fixture_templates()
        for (rule_id, resource), (verdict, _) in engine_verdicts(fixture).items()
        if verdict == Verdict.PASSED
    }
    assert keys_with(bulk.records, "PASSED") == proved


def test_good_fixtures_pass_and_never_fail(bulk: Checkov) -> None:
    for fixture in (f for f in fixture_templates() if f.startswith("good/")):
        statuses = {record["status"] for record in bulk.records if record_key(record)[1] == fixture}
        assert statuses == {"PASSED"}, fixture


def test_unknown_findings_are_never_reported_as_a_verdict(bulk: Checkov) -> None:
    unknown = oracle_keys("UNKNOWN")
    assert unknown, "the fixtures exercise no UNKNOWN verdict"
    assert not unknown & keys_with(bulk.records, "PASSED")
    # A resource whose other hop of the same rule is broken is FAILED, and the oracle lists that too.
    assert not unknown & keys_with(bulk.records, "FAILED") - oracle_keys("FAILED")


def test_records_carry_the_engines_messages_as_details(bulk: Checkov) -> None:
    """A PASSED record: the messages of the verdict on its resource. A FAILED one: the messages of the failed
    findings whose property to fix lies in its resource, each naming the resource judged (the service)."""
    verdicts = {fixture: engine_verdicts(fixture) for fixture in fixture_templates()}
    for record in bulk.records:
        check_id, fixture, _, _ = record_key(record)
        rule_id = RULE_OF_CHECK_ID[check_id].id
        if record["status"] == "PASSED":
            _, findings = verdicts[fixture][rule_id, logical_id(record)]
            messages = [finding.message for finding in findings]
        else:
            messages = [finding.message for (judged_rule, _), (verdict, findings) in verdicts[fixture].items()
                        if judged_rule == rule_id and verdict == Verdict.FAILED for finding in findings
                        if finding.verdict == Verdict.FAILED
                        and resource_holding(fixture, finding.line) == logical_id(record)]
        assert messages and sorted(record["details"]) == sorted(messages), record_key(record)


def test_cli_output_shows_the_details(bulk: Checkov) -> None:
    cli_text = (bulk.output_dir / "results_cli.txt").read_text()
    failed = [record for record in bulk.records if record["status"] == "FAILED"]
    assert failed
    for record in failed:
        first, *others = record["details"]
        assert f"Details: {first}" in cli_text  # checkov indents the others under the first
        assert all(message in cli_text for message in others)


def test_sarif_results_carry_the_details_as_their_message(bulk: Checkov) -> None:
    """custom_checks/checkov/hoplint_checkov/hoplint_sarif.py moves them there from checkov's schema-invalid
    attachments."""
    sarif = json.loads((bulk.output_dir / "results_sarif.sarif").read_text())
    reported = sorted(
        (result["ruleId"], result["locations"][0]["physicalLocation"]["region"]["startLine"], result["level"],
         result["message"]["text"], "attachments" in result)
        for run in sarif["runs"]
        for result in run["results"]
        if result["ruleId"].startswith(CHECK_PREFIX)
    )
    failed = sorted(
        (record["check_id"], record["file_line_range"][0], SARIF_LEVEL_OF_SEVERITY[record["severity"]],
         "\n".join(record["details"]), False)
        for record in bulk.records
        if record["status"] == "FAILED"
    )
    assert reported == failed


@pytest.mark.parametrize("fixture, fixed_in", [
    ("bad/HOP303-standalone-ingress-wrong-port.yaml", "AppIngressFromAlb"),  # an AWS::EC2::SecurityGroupIngress
    ("bad/HOP303-task-sg-allows-wrong-port.yaml", "AppSg"),  # the group's inline SecurityGroupIngress
])
def test_a_failed_alert_opens_at_the_resource_to_fix_and_names_the_service(bulk: Checkov, fixture, fixed_in) -> None:
    """What code scanning shows: the SARIF result's location is the resource whose FromPort is wrong (line 58
    and 46, as the oracle says), not the ECS service, and its message names the service."""
    sarif = json.loads((bulk.output_dir / "results_sarif.sarif").read_text())
    [result] = [result for run in sarif["runs"] for result in run["results"]
                if result["ruleId"] == "CKV_HOP_303"
                and result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(fixture)]
    region = result["locations"][0]["physicalLocation"]["region"]
    [oracle_line] = [entry["line"] for entry in load_expected()[fixture] if entry["rule"] == "HOP303"]
    assert region["startLine"] == template_resources(fixture)[fixed_in][1]
    assert region["startLine"] <= oracle_line <= region["endLine"]
    assert result["message"]["text"].startswith(
        "service AppService (LoadBalancers[0] -> AppTargetGroup): task SG AppSg")


def test_records_carry_the_rules_severity_title_and_guideline(bulk: Checkov) -> None:
    severities = set()
    for record in bulk.records:
        rule = RULE_OF_CHECK_ID[record["check_id"]]
        assert record["severity"] == SEVERITY_OF_RULE[rule.severity]
        assert (record["check_name"], record["guideline"]) == (rule.title, rule.doc_url)
        severities.add(record["severity"])
    assert severities == {"HIGH", "LOW", "INFO"}, "the fixtures exercise no error, warning or information rule"
    sarif = json.loads((bulk.output_dir / "results_sarif.sarif").read_text())
    for run in sarif["runs"]:
        for sarif_rule in run["tool"]["driver"]["rules"]:
            rule = RULE_OF_CHECK_ID[sarif_rule["id"]]
            assert sarif_rule["helpUri"] == rule.doc_url
            severity = SEVERITY_OF_RULE[rule.severity]
            assert sarif_rule["properties"]["security-severity"] == SARIF_SCORE_OF_SEVERITY[severity]


# AppService's HOP303 fails; the property to fix is the FromPort of the AWS::EC2::SecurityGroupIngress
# AppIngressFromAlb, where its FAILED record lies.
SKIP_FIXTURE = "bad/HOP303-standalone-ingress-wrong-port.yaml"
SKIPPED_SERVICE, SKIPPED_FIX = "AppService", "AppIngressFromAlb"


def with_skip(fixture: str, resource: str, check_id: str, form: str) -> str:
    """The fixture's text with a checkov skip of `check_id` on `resource`: in its Metadata, or as a comment."""
    lines = (FIXTURES_DIR / fixture).read_text().splitlines(keepends=True)
    key, body = resource_nodes(fixture)[resource]
    indent = " " * body.start_mark.column
    skip = [f"# checkov:skip={check_id}:{SKIP_COMMENT}"] if form == "comment" else [
        "Metadata:",
        "  checkov:",
        "    skip:",
        f"      - id: {check_id}",
        f"        comment: {json.dumps(SKIP_COMMENT)}",
    ]
    after_logical_id = key.start_mark.line + 1
    lines[after_logical_id:after_logical_id] = [f"{indent}{line}\n" for line in skip]
    return "".join(lines)


def test_check_flag_and_a_skip_on_the_service_or_on_the_resource_to_fix(tmp_path: Path) -> None:
    """-f on files outside the working directory, --check of one rule, a checkov skip (Metadata or comment) on
    the service the verdict is about or on the resource its FAILED record lies on: each skips that record."""
    check_id = RULES["HOP303"].checkov_id
    variants = {f"{resource}-{form}.yaml": with_skip(SKIP_FIXTURE, resource, check_id, form)
                for resource in (SKIPPED_SERVICE, SKIPPED_FIX) for form in ("metadata", "comment")}
    (tmp_path / "templates").mkdir()
    for name, text in variants.items():
        (tmp_path / "templates" / name).write_text(text)
    (tmp_path / "cwd").mkdir()
    files = [arg for name in variants for arg in ("-f", str(tmp_path / "templates" / name))]

    result = run_checkov(*files, "--check", check_id, cwd=tmp_path / "cwd", output_dir=tmp_path / "out")

    records = {(Path(record["file_abs_path"]).name, record["resource"], record["status"],
                record["check_result"].get("suppress_comment")) for record in result.records}
    assert records == {(name, f"AWS::EC2::SecurityGroupIngress.{SKIPPED_FIX}", "SKIPPED", SKIP_COMMENT)
                       for name in variants}


def test_skip_check_flag(tmp_path: Path) -> None:
    """-d on an absolute directory, every framework with checkov's own checks too, --skip-check of one rule."""
    skipped_rule_id = "HOP303"
    bad = [fixture for fixture in fixture_templates() if fixture.startswith("bad/")]
    skipped_check_id = RULES[skipped_rule_id].checkov_id

    result = run_checkov(
        "-d", str(FIXTURES_DIR / "bad"), "--skip-check", skipped_check_id, cwd=tmp_path, output_dir=tmp_path
    )

    assert skipped_check_id not in {record["check_id"] for record in result.records}
    others = {rule_id for rule_id, rule in RULES.items() if rule_id != skipped_rule_id and not rule.informational}
    assert keys_with(result.records, "FAILED", root="bad") == oracle_keys("FAILED", bad, others)


def test_information_checks_run_only_when_named_and_fail_the_run_only_as_checkov_is_told(tmp_path: Path) -> None:
    """HOP206 never fails a run by default: `CKV_HOP_*`, or no --check, leaves it out. Named, it reports at
    severity INFO, SARIF level note, and fails the run as any check does, unless --hard-fail-on a higher
    severity or --soft-fail-on INFO (or its id) say otherwise."""
    template = str(FIXTURES_DIR / TARGET_GROUP_PORT_DIFFERS)
    (information_id,) = INFORMATION_CHECK_IDS

    def checkov(name: str, *args: str) -> Checkov:
        (tmp_path / name).mkdir()
        return run_checkov("-f", template, "--framework", "cloudformation", *args, cwd=tmp_path,
                           output_dir=tmp_path / name, formats=("json", "sarif"))

    glob = checkov("glob", "--check", f"{CHECK_PREFIX}*")
    assert glob.process.returncode == 0
    assert glob.records and information_id not in {record["check_id"] for record in glob.records}
    assert {record["status"] for record in glob.records} == {"PASSED"}

    named = checkov("named", "--check", information_id)
    assert named.process.returncode == 1
    ((check_id, status, severity, details),) = [(r["check_id"], r["status"], r["severity"], r["details"])
                                                for r in named.records]
    assert (check_id, status, severity) == (information_id, "FAILED", "INFO")
    assert details == [f.message for f in analyze_file(template).for_rule("HOP206") if f.verdict is Verdict.FAILED]
    sarif = json.loads((tmp_path / "named" / "results_sarif.sarif").read_text())
    (run,) = sarif["runs"]
    assert [result["level"] for result in run["results"]] == ["note"]
    assert [rule["defaultConfiguration"] for rule in run["tool"]["driver"]["rules"]] == [{"level": "note"}]

    for name, options in (("hard-fail-on-low", ("--hard-fail-on", "LOW")),
                          ("soft-fail-on-info", ("--soft-fail-on", "INFO")),
                          ("soft-fail-on-id", ("--soft-fail-on", information_id))):
        tolerated = checkov(name, "--check", EVERY_CHECK, *options)
        assert tolerated.process.returncode == 0, name
        assert [r["check_id"] for r in tolerated.records if r["status"] == "FAILED"] == [information_id], name


# In-process: what a CLI run cannot provoke on demand.


@pytest.fixture(scope="module")
def adapter():
    """The shared module and one check, imported the way checkov imports a check file: by path, as a top-level
    module named after its stem, with its directory on sys.path."""
    sys.path.insert(0, str(CHECKS_DIR))
    try:
        check = execute_check_file("hoplint_hop303").check
        yield sys.modules["hoplint_checkov.hoplint_checks"], check
    finally:
        sys.path.remove(str(CHECKS_DIR))


def execute_check_file(stem: str):
    spec = importlib.util.spec_from_file_location(stem, CHECKS_DIR / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_check_file_per_rule_with_the_rules_metadata(adapter) -> None:
    check_files = sorted(path.name for path in CHECKS_DIR.glob("hoplint_hop*.py"))
    assert check_files == sorted(f"hoplint_{rule_id.lower()}.py" for rule_id in RULES)
    _, check = adapter
    rule = RULES["HOP303"]
    assert (check.id, check.name, check.guideline, tuple(check.resource_types), check.severity.name) == (
        rule.checkov_id, rule.title, rule.doc_url, rule.cloudformation_types() + rule.terraform_types(),
        SEVERITY_OF_RULE[rule.severity],
    )


def test_each_check_is_registered_once_however_often_checkov_executes_its_file(adapter) -> None:
    module, check = adapter

    def registered() -> dict:
        return {framework: [each for each in get_graph_checks_registry(framework).checks if each.id == check.id]
                for framework in ("cloudformation", "terraform")}

    before = registered()
    again = execute_check_file("hoplint_hop303")  # checkov executes every check file once per runner
    assert sys.modules["hoplint_checkov.hoplint_checks"] is module  # the shared module ran once
    assert registered() == before and all(len(checks) == 1 for checks in before.values())
    assert again.check not in before["cloudformation"]


def test_executing_the_shared_module_again_wraps_report_add_record_once(adapter) -> None:
    module, _ = adapter
    wrapped = Report.add_record
    spec = importlib.util.spec_from_file_location(module.__name__, module.__file__)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert Report.add_record is wrapped
    assert getattr(wrapped, WRAPPED_MARK)
    assert not hasattr(wrapped.__wrapped__, WRAPPED_MARK)


def crash(path: str):
    raise RuntimeError("engine bug")


def test_an_engine_error_on_one_template_leaves_the_others_judged(adapter, tmp_path, monkeypatch, caplog) -> None:
    _, check = adapter
    broken, fine = tmp_path / "crash.yaml", FIXTURES_DIR / "bad" / "HOP303-task-sg-allows-wrong-port.yaml"
    broken.write_text(fine.read_text())
    judge = policies.analysis.analyze_application
    monkeypatch.setattr(policies.analysis, "analyze_application",
                        lambda application: crash(application) if application.label == str(broken) else judge(application))
    with caplog.at_level(logging.WARNING, logger="hoplint.checkov"):
        passed, failed, unknown = check.run(VertexGraph(service_vertex(broken), service_vertex(fine, "AppService")))
    assert (passed, [entity["file_path_"] for entity in failed], unknown) == ([], [str(fine)], [])
    assert f"hoplint: cannot judge {broken}: {broken}: hoplint could not analyse it (RuntimeError" in caplog.text


def test_an_engine_error_outside_any_template_judges_nothing_and_says_so(adapter, tmp_path, monkeypatch,
                                                                         caplog) -> None:
    module, check = adapter
    monkeypatch.setattr(module, "GraphVerdicts", crash)
    with caplog.at_level(logging.WARNING, logger="hoplint.checkov"):
        assert check.run(VertexGraph(service_vertex(tmp_path / "t.yaml"))) == ([], [], [])
    assert "hoplint: CKV_HOP_303 judged nothing: the engine failed" in caplog.text


def test_unjudgeable_templates_give_no_verdict_and_a_warning_naming_the_file(adapter, tmp_path, caplog) -> None:
    _, check = adapter
    template = tmp_path / "not-a-template.yaml"
    template.write_text("just: [a, list\n")
    with caplog.at_level(logging.WARNING, logger="hoplint.checkov"):
        assert check.run(VertexGraph(service_vertex(template))) == ([], [], [])
    assert f"hoplint: cannot judge {template}" in caplog.text


def test_details_hook_fills_only_records_the_engine_judged(adapter, tmp_path) -> None:
    def record(check_id: str, file_abs_path: str, logical_id: str) -> Record:
        return Record(
            check_id=check_id, bc_check_id=None, check_name="", check_result={"result": CheckResult.FAILED},
            code_block=[], file_path="/t.yaml", file_line_range=[1, 2],
            resource=f"AWS::ECS::Service.{logical_id}", evaluations={}, check_class="", file_abs_path=file_abs_path,
        )

    _, check = adapter
    template = str(FIXTURES_DIR / "bad" / "HOP303-task-sg-allows-wrong-port.yaml")
    check.run(VertexGraph(service_vertex(template, "AppService")))
    report = Report(CheckType.CLOUDFORMATION)
    judged = record("CKV_HOP_303", template, "AppService")
    other_resource = record("CKV_HOP_303", template, "ApiService")
    other_file = record("CKV_HOP_303", str(tmp_path / "gone.yaml"), "AppService")
    foreign_check = record("CKV_AWS_1", template, "AppService")
    for each in (judged, other_resource, other_file, foreign_check):
        report.add_record(each)
    assert report.failed_checks == [judged, other_resource, other_file, foreign_check]
    assert judged.details == [f.message for f in analyze_file(template).for_resource("HOP303", "AppService")]
    assert judged.details and other_resource.details == other_file.details == foreign_check.details == []


def test_a_resource_judged_for_two_root_modules_gets_the_worse_verdict(adapter) -> None:
    """A shared module's resource is one record for every root module that calls it (Terraform)."""
    module, _ = adapter
    entity = {"id_": "aws_ecs_service.this"}
    passed = module.Judged(Verdict.PASSED, ["fine in envs/staging"], entity)
    failed = module.Judged(Verdict.FAILED, ["broken in envs/prod"], entity)
    assert passed.worse(failed) == failed and failed.worse(passed) == failed
    both = module.Judged(Verdict.PASSED, ["fine in envs/staging", "fine in envs/prod"], entity)
    assert passed.worse(module.Judged(Verdict.PASSED, ["fine in envs/prod"], entity)) == both
    assert passed.worse(passed) == passed  # no message twice


def test_a_failure_not_accepted_outweighs_an_accepted_one_on_one_record(adapter) -> None:
    """A security group shared by two services: a skip on one service leaves the record FAILED for the other."""
    module, _ = adapter
    entity = {"id_": "AWS::EC2::SecurityGroup.ServiceSg"}
    accepted = module.Judged(Verdict.FAILED, ["service ApiService ..."], entity,
                             Suppression(CHECKOV, "CKV_HOP_303", "ApiService", SKIP_COMMENT))
    not_accepted = module.Judged(Verdict.FAILED, ["service WebService ..."], entity)
    assert accepted.worse(not_accepted) == not_accepted and not_accepted.worse(accepted) == not_accepted
    both = module.Judged(Verdict.FAILED, ["service ApiService ...", "service ApiService again"], entity,
                         accepted.suppression)
    assert accepted.worse(module.Judged(Verdict.FAILED, ["service ApiService again"], entity, accepted.suppression)) \
        == both

