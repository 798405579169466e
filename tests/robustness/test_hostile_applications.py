"""Hostile applications: stacks that import their own exports, nest each other in a circle, or number a
thousand. Bounded in time, no crash, nothing PASSED that was not proved."""

from __future__ import annotations

from application_support import analyze_templates
from test_application_joining import (
    importing_service,
    service,
    messages,
    nested_service,
    nesting,
    network,
    verdicts,
)

import hostile
from policies import Verdict


def test_a_stack_importing_its_own_export_is_refused_not_followed():
    template = network()
    template["Resources"].update(importing_service()["Resources"])
    with hostile.deadline(5):
        scan = analyze_templates({"loop.yaml": template})
    (analysis,) = scan.analyses
    assert analysis.problems == []
    assert verdicts(analysis, "HOP303") == {"Service": Verdict.UNKNOWN}
    (finding,) = [f for f in analysis.findings if f.rule_id == "HOP303"]
    assert "names an export of its own stack" in finding.message


def test_circular_nesting_is_no_crash_and_proves_nothing_through_the_circle():
    a = nesting({"B": ("b.yaml", {})}, Outputs={"TaskSg": {"Value": {"Fn::GetAtt": ["B", "Outputs.TaskSg"]}}})
    b = nesting({"A": ("a.yaml", {})}, Outputs={"TaskSg": {"Value": {"Fn::GetAtt": ["A", "Outputs.TaskSg"]}}})
    service_stack = importing_service()
    with hostile.deadline(5):
        scan = analyze_templates({"stacks/a.yaml": a, "stacks/b.yaml": b, "service.yaml": service_stack})
    assert all(analysis.problems == [] for analysis in scan.analyses)
    stacks = [stack for analysis in scan.analyses for stack in analysis.application.stacks]
    circles = [child for stack in stacks for child in stack.children.values() if not hasattr(child, "label")]
    assert circles and all("which deploys it in turn" in child.reason for child in circles)
    assert not any(f.verdict is Verdict.PASSED for analysis in scan.analyses for f in analysis.findings
                   if f.rule_id == "HOP303")


def test_a_thousand_nested_stacks_are_judged_in_bounded_time():
    children = {f"Api{index}": ("service.yaml", {"Listener": {"Fn::GetAtt": ["Network", "Outputs.Listener"]},
                                                 "TaskSg": {"Fn::GetAtt": ["Network", "Outputs.TaskSg"]}})
                for index in range(1000)}
    children["Network"] = ("network.yaml", {})
    with hostile.deadline(120):
        scan = analyze_templates({"parent.yaml": nesting(children), "network.yaml": network(),
                                  "service.yaml": nested_service()})
    assert set(verdicts(scan.analyses[0], "HOP303").values()) == {Verdict.PASSED}
    assert len(verdicts(scan.analyses[0], "HOP303")) == 1000


def test_a_thousand_stacks_exporting_and_importing_are_joined_in_bounded_time():
    templates = {}
    for index in range(1000):
        exporter = network()
        exporter["Outputs"] = {name: {**output, "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}:{name}{index}"}}}
                               for name, output in exporter["Outputs"].items()}
        templates[f"network{index}.yaml"] = exporter
    templates["service.yaml"] = service({"Fn::ImportValue": "production:Listener999"},
                                        {"Fn::ImportValue": "production:TaskSg999"})
    with hostile.deadline(120):
        scan = analyze_templates(templates)
    (joined,) = [analysis for analysis in scan.analyses if len(analysis.application.stacks) > 1]
    assert [stack.label for stack in joined.application.stacks] == ["production", "service"]
    assert verdicts(joined, "HOP303") == {"service/Service": Verdict.PASSED}
