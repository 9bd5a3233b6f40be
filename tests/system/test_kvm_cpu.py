"""The KVM CPU on the PC with real guests: its stats against what the guest did,
PIT interrupts against simulated time, hostFactor, drains in the middle of I/O."""

from __future__ import annotations

import re

import pytest
from pcrun import expected, guest, read_u64, run, symbol

from simobjs.dev.pit import PIT_HZ
from simobjs.guest import build
from simobjs.sim import debug

pytestmark = pytest.mark.kvm

IO_SPACE = 1 << 63


def count_packets(sim, log):
    """Wrap the bus so every packet the CPU sends is counted (port I/O vs memory)."""
    bus = sim.model("system.membus")
    inner = bus.recvAtomic

    def counting(pkt):
        if pkt.requestor == "system.cpu":
            log["io" if pkt.addr & IO_SPACE else "mem"] += 1
        return inner(pkt)

    for port in bus.cpu_side_ports.values():
        port.recvAtomic = counting


def test_stats_count_what_the_guest_did():
    log = {"io": 0, "mem": 0}
    r = run("io_mix", cpu="kvm", prepare=lambda sim: count_packets(sim, log))
    s = r.stats
    m5ops = 2000 + 1  # the guest's m5_sum calls and its m5_exit
    assert s["system.cpu.numIO"] == log["io"] > 2 * 2000  # two port accesses a round, + printf
    assert s["system.cpu.numMMIO"] == log["mem"] + m5ops
    assert s["system.cpu.numHalt"] == 0 and s["system.cpu.numInterrupts"] == 0
    exits = s["system.cpu.numIO"] + s["system.cpu.numMMIO"] + s["system.cpu.numExitSignal"]
    assert s["system.cpu.numVMExits"] == exits + s["system.cpu.numVMHalfEntries"]
    assert s["system.cpu.numCycles"] > 0


def test_waits_are_halts_and_every_pit_tick_an_interrupt():
    elf = build.example_guest("timer")
    r = run("timer", cpu="kvm", at_end=lambda sim: read_u64(sim, symbol(elf, "sdk_ticks")))
    s = r.stats
    # five sdk_wait_for_interrupt() calls, each a HLT in ring 0 that KVM hands us
    assert s["system.cpu.numHalt"] == 5
    # the guest counted every interrupt it took (the handler's count is in RAM)
    assert s["system.cpu.numInterrupts"] == r.extra


