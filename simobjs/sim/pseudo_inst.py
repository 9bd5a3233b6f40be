"""gem5's pseudo instructions (m5ops), reached by an access to m5ops_base + (func << 8).

`m5op_func(addr, base)` decodes an access (None outside the m5ops range);
`pseudo_inst(tc, func)` reads the arguments from the thread context (rdi, rsi,
...) and returns the value for RAX, or None when the op returns nothing.
Exit causes, codes and the work-item rules follow gem5's src/sim/pseudo_inst.cc.
"""

from __future__ import annotations

import sys

from simobjs.base import ticks
from simobjs.errors import SimulationError
from simobjs.sim import debug
from simobjs.sim.eventq import EventFunctionWrapper, Priority

M5OPS_SIZE = 0x10000  # gem5's m5ops range: 64 KiB from System.m5ops_base

ARM, QUIESCE, QUIESCE_NS, QUIESCE_CYCLE, QUIESCE_TIME = 0x00, 0x01, 0x02, 0x03, 0x04
RPNS, WAKE_CPU = 0x07, 0x09
EXIT, FAIL, SUM, INIT_PARAM, LOAD_SYMBOL = 0x21, 0x22, 0x23, 0x30, 0x31
RESET_STATS, DUMP_STATS, DUMP_RESET_STATS, CHECKPOINT = 0x40, 0x41, 0x42, 0x43
WRITE_FILE, READ_FILE, DEBUG_BREAK, SWITCH_CPU = 0x4F, 0x50, 0x51, 0x52
ADD_SYMBOL, PANIC = 0x53, 0x54
WORK_BEGIN, WORK_END, DIST_TOGGLE_SYNC = 0x5A, 0x5B, 0x62
UNSUPPORTED = frozenset(
    (
        ARM,
        QUIESCE,
        QUIESCE_NS,
        QUIESCE_CYCLE,
        QUIESCE_TIME,
        WAKE_CPU,
        DEBUG_BREAK,
        LOAD_SYMBOL,
        ADD_SYMBOL,
        DIST_TOGGLE_SYNC,
        WRITE_FILE,
        READ_FILE,
    )
)

CAUSE_EXIT = "m5_exit instruction encountered"
CAUSE_FAIL = "m5_fail instruction encountered"
CAUSE_CHECKPOINT = "checkpoint"
CAUSE_SWITCH = "switchcpu"

NAMES = {
    EXIT: "exit",
    FAIL: "fail",
    SUM: "sum",
    INIT_PARAM: "initparam",
    RPNS: "rpns",
    RESET_STATS: "resetstats",
    DUMP_STATS: "dumpstats",
    DUMP_RESET_STATS: "dumpresetstats",
    CHECKPOINT: "checkpoint",
    SWITCH_CPU: "switchcpu",
    WORK_BEGIN: "workbegin",
    WORK_END: "workend",
    PANIC: "panic",
}
_warned: set[int] = set()


def _ns(value: int) -> int:
    """Guest nanoseconds to ticks."""
    return value * ticks.getFrequency() // 1_000_000_000


def _sim(tc):
    sim = getattr(tc.cpu, "sim", None)
    if sim is None:
        from simobjs.sim import core

        sim = core.current()
    if sim is None:
        raise SimulationError("an m5op needs a running simulation", tc.cpu.name())
    return sim


def _args(tc, n: int) -> list[int]:
    return [tc.getReg(r) for r in ("rdi", "rsi", "rdx", "rcx", "r8", "r9")[:n]]


def _stat_event(sim, dump: bool, reset: bool, delay: int, period: int) -> None:
    """gem5's Stats::schedStatEvent: dump and/or reset after `delay` ticks, every `period`."""

    def fire() -> None:
        if dump:
            sim.stats.dump()
        if reset:
            sim.stats.reset()
        if period:
            sim.current_eventq().schedule(event, sim.curTick() + period)

    event = EventFunctionWrapper(fire, "m5op stats", Priority.Stat_Event)
    sim.current_eventq().schedule(event, sim.curTick() + delay)


def m5op_func(addr: int, base: int) -> int | None:
    """The m5op number of a physical access at `addr` (gem5: offset bits 15:8), or None
    outside [base, base + 64 KiB) or when the system has no m5ops range (base 0)."""
    offset = addr - base
    if base and 0 <= offset < M5OPS_SIZE:
        return (offset >> 8) & 0xFF
    return None


def pseudo_inst(tc, func: int) -> int | None:
    """Run m5op `func` for thread `tc`; returns the value for RAX (None: leave RAX)."""
    sim = _sim(tc)
    if debug.flags.M5Ops:
        debug.dprintf(tc.cpu, "m5op %#x (%s)", func, NAMES.get(func, "?"))
    if func == EXIT:
        (delay,) = _args(tc, 1)
        sim.exitSimLoop(CAUSE_EXIT, 0, _ns(delay))
    elif func == FAIL:
        delay, code = _args(tc, 2)
        code = code - (1 << 64) if code >> 63 else code
        sim.exitSimLoop(CAUSE_FAIL, code, _ns(delay))
    elif func in (RESET_STATS, DUMP_STATS, DUMP_RESET_STATS):
        delay, period = _args(tc, 2)
        _stat_event(sim, func != RESET_STATS, func != DUMP_STATS, _ns(delay), _ns(period))
    elif func == CHECKPOINT:
        delay, period = _args(tc, 2)
        sim.exitSimLoop(CAUSE_CHECKPOINT, 0, _ns(delay), repeat=_ns(period))
    elif func == SWITCH_CPU:
        sim.exitSimLoop(CAUSE_SWITCH)
    elif func in (WORK_BEGIN, WORK_END):
        workid, threadid = _args(tc, 2)
        hook = "workItemBegin" if func == WORK_BEGIN else "workItemEnd"
        getattr(tc.cpu, hook)()  # the CPU's stat, then the System's exit rules
        system = tc.getSystemPtr()
        if system is not None:
            getattr(system, hook)(tc, threadid, workid)
    elif func == RPNS:
        return sim.curTick() * 1_000_000_000 // ticks.getFrequency()
    elif func == SUM:
        return sum(_args(tc, 6)) & 0xFFFFFFFFFFFFFFFF
    elif func == INIT_PARAM:
        system = tc.getSystemPtr()
        return system.params.init_param if system is not None else 0
    elif func == PANIC:
        raise SimulationError("m5_panic: the guest panicked", tc.cpu.name(), tc.getReg("rip"))
    elif func in UNSUPPORTED:
        _warn_once(func, f"m5op {func:#x} is not supported here; ignored")
        return 0
    else:
        _warn_once(func, f"unhandled m5op {func:#x}; ignored")
        return 0
    return None


def _warn_once(func: int, message: str) -> None:
    if func not in _warned:
        _warned.add(func)
        print(f"warn: {message}", file=sys.stderr)
