"""Config-layer scaling: build, prepare (adopt, resolve, validate, freeze) and
write config.ini/json/dot for ~1,000 and ~10,000 objects in one run, and print
the time per object for each size and the ratio (target: <= 1.3).

    python bench/config_scale.py [--sizes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

from simobjs.base import ticks
from simobjs.config import config_dot, config_ini, config_json, prepare
from simobjs.objects import (
    KvmVM,
    Root,
    SimpleMemory,
    SrcClockDomain,
    System,
    SystemXBar,
    Terminal,
    Uart8250,
    VoltageDomain,
    X86KvmCPU,
    x86IOAddress,
)
from simobjs.params import AddrRange
from simobjs.params.simobject import reset_for_tests

# One group = a KVM CPU with its ISA, decoder, LAPIC, MMU, tracer and power
# state, a memory region with its power state and a UART with its power state.
OBJECTS_PER_GROUP = 11


def build(groups: int) -> Root:
    system = System(mem_mode="atomic_noncaching")
    system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    system.kvm_vm = KvmVM()
    system.terminal = Terminal()
    cpus, mems, uarts = [], [], []
    for i in range(groups):
        cpu = X86KvmCPU(cpu_id=i)
        cpu.createThreads()
        cpu.createInterruptController()
        cpu.icache_port = system.membus.cpu_side_ports
        cpu.dcache_port = system.membus.cpu_side_ports
        cpus.append(cpu)
        mem = SimpleMemory(range=AddrRange(i * 2**20, size="1MiB"))
        mem.port = system.membus.mem_side_ports
        mems.append(mem)
        uart = Uart8250(pio_addr=x86IOAddress(0x1000 + 8 * i))
        uart.pio = system.membus.mem_side_ports
        uarts.append(uart)
    system.cpu = cpus
    system.mem = mems
    system.uart = uarts
    return Root(full_system=True, system=system)


def measure(groups: int) -> tuple[int, float, float, float]:
    reset_for_tests()
    gc.collect()
    t0 = time.perf_counter()
    root = build(groups)
    t1 = time.perf_counter()
    prepare(root)
    t2 = time.perf_counter()
    text = config_ini(root) + config_json(root) + config_dot(root)
    t3 = time.perf_counter()
    count = sum(1 for _ in root.descendants())
    assert text
    reset_for_tests()
    return count, t1 - t0, t2 - t1, t3 - t2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per size")
    args = ap.parse_args(argv)
    ticks.fixGlobalFrequency(quiet=True)
    rows = []
    print(
        f"{'objects':>8} {'build us/obj':>13} {'prepare us/obj':>15} {'write us/obj':>13} {'total us/obj':>13}"
    )
    for size in args.sizes:
        groups = max(1, size // OBJECTS_PER_GROUP)
        best = None
        for _ in range(args.repeat):
            run = measure(groups)
            if best is None or sum(run[1:]) < sum(best[1:]):
                best = run
        count, b, p, w = best
        per = [1e6 * x / count for x in (b, p, w, b + p + w)]
        rows.append((count, per[3]))
        print(f"{count:>8} {per[0]:>13.1f} {per[1]:>15.1f} {per[2]:>13.1f} {per[3]:>13.1f}")
    if len(rows) >= 2:
        ratio = rows[-1][1] / rows[0][1]
        verdict = "ok" if ratio <= 1.3 else "ABOVE TARGET"
        print(
            f"per-object cost ratio {rows[-1][0]} vs {rows[0][0]} objects: {ratio:.2f}x (target <= 1.3: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
