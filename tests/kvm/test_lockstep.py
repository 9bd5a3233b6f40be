"""The meeting place of threads running quanta in lockstep (kvm/_build.py so_lockstep):
host threads meet at it through so_lockstep_meet (the GIL given up while they wait),
as an event queue's thread does at a quantum's end outside a vCPU's run."""

import os
import threading

import pytest
from kvm._kvm_ffi import ffi, lib


def new_meeting(n: int):
    ls = ffi.new("so_lockstep *")
    ls.n = n
    return ls


def meets(ls) -> int:
    return ls.state >> 32


def arrived(ls) -> int:
    return ls.state & 0xFFFFFFFF


def test_threads_meet_every_time():
    ls = new_meeting(3)
    rounds = 2000
    passed = [0, 0, 0]
    seen = [[], [], []]

    def member(i):
        for _ in range(rounds):
            assert lib.so_lockstep_meet(ls) == 1
            passed[i] += 1
            seen[i].append(meets(ls))

    threads = [threading.Thread(target=member, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert passed == [rounds] * 3
    assert meets(ls) == rounds and arrived(ls) == 0
    # nobody gets a meet ahead: the next one needs every member, this one too
    for s in seen:
        assert s == list(range(1, rounds + 1))


def test_a_break_sends_waiters_away_and_takes_their_arrival_back():
    ls = new_meeting(3)
    results = []

    def member():
        results.append(lib.so_lockstep_meet(ls))

    waiters = [threading.Thread(target=member) for _ in range(2)]
    for t in waiters:
        t.start()
    while arrived(ls) < 2:  # both wait (spinning, then asleep on the futex)
        threading.Event().wait(0.001)
    threading.Event().wait(0.2)  # past the spin: asleep
    lib.so_lockstep_break(ls)
    for t in waiters:
        t.join(10)
    assert not any(t.is_alive() for t in waiters)
    assert results == [0, 0]
    assert meets(ls) == 0 and arrived(ls) == 0  # the meet did not happen
    assert lib.so_lockstep_meet(ls) == 0  # a broken meeting takes nobody in
    assert arrived(ls) == 0


def meet_into(ls, results: list) -> None:
    results.append(lib.so_lockstep_meet(ls))


def test_break_races_with_completion_and_all_agree():
    """A break while the last member arrives: each member either passed the meet (all
    of them did) or none did; the arrivals never stay counted."""
    for _ in range(200):
        ls = new_meeting(2)
        results = []
        t = threading.Thread(target=meet_into, args=(ls, results))
        t.start()
        while arrived(ls) < 1:
            pass
        breaker = threading.Thread(target=lib.so_lockstep_break, args=(ls,))
        breaker.start()
        results.append(lib.so_lockstep_meet(ls))
        breaker.join()
        t.join(10)
        assert not t.is_alive()
        done = meets(ls)
        assert results in ([1, 1], [0, 0])
        assert done == (1 if results == [1, 1] else 0)
        assert arrived(ls) == 0


def test_a_sleeper_looks_again_even_when_its_wake_up_is_lost():
    """A wake-up can be lost: a sleeper stopped by a debugger or profiler (ptrace)
    while it is woken restarts its wait. Every completion and break changes the word
    sleepers wait on (a restarted wait sees that at once), and a sleeper looks again
    every 20 ms in any case: here the meeting is ended behind its back (no wake-up
    at all) and it still leaves."""
    ls = new_meeting(2)
    results = []
    t = threading.Thread(target=meet_into, args=(ls, results))
    t.start()
    while ls.sleepers == 0:  # past the spin, asleep
        threading.Event().wait(0.001)
    wakes = ls.wakes
    ls.brk = 1  # (a plain store: nobody is woken)
    t.join(5)
    assert not t.is_alive() and results == [0]
    assert ls.wakes == wakes  # nobody woke it: it looked again by itself
    ls = new_meeting(2)
    before = ls.wakes
    lib.so_lockstep_break(ls)
    assert ls.wakes == before + 1


def _lockstep_guests(kvm_sys, n: int, quanta: int, slack_ns: int):
    """`n` threads, each running a busy guest in lockstep quanta of 1 ms in C until
    `quanta` meets have passed; returns (the meeting, each thread's (result, CPU ns))."""
    from kvm.timers import PosixKvmTimer, install_kick_handler
    from simobjs.guest.snippets import Guest, assemble

    install_kick_handler()
    quantum = 1_000_000
    ls = new_meeting(n)
    ls.slack_ns = slack_ns
    for i in range(n):
        ls.limit[i] = quanta
    out = [None] * n
    guests = [Guest(assemble("1: add $1, %rax\n jmp 1b\n"), kvm=kvm_sys) for _ in range(n)]
    go = threading.Barrier(n)

    def member(i):
        timer = PosixKvmTimer()
        try:
            timer.attach(guests[i].vcpu)
            go.wait()
            exit_ = timer.run_lockstep(guests[i].vcpu, quantum, quantum, 10_000, ls, i)
            out[i] = (exit_, guests[i].vcpu.run_cpu_ns)
        finally:
            timer.close()

    threads = [threading.Thread(target=member, args=(i,)) for i in range(n)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
    finally:
        for g in guests:
            g.close()
    return ls, out


def test_vcpus_run_past_meets_others_count_them_in(kvm_sys):
    """With a slack, a vCPU whose peers are all at the meet first does not stop there:
    the last of them counts it in once its CPU time passes the meet and moves its
    deadline on (so_lockstep_carry). Every meet still happens, in order, and each vCPU
    leaves at its limit having run its quanta (not fewer)."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs a core per vCPU (members meet by their threads' CPU time)")
    quanta = 40
    ls, out = _lockstep_guests(kvm_sys, 2, quanta, 200_000)
    assert meets(ls) == quanta + 1 and arrived(ls) == 0 and not ls.brk
    assert ls.carried[0] + ls.carried[1] > quanta // 4  # (most meets, on an idle host)
    for _exit, cpu_ns in out:
        assert cpu_ns >= (quanta + 1) * 1_000_000
