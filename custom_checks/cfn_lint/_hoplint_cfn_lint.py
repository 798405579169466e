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
cfn-lint shows its line and column. UNKNOWN and PASSED findings are not reported.

Suppression. `--ignore-checks`, `--include-checks`, `--mandatory-checks` and the template-level
`Metadata: cfn-lint: config:` work as for any cfn-lint rule. A resource's
`Metadata: cfn-lint: config: ignore_checks: [E9303]` suppresses the findings cfn-lint locates in that
resource (as for any rule) and, in addition, the findings reported ON that resource (the ECS service of
HOP303, as checkov's skip would), since a hop's property to fix often lives in another resource, like a
security group shared by several services. `--mandatory-checks` cannot override the latter: cfn-lint
does not tell rules its configuration.

Templates hoplint cannot judge. If the engine reports problems for a template (`Analysis.problems`) or
raises, no catalog rule reports anything for that template, and the rule W9000 (defined in
hop000_analysis_problems.py) reports each problem, or the exception, once. It is a warning rather than
an informational match because cfn-lint hides informational rules unless `--include-checks I` is given,
and a template whose hops were silently left unchecked would look clean; `--ignore-checks W9000`
silences it. An exception is logged with its traceback under `cfn-lint --debug`.
"""

from __future__ import annotations

import logging
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

from policies import RULES, Analysis, Verdict, analyze_document  # noqa: E402

# A child of cfn-lint's logger, so that `cfn-lint --debug` prints it.
LOGGER = logging.getLogger("cfnlint.hoplint")


@dataclass
class TemplateAnalysis:
    """The engine's verdicts on one template, or why there are none."""

    template: Any  # cfn-lint's parsed template; kept alive so that identity comparisons stay sound
    analysis: Analysis | None
    problems: list = field(default_factory=list)


# cfn-lint runs every rule on a template before it parses the next one: remembering the last
# template's analysis shares it between all rules without keeping every template alive.
_last: TemplateAnalysis | None = None


def analysis_of(cfn) -> TemplateAnalysis:
    """The engine's analysis of cfn-lint's template `cfn`, computed once for all rules."""
    global _last
    if _last is None or _last.template is not cfn.template:
        _last = _analyse(cfn.template, cfn.filename or "<stdin>")
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
        analysis = analysis_of(cfn).analysis
        if analysis is None:
            return []
        ignored_on = cfn.get_directives().get(self.id, [])
        return [
            RuleMatch(list(finding.path), finding.message)
            for finding in analysis.for_rule(self.hop_id)
            if finding.verdict == Verdict.FAILED and finding.resource not in ignored_on
        ]
