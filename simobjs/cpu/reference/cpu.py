"""X86AtomicSimpleCPU: the reference CPU model (gem5's AtomicSimpleCPU role) on the engine.

It runs in slices on the event queue: each tick runs up to (next event - now) /
clock period instructions (and never past an instruction-count event), so
simulated time is instructions x clock period plus what the devices charge.
Port I/O and MMIO go out as atomic packets on the data port; m5ops at
`system.m5ops_base` go to `simobjs.sim.pseudo_inst.pseudo_inst`. HLT suspends the
thread until the interrupt controller wakes it; interrupts are delivered
through the guest IDT. Between slices the CPU is always drained.
"""

from __future__ import annotations

from simobjs.arch.x86.serialize import serialize_thread, unserialize_thread
from simobjs.arch.x86.state import GPR_NAMES, X86State
from simobjs.cpu.base import BaseCPU, Status, access_failure
from simobjs.cpu.reference.engine import ReferenceEngine, StopInfo
from simobjs.cpu.reference.regs import GPR_IDS
from simobjs.errors import SimulationError
from simobjs.mem.packet import MemCmd, Packet
from simobjs.sim import debug
from simobjs.sim.drain import DrainState
from simobjs.sim.eventq import EventFunctionWrapper, Priority
from simobjs.sim.model import Params
from simobjs.sim.pseudo_inst import m5op_func, pseudo_inst

MAX_SLICE = 20_000_000  # instructions per tick at most, so the host stays responsive
BLOCKED_IRQ_SLICE = 256  # while an interrupt waits for IF, look again this often


