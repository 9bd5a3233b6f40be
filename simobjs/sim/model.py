"""The runtime base of every model (gem5's C++ SimObject and ClockedObject)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simobjs.errors import ConfigError
from simobjs.sim.drain import DrainState

if TYPE_CHECKING:
    from simobjs.sim.eventq import EventQueue


class Params:
    """A frozen params record (gem5's generated `FooParams`): the base of the record
    class each declaration yields (`simobjs.config.params`), whose slots are exactly
    its declared params. Always `name` (the object's path) and `sim` (the Simulation).
    """

    __slots__ = ("name", "sim")
    fields: tuple[str, ...] = ()  # the declared params (set on each record class)
    decl_class: Any = None  # the declaration class the record was made for

    @classmethod
    def build(cls, name: str, sim: Any, values: dict[str, Any]) -> Params:
        self = object.__new__(cls)
        put = object.__setattr__
        put(self, "name", name)
        put(self, "sim", sim)
        for key, value in values.items():
            put(self, key, value)
        return self

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"params of {self.name} are frozen: cannot set {key}")

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.fields)
        return f"{type(self).__name__}(name={self.name!r}, {shown})"


class Model:
    """A runtime object built from a frozen params record.

    Lifecycle hooks are called by the kernel in gem5's order; all are optional.
    """

    def __init__(self, params: Params):
        self.params = params
        self._name: str = params.name
        sim = params.sim
        self.sim = sim
        self.eventq: EventQueue | None = None
        self._drain_state = DrainState.Running
        if sim is not None:
            self.use_queue(sim.eventq)  # (elaboration moves it to its eventq_index's queue)

    def use_queue(self, queue: EventQueue) -> None:
        """Run on `queue` (before any event is scheduled)."""
        self.eventq = queue
        cls = type(self)
        # the queue's own methods, one frame less per call, unless a subclass wraps them
        if cls.schedule is Model.schedule:
            self.schedule = queue.schedule
        if cls.deschedule is Model.deschedule:
            self.deschedule = queue.deschedule
        if cls.reschedule is Model.reschedule:
            self.reschedule = queue.reschedule

    # -- identity ------------------------------------------------------------
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name}>"

    def curTick(self) -> int:
        return self.eventq._cur_tick

    # -- lifecycle (gem5's order: init, regStats, initState|loadState, startup) --
    def init(self) -> None:
        pass

    def regStats(self) -> None:
        pass

    def initState(self) -> None:
        pass

    def loadState(self, cp) -> None:
        """Restore from a checkpoint: by default, unserialize our own section if present."""
        if cp.has_section(self._name):
            self.unserialize(cp.section(self._name))

    def startup(self) -> None:
        pass

    def serialize(self, section) -> None:
        pass

    def unserialize(self, section) -> None:
        pass

    def memWriteback(self) -> None:
        pass

    def memInvalidate(self) -> None:
        pass

    # -- drain ---------------------------------------------------------------
    def drain(self) -> DrainState:
        """Return Drained when ready now, or Draining and call signalDrainDone() later."""
        return DrainState.Drained

    def drainResume(self) -> None:
        pass

    def drainState(self) -> DrainState:
        return self._drain_state

    def signalDrainDone(self) -> None:
        """Report a finished asynchronous drain (ignored unless this model was Draining)."""
        if self._drain_state is not DrainState.Draining:
            return
        self._drain_state = DrainState.Drained
        if self.sim is not None:
            self.sim.drain_manager.signal_drain_done(self)

    # -- stats -----------------------------------------------------------------
    def statPath(self) -> str:
        """The stat group path (gem5's unpadded vector index: cpu0, not cpu00)."""
        return getattr(self, "_stat_path", None) or self._name

    # -- ports -----------------------------------------------------------------
    def getPort(self, name: str, index: int = -1):
        raise ConfigError(f"{self._name}: no port named '{name}'")

    # -- time ------------------------------------------------------------------
    def schedule(self, event, when: int) -> None:
        self.eventq.schedule(event, when)

    def deschedule(self, event) -> None:
        self.eventq.deschedule(event)

    def reschedule(self, event, when: int, always: bool = False) -> None:
        self.eventq.reschedule(event, when, always)


class ClockedModel(Model):
    """A model with a clock domain (gem5's ClockedObject)."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.clk_domain = params.clk_domain
        self._clock_period: int | None = None

    def clockPeriod(self) -> int:
        period = self._clock_period
        if period is None:  # asked once: clock domains do not change period (no DVFS)
            period = self._clock_period = self.clk_domain.clockPeriod()
        return period

    def clockEdge(self, cycles: int = 0) -> int:
        """The tick of the clock edge `cycles` after the current (or next) edge."""
        period = self._clock_period or self.clockPeriod()
        # the clock read directly here and in curTick/curCycle (the kernel's package, hot
        # paths; `eventq.now` costs clocked models 7%: bench/eventq.py); only the queue
        # writes it
        now = self.eventq._cur_tick
        return (-(-now // period) + cycles) * period

    def nextCycle(self) -> int:
        return self.clockEdge(0)

    def curCycle(self) -> int:
        return self.eventq._cur_tick // self.clockPeriod()

    def cyclesToTicks(self, cycles: int) -> int:
        return int(cycles) * self.clockPeriod()

    def ticksToCycles(self, ticks: int) -> int:
        period = self._clock_period or self.clockPeriod()
        return -(-int(ticks) // period)

    def frequency(self) -> float:
        from simobjs.base import ticks

        return ticks.getFrequency() / self.clockPeriod()


def innermost_model(exc: BaseException) -> str | None:
    """The path of the innermost model (a `self` that is a Model) in `exc`'s traceback:
    the device or CPU that raised."""
    path = None
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, Model):
            path = owner.name()
        tb = tb.tb_next
    return path
