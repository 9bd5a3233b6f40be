"""The CPU's interrupt controller (gem5's X86ISA::Interrupts, the local APIC), reduced to
what a PC with an 8259 needs: LINT0 carries the 8259's output (ExtINT), LINT1 an NMI.

The CPU asks `checkInterrupts()` and takes a vector with `getInterrupt()` (an INTA
cycle through lint0); raising a line wakes the CPU. The APIC register page and
inter-processor interrupts are not modelled.
"""

from __future__ import annotations

from simobjs.dev.intpin import IntSinkPin
from simobjs.errors import SimulationError
from simobjs.sim import debug
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.port import RequestPort, ResponsePort

LINT0, LINT1 = 0, 1
NMI_VECTOR = 2

# gem5's ApicRegIndex (src/arch/x86/regs/apic.hh): the indices of `regs`
APIC_ID, APIC_VERSION = 0, 1
APIC_DESTINATION_FORMAT, APIC_SPURIOUS_INTERRUPT_VECTOR = 7, 8
APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERFMON = 60, 61, 62
APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR = 63, 64, 65
NUM_APIC_REGS = 70
LVT_MASKED = 1 << 16
DELIVERY_NMI, DELIVERY_EXTINT = 4, 7


class X86LocalApic(ClockedModel):
    def __init__(self, params: Params):
        super().__init__(params)
        self.cpu = None
        self.lint0 = IntSinkPin("lint0", self, number=LINT0)
        self.lint1 = IntSinkPin("lint1", self, number=LINT1)
        self.ext_int_pending = False  # the level of LINT0
        self.nmi_pending = False
        self.pio = ResponsePort("pio", self, self._no_access, lambda: [])
        self.int_requestor = RequestPort("int_requestor", self)
        self.int_responder = ResponsePort("int_responder", self, self._no_access, lambda: [])

    def _no_access(self, pkt) -> int:
        raise SimulationError(
            f"the local APIC register page is not modelled ({pkt!r})", self.name()
        )

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

    def setCPU(self, cpu) -> None:
        self.cpu = cpu

    # -- lines -------------------------------------------------------------------------
    def raiseInterruptPin(self, number: int) -> None:
        if number == LINT0:
            self.ext_int_pending = True
        else:
            self.nmi_pending = True
        if debug.flags.LocalApic:
            debug.dprintf(self, "LINT%d raised", number)
        if self.cpu is not None:
            self.cpu.wakeup(0)

    def lowerInterruptPin(self, number: int) -> None:
        if number == LINT0:
            self.ext_int_pending = False  # LINT1 (NMI) is edge-triggered: it stays pending

    # -- the CPU's side ----------------------------------------------------------------
    def checkInterrupts(self) -> bool:
        """Is an interrupt waiting? (The CPU itself checks RFLAGS.IF and shadows.)"""
        return self.ext_int_pending or self.nmi_pending

    def hasPendingNmi(self) -> bool:
        return self.nmi_pending

    def getInterrupt(self) -> int:
        """The vector to deliver now: an NMI first, else the 8259's (an INTA cycle)."""
        if self.nmi_pending:
            self.nmi_pending = False
            return NMI_VECTOR
        vector = self.lint0.acknowledge()
        if debug.flags.LocalApic:
            debug.dprintf(self, "ExtINT vector %#x", vector)
        return vector

    def updateIntrInfo(self) -> None:
        """gem5 calls this after getInterrupt; the pending state is already current here."""

    # -- checkpoint --------------------------------------------------------------------
    # gem5's keys (src/arch/x86/interrupts.cc). The register page is not
    # modelled: `regs` holds what this APIC's fixed wiring amounts to (LINT0
    # unmasked in ExtINT mode, LINT1 unmasked in NMI mode, every other LVT
    # entry masked, as after gem5's reset), and is not read back.
    def apic_regs(self) -> list[int]:
        regs = [0] * NUM_APIC_REGS
        cpu = self.cpu
        apic_id = cpu.threads[0].contextId() if cpu is not None and cpu.threads else 0
        regs[APIC_ID] = apic_id << 24
        regs[APIC_VERSION] = (5 << 16) | 0x14
        regs[APIC_DESTINATION_FORMAT] = 0xFFFFFFFF
        regs[APIC_SPURIOUS_INTERRUPT_VECTOR] = 0xFF
        for lvt in (APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERFMON, APIC_LVT_ERROR):
            regs[lvt] = LVT_MASKED
        regs[APIC_LVT_LINT0] = DELIVERY_EXTINT << 8
        regs[APIC_LVT_LINT1] = DELIVERY_NMI << 8
        return regs

    def serialize(self, section) -> None:
        section["regs"] = self.apic_regs()
        section["pendingSmi"] = False
        section["smiVector"] = 0
        section["pendingNmi"] = self.nmi_pending
        section["nmiVector"] = NMI_VECTOR if self.nmi_pending else 0
        section["pendingExtInt"] = self.ext_int_pending
        section["extIntVector"] = 0  # the 8259 gives the vector at the INTA cycle
        section["pendingInit"] = False
        section["initVector"] = 0
        section["pendingStartup"] = False
        section["startupVector"] = 0
        section["startedUp"] = False
        section["pendingUnmaskableInt"] = self.nmi_pending
        section["pendingIPIs"] = 0
        section["IRRV"] = 0
        section["ISRV"] = 0
        section["apicTimerEventScheduled"] = False
        section["apicTimerEventTick"] = 0

    def unserialize(self, section) -> None:
        self.ext_int_pending = section.get_bool("pendingExtInt")
        self.nmi_pending = section.get_bool("pendingNmi")
