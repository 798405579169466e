"""Network ACLs: the stateless filters at the border of the ALB's and the tasks' subnets.

Security groups remember connections; network ACLs do not. Every hop needs its requests allowed one way across
each subnet border it crosses and its replies, to the ephemeral port the connection came from, the other way.
An ACL reads its entries of one direction by rule number: the first whose protocol, ports and CIDR match a
packet allows or denies it, and a packet no entry matches is denied.

A subnet the template associates with no network ACL uses its VPC's default ACL, which allows everything unless
changed: the rules judge only subnets the template associates with an ACL. Traffic between two addresses of one
subnet never crosses its ACL.

The other side of a hop is known by a CIDR (a subnet's, a client CIDR an ALB security group admits), somewhere in
which the real address is: an ACL that decides part of that CIDR one way and part the other way leaves the hop
UNKNOWN. An address that cannot be known at all is somewhere in 0.0.0.0/0.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterator

from policies.findings import Verdict
from policies.rules.base import Result, ServiceHop, balancer_hop_key, service_hops, unknowns_in
from policies.rules.gates import PortRange, port_matches
from policies.rules.listeners import application_balancer
from policies.rules.security_groups import hop_ports
from policies.topology import ALL_PROTOCOLS, AclEntry, LoadBalancer, NetworkAcl, Subnet, Topology
from policies.values import Unknown

# Where clients, ALB nodes and tasks open connections from: replies go back to these ports.
EPHEMERAL_PORTS = PortRange(1024, 65535)
ANY_IPV4 = ipaddress.ip_network("0.0.0.0/0")
# How an entry relates to some traffic: it matches none of it, maybe some of it, or all of it.
NONE, SOME, ALL = "none", "some", "all"
DUALSTACK = ("dualstack", "dualstack-without-public-ipv4")


@dataclass(frozen=True, repr=False)
class Traffic:
    """tcp packets on `ports` crossing an ACL in one direction, to or from somewhere in `network`."""

    egress: bool
    ports: Any  # int or PortRange
    network: Any  # ip_network


@dataclass(eq=False, repr=False)
class AclOutcome:
    """What a network ACL does to part of a hop's traffic, and the entry that decides it."""

    verdict: Verdict  # PASSED: all of the traffic allowed; FAILED: all of it denied; UNKNOWN: it depends
    decider: AclEntry | None  # the entry that decides the rest of the traffic; None: the implicit deny
    doubtful: AclEntry | None = None  # of UNKNOWN: the first entry that may decide part of it another way


def _ports_relation(entry: AclEntry, ports: Any) -> str:
    if entry.protocol == ALL_PROTOCOLS:
        return ALL
    if isinstance(entry.protocol, Unknown):
        return SOME
    if entry.protocol != "tcp":
        return NONE
    if port_matches(entry, ports):  # an AclEntry has the protocol and port fields of an SgRule
        return ALL
    if isinstance(entry.from_port, Unknown) or isinstance(entry.to_port, Unknown):
        return SOME
    low, high = (ports.low, ports.high) if isinstance(ports, PortRange) else (ports, ports)
    return NONE if entry.to_port < low or high < entry.from_port else SOME


def _network_relation(entry: AclEntry, network: Any) -> str:
    if isinstance(entry.network, Unknown):
        return SOME
    if entry.network.version != network.version or not entry.network.overlaps(network):
        return NONE
    return ALL if network.subnet_of(entry.network) else SOME


def _relation(entry: AclEntry, traffic: Traffic) -> str:
    relations = (_ports_relation(entry, traffic.ports), _network_relation(entry, traffic.network))
    return NONE if NONE in relations else ALL if relations == (ALL, ALL) else SOME


