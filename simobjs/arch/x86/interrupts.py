"""The local APIC (gem5's X86ISA::Interrupts, declared as X86LocalApic), one per CPU.

Its register page sits at physical 0xFEE00000 (4 KiB) for the CPU that owns it:
both CPUs hand an access there to `access()` of their own APIC, as gem5's TLB
turns it into an access to the APIC of the accessing context. Modelled: ID,
version, TPR (and the PPR it implies), EOI, ISR/TMR/IRR, LDR/DFR (flat model),
the spurious-vector register, the error status register, the ICR (fixed, NMI,
INIT and startup IPIs; physical, logical and shorthand destinations), the LVT
entries, and the timer (one-shot and periodic, the divide configuration, the
initial and current counts) on simulated time.

The 8259's output arrives on LINT0; at reset LINT0 is unmasked in ExtINT mode
and LINT1 in NMI mode, as a PC BIOS leaves them (virtual-wire mode), so a guest
that never touches the APIC takes the 8259's interrupts. An ExtINT vector is
read from the 8259 at the INTA cycle (`getInterrupt`), not when the line rises.

The CPU asks `checkInterrupts()` (it tests RFLAGS.IF and the shadows itself),
takes INIT and startup IPIs through `take_init_sipi()` (a thread that waits for
a startup IPI runs nothing else), and takes a vector with `getInterrupt()`.
Inter-processor interrupts go straight to the destination APIC, as gem5's
atomic-mode interrupt messages do (no packet on the interrupt ports).
"""

from __future__ import annotations

from simobjs.dev.intpin import IntSinkPin
from simobjs.errors import SimulationError
from simobjs.sim import debug
from simobjs.sim.eventq import EventFunctionWrapper
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.port import RequestPort, ResponsePort

LINT0, LINT1 = 0, 1
NMI_VECTOR = 2
APIC_BASE = 0xFEE00000  # the architectural default of IA32_APIC_BASE
APIC_PAGE = 0x1000
PHYS_ADDR_PREFIX_LOCAL_APIC = 0x2000000000000000  # gem5's x86LocalAPICAddress space

# gem5's ApicRegIndex (src/arch/x86/regs/apic.hh): the indices of `regs`
APIC_ID, APIC_VERSION, APIC_TASK_PRIORITY = 0, 1, 2
APIC_ARBITRATION_PRIORITY, APIC_PROCESSOR_PRIORITY, APIC_EOI = 3, 4, 5
APIC_LOGICAL_DESTINATION, APIC_DESTINATION_FORMAT, APIC_SPURIOUS_INTERRUPT_VECTOR = 6, 7, 8
APIC_IN_SERVICE_BASE = 9
APIC_TRIGGER_MODE_BASE = APIC_IN_SERVICE_BASE + 16  # gem5 keeps 16 slots for 8 registers
APIC_INTERRUPT_REQUEST_BASE = APIC_TRIGGER_MODE_BASE + 16
APIC_ERROR_STATUS = 57
APIC_INTERRUPT_COMMAND_LOW, APIC_INTERRUPT_COMMAND_HIGH = 58, 59
APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERFMON = 60, 61, 62
APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR = 63, 64, 65
APIC_INITIAL_COUNT, APIC_CURRENT_COUNT, APIC_DIVIDE_CONFIGURATION = 66, 67, 68
APIC_INTERNAL_STATE = 69
NUM_APIC_REGS = 70

LVT_MASKED = 1 << 16
LVT_PERIODIC = 1 << 17
LVT_LEVEL = 1 << 15
LVT_READ_ONLY = (1 << 12) | (1 << 14)

# delivery modes (gem5's delivery_mode)
FIXED, LOWEST_PRIORITY, SMI, NMI, INIT, SIPI, EXTINT = 0, 1, 2, 4, 5, 6, 7
DELIVERY_NAMES = {
    FIXED: "Fixed",
    LOWEST_PRIORITY: "LowestPriority",
    SMI: "SMI",
    NMI: "NMI",
    INIT: "INIT",
    SIPI: "Startup",
    EXTINT: "ExtInt",
}

