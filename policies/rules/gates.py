"""Does a set of security groups let tcp/port through to or from a peer? Yes, no, or cannot know.

Three-valued throughout: True (proved), False (proved not), None (depends on something unknowable).
A gate is open if one rule is proved to match; closed only if every rule is proved not to match and
every group is in the template.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from policies.findings import Verdict
from policies.topology import ALL_PROTOCOLS, Peer, SecurityGroup, SgRule, SgSet, Topology
from policies.values import Unknown

PeerTest = Callable[[Peer], "bool | None"]
EVERYWHERE_V4 = ipaddress.ip_network("0.0.0.0/0")


@dataclass(eq=False, repr=False)
class PortRange:
    """Every port from `low` to `high`: a gate for it is open only if one rule admits them all."""

    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


@dataclass(eq=False, repr=False)
class Gate:
    """Whether a set of security groups lets one direction of a hop's traffic through, and by which rule."""

    verdict: Verdict
    groups: SgSet
    direction: str
    port: Any
    peer_test: PeerTest
    opening: SgRule | None = None  # the rule proved to let the traffic through
    doubtful: SgRule | None = None  # the first rule that may let the traffic through
    doubtful_port: bool = False  # whether the doubt is about the doubtful rule's protocol or port
    doubts: list = field(default_factory=list)  # why the verdict is UNKNOWN
    unknowns: list = field(default_factory=list)  # the Unknown values behind the doubts
    judged: list = field(default_factory=list)  # the SecurityGroup objects whose rules were read

    @cached_property
    def near_miss(self) -> SgRule | None:
        """The first rule read, up to the opening one, with the right peer but the wrong protocol or port.

        Looked for only when asked: the verdict itself reads only the rules that may admit the port.
        """
        for group in self.judged:
            for rule in _rules(group, self.direction):
                if rule is self.opening:
                    return None
                ports, peer = _judge_rule(rule, self.port, self.peer_test)
                if peer and ports is False:
                    return rule
        return None

    def fix_path(self, direction: str) -> tuple:
        """The property to look at: the rule that lets the traffic through, else the near-miss or doubtful
        rule, else where a rule would be added."""
        if self.verdict is Verdict.PASSED and self.opening is not None:
            return self.opening.path
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
    if isinstance(port, Unknown) and port.malformed:
        return None  # even an allow-all rule does not carry a port the template gets wrong
    if rule.protocol == ALL_PROTOCOLS:
        return True
    if isinstance(rule.protocol, Unknown) or isinstance(port, Unknown):
        return None
    if rule.protocol != "tcp":
        return False
    if isinstance(rule.from_port, Unknown) or isinstance(rule.to_port, Unknown):
        return None
    if isinstance(port, PortRange):
        return rule.from_port <= port.low and port.high <= rule.to_port
    return rule.from_port <= port <= rule.to_port


def _judge_rule(rule: SgRule, port: Any, peer_test: PeerTest) -> tuple:
    """(does the rule admit the port, is its peer the one wanted): each True, False or None (cannot know)."""
    ports, peer = port_matches(rule, port), peer_test(rule.peer)
    if any(part.malformed for part in rule.unknowns()):
        # A rule the template gets wrong opens nothing; but it may be meant to.
        ports, peer = (None if ports else ports), (None if peer else peer)
    return ports, peer


def _rules_that_may_admit(group: SecurityGroup, direction: str, port: Any) -> list:
    """The rules of `group` whose protocol and ports may let tcp/`port` through, in their order.

    Each group's rules are indexed by port once: judging every service behind a shared group then reads
    about one rule per service, instead of every rule of the group for every service.
    """
    rules = _rules(group, direction)
    if not isinstance(port, int):
        return rules
    indexes = group.__dict__.setdefault("_rules_by_port", {})
    indexed, single_port, others = indexes.get(direction, (-1, None, None))
    if indexed != len(rules):  # (re)built when rules were added
        single_port, others = {}, []
        for position, rule in enumerate(rules):
            if rule.protocol == "tcp" and isinstance(rule.from_port, int) and rule.from_port == rule.to_port:
                single_port.setdefault(rule.from_port, []).append(position)
            elif rule.protocol in ("tcp", ALL_PROTOCOLS) or isinstance(rule.protocol, Unknown):
                others.append(position)  # port ranges, unknown ports, all traffic, unknown protocol
        indexes[direction] = (len(rules), single_port, others)
    return [rules[position] for position in sorted(single_port.get(port, []) + others)]


