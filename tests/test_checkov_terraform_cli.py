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
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from checkov_runs import EVERY_CHECK, Checkov, run_checkov
from policies import RULES, Verdict
from policies.findings import worst_verdict
from policies.terraform_analysis import analyze_terraform, analyze_terraform_plan_file
from policies.terraform.resources import resources_of_records
from terraform_fixtures import (
    FIXTURES_DIR,
    REPO_ROOT,
    SHARED_MODULES,
    configuration_fixtures,
    graph_resources,
    load_expected,
    plan_fixtures,
    record_names,
    vendored_fixtures,
)

RULE_OF_CHECK_ID = {rule.checkov_id: rule for rule in RULES.values()}
SEVERITY_OF_RULE = {"error": "HIGH", "warning": "LOW", "information": "INFO"}
SKIP_COMMENT = "accepted: the tasks are reached through a VPC endpoint"


@dataclass(frozen=True)
class FixtureRun:
    """One checkov run over fixtures: the run, the fixtures it scanned, the directory holding them."""

    checkov: Checkov
    fixtures: list
    base: Path

    def fixture_of(self, record: dict) -> str:
        """<category>/<name> (its modules live inside it), or plan/<file>."""
        return "/".join(Path(record["file_abs_path"]).relative_to(self.base).parts[:2])

    def key(self, record: dict) -> tuple:
        return record["check_id"], self.fixture_of(record), record["resource"]

    def keys_with(self, status: str) -> set:
        return {self.key(record) for record in self.checkov.records if record["status"] == status}


@dataclass(frozen=True)
class Reported:
    """What the adapter must report on one record: the worst verdict of the engine's findings on the resources
    the record stands for, the messages of that verdict, and the line the resources start on."""

    verdict: object
    messages: list
    start_line: object


def failed_findings(fixture: str) -> list:
    """The engine's FAILED findings of a fixture, each on a resource the oracle says FAILED."""
    expected = {(entry["rule"], entry["resource"])
                for entry in load_expected()[fixture] if entry["verdict"] == "FAILED"}
    failed = [f for f in engine_analysis(fixture).findings if f.verdict is Verdict.FAILED]
    assert {(f.rule_id, f.resource) for f in failed} == expected, fixture
    return failed


def failed_record_keys(fixtures: list) -> set:
    """Where checkov must report each FAILED verdict: on the record of the address that leads its property's
    path."""
    keys = set()
    for fixture in fixtures:
        _, record_of = records_of(fixture, every_resource=True)
        keys |= {(RULES[f.rule_id].checkov_id, fixture, record_of.get(f.path[0], f.path[0]))
                 for f in failed_findings(fixture)}
    return keys


def engine_analysis(fixture: str):
    if fixture.startswith("plan/"):
        return analyze_terraform_plan_file(str(FIXTURES_DIR / fixture))
    return analyze_terraform(list(graph_resources(fixture)), fixture)


def records_of(fixture: str, every_resource: bool = False) -> tuple:
    """(the engine's analysis of the fixture, its resource address -> the name of the record reporting it), for
    the resources its findings are about, or for every resource (those a fix edits too).

    A record is named by checkov's vertex: for a resource whose count or for_each checkov could not evaluate,
    its address without instance key (resources_of_records, as the adapter maps them)."""
    analysis = engine_analysis(fixture)
    assert not analysis.problems, analysis.problems
    resources = {finding.resource for finding in analysis.findings}
    if every_resource:
        resources.update(*(deployment.topology.resource_types for deployment in analysis.deployments))
    names = resources if fixture.startswith("plan/") else record_names().get(fixture, set())
    record_of = {resource: record for record, mapped in resources_of_records(names, resources).items()
                 for resource in mapped}
    return analysis, record_of


def engine_reports(fixture: str) -> dict:
    """(checkov id, record name) -> Reported, for every rule and record the engine judged."""
    analysis, record_of = records_of(fixture)
    lines = {} if fixture.startswith("plan/") else {r["address"]: r["start_line"] for r in graph_resources(fixture)}
    grouped: dict = {}
    for finding in analysis.findings:
        grouped.setdefault((RULES[finding.rule_id].checkov_id, record_of[finding.resource]), []).append(finding)
    reports = {}
    for key, findings in grouped.items():
        verdict = worst_verdict(finding.verdict for finding in findings)
        reports[key] = Reported(verdict, [f.message for f in findings if f.verdict == verdict],
                                lines.get(findings[0].resource))
    return reports


