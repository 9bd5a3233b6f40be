"""gem5.components.processors.base_cpu_core: a core around one BaseCPU."""

from __future__ import annotations

from typing import Any

from gem5.components.processors.abstract_core import AbstractCore
from gem5.isas import ISA
from gem5.utils.override import overrides
from gem5.utils.requires import requires
from m5.objects import BaseCPU, BaseKvmCPU, BaseMMU


class BaseCPUCore(AbstractCore):
    def __init__(self, core: BaseCPU, isa: ISA) -> None:
        super().__init__()
        requires(isa_required=isa)
        self._isa = isa
        self.core = core
        self.core.createThreads()

    def get_simobject(self) -> BaseCPU:
        return self.core

    @overrides(AbstractCore)
    def requires_send_evicts(self) -> bool:
        return self.get_isa() in (ISA.ARM, ISA.X86)

    @overrides(AbstractCore)
    def is_kvm_core(self) -> bool:
        return isinstance(self.core, BaseKvmCPU)

    @overrides(AbstractCore)
    def get_isa(self) -> ISA:
        return self._isa

    @overrides(AbstractCore)
    def connect_icache(self, port: Any) -> None:
        self.core.icache_port = port

    @overrides(AbstractCore)
    def connect_dcache(self, port: Any) -> None:
        self.core.dcache_port = port

    @overrides(AbstractCore)
    def connect_walker_ports(self, port1: Any, port2: Any) -> None:
        # simobjs's CPUs walk the page tables inside the CPU model: its X86MMU has
        # no walker ports, so there is nothing to connect (see docs/gem5-mapping.md)
        connect = getattr(type(self.core.mmu), "connectWalkerPorts", None)
        if connect is not None:
            connect(self.core.mmu, port1, port2)

    @overrides(AbstractCore)
    def set_workload(self, process: Any) -> None:
        self.core.workload = process

    @overrides(AbstractCore)
    def set_switched_out(self, value: bool) -> None:
        self.core.switched_out = value

    @overrides(AbstractCore)
    def connect_interrupt(
        self, interrupt_requestor: Any | None = None, interrupt_responce: Any | None = None
    ) -> None:
        self.core.createInterruptController()
        if self.get_isa() is ISA.X86:
            apic = self.core.interrupts[0]
            if interrupt_requestor is not None:
                apic.pio = interrupt_requestor
                apic.int_responder = interrupt_requestor
            if interrupt_responce is not None:
                apic.int_requestor = interrupt_responce

    @overrides(AbstractCore)
    def get_mmu(self) -> BaseMMU:
        return self.core.mmu

    @overrides(AbstractCore)
    def _set_simpoint(self, inst_starts: list[int], board_initialized: bool) -> None:
        raise NotImplementedError(
            "SimPoints are not supported by simobjs: its CPUs have no SimPoint probe"
        )

    @overrides(AbstractCore)
    def _set_inst_stop_any_thread(self, inst: int, board_initialized: bool) -> None:
        if board_initialized:
            self.core.scheduleInstStopAnyThread(inst)
        else:
            self.core.max_insts_any_thread = inst

    @overrides(AbstractCore)
    def add_pc_tracker_probe(self, target_pair: list[Any], manager: Any) -> None:
        raise NotImplementedError("PC-count tracking (PcCountTracker) is not modelled by simobjs")
