"""Model and ClockedModel: clock arithmetic, direct scheduling, clock domains."""

import pytest

from simobjs.sim.clock_domain import SrcClockDomain, VoltageDomain
from simobjs.sim.eventq import EventFunctionWrapper, EventQueue
from simobjs.sim.model import ClockedModel, Model, Params


class _Sim:
    def __init__(self):
        self.eventq = EventQueue()


def _clocked(period=500):
    sim = _Sim()
    vd = VoltageDomain(Params(name="vd", sim=sim, voltage=[0.9]).freeze())
    clk = SrcClockDomain(
        Params(name="clk", sim=sim, clock=[period, 1000], voltage_domain=vd).freeze()
    )
    return sim, ClockedModel(Params(name="dev", sim=sim, clk_domain=clk).freeze())


def test_clock_edges_and_cycles():
    sim, dev = _clocked(500)
    assert dev.clockPeriod() == 500 and dev.clk_domain.voltage() == 0.9  # first vector entry
    assert dev.clockEdge() == 0 and dev.clockEdge(2) == 1000
    sim.eventq.advance_to(1001)
    assert dev.nextCycle() == 1500 and dev.clockEdge(1) == 2000 and dev.curCycle() == 2
    assert dev.cyclesToTicks(3) == 1500 and dev.ticksToCycles(1001) == 3
    assert dev.frequency() == 2e9


def test_schedule_goes_straight_to_the_queue_unless_wrapped():
    sim, dev = _clocked()
    fired = []
    ev = EventFunctionWrapper(lambda: fired.append(sim.eventq.curTick()), "e")
    dev.schedule(ev, 700)
    dev.reschedule(ev, 900)
    sim.eventq.step()
    assert fired == [900]

    class Wrapping(Model):
        def schedule(self, event, when):
            fired.append("wrapped")
            super().schedule(event, when)

    w = Wrapping(Params(name="w", sim=sim).freeze())
    w.schedule(EventFunctionWrapper(lambda: None, "x"), 1000)
    assert fired[-1] == "wrapped"


def test_frozen_params_and_bad_clock():
    p = Params(name="x", sim=None).freeze()
    with pytest.raises(AttributeError, match="frozen"):
        p.extra = 1
    with pytest.raises(ValueError, match="positive"):
        SrcClockDomain(Params(name="clk", sim=_Sim(), clock=[0]).freeze())
