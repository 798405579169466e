"""The engine on hostile and broken templates: it always answers, in bounded time and memory, and a hop it
cannot prove is never PASSED. What it cannot read is a problem of the file (nothing judged) or, for a
value the template gets wrong, an UNKNOWN finding that names the value and where it is."""

from __future__ import annotations

import copy
import json
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml
from cfnlint.decode.node import dict_node, list_node

import hostile
from oracle import FIXTURES_DIR
from policies import Verdict, analyze_document, analyze_file
from policies.analysis import MAX_TEMPLATE_BYTES
from policies.cloudformation import topology_builder
from application_support import condition_scenarios
from policies.application.scenarios import ConditionSpace
from policies.cloudformation.intrinsics import MAX_DEPTH, MAX_TEXT, Resolver, Spliced
from policies.document_limits import MAX_NESTING, MAX_VALUES
from policies.values import Unknown

PLAIN_HTTP = hostile.fixture_document("good/plain-http.yaml")
RESOURCES = ("Resources",)


def analyze_text(tmp_path, name: str, text: bytes):
    path = tmp_path / name
    path.write_bytes(text)
    return path, analyze_file(str(path))


# -- files that cannot be judged: one problem naming the file and why, no findings, no exception -------

CIRCULAR_CONDITIONS = b"""\
Conditions:
  A: !Condition B
  B: !Not [!Condition A]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Condition: A
"""

UNJUDGEABLE = {
    "empty.yaml": (b"", "no Resources mapping"),
    "blank.yaml": (b" \n\n  \n", "no Resources mapping"),
    "null.yaml": (b"null\n", "no Resources mapping"),
    "a-list.yaml": (b"- Resources\n", "no Resources mapping"),
    "resources-is-a-list.yaml": (b"Resources: [Sg, Alb]\n", "no Resources mapping"),
    "unclosed.yaml": (b"Resources: [unclosed\n", "not valid YAML or JSON"),
    "truncated.json": (b'{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup"', "not valid YAML or JSON"),
    "not-utf8.yaml": (b"\xff\xfe\x00R\x00e", "not UTF-8"),
    "control-character.yaml": (b"Resources:\n  Sg\x07: {}\n", "not valid YAML or JSON"),
    "two-documents.yaml": (b"Resources: {}\n---\nResources: {}\n", "not valid YAML or JSON"),
    "tab-indented.yaml": (b"Resources:\n\tSg:\n\t\tType: AWS::EC2::SecurityGroup\n", "not valid YAML or JSON"),
    "duplicate-logical-id.yaml": (
        b"Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n  Sg:\n    Type: AWS::EC2::VPC\n",
        "duplicate key 'Sg' (first at line 2): the template is ambiguous (line 4",
    ),
    "duplicate-property.yaml": (
        b"Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupName: a, GroupName: b}\n",
        "duplicate key 'GroupName'",
    ),
    "duplicate-logical-id.json": (
        b'{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup"}, "Sg": {"Type": "AWS::EC2::VPC"}}}',
        "duplicate key 'Sg'",
    ),
    "recursive-alias.yaml": (b"Resources: &loop\n  Sg: *loop\n", "not valid YAML or JSON"),
    "python-object.yaml": (b"Resources: !!python/object/apply:os.system ['echo pwned']\n", "not valid YAML or JSON"),
    "python-name.yaml": (b"Resources: !!python/name:os.system\n", "not valid YAML or JSON"),
    "resource-without-type.yaml": (b"Resources:\n  Sg:\n    Properties: {}\n", "resource 'Sg' has no Type"),
    "resource-type-is-a-list.yaml": (b"Resources:\n  Sg:\n    Type: [AWS::EC2::SecurityGroup]\n", "has no Type"),
    "resource-is-a-string.yaml": (b"Resources:\n  Sg: AWS::EC2::SecurityGroup\n", "has no Type"),
    "circular-conditions.yaml": (CIRCULAR_CONDITIONS, "conditions ['A', 'B'] refer to themselves"),
    "undefined-condition.yaml": (
        b"Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Condition: Missing\n",
        "resource 'Sg': Condition 'Missing' names no condition",
    ),
    "malformed-condition.yaml": (
        b"Conditions:\n  IsProd: !Equals [prod]\nResources:\n  Sg: {Type: AWS::EC2::SecurityGroup}\n",
        "condition 'IsProd': Fn::Equals ['prod'] does not compare two values",
    ),
    "unknown-condition-function.yaml": (
        b"Conditions:\n  IsProd: {Fn::Equalz: [a, b]}\nResources:\n  Sg: {Type: AWS::EC2::SecurityGroup}\n",
        "'Fn::Equalz' is not a condition function",
    ),
}


@pytest.mark.parametrize("name", UNJUDGEABLE)
def test_a_template_that_cannot_be_judged_is_one_problem_naming_the_file(tmp_path, name):
    text, reason = UNJUDGEABLE[name]
    path, analysis = analyze_text(tmp_path, name, text)
    assert analysis.findings == []
    assert len(analysis.problems) == 1 and str(path) in analysis.problems[0]
    assert reason in analysis.problems[0]


