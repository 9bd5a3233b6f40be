"""The reference engine on real Unicorn with real (assembled) guest code."""

from __future__ import annotations

import random
import struct

import pytest
from refguest import CODE_AT, IST1, KSTACK, USTACK, RefGuest

from simobjs.arch.x86.state import CARRIED_MSRS, X86State
from simobjs.cpu.reference.blob import BlobLayoutError, probe_layout
from simobjs.cpu.reference.engine import IO_SPACE, ReferenceEngine, ram_gaps
from simobjs.guest.snippets import long_mode_state

LOOP = """
    mov $1000, %rcx
    xor %eax, %eax
1:  add $3, %rax
    dec %rcx
    jnz 1b
    hlt
"""


@pytest.fixture
def guest_factory():
    made = []

    def make(source: str, cpl: int = 0, **kw) -> RefGuest:
        g = RefGuest(source, cpl, **kw)
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()


def random_state(rng: random.Random, cpl: int) -> X86State:
    st = long_mode_state(cpl, CODE_AT, USTACK)
    st.gprs = [rng.getrandbits(64) for _ in range(16)]
    st.rip = rng.getrandbits(47)
    st.rflags = 0x2 | rng.choice([0, 0x1]) | 0x4 | 0x40 | 0x80 | 0x200 | 0x400 | 0x800 | 0x40000
    for name in ("ds", "es", "fs", "gs"):
        s = st.seg[name]
        s.base = rng.getrandbits(47)
        s.limit = rng.getrandbits(32)
        s.selector = rng.randrange(0, 0x10000) & ~4
        s.type, s.dpl, s.avl, s.g = rng.choice([1, 3, 5, 7]), rng.randrange(4), 1, rng.randrange(2)
    st.seg["ldt"].unusable = 1
    st.seg["tr"].base = rng.getrandbits(47)
    st.cr2 = rng.getrandbits(64)
    st.cr8 = rng.randrange(16)
    st.gdt.base, st.gdt.limit = rng.getrandbits(47), 0xFFFF
    st.idt.base, st.idt.limit = rng.getrandbits(47), 0xFFF
    st.msrs = {m: rng.getrandbits(32) for m in CARRIED_MSRS}
    st.apic_base, st.tsc, st.xcr0, st.nmi_pending, st.nmi_masked = 0xFEE00D00, 12345, 3, 1, 1
    st.fcw = 0x27F
    st.fsw = (5 << 11) | 0x41
    st.ftw = 0b10110011
    st.fop = 0x5D9
    st.fip, st.fdp = rng.getrandbits(47), rng.getrandbits(47)
    st.mxcsr = 0x1F80 | 0x6000 | 0x3
    st.st = [rng.randbytes(10) for _ in range(8)]
    st.xmm = [rng.randbytes(16) for _ in range(16)]
    st.interrupt_shadow = 1
    st.halted = True
    st.exception = (13, 0x28)
    return st


@pytest.mark.parametrize("cpl", [0, 3])
def test_state_round_trip_is_exact(guest_factory, cpl):
    g = guest_factory("hlt", cpl)
    st = random_state(random.Random(cpl), cpl)
    g.engine.load_state(st)
    back = g.engine.save_state()
    assert st.diff(back) == []
    assert back.cpl == cpl
    assert g.engine.hflags() & 3 == cpl


def test_segment_caches_survive_execution_into_a_new_engine(guest_factory):
    g = guest_factory("mov $7, %eax\n hlt", cpl=3)
    g.engine.run(1)
    mid = g.engine.save_state()
    h = guest_factory("hlt", cpl=0)
    h.engine.load_state(mid)
    assert h.engine.save_state().diff(mid) == []
    assert h.engine.hflags() & 3 == 3


def test_loop_count_is_exact(guest_factory):
    g = guest_factory(LOOP)
    stop = g.engine.run(10**6)
    assert (stop.reason, stop.instructions) == ("halt", 2 + 3 * 1000 + 1)
    assert g.engine.save_state().reg("rax") == 3000
    assert g.engine.halted


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 299, 1000, 3002])
def test_run_stops_at_exactly_n(guest_factory, n):
    g = guest_factory(LOOP)
    g.engine.run(0)  # nothing, but warms translation
    stop = g.engine.run(n)
    assert (stop.reason, stop.instructions) == ("count", n)
    st = g.engine.save_state()
    body = max(0, n - 2)
    iters, rest = divmod(body, 3)
    assert st.reg("rax") == 3 * (iters + (1 if rest >= 1 else 0)) if n >= 2 else True
    assert st.reg("rcx") == 1000 - iters - (1 if rest >= 2 else 0) if n >= 1 else True


