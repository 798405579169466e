"""`hoplint explain`: paths and gates from the engine's findings, its three formats, exit codes and colour.

The paths are checked against the engine (every finding lands on a path or in "not on any path", each
once) and, for a few fixtures, gate by gate. The formats are checked by reading them back: JSON with
json, Mermaid with a strict parser of the subset written (tests/mermaid_flowchart.py).
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys

import pytest

import mermaid_flowchart
from oracle import FIXTURES_DIR, REPO_ROOT, fixture_templates, load_expected
from policies import RULES, Verdict, analyze_file
from policies.cli import EXIT_CLEAN, EXIT_FAILED, EXIT_USAGE, adapter_directory, main, terraform_directory_reader
from policies.explain import (
    ALB_ACL_IN,
    ALB_ACL_OUT,
    ALB_SG_IN,
    ALB_SG_OUT,
    HEALTH_CHECK,
    INSTANCE_SG_IN,
    TASK_ACL_IN,
    TASK_SG_IN,
    explain,
)

GOOD, BAD = FIXTURES_DIR / "good", FIXTURES_DIR / "bad"
WRONG_TASK_PORT = BAD / "HOP303-task-sg-allows-wrong-port.yaml"
TARGET_GROUP_PORT_DIFFERS = BAD / "HOP206-target-group-port-differs.yaml"  # information only
ANSI_ESCAPE = "\033["
PASSED, FAILED, UNKNOWN = Verdict.PASSED, Verdict.FAILED, Verdict.UNKNOWN

# Fixture -> (listener of each path, its gate verdicts: ALB SG in, ALB SG out, task SG in, health check).
# The health check fails where the security groups block the port it uses: its own (HOP302, HOP304), or the
# target port (HOP303, and HOP503, HOP504 toward container instances).
GATES = (ALB_SG_IN, ALB_SG_OUT, TASK_SG_IN, HEALTH_CHECK)
EXPECTED_GATES = {
    "bad/HOP303-task-sg-allows-wrong-port.yaml": [("HttpsListener", (PASSED, PASSED, FAILED, FAILED))],
    "bad/HOP101-alb-sg-allows-wrong-port.yaml": [("HttpListener", (FAILED, PASSED, PASSED, PASSED))],
    "bad/HOP302-alb-egress-misses-health-check-port.yaml": [("HttpListener", (PASSED, FAILED, PASSED, FAILED))],
    "bad/HOP304-task-sg-misses-health-check-port.yaml": [("HttpListener", (PASSED, PASSED, FAILED, FAILED))],
    "bad/HOP211-health-check-protocol-tcp.yaml": [("HttpListener", (PASSED, PASSED, PASSED, FAILED))],
    "unknown/imported-security-groups.yaml": [("HttpListener", (UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN))],
    # No listener forwards to the target group: no security-group gate can be judged (HOP202 says why).
    "bad/HOP202-target-group-not-forwarded.yaml": [(None, (None, None, None, PASSED))],
    "good/separate-health-check-port.yaml": [("HttpListener", (PASSED, PASSED, PASSED, PASSED))],
}
# Fixture -> (listener of each path, its gates by name and verdict), where blue/green, container instances or
# network ACLs make the gates differ from GATES.
EXPECTED_NAMED_GATES = {
    "good/blue-green-codedeploy.yaml": [
        ("HttpListener", ((ALB_SG_IN, PASSED), (ALB_SG_OUT, PASSED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
        ("TestListener", ((ALB_SG_IN, PASSED), (ALB_SG_OUT, PASSED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
    ],
    "bad/HOP402-test-listener-port-not-allowed.yaml": [
        ("HttpListener", ((ALB_SG_IN, PASSED), (ALB_SG_OUT, PASSED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
        ("TestListener", ((ALB_SG_IN, FAILED), (ALB_SG_OUT, PASSED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
    ],
    "bad/HOP403-dualstack-alb-admits-only-ipv4.yaml": [
        ("HttpListener", ((ALB_SG_IN, FAILED), (ALB_SG_OUT, PASSED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
    ],
    "bad/HOP503-instance-sg-admits-only-container-port.yaml": [
        ("HttpListener", ((ALB_SG_IN, PASSED), (ALB_SG_OUT, PASSED), (INSTANCE_SG_IN, FAILED), (HEALTH_CHECK, FAILED))),
    ],
    "bad/HOP504-alb-egress-only-container-port.yaml": [
        ("HttpListener", ((ALB_SG_IN, PASSED), (ALB_SG_OUT, FAILED), (INSTANCE_SG_IN, PASSED), (HEALTH_CHECK, FAILED))),
    ],
    "bad/HOP601-acl-allows-listener-port-after-deny-all.yaml": [
        ("HttpListener", ((ALB_SG_IN, PASSED), (ALB_ACL_IN, FAILED), (ALB_SG_OUT, PASSED), (ALB_ACL_OUT, PASSED),
                          (TASK_ACL_IN, PASSED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
    ],
    "bad/HOP602-alb-acl-misses-replies-from-tasks.yaml": [
        ("HttpListener", ((ALB_SG_IN, PASSED), (ALB_ACL_IN, PASSED), (ALB_SG_OUT, PASSED), (ALB_ACL_OUT, FAILED),
                          (TASK_ACL_IN, PASSED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
    ],
    "bad/HOP603-task-acl-admits-one-alb-subnet.yaml": [
        ("HttpListener", ((ALB_SG_IN, PASSED), (ALB_ACL_IN, PASSED), (ALB_SG_OUT, PASSED), (ALB_ACL_OUT, PASSED),
                          (TASK_ACL_IN, FAILED), (TASK_SG_IN, PASSED), (HEALTH_CHECK, PASSED))),
    ],
}


def explained(fixture: str):
    return explain(analyze_file(str(FIXTURES_DIR / fixture)))


HOPLINT = [sys.executable, "-m", "policies.cli"]  # what the console script runs


def cli_environment(**variables: str) -> dict:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(REPO_ROOT),
                                                                            os.environ.get("PYTHONPATH")))))
    environment.pop("NO_COLOR", None)
    return dict(environment, **variables)


def run_hoplint(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a process of its own."""
    return subprocess.run([*HOPLINT, *args], cwd=REPO_ROOT, env=cli_environment(), capture_output=True, text=True,
                          timeout=120, check=False)


