"""Drain states (gem5's DrainState)."""

from enum import Enum


class DrainState(Enum):
    Running = 0
    Draining = 1
    Drained = 2
    Resuming = 3
