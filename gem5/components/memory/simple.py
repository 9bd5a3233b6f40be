"""gem5.components.memory.simple: one SimpleMemory (fixed latency, bandwidth)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gem5.components.memory.abstract_memory_system import AbstractMemorySystem
from gem5.utils.override import overrides
from m5.objects import AddrRange, SimpleMemory
from m5.util.convert import toMemorySize

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class SingleChannelSimpleMemory(AbstractMemorySystem):
    def __init__(self, latency: str, latency_var: str, bandwidth: str, size: str) -> None:
        super().__init__()
        self.module = SimpleMemory(latency=latency, latency_var=latency_var, bandwidth=bandwidth)
        self._size = toMemorySize(size)

    @overrides(AbstractMemorySystem)
    def incorporate_memory(self, board: AbstractBoard) -> None:
        pass

    @overrides(AbstractMemorySystem)
    def get_mem_ports(self) -> Sequence[tuple[AddrRange, Any]]:
        return [(self.module.range, self.module.port)]

    @overrides(AbstractMemorySystem)
    def get_memory_controllers(self) -> list[Any]:
        return [self.module]

    @overrides(AbstractMemorySystem)
    def get_size(self) -> int:
        return self._size

    @overrides(AbstractMemorySystem)
    def set_memory_range(self, ranges: list[AddrRange]) -> None:
        if len(ranges) != 1 or ranges[0].size() != self._size:
            raise Exception(
                "Simple single channel memory controller requires a single range which "
                "matches the memory's size."
            )
        self.module.range = ranges[0]

    @overrides(AbstractMemorySystem)
    def get_uninterleaved_range(self) -> list[AddrRange]:
        return [self.module.range]
