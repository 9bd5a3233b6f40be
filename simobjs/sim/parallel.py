"""Several event queues, each on a host thread of its own (gem5's multi-queue
simulation): queue 0 runs on the thread that called simulate(), queue i > 0 on a
thread started for it, and all of them advance in lockstep by `Root.sim_quantum`: a
quantum ends for every queue at the same barrier tick.

Python code of the simulator is serialised: a thread holds one lock while it runs
events and gives it up only around work that touches no simulator state (a KVM CPU's
KVM_RUN, `EventQueue.parallel_lock`), so the vCPUs run in parallel and everything
else (the SE kernel's system calls, devices, stats) runs one event at a time. An
event one queue schedules on another is delivered at its tick, or at the target
queue's current tick if that queue has already run past it (within one quantum, as
in gem5).

Exits: an exit event that fires during a quantum ends the simulate() call at the
end of that quantum, with every queue stopped at the barrier (gem5 schedules an exit
one quantum later for the same reason); drain, switching and checkpoints therefore
always see all queues stopped at the same tick.
"""

from __future__ import annotations

import os
import threading

from simobjs.sim.eventq import EventFunctionWrapper, EventQueue, Priority
from simobjs.sim.sim_events import SimLoopExit

QUANTUM_FATAL = "Quantum for multi-eventq simulation not specified"
MAX_LOCKSTEP = 100  # quanta run in C at most before the queues' threads look again
#: How far past a meet a vCPU that may go on runs before it stops there by itself (a
#: quarter of the quantum at most): the others, all there first, count it in as it
#: passes the meet, and it does not stop at all (kvm's so_lockstep_carry).
LOCKSTEP_SLACK_NS = 200_000


