"""`make corpus` (corpus/measure.py): reading the three tools' outputs, comparing them with the labels, and the
deployment descriptions of corpus/.

The comparison runs on synthetic tool outputs shaped like the real ones; one test runs the entry point, with
the real tools, over a small corpus built from the project's own fixtures, so it runs where ../shared does not
exist. The real corpus is `make corpus`, not part of `make test`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from oracle import FIXTURES_DIR, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "corpus"))
import measure  # noqa: E402  (corpus/measure.py)

APP = Path("/corpus/cloudformation/shop")
SERVICE_FILE, NETWORK_FILE = "services/api.yaml", "network.yaml"

LABELS_TSV = (
    "app\tpaths\texpected_failed\tnotes\n"
    "shop\t2\tHOP303\tone real defect\n"
    "blog\t1\t-\tworks as deployed\n"
    "wiki\t\tHOP101, HOP306\ttwo rules, no path count\n"
)


def checkov_record(check_id: str, file: str, resource: str, details: list) -> dict:
    return {"check_id": check_id, "file_path": f"/{file}", "file_abs_path": str(APP / file),
            "resource": resource, "details": details, "check_result": {"result": "FAILED"}}


def cfn_lint_match(rule_id: str, file: str, line: int, message: str) -> dict:
    return {"Rule": {"Id": rule_id}, "Filename": str(APP / file), "Message": message, "Level": "Error",
            "Location": {"Start": {"LineNumber": line, "ColumnNumber": 7}, "Path": ["Resources"]}}


def finding(rule: str, verdict: str, resource: str, message: str, line: int = 10, severity: str = "error") -> dict:
    return {"rule": rule, "verdict": verdict, "resource": resource, "message": message, "line": line,
            "severity": severity, "resource_type": "AWS::ECS::Service", "path": ["Resources", resource]}


def path(gates: dict, node_findings: tuple = ()) -> dict:
    return {"verdict": None, "gates": [{"gate": name, "verdict": verdict, "findings": list(findings)}
                                       for name, (verdict, findings) in gates.items()],
            "nodes": [{"kind": "target group", "verdict": None, "findings": list(node_findings)}]}


BROKEN_TASK_SG = finding("HOP303", "FAILED", "Api", "task SG ApiSg allows tcp/80 from AlbSg, but the target port "
                                                     "is 8080", line=46)
PORT_NOTE = finding("HOP206", "FAILED", "ApiTg", "Port is 80, but the service registers targets on ContainerPort 8080",
                    severity="information")
EXPLANATION = {"templates": [
    {"source": str(APP / SERVICE_FILE), "problems": [], "other_findings": [
        finding("HOP101", "FAILED", "RedirectListener", "ALB SG AlbSg does not allow tcp/8443")],
     "paths": [
         # An awsvpc path: four seed gates, three decided.
         path({"ALB SG in": ("PASSED", ()), "ALB SG out": ("UNKNOWN", ()), "task SG in": ("FAILED", (BROKEN_TASK_SG,)),
               "health check": ("PASSED", ())}, (PORT_NOTE,)),
         # A bridge mode path through the same task SG finding: its ingress gate is the instances'; an ACL gate is
         # no seed gate.
         path({"ALB SG in": ("PASSED", ()), "ALB ACL in": ("PASSED", ()), "ALB SG out": (None, ()),
               "instance SG in": ("FAILED", (BROKEN_TASK_SG,)), "health check": ("UNKNOWN", ())}),
     ]},
    {"source": str(APP / NETWORK_FILE), "problems": [], "other_findings": [], "paths": []},
]}


def run_of(*failures: tuple) -> measure.ToolRun:
    return measure.ToolRun([measure.Failure(file, rule, message) for file, rule, message in failures])


def test_labels_are_read_from_the_corpus_tsv():
    labels = measure.read_labels(LABELS_TSV)
    assert labels["shop"] == measure.Label("shop", 2, frozenset({"HOP303"}), "one real defect")
    assert labels["blog"].expected_failed == frozenset()
    assert (labels["wiki"].paths, labels["wiki"].expected_failed) == (None, frozenset({"HOP101", "HOP306"}))


def test_checkov_failures_are_the_packs_failed_records_information_aside():
    report = {"check_type": "cloudformation", "results": {"failed_checks": [
        checkov_record("CKV_HOP_303", SERVICE_FILE, "AWS::ECS::Service.Api", [BROKEN_TASK_SG["message"]]),
        checkov_record("CKV_HOP_206", SERVICE_FILE, "AWS::ElasticLoadBalancingV2::TargetGroup.ApiTg", ["note"]),
        checkov_record("CKV_AWS_260", NETWORK_FILE, "AWS::EC2::SecurityGroup.AlbSg", []),
    ]}}
    expected = [measure.Failure(SERVICE_FILE, "HOP303", BROKEN_TASK_SG["message"])]
    assert measure.checkov_failures(report, APP) == expected
    assert measure.checkov_failures([report, {"check_type": "secrets", "results": {}}], APP) == expected


def test_cfn_lint_failures_are_the_packs_matches_information_and_problems_aside():
    matches = [cfn_lint_match("E9303", SERVICE_FILE, 46, "service Api: task SG ApiSg allows tcp/80"),
               cfn_lint_match("I9206", SERVICE_FILE, 81, "Port is 80"),
               cfn_lint_match("I9000", NETWORK_FILE, 1, "hoplint could not analyse this template"),
               cfn_lint_match("E3012", NETWORK_FILE, 5, "not a number")]
    assert measure.cfn_lint_failures(matches, APP) == [
        measure.Failure(SERVICE_FILE, "HOP303", "service Api: task SG ApiSg allows tcp/80 (line 46)")]


def test_explain_failures_count_a_finding_shown_on_two_paths_once_and_leave_information_out():
    assert measure.explain_failures(EXPLANATION, APP) == [
        measure.Failure(SERVICE_FILE, "HOP303", f"{BROKEN_TASK_SG['message']} (line 46)"),
        measure.Failure(SERVICE_FILE, "HOP101", "ALB SG AlbSg does not allow tcp/8443 (line 10)"),
    ]


def test_seed_gates_are_four_per_path_and_decided_when_passed_or_failed():
    gates = measure.seed_gates(EXPLANATION)
    assert (gates.paths, gates.decided, gates.total) == (2, 3 + 2, 8)
    assert measure.seed_gates(None) == measure.Gates()  # explain broke down: no path to count


def test_false_alarms_misses_and_disagreements():
    label = measure.read_labels(LABELS_TSV)["shop"]  # HOP303 must fail
    runs = {
        measure.CHECKOV: run_of((SERVICE_FILE, "HOP303", "broken"), (NETWORK_FILE, "HOP101", "alarm, checkov")),
        measure.CFN_LINT: run_of((SERVICE_FILE, "HOP303", "broken"), (NETWORK_FILE, "HOP101", "alarm, cfn-lint"),
                                 (NETWORK_FILE, "HOP101", "alarm, cfn-lint, second listener")),
        measure.EXPLAIN: run_of((NETWORK_FILE, "HOP101", "alarm, explain")),
    }
    result = measure.compare(measure.AppResult(APP, label, runs, measure.Gates()))
    assert result.false_alarms == {(NETWORK_FILE, "HOP101"): {
        measure.CHECKOV: ["alarm, checkov"], measure.CFN_LINT: ["alarm, cfn-lint", "alarm, cfn-lint, second listener"],
        measure.EXPLAIN: ["alarm, explain"]}}
    assert result.misses == {"HOP303": [measure.EXPLAIN]}
    assert result.disagreements == {(SERVICE_FILE, "HOP303"): [measure.CHECKOV, measure.CFN_LINT]}
    assert not result.agree


def test_tools_that_fail_the_same_rules_in_the_same_files_agree():
    label = measure.read_labels(LABELS_TSV)["shop"]
    runs = {tool: run_of((SERVICE_FILE, "HOP303", f"said by {tool}")) for tool in measure.TOOLS}
    result = measure.compare(measure.AppResult(APP, label, runs, measure.Gates()))
    assert (result.false_alarms, result.misses, result.disagreements, result.agree) == ({}, {}, {}, True)
    runs[measure.CFN_LINT].error = "exit 1: Traceback"
    assert not result.agree  # a tool that broke down agrees with nothing


def test_without_a_label_every_failure_is_a_false_alarm_and_the_line_says_why():
    runs = {tool: run_of((SERVICE_FILE, "HOP303", "broken")) for tool in measure.TOOLS}
    result = measure.compare(measure.AppResult(APP.with_name("unlabelled"), None, runs, measure.Gates(1, 4, 4)))
    assert list(result.false_alarms) == [(SERVICE_FILE, "HOP303")] and result.misses == {}
    assert measure.app_lines(result)[1] == "    no row in LABELS.tsv: every FAILED finding counts as a false alarm"


def test_app_lines_say_what_each_tool_said_and_what_explain_says_of_a_miss():
    label = measure.Label("shop", 2, frozenset({"HOP306"}), "")
    runs = {tool: run_of((SERVICE_FILE, "HOP303", BROKEN_TASK_SG["message"])) for tool in measure.TOOLS}
    runs[measure.EXPLAIN] = run_of()
    result = measure.compare(measure.AppResult(APP, label, runs, measure.seed_gates(EXPLANATION), EXPLANATION))
    assert measure.app_lines(result) == [
        "shop                       2 paths (2 labelled), 5/8 seed gates decided, 1 false alarms, 1 misses, "
        "TOOLS DISAGREE",
        f"    false alarm HOP303 in {SERVICE_FILE}, by checkov, cfn-lint:",
        f"        checkov: {BROKEN_TASK_SG['message']}",
        f"        cfn-lint: {BROKEN_TASK_SG['message']}",
        "    miss HOP306: no FAILED finding from checkov, cfn-lint, explain; explain says:",
        "        nothing: no finding of HOP306 on any resource",
        f"    disagree on HOP303 in {SERVICE_FILE}: failed by checkov, cfn-lint, not by explain",
    ]
    assert measure.explained_verdicts(EXPLANATION, "HOP303") == [f"FAILED on Api: {BROKEN_TASK_SG['message']}"]


def test_undecided_gates_say_why():
    undecided = PORT_NOTE | {"rule": "HOP301", "verdict": "UNKNOWN", "message": "ALB SG is imported"}
    explanation = {"templates": [{"source": str(APP / SERVICE_FILE), "paths": [
        {"label": "client -> listener L HTTP:80 -> ...", "gates": [
            {"gate": "ALB SG in", "verdict": "PASSED", "findings": []},
            {"gate": "ALB SG out", "verdict": "UNKNOWN", "findings": [undecided]},
            {"gate": "instance SG in", "verdict": None, "findings": []}]}]}]}
    assert measure.undecided_gates(explanation, APP) == [
        f"{SERVICE_FILE}: client -> listener L HTTP:80 -> ...: ALB SG out UNKNOWN: HOP301 ALB SG is imported",
        f"{SERVICE_FILE}: client -> listener L HTTP:80 -> ...: task SG in or instance SG in n/a: no rule judges it",
        f"{SERVICE_FILE}: client -> listener L HTTP:80 -> ...: health check n/a: no rule judges it",
    ]


def test_summary_line_adds_up_the_apps():
    shop = measure.AppResult(APP, None, {}, measure.Gates(2, 5, 8), false_alarms={("a", "HOP101"): {}},
                             misses={"HOP303": [], "HOP306": []})
    blog = measure.AppResult(APP.with_name("blog"), None, {}, measure.Gates(1, 4, 4))
    assert measure.summary_line([shop, blog]) == (
        "corpus: 2 apps, 3 paths, 9/12 seed gates decided, 1 false alarms, 2 misses")


def test_each_tool_gets_the_apps_deployment_description_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv(measure.DEPLOYMENT_VARIABLE, "/somewhere/else.yaml")
    (tmp_path / "shop.yaml").write_text("stacks: []\n")
    deployment = measure.deployment_file("shop", tmp_path)
    assert deployment == (tmp_path / "shop.yaml").resolve() and deployment.is_absolute()
    assert measure.tool_environment(deployment)[measure.DEPLOYMENT_VARIABLE] == str(deployment)
    assert measure.deployment_file("blog", tmp_path) is None
    assert measure.DEPLOYMENT_VARIABLE not in measure.tool_environment(None)


def test_cfn_lint_lints_every_template_of_the_app_in_one_run(tmp_path):
    for name in ("master.yaml", "templates/service.yml", "templates/params.json", "README.md", ".github/ci.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    commands = measure.tool_commands(tmp_path)
    assert commands[measure.CFN_LINT][-4:] == ["--", *(str(tmp_path / name) for name in (
        "master.yaml", "templates/params.json", "templates/service.yml"))]
    assert commands[measure.CHECKOV][-2:] == ["-d", str(tmp_path)]
    assert commands[measure.EXPLAIN][-4:] == ["explain", "--format", "json", str(tmp_path)]


# The deployment descriptions of the project's corpus/ directory


DEPLOYMENTS = sorted(measure.DEPLOYMENTS_DIR.glob("*.yaml"))


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda path: path.stem)
def test_deployment_descriptions_have_the_documented_shape(deployment):
    document = yaml.safe_load(deployment.read_text())
    assert set(document) == {"stacks"}
    for stack in document["stacks"]:
        assert set(stack) <= {"template", "name", "parameters"} and isinstance(stack["template"], str)
        assert isinstance(stack["name"], str) and stack["name"]
        parameters = stack.get("parameters", {})
        assert isinstance(parameters, (dict, str))
        if isinstance(parameters, dict):
            assert all(isinstance(key, str) and isinstance(value, (str, int)) for key, value in parameters.items())
    if measure.DEFAULT_CORPUS.is_dir():  # each template names one file of the app, as a suffix of its path
        app = measure.DEFAULT_CORPUS / "cloudformation" / deployment.stem
        assert app.is_dir(), f"no app {deployment.stem} in the corpus"
        scanned = [Path(template).relative_to(app).as_posix() for template in measure.app_templates(app)]
        for stack in document["stacks"]:
            assert [path for path in scanned if f"/{path}".endswith(f"/{stack['template']}")] == [stack["template"]]


def test_every_app_deployed_under_given_names_has_a_description():
    assert {path.stem for path in DEPLOYMENTS} == {
        "1strategy-fargate", "awslabs-ecs-ec2-private", "awslabs-ecs-ec2-public", "awslabs-fargate-private",
        "awslabs-fargate-public", "catsndogs", "ecs-refarch-cd", "fargate-private", "fargate-public", "startup-kit",
        "widdix-fargate"}


# The entry point, with the real tools, over a corpus made of the project's fixtures


def test_make_corpus_entry_point_on_a_corpus_of_fixtures(tmp_path, capsys):
    apps = {
        "clean": (["good/separate-health-check-port.yaml"], "-"),
        "broken": (["bad/HOP303-task-sg-allows-wrong-port.yaml"], "HOP303"),
        # HOP206 is information (no false alarm); HOP101 is a false alarm; HOP303 is a miss.
        "mislabelled": (["bad/HOP206-target-group-port-differs.yaml", "bad/HOP101-alb-sg-allows-wrong-port.yaml"],
                        "HOP303"),
    }
    corpus = tmp_path / "corpus"
    rows = ["app\tpaths\texpected_failed\tnotes"]
    for app, (fixtures, expected) in apps.items():
        for fixture in fixtures:
            (corpus / "cloudformation" / app / "stacks").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(FIXTURES_DIR / fixture, corpus / "cloudformation" / app / "stacks" / Path(fixture).name)
        rows.append(f"{app}\t{len(fixtures)}\t{expected}\tfixtures")
    (corpus / "LABELS.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "deployments").mkdir()

    assert measure.main(["--corpus", str(corpus)], deployments_dir=tmp_path / "deployments") == 0

    lines = capsys.readouterr().out.splitlines()
    apps_lines = {line.split()[0]: line for line in lines if not line.startswith((" ", "corpus:"))}
    for app in ("broken", "clean"):
        assert apps_lines[app].endswith("4/4 seed gates decided, 0 false alarms, 0 misses, tools agree"), lines
    assert apps_lines["mislabelled"].endswith("8/8 seed gates decided, 1 false alarms, 1 misses, tools agree")
    assert ("    false alarm HOP101 in stacks/HOP101-alb-sg-allows-wrong-port.yaml, by checkov, cfn-lint, explain:"
            in lines)
    assert "    miss HOP303: no FAILED finding from checkov, cfn-lint, explain; explain says:" in lines
    assert not [line for line in lines if "HOP206" in line or "broke down" in line or "disagree" in line]
    assert lines[-1] == "corpus: 3 apps, 4 paths, 16/16 seed gates decided, 1 false alarms, 1 misses"


def test_a_missing_corpus_is_a_usage_error(tmp_path, capsys):
    assert measure.main(["--corpus", str(tmp_path / "nowhere")]) == 2
    assert "no " in capsys.readouterr().err
