"""The global statistics (gem5's Root stats and BaseCPU global stats) and dump/reset.

`StatsControl` writes `<outdir>/stats.txt` (appending one block per dump, as
gem5) and `<outdir>/stats.json` (a JSON array, one object per dump), plus the
outputs added with `add_output` (gem5's m5.stats.addStatVisitor).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from simobjs.base import ticks
from simobjs.sim import files, stats
from simobjs.sim.stats import NAN, Formula, StatGroup, Value


def host_memory_usage() -> int:
    """Bytes of host virtual memory in use (gem5's memUsage: VmSize)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RootStats(StatGroup):
    """simSeconds ... hostOpRate, in gem5's order, printed before every group."""

    def __init__(
        self,
        cur_tick: Callable[[], int],
        cpus: Callable[[], list[Any]],
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__("")
        self._now = cur_tick
        self._cpus = cpus
        self._clock = clock
        self.stat_time = clock()
        self.start_tick = cur_tick()
        self.simSeconds = Formula(
            self,
            "simSeconds",
            "Number of seconds simulated",
            lambda: stats.divide(self.simTicks.value(), self.simFreq.value()),
            unit=stats.Second,
        )
        self.simTicks = Value(
            self,
            "simTicks",
            "Number of ticks simulated",
            lambda: self._now() - self.start_tick,
            unit=stats.Tick,
        )
        self.finalTick = Value(
            self,
            "finalTick",
            "Number of ticks from beginning of simulation "
            "(restored from checkpoints and never reset)",
            self._now,
            unit=stats.Tick,
        )
        self.simFreq = Value(
            self,
            "simFreq",
            "The number of ticks per simulated second",
            ticks.getFrequency,
            unit=stats.Rate(stats.Tick, stats.Second),
        )
        self.hostSeconds = Value(
            self,
            "hostSeconds",
            "Real time elapsed on the host",
            lambda: self._clock() - self.stat_time,
            unit=stats.Second,
            precision=2,
        )
        self.hostTickRate = Formula(
            self,
            "hostTickRate",
            "The number of ticks simulated per host second (ticks/s)",
            lambda: stats.divide(self.simTicks.value(), self.hostSeconds.value()),
            unit=stats.Rate(stats.Tick, stats.Second),
            precision=0,
        )
        self.hostMemory = Value(
            self,
            "hostMemory",
            "Number of bytes of host memory used",
            host_memory_usage,
            unit=stats.Byte,
        )
        self.hostMemory.prereq = self.hostMemory
        self.simInsts = Value(
            self,
            "simInsts",
            "Number of instructions simulated",
            lambda: self._sum("totalInsts"),
            unit=stats.Count,
            precision=0,
        )
        self.simInsts.prereq = self.simInsts
        self.simOps = Value(
            self,
            "simOps",
            "Number of ops (including micro ops) simulated",
            lambda: self._sum("totalOps"),
            unit=stats.Count,
            precision=0,
        )
        self.simOps.prereq = self.simOps
        self.hostInstRate = Formula(
            self,
            "hostInstRate",
            "Simulator instruction rate (inst/s)",
            lambda: stats.divide(self.simInsts.value(), self.hostSeconds.value()),
            unit=stats.Rate(stats.Count, stats.Second),
            precision=0,
            prereq=self.simInsts,
        )
        self.hostOpRate = Formula(
            self,
            "hostOpRate",
            "Simulator op (including micro ops) rate (op/s)",
            lambda: stats.divide(self.simOps.value(), self.hostSeconds.value()),
            unit=stats.Rate(stats.Count, stats.Second),
            precision=0,
            prereq=self.simOps,
        )

    def _sum(self, method: str) -> float:
        total = 0
        for cpu in self._cpus():
            if not getattr(cpu, "insts_available", True):
                return NAN
            total += getattr(cpu, method)()
        return total

    def prepare(self) -> None:
        """Mark instruction totals unavailable (nan, with the reason) when a CPU cannot count."""
        missing = [c for c in self._cpus() if not getattr(c, "insts_available", True)]
        for stat in (self.simInsts, self.simOps, self.hostInstRate, self.hostOpRate):
            stat.available = not missing
            if missing:
                names = ", ".join(c.name() for c in missing)
                why = getattr(missing[0], "insts_unavailable_reason", "") or "no counter"
                stat.reason = f"{names} cannot count instructions: {why}"

    def resetStats(self) -> None:
        self.stat_time = self._clock()
        self.start_tick = self._now()


@dataclass(frozen=True)
class StatOutput:
    """One more stats file written at every dump: `kind` "text" (gem5's text
    visitor, with its desc/spaces options) or "json" (an array of dumps)."""

    path: str  # relative to the outdir unless absolute
    kind: str = "text"
    descriptions: bool = True
    spaces: bool = True


# Process-wide, as gem5's m5.stats.outputList: every simulation writes them.
extra_outputs: list[StatOutput] = []


def add_output(output: StatOutput) -> None:
    if output.kind not in ("text", "json"):
        raise ValueError(f"unknown stats output kind {output.kind!r}")
    extra_outputs.append(output)


class StatsControl:
    """dump()/reset() over the root stats and every model's stats."""

    def __init__(
        self,
        owners: Callable[[], Iterable[Any]],
        cur_tick: Callable[[], int],
        cpus: Callable[[], list[Any]],
        outdir: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        stats_file: str = "stats.txt",
    ):
        self.root = RootStats(cur_tick, cpus, clock)
        self.stats_file = stats_file or "stats.txt"
        self.json_file = os.path.splitext(self.stats_file)[0] + ".json"
        self._owners = owners
        self._now = cur_tick
        self.outdir = outdir
        self.last_dump = 0
        self.dumps: list[dict[str, Any]] = []
        self.enabled = False

    def owners(self) -> list[Any]:
        return [self.root, *self._owners()]

    def enable(self) -> None:
        """Start the outputs: stats.txt is created empty (gem5 opens it with trunc)."""
        self.enabled = True
        if self.outdir is not None:
            files.open_output(os.path.join(self.outdir, self.stats_file), "w").close()
            for out in extra_outputs:
                if out.kind == "text":
                    files.open_output(self._path(out), "w").close()

    def _path(self, out: StatOutput) -> str:
        return os.path.join(self.outdir or ".", out.path)

    def _write_json(self, path: str) -> None:
        files.write_file(path, json.dumps(self.dumps, indent=1, allow_nan=False))

    @staticmethod
    def _append(path: str, text: str) -> None:
        try:
            with files.open_output(path, "a") as f:
                f.write(text)
        except OSError as e:
            if e.filename is not None:
                raise
            raise OSError(e.errno, e.strerror, path) from None  # (f.write names no file)

    def text(self) -> str:
        self.root.prepare()
        return stats.format_text(self.owners())

    def dump(self, final: bool = False) -> bool:
        """Append one block; a second dump in the same tick (or one at tick 0) does nothing.

        `final` (the exit-path dump) also writes when nothing was dumped yet, even at
        tick 0: a run that failed at once still leaves its stats (gem5 leaves none).
        """
        now = self._now()
        new_dump = self.last_dump != now or (final and not self.dumps)
        self.last_dump = now
        if not new_dump:
            return False
        self.root.prepare()
        owners = self.owners()
        text = stats.format_text(owners)
        record = {"tick": now, "stats": stats.to_json(owners)}
        self.dumps.append(record)
        if self.outdir is not None:
            self._append(os.path.join(self.outdir, self.stats_file), text)
            self._write_json(os.path.join(self.outdir, self.json_file))
            for out in extra_outputs:
                path = self._path(out)
                if out.kind == "json":
                    self._write_json(path)
                    continue
                body = text
                if (out.descriptions, out.spaces) != (True, True):
                    body = stats.format_text(owners, out.descriptions, out.spaces)
                self._append(path, body)
        return True

    def reset(self) -> None:
        for owner in self.owners():
            for stat in stats.stats_of(owner):
                stat.reset()
            hook = getattr(owner, "resetStats", None)
            if hook is not None:
                hook()
