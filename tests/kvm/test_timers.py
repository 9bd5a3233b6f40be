import signal
import threading
import time

import pytest

from kvm.exits import INTR
from kvm.perf import PerfUnavailable
from kvm.timers import KICK_SIGNAL, PerfKvmTimer, PosixKvmTimer, discard_pending

SPIN = "1: jmp 1b"


@pytest.fixture
def timer():
    t = PosixKvmTimer()
    yield t
    t.close()


def test_signal_blocked_in_thread_and_handler_installed(timer):
    assert KICK_SIGNAL in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert callable(signal.getsignal(KICK_SIGNAL))
    assert timer.resolution_ns > timer.clock_resolution_ns >= 1


def test_pending_signal_is_discarded(timer):
    assert not timer.discard_pending()
    timer.arm(1000)
    time.sleep(0.01)
    assert timer.discard_pending()
    assert not discard_pending(timer.signo)


def test_stray_kick_outside_kvm_does_not_kill(timer):
    timer.kick()  # blocked here: stays pending, is dropped
    assert timer.discard_pending()


def test_close_restores_mask():
    was = KICK_SIGNAL in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    t = PosixKvmTimer()
    t.close()
    assert (KICK_SIGNAL in signal.pthread_sigmask(signal.SIG_BLOCK, [])) == was


@pytest.mark.kvm
@pytest.mark.parametrize("cpl", [3, 0])
def test_timer_bounds_a_spinning_guest(make_guest, timer, cpl):
    g = make_guest(SPIN, cpl=cpl)
    timer.attach(g.vcpu)
    requested = 2_000_000
    t0 = time.perf_counter_ns()
    timer.arm(requested)
    e = g.vcpu.run()
    elapsed = time.perf_counter_ns() - t0
    timer.disarm()
    timer.discard_pending()
    assert e is INTR  # the guest never exits by itself: only the timer ends the run
    assert elapsed >= requested * 0.99
    assert elapsed < 2_000_000_000


@pytest.mark.kvm
def test_expired_timer_before_entry_still_interrupts(make_guest, timer):
    g = make_guest(SPIN)
    timer.attach(g.vcpu)
    timer.arm(1000)
    time.sleep(0.005)  # the signal is now pending and blocked
    assert g.vcpu.run() is INTR
    assert timer.discard_pending()  # KVM_RUN leaves the signal pending: drop it
    assert not timer.discard_pending()


@pytest.mark.kvm
def test_kick_from_another_thread(make_guest, timer):
    g = make_guest(SPIN)
    timer.attach(g.vcpu)
    kicker = threading.Timer(0.005, timer.kick)
    kicker.start()
    e = g.vcpu.run()
    kicker.join()
    timer.discard_pending()
    assert e is INTR


@pytest.mark.kvm
def test_several_bounded_slices_in_a_row(make_guest, timer):
    g = make_guest("1: inc %rax\n jmp 1b")
    timer.attach(g.vcpu)
    seen = []
    for _ in range(5):
        timer.arm(2_000_000)
        assert g.vcpu.run() is INTR  # the guest never exits by itself: each run is bounded
        timer.disarm()
        timer.discard_pending()
        seen.append(g.vcpu.get_regs().rax)
    # a loaded host may let a slice expire before the guest runs at all (the first entry
    # is the slowest), so only the whole sequence must show progress
    assert seen == sorted(seen) and seen[-1] > seen[0]


def test_perf_timer_reports_missing_pmu_cleanly():
    try:
        t = PerfKvmTimer()
    except PerfUnavailable as e:
        assert e.reason and ("PMU" in e.reason or "perf_event_paranoid" in e.reason)
    else:
        assert t.resolution_ns > 0
        t.close()


@pytest.mark.kvm
def test_one_call_bounded_run_counts_cycles_and_leaves_nothing_pending(make_guest, timer):
    g = make_guest("1: inc %rax\n jmp 1b")
    timer.attach(g.vcpu)
    assert timer.run(g.vcpu, 2_000_000) is INTR  # only the timer ends a spinning guest
    assert g.vcpu.run_cycles > 0
    # and the thread CPU time it took (the no-PMU cycle source)
    assert 0 < g.vcpu.run_cpu_ns
    assert not timer.discard_pending()  # the late kick was consumed in the same call
    out = make_guest("mov $1, %al\n out %al, $0x10\n 1: jmp 1b")
    timer.attach(out.vcpu)
    e = timer.run(out.vcpu, 5_000_000)
    assert e.port == 0x10
    time.sleep(0.01)  # past the deadline: a timer left armed would have fired by now
    assert not timer.discard_pending()
