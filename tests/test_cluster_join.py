"""Container instances found by the cluster their Auto Scaling group joins (ECS_CLUSTER in user data or cfn-init),
through the engine: variants of the fixtures of each shape, and Resolver.text, which keeps a spliced resource."""

from __future__ import annotations

import base64
import copy

import pytest

from oracle import FIXTURES_DIR
from policies import Verdict, analyze_document
from policies.cloudformation.intrinsics import Resolver, Spliced
from policies.cloudformation.loader import load_template_text
from policies.values import ResourceRef, Unknown

USER_DATA = "good/ec2-userdata-cluster-join.yaml"  # launch template, UserData !Sub, service in Cluster
CFN_INIT = "good/ec2-cfn-init-cluster-join.yaml"  # launch configuration, cfn-init command, service in EcsCluster
EXTERNAL = "good/ec2-cfn-init-external-cluster.yaml"  # cluster outside the template, cfn-init config sets
CDK = "good/ec2-cdk-add-capacity.json"
CAPACITY_PROVIDER = "good/ec2-bridge-dynamic-host-ports.yaml"
SERVICE = {USER_DATA: "WebService", CFN_INIT: "ApiService", EXTERNAL: "OrdersService", CDK: "Service9571FDD8",
           CAPACITY_PROVIDER: "AppService"}
GATES = ("HOP503", "HOP504")


def fixture_document(fixture: str) -> dict:
    document, _, problem = load_template_text((FIXTURES_DIR / fixture).read_bytes(), fixture)
    assert problem is None, problem
    return document


def gates(document: dict, fixture: str) -> dict:
    """{rule: (verdict, messages)} of HOP503 and HOP504 on the fixture's service (the document as it is now:
    the engine caches its analysis of a document object)."""
    analysis = analyze_document(copy.deepcopy(document), fixture)
    assert analysis.problems == []
    verdicts = {}
    for rule_id in GATES:
        verdict, findings = analysis.verdict(rule_id, SERVICE[fixture])
        verdicts[rule_id] = verdict, [finding.message for finding in findings if finding.verdict is verdict]
    return verdicts


def assert_gates(document: dict, fixture: str, verdict: Verdict, *phrases: str) -> None:
    found = gates(document, fixture)
    for rule_id in GATES:
        assert found[rule_id][0] is verdict, found
        for phrase in phrases:
            assert all(phrase in message for message in found[rule_id][1]), (phrase, found[rule_id][1])


def user_data(document: dict, script: str, resource: str = "HostLaunchTemplate") -> dict:
    """The launch template's UserData set to Fn::Base64 of Fn::Sub `script`."""
    data = document["Resources"][resource]["Properties"]["LaunchTemplateData"]
    data["UserData"] = {"Fn::Base64": {"Fn::Sub": script}}
    return document


# -- the shapes -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", [USER_DATA, CFN_INIT, EXTERNAL, CDK])
def test_instances_joining_the_services_cluster_carry_its_tasks(fixture):
    found = gates(fixture_document(fixture), fixture)
    assert {rule_id: verdict for rule_id, (verdict, _) in found.items()} == dict.fromkeys(GATES, Verdict.PASSED)


def test_a_cluster_join_written_as_fn_join_in_a_cfn_init_command_is_read():
    """catsndogs: `!Join ['', ['#!/bin/bash\\n', echo ECS_CLUSTER=, !Ref ECSCluster, ' >> /etc/ecs/ecs.config']]`."""
    document = fixture_document(EXTERNAL)
    init = document["Resources"]["HostConfig"]["Metadata"]["AWS::CloudFormation::Init"]
    del init["ecs"]["files"]
    init["ecs"]["commands"] = {"050_add_instance_to_cluster": {"command": {"Fn::Join": ["", [
        "#!/bin/bash\n", "echo ECS_CLUSTER=", {"Ref": "EcsClusterName"}, " >> /etc/ecs/ecs.config"]]}}}
    assert_gates(document, EXTERNAL, Verdict.PASSED)


@pytest.mark.parametrize("cluster", ["orders-cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/orders-cluster"])
def test_a_cluster_outside_the_template_is_matched_by_its_literal_name_or_arn(cluster):
    document = fixture_document(EXTERNAL)
    document["Resources"]["OrdersService"]["Properties"]["Cluster"] = cluster
    assert_gates(document, EXTERNAL, Verdict.PASSED)


