"""hoplint's cfn-lint rules, run by the real cfn-lint CLI over the fixtures, with expected.json as oracle.

Each cfn-lint start costs a second or two, so every test runs cfn-lint once over all its templates.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from importlib.util import find_spec
from pathlib import Path

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.rules import Rules
from cfnlint.runner import run_template_by_data

from oracle import FIXTURES_DIR, REPO_ROOT, fixture_templates, load_expected
from policies import RULES, Analysis, Finding, Verdict

ADAPTER_DIR = REPO_ROOT / "custom_checks" / "cfn_lint"
# The cfn-lint of the interpreter running the tests, not whichever one is first on PATH.
CFN_LINT = shutil.which("cfn-lint", path=os.path.dirname(sys.executable))
HOPLINT_RULE_ID = re.compile(r"[EWI]9\d{3}")  # the catalog's E9nnn, W9nnn and I9nnn, and I9000
# cfn-lint's exit code is a bit set of the levels it found (2 error, 4 warning, 8 informational); 1 is a crash.
LEVEL_BITS = 2 | 4 | 8
LEVEL_OF_SEVERITY = {"error": "Error", "warning": "Warning", "information": "Informational"}
SARIF_LEVEL_OF_SEVERITY = {"error": "error", "warning": "warning", "information": "note"}
# cfn-lint runs informational rules only when included: the catalog's information rules (I9206), by id.
INCLUDE_INFORMATION = ("--include-checks", *(rule.cfn_lint_id for rule in RULES.values() if rule.informational))
TARGET_GROUP_PORT_DIFFERS = "bad/HOP206-target-group-port-differs.yaml"  # information only


def run_cfn_lint(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    if CFN_LINT is None:
        pytest.fail(f"cfn-lint is not installed next to {sys.executable}")
    env = dict(os.environ, HOME=str(home), PYTHONDONTWRITEBYTECODE="1")  # no ~/.cfnlintrc, no __pycache__
    result = subprocess.run(
        [CFN_LINT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode & ~LEVEL_BITS == 0, f"cfn-lint failed ({result.returncode}):\n{result.stderr}"
    return result


def hoplint_matches(json_output: str) -> list:
    """The matches of hoplint's rules in cfn-lint's `-f json` output."""
    matches = json.loads(json_output)
    rule_crashes = [match["Message"] for match in matches if match["Rule"]["Id"] == "E0002"]
    assert not rule_crashes, rule_crashes
    return [match for match in matches if HOPLINT_RULE_ID.fullmatch(match["Rule"]["Id"])]


def lint(templates: list, *options: str, cwd: Path, home: Path) -> dict:
    """Template (as named to cfn-lint) -> hoplint's matches in it, from one run with hoplint's rules appended."""
    result = run_cfn_lint(
        "--append-rules", str(ADAPTER_DIR), "--format", "json", *options, "--", *templates, cwd=cwd, home=home
    )
    by_template = {template: [] for template in templates}
    for match in hoplint_matches(result.stdout):
        by_template[match["Filename"]].append(match)
    return by_template


def rule_ids(matches: list) -> list:
    return sorted(match["Rule"]["Id"] for match in matches)


def rules_and_lines(matches: list) -> Counter:
    return Counter((match["Rule"]["Id"], match["Location"]["Start"]["LineNumber"]) for match in matches)


def expected_rules_and_lines(fixture: str) -> Counter:
    """What cfn-lint must report for a fixture: each FAILED finding, as its cfn-lint rule id and line."""
    findings = load_expected()[fixture]
    return Counter((RULES[f["rule"]].cfn_lint_id, f["line"]) for f in findings if f["verdict"] == "FAILED")


@pytest.fixture(scope="module")
def fixture_matches(tmp_path_factory) -> dict:
    """Fixture path -> hoplint's matches in it, from one cfn-lint run over every fixture, information included."""
    return lint(fixture_templates(), *INCLUDE_INFORMATION, cwd=FIXTURES_DIR, home=tmp_path_factory.mktemp("home"))


