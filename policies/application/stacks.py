"""Stacks: the templates of a scan as CloudFormation deploys them, nested in one another, and the applications
they form.

A template is deployed as one stack or more: once for each `AWS::CloudFormation::Stack` of a scanned parent
whose TemplateURL names it, once for each stack a deployment description declares (policies.cloudformation.
deployment_files), or else once on its own, as a root stack. An application is a set of stacks joined by
nesting and by imports of each other's exports (policies.application.exports); its resources are named by their
logical ids, qualified by their stack's label where it holds several stacks ("ProductService/Service").
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any

from policies.application.names import is_local_path, name_pattern, path_components, url_path_parts
from policies.cloudformation.intrinsics import NESTED_STACK, Resolver
from policies.values import Unknown, malformed

MAX_STACKS = 2_000  # CloudFormation's own quota is 2,000 stacks per account and Region


class Stack:
    """One deployment of a template: where its parameter values come from, its name, its nested stacks.

    A Stack also marks its resources' properties: in an application of several stacks, every property path
    starts with its stack, so a finding knows the file and line of the property to fix.
    """

    def __init__(self, template: Any, declaration: Any = None, parent: Stack | None = None,
                 parent_resource: str | None = None) -> None:
        self.template = template  # policies.cloudformation.loader.ScannedTemplate
        self.name = declaration.name if declaration is not None else None  # AWS::StackName when known
        self.given = dict(declaration.parameters) if declaration is not None else {}  # parameter -> text
        # A stack a deployment description declares is that one deployment: a parameter it does not give takes
        # its Default. The parameters of other root stacks are choices made at deploy time.
        self.declared = declaration is not None
        self.parent = parent
        self.parent_resource = parent_resource  # logical id of the AWS::CloudFormation::Stack in the parent
        self.children: dict = {}  # logical id of a nested stack resource -> Stack, or Unknown (not followed)
        self.label = ""  # unique in the application; "" where it needs none
        self.root: tuple = ()  # prefix of the paths of its properties: (self,) in an application of several

    @property
    def source(self) -> str:
        return self.template.source

    @property
    def document(self) -> dict:
        return self.template.template

    def qualify(self, logical_id: str) -> str:
        """The id of one of its resources in the application."""
        return f"{self.label}/{logical_id}" if self.label else logical_id

    def ancestors(self) -> list:
        found, stack = [], self.parent
        while stack is not None:
            found.append(stack)
            stack = stack.parent
        return found

    def __str__(self) -> str:
        return self.label or self.source

    def __repr__(self) -> str:
        return f"Stack({self.label or '-'} of {self.source})"


class Application:
    """Stacks joined by nesting and imports, judged together."""

    def __init__(self, stacks: list, notes: list | None = None) -> None:
        self.stacks = stacks
        self.notes = list(notes or [])  # what hoplint could not follow, judged without (e.g. a description's)
        self.exports: Any = None  # policies.application.exports.ExportIndex, set by join
        several = len(stacks) > 1
        for stack in stacks:
            stack.root = (stack,) if several else ()
        self._by_source: dict = {}
        for stack in stacks:
            self._by_source.setdefault(os.path.abspath(stack.source), []).append(stack)
        self._by_named_source: dict = {}  # a file as a host names it -> _by_source's stacks: asked once per resource

    @property
    def sources(self) -> list:
        """The application's template files, each once, in the order of its stacks."""
        return list(dict.fromkeys(stack.source for stack in self.stacks))

    @property
    def label(self) -> str:
        """How reports name the application: its only template, or the directory holding all of them."""
        sources = self.sources
        if len(sources) == 1:
            return sources[0]
        try:  # as the tool named them, when they are all relative or all absolute
            return os.path.commonpath(sources) or "."
        except ValueError:
            return os.path.commonpath([os.path.abspath(source) for source in sources])

    def stacks_of(self, source: str) -> list:
        if source not in self._by_named_source:
            self._by_named_source[source] = tuple(self._by_source.get(os.path.abspath(source), ()))
        return list(self._by_named_source[source])

    def resource_ids(self, source: str, logical_id: str) -> list:
        """The ids the resource `logical_id` of the file `source` has in the application: one per stack
        deploying the file."""
        return [stack.qualify(logical_id) for stack in self.stacks_of(source)]

    def locate(self, path: tuple) -> tuple:
        """(file, path inside it, the file's line finder or None) of a property path of the application."""
        if path and isinstance(path[0], Stack):
            stack, inner = path[0], path[1:]
        else:
            stack, inner = self.stacks[0], path
        return stack.source, inner, stack.template.line_of

    def stack_of_path(self, path: tuple) -> Stack:
        return path[0] if path and isinstance(path[0], Stack) else self.stacks[0]


