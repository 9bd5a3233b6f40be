"""Global tick frequency (gem5's m5.ticks): 1 tick = 1 ps unless set otherwise."""

from __future__ import annotations

import math
import sys

from simobjs.base.convert import anyToFrequency

DEFAULT_FREQUENCY = 10**12

_frequency: int = DEFAULT_FREQUENCY
_fixed: bool = False


def setGlobalFrequency(ticks_per_second: int | float | str) -> None:
    """Set ticks per second; only allowed before the frequency is fixed."""
    global _frequency
    if _fixed:
        raise RuntimeError("Global frequency already fixed at %d ticks/s." % _frequency)
    if isinstance(ticks_per_second, str):
        ticks_per_second = round(anyToFrequency(ticks_per_second))  # "1THz" or "1ps", as gem5
    _frequency = int(ticks_per_second)


def fixGlobalFrequency(quiet: bool = False) -> None:
    """Freeze the frequency (idempotent), printing gem5's line the first time."""
    global _fixed
    if _fixed:
        return
    _fixed = True
    if not quiet:
        print("Global frequency set at %d ticks per second" % _frequency)


def unfixGlobalFrequency() -> None:
    """Beyond gem5: let a torn-down simulation be followed by a fresh one."""
    global _fixed
    _fixed = False


def isFixed() -> bool:
    return _fixed


def getFrequency() -> int:
    return _frequency


def fromSeconds(value: float) -> int:
    """Seconds to ticks, rounding half up; warns when rounding loses > 0.1%."""
    if not _fixed:
        raise AttributeError("In order to do conversions, the global frequency must be fixed")
    if value == 0:
        return 0
    exact = value * _frequency
    ticks = int(math.floor(exact + 0.5))
    if ticks == 0 or abs(ticks - exact) / abs(exact) > 0.001:
        print(
            "warn: rounding error > tolerance\n    %f rounded to %d" % (exact, ticks),
            file=sys.stderr,
        )
    return ticks


def toSeconds(ticks: int) -> float:
    return ticks / _frequency