def pit_rate_check(sim, elf):
    """(ticks the guest counted, ticks simulated time implies since the PIT was loaded)."""
    counter = sim.model("system.pit").counters[0]
    period_ticks = counter.period * 10**12 / PIT_HZ
    implied = int((sim.curTick() - counter.start) // period_ticks)
    return read_u64(sim, symbol(elf, "sdk_ticks")), implied


@pytest.mark.parametrize("factor", [1.0, 2.0])
def test_pit_interrupts_arrive_at_the_rate_simulated_time_implies(factor):
    elf = guest("timer_rate")

    def host_factor(root):
        root.system.cpu.hostFactor = factor

    r = run(elf, cpu="kvm", configure=host_factor, at_end=lambda sim: pit_rate_check(sim, elf))
    counted, implied = r.extra
    assert counted == 30
    assert abs(counted - implied) <= 1  # within one period


def test_host_factor_scales_the_ticks_of_every_run(capsys):
    """Each timer-bounded run turns its host cycles into cycles * hostFactor * hostFreq
    ticks, and the CPU's next tick is that much later (debug flag KvmRun)."""

    def factor_two(root):
        root.system.cpu.hostFactor = 2.0

    debug.set_flags(["KvmRun"])
    try:
        run("hello", cpu="kvm", configure=factor_two)
    finally:
        debug.clear_flags()
    lines = re.findall(r"Executed (\d+) host cycles \((\d+) ticks\)", capsys.readouterr().out)
    assert len(lines) > 10
    host_freq = 500  # ticks per host cycle: X86KvmCPU's default hostFreq, 2 GHz
    for cycles, ticks in lines:
        assert int(ticks) == int(int(cycles) * 2.0 * host_freq)


@pytest.mark.parametrize("name", ["io_mix", "uart_stress"])
def test_drains_every_few_milliseconds_lose_no_io(name):
    plain = run(name, cpu="kvm")
    # about a hundred drains (a few ms of simulated time apart on a PVM host, where exits
    # are slow; the interval follows the run's length on any host)
    drained = run(name, cpu="kvm", drain_every=max(plain.ticks // 100, 10**6))
    assert drained.drains >= 50
    assert drained.output == plain.output
    assert drained.stats["system.cpu.numIO"] == plain.stats["system.cpu.numIO"]
    assert drained.stats["system.cpu.numMMIO"] == plain.stats["system.cpu.numMMIO"]
    # some drains found an I/O instruction half done and completed it without running on
    assert drained.stats["system.cpu.numVMHalfEntries"] > 0


def test_drains_closer_together_than_a_guest_entry_costs_still_make_progress(
    whole_run_bound,
):
    """A drain every 10 us of simulated time: on a host where entering the guest costs
    more than that (PVM: tens of us), each run would end before the guest did anything
    and simulated time would go on without it; the CPU learns the cost and runs at
    least that long. The m5_exit that fires during a drain ends the run (not lost)."""
    whole_run_bound(120)
    r = run("hello", cpu="kvm", drain_every=10 * 10**6)
    assert r.output == expected("hello")
    assert (r.causes[-1], r.code) == ("m5_exit instruction encountered", 0)
    assert r.drains >= 10


def test_coalesced_uart_writes_give_the_same_output_with_fewer_exits():
    def coalesce_thr(root):
        from simobjs.arch.x86 import x86IOAddress
        from simobjs.params import AddrRange

        root.system.kvm_vm.coalescedMMIO = [AddrRange(x86IOAddress(0x3F8), size=1)]
        root.system.cpu.useCoalescedMMIO = True

    plain = run("uart_stress", cpu="kvm")
    coalesced = run("uart_stress", cpu="kvm", configure=coalesce_thr)
    assert coalesced.output == plain.output == expected("uart_stress")
    s = coalesced.stats
    # every THR write went through the ring instead of an exit of its own
    assert s["system.cpu.numCoalescedMMIO"] > 0.9 * len(plain.output)
    assert (
        s["system.cpu.numIO"] + s["system.cpu.numCoalescedMMIO"] == plain.stats["system.cpu.numIO"]
    )


def test_the_fpu_interface_carries_x87_and_sse_state_across_switches():
    """useXSave=False: KVM_GET/SET_FPU instead of XSAVE, still exact across switches."""

    def no_xsave(root):
        root.system.cpu.useXSave = False

    ref = run("fpu", cpu="reference")
    r = run(
        "fpu",
        cpu="kvm",
        switch_to="reference",
        configure=no_xsave,
        random_switch_every=max(ref.ticks // 100, 1000),
        seed=3,
    )
    assert r.output == expected("fpu") and r.switches >= 50
    assert r.mem_hash == ref.mem_hash


def test_the_fpu_interface_keeps_mxcsr_and_sse_registers_in_use():
    """useXSave=False: KVM_GET_FPU reports MXCSR as 0, and KVM_SET_FPU writes neither
    MXCSR nor the XSAVE header (XMM registers of an SSE component marked as in its init
    state would be reset on entry). Where the host has the XSAVE interface, the CPU
    carries both through it: what is written reads back, from KVM and into the state."""
    xmm0 = bytes(range(16))

    def no_xsave(root):
        root.system.cpu.useXSave = False

    def probe(sim):
        cpu = sim.model("system.cpu")
        st = cpu.get_state()
        idle = cpu.vcpu.get_xsave()
        idle.xstate_bv &= ~3  # x87 and SSE in their init state, as XSAVEOPT may leave them
        cpu.vcpu.set_xsave(idle)
        st.mxcsr = 0x1FA0  # round down, all exceptions masked, a sticky flag
        st.xmm[0] = xmm0
        cpu.set_state(st)
        cpu.syncKvmState()
        image = cpu.vcpu.get_xsave()
        cpu.kvmStateDirty = True
        cpu.syncThreadContext()
        back = cpu.get_state()
        return image.mxcsr, image.xmm(0), image.xstate_bv & 3, back.mxcsr, bytes(back.xmm[0])

    r = run("fpu", cpu="kvm", configure=no_xsave, at_end=probe)
    assert r.extra == (0x1FA0, xmm0, 3, 0x1FA0, xmm0)
