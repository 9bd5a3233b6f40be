"""The Root model: the top of the object tree (gem5's Root), with optional time sync."""

from __future__ import annotations

import sys
import time

from simobjs.base.ticks import getFrequency
from simobjs.sim.eventq import PeriodicEvent, Priority
from simobjs.sim.model import Model, Params


class Root(Model):
    """Whole-system flags; the kernel writes `[root.globals]` (curTick) next to its section.

    With `time_sync_enable`, simulated time is kept from running ahead of real time:
    every `time_sync_period` ticks it sleeps (or, closer than `time_sync_spin_threshold`,
    spins) until as much real time has passed (gem5's Root::timeSync).
    """

    def __init__(self, params: Params):
        super().__init__(params)
        self.full_system = params.full_system
        self.sim_quantum = params.sim_quantum
        if self.sim is not None:
            self.sim.sim_quantum = self.sim_quantum  # the simulation's quantum (gem5's Root)
        self.time_sync_enable = params.time_sync_enable
        self.time_sync_period = params.time_sync_period
        self.spin_threshold = params.time_sync_spin_threshold
        self.sync_event = None
        self._last = 0.0

    def startup(self) -> None:
        if self.time_sync_enable and self.time_sync_period > 0:
            self._last = time.monotonic()
            self.sync_event = PeriodicEvent(
                self.timeSync, self.time_sync_period, "root.timeSync", Priority.Progress
            )
            period = self.time_sync_period
            self.sync_event.start(self.eventq, -(-self.curTick() // period) * period or period)

    def timeSync(self) -> None:
        freq = getFrequency()
        period = self.time_sync_period / freq
        spin = self.spin_threshold / freq
        while True:
            now = time.monotonic()
            remaining = period - (now - self._last)
            if remaining <= 0:
                break
            if remaining > spin:
                time.sleep(remaining - spin)
        self._last = now

    def serialize(self, section) -> None:
        section["FullSystem"] = self.full_system

    def unserialize(self, section) -> None:
        if "FullSystem" in section and section.get_bool("FullSystem") != self.full_system:
            print(
                f"warn: checkpoint has FullSystem={section['FullSystem']}, "
                f"config has full_system={'true' if self.full_system else 'false'}",
                file=sys.stderr,
            )
