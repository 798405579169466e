"""Managed prefix lists of the template stand for their entries, in CloudFormation and Terraform alike.

A security group rule naming a prefix list of the template covers what its entries cover (HOP301/HOP303 and
the other coverage rules), opens the whole internet when an entry is 0.0.0.0/0 or ::/0 (HOP306), and is an
IPv6 source when the list's family is IPv6 (HOP403). A prefix list outside the template stays undecidable.
"""

from __future__ import annotations

import copy

import pytest
from application_support import default_topology
from test_terraform_engine import resource, web_stack

from policies import Verdict
from policies.analysis import analyze_document
from policies.terraform_analysis import analyze_terraform
from policies.terraform.topology_builder import build_topology as build_terraform
from policies.topology import parse_network

ALB_SUBNETS = ("10.0.0.0/24", "10.0.1.0/24")


# -- CloudFormation -----------------------------------------------------------------------------------


def cloudformation_stack(app_source: dict, *, entries=ALB_SUBNETS, family="IPv4", ip_address_type="dualstack",
                         scheme="internet-facing", alb_ingress: list | None = None, parameters: dict | None = None):
    """A Fargate service on 8080 behind an ALB on 80 in two template subnets; the prefix list AlbSubnets holds
    `entries`; the task SG admits 8080 from `app_source` (e.g. {"SourcePrefixListId": {"Ref": "AlbSubnets"}})."""
    subnets = {f"Subnet{index}": {"Type": "AWS::EC2::Subnet", "Properties": {"CidrBlock": cidr}}
               for index, cidr in enumerate(ALB_SUBNETS)}
    ingress = alb_ingress if alb_ingress is not None else [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv6": "::/0"},
    ]
    return {
        "Parameters": parameters or {},
        "Resources": {
            **subnets,
            "AlbSubnets": {"Type": "AWS::EC2::PrefixList", "Properties": {
                "AddressFamily": family, "MaxEntries": 4, "Entries": [{"Cidr": cidr} for cidr in entries]}},
            "AlbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": ingress}},
            "AppSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, **app_source}]}},
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
                "Scheme": scheme, "IpAddressType": ip_address_type, "SecurityGroups": [{"Ref": "AlbSg"}],
                "Subnets": [{"Ref": name} for name in subnets]}},
            "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                   "Properties": {"Port": 8080, "Protocol": "HTTP", "TargetType": "ip"}},
            "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
                "LoadBalancerArn": {"Ref": "Alb"}, "Port": 80, "Protocol": "HTTP",
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}]}},
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
                "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
                "ContainerDefinitions": [{"Name": "app", "PortMappings": [{"ContainerPort": 8080}]}]}},
            "Service": {"Type": "AWS::ECS::Service", "Properties": {
                "LaunchType": "FARGATE", "TaskDefinition": {"Ref": "Task"},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"SecurityGroups": [{"Ref": "AppSg"}]}},
                "LoadBalancers": [{"TargetGroupArn": {"Ref": "Tg"}, "ContainerName": "app", "ContainerPort": 8080}]}},
        },
    }


FROM_PREFIX_LIST = {"SourcePrefixListId": {"Ref": "AlbSubnets"}}


def cloudformation_findings(template: dict, rule_id: str) -> list:
    # A copy: analyses of a parsed template are cached by its identity, and the tests change templates in place.
    analysis = analyze_document(copy.deepcopy(template), "test")
    return [finding for finding in analysis.findings if finding.rule_id == rule_id]


def cloudformation_verdicts(template: dict, rule_id: str) -> set:
    return {finding.verdict for finding in cloudformation_findings(template, rule_id)}