def hoplint_output(capsys, *args: str) -> tuple:
    """(exit code, stdout, stderr) of the CLI run in this process."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# The paths and their gates


@pytest.mark.parametrize("fixture", sorted(EXPECTED_GATES))
def test_gate_verdicts_of_each_path(fixture):
    paths = explained(fixture).paths
    listeners = [path.nodes[1].facts.get("id") for path in paths]
    gates = [tuple(gate.verdict for gate in path.gates) for path in paths]
    assert [gate.name for gate in paths[0].gates] == list(GATES)
    assert list(zip(listeners, gates)) == EXPECTED_GATES[fixture]


@pytest.mark.parametrize("fixture", sorted(EXPECTED_NAMED_GATES))
def test_blue_green_container_instance_and_network_acl_gates(fixture):
    paths = explained(fixture).paths
    assert [(path.nodes[1].facts.get("id"), tuple((gate.name, gate.verdict) for gate in path.gates))
            for path in paths] == EXPECTED_NAMED_GATES[fixture]


@pytest.mark.parametrize("fixture", fixture_templates())
def test_every_finding_is_shown_once_and_gate_findings_are_on_a_path(fixture):
    analysis = analyze_file(str(FIXTURES_DIR / fixture))
    explanation = explain(analysis)
    shown = [id(f) for f in explanation.findings]
    assert sorted(shown) == sorted(id(f) for f in analysis.findings)
    # The gates between ALB and tasks are about a service behind a load balancer: always on some path.
    off_path = [f.rule_id for f in explanation.unplaced
                if f.rule_id in ("HOP301", "HOP302", "HOP303", "HOP304", "HOP503", "HOP504", "HOP602", "HOP603")]
    assert not off_path
    # An information rule's FAILED (HOP206) is a note: it fails nothing.
    assert explanation.failed == any(entry["verdict"] == "FAILED" and not RULES[entry["rule"]].informational
                                     for entry in load_expected()[fixture])


def test_paths_that_exist_in_some_deployments_say_when():
    paths = explained("good/conditions.yaml").paths
    assert [(path.nodes[1].label, path.when) for path in paths] == [
        ("listener HttpListener HTTP:80", (("HasCertificate", False),)),
        ("listener HttpsListener HTTPS:443", (("HasCertificate", True),)),
    ]


def test_nodes_read_as_people_draw_the_path():
    (path,) = explained("good/https-redirect.yaml").paths
    assert " -> ".join(node.label for node in path.nodes) == (
        "client (internet) -> listener HttpsListener HTTPS:443 -> target group AppTargetGroup HTTP:8080 (ip) "
        "-> service AppService / container app:8080")


# Text


def test_text_marks_each_gate_with_its_reason_and_the_line_to_fix(capsys):
    code, out, err = hoplint_output(capsys, "explain", str(WRONG_TASK_PORT))
    assert (code, err) == (EXIT_FAILED, "")
    assert ANSI_ESCAPE not in out  # captured output is no terminal
    rows = [line.split(None, 1) for line in out.splitlines() if line.startswith("    ")]
    gate_rows = [(rest.split("  ")[0].strip(), status) for status, rest in rows if rest.startswith(GATES)]
    assert gate_rows == [(ALB_SG_IN, "pass"), (ALB_SG_OUT, "pass"), (TASK_SG_IN, "FAIL"),
                         (HEALTH_CHECK, "pass"), (HEALTH_CHECK, "pass"), (HEALTH_CHECK, "FAIL")]
    # The health checks go to the target port, which the task SG blocks: its gate shows that verdict too.
    assert ("FAIL     task SG in     HOP303  task SG AppSg allows tcp/80 from AlbSg, but the target port is 8080  "
            "(line 46)") in out
    assert ("FAIL     health check   HOP303  task SG AppSg allows tcp/80 from AlbSg, but the target port is 8080  "
            "(line 46)") in out
    assert "pass     health check   HOP211  target group AppTargetGroup health-checks over HTTP" in out
    assert out.rstrip().endswith("1 template, 1 path: 1 failed, 0 unknown, 0 passed")


def test_colour_only_when_asked_or_on_a_terminal(capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ANSI_ESCAPE in hoplint_output(capsys, "explain", "--color=always", str(WRONG_TASK_PORT))[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert ANSI_ESCAPE in hoplint_output(capsys, "explain", "--color=always", str(WRONG_TASK_PORT))[1]
    assert ANSI_ESCAPE not in hoplint_output(capsys, "explain", "--color=auto", str(WRONG_TASK_PORT))[1]


@pytest.mark.parametrize("no_color, coloured", [(None, True), ("1", False), ("", True)])
def test_a_terminal_gets_colour_unless_no_color_is_set(no_color, coloured):
    """NO_COLOR set to anything but the empty string turns colour off (https://no-color.org)."""
    environment = cli_environment() if no_color is None else cli_environment(NO_COLOR=no_color)
    controller, terminal = pty.openpty()
    with subprocess.Popen([*HOPLINT, "explain", str(WRONG_TASK_PORT)], cwd=REPO_ROOT, env=environment,
                          stdout=terminal, stderr=subprocess.DEVNULL) as process:
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closes with the process
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=120) == EXIT_FAILED
    os.close(controller)
    assert (ANSI_ESCAPE.encode() in output) == coloured


