"""Build the normalized topology of one CloudFormation deployment (one set of condition values)."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any, Callable, Iterator

from policies.cloudformation.cluster_join import DEFAULT_CLUSTER, Cluster, ClusterMembers, joined_cluster, named_cluster
from policies.cloudformation.intrinsics import NO_VALUE, Resolver, Spliced
from policies.topology import (
    BlueGreen,
    ALL_PROTOCOLS,
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
from policies.values import ResourceRef, Unknown, as_list, as_port, as_text, is_malformed, located, malformed, shown

ELBV2 = "AWS::ElasticLoadBalancingV2::"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
AUTO_SCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
CLUSTER = "AWS::ECS::Cluster"
SUBNET = "AWS::EC2::Subnet"
NETWORK_ACL = "AWS::EC2::NetworkAcl"
PREFIX_LIST = "AWS::EC2::PrefixList"
LAUNCH_TYPES = ("EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES")
# The kinds of resources a topology is built from. Only their Conditions are read: a deployment's verdicts
# depend on those alone, not on the conditions of its alarms, roles or DNS records.
TOPOLOGY_TYPES = frozenset({
    SECURITY_GROUP, SECURITY_GROUP + "Ingress", SECURITY_GROUP + "Egress", PREFIX_LIST, SUBNET, NETWORK_ACL,
    NETWORK_ACL + "Entry", "AWS::EC2::SubnetNetworkAclAssociation", "AWS::EC2::VPC", LAUNCH_TEMPLATE,
    ELBV2 + "LoadBalancer", ELBV2 + "Listener", ELBV2 + "ListenerRule", ELBV2 + "TargetGroup",
    "AWS::ECS::Cluster", "AWS::ECS::CapacityProvider", "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::ECS::TaskDefinition", "AWS::ECS::Service", "AWS::CodeDeploy::DeploymentGroup",
    "AWS::AutoScaling::AutoScalingGroup", "AWS::AutoScaling::LaunchConfiguration",
})


class ResourceReadError(Exception):
    """An unexpected error while reading one resource, naming it (the engine turns it into a problem)."""

    def __init__(self, resource_id: str, error: Exception) -> None:
        super().__init__(f"resource {resource_id}: {type(error).__name__}: {error}")


class _Properties:
    """Resolved reads of one resource's (or one nested item's) properties, each with its path.

    When the mapping itself cannot be read (a list or a string where properties belong, an unknown
    value), every property read from it is that Unknown: rules cannot prove anything that depends on it.
    """

    def __init__(self, resolver: Resolver, raw: Any, path: tuple) -> None:
        self.resolver = resolver
        self.path = path
        if _is_function_call(raw):  # the whole mapping is built by a function, e.g. Fn::If
            raw = resolver.resolve(raw)
        self.raw = raw if isinstance(raw, dict) else {}
        self.unreadable = None
        if isinstance(raw, Unknown):
            self.unreadable = raw.at(path)
        elif _is_function_call(raw) or not (raw is None or raw is NO_VALUE or isinstance(raw, dict)):
            self.unreadable = Unknown(f"{shown(raw)} is not a mapping of properties", malformed=True, path=path)

    def get(self, name: str, read: Callable[[Any], Any] | None = None) -> Prop:
        """The property `name` resolved, then read (as_port, as_text...); read(None) when absent."""
        if self.unreadable is not None:
            return Prop(self.unreadable, self.path)
        if name in self.raw:
            path = self.path + (name,)
            value = self.resolver.resolve(self.raw[name])
        else:
            path, value = self.path, None  # where the property would be added
        if value is NO_VALUE:
            value = None
        if read is not None:
            value = read(value)
        return Prop(located(value, path), path)

    def child(self, name: str) -> "_Properties":
        """The nested object `name`, resolved as a whole when an intrinsic builds it. A mapping is read property
        by property, as rules ask: only what they read decides which deployments differ (the conditions of an
        unread property do not)."""
        raw = self.raw.get(name) if self.unreadable is None else None
        if isinstance(raw, dict) and not _is_function_call(raw):
            return _Properties(self.resolver, raw, self.path + (name,))
        prop = self.get(name)
        return _Properties(self.resolver, prop.value, prop.path)

    def nested(self, name: str) -> "_Properties":
        """Like child, but its properties resolved one by one as they are read, so that their raw values stay
        readable as text (Resolver.text keeps what resolving a whole Fn::Sub loses)."""
        if self.unreadable is not None or name not in self.raw:
            return self.child(name)
        return _Properties(self.resolver, self.resolver.picked(self.raw[name]), self.path + (name,))

    def items(self, name: str) -> Iterator:
        """(index, _Properties) for each object of the list `name`.

        A list that cannot be read is one item whose every property is that Unknown: an item that may be
        anything (a rule that may open a gate, a container that may be the one named), never an empty list.
        """
        if self.unreadable is not None:
            yield 0, _Properties(self.resolver, self.unreadable, self.path)
            return
        raw = self.raw.get(name)
        path = self.path + (name,)
        if not isinstance(raw, list):
            raw = self.get(name, as_list).value  # a list built by an intrinsic, or not a list at all
            if isinstance(raw, Unknown):
                yield 0, _Properties(self.resolver, raw, path)
            if not isinstance(raw, list):
                return
        for index, item in enumerate(raw):
            if not isinstance(item, dict) or _is_function_call(item):  # a mapping is read as rules ask
                item = self.resolver.resolve(item)
            if item is not NO_VALUE:
                yield index, _Properties(self.resolver, item, path + (index,))


def _placing_providers(items: list) -> list:
    """CapacityProvider props of the strategy items that can place tasks (policies.topology.placing_providers)."""
    return placing_providers([(item.get("CapacityProvider"), item.get("Weight").value, item.get("Base").value)
                              for item in items])


def _is_function_call(value: Any) -> bool:
    """A one-key mapping naming an intrinsic function (known or not), where a mapping of properties belongs."""
    if not (isinstance(value, dict) and len(value) == 1):
        return False
    (key,) = value
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


class _Builder:
    """Builds one deployment's topology from the scopes of the stacks it deploys (policies.application.scopes):
    each gives its template, the Resolver of its values and how its resources are named in the application."""

    def __init__(self, scopes: list) -> None:
        self.topology = Topology()
        self.groups_with_declared_egress: set = set()
        self.acl_associations: dict = {}  # subnet id -> [Prop(network ACL id or Unknown, association path)]
        # Why subnets without an association of the template may not use an allow-all VPC default ACL: an entry
        # the template adds to a default ACL, and an association naming a subnet that cannot be told.
        self.default_acl_change: Any = None
        self.unplaced_association: Any = None
        self.declarations: dict = {}  # resource id -> (scope, logical id, declaration)
        self.ids_of_type: dict = {}  # resource type -> the ids of its resources, in the order of the templates
        for scope in scopes:
            resolver = scope.resolver
            for logical_id, declaration in resolver.resources.items():
                if not isinstance(declaration, dict) or declaration.get("Type") not in TOPOLOGY_TYPES:
                    continue
                condition = declaration.get("Condition")
                if isinstance(condition, str) and resolver.conditions.get(condition) is False:
                    continue
                resource_id = scope.qualify(logical_id)
                self.declarations[resource_id] = (scope, logical_id, declaration)
                self.topology.resource_types[resource_id] = declaration["Type"]
                self.ids_of_type.setdefault(declaration["Type"], []).append(resource_id)

    def path_of(self, resource_id: str) -> tuple:
        """Where the resource is declared: its stack (in an application of several) and its logical id."""
        scope, logical_id, _ = self.declarations[resource_id]
        return scope.root + ("Resources", logical_id)

    def properties(self, resource_id: str) -> _Properties:
        scope, _, declaration = self.declarations[resource_id]
        return _Properties(scope.resolver, declaration.get("Properties"), self.path_of(resource_id) + ("Properties",))

    def of_type(self, kind: str) -> list:
        """The ids of the resources of type `kind` (asked per type and per service: not a scan of every resource
        each time)."""
        return list(self.ids_of_type.get(kind, ()))

    def each(self, kind: str, read: Callable[[str], Any]) -> dict:
        """{id: read(id)} for every resource of type `kind`; an unexpected error names the resource."""
        built = {}
        for resource_id in self.of_type(kind):
            try:
                built[resource_id] = read(resource_id)
            except Exception as error:
                raise ResourceReadError(resource_id, error) from error
        return built

    def build(self) -> Topology:
        topology = self.topology
        # Read before the groups: a rule naming a prefix list of the template stands for its entries.
        topology.prefix_lists.update(self.each(PREFIX_LIST, self.prefix_list))
        topology.security_groups.update(self.each(SECURITY_GROUP, self.security_group))
        for direction in ("ingress", "egress"):
            kind = f"AWS::EC2::SecurityGroup{direction.capitalize()}"
            self.each(kind, functools.partial(self.standalone_rule, direction=direction))
        for group in topology.security_groups.values():
            if not group.egress and group.id not in self.groups_with_declared_egress:
                # EC2's default allow-all egress stays until an egress rule is declared for the group.
                everywhere = Peer("cidr", parse_network("0.0.0.0/0"), group.path)
                path = group.path
                group.egress.append(SgRule(group.id, "egress", ALL_PROTOCOLS, None, None, everywhere, path, path, path))
        self.network_acls()  # before load balancers and services: their subnets' ACLs are looked up
        topology.load_balancers.update(self.each(ELBV2 + "LoadBalancer", self.load_balancer))
        topology.target_groups.update(self.each(ELBV2 + "TargetGroup", self.target_group))
        topology.listeners.update(self.each(ELBV2 + "Listener", self.listener))
        self.each(ELBV2 + "ListenerRule", self.listener_rule)
        topology.task_definitions.update(self.each("AWS::ECS::TaskDefinition", self.task_definition))
        topology.services.update(self.each("AWS::ECS::Service", self.service))
        self.each("AWS::CodeDeploy::DeploymentGroup", self.deployment_group)
        return topology

    # -- references -------------------------------------------------------------------------------

    def reference(self, prop: Prop, kind: str, noun: str) -> Any:
        """The id of the template resource of type `kind` that `prop` points at, or Unknown."""
        value = prop.value
        if isinstance(value, ResourceRef):
            if self.topology.resource_types.get(value.resource) == kind and value.attribute is None:
                return value.resource
            return Unknown(f"{value} is not a {noun} of this template", malformed=True, path=prop.path)
        if isinstance(value, Unknown):
            return value.at(prop.path)
        if isinstance(value, str):  # an id or ARN of a resource outside the template
            return Unknown(f"{noun} {value} is not defined in this template")
        return Unknown(f"{noun} {shown(value)} is not a reference", malformed=True, path=prop.path)

    def security_group_set(self, prop: Prop) -> Any:
        values = located(as_list(prop.value), prop.path)
        if values is None:
            return None
        if isinstance(values, Unknown):
            return SgSet((), (values,), prop.path, may_be_empty=True)
        known, unknown = [], []
        for index, value in enumerate(values):
            group = self.security_group_id(Prop(value, prop.path + (index,)))
            (unknown if isinstance(group, Unknown) else known).append(group)
        return SgSet(tuple(dict.fromkeys(known)), tuple(unknown), prop.path)

    def security_group_id(self, prop: Prop) -> Any:
        """A group of the template by logical id, a group outside it by its literal id, or Unknown."""
        if isinstance(prop.value, str) and prop.value.startswith("sg-"):
            return prop.value
        return self.reference(prop, SECURITY_GROUP, "security group")

    def subnet_networks(self, prop: Prop) -> Any:
        """The CIDRs of the subnets named by `prop`, or Unknown unless every one is known."""
        subnets = located(as_list(prop.value), prop.path)
        if not subnets:
            return Unknown("the subnets are not given")
        if isinstance(subnets, Unknown):
            return subnets
        networks = []
        for index, subnet in enumerate(subnets):
            subnet_id = self.reference(Prop(subnet, prop.path + (index,)), "AWS::EC2::Subnet", "subnet")
            if isinstance(subnet_id, Unknown):
                return Unknown(f"the CIDR of a subnet is not known ({subnet_id.reason})", subnet_id.malformed,
                               subnet_id.path)
            block = self.properties(subnet_id).get("CidrBlock", lambda value: value and parse_network(value))
            if block.value is None:
                return Unknown(f"the CIDR of subnet {subnet_id} is not known")
            if isinstance(block.value, Unknown):
                return block.value
            networks.append(block.value)
        return networks

    # -- security groups --------------------------------------------------------------------------

    def security_group(self, resource_id: str) -> SecurityGroup:
        properties = self.properties(resource_id)
        group = SecurityGroup(
            resource_id,
            self.path_of(resource_id),
            ingress_path=properties.get("SecurityGroupIngress").path,
            egress_path=properties.get("SecurityGroupEgress").path,
        )
        for _, rule in properties.items("SecurityGroupIngress"):
            group.ingress.append(self.sg_rule(rule, "ingress", resource_id))
        if "SecurityGroupEgress" in properties.raw:
            self.groups_with_declared_egress.add(resource_id)
        for _, rule in properties.items("SecurityGroupEgress"):
            group.egress.append(self.sg_rule(rule, "egress", resource_id))
        return group

    def standalone_rule(self, resource_id: str, direction: str) -> None:
        properties = self.properties(resource_id)
        group_id = self.reference(properties.get("GroupId"), SECURITY_GROUP, "security group")
        if is_malformed(group_id):
            # The rule may be meant for any group of the template: it may open any of them, and an
            # egress rule would take away a group's default allow-all egress.
            for group in self.topology.security_groups.values():
                self.add_rule(group, unreadable_rule(group.id, direction, group_id, group_id.path))
            return
        group = self.topology.security_groups.get(group_id) if isinstance(group_id, str) else None
        if group is None:
            return  # a rule of a group outside the template cannot open or close a hop we judge
        self.add_rule(group, self.sg_rule(properties, direction, group.id))

    def add_rule(self, group: SecurityGroup, rule: SgRule) -> None:
        if rule.direction == "ingress":
            group.ingress.append(rule)
        else:
            self.groups_with_declared_egress.add(group.id)
            group.egress.append(rule)

    def sg_rule(self, properties: _Properties, direction: str, group_id: str) -> SgRule:
        protocol_prop = properties.get("IpProtocol", as_text)
        protocol = located(normalized_protocol(protocol_prop.value, "IpProtocol"), protocol_prop.path)
        from_prop, to_prop = properties.get("FromPort", as_port), properties.get("ToPort", as_port)
        from_port, to_port = normalized_ports(protocol, from_prop.value, to_prop.value, ("FromPort", "ToPort"))
        return SgRule(
            group_id,
            direction,
            protocol,
            located(from_port, from_prop.path),
            located(to_port, to_prop.path),
            self.peer(properties, direction),
            properties.path,
            from_prop.path,
            protocol_prop.path,
        )

    def peer(self, properties: _Properties, direction: str) -> Peer:
        side = "Source" if direction == "ingress" else "Destination"
        for name in ("CidrIp", "CidrIpv6"):
            prop = properties.get(name)
            if prop.value is not None:
                return Peer("cidr", located(parse_network(prop.value), prop.path), prop.path)
        prop = properties.get(f"{side}SecurityGroupId")
        if prop.value is not None:
            return Peer("sg", self.security_group_id(prop), prop.path)
        prop = properties.get(f"{side}PrefixListId")
        if prop.value is not None:
            return self.prefix_list_peer(prop)
        prop = properties.get("SourceSecurityGroupName", as_text)
        if prop.value is not None:
            name = prop.value if isinstance(prop.value, Unknown) else Unknown(f"security group named {prop.value}")
            return Peer("sg", name, prop.path)
        return Peer("unknown", Unknown("the rule names no peer", malformed=True, path=properties.path), properties.path)

    def prefix_list_peer(self, prop: Prop) -> Peer:
        """A prefix list of the template (Ref or GetAtt PrefixListId), one outside it by its id (pl-...), or Unknown."""
        if not isinstance(prop.value, ResourceRef):
            return Peer("prefix_list", located(as_text(prop.value), prop.path), prop.path)
        prefix_list = self.reference(prop, PREFIX_LIST, "prefix list")
        return Peer("prefix_list", prefix_list, prop.path,
                    self.topology.prefix_lists.get(prefix_list) if isinstance(prefix_list, str) else None)

    def prefix_list(self, resource_id: str) -> PrefixList:
        properties = self.properties(resource_id)
        entries = tuple(entry.get("Cidr", _entry_cidr).value for _, entry in properties.items("Entries"))
        # One entry that cannot be read may hold any address: then no coverage can be told.
        unreadable = next((cidr for cidr in entries if isinstance(cidr, Unknown)), None)
        return PrefixList(resource_id, self.path_of(resource_id),
                          properties.get("AddressFamily", address_family).value, unreadable or entries)

    # -- network ACLs -----------------------------------------------------------------------------

    def network_acls(self) -> None:
        self.topology.network_acls.update(self.each(NETWORK_ACL, lambda acl: NetworkAcl(acl, self.path_of(acl))))
        self.each(NETWORK_ACL + "Entry", self.network_acl_entry)
        self.each("AWS::EC2::SubnetNetworkAclAssociation", self.network_acl_association)

    def network_acl_entry(self, resource_id: str) -> None:
        properties = self.properties(resource_id)
        acl = properties.get("NetworkAclId")
        acl_id = self.reference(acl, NETWORK_ACL, "network ACL")
        if isinstance(acl_id, str):
            self.topology.network_acls[acl_id].entries.extend(self.acl_entries(properties))
        elif _names_default_acl(acl.value, self.topology.resource_types) or is_malformed(acl_id):
            self.default_acl_change = Unknown(f"entry {resource_id} changes the VPC default network ACL")
            if is_malformed(acl_id):  # the entry may be meant for any ACL of the template
                for template_acl in self.topology.network_acls.values():
                    template_acl.entries.extend(unreadable_acl_entries(acl_id, acl_id.path, acl_id))

    def acl_entries(self, properties: _Properties) -> list:
        protocol_prop = properties.get("Protocol", as_text)
        protocol = located(normalized_protocol(protocol_prop.value, "Protocol"), protocol_prop.path)
        ports = properties.child("PortRange")
        from_prop, to_prop = ports.get("From", as_port), ports.get("To", as_port)
        from_port, to_port = normalized_ports(protocol, from_prop.value, to_prop.value,
                                              ("PortRange.From", "PortRange.To"))
        cidr = properties.get("CidrBlock" if "CidrBlock" in properties.raw else "Ipv6CidrBlock")
        network = (malformed("the entry has no CidrBlock or Ipv6CidrBlock") if cidr.value is None
                   else parse_network(cidr.value))
        action = properties.get("RuleAction", lambda value: normalized_acl_action(value, "RuleAction"))
        number = properties.get("RuleNumber", lambda value: normalized_rule_number(value, "RuleNumber"))
        egress = properties.get("Egress", lambda value: normalized_egress(value, "Egress"))
        return acl_entries(egress.value, rule_number=number.value, protocol=protocol,
                           from_port=located(from_port, from_prop.path), to_port=located(to_port, to_prop.path),
                           allow=action.value, network=located(network, cidr.path), path=properties.path,
                           action_path=action.path)

    def network_acl_association(self, resource_id: str) -> None:
        properties = self.properties(resource_id)
        acl = properties.get("NetworkAclId")
        if _names_default_acl(acl.value, self.topology.resource_types):
            return  # back to the default ACL: as if not associated
        subnet = self.subnet_id(properties.get("SubnetId"))
        acl_id = Prop(self.reference(acl, NETWORK_ACL, "network ACL"), self.path_of(resource_id))
        if isinstance(subnet, str):
            self.acl_associations.setdefault(subnet, []).append(acl_id)
        elif self.unplaced_association is None or subnet.malformed:
            self.unplaced_association = replace(subnet, reason=f"association {resource_id} names subnet "
                                                               f"{subnet.reason}")

    def subnet_id(self, prop: Prop) -> Any:
        """A subnet of the template by logical id, a subnet outside it by its literal id, or Unknown."""
        if isinstance(prop.value, str) and prop.value.startswith("subnet-"):
            return prop.value
        return self.reference(prop, SUBNET, "subnet")

    def subnet_ids(self, prop: Prop) -> Any:
        """The ids of the subnets named by `prop`, each recorded in topology.subnets, or Unknown."""
        subnets = located(as_list(prop.value), prop.path)
        if isinstance(subnets, Unknown):
            return subnets
        ids = []
        for index, value in enumerate(subnets or []):
            subnet_id = self.subnet_id(Prop(value, prop.path + (index,)))
            if isinstance(subnet_id, Unknown):
                return subnet_id
            if subnet_id not in self.topology.subnets:
                self.topology.subnets[subnet_id] = self.subnet(subnet_id)
            ids.append(subnet_id)
        return tuple(ids)

    def subnet(self, subnet_id: str) -> Subnet:
        in_template = subnet_id in self.declarations
        network = (self.properties(subnet_id).get("CidrBlock", lambda value: value and parse_network(value)).value
                   if in_template else None)
        if network is None:
            network = Unknown(f"the CIDR of subnet {subnet_id} is not known")
        associations = self.acl_associations.get(subnet_id, [])
        if len({prop.value for prop in associations}) > 1:
            acl = Unknown(f"subnet {subnet_id} is associated with several network ACLs", malformed=True,
                          path=associations[1].path)
        elif associations:
            acl = associations[0].value
        else:
            # An imported subnet id is no subnet of the template, but may be one named by its literal id.
            unplaced = self.unplaced_association
            may_be_this_one = unplaced is not None and (unplaced.malformed or not in_template)
            acl = self.default_acl_change or (unplaced if may_be_this_one else None)
        path = associations[0].path if associations else self.path_of(subnet_id) if in_template else ()
        return Subnet(subnet_id, network, acl, path)

    # -- load balancing ---------------------------------------------------------------------------

    def load_balancer(self, resource_id: str) -> LoadBalancer:
        properties = self.properties(resource_id)
        lb_type, scheme = properties.get("Type", as_text), properties.get("Scheme", _scheme)
        subnets = properties.get("Subnets")
        if subnets.value is None and "SubnetMappings" in properties.raw:
            subnets = Prop([item.get("SubnetId").value for _, item in properties.items("SubnetMappings")],
                           properties.get("SubnetMappings").path)
        return LoadBalancer(
            resource_id,
            self.path_of(resource_id),
            Prop("application" if lb_type.value is None else lb_type.value, lb_type.path),
            Prop("internet-facing" if scheme.value is None else scheme.value, scheme.path),
            self.security_group_set(properties.get("SecurityGroups")),
            self.subnet_networks(subnets),
            ip_address_type=properties.get("IpAddressType", ip_address_type),
            subnets=self.subnet_ids(subnets),
        )

    def target_group(self, resource_id: str) -> TargetGroup:
        properties = self.properties(resource_id)
        target_type, hc_protocol = properties.get("TargetType", as_text), properties.get("HealthCheckProtocol", as_text)
        return TargetGroup(
            resource_id,
            self.path_of(resource_id),
            properties.get("Protocol", as_text),
            properties.get("Port", as_port),
            Prop("instance" if target_type.value is None else target_type.value, target_type.path),
            Prop("HTTP" if hc_protocol.value is None else hc_protocol.value, hc_protocol.path),
            properties.get("HealthCheckPort", _health_check_port),
        )

    def listener(self, resource_id: str) -> Listener:
        properties = self.properties(resource_id)
        load_balancer = self.reference(properties.get("LoadBalancerArn"), ELBV2 + "LoadBalancer", "load balancer")
        self.add_forwards(resource_id, properties, "DefaultActions")
        return Listener(
            resource_id,
            self.path_of(resource_id),
            load_balancer,
            properties.get("Protocol", as_text),
            properties.get("Port", as_port),
        )

    def listener_rule(self, resource_id: str) -> None:
        properties = self.properties(resource_id)
        listener = self.reference(properties.get("ListenerArn"), ELBV2 + "Listener", "listener")
        self.add_forwards(listener, properties, "Actions")

    def add_forwards(self, listener: Any, properties: _Properties, actions: str) -> None:
        for _, action in properties.items(actions):
            action_type = action.get("Type", as_text)
            if isinstance(action_type.value, Unknown):
                # An action that cannot be read may forward to any target group.
                self.topology.forwards.append(Forward(listener, action_type.value, action_type.path))
                continue
            if str(action_type.value).lower() != "forward":
                continue
            targets = [action.get("TargetGroupArn")]
            for _, weighted in action.child("ForwardConfig").items("TargetGroups"):
                targets.append(weighted.get("TargetGroupArn"))
            for target in targets:
                if target.value is not None:
                    group = self.reference(target, ELBV2 + "TargetGroup", "target group")
                    self.topology.forwards.append(Forward(listener, group, target.path))

    # -- ECS --------------------------------------------------------------------------------------

    def task_definition(self, resource_id: str) -> TaskDefinition:
        properties = self.properties(resource_id)
        containers = []
        for _, container in properties.items("ContainerDefinitions"):
            mappings = []
            for _, mapping in container.items("PortMappings"):
                protocol = mapping.get("Protocol", as_text)
                mappings.append(
                    PortMapping(
                        mapping.get("ContainerPort", as_port),
                        mapping.get("HostPort", as_port),
                        Prop("tcp" if protocol.value is None else protocol.value, protocol.path),
                    )
                )
            containers.append(Container(container.get("Name", as_text), mappings, container.path))
        return TaskDefinition(
            resource_id,
            self.path_of(resource_id),
            properties.get("NetworkMode", as_text),
            properties.get("RequiresCompatibilities", _compatibilities),
            containers,
        )

    def service(self, resource_id: str) -> Service:
        properties = self.properties(resource_id)
        entries = []
        for index, entry in properties.items("LoadBalancers"):
            target = entry.get("TargetGroupArn")
            if target.value is None:
                continue  # a Classic Load Balancer entry: not an ALB hop
            entries.append(
                LoadBalancerEntry(
                    index,
                    Prop(self.reference(target, ELBV2 + "TargetGroup", "target group"), target.path),
                    entry.get("ContainerName", as_text),
                    entry.get("ContainerPort", as_port),
                    entry.path,
                )
            )
            self.native_blue_green(resource_id, entries[-1], entry.child("AdvancedConfiguration"))
        awsvpc = properties.child("NetworkConfiguration").child("AwsvpcConfiguration")
        items = [item for _, item in properties.items("CapacityProviderStrategy")]
        providers = [item.get("CapacityProvider").value for item in items]
        return Service(
            resource_id,
            self.path_of(resource_id),
            self.reference(properties.get("TaskDefinition"), "AWS::ECS::TaskDefinition", "task definition"),
            properties.get("LaunchType", as_text),
            Prop(providers, properties.get("CapacityProviderStrategy").path),
            entries,
            self.security_group_set(awsvpc.get("SecurityGroups")),
            awsvpc.path,
            self.subnet_networks(awsvpc.get("Subnets")),
            container_instances=self.container_instances(properties, _placing_providers(items)),
            subnets=self.subnet_ids(awsvpc.get("Subnets")) if "NetworkConfiguration" in properties.raw else None,
        )

    # -- blue/green -------------------------------------------------------------------------------

    def native_blue_green(self, service_id: str, entry: LoadBalancerEntry, advanced: _Properties) -> None:
        """ECS native blue/green: the entry's AdvancedConfiguration names the alternate target group and the
        listener rules that carry production and test traffic."""
        alternate = advanced.get("AlternateTargetGroupArn")
        if alternate.value is None or not isinstance(entry.target_group.value, str):
            return
        production, test = advanced.get("ProductionListenerRule"), advanced.get("TestListenerRule")
        self.topology.blue_green.append(BlueGreen(
            service_id,
            entry.target_group.value,
            Prop(self.reference(alternate, ELBV2 + "TargetGroup", "target group"), alternate.path),
            (self.listener_of_rule(production),) if production.value is not None else (),
            (Prop(self.listener_of_rule(test), test.path),) if test.value is not None else (),
            advanced.path,
        ))

    def listener_of_rule(self, prop: Prop) -> Any:
        rule = self.reference(prop, ELBV2 + "ListenerRule", "listener rule")
        if isinstance(rule, Unknown):
            return rule
        return self.reference(self.properties(rule).get("ListenerArn"), ELBV2 + "Listener", "listener")

    def deployment_group(self, resource_id: str) -> None:
        """CodeDeploy blue/green of ECS services: each target group pair, with its production and test listeners.

        Services and target groups are named by name (`!GetAtt Service.Name`, `!GetAtt Group.TargetGroupName`):
        only names that reference resources of the template link the pair to a hop.
        """
        properties = self.properties(resource_id)
        services = [self.referenced(item.get("ServiceName"), "AWS::ECS::Service")
                    for _, item in properties.items("ECSServices")]
        for _, pair in properties.child("LoadBalancerInfo").items("TargetGroupPairInfoList"):
            groups = [group.get("Name") for _, group in pair.items("TargetGroups")]
            if len(groups) != 2:
                continue  # CodeDeploy takes exactly two target groups: nothing to pair
            production = tuple(prop.value for prop in self.route_listeners(pair.child("ProdTrafficRoute")))
            test = self.route_listeners(pair.child("TestTrafficRoute"))
            for primary, alternate in (groups, groups[::-1]):
                primary_id = self.referenced(primary, ELBV2 + "TargetGroup")
                alternate_id = Prop(self.referenced(alternate, ELBV2 + "TargetGroup"), alternate.path)
                for service in services:
                    if isinstance(service, str) and isinstance(primary_id, str):
                        self.topology.blue_green.append(
                            BlueGreen(service, primary_id, alternate_id, production, test, pair.path))

    def route_listeners(self, route: _Properties) -> tuple:
        """A CodeDeploy traffic route's listeners: a Prop (listener id, or Unknown) for each of its ListenerArns."""
        listeners = route.get("ListenerArns", as_list)
        if isinstance(listeners.value, Unknown):
            return (listeners,)
        return tuple(Prop(self.reference(Prop(listener, listeners.path + (index,)), ELBV2 + "Listener", "listener"),
                          listeners.path + (index,))
                     for index, listener in enumerate(listeners.value or []))

    def referenced(self, prop: Prop, kind: str) -> Any:
        """The resource of type `kind` that `prop` names by `Ref` or `GetAtt` (of any attribute), or Unknown."""
        value = prop.value
        if isinstance(value, ResourceRef) and self.topology.resource_types.get(value.resource) == kind:
            return value.resource
        return Unknown(f"{shown(value)} names no {kind} of this template")

    # -- container instances (ECS on EC2) ----------------------------------------------------------

    def container_instances(self, service: _Properties, strategy: list) -> Any:
        """The Auto Scaling groups behind the service's capacity providers (its cluster's default strategy
        when it names neither providers nor a launch type); without any, those whose instances join its cluster.
        An Unknown among them stands for a provider or group that cannot be followed; Unknown alone when the
        template does not tell."""
        if not strategy and service.get("LaunchType").value is None:
            strategy = self.cluster_default_strategy(service.get("Cluster"))
        if not strategy:
            return self.instances_joining(service)
        fleets = []
        for provider in strategy:
            provider_id = self.reference(provider, "AWS::ECS::CapacityProvider", "capacity provider")
            if isinstance(provider_id, Unknown):
                fleets.append(provider_id)
                continue
            group = self.properties(provider_id).child("AutoScalingGroupProvider").get("AutoScalingGroupArn")
            group_id = self.reference(group, "AWS::AutoScaling::AutoScalingGroup", "Auto Scaling group")
            fleets.append(group_id if isinstance(group_id, Unknown) else self.auto_scaling_group_instances(group_id))
        return container_instances_found(fleets)

    def cluster_default_strategy(self, cluster: Prop) -> list:
        """CapacityProvider props of the cluster's DefaultCapacityProviderStrategy that can place tasks, set on the
        cluster or by an AWS::ECS::ClusterCapacityProviderAssociations."""
        cluster_id = self.reference(cluster, "AWS::ECS::Cluster", "cluster")
        if isinstance(cluster_id, Unknown):
            return []
        associations = [self.properties(association)
                        for association in self.of_type("AWS::ECS::ClusterCapacityProviderAssociations")]
        holders = [self.properties(cluster_id)] + [
            association for association in associations
            if self.reference(association.get("Cluster"), "AWS::ECS::Cluster", "cluster") == cluster_id]
        return _placing_providers([item for holder in holders
                                   for _, item in holder.items("DefaultCapacityProviderStrategy")])

    def instances_joining(self, service: _Properties) -> Any:
        """The instances of every Auto Scaling group that joins the service's cluster (ECS_CLUSTER in the user
        data or cfn-init metadata of its launch template or configuration), with an Unknown for each group that
        may or may not join it or cannot be followed; or Unknown."""
        if service.unreadable is not None:
            return service.unreadable
        cluster_prop = service.get("Cluster")
        named = service.resolver.text(service.raw["Cluster"]) if "Cluster" in service.raw else DEFAULT_CLUSTER
        cluster = self.cluster_named(named, cluster_prop.path)
        if isinstance(cluster, Unknown):
            return cluster
        groups = self.cluster_members.joining(cluster)
        if isinstance(groups, Unknown):
            return groups if groups.path else replace(groups, path=cluster_prop.path)
        return container_instances_found([
            (group if group.path else replace(group, path=cluster_prop.path)) if isinstance(group, Unknown)
            else self.auto_scaling_group_instances(group) for group in groups])

    @functools.cached_property
    def cluster_members(self) -> ClusterMembers:
        """The cluster each Auto Scaling group's instances join, read once for all services."""
        joins: dict = {}
        clusters: dict = {}  # launch template or configuration id -> the cluster it joins, however many groups use it
        for group_id in self.of_type(AUTO_SCALING_GROUP):
            launch = self.launch_settings(group_id)
            if isinstance(launch, Unknown):
                joins[group_id] = launch
                continue
            launch_id, settings = launch
            if launch_id not in clusters:
                clusters[launch_id] = self.cluster_joined_with(launch_id, settings)
            joins[group_id] = clusters[launch_id]
        return ClusterMembers(joins)

    def cluster_joined_with(self, launch_id: str, settings: _Properties) -> Any:
        """The Cluster the instances of a launch template or configuration join, None, or Unknown."""
        if settings.unreadable is not None:
            return settings.unreadable
        kind = "launch configuration" if self.topology.resource_types[launch_id] == LAUNCH_CONFIGURATION else (
            "launch template")
        path = settings.get("UserData").path
        named = joined_cluster(settings.resolver, settings.raw.get("UserData"), path, f"{kind} {launch_id}",
                               functools.partial(self.init_metadata, settings.resolver))
        return self.cluster_named(named, path) if isinstance(named, tuple) else named

    def cluster_named(self, pieces: tuple, path: tuple) -> Any:
        """The Cluster that text (Resolver.text pieces, read from `path`) names: a cluster resource of the
        template when it is exactly a reference to one, else a name; Unknown when the template gets it wrong."""
        wrong = next((piece.value for piece in pieces if isinstance(piece, Spliced) and is_malformed(piece.value)),
                     None)
        if wrong is not None:
            return wrong.at(path)
        if len(pieces) == 1 and isinstance(pieces[0], Spliced) and isinstance(pieces[0].value, ResourceRef):
            cluster_id = self.reference(Prop(pieces[0].value, path), CLUSTER, "cluster")
            if isinstance(cluster_id, str):
                cluster = self.properties(cluster_id)
                if cluster.unreadable is not None:
                    return Cluster(cluster_id, (Spliced(cluster.unreadable, False),))
                raw_name = cluster.raw.get("ClusterName")
                return Cluster(cluster_id, None if raw_name is None else named_cluster(cluster.resolver.text(raw_name)))
        return Cluster(None, named_cluster(pieces))

    def init_metadata(self, resolver: Resolver, name: str) -> Any:
        """(Metadata, its path) of the resource that `cfn-init --resource name` reads, or Unknown."""
        resource = resolver.resolve({"Ref": name})
        if isinstance(resource, ResourceRef) and resource.resource in self.declarations:
            _, _, declaration = self.declarations[resource.resource]
            return declaration.get("Metadata"), self.path_of(resource.resource) + ("Metadata",)
        return Unknown(f"cfn-init reads the metadata of {shown(name)}, which is not a resource of this template")

    def launch_settings(self, group_id: str) -> Any:
        """(id, properties) of the launch configuration, or of the launch template's LaunchTemplateData, the
        Auto Scaling group launches its instances with; or Unknown."""
        group = self.properties(group_id)
        if "LaunchConfigurationName" in group.raw:
            configuration = self.reference(group.get("LaunchConfigurationName"), LAUNCH_CONFIGURATION,
                                           "launch configuration")
            if isinstance(configuration, Unknown):
                return configuration
            return configuration, self.properties(configuration)
        specification = group.child("LaunchTemplate") if "LaunchTemplate" in group.raw else group.child(
            "MixedInstancesPolicy").child("LaunchTemplate").child("LaunchTemplateSpecification")
        template_id, template_name = specification.get("LaunchTemplateId"), specification.get("LaunchTemplateName")
        if template_id.value is not None:
            template = self.reference(template_id, LAUNCH_TEMPLATE, "launch template")
        elif template_name.value is not None:
            template = self.launch_template_named(template_name)
        else:
            return Unknown(f"Auto Scaling group {group_id} names no launch template or configuration")
        if isinstance(template, Unknown):
            return template
        return template, self.properties(template).nested("LaunchTemplateData")

    def auto_scaling_group_instances(self, group_id: str) -> Any:
        """The security groups and subnets of the group's instances, from its launch template or configuration."""
        launch = self.launch_settings(group_id)
        if isinstance(launch, Unknown):
            return launch
        launch_id, settings = launch
        if self.topology.resource_types[launch_id] == LAUNCH_CONFIGURATION:
            groups = settings.get("SecurityGroups")
        else:
            interfaces = [interface for _, interface in settings.items("NetworkInterfaces")]
            # With network interfaces, the primary one's Groups are the instance's; SecurityGroupIds are then
            # not allowed. SecurityGroups names groups, which only the default VPC resolves: unknown here.
            groups = (interfaces[0].get("Groups") if interfaces
                      else settings.get("SecurityGroupIds") if "SecurityGroupIds" in settings.raw
                      else settings.get("SecurityGroups"))
        group = self.properties(group_id)
        return ContainerInstances(group_id, self.security_group_set(groups),
                                  self.subnet_networks(group.get("VPCZoneIdentifier")), groups.path)

    def launch_template_named(self, name: Prop) -> Any:
        """The launch template of the template whose LaunchTemplateName is `name`, or Unknown."""
        if isinstance(name.value, Unknown):
            return name.value
        named = [template for template in self.of_type(LAUNCH_TEMPLATE)
                 if self.properties(template).get("LaunchTemplateName").value == name.value]
        if len(named) == 1:
            return named[0]
        return Unknown(f"launch template named {shown(name.value)} is not defined in this template")


