"""The runtime base of every CPU (gem5's BaseCPU and ThreadContext).

Subclasses implement `get_state()` / `set_state(X86State)` (and may override
`read_reg` / `write_reg` for speed), schedule their own tick in
`activateContext`, count cycles and committed instructions with
`countCycles(n)` / `countInsts(n)`, and ask `instsUntilNextEvent()` how far
they may run before an instruction-count event (gem5's comInstEventQueue).
"""

from __future__ import annotations

import heapq
import itertools
import sys
from collections.abc import Callable
from enum import IntEnum
from typing import Any, NoReturn

from simobjs.errors import (
    ConfigError,
    GuestFault,
    Problem,
    SimobjsError,
    SimulationError,
    UnmappedAccess,
)
from simobjs.sim import stats
from simobjs.sim.model import ClockedModel, Params, innermost_model
from simobjs.sim.port import Port, RequestPort
from simobjs.sim.serialize import U64_MAX

INVALID_PID = 2**64 - 1
CAUSE_MAX_INSTS = "a thread reached the max instruction count"
CAUSE_ALL_MAX_INSTS = "all threads reached the max instruction count"


WORK_ITEM_STATS = (
    ("numWorkItemsStarted", "numWorkItemsStarted", "Number of work items this cpu started"),
    ("numWorkItemsCompleted", "numWorkItemsCompleted", "Number of work items this cpu completed"),
)


class Status(IntEnum):
    """gem5's ThreadContext::Status (its integer is what checkpoints hold)."""

    Active = 0
    Suspended = 1
    Halting = 2
    Halted = 3