def engine_keys(verdict: object, fixtures: list) -> set:
    return {(check_id, fixture, record) for fixture in fixtures
            for (check_id, record), reported in engine_reports(fixture).items() if reported.verdict is verdict}


def oracle_keys(verdict: str, fixtures: list) -> set:
    keys = set()
    for fixture in fixtures:
        record_of = records_of(fixture)[1]
        keys |= {(RULES[entry["rule"]].checkov_id, fixture, record_of[entry["resource"]])
                 for entry in load_expected()[fixture] if entry["verdict"] == verdict}
    return keys


@pytest.fixture(scope="module")
def configurations(tmp_path_factory: pytest.TempPathFactory) -> FixtureRun:
    """Every configuration fixture at once, each root module with its own copy of the shared stand-in modules
    (vendored_fixtures): one -d, one graph holding every root module."""
    base = vendored_fixtures(tmp_path_factory.mktemp("fixtures"))
    checkov = run_checkov("-d", str(base), "--framework", "terraform", "--check", EVERY_CHECK,
                          cwd=REPO_ROOT, output_dir=tmp_path_factory.mktemp("checkov-terraform"))
    return FixtureRun(checkov, configuration_fixtures(), base)


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> FixtureRun:
    """Both plans, with -f relative to the working directory."""
    files = [arg for fixture in plan_fixtures() for arg in ("-f", os.path.relpath(FIXTURES_DIR / fixture, REPO_ROOT))]
    checkov = run_checkov(*files, "--framework", "terraform_plan", "--check", EVERY_CHECK,
                          cwd=REPO_ROOT, output_dir=tmp_path_factory.mktemp("checkov-plan"))
    return FixtureRun(checkov, plan_fixtures(), FIXTURES_DIR)


@pytest.fixture(params=["configurations", "plans"])
def run(request) -> FixtureRun:
    return request.getfixturevalue(request.param)


def test_every_rules_check_reports_on_terraform(configurations: FixtureRun) -> None:
    assert {record["check_id"] for record in configurations.checkov.records} == set(RULE_OF_CHECK_ID)


def test_failed_records_are_exactly_the_oracles_failed_findings_on_the_resources_to_fix(run: FixtureRun) -> None:
    assert run.keys_with("FAILED") == failed_record_keys(run.fixtures)
    # e.g. HOP303 on aws_ecs_service.app, fixed in aws_vpc_security_group_ingress_rule.app_from_alb
    assert failed_record_keys(run.fixtures) - oracle_keys("FAILED", run.fixtures), "no failure is fixed elsewhere"


def test_passed_records_are_exactly_the_engines_passed_verdicts(run: FixtureRun) -> None:
    assert run.keys_with("PASSED") == engine_keys(Verdict.PASSED, run.fixtures)


def test_unknown_verdicts_are_never_reported(run: FixtureRun) -> None:
    unknown = engine_keys(Verdict.UNKNOWN, run.fixtures)
    assert not unknown & {run.key(record) for record in run.checkov.records}


def test_good_fixtures_pass_and_never_fail(configurations: FixtureRun) -> None:
    for fixture in (f for f in configuration_fixtures() if f.startswith("good/")):
        statuses = {record["status"] for record in configurations.checkov.records
                    if configurations.fixture_of(record) == fixture}
        assert statuses == {"PASSED"}, fixture


def test_records_carry_the_engines_messages_the_rules_metadata_and_the_resource_lines(run: FixtureRun) -> None:
    reports = {fixture: engine_reports(fixture) for fixture in run.fixtures}
    for record in run.checkov.records:
        check_id, fixture, name = run.key(record)
        rule = RULE_OF_CHECK_ID[check_id]
        if record["status"] == "PASSED":
            reported = reports[fixture][check_id, name]
            assert record["details"] == reported.messages, run.key(record)
            assert record["resource"].split(".")[-2].split("[")[0] in rule.terraform_types()
            if reported.start_line is not None:
                assert record["file_line_range"][0] == reported.start_line
        else:
            _, record_of = records_of(fixture, every_resource=True)
            messages = [f.message for f in failed_findings(fixture)
                        if f.rule_id == rule.id and record_of.get(f.path[0], f.path[0]) == name]
            assert messages and sorted(record["details"]) == sorted(messages), run.key(record)
        assert (record["severity"], record["check_name"], record["guideline"]) == (
            SEVERITY_OF_RULE[rule.severity], rule.title, rule.doc_url)


