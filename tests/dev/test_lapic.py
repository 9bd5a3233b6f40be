"""X86LocalApic at the register level: reset values, TPR/EOI/ISR/IRR, the ICR's delivery
modes and destinations, LVT entries, the timer on simulated time, checkpoints."""

from types import SimpleNamespace

import pytest
from platform_helpers import fake_sim, make

from simobjs.arch.x86 import interrupts as apic
from simobjs.errors import SimulationError
from simobjs.objects.x86 import X86LocalApic
from simobjs.sim.serialize import CheckpointIn, CheckpointOut

PERIOD = 8000  # a 2 GHz CPU clock divided by 16, in ticks
ID, VER, TPR, PPR, EOI, LDR, DFR, SVR = 0x20, 0x30, 0x80, 0xA0, 0xB0, 0xD0, 0xE0, 0xF0
ISR, TMR, IRR, ESR, ICR_LO, ICR_HI = 0x100, 0x180, 0x200, 0x280, 0x300, 0x310
LVT_TIMER, LVT_LINT0, LVT_LINT1, LVT_ERROR = 0x320, 0x350, 0x360, 0x370
INITIAL, CURRENT, DIVIDE = 0x380, 0x390, 0x3E0


class Thread:
    def __init__(self, cid):
        self.cid = cid

    def contextId(self):
        return self.cid


class Cpu:
    """What the APIC needs of its CPU: the context id, wakeup, the current APIC."""

    def __init__(self, cid, system):
        self._cpu_id = cid
        self.numThreads = 1
        self.threads = [Thread(cid)]
        self.system = system
        self.wakeups = 0
        self.interrupts = None

    def wakeup(self, tid=0):
        self.wakeups += 1


class Machine:
    """`n` CPUs with their local APICs on one event queue."""

    def __init__(self, n=1, now=0):
        self.sim = fake_sim()
        self.eq = self.sim.eventq
        if now:
            self.eq.setCurTick(now)
        self.system = SimpleNamespace(threads=[])
        clock = SimpleNamespace(clockPeriod=lambda: PERIOD)
        self.apics = []
        for i in range(n):
            cpu = Cpu(i, self.system)
            lapic = make(
                X86LocalApic, f"system.cpu{i}.interrupts", self.sim, clk_domain=clock, system=None
            )
            lapic.setCPU(cpu)
            cpu.interrupts = lapic
            lapic.init()
            self.system.threads.append(SimpleNamespace(cpu=cpu))
            self.apics.append(lapic)

    def run_until(self, tick):
        while self.eq.nextTick() <= tick:
            self.eq.step()
        if tick > self.eq.curTick():
            self.eq.advance_to(tick)


def rd(lapic, offset):
    return lapic.access(offset, 4, False)


def wr(lapic, offset, value):
    lapic.access(offset, 4, True, value)


def test_reset_values_are_gem5s_with_lint0_and_lint1_in_virtual_wire_mode():
    m = Machine(2)
    a, b = m.apics
    assert rd(a, ID) == 0 and rd(b, ID) == 1 << 24
    assert rd(a, VER) == 0x00050014
    assert rd(a, DFR) == 0xFFFFFFFF and rd(a, SVR) == 0xFF
    assert rd(a, LVT_TIMER) == rd(a, LVT_ERROR) == 1 << 16  # masked
    assert rd(a, LVT_LINT0) == 7 << 8 and rd(a, LVT_LINT1) == 4 << 8  # ExtINT, NMI
    assert rd(a, 0x24) == 0  # the rest of a 16-byte slot reads as zero
    assert a.access(ID + 3, 1, False) == 0 and b.access(ID + 3, 1, False) == 1


def test_a_reserved_offset_and_an_access_across_registers_are_errors():
    a = Machine().apics[0]
    with pytest.raises(SimulationError, match="reserved register field 0x40"):
        rd(a, 0x40)
    with pytest.raises(SimulationError, match="more than one register"):
        a.access(0x2E, 4, False)


def test_read_only_registers_keep_their_values():
    a = Machine().apics[0]
    wr(a, VER, 0)
    wr(a, ISR, 0xFFFFFFFF)
    wr(a, IRR, 0xFFFFFFFF)
    wr(a, CURRENT, 5)
    assert rd(a, VER) == 0x00050014 and rd(a, ISR) == rd(a, IRR) == rd(a, CURRENT) == 0
    wr(a, LDR, 0x12345678)
    wr(a, DFR, 0)
    wr(a, TPR, 0x1F3)
    assert (rd(a, LDR), rd(a, DFR), rd(a, TPR)) == (0x12000000, 0x0FFFFFFF, 0xF3)


