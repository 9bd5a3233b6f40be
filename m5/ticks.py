"""gem5's m5.ticks: the global tick frequency (1 tick = 1 ps by default)."""

from simobjs.base.ticks import (
    fixGlobalFrequency,
    fromSeconds,
    getFrequency,
    isFixed,
    setGlobalFrequency,
    toSeconds,
)

__all__ = [
    "fixGlobalFrequency", "fromSeconds", "getFrequency", "isFixed", "setGlobalFrequency", "toSeconds",
]  # fmt: skip
