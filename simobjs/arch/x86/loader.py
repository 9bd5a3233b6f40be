"""Load a static x86-64 ELF and build the boot state of the guest boot contract.

The contract (design notes §2): PT_LOAD segments at their physical addresses,
inside RAM and not below 1 MiB; long mode at CPL 0 with an identity map of
[0, 4 GiB) (user bit at every level, 2 MiB pages); the loader's GDT (null,
0x08 code DPL 0, 0x10 data DPL 0, 0x18 data DPL 3, 0x20 code DPL 3, a free
16-byte TSS slot at 0x28); no IDT; RSP just below the loader's region at the
top of RAM; RDI = RAM size. The page tables and GDT live in that region.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from simobjs.arch.x86.state import DescriptorTable, Segment, X86State
from simobjs.errors import SimobjsError
from simobjs.sim.files import open_regular

MIB = 1 << 20
GIB = 1 << 30
FOUR_GIB = 4 * GIB
PAGE = 4096
LOWEST_LOAD_ADDRESS = MIB

CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_PG = 1, 2, 0x10, 0x20, 1 << 16, 1 << 31
CR4_PAE, CR4_OSFXSR, CR4_OSXMMEXCPT = 1 << 5, 1 << 9, 1 << 10
EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE = 1, 1 << 8, 1 << 10, 1 << 11
BOOT_CR0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG
BOOT_CR4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
BOOT_EFER = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE

SEL_CODE0, SEL_DATA0, SEL_DATA3, SEL_CODE3, SEL_TSS = 0x08, 0x10, 0x1B, 0x23, 0x28
PTE_P, PTE_RW, PTE_US, PTE_PS = 1, 2, 4, 0x80

# The loader region: PML4, PDPT, four page directories (2 MiB pages), the GDT.
PML4_OFFSET, PDPT_OFFSET, PD_OFFSET, GDT_OFFSET = 0x0000, 0x1000, 0x2000, 0x6000
LOADER_REGION_SIZE = 0x8000
GDT_ENTRIES = (
    0,
    0x00AF9B000000FFFF,  # 0x08: 64-bit code, DPL 0
    0x00CF93000000FFFF,  # 0x10: flat data, DPL 0
    0x00CFF3000000FFFF,  # 0x18: flat data, DPL 3 (selector 0x1b)
    0x00AFFB000000FFFF,  # 0x20: 64-bit code, DPL 3 (selector 0x23)
    0,  # 0x28: free 16-byte TSS slot, filled by the guest
    0,
)
GDT_LIMIT = 8 * len(GDT_ENTRIES) - 1


class LoaderError(SimobjsError, ValueError):
    """The object file cannot be loaded under the boot contract."""

    def __init__(self, path: str, problem: str):
        self.file = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class LoadSegment:
    index: int
    paddr: int
    filesz: int
    memsz: int
    offset: int

    @property
    def end(self) -> int:
        return self.paddr + self.memsz


@dataclass
class BootImage:
    """What `prepare` computed: the segments, the loader region and the boot state."""

    path: str
    entry: int
    segments: list[LoadSegment]
    region_start: int
    region_end: int
    ram_start: int
    ram_size: int
    state: X86State
    blobs: list[tuple[int, bytes]] = field(default_factory=list)  # (address, bytes) to write

    @property
    def loader_region(self) -> tuple[int, int]:
        return (self.region_start, self.region_end)


def _read_segments(
    path: str, ram_start: int, ram_end: int
) -> tuple[int, list[LoadSegment], list[tuple[int, bytes]]]:
    try:
        f = open_regular(path)  # (a FIFO or a device is refused, without blocking)
    except OSError as e:
        raise LoaderError(path, f"cannot open the object file: {e.strerror or e}") from e
    with f:
        if f.read(4) != b"\x7fELF":
            raise LoaderError(path, "not an ELF file (no \\x7fELF magic)")
        f.seek(0)
        size = os.fstat(f.fileno()).st_size
        try:
            return _parse(path, f, size, ram_start, ram_end)
        except LoaderError:
            raise
        except (ELFError, ValueError, struct.error, OverflowError, EOFError, OSError) as e:
            # a truncated or corrupt header, program header table or string table (an
            # offset past any file is an OSError from seek)
            raise LoaderError(path, f"malformed ELF file: {e}") from e


def _parse(
    path: str, f, size: int, ram_start: int, ram_end: int
) -> tuple[int, list[LoadSegment], list[tuple[int, bytes]]]:
    """The entry, the PT_LOAD segments and their bytes (checked against the file's size)."""
    elf = ELFFile(f)
    machine, klass, etype = elf["e_machine"], elf.elfclass, elf["e_type"]
    if machine != "EM_X86_64" or klass != 64:
        raise LoaderError(path, f"not an x86-64 ELF (machine {machine}, class ELF{klass})")
    if etype != "ET_EXEC":
        kind = "position-independent (ET_DYN)" if etype == "ET_DYN" else etype
        raise LoaderError(path, f"not a static executable: type {kind}, expected ET_EXEC")
    segments, blobs = [], []
    for i, seg in enumerate(elf.iter_segments()):
        ptype = seg["p_type"]
        if ptype in ("PT_INTERP", "PT_DYNAMIC"):
            raise LoaderError(path, f"not a static executable: segment {i} is {ptype}")
        if ptype != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        s = LoadSegment(i, seg["p_paddr"], seg["p_filesz"], seg["p_memsz"], seg["p_offset"])
        where = f"PT_LOAD segment {i} at [{s.paddr:#x}, {s.end:#x})"
        if s.filesz > s.memsz:
            raise LoaderError(
                path, f"{where} has more file bytes ({s.filesz}) than memory ({s.memsz})"
            )
        if s.offset + s.filesz > size:
            raise LoaderError(
                path,
                f"{where} needs file bytes [{s.offset:#x}, {s.offset + s.filesz:#x}) "
                f"but the file has {size} bytes: it is truncated",
            )
        if s.paddr < LOWEST_LOAD_ADDRESS:
            raise LoaderError(path, f"{where} is below 1 MiB (the lowest load address)")
        if s.paddr < ram_start or s.end > ram_end:
            raise LoaderError(path, f"{where} is outside RAM [{ram_start:#x}, {ram_end:#x})")
        data = seg.data()
        if len(data) != s.filesz:  # (checked above; a short read is not zero padding)
            raise LoaderError(path, f"{where}: read {len(data)} of {s.filesz} file bytes")
        blobs.append((s.paddr, data + bytes(s.memsz - len(data))))  # .bss is zeroed
        segments.append(s)
    if not segments:
        raise LoaderError(path, "no PT_LOAD segment to load")
    return elf["e_entry"], segments, blobs


def page_tables(base: int) -> bytes:
    """PML4, PDPT and four PDs mapping [0, 4 GiB) 1:1 with 2 MiB pages, user bit everywhere."""
    table = PTE_P | PTE_RW | PTE_US
    out = bytearray(GDT_OFFSET)
    struct.pack_into("<Q", out, PML4_OFFSET, (base + PDPT_OFFSET) | table)
    for i in range(4):
        struct.pack_into("<Q", out, PDPT_OFFSET + 8 * i, (base + PD_OFFSET + i * PAGE) | table)
    entries = [(n * 2 * MIB) | table | PTE_PS for n in range(4 * 512)]
    struct.pack_into(f"<{len(entries)}Q", out, PD_OFFSET, *entries)
    return bytes(out)


def flat_segment(selector: int, code: bool, dpl: int) -> Segment:
    """A flat 4 GiB code (64-bit) or data segment at privilege `dpl`."""
    return Segment(
        selector=selector,
        base=0,
        limit=0xFFFFFFFF,
        type=0xB if code else 0x3,
        present=1,
        dpl=dpl,
        db=0 if code else 1,
        s=1,
        l=1 if code else 0,
        g=1,
    )


def boot_state(entry: int, region_start: int, ram_size: int) -> X86State:
    """The CPU state at the entry point (CPL 0, long mode, IF=0)."""
    st = X86State()
    code, data = flat_segment(SEL_CODE0, True, 0), flat_segment(SEL_DATA0, False, 0)
    st.seg.update(
        cs=code, ds=data, es=flat_segment(SEL_DATA0, False, 0), ss=flat_segment(SEL_DATA0, False, 0)
    )
    for name in ("fs", "gs"):
        st.seg[name] = Segment(selector=0, limit=0xFFFF, type=3, present=1, s=1)
    st.seg["tr"] = Segment(selector=0, base=0, limit=0xFFFF, type=0xB, present=1)
    st.seg["ldt"] = Segment(selector=0, limit=0xFFFF, type=2, present=1)
    st.gdt = DescriptorTable(region_start + GDT_OFFSET, GDT_LIMIT)
    st.idt = DescriptorTable(0, 0)
    st.cr0, st.cr3, st.cr4, st.efer = BOOT_CR0, region_start + PML4_OFFSET, BOOT_CR4, BOOT_EFER
    st.rflags = 0x2
    st.rip = entry
    st.set_reg("rsp", region_start & ~0xF)
    st.set_reg("rdi", ram_size)
    return st


def prepare(path: str | os.PathLike, ram_start: int, ram_size: int) -> BootImage:
    """Check `path` against the contract for RAM [ram_start, +ram_size) and lay out the boot."""
    path = os.fspath(path)
    ram_end = ram_start + ram_size
    top = min(ram_end, FOUR_GIB)  # the region must be reachable through the identity map
    region_start = (top - LOADER_REGION_SIZE) & ~(PAGE - 1)
    if region_start < max(ram_start, LOWEST_LOAD_ADDRESS):
        raise LoaderError(
            path, f"RAM [{ram_start:#x}, {ram_end:#x}) is too small for the loader region"
        )
    entry, segments, blobs = _read_segments(path, ram_start, ram_end)
    region_end = region_start + LOADER_REGION_SIZE
    for s in segments:
        if s.paddr < region_end and s.end > region_start:
            raise LoaderError(
                path,
                f"PT_LOAD segment {s.index} at [{s.paddr:#x}, {s.end:#x}) overlaps the loader "
                f"region [{region_start:#x}, {region_end:#x}) at the top of RAM (and the stack "
                "below it): give the guest more RAM",
            )
    if not any(s.paddr <= entry < s.end for s in segments):
        raise LoaderError(path, f"entry point {entry:#x} is not inside any PT_LOAD segment")
    gdt = struct.pack(f"<{len(GDT_ENTRIES)}Q", *GDT_ENTRIES)
    blobs.append((region_start, page_tables(region_start) + gdt))
    state = boot_state(entry, region_start, ram_size)
    return BootImage(
        path, entry, segments, region_start, region_end, ram_start, ram_size, state, blobs
    )


def load(path: str | os.PathLike, ram) -> BootImage:
    """Prepare and write the image into `ram` (a GuestRam: `.start`, `.size`, `.write`)."""
    image = prepare(path, ram.start, ram.size)
    for addr, data in image.blobs:
        ram.write(addr, data)
    return image
