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
            "lint0": self.lint0, "lint1": self.lint1, "pio": self.pio,
            "int_requestor": self.int_requestor, "int_master": self.int_requestor,
            "int_responder": self.int_responder, "int_slave": self.int_responder,
        }  # fmt: skip
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
    def serialize(self, section) -> None:
        section["ext_int_pending"] = self.ext_int_pending
        section["nmi_pending"] = self.nmi_pending

    def unserialize(self, section) -> None:
        self.ext_int_pending = section.get_bool("ext_int_pending")
        self.nmi_pending = section.get_bool("nmi_pending")