def test_a_cluster_of_the_template_is_matched_by_its_cluster_name():
    document = fixture_document(CFN_INIT)  # ClusterName: !Ref EnvironmentName, default staging
    document["Resources"]["ApiService"]["Properties"]["Cluster"] = "staging"
    assert_gates(document, CFN_INIT, Verdict.PASSED)
    document["Resources"]["ApiService"]["Properties"]["Cluster"] = "production"
    assert_gates(document, CFN_INIT, Verdict.UNKNOWN, "no Auto Scaling group", "cluster production")


def test_user_data_given_as_base64_text_is_decoded():
    document = fixture_document(EXTERNAL)
    script = "#!/bin/bash\necho ECS_CLUSTER=orders-cluster >> /etc/ecs/ecs.config\n"
    document["Resources"]["HostConfig"]["Properties"]["LaunchTemplateData"]["UserData"] = base64.b64encode(
        script.encode()).decode()
    del document["Resources"]["HostConfig"]["Metadata"]
    assert_gates(document, EXTERNAL, Verdict.PASSED)


def test_one_deploy_time_value_on_both_sides_is_one_cluster():
    document = fixture_document(EXTERNAL)
    del document["Parameters"]["EcsClusterName"]["Default"]  # the service and the hosts still name the same one
    assert_gates(document, EXTERNAL, Verdict.PASSED)


@pytest.mark.parametrize("fixture, where", [
    (USER_DATA, ("HostLaunchTemplate", "Properties", "LaunchTemplateData", "UserData")),
    (USER_DATA, ("HostLaunchTemplate", "Properties", "LaunchTemplateData")),
    (CFN_INIT, ("EcsHostLaunchConfiguration", "Properties", "UserData")),
    (CFN_INIT, ("EcsHostLaunchConfiguration", "Metadata", "AWS::CloudFormation::Init", "config", "commands")),
    (EXTERNAL, ("OrdersService", "Properties", "Cluster")),
    (CDK, ("Service9571FDD8", "Properties", "Cluster")),
])
@pytest.mark.parametrize("wrap", [lambda value: {"Fn::Select": [0, [value]]},
                                  lambda value: {"Fn::If": ["Always", value, {"Ref": "AWS::NoValue"}]}])
def test_functions_that_pick_a_value_keep_it_readable(fixture, where, wrap):
    document = fixture_document(fixture)
    document.setdefault("Conditions", {})["Always"] = {"Fn::Equals": ["a", "a"]}
    parent = document["Resources"]
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = wrap(parent[where[-1]])
    assert_gates(document, fixture, Verdict.PASSED)


# -- which groups are candidates ------------------------------------------------------------------------------