@pytest.mark.parametrize("reference", [{"Ref": "AlbSubnets"}, {"Fn::GetAtt": ["AlbSubnets", "PrefixListId"]}])
def test_a_cloudformation_rule_naming_a_prefix_list_of_the_template_stands_for_its_entries(reference):
    template = cloudformation_stack({"SourcePrefixListId": reference})
    topology = default_topology(template)
    (rule,) = topology.security_groups["AppSg"].ingress
    assert rule.peer.value == "AlbSubnets"
    assert rule.peer.prefix_list.entries == tuple(parse_network(cidr) for cidr in ALB_SUBNETS)
    assert rule.peer.prefix_list.address_family == "IPv4"
    assert cloudformation_verdicts(template, "HOP303") == {Verdict.PASSED}


def test_a_prefix_list_missing_an_alb_subnet_fails_hop303():
    template = cloudformation_stack(FROM_PREFIX_LIST, entries=("10.0.0.0/24", "10.0.2.0/24"))
    (finding,) = cloudformation_findings(template, "HOP303")
    assert finding.verdict is Verdict.FAILED
    assert "AlbSubnets (10.0.0.0/24, 10.0.2.0/24)" in finding.message
    assert finding.path == ("Resources", "AppSg", "Properties", "SecurityGroupIngress")


def test_adjacent_entries_cover_a_subnet_together():
    template = cloudformation_stack(FROM_PREFIX_LIST, entries=("10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/24"))
    assert cloudformation_verdicts(template, "HOP303") == {Verdict.PASSED}


def test_a_prefix_list_with_an_unknown_entry_is_unknown_and_names_it():
    template = cloudformation_stack(FROM_PREFIX_LIST, entries=("10.0.0.0/24", {"Ref": "ExtraCidr"}),
                                    parameters={"ExtraCidr": {"Type": "String"}})
    (finding,) = cloudformation_findings(template, "HOP303")
    assert finding.verdict is Verdict.UNKNOWN
    assert "AppSg rule tcp/8080 from AlbSubnets may match (parameter ExtraCidr has no Default)" in finding.message


def test_a_prefix_list_outside_the_template_stays_undecidable_for_coverage():
    template = cloudformation_stack({"SourcePrefixListId": "pl-0123456789abcdef0"})
    assert cloudformation_verdicts(template, "HOP303") == {Verdict.UNKNOWN}
    assert cloudformation_verdicts(template, "HOP306") == {Verdict.UNKNOWN}


def test_an_alb_egress_rule_toward_a_prefix_list_of_the_task_subnets_passes_hop301():
    template = cloudformation_stack(FROM_PREFIX_LIST)
    resources = template["Resources"]
    resources["TaskSubnet"] = {"Type": "AWS::EC2::Subnet", "Properties": {"CidrBlock": "10.0.10.0/24"}}
    resources["TaskSubnets"] = {"Type": "AWS::EC2::PrefixList", "Properties": {
        "AddressFamily": "IPv4", "MaxEntries": 2, "Entries": [{"Cidr": "10.0.10.0/24"}]}}
    resources["AlbSg"]["Properties"]["SecurityGroupEgress"] = [
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "DestinationPrefixListId": {"Ref": "TaskSubnets"}}]
    awsvpc = resources["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    awsvpc["Subnets"] = [{"Ref": "TaskSubnet"}]
    assert cloudformation_verdicts(template, "HOP301") == {Verdict.PASSED}
    resources["TaskSubnets"]["Properties"]["Entries"] = [{"Cidr": "10.0.20.0/24"}]
    assert cloudformation_verdicts(template, "HOP301") == {Verdict.FAILED}


@pytest.mark.parametrize("everywhere", ["0.0.0.0/0", "::/0"])
def test_a_prefix_list_with_a_whole_address_family_fails_hop306(everywhere):
    template = cloudformation_stack(FROM_PREFIX_LIST, entries=(*ALB_SUBNETS, everywhere))
    (finding,) = cloudformation_findings(template, "HOP306")
    assert finding.verdict is Verdict.FAILED
    assert finding.path == ("Resources", "AppSg", "Properties", "SecurityGroupIngress", 0, "SourcePrefixListId")


def test_a_prefix_list_of_the_alb_subnets_keeps_hop306_passed():
    assert cloudformation_verdicts(cloudformation_stack(FROM_PREFIX_LIST), "HOP306") == {Verdict.PASSED}


def ipv4_and(*rules: dict) -> list:
    """The ALB ingress: tcp/80 from 0.0.0.0/0 (HOP101 holds) and `rules`."""
    return [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}, *rules]


