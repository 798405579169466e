"""Findings a user accepted: checkov skips and cfn-lint's ignore_checks, read once for every front-end.

A user silences a hoplint rule in the syntax of the tool they run, on one resource:

- checkov: `Metadata: checkov: skip: [{id: CKV_HOP_303, comment: ...}]` (or `bridgecrew:`) on a
  CloudFormation resource, or a comment `checkov:skip=CKV_HOP_303:<comment>` inside the resource's lines
  (CloudFormation YAML, Terraform);
- cfn-lint: `Metadata: cfn-lint: config: ignore_checks: [E9303]` on a CloudFormation resource, or in the
  template's own `Metadata` (there an entry is a prefix, as on cfn-lint's command line: `E93`).

A suppression covers a finding of its rule when it is written on the resource a fix edits (the one
cfn-lint underlines, `fix_resource`), on the resource the finding is reported on (the ECS service of
HOP303), or template-wide. Where a user writes it should not depend on which tool reports the finding: the
checkov adapter, the cfn-lint adapter and `hoplint explain` all ask `Suppressions.covering`, each for the
syntaxes its users write (explain and cfn-lint honour both; checkov only its own). The ids match as the tools
match them: a checkov id exactly, a resource's cfn-lint id exactly, a template-wide cfn-lint id as a prefix.

Reading never raises: a Metadata entry of the wrong shape is no suppression, as for the tools themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator

from policies.catalog import RULES, Rule
from policies.findings import Finding, fix_resource

CHECKOV, CFN_LINT = "checkov", "cfn-lint"
TOOLS = (CHECKOV, CFN_LINT)
TEMPLATE_WIDE = ""  # the resource of a suppression in the template's own Metadata
# checkov's own pattern for a skip comment (checkov/common/comment/enum.py): the id, then ":" and a comment.
SKIP_COMMENT = re.compile(r"(?:checkov|bridgecrew|cortex):skip= *([A-Za-z_\d-]+(?:,[A-Za-z_\d-]+)*)?(:[^\n]*)?")
# The metadata keys checkov reads skips from (checkov/cloudformation/context_parser.py).
CHECKOV_METADATA_KEYS = ("checkov", "bridgecrew")
# Beyond this a file is no template the engine reads either (policies.analysis.MAX_TEMPLATE_BYTES).
MAX_FILE_BYTES = 10_000_000


@dataclass(frozen=True, repr=False)
class Suppression:
    """A finding the user accepted: a checkov skip or a cfn-lint ignore, as written."""

    tool: str  # CHECKOV or CFN_LINT: whose syntax it is written in
    check_id: str  # as written: "CKV_HOP_303", "E9303"; template-wide cfn-lint entries are prefixes ("E93")
    resource: str  # the logical id or address it is written on; TEMPLATE_WIDE for the template's Metadata
    comment: str  # the reason the user gave; "" when none
    file: str | None = None  # the file it is written in, when not the analysed source (see Finding.file)

    def covers(self, rule: Rule) -> bool:
        if self.tool == CHECKOV:
            return self.check_id == rule.checkov_id
        if self.resource == TEMPLATE_WIDE:
            return bool(self.check_id) and rule.cfn_lint_id.startswith(self.check_id)
        return self.check_id == rule.cfn_lint_id

    @property
    def reason(self) -> str:
        """e.g. "checkov skip on AppService: tasks are reached through a VPC endpoint"."""
        where = "the template" if self.resource == TEMPLATE_WIDE else self.resource
        kind = "checkov skip" if self.tool == CHECKOV else "cfn-lint ignore_checks"
        return f"{kind} {self.check_id} on {where}" + (f": {self.comment}" if self.comment else "")


class Suppressions:
    """The suppressions of one analysed source, by the resource they are written on."""

    def __init__(self, suppressions: Iterable[Suppression] = ()) -> None:
        self._by_place: dict = {}
        for suppression in suppressions:
            self._by_place.setdefault((suppression.file, suppression.resource), []).append(suppression)

    def __iter__(self) -> Iterator:
        return (suppression for suppressions in self._by_place.values() for suppression in suppressions)

    def covering(self, finding: Finding, tools: tuple = TOOLS) -> Suppression | None:
        """The first suppression, in one of `tools`' syntaxes, that silences `finding`; None when none does."""
        rule = RULES.get(finding.rule_id)
        if rule is None or not self._by_place:
            return None
        file, fixed = fix_resource(finding)
        places = dict.fromkeys(((file, fixed), (None, finding.resource), (file, TEMPLATE_WIDE), (None, TEMPLATE_WIDE)))
        for place in places:
            for suppression in self._by_place.get(place, ()):
                if suppression.tool in tools and suppression.covers(rule):
                    return suppression
        return None


def application_suppressions(application: Any) -> Suppressions:
    """The suppressions written in the templates of an application (policies.application.Application), each
    known by its file, and by the id its resource has in the application: a skip on a service covers the
    findings reported on it, whichever template holds their fix."""
    found = []
    read: dict = {}
    for stack in application.stacks:
        if stack.source not in read:
            read[stack.source] = list(cloudformation_suppressions(stack.source))
        for suppression in read[stack.source]:
            found.append(replace(suppression, file=stack.source))
            if suppression.resource != TEMPLATE_WIDE:
                found.append(replace(suppression, file=None, resource=stack.qualify(suppression.resource)))
    return Suppressions(found)


