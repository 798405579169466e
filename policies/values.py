"""Values as static analysis sees them: known, unknowable, or a reference to a resource of the template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value no static analysis can know; `reason` says which and why, for the finding's message."""

    reason: str

    def __str__(self) -> str:
        return f"<unknown: {self.reason}>"


@dataclass(frozen=True)
class ResourceRef:
    """`Ref`/`GetAtt` to a resource of the template (CloudFormation) or `aws_x.y.id` (Terraform)."""

    resource: str
    attribute: str | None = None

    def __str__(self) -> str:
        return self.resource if self.attribute is None else f"{self.resource}.{self.attribute}"


def is_known(value: Any) -> bool:
    return not isinstance(value, Unknown)


MIN_PORT, MAX_PORT = 0, 65535


def as_port(value: Any) -> int | Unknown | None:
    """A port number from an int or a digit string; None when absent, Unknown when unreadable."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return Unknown(f"port {value!r} is not a number")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, int):
        if MIN_PORT <= value <= MAX_PORT or value == -1:
            return value
        return Unknown(f"port {value} is outside 0-65535")
    return Unknown(f"port {value!r} is not a number")


def as_text(value: Any) -> str | Unknown | None:
    if value is None or isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return Unknown(f"{value!r} is not a string")


def as_list(value: Any) -> list | Unknown | None:
    if value is None or isinstance(value, (list, Unknown)):
        return value
    return Unknown(f"{value!r} is not a list")
