"""Tiny test guests: assemble x86-64 snippets to flat binaries and start them in
64-bit long mode at CPL 0 or CPL 3 (identity-mapped, flat segments).

Used by the tests, the benchmark and `kvm.info`. The layout follows the
project's boot contract: CS=0x08/DS=0x10 at CPL 0, DPL-3 data 0x1b and code
0x23, a TSS at selector 0x28.
"""

from __future__ import annotations

import ctypes
import hashlib
import mmap
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from kvm.state import DTable, Regs, Segment, Sregs
from kvm.system import Kvm

# Architectural bits (SDM vol. 3), not KVM ABI numbers.
CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_PG = 1, 2, 0x10, 0x20, 1 << 16, 1 << 31
CR4_PAE, CR4_OSFXSR, CR4_OSXMMEXCPT = 1 << 5, 1 << 9, 1 << 10
EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE = 1, 1 << 8, 1 << 10, 1 << 11
RFLAGS_FIXED, RFLAGS_IF, RFLAGS_IOPL3 = 0x2, 0x200, 0x3000
PTE_P, PTE_RW, PTE_US, PTE_PS = 1, 2, 4, 0x80

PML4_AT, PDPT_AT, PD_AT = 0x1000, 0x2000, 0x3000  # four PDs: 0x3000..0x6fff (4 GiB)
GDT_AT, TSS_AT, IDT_AT = 0x7000, 0x7100, 0xA000
# The TSS carries an I/O permission bitmap granting every port to ring 3: PVM hosts
# ignore RFLAGS.IOPL in ring 3 and consult only the bitmap (104-byte TSS, 8 KiB of map,
# the all-ones byte the architecture reads past its end).
TSS_IOMAP = 104
TSS_LIMIT = TSS_IOMAP + 65536 // 8
CODE_AT = 0x10000
SEL_CODE0, SEL_DATA0, SEL_DATA3, SEL_CODE3, SEL_TSS = 0x08, 0x10, 0x1B, 0x23, 0x28
MIB = 1 << 20

_GDT = [
    0,
    0x00AF9B000000FFFF,  # 0x08 code, DPL 0, 64-bit
    0x00CF93000000FFFF,  # 0x10 data, DPL 0
    0x00CFF3000000FFFF,  # 0x18 data, DPL 3
    0x00AFFB000000FFFF,  # 0x20 code, DPL 3, 64-bit
]


class AssemblerMissing(RuntimeError):
    """gcc/objcopy are needed to build test guests."""


def assemble(source: str) -> bytes:
    """Assemble GNU-as x86-64 source to the flat bytes of its .text (cached)."""
    gcc, objcopy = shutil.which("gcc"), shutil.which("objcopy")
    if not gcc or not objcopy:
        raise AssemblerMissing("building a test guest needs gcc and objcopy on PATH")
    text = ".code64\n.text\n" + source + "\n"
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    cache = Path(tempfile.gettempdir()) / f"kvm-guests-{os.getuid()}"
    cache.mkdir(exist_ok=True)
    out = cache / f"{key}.bin"
    if out.exists():
        return out.read_bytes()
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        src, obj, binf = Path(tmp, "g.S"), Path(tmp, "g.o"), Path(tmp, "g.bin")
        src.write_text(text)
        r = subprocess.run([gcc, "-c", "-o", obj, src], capture_output=True, text=True)
        if r.returncode:
            raise ValueError(f"guest assembly failed:\n{r.stderr}")
        subprocess.run(
            [objcopy, "-O", "binary", "-j", ".text", obj, binf], check=True, capture_output=True
        )
        data = binf.read_bytes()
        os.replace(binf, out)
    return data


