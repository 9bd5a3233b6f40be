"""The one x86-64 architectural state type.

The KVM CPU, the reference CPU and checkpoints all convert to and from
X86State; switching CPUs is "old CPU writes it, new CPU reads it".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, fields

GPR_NAMES = (
    "rax",
    "rcx",
    "rdx",
    "rbx",
    "rsp",
    "rbp",
    "rsi",
    "rdi",
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
)
SEGMENT_NAMES = ("es", "cs", "ss", "ds", "fs", "gs", "tr", "ldt")

# MSRs carried by the state (beyond EFER/APIC base, which have fields of their own).
MSR_STAR = 0xC0000081
MSR_LSTAR = 0xC0000082
MSR_CSTAR = 0xC0000083
MSR_FMASK = 0xC0000084
MSR_FS_BASE = 0xC0000100
MSR_GS_BASE = 0xC0000101
MSR_KERNEL_GS_BASE = 0xC0000102
MSR_TSC_AUX = 0xC0000103
MSR_SYSENTER_CS = 0x174
MSR_SYSENTER_ESP = 0x175
MSR_SYSENTER_EIP = 0x176
MSR_PAT = 0x277
MSR_EFER = 0xC0000080
MSR_TSC = 0x10
CARRIED_MSRS = (
    MSR_STAR,
    MSR_LSTAR,
    MSR_CSTAR,
    MSR_FMASK,
    MSR_KERNEL_GS_BASE,
    MSR_TSC_AUX,
    MSR_SYSENTER_CS,
    MSR_SYSENTER_ESP,
    MSR_SYSENTER_EIP,
    MSR_PAT,
)

RFLAGS_IF = 1 << 9
RFLAGS_TF = 1 << 8
RFLAGS_IOPL = 3 << 12


@dataclass
class Segment:
    """A segment register with its hidden part (KVM's kvm_segment fields)."""

    selector: int = 0
    base: int = 0
    limit: int = 0
    type: int = 0
    present: int = 0
    dpl: int = 0
    db: int = 0
    s: int = 0
    l: int = 0  # noqa: E741 - the architectural name of the long-mode bit
    g: int = 0
    avl: int = 0
    unusable: int = 0

    def attributes(self) -> int:
        """The descriptor's attribute bits as in the high dword (type..G)."""
        return (
            (self.type & 0xF)
            | (self.s << 4)
            | (self.dpl << 5)
            | (self.present << 7)
            | (self.avl << 12)
            | (self.l << 13)
            | (self.db << 14)
            | (self.g << 15)
        )

    @classmethod
    def from_attributes(cls, selector: int, base: int, limit: int, attr: int, unusable: int = 0):
        return cls(
            selector=selector,
            base=base,
            limit=limit,
            type=attr & 0xF,
            s=(attr >> 4) & 1,
            dpl=(attr >> 5) & 3,
            present=(attr >> 7) & 1,
            avl=(attr >> 12) & 1,
            l=(attr >> 13) & 1,
            db=(attr >> 14) & 1,
            g=(attr >> 15) & 1,
            unusable=unusable,
        )


@dataclass
class DescriptorTable:
    base: int = 0
    limit: int = 0


def _copy_plain(obj):
    """A copy of a dataclass instance whose fields are all immutable."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


def _segments() -> dict[str, Segment]:
    return {name: Segment() for name in SEGMENT_NAMES}


@dataclass
class X86State:
    """Everything a CPU needs to continue a thread exactly."""

    gprs: list[int] = field(default_factory=lambda: [0] * 16)
    rip: int = 0
    rflags: int = 0x2
    seg: dict[str, Segment] = field(default_factory=_segments)
    gdt: DescriptorTable = field(default_factory=DescriptorTable)
    idt: DescriptorTable = field(default_factory=DescriptorTable)
    cr0: int = 0x60000010
    cr2: int = 0
    cr3: int = 0
    cr4: int = 0
    cr8: int = 0
    efer: int = 0
    apic_base: int = 0xFEE00900
    xcr0: int = 1
    msrs: dict[int, int] = field(default_factory=dict)
    tsc: int = 0
    # x87 / SSE, in FXSAVE terms: ftw is the abridged tag byte, st[i] is ST(i) (10 bytes)
    fcw: int = 0x37F
    fsw: int = 0
    ftw: int = 0
    fop: int = 0
    fip: int = 0
    fdp: int = 0
    mxcsr: int = 0x1F80
    st: list[bytes] = field(default_factory=lambda: [bytes(10)] * 8)
    xmm: list[bytes] = field(default_factory=lambda: [bytes(16)] * 16)
    # pending events and activity
    interrupt_shadow: int = 0
    nmi_pending: int = 0
    nmi_masked: int = 0
    exception: tuple[int, int | None] | None = None  # (vector, error code) injected, not yet taken
    halted: bool = False

    # -- convenience -----------------------------------------------------------
    def reg(self, name: str) -> int:
        return self.gprs[GPR_NAMES.index(name)]

    def set_reg(self, name: str, value: int) -> None:
        self.gprs[GPR_NAMES.index(name)] = value & 0xFFFFFFFFFFFFFFFF

    @property
    def cpl(self) -> int:
        return self.seg["cs"].dpl if self.cr0 & 1 else 0

    def copy(self) -> X86State:
        """A deep copy (every field holds ints, bytes, tuples, or containers of them),
        made field by field: copy.deepcopy costs ~30x more, on every CPU switch."""
        new = object.__new__(X86State)
        d = new.__dict__
        d.update(self.__dict__)
        d["gprs"] = list(self.gprs)
        d["seg"] = {name: _copy_plain(s) for name, s in self.seg.items()}
        d["gdt"] = _copy_plain(self.gdt)
        d["idt"] = _copy_plain(self.idt)
        d["msrs"] = dict(self.msrs)
        d["st"] = list(self.st)
        d["xmm"] = list(self.xmm)
        return new

    # -- FXSAVE (512 bytes: the legacy region of XSAVE) ---------------------------
    _FX_HEAD = struct.Struct("<HHBxHQQII")  # fcw fsw ftw fop fip fdp mxcsr mxcsr_mask

    def to_fxsave(self, mxcsr_mask: int = 0xFFFF) -> bytearray:
        area = bytearray(512)
        self._FX_HEAD.pack_into(
            area,
            0,
            self.fcw,
            self.fsw,
            self.ftw,
            self.fop,
            self.fip,
            self.fdp,
            self.mxcsr,
            mxcsr_mask,
        )
        for i, value in enumerate(self.st):
            area[32 + 16 * i : 32 + 16 * i + 10] = value
        for i, value in enumerate(self.xmm):
            area[160 + 16 * i : 176 + 16 * i] = value
        return area

    def load_fxsave(self, area: bytes | bytearray | memoryview) -> None:
        (self.fcw, self.fsw, self.ftw, self.fop, self.fip, self.fdp, self.mxcsr, _mask) = (
            self._FX_HEAD.unpack_from(area, 0)
        )
        self.st = [bytes(area[32 + 16 * i : 32 + 16 * i + 10]) for i in range(8)]
        self.xmm = [bytes(area[160 + 16 * i : 176 + 16 * i]) for i in range(16)]

    # -- comparison --------------------------------------------------------------
    def diff(
        self, other: X86State, ignore: frozenset[str] = frozenset()
    ) -> list[tuple[str, object, object]]:
        """Differences as (name, ours, theirs), flattened (e.g. 'rax', 'cs.base', 'xmm3')."""
        out: list[tuple[str, object, object]] = []
        for f in fields(self):
            name = f.name
            a, b = getattr(self, name), getattr(other, name)
            if name == "gprs":
                out += [(n, x, y) for n, x, y in zip(GPR_NAMES, a, b, strict=True) if x != y]
            elif name == "seg":
                for s in SEGMENT_NAMES:
                    for sf in fields(Segment):
                        x, y = getattr(a[s], sf.name), getattr(b[s], sf.name)
                        if x != y:
                            out.append((f"{s}.{sf.name}", x, y))
            elif name in ("gdt", "idt"):
                for sub in ("base", "limit"):
                    if getattr(a, sub) != getattr(b, sub):
                        out.append((f"{name}.{sub}", getattr(a, sub), getattr(b, sub)))
            elif name in ("st", "xmm"):
                out += [
                    (f"{name}{i}", x, y)
                    for i, (x, y) in enumerate(zip(a, b, strict=True))
                    if x != y
                ]
            elif name == "msrs":
                for k in sorted(set(a) | set(b)):
                    if a.get(k) != b.get(k):
                        out.append((f"msr[{k:#x}]", a.get(k), b.get(k)))
            elif a != b:
                out.append((name, a, b))
        return [d for d in out if d[0] not in ignore and d[0].split(".")[0] not in ignore]
