"""The X86AtomicSimpleCPU model on the event queue, with real guest code."""

from __future__ import annotations

import pytest
from ref_models import EXIT_PORT, UART, load_guest, make_root

from simobjs.arch.x86.state import X86State
from simobjs.config import build
from simobjs.cpu.base import CAUSE_MAX_INSTS, Status
from simobjs.cpu.reference import cpu as ref_cpu
from simobjs.errors import GuestFault
from simobjs.sim import core
from simobjs.sim.serialize import CheckpointIn, CheckpointOut

LOOP = "1: inc %rax\n jmp 1b\n"
HELLO = """
    mov $0x3f8, %dx
    mov $'h', %al
    out %al, %dx
    mov $'i', %al
    out %al, %dx
    mov $0x10, %dx
    mov $7, %al
    out %al, %dx
    hlt
"""
PERIOD = 1000  # 1 GHz


def test_max_insts_stops_at_exactly_n_and_time_is_insts_times_period():
    root = make_root(max_insts_any_thread=12345)
    sim = build.instantiate(root, outdir=None)
    cpu = load_guest(sim, LOOP)
    ev = sim.simulate()
    assert ev.getCause() == CAUSE_MAX_INSTS
    assert cpu.totalInsts() == 12345
    assert cpu.get_state().reg("rax") == 12345 // 2 + 1
    assert cpu.numInsts.value() == 12345 and cpu.numCycles.value() == 12345
    assert sim.curTick() == (12345 - 1) * PERIOD  # when the last one executes


def test_port_io_goes_out_as_packets_and_a_device_ends_the_run():
    sim = build.instantiate(make_root(), outdir=None)
    load_guest(sim, HELLO)
    ev = sim.simulate()
    dev = sim.model("system.dev")
    assert (ev.getCause(), ev.getCode()) == ("guest done", 7)
    assert bytes(dev.output) == b"hi"
    kinds = [(k, a, s, d) for k, a, s, d, _t in dev.log]
    assert kinds == [("w", UART, 1, b"h"), ("w", UART, 1, b"i"), ("w", EXIT_PORT, 1, b"\x07")]
    # each access happens when its instruction executes; the device's 1000 ticks are charged
    times = [t for *_x, t in dev.log]
    assert times == [2 * PERIOD, 4 * PERIOD + 1000, 7 * PERIOD + 2000]
    assert sim.curTick() == times[-1]


def test_hlt_suspends_until_an_interrupt_wakes_the_thread():
    src = """
        sti
        hlt
        mov $0x10, %dx
        out %al, %dx
        .org 0x400
        mov $0x42, %al
        iretq
    """
    sim = build.instantiate(make_root(), outdir=None)
    ram = sim.model("system.mem").ram
    cpu = load_guest(sim, src)
    from simobjs.guest.snippets import CODE_AT, IDT_AT, idt_gate

    ram.write(IDT_AT + 16 * 0x30, idt_gate(CODE_AT + 0x400))
    apic = sim.model("system.cpu.interrupts")
    apic.raise_at(5_000_000, 0x30)
    ev = sim.simulate()
    assert (ev.getCause(), ev.getCode()) == ("guest done", 0x42)
    assert apic.taken == [(0x30, 5_000_000)]
    assert cpu.thread.status() == Status.Active
    assert cpu.totalInsts() == 2 + 2 + 2  # sti hlt | handler | mov out


def test_m5ops_reach_pseudo_inst_with_arguments_and_result(monkeypatch):
    calls = []

    def pseudo_inst(tc, func):
        calls.append((func, tc.getReg("rdi"), tc.getReg("rsi")))
        if func == 0x21:
            core.current().exitSimLoop("m5_exit instruction encountered", 0)
        return 99

    monkeypatch.setattr(ref_cpu, "pseudo_inst", pseudo_inst)
    src = """
        mov $5, %rdi
        mov $6, %rsi
        mov $0xffff4000, %rbx
        mov %eax, (%rbx)
        mov %rax, %r12
        mov $0xffff2100, %rbx
        mov (%rbx), %eax
        hlt
    """
    root = make_root()
    root.system.m5ops_base = 0xFFFF0000
    sim = build.instantiate(root, outdir=None)
    cpu = load_guest(sim, src)
    ev = sim.simulate()
    assert ev.getCause() == "m5_exit instruction encountered"
    assert calls == [(0x40, 5, 6), (0x21, 5, 6)]
    st = cpu.get_state()
    assert st.reg("r12") == 99  # the store's result landed in RAX before the next instruction
    assert st.reg("rax") == 99 and cpu.totalInsts() == 7  # stopped right after the m5op load


