"""How the templates of a scan are joined into applications: nested stacks, exports and imports, deployment
descriptions, and the deployments their conditions allow together. Through the engine, on templates written
here; tests/test_applications.py runs the real CLIs over application fixtures."""

from __future__ import annotations

import json

import pytest
from application_support import analyze_templates, condition_scenarios

from policies import Verdict
from policies.application.names import Hole, _globs_intersect, pattern
from policies.cloudformation.deployment_files import Description, StackDeclaration, describe_scan

LAUNCH_TYPE = {"Type": "String", "Default": "Fargate", "AllowedValues": ["Fargate", "EC2"]}
BY_LAUNCH_TYPE = {"Fargate": {"Fn::Equals": [{"Ref": "LaunchType"}, "Fargate"]},
                  "EC2": {"Fn::Equals": [{"Ref": "LaunchType"}, "EC2"]}}


def sg(*ingress: dict) -> dict:
    return {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "g", "SecurityGroupIngress": list(ingress)}}


def network(listener_port: int = 80, task_port: int = 8080) -> dict:
    """A network stack: ALB, listener, ALB and task security groups, exported under ${AWS::StackName}:..."""
    return {
        "Resources": {
            "AlbSg": sg({"IpProtocol": "tcp", "FromPort": listener_port, "ToPort": listener_port, "CidrIp": "0.0.0.0/0"}),
            "TaskSg": sg({"IpProtocol": "tcp", "FromPort": task_port, "ToPort": task_port,
                          "SourceSecurityGroupId": {"Ref": "AlbSg"}}),
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    "Properties": {"SecurityGroups": [{"Ref": "AlbSg"}], "Subnets": ["subnet-1", "subnet-2"]}},
            "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
                "LoadBalancerArn": {"Ref": "Alb"}, "Protocol": "HTTP", "Port": listener_port,
                "DefaultActions": [{"Type": "fixed-response"}]}},
        },
        "Outputs": {
            "Listener": {"Value": {"Ref": "Listener"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:Listener"}}},
            "TaskSg": {"Value": {"Ref": "TaskSg"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:TaskSg"}}},
        },
    }


def service(listener: dict, task_sg: dict, port: int = 8080) -> dict:
    """A Fargate service stack whose listener and task security group come from `listener` and `task_sg`."""
    return {
        "Resources": {
            "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                   "Properties": {"Protocol": "HTTP", "Port": port, "TargetType": "ip"}},
            "Rule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {
                "ListenerArn": listener, "Priority": 1, "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}]}},
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
                "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
                "ContainerDefinitions": [{"Name": "app", "PortMappings": [{"ContainerPort": port}]}]}},
            "Service": {"Type": "AWS::ECS::Service", "Properties": {
                "LaunchType": "FARGATE", "TaskDefinition": {"Ref": "Task"},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"SecurityGroups": [task_sg], "Subnets": ["subnet-3"]}},
                "LoadBalancers": [{"TargetGroupArn": {"Ref": "Tg"}, "ContainerName": "app", "ContainerPort": port}]}},
        },
    }


def importing_service(stack_name: str = "production", port: int = 8080) -> dict:
    return service({"Fn::ImportValue": f"{stack_name}:Listener"}, {"Fn::ImportValue": f"{stack_name}:TaskSg"}, port)


def verdicts(analysis, rule_id: str) -> dict:
    return {f.resource: f.verdict for f in analysis.findings if f.rule_id == rule_id}


def messages(analysis, rule_id: str) -> list:
    return [f.message for f in analysis.findings if f.rule_id == rule_id]


# -- exports and imports ----------------------------------------------------------------------------------

def test_an_import_reads_the_export_of_the_one_template_that_can_export_its_name():
    scan = analyze_templates({"network.yaml": network(), "service.yaml": importing_service()})
    (analysis,) = scan.analyses
    assert [stack.label for stack in analysis.application.stacks] == ["production", "service"]  # named by the import
    assert verdicts(analysis, "HOP303") == {"service/Service": Verdict.PASSED}
    assert verdicts(analysis, "HOP101") == {"production/Listener": Verdict.PASSED}


