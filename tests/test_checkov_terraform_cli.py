"""hoplint's checkov checks on Terraform, through the real checkov CLI: configurations (`--framework
terraform`, checkov's rendered graph) and plans (`--framework terraform_plan`).

fixtures/terraform/expected.json is the oracle for FAILED verdicts; PASSED records and details are compared
with the engine's own findings, computed in this process from the graph checkov's runner renders. A FAILED
record lies on the resource a fix edits: the address that leads the path of the engine's finding.
UNKNOWN verdicts never become records. One checkov run covers every configuration fixture (one graph with
every root module), one covers both plans, a few small ones cover flags and skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from checkov_runs import CHECK_PREFIX, Checkov, run_checkov
from policies import RULES, Verdict
from policies.terraform import analyze_terraform, analyze_terraform_plan_file
from terraform_fixtures import (
    FIXTURES_DIR,
    REPO_ROOT,
    configuration_fixtures,
    graph_resources,
    load_expected,
    plan_fixtures,
)

RULE_OF_CHECK_ID = {rule.checkov_id: rule for rule in RULES.values()}
SEVERITY_OF_RULE = {"error": "HIGH", "warning": "LOW"}
SKIP_COMMENT = "accepted: the tasks are reached through a VPC endpoint"


def fixture_of(record: dict) -> str:
    """The fixture a record belongs to: <category>/<name> (local modules live inside it), or plan/<file>."""
    return "/".join(Path(record["file_abs_path"]).relative_to(FIXTURES_DIR).parts[:2])


def record_key(record: dict) -> tuple:
    return record["check_id"], fixture_of(record), record["resource"]


def keys_with(records: list, status: str) -> set:
    return {record_key(record) for record in records if record["status"] == status}


def oracle_keys(verdict: str, fixtures: list) -> set:
    return {(RULES[entry["rule"]].checkov_id, fixture, entry["resource"])
            for fixture in fixtures for entry in load_expected()[fixture] if entry["verdict"] == verdict}


def failed_findings(fixture: str) -> list:
    """The engine's FAILED findings of a fixture, each on a resource the oracle says FAILED."""
    expected = {(entry["rule"], entry["resource"])
                for entry in load_expected()[fixture] if entry["verdict"] == "FAILED"}
    failed = [f for f in engine_analysis(fixture).findings if f.verdict is Verdict.FAILED]
    assert {(f.rule_id, f.resource) for f in failed} == expected, fixture
    return failed


def failed_record_keys(fixtures: list) -> set:
    """Where checkov must report each FAILED verdict: on the address that leads its property's path."""
    return {(RULES[f.rule_id].checkov_id, fixture, f.path[0]) for fixture in fixtures for f in failed_findings(fixture)}


def engine_analysis(fixture: str):
    if fixture.startswith("plan/"):
        return analyze_terraform_plan_file(str(FIXTURES_DIR / fixture))
    return analyze_terraform(list(graph_resources(fixture)), fixture)


def engine_verdicts(fixture: str) -> dict:
    """(rule id, address) -> (verdict, findings) of the engine, for every pair it judged."""
    analysis = engine_analysis(fixture)
    assert not analysis.problems, analysis.problems
    return {(f.rule_id, f.resource): analysis.verdict(f.rule_id, f.resource) for f in analysis.findings}


def engine_keys(verdict: Verdict, fixtures: list) -> set:
    return {(RULES[rule_id].checkov_id, fixture, address)
            for fixture in fixtures
            for (rule_id, address), (judged, _) in engine_verdicts(fixture).items() if judged is verdict}


@pytest.fixture(scope="module")
def configurations(tmp_path_factory: pytest.TempPathFactory) -> Checkov:
    """Every configuration fixture at once: one -d, one graph holding every root module."""
    return run_checkov("-d", str(FIXTURES_DIR), "--framework", "terraform", "--check", f"{CHECK_PREFIX}*",
                       cwd=REPO_ROOT, output_dir=tmp_path_factory.mktemp("checkov-terraform"))


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Checkov:
    """Both plans, with -f relative to the working directory."""
    files = [arg for fixture in plan_fixtures() for arg in ("-f", os.path.relpath(FIXTURES_DIR / fixture, REPO_ROOT))]
    return run_checkov(*files, "--framework", "terraform_plan", "--check", f"{CHECK_PREFIX}*",
                       cwd=REPO_ROOT, output_dir=tmp_path_factory.mktemp("checkov-plan"))


@pytest.fixture(params=["configurations", "plans"])
def run(request) -> tuple:
    """(checkov run, the fixtures it scanned)."""
    fixtures = configuration_fixtures() if request.param == "configurations" else plan_fixtures()
    return request.getfixturevalue(request.param), fixtures


def test_every_rules_check_reports_on_terraform(configurations: Checkov) -> None:
    assert {record["check_id"] for record in configurations.records} == set(RULE_OF_CHECK_ID)


def test_failed_records_are_exactly_the_oracles_failed_findings_on_the_resources_to_fix(run) -> None:
    result, fixtures = run
    assert keys_with(result.records, "FAILED") == failed_record_keys(fixtures)
    # e.g. HOP303 on aws_ecs_service.app, fixed in aws_vpc_security_group_ingress_rule.app_from_alb
    assert failed_record_keys(fixtures) - oracle_keys("FAILED", fixtures), "no failure is fixed in another resource"


