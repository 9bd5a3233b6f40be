"""The differential checker on real KVM and real Unicorn."""

from __future__ import annotations

import pytest
from refguest import KSTACK, RAM_SIZE, USTACK

from simobjs.guest.snippets import (
    CODE_AT,
    TSS_AT,
    assemble,
    long_mode_state,
    write_tables,
)
from simobjs.mem.guest_ram import GuestRam
from simobjs.tools.diffcheck import (
    DEFAULT_MASKS,
    KNOWN_GAPS,
    check_stretch,
    compare,
    compare_memory,
    walk,
    walk_elf,
)

WORK = """
    mov $200, %rcx
    mov $0x1234567, %rax
    mov $0x100000, %rdi
    fninit
    fld1
    fldpi
1:  imul $0x1E3779B1, %rax, %rax
    xor %rcx, %rax
    mov %rax, (%rdi, %rcx, 8)
    cvtsi2sd %rcx, %xmm1
    addsd %xmm1, %xmm0
    mulsd %xmm0, %xmm2
    fadd %st(1), %st
    dec %rcx
    jnz 1b
    fstpl 0x100800
    movsd %xmm0, 0x100808
    mov $0xffff2100, %rsi
    mov (%rsi), %eax
    mov %eax, %ebx
    mov %eax, (%rsi)
    hlt
"""


def image(source: str) -> bytes:
    ram = GuestRam(0, RAM_SIZE)
    try:
        write_tables(ram, KSTACK)
        ram.write(CODE_AT, assemble(source))
        return bytes(ram.view)
    finally:
        ram.close()


def test_masks_are_named_and_unknown_names_refused():
    st = long_mode_state()
    other = st.copy()
    other.mxcsr |= 0x20
    other.fsw |= 0x20
    assert compare(st, other) == []
    assert [d.name for d in compare(st, other, masks=())] == ["fsw", "mxcsr"]
    with pytest.raises(ValueError, match="unknown gap"):
        compare(st, other, masks=("no-such-gap",))
    assert set(DEFAULT_MASKS) <= set(KNOWN_GAPS)


def test_compare_memory_lists_the_first_differences():
    a, b = bytearray(100000), bytearray(100000)
    b[70000] = 5
    assert compare_memory(a, b, base=0x1000) == [(0x1000 + 70000, 0, 5)]


def ring3_state():
    st = long_mode_state(3, CODE_AT, USTACK)
    st.rflags = 0x2  # PVM does not keep IOPL=3 for ring 3 (it reads back 0 after a run)
    return st


@pytest.mark.kvm
def test_a_ring3_stretch_agrees_on_kvm_and_the_engine():
    st = ring3_state()
    report = check_stretch(st, image(WORK), io_value=0x77)
    assert report.ok, report.text()
    assert "MmioExit at 0xffff2100" in report.kvm_exit
    assert report.reference_stop.reason == "io"
    assert report.reference_stop.instructions == 6 + 200 * 9 + 4
    assert "mov eax, dword ptr [rsi]" in report.last_insn
    assert "x87-status-flags" in report.text() and "mxcsr-flags" in report.text()


@pytest.mark.kvm
def test_a_ring0_integer_stretch_agrees():
    src = "mov $50, %rcx\n1: add %rcx, %rax\n rol $3, %rax\n dec %rcx\n jnz 1b\n"
    src += "mov $0x3f8, %dx\n in %dx, %al\n mov $0xffff2100, %rsi\n mov %eax, (%rsi)\n hlt\n"
    st = long_mode_state(0, CODE_AT, KSTACK)
    report = check_stretch(st, image(src), io_value=0x99)
    assert report.ok, report.text()
    assert "IoExit at 0x80000000000003f8" in report.kvm_exit


@pytest.mark.kvm
def test_a_corrupted_register_is_reported_first_with_both_values():
    st = ring3_state()

    def corrupt(ref):
        ref.set_reg("rbx", ref.reg("rbx") ^ 0x100)

    report = check_stretch(st, image(WORK), io_value=0x77, tamper=corrupt)
    assert not report.ok
    assert report.first.name == "rbx"
    assert report.first.kvm ^ report.first.reference == 0x100
    assert "DIFF rbx: kvm=0x0 reference=0x100" in report.text()
    assert TSS_AT  # the boot contract layout is shared with simobjs.guest.snippets


# every example but `timer`, which spins until PIT interrupts arrive (the checker has none)
WALKED = ["checkpoint", "compute", "fpu", "hello", "switch", "uart_stress"]


@pytest.mark.kvm
@pytest.mark.parametrize("name", WALKED)
def test_example_guests_agree_stretch_by_stretch(name):
    from simobjs.guest import build

    reports = list(walk_elf(str(build.example_guest(name)), max_stretches=60))
    last = reports[-1]
    assert last.ok, last.text()
    assert len(reports) == 60 or last.kvm_exit.endswith("0xffff2100")  # ran to m5_exit
    assert all(r.ok for r in reports)


@pytest.mark.kvm
def test_a_walk_stops_at_the_first_difference():
    st = ring3_state()
    reports = list(walk(st, image(WORK), io_value=lambda addr, size: 0x77, masks=()))
    # unmasked, the x87 status flags KVM sets and Unicorn does not are reported
    assert len(reports) == 1 and not reports[0].ok
    assert "fsw" in {d.name for d in reports[0].differences}