@pytest.mark.parametrize("fixture", fixture_templates())
def test_fixture_matches_are_the_expected_failed_findings(fixture, fixture_matches):
    assert rules_and_lines(fixture_matches[fixture]) == expected_rules_and_lines(fixture)


def test_good_fixtures_are_clean_under_every_cfn_lint_rule_not_only_hoplints(tmp_path):
    """What `make demo` shows: a good template is one a user could commit, so cfn-lint's own rules find
    nothing in it either (an opinion of cfn-lint's that a fixture keeps on purpose is ignored in its Metadata)."""
    good = [fixture for fixture in fixture_templates() if fixture.startswith("good/")]
    assert good
    result = run_cfn_lint("--append-rules", str(ADAPTER_DIR), "--format", "json", "--", *good, cwd=FIXTURES_DIR,
                          home=tmp_path)
    assert result.returncode == 0, [(m["Filename"], m["Rule"]["Id"], m["Message"]) for m in json.loads(result.stdout)]


def test_json_output_names_and_describes_the_catalog_rule(fixture_matches):
    rules_by_cfn_lint_id = {rule.cfn_lint_id: rule for rule in RULES.values()}
    matches = [match for matches in fixture_matches.values() for match in matches]
    assert matches, "no fixture produced a hoplint match"
    for match in matches:
        rule = rules_by_cfn_lint_id[match["Rule"]["Id"]]
        assert match["Rule"]["ShortDescription"] == rule.title
        assert match["Rule"]["Source"] == rule.doc_url
        assert match["Level"] == LEVEL_OF_SEVERITY[rule.severity]
        assert match["Location"]["Path"][:1] == ["Resources"]
        assert match["Message"]


def test_lists_one_rule_per_catalog_rule(tmp_path):
    listing = run_cfn_lint("--append-rules", str(ADAPTER_DIR), "--list-rules", cwd=tmp_path, home=tmp_path).stdout
    listed = dict(re.findall(r"^([EWI]9\d{3}): (.*)$", listing, re.MULTILINE))
    assert listed == {
        "I9000": "Ensure hoplint could analyse the template",
        **{rule.cfn_lint_id: rule.title for rule in RULES.values()},
    }


# Two Fargate services behind one ALB share a security group that admits the ALB on port 80, while
# their containers listen on 8080: HOP303 fails for each service, at the same rule of ServiceSg.
TWO_SERVICES_ONE_WRONG_SG = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "AlbSg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "ALB",
                "VpcId": "vpc-0123456789abcdef0",
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}],
            },
        },
        "Alb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {
                "Scheme": "internet-facing",
                "SecurityGroups": [{"Ref": "AlbSg"}],
                "Subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            },
        },
        "Listener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "LoadBalancerArn": {"Ref": "Alb"},
                "Port": 80,
                "Protocol": "HTTP",
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "ApiTg"}}],
            },
        },
        "WebRule": {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "ListenerArn": {"Ref": "Listener"},
                "Priority": 1,
                "Conditions": [{"Field": "path-pattern", "Values": ["/web/*"]}],
                "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "WebTg"}}],
            },
        },
        **{
            target_group: {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {
                    "Port": 8080,
                    "Protocol": "HTTP",
                    "TargetType": "ip",
                    "VpcId": "vpc-0123456789abcdef0",
                },
            }
            for target_group in ("ApiTg", "WebTg")
        },
        "ServiceSg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "tasks",
                "VpcId": "vpc-0123456789abcdef0",
                "SecurityGroupIngress": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 80,
                        "ToPort": 80,
                        "SourceSecurityGroupId": {"Fn::GetAtt": ["AlbSg", "GroupId"]},
                    }
                ],
            },
        },
        "TaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": "256",
                "Memory": "512",
                "ContainerDefinitions": [
                    {"Name": "app", "Image": "nginx", "PortMappings": [{"ContainerPort": 8080, "Protocol": "tcp"}]}
                ],
            },
        },
        **{
            service: {
                "Type": "AWS::ECS::Service",
                "DependsOn": ["Listener", "WebRule"],
                "Properties": {
                    "LaunchType": "FARGATE",
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "DesiredCount": 1,
                    "LoadBalancers": [
                        {"ContainerName": "app", "ContainerPort": 8080, "TargetGroupArn": {"Ref": target_group}}
                    ],
                    "NetworkConfiguration": {
                        "AwsvpcConfiguration": {
                            "SecurityGroups": [{"Ref": "ServiceSg"}],
                            "Subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                        }
                    },
                },
            }
            for service, target_group in (("ApiService", "ApiTg"), ("WebService", "WebTg"))
        },
    },
}
E9303 = RULES["HOP303"].cfn_lint_id


