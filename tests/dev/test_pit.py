"""I8254: the modes a PC kernel and the guest SDK use, exact pulse ticks, latches, checkpoints."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from platform_helpers import PinRecorder, Requestor, fake_sim, make

from simobjs.base import ticks
from simobjs.dev.intpin import IntSinkPin
from simobjs.objects.x86 import I8254
from simobjs.sim.serialize import CheckpointIn, CheckpointOut

PORT = 0x8000000000000000 | 0x40
C0, C1, C2, CTRL = range(4)
HZ = 1193182
# control words: counter << 6 | access << 4 | mode << 1 (binary counting)
MODE0_BOTH, MODE2_BOTH, MODE3_BOTH = 0x30, 0x34, 0x36


def pit_tick(start, cycles):
    """The first tick (1 ps each) at or after `cycles` PIT input clocks from `start`."""
    return start + math.ceil(Fraction(cycles * 10**12, HZ))


@pytest.fixture(autouse=True)
def _picosecond_ticks():
    """The PIT converts with the global frequency: fixed at 1 ps, as a simulation has it."""
    was_fixed = ticks.isFixed()
    ticks.fixGlobalFrequency(quiet=True)
    assert ticks.getFrequency() == 10**12
    yield
    if not was_fixed:
        ticks.unfixGlobalFrequency()


class Recorder(PinRecorder):
    """The PIC's side of int_pin: records each raise with its tick."""

    def __init__(self, eventq):
        super().__init__("system.pic")
        self.eventq, self.ticks = eventq, []

    def raiseInterruptPin(self, number):
        super().raiseInterruptPin(number)
        self.ticks.append(self.eventq.curTick())


class Pit:
    def __init__(self, now=0):
        self.sim = fake_sim()
        self.eq = self.sim.eventq
        self.eq.advance_to(now)
        self.pit = make(I8254, "system.pit", self.sim, pio_addr=PORT)
        self.cpu = Requestor()
        self.cpu.port.bind(self.pit.pio)
        self.irq = Recorder(self.eq)
        self.pit.int_pin.bind(IntSinkPin("inputs", self.irq, 0))

    def out(self, reg, *values):
        for v in values:
            self.cpu.write(PORT + reg, v)

    def inb(self, reg, n=1):
        values = [self.cpu.read(PORT + reg) for _ in range(n)]
        return values[0] if n == 1 else values

    def program(self, counter, control, count):
        self.out(CTRL, control | counter << 6)
        self.out(counter, count & 0xFF, count >> 8)
        return self.eq.curTick()

    def advance(self, tick):
        """Run every event up to `tick`, then stand at `tick`."""
        while self.eq.nextTick() <= tick:
            self.eq.step()
        self.eq.advance_to(tick)

    def latched(self, counter=0):
        self.out(CTRL, counter << 6)  # counter latch command
        lo, hi = self.inb(counter, 2)
        return lo | hi << 8


def test_rate_generator_fires_every_count_clocks_without_drift():
    p = Pit(now=123_456_789)
    start = p.program(0, MODE2_BOTH, 11931)  # the SDK's sdk_timer_start(100)
    p.advance(pit_tick(start, 11931 * 1000) + 5)
    assert p.irq.ticks == [pit_tick(start, 11931 * k) for k in range(1, 1001)]
    assert p.irq.events == [("raise", 0), ("lower", 0)] * 1000  # a pulse: an edge each
    # 1000 periods of 11931 clocks: within one tick of the exact time, no accumulated drift
    exact = Fraction(11931 * 1000 * 10**12, HZ)
    assert 0 <= p.irq.ticks[-1] - start - exact < 1


def test_rate_generator_count_runs_n_to_1():
    p = Pit()
    start = p.program(0, MODE2_BOTH, 100)
    assert p.latched() == 100
    p.advance(pit_tick(start, 1))
    assert p.latched() == 99
    p.advance(pit_tick(start, 99))
    assert p.latched() == 1
    p.advance(pit_tick(start, 100))  # the reload: back to N, not 0
    assert p.latched() == 100 and len(p.irq.ticks) == 1
    p.advance(pit_tick(start, 230))
    assert p.latched() == 70 and len(p.irq.ticks) == 2


def test_square_wave_counts_by_two_and_fires_once_a_period():
    p = Pit(now=1000)
    start = p.program(0, MODE3_BOTH, 1000)
    p.advance(pit_tick(start, 100))
    assert p.latched() == 800
    p.advance(pit_tick(start, 600))  # second half of the period: reloaded, counting by 2 again
    assert p.latched() == 800
    p.advance(pit_tick(start, 10_000))
    assert p.irq.ticks == [pit_tick(start, 1000 * k) for k in range(1, 11)]
    p.out(CTRL, 0xE2)  # read back counter 0's status: OUT high, mode 3, LSB then MSB
    assert p.inb(C0) == 0b1011_0110


