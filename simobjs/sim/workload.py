"""The Workload base model (gem5's Workload): what a System runs."""

from __future__ import annotations

from typing import Any

from simobjs.sim.model import Model, Params


class Workload(Model):
    """A workload knows its System once the System is built (gem5's setSystem)."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.system: Any = None

    def setSystem(self, system: Any) -> None:
        self.system = system
