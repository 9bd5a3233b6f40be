"""Bounding KVM_RUN in time, as gem5's PosixKvmTimer / PerfKvmTimer do.

The timer signals the vCPU thread itself (SIGEV_THREAD_ID). The signal stays
blocked in the thread and is unblocked only inside KVM_RUN (through
KVM_SET_SIGNAL_MASK), so it can only interrupt the guest: KVM_RUN returns
EINTR and a signal that arrives after the exit is discarded before the next
run. A Python-level handler is installed so a stray delivery never kills the
process (the default action for real-time signals is to terminate).
"""

from __future__ import annotations

import signal
import threading

from kvm._kvm_ffi import ffi, lib
from kvm.errors import KvmError
from kvm.perf import CPU_CYCLES, PERF_TYPE_HARDWARE, PerfCounter

CLOCK_MONOTONIC = lib.CLOCK_MONOTONIC
SIGRTMIN = lib.so_sigrtmin()
#: The signal used by default to interrupt KVM_RUN (gem5's KVM_KICK_SIGNAL).
KICK_SIGNAL = SIGRTMIN


def _ignore(signo, frame) -> None:
    """A stray kick reached Python: nothing to do."""


def install_kick_handler(signo: int = KICK_SIGNAL) -> None:
    """Install the no-op Python handler for `signo` (must run in the main thread)."""
    current = signal.getsignal(signo)
    if callable(current):
        return
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            f"signal {signo} has no handler and handlers can only be installed from the "
            "main thread: call kvm.timers.install_kick_handler() there first"
        )
    signal.signal(signo, _ignore)


def discard_pending(signo: int) -> bool:
    """Consume a pending (blocked) `signo`; True if one was pending."""
    found = False
    while signal.sigtimedwait([signo], 0) is not None:
        found = True
    return found


class _KickTimerBase:
    """Signal plumbing shared by the POSIX and perf timers."""

    def __init__(self, signo: int) -> None:
        install_kick_handler(signo)
        self.signo = signo
        self.tid = lib.so_gettid()
        self.thread_ident = threading.get_ident()
        old = signal.pthread_sigmask(signal.SIG_BLOCK, [signo])
        self._was_blocked = signo in old

    def attach(self, vcpu) -> None:
        """Let `signo` (only) through while `vcpu` is inside KVM_RUN. Call from the
        vCPU thread."""
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        vcpu.set_signal_mask(int(s) for s in blocked if int(s) != self.signo)

    def discard_pending(self) -> bool:
        """Drop a signal that arrived after the guest exited (gem5 does this after
        every run so the next KVM_RUN is not cut short)."""
        return discard_pending(self.signo)

    def kick(self) -> None:
        """From any thread: make the vCPU thread leave KVM_RUN now (or right
        after it enters)."""
        signal.pthread_kill(self.thread_ident, self.signo)

    def _release_signal(self) -> None:
        self.discard_pending()
        if not self._was_blocked and threading.get_ident() == self.thread_ident:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [self.signo])


class PosixKvmTimer(_KickTimerBase):
    """A one-shot POSIX timer that interrupts KVM_RUN in the creating thread."""

    def __init__(
        self,
        signo: int = KICK_SIGNAL,
        clock: int = CLOCK_MONOTONIC,
        host_freq_hz: float = 2e9,
    ) -> None:
        super().__init__(signo)
        out = ffi.new("void **")
        r = lib.so_timer_create(clock, signo, self.tid, out)
        if r < 0:
            raise KvmError("timer_create", -r)
        self._timer = out[0]
        self.clock = clock
        self.clock_resolution_ns = max(lib.so_clock_getres(clock), 1)
        # gem5: max(clock resolution + 1, 1000 host cycles).
        self.resolution_ns = max(self.clock_resolution_ns + 1, int(1000 * 1e9 / host_freq_hz))

    def arm(self, ns: int) -> None:
        """Fire once after `ns` nanoseconds (at least the resolution)."""
        r = lib.so_timer_arm(self._timer, max(int(ns), self.resolution_ns))
        if r < 0:
            raise KvmError("timer_settime", -r)

    def disarm(self) -> None:
        r = lib.so_timer_arm(self._timer, 0)
        if r < 0:
            raise KvmError("timer_settime", -r)

    def run(self, vcpu, ns: int):
        """arm(ns), vcpu.run(), disarm(), discard_pending() in one C call; the TSC
        cycles and the thread CPU time the run took are in `vcpu.run_cycles` and
        `vcpu.run_cpu_ns`."""
        return vcpu.run_bounded(self._timer, max(int(ns), self.resolution_ns), self.signo)

    def run_armed(self, vcpu, ns: int):
        """Like run(), keeping the timer armed across guest exits (ns == 0: the deadline
        set by an earlier call stands); disarm() when the runs stop."""
        return vcpu.run_armed(
            self._timer, max(int(ns), self.resolution_ns) if ns else 0, self.signo
        )

    def run_lockstep(self, vcpu, ns: int, quantum_ns: int, floor_ns: int, ls, member: int):
        """Quanta in lockstep with other threads (vcpu.run_lockstep), no run shorter
        than `floor_ns`; the timer is disarmed or spent when it returns."""
        floor = max(int(floor_ns), self.resolution_ns)
        return vcpu.run_lockstep(
            self._timer, max(int(ns), floor), int(quantum_ns), floor, self.signo, ls, member
        )

    def close(self) -> None:
        if self._timer is not None:
            lib.so_timer_delete(self._timer)
            self._timer = None
            self._release_signal()

    def __enter__(self) -> PosixKvmTimer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PerfKvmTimer(_KickTimerBase):
    """Interrupts KVM_RUN after a number of guest cycles (cycle-counter overflow).

    Needs a hardware PMU visible to the host: raises kvm.perf.PerfUnavailable
    (with the reason) where there is none.
    """

    def __init__(self, signo: int = KICK_SIGNAL, host_freq_hz: float = 2e9) -> None:
        counter = PerfCounter(
            PERF_TYPE_HARDWARE,
            CPU_CYCLES,
            exclude_host=True,
            sample_period=1 << 62,
            name="guest cycles (overflow timer)",
        )
        super().__init__(signo)
        self.counter = counter
        self.host_freq_hz = host_freq_hz
        self.resolution_ns = int(1000 * 1e9 / host_freq_hz)
        r = lib.so_perf_signal_to_thread(counter.fd, signo, self.tid)
        if r < 0:
            counter.close()
            raise KvmError("fcntl(F_SETOWN_EX)", -r)

    def arm(self, ns: int) -> None:
        cycles = max(int(max(ns, self.resolution_ns) * self.host_freq_hz / 1e9), 1)
        period = ffi.new("unsigned long long *", cycles)
        r = lib.so_ioctl(self.counter.fd, lib.PERF_EVENT_IOC_PERIOD, period)
        if r < 0:
            raise KvmError("PERF_EVENT_IOC_PERIOD", -r)
        r = lib.so_ioctl_int(self.counter.fd, lib.PERF_EVENT_IOC_REFRESH, 1)
        if r < 0:
            raise KvmError("PERF_EVENT_IOC_REFRESH", -r)

    def disarm(self) -> None:
        self.counter.disable()

    def close(self) -> None:
        self.counter.close()
        self._release_signal()
