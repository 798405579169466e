"""The plain resource dicts both Terraform readers produce and the topology builder consumes.

One dict per resource instance (count/for_each instances are separate dicts):

    {
        "address": 'module.app.aws_ecs_service.this',   # Terraform address, module and instance aware
        "type": "aws_ecs_service",
        "attributes": {...},     # arguments as JSON values; nested blocks as a dict (one) or a list of dicts
        "file": "/repo/infra/modules/app/main.tf",   # configuration file (or plan file), None if not known
        "start_line": 12, "end_line": 40,             # line range in `file`, None if not known
        "root": "/repo/infra",   # the root module (its directory; the plan file for a plan)
    }

Addresses are unique within a root module only: one checkov graph can hold several root modules.

Inside `attributes`:
- A reference to another resource is the string "<absolute address>.<attribute>", e.g.
  "module.app.aws_security_group.this.id" or 'aws_security_group.web["a"].id': the readers have already
  resolved module scopes, count/for_each instances and module variables.
- A value no static reader can know is {"__unknown__": "<why>"} (e.g. a data source's result). Strings
  checkov leaves unrendered ("var.x", "local.y", "data.z.id", function calls) are recognised as unknown
  by the builder too.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

UNKNOWN_KEY = "__unknown__"

# One step of a module path: module.NAME, optionally with a count index or for_each key.
_MODULE_STEP = r'module\.[A-Za-z_][\w-]*(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?\.'
_MODULE_PREFIX = re.compile(f"^(?:{_MODULE_STEP})*")
_INSTANCE_KEY = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]$')
_INSTANCE_KEYS = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]')


def unknown_marker(reason: str) -> dict:
    return {UNKNOWN_KEY: reason}


def unknown_reason(value: Any) -> str | None:
    """The reason of an unknown marker, None for any other value."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(UNKNOWN_KEY), str):
        return value[UNKNOWN_KEY]
    return None


def split_address(address: str) -> tuple:
    """('module.a.module.b', 'aws_x.y[0]') for 'module.a.module.b.aws_x.y[0]'; ('', address) at the root."""
    if not address.startswith("module."):  # asked of every address several times: most are the root's
        return "", address
    prefix = _MODULE_PREFIX.match(address).group(0)
    return prefix[:-1], address[len(prefix):]


def scopes_outward(module: str) -> list:
    """The module path and each enclosing one up to the root: 'module.a.module.b' -> [that, 'module.a', '']."""
    scopes = [module]
    while module:
        steps = re.findall(_MODULE_STEP, module + ".")
        module = "".join(steps[:-1])[:-1]
        scopes.append(module)
    return scopes


def in_scope(module: str, local: str) -> str:
    return f"{module}.{local}" if module else local


def instance_key(address: str) -> str | None:
    """The trailing count index or for_each key of an address, brackets included: '[0]', '["a"]'."""
    match = _INSTANCE_KEY.search(address) if address.endswith("]") else None
    return match.group(0) if match else None


def without_instance_key(address: str) -> str:
    return _INSTANCE_KEY.sub("", address) if address.endswith("]") else address


def without_instance_keys(address: str) -> str:
    """The address with every count index and for_each key removed, the modules' ones too."""
    return _INSTANCE_KEYS.sub("", address)


def resources_of_records(records: Iterable, resources: Iterable) -> dict:
    """Record address -> the addresses among `resources` it stands for.

    checkov reports on its graph's vertices, one per resource instance it could expand; where it could not
    evaluate a count or for_each, one vertex stands for every instance (`module.alb.aws_lb_listener.this`
    for `...this["http"]` and `...this["https"]`). A resource is reported on the record of its own address,
    else on the first record of the same resource with other instance keys, else on none.
    """
    records = set(records)
    by_resource: dict = {}
    for record in sorted(records):
        by_resource.setdefault(without_instance_keys(record), []).append(record)
    found: dict = {}
    for resource in resources:
        record = resource if resource in records else next(iter(by_resource.get(without_instance_keys(resource),
                                                                                 ())), None)
        if record is not None:
            found.setdefault(record, []).append(resource)
    return found