def test_chunked_runs_equal_one_run(guest_factory):
    a, b = guest_factory(LOOP), guest_factory(LOOP)
    a.engine.run(10**6)
    total = 0
    while not b.engine.halted:
        total += b.engine.run(7).instructions
    assert total == 3003
    assert a.engine.save_state().diff(b.engine.save_state()) == []


def test_count_stop_on_jnz_encoded_like_hlt_is_not_a_halt(guest_factory):
    # `jnz` back by 12 bytes encodes as 75 f4: the byte before RIP is 0xf4
    src = "1: " + "nop\n" * 10 + "jnz 1b\n hlt"
    g = guest_factory(src)
    assert g.code[10:12] == b"\x75\xf4"
    stop = g.engine.run(11)
    assert stop.reason == "count"
    assert not g.engine.halted


def test_port_io_and_mmio_reach_the_callbacks_with_their_data(guest_factory):
    src = """
        mov $0x3f8, %dx
        mov $0x41, %al
        out %al, %dx
        in %dx, %al
        mov %eax, %ebx
        mov $0x70, %dx
        mov $0xdeadbeef, %eax
        out %eax, %dx
        mov $0xffff2100, %rsi
        movl $0x1234, (%rsi)
        mov (%rsi), %ecx
        hlt
    """
    g = guest_factory(src)
    stop = g.engine.run(100)
    assert stop.reason == "halt"
    assert g.io == [
        ("w", IO_SPACE | 0x3F8, 1, 0x41),
        ("r", IO_SPACE | 0x3F8, 1),
        ("w", IO_SPACE | 0x70, 4, 0xDEADBEEF),
        ("w", 0xFFFF2100, 4, 0x1234),
        ("r", 0xFFFF2100, 4),
    ]
    st = g.engine.save_state()
    assert st.reg("rbx") & 0xFF == 0x5A and st.reg("rcx") == 0x5A


def test_a_callback_may_stop_the_engine_after_the_instruction(guest_factory):
    src = """
        mov $5, %rcx
    1:  mov $0xffff0000, %rsi
        mov %ecx, (%rsi)
        dec %rcx
        jnz 1b
        hlt
    """
    seen = []

    def write(addr, size, value):
        seen.append(value)
        if value == 3:
            engine.request_stop()

    g = guest_factory(src, io_write=write)
    engine = g.engine
    stop = engine.run(1000)
    assert stop.reason == "io"
    assert seen == [5, 4, 3]
    assert stop.instructions == 1 + 4 * 2 + 2
    assert engine.save_state().reg("rcx") == 3  # the dec after the store has not run
    assert engine.rip == CODE_AT + 7 + 10 + 2  # past the store: it is not rolled back
    assert engine.run(1000).reason == "halt"
    assert seen == [5, 4, 3, 2, 1]  # resuming does not repeat the store


def test_a_callback_exception_is_raised_from_run(guest_factory):
    def boom(addr, size, value):
        raise ValueError("device broke")

    g = guest_factory("mov $0x3f8, %dx\n out %al, %dx\n hlt", io_write=boom)
    with pytest.raises(ValueError, match="device broke"):
        g.engine.run(100)


HANDLERS = """
    .org 0x400
handler:
    hlt
"""


def test_gp_in_ring3_goes_to_ring0_with_rsp0_and_a_full_frame(guest_factory):
    src = "mov $0x1234, %rax\n mov $0x5000, %rsp\n hlt\n" + HANDLERS
    g = guest_factory(src, cpl=3)
    g.gate(13, 0x400)
    stop = g.engine.run(100)
    st = g.engine.save_state()
    assert stop.reason == "halt"
    assert st.rip == CODE_AT + 0x401
    assert st.cpl == 0 and st.seg["cs"].selector == 0x08
    assert st.seg["ss"].selector == 0
    assert st.reg("rsp") == KSTACK - 48
    err, rip, cs, rflags, rsp, ss = g.u64s(KSTACK - 48, 6)
    assert (err, rip, cs, rsp, ss) == (0, CODE_AT + 14, 0x23, 0x5000, 0x1B)
    assert rflags & 0x200 == 0 and rflags & 2
    assert stop.instructions == 2 + 1  # the faulting hlt did not retire; the handler's did