def ignoring_e9303(where: str | None) -> dict:
    """The two-service template, with `Metadata: cfn-lint: config: ignore_checks: [E9303]` on resource
    `where`, or on the whole template when `where` is None."""
    template = copy.deepcopy(TWO_SERVICES_ONE_WRONG_SG)
    holder = template if where is None else template["Resources"][where]
    holder["Metadata"] = {"cfn-lint": {"config": {"ignore_checks": [E9303]}}}
    return template


def write_templates(directory: Path, templates: dict) -> list:
    for name, template in templates.items():
        (directory / name).write_text(json.dumps(template, indent=2))
    return list(templates)


def test_metadata_ignore_checks_on_the_resource_to_fix_or_reported_on(tmp_path):
    names = write_templates(
        tmp_path,
        {
            "plain.json": TWO_SERVICES_ONE_WRONG_SG,
            "on-security-group.json": ignoring_e9303("ServiceSg"),  # where cfn-lint places the match
            "on-one-service.json": ignoring_e9303("ApiService"),  # what the verdict is reported on
            "on-another-resource.json": ignoring_e9303("TaskDefinition"),
            "on-template.json": ignoring_e9303(None),
        },
    )
    matches = lint(names, cwd=tmp_path, home=tmp_path)
    assert {name: rule_ids(found) for name, found in matches.items()} == {
        "plain.json": [E9303, E9303],
        "on-security-group.json": [],
        "on-one-service.json": [E9303],
        "on-another-resource.json": [E9303, E9303],
        "on-template.json": [],
    }
    assert "WebService" in matches["on-one-service.json"][0]["Message"]
    assert {tuple(m["Location"]["Path"][:2]) for m in matches["plain.json"]} == {("Resources", "ServiceSg")}


def test_a_checkov_skip_on_the_resource_to_fix_or_reported_on_silences_cfn_lint_too(tmp_path):
    """One skip, in checkov's syntax, quiets every tool that reports hoplint's rules (policies.suppressions): in
    the Metadata or as a comment, on the rule resource cfn-lint underlines or on the service judged."""
    fixture = FIXTURES_DIR / "bad" / "HOP303-standalone-ingress-wrong-port.yaml"
    skips = {"metadata": "    Metadata:\n      checkov:\n        skip:\n          - id: CKV_HOP_303\n",
             "comment": "    # checkov:skip=CKV_HOP_303:accepted\n"}
    templates = {"plain.yaml": fixture.read_text(), "other-check.yaml": fixture.read_text().replace(
        "  AppService:\n", "  AppService:\n" + skips["metadata"].replace("303", "304"))}
    for resource in ("AppIngressFromAlb", "AppService"):
        for form, skip in skips.items():
            templates[f"{resource}-{form}.yaml"] = fixture.read_text().replace(f"  {resource}:\n",
                                                                               f"  {resource}:\n{skip}")
    for name, text in templates.items():
        (tmp_path / name).write_text(text)
    matches = lint(list(templates), cwd=tmp_path, home=tmp_path)
    assert {name: rule_ids(found) for name, found in matches.items()} == {
        name: [E9303] if name in ("plain.yaml", "other-check.yaml") else [] for name in templates}


