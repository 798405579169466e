"""ALB -> task through security groups: ALB egress, task ingress, on the target and health-check ports."""

from __future__ import annotations

from typing import Any, Iterator

from policies.findings import Verdict
from policies.rules.base import Result, ServiceHop, balancer_hop_key, network_mode, service_hops, unknowns_in
from policies.rules.gates import Gate, evaluate_gate, group_or_cidr_test, is_everywhere
from policies.topology import LoadBalancer, Service, SgSet, Topology
from policies.values import Unknown, is_malformed, same_value

TARGET_PORT, HEALTH_CHECK_PORT = "target port", "health-check port"


def _judged_by_task_groups(topology: Topology, service: Service) -> bool | Unknown:
    """awsvpc tasks carry the service's security groups; in bridge or host mode the instances' do.

    Unknown when the task definition or its network mode cannot be read.
    """
    if is_malformed(service.task_definition):
        return service.task_definition
    definition = topology.task_definitions.get(service.task_definition) if isinstance(
        service.task_definition, str) else None
    if definition is None:
        return service.security_groups is not None
    mode = network_mode(definition)
    return mode if isinstance(mode, Unknown) else mode == "awsvpc"


def _ports(hop: ServiceHop, health_check_only: bool) -> list:
    """(port, kind) pairs a rule checks: the target port, or the health-check port when it differs."""
    target = hop.target_port
    if not health_check_only:
        return [(target, TARGET_PORT)] if target is not None else []
    health = hop.target_group.health_check_port.value if hop.target_group else "traffic-port"
    if health == "traffic-port" or same_value(health, target):
        return []
    return [(health, HEALTH_CHECK_PORT)]


def hop_ports(hop: ServiceHop) -> list:
    """(port, kind) of every port the ALB opens connections to on the hop's tasks: the target port, and the
    health-check port when it differs."""
    return _ports(hop, health_check_only=False) + _ports(hop, health_check_only=True)


def _hops(topology: Topology) -> Iterator[tuple]:
    """(hop, None) for each hop the service's groups carry; (hop, why) when that is unknown."""
    for hop in service_hops(topology):
        judged = _judged_by_task_groups(topology, hop.service)
        if hop.load_balancers and judged is not False:
            yield hop, judged if isinstance(judged, Unknown) else None


def _groups_unknown(rule_id: str, hop: ServiceHop, why: Unknown, port: Any, kind: str, key: str) -> Result:
    return Result(rule_id, Verdict.UNKNOWN, hop.service.id,
                  f"{hop.describe()}: cannot tell which security groups carry tcp/{port} ({kind}) to its tasks: "
                  f"{why.reason}", why.path or hop.entry.path, key, (why,))


def _judge_each_balancer(rule_id: str, topology: Topology, health_check_only: bool, judge) -> Iterator[Result]:
    """judge(hop, port, kind, balancer, key) for every hop, port and ALB in front of it.

    A load balancer that cannot be followed gets UNKNOWN here, so `judge` only sees template ones.
    """
    for hop, unsure in _hops(topology):
        for port, kind in _ports(hop, health_check_only):
            if unsure:
                yield _groups_unknown(rule_id, hop, unsure, port, kind, hop.key)
                continue
            for balancer in hop.load_balancers:
                if isinstance(balancer, LoadBalancer):
                    yield judge(hop, port, kind, balancer, balancer_hop_key(hop, balancer))
                else:
                    yield Result(rule_id, Verdict.UNKNOWN, hop.service.id,
                                 f"{hop.describe()}: cannot judge tcp/{port} ({kind}) through a load balancer that "
                                 f"cannot be followed: {balancer.reason}", hop.entry.path,
                                 balancer_hop_key(hop, balancer), (balancer,))


def _egress_results(rule_id: str, topology: Topology, health_check_only: bool) -> Iterator[Result]:
    def judge(hop: ServiceHop, port: Any, kind: str, balancer: LoadBalancer, key: str) -> Result:
        service_groups = hop.service.security_groups
        if balancer.security_groups is None:
            return Result(rule_id, Verdict.UNKNOWN, hop.service.id,
                          f"{hop.describe()}: ALB {balancer.id} has no {hop.words.security_groups}; the egress of "
                          f"the VPC default security group is not in the {hop.words.document}",
                          balancer.path + ("Properties",), key)
        towards = f"task SG {service_groups.label}" if service_groups else "the tasks (VPC default SG)"
        peer_test = group_or_cidr_test(service_groups, hop.service.addresses)
        gate = evaluate_gate(topology, balancer.security_groups, "egress", port, peer_test)
        owner = f"ALB {balancer.id} SG {balancer.security_groups.label}"
        return gate_result(rule_id, hop, gate, "egress", "ALB SG", owner, f"toward {towards}", port, kind, key,
                            service_groups, hop.service.addresses)

    return _judge_each_balancer(rule_id, topology, health_check_only, judge)


def _ingress_results(rule_id: str, topology: Topology, health_check_only: bool) -> Iterator[Result]:
    def judge(hop: ServiceHop, port: Any, kind: str, balancer: LoadBalancer, key: str) -> Result:
        service_groups = hop.service.security_groups
        if service_groups is None:
            return Result(rule_id, Verdict.UNKNOWN, hop.service.id,
                          f"{hop.describe()}: the service names no {hop.words.security_groups}; the ingress of the "
                          f"VPC default security group is not in the {hop.words.document}",
                          hop.service.network_configuration_path, key)
        alb_groups = balancer.security_groups
        source = f"ALB {balancer.id} SG {alb_groups.label}" if alb_groups else f"ALB {balancer.id}"
        peer_test = group_or_cidr_test(alb_groups, balancer.addresses)
        gate = evaluate_gate(topology, service_groups, "ingress", port, peer_test)
        owner = f"task SG {service_groups.label}"
        return gate_result(rule_id, hop, gate, "ingress", "task SG", owner, f"from {source}", port, kind, key,
                            alb_groups, balancer.addresses)

    return _judge_each_balancer(rule_id, topology, health_check_only, judge)


