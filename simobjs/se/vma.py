"""Pieces of SE address spaces: Linux's memory-call constants, VMAs, the frame
allocator with reference counts for shared frames, and the errors of the calls."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

from simobjs.se.pagetable import NX, A, D, P, U, W
from simobjs.se.physmem import PAGE, OutOfMemory, PageAllocator, PhysMem

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x1, 0x2, 0x10, 0x20
MAP_GROWSDOWN, MAP_POPULATE, MAP_FIXED_NOREPLACE = 0x100, 0x8000, 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED = 1, 2
MADV_DONTNEED = 4
EAGER_LIMIT = 8 << 20
FAULT_AROUND = 64
STACK_INITIAL = 128 << 10
MAX_ACCESS = 1 << 31
PCD_PWT = 0x18  # device pages (m5ops): uncached


class EFault(Exception):
    """A bad user address in a system call's argument (-EFAULT)."""


class SysError(Exception):
    """A memory call failing with `errno`."""

    def __init__(self, err: int) -> None:
        super().__init__(errno.errorcode.get(err, str(err)))
        self.errno = err


def page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


def pte_flags(prot: int) -> int:
    """Leaf flags for `prot` (PROT_NONE keeps the frame in a not-present entry)."""
    if not prot:
        return U | A | D
    flags = P | U | A | D | (W if prot & PROT_WRITE else 0)
    return flags if prot & PROT_EXEC else flags | NX


@dataclass
class Vma:
    start: int
    end: int
    prot: int
    shared: bool = False
    name: str = ""  # path, [heap], [stack], or empty
    offset: int = 0
    kind: str = "anon"  # anon, file, stack, heap, m5ops
    phys: int = 0  # m5ops: the first physical address

    def perms(self) -> str:
        return "".join(
            c if self.prot & bit else "-"
            for c, bit in (("r", PROT_READ), ("w", PROT_WRITE), ("x", PROT_EXEC))
        ) + ("s" if self.shared else "p")


@dataclass
class Frames:
    """The data-page allocator shared by every address space, with reference counts
    for frames more than one space maps (MAP_SHARED across fork)."""

    mem: PhysMem
    alloc: PageAllocator
    shared: dict[int, int] = field(default_factory=dict)

    def get(self, n: int) -> list[int]:
        try:
            return self.alloc.alloc(n)
        except OutOfMemory:
            raise SysError(errno.ENOMEM) from None

    def share(self, ppn: int) -> None:
        self.shared[ppn] = self.shared.get(ppn, 1) + 1

    def release(self, ppns: list[int], shared: bool) -> None:
        if not shared:
            self.alloc.free(ppns)
            return
        gone = []
        for ppn in ppns:
            n = self.shared.get(ppn, 1) - 1
            if n <= 0:
                self.shared.pop(ppn, None)
                gone.append(ppn)
            else:
                self.shared[ppn] = n
        self.alloc.free(gone)
