"""The normalized topology the rules read, whatever the template language.

Every property the rules judge is a `Prop`: its resolved value (a literal, None when absent, `Unknown`,
or a `ResourceRef`) and the path of the property in the scanned document, so a finding can point at the
exact line to fix. Absent properties carry the path of their parent, which is where one would add them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from policies.values import Unknown, as_port, as_text, malformed, shown

ALL_PROTOCOLS = "all"
# IP protocol numbers and aliases as templates write them, to the names SgRule.protocol uses.
IP_PROTOCOL_NAMES = {"-1": ALL_PROTOCOLS, "all": ALL_PROTOCOLS, "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


@dataclass(eq=False, repr=False)
class Prop:
    """A property the rules judge: its resolved value, and its path in the scanned document."""

    value: Any
    path: tuple


@dataclass(eq=False, repr=False)
class Peer:
    """The other side of a security group rule."""

    kind: str  # "cidr", "sg", "prefix_list", "self" or "unknown"
    value: Any  # ip_network, security group id, prefix list id, or Unknown
    path: tuple
    prefix_list: PrefixList | None = None  # the list a "prefix_list" peer names, when it is in the template

    @property
    def label(self) -> str:
        """e.g. "sg-0123", "10.0.0.0/16", or "AlbSubnets (10.0.0.0/24, 10.0.1.0/24)" for a prefix list of the template."""
        if isinstance(self.value, Unknown):
            return self.value.reason
        if self.prefix_list is None or isinstance(self.prefix_list.entries, Unknown):
            return str(self.value)
        entries = [str(entry) for entry in self.prefix_list.entries]
        shown_entries = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        return f"{self.value} ({shown_entries or 'no entries'})"


@dataclass(eq=False, repr=False)
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
        """e.g. "tcp/8080 from AlbSg"; a part that cannot be read shows as "?" (unknowns() say why)."""
        protocol, from_port, to_port = (_readable(part) for part in (self.protocol, self.from_port, self.to_port))
        peer = "?" if isinstance(self.peer.value, Unknown) else self.peer.label
        if self.protocol == ALL_PROTOCOLS:
            ports = "all traffic"
        elif self.from_port is None or from_port == to_port:
            ports = f"{protocol}/{'all' if self.from_port is None else from_port}"
        else:
            ports = f"{protocol}/{from_port}-{to_port}"
        return f"{ports} {'from' if self.direction == 'ingress' else 'to'} {peer}"

    def unknowns(self) -> tuple:
        """The parts of the rule that cannot be read or are known only at deploy time."""
        parts = (self.protocol, self.from_port, self.to_port, self.peer.value)
        if self.peer.prefix_list is not None:
            parts += (self.peer.prefix_list.entries,)
        return tuple(part for part in parts if isinstance(part, Unknown))


def unreadable_rule(group: str, direction: str, why: Unknown, path: tuple) -> SgRule:
    """Stands for rules that exist but cannot be read: no gate through the group can be proved closed."""
    return SgRule(group, direction, why, None, None, Peer("unknown", why, path), path, path, path)


def _readable(part: Any) -> str:
    return "?" if isinstance(part, Unknown) else str(part)


@dataclass(eq=False, repr=False)
class PrefixList:
    """A managed prefix list of the template: the CIDRs a security group rule naming it stands for."""

    id: str
    path: tuple
    address_family: Any  # "IPv4", "IPv6", or Unknown
    entries: Any  # tuple of ip_network, or Unknown when some entry cannot be read

    @cached_property
    def merged_entries(self) -> Any:
        """The entries with adjacent CIDRs merged: a subnet two entries cover together is covered. Merged once,
        however many rules name the list."""
        if isinstance(self.entries, Unknown):
            return self.entries
        return tuple(merged for version in (4, 6) for merged in ipaddress.collapse_addresses(
            entry for entry in self.entries if entry.version == version))


@dataclass(eq=False, repr=False)
class SecurityGroup:
    """A security group and its rules, with where a new rule of each direction would go."""

    id: str
    path: tuple
    ingress: list = field(default_factory=list)
    egress: list = field(default_factory=list)
    ingress_path: tuple = ()  # where an ingress rule would be added
    egress_path: tuple = ()


@dataclass(eq=False, repr=False)
class SgSet:
    """The security groups attached to something: ids of groups in the template, and unknowable ones."""

    known: tuple  # ids of groups in the template, and literal ids (sg-...) of groups outside it
    unknown: tuple  # Unknown values: imported ids, computed ids
    path: tuple
    # The whole list is unknown (a parameter or variable without a value): it may hold no group at all.
    may_be_empty: bool = False

    @property
    def label(self) -> str:
        names = list(self.known) + [u.reason for u in self.unknown]
        return ", ".join(names) if names else "(none)"


@dataclass(eq=False, repr=False)
class LoadBalancer:
    """A load balancer: its type, scheme, security groups and where its nodes live."""

    id: str
    path: tuple
    type: Prop  # "application", "network", "gateway"
    scheme: Prop  # "internet-facing" or "internal"
    security_groups: Any  # SgSet, or None when the property is absent (VPC default SG)
    addresses: Any  # list of ip_network the load balancer's nodes live in, or Unknown
    settings_path: tuple = ()  # where a missing setting (security groups) would be added; () if not given
    ip_address_type: Prop = Prop("ipv4", ())  # "ipv4", "dualstack", "dualstack-without-public-ipv4", or Unknown
    subnets: Any = ()  # ids of the subnets its nodes live in (see Topology.subnets), or Unknown


@dataclass(eq=False, repr=False)
class Forward:
    """A listener default action or a listener rule action forwarding to a target group."""

    listener: Any  # listener id, or Unknown
    target_group: Any  # target group id, or Unknown
    path: tuple


@dataclass(eq=False, repr=False)
class Listener:
    """A listener of a load balancer: the protocol and port clients connect to."""

    id: str
    path: tuple
    load_balancer: Any  # load balancer id, or Unknown
    protocol: Prop
    port: Prop


@dataclass(eq=False, repr=False)
class TargetGroup:
    """A target group: the protocol and port of its targets and of their health checks."""

    id: str
    path: tuple
    protocol: Prop
    port: Prop
    target_type: Prop
    health_check_protocol: Prop
    health_check_port: Prop  # "traffic-port" or an int


@dataclass(eq=False, repr=False)
class PortMapping:
    """One port mapping of a container."""

    container_port: Prop
    host_port: Prop
    protocol: Prop


@dataclass(eq=False, repr=False)
class Container:
    """A container of a task definition and its port mappings."""

    name: Prop
    port_mappings: list
    path: tuple


@dataclass(eq=False, repr=False)
class TaskDefinition:
    """A task definition: its network mode, compatibilities and containers."""

    id: str
    path: tuple
    network_mode: Prop
    requires_compatibilities: Prop  # list of str
    containers: Any  # list of Container, or Unknown


@dataclass(eq=False, repr=False)
class LoadBalancerEntry:
    """One entry of an ECS service's LoadBalancers."""

    index: int
    target_group: Prop  # target group id, or Unknown
    container_name: Prop
    container_port: Prop
    path: tuple


