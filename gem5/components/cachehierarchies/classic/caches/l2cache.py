"""gem5.components.cachehierarchies.classic.caches.l2cache: the standard library's L2."""

from __future__ import annotations

from typing import Any

from gem5.components.cachehierarchies.classic.caches.prefetch import (
    default_prefetcher_class,
    prefetcher_for,
)
from m5.objects import Cache

_DEFAULT = object()


class L2Cache(Cache):
    def __init__(
        self,
        size: str,
        assoc: int = 16,
        tag_latency: int = 10,
        data_latency: int = 10,
        response_latency: int = 1,
        mshrs: int = 20,
        tgts_per_mshr: int = 12,
        writeback_clean: bool = False,
        clusivity: str = "mostly_incl",
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
        self.clusivity = clusivity
        cls = default_prefetcher_class() if PrefetcherCls is _DEFAULT else PrefetcherCls
        prefetcher = prefetcher_for("L2Cache", cls)
        if prefetcher is not None:
            self.prefetcher = prefetcher
