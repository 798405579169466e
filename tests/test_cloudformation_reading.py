"""Reading CloudFormation: short-form tags, line numbers, intrinsic functions, condition scenarios."""

from __future__ import annotations

import textwrap

import pytest

from application_support import condition_scenarios
from policies.cloudformation.intrinsics import NO_VALUE, Resolver
from policies.cloudformation.loader import MAX_ALIASES, load_template_text
from policies.values import ResourceRef, Unknown


def load(text: str):
    document, line_of, problem = load_template_text(textwrap.dedent(text).encode(), "t.yaml")
    assert problem is None, problem
    return document, line_of


def test_short_form_tags_become_long_form_and_keys_keep_their_lines():
    document, line_of = load("""\
        Resources:
          Sg:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: !Sub "${AWS::StackName} sg"
              VpcId: !GetAtt Vpc.VpcId
              SecurityGroupIngress:
                - IpProtocol: tcp
                  FromPort: !Ref Port
        """)
    properties = document["Resources"]["Sg"]["Properties"]
    assert properties["VpcId"] == {"Fn::GetAtt": ["Vpc", "VpcId"]}
    assert properties["SecurityGroupIngress"][0]["FromPort"] == {"Ref": "Port"}
    assert line_of(("Resources", "Sg", "Properties", "SecurityGroupIngress", 0, "FromPort")) == 9
    assert line_of(("Resources", "Sg", "Properties", "SecurityGroupEgress")) == 4  # absent: its parent


def test_json_with_tabs_loads_with_lines():
    raw = b'{\n\t"Resources": {\n\t\t"Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup"}\n\t}\n}\n'
    document, line_of, problem = load_template_text(raw, "t.json")
    assert problem is None
    assert line_of(("Resources", "Tg")) == 3


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"Resources: [unclosed", "not valid YAML or JSON"),
        (b"just a string", "not a CloudFormation template"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"", "not a CloudFormation template"),
    ],
)
def test_unreadable_input_is_a_problem_not_an_exception(raw, expected):
    document, _, problem = load_template_text(raw, "t.yaml")
    assert document is None and expected in problem


def test_alias_bombs_are_refused_before_expansion():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 30)]
    _, _, problem = load_template_text("\n".join(lines).encode(), "bomb.yaml")
    assert f"more than {MAX_ALIASES} YAML aliases" in problem


def test_a_merge_key_may_be_overridden_but_a_key_not_given_twice():
    base = ("Defaults: &defaults {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: base}}\n"
            "Resources:\n  Sg:\n    <<: *defaults\n    Properties: {GroupDescription: own}\n")
    document, line_of, problem = load_template_text(base.encode(), "merge.yaml")
    assert problem is None
    assert document["Resources"]["Sg"] == {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "own"}}
    assert line_of(("Resources", "Sg", "Properties")) == 5
    _, _, problem = load_template_text((base + "    Properties: {GroupDescription: again}\n").encode(), "twice.yaml")
    assert "duplicate key 'Properties' (first at line 5)" in problem


TEMPLATE = {
    "Parameters": {
        "Port": {"Type": "Number", "Default": 8080},
        "NoDefault": {"Type": "String"},
        "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/port"},
        "Env": {"Type": "String", "Default": "dev"},
    },
    "Mappings": {"Ports": {"dev": {"App": 9000}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Always": {"Fn::Equals": ["a", "a"]},
    },
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Sg": {"Type": "AWS::EC2::SecurityGroup"},
    },
}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ({"Ref": "Port"}, 8080),
        ({"Ref": "Sg"}, ResourceRef("Sg")),
        ({"Fn::GetAtt": ["Sg", "GroupId"]}, ResourceRef("Sg")),
        ({"Fn::GetAtt": "Vpc.CidrBlock"}, "10.0.0.0/16"),
        ({"Fn::Sub": "${Port}"}, "8080"),
        ({"Fn::Sub": ["${X}-${!Literal}", {"X": {"Ref": "Env"}}]}, "dev-${Literal}"),
        ({"Fn::FindInMap": ["Ports", "dev", "App"]}, 9000),
        ({"Fn::FindInMap": ["Ports", {"Ref": "Env"}, "App"]}, 9000),
        ({"Fn::Select": [1, [80, 443]]}, 443),
        ({"Fn::Select": [0, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}]}, "10.0.0.0/24"),
        ({"Fn::Join": [":", ["a", 1]]}, "a:1"),
        ({"Fn::If": ["IsProd", 443, 80]}, 80),
        ([{"Ref": "AWS::NoValue"}, 1], [1]),
    ],
)
def test_resolves_what_the_template_determines(expression, expected):
    assert Resolver(TEMPLATE, {"IsProd": False}).resolve(expression) == expected


@pytest.mark.parametrize(
    "expression, reason",
    [
        ({"Ref": "NoDefault"}, "parameter NoDefault has no Default"),
        ({"Ref": "FromSsm"}, "read from SSM"),
        ({"Ref": "AWS::Region"}, "AWS::Region is known only at deploy time"),
        ({"Fn::ImportValue": "shared-AlbSg"}, "Fn::ImportValue shared-AlbSg"),
        ("{{resolve:ssm:/app/port}}", "dynamic reference"),
        ({"Fn::GetAtt": ["Missing", "GroupId"]}, "does not define"),
        ({"Fn::If": ["IsProd", 1]}, "malformed"),
        ({"Fn::Sub": "${NoDefault}"}, "no Default"),
    ],
)
def test_what_static_analysis_cannot_know_is_unknown_with_a_reason(expression, reason):
    value = Resolver(TEMPLATE, {}).resolve(expression)
    assert isinstance(value, Unknown) and reason in value.reason


def test_no_value_removes_a_property():
    assert Resolver(TEMPLATE).resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_deployments_enumerate_only_consistent_condition_values():
    scenarios = condition_scenarios(TEMPLATE)
    assert sorted(tuple(sorted(s.items())) for s in scenarios) == [
        (("Always", True), ("IsDev", False), ("IsProd", True)),
        (("Always", True), ("IsDev", True), ("IsProd", False)),
    ]


def test_too_many_free_conditions_fall_back_to_the_default_deployment():
    conditions = {f"C{i}": {"Fn::Equals": [{"Ref": f"P{i}"}, "on"]} for i in range(8)}
    parameters = {f"P{i}": {"Type": "String", "Default": "off"} for i in range(8)}
    assert condition_scenarios({**TEMPLATE, "Parameters": parameters, "Conditions": conditions}) is None