@pytest.mark.parametrize(
    "options, expected",
    [
        (("--ignore-checks", E9303), []),
        (("--ignore-checks", "E9"), []),
        # Informational rules are off unless included; including them changes nothing for hoplint's.
        (("--include-checks", "I"), [E9303, E9303]),
        # Mandatory checks win over ignored ones, as for cfn-lint's own rules.
        (("--ignore-checks", "E", "W", "--mandatory-checks", E9303), [E9303, E9303]),
    ],
)
def test_cli_rule_selection(tmp_path, options, expected):
    names = write_templates(tmp_path, {"stack.json": TWO_SERVICES_ONE_WRONG_SG})
    assert rule_ids(lint(names, *options, cwd=tmp_path, home=tmp_path)["stack.json"]) == expected


ONE_BRANCH_FAILS = "bad/HOP303-fails-in-one-branch.yaml"  # AppSg admits tcp/8443 when EnableTaskTls is "true"
WRONG_PORT_IN_ONE_BRANCH = ("service AppService (LoadBalancers[0] -> AppTargetGroup): task SG AppSg allows tcp/8443 "
                            "from AlbSg, but the target port is 8080")


def parameter_options(how: str, value: str, directory: Path) -> tuple:
    """cfn-lint's options giving EnableTaskTls `value` to stack.yaml: `how` is --parameters, --parameter-files or
    --deployment-files (which name the template themselves)."""
    if how == "--parameters":
        return "--parameters", f"EnableTaskTls={value}", "--", "stack.yaml"
    if how == "--parameter-files":
        (directory / "parameters.json").write_text(json.dumps([{"ParameterKey": "EnableTaskTls",
                                                               "ParameterValue": value}]))
        return "--parameter-files", "parameters.json", "--", "stack.yaml"
    (directory / "deployment.yaml").write_text(
        f"template-file-path: stack.yaml\nparameters:\n  EnableTaskTls: \"{value}\"\n")
    return ("--deployment-files", "deployment.yaml")


@pytest.mark.parametrize("how", ["--parameters", "--parameter-files", "--deployment-files"])
@pytest.mark.parametrize("value, expected", [
    ("true", [WRONG_PORT_IN_ONE_BRANCH]),  # the deployment given: no "when TaskTls is true" left to say
    ("false", []),  # the broken branch is not deployed
])
def test_parameter_values_given_to_cfn_lint_are_the_deployment_judged(tmp_path, how, value, expected):
    (tmp_path / "stack.yaml").write_text((FIXTURES_DIR / ONE_BRANCH_FAILS).read_text())
    result = run_cfn_lint("--append-rules", str(ADAPTER_DIR), "--format", "json",
                          *parameter_options(how, value, tmp_path), cwd=tmp_path, home=tmp_path)
    if how == "--parameter-files":
        # cfn-lint (1.58, runner/cli.py) lints the template with each parameter file's values, then once more
        # without them: that run judges every branch, as without parameter values.
        expected = [*expected, WRONG_PORT_IN_ONE_BRANCH + " (when TaskTls is true)"]
    assert [match["Message"] for match in hoplint_matches(result.stdout)] == expected


def test_without_parameter_values_every_branch_is_judged(tmp_path):
    (tmp_path / "stack.yaml").write_text((FIXTURES_DIR / ONE_BRANCH_FAILS).read_text())
    matches = lint(["stack.yaml"], cwd=tmp_path, home=tmp_path)["stack.yaml"]
    assert [match["Message"] for match in matches] == [WRONG_PORT_IN_ONE_BRANCH + " (when TaskTls is true)"]


def test_cfnlintrc_append_rules_loads_the_rules(tmp_path):
    (tmp_path / "custom_checks").symlink_to(REPO_ROOT / "custom_checks")
    (tmp_path / ".cfnlintrc").write_text("append_rules:\n  - custom_checks/cfn_lint\n")
    names = write_templates(tmp_path, {"stack.json": TWO_SERVICES_ONE_WRONG_SG})
    result = run_cfn_lint("--format", "json", "--", *names, cwd=tmp_path, home=tmp_path)
    assert rule_ids(hoplint_matches(result.stdout)) == [E9303, E9303]