@dataclass(eq=False, repr=False)
class Service:
    """An ECS service: its task definition, load balancer entries and where its tasks run."""

    id: str
    path: tuple
    task_definition: Any  # task definition id, or Unknown
    launch_type: Prop
    capacity_providers: Prop  # list of str
    load_balancers: list
    security_groups: Any  # SgSet, or None when awsvpc names none
    network_configuration_path: tuple
    addresses: Any  # list of ip_network the tasks live in, or Unknown
    # Where bridge and host mode tasks run: a list of ContainerInstances (one per Auto Scaling group of the
    # service's capacity providers, or joining its cluster), with an Unknown for each provider or group that cannot
    # be followed; or Unknown when the template does not link the service to them.
    container_instances: Any = None
    # ids of the subnets awsvpc tasks live in (see Topology.subnets), Unknown, or None without a network configuration
    subnets: Any = None


@dataclass(eq=False, repr=False)
class ContainerInstances:
    """The EC2 instances of one Auto Scaling group a service's bridge or host mode tasks run on."""

    auto_scaling_group: str  # id of the group in the template
    security_groups: Any  # SgSet of the launch template or configuration, or None when it names none
    addresses: Any  # list of ip_network of the group's subnets, or Unknown
    path: tuple  # the launch template's or configuration's security groups, or where they would be added