def _scheme(value: Any) -> Any:
    """Who the clients are depends on the scheme: another word is no scheme to judge by."""
    scheme = as_text(value)
    if isinstance(scheme, str) and scheme not in ("internet-facing", "internal"):
        return Unknown(f"Scheme {shown(scheme)} is neither internet-facing nor internal", malformed=True)
    return scheme


def _entry_cidr(value: Any) -> Any:
    return malformed("a prefix list entry has no Cidr") if value is None else parse_network(value)


def _names_default_acl(value: Any, resource_types: dict) -> bool:
    """`!GetAtt Vpc.DefaultNetworkAcl`: the ACL every subnet of the VPC uses until associated with another."""
    return (isinstance(value, ResourceRef) and value.attribute == "DefaultNetworkAcl"
            and resource_types.get(value.resource) == "AWS::EC2::VPC")


def _compatibilities(value: Any) -> Any:
    """Whether a task definition is for Fargate decides where HOP208 judges it: a word that is no launch
    type leaves that open."""
    items = as_list(value)
    if isinstance(items, list) and any(
        not isinstance(item, Unknown) and item not in LAUNCH_TYPES or is_malformed(item) for item in items
    ):
        return Unknown(f"RequiresCompatibilities {shown(items)} is not a list of launch types", malformed=True)
    return items


def _health_check_port(value: Any) -> Any:
    """"traffic-port" (also when absent: the target group's default), or the explicit port."""
    return "traffic-port" if value is None or value == "traffic-port" else as_port(value)


def build_topology(scopes: list) -> Topology:
    """The topology of one deployment of the stacks `scopes` stand for (one, for a lone template)."""
    return _Builder(scopes).build()
