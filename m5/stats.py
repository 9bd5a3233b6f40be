"""gem5's m5.stats: dump(), reset(), and the text/JSON outputs."""

from __future__ import annotations

from typing import Any

from simobjs.sim import core as _sim
from simobjs.sim.stats import Formula, Scalar, Value, Vector

__all__ = [
    "dump", "reset", "addStatVisitor", "enable", "periodicStatDump",
    "Scalar", "Vector", "Formula", "Value",
]  # fmt: skip


def dump(roots: Any = None) -> bool:
    """Append one block to stats.txt (nothing if already dumped this tick, or at tick 0)."""
    sim = _sim.current()
    if sim is None:
        return False
    return sim.stats.dump()


def reset() -> None:
    sim = _sim.current()
    if sim is not None:
        sim.stats.reset()


def enable() -> None:
    sim = _sim.current()
    if sim is not None:
        sim.stats.enable()


def addStatVisitor(url: str) -> None:
    """gem5 accepts extra outputs; here stats.txt and stats.json are always written."""
    if url.split("?")[0] not in (
        "stats.txt",
        "text://stats.txt",
        "json://stats.json",
        "stats.json",
    ):
        import sys

        print(f"warn: stat output {url} not supported; writing stats.txt and stats.json",
              file=sys.stderr)  # fmt: skip


def periodicStatDump(period: int = 0) -> None:
    """Dump every `period` ticks from now on (0 stops), as gem5's periodicStatDump."""
    from simobjs.sim.eventq import PeriodicEvent, Priority

    sim = _sim.require("m5.stats.periodicStatDump()")
    ev = getattr(sim, "_periodic_dump", None)
    if ev is not None:
        ev.stop()
        sim._periodic_dump = None
    if period > 0:
        ev = PeriodicEvent(sim.stats.dump, int(period), "periodicStatDump", Priority.Stat_Event)
        ev.start(sim.eventq, sim.curTick() + int(period))
        sim._periodic_dump = ev