def test_python_tags_are_refused_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    analyze_text(tmp_path, "t.yaml", b"Resources: !!python/object/apply:os.system ['touch pwned']\n")
    analyze_text(tmp_path, "u.yaml", b"Resources: !!python/object/new:pathlib.Path ['pwned']\n")
    assert not (tmp_path / "pwned").exists()


def test_files_that_cannot_be_read_are_problems(tmp_path):
    assert "cannot read" in analyze_file(str(tmp_path / "missing.yaml")).problems[0]
    assert "cannot read" in analyze_file(str(tmp_path)).problems[0]  # a directory


def test_an_endless_file_is_refused_after_reading_its_size_limit():
    with hostile.deadline(10):
        assert f"larger than {MAX_TEMPLATE_BYTES} bytes" in analyze_file("/dev/zero").problems[0]


# -- values of the wrong type: UNKNOWN for the rules that read them, at the value; the rest still judged --

def prop(resource: str, *path) -> tuple:
    """The path of a property of a fixture's resource (of its Properties when no property is named)."""
    return RESOURCES + (resource, "Properties") + path


CONTAINER_PORT = prop("AppService", "LoadBalancers", 0, "ContainerPort")
PORT_MAPPING = prop("AppTaskDefinition", "ContainerDefinitions", 0, "PortMappings", 0)

def unknown_at(where: tuple, *subjects: tuple) -> dict:
    """{(rule, resource it is reported on): where the unreadable value is}, all at `where`."""
    return dict.fromkeys(subjects, where)


def wrong(where: tuple, value, expected: dict, fixture: str = "good/plain-http.yaml"):
    """`value` put at `where` in `fixture`, and the UNKNOWN findings it must give."""
    name = "" if fixture == "good/plain-http.yaml" else f"{Path(fixture).stem}:"
    return pytest.param(fixture, where, value, expected, id=f"{name}{'/'.join(map(str, where[1:]))}={value!r:.20}")


SG_HOPS = (("HOP301", "AppService"), ("HOP303", "AppService"), ("HOP306", "AppService"))
LISTENER = (("HOP101", "HttpListener"), ("HOP201", "HttpListener"))
SERVICE_SGS = prop("AppService", "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups")
TARGET_GROUP_ARN = prop("AppService", "LoadBalancers", 0, "TargetGroupArn")
INGRESS = prop("AppIngressFromAlb")

