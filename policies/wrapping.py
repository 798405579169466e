"""Wrapping a tool's method once per process, however often the module that wraps it runs.

checkov imports every file of its external checks directory once per runner, and cfn-lint loads rule files
by path: an adapter that wraps a tool's method when imported must recognise its own wrapper, or the method
ends up wrapped once per import. Plain Python, no tool imported: both adapters use it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

WRAPPED_MARK = "_hoplint_wrapper"  # set on every wrapper installed here


def wrap_once(owner: Any, name: str, wrapper_of: Callable[[Callable], Callable]) -> None:
    """Replace `owner.name` by `wrapper_of(original)`, unless it is a wrapper installed here already.

    A missing or non-callable attribute (another version of the tool) is left alone.
    """
    original = getattr(owner, name, None)
    if not callable(original) or getattr(original, WRAPPED_MARK, False):
        return
    wrapper = functools.wraps(original)(wrapper_of(original))
    setattr(wrapper, WRAPPED_MARK, True)
    setattr(owner, name, wrapper)
