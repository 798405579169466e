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
from functools import cached_property
from typing import Any

from policies.terraform.container_definitions import read_container_definitions
from policies.terraform.expressions import interpret
from policies.terraform.resources import split_address, unknown_reason
from policies.topology import (
    BlueGreen,
    Container,
    ContainerInstances,
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
    unreadable_rule,
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
DEPLOYMENT_GROUP = ("aws_codedeploy_deployment_group",)
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
        for address in self.of_type(DEPLOYMENT_GROUP):
            self.deployment_group(self.attributes(address))
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
                rules.append(unreadable_rule(address, direction, blocks, attributes.where(direction)))
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
            for _, advanced in entry.known_blocks("advanced_configuration"):
                self.native_blue_green(address, entries[-1], advanced)
        networks = attributes.known_blocks("network_configuration")
        network = networks[0][1] if networks else attributes
        strategy = [block.get("capacity_provider")
                    for _, block in attributes.known_blocks("capacity_provider_strategy")]
        providers = [provider.value for provider in strategy]
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
            container_instances=self.container_instances(attributes, strategy),
        )

    # -- container instances (ECS on EC2) ----------------------------------------------------------

    def container_instances(self, service: _Attributes, strategy: list) -> Any:
        """The Auto Scaling groups behind the service's capacity providers (its cluster's default strategy
        when it names neither providers nor a launch type), or Unknown when the configuration does not link them."""
        if not strategy and service.get("launch_type").value is None:
            strategy = self.cluster_default_strategy(service.get("cluster").value)
        if not strategy:
            return Unknown("no capacity provider of the service or its cluster names an Auto Scaling group of "
                           "this configuration")
        fleets = []
        for provider in strategy:
            provider_address = self.by_name(provider.value, ("aws_ecs_capacity_provider",), "capacity provider")
            if isinstance(provider_address, Unknown):
                return provider_address
            groups = self.attributes(provider_address).known_blocks("auto_scaling_group_provider")
            group = groups[0][1].get("auto_scaling_group_arn").value if groups else None
            group_address = self.reference(group, ("aws_autoscaling_group",), "Auto Scaling group")
            if isinstance(group_address, Unknown):
                return group_address
            fleet = self.auto_scaling_group_instances(group_address)
            if isinstance(fleet, Unknown):
                return fleet
            fleets.append(fleet)
        return fleets

    def cluster_default_strategy(self, cluster: Any) -> list:
        """capacity_provider props of the default_capacity_provider_strategy that an
        aws_ecs_cluster_capacity_providers sets on the cluster."""
        cluster_address = self.by_name(cluster, ("aws_ecs_cluster",), "cluster")
        return [block.get("capacity_provider")
                for address in self.of_type(("aws_ecs_cluster_capacity_providers",))
                if self.by_name(self.attributes(address).get("cluster_name").value, ("aws_ecs_cluster",),
                                "cluster") == cluster_address
                for _, block in self.attributes(address).known_blocks("default_capacity_provider_strategy")]

    def by_name(self, value: Any, kinds: tuple, noun: str) -> Any:
        """Like reference, and a name: checkov renders `aws_ecs_cluster.main.name` as the name it is given."""
        if isinstance(value, str):
            named = [address for address in self.of_type(kinds) if self.attributes(address).raw.get("name") == value]
            if len(named) == 1:
                return named[0]
        return self.reference(value, kinds, noun)

    def auto_scaling_group_instances(self, address: str) -> Any:
        """The security groups and subnets of the group's instances, from its launch template or configuration."""
        group = self.attributes(address)
        if group.has("launch_configuration"):
            configuration = self.reference(group.get("launch_configuration").value, ("aws_launch_configuration",),
                                           "launch configuration")
            if isinstance(configuration, Unknown):
                return configuration
            groups = self.attributes(configuration).get("security_groups")
        else:
            specifications = group.known_blocks("launch_template") or [
                specification for _, policy in group.known_blocks("mixed_instances_policy")
                for _, template in policy.known_blocks("launch_template")
                for specification in template.known_blocks("launch_template_specification")]
            reference = (specifications[0][1].get("id").value or specifications[0][1].get("launch_template_id").value
                         if specifications else None)
            template = self.reference(reference, ("aws_launch_template",), "launch template")
            if isinstance(template, Unknown):
                return template
            data = self.attributes(template)
            interfaces = data.known_blocks("network_interfaces")
            # With network interfaces, the primary one's security_groups are the instance's.
            groups = (interfaces[0][1].get("security_groups") if interfaces
                      else data.get("vpc_security_group_ids") if data.has("vpc_security_group_ids")
                      else data.get("security_group_names"))
        return ContainerInstances(address, self.security_group_set(groups),
                                  self.subnet_networks(group.get("vpc_zone_identifier")), groups.path)

    # -- blue/green -------------------------------------------------------------------------------

    def native_blue_green(self, service: str, entry: LoadBalancerEntry, advanced: _Attributes) -> None:
        """ECS native blue/green: a load_balancer's advanced_configuration names the alternate target group and
        the listener rules that carry production and test traffic."""
        alternate = advanced.get("alternate_target_group_arn")
        if alternate.value is None or not isinstance(entry.target_group.value, str):
            return
        production, test = advanced.get("production_listener_rule"), advanced.get("test_listener_rule")
        self.topology.blue_green.append(BlueGreen(
            service,
            entry.target_group.value,
            Prop(self.reference(alternate.value, TARGET_GROUPS, "target group"), alternate.path),
            (self.listener_of_rule(production.value),) if production.value is not None else (),
            (Prop(self.listener_of_rule(test.value), test.path),) if test.value is not None else (),
            advanced.path,
        ))

    def listener_of_rule(self, value: Any) -> Any:
        rule = self.reference(value, LISTENER_RULES, "listener rule")
        if isinstance(rule, Unknown):
            return rule
        return self.reference(self.attributes(rule).get("listener_arn").value, LISTENERS, "listener")

    def deployment_group(self, attributes: _Attributes) -> None:
        """CodeDeploy blue/green of ECS services: each target group pair, with its production and test listeners."""
        services = [self.named(block.get("service_name").value, SERVICE, "service")
                    for _, block in attributes.known_blocks("ecs_service")]
        for _, info in attributes.known_blocks("load_balancer_info"):
            for _, pair in info.known_blocks("target_group_pair_info"):
                groups = [block.get("name") for _, block in pair.known_blocks("target_group")]
                if len(groups) != 2:
                    continue  # CodeDeploy takes exactly two target groups: nothing to pair
                production = tuple(prop.value for prop in self.route_listeners(pair, "prod_traffic_route"))
                test = self.route_listeners(pair, "test_traffic_route")
                for primary, alternate in (groups, groups[::-1]):
                    primary_id = self.named(primary.value, TARGET_GROUPS, "target group")
                    alternate_id = Prop(self.named(alternate.value, TARGET_GROUPS, "target group"), alternate.path)
                    for service in services:
                        if isinstance(service, str) and isinstance(primary_id, str):
                            self.topology.blue_green.append(
                                BlueGreen(service, primary_id, alternate_id, production, test, pair.path))

    def named(self, value: Any, kinds: tuple, noun: str) -> Any:
        """The resource of one of `kinds` that `value` names: CodeDeploy names services and target groups by
        name, and checkov renders `aws_ecs_service.app.name` as the name itself when the configuration sets it."""
        if isinstance(value, str):
            matches = [address for address in self.of_type(kinds) if self.attributes(address).raw.get("name") == value]
            if len(matches) == 1:
                return matches[0]
        return self.reference(value, kinds, noun)

    def route_listeners(self, pair: _Attributes, route: str) -> tuple:
        """A Prop (listener address, or Unknown) for each of the listener_arns of the pair's traffic route."""
        listeners = []
        for _, block in pair.known_blocks(route):
            prop = block.get("listener_arns")
            values = prop.value if isinstance(prop.value, list) else [] if prop.value is None else [prop.value]
            listeners.extend(Prop(self.reference(value, LISTENERS, "listener"), prop.path) for value in values)
        return tuple(listeners)

    def task_definition_of(self, raw: Any) -> Any:
        """`task_definition`: a reference, a family name, or "family:revision" text built from references."""
        if isinstance(raw, str):
            named = {address for address in _addresses_named_in(raw, self.resources)
                     if self.resources[address]["type"] in TASK_DEFINITION}
            named |= self.task_definitions_by_family.get(raw.split(":")[0], set())
            if len(named) == 1:
                return named.pop()
        return self.reference(interpret(raw, self.addresses), TASK_DEFINITION, "task definition")

    @cached_property
    def task_definitions_by_family(self) -> dict:
        """Family -> addresses of the task definitions of that family: read once, not once per service."""
        families: dict = {}
        for address in self.of_type(TASK_DEFINITION):
            family = self.attributes(address).raw.get("family")
            if isinstance(family, str):
                families.setdefault(family, set()).add(address)
        return families


# Where an address may begin in rendered text: not inside a longer name, index or string.
_ADDRESS_START = re.compile(r'(?<![\w.\]"])[A-Za-z_]')


def _addresses_named_in(text: str, addresses: Any) -> set:
    """The addresses (of the container `addresses`) that `text` names as `<address>.<attribute>`.

    Each candidate is looked up, rather than each address searched for: a service's text is short, a
    configuration may hold a thousand task definitions.
    """
    named = set()
    for start in _ADDRESS_START.finditer(text):
        end = text.find(".", start.start())
        while end != -1:
            if text[start.start():end] in addresses:
                named.add(text[start.start():end])
            end = text.find(".", end + 1)
    return named


def _one_or_many(value: Any) -> Any:
    """A list argument: checkov renders a one-element list from terraform.tfvars as its element."""
    return [value] if isinstance(value, (str, ResourceRef)) else value


def _scheme(internal: Any) -> Any:
    if isinstance(internal, Unknown):
        return internal
    return "internal" if internal is True or str(internal).lower() == "true" else "internet-facing"


def build_topology(resources: list) -> Topology:
    return _Builder(resources).build()

