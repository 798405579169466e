"""Names that join stacks, read as patterns: what part of a name is known, and what is chosen at deploy time.

An export name, an import name or a nested stack's TemplateURL is often built from values static analysis
does not know: `!Sub ${AWS::StackName}:PublicListener`, `!Sub ${ParentClusterStack}-LoadBalancerListener`,
`!Sub https://s3.amazonaws.com/${TemplateBucket}/templates/service.yaml`. A `NamePattern` keeps the known
pieces and stands a `Hole` for each unknown one, so that an import can still be matched with the one export
that can produce its name, and a TemplateURL with the scanned template its path ends with.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from policies.values import Unknown

# Names longer than this are not matched: no export name or URL comes close (exports: 255 characters), and
# matching two patterns costs the product of their lengths.
MAX_NAME = 512


@dataclass(eq=False, repr=False)
class Hole:
    """A piece of a name known only at deploy time; `stack_name` when it is the stack's own AWS::StackName."""

    reason: str
    stack_name: bool = False


@dataclass(eq=False, repr=False)
class NamePattern:
    """Known text and holes, in order; adjacent texts are merged, adjacent holes too."""

    parts: tuple

    @property
    def literal(self) -> str | None:
        """The whole name, when nothing in it is unknown."""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        return "" if not self.parts else None

    def __str__(self) -> str:
        return "".join(part if isinstance(part, str) else "*" for part in self.parts)

    @property
    def holes(self) -> tuple:
        return tuple(part for part in self.parts if isinstance(part, Hole))

    def may_equal(self, other: NamePattern) -> bool:
        """Whether some deployment can give both patterns the same name (each hole may be any text)."""
        for name, patterned in ((self.literal, other), (other.literal, self)):
            if name is not None and len(patterned.holes) <= 1:  # an import's name and an export's: most pairs
                return patterned._spells(name)
        mine, theirs = self._tokens(), other._tokens()
        if mine is None or theirs is None:
            return False
        return _globs_intersect(mine, theirs)

    def stack_name_in(self, name: str) -> str | None:
        """The stack name under which this pattern (whose holes are all AWS::StackName) yields `name`."""
        if not self.holes or not all(hole.stack_name for hole in self.holes) or len(name) > MAX_NAME:
            return None
        expression = "".join(re.escape(part) if isinstance(part, str) else (
            "(?P<name>.+?)" if index == self._first_hole() else "(?P=name)") for index, part in enumerate(self.parts))
        match = re.fullmatch(expression, name)
        return match.group("name") if match else None

    def _spells(self, name: str) -> bool:
        """Whether this pattern, of one hole at most, can be `name`: the text around its hole starts and ends it
        (the general match, _globs_intersect, costs the product of the two lengths)."""
        if len(name) > MAX_NAME or len(str(self)) > MAX_NAME:
            return False
        if not self.holes:
            return self.literal == name
        head = self.parts[0] if isinstance(self.parts[0], str) else ""
        tail = self.parts[-1] if isinstance(self.parts[-1], str) else ""
        return len(name) >= len(head) + len(tail) and name.startswith(head) and name.endswith(tail)

    def _first_hole(self) -> int:
        return next(index for index, part in enumerate(self.parts) if isinstance(part, Hole))

    def _tokens(self) -> tuple | None:
        """The pattern as single characters and None for each hole, or None when too long to match."""
        tokens: list = []
        for part in self.parts:
            tokens.extend(part if isinstance(part, str) else (None,))
        return tuple(tokens) if len(tokens) <= MAX_NAME else None


def pattern(*parts: Any) -> NamePattern:
    """A NamePattern of texts and holes, normalized."""
    merged: list = []
    for part in parts:
        if isinstance(part, NamePattern):
            pieces = part.parts
        else:
            pieces = (part,)
        for piece in pieces:
            if piece == "":
                continue
            if merged and isinstance(piece, str) and isinstance(merged[-1], str):
                merged[-1] += piece
            elif merged and isinstance(piece, Hole) and isinstance(merged[-1], Hole):
                continue
            else:
                merged.append(piece)
    return NamePattern(tuple(merged))


def name_pattern(resolver: Any, expression: Any) -> NamePattern:
    """The pattern of a name as `resolver` (policies.cloudformation.intrinsics.Resolver) reads it: the text
    `Fn::Sub` and `Fn::Join` splice together, a hole for each piece known only at deploy time."""
    stack_name = resolver.resolve({"Ref": "AWS::StackName"})
    parts = []
    for piece in resolver.text(expression):
        if isinstance(piece, str):
            parts.append(piece)
        else:
            value = piece.value
            reason = value.reason if isinstance(value, Unknown) else f"the physical name of {value}"
            parts.append(Hole(reason, stack_name=isinstance(value, Unknown) and value == stack_name))
    return pattern(*parts)


def _globs_intersect(left: tuple, right: tuple) -> bool:
    """Whether two sequences of characters and holes (None: any text) can spell one string.

    meets[j] says whether left[i:] and right[j:] can, filled from the ends backwards, a row per i.
    """
    width = len(right)
    below = [False] * (width + 1)  # row i + 1
    below[width] = True  # both ends reached
    for j in range(width - 1, -1, -1):
        below[j] = right[j] is None and below[j + 1]
    for i in range(len(left) - 1, -1, -1):
        row = [False] * (width + 1)
        row[width] = left[i] is None and below[width]
        for j in range(width - 1, -1, -1):
            if left[i] is None:
                row[j] = below[j] or row[j + 1]  # the hole spells nothing more, or takes right[j] too
            elif right[j] is None:
                row[j] = row[j + 1] or below[j]
            else:
                row[j] = left[i] == right[j] and below[j + 1]
        below = row
    return below[0]


def url_path_parts(url: NamePattern) -> tuple | None:
    """The known tail of a TemplateURL's path, as path components (the first may be partial), or None."""
    parts = url.parts
    tail = parts[-1] if parts and isinstance(parts[-1], str) else ""
    if not tail:
        return None
    if url.literal is not None and "://" in tail:
        tail = tail.split("://", 1)[1]
        tail = tail.split("/", 1)[1] if "/" in tail else ""
    tail = tail.split("?", 1)[0]
    components = tuple(component for component in tail.split("/"))
    return components if components and components[-1] else None


def is_local_path(url: NamePattern) -> bool:
    """A TemplateURL naming a file next to the template, as before `aws cloudformation package` uploads it."""
    text = url.literal
    return text is not None and "://" not in text and not text.startswith("s3.")


def path_components(path: str) -> tuple:
    return tuple(part for part in os.path.normpath(os.path.abspath(path)).split(os.sep) if part)