# Mermaid


def test_mermaid_parses_as_a_flowchart_with_gates_on_the_links(capsys):
    code, out, _ = hoplint_output(capsys, "explain", "--format", "mermaid", str(WRONG_TASK_PORT),
                                  str(GOOD / "conditions.yaml"))
    assert code == EXIT_FAILED
    chart = mermaid_flowchart.parse(out)
    assert list(chart.subgraphs.values()) == [str(WRONG_TASK_PORT), str(GOOD / "conditions.yaml")]
    first = chart.nodes_in("t1")
    labels = {text: node for node, (shape, text) in first.items() if shape != "flag"}
    client, listener, group, service = (labels[label] for label in (
        "client (internet)", "listener HttpsListener HTTPS:443", "target group AppTargetGroup HTTP:8080 (ip)",
        "service AppService / container app:8080"))
    links = {(source, target): text for source, _, text, target in chart.links}
    assert links[client, listener] == "ALB SG in: pass"
    assert links[listener, group] == ""
    assert links[group, service] == "ALB SG out: pass\ntask SG in: FAIL\nhealth check: FAIL"
    assert [chart.links[index][::3] for index in chart.styled_links] == [(group, service)]  # (source, target)
    ((note, text),) = [(node, text) for node, (shape, text) in first.items() if shape == "flag"]
    assert text.startswith("FAIL HOP303\ntask SG AppSg allows tcp/80 from AlbSg")
    assert ("-.-", note) in {(arrow, target) for source, arrow, _, target in chart.links if source == service}
    # A node's class is its own checks' verdict; the failed gate is the red link and the note.
    assert [chart.classes[node] for node in (listener, group, service, note)] == ["passed"] * 3 + ["failed"]
    conditional = {text for _, _, text, _ in chart.links if text.startswith("when ")}
    assert conditional == {"when HasCertificate is false", "when HasCertificate is true"}


def test_mermaid_of_every_fixture_parses(capsys):
    code, out, _ = hoplint_output(capsys, "explain", "--format", "mermaid", str(FIXTURES_DIR))
    assert code == EXIT_FAILED
    chart = mermaid_flowchart.parse(out)
    assert len(chart.subgraphs) == len(fixture_templates())


def test_mermaid_labels_escape_what_mermaid_reads_as_syntax():
    from policies.explain_views import mermaid_text

    text = 'say "hi" <b> #1 | ok'
    escaped = mermaid_text(text)
    assert not set('"<>|') & set(escaped)
    assert mermaid_flowchart.decode(escaped) == text


# JSON


def test_json_lists_paths_gates_and_findings(capsys):
    code, out, _ = hoplint_output(capsys, "explain", "--format", "json", str(WRONG_TASK_PORT),
                                  str(GOOD / "https-redirect.yaml"))
    assert code == EXIT_FAILED
    document = json.loads(out)
    assert document["summary"] == {"inputs": {"template": 2}, "unreadable": 0, "paths": 2, "failed": 1, "unknown": 0,
                                   "skipped": 0, "passed": 1, "failed_on_no_path": 0}
    bad, good = document["templates"]
    (path,) = bad["paths"]
    assert path["verdict"] == "FAILED"
    assert [(gate["gate"], gate["verdict"]) for gate in path["gates"]] == [
        (ALB_SG_IN, "PASSED"), (ALB_SG_OUT, "PASSED"), (TASK_SG_IN, "FAILED"), (HEALTH_CHECK, "FAILED")]
    task_sg_in, health_check = ([f for f in gate["findings"] if f["verdict"] == "FAILED"] for gate in path["gates"][2:])
    assert task_sg_in == health_check
    (failed,) = task_sg_in
    assert (failed["rule"], failed["resource"], failed["line"], failed["suppressed"]) == ("HOP303", "AppService", 46,
                                                                                          None)
    assert failed["path"][:2] == ["Resources", "AppSg"]
    # A passed gate points at the rule that passed: the ALB SG's first ingress rule, tcp/443 from 0.0.0.0/0.
    (passed,) = path["gates"][0]["findings"]
    assert (passed["rule"], passed["path"], passed["line"]) == (
        "HOP101", ["Resources", "AlbSg", "Properties", "SecurityGroupIngress", 1], 33)
    listener, group, service = path["nodes"][1:]
    assert (listener["protocol"], listener["port"], group["port"], group["target_type"]) == ("HTTPS", 443, 8080, "ip")
    assert (service["container"], service["container_port"]) == ("app", 8080)
    assert good["paths"][0]["verdict"] == "PASSED"
    assert {f["resource"] for f in good["other_findings"]} == {"HttpListener"}  # the redirect listener


# Information (HOP206): a note, in every format, that fails no path and no run


