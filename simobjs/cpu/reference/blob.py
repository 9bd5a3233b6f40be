"""Where Unicorn keeps the CPU state its API cannot reach.

Segment caches, CPL and the interrupt shadow (QEMU's `hflags`), the pending
exception's error code and `old_exception` live only in the raw `CPUX86State`
inside a `uc_context` blob. Their offsets are found once per process by
probing a scratch engine with known values; a layout that does not match is
refused with `BlobLayoutError` instead of being guessed.
"""

from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass
from functools import cache

from unicorn import UC_ARCH_X86, UC_HOOK_INTR, UC_MODE_64, Uc
from unicorn import x86_const as X

from simobjs.errors import SimobjsError

# QEMU hflags bits (target/i386/cpu.h)
HF_CPL_MASK = 3
HF_INHIBIT_IRQ = 1 << 3
HF_CS32 = 1 << 4
HF_SS32 = 1 << 5
HF_ADDSEG = 1 << 6
HF_PE = 1 << 7
HF_LMA = 1 << 14
HF_CS64 = 1 << 15
HF_VM = 1 << 17
DESC_B = 1 << 22
DESC_L = 1 << 21

SEG_CACHE = struct.Struct("<IxxxxQII")  # selector, base, limit, flags
SEG_ORDER = ("es", "cs", "ss", "ds", "fs", "gs")  # QEMU's R_ES..R_GS


class BlobLayoutError(SimobjsError):
    """This Unicorn build stores its CPU state where we did not expect it."""


@dataclass(frozen=True)
class BlobLayout:
    """Byte offsets inside a `uc_context` blob."""

    size: int
    hflags: int
    segs: int  # segs[6], then ldt, tr
    error_code: int  # then exception_is_int (i32) and exception_next_eip (u64)
    old_exception: int

    @property
    def is_int(self) -> int:
        return self.error_code + 4

    @property
    def next_eip(self) -> int:
        return self.error_code + 8

    def seg(self, index: int) -> int:
        return self.segs + SEG_CACHE.size * index

    @property
    def ldt(self) -> int:
        return self.seg(6)

    @property
    def tr(self) -> int:
        return self.seg(7)


_MAGIC_FS = 0x1234_5678_9ABC_DEF0 & 0x7FFF_FFFF_FFFF_F000
_MAGIC_GS = 0x0FED_CBA9_8765_4321 & 0x7FFF_FFFF_FFFF_F000
_MAGIC_DR0 = 0x5A5A_1234_C3C3_0000
_MAGIC_TR = 0x7766_5544_3322_1000
_GP_SELECTOR = 0x1238  # loaded into DS beyond the GDT limit: #GP(0x1238)


def _find(blob: bytes, value: int) -> int:
    needle = struct.pack("<Q", value)
    at = blob.find(needle)
    if at < 0 or blob.find(needle, at + 1) >= 0:
        raise BlobLayoutError(f"unicorn context: value {value:#x} not found exactly once")
    return at