class GuestRam:
    """Shared anonymous guest memory, prefaulted; `view` is a memoryview of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.map = mmap.mmap(-1, size, mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0))
        self._anchor = ctypes.c_char.from_buffer(self.map)
        self.host_address = ctypes.addressof(self._anchor)
        self.view = memoryview(self.map)

    def write(self, addr: int, data: bytes) -> None:
        if addr < 0 or addr + len(data) > self.size:
            raise ValueError(f"write of {len(data)} bytes at {addr:#x} is outside guest RAM")
        self.map[addr : addr + len(data)] = data

    def read(self, addr: int, n: int) -> bytes:
        if addr < 0 or addr + n > self.size:
            raise ValueError(f"read of {n} bytes at {addr:#x} is outside guest RAM")
        return self.map[addr : addr + n]

    def close(self) -> None:
        self.view.release()
        del self._anchor
        self.map.close()


def segment(selector: int, code: bool, dpl: int) -> Segment:
    """A flat 64-bit code or data segment as KVM_SET_SREGS wants it."""
    return Segment(
        base=0,
        limit=0xFFFFFFFF,
        selector=selector,
        type=0xB if code else 0x3,
        present=1,
        dpl=dpl,
        db=0 if code else 1,
        s=1,
        l=1 if code else 0,
        g=1,
    )


def long_mode_sregs(base: Sregs, cpl: int) -> Sregs:
    """`base` (from KVM_GET_SREGS) switched to 64-bit paging mode at `cpl` 0 or 3."""
    if cpl not in (0, 3):
        raise ValueError(f"cpl must be 0 or 3, got {cpl}")
    s = base
    code = segment(SEL_CODE3 if cpl else SEL_CODE0, True, cpl)
    data = segment(SEL_DATA3 if cpl else SEL_DATA0, False, cpl)
    s.cs, s.ds, s.es, s.ss = code, data, data, data
    s.fs = Segment(selector=0, limit=0xFFFF, type=3, present=1, s=1, dpl=cpl)
    s.gs = Segment(selector=0, limit=0xFFFF, type=3, present=1, s=1, dpl=cpl)
    s.tr = Segment(base=TSS_AT, limit=TSS_LIMIT, selector=SEL_TSS, type=0xB, present=1)
    s.ldt = Segment(selector=0, limit=0xFFFF, type=2, present=1, unusable=0)
    s.gdt = DTable(GDT_AT, 7 * 8 - 1)
    s.idt = DTable(IDT_AT, 0)
    s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG
    s.cr3 = PML4_AT
    s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE
    return s


def write_tables(ram: GuestRam, stack_top: int) -> None:
    """Page tables (identity map of 4 GiB, 2 MiB pages, user bit everywhere), GDT, TSS."""
    flags = PTE_P | PTE_RW | PTE_US
    ram.write(PML4_AT, struct.pack("<Q", PDPT_AT | flags))
    ram.write(PDPT_AT, struct.pack("<4Q", *(PD_AT + i * 0x1000 | flags for i in range(4))))
    pds = struct.pack("<2048Q", *((i << 21) | flags | PTE_PS for i in range(2048)))
    ram.write(PD_AT, pds)
    tss_lo = (
        (TSS_LIMIT & 0xFFFF)
        | (TSS_AT & 0xFFFFFF) << 16
        | 0x89 << 40  # present, 64-bit available TSS
        | (TSS_LIMIT >> 16) << 48
        | ((TSS_AT >> 24) & 0xFF) << 56
    )
    ram.write(GDT_AT, struct.pack("<7Q", *_GDT, tss_lo, TSS_AT >> 32))
    ram.write(TSS_AT + 4, struct.pack("<Q", stack_top))  # RSP0 for interrupts from CPL 3
    ram.write(TSS_AT + 102, struct.pack("<H", TSS_IOMAP))
    ram.write(TSS_AT + TSS_IOMAP, bytes(65536 // 8) + b"\xff")


def idt_gate(handler: int, selector: int = SEL_CODE0, dpl: int = 0) -> bytes:
    """A 16-byte 64-bit interrupt gate."""
    attrs = 0x8E | (dpl << 5)
    return struct.pack(
        "<HHBBHII", handler & 0xFFFF, selector, 0, attrs, (handler >> 16) & 0xFFFF, handler >> 32, 0
    )


class Guest:
    """A VM with one vCPU in long mode, RAM at [0, ram_size) and `code` at CODE_AT.

    Addresses above RAM (below 4 GiB) are unbacked: guest accesses there exit as MMIO.
    """

    def __init__(
        self,
        code: bytes,
        cpl: int = 3,
        ram_size: int = 2 * MIB,
        kvm: Kvm | None = None,
        interrupts: bool = False,
    ) -> None:
        self._own_kvm = kvm is None
        self.kvm = kvm or Kvm()
        self.vm = self.kvm.create_vm()
        self.ram = GuestRam(ram_size)
        self.vm.set_user_memory_region(0, 0, ram_size, self.ram.host_address)
        stack_top = ram_size - 0x1000
        write_tables(self.ram, stack_top)
        self.ram.write(CODE_AT, code)
        self.vcpu = self.vm.create_vcpu(0)
        self.vcpu.set_cpuid(self.kvm.supported_cpuid())
        sregs = long_mode_sregs(self.vcpu.get_sregs(), cpl)
        if interrupts:
            sregs.idt = DTable(IDT_AT, 256 * 16 - 1)
        self.vcpu.set_sregs(sregs)
        rflags = RFLAGS_FIXED | (RFLAGS_IOPL3 if cpl == 3 else 0)
        self.vcpu.set_regs(Regs(rip=CODE_AT, rsp=stack_top, rflags=rflags, rdi=ram_size))

    def set_gate(self, vector: int, handler: int) -> None:
        self.ram.write(IDT_AT + 16 * vector, idt_gate(handler))

    def close(self) -> None:
        self.vm.close()
        self.ram.close()
        if self._own_kvm:
            self.kvm.close()

    def __enter__(self) -> Guest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
