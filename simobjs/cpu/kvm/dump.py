"""A readable x86 vCPU dump: registers, segments, control registers, and the
code at RIP (bytes and capstone disassembly), found through the guest's page
tables in guest RAM."""

from __future__ import annotations

import struct
from collections.abc import Callable

from simobjs.arch.x86.state import GPR_NAMES, SEGMENT_NAMES, X86State

CODE_BYTES = 32
_PTE_P, _PTE_PS = 1, 0x80
_ADDR = 0x000FFFFFFFFFF000

ReadPhys = Callable[[int, int], bytes]


def translate(state: X86State, vaddr: int, read_phys: ReadPhys) -> int | None:
    """The physical address of `vaddr` (4-level paging, or none), None if unmapped."""
    if not state.cr0 & (1 << 31):
        return vaddr
    if not state.cr4 & (1 << 5):
        return None  # 32-bit non-PAE paging: not used by guests here
    table = state.cr3 & _ADDR
    for level, shift in enumerate((39, 30, 21, 12)):
        index = (vaddr >> shift) & 0x1FF
        (entry,) = struct.unpack("<Q", read_phys(table + 8 * index, 8))
        if not entry & _PTE_P:
            return None
        if level in (1, 2) and entry & _PTE_PS:
            size = 1 << shift
            return (entry & _ADDR & ~(size - 1)) | (vaddr & (size - 1))
        table = entry & _ADDR
    return table | (vaddr & 0xFFF)


def disassemble(code: bytes, address: int, count: int = 6) -> list[str]:
    """Up to `count` instructions of 64-bit code (capstone), one line each."""
    try:
        import capstone
    except ImportError:
        return ["(capstone is not installed: no disassembly)"]
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    out = []
    for insn in md.disasm(code, address):
        out.append(
            f"  {insn.address:#018x}: {insn.bytes.hex(' '):<30} {insn.mnemonic} {insn.op_str}"
        )
        if len(out) >= count:
            break
    return out or ["  (no valid instruction at RIP)"]


def format_dump(state: X86State, read_phys: ReadPhys | None = None, header: str = "") -> str:
    """The dump text of `state`; with `read_phys`, also the code at RIP."""
    lines = [header] if header else []
    regs = [(n, state.reg(n)) for n in GPR_NAMES] + [("rip", state.rip), ("rflags", state.rflags)]
    for i in range(0, len(regs), 3):
        lines.append("  ".join(f"{n:>6}: {v:#018x}" for n, v in regs[i : i + 3]))
    for name in SEGMENT_NAMES:
        s = state.seg[name]
        lines.append(
            f"{name:>6}: sel {s.selector:#06x} base {s.base:#018x} limit {s.limit:#010x} "
            f"type {s.type:#x} s {s.s} dpl {s.dpl} p {s.present} l {s.l} db {s.db} g {s.g} "
            f"unusable {s.unusable}"
        )
    lines.append(
        f"   gdt: base {state.gdt.base:#018x} limit {state.gdt.limit:#06x}  "
        f"idt: base {state.idt.base:#018x} limit {state.idt.limit:#06x}"
    )
    lines.append(
        f"   cr0: {state.cr0:#x}  cr2: {state.cr2:#x}  cr3: {state.cr3:#x}  cr4: {state.cr4:#x}  "
        f"cr8: {state.cr8:#x}  efer: {state.efer:#x}  apic_base: {state.apic_base:#x}  "
        f"xcr0: {state.xcr0:#x}"
    )
    lines.append(
        f"   cpl {state.cpl}, pending exception {state.exception}, "
        f"nmi pending {state.nmi_pending}, interrupt shadow {state.interrupt_shadow}"
    )
    if read_phys is not None:
        rip = (state.seg["cs"].base + state.rip) & 0xFFFFFFFFFFFFFFFF
        try:
            phys = translate(state, rip, read_phys)
            if phys is None:
                lines.append(f"code at rip {rip:#x}: not mapped by the guest page tables")
            else:
                code = read_phys(phys, CODE_BYTES)
                lines.append(f"code at rip {rip:#x} (physical {phys:#x}): {code.hex(' ')}")
                lines += disassemble(code, rip)
        except (IndexError, ValueError, LookupError, struct.error, Exception) as e:  # noqa: BLE001
            lines.append(f"code at rip {rip:#x}: unreadable ({e})")
    return "\n".join(lines)
