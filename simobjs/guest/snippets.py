"""Tiny raw guests: x86-64 snippets assembled to flat bytes and started in long mode
at CPL 0 or 3, for tests, benches and `simobjs kvm-info`.

The layout is the boot contract's (`simobjs.arch.x86.loader`) with the loader
region at a fixed low address: page tables at PML4_AT (identity map of 4 GiB,
user bit everywhere), the GDT right after them with a TSS at selector 0x28
whose I/O bitmap grants every port to ring 3 (PVM hosts ignore RFLAGS.IOPL in
ring 3 and consult only the bitmap), an IDT at IDT_AT, code at CODE_AT.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from kvm.state import DTable, Regs, Sregs
from kvm.system import Kvm
from simobjs.arch.x86 import loader
from simobjs.arch.x86.loader import (
    BOOT_CR0,
    BOOT_CR4,
    BOOT_EFER,
    GDT_ENTRIES,
    GDT_OFFSET,
    SEL_CODE0,
    SEL_CODE3,
    SEL_DATA0,
    SEL_DATA3,
    SEL_TSS,
    flat_segment,
)
from simobjs.arch.x86.state import DescriptorTable, Segment, X86State
from simobjs.cpu.kvm.x86_state import seg_to_kvm
from simobjs.mem.guest_ram import GuestRam

MIB = 1 << 20
PML4_AT = 0x1000  # the loader region: PML4, PDPT, four PDs, then the GDT
GDT_AT = PML4_AT + GDT_OFFSET
TSS_AT, IDT_AT, CODE_AT = 0x7100, 0xA000, 0x10000
TSS_IOMAP = 104  # the I/O bitmap follows the 104-byte 64-bit TSS
TSS_LIMIT = TSS_IOMAP + 65536 // 8
GDT_LIMIT = 8 * len(GDT_ENTRIES) - 1
RFLAGS_FIXED, RFLAGS_IOPL3 = 0x2, 0x3000

__all__ = [
    "CODE_AT",
    "GDT_AT",
    "IDT_AT",
    "PML4_AT",
    "TSS_AT",
    "AssemblerMissing",
    "Guest",
    "assemble",
    "idt_gate",
    "long_mode_sregs",
    "long_mode_state",
    "write_tables",
]


class AssemblerMissing(RuntimeError):
    """gcc/objcopy are needed to build snippet guests."""


def assemble(source: str) -> bytes:
    """Assemble GNU-as x86-64 source to the flat bytes of its .text (cached)."""
    gcc, objcopy = shutil.which("gcc"), shutil.which("objcopy")
    if not gcc or not objcopy:
        raise AssemblerMissing("building a snippet guest needs gcc and objcopy on PATH")
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


def write_tables(ram: GuestRam, stack_top: int) -> None:
    """The loader region at PML4_AT (page tables, GDT with the TSS descriptor) and a
    TSS whose RSP0 is `stack_top` and whose I/O bitmap grants every port."""
    tss_lo = (
        (TSS_LIMIT & 0xFFFF)
        | (TSS_AT & 0xFFFFFF) << 16
        | 0x89 << 40  # present, 64-bit available TSS
        | (TSS_LIMIT >> 16) << 48
        | ((TSS_AT >> 24) & 0xFF) << 56
    )
    gdt = list(GDT_ENTRIES)
    slot = SEL_TSS // 8
    gdt[slot : slot + 2] = [tss_lo, TSS_AT >> 32]
    ram.write(PML4_AT, loader.page_tables(PML4_AT) + struct.pack(f"<{len(gdt)}Q", *gdt))
    ram.write(TSS_AT + 4, struct.pack("<Q", stack_top))  # RSP0 for interrupts from CPL 3
    ram.write(TSS_AT + 102, struct.pack("<H", TSS_IOMAP))
    ram.write(TSS_AT + TSS_IOMAP, bytes(65536 // 8) + b"\xff")


def idt_gate(handler: int, selector: int = SEL_CODE0, dpl: int = 0) -> bytes:
    """A 16-byte 64-bit interrupt gate."""
    attrs = 0x8E | (dpl << 5)
    return struct.pack(
        "<HHBBHII", handler & 0xFFFF, selector, 0, attrs, (handler >> 16) & 0xFFFF, handler >> 32, 0
    )


def long_mode_state(
    cpl: int = 0, entry: int = CODE_AT, stack_top: int = 0, idt: bool = True
) -> X86State:
    """The boot contract's state at `cpl` (0 or 3), RIP=`entry`, RSP=`stack_top`."""
    if cpl not in (0, 3):
        raise ValueError(f"cpl must be 0 or 3, got {cpl}")
    st = X86State()
    code = flat_segment(SEL_CODE3 if cpl else SEL_CODE0, True, cpl)
    data = flat_segment(SEL_DATA3 if cpl else SEL_DATA0, False, cpl)
    st.seg.update(cs=code, ds=data, es=data, ss=data)
    for name in ("fs", "gs"):
        st.seg[name] = Segment(selector=0, limit=0xFFFF, type=3, present=1, s=1, dpl=cpl)
    st.seg["tr"] = Segment(selector=SEL_TSS, base=TSS_AT, limit=TSS_LIMIT, type=0xB, present=1)
    st.seg["ldt"] = Segment(selector=0, limit=0xFFFF, type=2, present=1)
    st.gdt = DescriptorTable(GDT_AT, GDT_LIMIT)
    st.idt = DescriptorTable(IDT_AT, 256 * 16 - 1 if idt else 0)
    st.cr0, st.cr3, st.cr4, st.efer = BOOT_CR0, PML4_AT, BOOT_CR4, BOOT_EFER
    st.rip = entry
    st.rflags = RFLAGS_FIXED | (RFLAGS_IOPL3 if cpl else 0)
    st.set_reg("rsp", stack_top)
    return st


def long_mode_sregs(base: Sregs, cpl: int, idt: bool = False) -> Sregs:
    """`base` (from KVM_GET_SREGS) switched to the long-mode state at `cpl`."""
    st = long_mode_state(cpl, idt=idt)
    for name in ("cs", "ds", "es", "ss", "fs", "gs", "tr", "ldt"):
        setattr(base, name, seg_to_kvm(st.seg[name]))
    base.gdt, base.idt = DTable(st.gdt.base, st.gdt.limit), DTable(st.idt.base, st.idt.limit)
    base.cr0, base.cr3, base.cr4, base.efer = st.cr0, st.cr3, st.cr4, st.efer
    return base


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
        self.ram = GuestRam(0, ram_size, name="snippet-guest")
        self.vm.set_user_memory_region(0, 0, ram_size, self.ram.host_address)
        stack_top = ram_size - 0x1000
        write_tables(self.ram, stack_top)
        self.ram.write(CODE_AT, code)
        self.vcpu = self.vm.create_vcpu(0)
        self.vcpu.set_cpuid(self.kvm.supported_cpuid())
        self.vcpu.set_sregs(long_mode_sregs(self.vcpu.get_sregs(), cpl, idt=interrupts))
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