def cloudformation_suppressions(path: str) -> Suppressions:
    """The suppressions written in a CloudFormation template file; none when it cannot be read as one."""
    from policies.cloudformation.loader import load_template_text

    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return Suppressions()
    if len(raw) > MAX_FILE_BYTES:
        return Suppressions()
    document, _, problem = load_template_text(raw, path)
    if problem:
        return Suppressions()
    return document_suppressions(document, raw.decode("utf-8-sig"))


def document_suppressions(document: Any, text: str | None = None) -> Suppressions:
    """The suppressions of a parsed template: its resources' and its own Metadata, and, given the text it was
    read from and a document of policies.cloudformation.loader (which knows each resource's line), the skip
    comments inside each resource's lines."""
    resources = document.get("Resources") if isinstance(document, dict) else None
    if not isinstance(resources, dict):
        return Suppressions()
    found = [Suppression(CFN_LINT, check_id, TEMPLATE_WIDE, "")
             for check_id in _cfn_lint_ignores(document.get("Metadata"))]
    for logical_id, declaration in resources.items():
        metadata = declaration.get("Metadata") if isinstance(declaration, dict) else None
        found += [Suppression(CHECKOV, check_id, str(logical_id), comment)
                  for check_id, comment in _checkov_metadata_skips(metadata)]
        found += [Suppression(CFN_LINT, check_id, str(logical_id), "") for check_id in _cfn_lint_ignores(metadata)]
    if text is not None:
        found += [Suppression(CHECKOV, check_id, str(logical_id), comment)
                  for logical_id, lines in _resource_lines(document, text)
                  for check_id, comment in _skip_comments(lines)]
    return Suppressions(found)


def terraform_suppressions(resources: Iterable) -> Suppressions:
    """The skip comments inside the blocks of Terraform resources: resource dicts of policies.terraform
    (`address`, `file`, `start_line`, `end_line`). checkov reads a comment strictly between a block's first and
    last line."""
    texts: dict = {}
    found = []
    for resource in resources:
        file, start, end = (resource.get(key) for key in ("file", "start_line", "end_line"))
        address = resource.get("address")
        if not (isinstance(file, str) and file.endswith(".tf") and isinstance(start, int) and isinstance(end, int)
                and isinstance(address, str)):
            continue
        if file not in texts:
            texts[file] = _text(file)
        lines = texts[file][start:end - 1]  # the lines after the first and before the last, 0-based
        found += [Suppression(CHECKOV, check_id, address, comment) for check_id, comment in _skip_comments(lines)]
    return Suppressions(found)


def _text(path: str) -> list:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return []
    return [] if len(raw) > MAX_FILE_BYTES else raw.decode("utf-8", "replace").splitlines()


def _checkov_metadata_skips(metadata: Any) -> list:
    """(id, comment) of each `skip` entry under the checkov (or bridgecrew) key of a resource's Metadata."""
    if not isinstance(metadata, dict):
        return []
    skips = []
    for key in CHECKOV_METADATA_KEYS:
        entries = metadata.get(key)
        entries = entries.get("skip") if isinstance(entries, dict) else None
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                comment = entry.get("comment")
                skips.append((entry["id"], comment if isinstance(comment, str) else ""))
    return skips


def _cfn_lint_ignores(metadata: Any) -> list:
    """The ids under `cfn-lint: config: ignore_checks` of a Metadata mapping."""
    config = metadata.get("cfn-lint") if isinstance(metadata, dict) else None
    config = config.get("config") if isinstance(config, dict) else None
    ignores = config.get("ignore_checks") if isinstance(config, dict) else None
    if isinstance(ignores, str):  # cfn-lint takes one id as well as a list
        ignores = [ignores]
    return [check_id for check_id in ignores if isinstance(check_id, str)] if isinstance(ignores, list) else []


def _resource_lines(document: Any, text: str) -> Iterable:
    """(logical id, its lines) of each resource: from the line of its key up to the next resource's, the last
    one up to the template's next top-level key. Needs the key lines policies.cloudformation.loader records."""
    resources = document["Resources"]
    resource_lines = getattr(resources, "key_lines", None)
    if not resource_lines or ":skip=" not in text:
        return
    lines = text.splitlines()
    section_lines = sorted(getattr(document, "key_lines", {}).values())
    starts = sorted((line, logical_id) for logical_id, line in resource_lines.items() if isinstance(line, int))
    for number, (start, logical_id) in enumerate(starts):
        if number + 1 < len(starts):
            end = starts[number + 1][0]
        else:
            end = next((line for line in section_lines if line > start), len(lines) + 1)
        yield logical_id, lines[start - 1:end - 1]


def _skip_comments(lines: Iterable) -> list:
    """(id, comment) of each checkov skip comment in `lines`, as checkov reads them."""
    skips = []
    for line in lines:
        match = SKIP_COMMENT.search(line)
        if match and match.group(1):
            skips.append((match.group(1), match.group(2)[1:].strip() if match.group(2) else ""))
    return skips
