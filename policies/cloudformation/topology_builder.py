"""Build the normalized topology of one CloudFormation deployment (one set of condition values)."""

from __future__ import annotations

from typing import Any, Iterator

from policies.cloudformation.intrinsics import NO_VALUE, Resolver
from policies.topology import (
    ALL_PROTOCOLS,
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
    parse_network,
)
from policies.values import ResourceRef, Unknown, as_list, as_port, as_text

ELBV2 = "AWS::ElasticLoadBalancingV2::"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
_PROTOCOL_NAMES = {"-1": ALL_PROTOCOLS, "all": ALL_PROTOCOLS, "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


class _Properties:
    """Resolved reads of one resource's (or one nested item's) properties, each with its path."""

    def __init__(self, resolver: Resolver, raw: Any, path: tuple) -> None:
        self.resolver = resolver
        self.raw = raw if isinstance(raw, dict) else {}
        self.path = path

    def get(self, name: str) -> Prop:
        if name not in self.raw:
            return Prop(None, self.path)
        value = self.resolver.resolve(self.raw[name])
        return Prop(None if value is NO_VALUE else value, self.path + (name,))

    def child(self, name: str) -> "_Properties":
        """The nested object `name`, resolved as a whole when an intrinsic builds it."""
        prop = self.get(name)
        return _Properties(self.resolver, prop.value, prop.path)

    def items(self, name: str) -> Iterator:
        """(index, _Properties) for each object of the list `name`."""
        raw = self.raw.get(name)
        path = self.path + (name,)
        if not isinstance(raw, list):
            resolved = self.get(name).value
            raw = resolved if isinstance(resolved, list) else []
        for index, item in enumerate(raw):
            item = self.resolver.resolve(item)
            if item is not NO_VALUE:
                yield index, _Properties(self.resolver, item, path + (index,))


class _Builder:
    def __init__(self, template: dict, resolver: Resolver) -> None:
        self.resolver = resolver
        self.topology = Topology()
        self.groups_with_declared_egress: set = set()
        self.declarations = {}
        for resource_id, declaration in resolver.resources.items():
            if not isinstance(declaration, dict) or not isinstance(declaration.get("Type"), str):
                continue
            condition = declaration.get("Condition")
            if isinstance(condition, str) and resolver.conditions.get(condition) is False:
                continue
            self.declarations[resource_id] = declaration
            self.topology.resource_types[resource_id] = declaration["Type"]

    def properties(self, resource_id: str) -> _Properties:
        raw = self.declarations[resource_id].get("Properties")
        return _Properties(self.resolver, raw, ("Resources", resource_id, "Properties"))

    def of_type(self, kind: str) -> list:
        return [rid for rid, declaration in self.declarations.items() if declaration["Type"] == kind]

    def build(self) -> Topology:
        for resource_id in self.of_type(SECURITY_GROUP):
            self.topology.security_groups[resource_id] = self.security_group(resource_id)
        self.standalone_rules("AWS::EC2::SecurityGroupIngress", "ingress")
        self.standalone_rules("AWS::EC2::SecurityGroupEgress", "egress")
        for group in self.topology.security_groups.values():
            if not group.egress and group.id not in self.groups_with_declared_egress:
                # EC2's default allow-all egress stays until an egress rule is declared for the group.
                everywhere = Peer("cidr", parse_network("0.0.0.0/0"), group.path)
                group.egress.append(
                    SgRule(group.id, "egress", ALL_PROTOCOLS, None, None, everywhere, group.path, group.path, group.path)
                )
        for resource_id in self.of_type(ELBV2 + "LoadBalancer"):
            self.topology.load_balancers[resource_id] = self.load_balancer(resource_id)
        for resource_id in self.of_type(ELBV2 + "TargetGroup"):
            self.topology.target_groups[resource_id] = self.target_group(resource_id)
        for resource_id in self.of_type(ELBV2 + "Listener"):
            self.topology.listeners[resource_id] = self.listener(resource_id)
        for resource_id in self.of_type(ELBV2 + "ListenerRule"):
            properties = self.properties(resource_id)
            listener = self.reference(properties.get("ListenerArn").value, ELBV2 + "Listener", "listener")
            self.add_forwards(listener, properties, "Actions")
        for resource_id in self.of_type("AWS::ECS::TaskDefinition"):
            self.topology.task_definitions[resource_id] = self.task_definition(resource_id)
        for resource_id in self.of_type("AWS::ECS::Service"):
            self.topology.services[resource_id] = self.service(resource_id)
        return self.topology

    # -- references -------------------------------------------------------------------------------

    def reference(self, value: Any, kind: str, noun: str) -> Any:
        """The id of the template resource of type `kind` that `value` points at, or Unknown."""
        if isinstance(value, ResourceRef):
            if self.topology.resource_types.get(value.resource) == kind and value.attribute is None:
                return value.resource
            return Unknown(f"{value} is not a {noun} of this template")
        if isinstance(value, Unknown):
            return value
        return Unknown(f"{noun} {value!r} is not defined in this template")

    def security_group_set(self, prop: Prop) -> Any:
        values = as_list(prop.value)
        if values is None:
            return None
        if isinstance(values, Unknown):
            return SgSet((), (values,), prop.path)
        known, unknown = [], []
        for value in values:
            group = self.security_group_id(value)
            (unknown if isinstance(group, Unknown) else known).append(group)
        return SgSet(tuple(dict.fromkeys(known)), tuple(unknown), prop.path)

    def security_group_id(self, value: Any) -> Any:
        """A group of the template by logical id, a group outside it by its literal id, or Unknown."""
        if isinstance(value, str) and value.startswith("sg-"):
            return value
        return self.reference(value, SECURITY_GROUP, "security group")

    def subnet_networks(self, prop: Prop) -> Any:
        """The CIDRs of the subnets named by `prop`, or Unknown unless every one is known."""
        subnets = as_list(prop.value)
        if not subnets:
            return Unknown("the subnets are not given")
        if isinstance(subnets, Unknown):
            return subnets
        networks = []
        for subnet in subnets:
            subnet_id = self.reference(subnet, "AWS::EC2::Subnet", "subnet")
            if isinstance(subnet_id, Unknown):
                return Unknown(f"the CIDR of subnet {subnet_id.reason.split(' ')[0]} is not known")
            network = parse_network(self.properties(subnet_id).get("CidrBlock").value)
            if isinstance(network, Unknown):
                return Unknown(f"the CIDR of subnet {subnet_id} is not known")
            networks.append(network)
        return networks

    # -- security groups --------------------------------------------------------------------------

    def security_group(self, resource_id: str) -> SecurityGroup:
        properties = self.properties(resource_id)
        group = SecurityGroup(
            resource_id,
            ("Resources", resource_id),
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

    def standalone_rules(self, kind: str, direction: str) -> None:
        for resource_id in self.of_type(kind):
            properties = self.properties(resource_id)
            group_id = self.reference(properties.get("GroupId").value, SECURITY_GROUP, "security group")
            group = self.topology.security_groups.get(group_id) if isinstance(group_id, str) else None
            if group is None:
                continue  # a rule of a group outside the template cannot open or close a hop we judge
            rule = self.sg_rule(properties, direction, group.id)
            if direction == "ingress":
                group.ingress.append(rule)
            else:
                self.groups_with_declared_egress.add(group.id)
                group.egress.append(rule)

    def sg_rule(self, properties: _Properties, direction: str, group_id: str) -> SgRule:
        protocol_prop = properties.get("IpProtocol")
        protocol = as_text(protocol_prop.value)
        if isinstance(protocol, str):
            protocol = _PROTOCOL_NAMES.get(protocol.lower(), protocol.lower())
        elif protocol is None:
            protocol = Unknown("the rule has no IpProtocol")
        from_prop, to_prop = properties.get("FromPort"), properties.get("ToPort")
        from_port, to_port = as_port(from_prop.value), as_port(to_prop.value)
        if protocol == ALL_PROTOCOLS:
            from_port = to_port = None
        elif protocol in ("tcp", "udp"):
            from_port = _port_bound(from_port, "FromPort")
            to_port = _port_bound(to_port, "ToPort")
        return SgRule(
            group_id,
            direction,
            protocol,
            from_port,
            to_port,
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
                return Peer("cidr", parse_network(prop.value), prop.path)
        prop = properties.get(f"{side}SecurityGroupId")
        if prop.value is not None:
            return Peer("sg", self.security_group_id(prop.value), prop.path)
        prop = properties.get(f"{side}PrefixListId")
        if prop.value is not None:
            return Peer("prefix_list", prop.value, prop.path)
        prop = properties.get("SourceSecurityGroupName")
        if prop.value is not None:
            return Peer("sg", Unknown(f"security group named {prop.value}"), prop.path)
        return Peer("unknown", Unknown("the rule names no peer"), properties.path)

    # -- load balancing ---------------------------------------------------------------------------

    def load_balancer(self, resource_id: str) -> LoadBalancer:
        properties = self.properties(resource_id)
        lb_type, scheme = properties.get("Type"), properties.get("Scheme")
        subnets = properties.get("Subnets")
        if subnets.value is None and "SubnetMappings" in properties.raw:
            subnets = Prop([item.get("SubnetId").value for _, item in properties.items("SubnetMappings")],
                           properties.get("SubnetMappings").path)
        return LoadBalancer(
            resource_id,
            ("Resources", resource_id),
            Prop("application" if lb_type.value is None else lb_type.value, lb_type.path),
            Prop("internet-facing" if scheme.value is None else scheme.value, scheme.path),
            self.security_group_set(properties.get("SecurityGroups")),
            self.subnet_networks(subnets),
        )

    def target_group(self, resource_id: str) -> TargetGroup:
        properties = self.properties(resource_id)
        target_type, hc_protocol = properties.get("TargetType"), properties.get("HealthCheckProtocol")
        hc_port = properties.get("HealthCheckPort")
        hc_port_value = hc_port.value
        if hc_port_value is None or hc_port_value == "traffic-port":
            hc_port_value = "traffic-port"
        else:
            hc_port_value = as_port(hc_port_value)
        return TargetGroup(
            resource_id,
            ("Resources", resource_id),
            properties.get("Protocol"),
            Prop(as_port(properties.get("Port").value), properties.get("Port").path),
            Prop("instance" if target_type.value is None else target_type.value, target_type.path),
            Prop("HTTP" if hc_protocol.value is None else hc_protocol.value, hc_protocol.path),
            Prop(hc_port_value, hc_port.path),
        )

    def listener(self, resource_id: str) -> Listener:
        properties = self.properties(resource_id)
        load_balancer = self.reference(
            properties.get("LoadBalancerArn").value, ELBV2 + "LoadBalancer", "load balancer"
        )
        self.add_forwards(resource_id, properties, "DefaultActions")
        port = properties.get("Port")
        return Listener(
            resource_id,
            ("Resources", resource_id),
            load_balancer,
            properties.get("Protocol"),
            Prop(as_port(port.value), port.path),
        )

    def add_forwards(self, listener: Any, properties: _Properties, actions: str) -> None:
        for _, action in properties.items(actions):
            if str(action.get("Type").value).lower() != "forward":
                continue
            targets = [action.get("TargetGroupArn")]
            for _, weighted in action.child("ForwardConfig").items("TargetGroups"):
                targets.append(weighted.get("TargetGroupArn"))
            for target in targets:
                if target.value is not None:
                    group = self.reference(target.value, ELBV2 + "TargetGroup", "target group")
                    self.topology.forwards.append(Forward(listener, group, target.path))

    # -- ECS --------------------------------------------------------------------------------------

    def task_definition(self, resource_id: str) -> TaskDefinition:
        properties = self.properties(resource_id)
        containers = []
        for _, container in properties.items("ContainerDefinitions"):
            mappings = []
            for _, mapping in container.items("PortMappings"):
                container_port, host_port = mapping.get("ContainerPort"), mapping.get("HostPort")
                protocol = mapping.get("Protocol")
                mappings.append(
                    PortMapping(
                        Prop(as_port(container_port.value), container_port.path),
                        Prop(as_port(host_port.value), host_port.path),
                        Prop("tcp" if protocol.value is None else as_text(protocol.value), protocol.path),
                    )
                )
            containers.append(Container(container.get("Name"), mappings, container.path))
        definitions = properties.get("ContainerDefinitions")
        return TaskDefinition(
            resource_id,
            ("Resources", resource_id),
            properties.get("NetworkMode"),
            properties.get("RequiresCompatibilities"),
            definitions.value if isinstance(definitions.value, Unknown) else containers,
        )

    def service(self, resource_id: str) -> Service:
        properties = self.properties(resource_id)
        entries = []
        for index, entry in properties.items("LoadBalancers"):
            target = entry.get("TargetGroupArn")
            if target.value is None:
                continue  # a Classic Load Balancer entry: not an ALB hop
            group = self.reference(target.value, ELBV2 + "TargetGroup", "target group")
            port = entry.get("ContainerPort")
            entries.append(
                LoadBalancerEntry(
                    index,
                    Prop(group, target.path),
                    entry.get("ContainerName"),
                    Prop(as_port(port.value), port.path),
                    entry.path,
                )
            )
        awsvpc = properties.child("NetworkConfiguration").child("AwsvpcConfiguration")
        providers = [item.get("CapacityProvider").value for _, item in properties.items("CapacityProviderStrategy")]
        return Service(
            resource_id,
            ("Resources", resource_id),
            self.reference(properties.get("TaskDefinition").value, "AWS::ECS::TaskDefinition", "task definition"),
            properties.get("LaunchType"),
            Prop(providers, properties.get("CapacityProviderStrategy").path),
            entries,
            self.security_group_set(awsvpc.get("SecurityGroups")),
            awsvpc.path,
            self.subnet_networks(awsvpc.get("Subnets")),
        )


def _port_bound(port: Any, name: str) -> Any:
    if port is None:
        return Unknown(f"the rule has no {name}")
    if port == -1:
        return Unknown(f"{name} -1 is not a tcp/udp port")
    return port


def build_topology(template: dict, resolver: Resolver) -> Topology:
    return _Builder(template, resolver).build()
