"""Network ACL semantics (HOP601-HOP603): entries by rule number, first match decides, denies, the implicit deny,
and UNKNOWN where the ACL decides part of the traffic one way and part the other."""

from __future__ import annotations

import copy
import ipaddress

import pytest

from policies import Verdict, analyze_document
from policies.rules.network_acls import EPHEMERAL_PORTS, Traffic, acl_outcome
from policies.terraform_analysis import analyze_terraform
from policies.topology import ALL_PROTOCOLS, AclEntry, NetworkAcl
from policies.values import Unknown

CLIENTS = ipaddress.ip_network("0.0.0.0/0")
ALB_SUBNET = ipaddress.ip_network("10.0.0.0/24")


def entry(number, action, cidr="0.0.0.0/0", ports=(80, 80), protocol="tcp", egress=False) -> AclEntry:
    """An entry as the builders make them; `ports` None for all protocols."""
    network = cidr if isinstance(cidr, Unknown) else ipaddress.ip_network(cidr)
    allow = action if isinstance(action, Unknown) else action == "allow"
    low, high = ports if ports is not None else (None, None)
    return AclEntry(number, egress, protocol, low, high, allow, network, ("entry", number), ("entry", number, "action"))


def outcome(entries, ports=80, network=CLIENTS, egress=False):
    return acl_outcome(NetworkAcl("Acl", ("Acl",), list(entries)), Traffic(egress, ports, network))


def test_entries_are_read_by_rule_number_not_template_order():
    result = outcome([entry(200, "deny", ports=None, protocol=ALL_PROTOCOLS), entry(100, "allow")])
    assert (result.verdict, result.decider.rule_number) == (Verdict.PASSED, 100)


def test_a_deny_numbered_before_the_allow_decides():
    result = outcome([entry(100, "allow", ports=(80, 80)), entry(90, "deny", ports=(0, 1023))])
    assert (result.verdict, result.decider.rule_number) == (Verdict.FAILED, 90)


def test_no_matching_entry_is_the_implicit_deny():
    result = outcome([entry(100, "allow", ports=(443, 443))])
    assert (result.verdict, result.decider) == (Verdict.FAILED, None)


def test_a_deny_of_part_of_the_peer_cidr_before_the_allow_is_unknown():
    result = outcome([entry(50, "deny", cidr="198.51.100.0/24"), entry(100, "allow")])
    assert result.verdict is Verdict.UNKNOWN
    assert result.doubtful.rule_number == 50


def test_a_deny_of_part_of_the_peer_cidr_after_the_allow_changes_nothing():
    result = outcome([entry(100, "allow"), entry(150, "deny", cidr="198.51.100.0/24")])
    assert result.verdict is Verdict.PASSED


def test_partial_allows_that_together_with_the_decider_allow_everything_pass():
    result = outcome([entry(100, "allow", cidr="10.0.0.0/25"), entry(110, "allow", cidr="10.0.0.0/16")],
                     network=ALB_SUBNET)
    assert (result.verdict, result.decider.rule_number) == (Verdict.PASSED, 110)


def test_a_part_of_the_ephemeral_ports_allowed_then_denied_is_unknown():
    result = outcome([entry(100, "allow", ports=(32768, 65535), egress=True)], ports=EPHEMERAL_PORTS, egress=True)
    assert (result.verdict, result.decider, result.doubtful.rule_number) == (Verdict.UNKNOWN, None, 100)


def test_the_whole_ephemeral_range_needs_one_entry_covering_it():
    result = outcome([entry(100, "allow", ports=(1024, 65535), egress=True)], ports=EPHEMERAL_PORTS, egress=True)
    assert result.verdict is Verdict.PASSED


def test_ipv6_entries_do_not_apply_to_ipv4_traffic():
    assert outcome([entry(100, "allow", cidr="::/0")]).verdict is Verdict.FAILED
    assert outcome([entry(100, "allow", cidr="::/0")], network=ipaddress.ip_network("::/0")).verdict is Verdict.PASSED


def test_ingress_and_egress_entries_are_separate():
    assert outcome([entry(100, "allow", egress=True)]).verdict is Verdict.FAILED
    assert outcome([entry(100, "allow", egress=True)], egress=True).verdict is Verdict.PASSED


@pytest.mark.parametrize("protocol, verdict", [(ALL_PROTOCOLS, Verdict.PASSED), ("udp", Verdict.FAILED),
                                               (Unknown("var.protocol"), Verdict.UNKNOWN)])
def test_protocol_all_matches_every_port_and_others_none(protocol, verdict):
    ports = None if protocol == ALL_PROTOCOLS else (0, 65535)
    assert outcome([entry(100, "allow", ports=ports, protocol=protocol)]).verdict is verdict


def test_an_entry_at_an_unknown_position_may_come_first():
    unknown = Unknown("parameter RuleNumber has no Default")
    assert outcome([entry(unknown, "deny"), entry(100, "allow")]).verdict is Verdict.UNKNOWN
    assert outcome([entry(unknown, "allow"), entry(100, "allow")]).verdict is Verdict.PASSED


