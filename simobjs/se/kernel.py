"""The SE kernel: processes and threads multiplexed on the system's hardware
contexts, the system-call dispatch (gem5's SyscallDesc table role), blocking and
waking, timers on simulated time, and signal delivery.

One model serves both CPUs: a thread's registers live in the CPU while it runs and
in its `Task` (user-mode X86State) otherwise, so a CPU switch or a checkpoint can
happen between any two system calls. A call that must wait raises `Block`: the
thread is put back at its SYSCALL instruction and runs it again once woken, so a
waiting thread is always in a plain user state (nothing half done to save).

Several CPUs: a Process given to several CPUs starts on the first one's context; a
new or woken thread goes to a free context (no thread on it, none waiting for it:
gem5's System::Threads::findFree), with none free to the least busy one, and a
context left with nothing to run takes a waiting thread from the busiest other one. With no free context gem5's clone fails
with EAGAIN; here the thread waits for a context's time slice instead (each context
multiplexes its threads with a quantum), so a program may have more threads than the
configuration has CPUs, as on Linux. Every decision is made in event order, so runs
on the reference CPUs stay deterministic.
"""

from __future__ import annotations

import errno
import sys
from collections import deque

from simobjs.errors import SimulationError
from simobjs.se import signals as S
from simobjs.se.files import Block
from simobjs.se.fs import FsError
from simobjs.se.mm import EFault, SysError
from simobjs.se.syscalls import NORETURN, table
from simobjs.se.syscalls.numbers import NAMES
from simobjs.se.task import BLOCKED, DEAD, RUNNABLE, RUNNING, Proc, Task
from simobjs.sim import debug
from simobjs.sim.eventq import EventFunctionWrapper, Priority

CAUSE_EXIT = "exiting with last active thread context"
QUANTUM_NS = 10_000_000  # a runnable thread waits at most this for the CPU
ERESTARTSYS = 512


