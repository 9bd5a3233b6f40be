"""gem5.components.cachehierarchies.classic.caches.l1icache: the standard library's L1 instruction cache."""

from __future__ import annotations

from typing import Any

from gem5.components.cachehierarchies.classic.caches.prefetch import (
    default_prefetcher_class,
    prefetcher_for,
)
from m5.objects import Cache

_DEFAULT = object()


class L1ICache(Cache):
    def __init__(
        self,
        size: str,
        assoc: int = 8,
        tag_latency: int = 1,
        data_latency: int = 1,
        response_latency: int = 1,
        mshrs: int = 16,
        tgts_per_mshr: int = 20,
        writeback_clean: bool = True,
        PrefetcherCls: Any = _DEFAULT,  # noqa: N803 - gem5's parameter name
    ) -> None:
        super().__init__()
        self.size = size
        self.assoc = assoc
        self.tag_latency = tag_latency
        self.data_latency = data_latency
        self.response_latency = response_latency
        self.mshrs = mshrs
        self.tgts_per_mshr = tgts_per_mshr
        self.writeback_clean = writeback_clean
        cls = default_prefetcher_class() if PrefetcherCls is _DEFAULT else PrefetcherCls
        prefetcher = prefetcher_for("L1ICache", cls)
        if prefetcher is not None:
            self.prefetcher = prefetcher
