"""ECS service and task definition wiring: target group attached, container and port named, awsvpc rules."""

from __future__ import annotations

from typing import Iterator

from policies.findings import Verdict
from policies.rules.base import Result, is_fargate_service, network_mode, requires_fargate, service_hops, unknowns_in
from policies.topology import TaskDefinition, Topology
from policies.values import Unknown, is_malformed, same_value


def hop202_target_group_attached(topology: Topology) -> Iterator[Result]:
    # Read once, not once per service: a listener action whose target group the template gets wrong.
    misread_groups = tuple(f.target_group for f in topology.forwards if is_malformed(f.target_group))
    misread_groups += tuple(topology.unread_actions)
    for hop in service_hops(topology):
        path = hop.target_group_path
        group_value = hop.entry.target_group.value
        if isinstance(group_value, Unknown):
            yield Result("HOP202", Verdict.UNKNOWN, hop.service.id,
                         f"{hop.describe()}: the target group is unknown ({group_value.reason})", path, hop.key,
                         (group_value,))
        elif hop.target_group is not None:
            # A forward from a listener reference the template gets wrong proves nothing; and a listener
            # action the template gets wrong (a misspelt Ref) may be meant for this group.
            to_group = topology.forwards_to(hop.target_group.id)
            forwards = [f for f in to_group if not is_malformed(f.listener)]
            unreadable = tuple(f.listener for f in to_group if is_malformed(f.listener)) + misread_groups
            if not forwards and unreadable:
                yield Result("HOP202", Verdict.UNKNOWN, hop.service.id,
                             f"{hop.describe()}: no listener is proved to forward to target group "
                             f"{hop.target_group.id}; some listener actions cannot be read: "
                             f"{'; '.join(unknown.reason for unknown in unreadable)}", path, hop.key, unreadable)
            elif forwards:
                via = ", ".join(sorted({str(f.listener) if isinstance(f.listener, str) else f.listener.reason
                                        for f in forwards}))
                yield Result("HOP202", Verdict.PASSED, hop.service.id,
                             f"{hop.describe()}: target group {hop.target_group.id} is forwarded to by {via}",
                             path, hop.key)
            else:
                yield Result("HOP202", Verdict.FAILED, hop.service.id,
                             f"{hop.describe()}: no listener or listener rule forwards to target group "
                             f"{hop.target_group.id}, so ECS refuses to create the service (the target group "
                             f"has no associated load balancer)", path, hop.key)


def hop204_container_name_exists(topology: Topology) -> Iterator[Result]:
    for hop in service_hops(topology):
        definition, name = hop.task_definition, hop.entry.container_name
        if definition is None and is_malformed(hop.service.task_definition):
            unknown = hop.service.task_definition
            yield Result("HOP204", Verdict.UNKNOWN, hop.service.id,
                         f"{hop.describe()}: cannot read its TaskDefinition ({unknown.reason})", unknown.path,
                         hop.key, (unknown,))
        if definition is None or name.value is None:
            continue
        if isinstance(definition.containers, Unknown) or isinstance(name.value, Unknown):
            reason = (definition.containers if isinstance(definition.containers, Unknown) else name.value).reason
            yield Result("HOP204", Verdict.UNKNOWN, hop.service.id,
                         f"{hop.describe()}: cannot tell whether task definition {definition.id} has container "
                         f"{name.value}: {reason}", name.path, hop.key, unknowns_in(definition.containers, name.value))
            continue
        names = [c.name.value for c in definition.containers]
        if hop.container() is not None:
            yield Result("HOP204", Verdict.PASSED, hop.service.id,
                         f"{hop.describe()}: task definition {definition.id} has container {name.value}",
                         name.path, hop.key)
        elif any(isinstance(n, Unknown) for n in names):
            yield Result("HOP204", Verdict.UNKNOWN, hop.service.id,
                         f"{hop.describe()}: task definition {definition.id} has containers whose names are "
                         f"unknown; none is named {name.value}", name.path, hop.key, unknowns_in(names))
        else:
            yield Result("HOP204", Verdict.FAILED, hop.service.id,
                         f"{hop.describe()}: {hop.words.container_name} {name.value} names no container of task "
                         f"definition {definition.id} (it has {', '.join(map(str, names)) or 'none'})", name.path,
                         hop.key)


