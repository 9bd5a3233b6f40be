"""The 8254 programmable interval timer (gem5's I8254 / Intel8254Timer).

Three counters clocked at 1193182 Hz of simulated time, programmed through
ports base+0..2 (counters) and base+3 (control word). Modes: 0 (interrupt on
terminal count), 2 (rate generator), 3 (square wave); 1, 4 and 5 count like 0
(no gate input is modelled). Latch command, read-back command, LSB/MSB/both
access. Counter 0's output edge drives `int_pin` (a pulse, as gem5).
"""

from __future__ import annotations

from simobjs.base import ticks
from simobjs.dev.intpin import IntSourcePin
from simobjs.dev.pio import BasicPioDevice
from simobjs.sim import debug
from simobjs.sim.eventq import EventFunctionWrapper
from simobjs.sim.model import Params

PIT_HZ = 1193182
RW_LATCH, RW_LSB, RW_MSB, RW_BOTH = 0, 1, 2, 3


class Counter:
    """One 16-bit down counter. Time is kept as the tick the current count was loaded."""

    def __init__(self, pit: I8254, num: int):
        self.pit = pit
        self.num = num
        self.mode = 0
        self.rw = RW_BOTH
        self.bcd = False
        self.initial = 0  # programmed count (0 means 65536)
        self.running = False
        self.start = 0  # tick at which the count was loaded
        self.output = False
        self.null_count = True
        self.write_low: int | None = None  # first byte of a two-byte write
        self.read_msb_next = False
        self.latched: list[int] = []  # bytes waiting to be read after a latch command
        self.status_latched: int | None = None
        self.event = EventFunctionWrapper(self._expire, f"{pit.name()}.counter{num}")
        self.expiries = 0

    # -- time --------------------------------------------------------------------------
    @property
    def period(self) -> int:
        return self.initial or 0x10000

    def _tick_of(self, pit_cycles: int) -> int:
        """The tick `pit_cycles` input clocks after the load (exact, no drift)."""
        return self.start + -(-pit_cycles * ticks.getFrequency() // PIT_HZ)

    def _elapsed(self) -> int:
        now = self.pit.curTick()
        return (now - self.start) * PIT_HZ // ticks.getFrequency()

    def current(self) -> int:
        """The count now (what a latch captures)."""
        if not self.running:
            return self.initial
        n = self._elapsed()
        if self.mode in (2, 3):
            step = 2 if self.mode == 3 else 1
            return (self.period - (n * step) % self.period) % 0x10000
        return (self.period - n) % 0x10000

    # -- programming -------------------------------------------------------------------
    def control(self, rw: int, mode: int, bcd: bool) -> None:
        self.rw, self.mode, self.bcd = rw, mode if mode < 6 else mode - 4, bcd
        self.write_low, self.read_msb_next = None, False
        self.latched.clear()
        self.stop()
        self.output = self.mode != 0  # mode 0 starts low, the others high
        self.null_count = True

    def latch(self) -> None:
        if self.latched:
            return  # a second latch before the read is ignored
        value = self.current()
        if self.rw == RW_LSB:
            self.latched = [value & 0xFF]
        elif self.rw == RW_MSB:
            self.latched = [value >> 8]
        else:
            self.latched = [value & 0xFF, value >> 8]

    def status(self) -> int:
        return (
            (int(self.output) << 7)
            | (int(self.null_count) << 6)
            | (self.rw << 4)
            | (self.mode << 1)
            | int(self.bcd)
        )

    def write(self, byte: int) -> None:
        if self.rw == RW_LSB:
            self.load(byte)
        elif self.rw == RW_MSB:
            self.load(byte << 8)
        elif self.write_low is None:
            self.write_low = byte
            if self.mode == 0:
                self.stop()  # writing the first byte stops a mode-0 count
                self.output = False
        else:
            low, self.write_low = self.write_low, None
            self.load(low | (byte << 8))

    def read(self) -> int:
        if self.status_latched is not None:
            value, self.status_latched = self.status_latched, None
            return value
        if self.latched:
            return self.latched.pop(0)
        value = self.current()
        if self.rw == RW_LSB:
            return value & 0xFF
        if self.rw == RW_MSB:
            return value >> 8
        byte = (value >> 8) if self.read_msb_next else value & 0xFF
        self.read_msb_next = not self.read_msb_next
        return byte

    def load(self, count: int) -> None:
        self.initial = count & 0xFFFF
        self.null_count = False
        self.start = self.pit.curTick()
        self.running = True
        self.output = self.mode != 0
        self.expiries = 0
        self._schedule_next()
        if debug.flags.PIT:
            debug.dprintf(
                self.pit, "counter %d: mode %d count %d", self.num, self.mode, self.period
            )

    def stop(self) -> None:
        self.running = False
        if self.event.scheduled():
            self.pit.deschedule(self.event)

    # -- expiry ------------------------------------------------------------------------
    def _schedule_next(self) -> None:
        # modes 2 and 3 fire once per period; the others once, at terminal count
        cycles = self.period * (self.expiries + 1)
        self.pit.reschedule(self.event, self._tick_of(cycles), always=True)

    def _expire(self) -> None:
        self.expiries += 1
        if self.mode in (2, 3):
            self._schedule_next()  # other modes: the count wraps on, the output stays high
        self.output = True
        self.pit.counterInterrupt(self.num)

    # -- checkpoint --------------------------------------------------------------------
    # gem5 keeps each counter as keys "<base>.<key>" in the I8254's own section
    # (src/dev/intel_8254_timer.cc, base "pit.counterN"); the gem5 keys come
    # first, then what gem5's counter does not keep.
    def serialize(self, section, base: str) -> None:
        latched = self.latched
        section[f"{base}.initial_count"] = self.initial
        section[f"{base}.latched_count"] = (
            latched[0] | (latched[1] << 8) if len(latched) == 2 else (latched[0] if latched else 0)
        )
        section[f"{base}.period"] = self.initial
        section[f"{base}.mode"] = self.mode
        section[f"{base}.output_high"] = self.output
        section[f"{base}.latch_on"] = bool(latched)
        section[f"{base}.read_byte"] = int(self.read_msb_next)  # gem5's LSB=0, MSB=1
        section[f"{base}.write_byte"] = int(self.write_low is not None)
        scheduled = self.event.scheduled()
        section[f"{base}.event_tick_offset"] = (
            self.event.when() - self.pit.curTick() if scheduled else 0
        )
        section[f"{base}.eventScheduled"] = scheduled
        section[f"{base}.rw"] = self.rw
        section[f"{base}.bcd"] = self.bcd
        section[f"{base}.running"] = self.running
        section[f"{base}.loadTick"] = self.start
        section[f"{base}.expiries"] = self.expiries
        section[f"{base}.nullCount"] = self.null_count
        section[f"{base}.writeLow"] = -1 if self.write_low is None else self.write_low
        section[f"{base}.latchedBytes"] = list(latched)
        section[f"{base}.statusLatched"] = (
            -1 if self.status_latched is None else self.status_latched
        )

    def unserialize(self, section, base: str) -> None:
        now = self.pit.curTick()  # (values a counter cannot hold are refused by name)
        self.initial = section.get_int(f"{base}.initial_count", 0, 0xFFFF)
        self.mode = section.get_int(f"{base}.mode", 0, 5)
        self.output = section.get_bool(f"{base}.output_high")
        self.read_msb_next = section.get_int(f"{base}.read_byte", 0, 1) == 1
        self.rw = section.get_int(f"{base}.rw", 0, 3)
        self.bcd = section.get_bool(f"{base}.bcd")
        self.running = section.get_bool(f"{base}.running")
        self.start = section.get_int(f"{base}.loadTick", 0, now)
        self.expiries = section.get_int(f"{base}.expiries", 0)
        self.null_count = section.get_bool(f"{base}.nullCount")
        low = section.get_int(f"{base}.writeLow", -1, 0xFF)
        self.write_low = None if low < 0 else low
        self.latched = section.get_ints(f"{base}.latchedBytes", lo=0, hi=0xFF)
        status = section.get_int(f"{base}.statusLatched", -1, 0xFF)
        self.status_latched = None if status < 0 else status
        if self.event.scheduled():
            self.pit.deschedule(self.event)
        if section.get_bool(f"{base}.eventScheduled"):
            when = now + section.get_int(f"{base}.event_tick_offset", 0)
            self.pit.schedule(self.event, when)


class I8254(BasicPioDevice):
    pio_size = 4

    def __init__(self, params: Params):
        super().__init__(params)
        self.counters = [Counter(self, i) for i in range(3)]
        self.int_pin = IntSourcePin("int_pin", self)

    def getPort(self, name: str, index: int = -1):
        if name == "int_pin":
            return self.int_pin
        return super().getPort(name, index)

    def counterInterrupt(self, num: int) -> None:
        if debug.flags.PIT:
            debug.dprintf(self, "counter %d expired", num)
        if num == 0 and self.int_pin.isConnected():
            self.int_pin.pulse()

    def read(self, offset: int, size: int) -> int:
        if offset < 3:
            return self.counters[offset].read()
        return 0xFF  # the control register cannot be read

    def write(self, offset: int, size: int, value: int) -> None:
        value &= 0xFF
        if offset < 3:
            self.counters[offset].write(value)
            return
        select = value >> 6
        if select == 3:  # read-back: bit 5 low latches counts, bit 4 low latches status
            for i in range(3):
                if value & (2 << i):
                    counter = self.counters[i]
                    if not value & 0x10 and counter.status_latched is None:
                        counter.status_latched = counter.status()
                    if not value & 0x20:
                        counter.latch()
            return
        rw = (value >> 4) & 3
        counter = self.counters[select]
        if rw == RW_LATCH:
            counter.latch()
        else:
            counter.control(rw, (value >> 1) & 7, bool(value & 1))

    def serialize(self, section) -> None:
        for c in self.counters:
            c.serialize(section, f"pit.counter{c.num}")

    def unserialize(self, section) -> None:
        for c in self.counters:
            c.unserialize(section, f"pit.counter{c.num}")
