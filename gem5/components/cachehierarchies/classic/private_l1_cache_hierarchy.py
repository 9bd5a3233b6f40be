"""gem5.components.cachehierarchies.classic.private_l1_cache_hierarchy: a
private L1 instruction and data cache per core, on the memory bus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gem5.components.cachehierarchies.abstract_cache_hierarchy import AbstractCacheHierarchy
from gem5.components.cachehierarchies.classic.abstract_classic_cache_hierarchy import (
    AbstractClassicCacheHierarchy,
    connect_interrupts,
    default_membus,
    has_walker_ports,
)
from gem5.components.cachehierarchies.classic.caches.l1dcache import L1DCache
from gem5.components.cachehierarchies.classic.caches.l1icache import L1ICache
from gem5.components.cachehierarchies.classic.caches.mmu_cache import MMUCache
from gem5.utils.override import overrides
from m5.objects import BaseXBar, Cache, SystemXBar

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


def io_cache(board: AbstractBoard) -> Cache:
    """gem5's small cache in front of coherent I/O."""
    return Cache(
        assoc=8,
        tag_latency=50,
        data_latency=50,
        response_latency=50,
        mshrs=20,
        size="1kB",
        tgts_per_mshr=12,
        addr_ranges=board.mem_ranges,
    )


class PrivateL1CacheHierarchy(AbstractClassicCacheHierarchy):
    def _get_default_membus(self) -> SystemXBar:
        return default_membus()

    def __init__(self, l1d_size: str, l1i_size: str, membus: BaseXBar | None = None) -> None:
        AbstractClassicCacheHierarchy.__init__(self=self)
        self.membus = membus if membus else self._get_default_membus()
        self._l1d_size = l1d_size
        self._l1i_size = l1i_size

    @overrides(AbstractClassicCacheHierarchy)
    def get_mem_side_port(self) -> Any:
        return self.membus.mem_side_ports

    @overrides(AbstractClassicCacheHierarchy)
    def get_cpu_side_port(self) -> Any:
        return self.membus.cpu_side_ports

    @overrides(AbstractCacheHierarchy)
    def incorporate_cache(self, board: AbstractBoard) -> None:
        board.connect_system_port(self.membus.cpu_side_ports)
        for _, port in board.get_memory().get_mem_ports():
            self.membus.mem_side_ports = port
        cores = board.get_processor().get_cores()
        self.l1icaches = [L1ICache(size=self._l1i_size) for _ in cores]
        self.l1dcaches = [L1DCache(size=self._l1d_size) for _ in cores]
        walkers = all(has_walker_ports(core) for core in cores)
        if walkers:
            self.iptw_caches = [MMUCache(size="8KiB") for _ in cores]
            self.dptw_caches = [MMUCache(size="8KiB") for _ in cores]
        if board.has_coherent_io():
            self.iocache = io_cache(board)
            self.iocache.mem_side = self.membus.cpu_side_ports
            self.iocache.cpu_side = board.get_mem_side_coherent_io_port()
        for i, core in enumerate(cores):
            core.connect_icache(self.l1icaches[i].cpu_side)
            core.connect_dcache(self.l1dcaches[i].cpu_side)
            self.l1icaches[i].mem_side = self.membus.cpu_side_ports
            self.l1dcaches[i].mem_side = self.membus.cpu_side_ports
            if walkers:
                self.iptw_caches[i].mem_side = self.membus.cpu_side_ports
                self.dptw_caches[i].mem_side = self.membus.cpu_side_ports
                core.connect_walker_ports(
                    self.iptw_caches[i].cpu_side, self.dptw_caches[i].cpu_side
                )
            connect_interrupts(core, board, self.membus)
