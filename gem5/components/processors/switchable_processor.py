"""gem5.components.processors.switchable_processor: named sets of cores, one
set running at a time; `switch_to_processor(key)` swaps in another set with
m5.switchCpus."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import m5
from gem5.components.processors.abstract_core import AbstractCore
from gem5.components.processors.abstract_processor import AbstractProcessor
from gem5.components.processors.base_cpu_processor import assign_event_queues
from gem5.components.processors.simple_core import SimpleCore
from gem5.utils.override import overrides
from m5.objects import KvmVM

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class SwitchableProcessor(AbstractProcessor):
    def __init__(self, switchable_cores: dict[str, list[SimpleCore]], starting_cores: str) -> None:
        if starting_cores not in switchable_cores:
            raise AssertionError(
                f"Key {starting_cores} cannot be found in the switchable_processors dictionary."
            )
        self._current_cores = switchable_cores[starting_cores]
        self._switchable_cores = switchable_cores
        assert len({core.get_isa() for core in self._current_cores}) == 1
        super().__init__(isa=self._current_cores[0].get_isa())
        for name, core_list in self._switchable_cores.items():
            setattr(self, name, core_list)
            for core in core_list:
                core.set_switched_out(core not in self._current_cores)
        self._prepare_kvm = any(core.is_kvm_core() for core in self._all_cores())
        if self._prepare_kvm:
            self.kvm_vm = KvmVM()

    @overrides(AbstractProcessor)
    def incorporate_processor(self, board: AbstractBoard) -> None:
        self._board = board
        if self._prepare_kvm:
            board.kvm_vm = self.kvm_vm
            assign_event_queues([core for core in self._all_cores() if core.is_kvm_core()])

    @overrides(AbstractProcessor)
    def get_num_cores(self) -> int:
        return len(self._current_cores)

    @overrides(AbstractProcessor)
    def get_cores(self) -> list[AbstractCore]:
        return self._current_cores

    def _all_cores(self) -> Iterator[AbstractCore]:
        for core_list in self._switchable_cores.values():
            yield from core_list

    def switch_to_processor(self, switchable_core_key: str) -> None:
        """Switch the running cores out and the cores under `switchable_core_key` in."""
        if not hasattr(self, "_board"):
            raise AssertionError("The processor has not been incorporated.")
        if switchable_core_key not in self._switchable_cores:
            raise AssertionError(
                f"Key {switchable_core_key} is not a key in the switchable_processor dictionary."
            )
        to_switch = self._switchable_cores[switchable_core_key]
        if to_switch is self._current_cores:
            raise AssertionError("Cannot swap current cores with the current cores")
        if len(to_switch) != len(self._current_cores):
            raise AssertionError(
                "The number of cores to swap in is not the same as the number already "
                "swapped in. This is not allowed."
            )
        pairs = [
            (old.get_simobject(), new.get_simobject())
            for old, new in zip(self._current_cores, to_switch, strict=True)
        ]
        m5.switchCpus(self._board, pairs)
        self._current_cores = to_switch
