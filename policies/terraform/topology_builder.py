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
from policies.terraform.resources import split_address, unknown_marker, unknown_reason
from policies.topology import (
    TERRAFORM_WORDS,
    BlueGreen,
    Container,
    ContainerInstances,
    Forward,
    Listener,
    LoadBalancer,
    LoadBalancerEntry,
    NetworkAcl,
    Peer,
    PortMapping,
    PrefixList,
    Prop,
    SecurityGroup,
    Service,
    SgRule,
    SgSet,
    Subnet,
    TargetGroup,
    TaskDefinition,
    Topology,
    acl_entries,
    address_family,
    container_instances_found,
    ip_address_type,
    normalized_acl_action,
    normalized_egress,
    normalized_ports,
    normalized_protocol,
    normalized_rule_number,
    parse_network,
    placing_providers,
    unreadable_acl_entries,
    unreadable_rule,
)
from policies.values import ResourceRef, Unknown, as_list, as_port, as_text

LOAD_BALANCERS = ("aws_lb", "aws_alb")
LISTENERS = ("aws_lb_listener", "aws_alb_listener")
LISTENER_RULES = ("aws_lb_listener_rule", "aws_alb_listener_rule")
TARGET_GROUPS = ("aws_lb_target_group", "aws_alb_target_group")
SECURITY_GROUP = ("aws_security_group",)
SUBNET = ("aws_subnet",)
NETWORK_ACL = ("aws_network_acl",)
DEFAULT_NETWORK_ACL = ("aws_default_network_acl",)
PREFIX_LIST = ("aws_ec2_managed_prefix_list",)
TASK_DEFINITION = ("aws_ecs_task_definition",)
SERVICE = ("aws_ecs_service",)
DEPLOYMENT_GROUP = ("aws_codedeploy_deployment_group",)
# The attributes of an Auto Scaling group's launch template block that name the template, by id or by name.
LAUNCH_TEMPLATE_REFERENCES = ("id", "launch_template_id", "name", "launch_template_name")
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
        value = self.raw.get(name)
        if value is None:
            return Prop(None, self.path)
        return Prop(interpret(value, self.builder.addresses), self.path + (name,))

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
        self.topology = Topology(words=TERRAFORM_WORDS)
        self.resources = {}
        for resource in resources:
            self.resources[resource["address"]] = resource
            self.topology.resource_types[resource["address"]] = resource["type"]
        self.addresses = self.resources.keys()
        self.addresses_of_type: dict = {}  # resource type -> its addresses, in the configuration's order
        self.position = {address: index for index, address in enumerate(self.resources)}
        for address, resource in self.resources.items():
            self.addresses_of_type.setdefault(resource["type"], []).append(address)
        self.acl_associations: dict = {}  # subnet id -> [Prop(network ACL address or Unknown, association path)]
        # The ACL subnets without an association of the configuration use: None for an allow-all VPC default ACL,
        # the address of the aws_default_network_acl that replaces its entries, or Unknown.
        self.default_acl: Any = None
        # An association naming a subnet that cannot be told (an unrendered module output may be any subnet).
        self.unplaced_association: Any = None

    def attributes(self, address: str) -> _Attributes:
        return _Attributes(self, self.resources[address].get("attributes"), (address,))

    def of_type(self, kinds: tuple) -> list:
        """The addresses of the resources of these types, in the configuration's order (asked per type and per
        service: not a scan of every resource each time)."""
        found = [address for kind in kinds for address in self.addresses_of_type.get(kind, ())]
        return sorted(found, key=self.position.__getitem__) if len(kinds) > 1 else found

    def build(self) -> Topology:
        # Read before the groups: a rule naming a prefix list of the configuration stands for its entries.
        self.prefix_lists()
        for address in self.of_type(SECURITY_GROUP):
            self.topology.security_groups[address] = self.security_group(address)
        self.standalone_rules()
        self.network_acls()  # before load balancers and services: their subnets' ACLs are looked up
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
        if value is None:  # `null`, or an argument checkov could not render
            return Unknown(f"no {noun} named")
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
            return SgSet((), (values,), prop.path, may_be_empty=True)
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
            if isinstance(direction, Unknown):  # it may be either, and allow anything: no gate is proved closed
                group = self.group_of(attributes)
                for rules, where in ((group.ingress, "ingress"), (group.egress, "egress")) if group else ():
                    rules.append(unreadable_rule(group.id, where, direction, attributes.where("type")))
            elif direction in ("ingress", "egress"):
                self.add_standalone(attributes, direction, "protocol", _RULE_PEERS)
        for direction in ("ingress", "egress"):
            for address in self.of_type((f"aws_vpc_security_group_{direction}_rule",)):
                self.add_standalone(self.attributes(address), direction, "ip_protocol", _VPC_RULE_PEERS)

    def group_of(self, attributes: _Attributes) -> SecurityGroup | None:
        """The configuration's security group a standalone rule belongs to; None for one outside it."""
        group_id = self.reference(attributes.get("security_group_id").value, SECURITY_GROUP, "security group")
        return self.topology.security_groups.get(group_id) if isinstance(group_id, str) else None

    def add_standalone(self, attributes: _Attributes, direction: str, protocol: str, peers: dict) -> None:
        group = self.group_of(attributes)
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
            # References to groups and prefix lists name them; a CIDR may be another resource's argument.
            prop = attributes.scalar(name) if kind == "cidr" else attributes.get(name)
            values = prop.value if isinstance(prop.value, list) else [] if prop.value is None else [prop.value]
            for position, value in enumerate(values):
                path = prop.path + (position,) if isinstance(prop.value, list) else prop.path
                if kind == "cidr":
                    peers.append(Peer("cidr", parse_network(value), path))
                elif kind == "sg":
                    peers.append(Peer("sg", self.reference(value, SECURITY_GROUP, "security group"), path))
                else:
                    peers.append(self.prefix_list_peer(value, path))
        itself = attributes.get("self")
        if isinstance(itself.value, Unknown):
            peers.append(Peer("sg", itself.value, itself.path))
        elif itself.value is True or str(itself.value).lower() == "true":
            peers.append(Peer("sg", group_id, itself.path))
        return peers or [Peer("unknown", Unknown("the rule names no peer"), attributes.path)]

    def prefix_list_peer(self, value: Any, path: tuple) -> Peer:
        """A prefix list of the configuration by reference, one outside it by its id (pl-...), or Unknown."""
        if not isinstance(value, ResourceRef):
            return Peer("prefix_list", value, path)
        prefix_list = self.reference(value, PREFIX_LIST, "prefix list")
        return Peer("prefix_list", prefix_list, path, self.topology.prefix_lists.get(prefix_list))

    def prefix_lists(self) -> None:
        """Each aws_ec2_managed_prefix_list with its entry blocks and aws_ec2_managed_prefix_list_entry resources."""
        entries: dict = {}  # address -> list of cidr values, or Unknown when the entry blocks cannot be read
        for address in self.of_type(PREFIX_LIST):
            blocks = self.attributes(address).blocks("entry")
            entries[address] = blocks if isinstance(blocks, Unknown) else [
                block.scalar("cidr").value for _, block in blocks]
        for address in self.of_type(("aws_ec2_managed_prefix_list_entry",)):
            attributes = self.attributes(address)
            prefix_list = self.reference(attributes.get("prefix_list_id").value, PREFIX_LIST, "prefix list")
            if isinstance(entries.get(prefix_list), list):
                entries[prefix_list].append(attributes.scalar("cidr").value)
        for address, cidrs in entries.items():
            self.topology.prefix_lists[address] = PrefixList(
                address, (address,), address_family(self.attributes(address).scalar("address_family").value),
                _entry_networks(cidrs))

    # -- network ACLs -----------------------------------------------------------------------------

    def network_acls(self) -> None:
        """ACLs with their inline ingress and egress blocks, aws_network_acl_rule entries, and associations (the
        ACLs' subnet_ids and aws_network_acl_association). An aws_default_network_acl replaces the entries of the
        ACL every subnet of its VPC uses until associated with another."""
        defaults = self.of_type(DEFAULT_NETWORK_ACL)
        for address in self.of_type(NETWORK_ACL + DEFAULT_NETWORK_ACL):
            attributes = self.attributes(address)
            acl = self.topology.network_acls[address] = NetworkAcl(address, (address,))
            for direction in ("ingress", "egress"):
                blocks = attributes.blocks(direction)
                if isinstance(blocks, Unknown):
                    path = attributes.where(direction)
                    acl.entries.extend(unreadable_acl_entries(blocks, path, direction == "egress"))
                    continue
                for _, block in blocks:
                    acl.entries.extend(self.acl_entries(block, "rule_no", "action", direction == "egress"))
            subnets = as_list(_one_or_many(attributes.get("subnet_ids").value))
            for subnet in subnets if isinstance(subnets, list) else [] if subnets is None else [subnets]:
                self.associate(subnet, address, attributes.where("subnet_ids"))
        if defaults:
            self.default_acl = defaults[0] if len(defaults) == 1 else Unknown(
                f"the configuration manages {len(defaults)} default network ACLs")
        for address in self.of_type(("aws_network_acl_rule",)):
            attributes = self.attributes(address)
            acl = self.reference(attributes.get("network_acl_id").value, NETWORK_ACL + DEFAULT_NETWORK_ACL,
                                 "network ACL")
            if isinstance(acl, str):
                egress = normalized_egress(attributes.scalar("egress").value, "egress")
                self.topology.network_acls[acl].entries.extend(
                    self.acl_entries(attributes, "rule_number", "rule_action", egress))
        for address in self.of_type(("aws_network_acl_association",)):
            attributes = self.attributes(address)
            self.associate(attributes.get("subnet_id").value,
                           self.reference(attributes.get("network_acl_id").value, NETWORK_ACL, "network ACL"),
                           (address,))

    def associate(self, subnet: Any, acl: Any, path: tuple) -> None:
        subnet_id = self.subnet_id(subnet)
        if isinstance(subnet_id, str):
            self.acl_associations.setdefault(subnet_id, []).append(Prop(acl, path))
        elif self.unplaced_association is None:
            self.unplaced_association = Unknown(f"a network ACL association names subnet {subnet_id.reason}")

    def acl_entries(self, attributes: _Attributes, number: str, action: str, egress: Any) -> list:
        protocol_prop = attributes.scalar("protocol")
        protocol = normalized_protocol(as_text(protocol_prop.value), "protocol")
        from_port, to_port = normalized_ports(protocol, as_port(attributes.scalar("from_port").value),
                                              as_port(attributes.scalar("to_port").value), ("from_port", "to_port"))
        cidr = attributes.scalar("cidr_block" if attributes.has("cidr_block") else "ipv6_cidr_block").value
        network = Unknown("the entry has no cidr_block or ipv6_cidr_block") if cidr is None else parse_network(cidr)
        return acl_entries(egress, rule_number=normalized_rule_number(attributes.scalar(number).value, number),
                           protocol=protocol, from_port=from_port, to_port=to_port,
                           allow=normalized_acl_action(attributes.scalar(action).value, action), network=network,
                           path=attributes.path, action_path=attributes.where(action))

    def subnet_id(self, value: Any) -> Any:
        """A subnet of the configuration by address, a subnet outside it by its literal id, or Unknown."""
        if isinstance(value, str) and value.startswith("subnet-"):
            return value
        return self.reference(value, SUBNET, "subnet")

    def subnet_ids(self, prop: Prop) -> Any:
        """The ids of the subnets named by `prop`, each recorded in topology.subnets, or Unknown."""
        subnets = as_list(_one_or_many(prop.value))
        if isinstance(subnets, Unknown):
            return subnets
        ids = []
        for value in subnets or []:
            subnet_id = self.subnet_id(value)
            if isinstance(subnet_id, Unknown):
                return subnet_id
            if subnet_id not in self.topology.subnets:
                self.topology.subnets[subnet_id] = self.subnet(subnet_id)
            ids.append(subnet_id)
        return tuple(ids)

    def subnet(self, subnet_id: str) -> Subnet:
        in_configuration = subnet_id in self.resources
        network = (parse_network(self.attributes(subnet_id).scalar("cidr_block").value) if in_configuration
                   else Unknown(f"the CIDR of subnet {subnet_id} is not known"))
        associations = self.acl_associations.get(subnet_id, [])
        # An ACL's subnet_ids and an association may name the same pair (a plan lists both).
        if len({prop.value for prop in associations}) > 1:
            acl = Unknown(f"subnet {subnet_id} is associated with several network ACLs")
        elif associations:
            acl = associations[0].value
        elif self.unplaced_association is not None:
            acl = self.unplaced_association
        elif in_configuration or self.default_acl is None:
            acl = self.default_acl
        else:  # a subnet outside the configuration may be in another VPC, with its own default ACL
            acl = Unknown(f"subnet {subnet_id} may use the default network ACL {self.default_acl}")
        return Subnet(subnet_id, network, acl, associations[0].path if associations else (subnet_id,))

    # -- load balancing ---------------------------------------------------------------------------

    def load_balancer(self, address: str) -> LoadBalancer:
        attributes = self.attributes(address)
        lb_type, internal = attributes.scalar("load_balancer_type"), attributes.scalar("internal")
        ip_type = attributes.scalar("ip_address_type")
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
            ip_address_type=Prop(ip_address_type(ip_type.value), ip_type.path),
            subnets=self.subnet_ids(subnets),
        )

    def target_group(self, address: str) -> TargetGroup:
        attributes = self.attributes(address)
        health_checks = attributes.blocks("health_check")
        target_type, port = attributes.scalar("target_type"), attributes.scalar("port")
        if isinstance(health_checks, Unknown):  # not the provider's defaults: a health check that cannot be read
            hc_protocol = hc_port = Prop(health_checks, attributes.where("health_check"))
            hc_port_value = health_checks
        else:
            health = health_checks[0][1] if health_checks else _Attributes(self, {}, attributes.path)
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
        """The listener's forwards. An action that cannot be read, or a forward whose target group is not known,
        may be meant for any target group of the configuration: it is an unread action (topology.unread_actions),
        so no target group is proved unattached (HOP202)."""
        blocks = attributes.blocks(actions)
        if isinstance(blocks, Unknown):
            self.topology.unread_actions.append(blocks)
            return
        for _, action in blocks:
            action_type = action.get("type").value
            if isinstance(action_type, Unknown):
                self.topology.unread_actions.append(action_type)
                continue
            if str(action_type).lower() != "forward":
                continue
            targets = [action.get("target_group_arn")]
            forwards = action.blocks("forward")
            for _, forward in [] if isinstance(forwards, Unknown) else forwards:
                groups = forward.blocks("target_group")
                if isinstance(groups, Unknown):
                    self.topology.unread_actions.append(groups)
                    continue
                targets.extend(group.get("arn") for _, group in groups)
            if isinstance(forwards, Unknown):
                self.topology.unread_actions.append(forwards)
            for target in targets:
                if target.value is not None:
                    group = self.reference(target.value, TARGET_GROUPS, "target group")
                    self.topology.forwards.append(Forward(listener, group, target.path))
                    if isinstance(group, Unknown) and not group.malformed:
                        self.topology.unread_actions.append(group)

    # -- ECS --------------------------------------------------------------------------------------

    def task_definition(self, address: str) -> TaskDefinition:
        attributes = self.attributes(address)
        containers = read_container_definitions(
            attributes.raw.get("container_definitions"), self.resources[address].get("file"),
            in_root_module=not split_address(address)[0])
        unreadable = next((unknown_reason(item) for item in containers if unknown_reason(item) is not None),
                          None) if isinstance(containers, list) else None
        if unreadable is not None:  # a container that cannot be read may be the one a service names
            containers = Unknown(unreadable)
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
        blocks = definition.blocks("portMappings")
        if isinstance(blocks, Unknown):  # mappings that cannot be read may map any port
            where = definition.where("portMappings")
            mappings.append(PortMapping(Prop(blocks, where), Prop(blocks, where), Prop(blocks, where)))
            blocks = []
        for _, mapping in blocks:
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
        blocks = attributes.blocks("load_balancer")
        if isinstance(blocks, Unknown):  # entries that cannot be read: a hop whose target group is unknown
            where = attributes.where("load_balancer")
            entries.append(LoadBalancerEntry(0, Prop(blocks, where), Prop(blocks, where), Prop(blocks, where), where))
            blocks = []
        for index, entry in blocks:
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
        networks = attributes.blocks("network_configuration")
        if isinstance(networks, Unknown):  # not "no security groups": groups that cannot be read
            unread = _Attributes(self, {"security_groups": unknown_marker(networks.reason),
                                        "subnets": unknown_marker(networks.reason)},
                                 attributes.where("network_configuration"))
            networks = [(0, unread)]
        network = networks[0][1] if networks else attributes
        blocks = [block for _, block in attributes.known_blocks("capacity_provider_strategy")]
        providers = [block.get("capacity_provider").value for block in blocks]
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
            container_instances=self.container_instances(attributes, _placing_providers(blocks)),
            subnets=self.subnet_ids(network.get("subnets")) if networks else None,
        )

    # -- container instances (ECS on EC2) ----------------------------------------------------------

    def container_instances(self, service: _Attributes, strategy: list) -> Any:
        """The Auto Scaling groups behind the service's capacity providers (its cluster's default strategy
        when it names neither providers nor a launch type), an Unknown among them for a provider or group that
        cannot be followed; or Unknown when the configuration does not link them."""
        if not strategy and service.get("launch_type").value is None:
            strategy = self.cluster_default_strategy(service.get("cluster").value)
        if not strategy:
            return Unknown("no capacity provider of the service or its cluster names an Auto Scaling group of "
                           "this configuration")
        fleets = []
        for provider in strategy:
            provider_address = self.by_name(provider.value, ("aws_ecs_capacity_provider",), "capacity provider")
            if isinstance(provider_address, Unknown):
                fleets.append(provider_address)
                continue
            groups = self.attributes(provider_address).known_blocks("auto_scaling_group_provider")
            group = groups[0][1].get("auto_scaling_group_arn").value if groups else None
            group_address = self.reference(group, ("aws_autoscaling_group",), "Auto Scaling group")
            fleets.append(group_address if isinstance(group_address, Unknown)
                          else self.auto_scaling_group_instances(group_address))
        return container_instances_found(fleets)

    def cluster_default_strategy(self, cluster: Any) -> list:
        """capacity_provider props of the default_capacity_provider_strategy that an
        aws_ecs_cluster_capacity_providers sets on the cluster, of the providers that can place tasks."""
        cluster_address = self.by_name(cluster, ("aws_ecs_cluster",), "cluster")
        return _placing_providers([
            block for address in self.of_type(("aws_ecs_cluster_capacity_providers",))
            if self.by_name(self.attributes(address).get("cluster_name").value, ("aws_ecs_cluster",),
                            "cluster") == cluster_address
            for _, block in self.attributes(address).known_blocks("default_capacity_provider_strategy")])

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
            configuration = self.by_name(group.get("launch_configuration").value, ("aws_launch_configuration",),
                                         "launch configuration")
            if isinstance(configuration, Unknown):
                return configuration
            groups = self.attributes(configuration).get("security_groups")
        else:
            specifications = group.known_blocks("launch_template") or [
                specification for _, policy in group.known_blocks("mixed_instances_policy")
                for _, template in policy.known_blocks("launch_template")
                for specification in template.known_blocks("launch_template_specification")]
            references = ([specifications[0][1].get(name).value for name in LAUNCH_TEMPLATE_REFERENCES]
                          if specifications else [])
            reference = next((value for value in references if value is not None), None)
            if reference is None:
                return Unknown(f"Auto Scaling group {address} names no launch template or configuration")
            template = self.by_name(reference, ("aws_launch_template",), "launch template")
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


def _placing_providers(blocks: list) -> list:
    """capacity_provider props of the strategy blocks that can place tasks (policies.topology.placing_providers)."""
    return placing_providers([(block.get("capacity_provider"), block.get("weight").value, block.get("base").value)
                              for block in blocks])


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


def _entry_networks(cidrs: Any) -> Any:
    """A prefix list's entries as a tuple of ip_network, or Unknown when one of them cannot be read."""
    if isinstance(cidrs, Unknown):
        return cidrs
    if not cidrs:
        # A list created empty is filled elsewhere: by aws_ec2_managed_prefix_list_entry of another configuration.
        return Unknown("the prefix list has no entry in this configuration")
    networks = tuple(parse_network(cidr) for cidr in cidrs)
    return next((network for network in networks if isinstance(network, Unknown)), networks)


def _one_or_many(value: Any) -> Any:
    """A list argument: checkov renders a one-element list from terraform.tfvars as its element."""
    return [value] if isinstance(value, (str, ResourceRef)) else value


def _scheme(internal: Any) -> Any:
    if isinstance(internal, Unknown):
        return internal
    return "internal" if internal is True or str(internal).lower() == "true" else "internet-facing"


def build_topology(resources: list) -> Topology:
    return _Builder(resources).build()

