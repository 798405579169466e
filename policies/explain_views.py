"""Three views of explained paths: a terminal listing, a Mermaid flowchart, and JSON."""

from __future__ import annotations

import json
import textwrap
from typing import Iterable

from policies.explain import (
    CLIENT, SKIPPED, Check, Explanation, HopPath, Node, finding_facts, is_note)
from policies.findings import Finding, Verdict
from policies.suppressions import Suppression

NOTE = "note"  # the status of a FAILED finding of an information rule (HOP206), which fails nothing
# What a check's status, or a finding's, reads as; None: no rule gave a verdict (it does not apply, or a broken
# prerequisite is reported by the rule that owns it); SKIPPED: what did not pass is accepted.
STATUS_WORD = {Verdict.PASSED: "pass", Verdict.FAILED: "FAIL", Verdict.UNKNOWN: "unknown", NOTE: "note",
               SKIPPED: "skipped", None: "n/a"}
ANSI = {Verdict.PASSED: "\033[32m", Verdict.FAILED: "\033[1;31m", Verdict.UNKNOWN: "\033[33m", NOTE: "\033[36m",
        SKIPPED: "\033[35m",
        None: "\033[2m"}
ANSI_BOLD, ANSI_RESET = "\033[1m", "\033[0m"


def finding_status(finding: Finding) -> Verdict | str:
    return NOTE if is_note(finding) else finding.verdict


def when_text(path: HopPath) -> str:
    return ", ".join(f"{name} is {str(value).lower()}" for name, value in path.when)


# Terminal


def render_text(explanations: list, color: bool) -> str:
    def paint(text: str, style: str) -> str:
        return f"{style}{text}{ANSI_RESET}" if color else text

    def row(status: Verdict | str | None, name: str, text: str) -> str:
        return f"    {paint(f'{STATUS_WORD[status]:<8}', ANSI[status])} {name:<14} {text}"

    def finding_row(name: str, finding: Finding, reason: str, suppression: Suppression | None) -> str:
        where = ""
        if finding.line and finding.verdict is not Verdict.PASSED:
            # In an application of several templates, the file too: the fix may be in another one.
            where = f"  ({finding.file}:{finding.line})" if several_files and finding.file else f"  (line {finding.line})"
        if suppression is not None:
            return row(SKIPPED, name, f"{finding.rule_id}  ({suppression.reason}) {reason}{where}")
        return row(finding_status(finding), name, f"{finding.rule_id}  {reason}{where}")

    def rows(name: str, check: Check, reason) -> list:
        """A row per finding that did not pass; the rule ids of those that passed share one row."""
        lines = [finding_row(name, f, reason(f), check.suppression(f))
                 for f in check.findings if f.verdict is not Verdict.PASSED]
        passed = sorted({f.rule_id for f in check.findings if f.verdict is Verdict.PASSED})
        return lines + ([row(Verdict.PASSED, name, " ".join(passed))] if passed else [])

    lines = []
    several_files = False
    for explanation in explanations:
        if explanation.problems:
            continue
        several_files = bool(explanation.files)
        lines.append(paint(explanation.source, ANSI_BOLD))
        if several_files:
            lines.append(f"  templates: {', '.join(explanation.files)}")
        if not explanation.paths:
            lines.append("  no ALB -> ECS path: no ECS service registers in a target group here")
        for path in explanation.paths:
            chain = " -> ".join(node.label if node.kind == CLIENT else paint(node.label, ANSI[node.check.status])
                                for node in path.nodes)
            lines.append(f"  {chain}" + (f"  (when {when_text(path)})" if path.when else ""))
            for gate in path.gates:
                # A gate shows its reason even when it passes: that is what a reader checks it by.
                lines.extend(finding_row(gate.name, f, path.reason(f), gate.suppression(f)) for f in gate.findings)
                if not gate.findings:
                    lines.append(row(None, gate.name, "no rule judges this gate on this path"))
            for node in path.nodes[1:]:
                lines.extend(rows(node.kind, node.check, path.reason))
        if explanation.unplaced:
            lines.append("  not on any path:")
            by_resource: dict = {}
            for finding in explanation.unplaced:
                by_resource.setdefault(finding.resource, []).append(finding)
            for resource, findings in by_resource.items():
                lines.extend(rows(resource, explanation.check(resource, tuple(findings)), lambda f: f.message))
        lines.append("")
    lines.append(_summary(explanations))
    return "\n".join(lines) + "\n"


