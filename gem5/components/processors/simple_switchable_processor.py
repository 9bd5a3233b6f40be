"""gem5.components.processors.simple_switchable_processor: cores of a starting
type and cores of a second type; `switch()` flips between them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gem5.components.boards.mem_mode import MemMode
from gem5.components.processors.cpu_types import CPUTypes, get_mem_mode
from gem5.components.processors.simple_core import SimpleCore
from gem5.components.processors.switchable_processor import SwitchableProcessor
from gem5.isas import ISA
from gem5.utils.override import overrides
from m5.util import warn

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class SimpleSwitchableProcessor(SwitchableProcessor):
    def __init__(
        self,
        starting_core_type: CPUTypes,
        switch_core_type: CPUTypes,
        num_cores: int,
        isa: ISA | None = None,
    ) -> None:
        if num_cores <= 0:
            raise AssertionError("Number of cores must be a positive integer!")
        self._start_key = "start"
        self._switch_key = "switch"
        self._current_is_start = True
        self._mem_mode = get_mem_mode(starting_core_type)
        cores = {
            self._start_key: [
                SimpleCore(cpu_type=starting_core_type, core_id=i, isa=isa)
                for i in range(num_cores)
            ],
            self._switch_key: [
                SimpleCore(cpu_type=switch_core_type, core_id=i, isa=isa) for i in range(num_cores)
            ],
        }
        super().__init__(switchable_cores=cores, starting_cores=self._start_key)

    @overrides(SwitchableProcessor)
    def incorporate_processor(self, board: AbstractBoard) -> None:
        super().incorporate_processor(board=board)
        hierarchy = board.get_cache_hierarchy()
        if hierarchy is not None and hierarchy.is_ruby() and self._mem_mode == MemMode.ATOMIC:
            warn(
                "Using an atomic core with Ruby will result in 'atomic_noncaching' memory "
                "mode. This will skip caching completely."
            )
            self._mem_mode = MemMode.ATOMIC_NONCACHING
        board.set_mem_mode(self._mem_mode)

    def switch(self) -> None:
        """Switch to the other set of cores (m5.switchCpus also sets the memory mode)."""
        key = self._switch_key if self._current_is_start else self._start_key
        self.switch_to_processor(key)
        self._current_is_start = not self._current_is_start
