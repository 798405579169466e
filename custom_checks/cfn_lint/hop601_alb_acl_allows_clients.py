"""hoplint's HOP601 as a cfn-lint rule: the engine (policies) judges, the catalog names and describes it."""

import os
import sys

ADAPTER_DIR = os.path.dirname(os.path.abspath(__file__))
if ADAPTER_DIR not in sys.path:
    sys.path.append(ADAPTER_DIR)  # cfn-lint runs rule files by path: let them import their shared module
import _hoplint_cfn_lint as hoplint  # noqa: E402


class AlbAclAllowsClients(hoplint.CatalogRule, hop_id="HOP601"):
    """Ensure the network ACLs of the ALB's subnets allow the listener port from clients and the replies."""
