"""gem5.components.cachehierarchies.classic.private_l1_private_l2_walk_cache_hierarchy:
PrivateL1PrivateL2CacheHierarchy plus per-core page-walker caches on the L2 bus.
simobjs's CPUs walk the page tables themselves (the MMU has no walker ports), so
the walker caches are made only for cores whose MMU has walker ports: with
simobjs's CPUs this is PrivateL1PrivateL2CacheHierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gem5.components.cachehierarchies.classic.abstract_classic_cache_hierarchy import (
    has_walker_ports,
)
from gem5.components.cachehierarchies.classic.caches.mmu_cache import MMUCache
from gem5.components.cachehierarchies.classic.private_l1_private_l2_cache_hierarchy import (
    PrivateL1PrivateL2CacheHierarchy,
)
from gem5.utils.override import overrides

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class PrivateL1PrivateL2WalkCacheHierarchy(PrivateL1PrivateL2CacheHierarchy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        PrivateL1PrivateL2CacheHierarchy.__init__(self, *args, **kwargs)

    @overrides(PrivateL1PrivateL2CacheHierarchy)
    def incorporate_cache(self, board: AbstractBoard) -> None:
        cores = board.get_processor().get_cores()
        self._walkers = all(has_walker_ports(core) for core in cores)
        if self._walkers:
            self.iptw_caches = [MMUCache(size="8KiB") for _ in cores]
            self.dptw_caches = [MMUCache(size="8KiB") for _ in cores]
        super().incorporate_cache(board)
        if self._walkers:
            for i in range(len(cores)):
                self.iptw_caches[i].mem_side = self.l2buses[i].cpu_side_ports
                self.dptw_caches[i].mem_side = self.l2buses[i].cpu_side_ports

    def _connect_table_walker(self, cpu_id: int, cpu: Any) -> None:
        if self._walkers:
            cpu.connect_walker_ports(
                self.iptw_caches[cpu_id].cpu_side, self.dptw_caches[cpu_id].cpu_side
            )
