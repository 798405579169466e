"""hoplint's engine: templates in, findings about every client -> ALB -> ECS hop out.

Imports neither checkov nor cfn-lint: the adapters under custom_checks/ call into it.
"""

from policies.analysis import Analysis, analyze_document, analyze_file
from policies.catalog import RULES, Rule
from policies.findings import Finding, Verdict

__all__ = ["Analysis", "Finding", "RULES", "Rule", "Verdict", "analyze_document", "analyze_file"]
