"""The supervisor pages every SE address space shares (gem5's kvmInSE setup in
src/arch/x86/process.cc): GDT, IDT, the ring-0 fault stubs, one TSS (with the
I/O bitmap that lets ring 3 reach the system-call port) and one fault stack per
hardware context, and the system-call entry stub page. All of it comes from the
page-table pool and is written once.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from simobjs.se import layout as L
from simobjs.se.pagetable import NX, TABLE_FLAGS, A, D, P, U, W
from simobjs.se.physmem import PAGE_SHIFT, PageAllocator, PhysMem
from simobjs.se.stub import page as entry_page

_Q = struct.Struct("<Q")


def _gate(handler: int, dpl: int) -> bytes:
    """A 16-byte 64-bit interrupt gate to CS 0x08."""
    attrs = 0x8E | (dpl << 5)
    return struct.pack(
        "<HHBBHII",
        handler & 0xFFFF,
        L.SEL_CODE0,
        0,
        attrs,
        (handler >> 16) & 0xFFFF,
        handler >> 32,
        0,
    )


def _tss_descriptor(base: int, limit: int) -> tuple[int, int]:
    lo = (
        (limit & 0xFFFF)
        | (base & 0xFFFFFF) << 16
        | 0x89 << 40
        | ((limit >> 16) & 0xF) << 48
        | ((base >> 24) & 0xFF) << 56
    )
    return lo, base >> 32


@dataclass
class KernelPages:
    """Where the shared pages are: `kernel_entry` goes in PML4 slot 256 of every
    address space; `stub_ppn` (the entry page, simobjs.se.stub) is mapped user-executable and
    writable (its slots) at layout.STUB_VA."""

    kernel_entry: int
    stub_ppn: int
    contexts: int
    pages: list[int]

    @classmethod
    def build(cls, mem: PhysMem, pool: PageAllocator, contexts: int) -> KernelPages:
        if not 1 <= contexts <= L.MAX_CONTEXTS:
            raise ValueError(f"SE mode supports 1..{L.MAX_CONTEXTS} hardware contexts")
        pages: list[int] = []

        def new() -> int:
            ppn = pool.alloc_one()
            mem.page(ppn)[:] = bytes(4096)
            pages.append(ppn)
            return ppn

        pdpt, pd, pt = new(), new(), new()
        _Q.pack_into(mem.page(pdpt), 0, (pd << PAGE_SHIFT) | TABLE_FLAGS)
        _Q.pack_into(mem.page(pd), 0, (pt << PAGE_SHIFT) | TABLE_FLAGS)

        def place(va: int, ppn: int, user: bool = False, writable: bool = True) -> None:
            flags = P | A | D | (W if writable else 0) | (U if user else 0)
            if not user:
                flags |= NX if va not in (L.FAULT_STUBS_VA,) else 0
            _Q.pack_into(mem.page(pt), ((va - L.KERNEL_VA) >> 12) * 8, (ppn << PAGE_SHIFT) | flags)

        gdt, idt, stubs = new(), new(), new()
        place(L.GDT_VA, gdt)
        place(L.IDT_VA, idt)
        place(L.FAULT_STUBS_VA, stubs, writable=False)
        entries = [0, L.GDT_CODE0, L.GDT_DATA0, L.GDT_DATA3, L.GDT_CODE3]
        for ctx in range(contexts):
            tss = new()
            place(L.tss_va(ctx), tss)
            t = mem.page(tss)
            struct.pack_into("<Q", t, 4, L.kstack_top(ctx))  # RSP0
            struct.pack_into("<H", t, 102, L.TSS_IOMAP)
            bitmap = bytearray(b"\xff" * (L.TSS_IOMAP_BYTES + 1))
            bitmap[L.SYSCALL_PORT // 8] &= ~(1 << (L.SYSCALL_PORT % 8))
            t[L.TSS_IOMAP : L.TSS_IOMAP + len(bitmap)] = bytes(bitmap)
            entries += _tss_descriptor(L.tss_va(ctx), L.TSS_LIMIT)
            for k in range(L.KSTACK_SIZE // 4096):
                place(L.KSTACK_VA + L.KSTACK_SIZE * ctx + 4096 * k, new())
        mem.page(gdt)[: 8 * len(entries)] = struct.pack(f"<{len(entries)}Q", *entries)
        code = b"".join(L.fault_stub(v) for v in range(L.FAULT_VECTORS))
        mem.page(stubs)[: len(code)] = code
        gates = b"".join(
            _gate(L.FAULT_STUBS_VA + L.STUB_SIZE * v, 3 if v in L.USER_GATES else 0)
            for v in range(L.FAULT_VECTORS)
        )
        mem.page(idt)[: len(gates)] = gates
        stub = new()
        mem.page(stub)[:] = entry_page()
        return cls((pdpt << PAGE_SHIFT) | TABLE_FLAGS, stub, contexts, pages)

    def state(self) -> dict:
        return {
            "kernel_entry": self.kernel_entry,
            "stub_ppn": self.stub_ppn,
            "contexts": self.contexts,
            "pages": self.pages,
        }

    @classmethod
    def restore(cls, state: dict) -> KernelPages:
        return cls(state["kernel_entry"], state["stub_ppn"], state["contexts"], state["pages"])