def test_information_is_a_note_that_fails_no_path_and_no_run(capsys):
    code, out, err = hoplint_output(capsys, "explain", str(TARGET_GROUP_PORT_DIFFERS))
    assert (code, err) == (EXIT_CLEAN, "")
    assert ("    note     target group   HOP206  target group AppTargetGroup of service AppService (LoadBalancers[0] "
            "-> AppTargetGroup): Port is 80, but the service registers targets on ContainerPort 8080  (line 81)"
            ) in out.splitlines()
    assert "FAIL" not in out
    assert out.rstrip().endswith("1 template, 1 path: 0 failed, 0 unknown, 1 passed")

    code, out, _ = hoplint_output(capsys, "explain", "--format", "json", str(TARGET_GROUP_PORT_DIFFERS))
    assert code == EXIT_CLEAN
    (path,) = json.loads(out)["templates"][0]["paths"]
    group = path["nodes"][2]
    (note,) = [f for f in group["findings"] if f["rule"] == "HOP206"]
    assert (note["verdict"], note["severity"], note["line"]) == ("FAILED", "information", 81)
    assert (group["verdict"], path["verdict"]) == ("PASSED", "PASSED")
    assert {f["severity"] for f in group["findings"] if f["rule"] != "HOP206"} == {"error"}

    code, out, _ = hoplint_output(capsys, "explain", "--format", "mermaid", str(TARGET_GROUP_PORT_DIFFERS))
    assert code == EXIT_CLEAN
    chart = mermaid_flowchart.parse(out)
    ((flag, text),) = [(node, text) for node, (shape, text) in chart.nodes_in("t1").items() if shape == "flag"]
    assert text.startswith("note HOP206\ntarget group AppTargetGroup")
    assert chart.classes[flag] == "note"
    assert "failed" not in chart.classes.values() and not chart.styled_links


def test_information_alongside_a_failure_leaves_the_failure_as_it_is(capsys):
    code, out, _ = hoplint_output(capsys, "explain", str(TARGET_GROUP_PORT_DIFFERS), str(WRONG_TASK_PORT))
    assert code == EXIT_FAILED
    assert out.rstrip().endswith("2 templates, 2 paths: 1 failed, 0 unknown, 1 passed")


# Exit codes and inputs


def test_exit_codes(capsys, tmp_path):
    assert hoplint_output(capsys, "explain", str(GOOD))[0] == EXIT_CLEAN
    assert hoplint_output(capsys, "explain", str(FIXTURES_DIR / "unknown" / "task-sg-admits-vpc-cidr.yaml"))[0] == (
        EXIT_CLEAN)  # UNKNOWN is no failure
    assert hoplint_output(capsys, "explain", str(GOOD), str(WRONG_TASK_PORT))[0] == EXIT_FAILED

    code, out, err = hoplint_output(capsys, "explain", str(tmp_path / "missing.yaml"))
    assert (code, out) == (EXIT_USAGE, "") and "missing.yaml: no such file or directory" in err
    not_a_template = tmp_path / "workflow.yaml"
    not_a_template.write_text("on: push\njobs: {}\n")
    code, _, err = hoplint_output(capsys, "explain", str(not_a_template), str(WRONG_TASK_PORT))
    assert code == EXIT_USAGE and "not a CloudFormation template" in err
    code, _, err = hoplint_output(capsys, "explain", str(tmp_path))
    assert code == EXIT_USAGE and "no CloudFormation template, Terraform plan or Terraform resource" in err

    with pytest.raises(SystemExit) as usage:
        main(["explain"])
    assert usage.value.code == EXIT_USAGE


def test_directories_are_walked_and_other_files_skipped(capsys, tmp_path):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "app.yaml").write_bytes(WRONG_TASK_PORT.read_bytes())
    (tmp_path / "infra" / "workflow.yml").write_text("on: push\n")
    (tmp_path / "infra" / "package.json").write_text('{"name": "x"}')
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "hidden.yaml").write_bytes(WRONG_TASK_PORT.read_bytes())
    code, out, err = hoplint_output(capsys, "explain", "--format", "json", str(tmp_path))
    assert (code, err) == (EXIT_FAILED, "")
    assert [t["source"] for t in json.loads(out)["templates"]] == [str(tmp_path / "infra" / "app.yaml")]


def test_help_names_the_commands_formats_and_exit_codes():
    top = run_hoplint("--help")
    assert top.returncode == 0
    for text in ("explain", "checkov-dir", "cfn-lint-dir", "exit codes:", "2  usage error"):
        assert text in top.stdout
    explain_help = run_hoplint("explain", "--help").stdout
    for text in ("--format {text,mermaid,json}", "--color {auto,always,never}", "NO_COLOR", "ALB SG in"):
        assert text in explain_help


def test_adapter_directories(capsys):
    for command, adapter, module in (("checkov-dir", "checkov", "hoplint_checkov/hoplint_checks.py"),
                                     ("cfn-lint-dir", "cfn_lint", "_hoplint_cfn_lint.py")):
        code, out, _ = hoplint_output(capsys, command)
        assert (code, out) == (EXIT_CLEAN, f"{adapter_directory(adapter)}\n")
        assert (adapter_directory(adapter) / module).is_file()


def test_terraform_plans_are_explained_too(capsys):
    plan = REPO_ROOT / "fixtures" / "terraform" / "plan" / "bad.json"
    code, out, _ = hoplint_output(capsys, "explain", "--format", "json", str(plan))
    assert code == EXIT_FAILED
    (path,) = json.loads(out)["templates"][0]["paths"]
    assert path["label"] == (
        "client (internet) -> listener aws_lb_listener.http HTTP:80 -> target group aws_lb_target_group.app HTTP:8080 "
        "(ip) -> service aws_ecs_service.app / container app:8080")
    assert [gate["verdict"] for gate in path["gates"]] == ["PASSED", "PASSED", "FAILED", "FAILED"]
    mermaid_flowchart.parse(hoplint_output(capsys, "explain", "--format", "mermaid", str(plan))[1])


