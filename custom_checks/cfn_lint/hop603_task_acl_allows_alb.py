"""hoplint's HOP603 as a cfn-lint rule: the engine (policies) judges, the catalog names and describes it."""

import os
import sys

ADAPTER_DIR = os.path.dirname(os.path.abspath(__file__))
if ADAPTER_DIR not in sys.path:
    sys.path.append(ADAPTER_DIR)  # cfn-lint runs rule files by path: let them import their shared module
import _hoplint_cfn_lint as hoplint  # noqa: E402


class TaskAclAllowsAlb(hoplint.CatalogRule, hop_id="HOP603"):
    """Ensure the network ACLs of the tasks' subnets allow the target and health-check ports from the ALB."""