class Kernel:
    """State and scheduling; process life cycle is in `lifecycle`, calls in `syscalls`."""

    CAUSE_EXIT = CAUSE_EXIT

    def __init__(
        self,
        model,
        sim,
        system,
        mem,
        pool,
        frames,
        sandbox,
        seed: int,
        m5ops_base: int,
        release: str,
    ) -> None:
        from simobjs.se.pagetable import Dirty
        from simobjs.se.randomness import SeededBytes

        self.model = model  # the X86EmuLinux workload (for names in messages)
        self.sim = sim
        self.system = system
        self.mem, self.pool, self.frames = mem, pool, frames
        self.kpages = None  # simobjs.se.kernel_pages.KernelPages, built at initState
        self.dirty = Dirty()
        self.sandbox = sandbox
        self.m5ops_base = m5ops_base
        self.release = release
        self.random = SeededBytes(seed)
        self.procs: dict[int, Proc] = {}
        self.tasks: dict[int, Task] = {}
        self.current: dict[int, Task | None] = {}
        self.ran_on: dict[int, Proc] = {}  # the process whose thread a context ran last
        self.runq: dict[int, deque[Task]] = {}
        self.waiters: dict[tuple, list[Task]] = {}
        self.attention: dict[int, bool] = {}
        self.next_pid = 100
        self.warned: set[int] = set()
        self.last_status = 0
        self.finished = False
        self._timers: dict[tuple, EventFunctionWrapper] = {}
        self._timer_queues: dict[tuple, object] = {}  # the queue each timer is on
        self.expired: dict[int, bool] = {}  # the running thread's quantum is over
        self.dirty_pipes: set = set()
        self.syscall_count = 0
        self.se_threads: list = []  # the SeThread of every CPU that runs SE code
        self.inrun = None  # simobjs.se.inrun.InRunCalls where calls are served in the run

    # -- contexts ------------------------------------------------------------------------
    def thread(self, ctx: int):
        """The SeThread of the CPU running hardware context `ctx` now."""
        return self.system.threads[ctx].cpu.se

    def now(self) -> int:
        return self.sim.curTick()

    def resolve(self, proc: Proc, path: str, follow: bool = True):
        return self.sandbox.resolve(proc.cwd, path, follow, proc.pid, proc.exe_guest)

    def realtime_ns(self) -> int:
        from simobjs.se.syscalls.sys_calls import EPOCH_NS

        return EPOCH_NS + self.now_ns()

    def flush_translations(self) -> None:
        """Page tables or code changed: every CPU drops what it cached (once per change)."""
        tlb, code = self.dirty.tlb, self.dirty.code
        self.dirty.tlb = self.dirty.code = False
        done: set = set()
        for se in self.se_threads:  # switched-out CPUs too: KVM's shadow pages outlive a switch
            se.flush(tlb, code, done)

    def now_ns(self) -> int:
        from simobjs.base import ticks

        return self.now() * 1_000_000_000 // ticks.getFrequency()

    def ns_to_ticks(self, ns: int) -> int:
        from simobjs.base import ticks

        return ns * ticks.getFrequency() // 1_000_000_000

    def read_kernel(self, va: int, n: int) -> bytes:
        """Bytes of the supervisor pages (fault frames on the per-context stacks)."""
        from simobjs.se import layout as L

        for ctx in range(self.kpages.contexts):
            top = L.kstack_top(ctx)
            if top - L.KSTACK_SIZE <= va and va + n <= top:
                pt_va = va - L.KERNEL_VA
                page = self.kpage(pt_va >> 12)
                off = va & 0xFFF
                if off + n <= 4096:
                    return bytes(self.mem.page(page)[off : off + n])
                return self.read_kernel(va, 4096 - off) + self.read_kernel(
                    va + 4096 - off, n - 4096 + off
                )
        raise SimulationError(f"SE: fault frame at {va:#x} is not on a fault stack")

    def kpage(self, index: int) -> int:
        """The frame of the index-th page of the supervisor area."""
        pt_frame = self.kpages.pages[2]  # pdpt, pd, pt
        raw = self.mem.page(pt_frame)[index * 8 : index * 8 + 8]
        return (int.from_bytes(raw, "little") & 0x000F_FFFF_FFFF_F000) >> 12

    # -- system calls ------------------------------------------------------------------------
    def syscall(self, th) -> None:
        """A thread of context `th.context` executed SYSCALL."""
        ctx = th.context
        task = self.current.get(ctx)
        if task is None:
            raise SimulationError("SE: a system call from a context with no thread", th.cpu.name())
        nr, *args = th.syscall_args()
        entry = table.get(nr)
        if entry is None:
            self.syscall_count += 1
            self.trace_call(task, nr, args)
            self._warn_unknown(nr)
            th.set_return(-errno.ENOSYS)
        else:
            try:
                ret = self.call(entry, task, nr, args)
            except Block as b:
                self.block(th, task, nr, b.key)
                return
            if ret is not NORETURN:
                th.set_return(ret)
                if not self.work_on_way_back(task, ctx):
                    return  # nothing to do on the way back (the common case)
        self.after_call(ctx)

    def call(self, entry, task: Task, nr: int, args, where: str = "") -> int:
        """Run a call's handler: the value for RAX (an error as -errno) or NORETURN;
        `Block` goes to the caller. Counted and traced (SyscallBase)."""
        self.syscall_count += 1
        trace = debug.flags.SyscallBase
        if trace:
            self.trace_call(task, nr, args, where)
        try:
            ret = entry(self, task, *args)
        except (FsError, SysError) as e:
            ret = -e.errno
        except EFault:
            ret = -errno.EFAULT
        if trace and ret is not NORETURN:
            debug.dprintf(self.model, "%d: %s -> %d", task.tid, NAMES.get(nr, nr), ret)
        return ret

    def trace_call(self, task: Task, nr: int, args, where: str = "") -> None:
        if debug.flags.SyscallBase:
            debug.dprintf(
                self.model,
                "%d: %s(%s)%s",
                task.tid,
                NAMES.get(nr, nr),
                ", ".join(f"{a:#x}" for a in args),
                where,
            )

    def work_on_way_back(self, task: Task, ctx: int) -> bool:
        """Must the way back to user mode after a call do anything (wake a pipe's
        waiters, deliver a signal, preempt, flush translations)?"""
        return bool(
            self.dirty_pipes
            or task.pending
            or task.proc.pending
            or self.runq.get(ctx)
            or self.dirty.tlb
            or self.dirty.code
        )

    def _warn_unknown(self, nr: int) -> None:
        if nr not in self.warned:
            self.warned.add(nr)
            name = NAMES.get(nr, f"#{nr}")
            print(
                f"warn: ignoring syscall {name}(...) (returning ENOSYS)\n"
                "      (further warnings will be suppressed)",
                file=sys.stderr,
            )

    def after_call(self, ctx: int) -> None:
        """On the way back to user mode: wake who the call unblocked, deliver signals,
        give the CPU up at the end of a quantum."""
        self.flush_wakeups()
        task = self.current.get(ctx)
        if task is not None:
            if task.deliverable():
                self.deliver_signals(ctx, task)
            self._maybe_preempt(ctx)
        if self.dirty.tlb or self.dirty.code:
            self.flush_translations()

    def note_closed(self, files) -> None:
        """Closed descriptors: a pipe whose end went away has waiters to wake."""
        for f in files:
            pipe = getattr(f, "pipe", None)
            if pipe is not None and pipe.wakeups:
                self.dirty_pipes.add(pipe)

    def flush_wakeups(self) -> None:
        """Wake the waiters of every pipe a call changed."""
        while self.dirty_pipes:
            pipe = self.dirty_pipes.pop()
            keys, pipe.wakeups = pipe.wakeups, []
            for key in keys:
                self.wake(key)

    # -- blocking and scheduling ---------------------------------------------------------------
    def block(self, th, task: Task, nr: int, key: tuple) -> None:
        """`task`'s call must wait for `key`: unless a signal interrupts it, put it to
        sleep at its SYSCALL instruction and run someone else."""
        self.flush_wakeups()
        ctx = th.context
        sig = self._interrupting_signal(task)
        if sig:
            act = task.proc.action(sig)
            if act.flags & S.SA_RESTART and key[0] not in ("pause", "sleep"):
                th.restart_syscall(nr)
            else:
                th.set_return(-errno.EINTR)
                if key == ("sleep", task.tid) and task.sleep_rem and task.deadline:
                    left = (
                        max(0, task.deadline - self.now()) * 1000 // max(self.ns_to_ticks(1000), 1)
                    )
                    try:
                        task.proc.mm.write(
                            task.sleep_rem,
                            (divmod(left, 10**9)[0]).to_bytes(8, "little")
                            + (left % 10**9).to_bytes(8, "little"),
                        )
                    except EFault:
                        pass
            self.clear_deadline(task)
            self.deliver_signals(ctx, task)
            self._maybe_preempt(ctx)
            return
        th.restart_syscall(nr)
        task.status = BLOCKED
        task.wait_key = key
        for one in _keys(key):
            self.waiters.setdefault(one, []).append(task)
        if debug.flags.SyscallBase:
            debug.dprintf(self.model, "%d: waits for %s", task.tid, key)
        self.switch_away(ctx, save=True)

    def _interrupting_signal(self, task: Task) -> int:
        """A pending signal that would interrupt a wait (not one that is ignored)."""
        mask = task.deliverable()
        while mask:
            sig = S.lowest(mask)
            mask &= ~S.bit(sig)
            act = task.proc.action(sig)
            if act.handler == S.SIG_IGN:
                continue
            if act.handler == S.SIG_DFL and S.default_action(sig) in ("ignore", "stop"):
                continue
            return sig
        return 0

    def wake(self, key: tuple, limit: int | None = None, reason: bool = False) -> int:
        """Make the threads waiting for `key` runnable; returns how many."""
        waiting = self.waiters.get(key)
        if not waiting:
            return 0
        n = len(waiting) if limit is None else min(limit, len(waiting))
        woken, rest = waiting[:n], waiting[n:]
        if rest:
            self.waiters[key] = rest
        else:
            del self.waiters[key]
        for t in woken:
            t.woken = reason
            self.make_runnable(t)
        return n

    def unwait(self, task: Task) -> None:
        key = task.wait_key
        if key is None:
            return
        for one in _keys(key):
            waiting = self.waiters.get(one)
            if waiting and task in waiting:
                waiting.remove(task)
                if not waiting:
                    del self.waiters[one]
        task.wait_key = None

    def se_contexts(self) -> list[int]:
        """The hardware contexts SE threads run on: every context of a CPU with an SE thread."""
        return [
            c
            for c, tc in enumerate(self.system.threads)
            if tc is not None and getattr(tc.cpu, "se", None) is not None
        ]

    def idle_context(self) -> int | None:
        """The first context with no thread on it and none waiting for it (gem5's
        System::Threads::findFree: a halted thread context), or None."""
        for c in self.se_contexts():
            if self.current.get(c) is None and not self.runq.get(c):
                return c
        return None

    def make_runnable(self, task: Task) -> None:
        if task.status in (RUNNING, RUNNABLE, DEAD):
            return
        self.unwait(task)
        task.status = RUNNABLE
        ctx = task.context
        if self.current.get(ctx) is not None:
            # a free CPU takes it (a new thread, or one woken); with none free, the least
            # busy context (threads running and waiting), its own on a tie
            idle = self.idle_context()
            task.context = ctx = idle if idle is not None else self._least_busy(ctx)
        self.runq.setdefault(ctx, deque()).append(task)
        if self.current.get(ctx) is None:
            self.run_next(ctx)
        else:
            self._start_quantum(ctx)

    def _start_quantum(self, ctx: int) -> None:
        """Others wait for the CPU: the running thread keeps it for one quantum more."""
        if ("quantum", ctx) in self._timers or self.expired.get(ctx):
            return

        def over() -> None:
            self.expired[ctx] = True
            self.poke(ctx)

        self._arm(("quantum", ctx), self.now() + self.ns_to_ticks(QUANTUM_NS), over)

    def switch_away(self, ctx: int, save: bool) -> None:
        """The running thread of `ctx` stops running (it waits, or is gone)."""
        task = self.current.get(ctx)
        if task is not None and save:
            task.state = self.thread(ctx).switch_out()
        self.current[ctx] = None
        self.run_next(ctx)

    def run_next(self, ctx: int) -> None:
        th = self.thread(ctx)
        q = self.runq.setdefault(ctx, deque())
        while q:
            task = q.popleft()
            if task.status == RUNNABLE:
                break
        else:
            task = self._steal(ctx)
        if task is None:
            if th.is_active():
                th.suspend()
            self._check_deadlock()
            return
        self._switch_in(ctx, th, task)

    def _least_busy(self, ctx: int) -> int:
        """The context with the fewest threads on it (running or waiting for it), `ctx`
        if none has fewer than it; several with as few: the lowest-numbered."""

        def load(c: int) -> int:
            q = self.runq.get(c) or ()
            return (self.current.get(c) is not None) + sum(t.status == RUNNABLE for t in q)

        best, fewest = ctx, load(ctx)
        for c in self.se_contexts():
            n = load(c)
            if n < fewest:
                best, fewest = c, n
        return best

    def _steal(self, ctx: int) -> Task | None:
        """`ctx` has nothing to run: take the first runnable thread waiting for the
        busiest other context (the lowest-numbered one of the busiest), if any."""
        best, most = None, 0
        for c, q in sorted(self.runq.items()):
            if c != ctx and len(q) > most:
                best, most = c, len(q)
        if best is None:
            return None
        q = self.runq[best]
        while q:
            task = q.popleft()
            if task.status == RUNNABLE:
                task.context = ctx
                return task
        return None

    def _switch_in(self, ctx: int, th, task: Task) -> None:
        if debug.flags.SyscallBase:
            debug.dprintf(self.model, "context %d runs thread %d", ctx, task.tid)
        task.context = ctx
        th.switch_in(task.state, ctx)
        task.state = None
        task.status = RUNNING
        self.current[ctx] = task
        if self.ran_on.get(ctx) is not task.proc:
            # another address space on this context: what the CPU cached of the last one
            # goes (threads of one process share their page tables and code: no flush, and
            # on KVM no stop of the other vCPUs to drop the shadow pages)
            th.flush(True, True)
            self.ran_on[ctx] = task.proc
        self.expired[ctx] = False
        self._cancel_timer(("quantum", ctx))
        if self.runq.get(ctx):
            self._start_quantum(ctx)
        if not th.is_active():
            th.activate()

    def _maybe_preempt(self, ctx: int) -> None:
        q = self.runq.get(ctx)
        if not q or not self.expired.get(ctx):
            return
        task = self.current.get(ctx)
        if task is None:
            return
        task.status = RUNNABLE
        q.append(task)
        self.switch_away(ctx, save=True)

    def poke(self, ctx: int) -> None:
        """Ask the CPU of `ctx` to call `before_run` before it next runs the thread."""
        self.attention[ctx] = True

    def before_run(self, th) -> None:
        """The CPU is about to run user code after an asynchronous event: deliver
        signals, let another thread have the CPU."""
        ctx = th.context
        self.attention[ctx] = False
        self.after_call(ctx)

    def _check_deadlock(self) -> None:
        live = [t for t in self.tasks.values() if t.status != DEAD]
        if not live or self.finished:
            return
        if any(t.status in (RUNNING, RUNNABLE) for t in live):
            return
        if any(key[0] in ("sleep", "alarm") for key in self._timers):
            return
        waits = ", ".join(f"thread {t.tid} on {t.wait_key}" for t in live)
        raise SimulationError(
            f"SE: every thread is blocked and nothing can wake one: {waits}", self.model.name()
        )

    # -- timers ---------------------------------------------------------------------------------
    def _arm(self, key: tuple, when: int, fn) -> None:
        self._cancel_timer(key)

        def fire() -> None:
            self._timers.pop(key, None)
            self._timer_queues.pop(key, None)
            fn()

        ev = EventFunctionWrapper(fire, f"{self.model.name()}.timer{key}", Priority.Default)
        queue = self.sim.current_eventq()  # the queue of the CPU that made the call
        self._timers[key] = ev
        self._timer_queues[key] = queue
        queue.schedule(ev, max(when, queue.now))

    def _cancel_timer(self, key: tuple) -> None:
        ev = self._timers.pop(key, None)
        queue = self._timer_queues.pop(key, None)
        if ev is not None and ev.scheduled():
            queue.deschedule(ev)

    def clear_deadline(self, task: Task) -> None:
        task.deadline = 0
        task.deadline_key = None
        task.woken = False
        self._cancel_timer(("sleep", task.tid))

    def sleep_until(self, task: Task, deadline: int, key: tuple) -> None:
        """Wake `task` (waiting on `key`) at tick `deadline`."""
        task.deadline = deadline
        task.deadline_key = key

        def done() -> None:
            self.wake(key, reason=True)
            self.flush_wakeups()

        self._arm(("sleep", task.tid), deadline, done)

    def set_alarm(self, proc: Proc, when: int, interval: int) -> None:
        proc.alarm_at, proc.alarm_interval = when, interval
        if not when:
            self._cancel_timer(("alarm", proc.pid))
            return

        def ring() -> None:
            if not proc.alive:
                return
            if proc.alarm_interval:
                self.set_alarm(proc, self.now() + proc.alarm_interval, proc.alarm_interval)
            else:
                proc.alarm_at = 0
            self.send_signal(proc, S.SIGALRM, S.siginfo(S.SIGALRM, S.SI_KERNEL))
            self.flush_wakeups()

        self._arm(("alarm", proc.pid), when, ring)

    # -- signals ------------------------------------------------------------------------------------
    def send_signal(self, target: Proc | Task, sig: int, info: bytes) -> None:
        """Post `sig` to a process (any of its threads takes it) or to one thread."""
        proc = target if isinstance(target, Proc) else target.proc
        if not proc.alive or not sig:
            return
        act = proc.action(sig)
        ignored = act.handler == S.SIG_IGN or (
            act.handler == S.SIG_DFL and S.default_action(sig) in ("ignore", "stop")
        )
        if ignored and sig != S.SIGKILL:
            if S.default_action(sig) == "stop" and act.handler == S.SIG_DFL:
                self._warn_once(
                    ("stop", sig),
                    f"{S.name(sig)} would stop the process: "
                    "SE mode has no job control, the signal is ignored",
                )
            return
        if isinstance(target, Task):
            target.pending |= S.bit(sig)
            target.pending_info[sig] = info
            candidates = [target]
        else:
            proc.pending |= S.bit(sig)
            proc.pending_info[sig] = info
            candidates = list(proc.tasks)
        for t in candidates:
            if sig == S.SIGKILL or not t.sigmask & S.bit(sig):
                if t.status == BLOCKED:
                    self.make_runnable(t)
                elif t.status == RUNNING:
                    self.poke(t.context)
                break

    def _warn_once(self, key, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            print(f"warn: {message}", file=sys.stderr)

    def deliver_signals(self, ctx: int, task: Task) -> None:
        """Deliver what is deliverable to the running `task` (at a user-mode boundary)."""
        from simobjs.se import lifecycle

        th = self.thread(ctx)
        while True:
            mask = task.deliverable()
            if not mask:
                return
            sig = S.lowest(mask)
            if task.pending & S.bit(sig):
                task.pending &= ~S.bit(sig)
                info = task.pending_info.pop(sig, S.siginfo(sig))
            else:
                task.proc.pending &= ~S.bit(sig)
                info = task.proc.pending_info.pop(sig, S.siginfo(sig))
            act = task.proc.action(sig)
            if act.handler == S.SIG_IGN and sig != S.SIGKILL:
                continue
            if act.handler == S.SIG_DFL or sig == S.SIGKILL:
                what = S.default_action(sig) if sig != S.SIGKILL else "term"
                if what in ("ignore", "stop"):
                    continue
                lifecycle.kill_process(self, task.proc, sig)
                return
            self._run_handler(th, task, sig, act, info)

    def _run_handler(self, th, task: Task, sig: int, act: S.SigAction, info: bytes) -> None:
        from simobjs.se import lifecycle

        st = th.user_state()
        old_mask = task.saved_mask if task.saved_mask is not None else task.sigmask
        task.saved_mask = None
        ss_sp, ss_flags, ss_size = task.altstack
        sp = st.reg("rsp")
        on_alt = ss_size and ss_sp <= sp < ss_sp + ss_size
        if act.flags & S.SA_ONSTACK and not ss_flags & S.SS_DISABLE and not on_alt:
            sp = ss_sp + ss_size
        frame = S.build_frame(st, sig, act, info, old_mask, sp, task.altstack)
        mm = task.proc.mm
        try:
            mm.write(frame.fp_address, frame.fp_data)
            mm.write(frame.address, frame.data)
        except EFault:
            lifecycle.kill_process(self, task.proc, S.SIGSEGV)
            return
        S.enter_handler(st, frame, sig, act)
        task.sigmask |= act.mask | (0 if act.flags & S.SA_NODEFER else S.bit(sig))
        task.sigmask &= ~S.UNBLOCKABLE
        if act.flags & S.SA_RESETHAND:
            task.proc.actions[sig - 1] = S.SigAction()
        if debug.flags.SyscallBase:
            debug.dprintf(self.model, "%d: %s to handler %#x", task.tid, S.name(sig), act.handler)
        th.set_user_state(st)

    # -- faults -----------------------------------------------------------------------------------
    def fault(self, th) -> None:
        """A fault stub ran: the program faulted (or used an m5op instruction)."""
        from simobjs.se import faults

        faults.handle(self, th)


def _keys(key: tuple) -> tuple:
    """The wait keys of a wait (("multi", keys) waits for any of several)."""
    return key[1] if key[0] == "multi" else (key,)
