"""The rule docs as help for hoplint's rules in cfn-lint's SARIF output (`--format sarif`).

cfn-lint describes a rule in SARIF by its shortdesc, description and source_url, and gives it no help,
which code scanning shows beside each alert. cfn-lint loads this file with the rule files (it defines no
rule); it wraps the SARIF formatter once per process to add the catalog's help to hoplint's rules, and
changes nothing else. If cfn-lint's formatter changes, the output stays as cfn-lint made it.
"""

import functools
import json
import logging
import os
import sys

ADAPTER_DIR = os.path.dirname(os.path.abspath(__file__))
if ADAPTER_DIR not in sys.path:
    sys.path.append(ADAPTER_DIR)  # cfn-lint runs rule files by path: let them import their shared module
import _hoplint_cfn_lint  # noqa: E402,F401  (puts the engine on the path in a source checkout)
from policies import RULES  # noqa: E402
from policies.sarif import describe_rules  # noqa: E402

LOGGER = logging.getLogger("cfnlint.hoplint")
RULE_OF_CFN_LINT_ID = {rule.cfn_lint_id: rule for rule in RULES.values()}
# Set on the installed wrapper, so that loading this file again never wraps the formatter twice.
SARIF_HOOK_MARK = "_hoplint_adds_help"


def _install_sarif_hook() -> None:
    try:
        from cfnlint.formatters import SARIFFormatter
    except ImportError:
        return
    print_matches = getattr(SARIFFormatter, "print_matches", None)
    if not callable(print_matches) or getattr(print_matches, SARIF_HOOK_MARK, False):
        return

    @functools.wraps(print_matches)
    def print_matches_with_help(formatter, *args, **kwargs):
        output = print_matches(formatter, *args, **kwargs)
        try:
            return json.dumps(describe_rules(json.loads(output), RULE_OF_CFN_LINT_ID), indent=2)
        except Exception:  # the output as cfn-lint made it is better than none
            LOGGER.debug("hoplint: SARIF output left as cfn-lint made it", exc_info=True)
            return output

    setattr(print_matches_with_help, SARIF_HOOK_MARK, True)
    SARIFFormatter.print_matches = print_matches_with_help


_install_sarif_hook()
