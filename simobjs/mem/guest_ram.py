"""Guest RAM: one shared, prefaulted host mapping per memory range.

KVM maps it as a memory slot, the reference CPU maps the same pages
(Unicorn's mem_map_ptr) and checkpoints read it directly: nothing is copied.
"""

from __future__ import annotations

import ctypes
import mmap
import os

PAGE_SIZE = 4096


class GuestRam:
    """A memfd-backed (or shared anonymous) mapping of `size` bytes at guest address `start`."""

    def __init__(self, start: int, size: int, name: str = "guest-ram", prefault: bool = True):
        if size <= 0 or size % PAGE_SIZE:
            raise ValueError(
                f"guest RAM size must be a positive multiple of {PAGE_SIZE}, got {size}"
            )
        self.start = start
        self.size = size
        self.name = name
        self._fd = -1
        flags = mmap.MAP_SHARED
        if prefault and hasattr(mmap, "MAP_POPULATE"):
            flags |= mmap.MAP_POPULATE  # first guest touches then cost only the shadow-MMU fault
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

    def close(self) -> None:
        """Unmap. Every exported view (KVM slot, Unicorn mapping) must be gone first."""
        if self._mmap is None:
            return
        self.view.release()
        del self._anchor
        self._mmap.close()
        self._mmap = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __repr__(self) -> str:
        return f"<GuestRam {self.name} [{self.start:#x}, {self.end:#x})>"