def hop205_container_port_mapped(topology: Topology) -> Iterator[Result]:
    for hop in service_hops(topology):
        container, port = hop.container(), hop.entry.container_port
        if container is None or port.value is None:
            continue
        mapped = [m.container_port.value for m in container.port_mappings if m.protocol.value == "tcp"]
        where = f"{hop.describe()}: container {container.name.value}"
        if any(same_value(port.value, p) for p in mapped):
            yield Result("HOP205", Verdict.PASSED, hop.service.id, f"{where} maps tcp/{port.value}",
                         port.path, hop.key)
        elif isinstance(port.value, Unknown) or any(isinstance(p, Unknown) for p in mapped) or any(
            isinstance(m.protocol.value, Unknown) for m in container.port_mappings
        ):
            protocols = [m.protocol.value for m in container.port_mappings]
            yield Result("HOP205", Verdict.UNKNOWN, hop.service.id,
                         f"{where}: cannot tell whether {hop.words.container_port} {port.value} is a tcp port mapping",
                         port.path, hop.key, unknowns_in(port.value, mapped, protocols))
        else:
            listing = ", ".join(f"{m.protocol.value}/{m.container_port.value}" for m in container.port_mappings)
            yield Result("HOP205", Verdict.FAILED, hop.service.id,
                         f"{where} does not map {hop.words.container_port} tcp/{port.value} (it maps "
                         f"{listing or 'nothing'})",
                         port.path, hop.key)


def hop207_awsvpc_host_ports(topology: Topology) -> Iterator[Result]:
    for definition in topology.task_definitions.values():
        if network_mode(definition) != "awsvpc" or isinstance(definition.containers, Unknown):
            continue
        for container in definition.containers:
            for index, mapping in enumerate(container.port_mappings):
                host, port = mapping.host_port.value, mapping.container_port.value
                hop, words = f"{container.name.value}:{index}", topology.words
                where = f"task definition {definition.id} (awsvpc), container {container.name.value}"
                if same_value(host, port) or host is None and not is_malformed(port):
                    yield Result("HOP207", Verdict.PASSED, definition.id,
                                 f"{where}: port {port} has no differing {words.host_port}", mapping.host_port.path,
                                 hop)
                elif isinstance(host, Unknown) or isinstance(port, Unknown):
                    yield Result("HOP207", Verdict.UNKNOWN, definition.id,
                                 f"{where}: cannot compare {words.host_port} {host} with "
                                 f"{words.mapped_container_port} {port}",
                                 mapping.host_port.path, hop, unknowns_in(host, port))
                else:
                    yield Result("HOP207", Verdict.FAILED, definition.id,
                                 f"{where}: {words.host_port} {host} differs from {words.mapped_container_port} "
                                 f"{port}; under awsvpc the host port is the container port", mapping.host_port.path,
                                 hop)


def hop208_fargate_uses_awsvpc(topology: Topology) -> Iterator[Result]:
    for definition in topology.task_definitions.values():
        compatibilities = definition.requires_compatibilities
        if is_malformed(compatibilities.value):
            yield Result("HOP208", Verdict.UNKNOWN, definition.id,
                         f"task definition {definition.id}: cannot tell whether it requires FARGATE "
                         f"({compatibilities.value.reason})", compatibilities.path, unknowns=(compatibilities.value,))
        elif requires_fargate(definition):
            yield _awsvpc_result(topology, definition, definition.id,
                                 f"task definition {definition.id} requires FARGATE")
    for service in topology.services.values():
        definition = topology.task_definitions.get(service.task_definition) if isinstance(
            service.task_definition, str) else None
        # Judged on the service only when the task definition itself says it is not for Fargate.
        if definition is None or requires_fargate(definition) or is_malformed(
                definition.requires_compatibilities.value) or not is_fargate_service(service):
            continue
        yield _awsvpc_result(topology, definition, service.id,
                             f"service {service.id} runs task definition {definition.id} on Fargate")


def _awsvpc_result(topology: Topology, definition: TaskDefinition, subject: str, why: str) -> Result:
    mode, words = network_mode(definition), topology.words
    path = definition.network_mode.path
    if isinstance(mode, Unknown):
        return Result("HOP208", Verdict.UNKNOWN, subject, f"{why}; its {words.network_mode} is unknown ({mode.reason})",
                      path, unknowns=(mode,))
    if mode == "awsvpc":
        return Result("HOP208", Verdict.PASSED, subject, f"{why} and uses {words.network_mode} awsvpc", path)
    shown = mode if definition.network_mode.value is not None else f"bridge ({words.network_mode} is not set)"
    return Result("HOP208", Verdict.FAILED, subject,
                  f"{why}, but its network mode is {shown}; Fargate supports only awsvpc", path)
