"""W9000: says that hoplint could not judge a template, so that its silence is not mistaken for a pass.

Why a warning, and what the catalog rules do then: see _hoplint_cfn_lint's docstring.
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

    id = "W9000"
    shortdesc = "Ensure hoplint could analyse the template"
    description = (
        "hoplint checks every hop from client to ALB to ECS task only in templates its engine can read. "
        "When it cannot, none of its rules (E9xxx, W9xxx) reports anything for the template."
    )
    source_url = "https://github.com/hoplint/hoplint"
    tags = ["hoplint"]

    def match(self, cfn) -> list:
        # The path of the whole template: cfn-lint places the match at its first line.
        return [
            RuleMatch([], f"hoplint could not analyse this template: {problem}")
            for problem in hoplint.analysis_of(cfn).problems
        ]
