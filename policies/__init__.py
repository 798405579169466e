"""hoplint's engine: templates in, findings about every client -> ALB -> ECS hop out.

Imports neither checkov nor cfn-lint (but cfn-lint's conditions solver, where a template needs it): the
adapters under custom_checks/ call into it. The CloudFormation entry points are imported when first used: a
checkov run over Terraform only needs none of the CloudFormation reader.

The engine's dataclasses generate as few methods as they can: Python 3.11 compiles every method a dataclass
generates when its module is imported, in every checkov and cfn-lint run. Nothing the engine reports shows an
object by its repr (`repr=False`; Unknown and ResourceRef, which messages show, keep theirs). What the engine
builds from a template (topology, results, findings, analyses) is compared and hashed by identity and written
once (`eq=False`, not frozen): generated equality, hashing and frozen set/del attribute methods were half of the
import, and a frozen class's generated `__init__` is slower to call. The values compared by value, by the engine
or by its tests, keep them (`frozen=True`): Unknown, ResourceRef, Joined, Spliced, Traffic, StackDeclaration,
Suppression.
"""

from typing import Any

from policies.catalog import RULES, Rule
from policies.findings import Analysis, Finding, Verdict

__all__ = ["Analysis", "Finding", "RULES", "Rule", "Verdict", "analyze_document", "analyze_file"]


def __getattr__(name: str) -> Any:
    if name in ("analyze_document", "analyze_file"):
        from policies import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'policies' has no attribute {name!r}")
