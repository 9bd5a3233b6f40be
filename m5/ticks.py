"""gem5's m5.ticks: the global tick frequency (1 tick = 1 ps by default)."""

from simobjs.base.ticks import (
    fixGlobalFrequency,
    fromSeconds,
    getFrequency,
    isFixed,
    setGlobalFrequency,
    toSeconds,
)

# how large a rounding error in fromSeconds() must be to be warned about (0.1%)
frequency_tolerance = 0.001

__all__ = [
    "frequency_tolerance",
    "fixGlobalFrequency",
    "fromSeconds",
    "getFrequency",
    "isFixed",
    "setGlobalFrequency",
    "toSeconds",
]
