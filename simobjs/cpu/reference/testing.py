"""Small long-mode guests for the reference CPU's tests, benches and checker.

The memory layout and GDT are the ones of `kvm.guestlib` (the boot contract's
selectors), so a guest built here runs unchanged on KVM.
"""

from __future__ import annotations

from kvm.guestlib import (
    CODE_AT,
    CR0_ET,
    CR0_MP,
    CR0_NE,
    CR0_PE,
    CR0_PG,
    CR0_WP,
    CR4_OSFXSR,
    CR4_OSXMMEXCPT,
    CR4_PAE,
    EFER_LMA,
    EFER_LME,
    EFER_NXE,
    EFER_SCE,
    GDT_AT,
    IDT_AT,
    PML4_AT,
    SEL_CODE0,
    SEL_CODE3,
    SEL_DATA0,
    SEL_DATA3,
    SEL_TSS,
    TSS_AT,
    TSS_LIMIT,
    assemble,
    idt_gate,
    write_tables,
)
from simobjs.arch.x86.state import DescriptorTable, Segment, X86State

__all__ = ["CODE_AT", "IDT_AT", "TSS_AT", "assemble", "idt_gate", "long_mode_state", "write_tables"]


def flat(selector: int, code: bool, dpl: int) -> Segment:
    return Segment(
        selector=selector, base=0, limit=0xFFFFFFFF, type=0xB if code else 0x3, present=1,
        dpl=dpl, db=0 if code else 1, s=1, l=1 if code else 0, g=1,
    )  # fmt: skip


def long_mode_state(
    cpl: int = 0, entry: int = CODE_AT, stack_top: int = 0, idt: bool = True
) -> X86State:
    """The boot contract's state at `cpl` (0 or 3), RIP=`entry`, RSP=`stack_top`."""
    st = X86State()
    code = flat(SEL_CODE3 if cpl else SEL_CODE0, True, cpl)
    data = flat(SEL_DATA3 if cpl else SEL_DATA0, False, cpl)
    st.seg.update(cs=code, ds=data, es=data, ss=data)
    for name in ("fs", "gs"):
        st.seg[name] = Segment(selector=0, limit=0xFFFF, type=3, present=1, s=1, dpl=cpl)
    st.seg["tr"] = Segment(selector=SEL_TSS, base=TSS_AT, limit=TSS_LIMIT, type=0xB, present=1)
    st.seg["ldt"] = Segment(selector=0, limit=0xFFFF, type=2, present=1)
    st.gdt = DescriptorTable(GDT_AT, 7 * 8 - 1)
    st.idt = DescriptorTable(IDT_AT, 256 * 16 - 1 if idt else 0)
    st.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG
    st.cr3 = PML4_AT
    st.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    st.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE
    st.rip = entry
    st.rflags = 0x2 | (0x3000 if cpl else 0)
    st.set_reg("rsp", stack_top)
    return st