def summary_counts(explanations: list) -> dict:
    """How many inputs and paths, by status: the last line of the text view, and `summary` in JSON."""
    analysed = [e for e in explanations if not e.problems]
    paths = [path for e in analysed for path in e.paths]
    statuses = [path.status for path in paths]
    return {
        "inputs": {e.noun: sum(1 for other in analysed if other.noun == e.noun) for e in analysed},
        "unreadable": len(explanations) - len(analysed),
        "paths": len(paths),
        "failed": statuses.count(Verdict.FAILED),
        "unknown": statuses.count(Verdict.UNKNOWN),
        "skipped": statuses.count(SKIPPED),
        "passed": statuses.count(Verdict.PASSED),
        "failed_on_no_path": sum(1 for e in analysed for f in e.unplaced
                                 if f.verdict is Verdict.FAILED and not is_note(f) and id(f) not in e.suppressed),
    }


def _summary(explanations: list) -> str:
    counts = summary_counts(explanations)
    inputs = ", ".join(_counted(count, noun) for noun, count in (counts["inputs"] or {"template": 0}).items())
    text = (f"{inputs}, {_counted(counts['paths'], 'path')}: "
            f"{counts['failed']} failed, {counts['unknown']} unknown, {counts['passed']} passed")
    text += f", {counts['skipped']} skipped" if counts["skipped"] else ""
    off_path = counts["failed_on_no_path"]
    return text + (f"; {_counted(off_path, 'failed finding')} on no path" if off_path else "")


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


# Mermaid

MERMAID_CLASS = {Verdict.PASSED: "passed", Verdict.FAILED: "failed", Verdict.UNKNOWN: "unknown", NOTE: "note",
                 SKIPPED: "skipped",
                 None: "unjudged"}
MERMAID_CLASS_STYLES = {
    "passed": "fill:#dafbe1,stroke:#1a7f37,color:#1f2328",
    "failed": "fill:#ffebe9,stroke:#cf222e,color:#1f2328",
    "unknown": "fill:#fff8c5,stroke:#9a6700,color:#1f2328",
    "note": "fill:#ddf4ff,stroke:#0969da,color:#1f2328",
    "skipped": "fill:#fbefff,stroke:#8250df,color:#1f2328",
    "unjudged": "fill:#f6f8fa,stroke:#8c959f,color:#1f2328",
}
FAILED_LINK_STYLE = "stroke:#cf222e,stroke-width:2px"
NOTE_WIDTH = 60  # characters per line of a note: Mermaid does not wrap plain labels


def mermaid_text(text: str) -> str:
    """Label text for a double-quoted Mermaid string: characters Mermaid would read as syntax become entities."""
    for character, entity in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;")):
        text = text.replace(character, entity)
    return text


def _lines(*lines: str) -> str:
    return "<br/>".join(mermaid_text(line) for line in lines)


class _Flowchart:
    def __init__(self) -> None:
        self.lines = ["flowchart LR"]
        self.node_ids: dict = {}  # (template number, node key) -> Mermaid id
        self.node_checks: dict = {}  # Mermaid id -> (findings by id, accepted ones by id)
        self.links: list = []  # (from, arrow, label, to)
        self.failed_links: list = []  # indexes into links

    def node(self, template: int, node: Node) -> str:
        key = (template, node.key)
        if key not in self.node_ids:
            self.node_ids[key] = f"t{template}n{len(self.node_ids) + 1}"
            shape = ('(["', '"])') if node.kind == CLIENT else ('["', '"]')
            self.lines.append(f"    {self.node_ids[key]}{shape[0]}{_lines(node.label)}{shape[1]}")
        mermaid_id = self.node_ids[key]
        if node.kind != CLIENT:
            findings, suppressed = self.node_checks.setdefault(mermaid_id, ({}, {}))
            findings.update({id(f): f for f in node.check.findings})
            suppressed.update(node.check.suppressed)
        return mermaid_id

    def link(self, source: str, target: str, label: str = "", arrow: str = "-->", failed: bool = False) -> None:
        if (source, arrow, label, target) in self.links:
            return
        if failed:
            self.failed_links.append(len(self.links))
        self.links.append((source, arrow, label, target))
        text = f'|"{label}"|' if label else ""
        self.lines.append(f"    {source} {arrow}{text} {target}")

    def note(self, template: int, finding: Finding, reason: str, attached_to: str | None,
             suppression: Suppression | None) -> None:
        """A flag beside `attached_to` (or alone) with a finding that did not pass, once per finding."""
        key = (template, f"note:{id(finding)}")
        if key in self.node_ids:
            return
        note_id = self.node_ids[key] = f"t{template}n{len(self.node_ids) + 1}"
        status = finding_status(finding) if suppression is None else SKIPPED
        if suppression is not None:
            reason = f"({suppression.reason}) {reason}"
        text = _lines(f"{STATUS_WORD[status]} {finding.rule_id}", *textwrap.wrap(reason, NOTE_WIDTH))
        self.lines.append(f"    {note_id}>\"{text}\"]")
        self.lines.append(f"    class {note_id} {MERMAID_CLASS[status]}")
        if attached_to:
            self.link(attached_to, note_id, arrow="-.-")

    def finish(self) -> str:
        for name, style in MERMAID_CLASS_STYLES.items():
            self.lines.append(f"  classDef {name} {style}")
        by_class: dict = {}
        for mermaid_id, (findings, suppressed) in self.node_checks.items():
            status = Check("", tuple(findings.values()), suppressed).status
            by_class.setdefault(MERMAID_CLASS[status], []).append(mermaid_id)
        for name, ids in by_class.items():
            self.lines.append(f"  class {','.join(ids)} {name}")
        if self.failed_links:
            self.lines.append(f"  linkStyle {','.join(map(str, self.failed_links))} {FAILED_LINK_STYLE}")
        return "\n".join(self.lines) + "\n"