@dataclass(eq=False, repr=False)
class BlueGreen:
    """A blue/green deployment of one service: traffic shifts from `primary` to `alternate` through the
    production listeners, and testers reach the new tasks first through the test listeners.

    ECS native blue/green is a LoadBalancers entry's AdvancedConfiguration; a CodeDeploy deployment group's
    target group pair swaps roles at every deployment, so its builder records one BlueGreen per direction.
    """

    service: str  # id of the service deployed
    primary: str  # id of the target group the service's LoadBalancers entry names
    alternate: Prop  # target group id, or Unknown
    production_listeners: tuple  # listener ids, or Unknown
    test_listeners: tuple  # Prop each: listener id, or Unknown
    path: tuple


@dataclass(eq=False, repr=False)
class Subnet:
    """A subnet a load balancer or tasks live in, and the network ACL that filters traffic across its border."""

    id: str  # id of the subnet in the template, or its literal id (subnet-...) when it is outside
    network: Any  # its IPv4 ip_network, or Unknown
    network_acl: Any  # id of the template's network ACL associated with it, Unknown, or None: the VPC default ACL
    path: tuple  # the association, or the subnet


@dataclass(eq=False, repr=False)
class AclEntry:
    """One numbered entry of a network ACL: the first entry, by rule number, that matches a packet decides it."""

    rule_number: Any  # int, or Unknown
    egress: bool
    protocol: Any  # as SgRule.protocol: "tcp", "all", ..., or Unknown
    from_port: Any  # int, None (all protocols), or Unknown
    to_port: Any
    allow: Any  # True (allow), False (deny), or Unknown
    network: Any  # ip_network (IPv4 or IPv6 entry), or Unknown
    path: tuple  # the entry
    action_path: tuple  # its RuleAction, where a deny is turned into an allow

    @property
    def label(self) -> str:
        """e.g. "rule 100 deny tcp/8080 from 10.0.0.0/24"; a part that cannot be read shows as "?"."""
        number, action = _readable(self.rule_number), "?" if isinstance(self.allow, Unknown) else (
            "allow" if self.allow else "deny")
        if self.protocol == ALL_PROTOCOLS:
            ports = "all traffic"
        elif self.from_port == self.to_port:
            ports = f"{_readable(self.protocol)}/{_readable(self.from_port)}"
        else:
            ports = f"{_readable(self.protocol)}/{_readable(self.from_port)}-{_readable(self.to_port)}"
        return f"rule {number} {action} {ports} {'to' if self.egress else 'from'} {_readable(self.network)}"

    def unknowns(self) -> tuple:
        parts = (self.rule_number, self.protocol, self.from_port, self.to_port, self.allow, self.network)
        return tuple(part for part in parts if isinstance(part, Unknown))


@dataclass(eq=False, repr=False)
class NetworkAcl:
    """A network ACL and its entries."""

    id: str
    path: tuple  # where an entry would be added
    entries: list = field(default_factory=list)  # AclEntry, in template order

    def ordered(self, egress: bool) -> tuple:
        """(entries whose rule number is unknown, the others by rule number) of one direction, sorted once."""
        orders = self.__dict__.setdefault("_orders", {})
        if orders.get(egress, (-1,))[0] != len(self.entries):  # (re)built when entries were added
            entries = [entry for entry in self.entries if entry.egress is egress]
            numbered = [entry for entry in entries if isinstance(entry.rule_number, int)]
            unnumbered = tuple(entry for entry in entries if not isinstance(entry.rule_number, int))
            orders[egress] = (len(self.entries), unnumbered, tuple(sorted(numbered, key=lambda e: e.rule_number)))
        return orders[egress][1:]


@dataclass(eq=False, repr=False)
class Vocabulary:
    """The names messages give what they talk about, spelled as the user's own files spell them: a Terraform
    user looks for `container_port` and `security_groups`, not `ContainerPort` and `SecurityGroups`."""

    document: str  # what holds the resources
    load_balancers: str  # the service's load balancer entries
    container_name: str  # an entry's container
    container_port: str  # an entry's container port
    mapped_container_port: str  # a port mapping's container port
    host_port: str  # a port mapping's host port
    security_groups: str  # of an ALB or of a service's tasks
    target_type: str
    protocol: str  # a target group's protocol
    port: str  # a target group's port
    health_check_protocol: str
    health_check_port: str
    network_mode: str


