"""gem5.components.cachehierarchies.classic.caches.mmu_cache: the page-table-walker cache."""

from __future__ import annotations

from m5.objects import Cache


class MMUCache(Cache):
    def __init__(
        self,
        size: str,
        assoc: int = 4,
        tag_latency: int = 1,
        data_latency: int = 1,
        response_latency: int = 1,
        mshrs: int = 20,
        tgts_per_mshr: int = 12,
        writeback_clean: bool = True,
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
