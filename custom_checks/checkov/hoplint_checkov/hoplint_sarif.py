"""hoplint's results in checkov's SARIF output (`-o sarif`): the rule docs as help, and schema-valid results.

hoplint_checks.py installs it when the checks load. It wraps checkov's `Sarif.create_json` once per
process, and changes only the rules and results of hoplint's checks (ids CKV_HOP_*):

- Rule help. checkov writes "<title>\\nResource: <first resource>" as a rule's help; hoplint's rules get
  the catalog's rationale as fullDescription and rationale, remediation and doc link as help.
- Details. checkov writes a record's details as result attachments `{"description": "<text>"}`. The SARIF
  2.1.0 schema rejects those (a description is a message object, an attachment needs an
  artifactLocation), and so does GitHub's upload-sarif, which validates against that schema. hoplint's
  details are the concrete chain ("task SG ApiSg allows tcp/80 from AlbSg, but the target port is 8080"):
  they become the result's message, in place of the rule title, and the attachments go.
- Level. checkov derives a result's level from its severity and writes "none" for INFO: the results of an
  information rule (HOP206, when asked for by id) get "note", as cfn-lint gives its informational rules.

If checkov's internals change, nothing is wrapped or the log is left as checkov made it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from policies.catalog import RULE_OF_CHECKOV_ID
from policies.sarif import SARIF_NOTE, describe_rules
from policies.wrapping import wrap_once

logger = logging.getLogger("hoplint.checkov")


def fix_sarif(log: dict) -> dict:
    """hoplint's rules described by the catalog, and hoplint's results carrying their details as message and
    the level of their rule's severity."""
    describe_rules(log, RULE_OF_CHECKOV_ID)
    for run in log.get("runs") or []:
        for result in run.get("results") or []:
            rule = RULE_OF_CHECKOV_ID.get(result.get("ruleId"))
            if rule is None:
                continue
            if rule.informational:
                result["level"] = SARIF_NOTE
            attachments = result.pop("attachments", None) or []
            details = [attachment.get("description") for attachment in attachments]
            if details and all(isinstance(detail, str) for detail in details):
                result["message"] = {"text": "\n".join(details)}
    return log


def install_sarif_hook() -> None:
    try:
        from checkov.common.output.sarif import Sarif
    except ImportError:
        return

    def sarif_fixer(create_json: Callable) -> Callable:
        def create_json_for_hoplint(sarif: Any, *args: Any, **kwargs: Any) -> Any:
            log = create_json(sarif, *args, **kwargs)
            try:
                return fix_sarif(log)
            except Exception:  # the log as checkov made it is better than none
                logger.debug("hoplint: SARIF log left as checkov made it", exc_info=True)
                return log

        return create_json_for_hoplint

    wrap_once(Sarif, "create_json", sarif_fixer)
