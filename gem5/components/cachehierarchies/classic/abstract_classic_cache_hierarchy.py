"""gem5.components.cachehierarchies.classic.abstract_classic_cache_hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gem5.components.cachehierarchies.abstract_cache_hierarchy import AbstractCacheHierarchy
from gem5.isas import ISA
from gem5.utils.override import overrides
from m5.objects import BadAddr, SystemXBar

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


def default_membus(**extra: Any) -> SystemXBar:
    """gem5's standard-library membus: 64 bytes wide, a BadAddr behind `default`."""
    membus = SystemXBar(width=64, **extra)
    membus.badaddr_responder = BadAddr()
    membus.default = membus.badaddr_responder.pio
    return membus


def has_walker_ports(core: Any) -> bool:
    """Whether the core's MMU has page-table walker ports (simobjs's X86MMU has
    none: its CPUs walk the page tables themselves)."""
    return getattr(type(core.get_mmu()), "connectWalkerPorts", None) is not None


def connect_interrupts(core: Any, board: AbstractBoard, membus: Any) -> None:
    """The core's interrupt controller on the membus (x86: its pio and message ports)."""
    if board.get_processor().get_isa() == ISA.X86:
        core.connect_interrupt(membus.mem_side_ports, membus.cpu_side_ports)
    else:
        core.connect_interrupt()


class AbstractClassicCacheHierarchy(AbstractCacheHierarchy):
    def __init__(self) -> None:
        super().__init__()

    @overrides(AbstractCacheHierarchy)
    def is_ruby(self) -> bool:
        return False

    def get_mem_side_port(self) -> Any:
        raise NotImplementedError

    def get_cpu_side_port(self) -> Any:
        raise NotImplementedError
