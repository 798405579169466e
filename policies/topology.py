"""The normalized topology the rules read, whatever the template language.

Every property the rules judge is a `Prop`: its resolved value (a literal, None when absent, `Unknown`,
or a `ResourceRef`) and the path of the property in the scanned document, so a finding can point at the
exact line to fix. Absent properties carry the path of their parent, which is where one would add them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from policies.values import Unknown

ALL_PROTOCOLS = "all"
# IP protocol numbers and aliases as templates write them, to the names SgRule.protocol uses.
IP_PROTOCOL_NAMES = {"-1": ALL_PROTOCOLS, "all": ALL_PROTOCOLS, "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


@dataclass(frozen=True)
class Prop:
    value: Any
    path: tuple


@dataclass(frozen=True)
class Peer:
    """The other side of a security group rule."""

    kind: str  # "cidr", "sg", "prefix_list", "self" or "unknown"
    value: Any  # ip_network, security group id, prefix list id, or Unknown
    path: tuple

    @property
    def label(self) -> str:
        return str(self.value) if not isinstance(self.value, Unknown) else self.value.reason


@dataclass(frozen=True)
class SgRule:
    """One ingress or egress permission, normalized: protocol "tcp"/"udp"/"icmp"/"all"/..., port range."""

    group: str  # id of the security group the rule belongs to
    direction: str  # "ingress" or "egress"
    protocol: Any  # str or Unknown
    from_port: Any  # int, None (all), or Unknown
    to_port: Any
    peer: Peer
    path: tuple  # the rule itself
    port_path: tuple  # FromPort, or the rule when absent
    protocol_path: tuple

    @property
    def label(self) -> str:
        if self.protocol == ALL_PROTOCOLS:
            ports = "all traffic"
        elif self.from_port is None or self.from_port == self.to_port:
            ports = f"{self.protocol}/{'all' if self.from_port is None else self.from_port}"
        else:
            ports = f"{self.protocol}/{self.from_port}-{self.to_port}"
        return f"{ports} {'from' if self.direction == 'ingress' else 'to'} {self.peer.label}"


@dataclass
class SecurityGroup:
    id: str
    path: tuple
    ingress: list = field(default_factory=list)
    egress: list = field(default_factory=list)
    ingress_path: tuple = ()  # where an ingress rule would be added
    egress_path: tuple = ()


@dataclass(frozen=True)
class SgSet:
    """The security groups attached to something: ids of groups in the template, and unknowable ones."""

    known: tuple  # ids of groups in the template, and literal ids (sg-...) of groups outside it
    unknown: tuple  # Unknown values: imported ids, computed ids
    path: tuple

    @property
    def label(self) -> str:
        names = list(self.known) + [u.reason for u in self.unknown]
        return ", ".join(names) if names else "(none)"


@dataclass
class LoadBalancer:
    id: str
    path: tuple
    type: Prop  # "application", "network", "gateway"
    scheme: Prop  # "internet-facing" or "internal"
    security_groups: Any  # SgSet, or None when the property is absent (VPC default SG)
    addresses: Any  # list of ip_network the load balancer's nodes live in, or Unknown
    settings_path: tuple = ()  # where a missing setting (security groups) would be added; () if not given


@dataclass
class Forward:
    """A listener default action or a listener rule action forwarding to a target group."""

    listener: Any  # listener id, or Unknown
    target_group: Any  # target group id, or Unknown
    path: tuple


@dataclass
class Listener:
    id: str
    path: tuple
    load_balancer: Any  # load balancer id, or Unknown
    protocol: Prop
    port: Prop


@dataclass
class TargetGroup:
    id: str
    path: tuple
    protocol: Prop
    port: Prop
    target_type: Prop
    health_check_protocol: Prop
    health_check_port: Prop  # "traffic-port" or an int


@dataclass(frozen=True)
class PortMapping:
    container_port: Prop
    host_port: Prop
    protocol: Prop


@dataclass
class Container:
    name: Prop
    port_mappings: list
    path: tuple


@dataclass
class TaskDefinition:
    id: str
    path: tuple
    network_mode: Prop
    requires_compatibilities: Prop  # list of str
    containers: Any  # list of Container, or Unknown


@dataclass(frozen=True)
class LoadBalancerEntry:
    """One entry of an ECS service's LoadBalancers."""

    index: int
    target_group: Prop  # target group id, or Unknown
    container_name: Prop
    container_port: Prop
    path: tuple


@dataclass
class Service:
    id: str
    path: tuple
    task_definition: Any  # task definition id, or Unknown
    launch_type: Prop
    capacity_providers: Prop  # list of str
    load_balancers: list
    security_groups: Any  # SgSet, or None when awsvpc names none
    network_configuration_path: tuple
    addresses: Any  # list of ip_network the tasks live in, or Unknown


@dataclass
class Topology:
    """One deployment of one template: what exists and how it is wired."""

    resource_types: dict = field(default_factory=dict)  # id -> the template's own type name
    load_balancers: dict = field(default_factory=dict)
    listeners: dict = field(default_factory=dict)
    forwards: list = field(default_factory=list)
    target_groups: dict = field(default_factory=dict)
    services: dict = field(default_factory=dict)
    task_definitions: dict = field(default_factory=dict)
    security_groups: dict = field(default_factory=dict)

    def forwards_to(self, target_group: str) -> list:
        return self._forward_index("target_group").get(target_group, [])

    def forwards_from(self, listener: str) -> list:
        return self._forward_index("listener").get(listener, [])

    def _forward_index(self, attribute: str) -> dict:
        """Forwards grouped by one end, built on first use so lookups stay linear overall."""
        indexes = self.__dict__.setdefault("_forward_indexes", {})
        if attribute not in indexes:
            index: dict = {}
            for forward in self.forwards:
                end = getattr(forward, attribute)
                if isinstance(end, str):
                    index.setdefault(end, []).append(forward)
            indexes[attribute] = index
        return indexes[attribute]


def normalized_protocol(value: Any, missing: str) -> Any:
    """An SgRule protocol from a template's protocol text (None: absent, `missing` says which property)."""
    if value is None:
        return Unknown(f"the rule has no {missing}")
    if isinstance(value, str):
        return IP_PROTOCOL_NAMES.get(value.lower(), value.lower())
    return value


def normalized_ports(protocol: Any, from_port: Any, to_port: Any, names: tuple) -> tuple:
    """(from, to) of an SgRule: None for all protocols; tcp/udp bounds must be given and not -1."""
    if protocol == ALL_PROTOCOLS:
        return None, None
    if protocol in ("tcp", "udp"):
        return _port_bound(from_port, names[0]), _port_bound(to_port, names[1])
    return from_port, to_port


def _port_bound(port: Any, name: str) -> Any:
    if port is None:
        return Unknown(f"the rule has no {name}")
    if port == -1:
        return Unknown(f"{name} -1 is not a tcp/udp port")
    return port


def parse_network(value: Any) -> Any:
    """An ip_network from a CIDR string, or Unknown."""
    if isinstance(value, Unknown):
        return value
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return Unknown(f"{value!r} is not a CIDR")