def test_readme_example_is_what_explain_prints(capsys, monkeypatch):
    readme = (REPO_ROOT / "README.md").read_text()
    example = readme.split("```text\n$ hoplint explain ", 1)[1].split("```", 1)[0]
    command, expected = example.split("\n", 1)
    monkeypatch.chdir(REPO_ROOT)
    assert hoplint_output(capsys, "explain", *command.split())[1] == expected


# Terraform configurations: read through checkov's rendered graph, as the checkov adapter reads them

TERRAFORM_FIXTURES = REPO_ROOT / "fixtures" / "terraform"
TERRAFORM_GOOD = "fixtures/terraform/good/plain-http"
TERRAFORM_BAD = "fixtures/terraform/bad/HOP303-task-sg-allows-wrong-port"
TERRAFORM_PATH = ("client (internet) -> listener aws_lb_listener.http HTTP:80 -> target group aws_lb_target_group.app "
                  "HTTP:8080 (ip) -> service aws_ecs_service.app / container app:8080")
# Root module (as named on the command line) -> (exit code, verdicts of its one path's gates, in GATES order).
# The health checks go to the target port: their gate shares the verdict of the task SG's ingress on it.
TERRAFORM_GATES = {
    TERRAFORM_GOOD: (EXIT_CLEAN, (PASSED, PASSED, PASSED, PASSED)),
    TERRAFORM_BAD: (EXIT_FAILED, (PASSED, PASSED, FAILED, FAILED)),
    "fixtures/terraform/unknown/dynamic-ingress-over-unset-variable": (EXIT_CLEAN, (PASSED, PASSED, UNKNOWN, UNKNOWN)),
}
STATUS_WORD = {PASSED: "pass", FAILED: "FAIL", UNKNOWN: "unknown"}


def text_gate_statuses(out: str) -> list:
    """Per path of text output, in order: {gate: [status of each of its rows]}."""
    paths: list = []
    for line in out.splitlines():
        if line.startswith("  client "):
            paths.append({})
        elif line.startswith("    ") and paths:
            status, rest = line.split(None, 1)
            for gate in GATES:
                if rest.startswith(gate + " "):
                    paths[-1].setdefault(gate, []).append(status)
    return paths


def copy_terraform(fixture: str, destination) -> None:
    shutil.copytree(REPO_ROOT / fixture, destination)


@pytest.mark.parametrize("fixture", sorted(TERRAFORM_GATES))
def test_terraform_configuration_in_text(capsys, monkeypatch, fixture):
    monkeypatch.chdir(REPO_ROOT)
    exit_code, verdicts = TERRAFORM_GATES[fixture]
    code, out, err = hoplint_output(capsys, "explain", fixture)
    assert (code, err) == (exit_code, "")  # checkov's logging and progress bar stay quiet
    assert out.splitlines()[:2] == [fixture, f"  {TERRAFORM_PATH}"]
    alb_in, alb_out, task_in, _ = (STATUS_WORD[verdict] for verdict in verdicts)
    # The health check's rows: HOP211 (its protocol), then HOP301 and HOP303 on the target port it uses.
    assert text_gate_statuses(out) == [{ALB_SG_IN: [alb_in], ALB_SG_OUT: [alb_out], TASK_SG_IN: [task_in],
                                        HEALTH_CHECK: ["pass", alb_out, task_in]}]
    failed = FAILED in verdicts
    unknown = not failed and UNKNOWN in verdicts
    assert out.rstrip().endswith(f"1 configuration, 1 path: {int(failed)} failed, {int(unknown)} unknown, "
                                 f"{int(not failed and not unknown)} passed")