def test_fixed_interrupts_go_through_irr_isr_and_eoi_in_priority_order():
    a = Machine().apics[0]
    a.requestInterrupt(0x41, apic.FIXED, False)
    a.requestInterrupt(0x61, apic.FIXED, True)
    assert rd(a, IRR + 0x20) == 1 << 1 and rd(a, IRR + 0x30) == 1 << 1
    assert rd(a, TMR + 0x30) == 1 << 1  # level-triggered
    assert a.checkInterrupts() and a.cpu.wakeups == 2
    assert a.getInterrupt() == 0x61
    assert rd(a, ISR + 0x30) == 1 << 1 and rd(a, IRR + 0x30) == 0
    assert rd(a, PPR) == 0x60
    assert not a.checkInterrupts()  # 0x41 is below the vector in service
    wr(a, EOI, 0)
    assert rd(a, ISR + 0x30) == 0 and a.checkInterrupts()
    assert a.getInterrupt() == 0x41
    wr(a, EOI, 0)
    assert not a.checkInterrupts()


def test_the_task_priority_holds_back_interrupts_of_its_class_and_below():
    a = Machine().apics[0]
    wr(a, TPR, 0x50)
    a.requestInterrupt(0x55, apic.FIXED, False)
    assert not a.checkInterrupts()
    wr(a, TPR, 0x40)
    assert a.checkInterrupts() and a.getInterrupt() == 0x55


def test_fixed_ipis_reach_physical_logical_and_shorthand_destinations():
    m = Machine(4)
    a, b, c, d = m.apics

    def sent(apic_, dest, low):
        wr(apic_, ICR_HI, dest << 24)
        wr(apic_, ICR_LO, low)
        got = [x.IRRV for x in m.apics]
        for x in m.apics:  # take them all
            while x.checkInterrupts():
                x.getInterrupt()
                wr(x, EOI, 0)
        return got

    assert sent(a, 2, 0x40) == [0, 0, 0x40, 0]  # physical
    assert sent(a, 0xFF, 0x41) == [0x41] * 4  # physical broadcast
    for i, x in enumerate(m.apics):
        wr(x, LDR, (1 << i) << 24)  # flat model: one bit each
    assert sent(b, 0b1010, 0x42 | 1 << 11) == [0, 0x42, 0, 0x42]  # logical
    assert sent(c, 0, 0x43 | 1 << 18) == [0, 0, 0x43, 0]  # self
    assert sent(c, 0, 0x44 | 2 << 18) == [0x44] * 4  # all including self
    assert sent(d, 0, 0x45 | 3 << 18) == [0x45, 0x45, 0x45, 0]  # all excluding self
    assert rd(a, ICR_LO) & (1 << 12) == 0  # delivered at once: the ICR is idle


def test_nmi_init_and_startup_ipis_are_unmaskable_and_taken_by_the_cpu():
    m = Machine(2)
    a, b = m.apics
    b.wait_for_sipi = True
    assert not b.checkInterrupts()
    wr(a, ICR_HI, 1 << 24)
    wr(a, ICR_LO, 5 << 8 | 1 << 14)  # INIT, assert
    wr(a, ICR_LO, 6 << 8 | 0x08)  # startup at 0x8000
    assert b.has_init_sipi() and b.pendingUnmaskableInt and b.cpu.wakeups == 2
    assert b.take_init_sipi() == ("init", 0)
    assert b.take_init_sipi() == ("startup", 0x08)
    assert not b.wait_for_sipi and b.startedUp and not b.pendingUnmaskableInt
    wr(a, ICR_LO, 6 << 8 | 0x09)  # a second startup IPI is ignored once started
    assert b.take_init_sipi() is None
    wr(a, ICR_LO, 4 << 8)  # NMI
    assert b.hasPendingNmi() and b.checkInterrupts() and b.getInterrupt() == 2  # always 2


def test_a_thread_waiting_for_a_startup_ipi_takes_nothing_else():
    m = Machine(2)
    a, b = m.apics
    b.wait_for_sipi = True
    wr(a, ICR_HI, 1 << 24)
    wr(a, ICR_LO, 0x50)
    assert not b.checkInterrupts() and b.IRRV == 0x50  # kept in the IRR
    assert b.take_init_sipi() is None and b.wait_for_sipi


