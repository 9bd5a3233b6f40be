"""Guest-physical RAM access and the 4-level page walk the event-delivery code needs.

Delivering an exception by hand reads the IDT, GDT and TSS and pushes a frame,
all through linear addresses. The walk is done here rather than through
Unicorn's `uc_vmem_*`, whose failed walks leave CR2 and `old_exception`
changed; this one sets the accessed and dirty bits as the hardware does.
"""

from __future__ import annotations

import ctypes
import struct


class PageFault(Exception):
    """A linear address did not translate: `error_code` is the #PF error code."""

    def __init__(self, address: int, error_code: int) -> None:
        super().__init__(f"#PF at {address:#x} (error code {error_code:#x})")
        self.address = address
        self.error_code = error_code


class PhysMem:
    """The guest RAM ranges as memoryviews over their host mappings."""

    def __init__(self, ranges: list[tuple[int, int, int]]) -> None:
        self.ranges = []
        for start, size, host in ranges:
            # in bounds: the caller's mapping is exactly `size` bytes at `host`
            buf = (ctypes.c_char * size).from_address(host)
            self.ranges.append((start, start + size, memoryview(buf).cast("B")))

    def _find(self, addr: int, length: int) -> tuple[memoryview, int]:
        for start, end, view in self.ranges:
            if start <= addr and addr + length <= end:
                return view, addr - start
        raise IndexError(f"physical access of {length} bytes at {addr:#x} is outside guest RAM")

    def read(self, addr: int, length: int) -> bytes:
        view, off = self._find(addr, length)
        return bytes(view[off : off + length])  # in bounds: _find checked the range

    def write(self, addr: int, data: bytes) -> None:
        view, off = self._find(addr, len(data))
        view[off : off + len(data)] = data  # in bounds: _find checked the range

    def u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def set_u64(self, addr: int, value: int) -> None:
        self.write(addr, struct.pack("<Q", value))

    def release(self) -> None:
        for _s, _e, view in self.ranges:
            view.release()
        self.ranges = []


PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS = 1, 2, 4, 0x20, 0x40, 0x80
ADDR_MASK = 0x000F_FFFF_FFFF_F000


def translate(
    mem: PhysMem, cr0: int, cr3: int, linear: int, write: bool, user: bool = False
) -> int:
    """Linear -> physical with 4-level paging (identity when CR0.PG is clear)."""
    if not cr0 & (1 << 31):
        return linear
    entry_at = cr3 & ADDR_MASK
    walked: list[int] = []
    error = (2 if write else 0) | (4 if user else 0)
    for level, shift in enumerate((39, 30, 21, 12)):
        addr = entry_at + ((linear >> shift) & 0x1FF) * 8
        try:
            entry = mem.u64(addr)
        except IndexError:
            raise PageFault(linear, error) from None
        if not entry & PTE_P:
            raise PageFault(linear, error)
        if (write and not entry & PTE_W and cr0 & (1 << 16)) or (user and not entry & PTE_U):
            raise PageFault(linear, error | 1)
        walked.append(addr)
        if shift in (30, 21) and entry & PTE_PS:
            size_mask = (1 << shift) - 1
            _set_ad(mem, walked, write)
            return (entry & ADDR_MASK & ~size_mask) | (linear & size_mask)
        if level == 3:
            _set_ad(mem, walked, write)
            return (entry & ADDR_MASK) | (linear & 0xFFF)
        entry_at = entry & ADDR_MASK
    raise AssertionError("unreachable")


def _set_ad(mem: PhysMem, walked: list[int], write: bool) -> None:
    for i, addr in enumerate(walked):
        entry = mem.u64(addr)
        new = entry | PTE_A | (PTE_D if write and i == len(walked) - 1 else 0)
        if new != entry:
            mem.set_u64(addr, new)


def read_linear(mem: PhysMem, cr0: int, cr3: int, linear: int, length: int) -> bytes:
    out = bytearray()
    while length:
        chunk = min(length, 0x1000 - (linear & 0xFFF))
        out += mem.read(translate(mem, cr0, cr3, linear, False), chunk)
        linear, length = linear + chunk, length - chunk
    return bytes(out)


def write_linear(mem: PhysMem, cr0: int, cr3: int, linear: int, data: bytes) -> None:
    # translate every page first so a fault leaves memory untouched
    pieces = []
    pos = 0
    while pos < len(data):
        chunk = min(len(data) - pos, 0x1000 - ((linear + pos) & 0xFFF))
        pieces.append((translate(mem, cr0, cr3, linear + pos, True), data[pos : pos + chunk]))
        pos += chunk
    for phys, piece in pieces:
        mem.write(phys, piece)
