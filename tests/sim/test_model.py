"""Model and ClockedModel: clock arithmetic, direct scheduling, clock domains."""

import pytest

from simobjs.config.params import build_model, params_for
from simobjs.errors import ConfigError
from simobjs.objects.sim import ClockedObject, SimObject, SrcClockDomain, VoltageDomain
from simobjs.sim.eventq import EventFunctionWrapper, EventQueue
from simobjs.sim.model import ClockedModel, Model


class _Sim:
    def __init__(self):
        self.eventq = EventQueue()


def _clocked(period=500):
    sim = _Sim()
    vd = build_model(VoltageDomain, "vd", sim, voltage=[0.9])
    clk = build_model(SrcClockDomain, "clk", sim, clock=[period, 1000], voltage_domain=vd)
    return sim, ClockedModel(params_for(ClockedObject, "dev", sim, clk_domain=clk))


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

    w = Wrapping(params_for(SimObject, "w", sim))
    w.schedule(EventFunctionWrapper(lambda: None, "x"), 1000)
    assert fired[-1] == "wrapped"


def test_params_records_hold_exactly_the_declared_params():
    p = params_for(SrcClockDomain, "clk")
    assert p.fields == tuple(sorted(SrcClockDomain._params))
    assert p.domain_id == -1 and p.voltage_domain is None  # declared default; unset: None
    with pytest.raises(AttributeError, match="frozen"):
        p.domain_id = 1
    with pytest.raises(AttributeError):
        p.not_declared  # noqa: B018 - a name the declaration lacks is an error
    with pytest.raises(AttributeError, match="declares no param"):
        params_for(SrcClockDomain, "clk", colour="red")


def test_bad_clock():
    with pytest.raises(ConfigError, match="clk.clock: the clock period must be positive"):
        build_model(SrcClockDomain, "clk", _Sim(), clock=[0])
