"""x86-64 4-level page tables of one SE address space, built in guest RAM
(gem5's `useArchPT`), with the host's own record of every mapping.

The tables come from a separate pool of pages (a KVM memory slot of their own):
KVM's shadow MMU does not see the host write guest page tables, so after an
entry is changed or removed (not after one is added) the pool's slot is dropped
and re-created, which makes KVM forget every shadow page. `Dirty.tlb` says when
that is due. The upper half of every address space (PML4 entry 256) is shared:
the supervisor pages of `simobjs.se.kernel_pages`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from simobjs.se.physmem import PAGE_SHIFT, PageAllocator, PhysMem

P, W, U, PWT, PCD, A, D = 1, 2, 4, 8, 0x10, 0x20, 0x40
NX = 1 << 63
ADDR_MASK = 0x000F_FFFF_FFFF_F000
TABLE_FLAGS = P | W | U | A  # interior entries allow everything; leaves decide
_Q = struct.Struct("<Q")


class Dirty:
    """What changed under the CPUs since they last dropped their translations: page
    tables (an entry changed or removed, table pages freed) or code pages."""

    __slots__ = ("tlb", "code")

    def __init__(self) -> None:
        self.tlb = self.code = False


class PageTable:
    """One address space's tables: `pte[vpn]` is the leaf entry of every mapped page."""

    def __init__(
        self, mem: PhysMem, pool: PageAllocator, dirty: Dirty, kernel_entry: int = 0
    ) -> None:
        self.mem = mem
        self.pool = pool
        self.dirty = dirty
        self.root = self._new_table()
        self.tables: dict[tuple[int, int], int] = {}  # (level, vpn >> shift) -> table page
        self.pte: dict[int, int] = {}  # vpn -> leaf entry
        if kernel_entry:
            _Q.pack_into(self.mem.page(self.root), 256 * 8, kernel_entry)

    @property
    def cr3(self) -> int:
        return self.root << PAGE_SHIFT

    def _new_table(self) -> int:
        ppn = self.pool.alloc_one()
        self.mem.page(ppn)[:] = bytes(4096)
        return ppn

    def _leaf_table(self, vpn: int) -> int:
        """The page-table page holding vpn's entry, made (with its parents) when missing."""
        table = self.root
        for level, shift in ((3, 27), (2, 18), (1, 9)):
            key = (level, vpn >> shift)
            child = self.tables.get(key)
            if child is None:
                child = self._new_table()
                self.tables[key] = child
                index = (vpn >> shift) & 0x1FF
                _Q.pack_into(self.mem.page(table), index * 8, (child << PAGE_SHIFT) | TABLE_FLAGS)
            table = child
        return table

    def map(self, vpn: int, ppns: Sequence[int], flags: int) -> None:
        """Map pages vpn, vpn+1, ... to `ppns` with leaf `flags` (P W U NX ...)."""
        pte = self.pte
        i, n = 0, len(ppns)
        while i < n:
            v = vpn + i
            table = self.mem.page(self._leaf_table(v))
            first = v & 0x1FF
            count = min(n - i, 512 - first)
            entries = [(ppn << PAGE_SHIFT) | flags for ppn in ppns[i : i + count]]
            if any(v + k in pte for k in range(count)):
                self.dirty.tlb = True  # replacing an entry
            struct.pack_into(f"<{count}Q", table, first * 8, *entries)
            for k, e in enumerate(entries):
                pte[v + k] = e
            i += count

    def unmap(self, vpns: Iterable[int]) -> list[tuple[int, int]]:
        """Remove the entries of `vpns` that exist; returns [(vpn, old entry)]."""
        out = []
        pte = self.pte
        for vpn in vpns:
            e = pte.pop(vpn, None)
            if e is None:
                continue
            table = self.tables[(1, vpn >> 9)]
            _Q.pack_into(self.mem.page(table), (vpn & 0x1FF) * 8, 0)
            out.append((vpn, e))
        if out:
            self.dirty.tlb = True
        return out

    def set_flags(self, vpns: Iterable[int], flags: int) -> None:
        """Rewrite the flags of the mapped pages among `vpns` (their frames stay)."""
        pte = self.pte
        for vpn in vpns:
            e = pte.get(vpn)
            if e is None:
                continue
            new = (e & ADDR_MASK) | flags
            if new != e:
                pte[vpn] = new
                table = self.tables[(1, vpn >> 9)]
                _Q.pack_into(self.mem.page(table), (vpn & 0x1FF) * 8, new)
                self.dirty.tlb = True

    def frame(self, vpn: int) -> int | None:
        e = self.pte.get(vpn)
        return None if e is None else (e & ADDR_MASK) >> PAGE_SHIFT

    def table_pages(self) -> list[int]:
        return [self.root, *self.tables.values()]

    def destroy(self) -> None:
        """Give every table page back to the pool (the data frames are the caller's)."""
        self.pool.free(self.table_pages())
        self.tables.clear()
        self.pte.clear()
        self.dirty.tlb = True

    # -- checkpoints -------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "root": self.root,
            "tables": [[lvl, key, ppn] for (lvl, key), ppn in self.tables.items()],
        }

    @classmethod
    def restore(cls, mem: PhysMem, pool: PageAllocator, dirty: Dirty, state: dict) -> PageTable:
        """The tables of a checkpoint (their pages are in the restored RAM already)."""
        pt = cls.__new__(cls)
        pt.mem, pt.pool, pt.dirty = mem, pool, dirty
        pt.root = state["root"]
        pt.tables = {(lvl, key): ppn for lvl, key, ppn in state["tables"]}
        dirty.tlb = True
        pt.pte = {}
        for (lvl, key), ppn in pt.tables.items():
            if lvl != 1:
                continue
            entries = struct.unpack("<512Q", mem.page(ppn))
            base = key << 9
            for i, e in enumerate(entries):
                if e:
                    pt.pte[base + i] = e
        return pt