def gate_result(rule_id: str, hop: ServiceHop, gate: Gate, direction: str, role: str, owner: str, peer: str,
                 port: Any, kind: str, key: str, peer_groups: SgSet | None, peer_addresses: Any) -> Result:
    """The verdict of one gate; `role` names the groups judged ("task SG"), `owner` names them all.

    The peer (the other side of the hop) is known by its groups and addresses, which rules are judged against.
    """
    where = hop.describe()
    if gate.verdict is Verdict.PASSED:
        rule = gate.opening
        message = f"{where}: {role} {rule.group} allows {rule.label}, which lets tcp/{port} ({kind}) through {peer}"
    elif gate.verdict is Verdict.FAILED and gate.near_miss is not None:
        rule = gate.near_miss
        message = f"{where}: {role} {rule.group} allows {rule.label}, but the {kind} is {port}"
    elif gate.verdict is Verdict.FAILED:
        message = (f"{where}: no {direction} rule of {owner} allows tcp/{port} ({kind}) {peer}; "
                   f"{gate.rules_summary(direction)}")
    else:
        message = f"{where}: cannot prove {owner} allows tcp/{port} ({kind}) {peer}: {'; '.join(gate.doubts)}"
    peer_unknowns = (*(peer_groups.unknown if peer_groups else ()), peer_addresses)
    unknowns = unknowns_in(*gate.unknowns, *peer_unknowns) if gate.verdict is Verdict.UNKNOWN else ()
    return Result(rule_id, gate.verdict, hop.service.id, message, gate.fix_path(direction), key, unknowns)


def hop301_alb_egress_target_port(topology: Topology) -> Iterator[Result]:
    return _egress_results("HOP301", topology, health_check_only=False)


def hop302_alb_egress_health_check_port(topology: Topology) -> Iterator[Result]:
    return _egress_results("HOP302", topology, health_check_only=True)


def hop303_task_ingress_target_port(topology: Topology) -> Iterator[Result]:
    return _ingress_results("HOP303", topology, health_check_only=False)


def hop304_task_ingress_health_check_port(topology: Topology) -> Iterator[Result]:
    return _ingress_results("HOP304", topology, health_check_only=True)


def hop305_awsvpc_service_names_security_groups(topology: Topology) -> Iterator[Result]:
    for service in topology.services.values():
        definition = topology.task_definitions.get(service.task_definition) if isinstance(
            service.task_definition, str) else None
        if definition is None or network_mode(definition) != "awsvpc":
            continue
        groups = service.security_groups
        if groups is None or not (groups.known or groups.unknown):
            yield Result("HOP305", Verdict.FAILED, service.id,
                         f"service {service.id} (awsvpc) names no {topology.words.security_groups}, so its tasks "
                         f"get the VPC default security group", service.network_configuration_path)
        elif any(group.malformed for group in groups.unknown):
            yield Result("HOP305", Verdict.UNKNOWN, service.id,
                         f"service {service.id} (awsvpc): cannot read its {topology.words.security_groups}: "
                         f"{groups.label}",
                         groups.path, unknowns=groups.unknown)
        elif groups.may_be_empty:  # an empty list would leave the tasks the VPC default security group
            yield Result("HOP305", Verdict.UNKNOWN, service.id,
                         f"service {service.id} (awsvpc): cannot tell whether its {topology.words.security_groups} "
                         f"name any group: {groups.label}",
                         groups.path, unknowns=groups.unknown)
        else:
            yield Result("HOP305", Verdict.PASSED, service.id,
                         f"service {service.id} (awsvpc) uses {topology.words.security_groups} {groups.label}",
                         groups.path)


def hop306_container_port_not_open_to_world(topology: Topology) -> Iterator[Result]:
    for hop, unsure in _hops(topology):
        port, groups = hop.target_port, hop.service.security_groups
        if port is None:
            continue
        if unsure:
            yield _groups_unknown("HOP306", hop, unsure, port, TARGET_PORT, hop.key)
            continue
        if groups is None:
            yield Result("HOP306", Verdict.UNKNOWN, hop.service.id,
                         f"{hop.describe()}: the service uses the VPC default security group, whose rules are not "
                         f"in the {hop.words.document}", hop.service.network_configuration_path, hop.key)
            continue
        gate = evaluate_gate(topology, groups, "ingress", port, is_everywhere)
        if gate.verdict is Verdict.PASSED:
            rule = gate.opening
            yield Result("HOP306", Verdict.FAILED, hop.service.id,
                         f"{hop.describe()}: task SG {rule.group} allows {rule.label} on container port {port}, "
                         f"so clients can bypass the ALB", rule.peer.path, hop.key)
        elif gate.verdict is Verdict.FAILED:
            yield Result("HOP306", Verdict.PASSED, hop.service.id,
                         f"{hop.describe()}: task SG {groups.label} does not open tcp/{port} to 0.0.0.0/0 or ::/0",
                         groups.path, hop.key)
        else:
            yield Result("HOP306", Verdict.UNKNOWN, hop.service.id,
                         f"{hop.describe()}: cannot prove task SG {groups.label} keeps tcp/{port} closed to the "
                         f"internet: {'; '.join(gate.doubts)}", groups.path, hop.key, tuple(gate.unknowns))