@pytest.mark.skipif(find_spec("sarif_om") is None, reason="cfn-lint[sarif] (its SARIF formatter) is not installed")
def test_sarif_output(tmp_path):
    bad = [fixture for fixture in fixture_templates() if expected_rules_and_lines(fixture)]
    assert bad, "no fixture with a FAILED finding"
    result = run_cfn_lint(
        "--append-rules", str(ADAPTER_DIR), "--format", "sarif", *INCLUDE_INFORMATION, "--", *bad, cwd=FIXTURES_DIR,
        home=tmp_path
    )
    run = json.loads(result.stdout)["runs"][0]
    rules_by_cfn_lint_id = {rule.cfn_lint_id: rule for rule in RULES.values()}
    # cfn-lint leaves out SARIF's default level, warning.
    levels = {(r["ruleId"], r.get("level", "warning")) for r in run["results"] if r["ruleId"] in rules_by_cfn_lint_id}
    assert levels == {(rule_id, SARIF_LEVEL_OF_SEVERITY[rules_by_cfn_lint_id[rule_id].severity])
                      for rule_id, _ in levels}
    assert {level for _, level in levels} == {"error", "warning", "note"}
    reported = Counter(
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in run["results"]
        if HOPLINT_RULE_ID.fullmatch(r["ruleId"])
    )
    expected = Counter()
    for fixture in bad:
        for (rule, line), count in expected_rules_and_lines(fixture).items():
            expected[fixture, rule, line] = count
    assert reported == expected
    help_uris = {rule["id"]: rule["helpUri"] for rule in run["tool"]["driver"]["rules"]}
    for rule in RULES.values():
        if rule.cfn_lint_id in help_uris:
            assert help_uris[rule.cfn_lint_id] == rule.doc_url
    default_levels = {rule["id"]: rule.get("defaultConfiguration") for rule in run["tool"]["driver"]["rules"]}
    for rule in RULES.values():
        if rule.informational:
            assert default_levels[rule.cfn_lint_id] == {"level": "note"}


def test_information_is_reported_only_when_included_and_fails_as_cfn_lint_is_told(tmp_path):
    """HOP206 is I9206: cfn-lint runs informational rules only when included, so by default it neither shows
    nor fails. Included, it shows at its line, and sets exit bit 8 unless --non-zero-exit-code says warning."""
    (information_id,) = INCLUDE_INFORMATION[1:]

    def cfn_lint(*options: str) -> subprocess.CompletedProcess:
        return run_cfn_lint("--append-rules", str(ADAPTER_DIR), "--format", "json", *options, "--",
                            TARGET_GROUP_PORT_DIFFERS, cwd=FIXTURES_DIR, home=tmp_path)

    default = cfn_lint()
    assert (default.returncode, hoplint_matches(default.stdout)) == (0, [])
    included = cfn_lint(*INCLUDE_INFORMATION)
    assert included.returncode == 8
    assert rules_and_lines(hoplint_matches(included.stdout)) == expected_rules_and_lines(TARGET_GROUP_PORT_DIFFERS)
    assert rule_ids(hoplint_matches(included.stdout)) == [information_id]
    assert cfn_lint(*INCLUDE_INFORMATION, "--non-zero-exit-code", "warning").returncode == 0


def lint_in_process(template: dict) -> list:
    """hoplint's matches for a template, from cfn-lint's runner in this process with only hoplint's rules
    (and its informational I9000, which cfn-lint runs only when included)."""
    rules = Rules.create_from_directory(str(ADAPTER_DIR))
    document, errors = decode_str(json.dumps(template))
    assert not errors
    matches = run_template_by_data(document, ConfigMixIn(["--include-checks", "I9000"]), rules)
    return [match for match in matches if HOPLINT_RULE_ID.fullmatch(match.rule.id)]


