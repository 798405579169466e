"""What every hoplint cfn-lint rule shares: the catalog texts, and one engine run per template.

Loading. `cfn-lint --append-rules custom_checks/cfn_lint` (or `append_rules:` in .cfnlintrc) walks this
directory and executes each file named `[A-Za-z1-9]*.py` as a stand-alone module, outside any package
and without putting the directory on sys.path. The leading underscore keeps cfn-lint from loading this
module as a rule file; each rule file appends the directory to sys.path and imports it under this one
name, so all rules share one module, one base class and one memo of the engine's result. The rule files
import this module, never its classes: cfn-lint instantiates every rule class it finds in a rule file,
imported ones included. A relative `append_rules` path is relative to the working directory, not to the
.cfnlintrc. Naming the directory twice (on the command line and in .cfnlintrc with --merge-configs)
makes cfn-lint stop with DuplicateRuleError.

Matches. Each rule reports its catalog rule's FAILED findings at `finding.path`, the property to fix, so
cfn-lint shows its line and column. PASSED findings are not reported, nor UNKNOWN ones, except through
I9000 when a value the template gets wrong is the cause (below).

Suppression. `--ignore-checks`, `--include-checks`, `--mandatory-checks` and the template-level
`Metadata: cfn-lint: config:` work as for any cfn-lint rule. Beyond those, a rule leaves out the findings
the user accepted (policies.suppressions, which `hoplint explain` and the checkov adapter read too): a
resource's `Metadata: cfn-lint: config: ignore_checks: [E9303]` or a checkov skip of CKV_HOP_303 (Metadata
or a `checkov:skip=` comment), on the resource cfn-lint underlines or on the resource the finding is
reported on (the ECS service of HOP303), since a hop's property to fix often lives in another resource, like
a security group shared by several services. `--mandatory-checks` cannot override those: cfn-lint does not
tell rules its configuration. The same suppressions silence I9000's report that the rule could not judge
that resource. The template's text is read again for them only when a rule has something to report.

What hoplint could not read: the informational rule I9000 (hop000_analysis_problems.py). If the engine
reports problems for a template (`Analysis.problems`: unreadable, not a template, too large, circular
conditions) or raises, no catalog rule reports anything for that template, and I9000 reports each
problem, or the exception, once, at the top of the template. If a value the template gets wrong (a port
that is no number, a list where a mapping belongs, a malformed intrinsic) keeps a catalog rule from a
verdict on a resource (UNKNOWN), I9000 reports it once per rule and resource, at that value, naming it.
cfn-lint shows informational rules only when asked: `--include-checks I9000`, or `include_checks:
[I9000]` in .cfnlintrc (examples/.cfnlintrc has it). cfn-lint's own rules report the malformed value
too (E3012 and the like); I9000 says which hops it left unchecked. An exception escaping the engine is
logged with its traceback under `cfn-lint --debug`.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

try:
    import policies  # noqa: F401  (installed, or on PYTHONPATH)
except ModuleNotFoundError as missing:
    if missing.name != "policies":
        raise
    # Run from a checkout where hoplint is not installed: the engine sits next to custom_checks/.
    # Appended, so it shadows nothing that is installed.
    sys.path.append(str(Path(__file__).resolve().parents[2]))

from policies import RULES, Analysis, Finding, Verdict, analyze_document  # noqa: E402
from policies.suppressions import Suppressions, cloudformation_suppressions, document_suppressions  # noqa: E402

# A child of cfn-lint's logger, so that `cfn-lint --debug` prints it.
LOGGER = logging.getLogger("cfnlint.hoplint")


@dataclass
class TemplateAnalysis:
    """The engine's verdicts on one template, or why there are none."""

    template: Any  # cfn-lint's parsed template; kept alive so that identity comparisons stay sound
    analysis: Analysis | None
    problems: list = field(default_factory=list)
    filename: str | None = None  # the file cfn-lint read the template from; None for stdin
    _suppressions: Suppressions | None = field(default=None, init=False, repr=False)

    def reported(self, finding: Finding) -> bool:
        """False when the user accepted the finding (see the module docstring)."""
        if self._suppressions is None:
            self._suppressions = _suppressions(self.template, self.filename)
        return self._suppressions.covering(finding) is None


# cfn-lint runs every rule on a template before it parses the next one: remembering the last
# template's analysis shares it between all rules without keeping every template alive.
_last: TemplateAnalysis | None = None


def analysis_of(cfn) -> TemplateAnalysis:
    """The engine's analysis of cfn-lint's template `cfn`, computed once for all rules."""
    global _last
    if _last is None or _last.template is not cfn.template:
        _last = _analyse(cfn.template, cfn.filename or "<stdin>")
        _last.filename = cfn.filename
    return _last


def _analyse(template: Any, source: str) -> TemplateAnalysis:
    try:
        # cfn-lint's template is already parsed (dict and str subclasses carrying their marks): reuse it.
        analysis = analyze_document(template, source)
    except Exception as error:  # an engine bug must not abort cfn-lint or its other rules
        LOGGER.debug("hoplint's engine failed on %s", source, exc_info=True)
        return TemplateAnalysis(
            template,
            None,
            [f"the engine failed ({type(error).__name__}: {error}); run cfn-lint --debug for the traceback"],
        )
    if analysis.problems:
        return TemplateAnalysis(template, None, list(analysis.problems))
    return TemplateAnalysis(template, analysis)


def _suppressions(template: Any, filename: str | None) -> Suppressions:
    """What the user accepted in the template: read from its file, which also holds the skip comments; from
    cfn-lint's parsed template when there is no file (stdin)."""
    if filename and os.path.isfile(filename):
        return cloudformation_suppressions(filename)
    return document_suppressions(template)


def unreadable_matches(cfn) -> list:
    """One match per catalog rule and resource it could not judge because of values the template gets
    wrong: at the first such value, naming each (see the module docstring)."""
    template_analysis = analysis_of(cfn)
    analysis = template_analysis.analysis
    unreadable: dict = {}  # (rule id, resource) -> {(reason, path): Unknown}, in the order found
    for finding in analysis.findings if analysis else ():
        if finding.verdict == Verdict.UNKNOWN and finding.unreadable and template_analysis.reported(finding):
            values = unreadable.setdefault((finding.rule_id, finding.resource), {})
            values.update(((value.reason, value.path), value) for value in finding.unreadable)
    matches = []
    for (rule_id, resource), values in unreadable.items():
        rule = RULES[rule_id]
        read = "; ".join(f"{'/'.join(map(str, value.path))}: {value.reason}" for value in values.values())
        message = f"hoplint could not judge {rule.cfn_lint_id} ({rule.id}) on {resource}: {read}"
        matches.append(RuleMatch(list(next(iter(values.values())).path), message))
    return matches


class CatalogRule(CloudFormationLintRule):
    """One rule of policies.catalog as a cfn-lint rule. Subclass with `hop_id="HOPnnn"`."""

    def __init_subclass__(cls, hop_id: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        rule = RULES[hop_id]
        cls.hop_id = rule.id
        cls.id = rule.cfn_lint_id
        cls.shortdesc = rule.title
        cls.description = rule.rationale
        cls.source_url = rule.doc_url
        cls.tags = ["hoplint", rule.id, *rule.subjects]

    def match(self, cfn) -> list:
        template_analysis = analysis_of(cfn)
        if template_analysis.analysis is None:
            return []
        return [
            RuleMatch(list(finding.path), finding.message)
            for finding in template_analysis.analysis.for_rule(self.hop_id)
            if finding.verdict == Verdict.FAILED and template_analysis.reported(finding)
        ]
