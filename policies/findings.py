"""What a rule concludes about one hop: a verdict, the resource it is reported on, and where to fix it."""

from __future__ import annotations

import enum
import functools
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable


class Verdict(str, enum.Enum):
    PASSED = "PASSED"  # proved to work
    FAILED = "FAILED"  # proved broken, in at least one deployment the template allows
    UNKNOWN = "UNKNOWN"  # depends on a value static analysis cannot know


# Path of a property inside the scanned document, e.g.
# ("Resources", "AlbSg", "Properties", "SecurityGroupIngress", 0, "FromPort").
PropertyPath = tuple


@dataclass(eq=False, repr=False)
class Finding:
    """A rule's verdict on one hop of one resource, with the property to fix and where it is."""

    rule_id: str
    verdict: Verdict
    # The resource the verdict is reported on: its logical id (CloudFormation; in an application of several
    # stacks, qualified by its stack: "ProductService/Service") or its address (Terraform).
    resource: str
    resource_type: str
    message: str
    path: PropertyPath = ()  # the property to fix, inside `file`; cfn-lint squiggles it
    # Tells the line of a path in `file` (see `line`); None where paths have no lines (Terraform).
    line_of: Callable[[PropertyPath], int | None] | None = None
    hop: str = ""  # identifies the hop inside the resource, so verdicts of several hops stay apart
    conditions: tuple = field(default=(), compare=False)  # (condition, bool) pairs of a failing scenario
    # Of an UNKNOWN verdict: the values the template gets wrong (Unreadable: why, and where) that kept the rule
    # from a verdict. Empty when it waits only for deploy-time values.
    unreadable: tuple = field(default=(), compare=False)
    # The scanned file `path` and `line` are in: where the fix goes, which in an application of several stacks
    # may be another template than the resource's. None where the analysis has a single source (Terraform).
    file: str | None = field(default=None, compare=False)

    @property
    def line(self) -> int | None:
        """1-based line of `path` in `file`. Told when asked, not when the finding is made: the tools' adapters
        never ask (checkov and cfn-lint find lines themselves), and most findings pass and are shown nowhere."""
        return self.line_of(self.path) if self.line_of is not None else None


@dataclass(eq=False, repr=False)
class Unreadable:
    """A value the template gets wrong that kept a rule from a verdict: why, and where (as Finding's)."""

    reason: str
    file: str | None
    path: PropertyPath
    line: int | None


def same_file(left: str | None, right: str | None) -> bool:
    """Whether two paths name one file, however each tool spelled it (relative, absolute, ./...)."""
    if left is None or right is None:
        return False
    return left == right or os.path.abspath(left) == os.path.abspath(right)


def fix_resource(finding: Finding) -> tuple:
    """(file, resource) of the resource a fix of `finding` edits: the one its path points into, which cfn-lint
    underlines. That is often not the resource the verdict is reported on: a service's HOP303 is fixed in a
    security group or in an AWS::EC2::SecurityGroupIngress resource.

    `file` is the template the path lies in (Finding.file; None for a Terraform configuration); the resource is a
    CloudFormation logical id in that template (the path is Resources/<id>/...) or a Terraform address (the path
    starts with it). A finding whose path leads into no resource is fixed on the resource it is reported on.
    """
    path = finding.path
    if len(path) >= 2 and path[0] == "Resources" and isinstance(path[1], str):
        return finding.file, path[1]
    if path and isinstance(path[0], str) and "::" not in finding.resource_type and path[0] != "Resources":
        return finding.file, path[0]
    return finding.file, finding.resource


def worst_verdict(verdicts: Iterable[Verdict]) -> Verdict | None:
    """FAILED beats UNKNOWN beats PASSED; None when there is nothing to judge."""
    seen = set(verdicts)
    for verdict in (Verdict.FAILED, Verdict.UNKNOWN, Verdict.PASSED):
        if verdict in seen:
            return verdict
    return None


@dataclass(eq=False, repr=False)
class Analysis:
    """Every finding of every rule for one input: a template, an application of templates, a configuration."""

    source: str
    findings: list = field(default_factory=list)
    # Why the input could not be judged at all (unreadable file, not a template); empty when it could.
    problems: list = field(default_factory=list)
    # What could not be followed but did not keep the input from being judged (a deployment description that
    # names no scanned template, nested stacks beyond the bound).
    notes: list = field(default_factory=list)
    # The deployments judged (policies.evaluate.Deployment: condition values and topology), for reports.
    deployments: list = field(default_factory=list)
    # The CloudFormation application judged (policies.application.Application), None for other inputs:
    # tells which of its resources a scanned file's logical id stands for.
    application: Any = field(default=None, repr=False, compare=False)
    # Findings by (rule, resource), by the absolute path of their file and by whether they have unreadable values,
    # with how many findings each covers; rebuilt when findings were added (see _grouped).
    _by_subject: tuple = field(default=(-1, None), init=False, repr=False, compare=False)
    _by_file: tuple = field(default=(-1, None), init=False, repr=False, compare=False)
    _by_readability: tuple = field(default=(-1, None), init=False, repr=False, compare=False)

    def for_rule(self, rule_id: str) -> list:
        return [f for f in self.findings if f.rule_id == rule_id]

    def for_resource(self, rule_id: str, resource: str) -> list:
        """Asked by checkov once per check and resource."""
        by_subject = self._grouped("_by_subject", lambda finding: (finding.rule_id, finding.resource))
        return list(by_subject.get((rule_id, resource), ()))

    def in_file(self, source: str) -> list:
        """The findings whose property to fix lies in the file `source`, however each tool spelled its path (see
        same_file). Asked by cfn-lint once per template of an application."""
        absolute = functools.cache(os.path.abspath)  # one abspath per file, not per finding
        by_file = self._grouped("_by_file", lambda finding: absolute(finding.file) if finding.file else None)
        return list(by_file.get(os.path.abspath(source), ()))

    def with_unreadable_values(self) -> list:
        """The UNKNOWN findings kept from a verdict by values the template gets wrong (Finding.unreadable). Asked by
        cfn-lint once per template of an application."""
        by_readability = self._grouped(
            "_by_readability", lambda finding: finding.verdict is Verdict.UNKNOWN and bool(finding.unreadable))
        return list(by_readability.get(True, ()))

    def _grouped(self, index: str, key: Callable[[Finding], Any]) -> dict:
        """The findings grouped by `key`, kept in the field `index` until findings are added: the tools ask once
        per resource or template, and scanning every finding each time would make a run quadratic."""
        grouped_findings, groups = getattr(self, index)
        if grouped_findings != len(self.findings):
            groups = {}
            for finding in self.findings:
                groups.setdefault(key(finding), []).append(finding)
            setattr(self, index, (len(self.findings), groups))
        return groups

    def verdict(self, rule_id: str, resource: str) -> tuple:
        """(verdict, findings) of one rule on one resource; verdict None when the rule does not apply."""
        findings = self.for_resource(rule_id, resource)
        return worst_verdict(f.verdict for f in findings), findings
