"""The 8259 programmable interrupt controller (gem5's X86ISA::I8259).

Two ports: base+0 (ICW1, OCW2, OCW3; reads IRR or ISR) and base+1 (ICW2-4,
OCW1 = the mask; reads IMR). Edge-triggered inputs (`inputs[i]`), fixed or
rotated priorities, specific and non-specific EOI, auto-EOI, cascade: a master
has its slave's output on one input (ICW3 bit) and forwards the INTA of that
line to the `slave` param. `output` is a level: high while an unmasked request
outranks everything in service. OCW3 also gives the poll command (the next
read of base+0 acknowledges the highest request and returns 0x80 | its line,
or 0 when there is none) and the special mask mode (a masked line in service
no longer holds back lower-priority requests).
"""

from __future__ import annotations

from simobjs.dev.intpin import IntSinkPin, IntSourcePin
from simobjs.dev.pio import BasicPioDevice
from simobjs.errors import CheckpointError, SimulationError
from simobjs.sim import debug
from simobjs.sim.model import Params

MODES = {"I8259Master": 0, "I8259Slave": 1, "I8259Single": 2}


class I8259(BasicPioDevice):
    pio_size = 2

    def __init__(self, params: Params):
        super().__init__(params)
        self.mode = params.mode
        self.slave = params.slave
        self.output = IntSourcePin("output", self)
        self.inputs: dict[int, IntSinkPin] = {}
        self.irr = 0
        self.isr = 0
        self.imr = 0
        self.vector_offset = 0
        self.cascade_bits = 0  # master: lines with a slave; slave: its id
        self.edge_triggered = True
        self.read_irr = True
        self.auto_eoi = False
        self.expect_icw4 = False
        self.init_step = 0  # 0: operational; 2, 3, 4: the ICW expected next
        self.single = self.mode == "I8259Single"
        self.lowest = 7  # the line with the lowest priority (rotation moves it)
        self.pin_states = 0
        self.rotate_auto_eoi = False
        self.poll = False  # OCW3 P: the next read of base+0 is a poll
        self.special_mask = False  # OCW3 SMM

    def getPort(self, name: str, index: int = -1):
        if name == "output":
            return self.output
        if name == "inputs":
            idx = max(index, 0)
            if idx not in self.inputs:
                self.inputs[idx] = IntSinkPin("inputs", self, idx)
            return self.inputs[idx]
        return super().getPort(name, index)

    # -- priority ----------------------------------------------------------------------
    def _by_priority(self):
        """Lines from the highest priority to the lowest."""
        first = (self.lowest + 1) & 7
        return [(first + i) & 7 for i in range(8)]

    def _highest(self, bits: int) -> int | None:
        for line in self._by_priority():
            if bits & (1 << line):
                return line
        return None

    def _deliverable(self) -> int | None:
        """The line to signal: highest unmasked request, above everything in service."""
        req = self._highest(self.irr & ~self.imr)
        if req is None:
            return None
        in_service = self._highest(self.isr & ~self.imr if self.special_mask else self.isr)
        if in_service is not None:
            order = self._by_priority()
            if order.index(req) >= order.index(in_service):
                return None
        return req

    def _update(self) -> None:
        want = self._deliverable() is not None
        if want and not self.output.high:
            if debug.flags.PIC:
                debug.dprintf(
                    self, "raising output (irr %#x isr %#x imr %#x)", self.irr, self.isr, self.imr
                )
            self.output.raise_()
        elif not want and self.output.high:
            self.output.lower()

    # -- input lines -------------------------------------------------------------------
    def raiseInterruptPin(self, number: int) -> None:
        bit = 1 << number
        if not self.pin_states & bit or not self.edge_triggered:
            self.irr |= bit  # an edge (or a level) requests the line
        self.pin_states |= bit
        if debug.flags.PIC:
            debug.dprintf(self, "input %d raised (irr %#x)", number, self.irr)
        self._update()

    def lowerInterruptPin(self, number: int) -> None:
        bit = 1 << number
        self.pin_states &= ~bit
        if not self.edge_triggered:
            self.irr &= ~bit
            self._update()

    def _take(self, line: int) -> None:
        """An acknowledged request goes in service (unless auto-EOI ends it at once)."""
        bit = 1 << line
        if self.edge_triggered or not self.pin_states & bit:
            self.irr &= ~bit  # a level-triggered line still high stays requested
        if not self.auto_eoi:
            self.isr |= bit
        elif self.rotate_auto_eoi:
            self.lowest = line

    def _is_cascade(self, line: int) -> bool:
        return (
            self.mode == "I8259Master" and not self.single and bool(self.cascade_bits & (1 << line))
        )

    def interruptAcknowledge(self, index: int = 0) -> int:
        """INTA: the vector of the highest deliverable line (a slave's for a cascade line)."""
        line = self._deliverable()
        if line is None:
            line = 7  # nothing left to deliver: the spurious IRQ 7
            if debug.flags.PIC:
                debug.dprintf(self, "spurious interrupt acknowledge")
            self.output.lower()
            self._update()
            return self.vector_offset + 7
        self._take(line)
        self.output.lower()
        if self._is_cascade(line):
            if self.slave is None:
                raise SimulationError(
                    f"line {line} is a cascade line but no slave is set", self.name()
                )
            vector = self.slave.interruptAcknowledge(0)
        else:
            vector = self.vector_offset + line
        if debug.flags.PIC:
            debug.dprintf(self, "acknowledged line %d -> vector %#x", line, vector)
        self._update()
        return vector

    # -- registers ---------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset == 0:
            if self.poll:
                return self._poll()
            return self.irr if self.read_irr else self.isr
        return self.imr

    def _poll(self) -> int:
        """The poll command's read: an INTA of this chip only, answered as 0x80 | line
        (a master's cascade line is reported as itself: software polls the slave next)."""
        self.poll = False
        line = self._deliverable()
        if line is None:
            return 0
        self._take(line)
        if debug.flags.PIC:
            debug.dprintf(self, "poll: line %d", line)
        self._update()
        return 0x80 | line

    def write(self, offset: int, size: int, value: int) -> None:
        value &= 0xFF
        if debug.flags.PIC:
            debug.dprintf(self, "write port %d <- %#x", offset, value)
        if offset == 0:
            if value & 0x10:
                self._icw1(value)
            elif value & 0x08:
                if value & 0x02:  # OCW3: RR selects the register read at offset 0
                    self.read_irr = not value & 0x01
                self.poll = bool(value & 0x04)
                if value & 0x40:  # ESMM: SMM sets or resets the special mask mode
                    self.special_mask = bool(value & 0x20)
            else:
                self._ocw2(value)
        elif self.init_step:
            self._icw(value)
        else:
            self.imr = value  # OCW1
        self._update()

    def _icw1(self, value: int) -> None:
        self.edge_triggered = not value & 0x08
        self.single = bool(value & 0x02)
        self.expect_icw4 = bool(value & 0x01)
        self.imr = 0
        self.isr = 0
        self.irr = 0
        self.lowest = 7
        self.read_irr = True
        self.auto_eoi = False
        self.poll = False
        self.special_mask = False
        self.init_step = 2

    def _icw(self, value: int) -> None:
        if self.init_step == 2:
            self.vector_offset = value & 0xF8
            self.init_step = 3 if not self.single else (4 if self.expect_icw4 else 0)
        elif self.init_step == 3:
            self.cascade_bits = value
            self.init_step = 4 if self.expect_icw4 else 0
        else:
            self.auto_eoi = bool(value & 0x02)
            self.init_step = 0

    def _ocw2(self, value: int) -> None:
        cmd = value >> 5
        if cmd in (0b001, 0b101):  # non-specific EOI (and rotate)
            line = self._highest(self.isr)
            if line is not None:
                self.isr &= ~(1 << line)
                if cmd == 0b101:
                    self.lowest = line
        elif cmd in (0b011, 0b111):  # specific EOI (and rotate)
            line = value & 7
            self.isr &= ~(1 << line)
            if cmd == 0b111:
                self.lowest = line
        elif cmd == 0b110:  # set priority
            self.lowest = value & 7
        elif cmd in (0b100, 0b000):  # rotate in auto-EOI mode: set / clear
            self.rotate_auto_eoi = cmd == 0b100

    # -- checkpoint --------------------------------------------------------------------
    # gem5's keys (src/dev/x86/i8259.cc), then what gem5's I8259 does not keep
    def serialize(self, section) -> None:
        section["pinStates"] = [bool(self.pin_states >> i & 1) for i in range(8)]
        section["mode"] = MODES[self.mode]
        section["IRR"] = self.irr
        section["ISR"] = self.isr
        section["IMR"] = self.imr
        section["vectorOffset"] = self.vector_offset
        section["cascadeMode"] = not self.single
        section["cascadeBits"] = self.cascade_bits
        section["edgeTriggered"] = self.edge_triggered
        section["readIRR"] = self.read_irr
        section["expectICW4"] = self.expect_icw4
        # gem5 counts the ICWs still expected from 1 (ICW2); init_step names the ICW
        section["initControlWord"] = self.init_step - 1 if self.init_step else 0
        section["autoEOI"] = self.auto_eoi
        section["lowestPriority"] = self.lowest
        section["rotateAutoEOI"] = self.rotate_auto_eoi
        section["poll"] = self.poll
        section["specialMask"] = self.special_mask
        section["output"] = self.output.high

    def unserialize(self, section) -> None:
        pins = section.get_strs("pinStates")
        if len(pins) != 8:
            raise CheckpointError("expected 8 values", section.name, "pinStates")
        self.pin_states = sum(1 << i for i, p in enumerate(pins) if p in ("true", "1"))
        self.irr = section.get_int("IRR", 0, 0xFF)  # 8-bit registers
        self.isr = section.get_int("ISR", 0, 0xFF)
        self.imr = section.get_int("IMR", 0, 0xFF)
        self.vector_offset = section.get_int("vectorOffset", 0, 0xFF)
        self.single = not section.get_bool("cascadeMode")
        self.cascade_bits = section.get_int("cascadeBits", 0, 0xFF)
        self.edge_triggered = section.get_bool("edgeTriggered")
        self.read_irr = section.get_bool("readIRR")
        self.expect_icw4 = section.get_bool("expectICW4")
        icw = section.get_int("initControlWord", 0, 3)
        self.init_step = icw + 1 if icw else 0
        self.auto_eoi = section.get_bool("autoEOI")
        self.lowest = section.get_int("lowestPriority", 0, 7)
        self.rotate_auto_eoi = section.get_bool("rotateAutoEOI")
        self.poll = section.get_bool("poll")
        self.special_mask = section.get_bool("specialMask")
        self.output.high = section.get_bool("output")
