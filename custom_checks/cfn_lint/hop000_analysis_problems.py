"""I9000: what hoplint could not read, so that its silence is not mistaken for a pass.

What it reports, and how to see it (cfn-lint hides informational rules unless included): see
_hoplint_cfn_lint's docstring.
"""

import os
import sys

ADAPTER_DIR = os.path.dirname(os.path.abspath(__file__))
if ADAPTER_DIR not in sys.path:
    sys.path.append(ADAPTER_DIR)  # cfn-lint runs rule files by path: let them import their shared module
import _hoplint_cfn_lint as hoplint  # noqa: E402
from cfnlint.rules import CloudFormationLintRule, RuleMatch  # noqa: E402


class AnalysisProblems(CloudFormationLintRule):
    """Ensure hoplint could analyse the template."""

    id = "I9000"
    shortdesc = "Ensure hoplint could analyse the template"
    description = (
        "hoplint checks every hop from client to ALB to ECS task only where its engine can read the template. "
        "This reports a template it could not analyse at all (none of its rules, E9xxx and W9xxx, reports "
        "anything for it), what it could not follow in an application of several templates (a deployment "
        "description naming no scanned template), and each value the template gets wrong that kept one of its "
        "rules from a verdict."
    )
    source_url = "https://github.com/hoplint/hoplint"
    tags = ["hoplint"]

    def match(self, cfn) -> list:
        # The path of the whole template: cfn-lint places the match at its first line.
        template_analysis = hoplint.analysis_of(cfn)
        problems = [
            RuleMatch([], f"hoplint could not analyse this template: {problem}")
            for problem in template_analysis.problems
        ]
        notes = [RuleMatch([], f"hoplint judged the application without what it could not follow: {note}")
                 for note in template_analysis.notes()]
        return problems + notes + hoplint.unreadable_matches(cfn)