# byte offset in the page -> register index (gem5's decodeAddr)
_OFFSETS = {
    0x20: APIC_ID,
    0x30: APIC_VERSION,
    0x80: APIC_TASK_PRIORITY,
    0x90: APIC_ARBITRATION_PRIORITY,
    0xA0: APIC_PROCESSOR_PRIORITY,
    0xB0: APIC_EOI,
    0xD0: APIC_LOGICAL_DESTINATION,
    0xE0: APIC_DESTINATION_FORMAT,
    0xF0: APIC_SPURIOUS_INTERRUPT_VECTOR,
    0x280: APIC_ERROR_STATUS,
    0x300: APIC_INTERRUPT_COMMAND_LOW,
    0x310: APIC_INTERRUPT_COMMAND_HIGH,
    0x320: APIC_LVT_TIMER,
    0x330: APIC_LVT_THERMAL,
    0x340: APIC_LVT_PERFMON,
    0x350: APIC_LVT_LINT0,
    0x360: APIC_LVT_LINT1,
    0x370: APIC_LVT_ERROR,
    0x380: APIC_INITIAL_COUNT,
    0x390: APIC_CURRENT_COUNT,
    0x3E0: APIC_DIVIDE_CONFIGURATION,
}
for _i in range(8):
    _OFFSETS[0x100 + 0x10 * _i] = APIC_IN_SERVICE_BASE + _i
    _OFFSETS[0x180 + 0x10 * _i] = APIC_TRIGGER_MODE_BASE + _i
    _OFFSETS[0x200 + 0x10 * _i] = APIC_INTERRUPT_REQUEST_BASE + _i


def divide_from_conf(conf: int) -> int:
    """The timer's divisor from the divide configuration register (gem5's divideFromConf)."""
    shift = (((conf & 0x8) >> 1) | (conf & 0x3)) + 1
    return 1 << (shift % 8)


def decode_offset(offset: int) -> int:
    """The register index at byte `offset` of the page; a reserved offset is an error."""
    reg = _OFFSETS.get(offset & ~0xF)
    if reg is None:
        raise SimulationError(f"Accessed reserved register field {offset & ~0xF:#x}.")
    return reg


