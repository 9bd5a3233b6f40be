"""Timing CPU speed with caches: X86TimingSimpleCPU with learning_gem5's L1I/L1D/L2 and a
DDR3_1600_8x8 MemCtrl, against bare Unicorn in count mode, on the same window of the
same guest, in the same run. Prints MIPS of both and the ratio.

    python bench/memsys.py [--quick] [--repeats N]

Guests: `compute` (CRC-32 over 4 MiB: table lookups that hit in the L1D) and
`memwalk` (a random pointer chase through 16 MiB: nearly every load misses to
DRAM). Each guest runs on the simulator to instruction K (past the SDK's boot
I/O); the next N instructions are timed. "bare Unicorn" is the reference engine
with its C hooks removed at K and `emu_start(count=N)`: the guest's real state
and code with nothing but Unicorn's own count. "Unicorn + hooks doing nothing" is
the floor under the timing CPU: bare Unicorn with the hooks the timing CPU installs (a
C code hook per instruction that counts, C memory read/write hooks that return at
once). Unicorn sends every data access of hooked code through its slow path and
restores the guest's PC from the translated block before each memory hook call,
whatever the hook does, so no memory model driven by these hooks runs faster than this
line. The atomic reference CPU without caches (the engine's exact counting hook) is
printed for scale.

Target: >= 10 MIPS with caches.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from unicorn.unicorn_const import UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE  # noqa: E402

from simobjs.base import ticks  # noqa: E402
from simobjs.config import build  # noqa: E402
from simobjs.demo.config import build_system  # noqa: E402
from simobjs.guest import example_guest  # noqa: E402
from simobjs.params.simobject import reset_for_tests  # noqa: E402

# (guest, K: instructions before the window, N: the window) - both windows end before
# the guest's first output
WINDOWS = {"compute": (1_000_000, 20_000_000), "memwalk": (1_500_000, 8_000_000)}
QUICK = {"compute": (1_000_000, 5_000_000), "memwalk": (1_500_000, 3_000_000)}
TARGET_MIPS = 10.0
# gem5's own regression references (measured by gem5's maintainers on their host):
GEM5_PUBLISHED = [
    (
        "gem5 v19.0.0.0 tests/long/se/10.mcf/ref/x86/linux/simple-timing/stats.txt",
        0.440271,
        "TimingSimpleCPU, L1I/L1D/L2, SimpleMemory; SPEC2000 mcf, 158 M instructions",
    ),
    (
        "gem5 v19.0.0.0 tests/quick/se/03.learning-gem5/ref/x86/linux/"
        "learning-gem5-p1-two-level/stats.txt",
        0.157408,
        "learning_gem5 two_level.py (TimingSimpleCPU, L1I/L1D/L2, DDR3); hello, 5712 instructions",
    ),
]


def _machine(guest: str, cpu: str):
    reset_for_tests()
    ticks.unfixGlobalFrequency()
    memsys = cpu == "timing"
    root = build_system(
        str(example_guest(guest)), cpu=cpu, caches=memsys, dram=memsys, clock="1GHz"
    )
    root.system.terminal.outfile = "none"
    sim = build.instantiate(root, outdir=None)
    return sim, sim.model("system.cpu")


def _to(sim, cpu, insts: int, cause: str) -> None:
    cpu.scheduleInstStop(0, insts, cause)
    event = sim.simulate()
    if event.getCause() != cause:
        raise RuntimeError(f"the guest ended early: {event.getCause()}")


def simulated_mips(guest: str, cpu_kind: str, k: int, n: int) -> float:
    sim, cpu = _machine(guest, cpu_kind)
    try:
        _to(sim, cpu, k, "window start")
        t0 = time.perf_counter()
        _to(sim, cpu, n, "window end")
        return n / (time.perf_counter() - t0) / 1e6
    finally:
        sim.close()


def bare_mips(guest: str, k: int, n: int) -> float:
    sim, cpu = _machine(guest, "reference")
    try:
        _to(sim, cpu, k, "window start")
        engine = cpu.engine
        engine.detach_c_hooks()
        uc = engine.uc
        t0 = time.perf_counter()
        uc.emu_start(engine.rip, 0, 0, n)
        return n / (time.perf_counter() - t0) / 1e6
    finally:
        sim.close()


def null_hooks_mips(guest: str, k: int, n: int) -> float:
    """Bare Unicorn with the timing CPU's hooks installed, doing nothing."""
    from simobjs.mem.memsys.native import ffi as ms_ffi
    from simobjs.mem.memsys.native import lib as ms_lib

    sim, cpu = _machine(guest, "reference")
    try:
        _to(sim, cpu, k, "window start")
        engine = cpu.engine
        engine.detach_c_hooks()
        counter = engine.counter
        counter.count, counter.limit = 0, 2**63
        code = int(
            engine._ffi.cast("uintptr_t", engine._ffi.addressof(engine._lib, "ref_code_hook"))
        )
        engine._add_c_hook(UC_HOOK_CODE, code, int(engine._ffi.cast("uintptr_t", counter)))
        idle = ms_ffi.new("struct ms_cpu *")  # not in an instruction: the hook returns at once
        mem = int(ms_ffi.cast("uintptr_t", ms_ffi.addressof(ms_lib, "ms_mem_hook")))
        for kind in (UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE):
            engine._add_c_hook(kind, mem, int(ms_ffi.cast("uintptr_t", idle)))
        uc = engine.uc
        uc.ctl_flush_tb()
        t0 = time.perf_counter()
        uc.emu_start(engine.rip, 0, 0, n)
        mips = n / (time.perf_counter() - t0) / 1e6
        if counter.count != n:
            raise RuntimeError(f"the code hook counted {counter.count}, not {n}")
        return mips
    finally:
        sim.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="shorter windows")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    windows = QUICK if args.quick else WINDOWS
    met = True
    for guest, (k, n) in windows.items():
        bare, null, timing, atomic = [], [], [], []
        for _ in range(args.repeats):  # interleaved, so host noise hits all four
            bare.append(bare_mips(guest, k, n))
            null.append(null_hooks_mips(guest, k, n))
            timing.append(simulated_mips(guest, "timing", k, n))
            atomic.append(simulated_mips(guest, "reference", k, n))
        b, z, t, a = (statistics.median(x) for x in (bare, null, timing, atomic))
        print(f"{guest}: instructions [{k:,}, {k + n:,}), median of {args.repeats}")
        print(f"  bare Unicorn, count mode                          {b:8.1f} MIPS")
        print(
            f"  Unicorn + the timing CPU's hooks doing nothing    {z:8.1f} MIPS"
            f"   ratio to bare {z / b:5.2f}"
        )
        print(
            f"  X86TimingSimpleCPU + L1I/L1D/L2 + DDR3_1600_8x8   {t:8.1f} MIPS"
            f"   ratio to bare {t / b:5.2f}, to the floor {t / z:5.2f}"
        )
        print(
            f"  X86AtomicSimpleCPU, no caches (for scale)         {a:8.1f} MIPS"
            f"   ratio to bare {a / b:5.2f}"
        )
        met &= t >= TARGET_MIPS
    print(
        f"target: timing CPU with caches >= {TARGET_MIPS:.0f} MIPS: {'met' if met else 'NOT met'}"
    )
    print("gem5's published figures (host unknown, from gem5's regression references):")
    for source, mips, what in GEM5_PUBLISHED:
        print(f"  {mips:6.3f} MIPS  {what}\n          ({source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
