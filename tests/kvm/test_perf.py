import errno

import pytest

from kvm.perf import (
    PERF_TYPE_SOFTWARE,
    TASK_CLOCK,
    GuestCounters,
    PerfCounter,
    explain,
    hardware_pmu_status,
)


def test_explanations_name_the_remedy():
    assert "no PMU" in explain(errno.ENOENT)
    assert "perf_event_paranoid" in explain(errno.EACCES)


def test_task_clock_counts_time():
    c = PerfCounter(PERF_TYPE_SOFTWARE, TASK_CLOCK, name="task clock")
    c.enable()
    x = 0
    for i in range(200_000):
        x += i
    c.disable()
    first = c.read()
    assert first > 0
    c.reset()
    assert c.read() < first
    c.close()


def test_guest_counters_fall_back_or_use_hardware():
    available, reason = hardware_pmu_status()
    gc = GuestCounters()
    try:
        assert gc.hardware == available
        gc.start()
        sum(range(100_000))
        gc.stop()
        s = gc.read()
        if gc.hardware:
            assert s.cycles is not None and s.task_clock_ns is None
        else:
            assert gc.kind == "task-clock" and gc.reason == reason
            assert s.cycles is None and s.instructions is None and s.task_clock_ns > 0
    finally:
        gc.close()


@pytest.mark.kvm
def test_task_clock_sees_guest_time(make_guest):
    from kvm.exits import INTR
    from kvm.timers import PosixKvmTimer
    from kvm.vcpu import thread_cpu_ns

    g = make_guest("1: jmp 1b")
    gc = GuestCounters(prefer_hardware=False)
    with PosixKvmTimer() as t:
        t.attach(g.vcpu)
        gc.start()
        before = thread_cpu_ns()
        t.arm(20_000_000)
        assert g.vcpu.run() is INTR
        spent = thread_cpu_ns() - before
        gc.stop()
        t.discard_pending()
    # the guest's run counts as task time: most of the CPU time this thread got for it
    # (compared with the thread's own CPU clock, not the wall clock: the host may be busy)
    assert gc.read().task_clock_ns > spent // 2 > 0
    gc.close()
