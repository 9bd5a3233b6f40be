"""Several event queues on host threads, in lockstep by Root.sim_quantum (pure
event-queue logic: no CPU)."""

from __future__ import annotations

import threading

import pytest

from simobjs.errors import ConfigError
from simobjs.sim.core import Phase, Simulation
from simobjs.sim.eventq import EventFunctionWrapper


def make(quantum: int, queues: int = 2) -> Simulation:
    sim = Simulation(outdir=None)
    sim.sim_quantum = quantum  # what the Root model sets
    for i in range(1, queues):
        sim.queue(i)
    sim.phase = Phase.INSTANTIATED
    return sim


def test_queues_run_on_their_own_threads_in_lockstep():
    sim = make(1000, 3)
    seen = []

    def ticker(q, period):
        def fire():
            seen.append((q.name, q.now, threading.current_thread().name))
            if q.now < 4000:
                q.schedule(ev, q.now + period)

        ev = EventFunctionWrapper(fire, f"{q.name}.ticker")
        q.schedule(ev, period)

    for q, period in zip(sim.eventqs, (300, 700, 1100), strict=True):
        ticker(q, period)
    sim.eventqs[1].schedule(
        EventFunctionWrapper(lambda: sim.exitSimLoop("stop here"), "exit"), 2500
    )
    try:
        ev = sim.simulate()
        assert ev.getCause() == "stop here"
        # the exit (at 2500, from queue 1's thread) takes effect at the quantum's barrier
        assert [q.now for q in sim.eventqs] == [3000, 3000, 3000]
        threads = {name: {t for n, _, t in seen if n == name} for name, _, _ in seen}
        assert threads["MainEventQueue-0"] == {threading.current_thread().name}
        assert threads["MainEventQueue-1"] == {"MainEventQueue-1"}
        assert threads["MainEventQueue-2"] == {"MainEventQueue-2"}
        # every event ran at its tick, none past the barrier
        assert all(t <= 3000 for _, t, _ in seen)
        assert [t for n, t, _ in seen if n == "MainEventQueue-1"] == [700, 1400, 2100, 2800]
        ev = sim.simulate(2000)  # on to the end: the limit, again at a barrier
        assert ev.getCause() == "simulate() limit reached"
        assert [q.now for q in sim.eventqs] == [5000, 5000, 5000]
    finally:
        sim.close()


def test_several_queues_without_a_quantum_are_fatal():
    sim = make(0)
    try:
        with pytest.raises(ConfigError, match="Quantum for multi-eventq simulation not specified"):
            sim.simulate()
    finally:
        sim.close()


def test_an_error_in_another_queue_reaches_simulate():
    sim = make(1000)

    def boom():
        raise ValueError("broken model")

    sim.eventqs[1].schedule(EventFunctionWrapper(boom, "boom"), 1500)
    try:
        with pytest.raises(Exception, match="broken model"):
            sim.simulate()
    finally:
        sim.close()


def test_an_idle_queue_woken_from_another_runs_at_the_wakers_tick():
    """Queue 1 goes idle at tick 5 (a CPU suspended); queue 0, inside the same quantum,
    gives it work at tick 20 while its own thread was away from the lock for a while (as
    a KVM run is): queue 1 waited at tick 5 instead of running on to the quantum's end,
    so the work runs at tick 20, not at the barrier (1000)."""
    import time

    sim = make(1000)
    q0, q1 = sim.eventqs
    ran = []

    def idle():
        q1.went_idle()

    def away():
        lock = q0.parallel_lock
        lock.release()  # what a KVM CPU does around KVM_RUN
        try:
            time.sleep(0.05)
        finally:
            lock.acquire()

    def give_work():
        work = EventFunctionWrapper(lambda: ran.append(q1.now), "work")
        q1.schedule(work, max(q0.now, q1.now))
        q1.woken()

    q1.schedule(EventFunctionWrapper(idle, "idle"), 5)
    q0.schedule(EventFunctionWrapper(away, "away"), 10)
    q0.schedule(EventFunctionWrapper(give_work, "give"), 20)
    q0.schedule(EventFunctionWrapper(lambda: sim.exitSimLoop("done"), "exit"), 1500)
    try:
        assert sim.simulate().getCause() == "done"
        assert ran == [20]
        assert [q.now for q in sim.eventqs] == [2000, 2000]
    finally:
        sim.close()