class X86LocalApic(ClockedModel):
    def __init__(self, params: Params):
        super().__init__(params)
        self.cpu = None
        self.system = params.system
        self.pio_latency = params.pio_latency
        self.lint0 = IntSinkPin("lint0", self, number=LINT0)
        self.lint1 = IntSinkPin("lint1", self, number=LINT1)
        self.pio = ResponsePort("pio", self, self._recv_pio, self._pio_ranges)
        self.int_requestor = RequestPort("int_requestor", self)
        self.int_responder = ResponsePort("int_responder", self, self._no_message, lambda: [])
        self.apicTimerEvent = EventFunctionWrapper(
            self.processApicTimerEvent, self.name() + ".apicTimerEvent"
        )
        self.regs = [0] * NUM_APIC_REGS
        self.pendingSmi = self.pendingNmi = self.pendingExtInt = False
        self.pendingInit = self.pendingStartup = self.startedUp = False
        self.pendingUnmaskableInt = False
        self.smiVector = self.nmiVector = self.extIntVector = 0
        self.initVector = self.startupVector = 0
        self.pendingIPIs = 0
        self.IRRV = self.ISRV = 0
        # A thread that waits for a startup IPI (an application processor at boot, any
        # thread after INIT) runs nothing until one comes; not one of gem5's keys (gem5
        # halts such a thread in microcode).
        self.wait_for_sipi = False
        self.reset()

    def reset(self) -> None:
        """The registers at power-up (gem5's constructor), LINT0/LINT1 in virtual-wire mode."""
        regs = self.regs
        regs[:] = [0] * NUM_APIC_REGS
        regs[APIC_DESTINATION_FORMAT] = 0xFFFFFFFF
        for lvt in (APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERFMON, APIC_LVT_ERROR):
            regs[lvt] = LVT_MASKED
        regs[APIC_LVT_LINT0] = EXTINT << 8
        regs[APIC_LVT_LINT1] = NMI << 8
        regs[APIC_SPURIOUS_INTERRUPT_VECTOR] = 0xFF
        regs[APIC_VERSION] = (5 << 16) | 0x14
        regs[APIC_ID] = self.initialApicId() << 24

    # -- identity and ports ------------------------------------------------------------
    def initialApicId(self) -> int:
        cpu = self.cpu
        if cpu is None or not cpu.threads:
            return 0
        cid = cpu.threads[0].contextId()
        if cid < 0:  # before the CPU registered its thread: gem5's cpu_id * threads + tid
            cid = cpu._cpu_id * max(cpu.numThreads, 1) if cpu._cpu_id >= 0 else 0
        return cid

    def apic_id(self) -> int:
        return (self.regs[APIC_ID] >> 24) & 0xFF

    def setCPU(self, cpu) -> None:
        if self.cpu is not None and cpu is not None and self.cpu._cpu_id != cpu._cpu_id:
            raise SimulationError(
                "Local APICs can't be moved between CPUs with different IDs.", self.name()
            )
        self.cpu = cpu

    def init(self) -> None:
        if self.cpu is not None:
            self.regs[APIC_ID] = self.initialApicId() << 24

    def startup(self) -> None:
        # context ids are known once every CPU's init() ran
        if self.cpu is not None and not self._restored:
            self.regs[APIC_ID] = self.initialApicId() << 24

    _restored = False

    def getPort(self, name: str, index: int = -1):
        ports = {
            "lint0": self.lint0,
            "lint1": self.lint1,
            "pio": self.pio,
            "int_requestor": self.int_requestor,
            "int_master": self.int_requestor,
            "int_responder": self.int_responder,
            "int_slave": self.int_responder,
        }
        if name in ports:
            return ports[name]
        return super().getPort(name, index)

    def _pio_base(self) -> int:
        return PHYS_ADDR_PREFIX_LOCAL_APIC | (self.initialApicId() << 12)

    def _pio_ranges(self) -> list:
        from simobjs.base.addr_range import AddrRange

        base = self._pio_base()
        return [AddrRange(base, base + APIC_PAGE)]

    def _recv_pio(self, pkt) -> int:
        """gem5's local-APIC address space (0x2000000000000000 | id << 12)."""
        offset = pkt.addr - self._pio_base()
        if pkt.isRead():
            pkt.set_uint(self.read(offset, pkt.size))
        else:
            self.write(offset, pkt.size, pkt.get_uint())
        return self.pio_latency

    def _no_message(self, pkt) -> int:
        raise SimulationError(
            "interrupt messages on int_responder are not modelled: IPIs go straight to "
            f"the destination APIC ({pkt!r})",
            self.name(),
        )

    # -- the register page ----------------------------------------------------------------
    def access(self, offset: int, size: int, write: bool, value: int = 0) -> int:
        """A CPU's access at `offset` in the page: the value read (0 for a write)."""
        if write:
            self.write(offset, size, value)
            return 0
        return self.read(offset, size)

    def _check(self, offset: int, size: int) -> None:
        """One register at a time: the access stays inside 8 bytes (gem5's check)."""
        inside = (offset & ~7) == ((offset + size - 1) & ~7)
        if offset < 0 or offset + size > APIC_PAGE or not inside:
            raise SimulationError(
                f"Accessed more than one register at a time in the APIC (offset {offset:#x}, "
                f"{size} bytes)",
                self.name(),
            )

    def read(self, offset: int, size: int) -> int:
        self._check(offset, size)
        if offset & 0xF >= 4:
            return 0  # the upper 12 bytes of each 16-byte slot read as zero
        reg = self._decode(offset)
        val = self.readReg(reg)
        if debug.flags.LocalApic:
            debug.dprintf(
                self, "Reading Local APIC register %d at offset %#x as %#x.", reg, offset, val
            )
        shift = 8 * (offset & 3)
        return (val >> shift) & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size)
        if offset & 0xF >= 4:
            return
        reg = self._decode(offset)
        shift = 8 * (offset & 3)
        mask = ((1 << (8 * min(size, 4))) - 1) << shift
        val = (self.regs[reg] & ~mask | (value << shift) & mask) & 0xFFFFFFFF
        if debug.flags.LocalApic:
            debug.dprintf(
                self, "Writing Local APIC register %d at offset %#x as %#x.", reg, offset, val
            )
        self.setReg(reg, val)

    def _decode(self, offset: int) -> int:
        try:
            return decode_offset(offset)
        except SimulationError as e:
            raise SimulationError(str(e), self.name()) from None

    def processor_priority(self) -> int:
        tpr, isrv = self.regs[APIC_TASK_PRIORITY], self.ISRV
        return tpr if (tpr >> 4) >= (isrv >> 4) else isrv & 0xF0

    def readReg(self, reg: int) -> int:
        regs = self.regs
        if reg == APIC_PROCESSOR_PRIORITY:
            return self.processor_priority()
        if reg == APIC_ARBITRATION_PRIORITY:
            return regs[APIC_TASK_PRIORITY]
        if reg == APIC_ERROR_STATUS:
            regs[APIC_INTERNAL_STATE] &= ~1
        elif reg == APIC_CURRENT_COUNT:
            ev = self.apicTimerEvent
            if not ev.scheduled():
                return 0
            per_count = self.clockPeriod() * divide_from_conf(regs[APIC_DIVIDE_CONFIGURATION])
            left = ev.when() - self.curTick()
            return -(-left // per_count)
        return regs[reg]

    def setReg(self, reg: int, val: int) -> None:
        regs = self.regs
        new = val
        if APIC_IN_SERVICE_BASE <= reg < APIC_INTERRUPT_REQUEST_BASE + 8:
            return  # ISR, TMR and IRR are read-only
        if reg in (APIC_VERSION, APIC_CURRENT_COUNT, APIC_PROCESSOR_PRIORITY):
            return  # read-only
        if reg == APIC_ARBITRATION_PRIORITY:
            return
        if reg == APIC_ID:
            new = val & 0xFF000000
        elif reg == APIC_TASK_PRIORITY:
            new = val & 0xFF
        elif reg == APIC_EOI:
            self._clear_bit(APIC_IN_SERVICE_BASE, self.ISRV)
            self.ISRV = self._msb(APIC_IN_SERVICE_BASE)
            return
        elif reg == APIC_LOGICAL_DESTINATION:
            new = val & 0xFF000000
        elif reg == APIC_DESTINATION_FORMAT:
            new = val | 0x0FFFFFFF
        elif reg == APIC_SPURIOUS_INTERRUPT_VECTOR:
            regs[APIC_INTERNAL_STATE] &= ~(1 << 1)
            regs[APIC_INTERNAL_STATE] |= val & (1 << 8)
        elif reg == APIC_ERROR_STATUS:
            if regs[APIC_INTERNAL_STATE] & 1:
                regs[APIC_INTERNAL_STATE] &= ~1
                new = 0
            else:
                regs[APIC_INTERNAL_STATE] |= 1
                return
        elif reg == APIC_INTERRUPT_COMMAND_LOW:
            regs[reg] = val & ~(1 << 12)
            self._send_ipi(val)
            return
        elif reg in (
            APIC_LVT_TIMER,
            APIC_LVT_THERMAL,
            APIC_LVT_PERFMON,
            APIC_LVT_LINT0,
            APIC_LVT_LINT1,
            APIC_LVT_ERROR,
        ):
            new = (val & ~LVT_READ_ONLY) | (regs[reg] & LVT_READ_ONLY)
        elif reg == APIC_INITIAL_COUNT:
            regs[reg] = val & 0xFFFFFFFF
            self._arm_timer(val & 0xFFFFFFFF)
            return
        elif reg == APIC_DIVIDE_CONFIGURATION:
            new = val & 0xB
        regs[reg] = new

    # -- the timer ----------------------------------------------------------------------------
    def _arm_timer(self, count: int) -> None:
        """Schedule the timer `count` x divisor APIC cycles from the next edge (gem5's rule);
        a count of 0 stops it."""
        ev = self.apicTimerEvent
        period = self.clockPeriod()
        ticks = count * divide_from_conf(self.regs[APIC_DIVIDE_CONFIGURATION])
        now = self.curTick()
        offset = now % period
        if count == 0:
            if ev.scheduled():
                self.eventq.deschedule(ev)
            return
        when = now + (ticks + 1) * period - offset if offset else now + ticks * period
        self.eventq.reschedule(ev, when, always=True)

    def processApicTimerEvent(self) -> None:
        entry = self.regs[APIC_LVT_TIMER]
        if not entry & LVT_MASKED:
            self.requestInterrupt(entry & 0xFF, (entry >> 8) & 7, bool(entry & LVT_LEVEL))
        if entry & LVT_PERIODIC:
            self._arm_timer(self.regs[APIC_INITIAL_COUNT])

    # -- IRR/ISR ----------------------------------------------------------------------------
    def _set_bit(self, base: int, vector: int) -> None:
        self.regs[base + vector // 32] |= 1 << (vector % 32)

    def _clear_bit(self, base: int, vector: int) -> None:
        self.regs[base + vector // 32] &= ~(1 << (vector % 32))

    def _get_bit(self, base: int, vector: int) -> bool:
        return bool(self.regs[base + vector // 32] >> (vector % 32) & 1)

    def _msb(self, base: int) -> int:
        for i in range(7, -1, -1):
            word = self.regs[base + i]
            if word:
                return i * 32 + word.bit_length() - 1
        return 0

    # -- interrupts arriving --------------------------------------------------------------
    def requestInterrupt(self, vector: int, mode: int, level: bool) -> None:
        """gem5's requestInterrupt: fixed ones into the IRR, the others pending flags."""
        if debug.flags.LocalApic:
            debug.dprintf(
                self,
                "Interrupt is an %s (vector %#x).",
                DELIVERY_NAMES.get(mode, "reserved"),
                vector,
            )
        if mode in (FIXED, LOWEST_PRIORITY):
            if vector > self.IRRV:
                self.IRRV = vector
            if not self._get_bit(APIC_INTERRUPT_REQUEST_BASE, vector):
                self._set_bit(APIC_INTERRUPT_REQUEST_BASE, vector)
                if level:
                    self._set_bit(APIC_TRIGGER_MODE_BASE, vector)
                else:
                    self._clear_bit(APIC_TRIGGER_MODE_BASE, vector)
        elif mode == SMI and not self.pendingSmi:
            self.pendingUnmaskableInt = self.pendingSmi = True
            self.smiVector = vector
        elif mode == NMI and not self.pendingNmi:
            self.pendingUnmaskableInt = self.pendingNmi = True
            self.nmiVector = vector
        elif mode == EXTINT and not self.pendingExtInt:
            self.pendingExtInt = True
            self.extIntVector = vector
        elif mode == INIT and not self.pendingInit:
            self.pendingUnmaskableInt = self.pendingInit = True
            self.initVector = vector
        elif mode == SIPI and not self.pendingStartup and not self.startedUp:
            self.pendingUnmaskableInt = self.pendingStartup = True
            self.startupVector = vector
        if self.cpu is not None:
            self.cpu.wakeup(0)

    def raiseInterruptPin(self, number: int) -> None:
        entry = self.regs[APIC_LVT_LINT0 if number == LINT0 else APIC_LVT_LINT1]
        if debug.flags.LocalApic:
            debug.dprintf(self, "Raised wired interrupt pin LINT%d.", number)
        if entry & LVT_MASKED:
            if debug.flags.LocalApic:
                debug.dprintf(self, "The interrupt was masked.")
            return
        mode = (entry >> 8) & 7
        if mode == EXTINT:
            # the vector comes from the 8259 at the INTA cycle (getInterrupt)
            self.pendingExtInt = True
            if self.cpu is not None:
                self.cpu.wakeup(0)
        elif mode == NMI:
            self.requestInterrupt(NMI_VECTOR, NMI, False)
        else:
            self.requestInterrupt(entry & 0xFF, mode, bool(entry & LVT_LEVEL))

    def lowerInterruptPin(self, number: int) -> None:
        if debug.flags.LocalApic:
            debug.dprintf(self, "Lowered wired interrupt pin LINT%d.", number)
        entry = self.regs[APIC_LVT_LINT0 if number == LINT0 else APIC_LVT_LINT1]
        if number == LINT0 and (entry >> 8) & 7 == EXTINT:
            self.pendingExtInt = False  # the 8259's output is a level

    # -- inter-processor interrupts -----------------------------------------------------------
    def _apics(self) -> list[X86LocalApic]:
        """Every local APIC of the system, by context id (the APIC of each context's CPU)."""
        system = self.system if self.system is not None else getattr(self.cpu, "system", None)
        threads = getattr(system, "threads", None) or []
        out = []
        for tc in threads:
            ic = tc.cpu.interrupts if tc is not None else None
            if ic is not None:
                out.append(ic)
        return out or [self]

    def _send_ipi(self, low: int) -> None:
        vector, mode = low & 0xFF, (low >> 8) & 7
        logical, trigger = bool(low & (1 << 11)), bool(low & (1 << 15))
        shorthand = (low >> 18) & 3
        dest = (self.regs[APIC_INTERRUPT_COMMAND_HIGH] >> 24) & 0xFF
        if mode == LOWEST_PRIORITY:
            raise SimulationError(
                "Lowest priority delivery mode IPIs aren't implemented.", self.name()
            )
        if mode == INIT and not (low & (1 << 14)) and trigger:
            return  # an INIT level de-assert: only synchronises arbitration IDs
        apics = self._apics()
        if shorthand == 1:
            targets = [self]
        elif shorthand == 2:
            targets = apics
        elif shorthand == 3:
            targets = [a for a in apics if a is not self]
        elif logical:
            targets = [a for a in apics if a._logical_match(dest)]
        elif dest == 0xFF:
            targets = apics
        else:
            targets = [a for a in apics if a.apic_id() == dest]
        if debug.flags.LocalApic:
            debug.dprintf(
                self,
                "IPI %s vector %#x to %s",
                DELIVERY_NAMES.get(mode, "reserved"),
                vector,
                ", ".join(str(a.apic_id()) for a in targets) or "nobody",
            )
        for target in targets:
            target.requestInterrupt(vector, mode, trigger)

    def _logical_match(self, dest: int) -> bool:
        """The flat model: a bit of the destination in this APIC's logical ID; the cluster
        model (DFR bits 31:28 = 0) compares the cluster and then the bits."""
        ldr = (self.regs[APIC_LOGICAL_DESTINATION] >> 24) & 0xFF
        if (self.regs[APIC_DESTINATION_FORMAT] >> 28) == 0xF:
            return bool(ldr & dest)
        return (ldr >> 4) == (dest >> 4) and bool(ldr & dest & 0xF)

    # -- the CPU's side ------------------------------------------------------------------------
    def _fixed_pending(self) -> bool:
        irrv = self.IRRV
        return irrv > self.ISRV and (irrv >> 4) > (self.regs[APIC_TASK_PRIORITY] >> 4)

    def checkInterrupts(self) -> bool:
        """Is an interrupt waiting? (The CPU itself checks RFLAGS.IF and shadows.)"""
        if self.wait_for_sipi:
            return False
        return self.pendingNmi or self.pendingSmi or self.pendingExtInt or self._fixed_pending()

    def hasPendingNmi(self) -> bool:
        return self.pendingNmi and not self.wait_for_sipi

    def has_init_sipi(self) -> bool:
        return self.pendingInit or self.pendingStartup

    def take_init_sipi(self) -> tuple[str, int] | None:
        """An INIT or startup IPI for the CPU to act on now: ("init", 0), ("startup",
        vector) or None. A startup IPI counts only while the thread waits for one."""
        if self.pendingInit:
            self.pendingInit = False
            self.startedUp = False
            self.wait_for_sipi = True
            self._update_unmaskable()
            return ("init", self.initVector)
        if self.pendingStartup:
            self.pendingStartup = False
            self._update_unmaskable()
            if not self.wait_for_sipi:
                return None
            self.startedUp = True
            self.wait_for_sipi = False
            return ("startup", self.startupVector)
        return None

    def _update_unmaskable(self) -> None:
        self.pendingUnmaskableInt = (
            self.pendingSmi or self.pendingNmi or self.pendingInit or self.pendingStartup
        )

    def getInterrupt(self) -> int:
        """The vector to deliver now, taken (gem5's getInterrupt and updateIntrInfo): an
        NMI first, then the 8259's (an INTA cycle through LINT0), then the IRR's highest."""
        if self.pendingNmi:
            self.pendingNmi = False
            self._update_unmaskable()
            return self.nmiVector or NMI_VECTOR
        if self.pendingExtInt:
            # the 8259 lowers its output at the INTA cycle and raises it again if
            # another request waits: pendingExtInt follows the line
            vector = self.lint0.acknowledge()
            if debug.flags.LocalApic:
                debug.dprintf(self, "ExtINT vector %#x", vector)
            return vector
        vector = self.IRRV
        if debug.flags.LocalApic:
            debug.dprintf(self, "Interrupt %d sent to core.", vector)
        self.ISRV = vector
        self._set_bit(APIC_IN_SERVICE_BASE, vector)
        self._clear_bit(APIC_INTERRUPT_REQUEST_BASE, vector)
        self.IRRV = self._msb(APIC_INTERRUPT_REQUEST_BASE)
        return vector

    def updateIntrInfo(self) -> None:
        """gem5 calls this after getInterrupt; getInterrupt has already taken it here."""

    # -- checkpoint (gem5's keys, src/arch/x86/interrupts.cc) ------------------------------------
    def serialize(self, section) -> None:
        section["regs"] = list(self.regs)
        section["pendingSmi"] = self.pendingSmi
        section["smiVector"] = self.smiVector
        section["pendingNmi"] = self.pendingNmi
        section["nmiVector"] = self.nmiVector
        section["pendingExtInt"] = self.pendingExtInt
        section["extIntVector"] = self.extIntVector
        section["pendingInit"] = self.pendingInit
        section["initVector"] = self.initVector
        section["pendingStartup"] = self.pendingStartup
        section["startupVector"] = self.startupVector
        section["startedUp"] = self.startedUp
        section["pendingUnmaskableInt"] = self.pendingUnmaskableInt
        section["pendingIPIs"] = self.pendingIPIs
        section["IRRV"] = self.IRRV
        section["ISRV"] = self.ISRV
        ev = self.apicTimerEvent
        section["apicTimerEventScheduled"] = ev.scheduled()
        section["apicTimerEventTick"] = ev.when() if ev.scheduled() else 0
        section["waitForSipi"] = self.wait_for_sipi

    def unserialize(self, section) -> None:
        self._restored = True
        regs = section.get_ints("regs") if "regs" in section else None
        if regs is not None and len(regs) == NUM_APIC_REGS:
            self.regs = [int(r) & 0xFFFFFFFF for r in regs]
            if self.apic_id() == 0 and self.initialApicId() != 0:
                self.regs[APIC_ID] = self.initialApicId() << 24
        for key in (
            "pendingSmi",
            "pendingNmi",
            "pendingExtInt",
            "pendingInit",
            "pendingStartup",
            "startedUp",
            "pendingUnmaskableInt",
        ):
            if key in section:
                setattr(self, key, section.get_bool(key))
        for key in (
            "smiVector",
            "nmiVector",
            "extIntVector",
            "initVector",
            "startupVector",
            "pendingIPIs",
            "IRRV",
            "ISRV",
        ):
            if key in section:
                setattr(self, key, section.get_int(key, 0, 2**31))
        self.wait_for_sipi = section.get("waitForSipi", "false") == "true"
        ev = self.apicTimerEvent
        if ev.scheduled():
            self.eventq.deschedule(ev)
        if "apicTimerEventScheduled" in section and section.get_bool("apicTimerEventScheduled"):
            self.eventq.schedule(ev, section.get_int("apicTimerEventTick", 0))