def test_local_module_resources_are_reported_by_their_module_address(configurations: FixtureRun) -> None:
    resources = {record["resource"] for record in configurations.checkov.records
                 if configurations.fixture_of(record) == "good/local-module" and record["check_id"] == "CKV_HOP_303"}
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
    statuses = [record["status"] for record in result.records]
    assert "FAILED" not in statuses and "PASSED" in statuses


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


# checkov's CLI with the registry's answer to "which versions of this module exist" already in its cache, as
# a first download would leave it: with its download directory filled, checkov then reads the modules there and
# asks the network nothing (registry_loader.py: RegistryLoader.modules_versions_cache).
REGISTRY_VERSIONS = {"terraform-aws-modules/alb/aws": ["10.0.2", "9.17.0"],
                     "terraform-aws-modules/ecs/aws": ["7.0.1", "5.12.1"]}
CHECKOV_WITH_KNOWN_REGISTRY_VERSIONS = f"""
import sys
from checkov.terraform.module_loading.loaders.registry_loader import RegistryLoader
for source, versions in {REGISTRY_VERSIONS!r}.items():
    RegistryLoader.modules_versions_cache[f"https://registry.terraform.io/v1/modules/{{source}}/versions"] = versions
from checkov.main import Checkov
sys.argv[0] = "checkov"
sys.exit(Checkov().run())
"""


def test_registry_modules_downloaded_by_checkov_are_judged_like_local_ones(tmp_path: Path) -> None:
    """The good ALB + ECS fixture calling the registry modules by their registry names, scanned with
    --download-external-modules true: checkov's download directory (.external_modules) holds the stand-ins where
    checkov puts terraform-aws-modules/alb/aws and terraform-aws-modules/ecs/aws//modules/service."""
    root = tmp_path / "infra"
    root.mkdir()
    source = (FIXTURES_DIR / "good/terraform-aws-modules-alb-ecs/main.tf").read_text()
    (root / "main.tf").write_text(
        source.replace('source = "../../modules/alb"',
                       'source  = "terraform-aws-modules/alb/aws"\n  version = "~> 10.0"')
        .replace('source = "../../modules/ecs-service"',
                 'source  = "terraform-aws-modules/ecs/aws//modules/service"\n  version = "~> 7.0"'))
    downloads = root / ".external_modules" / "terraform-aws-modules"
    shutil.copytree(SHARED_MODULES / "alb", downloads / "alb" / "aws")
    for module, name in (("ecs-service", "service"), ("ecs-container-definition", "ecs-container-definition")):
        shutil.copytree(SHARED_MODULES / module, downloads / "ecs" / "aws" / "modules" / name)

    result = run_checkov("-d", str(root), "--framework", "terraform", "--download-external-modules", "true",
                         "--check", EVERY_CHECK, cwd=tmp_path, output_dir=tmp_path,
                         launcher=(sys.executable, "-c", CHECKOV_WITH_KNOWN_REGISTRY_VERSIONS))

    judged = {(record["check_id"], record["resource"], record["status"],
               Path(record["file_abs_path"]).relative_to(root).as_posix()) for record in result.records}
    alb = ".external_modules/terraform-aws-modules/alb/aws/main.tf"
    service = ".external_modules/terraform-aws-modules/ecs/aws/modules/service/main.tf"
    # checkov cannot evaluate the modules' for_each and count: one vertex, named without key, stands for them.
    listener, group = "module.alb.aws_lb_listener.this", "module.alb.aws_lb_target_group.this"
    assert judged == {
        *((check, listener, "PASSED", alb) for check in ("CKV_HOP_101", "CKV_HOP_201")),
        *((check, group, "PASSED", alb) for check in ("CKV_HOP_201", "CKV_HOP_203", "CKV_HOP_206", "CKV_HOP_211")),
        *((check, "module.web.aws_ecs_service.this", "PASSED", service) for check in (
            "CKV_HOP_202", "CKV_HOP_204", "CKV_HOP_205", "CKV_HOP_301", "CKV_HOP_303", "CKV_HOP_305", "CKV_HOP_306")),
        *((check, "module.web.aws_ecs_task_definition.this", "PASSED", service)
          for check in ("CKV_HOP_207", "CKV_HOP_208")),
    }
