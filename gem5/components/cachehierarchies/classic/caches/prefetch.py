"""The prefetcher the standard library's caches get by default."""

from __future__ import annotations

import sys
from typing import Any

_warned: set[str] = set()


def default_prefetcher_class() -> Any:
    """gem5's default (StridePrefetcher), whatever m5.objects gives for it."""
    import m5.objects

    return getattr(m5.objects, "StridePrefetcher", None)


def prefetcher_for(cache: str, prefetcher_cls: Any) -> Any:
    """An instance of `prefetcher_cls`, or None when it is gem5's default
    StridePrefetcher: simobjs's caches model no prefetcher, so the standard
    library's caches run without one (said once per cache class)."""
    if prefetcher_cls is None:
        return None
    if prefetcher_cls is default_prefetcher_class():
        if cache not in _warned:
            _warned.add(cache)
            print(
                f"warn: {cache}: gem5's default StridePrefetcher is not modelled by simobjs; "
                "the cache runs without a prefetcher",
                file=sys.stderr,
            )
        return None
    return prefetcher_cls()