def deploy(templates: list, declarations: list, template_aliases: dict, notes: list) -> list:
    """Every stack deploying the `templates` (ScannedTemplates that can be judged), nested ones included."""
    matcher = TemplateMatcher(templates, template_aliases)
    declared: dict = {}  # template -> its declarations
    for declaration in declarations:
        found = matcher.declared(declaration)
        if isinstance(found, str):
            notes.append(found)
        else:
            declared.setdefault(found, []).append(declaration)
    nested = {template: matcher.nested_stacks(template) for template in templates}
    targets = {target for children in nested.values() for target in children.values() if not isinstance(target, Unknown)}
    roots = [template for template in templates if template not in targets or template in declared]
    reached = _reachable(roots, nested)
    # Templates only nested by one another in a circle have no root: each is deployed on its own, so that the
    # circle is reported where it is.
    roots += [template for template in templates if template not in reached and template not in roots]
    stacks: list = []
    for template in roots:
        for declaration in declared.get(template, [None]):
            _expand(Stack(template, declaration), nested, stacks, notes)
    return stacks


def _reachable(roots: list, nested: dict) -> set:
    seen, pending = set(roots), list(roots)
    while pending:
        for target in nested[pending.pop()].values():
            if not isinstance(target, Unknown) and target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def _expand(root: Stack, nested: dict, stacks: list, notes: list) -> None:
    """Add `root` and the stacks nested in it, a level after the other, in the order the templates declare
    them, to `stacks`."""
    pending = deque([root])
    while pending:
        stack = pending.popleft()
        stacks.append(stack)
        above = [stack.template] + [ancestor.template for ancestor in stack.ancestors()]
        for resource, target in nested[stack.template].items():
            if isinstance(target, Unknown):
                stack.children[resource] = target
            elif target in above:
                stack.children[resource] = malformed(
                    f"nested stack {resource} of {stack.source} deploys {target.source}, which deploys it in turn")
            elif len(stacks) + len(pending) >= MAX_STACKS:
                stack.children[resource] = Unknown(f"nested stack {resource}: more than {MAX_STACKS} stacks")
                if not any("more than" in note for note in notes):
                    notes.append(f"more than {MAX_STACKS} stacks: nested stacks beyond them are not followed")
            else:
                child = Stack(target, parent=stack, parent_resource=resource)
                stack.children[resource] = child
                pending.append(child)


