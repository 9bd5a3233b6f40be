"""gem5.components.processors.base_cpu_processor: a processor of BaseCPUCores;
with KVM cores it owns the KvmVM and gives each core its own event queue
index, as gem5 does (simobjs runs every CPU on one queue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gem5.components.boards.mem_mode import MemMode
from gem5.components.processors.abstract_processor import AbstractProcessor
from gem5.components.processors.base_cpu_core import BaseCPUCore
from gem5.utils.override import overrides
from m5.objects import (
    BaseAtomicSimpleCPU,
    BaseKvmCPU,
    KvmVM,
)
from m5.util import warn

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


def _timing_cpu_classes() -> tuple[type, ...]:
    """The timing-mode CPU declarations simobjs has (gem5: timing, O3, Minor)."""
    import m5.objects

    found = []
    for name in ("BaseTimingSimpleCPU", "BaseO3CPU", "BaseMinorCPU"):
        cls = getattr(m5.objects, name, None)
        if isinstance(cls, type) and getattr(cls, "_is_simobject_class", False):
            found.append(cls)
    return tuple(found)


def assign_event_queues(cores: list) -> None:
    """gem5's layout for KVM: each core's CPU on queue i + 1, the objects below it on 0."""
    for i, core in enumerate(cores):
        cpu = core.get_simobject()
        for obj in cpu.descendants():
            obj.eventq_index = 0
        cpu.eventq_index = i + 1


class BaseCPUProcessor(AbstractProcessor):
    def __init__(self, cores: list[BaseCPUCore]) -> None:
        super().__init__(cores=cores)
        if any(core.is_kvm_core() for core in self.get_cores()):
            self.kvm_vm = KvmVM()

    @overrides(AbstractProcessor)
    def incorporate_processor(self, board: AbstractBoard) -> None:
        first = self.get_cores()[0].get_simobject()
        if any(core.is_kvm_core() for core in self.get_cores()):
            board.kvm_vm = self.kvm_vm
            assign_event_queues(self.get_cores())
            board.set_mem_mode(MemMode.ATOMIC_NONCACHING)
        elif isinstance(first, _timing_cpu_classes()):
            board.set_mem_mode(MemMode.TIMING)
        elif isinstance(first, BaseAtomicSimpleCPU):
            hierarchy = board.get_cache_hierarchy()
            if hierarchy is not None and hierarchy.is_ruby():
                warn(
                    "Using an atomic core with Ruby will result in 'atomic_noncaching' "
                    "memory mode. This will skip caching completely."
                )
                board.set_mem_mode(MemMode.ATOMIC_NONCACHING)
            else:
                board.set_mem_mode(MemMode.ATOMIC)
        elif isinstance(first, BaseKvmCPU):
            board.set_mem_mode(MemMode.ATOMIC_NONCACHING)
        else:
            raise NotImplementedError(f"no memory mode known for {type(first).__name__}")
