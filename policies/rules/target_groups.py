"""Target groups against the tasks behind them: target type, port, health check."""

from __future__ import annotations

from typing import Iterator

from policies.findings import Verdict
from policies.rules.base import ALB_PROTOCOLS, APPLICATION, Result, network_mode, service_hops, unknowns_in
from policies.topology import Topology
from policies.values import Unknown, same_value


def hop203_ip_targets_for_awsvpc(topology: Topology) -> Iterator[Result]:
    for hop in service_hops(topology):
        group, definition = hop.target_group, hop.task_definition
        if group is None or definition is None:
            continue
        mode, target_type = network_mode(definition), group.target_type.value
        where = f"target group {group.id} of {hop.describe()}"
        if isinstance(mode, Unknown) or isinstance(target_type, Unknown):
            reason = (mode if isinstance(mode, Unknown) else target_type).reason
            yield Result("HOP203", Verdict.UNKNOWN, group.id, f"{where}: cannot compare target type: {reason}",
                         group.target_type.path, hop.service.id, unknowns_in(mode, target_type))
        elif mode != "awsvpc":
            continue
        elif target_type == "ip":
            yield Result("HOP203", Verdict.PASSED, group.id,
                         f"{where}: {hop.words.target_type} ip for awsvpc task definition {definition.id}",
                         group.target_type.path, hop.service.id)
        else:
            yield Result("HOP203", Verdict.FAILED, group.id,
                         f"{where}: {hop.words.target_type} is {target_type}, but task definition {definition.id} "
                         f"uses awsvpc, whose tasks can only be registered as ip targets", group.target_type.path,
                         hop.service.id)


def hop206_target_port_matches_container(topology: Topology) -> Iterator[Result]:
    for hop in service_hops(topology):
        group, container_port = hop.target_group, hop.target_port
        if group is None or group.port.value is None or container_port is None:
            continue
        port = group.port.value
        where, words = f"target group {group.id} of {hop.describe()}", hop.words
        if isinstance(port, Unknown) or isinstance(container_port, Unknown):
            verdict, message = Verdict.UNKNOWN, (
                f"{where}: cannot compare {words.port} {port} with {words.container_port} {container_port}")
        elif port == container_port:
            verdict, message = Verdict.PASSED, f"{where}: {words.port} {port} is the {words.container_port}"
        else:
            verdict, message = Verdict.FAILED, (
                f"{where}: {words.port} is {port}, but the service registers targets on {words.container_port} "
                f"{container_port}")
        yield Result("HOP206", verdict, group.id, message, group.port.path, hop.service.id,
                     unknowns_in(port, container_port))


def _alb_target_groups(topology: Topology) -> dict:
    """Target groups an ALB forwards to or that declare an ALB protocol, with who uses them."""
    groups = {}
    for group in topology.target_groups.values():
        if str(group.protocol.value).upper() in ALB_PROTOCOLS:
            groups[group.id] = group
    for forward in topology.forwards:
        listener = topology.listeners.get(forward.listener) if isinstance(forward.listener, str) else None
        balancer = topology.load_balancers.get(listener.load_balancer) if listener and isinstance(
            listener.load_balancer, str) else None
        group = topology.target_groups.get(forward.target_group) if isinstance(forward.target_group, str) else None
        if group is not None and balancer is not None and balancer.type.value == APPLICATION:
            groups[group.id] = group
    return groups


def hop211_health_check_protocol(topology: Topology) -> Iterator[Result]:
    for group in _alb_target_groups(topology).values():
        protocol = group.health_check_protocol.value
        if isinstance(protocol, Unknown):
            verdict, message = Verdict.UNKNOWN, f"target group {group.id}: health check protocol unknown ({protocol.reason})"
        elif str(protocol).upper() in ALB_PROTOCOLS:
            verdict, message = Verdict.PASSED, f"target group {group.id} health-checks over {protocol}"
        else:
            verdict, message = Verdict.FAILED, (
                f"target group {group.id} health-checks over {protocol}; behind an ALB it must be HTTP or HTTPS")
        yield Result("HOP211", verdict, group.id, message, group.health_check_protocol.path,
                     unknowns=unknowns_in(protocol))


def hop212_health_check_port_exposed(topology: Topology) -> Iterator[Result]:
    for hop in service_hops(topology):
        group, definition = hop.target_group, hop.task_definition
        if group is None or definition is None or group.health_check_port.value == "traffic-port":
            continue
        port = group.health_check_port.value
        where = f"target group {group.id} of {hop.describe()}"
        path = group.health_check_port.path
        if isinstance(definition.containers, Unknown) or isinstance(port, Unknown):
            reason = (port if isinstance(port, Unknown) else definition.containers).reason
            yield Result("HOP212", Verdict.UNKNOWN, group.id,
                         f"{where}: cannot check {hop.words.health_check_port}: {reason}",
                         path, hop.service.id, unknowns_in(port, definition.containers))
            continue
        exposed = [m.container_port.value for c in definition.containers for m in c.port_mappings]
        if any(same_value(port, exposed_port) for exposed_port in exposed):
            yield Result("HOP212", Verdict.PASSED, group.id,
                         f"{where}: {hop.words.health_check_port} {port} is mapped by task definition "
                         f"{definition.id}",
                         path, hop.service.id)
        elif any(isinstance(p, Unknown) for p in exposed):
            yield Result("HOP212", Verdict.UNKNOWN, group.id,
                         f"{where}: some container ports of {definition.id} are unknown", path, hop.service.id,
                         unknowns_in(exposed))
        else:
            yield Result("HOP212", Verdict.FAILED, group.id,
                         f"{where}: {hop.words.health_check_port} {port} is exposed by no container of task "
                         f"definition {definition.id} (ports {', '.join(map(str, exposed)) or 'none'})", path,
                         hop.service.id)
