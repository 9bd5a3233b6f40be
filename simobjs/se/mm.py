"""One SE address space: VMAs over a page table in guest RAM, Linux's memory calls
(brk, mmap, munmap, mremap, mprotect, madvise), demand paging and stack growth,
fork's copy, and the bounds-checked access the system calls use.

Anonymous mappings up to `EAGER_LIMIT` bytes get their pages at once (a fault costs
an exit); bigger ones and the stack below its first pages are filled on the fault
(or host access) that first touches them, `FAULT_AROUND` pages at a time.
"""

from __future__ import annotations

import bisect
import errno
from collections.abc import Callable
from dataclasses import replace

from simobjs.se import layout as L
from simobjs.se.pagetable import ADDR_MASK, A, D, Dirty, P, PageTable, U, W
from simobjs.se.physmem import PAGE, PAGE_SHIFT, PageAllocator
from simobjs.se.vma import (  # noqa: F401 - the memory calls' names, used through mm
    EAGER_LIMIT,
    FAULT_AROUND,
    MADV_DONTNEED,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_FIXED_NOREPLACE,
    MAP_GROWSDOWN,
    MAP_POPULATE,
    MAP_PRIVATE,
    MAP_SHARED,
    MAX_ACCESS,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    PCD_PWT,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    STACK_INITIAL,
    EFault,
    Frames,
    SysError,
    Vma,
    page_up,
    pte_flags,
)


