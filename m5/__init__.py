"""gem5's `m5` namespace on simobjs: `import m5; from m5.objects import *`.

Importing it loads the kernel and the declarations, never a runtime model.
"""

from m5 import core, debug, objects, params, proxy, stats, ticks, util
from m5.core import getOutputDir, options, setOutputDir
from m5.simulate import (
    MaxTick,
    checkpoint,
    close,
    curTick,
    drain,
    exitSimLoop,
    finalize,
    getMaxTick,
    instantiate,
    memInvalidate,
    memWriteback,
    scheduleTickExitAbsolute,
    scheduleTickExitFromCurrent,
    setMaxTick,
    simulate,
    switchCpus,
)
from m5.util import fatal, inform, panic, warn

__all__ = [
    "MaxTick", "checkpoint", "close", "curTick", "drain", "exitSimLoop", "finalize", "getMaxTick",
    "instantiate", "memInvalidate", "memWriteback", "scheduleTickExitAbsolute",
    "scheduleTickExitFromCurrent", "setMaxTick", "simulate", "switchCpus", "core", "debug",
    "objects", "params", "proxy", "stats", "ticks", "util", "options", "getOutputDir",
    "setOutputDir", "fatal", "inform", "panic", "warn",
]  # fmt: skip