# (where, the value put there, {(rule, resource it is reported on): where the unreadable value is})
WRONG_TYPES = [
    wrong(prop("HttpListener", "Port"), "eighty", unknown_at(prop("HttpListener", "Port"), ("HOP101", "HttpListener"))),
    wrong(CONTAINER_PORT, [8080], unknown_at(CONTAINER_PORT, ("HOP205", "AppService"), ("HOP206", "AppTargetGroup"),
                                             *SG_HOPS)),
    wrong(CONTAINER_PORT, "9" * 5000, unknown_at(CONTAINER_PORT, ("HOP205", "AppService"),
                                                 ("HOP206", "AppTargetGroup"), *SG_HOPS)),
    wrong(INGRESS + ("FromPort",), -1, unknown_at(INGRESS + ("FromPort",), ("HOP303", "AppService"))),
    wrong(INGRESS + ("FromPort",), "²", unknown_at(INGRESS + ("FromPort",), ("HOP303", "AppService"))),
    wrong(INGRESS + ("FromPort",), None, unknown_at(INGRESS + ("FromPort",), ("HOP303", "AppService"))),
    wrong(INGRESS + ("ToPort",), 70000, unknown_at(INGRESS + ("ToPort",), ("HOP303", "AppService"))),
    wrong(INGRESS + ("IpProtocol",), "tcpp", unknown_at(INGRESS + ("IpProtocol",), ("HOP303", "AppService"))),
    wrong(INGRESS + ("IpProtocol",), True, unknown_at(INGRESS + ("IpProtocol",), ("HOP303", "AppService"))),
    wrong(INGRESS + ("GroupId",), {"Ref": "AppSgg"},  # a rule that may be any group's
          unknown_at(INGRESS + ("GroupId",), ("HOP303", "AppService"), ("HOP306", "AppService"))),
    wrong(prop("AlbSg", "SecurityGroupIngress"), "tcp/80 from anywhere",
          unknown_at(prop("AlbSg", "SecurityGroupIngress"), ("HOP101", "HttpListener"))),
    wrong(prop("AlbSg", "SecurityGroupIngress", 0), "tcp/80",
          unknown_at(prop("AlbSg", "SecurityGroupIngress", 0), ("HOP101", "HttpListener"))),
    wrong(prop("AlbSg"), [], unknown_at(prop("AlbSg"), ("HOP101", "HttpListener"), ("HOP301", "AppService"))),
    wrong(prop("AlbSg", "SecurityGroupEgress", 0, "DestinationSecurityGroupId"), {"Fn::GetAtt": ["AppSgg", "GroupId"]},
          unknown_at(prop("AlbSg", "SecurityGroupEgress", 0, "DestinationSecurityGroupId"), ("HOP301", "AppService"))),
    wrong(prop("LoadBalancer", "Type"), ["application"],
          unknown_at(prop("LoadBalancer", "Type"), *LISTENER, ("HOP301", "AppService"), ("HOP303", "AppService"))),
    wrong(prop("LoadBalancer", "Scheme"), "public",
          unknown_at(prop("LoadBalancer", "Scheme"), ("HOP101", "HttpListener"))),
    wrong(prop("HttpListener", "Protocol"), {"Fn::If": ["IsHttps", "HTTPS"]},
          unknown_at(prop("HttpListener", "Protocol"), ("HOP201", "HttpListener"))),
    wrong(prop("HttpListener", "DefaultActions"), "forward",
          unknown_at(prop("HttpListener", "DefaultActions"), ("HOP202", "AppService"))),
    wrong(prop("HttpListener", "LoadBalancerArn"), {"Ref": "LoadBalancr"},
          unknown_at(prop("HttpListener", "LoadBalancerArn"), *LISTENER, ("HOP301", "AppService"),
                     ("HOP303", "AppService"))),
    wrong(prop("AppTargetGroup", "TargetType"), {"ip": True},
          unknown_at(prop("AppTargetGroup", "TargetType"), ("HOP203", "AppTargetGroup"))),
    wrong(prop("AppTargetGroup", "Port"), "8080/tcp",
          unknown_at(prop("AppTargetGroup", "Port"), ("HOP206", "AppTargetGroup"))),
    wrong(prop("AppTargetGroup", "HealthCheckProtocol"), ["HTTP"],
          unknown_at(prop("AppTargetGroup", "HealthCheckProtocol"), ("HOP211", "AppTargetGroup"))),
    wrong(prop("AppTargetGroup", "HealthCheckPort"), 70000,
          unknown_at(prop("AppTargetGroup", "HealthCheckPort"), ("HOP212", "AppTargetGroup"), ("HOP302", "AppService"),
                     ("HOP304", "AppService"))),
    wrong(prop("AppTaskDefinition", "NetworkMode"), ["awsvpc"],
          unknown_at(prop("AppTaskDefinition", "NetworkMode"), ("HOP203", "AppTargetGroup"),
                     ("HOP208", "AppTaskDefinition"), *SG_HOPS)),
    wrong(prop("AppTaskDefinition", "RequiresCompatibilities"), "FARGATE",
          unknown_at(prop("AppTaskDefinition", "RequiresCompatibilities"), ("HOP208", "AppTaskDefinition"))),
    wrong(prop("AppTaskDefinition", "ContainerDefinitions"), "app",
          unknown_at(prop("AppTaskDefinition", "ContainerDefinitions"), ("HOP204", "AppService"),
                     ("HOP207", "AppTaskDefinition"))),
    wrong(PORT_MAPPING[:-1], {"ContainerPort": 8080},
          unknown_at(PORT_MAPPING[:-1], ("HOP205", "AppService"), ("HOP207", "AppTaskDefinition"))),
    wrong(PORT_MAPPING + ("HostPort",), False,
          unknown_at(PORT_MAPPING + ("HostPort",), ("HOP207", "AppTaskDefinition"))),
    wrong(SERVICE_SGS, "AppSg", unknown_at(SERVICE_SGS, ("HOP305", "AppService"), *SG_HOPS)),
    wrong(TARGET_GROUP_ARN, {"Ref": "AppTargetGrop"}, unknown_at(TARGET_GROUP_ARN, ("HOP202", "AppService"))),
    wrong(TARGET_GROUP_ARN, {"Ref": "AppSg"}, unknown_at(TARGET_GROUP_ARN, ("HOP202", "AppService"))),
    wrong(prop("AppService", "LoadBalancers", 0, "ContainerName"), {"Fn::Select": [3, ["app"]]},
          unknown_at(prop("AppService", "LoadBalancers", 0, "ContainerName"), ("HOP204", "AppService"))),
    wrong(prop("AppService", "TaskDefinition"), 42,
          unknown_at(prop("AppService", "TaskDefinition"), ("HOP204", "AppService"), *SG_HOPS)),
    wrong(prop("AppService", "TaskDefinition"), {"Fn::GetAtt": ["AppTaskDefinition"]},
          unknown_at(prop("AppService", "TaskDefinition"), ("HOP204", "AppService"), *SG_HOPS)),
]


# The same on the ECS on EC2 and blue/green fixtures: what their own rules (HOP401-HOP504) read.
BRIDGE, HOST, LAUNCH_CONFIGURATION = ("good/ec2-bridge-dynamic-host-ports.yaml", "good/ec2-host-mode.yaml",
                                      "good/ec2-bridge-launch-configuration.yaml")