class AddressSpace:
    """VMAs and pages of one process."""

    def __init__(self, frames: Frames, pt: PageTable, stub_ppn: int, max_stack: int) -> None:
        self.frames = frames
        self.mem = frames.mem
        self.pt = pt
        self.vmas: list[Vma] = []
        self._starts: list[int] = []
        self.brk_start = self.brk = 0
        self.max_stack = max_stack
        self.mmap_top = L.STACK_TOP - max(max_stack, L.MMAP_GAP)
        self.stub_ppn = stub_ppn
        pt.map(L.STUB_VA >> PAGE_SHIFT, [stub_ppn], P | U | W | A | D)  # its slots are written

    # -- VMAs -------------------------------------------------------------------------
    def find(self, addr: int) -> Vma | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.vmas[i].end:
            return self.vmas[i]
        return None

    def _insert(self, vma: Vma) -> None:
        i = bisect.bisect_left(self._starts, vma.start)
        self.vmas.insert(i, vma)
        self._starts.insert(i, vma.start)

    def _reindex(self) -> None:
        self.vmas.sort(key=lambda v: v.start)
        self._starts = [v.start for v in self.vmas]

    def overlaps(self, start: int, end: int) -> list[Vma]:
        return [v for v in self.vmas if v.start < end and start < v.end]

    def _split(self, addr: int) -> None:
        """Make `addr` a VMA boundary."""
        vma = self.find(addr)
        if vma is None or vma.start == addr:
            return
        tail = replace(vma, start=addr)
        if vma.kind == "file":
            tail.offset = vma.offset + (addr - vma.start)
        vma.end = addr
        self._insert(tail)

    def add(self, vma: Vma, populate: bool | None = None) -> Vma:
        """Add a VMA over a free range; its pages now or on first touch."""
        self._insert(vma)
        if vma.kind == "m5ops":
            first = vma.phys >> PAGE_SHIFT
            n = (vma.end - vma.start) >> PAGE_SHIFT
            self.pt.map(vma.start >> PAGE_SHIFT, range(first, first + n), P | W | U | PCD_PWT)
            return vma
        if populate is None:
            populate = vma.end - vma.start <= EAGER_LIMIT
        if populate and vma.prot:
            self.populate(vma, vma.start >> PAGE_SHIFT, (vma.end - vma.start) >> PAGE_SHIFT)
        return vma

    def populate(self, vma: Vma, vpn: int, count: int, data: bytes | None = None) -> None:
        """Give frames to the unmapped pages among [vpn, vpn+count) of `vma`; `data`
        fills them from byte 0 of page `vpn` on (the rest is zero)."""
        pte = self.pt.pte
        todo = [v for v in range(vpn, vpn + count) if v not in pte]
        if not todo:
            return
        ppns = self.frames.get(len(todo))
        mem = self.mem
        for v, ppn in zip(todo, ppns, strict=True):
            page = mem.page(ppn)
            if data is not None:
                off = (v - vpn) << PAGE_SHIFT
                chunk = data[off : off + PAGE]
                page[: len(chunk)] = chunk
                if len(chunk) < PAGE:
                    page[len(chunk) :] = bytes(PAGE - len(chunk))
            else:
                page[:] = bytes(PAGE)
        flags = pte_flags(vma.prot)
        # map runs of consecutive vpns in one call
        start = 0
        for i in range(1, len(todo) + 1):
            if i == len(todo) or todo[i] != todo[i - 1] + 1:
                self.pt.map(todo[start], ppns[start:i], flags)
                start = i
        if vma.prot & PROT_EXEC:
            self.pt.dirty.code = True

    def unmap(self, start: int, end: int) -> None:
        """Remove [start, end) (page-aligned) from every VMA, freeing its frames."""
        if not self.overlaps(start, end):
            return
        self._split(start)
        self._split(end)
        keep = []
        for vma in self.vmas:
            if start <= vma.start and vma.end <= end:
                self._drop_pages(vma, vma.start, vma.end)
            else:
                keep.append(vma)
        self.vmas = keep
        self._reindex()

    def _drop_pages(self, vma: Vma, start: int, end: int) -> None:
        gone = self.pt.unmap(range(start >> PAGE_SHIFT, end >> PAGE_SHIFT))
        if vma.kind == "m5ops" or not gone:
            return
        self.frames.release([(e & ADDR_MASK) >> PAGE_SHIFT for _v, e in gone], vma.shared)
        if vma.prot & PROT_EXEC:
            self.pt.dirty.code = True

    def find_free(self, length: int, hint: int = 0) -> int:
        """A free range of `length` bytes: at `hint` if free, else the highest below
        the mmap base (Linux's top-down layout)."""
        if hint and hint + length <= self.mmap_top and not self.overlaps(hint, hint + length):
            return hint
        top = self.mmap_top
        floor = max(page_up(self.brk) + (64 << 20), 1 << 20)
        for vma in reversed(self.vmas):
            if vma.start >= top:
                continue
            if vma.end <= top - length:
                return top - length
            top = min(top, vma.start)
        if top - length >= floor:
            return top - length
        raise SysError(errno.ENOMEM)

    # -- the memory calls -----------------------------------------------------------------
    def mmap(
        self,
        addr: int,
        length: int,
        prot: int,
        flags: int,
        file_data: Callable[[int, int], bytes] | None = None,
        offset: int = 0,
        name: str = "",
    ) -> int:
        if length <= 0 or addr & (PAGE - 1) or offset & (PAGE - 1):
            raise SysError(errno.EINVAL)
        length = page_up(length)
        if length > L.USER_TOP:
            raise SysError(errno.ENOMEM)
        fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)
        if fixed:
            if addr + length > L.USER_TOP or addr < PAGE:
                raise SysError(errno.EINVAL if flags & MAP_FIXED else errno.ENOMEM)
            if self.overlaps(addr, addr + length):
                if flags & MAP_FIXED_NOREPLACE:
                    raise SysError(errno.EEXIST)
                self.unmap(addr, addr + length)
        else:
            addr = self.find_free(length, addr)
        shared = bool(flags & MAP_SHARED)
        if file_data is None:
            vma = Vma(addr, addr + length, prot, shared, name)
            self.add(vma, True if flags & MAP_POPULATE else None)
        else:
            vma = Vma(addr, addr + length, prot, shared, name, offset, "file")
            self._insert(vma)
            self.populate(vma, addr >> PAGE_SHIFT, length >> PAGE_SHIFT, file_data(offset, length))
        return addr

    def munmap(self, addr: int, length: int) -> None:
        if addr & (PAGE - 1) or length <= 0 or addr + length > L.USER_TOP:
            raise SysError(errno.EINVAL)
        self.unmap(addr, addr + page_up(length))

    def mprotect(self, addr: int, length: int, prot: int) -> None:
        if addr & (PAGE - 1):
            raise SysError(errno.EINVAL)
        end = addr + page_up(length)
        if end == addr:
            return
        covered = sum(min(v.end, end) - max(v.start, addr) for v in self.overlaps(addr, end))
        if covered != end - addr:
            raise SysError(errno.ENOMEM)
        self._split(addr)
        self._split(end)
        for vma in self.overlaps(addr, end):
            if vma.kind == "m5ops":
                continue
            if prot & PROT_EXEC and not vma.prot & PROT_EXEC:
                self.pt.dirty.code = True
            vma.prot = prot
            self.pt.set_flags(
                range(vma.start >> PAGE_SHIFT, vma.end >> PAGE_SHIFT), pte_flags(prot)
            )

    def mremap(self, old: int, old_len: int, new_len: int, flags: int, new_addr: int = 0) -> int:
        if old & (PAGE - 1) or new_len <= 0:
            raise SysError(errno.EINVAL)
        old_len, new_len = page_up(old_len), page_up(new_len)
        vma = self.find(old)
        if vma is None or old + old_len > vma.end or old_len == 0:
            raise SysError(errno.EFAULT)
        if flags & MREMAP_FIXED:
            if not flags & MREMAP_MAYMOVE or new_addr & (PAGE - 1):
                raise SysError(errno.EINVAL)
            self.unmap(new_addr, new_addr + new_len)
            return self._move(old, old_len, new_len, new_addr)
        if new_len <= old_len:
            self.unmap(old + new_len, old + old_len)
            return old
        end = old + old_len
        if end == vma.end and not self.overlaps(end, old + new_len) and old + new_len <= L.USER_TOP:
            vma.end = old + new_len
            if vma.kind != "file" and new_len - old_len <= EAGER_LIMIT:
                self.populate(vma, end >> PAGE_SHIFT, (new_len - old_len) >> PAGE_SHIFT)
            return old
        if not flags & MREMAP_MAYMOVE:
            raise SysError(errno.ENOMEM)
        return self._move(old, old_len, new_len, self.find_free(new_len))

    def _move(self, old: int, old_len: int, new_len: int, new: int) -> int:
        """Move the pages of [old, +old_len) to `new` (frames stay), grown to new_len."""
        self._split(old)
        self._split(old + old_len)
        vma = self.find(old)
        moved = self.pt.unmap(range(old >> PAGE_SHIFT, (old + old_len) >> PAGE_SHIFT))
        self.vmas.remove(vma)
        self._reindex()
        delta = new - old
        nv = replace(vma, start=new, end=new + new_len)
        self._insert(nv)
        for vpn, e in moved:
            self.pt.map(
                vpn + (delta >> PAGE_SHIFT), [(e & ADDR_MASK) >> PAGE_SHIFT], e & ~ADDR_MASK
            )
        if new_len > old_len and nv.kind != "file" and new_len - old_len <= EAGER_LIMIT:
            self.populate(nv, (new + old_len) >> PAGE_SHIFT, (new_len - old_len) >> PAGE_SHIFT)
        return new

    def madvise(self, addr: int, length: int, advice: int) -> None:
        if addr & (PAGE - 1):
            raise SysError(errno.EINVAL)
        if advice != MADV_DONTNEED:
            return
        end = addr + page_up(length)
        for vma in self.overlaps(addr, end):
            if vma.kind in ("m5ops", "file") or vma.shared:
                continue
            for vpn in range(max(vma.start, addr) >> PAGE_SHIFT, min(vma.end, end) >> PAGE_SHIFT):
                ppn = self.pt.frame(vpn)
                if ppn is not None:
                    self.mem.page(ppn)[:] = bytes(PAGE)

    def set_brk(self, new: int) -> int:
        if new < self.brk_start:
            return self.brk
        old_top, new_top = page_up(self.brk), page_up(new)
        if new_top > old_top:
            if self.overlaps(old_top, new_top) or new_top > self.mmap_top:
                return self.brk
            heap = self.find(self.brk_start) if self.brk_start < old_top else None
            if heap is None or heap.kind != "heap":
                heap = self._insert_heap(old_top)
            heap.end = new_top
            try:
                self.populate(heap, old_top >> PAGE_SHIFT, (new_top - old_top) >> PAGE_SHIFT)
            except SysError:
                heap.end = old_top
                return self.brk
        elif new_top < old_top:
            self.unmap(new_top, old_top)
        self.brk = new
        return new

    def _insert_heap(self, at: int) -> Vma:
        vma = Vma(at, at, PROT_READ | PROT_WRITE, name="[heap]", kind="heap")
        self._insert(vma)
        return vma

    def setup_stack(self) -> Vma:
        start = L.STACK_TOP - STACK_INITIAL
        vma = Vma(start, L.STACK_TOP, PROT_READ | PROT_WRITE, name="[stack]", kind="stack")
        return self.add(vma, True)

    # -- faults ----------------------------------------------------------------------------
    def fault(self, addr: int, write: bool, fetch: bool) -> bool:
        """Fill the page at `addr` if the access is allowed (demand paging, stack
        growth); False means the program gets SIGSEGV."""
        vpn = addr >> PAGE_SHIFT
        vma = self.find(addr)
        if vma is None:
            vma = self._grow_stack(addr)
            if vma is None:
                return False
        if not vma.prot or (write and not vma.prot & PROT_WRITE):
            return False
        if fetch and not vma.prot & PROT_EXEC:
            return False
        if vpn in self.pt.pte:
            return False  # mapped with these rights already: a real protection fault
        first = max(vma.start >> PAGE_SHIFT, vpn - vpn % FAULT_AROUND)
        last = min(vma.end >> PAGE_SHIFT, first + FAULT_AROUND)
        self.populate(vma, first, last - first)
        return True

    def _grow_stack(self, addr: int) -> Vma | None:
        stack = self.find(L.STACK_TOP - 1)
        if stack is None or stack.kind != "stack" or addr >= stack.start:
            return None
        if addr < L.STACK_TOP - self.max_stack:
            return None
        low = addr & ~(PAGE - 1)
        if self.overlaps(low, stack.start):
            return None
        i = self.vmas.index(stack)
        stack.start = low
        self._starts[i] = low
        return stack

    # -- access for system calls ------------------------------------------------------------
    def _frame(self, vpn: int, write: bool) -> int:
        e = self.pt.pte.get(vpn)
        if e is not None and e & P and (not write or e & W):
            return (e & ADDR_MASK) >> PAGE_SHIFT
        vma = self.find(vpn << PAGE_SHIFT)
        if vma is None and write:
            vma = self._grow_stack(vpn << PAGE_SHIFT)
        if vma is None or not vma.prot or (write and not vma.prot & PROT_WRITE):
            raise EFault(vpn << PAGE_SHIFT)
        if e is None:
            if vma.kind == "m5ops":
                raise EFault(vpn << PAGE_SHIFT)
            self.populate(vma, vpn, 1)
            e = self.pt.pte[vpn]
        return (e & ADDR_MASK) >> PAGE_SHIFT

    def views(self, addr: int, length: int, write: bool) -> list[memoryview]:
        """Writable views of the guest bytes [addr, +length), page by page (EFault if any
        page is not accessible so)."""
        if length < 0 or length > MAX_ACCESS or addr < 0 or addr + length > L.USER_TOP:
            raise EFault(addr)
        out = []
        while length > 0:
            off = addr & (PAGE - 1)
            chunk = min(length, PAGE - off)
            page = self.mem.page(self._frame(addr >> PAGE_SHIFT, write))
            out.append(page[off : off + chunk])  # in bounds: off + chunk <= PAGE
            addr += chunk
            length -= chunk
        return out

    def read(self, addr: int, length: int) -> bytes:
        if length == 0:
            return b""
        return b"".join(bytes(v) for v in self.views(addr, length, False))

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        data = memoryview(data).cast("B")
        pos = 0
        for v in self.views(addr, len(data), True):
            v[:] = data[pos : pos + len(v)]
            pos += len(v)

    def read_cstr(self, addr: int, limit: int = 4096) -> bytes:
        out = bytearray()
        while len(out) < limit:
            if addr < 0 or addr >= L.USER_TOP:
                raise EFault(addr)
            off = addr & (PAGE - 1)
            page = self.mem.page(self._frame(addr >> PAGE_SHIFT, False))
            chunk = bytes(page[off:])
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                return bytes(out[:limit])
            out += chunk
            addr += len(chunk)
        raise SysError(errno.ENAMETOOLONG)

    def read_u64(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "little")

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))

    # -- fork and teardown -----------------------------------------------------------------
    def fork(self, pt: PageTable) -> AddressSpace:
        """A copy for a child: private pages copied, shared and device pages shared."""
        child = AddressSpace(self.frames, pt, self.stub_ppn, self.max_stack)
        child.brk_start, child.brk, child.mmap_top = self.brk_start, self.brk, self.mmap_top
        pte = self.pt.pte
        for vma in self.vmas:
            nv = replace(vma)
            child._insert(nv)
            if vma.kind == "m5ops":
                child.add_mapped(nv)
                continue
            vpns = [v for v in range(vma.start >> PAGE_SHIFT, vma.end >> PAGE_SHIFT) if v in pte]
            if not vpns:
                continue
            if vma.shared:
                for v in vpns:
                    ppn = (pte[v] & ADDR_MASK) >> PAGE_SHIFT
                    self.frames.share(ppn)
                    pt.map(v, [ppn], pte[v] & ~ADDR_MASK)
                continue
            ppns = self.frames.get(len(vpns))
            for v, ppn in zip(vpns, ppns, strict=True):
                self.mem.page(ppn)[:] = self.mem.page((pte[v] & ADDR_MASK) >> PAGE_SHIFT)
                pt.map(v, [ppn], pte[v] & ~ADDR_MASK)
        return child

    def add_mapped(self, vma: Vma) -> None:
        """Map a device VMA already in the list (fork, restore)."""
        first = vma.phys >> PAGE_SHIFT
        n = (vma.end - vma.start) >> PAGE_SHIFT
        self.pt.map(vma.start >> PAGE_SHIFT, range(first, first + n), P | W | U | PCD_PWT)

    def destroy(self) -> None:
        for vma in self.vmas:
            self._drop_pages(vma, vma.start, vma.end)
        self.vmas, self._starts = [], []
        self.pt.unmap([L.STUB_VA >> PAGE_SHIFT])
        self.pt.destroy()

    # -- /proc/self/maps and checkpoints ------------------------------------------------------
    def maps_text(self) -> str:
        lines = []
        for v in self.vmas:
            off = v.offset if v.kind == "file" else 0
            head = f"{v.start:08x}-{v.end:08x} {v.perms()} {off:08x} 00:00 0"
            lines.append(head.ljust(72) + " " + v.name if v.name else head)
        return "".join(line + "\n" for line in lines)

    def state(self) -> dict:
        return {
            "vmas": [
                [v.start, v.end, v.prot, int(v.shared), v.name, v.offset, v.kind, v.phys]
                for v in self.vmas
            ],
            "brk_start": self.brk_start,
            "brk": self.brk,
            "mmap_top": self.mmap_top,
            "max_stack": self.max_stack,
            "pt": self.pt.state(),
        }

    @classmethod
    def restore(
        cls, frames: Frames, pool: PageAllocator, dirty: Dirty, stub_ppn: int, st: dict
    ) -> AddressSpace:
        mm = cls.__new__(cls)
        mm.frames, mm.mem = frames, frames.mem
        mm.pt = PageTable.restore(frames.mem, pool, dirty, st["pt"])
        mm.vmas = [Vma(s, e, p, bool(sh), n, o, k, ph) for s, e, p, sh, n, o, k, ph in st["vmas"]]
        mm._starts = [v.start for v in mm.vmas]
        mm.brk_start, mm.brk, mm.mmap_top = st["brk_start"], st["brk"], st["mmap_top"]
        mm.max_stack, mm.stub_ppn = st["max_stack"], stub_ppn
        dirty.code = True
        return mm

    def frames_in_use(self) -> list[int]:
        devices = [v for v in self.vmas if v.kind == "m5ops"]
        out = []
        for vpn, e in self.pt.pte.items():
            if vpn == L.STUB_VA >> PAGE_SHIFT:
                continue
            if any(v.start <= vpn << PAGE_SHIFT < v.end for v in devices):
                continue
            out.append((e & ADDR_MASK) >> PAGE_SHIFT)
        return out
