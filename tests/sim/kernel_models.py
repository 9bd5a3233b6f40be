"""Small declarations and models that record what the kernel does to them."""

from __future__ import annotations

from simobjs.arch.x86.state import X86State
from simobjs.cpu.base import BaseCPU as BaseCPUModel
from simobjs.mem.guest_ram import GuestRam
from simobjs.objects.cpu import BaseCPU
from simobjs.objects.mem import SimpleMemory
from simobjs.objects.sim import ClockedObject, Root, SrcClockDomain, VoltageDomain
from simobjs.objects.system import System
from simobjs.params import NULL, Param, SimObject
from simobjs.params import ResponsePort as ResponsePortDecl
from simobjs.sim import stats
from simobjs.sim.drain import DrainState
from simobjs.sim.eventq import EventFunctionWrapper
from simobjs.sim.model import ClockedModel, Model
from simobjs.sim.port import ResponsePort

LOG: list[tuple[str, str]] = []

PHASES = ("init", "regStats", "initState", "loadState", "startup", "drainResume")


class RecorderModel(Model):
    """Logs every lifecycle call as (phase, path)."""

    def __init__(self, params):
        super().__init__(params)
        LOG.append(("create", self.name()))

    def init(self):
        LOG.append(("init", self.name()))

    def regStats(self):
        LOG.append(("regStats", self.name()))

    def initState(self):
        LOG.append(("initState", self.name()))

    def loadState(self, cp):
        LOG.append(("loadState", self.name()))
        super().loadState(cp)

    def startup(self):
        LOG.append(("startup", self.name()))

    def drainResume(self):
        LOG.append(("drainResume", self.name()))

    def serialize(self, section):
        section["recorded"] = True


class Recorder(SimObject):
    type = "Recorder"
    _model = "kernel_models:RecorderModel"
    peer = Param.Recorder(NULL, "another recorder (built first, as getCCObject does)")


class DrainerModel(Model):
    """Needs `rounds` drain rounds; each takes `delay` ticks to finish."""

    def __init__(self, params):
        super().__init__(params)
        self.left = params.rounds
        self.calls = 0
        self.done = EventFunctionWrapper(self.signalDrainDone, f"{self.name()}.drainDone")

    def drain(self):
        self.calls += 1
        if self.left == 0:
            return DrainState.Drained
        self.left -= 1
        self.schedule(self.done, self.curTick() + self.params.delay)
        return DrainState.Draining


class Drainer(SimObject):
    type = "Drainer"
    _model = "kernel_models:DrainerModel"
    rounds = Param.Int(3, "drain rounds needed")
    delay = Param.Tick(100, "ticks each round takes")


class TickerModel(ClockedModel):
    """Counts clock edges; its pending event survives checkpoints through its own state."""

    def __init__(self, params):
        super().__init__(params)
        self.count = 0
        self.event = EventFunctionWrapper(self.tick, f"{self.name()}.tick")
        self.restored_next = None

    def regStats(self):
        self.ticks = stats.Scalar(self, "ticks", "Number of ticks", unit=stats.Count)

    def initState(self):
        self.schedule(self.event, self.clockEdge(self.params.every))

    def tick(self):
        self.count += 1
        self.ticks += 1
        if self.count == self.params.stop_after:
            self.sim.exitSimLoop("ticker done", self.count)
        self.schedule(self.event, self.clockEdge(self.params.every))

    def serialize(self, section):
        section["count"] = self.count
        section["nextTick"] = self.event.when() if self.event.scheduled() else -1

    def unserialize(self, section):
        self.count = section.get_int("count")
        nxt = section.get_int("nextTick")
        self.restored_next = nxt
        if nxt >= 0:
            self.schedule(self.event, nxt)


class Ticker(ClockedObject):
    type = "Ticker"
    _model = "kernel_models:TickerModel"
    every = Param.Int(1, "cycles between ticks")
    stop_after = Param.Int(0, "exit after this many ticks (0: never)")


class RamModel(Model):
    """A memory with a real GuestRam (the platform's SimpleMemory does the same)."""

    def __init__(self, params):
        super().__init__(params)
        rng = params.range
        self.ram = GuestRam(rng.start, rng.size(), self.name(), prefault=False)
        self.port = ResponsePort("port", self, self.recv_atomic, lambda: [rng])
        self.writebacks = 0
        self.invalidates = 0

    def recv_atomic(self, pkt):
        return 0

    def getPort(self, name, index=-1):
        return self.port

    def memWriteback(self):
        self.writebacks += 1

    def memInvalidate(self):
        self.invalidates += 1

    def close(self):
        self.ram.close()


class DemoMemory(SimpleMemory):
    type = "DemoMemory"
    _model = "kernel_models:RamModel"
    port = ResponsePortDecl("memory side (may stay unconnected in tests)", required=False)


class DemoCPUModel(BaseCPUModel):
    """Runs 10 'instructions' per cycle; state is an X86State it keeps."""

    def __init__(self, params):
        super().__init__(params)
        self.state = X86State()
        self.event = EventFunctionWrapper(self.tick, f"{self.name()}.tick")

    def startup(self):
        if not self.switchedOut():
            self.activateContext(0)

    def activateContext(self, tid=0):
        super().activateContext(tid)
        if not self.event.scheduled():
            self.schedule(self.event, self.clockEdge(1))

    def tick(self):
        n = 10
        limit = self.instsUntilNextEvent()
        if limit is not None:
            n = min(n, limit)
        self.state.rip += n
        self.countCycles(1)
        self.countInsts(n)
        if not self.switchedOut():
            self.schedule(self.event, self.clockEdge(1))

    def drain(self):
        if self.event.scheduled():
            self.deschedule(self.event)
        return DrainState.Drained

    def drainResume(self):
        if not self.switchedOut() and not self.event.scheduled():
            self.schedule(self.event, self.clockEdge(1))

    def get_state(self, tid=0):
        return self.state.copy()

    def set_state(self, state, tid=0):
        self.state = state.copy()

    def serializeThread(self, section, tid):
        section["rip"] = self.state.rip
        section["rax"] = self.state.reg("rax")

    def unserializeThread(self, section, tid):
        self.state.rip = section.get_int("rip")
        self.state.set_reg("rax", section.get_int("rax"))


class DemoCPU(BaseCPU):
    type = "DemoCPU"
    _model = "kernel_models:DemoCPUModel"

    @classmethod
    def memory_mode(cls):
        return "atomic"

    @classmethod
    def support_take_over(cls):
        return True


class DemoKvmLikeCPU(DemoCPU):
    type = "DemoKvmLikeCPU"

    @classmethod
    def memory_mode(cls):
        return "atomic_noncaching"


class NoHandoverCPU(DemoCPU):
    type = "NoHandoverCPU"

    @classmethod
    def support_take_over(cls):
        return False


def make_root(mem_size: str = "16MiB", **children) -> Root:
    """Root + System (1 GHz) + one DemoMemory, plus the given children of the system."""
    root = Root(full_system=False)
    root.system = System(mem_mode="atomic")
    root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    root.system.mem = DemoMemory(range=mem_size)
    for name, child in children.items():
        setattr(root.system, name, child)
    return root


__all__ = [
    "LOG",
    "PHASES",
    "Recorder",
    "Drainer",
    "Ticker",
    "DemoMemory",
    "DemoCPU",
    "DemoKvmLikeCPU",
    "NoHandoverCPU",
    "make_root",
]