def second_host_group(document: dict, joins: str, admits: int) -> dict:
    """A second Auto Scaling group, with a launch template of its own joining `joins` (a Sub variable or
    literal), whose security group admits the load balancer on tcp/`admits` only."""
    resources = document["Resources"]
    resources["OtherSg"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "other hosts", "SecurityGroupIngress": [{
            "IpProtocol": "tcp", "FromPort": admits, "ToPort": admits, "SourceSecurityGroupId": {"Ref": "AlbSg"}}]}}
    resources["OtherLaunchTemplate"] = copy.deepcopy(resources["HostLaunchTemplate"])
    data = resources["OtherLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    data["SecurityGroupIds"] = [{"Ref": "OtherSg"}]
    user_data(document, f"#!/bin/bash\necho ECS_CLUSTER={joins} >> /etc/ecs/ecs.config\n", "OtherLaunchTemplate")
    resources["OtherGroup"] = copy.deepcopy(resources["HostGroup"])
    resources["OtherGroup"]["Properties"]["LaunchTemplate"]["LaunchTemplateId"] = {"Ref": "OtherLaunchTemplate"}
    return document


def test_every_group_joining_the_cluster_carries_the_tasks():
    document = second_host_group(fixture_document(USER_DATA), "${Cluster}", 3000)
    found = gates(document, USER_DATA)
    assert found["HOP503"][0] is Verdict.FAILED
    assert found["HOP503"][1] == ["service WebService (LoadBalancers[0] -> WebTargetGroup): instance SG OtherSg "
                                  "allows tcp/3000 from AlbSg, but the dynamic host port range is 32768-65535"]


def test_a_group_joining_another_cluster_is_no_candidate():
    document = fixture_document(USER_DATA)
    document["Resources"]["BatchCluster"] = {"Type": "AWS::ECS::Cluster"}
    second_host_group(document, "${BatchCluster}", 3000)
    assert_gates(document, USER_DATA, Verdict.PASSED)
    second_host_group(document, "batch", 3000)  # a cluster outside the template, by name
    assert_gates(document, USER_DATA, Verdict.PASSED)


def test_a_service_whose_cluster_no_group_joins_is_unknown():
    document = user_data(fixture_document(USER_DATA), "#!/bin/bash\necho ECS_CLUSTER=batch >> /etc/ecs/ecs.config\n")
    assert_gates(document, USER_DATA, Verdict.UNKNOWN, "no Auto Scaling group of the template whose user data or "
                 "cfn-init names cluster Cluster in ECS_CLUSTER: its container instances may be registered outside")


def test_capacity_providers_take_precedence_over_groups_joining_the_cluster():
    document = fixture_document(CAPACITY_PROVIDER)
    resources = document["Resources"]
    resources["OtherSg"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "other hosts"}}
    resources["OtherLaunchTemplate"] = copy.deepcopy(resources["LaunchTemplate"])
    resources["OtherLaunchTemplate"]["Properties"]["LaunchTemplateData"]["SecurityGroupIds"] = [{"Ref": "OtherSg"}]
    resources["OtherGroup"] = copy.deepcopy(resources["AutoScalingGroup"])
    resources["OtherGroup"]["Properties"]["LaunchTemplate"]["LaunchTemplateId"] = {"Ref": "OtherLaunchTemplate"}
    assert_gates(document, CAPACITY_PROVIDER, Verdict.PASSED)  # OtherGroup joins Cluster, but no provider names it
    # Without providers, the tasks may run on any instance of the cluster: OtherSg admits nothing.
    del resources["AppService"]["Properties"]["CapacityProviderStrategy"]
    del resources["ClusterCapacityProviders"]["Properties"]["DefaultCapacityProviderStrategy"]
    assert gates(document, CAPACITY_PROVIDER)["HOP503"][0] is Verdict.FAILED


def test_the_default_cluster_may_hold_any_instance_running_the_ecs_agent():
    document = fixture_document(USER_DATA)
    del document["Resources"]["WebService"]["Properties"]["Cluster"]  # the service runs in cluster default
    user_data(document, "#!/bin/bash\nyum install -y nginx\n")
    assert_gates(document, USER_DATA, Verdict.UNKNOWN, "Auto Scaling group HostGroup names no cluster: its instances "
                 "join cluster default if they run the ECS agent")
    user_data(document, "#!/bin/bash\necho ECS_CLUSTER=default >> /etc/ecs/ecs.config\n")
    assert_gates(document, USER_DATA, Verdict.PASSED)


def test_a_group_naming_no_cluster_is_no_candidate_for_a_named_cluster():
    document = fixture_document(USER_DATA)
    document["Resources"]["Bastion"] = copy.deepcopy(document["Resources"]["HostGroup"])
    document["Resources"]["BastionTemplate"] = copy.deepcopy(document["Resources"]["HostLaunchTemplate"])
    document["Resources"]["Bastion"]["Properties"]["LaunchTemplate"]["LaunchTemplateId"] = {"Ref": "BastionTemplate"}
    user_data(document, "#!/bin/bash\ndnf install -y tmux\n", "BastionTemplate")
    assert_gates(document, USER_DATA, Verdict.PASSED)


# -- what cannot be told is UNKNOWN, saying why ---------------------------------------------------------------

@pytest.mark.parametrize("script, why", [
    ("#!/bin/bash\necho ECS_CLUSTER=$CLUSTER_NAME >> /etc/ecs/ecs.config\n", "sets ECS_CLUSTER from a shell variable"),
    ("#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\necho ECS_CLUSTER=batch >> /etc/ecs/ecs.config\n",
     "ECS_CLUSTER is set to ${Cluster} (by the user data of launch template HostLaunchTemplate) and to batch (by "
     "the user data of launch template HostLaunchTemplate)"),
    ("#!/bin/bash\naws s3 cp s3://config-bucket/ecs.config /etc/ecs/ecs.config\n",
     "configures the ECS agent, but names no cluster"),
    ("#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n${ExtraUserData}\n",
     "holds text hoplint cannot read, which may name the cluster: parameter ExtraUserData has no Default"),
])
def test_user_data_that_does_not_tell_the_cluster_is_unknown(script, why):
    document = user_data(fixture_document(USER_DATA), script)
    document["Parameters"]["ExtraUserData"] = {"Type": "String"}
    assert_gates(document, USER_DATA, Verdict.UNKNOWN, why)


