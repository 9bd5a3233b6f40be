"""KVM vCPU state <-> X86State (gem5's updateKvmState / updateThreadContext).

`KvmX86State` is everything KVM holds for one vCPU, as the typed values of the
`kvm` package; `to_x86_state` and `from_x86_state` convert it exactly, and
`normalize_for_kvm` applies the fix-ups gem5 makes before KVM_SET_SREGS
(accessed bits, busy TSS, SS.DPL = CS.DPL).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from operator import attrgetter

from kvm.state import (
    SEGMENT_DPL_AT,
    DTable,
    Regs,
    Sregs,
    Xsave,
    regs_from_buffer,
    sregs_from_buffer,
)
from kvm.state import Segment as KvmSegment
from simobjs.arch.x86.state import (
    GPR_NAMES,
    SEGMENT_NAMES,
    DescriptorTable,
    Segment,
    X86State,
)

XSTATE_FP_SSE = 0x3  # XSAVE header bits: x87 and SSE state present
_SEG_FIELDS = (
    "base",
    "limit",
    "selector",
    "type",
    "present",
    "dpl",
    "db",
    "s",
    "l",
    "g",
    "avl",
    "unusable",
)

# struct kvm_vcpu_events (linux/kvm.h, x86): exception {injected, nr, has_error_code,
# pending, error_code}, interrupt {injected, nr, soft, shadow}, nmi {injected,
# pending, masked, pad}, sipi_vector, flags. The rest of the struct is carried as is.
VCPU_EVENTS = struct.Struct("<BBBBI BBBB BBBx II")
EVENTS_VALID_SHADOW = 0x4  # KVM_VCPUEVENT_VALID_SHADOW


@dataclass
class VcpuEvents:
    """The decoded head of struct kvm_vcpu_events; `raw` keeps every other byte."""

    raw: bytes
    exception_injected: int = 0
    exception_nr: int = 0
    exception_has_error_code: int = 0
    exception_pending: int = 0
    exception_error_code: int = 0
    interrupt_injected: int = 0
    interrupt_nr: int = 0
    interrupt_soft: int = 0
    interrupt_shadow: int = 0
    nmi_injected: int = 0
    nmi_pending: int = 0
    nmi_masked: int = 0
    sipi_vector: int = 0
    flags: int = 0

    @classmethod
    def decode(cls, raw: bytes) -> VcpuEvents:
        return cls(bytes(raw), *VCPU_EVENTS.unpack_from(raw, 0))

    def encode(self) -> bytes:
        out = bytearray(self.raw)
        VCPU_EVENTS.pack_into(
            out,
            0,
            self.exception_injected,
            self.exception_nr,
            self.exception_has_error_code,
            self.exception_pending,
            self.exception_error_code,
            self.interrupt_injected,
            self.interrupt_nr,
            self.interrupt_soft,
            self.interrupt_shadow,
            self.nmi_injected,
            self.nmi_pending,
            self.nmi_masked,
            self.sipi_vector,
            self.flags,
        )
        return bytes(out)

    def pending_anything(self) -> bool:
        """gem5's archIsDrained test: an injected event or a pending NMI."""
        return bool(
            self.exception_injected
            or self.interrupt_injected
            or self.nmi_injected
            or self.nmi_pending
        )


@dataclass
class KvmX86State:
    """All the vCPU state simobjs reads from / writes to KVM."""

    regs: Regs
    sregs: Sregs
    xsave: Xsave
    msrs: dict[int, int] = field(default_factory=dict)
    xcrs: dict[int, int] = field(default_factory=dict)
    events: VcpuEvents | None = None


_seg_values = attrgetter(*_SEG_FIELDS)  # (the two Segment types order their fields apart)


def seg_from_kvm(k: KvmSegment) -> Segment:
    base, limit, selector, *flags = _seg_values(k)
    return Segment(selector, base, limit, *flags)


def seg_to_kvm(s: Segment) -> KvmSegment:
    return KvmSegment(*_seg_values(s))


def to_x86_state(k: KvmX86State, tsc_msr: int = 0x10) -> X86State:
    """The X86State described by KVM's state `k` (exact: from_x86_state undoes it)."""
    st = X86State()
    st.gprs = [getattr(k.regs, n) for n in GPR_NAMES]
    st.rip = k.regs.rip
    st.rflags = k.regs.rflags
    s = k.sregs
    st.seg = {n: seg_from_kvm(getattr(s, n)) for n in SEGMENT_NAMES}
    st.gdt = DescriptorTable(s.gdt.base, s.gdt.limit)
    st.idt = DescriptorTable(s.idt.base, s.idt.limit)
    st.cr0, st.cr2, st.cr3, st.cr4, st.cr8 = s.cr0, s.cr2, s.cr3, s.cr4, s.cr8
    st.efer, st.apic_base = s.efer, s.apic_base
    msrs = dict(k.msrs)
    st.tsc = msrs.pop(tsc_msr, 0)
    st.msrs = msrs
    st.xcr0 = k.xcrs.get(0, 1)
    st.load_fxsave(k.xsave.raw[:512])
    ev = k.events
    if ev is not None:
        st.interrupt_shadow = ev.interrupt_shadow
        st.nmi_pending = ev.nmi_pending
        st.nmi_masked = ev.nmi_masked
        if ev.exception_injected or ev.exception_pending:
            code = ev.exception_error_code if ev.exception_has_error_code else None
            st.exception = (ev.exception_nr, code)
    return st


