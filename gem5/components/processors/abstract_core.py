"""gem5.components.processors.abstract_core: the interface of a core, the unit
a processor is made of (a SubSystem holding one CPU)."""

from __future__ import annotations

from typing import Any

from gem5.isas import ISA
from m5.objects import BaseMMU, SubSystem


class AbstractCore(SubSystem):
    def __init__(self) -> None:
        super().__init__()

    def get_isa(self) -> ISA:
        raise NotImplementedError

    def requires_send_evicts(self) -> bool:
        return False

    def is_kvm_core(self) -> bool:
        raise NotImplementedError

    def connect_icache(self, port: Any) -> None:
        raise NotImplementedError

    def connect_dcache(self, port: Any) -> None:
        raise NotImplementedError

    def connect_walker_ports(self, port1: Any, port2: Any) -> None:
        raise NotImplementedError

    def set_workload(self, process: Any) -> None:
        raise NotImplementedError

    def set_switched_out(self, value: bool) -> None:
        raise NotImplementedError

    def connect_interrupt(
        self, interrupt_requestor: Any | None = None, interrupt_responce: Any | None = None
    ) -> None:
        raise NotImplementedError

    def get_mmu(self) -> BaseMMU:
        raise NotImplementedError

    def _set_simpoint(self, inst_starts: list[int], board_initialized: bool) -> None:
        raise NotImplementedError("This core type does not support simpoints")

    def _set_inst_stop_any_thread(self, inst: int, board_initialized: bool) -> None:
        raise NotImplementedError("This core type does not support MAX_INSTS")

    def add_pc_tracker_probe(self, target_pair: list[Any], manager: Any) -> None:
        raise NotImplementedError