def test_page_fault_in_ring3_has_cr2_and_error_code(guest_factory):
    src = "mov $0x40000010, %rsi\n movl $1, (%rsi)\n hlt\n" + HANDLERS
    g = guest_factory(src, cpl=3)
    g.gate(14, 0x400)
    pd1 = 0x4000  # second page directory: [1 GiB, 2 GiB)
    g.ram.write(pd1, bytes(8))
    stop = g.engine.run(100)
    st = g.engine.save_state()
    assert stop.reason == "halt"
    assert st.cr2 == 0x40000010
    err, rip, cs = g.u64s(st.reg("rsp"), 3)
    assert (err, rip, cs) == (0x6, CODE_AT + 7, 0x23)  # user write to a non-present page


def test_fault_right_after_a_fault_is_not_a_double_fault(guest_factory):
    # the handler skips the faulting 2-byte instruction and returns; the next one faults again
    src = """
        mov $0x1234, %ax
        mov %ax, %ds
        mov %ax, %ds
        hlt
        .org 0x400
        addq $2, 8(%rsp)
        add $8, %rsp
        iretq
    """
    g = guest_factory(src)
    g.gate(13, 0x400)
    stop = g.engine.run(100)
    assert stop.reason == "halt"
    assert g.engine.save_state().rip == CODE_AT + 9


def test_external_interrupt_uses_ist_and_returns(guest_factory):
    src = """
        sti
    1:  inc %rbx
        jmp 1b
        .org 0x400
        inc %r12
        iretq
    """
    g = guest_factory(src, cpl=3)
    g.gate(0x20, 0x400, ist=1)
    g.engine.run(1)
    assert not g.engine.can_take_interrupt()  # STI shadow
    g.engine.run(10)
    assert g.engine.can_take_interrupt()
    before = g.engine.save_state()
    assert g.engine.deliver_interrupt(0x20)
    st = g.engine.save_state()
    assert st.rip == CODE_AT + 0x400 and st.cpl == 0
    assert st.reg("rsp") == IST1 - 40
    rip, cs, rflags, rsp, ss = g.u64s(IST1 - 40, 5)
    assert (rip, cs, rsp, ss) == (before.rip, 0x23, USTACK, 0x1B)
    assert rflags & 0x200 and not st.rflags & 0x200
    g.engine.run(2)  # inc r12; iretq
    back = g.engine.save_state()
    assert back.cpl == 3 and back.rip == before.rip and back.reg("r12") == 1
    assert back.reg("rsp") == USTACK


def test_interrupt_wakes_a_halted_cpu(guest_factory):
    g = guest_factory("sti\n nop\n hlt\n inc %rax\n hlt\n .org 0x400\n iretq\n")
    g.gate(0x30, 0x400)
    assert g.engine.run(100).reason == "halt"
    assert g.engine.run(100).instructions == 0
    assert g.engine.deliver_interrupt(0x30)
    assert not g.engine.halted
    stop = g.engine.run(100)
    assert stop.reason == "halt" and stop.instructions == 3
    assert g.engine.save_state().reg("rax") == 1


def test_int_n_and_dpl_check(guest_factory):
    src = "int $0x80\n int $0x81\n hlt\n .org 0x400\n iretq\n .org 0x500\n hlt\n"
    g = guest_factory(src, cpl=3)
    g.gate(0x80, 0x400, dpl=3)
    g.gate(0x81, 0x400, dpl=0)  # not callable from ring 3: #GP(0x81*8+2)
    g.gate(13, 0x500)
    stop = g.engine.run(100)
    st = g.engine.save_state()
    assert stop.reason == "halt" and st.rip == CODE_AT + 0x501
    err, rip = g.u64s(st.reg("rsp"), 2)
    assert (err, rip) == (0x81 * 8 + 2, CODE_AT + 2)