BLUE_GREEN = "good/blue-green-ecs-native.yaml"
INSTANCE_GATES = (("HOP503", "AppService"), ("HOP504", "AppService"))
HOST_PORT = PORT_MAPPING + ("HostPort",)
ALTERNATE = prop("AppService", "LoadBalancers", 0, "AdvancedConfiguration", "AlternateTargetGroupArn")
FLEET_AND_BLUE_GREEN_WRONG_TYPES = [
    wrong(HOST_PORT, "abc", unknown_at(HOST_PORT, *INSTANCE_GATES), BRIDGE),
    wrong(prop("AppTargetGroup", "TargetType"), ["instance"],
          unknown_at(prop("AppTargetGroup", "TargetType"), ("HOP203", "AppTargetGroup"), ("HOP501", "AppTargetGroup")),
          HOST),
    wrong(prop("AppTargetGroup", "HealthCheckPort"), 70000,
          unknown_at(prop("AppTargetGroup", "HealthCheckPort"), ("HOP212", "AppTargetGroup"),
                     ("HOP502", "AppTargetGroup")), BRIDGE),
    wrong(prop("AppService", "CapacityProviderStrategy", 0, "CapacityProvider"), {"Ref": "CapacityProvidr"},
          unknown_at(prop("AppService", "CapacityProviderStrategy", 0, "CapacityProvider"), *INSTANCE_GATES), HOST),
    wrong(prop("AutoScalingGroup", "LaunchConfigurationName"), {"Ref": "LaunchConfig"},
          unknown_at(prop("AutoScalingGroup", "LaunchConfigurationName"), *INSTANCE_GATES), LAUNCH_CONFIGURATION),
    wrong(prop("LaunchConfiguration", "SecurityGroups"), "InstanceSg",
          unknown_at(prop("LaunchConfiguration", "SecurityGroups"), *INSTANCE_GATES), LAUNCH_CONFIGURATION),
    wrong(prop("InstanceIngressFromAlb", "ToPort"), "65535+",
          unknown_at(prop("InstanceIngressFromAlb", "ToPort"), ("HOP503", "AppService")), BRIDGE),
    wrong(prop("GreenTargetGroup", "Port"), "8080/tcp",
          unknown_at(prop("GreenTargetGroup", "Port"), ("HOP206", "GreenTargetGroup"), ("HOP401", "GreenTargetGroup")),
          BLUE_GREEN),
    wrong(ALTERNATE, {"Ref": "GreenTargetGrop"}, unknown_at(ALTERNATE, ("HOP401", "BlueTargetGroup")), BLUE_GREEN),
    wrong(prop("TestListener", "Port"), "nine thousand",
          unknown_at(prop("TestListener", "Port"), ("HOP402", "TestListener")), BLUE_GREEN),
]


# The same on the fixtures whose instances join the cluster by user data or cfn-init: what finds them.
USER_DATA_JOIN, CFN_INIT_JOIN = "good/ec2-userdata-cluster-join.yaml", "good/ec2-cfn-init-cluster-join.yaml"
USER_DATA = prop("HostLaunchTemplate", "LaunchTemplateData", "UserData")
INIT_COMMANDS = RESOURCES + ("EcsHostLaunchConfiguration", "Metadata", "AWS::CloudFormation::Init", "config",
                             "commands")
WEB_GATES, API_GATES = (("HOP503", "WebService"), ("HOP504", "WebService")), (("HOP503", "ApiService"),
                                                                               ("HOP504", "ApiService"))
CLUSTER_JOIN_WRONG_TYPES = [
    wrong(USER_DATA, "echo ECS_CLUSTER=web", unknown_at(USER_DATA, *WEB_GATES), USER_DATA_JOIN),  # not base64
    wrong(USER_DATA, {"Fn::Base64": {"Fn::Sub": "echo ECS_CLUSTER=${Clustr}"}}, unknown_at(USER_DATA, *WEB_GATES),
          USER_DATA_JOIN),
    wrong(USER_DATA, {"Fn::Base64": ["echo", "ECS_CLUSTER=web"]}, unknown_at(USER_DATA, *WEB_GATES), USER_DATA_JOIN),
    wrong(prop("WebService", "Cluster"), {"Fn::Join": ["", "Cluster"]},
          unknown_at(prop("WebService", "Cluster"), *WEB_GATES), USER_DATA_JOIN),
    wrong(INIT_COMMANDS, "echo ECS_CLUSTER=api", unknown_at(INIT_COMMANDS, *API_GATES), CFN_INIT_JOIN),
    wrong(INIT_COMMANDS + ("10_join_cluster",), ["echo ECS_CLUSTER=api"],
          unknown_at(INIT_COMMANDS + ("10_join_cluster",), *API_GATES), CFN_INIT_JOIN),
    wrong(INIT_COMMANDS + ("10_join_cluster", "command"), {"Fn::Sub": ["${X}", {"X": [1]}]},
          unknown_at(INIT_COMMANDS + ("10_join_cluster", "command"), *API_GATES), CFN_INIT_JOIN),
]


