"""Guest-physical memory for SE mode: byte access to the system's RAM by page, and
page allocators over it (gem5's SEWorkload::allocPhysPages).

Pages are numbered by physical page number (address >> 12). `PhysMem` gives a
memoryview of any page; `PageAllocator` hands out and takes back pages from a
range (a bitmap, one byte per page: finding a free run is one C-level search).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

PAGE = 4096
PAGE_SHIFT = 12
_ZERO_PAGE = bytes(PAGE)


class OutOfMemory(Exception):
    """No free physical page is left (the syscall layer turns it into ENOMEM)."""


class PhysMem:
    """The RAM ranges of the system, as (start, end, memoryview) by physical address."""

    def __init__(self, rams: Sequence[object]) -> None:
        # each ram: .start, .size, .view (a writable memoryview of exactly .size bytes)
        self.ranges = sorted((r.start, r.start + r.size, r.view) for r in rams)
        if not self.ranges:
            raise ValueError("SE mode needs guest RAM")
        self._first = self.ranges[0]

    def page(self, ppn: int) -> memoryview:
        """The 4 KiB of page `ppn` (writable)."""
        addr = ppn << PAGE_SHIFT
        start, end, view = self._first
        if start <= addr < end:
            return view[addr - start : addr - start + PAGE]  # in bounds: inside this range
        for start, end, view in self.ranges:
            if start <= addr and addr + PAGE <= end:
                return view[addr - start : addr - start + PAGE]  # in bounds: checked
        raise IndexError(f"physical page {addr:#x} is outside guest RAM")

    def span(self, addr: int, length: int) -> memoryview:
        """`length` bytes at physical `addr` (one RAM range)."""
        for start, end, view in self.ranges:
            if start <= addr and addr + length <= end:
                return view[addr - start : addr - start + length]  # in bounds: checked
        raise IndexError(f"physical range {addr:#x}+{length} is outside guest RAM")

    def zero(self, ppns: Iterable[int]) -> None:
        for ppn in ppns:
            self.page(ppn)[:] = _ZERO_PAGE

    def zero_run(self, first: int, count: int) -> None:
        """Zero `count` physically contiguous pages from `first`."""
        self.span(first << PAGE_SHIFT, count << PAGE_SHIFT)[:] = bytes(count << PAGE_SHIFT)


class PageAllocator:
    """Free/used pages of [first, first + count) (page numbers), contiguous when it can."""

    def __init__(self, first: int, count: int, name: str = "RAM") -> None:
        self.first = first
        self.count = count
        self.name = name
        self.used = bytearray(count)  # 0 free, 1 used
        self.free_pages = count
        self._hint = 0

    def contains(self, ppn: int) -> bool:
        return self.first <= ppn < self.first + self.count

    def alloc(self, n: int) -> list[int]:
        """`n` free pages (in runs as long as possible), marked used."""
        if n > self.free_pages:
            raise OutOfMemory(
                f"{self.name}: {n} pages wanted, {self.free_pages} of {self.count} free"
            )
        out: list[int] = []
        want = n
        used = self.used
        # one run of the whole size first, from the hint, then anywhere
        pos = used.find(bytes(want), self._hint)
        if pos < 0:
            pos = used.find(bytes(want))
        if pos >= 0:
            used[pos : pos + want] = b"\1" * want
            self.free_pages -= want
            self._hint = pos + want
            return list(range(self.first + pos, self.first + pos + want))
        pos = 0
        while want:
            pos = used.find(b"\0", pos)
            end = used.find(b"\1", pos)
            if end < 0:
                end = self.count
            take = min(want, end - pos)
            used[pos : pos + take] = b"\1" * take
            out.extend(range(self.first + pos, self.first + pos + take))
            want -= take
            pos += take
        self.free_pages -= n
        self._hint = pos
        return out

    def alloc_one(self) -> int:
        return self.alloc(1)[0]

    def reserve(self, ppns: Iterable[int]) -> None:
        """Mark pages used (a restored checkpoint's pages)."""
        for ppn in ppns:
            i = ppn - self.first
            if not self.used[i]:
                self.used[i] = 1
                self.free_pages -= 1

    def free(self, ppns: Iterable[int]) -> None:
        for ppn in ppns:
            i = ppn - self.first
            if not 0 <= i < self.count or not self.used[i]:
                raise ValueError(f"{self.name}: freeing page {ppn:#x} that is not allocated")
            self.used[i] = 0
            self.free_pages += 1
            if i < self._hint:
                self._hint = i

    def state(self) -> bytes:
        return bytes(self.used)

    def load(self, used: bytes) -> None:
        if len(used) != self.count:
            raise ValueError(f"{self.name}: bitmap of {len(used)} pages, expected {self.count}")
        self.used = bytearray(used)
        self.free_pages = self.count - self.used.count(1)
        self._hint = 0
