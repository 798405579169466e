"""ECS on EC2 in bridge or host network mode: tasks are reached on their instance's ports, not their own.

Under awsvpc each task has its own interface and security groups (HOP203, HOP301-HOP306). In bridge and host
mode the tasks share their container instance's interface: the target group registers the instance, on the
host port the container port is mapped to, and the instance's security groups (from its launch template or
launch configuration) are the gate.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from policies.findings import Verdict
from policies.rules.base import (
    Result,
    ServiceHop,
    balancer_hop_key,
    is_fargate_service,
    network_mode,
    requires_fargate,
    service_hops,
)
from policies.rules.gates import PortRange, evaluate_gate, group_or_cidr_test
from policies.rules.security_groups import gate_result
from policies.topology import ContainerInstances, LoadBalancer, PortMapping, Topology
from policies.values import Unknown, same_value

HOST_NETWORK_MODES = ("bridge", "host")
# Where ECS picks a host port for a container mapped with HostPort 0 (or none) in bridge mode.
DYNAMIC_HOST_PORTS = PortRange(32768, 65535)


def _host_network_hops(topology: Topology) -> Iterator[tuple]:
    """(hop, network mode) of every hop whose task definition is known to use bridge or host mode.

    A network mode that cannot be read is HOP203's to report, not every rule's here; and Fargate runs awsvpc
    only, so a bridge or host mode there is HOP208's.
    """
    for hop in service_hops(topology):
        if hop.task_definition is not None and not (
                is_fargate_service(hop.service) or requires_fargate(hop.task_definition)):
            mode = network_mode(hop.task_definition)
            if mode in HOST_NETWORK_MODES:
                yield hop, mode


def _target_mapping(hop: ServiceHop) -> PortMapping | None:
    """The container's tcp mapping of the port the service registers (HOP205 reports its absence)."""
    container = hop.container()
    if container is None:
        return None
    return next((mapping for mapping in container.port_mappings
                 if mapping.protocol.value == "tcp" and same_value(mapping.container_port.value, hop.target_port)),
                None)


def host_port(hop: ServiceHop, mode: str) -> Any:
    """The instance port targets are registered on: an int, DYNAMIC_HOST_PORTS, Unknown, or None when the
    container does not map the target port."""
    mapping = _target_mapping(hop)
    if mapping is None:
        return None
    if mode == "host":
        return mapping.container_port.value  # the container binds the instance's own port
    port = mapping.host_port.value
    return DYNAMIC_HOST_PORTS if port is None or port == 0 else port


def _port_kind(port: Any) -> str:
    return "dynamic host port range" if port == DYNAMIC_HOST_PORTS else "host port"


def hop501_instance_targets_for_host_networking(topology: Topology) -> Iterator[Result]:
    for hop, mode in _host_network_hops(topology):
        group, definition = hop.target_group, hop.task_definition
        if group is None:
            continue
        target_type = group.target_type.value
        where = f"target group {group.id} of {hop.describe()}"
        if isinstance(target_type, Unknown):
            yield Result("HOP501", Verdict.UNKNOWN, group.id,
                         f"{where}: {hop.words.target_type} is unknown ({target_type.reason})",
                         group.target_type.path, hop.service.id, (target_type,))
        elif target_type == "instance":
            yield Result("HOP501", Verdict.PASSED, group.id,
                         f"{where}: {hop.words.target_type} instance for {mode} mode task definition {definition.id}",
                         group.target_type.path, hop.service.id)
        else:
            yield Result("HOP501", Verdict.FAILED, group.id,
                         f"{where}: {hop.words.target_type} is {target_type}, but task definition {definition.id} "
                         f"uses {mode} network mode, whose tasks can only be registered as instance targets",
                         group.target_type.path, hop.service.id)


def hop502_dynamic_host_port_health_check(topology: Topology) -> Iterator[Result]:
    for hop, mode in _host_network_hops(topology):
        group, port = hop.target_group, host_port(hop, mode)
        if group is None or not (port == DYNAMIC_HOST_PORTS or isinstance(port, Unknown)):
            continue
        health, path = group.health_check_port.value, group.health_check_port.path
        where = f"target group {group.id} of {hop.describe()}"
        if health == "traffic-port":
            if port == DYNAMIC_HOST_PORTS:
                yield Result("HOP502", Verdict.PASSED, group.id,
                             f"{where}: health-checks each target on its dynamic host port (traffic-port)",
                             path, hop.service.id)
        elif isinstance(health, Unknown) or isinstance(port, Unknown):
            unknown = health if isinstance(health, Unknown) else port
            yield Result("HOP502", Verdict.UNKNOWN, group.id,
                         f"{where}: cannot tell whether {hop.words.health_check_port} {health} reaches the tasks: "
                         f"{unknown.reason}",
                         path, hop.service.id, (unknown,))
        else:
            yield Result("HOP502", Verdict.FAILED, group.id,
                         f"{where}: {hop.words.health_check_port} is {health}, but container port {hop.target_port} "
                         f"is mapped to a dynamic host port ({DYNAMIC_HOST_PORTS}), different on every task: use "
                         f"traffic-port",
                         path, hop.service.id)


