"""The rule docs as SARIF rule help, for the adapters to put into checkov's and cfn-lint's SARIF logs.

Code scanning (GitHub and others) shows a rule's `help` beside each alert; neither tool fills it from a
custom rule: checkov writes "<title>\\nResource: <first resource>", cfn-lint writes nothing.
"""

from __future__ import annotations

from policies.catalog import Rule

SARIF_NOTE = "note"  # the level of an information rule's results: never an alert that fails a check


def rule_help(rule: Rule) -> dict:
    """A SARIF multiformatMessageString: what the rule checks, why, how to fix, and the link to its doc."""
    text = f"{rule.title}\n\n{rule.rationale}\n\nHow to fix: {rule.remediation}\n\nDocumentation: {rule.doc_url}"
    markdown = (f"**{rule.title}**\n\n{rule.rationale}\n\n**How to fix:** {rule.remediation}\n\n"
                f"Documentation: [{rule.id}]({rule.doc_url})")
    return {"text": text, "markdown": markdown}


def describe_rules(log: dict, rules_by_tool_id: dict) -> dict:
    """Give each rule of the log that is one of ours (by the tool's id for it) the catalog's description
    and help, and an information rule the default level note (neither tool sets one: SARIF's default is
    warning). Returns the log, changed in place."""
    for run in log.get("runs") or []:
        for descriptor in ((run.get("tool") or {}).get("driver") or {}).get("rules") or []:
            rule = rules_by_tool_id.get(descriptor.get("id"))
            if rule is not None:
                descriptor["fullDescription"] = {"text": rule.rationale}
                descriptor["help"] = rule_help(rule)
                descriptor["helpUri"] = rule.doc_url
                if rule.informational:
                    descriptor["defaultConfiguration"] = {"level": SARIF_NOTE}
    return log
