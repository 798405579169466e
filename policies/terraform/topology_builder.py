"""Build the normalized topology of a Terraform configuration or plan from its resource dicts.

Ids in the topology are Terraform addresses; a property's path is (address of the resource that holds it,
attribute, block index, ...), e.g. ("aws_security_group.app", "ingress", 0, "from_port"). Nested blocks are
always indexed, even when the configuration writes only one.

Terraform semantics that differ from CloudFormation:
- An aws_security_group has no egress at all unless it declares some: Terraform deletes the allow-all
  rule EC2 creates (standalone egress rules still add to it).
- One inline rule or aws_security_group_rule with several cidr_blocks, groups or `self` is one
  permission per peer.
- Defaults are the provider's: target_type "instance", health_check protocol "HTTP" and port
  "traffic-port", load_balancer_type "application", internal false, listener protocol "HTTP".
- An empty security_groups list means the same as none: the VPC default security group.
"""

from __future__ import annotations

import re
from typing import Any

from policies.terraform.container_definitions import read_container_definitions
from policies.terraform.expressions import interpret
from policies.terraform.resources import split_address, unknown_reason
from policies.topology import (
    Container,
    Forward,
    Listener,
    LoadBalancer,
    LoadBalancerEntry,
    Peer,
    PortMapping,
    Prop,
    SecurityGroup,
    Service,
    SgRule,
    SgSet,
    TargetGroup,
    TaskDefinition,
    Topology,
    normalized_ports,
    normalized_protocol,
    parse_network,
)
from policies.values import ResourceRef, Unknown, as_list, as_port, as_text

LOAD_BALANCERS = ("aws_lb", "aws_alb")
LISTENERS = ("aws_lb_listener", "aws_alb_listener")
LISTENER_RULES = ("aws_lb_listener_rule", "aws_alb_listener_rule")
TARGET_GROUPS = ("aws_lb_target_group", "aws_alb_target_group")
SECURITY_GROUP = ("aws_security_group",)
SUBNET = ("aws_subnet",)
TASK_DEFINITION = ("aws_ecs_task_definition",)
SERVICE = ("aws_ecs_service",)
MAX_REFERENCE_DEPTH = 8

# Attributes naming the other side of a rule: attribute -> peer kind. Lists give one peer per item.
_INLINE_PEERS = {"cidr_blocks": "cidr", "ipv6_cidr_blocks": "cidr", "prefix_list_ids": "prefix_list",
                 "security_groups": "sg"}
_RULE_PEERS = {"cidr_blocks": "cidr", "ipv6_cidr_blocks": "cidr", "prefix_list_ids": "prefix_list",
               "source_security_group_id": "sg"}
_VPC_RULE_PEERS = {"cidr_ipv4": "cidr", "cidr_ipv6": "cidr", "prefix_list_id": "prefix_list",
                   "referenced_security_group_id": "sg"}


class _Attributes:
    """Reads of one resource's (or one nested block's) attributes, each with its path."""

    def __init__(self, builder: "_Builder", raw: Any, path: tuple) -> None:
        self.builder = builder
        self.raw = raw if isinstance(raw, dict) else {}
        self.path = path

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def get(self, name: str) -> Prop:
        """The value as the rules see it: literal, ResourceRef, Unknown, or a list of those; None if absent."""
        if self.raw.get(name) is None:
            return Prop(None, self.path)
        return Prop(interpret(self.raw[name], self.builder.addresses), self.path + (name,))

    def scalar(self, name: str) -> Prop:
        """Like get, with a reference to another resource's argument replaced by that argument's value."""
        prop = self.get(name)
        return Prop(self.builder.dereference(prop.value), prop.path)

    def blocks(self, name: str) -> Any:
        """(index, _Attributes) pairs of the nested blocks `name` (one block or a list), or Unknown."""
        raw = self.raw.get(name)
        reason = unknown_reason(raw)
        if reason is not None:
            return Unknown(reason)
        items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
        return [(index, _Attributes(self.builder, item, self.path + (name, index)))
                for index, item in enumerate(items) if isinstance(item, dict)]

    def known_blocks(self, name: str) -> list:
        blocks = self.blocks(name)
        return [] if isinstance(blocks, Unknown) else blocks

    def where(self, name: str) -> tuple:
        """Path of `name` if present, else of this resource or block: where one would add it."""
        return self.path + (name,) if name in self.raw else self.path


