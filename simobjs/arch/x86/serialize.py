"""X86State <-> checkpoint sections, in gem5's x86 layout.

`[<cpu>.xc.0]` holds the register files as bytes (`regs.integer` 304 bytes,
`regs.floating_point` 384, ...) and the PC state; `[<cpu>.isa]` holds
`regVal`, gem5's 205 misc registers (src/arch/x86/regs/misc.hh order).
What gem5 keeps elsewhere or loses (80-bit x87 values, which gem5 stores as
doubles; pending events; which MSRs were set) goes into extra keys of the
xc section that gem5 ignores, so our own round trips are exact.

Sections are `simobjs.sim.serialize.Section` (dict-like writes, typed reads).
"""

from __future__ import annotations

import math
import struct

from simobjs.arch.x86.state import (
    CARRIED_MSRS,
    MSR_CSTAR,
    MSR_FMASK,
    MSR_KERNEL_GS_BASE,
    MSR_LSTAR,
    MSR_PAT,
    MSR_STAR,
    MSR_SYSENTER_CS,
    MSR_SYSENTER_EIP,
    MSR_SYSENTER_ESP,
    MSR_TSC_AUX,
    DescriptorTable,
    Segment,
    X86State,
)
from simobjs.errors import CheckpointError
from simobjs.sim.serialize import U64_MAX

NUM_MISC_REGS = 205
INT_REGS_BYTES = 304  # 16 GPRs + 16 microcode + 6 implicit, 8 bytes each
FP_REGS_BYTES = 384  # 8 x87/MMX + 32 XMM halves + 8 micro-FP, 8 bytes each
EMPTY_CLASSES = {"regs.vector": 8, "regs.vector_element": 16, "regs.vector_predicate": 8}
NUM_CC_REGS = 5  # zaps, cfof, df, ecf, ezf

# misc register indices (gem5 misc_reg enum)
MISC_CR0, MISC_DR0, MISC_RFLAGS, MISC_M5REG, MISC_TSC = 0, 16, 24, 25, 26
MISC_EFER = 100
MISC_SEG_SEL, MISC_SEG_BASE, MISC_SEG_EFF_BASE, MISC_SEG_LIMIT, MISC_SEG_ATTR = (
    126,
    139,
    152,
    165,
    178,
)
MISC_X87_TOP, MISC_MXCSR, MISC_FCW, MISC_FSW, MISC_FTW, MISC_FTAG = 191, 192, 193, 194, 195, 196
MISC_FISEG, MISC_FIOFF, MISC_FOSEG, MISC_FOOFF, MISC_FOP = 197, 198, 199, 200, 201
MISC_APIC_BASE, MISC_PCI_CONFIG_ADDRESS, MISC_XCR0 = 202, 203, 204
MSR_MISC = {
    MSR_SYSENTER_CS: 28,
    MSR_SYSENTER_ESP: 29,
    MSR_SYSENTER_EIP: 30,
    MSR_PAT: 66,
    MSR_STAR: 101,
    MSR_LSTAR: 102,
    MSR_CSTAR: 103,
    MSR_FMASK: 104,
    MSR_KERNEL_GS_BASE: 105,
    MSR_TSC_AUX: 106,
}
# gem5's segment index order: ES CS SS DS FS GS HS TSL(LDT) TSG(GDT) LS MS TR IDTR
SEG_INDEX = {"es": 0, "cs": 1, "ss": 2, "ds": 3, "fs": 4, "gs": 5, "ldt": 7, "tr": 11}
SEG_TSG, SEG_IDTR = 8, 12

CC_MASK = 0x4 | 0x10 | 0x40 | 0x80  # PF AF ZF SF
CFOF_MASK = 0x1 | 0x800
DF_MASK = 0x400


def seg_attr(s: Segment) -> int:
    """gem5's SegAttr: dpl, unusable, defaultSize, longMode, avl, g, present, type, w/r/e, system."""
    code = s.type & 8
    writable = 0 if code else (s.type >> 1) & 1
    readable = (s.type >> 1) & 1 if code else 1
    expand_down = 0 if code else (s.type >> 2) & 1
    return (
        s.dpl
        | s.unusable << 2
        | s.db << 3
        | s.l << 4
        | s.avl << 5
        | s.g << 6
        | s.present << 7
        | (s.type & 0xF) << 8
        | writable << 12
        | readable << 13
        | expand_down << 14
        | s.s << 15
    )


def attr_seg(selector: int, base: int, limit: int, attr: int) -> Segment:
    return Segment(
        selector=selector,
        base=base,
        limit=limit,
        dpl=attr & 3,
        unusable=(attr >> 2) & 1,
        db=(attr >> 3) & 1,
        l=(attr >> 4) & 1,
        avl=(attr >> 5) & 1,
        g=(attr >> 6) & 1,
        present=(attr >> 7) & 1,
        type=(attr >> 8) & 0xF,
        s=(attr >> 15) & 1,
    )