def test_passed_records_are_exactly_the_engines_passed_verdicts(run) -> None:
    result, fixtures = run
    assert keys_with(result.records, "PASSED") == engine_keys(Verdict.PASSED, fixtures)


def test_unknown_verdicts_are_never_reported(run) -> None:
    result, fixtures = run
    unknown = engine_keys(Verdict.UNKNOWN, fixtures)
    assert not unknown & {record_key(record) for record in result.records}


def test_good_fixtures_pass_and_never_fail(configurations: Checkov) -> None:
    for fixture in (f for f in configuration_fixtures() if f.startswith("good/")):
        statuses = {record["status"] for record in configurations.records if fixture_of(record) == fixture}
        assert statuses == {"PASSED"}, fixture


def test_records_carry_the_engines_messages_the_rules_metadata_and_the_resource_lines(run) -> None:
    result, fixtures = run
    verdicts = {fixture: engine_verdicts(fixture) for fixture in fixtures}
    lines = {(fixture, r["address"]): r["start_line"]
             for fixture in fixtures if not fixture.startswith("plan/") for r in graph_resources(fixture)}
    for record in result.records:
        check_id, fixture, address = record_key(record)
        rule = RULE_OF_CHECK_ID[check_id]
        if record["status"] == "PASSED":
            _, findings = verdicts[fixture][rule.id, address]
            assert record["details"] == [f.message for f in findings], record_key(record)
            assert record["resource"].split(".")[-2].split("[")[0] in rule.terraform_types()
        else:
            messages = [f.message for f in failed_findings(fixture) if f.rule_id == rule.id and f.path[0] == address]
            assert messages and sorted(record["details"]) == sorted(messages), record_key(record)
        assert (record["severity"], record["check_name"], record["guideline"]) == (
            SEVERITY_OF_RULE[rule.severity], rule.title, rule.doc_url)
        if (fixture, address) in lines:
            assert record["file_line_range"][0] == lines[fixture, address]


def test_local_module_resources_are_reported_by_their_module_address(configurations: Checkov) -> None:
    resources = {record["resource"] for record in configurations.records
                 if fixture_of(record) == "good/local-module" and record["check_id"] == "CKV_HOP_303"}
    assert resources == {"module.billing.aws_ecs_service.this"}


@pytest.mark.parametrize("skipped_in", ["aws_ecs_service.app", "aws_vpc_security_group_ingress_rule.app_from_alb"])
def test_check_flag_and_a_skip_comment_on_the_service_or_on_the_resource_to_fix(tmp_path: Path, skipped_in) -> None:
    """-d on a copy of one bad fixture, --check of its rule, a `#checkov:skip` comment in the service the verdict
    is about or in the ingress rule resource its FAILED record lies on: either skips that record."""
    fixture, check_id = "bad/HOP303-task-sg-allows-wrong-port", "CKV_HOP_303"
    copy = tmp_path / "infra"
    shutil.copytree(FIXTURES_DIR / fixture, copy)
    main = copy / "main.tf"
    resource_type, name = skipped_in.split(".")
    header = f'resource "{resource_type}" "{name}" {{\n'
    main.write_text(main.read_text().replace(header, f"{header}  #checkov:skip={check_id}:{SKIP_COMMENT}\n"))

    result = run_checkov("-d", str(copy), "--framework", "terraform", "--check", check_id, cwd=tmp_path,
                         output_dir=tmp_path)

    assert [(r["check_id"], r["resource"], r["status"], r["check_result"].get("suppress_comment"))
            for r in result.records] == [
        (check_id, "aws_vpc_security_group_ingress_rule.app_from_alb", "SKIPPED", SKIP_COMMENT)]


def test_skip_check_flag_on_a_plan(tmp_path: Path) -> None:
    result = run_checkov("-f", str(FIXTURES_DIR / "plan/bad.json"), "--framework", "terraform_plan",
                         "--skip-check", "CKV_HOP_303", cwd=tmp_path, output_dir=tmp_path)
    assert "CKV_HOP_303" not in {record["check_id"] for record in result.records}
    assert keys_with(result.records, "FAILED") == set()
    assert keys_with(result.records, "PASSED")


def test_records_keep_the_resources_tags_and_masks_without_copying_its_blocks(tmp_path: Path) -> None:
    """The adapter hands checkov a cut-down config_ per result (checkov copies it twice and writes it into
    JSON reports): the record still gets the resource's tags, `--mask` still hides a value in its code
    block, and the nested blocks are not copied into it."""
    copy = tmp_path / "infra"
    shutil.copytree(FIXTURES_DIR / "good/plain-http", copy)
    main = copy / "main.tf"
    main.write_text(main.read_text().replace(
        'resource "aws_ecs_service" "app" {\n',
        'resource "aws_ecs_service" "app" {\n  tags = { team = "payments" }\n'))

    result = run_checkov("-d", str(copy), "--framework", "terraform", "--check", "CKV_HOP_303",
                         "--mask", "aws_ecs_service:name", cwd=tmp_path, output_dir=tmp_path)

    [record] = result.records
    assert (record["resource"], record["status"]) == ("aws_ecs_service.app", "PASSED")
    assert record["entity_tags"] == {"team": "payments"}
    code = "".join(line for _, line in record["code_block"])
    assert "launch_type" in code and "web-app" not in code
    arguments = record["check_result"]["entity"]["aws_ecs_service"]["app"]
    assert arguments["name"] == ["web-app"] and arguments["launch_type"] == ["FARGATE"]
    assert "load_balancer" not in arguments and "network_configuration" not in arguments
