"""SE address spaces on a RAM of bytes: mapping, page tables as x86 walks them,
brk, mmap/munmap/mremap/mprotect, demand paging and stack growth, fork's copy."""

from __future__ import annotations

import struct

import pytest

from simobjs.se import layout as L
from simobjs.se.mm import PROT_READ, PROT_WRITE, AddressSpace, EFault, Frames, SysError
from simobjs.se.pagetable import ADDR_MASK, Dirty, PageTable
from simobjs.se.physmem import PageAllocator, PhysMem

MIB = 1 << 20


class Ram:
    def __init__(self, size):
        self.start, self.size = 0, size
        self.buf = bytearray(size)
        self.view = memoryview(self.buf)


@pytest.fixture
def space():
    ram = Ram(64 * MIB)
    mem = PhysMem([ram])
    pool = PageAllocator((48 * MIB) >> 12, (16 * MIB) >> 12, "pool")
    frames = Frames(mem, PageAllocator(1, (48 * MIB >> 12) - 1, "frames"))
    stub = pool.alloc_one()
    dirty = Dirty()
    mm = AddressSpace(frames, PageTable(mem, pool, dirty), stub, 8 * MIB)
    return mm, mem, pool, frames, dirty


def walk(mem, cr3, va):
    """What the MMU does: the physical address of `va`, or None."""
    table = cr3
    for shift in (39, 30, 21, 12):
        e = struct.unpack_from("<Q", mem.span(table + ((va >> shift) & 0x1FF) * 8, 8))[0]
        if not e & 1:
            return None
        table = e & ADDR_MASK
    return table | (va & 0xFFF)


def test_mmap_maps_pages_the_mmu_finds(space):
    mm, mem, *_ = space
    addr = mm.mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, 0x22)
    mm.write(addr + 4090, b"hello, pages")
    assert mm.read(addr + 4090, 12) == b"hello, pages"
    pa = walk(mem, mm.pt.cr3, addr + 4096)
    assert bytes(mem.span(pa, 6)) == b" pages"
    assert walk(mem, mm.pt.cr3, addr + 5 * 4096) is None


def test_munmap_removes_and_dirties(space):
    mm, mem, _pool, frames, dirty = space
    free = frames.alloc.free_pages
    addr = mm.mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, 0x22)
    mm.munmap(addr + 4096, 4096)
    assert dirty.tlb and walk(mem, mm.pt.cr3, addr + 4096) is None
    assert walk(mem, mm.pt.cr3, addr) is not None
    mm.munmap(addr, 8 * 4096)
    assert frames.alloc.free_pages == free
    with pytest.raises(EFault):
        mm.read(addr, 1)


def test_brk_grows_and_shrinks(space):
    mm, *_ = space
    mm.brk_start = mm.brk = 0x600000
    assert mm.set_brk(0x600000 + 10000) == 0x600000 + 10000
    mm.write(0x600000 + 9999, b"x")
    assert mm.set_brk(0x600000) == 0x600000
    with pytest.raises(EFault):
        mm.read(0x600000, 1)
    assert mm.set_brk(0x500000) == 0x600000  # below the start: unchanged


def test_mremap_moves_and_keeps_contents(space):
    mm, *_ = space
    a = mm.mmap(0, 4096, PROT_READ | PROT_WRITE, 0x22)
    mm.write(a, b"keep me")
    mm.mmap(a + 4096, 4096, PROT_READ, 0x32)  # MAP_FIXED right after: growing must move
    b = mm.mremap(a, 4096, 5 * 4096, 1)
    assert b != a and mm.read(b, 7) == b"keep me"
    mm.mmap(b + 5 * 4096, 4096, PROT_READ, 0x32)
    with pytest.raises(SysError):
        mm.mremap(b, 5 * 4096, 9 * 4096, 0)  # no room and may not move: ENOMEM


def test_mprotect_makes_pages_read_only(space):
    mm, *_ = space
    a = mm.mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, 0x22)
    mm.mprotect(a, 4096, PROT_READ)
    with pytest.raises(EFault):
        mm.write(a, b"x")
    mm.write(a + 4096, b"y")
    assert not mm.fault(a, True, False)  # a write fault there is the program's SIGSEGV


def test_big_mappings_and_the_stack_fill_on_demand(space):
    mm, mem, *_ = space
    a = mm.mmap(0, 32 * MIB, PROT_READ | PROT_WRITE, 0x22)
    assert walk(mem, mm.pt.cr3, a + 16 * MIB) is None
    assert mm.fault(a + 16 * MIB, True, False)
    assert walk(mem, mm.pt.cr3, a + 16 * MIB) is not None
    mm.setup_stack()
    low = L.STACK_TOP - 2 * MIB
    assert mm.fault(low, True, False) and mm.find(low).kind == "stack"
    assert not mm.fault(L.STACK_TOP - 9 * MIB, True, False)  # beyond maxStackSize


def test_fork_copies_private_pages(space):
    mm, mem, pool, frames, dirty = space
    a = mm.mmap(0, 4096, PROT_READ | PROT_WRITE, 0x22)
    mm.write(a, b"parent")
    child = mm.fork(PageTable(mem, pool, dirty))
    child.write(a, b"child!")
    assert mm.read(a, 6) == b"parent" and child.read(a, 6) == b"child!"
    assert walk(mem, mm.pt.cr3, a) != walk(mem, child.pt.cr3, a)
