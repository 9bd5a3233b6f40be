"""X86AtomicSimpleCPU: the reference CPU model (gem5's AtomicSimpleCPU role) on the engine.

It runs in slices on the event queue: each tick runs up to (next event - now) /
clock period instructions (and never past an instruction-count event), so
simulated time is instructions x clock period plus what the devices charge.
Port I/O and MMIO go out as atomic packets on the data port; m5ops at
`system.m5ops_base` go to `simobjs.sim.pseudo_inst.pseudo_inst`. HLT suspends the
thread until the interrupt controller wakes it; interrupts are delivered
through the guest IDT. Between slices the CPU is always drained.

With caches below its ports (gem5's atomic mode with caches), or always for
the timing CPU that extends this class, the memory system below the ports is
compiled into C (`simobjs.mem.memsys`) and the engine's hooks drive it: then
a slice is bounded by time (no instruction starts at or after the next
event) and the C model keeps the time of the instruction in progress.
"""

from __future__ import annotations

from simobjs.arch.x86.interrupts import APIC_BASE, APIC_PAGE
from simobjs.arch.x86.serialize import serialize_thread, unserialize_thread
from simobjs.arch.x86.state import GPR_NAMES, X86State
from simobjs.cpu.base import BaseCPU, Status, access_failure
from simobjs.cpu.reference.engine import ReferenceEngine, StopInfo
from simobjs.cpu.reference.regs import GPR_IDS
from simobjs.errors import SimulationError
from simobjs.mem.memsys.compile import CpuMemory
from simobjs.mem.packet import MemCmd, Packet
from simobjs.sim import debug
from simobjs.sim.drain import DrainState
from simobjs.sim.eventq import EventFunctionWrapper, Priority
from simobjs.sim.model import Params
from simobjs.sim.pseudo_inst import m5op_func, pseudo_inst

# simobjs.se.layout.SYSCALL_PORT and FAULT_PORT, as port I/O addresses
SE_ADDRESSES = {0x8000000000000000 | 0x5E: "stub-syscall", 0x8000000000000000 | 0x5F: "fault"}
MAX_SLICE = 20_000_000  # instructions per tick at most, so the host stays responsive
SMP_QUANTUM = 2000  # instructions a CPU runs before the next CPU of the system takes its turn
APIC_END = APIC_BASE + APIC_PAGE
BLOCKED_IRQ_SLICE = 256  # while an interrupt waits for IF, look again this often


