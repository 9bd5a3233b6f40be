"""X86State <-> Unicorn registers and context blob, exactly.

The API reaches GPRs, RIP, RFLAGS, control registers, MSRs, descriptor tables
and x87/SSE; segment caches, CPL and the interrupt shadow go through the blob.
State Unicorn has no place for (APIC base, XCR0, TSC, NMI state, KVM's
`unusable` attribute) is carried unchanged from the last load.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from unicorn import x86_const as X

from simobjs.arch.x86.state import CARRIED_MSRS, GPR_NAMES, MSR_EFER, Segment, X86State
from simobjs.cpu.reference.blob import HF_INHIBIT_IRQ, HF_LMA, HF_PE, SEG_ORDER, segment_hflags

if TYPE_CHECKING:
    from simobjs.cpu.reference.engine import ReferenceEngine

GPR_IDS = [getattr(X, f"UC_X86_REG_{n.upper()}") for n in GPR_NAMES]
FP_IDS = [getattr(X, f"UC_X86_REG_FP{i}") for i in range(8)]
XMM_IDS = [getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)]
_SCALARS = (
    ("rip", X.UC_X86_REG_RIP),
    ("rflags", X.UC_X86_REG_EFLAGS),
    ("cr2", X.UC_X86_REG_CR2),
    ("cr8", X.UC_X86_REG_CR8),
    ("fcw", X.UC_X86_REG_FPCW),
    ("fsw", X.UC_X86_REG_FPSW),
    ("fop", X.UC_X86_REG_FOP),
    ("fip", X.UC_X86_REG_FIP),
    ("fdp", X.UC_X86_REG_FDP),
    ("mxcsr", X.UC_X86_REG_MXCSR),
)
ALL_SEGS = SEG_ORDER + ("ldt", "tr")
TSS64_AVAILABLE, TSS64_BUSY = 0x9, 0xB


@dataclass
class Carry:
    """What the last load_state gave that Unicorn cannot hold."""

    apic_base: int = 0xFEE00900
    xcr0: int = 1
    tsc: int = 0
    nmi_pending: int = 0
    nmi_masked: int = 0
    interrupt_shadow: int = 0
    segs: dict[str, tuple[tuple[int, int, int, int], int]] = field(default_factory=dict)
    msrs: dict[int, tuple[int, int]] = field(default_factory=dict)  # msr: (read back, loaded)


def seg_cache(s: Segment) -> tuple[int, int, int, int]:
    """(selector, base, limit, QEMU flags): flags are the descriptor's high dword."""
    return (s.selector, s.base, s.limit, s.attributes() << 8)


def cache_seg(cache: tuple[int, int, int, int], unusable: int) -> Segment:
    sel, base, limit, flags = cache
    return Segment.from_attributes(sel, base, limit, (flags >> 8) & 0xF0FF, unusable)


def full_tag(abridged: int) -> int:
    """FXSAVE's abridged tag byte -> the full tag word (valid or empty per register)."""
    return sum(0 if abridged >> i & 1 else 3 << (2 * i) for i in range(8))


def abridged_tag(full: int) -> int:
    return sum(1 << i for i in range(8) if (full >> (2 * i)) & 3 != 3)


def load(eng: ReferenceEngine, st: X86State) -> None:
    uc = eng.uc
    uc.reg_write(X.UC_X86_REG_GDTR, (0, st.gdt.base, st.gdt.limit, 0))
    uc.reg_write(X.UC_X86_REG_IDTR, (0, st.idt.base, st.idt.limit, 0))
    # order matters: long mode only activates with PAE already on (probe section 2)
    uc.reg_write(X.UC_X86_REG_CR4, st.cr4)
    uc.reg_write(X.UC_X86_REG_CR3, st.cr3)
    uc.msr_write(MSR_EFER, st.efer)
    uc.reg_write(X.UC_X86_REG_CR0, st.cr0)
    for msr in CARRIED_MSRS:
        uc.msr_write(msr, st.msrs.get(msr, 0))
    uc.reg_write_batch(list(zip(GPR_IDS, st.gprs, strict=True)))
    uc.reg_write_batch([(rid, getattr(st, name)) for name, rid in _SCALARS])
    uc.reg_write(X.UC_X86_REG_FPTAG, full_tag(st.ftw))
    top = (st.fsw >> 11) & 7
    for i, raw in enumerate(st.st):
        mant, exp = struct.unpack("<QH", raw)
        uc.reg_write(FP_IDS[(top + i) & 7], (mant, exp))
    for i, raw in enumerate(st.xmm):
        uc.reg_write(XMM_IDS[i], int.from_bytes(raw, "little"))
    blob = eng.blob
    blob.read()
    lay = eng.layout
    caches = {name: seg_cache(st.seg[name]) for name in ALL_SEGS}
    for i, name in enumerate(ALL_SEGS):
        blob.set_seg(i, *caches[name])
    h = blob.u32(lay.hflags) & ~(HF_INHIBIT_IRQ | HF_PE | HF_LMA)
    if st.cr0 & 1:
        h |= HF_PE
    if st.efer & (1 << 10):
        h |= HF_LMA
    bases = st.seg["ds"].base | st.seg["es"].base | st.seg["ss"].base
    h = segment_hflags(h, caches["cs"][3], caches["ss"][3], bases != 0, st.cpl)
    if st.interrupt_shadow:
        h |= HF_INHIBIT_IRQ
    blob.set_u32(lay.hflags, h)
    blob.set_i32(lay.old_exception, -1)
    blob.write()
    uc.reg_write(X.UC_X86_REG_CR3, st.cr3)  # flushes the softmmu TLB
    uc.ctl_flush_tb()  # RAM may have changed under translated code
    eng.carry = Carry(
        st.apic_base,
        st.xcr0,
        st.tsc,
        st.nmi_pending,
        st.nmi_masked,
        st.interrupt_shadow,
        {name: (caches[name], st.seg[name].unusable) for name in ALL_SEGS},
        {m: (uc.msr_read(m), st.msrs[m]) for m in st.msrs if m in CARRIED_MSRS},
    )


