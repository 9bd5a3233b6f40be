"""The Root model: the top of the object tree (gem5's Root)."""

from __future__ import annotations

import sys

from simobjs.sim.model import Model, Params


class Root(Model):
    """Holds the whole-system flags; the kernel writes `[root.globals]` (curTick) next to it."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.full_system = bool(getattr(params, "full_system", False))
        self.sim_quantum = int(getattr(params, "sim_quantum", 0) or 0)

    def serialize(self, section) -> None:
        section["FullSystem"] = self.full_system

    def unserialize(self, section) -> None:
        if "FullSystem" in section and section.get_bool("FullSystem") != self.full_system:
            print(
                f"warn: checkpoint has FullSystem={section['FullSystem']}, "
                f"config has full_system={'true' if self.full_system else 'false'}",
                file=sys.stderr,
            )
