"""A progress line for long runs: simulated time, host time, exits/s and guest MIPS.

A daemon thread samples the running `Simulation` every `interval` host seconds
and rewrites one line on a terminal with `\\r`. It schedules no event and
touches no model state: it only reads the current tick and counters (plain
attribute reads under the GIL), so a run with the line on gives the same
results as a run with it off. Nothing is shown for a `simulate()` call that
ends within `delay` seconds, and nothing at all unless the stream is a
terminal (or the display is forced on).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass
class Sample:
    """Counters read at one instant."""

    host: float
    tick: int
    exits: int | None  # KVM exits summed over CPUs; None: no KVM CPU
    insts: int | None  # instructions counted by CPUs that can count; None: none can
    cpus: int = 0


def _stat_value(model: Any, name: str) -> int | None:
    stat = model.__dict__.get(name)
    if stat is None or not getattr(stat, "available", True):
        return None
    try:
        return int(stat._value)
    except (AttributeError, TypeError, ValueError):
        return None


def sample(sim: Any) -> Sample:
    """Read the tick, the KVM exit count and the countable instructions of `sim`."""
    exits: int | None = None
    insts: int | None = None
    cpus = sim.cpus()
    for cpu in cpus:
        n = _stat_value(cpu, "numVMExits")
        if n is not None:
            exits = (exits or 0) + n
        if getattr(cpu, "insts_available", False):
            try:
                insts = (insts or 0) + int(cpu.totalInsts())
            except Exception:  # noqa: BLE001 - a CPU mid-construction: skip it this time
                pass
    return Sample(time.monotonic(), sim.curTick(), exits, insts, len(cpus))


def _seconds(ticks: int, frequency: int) -> str:
    s = ticks / frequency
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.3f} us"


def format_line(began: float, prev: Sample, now: Sample, frequency: int) -> str:
    """One progress line (`began`: host time the run began); rates over the last interval."""
    dt = max(now.host - prev.host, 1e-9)
    parts = [
        f"sim {_seconds(now.tick, frequency)}",
        f"host {now.host - began:.1f} s",
    ]
    if now.exits is not None and prev.exits is not None:
        parts.append(f"{max(now.exits - prev.exits, 0) / dt:,.0f} exits/s")
    if now.insts is not None and prev.insts is not None:
        parts.append(f"{max(now.insts - prev.insts, 0) / dt / 1e6:.2f} MIPS")
    elif now.cpus:
        parts.append("MIPS n/a")  # e.g. KVM on a host without a PMU: nothing is counted
    return "[simobjs] " + " | ".join(parts)


def wanted(mode: str, stream: TextIO) -> bool:
    """'on', 'off', or 'auto' (a terminal, and TERM is not 'dumb')."""
    if mode == "on":
        return True
    if mode == "off":
        return False
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") != "dumb"


class Progress:
    """The sampling thread; `begin(sim)` / `end()` bracket each simulate() call."""

    def __init__(
        self, stream: TextIO | None = None, interval: float = 0.5, delay: float = 1.0
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.delay = delay
        self._lock = threading.Lock()
        self._sim: Any = None
        self._prev: Sample | None = None
        self._began = 0.0
        self._width = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="simobjs-progress", daemon=True)
        self._thread.start()

    def begin(self, sim: Any) -> None:
        with self._lock:
            self._sim = sim
            self._began = time.monotonic()
            try:
                self._prev = sample(sim)
            except Exception:  # noqa: BLE001 - a simulation without CPUs yet
                self._prev = None

    def end(self) -> None:
        with self._lock:
            self._sim = None
            self._clear()

    def close(self) -> None:
        self.end()
        self._stop.set()
        self._thread.join(timeout=2 * self.interval + 1)

    def _clear(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _loop(self) -> None:
        from simobjs.base import ticks

        while not self._stop.wait(self.interval):
            with self._lock:
                sim = self._sim
                if sim is None or time.monotonic() - self._began < self.delay:
                    continue
                try:
                    now = sample(sim)
                except Exception:  # noqa: BLE001 - a run tearing down; try again next time
                    continue
                if self._prev is None:
                    self._prev = now
                    continue
                line = format_line(self._began, self._prev, now, ticks.getFrequency())
                self._prev = now
                pad = max(self._width - len(line), 0)
                self.stream.write("\r" + line + " " * pad)
                self.stream.flush()
                self._width = len(line)
