"""The rule docs as help for hoplint's rules in cfn-lint's SARIF output (`--format sarif`).

cfn-lint describes a rule in SARIF by its shortdesc, description and source_url, and gives it no help,
which code scanning shows beside each alert. cfn-lint loads this file with the rule files (it defines no
rule); it wraps the SARIF formatter once per process to add the catalog's help to hoplint's rules, and
changes nothing else. If cfn-lint's formatter changes, the output stays as cfn-lint made it.
"""

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
from policies.wrapping import wrap_once  # noqa: E402

LOGGER = logging.getLogger("cfnlint.hoplint")
RULE_OF_CFN_LINT_ID = {rule.cfn_lint_id: rule for rule in RULES.values()}


def _install_sarif_hook() -> None:
    try:
        from cfnlint.formatters import SARIFFormatter
    except ImportError:
        return

    def help_adder(print_matches):
        def print_matches_with_help(formatter, *args, **kwargs):
            output = print_matches(formatter, *args, **kwargs)
            try:
                return json.dumps(describe_rules(json.loads(output), RULE_OF_CFN_LINT_ID), indent=2)
            except Exception:  # the output as cfn-lint made it is better than none
                LOGGER.debug("hoplint: SARIF output left as cfn-lint made it", exc_info=True)
                return output

        return print_matches_with_help

    wrap_once(SARIFFormatter, "print_matches", help_adder)


_install_sarif_hook()
