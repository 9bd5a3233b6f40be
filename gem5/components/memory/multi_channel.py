"""gem5.components.memory.multi_channel: two-channel DRAM memories, interleaved every 64 bytes."""

from __future__ import annotations

from gem5.components.memory.abstract_memory_system import AbstractMemorySystem
from gem5.components.memory.dram_interfaces import ddr3, ddr4, lpddr3
from gem5.components.memory.memory import ChanneledMemory


def DualChannelDDR3_1600(size: str | None = None) -> AbstractMemorySystem:  # noqa: N802
    return ChanneledMemory(ddr3.DDR3_1600_8x8, 2, 64, size=size)


def DualChannelDDR3_2133(size: str | None = None) -> AbstractMemorySystem:  # noqa: N802
    return ChanneledMemory(ddr3.DDR3_2133_8x8, 2, 64, size=size)


def DualChannelDDR4_2400(size: str | None = None) -> AbstractMemorySystem:  # noqa: N802
    return ChanneledMemory(ddr4.DDR4_2400_8x8, 2, 64, size=size)


def DualChannelLPDDR3_1600(size: str | None = None) -> AbstractMemorySystem:  # noqa: N802
    return ChanneledMemory(lpddr3.LPDDR3_1600_1x32, 2, 64, size=size)
