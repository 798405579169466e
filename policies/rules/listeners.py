"""Client -> ALB: listener ports open to clients, ALB protocols on listeners and their target groups."""

from __future__ import annotations

from typing import Iterator

from policies.findings import Verdict
from policies.rules.base import ALB_PROTOCOLS, APPLICATION, Result, unknowns_in
from policies.rules.gates import PeerTest, evaluate_gate
from policies.topology import Listener, LoadBalancer, Peer, Prop, Topology
from policies.values import Unknown


def _client_test(balancer: LoadBalancer):
    scheme = balancer.scheme.value

    def test(peer: Peer) -> bool | None:
        if isinstance(scheme, Unknown) and scheme.malformed:
            return None  # who the clients are depends on the scheme
        if scheme == "internal":
            return True  # any source inside the network is a legitimate client
        if peer.kind == "cidr":
            return None if isinstance(peer.value, Unknown) else True
        if peer.kind == "prefix_list":
            return True
        if peer.kind == "sg":
            return False if scheme == "internet-facing" else None
        return None

    return test


def application_balancer(topology: Topology, listener: Listener) -> LoadBalancer | Unknown | None:
    """The ALB of a listener; Unknown when that cannot be told, None when it is no ALB of the template."""
    if isinstance(listener.load_balancer, Unknown):
        return listener.load_balancer
    balancer = topology.load_balancers.get(listener.load_balancer)
    if balancer is None:
        return None
    if isinstance(balancer.type.value, Unknown):
        return balancer.type.value
    return balancer if balancer.type.value == APPLICATION else None


def _unknown_balancer(rule_id: str, listener: Listener, unknown: Unknown) -> Result:
    return Result(rule_id, Verdict.UNKNOWN, listener.id,
                  f"listener {listener.id}: cannot tell whether its load balancer is an application load balancer "
                  f"({unknown.reason})", unknown.path or listener.path, unknowns=(unknown,))


def _client_listeners(topology: Topology) -> Iterator[tuple]:
    """(listener, its ALB or Unknown) for every listener clients use, whose load balancer may be an ALB."""
    test_only = topology.test_only_listeners()
    for listener in topology.listeners.values():
        if listener.id in test_only:
            continue  # testers are no clients: HOP402 judges who may reach a blue/green test listener
        balancer = application_balancer(topology, listener)
        if balancer is not None:
            yield listener, balancer


def _described(listener: Listener, balancer: LoadBalancer, port: int) -> str:
    return f"listener {listener.id} ({balancer.scheme.value} ALB {balancer.id}, port {port})"


def _client_gate_result(rule_id: str, topology: Topology, listener: Listener, balancer: LoadBalancer, port: int,
                        client_test: PeerTest, clients: str, extra_unknowns: tuple = ()) -> Result:
    """Whether the ALB's security groups let `clients` (those `client_test` accepts) reach the listener port."""
    where = _described(listener, balancer, port)
    gate = evaluate_gate(topology, balancer.security_groups, "ingress", port, client_test)
    groups = balancer.security_groups.label
    if gate.verdict is Verdict.PASSED:
        message = f"{where}: ALB SG {gate.opening.group} allows {gate.opening.label}"
    elif gate.verdict is Verdict.FAILED:
        if gate.near_miss is not None:
            message = (f"{where}: ALB SG {gate.near_miss.group} allows {gate.near_miss.label}, "
                       f"but the listener port is {port}")
        else:
            message = (f"{where}: no ingress rule of ALB SG {groups} allows tcp/{port} from {clients}; "
                       f"{gate.rules_summary('ingress')}")
    else:
        message = f"{where}: cannot prove ALB SG {groups} allows tcp/{port} from {clients}: {'; '.join(gate.doubts)}"
    unknowns = unknowns_in(*gate.unknowns, *extra_unknowns) if gate.verdict is Verdict.UNKNOWN else ()
    return Result(rule_id, gate.verdict, listener.id, message, gate.fix_path("ingress"), unknowns=unknowns)


