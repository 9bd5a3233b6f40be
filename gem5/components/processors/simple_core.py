"""gem5.components.processors.simple_core: a core of one of gem5's CPU models,
chosen by CPUTypes and ISA (X86KvmCPU, X86AtomicSimpleCPU, X86TimingSimpleCPU)."""

from __future__ import annotations

import m5.objects
from gem5.components.processors.base_cpu_core import BaseCPUCore
from gem5.components.processors.cpu_types import CPUTypes
from gem5.isas import ISA
from gem5.utils.requires import requires

_ISA_PREFIX = {
    ISA.X86: "X86",
    ISA.ARM: "Arm",
    ISA.RISCV: "Riscv",
    ISA.SPARC: "Sparc",
    ISA.POWER: "Power",
    ISA.MIPS: "Mips",
}
_CPU_SUFFIX = {
    CPUTypes.ATOMIC: "AtomicSimpleCPU",
    CPUTypes.O3: "O3CPU",
    CPUTypes.TIMING: "TimingSimpleCPU",
    CPUTypes.KVM: "KvmCPU",
    CPUTypes.MINOR: "MinorCPU",
}
NOT_MODELLED = {
    CPUTypes.O3: "the out-of-order CPU",
    CPUTypes.MINOR: "the in-order pipelined Minor CPU",
}


class SimpleCore(BaseCPUCore):
    def __init__(self, cpu_type: CPUTypes, core_id: int, isa: ISA) -> None:
        requires(isa_required=isa)
        super().__init__(
            core=SimpleCore.cpu_simobject_factory(cpu_type=cpu_type, isa=isa, core_id=core_id),
            isa=isa,
        )
        self._cpu_type = cpu_type

    def get_type(self) -> CPUTypes:
        return self._cpu_type

    @classmethod
    def cpu_class_factory(cls, cpu_type: CPUTypes, isa: ISA) -> type:
        """The BaseCPU class of `cpu_type` for `isa` (e.g. X86TimingSimpleCPU)."""
        assert isa is not None
        requires(isa_required=isa)
        if isa not in _ISA_PREFIX:
            raise NotImplementedError(f"ISA '{isa.name}' has no CPU classes")
        if cpu_type not in _CPU_SUFFIX:
            raise NotImplementedError(f"CPUType '{cpu_type.name}' has no CPU classes")
        name = f"{_ISA_PREFIX[isa]}{_CPU_SUFFIX[cpu_type]}"
        if cpu_type in NOT_MODELLED:
            raise Exception(
                f"CPU type '{cpu_type.name}' ({name}, {NOT_MODELLED[cpu_type]}) is not "
                "modelled by simobjs: use CPUTypes.KVM, CPUTypes.ATOMIC or CPUTypes.TIMING"
            )
        try:
            return getattr(m5.objects, name)
        except AttributeError as e:
            raise Exception(
                f"Cannot find CPU type '{cpu_type.name}' for '{isa.name}' ISA: {e}"
            ) from None

    @classmethod
    def cpu_simobject_factory(cls, cpu_type: CPUTypes, isa: ISA, core_id: int) -> BaseCPUCore:
        return cls.cpu_class_factory(cpu_type=cpu_type, isa=isa)(cpu_id=core_id)
