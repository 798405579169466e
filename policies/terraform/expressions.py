"""Rendered Terraform values as the rules see them: literals, references to resources, or Unknown.

checkov renders what it can (variables with defaults or tfvars, locals, conditionals) and leaves the rest
as expression text: "var.x" for a variable without a value, "data.aws_vpc.main.cidr_block", function
calls. Such text is not a literal: reading it as one would judge a port "var.port" or a CIDR
"cidrsubnet(...)" and report FAILED where the truth is unknown. Unknown reasons name the expression
first, as messages show them after "SG", "from" or "port".
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from policies.terraform.resources import unknown_reason
from policies.values import ResourceRef, Unknown

_WHOLE_INTERPOLATION = re.compile(r"^\$\{([^{}]*)\}$")
_CIDRSUBNET = re.compile(r'^cidrsubnet\(\s*"?([0-9A-Fa-f.:/]+)"?\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$')
_NAMED_VALUE = re.compile(r'^(?P<head>[a-z]+)\.[\w\[\]"*.-]+$')
_RESOURCE_REFERENCE = re.compile(r'^[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?\.[\w.\[\]"*]+$')
_FUNCTION_CALL = re.compile(r"^[a-z][a-z0-9_]*\(.*\)$", re.DOTALL)
# Every pattern above, and every reference, needs one of these: most texts (protocols, names, ports) have none.
_MAYBE_EXPRESSION = re.compile(r"[.($%\[{]")
_NOT_RENDERED = "{} (not rendered)"
_NAMED_VALUES = {
    "var": "{} (no default, no tfvars)",
    "local": _NOT_RENDERED,
    "data": "{} (a data source, read at plan time)",
    "module": "{} (a module output that was not rendered)",
    "each": _NOT_RENDERED,
    "count": _NOT_RENDERED,
    "self": _NOT_RENDERED,
    "path": _NOT_RENDERED,
    "terraform": _NOT_RENDERED,
}


def interpret(value: Any, addresses: Any) -> Any:
    """A value as the rules see it; `addresses` are those of the configuration's resources."""
    if isinstance(value, str):
        return _interpret_text(value, addresses)
    if isinstance(value, list):
        return [interpret(item, addresses) for item in value]
    reason = unknown_reason(value)  # a dict: an unknown marker, or a value of its own
    return value if reason is None else Unknown(reason)


def _interpret_text(text: str, addresses: Any) -> Any:
    if _MAYBE_EXPRESSION.search(text) is None:
        return text
    whole = _WHOLE_INTERPOLATION.match(text)
    expression = whole.group(1).strip() if whole else text
    address, _, attribute = expression.rpartition(".")
    if address in addresses:
        return ResourceRef(address, attribute)
    subnet = _CIDRSUBNET.match(expression)
    if subnet:
        return _cidrsubnet(*subnet.groups())
    named = _NAMED_VALUE.match(expression)
    if named and named.group("head") in _NAMED_VALUES:
        return Unknown(_NAMED_VALUES[named.group("head")].format(expression))
    if _RESOURCE_REFERENCE.match(expression):
        return Unknown(f"{expression} (not a resource of this configuration)")
    if whole or "${" in text or "%{" in text or _FUNCTION_CALL.match(expression) or expression.startswith(("[", "{")):
        return Unknown(f"{text!r} (an expression that was not evaluated)")
    return text


def _cidrsubnet(prefix: str, new_bits: str, number: str) -> Any:
    """Terraform's cidrsubnet(), the usual way subnet CIDRs are carved out of the VPC's."""
    try:
        network = ipaddress.ip_network(prefix, strict=False)
        length, index = network.prefixlen + int(new_bits), int(number)
        if length > network.max_prefixlen or index >= 1 << int(new_bits):
            raise ValueError("the subnet does not fit in the prefix")
        base = int(network.network_address) + (index << (network.max_prefixlen - length))
        return str(ipaddress.ip_network((base, length)))
    except ValueError as error:
        return Unknown(f"cidrsubnet({prefix}, {new_bits}, {number}) (invalid: {error})")
