"""BaseKvmCPU: a guest running natively on /dev/kvm inside the event queue.

The seed's state machine: `tick()` either enters KVM until the next event
(bounded by a host timer) or services the exit the last entry ended with;
every handler returns the ticks its work took. Host cycles (the guest's
hardware cycle counter where the host has a PMU, else the vCPU thread's CPU
time at `hostFreq`) become ticks through `hostFreq` and `hostFactor`.
"""

from __future__ import annotations

import sys
import threading
from enum import IntEnum

from kvm import exits as kx
from kvm.perf import GuestCounters, PerfUnavailable
from kvm.timers import KICK_SIGNAL, PerfKvmTimer, PosixKvmTimer
from kvm.vcpu import thread_cpu_ns
from simobjs.cpu.base import BaseCPU, Status, access_failure
from simobjs.cpu.kvm import host
from simobjs.errors import ConfigError, GuestFault, Problem, SimulationError
from simobjs.sim import debug, stats
from simobjs.sim.drain import DrainState
from simobjs.sim.eventq import EventFunctionWrapper, Priority
from simobjs.sim.model import Params

NS = 1000  # ticks per nanosecond (1 tick = 1 ps)
MIN_HOST_CYCLES = 1000  # gem5's floor on a timer-bounded run
MAX_RUN_FLOOR = 10**9  # 1 ms: the most a learned run floor may grow to
SMP_SLICE = 200 * 10**6  # 200 us: the least a CPU runs before the next CPU's turn (SMP)
STEPS_PER_TICK = 64  # steps taken in one tick() at most: the event loop (Ctrl-C) runs between
NOT_NOTED = "not available"
MEM_MODE_FATAL = "The KVM-based CPUs requires the memory system to be in the 'noncaching' mode."


# gem5's BaseKvmCPU stats: (attribute, name, description)
KVM_STATS = (
    ("numVMExits", "numVMExits", "total number of KVM exits"),
    (
        "numVMHalfEntries",
        "numVMHalfEntries",
        "number of KVM entries to finalize pending operations",
    ),
    ("numExitSignal", "numExitSignal", "exits due to signal delivery"),
    ("numMMIO", "numMMIO", "number of VM exits due to memory mapped IO"),
    ("numCoalescedMMIO", "numCoalescedMMIO", "number of coalesced memory mapped IO requests"),
    ("numIO", "numIO", "number of VM exits due to legacy IO"),
    ("numHalt", "numHalt", "number of VM exits due to wait for interrupt instructions"),
    ("numInterrupts", "numInterrupts", "number of interrupts delivered"),
    ("numHypercalls", "numHypercalls", "number of hypercalls"),
)


class KvmStatus(IntEnum):
    """gem5's BaseKvmCPU::Status."""

    Idle = 0
    Running = 1
    RunningService = 2
    RunningMMIOPending = 3
    RunningServiceCompletion = 4


def describe_access(exit_: kx.Exit) -> str:
    """What the guest was doing when an I/O exit's handler failed (for the fault message)."""
    match exit_:
        case kx.IoExit(size=size, port=port, count=count):
            kind = "write" if exit_.is_write else "read"
            reps = f" x{count}" if count > 1 else ""
            return f"port I/O {kind} of {size} bytes{reps} at port {port:#x}"
        case kx.MmioExit(phys_addr=addr, length=length, is_write=write):
            return f"MMIO {'write' if write else 'read'} of {length} bytes at {addr:#x}"
    return f"exit {type(exit_).__name__}"


