"""gem5.components.cachehierarchies.classic.private_l1_private_l2_cache_hierarchy:
per core an L1 instruction and data cache on a private L2 bus, a private L2 below."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gem5.components.cachehierarchies.abstract_cache_hierarchy import AbstractCacheHierarchy
from gem5.components.cachehierarchies.abstract_two_level_cache_hierarchy import (
    AbstractTwoLevelCacheHierarchy,
)
from gem5.components.cachehierarchies.classic.abstract_classic_cache_hierarchy import (
    AbstractClassicCacheHierarchy,
    connect_interrupts,
    default_membus,
)
from gem5.components.cachehierarchies.classic.caches.l1dcache import L1DCache
from gem5.components.cachehierarchies.classic.caches.l1icache import L1ICache
from gem5.components.cachehierarchies.classic.caches.l2cache import L2Cache
from gem5.components.cachehierarchies.classic.private_l1_cache_hierarchy import io_cache
from gem5.utils.override import overrides
from m5.objects import BaseXBar, L2XBar, SystemXBar

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class PrivateL1PrivateL2CacheHierarchy(
    AbstractClassicCacheHierarchy, AbstractTwoLevelCacheHierarchy
):
    def _get_default_membus(self) -> SystemXBar:
        return default_membus()

    def __init__(
        self, l1d_size: str, l1i_size: str, l2_size: str, membus: BaseXBar | None = None
    ) -> None:
        AbstractClassicCacheHierarchy.__init__(self=self)
        AbstractTwoLevelCacheHierarchy.__init__(
            self,
            l1i_size=l1i_size,
            l1i_assoc=8,
            l1d_size=l1d_size,
            l1d_assoc=8,
            l2_size=l2_size,
            l2_assoc=4,
        )
        self.membus = membus if membus else self._get_default_membus()

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
        self.l2buses = [L2XBar() for _ in cores]
        for i, core in enumerate(cores):
            l2 = self.add_root_child(f"l2-cache-{i}", L2Cache(size=self._l2_size))
            l1i = l2.add_child(f"l1i-cache-{i}", L1ICache(size=self._l1i_size))
            l1d = l2.add_child(f"l1d-cache-{i}", L1DCache(size=self._l1d_size))
            self.l2buses[i].mem_side_ports = l2.cache.cpu_side
            self.membus.cpu_side_ports = l2.cache.mem_side
            l1i.cache.mem_side = self.l2buses[i].cpu_side_ports
            l1d.cache.mem_side = self.l2buses[i].cpu_side_ports
            core.connect_icache(l1i.cache.cpu_side)
            core.connect_dcache(l1d.cache.cpu_side)
            self._connect_table_walker(i, core)
            connect_interrupts(core, board, self.membus)
        if board.has_coherent_io():
            self.iocache = io_cache(board)
            self.iocache.mem_side = self.membus.cpu_side_ports
            self.iocache.cpu_side = board.get_mem_side_coherent_io_port()

    def _connect_table_walker(self, cpu_id: int, cpu: Any) -> None:
        cpu.connect_walker_ports(self.membus.cpu_side_ports, self.membus.cpu_side_ports)
