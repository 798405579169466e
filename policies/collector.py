"""When the engine lets Python's cyclic garbage collector run."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the engine allocates what it keeps.

    An analysis allocates an object for every value, property and finding, and frees few of them, none in a
    cycle. Inside checkov, whose graph fills the heap, the collections those allocations would trigger each
    scan that whole heap again, costing more than the analysis itself.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
