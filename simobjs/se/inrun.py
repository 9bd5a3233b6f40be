"""System calls served while the vCPU runs (the exception-less path of SE mode).

On a host where leaving the guest is dear (tens of microseconds on PVM), a system
call that needs nothing of the CPU is cheaper served by a host thread while the
vCPU waits inside the guest: the entry stub (stub.S) posts the call in its context's
slot of the entry page and spins; this thread claims it, runs the handler, writes
the result and marks it done; the stub returns to the program. No exit.

The rules that keep it exact:
- Only the calls in IN_RUN (file I/O on descriptors, identity queries, a few path
  lookups) are served here; any other, a call that would block (the handler raises
  Block) or one the thread cannot take at once (another event queue's thread holds
  the simulator) is withdrawn: the stub leaves through the port and the CPU's thread
  serves it as usual.
- The CPU's thread settles its slot as soon as KVM_RUN returns (a call still posted
  is withdrawn, one being served is waited for): no call is ever in flight while the
  simulator runs, drains, switches or checkpoints. A thread stopped inside the stub
  is then put back to a plain state (simobjs.se.stub.finish_in_host).
- What the way back to user mode must do after a call (wake a pipe's waiters, deliver
  a signal, preempt) is asked of the CPU (`Kernel.poke`) and the vCPU is kicked out.
- The stub gives up after a bound (SPIN_US) and withdraws a call nobody claimed: a
  host too busy to run this thread costs the exit path, never a stall.
- Simulated time: the host time a call took here is taken out of the run's time, as
  the exit path's handling is outside it.

`X86KvmCPU.inRunSyscalls` ('auto': on where the host has a core for this thread
besides one per event queue running KVM CPUs).
"""

from __future__ import annotations

import struct
import threading
import time

from simobjs.se import layout as L
from simobjs.se import stub
from simobjs.se.files import Block
from simobjs.se.syscalls import table
from simobjs.se.syscalls.numbers import NUMBERS
from simobjs.sim import debug
from simobjs.sim.parallel import host_cores

SPIN_US = 200  # how long the stub waits for this thread before it takes the exit
BACKOFF_S = 1.0  # host seconds of exits only, after the stub waited in vain too often
GRACE_NS = 200_000  # this thread keeps looking this long after the last vCPU left

IN_RUN = frozenset(
    NUMBERS[n]
    for n in (
        "read",
        "write",
        "pread64",
        "pwrite64",
        "readv",
        "writev",
        "lseek",
        "fstat",
        "newfstatat",
        "stat",
        "lstat",
        "statx",
        "getdents64",
        "getcwd",
        "readlink",
        "readlinkat",
        "access",
        "faccessat",
        "openat",
        "open",
        "close",
        "dup",
        "fcntl",
        "ioctl",
        "getpid",
        "getppid",
        "gettid",
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "getpgrp",
        "uname",
        "getrandom",
    )
)
_Q = struct.Struct("<Q")
_ARGS = struct.Struct("<7Q")  # nr, rdi, rsi, rdx, r10, r8, r9


def wanted(cpus) -> bool:
    """Serve calls in the run for these KVM CPUs (their inRunSyscalls params)?"""
    modes = {str(getattr(c.params, "inRunSyscalls", "auto")) for c in cpus}
    if not cpus or "off" in modes:
        return False
    if modes == {"on"}:
        return True
    queues = {c.eventq for c in cpus}
    return host_cores() > len(queues)


def tsc_hz() -> float:
    """The TSC rate, measured against the monotonic clock (2 ms)."""
    from simobjs.se._inrun import lib

    t0, c0 = time.perf_counter_ns(), lib.se_rdtsc()
    while time.perf_counter_ns() - t0 < 2_000_000:
        pass
    t1, c1 = time.perf_counter_ns(), lib.se_rdtsc()
    return (c1 - c0) * 1e9 / (t1 - t0)