def save(eng: ReferenceEngine) -> X86State:
    uc = eng.uc
    st = X86State()
    st.gprs = list(uc.reg_read_batch(GPR_IDS))
    for (name, _rid), value in zip(
        _SCALARS, uc.reg_read_batch([r for _n, r in _SCALARS]), strict=True
    ):
        setattr(st, name, value)
    st.cr0 = uc.reg_read(X.UC_X86_REG_CR0)
    st.cr3 = uc.reg_read(X.UC_X86_REG_CR3)
    st.cr4 = uc.reg_read(X.UC_X86_REG_CR4)
    st.efer = uc.msr_read(MSR_EFER)
    st.msrs = {}
    for msr in CARRIED_MSRS:
        value = uc.msr_read(msr)
        echo = eng.carry.msrs.get(msr)
        if echo is not None:
            st.msrs[msr] = echo[1] if value == echo[0] else value  # bits Unicorn drops
        elif value:
            st.msrs[msr] = value
    _sel, base, limit, _f = uc.reg_read(X.UC_X86_REG_GDTR)
    st.gdt.base, st.gdt.limit = base, limit
    _sel, base, limit, _f = uc.reg_read(X.UC_X86_REG_IDTR)
    st.idt.base, st.idt.limit = base, limit
    st.ftw = abridged_tag(uc.reg_read(X.UC_X86_REG_FPTAG))
    top = (st.fsw >> 11) & 7
    st.st = []
    for i in range(8):
        mant, exp = uc.reg_read(FP_IDS[(top + i) & 7])
        st.st.append(struct.pack("<QH", mant, exp))
    st.xmm = [uc.reg_read(rid).to_bytes(16, "little") for rid in XMM_IDS]
    blob = eng.blob
    blob.read()
    carry = eng.carry
    for i, name in enumerate(ALL_SEGS):
        cache = blob.seg(i)
        loaded = carry.segs.get(name)
        if loaded is not None and loaded[0] == cache:
            unusable = loaded[1]
        else:
            unusable = 0 if (cache[3] >> 15) & 1 else 1
        st.seg[name] = cache_seg(cache, unusable)
    tr = st.seg["tr"]
    if tr.type == TSS64_AVAILABLE and tr.present and not tr.s:
        # QEMU's LTR fills TR's cache before it marks the descriptor busy; the loaded TR of
        # the architecture (and of KVM) is the busy TSS.
        tr.type = TSS64_BUSY
    shadow = blob.u32(eng.layout.hflags) & HF_INHIBIT_IRQ
    st.interrupt_shadow = (carry.interrupt_shadow or 1) if shadow else 0
    st.apic_base, st.xcr0, st.tsc = carry.apic_base, carry.xcr0, carry.tsc
    st.nmi_pending, st.nmi_masked = carry.nmi_pending, carry.nmi_masked
    return st


def dump(st: X86State) -> str:
    """Registers as text, four to a line, for fault reports."""
    items = [(n, v) for n, v in zip(GPR_NAMES, st.gprs, strict=True)]
    items += [("rip", st.rip), ("rflags", st.rflags), ("cr0", st.cr0), ("cr2", st.cr2)]
    items += [("cr3", st.cr3), ("cr4", st.cr4), ("efer", st.efer)]
    lines = []
    for i in range(0, len(items), 4):
        lines.append("  ".join(f"{n:>6}={v:#018x}" for n, v in items[i : i + 4]))
    for name in ("cs", "ss", "ds", "tr"):
        s = st.seg[name]
        lines.append(
            f"{name:>6}={s.selector:#06x} base={s.base:#x} limit={s.limit:#x} attr={s.attributes():#06x}"
        )
    lines.append(
        f"   gdt={st.gdt.base:#x}/{st.gdt.limit:#x}  idt={st.idt.base:#x}/{st.idt.limit:#x}"
    )
    return "\n".join(lines)
