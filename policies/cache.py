"""One analysis per input per process: the host tools ask about the same template once per rule and resource."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

from policies.collector import collector_paused

BUILD_COUNT = 0  # analyses built in this process; tests assert each input is built once
# Both tools finish one scan before the next, so a few recent inputs are all a run needs; the bound keeps a
# long-lived process (an editor's language server) from holding every version.
CACHE_SIZE = 64
_cache: OrderedDict = OrderedDict()
# Reentrant: building an application's analysis reads its templates through caches of their own.
_cache_lock = threading.RLock()


def cached(key: Any, build: Callable[[], Any], anchor: Any = None) -> Any:
    """Build once per key. `anchor` (an object, or a tuple of objects) is kept alive with the entry, so an id()
    inside the key stays unique."""
    global BUILD_COUNT
    with _cache_lock:
        hit = _cache.get(key)
        if hit is None or not _same(hit[0], anchor):
            BUILD_COUNT += 1
            with collector_paused():
                hit = (anchor, build())
            _cache[key] = hit
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        return hit[1]


def _same(kept: Any, anchor: Any) -> bool:
    if isinstance(kept, tuple) and isinstance(anchor, tuple):
        return len(kept) == len(anchor) and all(one is other for one, other in zip(kept, anchor))
    return kept is anchor
