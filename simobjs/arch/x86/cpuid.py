"""The CPUID a KVM guest sees when it may be switched to the reference CPU.

A guest picks code paths from CPUID once, at boot. If it may later run on the
reference CPU (Unicorn, QEMU 5 TCG), it must only see features that CPU
executes: no AVX/AVX2/AVX-512/FMA/F16C, no ADX/SMAP/1 GiB pages (absent from
Unicorn's CPU model), no XSAVE state beyond x87 and SSE, no RDRAND/RDSEED
(non-deterministic), no TSX/MPX/PT/SGX/AMX, no PMU. Everything
else (vendor, family, cache and topology leaves, hypervisor leaves) is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class CpuidEntry(NamedTuple):
    """One CPUID leaf (same fields as KVM's kvm_cpuid_entry2)."""

    function: int
    index: int
    flags: int
    eax: int
    ebx: int
    ecx: int
    edx: int


def _bits(*positions: int) -> int:
    return sum(1 << p for p in positions)


# The feature bits of Unicorn 2.1.4's CPU model (measured by executing CPUID on it;
# tests/arch/test_cpuid.py checks these stay a subset), minus RDRAND, plus HTT.
# leaf 1 EDX: FPU DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH
# MMX FXSR SSE SSE2, and HTT (topology only)
LEAF1_EDX = 0x078BFBFD | _bits(28)
# leaf 1 ECX: SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE OSXSAVE HYPERVISOR
LEAF1_ECX = _bits(0, 1, 9, 13, 19, 20, 22, 23, 25, 26, 27, 31)
# leaf 7.0 EBX: FSGSBASE BMI1 SMEP BMI2 ERMS
LEAF7_EBX = _bits(0, 3, 7, 8, 9)
# 0x80000001 EDX: SYSCALL NX RDTSCP LM; ECX: LAHF/SAHF in 64-bit, LZCNT
EXT1_EDX = _bits(11, 20, 27, 29)
EXT1_ECX = _bits(0, 5)
XCR0_X87_SSE = 0x3
XSAVE_LEGACY_SIZE = 512 + 64  # legacy region and XSAVE header
DROPPED_LEAVES = frozenset({0x12, 0x14, 0x19, 0x1D, 0x1E})


def reference_compatible_cpuid(supported_entries: Iterable[tuple]) -> list[CpuidEntry]:
    """`supported_entries` (e.g. KVM_GET_SUPPORTED_CPUID) masked to what Unicorn runs."""
    out: list[CpuidEntry] = []
    for raw in supported_entries:
        e = CpuidEntry(*tuple(raw)[:7])
        fn, idx = e.function, e.index
        if fn in DROPPED_LEAVES:
            e = e._replace(eax=0, ebx=0, ecx=0, edx=0)
        elif fn == 1:
            e = e._replace(ecx=e.ecx & LEAF1_ECX, edx=e.edx & LEAF1_EDX)
        elif fn == 7:
            if idx != 0:
                e = e._replace(eax=0, ebx=0, ecx=0, edx=0)
            else:
                e = e._replace(eax=0, ebx=e.ebx & LEAF7_EBX, ecx=0, edx=0)
        elif fn == 0xA:
            e = e._replace(eax=0, ebx=0, ecx=0, edx=0)  # no PMU
        elif fn == 0xD:
            if idx == 0:
                xcr0 = e.eax & XCR0_X87_SSE
                e = e._replace(eax=xcr0, ebx=XSAVE_LEGACY_SIZE, ecx=XSAVE_LEGACY_SIZE, edx=0)
            else:
                e = e._replace(
                    eax=0, ebx=0, ecx=0, edx=0
                )  # no XSAVEOPT/XSAVEC/XSAVES, no components
        elif fn == 0x80000001:
            e = e._replace(ecx=e.ecx & EXT1_ECX, edx=e.edx & EXT1_EDX)
        out.append(e)
    return out