@pytest.mark.parametrize("fixture, where, value, expected",
                         WRONG_TYPES + FLEET_AND_BLUE_GREEN_WRONG_TYPES + CLUSTER_JOIN_WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_unknown_for_the_rules_reading_it_and_says_where(fixture, where, value,
                                                                                      expected):
    analysis = analyze_document(hostile.set_at(hostile.fixture_document(fixture), where, value), f"{fixture}, broken")
    assert analysis.problems == []
    not_passed = {(f.rule_id, f.resource): f for f in analysis.findings if f.verdict is not Verdict.PASSED}
    assert {key: f.verdict for key, f in not_passed.items()} == dict.fromkeys(expected, Verdict.UNKNOWN)
    for key, unreadable_at in expected.items():
        assert [u.path for u in not_passed[key].unreadable] == [unreadable_at]
    # Every other rule is still judged: the fixture proves all its hops, and still proves the others.
    assert len([f for f in analysis.findings if f.verdict is Verdict.PASSED]) >= 5


def test_a_port_the_template_gets_wrong_passes_no_gate_not_even_an_allow_all_one():
    document = copy.deepcopy(PLAIN_HTTP)
    del document["Resources"]["AlbSg"]["Properties"]["SecurityGroupEgress"]  # EC2's default: all traffic out
    assert analyze_document(document, "allow-all").verdict("HOP301", "AppService")[0] is Verdict.PASSED
    garbled = hostile.set_at(document, CONTAINER_PORT, "eighty")
    assert analyze_document(garbled, "allow-all, port garbled").verdict("HOP301", "AppService")[0] is Verdict.UNKNOWN


def test_a_rule_the_template_gets_wrong_opens_no_gate_even_where_any_source_would_do():
    internal = hostile.set_at(PLAIN_HTTP, prop("LoadBalancer", "Scheme"), "internal")  # any client will do
    assert analyze_document(internal, "internal").verdict("HOP101", "HttpListener")[0] is Verdict.PASSED
    garbled = hostile.set_at(internal, prop("AlbSg", "SecurityGroupIngress", 0, "CidrIp"), "0.0.0.0/0 please")
    verdict, findings = analyze_document(garbled, "internal, peer garbled").verdict("HOP101", "HttpListener")
    assert verdict is Verdict.UNKNOWN
    assert findings[0].unreadable[0].path == prop("AlbSg", "SecurityGroupIngress", 0, "CidrIp")


def test_the_same_garbage_in_two_places_is_not_one_value():
    service_and_container = hostile.set_at(hostile.set_at(PLAIN_HTTP, CONTAINER_PORT, "eighty"),
                                           PORT_MAPPING + ("ContainerPort",), "eighty")
    analysis = analyze_document(service_and_container, "eighty twice")
    assert analysis.verdict("HOP205", "AppService")[0] is Verdict.UNKNOWN


def test_a_standalone_rule_whose_group_cannot_be_read_may_close_any_groups_default_egress():
    # Without egress rules of its own, AlbSg keeps EC2's default allow-all egress: HOP301 is proved...
    document = copy.deepcopy(PLAIN_HTTP)
    del document["Resources"]["AlbSg"]["Properties"]["SecurityGroupEgress"]
    assert analyze_document(document, "default egress").verdict("HOP301", "AppService")[0] is Verdict.PASSED
    # ... until an egress rule that may be meant for it replaces that default.
    document["Resources"]["BrokenEgress"] = {
        "Type": "AWS::EC2::SecurityGroupEgress",
        "Properties": {"GroupId": {"Ref": "AlbSgTypo"}, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                       "CidrIp": "0.0.0.0/0"},
    }
    verdict, findings = analyze_document(document, "broken standalone egress").verdict("HOP301", "AppService")
    assert verdict is Verdict.UNKNOWN
    assert findings[0].unreadable[0].path == RESOURCES + ("BrokenEgress", "Properties", "GroupId")


# -- intrinsic functions: malformed, circular, or built to explode ------------------------------------

TEMPLATE = {
    "Parameters": {"Port": {"Type": "Number", "Default": 8080}},
    "Conditions": {"IsProd": {"Fn::Equals": ["a", "b"]}},
    "Mappings": {"Ports": {"dev": {"App": 9000, "Loop": {"Fn::FindInMap": ["Ports", "dev", "Loop"]}}}},
    "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}},
}


MALFORMED_EXPRESSIONS = [
    {"Fn::If": ["IsProd", 443]},
    {"Fn::If": ["Undefined", 443, 80]},
    {"Fn::If": [["IsProd"], 443, 80]},
    {"Fn::GetAtt": ["Missing", "GroupId"]},
    {"Fn::GetAtt": "no-dot"},
    {"Fn::GetAtt": [{"Ref": "Vpc"}, 5]},
    {"Ref": "Missing"},
    {"Ref": ["Port"]},
    {"Fn::Sub": "${Undefined}"},
    {"Fn::Sub": ["${X}", {"X": [1, 2]}]},
    {"Fn::Sub": 42},
    {"Fn::Select": [5, [80, 443]]},
    {"Fn::Select": [-1, [80, 443]]},
    {"Fn::Select": ["²", [80, 443]]},
    {"Fn::Select": [True, [80, 443]]},
    {"Fn::Select": [0]},
    {"Fn::Join": [",", "not a list"]},
    {"Fn::Join": [",", [[1], 2]]},
    {"Fn::Split": ["", "a,b"]},
    {"Fn::FindInMap": ["Ports", "prod", "App"]},
    {"Fn::FindInMap": ["Ports", "dev", "Loop"]},
    {"Fn::FindInMap": ["Ports", ["dev"], "App"]},
    {"Fn::Cidr": ["10.0.0.0/8", 100_000_000, 8]},
    {"Fn::Cidr": [167772160, 2, 8]},
    {"Fn::Length": 5},
    {"Fn::ImportValue": [1, 2]},
]


@pytest.mark.parametrize("expression", MALFORMED_EXPRESSIONS)
def test_malformed_intrinsics_resolve_to_a_malformed_unknown(expression):
    value = Resolver(TEMPLATE, {"IsProd": False}).resolve(expression)
    assert isinstance(value, Unknown) and value.malformed, value


@pytest.mark.parametrize("expression", MALFORMED_EXPRESSIONS)
def test_malformed_intrinsics_read_as_text_are_a_malformed_piece(expression):
    pieces = Resolver(TEMPLATE, {"IsProd": False}).text(expression)
    assert any(isinstance(piece, Spliced) and piece.value.malformed for piece in pieces), pieces


def vpc_chain(length: int, cidr_of) -> dict:
    """VPCs V0..V{length-1}; each one's CidrBlock built by `cidr_of(previous vpc id)` (V0 from itself)."""
    resources = {}
    for index in range(length):
        resources[f"V{index}"] = {"Type": "AWS::EC2::VPC",
                                  "Properties": {"CidrBlock": cidr_of(f"V{max(index - 1, 0)}")}}
    return {"Resources": resources}


@pytest.mark.parametrize("template, reason", [
    # A CidrBlock that is its own, through a circle of two.
    ({"Resources": {
        "A": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Fn::GetAtt": ["B", "CidrBlock"]}}},
        "B": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Fn::GetAtt": ["A", "CidrBlock"]}}},
    }}, "built from itself"),
    # Each CIDR twice the previous one: 2**60 GetAtts to resolve, were each one resolved anew.
    (vpc_chain(60, lambda previous: {"Fn::Join": ["", [{"Fn::GetAtt": [previous, "CidrBlock"]}] * 2]}),
     "nested too deeply"),
])
def test_cidr_blocks_built_from_each_other_resolve_once(template, reason):
    with hostile.deadline(2):
        value = Resolver(template).resolve({"Fn::GetAtt": [list(template["Resources"])[-1], "CidrBlock"]})
    assert isinstance(value, Unknown) and value.malformed and reason in value.reason


def test_a_string_doubled_at_each_level_stops_at_the_size_limit():
    expression = "x" * 64
    for _ in range(60):  # 64 * 2**60 characters, if nothing stopped it
        expression = {"Fn::Sub": ["${X}${X}", {"X": expression}]}
    with hostile.deadline(2):
        value = Resolver({"Resources": {}}).resolve(expression)
    assert isinstance(value, Unknown) and value.malformed and f"more than {MAX_TEXT} characters" in value.reason


def test_conditions_built_from_each_other_are_evaluated_once_each():
    conditions = {"C0": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}
    for index in range(1, 200):  # each condition names the previous one twice: 2**199 walks if not shared
        conditions[f"C{index}"] = {"Fn::And": [{"Condition": f"C{index - 1}"}] * 2}
    for index in range(200, 2200):  # a chain far longer than Python's recursion limit
        conditions[f"C{index}"] = {"Condition": f"C{index - 1}"}
    template = {"Parameters": {"Env": {"Type": "String", "Default": "dev"}}, "Conditions": conditions,
                "Resources": {}}
    with hostile.deadline(5):
        assert sorted(scenario["C2199"] for scenario in condition_scenarios(template)) == [False, True]


def test_mapping_keys_of_mixed_types_in_a_condition_are_no_error():
    template = {"Conditions": {"Odd": {"Fn::Equals": [{1: "a", "b": 2}, {"Ref": "AWS::Region"}]}},
                "Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Condition": "Odd"}}}
    assert analyze_document(template, "mixed keys").problems == []