def test_an_unknown_action_or_cidr_decides_nothing():
    assert outcome([entry(100, Unknown("the action"))]).verdict is Verdict.UNKNOWN
    assert outcome([entry(100, "deny", cidr=Unknown("the CIDR")), entry(110, "allow")]).verdict is Verdict.UNKNOWN
    assert outcome([entry(100, "allow", cidr=Unknown("the CIDR")), entry(110, "allow")]).verdict is Verdict.PASSED


# -- through the engine: which subnets are judged ---------------------------------------------------------------

def _acl_entry(number, action, cidr, low, high, egress=False, acl="PublicNacl"):
    return {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {
        "NetworkAclId": {"Ref": acl}, "RuleNumber": number, "Protocol": 6, "RuleAction": action, "Egress": egress,
        "CidrBlock": cidr, "PortRange": {"From": low, "To": high}}}


def _subnet(cidr):
    return {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": cidr}}


BASE = {"Resources": {
    "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
        "Subnets": [{"Ref": "PublicSubnet"}], "SecurityGroups": [{"Ref": "AlbSg"}]}},
    "AlbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "ALB", "SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]}},
    "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
        "LoadBalancerArn": {"Ref": "Alb"}, "Port": 80, "Protocol": "HTTP",
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]}},
    "TargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
        "Port": 8080, "Protocol": "HTTP", "TargetType": "ip"}},
    "TaskDefinition": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
        "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
        "ContainerDefinitions": [{"Name": "api", "Image": "api", "PortMappings": [{"ContainerPort": 8080}]}]}},
    "Service": {"Type": "AWS::ECS::Service", "Properties": {
        "LaunchType": "FARGATE", "TaskDefinition": {"Ref": "TaskDefinition"},
        "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [{"Ref": "PrivateSubnet"}]}},
        "LoadBalancers": [{"ContainerName": "api", "ContainerPort": 8080, "TargetGroupArn": {"Ref": "TargetGroup"}}]}},
    "PublicSubnet": _subnet("10.0.0.0/24"),
    "PrivateSubnet": _subnet("10.0.2.0/24"),
    "PublicNacl": {"Type": "AWS::EC2::NetworkAcl", "Properties": {"VpcId": "vpc-1"}},
    "InHttp": _acl_entry(100, "allow", "0.0.0.0/0", 80, 80),
    "InReplies": _acl_entry(110, "allow", "10.0.2.0/24", 1024, 65535),
    "OutApp": _acl_entry(100, "allow", "10.0.2.0/24", 8080, 8080, egress=True),
    "OutReplies": _acl_entry(110, "allow", "0.0.0.0/0", 1024, 65535, egress=True),
    "PublicAssociation": {"Type": "AWS::EC2::SubnetNetworkAclAssociation", "Properties": {
        "SubnetId": {"Ref": "PublicSubnet"}, "NetworkAclId": {"Ref": "PublicNacl"}}},
}}


def verdicts(template: dict) -> dict:
    analysis = analyze_document(template, "network-acls")
    assert analysis.problems == []
    return {rule: analysis.verdict(rule, subject)[0]
            for rule, subject in (("HOP601", "Listener"), ("HOP602", "Service"), ("HOP603", "Service"))}


def changed(**resources) -> dict:
    template = copy.deepcopy(BASE)
    for name, resource in resources.items():
        if resource is None:
            del template["Resources"][name]
        else:
            template["Resources"][name] = resource
    return template


def test_only_subnets_associated_with_an_acl_of_the_template_are_judged():
    assert verdicts(changed()) == {"HOP601": Verdict.PASSED, "HOP602": Verdict.PASSED, "HOP603": None}
    assert verdicts(changed(PublicAssociation=None)) == {"HOP601": None, "HOP602": None, "HOP603": None}


def test_an_association_with_an_acl_outside_the_template_is_unknown():
    association = {"Type": "AWS::EC2::SubnetNetworkAclAssociation", "Properties": {
        "SubnetId": {"Ref": "PublicSubnet"}, "NetworkAclId": "acl-0123456789abcdef0"}}
    assert set(verdicts(changed(PublicAssociation=association)).values()) == {Verdict.UNKNOWN, None}


def test_tasks_in_the_alb_subnet_do_not_cross_its_acl():
    service = copy.deepcopy(BASE["Resources"]["Service"])
    service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] = [{"Ref": "PublicSubnet"}]
    assert verdicts(changed(OutApp=None, InReplies=None, Service=service))["HOP602"] is None


def test_tasks_in_unknown_subnets_leave_the_alb_side_unknown():
    service = copy.deepcopy(BASE["Resources"]["Service"])
    service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] = [
        {"Fn::ImportValue": "private-subnet"}]
    assert verdicts(changed(Service=service))["HOP602"] is Verdict.UNKNOWN


def test_a_missing_reply_entry_fails_and_points_at_the_acl():
    analysis = analyze_document(changed(InReplies=None), "no replies")
    (finding,) = [f for f in analysis.for_rule("HOP602") if f.verdict is Verdict.FAILED]
    assert finding.path == ("Resources", "PublicNacl")
    assert "denies tcp/1024-65535 (replies) in from 10.0.2.0/24 (task subnet PrivateSubnet)" in finding.message


