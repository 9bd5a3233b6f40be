"""gem5.components.boards.abstract_board: what every standard-library board
offers: a processor, a memory system and an optional cache hierarchy wired
together before instantiation, and a workload set by a `set_*_workload` call."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gem5.components.boards.mem_mode import MemMode, mem_mode_to_string
from gem5.resources import local_files
from gem5.resources.resource import UnresolvedResource, WorkloadResource
from m5.objects import AddrRange, ClockDomain, IOXBar, SrcClockDomain, System, VoltageDomain

if TYPE_CHECKING:
    from gem5.components.cachehierarchies.abstract_cache_hierarchy import AbstractCacheHierarchy
    from gem5.components.memory.abstract_memory_system import AbstractMemorySystem
    from gem5.components.processors.abstract_processor import AbstractProcessor

NOT_CONNECTED = """
AbstractBoard's ``_connect_things`` function has not been called. This is likely
due to not running a board outside of the gem5 Standard Library Simulator
module. If this is the case, this can be resolved by calling
``<AbstractBoard>._pre_instantiate()`` prior to ``m5.instantiate()``.
"""


class AbstractBoard:
    """A mixin for System subclasses (see AbstractSystemBoard)."""

    def __init__(
        self,
        clk_freq: str,
        processor: AbstractProcessor,
        memory: AbstractMemorySystem,
        cache_hierarchy: AbstractCacheHierarchy | None,
    ) -> None:
        if not isinstance(self, System):
            raise Exception("A gem5 stdlib board must inherit from System.")
        self.clk_domain = SrcClockDomain(clock=clk_freq, voltage_domain=VoltageDomain())
        self.processor = processor
        self.memory = memory
        self._cache_hierarchy = cache_hierarchy
        if cache_hierarchy is not None:
            self.cache_hierarchy = cache_hierarchy
        self._is_fs: bool | None = None
        self._checkpoint = None
        self._setup_memory_ranges()
        self._setup_board()
        self._connect_things_called = False

    # -- components --------------------------------------------------------------
    def get_processor(self) -> AbstractProcessor:
        return self.processor

    def get_memory(self) -> AbstractMemorySystem:
        return self.memory

    def get_mem_ports(self) -> Sequence[tuple[AddrRange, Any]]:
        return self.get_memory().get_mem_ports()

    def get_cache_hierarchy(self) -> AbstractCacheHierarchy | None:
        return self._cache_hierarchy

    def get_cache_line_size(self) -> int:
        return int(self.cache_line_size)

    def connect_system_port(self, port: Any) -> None:
        self.system_port = port

    def set_mem_mode(self, mem_mode: MemMode) -> None:
        self.mem_mode = mem_mode_to_string(mem_mode=mem_mode)

    def get_clock_domain(self) -> ClockDomain:
        return self.clk_domain

    # -- the workload ------------------------------------------------------------
    def _set_fullsystem(self, is_fs: bool) -> None:
        self._is_fs = is_fs

    def is_fullsystem(self) -> bool:
        """True for a full-system workload; known once a workload is set."""
        if self._is_fs is None:
            raise Exception(
                "The workload for this board not yet to be set. Whether the board is to be "
                "executed in FS or SE mode is determined by which 'set workload' function "
                "is run."
            )
        return self._is_fs

    def set_workload(self, workload: WorkloadResource) -> None:
        """Call the board function a workload resource names with its parameters."""
        if isinstance(workload, UnresolvedResource):  # in a sweep: fails when it runs
            local_files.defer(self, workload.error)
            return
        name = workload.get_function_str()
        func = getattr(type(self), name, None)
        if func is None or not callable(func):
            raise Exception(
                "This board does not support this workload type. This board does not "
                f"contain the necessary `{name}` function"
            )
        accepted = inspect.signature(func).parameters
        for param in workload.get_parameters():
            if param not in accepted:
                raise Exception(
                    f"Workload specifies non-existent parameter `{param}` for function `{name}` "
                )
        getattr(self, name)(**workload.get_parameters())

    # -- what each board provides --------------------------------------------------
    def _setup_board(self) -> None:
        raise NotImplementedError

    def has_dma_ports(self) -> bool:
        raise NotImplementedError

    def get_dma_ports(self) -> list[Any]:
        raise NotImplementedError

    def has_io_bus(self) -> bool:
        raise NotImplementedError

    def get_io_bus(self) -> IOXBar:
        raise NotImplementedError

    def has_coherent_io(self) -> bool:
        raise NotImplementedError

    def get_mem_side_coherent_io_port(self) -> Any:
        raise NotImplementedError

    def _setup_memory_ranges(self) -> None:
        raise NotImplementedError

    # -- wiring, before and after m5.instantiate() -----------------------------------
    def _connect_things(self) -> None:
        """Let the memory, the cache hierarchy and the processor wire themselves in."""
        if self._connect_things_called:
            raise Exception("The `_connect_things` function has already been called.")
        self.get_memory().incorporate_memory(self)
        if self.get_cache_hierarchy():
            self.get_cache_hierarchy().incorporate_cache(self)
        self.get_processor().incorporate_processor(self)
        self._connect_things_called = True

    def _pre_instantiate(self) -> None:
        self._connect_things()

    def _post_instantiate(self) -> None:
        self.get_processor()._post_instantiate()
        if self.get_cache_hierarchy():
            self.get_cache_hierarchy()._post_instantiate()
        self.get_memory()._post_instantiate()

    def _connect_things_check(self) -> None:
        if not self._connect_things_called:
            raise Exception(NOT_CONNECTED)
