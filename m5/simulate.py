"""gem5's m5.simulate: instantiate, simulate, drain, checkpoint, switchCpus and tick helpers."""

from __future__ import annotations

from typing import Any

from m5 import core as _core
from simobjs.config import build as _build
from simobjs.sim import core as _sim
from simobjs.sim.eventq import MaxTick

__all__ = [
    "MaxTick",
    "instantiate",
    "simulate",
    "curTick",
    "drain",
    "memWriteback",
    "memInvalidate",
    "checkpoint",
    "switchCpus",
    "setMaxTick",
    "getMaxTick",
    "scheduleTickExitFromCurrent",
    "scheduleTickExitAbsolute",
    "exitSimLoop",
    "finalize",
    "close",
    "getTicksUntilMax",
    "fork",
    "fork_count",
    "notifyFork",
    "disableAllListeners",
    "listenersDisabled",
    "listenersLoopbackOnly",
]


# tick exits a script scheduled before m5.instantiate() (gem5 allows it: its event
# queue exists from the start): (absolute tick, cause), scheduled at instantiate
_pending_tick_exits: list[tuple[int, str]] = []
_pending_max_tick: int | None = None


def instantiate(ckpt_dir: str | None = None, root: Any = None, outdir: str | None = None):
    """Build every model from the Root() declaration (and restore `ckpt_dir` if given)."""
    sim = _build.instantiate(root, ckpt_dir, outdir if outdir is not None else _core.getOutputDir())
    global _pending_max_tick
    pending = list(_pending_tick_exits)
    _pending_tick_exits.clear()
    for tick, cause in pending:
        sim.scheduleTickExitAbsolute(max(tick, sim.curTick()), cause)
    if _pending_max_tick is not None:
        sim.setMaxTick(max(_pending_max_tick, sim.curTick()))
        _pending_max_tick = None
    return sim


def simulate(ticks: int = -1):
    """Run until an exit event; `ticks` (optional) moves the limit to curTick() + ticks.

    gem5's C++ takes `ticks` as an unsigned 64-bit number, so MaxTick is the same
    as -1: the limit set by setMaxTick() stays (the standard library's Simulator
    passes MaxTick on every run)."""
    if ticks == MaxTick:
        ticks = -1
    return _sim.require("m5.simulate()").simulate(ticks)


def curTick() -> int:
    sim = _sim.current()
    return sim.curTick() if sim is not None else 0


def drain() -> None:
    _sim.require("m5.drain()").drain()


def memWriteback(root: Any = None) -> None:
    _sim.require("m5.memWriteback()").memWriteback()


def memInvalidate(root: Any = None) -> None:
    _sim.require("m5.memInvalidate()").memInvalidate()


def checkpoint(dir: str) -> str:  # noqa: A002 - gem5's argument name
    """Drain, write back and write a checkpoint (`%d` in dir becomes curTick)."""
    return _sim.require("m5.checkpoint()").checkpoint(dir)


def switchCpus(system: Any, cpuList: list, verbose: bool = True) -> None:  # noqa: N803
    from simobjs.sim.switch import switch_cpus

    switch_cpus(_sim.require("m5.switchCpus()"), system, cpuList, verbose)


def setMaxTick(tick: int) -> None:
    """The tick at which simulate() stops with "simulate() limit reached" (before
    m5.instantiate(): kept until then, as gem5 allows)."""
    global _pending_max_tick
    if _before_instantiate():
        _pending_max_tick = int(tick)
        return
    _sim.require("m5.setMaxTick()").setMaxTick(tick)


def getMaxTick() -> int:
    sim = _sim.current()
    if sim is None or sim.phase is not _sim.Phase.INSTANTIATED:
        return _pending_max_tick if _pending_max_tick is not None else MaxTick
    return sim.getMaxTick()


def _before_instantiate() -> bool:
    sim = _sim.current()
    return sim is None or sim.phase is _sim.Phase.CLOSED


def scheduleTickExitFromCurrent(ticks: int, exit_string: str = "Tick exit reached") -> None:
    """An exit `ticks` from now (before m5.instantiate(): from tick 0, as in gem5)."""
    if _before_instantiate():
        _pending_tick_exits.append((int(ticks), exit_string))
        return
    _sim.require("m5.scheduleTickExitFromCurrent()").scheduleTickExitFromCurrent(ticks, exit_string)


def scheduleTickExitAbsolute(tick: int, exit_string: str = "Tick exit reached") -> None:
    if _before_instantiate():
        _pending_tick_exits.append((int(tick), exit_string))
        return
    _sim.require("m5.scheduleTickExitAbsolute()").scheduleTickExitAbsolute(tick, exit_string)


def exitSimLoop(cause: str, code: int = 0, delay: int = 0) -> None:
    _sim.require("m5.exitSimLoop()").exitSimLoop(cause, code, delay)


def finalize() -> None:
    """Dump stats once on the way out (the CLI's exit path; also registered atexit)."""
    sim = _sim.current()
    if sim is not None:
        sim.finalize()


def close() -> None:
    """Beyond gem5: tear the simulation down so another can be instantiated."""
    sim = _sim.current()
    if sim is not None:
        sim.close()


def getTicksUntilMax() -> int:
    """Ticks left until the max tick (gem5's getMaxTick() - curTick())."""
    return getMaxTick() - curTick()


fork_count = 0  # gem5's count of forks done; simobjs never forks


def fork(simout: str = "%(parent)s.f%(fork_seq)i") -> int:
    """gem5 forks the simulator into a child with its own output directory.
    simobjs refuses: guest RAM is one shared mapping that KVM and the
    reference CPU use in place, so a forked child would write into its
    parent's guest memory (and a KVM VM cannot be used from a child)."""
    from simobjs.errors import UnsupportedError

    raise UnsupportedError(
        "m5.fork() is not supported by simobjs: guest RAM is a shared mapping "
        "used in place by KVM and the reference CPU, so a forked child would "
        "write into its parent's guest memory, and a KVM VM cannot be used from "
        "a child process. Run each simulation in its own process, or take a "
        "checkpoint with m5.checkpoint() and restore it in new processes "
        "(m5.instantiate(ckpt_dir)); several simulations one after another in "
        "one process work with m5.close()."
    )


def notifyFork(root: Any) -> None:
    """gem5 calls notifyFork() on every object in a forked child; simobjs never forks."""


def disableAllListeners() -> None:
    """simobjs opens no listening sockets (no terminal port, no remote GDB)."""


def listenersDisabled() -> bool:
    return True


def listenersLoopbackOnly() -> None:
    """simobjs opens no listening sockets."""