def test_one_shot_fires_once_at_terminal_count():
    p = Pit(now=50)
    start = p.program(0, MODE0_BOTH, 1000)
    p.out(CTRL, 0xE2)
    assert p.inb(C0) == 0b0011_0000  # OUT low while counting
    p.advance(pit_tick(start, 1000) - 1)
    assert p.irq.ticks == []
    p.advance(pit_tick(start, 1000))
    assert p.irq.ticks == [pit_tick(start, 1000)]
    p.out(CTRL, 0xE2)
    assert p.inb(C0) == 0b1011_0000  # OUT high after terminal count, and stays high
    assert p.latched() == 0
    p.advance(pit_tick(start, 1001))
    assert p.latched() == 0xFFFF  # the count wraps on
    p.advance(pit_tick(start, 200_000))
    assert p.irq.ticks == [pit_tick(start, 1000)] and p.eq.empty()


def test_mode4_one_shot_as_linux_clockevents_use_it():
    p = Pit()
    start = p.program(0, 0x38, 500)  # Linux's pit_set_oneshot, then pit_next_event
    p.advance(pit_tick(start, 100))
    p.out(C0, 0xE8)  # mode 4: the first byte of a new count does not stop the counting
    p.advance(pit_tick(start, 600))
    assert p.irq.ticks == [pit_tick(start, 500)]
    p.out(C0, 0x03)  # the second byte loads 1000 and starts again from here
    again = p.eq.curTick()
    p.advance(pit_tick(start, 10_000))
    assert p.irq.ticks == [pit_tick(start, 500), pit_tick(again, 1000)]


@settings(max_examples=50, deadline=None)
@given(
    count=st.integers(1, 0xFFFF),
    fractions=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8),
)
def test_one_shot_latches_stay_in_range_and_decrease(count, fractions):
    p = Pit(now=7)
    start = p.program(0, MODE0_BOTH, count)
    values = []
    for cycle in sorted({int(f * count) for f in fractions}):
        p.advance(pit_tick(start, cycle))
        values.append(p.latched())
        assert values[-1] == count - cycle
    assert all(1 <= v <= count for v in values)
    assert values == sorted(values, reverse=True)
    assert p.irq.ticks == []


def test_latched_value_holds_while_the_counter_runs_on():
    p = Pit()
    start = p.program(0, MODE2_BOTH, 5000)
    p.advance(pit_tick(start, 1000))
    p.out(CTRL, 0x00)  # latch: 4000
    p.advance(pit_tick(start, 3000))
    p.out(CTRL, 0x00)  # a second latch before the read is ignored
    assert p.inb(C0, 2) == [4000 & 0xFF, 4000 >> 8]
    assert p.latched() == 2000  # the latch is free again once both bytes are read
    p.out(CTRL, 0x00)
    assert p.inb(C0) == 2000 & 0xFF
    p.out(CTRL, 0x00)  # still ignored: the MSB is not read yet
    p.advance(pit_tick(start, 4000))
    assert p.inb(C0) == 2000 >> 8
    assert p.latched() == 1000