def float80_to_double(raw: bytes) -> float:
    """An x87 80-bit value as the nearest double (what gem5 keeps in its FP registers)."""
    mant, se = struct.unpack("<QH", raw[:10])
    sign = -1.0 if se & 0x8000 else 1.0
    exp = se & 0x7FFF
    if exp == 0x7FFF:
        return sign * math.inf if mant & ((1 << 63) - 1) == 0 else math.nan
    if mant == 0:
        return sign * 0.0
    try:
        return sign * math.ldexp(float(mant), (exp or 1) - 16383 - 63)
    except OverflowError:
        return sign * math.inf


def double_to_float80(value: float) -> bytes:
    sign = 0x8000 if math.copysign(1.0, value) < 0 else 0
    if math.isnan(value):
        return struct.pack("<QH", 0xC000000000000000, 0x7FFF | sign)
    if math.isinf(value):
        return struct.pack("<QH", 1 << 63, 0x7FFF | sign)
    if value == 0:
        return struct.pack("<QH", 0, sign)
    m, e = math.frexp(abs(value))  # value = m * 2**e, 0.5 <= m < 1
    return struct.pack("<QH", int(m * (1 << 64)), (e - 1 + 16383) | sign)


def misc_regs(st: X86State) -> list[int]:
    """gem5's regVal array for `st`."""
    v = [0] * NUM_MISC_REGS
    v[MISC_CR0], v[MISC_CR0 + 2], v[MISC_CR0 + 3] = st.cr0, st.cr2, st.cr3
    v[MISC_CR0 + 4], v[MISC_CR0 + 8] = st.cr4, st.cr8
    v[MISC_RFLAGS] = st.rflags & ~(CC_MASK | CFOF_MASK | DF_MASK)
    v[MISC_TSC] = st.tsc
    v[MISC_EFER] = st.efer
    for msr, idx in MSR_MISC.items():
        v[idx] = st.msrs.get(msr, 0)
    long64 = st.seg["cs"].l and st.efer & (1 << 10)
    for name, i in SEG_INDEX.items():
        s = st.seg[name]
        v[MISC_SEG_SEL + i], v[MISC_SEG_BASE + i], v[MISC_SEG_LIMIT + i] = (
            s.selector,
            s.base,
            s.limit,
        )
        v[MISC_SEG_EFF_BASE + i] = 0 if long64 and name in ("es", "cs", "ss", "ds") else s.base
        v[MISC_SEG_ATTR + i] = seg_attr(s)
    for i, table in ((SEG_TSG, st.gdt), (SEG_IDTR, st.idt)):
        v[MISC_SEG_BASE + i] = v[MISC_SEG_EFF_BASE + i] = table.base
        v[MISC_SEG_LIMIT + i] = table.limit
    v[MISC_X87_TOP] = (st.fsw >> 11) & 7
    v[MISC_MXCSR], v[MISC_FCW], v[MISC_FSW], v[MISC_FTW] = st.mxcsr, st.fcw, st.fsw, st.ftw
    v[MISC_FTAG] = sum(0 if st.ftw >> i & 1 else 3 << (2 * i) for i in range(8))
    v[MISC_FIOFF], v[MISC_FOOFF], v[MISC_FOP] = st.fip, st.fdp, st.fop
    v[MISC_APIC_BASE], v[MISC_XCR0] = st.apic_base, st.xcr0
    return v


def serialize_thread(st: X86State, xc, isa) -> None:
    """Write `st` into the `[<cpu>.xc.0]` section `xc` and the `[<cpu>.isa]` section `isa`."""
    ints = struct.pack("<16Q", *st.gprs) + bytes(INT_REGS_BYTES - 128)
    top = (st.fsw >> 11) & 7
    fprs = [0] * 8
    for i, raw in enumerate(st.st):  # gem5 indexes x87 registers physically
        fprs[(top + i) & 7] = struct.unpack("<Q", struct.pack("<d", float80_to_double(raw)))[0]
    halves = [h for x in st.xmm for h in struct.unpack("<QQ", x)]
    fp = struct.pack("<48Q", *fprs, *halves, *([0] * 8))
    rf = st.rflags
    cc = struct.pack("<5Q", rf & CC_MASK, rf & CFOF_MASK, rf & DF_MASK, 0, 0)
    xc["regs.integer"] = ints
    xc["regs.floating_point"] = fp
    for key, size in EMPTY_CLASSES.items():
        xc[key] = bytes(size)
    xc["regs.matrix"] = ""
    xc["regs.condition_code"] = cc
    xc["_pc"], xc["_npc"], xc["_upc"], xc["_nupc"], xc["_size"] = st.rip, st.rip, 0, 1, 0
    # exact extras gem5 does not read
    xc["x87.st"] = b"".join(st.st)
    xc["msrsPresent"] = sorted(st.msrs)
    xc["halted"] = st.halted  # gem5 keeps this in `_status`, which the CPU base writes
    xc["interruptShadow"] = st.interrupt_shadow
    xc["nmiPending"], xc["nmiMasked"] = st.nmi_pending, st.nmi_masked
    xc["pendingException"] = [] if st.exception is None else _exc_values(st.exception)
    isa["isaName"] = "x86"
    isa["regVal"] = misc_regs(st)