def hop101_listener_port_open_to_clients(topology: Topology) -> Iterator[Result]:
    for listener, balancer in _client_listeners(topology):
        port = listener.port.value
        if isinstance(balancer, Unknown):
            yield _unknown_balancer("HOP101", listener, balancer)
        if not isinstance(balancer, LoadBalancer) or port is None:
            continue
        if balancer.security_groups is None:
            yield Result("HOP101", Verdict.FAILED, listener.id,
                         f"{_described(listener, balancer, port)}: the load balancer has no "
                         f"{topology.words.security_groups}, so it gets the VPC default security group, which "
                         f"admits only its own members, not clients on tcp/{port}",
                         balancer.settings_path or balancer.path + ("Properties",))
            continue
        yield _client_gate_result("HOP101", topology, listener, balancer, port, _client_test(balancer), "clients",
                                  (balancer.scheme.value,))


def _ipv6_client_test(peer: Peer) -> bool | None:
    """Is the peer an IPv6 source: an IPv6 CIDR, or a prefix list of the template whose family is IPv6?"""
    if peer.kind == "cidr":
        return None if isinstance(peer.value, Unknown) else peer.value.version == 6
    if peer.kind == "prefix_list":
        if peer.prefix_list is None:
            return None  # a prefix list outside the template may be of either family
        family = peer.prefix_list.address_family
        return None if isinstance(family, Unknown) else family == "IPv6"
    return False if peer.kind == "sg" else None


def hop403_dualstack_listener_open_to_ipv6(topology: Topology) -> Iterator[Result]:
    for listener, balancer in _client_listeners(topology):
        port = listener.port.value
        # A load balancer that cannot be followed is HOP101's UNKNOWN; one without SecurityGroups, its FAILED.
        if not isinstance(balancer, LoadBalancer) or port is None or balancer.security_groups is None:
            continue
        address_type, scheme = balancer.ip_address_type, balancer.scheme
        doubt = next((prop for prop in (address_type, scheme) if isinstance(prop.value, Unknown)), None)
        if address_type.value == "ipv4" or scheme.value == "internal":
            continue
        if doubt is not None:
            yield Result("HOP403", Verdict.UNKNOWN, listener.id,
                         f"{_described(listener, balancer, port)}: cannot tell whether the load balancer is an "
                         f"internet-facing dualstack one: {doubt.value.reason}", doubt.path,
                         unknowns=(doubt.value,))
            continue
        yield _client_gate_result("HOP403", topology, listener, balancer, port, _ipv6_client_test,
                                  f"IPv6 clients ({address_type.value} load balancer)")


def _protocol_result(subject: str, described: str, protocol: Prop, hop: str = "") -> Result | None:
    """HOP201's verdict on one listener or target group protocol; None when the protocol is not set."""
    value = protocol.value
    if value is None:
        return None
    if isinstance(value, Unknown):
        return Result("HOP201", Verdict.UNKNOWN, subject, f"{described}: protocol unknown ({value.reason})",
                      protocol.path, hop, (value,))
    if str(value).upper() in ALB_PROTOCOLS:
        return Result("HOP201", Verdict.PASSED, subject, f"{described} uses protocol {value}", protocol.path, hop)
    return Result("HOP201", Verdict.FAILED, subject,
                  f"{described} uses protocol {value}; behind an ALB only HTTP or HTTPS work", protocol.path, hop)


def hop201_alb_protocols(topology: Topology) -> Iterator[Result]:
    for listener in topology.listeners.values():
        balancer = application_balancer(topology, listener)
        if isinstance(balancer, Unknown):
            yield _unknown_balancer("HOP201", listener, balancer)
        if not isinstance(balancer, LoadBalancer):
            continue
        results = [_protocol_result(listener.id, f"listener {listener.id} of ALB {balancer.id}", listener.protocol)]
        for forward in topology.forwards_from(listener.id):
            group = topology.target_groups.get(forward.target_group) if isinstance(forward.target_group, str) else None
            if group is not None:
                described = f"target group {group.id}, forwarded to by listener {listener.id} of ALB {balancer.id},"
                results.append(_protocol_result(group.id, described, group.protocol, hop=listener.id))
        yield from (result for result in results if result is not None)
