"""Building a program's image in an SE address space (Linux's load_elf_binary and
create_elf_tables): its segments, the heap after them, and the initial stack with
the argument and environment strings, argv, envp and the auxiliary vector. There
is no vDSO (no AT_SYSINFO_EHDR): the C libraries then make real time calls.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from simobjs.base.elf import PF_R, PF_W, PF_X, PT_PHDR, ProgramInfo
from simobjs.se import layout as L
from simobjs.se.mm import PROT_EXEC, PROT_READ, PROT_WRITE, AddressSpace, Vma, page_up
from simobjs.se.physmem import PAGE, PAGE_SHIFT

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = (
    0,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
)
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN = 23, 25, 26, 31
HWCAP = 0x178BFBFF  # CPUID.1:EDX of an SSE2 x86-64 (fixed: repeatable runs)
PLATFORM = b"x86_64"
CLK_TCK = 100


@dataclass
class Image:
    entry: int
    rsp: int
    bias: int
    phdr: int
    brk: int


def _prot(flags: int) -> int:
    return (
        (PROT_READ if flags & PF_R else 0)
        | (PROT_WRITE if flags & PF_W else 0)
        | (PROT_EXEC if flags & PF_X else 0)
    )


def _poke(mm: AddressSpace, addr: int, data: bytes) -> None:
    """Write into mapped pages whatever their protection (the loader's own access)."""
    pos = 0
    while pos < len(data):
        a = addr + pos
        off = a & (PAGE - 1)
        chunk = min(len(data) - pos, PAGE - off)
        page = mm.mem.page(mm.pt.frame(a >> PAGE_SHIFT))
        page[off : off + chunk] = data[pos : pos + chunk]
        pos += chunk


def map_segments(mm: AddressSpace, info: ProgramInfo, data: bytes) -> tuple[int, int]:
    """Map the PT_LOAD segments; returns (load bias, end of the highest segment)."""
    bias = L.PIE_BASE if info.pie else 0
    if info.pie:
        bias -= min(s.vaddr for s in info.loads) & ~(PAGE - 1)
    top = 0
    for seg in info.loads:
        vaddr = seg.vaddr + bias
        start = vaddr & ~(PAGE - 1)
        end = page_up(vaddr + seg.memsz)
        lead = vaddr - start
        content = bytes(lead) + data[seg.offset : seg.offset + seg.filesz]
        prot = _prot(seg.flags)
        shared = mm.find(start)
        if shared is not None:  # the first page is the previous segment's last one
            first_end = min(end, shared.end)
            _poke(mm, vaddr, content[lead : lead + (first_end - vaddr)])
            shared.prot |= prot
            content = content[first_end - start :]
            start = first_end
        if start < end:
            vma = Vma(start, end, prot, name=info.path, offset=seg.offset - lead, kind="file")
            mm._insert(vma)
            mm.populate(vma, start >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT, content)
        top = max(top, vaddr + seg.memsz)
    return bias, top


def phdr_address(info: ProgramInfo, bias: int) -> int:
    for seg in info.segments:
        if seg.type == PT_PHDR:
            return seg.vaddr + bias
    for seg in info.loads:
        if seg.offset <= info.phoff < seg.offset + seg.filesz:
            return seg.vaddr + (info.phoff - seg.offset) + bias
    return 0


def load(
    mm: AddressSpace,
    info: ProgramInfo,
    data: bytes,
    argv: list[bytes],
    envp: list[bytes],
    execfn: bytes,
    ids: tuple[int, int, int, int],
    random16: bytes,
) -> Image:
    """Map the program into the (empty) `mm` and build its stack; returns where it starts."""
    bias, top = map_segments(mm, info, data)
    brk = page_up(top)
    mm.brk_start = mm.brk = brk
    mm.setup_stack()
    phdr = phdr_address(info, bias)
    strings = b"".join(a + b"\0" for a in argv) + b"".join(e + b"\0" for e in envp)
    block = strings + execfn + b"\0"
    p = L.STACK_TOP - 8 - len(block)
    mm.write(p, block)
    argv_at, pos = [], p
    for a in argv:
        argv_at.append(pos)
        pos += len(a) + 1
    envp_at = []
    for e in envp:
        envp_at.append(pos)
        pos += len(e) + 1
    execfn_at = pos
    p &= ~15
    p -= len(PLATFORM) + 1
    platform_at = p
    mm.write(p, PLATFORM + b"\0")
    p -= 16
    random_at = p
    mm.write(p, random16)
    uid, euid, gid, egid = ids
    auxv = [
        (AT_HWCAP, HWCAP),
        (AT_PAGESZ, PAGE),
        (AT_CLKTCK, CLK_TCK),
        (AT_PHDR, phdr),
        (AT_PHENT, info.phentsize),
        (AT_PHNUM, info.phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, info.entry + bias),
        (AT_UID, uid),
        (AT_EUID, euid),
        (AT_GID, gid),
        (AT_EGID, egid),
        (AT_SECURE, 0),
        (AT_RANDOM, random_at),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn_at),
        (AT_PLATFORM, platform_at),
        (AT_NULL, 0),
    ]
    words = [len(argv), *argv_at, 0, *envp_at, 0]
    for key, value in auxv:
        words += [key, value]
    rsp = (p - 8 * len(words)) & ~15
    mm.write(rsp, struct.pack(f"<{len(words)}Q", *words))
    return Image(info.entry + bias, rsp, bias, phdr, brk)