def _exc_values(exc: tuple[int, int | None]) -> list[int]:
    vector, error = exc
    return [vector] if error is None else [vector, error]


def unserialize_thread(xc, isa) -> X86State:
    """Read an X86State back (also from a gem5 checkpoint, minus what gem5 lacks)."""
    v = isa.get_ints("regVal", lo=0, hi=U64_MAX)
    if len(v) not in (NUM_MISC_REGS, NUM_MISC_REGS - 1):  # before XCR0 there were 204
        raise CheckpointError(
            f"expected {NUM_MISC_REGS} misc registers, got {len(v)}", isa.name, "regVal"
        )
    v = v + [1] * (NUM_MISC_REGS - len(v))
    st = X86State()
    st.gprs = list(struct.unpack_from("<16Q", xc.get_bytes("regs.integer", INT_REGS_BYTES)))
    fp = struct.unpack("<48Q", xc.get_bytes("regs.floating_point", FP_REGS_BYTES))
    cc = struct.unpack("<5Q", xc.get_bytes("regs.condition_code", 8 * NUM_CC_REGS))
    st.rip = xc.get_int("_pc", 0, U64_MAX)
    st.rflags = v[MISC_RFLAGS] | (cc[0] & CC_MASK) | (cc[1] & CFOF_MASK) | (cc[2] & DF_MASK)
    st.cr0, st.cr2, st.cr3, st.cr4, st.cr8 = (v[MISC_CR0 + i] for i in (0, 2, 3, 4, 8))
    st.tsc, st.efer = v[MISC_TSC], v[MISC_EFER]
    present = set(xc.get_ints("msrsPresent", lo=0, hi=0xFFFFFFFF)) if "msrsPresent" in xc else None
    st.msrs = {
        msr: v[idx]
        for msr, idx in MSR_MISC.items()
        if (msr in present if present is not None else v[idx] != 0) and msr in CARRIED_MSRS
    }
    for name, i in SEG_INDEX.items():
        st.seg[name] = attr_seg(
            v[MISC_SEG_SEL + i], v[MISC_SEG_BASE + i], v[MISC_SEG_LIMIT + i], v[MISC_SEG_ATTR + i]
        )
    st.gdt = DescriptorTable(v[MISC_SEG_BASE + SEG_TSG], v[MISC_SEG_LIMIT + SEG_TSG])
    st.idt = DescriptorTable(v[MISC_SEG_BASE + SEG_IDTR], v[MISC_SEG_LIMIT + SEG_IDTR])
    st.mxcsr, st.fcw, st.fsw, st.ftw = v[MISC_MXCSR], v[MISC_FCW], v[MISC_FSW], v[MISC_FTW]
    st.fip, st.fdp, st.fop = v[MISC_FIOFF], v[MISC_FOOFF], v[MISC_FOP]
    st.apic_base, st.xcr0 = v[MISC_APIC_BASE], v[MISC_XCR0]
    if "x87.st" in xc:
        raw = xc.get_bytes("x87.st", 80)
        st.st = [raw[10 * i : 10 * i + 10] for i in range(8)]
    else:
        top = (st.fsw >> 11) & 7
        doubles = [struct.unpack("<d", struct.pack("<Q", fp[(top + i) & 7]))[0] for i in range(8)]
        st.st = [double_to_float80(d) for d in doubles]
    st.xmm = [struct.pack("<QQ", fp[8 + 2 * i], fp[9 + 2 * i]) for i in range(16)]
    if "halted" in xc:
        st.halted = xc.get_bool("halted")
    elif "_status" in xc:
        st.halted = xc.get_int("_status") == 1  # gem5's Suspended
    if "interruptShadow" in xc:
        st.interrupt_shadow = xc.get_int("interruptShadow", 0, 0xFF)
        st.nmi_pending = xc.get_int("nmiPending", 0, 0xFF)
        st.nmi_masked = xc.get_int("nmiMasked", 0, 0xFF)
        exc = xc.get_ints("pendingException", lo=0, hi=0xFFFFFFFF)
        if exc and (len(exc) > 2 or exc[0] > 31):
            raise CheckpointError(
                f"impossible pending exception {exc}: expected a vector 0..31 and an "
                "optional error code",
                xc.name,
                "pendingException",
            )
        st.exception = None if not exc else (exc[0], exc[1] if len(exc) > 1 else None)
    return st
