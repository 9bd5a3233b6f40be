"""X86State <-> gem5-layout checkpoint sections."""

from __future__ import annotations

import math
import random
import struct

import pytest

from simobjs.arch.x86.serialize import (
    FP_REGS_BYTES,
    INT_REGS_BYTES,
    MISC_APIC_BASE,
    MISC_EFER,
    MISC_RFLAGS,
    MISC_SEG_ATTR,
    MISC_SEG_SEL,
    MISC_X87_TOP,
    MISC_XCR0,
    NUM_MISC_REGS,
    attr_seg,
    double_to_float80,
    float80_to_double,
    seg_attr,
    serialize_thread,
    unserialize_thread,
)
from simobjs.arch.x86.state import CARRIED_MSRS, Segment, X86State
from simobjs.errors import CheckpointError
from simobjs.sim.serialize import CheckpointIn, CheckpointOut, Section


def full_state(seed: int) -> X86State:
    rng = random.Random(seed)
    st = X86State()
    st.gprs = [rng.getrandbits(64) for _ in range(16)]
    st.rip, st.rflags = rng.getrandbits(64), 0x2 | 0xCD5 | 0x200
    for name in list(st.seg):
        st.seg[name] = Segment(
            selector=rng.getrandbits(16),
            base=rng.getrandbits(64),
            limit=rng.getrandbits(32),
            type=rng.getrandbits(4),
            present=rng.getrandbits(1),
            dpl=rng.getrandbits(2),
            db=rng.getrandbits(1),
            s=rng.getrandbits(1),
            l=rng.getrandbits(1),
            g=rng.getrandbits(1),
            avl=rng.getrandbits(1),
            unusable=rng.getrandbits(1),
        )
    st.gdt.base, st.gdt.limit = rng.getrandbits(64), 0xFFFF
    st.idt.base, st.idt.limit = rng.getrandbits(64), 0xFFF
    st.cr0, st.cr2, st.cr3, st.cr4, st.cr8 = 0x80050033, rng.getrandbits(64), 0x1000, 0x6F0, 5
    st.efer, st.apic_base, st.xcr0, st.tsc = 0xD01, 0xFEE00900, 7, rng.getrandbits(63)
    st.msrs = {m: rng.getrandbits(64) for m in CARRIED_MSRS[:6]}
    st.msrs[CARRIED_MSRS[7]] = 0  # present and zero: must stay present
    st.fcw, st.fsw, st.ftw, st.fop = 0x37F, 0x3A41, 0xA5, 0x7FF
    st.fip, st.fdp, st.mxcsr = rng.getrandbits(64), rng.getrandbits(64), 0x1FA5
    st.st = [rng.randbytes(10) for _ in range(8)]
    st.xmm = [rng.randbytes(16) for _ in range(16)]
    st.interrupt_shadow, st.nmi_pending, st.nmi_masked = 2, 1, 1
    st.exception = (14, 6)
    st.halted = True
    return st


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_round_trip_through_an_m5_cpt_file_is_exact(tmp_path, seed):
    st = full_state(seed)
    out = CheckpointOut(str(tmp_path))
    serialize_thread(st, out.section("system.cpu.xc.0"), out.section("system.cpu.isa"))
    text = out.text()
    cp = CheckpointIn.parse(str(tmp_path), text)
    back = unserialize_thread(cp.section("system.cpu.xc.0"), cp.section("system.cpu.isa"))
    assert st.diff(back) == []


def test_sections_have_gem5s_sizes_and_indices():
    st = full_state(4)
    st.seg["cs"] = Segment(
        selector=0x23, limit=0xFFFFFFFF, type=0xB, present=1, dpl=3, s=1, l=1, g=1
    )
    xc, isa = Section("cpu.xc.0"), Section("cpu.isa")
    serialize_thread(st, xc, isa)
    assert len(xc.get_bytes("regs.integer")) == INT_REGS_BYTES
    assert len(xc.get_bytes("regs.floating_point")) == FP_REGS_BYTES
    assert len(xc.get_bytes("regs.condition_code")) == 40
    assert xc["regs.matrix"] == ""
    regs = isa.get_ints("regVal")
    assert len(regs) == NUM_MISC_REGS and isa["isaName"] == "x86"
    assert regs[MISC_EFER] == st.efer and regs[MISC_APIC_BASE] == st.apic_base
    assert regs[MISC_XCR0] == 7 and regs[MISC_X87_TOP] == 7
    assert regs[MISC_SEG_SEL + 1] == 0x23
    attr = regs[MISC_SEG_ATTR + 1]
    assert attr & 3 == 3 and attr >> 4 & 1 and attr >> 7 & 1 and (attr >> 8) & 0xF == 0xB
    assert regs[MISC_RFLAGS] & 0xCD5 == 0  # condition codes live in regs.condition_code
    assert xc.get_int("_pc") == st.rip


def test_segment_attribute_encoding_round_trips():
    s = Segment(type=0x3, present=1, dpl=2, db=1, s=1, g=1, avl=1, unusable=1)
    assert attr_seg(1, 2, 3, seg_attr(s)) == Segment(
        1,
        2,
        3,
        **{
            k: getattr(s, k)
            for k in ("type", "present", "dpl", "db", "s", "l", "g", "avl", "unusable")
        },
    )
    assert seg_attr(s) >> 12 & 1  # writable data


def test_float80_conversions():
    one = struct.pack("<QH", 1 << 63, 16383)
    assert float80_to_double(one) == 1.0
    assert double_to_float80(1.0) == one
    for x in (math.pi, -2.5e-300, 1e300, 0.0, -0.0):
        assert float80_to_double(double_to_float80(x)) == x
    assert math.isinf(float80_to_double(double_to_float80(-math.inf)))
    assert math.isnan(float80_to_double(double_to_float80(math.nan)))


def test_a_gem5_checkpoint_without_our_extras_reads_back():
    st = full_state(5)
    st.st = [double_to_float80(float(i) * 1.5) for i in range(8)]
    st.msrs = {m: 1 + i for i, m in enumerate(CARRIED_MSRS)}
    st.interrupt_shadow = st.nmi_pending = st.nmi_masked = 0
    st.exception = None
    xc, isa = Section("cpu.xc.0"), Section("cpu.isa")
    serialize_thread(st, xc, isa)
    plain = Section(
        "cpu.xc.0", {k: v for k, v in xc.items() if "." not in k or k.startswith("regs.")}
    )
    plain._values.pop("msrsPresent", None)
    for key in ("interruptShadow", "nmiPending", "nmiMasked", "pendingException"):
        plain._values.pop(key, None)
    assert "x87.st" not in plain
    back = unserialize_thread(plain, isa)
    assert st.diff(back) == []


def test_bad_misc_register_count_names_the_key():
    xc, isa = Section("cpu.xc.0"), Section("cpu.isa")
    serialize_thread(X86State(), xc, isa)
    isa["regVal"] = [0] * 10
    with pytest.raises(CheckpointError, match=r"\[cpu.isa\] regVal"):
        unserialize_thread(xc, isa)