def test_user_data_the_template_gets_wrong_is_unknown_where_it_is():
    document = user_data(fixture_document(USER_DATA), "#!/bin/bash\necho ECS_CLUSTER=${Clustr}\n")
    analysis = analyze_document(document, USER_DATA)
    for rule_id in GATES:
        verdict, findings = analysis.verdict(rule_id, "WebService")
        assert verdict is Verdict.UNKNOWN
        where = ("Resources", "HostLaunchTemplate", "Properties", "LaunchTemplateData", "UserData")
        assert [value.path for value in findings[0].unreadable] == [where] and findings[0].path == where


def test_a_cfn_init_the_user_data_does_not_run_joins_nothing():
    document = fixture_document(CFN_INIT)
    properties = document["Resources"]["EcsHostLaunchConfiguration"]["Properties"]
    properties["UserData"] = {"Fn::Base64": "#!/bin/bash\nyum install -y aws-cfn-bootstrap\n"}
    assert_gates(document, CFN_INIT, Verdict.UNKNOWN, "no Auto Scaling group")


def test_cfn_init_applies_the_config_sets_it_is_asked_for():
    document = fixture_document(EXTERNAL)
    init = document["Resources"]["HostConfig"]["Metadata"]["AWS::CloudFormation::Init"]
    init["configSets"]["default"] = ["bootstrap"]  # the set "agent", whose config joins the cluster, is not run
    assert_gates(document, EXTERNAL, Verdict.UNKNOWN, "no Auto Scaling group")
    init["configSets"]["default"] = ["bootstrap", {"ConfigSet": "default"}, {"ConfigSet": "agent"}]  # a cycle
    assert_gates(document, EXTERNAL, Verdict.PASSED)


@pytest.mark.parametrize("change, why", [
    (lambda init: init["ecs"]["files"]["/etc/ecs/ecs.config"].update(source="https://example.com/ecs.config"),
     "downloads /etc/ecs/ecs.config from 'https://example.com/ecs.config'"),
    (lambda init: init["configSets"].update(default=["bootstrap", {"ConfigSet": "agents"}]),
     "config set 'agents' of the cfn-init metadata of HostConfig cannot be read"),
    (lambda init: init["ecs"].update(commands="echo ECS_CLUSTER=orders"), "the commands of cfn-init config ecs"),
])
def test_cfn_init_metadata_that_does_not_tell_the_cluster_is_unknown(change, why):
    document = fixture_document(EXTERNAL)
    change(document["Resources"]["HostConfig"]["Metadata"]["AWS::CloudFormation::Init"])
    assert_gates(document, EXTERNAL, Verdict.UNKNOWN, why)


def test_cfn_init_on_a_resource_outside_the_template_is_unknown():
    document = fixture_document(CFN_INIT)
    properties = document["Resources"]["EcsHostLaunchConfiguration"]["Properties"]
    properties["UserData"] = {"Fn::Base64": "#!/bin/bash\n/opt/aws/bin/cfn-init -v --resource HostConfig\n"}
    assert_gates(document, CFN_INIT, Verdict.UNKNOWN, "cfn-init reads the metadata of 'HostConfig', which is not a "
                 "resource of this template")


def test_ecs_cluster_from_a_parameter_without_default_is_unknown_against_a_named_cluster():
    document = fixture_document("unknown/ec2-cluster-join-parameter-without-default.yaml")
    found = gates(document, USER_DATA)
    assert found["HOP503"] == (Verdict.UNKNOWN, [
        "service WebService (LoadBalancers[0] -> WebTargetGroup): cannot tell which container instances run its "
        "bridge mode tasks: the instances of Auto Scaling group HostGroup join cluster <parameter HostClusterName "
        "has no Default>, which may or may not be cluster Cluster (payments)"])


