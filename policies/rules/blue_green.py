"""Blue/green deployments: the alternate target group is a twin of the primary, and testers reach the test listener.

Every other hop rule judges the alternate target group through the alternate hops service_hops yields.
"""

from __future__ import annotations

from typing import Iterator

from policies.findings import Verdict
from policies.rules.base import Result, service_hops, unknowns_in
from policies.rules.gates import evaluate_gate
from policies.rules.listeners import application_balancer
from policies.topology import LoadBalancer, Peer, Topology
from policies.values import Unknown, same_value

# What ECS and CodeDeploy assume both target groups of a pair share: attributes of TargetGroup, which
# messages name as the topology's Vocabulary does.
_TWIN_SETTINGS = ("protocol", "port", "target_type", "health_check_protocol", "health_check_port")


def hop401_alternate_target_group_matches_primary(topology: Topology) -> Iterator[Result]:
    yield from _alternate_not_followed(topology)
    for hop in service_hops(topology):
        if hop.blue_green is None:
            continue
        alternate, primary = hop.target_group, topology.target_groups.get(hop.blue_green.primary)
        if primary is None:
            continue
        where = f"alternate target group {alternate.id} of {hop.describe()}"
        differences, doubts = [], []
        for attribute in _TWIN_SETTINGS:
            ours, theirs = getattr(alternate, attribute), getattr(primary, attribute)
            name = getattr(hop.words, attribute)
            if same_value(ours.value, theirs.value):
                continue
            if isinstance(ours.value, Unknown) or isinstance(theirs.value, Unknown):
                doubts.append((ours, theirs, name))
            else:
                differences.append((ours, theirs, name))
        if differences:
            ours, theirs, _ = differences[0]
            described = ", ".join(f"{name} {ours.value} (primary {primary.id}: {theirs.value})"
                                  for ours, theirs, name in differences)
            yield Result("HOP401", Verdict.FAILED, alternate.id,
                         f"{where}: {described}; after a deployment shifts traffic to it, the tasks are reached "
                         f"and health-checked differently", ours.path, hop.service.id)
        elif doubts:
            ours, theirs, _ = doubts[0]
            described = ", ".join(name for _, _, name in doubts)
            yield Result("HOP401", Verdict.UNKNOWN, alternate.id,
                         f"{where}: cannot compare {described} with primary {primary.id}", ours.path, hop.service.id,
                         unknowns_in(*(prop.value for doubt in doubts for prop in doubt[:2])))
        else:
            yield Result("HOP401", Verdict.PASSED, alternate.id,
                         f"{where}: same protocol, port, target type and health check as primary {primary.id}",
                         alternate.path, hop.service.id)


def _alternate_not_followed(topology: Topology) -> Iterator[Result]:
    """UNKNOWN on the primary of each pair whose alternate target group cannot be followed (misnamed, imported,
    outside the template): no rule can judge the tasks behind it once a deployment shifts traffic there."""
    for pair in topology.blue_green:
        alternate, primary, service = (pair.alternate.value, topology.target_groups.get(pair.primary),
                                       topology.services.get(pair.service))
        if isinstance(alternate, Unknown) and primary is not None and service is not None and any(
                same_value(entry.target_group.value, primary.id) for entry in service.load_balancers):
            yield Result("HOP401", Verdict.UNKNOWN, primary.id,
                         f"service {pair.service}: cannot judge the alternate target group of primary {primary.id}, "
                         f"where a deployment shifts traffic: {alternate.reason}", pair.alternate.path,
                         f"{pair.service} alternate", (alternate,))


def _any_tester(peer: Peer) -> bool | None:
    """Testers may come from anywhere: any CIDR, prefix list or security group is one."""
    return None if peer.kind == "unknown" or isinstance(peer.value, Unknown) else True


def hop402_test_listener_port_open(topology: Topology) -> Iterator[Result]:
    test_listeners = dict.fromkeys(prop.value for pair in topology.blue_green for prop in pair.test_listeners)
    for listener_id in test_listeners:
        listener = topology.listeners.get(listener_id) if isinstance(listener_id, str) else None
        if listener is None:
            continue  # a test listener outside the template: its load balancer's groups are unknown too
        balancer, port = application_balancer(topology, listener), listener.port.value
        if not isinstance(balancer, LoadBalancer) or port is None:
            continue
        where = f"test listener {listener.id} (ALB {balancer.id}, port {port})"
        if balancer.security_groups is None:
            yield Result("HOP402", Verdict.UNKNOWN, listener.id,
                         f"{where}: the load balancer has no {topology.words.security_groups}; the VPC default "
                         f"security group's ingress is not in the {topology.words.document}",
                         balancer.settings_path or balancer.path + ("Properties",))
            continue
        gate = evaluate_gate(topology, balancer.security_groups, "ingress", port, _any_tester)
        groups = balancer.security_groups.label
        if gate.verdict is Verdict.PASSED:
            message = f"{where}: ALB SG {gate.opening.group} allows {gate.opening.label}"
        elif gate.verdict is Verdict.FAILED:
            message = (f"{where}: no ingress rule of ALB SG {groups} allows tcp/{port}, so testers cannot reach "
                       f"the new tasks before traffic shifts; {gate.rules_summary('ingress')}")
        else:
            message = f"{where}: cannot prove ALB SG {groups} allows tcp/{port}: {'; '.join(gate.doubts)}"
        unknowns = tuple(gate.unknowns) if gate.verdict is Verdict.UNKNOWN else ()
        yield Result("HOP402", gate.verdict, listener.id, message, gate.fix_path("ingress"), unknowns=unknowns)