JudgeFleet = Callable[[ServiceHop, Any, str, ContainerInstances, LoadBalancer, str], Result]


def fleet_hop_key(hop: ServiceHop, instances: ContainerInstances, balancer: Any) -> str:
    """Tells apart the verdicts of one LoadBalancers entry behind each load balancer, per Auto Scaling group."""
    return f"{balancer_hop_key(hop, balancer)}:{instances.auto_scaling_group}"


def _judge_each_fleet(rule_id: str, topology: Topology, judge: JudgeFleet) -> Iterator[Result]:
    """judge(hop, port, kind, instances, balancer, key) for every host-networked hop, Auto Scaling group its
    tasks may run on, and ALB in front of it; UNKNOWN here for what cannot be followed."""
    for hop, mode in _host_network_hops(topology):
        port = host_port(hop, mode)
        if port is None:
            continue
        kind, fleets = _port_kind(port), hop.service.container_instances
        # An Unknown among the fleets (a group or provider that cannot be followed) leaves the others judged.
        for instances in [fleets] if isinstance(fleets, Unknown) else fleets:
            if isinstance(instances, Unknown):
                yield Result(rule_id, Verdict.UNKNOWN, hop.service.id,
                             f"{hop.describe()}: cannot tell which container instances run its {mode} mode tasks: "
                             f"{instances.reason}", instances.path or hop.service.capacity_providers.path, hop.key,
                             (instances,))
                continue
            for balancer in hop.load_balancers:
                key = fleet_hop_key(hop, instances, balancer)
                if isinstance(balancer, LoadBalancer):
                    yield judge(hop, port, kind, instances, balancer, key)
                else:
                    yield Result(rule_id, Verdict.UNKNOWN, hop.service.id,
                                 f"{hop.describe()}: cannot judge tcp/{port} ({kind}) through a load balancer that "
                                 f"cannot be followed: {balancer.reason}", hop.entry.path, key, (balancer,))


def hop503_instance_ingress_host_port(topology: Topology) -> Iterator[Result]:
    def judge(hop: ServiceHop, port: Any, kind: str, instances: ContainerInstances, balancer: LoadBalancer,
              key: str) -> Result:
        groups = instances.security_groups
        if groups is None:
            return Result("HOP503", Verdict.UNKNOWN, hop.service.id,
                          f"{hop.describe()}: the launch template of Auto Scaling group {instances.auto_scaling_group} "
                          f"names no security groups; the ingress of the VPC default security group is not in the "
                          f"{hop.words.document}", instances.path, key)
        alb_groups = balancer.security_groups
        source = f"ALB {balancer.id} SG {alb_groups.label}" if alb_groups else f"ALB {balancer.id}"
        gate = evaluate_gate(topology, groups, "ingress", port,
                             group_or_cidr_test(alb_groups, balancer.addresses))
        return gate_result("HOP503", hop, gate, "ingress", "instance SG", f"container instance SG {groups.label}",
                            f"from {source}", port, kind, key, alb_groups, balancer.addresses)

    return _judge_each_fleet("HOP503", topology, judge)


def hop504_alb_egress_host_port(topology: Topology) -> Iterator[Result]:
    def judge(hop: ServiceHop, port: Any, kind: str, instances: ContainerInstances, balancer: LoadBalancer,
              key: str) -> Result:
        if balancer.security_groups is None:
            return Result("HOP504", Verdict.UNKNOWN, hop.service.id,
                          f"{hop.describe()}: ALB {balancer.id} has no {hop.words.security_groups}; the egress of "
                          f"the VPC default security group is not in the {hop.words.document}",
                          balancer.path + ("Properties",), key)
        groups = instances.security_groups
        towards = (f"container instance SG {groups.label}" if groups
                   else f"the instances of {instances.auto_scaling_group} (VPC default SG)")
        gate = evaluate_gate(topology, balancer.security_groups, "egress", port,
                             group_or_cidr_test(groups, instances.addresses))
        return gate_result("HOP504", hop, gate, "egress", "ALB SG",
                            f"ALB {balancer.id} SG {balancer.security_groups.label}", f"toward {towards}", port, kind,
                            key, groups, instances.addresses)

    return _judge_each_fleet("HOP504", topology, judge)