def test_a_group_whose_cluster_cannot_be_told_leaves_the_groups_joining_it_judged():
    """The group surely joining the service's cluster carries its tasks, whatever the doubtful group does: its
    broken gate is FAILED, and the doubt is said beside it."""
    fixture = "unknown/ec2-cluster-join-parameter-without-default.yaml"
    document = second_host_group(fixture_document(fixture), "${Cluster}", 3000)
    analysis = analyze_document(document, fixture)
    verdict, findings = analysis.verdict("HOP503", "WebService")
    assert verdict is Verdict.FAILED
    assert sorted((finding.verdict.value, finding.message) for finding in findings) == [
        ("FAILED", "service WebService (LoadBalancers[0] -> WebTargetGroup): instance SG OtherSg allows tcp/3000 "
                   "from AlbSg, but the dynamic host port range is 32768-65535"),
        ("UNKNOWN", "service WebService (LoadBalancers[0] -> WebTargetGroup): cannot tell which container instances "
                    "run its bridge mode tasks: the instances of Auto Scaling group HostGroup join cluster <parameter "
                    "HostClusterName has no Default>, which may or may not be cluster Cluster (payments)")]


@pytest.mark.parametrize("second, verdict", [
    ({"CapacityProvider": "spot-outside"}, Verdict.PASSED),  # weight 0 by default: no task is placed there
    ({"CapacityProvider": "spot-outside", "Weight": "0"}, Verdict.PASSED),
    ({"CapacityProvider": "spot-outside", "Weight": 1}, Verdict.UNKNOWN),  # carries tasks: a doubt
    ({"CapacityProvider": "spot-outside", "Weight": 0, "Base": 2}, Verdict.UNKNOWN),  # its base tasks run there
    ({"CapacityProvider": "spot-outside", "Weight": {"Ref": "SpotWeight"}}, Verdict.UNKNOWN),  # may carry tasks
])
def test_a_capacity_provider_of_weight_zero_beside_another_places_no_tasks(second, verdict):
    document = fixture_document(CAPACITY_PROVIDER)
    document.setdefault("Parameters", {})["SpotWeight"] = {"Type": "Number"}
    document["Resources"]["AppService"]["Properties"]["CapacityProviderStrategy"].append(second)
    found = gates(document, CAPACITY_PROVIDER)
    assert {rule_id: found[rule_id][0] for rule_id in GATES} == dict.fromkeys(GATES, verdict), found


# -- Resolver.text --------------------------------------------------------------------------------------------

TEMPLATE = {
    "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Name": {"Type": "String"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Resources": {"Cluster": {"Type": "AWS::ECS::Cluster"}},
}
CLUSTER = Spliced(ResourceRef("Cluster"), True)
REGION = Spliced(Unknown("AWS::Region is known only at deploy time"), True)


@pytest.mark.parametrize("expression, pieces", [
    ({"Fn::Sub": "ECS_CLUSTER=${Cluster} ${AWS::Region} ${Env} ${!Literal}"},
     ("ECS_CLUSTER=", CLUSTER, " ", REGION, " prod ${Literal}")),
    ({"Fn::Base64": {"Fn::Join": ["", ["a=", {"Ref": "Cluster"}, {"Ref": "AWS::NoValue"}, "\n"]]}},
     ("a=", CLUSTER, "\n")),
    ({"Fn::Join": ["-", [{"Fn::Join": ["", ["x", {"Ref": "AWS::Region"}]]}, {"Fn::If": ["IsProd", "p", "q"]}]]},
     ("x", REGION, "-p")),
    ({"Fn::Sub": ["${A}/${A}", {"A": {"Fn::GetAtt": ["Cluster", "Arn"]}}]}, (CLUSTER, "/", CLUSTER)),
    ({"Fn::Select": [0, [{"Fn::Sub": "${Cluster}"}]]}, (CLUSTER,)),
    ({"Fn::Sub": "${Name}"}, (Spliced(Unknown("parameter Name has no Default"), False),)),
    ({"Ref": "AWS::NoValue"}, ()),
])
def test_text_keeps_the_resources_and_deploy_time_values_it_splices(expression, pieces):
    assert Resolver(TEMPLATE, {"IsProd": True}).text(expression) == pieces


def test_text_leaves_what_resolve_gives_unchanged():
    resolver = Resolver(TEMPLATE, {"IsProd": True})
    assert resolver.resolve({"Fn::Sub": "ECS_CLUSTER=${Cluster}"}) == Unknown(
        "Fn::Sub of ${Cluster} in 'ECS_CLUSTER=${Cluster}'")