FROM_ALB_SUBNETS_LIST = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "SourcePrefixListId": {"Ref": "AlbSubnets"}}


@pytest.mark.parametrize(("ingress", "family", "expected"), [
    (ipv4_and({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv6": "::/0"}), "IPv4", Verdict.PASSED),
    (ipv4_and({"IpProtocol": "-1", "CidrIpv6": "2001:db8::/32"}), "IPv4", Verdict.PASSED),
    (ipv4_and(), "IPv4", Verdict.FAILED),
    (ipv4_and({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv6": "::/0"}), "IPv4", Verdict.FAILED),
    (ipv4_and(FROM_ALB_SUBNETS_LIST), "IPv6", Verdict.PASSED),
    (ipv4_and(FROM_ALB_SUBNETS_LIST), "IPv4", Verdict.FAILED),
    (ipv4_and(FROM_ALB_SUBNETS_LIST), {"Ref": "Family"}, Verdict.UNKNOWN),
    (ipv4_and({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "SourcePrefixListId": "pl-0123456789abcdef0"}),
     "IPv4", Verdict.UNKNOWN),
])
def test_hop403_needs_an_ipv6_source_on_the_listener_port(ingress, family, expected):
    template = cloudformation_stack(FROM_PREFIX_LIST, family=family, alb_ingress=ingress,
                                    parameters={"Family": {"Type": "String"}})
    assert cloudformation_verdicts(template, "HOP403") == {expected}
    assert cloudformation_verdicts(template, "HOP101") == {Verdict.PASSED}


def test_hop403_points_at_the_near_miss_port():
    ingress = ipv4_and({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv6": "::/0"})
    (finding,) = cloudformation_findings(cloudformation_stack(FROM_PREFIX_LIST, alb_ingress=ingress), "HOP403")
    assert finding.path == ("Resources", "AlbSg", "Properties", "SecurityGroupIngress", 1, "FromPort")
    assert "allows tcp/443 from ::/0, but the listener port is 80" in finding.message


@pytest.mark.parametrize(("ip_address_type", "scheme"), [
    ("ipv4", "internet-facing"), ("dualstack", "internal"), ("ipv4", {"Ref": "Scheme"}),
    ({"Ref": "AddressType"}, "internal"),
])
def test_hop403_does_not_apply_to_ipv4_or_internal_load_balancers(ip_address_type, scheme):
    template = cloudformation_stack(FROM_PREFIX_LIST, ip_address_type=ip_address_type, scheme=scheme,
                                    alb_ingress=ipv4_and(), parameters={"AddressType": {"Type": "String"},
                                                                        "Scheme": {"Type": "String"}})
    assert cloudformation_verdicts(template, "HOP403") == set()


def test_hop403_applies_without_ip_address_type_only_when_told():
    template = cloudformation_stack(FROM_PREFIX_LIST, alb_ingress=ipv4_and())
    del template["Resources"]["Alb"]["Properties"]["IpAddressType"]  # ipv4 by default
    assert cloudformation_verdicts(template, "HOP403") == set()


@pytest.mark.parametrize(("ip_address_type", "why", "malformed"), [
    ({"Ref": "AddressType"}, "parameter AddressType has no Default", False),
    ("dual-stack", "IP address type 'dual-stack' is none of ipv4, dualstack, dualstack-without-public-ipv4", True),
])
def test_hop403_is_unknown_when_the_ip_address_type_cannot_be_read(ip_address_type, why, malformed):
    template = cloudformation_stack(FROM_PREFIX_LIST, ip_address_type=ip_address_type, alb_ingress=ipv4_and(),
                                    parameters={"AddressType": {"Type": "String"}})
    (finding,) = cloudformation_findings(template, "HOP403")
    assert finding.verdict is Verdict.UNKNOWN
    assert finding.path == ("Resources", "Alb", "Properties", "IpAddressType")
    assert finding.message.endswith(f"internet-facing dualstack one: {why}")
    assert [unknown.reason for unknown in finding.unreadable] == ([why] if malformed else [])


def test_dualstack_without_public_ipv4_is_dualstack():
    template = cloudformation_stack(FROM_PREFIX_LIST, ip_address_type="dualstack-without-public-ipv4",
                                    alb_ingress=ipv4_and())
    assert cloudformation_verdicts(template, "HOP403") == {Verdict.FAILED}


# -- Terraform ----------------------------------------------------------------------------------------


def terraform_stack(app_rule: dict, *prefix_list_resources: dict, ip_address_type="dualstack",
                    alb_ingress: list | None = None) -> list:
    """web_stack with the ALB in two configuration subnets, the task SG admitting 8080 through `app_rule`
    (extra attributes of its ingress block), and the ALB SG's ingress blocks `alb_ingress`."""
    alb_sg = {
        "ingress": alb_ingress if alb_ingress is not None else [
            {"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
            {"from_port": 80, "to_port": 80, "protocol": "tcp", "ipv6_cidr_blocks": ["::/0"]},
        ],
        "egress": {"from_port": 8080, "to_port": 8080, "protocol": "tcp",
                   "security_groups": ["aws_security_group.app.id"]},
    }
    app_sg = {"ingress": {"from_port": 8080, "to_port": 8080, "protocol": "tcp", **app_rule}}
    resources = web_stack(alb_sg, app_sg, *prefix_list_resources,
                          resource("aws_subnet.a", cidr_block=ALB_SUBNETS[0]),
                          resource("aws_subnet.b", cidr_block=ALB_SUBNETS[1]))
    balancer = next(item for item in resources if item["address"] == "aws_lb.web")
    balancer["attributes"].update(subnets=["aws_subnet.a.id", "aws_subnet.b.id"], ip_address_type=ip_address_type)
    return resources


def prefix_list(name: str, *cidrs: str, family: str = "IPv4") -> dict:
    return resource(f"aws_ec2_managed_prefix_list.{name}", address_family=family, max_entries=4,
                    entry=[{"cidr": cidr} for cidr in cidrs])


FROM_TERRAFORM_LIST = {"prefix_list_ids": ["aws_ec2_managed_prefix_list.alb.id"]}


def terraform_findings(resources: list, rule_id: str) -> list:
    return [finding for finding in analyze_terraform(copy.deepcopy(resources), "test").findings
            if finding.rule_id == rule_id]


def terraform_verdicts(resources: list, rule_id: str) -> set:
    return {finding.verdict for finding in terraform_findings(resources, rule_id)}


def test_a_terraform_prefix_list_gathers_its_entry_blocks_and_entry_resources():
    resources = terraform_stack(
        FROM_TERRAFORM_LIST, prefix_list("alb", ALB_SUBNETS[0]),
        resource("aws_ec2_managed_prefix_list_entry.b", prefix_list_id="aws_ec2_managed_prefix_list.alb.id",
                 cidr="aws_subnet.b.cidr_block"))
    topology = build_terraform(resources)
    listed = topology.prefix_lists["aws_ec2_managed_prefix_list.alb"]
    assert listed.entries == tuple(parse_network(cidr) for cidr in ALB_SUBNETS)
    (rule,) = topology.security_groups["aws_security_group.app"].ingress
    assert rule.peer.prefix_list is listed
    assert terraform_verdicts(resources, "HOP303") == {Verdict.PASSED}


def test_a_terraform_prefix_list_missing_an_alb_subnet_fails_hop303():
    resources = terraform_stack(FROM_TERRAFORM_LIST, prefix_list("alb", ALB_SUBNETS[0], "10.0.2.0/24"))
    assert terraform_verdicts(resources, "HOP303") == {Verdict.FAILED}


def test_terraform_entry_blocks_that_cannot_be_read_make_coverage_unknown():
    listed = prefix_list("alb")
    listed["attributes"]["entry"] = {"__unknown__": 'dynamic "entry" blocks (not evaluated)'}
    (finding,) = terraform_findings(terraform_stack(FROM_TERRAFORM_LIST, listed), "HOP303")
    assert finding.verdict is Verdict.UNKNOWN
    assert 'dynamic "entry" blocks (not evaluated)' in finding.message


def test_a_terraform_prefix_list_without_entries_is_filled_elsewhere():
    (finding,) = terraform_findings(terraform_stack(FROM_TERRAFORM_LIST, prefix_list("alb")), "HOP303")
    assert finding.verdict is Verdict.UNKNOWN
    assert "the prefix list has no entry in this configuration" in finding.message


def test_a_terraform_prefix_list_with_everywhere_fails_hop306():
    resources = terraform_stack({"prefix_list_ids": ["aws_ec2_managed_prefix_list.partners.id"]},
                                prefix_list("partners", "198.51.100.0/24", "0.0.0.0/0"))
    assert terraform_verdicts(resources, "HOP306") == {Verdict.FAILED}


def test_a_data_source_prefix_list_stays_undecidable():
    resources = terraform_stack({"prefix_list_ids": ["data.aws_ec2_managed_prefix_list.alb.id"]})
    assert terraform_verdicts(resources, "HOP303") == {Verdict.UNKNOWN}


@pytest.mark.parametrize(("rule", "resources", "expected"), [
    ({"ipv6_cidr_blocks": ["::/0"]}, (), Verdict.PASSED),
    ({"prefix_list_ids": ["aws_ec2_managed_prefix_list.v6.id"]}, (prefix_list("v6", "2001:db8::/32", family="IPv6"),),
     Verdict.PASSED),
    ({"prefix_list_ids": ["aws_ec2_managed_prefix_list.v4.id"]}, (prefix_list("v4", "192.0.2.0/24"),),
     Verdict.FAILED),
    ({"prefix_list_ids": ["data.aws_ec2_managed_prefix_list.cloudfront.id"]}, (), Verdict.UNKNOWN),
    ({"security_groups": ["aws_security_group.app.id"]}, (), Verdict.FAILED),
])
def test_terraform_hop403_needs_an_ipv6_source(rule, resources, expected):
    ingress = [{"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
               {"from_port": 80, "to_port": 80, "protocol": "tcp", **rule}]
    stack = terraform_stack({"security_groups": ["aws_security_group.alb.id"]}, *resources, alb_ingress=ingress)
    assert terraform_verdicts(stack, "HOP403") == {expected}


def test_terraform_hop403_reads_the_standalone_ipv6_rule():
    ingress = [{"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]
    ipv6 = resource("aws_vpc_security_group_ingress_rule.ipv6", security_group_id="aws_security_group.alb.id",
                    ip_protocol="tcp", from_port=80, to_port=80, cidr_ipv6="::/0")
    stack = terraform_stack({"security_groups": ["aws_security_group.alb.id"]}, alb_ingress=ingress)
    assert terraform_verdicts(stack, "HOP403") == {Verdict.FAILED}
    assert terraform_verdicts([*stack, ipv6], "HOP403") == {Verdict.PASSED}


@pytest.mark.parametrize(("ip_address_type", "expected"), [
    ("ipv4", set()), (None, set()), ("var.ip_address_type", {Verdict.UNKNOWN}),
])
def test_terraform_hop403_reads_ip_address_type(ip_address_type, expected):
    ingress = [{"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]
    stack = terraform_stack({"security_groups": ["aws_security_group.alb.id"]}, ip_address_type=ip_address_type,
                            alb_ingress=ingress)
    assert terraform_verdicts(stack, "HOP403") == expected