class X86AtomicSimpleCPU(BaseCPU):
    """The exact x86-64 reference CPU (memory mode "atomic")."""

    _memory_mode = "atomic"

    def __init__(self, params: Params):
        super().__init__(params)
        self.engine: ReferenceEngine | None = None
        self._state = X86State()
        self._io_ticks = 0
        self._slice_start = 0
        self._m5op: int | None = None
        self._pending: tuple[int, bool] | None = None
        self._suspend_tick = 0
        self.tickEvent = EventFunctionWrapper(
            self.tick, self.name() + ".tickEvent", Priority.CPU_Tick
        )
        self.commitEvent = EventFunctionWrapper(
            self._run_commit, self.name() + ".commitEvent", Priority.CPU_Tick
        )

    # -- the engine ------------------------------------------------------------------------
    def _engine(self) -> ReferenceEngine:
        if self.engine is None:
            rams = self.system.rams() if self.system is not None else []
            if not rams:
                raise SimulationError(
                    "the reference CPU needs guest RAM in its system", self.name()
                )
            self.engine = ReferenceEngine(rams, self._io_read, self._io_write)
            self.engine.load_state(self._state)
        return self.engine

    def close(self) -> None:
        if self.engine is not None:
            self._state = self.engine.save_state()
            self.engine.close()
            self.engine = None

    # -- state -------------------------------------------------------------------------------
    def get_state(self, tid: int = 0) -> X86State:
        if self.engine is not None:
            return self.engine.save_state()
        return self._state.copy()

    def set_state(self, state: X86State, tid: int = 0) -> None:
        self._state = state.copy()
        if self.engine is not None:
            self.engine.load_state(self._state)

    def read_reg(self, name: str, tid: int = 0) -> int:
        if self.engine is not None and name in GPR_NAMES:
            return self.engine.reg(GPR_IDS[GPR_NAMES.index(name)])
        if self.engine is not None and name == "rip":
            return self.engine.rip
        state = self.get_state(tid)
        return state.reg(name) if name in GPR_NAMES else getattr(state, name)

    def write_reg(self, name: str, value: int, tid: int = 0) -> None:
        value &= 0xFFFFFFFFFFFFFFFF
        if self.engine is not None and name in GPR_NAMES:
            self.engine.uc.reg_write(GPR_IDS[GPR_NAMES.index(name)], value)
            return
        state = self.get_state(tid)
        if name in GPR_NAMES:
            state.set_reg(name, value)
        else:
            setattr(state, name, value)
        self.set_state(state, tid)

    # -- activity ----------------------------------------------------------------------------
    def activateContext(self, tid: int = 0) -> None:
        super().activateContext(tid)
        now = self.curTick()
        if now > self._suspend_tick:
            self.numCycles += self.ticksToCycles(now - self._suspend_tick)
            self._suspend_tick = now
        if not self.tickEvent.scheduled():
            self.schedule(self.tickEvent, self.clockEdge(0))

    def _stop(self) -> None:
        self._suspend_tick = self.curTick()
        if self.tickEvent.scheduled():
            self.eventq.deschedule(self.tickEvent)

    def verifyMemoryMode(self) -> None:
        if self.system is not None and not self.system.isAtomicMode():
            raise SimulationError(
                "The atomic CPU requires the memory system to be in 'atomic' mode.", self.name()
            )

    # -- the tick ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Run one slice now; its last instruction is committed (counted, its m5op
        performed, its HLT taken) one period before the slice's time is up."""
        if self.thread.status() != Status.Active:
            return
        eng = self._engine()
        blocked = self._offer_interrupt(eng)
        period = self.clockPeriod()
        nxt = self.eventq.nextTick()
        now = self.curTick()
        # an event due now (after this tick in the queue's order) runs before any instruction
        budget = 0 if nxt <= now else min(MAX_SLICE, max(1, (nxt - now) // period))
        budget = min(budget, BLOCKED_IRQ_SLICE if blocked else MAX_SLICE)
        until_event = self.instsUntilNextEvent()
        if until_event is not None:
            budget = min(budget, until_event)
        self._io_ticks = 0
        self._slice_start = now
        try:
            stop = eng.run(budget) if budget else StopInfo("count", 0, eng.rip)
        except Exception as e:  # noqa: BLE001 - a device (or the bus) failed: end the run
            self._fail_access(eng, e)
        n = stop.instructions
        if debug.flags.RefCPU:
            debug.dprintf(self, "ran %d instructions, stop %s at rip %#x", n, stop.reason, stop.rip)
        if stop.reason in ("triple-fault", "error"):
            self._commit(n, None)
            self.guestFault(f"reference CPU: {stop.reason}: {stop.detail}", stop.dump)
        halt = stop.reason == "halt" and not self._wakes_at_once(eng)
        self._pending = (n, halt)
        # an access may have moved the clock past the instruction's start (a second access
        # in the same instruction is charged after the first one's latency)
        self.schedule(self.commitEvent, max(now + max(n - 1, 0) * period, self.curTick()))
        if not halt:
            end = now + max(n, 1) * period + self._io_ticks
            self.schedule(self.tickEvent, end + (-end) % period)

    def _run_commit(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._commit(*pending)

    def _commit(self, n: int, halt: bool | None) -> None:
        self.numCycles += n
        m5op, self._m5op = self._m5op, None
        if m5op is not None:
            if debug.flags.M5Ops:
                debug.dprintf(self, "m5op %#x", m5op)
            result = pseudo_inst(self.thread, m5op)
            if result is not None and self.engine is not None:
                self.write_reg("rax", int(result))
        self.countInsts(n)
        if halt and self.thread.status() == Status.Active:
            if self.engine is not None and self._wakes_at_once(self.engine):
                # raised between the slice and now: its wakeup found the thread active
                if not self.tickEvent.scheduled():
                    self.schedule(self.tickEvent, self.clockEdge(1))
            else:
                self.thread.suspend()

    def _offer_interrupt(self, eng: ReferenceEngine) -> bool:
        """Deliver a pending interrupt if the guest takes it now; True if one is blocked."""
        ic = self.interrupts
        if ic is None or not ic.checkInterrupts():
            return False
        if not eng.can_take_interrupt():
            return True
        vector = _vector_of(ic.getInterrupt())
        update = getattr(ic, "updateIntrInfo", None)
        if update is not None:
            update()
        if debug.flags.RefCPU:
            debug.dprintf(self, "delivering interrupt %#x", vector)
        eng.deliver_interrupt(vector)
        return False

    def _wakes_at_once(self, eng: ReferenceEngine) -> bool:
        ic = self.interrupts
        return ic is not None and ic.checkInterrupts() and eng.can_take_interrupt()

    def guestFault(self, message: str, dump: str, cause: BaseException | None = None) -> None:
        self._stop()
        rip = self.engine.rip if self.engine is not None else None
        self.raiseGuestFault(message, dump, rip, cause)

    def _fail_access(self, eng: ReferenceEngine, exc: Exception) -> None:
        """An I/O access raised inside the engine: a guest fault naming the whole access
        (Unicorn may have split it), with the dump, as on the KVM CPU."""
        access = eng.failed_access
        if access is None:
            what, size = "instruction", None
        else:
            kind, addr, size = access
            space = f"port I/O {kind} of {size} bytes at port {addr & 0xFFFF:#x}" if addr >> 63 \
                else f"MMIO {kind} of {size} bytes at {addr:#x}"  # fmt: skip
            what = space
        try:
            dump = eng.dump()
        except Exception as e:  # noqa: BLE001 - the dump must not hide the fault
            dump = f"(no register dump: {type(e).__name__}: {e})"
        self.guestFault(f"reference CPU: {access_failure(what, exc, size)}", dump, exc)

    # -- I/O (called from inside the engine's run) ---------------------------------------------
    def _at_access(self) -> None:
        """Move time to the accessing instruction and end the slice after it.

        No event lies inside a slice (its budget stops at the next one), so the
        clock may advance to the access; the device may then schedule events
        the next slice respects."""
        eng = self.engine
        when = (
            self._slice_start + (int(eng.counter.count) - 1) * self.clockPeriod() + self._io_ticks
        )
        if when > self.eventq.now:
            self.eventq.advance_to(when)
        eng.request_stop()

    def _io_read(self, addr: int, size: int) -> int:
        self._at_access()
        if self._is_m5op(addr):
            return 0  # the result goes to RAX when the instruction commits
        pkt = Packet(MemCmd.ReadReq, addr, size, None, self.name())
        self._io_ticks += self.dataPort.sendAtomic(pkt)
        return pkt.get_uint()

    def _io_write(self, addr: int, size: int, value: int) -> None:
        self._at_access()
        if self._is_m5op(addr):
            return
        pkt = Packet(MemCmd.WriteReq, addr, size, value.to_bytes(size, "little"), self.name())
        self._io_ticks += self.dataPort.sendAtomic(pkt)

    def _is_m5op(self, addr: int) -> bool:
        func = m5op_func(addr, self.system.m5ops_base)
        if func is None:
            return False
        self._m5op = func  # performed at commit, the thread just past it
        self._io_ticks += self.clockPeriod()
        return True

    # -- drain, switching, checkpoints ----------------------------------------------------------
    def drain(self) -> DrainState:
        if self.commitEvent.scheduled():
            self.eventq.deschedule(self.commitEvent)
        self._run_commit()
        if self.tickEvent.scheduled():
            self.eventq.deschedule(self.tickEvent)
        return DrainState.Drained

    def drainResume(self) -> None:
        if self.switchedOut() or self.tickEvent.scheduled():
            return
        self.verifyMemoryMode()
        if self.thread.status() == Status.Active:
            self.schedule(self.tickEvent, self.nextCycle())

    def switchOut(self) -> None:
        super().switchOut()
        if self.tickEvent.scheduled():
            raise SimulationError(
                "switchOut() of a reference CPU that was not drained", self.name()
            )

    def serializeThread(self, section, tid: int) -> None:
        serialize_thread(self.get_state(tid), section, self._isa_section(section))

    def unserializeThread(self, section, tid: int) -> None:
        self.set_state(unserialize_thread(section, self._isa_section(section)), tid)

    def _isa_section(self, section):
        return section.cp.section(f"{self.name()}.isa")

    def dump(self) -> str:
        from simobjs.cpu.reference.regs import dump

        return dump(self.get_state())


def _vector_of(intr) -> int:
    if isinstance(intr, int):
        return intr
    vector = getattr(intr, "vector", None)
    if vector is None and hasattr(intr, "getVector"):
        vector = intr.getVector()
    if vector is None:
        raise SimulationError(f"reference CPU: unknown interrupt type {type(intr).__name__}")
    return int(vector)
