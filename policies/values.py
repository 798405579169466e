"""Values as static analysis sees them: known, unknowable, or a reference to a resource of the template."""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value no static analysis can know; `reason` says which and why, for the finding's message."""

    reason: str
    # True when the template itself gets the value wrong (a port that is no number, a list where a
    # mapping belongs, a malformed intrinsic function): no deployment can use it. False when the value
    # is well formed but known only at deploy time (an import, a parameter without Default).
    malformed: bool = False
    path: tuple = ()  # where a malformed value is in the scanned document, once its reader knows

    def __str__(self) -> str:
        return f"<unknown: {self.reason}>"

    def at(self, path: tuple) -> "Unknown":
        """This value, located at `path` if it is malformed and does not know where it is yet."""
        return replace(self, path=path) if self.malformed and not self.path else self


def malformed(reason: str) -> Unknown:
    return Unknown(reason, malformed=True)


def is_malformed(value: Any) -> bool:
    return isinstance(value, Unknown) and value.malformed


def located(value: Any, path: tuple) -> Any:
    """`value`, with a malformed Unknown located at `path` (the property it was read from)."""
    return value.at(path) if isinstance(value, Unknown) else value


def same_value(left: Any, right: Any) -> bool:
    """Whether both are surely one value at deploy time: equal known values, or equal Unknowns.

    An Unknown's reason names the expression it stands for (one parameter, one variable, one import),
    so two Unknowns with the same reason are the same value, whatever it turns out to be. A value the
    template gets wrong is no value: it equals nothing, not even the same garbage elsewhere.
    """
    return not is_malformed(left) and not is_malformed(right) and left == right


@dataclass(frozen=True)
class ResourceRef:
    """`Ref`/`GetAtt` to a resource of the template (CloudFormation) or `aws_x.y.id` (Terraform)."""

    resource: str
    attribute: str | None = None

    def __str__(self) -> str:
        return self.resource if self.attribute is None else f"{self.resource}.{self.attribute}"


def is_known(value: Any) -> bool:
    return not isinstance(value, Unknown)


# Messages quote template values; a hostile template's values can be megabytes long or deeply nested.
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60
_SHORT_REPR.maxlevel = 3


def shown(value: Any) -> str:
    """A short repr of a template value, for messages."""
    return _SHORT_REPR.repr(value)


MIN_PORT, MAX_PORT = 0, 65535
# ASCII digits only: str.isdigit() accepts "²", which int() rejects; and at most 6 of them, since
# int() refuses very long digit strings (and any port has at most 5 digits).
_PORT_TEXT = re.compile(r"-?[0-9]{1,6}")


def as_port(value: Any) -> int | Unknown | None:
    """A port number from an int or a digit string; None when absent, Unknown when unreadable."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, str) and _PORT_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        if MIN_PORT <= value <= MAX_PORT or value == -1:
            return value
        return malformed(f"port {value} is outside 0-65535")
    return malformed(f"port {shown(value)} is not a number")


def as_text(value: Any) -> str | Unknown | None:
    if value is None or isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return malformed(f"{shown(value)} is not a string")


def as_list(value: Any) -> list | Unknown | None:
    if value is None or isinstance(value, (list, Unknown)):
        return value
    return malformed(f"{shown(value)} is not a list")
