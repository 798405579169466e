"""The ALB -> ECS paths of an analysed template, as people draw them, with the findings that judge each part.

    client -> listener HTTPS:443 -> target group HTTP:8080 (ip) -> service Api / container app:8080

A path is one entry of a service's `LoadBalancers` behind one load balancer and one of its listeners. Its
gates are what traffic must pass between the nodes. Between client and listener: the ALB security group's
ingress (HOP101; HOP402 for a blue/green test listener, HOP403 for IPv6 clients) and, where the template
gives the ALB's subnets a network ACL of its own, that ACL (HOP601). Between target group and service: the
ALB security group's egress (HOP301, HOP302; HOP504 toward container instances), the network ACLs of both
sides' subnets (HOP602, HOP603) where the template has any, the tasks' security group ingress (HOP303,
HOP304), or the container instances' (HOP503) in bridge and host network mode, and the health check. The
health check's gate is its whole verdict: its protocol and port (HOP211, HOP212, HOP502) and whether the
security groups let it through on the port it uses: HOP302 and HOP304 for a port of its own, else the
target port's HOP301 and HOP303 (HOP504 and HOP503 toward container instances). The other rules judge the
nodes themselves. Everything here is read from an Analysis: its deployments give the paths, its findings
the verdicts; nothing is judged again. The findings of an information rule (HOP206) are shown, a FAILED one
as a note, but decide no verdict of a check or a path.

A finding the user accepted (policies.suppressions: a checkov skip, cfn-lint's ignore_checks) that did not
pass is SKIPPED: it fails nothing, and a check whose only findings that did not pass are accepted is SKIPPED.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator

from policies.catalog import RULES
from policies.evaluate import deciding_conditions
from policies.findings import Analysis, Finding, Verdict, worst_verdict
from policies.rules.base import ServiceHop, balancer_hop_key, load_balancers_forwarding_to, service_hops
from policies.rules.container_instances import fleet_hop_key
from policies.rules.security_groups import HEALTH_CHECK_PORT, hop_ports
from policies.suppressions import Suppression, Suppressions
from policies.topology import Listener, LoadBalancer, Topology
from policies.values import Unknown

CLIENT, LISTENER, TARGET_GROUP, SERVICE = "client", "listener", "target group", "service"
ALB_SG_IN, ALB_SG_OUT, TASK_SG_IN, HEALTH_CHECK = "ALB SG in", "ALB SG out", "task SG in", "health check"
INSTANCE_SG_IN, ALB_ACL_IN, ALB_ACL_OUT, TASK_ACL_IN = "instance SG in", "ALB ACL in", "ALB ACL out", "task ACL in"


SKIPPED = "SKIPPED"  # the status of a check or path whose only findings that did not pass are accepted


@dataclass(eq=False, repr=False)
class Check:
    """A gate or a node of a path, and the findings that judge it (none: no rule applies to it)."""

    name: str
    findings: tuple
    # id(finding) -> the Suppression accepting it, for the findings that did not pass and are accepted
    suppressed: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def verdict(self) -> Verdict | None:
        """The worst verdict of the findings not accepted, those of information rules left out: they decide
        nothing."""
        return deciding_verdict(f for f in self.findings if id(f) not in self.suppressed)

    @property
    def status(self) -> Verdict | str | None:
        """The verdict, or SKIPPED where accepted findings are all that keeps it from passing."""
        verdict = self.verdict
        return SKIPPED if verdict in (Verdict.PASSED, None) and self.suppressed else verdict

    def suppression(self, finding: Finding) -> Suppression | None:
        return self.suppressed.get(id(finding))


def is_note(finding: Finding) -> bool:
    """A FAILED finding of an information rule (HOP206): worth showing, harmless to traffic."""
    return finding.verdict is Verdict.FAILED and RULES[finding.rule_id].informational


def deciding_verdict(findings: Iterable[Finding]) -> Verdict | None:
    """The worst verdict of the findings, those of information rules left out: they decide nothing."""
    return worst_verdict(f.verdict for f in findings if not RULES[f.rule_id].informational)


@dataclass(eq=False, repr=False)
class Node:
    """A stop on a path of traffic (client, listener, target group, service), as explain draws it."""

    kind: str  # CLIENT, LISTENER, TARGET_GROUP or SERVICE
    key: str  # identifies the node within its template; paths through the same node share it
    label: str  # "listener HttpsListener HTTPS:443"
    facts: dict  # what the label shows, as plain values (None when unknown), for JSON
    check: Check


@dataclass(eq=False, repr=False)
class HopPath:
    """One path of traffic from clients to a service, with the gates it passes."""

    nodes: tuple  # client, listener, target group, service
    entry_gates: tuple  # Checks between client and listener, in the order traffic meets them
    exit_gates: tuple  # Checks between target group and service, in the order traffic meets them
    when: tuple  # (condition, value) pairs deciding that the path exists; () when it always does
    context: str  # how findings about this path's service hop begin ("service Api (LoadBalancers[0] -> Tg)")

    def reason(self, finding: Finding) -> str:
        """The finding's message without the context the path already shows."""
        return finding.message.removeprefix(f"{self.context}: ")

    @property
    def gates(self) -> tuple:
        return self.entry_gates + self.exit_gates

    @property
    def checks(self) -> tuple:
        return self.gates + tuple(node.check for node in self.nodes)

    @property
    def verdict(self) -> Verdict | None:
        return worst_verdict(check.verdict for check in self.checks)

    @property
    def status(self) -> Verdict | str | None:
        verdict = self.verdict
        if verdict in (Verdict.PASSED, None) and any(check.status == SKIPPED for check in self.checks):
            return SKIPPED
        return verdict