def test_access_modes_lsb_msb_and_both():
    p = Pit()
    p.out(CTRL, 0x94)  # counter 2, LSB only, mode 2
    p.out(C2, 0x80)
    p.out(CTRL, 0x64)  # counter 1, MSB only, mode 2
    p.out(C1, 0x12)
    p.out(CTRL, MODE2_BOTH)
    p.out(C0, 0x34)  # LSB first ...
    assert p.pit.counters[0].initial == 0  # ... nothing loaded until the MSB
    p.out(C0, 0x12)
    assert p.inb(C2, 2) == [0x80, 0x80]  # LSB-only: every read is the LSB
    assert p.inb(C1, 2) == [0x12, 0x12]  # MSB-only: every read is the MSB (count 0x1200)
    assert p.inb(C0, 4) == [0x34, 0x12, 0x34, 0x12]  # both: LSB then MSB, alternately
    p.out(CTRL, 0x80)  # latch counter 2: one byte
    p.advance(pit_tick(0, 0x10))
    assert p.inb(C2, 2) == [0x80, 0x70]
    p.advance(pit_tick(0, 0x1200) + 1)
    # counters 1 and 2 count at their own periods but only counter 0 drives int_pin
    assert [c.expiries for c in p.pit.counters] == [0, 1, 0x1200 // 0x80]
    assert p.irq.ticks == []  # counter 0's 0x1234 clocks are not over yet
    p.advance(pit_tick(0, 0x1234))
    assert p.irq.ticks == [pit_tick(0, 0x1234)]


def test_read_back_status_and_count():
    p = Pit()
    p.out(CTRL, MODE2_BOTH)
    p.out(CTRL, 0xE2)
    assert p.inb(C0) == 0b1111_0100  # OUT high, null count (no count written yet)
    p.program(0, MODE2_BOTH, 0x0302)
    p.out(CTRL, 0x91)  # counter 2: LSB only, mode 0, BCD flag
    p.out(C2, 9)
    p.advance(pit_tick(0, 2))
    p.out(CTRL, 0xCA)  # latch status and count of counters 0 and 2
    p.out(CTRL, 0xEA)  # a second status latch before the read is ignored
    p.advance(pit_tick(0, 5))
    assert p.inb(C0, 3) == [0b1011_0100, 0x00, 0x03]  # status first, then the count 0x300
    assert p.inb(C2, 2) == [0b0001_0001, 0x07]  # OUT low (mode 0), LSB-only count 7
    assert p.inb(C0, 2) == [0xFD, 0x02]  # nothing latched any more: live count 0x2fd
    p.out(CTRL, 0xD2)  # count only, counter 0
    assert p.inb(C0, 2) == [0xFD, 0x02]


def test_reprogramming_a_running_counter():
    p = Pit()
    p.program(0, MODE2_BOTH, 1000)
    p.advance(pit_tick(0, 2500))
    restart = p.program(0, MODE2_BOTH, 300)  # the SDK's sdk_timer_start again
    p.advance(pit_tick(0, 3900))
    assert p.irq.ticks == [pit_tick(0, 1000), pit_tick(0, 2000)] + [
        pit_tick(restart, 300 * k) for k in range(1, 5)
    ]
    p.out(CTRL, MODE2_BOTH)  # a control word alone stops the counter
    p.advance(pit_tick(0, 100_000))
    assert len(p.irq.ticks) == 6 and p.eq.empty()

    q = Pit()
    q.program(0, MODE0_BOTH, 1000)
    q.advance(pit_tick(0, 400))
    q.out(C0, 0x10)  # mode 0: the first byte of a new count stops the counting
    q.advance(pit_tick(0, 5000))
    assert q.irq.ticks == []
    q.out(C0, 0x00)  # the MSB loads 0x0010 and starts again from here
    q.advance(pit_tick(0, 6000))
    assert q.irq.ticks == [pit_tick(pit_tick(0, 5000), 0x10)]


def test_checkpoint_keeps_pending_expiry_and_latches(tmp_path):
    p = Pit(now=777)
    start = p.program(0, MODE2_BOTH, 1000)
    p.program(1, MODE0_BOTH, 50_000)
    p.advance(pit_tick(start, 1500))
    p.out(CTRL, 0x00)  # latch counter 0 (500) and read its LSB only
    assert p.inb(C0) == 500 & 0xFF
    p.out(CTRL, 0xE4)  # read-back: status of counter 1, left unread
    now = p.eq.curTick()
    cpt = CheckpointOut(str(tmp_path))
    p.pit.serialize(cpt.section(p.pit.name()))
    text = cpt.text()
    # gem5 keeps the counters as "pit.counterN.*" keys in the I8254's own section
    assert [s.name for s in cpt.sections()] == [p.pit.name()]
    sec = cpt.section(p.pit.name())
    assert (sec["pit.counter0.initial_count"], sec["pit.counter0.mode"]) == ("1000", "2")
    assert sec["pit.counter0.latch_on"] == "true" and sec["pit.counter0.read_byte"] == "0"
    assert int(sec["pit.counter0.event_tick_offset"]) == pit_tick(start, 2000) - now
    assert list(sec.keys())[:9] == [
        f"pit.counter0.{k}"
        for k in (
            "initial_count",
            "latched_count",
            "period",
            "mode",
            "output_high",
            "latch_on",
            "read_byte",
            "write_byte",
            "event_tick_offset",
        )
    ]
    cpt_in = CheckpointIn.parse(str(tmp_path), text)

    q = Pit(now=now)
    q.pit.loadState(cpt_in)
    assert q.pit.counters[0].event.when() == pit_tick(start, 2000)
    assert q.pit.counters[1].event.when() == pit_tick(start, 50_000)
    assert q.inb(C0) == 500 >> 8
    assert q.inb(C1) == 0b0011_0000  # the latched status survived
    q.advance(pit_tick(start, 5000))
    assert q.irq.ticks == [pit_tick(start, 1000 * k) for k in range(2, 6)]
    assert q.latched() == 1000
    assert q.latched(1) == 50_000 - 5000
