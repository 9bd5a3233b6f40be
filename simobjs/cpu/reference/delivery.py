"""Event delivery through the guest IDT, done by hand (Unicorn never does it).

64-bit gates only (the engine runs long-mode guests): frame SS, RSP, RFLAGS,
CS, RIP [, error code] on a 16-byte aligned stack, the stack switched to
RSP<n> of the TSS on a privilege change or to an IST entry, TF/NT/RF/VM
cleared and IF cleared for interrupt gates. A fault raised while delivering
escalates as the SDM says (contributory/page fault -> #DF -> triple fault).
Also SYSCALL, which Unicorn only reports to a hook.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from unicorn import x86_const as X

from simobjs.arch.x86.state import MSR_EFER, MSR_FMASK, MSR_LSTAR, MSR_STAR
from simobjs.cpu.reference.blob import HF_INHIBIT_IRQ, segment_hflags
from simobjs.cpu.reference.paging import PageFault

if TYPE_CHECKING:
    from simobjs.cpu.reference.engine import ReferenceEngine

EXCEPTION, SOFT, EXTERNAL = "exception", "soft", "external"
HAS_ERROR_CODE = frozenset({8, 10, 11, 12, 13, 14, 17, 21, 29, 30})
CONTRIBUTORY = frozenset({0, 10, 11, 12, 13})
TRAPS = frozenset({1, 3, 4})
RF_TF, RF_IF, RF_NT, RF_RF, RF_VM = 1 << 8, 1 << 9, 1 << 14, 1 << 16, 1 << 17
_SEG_CS, _SEG_SS, _SEG_TR = 1, 2, 7
_CODE64_FLAGS = 0xA09B00  # G L P S type=B, DPL 0 (QEMU high-dword flags)
_DATA_FLAGS = 0xC09300  # G B P S type=3, DPL 0


class _Fault(Exception):
    def __init__(self, vector: int, error: int | None = None, cr2: int | None = None) -> None:
        super().__init__(vector, error)
        self.vector, self.error, self.cr2 = vector, error, cr2


def handle_event(eng: ReferenceEngine, event: tuple) -> str | None:
    """Act on what stopped Unicorn; returns a triple-fault description or None."""
    c = eng.counter
    if event[0] == "ud":
        if c.count and c.last_pc == eng.rip:
            c.count -= 1  # the invalid instruction did not retire
        return deliver(eng, 6, None, EXCEPTION)
    if event[0] == "syscall":
        return syscall(eng)
    _kind, vector, is_int, next_eip, error, rip = event
    if is_int:
        eng.uc.reg_write(X.UC_X86_REG_RIP, next_eip)
        return deliver(eng, vector, None, SOFT, c.last_pc)
    if vector not in TRAPS and c.count and c.last_pc == rip:
        c.count -= 1  # a fault: the instruction did not retire
    return deliver(eng, vector, error if vector in HAS_ERROR_CODE else None, EXCEPTION)


def _combine(first: int | None, second: int) -> int | None:
    """The next event after `second` faulted delivering `first`; None is a triple fault."""
    if first == 8:
        return None
    if first in CONTRIBUTORY and second in CONTRIBUTORY:
        return 8
    if first == 14 and (second in CONTRIBUTORY or second == 14):
        return 8
    return second


def deliver(
    eng: ReferenceEngine, vector: int, error: int | None, kind: str, insn_rip: int | None = None
) -> str | None:
    """Deliver one event; returns None, or a description when it ends in a triple fault.

    `insn_rip` is the address of an INT n: a fault while delivering it is reported
    at that instruction, which then has not retired.
    """
    history = []
    for _ in range(4):
        history.append(vector)
        try:
            _deliver_once(eng, vector, error, kind)
            return None
        except _Fault as fault:
            if fault.cr2 is not None:
                eng.uc.reg_write(X.UC_X86_REG_CR2, fault.cr2)
            if kind == SOFT and insn_rip is not None:
                eng.uc.reg_write(X.UC_X86_REG_RIP, insn_rip)
                eng.counter.count -= 1
            nxt = _combine(vector if kind == EXCEPTION else None, fault.vector)
            if nxt is None:
                break
            vector, kind = nxt, EXCEPTION
            error = 0 if nxt == 8 else fault.error
    chain = " -> ".join(f"#{v}" for v in history)
    return f"triple fault while delivering {chain}"


def _read(eng: ReferenceEngine, address: int, length: int) -> bytes:
    try:
        return eng.read_linear(address, length)
    except PageFault as pf:
        raise _Fault(14, pf.error_code, pf.address) from None
    except IndexError:
        raise _Fault(13, 0) from None


def _descriptor(desc: int) -> tuple[int, int, int]:
    """(base, limit, QEMU flags) of a code/data descriptor."""
    base = ((desc >> 16) & 0xFFFFFF) | ((desc >> 56) & 0xFF) << 24
    limit = (desc & 0xFFFF) | ((desc >> 48) & 0xF) << 16
    if desc & (1 << 55):
        limit = (limit << 12) | 0xFFF
    return base, limit, (desc >> 32) & 0x00F0FF00


def _deliver_once(eng: ReferenceEngine, vector: int, error: int | None, kind: str) -> None:
    uc = eng.uc
    blob = eng.blob
    blob.read()
    cpl = blob.u32(eng.layout.hflags) & 3
    ext = 0 if kind == SOFT else 1
    idt_error = vector * 8 + 2 + ext
    _s, idt_base, idt_limit, _f = uc.reg_read(X.UC_X86_REG_IDTR)
    if vector * 16 + 15 > idt_limit:
        raise _Fault(13, idt_error)
    lo, sel, ist, attr, mid, hi, _r = struct.unpack(
        "<HHBBHII", _read(eng, idt_base + 16 * vector, 16)
    )
    gate_type = attr & 0x1F
    if gate_type not in (0xE, 0xF):
        raise _Fault(13, idt_error)
    if kind == SOFT and (attr >> 5) & 3 < cpl:
        raise _Fault(13, idt_error)
    if not attr & 0x80:
        raise _Fault(11, idt_error)
    target = lo | mid << 16 | hi << 32
    sel_error = (sel & 0xFFFC) + ext
    _s, gdt_base, gdt_limit, _f = uc.reg_read(X.UC_X86_REG_GDTR)
    if sel & ~3 == 0 or sel & 4 or (sel & ~7) + 7 > gdt_limit:
        raise _Fault(13, sel_error)
    desc_at = gdt_base + (sel & ~7)
    desc = struct.unpack("<Q", _read(eng, desc_at, 8))[0]
    base, limit, flags = _descriptor(desc)
    dpl = (flags >> 13) & 3
    is_code = (flags >> 11) & 3 == 3  # S=1 and executable
    if not is_code or dpl > cpl or not flags & (1 << 21) or flags & (1 << 22):
        raise _Fault(13, sel_error)
    if not flags & (1 << 15):
        raise _Fault(11, sel_error)
    new_cpl = cpl if flags & (1 << 10) else dpl
    rsp = uc.reg_read(X.UC_X86_REG_RSP)
    rflags = uc.reg_read(X.UC_X86_REG_EFLAGS)
    rip = uc.reg_read(X.UC_X86_REG_RIP)
    old_cs, old_ss = blob.seg(_SEG_CS), blob.seg(_SEG_SS)
    tss_base = blob.seg(_SEG_TR)[1]
    new_rsp = rsp
    if ist & 7:
        new_rsp = struct.unpack("<Q", _read(eng, tss_base + 36 + 8 * ((ist & 7) - 1), 8))[0]
    elif new_cpl < cpl:
        new_rsp = struct.unpack("<Q", _read(eng, tss_base + 4 + 8 * new_cpl, 8))[0]
    new_rsp &= ~0xF
    frame = [rip, old_cs[0], rflags, rsp, old_ss[0]]
    if error is not None:
        frame.insert(0, error & 0xFFFFFFFF)
    new_rsp -= 8 * len(frame)
    try:
        eng.write_linear(new_rsp, struct.pack(f"<{len(frame)}Q", *frame))
    except PageFault as pf:
        raise _Fault(14, pf.error_code, pf.address) from None
    if not flags & (1 << 8):  # the CPU marks the descriptor accessed
        flags |= 1 << 8
        try:
            eng.write_linear(desc_at + 5, bytes([(desc >> 40) & 0xFF | 1]))
        except PageFault:
            pass
    rflags &= ~(RF_TF | RF_NT | RF_RF | RF_VM)
    if gate_type == 0xE:
        rflags &= ~RF_IF
    uc.reg_write(X.UC_X86_REG_RSP, new_rsp)
    uc.reg_write(X.UC_X86_REG_EFLAGS, rflags)
    uc.reg_write(X.UC_X86_REG_RIP, target)
    cs = ((sel & ~3) | new_cpl, base, limit, flags)
    ss = old_ss if new_cpl == cpl else (new_cpl, 0, 0, new_cpl << 13)
    _commit(eng, cs, ss, new_cpl)


def _commit(eng: ReferenceEngine, cs: tuple, ss: tuple, cpl: int) -> None:
    blob = eng.blob
    lay = eng.layout
    blob.read()
    blob.set_seg(_SEG_CS, *cs)
    blob.set_seg(_SEG_SS, *ss)
    bases = blob.seg(0)[1] | blob.seg(3)[1] | ss[1]
    h = segment_hflags(blob.u32(lay.hflags), cs[3], ss[3], bases != 0, cpl)
    blob.set_u32(lay.hflags, h & ~HF_INHIBIT_IRQ)
    blob.set_i32(lay.old_exception, -1)
    blob.write()


def syscall(eng: ReferenceEngine) -> str | None:
    """SYSCALL: Unicorn has already moved RIP past it and only told the hook."""
    uc = eng.uc
    if not uc.msr_read(MSR_EFER) & 1:
        uc.reg_write(X.UC_X86_REG_RIP, eng.rip - 2)
        eng.counter.count -= 1
        return deliver(eng, 6, None, EXCEPTION)
    star, lstar, fmask = uc.msr_read(MSR_STAR), uc.msr_read(MSR_LSTAR), uc.msr_read(MSR_FMASK)
    rflags = uc.reg_read(X.UC_X86_REG_EFLAGS)
    uc.reg_write(X.UC_X86_REG_RCX, eng.rip)
    uc.reg_write(X.UC_X86_REG_R11, rflags & ~RF_RF)
    uc.reg_write(X.UC_X86_REG_EFLAGS, (rflags & ~fmask & ~RF_RF) | 2)
    uc.reg_write(X.UC_X86_REG_RIP, lstar)
    sel = (star >> 32) & 0xFFFC
    _commit(eng, (sel, 0, 0xFFFFFFFF, _CODE64_FLAGS), (sel + 8, 0, 0xFFFFFFFF, _DATA_FLAGS), 0)
    return None