class X86AtomicSimpleCPU(BaseCPU):
    """The exact x86-64 reference CPU (memory mode "atomic")."""

    _memory_mode = "atomic"
    timing = False  # the timing CPU's accesses take their latency; atomic ones one cycle

    def __init__(self, params: Params):
        super().__init__(params)
        self.engine: ReferenceEngine | None = None
        self.memory: CpuMemory | None = None  # the compiled memory system, when in use
        self._memory_stale = True  # the port bindings changed since the last compile
        self._resume_at = 0  # where a drained slice ended (compiled memory system)
        self._state = X86State()
        self._io_ticks = 0
        self._slice_start = 0
        self._m5op: int | None = None
        self._se_call: str | None = None  # SE mode: "syscall" or "fault", done at commit
        self._pending: tuple[int, int, bool] | None = None
        self._suspend_tick = 0
        self.tickEvent = EventFunctionWrapper(
            self.tick, self.name() + ".tickEvent", Priority.CPU_Tick
        )
        self.commitEvent = EventFunctionWrapper(
            self._run_commit, self.name() + ".commitEvent", Priority.CPU_Tick
        )

    # -- the engine ------------------------------------------------------------------------
    def _engine(self) -> ReferenceEngine:
        if self._memory_stale:
            self._compile_memory()
        if self.engine is None:
            rams = self._rams()
            self.engine = ReferenceEngine(
                rams, self._io_read, self._io_write, instrument=self.memory
            )
            self.engine.syscall_exits = self.se is not None
            self.engine.load_state(self._state)
        return self.engine

    def _rams(self) -> list:
        rams = self.system.rams() if self.system is not None else []
        if not rams:
            raise SimulationError("the reference CPU needs guest RAM in its system", self.name())
        return rams

    def _stalls(self) -> tuple[bool, bool]:
        """(simulate_inst_stalls, simulate_data_stalls) of gem5's atomic CPU."""
        return bool(self.params.simulate_inst_stalls), bool(self.params.simulate_data_stalls)

    def _compile_memory(self) -> None:
        """Compile the memory system below the ports (atomic CPU: only when it has caches).

        A change between "compiled" and "not" (new port bindings) rebuilds the engine,
        whose hooks depend on it."""
        self._memory_stale = False
        if self.icache_port.peer is None or self.dcache_port.peer is None:
            return  # not wired (a switched-out CPU): compiled when it takes over
        mem = self.memory
        if mem is None:
            inst_stalls, data_stalls = self._stalls() if not self.timing else (False, False)
            line = self.system.cache_line_size if self.system is not None else 64
            mem = CpuMemory(
                period=self.clockPeriod(),
                timing=self.timing,
                inst_rq=self.instRequestorId,
                data_rq=self.dataRequestorId,
                line_size=line,
                inst_stalls=inst_stalls,
                data_stalls=data_stalls,
            )
        mem.compile(self.icache_port, self.dcache_port, self._rams())
        wanted = mem if (self.timing or mem.has_cache) else None
        if wanted is not self.memory and self.engine is not None:
            self._state = self.engine.save_state()
            self.engine.close()
            self.engine = None
        self.memory = wanted

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
            self.eventq.woken()

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
        if self.se is not None and self.se.kernel.attention.get(self.se.context):
            self.se.kernel.before_run(self.se)  # SE: a signal or another thread first
            if self.thread.status() != Status.Active:
                return
        if self.initSipiDue():
            if self.serviceInitSipi():
                return  # waiting for a startup IPI: suspended
        eng = self._engine()
        blocked = self._offer_interrupt(eng)
        period = self.clockPeriod()
        now = self.curTick()
        siblings = self._sibling_events()
        if siblings:
            # several CPUs: each runs a quantum of instructions in turn
            nxt = self._next_tick_but(siblings)
            limit = SMP_QUANTUM
        else:
            nxt = self.eventq.nextTick()
            limit = MAX_SLICE
        # an event due now (after this tick in the queue's order) runs before any instruction
        budget = 0 if nxt <= now else min(limit, max(1, (nxt - now) // period))
        budget = min(budget, BLOCKED_IRQ_SLICE if blocked else MAX_SLICE)
        until_event = self.instsUntilNextEvent()
        if until_event is not None:
            budget = min(budget, until_event)
        self._io_ticks = 0
        self._slice_start = now
        mem = self.memory
        if mem is not None:
            mem.begin(now, nxt)  # no instruction starts at or after the next event
        try:
            stop = eng.run(budget) if budget else StopInfo("count", 0, eng.rip)
        except Exception as e:  # noqa: BLE001 - a device (or the bus) failed: end the run
            self._fail_access(eng, e)
        n = stop.instructions
        if debug.flags.RefCPU:
            debug.dprintf(self, "ran %d instructions, stop %s at rip %#x", n, stop.reason, stop.rip)
        if mem is not None:
            end = mem.end()
            last, cycles = (mem.last_start() if n else now), (end - now) // period
            end = max(end, now + period)
        else:
            last, cycles = now + max(n - 1, 0) * period, n
            end = now + max(n, 1) * period + self._io_ticks
            end += (-end) % period
        if stop.reason in ("triple-fault", "error"):
            self._commit(n, cycles, None)
            self.guestFault(f"reference CPU: {stop.reason}: {stop.detail}", stop.dump)
        halt = stop.reason == "halt" and not self._wakes_at_once(eng)
        if stop.reason == "syscall":
            self._se_call = "syscall"
        self._pending = (n, cycles, halt)
        if not halt:
            self.schedule(self.tickEvent, end)
        # an access may have moved the clock past the instruction's start (a second access
        # in the same instruction is charged after the first one's latency), even to the
        # slice's end: scheduled after the tick, the commit runs first in a tie
        self.schedule(self.commitEvent, max(last, self.curTick()))

    # -- several CPUs on one queue (SMP) ---------------------------------------------------------
    def _sibling_events(self) -> frozenset:
        """The tick and commit events of the other reference CPUs running in this system
        (none while they wait: then this CPU runs as the only one)."""
        threads = getattr(self.system, "threads", None) or ()
        if len(threads) < 2:
            return frozenset()
        out = []
        for tc in threads:
            cpu = tc.cpu if tc is not None else None
            if (
                cpu is not self
                and isinstance(cpu, X86AtomicSimpleCPU)
                and (cpu.tickEvent.scheduled() or cpu.commitEvent.scheduled())
            ):
                out += (cpu.tickEvent, cpu.commitEvent)
        return frozenset(out)

    def _next_tick_but(self, skip: frozenset) -> int:
        """When the next event that is none of `skip` is due (MaxTick if none)."""
        return self.eventq.nextTickExcept(skip)

    def _run_commit(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._commit(*pending)

    def _commit(self, n: int, cycles: int, halt: bool | None) -> None:
        self.numCycles += cycles
        m5op, self._m5op = self._m5op, None
        if m5op is not None:
            if debug.flags.M5Ops:
                debug.dprintf(self, "m5op %#x", m5op)
            result = pseudo_inst(self.thread, m5op)
            if result is not None and self.engine is not None:
                self.write_reg("rax", int(result))
        self.countInsts(n)
        se_call, self._se_call = self._se_call, None
        if se_call is not None:
            self._se_service(se_call)
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
            space = (
                f"port I/O {kind} of {size} bytes at port {addr & 0xFFFF:#x}"
                if addr >> 63
                else f"MMIO {kind} of {size} bytes at {addr:#x}"
            )
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
        mem = self.memory
        if mem is not None:
            # an instruction may outlast the slice's bound (a miss): its device access
            # then happens at the next event's tick at the latest, never past it
            when = min(mem.now, self.eventq.nextTick())
        else:
            when = (
                self._slice_start
                + (int(eng.counter.count) - 1) * self.clockPeriod()
                + self._io_ticks
            )
            # with several CPUs a quantum may run past another CPU's tick: the access then
            # happens at that tick (the quantum's error, deterministic)
            when = min(when, self.eventq.nextTick())
        if when > self.eventq.now:
            self.eventq.advance_to(when)
        eng.request_stop()

    def _charge(self, ticks: int) -> None:
        """Time an I/O access took, added to the instruction that made it."""
        if self.memory is not None:
            self.memory.charge(ticks)
        else:
            self._io_ticks += ticks

    def _io_read(self, addr: int, size: int) -> int:
        self._at_access()
        if APIC_BASE <= addr < APIC_END and self.interrupts is not None:
            self._charge(self.interrupts.pio_latency)  # this CPU's local APIC
            return self.interrupts.access(addr - APIC_BASE, size, False)
        if self._is_m5op(addr):
            return 0  # the result goes to RAX when the instruction commits
        pkt = Packet(MemCmd.ReadReq, addr, size, None, self.name())
        self._charge(self.dataPort.sendAtomic(pkt))
        return pkt.get_uint()

    def _io_write(self, addr: int, size: int, value: int) -> None:
        self._at_access()
        if self.se is not None and addr in SE_ADDRESSES:
            # an SE stub (a thread moved here from KVM in the entry stub, or a fault):
            # the kernel takes it at commit
            self._se_call = SE_ADDRESSES[addr]
            return
        if APIC_BASE <= addr < APIC_END and self.interrupts is not None:
            self._charge(self.interrupts.pio_latency)
            self.interrupts.access(addr - APIC_BASE, size, True, value)
            return
        if self._is_m5op(addr):
            return
        pkt = Packet(MemCmd.WriteReq, addr, size, value.to_bytes(size, "little"), self.name())
        self._charge(self.dataPort.sendAtomic(pkt))

    def _is_m5op(self, addr: int) -> bool:
        func = m5op_func(addr, self.system.m5ops_base)
        if func is None:
            return False
        self._m5op = func  # performed at commit, the thread just past it
        self._charge(self.clockPeriod())
        return True

    # -- SE mode (simobjs.se): the SE workload sets `se` (an SeThread) -------------------------
    se = None

    def attach_se(self, se) -> None:
        """Run an SE process: SYSCALL stops the engine and goes to `se.kernel`."""
        self.se = se
        if self.engine is not None:
            self.engine.syscall_exits = True

    def _se_service(self, call: str) -> None:
        se = self.se
        if call == "syscall":
            se.enter_syscall()
            se.kernel.syscall(se)
        elif call == "stub-syscall":
            se.kernel.syscall(se)
        else:
            se.kernel.fault(se)

    # -- drain, switching, checkpoints ----------------------------------------------------------
    def drain(self) -> DrainState:
        if self.commitEvent.scheduled():
            self.eventq.deschedule(self.commitEvent)
        self._run_commit()
        self._resume_at = 0
        if self.tickEvent.scheduled():
            if self.memory is not None:
                # the last instruction's accesses end then: resuming here keeps that time
                self._resume_at = self.tickEvent.when()
            self.eventq.deschedule(self.tickEvent)
        return DrainState.Drained

    def drainResume(self) -> None:
        if self.switchedOut() or self.tickEvent.scheduled():
            return
        self.verifyMemoryMode()
        if self.thread.status() == Status.Active:
            self.schedule(self.tickEvent, max(self.nextCycle(), self._resume_at))

    def switchOut(self) -> None:
        super().switchOut()
        if self.tickEvent.scheduled():
            raise SimulationError(
                "switchOut() of a reference CPU that was not drained", self.name()
            )
        self._memory_stale = True

    def takeOverFrom(self, old) -> None:
        super().takeOverFrom(old)
        self._memory_stale = True  # the ports now lead where the old CPU's did

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