def test_syscall_enters_lstar_at_ring0(guest_factory):
    g = guest_factory("mov $9, %eax\n syscall\n .org 0x400\n hlt\n", cpl=3)
    st = g.engine.save_state()
    st.msrs.update(
        {0xC0000081: (0x10 << 48) | (0x08 << 32), 0xC0000082: CODE_AT + 0x400, 0xC0000084: 0x200}
    )
    st.rflags |= 0x200
    g.engine.load_state(st)
    stop = g.engine.run(100)
    st = g.engine.save_state()
    assert stop.reason == "halt" and stop.instructions == 3
    assert st.cpl == 0 and st.seg["cs"].selector == 0x08 and st.seg["ss"].selector == 0x10
    assert st.reg("rcx") == CODE_AT + 7 and st.reg("r11") & 0x200
    assert not st.rflags & 0x200


def test_no_idt_ends_in_a_triple_fault_with_a_dump(guest_factory):
    g = guest_factory("mov $0x1234, %ax\n mov %ax, %ds\n hlt")
    st = g.engine.save_state()
    st.idt.limit = 0
    g.engine.load_state(st)
    stop = g.engine.run(100)
    assert stop.reason == "triple-fault"
    assert "#13 -> #8" in stop.detail
    assert "rip=" in stop.dump and "cr3" in stop.dump
    assert g.engine.run(10).reason == "triple-fault"


def test_undefined_opcode_is_delivered_as_ud(guest_factory):
    g = guest_factory("nop\n ud2\n .org 0x400\n hlt\n")
    g.gate(6, 0x400)
    stop = g.engine.run(100)
    assert stop.reason == "halt" and stop.instructions == 2
    assert g.u64s(g.engine.save_state().reg("rsp"), 1) == [CODE_AT + 1]


def test_x87_and_sse_state_moves_between_engines_mid_computation(guest_factory):
    src = """
        fninit
        mov $40, %rcx
        fld1
        fldpi
    1:  fadd %st(1), %st
        fmul %st(1), %st
        addsd %xmm1, %xmm0
        mulsd %xmm0, %xmm1
        cvtsi2sd %rcx, %xmm1
        dec %rcx
        jnz 1b
        fstpl 0x9000
        movsd %xmm0, 0x9008
        hlt
    """
    whole, part = guest_factory(src, cpl=3), guest_factory(src, cpl=3)
    whole.engine.run(10**4)
    total = 0
    for n in (5, 17, 33, 3, 1000):
        stop = part.engine.run(n)
        total += stop.instructions
        moved = part.engine.save_state()
        fresh = guest_factory("hlt")
        fresh.ram.view[:] = part.ram.view
        fresh.engine.load_state(moved)
        assert fresh.engine.save_state().diff(moved) == []
        part.engine.load_state(moved)
    assert whole.engine.save_state().diff(part.engine.save_state()) == []
    assert whole.ram.read(0x9000, 16) == part.ram.read(0x9000, 16)


def test_ram_gaps_and_layout_probe():
    assert ram_gaps([(0, 1 << 20, 0), (2 << 20, 1 << 20, 0)], 4 << 20) == [
        (1 << 20, 1 << 20),
        (3 << 20, 1 << 20),
    ]
    lay = probe_layout()
    assert lay.next_eip == lay.error_code + 8
    assert issubclass(BlobLayoutError, Exception)


def test_cpuid_answers_from_a_table(guest_factory):
    g = guest_factory("mov $7, %eax\n xor %ecx, %ecx\n cpuid\n hlt")
    g.engine.set_cpuid([(7, 0, 1, 0, 0x11, 0x22, 0x33)])
    g.engine.run(10)
    st = g.engine.save_state()
    assert [st.reg(r) for r in ("rax", "rbx", "rcx", "rdx")] == [0, 0x11, 0x22, 0x33]


def test_engine_over_ram_tuple_and_close():
    from simobjs.mem.guest_ram import GuestRam

    ram = GuestRam(0, 1 << 20)
    eng = ReferenceEngine([(ram.start, ram.size, ram.host_address)])
    eng.close()
    eng.close()
    ram.close()
    assert struct.calcsize("<Q") == 8