def acl_outcome(acl: NetworkAcl, traffic: Traffic) -> AclOutcome:
    """Whether `acl` allows all of `traffic`, denies all of it, or decides parts of it differently.

    Entries that match part of the traffic are collected until one matches all of it (or the implicit deny
    ends the list): the outcome is that entry's action if every collected entry has it too, else UNKNOWN.
    Entries whose rule number cannot be read may come first. Memoized per ACL: services behind one ALB share it.
    """
    outcomes = acl.__dict__.setdefault("_outcomes", {})
    key = (traffic, len(acl.entries))
    if key not in outcomes:
        unnumbered, numbered = acl.ordered(traffic.egress)
        partial, decider = [], None
        for entry in (*unnumbered, *numbered):
            relation = _relation(entry, traffic)
            if relation == ALL and isinstance(entry.rule_number, int):
                decider = entry
                break
            if relation != NONE:
                partial.append(entry)
        allowed = decider.allow if decider is not None else False
        doubtful = next((entry for entry in partial if entry.allow is not allowed), None)
        if doubtful is not None or isinstance(allowed, Unknown):
            outcomes[key] = AclOutcome(Verdict.UNKNOWN, decider, doubtful or decider)
        else:
            outcomes[key] = AclOutcome(Verdict.PASSED if allowed else Verdict.FAILED, decider)
    return outcomes[key]


@dataclass(eq=False, repr=False)
class _Check:
    """One direction of one hop across the ACL of one subnet."""

    subnet: Subnet
    egress: bool
    ports: Any  # int, PortRange, or Unknown
    kind: str  # what the ports are, e.g. "listener port"
    peer: Any  # ip_network of the other side, or Unknown
    peer_label: str  # who the other side is, e.g. "ALB subnet AlbSubnetA"
    # False when the other side may not exist (a client of a rule that may not admit it): its traffic being
    # denied proves nothing.
    required: bool = True


def _judge(topology: Topology, check: _Check) -> tuple:
    """(verdict, message, path, unknowns) of one check."""
    subnet, acl_id = check.subnet, check.subnet.network_acl
    peer = check.peer_label if isinstance(check.peer, Unknown) else f"{check.peer} ({check.peer_label})"
    ports = check.ports if isinstance(check.ports, Unknown) else f"{check.ports}"
    label = f"tcp/{ports} ({check.kind}) {'out to' if check.egress else 'in from'} {peer}"
    if isinstance(acl_id, Unknown) or acl_id not in topology.network_acls:
        why = acl_id if isinstance(acl_id, Unknown) else Unknown(
            f"network ACL {acl_id} is not in the {topology.words.document}")
        message = f"cannot tell which network ACL subnet {subnet.id} uses ({why.reason}), so whether it allows {label}"
        return Verdict.UNKNOWN, message, why.path or subnet.path, (why,)
    acl = topology.network_acls[acl_id]
    if isinstance(check.ports, Unknown):
        return (Verdict.UNKNOWN, f"cannot judge network ACL {acl.id} of subnet {subnet.id}: {check.ports.reason}",
                check.ports.path or acl.path, (check.ports,))
    network = ANY_IPV4 if isinstance(check.peer, Unknown) else check.peer
    outcome = acl_outcome(acl, Traffic(check.egress, check.ports, network))
    where = f"network ACL {acl.id} of subnet {subnet.id}"
    decided = outcome.decider.label if outcome.decider else "no entry matches it (the implicit deny)"
    peer_unknowns = unknowns_in(check.peer)
    if outcome.verdict is Verdict.PASSED:
        return Verdict.PASSED, f"{where} allows {label}: {decided}", outcome.decider.action_path, ()
    if outcome.verdict is Verdict.FAILED and check.required:
        path = outcome.decider.action_path if outcome.decider else acl.path
        return Verdict.FAILED, f"{where} denies {label}: {decided}", path, ()
    doubtful = outcome.doubtful
    if doubtful is None:  # denied, but the traffic may not be needed
        return Verdict.UNKNOWN, f"{where} denies {label}, which clients may need: {decided}", acl.path, peer_unknowns
    why = "; ".join(dict.fromkeys(part.reason for part in doubtful.unknowns()))
    how = decided if doubtful is outcome.decider else f"{doubtful.label} decides some of it, {decided} the rest"
    return (Verdict.UNKNOWN, f"cannot prove {where} allows {label}: {how}" + (f" ({why})" if why else ""),
            doubtful.path, unknowns_in(*doubtful.unknowns(), *peer_unknowns))