def host_cores() -> int:
    """Cores this simulation may use: SIMOBJS_HOST_CORES (a sweep's share of the host,
    set by `simobjs multisim`'s local cluster), else the process's CPU affinity."""
    given = os.environ.get("SIMOBJS_HOST_CORES", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class ParallelQueues:
    """The host threads of the queues > 0 and the quantum barriers."""

    def __init__(self, sim, queues: list[EventQueue], quantum: int) -> None:
        self.sim = sim
        self.queues = queues
        self.quantum = quantum
        self.lock = threading.Lock()
        self.work = threading.Condition(self.lock)  # a waiting queue got work, or may end
        self.waiting: set[EventQueue] = set()  # idle queues waiting inside their quantum
        self.arrived = 0  # queues past this quantum's barrier event (or failed)
        n = len(queues)
        self.go = threading.Barrier(n)  # a simulate() starts (or the threads end)
        self.barrier = threading.Barrier(n, action=self._at_barrier)  # a quantum's end
        self.target = 0
        self.running = False
        self.terminate = False
        self.threads: list[threading.Thread] = []
        self.failures: dict[int, BaseException] = {}
        self.exits: list = []  # exit events fired during the quantum, in order
        self.barriers = 0  # quanta run (for the cost per barrier)
        self._barrier_events: dict[EventQueue, tuple[EventFunctionWrapper, list]] = {}
        self.lockstep = None  # the threads' meeting place in C (from a KVM CPU, at first use)
        self._break_lockstep = None  # that CPU class's way to end a meeting from any thread
        self._meet_lockstep = None  # and to meet there from outside a vCPU's run
        self._lockstep_from = (0, 0, 0)  # (target, barriers, quanta_in_c) as a meeting began
        self.quanta_in_c = 0  # quanta ends the threads passed at the meeting in C
        self._kvm_cpus: dict[EventQueue, list] | None = None
        self._member = {q: i for i, q in enumerate(queues)}
        for q in queues:
            q.parallel_lock = self.lock
            q.parallel_wake = self._wake

    def _ensure_threads(self) -> None:
        if self.threads:
            return
        for i, q in enumerate(self.queues[1:], 1):
            t = threading.Thread(target=self._worker, args=(i, q), name=q.name, daemon=True)
            t.start()
            self.threads.append(t)

    def _worker(self, index: int, queue: EventQueue) -> None:
        self.sim.set_thread_queue(queue)
        while True:
            self.go.wait()
            if self.terminate:
                return
            self._quanta(index, queue)

    def _quanta(self, index: int, queue: EventQueue) -> None:
        """Quantum after quantum until the barrier's action says stop."""
        while True:
            try:
                with self.lock:
                    self._run_until(queue, self.target)
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                self.failures.setdefault(index, e)
            try:
                if self._meet_in_c(queue):
                    continue
            except BaseException as e:  # noqa: BLE001 - (a Ctrl-C in the wait, ...)
                self.failures.setdefault(index, e)
                with self.lock:
                    self.leave_lockstep(queue)  # nobody waits in C for this thread
            self.barrier.wait()
            if not self.running:
                return

    def _at_barrier(self) -> None:
        """Every queue is at the barrier (run by the last thread to arrive): go on with
        the next quantum, or stop for an exit, a failure or a signal."""
        self.barriers += 1
        self.arrived = 0
        for queue in self.queues:
            queue.parallel_lockstep = None  # (a meeting ends at a barrier here)
        if self.failures or self.exits or self.sim._interrupts:
            self.running = False
        else:
            self.target += self.quantum
            self._plan_lockstep()

    # -- quanta in C ----------------------------------------------------------------------
    # A meeting (kvm's so_lockstep) replaces this barrier while every queue has a KVM CPU
    # that runs: each queue's thread meets the others at each quantum's end in C, from
    # inside its vCPU's run (so_kvm_run_lockstep: the vCPU goes on into the next quantum
    # without coming back to Python while its queue has nothing else due) or from here
    # (_meet_in_c, after the quantum's events ran in Python). A thread comes back to
    # Python for its own reasons (its guest's exit, an event due in its queue) while
    # the others go on; they wait for it at the next meet. The meeting ends (everyone
    # to this barrier) when a queue's CPU goes idle, an exit or a failure is to be
    # reported, or a vCPU is kicked.

    def _plan_lockstep(self) -> None:
        """At a barrier: a meeting in C for the next quanta, when every queue has a KVM
        CPU that will run (a queue with nothing to run would only wait at each meet)."""
        cpus = self._lockstep_cpus()
        n = len(self.queues)
        if len(cpus) < n or n > host_cores():
            return  # (the threads wait for each other spinning: a core each)
        if not all(any(c.tickEvent.scheduled() for c in cpus[q]) for q in self.queues):
            return
        if self.lockstep is None:
            cpu = cpus[self.queues[0]][0]
            self.lockstep = cpu.newLockstep()
            self._break_lockstep = cpu.breakLockstep
            self._meet_lockstep = cpu.meetLockstep
        ls = self.lockstep
        if n > len(ls.limit):
            return  # (more members than the meeting place holds)
        ls.state, ls.n, ls.brk, ls.sleepers = 0, n, 0, 0
        ls.slack_ns = min(cpus[self.queues[0]][0].hostNs(self.quantum) // 4, LOCKSTEP_SLACK_NS)
        self._lockstep_from = (self.target, self.barriers, self.quanta_in_c)
        for queue in self.queues:
            member = self._member[queue]
            ls.limit[member], ls.tail_ns[member] = 0, 0
            queue.parallel_lockstep = self

    def _lockstep_cpus(self) -> dict:
        """The KVM CPUs of each queue (those with a vCPU thread's C loop)."""
        if self._kvm_cpus is None:
            found: dict[EventQueue, list] = {}
            for m in self.sim.order or ():
                if hasattr(m, "lockstepReady") and m.eventq in self.queues:
                    found.setdefault(m.eventq, []).append(m)
            self._kvm_cpus = found
        return self._kvm_cpus

    def meets(self) -> int:
        """Meets completed since the meeting began."""
        return self.lockstep.state >> 32

    def _limit(self, cpu) -> tuple[int, int]:
        """Where `cpu`'s vCPU leaves C: (the last meet after which it may go on, the
        host ns it runs past the meet after that, up to the next event due in its
        queue inside that quantum; 0: it leaves at that meet). Nothing in the queue
        is due before then (its vCPU's tick aside)."""
        queue = cpu.eventq
        after = queue.nextTickExcept((self._barrier_event(queue)[0],))
        start, quantum = self._lockstep_from[0], self.quantum
        limit = max((after - start) // quantum, 0)
        if limit > self.meets() + MAX_LOCKSTEP:
            return self.meets() + MAX_LOCKSTEP, 0
        return limit, cpu.hostNs(max(after - (start + limit * quantum), 0))

    def enter_lockstep(self, cpu) -> int | None:
        """Called by `cpu`'s tick (lock held) when its next run is to the quantum's end:
        its member number when that run may go on in C at the meeting (its limit set),
        else None."""
        queue = cpu.eventq
        ls = self.lockstep
        if ls.brk:
            return None
        barrier, _marks = self._barrier_event(queue)
        if queue.nextEvent() is not barrier or barrier.when() != self.target:
            return None  # something else is due before the quantum's end
        member = self._member[queue]
        ls.limit[member], ls.tail_ns[member] = self._limit(cpu)
        self._tell_others(queue)
        return member

    def _tell_others(self, queue: EventQueue) -> None:
        """Before this thread meets the others: what it did may concern the queues whose
        vCPUs run on in C (an event scheduled there, a CPU that needs the kernel first):
        they leave at the next meet, or at the event, that concerns them. (They read
        their limits only after a meet, which needs this thread first.)"""
        ls = self.lockstep
        for other, cpus in self._lockstep_cpus().items():
            if other is queue:
                continue
            for cpu in cpus:
                if cpu._lockstep is not None:
                    member = self._member[other]
                    leave = self._limit(cpu) if cpu.lockstepReady() else (0, 0)
                    if leave < (ls.limit[member], ls.tail_ns[member]):
                        ls.limit[member], ls.tail_ns[member] = leave

    def _meet_in_c(self, queue: EventQueue) -> bool:
        """`queue` is at its quantum's end in Python: meet the others in C when a meeting
        is on (True: met; the next quantum follows without this barrier), else end the
        meeting (False: this barrier)."""
        if queue.parallel_lockstep is None:
            return False
        with self.lock:
            if self.failures or self.exits or self.sim._interrupts or self.lockstep.brk:
                self.leave_lockstep(queue)
                return False
            self._tell_others(queue)
        if not self._meet_lockstep(self.lockstep):  # (without the lock and the GIL)
            return False
        with self.lock:
            self.arrived -= 1  # (counted by _run_until: this queue is in the next quantum)
            self._met()
        return True

    def _met(self) -> None:
        """The quantum's end is where the meets completed so far put it."""
        target, barriers, in_c = self._lockstep_from
        passed = self.meets()
        self.target = target + passed * self.quantum
        self.barriers = barriers + passed
        self.quanta_in_c = in_c + passed

    def leave_lockstep(self, queue: EventQueue) -> None:
        """`queue`'s thread will not meet the others in C at this quantum's end (its CPU
        went idle, an exit is to be reported): the meeting ends, and every thread comes
        to this barrier."""
        if queue.parallel_lockstep is not None:
            queue.parallel_lockstep = None
            self._break_lockstep(self.lockstep)

    def after_lockstep(self, queue: EventQueue) -> None:
        """`queue`'s vCPU is back from the quanta in C (lock held): the quantum's end
        is where the meets put it."""
        self._met()
        barrier, _marks = self._barrier_event(queue)
        if barrier.scheduled():
            queue.deschedule(barrier)
        queue.schedule(barrier, self.target)

    def _barrier_event(self, queue: EventQueue) -> tuple[EventFunctionWrapper, list]:
        """The event that ends `queue`'s quantum, and the list it marks (one per queue)."""
        found = self._barrier_events.get(queue)
        if found is None:
            marks: list = []
            event = EventFunctionWrapper(
                lambda: marks.append(True), f"{queue.name}.quantumBarrier", Priority.Maximum
            )
            found = self._barrier_events[queue] = (event, marks)
            queue.parallel_idle = marks  # a CPU that goes idle stops the loop (went_idle)
        return found

    def _run_until(self, queue: EventQueue, target: int) -> None:
        """Run `queue`'s events up to the barrier; its time is then `target`. When a model
        went idle and nothing is left before the barrier, the queue waits at its own
        time until another thread gives it work (a CPU woken there runs at the waker's
        tick, not at the next quantum) or every other queue is at the barrier."""
        barrier, marks = self._barrier_event(queue)
        marks.clear()
        queue.schedule(barrier, target)
        try:
            while True:
                try:
                    queue.run(marks)
                except SimLoopExit as e:
                    self.exits.append(e.event)
                    continue
                if True in marks:
                    return
                marks.clear()  # went idle
                self._wait_for_work(queue, barrier)
        finally:
            if barrier.scheduled():
                queue.deschedule(barrier)
            self.arrived += 1
            if self.waiting:
                self.work.notify_all()

    def _wait_for_work(self, queue: EventQueue, barrier: EventFunctionWrapper) -> None:
        """`queue` has nothing before its barrier event: wait (the lock given up) while
        that stays so and another queue is still inside the quantum."""
        self.leave_lockstep(queue)
        self.waiting.add(queue)
        try:
            n = len(self.queues)
            while queue.nextEvent() is barrier and self.arrived + len(self.waiting) < n:
                self.work.wait()
        finally:
            self.waiting.discard(queue)

    def _wake(self) -> None:
        """Work was scheduled in a queue (with the lock held): wake the waiting ones."""
        if self.waiting:
            self.work.notify_all()

    def run(self) -> list:
        """Every queue runs quantum after quantum (barriers at multiples of the quantum)
        until an exit fires or a signal comes; returns the exit events that fired.
        Raises what an event raised."""
        self._ensure_threads()
        q0 = self.queues[0]
        self.target = (q0.now // self.quantum + 1) * self.quantum
        self.sim.set_thread_queue(q0)
        self.go.wait()
        # set only once every thread is past `go`: a thread just released from the last
        # barrier of the previous run may not have read "stop" yet
        self.running = True
        self._quanta(0, q0)
        if self.failures:
            first = min(self.failures)
            exc = self.failures[first]
            self.failures.clear()
            self.exits.clear()
            raise exc
        exits, self.exits = self.exits, []
        return exits

    def shutdown(self) -> None:
        """Stop the host threads (they wait for the next simulate())."""
        if self.threads:
            self.terminate = True
            self.go.wait()
            for t in self.threads:
                t.join()
            self.threads = []
            self.terminate = False
        for q in self.queues:
            q.parallel_lock = None
            q.parallel_idle = None
            q.parallel_wake = None