@dataclass(eq=False, repr=False)
class Explanation:
    """One template (or configuration): its paths, and the findings that lie on none of them."""

    source: str
    noun: str = "template"  # what the source is: "template", "plan" or "configuration" (a Terraform root module)
    paths: list = field(default_factory=list)
    unplaced: list = field(default_factory=list)  # findings of resources on no path (a redirect-only listener)
    problems: list = field(default_factory=list)  # why the template could not be analysed
    files: list = field(default_factory=list)  # the templates of an application of several, else empty
    # id(finding) -> the Suppression accepting it, for every finding that did not pass and is accepted
    suppressed: dict = field(default_factory=dict)

    @property
    def findings(self) -> list:
        placed = {id(f): f for path in self.paths for check in path.checks for f in check.findings}
        return list(placed.values()) + self.unplaced

    @property
    def failed(self) -> bool:
        return deciding_verdict(f for f in self.findings if id(f) not in self.suppressed) is Verdict.FAILED

    def check(self, name: str, findings: tuple) -> Check:
        """A check of some of the explanation's findings, knowing which of them are accepted."""
        return _check(name, findings, self.suppressed)

    @property
    def unplaced_check(self) -> Check:
        """The findings on no path, as one check."""
        return self.check("", tuple(self.unplaced))


def explain(analysis: Analysis, source: str | None = None, noun: str = "template",
            suppressions: Suppressions | None = None) -> Explanation:
    """The paths of every deployment the analysis judged, each once, with the findings placed on them.

    `source` names the input as the user did; the analysis, cached by absolute path, may name it otherwise.
    `suppressions` are the ones written in the input (policies.suppressions): the findings they accept are
    SKIPPED.
    """
    application = analysis.application
    files = application.sources if application is not None and len(application.sources) > 1 else []
    explanation = Explanation(source or analysis.source, noun, problems=list(analysis.problems), files=files)
    if analysis.problems:
        return explanation
    if suppressions is not None:
        explanation.suppressed = {
            id(finding): suppression for finding in analysis.findings
            if finding.verdict is not Verdict.PASSED and (suppression := suppressions.covering(finding))}
    findings = _FindingIndex(analysis, explanation.suppressed)
    seen: dict = {}  # path key -> (path, deployments it exists in)
    for deployment in analysis.deployments:
        for key, hop, balancer, listener in _path_ends(deployment.topology):
            if key not in seen:
                seen[key] = (_build(findings, hop, balancer, listener), [])
            seen[key][1].append(deployment)
    for path, deployments in seen.values():
        when = () if len(deployments) == len(analysis.deployments) else deciding_conditions(
            deployments, analysis.deployments)
        explanation.paths.append(replace(path, when=tuple(when)))
    placed = {id(f) for path in explanation.paths for check in path.checks for f in check.findings}
    explanation.unplaced = [f for f in analysis.findings if id(f) not in placed]
    return explanation


class _FindingIndex:
    def __init__(self, analysis: Analysis, suppressed: dict) -> None:
        self.analysis = analysis
        self.suppressed = suppressed

    def check(self, name: str, findings: tuple) -> Check:
        return _check(name, findings, self.suppressed)

    def pick(self, rule_ids: tuple, resource: Any, hop: str | None = None, hop_prefix: str | None = None) -> tuple:
        """Findings of the rules on `resource`, with exactly `hop`, or a hop starting with `hop_prefix`."""
        return tuple(
            finding
            for rule_id in rule_ids
            for finding in self.analysis.for_resource(rule_id, resource)
            if (hop is None or finding.hop == hop) and (hop_prefix is None or finding.hop.startswith(hop_prefix))
        )


def _check(name: str, findings: tuple, suppressed: dict) -> Check:
    """A check of `findings`, with the suppressions (of `suppressed`, by id of finding) accepting some of them."""
    return Check(name, findings, {id(f): suppressed[id(f)] for f in findings if id(f) in suppressed})