class BaseKvmCPU(BaseCPU):
    """Architecture-neutral KVM CPU (gem5's BaseKvmCPU). Subclasses supply the state
    conversion (updateKvmState / updateThreadContext), getHostCycles, the I/O
    handler and the dump."""

    _memory_mode = "atomic_noncaching"

    def __init__(self, params: Params):
        super().__init__(params)
        self._status = KvmStatus.Idle
        self.hostFactor = params.hostFactor
        self.hostFreq = params.hostFreq  # a period, in ticks
        self.usePerf = params.usePerf
        self.usePerfOverflow = params.usePerfOverflow
        self.useCoalescedMMIO = params.useCoalescedMMIO
        self.alwaysSyncTC = params.alwaysSyncTC
        if self.usePerfOverflow and not self.usePerf:
            raise ConfigError(
                Problem(
                    self.name(), "cannot use usePerfOverflow without usePerf", "usePerfOverflow"
                )
            )
        if self.hostFactor <= 0:
            raise ConfigError(
                Problem(self.name(), "must be positive", "hostFactor", got=str(self.hostFactor))
            )
        self.vm = None  # the system's KvmVM, found at init() (gem5: system->getKvmVM())
        self.vcpu = None
        self.vcpuID = -1
        self.threadContextDirty = True
        self.kvmStateDirty = False
        # what the CPU last read from or wrote to KVM is still what KVM holds (no run
        # since): a subclass may then leave out writes of unchanged state
        self._kvm_state_known = False
        self._drain_requested = False
        self._last_exit: kx.Exit | None = None
        self._in_service = False
        self._suspend_tick = 0
        self.in_run = False  # inside KVM_RUN without the simulator's lock (several queues)
        self.run_thread = 0
        self.runTimer = None
        self._timer_tid = -1
        self._run_floor = 0  # the shortest run: timerResolution(), or the learned floor
        self._learned_floor = 0  # ticks a timer-cut entry costs on this host (see kvmRun)
        self._over_budget = 0  # ns the last run cut by its timer took, if over twice its bound
        self._fast_run = False  # fastRun() with the current run timer
        self._armed_target = None  # the tick the armed run timer stands for (None: not armed)
        self._kicked = False  # kick() set kvm_run.immediate_exit
        self._cycles_per_ns = 1000 / self.hostFreq  # host cycles in a nanosecond
        self.counters: GuestCounters | None = None
        self.ctrInsts = 0
        self.tickEvent = EventFunctionWrapper(
            self.tick, self.name() + ".tickEvent", Priority.CPU_Tick
        )
        if self.usePerf:
            pmu_ok, why = host.pmu_status()
        else:
            pmu_ok, why = False, "usePerf=False"
        self.pmu_available = pmu_ok
        self.insts_available = pmu_ok
        self.insts_unavailable_reason = "" if pmu_ok else f"no hardware counters: {why}"

    # -- lifecycle -----------------------------------------------------------------------
    def init(self) -> None:
        if self.numThreads != 1:
            raise ConfigError(Problem(self.name(), "KVM: Multithreading not supported"))
        if not self.pmu_available and (self._max_any or self._max_all):
            param = "max_insts_any_thread" if self._max_any else "max_insts_all_threads"
            raise ConfigError(
                Problem(
                    self.name(),
                    "instruction counts are not available on this host "
                    f"({self.insts_unavailable_reason}); use the reference CPU "
                    "(X86AtomicSimpleCPU) to stop after a number of instructions",
                    param,
                )
            )
        if self.system is not None:
            self.vm = self.system.getKvmVM()
        if self.vm is None:
            raise ConfigError(
                Problem(self.name(), "no KvmVM in this system: add one (system.kvm_vm = KvmVM())")
            )
        self.vcpuID = self.vm.allocVCPUID()
        self.vm.registerCPU(self)
        super().init()

    def verifyMemoryMode(self) -> None:
        if self.system is None or not self.system.bypassCaches():
            mode = self.system.getMemoryMode() if self.system is not None else "unknown"
            raise ConfigError(
                Problem(self.name(), f"fatal: {MEM_MODE_FATAL} (the system's mem_mode is '{mode}')")
            )

    def regStats(self) -> None:
        super().regStats()
        stats.scalars(self, KVM_STATS, unit=stats.Count)

    def startup(self) -> None:
        if self.vm.vm is None:
            raise SimulationError("KVM: the VM is closed", self.name())
        self.vm.cpuStartup()
        self.vcpu = self.vm.createVCPU(self.vcpuID)
        if not self.useCoalescedMMIO:
            self._inform("KVM: Coalesced MMIO disabled by config.")
        elif self.vcpu.has_ring:
            self._inform("KVM: Coalesced IO available")
        else:
            self._inform("KVM: Coalesced not supported by host OS")
        if not self.pmu_available:
            host.notice(
                "no-pmu",
                "warn: KVM: no hardware performance counters "
                f"({self.insts_unavailable_reason.removeprefix('no hardware counters: ')}); "
                "cycles come from the vCPU thread's CPU time, instruction counts are not "
                "available.",
            )
        host.warn_host_limits()
        self.startupThread()
        if self.sim is not None:
            self.sim.interrupt_hooks.append(self.kick)

    def kick(self) -> None:
        """Leave KVM_RUN now, or at once on the next entry (Ctrl-C between the event
        loop's check and the ioctl would otherwise wait for the slice's timer)."""
        if self.vcpu is not None:
            self.vcpu.immediate_exit = self._kicked = True

    def _inform(self, text: str) -> None:
        if debug.flags.Kvm:
            debug.dprintf(self, "%s", text)

    def startupThread(self) -> None:
        """Signal, timer and counters for the thread running the event queue
        (gem5's restartEqThread); run again if that thread changes."""
        self._close_timer()
        if self.usePerfOverflow and self.pmu_available:
            try:
                self.runTimer = PerfKvmTimer(KICK_SIGNAL, self.hostFreqHz())
            except PerfUnavailable as e:
                host.notice(
                    "perf-timer",
                    f"warn: KVM: perf overflow timer unavailable ({e}); using a POSIX timer",
                )
        if self.runTimer is None:
            self.runTimer = PosixKvmTimer(KICK_SIGNAL, host_freq_hz=self.hostFreqHz())
        self.runTimer.attach(self.vcpu)
        self._timer_tid = threading.get_native_id()
        self._run_floor = max(self.timerResolution(), self._learned_floor)
        self._fast_run = self.fastRun()
        self._armed_target = None
        if self.pmu_available and self.counters is None:
            try:
                self.counters = GuestCounters(prefer_hardware=True)
            except PerfUnavailable:
                self.counters = None
            if self.counters is not None and not self.counters.hardware:
                self.counters.close()
                self.counters = None

    def hostFreqHz(self) -> float:
        return 1e12 / self.hostFreq

    def _close_timer(self) -> None:
        if self.runTimer is not None:
            self.runTimer.close()
            self.runTimer = None

    def close(self) -> None:
        if self.tickEvent.scheduled():
            self.eventq.deschedule(self.tickEvent)
        hooks = getattr(self.sim, "interrupt_hooks", [])
        if self.kick in hooks:
            hooks.remove(self.kick)
        self._close_timer()
        if self.counters is not None:
            self.counters.close()
            self.counters = None
        self.vcpu = None  # the VM closes its vCPUs

    # -- time ------------------------------------------------------------------------
    def ticksFromHostCycles(self, cycles: int) -> int:
        return int(cycles * self.hostFactor * self.hostFreq)

    def hostNs(self, ticks: int) -> int:
        return int(ticks / (NS * self.hostFactor))

    def timerResolution(self) -> int:
        """The shortest run in ticks: max(clock resolution + 1 ns, 1000 host cycles)."""
        timer_ns = getattr(self.runTimer, "clock_resolution_ns", 0) + 1
        return max(int(timer_ns * NS * self.hostFactor), self.ticksFromHostCycles(MIN_HOST_CYCLES))

    def getHostCycles(self) -> int:
        """Host cycles without a PMU: this thread's CPU time at hostFreq. It counts the
        guest's execution (and the kernel's work for it), never time the host gave to
        other tasks, as the seed's hardware counter; gem5's x86 CPU reads the guest
        TSC, which also counts the vCPU thread's preemption (simulated time jumps when
        the host is busy)."""
        return int(thread_cpu_ns() * self._cycles_per_ns)

    def fastRun(self) -> bool:
        """Can one C call bound a run and count its host cycles? (A POSIX run timer: the
        call reads the thread's CPU time around KVM_RUN.)"""
        return isinstance(self.runTimer, PosixKvmTimer)

    # -- thread contexts ----------------------------------------------------------------
    def activateContext(self, tid: int = 0) -> None:
        if debug.flags.Kvm:
            debug.dprintf(self, "ActivateContext %d", tid)
        if self._status != KvmStatus.Idle or self.tickEvent.scheduled():
            raise SimulationError(f"KVM: activateContext in state {self._status.name}", self.name())
        super().activateContext(tid)
        now = self.curTick()
        if now > self._suspend_tick:
            self.numCycles += self.ticksToCycles(now - self._suspend_tick)
        when = self.clockEdge(0)
        if self.eventq.parallel_lock is not None and self.sim is not None:
            # woken from another queue's thread (an SE futex wake on another CPU): not
            # before the waker's tick, if this queue is behind it
            caller, period = self.sim.curTick(), self.clockPeriod()
            when = max(when, -(-caller // period) * period)
        self.schedule(self.tickEvent, when)
        self._status = KvmStatus.Running
        self.eventq.woken()

    def suspendContext(self, tid: int = 0) -> None:
        if debug.flags.Kvm:
            debug.dprintf(self, "SuspendContext %d", tid)
        super().suspendContext(tid)

    def _disarm(self) -> None:
        """The runs stop for now: the run timer must not fire into a later one."""
        if self._armed_target is not None and self.runTimer is not None:
            self.runTimer.disarm()
            self.runTimer.discard_pending()
        self._armed_target = None

    def _stop(self) -> None:
        self._disarm()
        self._suspend_tick = self.curTick()
        if self._status == KvmStatus.Idle:
            return
        if self.tickEvent.scheduled():
            self.eventq.deschedule(self.tickEvent)
        self._status = KvmStatus.Idle

    def syncThreadContext(self) -> None:
        if not self.kvmStateDirty:
            return
        if self.threadContextDirty:
            raise SimulationError(
                "KVM: both the thread context and KVM state are dirty", self.name()
            )
        self.updateThreadContext()
        self.kvmStateDirty = False

    def syncKvmState(self) -> None:
        if not self.threadContextDirty:
            return
        if self.kvmStateDirty:
            raise SimulationError(
                "KVM: both the thread context and KVM state are dirty", self.name()
            )
        self.updateKvmState()
        self.threadContextDirty = False

    def completePendingIO(self) -> None:
        """Finish a serviced I/O instruction in KVM (a half entry) so the registers are final."""
        if self._status == KvmStatus.RunningServiceCompletion and not self._in_service:
            self.syncKvmState()
            self.kvmRun(0)
            self.kvmStateDirty = True
            self._status = KvmStatus.Running

    def updateKvmState(self) -> None:
        raise NotImplementedError

    def updateThreadContext(self) -> None:
        raise NotImplementedError

    # -- the tick ----------------------------------------------------------------------
    def tick(self) -> None:
        """The seed's tick: run the guest, or service its last exit. While nothing else
        is due before the next step's time, that step is taken in this same call (time
        moved to it first): the same steps at the same ticks, without a trip through the
        event queue per exit."""
        eventq = self.eventq
        next_tick = eventq.nextTick()
        period = self.clockPeriod()
        for _ in range(STEPS_PER_TICK):
            delay = self._step(next_tick)
            if self._status == KvmStatus.Idle:
                return
            # clockEdge(ticksToCycles(delay)): the edge `delay` rounded up to cycles away
            when = (-(-eventq.now // period) - (-delay // period)) * period
            next_tick = eventq.nextTick()
            if when >= next_tick or self._last_exit is kx.INTR:
                break  # something else is due, or a signal came (the timer, Ctrl-C)
            eventq.advance_to(when)  # nothing is due in between (not even now)
        self.schedule(self.tickEvent, when)

    def _step(self, next_tick: int) -> int:
        """One step of the seed's tick(), `next_tick` being when the next event is due;
        returns the ticks it took."""
        status = self._status
        delay = 0
        if status == KvmStatus.RunningService:
            delay = self.handleKvmExit(self._last_exit)
            if self._drain_requested and self.tryDrain():
                self._status = KvmStatus.Idle
        elif status in (KvmStatus.Running, KvmStatus.RunningServiceCompletion):
            ticks_to_execute = next_tick - self.eventq.now
            siblings = self._kvm_siblings
            if siblings:
                ticks_to_execute = self._smp_slice(ticks_to_execute, siblings)
            if self.threadContextDirty:
                self.syncKvmState()
            if threading.get_native_id() != self._timer_tid:
                self.startupThread()
            if self._drain_requested:
                delay = self.kvmRunDrain()
            else:
                delay = self.kvmRun(ticks_to_execute)
            if self._status == KvmStatus.Idle:
                return 0
            self.kvmStateDirty = True
            if self._last_exit is not kx.INTR:
                self._status = KvmStatus.RunningService
            else:
                self.numExitSignal += 1
                self._status = KvmStatus.Running
            if self.alwaysSyncTC:
                self.syncThreadContext()
            if self._drain_requested and self.tryDrain():
                self._status = KvmStatus.Idle
        else:
            raise SimulationError(
                f"BaseKvmCPU entered tick() in an illegal state ({status})", self.name()
            )
        return delay

    # -- several KVM CPUs on one event queue (SMP) ------------------------------------
    @property
    def _kvm_siblings(self) -> frozenset:
        """The tick events of the other KVM CPUs running in this system on this CPU's
        event queue (scheduled); a CPU on a queue of its own has none."""
        threads = getattr(self.system, "threads", None) or ()
        if len(threads) < 2:
            return frozenset()
        eventq = self.eventq
        return frozenset(
            tc.cpu.tickEvent
            for tc in threads
            if tc is not None
            and tc.cpu is not self
            and tc.cpu.eventq is eventq
            and isinstance(tc.cpu, BaseKvmCPU)
            and tc.cpu.tickEvent.scheduled()
        )

    def _smp_slice(self, ticks: int, siblings: frozenset) -> int:
        """The run of one CPU among several: until the next event that is not another
        CPU's tick, but at least SMP_SLICE when the next event is one (a run cut at
        every other CPU's tick would, on a host with costly entries, make no progress)."""
        after = self.eventq.nextTickExcept(siblings) - self.eventq.now
        return max(ticks, min(SMP_SLICE, after))

    def kvmRunDrain(self) -> int:
        """Complete the pending I/O and exit at once."""
        return self.kvmRun(0)

    def kvmRun(self, ticks: int) -> int:
        """Enter KVM for about `ticks` (0: a half entry); returns the ticks it took."""
        vcpu = self.vcpu
        self._kvm_state_known = False
        if ticks == 0:
            if debug.flags.KvmRun:
                debug.dprintf(self, "KVM: Delivering IO without full guest entry")
            self.numVMHalfEntries += 1
            self._last_exit = vcpu.run_immediate_exit()
            executed = self.clockPeriod()
        else:
            floor = self._run_floor or self.timerResolution()
            if ticks < floor:
                ticks = floor
            timer = self.runTimer
            counters = self.counters
            vm = self.vm
            if vm._last_runner is not self:
                # SMP: another vCPU ran on this thread since; its armed timer must not
                # cut this run short, and this one's (consumed by that run) is re-armed
                if vm._last_runner is not None:
                    vm._last_runner._disarm()
                self._disarm()
                vm._last_runner = self
            if counters is None and self._fast_run:
                # arm, enter and read the thread's CPU time in C; the timer stays armed
                # across the guest's own exits while this run's deadline stands
                target = self.eventq.now + ticks
                ns = 0 if target == self._armed_target else self.hostNs(ticks)
                lock = self.eventq.parallel_lock
                parallel = self.eventq.parallel_lockstep
                if lock is None:
                    self._last_exit = self._guest(timer.run_armed, vcpu, ns)
                elif (
                    parallel is not None
                    and self.lockstepReady()
                    and (member := parallel.enter_lockstep(self)) is not None
                ):
                    # on to the quantum's end and on in C, meeting the other queues'
                    # threads at each quantum's end, while nothing else is due here
                    # (simobjs.sim.parallel)
                    ls = self._lockstep = parallel.lockstep
                    before = parallel.meets()
                    quantum_ns = self.hostNs(parallel.quantum)
                    floor_ns = self.hostNs(self._run_floor or self.timerResolution())
                    self._outside_lock(
                        lock,
                        timer.run_lockstep,
                        vcpu,
                        self.hostNs(ticks),
                        quantum_ns,
                        floor_ns,
                        ls,
                        member,
                    )
                    self._lockstep = None
                    self.numVMExits.add(parallel.meets() - before)
                    parallel.after_lockstep(self.eventq)
                    ns = 0  # (the time it took is not a guest entry's cost)
                    target = None
                else:  # the other queues' threads run while this vCPU does
                    self._outside_lock(lock, self._guest, timer.run_armed, vcpu, ns)
                self._armed_target = None if self._last_exit is kx.INTR else target
                if ns and self._last_exit is kx.INTR and vcpu.run_cpu_ns > 2 * ns:
                    self._learn_floor(vcpu.run_cpu_ns, ns)
                elif ns:
                    self._over_budget = 0
                cycles = int(max(vcpu.run_cpu_ns - self._served_ns(), 0) * self._cycles_per_ns)
            else:
                if counters is not None:  # hardware counters: the seed's hwCycles
                    base = counters.read()
                    counters.start()
                else:
                    base_cycles = self.getHostCycles()
                timer.arm(self.hostNs(ticks))
                lock = self.eventq.parallel_lock
                if lock is None:
                    self._last_exit = self._guest(vcpu.run)
                else:
                    self._outside_lock(lock, self._guest, vcpu.run)
                timer.disarm()
                if counters is not None:
                    counters.stop()
                timer.discard_pending()
                if counters is not None:
                    after = counters.read()
                    cycles = after.cycles - base.cycles
                else:
                    cycles = self.getHostCycles() - base_cycles
                    cycles -= min(int(self._served_ns() * self._cycles_per_ns), cycles)
            if self._kicked and self._last_exit is kx.INTR:
                vcpu.immediate_exit = self._kicked = False  # the kick has done its work
            executed = self.ticksFromHostCycles(cycles)
            self.numCycles.add(int(cycles * self.hostFactor))
            if counters is not None and base.instructions is not None:
                insts = after.instructions - base.instructions
                self.ctrInsts += insts
                self.countInsts(insts)
            if debug.flags.KvmRun:
                debug.dprintf(
                    self,
                    "KVM: Executed %d host cycles (%d ticks), exit %s",
                    cycles,
                    executed,
                    type(self._last_exit).__name__,
                )
        self.numVMExits.add(1)
        if self.useCoalescedMMIO:
            executed += self.flushCoalescedMMIO()
        return executed

    @staticmethod
    def newLockstep():
        """A meeting place for threads running quanta in C (kvm's so_lockstep)."""
        from kvm._kvm_ffi import ffi

        return ffi.new("so_lockstep *")

    @staticmethod
    def breakLockstep(ls) -> None:
        """From any thread: end the meeting (nobody goes on in C, nobody waits there)."""
        from kvm._kvm_ffi import lib

        lib.so_lockstep_break(ls)

    @staticmethod
    def meetLockstep(ls) -> bool:
        """Meet the others at the quantum's end from outside a run (no GIL held while
        waiting): True when the meet completed, False when the meeting ended first."""
        from kvm._kvm_ffi import lib

        return bool(lib.so_lockstep_meet(ls))

    def lockstepReady(self) -> bool:
        """May this CPU's runs go on into quanta in C with the other queues' vCPUs
        (simobjs.sim.parallel)? Only plain timed runs: no drain, counters, kick or
        in-run calls."""
        return (
            self._status in (KvmStatus.Running, KvmStatus.RunningServiceCompletion)
            and not self._drain_requested
            and self.counters is None
            and self._fast_run
            and not self._kicked
            and self.inrun is None
            and self.vcpu is not None
        )

    # SE mode: a host thread serving system calls while the vCPU runs (simobjs.se.inrun)
    inrun = None
    _lockstep = None  # the so_lockstep while this CPU runs quanta in C (simobjs.sim.parallel)

    def _guest(self, run, *args):
        """The KVM_RUN call `run(*args)`, with in-run system calls served meanwhile."""
        inrun = self.inrun
        if inrun is None:
            return run(*args)
        return inrun.run(self.se.context, run, *args)

    def _served_ns(self) -> int:
        """Host time the last run spent waiting for calls served in it (not guest time)."""
        inrun = self.inrun
        return 0 if inrun is None else inrun.take_served_ns(self.se.context)

    def _learn_floor(self, cost_ns: int, asked_ns: int) -> None:
        """A run cut by its timer cost more than twice the time it was given: on this
        host, entering the guest costs about that much, and a run bounded below it can
        end before the guest executes anything (a drain or an event every few
        microseconds would then stall the guest while simulated time goes on). Runs
        are from now on at least that cost (at most MAX_RUN_FLOOR). It takes two such
        runs in a row (the lesser cost counts: a first entry that maps the guest's pages
        is costly once); a timer kick (Ctrl-C, another queue) does not count."""
        if self._kicked:
            return
        last, self._over_budget = self._over_budget, cost_ns
        if not last:
            return
        cost_ns = min(cost_ns, last)
        floor = min(int(cost_ns * NS * self.hostFactor), MAX_RUN_FLOOR)
        if floor <= self._learned_floor:
            return
        self._learned_floor = floor
        self._run_floor = max(self._run_floor, floor)
        if debug.flags.Kvm:
            debug.dprintf(
                self, "KVM: a %d ns run took %d ns: runs now last at least that", asked_ns, cost_ns
            )
        if floor >= 20 * 10**6:  # >= 20 us: worth a word
            host.notice(
                "run-floor",
                f"warn: KVM: entering the guest costs about {cost_ns // 1000} us on this host; "
                "a run is at least that long (events closer together than that are served "
                "late by up to that much)",
            )

    def _outside_lock(self, lock, run, *args) -> None:
        """KVM_RUN without the simulator's lock (several event queues): `in_run` tells
        KvmVM.holdVCPUs that this vCPU must be kicked out before the page tables change."""
        if not lock.locked():  # between quanta (a drain's last entry): nobody else runs
            self._last_exit = run(*args)
            return
        self.run_thread = threading.get_ident()
        self.in_run = True
        lock.release()
        try:
            self._last_exit = run(*args)
        finally:
            self.in_run = False
            lock.acquire()

    def kick_thread(self) -> None:
        """From another thread: leave KVM_RUN now (or at once on entry), and the quanta
        in C with the other queues' vCPUs (it may be waiting for them there)."""
        ls = self._lockstep
        if ls is not None:
            self.breakLockstep(ls)
        if self.vcpu is not None:
            self.vcpu.immediate_exit = self._kicked = True
        if self.runTimer is not None:
            self.runTimer.kick()

    def flushCoalescedMMIO(self) -> int:
        if not self.useCoalescedMMIO:
            return 0
        ticks = 0
        for w in self.vcpu.drain_coalesced():
            self.numCoalescedMMIO += 1
            addr = self.ioAddress(w.phys_addr) if w.is_pio else w.phys_addr
            ticks += self._access(addr, w.data, len(w.data), True, pending=False)
        return ticks

    def ioAddress(self, port: int) -> int:
        raise NotImplementedError

    # -- exits -------------------------------------------------------------------------
    def handleKvmExit(self, exit_: kx.Exit) -> int:
        """Service the exit of the last entry (one dispatch); returns the ticks used."""
        if debug.flags.KvmRun:
            debug.dprintf(self, "handleKvmExit (exit_reason: %d)", kx.exit_reason(exit_))
        self._status = KvmStatus.Running
        match exit_:
            case kx.IoExit():
                self._status = KvmStatus.RunningServiceCompletion
                self.numIO.add(1)
                handler, args = self.handleKvmExitIO, (exit_,)
            case kx.MmioExit(phys_addr=addr, data=data, length=length, is_write=write):
                self._status = KvmStatus.RunningServiceCompletion
                self.numMMIO += 1
                if debug.flags.KvmIO:
                    debug.dprintf(
                        self, "KVM: Handling MMIO (w: %d, addr: %#x, len: %d)", write, addr, length
                    )
                handler, args = self.doMMIOAccess, (addr, data, length, write)
            case kx.HltExit():
                self.numHalt += 1
                if not self.interruptPendingAtHalt():
                    self.thread.suspend()  # until an interrupt wakes it
                return 0
            case kx.IntrExit():
                return 0
            case kx.IrqWindowOpenExit():
                return self.handleKvmExitIRQWindowOpen()
            case kx.HypercallExit():
                self.numHypercalls += 1
                return self.handleKvmExitHypercall(exit_)
            case kx.FailEntryExit(hardware_entry_failure_reason=why):
                self.guestFault(f"KVM: Failed to enter virtualized mode (hw reason: {why:#x})")
            case kx.InternalErrorExit(suberror=sub):
                self.guestFault(f"KVM: Internal error (suberror: {sub})")
            case kx.ExceptionExit(exception=vec, error_code=code):
                self.guestFault(
                    f"KVM: Got exception when starting vCPU (exception: {vec}, error_code: {code})"
                )
            case kx.UnknownExit(reason=kx.EXIT_UNKNOWN, hardware_exit_reason=hw):
                self.guestFault(f"KVM: Unknown error when starting vCPU (hw reason: {hw:#x})")
            case kx.ShutdownExit():
                self.guestFault(
                    f"KVM: Unexpected exit (exit_reason: {kx.EXIT_SHUTDOWN}): "
                    "the guest shut down (triple fault)"
                )
            case _:
                self.guestFault(f"KVM: Unexpected exit (exit_reason: {kx.exit_reason(exit_)})")
        # port I/O or MMIO: run its handler; an exception in a device stops the CPU cleanly
        self._in_service = True
        try:
            return handler(*args)
        except GuestFault:
            raise
        except Exception as e:  # noqa: BLE001 - any device error ends the run, reported
            self._in_service = False
            # the state at the faulting instruction, before _abandon_io's half entry
            # completes it (and replaces the exit being handled)
            text, rip = self._dump_text(), self.faultRip()
            self._abandon_io()
            self._stop()
            self.raiseGuestFault(access_failure(describe_access(exit_), e), text, rip, e)
        finally:
            self._in_service = False

    def _abandon_io(self) -> None:
        """Complete a pending read with zeros so KVM's state is consistent, then stop."""
        vcpu = self.vcpu
        try:
            if vcpu.pending_read:
                e = self._last_exit
                n = e.size * e.count if isinstance(e, kx.IoExit) else e.length
                (vcpu.complete_io_in if isinstance(e, kx.IoExit) else vcpu.complete_mmio_read)(
                    bytes(n)
                )
            self.syncKvmState()
            self.kvmRun(0)
            self.kvmStateDirty = True
        except Exception:  # noqa: BLE001, S110 - best effort on the way to an error
            pass

    def interruptPendingAtHalt(self) -> bool:
        """An interrupt the halted guest takes at once is already waiting (its wakeup came
        while the CPU was running, so suspending now would lose it)."""
        return False

    def handleKvmExitIO(self, exit_: kx.IoExit) -> int:
        raise SimulationError(
            f"KVM: Unhandled guest IO (dir: {exit_.direction}, size: {exit_.size}, "
            f"port: {exit_.port:#x}, count: {exit_.count})",
            self.name(),
        )

    def handleKvmExitHypercall(self, exit_: kx.HypercallExit) -> int:
        self.guestFault("KVM: Unhandled hypercall")
        return 0

    def handleKvmExitIRQWindowOpen(self) -> int:
        print("warn: KVM: Unhandled IRQ window.", file=sys.stderr)
        return 0

    def doMMIOAccess(self, addr: int, data: bytes | None, size: int, write: bool) -> int:
        return self._access(addr, data, size, write, pending=True)

    def _access(self, addr: int, data, size: int, write: bool, pending: bool) -> int:
        raise NotImplementedError

    # -- faults and dumps ---------------------------------------------------------------
    def dump(self) -> str:
        """A register dump (architectures fill it in)."""
        return "State dumping not implemented."

    def guestFault(self, message: str, cause: BaseException | None = None) -> None:
        """Stop the CPU, print the dump, write the stats, raise GuestFault."""
        self._stop()
        self.raiseGuestFault(message, self._dump_text(), self.faultRip(), cause)

    def _dump_text(self) -> str:
        try:
            return self.dump()
        except Exception as e:  # noqa: BLE001 - the dump must not hide the fault
            return f"(no register dump: {type(e).__name__}: {e})"

    def faultRip(self) -> int | None:
        return None

    # -- drain, switching, checkpoints ---------------------------------------------------
    def archIsDrained(self) -> bool:
        return True

    def drain(self) -> DrainState:
        if self.switchedOut():
            return DrainState.Drained
        status = self._status
        if status == KvmStatus.Running:
            if not self.archIsDrained():
                self._drain_requested = True
                return DrainState.Draining
            if self.tickEvent.scheduled():
                self.eventq.deschedule(self.tickEvent)
            self._status = KvmStatus.Idle
            self._disarm()
            self.syncThreadContext()
            return DrainState.Drained
        if status == KvmStatus.Idle:
            self.syncThreadContext()
            return DrainState.Drained
        # RunningService / RunningServiceCompletion: let KVM finish the I/O first.
        self._drain_requested = True
        return DrainState.Draining

    def tryDrain(self) -> bool:
        if not self._drain_requested:
            return False
        if not self.archIsDrained():
            return False
        if self._status in (KvmStatus.Idle, KvmStatus.Running):
            if self.tickEvent.scheduled():
                self.eventq.deschedule(self.tickEvent)
            self._drain_requested = False
            self._status = KvmStatus.Idle
            self._disarm()
            self.syncThreadContext()
            self.signalDrainDone()
            return True
        return False

    def drainResume(self) -> None:
        if self.tickEvent.scheduled():
            raise SimulationError("KVM: tick scheduled at drainResume", self.name())
        if self.switchedOut():
            return
        self.verifyMemoryMode()
        if self.vcpu is not None and threading.get_native_id() != self._timer_tid:
            self.startupThread()
        if self.thread.status() == Status.Active:
            self.schedule(self.tickEvent, self.nextCycle())
            self._status = KvmStatus.Running
        else:
            self._status = KvmStatus.Idle

    def switchOut(self) -> None:
        super().switchOut()
        if self.tickEvent.scheduled() or self._status != KvmStatus.Idle:
            raise SimulationError("KVM: switchOut() of a CPU that was not drained", self.name())

    def takeOverFrom(self, old: BaseCPU) -> None:
        super().takeOverFrom(old)
        if self.tickEvent.scheduled() or self._status != KvmStatus.Idle:
            raise SimulationError("KVM: takeOverFrom() on a busy CPU", self.name())
        if self.vcpu is not None:
            self.updateKvmState()
            self.threadContextDirty = False
            self.kvmStateDirty = False

    def _check_idle(self, what: str) -> None:
        if self._status != KvmStatus.Idle:
            raise SimulationError(
                f"KVM: {what} while the CPU is {self._status.name} (drain first)", self.name()
            )

    def totalInsts(self) -> int:
        return self.ctrInsts
