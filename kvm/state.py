"""Typed vCPU state values (regs, sregs, FPU, XSAVE, CPUID) and their C conversions."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import NamedTuple

from kvm._kvm_ffi import ffi

REG_NAMES = "rax rbx rcx rdx rsi rdi rsp rbp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags".split()


@dataclass(slots=True)
class Regs:
    """General registers (struct kvm_regs)."""

    rax: int = 0
    rbx: int = 0
    rcx: int = 0
    rdx: int = 0
    rsi: int = 0
    rdi: int = 0
    rsp: int = 0
    rbp: int = 0
    r8: int = 0
    r9: int = 0
    r10: int = 0
    r11: int = 0
    r12: int = 0
    r13: int = 0
    r14: int = 0
    r15: int = 0
    rip: int = 0
    rflags: int = 0x2


_REGS = struct.Struct("<18Q")  # struct kvm_regs: 18 u64 in REG_NAMES order
REGS_SIZE = _REGS.size
_reg_values = attrgetter(*REG_NAMES)


def regs_from_c(c) -> Regs:
    return Regs(*(getattr(c, n) for n in REG_NAMES))


def regs_from_buffer(buf, offset: int = 0) -> Regs:
    """A struct kvm_regs lying in `buf` at `offset` (kvm_run's synced copy)."""
    return Regs(*_REGS.unpack_from(buf, offset))


def regs_to_buffer(regs: Regs, buf, offset: int = 0) -> None:
    """Write `regs` as a struct kvm_regs into `buf` at `offset`."""
    _REGS.pack_into(buf, offset, *_reg_values(regs))


def regs_to_c(regs: Regs):
    c = ffi.new("struct kvm_regs *")
    for n in REG_NAMES:
        setattr(c, n, getattr(regs, n))
    return c


SEGMENT_FIELDS = "base limit selector type present dpl db s l g avl unusable".split()


@dataclass(slots=True)
class Segment:
    """A segment register with its hidden part (struct kvm_segment)."""

    base: int = 0
    limit: int = 0xFFFF
    selector: int = 0
    type: int = 0
    present: int = 0
    dpl: int = 0
    db: int = 0
    s: int = 0
    l: int = 0  # noqa: E741 - the kernel's name for the 64-bit code flag
    g: int = 0
    avl: int = 0
    unusable: int = 0


@dataclass(slots=True)
class DTable:
    """A descriptor table register (GDTR/IDTR)."""

    base: int = 0
    limit: int = 0xFFFF


SEGMENT_NAMES = ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt")
CONTROL_NAMES = ("cr0", "cr2", "cr3", "cr4", "cr8", "efer", "apic_base")


@dataclass(slots=True)
class Sregs:
    """Special registers (struct kvm_sregs)."""

    cs: Segment = field(default_factory=Segment)
    ds: Segment = field(default_factory=Segment)
    es: Segment = field(default_factory=Segment)
    fs: Segment = field(default_factory=Segment)
    gs: Segment = field(default_factory=Segment)
    ss: Segment = field(default_factory=Segment)
    tr: Segment = field(default_factory=Segment)
    ldt: Segment = field(default_factory=Segment)
    gdt: DTable = field(default_factory=DTable)
    idt: DTable = field(default_factory=DTable)
    cr0: int = 0
    cr2: int = 0
    cr3: int = 0
    cr4: int = 0
    cr8: int = 0
    efer: int = 0
    apic_base: int = 0
    interrupt_bitmap: tuple[int, ...] = (0, 0, 0, 0)


# struct kvm_sregs in one unpack: 8 kvm_segment (base limit selector, 9 flag bytes, a
# pad byte), 2 kvm_dtable (base limit, padding), the control registers, the bitmap
_SREGS = struct.Struct("<" + "QIH9Bx" * len(SEGMENT_NAMES) + "QH6x" * 2 + "7Q" + "4Q")
_SEG_N = len(SEGMENT_FIELDS)
_DT_AT = _SEG_N * len(SEGMENT_NAMES)
_CR_AT = _DT_AT + 4
_seg_values = attrgetter(*SEGMENT_FIELDS)
_control_values = attrgetter(*CONTROL_NAMES)


# where the raw structs keep what code reading them as bytes looks at
REGS_RIP_AT = ffi.offsetof("struct kvm_regs", "rip")
SREGS_SIZE = ffi.sizeof("struct kvm_sregs")
SEGMENT_SIZE = ffi.sizeof("struct kvm_segment")
SEGMENT_DPL_AT = ffi.offsetof("struct kvm_segment", "dpl")
SREGS_TR_AT = ffi.offsetof("struct kvm_sregs", "tr")
SREGS_CR8_AT = ffi.offsetof("struct kvm_sregs", "cr8")


def sregs_from_c(c) -> Sregs:
    return sregs_from_buffer(ffi.buffer(c))


def sregs_from_buffer(buf, offset: int = 0) -> Sregs:
    """A struct kvm_sregs lying in `buf` at `offset` (kvm_run's synced copy)."""
    v = _SREGS.unpack_from(buf, offset)
    segs = [Segment(*v[i : i + _SEG_N]) for i in range(0, _DT_AT, _SEG_N)]
    return Sregs(
        *segs,
        DTable(v[_DT_AT], v[_DT_AT + 1]),
        DTable(v[_DT_AT + 2], v[_DT_AT + 3]),
        *v[_CR_AT : _CR_AT + len(CONTROL_NAMES)],
        interrupt_bitmap=tuple(v[_CR_AT + len(CONTROL_NAMES) :]),
    )


def sregs_to_c(s: Sregs):
    c = ffi.new("struct kvm_sregs *")
    sregs_to_buffer(s, ffi.buffer(c))
    return c


def sregs_to_buffer(s: Sregs, buf, offset: int = 0) -> None:
    """Write `s` as a struct kvm_sregs into `buf` at `offset` (kvm_run's synced copy)."""
    values: list[int] = []
    for n in SEGMENT_NAMES:
        values += _seg_values(getattr(s, n))
    values += (s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit)
    values += _control_values(s)
    values += s.interrupt_bitmap
    _SREGS.pack_into(buf, offset, *values)


@dataclass(slots=True)
class Fpu:
    """x87/SSE state (struct kvm_fpu); fpr and xmm hold 16 raw bytes per register."""

    fpr: list[bytes] = field(default_factory=lambda: [bytes(16)] * 8)
    fcw: int = 0x37F
    fsw: int = 0
    ftwx: int = 0
    last_opcode: int = 0
    last_ip: int = 0
    last_dp: int = 0
    xmm: list[bytes] = field(default_factory=lambda: [bytes(16)] * 16)
    mxcsr: int = 0x1F80


_FPU_SCALARS = ("fcw", "fsw", "ftwx", "last_opcode", "last_ip", "last_dp", "mxcsr")


def fpu_from_c(c) -> Fpu:
    return Fpu(
        fpr=[bytes(ffi.buffer(c.fpr[i])) for i in range(8)],
        xmm=[bytes(ffi.buffer(c.xmm[i])) for i in range(16)],
        **{n: getattr(c, n) for n in _FPU_SCALARS},
    )


def fpu_to_c(f: Fpu):
    c = ffi.new("struct kvm_fpu *")
    for i, raw in enumerate(f.fpr):
        ffi.buffer(c.fpr[i])[:] = bytes(raw).ljust(16, b"\0")
    for i, raw in enumerate(f.xmm):
        ffi.buffer(c.xmm[i])[:] = bytes(raw).ljust(16, b"\0")
    for n in _FPU_SCALARS:
        setattr(c, n, getattr(f, n))
    return c


class Xsave:
    """The raw XSAVE area (struct kvm_xsave, 4096 bytes) with accessors for the
    architectural legacy region (FXSAVE layout) and the XSAVE header."""

    SIZE = ffi.sizeof("struct kvm_xsave")
    # Offsets below are the x86 FXSAVE/XSAVE image layout (SDM vol. 1, 13.4).
    _FCW, _FSW, _FTW, _MXCSR, _ST0, _XMM0, _XSTATE_BV = 0, 2, 4, 24, 32, 160, 512

    __slots__ = ("raw",)

    def __init__(self, raw: bytes | bytearray | None = None) -> None:
        data = bytearray(raw if raw is not None else bytes(self.SIZE))
        if len(data) != self.SIZE:
            raise ValueError(f"XSAVE area must be {self.SIZE} bytes, got {len(data)}")
        self.raw = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Xsave) and self.raw == other.raw

    def _u(self, fmt: str, off: int) -> int:
        return struct.unpack_from(fmt, self.raw, off)[0]

    @property
    def fcw(self) -> int:
        return self._u("<H", self._FCW)

    @property
    def fsw(self) -> int:
        return self._u("<H", self._FSW)

    @property
    def mxcsr(self) -> int:
        return self._u("<I", self._MXCSR)

    @mxcsr.setter
    def mxcsr(self, value: int) -> None:
        struct.pack_into("<I", self.raw, self._MXCSR, value)

    @property
    def xstate_bv(self) -> int:
        return self._u("<Q", self._XSTATE_BV)

    @xstate_bv.setter
    def xstate_bv(self, value: int) -> None:
        struct.pack_into("<Q", self.raw, self._XSTATE_BV, value)

    def xmm(self, i: int) -> bytes:
        """XMM register i (0..15), 16 bytes."""
        if not 0 <= i < 16:
            raise IndexError(f"xmm{i} does not exist")
        off = self._XMM0 + 16 * i
        return bytes(self.raw[off : off + 16])

    def set_xmm(self, i: int, value: bytes) -> None:
        if not 0 <= i < 16 or len(value) != 16:
            raise ValueError("set_xmm needs 0 <= i < 16 and 16 bytes")
        off = self._XMM0 + 16 * i
        self.raw[off : off + 16] = value

    def st(self, i: int) -> bytes:
        """x87 register slot i (0..7, physical order of the image), 10 bytes."""
        off = self._ST0 + 16 * i
        return bytes(self.raw[off : off + 10])


class CpuidEntry(NamedTuple):
    """One CPUID leaf (struct kvm_cpuid_entry2)."""

    function: int
    index: int
    flags: int
    eax: int
    ebx: int
    ecx: int
    edx: int


def cpuid_from_c(c) -> CpuidEntry:
    return CpuidEntry(c.function, c.index, c.flags, c.eax, c.ebx, c.ecx, c.edx)


def cpuid_to_c(entries: list[CpuidEntry]):
    arr = ffi.new("struct kvm_cpuid_entry2[]", max(len(entries), 1))
    for i, e in enumerate(entries):
        for name in CpuidEntry._fields:
            setattr(arr[i], name, getattr(e, name))
    return arr


class DebugRegs(NamedTuple):
    """DR0-3, DR6, DR7 (struct kvm_debugregs)."""

    db: tuple[int, int, int, int]
    dr6: int
    dr7: int
    flags: int = 0


def field_names(cls) -> list[str]:
    return [f.name for f in fields(cls)]
