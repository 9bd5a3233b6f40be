"""A standard-library board for the project's bare-metal guests (tests only):
an AbstractSystemBoard with the PC devices the guest SDK programs at boot
(cascaded 8259s, 8254, COM1 8250 and its terminal) on an I/O bus hung below
the cache hierarchy's memory bus, and an X86BareMetalWorkload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gem5.components.boards.abstract_system_board import AbstractSystemBoard
from m5.objects import (
    I8254,
    I8259,
    AddrRange,
    IOXBar,
    Terminal,
    Uart8250,
    X86BareMetalWorkload,
    x86IOAddress,
)


class PcTestBoard(AbstractSystemBoard):
    def __init__(self, clk_freq: str, processor: Any, memory: Any, cache_hierarchy: Any) -> None:
        super().__init__(
            clk_freq=clk_freq, processor=processor, memory=memory, cache_hierarchy=cache_hierarchy
        )

    def _setup_board(self) -> None:
        self.iobus = IOXBar()
        self.pic2 = I8259(pio_addr=x86IOAddress(0xA0), mode="I8259Slave")
        self.pic = I8259(pio_addr=x86IOAddress(0x20), mode="I8259Master", slave=self.pic2)
        self.pit = I8254(pio_addr=x86IOAddress(0x40))
        self.terminal = Terminal(outfile="none")
        self.uart = Uart8250(pio_addr=x86IOAddress(0x3F8))
        for dev in (self.pic, self.pic2, self.pit, self.uart):
            dev.pio = self.iobus.mem_side_ports
        self.pit.int_pin = self.pic.inputs[0]
        self.pic2.output = self.pic.inputs[2]

    def has_io_bus(self) -> bool:
        return True

    def get_io_bus(self) -> IOXBar:
        return self.iobus

    def has_dma_ports(self) -> bool:
        return False

    def get_dma_ports(self) -> list:
        raise NotImplementedError

    def has_coherent_io(self) -> bool:
        return False

    def get_mem_side_coherent_io_port(self) -> Any:
        raise NotImplementedError

    def _setup_memory_ranges(self) -> None:
        memory = self.get_memory()
        self.mem_ranges = [AddrRange(memory.get_size())]
        memory.set_memory_range(self.mem_ranges)

    def set_bare_metal_workload(
        self, binary: Any, exit_on_work_items: bool = True, checkpoint: Path | None = None
    ) -> None:
        """Run a bare-metal guest ELF (a BinaryResource) from its entry point, or
        restore `checkpoint` (a Path or a CheckpointResource), as the SE and FS
        workload functions of gem5's boards do."""
        self._set_fullsystem(True)
        self.workload = X86BareMetalWorkload(object_file=binary.get_local_path())
        self.exit_on_work_items = exit_on_work_items
        if checkpoint is not None:
            self._checkpoint = (
                checkpoint if isinstance(checkpoint, Path) else Path(checkpoint.get_local_path())
            )

    def _pre_instantiate(self) -> None:
        super()._pre_instantiate()
        self.iobus.cpu_side_ports = self.get_cache_hierarchy().get_mem_side_port()
        for core in self.get_processor().get_cores():
            core.get_simobject().interrupts[0].lint0 = self.pic.output