def render_mermaid(explanations: list) -> str:
    """A flowchart (GitHub renders it in a ```mermaid block): one subgraph per template, nodes shared by paths,
    gates on the links, and a note for every finding that did not pass."""
    chart = _Flowchart()
    for number, explanation in enumerate((e for e in explanations if not e.problems), start=1):
        chart.lines.append(f"  subgraph t{number}[\"{_lines(explanation.source)}\"]")
        chart.lines.append("    direction LR")
        for path in explanation.paths:
            client, listener, group, service = (chart.node(number, node) for node in path.nodes)
            entry_gates, exit_gates = path.entry_gates, path.exit_gates
            chart.link(client, listener, _gate_label(entry_gates), failed=_any_failed(entry_gates))
            chart.link(listener, group, _lines(f"when {when_text(path)}") if path.when else "")
            chart.link(group, service, _gate_label(exit_gates), failed=_any_failed(exit_gates))
            node_ids = (client, listener, group, service)
            attached = ((listener, entry_gates), (service, exit_gates),
                        *((node_id, (node.check,)) for node, node_id in zip(path.nodes, node_ids)))
            for attached_to, checks in attached:
                for check, finding in _not_passed(checks):
                    chart.note(number, finding, path.reason(finding), attached_to, check.suppression(finding))
        for check, finding in _not_passed((explanation.unplaced_check,)):
            chart.note(number, finding, finding.message, None, check.suppression(finding))
        chart.lines.append("  end")
    return chart.finish()


def _gate_label(gates: Iterable[Check]) -> str:
    return _lines(*(f"{gate.name}: {STATUS_WORD[gate.status]}" for gate in gates))


def _any_failed(checks: Iterable[Check]) -> bool:
    return any(check.verdict is Verdict.FAILED for check in checks)


def _not_passed(checks: Iterable[Check]) -> list:
    """(check, finding) of each finding of `checks` that did not pass."""
    return [(check, f) for check in checks for f in check.findings if f.verdict is not Verdict.PASSED]


# JSON


def render_json(explanations: list) -> str:
    def status(value: Verdict | str | None) -> str | None:
        return value.value if isinstance(value, Verdict) else value

    def check_facts(check: Check) -> dict:
        return {"verdict": status(check.status),
                "findings": [finding_facts(f, check.suppression(f)) for f in check.findings]}

    def path_facts(path: HopPath) -> dict:
        return {
            "verdict": status(path.status),
            "when": {name: value for name, value in path.when},
            "label": " -> ".join(node.label for node in path.nodes),
            "nodes": [dict(kind=node.kind, label=node.label, **node.facts, **check_facts(node.check))
                      for node in path.nodes],
            "gates": [dict(gate=gate.name, **check_facts(gate)) for gate in path.gates],
        }

    def template_facts(explanation: Explanation) -> dict:
        return {
            "source": explanation.source,
            "files": explanation.files or [explanation.source],
            "problems": explanation.problems,
            "paths": [path_facts(path) for path in explanation.paths],
            "other_findings": check_facts(explanation.unplaced_check)["findings"],
        }

    return json.dumps({"summary": summary_counts(explanations),
                       "templates": [template_facts(e) for e in explanations]}, indent=2) + "\n"