def test_a_broken_hop_in_the_exporting_stack_is_reported_where_the_fix_goes():
    scan = analyze_templates({"network.yaml": network(task_port=80), "service.yaml": importing_service()})
    (finding,) = [f for f in scan.analyses[0].findings if f.rule_id == "HOP303"]
    assert finding.verdict is Verdict.FAILED and finding.resource == "service/Service"
    assert finding.file == "network.yaml"
    assert finding.path == ("Resources", "TaskSg", "Properties", "SecurityGroupIngress", 0, "FromPort")


def test_an_import_two_templates_could_satisfy_is_unknown_naming_both():
    scan = analyze_templates({"a.yaml": network(), "b.yaml": network(), "service.yaml": importing_service()})
    (analysis,) = scan.analyses
    assert verdicts(analysis, "HOP303") == {"service/Service": Verdict.UNKNOWN}
    (message,) = messages(analysis, "HOP303")
    assert "exported by" in message and "(a)" in message and "(b)" in message


def test_an_import_nothing_scanned_exports_is_unknown():
    scan = analyze_templates({"service.yaml": importing_service()})
    (message,) = messages(scan.analyses[0], "HOP303")
    assert "Fn::ImportValue production:Listener: no scanned template exports it" in message


def test_name_patterns_match_what_a_deployment_can_make_equal():
    stack_named = pattern(Hole("AWS::StackName", stack_name=True), ":Listener")
    assert stack_named.may_equal(pattern("production:Listener"))
    assert stack_named.stack_name_in("production:Listener") == "production"
    assert not stack_named.may_equal(pattern("production:TaskSg"))
    assert pattern(Hole("a parameter"), "-Listener").may_equal(pattern(Hole("s", True), "-Listener"))
    assert not pattern("a", Hole("x")).may_equal(pattern("b", Hole("y")))
    assert not pattern("x" * 600).may_equal(pattern("x" * 600))  # too long to match: no link, no cost


def test_a_name_and_a_pattern_of_one_hole_match_as_the_general_match_does():
    """may_equal compares a name with a pattern of one hole by its ends; the general match must agree."""
    hole = Hole("AWS::StackName", stack_name=True)
    names = ["", "a", "ab", "aba", "prod:Listener", "prod:Listener:Listener", ":Listener", "x" * 513]
    patterns = [pattern(hole), pattern("a", hole), pattern(hole, "a"), pattern("a", hole, "a"),
                pattern("ab", hole, "ba"), pattern(hole, ":Listener"), pattern("prod", hole, "Listener"),
                pattern("x" * 300, hole, "x" * 300)]
    for name in names:
        for patterned in patterns:
            tokens = (pattern(name)._tokens(), patterned._tokens())
            general = None not in tokens and _globs_intersect(*tokens)
            assert pattern(name).may_equal(patterned) == patterned.may_equal(pattern(name)) == general, (
                name, patterned)


# -- nested stacks ----------------------------------------------------------------------------------------