def evaluate_gate(topology: Topology, groups: SgSet, direction: str, port: Any, peer_test: PeerTest) -> Gate:
    gate = Gate(Verdict.FAILED, groups, direction, port, peer_test, doubts=[u.reason for u in groups.unknown],
                unknowns=list(groups.unknown))
    for group_id in groups.known:
        group = topology.security_groups.get(group_id)
        if group is None:
            gate.doubts.append(f"the rules of security group {group_id} are not in the {topology.words.document}")
            continue
        gate.judged.append(group)
        for rule in _rules_that_may_admit(group, direction, port):
            ports, peer = _judge_rule(rule, port, peer_test)
            if ports and peer:
                gate.verdict, gate.opening = Verdict.PASSED, rule
                return gate
            if ports is not False and peer is not False:
                why = "; ".join(dict.fromkeys(part.reason for part in rule.unknowns()))
                gate.doubts.append(f"{group.id} rule {rule.label} may match" + (f" ({why})" if why else ""))
                gate.unknowns.extend(rule.unknowns())
                if gate.doubtful is None:
                    gate.doubtful, gate.doubtful_port = rule, ports is None
    if isinstance(port, Unknown):
        gate.doubts.append(port.reason)
        gate.unknowns.append(port)
    if gate.doubts:
        gate.verdict = Verdict.UNKNOWN
    return gate


def peer_networks(peer: Peer) -> Any:
    """The addresses a rule's peer stands for: a tuple of ip_network (its CIDR, or the merged entries of a prefix
    list of the template), Unknown, or None when the template does not show them (a security group, a prefix list
    outside the template)."""
    if peer.kind == "cidr":
        return peer.value if isinstance(peer.value, Unknown) else (peer.value,)
    if peer.kind == "prefix_list" and peer.prefix_list is not None:
        return peer.prefix_list.merged_entries
    return None


def covers(peer: Peer, networks: Any) -> bool | None:
    """Do the peer's addresses (a CIDR, a prefix list's entries) contain every address of `networks` (a list of
    ip_network, or Unknown)?"""
    cidrs = peer_networks(peer)
    if cidrs is None or isinstance(cidrs, Unknown):
        return None
    if EVERYWHERE_V4 in cidrs:
        return True
    if isinstance(networks, Unknown):
        return None
    return bool(networks) and all(
        any(network.version == cidr.version and network.subnet_of(cidr) for cidr in cidrs) for network in networks
    )


def group_or_cidr_test(groups: SgSet | None, networks: Any) -> PeerTest:
    """Matches a peer that is one of `groups` (None: the VPC default group) or a CIDR covering `networks`."""
    group_ids = set(groups.known) if groups is not None else set()
    # A group the template names wrongly (a misspelt Ref) may be any group: it may be the rule's peer.
    misnamed = groups is not None and any(group.malformed for group in groups.unknown)

    def test(peer: Peer) -> bool | None:
        if peer.kind in ("cidr", "prefix_list"):
            return covers(peer, networks)
        if peer.kind == "sg":
            if isinstance(peer.value, Unknown):
                return None
            return True if peer.value in group_ids else (None if misnamed else False)
        return None

    return test


def is_everywhere(peer: Peer) -> bool | None:
    """Does the peer's CIDR, or an entry of its prefix list, span a whole address family (0.0.0.0/0, ::/0)?"""
    if peer.kind == "sg":
        return False
    cidrs = peer_networks(peer)
    if cidrs is None or isinstance(cidrs, Unknown):
        return None
    return any(cidr.prefixlen == 0 for cidr in cidrs)
