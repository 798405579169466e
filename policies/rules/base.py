"""What every rule shares: its result type and the ALB -> ECS hops of a topology."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator

from policies.findings import Verdict
from policies.topology import (
    BlueGreen,
    Container,
    LoadBalancer,
    LoadBalancerEntry,
    Service,
    TargetGroup,
    TaskDefinition,
    Topology,
    Vocabulary,
)
from policies.values import Unknown, same_value

APPLICATION = "application"
ALB_PROTOCOLS = ("HTTP", "HTTPS")
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


@dataclass(eq=False, repr=False)
class Result:
    """One rule's verdict on one hop, in one deployment of the template."""

    rule_id: str
    verdict: Verdict
    subject: str  # id of the resource the verdict is reported on
    message: str
    path: tuple  # the property to fix
    hop: str = ""
    unknowns: tuple = ()  # the Unknown values an UNKNOWN verdict rests on


def unknowns_in(*values: Any) -> tuple:
    """The Unknown values among `values` and the items of those that are lists."""
    found = []
    for value in values:
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, Unknown):
                found.append(item)
    return tuple(found)


@dataclass(eq=False, repr=False)
class ServiceHop:
    """ALB -> target group -> ECS service, for one entry of the service's LoadBalancers."""

    service: Service
    entry: LoadBalancerEntry
    target_group: TargetGroup | None  # None when the entry's target group is not in the template
    task_definition: TaskDefinition | None  # None when it is not in the template
    load_balancers: list  # LoadBalancer, or Unknown for one that cannot be followed
    words: Vocabulary  # the topology's
    blue_green: BlueGreen | None = None  # set on the hop to the alternate target group of a blue/green pair

    @property
    def key(self) -> str:
        return f"{self.words.load_balancers}[{self.entry.index}]" + (" alternate" if self.blue_green else "")

    @property
    def target_port(self) -> Any:
        return self.entry.container_port.value

    @property
    def target_group_path(self) -> tuple:
        """Where the hop's target group is named: the entry's TargetGroupArn, or for an alternate hop the
        AlternateTargetGroupArn or CodeDeploy target group pair entry that names it."""
        return self.blue_green.alternate.path if self.blue_green else self.entry.target_group.path

    def container(self) -> Container | None:
        """The container the entry names, when the task definition has it."""
        if self.task_definition is None or isinstance(self.task_definition.containers, Unknown):
            return None
        name = self.entry.container_name.value
        return next((c for c in self.task_definition.containers if same_value(c.name.value, name)), None)

    def describe(self) -> str:
        group = self.target_group.id if self.target_group else "its target group"
        return f"service {self.service.id} ({self.key} -> {group})"


def balancer_hop_key(hop: ServiceHop, balancer: Any) -> str:
    """Tells apart the verdicts of one LoadBalancers entry behind each load balancer (or unknown one)."""
    return f"{hop.key}:{balancer.id if isinstance(balancer, LoadBalancer) else balancer.reason}"


def service_hops(topology: Topology) -> tuple:
    """Every hop of the topology, in the order of its services and their LoadBalancers entries."""
    return topology.derived("service_hops", lambda built: tuple(_service_hops(built)))


def _service_hops(topology: Topology) -> Iterator[ServiceHop]:
    for service in topology.services.values():
        task_definition = (
            topology.task_definitions.get(service.task_definition)
            if isinstance(service.task_definition, str)
            else None
        )
        for entry in service.load_balancers:
            group_id = entry.target_group.value
            group = topology.target_groups.get(group_id) if isinstance(group_id, str) else None
            yield ServiceHop(
                service,
                entry,
                group,
                task_definition,
                load_balancers_forwarding_to(topology, group_id) if group else [],
                topology.words,
            )
            yield from _alternate_hops(topology, service, entry, task_definition)


def _alternate_hops(topology: Topology, service: Service, entry: LoadBalancerEntry,
                    task_definition: TaskDefinition | None) -> Iterator[ServiceHop]:
    """The entry's tasks behind the alternate target group of each of its blue/green pairs: after a deployment
    shifts traffic, every hop must hold there too, so every rule that judges hops judges these as well."""
    for pair in topology.blue_green:
        alternate = pair.alternate.value
        if pair.service != service.id or not same_value(pair.primary, entry.target_group.value):
            continue
        group = topology.target_groups.get(alternate) if isinstance(alternate, str) else None
        if group is not None:
            yield ServiceHop(service, entry, group, task_definition, load_balancers_forwarding_to(topology, alternate),
                             topology.words, pair)


def load_balancers_forwarding_to(topology: Topology, target_group: str) -> list:
    """Application load balancers whose listeners (or listener rules) forward to the target group."""
    found: dict = {}
    for forward in topology.forwards_to(target_group):
        listener = topology.listeners.get(forward.listener) if isinstance(forward.listener, str) else None
        if listener is None:
            unknown = forward.listener if isinstance(forward.listener, Unknown) else Unknown("an unknown listener")
            found.setdefault(unknown.reason, unknown)
            continue
        balancer = (
            topology.load_balancers.get(listener.load_balancer) if isinstance(listener.load_balancer, str) else None
        )
        if balancer is None:
            unknown = listener.load_balancer if isinstance(listener.load_balancer, Unknown) else Unknown(
                f"the load balancer of listener {listener.id}")
            found.setdefault(unknown.reason, unknown)
        elif isinstance(balancer.type.value, Unknown):
            unknown = replace(balancer.type.value, reason=f"the Type of load balancer {balancer.id} is unknown "
                                                          f"({balancer.type.value.reason})")
            found.setdefault(unknown.reason, unknown)
        elif balancer.type.value == APPLICATION:
            found.setdefault(balancer.id, balancer)
    return list(found.values())


def is_fargate_service(service: Service) -> bool:
    providers = service.capacity_providers.value or []
    return service.launch_type.value == "FARGATE" or any(p in FARGATE_PROVIDERS for p in providers)


def requires_fargate(task_definition: TaskDefinition) -> bool:
    compatibilities = task_definition.requires_compatibilities.value
    return isinstance(compatibilities, list) and "FARGATE" in compatibilities


def network_mode(task_definition: TaskDefinition) -> Any:
    """The task's network mode; ECS's default is bridge."""
    mode = task_definition.network_mode.value
    return "bridge" if mode is None else mode


def is_load_balancer(value: Any) -> bool:
    return isinstance(value, LoadBalancer)
