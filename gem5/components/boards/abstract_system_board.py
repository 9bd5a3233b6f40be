"""gem5.components.boards.abstract_system_board: a board that is a System."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gem5.components.boards.abstract_board import AbstractBoard
from m5.objects import System

if TYPE_CHECKING:
    from gem5.components.cachehierarchies.abstract_cache_hierarchy import AbstractCacheHierarchy
    from gem5.components.memory.abstract_memory_system import AbstractMemorySystem
    from gem5.components.processors.abstract_processor import AbstractProcessor


class AbstractSystemBoard(System, AbstractBoard):
    def __init__(
        self,
        clk_freq: str,
        processor: AbstractProcessor,
        memory: AbstractMemorySystem,
        cache_hierarchy: AbstractCacheHierarchy | None,
    ) -> None:
        System.__init__(self)
        AbstractBoard.__init__(
            self,
            clk_freq=clk_freq,
            processor=processor,
            memory=memory,
            cache_hierarchy=cache_hierarchy,
        )
