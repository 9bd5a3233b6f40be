"""gem5.components.memory.abstract_memory_system: the interface of a board's memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from m5.objects import AddrRange, SubSystem

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class AbstractMemorySystem(SubSystem):
    def __init__(self) -> None:
        super().__init__()

    def incorporate_memory(self, board: AbstractBoard) -> None:
        raise NotImplementedError

    def get_mem_ports(self) -> Sequence[tuple[AddrRange, Any]]:
        raise NotImplementedError

    def get_memory_controllers(self) -> list[Any]:
        raise NotImplementedError

    def get_size(self) -> int:
        raise NotImplementedError

    def set_memory_range(self, ranges: list[AddrRange]) -> None:
        raise NotImplementedError

    def get_uninterleaved_range(self) -> list[AddrRange]:
        raise NotImplementedError

    def _post_instantiate(self) -> None:
        pass