def test_lint0_follows_its_lvt_entry():
    m = Machine()
    a = m.apics[0]
    a.raiseInterruptPin(0)
    assert a.pendingExtInt and a.checkInterrupts()
    a.lowerInterruptPin(0)
    assert not a.pendingExtInt
    wr(a, LVT_LINT0, 1 << 16 | 7 << 8)  # masked
    a.raiseInterruptPin(0)
    assert not a.checkInterrupts()
    wr(a, LVT_LINT0, 0x33)  # fixed, vector 0x33
    a.raiseInterruptPin(0)
    assert a.getInterrupt() == 0x33
    a.raiseInterruptPin(1)
    assert a.hasPendingNmi() and a.getInterrupt() == 2


@pytest.mark.parametrize("conf,divisor", [(0xB, 1), (0x0, 2), (0x1, 4), (0x3, 16), (0xA, 128)])
def test_the_timer_counts_down_at_the_divided_bus_clock(conf, divisor):
    m = Machine()
    a = m.apics[0]
    assert apic.divide_from_conf(conf) == divisor
    wr(a, DIVIDE, conf)
    wr(a, LVT_TIMER, 0x30)  # one-shot, vector 0x30
    wr(a, INITIAL, 100)
    fire = 100 * divisor * PERIOD
    assert a.apicTimerEvent.when() == fire
    m.run_until(fire // 2)
    assert rd(a, CURRENT) == 50
    m.run_until(fire)
    assert a.IRRV == 0x30 and rd(a, CURRENT) == 0 and not a.apicTimerEvent.scheduled()


def test_the_periodic_timer_fires_at_its_period_and_stops_on_a_zero_count():
    m = Machine(now=PERIOD // 2)  # off an edge: starts at the next edge, as gem5
    a = m.apics[0]
    wr(a, DIVIDE, 0xB)
    wr(a, LVT_TIMER, 1 << 17 | 0x31)
    wr(a, INITIAL, 10)
    first = PERIOD // 2 + 11 * PERIOD - PERIOD // 2
    fired = []
    for k in range(5):
        m.run_until(first + k * 10 * PERIOD)
        fired.append(a.getInterrupt())
        wr(a, EOI, 0)
    assert fired == [0x31] * 5
    assert a.apicTimerEvent.when() == first + 5 * 10 * PERIOD
    wr(a, INITIAL, 0)
    assert not a.apicTimerEvent.scheduled()


def test_a_masked_timer_interrupt_is_not_requested():
    m = Machine()
    a = m.apics[0]
    wr(a, LVT_TIMER, 1 << 16 | 0x30)
    wr(a, INITIAL, 1)
    m.run_until(10 * PERIOD)
    assert not a.checkInterrupts()


def test_checkpoints_keep_gem5s_keys_and_the_timer(tmp_path):
    m = Machine(2, now=3 * PERIOD)
    a = m.apics[1]
    wr(a, TPR, 0x20)
    wr(a, LVT_TIMER, 1 << 17 | 0x40)
    wr(a, INITIAL, 1000)
    a.requestInterrupt(0x70, apic.FIXED, False)
    a.getInterrupt()
    a.requestInterrupt(0x51, apic.FIXED, False)
    when = a.apicTimerEvent.when()
    cpt = CheckpointOut(str(tmp_path))
    sec = cpt.section("system.cpu1.xc.0")
    a.serialize(sec)
    keys = list(sec.keys())
    assert keys[:16] == [
        "regs",
        "pendingSmi",
        "smiVector",
        "pendingNmi",
        "nmiVector",
        "pendingExtInt",
        "extIntVector",
        "pendingInit",
        "initVector",
        "pendingStartup",
        "startupVector",
        "startedUp",
        "pendingUnmaskableInt",
        "pendingIPIs",
        "IRRV",
        "ISRV",
    ]
    assert sec["apicTimerEventScheduled"] == "true" and int(sec["apicTimerEventTick"]) == when
    assert len(sec["regs"].split()) == apic.NUM_APIC_REGS
    cpt_in = CheckpointIn.parse(str(tmp_path), cpt.text())

    n = Machine(2, now=3 * PERIOD)
    b = n.apics[1]
    b.unserialize(cpt_in.section("system.cpu1.xc.0"))
    assert b.regs == a.regs and (b.IRRV, b.ISRV) == (0x51, 0x70)
    assert b.apicTimerEvent.when() == when
    assert rd(b, ID) == 1 << 24 and rd(b, TPR) == 0x20
    n.run_until(when)
    assert b._get_bit(apic.APIC_INTERRUPT_REQUEST_BASE, 0x40)
