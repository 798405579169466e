"""Applications: the templates one run scans, joined the way CloudFormation joins them.

    scan = join(templates, description)        # ScannedTemplates, and the deployment description of the scan
    for application in scan.applications:      # stacks joined by nesting and by imports of exports
        ...                                    # policies.analysis judges each one as a whole
    scan.problems                              # file -> why it cannot be judged

Nested stacks (`AWS::CloudFormation::Stack` whose TemplateURL names a scanned template) receive their parent's
`Parameters` and give back `!GetAtt Child.Outputs.X`; `Fn::ImportValue` reads the export of the stack that
exports that name (policies.application.exports); deployment descriptions name stacks and give parameter
values (policies.cloudformation.deployment_files). Templates joined by none of these are applications of one
stack each, judged as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from policies.application.exports import exports_of, infer_stack_names
from policies.application.scenarios import ConditionSpace
from policies.application.scopes import Scenario
from policies.application.stacks import Application, Stack, deploy, label_stacks
from policies.cloudformation.conditions import ConditionDefinitions
from policies.cloudformation.deployment_files import Description
from policies.cloudformation.loader import read_template_file
from policies.document_limits import document_problem
from policies.values import shown

__all__ = ["Application", "Scan", "Stack", "join", "template_problems"]


@dataclass(eq=False, repr=False)
class Scan:
    """The applications of one scan, and the files in it that cannot be judged."""

    applications: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)  # file -> why it cannot be judged
    notes: list = field(default_factory=list)  # what could not be followed: judged without it

    def application_of(self, source: str) -> Application | None:
        for application in self.applications:
            if application.stacks_of(source):
                return application
        return None


def join(templates: list, description: Description | None = None) -> Scan:
    """The applications the scanned `templates` (policies.cloudformation.loader.ScannedTemplate) form."""
    description = description or Description()
    scan = Scan(notes=list(description.problems))
    templates = list(templates) + _described_elsewhere(templates, description)
    judgeable = []
    for template in templates:
        problems = template_problems(template)
        if problems:
            scan.problems[template.source] = problems
        else:
            judgeable.append(template)
    stacks = deploy(judgeable, description.stacks, description.template_aliases, scan.notes)
    whole = Application(stacks)  # every stack of the scan, to find which are joined to which
    names = Scenario(whole, ConditionSpace(whole))  # parameter defaults: how export and import names read
    whole.exports = exports_of(stacks, names)
    links = infer_stack_names(stacks, whole.exports, names)
    links += [(stack, stack.parent) for stack in stacks if stack.parent is not None]
    for group in _joined(stacks, links):
        label_stacks(group)
        application = Application(group, scan.notes)
        application.exports = whole.exports
        scan.applications.append(application)
    return scan


def template_problems(template: Any) -> list:
    """Why a scanned template cannot be judged at all; empty when it can."""
    source = template.source
    if template.problem:
        return [template.problem]
    document = template.template
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        return [f"{source}: not a CloudFormation template (no Resources mapping)"]
    too_much = None if template.measured else document_problem(document)
    if too_much:
        return [f"{source}: not analysed: {too_much}"]
    # A resource whose kind cannot be read could be the one that decides a hop (an egress rule takes away a
    # group's default allow-all egress).
    unreadable = [f"{source}: resource {shown(resource_id)} has no Type naming its kind"
                  for resource_id, declaration in document["Resources"].items()
                  if not (isinstance(declaration, dict) and isinstance(declaration.get("Type"), str))]
    if unreadable:
        return unreadable
    return [f"{source}: conditions cannot be evaluated: {problem}"
            for problem in ConditionDefinitions(document).problems]


def _described_elsewhere(templates: list, description: Description) -> list:
    """Templates a deployment description names that the scan does not hold (an editor lints one file of an
    application): read from where the description says they are, inside the description's directory."""
    scanned = {os.path.abspath(template.source) for template in templates}
    found = []
    for declaration in description.stacks:
        if not declaration.base:
            continue
        path = os.path.abspath(os.path.join(declaration.base, declaration.template))
        inside = os.path.commonpath([path, os.path.abspath(declaration.base)]) == os.path.abspath(declaration.base)
        if inside and path not in scanned and os.path.isfile(path):
            scanned.add(path)
            found.append(read_template_file(os.path.relpath(path)))
    return found


def _joined(stacks: list, links: list) -> list:
    """The groups of stacks joined by `links`, each in the order of `stacks`."""
    leader = {stack: stack for stack in stacks}

    def find(stack: Stack) -> Stack:
        while leader[stack] is not stack:
            leader[stack] = leader[leader[stack]]
            stack = leader[stack]
        return stack

    for one, other in links:
        leader[find(one)] = find(other)
    groups: dict = {}
    for stack in stacks:
        groups.setdefault(find(stack), []).append(stack)
    return list(groups.values())
