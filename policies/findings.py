"""What a rule concludes about one hop: a verdict, the resource it is reported on, and where to fix it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable


class Verdict(str, enum.Enum):
    PASSED = "PASSED"  # proved to work
    FAILED = "FAILED"  # proved broken, in at least one deployment the template allows
    UNKNOWN = "UNKNOWN"  # depends on a value static analysis cannot know


# Path of a property inside the scanned document, e.g.
# ("Resources", "AlbSg", "Properties", "SecurityGroupIngress", 0, "FromPort").
PropertyPath = tuple


@dataclass(frozen=True)
class Finding:
    rule_id: str
    verdict: Verdict
    resource: str  # logical id (CloudFormation) or address (Terraform) the verdict is reported on
    resource_type: str
    message: str
    path: PropertyPath = ()  # the property to fix; cfn-lint squiggles it
    line: int | None = None  # 1-based line of `path` in the scanned file
    hop: str = ""  # identifies the hop inside the resource, so verdicts of several hops stay apart
    conditions: tuple = field(default=(), compare=False)  # (condition, bool) pairs of a failing scenario
    # Of an UNKNOWN verdict: the values the template gets wrong (policies.values.Unknown, malformed, with
    # their paths) that kept the rule from a verdict. Empty when it waits only for deploy-time values.
    unreadable: tuple = field(default=(), compare=False)
    # The file `path` and `line` lie in when it is not the analysed source (a stack of a multi-stack
    # application whose fix lies in another template); None: the analysed source.
    file: str | None = field(default=None, compare=False)


def fix_resource(finding: Finding) -> tuple:
    """(file, resource) of the resource a fix of `finding` edits: the one its path points into, which cfn-lint
    underlines. That is often not the resource the verdict is reported on: a service's HOP303 is fixed in a
    security group or in an AWS::EC2::SecurityGroupIngress resource.

    `file` is None for the analysed source itself (see Finding.file); the resource is a CloudFormation logical
    id (the path is Resources/<id>/...) or a Terraform address (the path starts with it). A finding whose path
    leads into no resource is fixed on the resource it is reported on.
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