class _Builder:
    def __init__(self, resources: list) -> None:
        self.topology = Topology()
        self.resources = {}
        for resource in resources:
            self.resources[resource["address"]] = resource
            self.topology.resource_types[resource["address"]] = resource["type"]
        self.addresses = self.resources.keys()

    def attributes(self, address: str) -> _Attributes:
        return _Attributes(self, self.resources[address].get("attributes"), (address,))

    def of_type(self, kinds: tuple) -> list:
        return [address for address, resource in self.resources.items() if resource["type"] in kinds]

    def build(self) -> Topology:
        for address in self.of_type(SECURITY_GROUP):
            self.topology.security_groups[address] = self.security_group(address)
        self.standalone_rules()
        for address in self.of_type(LOAD_BALANCERS):
            self.topology.load_balancers[address] = self.load_balancer(address)
        for address in self.of_type(TARGET_GROUPS):
            self.topology.target_groups[address] = self.target_group(address)
        for address in self.of_type(LISTENERS):
            self.topology.listeners[address] = self.listener(address)
        for address in self.of_type(LISTENER_RULES):
            attributes = self.attributes(address)
            listener = self.reference(attributes.get("listener_arn").value, LISTENERS, "listener")
            self.add_forwards(listener, attributes, "action")
        for address in self.of_type(TASK_DEFINITION):
            self.topology.task_definitions[address] = self.task_definition(address)
        for address in self.of_type(SERVICE):
            self.topology.services[address] = self.service(address)
        return self.topology

    # -- references -------------------------------------------------------------------------------

    def reference(self, value: Any, kinds: tuple, noun: str) -> Any:
        """The address of the configuration's resource of one of `kinds` that `value` points at, or Unknown."""
        if isinstance(value, ResourceRef):
            if self.topology.resource_types.get(value.resource) in kinds:
                return value.resource
            return Unknown(f"{value} (not a {noun})")
        if isinstance(value, Unknown):
            return value
        return Unknown(f"{noun} {value!r} (not in this configuration)")

    def dereference(self, value: Any, depth: int = 0) -> Any:
        """`aws_vpc.main.cidr_block` -> the VPC's cidr_block argument; ids and ARNs exist only after apply."""
        if isinstance(value, list):
            return [self.dereference(item, depth) for item in value]
        if not isinstance(value, ResourceRef):
            return value
        raw = self.resources[value.resource].get("attributes", {}).get(value.attribute)
        if raw is None or depth >= MAX_REFERENCE_DEPTH:
            return Unknown(f"{value} (known after apply)")
        return self.dereference(interpret(raw, self.addresses), depth + 1)

    def security_group_set(self, prop: Prop) -> Any:
        values = as_list(_one_or_many(prop.value))
        if not values:
            return None  # absent or empty: the VPC default security group
        if isinstance(values, Unknown):
            return SgSet((), (values,), prop.path)
        known, unknown = [], []
        for value in values:
            group = self.reference(value, SECURITY_GROUP, "security group")
            (unknown if isinstance(group, Unknown) else known).append(group)
        return SgSet(tuple(dict.fromkeys(known)), tuple(unknown), prop.path)

    def subnet_networks(self, prop: Prop) -> Any:
        """The CIDRs of the subnets named by `prop`, or Unknown unless every one is known."""
        subnets = as_list(_one_or_many(prop.value))
        if not subnets:
            return Unknown("the subnets are not given")
        if isinstance(subnets, Unknown):
            return subnets
        networks = []
        for subnet in subnets:
            address = self.reference(subnet, SUBNET, "subnet")
            if isinstance(address, Unknown):
                return Unknown(f"the CIDR of a subnet is not known ({address.reason})")
            network = parse_network(self.attributes(address).scalar("cidr_block").value)
            if isinstance(network, Unknown):
                return Unknown(f"the CIDR of subnet {address} is not known ({network.reason})")
            networks.append(network)
        return networks

    # -- security groups --------------------------------------------------------------------------

    def security_group(self, address: str) -> SecurityGroup:
        attributes = self.attributes(address)
        group = SecurityGroup(address, (address,), ingress_path=attributes.where("ingress"),
                              egress_path=attributes.where("egress"))
        for direction, rules in (("ingress", group.ingress), ("egress", group.egress)):
            blocks = attributes.blocks(direction)
            if isinstance(blocks, Unknown):
                rules.append(_unknown_rule(address, direction, blocks, attributes.where(direction)))
                continue
            for _, block in blocks:
                rules.extend(self.sg_rules(block, direction, address, "protocol", _INLINE_PEERS))
        return group

    def standalone_rules(self) -> None:
        for address in self.of_type(("aws_security_group_rule",)):
            attributes = self.attributes(address)
            direction = as_text(attributes.get("type").value)
            if direction not in ("ingress", "egress"):
                continue
            self.add_standalone(attributes, direction, "protocol", _RULE_PEERS)
        for direction in ("ingress", "egress"):
            for address in self.of_type((f"aws_vpc_security_group_{direction}_rule",)):
                self.add_standalone(self.attributes(address), direction, "ip_protocol", _VPC_RULE_PEERS)

    def add_standalone(self, attributes: _Attributes, direction: str, protocol: str, peers: dict) -> None:
        group_id = self.reference(attributes.get("security_group_id").value, SECURITY_GROUP, "security group")
        group = self.topology.security_groups.get(group_id) if isinstance(group_id, str) else None
        if group is None:
            return  # a rule of a group outside the configuration cannot open or close a hop we judge
        rules = group.ingress if direction == "ingress" else group.egress
        rules.extend(self.sg_rules(attributes, direction, group.id, protocol, peers))

    def sg_rules(self, attributes: _Attributes, direction: str, group_id: str, protocol_name: str,
                 peer_attributes: dict) -> list:
        protocol_prop = attributes.scalar(protocol_name)
        protocol = normalized_protocol(as_text(protocol_prop.value), protocol_name)
        from_prop, to_prop = attributes.scalar("from_port"), attributes.scalar("to_port")
        from_port, to_port = normalized_ports(protocol, as_port(from_prop.value), as_port(to_prop.value),
                                              ("from_port", "to_port"))
        return [
            SgRule(group_id, direction, protocol, from_port, to_port, peer, attributes.path, from_prop.path,
                   protocol_prop.path)
            for peer in self.peers(attributes, group_id, peer_attributes)
        ]

    def peers(self, attributes: _Attributes, group_id: str, peer_attributes: dict) -> list:
        peers = []
        for name, kind in peer_attributes.items():
            prop = attributes.get(name) if kind == "sg" else attributes.scalar(name)
            values = prop.value if isinstance(prop.value, list) else [] if prop.value is None else [prop.value]
            for position, value in enumerate(values):
                path = prop.path + (position,) if isinstance(prop.value, list) else prop.path
                if kind == "cidr":
                    peers.append(Peer("cidr", parse_network(value), path))
                elif kind == "sg":
                    peers.append(Peer("sg", self.reference(value, SECURITY_GROUP, "security group"), path))
                else:
                    peers.append(Peer("prefix_list", value, path))
        itself = attributes.get("self")
        if isinstance(itself.value, Unknown):
            peers.append(Peer("sg", itself.value, itself.path))
        elif itself.value is True or str(itself.value).lower() == "true":
            peers.append(Peer("sg", group_id, itself.path))
        return peers or [Peer("unknown", Unknown("the rule names no peer"), attributes.path)]

    # -- load balancing ---------------------------------------------------------------------------

    def load_balancer(self, address: str) -> LoadBalancer:
        attributes = self.attributes(address)
        lb_type, internal = attributes.scalar("load_balancer_type"), attributes.scalar("internal")
        subnets = attributes.get("subnets")
        if subnets.value is None and attributes.has("subnet_mapping"):
            subnets = Prop([block.get("subnet_id").value for _, block in attributes.known_blocks("subnet_mapping")],
                           attributes.where("subnet_mapping"))
        return LoadBalancer(
            address,
            (address,),
            Prop("application" if lb_type.value is None else lb_type.value, lb_type.path),
            Prop(_scheme(internal.value), internal.path),
            self.security_group_set(attributes.get("security_groups")),
            self.subnet_networks(subnets),
            settings_path=(address,),
        )

    def target_group(self, address: str) -> TargetGroup:
        attributes = self.attributes(address)
        health_checks = attributes.known_blocks("health_check")
        health = health_checks[0][1] if health_checks else _Attributes(self, {}, attributes.path)
        target_type, port = attributes.scalar("target_type"), attributes.scalar("port")
        hc_protocol, hc_port = health.scalar("protocol"), health.scalar("port")
        hc_port_value = "traffic-port" if hc_port.value in (None, "traffic-port") else as_port(hc_port.value)
        return TargetGroup(
            address,
            (address,),
            attributes.scalar("protocol"),
            Prop(as_port(port.value), port.path),
            Prop("instance" if target_type.value is None else target_type.value, target_type.path),
            Prop("HTTP" if hc_protocol.value is None else hc_protocol.value, hc_protocol.path),
            Prop(hc_port_value, hc_port.path),
        )

    def listener(self, address: str) -> Listener:
        attributes = self.attributes(address)
        load_balancer = self.reference(attributes.get("load_balancer_arn").value, LOAD_BALANCERS, "load balancer")
        self.add_forwards(address, attributes, "default_action")
        port, protocol = attributes.scalar("port"), attributes.scalar("protocol")
        return Listener(
            address,
            (address,),
            load_balancer,
            Prop("HTTP" if protocol.value is None else protocol.value, protocol.path),
            Prop(as_port(port.value), port.path),
        )

    def add_forwards(self, listener: Any, attributes: _Attributes, actions: str) -> None:
        for _, action in attributes.known_blocks(actions):
            if str(action.get("type").value).lower() != "forward":
                continue
            targets = [action.get("target_group_arn")]
            for _, forward in action.known_blocks("forward"):
                targets.extend(group.get("arn") for _, group in forward.known_blocks("target_group"))
            for target in targets:
                if target.value is not None:
                    group = self.reference(target.value, TARGET_GROUPS, "target group")
                    self.topology.forwards.append(Forward(listener, group, target.path))

    # -- ECS --------------------------------------------------------------------------------------

    def task_definition(self, address: str) -> TaskDefinition:
        attributes = self.attributes(address)
        containers = read_container_definitions(
            attributes.raw.get("container_definitions"), self.resources[address].get("file"),
            in_root_module=not split_address(address)[0])
        if not isinstance(containers, Unknown):
            path = attributes.where("container_definitions")
            containers = [self.container(_Attributes(self, item, path + (index,)))
                          for index, item in enumerate(containers) if isinstance(item, dict)]
        return TaskDefinition(
            address,
            (address,),
            attributes.scalar("network_mode"),
            attributes.get("requires_compatibilities"),
            containers,
        )

    def container(self, definition: _Attributes) -> Container:
        mappings = []
        for _, mapping in definition.known_blocks("portMappings"):
            container_port, host_port = mapping.scalar("containerPort"), mapping.scalar("hostPort")
            protocol = mapping.scalar("protocol")
            mappings.append(PortMapping(
                Prop(as_port(container_port.value), container_port.path),
                Prop(as_port(host_port.value), host_port.path),
                Prop("tcp" if protocol.value is None else as_text(protocol.value), protocol.path),
            ))
        return Container(definition.scalar("name"), mappings, definition.path)

    def service(self, address: str) -> Service:
        attributes = self.attributes(address)
        entries = []
        for index, entry in attributes.known_blocks("load_balancer"):
            target = entry.get("target_group_arn")
            if target.value is None:
                continue  # a Classic Load Balancer (elb_name): not an ALB hop
            port = entry.scalar("container_port")
            entries.append(LoadBalancerEntry(
                index,
                Prop(self.reference(target.value, TARGET_GROUPS, "target group"), target.path),
                entry.scalar("container_name"),
                Prop(as_port(port.value), port.path),
                entry.path,
            ))
        networks = attributes.known_blocks("network_configuration")
        network = networks[0][1] if networks else attributes
        providers = [block.get("capacity_provider").value
                     for _, block in attributes.known_blocks("capacity_provider_strategy")]
        return Service(
            address,
            (address,),
            self.task_definition_of(attributes.raw.get("task_definition")),
            attributes.scalar("launch_type"),
            Prop(providers, attributes.where("capacity_provider_strategy")),
            entries,
            self.security_group_set(network.get("security_groups")) if networks else None,
            network.path,
            self.subnet_networks(network.get("subnets")) if networks else Unknown("the subnets are not given"),
        )

    def task_definition_of(self, raw: Any) -> Any:
        """`task_definition`: a reference, a family name, or "family:revision" text built from references."""
        if isinstance(raw, str):
            named = {address for address in self.of_type(TASK_DEFINITION)
                     if re.search(r'(?<![\w.\]"])' + re.escape(address) + r"\.", raw)}
            named |= {address for address in self.of_type(TASK_DEFINITION)
                      if self.attributes(address).raw.get("family") == raw.split(":")[0]}
            if len(named) == 1:
                return named.pop()
        return self.reference(interpret(raw, self.addresses), TASK_DEFINITION, "task definition")


def _one_or_many(value: Any) -> Any:
    """A list argument: checkov renders a one-element list from terraform.tfvars as its element."""
    return [value] if isinstance(value, (str, ResourceRef)) else value


def _scheme(internal: Any) -> Any:
    if isinstance(internal, Unknown):
        return internal
    return "internal" if internal is True or str(internal).lower() == "true" else "internet-facing"


def _unknown_rule(group: str, direction: str, why: Unknown, path: tuple) -> SgRule:
    """Stands for rules that exist but cannot be read: no gate through the group can be proved closed."""
    return SgRule(group, direction, why, None, None, Peer("unknown", why, path), path, path, path)


def build_topology(resources: list) -> Topology:
    return _Builder(resources).build()