def test_a_triple_fault_stops_with_a_guest_fault_and_a_dump(capsys):
    sim = build.instantiate(make_root(), outdir=None)
    cpu = load_guest(sim, "mov $0x1234, %ax\n mov %ax, %ds\n")
    st = cpu.get_state()
    st.idt.limit = 0
    cpu.set_state(st)
    with pytest.raises(GuestFault) as info:
        sim.simulate()
    assert "triple fault" in str(info.value) and "rip=" in info.value.dump
    assert "panic:" in capsys.readouterr().err


def test_state_serialize_and_switch_between_two_reference_cpus(tmp_path):
    from simobjs.objects.x86 import X86AtomicSimpleCPU

    root = make_root(max_insts_any_thread=1000)
    root.system.cpu2 = X86AtomicSimpleCPU(cpu_id=0, switched_out=True)
    root.system.cpu2.createThreads()
    sim = build.instantiate(root, outdir=None)
    cpu = load_guest(sim, LOOP)
    sim.simulate()
    before = cpu.get_state()
    out = CheckpointOut(str(tmp_path))
    cpu.serialize(out.section("system.cpu"))
    cp = CheckpointIn.parse(str(tmp_path), out.text())
    restored = make_state_from(cp)
    assert before.diff(restored) == []
    assert cpu.drain().name == "Drained"
    cpu.switchOut()
    new = sim.model("system.cpu2")
    new.takeOverFrom(cpu)
    assert new.get_state().diff(before) == []
    new.drainResume()
    assert new.thread.status() == Status.Active
    assert new.tickEvent.scheduled() and not cpu.tickEvent.scheduled()


def make_state_from(cp) -> X86State:
    from simobjs.arch.x86.serialize import unserialize_thread

    return unserialize_thread(cp.section("system.cpu.xc.0"), cp.section("system.cpu.isa"))


def test_registers_read_and_write_through_the_thread_context():
    sim = build.instantiate(make_root(max_insts_any_thread=3), outdir=None)
    cpu = load_guest(sim, "inc %rbx\n inc %rbx\n inc %rbx\n hlt\n")
    tc = cpu.thread
    tc.setReg("rbx", 40)
    sim.simulate()
    assert tc.getReg("rbx") == 43
    assert cpu.read_reg("rflags") & 2 and cpu.read_reg("cr3") == 0x1000
    cpu.write_reg("r15", -1)
    cpu.write_reg("cr2", 0x1234)
    st = cpu.get_state()
    assert st.reg("r15") == 2**64 - 1 and st.cr2 == 0x1234 and st.reg("rbx") == 43


def test_an_instruction_with_two_device_accesses_keeps_time_monotonic():
    src = """
        mov $0xe0000000, %rsi
        addl $1, (%rsi)
        mov $0x10, %dx
        out %al, %dx
        hlt
    """
    sim = build.instantiate(make_root(), outdir=None)
    load_guest(sim, src)
    ev = sim.simulate()
    dev = sim.model("system.dev")
    assert ev.getCause() == "guest done"
    reads_writes = [(k, a, t) for k, a, _s, _d, t in dev.log][:2]
    assert reads_writes == [("r", 0xE0000000, PERIOD), ("w", 0xE0000000, PERIOD + 1000)]


WORK_ITEMS = """
        mov $7, %rdi
        xor %rsi, %rsi
        mov $0xffff5a00, %rbx
        mov (%rbx), %eax
        mov $0xffff5b00, %rbx
        mov (%rbx), %eax
        mov $7, %rdi
        mov $0xffff5a00, %rbx
        mov (%rbx), %eax
        mov $0xffff5b00, %rbx
        mov (%rbx), %eax
        mov $0xffff2100, %rbx
        xor %rdi, %rdi
        mov (%rbx), %eax
        hlt
"""


@pytest.mark.parametrize(
    "system_params,causes",
    [
        ({}, ["m5_exit instruction encountered"]),
        ({"exit_on_work_items": True}, ["workbegin", "workend", "workbegin", "workend"]),
        ({"work_begin_exit_count": 2}, ["work started count reach"]),
        ({"work_end_exit_count": 1}, ["work items exit count reached"]),
        ({"work_item_id": 3, "work_end_exit_count": 1}, ["m5_exit instruction encountered"]),
        ({"work_begin_cpu_id_exit": 0}, ["work started on specific cpu"]),
    ],
)
def test_work_items_follow_gems_rules(system_params, causes):
    root = make_root()
    root.system.m5ops_base = 0xFFFF0000
    for key, value in system_params.items():
        setattr(root.system, key, value)
    sim = build.instantiate(root, outdir=None)
    cpu = load_guest(sim, WORK_ITEMS)
    seen = []
    for _ in causes:
        ev = sim.simulate()
        seen.append(ev.getCause())
        if ev.getCause() in ("workbegin", "workend"):
            assert ev.getCode() == 7  # the work id
    assert seen == causes
    started, completed = cpu.numWorkItemsStarted.value(), cpu.numWorkItemsCompleted.value()
    assert started >= 1 and completed >= started - 1  # the CPU counts every begin and end