@pytest.fixture
def engine(monkeypatch, tmp_path):
    """Replaces the engine as the cfn-lint rules see it: `engine(fake)` makes fake(template, source) answer."""
    monkeypatch.chdir(tmp_path)  # cfn-lint's configuration: no .cfnlintrc here nor in HOME
    monkeypatch.setenv("HOME", str(tmp_path))
    Rules.create_from_directory(str(ADAPTER_DIR))  # imports the adapter's shared module
    return lambda fake: monkeypatch.setattr(sys.modules["_hoplint_cfn_lint"], "engine_analysis", fake)


def test_engine_exception_is_one_i9000_and_silences_the_catalog_rules(engine):
    def crash(document, source):
        raise RuntimeError("boom")

    engine(crash)
    matches = lint_in_process(TWO_SERVICES_ONE_WRONG_SG)
    assert [match.rule.id for match in matches] == ["I9000"]
    assert "RuntimeError: boom" in matches[0].message


def test_analysis_problems_are_i9000_and_silence_the_catalog_rules(engine):
    failed = Finding("HOP303", Verdict.FAILED, "ApiService", "AWS::ECS::Service", "broken", ("Resources", "Alb"))
    engine(lambda document, source: Analysis(source, findings=[failed], problems=["first", "second"]))
    matches = lint_in_process(TWO_SERVICES_ONE_WRONG_SG)
    assert sorted((match.rule.id, match.message) for match in matches) == [
        ("I9000", "hoplint could not analyse this template: first"),
        ("I9000", "hoplint could not analyse this template: second"),
    ]


def test_a_value_the_template_gets_wrong_is_one_i9000_per_rule_and_resource(engine):
    # `engine` only isolates cfn-lint's configuration here: the real engine answers.
    template = copy.deepcopy(TWO_SERVICES_ONE_WRONG_SG)
    template["Resources"]["ServiceSg"]["Properties"]["SecurityGroupIngress"][0]["FromPort"] = "eighty"
    matches = lint_in_process(template)
    assert sorted((match.rule.id, match.message) for match in matches) == [
        ("I9000", f"hoplint could not judge E9303 (HOP303) on {service}: Resources/ServiceSg/Properties/"
                  f"SecurityGroupIngress/0/FromPort: port 'eighty' is not a number")
        for service in ("ApiService", "WebService")
    ]
    template["Resources"]["ApiService"]["Metadata"] = {"cfn-lint": {"config": {"ignore_checks": [E9303]}}}
    assert ["WebService" in match.message for match in lint_in_process(template)] == [True]


def test_a_host_port_the_template_gets_wrong_is_one_i9000_per_container_instance_rule(engine):
    # In bridge mode the host port is where the container instances' and the ALB's groups must let traffic
    # through: both gates are left unjudged, and each names the port mapping.
    template, errors = decode_str((FIXTURES_DIR / "good/ec2-bridge-dynamic-host-ports.yaml").read_text())
    assert not errors
    template["Resources"]["AppTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["PortMappings"][0][
        "HostPort"] = "abc"
    host_port = "Resources/AppTaskDefinition/Properties/ContainerDefinitions/0/PortMappings/0/HostPort"
    unreadable = f"{host_port}: port 'abc' is not a number"
    assert sorted((match.rule.id, match.message) for match in lint_in_process(template)) == [
        ("I9000", f"hoplint could not judge {rule.cfn_lint_id} ({rule.id}) on AppService: {unreadable}")
        for rule in (RULES["HOP503"], RULES["HOP504"])
    ]


def test_engine_runs_once_per_template_for_all_rules(engine):
    calls = []

    def count(document, source):
        calls.append(source)
        return Analysis(source)

    engine(count)
    assert lint_in_process(TWO_SERVICES_ONE_WRONG_SG) == []
    assert len(calls) == 1
