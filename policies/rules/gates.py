"""Does a set of security groups let tcp/port through to or from a peer? Yes, no, or cannot know.

Three-valued throughout: True (proved), False (proved not), None (depends on something unknowable).
A gate is open if one rule is proved to match; closed only if every rule is proved not to match and
every group is in the template.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable

from policies.findings import Verdict
from policies.topology import ALL_PROTOCOLS, Peer, SecurityGroup, SgRule, SgSet, Topology
from policies.values import Unknown

PeerTest = Callable[[Peer], "bool | None"]
EVERYWHERE_V4 = ipaddress.ip_network("0.0.0.0/0")


@dataclass
class Gate:
    verdict: Verdict
    groups: SgSet
    opening: SgRule | None = None  # the rule proved to let the traffic through
    near_miss: SgRule | None = None  # a rule with the right peer but the wrong protocol or port
    doubtful: SgRule | None = None  # the first rule that may let the traffic through
    doubtful_port: bool = False  # whether the doubt is about the doubtful rule's protocol or port
    doubts: list = field(default_factory=list)  # why the verdict is UNKNOWN
    judged: list = field(default_factory=list)  # the SecurityGroup objects whose rules were read

    def fix_path(self, direction: str) -> tuple:
        """The property to look at: the near-miss or doubtful rule, else where a rule would be added."""
        if self.near_miss is not None:
            rule = self.near_miss
            return rule.port_path if rule.protocol in ("tcp", ALL_PROTOCOLS) else rule.protocol_path
        if self.verdict is Verdict.UNKNOWN and self.doubtful is not None:
            return self.doubtful.port_path if self.doubtful_port else self.doubtful.peer.path
        if self.verdict is not Verdict.UNKNOWN and self.judged:
            group = self.judged[0]
            return group.ingress_path if direction == "ingress" else group.egress_path
        return self.groups.path

    def rules_summary(self, direction: str, limit: int = 3) -> str:
        rules = [rule for group in self.judged for rule in _rules(group, direction)]
        if not rules:
            return f"it has no {direction} rule"
        shown = ", ".join(rule.label for rule in rules[:limit])
        more = f" and {len(rules) - limit} more" if len(rules) > limit else ""
        return f"it allows {shown}{more}"


def _rules(group: SecurityGroup, direction: str) -> list:
    return group.ingress if direction == "ingress" else group.egress


def port_matches(rule: SgRule, port: Any) -> bool | None:
    if rule.protocol == ALL_PROTOCOLS:
        return True
    if isinstance(rule.protocol, Unknown) or isinstance(port, Unknown):
        return None
    if rule.protocol != "tcp":
        return False
    if isinstance(rule.from_port, Unknown) or isinstance(rule.to_port, Unknown):
        return None
    return rule.from_port <= port <= rule.to_port


def evaluate_gate(topology: Topology, groups: SgSet, direction: str, port: Any, peer_test: PeerTest) -> Gate:
    gate = Gate(Verdict.FAILED, groups, doubts=[u.reason for u in groups.unknown])
    for group_id in groups.known:
        group = topology.security_groups.get(group_id)
        if group is None:
            gate.doubts.append(f"the rules of security group {group_id} are not in the template")
            continue
        gate.judged.append(group)
        for rule in _rules(group, direction):
            ports, peer = port_matches(rule, port), peer_test(rule.peer)
            if ports and peer:
                gate.verdict, gate.opening = Verdict.PASSED, rule
                return gate
            if peer and ports is False and gate.near_miss is None:
                gate.near_miss = rule
            if ports is not False and peer is not False:
                gate.doubts.append(f"{group.id} rule {rule.label} may match")
                if gate.doubtful is None:
                    gate.doubtful, gate.doubtful_port = rule, ports is None
    if isinstance(port, Unknown):
        gate.doubts.append(port.reason)
    if gate.doubts:
        gate.verdict = Verdict.UNKNOWN
    return gate


def covers(peer: Peer, networks: Any) -> bool | None:
    """Does the rule's CIDR contain every address of `networks` (a list of ip_network, or Unknown)?"""
    cidr = peer.value
    if isinstance(cidr, Unknown):
        return None
    if cidr == EVERYWHERE_V4:
        return True
    if isinstance(networks, Unknown):
        return None
    return bool(networks) and all(
        network.version == cidr.version and network.subnet_of(cidr) for network in networks
    )


def group_or_cidr_test(groups: SgSet | None, networks: Any) -> PeerTest:
    """Matches a peer that is one of `groups` (None: the VPC default group) or a CIDR covering `networks`."""
    group_ids = set(groups.known) if groups is not None else set()

    def test(peer: Peer) -> bool | None:
        if peer.kind == "cidr":
            return covers(peer, networks)
        if peer.kind == "sg":
            return None if isinstance(peer.value, Unknown) else peer.value in group_ids
        return None

    return test


def is_everywhere(peer: Peer) -> bool | None:
    if peer.kind != "cidr":
        return False if peer.kind == "sg" else None
    if isinstance(peer.value, Unknown):
        return None
    return peer.value.prefixlen == 0