@cache
def probe_layout() -> BlobLayout:
    """Locate the hidden-state offsets with known values on a scratch engine."""
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    code_at = 0x1000
    # int $0x41 ; mov $0x1238, %ax ; mov %ax, %ds ; hlt
    uc.mem_map(0, 0x10000)
    uc.mem_write(code_at, bytes.fromhex("cd4166b838128ed8f4"))
    uc.reg_write(X.UC_X86_REG_GDTR, (0, 0x8000, 0x17, 0))
    uc.reg_write(X.UC_X86_REG_FS_BASE, _MAGIC_FS)
    uc.reg_write(X.UC_X86_REG_GS_BASE, _MAGIC_GS)
    uc.reg_write(X.UC_X86_REG_DR0, _MAGIC_DR0)
    uc.reg_write(X.UC_X86_REG_TR, (0x28, _MAGIC_TR, 0x67, 0x8B00))
    blob = bytes(uc.context_save())
    size = len(blob)
    fs = _find(blob, _MAGIC_FS)
    gs = _find(blob, _MAGIC_GS)
    dr0 = _find(blob, _MAGIC_DR0)
    segs = fs - 4 * SEG_CACHE.size - 8
    layout = BlobLayout(size, segs - 8, segs, dr0 - 16, dr0 + 96)
    problems = []
    if gs != segs + 5 * SEG_CACHE.size + 8:
        problems.append("GS base is not one cache after FS")
    sel, base, limit, flags = SEG_CACHE.unpack_from(blob, layout.tr)
    if (sel, base, limit, flags) != (0x28, _MAGIC_TR, 0x67, 0x8B00):
        problems.append(f"TR cache not after the six segments: {(sel, base, limit, flags)}")
    hflags = struct.unpack_from("<I", blob, layout.hflags)[0]
    if hflags & (HF_LMA | HF_CS64) != (HF_LMA | HF_CS64):
        problems.append(f"hflags {hflags:#x} lacks LMA|CS64")
    seen: list[bytes] = []

    def on_intr(uc_: Uc, intno: int, _ud: object) -> None:
        seen.append(bytes(uc_.context_save()))
        uc_.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    try:
        uc.emu_start(code_at, 0, 0, 16)
        uc.emu_start(uc.reg_read(X.UC_X86_REG_RIP), 0, 0, 16)
    except Exception as exc:  # noqa: BLE001 - any failure means the layout is unknown
        problems.append(f"probe run failed: {exc}")
    if len(seen) == 2:
        is_int = struct.unpack_from("<i", seen[0], layout.is_int)[0]
        next_eip = struct.unpack_from("<Q", seen[0], layout.next_eip)[0]
        if (is_int, next_eip) != (1, code_at + 2):
            problems.append(f"INT n seen as is_int={is_int} next_eip={next_eip:#x}")
        err = struct.unpack_from("<i", seen[1], layout.error_code)[0]
        old = struct.unpack_from("<i", seen[1], layout.old_exception)[0]
        if err != _GP_SELECTOR or old != 13:
            problems.append(f"error_code/old_exception read {err:#x}/{old}, expected 0x1238/13")
    else:
        problems.append(
            f"the probe's INT and #GP reached the interrupt hook {len(seen)} times, not 2"
        )
    if problems:
        raise BlobLayoutError(
            "unsupported Unicorn build: the CPU state layout in uc_context is not "
            "the one this reference CPU knows (" + "; ".join(problems) + ")"
        )
    return layout


class Blob:
    """A reusable context buffer: read, patch, write back."""

    def __init__(self, uc: Uc, layout: BlobLayout) -> None:
        self.uc = uc
        self.layout = layout
        self._ctx = uc.context_save()
        self.buf = bytearray(layout.size)

    def read(self) -> bytearray:
        self.uc.context_update(self._ctx)
        # in bounds: the context is exactly layout.size bytes (probed on this build)
        ctypes.memmove(
            (ctypes.c_char * self.layout.size).from_buffer(self.buf),
            self._ctx.context,
            self.layout.size,
        )
        return self.buf

    def write(self) -> None:
        ctypes.memmove(self._ctx.context, bytes(self.buf), self.layout.size)
        self.uc.context_restore(self._ctx)

    def u32(self, off: int) -> int:
        return struct.unpack_from("<I", self.buf, off)[0]

    def set_u32(self, off: int, value: int) -> None:
        struct.pack_into("<I", self.buf, off, value & 0xFFFFFFFF)

    def set_i32(self, off: int, value: int) -> None:
        struct.pack_into("<i", self.buf, off, value)

    def i32(self, off: int) -> int:
        return struct.unpack_from("<i", self.buf, off)[0]

    def seg(self, index: int) -> tuple[int, int, int, int]:
        return SEG_CACHE.unpack_from(self.buf, self.layout.seg(index))

    def set_seg(self, index: int, selector: int, base: int, limit: int, flags: int) -> None:
        SEG_CACHE.pack_into(self.buf, self.layout.seg(index), selector, base, limit, flags)


def segment_hflags(hflags: int, cs_flags: int, ss_flags: int, bases_nonzero: bool, cpl: int) -> int:
    """hflags with CPL, CS32/SS32/CS64 and ADDSEG recomputed as QEMU's seg-cache load does."""
    h = hflags & ~(HF_CPL_MASK | HF_CS32 | HF_SS32 | HF_CS64 | HF_ADDSEG)
    h |= cpl & 3
    if h & HF_LMA and cs_flags & DESC_L:
        return h | HF_CS32 | HF_SS32 | HF_CS64
    if cs_flags & DESC_B:
        h |= HF_CS32
    if ss_flags & DESC_B:
        h |= HF_SS32
    if not (h & HF_PE) or h & HF_VM or not (h & HF_CS32) or bases_nonzero:
        h |= HF_ADDSEG
    return h