def _result(rule_id: str, topology: Topology, subject: str, where: str, checks: list, key: str = "") -> Result | None:
    """The worst verdict of the checks of one hop; None when no check applies (no custom ACL on the way)."""
    judged = [(check, *_judge(topology, check)) for check in checks]
    for verdict in (Verdict.FAILED, Verdict.UNKNOWN):
        for check, found, message, path, unknowns in judged:
            if found is verdict:
                return Result(rule_id, verdict, subject, f"{where}: {message}", path, key, unknowns)
    if not judged:
        return None
    subnets_of: dict = {}
    for check in checks:
        subnets_of.setdefault(check.subnet.network_acl, {})[check.subnet.id] = None
    acls = "; ".join(f"{acl} (subnet {', '.join(subnets)})" for acl, subnets in subnets_of.items())
    return Result(rule_id, Verdict.PASSED, subject,
                  f"{where}: the network ACLs allow its packets both ways: {acls}", judged[0][3], key)


def _custom(topology: Topology, subnets: Any) -> list:
    """The subnets among `subnets` (ids) that the template associates with a network ACL."""
    return [topology.subnets[subnet] for subnet in subnets if topology.subnets[subnet].network_acl is not None]


def _filters_anything(topology: Topology) -> bool:
    """Whether the template has network ACLs of its own (or associations naming ACLs outside it)."""
    return bool(topology.network_acls) or any(subnet.network_acl is not None for subnet in topology.subnets.values())


def _subnets_unknown(rule_id: str, subject: str, where: str, whose: str, why: Unknown, key: str = "") -> Result:
    return Result(rule_id, Verdict.UNKNOWN, subject,
                  f"{where}: cannot tell which subnets {whose} live in, so which network ACLs filter the hop: "
                  f"{why.reason}", why.path, key, (why,))


def _client_networks(topology: Topology, balancer: LoadBalancer, port: Any) -> tuple:
    """(CIDRs the ALB's security groups admit tcp/port from, why other clients' addresses are unknown).

    Those CIDRs are the clients the ALB is meant to serve: its network ACLs must let them through as well. A
    client known by its security group or prefix list, or of a rule that may or may not admit it, is an address
    somewhere in 0.0.0.0/0.
    """
    groups = balancer.security_groups
    internet_facing = balancer.scheme.value == "internet-facing"
    if groups is None:  # the VPC default group admits its own members only
        return [], [] if internet_facing else [Unknown("members of the VPC default security group")]
    networks, unknown = [], list(groups.unknown)
    for group_id in groups.known:
        group = topology.security_groups.get(group_id)
        if group is None:
            unknown.append(Unknown(f"the rules of security group {group_id} are not in the {topology.words.document}"))
            continue
        for rule in group.ingress:
            admits, peer = port_matches(rule, port), rule.peer
            if admits is False or internet_facing and peer.kind == "sg":
                continue  # HOP101: members of a group are no clients of an internet-facing ALB
            if admits and peer.kind == "cidr" and not rule.unknowns():
                networks.append(peer.value)
            else:
                unknown.append(Unknown(f"admitted by ALB SG {group.id} rule {rule.label}"))
    return list(dict.fromkeys(networks)), unknown


def _clients_exist(balancer: LoadBalancer, network: Any) -> bool | None:
    """Whether clients of an address family reach the ALB: IPv6 ones only a dualstack ALB, and IPv4 ones from the
    internet not one without public IPv4. None when its IP address type cannot be read."""
    address_type = balancer.ip_address_type.value
    if isinstance(address_type, Unknown):
        return None
    if network.version == 6:
        return address_type in DUALSTACK
    return not (address_type == DUALSTACK[1] and balancer.scheme.value == "internet-facing")