CLOUDFORMATION_WORDS = Vocabulary(
    document="template", load_balancers="LoadBalancers", container_name="ContainerName",
    container_port="ContainerPort", mapped_container_port="ContainerPort", host_port="HostPort",
    security_groups="SecurityGroups", target_type="TargetType", protocol="Protocol", port="Port",
    health_check_protocol="HealthCheckProtocol", health_check_port="HealthCheckPort", network_mode="NetworkMode")
TERRAFORM_WORDS = Vocabulary(
    document="configuration", load_balancers="load_balancer", container_name="container_name",
    container_port="container_port", mapped_container_port="containerPort", host_port="hostPort",
    security_groups="security_groups", target_type="target_type", protocol="protocol", port="port",
    health_check_protocol="health_check.protocol", health_check_port="health_check.port", network_mode="network_mode")


@dataclass(eq=False, repr=False)
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
    blue_green: list = field(default_factory=list)
    prefix_lists: dict = field(default_factory=dict)  # id -> PrefixList
    subnets: dict = field(default_factory=dict)  # id -> Subnet, for every subnet a load balancer or service names
    network_acls: dict = field(default_factory=dict)  # id -> NetworkAcl
    # Listener actions that exist but cannot be read (Unknown each, saying why): any target group may be among
    # their targets. Terraform: actions of a listener whose for_each, or whose dynamic blocks, are not known.
    unread_actions: list = field(default_factory=list)
    words: Vocabulary = CLOUDFORMATION_WORDS

    def test_only_listeners(self) -> set:
        """Listeners only testers use during blue/green deployments: HOP402 judges them, not HOP101."""
        production = {listener for pair in self.blue_green for listener in pair.production_listeners}
        tested = {prop.value for pair in self.blue_green for prop in pair.test_listeners}
        return {listener for listener in tested - production if isinstance(listener, str)}

    def derived(self, name: str, compute: Callable[[Topology], Any]) -> Any:
        """What readers of the topology derive from it (the rules' hops, the forwards by target group), computed on
        first use: a topology does not change once built, and every rule walks the same hops."""
        derived = self.__dict__.setdefault("_derived", {})
        if name not in derived:
            derived[name] = compute(self)
        return derived[name]

    def forwards_to(self, target_group: str) -> list:
        return self._forward_index("target_group").get(target_group, [])

    def forwards_from(self, listener: str) -> list:
        return self._forward_index("listener").get(listener, [])

    def _forward_index(self, attribute: str) -> dict:
        """Forwards grouped by one end, built on first use so lookups stay linear overall."""

        def index(topology: Topology) -> dict:
            grouped: dict = {}
            for forward in topology.forwards:
                end = getattr(forward, attribute)
                if isinstance(end, str):
                    grouped.setdefault(end, []).append(forward)
            return grouped

        return self.derived(f"forwards by {attribute}", index)


def placing_providers(items: list) -> list:
    """The providers of a capacity provider strategy's (provider, weight, base) items that can place tasks. When a
    strategy names several, ECS places none on one of weight 0 (the default when none is given), its base aside;
    a weight or base that is not a known number keeps its provider, and so do all when none would be left (a
    strategy whose weights are all 0 cannot be used: CreateService fails)."""
    placing = [provider for provider, weight, base in items
               if len(items) < 2 or not (_known_zero(weight) and _known_zero(base))]
    return placing or [provider for provider, _, _ in items]


def _known_zero(value: Any) -> bool:
    """An absent weight or base (0 by default), or one that is 0."""
    return value is None or (not isinstance(value, bool) and value in (0, "0"))


def container_instances_found(fleets: list) -> Any:
    """A service's container_instances from its fleets (ContainerInstances, or Unknown for a provider or group
    that cannot be followed): the first Unknown alone when no fleet can be followed."""
    if fleets and all(isinstance(fleet, Unknown) for fleet in fleets):
        return fleets[0]
    return fleets


