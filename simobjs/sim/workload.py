"""The Workload base model (gem5's Workload): what a System runs."""

from __future__ import annotations

from typing import Any

from simobjs.errors import ConfigError, Problem
from simobjs.sim.model import Model, Params


class Workload(Model):
    """A workload knows its System once the System is built (gem5's setSystem)."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.system: Any = None
        if getattr(params, "wait_for_remote_gdb", False):
            raise ConfigError(
                Problem(
                    self.name(),
                    "remote GDB is not supported by simobjs (it opens no listening "
                    "sockets), so nothing would ever connect (se.py: drop --wait-gdb)",
                    "wait_for_remote_gdb",
                )
            )

    def setSystem(self, system: Any) -> None:
        self.system = system
