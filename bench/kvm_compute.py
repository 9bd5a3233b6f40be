"""Guest compute speed on the KVM CPU against the same kernel run natively, in one run.

The kernel is the compute example's CRC-32 (`simobjs/guest/examples/crc32.c`)
over a 4 MiB buffer, repeated for about a second. The guest (built with the
SDK) runs it at CPL 3 on the full path: X86KvmCPU + event queue + timer-bounded
KVM_RUN slices; it brackets the kernel with m5_work_begin/m5_work_end, and the
host times the simulate() call between those two exits. The native executable
links crc32.c compiled with the guest's exact flags and times the same loop
with CLOCK_MONOTONIC. Rows (rounds interleaved, medians):

  default      nothing else in the event queue: one KVM_RUN, bounded only by
               the simulate() limit
  tick 1 ms    a host event every 1 ms of simulated time: timer-bounded slices
               (1 ms of the vCPU thread's CPU time each: without a PMU the CPU
               turns that time into ticks at hostFreq)
  PIT 1 kHz    the guest starts the PIT at 1 kHz: slices end at each PIT event
               and each interrupt runs the SDK's ring-0 handler (emulated on PVM)

    python bench/kvm_compute.py [--quick]

Target: fraction of native speed (native time / guest time) >= 0.95.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simobjs.guest import build

SIZE = 4 << 20
TICKS_PER_MS = 10**9  # 1 tick = 1 ps
TARGET = 0.95
ROWS = {
    "native": "native (host executable)",
    "default": "KVM CPU, default: no other event",
    "tick 1 ms": "KVM CPU, host event every 1 ms",
    "PIT 1 kHz": "KVM CPU, guest PIT 1 kHz (IRQ in ring 0)",
}
KERNEL_LOOP = """
    for (unsigned long p = 0; p < passes; p++)
        crc = crc32_update(crc, buffer, SIZE);
"""
GUEST_C = f"""
#include "simobjs.h"
#include "crc32.h"
#define SIZE {SIZE}UL
static unsigned char buffer[SIZE];
int main(void)
{{
    uint64_t param = sdk_m5op(0x30, 0, 0); /* INIT_PARAM: passes << 1 | start the PIT */
    unsigned long passes = param >> 1;
    fill_pattern(buffer, SIZE, 12345);
    unsigned int crc = crc32_update(0, buffer, 64); /* builds the table: not timed */
    if (param & 1)
        sdk_timer_start(1000);
    m5_work_begin(0, 0);
{KERNEL_LOOP}
    m5_work_end(0, 0);
    sdk_timer_stop();
    printf("crc %08x\\n", crc);
    return 0;
}}
"""
NATIVE_C = f"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "crc32.h"
#define SIZE {SIZE}UL
static unsigned char buffer[SIZE];
int main(int argc, char **argv)
{{
    unsigned long passes = strtoul(argv[1], 0, 0);
    fill_pattern(buffer, SIZE, 12345);
    unsigned int crc = crc32_update(0, buffer, 64);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
{KERNEL_LOOP}
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.9f crc %08x\\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9, crc);
    return 0;
}}
"""