def _path_ends(topology: Topology) -> Iterator[tuple]:
    """(key, service hop, load balancer, listener) of each path of one deployment. The load balancer is a
    LoadBalancer, an Unknown one, or None when no listener forwards to the hop's target group; the listener
    is None when there is none to show."""
    for hop in service_hops(topology):
        balancers = load_balancers_forwarding_to(topology, hop.target_group.id) if hop.target_group else []
        for balancer in balancers or [None]:
            for listener in _listeners(topology, hop, balancer) or [None]:
                gate_hop = balancer_hop_key(hop, balancer) if balancer is not None else None
                key = (hop.service.id, hop.entry.index, gate_hop, listener.id if listener else None)
                yield key, hop, balancer, listener


def _listeners(topology: Topology, hop: ServiceHop, balancer: Any) -> list:
    """The listeners of a template load balancer that forward (or have a rule forwarding) to the hop's group."""
    if not isinstance(balancer, LoadBalancer):
        return []
    listeners: dict = {}
    for forward in topology.forwards_to(hop.target_group.id):
        listener = topology.listeners.get(forward.listener) if isinstance(forward.listener, str) else None
        if listener is not None and listener.load_balancer == balancer.id:
            listeners.setdefault(listener.id, listener)
    return list(listeners.values())


def _build(findings: _FindingIndex, hop: ServiceHop, balancer: Any, listener: Listener | None) -> HopPath:
    service, group = hop.service, hop.target_group
    group_id = group.id if group else None
    listener_id = listener.id if listener else None
    definition = hop.task_definition
    container = hop.entry.container_name.value

    entry_gates = (
        findings.check(ALB_SG_IN, findings.pick(("HOP101", "HOP402", "HOP403"), listener_id) if listener else ()),
        *_judged(findings.check(ALB_ACL_IN, findings.pick(("HOP601",), listener_id) if listener else ())),
    )
    exit_gates = _exit_gates(findings, hop, balancer)
    service_findings = (
        findings.pick(("HOP202", "HOP204", "HOP205", "HOP306"), service.id, hop.key)
        + findings.pick(("HOP208", "HOP305"), service.id, "")
    )
    if definition is not None:
        service_findings += (findings.pick(("HOP207",), definition.id, hop_prefix=f"{container}:")
                             + findings.pick(("HOP208",), definition.id, ""))
    nodes = (
        _client_node(balancer),
        _listener_node(hop, balancer, listener, findings.check(LISTENER, findings.pick(("HOP201",), listener_id, ""))),
        _target_group_node(hop, findings.check(TARGET_GROUP, findings.pick(("HOP201",), group_id, listener_id)
                                               + findings.pick(("HOP203", "HOP206", "HOP401", "HOP501"), group_id,
                                                               service.id))),
        _service_node(hop, findings.check(SERVICE, service_findings)),
    )
    return HopPath(nodes, entry_gates, exit_gates, (), hop.describe())


def _exit_gates(findings: _FindingIndex, hop: ServiceHop, balancer: Any) -> tuple:
    """The security-group and network ACL gates between the ALB and the tasks (or their container instances),
    and the health check."""
    group_id, service = (hop.target_group.id if hop.target_group else None), hop.service.id
    probe = findings.pick(("HOP211",), group_id, "") + findings.pick(("HOP212", "HOP502"), group_id, service)
    if balancer is None:
        return (findings.check(ALB_SG_OUT, ()), findings.check(TASK_SG_IN, ()),
                findings.check(HEALTH_CHECK, probe))
    gate_hop = balancer_hop_key(hop, balancer)
    fleets = hop.service.container_instances
    fleet_hops = [fleet_hop_key(hop, fleet, balancer) for fleet in fleets
                  if not isinstance(fleet, Unknown)] if isinstance(fleets, list) else []

    def per_fleet(rule_id: str) -> tuple:
        """A container instance rule's findings: one per Auto Scaling group that can be followed, and one for the
        hop when some groups cannot be told."""
        return findings.pick((rule_id,), service, hop.key) + tuple(
            finding for fleet_hop in fleet_hops for finding in findings.pick((rule_id,), service, fleet_hop))

    instance_egress, instance_ingress = per_fleet("HOP504"), per_fleet("HOP503")
    if any(kind == HEALTH_CHECK_PORT for _, kind in hop_ports(hop)):  # a health-check port of its own
        probe_security_groups = findings.pick(("HOP302", "HOP304"), service, gate_hop)
    else:  # health checks go to the target port (the host port toward container instances)
        probe_security_groups = (findings.pick(("HOP301",), service, gate_hop) + instance_egress
                                 + findings.pick(("HOP303",), service, gate_hop) + instance_ingress)
    return (
        findings.check(ALB_SG_OUT, findings.pick(("HOP301", "HOP302"), service, gate_hop) + instance_egress),
        *_judged(findings.check(ALB_ACL_OUT, findings.pick(("HOP602",), service, gate_hop))),
        *_judged(findings.check(TASK_ACL_IN, findings.pick(("HOP603",), service, gate_hop))),
        findings.check(INSTANCE_SG_IN, instance_ingress) if instance_ingress
        else findings.check(TASK_SG_IN, findings.pick(("HOP303", "HOP304"), service, gate_hop)),
        findings.check(HEALTH_CHECK, probe + probe_security_groups),
    )


