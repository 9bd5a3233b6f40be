"""Guest RAM: one shared host mapping per memory range, prefaulted up to a bound.

KVM maps it as a memory slot, the reference CPU maps the same pages
(Unicorn's mem_map_ptr) and checkpoints read it directly: nothing is copied.

The size is checked against what the host can back before anything is mapped
(`host_memory`). The first PREFAULT_LIMIT bytes are populated at once (a
guest's first touch of a prefaulted page costs only the shadow-MMU fault); the
rest is allocated as the guest touches it, so a 2 GiB guest does not cost
2 GiB of host memory up front.
"""

from __future__ import annotations

import ctypes
import mmap
import os

from simobjs.errors import SimulationError
from simobjs.mem import host_memory

PAGE_SIZE = 4096
PREFAULT_LIMIT = 256 << 20  # bytes populated at creation; the rest faults in on use
MADV_POPULATE_WRITE = 23  # Linux 5.14 (the mmap module has no name for it)

_mapped = 0  # bytes of guest RAM mapped by this process (for the host check)


def mapped_bytes() -> int:
    """Guest RAM mapped by this process now (all live GuestRam objects)."""
    return _mapped


class GuestRam:
    """A memfd-backed (or shared anonymous) mapping of `size` bytes at guest address `start`."""

    def __init__(self, start: int, size: int, name: str = "guest-ram", prefault: bool = True):
        global _mapped
        if size <= 0 or size % PAGE_SIZE:
            raise ValueError(
                f"guest RAM size must be a positive multiple of {PAGE_SIZE}, got {size}"
            )
        host_memory.check_guest_ram(size, _mapped, name)
        self.start = start
        self.size = size
        self.name = name
        self._fd = -1
        flags = mmap.MAP_SHARED
        populate = min(size, PREFAULT_LIMIT) if prefault else 0
        if populate == size and hasattr(mmap, "MAP_POPULATE"):
            flags |= mmap.MAP_POPULATE  # first guest touches then cost only the shadow-MMU fault
            populate = 0
        try:
            self._fd = os.memfd_create(name, os.MFD_CLOEXEC)
            os.ftruncate(self._fd, size)
            self._mmap = mmap.mmap(self._fd, size, flags, mmap.PROT_READ | mmap.PROT_WRITE)
        except (AttributeError, OSError):
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            self._mmap = mmap.mmap(
                -1, size, flags | mmap.MAP_ANONYMOUS, mmap.PROT_READ | mmap.PROT_WRITE
            )
        self._anchor = ctypes.c_char.from_buffer(self._mmap)
        self.host_address: int = ctypes.addressof(self._anchor)
        self.view = memoryview(self._mmap)
        _mapped += size
        if populate:
            self._populate(populate)

    def _populate(self, length: int) -> None:
        """Allocate the first `length` bytes now (the rest is allocated on first touch)."""
        try:
            self._mmap.madvise(MADV_POPULATE_WRITE, 0, length)
        except (OSError, ValueError):  # before Linux 5.14: touch one byte per page
            view = self.view
            for off in range(0, length, PAGE_SIZE):
                view[off] = 0  # in bounds: off < length <= size; the RAM is all zeros

    @property
    def end(self) -> int:
        return self.start + self.size

    def contains(self, addr: int, length: int = 1) -> bool:
        return self.start <= addr and addr + length <= self.start + self.size

    def read(self, addr: int, length: int) -> bytes:
        off = addr - self.start
        if off < 0 or off + length > self.size:
            raise IndexError(f"{self.name}: read of {length} bytes at {addr:#x} is outside RAM")
        return bytes(self.view[off : off + length])  # in bounds: checked just above

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        off = addr - self.start
        if off < 0 or off + len(data) > self.size:
            raise IndexError(f"{self.name}: write of {len(data)} bytes at {addr:#x} is outside RAM")
        self.view[off : off + len(data)] = data  # in bounds: checked just above

    def serve(self, pkt, writeable: bool, owner: str) -> None:
        """The functional part of a memory packet: read into or (when `writeable`) write from
        `pkt.data`. An access outside this RAM is a SimulationError naming `owner`."""
        off = pkt.addr - self.start
        if off < 0 or off + pkt.size > self.size:
            raise SimulationError(
                f"access of {pkt.size} bytes at {pkt.addr:#x} from {pkt.requestor} is outside "
                f"[{self.start:#x}, {self.end:#x})",
                owner,
            )
        if pkt.isRead():
            pkt.data[:] = self.view[off : off + pkt.size]  # in bounds: checked above
        elif writeable:
            self.view[off : off + pkt.size] = pkt.data  # in bounds: checked above

    def close(self) -> None:
        """Unmap. Every exported view (KVM slot, Unicorn mapping) must be gone first."""
        global _mapped
        if self._mmap is None:
            return
        _mapped -= self.size
        self.view.release()
        del self._anchor
        self._mmap.close()
        self._mmap = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __repr__(self) -> str:
        return f"<GuestRam {self.name} [{self.start:#x}, {self.end:#x})>"