class InstCountQueue:
    """Events at committed-instruction counts of one thread (gem5's comInstEventQueue)."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.count = 0

    def schedule(self, at_count: int, callback: Callable[[], None]) -> None:
        heapq.heappush(self._heap, (at_count, next(self._seq), callback))

    def next_count(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def advance(self, n: int) -> None:
        self.count += n
        heap = self._heap
        while heap and heap[0][0] <= self.count:
            _, _, callback = heapq.heappop(heap)
            callback()

    def pending(self) -> list[int]:
        return sorted(c for c, _, _ in self._heap)


class ThreadContext:
    """One hardware thread: status, ids, and register access through the CPU."""

    def __init__(self, cpu: BaseCPU, tid: int = 0):
        self.cpu = cpu
        self.tid = tid
        self._status = Status.Halted
        self._context_id = -1
        self.inst_events = InstCountQueue()

    # -- ids and status ------------------------------------------------------------
    def getCpuPtr(self) -> BaseCPU:
        return self.cpu

    def getSystemPtr(self):
        return self.cpu.system

    def contextId(self) -> int:
        return self._context_id

    def setContextId(self, cid: int) -> None:
        self._context_id = cid

    def threadId(self) -> int:
        return self.tid

    def status(self) -> Status:
        return self._status

    def setStatus(self, status: Status) -> None:
        self._status = Status(status)

    def activate(self) -> None:
        self.cpu.activateContext(self.tid)

    def suspend(self) -> None:
        self.cpu.suspendContext(self.tid)

    def halt(self) -> None:
        self.cpu.haltContext(self.tid)

    # -- registers ---------------------------------------------------------------
    def getReg(self, name: str) -> int:
        return self.cpu.read_reg(name, self.tid)

    def setReg(self, name: str, value: int) -> None:
        self.cpu.write_reg(name, value, self.tid)

    readIntReg = getReg
    setIntReg = setReg

    def pcState(self) -> int:
        return self.getReg("rip")

    def save_state(self):
        return self.cpu.get_state(self.tid)

    def load_state(self, state) -> None:
        self.cpu.set_state(state, self.tid)

    # -- instruction counts -------------------------------------------------------
    def getCurrentInstCount(self) -> int:
        return self.inst_events.count

    def scheduleInstCountEvent(self, at_count: int, callback: Callable[[], None]) -> None:
        self.inst_events.schedule(at_count, callback)

    def takeOverFrom(self, old: ThreadContext) -> None:
        """Copy status, ids, pending inst-count events and the architectural state."""
        self._context_id = old._context_id
        self.load_state(old.save_state())
        self._status = old._status
        self.inst_events = old.inst_events
        old.inst_events = InstCountQueue()
        old._status = Status.Halted


def access_failure(what: str, exc: BaseException, size: int | None = None) -> str:
    """The guest-fault message for an I/O access (`what`, e.g. "MMIO read of 8 bytes at
    0x...") that raised `exc`; `size` is the whole access when the bus saw a part."""
    if isinstance(exc, UnmappedAccess):
        return f"{exc.bus}: {exc.describe(size or exc.size)}"
    if isinstance(exc, SimobjsError):
        return f"{what}: {exc}"
    device = innermost_model(exc) or "a device"
    return f"{type(exc).__name__} in {device} while handling the {what}: {exc}"


def _take_over_port(new: Port, old: Port) -> None:
    """Move the binding of `old` to `new` (gem5's Port::takeOverFrom)."""
    peer = old.peer
    if peer is None:
        return
    old.unbind()
    new.bind(peer)


class BaseCPU(ClockedModel):
    """What every CPU model shares: threads, ports, interrupts, switching, counting."""

    is_cpu = True
    _memory_mode = "invalid"
    insts_available = True  # subclasses that cannot count instructions say so
    insts_unavailable_reason = ""

    def __init__(self, params: Params):
        super().__init__(params)
        self.system = params.system
        self._cpu_id = params.cpu_id
        self.numThreads = params.numThreads
        self._switched_out = params.switched_out
        self.threads = [ThreadContext(self, t) for t in range(self.numThreads)]
        self.thread = self.threads[0]
        intr = list(params.interrupts)
        self.interrupts = intr[0] if intr else None
        self._interrupts_all = intr
        for ic in intr:
            if ic is not None and hasattr(ic, "setCPU"):
                ic.setCPU(self)
        self.icache_port = RequestPort("icache_port", self)
        self.dcache_port = RequestPort("dcache_port", self)
        self.dataPort = self.dcache_port
        self.instPort = self.icache_port
        # gem5's BaseCPU registers "<cpu>.inst" and "<cpu>.data" with its system
        register = getattr(self.system, "getRequestorId", None)
        self.instRequestorId = register(self, "inst") if register else 0
        self.dataRequestorId = register(self, "data") if register else 0
        self._pid = INVALID_PID
        self.instCnt = 0
        self._ops = 0
        self._max_any = params.max_insts_any_thread
        self._max_all = params.max_insts_all_threads

    # -- identity and modes --------------------------------------------------------
    def cpuId(self) -> int:
        return self._cpu_id

    def switchedOut(self) -> bool:
        return self._switched_out

    def memory_mode(self) -> str:
        return self.params.decl_class.memory_mode()

    def support_take_over(self) -> bool:
        return bool(self.params.decl_class.support_take_over())

    def verifyMemoryMode(self) -> None:
        """Subclasses refuse a system memory mode they cannot run in."""

    # -- ports ---------------------------------------------------------------------
    def getPort(self, name: str, index: int = -1):
        if name == "icache_port":
            return self.icache_port
        if name == "dcache_port":
            return self.dcache_port
        return super().getPort(name, index)

    # -- lifecycle -------------------------------------------------------------------
    def init(self) -> None:
        if self._max_any:
            self.scheduleInstStop(0, self._max_any, CAUSE_MAX_INSTS)
        if self._max_all:
            remaining = [self.numThreads]

            def one_done() -> None:
                remaining[0] -= 1
                if remaining[0] == 0:
                    self.sim.exitSimLoop(CAUSE_ALL_MAX_INSTS, 0)

            for tc in self.threads:
                tc.scheduleInstCountEvent(tc.getCurrentInstCount() + self._max_all, one_done)
        if not self._switched_out:
            self.registerThreadContexts()
            self.verifyMemoryMode()

    def registerThreadContexts(self) -> None:
        if self.system is None or not hasattr(self.system, "registerThreadContext"):
            return
        for tc in self.threads:
            assigned = self._cpu_id * self.numThreads + tc.tid if self._cpu_id >= 0 else -1
            tc.setContextId(self.system.registerThreadContext(tc, assigned))
        if self._cpu_id < 0:
            self._cpu_id = self.threads[0].contextId() // max(self.numThreads, 1)

    def regStats(self) -> None:
        reason = self.insts_unavailable_reason
        self.numCycles = stats.Scalar(
            self, "numCycles", "Number of cpu cycles simulated", unit=stats.Cycle
        )
        self.numInsts = stats.Scalar(
            self,
            "commitStats0.numInsts",
            "Number of instructions committed (thread level)",
            unit=stats.Count,
            available=self.insts_available,
            reason=reason,
        )
        self.numOps = stats.Scalar(
            self,
            "commitStats0.numOps",
            "Number of ops (including micro ops) committed (thread level)",
            unit=stats.Count,
            available=self.insts_available,
            reason=reason,
        )
        self.cpi = stats.Formula(
            self,
            "cpi",
            "CPI: cycles per instruction (core level)",
            lambda: stats.divide(self.numCycles.value(), self.numInsts.value()),
            unit=stats.Rate(stats.Cycle, stats.Count),
            precision=6,
            available=self.insts_available,
            reason=reason,
        )
        self.ipc = stats.Formula(
            self,
            "ipc",
            "IPC: instructions per cycle (core level)",
            lambda: stats.divide(self.numInsts.value(), self.numCycles.value()),
            unit=stats.Rate(stats.Count, stats.Cycle),
            precision=6,
            available=self.insts_available,
            reason=reason,
        )
        stats.scalars(self, WORK_ITEM_STATS, unit=stats.Count)

    # -- counting ----------------------------------------------------------------
    def countCycles(self, n: int) -> None:
        self.numCycles += n

    def workItemBegin(self) -> None:
        self.numWorkItemsStarted += 1

    def workItemEnd(self) -> None:
        self.numWorkItemsCompleted += 1

    def countInsts(self, n: int, tid: int = 0, ops: int | None = None) -> None:
        """Commit `n` instructions: stats, totals, and due instruction-count events."""
        self.instCnt += n
        self._ops += n if ops is None else ops
        num = self.__dict__.get("numInsts")
        if num is not None:
            num += n
            self.numOps += n if ops is None else ops
        self.threads[tid].inst_events.advance(n)

    def instsUntilNextEvent(self, tid: int = 0) -> int | None:
        """Instructions this thread may commit before its next count event (None: no limit)."""
        q = self.threads[tid].inst_events
        nxt = q.next_count()
        return None if nxt is None else max(0, nxt - q.count)

    def scheduleInstStop(self, tid: int, insts: int, cause: str) -> None:
        tc = self.threads[tid]
        tc.scheduleInstCountEvent(
            tc.getCurrentInstCount() + insts, lambda: self.sim.exitSimLoop(cause, 0)
        )

    def scheduleInstStopAnyThread(self, max_insts: int) -> None:
        """An exit when any thread has run `max_insts` more instructions (gem5's)."""
        for tid in range(self.numThreads):
            self.scheduleInstStop(tid, max_insts, CAUSE_MAX_INSTS)

    def totalInsts(self) -> int:
        return self.instCnt

    def totalOps(self) -> int:
        return self._ops

    # -- registers (subclasses implement get_state/set_state) ------------------------
    def get_state(self, tid: int = 0):
        raise NotImplementedError(f"{type(self).__name__}.get_state")

    def set_state(self, state, tid: int = 0) -> None:
        raise NotImplementedError(f"{type(self).__name__}.set_state")

    def read_reg(self, name: str, tid: int = 0) -> int:
        state = self.get_state(tid)
        return state.rip if name == "rip" else state.reg(name)

    def write_reg(self, name: str, value: int, tid: int = 0) -> None:
        state = self.get_state(tid)
        if name == "rip":
            state.rip = value & 0xFFFFFFFFFFFFFFFF
        else:
            state.set_reg(name, value)
        self.set_state(state, tid)

    # -- thread activity ---------------------------------------------------------------
    def activateContext(self, tid: int = 0) -> None:
        self.threads[tid].setStatus(Status.Active)

    def suspendContext(self, tid: int = 0) -> None:
        self.threads[tid].setStatus(Status.Suspended)
        self._stop()
        self.eventq.went_idle()

    def haltContext(self, tid: int = 0) -> None:
        self.threads[tid].setStatus(Status.Halted)
        self._stop()
        self.eventq.went_idle()

    def _stop(self) -> None:
        """A thread stopped (suspended or halted): the CPU stops ticking for it."""

    def raiseGuestFault(
        self, message: str, dump: str, rip: int | None, cause: BaseException | None = None
    ) -> NoReturn:
        """End the run on a guest fault, as gem5's KVM CPU does (dump, then panic): the
        register dump and one `panic:` line on stderr, the stats written, then GuestFault
        (marked reported, so the command prints nothing more)."""
        fault = GuestFault(message, self.name(), rip, dump)
        print(f"{dump}\npanic: {fault}" if dump else f"panic: {fault}", file=sys.stderr)
        sys.stderr.flush()
        fault.reported = True
        if self.sim is not None:
            self.sim.finalize()
        raise fault from cause

    def wakeup(self, tid: int = 0) -> None:
        """An interrupt arrived: a suspended thread becomes active again."""
        if self.threads[tid].status() == Status.Suspended:
            self.activateContext(tid)

    def initSipiDue(self) -> bool:
        """Must the thread act on INIT/startup IPIs (or keep waiting for one) first?"""
        ic = self.interrupts
        if ic is None or not hasattr(ic, "take_init_sipi"):
            return False
        return ic.wait_for_sipi or ic.has_init_sipi()

    def serviceInitSipi(self) -> bool:
        """Act on INIT and startup IPIs from the local APIC; True when the thread now waits
        for a startup IPI (it is suspended, and runs nothing until one comes).

        INIT leaves the thread waiting; a startup IPI starts it in the state the system's
        workload gives (`startup_state(vector, apic_id)`)."""
        ic = self.interrupts
        if ic is None or not hasattr(ic, "take_init_sipi"):
            return False
        while True:
            taken = ic.take_init_sipi()
            if taken is None:
                break
            kind, vector = taken
            if kind == "startup":
                workload = getattr(self.system, "workload", None)
                start = getattr(workload, "startup_state", None)
                if start is None:
                    raise SimulationError(
                        f"a startup IPI (vector {vector:#x}) arrived but the system's "
                        "workload does not say where application processors start",
                        self.name(),
                    )
                self.set_state(start(vector, ic.apic_id()), 0)
        if ic.wait_for_sipi:
            if self.threads[0].status() == Status.Active:
                self.threads[0].suspend()
            return True
        return False

    # -- switching -------------------------------------------------------------------
    def switchOut(self) -> None:
        if self._switched_out:
            raise SimulationError("switchOut() on a CPU that is already switched out", self.name())
        self._switched_out = True

    def takeOverFrom(self, old: BaseCPU) -> None:
        """Take the threads, interrupt controller and port bindings of `old` (switched out)."""
        problems = []
        if old is self:
            problems.append("a CPU cannot take over from itself")
        if len(self.threads) != len(old.threads):
            problems.append(
                f"thread count {len(self.threads)} differs from {old.name()}'s {len(old.threads)}"
            )
        if self._cpu_id != old._cpu_id:
            problems.append(
                f"cpu_id {self._cpu_id} differs from {old.name()}'s cpu_id {old._cpu_id}"
            )
        if not self._switched_out:
            problems.append("the new CPU is not switched out")
        if not old._switched_out:
            problems.append(f"{old.name()} has not been switched out")
        if problems:
            raise ConfigError([Problem(self.name(), p) for p in problems])
        self._pid = old._pid
        self._switched_out = False
        for new_tc, old_tc in zip(self.threads, old.threads, strict=True):
            new_tc.takeOverFrom(old_tc)
            if self.system is not None and hasattr(self.system, "replaceThreadContext"):
                if new_tc.contextId() >= 0:
                    self.system.replaceThreadContext(new_tc, new_tc.contextId())
        self.interrupts = old.interrupts
        self._interrupts_all = old._interrupts_all
        old.interrupts = None
        old._interrupts_all = []
        for ic in self._interrupts_all:
            if ic is not None and hasattr(ic, "setCPU"):
                ic.setCPU(self)
        _take_over_port(self.icache_port, old.icache_port)
        _take_over_port(self.dcache_port, old.dcache_port)

    # -- checkpoints -----------------------------------------------------------------
    def serialize(self, section) -> None:
        section["instCnt"] = self.instCnt
        if not self._switched_out:
            section["_pid"] = self._pid
            for tc in self.threads:
                xc = section.subsection(f"xc.{tc.tid}")
                if self.interrupts is not None and tc.tid == 0:
                    self.interrupts.serialize(xc)  # gem5 also keeps the APIC state here
                xc["_status"] = int(tc.status())
                self.serializeThread(xc, tc.tid)

    def unserialize(self, section) -> None:
        self.instCnt = section.get_int("instCnt", 0, U64_MAX)
        if not self._switched_out:
            self._pid = section.get_int("_pid", 0, U64_MAX)
            for tc in self.threads:
                xc = section.subsection(f"xc.{tc.tid}")
                tc.setStatus(Status(xc.get_int("_status", min(Status), max(Status))))
                self.unserializeThread(xc, tc.tid)

    def _isa_section(self, section, tid: int):
        """`[<cpu>.isa]` (or `.isa<tid>` with several threads): where gem5 keeps misc regs."""
        name = "isa" if self.numThreads == 1 else f"isa{tid}"
        return section.cp.section(f"{self.name()}.{name}")

    def serializeThread(self, section, tid: int) -> None:
        """Write thread `tid`'s state in gem5's layout (`xc.<tid>` and `isa` sections).

        Subclasses that must first settle their state (e.g. KVM: Idle) check, then call this.
        """
        from simobjs.arch.x86.serialize import serialize_thread

        serialize_thread(self.get_state(tid), section, self._isa_section(section, tid))

    def unserializeThread(self, section, tid: int) -> None:
        """Read thread `tid`'s state back from gem5's layout."""
        from simobjs.arch.x86.serialize import unserialize_thread

        self.set_state(unserialize_thread(section, self._isa_section(section, tid)), tid)

    def resetStats(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {
            "cpu_id": self._cpu_id,
            "switched_out": self._switched_out,
            "status": [tc.status().name for tc in self.threads],
            "insts": self.instCnt,
        }
