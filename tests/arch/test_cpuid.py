"""The CPUID mask for guests that may run on the reference CPU."""

from __future__ import annotations

from unicorn import UC_ARCH_X86, UC_MODE_64, Uc
from unicorn import x86_const as X

from simobjs.arch.x86.cpuid import (
    EXT1_ECX,
    EXT1_EDX,
    LEAF1_ECX,
    LEAF1_EDX,
    LEAF7_EBX,
    CpuidEntry,
    reference_compatible_cpuid,
)
from simobjs.cpu.reference.engine import ReferenceEngine
from simobjs.guest.snippets import CODE_AT, assemble, long_mode_state, write_tables
from simobjs.mem.guest_ram import GuestRam

ALL = 0xFFFFFFFF


def full_table() -> list[tuple]:
    leaves = [(0, 0), (1, 0), (7, 0), (7, 1), (0xA, 0), (0xD, 0), (0xD, 1), (0xD, 2), (0x14, 0)]
    leaves += [(0x80000001, 0), (0x80000008, 0), (0x40000000, 0)]
    return [(fn, idx, 1 if fn in (7, 0xD) else 0, ALL, ALL, ALL, ALL) for fn, idx in leaves]


def leaf(entries, fn, idx=0) -> CpuidEntry:
    return next(e for e in entries if (e.function, e.index) == (fn, idx))


def test_vector_extensions_and_nondeterministic_features_are_hidden():
    out = reference_compatible_cpuid(full_table())
    one = leaf(out, 1)
    for bit in (12, 28, 29, 30):  # FMA AVX F16C RDRAND
        assert not one.ecx >> bit & 1
    for bit in (0, 9, 19, 20, 23, 26):  # SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT XSAVE
        assert one.ecx >> bit & 1
    assert one.edx >> 25 & 1 and one.edx >> 26 & 1  # SSE SSE2
    seven = leaf(out, 7)
    for bit in (5, 16, 18, 11, 4, 14):  # AVX2 AVX512F RDSEED RTM HLE MPX
        assert not seven.ebx >> bit & 1
    assert seven.ebx >> 3 & 1 and seven.ebx & 1  # BMI1, FSGSBASE
    assert not seven.ebx >> 19 & 1  # ADX: Unicorn's CPU model lacks it
    assert (seven.ecx, seven.edx, seven.eax) == (0, 0, 0)
    assert leaf(out, 7, 1)[3:] == (0, 0, 0, 0)


def test_xsave_offers_only_x87_and_sse_and_no_pmu():
    out = reference_compatible_cpuid(full_table())
    d0 = leaf(out, 0xD, 0)
    assert (d0.eax, d0.edx, d0.ebx, d0.ecx) == (3, 0, 576, 576)
    assert leaf(out, 0xD, 1)[3:] == (0, 0, 0, 0)
    assert leaf(out, 0xD, 2)[3:] == (0, 0, 0, 0)
    assert leaf(out, 0xA)[3:] == (0, 0, 0, 0)
    assert leaf(out, 0x14)[3:] == (0, 0, 0, 0)


def test_other_leaves_are_kept_and_the_mask_is_idempotent():
    table = full_table()
    out = reference_compatible_cpuid(table)
    assert len(out) == len(table)
    assert leaf(out, 0)[3:] == (ALL, ALL, ALL, ALL)
    assert leaf(out, 0x40000000)[3:] == (ALL, ALL, ALL, ALL)
    ext = leaf(out, 0x80000001)
    assert ext.edx >> 29 & 1 and ext.edx >> 11 & 1 and ext.edx >> 20 & 1  # LM SYSCALL NX
    assert not ext.ecx >> 2 & 1 and not ext.ecx >> 6 & 1  # SVM SSE4A
    assert reference_compatible_cpuid(out) == out


def unicorn_cpuid(fn: int, idx: int = 0) -> tuple[int, int, int, int]:
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(0, 0x1000)
    uc.mem_write(0, b"\x0f\xa2")
    uc.reg_write(X.UC_X86_REG_RAX, fn)
    uc.reg_write(X.UC_X86_REG_RCX, idx)
    uc.emu_start(0, 2)
    return tuple(
        uc.reg_read(r)
        for r in (X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX)
    )


def test_masks_stay_within_what_unicorns_cpu_model_reports():
    _a, _b, ecx, edx = unicorn_cpuid(1)
    assert LEAF1_ECX & ~ecx == 0 and LEAF1_EDX & ~edx == 1 << 28  # HTT is topology only
    assert LEAF7_EBX & ~unicorn_cpuid(7)[1] == 0
    _a, _b, ecx, edx = unicorn_cpuid(0x80000001)
    assert EXT1_ECX & ~ecx == 0 and EXT1_EDX & ~edx == 0


FEATURES = """
    popcnt %rax, %rbx
    pclmulqdq $0, %xmm1, %xmm0
    aesenc %xmm1, %xmm0
    movbe (%rsp), %eax
    andn %rax, %rbx, %rcx
    bzhi %rax, %rbx, %rcx
    crc32 %eax, %ebx
    pshufb %xmm1, %xmm0
    ptest %xmm1, %xmm0
    lzcnt %rax, %rbx
    rdfsbase %rax
    cmpxchg16b (%rsp)
    rdtscp
    lahf
    xgetbv
    hlt
"""


def test_kept_features_execute_on_the_reference_engine():
    ram = GuestRam(0, 4 << 20)
    try:
        write_tables(ram, (4 << 20) - 0x1000)
        ram.write(CODE_AT, assemble(FEATURES))
        eng = ReferenceEngine([ram])
        st = long_mode_state(0, CODE_AT, 0x300000)
        st.cr4 |= (1 << 16) | (1 << 18)  # FSGSBASE, OSXSAVE
        eng.load_state(st)
        stop = eng.run(100)
        eng.close()
    finally:
        ram.close()
    assert (stop.reason, stop.instructions) == ("halt", 16)