class TemplateMatcher:
    """Which scanned template a deployment description or a nested stack's TemplateURL names: the one whose
    path ends with the most path components of the name."""

    def __init__(self, templates: list, template_aliases: dict) -> None:
        self.templates = templates
        self.components = {template: path_components(template.source) for template in templates}
        self.by_path = {os.path.abspath(template.source): template for template in templates}
        self.aliases = template_aliases

    def declared(self, declaration: Any) -> Any:
        """The template a StackDeclaration names, or a note saying why none."""
        wanted = tuple(part for part in declaration.template.replace("\\", "/").split("/") if part not in ("", "."))
        found = self._ending_with(wanted, partial_first=False)
        if len(found) == 1:
            return found[0]
        if found:
            return (f"{declaration.declared_in}: template {declaration.template} matches several scanned templates: "
                    f"{', '.join(sorted(template.source for template in found))}")
        return f"{declaration.declared_in}: template {declaration.template} is not among the scanned templates"

    def nested_stacks(self, template: Any) -> dict:
        """Logical id of each AWS::CloudFormation::Stack of `template` -> the scanned template it deploys, or
        Unknown saying why it cannot be told."""
        resources = template.template.get("Resources", {})
        resolver = None
        found = {}
        for logical_id, declaration in resources.items():
            if not (isinstance(declaration, dict) and declaration.get("Type") == NESTED_STACK):
                continue
            properties = declaration.get("Properties")
            url = properties.get("TemplateURL") if isinstance(properties, dict) else None
            if url is None:
                found[logical_id] = malformed(f"nested stack {logical_id} has no TemplateURL")
                continue
            resolver = resolver or Resolver(template.template)
            found[logical_id] = self.deployed_by(name_pattern(resolver, url), template, logical_id)
        return found

    def deployed_by(self, url: Any, parent: Any, logical_id: str) -> Any:
        if is_local_path(url):
            local = os.path.abspath(os.path.join(os.path.dirname(parent.source), url.literal))
            if local in self.by_path:
                return self.by_path[local]
        tail = url_path_parts(url)
        if tail is None:
            return Unknown(f"the template of nested stack {logical_id} is not known: TemplateURL {url}")
        alias = self.aliases.get(tail[-1])
        if alias is not None and alias in self.by_path:
            return self.by_path[alias]
        found = self._ending_with(tail, partial_first=url.literal is None)
        if len(found) == 1:
            return found[0]
        if found:
            return Unknown(f"the template of nested stack {logical_id} is not known: TemplateURL {url} ends like "
                           f"{', '.join(sorted(template.source for template in found))}")
        return Unknown(f"nested stack {logical_id} deploys {url}, which is not among the scanned templates")

    def _ending_with(self, wanted: tuple, partial_first: bool) -> list:
        """Templates whose path ends with `wanted` (its first component possibly the tail of a longer one), the
        ones matching most components; a file name must match whole."""
        if not wanted or not wanted[-1]:
            return []
        best, found = 0, []
        for template, components in self.components.items():
            matched = _matching_tail(components, wanted, partial_first)
            if matched > best:
                best, found = matched, [template]
            elif matched == best and matched:
                found.append(template)
        return found


def _matching_tail(components: tuple, wanted: tuple, partial_first: bool) -> int:
    """How many trailing components of `wanted` end `components` (0 when the file name differs)."""
    matched = 0
    for offset in range(1, min(len(components), len(wanted)) + 1):
        mine, theirs = components[-offset], wanted[-offset]
        first = offset == len(wanted)
        if mine == theirs or (first and partial_first and theirs and mine.endswith(theirs)):
            matched += 1
        else:
            break
    return matched


def label_stacks(stacks: list) -> None:
    """Give each stack of an application of several a short label, unique in it: a nested stack is named by
    its resource in the parent, a root stack by its name, else by its file name."""
    if len(stacks) < 2:
        return
    roots = [stack for stack in stacks if stack.parent is None]
    taken: set = set()
    for stack in roots:
        if len(roots) == 1:
            stack.label = ""
            continue
        stem = os.path.splitext(os.path.basename(stack.source))[0]
        candidates = [stack.name] if stack.name else []
        candidates += [stem, _relative_stem(stack.source)]
        label = next((candidate for candidate in candidates if candidate and candidate not in taken), None)
        stack.label = label or f"{stem}-{len(taken)}"
        taken.add(stack.label)
    for stack in stacks:  # parents come before their children in `stacks`
        if stack.parent is not None:
            base = f"{stack.parent.label}/" if stack.parent.label else ""
            stack.label = f"{base}{stack.parent_resource}"


def _relative_stem(source: str) -> str:
    relative = os.path.relpath(os.path.abspath(source))
    return os.path.splitext(relative)[0].replace(os.sep, "/")

