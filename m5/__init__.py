"""gem5's `m5` namespace on simobjs: `import m5; from m5.objects import *`.

Importing it loads the kernel and the declarations, never a runtime model.
As in gem5, `m5.fatal` and `m5.warn` (and here also `m5.panic`,
`m5.inform`) are m5.util's, and `m5.options` is the command line's values.
"""

from m5 import (
    SimObject,
    core,
    debug,
    defines,
    internal,
    objects,
    params,
    proxy,
    stats,
    ticks,
    util,
)
from m5 import options as _options_module  # noqa: F401 - loaded before `options` is rebound
from m5.core import getOutputDir, options, setOutputDir
from m5.simulate import (
    MaxTick,
    checkpoint,
    close,
    curTick,
    disableAllListeners,
    drain,
    exitSimLoop,
    finalize,
    fork,
    fork_count,
    getMaxTick,
    getTicksUntilMax,
    instantiate,
    listenersDisabled,
    listenersLoopbackOnly,
    memInvalidate,
    memWriteback,
    notifyFork,
    scheduleTickExitAbsolute,
    scheduleTickExitFromCurrent,
    setMaxTick,
    simulate,
    switchCpus,
)
from m5.util import attrdict, fatal, inform, panic, warn

__all__ = [
    "MaxTick", "checkpoint", "close", "curTick", "drain", "exitSimLoop", "finalize", "getMaxTick",
    "instantiate", "memInvalidate", "memWriteback", "scheduleTickExitAbsolute",
    "scheduleTickExitFromCurrent", "setMaxTick", "simulate", "switchCpus", "core", "debug",
    "objects", "params", "proxy", "stats", "ticks", "util", "options", "getOutputDir",
    "setOutputDir", "SimObject", "defines", "internal", "fork", "fork_count", "notifyFork",
    "getTicksUntilMax", "disableAllListeners", "listenersDisabled", "listenersLoopbackOnly",
    "attrdict", "fatal", "inform", "panic", "warn",
]  # fmt: skip