# -- alias bombs, deep nesting, self-reference: refused before they cost anything ---------------------

def measured(analyse) -> tuple:
    """(analysis, peak bytes allocated) of `analyse()`, which must finish within 5 seconds."""
    tracemalloc.start()
    try:
        with hostile.deadline(5):
            analysis = analyse()
        return analysis, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("levels, per_level", [(30, 9), (48, 2)])  # 9**30 values; 2**48 with 96 aliases
def test_alias_bombs_are_refused_before_expansion(tmp_path, levels, per_level):
    path = tmp_path / "bomb.yaml"
    path.write_bytes(hostile.alias_bomb(levels, per_level))
    analysis, peak = measured(lambda: analyze_file(str(path)))
    assert analysis.findings == [] and "alias" in analysis.problems[0]
    assert peak < 20_000_000


def test_a_parsed_template_sharing_values_like_an_alias_bomb_is_refused():
    laughs = ["lol"]
    for _ in range(60):  # 2**60 values once expanded, 120 list slots in memory
        laughs = [laughs, laughs]
    template = {"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"Tags": laughs}}}}
    analysis, peak = measured(lambda: analyze_document(template, "shared"))
    assert f"more than {MAX_VALUES} values" in analysis.problems[0]
    assert peak < 20_000_000


def test_a_parsed_template_that_contains_itself_is_refused():
    template = {"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}}}}
    template["Resources"]["Sg"]["Properties"]["Tags"] = [template]
    with hostile.deadline(5):
        assert "contains it" in analyze_document(template, "loop").problems[0]


NESTED_1000_YAML = ("Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      Tags: "
                    + "[" * 1000 + "]" * 1000 + "\n").encode()
NESTED_1000_JSON = ('{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"Tags": '
                    + "[" * 1000 + "]" * 1000 + "}}}}").encode()


@pytest.mark.parametrize("name, text", [("nested.yaml", NESTED_1000_YAML), ("nested.json", NESTED_1000_JSON)])
def test_1000_levels_of_nesting_in_a_file_are_refused(tmp_path, name, text):
    with hostile.deadline(5):
        _, analysis = analyze_text(tmp_path, name, text)
    assert analysis.findings == [] and analysis.problems


def cfn_lint_nested(depth: int) -> list_node:
    """A list nested `depth` deep made of cfn-lint's own node types, as its parser would build it."""
    mark = yaml.Mark("t.yaml", 0, 0, 0, None, None)
    value = list_node([], mark, mark)
    for _ in range(depth):
        value = list_node([value], mark, mark)
    return value


def test_1000_levels_of_nesting_in_cfn_lints_parsed_template_are_refused():
    mark = yaml.Mark("t.yaml", 0, 0, 0, None, None)
    sg = dict_node({"Type": "AWS::EC2::SecurityGroup", "Properties": dict_node({"Tags": cfn_lint_nested(1000)},
                                                                              mark, mark)}, mark, mark)
    template = dict_node({"Resources": dict_node({"Sg": sg}, mark, mark)}, mark, mark)
    with hostile.deadline(5):
        assert f"nests more than {MAX_NESTING} levels deep" in analyze_document(template, "t.yaml").problems[0]


DEEP = MAX_NESTING - 10  # as deep as the engine accepts


@pytest.mark.parametrize("where", [
    ("Conditions", "Deep", "Fn::Equals", 0),  # compared by its text
    ("Resources", "Sg", "Properties", "SecurityGroupIngress"),  # resolved
    ("Resources", "Sg", "Properties", "SecurityGroupIngress", 0, "FromPort"),
    ("Mappings", "M", "k", "v"),
])
def test_nesting_the_engine_accepts_is_no_recursion_error_even_in_a_deep_call_stack(where):
    template = {"Conditions": {"Deep": {"Fn::Equals": [1, 2]}},
                "Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Condition": "Deep",
                                     "Properties": {"SecurityGroupIngress": [{"FromPort": 1}]}}},
                "Mappings": {"M": {"k": {"v": 1}}}}
    template = hostile.set_at(template, where, hostile.nested_list(DEEP - len(where), {"Fn::Select": [0, [80]]}))

    def analyse_under(frames: int):  # a host tool calls us from deep in its own stack
        return analyse_under(frames - 1) if frames else analyze_document(template, "deep")

    with hostile.deadline(5):
        assert not [p for p in analyse_under(sys.getrecursionlimit() // 3).problems if "could not analyse" in p]


# -- user data and cfn-init: megabytes, deep nesting, long chains, in bounded time --------------------------

JOIN_LINE = "echo ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n"


def joined_by(user_data) -> dict:
    """The user data cluster join fixture with its launch template's UserData replaced."""
    return hostile.set_at(hostile.fixture_document(USER_DATA_JOIN), USER_DATA, user_data)


def instance_gates(document: dict, seconds: float = 5) -> dict:
    with hostile.deadline(seconds):
        analysis = analyze_document(document, "hostile user data")
    assert analysis.problems == []
    return {rule_id: analysis.verdict(rule_id, "WebService") for rule_id in ("HOP503", "HOP504")}


@pytest.mark.parametrize("user_data, verdict, reason", [
    # Near a megabyte of script (EC2 takes 16 KB), read in one pass: it joins cluster web, not the service's.
    ({"Fn::Base64": "#!/bin/bash\n" + "echo ECS_CLUSTER=web >> /etc/ecs/ecs.config\n" * 20_000},
     Verdict.UNKNOWN, "no Auto Scaling group"),
    ({"Fn::Base64": {"Fn::Sub": "#!/bin/bash\n" + "echo padding\n" * 20_000 + JOIN_LINE * 5_000}},
     Verdict.PASSED, None),
    ({"Fn::Base64": {"Fn::Sub": "/opt/aws/bin/cfn-init --resource HostLaunchTemplate\n" * 10_000 + JOIN_LINE}},
     Verdict.PASSED, None),
    # Beyond MAX_TEXT once substituted: refused, not built.
    ({"Fn::Base64": "x" * MAX_TEXT + JOIN_LINE}, Verdict.UNKNOWN, f"more than {MAX_TEXT} characters"),
    ({"Fn::Base64": {"Fn::Sub": "x" * MAX_TEXT + JOIN_LINE}}, Verdict.UNKNOWN, f"more than {MAX_TEXT} characters"),
    ({"Fn::Base64": {"Fn::Join": ["", [{"Fn::Sub": JOIN_LINE}] * 60_000]}}, Verdict.UNKNOWN,
     f"more than {MAX_TEXT} characters"),
])
def test_huge_user_data_is_read_in_bounded_time(user_data, verdict, reason):
    for found_verdict, findings in instance_gates(joined_by(user_data)).values():
        assert found_verdict is verdict
        assert reason is None or reason in findings[0].message


def nested_joins(depth: int, innermost) -> dict:
    for _ in range(depth):
        innermost = {"Fn::Join": ["", [innermost]]}
    return innermost


@pytest.mark.parametrize("depth, verdict", [(50, Verdict.PASSED), (MAX_DEPTH + 1, Verdict.UNKNOWN)])
def test_deeply_nested_joins_in_user_data_are_read_or_refused_without_recursion_error(depth, verdict):
    document = joined_by({"Fn::Base64": nested_joins(depth, {"Fn::Sub": JOIN_LINE})})
    if depth * 3 + 10 < MAX_NESTING:  # the document limit refuses deeper ones before any reading
        for found_verdict, _ in instance_gates(document).values():
            assert found_verdict is verdict
    with hostile.deadline(5):
        pieces = Resolver(document).text(nested_joins(depth * 20, "x"))
    assert pieces[0].value.malformed and "nested too deeply" in pieces[0].value.reason


def test_config_sets_including_each_other_in_a_long_chain_are_expanded_once_each():
    document = hostile.fixture_document("good/ec2-cfn-init-external-cluster.yaml")
    init = document["Resources"]["HostConfig"]["Metadata"]["AWS::CloudFormation::Init"]
    sets = init["configSets"]
    sets["default"] = [{"ConfigSet": "s0"}]
    for index in range(5_000):  # far beyond Python's recursion limit, and every set also names the first
        sets[f"s{index}"] = ["bootstrap", {"ConfigSet": f"s{index + 1}"}, {"ConfigSet": "s0"}]
    sets["s5000"] = [{"ConfigSet": "agent"}]
    with hostile.deadline(5):
        analysis = analyze_document(document, "long chain of config sets")
    assert analysis.problems == []
    assert analysis.verdict("HOP503", "OrdersService")[0] is Verdict.PASSED


# -- size: CloudFormation's 500 resources, in bounded time ------------------------------------------

@pytest.mark.parametrize("dump", [json.dumps, yaml.safe_dump], ids=["json", "yaml"])
def test_500_resources_are_judged_in_bounded_time(tmp_path, dump):
    path = tmp_path / "stacks.template"
    path.write_text(dump(hostile.template_of_500_resources(broken_copies=3)))
    with hostile.deadline(30):
        analysis = analyze_file(str(path))
    assert analysis.problems == []
    failed = {(f.rule_id, f.resource) for f in analysis.findings if f.verdict is Verdict.FAILED}
    assert failed == {("HOP303", f"AppServiceC{copy}") for copy in range(3)}
    # Per copy: the listener, the target group, the task definition and the service.
    assert len({f.resource for f in analysis.findings if f.verdict is Verdict.PASSED}) == 45 * 4


@pytest.mark.parametrize("parameters, deployments", [(6, 64), (1, 7)], ids=["independent", "one parameter"])
def test_500_resources_with_every_combination_of_six_conditions_in_bounded_time(parameters, deployments):
    """Six conditions on six parameters: every combination; on one parameter compared with six values: at most
    one of them is true (cfn-lint's solver), so seven deployments."""
    document = hostile.template_of_500_resources()
    for index in range(parameters):
        document["Parameters"][f"Env{index}"] = {"Type": "String", "Default": "dev"}
    document["Conditions"] = {f"C{index}": {"Fn::Equals": [{"Ref": f"Env{index % parameters}"}, f"v{index}"]}
                              for index in range(6)}
    for index, resource in enumerate(document["Resources"].values()):
        if resource["Type"] == "AWS::EC2::SecurityGroupIngress":
            resource["Condition"] = f"C{index % 6}"
    with hostile.deadline(60):
        analysis = analyze_document(document, f"500 resources, {deployments} deployments")
    assert len(analysis.deployments) == deployments and analysis.problems == []


def test_a_template_larger_than_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * (MAX_TEMPLATE_BYTES + 1))
    assert "larger than" in analyze_file(str(path)).problems[0]


# -- whatever goes wrong inside, the host tool gets an Analysis, never an exception ------------------

@pytest.fixture
def fresh_template(tmp_path):
    """A copy of plain-http with content of its own, so that no cached analysis answers."""
    path = tmp_path / "plain-http.yaml"
    path.write_bytes((FIXTURES_DIR / "good" / "plain-http.yaml").read_bytes() + f"# {tmp_path}\n".encode())
    return path


def test_an_error_reading_a_resource_is_a_problem_naming_file_and_resource(monkeypatch, fresh_template):
    def broken(self, resource_id):
        raise TypeError("unexpected")

    monkeypatch.setattr(topology_builder._Builder, "service", broken)
    analysis = analyze_file(str(fresh_template))
    assert analysis.findings == []
    assert analysis.problems == [f"{fresh_template}: hoplint could not analyse it (ResourceReadError: "
                                 f"resource AppService: TypeError: unexpected)"]


def test_an_error_in_a_rule_is_a_problem_naming_file_and_rule(monkeypatch, fresh_template):
    import policies.evaluate

    def hop999_broken(topology):
        raise KeyError("boom")

    monkeypatch.setattr(policies.evaluate, "ALL_RULES", policies.evaluate.ALL_RULES + (hop999_broken,))
    problems = analyze_file(str(fresh_template)).problems
    assert problems == [f"hop999_broken could not judge {fresh_template}: KeyError: 'boom'"]


@pytest.mark.parametrize("error", [RecursionError("maximum recursion depth exceeded"), MemoryError()])
def test_any_error_while_analysing_is_a_problem_for_files_and_parsed_templates(monkeypatch, fresh_template, error):
    def exhausted(self, keys):
        raise error

    monkeypatch.setattr(ConditionSpace, "assignments", exhausted)
    for analysis, source in ((analyze_file(str(fresh_template)), str(fresh_template)),
                             (analyze_document(hostile.fixture_document("good/plain-http.yaml"), "doc"), "doc")):
        assert analysis.problems == [f"{source}: hoplint could not analyse it ({type(error).__name__}: {error})"]