def _judged(check: Check) -> tuple:
    """A gate that only some templates have (a network ACL of their own), shown where a rule judged it."""
    return (check,) if check.findings else ()


def _client_node(balancer: Any) -> Node:
    scheme = balancer.scheme.value if isinstance(balancer, LoadBalancer) else None
    label = {"internet-facing": "client (internet)", "internal": "client (VPC)"}.get(scheme, "client")
    return Node(CLIENT, f"client:{label}", label, {"scheme": _plain(scheme)}, Check(CLIENT, ()))


def _listener_node(hop: ServiceHop, balancer: Any, listener: Listener | None, check: Check) -> Node:
    if listener is not None:
        label = f"listener {listener.id} {_shown(listener.protocol.value)}:{_shown(listener.port.value)}"
        facts = {"id": listener.id, "protocol": _plain(listener.protocol.value), "port": _plain(listener.port.value),
                 "load_balancer": balancer.id}
        return Node(LISTENER, f"listener:{listener.id}", label, facts, check)
    if isinstance(balancer, Unknown):
        label, key = f"{balancer.reason} (not in the {hop.words.document})", f"listener:?{balancer.reason}"
    elif hop.target_group is not None:
        label, key = f"no listener forwards to {hop.target_group.id}", f"listener:none:{hop.target_group.id}"
    else:
        label, key = "no listener known", f"listener:none:{hop.service.id}:{hop.key}"
    return Node(LISTENER, key, label, {"id": None}, check)


def _target_group_node(hop: ServiceHop, check: Check) -> Node:
    group = hop.target_group
    if group is None:
        value = hop.entry.target_group.value
        reason = value.reason if isinstance(value, Unknown) else f"{value} is not in the {hop.words.document}"
        return Node(TARGET_GROUP, f"target_group:?{hop.service.id}:{hop.key}", f"target group ({reason})",
                    {"id": None}, check)
    target_type = group.target_type.value
    label = (f"target group {group.id} {_shown(group.protocol.value)}:{_shown(group.port.value)} "
             f"({_shown(target_type) if target_type is not None else f'instance: no {hop.words.target_type}'})")
    health_port = group.health_check_port.value
    if health_port not in (None, "traffic-port"):
        label += f", health check :{_shown(health_port)}"
    facts = {"id": group.id, "protocol": _plain(group.protocol.value), "port": _plain(group.port.value),
             "target_type": _plain(target_type), "health_check_protocol": _plain(group.health_check_protocol.value),
             "health_check_port": _plain(health_port)}
    return Node(TARGET_GROUP, f"target_group:{group.id}", label, facts, check)


def _service_node(hop: ServiceHop, check: Check) -> Node:
    name, port = hop.entry.container_name.value, hop.entry.container_port.value
    label = f"service {hop.service.id} / container {_shown(name)}:{_shown(port)}"
    facts = {"id": hop.service.id, "load_balancers_index": hop.entry.index, "container": _plain(name),
             "container_port": _plain(port),
             "task_definition": hop.task_definition.id if hop.task_definition else None}
    return Node(SERVICE, f"service:{hop.service.id}:{hop.key}", label, facts, check)


def _shown(value: Any) -> str:
    """A value as a label shows it: "?" when static analysis cannot know it, "-" when absent."""
    if isinstance(value, Unknown):
        return "?"
    return "-" if value is None else str(value)


def _plain(value: Any) -> Any:
    """A value for JSON: literals as they are, None for unknown or absent ones."""
    return value if isinstance(value, (str, int, float, bool)) else None


def finding_facts(finding: Finding, suppression: Suppression | None = None) -> dict:
    """A finding as plain values, for JSON; `suppressed` says who accepted it, where and why (None: nobody)."""
    return {
        "rule": finding.rule_id,
        "verdict": finding.verdict.value,
        "severity": RULES[finding.rule_id].severity,  # an information rule's FAILED is a note (is_note)
        "resource": finding.resource,
        "resource_type": finding.resource_type,
        "message": finding.message,
        "file": finding.file,
        "line": finding.line,
        "path": [str(part) if not isinstance(part, int) else part for part in finding.path],
        "suppressed": None if suppression is None else {
            "tool": suppression.tool, "check": suppression.check_id, "resource": suppression.resource,
            "comment": suppression.comment},
    }