class InRunCalls:
    """The host thread of one SE kernel and the slots of its contexts."""

    def __init__(self, kernel) -> None:
        from simobjs.se._inrun import ffi, lib

        self.kernel = kernel
        self.lib = lib
        self._ffi = ffi
        self.page = kernel.mem.page(kernel.kpages.stub_ppn)
        self._buf = ffi.from_buffer(self.page)
        n = min(kernel.kpages.contexts, stub.CONTEXTS)
        self.chan = ffi.new("se_chan *")
        self.chan.slots = ffi.cast("uint64_t *", self._buf + stub.SLOTS)
        self.chan.nslots = n
        self.chan.grace_ns = GRACE_NS
        self.states = [ffi.cast("uint64_t *", self._buf + stub.slot(k)) for k in range(n)]
        self.served_ns = [0] * n
        self.served = [0] * n  # calls served in the run, per context
        self.backoffs = 0  # times the stub's waits in vain turned the service off a while
        self._spin = 0  # the stub's bound (TSC cycles) while on
        self._resume_at = 0.0  # off until this time.monotonic(), after waits in vain
        self._window = (0, 0)  # (stub timeouts, calls served) when the window began
        self.thread: threading.Thread | None = None

    # -- on and off -------------------------------------------------------------------
    def start(self) -> None:
        for k in range(len(self.states)):
            self.lib.se_slot_finish(self.states[k], stub.IDLE)
        self._spin = max(int(tsc_hz() * SPIN_US / 1e6), 1)
        _Q.pack_into(self.page, stub.SPIN_BOUND, self._spin)
        self.thread = threading.Thread(target=self._serve, name="se-in-run-calls", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """End the host thread and give the page back (the RAM can be closed then)."""
        if self.page is None:
            return
        _Q.pack_into(self.page, stub.SPIN_BOUND, 0)
        if self.thread is not None:
            self.lib.se_chan_stop(self.chan)
            self.thread.join()
            self.thread = None
        self.states = []
        self.chan.slots = self._ffi.NULL
        self._ffi.release(self._buf)
        self.page.release()
        self.page = None

    # -- the vCPU's side ---------------------------------------------------------------
    def run(self, ctx: int, run, *args):
        """`run(*args)` (a KVM_RUN) with this context's calls served meanwhile; the
        slot is settled before it returns."""
        if self._resume_at and not self._resumed():
            return run(*args)  # off for a while: every call takes the exit
        lib = self.lib
        lib.se_chan_enter(self.chan)
        try:
            return run(*args)
        finally:
            lib.se_chan_leave(self.chan)
            if ctx < len(self.states):
                lib.se_slot_settle(self.states[ctx])
            self._check_waits()

    def _check_waits(self) -> None:
        """A host too busy to run this thread in time makes the stub wait out its bound
        and take the exit anyway: worse than the exit alone. When over a quarter of
        the last 32 or more calls did, every call takes the exit for BACKOFF_S."""
        timeouts = _Q.unpack_from(self.page, stub.TIMEOUTS)[0]
        t0, s0 = self._window
        waited = timeouts - t0
        if not waited:
            return
        served = sum(self.served)
        calls = waited + served - s0
        if calls < 32:
            return
        self._window = (timeouts, served)
        if 4 * waited > calls:
            self.backoffs += 1
            _Q.pack_into(self.page, stub.SPIN_BOUND, 0)
            self._resume_at = time.monotonic() + BACKOFF_S
            if debug.flags.SyscallVerbose:
                debug.dprintf(
                    self.kernel.model,
                    "SE: %d of %d calls waited in vain for the host thread: exits only for %g s",
                    waited,
                    calls,
                    BACKOFF_S,
                )

    def _resumed(self) -> bool:
        """Is the time off over (then serve calls in the run again)?"""
        if time.monotonic() < self._resume_at:
            return False
        self._resume_at = 0.0
        self._window = (_Q.unpack_from(self.page, stub.TIMEOUTS)[0], sum(self.served))
        _Q.pack_into(self.page, stub.SPIN_BOUND, self._spin)
        return True

    def take_served_ns(self, ctx: int) -> int:
        if ctx >= len(self.served_ns):
            return 0
        ns, self.served_ns[ctx] = self.served_ns[ctx], 0
        return ns

    def leave_stub(self, regs, ring3: bool) -> None:
        """Registers of a vCPU stopped inside the entry stub, made plain (stub.py)."""

        def set_state(k: int, value: int) -> None:
            self.lib.se_slot_finish(self.states[k], value)

        stub.finish_in_host(regs, L.STUB_VA, self.page, set_state, ring3)

    # -- the host thread ---------------------------------------------------------------
    def _serve(self) -> None:
        lib = self.lib
        while True:
            k = lib.se_chan_next(self.chan)
            if k < 0:
                return
            try:
                done = self._serve_one(k)
            except Exception:  # noqa: BLE001 - the exit path runs it again and reports it
                done = False
            if not done:
                lib.se_slot_finish(self.states[k], stub.WITHDRAWN)

    def _serve_one(self, ctx: int) -> bool:
        """Serve context `ctx`'s claimed call; False: give it back to the exit path."""
        t0 = time.perf_counter_ns()
        k = self.kernel
        nr, *args = _ARGS.unpack_from(self.page, stub.slot(ctx) + 8)
        if nr not in IN_RUN:
            return False
        task = k.current.get(ctx)
        if task is None:
            return False
        cpu = k.system.threads[ctx].cpu
        lock = cpu.eventq.parallel_lock
        if lock is not None and not lock.acquire(blocking=False):
            return False
        try:
            try:
                ret = k.call(table[nr], task, nr, args, " (served in the run)")
            except Block:
                k.syscall_count -= 1  # counted again when the exit path runs it
                return False
            _Q.pack_into(self.page, stub.slot(ctx) + 8, ret & 0xFFFFFFFFFFFFFFFF)
            after = k.work_on_way_back(task, ctx)
            if after:
                k.poke(ctx)
        finally:
            if lock is not None:
                lock.release()
        self.served[ctx] += 1
        self.served_ns[ctx] += time.perf_counter_ns() - t0
        self.lib.se_slot_finish(self.states[ctx], stub.DONE)
        if after:
            cpu.kick_thread()
        return True
