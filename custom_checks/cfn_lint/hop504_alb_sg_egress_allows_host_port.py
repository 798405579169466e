"""hoplint's HOP504 as a cfn-lint rule: the engine (policies) judges, the catalog names and describes it."""

import os
import sys

ADAPTER_DIR = os.path.dirname(os.path.abspath(__file__))
if ADAPTER_DIR not in sys.path:
    sys.path.append(ADAPTER_DIR)  # cfn-lint runs rule files by path: let them import their shared module
import _hoplint_cfn_lint as hoplint  # noqa: E402


class AlbSgEgressAllowsHostPort(hoplint.CatalogRule, hop_id="HOP504"):
    """Ensure the ALB security group egress allows the host port toward the container instances."""
