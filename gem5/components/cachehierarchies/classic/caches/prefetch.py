"""The prefetcher the standard library's caches get by default."""

from __future__ import annotations

import sys
from typing import Any

from simobjs.params.desc import is_simobject_class

_warned: set[str] = set()


def default_prefetcher_class() -> Any:
    """gem5's default, StridePrefetcher: the declaration, or m5.objects' stand-in."""
    from m5.objects import StridePrefetcher

    return StridePrefetcher


def prefetcher_for(cache: str, prefetcher_cls: Any) -> Any:
    """An instance of `prefetcher_cls`, or None when it is gem5's default
    StridePrefetcher and simobjs does not declare it: the standard library's
    caches then run without a prefetcher (said once per cache class)."""
    if prefetcher_cls is None:
        return None
    if prefetcher_cls is default_prefetcher_class() and not is_simobject_class(prefetcher_cls):
        if cache not in _warned:
            _warned.add(cache)
            print(
                f"warn: {cache}: gem5's default StridePrefetcher is not modelled by simobjs; "
                "the cache runs without a prefetcher",
                file=sys.stderr,
            )
        return None
    return prefetcher_cls()