def nesting(children: dict, **extra) -> dict:
    """A parent stack nesting each child file by S3 URL, with the given Parameters."""
    return {"Resources": {name: {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": f"https://s3.amazonaws.com/bucket/stacks/{file}", "Parameters": parameters}}
        for name, (file, parameters) in children.items()}, **extra}


def nested_service() -> dict:
    template = service({"Ref": "Listener"}, {"Ref": "TaskSg"})
    template["Parameters"] = {"Listener": {"Type": "String"}, "TaskSg": {"Type": "String"}}
    return template


def test_nested_stacks_take_their_parameters_from_the_parent_and_give_back_outputs():
    parent = nesting({"Network": ("network.yaml", {}), "Api": ("service.yaml", {
        "Listener": {"Fn::GetAtt": ["Network", "Outputs.Listener"]},
        "TaskSg": {"Fn::GetAtt": ["Network", "Outputs.TaskSg"]}})})
    scan = analyze_templates({"parent.yaml": parent, "stacks/network.yaml": network(),
                              "stacks/service.yaml": nested_service()})
    (analysis,) = scan.analyses
    assert verdicts(analysis, "HOP303") == {"Api/Service": Verdict.PASSED}
    assert verdicts(analysis, "HOP101") == {"Network/Listener": Verdict.PASSED}


def test_a_template_nested_twice_is_two_stacks_judged_each():
    parent = nesting({name: ("service.yaml", {"Listener": {"Fn::GetAtt": ["Network", "Outputs.Listener"]},
                                              "TaskSg": {"Fn::GetAtt": ["Network", "Outputs.TaskSg"]}})
                      for name in ("Blue", "Green")})
    parent["Resources"]["Network"] = nesting({"N": ("network.yaml", {})})["Resources"]["N"]
    scan = analyze_templates({"parent.yaml": parent, "network.yaml": network(), "service.yaml": nested_service()})
    assert verdicts(scan.analyses[0], "HOP303") == {"Blue/Service": Verdict.PASSED, "Green/Service": Verdict.PASSED}
    assert scan.analyses[0].application.resource_ids("service.yaml", "Service") == ["Blue/Service", "Green/Service"]


def test_a_template_url_outside_the_scan_leaves_its_outputs_unknown():
    parent = nesting({"Network": ("elsewhere.yaml", {}), "Api": ("service.yaml", {
        "Listener": {"Fn::GetAtt": ["Network", "Outputs.Listener"]},
        "TaskSg": {"Fn::GetAtt": ["Network", "Outputs.TaskSg"]}})})
    scan = analyze_templates({"parent.yaml": parent, "service.yaml": nested_service()})
    (analysis,) = scan.analyses
    assert verdicts(analysis, "HOP303") == {"Api/Service": Verdict.UNKNOWN}
    assert any("elsewhere.yaml, which is not among the scanned templates" in message
               for message in messages(analysis, "HOP303"))


# -- conditions: only deployments that can exist ----------------------------------------------------------

def test_comparisons_of_one_parameter_are_never_true_together():
    template = {"Parameters": {"LaunchType": LAUNCH_TYPE}, "Conditions": BY_LAUNCH_TYPE, "Resources": {}}
    assert sorted(sorted(s.items()) for s in condition_scenarios(template)) == [
        [("EC2", False), ("Fargate", True)], [("EC2", True), ("Fargate", False)]]
    unbounded = {**template, "Parameters": {"LaunchType": {"Type": "String", "Default": "Fargate"}}}
    assert len(condition_scenarios(unbounded)) == 3  # either, or some other value


def test_nested_stacks_given_one_parameter_decide_their_conditions_together():
    child = {"Parameters": {"LaunchType": LAUNCH_TYPE}, "Conditions": BY_LAUNCH_TYPE, "Resources": {}}
    parent = nesting({"One": ("one.yaml", {"LaunchType": {"Ref": "LaunchType"}}),
                      "Two": ("two.yaml", {"LaunchType": {"Ref": "LaunchType"}})},
                     Parameters={"LaunchType": LAUNCH_TYPE})
    scenarios = condition_scenarios(parent, child, child, stack=1,
                                    names=("parent.yaml", "stacks/one.yaml", "stacks/two.yaml"))
    assert len(scenarios) == 2  # not four: both children see the parent's one choice


def test_conditions_no_hop_depends_on_leave_a_template_proved_for_every_deployment():
    template = importing_service()
    template["Parameters"] = {f"Feature{index}": {"Type": "String", "Default": "off"} for index in range(24)}
    template["Conditions"] = {f"Has{index}": {"Fn::Equals": [{"Ref": f"Feature{index}"}, "on"]} for index in range(24)}
    for index in range(24):  # alarms, log groups: none of them on a path
        template["Resources"][f"Alarm{index}"] = {"Type": "AWS::CloudWatch::Alarm", "Condition": f"Has{index}"}
    template["Resources"]["Task"]["Properties"]["Cpu"] = {"Fn::If": ["Has0", "512", "256"]}
    template["Resources"]["Service"]["Properties"]["LaunchType"] = {"Fn::If": ["Has1", "FARGATE", "FARGATE"]}
    scan = analyze_templates({"network.yaml": network(), "service.yaml": template})
    (analysis,) = scan.analyses
    assert len(analysis.deployments) == 2  # Has1, which the service's LaunchType reads; not Has0 nor the alarms'
    assert verdicts(analysis, "HOP303") == {"service/Service": Verdict.PASSED}


# -- deployment descriptions ------------------------------------------------------------------------------

def write(path, content) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_a_hoplint_file_names_stacks_and_gives_parameters_from_a_parameter_file(tmp_path, monkeypatch):
    monkeypatch.delenv("HOPLINT_DEPLOYMENT", raising=False)
    stack = network()
    stack["Parameters"] = {"Port": {"Type": "Number", "Default": 80}}
    stack["Resources"]["Listener"]["Properties"]["Port"] = {"Ref": "Port"}
    templates = [write(tmp_path / "infra" / "net.json", stack), write(tmp_path / "infra" / "svc.json", importing_service("prod"))]
    write(tmp_path / "params" / "net.json", [{"ParameterKey": "Port", "ParameterValue": "8443"}])
    write(tmp_path / ".hoplint.yaml", "stacks:\n  - template: infra/net.json\n    name: prod\n"
                                      "    parameters: params/net.json\n")
    description = describe_scan(templates, working_directory=str(tmp_path))
    assert description.problems == []
    assert description.stacks[0] == StackDeclaration("infra/net.json", "prod", (("Port", "8443"),),
                                                     str(tmp_path / ".hoplint.yaml"), str(tmp_path))
    from policies.analysis import analyze_paths

    monkeypatch.chdir(tmp_path)
    (analysis,) = analyze_paths(["infra/net.json", "infra/svc.json"]).analyses
    assert verdicts(analysis, "HOP101") == {"prod/Listener": Verdict.FAILED}  # listens on 8443, admits 80


def test_a_codepipeline_template_configuration_gives_parameters(tmp_path):
    write(tmp_path / "config.json", {"Parameters": {"Port": "8443", "Debug": True}, "Tags": {"team": "web"}})
    write(tmp_path / "deploy.yaml", "stacks:\n  - template: net.json\n    parameters: config.json\n")
    description = describe_scan([str(tmp_path / "net.json")], {"HOPLINT_DEPLOYMENT": str(tmp_path / "deploy.yaml")})
    assert description.stacks[0].parameters == (("Debug", "true"), ("Port", "8443"))


@pytest.mark.parametrize("content, problem", [
    ("stacks: {}", "no list of stacks"),
    ("stacks:\n  - name: x\n", "no template path"),
    ("stacks:\n  - template: a.yaml\n    parameters: [1]\n", "parameters must be a mapping"),
    ("stacks: [", "not valid YAML"),
    ("stacks:\n  - template: a.yaml\n    parameters: missing.json\n", "cannot read"),
])
def test_a_description_that_cannot_be_read_says_why_and_judging_goes_on(tmp_path, content, problem):
    write(tmp_path / "deploy.yaml", content)
    description = describe_scan([str(tmp_path / "a.yaml")], {"HOPLINT_DEPLOYMENT": str(tmp_path / "deploy.yaml")})
    assert any(problem in text for text in description.problems), description.problems
    scan = analyze_templates({"network.yaml": network(), "service.yaml": importing_service()}, description)
    assert scan.analyses[0].problems == [] and set(description.problems) <= set(scan.analyses[0].notes)


def test_a_declared_template_the_scan_does_not_hold_is_a_note():
    description = Description(stacks=[StackDeclaration("nowhere.yaml", "x", (), "deploy.yaml")])
    scan = analyze_templates({"network.yaml": network()}, description)
    assert scan.analyses[0].notes == ["deploy.yaml: template nowhere.yaml is not among the scanned templates"]


def test_a_description_reads_no_file_outside_its_directory(tmp_path):
    (tmp_path / "repo").mkdir()
    write(tmp_path / "repo" / "deploy.yaml", "stacks:\n  - template: ../secret.yaml\n  - template: net.json\n"
                                             "    parameters: ../../etc/passwd\n")
    write(tmp_path / "secret.yaml", "Resources: {}\n")
    description = describe_scan([str(tmp_path / "repo" / "net.json")],
                                {"HOPLINT_DEPLOYMENT": str(tmp_path / "repo" / "deploy.yaml")})
    assert any("../../etc/passwd is outside" in problem for problem in description.problems)
    scan = analyze_templates({"net.json": network()}, description)
    assert [stack.source for analysis in scan.analyses for stack in analysis.application.stacks] == ["net.json"]