def hop601_alb_acl_allows_clients(topology: Topology) -> Iterator[Result]:
    filters = _filters_anything(topology)
    for listener in topology.listeners.values():
        balancer, port = application_balancer(topology, listener), listener.port.value
        if not filters or not isinstance(balancer, LoadBalancer) or port is None:
            continue
        where = f"listener {listener.id} (ALB {balancer.id}, port {port})"
        if isinstance(balancer.subnets, Unknown):
            yield _subnets_unknown("HOP601", listener.id, where, f"ALB {balancer.id}'s nodes", balancer.subnets)
            continue
        custom = _custom(topology, balancer.subnets)
        if not custom:
            continue
        if isinstance(port, Unknown):
            clients = [(port, f"clients of ALB {balancer.id}", True)]
        else:
            networks, unknown = _client_networks(topology, balancer, port)
            clients = [(network, f"clients of ALB {balancer.id}", exist) for network in networks
                       if (exist := _clients_exist(balancer, network)) is not False]
            clients += [(why, f"clients of ALB {balancer.id} ({why.reason})", False) for why in unknown]
        checks = [check for subnet in custom for network, label, required in clients
                  for check in (_Check(subnet, False, port, "listener port", network, label, required),
                                _Check(subnet, True, EPHEMERAL_PORTS, "replies", network, label, required))]
        result = _result("HOP601", topology, listener.id, where, checks)
        if result is not None:
            yield result


def _service_checks(topology: Topology, hop: ServiceHop, balancer: LoadBalancer, alb_side: bool) -> list:
    """The checks of HOP602 (`alb_side`: the ALB subnets' ACLs) or HOP603 (the task subnets' ACLs)."""
    ports = hop_ports(hop)
    alb_subnets = [topology.subnets[subnet] for subnet in balancer.subnets]
    task_subnets = [topology.subnets[subnet] for subnet in hop.service.subnets]
    own, others, other_kind = ((alb_subnets, task_subnets, "task subnet") if alb_side
                               else (task_subnets, alb_subnets, "ALB subnet"))
    # Requests leave the ALB's subnets and enter the tasks'; replies go back the other way.
    request_egress = alb_side
    checks = []
    for subnet in own:
        if subnet.network_acl is None:
            continue
        for other in others:
            if other.id == subnet.id:
                continue  # traffic inside one subnet does not cross its ACL
            label = f"{other_kind} {other.id}"
            for port, kind in ports:
                checks.append(_Check(subnet, request_egress, port, kind, other.network, label))
            checks.append(_Check(subnet, not request_egress, EPHEMERAL_PORTS, "replies", other.network, label))
    return checks


def _service_results(rule_id: str, topology: Topology, alb_side: bool) -> Iterator[Result]:
    if not _filters_anything(topology):
        return
    for hop in service_hops(topology):
        subnets = hop.service.subnets
        if subnets is None:
            continue  # no awsvpc network configuration: the tasks have no subnets of their own
        for balancer in hop.load_balancers:
            if not isinstance(balancer, LoadBalancer):
                continue  # HOP301-HOP304 report a load balancer that cannot be followed
            key = balancer_hop_key(hop, balancer)
            sides = ((balancer.subnets, f"ALB {balancer.id}'s nodes"), (subnets, "its tasks"))
            (own, own_whose), (other, other_whose) = sides if alb_side else sides[::-1]
            if isinstance(own, Unknown):
                yield _subnets_unknown(rule_id, hop.service.id, hop.describe(), own_whose, own, key)
                continue
            if not _custom(topology, own):
                continue
            if isinstance(other, Unknown):
                yield _subnets_unknown(rule_id, hop.service.id, hop.describe(), other_whose, other, key)
                continue
            result = _result(rule_id, topology, hop.service.id, hop.describe(),
                             _service_checks(topology, hop, balancer, alb_side), key)
            if result is not None:
                yield result


def hop602_alb_acl_allows_targets(topology: Topology) -> Iterator[Result]:
    return _service_results("HOP602", topology, alb_side=True)


def hop603_task_acl_allows_alb(topology: Topology) -> Iterator[Result]:
    return _service_results("HOP603", topology, alb_side=False)