def test_task_subnet_acl_is_judged_against_each_alb_subnet():
    template = changed(PrivateNacl={"Type": "AWS::EC2::NetworkAcl", "Properties": {"VpcId": "vpc-1"}},
                       PrivateIn=_acl_entry(100, "allow", "10.0.0.0/24", 8080, 8080, acl="PrivateNacl"),
                       PrivateOut=_acl_entry(100, "allow", "10.0.0.0/24", 1024, 65535, egress=True, acl="PrivateNacl"),
                       PrivateAssociation={"Type": "AWS::EC2::SubnetNetworkAclAssociation", "Properties": {
                           "SubnetId": {"Ref": "PrivateSubnet"}, "NetworkAclId": {"Ref": "PrivateNacl"}}})
    assert verdicts(template)["HOP603"] is Verdict.PASSED
    template = copy.deepcopy(template)  # analyses are cached per document object
    template["Resources"]["PublicSubnetB"] = _subnet("10.0.1.0/24")
    template["Resources"]["Alb"]["Properties"]["Subnets"].append({"Ref": "PublicSubnetB"})
    assert verdicts(template)["HOP603"] is Verdict.FAILED


def test_entries_added_to_a_vpc_default_acl_leave_unassociated_subnets_unknown():
    default_deny = {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {
        "NetworkAclId": {"Fn::GetAtt": ["Vpc", "DefaultNetworkAcl"]}, "RuleNumber": 1, "Protocol": -1,
        "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"}}
    template = changed(PublicAssociation=None, DefaultDeny=default_deny,
                       Vpc={"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}})
    assert set(verdicts(template).values()) == {Verdict.UNKNOWN}


def test_an_association_of_an_imported_subnet_is_no_subnet_of_the_template():
    association = {"Type": "AWS::EC2::SubnetNetworkAclAssociation", "Properties": {
        "SubnetId": {"Fn::ImportValue": "shared-subnet"}, "NetworkAclId": {"Ref": "PublicNacl"}}}
    assert set(verdicts(changed(PublicAssociation=association)).values()) == {None}


# -- Terraform: resource dicts as the checkov adapter reads them from the rendered graph -------------------------

def _terraform(*resources) -> dict:
    rendered = [{"address": f"{kind}.{name}", "type": kind, "attributes": attributes, "root": "/main"}
                for kind, name, attributes in resources]
    analysis = analyze_terraform(rendered, "main")
    assert analysis.problems == []
    return {rule: analysis.verdict(rule, "aws_lb_listener.http")[0] for rule in ("HOP601",)}


TERRAFORM_ALB = (
    ("aws_lb", "web", {"subnets": ["aws_subnet.public.id"], "security_groups": ["aws_security_group.alb.id"]}),
    ("aws_security_group", "alb", {"ingress": [{"protocol": "tcp", "from_port": 80, "to_port": 80,
                                                "cidr_blocks": ["0.0.0.0/0"]}]}),
    ("aws_lb_listener", "http", {"load_balancer_arn": "aws_lb.web.arn", "port": 80, "protocol": "HTTP"}),
    ("aws_subnet", "public", {"cidr_block": "10.0.0.0/24"}),
)


def test_a_terraform_default_network_acl_replaces_the_allow_all_default():
    allow_http = {"rule_no": 100, "action": "allow", "protocol": "tcp", "cidr_block": "0.0.0.0/0", "from_port": 80,
                  "to_port": 80}
    allow_replies = {**allow_http, "from_port": 1024, "to_port": 65535}
    assert _terraform(*TERRAFORM_ALB) == {"HOP601": None}
    assert _terraform(*TERRAFORM_ALB, ("aws_default_network_acl", "main", {"ingress": allow_http})) == {
        "HOP601": Verdict.FAILED}
    assert _terraform(*TERRAFORM_ALB, ("aws_default_network_acl", "main", {
        "ingress": allow_http, "egress": allow_replies})) == {"HOP601": Verdict.PASSED}


def test_terraform_standalone_rules_and_associations():
    rule = {"network_acl_id": "aws_network_acl.public.id", "protocol": "tcp", "cidr_block": "0.0.0.0/0"}
    resources = (*TERRAFORM_ALB, ("aws_network_acl", "public", {}),
                 ("aws_network_acl_association", "public", {"network_acl_id": "aws_network_acl.public.id",
                                                            "subnet_id": "aws_subnet.public.id"}),
                 ("aws_network_acl_rule", "deny", {**rule, "rule_number": 90, "rule_action": "deny",
                                                   "from_port": 0, "to_port": 1023}),
                 ("aws_network_acl_rule", "http", {**rule, "rule_number": 100, "rule_action": "allow",
                                                   "from_port": 80, "to_port": 80}),
                 ("aws_network_acl_rule", "replies", {**rule, "rule_number": 100, "egress": True,
                                                      "rule_action": "allow", "from_port": 1024, "to_port": 65535}))
    assert _terraform(*resources) == {"HOP601": Verdict.FAILED}
    assert _terraform(*resources[:-3], *resources[-2:]) == {"HOP601": Verdict.PASSED}