def from_x86_state(
    st: X86State, template: KvmX86State | None = None, tsc_msr: int = 0x10
) -> KvmX86State:
    """KVM's state for `st`. `template` (the last state read from KVM) supplies what
    X86State does not hold: the XSAVE area beyond the legacy region, the rest of
    kvm_vcpu_events, the pending-interrupt bitmap."""
    regs = Regs(**{n: v for n, v in zip(GPR_NAMES, st.gprs, strict=True)})
    regs.rip, regs.rflags = st.rip, st.rflags
    sregs = Sregs(
        **{n: seg_to_kvm(st.seg[n]) for n in SEGMENT_NAMES},
        gdt=DTable(st.gdt.base, st.gdt.limit),
        idt=DTable(st.idt.base, st.idt.limit),
        cr0=st.cr0,
        cr2=st.cr2,
        cr3=st.cr3,
        cr4=st.cr4,
        cr8=st.cr8,
        efer=st.efer,
        apic_base=st.apic_base,
    )
    if template is not None:
        sregs.interrupt_bitmap = template.sregs.interrupt_bitmap
        raw = bytearray(template.xsave.raw)
    else:
        raw = bytearray(Xsave.SIZE)
    mask = struct.unpack_from("<I", raw, 28)[0] or 0xFFFF
    raw[:512] = st.to_fxsave(mxcsr_mask=mask)
    xsave = Xsave(raw)
    xsave.xstate_bv = xsave.xstate_bv | XSTATE_FP_SSE
    msrs = dict(st.msrs)
    msrs[tsc_msr] = st.tsc
    events = None
    base = template.events if template is not None and template.events is not None else None
    if base is not None:
        events = VcpuEvents.decode(base.raw)
        events.interrupt_shadow = st.interrupt_shadow
        events.nmi_pending = st.nmi_pending
        events.nmi_masked = st.nmi_masked
        events.flags |= EVENTS_VALID_SHADOW
        if st.exception is None:
            events.exception_injected = events.exception_pending = 0
        else:
            vector, code = st.exception
            events.exception_injected = 1
            events.exception_pending = 0
            events.exception_nr = vector
            events.exception_has_error_code = int(code is not None)
            events.exception_error_code = code or 0
    return KvmX86State(regs, sregs, xsave, msrs, {0: st.xcr0}, events)


class KvmThreadState:
    """A thread's state as KVM's raw structs (kvm_regs, kvm_sregs, kvm_vcpu_events), its
    XSAVE area, and the MSRs and XCRs its CPU held: what a KVM CPU writes back as it is,
    converted (to_x86_state) only when something else needs it."""

    __slots__ = ("regs", "sregs", "events", "xsave", "msrs", "xcrs")

    def __init__(self, regs, sregs, events, xsave: Xsave, msrs: dict, xcrs: dict) -> None:
        self.regs, self.sregs, self.events = bytes(regs), bytes(sregs), events and bytes(events)
        self.xsave, self.msrs, self.xcrs = xsave, msrs, xcrs

    @property
    def cpl(self) -> int:
        return self.sregs[SEGMENT_DPL_AT]  # CS (the first segment): its DPL

    def kvm_state(self) -> KvmX86State:
        return KvmX86State(
            regs_from_buffer(self.regs),
            sregs_from_buffer(self.sregs),
            self.xsave,
            dict(self.msrs),
            dict(self.xcrs),
            VcpuEvents.decode(self.events) if self.events else None,
        )

    def to_x86_state(self) -> X86State:
        return to_x86_state(self.kvm_state())


def normalize_for_kvm(sregs: Sregs) -> Sregs:
    """gem5's fix-ups before KVM_SET_SREGS: accessed bit on usable code/data
    segments, a busy TSS, and SS.DPL equal to CS.DPL (the CPL)."""
    for name in ("cs", "ds", "es", "fs", "gs", "ss"):
        seg = getattr(sregs, name)
        if seg.s and seg.present and not seg.unusable:
            seg.type |= 1
    tr = sregs.tr
    if tr.type == 9:  # 64-bit TSS, available -> busy
        tr.type = 11
    elif tr.type == 1:  # 16-bit TSS, available -> busy
        tr.type = 3
    sregs.ss.dpl = sregs.cs.dpl
    return sregs