def normalized_protocol(value: Any, missing: str) -> Any:
    """An SgRule protocol from a template's protocol text (None: absent, `missing` says which property)."""
    if value is None:
        return malformed(f"the rule has no {missing}")
    if not isinstance(value, str):
        return value
    protocol = IP_PROTOCOL_NAMES.get(value.lower(), value.lower())
    if protocol in IP_PROTOCOL_NAMES.values() or protocol.isdecimal() and int(protocol) <= 255:
        return protocol
    # A word that is no protocol may have been meant for tcp: a rule never proved closed by it.
    return malformed(f"{missing} {shown(value)} is no IP protocol")


def normalized_ports(protocol: Any, from_port: Any, to_port: Any, names: tuple) -> tuple:
    """(from, to) of an SgRule: None for all protocols; tcp/udp bounds must be given and not -1."""
    if protocol == ALL_PROTOCOLS:
        return None, None
    if protocol in ("tcp", "udp"):
        return _port_bound(from_port, names[0]), _port_bound(to_port, names[1])
    return from_port, to_port


def _port_bound(port: Any, name: str) -> Any:
    if port is None:
        return malformed(f"the rule has no {name}")
    if port == -1:
        return malformed(f"{name} -1 is not a tcp/udp port")
    return port


def address_family(value: Any) -> Any:
    """A prefix list's AddressFamily / address_family: "IPv4" or "IPv6", or Unknown."""
    if value is None:
        return malformed("the prefix list has no address family")
    if isinstance(value, Unknown):
        return value
    family = {"ipv4": "IPv4", "ipv6": "IPv6"}.get(value.lower()) if isinstance(value, str) else None
    return family or malformed(f"address family {shown(value)} is neither IPv4 nor IPv6")


IP_ADDRESS_TYPES = ("ipv4", "dualstack", "dualstack-without-public-ipv4")


def ip_address_type(value: Any) -> Any:
    """A load balancer's IpAddressType / ip_address_type: one of IP_ADDRESS_TYPES (ipv4 when absent), or Unknown."""
    if value is None:
        return "ipv4"
    if isinstance(value, Unknown) or value in IP_ADDRESS_TYPES:
        return value
    return malformed(f"IP address type {shown(value)} is none of {', '.join(IP_ADDRESS_TYPES)}")


def acl_entries(egress: Any, **fields: Any) -> list:
    """One AclEntry in its direction; one in each when the direction is unknown, whose action then cannot be
    told either (in a direction it may not belong to, it decides nothing)."""
    if isinstance(egress, bool):
        return [AclEntry(egress=egress, **fields)]
    return [AclEntry(egress=direction, **{**fields, "allow": egress}) for direction in (False, True)]


def unreadable_acl_entries(why: Unknown, path: tuple, egress: Any) -> list:
    """Stand for entries that exist but cannot be read: they may match any traffic, at any position, either way;
    `egress` is their direction, or Unknown when that cannot be read either."""
    return acl_entries(egress, rule_number=why, protocol=why, from_port=why, to_port=why, allow=why, network=why,
                       path=path, action_path=path)


def normalized_egress(value: Any, name: str) -> Any:
    """Whether a network ACL entry is for egress: absent means ingress."""
    if value is None or isinstance(value, (bool, Unknown)):
        return bool(value) if value is None else value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return malformed(f"{name} {shown(value)} is not a boolean")


def normalized_rule_number(value: Any, name: str) -> Any:
    """A network ACL entry's rule number (1-32766) from an int or digit string, or Unknown."""
    if value is None or isinstance(value, Unknown):
        return value if value is not None else malformed(f"the entry has no {name}")
    number = as_port(value)
    if isinstance(number, int) and 1 <= number <= 32766:
        return number
    return malformed(f"{name} {shown(value)} is not a rule number (1-32766)")


def normalized_acl_action(value: Any, name: str) -> Any:
    """True for "allow", False for "deny" (any case), or Unknown."""
    if value is None or isinstance(value, Unknown):
        return value if value is not None else malformed(f"the entry has no {name}")
    action = as_text(value)
    if isinstance(action, str) and action.lower() in ("allow", "deny"):
        return action.lower() == "allow"
    return malformed(f"{name} {shown(value)} is neither allow nor deny")


def parse_network(value: Any) -> Any:
    """An ip_network from a CIDR string, or Unknown."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        try:
            return ipaddress.ip_network(value, strict=False)
        except ValueError:
            pass
    return malformed(f"{shown(value)} is not a CIDR")
