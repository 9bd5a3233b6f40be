"""gem5's m5.stats: dump(), reset(), periodicStatDump(), addStatVisitor() and
the text/JSON outputs."""

from __future__ import annotations

import ast
from typing import Any
from urllib.parse import parse_qs, urlsplit

from m5.util import fatal
from simobjs.options import options as _options
from simobjs.sim import core as _sim
from simobjs.sim import stat_control as _control
from simobjs.sim.stats import Formula, Scalar, Value, Vector

__all__ = [
    "dump",
    "reset",
    "addStatVisitor",
    "enable",
    "prepare",
    "periodicStatDump",
    "printStatVisitorTypes",
    "initSimStats",
    "outputList",
    "factories",
    "Scalar",
    "Vector",
    "Formula",
    "Value",
]

# gem5's URL schemes: text (also a bare file name, "file://") and json; gem5's
# "h5" (HDF5) is a build option that simobjs, like most gem5 builds, has off.
factories: dict[str | None, str | None] = {
    None: "text",
    "": "text",
    "text": "text",
    "file": "text",
    "json": "json",
    "h5": None,
}
_OPTIONS = {"text": {"desc", "spaces"}, "json": set()}

# the outputs added with addStatVisitor (the default stats.txt/stats.json not included)
outputList: list[_control.StatOutput] = _control.extra_outputs


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


def prepare() -> None:
    """Bring formula inputs up to date (dump() does it itself)."""
    sim = _sim.current()
    if sim is not None:
        sim.stats.root.prepare()


def initSimStats() -> None:
    """gem5 registers the simulator's global stats here; simobjs's Root owns them."""


def _parse_options(url: str, query: str, allowed: set[str]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for key, values in parse_qs(query.replace(";", "&"), keep_blank_values=True).items():
        if len(values) != 1 or not values[0]:
            fatal(f"{url}: '{key}' doesn't have a value.")
        try:
            kwargs[key] = ast.literal_eval(values[0])
        except (ValueError, SyntaxError):
            fatal(f"{url}: {values[0]} isn't a valid Python literal")
    if set(kwargs) - allowed:
        fatal("Illegal stat visitor parameter specified")
    return kwargs


def _json_twin(path: str) -> str:
    return path.rsplit(".", 1)[0] + ".json" if "." in path else path + ".json"


def addStatVisitor(url: str) -> None:
    """Also write the stats to `url` at every dump: "stats2.txt",
    "text://stats2.txt?desc=False;spaces=False" or "json://stats.json"
    (relative to the output directory)."""
    parsed = urlsplit(url)
    scheme = parsed.scheme
    if scheme not in factories:
        fatal(f"Illegal stat file type '{scheme}' specified.")
    kind = factories[scheme]
    if kind is None:
        fatal(f"Stat type '{scheme}' disabled at compile time")
    opts = _parse_options(url, parsed.query, _OPTIONS[kind])
    path = f"{parsed.netloc}{parsed.path}"
    default = _options.stats_file or "stats.txt"
    if (kind, path, opts) in (("text", default, {}), ("json", _json_twin(default), {})):
        return  # the default outputs are always written
    _control.add_output(
        _control.StatOutput(
            path, kind, bool(opts.get("desc", True)), bool(opts.get("spaces", True))
        )
    )


def printStatVisitorTypes() -> None:
    print("Available stat visitors:")
    print("  text (also a bare file name or file://): desc=True|False, spaces=True|False")
    print("  json: one JSON array of dumps")


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
