"""gem5.components.processors.simple_processor: `num_cores` SimpleCores of one type."""

from __future__ import annotations

from gem5.components.processors.base_cpu_processor import BaseCPUProcessor
from gem5.components.processors.cpu_types import CPUTypes
from gem5.components.processors.simple_core import SimpleCore
from gem5.isas import ISA


class SimpleProcessor(BaseCPUProcessor):
    def __init__(self, cpu_type: CPUTypes, num_cores: int, isa: ISA) -> None:
        super().__init__(
            cores=[SimpleCore(cpu_type=cpu_type, core_id=i, isa=isa) for i in range(num_cores)]
        )
