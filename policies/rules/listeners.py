"""Client -> ALB: listener ports open to clients, ALB protocols on listeners and their target groups."""

from __future__ import annotations

from typing import Iterator

from policies.findings import Verdict
from policies.rules.base import ALB_PROTOCOLS, APPLICATION, Result
from policies.rules.gates import evaluate_gate
from policies.topology import Listener, LoadBalancer, Peer, Topology
from policies.values import Unknown


def _client_test(balancer: LoadBalancer):
    scheme = balancer.scheme.value

    def test(peer: Peer) -> bool | None:
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


def _listener_balancer(topology: Topology, listener: Listener) -> LoadBalancer | None:
    if isinstance(listener.load_balancer, str):
        return topology.load_balancers.get(listener.load_balancer)
    return None


def hop101_listener_port_open_to_clients(topology: Topology) -> Iterator[Result]:
    for listener in topology.listeners.values():
        balancer = _listener_balancer(topology, listener)
        port = listener.port.value
        if balancer is None:
            if isinstance(listener.load_balancer, Unknown):
                yield Result("HOP101", Verdict.UNKNOWN, listener.id,
                             f"listener {listener.id}: its load balancer is unknown "
                             f"({listener.load_balancer.reason})", listener.path)
            continue
        if balancer.type.value != APPLICATION or port is None:
            continue
        where = f"listener {listener.id} ({balancer.scheme.value} ALB {balancer.id}, port {port})"
        if balancer.security_groups is None:
            yield Result("HOP101", Verdict.FAILED, listener.id,
                         f"{where}: the load balancer has no SecurityGroups, so it gets the VPC default "
                         f"security group, which admits only its own members, not clients on tcp/{port}",
                         balancer.settings_path or balancer.path + ("Properties",))
            continue
        gate = evaluate_gate(topology, balancer.security_groups, "ingress", port, _client_test(balancer))
        groups = balancer.security_groups.label
        if gate.verdict is Verdict.PASSED:
            message = f"{where}: ALB SG {gate.opening.group} allows {gate.opening.label}"
        elif gate.verdict is Verdict.FAILED:
            if gate.near_miss is not None:
                message = (f"{where}: ALB SG {gate.near_miss.group} allows {gate.near_miss.label}, "
                           f"but the listener port is {port}")
            else:
                message = (f"{where}: no ingress rule of ALB SG {groups} allows tcp/{port} from clients; "
                           f"{gate.rules_summary('ingress')}")
        else:
            message = f"{where}: cannot prove ALB SG {groups} allows tcp/{port} from clients: {'; '.join(gate.doubts)}"
        yield Result("HOP101", gate.verdict, listener.id, message, gate.fix_path("ingress"))


def _protocol_verdict(protocol) -> Verdict | None:
    if protocol is None:
        return None
    if isinstance(protocol, Unknown):
        return Verdict.UNKNOWN
    return Verdict.PASSED if str(protocol).upper() in ALB_PROTOCOLS else Verdict.FAILED


def hop201_alb_protocols(topology: Topology) -> Iterator[Result]:
    for listener in topology.listeners.values():
        balancer = _listener_balancer(topology, listener)
        if balancer is None or balancer.type.value != APPLICATION:
            continue
        protocol = listener.protocol.value
        verdict = _protocol_verdict(protocol)
        if verdict is not None:
            yield Result("HOP201", verdict, listener.id,
                         f"listener {listener.id} of ALB {balancer.id} uses protocol {protocol}"
                         + ("" if verdict is Verdict.PASSED else "; an ALB listener must be HTTP or HTTPS"),
                         listener.protocol.path)
        for forward in topology.forwards_from(listener.id):
            group = topology.target_groups.get(forward.target_group) if isinstance(forward.target_group, str) else None
            if group is None:
                continue
            protocol = group.protocol.value
            verdict = _protocol_verdict(protocol)
            if verdict is not None:
                yield Result("HOP201", verdict, group.id,
                             f"target group {group.id}, forwarded to by listener {listener.id} of ALB "
                             f"{balancer.id}, uses protocol {protocol}"
                             + ("" if verdict is Verdict.PASSED else "; behind an ALB it must be HTTP or HTTPS"),
                             group.protocol.path, hop=listener.id)
