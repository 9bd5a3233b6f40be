"""gem5.components.cachehierarchies.classic.no_cache: every core straight on
the memory bus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gem5.components.cachehierarchies.abstract_cache_hierarchy import AbstractCacheHierarchy
from gem5.components.cachehierarchies.classic.abstract_classic_cache_hierarchy import (
    AbstractClassicCacheHierarchy,
    connect_interrupts,
    default_membus,
)
from gem5.utils.override import overrides
from m5.objects import BaseXBar, Bridge, SystemXBar

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class NoCache(AbstractClassicCacheHierarchy):
    def _get_default_membus(self) -> SystemXBar:
        return default_membus(max_routing_table_size=2048)

    def __init__(self, membus: BaseXBar | None = None) -> None:
        super().__init__()
        self.membus = membus if membus else self._get_default_membus()

    @overrides(AbstractClassicCacheHierarchy)
    def get_mem_side_port(self) -> Any:
        return self.membus.mem_side_ports

    @overrides(AbstractClassicCacheHierarchy)
    def get_cpu_side_port(self) -> Any:
        return self.membus.cpu_side_ports

    @overrides(AbstractCacheHierarchy)
    def incorporate_cache(self, board: AbstractBoard) -> None:
        if board.has_coherent_io():
            self._setup_coherent_io_bridge(board)
        for core in board.get_processor().get_cores():
            core.connect_icache(self.membus.cpu_side_ports)
            core.connect_dcache(self.membus.cpu_side_ports)
            core.connect_walker_ports(self.membus.cpu_side_ports, self.membus.cpu_side_ports)
            connect_interrupts(core, board, self.membus)
        board.connect_system_port(self.membus.cpu_side_ports)
        for _, port in board.get_memory().get_mem_ports():
            self.membus.mem_side_ports = port

    def _setup_coherent_io_bridge(self, board: AbstractBoard) -> None:
        self.iobridge = Bridge(delay="10ns", ranges=board.mem_ranges)
        self.iobridge.mem_side_port = self.membus.cpu_side_ports
        self.iobridge.cpu_side_port = board.get_mem_side_coherent_io_port()