def build_both(tmp: Path) -> tuple[Path, Path]:
    """The guest ELF (SDK) and the native executable, crc32.c compiled with the same flags."""
    include = f"-I{build.EXAMPLES_DIR}"
    kernel = build.EXAMPLES_DIR / "crc32.c"
    (tmp / "bench_compute.c").write_text(GUEST_C)
    elf = build.build_guest([tmp / "bench_compute.c", kernel], "bench-compute", [include])
    (tmp / "native.c").write_text(NATIVE_C)
    cc = build.find_compiler()
    # -static/-nostdlib/-no-pie only matter when linking: the object is the guest's
    subprocess.run(
        [cc, *build.COMMON_CFLAGS, include, "-c", str(kernel), "-o", str(tmp / "crc32.o")],
        check=True,
    )
    exe = tmp / "native"
    subprocess.run(
        [
            cc,
            "-O2",
            "-fno-pic",
            "-no-pie",
            include,
            str(tmp / "native.c"),
            str(tmp / "crc32.o"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    return elf, exe


def native_run(exe: Path, passes: int) -> tuple[float, str]:
    out = subprocess.run([str(exe), str(passes)], capture_output=True, text=True, check=True)
    seconds, crc = out.stdout.split(" ", 1)
    return float(seconds), crc.strip()


def guest_run(elf: Path, passes: int, mode: str) -> tuple[float, str, dict[str, float]]:
    """Seconds between the guest's work_begin and work_end exits, its CRC line, and what
    happened in between: KVM_RUNs, slices ended by the timer, interrupts, time in KVM_RUN."""
    from simobjs.demo.config import build_system
    from simobjs.sim.eventq import EventFunctionWrapper

    quiet = io.StringIO()  # the simulator's info/warn lines
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        root = build_system(str(elf), cpu="kvm")
        root.system.terminal.outfile = "none"
        root.system.exit_on_work_items = True
        root.system.init_param = passes << 1 | (mode == "PIT 1 kHz")
        sim = build.instantiate(root, outdir=None)
        try:
            if mode == "tick 1 ms":

                def tick() -> None:
                    sim.eventq.schedule(event, sim.curTick() + TICKS_PER_MS)

                event = EventFunctionWrapper(tick, "bench.tick")
                sim.eventq.schedule(event, TICKS_PER_MS)
            causes = [sim.simulate().getCause()]
            cpu = sim.model("system.cpu")
            before = _counts(cpu)
            in_kvm = _time_kvm_run(cpu.vcpu)
            t0 = time.perf_counter()
            causes.append(sim.simulate().getCause())
            dt = time.perf_counter() - t0
            counts = {k: v - before[k] for k, v in _counts(cpu).items()}
            counts["in_kvm"] = in_kvm[0]
            causes.append(sim.simulate().getCause())
            if causes[:2] != ["workbegin", "workend"] or not causes[2].startswith("m5_exit"):
                raise RuntimeError(f"unexpected exits {causes}: {quiet.getvalue()[-2000:]}")
            text = sim.model("system.terminal").text()
        finally:
            sim.close()
    return dt, re.search(r"crc \w+", text).group(0), counts


def _counts(cpu) -> dict[str, float]:
    return {
        k: getattr(cpu, s).value()
        for k, s in (("runs", "numVMExits"), ("slices", "numExitSignal"), ("irqs", "numInterrupts"))
    }


def _time_kvm_run(vcpu) -> list[float]:
    """Add up the seconds spent in KVM_RUN: in vcpu.run() and in vcpu.run_bounded() (the
    one-call timer-bounded run the CPU uses), two perf_counter calls a run (~0.2 us)."""
    spent = [0.0]

    def timed(call):
        def wrapper(*args):
            t = time.perf_counter()
            try:
                return call(*args)
            finally:
                spent[0] += time.perf_counter() - t

        return wrapper

    vcpu.run = timed(vcpu.run)
    vcpu.run_bounded = timed(vcpu.run_bounded)
    return spent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="0.25 s kernels, 3 rounds")
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--seconds", type=float, default=None, help="native kernel length")
    args = p.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 5)
    seconds = args.seconds or (0.25 if args.quick else 1.0)
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kvm-compute-") as tmp:
        elf, exe = build_both(Path(tmp))
        per_pass = min(native_run(exe, 8)[0] for _ in range(3)) / 8
        passes = max(1, round(seconds / per_pass))
        _, want = native_run(exe, passes)  # warm-up, and the CRC every run must give
        guest_run(elf, 1, "default")  # warm-up: KVM module, page cache, imports
        samples: dict[str, list[dict[str, float]]] = {m: [] for m in ROWS}
        for r in range(rounds):
            order = list(ROWS)[r % len(ROWS) :] + list(ROWS)[: r % len(ROWS)]  # rotate
            for m in order:
                if m == "native":
                    dt, crc = native_run(exe, passes)
                    counts = {}
                else:
                    dt, crc, counts = guest_run(elf, passes, m)
                if crc != want:
                    raise RuntimeError(f"{m}: {crc}, native gave {want}")
                samples[m].append({"dt": dt, **counts})
    med = {m: {k: statistics.median(s[k] for s in v) for k in v[0]} for m, v in samples.items()}
    native = med["native"]["dt"]
    print(
        f"CRC-32 over {SIZE >> 20} MiB x {passes} passes at CPL 3 ({want}); "
        f"medians of {rounds} interleaved rounds; counts are for the kernel only"
    )
    print(
        f"{'row':<40} {'seconds':>7} {'of native':>9} {'KVM_RUNs':>8} {'timer':>5} "
        f"{'irqs':>5} {'us/run: simobjs':>15} {'in KVM':>6}"
    )
    for m, label in ROWS.items():
        c = med[m]
        frac = native / c["dt"]
        line = f"{label:<40} {c['dt']:7.3f} {frac:9.3f}"
        if m != "native":
            runs = max(c["runs"], 1)
            outside = (c["dt"] - c["in_kvm"]) / runs * 1e6  # simobjs: Python, timer, MSR reads
            inside = (c["in_kvm"] - native) / runs * 1e6  # PVM entry/exit, timer latency, ring 0
            split = f"{outside:15.1f} {inside:6.1f}" if c["slices"] else f"{'-':>15} {'-':>6}"
            ok = "ok" if frac >= TARGET else "below target"
            line += f" {c['runs']:8.0f} {c['slices']:5.0f} {c['irqs']:5.0f} {split}  {ok}"
        print(line)
    print(
        f"of native = native time / guest time (target >= {TARGET}). Per KVM_RUN: 'simobjs' is "
        "the time outside KVM_RUN, 'in KVM' the time inside it beyond the native kernel time."
    )
    print(f"({time.perf_counter() - t_start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