def test_terraform_configuration_names_the_rule_to_change_by_address(capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    out = hoplint_output(capsys, "explain", TERRAFORM_BAD)[1]
    assert ("    FAIL     task SG in     HOP303  task SG aws_security_group.app allows tcp/80 from "
            "aws_security_group.alb, but the target port is 8080\n") in out


@pytest.mark.parametrize("fixture", sorted(TERRAFORM_GATES))
def test_terraform_configuration_in_json(capsys, monkeypatch, fixture):
    monkeypatch.chdir(REPO_ROOT)
    exit_code, verdicts = TERRAFORM_GATES[fixture]
    code, out, err = hoplint_output(capsys, "explain", "--format", "json", fixture)
    assert (code, err) == (exit_code, "")
    (template,) = json.loads(out)["templates"]
    assert (template["source"], template["problems"]) == (fixture, [])
    (path,) = template["paths"]
    assert path["label"] == TERRAFORM_PATH
    assert [(gate["gate"], gate["verdict"]) for gate in path["gates"]] == [
        (gate, verdict.value) for gate, verdict in zip(GATES, verdicts)]
    if fixture == TERRAFORM_BAD:
        failed, again = [f for gate in path["gates"] for f in gate["findings"] if f["verdict"] == "FAILED"]
        assert again == failed  # the task SG's gate, and the health check's, which uses the target port
        assert (failed["rule"], failed["resource"], failed["line"]) == ("HOP303", "aws_ecs_service.app", None)
        assert failed["path"] == ["aws_vpc_security_group_ingress_rule.app_from_alb", "from_port"]


@pytest.mark.parametrize("fixture", sorted(TERRAFORM_GATES))
def test_terraform_configuration_in_mermaid(capsys, monkeypatch, fixture):
    monkeypatch.chdir(REPO_ROOT)
    exit_code, verdicts = TERRAFORM_GATES[fixture]
    code, out, err = hoplint_output(capsys, "explain", "--format", "mermaid", fixture)
    assert (code, err) == (exit_code, "")
    chart = mermaid_flowchart.parse(out)
    assert list(chart.subgraphs.values()) == [fixture]
    labels = {text: node for node, (shape, text) in chart.nodes_in("t1").items() if shape != "flag"}
    client, listener, group, service = (labels[label] for label in TERRAFORM_PATH.split(" -> "))
    links = {(source, target): text for source, _, text, target in chart.links}
    words = [f"{gate}: {STATUS_WORD[verdict]}" for gate, verdict in zip(GATES, verdicts)]
    assert links[client, listener] == words[0]
    assert links[group, service] == "\n".join(words[1:])
    failed_links = [chart.links[index][::3] for index in chart.styled_links]  # (source, target)
    assert failed_links == ([(group, service)] if FAILED in verdicts else [])


MODULES_PATH = ('client (internet) -> listener module.alb.aws_lb_listener.this["http"] HTTP:80 -> target group '
                'module.alb.aws_lb_target_group.this["web"] HTTP:3000 (ip) -> service '
                'module.web.aws_ecs_service.this[0] / container web:3000')
# Root modules calling the stand-ins of terraform-aws-modules (fixtures/terraform/modules) -> (exit code, its one
# path, the verdicts of its gates in GATES order): module resources are named by their module address.
TERRAFORM_MODULE_PATHS = {
    "fixtures/terraform/good/terraform-aws-modules-alb-ecs": (EXIT_CLEAN, MODULES_PATH, (PASSED,) * 4),
    "fixtures/terraform/bad/HOP301-alb-module-egress-limited-to-vpc-cidr": (
        EXIT_FAILED, MODULES_PATH, (PASSED, FAILED, PASSED, FAILED)),  # health checks take the target port
    "fixtures/terraform/bad/HOP303-ecs-module-ingress-rule-wrong-port": (
        EXIT_FAILED, MODULES_PATH, (PASSED, PASSED, FAILED, FAILED)),
    "fixtures/terraform/good/terraform-aws-modules-alb-v8-ecs-v5": (
        EXIT_CLEAN, "client (internet) -> listener module.alb.aws_lb_listener.frontend_http_tcp[0] HTTP:80 -> target "
                    "group module.alb.aws_lb_target_group.main[0] HTTP:8080 (ip) -> service "
                    "module.api.aws_ecs_service.this[0] / container api:8080", (PASSED,) * 4),
    "fixtures/terraform/good/terraform-aws-modules-security-group": (EXIT_CLEAN, TERRAFORM_PATH, (PASSED,) * 4),
}


@pytest.mark.parametrize("fixture", sorted(TERRAFORM_MODULE_PATHS))
def test_terraform_modules_paths_have_every_gate_decided(capsys, monkeypatch, fixture):
    monkeypatch.chdir(REPO_ROOT)
    exit_code, label, verdicts = TERRAFORM_MODULE_PATHS[fixture]
    code, out, err = hoplint_output(capsys, "explain", "--format", "json", fixture)
    assert (code, err) == (exit_code, "")
    (template,) = json.loads(out)["templates"]
    (path,) = template["paths"]
    assert path["label"] == label
    assert [(gate["gate"], gate["verdict"]) for gate in path["gates"]] == [
        (gate, verdict.value) for gate, verdict in zip(GATES, verdicts)]


def test_a_module_called_with_create_false_is_judged_nowhere(capsys, monkeypatch):
    """module.worker (create = false) creates nothing: no path, no finding names it."""
    monkeypatch.chdir(REPO_ROOT)
    fixture = "fixtures/terraform/good/terraform-aws-modules-alb-ecs"
    out = hoplint_output(capsys, "explain", "--format", "json", fixture)[1]
    (template,) = json.loads(out)["templates"]
    assert "module.worker" not in out
    assert template["other_findings"] == []


def test_a_directory_of_cloudformation_templates_and_terraform_root_modules(capsys, tmp_path):
    (tmp_path / "cloudformation").mkdir()
    shutil.copyfile(GOOD / "https-redirect.yaml", tmp_path / "cloudformation" / "app.yaml")
    copy_terraform(TERRAFORM_BAD, tmp_path / "terraform" / "broken")
    copy_terraform("fixtures/terraform/good/local-module", tmp_path / "terraform" / "billing")
    copy_terraform(TERRAFORM_BAD, tmp_path / ".hidden")  # skipped, like a hidden template
    (tmp_path / "terraform" / "variables-only").mkdir()
    (tmp_path / "terraform" / "variables-only" / "variables.tf").write_text('variable "region" {}\n')
    code, out, err = hoplint_output(capsys, "explain", "--format", "json", str(tmp_path))
    assert (code, err) == (EXIT_FAILED, "")
    templates = json.loads(out)["templates"]
    # In walk order; the local module (billing/modules/service) is part of its root, no root of its own.
    assert [(t["source"], [path["verdict"] for path in t["paths"]]) for t in templates] == [
        (str(tmp_path / "cloudformation" / "app.yaml"), ["PASSED"]),
        (str(tmp_path / "terraform" / "billing"), ["PASSED"]),
        (str(tmp_path / "terraform" / "broken"), ["FAILED"]),
    ]
    shutil.copyfile(REPO_ROOT / "fixtures" / "terraform" / "plan" / "bad.json", tmp_path / "tfplan.json")
    summary = hoplint_output(capsys, "explain", str(tmp_path))[1].splitlines()[-1]
    assert summary == "1 plan, 1 template, 2 configurations, 4 paths: 2 failed, 0 unknown, 2 passed"  # walk order
    shutil.rmtree(tmp_path / "terraform" / "broken")
    (tmp_path / "tfplan.json").unlink()
    assert hoplint_output(capsys, "explain", str(tmp_path))[0] == EXIT_CLEAN


def test_terraform_without_checkov_says_what_to_install(capsys, monkeypatch, tmp_path):
    for name in [name for name in sys.modules if name == "checkov" or name.startswith("checkov.")] + ["checkov"]:
        monkeypatch.setitem(sys.modules, name, None)  # import checkov -> ModuleNotFoundError
    copy_terraform(TERRAFORM_GOOD, tmp_path / "network")
    shutil.copyfile(WRONG_TASK_PORT, tmp_path / "app.yaml")
    code, out, err = hoplint_output(capsys, "explain", str(tmp_path))
    assert code == EXIT_USAGE
    # The CloudFormation template is explained all the same: a missing optional tool hides nothing else.
    assert out.startswith(f"{tmp_path / 'app.yaml'}\n  client (internet) -> listener HttpsListener HTTPS:443")
    assert out.rstrip().endswith("1 template, 1 path: 1 failed, 0 unknown, 0 passed")
    assert err == (f"hoplint: error: {tmp_path}: Terraform configurations not read ({tmp_path / 'network'}): reading "
                   "them takes checkov, which is not installed: pip install 'hoplint[checkov]' (or explain their "
                   "plan: terraform show -json tfplan > tfplan.json)\n")
    # Without Terraform files checkov is never imported.
    (tmp_path / "network" / "main.tf").unlink()
    assert hoplint_output(capsys, "explain", str(tmp_path))[0] == EXIT_FAILED


def test_terraform_that_cannot_be_read(capsys, tmp_path):
    copy_terraform(TERRAFORM_GOOD, tmp_path / "network")
    (tmp_path / "network" / "broken.tf").write_text('resource "aws_lb" "web" {\n')
    code, out, err = hoplint_output(capsys, "explain", str(tmp_path))
    assert code == EXIT_USAGE
    assert err == f"hoplint: error: {tmp_path / 'network' / 'broken.tf'}: checkov cannot parse this Terraform file\n"
    assert out.rstrip().endswith("0 templates, 0 paths: 0 failed, 0 unknown, 0 passed")
    code, out, err = hoplint_output(capsys, "explain", str(tmp_path / "network" / "main.tf"))
    assert (code, out) == (EXIT_USAGE, "")
    assert err == f"hoplint: error: {tmp_path / 'network' / 'main.tf'}: a Terraform file: explain its directory, " \
                  f"{tmp_path / 'network'}\n"


def test_terraform_is_read_by_the_installed_adapter_in_a_process_of_its_own(tmp_path):
    """As installed (hoplint_adapters, here a link to custom_checks/), in a process where nothing else
    configured logging: checkov's warnings would reach stderr."""
    (tmp_path / "hoplint_adapters").symlink_to(REPO_ROOT / "custom_checks", target_is_directory=True)
    environment = cli_environment(PYTHONPATH=os.pathsep.join((str(tmp_path), str(REPO_ROOT))))
    for variable in ("CKV_SKIP_PACKAGE_UPDATE_CHECK", "BC_SKIP_MAPPING"):
        environment.pop(variable, None)  # the reader sets them itself
    script = ("import sys; from policies.cli import main, terraform_directory_reader; code = main(sys.argv[1:]); "
              "print(terraform_directory_reader().__name__); sys.exit(code)")
    process = subprocess.run([sys.executable, "-c", script, "explain", TERRAFORM_BAD], cwd=REPO_ROOT,
                             env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert (process.returncode, process.stderr) == (EXIT_FAILED, "")
    assert process.stdout.startswith(f"{TERRAFORM_BAD}\n  {TERRAFORM_PATH}\n")
    assert process.stdout.endswith("1 configuration, 1 path: 1 failed, 0 unknown, 0 passed\n"
                                   "hoplint_adapters.checkov.hoplint_terraform_directory\n")


def test_the_reader_is_the_checkov_adapters_file():
    """Installed or not (then the CLI loads the file of the checkout), one file reads Terraform directories."""
    reader = terraform_directory_reader()
    assert reader.__file__ == str(adapter_directory("checkov") / "hoplint_terraform_directory.py")



# Accepted findings: a checkov skip or cfn-lint ignore_checks, on the resource to fix or on the service

INSTALLED_HOPLINT = shutil.which("hoplint", path=os.path.dirname(sys.executable))
# AppService's HOP303 fails; the FromPort to fix is in the AWS::EC2::SecurityGroupIngress AppIngressFromAlb.
SKIP_FIXTURE = BAD / "HOP303-standalone-ingress-wrong-port.yaml"
REASON = "a rule outside this stack admits the ALB"
SKIPS = {
    "checkov Metadata": ("    Metadata:\n      checkov:\n        skip:\n          - id: {checkov}\n"
                         f"            comment: {REASON}\n", "checkov skip {checkov} on {resource}: " + REASON),
    "checkov comment": (f"    # checkov:skip={{checkov}}:{REASON}\n",
                        "checkov skip {checkov} on {resource}: " + REASON),
    "cfn-lint ignore_checks": ("    Metadata:\n      cfn-lint:\n        config:\n"
                               "          ignore_checks: [{cfn_lint}]\n",
                               "cfn-lint ignore_checks {cfn_lint} on {resource}"),
}


def with_skip(resource: str, form: str, rule_id: str = "HOP303") -> tuple:
    """(the fixture's text with a skip of `rule_id` on `resource`, how explain names that skip)."""
    rule = RULES[rule_id]
    skip, reason = (text.format(checkov=rule.checkov_id, cfn_lint=rule.cfn_lint_id, resource=resource)
                    for text in SKIPS[form])
    header = f"  {resource}:\n"
    text = SKIP_FIXTURE.read_text()
    assert text.count(header) == 1
    return text.replace(header, header + skip), reason


def explain_as_a_user(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """The installed `hoplint` command, from the user's repository (tmp_path), outside the checkout."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "NO_COLOR")}
    return subprocess.run([INSTALLED_HOPLINT, "explain", *args], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.mark.parametrize("form", sorted(SKIPS))
@pytest.mark.parametrize("resource", ["AppIngressFromAlb", "AppService"])  # the resource to fix, the service
def test_an_accepted_finding_shows_as_skipped_with_its_reason_and_fails_nothing(tmp_path, resource, form):
    text, reason = with_skip(resource, form)
    (tmp_path / "app.yaml").write_text(text)

    shown = explain_as_a_user(tmp_path, "app.yaml")
    assert (shown.returncode, shown.stderr) == (EXIT_CLEAN, "")
    finding = "HOP303  ({reason}) task SG AppSg allows tcp/80 from AlbSg, but the target port is 8080  (line {line})"
    added = len(text.splitlines()) - len(SKIP_FIXTURE.read_text().splitlines())
    line = 58 + added * (resource == "AppIngressFromAlb")  # the FromPort, below a skip written on its resource
    assert f"    skipped  task SG in     {finding.format(reason=reason, line=line)}\n" in shown.stdout
    assert f"    skipped  health check   {finding.format(reason=reason, line=line)}\n" in shown.stdout
    assert shown.stdout.endswith("1 template, 1 path: 0 failed, 0 unknown, 0 passed, 1 skipped\n")

    document = json.loads(explain_as_a_user(tmp_path, "--format", "json", "app.yaml").stdout)
    assert (document["summary"]["failed"], document["summary"]["skipped"]) == (0, 1)
    (path,) = document["templates"][0]["paths"]
    assert [(gate["gate"], gate["verdict"]) for gate in path["gates"]] == [
        (ALB_SG_IN, "PASSED"), (ALB_SG_OUT, "PASSED"), (TASK_SG_IN, "SKIPPED"), (HEALTH_CHECK, "SKIPPED")]
    (accepted,) = [f["suppressed"] for f in path["gates"][2]["findings"]]
    assert (accepted["tool"], accepted["resource"]) == (form.split()[0], resource)

    mermaid = mermaid_flowchart.parse(explain_as_a_user(tmp_path, "--format", "mermaid", "app.yaml").stdout)
    assert "ALB SG out: pass\ntask SG in: skipped\nhealth check: skipped" in {text for _, _, text, _ in mermaid.links}
    assert not mermaid.styled_links  # no red link


def test_a_skip_of_another_rule_or_on_another_resource_accepts_nothing(tmp_path):
    text, _ = with_skip("AppService", "checkov Metadata", rule_id="HOP304")
    (tmp_path / "other-rule.yaml").write_text(text)
    text, _ = with_skip("AppTaskDefinition", "cfn-lint ignore_checks")
    (tmp_path / "other-resource.yaml").write_text(text)
    shown = explain_as_a_user(tmp_path, ".")
    assert shown.returncode == EXIT_FAILED
    assert shown.stdout.count("    FAIL     task SG in     HOP303  task SG AppSg allows tcp/80") == 2
    assert "skipped" not in shown.stdout


def test_a_template_wide_ignore_checks_accepts_by_prefix_as_cfn_lint_does(tmp_path):
    text = SKIP_FIXTURE.read_text().replace("Parameters:\n", "Metadata:\n  cfn-lint:\n    config:\n"
                                            "      ignore_checks: [E93]\n\nParameters:\n", 1)
    (tmp_path / "app.yaml").write_text(text)
    shown = explain_as_a_user(tmp_path, "app.yaml")
    assert shown.returncode == EXIT_CLEAN
    assert ("    skipped  task SG in     HOP303  (cfn-lint ignore_checks E93 on the template) task SG AppSg"
            in shown.stdout)


def test_a_terraform_skip_comment_on_the_service_shows_as_skipped(tmp_path):
    copy_terraform(TERRAFORM_BAD, tmp_path / "infra")
    main_tf = tmp_path / "infra" / "main.tf"
    header = 'resource "aws_ecs_service" "app" {\n'
    main_tf.write_text(main_tf.read_text().replace(header, f"{header}  #checkov:skip=CKV_HOP_303:{REASON}\n"))
    shown = explain_as_a_user(tmp_path, "infra")
    assert (shown.returncode, shown.stderr) == (EXIT_CLEAN, "")
    assert (f"    skipped  task SG in     HOP303  (checkov skip CKV_HOP_303 on aws_ecs_service.app: {REASON}) task SG "
            "aws_security_group.app allows tcp/80") in shown.stdout
