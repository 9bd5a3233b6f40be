"""Drain: several rounds, Finished drain, resume through Resuming to Running."""

import pytest
from kernel_models import Drainer, Ticker, make_root

from simobjs.config import build
from simobjs.errors import SimulationError
from simobjs.sim.drain import DrainState


def test_drain_needs_several_rounds(tmp_path):
    root = make_root(d=Drainer(rounds=3, delay=100), e=Drainer(rounds=1, delay=250), t=Ticker())
    sim = build.instantiate(root, outdir=str(tmp_path))
    sim.simulate(1000)
    d = root.system.d.getCCObject()
    e = root.system.e.getCCObject()
    sim.drain()
    assert sim.drain_manager.isDrained()
    # round 1 waits for the slower one (250), rounds 2 and 3 for d alone, round 4 finds all drained
    assert d.calls == 4 and e.calls == 4
    assert sim.curTick() == 1000 + 250 + 100 + 100
    assert all(m.drainState() is DrainState.Drained for m in sim.order)
    ticker = root.system.t.getCCObject()
    count = ticker.count
    sim.drain()  # already drained: nothing happens
    assert d.calls == 4
    ev = sim.simulate(1000)  # resumes everything first
    assert ev.getCause() == "simulate() limit reached"
    assert all(m.drainState() is DrainState.Running for m in sim.order)
    assert ticker.count > count


def test_finished_drain_is_an_exit_event(tmp_path):
    root = make_root(d=Drainer(rounds=1, delay=40))
    sim = build.instantiate(root, outdir=str(tmp_path))
    assert sim.drain_manager.try_drain() is False
    ev = sim._run()
    assert ev.getCause() == "Finished drain" and sim.curTick() == 40
    assert sim.drain_manager.try_drain() is True


def test_signal_drain_done_outside_a_drain_is_ignored(tmp_path):
    root = make_root(d=Drainer(rounds=0))
    sim = build.instantiate(root, outdir=str(tmp_path))
    d = root.system.d.getCCObject()
    d.signalDrainDone()
    assert sim.drain_manager.count == 0 and d.drainState() is DrainState.Running


def test_a_drain_that_never_finishes_is_reported(tmp_path):
    root = make_root(d=Drainer(rounds=1, delay=10))
    sim = build.instantiate(root, outdir=str(tmp_path))
    d = root.system.d.getCCObject()
    d.done.callback = lambda: None  # never signals
    with pytest.raises(SimulationError, match="drain never finished; still draining: system.d"):
        sim.drain()


def test_exits_that_fire_during_a_drain_come_from_the_next_simulate(tmp_path):
    """gem5 drops an exit that fires while m5.drain() simulates; here the next simulate()
    returns it (then the one after), before simulating anything."""
    root = make_root(d=Drainer(rounds=1, delay=100), t=Ticker())
    sim = build.instantiate(root, outdir=str(tmp_path))
    sim.simulate(1000)
    sim.exitSimLoop("m5_exit instruction encountered", 7, delay=30)
    sim.scheduleTickExitFromCurrent(60, "tick exit")
    sim.drain()
    assert sim.curTick() == 1100 and sim.drain_manager.isDrained()
    first = sim.simulate()
    assert (first.getCause(), first.getCode(), sim.curTick()) == (
        "m5_exit instruction encountered",
        7,
        1100,
    )
    second = sim.simulate()
    assert second.getCause() == "tick exit" and sim.curTick() == 1100
    assert sim.tick_exits == []
    assert sim.simulate(500).getCause() == "simulate() limit reached"
    assert sim.curTick() == 1600
