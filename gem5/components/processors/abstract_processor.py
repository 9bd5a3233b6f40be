"""gem5.components.processors.abstract_processor: a processor, a SubSystem of cores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gem5.components.processors.abstract_core import AbstractCore
from gem5.isas import ISA
from m5.objects import SubSystem

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


class AbstractProcessor(SubSystem):
    def __init__(self, cores: list[AbstractCore] | None = None, isa: ISA = ISA.NULL) -> None:
        super().__init__()
        if cores:
            assert len({core.get_isa() for core in cores}) == 1, "all cores must share one ISA"
            self.cores = cores
            self._isa = cores[0].get_isa()
        else:
            self._isa = isa

    def get_num_cores(self) -> int:
        return len(self.get_cores())

    def get_cores(self) -> list[AbstractCore]:
        return list(self.cores)

    def get_isa(self) -> ISA:
        return self._isa

    def incorporate_processor(self, board: AbstractBoard) -> None:
        raise NotImplementedError

    def _post_instantiate(self) -> None:
        pass
