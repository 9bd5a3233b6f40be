"""X86State: the one architectural state type."""

from __future__ import annotations

import random

from simobjs.arch.x86.state import GPR_NAMES, Segment, X86State


def test_segment_attributes_round_trip_every_bit():
    for attr in (0, 0xF0FF, 0xA09B, 0xC093, 0x8B, 0x2):
        s = Segment.from_attributes(0x23, 0x1000, 0xFFFFF, attr, unusable=1)
        assert s.attributes() == attr and s.unusable == 1 and s.selector == 0x23


def test_fxsave_image_round_trips_and_has_the_legacy_offsets():
    rng = random.Random(7)
    st = X86State()
    st.fcw, st.fsw, st.ftw, st.fop = 0x27F, 0x3841, 0xA5, 0x7FF
    st.fip, st.fdp, st.mxcsr = rng.getrandbits(64), rng.getrandbits(64), 0x1FA0
    st.st = [rng.randbytes(10) for _ in range(8)]
    st.xmm = [rng.randbytes(16) for _ in range(16)]
    area = st.to_fxsave(mxcsr_mask=0xFFBF)
    assert len(area) == 512
    assert area[0:2] == b"\x7f\x02" and area[4] == 0xA5
    assert area[24:28] == (0x1FA0).to_bytes(4, "little")
    assert area[28:32] == (0xFFBF).to_bytes(4, "little")
    assert area[32:42] == st.st[0] and area[160:176] == st.xmm[0]
    back = X86State()
    back.load_fxsave(area)
    assert st.diff(back) == []


def test_diff_names_registers_segments_tables_and_msrs():
    a = X86State()
    b = a.copy()
    b.set_reg("r9", 5)
    b.seg["cs"].base = 0x1000
    b.idt.limit = 0xFFF
    b.msrs[0xC0000082] = 1
    b.xmm[3] = b"\x01" * 16
    names = [n for n, _x, _y in a.diff(b)]
    assert names == ["r9", "cs.base", "idt.limit", "msr[0xc0000082]", "xmm3"]
    assert a.diff(b, ignore=frozenset({"cs", "xmm3", "r9"})) == [
        ("idt.limit", 0, 0xFFF),
        ("msr[0xc0000082]", None, 1),
    ]


def test_reg_helpers_mask_to_64_bits_and_copy_is_deep():
    st = X86State()
    st.set_reg("rax", -1)
    assert st.reg("rax") == 2**64 - 1 and len(GPR_NAMES) == 16
    c = st.copy()
    c.seg["ss"].dpl = 3
    c.gprs[0] = 0
    assert st.seg["ss"].dpl == 0 and st.reg("rax") == 2**64 - 1


def test_cpl_comes_from_cs_in_protected_mode_only():
    st = X86State()
    st.seg["cs"].dpl = 3
    assert st.cpl == 0  # CR0.PE clear: real mode
    st.cr0 |= 1
    assert st.cpl == 3
