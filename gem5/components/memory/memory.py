"""gem5.components.memory.memory: ChanneledMemory, `num_channels` MemCtrls each
with a DRAM interface of one class, interleaved over one address range."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gem5.components.memory.abstract_memory_system import AbstractMemorySystem
from gem5.utils.override import overrides
from m5.objects import AddrRange, MemCtrl
from m5.util.convert import toMemorySize

if TYPE_CHECKING:
    from gem5.components.boards.abstract_board import AbstractBoard


def _convert(value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except Exception:  # noqa: BLE001 - gem5's message for any bad value
        raise Exception(f"Could not convert {value} to {kind}") from None


def _is_pow2(num: int) -> bool:
    return num > 0 and num & (num - 1) == 0


def _default(cls: type, name: str) -> Any:
    """A DRAM interface class's declared default of param `name`, as a plain value."""
    value = cls._values[name]
    raw = getattr(value, "value", value)
    return raw if isinstance(raw, str) else int(raw)


class ChanneledMemory(AbstractMemorySystem):
    def __init__(
        self,
        dram_interface_class: type,
        num_channels: int | str,
        interleaving_size: int | str,
        size: str | None = None,
        addr_mapping: str | None = None,
    ) -> None:
        num_channels = _convert(num_channels, int)
        interleaving_size = _convert(interleaving_size, int)
        super().__init__()
        self._dram_class = dram_interface_class
        self._num_channels = num_channels
        if not _is_pow2(interleaving_size):
            raise ValueError("Memory interleaving size should be a power of 2")
        self._intlv_size = interleaving_size
        self._addr_mapping = (
            _convert(addr_mapping, str)
            if addr_mapping
            else str(_default(dram_interface_class, "addr_mapping"))
        )
        if size:
            self._size = toMemorySize(_convert(size, str))
        else:
            self._size = self._get_dram_size(num_channels, dram_interface_class)
        self._create_mem_interfaces_controller()

    def _create_mem_interfaces_controller(self) -> None:
        self._dram = [
            self._dram_class(addr_mapping=self._addr_mapping) for _ in range(self._num_channels)
        ]
        self.mem_ctrl = [MemCtrl(dram=dram) for dram in self._dram]

    def _get_dram_size(self, num_channels: int, dram: type) -> int:
        per_channel = (
            _default(dram, "device_size")
            * _default(dram, "devices_per_rank")
            * _default(dram, "ranks_per_channel")
        )
        return num_channels * per_channel

    def _interleave_addresses(self) -> None:
        if self._addr_mapping == "RoRaBaChCo":
            row_buffer = _default(self._dram_class, "device_rowbuffer_size") * _default(
                self._dram_class, "devices_per_rank"
            )
            low_bit = int(math.log2(row_buffer))
        elif self._addr_mapping in ("RoRaBaCoCh", "RoCoRaBaCh"):
            low_bit = int(math.log2(self._intlv_size))
        else:
            raise ValueError(
                "Only these address mappings are supported: RoRaBaChCo, RoRaBaCoCh, RoCoRaBaCh"
            )
        bits = int(math.log2(self._num_channels))
        for i, ctrl in enumerate(self.mem_ctrl):
            if bits == 0:
                ctrl.dram.range = AddrRange(
                    start=self._mem_range.start, size=self._mem_range.size()
                )
            else:
                ctrl.dram.range = AddrRange(
                    start=self._mem_range.start,
                    size=self._mem_range.size(),
                    intlvHighBit=low_bit + bits - 1,
                    xorHighBit=0,
                    intlvBits=bits,
                    intlvMatch=i,
                )

    @overrides(AbstractMemorySystem)
    def incorporate_memory(self, board: AbstractBoard) -> None:
        if self._intlv_size < int(board.get_cache_line_size()):
            raise ValueError(
                "Memory interleaving size can not be smaller than board's cache line size.\n"
                f"Board's cache line size: {board.get_cache_line_size()}\n, "
                f"This memory's interleaving size: {self._intlv_size}"
            )

    @overrides(AbstractMemorySystem)
    def get_mem_ports(self) -> Sequence[tuple[AddrRange, Any]]:
        return [(ctrl.dram.range, ctrl.port) for ctrl in self.mem_ctrl]

    @overrides(AbstractMemorySystem)
    def get_memory_controllers(self) -> list[Any]:
        return list(self.mem_ctrl)

    @overrides(AbstractMemorySystem)
    def get_size(self) -> int:
        return self._size

    @overrides(AbstractMemorySystem)
    def set_memory_range(self, ranges: list[AddrRange]) -> None:
        if len(ranges) != 1 or ranges[0].size() != self._size:
            raise Exception(
                "Multi channel memory controller requires a single range which matches the "
                f"memory's size.\nThe range size: {ranges[0].size()}\n"
                f"This memory's size: {self._size}"
            )
        self._mem_range = ranges[0]
        self._interleave_addresses()

    @overrides(AbstractMemorySystem)
    def get_uninterleaved_range(self) -> list[AddrRange]:
        return [self._mem_range]
